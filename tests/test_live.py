"""The emulator against the real kernel: random walks and the kernel selftest, byte for
byte and errno for errno.

The tests that take the ``require_live`` fixture are marked ``live`` (by conftest.py)
and need root, BPF, cgroup v2, clang and libbpf; elsewhere they skip with the reason,
or fail under ``CGITER_REQUIRE_LIVE=1``.  The others (coverage of the random walks,
doctests, the import) need no kernel and run everywhere.

Random walks come in batches (one random tree mirrored once, several walks on it):
a fixed seed (the same cases every run) and a seed drawn for this run (new cases every
run; set ``CGITER_LIVE_SEED`` to draw the same again).  A failing walk prints its case
as JSON; replay it with ``cgiter-edu live --case '<json>'`` or
``live.compare_case('<json>')``.
"""

from __future__ import annotations

import collections
import errno
import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from cgiter_edu import Hierarchy, Order, attach, programs, shapes

REPO = Path(__file__).resolve().parent.parent
DATA = Path(__file__).parent / "data"

FIXED_SEED = 20251125
RUN_SEED = int(os.environ.get("CGITER_LIVE_SEED") or random.SystemRandom().randrange(1, 1 << 31))
PER_BATCH = 12


def batch_counts() -> tuple[int, int]:
    """(fixed-seed batches, run-seed batches): 50 and 30, or ``CGITER_LIVE_BATCHES``
    ("26,4": the subset tests/test_vm.py runs in a VM, where a walk is slower)."""
    text = os.environ.get("CGITER_LIVE_BATCHES")
    if not text:
        return 50, 30
    fixed, run = (int(x) for x in text.split(","))
    return fixed, run


FIXED_BATCHES, RUN_BATCHES = batch_counts()
BATCHES = ([("fixed", FIXED_SEED, i) for i in range(FIXED_BATCHES)]
           + [("run", RUN_SEED, i) for i in range(RUN_BATCHES)])


def _mount() -> str:
    from cgiter_edu.shapes import cgroup2_mount

    return cgroup2_mount()


def _ours() -> list[str]:
    """Scratch cgroups of this process still under the mount."""
    try:
        return [d for d in os.listdir(_mount()) if d.startswith(f"cgiter_edu-{os.getpid()}-")]
    except OSError:
        return []


@pytest.fixture(autouse=True)
def no_scratch_left():
    """After every test: no scratch cgroup of this process is left behind."""
    yield
    left = _ours()
    assert not left, f"scratch cgroups left behind: {left}"


def _fail(comp, seed_note: str = "") -> str:
    return (f"{comp.format()}\n{seed_note}\nreplay with:\n  cgiter-edu live --case "
            f"'{comp.case.to_json()}'")


# -- random walks ------------------------------------------------------------------------

def _classify(case, h) -> list[str]:
    st = case.start
    ids = {v.id: v for v in h.cgroups()}
    if not st:
        kind = "start:neither"
    elif "held" in st:
        kind = "start:held-dead-fd"
    elif "rawfd" in st:
        kind = "start:rawfd"
    elif "fd" in st and "id" in st:
        kind = "start:both"
    elif "fd" in st:
        kind = "start:fd"
    elif st["id"] not in ids:
        kind = "start:unknown-id"
    else:
        kind = "start:dead-id" if ids[st["id"]].dead else "start:id"
    out = [kind, f"order:{case.order}"]
    p = case.program
    if p["name"] == "record":
        rb = p["rec_bytes"]
        out.append("rec:0" if rb == 0 else "rec:>=4096" if rb >= 4096 else "rec:mid")
        if "stop_id" in p:
            out.append("stop_id")
        if "big" in p and p["big"][1] >= 8:
            out.append("big>=8")
    else:
        out.append("id_printer")
    if case.read_sizes:
        out.append("read:mixed")
        if 0 in case.read_sizes:
            out.append("read:0")
    elif case.read_size == 1:
        out.append("read:1")
    if case.read_size >= 131072:
        out.append("read:128K")
    if case.dead:
        out.append("dead-after-create")
    if case.remake:
        out.append("remake")
    return out


def _batch_tree(seed: int, batch: int):
    """The random tree of one batch and the generator that then draws its walks."""
    from cgiter_edu.live.random_cases import random_hierarchy

    rng = random.Random(f"{seed}-{batch}")
    return random_hierarchy(rng, min_n=300 if batch % 4 == 3 else 1), rng


@pytest.mark.parametrize("which,seed,batch", BATCHES,
                         ids=[f"{w}-seed{s}-batch{b}" for w, s, b in BATCHES])
def test_random_cases(require_live, which, seed, batch):
    """A random tree mirrored once, PER_BATCH random walks on it, each compared."""
    from cgiter_edu.live import compare_on
    from cgiter_edu.live.cases import machine_kernel
    from cgiter_edu.live.mirror import Mirror
    from cgiter_edu.live.random_cases import random_case

    h, rng = _batch_tree(seed, batch)
    kernel = machine_kernel()
    note = (f"seed {seed} ({which}), batch {batch}; rerun the run seed with "
            f"CGITER_LIVE_SEED={seed}" if which == "run" else f"fixed seed {seed}, batch {batch}")
    with Mirror(h) as m:
        for i in range(PER_BATCH):
            case = random_case(rng, h, label=f"{which}-{seed}-{batch}-{i}")
            comp = compare_on(h, m, case, kernel)
            assert comp.match, _fail(comp, note)


