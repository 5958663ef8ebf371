"""cgroup namespaces, ``show_fdinfo`` and ``fill_link_info``: the emulator alone, then
the same walks read by a process in a real cgroup namespace (``unshare --cgroup`` in a
scratch cgroup) and the link lines the real ``bpftool link show`` prints.

The live tests take ``require_live`` (root, BPF, cgroup v2, clang, libbpf): they skip
elsewhere, or fail under ``CGITER_REQUIRE_LIVE=1``.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import subprocess
import time
import uuid
from pathlib import Path

import pytest
from conftest import need

from cgiter_edu import Hierarchy, Order, attach, programs, run
from cgiter_edu.attach import bpftool_link_show, cgroup_namespace


def pod_tree() -> Hierarchy:
    """A node: /kubepods/pod1/app, /kubepods/pod2 and /system.slice."""
    h = Hierarchy()
    for p in ("/kubepods", "/kubepods/pod1", "/kubepods/pod1/app", "/kubepods/pod2",
              "/system.slice"):
        h.mkdir(p)
    return h


# -- the emulator -------------------------------------------------------------------------

def test_no_fd_no_id_starts_at_the_namespace_root():
    h = pod_tree()
    r = run(h, programs.id_printer, Order.DESCENDANTS_PRE, cgroupns="/kubepods/pod1")
    ids = [h.id_of("/kubepods/pod1"), h.id_of("/kubepods/pod1/app")]
    assert r.output == b"prologue\n" + b"".join(b"%8d\n" % i for i in ids) + b"epilogue\n"
    host = run(h, programs.id_printer, Order.DESCENDANTS_PRE)
    assert host.output.count(b"\n") == 2 + len(h)          # the host's walk sees all


def test_an_id_outside_the_namespace_is_enoent_inside_it_works():
    h = pod_tree()
    outside = h.id_of("/kubepods/pod2")
    r = run(h, programs.id_printer, Order.SELF_ONLY, cgroup_id=outside,
            cgroupns="/kubepods/pod1")
    assert r.attach_errno == errno.ENOENT
    assert ("outside the cgroup namespace of the process that attaches (its / is "
            "/kubepods/pod1)") in r.attach_error
    r = run(h, programs.id_printer, Order.SELF_ONLY, cgroup_id=1, cgroupns="/kubepods/pod1")
    assert r.attach_errno == errno.ENOENT                   # the host root too
    inside = h.id_of("/kubepods/pod1/app")
    r = run(h, programs.id_printer, Order.SELF_ONLY, cgroup_id=inside,
            cgroupns="/kubepods/pod1")
    assert r.output == b"prologue\n%8d\nepilogue\n" % inside


def test_a_path_is_looked_up_from_the_namespace_root_an_fd_is_not_checked():
    h = pod_tree()
    app = h.id_of("/kubepods/pod1/app")
    r = run(h, programs.id_printer, Order.SELF_ONLY, "/app", cgroupns="/kubepods/pod1")
    assert r.output == b"prologue\n%8d\nepilogue\n" % app
    with h.open("/kubepods/pod2") as fd:        # an fd on a cgroup outside: the kernel
        link = attach(h, programs.id_printer, Order.SELF_ONLY, cgroup_fd=fd,   # takes it
                      cgroupns="/kubepods/pod1")
    assert link.start.path == "/kubepods/pod2"
    assert "cgroup_path:\t/../pod2\n" in link.show_fdinfo()
    link.close()


def test_ancestors_up_goes_past_the_namespace_root():
    """css->parent knows no namespace: the walk up from a pod's cgroup reaches the host
    root (seen on the kernel below)."""
    h = pod_tree()
    r = run(h, programs.id_printer, Order.ANCESTORS_UP, "/app", cgroupns="/kubepods/pod1")
    ids = [h.id_of(p) for p in ("/kubepods/pod1/app", "/kubepods/pod1", "/kubepods")] + [1]
    assert r.output == b"prologue\n" + b"".join(b"%8d\n" % i for i in ids) + b"epilogue\n"


def test_bad_namespace_root_is_one_clear_error():
    with pytest.raises(ValueError, match="cgroup namespace root '/nope': no such cgroup"):
        cgroup_namespace(pod_tree(), "/nope")


def test_show_fdinfo_and_fill_link_info():
    h = pod_tree()
    app = h.id_of("/kubepods/pod1/app")
    with attach(h, programs.id_printer, Order.DESCENDANTS_POST, cgroup_id=app) as link:
        assert link.show_fdinfo() == ("target_name:\tcgroup\ncgroup_path:\t/kubepods/pod1/app"
                                      "\norder: descendants_post\n")
        ns = cgroup_namespace(h, "/kubepods/pod1")
        assert "cgroup_path:\t/app\n" in link.show_fdinfo(ns)
        ns = cgroup_namespace(h, "/system.slice")
        assert "cgroup_path:\t/../kubepods/pod1/app\n" in link.show_fdinfo(ns)
        info = link.info()
        assert (info.target_name, info.target_name_len, info.order, info.cgroup_id) == \
            ("cgroup", 7, 3, app)
        assert bpftool_link_show(link, 12, 34) == (
            f"12: iter  prog 34  target_name cgroup  cgroup_id {app}  order descendants_post  ")
    names = {Order.SELF_ONLY: "self_only", Order.DESCENDANTS_PRE: "descendants_pre",
             Order.ANCESTORS_UP: "ancestors_up"}
    for order, name in names.items():
        with attach(h, programs.id_printer, order) as link:
            assert link.show_fdinfo().endswith(f"cgroup_path:\t/\norder: {name}\n")
            assert bpftool_link_show(link).endswith(f"cgroup_id 1  order {name}  ")


# -- the real kernel ----------------------------------------------------------------------

@pytest.fixture
def ns_scratch(require_live):
    """A real scratch tree: top/pod/app and top/other (unique name), removed after."""
    from cgiter_edu.shapes import cgroup2_mount

    top = Path(cgroup2_mount()) / f"cgiter_edu-ns-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    dirs = [top, top / "pod", top / "pod" / "app", top / "other"]
    for d in dirs:
        d.mkdir()
    try:
        yield top
    finally:
        for d in reversed(dirs):
            for _ in range(100):            # the child has exited; its cgroup empties
                try:
                    d.rmdir()
                    break
                except OSError:
                    time.sleep(0.05)
        assert not top.exists()


def mirror_with_real_ids(top: Path) -> Hierarchy:
    """The emulated twin of the scratch tree, with the real ids (inode numbers)."""
    h = Hierarchy()
    rel = "/" + top.name
    h.mkdir(rel, cgroup_id=top.stat().st_ino)
    for sub in ("pod", "pod/app", "other"):
        h.mkdir(f"{rel}/{sub}", cgroup_id=(top / sub).stat().st_ino)
    return h


@pytest.fixture
def bpftool(require_live):
    """The real bpftool (CI installs it with the live stack)."""
    need(shutil.which("bpftool") is not None, "bpftool is not on PATH (apt-get install bpftool)")


def test_live_cgroup_namespace(ns_scratch, bpftool):
    """A process in the namespace rooted at top/pod attaches with neither fd nor id, by
    ids inside and outside, by an fd outside, and walks up: the emulator with
    ``cgroupns=`` gives the same bytes, errnos, fdinfo lines and bpftool line."""
    from cgiter_edu.live.cgroupns import probe

    top = ns_scratch
    h = mirror_with_real_ids(top)
    rel = "/" + top.name
    ino = {p: (top / p).stat().st_ino for p in ("pod", "pod/app", "other")}
    walks = [
        {"order": 1}, {"order": 2}, {"order": 3},
        {"order": 2, "id": 1},
        {"order": 1, "id": ino["other"]},
        {"order": 2, "id": ino["pod/app"]},
        {"order": 1, "fd": str(top / "other")},
        {"order": 4, "fd": str(top / "pod" / "app")},
    ]
    got = probe(str(top / "pod"), walks)
    assert len(got) == len(walks)
    ns = f"{rel}/pod"

    def emu_fd(w):
        path = w.get("fd")
        return h.open("/" + str(Path(path).relative_to(top.parent))) if path else None

    for w, k in zip(walks, got, strict=True):
        fd = emu_fd(w)
        e = run(h, programs.id_printer, w["order"], fd, cgroup_id=w.get("id"), cgroupns=ns)
        assert e.attach_errno == k.get("attach_errno", 0), (w, e, k)
        if not e.attach_errno:
            assert e.output.decode() == k["output"], w
            fd = fd or emu_fd(w)       # run() leaves a given fd open
            with attach(h, programs.id_printer, w["order"], cgroup_fd=fd,
                        cgroup_id=w.get("id"), cgroupns=ns) as link:
                assert link.show_fdinfo() == k["fdinfo"], w
                assert bpftool_link_show(link, k["link_id"], k["prog_id"]) == k["bpftool"], w
        if fd is not None:
            fd.close()
    # what the namespace changes, seen on the kernel too
    assert got[0]["output"] == f"prologue\n{ino['pod']:8d}\nepilogue\n"
    assert [g.get("attach_errno") for g in got[3:5]] == [errno.ENOENT, errno.ENOENT]
    assert "cgroup_path:\t/../other\n" in got[6]["fdinfo"]
    assert got[7]["output"].endswith("       1\nepilogue\n")


def test_live_link_lines_host_namespace(require_live, bpftool, cgroup2_scratch):
    """Without a namespace: fdinfo and ``bpftool link show`` for every order the kernel
    takes, from an fd, an id and neither; the emulator prints the same lines."""
    from cgiter_edu.live.bpf_object import Backend, Params

    top = cgroup2_scratch
    (top / "a").mkdir()
    h = Hierarchy()
    rel = "/" + top.name
    h.mkdir(rel, cgroup_id=top.stat().st_ino)
    h.mkdir(rel + "/a", cgroup_id=(top / "a").stat().st_ino)
    b = Backend.get()
    b.set_params(Params())
    for order in (1, 2, 3, 4):
        for how in ("fd", "id", "neither"):
            real_fd = os.open(top / "a", os.O_RDONLY | os.O_DIRECTORY) if how == "fd" else 0
            emu_fd = h.open(rel + "/a") if how == "fd" else None
            cid = (top / "a").stat().st_ino if how == "id" else 0
            try:
                with b.attach("cgroup_id_printer", order, real_fd, cid) as real:
                    info = Path(f"/proc/self/fdinfo/{real.fd}").read_text()
                    with attach(h, programs.id_printer, order, cgroup_fd=emu_fd,
                                cgroup_id=cid or None) as link:
                        assert info.endswith(link.show_fdinfo()), (order, how, info)
                        link_id = int(re.search(r"link_id:\s+(\d+)", info).group(1))
                        prog_id = int(re.search(r"prog_id:\s+(\d+)", info).group(1))
                        out = subprocess.run(["bpftool", "link", "show", "id",
                                              str(link_id)], capture_output=True,
                                             text=True, check=True).stdout
                        assert out.splitlines()[0] == bpftool_link_show(
                            link, link_id, prog_id), (order, how)
            finally:
                if real_fd:
                    os.close(real_fd)
                if emu_fd is not None:
                    emu_fd.close()


# -- the CLI --------------------------------------------------------------------------------

POD = "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-podd82c07cd_629f_c209.slice"


def cli(*args: str) -> subprocess.CompletedProcess:
    import sys

    return subprocess.run([sys.executable, "-m", "cgiter_edu", *args], capture_output=True,
                          text=True)


def test_cli_cgroupns_walks_the_pods_subtree_and_refuses_ids_outside():
    from cgiter_edu import shapes

    h = shapes.kubernetes_node()
    r = cli("walk", "--tree", "kubernetes", "--cgroupns", POD)
    assert r.returncode == 0, r.stderr
    pod = [h.id_of(POD)] + [c.id for c in h.cgroups() if c.path.startswith(POD + "/")]
    assert r.stdout == "prologue\n" + "".join(f"{i:8d}\n" for i in pod) + "epilogue\n"
    assert f"attached in a cgroup namespace: its / is {POD}, where the start was resolved" \
        " at attach" in r.stderr
    r = cli("walk", "--tree", "kubernetes", "--cgroupns", POD, "--start-id",
            str(h.id_of("/system.slice")))
    assert r.returncode == 1 and r.stdout == ""
    assert "ENOENT" in r.stderr and "outside the cgroup namespace of the process that attaches" in r.stderr
    r = cli("walk", "--tree", "kubernetes", "--cgroupns", "/nope")
    assert (r.returncode, r.stderr.count("\n")) == (1, 1), r.stderr
    assert "--cgroupns '/nope': no such cgroup" in r.stderr
    r = cli("walk", "--tree", "kubernetes", "--cgroupns", POD, "--start", "/system.slice")
    assert r.returncode == 1 and f"no such cgroup in the namespace rooted at {POD}" in r.stderr


def test_cli_explain_says_what_a_preset_is():
    r = cli("walk", "--kernel", "6.1", "--explain")
    assert r.returncode == 0 and r.stderr == ""
    lines = r.stdout.splitlines()
    assert lines[0] == "Linux 6.1 preset: 6.1.y (stable)"
    assert lines[1].startswith("  stands for: 6.1.192") and "as of 2026-11-26" in lines[1]
    assert any(line.startswith("    has    1a5160d4d8fe") and "backported to 6.1.y" in line
               for line in lines)
    assert any(line.startswith("    lacks  752b807028e6") for line in lines)
    ns = next(line for line in lines if line.startswith("    has    74e4b956eb1c"))
    assert ns.endswith(": neither fd nor id starts at / of the cgroup namespace of the "
                       "process that attaches")       # resolved at attach, not at read
    r = cli("walk", "--kernel", "7.0", "--explain")
    assert r.stdout.splitlines()[0] == "Linux 7.0 preset: mainline 7.0 source"
    assert any(line.startswith("    lacks  b960430ea886") for line in r.stdout.splitlines())
    assert "UTF-8 in formats: no (EINVAL)" in r.stdout


def test_cli_show_link_prints_bpftool_and_fdinfo_lines():
    from cgiter_edu import shapes

    h = shapes.systemd_host()
    r = cli("walk", "--start", "/user.slice", "--order", "post", "--show-link")
    assert r.returncode == 0 and r.stderr == ""
    lines = r.stdout.splitlines()
    assert lines[1] == (f"1: iter  prog 1  target_name cgroup  cgroup_id "
                        f"{h.id_of('/user.slice')}  order descendants_post  ")
    assert lines[3:] == ["target_name:\tcgroup", "cgroup_path:\t/user.slice",
                         "order: descendants_post"]
    r = cli("walk", "--tree", "kubernetes", "--cgroupns", POD, "--show-link")
    assert "cgroup_path:\t/\n" in r.stdout
    r = cli("walk", "--order", "9", "--show-link")
    assert (r.returncode, r.stdout) == (1, "")
    assert r.stderr.startswith("cgiter-edu walk: attach: EINVAL: ") and r.stderr.count("\n") == 1
