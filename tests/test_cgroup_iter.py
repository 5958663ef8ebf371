"""kernel/cgroup_iter.py: attach checks and the orders; the kernel selftest's subtests
(tools/testing/selftests/bpf/prog_tests/cgroup_iter.c) with its expected strings;
cgroup_mutex held during each read()."""

import errno
import threading
import time

import pytest

from cgiter_edu import Hierarchy, KernelConfig, Order, attach, programs, run

PROLOGUE, EPILOGUE = "prologue\n", "epilogue\n"


@pytest.fixture
def st():
    """The selftest's cgroups: /parent with child1 and child2, fds open on each."""
    h = Hierarchy()
    ids = {"root": 1}
    for name, path in (("parent", "/parent"), ("child1", "/parent/child1"),
                       ("child2", "/parent/child2")):
        ids[name] = h.mkdir(path)
    fds = {"parent": h.open("/parent")}
    return h, ids, fds


def read_all(h, prog, order, **kw):
    with attach(h, prog, order, **kw) as link, link.create() as f:
        buf = b""
        while chunk := f.read(128 - len(buf)):
            buf += chunk
        assert f.read(128) == b""            # "read() after iter finishes should be ok"
        return buf.decode()


def expect(*ids):
    return PROLOGUE + "".join(f"{i:8d}\n" for i in ids) + EPILOGUE


def test_selftest_invalid_cgroup(st):
    h, ids, fds = st
    with pytest.raises(OSError) as e:
        attach(h, programs.id_printer, Order.UNSPEC, cgroup_fd=-1)   # (__u32)-1
    assert e.value.errno == errno.EINVAL     # order 0 is checked first
    with pytest.raises(OSError) as e:
        attach(h, programs.id_printer, Order.SELF_ONLY, cgroup_fd=-1)
    assert e.value.errno == errno.EBADF


def test_selftest_invalid_cgroup_spec(st):
    h, ids, fds = st
    with pytest.raises(OSError) as e:
        attach(h, programs.id_printer, Order.DESCENDANTS_PRE, cgroup_fd=fds["parent"],
               cgroup_id=ids["parent"])
    assert e.value.errno == errno.EINVAL


def test_selftest_preorder(st):
    h, ids, fds = st
    assert read_all(h, programs.id_printer, Order.DESCENDANTS_PRE, cgroup_fd=fds["parent"]) \
        == expect(ids["parent"], ids["child1"], ids["child2"])


def test_selftest_postorder(st):
    h, ids, fds = st
    assert read_all(h, programs.id_printer, Order.DESCENDANTS_POST, cgroup_fd=fds["parent"]) \
        == expect(ids["child1"], ids["child2"], ids["parent"])


def test_selftest_ancestors_up_walk(st):
    h, ids, fds = st
    prog = programs.IdPrinter(terminal_cgroup=ids["root"])
    assert read_all(h, prog, Order.ANCESTORS_UP, cgroup_fd=fds["parent"]) \
        == expect(ids["parent"], ids["root"])


def test_selftest_early_termination(st):
    h, ids, fds = st
    prog = programs.IdPrinter(terminate_early=True)
    assert read_all(h, prog, Order.DESCENDANTS_PRE, cgroup_fd=fds["parent"]) \
        == expect(ids["parent"])


def test_selftest_self_only(st):
    h, ids, fds = st
    assert read_all(h, programs.id_printer, Order.SELF_ONLY, cgroup_fd=fds["parent"]) \
        == expect(ids["parent"])


def test_selftest_dead_self_only():
    h = Hierarchy()
    h.mkdir("/dead")
    fd = h.open("/dead")
    link = attach(h, programs.id_printer, Order.SELF_ONLY, cgroup_fd=fd)
    f = link.create()
    link.close()                   # close link fd and cgroup fd ...
    fd.close()
    h.rmdir("/dead")               # ... and remove it: the file's reference keeps it, dead
    assert h.cgroup(2).dead
    assert f.read(128) == EPILOGUE.encode() and f.read(128) == b""
    f.close()
    assert 2 not in h              # the last reference went with the file