#: what the fixed-seed walks must have tried between them
COVER = ["start:neither", "start:fd", "start:id", "start:both", "start:unknown-id",
         "start:held-dead-fd", "start:dead-id", "start:rawfd",
         "order:0", "order:1", "order:2", "order:3", "order:4", "order:5", "order:7",
         "rec:0", "rec:mid", "rec:>=4096", "big>=8", "stop_id", "id_printer", "read:1",
         "read:128K", "read:mixed", "read:0", "dead-after-create", "remake", "tree:>=600",
         f"errno:{errno.EINVAL}", f"errno:{errno.ENOENT}", f"errno:{errno.EBADF}",
         f"errno:{errno.EOPNOTSUPP}", f"errno:{errno.E2BIG}", "errno:0"]


def fixed_coverage(batches: int) -> collections.Counter:
    """What the first ``batches`` fixed-seed batches try: the same walks as
    test_random_cases draws (each run on the emulator, which changes the tree as the
    kernel side does, so the next walk is drawn on the same tree), no kernel needed.
    The errnos are the emulator's; the live batches show the kernel's are the same."""
    from cgiter_edu.live.cases import machine_kernel, run_emulated
    from cgiter_edu.live.random_cases import random_case

    cov: collections.Counter = collections.Counter()
    for batch in range(batches):
        h, rng = _batch_tree(FIXED_SEED, batch)
        for _ in range(PER_BATCH):
            case = random_case(rng, h)
            cov.update(_classify(case, h))
            cov[f"tree:{'>=600' if len(h) >= 600 else '1' if len(h) == 1 else 'n'}"] += 1
            cov[f"errno:{run_emulated(h, case, machine_kernel()).final_errno}"] += 1
            cov["cases"] += 1
    return cov


def test_random_cases_cover_everything():
    """The fixed-seed batches try every order, every kind of start, and the rest
    (whatever else ran before: the walks are drawn again here)."""
    cov = fixed_coverage(FIXED_BATCHES)
    assert cov["cases"] == FIXED_BATCHES * PER_BATCH
    missing = [w for w in COVER if not cov[w]]
    assert not missing, f"not covered: {missing}; covered: {dict(cov)}"


# -- the kernel selftest (tools/testing/selftests/bpf/prog_tests/cgroup_iter.c) ------------

PROLOGUE, EPILOGUE = "prologue\n", "epilogue\n"


@pytest.fixture
def selftest_tree():
    """The selftest's cgroups: / (its work cgroup), /parent, /parent/child1, /parent/child2."""
    h = Hierarchy()
    ids = {"root": h.root.id, "parent": h.mkdir("/parent"),
           "child1": h.mkdir("/parent/child1"), "child2": h.mkdir("/parent/child2")}
    return h, ids


def _ids(*xs: int) -> str:
    return "".join(f"{x:8d}\n" for x in xs)


SELFTEST_WALKS = {
    # subtest: (order, program kwargs, expected ids)
    "preorder": (Order.DESCENDANTS_PRE, {}, ("parent", "child1", "child2")),
    "postorder": (Order.DESCENDANTS_POST, {}, ("child1", "child2", "parent")),
    "ancestors_up_walk": (Order.ANCESTORS_UP, {"terminal_cgroup": "root"}, ("parent", "root")),
    "early_termination": (Order.DESCENDANTS_PRE, {"terminate_early": True}, ("parent",)),
    "self_only": (Order.SELF_ONLY, {}, ("parent",)),
}


@pytest.mark.parametrize("subtest", list(SELFTEST_WALKS))
def test_selftest_walk(require_live, selftest_tree, subtest):
    """cgroup_iter__<subtest>: the selftest's expected string, on both sides."""
    from cgiter_edu import live

    h, ids = selftest_tree
    order, kw, names = SELFTEST_WALKS[subtest]
    kw = {k: ids[v] if k == "terminal_cgroup" else v for k, v in kw.items()}
    prog = programs.IdPrinter(**kw)
    expected = (PROLOGUE + _ids(*(ids[n] for n in names)) + EPILOGUE).encode()
    comp = live.compare(h, prog, order, "/parent", read_size=128)
    assert comp.match, comp.format()
    assert comp.emulator.output == expected
    assert comp.kernel.output == expected
    assert comp.kernel.results[-3:] == [0, 0, 0]       # "read() after iter finishes should be ok"


@pytest.mark.parametrize("subtest", list(SELFTEST_WALKS))
def test_selftest_walk_real_ids(require_live, selftest_tree, subtest):
    """The same on the kernel with no translation: the real ids, as the selftest prints."""
    from cgiter_edu.live.bpf_object import Backend, Params
    from cgiter_edu.live.mirror import Mirror

    h, ids = selftest_tree
    order, kw, names = SELFTEST_WALKS[subtest]
    with Mirror(h) as m:
        real = {n: m.twins[i].real_id for n, i in ids.items()}
        p = Params(terminate_early=int(kw.get("terminate_early", False)))
        if "terminal_cgroup" in kw:
            p.terminal_cgroup = real[kw["terminal_cgroup"]]
        fd = m.open_live("/parent")
        try:
            res = Backend.get().walk("cgroup_id_printer", p, order, fd, read_size=128)
        finally:
            os.close(fd)
    assert res.output == (PROLOGUE + _ids(*(real[n] for n in names)) + EPILOGUE).encode()


def test_selftest_invalid_cgroup(require_live, selftest_tree):
    """cgroup_iter__invalid_cgroup: cgroup_fd (u32)-1.  The selftest leaves order 0
    (memset), so EINVAL comes first; with a valid order the fd gives EBADF."""
    from cgiter_edu import live

    h, _ = selftest_tree
    for order, want in ((0, errno.EINVAL), (Order.DESCENDANTS_PRE, errno.EBADF)):
        comp = live.compare(h, programs.id_printer, order, -1)
        assert comp.match, comp.format()
        assert comp.kernel.attach_errno == want


