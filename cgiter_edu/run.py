"""One walk from attach to the last read(): the emulator side of every comparison.

:func:`run` does what a user does with a pinned iterator and ``cat``: attach, create
an iterator file, read() with one size until the first read() that returns 0 or fails,
as ``cat`` stops there.  ``extra_reads=N`` asks for N more reads, to show what comes after
(0 again, or EOPNOTSUPP again).  The real-kernel
backend (:func:`cgiter_edu.live.run`) takes the same arguments and returns the same
:class:`RunResult`.

Example::

    >>> from cgiter_edu import Hierarchy, Order, run, programs
    >>> h = Hierarchy(); _ = h.mkdir("/a")
    >>> r = run(h, programs.id_printer, Order.DESCENDANTS_PRE, read_size=4096)
    >>> r.output, [n for n, _ in r.reads]
    (b'prologue\\n       1\\n       2\\nepilogue\\n', [36, 0])
"""

from __future__ import annotations

import errno as _errno
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .attach import attach, ns_path
from .kernel.cgroup_iter import Order
from .kernel.config import DEFAULT, KernelConfig
from .kernel.prog_errors import BpfProgramError
from .names import errno_symbol
from .trace import Trace

if TYPE_CHECKING:  # pragma: no cover
    from .hierarchy import CgroupFd, Hierarchy


#: :func:`run` records a trace by default for a hierarchy of at most this many cgroups
TRACE_LIMIT = 100_000


