"""``kernel/bpf/bpf_iter.c``: the generic BPF iterator -- links, iterator files and the
read loop :func:`bpf_seq_read` that every cgroup_iter number comes out of.

The kernel file's header carries only its copyright (Facebook, 2020); what it holds:
the registered targets, ``struct bpf_iter_link`` (a program attached to a target with
its parameters), ``struct bpf_iter_priv_data`` (each open iterator file's program,
``session_id``, ``seq_num``, ``done_stop`` and the target's private data), and
``bpf_seq_read``, a seq_file read for iterators whose ``stop()`` may call the program
once more.  Its one comment that is wrong: ``bpf_seq_read`` says "fixed buffer size
(PAGE_SIZE)"; the code allocates ``PAGE_SIZE << 3``.

Objects:

* :class:`BpfIterLink` -- ``struct bpf_iter_link``: a program attached to a target with
  its parameters (for cgroup_iter: the start cgroup and the order).
* :class:`File` -- the part of ``struct file`` an iterator file uses: its position and
  its ``seq_file`` (with ``struct bpf_iter_priv_data``), set up by
  :func:`prepare_seq_file`, read by :func:`bpf_seq_read`.

The file descriptors a user holds -- the link fd and the iterator fd, with the
``read()`` system call's checks and error texts -- are :class:`cgiter_edu.iterfile.IterLink`
and :class:`cgiter_edu.iterfile.IterFile`, above the kernel; a Python program that
raises or returns neither 0 nor 1 (no kernel case) is :mod:`.prog_errors`.

Example::

    >>> from cgiter_edu import Hierarchy, Order, attach, programs
    >>> h = Hierarchy(); _ = h.mkdir("/a")
    >>> with attach(h, programs.id_printer, order=Order.DESCENDANTS_PRE) as link:
    ...     with link.create() as f:
    ...         f.read(4096)
    b'prologue\\n       1\\n       2\\nepilogue\\n'
"""

from __future__ import annotations

import errno
import itertools
import threading
import types
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .bpf_trace import BpfSeqFile
from .inline import inlinable, inline_calls
from .prog_errors import BpfProgramError, bad_return, where
from .seq_file import SeqFile, seq_has_overflowed, seq_printf

if TYPE_CHECKING:  # pragma: no cover
    from .config import KernelConfig

# atomic64_t session_id: "incremented on every opened seq_file"
_session_id = itertools.count(1)


# -- struct bpf_iter_meta / bpf_iter_priv_data ----------------------------------------

class BpfIterMeta:
    """``struct bpf_iter_meta``: what ``ctx.meta`` holds: ``seq``, ``session_id``, ``seq_num``."""

    __slots__ = ("seq", "session_id", "seq_num")

    def __init__(self, seq: SeqFile) -> None:
        self.seq = seq
        self.session_id = 0
        self.seq_num = 0

    def __repr__(self) -> str:
        return f"<bpf_iter_meta session_id={self.session_id} seq_num={self.seq_num}>"


class BpfProg:
    """``struct bpf_prog``: a loaded program.  ``bpf_func`` is what ``bpf_prog_run()``
    jumps to (the JITed image on a kernel; here the Python callable, resolved once at
    load so a program object with ``__call__`` is entered as a bound method)."""

    __slots__ = ("orig", "bpf_func", "refcnt")

    def __init__(self, prog: Callable[[Any], Any]) -> None:
        if not callable(prog):
            raise TypeError(f"prog must be a callable taking ctx, not {type(prog).__name__}")
        self.orig = prog
        self.refcnt = 1                      # the loader's reference, handed to the link
        # an object whose class defines __call__ in Python: enter it as a bound method
        call = type(prog).__call__           # prog is callable, so its type has one
        self.bpf_func = prog.__call__ if isinstance(call, types.FunctionType) else prog

    def __repr__(self) -> str:
        return f"<bpf_prog {self.orig!r}>"


def bpf_prog_inc(prog: BpfProg) -> None:
    """``bpf_prog_inc()`` (kernel/bpf/syscall.c): pin the program."""
    prog.refcnt += 1


def bpf_prog_put(prog: BpfProg) -> None:
    """``bpf_prog_put()`` (kernel/bpf/syscall.c): unpin it (the last put frees it)."""
    prog.refcnt -= 1


