"""The open-coded css iterators (bpf_iter_css_*, bpf_iter_css_task_*), the BPF ring buffer
and the verifier's rules, emulated (tests/test_live_opencoded.py compares with the kernel)."""

import errno
import json

import pytest

from cgiter_edu import Hierarchy, KernelConfig, Order, attach, shapes
from cgiter_edu.kernel.ringbuf import bpf_ringbuf_output, ringbuf_map_alloc
from cgiter_edu.opencoded import (
    CSS_ONLINE,
    CSS_TASK_ITER_PROCS,
    CSS_TASK_ITER_THREADED,
    BpfIterCss,
    RingBuffer,
    bpf_cgroup_from_id,
    bpf_cgroup_release,
    bpf_for_each,
    bpf_iter_css_destroy,
    bpf_iter_css_new,
    bpf_iter_css_next,
    bpf_rcu_read_lock,
    bpf_rcu_read_unlock,
    css_walk,
    prog_test_run,
    task_walk,
)
from cgiter_edu.opencoded import (
    bpf_ringbuf_output as output,
)

PRE, POST, UP = Order.DESCENDANTS_PRE, Order.DESCENDANTS_POST, Order.ANCESTORS_UP


@pytest.fixture
def tree():
    """/a (/a/b dead, /a/c), /d: a dead cgroup in the middle."""
    h = Hierarchy()
    for p in ("/a", "/a/b", "/a/c", "/d"):
        h.mkdir(p)
    h.kill("/a/b")
    return h


def ids(r):
    return [rec[0] for rec in r.records]


def test_orders_see_dead_cgroups_which_cgroup_iter_skips(tree):
    r = css_walk(tree, PRE)
    assert (r.new_ret, ids(r), r.drops, r.retval) == (0, [1, 2, 3, 4, 5], 0, 0)
    assert [rec[1] for rec in r.records] == [CSS_ONLINE, CSS_ONLINE, 0, CSS_ONLINE, CSS_ONLINE]
    assert [rec[2] for rec in r.records] == [0, 1, 2, 2, 1]
    assert ids(css_walk(tree, POST)) == [3, 4, 2, 5, 1]
    assert ids(css_walk(tree, UP, start_id=4)) == [4, 2, 1]
    assert ids(css_walk(tree, PRE, start_id=2)) == [2, 3, 4]
    # cgroup_iter: the dead /a/b is skipped without calling the program
    out = attach(tree, lambda ctx: 0 if ctx.cgroup is None else
                 ctx.meta.seq.printf("%llu ", ctx.cgroup.id), PRE).create().read(4096)
    assert out == b"1 2 4 5 "


@pytest.mark.parametrize("flags", [0, 1, 5, 6, 7, -1])
def test_other_flags_are_einval_and_the_loop_runs_zero_times(tree, flags):
    for kernel in ("6.18", "7.0"):            # CHILDREN (5) is cgroup_iter's, not new()'s
        r = css_walk(tree, flags, kernel=KernelConfig.preset(kernel))
        assert (r.new_ret, r.records, r.visited, r.retval) == (-errno.EINVAL, [], 0, 0)
        assert [e.kind for e in r.trace][:4] == ["from_id", "rcu_lock", "new", "next"]
        assert r.trace.visit_order() == []


def test_ring_buffer_drops_records_it_has_no_room_for():
    h = shapes.balanced(1, 300)                      # 301 cgroups
    r = css_walk(h, PRE, ring_size=4096)
    # 16-byte record + 8-byte header = 24 bytes; at most 4095 bytes used: 170 fit
    assert (r.visited, len(r.records), r.drops) == (301, 170, 131)
    assert ids(r) == list(range(1, 171))
    assert r.trace.dropped() == list(range(171, 302))
    out = [e for e in r.trace if e.kind == "output"]
    assert (out[169].used_after, out[170].ret, out[170].used_after) == (4080, -errno.EAGAIN, 4080)
    r = css_walk(h, PRE, ring_size=8192)
    assert (len(r.records), r.drops) == (301, 0)


def test_ring_buffer_kernel_rules():
    rb = ringbuf_map_alloc(4096)
    assert [bpf_ringbuf_output(rb, b"x" * 8) for _ in range(256)].count(-errno.EAGAIN) == 1
    assert bpf_ringbuf_output(rb, b"", 4) == -errno.EINVAL
    assert len(rb.consume()) == 255 and rb.consume() == []
    assert bpf_ringbuf_output(rb, b"y" * 4088) == -errno.EAGAIN    # 4096 with the header
    assert bpf_ringbuf_output(rb, b"y" * 4080) == 0 and rb.avail_data() == 4088
    for bad in (0, 4097, 6144, 2048):
        with pytest.raises(OSError) as e:
            RingBuffer(bad)
        assert e.value.errno == errno.EINVAL
    assert RingBuffer(65536).capacity(16) == 2730


