"""``kernel/bpf/cgroup_iter.c``: the cgroup iterator target.

What the kernel file's header says, in our words: cgroup_iter walks the cgroup
hierarchy in one of these orders -- the descendants of a cgroup in pre-order or in
post-order, its ancestors up to the root, the cgroup alone, and (Linux 7.0) its
children.  The program stops the walk after the current cgroup by returning 1, and
goes on with 0.  It can tell the first element by ``seq_num == 0``, and is called
once more with a NULL cgroup when the walk is over (an epilogue).  It runs with
``cgroup_mutex`` held.  Only one session is supported: all the output must fit in the
seq_file buffer of 8 pages, and once user space has read it, the next read() gives
EOPNOTSUPP.

The header's example -- 64-byte records, 8 pages of 4 KiB -- says "the total number
of cgroups that can be walked is 512".  **It is 511**: ``seq_write()`` appends only if
``count + len < size``, so the 32768-byte buffer holds at most 32767 bytes
(:func:`cgiter_edu.kernel.config.capacity`).  The kernel is right, the comment is not.

Example::

    >>> from cgiter_edu import Hierarchy, Order, attach, programs
    >>> h = Hierarchy(); _ = h.mkdir("/a"); _ = h.mkdir("/a/b")
    >>> attach(h, programs.id_printer, Order.ANCESTORS_UP, cgroup_id=3).create().read(100)
    b'prologue\\n       3\\n       2\\n       1\\nepilogue\\n'
"""

from __future__ import annotations

import enum
import errno
from typing import Any

from .bpf_iter import (
    BpfIterMeta,
    BpfIterReg,
    BpfIterSeqInfo,
    BpfProg,
    SeqOperations,
    bpf_iter_get_info,
    bpf_iter_run_prog,
)
from .cgroup import (
    CgroupNamespace,
    Css,
    cgroup_get_from_id,
    cgroup_get_from_path,
    cgroup_is_dead,
    cgroup_path_ns,
    cgroup_put,
    cgroup_v1v2_get_from_fd,
    css_get,
    css_next_child,
    css_next_descendant_post,
    css_next_descendant_pre,
    css_put,
)
from .config import KernelConfig
from .inline import inlinable, inline_calls
from .seq_file import SeqFile, seq_printf, seq_puts

# enum bpf_cgroup_iter_order (include/uapi/linux/bpf.h)
BPF_CGROUP_ITER_ORDER_UNSPEC = 0
BPF_CGROUP_ITER_SELF_ONLY = 1          # process only a single object.
BPF_CGROUP_ITER_DESCENDANTS_PRE = 2    # walk descendants in pre-order.
BPF_CGROUP_ITER_DESCENDANTS_POST = 3   # walk descendants in post-order.
BPF_CGROUP_ITER_ANCESTORS_UP = 4       # walk ancestors upward.
BPF_CGROUP_ITER_CHILDREN = 5           # walk children of the start cgroup (Linux 7.0)


class Order(enum.IntEnum):
    """``enum bpf_cgroup_iter_order`` (include/uapi/linux/bpf.h), with short names.

    Names a user types (``"post"``, ``"up"``) are read by
    :func:`cgiter_edu.attach.parse_order`.

    Examples
    --------
    >>> Order.DESCENDANTS_POST, int(Order.CHILDREN)
    (<Order.DESCENDANTS_POST: 3>, 5)
    """

    UNSPEC = BPF_CGROUP_ITER_ORDER_UNSPEC                #: rejected (EINVAL)
    SELF_ONLY = BPF_CGROUP_ITER_SELF_ONLY                #: process only a single object
    DESCENDANTS_PRE = BPF_CGROUP_ITER_DESCENDANTS_PRE    #: walk descendants in pre-order
    DESCENDANTS_POST = BPF_CGROUP_ITER_DESCENDANTS_POST  #: walk descendants in post-order
    ANCESTORS_UP = BPF_CGROUP_ITER_ANCESTORS_UP          #: walk ancestors upward
    CHILDREN = BPF_CGROUP_ITER_CHILDREN                  #: the start's children (Linux 7.0+)