@dataclass(repr=False)
class RunResult:
    """What one walk gave (what :func:`run` returns); printed, it sums up.

    Parameters
    ----------
    read_size : int
        The size of each read() call.
    attach_errno : int
        0, or the errno the attach failed with (then ``reads`` is empty).
    attach_error : str
        That error in words.
    reads : list of (int, bytes)
        One ``(n, data)`` per read() call: ``n`` bytes (``data`` has them), or
        ``n = -errno`` with ``data`` empty.
    trace : Trace, optional
        The emulator's trace (None when the attach failed, on the kernel, or when not
        recorded: see :func:`run`).
    backend : str
        ``"emulator"`` or ``"kernel"``.
    hierarchy : Hierarchy, optional
        The tree that was walked.

    Examples
    --------
    >>> from cgiter_edu import Order, programs, run, shapes
    >>> r = run(shapes.balanced(1, 2), programs.Record(rec_bytes=3000), Order.DESCENDANTS_PRE)
    >>> r.results, len(r.output)      # 3 records of 3000 B, then "E 3" and a newline
    ([9004, 0], 9004)
    """

    read_size: int
    attach_errno: int = 0
    attach_error: str = ""
    reads: list[tuple[int, bytes]] = field(default_factory=list)
    trace: Trace | None = None
    backend: str = "emulator"
    hierarchy: Any = field(default=None, repr=False, compare=False)

    def __repr__(self) -> str:
        r = self.results
        shown = ", ".join(map(repr, r if len(r) <= 8 else r[:4] + ["..."] + r[-2:]))
        what = (f"attach failed: {errno_symbol(self.attach_errno)}" if self.attach_errno
                else f"{len(r)} reads [{shown}], {len(self.output)} bytes")
        trace = "no trace" if self.trace is None else f"trace of {len(self.trace)} steps"
        return (f"<{type(self).__name__} {self.backend}, read_size={self.read_size}, "
                f"{what}, {trace}>")

    @property
    def output(self) -> bytes:
        """Every byte the reads returned, in order (what ``cat`` prints)."""
        return b"".join(d for _, d in self.reads)

    @property
    def results(self) -> list[int | str]:
        """Each read()'s result: a byte count, or an errno name (``"EOPNOTSUPP"``)."""
        return [n if n >= 0 else errno_symbol(-n) for n, _ in self.reads]

    @property
    def final_errno(self) -> int:
        """The errno the session ended with (0 for a clean end of file)."""
        if self.attach_errno:
            return self.attach_errno
        for n, _ in self.reads:
            if n < 0:
                return -n
        return 0

    def summary(self) -> str:
        """One line per fact, as the CLI prints on stderr."""
        if self.attach_errno:
            return (f"attach failed: {errno_symbol(self.attach_errno)} "
                    f"({self.attach_error})")
        parts = ", ".join(str(x) for x in self.results)
        return f"{len(self.reads)} read() calls of {self.read_size} bytes: {parts}; " \
               f"{len(self.output)} bytes"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: reads as ``[n, hex]`` or ``["err", errno]`` like the kernel traces."""
        return {"backend": self.backend, "read_size": self.read_size,
                "attach_errno": self.attach_errno,
                "reads": reads_json(self.reads)}


def reads_json(reads: Sequence[tuple[int, bytes]]) -> list[list[Any]]:
    """read() results as the recorded walks write them: ``[n, hex]`` for data (``n``
    bytes, 0 at the end of file) and ``["err", errno]`` for an error.

    >>> reads_json([(3, b"E 0"), (-95, b"")])
    [[3, '452030'], ['err', 95]]
    """
    return [[n, d.hex()] if n >= 0 else ["err", -n] for n, d in reads]


def run(h: Hierarchy, prog: Callable[[Any], int], order: Order | int = Order.DESCENDANTS_PRE,
        start: str | CgroupFd | int | None = None, *, cgroup_id: int | None = None,
        read_size: int | Sequence[int] = 131072, kernel: KernelConfig | None = None,
        trace: bool | None = None, extra_reads: int = 0, max_reads: int = 1_000_000,
        after_create: Callable[[], None] | None = None,
        between_reads: Callable[[], None] | None = None,
        cgroupns: str | None = None) -> RunResult:
    """Attach a program to the cgroup iterator, create one iterator file and read it.

    What a user does with ``bpftool iter pin`` and ``cat``: attach (``bpf_link_create``),
    create the iterator file (``bpf_iter_create``), then read() it until the first read()
    that gives 0 or an error, where ``cat`` stops; ``extra_reads`` more only when asked
    (what a second ``cat`` of the same file would get).

    Parameters
    ----------
    h : Hierarchy
        The cgroup hierarchy to walk.
    prog : callable
        The BPF program, ``prog(ctx) -> int`` (0: go on, 1: stop after this cgroup), as
        :mod:`cgiter_edu.programs` has them.
    order : Order or int
        The walk order; a value the kernel refuses gives EINVAL in ``attach_errno``.
    start : str, CgroupFd or int, optional
        The start cgroup: a path (an fd is opened on it for the attach and closed
        after), a :class:`~cgiter_edu.hierarchy.CgroupFd` or an int fd.
    cgroup_id : int, optional
        Start by id instead; neither ``start`` nor ``cgroup_id``: the root; both: EINVAL,
        as the kernel says.
    read_size : int or sequence of int
        The size of every read(), or of each read() in turn.
    kernel : KernelConfig, optional
        The modelled kernel (default :data:`cgiter_edu.kernel.config.DEFAULT`, Linux 6.18;
        CHILDREN needs ``KernelConfig.preset("7.0")``).
    trace : bool, optional
        Record every step in ``res.trace``; None records one when the hierarchy has at
        most :data:`TRACE_LIMIT` cgroups; False is faster.
    extra_reads : int
        How many reads to make after the first that gives 0 or an error (default 0,
        as ``cat``).
    max_reads : int
        A bound on the number of reads.
    after_create : callable, optional
        Runs between creating the iterator file and the first read (to remove or make
        cgroups then, as the recorded walks do).
    between_reads : callable, optional
        Runs before every read() but the first (to let another thread finish what it
        does while the walk has dropped ``cgroup_mutex``).
    cgroupns : str, optional
        The link is attached (and the walk read) by a process in a cgroup namespace
        whose ``/`` is that cgroup (a container's).  The kernel resolves the start at
        attach, in the attaching process's namespace: the root start is there, a
        ``start`` path is looked up from there (``"/app"`` is ``cgroupns + "/app"``),
        an id outside it is ENOENT.

    Returns
    -------
    RunResult
        ``reads`` (each read()'s return value and bytes), ``results`` (byte counts and
        errno names), ``output``, ``attach_errno`` and ``trace``.

    Raises
    ------
    BpfProgramError
        When the program raises or returns something other than 0 or 1; the run so far
        (its trace ends there) is ``err.result``.

    See Also
    --------
    attach : the attach alone, returning the link to make files from.
    cgiter_edu.live.run : the same walk on this machine's kernel.

    Examples
    --------
    >>> from cgiter_edu import Order, programs, run, shapes
    >>> r = run(shapes.balanced(2, 100), programs.Record(rec_bytes=64),
    ...         Order.DESCENDANTS_PRE)
    >>> r.results[:2]
    [32704, 'EOPNOTSUPP']
    """
    kernel = DEFAULT if kernel is None else kernel
    if trace is None:
        trace = len(h) <= TRACE_LIMIT
    sizes = [read_size] if isinstance(read_size, int) else list(read_size)
    res = RunResult(read_size=sizes[0], hierarchy=h)
    fd = None
    opened = None
    try:
        if isinstance(start, str):
            opened = fd = h.open(ns_path(cgroupns, start))
        else:
            fd = start
        try:
            link = attach(h, prog, order, cgroup_fd=fd, cgroup_id=cgroup_id, kernel=kernel,
                          cgroupns=cgroupns)
        except OSError as e:
            res.attach_errno = e.errno
            res.attach_error = e.strerror
            return res
    finally:
        if opened is not None:
            opened.close()
    with link, link.create(trace=trace) as f:
        res.trace = f.trace
        if after_create is not None:
            after_create()
        read = f.read
        if between_reads is not None:
            calls = [0]

            def read(n: int) -> bytes:
                if calls[0]:
                    between_reads()
                calls[0] += 1
                return f.read(n)
        try:
            res.reads = read_session(read, sizes, extra_reads, max_reads)
        except BpfProgramError as e:
            e.result = res        # the walk so far: its trace ends where the program raised
            raise
    return res


def read_session(read: Callable[[int], bytes], sizes: Sequence[int], extra_reads: int = 2,
                 max_reads: int = 1_000_000, timer: list[float] | None = None
                 ) -> list[tuple[int, bytes]]:
    """Read an iterator file as ``cat`` does: ``read(size)`` until the first call that
    gives 0 bytes (end of file; a read of size 0 is not one) or an error, then
    ``extra_reads`` more.  Sizes are taken from ``sizes`` in turn.  ``read`` raises
    ``OSError`` for an error (``IterFile.read``, or ``os.read`` on a real fd); each call's
    time is appended to ``timer`` when given.  Returns ``(n, data)`` per call, ``n`` =
    ``-errno`` for an error.

    >>> chunks = iter([b"ab", b""])
    >>> read_session(lambda n: next(chunks, b""), [4096], extra_reads=1)
    [(2, b'ab'), (0, b''), (0, b'')]
    """
    reads: list[tuple[int, bytes]] = []
    left = None
    while left != 0 and len(reads) < max_reads:
        size = sizes[len(reads) % len(sizes)]
        t = time.perf_counter()
        try:
            data = read(size)
            reads.append((len(data), data))
            stop = not data and size > 0
        except OSError as e:
            reads.append((-(e.errno or _errno.EIO), b""))
            stop = True
        if timer is not None:
            timer.append(time.perf_counter() - t)
        if left is not None:
            left -= 1
        elif stop:
            left = extra_reads
    return reads
