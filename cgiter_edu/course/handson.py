"""Programs a student writes, graded by running them on the emulator.

Lesson 7 asks for three programs.  :func:`check` runs a student's Python program (a
callable ``prog(ctx) -> int``, as in :mod:`cgiter_edu.programs`) on several trees -- the
one the lesson shows and hidden ones made from a seed -- compares what it printed and how
the walk ended with what the task asks, and answers with **what is wrong and a hint**,
never with the program that would be right.  What the task asks is read from the
emulator's walk (the cgroups the program is called on, their ``seq_num``, levels and
names, how the walk ends), so nothing here walks a hierarchy itself.

The exercises (:data:`EXERCISES`, names in :data:`NAMES`):

* ``first_match``: print ``<id> <name>`` for each cgroup and stop the walk after the
  first one named ``web``;
* ``page``: write a record of exactly 128 bytes, so that 32 fill a 4096-byte page;
* ``leaves``: print ``<id> <level>`` for the leaf cgroups only (the program must
  remember the cgroup before, and print the last one at the epilogue).

Each has a C twin, the same program as a real ``SEC("iter/cgroup")`` BPF program
(:func:`c_source`; tests/test_handson_live.py compiles it with clang, loads it on the
running kernel and checks that it prints, byte for byte, what the Python solution prints
on the same tree).  :func:`on_kernel` runs a C program on this machine's kernel beside
the emulator, or says in one line why it cannot.

A program that never returns cannot hang the notebook: :func:`check` gives each tree's
run a budget (:data:`STEP_BUDGET` steps of the student's Python, :data:`TIME_BUDGET`
seconds) and, when it is spent, answers "your program did not return ...: does it
loop?" (a real program could not: the verifier proves that it ends before it loads).

For graders (nbgrader and the like): ``check(name, prog)`` returns a :class:`Result`;
``result.passed`` is True or False, ``result.messages`` the lines shown to the student;
``bool(result)`` is ``result.passed``.  It never raises for what the program does
(raising, returning 2, printing nothing are all answers); only an unknown exercise name
or a ``prog`` that is not callable raise ``ValueError``/``TypeError``.

Example::

    >>> from cgiter_edu.course.handson import check
    >>> def prog(ctx):
    ...     return 0
    >>> r = check("first_match", prog)
    >>> r.passed, r.messages[0].startswith("Your program wrote nothing")
    (False, True)
"""

from __future__ import annotations

import os
import re
import signal
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from .. import Order
from ..events import EndReason, EventKind
from ..hierarchy import Hierarchy
from . import tasks as _tasks
from .checking import (
    _Calls,
    _flat,
    _nothing,
    _reference,
    _run_student,
    _show,
    _student_lines,
)
from .questions.base import Rng

#: what the first_match exercise looks for
TARGET = "web"
#: the page exercise's record size and page size: 4096 // 128 = 32 records a page
RECORD_BYTES = 128
PAGE_BYTES = 4096
#: how many hidden trees :func:`check` adds to the example tree (:func:`lesson_tree`)
HIDDEN_TREES = 5
#: the budget of one tree's run in :func:`check`: steps (bytecode instructions) of the
#: student's own Python (the package's do not count; a right program uses a few dozen
#: per cgroup) ...
STEP_BUDGET = 2_000_000
#: ... and seconds (for a program that waits, sleep() or input(); main thread only)
TIME_BUDGET = 30.0


@dataclass(frozen=True)
class Exercise:
    """One hands-on exercise, as :func:`exercise` gives it.

    Parameters
    ----------
    name : str
        Its name, for :func:`check`.
    title : str
        A short title.
    task : str
        What the program must do, as the lesson says it.
    starter : str
        Python code a student starts from (it runs, and fails the check).
    c_file : str or None
        The C twin's file name (:func:`c_source`), None for a task without one.
    order : Order, default Order.DESCENDANTS_PRE
        The walk it is run in.
    lesson : int, default 7
        The lesson it belongs to.
    kind : {"program", "function", "answer"}, default "program"
        A ``prog(ctx)``, a Python function of the task's arguments, or a value.

    Examples
    --------
    >>> ex = exercise("leaves"); ex.kind, ex.c_file
    ('program', 'leaves.bpf.c')
    """

    name: str
    title: str
    task: str
    starter: str
    c_file: str | None
    order: Order = Order.DESCENDANTS_PRE
    #: the lesson it belongs to; ``kind``: "program" (a ``prog(ctx)``), "function" (a
    #: Python function of the task's arguments) or "answer" (a value)
    lesson: int = 7
    kind: str = "program"


