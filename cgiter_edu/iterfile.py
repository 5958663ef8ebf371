"""The two file descriptors a user holds: the link (:class:`IterLink`, what
:func:`cgiter_edu.attach` returns) and an iterator file made from it
(:class:`IterFile`, ``link.create()``), with the checks and error texts of the
system calls on them (``read()``, ``close()``, fdinfo, ``bpf_obj_get_info_by_fd``).

The kernel side is :mod:`cgiter_edu.kernel.bpf_iter` (``struct bpf_iter_link``,
``prepare_seq_file``, ``bpf_seq_read``) and :mod:`cgiter_edu.kernel.read_write`
(``vfs_read``); a file made with ``trace=True`` gives its
seq_file a :class:`~cgiter_edu.recorder.Recorder`, which the kernel code tells each
step, and keeps the :class:`~cgiter_edu.trace.Trace` it records.

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
import os
from collections.abc import Callable
from typing import Any

from .kernel.bpf_iter import (
    BpfIterLink,
    BpfIterPrivData,
    BpfProg,
    File,
    bpf_iter_link_fill_link_info,
    bpf_iter_link_release,
    bpf_iter_link_show_fdinfo,
    bpf_prog_put,
    iter_release,
    prepare_seq_file,
)
from .kernel.cgroup_iter import BpfLinkInfoIterCgroup
from .kernel.mutex import release_held_back
from .kernel.read_write import vfs_read
from .kernel.seq_file import SeqFile
from .recorder import Recorder
from .trace import Trace

__all__ = ["IterFile", "IterLink"]

def _oserror(code: int, detail: str) -> OSError:
    return OSError(code, f"{os.strerror(code)}: {detail}")


class IterLink:
    """The link fd of a program attached to the cgroup iterator, what
    :func:`cgiter_edu.attach` returns.

    The kernel's :class:`~cgiter_edu.kernel.bpf_iter.BpfIterLink` is ``link``;
    ``create()`` opens a new session (``bpf_iter_create``).

    Only the link fd references the link: closing it releases the link at once
    (``bpf_iter_link_release``: the target's ``detach_target``, for cgroup_iter
    ``cgroup_put(start)``, then ``bpf_prog_put``).  Files made from it keep walking:
    each pinned the program and took its own reference on the start cgroup.

    Parameters
    ----------
    hierarchy : Hierarchy
        The tree it walks.
    link : cgiter_edu.kernel.bpf_iter.BpfIterLink
        The kernel's link.
    prog : callable
        The program as the user gave it.
    cgns : optional
        The attaching process's cgroup namespace.

    Examples
    --------
    >>> from cgiter_edu import Hierarchy, Order, attach, programs
    >>> with attach(Hierarchy(), programs.IdPrinter(), Order.SELF_ONLY) as link:
    ...     link.create().read(99)
    b'prologue\\n       1\\nepilogue\\n'
    """

    def __init__(self, hierarchy: Any, link: BpfIterLink, prog: Callable,
                 cgns: Any = None) -> None:
        self.hierarchy = hierarchy
        self.link = link
        self.cgns = cgns                      # the attaching process's cgroup namespace
        self.prog = prog                      # the program as the user gave it
        self.closed = False

    @property
    def bpf_prog(self) -> BpfProg:
        """The loaded program (``link->link.prog``)."""
        return self.link.prog

    @property
    def aux(self) -> Any:
        """The target's ``bpf_iter_aux_info`` (start cgroup and order)."""
        return self.link.aux

    @property
    def kernel(self) -> Any:
        """The modelled kernel (:class:`~cgiter_edu.KernelConfig`)."""
        return self.link.kernel

    def create(self, trace: bool = False) -> IterFile:
        """``bpf_iter_create(link_fd)`` / ``bpf_iter_new_fd()``: a new iterator file, a fresh
        session from the beginning.  ``trace=True`` records a :class:`~cgiter_edu.trace.Trace`
        (``file.trace``)."""
        if self.closed:
            raise _oserror(errno.EBADF, "the iterator link is closed")
        return IterFile(self, trace)

    def close(self) -> None:
        """Close the link fd: the link is released (``bpf_link_put`` -> ``bpf_link_free``)."""
        if not self.closed:
            self.closed = True
            bpf_iter_link_release(self.link)
            bpf_prog_put(self.link.prog)

    @property
    def order(self) -> int:
        """The attach order (an :class:`~cgiter_edu.Order` value)."""
        return self.link.aux.order

    @property
    def start(self) -> Any:
        """The start cgroup's view."""
        return self.link.aux.start.view

    def show_fdinfo(self, cgns: Any = None) -> str:
        """The iterator's lines of ``/proc/<pid>/fdinfo/<link fd>`` (after the generic
        ``link_type``/``link_id``/``prog_tag``/``prog_id`` lines, which hold numbers the
        emulator has none of): ``bpf_iter_link_show_fdinfo``, read by a process in
        the cgroup namespace ``cgns`` (default: the one the link was attached from)."""
        seq = SeqFile(size=self.kernel.page_size)      # one page, as seq_read() starts with
        bpf_iter_link_show_fdinfo(self.link, seq, self.cgns if cgns is None else cgns)
        return bytes(seq.buf[:seq.count]).decode()

    def info(self) -> BpfLinkInfoIterCgroup:
        """``bpf_obj_get_info_by_fd(link_fd)``'s ``iter`` part:
        ``bpf_iter_link_fill_link_info``."""
        info = BpfLinkInfoIterCgroup()
        err = bpf_iter_link_fill_link_info(self.link, info)
        if err:
            raise _oserror(-err, "bpf_iter_link_fill_link_info")
        return info

    def __enter__(self) -> IterLink:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self.closed else "open"
        aux = self.link.aux
        return f"<IterLink cgroup order={aux.order} start={aux.start.path} {state}>"


