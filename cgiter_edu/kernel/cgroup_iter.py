"""The cgroup iterator target (``kernel/bpf/cgroup_iter.c``): its seq operations
``start``/``next``/``show``/``stop`` and ``bpf_iter_attach_cgroup``.

The kernel's own comment at the top of that file says "the number of cgroups that
can be walked is 512" for 64-byte records in 8 pages of 4 KiB; the kernel walks 511
(see :func:`cgiter_edu.kernel.seq_file.capacity`): the kernel is right.

Example::

    >>> from cgiter_edu import Hierarchy, Order, attach, programs
    >>> h = Hierarchy(); _ = h.mkdir("/a"); _ = h.mkdir("/a/b")
    >>> attach(h, programs.id_printer, Order.ANCESTORS_UP, cgroup_id=3).create().read(100)
    b'prologue\\n       3\\n       2\\n       1\\nepilogue\\n'
"""

from __future__ import annotations

import enum
import errno
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..trace import EndReason, EventKind
from . import bpf_iter
from .bpf_iter import (
    BpfIterReg,
    BpfIterSeqInfo,
    IterLink,
    SeqOperations,
    _oserror,
    bpf_iter_get_info,
    bpf_iter_run_prog,
)
from .cgroup import (
    CSS_ONLINE,
    Css,
    cgroup_get_from_id,
    cgroup_get_from_path,
    cgroup_put,
    cgroup_v1v2_get_from_fd,
    css_get,
    css_next_child,
    css_next_descendant_post,
    css_next_descendant_pre,
    css_put,
)
from .config import DEFAULT, KernelConfig
from .seq_file import SeqFile

if TYPE_CHECKING:  # pragma: no cover
    from ..hierarchy import CgroupFd, Hierarchy


class Order(enum.IntEnum):
    """``enum bpf_cgroup_iter_order`` (include/uapi/linux/bpf.h)."""

    UNSPEC = 0            #: BPF_CGROUP_ITER_ORDER_UNSPEC: rejected (EINVAL)
    SELF_ONLY = 1         #: process only a single object
    DESCENDANTS_PRE = 2   #: walk descendants in pre-order
    DESCENDANTS_POST = 3  #: walk descendants in post-order
    ANCESTORS_UP = 4      #: walk ancestors upward
    CHILDREN = 5          #: walk the children of the start cgroup only (Linux 7.0+)

    @classmethod
    def parse(cls, value: str | int) -> Order | int:
        """An order from a name (``"pre"``, ``"descendants_post"``, ``"ANCESTORS_UP"``,
        ``"children"``...) or a number; unknown numbers are returned as plain ints so the
        kernel can reject them with EINVAL."""
        if isinstance(value, int):
            try:
                return cls(value)
            except ValueError:
                return value
        s = str(value).strip().lower().replace("-", "_")
        if s.lstrip("-").isdigit():
            return cls.parse(int(s))
        aliases = {"pre": "descendants_pre", "post": "descendants_post", "up": "ancestors_up",
                   "ancestors": "ancestors_up", "self": "self_only"}
        s = aliases.get(s, s)
        try:
            return cls[s.upper()]
        except KeyError:
            names = ", ".join(m.name.lower() for m in cls)
            raise ValueError(f"unknown order {value!r}; use one of {names} "
                             "(or pre, post, up, self) or a number") from None


class CgroupIterPriv:
    """``struct cgroup_iter_priv``: ``start_css``, ``visited_all``, ``terminate``, ``order``."""

    __slots__ = ("start_css", "visited_all", "terminate", "order")

    def __init__(self) -> None:
        self.start_css: Css | None = None
        self.visited_all = False
        self.terminate = False
        self.order = 0


class BpfIterCgroupCtx:
    """``struct bpf_iter__cgroup``: the program's ``ctx``: ``meta`` and ``cgroup``
    (a read-only view, or None for the epilogue call)."""

    __slots__ = ("meta", "cgroup")

    def __init__(self, meta: bpf_iter.BpfIterMeta) -> None:
        self.meta = meta
        self.cgroup = None


class BpfIterAuxInfo:
    """``struct bpf_iter_aux_info``'s ``cgroup`` part: ``start`` and ``order``."""

    __slots__ = ("start", "order")

    def __init__(self, start: Css, order: int) -> None:
        self.start = start
        self.order = order


