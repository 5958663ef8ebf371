"""What records a :class:`~cgiter_edu.trace.Trace`: the :class:`Recorder` the kernel
code calls on its hook lines (it implements :class:`cgiter_edu.kernel.hooks.Tracer`),
and :func:`snapshot`, the tree a walk sees when it takes ``cgroup_mutex``.

Each step is placed where it happened in the mirrored kernel code: the recorder reads
the caller's frame (``sys._getframe``) for the function and the line a student should
see highlighted.  The two steps a walk makes a cgroup (NEXT, SHOW) are placed once per
iterator file (per ctx for SHOW), not per step, and recorded as plain tuples of an
Event's fields, which the trace turns into :class:`~cgiter_edu.events.Event` objects
when it is read (:class:`~cgiter_edu.trace.Trace`).

Example::

    >>> from cgiter_edu import Hierarchy, Order, attach, programs
    >>> h = Hierarchy(); _ = h.mkdir("/a")
    >>> f = attach(h, programs.id_printer, order=Order.DESCENDANTS_PRE).create(trace=True)
    >>> type(f.seq.tracer).__name__, f.readall().count(b"\\n")
    ('Recorder', 4)
    >>> snapshot(h.root_css)
    {1: ('/', None, False), 2: ('/a', 1, False)}
"""

from __future__ import annotations

import sys
import weakref
from typing import Any

from .events import EndReason, Event, EventKind
from .kernel.bpf_iter import bpf_iter_run_prog
from .kernel.cgroup import CSS_ONLINE
from .kernel.inline import INLINED, origin
from .trace import Trace

__all__ = ["Recorder", "snapshot"]