def test_selftest_invalid_cgroup_spec(require_live, selftest_tree):
    """cgroup_iter__invalid_cgroup_spec: fd and id both given: EINVAL on both sides."""
    from cgiter_edu import live

    h, ids = selftest_tree
    for order in (0, Order.DESCENDANTS_PRE):
        comp = live.compare(h, programs.id_printer, order, "/parent", cgroup_id=ids["parent"])
        assert comp.match, comp.format()
        assert comp.kernel.attach_errno == errno.EINVAL


def test_selftest_dead_self_only(require_live):
    """cgroup_iter__dead_self_only: attach SELF_ONLY by fd on /dead, create the iterator,
    destroy the link, close the fd, rmdir: only "epilogue" (the dead start is skipped,
    no prologue since the program never sees seq_num 0), then read() gives 0."""
    from cgiter_edu.live.bpf_object import Backend, Params
    from cgiter_edu.live.mirror import Mirror

    h = Hierarchy()
    dead = h.mkdir("/dead")
    # the emulator
    fd = h.open("/dead")
    link = attach(h, programs.id_printer, Order.SELF_ONLY, cgroup_fd=fd)
    f = link.create()
    link.close()
    fd.close()
    h.rmdir("/dead")
    assert h.cgroup(dead).dead
    emu = [f.read(128) for _ in range(3)]
    f.close()
    # the kernel
    with Mirror(h.__class__()) as m:          # an empty mirror: the scratch cgroup only
        b = Backend.get()
        path = os.path.join(m.scratch, "dead")
        os.mkdir(path)
        try:
            cfd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
            b.set_params(Params(translate=1))
            klink = b.attach("cgroup_id_printer", Order.SELF_ONLY, cgroup_fd=cfd)
            ifd = klink.create()
            klink.destroy()
            os.close(cfd)
        finally:
            os.rmdir(path)
        time.sleep(0.02)                      # the selftest's kern_sync_rcu()/usleep pairs
        try:
            kern = [os.read(ifd, 128) for _ in range(3)]
        finally:
            os.close(ifd)
    assert emu == kern == [EPILOGUE.encode(), b"", b""]


# -- the recorded walks, run again on this kernel ------------------------------------------

def _recorded():
    out = []
    for p in sorted(DATA.glob("*.jsonl")):
        for i, line in enumerate(p.read_text().splitlines()):
            if line.strip():
                out.append((f"{p.name}:{i + 1}", json.loads(line)))
    return out


RECORDED = _recorded()


def _recorded_case(rec):
    from cgiter_edu.live.cases import Case

    h = Hierarchy()
    for path, cid in rec["tree"][1:]:
        h.mkdir(path, cgroup_id=cid)
    prog = {"name": "record", "rec_bytes": rec["rec_bytes"]}
    for k in ("stop_id", "skip_id", "silent", "big"):
        if k in rec:
            prog[k] = rec[k]
    return h, Case.for_hierarchy(h, order=rec["order"], start=rec["start"], program=prog,
                                 read_size=rec["read_size"], dead=rec["dead"],
                                 remake=rec["remake"], made=rec["made"])


@pytest.mark.parametrize("where,rec", RECORDED, ids=[w for w, _ in RECORDED])
def test_recorded_walk_on_this_kernel(require_live, where, rec):
    """Each walk of tests/data, on this kernel (the recorded tree mirrored, its ids kept
    as the emulated ids) and on the emulator; when this kernel is the one that recorded
    it (same major.minor), also against the recording."""
    from cgiter_edu.live import compare_on
    from cgiter_edu.live.cases import machine_kernel
    from cgiter_edu.live.mirror import Mirror

    h, case = _recorded_case(rec)
    with Mirror(h) as m:
        comp = compare_on(h, m, case, machine_kernel())
    assert comp.match, _fail(comp, where)
    from cgiter_edu.kernel_walks import kernel_of
    from cgiter_edu.run import reads_json

    if kernel_of(rec).version == machine_kernel().version:
        got = reads_json(comp.kernel.reads)
        assert (comp.kernel.attach_errno, got) == (rec["attach_errno"], rec["reads"]), where


# -- facts from docs/kernel-semantics.md, on both sides ----------------------------------

@pytest.mark.parametrize("read_size,results", [
    (131072, [32704, "EOPNOTSUPP"]), (32768, [32704, "EOPNOTSUPP"]),
    (4097, [4097, 63, "EOPNOTSUPP"]), (4096, [4096, "EOPNOTSUPP"]),
    (1000, [1000, 24, "EOPNOTSUPP"])])
def test_511_not_512(require_live, read_size, results):
    """64-byte records on 600 siblings: 511 fit, not the commit message's 512."""
    from cgiter_edu import live

    h = Hierarchy()
    for i in range(599):
        h.mkdir(f"/s{i}")
    comp = live.compare(h, programs.Record(rec_bytes=64), Order.DESCENDANTS_PRE,
                        read_size=read_size)
    assert comp.match, comp.format()
    assert comp.kernel.results[:len(results)] == results


@pytest.mark.parametrize("siblings,results", [(1364, [32767, 0]), (1400, [32760, "EOPNOTSUPP"])])
def test_24_byte_records_fill_the_buffer(require_live, siblings, results):
    """24-byte records and a 7-byte epilogue: 1364 siblings fit exactly, 1400 do not."""
    from cgiter_edu import live

    h = Hierarchy()
    for i in range(siblings):
        h.mkdir(f"/s{i}")
    comp = live.compare(h, programs.Record(rec_bytes=24), Order.DESCENDANTS_PRE, "/")
    assert comp.match, comp.format()
    assert comp.kernel.results[:2] == results