EXERCISES: dict[str, Exercise] = {
    "first_match": Exercise(
        "first_match", "Stop at the first match",
        "Print one line for each cgroup the program is called on: its id and its name, "
        f"separated by one space (`\"%llu %s\\n\"`).  Stop the walk right after the first "
        f"cgroup named `{TARGET}`: its own line is printed, no line after it.  The epilogue "
        "call prints nothing.",
        "def first_match(ctx):\n"
        "    cg = ctx.cgroup\n"
        "    if cg is None:                 # the epilogue call: print nothing\n"
        "        return 0\n"
        f"    # print \"<id> <name>\" and stop after the first cgroup named \"{TARGET}\"\n"
        "    return 0\n",
        "first_match.bpf.c"),
    "page": Exercise(
        "page", "Exactly 32 records a page",
        f"Write one record of exactly {RECORD_BYTES} bytes for each cgroup, so that exactly "
        f"{PAGE_BYTES // RECORD_BYTES} records fill a {PAGE_BYTES}-byte page: a line that "
        "starts with the cgroup's id, then its `seq_num` (decimal numbers, separated by "
        "spaces; leading spaces or zeros are fine), filled to the record size, ending with "
        "a newline.  Make the size with `bpf_seq_printf` widths (`%-20llu` is 20 bytes "
        "whatever the number), as a C program must.  The epilogue call prints nothing.",
        "def page(ctx):\n"
        "    cg = ctx.cgroup\n"
        "    if cg is None:\n"
        "        return 0\n"
        "    # one record of exactly 128 bytes: id, seq_num, padding, newline\n"
        "    ctx.meta.seq.printf(\"%llu %llu\\n\", cg.id, ctx.meta.seq_num)\n"
        "    return 0\n",
        "page.bpf.c"),
    "leaves": Exercise(
        "leaves", "Only the leaves, with their depth",
        "Print one line for each leaf cgroup (a cgroup without live children): its id and "
        "its level (`cgrp->level`, 0 for the root), separated by one space "
        "(`\"%llu %d\\n\"`), in the order of the walk (pre-order).  The program sees one "
        "cgroup at a time and never its children: what does it know when the *next* "
        "cgroup comes?  Several walks run one after the other, each must print only its "
        "own leaves.",
        "def leaves(ctx):\n"
        "    cg = ctx.cgroup\n"
        "    if cg is None:\n"
        "        return 0\n"
        "    # print \"<id> <level>\" for the leaves only\n"
        "    ctx.meta.seq.printf(\"%llu %d\\n\", cg.id, cg.level)\n"
        "    return 0\n",
        "leaves.bpf.c"),
}

#: the exercise names, in the lesson's order
NAMES = tuple(EXERCISES)

#: the task at the end of each lesson (lesson 7's are its three programs), by name
TASKS: dict[str, Exercise] = {
    name: Exercise(name, t["title"], t["task"], t["starter"], None, lesson=t["lesson"],
                   kind=t["kind"])
    for name, t in _tasks.TASKS.items()
}
#: the end-of-lesson tasks' names, in the lessons' order
TASK_NAMES = tuple(TASKS)


@dataclass
class Result:
    """What :func:`check` found; truthy when passed, and printed it shows the messages.

    Parameters
    ----------
    exercise : str
        The exercise's name.
    passed : bool
        Whether the answer is right.
    messages : list of str
        What is wrong and a hint, or what was checked.
    trees : int
        How many trees the program ran on before the first problem (all of them when it
        passed).

    Examples
    --------
    >>> str(Result("page", True, ["right"], 3))
    'page: right\\nright'
    """

    exercise: str
    passed: bool
    messages: list[str] = field(default_factory=list)
    trees: int = 0

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        head = f"{self.exercise}: {'right' if self.passed else 'not yet'}"
        return "\n".join([head, *self.messages])

    __repr__ = __str__


