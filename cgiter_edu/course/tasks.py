"""The task at the end of each lesson: a small program or a computation, graded by
:func:`cgiter_edu.course.handson.check` like lesson 7's programs (what is wrong and a hint,
never the solution).

* lesson 0, ``names``: a program that prints each cgroup's name;
* lesson 1, ``framing``: prologue, one line per cgroup, epilogue;
* lesson 2, ``visits``: a function that runs a walk and returns the ids the program is
  called on;
* lesson 3, ``fits``: a function computing how many records one session holds;
* lesson 4, ``first_read``: a function computing what the first read() returns;
* lesson 5, ``locks``: a function computing how many read() calls take cgroup_mutex;
* lesson 6, ``skipped``: a program that prints how many dead cgroups came before each
  cgroup;
* lesson 8, ``recorded_errors``: a count over the walks recorded on a real kernel;
* lesson 9, ``live_only``: a function that walks with the open-coded css iterator and
  returns the live cgroups only (the loop hands it the dead ones too).

What is right is read from the emulator's walks (and, for lesson 8, from the recordings).
"""

from __future__ import annotations

import errno as _errno
import re
from collections.abc import Callable
from typing import Any

from .. import Order, programs, shapes
from ..events import EventKind
from ..hierarchy import Hierarchy
from ..run import run
from .checking import _flat, _lines, _nothing, _reference, _run_student, _show

#: the page size and the tree of lessons 3 and 4's functions
PAGE = 4096


# -- what the tasks say ------------------------------------------------------------------
TASKS: dict[str, dict[str, Any]] = {
    "names": dict(
        lesson=0, kind="program", title="Every cgroup's name",
        task="Write a program that prints one line for each cgroup the walk reaches: its "
             "name (`\"%s\\n\"`), and `/` for the root, whose name is empty.  The epilogue "
             "call prints nothing.",
        starter="def names(ctx):\n"
                "    cg = ctx.cgroup\n"
                "    if cg is None:                # the epilogue call, after the last cgroup\n"
                "        return 0\n"
                "    # print the name of cg with ctx.meta.seq.printf(...)\n"
                "    return 0\n"),
    "framing": dict(
        lesson=1, kind="program", title="Prologue, records, epilogue",
        task="Write a program that prints `begin` before everything else, then one line "
             "`<seq_num> <id>` for each cgroup (`\"%llu %llu\\n\"`), and at the end "
             "`end <n>`, where n is the `seq_num` the epilogue call sees.",
        starter="def framing(ctx):\n"
                "    seq = ctx.meta.seq\n"
                "    # begin, then \"<seq_num> <id>\" per cgroup, then \"end <n>\"\n"
                "    return 0\n"),
    "visits": dict(
        lesson=2, kind="function", title="Which cgroups, in which order",
        task="Write a function `visits(h, order, start)` that runs a walk of the hierarchy "
             "`h` in `order` from the cgroup at path `start` with `run()`, and returns the "
             "list of the ids of the cgroups the program is called on, in the order it is "
             "called on them.  Your program collects the ids itself (a Python list it "
             "appends to); the epilogue call is not a cgroup.",
        starter="def visits(h, order, start):\n"
                "    ids = []\n"
                "    def collect(ctx):\n"
                "        return 0\n"
                "    run(h, collect, order, start)\n"
                "    return ids\n"),
    "fits": dict(
        lesson=3, kind="function", title="How many fit",
        task="Write a function `fits(page_size, record_bytes)` that computes (with "
             "arithmetic, no walk) how many records of `record_bytes` bytes one session's "
             "buffer holds when the page size is `page_size`; 0 when not even one fits "
             "(that read() gives E2BIG).",
        starter="def fits(page_size, record_bytes):\n"
                "    buffer = page_size * 8\n"
                "    return buffer // record_bytes\n"),
    "first_read": dict(
        lesson=4, kind="function", title="The first read()",
        task="Write a function `first_read(record_bytes, read_size)` that computes how many "
             "bytes the first `read(fd, buf, read_size)` returns, for a walk of a tree with "
             "more cgroups than fit in the buffer, every record `record_bytes` bytes "
             "(4 KiB pages); the string `\"E2BIG\"` when that read() fails so.",
        starter="def first_read(record_bytes, read_size):\n"
                "    return read_size\n"),
    "locks": dict(
        lesson=5, kind="function", title="How often the mutex is taken",
        task="Write a function `locks(read_size)`: for the walk of `shapes.systemd_host()` "
             "in pre-order from the root with 64-byte records (`programs.Record("
             "rec_bytes=64)`), read with `read(fd, buf, read_size)` until a read() returns "
             "0 or fails, how many of those read() calls take `cgroup_mutex`?  Compute it "
             "from the walk's trace (`run(..., read_size=read_size, trace=True)`: one "
             "`lock` event each time), or reason it out.",
        starter="def locks(read_size):\n"
                "    return 1\n"),
    "skipped": dict(
        lesson=6, kind="program", title="Count the dead",
        task="Write a program that prints, for each cgroup it is called on, its id and how "
             "many dead cgroups the walk skipped right before it (`\"%llu %llu\\n\"`): the "
             "gap in `seq_num` since the cgroup before.  Several walks run one after the "
             "other.",
        starter="def skipped(ctx):\n"
                "    cg = ctx.cgroup\n"
                "    if cg is None:\n"
                "        return 0\n"
                "    ctx.meta.seq.printf(\"%llu %llu\\n\", cg.id, 0)\n"
                "    return 0\n"),
    "live_only": dict(
        lesson=9, kind="function", title="Live cgroups, open-coded",
        task="Write a function `live_only(h, start_id)` that runs an open-coded program "
             "with `prog_test_run(h, prog)` and returns the ids of the *live* cgroups "
             "under the cgroup `start_id` (itself included), in pre-order: the program "
             "walks with `bpf_for_each(\"css\", ...)` from `bpf_cgroup_from_id(start_id)` "
             "and the verifier must accept it (a syscall program is sleepable).  An id that "
             "is no cgroup (or a removed one) gives `[]`.",
        starter="from cgiter_edu.opencoded import *\n\n"
                "def live_only(h, start_id):\n"
                "    ids = []\n"
                "    def prog(ctx):\n"
                "        cg = bpf_cgroup_from_id(start_id)\n"
                "        if cg is None:\n"
                "            return 1\n"
                "        for pos in bpf_for_each(\"css\", cg.self, BPF_CGROUP_ITER_DESCENDANTS_PRE):\n"
                "            ids.append(pos.cgroup.id)\n"
                "        bpf_cgroup_release(cg)\n"
                "        return 0\n"
                "    prog_test_run(h, prog)\n"
                "    return ids\n"),
    "recorded_errors": dict(
        lesson=8, kind="answer", title="Errors on the real kernel",
        task="Of the walks recorded on a real kernel (`kernel_walks.bundled()`), in how many "
             "did a read() fail with EOPNOTSUPP on the kernel?  Compute it with a loop over "
             "the cases (a failed read() is `[\"err\", errno]` in `case[\"reads\"]`) and "
             "check the number.",
        starter="from cgiter_edu import kernel_walks\n"
                "recorded_errors = 0\n"
                "for case in kernel_walks.bundled():\n"
                "    pass                          # count the cases with an EOPNOTSUPP read\n"),
}


