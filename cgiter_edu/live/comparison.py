"""The same walk on the emulator and on the kernel, side by side: :func:`compare`,
:func:`compare_case` (replay a :class:`~cgiter_edu.live.cases.Case`, the JSON a failing
test prints, from a fresh hierarchy and mirror), :func:`compare_on` (one case on a
hierarchy and its mirror that stay in step), and what they return, a
:class:`Comparison`: every read() of both runs, the first difference marked.

Example::

    >>> from cgiter_edu.run import RunResult
    >>> a = RunResult(read_size=4096, reads=[(3, b"E 0"), (0, b"")])
    >>> b = RunResult(read_size=4096, reads=[(3, b"E 0"), (0, b"")], backend="kernel")
    >>> print(Comparison(a, b, title="demo").format())       # doctest: +NORMALIZE_WHITESPACE
    demo
      read()  emulator                     kernel
      #1      3 b'E 0'                     same
      #2      0 (end of file)              same
    MATCH: attach and 2 read() calls, byte for byte and errno for errno (3 bytes)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..names import errno_symbol
from ..run import RunResult

if TYPE_CHECKING:  # pragma: no cover
    from .. import KernelConfig
    from ..hierarchy import CgroupFd, Hierarchy
    from .cases import Case


def _cell(n: int, data: bytes, width: int) -> str:
    if n < 0:
        return errno_symbol(-n)
    if n == 0:
        return "0 (end of file)"
    text = f"{n} {data[:width]!r}"
    if len(text) > width:
        text = text[:width - 3] + "..."
    return text


@dataclass
class Comparison:
    """The emulator's run and the kernel's run of one walk.

    ``match`` (also the truth value): same attach errno, same read() results, same
    bytes.  ``first_difference``: ``None`` or ``(index, text)``, index -1 for the
    attach.  ``format()`` (also ``str()``): the side-by-side table.

    Parameters
    ----------
    emulator, kernel : RunResult
        The two runs.
    title : str
        What was run, for the table.
    notes : list of str
        Facts about the run (how the start was mapped...).
    case : Case, optional
        The case, to replay it.

    Examples
    --------
    >>> from cgiter_edu import Hierarchy, Order, programs, run
    >>> r = run(Hierarchy(), programs.IdPrinter(), Order.SELF_ONLY)
    >>> c = Comparison(r, r, "the same run twice"); bool(c), c.first_difference
    (True, None)
    """

    emulator: RunResult
    kernel: RunResult
    title: str = ""
    notes: list[str] = field(default_factory=list)
    case: Any = None

    @property
    def match(self) -> bool:
        """Byte for byte and errno for errno."""
        return self.first_difference is None

    def __bool__(self) -> bool:
        return self.match

    @property
    def first_difference(self) -> tuple[int, str] | None:
        """Where the two runs first part, and how."""
        e, k = self.emulator, self.kernel
        if e.attach_errno != k.attach_errno:
            return -1, (f"attach: emulator {errno_symbol(e.attach_errno) if e.attach_errno else 'ok'}"
                        f", kernel {errno_symbol(k.attach_errno) if k.attach_errno else 'ok'}")
        for i in range(max(len(e.reads), len(k.reads))):
            if i >= len(e.reads) or i >= len(k.reads):
                who = "emulator" if i >= len(e.reads) else "kernel"
                return i, f"read #{i + 1}: the {who} made no such read() (fewer reads)"
            (en, ed), (kn, kd) = e.reads[i], k.reads[i]
            if (en, ed) == (kn, kd):
                continue
            if en != kn:
                what = (f"read #{i + 1}: emulator {_cell(en, b'', 0) if en <= 0 else en}, "
                        f"kernel {_cell(kn, b'', 0) if kn <= 0 else kn}")
            else:
                what = f"read #{i + 1}: same count {en}, different bytes"
            if ed != kd:
                off = next((j for j in range(min(len(ed), len(kd))) if ed[j] != kd[j]),
                           min(len(ed), len(kd)))
                what += (f"; first differing byte at offset {off} of this read: emulator "
                         f"{ed[max(0, off - 8):off + 24]!r}, kernel {kd[max(0, off - 8):off + 24]!r}")
            return i, what
        return None

    def format(self, width: int = 40, rows: int = 12) -> str:
        """The table: one line per read() (long runs elided around the difference)."""
        e, k = self.emulator, self.kernel
        out = []
        if self.title:
            out.append(self.title)
        out.extend(f"note: {n}" for n in self.notes)
        diff = self.first_difference
        if e.attach_errno or k.attach_errno:
            out.append(f"  attach  emulator {errno_symbol(e.attach_errno) if e.attach_errno else 'ok'}"
                       f"    kernel {errno_symbol(k.attach_errno) if k.attach_errno else 'ok'}"
                       + ("   <-- first difference" if diff and diff[0] == -1 else ""))
        n = max(len(e.reads), len(k.reads))
        if n:
            out.append(f"  {'read()':<7} {'emulator':<{width}}  kernel")
        show = set(range(min(n, rows))) | set(range(max(0, n - 3), n))
        if diff is not None and diff[0] >= 0:
            show |= set(range(max(0, diff[0] - 2), min(n, diff[0] + 3)))
        skipped = 0
        for i in range(n):
            if i not in show:
                skipped += 1
                continue
            if skipped:
                out.append(f"  ...     ({skipped} more read() calls)")
                skipped = 0
            ec = _cell(*e.reads[i], width) if i < len(e.reads) else "(none)"
            if i < len(k.reads) and i < len(e.reads) and k.reads[i] == e.reads[i]:
                kc = "same"
            else:
                kc = _cell(*k.reads[i], width) if i < len(k.reads) else "(none)"
            mark = "   <-- first difference" if diff and diff[0] == i else ""
            out.append(f"  #{i + 1:<6} {ec:<{width}}  {kc}{mark}")
        if diff is None:
            what = "attach" if not n else f"attach and {n} read() calls"
            out.append(f"MATCH: {what}, byte for byte and errno for errno "
                       f"({len(e.output)} bytes)")
        else:
            out.append(f"DIFFERENT: {diff[1]}")
        return "\n".join(out)

    __str__ = format

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: both runs, the verdict, the case when there is one."""
        d = {"match": self.match, "title": self.title, "notes": self.notes,
             "emulator": self.emulator.to_dict(), "kernel": self.kernel.to_dict()}
        if self.first_difference is not None:
            d["first_difference"] = list(self.first_difference)
        if self.case is not None:
            d["case"] = self.case.to_json() if hasattr(self.case, "to_json") else self.case
        return d


