"""What the emulator did, step by step: the one record every picture replays.

The emulator (``cgiter_edu.kernel``) decides; when an :class:`IterFile` is
created with ``trace=True`` it appends one :class:`Event` per step to a
:class:`Trace`.  Each event carries enough to draw one frame from it alone:
the cgroup, what the program wrote, the buffer count before and after, a
rollback, the mutex, each read() and its result, and why the walk ended.
Plots, animations, widgets and the CLI only replay these events; none of them
walks a hierarchy itself.

With tracing off (the default) the emulator records nothing and pays only an
``is None`` test per step.

Example::

    >>> from cgiter_edu import Hierarchy, Order, attach, programs
    >>> h = Hierarchy(); _ = h.mkdir("/a")
    >>> f = attach(h, programs.id_printer, order=Order.DESCENDANTS_PRE).create(trace=True)
    >>> _ = f.readall()
    >>> [e.kind.value for e in f.trace][:4]
    ['read', 'lock', 'start', 'show']
"""

from __future__ import annotations

import enum
import heapq
import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import NamedTuple


class EventKind(str, enum.Enum):
    """The kinds of step the emulator records, in the order they can happen."""

    READ = "read"          #: a read() call begins (``size``, ``count_before`` = leftover bytes)
    LOCK = "lock"          #: ``cgroup_mutex`` taken by ``cgroup_iter_seq_start``
    START = "start"        #: ``start()`` returned ``cgroup`` (None: nothing; ``errno``: an error)
    NEXT = "next"          #: ``next()`` returned ``cgroup`` (None: the walk is over) and ``seq_num``
    SHOW = "show"          #: the program ran on ``cgroup`` (None: the epilogue); see ``writes``
    SKIP = "skip"          #: ``show()`` skipped a dead cgroup without calling the program
    ROLLBACK = "rollback"  #: the buffer was cut back to ``count_after`` after an overflow
    UNLOCK = "unlock"      #: ``cgroup_mutex`` dropped by ``cgroup_iter_seq_stop``
    WAIT = "wait"          #: another thread (``note``) waits for ``cgroup_mutex`` (or the
    #: release work, ``note`` "css_release_work_fn <path>", is queued behind it)
    RELEASE = "release"    #: the release work ran in the free mutex: ``cgroup`` left its parent's list
    WAKE = "wake"          #: ``mutex_unlock`` woke the first waiter ``note``; it must still take it
    ACQUIRED = "acquired"  #: that thread got ``cgroup_mutex`` (took it when woken, or handed it)
    HANDOFF = "handoff"    #: this read() took the mutex first: the woken ``note`` set MUTEX_FLAG_HANDOFF
    COPY = "copy"          #: ``data`` copied to the user; buffer ``count_before`` -> ``count_after``
    RETURN = "return"      #: the read() call returned ``result`` (bytes, or -errno)
    END = "end"            #: the walk ended, ``reason`` says why (one of :class:`EndReason`)


class EndReason(str, enum.Enum):
    """Why a walk ended (the ``reason`` of an ``END`` event)."""

    COMPLETE = "complete"                  #: next() returned NULL: every cgroup was visited
    PROGRAM = "program"                    #: the program returned 1 (early termination)
    BUFFER_FULL = "buffer_full"            #: a record did not fit in the 8 pages: rolled back, walk cut
    E2BIG = "e2big"                        #: the very first record did not fit: read() gave E2BIG
    READ_SIZE = "read_size"                #: the buffer held the user's read size: walk cut
    MAX_ITER_OBJECTS = "max_iter_objects"  #: MAX_ITER_OBJECTS visited in one read()
    PROGRAM_ERROR = "program_error"        #: the Python program raised (not a kernel outcome)
    NEXT_ERROR = "next_error"              #: next() returned an error pointer (not cgroup_iter's)

    @property
    def caption(self) -> str:
        """A short sentence for a picture's caption.

        >>> EndReason.BUFFER_FULL.caption
        'buffer full: record rolled back, walk cut'
        """
        return _END_CAPTIONS[self.value]

    @property
    def explanation(self) -> str:
        """The longer sentence the CLI prints after a walk (``ended: ...``); ``program``'s
        holds ``{ret}`` and ``{at}`` (what the program returned, and where) and ``read_size``'s a ``{size}``
        placeholder for the caller to fill."""
        return _END_EXPLANATIONS[self.value]


_END_CAPTIONS = {
    "complete": "walk complete: next() returned NULL",
    "program": "the program returned 1: walk stopped",
    "buffer_full": "buffer full: record rolled back, walk cut",
    "e2big": "the first record does not fit: E2BIG",
    "read_size": "buffer holds the read size: walk cut before show",
    "max_iter_objects": "MAX_ITER_OBJECTS reached in one read()",
    "program_error": "the Python program raised",
    "next_error": "next() returned an error: read() gives it",
}

