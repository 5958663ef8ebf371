"""kernel/bpf_iter.py: bpf_seq_read, exactly as the kernel reads -- the figures measured
on a real 6.18 kernel (docs/facts.md: what the kernel really does)."""

import errno

import pytest

from cgiter_edu import (
    BpfProgramError,
    EndReason,
    EventKind,
    Hierarchy,
    KernelConfig,
    Order,
    attach,
    programs,
    run,
)


def siblings(n):
    h = Hierarchy()
    h.mkdir("/p")
    for i in range(n):
        h.mkdir(f"/p/c{i}")
    return h


def results(r):
    return [n if n >= 0 else errno.errorcode[-n] for n, _ in r.reads]


@pytest.mark.parametrize("read_size,expected", [
    (131072, [32704, "EOPNOTSUPP"]),           # run() reads like cat: to the first error
    (32768, [32704, "EOPNOTSUPP"]),
    (4097, [4097, 63, "EOPNOTSUPP"]),
    (4096, [4096, "EOPNOTSUPP"]),
    (1000, [1000, 24, "EOPNOTSUPP"]),
])
def test_64_byte_records_on_600_siblings(read_size, expected):
    h = siblings(600)
    r = run(h, programs.Record(rec_bytes=64), Order.DESCENDANTS_PRE, "/p", read_size=read_size)
    got = [x.replace("ENOTSUP", "EOPNOTSUPP") if isinstance(x, str) else x for x in results(r)]
    assert got == expected
    assert len(r.output) % 64 == 0


def test_1364_siblings_of_24_bytes_fit_exactly():
    r = run(siblings(1364), programs.Record(rec_bytes=24), Order.DESCENDANTS_PRE, "/p",
            read_size=131072)
    assert [n for n, _ in r.reads] == [32767, 0]
    assert r.output.endswith(b"E 1364\n")


def test_1400_siblings_of_24_bytes_do_not():
    r = run(siblings(1400), programs.Record(rec_bytes=24), Order.DESCENDANTS_PRE, "/p",
            read_size=131072)
    assert [n for n, _ in r.reads] == [32760, -errno.EOPNOTSUPP]


def test_epilogue_that_does_not_fit_comes_alone_in_the_next_read():
    r = run(siblings(30), programs.Record(rec_bytes=1057), Order.DESCENDANTS_PRE, "/p",
            read_size=131072)
    assert [n for n, _ in r.reads] == [32767, 5, 0]
    assert r.reads[1][1] == b"E 30\n"


def test_first_object_of_eight_pages_is_e2big():
    h = siblings(2)
    prog = programs.Record(rec_bytes=24, big=(h.id_of("/p"), 8))
    r = run(h, prog, Order.DESCENDANTS_PRE, "/p", read_size=131072, extra_reads=2)
    assert [n for n, _ in r.reads] == [-errno.E2BIG, -errno.EOPNOTSUPP, -errno.EOPNOTSUPP]


def test_read_size_ends_the_session_and_leftovers_come_first():
    h = siblings(3)
    r = run(h, programs.Record(rec_bytes=24), Order.DESCENDANTS_PRE, "/p", read_size=7)
    # the first object (24 bytes) is shown; then count >= 7 stops the walk before the next
    assert [n for n, _ in r.reads] == [7, 7, 7, 3, -95]
    assert r.output == b"C 0000000002 0000000000\n"


def test_eagain_at_max_iter_objects_with_nothing_written():
    k = KernelConfig(max_iter_objects=5)
    h = siblings(10)
    r = run(h, programs.silent, Order.DESCENDANTS_PRE, "/p", kernel=k, extra_reads=2)
    assert [n for n, _ in r.reads] == [-errno.EAGAIN, -errno.EOPNOTSUPP, -errno.EOPNOTSUPP]
    # with something written, the read returns it instead
    r = run(h, programs.Record(rec_bytes=24), Order.DESCENDANTS_PRE, "/p", kernel=k)
    assert [n for n, _ in r.reads][0] == 5 * 24


def test_eof_for_ever_after_a_complete_walk():
    with attach(siblings(1), programs.id_printer, Order.DESCENDANTS_PRE) as link:
        f = link.create()
        assert f.read(4096).startswith(b"prologue")
        assert [f.read(4096) for _ in range(3)] == [b"", b"", b""]


def test_each_create_is_a_fresh_session_with_its_own_id():
    with attach(siblings(1), programs.id_printer, Order.DESCENDANTS_PRE) as link:
        f1, f2 = link.create(), link.create()
        assert f1.read(4096) == f2.read(4096)
        assert f2.priv.session_id == f1.priv.session_id + 1


def test_epilogue_sees_the_seq_num_of_the_last_object():
    r = run(siblings(2), programs.Record(rec_bytes=24), Order.DESCENDANTS_PRE, "/p")
    assert r.output.endswith(b"E 2\n")


def test_dead_cgroups_use_up_a_seq_num():
    h = siblings(3)
    h.kill("/p/c1")
    r = run(h, programs.Record(rec_bytes=24), Order.DESCENDANTS_PRE, "/p")
    lines = r.output.decode().splitlines()
    assert lines == ["C 0000000002 0000000000", "C 0000000003 0000000001",
                     "C 0000000005 0000000003", "E 3"]


