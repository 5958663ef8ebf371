"""The open-coded walks on this machine's kernel against the emulator: every order and
flag (bad ones too), dead cgroups, ring-buffer drops, tasks and threads of real
processes, and the verifier's refusals in its own words (cgiter_edu/live/opencoded.bpf.c
beside cgiter_edu.opencoded).  Needs Linux 6.7+ (bpf_iter_css_new); Linux 6.1 has none
of these kfuncs (tests/test_opencoded.py: the 6.1 preset refuses them)."""

from __future__ import annotations

import errno
import re
import subprocess
import sys
import textwrap

import pytest
from conftest import need

from cgiter_edu import Hierarchy, KernelConfig, shapes
from cgiter_edu import opencoded as oc

FLAGS = [0, 1, 2, 3, 4, 5, 6, 7, 8, 0xFFFFFFFF]


@pytest.fixture(scope="module")
def live_oc(require_live):
    from cgiter_edu.live import opencoded_kernel as lo
    need(lo.kernel_has_open_coded(), "this kernel has no bpf_iter_css_new (Linux 6.7+)")
    return lo


def fields(r):
    return (r.new_ret, r.records, r.drops, r.visited, r.retval)


def _tree():
    h = Hierarchy()
    for p in ("/a", "/a/b", "/a/c", "/a/c/d", "/e", "/f"):
        h.mkdir(p)
    h.kill("/a/b")
    h.kill("/f")
    return h


@pytest.mark.parametrize("make", [_tree, shapes.systemd_host], ids=["dead", "systemd"])
def test_css_iters_every_flag_and_start_as_the_kernel(live_oc, make):
    from cgiter_edu.live.mirror import Mirror

    h = make()
    starts = [None] + [c.id for c in h.cgroups()[1:] if not c.dead][:4]
    with Mirror(h) as m:
        for flags in FLAGS:
            for start in starts:
                k = live_oc.css_walk(m, flags, start)
                e = oc.css_walk(h, flags, start, trace=False)
                assert fields(k) == fields(e), (flags, start)
                if start is None:
                    k = live_oc.css_walk(m, flags, None, iter_prog=True)
                    e = oc.css_walk(h, flags, None, sec="iter/cgroup", trace=False)
                    assert (k.records, k.drops) == (e.records, e.drops), flags
    # the dead cgroups are in the open-coded walk, offline
    e = oc.css_walk(h, 2, trace=False)
    dead = {c.id for c in h.cgroups() if c.dead}
    assert dead and {r[0] for r in e.records if not r[1]} == dead


def test_css_iters_dead_start_is_no_cgroup(live_oc):
    from cgiter_edu.live.mirror import Mirror

    h = _tree()
    with Mirror(h) as m:
        k = live_oc.css_walk(m, 2, h.cgroup(3).id)          # /a/b, dead: from_id is NULL
    assert fields(k) == fields(oc.css_walk(h, 2, 3, trace=False)) == (0, [], 0, 0, 1)


@pytest.mark.parametrize("ring", [4096, 65536])
def test_css_iters_ring_buffer_drops_as_the_kernel(live_oc, ring):
    from cgiter_edu.live.mirror import Mirror

    h = shapes.balanced(1, 300)
    with Mirror(h) as m:
        k = live_oc.css_walk(m, 2, ring_size=ring)
    e = oc.css_walk(h, 2, ring_size=ring, trace=False)
    assert fields(k) == fields(e)
    assert (len(k.records), k.drops) == ((170, 131) if ring == 4096 else (301, 0))


@pytest.mark.parametrize("make, flags, read_size", [
    (shapes.systemd_host, 2, 131072), (shapes.systemd_host, 3, 131072),
    (lambda: shapes.balanced(1, 1000), 2, 4096),          # 9,009 bytes in 4 KiB reads
    (lambda: shapes.balanced(1, 4000), 2, 131072),        # 36,009 bytes: E2BIG
], ids=["systemd-pre", "systemd-post", "1001-read-4096", "4001-e2big"])
def test_css_iters_printed_from_cgroup_iter_hit_the_page_limit(live_oc, make, flags,
                                                               read_size):
    """The open-coded loop inside an iter/cgroup program, printing to the seq_file: one
    show() writes every record, so the 8 pages come back, all or nothing."""
    from cgiter_edu.live.mirror import Mirror

    h = make()
    with Mirror(h) as m:
        k = live_oc.print_walk(m, flags, read_size=read_size)
    e = oc.print_walk(h, flags, read_size=read_size, extra_reads=2)   # as the kernel side
    assert k == e.reads
    if len(h) == 4001:
        assert e.results[0] == "E2BIG"


_HOLDER = textwrap.dedent("""
    import sys, threading
    ev = threading.Event()
    ts = [threading.Thread(target=ev.wait) for _ in range(int(sys.argv[1]))]
    [t.start() for t in ts]
    print("ready", flush=True)
    sys.stdin.read()
""")


