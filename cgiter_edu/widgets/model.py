"""What the explorer's controls mean, without any widget: settings in, one emulator run out.

:class:`Settings` holds every control's value (tree, order, start, program, record
bytes, page size, read() size, kernel, stop-at, dead cgroups, a writer); :func:`walk`
builds the hierarchy those settings describe and lets the emulator run it
(:func:`cgiter_edu.run`, or :func:`cgiter_edu.scenarios.writer_waits` when a writer
does a mkdir during the read).  Everything the explorer then shows replays the
returned :class:`Walk`'s trace; nothing here decides what the kernel would do.

Bad input never raises out of :func:`walk`: it returns a :class:`Walk` whose
``error`` says what is wrong (with the kernel's errno where there is one).

Example::

    >>> from cgiter_edu.widgets.model import Settings, walk
    >>> w = walk(Settings(tree="small", order=2, program="record", record_bytes=3000))
    >>> w.error, w.trace.end_reason.value
    ('', 'buffer_full')
    >>> walk(Settings(order=5, kernel="6.18")).error
    'attach: EINVAL (Invalid argument): order CHILDREN (5) is not a cgroup_iter order on Linux 6.18; ...'
"""

from __future__ import annotations

import errno as _errno
import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from cgiter_edu import BpfProgramError, KernelConfig, Order, programs, shapes
from cgiter_edu.hierarchy import Hierarchy
from cgiter_edu.kernel.config import MAX_ITER_OBJECTS, PAGE_SIZES
from cgiter_edu.names import errno_text
from cgiter_edu.run import run
from cgiter_edu.trace import Trace

__all__ = ["Settings", "Walk", "walk", "TREES", "PROGRAMS", "ORDERS", "KERNELS", "PAGE_SIZES",
           "tree_source", "TreeError", "record_bytes_error"]

#: the trees the tree control offers (label -> shape name); "big" (1,001,001 cgroups)
#: is left out: tracing a million steps is no class demonstration (the CLI has it)
TREES = {
    "systemd host (22 cgroups, one dead)": "systemd",
    "Kubernetes node (20)": "kubernetes",
    "small balanced (13)": "small",
    "random (200, some dead)": "random",
    "balanced 2 x 100 (10,101)": "balanced",
}
#: the order control (label -> value of enum bpf_cgroup_iter_order)
ORDERS = {
    "DESCENDANTS_PRE (pre-order)": int(Order.DESCENDANTS_PRE),
    "DESCENDANTS_POST (post-order)": int(Order.DESCENDANTS_POST),
    "ANCESTORS_UP (to the root)": int(Order.ANCESTORS_UP),
    "SELF_ONLY": int(Order.SELF_ONLY),
    "CHILDREN (Linux 7.0)": int(Order.CHILDREN),
}
#: the program control (label -> name)
PROGRAMS = {
    "record: fixed-size records": "record",
    "ids: the kernel selftest's id printer": "ids",
    "paths: id, level, path": "paths",
    "silent: writes nothing": "silent",
}
KERNELS = ("6.1", "6.12", "6.18", "7.0")

#: read() calls made after a read() of size 0 before giving up (each returns 0 bytes
#: without ending the file, so a cat-like loop would never stop)
ZERO_READS = 4


class TreeError(ValueError):
    """A tree the explorer cannot use (a broken upload, an unreadable sysfs)."""


@dataclass(frozen=True)
class Settings:
    """Every control of the explorer, frozen and comparable.

    Two explorers with equal settings show the same frames.

    Parameters
    ----------
    tree : str, default "systemd"
        A shape name of :data:`TREES`, ``"sysfs"`` (this machine's tree) or ``"json"``
        (``tree_json`` holds the text).
    tree_json : str, optional
        The hierarchy as ``Hierarchy.to_json`` writes it (with ``tree="json"``).
    order : int, default Order.DESCENDANTS_PRE
        The walk order's value.
    start : str, default "/"
        The path of the start cgroup.
    program : str, default "record"
        ``"record"``, ``"ids"``, ``"paths"``, ``"silent"`` or ``"custom"``.
    record_bytes, page_size, read_size : int
        The record size, the kernel's page size and the size of each read().
    kernel : str, default "6.18"
        The kernel whose behaviour is emulated (``"6.1"``, ``"6.12"``, ``"6.18"``,
        ``"7.0"``).
    stop_at : str, optional
        A path where the program returns 1.
    changes : tuple of (str, str)
        ``("kill", path)`` / ``("release", path)`` applied in turn to the built tree
        (making a cgroup dead, dropping the reference that keeps it).
    writer : str, optional
        A path another thread mkdirs during the read (None: no writer).
    big : (str, int), optional
        The program writes ``big[1]`` extra pages before the record of the cgroup at
        path ``big[0]`` (how to see E2BIG or a rollback on a small tree).
    max_iter_objects : int
        The kernel's MAX_ITER_OBJECTS (lower it to see EAGAIN on a small tree).
    extra_reads : int, default 0
        read() calls after the first that returns 0 or an error, where ``cat`` stops
        (more shows what reading on gives: 0 again after a finished walk, EOPNOTSUPP
        again after a cut one).

    Examples
    --------
    >>> s = Settings(tree="small", record_bytes=64)
    >>> s.with_(order=3) == Settings(tree="small", record_bytes=64, order=3)
    True
    """

    tree: str = "systemd"
    tree_json: str | None = None
    order: int = int(Order.DESCENDANTS_PRE)
    start: str = "/"
    program: str = "record"
    record_bytes: int = 3000
    page_size: int = 4096
    read_size: int = 131072
    kernel: str = "6.18"
    stop_at: str | None = None
    changes: tuple[tuple[str, str], ...] = ()
    writer: str | None = None
    big: tuple[str, int] | None = None
    max_iter_objects: int = MAX_ITER_OBJECTS
    extra_reads: int = 0

    def with_(self, **kw: Any) -> Settings:
        """A copy with some fields changed."""
        return replace(self, **kw)


