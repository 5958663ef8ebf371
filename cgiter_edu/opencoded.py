"""Open-coded walks (Linux 6.7+): a BPF program that walks the cgroups itself, with the
``bpf_iter_css_*`` kfuncs, and the tasks of a cgroup with ``bpf_iter_css_task_*``.

cgroup_iter calls your program once per cgroup and puts what it prints in an 8-page
seq_file buffer.  An open-coded walk turns it around: *your* program loops, and sends
what it finds where it likes -- a BPF ring buffer here, which user space reads.  The
Python program is written like the C one::

    SEC("syscall")                                   # prog_test_run(h, walk, "syscall")
    int walk(void *ctx)
    {
        struct cgroup *cg = bpf_cgroup_from_id(start_id);
        struct cgroup_subsys_state *pos;
        if (!cg) return 1;
        bpf_rcu_read_lock();                         # a syscall program is sleepable
        bpf_for_each(css, pos, &cg->self, BPF_CGROUP_ITER_DESCENDANTS_PRE)
            bpf_ringbuf_output(&rb, &pos->cgroup->kn->id, 8, 0);
        bpf_rcu_read_unlock();
        bpf_cgroup_release(cg);
        return 0;
    }

What it costs, taught honestly: no ``cgroup_mutex`` (a concurrent mkdir or rmdir may or
may not be seen: RCU only), dead cgroups are *not* skipped (the program must test
``pos.flags & CSS_ONLINE``), and the ring buffer has a size too: a record that does not
fit is dropped (``bpf_ringbuf_output`` returns ``-EAGAIN``), unless user space consumes
in time.  The verifier's rules (:mod:`cgiter_edu.kernel.verifier`) are enforced as the
program runs: a program that breaks one does not load (:class:`VerifierError`, the
verifier's words), and nothing it did is kept.

Example::

    >>> from cgiter_edu import Hierarchy
    >>> from cgiter_edu.opencoded import *
    >>> h = Hierarchy(); _ = h.mkdir("/a"); _ = h.mkdir("/a/b")
    >>> rb = RingBuffer(4096)
    >>> def walk(ctx):
    ...     cg = bpf_cgroup_from_id(1)
    ...     bpf_rcu_read_lock()
    ...     for pos in bpf_for_each("css", cg.self, BPF_CGROUP_ITER_DESCENDANTS_POST):
    ...         bpf_ringbuf_output(rb, pos.cgroup.id.to_bytes(8, "little"))
    ...     bpf_rcu_read_unlock()
    ...     bpf_cgroup_release(cg)
    ...     return 0
    >>> prog_test_run(h, walk).retval, [int.from_bytes(r, "little") for r in rb.consume()]
    (0, [3, 2, 1])
"""

from __future__ import annotations

import contextvars
import struct
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

from .kernel import cgroup_iter as _ci
from .kernel import helpers as _helpers
from .kernel import ringbuf as _rb
from .kernel import task_iter as _ti
from .kernel.cgroup import (
    CSS_ONLINE,
    CSS_TASK_ITER_PROCS,
    CSS_TASK_ITER_THREADED,
    CgroupView,
    CssView,
    Task,
)
from .kernel.cgroup_iter import (
    BPF_CGROUP_ITER_ANCESTORS_UP,
    BPF_CGROUP_ITER_DESCENDANTS_POST,
    BPF_CGROUP_ITER_DESCENDANTS_PRE,
)
from .kernel.config import DEFAULT, KernelConfig
from .kernel.verifier import BpfProgInfo, BpfVerifierEnv, VerifierError

__all__ = [
    "BPF_CGROUP_ITER_ANCESTORS_UP", "BPF_CGROUP_ITER_DESCENDANTS_POST",
    "BPF_CGROUP_ITER_DESCENDANTS_PRE", "CSS_ONLINE", "CSS_TASK_ITER_PROCS",
    "CSS_TASK_ITER_THREADED", "BpfIterCss", "BpfIterCssTask", "OpenEvent", "OpenRun",
    "OpenTrace", "RingBuffer", "VerifierError", "bpf_cgroup_from_id", "bpf_cgroup_release",
    "bpf_for_each", "bpf_iter_css_destroy", "bpf_iter_css_new", "bpf_iter_css_next",
    "bpf_iter_css_task_destroy", "bpf_iter_css_task_new", "bpf_iter_css_task_next",
    "bpf_rcu_read_lock", "bpf_rcu_read_unlock", "bpf_ringbuf_output", "prog_test_run",
]