class BpfIterCgroupCtx:
    """``struct bpf_iter__cgroup``: the program's ``ctx``: ``meta`` and ``cgroup``
    (a read-only view, or None for the epilogue call)."""

    __slots__ = ("meta", "cgroup")

    def __init__(self, meta: BpfIterMeta) -> None:
        self.meta = meta
        self.cgroup = None


class CgroupIterPriv:
    """``struct cgroup_iter_priv``: ``start_css``, ``visited_all``, ``terminate``, ``order``."""

    __slots__ = ("start_css", "visited_all", "terminate", "order")

    def __init__(self) -> None:
        self.start_css: Css | None = None
        self.visited_all = False
        self.terminate = False
        self.order = 0


def cgroup_iter_seq_start(seq: SeqFile) -> Css | int | None:
    """``cgroup_iter_seq_start()`` (kernel/bpf/cgroup_iter.c), ``*pos`` is ``seq.index``.

    Takes ``cgroup_mutex``.  A second session on the same file (position > 0) cannot
    resume the walk: it gives NULL if the walk had finished, else ``-EOPNOTSUPP``.
    """
    p: CgroupIterPriv = seq.private
    tr = seq.tracer

    p.start_css.root.cgroup_mutex.lock("cgroup_iter_seq_start", tr and tr.on_mutex)
    tr and tr.locked(seq, p.start_css.root)

    # cgroup_iter doesn't support read across multiple sessions.
    if seq.index > 0:
        if p.visited_all:
            return None

        # Haven't visited all, but because cgroup_mutex has dropped,
        # return -EOPNOTSUPP to indicate incomplete iteration.
        return -errno.EOPNOTSUPP                     # ERR_PTR(-EOPNOTSUPP)

    seq.index += 1
    p.terminate = False
    p.visited_all = False
    if p.order == BPF_CGROUP_ITER_DESCENDANTS_PRE:
        return css_next_descendant_pre(None, p.start_css)
    elif p.order == BPF_CGROUP_ITER_DESCENDANTS_POST:
        return css_next_descendant_post(None, p.start_css)
    elif p.order == BPF_CGROUP_ITER_CHILDREN:
        return css_next_child(None, p.start_css)
    else:  # BPF_CGROUP_ITER_SELF_ONLY and BPF_CGROUP_ITER_ANCESTORS_UP
        return p.start_css


def cgroup_iter_seq_stop(seq: SeqFile, v: Css | int | None) -> None:
    """``cgroup_iter_seq_stop()`` (kernel/bpf/cgroup_iter.c): drop ``cgroup_mutex``; at the
    end of the walk (``v`` NULL) call the program once more with a NULL cgroup (the
    epilogue, *after* the mutex is dropped) and mark the walk complete."""
    p: CgroupIterPriv = seq.private
    tr = seq.tracer

    tr and tr.unlocking(seq)
    p.start_css.root.cgroup_mutex.unlock()

    # pass NULL to the prog for post-processing
    if v is None:
        tr and tr.walk_ended(seq)
        __cgroup_iter_seq_show(seq, None, True)
        p.visited_all = True


def cgroup_iter_seq_next(seq: SeqFile, v: Css) -> Css | None:
    """``cgroup_iter_seq_next()`` (kernel/bpf/cgroup_iter.c): the next object, or NULL when
    the walk is over or the program asked to stop."""
    curr = v
    p: CgroupIterPriv = seq.private

    seq.index += 1
    if p.terminate:
        return None

    if p.order == BPF_CGROUP_ITER_DESCENDANTS_PRE:
        return css_next_descendant_pre(curr, p.start_css)
    elif p.order == BPF_CGROUP_ITER_DESCENDANTS_POST:
        return css_next_descendant_post(curr, p.start_css)
    elif p.order == BPF_CGROUP_ITER_ANCESTORS_UP:
        return curr.parent
    elif p.order == BPF_CGROUP_ITER_CHILDREN:
        return css_next_child(curr, p.start_css)
    else:  # BPF_CGROUP_ITER_SELF_ONLY
        return None


