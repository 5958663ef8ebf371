"""Attaching a Python BPF program to the emulated cgroup iterator: what a user does
with ``bpf_link_create()`` (or libbpf's ``bpf_program__attach_iter``), with the
checks and error texts of the user-facing API, and the small helpers around it
(order names, cgroup namespaces, ``bpftool link show``).

The kernel side it calls is :func:`cgiter_edu.kernel.bpf_iter.bpf_iter_link_attach`
-> :func:`cgiter_edu.kernel.cgroup_iter.bpf_iter_attach_cgroup`.

Example::

    >>> from cgiter_edu import Hierarchy, KernelConfig, Order, attach, programs
    >>> h = Hierarchy(); _ = h.mkdir("/a")
    >>> with attach(h, programs.id_printer, Order.DESCENDANTS_PRE) as link:
    ...     link.create().read(4096)
    b'prologue\\n       1\\n       2\\nepilogue\\n'
    >>> linux_7 = KernelConfig.preset("7.0")           # CHILDREN: 7.0, from the source
    >>> with attach(h, programs.id_printer, Order.CHILDREN, kernel=linux_7) as link:
    ...     link.create().read(4096)
    b'prologue\\n       2\\nepilogue\\n'
"""

from __future__ import annotations

import errno
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .iterfile import IterLink
from .kernel.bpf_iter import BpfProg, bpf_iter_link_attach
from .kernel.cgroup import CgroupNamespace
from .kernel.cgroup_iter import (
    BpfIterAuxInfo,
    BpfIterLinkInfo,
    Order,
    bpf_cgroup_reg_info,
)
from .kernel.config import DEFAULT, KernelConfig
from .paths import norm

if TYPE_CHECKING:  # pragma: no cover
    from .hierarchy import CgroupFd, Hierarchy

__all__ = ["attach", "bpftool_link_show", "cgroup_namespace", "parse_order"]

_ALIASES = {"pre": "descendants_pre", "post": "descendants_post", "up": "ancestors_up",
            "ancestors": "ancestors_up", "self": "self_only"}


def parse_order(value: str | int) -> Order | int:
    """An order from a name (``"pre"``, ``"descendants_post"``, ``"ANCESTORS_UP"``,
    ``"children"``...) or a number; unknown numbers are returned as plain ints so the
    kernel can reject them with EINVAL.

    >>> parse_order("up"), parse_order(7)
    (<Order.ANCESTORS_UP: 4>, 7)
    """
    if isinstance(value, int):
        try:
            return Order(value)
        except ValueError:
            return value
    s = str(value).strip().lower()
    if s.lstrip("-").isdigit():                # "-1" too: a number the kernel refuses
        return parse_order(int(s))
    s = s.replace("-", "_")
    s = _ALIASES.get(s, s)
    try:
        return Order[s.upper()]
    except KeyError:
        names = ", ".join(m.name.lower() for m in Order)
        raise ValueError(f"unknown order {value!r}; use one of {names} "
                         "(or pre, post, up, self) or a number") from None


def _valid_order(order: int, kernel: KernelConfig) -> bool:
    return (order in (Order.SELF_ONLY, Order.DESCENDANTS_PRE, Order.DESCENDANTS_POST,
                      Order.ANCESTORS_UP)
            or (order == Order.CHILDREN and kernel.has_children_order))


def _oserror(code: int, detail: str) -> OSError:
    return OSError(code, f"{os.strerror(code)}: {detail}")


