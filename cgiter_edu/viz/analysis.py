"""What a picture needs to know about a trace, computed without matplotlib.

Every view in :mod:`cgiter_edu.viz` draws what these functions replay from a
:class:`~cgiter_edu.trace.Trace`; a widget, a test or a text tool can call them
directly (this module imports neither matplotlib nor ipywidgets):

* :func:`describe_step`: one sentence saying what the event at a step did;
* :func:`frame_caption`: the caption of a frame (``describe_step`` with the step
  number, or a summary of the whole walk after its last step);
* :func:`result_text`: a read()'s result as a picture prints it;
* :func:`seq_numbers`: the ``seq_num`` each cgroup had, up to a step;
* :func:`first_reached`: the step at which the walk reached each cgroup;
* :func:`buffer_state`: the seq_file buffer at a step (:class:`BufferState`);
* :func:`mutex_spans`: who held ``cgroup_mutex`` when (:class:`MutexSpans`).

Nothing here decides semantics: it only folds the trace's events.

Example::

    >>> from cgiter_edu import Hierarchy, Order, run, programs
    >>> from cgiter_edu.viz.analysis import describe_step, seq_numbers
    >>> h = Hierarchy(); _ = h.mkdir("/a")
    >>> t = run(h, programs.Record(rec_bytes=64), Order.DESCENDANTS_PRE, trace=True).trace
    >>> describe_step(t, 2)
    'start() gives / (seq_num 0)'
    >>> seq_numbers(t)
    {1: 0, 2: 1}
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from cgiter_edu.events import EndReason, Event, EventKind
from cgiter_edu.names import errno_symbol, printable
from cgiter_edu.replay import CgroupState
from cgiter_edu.trace import Trace

__all__ = [
    "describe_step", "frame_caption", "result_text", "short_path", "cgroup_name",
    "seq_numbers", "first_reached", "BufferState", "buffer_state", "MutexSpans", "mutex_spans",
    "CAPTION_PATH_MAX", "walk_over", "states_shown",
]

#: captions name a cgroup by its path; longer paths keep their last components
CAPTION_PATH_MAX = 56


def seq_numbers(trace: Trace, step: int | None = None) -> dict[int, int]:
    """The ``seq_num`` each cgroup was shown (or skipped) with, up to ``step``
    (default: the whole trace)."""
    last = len(trace.events) - 1 if step is None else step
    out: dict[int, int] = {}
    for e in trace.events[: last + 1]:
        if e.kind in (EventKind.SHOW, EventKind.SKIP) and e.cgroup is not None \
                and e.seq_num is not None:
            out.setdefault(e.cgroup, e.seq_num)
    return out


def first_reached(trace: Trace) -> dict[int, int]:
    """The step at which the walk first reached each cgroup (START or NEXT gave it),
    in visiting order (the keys are :meth:`Trace.visit_order`).

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