class BpfIterPrivData:
    """``struct bpf_iter_priv_data``: ``prog``, ``session_id``, ``seq_num``, ``done_stop``
    and the target's private data (``target_private``: for cgroup_iter a
    ``cgroup_iter_priv``)."""

    __slots__ = ("seq_info", "prog", "session_id", "seq_num", "done_stop", "target_private",
                 "meta", "ctx")

    def __init__(self) -> None:
        self.seq_info: BpfIterSeqInfo | None = None
        self.prog: BpfProg | None = None
        self.session_id = 0
        self.seq_num = 0
        self.done_stop = False
        self.target_private: Any = None
        self.meta: BpfIterMeta | None = None   # reused stack objects of __cgroup_iter_seq_show
        self.ctx: Any = None


class SeqOperations:
    """``struct seq_operations``: ``start``, ``next``, ``stop``, ``show``."""

    __slots__ = ("start", "next", "stop", "show")

    def __init__(self, start: Callable, next: Callable, stop: Callable, show: Callable) -> None:
        self.start, self.next, self.stop, self.show = start, next, stop, show


class BpfIterSeqInfo:
    """``struct bpf_iter_seq_info``: the target's seq ops and private data hooks;
    ``seq_priv`` makes the target's private data (``seq_priv_size``) and ``ctx`` the
    program's context (on the kernel's stack in the target's show())."""

    __slots__ = ("seq_ops", "init_seq_private", "fini_seq_private", "seq_priv", "ctx")

    def __init__(self, seq_ops: SeqOperations, init_seq_private: Callable,
                 fini_seq_private: Callable, seq_priv: Callable[[], Any],
                 ctx: Callable[[BpfIterMeta], Any]) -> None:
        self.seq_ops = seq_ops
        self.init_seq_private = init_seq_private
        self.fini_seq_private = fini_seq_private
        self.seq_priv = seq_priv
        self.ctx = ctx


class BpfIterReg:
    """``struct bpf_iter_reg``: a target (``"cgroup"``) and its callbacks."""

    __slots__ = ("target", "attach_target", "detach_target", "show_fdinfo", "fill_link_info",
                 "seq_info")

    def __init__(self, target: str, attach_target: Callable, detach_target: Callable,
                 seq_info: BpfIterSeqInfo, show_fdinfo: Callable | None = None,
                 fill_link_info: Callable | None = None) -> None:
        self.target = target
        self.attach_target = attach_target
        self.detach_target = detach_target
        self.show_fdinfo = show_fdinfo
        self.fill_link_info = fill_link_info
        self.seq_info = seq_info


class File:
    """``struct file``, the part an iterator file uses: ``f_pos`` (``pos``) and
    ``private_data``, its :class:`SeqFile` (``seq``, set by :func:`prepare_seq_file`)."""

    def __init__(self) -> None:
        self.pos = 0
        self.seq: SeqFile | None = None


# -- seq_num ---------------------------------------------------------------------------

@inlinable
def bpf_iter_inc_seq_num(seq: SeqFile) -> None:
    """``bpf_iter_inc_seq_num()`` (kernel/bpf/bpf_iter.c): the next object gets the next
    ``seq_num``."""
    seq.iter_priv.seq_num += 1


@inlinable
def bpf_iter_dec_seq_num(seq: SeqFile) -> None:
    """``bpf_iter_dec_seq_num()`` (kernel/bpf/bpf_iter.c): a skipped object gives its
    seq_num back.  cgroup_iter's show() never returns > 0, so it is never called for it."""
    seq.iter_priv.seq_num -= 1


@inlinable
def bpf_iter_done_stop(seq: SeqFile) -> None:
    """``bpf_iter_done_stop()`` (kernel/bpf/bpf_iter.c): the epilogue has run and fit."""
    seq.iter_priv.done_stop = True


# -- the read loop ---------------------------------------------------------------------
#
# kernel/bpf/bpf_iter.c: "MAX_ITER_OBJECTS: maximum visited objects before bailing out"
# (1000000, KernelConfig.max_iter_objects).  Its comment on bpf_seq_read(): "a customized
# and simpler version for bpf iterator. no_llseek is assumed for this file.  The
# following are differences from seq_read(): fixed buffer size (PAGE_SIZE), assuming
# no_llseek, stop() may call bpf program, handling potential overflow there".  The
# buffer is in fact PAGE_SIZE << 3 (8 pages), as the code below it allocates.


@inlinable
def IS_ERR(p: Any) -> bool:
    """``IS_ERR()`` (include/linux/err.h): an error pointer is a negative errno here."""
    return p.__class__ is int


