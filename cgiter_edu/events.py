"""One step of a walk: :class:`Event`, its :class:`EventKind`, and :class:`EndReason`,
why a walk ended.

The recorder (:mod:`cgiter_edu.recorder`) makes one event per step the mirrored kernel
code tells it about; a :class:`~cgiter_edu.trace.Trace` holds them in order.  Each event
carries enough to draw one frame from it alone: the cgroup, what the program wrote, the
buffer count before and after, a rollback, the mutex, each read() and its result, and
why the walk ended.

Example::

    >>> e = Event(0, EventKind.SHOW, 0, cgroup=2, writes=((b"ab", 0), (b"c", -75)))
    >>> e.written, Event.from_dict(e.to_dict()) == e, EndReason("e2big").caption
    (b'ab', True, 'the first record does not fit: E2BIG')
"""

from __future__ import annotations

import enum
from typing import NamedTuple

__all__ = ["EndReason", "Event", "EventKind"]


class EventKind(str, enum.Enum):
    """The kinds of step the emulator records, in the order they can happen.

    Examples
    --------
    >>> from cgiter_edu import Order, programs, run, shapes
    >>> t = run(shapes.balanced(1, 1), programs.Record(rec_bytes=64), Order.SELF_ONLY,
    ...         trace=True).trace
    >>> [e.kind.value for e in t][:4]
    ['read', 'lock', 'start', 'show']
    """

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
    """Why a walk ended (the ``reason`` of an ``END`` event).

    Examples
    --------
    >>> from cgiter_edu import Order, programs, run, shapes
    >>> t = run(shapes.balanced(1, 2), programs.Record(stop_id=2), Order.DESCENDANTS_PRE,
    ...         trace=True).trace
    >>> t.end_reason
    <EndReason.PROGRAM: 'program'>
    """

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
        from .captions import END_CAPTIONS

        return END_CAPTIONS[self.value]

    @property
    def explanation(self) -> str:
        """The longer sentence the CLI prints after a walk (``ended: ...``); ``program``'s
        holds ``{ret}`` and ``{at}`` (what the program returned, and where) and ``read_size``'s a ``{size}``
        placeholder for the caller to fill."""
        from .captions import END_EXPLANATIONS

        return END_EXPLANATIONS[self.value]


class Event(NamedTuple):
    """One step of a walk.  Fields that do not apply to a kind keep their default.

    Immutable, and cheap to make (a named tuple: a traced walk makes two a cgroup).

    Parameters
    ----------
    step : int
        Its index in the trace.
    kind : EventKind
        What happened.
    read_no : int
        Which read() call (0-based) it belongs to.
    cgroup : int, optional
        The cgroup id (START/NEXT/SHOW/SKIP; on an END cut by the read size or
        MAX_ITER_OBJECTS, the object ``next()`` returned and the walk did not show);
        None is NULL.
    seq_num : int, optional
        The ``seq_num`` the program saw.
    writes : tuple of (bytes, int)
        One ``(bytes, result)`` pair per helper call the program made during a SHOW
        (result 0 or ``-EOVERFLOW``), so a picture can show the record that did not fit.
    ret : int, optional
        The program's return value (SHOW).
    count_before, count_after : int
        ``seq->count`` before and after the step.
    size : int, optional
        The user's read size (READ).
    data : bytes
        Bytes handed to the user (COPY, RETURN).
    result : int, optional
        The read() result: a byte count, or -errno (RETURN).
    errno : int, optional
        A START/RETURN error, a positive errno.
    reason : str, optional
        END: an :class:`EndReason` value.
    mutex_held : bool
        Whether the walk holds ``cgroup_mutex`` after this step.
    note : str
        Free text (WAIT/ACQUIRED: who waited).
    func : str, optional
        Where in the mirrored kernel code the step happened, ``"module:function"``
        (a SHOW is at the line of ``__cgroup_iter_seq_show`` that runs the program).
    line : int, optional
        The line of that module's source a student should see highlighted.

    Examples
    --------
    >>> from cgiter_edu import Order, programs, run, shapes
    >>> t = run(shapes.balanced(1, 1), programs.Record(rec_bytes=64), Order.SELF_ONLY,
    ...         trace=True).trace
    >>> e = t.of_kind(EventKind.SHOW)[0]; e.cgroup, e.seq_num, len(e.written)
    (1, 0, 64)
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