# -- the trees ----------------------------------------------------------------------------
_NAMES = ("web", "db", "api", "webapp", "cache", "log", "init.scope", "pod1", "pod2", "worker")


def lesson_tree() -> Hierarchy:
    """The tree lesson 7 shows (10 cgroups, two named ``web``): the example tree of
    :func:`check`.

    Returns
    -------
    Hierarchy
        A fresh copy.

    Examples
    --------
    >>> [c.path for c in lesson_tree().cgroups()][:3]
    ['/', '/system.slice', '/system.slice/sshd.service']
    """
    h = Hierarchy()
    for p in ("/system.slice", "/system.slice/sshd.service", "/kubepods",
              "/kubepods/besteffort", "/kubepods/besteffort/web", "/kubepods/burstable",
              "/kubepods/burstable/db", "/kubepods/burstable/web", "/user.slice"):
        h.mkdir(p)
    return h


@dataclass
class Case:
    """One tree a program is checked on (what :func:`cases` gives).

    Parameters
    ----------
    h : Hierarchy
        The tree.
    start : str, optional
        Where the walk starts (None: the root).
    read_size : int, default 131072
        The read() size.
    shown : bool, default False
        Whether the lesson shows it (the example tree) or it is hidden.

    Examples
    --------
    >>> Case(lesson_tree(), shown=True).where()
    'the example tree (lesson_tree())'
    """

    h: Hierarchy
    start: str | None = None
    read_size: int = 131072
    shown: bool = False

    def where(self) -> str:
        """How a message names this tree."""
        n = len(self.h)
        what = ("the example tree (lesson_tree())" if self.shown
                else f"a hidden tree of {n} cgroups")
        start = "" if self.start is None else f", walk from {self.start}"
        size = "" if self.read_size == 131072 else f", read() size {self.read_size}"
        return what + start + size


def _random_tree(rng: Rng, n: int, names: tuple[str, ...], dead: int) -> Hierarchy:
    h = Hierarchy()
    paths = ["/"]
    for _ in range(1, n):
        parent = rng.choice([p for p in paths if p.count("/") < 4 or p == "/"])
        taken = {c.name for c in h.children(parent)}
        free = [x for x in names if x not in taken]
        if not free:
            continue
        path = ("" if parent == "/" else parent) + "/" + rng.choice(free)
        h.mkdir(path)
        paths.append(path)
    leaves = [c.path for c in h.cgroups()[1:] if not h.children(c.path)]
    for p in rng.sample(leaves, min(dead, max(len(leaves) - 2, 0))):
        h.kill(p)
    return h


def cases(name: str, seed: int = 0) -> list[Case]:
    """The trees :func:`check` runs an exercise on.

    Parameters
    ----------
    name : str
        The exercise.
    seed : int, default 0
        Makes the hidden trees (the same seed, the same trees).

    Returns
    -------
    list of Case
        The lesson's tree, then :data:`HIDDEN_TREES` hidden ones.

    Raises
    ------
    ValueError
        An exercise name that is not one.

    Examples
    --------
    >>> [c.shown for c in cases("leaves")]
    [True, False, False, False, False, False]
    """
    _exercise(name)
    out = [Case(lesson_tree(), shown=True)]
    for k in range(HIDDEN_TREES):
        rng = Rng(seed * 64 + k, "handson:" + name)
        names = _NAMES if k % 3 != 2 else tuple(x for x in _NAMES if x != TARGET)
        h = _random_tree(rng, rng.between(6, 14), names, dead=rng.below(3))
        start = None
        if k == 3:                                  # one walk from below the root
            inner = [c.path for c in h.cgroups()[1:] if not c.dead and h.children(c.path)]
            start = rng.choice(inner) if inner else None
        out.append(Case(h, start))
    if name == "page":
        # more cgroups than one session holds, and a read() of one page
        out.append(Case(_flat(300), None))
        out.append(Case(_flat(40), None, read_size=PAGE_BYTES))
    return out