#: what a program writes per cgroup in :func:`css_walker` (and in opencoded.bpf.c):
#: ``struct css_rec { __u64 id; __u32 online; __u32 level; }``
CSS_REC = struct.Struct("<QII")
#: ``struct task_rec { __u32 pid; __u32 tgid; }``
TASK_REC = struct.Struct("<II")


class BpfIterCss(_ci.BpfIterCss):
    """``struct bpf_iter_css it;`` on the program's stack (for the explicit
    new/next/destroy form)."""

    __slots__ = ()


class BpfIterCssTask(_ti.BpfIterCssTask):
    """``struct bpf_iter_css_task it;`` on the program's stack."""

    __slots__ = ()


class TaskView:
    """``struct task_struct *`` as the program reads it: ``pid``, ``tgid``, ``comm``."""

    __slots__ = ("_t",)

    def __init__(self, t: Task) -> None:
        object.__setattr__(self, "_t", t)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"a task is read-only (tried to set {name!r})")

    pid = property(lambda self: self._t.pid, doc="the thread's id")
    tgid = property(lambda self: self._t.tgid, doc="its process's id")
    comm = property(lambda self: self._t.comm, doc="its name")

    def __repr__(self) -> str:
        return f"Task(pid={self.pid}, tgid={self.tgid}, comm={self.comm!r})"


class RingBuffer:
    """A ``BPF_MAP_TYPE_RINGBUF`` map of ``size`` bytes (a power of 2, a multiple of the
    page size: OSError EINVAL otherwise).  The program writes with
    :func:`bpf_ringbuf_output`; user space reads with :meth:`consume`.

    >>> rb = RingBuffer(4096); rb.capacity(8)      # 8-byte records: 16 bytes each
    255
    """

    def __init__(self, size: int = 4096, page_size: int = 4096) -> None:
        self.rb = _rb.ringbuf_map_alloc(size, page_size=page_size)

    @property
    def size(self) -> int:
        """The data area's size in bytes."""
        return self.rb.size

    @property
    def dropped(self) -> int:
        """How many ``bpf_ringbuf_output`` calls answered ``-EAGAIN`` so far."""
        return self.rb.dropped

    def capacity(self, record_bytes: int) -> int:
        """How many records of ``record_bytes`` fit with no consumer: each takes
        ``round_up(record_bytes + 8, 8)`` and at most ``size - 1`` bytes are used."""
        return self.rb.mask // _rb.round_up(record_bytes + _rb.BPF_RINGBUF_HDR_SZ, 8)

    def consume(self) -> list[bytes]:
        """Every record waiting, oldest first (libbpf's ``ring_buffer__consume``)."""
        return self.rb.consume()

    def __repr__(self) -> str:
        return repr(self.rb).replace("BpfRingbuf", "RingBuffer")


# -- the trace ----------------------------------------------------------------------------

@dataclass(frozen=True)
class OpenEvent:
    """One step of an open-coded run.  ``kind``: ``rcu_lock``, ``rcu_unlock``,
    ``from_id``, ``release``, ``new``, ``next``, ``destroy``, ``task_new``, ``task_next``,
    ``task_destroy``, ``output``, ``exit`` or ``refused``.  ``cgroup``: a cgroup id
    (``next``: None is NULL, the end); ``dead``: that cgroup was offline; ``pid``/``tgid``
    for ``task_next``; ``ret``: what the kfunc returned (``new``: 0 or -errno,
    ``output``: 0 or -EAGAIN, ``exit``: the program's return value); ``used_before`` and
    ``used_after``: the ring buffer's bytes in use; ``func``: the kernel function (in
    :mod:`cgiter_edu.kernel`) that decided."""

    step: int
    kind: str
    cgroup: int | None = None
    dead: bool = False
    pid: int | None = None
    tgid: int | None = None
    ret: int | None = None
    data: bytes = b""
    used_before: int = 0
    used_after: int = 0
    note: str = ""
    func: str | None = None