def test_css_iters_tasks_and_threads_as_the_kernel(live_oc):
    """Real processes (with threads) moved into mirrored cgroups: every flag walks the
    same tasks in the same order on both sides."""
    import os

    from cgiter_edu.live.mirror import Mirror

    h = Hierarchy()
    for p in ("/a", "/b"):
        h.mkdir(p)
    procs = []
    with Mirror(h) as m:
        try:
            for path, threads in (("/a", 3), ("/a", 0), ("/b", 2), ("/a", 1)):
                p = subprocess.Popen([sys.executable, "-c", _HOLDER, str(threads)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE)
                procs.append(p)
                assert p.stdout.readline() == b"ready\n"
                with open(m.abspath(h.id_of(path)) + "/cgroup.procs", "w") as f:
                    f.write(str(p.pid))
                tids = sorted(int(t) for t in os.listdir(f"/proc/{p.pid}/task"))
                h.spawn(path, "python3", pid=p.pid, tids=[t for t in tids if t != p.pid])
            for cid in (h.id_of("/a"), h.id_of("/b"), h.root.id):
                for flags in (0, 1, 3, 2, 4, 1 << 16):
                    k = live_oc.task_walk(m, cid, flags)
                    e = oc.task_walk(h, cid, flags, trace=False)
                    assert fields(k) == fields(e), (cid, flags)
            assert len(oc.task_walk(h, h.id_of("/a"), 0).records) == 4 + 1 + 2
        finally:
            for p in procs:
                p.kill()
                p.wait()


def _unlock_in_loop(ctx):
    cg = oc.bpf_cgroup_from_id(1)
    oc.bpf_rcu_read_lock()
    for _ in oc.bpf_for_each("css", cg.self, oc.BPF_CGROUP_ITER_DESCENDANTS_POST):
        oc.bpf_rcu_read_unlock()
        oc.bpf_rcu_read_lock()
    oc.bpf_rcu_read_unlock()
    oc.bpf_cgroup_release(cg)
    return 0


def running() -> KernelConfig:
    """The preset of the kernel this runs on (6.18 here, 6.12 in tests/test_vm.py's VM)."""
    import os

    return KernelConfig.preset(".".join(os.uname().release.split(".")[:2]))


EMULATED_MISTAKES = {
    "no_rcu": lambda h, k: oc.css_walk(h, 2, rcu_lock=False, kernel=k).load_error,
    "no_destroy": lambda h, k: oc.css_walk(h, 2, destroy=False, kernel=k).load_error,
    "untrusted_start": lambda h, k: oc.css_walk(h, 2, h.id_of("/a"), from_parent=True,
                                                kernel=k).load_error,
    "unlock_in_loop": lambda h, k: oc.prog_test_run(h, _unlock_in_loop, kernel=k).load_error,
    "tasks_in_tc": lambda h, k: oc.task_walk(h, 1, 0, sec="tc", kernel=k).load_error,
}


@pytest.mark.parametrize("name", list(EMULATED_MISTAKES))
def test_css_iters_verifier_refusals_in_its_own_words(live_oc, name):
    k = live_oc.refusal(name)
    e = EMULATED_MISTAKES[name](_tree(), running())
    norm = lambda s: re.sub(r"alloc_insn=\d+", "alloc_insn=N", s)  # noqa: E731
    assert (k.errno, norm(k.strerror)) == (e.errno, norm(e.strerror))


def test_without_open_coded_the_object_does_not_load(require_live):
    """On a kernel older than 6.7 (the 6.1 VM of tests/test_vm.py) libbpf refuses
    opencoded.bpf.c before the verifier: a kfunc it calls is not in the kernel's BTF,
    as the emulator's 6.1 preset says."""
    from cgiter_edu.live import libbpf
    from cgiter_edu.live import opencoded_kernel as lo
    from cgiter_edu.live.own import build_source

    if lo.kernel_has_open_coded():
        pytest.skip("this kernel has bpf_iter_css_new (6.7+): tests/test_vm.py runs this "
                    "in the 6.1 VM")
    with pytest.raises(OSError) as e:
        libbpf.BpfObject.load(build_source(lo.SOURCE.read_text()))
    text = "\n".join(libbpf.messages(50))
    m = re.search(r"extern \(func ksym\) '(\w+)': not found in kernel or module BTFs", text)
    assert m, text
    emu = oc.css_walk(_tree(), 2, kernel=KernelConfig.preset("6.1")).load_error
    assert emu.errno == errno.EINVAL == abs(e.value.errno), (e.value, text)
    assert emu.strerror.replace("bpf_cgroup_from_id", m.group(1)).endswith(m.group(0))


def test_6_1_has_no_open_coded_iterators():
    """Linux 6.1 (the 6.1 preset) has none of these kfuncs: libbpf stops at the first
    missing one before the verifier; 6.12 and 6.18 have them (6.7+)."""
    e = oc.css_walk(_tree(), 2, kernel=KernelConfig.preset("6.1")).load_error
    assert (e.errno, e.strerror) == (errno.EINVAL, "libbpf: extern (func ksym) "
                                     "'bpf_cgroup_from_id': not found in kernel or module BTFs")
    for k in ("6.12", "6.18"):
        assert oc.css_walk(_tree(), 2, kernel=KernelConfig.preset(k)).load_error is None