class Recorder:
    """Records a :class:`~cgiter_edu.trace.Trace`: the
    :class:`~cgiter_edu.kernel.hooks.Tracer` an iterator file made with ``trace=True``
    gives its seq_file.

    The mirrored kernel functions call it on lines of their own, ``tr and
    tr.step(...)``, right after the statement a step is about (right before it for READ
    and UNLOCK).  The recorder computes everything an event holds (counts before and
    after, seq_num, data) from the seq_file, and records where the step happened
    (``func``, ``line``): the kernel statement next to the hook, never the hook itself.
    """

    __slots__ = ("trace", "read_no", "mutex_held", "ended", "show_before", "writes",
                 "records", "next_func", "next_line", "show_ctx", "show_func", "show_line",
                 "tree")

    def __init__(self, trace: Trace) -> None:
        self.trace = trace
        self.read_no = -1
        self.mutex_held = False
        self.ended = False
        self.show_before = 0
        #: the list seq.writes is while the program runs: the helpers' writes
        self.writes: list[tuple[bytes, int]] = []
        self.records = trace._records         # what the hooks record, in order
        self.next_func: str | None = None      # where NEXT happens (one hook site)
        self.next_line = 0
        self.show_ctx: Any = None              # the ctx whose SHOW is placed at show_func,
        self.show_func: str | None = None      # show_line
        self.show_line = 0
        self.tree: tuple[Any, int] | None = None   # the cgroup_root and generation seen

    # -- placing and appending -------------------------------------------------------
    def _add(self, kind: EventKind, back: int = 1, depth: int = 2, **kw: Any) -> None:
        """Append an event of ``kind`` placed in the frame ``depth`` levels up (2: the
        function that called the hook), ``back`` lines above the call (1: the line
        before the hook, -1: the line after it)."""
        func, line = _place(sys._getframe(depth))
        if kind is EventKind.LOCK:
            self.mutex_held = True
        elif kind is EventKind.UNLOCK:
            self.mutex_held = False
        records = self.trace._records
        records.append(Event(step=len(records), kind=kind, read_no=self.read_no, func=func,
                             line=line - back, mutex_held=self.mutex_held, **kw))

    def _end(self, reason: EndReason, count: int, depth: int = 3,
             cgroup: int | None = None) -> None:
        if not self.ended:
            self.ended = True
            self._add(EventKind.END, 1, depth, reason=reason.value, cgroup=cgroup,
                      count_before=count, count_after=count)

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
        gen = root.generation
        if self.tree != (root, gen):        # else the tree this trace has is unchanged
            self.tree = (root, gen)
            made = _snapshots.get(root)
            if made is None or made[0] != gen:
                made = _snapshots[root] = (gen, snapshot(root.cgrp))
            self.trace.cgroups.update(made[1])

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
        writes = self.writes
        if writes:                             # left by a program that raised
            writes.clear()
        seq.writes = writes

    def prog_ran(self, ctx: Any, ret: int) -> None:
        """The program ran and returned ``ret`` (0 or 1): a SHOW event, placed at the
        line that called ``bpf_iter_run_prog``.

        That line is found once per ctx: in the kernel the ctx is a variable on the
        stack of the function that runs the program (``__cgroup_iter_seq_show``), and
        the emulator's, reused from one show to the next, is filled by that function
        alone."""
        meta = ctx.meta
        seq = meta.seq
        writes = seq.writes
        if writes:                             # copied: the list is kept for the next
            made = tuple(writes)               # program, as an empty one is
            writes.clear()
        else:
            made = ()
        if ctx is not self.show_ctx:
            frame = _getframe(1)
            if frame.f_code is _RUN_PROG:      # called, not inlined into the show
                frame = frame.f_back
            self.show_ctx = ctx
            self.show_func, self.show_line = _place(frame)
        cg = ctx.cgroup
        records = self.records
        records.append((len(records), _SHOW, self.read_no,
                        None if cg is None else cg._css.cgroup_id, meta.seq_num,
                        made, ret, self.show_before, seq.count,
                        None, b"", None, None, None, self.mutex_held, "", self.show_func,
                        self.show_line))
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
        func = self.next_func
        if func is None:                       # the one line that calls this hook
            func, line = _place(_getframe(1))
            self.next_func, self.next_line = func, line - 1
        count = seq.count
        records = self.records
        if p is None:
            records.append((len(records), _NEXT, self.read_no, None, seq.iter_priv.seq_num,
                            (), None, count, count, None, b"", None, None, None,
                            self.mutex_held, "", func, self.next_line))
        else:
            records.append((len(records), _NEXT, self.read_no, p.cgroup_id,
                            seq.iter_priv.seq_num + 1, (), None, count, count, None, b"",
                            None, None, None, self.mutex_held, "", func, self.next_line))

    def rollback(self, seq: Any, p: Any, offs: int) -> None:
        """The buffer overflowed on ``p`` (None: the epilogue) and is cut back to ``offs``;
        for an object the walk ends there."""
        self._add(EventKind.ROLLBACK, cgroup=None if p is None else p.cgroup_id,
                  count_before=seq.count, count_after=offs)
        if p is not None:
            self._end(EndReason.E2BIG if offs == 0 else EndReason.BUFFER_FULL, offs)

    def read_size_reached(self, seq: Any, p: Any) -> None:
        """The buffer holds the read() size: the walk ends before showing ``p``, the
        object ``next()`` has just returned (its seq_num used up, the program never run
        on it): the END event names it."""
        self._end(EndReason.READ_SIZE, seq.count, cgroup=p.cgroup_id)

    def max_objects_reached(self, seq: Any, p: Any) -> None:
        """MAX_ITER_OBJECTS objects in this read(): the walk ends before showing ``p``
        (the END event names it, as for the read size)."""
        self._end(EndReason.MAX_ITER_OBJECTS, seq.count, cgroup=p.cgroup_id)

    def next_failed(self, seq: Any) -> None:
        """``next()`` returned an error pointer: the walk ends."""
        self._end(EndReason.NEXT_ERROR, seq.count)

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


_getframe = sys._getframe
_new = tuple.__new__                 # an Event from a tuple: no keyword parsing, no call
_RUN_PROG = bpf_iter_run_prog.__code__
_NEXT = EventKind.NEXT
_SHOW = EventKind.SHOW