# -- helpers -------------------------------------------------------------------------------
def _compare(want: list[str], got: list[str], where: str, whats: list[str],
             hint: Callable[[int, str], str]) -> str | None:
    """The first line that differs: ``whats[i]`` says what line i is about.  A line that
    starts as the right one does (the same first word: the right cgroup's id, the right
    seq_num) is the right cgroup's line with a wrong rest: it is said so, not that it
    should be that cgroup's line."""
    for i, (w, g) in enumerate(zip(want, got, strict=False)):
        if w != g:
            if len(w.split()) > 1 and g.split()[:1] == w.split()[:1]:
                return (f"{where}, line {i + 1} is '{_show(g)}': the line of {whats[i]}, "
                        f"but not what it should say.\nHint: {hint(i, g)}")
            return (f"{where}, line {i + 1} is '{_show(g)}'; it should be the line of "
                    f"{whats[i]}.\nHint: {hint(i, g)}")
    if len(got) < len(want):
        return (f"{where}, your output stops after {len(got)} lines; the line of "
                f"{whats[len(got)]} is missing.\nHint: {hint(len(got), '')}")
    if len(got) > len(want):
        return (f"{where}, your output has more lines than it should: "
                f"'{_show(got[len(want)])}' comes after the last one.\nHint: "
                f"{hint(len(want), got[len(want)])}")
    return None


def _program_walks(prog: Callable[[Any], int], case: Any, order: Order, walks: int = 1):
    for _ in range(walks):
        res, err = _run_student(prog, case, order)
        if res is None:
            yield None, err
            return
        problem = _nothing(res, case)
        if problem:
            yield None, problem
            return
        yield res, ""


