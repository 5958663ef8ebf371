"""hierarchy.py and shapes.py: the contract, names, dead cgroups, JSON, sysfs."""

import errno
import json
import os

import pytest

from cgiter_edu import Hierarchy, Order, attach, programs, shapes


def oserr(code, fn, *a, **kw):
    with pytest.raises(OSError) as e:
        fn(*a, **kw)
    assert e.value.errno == code, e.value
    return e.value


def test_contract_basics():
    h = Hierarchy()
    assert h.root.id == 1 and h.path_of(1) == "/" and list(h.graph.nodes) == [1]
    a = h.mkdir("/a")
    assert a == 2
    assert h.mkdir("/a/b", cgroup_id=63) == 63
    assert h.mkdir("/c") == 64                       # ids grow past an explicit one
    assert h.id_of("/a/b") == 63 and h.path_of(63) == "/a/b"
    with pytest.raises(KeyError):
        h.id_of("/nope")
    with pytest.raises(KeyError):
        h.path_of(999)
    fd = h.open("/a")
    assert int(fd) >= 3
    assert list(h.graph.successors(1)) == [2, 64]
    assert list(h.graph.edges) == [(1, 2), (1, 64), (2, 63)]
    v = h.cgroup(63)
    assert (v.id, v.name, v.path, v.level, v.parent.id, v.dead) == (63, "b", "/a/b", 2, 2, False)
    with pytest.raises(AttributeError):
        v.name = "x"
    fd.close()


def test_rmdir_errors():
    h = Hierarchy()
    h.mkdir("/a")
    h.mkdir("/a/b")
    oserr(errno.EBUSY, h.rmdir, "/a")
    oserr(errno.ENOENT, h.rmdir, "/zz")
    oserr(errno.EBUSY, h.rmdir, "/")
    h.rmdir("/a/b")
    h.rmdir("/a")
    assert list(h.graph.nodes) == [1]


def test_dead_until_the_last_reference_and_recreated_names():
    h = Hierarchy()
    h.mkdir("/a")
    h.mkdir("/a/x")
    h.mkdir("/a/y")
    fd = h.open("/a/x")
    link = attach(h, programs.silent, Order.SELF_ONLY, cgroup_fd=fd)   # holds /a/x
    fd.close()
    h.rmdir("/a/x")
    assert h.cgroup(3).dead and h.graph.nodes[3]["dead"]
    assert [c.id for c in h.children("/a")] == [3, 4]       # still on the list
    oserr(errno.ENOENT, h.open, "/a/x")
    new = h.mkdir("/a/x")                                   # a new cgroup, new id, at the end
    assert new == 5 and [c.id for c in h.children("/a")] == [3, 4, 5]
    assert h.id_of("/a/x") == 5
    link.close()
    assert [c.id for c in h.children("/a")] == [4, 5]
    assert list(h.graph.successors(2)) == [4, 5]
    assert h.mkdir("/a/z") == 6                             # ids are never reused


def test_an_open_fd_pins_nothing():
    """As on the kernel: open + rmdir, and the cgroup is gone; attaching with the fd is
    ENOENT."""
    h = Hierarchy()
    h.mkdir("/a")
    fd = h.open("/a")
    h.rmdir("/a")
    assert "/a" not in h and 2 not in h and list(h.graph.nodes) == [1]
    oserr(errno.ENOENT, attach, h, programs.silent, Order.SELF_ONLY, cgroup_fd=fd)
    fd.close()


def test_kill_holds_what_a_link_would_and_release_drops_it():
    h = Hierarchy()
    h.mkdir("/a")
    fd = h.kill("/a")
    assert h.cgroup(2).dead and h.held == {2: fd}
    fd.close()                                              # the fd pins nothing
    assert h.cgroup(2).dead and 2 in h.held
    h.release(2)
    assert 2 not in h and h.held == {}


@pytest.mark.parametrize("path,code", [
    ("/.", errno.EEXIST), ("/..", errno.EEXIST), ("/" + "x" * 256, errno.ENAMETOOLONG),
    ("/a\nb", errno.EINVAL), ("relative", errno.EINVAL), ("/a//b", errno.EINVAL),
    ("/missing/child", errno.ENOENT), ("/", errno.EEXIST),
])
def test_bad_names(path, code):
    h = Hierarchy()
    before = h.to_dict()
    oserr(code, h.mkdir, path)
    assert h.to_dict() == before


def test_255_bytes_is_fine_and_ids_are_checked():
    h = Hierarchy()
    h.mkdir("/" + "é" * 127)                      # 254 bytes
    h.mkdir("/a", cgroup_id=10)
    before = h.to_dict()
    oserr(errno.EEXIST, h.mkdir, "/b", cgroup_id=10)
    oserr(errno.EEXIST, h.mkdir, "/a")
    oserr(errno.EINVAL, h.mkdir, "/b", cgroup_id=0)
    oserr(errno.EINVAL, h.mkdir, "/b", cgroup_id=-3)
    with pytest.raises(TypeError):
        h.mkdir("/b", cgroup_id="7")
    assert h.to_dict() == before