@dataclass
class OpenTrace:
    """The steps of one run, and the tree as the program saw it (``cgroups``: id ->
    (path, parent id, dead))."""

    events: list[OpenEvent] = field(default_factory=list)
    cgroups: dict[int, tuple[str, int | None, bool]] = field(default_factory=dict)
    ring_size: int = 0

    def __iter__(self) -> Iterator[OpenEvent]:
        return iter(self.events)

    def __len__(self) -> int:
        return len(self.events)

    def visit_order(self) -> list[int]:
        """The cgroup ids ``bpf_iter_css_next`` returned, in order, dead ones included."""
        return [e.cgroup for e in self.events if e.kind == "next" and e.cgroup is not None]

    def dropped(self) -> list[int]:
        """The cgroups whose record ``bpf_ringbuf_output`` dropped (``-EAGAIN``)."""
        return [e.cgroup for e in self.events if e.kind == "output" and e.ret]

    def to_dict(self) -> dict:
        """JSON-ready (bytes as hex)."""
        return {"ring_size": self.ring_size,
                "cgroups": {str(k): list(v) for k, v in self.cgroups.items()},
                "events": [{**asdict(e), "data": e.data.hex()} for e in self.events]}


# -- the running program: its verifier state and trace --------------------------------------

class _Run:
    def __init__(self, h: Any, info: BpfProgInfo, kernel: KernelConfig, trace: OpenTrace | None,
                 ringbufs: list[RingBuffer]) -> None:
        self.h = h
        self.env = BpfVerifierEnv(info, kernel)
        self.kernel = kernel
        self.trace = trace
        self.last_output: Any = None
        self.current: dict[int, int | None] = {}    # id(iterator) -> the cgroup it is on
        self.ringbufs = ringbufs

    def add(self, kind: str, func: Callable | None = None, **kw: Any) -> None:
        if self.trace is None:
            return
        ev = self.trace.events
        name = None if func is None else f"{func.__module__}:{func.__qualname__}"
        ev.append(OpenEvent(step=len(ev), kind=kind, func=name, **kw))


_current: contextvars.ContextVar[_Run | None] = contextvars.ContextVar("opencoded_run",
                                                                        default=None)


def _run() -> _Run:
    r = _current.get()
    if r is None:
        raise RuntimeError("a kfunc was called outside a BPF program: run the program with "
                           "prog_test_run(h, prog) (or attach it as iter/cgroup)")
    return r


def _css(start: Any) -> Any:
    if not isinstance(start, CssView):
        raise TypeError(f"the start is a css (cgrp.self, or what bpf_iter_css_next gave), "
                        f"not {type(start).__name__}")
    return start._css


# -- the kfuncs and helpers, as the program calls them ------------------------------------

def bpf_cgroup_from_id(cgid: int) -> CgroupView | None:
    """``bpf_cgroup_from_id(cgid)``: the cgroup with a reference (release it with
    :func:`bpf_cgroup_release`), or None for an unknown or removed id."""
    r = _run()
    r.env.check_kfunc_call("bpf_cgroup_from_id")
    css = _helpers.bpf_cgroup_from_id(r.h.cgroup_root, cgid)
    r.add("from_id", _helpers.bpf_cgroup_from_id, cgroup=cgid, ret=0 if css else None)
    if css is None:
        return None
    view = CgroupView(css)          # a pointer of its own: the verifier tracks this one
    r.env.acquire(view, "bpf_cgroup_from_id")
    return view


def bpf_cgroup_release(cgrp: CgroupView) -> None:
    """``bpf_cgroup_release(cgrp)``: drop the reference :func:`bpf_cgroup_from_id` took."""
    r = _run()
    r.env.check_kfunc_call("bpf_cgroup_release", (cgrp,))
    _helpers.bpf_cgroup_release(cgrp._css)
    r.add("release", _helpers.bpf_cgroup_release, cgroup=cgrp.id)


def bpf_rcu_read_lock() -> None:
    """``bpf_rcu_read_lock()``: enter an RCU read section (a sleepable program must)."""
    r = _run()
    r.env.check_kfunc_call("bpf_rcu_read_lock")
    _helpers.bpf_rcu_read_lock()
    r.add("rcu_lock", _helpers.bpf_rcu_read_lock)


