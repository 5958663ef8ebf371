"""Ready-made walks that show one thing each, for slides and the notebook.

They only arrange a situation (a hierarchy, a program, read sizes, a writer
thread) and let the emulator run it with tracing on; every picture then
replays the trace.

Example::

    >>> from cgiter_edu.scenarios import writer_waits
    >>> t = writer_waits()
    >>> [e.kind.value for e in t if e.kind.value in ("wait", "acquired")]
    ['wait', 'acquired']
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from typing import Any

from cgiter_edu import Order
from cgiter_edu.events import EventKind
from cgiter_edu.trace import Trace

__all__ = ["writer_waits", "truncated_walk", "order_traces"]


def writer_waits(h: Any = None, order: int = 2, at: str | None = None,
                 mkdir: str | None = None, read_size: int = 2048,
                 rec_bytes: int = 64, kernel: Any = None, prog: Any = None,
                 start: str | None = None, first: str = "writer") -> Trace:
    """A walk during which another thread runs ``mkdir``: it waits for
    ``cgroup_mutex`` until the read() that holds it ends.

    The walk's unlock releases the mutex and wakes the writer.  ``first`` says who
    takes it next: ``"writer"`` (the woken writer, what a machine with a free CPU
    shows) or ``"reader"`` (the reader's next read() gets there first; the writer then
    sets ``MUTEX_FLAG_HANDOFF`` and is handed the mutex at that read()'s unlock).

    The program starts the writer thread when it reaches ``at`` (default: the
    third cgroup it sees) and goes on only once the writer is waiting; the
    reader lets the writer finish before its next read(), so the trace is the same
    every time.  ``mkdir`` defaults to a new cgroup under the root; ``prog``
    (default ``Record(rec_bytes)``) is the BPF program, ``start`` the start path.
    If the writer's mkdir fails (a relative path, no parent), its ``OSError`` is
    raised here once the walk is over.  The walk is one :func:`cgiter_edu.run`.

    Parameters
    ----------
    h : Hierarchy, optional
        The tree (default: :func:`~cgiter_edu.shapes.systemd_host`).
    order : int, default 2
        The walk order.
    at : str, optional
        The path where the writer starts (default: the third cgroup seen).
    mkdir : str, optional
        What the writer creates (default: a new cgroup under the root).
    read_size, rec_bytes : int
        The read() size (2048) and the record size (64).
    kernel : KernelConfig, optional
        The kernel (default: the default preset).
    prog : callable, optional
        The BPF program (default ``Record(rec_bytes)``).
    start : str, optional
        The start path.
    first : {"writer", "reader"}, default "writer"
        Who takes the mutex after the walk's unlock.

    Returns
    -------
    Trace
        The walk, with the writer's WAIT, WAKE and ACQUIRED events.

    Raises
    ------
    OSError
        The writer's mkdir failed.

    Examples
    --------
    >>> t = writer_waits()
    >>> [e.note for e in t.of_kind(EventKind.WAIT)]
    ['mkdir /new-cgroup']
    """
    from cgiter_edu import KernelConfig, Order, programs, run, shapes
    from cgiter_edu.kernel.config import DEFAULT_NAME

    h = shapes.systemd_host() if h is None else h
    kernel = kernel if kernel is not None else KernelConfig.preset(DEFAULT_NAME)
    rec = prog if prog is not None else programs.Record(rec_bytes=rec_bytes)
    if mkdir is None:
        mkdir = "/new-cgroup"
        i = 0
        while mkdir in h:
            i += 1
            mkdir = f"/new-cgroup-{i}"
    state: dict[str, Any] = {"seen": 0, "thread": None, "error": None}

    def writer() -> None:
        try:
            h.mkdir(mkdir)
        except OSError as e:                      # reported by the reader, not the thread
            state["error"] = e

    def walker(ctx: Any) -> int:
        cg = ctx.cgroup
        if cg is not None and state["thread"] is None:
            state["seen"] += 1
            if (at is not None and cg.path == at) or (at is None and state["seen"] == 3):
                th = threading.Thread(target=writer, name="writer", daemon=True)
                state["thread"] = th
                th.start()
                tr = ctx.meta.seq.tracer.trace
                deadline = time.monotonic() + 5.0
                while not any(e.kind is EventKind.WAIT for e in tr.events):
                    if not th.is_alive() or time.monotonic() > deadline:   # failed, stuck
                        break
                    time.sleep(0.001)
        return rec(ctx)

    def let_the_writer_finish() -> None:
        th = state["thread"]
        if th is not None:
            th.join(5.0)

    if first not in ("writer", "reader"):
        raise ValueError(f"first must be 'writer' or 'reader', not {first!r}")
    mutex = h.cgroup_mutex
    before = mutex.locker_first
    mutex.locker_first = "cgroup_iter_seq_start" if first == "reader" else None
    try:
        res = run(h, walker, Order(order), start, read_size=read_size, kernel=kernel,
                  trace=True, extra_reads=0,
                  between_reads=let_the_writer_finish if first == "writer" else None)
    finally:
        mutex.locker_first = before
    let_the_writer_finish()
    if state["error"] is not None:
        raise state["error"]
    if res.trace is None:
        raise OSError(res.attach_errno, f"attach: {res.attach_error}")
    return res.trace


def truncated_walk(h: Any = None, rec_bytes: int = 3000, read_size: int = 1 << 20,
                   order: int = 2, kernel: Any = None) -> Trace:
    """A walk cut by the page limit: records until the 8 pages are full, one rolled
    back, then EOPNOTSUPP on the next read().

    Parameters
    ----------
    h : Hierarchy, optional
        The tree (default: :func:`~cgiter_edu.shapes.systemd_host`).
    rec_bytes : int, default 3000
        The record size.
    read_size : int, default 1 << 20
        The read() size.
    order : int, default 2
        The walk order.
    kernel : KernelConfig, optional
        The kernel (default: the default preset).

    Returns
    -------
    Trace
        The walk.

    Examples
    --------
    >>> truncated_walk().end_reason.value
    'buffer_full'
    """
    from cgiter_edu import KernelConfig, programs, run, shapes
    from cgiter_edu.kernel.config import DEFAULT_NAME

    h = shapes.systemd_host() if h is None else h
    kernel = kernel if kernel is not None else KernelConfig.preset(DEFAULT_NAME)
    res = run(h, programs.Record(rec_bytes=rec_bytes), order, read_size=read_size,
              kernel=kernel, trace=True)
    assert res.trace is not None
    return res.trace


def order_traces(h: Any, start: str = "/", up_start: str | None = None, *,
                 orders: Iterable[int] = (Order.SELF_ONLY, Order.DESCENDANTS_PRE,
                                          Order.DESCENDANTS_POST, Order.ANCESTORS_UP,
                                          Order.CHILDREN), kernel: Any = None,
                 rec_bytes: int = 64) -> dict[int, Trace]:
    """Run each order through :func:`cgiter_edu.run` and keep the traces.

    The traces are keyed by order value; an order the kernel refuses, such as CHILDREN
    before 7.0, is left out: with the default kernel, 6.18, four orders.

    Parameters
    ----------
    h : Hierarchy
        The tree.
    start : str, default "/"
        Where the walks start.
    up_start : str, optional
        Where ANCESTORS_UP starts (default: the deepest cgroup under ``start``, so the
        climb is long).
    orders : iterable of int
        The orders (default: all five; CHILDREN needs kernel 7.0, which the caller
        passes: ``KernelConfig.preset("7.0")``).
    kernel : KernelConfig, optional
        The kernel (default: the package's,
        :data:`~cgiter_edu.kernel.config.DEFAULT`, Linux 6.18, as :func:`cgiter_edu.run`
        and the CLI).
    rec_bytes : int, default 64
        The record size.

    Returns
    -------
    dict of int to Trace
        One trace per order value.

    Examples
    --------
    >>> from cgiter_edu import shapes
    >>> sorted(order_traces(shapes.balanced(1, 2)))
    [1, 2, 3, 4]
    >>> from cgiter_edu import KernelConfig
    >>> sorted(order_traces(shapes.balanced(1, 2), kernel=KernelConfig.preset("7.0")))
    [1, 2, 3, 4, 5]
    """
    from cgiter_edu import programs, run
    from cgiter_edu.kernel.config import DEFAULT

    kernel = kernel if kernel is not None else DEFAULT
    if up_start is None:
        sid = h.id_of(start)
        depth = {sid: 0}
        for c in h.cgroups():                 # parents before children
            if c.parent is not None and c.parent.id in depth:
                depth[c.id] = depth[c.parent.id] + 1
        deepest = max(depth, key=lambda v: depth[v])
        up_start = h.path_of(deepest)
    out: dict[int, Trace] = {}
    for o in orders:
        st = up_start if o == Order.ANCESTORS_UP else start
        res = run(h, programs.Record(rec_bytes=rec_bytes), int(o), start=st, read_size=1 << 20,
                  kernel=kernel, trace=True)
        if res.attach_errno or res.trace is None:
            continue
        out[int(o)] = res.trace
    return out
