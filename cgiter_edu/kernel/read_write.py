"""``fs/read_write.c``: the read() system call on its way to the iterator's read.

Only what an iterator file's read() passes through: ``vfs_read()`` clamps the size to
``MAX_RW_COUNT`` and calls the file's ``f_op->read``, which for an iterator file is
:func:`~cgiter_edu.kernel.bpf_iter.bpf_seq_read`.  (The fd lookup and the checks of
the user's arguments are :meth:`cgiter_edu.iterfile.IterFile.read`'s.)

Example::

    >>> from cgiter_edu import Hierarchy, Order, attach, programs
    >>> h = Hierarchy()
    >>> f = attach(h, programs.id_printer, Order.SELF_ONLY).create()
    >>> buf = bytearray(64)
    >>> vfs_read(f, buf, 64), bytes(buf[:27])
    (27, b'prologue\\n       1\\nepilogue\\n')
"""

from __future__ import annotations

from typing import Any

from .bpf_iter import bpf_seq_read

#: include/linux/fs.h: MAX_RW_COUNT = INT_MAX & PAGE_MASK
MAX_RW_COUNT = 0x7FFFF000


def vfs_read(file: Any, buf: bytearray, count: int) -> int:
    """``vfs_read()`` (fs/read_write.c): ``count`` above ``MAX_RW_COUNT`` is cut to it,
    then ``file->f_op->read(file, buf, count, pos)`` (:func:`bpf_seq_read`): the bytes
    copied into ``buf``, or a negative errno."""
    tr = file.seq.tracer

    if count > MAX_RW_COUNT:
        count = MAX_RW_COUNT
    tr and tr.read(file.seq, count)
    ret = bpf_seq_read(file, buf, count)                # file->f_op->read()
    tr and tr.returned(file.seq, buf, ret)
    return ret