def test_big_first_object_is_e2big(require_live):
    """A first object of 8 pages or more: E2BIG on the first read, on both sides."""
    from cgiter_edu import live

    h = shapes.balanced(2, 3)
    for k in (8, 9):
        prog = programs.Record(rec_bytes=24, big=(h.root.id, k))
        comp = live.compare(h, prog, Order.DESCENDANTS_PRE)
        assert comp.match, comp.format()
        assert comp.kernel.results[0] == "E2BIG"


def test_benchmark_tree_walks_the_same(require_live):
    """The 10,101-cgroup tree: a silent walk, and 64-byte records cut at 511."""
    from cgiter_edu import live
    from cgiter_edu.live.cases import Case, machine_kernel
    from cgiter_edu.live.mirror import Mirror

    h = shapes.balanced(2, 100)
    with Mirror(h) as m:
        for prog in ({"name": "record", "silent": True}, {"name": "record", "rec_bytes": 64},
                     {"name": "id_printer"}):
            for order in (Order.DESCENDANTS_PRE, Order.DESCENDANTS_POST):
                case = Case(hierarchy={}, order=int(order), start={}, program=prog)
                comp = live.compare_on(h, m, case, machine_kernel())
                assert comp.match, comp.format()


def test_live_run_refuses_what_the_kernel_cannot_do(require_live):
    """live.run takes cgiter_edu.run's arguments, but trace=True (the kernel records no
    trace) and another kernel's config are refused with the reason; the running
    kernel's own config is accepted."""
    from cgiter_edu import KernelConfig, live
    from cgiter_edu.live.cases import machine_kernel

    h = shapes.balanced(1, 2)
    with pytest.raises(live.LiveError, match="records no trace"):
        live.run(h, programs.id_printer, trace=True)
    other = KernelConfig.preset("7.0" if machine_kernel().version != (7, 0) else "6.1")
    with pytest.raises(live.LiveError, match=f"kernel=Linux {other.name}"):
        live.run(h, programs.id_printer, kernel=other)
    r = live.run(h, programs.id_printer, kernel=machine_kernel())
    assert r.output.startswith(b"prologue\n") and r.output.endswith(b"epilogue\n")


def test_dead_and_recreated_on_the_root_walk(require_live):
    """The default systemd host (one dead session), and a name re-created after its
    removal: the dead one is skipped but uses up a seq_num, the new one comes last."""
    from cgiter_edu import live

    h = shapes.systemd_host()
    h.kill("/system.slice/sshd.service")
    h.mkdir("/system.slice/sshd.service")
    comp = live.compare(h, programs.Record(rec_bytes=24), Order.DESCENDANTS_PRE)
    assert comp.match, comp.format()
    assert any("scratch cgroup" in n for n in comp.notes)


def test_ancestors_up_stops_at_the_scratch(require_live):
    """ANCESTORS_UP from deep down: the kernel walk is stopped after the scratch cgroup,
    so it ends where the emulator's ends (at its root), epilogue seq_num included."""
    from cgiter_edu import live

    h = Hierarchy()
    path = ""
    for i in range(6):
        path += f"/a{i}"
        h.mkdir(path)
    for prog in (programs.Record(rec_bytes=24), programs.Record(silent=True),
                 programs.id_printer):
        for start, cid in ((path, None), (None, h.id_of(path)), (None, None)):
            comp = live.compare(h, prog, Order.ANCESTORS_UP, start, cgroup_id=cid)
            assert comp.match, comp.format()


def test_open_fd_alone_does_not_keep_a_removed_cgroup(require_live):
    """A kernel fact the mirror relies on: an open directory fd holds no reference on
    the cgroup, so after rmdir the cgroup leaves its parent's list (no seq_num used),
    while an iterator link on it keeps it there (dead, one seq_num used)."""
    from cgiter_edu.live.bpf_object import Backend, Params
    from cgiter_edu.live.mirror import Mirror

    h = Hierarchy()
    for n in "abc":
        h.mkdir(f"/{n}")
    b = Backend.get()
    with Mirror(h) as m:
        def walk():
            fd = os.open(m.scratch, os.O_RDONLY | os.O_DIRECTORY)
            try:
                return b.walk("cgroup_record", Params(), Order.DESCENDANTS_PRE, fd).output
            finally:
                os.close(fd)
        assert walk().endswith(b"E 3\n")
        bfd = m.open_live("/b")
        os.rmdir(os.path.join(m.scratch, "b"))
        try:
            for _ in range(100):                  # the release is asynchronous
                if walk().endswith(b"E 2\n"):
                    break
                time.sleep(0.01)
            assert walk().endswith(b"E 2\n")      # gone, although bfd is still open
        finally:
            os.close(bfd)
        m.kill("/c")                              # an iterator link holds it
        time.sleep(0.05)
        assert walk().endswith(b"E 2\n") and walk().count(b"\nC ") == 1


def test_emulator_open_fd_then_rmdir_matches_the_kernel(require_live):
    """The user-level sequence open(dir) + rmdir(dir), then a walk: the emulator must
    give what the kernel gives (the removed cgroup gone, no seq_num used)."""
    from cgiter_edu.live.bpf_object import Backend, Params
    from cgiter_edu.live.mirror import Mirror

    h = Hierarchy()
    for n in "abc":
        h.mkdir(f"/{n}")
    with Mirror(h) as m:
        bfd = m.open_live("/b")
        os.rmdir(os.path.join(m.scratch, "b"))
        try:
            for _ in range(300):             # the release is asynchronous (slow in a VM)
                fd = os.open(m.scratch, os.O_RDONLY | os.O_DIRECTORY)
                try:
                    kern = Backend.get().walk("cgroup_record", Params(translate=1),
                                              Order.DESCENDANTS_PRE, fd).output
                finally:
                    os.close(fd)
                if kern.endswith(b"E 2\n"):
                    break
                time.sleep(0.01)
        finally:
            os.close(bfd)
    efd = h.open("/b")
    h.rmdir("/b")
    try:
        emu = attach(h, programs.Record(), Order.DESCENDANTS_PRE).create().read(4096)
    finally:
        efd.close()
    assert emu == kern