def bpf_seq_read(file: File, buf: bytearray, size: int) -> int:
    """``bpf_seq_read()`` (kernel/bpf/bpf_iter.c): one read() of an iterator file.

    Copies at most ``size`` bytes into ``buf`` and returns how many, or a negative
    errno.  The branches are the kernel's, in its order:

    1. leftover bytes in the buffer are handed out first, nothing else happens;
    2. ``start()`` (takes ``cgroup_mutex``); NULL goes straight to stop, an error
       pointer (EOPNOTSUPP: a walk cannot resume) is returned;
    3. the first object is shown; if it alone overflows the buffer: ``E2BIG``;
    4. loop: ``next()``; NULL or an error pointer ends the walk; stop *before* showing
       when the buffer already holds ``size`` bytes, or after ``MAX_ITER_OBJECTS``
       objects (``EAGAIN`` if nothing was written); show; an overflow rolls the buffer
       back to where this object began and ends the walk (``E2BIG`` if that is 0);
    5. ``stop:`` -- an error pointer from ``next()`` (since Linux 6.1): ``stop()`` gets
       NULL (for cgroup_iter that is the epilogue call), nothing is copied and read()
       returns the error; ``seq->count`` is left as it is, so the bytes the walk wrote
       (and the epilogue's) stay in the buffer and the *next* read() hands them out
       from ``seq->from`` = 0, without calling ``start()``.  Otherwise stop (drops
       ``cgroup_mutex``; at the end of the walk, ``p`` NULL, it calls the program once
       more with cgroup NULL, the epilogue); if the epilogue overflowed it is cut off
       and retried by the next read().

    ``seq.tracer``, when a trace is recorded, is told each step on a line of its own
    (``tr and tr.step(...)``), right after the statement the step is about.
    """
    seq = file.seq
    tr = seq.tracer
    copied = 0
    err = 0
    num_objs = 0

    seq.lock.acquire()                                  # mutex_lock(&seq->lock)
    try:
        if seq.buf is None:
            seq.size = seq.kernel.buffer_size          # PAGE_SIZE << 3
            seq.buf = bytearray(seq.size)

        if seq.count:
            n = min(seq.count, size)
            buf[:n] = seq.buf[seq.from_:seq.from_ + n]  # copy_to_user(buf, seq->buf + seq->from, n)
            tr and tr.copy(seq, buf, n)
            seq.count -= n
            seq.from_ += n
            copied = n
            return _done(file, copied, err)

        seq.from_ = 0
        p = seq.op.start(seq)
        tr and tr.start(seq, p)
        if p is None:
            return _stop(file, buf, size, p)
        if IS_ERR(p):
            err = p                                     # PTR_ERR(p)
            seq.op.stop(seq, p)
            seq.count = 0
            return _done(file, copied, err)

        err = seq.op.show(seq, p)
        if err > 0:
            # object is skipped, decrease seq_num, so next
            # valid object can reuse the same seq_num.
            bpf_iter_dec_seq_num(seq)
            seq.count = 0
        elif err < 0 or seq_has_overflowed(seq):
            tr and tr.rollback(seq, p, 0)
            if not err:
                err = -errno.E2BIG
            seq.op.stop(seq, p)
            seq.count = 0
            return _done(file, copied, err)

        max_objs = seq.kernel.max_iter_objects         # MAX_ITER_OBJECTS
        while True:
            pos = seq.index
            num_objs += 1
            offs = seq.count
            p = seq.op.next(seq, p)
            tr and tr.next(seq, p)
            if pos == seq.index:
                # "buggy seq_file .next function %ps did not updated position index"
                seq.index += 1

            if p is None or p.__class__ is int:         # IS_ERR_OR_NULL(p)
                break

            # got a valid next object, increase seq_num
            bpf_iter_inc_seq_num(seq)

            if seq.count >= size:
                tr and tr.read_size_reached(seq, p)
                break

            if num_objs >= max_objs:
                tr and tr.max_objects_reached(seq, p)
                if offs == 0:
                    err = -errno.EAGAIN
                    seq.op.stop(seq, p)
                    return _done(file, copied, err)
                break

            err = seq.op.show(seq, p)
            if err > 0:
                bpf_iter_dec_seq_num(seq)
                seq.count = offs
            elif err < 0 or seq_has_overflowed(seq):
                tr and tr.rollback(seq, p, offs)
                seq.count = offs
                if offs == 0:
                    if not err:
                        err = -errno.E2BIG
                    seq.op.stop(seq, p)
                    return _done(file, copied, err)
                break
            # if (can_resched) cond_resched();
        return _stop(file, buf, size, p)
    finally:
        seq.lock.release()                              # mutex_unlock(&seq->lock)