def bpf_rcu_read_unlock() -> None:
    """``bpf_rcu_read_unlock()``: leave it."""
    r = _run()
    r.env.check_kfunc_call("bpf_rcu_read_unlock")
    _helpers.bpf_rcu_read_unlock()
    r.add("rcu_unlock", _helpers.bpf_rcu_read_unlock)


def bpf_iter_css_new(it: BpfIterCss, start: CssView, flags: int) -> int:
    """``bpf_iter_css_new(&it, start, flags)``: 0, or ``-EINVAL`` for flags other than
    the three walk orders (the loop then runs zero times)."""
    r = _run()
    r.env.check_kfunc_call("bpf_iter_css_new", (start,), it)
    ret = _ci.bpf_iter_css_new(it, _css(start), flags)
    r.add("new", _ci.bpf_iter_css_new, cgroup=start.cgroup.id, ret=ret, note=f"flags {flags}")
    return ret


def bpf_iter_css_next(it: BpfIterCss) -> CssView | None:
    """``bpf_iter_css_next(&it)``: the next css (dead ones too), or None."""
    r = _run()
    r.env.check_kfunc_call("bpf_iter_css_next", (), it)
    css = _ci.bpf_iter_css_next(it)
    r.add("next", _ci.bpf_iter_css_next, cgroup=None if css is None else css.cgroup_id,
          dead=css is not None and not css.flags & CSS_ONLINE)
    r.current[id(it)] = None if css is None else css.cgroup_id
    return None if css is None else CssView(css, True)


def bpf_iter_css_destroy(it: BpfIterCss) -> None:
    """``bpf_iter_css_destroy(&it)``: required before the program exits."""
    r = _run()
    r.env.check_kfunc_call("bpf_iter_css_destroy", (), it)
    _ci.bpf_iter_css_destroy(it)
    r.current.pop(id(it), None)
    r.add("destroy", _ci.bpf_iter_css_destroy)


def bpf_iter_css_task_new(it: BpfIterCssTask, css: CssView, flags: int) -> int:
    """``bpf_iter_css_task_new(&it, css, flags)``: flags 0 (every thread),
    ``CSS_TASK_ITER_PROCS`` or ``CSS_TASK_ITER_PROCS | CSS_TASK_ITER_THREADED``; else
    ``-EINVAL``.  Only in LSM, iterator and sleepable programs."""
    r = _run()
    r.env.check_kfunc_call("bpf_iter_css_task_new", (css,), it)
    ret = _ti.bpf_iter_css_task_new(it, _css(css), flags)
    r.add("task_new", _ti.bpf_iter_css_task_new, cgroup=css.cgroup.id, ret=ret,
          note=f"flags {flags}")
    return ret


def bpf_iter_css_task_next(it: BpfIterCssTask) -> TaskView | None:
    """``bpf_iter_css_task_next(&it)``: the next task, or None."""
    r = _run()
    r.env.check_kfunc_call("bpf_iter_css_task_next", (), it)
    t = _ti.bpf_iter_css_task_next(it)
    r.add("task_next", _ti.bpf_iter_css_task_next, pid=None if t is None else t.pid,
          tgid=None if t is None else t.tgid,
          cgroup=None if t is None else t.css.cgroup_id)
    return None if t is None else TaskView(t)


def bpf_iter_css_task_destroy(it: BpfIterCssTask) -> None:
    """``bpf_iter_css_task_destroy(&it)``."""
    r = _run()
    r.env.check_kfunc_call("bpf_iter_css_task_destroy", (), it)
    _ti.bpf_iter_css_task_destroy(it)
    r.add("task_destroy", _ti.bpf_iter_css_task_destroy)