# -- what the task asks --------------------------------------------------------------------
def _stale(got: list[str], calls: _Calls) -> str | None:
    """A first line naming a cgroup this walk never reached: state from another walk."""
    if not got:
        return None
    ids = {v.id for v, _ in calls.calls}
    m = re.match(r"\s*(\d+)", got[0])
    if m and int(m.group(1)) not in ids:
        return (f"The first line of this walk, '{_show(got[0])}', is about cgroup "
                f"{m.group(1)}, which this walk never reached: your program kept it from "
                "the walk before.\nHint: a program's state (a Python dict, a global in C) "
                "stays from one walk to the next; start afresh when seq_num is 0.")
    return None


# -- first_match ----------------------------------------------------------------------------
def _check_first_match(prog: Callable[[Any], int], case: Case) -> str | None:
    order = EXERCISES["first_match"].order
    calls, _ = _reference(case.h, order, case.start)
    want: list[str] = []
    match = None
    for v, _n in calls.calls:
        want.append(f"{v.id} {v.name}")
        if v.name == TARGET:
            match = v
            break
    res, got = _student_lines(prog, case, order)
    if res is None:
        return got
    ended = res.trace.end_reason
    where = f"On {case.where()}"
    for i, (w, g) in enumerate(zip(want, got, strict=False)):
        if w == g:
            continue
        v = calls.calls[i][0]
        hint = _line_hint_first_match(g, v)
        return (f"{where}, line {i + 1} is '{_show(g)}', but it should be about "
                f"{v.path} (id {v.id}).\nHint: {hint}")
    if len(got) < len(want):
        v = calls.calls[len(got)][0]
        if match is not None and v == match:
            return (f"{where} the walk stopped at {v.path} (id {v.id}), the first cgroup "
                    f"named '{TARGET}', but its own line is missing.\nHint: print the "
                    "cgroup's line first, then return 1: the program decides what this "
                    "cgroup shows, and 1 means 'no cgroup after this one'.")
        return (f"{where} your output stops after {len(got)} lines; the program was called "
                f"on {v.path} (id {v.id}) next, whose line is missing.\nHint: return 1 "
                f"only at a cgroup named '{TARGET}', 0 everywhere else.")
    if len(got) > len(want):
        extra = got[len(want)]
        if match is not None:
            return (f"{where} the output goes on after {match.path} (id {match.id}), the "
                    f"first cgroup named '{TARGET}': '{_show(extra)}' comes after it.\n"
                    "Hint: returning 1 stops the walk after the cgroup the program is "
                    "called on; the epilogue call (ctx.cgroup None) prints nothing.")
        return (f"{where} there is no cgroup named '{TARGET}', and after the last cgroup "
                f"your output has '{_show(extra)}'.\nHint: the epilogue call (ctx.cgroup "
                "None) prints nothing in this exercise.")
    if match is not None and ended is not EndReason.PROGRAM:
        more = sum(1 for e in res.trace.of_kind(EventKind.SHOW) if e.cgroup is not None)
        return (f"{where} the lines are right, but the walk did not stop at {match.path}: "
                f"your program was called on {more - len(want)} more cgroups after it and "
                "printed nothing for them.\nHint: not printing is not stopping; only the "
                "program's return value ends the walk.")
    return None


def _line_hint_first_match(got: str, v: Any) -> str:
    if got.strip() == str(v.id) or got.rstrip() == f"{v.id}":
        return "each line has the id and the name, separated by one space."
    if got == f"{v.id} {v.path}" and v.path != v.name:
        return ("print the cgroup's name (its directory name, kn->name; \"\" for the root), "
                "not its path.")
    if str(v.id) not in got.split(" ")[:1]:
        return ("the line starts with the cgroup's id (cgroup_id, %llu); are you printing "
                "another number, or the lines of another walk?")
    return "the format is the id, one space, the name, and a newline: nothing more."


# -- page -------------------------------------------------------------------------------------
def _blank(ctx: Any) -> int:
    """A record of RECORD_BYTES blanks for each cgroup, nothing at the epilogue: how the
    read() calls end for records of that size."""
    if ctx.cgroup is not None:
        ctx.meta.seq.write(b" " * (RECORD_BYTES - 1) + b"\n")
    return 0