def test_read_zero_gives_empty_bytes():
    with attach(siblings(1), programs.id_printer, Order.DESCENDANTS_PRE) as link:
        f = link.create()
        assert f.read(0) == b""


def test_negative_read_is_einval_and_closed_is_ebadf():
    with attach(siblings(1), programs.id_printer, Order.DESCENDANTS_PRE) as link:
        f = link.create()
        with pytest.raises(OSError) as e:
            f.read(-1)
        assert e.value.errno == errno.EINVAL
        f.close()
        with pytest.raises(OSError) as e:
            f.read(10)
        assert e.value.errno == errno.EBADF
        with pytest.raises(TypeError):
            link.create().read("10")


def test_a_program_that_raises():
    h = siblings(3)
    before = h.to_dict()

    def prog(ctx):
        if ctx.cgroup is not None and ctx.cgroup.name == "c1":
            raise ZeroDivisionError("boom")
        return 0

    with attach(h, prog, Order.DESCENDANTS_PRE, cgroup_id=h.id_of("/p")) as link:
        f = link.create(trace=True)
        with pytest.raises(BpfProgramError) as e:
            f.read(4096)
        assert "/p/c1" in str(e.value) and "ZeroDivisionError" in str(e.value)
        assert isinstance(e.value.__cause__, ZeroDivisionError)
        assert not h.cgroup_mutex.locked()
        assert h.to_dict() == before
        h.mkdir("/after")                  # the mutex really is free
        with pytest.raises(OSError) as e2:
            f.read(4096)
        assert e2.value.errno == errno.EOPNOTSUPP
        assert f.trace.end_reason.value == "program_error"


def test_a_program_returning_a_non_int_is_a_type_error():
    h = siblings(1)
    with attach(h, lambda ctx: "yes", Order.SELF_ONLY) as link:
        f = link.create()
        with pytest.raises(TypeError, match="returned 'yes'.*on cgroup / "):
            f.read(4096)
        assert not h.cgroup_mutex.locked()
        with pytest.raises(OSError) as e:
            f.read(4096)
        assert e.value.errno == errno.EOPNOTSUPP


def test_bool_return_is_accepted():
    h = siblings(2)
    r = run(h, lambda ctx: ctx.cgroup is not None, Order.DESCENDANTS_PRE)
    assert [n for n, _ in r.reads] == [0]


@pytest.mark.parametrize("ret", [2, 7, -1, 1 << 40])
def test_a_program_may_return_only_0_or_1(ret):
    """The verifier refuses an iterator program whose R0 is not in [0, 1] ("should have
    been in [0, 1]"); the emulator says so, naming the cgroup."""
    h = siblings(2)

    def prog(ctx):
        return ret if ctx.cgroup is not None and ctx.cgroup.name == "c1" else 0

    with attach(h, prog, Order.DESCENDANTS_PRE, cgroup_id=h.id_of("/p")) as link:
        f = link.create(trace=True)
        with pytest.raises(BpfProgramError, match=rf"returned {ret} on cgroup /p/c1 \(id 4\).*"
                                                  r"should have been in \[0, 1\]"):
            f.read(4096)
        assert not h.cgroup_mutex.locked()
        assert [e.ret for e in f.trace.of_kind(EventKind.SHOW)] == [0, 0]  # p, c0


def test_true_and_false_are_1_and_0_and_1_stops():
    h = siblings(3)

    def prog(ctx):
        return ctx.cgroup is not None and ctx.cgroup.name == "c1"

    r = run(h, prog, Order.DESCENDANTS_PRE, "/p", trace=True, read_size=4096)
    shows = r.trace.of_kind(EventKind.SHOW)
    assert [(e.cgroup, e.ret) for e in shows] == [(2, 0), (3, 0), (4, 1), (None, 0)]
    assert all(type(e.ret) is int for e in shows)
    assert r.trace.end_reason.value == "program"


def test_bpf_iter_run_prog_turns_1_into_eagain():
    """kernel/bpf/bpf_iter.c: "return ret == 0 ? 0 : -EAGAIN"."""
    from cgiter_edu.kernel.bpf_iter import BpfProg, bpf_iter_run_prog

    class Seq:
        tracer = None

    class Ctx:
        cgroup = None

        class meta:
            seq = Seq()

    assert bpf_iter_run_prog(BpfProg(lambda ctx: 0), Ctx()) == 0
    assert bpf_iter_run_prog(BpfProg(lambda ctx: 1), Ctx()) == -errno.EAGAIN