_END_EXPLANATIONS = {
    "complete": "the walk visited every cgroup (next() returned NULL); the epilogue ran",
    "program": "the program returned {ret} at {at}: early termination, the walk went no "
               "further; the epilogue ran",
    "buffer_full": "the next record did not fit in the 8-page seq_file buffer (count + len < "
                   "size fails): rolled back, the walk was cut",
    "e2big": "the first record alone did not fit in the buffer: E2BIG",
    "read_size": "the buffer held the read() size ({size} bytes), so the walk stopped before "
                 "the next cgroup and dropped cgroup_mutex",
    "max_iter_objects": "MAX_ITER_OBJECTS (1,000,000) objects in one read(): EAGAIN if "
                        "nothing was written",
    "program_error": "the Python program raised",
    "next_error": "the target's next() returned an error pointer: stop() got NULL (the "
                  "epilogue ran), read() returned the error and the bytes stay in the "
                  "buffer for the next read()",
}


class Event(NamedTuple):
    """One step of a walk.  Fields that do not apply to a kind keep their default.

    Immutable, and cheap to make (a named tuple: a traced walk makes two a cgroup).

    ``writes`` holds one ``(bytes, result)`` pair per helper call the program
    made during a SHOW (result 0 or ``-EOVERFLOW``), so a picture can show the
    record that did not fit.  ``seq_num`` is the value the program saw.
    ``func`` and ``line`` say where in the mirrored kernel code (``cgiter_edu.kernel``)
    the step happened; a SHOW is at the line of ``__cgroup_iter_seq_show`` that runs
    the program.
    """

    step: int
    kind: EventKind
    read_no: int                     #: which read() call (0-based) this step belongs to
    cgroup: int | None = None        #: cgroup id (START/NEXT/SHOW/SKIP); None = NULL
    seq_num: int | None = None
    writes: tuple[tuple[bytes, int], ...] = ()
    ret: int | None = None           #: the program's return value (SHOW)
    count_before: int = 0            #: seq->count before the step
    count_after: int = 0             #: seq->count after the step
    size: int | None = None          #: the user's read size (READ)
    data: bytes = b""                #: bytes handed to the user (COPY, RETURN)
    result: int | None = None        #: read() result: byte count, or -errno (RETURN)
    errno: int | None = None         #: START/RETURN error, positive errno
    reason: str | None = None        #: END: an :class:`EndReason` value
    mutex_held: bool = False         #: is cgroup_mutex held by the walk after this step
    note: str = ""                   #: free text (WAIT/ACQUIRED: who waited)
    #: where in the mirrored kernel code the step happened: ``"module:function"``, e.g.
    #: ``"cgiter_edu.kernel.bpf_iter:bpf_seq_read"`` (methods as ``Class.method``)
    func: str | None = None
    #: the line of that module's source file a student should see highlighted
    line: int | None = None

    @property
    def written(self) -> bytes:
        """The bytes this SHOW appended to the buffer (failed writes excluded)."""
        return b"".join(b for b, r in self.writes if r == 0)

    def to_dict(self) -> dict:
        """A JSON-ready dict (bytes as hex)."""
        d = self._asdict()
        d["kind"] = self.kind.value
        d["writes"] = [[b.hex(), r] for b, r in self.writes]
        d["data"] = self.data.hex()
        return d

    @classmethod
    def from_dict(cls, d: dict) -> Event:
        """Inverse of :meth:`to_dict`."""
        d = dict(d)
        d["kind"] = EventKind(d["kind"])
        d["writes"] = tuple((bytes.fromhex(b), r) for b, r in d["writes"])
        d["data"] = bytes.fromhex(d["data"])
        return cls(**d)


class CgroupState(str, enum.Enum):
    """The colour classes of a cgroup at one step of a walk (see :meth:`Trace.states`)."""

    UNREACHED = "unreached"      #: not visited (yet)
    CURRENT = "current"          #: the object the walk is on at this step
    BUFFERED = "buffered"        #: the program wrote its record, still in the seq_file buffer
    DELIVERED = "delivered"      #: its record reached user space (or it wrote nothing and was kept)
    LOST = "lost"                #: walked, but its record never reaches the user (page limit/cut)
    NEVER = "never"              #: never reached because the session ended early
    DEAD = "dead"                #: dead: skipped by show(), the program not called
    STOPPED = "stopped"          #: the program returned 1 here: the walk stopped