def _check_page(prog: Callable[[Any], int], case: Case) -> str | None:
    order = EXERCISES["page"].order
    calls, ref = _reference(case.h, order, case.start, case.read_size, _blank)
    res, err = _run_student(prog, case, order)
    if res is None:
        return err
    problem = _nothing(res, case)
    if problem:
        return problem
    where = f"On {case.where()}"
    data = res.output
    records = data.split(b"\n")
    tail = records.pop()                              # after the last newline
    for i, rec in enumerate(records):
        n = len(rec) + 1
        if i >= len(calls.calls):
            break
        v, seq_num = calls.calls[i]
        if n != RECORD_BYTES:
            d = n - RECORD_BYTES
            hint = (f"{abs(d)} byte{'' if abs(d) == 1 else 's'} "
                    f"{'short' if d < 0 else 'too many'}: count each field's width, the "
                    "spaces between the fields and the newline, which is one of the "
                    "record's bytes too." if abs(d) <= 2 else
                    "add up each field's width, the spaces between them and the newline; "
                    "a width is a minimum, so make each field wide enough for any number.")
            return (f"{where}, record {i + 1} (cgroup {v.path}, id {v.id}) is {n} bytes, "
                    f"newline included, not {RECORD_BYTES}.\nHint: {hint}")
        nums = rec.split()[:2]
        if len(nums) < 2 or not all(x.isdigit() for x in nums):
            return (f"{where}, record {i + 1} starts with '{_show(rec[:40].decode(errors='replace'))}': "
                    "it should start with two decimal numbers.\nHint: the id first, then "
                    "seq_num, then only padding.")
        if (int(nums[0]), int(nums[1])) != (v.id, seq_num):
            return (f"{where}, record {i + 1} starts with {int(nums[0])} {int(nums[1])}, "
                    f"but it is about cgroup {v.path}: id {v.id}, seq_num {seq_num}.\n"
                    "Hint: the id is ctx.cgroup.id, the number is ctx.meta.seq_num (a dead "
                    "cgroup the program never sees still uses one up).")
    if tail:
        return (f"{where} the output ends with '{_show(tail[:40].decode(errors='replace'))}' "
                "after the last full record.\nHint: each record ends with a newline, and "
                "the epilogue call (ctx.cgroup None) prints nothing.")
    if len(records) > len(calls.calls):
        return (f"{where} there are {len(records)} lines, one more than the cgroups the "
                "program was called on.\nHint: the epilogue call (ctx.cgroup None) prints "
                "nothing in this exercise.")
    if res.results != ref.results:
        return (f"{where} the read() calls returned {res.results}, but records of "
                f"{RECORD_BYTES} bytes give {ref.results}.\nHint: every record must be the "
                "same size, the first as the last.")
    return None


# -- leaves -----------------------------------------------------------------------------------
def _check_leaves(prog: Callable[[Any], int], case: Case, walks: int = 2) -> str | None:
    order = EXERCISES["leaves"].order
    calls, _ = _reference(case.h, order, case.start)
    want = []
    leaves = []
    seq = calls.calls
    for i, (v, _n) in enumerate(seq):
        if i + 1 == len(seq) or seq[i + 1][0].level <= v.level:
            want.append(f"{v.id} {v.level}")
            leaves.append(v)
    for walk in range(walks):
        res, got = _student_lines(prog, case, order)
        if res is None:
            return got
        where = f"On {case.where()}" + (", in the second walk of two" if walk else "")
        if got == want:
            continue
        stale = _stale(got, calls)
        if stale:
            return f"{where}: {stale}"
        if walk:
            return (f"{where}: the first walk printed the right lines, the same walk again "
                    f"(a second `cat`) printed '{_show(got[0])}' first.\nHint: a program's "
                    "state (a Python dict, a global in C) stays from one walk to the next; "
                    "start afresh when seq_num is 0.")
        if got == want[:-1]:
            v = leaves[-1]
            return (f"{where}, the last leaf, {v.path} (id {v.id}), is missing.\nHint: no "
                    "cgroup comes after it, so only the epilogue call (ctx.cgroup None) "
                    "can tell that it was a leaf.")
        by_id = {v.id: v for v, _ in seq}
        got_ids = []
        for i, g in enumerate(got):
            m = re.fullmatch(r"(\d+) (-?\d+)", g)
            if not m:
                return (f"{where}, line {i + 1} is '{_show(g)}'.\nHint: each line is a "
                        "leaf's id and its level, separated by one space, nothing more.")
            cid, level = int(m.group(1)), int(m.group(2))
            v = by_id.get(cid)
            if v is None:
                return (f"{where}, line {i + 1} names cgroup {cid}, which this walk does not "
                        "reach.\nHint: print the id of a cgroup the program was called on.")
            if v not in leaves:
                kid = next(c for c in case.h.children(v.path) if not c.dead)
                return (f"{where}, {v.path} (id {cid}) is printed, but it is no leaf: "
                        f"{kid.path} is its child.\nHint: in pre-order a cgroup's children "
                        "come right after it: the cgroup before was a leaf exactly when "
                        "this one is not deeper.")
            if level != v.level:
                return (f"{where}, {v.path} (id {cid}) is printed with level {level}; its "
                        f"level is another.\nHint: cgrp->level counts the steps from the "
                        "hierarchy's root (0), whatever cgroup the walk starts at.")
            got_ids.append(cid)
        for v in leaves:
            if v.id not in got_ids:
                return (f"{where}, the leaf {v.path} (id {v.id}) is missing.\nHint: a cgroup "
                        "is a leaf when the next cgroup the program is called on is not "
                        "deeper (or when no cgroup comes after it).")
        return (f"{where}, the leaves are printed out of order or more than once.\nHint: "
                "print each leaf once, when you learn that it is one.")
    return None