# -- the scratch cgroups go, whatever happens ---------------------------------------------

def test_too_many_cgroups_is_a_clear_error(require_live, monkeypatch):
    """More cgroups than cgroup.max.descendants allows: LiveError naming the limit, the
    scratch removed -- whether our pre-check or the kernel's EAGAIN says so."""
    from cgiter_edu import live
    from cgiter_edu.live import mirror

    parent = os.path.join(_mount(), f"cgiter_edu-{os.getpid()}-{os.urandom(4).hex()}")
    os.mkdir(parent)
    try:
        with open(os.path.join(parent, "cgroup.max.descendants"), "w") as f:
            f.write("5")
        h = shapes.random(20, seed=3)
        with pytest.raises(live.LiveError, match="cgroup.max.descendants"):
            live.run(h, programs.id_printer, parent=parent)
        assert [d for d in os.listdir(parent) if os.path.isdir(os.path.join(parent, d))] == []
        monkeypatch.setattr(mirror, "room", lambda p, m: (None, None, ""))
        with pytest.raises(live.LiveError, match="EAGAIN"):
            live.run(h, programs.id_printer, parent=parent)
        assert [d for d in os.listdir(parent) if os.path.isdir(os.path.join(parent, d))] == []
    finally:
        os.rmdir(parent)


HOLD = textwrap.dedent("""
    import sys, time
    from cgiter_edu import shapes
    from cgiter_edu.live.mirror import Mirror
    h = shapes.random(60, seed=1, dead=0.3)
    with Mirror(h) as m:
        print(m.scratch, flush=True)
        time.sleep(60)
""")


def _holder():
    env = dict(os.environ, PYTHONPATH=str(REPO))
    p = subprocess.Popen([sys.executable, "-c", HOLD], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, env=env)
    line = p.stdout.readline().strip()
    assert line and os.path.isdir(line), p.stderr.read()
    return p, line


def _gone_soon(path, timeout=60.0):
    """``path`` is removed at once or, after Ctrl-C, by the background remover that
    finishes the clean-up once the interrupted process has exited."""
    end = time.monotonic() + timeout
    while os.path.exists(path) and time.monotonic() < end:
        time.sleep(0.05)
    assert not os.path.exists(path), path


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupted_run_removes_its_scratch(require_live, sig):
    """Ctrl-C or SIGTERM while a mirror exists: the scratch subtree is removed.  Ctrl-C
    reaches the program as KeyboardInterrupt (its traceback, since the holder does not
    catch it, and death by SIGINT); SIGTERM exits quietly with 128 + 15 (the mirror's
    handler raises SystemExit so the cleanup runs)."""
    p, scratch = _holder()
    p.send_signal(sig)
    p.wait(timeout=30)
    err = p.stderr.read()
    _gone_soon(scratch)
    if sig == signal.SIGINT:
        assert err.rstrip().endswith("KeyboardInterrupt"), err
        assert p.returncode == -signal.SIGINT, p.returncode
    else:
        assert "Traceback" not in err, err
        assert p.returncode == 128 + signal.SIGTERM, p.returncode


def test_killed_run_is_cleaned_up_by_the_next(require_live):
    """SIGKILL leaves the scratch behind; the next mirror removes it (its pid is gone)."""
    from cgiter_edu.live.mirror import Mirror

    p, scratch = _holder()
    p.kill()
    p.wait(timeout=30)
    assert os.path.isdir(scratch)
    with Mirror(Hierarchy()):
        pass
    assert not os.path.exists(scratch)


# -- availability, CLI, recorder --------------------------------------------------------

def _python(code: str, **kw):
    env = dict(os.environ, PYTHONPATH=str(REPO))
    env.update(kw.pop("env", {}))
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, timeout=120, cwd="/tmp", **kw)


def test_available_says_why_not_without_a_traceback(require_live, capsys):
    """Not root, or no clang: one line with the reason and the fix; the CLI exits 2."""
    from cgiter_edu import live
    from cgiter_edu.cli import build_parser, main

    build_parser()      # import every subcommand now: nobody may not read this checkout
    os.seteuid(65534)                       # not root (the real uid stays 0 to come back)
    try:
        a = live.available(refresh=True)
        code = main(["live"])
    finally:
        os.seteuid(0)
        live.available(refresh=True)
    assert not a and a.reason.startswith("not root") and a.fix, a
    err = capsys.readouterr().err
    assert code == 2 and "not root" in err and "fix:" in err and "Traceback" not in err, err
    show = "from cgiter_edu import live; a = live.available(); print(a.ok, '|', a.reason, '|', a.fix)"
    r = _python(show, env={"PATH": "/nonexistent", "CLANG": "clang"})
    assert r.stdout.startswith("False | clang is not on PATH"), r.stdout + r.stderr
    assert "apt-get install" in r.stdout and "Traceback" not in r.stderr


def _probe(wrap: list[str], env: dict | None = None) -> tuple[str, str, int, str]:
    """``live.available()`` and ``cgiter-edu live``, each run under ``wrap`` (a command
    that changes something for real and then execs its arguments): (reason, fix, the
    CLI's exit code, its stderr)."""
    probe = ("from cgiter_edu import live; a = live.available(); print(a.ok); "
             "print(a.reason); print(a.fix)")
    e = dict(os.environ, PYTHONPATH=str(REPO), **(env or {}))
    r = subprocess.run([*wrap, sys.executable, "-c", probe], capture_output=True, text=True,
                       env=e, timeout=300, cwd="/tmp")
    lines = r.stdout.splitlines()
    assert len(lines) >= 3 and lines[0] == "False", r.stdout + r.stderr
    c = subprocess.run([*wrap, sys.executable, "-m", "cgiter_edu.cli", "live"],
                       capture_output=True, text=True, env=e, timeout=300, cwd="/tmp")
    assert "Traceback" not in r.stderr + c.stderr, r.stderr + c.stderr
    return lines[1], lines[2], c.returncode, c.stderr