def _error_target(fail_at):
    """A target whose next() returns ERR_PTR(-EIO) at the ``fail_at``-th object: the
    IS_ERR branches of bpf_seq_read that cgroup_iter's own next() never takes."""
    from cgiter_edu.kernel import bpf_iter
    from cgiter_edu.kernel.cgroup_iter import bpf_cgroup_reg_info

    cg = bpf_cgroup_reg_info.seq_info
    calls = []

    def nxt(seq, v):
        if seq.index + 1 == fail_at:
            seq.index += 1
            return -errno.EIO
        return cg.seq_ops.next(seq, v)

    def stop(seq, v):
        calls.append(v)
        cg.seq_ops.stop(seq, v)

    ops = bpf_iter.SeqOperations(cg.seq_ops.start, nxt, stop, cg.seq_ops.show)
    info = bpf_iter.BpfIterSeqInfo(ops, cg.init_seq_private, cg.fini_seq_private,
                                   cg.seq_priv, cg.ctx)
    reg = bpf_iter.BpfIterReg("cgroup", bpf_cgroup_reg_info.attach_target,
                              bpf_cgroup_reg_info.detach_target, info)
    return reg, calls


def _attach_to(h, reg):
    """bpf_iter_link_attach() of id_printer on the target ``reg`` from cgroup 2, in
    pre-order, as the link fd a user holds."""
    from cgiter_edu.iterfile import IterLink
    from cgiter_edu.kernel.bpf_iter import BpfProg, bpf_iter_link_attach
    from cgiter_edu.kernel.cgroup_iter import BpfIterAuxInfo, BpfIterLinkInfo
    from cgiter_edu.kernel.config import DEFAULT

    link = bpf_iter_link_attach(h, BpfProg(programs.id_printer), BpfIterLinkInfo(2, 0, 2),
                                reg, BpfIterAuxInfo(None, 0), DEFAULT)
    return IterLink(h, link, programs.id_printer)


def test_an_error_pointer_from_next_is_returned_and_the_bytes_wait_for_the_next_read():
    """``if (IS_ERR_OR_NULL(p)) break;`` then ``stop:``'s first branch (Linux 6.1+):
    ``stop(seq, NULL)`` -- for cgroup_iter the epilogue call, which drops the mutex and
    sets visited_all -- nothing copied, read() returns the error.  seq->count is kept, so
    the next read() hands out the walk's bytes and the epilogue's from offset 0 without
    start(); done_stop was never set, so the read() after that runs the epilogue again
    (start() gives NULL: visited_all), and then the file is at its end."""
    h = siblings(3)
    reg, calls = _error_target(fail_at=3)
    link = _attach_to(h, reg)
    with link, link.create(trace=True) as f:
        with pytest.raises(OSError) as e:
            f.read(4096)
        assert e.value.errno == errno.EIO and f.pos == 0
        assert calls == [None] and not h.cgroup_mutex.locked()
        assert f.seq.count == 36 and not f.priv.done_stop
        assert f.read(4096) == b"prologue\n       2\n       3\nepilogue\n"
        assert calls == [None]                      # leftovers: no start(), no stop()
        assert f.read(4096) == b"epilogue\n"        # the epilogue once more
        assert calls == [None, None] and f.priv.done_stop
        assert f.read(4096) == b"" and f.pos == 45
    t = f.trace
    nexts = t.of_kind(EventKind.NEXT)
    assert nexts[-1].errno == errno.EIO and nexts[-1].cgroup is None
    first = [e.kind for e in t if e.read_no == 0]
    assert first[-5:] == [EventKind.NEXT, EventKind.END, EventKind.UNLOCK, EventKind.SHOW,
                          EventKind.RETURN]
    assert t.end_reason is EndReason.NEXT_ERROR
    assert t.reads[0].result == -errno.EIO and t.reads[0].count_after == 36
    # the records of the failed read() are not lost: the next read() delivers them
    assert t.counts()["delivered"] == 2 and t.counts()["lost"] == 0


def test_an_error_pointer_from_next_with_a_small_read_size():
    """The error read() copies nothing even when the user's size is smaller than what
    the buffer holds; the following reads hand the bytes out size by size."""
    h = siblings(3)
    reg, _calls = _error_target(fail_at=2)
    link = _attach_to(h, reg)
    with link, link.create() as f:
        with pytest.raises(OSError) as e:
            f.read(10)
        assert e.value.errno == errno.EIO
        assert [f.read(10) for _ in range(3)] == [b"prologue\n ", b"      2\nep",
                                                  b"ilogue\n"]
        assert f.read(10) == b"epilogue\n" and f.read(10) == b""


def test_closing_the_link_releases_it_at_once_and_the_file_still_walks():
    """prepare_seq_file() pins the program, not the link; cgroup_iter_seq_init() takes the
    file's own reference on the start cgroup."""
    h = siblings(2)
    start = h.cgroup_root.by_id[h.id_of("/p")]
    base = start.refcnt
    link = attach(h, programs.id_printer, Order.DESCENDANTS_PRE, cgroup_id=start.cgroup_id)
    assert start.refcnt == base + 1                          # the link's
    f = link.create()
    assert start.refcnt == base + 2 and link.bpf_prog.refcnt == 2
    link.close()
    assert start.refcnt == base + 1 and link.bpf_prog.refcnt == 1   # released at once
    assert f.read(4096) == b"prologue\n       2\n       3\n       4\nepilogue\n"
    for p in ("/p/c0", "/p/c1", "/p"):
        h.rmdir(p)
    assert h.cgroup(2).dead                                  # the file's reference holds it
    f.close()
    assert link.bpf_prog.refcnt == 0 and 2 not in h