@dataclass
class Walk:
    """One run of the emulator for some :class:`Settings` (what :func:`walk` returns).

    Parameters
    ----------
    settings : Settings
        What was run.
    trace : Trace, optional
        The emulator's trace (None when nothing ran: see ``error``).
    results : list of int or str
        What each read() returned (bytes, or the errno's name).
    error : str
        What went wrong, in words, with the errno (an attach the kernel refuses, a
        start path not in the tree, a program that raised...).
    errno : int
        That errno (0: none).
    notes : list of str
        Facts worth saying that are not errors (a writer that never got to run, read()
        size 0).
    hierarchy : Hierarchy, optional
        The tree that was walked (after ``changes``).

    Examples
    --------
    >>> w = walk(Settings(tree="small", start="/nowhere"))
    >>> w.ok, w.errno
    (False, 2)
    """

    settings: Settings
    trace: Trace | None = None
    results: list[int | str] = field(default_factory=list)
    error: str = ""
    errno: int = 0
    notes: list[str] = field(default_factory=list)
    hierarchy: Hierarchy | None = None

    @property
    def ok(self) -> bool:
        """A trace to replay exists (it may end in an error the kernel gives)."""
        return self.trace is not None


# -- trees ---------------------------------------------------------------------------
_BASE: dict[str, str] = {}


def tree_source(settings: Settings) -> str:
    """The JSON text of the settings' tree before ``changes`` (cached per shape).
    Raises :class:`TreeError` naming the problem."""
    name = settings.tree
    if name == "json":
        text = settings.tree_json or ""
        try:                    # the text itself, never a file name (from_json takes both)
            data = json.loads(text)
        except json.JSONDecodeError as e:
            raise TreeError(f"the uploaded file is not JSON: {e}") from None
        try:
            return Hierarchy.from_dict(data).to_json()
        except (ValueError, KeyError, TypeError, OSError) as e:
            why = _strip(e).removeprefix("not a saved hierarchy: ")
            raise TreeError(f"the uploaded JSON is not a hierarchy: {why}") from None
    if name in _BASE:
        return _BASE[name]
    if name == "sysfs":
        try:
            h = shapes.from_sysfs()
        except (OSError, ValueError, RecursionError) as e:
            raise TreeError(f"this machine's cgroup tree cannot be read: "
                            f"{type(e).__name__}: {e}") from None
    elif name in shapes.BY_NAME and name != "big":
        h = shapes.BY_NAME[name]()
    else:
        raise TreeError(f"unknown tree {name!r}; one of {', '.join(TREES.values())}, sysfs, json")
    _BASE[name] = h.to_json()
    return _BASE[name]


def sysfs_readable() -> str:
    """'' when this machine's cgroup v2 mount can be read, else why not (a cheap check:
    the tree itself is read when it is chosen)."""
    import os

    try:
        mnt = shapes.cgroup2_mount()
    except OSError as e:
        return str(e)
    if not os.access(mnt, os.R_OK | os.X_OK):
        return f"{mnt} is not readable"
    return ""


def build(settings: Settings) -> Hierarchy:
    """The hierarchy the settings describe: the tree, then each change in turn.
    Raises :class:`TreeError` or ``OSError``/``KeyError`` naming the change that failed."""
    h = Hierarchy.from_json(tree_source(settings))
    for what, path in settings.changes:
        apply_change(h, what, path)
    return h