@inlinable
def __cgroup_iter_seq_show(seq: SeqFile, css: Css | None, in_stop: bool) -> int:
    """``__cgroup_iter_seq_show()`` (kernel/bpf/cgroup_iter.c): run the program on ``css``.

    A dead cgroup is skipped without calling the program (it still used up its
    seq_num in ``bpf_seq_read``).  ``css`` None is the epilogue call from stop().
    A non-zero return makes the walk end after this element.  Always returns 0.
    """
    p: CgroupIterPriv = seq.private
    ret = 0

    # cgroup is dead, skip this element
    if css is not None and cgroup_is_dead(css):
        seq.tracer and seq.tracer.skip(seq, css)
        return 0

    ctx = seq.iter_priv.ctx                          # the ctx and meta on the stack
    ctx.cgroup = None if css is None else css.view
    prog = bpf_iter_get_info(ctx.meta, in_stop)
    if prog is not None:
        ret = bpf_iter_run_prog(prog, ctx)

    # if prog returns > 0, terminate after this element.
    if ret != 0:
        p.terminate = True

    return 0


def cgroup_iter_seq_show(seq: SeqFile, v: Css) -> int:
    """``cgroup_iter_seq_show()`` (kernel/bpf/cgroup_iter.c)."""
    return __cgroup_iter_seq_show(seq, v, False)


# what the compiler does: __cgroup_iter_seq_show() inlined in the show, cgroup_is_dead()
# in both; with link-time optimization also bpf_iter_get_info() and bpf_iter_run_prog()
# (bpf_iter.c) in both, and css_next_descendant_pre() (cgroup.c) in the next
# (kernel/inline.py)
inline_calls(__cgroup_iter_seq_show, cgroup_iter_seq_show, cgroup_iter_seq_next)

cgroup_iter_seq_ops = SeqOperations(
    start=cgroup_iter_seq_start,
    next=cgroup_iter_seq_next,
    stop=cgroup_iter_seq_stop,
    show=cgroup_iter_seq_show,
)


class BpfIterAuxInfo:
    """``struct bpf_iter_aux_info``'s ``cgroup`` part: ``start`` and ``order``."""

    __slots__ = ("start", "order")

    def __init__(self, start: Css, order: int) -> None:
        self.start = start
        self.order = order


def cgroup_iter_seq_init(priv: CgroupIterPriv, aux: BpfIterAuxInfo) -> int:
    """``cgroup_iter_seq_init()`` (kernel/bpf/cgroup_iter.c).

    ``bpf_iter_attach_cgroup()`` has already acquired an extra reference for the start
    cgroup, but the reference may be released after ``cgroup_iter_seq_init()``, so
    acquire another reference for the start cgroup.
    """
    p = priv
    cgrp = aux.start

    p.start_css = cgrp
    css_get(p.start_css)
    p.terminate = False
    p.visited_all = False
    p.order = aux.order
    return 0


def cgroup_iter_seq_fini(priv: CgroupIterPriv) -> None:
    """``cgroup_iter_seq_fini()`` (kernel/bpf/cgroup_iter.c): ``css_put(start_css)``."""
    css_put(priv.start_css)


cgroup_iter_seq_info = BpfIterSeqInfo(
    seq_ops=cgroup_iter_seq_ops,
    init_seq_private=cgroup_iter_seq_init,
    fini_seq_private=cgroup_iter_seq_fini,
    seq_priv=CgroupIterPriv,                         # seq_priv_size
    ctx=BpfIterCgroupCtx,
)


class BpfIterLinkInfo:
    """``union bpf_iter_link_info``'s ``cgroup`` member: ``order``, ``cgroup_fd`` (u32),
    ``cgroup_id`` (u64)."""

    __slots__ = ("order", "cgroup_fd", "cgroup_id")

    def __init__(self, order: int, cgroup_fd: int = 0, cgroup_id: int = 0) -> None:
        self.order = order
        self.cgroup_fd = cgroup_fd & 0xFFFFFFFF
        self.cgroup_id = cgroup_id & 0xFFFFFFFFFFFFFFFF