@dataclass
class Trace:
    """The ordered events of one iterator file (one seq_file session).

    What :func:`cgiter_edu.run` records with ``trace=True`` (``res.trace``): the one
    source every picture, animation and widget replays.

    Parameters
    ----------
    order : int
        The walk order's value (:class:`~cgiter_edu.Order`).
    start : int, optional
        The id of the start cgroup.
    page_size : int, default 4096
        The kernel's page size.
    buffer_size : int, default 32768
        The seq_file buffer's size (8 pages).
    kernel : str
        The kernel whose behaviour was emulated (``"6.18"``...).
    cgroups : dict
        Every cgroup id of the hierarchy at the first read -> ``(path, parent id,
        dead)``, so a replay knows the tree it walked.
    events : list of Event
        What happened, in order (``trace[i]`` is ``trace.events[i]``).

    Examples
    --------
    >>> from cgiter_edu import Order, programs, run, shapes
    >>> t = run(shapes.balanced(1, 2), programs.Record(rec_bytes=64),
    ...         Order.DESCENDANTS_PRE, trace=True).trace
    >>> len(t) > 0, t.visit_order(), t.kernel
    (True, [1, 2, 3], '6.18')
    """

    order: int = 0
    start: int | None = None
    page_size: int = 4096
    buffer_size: int = 32768
    kernel: str = ""
    cgroups: dict[int, tuple[str, int | None, bool]] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)

    def __iter__(self) -> Iterator[Event]:
        return iter(self.events)

    def __len__(self) -> int:
        return len(self.events)

    def __getitem__(self, i: int) -> Event:
        return self.events[i]

    # -- what a replay needs -------------------------------------------------
    def of_kind(self, *kinds: EventKind) -> list[Event]:
        """The events of the given kinds, in order.

        Parameters
        ----------
        *kinds : EventKind
            The kinds wanted.

        Returns
        -------
        list of Event
            Those events, in trace order.

        Examples
        --------
        >>> from cgiter_edu import Order, programs, run, shapes
        >>> t = run(shapes.balanced(1, 2), programs.Record(rec_bytes=64),
        ...         Order.DESCENDANTS_PRE, trace=True).trace
        >>> [e.result for e in t.of_kind(EventKind.RETURN)]
        [196, 0]
        """
        return [e for e in self.events if e.kind in kinds]

    @property
    def reads(self) -> list[Event]:
        """The RETURN event of every read() call."""
        return self.of_kind(EventKind.RETURN)

    @property
    def end_reason(self) -> EndReason | None:
        """Why the walk ended, or None while it has not."""
        for e in self.events:
            if e.kind is EventKind.END:
                return EndReason(e.reason)
        return None

    def visit_order(self) -> list[int]:
        """Cgroup ids in the order the walk reached them (dead ones included).

        Returns
        -------
        list of int
            The ids, first reached first.

        Examples
        --------
        >>> from cgiter_edu import Order, programs, run, shapes
        >>> t = run(shapes.balanced(1, 2), programs.Record(rec_bytes=64),
        ...         Order.DESCENDANTS_POST, trace=True).trace
        >>> t.visit_order()
        [2, 3, 1]
        """
        return [e.cgroup for e in self.events
                if e.kind in (EventKind.START, EventKind.NEXT) and e.cgroup is not None
                and e.errno is None]

    def _fold(self, step: int | None, after_event: Callable[..., None] | None = None
              ) -> tuple[dict[int, CgroupState], set[int], int | None, str | None]:
        """Replay events up to ``step``: (states, delivered ids, current id, end reason).
        ``after_event(st, spans, copied, current, ended, touched)``, if given, is called
        after each event with the replay so far (before the step's overlays: CURRENT,
        DELIVERED, NEVER) and the cgroups whose state or span that event changed."""
        last = len(self.events) - 1 if step is None else min(step, len(self.events) - 1)
        st: dict[int, CgroupState] = {cid: CgroupState.UNREACHED for cid in self.cgroups}
        spans: dict[int, tuple[int, int]] = {}     # cgroup -> [a, b) in the buffer
        copied = 0                                 # bytes of the walk's buffer copied out so far
        current: int | None = None
        ended: str | None = None
        shown: list[int] = []                      # cgroups shown during the current read()
        for e in self.events[: last + 1]:
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

    def states(self, step: int | None = None) -> dict[int, CgroupState]:
        """Each cgroup's state at a step: the events up to it folded into one state each.

        This replays recorded facts only: which byte ranges of the buffer each cgroup
        wrote, which were rolled back, which were copied out.

        Parameters
        ----------
        step : int, optional
            The last event applied, 0-based (default: all).  At a step inside a running
            walk, the cgroup being visited is ``CURRENT``.

        Returns
        -------
        dict of int to CgroupState
            The state of each cgroup the events touched (the others: not reached).

        Examples
        --------
        >>> from cgiter_edu import Order, programs, run, shapes
        >>> t = run(shapes.balanced(1, 2), programs.Record(rec_bytes=64),
        ...         Order.DESCENDANTS_PRE, trace=True).trace
        >>> sorted(s.value for s in t.states().values())
        ['delivered', 'delivered', 'delivered']
        """
        st, _delivered, current, ended = self._fold(step)
        if step is not None and ended is None and current is not None and current in st:
            st[current] = CgroupState.CURRENT
        return st

    def states_seen(self) -> list[CgroupState]:
        """The states some cgroup has at some step, in :class:`CgroupState` order.

        What :meth:`states` gives at every step (``0 .. len-1`` and ``None``), gathered
        in one replay (counting states as they change) instead of one per step; a
        legend for the whole walk lists these and nothing else.

        Returns
        -------
        list of CgroupState
            Those states.

        Examples
        --------
        >>> from cgiter_edu import Hierarchy, Order, run, programs
        >>> t = run(Hierarchy(), programs.Record(rec_bytes=64), Order.SELF_ONLY, trace=True).trace
        >>> [s.value for s in t.states_seen()]
        ['unreached', 'current', 'buffered', 'delivered']
        """
        S = CgroupState
        raw = {cid: S.UNREACHED for cid in self.cgroups}   # the replay's states, as counted
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

        st, _delivered, current, ended = self._fold(None, after_event)
        if not self.events:
            look(st, current, ended, True)
        look(st, current, ended, False)
        return [s for s in CgroupState if s in seen]

    def counts(self) -> dict[str, int]:
        """What the whole walk did, one number a key.

        Returns
        -------
        dict of str to int
            The keys below.

        Notes
        -----
        * ``walked``: objects start()/next() reached, dead ones included (and the one a
          cut walk reached but did not show);
        * ``dead``: dead cgroups show() skipped without calling the program;
        * ``delivered``: cgroups whose record reached user space through a read();
        * ``lost``: cgroups the program ran on whose record never reaches the user
          (rolled back when the buffer was full, or written in a read() that failed);
        * ``buffered``: cgroups whose record is still in the seq_file buffer at the
          end of the trace (no read() has copied it out yet);
        * ``never``: after a walk that ended early (cut by the buffer or the read size,
          stopped by the program, MAX_ITER_OBJECTS, E2BIG, a program error), every
          cgroup it did not reach, those outside its start's range too; 0 after a
          complete walk.

        Examples
        --------
        >>> from cgiter_edu import Hierarchy, Order, run, programs
        >>> h = Hierarchy(); _ = h.mkdir("/a"); _ = h.mkdir("/b")
        >>> run(h, programs.Record(stop_id=2), Order.DESCENDANTS_PRE, trace=True).trace.counts()
        {'walked': 2, 'dead': 0, 'delivered': 2, 'lost': 0, 'never': 1, 'buffered': 0}
        """
        st, delivered, _current, _ended = self._fold(None)
        c = {s.value: 0 for s in CgroupState}
        for s in st.values():
            c[s.value] += 1
        return {"walked": len(self.visit_order()), "dead": c["dead"],
                "delivered": len(delivered), "lost": c["lost"], "never": c["never"],
                "buffered": c["buffered"]}

    # -- in and out ----------------------------------------------------------
    def to_json(self) -> str:
        """The whole trace as JSON (one object); :meth:`from_json` reads it back.

        Returns
        -------
        str
            The JSON text.

        Examples
        --------
        >>> from cgiter_edu import Order, programs, run, shapes
        >>> t = run(shapes.balanced(1, 2), programs.Record(rec_bytes=64),
        ...         Order.DESCENDANTS_PRE, trace=True).trace
        >>> Trace.from_json(t.to_json()) == t
        True
        """
        return json.dumps({
            "order": self.order, "start": self.start, "page_size": self.page_size,
            "buffer_size": self.buffer_size, "kernel": self.kernel,
            "cgroups": [[cid, p, par, dead] for cid, (p, par, dead) in self.cgroups.items()],
            "events": [e.to_dict() for e in self.events],
        })

    @classmethod
    def from_json(cls, text: str) -> Trace:
        """Inverse of :meth:`to_json`."""
        d = json.loads(text)
        t = cls(order=d["order"], start=d["start"], page_size=d["page_size"],
                buffer_size=d["buffer_size"], kernel=d["kernel"])
        t.cgroups = {cid: (p, par, dead) for cid, p, par, dead in d["cgroups"]}
        t.events = [Event.from_dict(e) for e in d["events"]]
        return t