# -- the budget of a tree's run ----------------------------------------------------------
class Runaway(BaseException):
    """The student's program spent its budget (:data:`STEP_BUDGET`, :data:`TIME_BUDGET`).

    A ``BaseException``, so that neither the emulator (which turns a program's exceptions
    into :class:`~cgiter_edu.BpfProgramError`) nor the program's own
    ``except Exception`` can swallow it; :func:`check` turns it into its answer.

    Parameters
    ----------
    what : str
        What was spent, in words.

    Examples
    --------
    >>> Runaway("10000 lines of Python").what
    '10000 lines of Python'
    """

    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what


_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep  # cgiter_edu/


class _Budget:
    """``with _Budget(steps, seconds):`` runs the student's code with a bound: a step
    counter on every frame that is not the package's own (``sys.settrace`` with opcode
    events, which a one-line ``while True: pass`` makes too, unlike line events; left out
    when a debugger already traces), and a ``SIGALRM`` timer in the main thread.  Either
    raises :class:`Runaway` inside whatever runs; on leaving, both are taken away."""

    def __init__(self, steps: int, seconds: float) -> None:
        self.steps, self.seconds = steps, seconds
        self.left = steps
        self._ours: dict[Any, bool] = {}
        self._tracing = False
        self._old_handler: Any = None

    def _call(self, frame: Any, event: str, _arg: Any) -> Any:
        code = frame.f_code
        mine = self._ours.get(code)
        if mine is None:
            mine = self._ours[code] = not code.co_filename.startswith(_PACKAGE)
        if not mine:
            return None
        frame.f_trace_opcodes = True
        return self._step

    def _step(self, _frame: Any, event: str, _arg: Any) -> Any:
        if event == "opcode":
            self.left -= 1
            if self.left < 0:
                raise Runaway(f"after {self.steps:,} steps of Python")
        return self._step

    def _alarm(self, _signum: int, _frame: Any) -> None:
        raise Runaway(f"after {self.seconds:g} second{'' if self.seconds == 1 else 's'}")

    def __enter__(self) -> _Budget:
        if sys.gettrace() is None:
            self._tracing = True
            sys.settrace(self._call)
        if (hasattr(signal, "setitimer") and self.seconds > 0
                and threading.current_thread() is threading.main_thread()):
            self._old_handler = signal.signal(signal.SIGALRM, self._alarm)
            signal.setitimer(signal.ITIMER_REAL, self.seconds)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._old_handler is not None:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self._old_handler)
        if self._tracing:
            sys.settrace(None)