def _in_mount_ns(shell: str) -> list[str]:
    """Run ``shell`` in a private mount namespace (the host's mounts stay as they are),
    then the command."""
    return ["unshare", "--mount", "--propagation", "private", "sh", "-c",
            f'{shell} && exec "$0" "$@"']


@pytest.mark.parametrize("what", ["headers", "no-cgroup2", "ro-cgroup2", "no-btf", "ro-cache",
                                  "no-caps"])
def test_available_names_the_true_cause(require_live, tmp_path, what):
    """Each way the backend cannot run, made for real (libbpf's headers hidden under an
    empty tmpfs, cgroup v2 unmounted or read-only, BTF hidden, a cache that cannot be
    written, BPF capabilities dropped), gives its own reason and fix, and
    ``cgiter-edu live`` says them and exits 2."""
    mnt = _mount()
    caps = "-bpf,-sys_admin,-perfmon"
    wrap, env, reason, fix = {
        "headers": (_in_mount_ns("mount -t tmpfs none /usr/include/bpf"),
                    {"CGITER_CACHE_DIR": str(tmp_path / "cache")},     # clang must run
                    "libbpf's C headers are missing (clang: 'bpf/bpf_helpers.h' file not found)",
                    "apt-get install -y libbpf-dev"),
        "no-cgroup2": (_in_mount_ns(f"umount -l {mnt}"), None, "no cgroup v2 mount",
                       "mount -t cgroup2"),
        "ro-cgroup2": (_in_mount_ns(f"mount -o remount,bind,ro {mnt}"), None,
                       f"{mnt} is read-only", f"mount -o remount,rw {mnt}"),
        "no-btf": (_in_mount_ns("mount -t tmpfs none /sys/kernel/btf"), None, "has no BTF",
                   "CONFIG_DEBUG_INFO_BTF=y"),
        "ro-cache": ([], {"CGITER_CACHE_DIR": "/proc/cgiter_edu-cache"},
                     "cannot write the cache directory /proc/cgiter_edu-cache",
                     "set CGITER_CACHE_DIR to a writable directory"),
        "no-caps": (["setpriv", "--bounding-set", caps, "--inh-caps", caps], None,
                    "not allowed to load BPF programs (EPERM) although root", "--privileged"),
    }[what]
    got_reason, got_fix, code, err = _probe(wrap, env)
    assert reason in got_reason and fix in got_fix, (got_reason, got_fix)
    assert code == 2 and reason in err and "fix:" in err, err


def test_a_read_only_bpffs_does_not_matter(require_live):
    """The backend pins nothing: with bpffs mounted read-only over /sys/fs/bpf (in a
    private mount namespace) it is still available and a walk runs."""
    probe = ("from cgiter_edu import live, programs, shapes; print(bool(live.available())); "
             "print(live.compare(shapes.balanced(1, 2), programs.id_printer).match)")
    e = dict(os.environ, PYTHONPATH=str(REPO))
    r = subprocess.run([*_in_mount_ns("mount -t bpf -o ro bpf /sys/fs/bpf && "
                                      "! touch /sys/fs/bpf/x 2>/dev/null"),
                        sys.executable, "-c", probe], capture_output=True, text=True, env=e,
                       timeout=300, cwd="/tmp")
    assert r.stdout.split() == ["True", "True"], r.stdout + r.stderr


def test_cli_live(require_live, capsys):
    """``cgiter-edu live``: the table, exit 0 when identical; ``--case`` replays."""
    from cgiter_edu.cli import main
    from cgiter_edu.live.cases import Case

    assert main(["live", "--order", "post", "--start", "/user.slice"]) == 0
    out = capsys.readouterr().out
    assert "MATCH" in out and "emulator" in out and "kernel" in out
    assert main(["live", "--order", "7"]) == 0
    assert "EINVAL" in capsys.readouterr().out
    # the emulator told to be Linux 7.0 accepts CHILDREN; a 6.x kernel says EINVAL: exit 1
    if machine_version() < (7, 0):
        assert main(["live", "--order", "children", "--kernel", "7.0"]) == 1
        out = capsys.readouterr().out
        assert "first difference" in out and "DIFFERENT: attach: emulator ok, kernel EINVAL" in out
    assert main(["live", "--program", "paths"]) == 2
    assert "no C twin" in capsys.readouterr().err
    h = shapes.random(30, seed=2, dead=0.2)
    case = Case.for_hierarchy(h, order=3, start={"fd": "/"}, read_size=24,
                              program={"name": "record", "rec_bytes": 100})
    assert main(["live", "--case", case.to_json()]) == 0
    assert "MATCH" in capsys.readouterr().out


def machine_version() -> tuple[int, int]:
    from cgiter_edu.live.cases import machine_kernel

    return machine_kernel().version


def test_record(require_live, tmp_path):
    """The recorder: the tests/data format plus the kernel release; every recorded walk
    replays the same through the emulator, as tests/test_recorded.py will replay it."""
    from replay import replay

    from cgiter_edu.cli import main

    out = tmp_path / "kernel-recorded.jsonl"
    assert main(["record", "--cases", "12", "--seed", "7", "--out", str(out), "-q"]) == 0
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    assert len(lines) == 12
    for c in lines:
        assert c["kernel"] == os.uname().release
        assert {"tree", "order", "start", "rec_bytes", "read_size", "dead", "remake",
                "attach_errno", "reads", "made"} <= c.keys()
        assert c["tree"][0] == ["/", 1]
        assert replay(c) == (c["attach_errno"], c["reads"])


