"""``kernel/trace/bpf_trace.c``: the helpers of tracing programs -- here the two a BPF
iterator writes its records with, ``bpf_seq_printf()`` and ``bpf_seq_write()``.

The kernel file's header carries only its copyright (Facebook, 2016).  Both helpers
write into ``ctx.meta.seq`` (:class:`~cgiter_edu.kernel.seq_file.SeqFile`) and return 0,
or ``-EOVERFLOW`` when the record did not fit; ``bpf_seq_printf`` first checks its
format with ``bpf_bprintf_prepare()`` (:mod:`.helpers`) and formats it with
``bstr_printf()`` (:mod:`.vsprintf`, through ``seq_bprintf()``).

The seq_file a program is handed (``ctx.meta.seq``) is a :class:`BpfSeqFile`: a
:class:`~cgiter_edu.kernel.seq_file.SeqFile` whose ``printf`` and ``write`` call these
two helpers, so a Python program reads ``seq.printf(...)`` where a C one has
``bpf_seq_printf(seq, ...)``.  (Not to be mistaken for :mod:`cgiter_edu.trace`, the
record of a walk: this file is named for the kernel's, whose helpers serve *tracing*
BPF programs.)

Example::

    >>> from cgiter_edu.kernel.seq_file import SeqFile
    >>> from cgiter_edu.kernel.bpf_trace import bpf_seq_printf, bpf_seq_write
    >>> m = SeqFile(size=16)
    >>> bpf_seq_printf(m, "%4d|", 7), bpf_seq_write(m, b"ab"), bytes(m.buf[:m.count])
    (0, 0, b'   7|ab')
    >>> m = BpfSeqFile(size=32)
    >>> m.printf("%8llu\\n", 42), m.write(b"x" * 22), m.count    # 9 + 22 = 31 < 32
    (0, 0, 31)
    >>> m.write(b"y"), m.count == m.size                        # 31 + 1 is not < 32
    (-75, True)
"""

from __future__ import annotations

import errno

from .config import KernelConfig
from .helpers import MAX_BPRINTF_VARARGS, bpf_bprintf_prepare
from .seq_file import SeqFile, seq_bprintf, seq_has_overflowed, seq_write
from .vsprintf import bstr_printf


def bpf_seq_write(m: SeqFile, data: bytes) -> int:
    """``bpf_seq_write()`` (kernel/trace/bpf_trace.c): ``seq_write(m, data, len) ? -EOVERFLOW : 0``."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"seq.write() takes bytes, not {type(data).__name__}")
    data = bytes(data)
    ret = -errno.EOVERFLOW if seq_write(m, data) else 0
    if m.writes is not None:
        m.writes.append((data, ret))
    return ret


def check_printf_args(args: tuple) -> None:
    """The program's arguments are 64-bit registers: ints in the u64/s64 range, or
    str/bytes (a pointer to that memory)."""
    for n, a in enumerate(args, 1):
        if isinstance(a, bool) or not isinstance(a, (int, str, bytes, bytearray)):
            raise TypeError(f"bpf_seq_printf argument {n} is a {type(a).__name__}: an "
                            "argument is a 64-bit register (an int) or a pointer to a "
                            "string (str or bytes)")
        if isinstance(a, int) and not -(1 << 63) <= a < (1 << 64):
            raise ValueError(f"bpf_seq_printf argument {n} ({a}) does not fit a 64-bit "
                             "register: it must lie in [-2**63, 2**64)")


def bpf_seq_printf(m: SeqFile, fmt: str | bytes, *args: int | str | bytes) -> int:
    """``bpf_seq_printf()`` (kernel/trace/bpf_trace.c): ``-EINVAL`` for more than
    ``MAX_BPRINTF_VARARGS`` (12) arguments; :func:`bpf_bprintf_prepare` (``-EINVAL``,
    ``-ENOSPC``); :func:`seq_bprintf`; then ``-EOVERFLOW`` if the buffer has overflowed,
    else 0.  More arguments than conversions are fine (the rest are ignored).

    ``fmt`` (a str is UTF-8 encoded) ends at its first NUL byte, like the C string it
    stands for.  Integers are 64-bit registers (a Python int outside
    ``[-2**63, 2**64)`` is a ValueError); a str or bytes stands for a pointer to that
    memory.
    """
    check_printf_args(args)
    if isinstance(fmt, str):
        fmt = fmt.encode("utf-8")
    if len(args) > MAX_BPRINTF_VARARGS:       # data_len > MAX_BPRINTF_VARARGS * 8
        err = -errno.EINVAL
    else:
        err = bpf_bprintf_prepare(bytes(fmt), args, m.kernel)
    if isinstance(err, int):
        if m.writes is not None:
            m.writes.append((b"", err))
        return err
    data = seq_bprintf(m, bytes(fmt), err)
    ret = -errno.EOVERFLOW if seq_has_overflowed(m) else 0
    if m.writes is not None:
        m.writes.append((data, ret))
    return ret


def bpf_bprintf_format(fmt: bytes, args: tuple, kernel: KernelConfig | None = None
                       ) -> bytes | int:
    """``bpf_bprintf_prepare()`` + ``bstr_printf()`` (kernel/bpf/helpers.c,
    lib/vsprintf.c): what ``bpf_seq_printf(fmt, *args)`` would append, or its negative
    errno; the buffer is not involved (no ``-EOVERFLOW``).

    >>> bpf_bprintf_format(b"%5s|%-3d|%llx", ("ab", 7, -1))
    b'   ab|7  |ffffffffffffffff'
    """
    check_printf_args(args)
    if len(args) > MAX_BPRINTF_VARARGS:
        return -errno.EINVAL
    bin_args = bpf_bprintf_prepare(fmt, args, kernel)
    if isinstance(bin_args, int):
        return bin_args
    return bstr_printf(fmt, bin_args, kernel)


class BpfSeqFile(SeqFile):
    """The seq_file as a BPF iterator program sees it (``ctx.meta.seq``): the kernel's
    ``struct seq_file`` with the two helpers as methods, so a program writes
    ``seq.printf(fmt, ...)`` for ``bpf_seq_printf(seq, fmt, ...)``."""

    __slots__ = ()

    def printf(self, fmt: str | bytes, *args: int | str | bytes) -> int:
        """``bpf_seq_printf(seq, fmt, ...)``: format like the kernel and append.
        Returns 0, ``-EOVERFLOW`` when it did not fit, ``-EINVAL`` for a bad format."""
        return bpf_seq_printf(self, fmt, *args)

    def write(self, data: bytes) -> int:
        """``bpf_seq_write(seq, data, len)``: append raw bytes; 0 or ``-EOVERFLOW``."""
        return bpf_seq_write(self, data)
