"""The emulator: only mirrored kernel code, one module per kernel source file.

* :mod:`.cgroup` -- kernel/cgroup/cgroup.c: the css walks, references, ``cgroup_mutex``
  and the release work, ``struct cgroup_root`` and the lookups by id, fd and path,
  cgroup namespaces (``current_cgns_cgroup_dfl``, ``cgroup_path_ns``)
* :mod:`.mutex` -- kernel/locking/mutex.c: ``mutex_lock``, ``mutex_unlock`` (release,
  then wake), ``MUTEX_FLAG_HANDOFF``
* :mod:`.seq_file` -- fs/seq_file.c: the buffer, ``seq_write``, ``seq_bprintf``
* :mod:`.bpf_trace` -- kernel/trace/bpf_trace.c: ``bpf_seq_printf``, ``bpf_seq_write``
* :mod:`.helpers` -- kernel/bpf/helpers.c: ``bpf_bprintf_prepare``, the format checker
* :mod:`.vsprintf` -- lib/vsprintf.c: ``bstr_printf``, ``%p`` hashing
* :mod:`.ctype` -- lib/ctype.c + include/linux/ctype.h: ``isprint()`` and the others
* :mod:`.maccess` -- mm/maccess.c: ``strncpy_from_kernel_nofault``
* :mod:`.bpf_iter` -- kernel/bpf/bpf_iter.c: ``bpf_seq_read``, links, ``prepare_seq_file``
* :mod:`.read_write` -- fs/read_write.c: ``vfs_read``, on the way to ``bpf_seq_read``
* :mod:`.cgroup_iter` -- kernel/bpf/cgroup_iter.c: the cgroup seq ops,
  ``bpf_iter_attach_cgroup``, ``show_fdinfo`` and ``fill_link_info``
* :mod:`.task_iter` -- kernel/bpf/task_iter.c: the open-coded css task iterator
  (``bpf_iter_css_task_*``); the open-coded css iterator (``bpf_iter_css_*``) is at the
  end of :mod:`.cgroup_iter`, beside what it shares
* :mod:`.ringbuf` -- kernel/bpf/ringbuf.c: ``BPF_MAP_TYPE_RINGBUF``, ``bpf_ringbuf_output``
* :mod:`.verifier` -- kernel/bpf/verifier.c: the rules the open-coded walks must keep
  (RCU, trusted arguments, references, which program types)
* :mod:`.config` -- which kernel: version, page size, MAX_ITER_OBJECTS, ``capacity()``
  (not a kernel file)
* :mod:`.hooks` -- the :class:`~.hooks.Tracer` protocol the kernel code calls on its
  hook lines (not a kernel file)
* :mod:`.inline` -- what the C compiler inlines (``static inline``, or a static function
  called from its own file), inlined into the hot callers at import: their source is
  unchanged (not a kernel file)
* :mod:`.prog_errors` -- what a Python program can do and a BPF program cannot: raise,
  return neither 0 nor 1 (not a kernel file)

The modules here import only each other.  The user-facing layers are outside:
:mod:`cgiter_edu.hierarchy` (paths, fds, JSON, ``h.graph``), :mod:`cgiter_edu.attach`
(``attach()``, its errors, order names), :mod:`cgiter_edu.iterfile` (the link and
iterator fds and their system calls) and :mod:`cgiter_edu.recorder` (the Recorder that
implements the hooks and records a :class:`~cgiter_edu.trace.Trace`).
"""