def bpf_iter_attach_cgroup(h: Any, prog: BpfProg, linfo: BpfIterLinkInfo,
                           aux: BpfIterAuxInfo, kernel: KernelConfig,
                           cgns: CgroupNamespace | None = None) -> int:
    """``bpf_iter_attach_cgroup()`` (kernel/bpf/cgroup_iter.c): check the order, then at
    most one of fd and id; find the start cgroup (by fd, by id, or ``/``) with a
    reference on it.  Fills ``aux``; returns 0 or a negative errno.  ``h`` stands for
    the calling process (its fd table) and the default hierarchy, ``cgns`` for its
    cgroup namespace (None: the host's): ``/`` is that namespace's root and an id
    outside it is ENOENT; an fd is not checked against it."""
    fd = linfo.cgroup_fd
    id = linfo.cgroup_id
    order = linfo.order

    if (order != BPF_CGROUP_ITER_DESCENDANTS_PRE and
            order != BPF_CGROUP_ITER_DESCENDANTS_POST and
            order != BPF_CGROUP_ITER_ANCESTORS_UP and
            not (order == BPF_CGROUP_ITER_CHILDREN and kernel.has_children_order) and
            order != BPF_CGROUP_ITER_SELF_ONLY):
        return -errno.EINVAL

    if fd and id:
        return -errno.EINVAL

    if fd:
        cgrp = cgroup_v1v2_get_from_fd(h.fdtable, fd)
    elif id:
        cgrp = cgroup_get_from_id(h.cgroup_root, id, cgns)
    else:  # walk the entire hierarchy by default.
        cgrp = cgroup_get_from_path(h.cgroup_root, "/", cgns)

    if cgrp.__class__ is int:                          # IS_ERR(cgrp)
        return cgrp                                    # PTR_ERR(cgrp)

    aux.start = cgrp
    aux.order = order
    return 0


def bpf_iter_detach_cgroup(aux: BpfIterAuxInfo) -> None:
    """``bpf_iter_detach_cgroup()`` (kernel/bpf/cgroup_iter.c): ``cgroup_put(start)``."""
    cgroup_put(aux.start)


def bpf_iter_cgroup_show_fdinfo(aux: BpfIterAuxInfo, seq: SeqFile,
                                cgns: CgroupNamespace | None = None) -> None:
    """``bpf_iter_cgroup_show_fdinfo()`` (kernel/bpf/cgroup_iter.c): the link's lines in
    ``/proc/<pid>/fdinfo/<link fd>``: ``cgroup_path`` -- "in the calling process's cgroup
    namespace" (``cgns``: ``current`` is the process that reads the fdinfo file, which
    need not be the one that attached; a start outside it prints as ``/../..``) -- and
    the order.  (The kernel allocates PATH_MAX bytes for the path and prints
    ``<unknown>`` if it cannot; the emulator always can.)

    Any order but the first three prints ``self_only``: the else branch's comment says
    ``/* BPF_CGROUP_ITER_SELF_ONLY */`` (Linux 6.1 to 6.18, read here).  The 7.0
    source is not at hand: the line for CHILDREN on a 7.0 kernel is not checked.
    """
    buf = cgroup_path_ns(aux.start, cgns)
    seq_printf(seq, "cgroup_path:\t%s\n", buf)

    # show_order:
    if aux.order == BPF_CGROUP_ITER_DESCENDANTS_PRE:
        seq_puts(seq, "order: descendants_pre\n")
    elif aux.order == BPF_CGROUP_ITER_DESCENDANTS_POST:
        seq_puts(seq, "order: descendants_post\n")
    elif aux.order == BPF_CGROUP_ITER_ANCESTORS_UP:
        seq_puts(seq, "order: ancestors_up\n")
    else:  # BPF_CGROUP_ITER_SELF_ONLY
        seq_puts(seq, "order: self_only\n")


class BpfLinkInfoIterCgroup:
    """``struct bpf_link_info``'s ``iter`` member for a cgroup iterator:
    ``target_name`` (and its length with the NUL), ``cgroup.order``,
    ``cgroup.cgroup_id``; what ``bpf_obj_get_info_by_fd()`` on the link fd returns and
    ``bpftool link show`` prints."""

    __slots__ = ("target_name", "target_name_len", "order", "cgroup_id")

    def __init__(self) -> None:
        self.target_name = ""
        self.target_name_len = 0
        self.order = 0
        self.cgroup_id = 0

    def __repr__(self) -> str:
        return (f"bpf_link_info(iter: target_name={self.target_name!r}, "
                f"cgroup.order={self.order}, cgroup.cgroup_id={self.cgroup_id})")


