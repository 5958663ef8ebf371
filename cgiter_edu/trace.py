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
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any


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


@dataclass(frozen=True, slots=True)
class Event:
    """One step of a walk.  Fields that do not apply to a kind keep their default.

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
        d = asdict(self)
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

    ``cgroups`` maps every cgroup id of the hierarchy at the first read to
    ``(path, parent id, dead)`` so a replay knows the tree it walked.
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
        """The events of the given kinds, in order."""
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
        """Cgroup ids in the order the walk reached them (dead ones included)."""
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
        """Fold the events up to and including ``step`` (default: all) into one
        :class:`CgroupState` per cgroup.  This replays recorded facts only: which byte
        ranges of the buffer each cgroup wrote, which were rolled back, which were
        copied out.  At a ``step`` inside a running walk, the cgroup being visited is
        ``CURRENT``."""
        st, _delivered, current, ended = self._fold(step)
        if step is not None and ended is None and current is not None and current in st:
            st[current] = CgroupState.CURRENT
        return st

    def states_seen(self) -> list[CgroupState]:
        """The states some cgroup has at some step (``0 .. len-1`` and ``None``), in
        :class:`CgroupState` order: what :meth:`states` gives at every step, gathered
        in one replay (counting states as they change) instead of one per step; a
        legend for the whole walk lists these and nothing else.

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
        """What the whole walk did, one number a key:

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
        """The whole trace as JSON (one object)."""
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


# -- recording ---------------------------------------------------------------------------

class Tracer:
    """Records a :class:`Trace` for the emulator.

    An iterator file's seq_file holds one only when a trace was asked for; the mirrored
    kernel functions call it on lines of their own, ``tr and tr.step(...)``, right
    after the statement a step is about (right before it for READ and UNLOCK), so an
    untraced walk pays one falsy test per hook.  The tracer computes everything an
    event holds (counts before and after, seq_num, data) from the seq_file, and
    records where the step happened (``func``, ``line``): the kernel statement next to
    the hook, never the hook itself.
    """

    __slots__ = ("trace", "read_no", "mutex_held", "ended", "show_before")

    def __init__(self, trace: Trace) -> None:
        self.trace = trace
        self.read_no = -1
        self.mutex_held = False
        self.ended = False
        self.show_before = 0

    # -- placing and appending -------------------------------------------------------
    def _add(self, kind: EventKind, back: int = 1, depth: int = 2, **kw: Any) -> None:
        """Append an event of ``kind`` placed in the frame ``depth`` levels up (2: the
        function that called the hook), ``back`` lines above the call (1: the line
        before the hook, -1: the line after it)."""
        frame = sys._getframe(depth)
        code = frame.f_code
        func = _func_names.get(code)
        if func is None:
            func = _func_names[code] = (f"{frame.f_globals.get('__name__', '?')}:"
                                        f"{getattr(code, 'co_qualname', code.co_name)}")
        if kind is EventKind.LOCK:
            self.mutex_held = True
        elif kind is EventKind.UNLOCK:
            self.mutex_held = False
        ev = self.trace.events
        ev.append(Event(step=len(ev), kind=kind, read_no=self.read_no, func=func,
                        line=frame.f_lineno - back, mutex_held=self.mutex_held, **kw))

    def _end(self, reason: EndReason, count: int, depth: int = 3) -> None:
        if not self.ended:
            self.ended = True
            self._add(EventKind.END, 1, depth, reason=reason.value, count_before=count,
                      count_after=count)

    # -- the hooks, in the order a read() meets them -----------------------------------
    def read(self, seq: Any, size: int) -> None:
        """A read() begins (placed at the call on the next line)."""
        self.read_no += 1
        self._add(EventKind.READ, -1, size=size, count_before=seq.count,
                  count_after=seq.count)

    def locked(self, seq: Any, root: Any) -> None:
        """``cgroup_mutex`` taken by the walk: LOCK, listen to other threads' waits, and
        keep the tree as this read() sees it."""
        self._add(EventKind.LOCK, count_before=seq.count, count_after=seq.count)
        mutex = root.cgroup_mutex
        if mutex.passed_over:               # a woken waiter found it taken by this read()
            self._add(EventKind.HANDOFF, note=mutex.passed_over, count_before=seq.count,
                      count_after=seq.count)
        mutex.listener = self.on_mutex
        self.trace.cgroups.update(snapshot(root.cgrp))

    def start(self, seq: Any, p: Any) -> None:
        """``start()`` returned ``p``: an object, NULL or an error."""
        if p.__class__ is int:
            self._add(EventKind.START, errno=-p)
        else:
            self._add(EventKind.START, cgroup=None if p is None else p.cgroup_id,
                      seq_num=seq.iter_priv.seq_num)

    def prog_runs(self, ctx: Any) -> None:
        """Before the program runs: collect its helper calls."""
        seq = ctx.meta.seq
        self.show_before = seq.count
        seq.writes = []

    def prog_ran(self, ctx: Any, ret: int) -> None:
        """The program ran and returned ``ret`` (0 or 1): a SHOW event, placed at the
        line that called ``bpf_iter_run_prog``."""
        seq = ctx.meta.seq
        cg = ctx.cgroup
        self._add(EventKind.SHOW, 0, 3, cgroup=None if cg is None else cg.id,
                  seq_num=ctx.meta.seq_num, writes=tuple(seq.writes), ret=ret,
                  count_before=self.show_before, count_after=seq.count)
        seq.writes = None

    def skip(self, seq: Any, css: Any) -> None:
        """show() skipped a dead cgroup."""
        self._add(EventKind.SKIP, cgroup=css.cgroup_id, seq_num=seq.iter_priv.seq_num,
                  count_before=seq.count, count_after=seq.count)

    def next(self, seq: Any, p: Any) -> None:
        """``next()`` returned ``p``; ``seq_num`` is the one a valid object gets."""
        if p.__class__ is int:
            self._add(EventKind.NEXT, errno=-p, count_before=seq.count,
                      count_after=seq.count)
            return
        seq_num = seq.iter_priv.seq_num + (p is not None)
        self._add(EventKind.NEXT, cgroup=None if p is None else p.cgroup_id, seq_num=seq_num,
                  count_before=seq.count, count_after=seq.count)

    def rollback(self, seq: Any, p: Any, offs: int) -> None:
        """The buffer overflowed on ``p`` (None: the epilogue) and is cut back to ``offs``;
        for an object the walk ends there."""
        self._add(EventKind.ROLLBACK, cgroup=None if p is None else p.cgroup_id,
                  count_before=seq.count, count_after=offs)
        if p is not None:
            self._end(EndReason.E2BIG if offs == 0 else EndReason.BUFFER_FULL, offs)

    def end(self, reason: EndReason, seq: Any) -> None:
        """The walk ends for ``reason`` (once)."""
        self._end(reason, seq.count)

    def unlocking(self, seq: Any) -> None:
        """The walk drops ``cgroup_mutex`` on the next line: UNLOCK comes first, so what
        the unlock does (the release work, the wake-up, the woken waiter taking it) is
        recorded after it."""
        self._add(EventKind.UNLOCK, -1, count_before=seq.count, count_after=seq.count)

    def walk_ended(self, seq: Any) -> None:
        """stop() with NULL: the walk is over, the epilogue comes."""
        reason = EndReason.PROGRAM if seq.private.terminate else EndReason.COMPLETE
        self._end(reason, seq.count)

    def copy(self, seq: Any, buf: bytearray, n: int) -> None:
        """``n`` bytes were copied to the user (not yet taken off ``seq.count``)."""
        if n or seq.count:
            self._add(EventKind.COPY, data=bytes(buf[:n]), count_before=seq.count,
                      count_after=seq.count - n)

    def returned(self, seq: Any, buf: bytearray, ret: int) -> None:
        """read() returns ``ret`` (bytes, or -errno)."""
        self._add(EventKind.RETURN, result=ret, data=bytes(buf[:ret]) if ret > 0 else b"",
                  errno=-ret if ret < 0 else None, count_before=seq.count,
                  count_after=seq.count)

    def program_raised(self, seq: Any) -> None:
        """The Python program raised: the walk ends, read() raises."""
        self._end(EndReason.PROGRAM_ERROR, 0)
        self._add(EventKind.RETURN, 0, result=None, note="the program raised")

    def on_mutex(self, what: str, who: str, cgroup: int | None = None) -> None:
        """The cgroup_mutex listener: a thread waits for it or the release work is queued
        behind the walk (WAIT, placed where that thread called ``lock`` or where
        ``css_put`` queued the work); the walk's unlock lets the release work run
        (RELEASE) and wakes the first waiter (WAKE), which takes it (ACQUIRED, placed at
        that thread's ``lock``) unless the scenario lets the reader's next read() first."""
        kind = _MUTEX_KINDS[what]
        depth = 2
        frame = sys._getframe(depth)
        while _in_mutex_code(frame):
            depth += 1
            frame = frame.f_back
        self._add(kind, 0, depth + 1, note=who, cgroup=cgroup)


_MUTEX_KINDS = {"wait": EventKind.WAIT, "queue": EventKind.WAIT, "wake": EventKind.WAKE,
                "acquired": EventKind.ACQUIRED, "release": EventKind.RELEASE}
_CGROUP_MUTEX_METHODS = {"lock", "unlock", "_free_point", "run_locked", "__enter__",
                         "__exit__"}


def _in_mutex_code(frame: Any) -> bool:
    """Is ``frame`` in kernel/mutex.py or a ``CgroupMutex`` method (not where a step
    belongs: a mutex step is placed at the line that called into the mutex)?"""
    mod = frame.f_globals.get("__name__", "")
    return (mod == "cgiter_edu.kernel.mutex"
            or (mod == "cgiter_edu.kernel.cgroup"
                and frame.f_code.co_name in _CGROUP_MUTEX_METHODS))


_func_names: dict[Any, str] = {}


def snapshot(root: Any) -> dict[int, tuple[str, int | None, bool]]:
    """``{id: (path, parent id, dead)}`` of every cgroup under the root css ``root``,
    parents first, siblings in creation order."""
    from .kernel.cgroup import CSS_ONLINE, css_next_descendant_pre

    out = {}
    pos = None
    while (pos := css_next_descendant_pre(pos, root)) is not None:
        par = pos.parent
        out[pos.cgroup_id] = (pos.path, None if par is None else par.cgroup_id,
                              not pos.flags & CSS_ONLINE)
    return out
