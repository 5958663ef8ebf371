"""``mm/maccess.c``: access kernel memory without faulting.

The kernel file holds the ``*_nofault`` copies, which return an error instead of
oopsing when an address has nothing behind it.  The emulator has one of them,
:func:`strncpy_from_kernel_nofault`, which ``%s`` and ``%pks`` in a
``bpf_seq_printf`` format read their string with (through ``bpf_trace_copy_string``,
:mod:`.helpers`).  What stands for memory here: bytes (a str's UTF-8 bytes), or None
for an address the emulator has no memory behind.

Example::

    >>> from cgiter_edu.kernel.maccess import strncpy_from_kernel_nofault
    >>> strncpy_from_kernel_nofault(b"abc", 8), strncpy_from_kernel_nofault(b"abc", 3)
    ((4, b'abc'), (3, b'ab'))
"""

from __future__ import annotations

import errno


def strncpy_from_kernel_nofault(mem: bytes | None, count: int) -> tuple[int, bytes]:
    """``strncpy_from_kernel_nofault()`` (mm/maccess.c): copy a NUL-terminated string of
    at most ``count`` bytes with its NUL.  Returns (length with the NUL, the bytes
    without it), or ``(-EFAULT, b"")`` where nothing can be read; a longer string is cut
    to ``count - 1`` bytes (and ``count`` returned)."""
    if count <= 0:
        return 0, b""
    if mem is None:
        return -errno.EFAULT, b""
    s = mem.split(b"\0", 1)[0]
    if len(s) + 1 <= count:
        return len(s) + 1, s
    return count, s[:count - 1]
