"""The real-kernel backend: the same walk on this machine's kernel.

An emulated :class:`~cgiter_edu.Hierarchy` is mirrored as real cgroups under a scratch
cgroup of the cgroup v2 mount (:mod:`~cgiter_edu.live.mirror`); a real
``SEC("iter/cgroup")`` BPF program (``cgroup_iter.bpf.c``, compiled with clang on first
use, loaded through libbpf with ctypes) that writes exactly what
:class:`~cgiter_edu.programs.IdPrinter` or :class:`~cgiter_edu.programs.Record` write
is attached with the same order and start, and the iterator file is read with
``os.read`` at the same size.  The programs print emulated ids (a BPF map translates),
so the two runs compare byte for byte.

* :func:`available` -- can this machine do it?  (truthy, or ``.reason`` and ``.fix``)
* :func:`run` -- like :func:`cgiter_edu.run`, on the kernel; the same
  :class:`~cgiter_edu.RunResult` (a :class:`LiveResult`, with notes)
* :func:`compare` -- both, side by side, the first difference marked
* :func:`compare_case` -- replay a :class:`Case` (the JSON a failing test prints)

A walk from the root (neither fd nor id) in pre- or post-order is attached on the
kernel by fd on the scratch cgroup, which stands for the emulated root (a walk from the
real root would walk the whole host); ANCESTORS_UP is stopped after the scratch cgroup.
The comparison says so in its notes.  See :mod:`cgiter_edu.live.runner`.

Example (root, cgroup v2, clang, libbpf)::

    >>> from cgiter_edu import Hierarchy, Order, programs, live
    >>> h = Hierarchy(); _ = h.mkdir("/a"); _ = h.mkdir("/a/b")
    >>> if live.available():                                  # doctest: +SKIP
    ...     print(live.compare(h, programs.id_printer, Order.DESCENDANTS_POST, "/a"))
"""

from __future__ import annotations

import os
import platform
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ._common import LiveError

if TYPE_CHECKING:  # pragma: no cover
    from ..hierarchy import CgroupFd, Hierarchy
    from ..kernel.config import KernelConfig
    from .cases import Case
    from .comparison import Comparison
    from .runner import LiveResult

__all__ = ["Availability", "Case", "Comparison", "LiveError", "LiveResult", "available",
           "compare", "compare_case", "run"]


@dataclass(frozen=True)
class Availability:
    """Whether the live backend can run here: truthy when ``ok``; otherwise ``reason``
    (one line) and ``fix`` (what to do)."""

    ok: bool
    reason: str = ""
    fix: str = ""

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        return "available" if self.ok else f"{self.reason} (fix: {self.fix})"


_cached: Availability | None = None

_APT = "apt-get install -y clang llvm libbpf-dev"


def available(refresh: bool = False) -> Availability:
    """Check, in order: Linux, root, a cgroup2 mount, clang, libbpf.so.1, and that the
    kernel loads a cgroup iterator program (compiling it on first use).  Never raises.

    >>> a = available()
    >>> isinstance(a.ok, bool) and (a.ok or bool(a.reason and a.fix))
    True
    """
    global _cached
    if _cached is not None and not refresh:
        return _cached
    try:
        _cached = _check()
    except Exception as e:          # never a traceback for "can this machine do it?"
        _cached = Availability(False, f"unexpected {type(e).__name__}: {e}",
                               "report it, with this message")
    return _cached


