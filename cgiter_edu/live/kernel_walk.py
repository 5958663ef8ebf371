"""The walk on the kernel: :func:`run` (``cgiter_edu.live.run``, like :func:`cgiter_edu.run`
on this machine's kernel), and how it is done: the emulated start translated to real
attach arguments, then the walk over the mirror (:func:`run_kernel`).

How a start is translated (``start`` as in :mod:`cgiter_edu.live.cases`):

* ``{"fd": path}``: an fd opened on the real twin of ``path``;
* ``{"id": n}``: the real twin's id; an id the mirror does not have becomes one no real
  cgroup has (so the kernel says ENOENT as the emulator does); a dead cgroup's id is
  its removed twin's (ENOENT on both sides);
* ``{"held": id}``: the fd opened on the dead twin before it was removed (ENOENT);
* ``{"rawfd": n}``: 0 stays 0 ("not given"), a negative number stays, any other number
  becomes an fd on /dev/null: open, but no cgroup directory (EBADF on both sides);
* neither fd nor id (the emulated root): for DESCENDANTS_PRE, DESCENDANTS_POST and
  CHILDREN the kernel walk is attached **by fd on the scratch cgroup**, the real twin
  of the emulated root -- a walk from the real root would walk the whole host.  For
  SELF_ONLY and ANCESTORS_UP the kernel walk really starts at the v2 root (neither fd
  nor id), which is then printed as the emulated root's id.  Orders the kernel rejects
  are attached with neither, as asked.

ANCESTORS_UP goes on above the scratch cgroup on the kernel, through host cgroups that
the emulated hierarchy does not have.  The programs therefore return 1 (stop) after the
scratch cgroup -- the kernel selftest's ``terminal_cgroup`` trick -- which ends the walk
exactly where the emulator's ends at its root: ``next()`` returns NULL, the epilogue
runs with the same ``seq_num``.
"""

from __future__ import annotations

import contextlib
import errno
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .. import Order
from ..hierarchy import CgroupFd, Hierarchy
from ..run import RunResult
from .availability import require
from .bpf_object import spec_params
from .cases import Case, machine_kernel, program_to_spec
from .errors import LiveError
from .mirror import Mirror

if TYPE_CHECKING:  # pragma: no cover
    from .. import KernelConfig

#: the id of the cgroup v2 root (its kernfs root inode)
V2_ROOT_ID = 1


@dataclass(repr=False)
class LiveResult(RunResult):
    """A :class:`~cgiter_edu.RunResult` from the kernel, plus how it was run.

    Parameters
    ----------
    read_size, attach_errno, attach_error, reads, trace, backend, hierarchy
        As in :class:`~cgiter_edu.RunResult`.
    notes : list of str
        How the start was mapped.
    release : str
        The kernel's ``uname -r``.
    scratch : str
        The scratch cgroup the walk ran under.

    Examples
    --------
    >>> LiveResult(read_size=4096, reads=[(9, b"prologue\\n")], release="6.18").output
    b'prologue\\n'
    """

    notes: list[str] = field(default_factory=list)
    release: str = ""
    scratch: str = ""


@dataclass
class RealAttach:
    """Real attach arguments for one walk."""

    fd: int = 0
    cgroup_id: int = 0
    close_fd: int | None = None
    boundary: int = 0
    alias: bool = False
    notes: list[str] = field(default_factory=list)