def compare(h: Hierarchy, prog: Any, order: Any = 2, start: str | CgroupFd | int | None = None,
            *, cgroup_id: int | None = None, read_size: int = 131072,
            kernel: KernelConfig | None = None, extra_reads: int = 2,
            parent: str | None = None) -> Comparison:
    """Run the same walk on the emulator and on this machine's kernel, side by side.

    Parameters
    ----------
    h, prog, order, start, cgroup_id, read_size, extra_reads, parent
        As :func:`cgiter_edu.live.run`.
    kernel : KernelConfig, optional
        The emulator's kernel; default the running kernel's
        (:func:`~cgiter_edu.live.cases.machine_kernel`).

    Returns
    -------
    Comparison
        Each read() of both sides; ``.match`` says whether they agree byte for byte and
        errno for errno, ``str()`` prints the table.

    Raises
    ------
    LiveError
        As :func:`cgiter_edu.live.run`.

    Examples
    --------
    >>> print(compare(h, programs.id_printer))                 # doctest: +SKIP
    """
    from ..names import order_name
    from ..run import run as emu_run
    from .cases import describe_start, machine_kernel
    from .kernel_walk import run, start_spec

    kcfg = kernel or machine_kernel()
    e = emu_run(h, prog, order, start, cgroup_id=cgroup_id, read_size=read_size, kernel=kcfg,
                extra_reads=extra_reads)
    k = run(h, prog, order, start, cgroup_id=cgroup_id, read_size=read_size,
            extra_reads=extra_reads, parent=parent)
    title = (f"cgroup_iter walk: order {order_name(int(order))}, start "
             f"{describe_start(start_spec(h, start, cgroup_id))}, {prog!r}, read() size "
             f"{read_size}\nkernel: Linux {k.release}; emulator: as Linux {kcfg.name}, "
             f"{kcfg.page_size}-byte pages; mirror: {len(h)} cgroups under {k.scratch} "
             "(removed)")
    return Comparison(e, k, title=title, notes=k.notes)


def compare_case(case: Case | str | dict, parent: str | None = None) -> Comparison:
    """Replay a case on both sides, from a fresh hierarchy and a fresh mirror.

    Parameters
    ----------
    case : Case, str or dict
        The case, or its JSON.
    parent : str, optional
        Where the mirror's scratch cgroup goes (default: the cgroup2 mount).

    Returns
    -------
    Comparison
        Both runs; truthy when they match byte for byte.

    Raises
    ------
    LiveError
        The live backend cannot run here (:func:`~cgiter_edu.live.available` says why).

    Examples
    --------
    >>> from cgiter_edu import Hierarchy
    >>> from cgiter_edu.live import Case
    >>> h = Hierarchy(); _ = h.mkdir("/a")
    >>> compare_case(Case.for_hierarchy(h, start={"fd": "/a"})).match   # doctest: +SKIP
    True
    """
    from .availability import require
    from .cases import Case, machine_kernel
    from .mirror import Mirror

    require()
    if not isinstance(case, Case):
        case = Case.from_json(case)
    h = case.build()
    with Mirror(h, parent=parent) as m:
        return compare_on(h, m, case, machine_kernel())


def compare_on(h: Hierarchy, m: Any, case: Case, kernel: KernelConfig | None = None,
               timer: list[float] | None = None) -> Comparison:
    """Run a case on an emulated hierarchy and on its mirror on the kernel.

    Both change as the case says and stay in step: run many cases on one mirror.

    Parameters
    ----------
    h : Hierarchy
        The emulated hierarchy.
    m : Mirror
        Its mirror on this machine's kernel.
    case : Case
        The walk.
    kernel : KernelConfig, optional
        The emulator's kernel (default: the running kernel's, ``machine_kernel()``).
    timer : list of float, optional
        Gets the seconds each side took appended.

    Returns
    -------
    Comparison
        Both runs.

    Examples
    --------
    >>> from cgiter_edu import Hierarchy
    >>> from cgiter_edu.live import Case, Mirror
    >>> h = Hierarchy(); _ = h.mkdir("/a")
    >>> with Mirror(h) as m:                                  # doctest: +SKIP
    ...     compare_on(h, m, Case.for_hierarchy(h)).match
    True
    """
    from .cases import machine_kernel, run_emulated
    from .kernel_walk import run_kernel

    kernel = kernel or machine_kernel()
    e = run_emulated(h, case, kernel)
    made = [h.id_of(p) for p in case.remake] if not e.attach_errno else []
    kcase = case if not e.attach_errno else _without_changes(case)
    k = run_kernel(m, kcase, made_ids=made, timer=timer)
    return Comparison(e, k, title=case.describe(), notes=k.notes, case=case)


def _without_changes(case: Case) -> Case:
    from dataclasses import replace

    return replace(case, dead=[], remake=[])