def _check() -> Availability:
    if not sys.platform.startswith("linux"):
        return Availability(False, f"not Linux ({platform.system() or sys.platform}): "
                                   "cgroup_iter is a Linux BPF iterator",
                            "run on Linux 6.1 or newer")
    if os.geteuid() != 0:
        return Availability(False, "not root: loading BPF programs and creating cgroups "
                                   "need it", "run as root (sudo)")
    from ..shapes import cgroup2_mount

    try:
        mnt = cgroup2_mount()
    except OSError:
        return Availability(False, "no cgroup2 mount in /proc/self/mountinfo",
                            "mkdir -p /sys/fs/cgroup/unified && "
                            "mount -t cgroup2 none /sys/fs/cgroup/unified")
    if not os.access(mnt, os.W_OK):
        return Availability(False, f"the cgroup2 mount {mnt} is not writable",
                            "remount it read-write, or run where cgroups can be created")
    from .build import BuildError, build_object, clang

    if clang() is None:
        return Availability(False, "clang is not on PATH (it compiles the BPF program)",
                            _APT)
    from . import libbpf

    try:
        libbpf.lib()
    except OSError as e:
        return Availability(False, f"libbpf: {e.strerror or e}", _APT)
    if not os.path.exists("/sys/kernel/btf/vmlinux"):
        return Availability(False, f"this kernel ({os.uname().release}) has no BTF "
                                   "(/sys/kernel/btf/vmlinux), which the CO-RE program needs",
                            "boot a kernel built with CONFIG_DEBUG_INFO_BTF=y (most "
                            "distribution kernels are)")
    if not _kernel_has_cgroup_iter():
        return Availability(False, f"this kernel ({os.uname().release}) has no cgroup_iter "
                                   "(struct bpf_iter__cgroup is not in its BTF)",
                            "boot Linux 6.1 or newer (CONFIG_BPF_SYSCALL, CONFIG_CGROUPS)")
    try:
        build_object()
    except BuildError as e:
        first = str(e).splitlines()[0]
        return Availability(False, f"cannot compile the BPF program: {first}",
                            _APT + " (clang with the BPF target, and bpf/bpf_helpers.h)")
    except OSError as e:
        return Availability(False, f"cannot compile the BPF program: {e}",
                            "make $XDG_CACHE_HOME (or ~/.cache) writable, or set "
                            "CGITER_CACHE_DIR")
    from .backend import Backend

    try:
        Backend.get()
    except (OSError, LiveError) as e:
        msg = str(e).splitlines()[0][:300]
        return Availability(False, f"the kernel refused the BPF program: {msg}",
                            "check dmesg and that BPF is allowed here (a container may "
                            "need --privileged, kernel.unprivileged_bpf_disabled does not "
                            "matter for root)")
    return Availability(True)


def _kernel_has_cgroup_iter() -> bool:
    try:
        with open("/sys/kernel/btf/vmlinux", "rb") as f:
            return b"\0bpf_iter__cgroup\0" in f.read()
    except OSError:
        return False


def _require() -> None:
    a = available()
    if not a:
        raise LiveError(f"the live backend cannot run here: {a.reason} (fix: {a.fix})")


def run(h: Hierarchy, prog: Any, order: Any = 2, start: str | CgroupFd | int | None = None,
        *, cgroup_id: int | None = None, read_size: int = 131072,
        kernel: KernelConfig | None = None, trace: bool = False, extra_reads: int = 2,
        max_reads: int = 1_000_000, parent: str | None = None) -> LiveResult:
    """The walk :func:`cgiter_edu.run` does, on the real kernel.

    ``h`` is mirrored under a scratch cgroup (of ``parent``, default the cgroup2 mount
    root), which is removed again before this returns.  ``kernel`` and ``trace`` are
    accepted for symmetry and ignored: the kernel is the one running, and it gives no
    trace.  Raises :class:`LiveError` when the machine cannot (see :func:`available`),
    for a program with no C twin, or a hierarchy the host does not allow.

    >>> from cgiter_edu import Hierarchy, Order, programs
    >>> r = run(Hierarchy(), programs.id_printer, Order.SELF_ONLY)   # doctest: +SKIP
    >>> r.output                                                       # doctest: +SKIP
    b'prologue\\n       1\\nepilogue\\n'
    """
    from .cases import Case, program_to_spec
    from .mirror import Mirror
    from .runner import run_kernel, start_spec

    del kernel, trace
    _require()
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
    """Run the walk on the emulator (:func:`cgiter_edu.run`, as the running kernel unless
    ``kernel`` says otherwise) and on the kernel (:func:`run`); the
    :class:`~cgiter_edu.live.comparison.Comparison` shows each read() side by side.

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
    """Replay a :class:`Case` (or its JSON) on both sides, from a fresh hierarchy and a
    fresh mirror."""
    from .cases import Case, machine_kernel
    from .mirror import Mirror

    _require()
    if not isinstance(case, Case):
        case = Case.from_json(case)
    h = case.build()
    with Mirror(h, parent=parent) as m:
        return compare_on(h, m, case, machine_kernel())


def compare_on(h: Hierarchy, m: Any, case: Case, kernel: KernelConfig | None = None,
               timer: list[float] | None = None) -> Comparison:
    """Run ``case`` on the emulated ``h`` and on its mirror ``m`` (both change as the
    case says, and stay in step: run many cases on one mirror)."""
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


def __getattr__(name: str) -> Any:
    """``Case``, ``Comparison``, ``LiveResult``, ``Mirror``, imported when first used."""
    if name == "Case":
        from .cases import Case
        return Case
    if name == "Comparison":
        from .comparison import Comparison
        return Comparison
    if name == "LiveResult":
        from .runner import LiveResult
        return LiveResult
    if name == "Mirror":
        from .mirror import Mirror
        return Mirror
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