class IterFile(File):
    """An iterator file: ``struct file`` with its ``seq_file`` and ``bpf_iter_priv_data``
    (``prepare_seq_file``).

    ``read(n)`` is the read() system call (``vfs_read`` -> ``bpf_seq_read``); ``trace`` the
    :class:`~cgiter_edu.trace.Trace` when created with ``trace=True``.

    Parameters
    ----------
    link : IterLink
        The link it is created from (``IterLink.create`` makes one).
    trace : bool, default False
        Record a trace of the session.

    Examples
    --------
    >>> from cgiter_edu import Hierarchy, Order, attach, programs
    >>> f = attach(Hierarchy(), programs.IdPrinter(), Order.SELF_ONLY).create(trace=True)
    >>> f.read(99), f.read(99), f.trace.counts()["delivered"]
    (b'prologue\\n       1\\nepilogue\\n', b'', 1)
    """

    def __init__(self, link: IterLink, trace: bool = False) -> None:
        super().__init__()
        self.link = link
        self.kernel = link.kernel
        self.hierarchy = link.hierarchy
        self.closed = False
        self.trace: Trace | None = None
        prepare_seq_file(self, link.link)
        if trace:
            aux = link.aux
            kernel = link.kernel
            t = Trace(order=int(aux.order), start=aux.start.cgroup_id,
                      page_size=kernel.page_size, buffer_size=kernel.buffer_size,
                      kernel=kernel.name)
            self.trace = t
            self.seq.tracer = Recorder(t)

    @property
    def priv(self) -> BpfIterPrivData:
        """``bpf_iter_priv_data`` of this session (seq_num, session_id, done_stop)."""
        return self.seq.iter_priv

    def read(self, size: int) -> bytes:
        """``read(fd, buf, size)``: bytes, ``b""`` at the end; raises ``OSError`` with the
        kernel's errno (EOPNOTSUPP, E2BIG, EAGAIN; EBADF when closed; EINVAL for a
        negative size)."""
        if self.closed:
            raise _oserror(errno.EBADF, "read() on a closed iterator file")
        if isinstance(size, bool) or not isinstance(size, int):
            raise TypeError(f"read() size must be an int, not {type(size).__name__}")
        if size < 0:
            raise _oserror(errno.EINVAL, f"read() size {size} is negative")
        buf = bytearray(min(size, self.kernel.buffer_size))
        try:
            ret = vfs_read(self, buf, size)
        except BaseException:
            self._recover()
            raise
        if ret < 0:
            raise _oserror(-ret, _read_error_detail(-ret, self))
        return bytes(buf[:ret])

    def _recover(self) -> None:
        """After a program raised: drop cgroup_mutex if the walk still holds it, empty the
        buffer; the session is then an unfinished walk (next read: EOPNOTSUPP)."""
        seq = self.seq
        tr = seq.tracer
        mutex = self.hierarchy.cgroup_mutex
        if mutex.held_by_me():
            tr and tr.unlocking(seq)
            mutex.unlock()
        seq.count = 0
        seq.writes = None
        tr and tr.program_raised(seq)

    def readall(self, size: int = 4096) -> bytes:
        """Read with ``size`` until end of file, like ``cat``: every byte the session gives.
        An error (EOPNOTSUPP after a cut walk) is raised with the bytes read before it in
        ``err.partial``."""
        out = bytearray()
        while True:
            try:
                chunk = self.read(size)
            except OSError as e:
                e.partial = bytes(out)
                raise
            if not chunk:
                return bytes(out)
            out += chunk

    def close(self) -> None:
        """``close(fd)``: ``iter_release()`` -- the target's ``fini_seq_private``
        (``css_put`` of the start cgroup) and ``bpf_prog_put``."""
        if self.closed:
            return
        self.closed = True
        iter_release(self)
        # emulation: a writer woken and held back for this reader's next read()
        # (``cgroup_mutex.locker_first``) runs now: there is no next read()
        release_held_back(self.hierarchy.cgroup_mutex)
        # the trace stays in self.trace; the seq_file, in a cycle with its iter_priv's
        # meta and ctx, lets go of the recorder: the trace's memory goes with the last
        # reference to it, not at the next cyclic garbage collection
        self.seq.tracer = None

    def __enter__(self) -> IterFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return (f"<IterFile session={self.seq.iter_priv.session_id} count={self.seq.count} "
                f"{'closed' if self.closed else 'open'}>")


def _read_error_detail(code: int, f: IterFile) -> str:
    if code == errno.EOPNOTSUPP:
        return ("the walk did not finish in the first session and cannot resume: cgroup_mutex "
                "was dropped between read() calls (cgroup_iter_seq_start, *pos > 0)")
    if code == errno.E2BIG:
        return (f"the first record alone does not fit in the {f.kernel.buffer_size}-byte "
                f"seq_file buffer (PAGE_SIZE << 3, at most {f.kernel.buffer_size - 1} bytes)")
    if code == errno.EAGAIN:
        return (f"{f.kernel.max_iter_objects} objects visited in one read() with nothing "
                "written (MAX_ITER_OBJECTS)")
    return ("the iterator target's next() returned this error (the stop: label of "
            "bpf_seq_read: nothing copied; what the walk wrote stays for the next read())")
