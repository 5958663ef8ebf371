"""The walks of the live backend: one on the kernel, and both sides compared.

* :func:`run` -- like :func:`cgiter_edu.run`, on the running kernel (a
  :class:`~cgiter_edu.live.runner.LiveResult`, with notes on how the start was mapped)
* :func:`compare` -- the emulator and the kernel, side by side, first difference marked
* :func:`compare_case` -- replay a :class:`~cgiter_edu.live.cases.Case` (the JSON a
  failing test prints) from a fresh hierarchy and mirror
* :func:`compare_on` -- one case on a hierarchy and its mirror that stay in step

Example (root, cgroup v2, clang, libbpf)::

    >>> from cgiter_edu import Hierarchy, Order, programs
    >>> h = Hierarchy(); _ = h.mkdir("/a")
    >>> print(compare(h, programs.id_printer, Order.SELF_ONLY, "/a"))   # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .availability import require
from .errors import LiveError

if TYPE_CHECKING:  # pragma: no cover
    from ..hierarchy import CgroupFd, Hierarchy
    from ..kernel.config import KernelConfig
    from .cases import Case
    from .comparison import Comparison
    from .runner import LiveResult


def run(h: Hierarchy, prog: Any, order: Any = 2, start: str | CgroupFd | int | None = None,
        *, cgroup_id: int | None = None, read_size: int = 131072,
        kernel: KernelConfig | None = None, trace: bool = False, extra_reads: int = 2,
        max_reads: int = 1_000_000, parent: str | None = None) -> LiveResult:
    """Run the walk :func:`cgiter_edu.run` does, on this machine's kernel.

    ``h`` is mirrored as real cgroups under a scratch cgroup, which is removed again
    before this returns (on errors and Ctrl-C too); a real ``SEC("iter/cgroup")`` program
    that writes what ``prog`` writes is attached and its iterator file read.

    Parameters
    ----------
    h : Hierarchy
        The tree to mirror.
    prog : callable
        A program of :mod:`cgiter_edu.programs` that has a C twin (``IdPrinter``,
        ``Record``...).
    order : Order or int
        The walk order, as :func:`cgiter_edu.run` takes it.
    start : str, CgroupFd or int, optional
        The start cgroup (a path or an fd of ``h``); ``cgroup_id`` attaches by id.
    cgroup_id : int, optional
        Attach by the emulated id (translated to the real cgroup's).
    read_size : int
        The size of every read().
    kernel : KernelConfig, optional
        Must be the running kernel's (:func:`~cgiter_edu.live.cases.machine_kernel`):
        the kernel cannot behave as another.
    trace : bool
        Must be False: the kernel records no trace (ask :func:`cgiter_edu.run`).
    extra_reads, max_reads : int
        As :func:`cgiter_edu.run`.
    parent : str, optional
        Where the scratch cgroup goes (default the cgroup2 mount's root).

    Returns
    -------
    LiveResult
        The reads, their results and the output, as the kernel gave them.

    Raises
    ------
    LiveError
        When the machine cannot (see :func:`available`), for a program with no C twin,
        another kernel's config, ``trace=True``, or a hierarchy the host does not allow.

    Examples
    --------
    >>> from cgiter_edu import Hierarchy, Order, programs
    >>> r = run(Hierarchy(), programs.id_printer, Order.SELF_ONLY)   # doctest: +SKIP
    >>> r.output                                                       # doctest: +SKIP
    b'prologue\\n       1\\nepilogue\\n'
    """
    from .cases import Case, machine_kernel, program_to_spec
    from .mirror import Mirror
    from .runner import run_kernel, start_spec

    require()
    if trace:
        raise LiveError("the real kernel records no trace: trace=True is for the emulator "
                        "(cgiter_edu.run(..., trace=True))")
    mk = machine_kernel()
    if kernel is not None and (kernel.version, kernel.page_size) != (mk.version, mk.page_size):
        raise LiveError(f"live.run runs on this machine's kernel, Linux {mk.name} with "
                        f"{mk.page_size}-byte pages; kernel=Linux {kernel.name} "
                        f"({kernel.page_size}-byte pages) cannot be run here (boot it: "
                        "cgiter-edu live --kernel-image)")
    spec = start_spec(h, start, cgroup_id)
    try:
        pspec = program_to_spec(prog)
    except ValueError:
        raise LiveError(f"{prog!r} has no C twin in cgroup_iter.bpf.c: the live backend runs "
                        "programs.IdPrinter (--program ids) and programs.Record (--program "
                        "record or silent)") from None
    case = Case(hierarchy={}, order=int(order), start=spec, program=pspec, read_size=read_size,
                extra_reads=extra_reads)
    with Mirror(h, parent=parent) as m:
        res = run_kernel(m, case, max_reads=max_reads)
    res.hierarchy = h
    return res


def compare(h: Hierarchy, prog: Any, order: Any = 2, start: str | CgroupFd | int | None = None,
            *, cgroup_id: int | None = None, read_size: int = 131072,
            kernel: KernelConfig | None = None, extra_reads: int = 2,
            parent: str | None = None) -> Comparison:
    """Run the same walk on the emulator and on this machine's kernel, side by side.

    Parameters
    ----------
    h, prog, order, start, cgroup_id, read_size, extra_reads, parent
        As :func:`run`.
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
        As :func:`run`.

    Examples
    --------
    >>> print(compare(h, programs.id_printer))                 # doctest: +SKIP
    """
    from ..names import order_name
    from ..run import run as emu_run
    from .cases import describe_start, machine_kernel
    from .comparison import Comparison
    from .runner import start_spec

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
        The live backend cannot run here (:func:`available` says why).

    Examples
    --------
    >>> from cgiter_edu import Hierarchy
    >>> from cgiter_edu.live import Case
    >>> h = Hierarchy(); _ = h.mkdir("/a")
    >>> compare_case(Case.for_hierarchy(h, start={"fd": "/a"})).match   # doctest: +SKIP
    True
    """
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
    from .comparison import Comparison
    from .runner import run_kernel

    kernel = kernel or machine_kernel()
    e = run_emulated(h, case, kernel)
    made = [h.id_of(p) for p in case.remake] if not e.attach_errno else []
    kcase = case if not e.attach_errno else _without_changes(case)
    k = run_kernel(m, kcase, made_ids=made, timer=timer)
    return Comparison(e, k, title=case.describe(), notes=k.notes, case=case)


def _without_changes(case: Case) -> Case:
    from dataclasses import replace

    return replace(case, dead=[], remake=[])