def bpf_for_each(kind: str, start: CssView, flags: int) -> Iterator[Any]:
    """``bpf_for_each(css, pos, start, flags)`` (and ``css_task``) as a Python loop::

        for pos in bpf_for_each("css", cg.self, BPF_CGROUP_ITER_DESCENDANTS_PRE): ...
        for task in bpf_for_each("css_task", pos, CSS_TASK_ITER_PROCS): ...

    ``new`` once, ``next`` until NULL, and ``destroy`` when the loop ends -- also on
    ``break`` or ``return``, as the C macro's ``cleanup`` attribute does.
    """
    if kind == "css":
        it: Any = BpfIterCss()
        new, nxt, destroy = bpf_iter_css_new, bpf_iter_css_next, bpf_iter_css_destroy
    elif kind == "css_task":
        it = BpfIterCssTask()
        new, nxt, destroy = (bpf_iter_css_task_new, bpf_iter_css_task_next,
                             bpf_iter_css_task_destroy)
    else:
        raise ValueError(f"bpf_for_each({kind!r}, ...): the open-coded iterators here are "
                         "'css' and 'css_task'")
    new(it, start, flags)
    try:
        while (pos := nxt(it)) is not None:
            yield pos
    finally:
        destroy(it)


def bpf_ringbuf_output(rb: RingBuffer, data: bytes, flags: int = 0) -> int:
    """``bpf_ringbuf_output(&rb, data, size, flags)``: 0, or ``-EAGAIN`` when the ring
    buffer is full (the record is dropped), ``-EINVAL`` for bad flags."""
    r = _run()
    before = rb.rb.avail_data()
    ret = _rb.bpf_ringbuf_output(rb.rb, bytes(data), flags)
    cur = [c for c in r.current.values() if c is not None]
    r.add("output", _rb.bpf_ringbuf_output, cgroup=cur[-1] if cur else None, ret=ret,
          data=bytes(data), used_before=before, used_after=rb.rb.avail_data())
    return ret


# -- running a program ----------------------------------------------------------------------

#: how many programs :func:`prog_test_run` has run in this process (a grader checks that a
#: student's function really ran one)
runs = 0


@dataclass
class OpenRun:
    """What one run gave: ``retval`` (the program's return value), ``load_error`` (a
    :class:`VerifierError` when the program does not load: nothing ran), ``trace``."""

    retval: int | None = None
    load_error: VerifierError | None = None
    trace: OpenTrace | None = None

    @property
    def loaded(self) -> bool:
        """Did the verifier accept the program?"""
        return self.load_error is None


def prog_test_run(h: Any, prog: Callable[[Any], int], sec: str = "syscall", ctx: Any = None,
                  kernel: KernelConfig | None = None, trace: bool = True,
                  ringbufs: tuple[RingBuffer, ...] = ()) -> OpenRun:
    """Load ``prog`` as a ``SEC(sec)`` program and run it once, as
    ``bpf_prog_test_run_opts`` does (``ctx`` is what it gets).  If the verifier refuses
    it (checked as it runs), the result's ``load_error`` says why and the ring buffers
    in ``ringbufs`` are put back as they were.  ``kernel``: which kernel (6.1 has none
    of these kfuncs).

    >>> from cgiter_edu import Hierarchy
    >>> r = prog_test_run(Hierarchy(), lambda ctx: bpf_iter_css_new(BpfIterCss(), None, 2))
    >>> r.load_error.strerror
    'Possibly NULL pointer passed to trusted arg1'
    """
    global runs
    runs += 1
    kernel = kernel or DEFAULT
    info = BpfProgInfo.from_sec(sec)
    tr = OpenTrace() if trace else None
    if tr is not None:
        from .recorder import snapshot
        tr.cgroups.update(snapshot(h.root_css))
        tr.ring_size = ringbufs[0].size if ringbufs else 0
    saved = [rb.rb.state() for rb in ringbufs]
    run = _Run(h, info, kernel, tr, list(ringbufs))
    token = _current.set(run)
    try:
        ret = prog(ctx)
        if isinstance(ret, bool) or not isinstance(ret, int):
            raise TypeError(f"a BPF program returns an int, not {type(ret).__name__}")
        run.env.check_resource_leak()
    except VerifierError as e:
        for rb, st in zip(ringbufs, saved, strict=True):
            rb.rb.restore(st)
        run.add("refused", note=e.strerror or "")
        return OpenRun(None, e, tr)
    finally:
        _current.reset(token)
    run.add("exit", ret=ret)
    return OpenRun(ret, None, tr)