def _stop(file: File, buf: bytearray, size: int, p: Any) -> int:
    """The ``stop:`` label of :func:`bpf_seq_read`.

    ``if (IS_ERR(p)) { seq->op->stop(seq, NULL); err = PTR_ERR(p); goto done; }`` comes
    first: cgroup_iter's ``next()`` never returns an error pointer, but another target's
    may (the udp iterator's batch allocation, ``ERR_PTR(-ENOMEM)``, net/ipv4/udp.c).  ``stop()``
    then sees NULL, as at the end of a walk: cgroup_iter's runs the epilogue (its bytes
    join the buffer) and sets ``visited_all``; ``done_stop`` is not set, so the epilogue
    runs once more at the read() after the buffer is drained."""
    seq = file.seq
    tr = seq.tracer
    err = 0
    offs = seq.count
    if IS_ERR(p):
        tr and tr.next_failed(seq)
        seq.op.stop(seq, None)
        err = p                                         # PTR_ERR(p)
        return _done(file, 0, err)
    # bpf program called if !p
    seq.op.stop(seq, p)
    if p is None:
        if not seq_has_overflowed(seq):
            bpf_iter_done_stop(seq)
        else:
            tr and tr.rollback(seq, None, offs)
            seq.count = offs
            if offs == 0:
                err = -errno.E2BIG
                return _done(file, 0, err)

    n = min(seq.count, size)
    buf[:n] = seq.buf[:n]                               # copy_to_user(buf, seq->buf, n)
    tr and tr.copy(seq, buf, n)
    copied = n
    seq.count -= n
    seq.from_ = n
    return _done(file, copied, err)


def _done(file: File, copied: int, err: int) -> int:
    """The ``done:`` label: ``if (!copied) copied = err; else *ppos += copied;``"""
    if not copied:
        copied = err
    else:
        file.pos += copied
    return copied


def iter_release(f: File) -> None:
    """``iter_release()`` (kernel/bpf/bpf_iter.c): ``fini_seq_private`` (for cgroup_iter
    ``css_put`` of the start cgroup) and unpin the program."""
    iter_priv = f.seq.iter_priv
    iter_priv.seq_info.fini_seq_private(iter_priv.target_private)
    bpf_prog_put(iter_priv.prog)


# -- links, files, and running the program ------------------------------------------------

class BpfIterLink:
    """``struct bpf_iter_link``: a program attached to a target -- ``link.prog``, the
    target's registration ``tinfo`` and its ``aux`` (for cgroup_iter: the start cgroup,
    with a reference, and the order); ``kernel`` is which kernel is modelled.

    Only the link fd references the link: closing it releases the link at once
    (``bpf_iter_link_release``: the target's ``detach_target``, for cgroup_iter
    ``cgroup_put(start)``, then ``bpf_prog_put``).  Files made from it keep walking:
    each pinned the program and took its own reference on the start cgroup.
    """

    __slots__ = ("prog", "tinfo", "aux", "kernel")

    def __init__(self, prog: BpfProg, tinfo: BpfIterReg, aux: Any, kernel: KernelConfig) -> None:
        self.prog = prog
        self.tinfo = tinfo
        self.aux = aux
        self.kernel = kernel


def bpf_iter_link_release(link: BpfIterLink) -> None:
    """``bpf_iter_link_release()`` (kernel/bpf/bpf_iter.c): call the target's
    ``detach_target`` (``bpf_iter_detach_cgroup``: ``cgroup_put(start)``)."""
    link.tinfo.detach_target(link.aux)


def bpf_iter_link_show_fdinfo(link: BpfIterLink, seq: Any, cgns: Any = None) -> None:
    """``bpf_iter_link_show_fdinfo()`` (kernel/bpf/bpf_iter.c): ``target_name``, then the
    target's ``show_fdinfo`` if it has one.  ``cgns``: the cgroup namespace of the
    process that reads the fdinfo file (``current`` in the kernel)."""
    seq_printf(seq, "target_name:\t%s\n", link.tinfo.target)
    show_fdinfo = link.tinfo.show_fdinfo
    if show_fdinfo:
        show_fdinfo(link.aux, seq, cgns)


def bpf_iter_link_fill_link_info(link: BpfIterLink, info: Any) -> int:
    """``bpf_iter_link_fill_link_info()`` (kernel/bpf/bpf_iter.c): the target's name
    (its length counts the NUL), then the target's ``fill_link_info`` if it has one."""
    target_name = link.tinfo.target
    info.target_name_len = len(target_name) + 1
    info.target_name = target_name
    fill_link_info = link.tinfo.fill_link_info
    if fill_link_info:
        return fill_link_info(link.aux, info)
    return 0


