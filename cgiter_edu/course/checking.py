"""What every check of a student's work is made of: the student's run and the first things
wrong with its output, the reference walk the answer is read from, a flat tree.

:mod:`~cgiter_edu.course.handson` (lesson 7's programs, ``check``) and
:mod:`~cgiter_edu.course.tasks` (the end-of-lesson tasks) both build on these, so tasks
need not import handson back.  A ``case`` is a :class:`~cgiter_edu.course.handson.Case`
(``h``, ``start``, ``read_size``, ``where()``).

Example::

    >>> from cgiter_edu import Order
    >>> calls, r = _reference(_flat(4), Order.DESCENDANTS_PRE, None)
    >>> [(v.path, seq) for v, seq in calls.calls], calls.epilogue_seq_num
    ([('/', 0), ('/c1', 1), ('/c2', 2), ('/c3', 3)], 3)
    >>> _lines(b"a\\nb\\n"), _show("")
    (['a', 'b'], '(an empty line)')
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .. import BpfProgramError, Order, programs
from ..events import EventKind
from ..hierarchy import Hierarchy
from ..run import RunResult, run


# -- the trees ----------------------------------------------------------------------------
def _flat(n: int) -> Hierarchy:
    h = Hierarchy()
    for i in range(1, n):
        h.mkdir(f"/c{i}")
    return h


# -- running the student's program -------------------------------------------------------
@dataclass
class _Calls:
    """The program calls of a reference walk: ``(view, seq_num)`` per cgroup, in order."""

    calls: list[tuple[Any, int]]
    epilogue_seq_num: int | None


def _reference(h: Hierarchy, order: Order, start: str | None, read_size: int = 131072,
               prog: Any = None) -> tuple[_Calls, RunResult]:
    prog = programs.silent if prog is None else prog
    r = run(h, prog, order, start, read_size=read_size, trace=True)
    calls = []
    epi = None
    for e in r.trace.of_kind(EventKind.SHOW):
        if e.cgroup is None:
            epi = e.seq_num
        else:
            calls.append((h.cgroup(e.cgroup), e.seq_num))
    return _Calls(calls, epi), r


def _student_lines(prog: Any, case: Any, order: Any) -> tuple[Any, Any]:
    """Run the student's program on ``case``: ``(result, its output's lines)``, or
    ``(None, what is wrong)`` when it failed, printed nothing or left a line open."""
    res, err = _run_student(prog, case, order)
    if res is None:
        return None, err
    problem = _nothing(res, case) or _no_newline(res, case)
    if problem:
        return None, problem
    return res, _lines(res.output)


def _run_student(prog: Callable[[Any], int], case: Any, order: Order
                 ) -> tuple[RunResult | None, str]:
    """The student's walk, or None and the message saying what went wrong."""
    try:
        return run(case.h, prog, order, case.start, read_size=case.read_size, trace=True), ""
    except BpfProgramError as e:
        cause = e.__cause__
        msg = [f"On {case.where()}: {e}."]
        if isinstance(cause, AttributeError) and "NoneType" in str(cause):
            msg.append("Hint: the last call of a walk is the epilogue, with ctx.cgroup None: "
                       "test for it before reading ctx.cgroup's fields.")
        elif "returned" in str(e):
            msg.append("Hint: an iterator program returns 0 (go on) or 1 (stop after this "
                       "cgroup), nothing else; the verifier refuses any other value.")
        else:
            msg.append("Hint: read the error above; the program runs once per cgroup and "
                       "once more, with ctx.cgroup None, at the end.")
        return None, "\n".join(msg)


def _lines(data: bytes) -> list[str]:
    text = data.decode("utf-8", "replace")
    return text.split("\n")[:-1] if text.endswith("\n") else text.split("\n")


def _show(line: str) -> str:
    return repr(line)[1:-1] if line else "(an empty line)"


def _nothing(res: RunResult, case: Any) -> str | None:
    if res.output:
        return None
    return (f"Your program wrote nothing, on {case.where()}.\n"
            "Hint: a program prints with ctx.meta.seq.printf(fmt, ...) (bpf_seq_printf); "
            "Python's print() goes to the notebook, not into the iterator's output.")


def _no_newline(res: RunResult, case: Any) -> str | None:
    if res.output.endswith(b"\n"):
        return None
    last = _lines(res.output)[-1]
    return (f"On {case.where()} the output does not end with a newline (its last line is "
            f"'{_show(last)}').\nHint: every line ends with \\n inside the format; "
            "bpf_seq_printf adds nothing.")
