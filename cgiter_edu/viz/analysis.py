"""What a picture needs to know about a trace, computed without matplotlib.

Every view in :mod:`cgiter_edu.viz` draws what these functions replay from a
:class:`~cgiter_edu.trace.Trace`; a widget, a test or a text tool can call them
directly (this module imports neither matplotlib nor ipywidgets):

* :func:`seq_numbers`: the ``seq_num`` each cgroup had, up to a step;
* :func:`first_reached`: the step at which the walk reached each cgroup;
* :func:`buffer_state`: the seq_file buffer at a step (:class:`BufferState`);
* :func:`mutex_spans`: who held ``cgroup_mutex`` when (:class:`MutexSpans`);
* :func:`walk_over`, :func:`states_shown`: has the walk ended, which states occur.

What the pictures say in words (captions, alt text) is :mod:`cgiter_edu.viz.words`.

Nothing here decides semantics: it only folds the trace's events.

Example::

    >>> from cgiter_edu import Hierarchy, Order, run, programs
    >>> from cgiter_edu.viz.analysis import seq_numbers
    >>> h = Hierarchy(); _ = h.mkdir("/a")
    >>> t = run(h, programs.Record(rec_bytes=64), Order.DESCENDANTS_PRE, trace=True).trace
    >>> seq_numbers(t)
    {1: 0, 2: 1}
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from cgiter_edu.events import Event, EventKind
from cgiter_edu.replay import CgroupState
from cgiter_edu.trace import Trace

__all__ = [
    "seq_numbers", "first_reached", "BufferState", "buffer_state", "MutexSpans", "mutex_spans",
    "walk_over", "states_shown",
]

def seq_numbers(trace: Trace, step: int | None = None) -> dict[int, int]:
    """The ``seq_num`` each cgroup was shown (or skipped) with, up to a step.

    Parameters
    ----------
    trace : Trace
        The walk.
    step : int, optional
        The last step replayed (default: the whole trace).

    Returns
    -------
    dict of int to int
        Cgroup id to its seq_num.

    Examples
    --------
    >>> from cgiter_edu import Hierarchy, Order, run, programs
    >>> h = Hierarchy(); _ = h.mkdir("/a")
    >>> seq_numbers(run(h, programs.IdPrinter(), Order.DESCENDANTS_PRE, trace=True).trace)
    {1: 0, 2: 1}
    """
    last = len(trace.events) - 1 if step is None else step
    out: dict[int, int] = {}
    for e in trace.events[: last + 1]:
        if e.kind in (EventKind.SHOW, EventKind.SKIP) and e.cgroup is not None \
                and e.seq_num is not None:
            out.setdefault(e.cgroup, e.seq_num)
    return out


def first_reached(trace: Trace) -> dict[int, int]:
    """The step at which the walk first reached each cgroup (START or NEXT gave it).

    Parameters
    ----------
    trace : Trace
        The walk.

    Returns
    -------
    dict of int to int
        Cgroup id to step, in visiting order (the keys are :meth:`Trace.visit_order`).

    Examples
    --------
    >>> from cgiter_edu.events import Event, EventKind
    >>> from cgiter_edu.trace import Trace
    >>> t = Trace(events=[Event(0, EventKind.START, 0, cgroup=1),
    ...                   Event(1, EventKind.NEXT, 0, cgroup=2)])
    >>> first_reached(t)
    {1: 0, 2: 1}
    """
    out: dict[int, int] = {}
    for e in trace.events:
        if e.kind in (EventKind.START, EventKind.NEXT) and e.cgroup is not None \
                and e.errno is None:
            out.setdefault(e.cgroup, e.step)
    return out


@dataclass
class BufferState:
    """The buffer at one step, replayed from the events.

    ``segments``: ``(a, b, cgroup id or None for the epilogue)`` written in the
    current fill; ``copied``: bytes ``[0, copied)`` already handed to the user;
    ``ghost``: ``(a, b)`` of the record that did not fit and was rolled back (at
    the rollback step and after, until the next fill); ``count``: bytes written
    in this fill that are still there after a rollback; ``reads``: the RETURN
    events so far; ``read_no``: the read() the step belongs to (0-based).

    Parameters
    ----------
    segments : list of (int, int, int or None)
        ``(a, b, cgroup id or None for the epilogue)`` written in the current fill.
    copied : int
        Bytes ``[0, copied)`` already handed to the user.
    ghost : (int, int) or None
        The record that did not fit and was rolled back (at the rollback step and
        after, until the next fill).
    count : int
        Bytes written in this fill that are still there after a rollback.
    reads : list of Event
        The RETURN events so far.
    read_no : int
        The read() the step belongs to (0-based).

    Examples
    --------
    >>> from cgiter_edu import Hierarchy, Order, run, programs
    >>> t = run(Hierarchy(), programs.Record(rec_bytes=64), Order.SELF_ONLY, trace=True).trace
    >>> buffer_state(t, 5).count
    64
    """

    segments: list[tuple[int, int, int | None]]
    copied: int
    ghost: tuple[int, int] | None
    count: int
    reads: list[Event]
    read_no: int


def buffer_state(trace: Trace, step: int | None = None) -> BufferState:
    """Replay the buffer events up to a step.

    Parameters
    ----------
    trace : Trace
        The walk.
    step : int, optional
        The last step replayed (default: the whole trace).

    Returns
    -------
    BufferState
        The buffer then.

    Examples
    --------
    >>> from cgiter_edu import Hierarchy, Order, run, programs
    >>> t = run(Hierarchy(), programs.Record(rec_bytes=64), Order.SELF_ONLY, trace=True).trace
    >>> st = buffer_state(t)
    >>> st.segments, st.copied
    ([(0, 64, 1), (64, 68, None)], 68)
    """
    last = len(trace.events) - 1 if step is None else min(step, len(trace.events) - 1)
    segs: list[tuple[int, int, int | None]] = []
    ghost: tuple[int, int] | None = None
    attempted = 0
    fill_end: int | None = None
    copied = 0
    pending = 0
    read_no = 0
    for e in trace.events[: last + 1]:
        read_no = e.read_no
        k = e.kind
        if k is EventKind.SHOW:
            if e.count_before == 0 and pending == 0:      # a new fill starts at byte 0
                segs, ghost, copied, fill_end = [], None, 0, None
            if e.count_after > e.count_before:
                segs.append((e.count_before, e.count_after, e.cgroup))
            pending = e.count_after
            attempted = sum(len(b) for b, _r in e.writes)
            if any(r != 0 for _b, r in e.writes):
                ghost = (e.count_before, e.count_before + attempted)
        elif k is EventKind.ROLLBACK:
            cut = e.count_after
            segs = [(a, b, c) for a, b, c in segs if a < cut]
            segs = [(a, min(b, cut), c) for a, b, c in segs]
            if ghost is None or ghost[0] != cut:
                ghost = (cut, cut + attempted if attempted else e.count_before)
            pending = cut
        elif k is EventKind.COPY:
            if fill_end is None:
                fill_end = e.count_before
            copied = fill_end - e.count_after
            pending = e.count_after
    count = segs[-1][1] if segs else 0
    reads = [e for e in trace.events[: last + 1] if e.kind is EventKind.RETURN]
    return BufferState(segs, copied, ghost, count, reads, read_no)


# ---------------------------------------------------------------------------
# cgroup_mutex
# ---------------------------------------------------------------------------
@dataclass
class MutexSpans:
    """Intervals (in trace steps) replayed from LOCK/UNLOCK, WAIT/ACQUIRED, READ/RETURN.

    ``held``: ``(lock step, unlock step)``; ``waits``: ``(wait step, acquired step,
    who)``; ``acquired``: ``(step, who)``; ``reads``: ``(read step, return step,
    RETURN event)``; ``ends``: ``(end step, reason)``; ``writer_held``: ``(acquired
    step, end step, who)``: a writer holds the mutex from the step it took it until, at
    the latest, the walk's next LOCK (or the end of the trace);
    ``walk_waits``: ``(wait step, lock step)``: a read() waiting for a writer.  The
    release work (``who`` "css_release_work_fn <path>") waits like a writer, from the
    step it was queued to its RELEASE, and holds the mutex for that one step.

    Parameters
    ----------
    held, waits, acquired, reads, ends, writer_held, walk_waits : list
        As above.
    wakes : list of (int, str)
        The walk's unlock woke ``who`` (it still has to take the mutex).
    handoffs : list of (int, str)
        A read() took the mutex before the woken ``who``, which set
        MUTEX_FLAG_HANDOFF (the next unlock hands it over).
    releases : list of (int, str, int or None)
        The release work ran in the free mutex.

    Examples
    --------
    >>> from cgiter_edu.scenarios import writer_waits
    >>> [who for _a, _b, who in mutex_spans(writer_waits()).waits]
    ['mkdir /new-cgroup']
    """

    held: list[tuple[int, int]]
    waits: list[tuple[int, int, str]]
    acquired: list[tuple[int, str]]
    reads: list[tuple[int, int, Event]]
    ends: list[tuple[int, str]]
    writer_held: list[tuple[int, int, str]] = field(default_factory=list)
    walk_waits: list[tuple[int, int]] = field(default_factory=list)
    #: ``(step, who)``: the walk's unlock woke ``who`` (it still has to take the mutex)
    wakes: list[tuple[int, str]] = field(default_factory=list)
    #: ``(step, who)``: a read() took the mutex before the woken ``who``, which set
    #: MUTEX_FLAG_HANDOFF (the next unlock hands it over)
    handoffs: list[tuple[int, str]] = field(default_factory=list)
    #: ``(step, who, cgroup id)``: the release work ran in the free mutex
    releases: list[tuple[int, str, int | None]] = field(default_factory=list)


def mutex_spans(trace: Trace) -> MutexSpans:
    """Replay who held ``cgroup_mutex`` when.

    Parameters
    ----------
    trace : Trace
        The walk.

    Returns
    -------
    MutexSpans
        The intervals, in trace steps.

    Examples
    --------
    >>> from cgiter_edu import Hierarchy, Order, run, programs
    >>> t = run(Hierarchy(), programs.Record(rec_bytes=64), Order.SELF_ONLY, trace=True).trace
    >>> mutex_spans(t).held
    [(1, 5), (11, 13)]
    """
    held: list[tuple[int, int]] = []
    waits: list[tuple[int, int, str]] = []
    acq: list[tuple[int, str]] = []
    reads: list[tuple[int, int, Event]] = []
    ends: list[tuple[int, str]] = []
    lock_at: int | None = None
    wait_at: dict[str, int] = {}
    read_at: int | None = None
    writer_held: list[tuple[int, int, str]] = []
    walk_waits: list[tuple[int, int]] = []
    holding: list[tuple[int, str]] = []           # writers handed the mutex, not yet gone
    walk_wait_at: int | None = None
    wakes: list[tuple[int, str]] = []
    handoffs: list[tuple[int, str]] = []
    releases: list[tuple[int, str, int | None]] = []
    n = len(trace.events)
    for e in trace.events:
        k = e.kind
        if k is EventKind.LOCK:
            lock_at = e.step
            writer_held += [(a, e.step, who) for a, who in holding]
            holding = []
            if walk_wait_at is not None:
                walk_waits.append((walk_wait_at, e.step))
                walk_wait_at = None
        elif k is EventKind.UNLOCK and lock_at is not None:
            held.append((lock_at, e.step))
            lock_at = None
        elif k is EventKind.WAIT and e.note == "cgroup_iter_seq_start":
            walk_wait_at = e.step                  # the walk itself waits for a writer
        elif k is EventKind.WAIT:
            wait_at[e.note] = e.step
        elif k is EventKind.ACQUIRED:
            s = wait_at.pop(e.note, e.step)
            waits.append((s, e.step, e.note))
            acq.append((e.step, e.note))
            holding.append((e.step, e.note))
        elif k is EventKind.RELEASE:
            s = wait_at.pop(e.note, e.step)
            waits.append((s, e.step, e.note))
            acq.append((e.step, e.note))
            writer_held.append((e.step, e.step + 1, e.note))
            releases.append((e.step, e.note, e.cgroup))
        elif k is EventKind.WAKE:
            wakes.append((e.step, e.note))
        elif k is EventKind.HANDOFF:
            handoffs.append((e.step, e.note))
        elif k is EventKind.READ:
            read_at = e.step
        elif k is EventKind.RETURN and read_at is not None:
            reads.append((read_at, e.step, e))
            read_at = None
        elif k is EventKind.END:
            ends.append((e.step, e.reason or ""))
    if lock_at is not None:
        held.append((lock_at, n))
    for note, s in wait_at.items():
        waits.append((s, n, note))
    writer_held += [(a, n, who) for a, who in holding]
    if walk_wait_at is not None:
        walk_waits.append((walk_wait_at, n))
    return MutexSpans(held, waits, acq, reads, ends, writer_held, walk_waits, wakes, handoffs,
                      releases)



def walk_over(trace: Trace, step: int | None) -> bool:
    """Has the walk of a trace ended by a step?

    Parameters
    ----------
    trace : Trace
        The walk.
    step : int or None
        The step (None: after the last one).

    Returns
    -------
    bool
        The trace's END event is at or before ``step``.

    Examples
    --------
    >>> from cgiter_edu import Hierarchy, Order, run, programs
    >>> t = run(Hierarchy(), programs.Record(rec_bytes=64), Order.SELF_ONLY, trace=True).trace
    >>> walk_over(t, 0), walk_over(t, None)
    (False, True)
    """
    end = next((e.step for e in trace.events if e.kind is EventKind.END), None)
    return end is not None and (step is None or step >= end)


def states_shown(trace: Trace, steps: Iterable[int | None]) -> list[CgroupState]:
    """The states some cgroup has at one of the steps, in :class:`CgroupState` order:
    what a legend for those steps should list (no state that never occurs).

    Parameters
    ----------
    trace : Trace
        The walk.
    steps : iterable of int or None
        The steps shown (None: after the last one).

    Returns
    -------
    list of CgroupState
        Those states.

    Examples
    --------
    >>> from cgiter_edu import Hierarchy, Order, run, programs
    >>> t = run(Hierarchy(), programs.Record(rec_bytes=64), Order.SELF_ONLY, trace=True).trace
    >>> [s.value for s in states_shown(t, [None])]
    ['delivered']
    """
    seen: set[CgroupState] = set()
    for s in steps:
        seen.update(trace.states(s).values())
    return [s for s in CgroupState if s in seen]
