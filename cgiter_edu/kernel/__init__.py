"""The emulator: one module per kernel source file it mirrors.

* :mod:`.cgroup` -- kernel/cgroup/cgroup.c: the css walks and ``cgroup_mutex``
* :mod:`.seq_file` -- fs/seq_file.c + the bpf_seq_* helpers: the buffer
* :mod:`.bpf_iter` -- kernel/bpf/bpf_iter.c: ``bpf_seq_read``, links and files
* :mod:`.cgroup_iter` -- kernel/bpf/cgroup_iter.c: the cgroup seq ops, attach
* :mod:`.config` -- which kernel: version, page size, MAX_ITER_OBJECTS
"""
