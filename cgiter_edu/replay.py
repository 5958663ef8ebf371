"""What a trace's events make of each cgroup: :class:`CgroupState` (the colour
classes every picture uses) and the fold that replays the events into one state a
cgroup at a step, behind :meth:`Trace.states <cgiter_edu.trace.Trace.states>`,
:meth:`~cgiter_edu.trace.Trace.states_seen` and :meth:`~cgiter_edu.trace.Trace.counts`.

It replays recorded facts only: which byte ranges of the buffer each cgroup wrote,
which were rolled back, which were copied out; it walks no hierarchy.

Example::

    >>> from cgiter_edu import Hierarchy, Order, run, programs
    >>> t = run(Hierarchy(), programs.Record(rec_bytes=64), Order.SELF_ONLY, trace=True).trace
    >>> states(t), counts(t)["delivered"]
    ({1: <CgroupState.DELIVERED: 'delivered'>}, 1)
"""

from __future__ import annotations

import enum
import heapq
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from .events import EndReason, EventKind

__all__ = ["CgroupState", "counts", "fold", "states", "states_seen"]


class CgroupState(str, enum.Enum):
    """The colour classes of a cgroup at one step of a walk (see :meth:`Trace.states`).

    Each has its colour, its marker shape and its hatch in the pictures
    (:mod:`cgiter_edu.viz.style`).

    Examples
    --------
    >>> from cgiter_edu import Order, programs, run, shapes
    >>> t = run(shapes.balanced(1, 2), programs.Record(stop_id=2), Order.DESCENDANTS_PRE,
    ...         trace=True).trace
    >>> t.states()[3]
    <CgroupState.NEVER: 'never'>
    """

    UNREACHED = "unreached"      #: not visited (yet)
    CURRENT = "current"          #: the object the walk is on at this step
    BUFFERED = "buffered"        #: the program wrote its record, still in the seq_file buffer
    DELIVERED = "delivered"      #: its record reached user space (or it wrote nothing and was kept)
    LOST = "lost"                #: walked, but its record never reaches the user (page limit/cut)
    UNSHOWN = "unshown"          #: next() returned it, then the walk stopped before show()
    NEVER = "never"              #: never reached because the session ended early
    DEAD = "dead"                #: dead: skipped by show(), the program not called
    STOPPED = "stopped"          #: the program returned 1 here: the walk stopped


def fold(trace: Any, step: int | None, after_event: Callable[..., None] | None = None
         ) -> tuple[dict[int, CgroupState], set[int], int | None, str | None]:
    """Replay ``trace``'s events up to ``step``: (states, delivered ids, current id, end reason).

    A walk cut by the read size (or MAX_ITER_OBJECTS) ends on an object ``next()``
    returned and ``bpf_seq_read`` did not show: the END event names it and it is
    ``UNSHOWN`` (reached, the program never ran on it), not ``NEVER``.
    ``after_event(st, spans, copied, current, ended, touched)``, if given, is called
    after each event with the replay so far (before the step's overlays: CURRENT,
    DELIVERED, NEVER) and the cgroups whose state or span that event changed."""
    last = len(trace.events) - 1 if step is None else min(step, len(trace.events) - 1)
    st: dict[int, CgroupState] = {cid: CgroupState.UNREACHED for cid in trace.cgroups}
    spans: dict[int, tuple[int, int]] = {}     # cgroup -> [a, b) in the buffer
    copied = 0                                 # bytes of the walk's buffer copied out so far
    current: int | None = None
    ended: str | None = None
    shown: list[int] = []                      # cgroups shown during the current read()
    for e in trace.events[: last + 1]:
        k = e.kind
        touched: Iterable[int] = ()
        if k is EventKind.START or k is EventKind.NEXT:
            current = e.cgroup
        elif k is EventKind.READ:
            shown = []
        elif k is EventKind.RETURN and (e.result is None or e.result < 0) \
                and not e.count_after:
            # the read() failed and emptied the buffer: nothing reached the user (after
            # an error from next() the bytes stay for the next read(): count_after > 0)
            touched = [cid for cid in dict.fromkeys(shown) if cid in spans]
            for cid in touched:
                del spans[cid]
                st[cid] = CgroupState.LOST
        elif k is EventKind.SKIP:
            st[e.cgroup] = CgroupState.DEAD
            touched = (e.cgroup,)
        elif k is EventKind.SHOW and e.cgroup is not None:
            spans[e.cgroup] = (e.count_before, e.count_after)
            shown.append(e.cgroup)
            st[e.cgroup] = CgroupState.STOPPED if e.ret else CgroupState.BUFFERED
            touched = (e.cgroup,)
        elif k is EventKind.ROLLBACK and e.cgroup is not None:
            touched = [cid for cid, (a, _b) in spans.items() if a >= e.count_after]
            for cid in touched:
                st[cid] = CgroupState.LOST
                del spans[cid]
        elif k is EventKind.COPY:
            copied += len(e.data)
        elif k is EventKind.END:
            ended = e.reason
            if e.cgroup is not None and st.get(e.cgroup) is CgroupState.UNREACHED:
                # cut by the read size or MAX_ITER_OBJECTS: next() returned this object
                # (its seq_num used up) and bpf_seq_read stopped before show()
                st[e.cgroup] = CgroupState.UNSHOWN
                touched = (e.cgroup,)
        if after_event is not None:
            after_event(st, spans, copied, current, ended, touched)
    delivered = {cid for cid, (_a, b) in spans.items() if b <= copied}
    for cid in delivered:
        if st[cid] is CgroupState.BUFFERED:
            st[cid] = CgroupState.DELIVERED
    if ended is not None and ended != EndReason.COMPLETE.value:     # ended early
        for cid, s in st.items():
            if s is CgroupState.UNREACHED:
                st[cid] = CgroupState.NEVER
    return st, delivered, current, ended