# -- the program tasks -----------------------------------------------------------------------
def check_names(prog: Callable[[Any], int], case: Any) -> str | None:
    calls = _reference(case.h, Order.DESCENDANTS_PRE, case.start)[0].calls
    want = [v.name or "/" for v, _ in calls]
    whats = [f"{v.path} (id {v.id})" for v, _ in calls]
    for res, err in _program_walks(prog, case, Order.DESCENDANTS_PRE):
        if res is None:
            return err

        def hint(i: int, g: str) -> str:
            if i < len(calls) and g == calls[i][0].path:
                return "the name is the last part of the path (kn->name), not the path."
            if i < len(calls) and g == "" and calls[i][0].name == "":
                return "the root's name is empty: print / for it."
            if i >= len(calls):
                return "the epilogue call (ctx.cgroup None) prints nothing."
            return "one line per cgroup, its name and a newline, nothing more."
        return _compare(want, _lines(res.output), f"On {case.where()}", whats, hint)
    return None


def check_framing(prog: Callable[[Any], int], case: Any) -> str | None:
    ref = _reference(case.h, Order.DESCENDANTS_PRE, case.start)[0]
    calls, epi = ref.calls, ref.epilogue_seq_num
    want = ["begin"] + [f"{n} {v.id}" for v, n in calls] + [f"end {epi}"]
    whats = (["the prologue"] + [f"{v.path} (id {v.id}, seq_num {n})" for v, n in calls]
             + ["the epilogue"])
    for res, err in _program_walks(prog, case, Order.DESCENDANTS_PRE):
        if res is None:
            return err
        got = _lines(res.output)

        def hint(i: int, g: str) -> str:
            if i == 0:
                return ("the prologue is no call of its own: print it in the call on the "
                        "first cgroup, the one whose seq_num is 0, before its own line.")
            if i == len(want) - 1 or g.startswith("end"):
                if g.startswith("end "):
                    return ("the epilogue sees the seq_num of the last object the walk "
                            "reached, not one more, and not a count of your own.")
                return "the last call, with ctx.cgroup None, is where `end <n>` is printed."
            if g == "begin":
                return "begin comes once, before the first cgroup's line: when seq_num is 0."
            return "seq_num first, then the id; each is ctx.meta.seq_num and ctx.cgroup.id."
        return _compare(want, got, f"On {case.where()}", whats, hint)
    return None


def check_skipped(prog: Callable[[Any], int], case: Any) -> str | None:
    calls = _reference(case.h, Order.DESCENDANTS_PRE, case.start)[0].calls
    want, prev = [], -1
    for v, n in calls:
        want.append(f"{v.id} {n - prev - 1}")
        prev = n
    whats = [f"{v.path} (id {v.id})" for v, _ in calls]
    first_ok = False
    for res, err in _program_walks(prog, case, Order.DESCENDANTS_PRE, walks=2):
        if res is None:
            return err
        got = _lines(res.output)
        if got == want:
            first_ok = True
            continue
        if first_ok:
            return (f"On {case.where()}: the first walk printed the right lines, the same "
                    f"walk again (a second `cat`) printed '{_show(got[0]) if got else ''}' "
                    "first.\nHint: what a program remembers stays from one walk to the "
                    "next; forget it at the epilogue call, the last call of a walk that ends "
                    "(a cut walk gets none: lessons 3 and 4).")

        def hint(i: int, g: str) -> str:
            m = re.fullmatch(r"(\d+) (\d+)", g)
            if m and i < len(calls) and int(m.group(2)) != int(want[i].split()[1]):
                return ("a dead cgroup is skipped without calling your program, but it uses "
                        "up a seq_num: count the numbers missing between the seq_num you "
                        "saw last and this one.")
            return "each line is the id, one space, the count of dead cgroups skipped just before."
        return _compare(want, got, f"On {case.where()}", whats, hint)
    return None


# -- the function tasks ------------------------------------------------------------------------
class _Sized(programs.Program):
    """``rec`` bytes per cgroup in one bpf_seq_write; nothing at the epilogue."""

    def __init__(self, rec: int) -> None:
        self.data = b"." * (rec - 1) + b"\n"

    def __call__(self, ctx: Any) -> int:
        if ctx.cgroup is not None:
            ctx.meta.seq.write(self.data)
        return 0


def _first(page_size: int, rec: int, read_size: int) -> tuple[int | str, int]:
    """The first read()'s result and the records it delivered, on a tree with more
    cgroups than fit."""
    from .. import KernelConfig

    n = (page_size * 8) // rec + 3
    r = run(_flat(n), _Sized(rec), Order.DESCENDANTS_PRE, read_size=read_size,
            kernel=KernelConfig(page_size=page_size), trace=True)
    return r.results[0], r.trace.counts().get("delivered", 0)