@pytest.mark.parametrize("kw, code, msg", [
    (dict(rcu_lock=False), errno.EACCES,
     "kernel func bpf_iter_css_new requires RCU critical section protection"),
    (dict(destroy=False), errno.EINVAL, "Unreleased reference id=3 alloc_insn=3\n"
     "BPF_EXIT instruction in main prog would lead to reference leak"),
    (dict(from_parent=True), errno.EINVAL, "R2 must be referenced or trusted"),
])
def test_verifier_refusals(tree, kw, code, msg):
    r = css_walk(tree, PRE, start_id=2, **kw)
    assert (r.load_error.errno, r.load_error.strerror) == (code, msg)
    assert r.records == [] and r.retval is None
    assert r.trace.events[-1].kind == "refused"


def test_before_6_18_new_loads_and_next_is_refused(tree):
    """Seen on 6.12.118 (tests/test_vm.py): no RCU section, and bpf_iter_css_new passes
    but the first next is refused; a leak is reported in one line."""
    k = KernelConfig.preset("6.12")
    e = css_walk(tree, PRE, rcu_lock=False, kernel=k).load_error
    assert (e.errno, e.strerror) == (errno.EPROTO,
                                     "expected an RCU CS when using bpf_iter_css_next")
    e = css_walk(tree, PRE, destroy=False, kernel=k).load_error
    assert (e.errno, e.strerror) == (errno.EINVAL, "Unreleased reference id=3 alloc_insn=3")
    assert css_walk(tree, 7, rcu_lock=False, kernel=k).load_error.errno == errno.EPROTO


def test_non_sleepable_programs_are_in_an_rcu_section(tree):
    for sec in ("iter/cgroup", "lsm/socket_connect", "fentry/x", "tc"):
        assert ids(css_walk(tree, PRE, sec=sec, rcu_lock=False)) == [1, 2, 3, 4, 5]
    for sec in ("iter.s/cgroup", "lsm.s/socket_connect", "fentry.s/x", "syscall"):
        assert css_walk(tree, PRE, sec=sec, rcu_lock=False).load_error.errno == errno.EACCES
    with pytest.raises(ValueError, match="section 'xdp'"):
        css_walk(tree, PRE, sec="xdp")


def test_rcu_unlock_inside_the_loop_invalidates_the_iterator(tree):
    def prog(ctx):
        cg = bpf_cgroup_from_id(1)
        bpf_rcu_read_lock()
        for _ in bpf_for_each("css", cg.self, POST):
            bpf_rcu_read_unlock()
            bpf_rcu_read_lock()
        bpf_rcu_read_unlock()
        bpf_cgroup_release(cg)
        return 0
    r = prog_test_run(tree, prog)
    assert r.load_error.strerror == "expected an RCU CS when using bpf_iter_css_next"


def test_missing_unlock_and_release(tree):
    def no_unlock(ctx):
        cg = bpf_cgroup_from_id(1)
        bpf_rcu_read_lock()
        bpf_cgroup_release(cg)
        return 0

    def no_release(ctx):
        bpf_cgroup_from_id(1)
        return 0
    assert prog_test_run(tree, no_unlock).load_error.strerror == (
        "BPF_EXIT instruction in main prog cannot be used inside bpf_rcu_read_lock-ed region")
    assert prog_test_run(tree, no_release).load_error.strerror.startswith(
        "Unreleased reference id=2 alloc_insn=1")


def test_refused_program_leaves_the_ring_buffer_as_it_was(tree):
    rb = RingBuffer(4096)

    def prog(ctx):
        output(rb, b"12345678")
        cg = bpf_cgroup_from_id(1)
        bpf_iter_css_new(BpfIterCss(), cg.self, PRE)      # no RCU section: refused
        return 0
    r = prog_test_run(tree, prog, ringbufs=(rb,))
    assert r.load_error.errno == errno.EACCES and rb.consume() == [] and rb.dropped == 0


def test_for_each_destroys_on_break_and_explicit_form(tree):
    seen = []

    def prog(ctx):
        cg = bpf_cgroup_from_id(1)
        bpf_rcu_read_lock()
        for pos in bpf_for_each("css", cg.self, PRE):
            seen.append(pos.cgroup.id)
            if pos.cgroup.id == 3:
                break
        it = BpfIterCss()
        bpf_iter_css_new(it, cg.self, UP)
        seen.append(bpf_iter_css_next(it).cgroup.id)
        seen.append(bpf_iter_css_next(it))
        bpf_iter_css_destroy(it)
        bpf_rcu_read_unlock()
        bpf_cgroup_release(cg)
        return 0
    r = prog_test_run(tree, prog)
    assert r.loaded and seen == [1, 2, 3, 1, None]
    assert [e.kind for e in r.trace].count("destroy") == 2


def test_kernel_6_1_has_no_such_kfuncs(tree):
    r = css_walk(tree, PRE, kernel=KernelConfig.preset("6.1"))
    assert r.load_error.errno == errno.EINVAL
    assert r.load_error.strerror == ("libbpf: extern (func ksym) 'bpf_cgroup_from_id': not "
                                     "found in kernel or module BTFs")
    assert css_walk(tree, PRE, kernel=KernelConfig.preset("6.12")).load_error is None