def _runaway(e: Runaway, where: str, kind: str) -> str:
    if kind == "program":
        return (f"Your program did not return {e.what}, on {where}: does it loop?\n"
                "Hint: a BPF program must end, and the verifier proves it does before it "
                "loads: a loop needs a bound it can see (for i in range(N)), and going from "
                "cgroup to cgroup is the iterator's job, one call of your program for each.")
    return (f"Your {'function' if kind == 'function' else 'code'} did not return {e.what}, "
            f"on {where}: does it loop?\nHint: every loop needs an end it reaches; a walk "
            "ends by itself (run() returns once a read() gives 0 or an error).")


def _bounded(prog: Callable[[Any], int] | None) -> Callable[[Any], int] | None:
    """``prog`` with each call within :data:`STEP_BUDGET` and :data:`TIME_BUDGET`: a call
    that spends them raises ``RuntimeError`` ("did not return ...: does it loop?"), which
    the emulator reports as the program's error, naming the cgroup."""
    if prog is None:
        return None
    inner = prog

    def bounded(ctx: Any) -> int:
        try:
            with _Budget(STEP_BUDGET, TIME_BUDGET):
                return inner(ctx)
        except Runaway as e:
            raise RuntimeError(f"your program did not return {e.what}: does it "
                               "loop?") from None

    bounded.__name__ = getattr(prog, "__name__", "prog")
    return bounded


def _checked(name: str, prog: Any, case: Case | None) -> str | None:
    """Run the checker of exercise ``name`` on ``case`` within one run's budget."""
    try:
        with _Budget(STEP_BUDGET, TIME_BUDGET):
            return _CHECKERS[name](prog, case)
    except Runaway as e:
        return _runaway(e, case.where() if case is not None else "the task's cases",
                        exercise(name).kind)


_CHECKERS: dict[str, Callable[[Callable[[Any], int], Case], str | None]] = {
    "first_match": _check_first_match, "page": _check_page, "leaves": _check_leaves,
}


_CHECKERS.update({"names": _tasks.check_names, "framing": _tasks.check_framing,
                  "skipped": _tasks.check_skipped, "visits": _tasks.check_visits,
                  "fits": _tasks.check_fits, "first_read": _tasks.check_first_read,
                  "locks": _tasks.check_locks, "live_only": _tasks.check_live_only,
                  "recorded_errors": _tasks.check_recorded_errors})


def exercise(name: str) -> Exercise:
    """The exercise of a name: a lesson 7 program or an end-of-lesson task.

    Parameters
    ----------
    name : str
        One of :data:`NAMES` or :data:`TASK_NAMES`.

    Returns
    -------
    Exercise
        Its task, starter code, lesson and kind.

    Raises
    ------
    ValueError
        A name that is not one.

    Examples
    --------
    >>> exercise("fits").lesson, exercise("fits").kind
    (3, 'function')
    """
    if name in EXERCISES:
        return EXERCISES[name]
    if name in TASKS:
        return TASKS[name]
    raise ValueError(f"unknown exercise {name!r}: one of {', '.join(NAMES + TASK_NAMES)}")


_exercise = exercise