_BUILT: dict[tuple, Hierarchy] = {}


def _built(s: Settings) -> Hierarchy:
    """:func:`build`, kept for the next run with the same tree and changes (a walk
    leaves its hierarchy as it found it; only a writer's mkdir changes it, and a run
    with a writer builds its own)."""
    key = (s.tree, s.tree_json, s.changes)
    h = _BUILT.get(key)
    if h is None:
        h = build(s)
        if len(_BUILT) >= 8:
            _BUILT.pop(next(iter(_BUILT)))
        _BUILT[key] = h
    return h


def apply_change(h: Hierarchy, what: str, path: str) -> None:
    """``kill``: make the cgroup at ``path`` dead (open + rmdir, the reference held);
    ``release``: drop the reference that keeps the dead cgroup at ``path``."""
    if what == "kill":
        h.kill(path)
    elif what == "release":
        dead = [c for c in h.cgroups() if c.dead and c.path == path and c.id in h.held]
        if not dead:
            raise KeyError(f"{path} is not a dead cgroup the hierarchy holds")
        h.release(dead[0].id)
    else:
        raise ValueError(f"unknown change {what!r}")


def paths(h: Hierarchy) -> list[str]:
    """Every cgroup path of ``h`` in walk-friendly (pre-)order, dead ones included."""
    return [c.path for c in h.cgroups()]


# -- the program -----------------------------------------------------------------------
def program_for(settings: Settings, h: Hierarchy, user: Callable[[Any], int] | None = None
                ) -> tuple[Callable[[Any], int], list[str]]:
    """The BPF program the settings ask for, and notes about settings it ignores."""
    notes: list[str] = []
    stop_id = None
    if settings.stop_at:
        stop_id = h.id_of(settings.stop_at)
    big = None
    if settings.big and settings.big[1] > 0:
        big = (h.id_of(settings.big[0]), int(settings.big[1]))
    name = settings.program
    if name == "custom":
        if user is None:
            raise ValueError("no program of yours was given: pass Explorer(program=my_prog)")
        if stop_id is not None or big is not None:
            notes.append("stop-at and the big record apply to the ready programs only; "
                         "your program decides for itself")
        return user, notes
    if name == "record":
        return programs.Record(rec_bytes=settings.record_bytes, stop_id=stop_id, big=big), notes
    if big is not None:
        notes.append("the big record needs the record program")
    if name == "ids":
        return programs.IdPrinter(terminal_cgroup=stop_id or 0), notes
    if stop_id is not None:
        notes.append(f"stop-at needs the ids or record program, not {name}")
    if name in programs.BY_NAME:
        return programs.BY_NAME[name], notes
    raise ValueError(f"unknown program {name!r}")


def record_bytes_error(settings: Settings) -> str:
    """Why the record program cannot write ``settings.record_bytes``-byte records ('' when
    it can): it writes a 24-byte line and 0 to 4095 pad bytes, so 24 to 4119 B.

    >>> record_bytes_error(Settings(record_bytes=40000))
    'record bytes 40000: the record program writes records of 24 to 4119 B (a 24-byte line, then 0 to 4095 pad bytes)'
    """
    lo, hi = programs.Record.MIN_BYTES, programs.Record.MAX_BYTES
    if settings.program != "record" or lo <= settings.record_bytes <= hi:
        return ""
    return (f"record bytes {settings.record_bytes}: the record program writes records of "
            f"{lo} to {hi} B (a 24-byte line, then 0 to {hi - lo} pad bytes)")