# -- seq operations ---------------------------------------------------------------------

def cgroup_iter_seq_start(seq: SeqFile) -> Css | int | None:
    """``cgroup_iter_seq_start()`` (kernel/bpf/cgroup_iter.c), ``pos`` is ``seq.index``.

    Takes ``cgroup_mutex``.  A second session on the same file (position > 0) cannot
    resume the walk: it gives NULL if the walk had finished, else ``-EOPNOTSUPP``.
    """
    p: CgroupIterPriv = seq.private
    root = p.start_css.root
    tr = seq.tracer

    root.cgroup_mutex.lock("cgroup_iter_seq_start", None if tr is None else tr.on_mutex)
    if tr is not None:
        tr.locked(seq, root)

    # cgroup_iter doesn't support read across multiple sessions.
    if seq.index > 0:
        if p.visited_all:
            if tr is not None:
                tr.emit(EventKind.START, cgroup=None)
            return None
        # Haven't visited all, but because cgroup_mutex has dropped,
        # return -EOPNOTSUPP to indicate incomplete iteration.
        if tr is not None:
            tr.emit(EventKind.START, errno=errno.EOPNOTSUPP)
        return -errno.EOPNOTSUPP

    seq.index += 1
    p.terminate = False
    p.visited_all = False
    if seq.iter_priv.ctx is None:       # the ctx __cgroup_iter_seq_show fills in
        seq.iter_priv.ctx = BpfIterCgroupCtx(seq.iter_priv.meta)
    if p.order == Order.DESCENDANTS_PRE:
        css = css_next_descendant_pre(None, p.start_css)
    elif p.order == Order.DESCENDANTS_POST:
        css = css_next_descendant_post(None, p.start_css)
    elif p.order == Order.CHILDREN:
        css = css_next_child(None, p.start_css)
    else:  # BPF_CGROUP_ITER_SELF_ONLY and BPF_CGROUP_ITER_ANCESTORS_UP
        css = p.start_css
    if tr is not None:
        tr.emit(EventKind.START, cgroup=None if css is None else css.cgroup_id,
                seq_num=seq.iter_priv.seq_num)
    return css


def cgroup_iter_seq_next(seq: SeqFile, curr: Css) -> Css | None:
    """``cgroup_iter_seq_next()`` (kernel/bpf/cgroup_iter.c): the next object, or NULL when
    the walk is over or the program asked to stop."""
    p: CgroupIterPriv = seq.private
    seq.index += 1
    if p.terminate:
        return None
    order = p.order
    if order == 2:    # BPF_CGROUP_ITER_DESCENDANTS_PRE
        return css_next_descendant_pre(curr, p.start_css)
    elif order == 3:  # BPF_CGROUP_ITER_DESCENDANTS_POST
        return css_next_descendant_post(curr, p.start_css)
    elif order == 4:  # BPF_CGROUP_ITER_ANCESTORS_UP
        return curr.parent
    elif order == 5:  # BPF_CGROUP_ITER_CHILDREN
        return css_next_child(curr, p.start_css)
    else:             # BPF_CGROUP_ITER_SELF_ONLY
        return None


def __cgroup_iter_seq_show(seq: SeqFile, css: Css | None, in_stop: bool) -> int:
    """``__cgroup_iter_seq_show()`` (kernel/bpf/cgroup_iter.c): run the program on ``css``.

    A dead cgroup is skipped without calling the program (it still used up its
    seq_num in ``bpf_seq_read``).  ``css`` None is the epilogue call from stop().
    A non-zero return makes the walk end after this element.  Always returns 0.
    """
    p: CgroupIterPriv = seq.private
    tr = seq.tracer

    # cgroup is dead, skip this element
    if css is not None and not css.flags & CSS_ONLINE:
        if tr is not None:
            tr.emit(EventKind.SKIP, cgroup=css.cgroup_id, seq_num=seq.iter_priv.seq_num,
                    count_before=seq.count, count_after=seq.count)
        return 0

    iter_priv = seq.iter_priv
    ctx = iter_priv.ctx
    meta = ctx.meta
    ctx.cgroup = None if css is None else css.view
    ret = 0
    prog = bpf_iter_get_info(meta, in_stop)
    if prog is not None:
        ret = bpf_iter_run_prog(prog, ctx)

    # if prog returns > 0, terminate after this element.
    if ret != 0:
        p.terminate = True
    return 0


