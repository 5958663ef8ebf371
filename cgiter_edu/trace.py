"""What the emulator did, step by step: the one record every picture replays.

The emulator (``cgiter_edu.kernel``) decides; when an :class:`~cgiter_edu.IterFile` is
created with ``trace=True`` its :class:`~cgiter_edu.recorder.Recorder` appends one
:class:`~cgiter_edu.events.Event` per step to a :class:`Trace`, with the tree the walk
saw.  Plots, animations, widgets and the CLI only replay these events
(:mod:`cgiter_edu.replay` folds them into a state a cgroup); none of them walks a
hierarchy itself.

With tracing off (the default) the emulator records nothing and pays only a falsy test
per hook line.

Example::

    >>> from cgiter_edu import Hierarchy, Order, attach, programs
    >>> h = Hierarchy(); _ = h.mkdir("/a")
    >>> f = attach(h, programs.id_printer, order=Order.DESCENDANTS_PRE).create(trace=True)
    >>> _ = f.readall()
    >>> [e.kind.value for e in f.trace][:4]
    ['read', 'lock', 'start', 'show']
"""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Iterable, Iterator
from typing import Any

from . import replay
from .events import EndReason, Event, EventKind
from .replay import CgroupState

__all__ = ["Trace"]

_MAKING = threading.Lock()       # the Events of recorded steps are made by one thread at a time
_as_event = functools.partial(tuple.__new__, Event)   # an Event of a tuple of its fields


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

    Notes
    -----
    While a walk is recorded, the recorder appends to the trace's record list
    (``_records``): an :class:`~cgiter_edu.events.Event`, or for the steps a walk makes
    a cgroup (NEXT, SHOW) a plain tuple of an Event's fields (a named tuple costs a
    second copy of the 18 fields).  :attr:`events` makes the Events of the records
    added since it was last read, so reading the trace during the walk (another
    thread, a program) sees every step recorded so far.

    Examples
    --------
    >>> from cgiter_edu import Order, programs, run, shapes
    >>> t = run(shapes.balanced(1, 2), programs.Record(rec_bytes=64),
    ...         Order.DESCENDANTS_PRE, trace=True).trace
    >>> len(t) > 0, t.visit_order(), t.kernel
    (True, [1, 2, 3], '6.18')
    """

    __slots__ = ("order", "start", "page_size", "buffer_size", "kernel", "cgroups",
                 "_records", "_events")

    def __init__(self, order: int = 0, start: int | None = None, page_size: int = 4096,
                 buffer_size: int = 32768, kernel: str = "",
                 cgroups: dict[int, tuple[str, int | None, bool]] | None = None,
                 events: Iterable[Event] | None = None) -> None:
        self.order = order
        self.start = start
        self.page_size = page_size
        self.buffer_size = buffer_size
        self.kernel = kernel
        self.cgroups: dict[int, tuple[str, int | None, bool]] = \
            {} if cgroups is None else cgroups
        #: what the recorder appended: Events, and plain tuples of an Event's fields
        self._records: list[Any] = []
        self._events: list[Event] = []
        if events is not None:
            self.events = events                      # type: ignore[assignment]

    @property
    def events(self) -> list[Event]:
        """What happened, in order: one :class:`~cgiter_edu.events.Event` a step."""
        ev = self._events
        if len(ev) < len(self._records):
            with _MAKING:                              # one thread makes them
                records = self._records
                k, n = len(ev), len(records)           # the walk may append meanwhile
                made = list(map(_as_event, records[k:n]))
                records[k:n] = made                    # the Events replace the tuples
                ev += made
        return ev

    @events.setter
    def events(self, events: Iterable[Event]) -> None:
        self._events = events if isinstance(events, list) else list(events)
        self._records[:] = self._events                # the recorder's list, kept

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return (self.order, self.start, self.page_size, self.buffer_size, self.kernel,
                self.cgroups, self.events) == (
            other.order, other.start, other.page_size, other.buffer_size,  # type: ignore[attr-defined]
            other.kernel, other.cgroups, other.events)  # type: ignore[attr-defined]

    __hash__ = None                                    # type: ignore[assignment]

    def __repr__(self) -> str:
        return (f"Trace(order={self.order!r}, start={self.start!r}, "
                f"page_size={self.page_size!r}, buffer_size={self.buffer_size!r}, "
                f"kernel={self.kernel!r}, cgroups={self.cgroups!r}, events={self.events!r})")

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

    def made_during(self) -> dict[int, int]:
        """Cgroups another thread makes while the walk runs, and when.

        The step is the one at which the thread that mkdirs it gets ``cgroup_mutex``
        (its ACQUIRED event, note ``mkdir <path>``: cgroup_mkdir() makes the cgroup
        holding the mutex).  Before that step the cgroup does not exist: pictures leave
        it out and it is never "never reached".

        Returns
        -------
        dict of int to int
            Cgroup id to that step.

        Examples
        --------
        >>> from cgiter_edu.scenarios import writer_waits
        >>> t = writer_waits(mkdir="/new")
        >>> [(t.cgroups[c][0], t[s].kind.value) for c, s in t.made_during().items()]
        [('/new', 'acquired')]
        """
        made = {}
        for e in self.events:
            note = e.note or ""
            if e.kind is EventKind.ACQUIRED and note.startswith("mkdir "):
                made.setdefault(note[len("mkdir "):], e.step)
        return {cid: made[info[0]] for cid, info in self.cgroups.items() if info[0] in made}

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
        return replay.states(self, step)

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
        return replay.states_seen(self)

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
        * ``unshown``: that one: ``next()`` returned it, then the read size (or
          MAX_ITER_OBJECTS) stopped the walk before show(); the program never ran on it;
        * ``dead``: dead cgroups show() skipped without calling the program;
        * ``delivered``: cgroups whose record reached user space through a read();
        * ``lost``: cgroups the program ran on whose record never reaches the user
          (rolled back when the buffer was full, or written in a read() that failed);
        * ``buffered``: cgroups whose record is still in the seq_file buffer at the
          end of the trace (no read() has copied it out yet);
        * ``never``: after a walk that ended early (cut by the buffer or the read size,
          stopped by the program, MAX_ITER_OBJECTS, E2BIG, a program error), every
          cgroup it did not reach (the unshown one was reached: not counted here), those
          outside its start's range too; 0 after a complete walk.

        Examples
        --------
        >>> from cgiter_edu import Hierarchy, Order, run, programs
        >>> h = Hierarchy(); _ = h.mkdir("/a"); _ = h.mkdir("/b")
        >>> run(h, programs.Record(stop_id=2), Order.DESCENDANTS_PRE, trace=True).trace.counts()
        {'walked': 2, 'dead': 0, 'delivered': 2, 'lost': 0, 'unshown': 0, 'never': 1, 'buffered': 0}
        """
        return replay.counts(self)

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