def iter_program(fn: Callable[[Any], int], sec: str = "iter/cgroup",
                 kernel: KernelConfig | None = None, trace: OpenTrace | None = None
                 ) -> Callable[[Any], int]:
    """``fn`` as a ``SEC("iter/cgroup")`` program (``"iter.s/cgroup"``: sleepable) whose
    open-coded calls are checked: attach the result with :func:`cgiter_edu.attach`; each
    call of the program (one per cgroup, and the epilogue) runs with the verifier's
    rules for that section, ``ctx.cgroup.self`` a trusted start.  A rule broken raises
    :class:`VerifierError` (the walk's read() then raises ``BpfProgramError`` with it as
    ``__cause__``: on the kernel the program would not have loaded).

    >>> from cgiter_edu import Hierarchy, Order, attach
    >>> h = Hierarchy(); _ = h.mkdir("/a"); seen = []
    >>> def below(ctx):
    ...     if ctx.cgroup is not None:
    ...         seen.extend(p.cgroup.id for p in bpf_for_each("css", ctx.cgroup.self,
    ...                                                       BPF_CGROUP_ITER_DESCENDANTS_PRE))
    ...     return 0
    >>> attach(h, iter_program(below), Order.SELF_ONLY).create().read(4096), seen
    (b'', [1, 2])
    """
    info = BpfProgInfo.from_sec(sec)
    kernel = kernel or DEFAULT

    def prog(ctx: Any) -> int:
        h = _Hierarchyish(ctx)
        run = _Run(h, info, kernel, trace, [])
        token = _current.set(run)
        try:
            ret = fn(ctx)
            run.env.check_resource_leak()
        finally:
            _current.reset(token)
        return ret

    prog.__name__ = getattr(fn, "__name__", "prog")
    return prog


class _Hierarchyish:
    """What a kfunc needs of the hierarchy inside an iterator program: its root."""

    def __init__(self, ctx: Any) -> None:
        cg = ctx.cgroup
        root = None if cg is None else cg._css.root
        self.cgroup_root = root


# -- the standard programs (twins of cgiter_edu/live/opencoded.bpf.c) ---------------------

@dataclass
class WalkResult:
    """One standard open-coded walk: ``new_ret`` (what ``bpf_iter_css_new`` returned),
    ``records`` (what user space read from the ring buffer: ``(id, online, level)``
    per cgroup, or ``(pid, tgid)`` per task), ``drops`` (``-EAGAIN`` answers),
    ``visited`` (how many times ``next`` gave an element), ``load_error``, ``trace``."""

    new_ret: int = 0
    records: list[tuple[int, ...]] = field(default_factory=list)
    drops: int = 0
    visited: int = 0
    retval: int | None = None
    load_error: VerifierError | None = None
    trace: OpenTrace | None = None


def css_walk(h: Any, flags: int, start_id: int | None = None, ring_size: int = 4096,
             sec: str = "syscall", stop_id: int | None = None,
             kernel: KernelConfig | None = None, trace: bool = True,
             rcu_lock: bool = True, destroy: bool = True, from_parent: bool = False
             ) -> WalkResult:
    """The standard program: from ``start_id`` (default: the root) walk with ``flags``,
    one 16-byte record ``(id, online, level)`` per cgroup into a ring buffer of
    ``ring_size`` bytes, counting drops; stop after ``stop_id`` when given.  The
    switches make the mistakes the verifier refuses: ``rcu_lock=False`` (no RCU
    section in a sleepable program), ``destroy=False``, ``from_parent=True`` (start at
    ``cg.self.parent``, an untrusted pointer).  ``sec="iter/cgroup"`` (or
    ``"iter.s/cgroup"``) runs the same loop inside a cgroup_iter program attached
    SELF_ONLY on the start (:func:`iter_program`), ``ctx.cgroup.self`` its start.

    >>> from cgiter_edu import shapes
    >>> r = css_walk(shapes.balanced(1, 3), BPF_CGROUP_ITER_DESCENDANTS_PRE)
    >>> r.new_ret, [rec[0] for rec in r.records], r.drops
    (0, [1, 2, 3, 4], 0)
    """
    rb = RingBuffer(ring_size)
    start_id = h.root.id if start_id is None else start_id
    out = WalkResult()

    def walk(ctx: Any) -> int:
        cg = bpf_cgroup_from_id(start_id)
        if cg is None:
            return 1
        _css_loop(cg, flags, rb, out, stop_id, rcu_lock, destroy, from_parent)
        bpf_cgroup_release(cg)
        return 0

    if sec.startswith("iter"):
        return _css_walk_iter(h, start_id, flags, rb, out, sec, stop_id, kernel, rcu_lock,
                              destroy, from_parent, trace)
    r = prog_test_run(h, walk, sec, kernel=kernel, trace=trace, ringbufs=(rb,))
    if r.load_error is not None:
        return WalkResult(load_error=r.load_error, trace=r.trace)
    out.retval, out.trace = r.retval, r.trace
    out.records = [CSS_REC.unpack(b) for b in rb.consume()]
    return out