def cgroup_iter_seq_show(seq: SeqFile, v: Css) -> int:
    """``cgroup_iter_seq_show()`` (kernel/bpf/cgroup_iter.c)."""
    return __cgroup_iter_seq_show(seq, v, False)


def cgroup_iter_seq_stop(seq: SeqFile, v: Css | int | None) -> None:
    """``cgroup_iter_seq_stop()`` (kernel/bpf/cgroup_iter.c): drop ``cgroup_mutex``; at the
    end of the walk (``v`` NULL) call the program once more with a NULL cgroup (the
    epilogue, *after* the mutex is dropped) and mark the walk complete."""
    p: CgroupIterPriv = seq.private
    tr = seq.tracer

    if tr is not None:                  # recorded first: a waiter is handed the mutex in it
        tr.emit(EventKind.UNLOCK, count_before=seq.count, count_after=seq.count)
    p.start_css.root.cgroup_mutex.unlock()
    if tr is not None and v is None:
        tr.end(EndReason.PROGRAM if p.terminate else EndReason.COMPLETE, seq.count)

    # pass NULL to the prog for post-processing
    if v is None:
        __cgroup_iter_seq_show(seq, None, True)
        p.visited_all = True


cgroup_iter_seq_ops = SeqOperations(
    start=cgroup_iter_seq_start,
    next=cgroup_iter_seq_next,
    stop=cgroup_iter_seq_stop,
    show=cgroup_iter_seq_show,
)


def cgroup_iter_seq_init(aux: BpfIterAuxInfo) -> CgroupIterPriv:
    """``cgroup_iter_seq_init()`` (kernel/bpf/cgroup_iter.c): the file takes its own
    reference on the start cgroup (the link's may go before the file's)."""
    p = CgroupIterPriv()
    p.start_css = aux.start
    css_get(p.start_css)
    p.terminate = False
    p.visited_all = False
    p.order = int(aux.order)            # a plain int: compared on every next()
    return p


def cgroup_iter_seq_fini(p: CgroupIterPriv) -> None:
    """``cgroup_iter_seq_fini()`` (kernel/bpf/cgroup_iter.c): ``css_put(start_css)``."""
    css_put(p.start_css)


cgroup_iter_seq_info = BpfIterSeqInfo(
    seq_ops=cgroup_iter_seq_ops,
    init_seq_private=cgroup_iter_seq_init,
    fini_seq_private=cgroup_iter_seq_fini,
)


# -- attaching ----------------------------------------------------------------------------

class BpfIterLinkInfo:
    """``union bpf_iter_link_info``'s ``cgroup`` member: ``order``, ``cgroup_fd`` (u32),
    ``cgroup_id`` (u64)."""

    __slots__ = ("order", "cgroup_fd", "cgroup_id")

    def __init__(self, order: int, cgroup_fd: int = 0, cgroup_id: int = 0) -> None:
        self.order = order
        self.cgroup_fd = cgroup_fd & 0xFFFFFFFF
        self.cgroup_id = cgroup_id & 0xFFFFFFFFFFFFFFFF


def bpf_iter_attach_cgroup(h: Hierarchy, prog: Callable, linfo: BpfIterLinkInfo,
                           kernel: KernelConfig) -> BpfIterAuxInfo | int:
    """``bpf_iter_attach_cgroup()`` (kernel/bpf/cgroup_iter.c): check the order, then at
    most one of fd and id; find the start cgroup (by fd, by id, or the v2 root) and take
    a reference on it.  Returns the aux info, or a negative errno."""
    fd = linfo.cgroup_fd
    cid = linfo.cgroup_id
    order = linfo.order

    if (order != Order.DESCENDANTS_PRE and
            order != Order.DESCENDANTS_POST and
            order != Order.ANCESTORS_UP and
            not (order == Order.CHILDREN and kernel.has_children_order) and  # Linux 7.0
            order != Order.SELF_ONLY):
        return -errno.EINVAL

    if fd and cid:
        return -errno.EINVAL

    if fd:
        cgrp = cgroup_v1v2_get_from_fd(h._fds, fd)
    elif cid:
        cgrp = cgroup_get_from_id(h.kernfs, cid)
    else:  # walk the entire hierarchy by default.
        cgrp = cgroup_get_from_path(h.kernfs, "/")

    if isinstance(cgrp, int):           # IS_ERR(cgrp)
        return cgrp
    return BpfIterAuxInfo(cgrp, order)