#: cgroup_root -> (its generation, snapshot of its tree then): a tree is followed once per
#: change, not once per traced read() (a lesson walks one tree in every order)
_snapshots: weakref.WeakKeyDictionary[Any, tuple[int, dict]] = weakref.WeakKeyDictionary()
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
_line_names: dict[Any, dict[int, str]] = {}          # code with inlined bodies: by line
#: id(code) -> instruction offset -> (func, line): a frame's ``f_lineno`` walks its
#: code's line table from the start (microseconds in a long function), and a code
#: object's hash is computed from its bytecode and constants at each lookup (about
#: 300 ns for bpf_seq_read's); its id and ``f_lasti`` are at hand
_places: dict[int, dict[int, tuple[str, int]]] = {}
_placed: list[Any] = []              # the codes of _places, kept alive: their ids stay theirs


def _place(frame: Any) -> tuple[str, int]:
    """``(func, line)`` of where ``frame`` is, found once per code location."""
    at = _places.get(id(frame.f_code))
    if at is None:
        at = _places[id(frame.f_code)] = {}
        _placed.append(frame.f_code)
    where = at.get(frame.f_lasti)
    if where is None:
        where = at[frame.f_lasti] = (_func_of(frame), frame.f_lineno)
    return where


def _func_of(frame: Any) -> str:
    """``"module:qualname"`` of the function whose source holds the frame's line: the
    frame's own, or one the compiler-like inliner put into it (:mod:`.kernel.inline`)."""
    code = frame.f_code
    mod = frame.f_globals.get("__name__", "?")
    if code in INLINED:
        lines = _line_names.setdefault(code, {})
        line = frame.f_lineno
        func = lines.get(line)
        if func is None:
            func = lines[line] = (f"{mod}:{origin(code, line) or _qualname(code, frame.f_globals)}")
        return func
    func = _func_names.get(code)
    if func is None:
        func = _func_names[code] = f"{mod}:{_qualname(code, frame.f_globals)}"
    return func


def _qualname(code: Any, module: dict[str, Any]) -> str:
    """``code.co_qualname``; Python 3.10 has none (pyproject allows 3.10: every walk
    failed with AttributeError there): :func:`_qualname_of_function` instead."""
    qualname = getattr(code, "co_qualname", None)
    return qualname if qualname is not None else _qualname_of_function(code, module)


def _qualname_of_function(code: Any, module: dict[str, Any]) -> str:
    """The ``__qualname__`` of the function of the module (its namespace ``module``),
    or of a method of a class of it, whose code is ``code``; else ``co_name``."""
    for value in list(module.values()):
        found = [value]
        if isinstance(value, type) and value.__module__ == module.get("__name__"):
            found = list(vars(value).values())
        for f in found:
            f = getattr(f, "__func__", None) or getattr(f, "fget", None) or f
            if getattr(f, "__code__", None) is code:
                return f.__qualname__
    return code.co_name


def snapshot(root: Any) -> dict[int, tuple[str, int | None, bool]]:
    """``{id: (path, parent id, dead)}`` of every cgroup under the root css ``root``,
    parents first, siblings in creation order: the pre-order of
    ``css_next_descendant_pre``, by the children lists it follows (the walk holds
    ``cgroup_mutex``, so no cgroup on them is released)."""
    par = root.parent
    out = {root.cgroup_id: (root.path, None if par is None else par.cgroup_id,
                            not root.flags & CSS_ONLINE)}
    below = []                     # (next sibling, its parent's id) of each css gone into
    pid = root.cgroup_id
    css = root.first_child
    while True:
        while css is not None:     # css and its siblings, each before its children
            out[css.cgroup_id] = (css.path, pid, not css.flags & CSS_ONLINE)
            if css.first_child is not None:
                below.append((css.sibling_next, pid))
                pid = css.cgroup_id
                css = css.first_child
            else:
                css = css.sibling_next
        if not below:
            return out
        css, pid = below.pop()