def bpf_iter_cgroup_fill_link_info(aux: BpfIterAuxInfo, info: BpfLinkInfoIterCgroup) -> int:
    """``bpf_iter_cgroup_fill_link_info()`` (kernel/bpf/cgroup_iter.c): the order and
    ``cgroup_id(start)`` -- the id, not a path, so no namespace is involved."""
    info.order = aux.order
    info.cgroup_id = aux.start.cgroup_id
    return 0


bpf_cgroup_reg_info = BpfIterReg(
    target="cgroup",
    attach_target=bpf_iter_attach_cgroup,
    detach_target=bpf_iter_detach_cgroup,
    show_fdinfo=bpf_iter_cgroup_show_fdinfo,
    fill_link_info=bpf_iter_cgroup_fill_link_info,
    seq_info=cgroup_iter_seq_info,
)


# -- the open-coded css iterator (Linux 6.7): kfuncs a BPF program calls in a loop -------
#
# Not a seq_file, not a link: the iterator lives on the BPF program's stack
# (``struct bpf_iter_css``, 24 opaque bytes) and the program drives it with new, next
# and destroy.  No cgroup_mutex (the verifier makes the caller hold the RCU read lock:
# KF_RCU_PROTECTED), no buffer, no seq_num, no epilogue, and no cgroup_is_dead() test:
# the program sees dead cgroups too.  Which calls the verifier lets a program make
# (RCU, a trusted start, destroy before exit, which program types) is in
# :mod:`cgiter_edu.kernel.verifier`.

class BpfIterCss:
    """``struct bpf_iter_css`` as the kernel sees it (``struct bpf_iter_css_kern``):
    ``start``, ``pos``, ``flags``.  ``start`` NULL means ``new`` refused the flags, and
    ``next`` then returns NULL at once."""

    __slots__ = ("start", "pos", "flags")

    def __init__(self) -> None:
        self.start: Css | None = None
        self.pos: Css | None = None
        self.flags = 0


def bpf_iter_css_new(it: BpfIterCss, start: Css, flags: int) -> int:
    """``bpf_iter_css_new()`` (kernel/bpf/cgroup_iter.c): set the iterator up; only the
    three walk orders are flags it takes (not SELF_ONLY, not UNSPEC, not CHILDREN, even
    on 7.0 where cgroup_iter has it): ``-EINVAL`` otherwise, and the loop runs zero
    times.  No reference is taken on ``start``: RCU keeps it alive."""
    kit = it

    kit.start = None
    if flags in (BPF_CGROUP_ITER_DESCENDANTS_PRE, BPF_CGROUP_ITER_DESCENDANTS_POST,
                 BPF_CGROUP_ITER_ANCESTORS_UP):
        pass
    else:
        return -errno.EINVAL

    kit.start = start
    kit.pos = None
    kit.flags = flags
    return 0


def bpf_iter_css_next(it: BpfIterCss) -> Css | None:
    """``bpf_iter_css_next()`` (kernel/bpf/cgroup_iter.c): the next css of the walk, dead
    ones included, or NULL."""
    kit = it

    if kit.start is None:
        return None

    if kit.flags == BPF_CGROUP_ITER_DESCENDANTS_PRE:
        kit.pos = css_next_descendant_pre(kit.pos, kit.start)
    elif kit.flags == BPF_CGROUP_ITER_DESCENDANTS_POST:
        kit.pos = css_next_descendant_post(kit.pos, kit.start)
    elif kit.flags == BPF_CGROUP_ITER_ANCESTORS_UP:
        kit.pos = kit.pos.parent if kit.pos is not None else kit.start

    return kit.pos


def bpf_iter_css_destroy(it: BpfIterCss) -> None:
    """``bpf_iter_css_destroy()`` (kernel/bpf/cgroup_iter.c): empty -- there is nothing
    to free; the verifier still insists on the call (the iterator is a reference)."""
