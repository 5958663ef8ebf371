"""The seq_file buffer (``fs/seq_file.c``) and the helpers a BPF iterator writes with
(``bpf_seq_printf``/``bpf_seq_write``, ``kernel/trace/bpf_trace.c``).

The rule every number in cgroup_iter comes from is in :func:`seq_write`: bytes
are appended only if ``count + len < size`` -- strictly less -- so a buffer of
``PAGE_SIZE << 3`` = 32768 bytes holds at most 32767.  Otherwise the buffer is
marked overflowed (``count = size``) and the helper returns ``-EOVERFLOW``.

Example::

    >>> from cgiter_edu.kernel.seq_file import SeqFile, capacity
    >>> m = SeqFile(size=32)
    >>> m.printf("%8llu\\n", 42), bytes(m.buf[:m.count])
    (0, b'      42\\n')
    >>> capacity(64)          # 64-byte records in 8 pages of 4 KiB: not 512
    511
"""

from __future__ import annotations

import errno
import re

#: kernel/bpf/helpers.c: MAX_BPRINTF_VARARGS
MAX_BPRINTF_VARARGS = 12


class SeqFile:
    """``struct seq_file``: the buffer of one iterator file, and ``ctx.meta.seq``.

    ``buf`` is allocated on the first read (``PAGE_SIZE << 3`` bytes); ``count``
    is how many bytes it holds, ``from_`` where the next copy to the user starts,
    ``index`` the position ``start``/``next`` advance.  A BPF program writes with
    :meth:`printf` and :meth:`write`, which return 0 or ``-EOVERFLOW`` like the
    helpers.
    """

    __slots__ = ("buf", "size", "from_", "count", "index", "private", "op", "writes", "lock",
                 "iter_priv", "tracer")

    def __init__(self, size: int = 0) -> None:
        self.size = size
        self.buf: bytearray | None = bytearray(size) if size else None
        self.from_ = 0
        self.count = 0
        self.index = 0
        self.private = None
        self.op = None
        #: when a trace is recorded: the (bytes, result) of each helper call of one show()
        self.writes: list[tuple[bytes, int]] | None = None
        self.lock = None          # seq->lock, a threading.Lock set by the iterator file
        self.iter_priv = None     # container_of(seq->private, struct bpf_iter_priv_data, ...)
        self.tracer = None        # a Tracer when a trace is recorded

    # -- the helpers, as a BPF program calls them --------------------------------
    def printf(self, fmt: str | bytes, *args: int | str | bytes) -> int:
        """``bpf_seq_printf(seq, fmt, ...)``: format like the kernel and append.
        Returns 0, ``-EOVERFLOW`` when it did not fit, ``-EINVAL`` for a bad format."""
        return bpf_seq_printf(self, fmt, *args)

    def write(self, data: bytes) -> int:
        """``bpf_seq_write(seq, data, len)``: append raw bytes; 0 or ``-EOVERFLOW``."""
        return bpf_seq_write(self, data)

    def __repr__(self) -> str:
        return f"<seq_file count={self.count} size={self.size}>"


def seq_has_overflowed(m: SeqFile) -> bool:
    """``seq_has_overflowed()`` (include/linux/seq_file.h): ``m->count == m->size``."""
    return m.count == m.size


def seq_set_overflow(m: SeqFile) -> None:
    """``seq_set_overflow()`` (fs/seq_file.c): mark the buffer full."""
    m.count = m.size


def seq_write(seq: SeqFile, data: bytes) -> int:
    """``seq_write()`` (fs/seq_file.c): append only if ``count + len < size``; else overflow, -1."""
    n = len(data)
    count = seq.count
    if count + n < seq.size:
        seq.buf[count:count + n] = data
        seq.count = count + n
        return 0
    seq_set_overflow(seq)
    return -1