def _call(fn: Callable[..., Any], args: tuple) -> tuple[Any, str]:
    try:
        return fn(*args), ""
    except Exception as e:          # noqa: BLE001 - a student's function may raise anything
        return None, f"{type(e).__name__}: {e}"


def _args_text(name: str, args: tuple) -> str:
    return f"{name}({', '.join(map(repr, args))})"


def check_fits(fn: Callable[..., Any], _case: Any = None) -> str | None:
    for page, rec in [(4096, 64), (4096, 100), (4096, 24), (4096, 4096), (16384, 64),
                      (4096, 1000), (4096, 32768), (4096, 40000), (65536, 3000)]:
        got, err = _call(fn, (page, rec))
        call = _args_text("fits", (page, rec))
        right = _first(page, rec, 1 << 22)[1]
        if err:
            return f"{call} raised {err}.\nHint: page_size and record_bytes are ints."
        if got == right:
            continue
        if got == right + 1:
            return (f"{call} returned {got!r}: one too many.\nHint: seq_write() appends only "
                    "if count + len < size (strictly less): the buffer's last byte is never "
                    "used.")
        if right == 0:
            return (f"{call} returned {got!r}, but not even one record fits there.\nHint: "
                    "what is left when the first record alone is larger than the buffer?")
        return (f"{call} returned {got!r}, not what the kernel gives.\nHint: the buffer is "
                "PAGE_SIZE << 3 bytes, and every record in it is whole.")
    return None


def check_first_read(fn: Callable[..., Any], _case: Any = None) -> str | None:
    for rec, size in [(64, 4096), (64, 4097), (64, 131072), (100, 1000), (24, 64),
                      (3000, 100), (100, 32767), (4096, 8192), (1000, 5), (40000, 4096)]:
        got, err = _call(fn, (rec, size))
        call = _args_text("first_read", (rec, size))
        right = _first(PAGE, rec, size)[0]
        if err:
            return f"{call} raised {err}.\nHint: record_bytes and read_size are ints."
        if got == right:
            continue
        if right == "E2BIG":
            return (f"{call} returned {got!r}, but that read() fails.\nHint: lesson 3: what "
                    "does read() give when not even the first record fits in the buffer?")
        if isinstance(got, int) and got > size:
            return (f"{call} returned {got}, more than the read() asked for.\nHint: read() "
                    "never returns more than its size; the rest stays for the next read().")
        if size >= PAGE * 8:
            return (f"{call} returned {got!r}, not what the kernel gives.\nHint: a read() "
                    "larger than the buffer gets what the buffer holds when the walk is cut "
                    "(lesson 3: its last byte is never used).")
        return (f"{call} returned {got!r}, not what the kernel gives.\nHint: after each record "
                "bpf_seq_read stops when the buffer holds at least the read() size; then it "
                "copies out at most that size.")
    return None


def _locks_right(read_size: int) -> int:
    r = run(shapes.systemd_host(), programs.Record(rec_bytes=64), Order.DESCENDANTS_PRE,
            read_size=read_size, trace=True, extra_reads=0)
    return len(r.trace.of_kind(EventKind.LOCK))


def check_locks(fn: Callable[..., Any], _case: Any = None) -> str | None:
    for size in (131072, 1000, 4096, 64, 500, 100):
        got, err = _call(fn, (size,))
        call = _args_text("locks", (size,))
        if err:
            return f"{call} raised {err}."
        right = _locks_right(size)
        if got == right:
            continue
        return (f"{call} returned {got!r}, not what the trace shows.\nHint: every read() that "
                "calls start() takes cgroup_mutex, also the one that ends with EOPNOTSUPP; a "
                "read() that only hands out leftovers from the buffer calls neither start() "
                "nor stop().")
    return None


# -- the answer task ---------------------------------------------------------------------------
def _recorded_errors_right() -> int:
    from .. import kernel_walks

    return sum(any(n == "err" and d == _errno.EOPNOTSUPP for n, d in c["reads"])
               for c in kernel_walks.bundled())


def check_recorded_errors(answer: Any, _case: Any = None) -> str | None:
    right = _recorded_errors_right()
    if isinstance(answer, bool) or not isinstance(answer, int):
        return (f"The answer is a number of walks, not {type(answer).__name__} {answer!r}.\n"
                "Hint: count with an int, one for each case with an EOPNOTSUPP read().")
    if answer == right:
        return None
    return (f"{answer} is not the count: it is {'lower' if answer > right else 'higher'}.\n"
            f"Hint: EOPNOTSUPP is errno {_errno.EOPNOTSUPP} (errno.EOPNOTSUPP); count each "
            "case once, however many of its reads failed; an attach that failed has no "
            "reads.")