def states(trace: Any, step: int | None = None) -> dict[int, CgroupState]:
    """:meth:`Trace.states <cgiter_edu.trace.Trace.states>`."""
    st, _delivered, current, ended = fold(trace, step)
    if step is not None and ended is None and current is not None and current in st:
        st[current] = CgroupState.CURRENT
    return st


def states_seen(trace: Any) -> list[CgroupState]:
    """:meth:`Trace.states_seen <cgiter_edu.trace.Trace.states_seen>`."""
    S = CgroupState
    raw = {cid: S.UNREACHED for cid in trace.cgroups}   # the replay's states, as counted
    count = Counter(raw.values())
    ends: dict[int, int] = {}                # cgroup -> end of its span
    due: list[tuple[int, int]] = []          # (end of a span, cgroup): not yet copied out
    out: set[int] = set()                    # cgroups whose span is copied out
    out_buffered: set[int] = set()           # of those, the BUFFERED: shown DELIVERED
    seen: set[CgroupState] = set()

    def look(st: dict, current: int | None, ended: str | None, overlay: bool) -> None:
        n = dict(count)
        hide = current if overlay and ended is None and current in st else None
        if hide is not None:                 # states(): the visited cgroup is CURRENT
            seen.add(S.CURRENT)
            n[st[hide]] -= 1
        d = len(out_buffered) - (hide in out_buffered)
        if d:
            seen.add(S.DELIVERED)
            n[S.BUFFERED] -= d
        early = ended is not None and ended != EndReason.COMPLETE.value
        seen.update(S.NEVER if early and x is S.UNREACHED else x for x, k in n.items() if k)

    def after_event(st: dict, spans: dict, copied: int, current: int | None,
                    ended: str | None, touched: Iterable[int]) -> None:
        for cid in touched:
            if cid in raw:
                count[raw[cid]] -= 1
            raw[cid] = st[cid]
            count[st[cid]] += 1
            span = spans.get(cid)
            if span is None or span[1] != ends.get(cid):
                out.discard(cid)
                ends.pop(cid, None)
                if span is not None:
                    ends[cid] = span[1]
                    heapq.heappush(due, (span[1], cid))
            out_buffered.discard(cid)
            if cid in out and st[cid] is S.BUFFERED:
                out_buffered.add(cid)
        while due and due[0][0] <= copied:
            b, cid = heapq.heappop(due)
            if ends.get(cid) == b:
                out.add(cid)
                if st[cid] is S.BUFFERED:
                    out_buffered.add(cid)
        look(st, current, ended, True)

    st, _delivered, current, ended = fold(trace, None, after_event)
    if not trace.events:
        look(st, current, ended, True)
    look(st, current, ended, False)
    return [s for s in CgroupState if s in seen]


def counts(trace: Any) -> dict[str, int]:
    """:meth:`Trace.counts <cgiter_edu.trace.Trace.counts>`."""
    st, delivered, _current, _ended = fold(trace, None)
    c = {s.value: 0 for s in CgroupState}
    for s in st.values():
        c[s.value] += 1
    return {"walked": len(trace.visit_order()), "dead": c["dead"],
            "delivered": len(delivered), "lost": c["lost"], "unshown": c["unshown"],
            "never": c["never"], "buffered": c["buffered"]}