def check(name: str, prog: Callable[[Any], int], seed: int = 0) -> Result:
    """Check a student's answer to a hands-on exercise, on the example tree and hidden ones.

    The program (or function, or number) runs on the example tree
    (:func:`lesson_tree`) and on :data:`HIDDEN_TREES` hidden trees made from ``seed``;
    the first problem found is the answer: what is wrong, then a hint.  A program that
    never returns is stopped and reported (it does not hang the notebook).

    Parameters
    ----------
    name : str
        The exercise, one of :data:`NAMES` (``"first_match"``, ``"fits"``...).
    prog : callable or int
        The answer: a BPF program ``prog(ctx) -> int``, the function the exercise asks
        for, or a number for an exercise whose answer is one.
    seed : int, default 0
        Makes the hidden trees.

    Returns
    -------
    Result
        ``passed`` (also its truth value), the messages (what is wrong and a hint, or
        what was right) and how many trees were tried; it prints as the student reads
        it.

    Raises
    ------
    ValueError
        An exercise name that is not one.
    TypeError
        ``prog`` is not a callable where the exercise needs a program or function.

    Examples
    --------
    >>> def prog(ctx):
    ...     if ctx.cgroup is not None:
    ...         ctx.meta.seq.printf("%llu\\n", ctx.cgroup.id)
    ...     return 0
    >>> print(check("first_match", prog))           # doctest: +ELLIPSIS
    first_match: not yet
    On the example tree (lesson_tree()), line 1 is '1', but it should be about / (id 1).
    Hint: each line has the id and the name, separated by one space.
    """
    ex = _exercise(name)
    if ex.kind == "answer":
        problem = _checked(name, prog, None)
        if problem:
            return Result(name, False, problem.split("\n"), 0)
        return Result(name, True, [f"Right: {ex.title.lower()}."], 1)
    if not callable(prog):
        what = ("a program, a function prog(ctx) -> int" if ex.kind == "program"
                else f"the function {name}(...)")
        raise TypeError(f"check({name!r}, prog): prog must be {what}, not "
                        f"{type(prog).__name__}")
    if ex.kind == "function" and name != "visits":
        problem = _checked(name, prog, None)
        if problem:
            return Result(name, False, problem.split("\n"), 0)
        return Result(name, True, [f"Right on every case tried: {ex.title.lower()}."], 1)
    all_cases = cases(name, seed)
    for i, case in enumerate(all_cases):
        problem = _checked(name, prog, case)
        if problem:
            return Result(name, False, problem.split("\n"), i)
    shown = sum(c.shown for c in all_cases)
    return Result(name, True, [f"Right on all {len(all_cases)} trees (the example tree and "
                               f"{len(all_cases) - shown} hidden ones): {ex.title.lower()}."],
                  len(all_cases))


# -- the C twins ----------------------------------------------------------------------------
def c_source(name: str) -> str:
    """The C twin of an exercise: a ``SEC("iter/cgroup")`` program that prints what a
    right Python program prints (package data, ``cgiter_edu/data/programs/``).

    Parameters
    ----------
    name : str
        An exercise with a C twin.

    Returns
    -------
    str
        The C source.

    Raises
    ------
    ValueError
        A name that is not an exercise.

    Examples
    --------
    >>> 'SEC("iter/cgroup")' in c_source("leaves")
    True
    """
    ex = _exercise(name)
    return resources.files("cgiter_edu").joinpath("data", "programs", ex.c_file).read_text()


def on_kernel(c: str, prog: Callable[[Any], int] | None = None, h: Hierarchy | None = None,
              order: Order | int = Order.DESCENDANTS_PRE, read_size: int = 131072) -> Any:
    """Run a C program on this machine's kernel beside a Python one on the emulator.

    The tree is mirrored under a scratch cgroup.  Where the machine cannot (no root, no
    BPF, no clang...), the emulator's side alone and one line saying why; where the C
    does not compile or the verifier refuses it, the emulator's side and clang's or the
    verifier's words (no traceback).  Each call of ``prog`` has :func:`check`'s budget:
    one that does not return says so beside the kernel's side instead of hanging.

    Parameters
    ----------
    c : str
        The C source text, or an exercise name for its C twin.
    prog : callable, optional
        The Python ``prog(ctx) -> int`` run on the emulator.
    h : Hierarchy, optional
        The tree (default: the lesson's, :func:`lesson_tree`).
    order : Order or int, default Order.DESCENDANTS_PRE
        The walk order.
    read_size : int, default 131072
        The read() size.

    Returns
    -------
    cgiter_edu.live.own.SideBySide
        Both outputs; printed, side by side.

    Examples
    --------
    >>> print(on_kernel("leaves", None).kernel_output is None or True)   # doctest: +SKIP
    True
    """
    from ..live.own import SideBySide, side_by_side

    source = c_source(c) if c in EXERCISES else c
    h = lesson_tree() if h is None else h
    prog = _bounded(prog)
    from ..live.availability import available

    a = available()
    if not a:
        return SideBySide.emulator_only(h, prog, order, read_size,
                                        f"The kernel side is not run here: {a.reason}.")
    from ..live.build import BuildError
    from ..live.errors import LiveError

    try:
        return side_by_side(source, prog, h, order, read_size=read_size)
    except (BuildError, LiveError) as e:       # the student's C: say why, no traceback
        return SideBySide.emulator_only(h, prog, order, read_size,
                                        f"The kernel side did not run: {e}")