# -- one run ---------------------------------------------------------------------------
def walk(settings: Settings, user_program: Callable[[Any], int] | None = None) -> Walk:
    """Build the tree, attach and read as the settings say, with a trace.

    Never raises for bad input: the returned :class:`Walk` says what is wrong.

    Parameters
    ----------
    settings : Settings
        Every control.
    user_program : callable, optional
        The ``prog(ctx) -> int`` run when ``settings.program`` is ``"custom"``.

    Returns
    -------
    Walk
        The trace, the read() results, or the error in words with its errno.

    Examples
    --------
    >>> w = walk(Settings(tree="small", record_bytes=3000))
    >>> w.ok, w.results[-1]
    (True, 'EOPNOTSUPP')
    """
    w = Walk(settings)
    s = settings
    # the hierarchy and the cheap checks, before anything runs
    try:
        h = build(s) if s.writer else _built(s)
    except TreeError as e:
        w.error = str(e)
        return w
    except OSError as e:
        w.errno = e.errno or 0
        w.error = f"cannot change the tree: {errno_text(w.errno)}: {_why(_strip(e))}"
        return w
    except (KeyError, ValueError) as e:
        w.error = f"cannot change the tree: {_strip(e)}"
        return w
    w.hierarchy = h
    for label, path in (("start", s.start), ("stop-at", s.stop_at),
                        ("big record at", s.big[0] if s.big else None)):
        if path and path not in h:
            w.errno = _errno.ENOENT
            w.error = (f"{label} {path!r}: no such cgroup in this tree "
                       f"({errno_text(_errno.ENOENT)} when opening it)")
            return w
    bad = record_bytes_error(s)
    if bad:
        w.error = bad
        return w
    if s.read_size < 0:
        w.errno = _errno.EINVAL
        w.error = f"read() size {s.read_size} is negative: {errno_text(_errno.EINVAL)}"
        return w
    try:
        kernel = replace(KernelConfig.preset(s.kernel), page_size=s.page_size,
                         max_iter_objects=s.max_iter_objects)   # the preset's format rules too
    except ValueError as e:
        w.error = str(e).replace("max_iter_objects", "max objects (MAX_ITER_OBJECTS)")
        return w
    try:
        prog, notes = program_for(s, h, user_program)
    except (KeyError, ValueError) as e:
        w.error = _strip(e)
        return w
    w.notes += notes
    max_reads = 1_000_000
    if s.read_size == 0:
        max_reads = ZERO_READS
        w.notes.append(f"read(fd, buf, 0) returns 0 bytes but is no end of file: a cat-like "
                       f"loop would read for ever; the explorer stops after {ZERO_READS} calls")
    start = None if s.start in ("", "/") else s.start
    try:
        if s.writer:
            _walk_with_writer(w, h, prog, kernel, start)
        else:
            res = run(h, prog, s.order, start, read_size=s.read_size, kernel=kernel,
                      trace=True, max_reads=max_reads,
                      extra_reads=s.extra_reads if s.read_size else 0)
            if res.attach_errno:
                w.errno = res.attach_errno
                w.error = f"attach: {errno_text(res.attach_errno)}: {_why(res.attach_error)}"
                return w
            w.trace = res.trace
            w.results = res.results
    except BpfProgramError as e:
        res = getattr(e, "result", None)
        w.trace = res.trace if res is not None else None
        w.error = f"your program failed: {e}"
        if w.trace is not None:
            w.results = [r.result if (r.result or 0) >= 0 else _sym(r.result)
                         for r in w.trace.reads]
    except OSError as e:                       # e.g. opening a dead start path
        w.errno = e.errno or 0
        w.error = f"{errno_text(w.errno)}: {_why(_strip(e))}"
    return w


def _walk_with_writer(w: Walk, h: Hierarchy, prog: Callable[[Any], int],
                      kernel: KernelConfig, start: str | None) -> None:
    """The walk while another thread mkdirs ``settings.writer`` (the mutex lane)."""
    from cgiter_edu.scenarios import writer_waits

    s = w.settings
    if s.writer in h:
        w.errno = _errno.EEXIST
        w.error = f"writer: mkdir {s.writer!r}: {errno_text(_errno.EEXIST)}, it already exists"
        return
    parent = s.writer.rsplit("/", 1)[0] or "/"
    if parent not in h:
        w.errno = _errno.ENOENT
        w.error = f"writer: mkdir {s.writer!r}: {errno_text(_errno.ENOENT)}, no parent {parent!r}"
        return
    try:
        trace = writer_waits(h, order=s.order, mkdir=s.writer, read_size=max(s.read_size, 1),
                             kernel=kernel, prog=prog, start=start)
    except OSError as e:
        w.errno = e.errno or 0
        w.error = f"attach: {errno_text(w.errno)}: {_why(e.strerror or str(e))}"
        return
    except ValueError as e:                    # an order Order() does not know
        w.errno = _errno.EINVAL
        w.error = f"attach: {errno_text(_errno.EINVAL)}: {e}"
        return
    w.trace = trace
    w.results = [r.result if (r.result or 0) >= 0 else _sym(r.result) for r in trace.reads]
    if not any(e.kind.value == "wait" for e in trace.events):
        w.notes.append("the writer starts when the walk reaches its third cgroup; this walk "
                       "reached fewer, so it never had to wait")


def _sym(result: int | None) -> str:
    from cgiter_edu.names import errno_symbol

    return "raised" if result is None else errno_symbol(-result)


def _strip(e: BaseException) -> str:
    s = str(e.args[0]) if isinstance(e, KeyError) and e.args else str(e)
    if isinstance(e, OSError) and e.strerror:
        s = e.strerror
    return s


def _why(text: str) -> str:
    """The kernel's reason without the strerror prefix the emulator puts first."""
    head, sep, tail = text.partition(": ")
    return tail if sep and head and head[0].isupper() and " " in head else text