@pytest.mark.parametrize("order", [0, 6, 7, -1, 99])
def test_unknown_orders_are_einval(order):
    with pytest.raises(OSError) as e:
        attach(Hierarchy(), programs.id_printer, order)
    assert e.value.errno == errno.EINVAL and "not a cgroup_iter order" in e.value.strerror


def test_children_order_needs_linux_7():
    h = Hierarchy()
    for p in ("/a", "/a/x", "/b"):
        h.mkdir(p)
    with pytest.raises(OSError) as e:
        attach(h, programs.id_printer, Order.CHILDREN, kernel=KernelConfig.preset("6.18"))
    assert e.value.errno == errno.EINVAL and "7.0" in e.value.strerror
    r = run(h, programs.id_printer, Order.CHILDREN, kernel=KernelConfig.preset("7.0"))
    assert r.output == expect(2, 4).encode()
    r = run(h, programs.id_printer, Order.CHILDREN, "/b", kernel=KernelConfig.preset("7.0"))
    assert r.output == EPILOGUE.encode()         # no children: only the epilogue


def test_attach_errors_name_the_problem():
    h = Hierarchy()
    h.mkdir("/a")
    fd = h.open("/a")
    for kw, code, words in [
        ({"cgroup_id": 99}, errno.ENOENT, "no cgroup has id 99"),
        ({"cgroup_fd": 42}, errno.EBADF, "not an open cgroup"),
        ({"cgroup_fd": fd, "cgroup_id": 2}, errno.EINVAL, "at most one"),
    ]:
        with pytest.raises(OSError) as e:
            attach(h, programs.id_printer, Order.SELF_ONLY, **kw)
        assert e.value.errno == code and words in e.value.strerror
    h.rmdir("/a")                                   # fd keeps it: dead
    for kw in ({"cgroup_fd": fd}, {"cgroup_id": 2}):
        with pytest.raises(OSError) as e:
            attach(h, programs.id_printer, Order.SELF_ONLY, **kw)
        assert e.value.errno == errno.ENOENT
    fd.close()
    with pytest.raises(OSError) as e:
        attach(h, programs.id_printer, Order.SELF_ONLY, cgroup_fd=fd)
    assert e.value.errno == errno.EBADF
    with pytest.raises(TypeError):
        attach(h, "not a program", Order.SELF_ONLY)


def test_link_and_file_keep_the_start_cgroup():
    h = Hierarchy()
    h.mkdir("/a")
    link = attach(h, programs.id_printer, Order.SELF_ONLY, cgroup_id=2)
    f = link.create()
    h.rmdir("/a")
    link.close()
    assert 2 in h                 # the file holds the start cgroup
    with pytest.raises(OSError) as e:
        link.create()
    assert e.value.errno == errno.EBADF
    f.close()
    assert 2 not in h


def test_cgroup_mutex_is_held_during_each_read_and_a_mkdir_waits():
    h = Hierarchy()
    for i in range(3):
        h.mkdir(f"/c{i}")
    state = {}

    def prog(ctx):
        cg = ctx.cgroup
        if cg is None:                    # the epilogue runs after cgroup_iter_seq_stop
            state["thread"].join(5)       # dropped the mutex: the mkdir gets through now
            state["in_epilogue"] = "/new" in h
            return 0
        if cg.id == 1:
            t = threading.Thread(target=h.mkdir, args=("/new",))
            state["thread"] = t
            t.start()
        time.sleep(0.05)
        state.setdefault("during", []).append(("/new" in h, state["thread"].is_alive()))
        return 0

    with attach(h, prog, Order.DESCENDANTS_PRE) as link, link.create(trace=True) as f:
        f.read(4096)
        assert state["during"] == [(False, True)] * 4      # blocked for the whole walk
        assert state["in_epilogue"] is True
        kinds = [e.kind.value for e in f.trace]
        assert kinds.index("wait") < kinds.index("unlock") < kinds.index("acquired")
        wait = f.trace.of_kind(__import__("cgiter_edu").EventKind.WAIT)[0]
        assert wait.note == "mkdir /new"
    # the walk did not see /new: it was created after the mutex was dropped
    assert h.id_of("/new") == 5