def test_kfunc_outside_a_program():
    with pytest.raises(RuntimeError, match="outside a BPF program"):
        bpf_rcu_read_lock()


def test_task_iterator_flags():
    h = Hierarchy()
    h.mkdir("/a")
    p1 = h.spawn("/a", "nginx", threads=2)
    p2 = h.spawn("/a", "sleep")
    a = h.id_of("/a")
    every = [(p1, p1), (p1 + 1, p1), (p1 + 2, p1), (p2, p2)]
    assert task_walk(h, a, 0).records == every
    assert task_walk(h, a, CSS_TASK_ITER_PROCS).records == [(p1, p1), (p2, p2)]
    assert task_walk(h, a, CSS_TASK_ITER_PROCS | CSS_TASK_ITER_THREADED).records == [
        (p1, p1), (p2, p2)]
    for bad in (CSS_TASK_ITER_THREADED, 4, 1 << 16):
        r = task_walk(h, a, bad)
        assert (r.new_ret, r.records) == (-errno.EINVAL, [])
    assert task_walk(h, 1, 0).records == []
    h.mkdir("/b")
    h.move(p1, "/b")
    assert task_walk(h, a, 0).records == [(p2, p2)]
    assert task_walk(h, h.id_of("/b"), 0).records == every[:3]


def test_task_iterator_program_types():
    h = shapes.systemd_host()
    cid = h.id_of("/system.slice/containerd.service")
    assert len(task_walk(h, cid, 0).records) == 10
    for sec in ("iter/cgroup", "lsm/x", "lsm.s/x", "fentry.s/x", "iter.s/cgroup"):
        assert task_walk(h, cid, 0, sec=sec).load_error is None
    for sec in ("tc", "fentry/x"):
        e = task_walk(h, cid, 0, sec=sec).load_error
        assert (e.errno, e.strerror) == (
            errno.EINVAL, "css_task_iter is only allowed in bpf_lsm, bpf_iter and sleepable progs")


def test_processes_in_the_model():
    h = Hierarchy()
    h.mkdir("/a")
    pid = h.spawn("/a", "x", threads=1)
    with pytest.raises(OSError) as e:
        h.rmdir("/a")
    assert e.value.errno == errno.EBUSY
    with pytest.raises(OSError) as e:
        h.spawn("/a", "y", pid=pid + 1)
    assert e.value.errno == errno.EEXIST
    with pytest.raises(OSError) as e:
        h.move(4242, "/a")
    assert e.value.errno == errno.ESRCH
    h.exit(pid)
    h.rmdir("/a")
    assert h.procs(1) == []


@pytest.mark.parametrize("make", [shapes.systemd_host, shapes.kubernetes_node])
def test_shapes_have_processes_and_round_trip(make):
    h = make()
    assert sum(len(h.tasks(c.id)) for c in h.cgroups()) > len(h.cgroups()) // 2
    back = Hierarchy.from_json(h.to_json())
    assert back == h
    assert [[(t.pid, t.tgid, t.comm) for t in back.tasks(c.id)] for c in back.cgroups()] == \
        [[(t.pid, t.tgid, t.comm) for t in h.tasks(c.id)] for c in h.cgroups()]


def test_systemd_shape_processes():
    h = shapes.systemd_host()
    assert h.procs("/init.scope") == [1]
    assert [t.comm for t in h.tasks("/system.slice/sshd.service")] == ["sshd"]
    assert h.tasks(h.held and next(iter(h.held))) == []          # the dead session is empty
    assert shapes.systemd_host(procs=False).to_dict()["cgroups"][0] == {
        "id": 2, "name": "init.scope", "parent": 1}


@pytest.mark.parametrize("procs, words", [
    ("x", "must be a list"), ([{"pid": 5}], "needs"),
    ([{"pid": 5, "comm": "a"}, {"pid": 5, "comm": "b"}], "already in use"),
    ([{"pid": 0, "comm": "a"}], "pid_max"),
])
def test_json_rejects_bad_processes(procs, words):
    d = json.loads(Hierarchy().to_json())
    d["root_procs"] = procs
    with pytest.raises(ValueError, match=words):
        Hierarchy.from_dict(d)


def test_task_iterator_allocation_failure_is_enomem():
    """bpf_iter_css_task_new allocates (bpf_mem_alloc); when that fails: -ENOMEM, NULL."""
    from cgiter_edu.opencoded import (
        BpfIterCssTask,
        bpf_iter_css_task_destroy,
        bpf_iter_css_task_new,
        bpf_iter_css_task_next,
    )

    h = Hierarchy()
    h.mkdir("/a")
    h.spawn("/a", "x")
    got = []

    def prog(ctx):
        cg = bpf_cgroup_from_id(2)
        it = BpfIterCssTask(fail_alloc=True)
        got.append(bpf_iter_css_task_new(it, cg.self, 0))
        got.append(bpf_iter_css_task_next(it))
        bpf_iter_css_task_destroy(it)
        bpf_cgroup_release(cg)
        return 0
    r = prog_test_run(h, prog)
    assert r.loaded and got == [-errno.ENOMEM, None]