LIVE_MODULES = ["cgiter_edu.live", "cgiter_edu.live.libbpf", "cgiter_edu.live.build",
                "cgiter_edu.live.bpf_object", "cgiter_edu.live.mirror", "cgiter_edu.live.cases",
                "cgiter_edu.live.comparison", "cgiter_edu.live.kernel_walk",
                "cgiter_edu.live.record", "cgiter_edu.live.walk_timing", "cgiter_edu.cli.cmd_live",
                "cgiter_edu.live.vm", "cgiter_edu.live.printf", "cgiter_edu.live.availability",
                "cgiter_edu.live.random_cases",
                "cgiter_edu.live.cgroupns"]


@pytest.mark.parametrize("name", LIVE_MODULES)
def test_live_docstring_examples_run(name):
    """The examples in the live modules' docstrings (those that need the kernel are
    marked +SKIP there, so these run anywhere)."""
    import doctest
    import importlib

    res = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert res.failed == 0


def test_import_stays_light():
    """``import cgiter_edu`` (and building the CLI, whose ``live`` and ``record`` glue is
    cgiter_edu.cli.cmd_live) loads nothing of the live backend."""
    code = ("import sys, cgiter_edu, cgiter_edu.cli as c; c.build_parser(); "
            "print(sorted(m for m in sys.modules if m.startswith('cgiter_edu.live')), "
            "'cgiter_edu.cli.cmd_live' in sys.modules)")
    r = _python(code)
    assert r.stdout.strip() == "[] True", r.stdout + r.stderr


def test_two_sessions_from_one_link(require_live):
    """Two iterator files from one link, read in turn: each is a session of its own
    (bpf_iter_create twice), on both sides."""
    from cgiter_edu.live.bpf_object import Backend, Params
    from cgiter_edu.live.mirror import Mirror

    h = shapes.balanced(2, 4)
    sizes = [100, 30, 4096, 7, 4096, 4096]

    def interleaved(f1, f2, read):
        out = []
        for n in sizes:
            for f in (f1, f2):
                try:
                    out.append(read(f, n))
                except OSError as e:
                    out.append(e.errno)
        return out

    with attach(h, programs.Record(rec_bytes=40), Order.DESCENDANTS_POST) as link:
        f1, f2 = link.create(), link.create()
        emu = interleaved(f1, f2, lambda f, n: f.read(n))
        f1.close()
        f2.close()
    b = Backend.get()
    with Mirror(h) as m:
        fd = os.open(m.scratch, os.O_RDONLY | os.O_DIRECTORY)
        b.set_params(Params(rec_bytes=40, translate=1))
        klink = b.attach("cgroup_record", Order.DESCENDANTS_POST, fd)
        try:
            i1, i2 = klink.create(), klink.create()
            kern = interleaved(i1, i2, os.read)
            os.close(i1)
            os.close(i2)
        finally:
            klink.destroy()
            os.close(fd)
    assert emu == kern
    assert emu[0] == emu[1]                     # the same start for both sessions


# -- references, return values: the kernel's rules (issue 8) -------------------------------

def _link_id(link_fd: int) -> int:
    """``bpf_obj_get_info_by_fd(link_fd)``'s ``struct bpf_link_info.id``."""
    import ctypes

    from cgiter_edu.live import libbpf

    lib = libbpf.lib()
    fn = lib.bpf_obj_get_info_by_fd
    fn.restype, fn.argtypes = ctypes.c_int, [ctypes.c_int, ctypes.c_void_p,
                                              ctypes.POINTER(ctypes.c_uint32)]
    info = ctypes.create_string_buffer(256)
    n = ctypes.c_uint32(256)
    assert fn(link_fd, info, ctypes.byref(n)) == 0
    return int.from_bytes(info.raw[4:8], "little")     # __u32 type; __u32 id; ...


def _link_exists(link_id: int) -> bool:
    import ctypes

    from cgiter_edu.live import libbpf

    fn = libbpf.lib().bpf_link_get_fd_by_id
    fn.restype, fn.argtypes = ctypes.c_int, [ctypes.c_uint32]
    fd = fn(link_id)
    if fd >= 0:
        os.close(fd)
        return True
    return False


def test_closing_the_link_while_a_file_is_open(require_live):
    """prepare_seq_file() pins the program, not the link: destroying the link releases it
    at once (its id is gone) while an iterator file made from it is open, and the file
    still walks -- it holds its own reference on the start (cgroup_iter_seq_init).  The
    emulator gives the same bytes."""
    from cgiter_edu.live.bpf_object import Backend, Params
    from cgiter_edu.live.mirror import Mirror

    h = Hierarchy()
    for p in ("/a", "/a/b", "/a/c", "/d"):
        h.mkdir(p)
    link = attach(h, programs.Record(), Order.DESCENDANTS_PRE, cgroup_id=h.id_of("/a"))
    f = link.create()
    start = h.cgroup_root.by_id[h.id_of("/a")]
    refs = start.refcnt
    link.close()
    assert start.refcnt == refs - 1
    emu = f.readall()
    f.close()
    b = Backend.get()
    with Mirror(h) as m:
        fd = m.open_live("/a")
        try:
            b.set_params(Params(translate=1))
            klink = b.attach("cgroup_record", Order.DESCENDANTS_PRE, cgroup_fd=fd)
        finally:
            os.close(fd)
        ifd = klink.create()
        try:
            lid = _link_id(klink.fd)
            assert _link_exists(lid)
            klink.destroy()
            for _ in range(100):                     # the link is freed after an RCU grace
                if not _link_exists(lid):
                    break
                time.sleep(0.01)
            assert not _link_exists(lid)             # released although the file is open
            kern = b""
            while chunk := os.read(ifd, 4096):
                kern += chunk
        finally:
            os.close(ifd)
    assert emu == kern and kern.count(b"\nC ") + kern.startswith(b"C ") == 3