def test_json_round_trip_is_exact(tmp_path):
    h = shapes.random(120, seed=3, dead=0.2)
    h.mkdir("/late")
    h.kill("/late")
    h.mkdir("/late")                          # a live and a dead /late, side by side
    p = tmp_path / "h.json"
    h.to_json(p)
    g = Hierarchy.from_json(p)
    assert g.to_dict() == h.to_dict()
    assert [(c.id, c.path, c.dead) for c in g] == [(c.id, c.path, c.dead) for c in h]
    kids = lambda x: {n: list(x.graph.successors(n)) for n in x.graph}  # noqa: E731
    assert kids(g) == kids(h)
    assert g.mkdir("/next") == h.mkdir("/next")          # the same next id
    assert set(g.held) == {c.id for c in g if c.dead}


@pytest.mark.parametrize("mutate,words", [
    (lambda d: d["cgroups"].append(dict(d["cgroups"][0])), "duplicate id"),
    (lambda d: d["cgroups"].append({"id": 99, "name": "x", "parent": 12345}), "unknown parent"),
    (lambda d: d["cgroups"].extend([{"id": 98, "name": "p", "parent": 99},
                                    {"id": 99, "name": "q", "parent": 98}]), "cycle"),
    (lambda d: d["cgroups"].append({"id": 97, "name": "a/b", "parent": 1}), "entry"),
    (lambda d: d["cgroups"].append({"id": 96, "name": d["cgroups"][0]["name"], "parent": 1}),
     "duplicate live"),
    (lambda d: d.update(format="nope"), "not a saved hierarchy"),
])
def test_json_rejects_bad_input(mutate, words):
    d = shapes.systemd_host(dead=False).to_dict()
    mutate(d)
    with pytest.raises(ValueError, match=words):
        Hierarchy.from_dict(json.loads(json.dumps(d)))
    with pytest.raises(ValueError, match="not valid JSON"):
        Hierarchy.from_json("{not json")


def test_shapes():
    h = shapes.systemd_host()
    assert [c.name for c in h.children("/")] == ["init.scope", "system.slice", "user.slice"]
    assert sum(c.dead for c in h) == 1
    k = shapes.kubernetes_node(burstable=2, besteffort=1, containers=3)
    pods = [c for c in k if c.name.startswith("kubepods-") and "-pod" in c.name]
    assert len(pods) == 3 and all(len(k.children(p.id)) == 3 for p in pods)
    assert len(shapes.balanced(2, 100)) == 10101
    assert shapes.random(30, seed=5) == shapes.random(30, seed=5)
    assert shapes.random(30, seed=5) != shapes.random(30, seed=6)
    with pytest.raises(ValueError):
        shapes.random(0)


def test_from_sysfs_reads_a_real_cgroup2_tree(cgroup2_scratch):
    d = cgroup2_scratch
    for p in ("b", "a", "b/x", "a/y"):            # created in this order
        (d / p).mkdir()
    h = shapes.from_sysfs(d)
    assert h.root.id == os.stat(d).st_ino
    assert [c.name for c in h.children("/")] == ["b", "a"]     # by id = creation order
    assert h.id_of("/b/x") == os.stat(d / "b/x").st_ino
    assert len(h) == 5


def test_automatic_ids_never_leave_64_bits_and_fds_are_looked_up():
    h = Hierarchy()
    h.mkdir("/top", cgroup_id=2**64 - 1)
    before = h.to_dict()
    oserr(errno.ENOSPC, h.mkdir, "/x")
    assert h.to_dict() == before
    fd = h.open("/top")
    assert h.fd(int(fd)) is fd
    fd.close()
    with pytest.raises(KeyError):
        h.fd(int(fd))


def test_from_sysfs_reads_a_real_tree_deeper_than_python_recursion(cgroup2_scratch):
    """1100 real nested cgroups (the kernel has no depth limit by default)."""
    d = cgroup2_scratch
    p = d
    for _ in range(1100):
        p = p / "d"
        p.mkdir()
    h = shapes.from_sysfs(d)
    assert len(h) == 1101 and h.cgroup(h.id_of("/d" * 1100)).level == 1100


def test_from_sysfs_reads_names_that_are_not_utf8(cgroup2_scratch):
    os.mkdir(os.fsencode(cgroup2_scratch) + b"/\xff\xfe")
    h = shapes.from_sysfs(cgroup2_scratch)
    (c,) = h.children("/")
    assert os.fsencode(c.name) == b"\xff\xfe"