def resolve_start(m: Mirror, order: int, start: dict[str, Any]) -> RealAttach:
    """The real attach arguments standing for an emulated start (see the module doc)."""
    a = RealAttach()
    if "fd" in start:
        path = start["fd"]
        if path not in m.live:
            raise OSError(errno.ENOENT, f"{os.strerror(errno.ENOENT)}: no cgroup at {path!r}")
        a.fd = a.close_fd = m.open_live(path)
    elif "held" in start:
        a.fd = m.twins[start["held"]].dead_fd
    elif "rawfd" in start:
        n = int(start["rawfd"])
        a.fd = n if n <= 0 else m.devnull()
        if n > 0:
            a.notes.append(f"fd number {n} is no open cgroup fd: /dev/null's fd stands for it "
                           "on the kernel (EBADF on both sides)")
    if "id" in start:
        # a u64 in union bpf_iter_link_info, as the emulator takes it
        a.cgroup_id = m.real_id(int(start["id"]) & 0xFFFFFFFFFFFFFFFF)
    if not a.fd and not a.cgroup_id:
        if order in (Order.DESCENDANTS_PRE, Order.DESCENDANTS_POST, Order.CHILDREN):
            a.fd = a.close_fd = os.open(m.scratch, os.O_RDONLY | os.O_DIRECTORY)
            a.notes.append(f"start at the root: the kernel walk is attached by fd on the "
                           f"scratch cgroup {m.scratch} (id {m.scratch_id}), the real twin "
                           "of the emulated root; a walk from the real root would walk the "
                           "whole host")
        elif order in (Order.SELF_ONLY, Order.ANCESTORS_UP):
            a.alias = True
            a.notes.append("start at the root: the kernel walk really starts at the v2 root "
                           "(neither fd nor id); its id 1 is printed as the emulated "
                           "root's id")
    if order == Order.ANCESTORS_UP and not a.alias:
        a.boundary = m.scratch_id
        a.notes.append(f"ANCESTORS_UP: the program also returns 1 after the scratch cgroup "
                       f"(id {m.scratch_id}), so the kernel walk ends where the emulator's "
                       "ends at its root instead of going on through the host's cgroups")
    return a


def start_spec(h: Hierarchy, start: str | CgroupFd | int | None,
               cgroup_id: int | None) -> dict[str, Any]:
    """The start spec for :func:`cgiter_edu.run`-style arguments."""
    spec: dict[str, Any] = {}
    if isinstance(start, str):
        if start not in h:
            raise OSError(errno.ENOENT, f"{os.strerror(errno.ENOENT)}: no cgroup at {start!r}")
        spec["fd"] = start
    elif isinstance(start, int) and not isinstance(start, bool):
        if start:
            try:
                held = h.fd(start)                       # an open CgroupFd of h by number
            except KeyError:
                held = None
            if held is not None:
                start = held
            else:
                spec["rawfd"] = start
    if isinstance(start, CgroupFd):
        if start.closed or start.hierarchy is not h:
            spec["rawfd"] = -1
        elif start.cgroup.dead:
            spec["held"] = start.cgroup.id
        else:
            spec["fd"] = start.cgroup.path
    if cgroup_id:
        spec["id"] = cgroup_id
    return spec


def run_kernel(m: Mirror, case: Case, made_ids: list[int] | None = None,
               timer: list[float] | None = None, max_reads: int = 1_000_000) -> LiveResult:
    """Run ``case`` on the kernel over the mirror ``m`` (which it changes as the case
    says).  ``made_ids``: the emulated ids of ``case.remake`` (from the emulator run)."""
    prog, params = spec_params(case.program)
    a = resolve_start(m, case.order, case.start)
    params.translate = 1
    if a.alias:
        params.alias_real, params.alias_emu = V2_ROOT_ID, m.root_emu
    params.boundary_id = a.boundary
    if case.remake and (made_ids is None or len(made_ids) != len(case.remake)):
        raise ValueError("made_ids: one emulated id per re-created path is needed")

    def after() -> None:
        for p in case.dead:
            m.kill(p)
        for p, cid in zip(case.remake, made_ids or [], strict=False):
            m.mkdir(p, cid)

    try:
        res = m.backend.walk(prog, params, case.order, a.fd, a.cgroup_id,
                             read_size=case.read_sizes or case.read_size,
                             extra_reads=case.extra_reads,
                             max_reads=max_reads,
                             after_create=after if (case.dead or case.remake) else None,
                             timer=timer)
    finally:
        if a.close_fd is not None:
            with contextlib.suppress(OSError):
                os.close(a.close_fd)
    out = LiveResult(read_size=res.read_size, attach_errno=res.attach_errno,
                     attach_error=res.attach_error, reads=res.reads, backend="kernel",
                     notes=a.notes, release=os.uname().release, scratch=m.scratch)
    return out


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
        When the machine cannot (see :func:`~cgiter_edu.live.available`), for a program
        with no C twin, another kernel's config, ``trace=True``, or a hierarchy the host
        does not allow.

    Examples
    --------
    >>> from cgiter_edu import Hierarchy, Order, programs
    >>> r = run(Hierarchy(), programs.id_printer, Order.SELF_ONLY)   # doctest: +SKIP
    >>> r.output                                                       # doctest: +SKIP
    b'prologue\\n       1\\nepilogue\\n'
    """
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