RET2_PROG = """
#include "cgiter_vmlinux.h"
#include <bpf/bpf_helpers.h>
char _license[] SEC("license") = "GPL";
SEC("iter/cgroup")
int cgroup_ret(struct bpf_iter__cgroup *ctx)
{
	return %d;
}
"""


@pytest.mark.parametrize("ret", [2, -1])
def test_a_program_returning_other_than_0_or_1_is_refused(require_live, tmp_path, ret):
    """The verifier: "At program exit the register R0 has smin=2 smax=2 should have been in
    [0, 1]", EINVAL at load.  The emulator refuses it too, naming the cgroup."""
    from cgiter_edu import BpfProgramError
    from cgiter_edu.live import build, libbpf
    from cgiter_edu.live.cases import machine_kernel

    src = tmp_path / "ret.bpf.c"
    src.write_text(RET2_PROG % ret)
    obj = tmp_path / "ret.bpf.o"
    subprocess.run([build.clang(), *build.CFLAGS, "-I", str(build.HERE), "-c", str(src),
                    "-o", str(obj)], check=True, capture_output=True)
    with pytest.raises(OSError) as e:
        libbpf.BpfObject.load(obj)
    assert e.value.errno == errno.EINVAL
    log = "\n".join(libbpf.messages(40))
    if machine_kernel().version < (6, 8):
        # before the bpf_retval_range rework (mainline 6.8): tnums, as Linux 6.1.192 says
        r0 = ret & 0xFFFFFFFF
        assert f"At program exit the register R0 has value ({r0:#x}; 0x0) should have been in (0x0; 0x1)" in log, log
    else:                 # seen on 6.12.117 and 6.18.44
        r0 = ret & 0xFFFFFFFF
        assert f"At program exit the register R0 has smin={r0} smax={r0} should have been in [0, 1]" in log, log
    h = Hierarchy()
    h.mkdir("/a")
    with pytest.raises(BpfProgramError, match=r"returned -?\d+ on cgroup / \(id 1\).*"
                                              r"should have been in \[0, 1\]"):
        attach(h, lambda ctx: ret, Order.DESCENDANTS_PRE).create().read(4096)


SPIN_PROG = """
#include "cgiter_vmlinux.h"
#include <bpf/bpf_helpers.h>
char _license[] SEC("license") = "GPL";
volatile __u64 spins;
static long spin_cb(__u64 i, void *ctx) { spins++; return 0; }
SEC("iter/cgroup")
int cgroup_spin(struct bpf_iter__cgroup *ctx)
{
	if (ctx->cgroup) {	/* a long walk: cgroup_mutex held all along */
		for (int i = 0; i < 16; i++)	/* each call at most BPF_MAX_LOOPS */
			bpf_loop(1 << 23, spin_cb, 0, 0);
	}
	return 0;
}
"""
SPINS = 16 << 23      # a walk of about a second: long beside an attach, even under load


def test_cgroup_mutex_is_taken_by_the_walk_and_mkdir_not_by_attach(require_live, tmp_path):
    """During a read() whose program runs long (cgroup_mutex held by
    cgroup_iter_seq_start), attaching by fd, creating an iterator file and closing both
    finish while the program still runs (its loop counter has not reached the end); a
    mkdir started then returns only once the walk is over (the counter is complete).
    The emulator's side: tests/test_mutex.py."""
    import threading

    from cgiter_edu.live import build, libbpf
    from cgiter_edu.live.mirror import Mirror

    if len(os.sched_getaffinity(0)) < 2:
        pytest.skip("needs 2 CPUs: on one, the read() spinning in the kernel is not "
                    "preempted, so nothing else runs during it")
    src = tmp_path / "spin.bpf.c"
    src.write_text(SPIN_PROG)
    obj_path = tmp_path / "spin.bpf.o"
    subprocess.run([build.clang(), *build.CFLAGS, "-I", str(build.HERE), "-c", str(src),
                    "-o", str(obj_path)], check=True, capture_output=True)
    h = Hierarchy()
    h.mkdir("/a")
    with libbpf.BpfObject.load(obj_path) as obj, Mirror(h) as m:
        bss, size = obj.map_fd(".bss")

        def spins() -> int:
            return int.from_bytes(obj.lookup(bss, b"\0" * 4, size)[:8], "little")

        fd = m.open_live("/a")
        try:
            link = obj.attach_iter("cgroup_spin", Order.SELF_ONLY, cgroup_fd=fd)
            ifd = link.create()
            th = threading.Thread(target=os.read, args=(ifd, 4096))
            th.start()
            deadline = time.monotonic() + 30
            while spins() == 0 and time.monotonic() < deadline:
                time.sleep(0.001)                 # until the program runs: mutex held
            assert spins() > 0, "the spinning program never ran"
            link2 = obj.attach_iter("cgroup_spin", Order.SELF_ONLY, cgroup_fd=fd)
            os.close(link2.create())
            link2.destroy()
            after_attach = spins()
            os.mkdir(os.path.join(m.scratch, "new"))
            after_mkdir = spins()
            th.join(60)
            os.close(ifd)
            link.destroy()
            os.rmdir(os.path.join(m.scratch, "new"))
        finally:
            os.close(fd)
    assert after_attach < SPINS, "attach/create/close waited for the walk"
    assert after_mkdir == SPINS, "mkdir did not wait for the walk's cgroup_mutex"