def _attach_error(code: int, h: Hierarchy, order: Any, fd: int, cid: int,
                  kernel: KernelConfig, cgns: Any = None) -> OSError:
    """The attach error, with the reason the kernel had for its errno."""
    if code == errno.EINVAL and not (fd and cid and _valid_order(order, kernel)):
        valid = "1-5" if kernel.has_children_order else "1-4 (CHILDREN=5 needs Linux 7.0)"
        name = (f"{Order(order).name} ({int(order)})" if order in Order._value2member_map_
                else str(int(order)))
        return _oserror(code, f"order {name} is not a cgroup_iter order on "
                              f"Linux {kernel.name}; valid orders: {valid}")
    if code == errno.EINVAL:
        return _oserror(code, f"both cgroup_fd ({fd}) and cgroup_id ({cid}) are given; at "
                              "most one of them may be non-zero")
    if code == errno.EBADF:
        return _oserror(code, f"cgroup_fd {fd} is not an open cgroup directory fd of this "
                              "hierarchy")
    if code == errno.ENOENT and fd:
        return _oserror(code, f"cgroup_fd {fd} refers to a cgroup that has been removed")
    if code == errno.ENOENT:
        dead = h.cgroup_root.by_id.get(cid)
        why = f"cgroup {dead.path} (id {cid}) has been removed" if dead else f"no cgroup has id {cid}"
        if dead is not None and not dead.view.dead and cgns is not None:
            why = (f"cgroup {dead.path} (id {cid}) is outside the cgroup namespace of the "
                   f"process that attaches (its / is {cgns.root_cgrp.path}): "
                   "cgroup_get_from_id() finds only cgroups within it")
        return _oserror(code, why)
    return _oserror(code, "bpf_iter_attach_cgroup")


def cgroup_namespace(h: Hierarchy, root: str | None) -> CgroupNamespace | None:
    """The cgroup namespace of a process that called ``unshare(CLONE_NEWCGROUP)`` while in
    the cgroup ``root`` (a path of ``h``; None: the host's namespace, returned as None).
    ``ValueError`` naming the path if there is no live cgroup there.

    >>> from cgiter_edu import Hierarchy
    >>> h = Hierarchy(); _ = h.mkdir("/pod")
    >>> cgroup_namespace(h, "/pod")
    <cgroup_namespace root=/pod>
    """
    if root is None:
        return None
    css = h.cgroup_root.by_path.get(norm(root))
    if css is None:
        raise ValueError(f"cgroup namespace root {root!r}: no such cgroup (a namespace's / "
                         "is a live cgroup: the one its first process was in)")
    return CgroupNamespace(css)


def ns_path(root: str | None, path: str) -> str:
    """The host path of ``path`` as a process in the cgroup namespace rooted at ``root``
    names it (``kernfs_walk_and_get`` from the namespace root).

    >>> ns_path("/kubepods/pod1", "/app"), ns_path("/kubepods/pod1", "/"), ns_path(None, "/a")
    ('/kubepods/pod1/app', '/kubepods/pod1', '/a')
    """
    if root is None or root.strip("/") == "":
        return path
    rel = path.strip("/")
    return "/" + root.strip("/") + ("/" + rel if rel else "")


def bpftool_link_show(link: IterLink, link_id: int = 1, prog_id: int = 1) -> str:
    """The line ``bpftool link show`` prints for ``link`` (tools/bpf/bpftool/link.c,
    ``show_link_header_plain`` + ``show_iter_plain``), from
    :meth:`~cgiter_edu.iterfile.IterLink.info` -- what
    ``bpf_iter_cgroup_fill_link_info`` fills.  Link and program ids are the kernel's
    counters, which the emulator has none of: give them.

    >>> from cgiter_edu import Hierarchy, Order, attach, programs
    >>> h = Hierarchy(); _ = h.mkdir("/a")
    >>> bpftool_link_show(attach(h, programs.id_printer, Order.DESCENDANTS_PRE, cgroup_id=2), 89, 231)
    '89: iter  prog 231  target_name cgroup  cgroup_id 2  order descendants_pre  '
    """
    info = link.info()
    order = _BPFTOOL_ORDERS.get(info.order, "unknown")
    return (f"{link_id}: iter  prog {prog_id}  target_name {info.target_name}  "
            f"cgroup_id {info.cgroup_id}  order {order}  ")


#: bpftool's cgroup_order_string() (tools/bpf/bpftool/link.c): no name for CHILDREN (5)
_BPFTOOL_ORDERS = {0: "order_unspec", 1: "self_only", 2: "descendants_pre",
                   3: "descendants_post", 4: "ancestors_up"}