def _valid_order(order: int, kernel: KernelConfig) -> bool:
    return order in (1, 2, 3, 4) or (order == 5 and kernel.has_children_order)


def bpf_iter_detach_cgroup(aux: BpfIterAuxInfo) -> None:
    """``bpf_iter_detach_cgroup()`` (kernel/bpf/cgroup_iter.c): ``cgroup_put(start)``."""
    cgroup_put(aux.start)


bpf_cgroup_reg_info = BpfIterReg(
    target="cgroup",
    attach_target=bpf_iter_attach_cgroup,
    detach_target=bpf_iter_detach_cgroup,
    seq_info=cgroup_iter_seq_info,
)


def _attach_error(code: int, h: Hierarchy, order: Any, fd: int, cid: int,
                  kernel: KernelConfig) -> OSError:
    if code == errno.EINVAL and not (fd and cid and _valid_order(order, kernel)):
        valid = "1-5" if kernel.has_children_order else "1-4 (CHILDREN=5 needs Linux 7.0)"
        name = Order(order).name if order in Order._value2member_map_ else str(order)
        return _oserror(code, f"order {name} ({int(order)}) is not a cgroup_iter order on "
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
        dead = h._by_id.get(cid)
        why = f"cgroup {dead.path} (id {cid}) has been removed" if dead else f"no cgroup has id {cid}"
        return _oserror(code, why)
    return _oserror(code, "bpf_iter_attach_cgroup")


def attach(h: Hierarchy, prog: Callable[[Any], int], order: Order | int, *,
           cgroup_fd: CgroupFd | int | None = None, cgroup_id: int | None = None,
           kernel: KernelConfig | None = None) -> IterLink:
    """Attach a BPF program (a Python callable ``prog(ctx) -> int``) to the cgroup
    iterator: ``bpf_link_create()`` with ``union bpf_iter_link_info`` ->
    ``bpf_iter_link_attach()`` -> :func:`bpf_iter_attach_cgroup`.

    ``cgroup_fd`` (a :class:`~cgiter_edu.hierarchy.CgroupFd` or an int) or ``cgroup_id``
    pick the start cgroup; neither: the root.  Errors are ``OSError`` with the kernel's
    errno: EINVAL (bad order, or both given), EBADF (not an open cgroup fd), ENOENT
    (unknown or removed cgroup).  ``kernel`` defaults to the newest modelled kernel.

    >>> from cgiter_edu import Hierarchy, Order, attach, programs
    >>> h = Hierarchy()
    >>> attach(h, programs.id_printer, Order.CHILDREN).create().read(64)
    b'epilogue\\n'
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
    linfo = BpfIterLinkInfo(order, fd, cid)
    aux = bpf_iter_attach_cgroup(h, prog, linfo, kernel)
    if isinstance(aux, int):
        raise _attach_error(-aux, h, order, linfo.cgroup_fd, linfo.cgroup_id, kernel)
    if isinstance(order, int) and not isinstance(order, Order):
        aux.order = Order(order)
    return IterLink(h, prog, bpf_cgroup_reg_info, aux, kernel)


def _fd_number(h: Hierarchy, cgroup_fd: Any) -> int:
    from ..hierarchy import CgroupFd

    if cgroup_fd is None:
        return 0
    if isinstance(cgroup_fd, CgroupFd):
        if cgroup_fd.closed or cgroup_fd.hierarchy is not h:
            return -1       # EBADF: closed, or an fd of another hierarchy
        return cgroup_fd.fd
    if isinstance(cgroup_fd, bool) or not isinstance(cgroup_fd, int):
        raise TypeError(f"cgroup_fd must be a CgroupFd or an int, not {type(cgroup_fd).__name__}")
    return cgroup_fd