def short_path(path: str, limit: int = CAPTION_PATH_MAX) -> str:
    """The path, shortened to about ``limit`` characters for a caption: the first
    component, ``...`` and as many of the last ones as fit; a single name that is too
    long loses its middle.

    >>> short_path("/a/" + "b" * 50 + "/c", 20)
    '/a/.../c'
    >>> short_path("/k.slice/" + "pod-" + "x" * 60 + ".slice", 30)
    '.../pod-xxxxxxx...xxxxxx.slice'
    """
    path = printable(path)
    if len(path) <= limit:
        return path
    parts = path.strip("/").split("/")
    tail: list[str] = []
    for comp in reversed(parts[1:]):
        if len(parts[0]) + 6 + len("/".join([comp, *tail])) > limit:
            break
        tail.insert(0, comp)
    if tail:
        return f"/{parts[0]}/.../{'/'.join(tail)}"
    last = parts[-1]
    if len(last) + 4 <= limit:
        return ".../" + last
    keep = limit - 7
    return ".../" + last[: keep // 2] + "..." + last[len(last) - (keep - keep // 2):]


def cgroup_name(trace: Trace, cid: int | None) -> str:
    """How captions name a cgroup: its (shortened) path, ``NULL`` for None."""
    if cid is None:
        return "NULL"
    info = trace.cgroups.get(cid)
    return short_path(info[0]) if info else f"id {cid}"


def result_text(e: Event) -> str:
    """A read()'s result (its RETURN event) as the pictures print it:
    ``"4096 B"``, ``"0 (end of file)"``, ``"EOPNOTSUPP"``."""
    if e.result is None:
        return "(the program raised)"
    if e.result < 0:
        return errno_symbol(-e.result)
    return f"{e.result} B" if e.result else "0 (end of file)"


def describe_step(trace: Trace, step: int) -> str:
    """One sentence saying what the event at ``step`` did (the caption of a frame).

    >>> from cgiter_edu.events import Event, EventKind
    >>> from cgiter_edu.trace import Trace
    >>> t = Trace(events=[Event(0, EventKind.READ, 0, size=4096)])
    >>> describe_step(t, 0)
    'read() #1 asks for 4096 bytes'
    """
    e = trace.events[step]
    k = e.kind

    def name(cid: int | None) -> str:
        return cgroup_name(trace, cid)

    if k is EventKind.READ:
        left = f" ({e.count_before} B still in the buffer)" if e.count_before else ""
        return f"read() #{e.read_no + 1} asks for {e.size} bytes{left}"
    if k is EventKind.LOCK:
        return "cgroup_iter_seq_start() takes cgroup_mutex"
    if k is EventKind.START:
        if e.errno:
            return (f"start(): {errno_symbol(e.errno)}: the mutex was dropped, the walk cannot "
                    "resume")
        if e.cgroup is None:
            return "start(): the walk is over, nothing more (end of file)"
        return f"start() gives {name(e.cgroup)} (seq_num {e.seq_num})"
    if k is EventKind.NEXT:
        if e.errno:
            return (f"next(): an error pointer, {errno_symbol(e.errno)}: stop() gets NULL, "
                    "read() returns the error")
        if e.cgroup is None:
            return "next() gives NULL: every cgroup visited"
        return f"next() gives {name(e.cgroup)} (seq_num {e.seq_num})"
    if k is EventKind.SHOW:
        who = "epilogue (cgroup NULL)" if e.cgroup is None else f"show {name(e.cgroup)}"
        n = e.count_after - e.count_before
        failed = [b for b, r in e.writes if r != 0]
        s = f"{who}: the program wrote {n} B (count {e.count_before} -> {e.count_after})"
        if failed:
            s += f"; a {len(failed[0])} B write failed: -EOVERFLOW"
        if e.ret:
            s += f"; it returned {e.ret}: stop"
        return s
    if k is EventKind.SKIP:
        return (f"{name(e.cgroup)} is dead: skipped, the program not called "
                f"(seq_num {e.seq_num} used)")
    if k is EventKind.ROLLBACK:
        return f"overflow: buffer rolled back from {e.count_before} to {e.count_after} B"
    if k is EventKind.UNLOCK:
        return "cgroup_iter_seq_stop() drops cgroup_mutex"
    if k is EventKind.WAIT:
        if e.note.startswith("css_release_work_fn"):
            path = e.note.partition(" ")[2]
            return (f"the last reference to {path} is gone: its release work "
                    "(css_release_work_fn) is queued and needs cgroup_mutex")
        return f"{e.note or 'a writer'} waits for cgroup_mutex"
    if k is EventKind.ACQUIRED:
        return f"{e.note or 'the writer'} gets cgroup_mutex"
    if k is EventKind.WAKE:
        return (f"mutex_unlock() released cgroup_mutex and woke {e.note}; it still has to "
                "take it")
    if k is EventKind.HANDOFF:
        return (f"this read() took cgroup_mutex before the woken {e.note}, which sets "
                "MUTEX_FLAG_HANDOFF: the next unlock hands it over")
    if k is EventKind.RELEASE:
        return (f"the release work ({e.note.split(' ')[0]}) took the free cgroup_mutex: "
                f"{name(e.cgroup)} left its parent's list")
    if k is EventKind.COPY:
        return f"copy {len(e.data)} B to user space (buffer {e.count_before} -> {e.count_after} B)"
    if k is EventKind.RETURN:
        return f"read() #{e.read_no + 1} returns {result_text(e)}"
    if k is EventKind.END:
        try:
            return EndReason(e.reason).caption
        except ValueError:
            return f"walk ended: {e.reason}"
    return k.value  # pragma: no cover


def frame_caption(trace: Trace, step: int | None) -> str:
    """The caption under a picture of ``step``: ``"step 12/56: <what it did>"`` for step
    12 of a trace whose last step is 56 (steps are 0-based everywhere, as ``--step``
    and ``update(step)`` count them), or for None
    (after the last step) why the walk ended and what each read() gave.

    >>> from cgiter_edu.events import Event, EventKind
    >>> from cgiter_edu.trace import Trace
    >>> t = Trace(events=[Event(0, EventKind.READ, 0, size=4096)])
    >>> frame_caption(t, 0)
    'step 0/0: read() #1 asks for 4096 bytes'
    """
    if not trace.events:
        return ""
    if step is None:
        reason = trace.end_reason
        groups: list[list] = []
        for e in trace.reads:
            txt = result_text(e)
            if groups and groups[-1][0] == txt:
                groups[-1][1] += 1
            else:
                groups.append([txt, 1])
        res = ", ".join(f"{x} x{n}" if n > 1 else x for x, n in groups[:6])
        more = ", ..." if len(groups) > 6 else ""
        end = reason.caption if reason else "walk not over"
        return f"{end}; read() gave {res}{more}"
    step = min(step, len(trace.events) - 1)
    return f"step {step}/{len(trace.events) - 1}: {describe_step(trace, step)}"


# ---------------------------------------------------------------------------
# the seq_file buffer
# ---------------------------------------------------------------------------
@dataclass
class BufferState:
    """The buffer at one step, replayed from the events.

    ``segments``: ``(a, b, cgroup id or None for the epilogue)`` written in the
    current fill; ``copied``: bytes ``[0, copied)`` already handed to the user;
    ``ghost``: ``(a, b)`` of the record that did not fit and was rolled back (at
    the rollback step and after, until the next fill); ``count``: bytes written
    in this fill that are still there after a rollback; ``reads``: the RETURN
    events so far; ``read_no``: the read() the step belongs to (0-based).
    """

    segments: list[tuple[int, int, int | None]]
    copied: int
    ghost: tuple[int, int] | None
    count: int
    reads: list[Event]
    read_no: int


def buffer_state(trace: Trace, step: int | None = None) -> BufferState:
    """Replay the buffer events up to ``step`` (see :class:`BufferState`).

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
    """Replay who held ``cgroup_mutex`` when (see :class:`MutexSpans`).

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