def check_visits(fn: Callable[..., Any], case: Any) -> str | None:
    h = case.h
    live = [c for c in h.cgroups() if not c.dead]
    deep = max(live, key=lambda c: c.level)
    start = case.start or "/"
    for order, at in [(Order.DESCENDANTS_PRE, start), (Order.DESCENDANTS_POST, start),
                      (Order.ANCESTORS_UP, deep.path), (Order.SELF_ONLY, start)]:
        right = [v.id for v, _ in _reference(h, order, at)[0].calls]
        got, err = _call(fn, (h, order, at))
        call = f"visits(<{case.where()}>, Order.{order.name}, {at!r})"
        if err:
            return (f"{call} raised {err}.\nHint: run(h, prog, order, start) runs the walk; "
                    "your program gets ctx and returns 0.")
        if got == right:
            continue
        if isinstance(got, list) and None in got:
            return (f"{call} has None in its list.\nHint: the last call, with ctx.cgroup "
                    "None, is the epilogue: no cgroup.")
        if isinstance(got, list) and got == right[::-1]:
            return (f"{call} is the right cgroups in the wrong order.\nHint: append in the "
                    "order the program is called.")
        dead = {c.id for c in h.cgroups() if c.dead}
        if isinstance(got, list) and set(got) & dead:
            return (f"{call} lists a dead cgroup.\nHint: the walk reaches a dead cgroup but "
                    "does not call the program on it: collect inside the program.")
        if isinstance(got, list) and len(got) > len(right) and got[:len(right)] == right:
            return (f"{call} has more ids than the walk calls the program on.\nHint: make a "
                    "new list for each call of visits, not one for all of them.")
        return (f"{call} returned {got!r:.80}, not the cgroups the program is called on.\n"
                f"Hint: append ctx.cgroup.id in the program, for every call but the "
                "epilogue.")
    return None


def _live_only_cases() -> list[tuple[Hierarchy, int, str]]:
    h = shapes.systemd_host()
    r1 = shapes.random(60, seed=9, dead=0.3)
    r2 = shapes.random(40, seed=4, dead=0.5)
    dead = next(c.id for c in h.cgroups() if c.dead)
    return [(h, 1, "the systemd host from the root"),
            (h, h.id_of("/user.slice"), "the systemd host from /user.slice"),
            (r1, 1, "a 60-cgroup random tree"), (r2, 1, "a 40-cgroup random tree"),
            (h, dead, "the systemd host from its dead session"),
            (h, 999, "an id no cgroup has")]


def check_live_only(fn: Callable[..., Any], _case: Any = None) -> str | None:
    from .. import opencoded

    for h, start, what in _live_only_cases():
        before = opencoded.runs
        got, err = _call(fn, (h, start))
        call = f"live_only(h, {start}) on {what}"
        if err:
            return (f"{call} raised {err}.\nHint: print(prog_test_run(h, prog).load_error) "
                    "tells whether the verifier refused your program, and why.")
        if opencoded.runs == before:
            return (f"{call} ran no BPF program.\nHint: the walk is the program's: run it "
                    "with prog_test_run(h, prog), looping with bpf_for_each(\"css\", ...).")
        r = opencoded.css_walk(h, 2, start, trace=False)
        right = [i for i, online, _ in r.records if online]
        dead = {i for i, online, _ in r.records if not online}
        if not isinstance(got, (list, tuple)):
            return f"{call} returned {got!r}, not a list of ids.\nHint: return the list."
        got = list(got)
        if got == right:
            continue
        if not got and right:
            return (f"{call} returned nothing.\nHint: did the program load?  "
                    "prog_test_run(h, prog).load_error says why not, in the verifier's "
                    "words (a syscall program is sleepable).")
        if dead & set(got):
            return (f"{call} has the dead cgroup(s) {sorted(dead & set(got))} in it.\nHint: "
                    "the open-coded loop does not skip dead cgroups as cgroup_iter does: "
                    "test pos.flags & CSS_ONLINE.")
        if sorted(got) == sorted(right):
            return (f"{call} has the right ids in another order.\nHint: walk in "
                    "pre-order (BPF_CGROUP_ITER_DESCENDANTS_PRE).")
        return (f"{call} returned {len(got)} ids, not the live cgroups under {start}.\n"
                "Hint: start at bpf_cgroup_from_id(start_id), and keep every live cgroup "
                "the loop gives, itself included.")
    return None