def attach(h: Hierarchy, prog: Callable[[Any], int], order: Order | int, *,
           cgroup_fd: CgroupFd | int | None = None, cgroup_id: int | None = None,
           kernel: KernelConfig | None = None, cgroupns: str | None = None) -> IterLink:
    """Attach a BPF program to the cgroup iterator.

    ``bpf_link_create()`` with ``union bpf_iter_link_info`` -> ``bpf_iter_link_attach()``
    -> ``bpf_iter_attach_cgroup()``. Neither attaching nor closing the link takes
    ``cgroup_mutex``.

    Parameters
    ----------
    h : Hierarchy
        The cgroup hierarchy.
    prog : callable
        The program, ``prog(ctx) -> int`` (0 or 1).
    order : Order or int
        The walk order; the kernel's EINVAL for one it does not have.
    cgroup_fd : CgroupFd or int, optional
        Start at the cgroup this fd of ``h`` is open on.
    cgroup_id : int, optional
        Start at the cgroup with this id; neither: the root; both: EINVAL.
    kernel : KernelConfig, optional
        The modelled kernel (default :data:`cgiter_edu.kernel.config.DEFAULT`, Linux 6.18,
        the newest checked on a real kernel; CHILDREN needs ``KernelConfig.preset("7.0")``).
    cgroupns : str, optional
        The path of the root of the cgroup namespace of the process that attaches
        (``current`` in ``bpf_iter_attach_cgroup()``): the start with neither fd nor id
        is there, fixed at attach whoever reads later, and an id outside it is ENOENT.

    Returns
    -------
    IterLink
        The link; ``link.create()`` makes an iterator file to read (an
        :class:`~cgiter_edu.iterfile.IterFile`).

    Raises
    ------
    OSError
        With the kernel's errno: EINVAL (bad order, or both starts given), EBADF (not an
        open cgroup fd), ENOENT (unknown or removed cgroup, or outside the namespace).
    TypeError
        For a ``prog`` that is not callable, or an order or id that is not an int.

    Examples
    --------
    >>> from cgiter_edu import Hierarchy, Order, attach, programs
    >>> h = Hierarchy(); h.mkdir("/a")
    2
    >>> attach(h, programs.id_printer, Order.DESCENDANTS_PRE).create().read(64)
    b'prologue\\n       1\\n       2\\nepilogue\\n'
    """
    if not callable(prog):
        raise TypeError(f"prog must be a callable taking ctx, not {type(prog).__name__}")
    kernel = DEFAULT if kernel is None else kernel
    if isinstance(order, bool) or not isinstance(order, int):
        raise TypeError(f"order must be an Order or an int, not {type(order).__name__}")
    fd = _fd_number(h, cgroup_fd)
    if cgroup_id is None:
        cid = 0
    elif isinstance(cgroup_id, bool) or not isinstance(cgroup_id, int):
        raise TypeError(f"cgroup_id must be an int, not {type(cgroup_id).__name__}")
    else:
        cid = cgroup_id
    cgns = cgroup_namespace(h, cgroupns)
    linfo = BpfIterLinkInfo(int(order), fd, cid)
    aux = BpfIterAuxInfo(None, 0)
    bpf_prog = BpfProg(prog)                  # bpf_prog_load(): the loader's reference
    link = bpf_iter_link_attach(h, bpf_prog, linfo, bpf_cgroup_reg_info, aux, kernel, cgns)
    if link.__class__ is int:
        raise _attach_error(-link, h, order, linfo.cgroup_fd, linfo.cgroup_id, kernel, cgns)
    return IterLink(h, link, prog, cgns)


def _fd_number(h: Hierarchy, cgroup_fd: Any) -> int:
    from .hierarchy import CgroupFd

    if cgroup_fd is None:
        return 0
    if isinstance(cgroup_fd, CgroupFd):
        if cgroup_fd.closed or cgroup_fd.hierarchy is not h:
            return -1       # EBADF: closed, or an fd of another hierarchy
        return cgroup_fd.fd
    if isinstance(cgroup_fd, bool) or not isinstance(cgroup_fd, int):
        raise TypeError(f"cgroup_fd must be a CgroupFd or an int, not {type(cgroup_fd).__name__}")
    return cgroup_fd