def bpf_iter_link_attach(h: Any, prog: BpfProg, linfo: Any, tinfo: BpfIterReg,
                         aux: Any, kernel: KernelConfig, cgns: Any = None) -> BpfIterLink | int:
    """``bpf_iter_link_attach()`` (kernel/bpf/bpf_iter.c): a link for ``prog`` on the
    target ``tinfo``, whose ``attach_target`` fills ``aux`` from ``linfo``; the link, or
    the target's negative errno.  ``h`` stands for the calling process (its fd table) and
    the default hierarchy; ``cgns`` for its cgroup namespace (None: the host's)."""
    err = tinfo.attach_target(h, prog, linfo, aux, kernel, cgns)
    if err:
        return err
    return BpfIterLink(prog, tinfo, aux, kernel)


def init_seq_meta(priv_data: BpfIterPrivData, seq_info: BpfIterSeqInfo, prog: BpfProg) -> None:
    """``init_seq_meta()`` (kernel/bpf/bpf_iter.c): a new session id, ``seq_num`` 0."""
    priv_data.seq_info = seq_info
    priv_data.prog = prog
    priv_data.session_id = next(_session_id)
    priv_data.seq_num = 0
    priv_data.done_stop = False


def prepare_seq_file(file: File, link: BpfIterLink) -> int:
    """``prepare_seq_file()`` (kernel/bpf/bpf_iter.c): set ``file`` up for ``link``: pin
    the program (``bpf_prog_inc``; the file takes no link reference), open the seq_file
    with the target's private data (``__seq_open_private``), the target's
    ``init_seq_private`` and ``init_seq_meta``.  Returns 0."""
    prog = link.prog
    bpf_prog_inc(prog)

    seq_info = link.tinfo.seq_info
    seq = BpfSeqFile(kernel=link.kernel)      # __seq_open_private()
    seq.lock = threading.Lock()               # mutex_init(&p->lock) in seq_open()
    seq.op = seq_info.seq_ops
    file.seq = seq                            # file->private_data
    priv_data = BpfIterPrivData()
    priv_data.target_private = seq_info.seq_priv()
    seq_info.init_seq_private(priv_data.target_private, link.aux)

    init_seq_meta(priv_data, seq_info, prog)
    seq.private = priv_data.target_private
    seq.iter_priv = priv_data                 # container_of(seq->private, ...)
    priv_data.meta = BpfIterMeta(seq)
    priv_data.ctx = seq_info.ctx(priv_data.meta)
    return 0


@inlinable
def bpf_iter_get_info(meta: BpfIterMeta, in_stop: bool) -> BpfProg | None:
    """``bpf_iter_get_info()`` (kernel/bpf/bpf_iter.c): fill ``meta`` and give the program,
    or None in stop() once the epilogue has been delivered (``done_stop``)."""
    iter_priv = meta.seq.iter_priv
    if in_stop and iter_priv.done_stop:
        return None
    meta.session_id = iter_priv.session_id
    meta.seq_num = iter_priv.seq_num
    return iter_priv.prog


@inlinable
def bpf_iter_run_prog(prog: BpfProg, ctx: Any) -> int:
    """``bpf_iter_run_prog()`` (kernel/bpf/bpf_iter.c): run the program on ``ctx``
    (``bpf_prog_run()``: ``prog->bpf_func(ctx)``); 0 stays 0, 1 ("retry the same
    object", for cgroup_iter: stop after it) becomes ``-EAGAIN``.

    The verifier lets an iterator program return only 0 or 1; here a program that
    returns anything else (or raises) makes :class:`BpfProgramError` naming the cgroup.
    """
    tr = ctx.meta.seq.tracer
    tr and tr.prog_runs(ctx)
    try:
        ret = prog.bpf_func(ctx)
    except Exception as e:
        raise BpfProgramError(f"the BPF program raised {type(e).__name__}: {e} "
                              f"{where(ctx)}") from e
    if ret.__class__ is not int or ret >> 1:        # not exactly 0 or 1
        if ret is not True and ret is not False:
            raise bad_return(ret, ctx)
        ret = int(ret)
    tr and tr.prog_ran(ctx, ret)
    # bpf program can only return 0 or 1:
    #  0 : okay
    #  1 : retry the same object
    # The bpf_iter_run_prog() return value
    # will be seq_ops->show() return value.
    return 0 if ret == 0 else -errno.EAGAIN


# what the compiler does: the static inline calls of the hot path, inlined (kernel/inline.py)
inline_calls(bpf_seq_read, _stop)