def _visit(pos: Any, rb: RingBuffer, out: WalkResult, stop_id: int | None) -> bool:
    """One cgroup of css_walk's loop: its 16-byte record into the ring buffer (a full
    buffer counts a drop); True when the walk stops here (``visit()`` in opencoded.bpf.c)."""
    out.visited += 1
    rec = CSS_REC.pack(pos.cgroup.id, pos.flags & CSS_ONLINE, pos.cgroup.level)
    if bpf_ringbuf_output(rb, rec):
        out.drops += 1
    return stop_id is not None and pos.cgroup.id == stop_id


def _css_loop(cg: Any, flags: int, rb: RingBuffer, out: WalkResult, stop_id: int | None,
              rcu_lock: bool, destroy: bool, from_parent: bool) -> None:
    """The loop both css_walk programs run on ``cg`` (the syscall program's
    ``bpf_cgroup_from_id`` result, the iterator program's ``ctx.cgroup``), with the
    switches that make the verifier's mistakes (no RCU section, no destroy, the parent's
    untrusted css)."""
    if rcu_lock:
        bpf_rcu_read_lock()
    it = BpfIterCss()
    out.new_ret = bpf_iter_css_new(it, cg.self.parent if from_parent else cg.self, flags)
    while (pos := bpf_iter_css_next(it)) is not None:
        if _visit(pos, rb, out, stop_id):
            break
    if destroy:
        bpf_iter_css_destroy(it)
    if rcu_lock:
        bpf_rcu_read_unlock()


def _css_walk_iter(h: Any, start_id: int, flags: int, rb: RingBuffer, out: WalkResult,
                   sec: str, stop_id: int | None, kernel: KernelConfig | None,
                   rcu_lock: bool, destroy: bool, from_parent: bool, trace: bool
                   ) -> WalkResult:
    """css_walk's loop inside a cgroup_iter program attached SELF_ONLY on the start (the
    twin of css_walk_iter in opencoded.bpf.c): ``ctx.cgroup`` is the trusted start."""
    from .attach import attach
    from .kernel.prog_errors import BpfProgramError

    tr = OpenTrace(ring_size=rb.size) if trace else None

    def body(ctx: Any) -> int:
        cg = ctx.cgroup
        if cg is None:
            return 0
        _css_loop(cg, flags, rb, out, stop_id, rcu_lock, destroy, from_parent)
        return 0

    saved = rb.rb.state()
    try:
        with attach(h, iter_program(body, sec, kernel, tr), 1, cgroup_id=start_id,
                    kernel=kernel) as link:
            link.create().readall()
    except BpfProgramError as e:
        if isinstance(e.__cause__, VerifierError):
            rb.rb.restore(saved)
            return WalkResult(load_error=e.__cause__, trace=tr)
        raise
    except OSError as e:                        # attach: ENOENT for a removed start
        return WalkResult(new_ret=0, retval=-e.errno if e.errno else None, trace=tr)
    out.retval, out.trace = 0, tr
    out.records = [CSS_REC.unpack(b) for b in rb.consume()]
    return out