def bpf_seq_write(m: SeqFile, data: bytes) -> int:
    """``bpf_seq_write()`` (kernel/trace/bpf_trace.c): ``seq_write(m, data, len) ? -EOVERFLOW : 0``."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"seq.write() takes bytes, not {type(data).__name__}")
    data = bytes(data)
    ret = -errno.EOVERFLOW if seq_write(m, data) else 0
    if m.writes is not None:
        m.writes.append((data, ret))
    return ret


# %[flags][width][.precision][length]conversion, as bpf_bprintf_prepare() accepts them
_SPEC = re.compile(rb"%([-+ #0]*)(\d*)(?:\.(\d*))?(ll|l)?(.)?", re.S)
_PRINTABLE = frozenset(range(0x20, 0x7F)) | frozenset(b" \t\n\v\f\r")


def bpf_bprintf_format(fmt: bytes, args: tuple) -> bytes | int:
    """``bpf_bprintf_prepare()`` + ``bstr_printf()`` (kernel/bpf/helpers.c): format as they do.

    Integers are the 64-bit registers the program passed: ``%d``/``%i``/``%u``/``%x``
    take the low 32 bits, ``%ld``/``%lld`` (``l``/``ll``) all 64; ``%d`` and ``%i`` are
    signed, ``%u`` and ``%x`` unsigned.  ``%s`` takes a str or bytes, ``%c`` an int.
    Returns the bytes, or ``-EINVAL`` where the kernel rejects the format (a byte
    that is not printable, an unknown conversion or length, ``%p`` which is not
    modelled here, a wrong number of arguments) or ``-E2BIG`` for more than 12.
    """
    if len(args) > MAX_BPRINTF_VARARGS:
        return -errno.E2BIG
    if not _PRINTABLE.issuperset(fmt):
        return -errno.EINVAL
    out: list[bytes] = []
    argi = 0
    pos = 0
    n = len(fmt)
    while pos < n:
        j = fmt.find(b"%", pos)
        if j < 0:
            out.append(fmt[pos:])
            break
        out.append(fmt[pos:j])
        m = _SPEC.match(fmt, j)
        flags, width, prec, length, conv = m.groups()
        pos = m.end()
        if conv == b"%" and not (flags or width or prec is not None or length):
            out.append(b"%")
            continue
        if conv not in (b"d", b"i", b"u", b"x", b"X", b"c", b"s") or argi >= len(args):
            return -errno.EINVAL
        if length and conv in (b"c", b"s"):
            return -errno.EINVAL
        arg = args[argi]
        argi += 1
        spec = "%" + flags.decode() + width.decode() + ("" if prec is None else "." + prec.decode())
        if conv == b"s":
            s = bytes(arg) if isinstance(arg, (bytes, bytearray)) else str(arg).encode("utf-8")
            out.append(_pad_text(spec, s.split(b"\0", 1)[0]))
            continue
        if isinstance(arg, bool) or not isinstance(arg, int):
            raise TypeError(f"format %{conv.decode()} takes an int, got {type(arg).__name__}")
        bits = 64 if length else 32
        v = arg & ((1 << bits) - 1)
        if conv == b"c":
            out.append(_pad_text(spec.split(".")[0], bytes([v & 0xFF])))
        else:
            if conv in (b"d", b"i") and v >> (bits - 1):
                v -= 1 << bits
            out.append(((spec + {b"x": "x", b"X": "X"}.get(conv, "d")) % v).encode())
    if argi != len(args):
        return -errno.EINVAL
    return b"".join(out)


def _pad_text(spec: str, s: bytes) -> bytes:
    """%s / %c: precision truncates, width pads with spaces (the 0 flag does not apply)."""
    m = re.match(r"%([-+ #0]*)(\d*)(?:\.(\d*))?", spec)
    flags, width, prec = m.groups()
    if prec is not None:
        s = s[: int(prec or 0)]
    w = int(width or 0)
    if len(s) < w:
        s = s + b" " * (w - len(s)) if "-" in flags else b" " * (w - len(s)) + s
    return s


def bpf_seq_printf(m: SeqFile, fmt: str | bytes, *args: int | str | bytes) -> int:
    """``bpf_seq_printf()`` (kernel/trace/bpf_trace.c): format, then
    ``seq_write(m, buf, len)``; ``-EOVERFLOW`` if it did not fit."""
    if isinstance(fmt, str):
        fmt = fmt.encode("utf-8")
    data = bpf_bprintf_format(fmt, args)
    if isinstance(data, int):
        if m.writes is not None:
            m.writes.append((b"", data))
        return data
    ret = -errno.EOVERFLOW if seq_write(m, data) else 0
    if m.writes is not None:
        m.writes.append((data, ret))
    return ret


def capacity(record_bytes: int, page_size: int = 4096, epilogue_bytes: int = 0) -> int:
    """How many records of ``record_bytes`` fit in one cgroup_iter session.

    The buffer is ``page_size << 3`` bytes and :func:`seq_write` keeps the last
    byte free (``count + len < size``), so ``(size - 1 - epilogue) // record``
    records fit; with 64-byte records and 4 KiB pages that is 511, not the 512
    the commit message says.

    >>> capacity(64), capacity(64, page_size=16384)
    (511, 2047)
    """
    if record_bytes <= 0:
        raise ValueError(f"record_bytes must be positive, not {record_bytes}")
    size = page_size << 3
    room = size - 1 - epilogue_bytes
    return max(room, 0) // record_bytes