def print_walk(h: Any, flags: int, start_id: int | None = None, read_size: int = 131072,
               kernel: KernelConfig | None = None, extra_reads: int = 0) -> Any:
    """The open-coded loop inside a cgroup_iter program attached SELF_ONLY on the start,
    printing each id to the seq_file (``"%8llu\\n"``; the twin of ``css_print_iter`` in
    opencoded.bpf.c): the 8-page limit is back, and worse -- one show() writes every
    record, so a walk that does not fit gives no record at all (E2BIG).  Returns the
    :class:`~cgiter_edu.RunResult` of reading it like ``cat``.

    >>> from cgiter_edu import shapes
    >>> print_walk(shapes.balanced(1, 3), BPF_CGROUP_ITER_DESCENDANTS_POST).output
    b'       2\\n       3\\n       4\\n       1\\n'
    >>> print_walk(shapes.balanced(1, 4000), BPF_CGROUP_ITER_DESCENDANTS_PRE).results[0]
    'E2BIG'
    """
    from .kernel.cgroup_iter import Order
    from .run import run

    def body(ctx: Any) -> int:
        cg = ctx.cgroup
        if cg is None:
            return 0
        for pos in bpf_for_each("css", cg.self, flags):
            ctx.meta.seq.printf("%8llu\n", pos.cgroup.id)
        return 0

    start = h.root.id if start_id is None else start_id
    return run(h, iter_program(body, kernel=kernel), Order.SELF_ONLY, cgroup_id=start,
               read_size=read_size, kernel=kernel, trace=False, extra_reads=extra_reads)


def task_walk(h: Any, cgroup_id: int, flags: int, ring_size: int = 4096,
              sec: str = "syscall", kernel: KernelConfig | None = None,
              trace: bool = True) -> WalkResult:
    """The standard task program: the tasks of one cgroup with ``flags``, one 8-byte
    record ``(pid, tgid)`` each into a ring buffer.

    >>> from cgiter_edu import Hierarchy
    >>> h = Hierarchy(); _ = h.mkdir("/a"); _ = h.spawn("/a", "nginx", threads=1)
    >>> [task_walk(h, 2, f).records for f in (0, CSS_TASK_ITER_PROCS)]
    [[(1000, 1000), (1001, 1000)], [(1000, 1000)]]
    """
    rb = RingBuffer(ring_size)
    out = WalkResult()

    def walk(ctx: Any) -> int:
        cg = bpf_cgroup_from_id(cgroup_id)
        if cg is None:
            return 1
        it = BpfIterCssTask()
        out.new_ret = bpf_iter_css_task_new(it, cg.self, flags)
        while (t := bpf_iter_css_task_next(it)) is not None:
            out.visited += 1
            if bpf_ringbuf_output(rb, TASK_REC.pack(t.pid, t.tgid)):
                out.drops += 1
        bpf_iter_css_task_destroy(it)
        bpf_cgroup_release(cg)
        return 0

    r = prog_test_run(h, walk, sec, kernel=kernel, trace=trace, ringbufs=(rb,))
    if r.load_error is not None:
        return WalkResult(load_error=r.load_error, trace=r.trace)
    out.retval, out.trace = r.retval, r.trace
    out.records = [TASK_REC.unpack(b) for b in rb.consume()]
    return out



# -- the same tree walked both ways (what the side-by-side picture replays) -----------------

@dataclass
class BothWays:
    """One tree walked by cgroup_iter (``iter``: its :class:`~cgiter_edu.RunResult`, whose
    ``trace`` the picture replays) and by the open-coded loop into a ring buffer
    (``open``: a :class:`WalkResult` with its :class:`OpenTrace`)."""

    iter: Any
    open: WalkResult
    record_bytes: int
    ring_size: int


def both_ways(h: Any, record_bytes: int = 64, ring_size: int = 16384,
              kernel: KernelConfig | None = None) -> BothWays:
    """Walk ``h`` from the root in pre-order twice: cgroup_iter with records of
    ``record_bytes`` (``programs.Record``) read like ``cat``, and :func:`css_walk` (16-byte
    records into a ring buffer of ``ring_size`` bytes).

    >>> from cgiter_edu import shapes
    >>> b = both_ways(shapes.balanced(1, 600))
    >>> b.iter.trace.counts()["delivered"], len(b.open.records), b.open.drops
    (511, 601, 0)
    """
    from . import programs
    from .run import run

    res = run(h, programs.Record(rec_bytes=record_bytes), 2, trace=True, kernel=kernel)
    return BothWays(res, css_walk(h, BPF_CGROUP_ITER_DESCENDANTS_PRE, ring_size=ring_size,
                                  kernel=kernel), record_bytes, ring_size)
