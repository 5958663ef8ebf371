"""``fs/seq_file.c``: the seq_file buffer a BPF iterator writes its records into.

The kernel file's header: "helper functions for making synthetic files from sequences
of records" (Al Viro, 2001).  A seq_file holds one buffer; ``show()`` appends records
to it and ``read()`` hands them out; the BPF iterator uses the buffer with its own read
loop (``bpf_seq_read``, kernel/bpf/bpf_iter.c).

The rule every number in cgroup_iter comes from is in :func:`seq_write`: bytes
are appended only if ``count + len < size`` -- strictly less -- so a buffer of
``PAGE_SIZE << 3`` = 32768 bytes holds at most 32767.  Otherwise the buffer is
marked overflowed (``count = size``) and the helper returns ``-EOVERFLOW``.

The helpers a program writes with live where the kernel has them: ``bpf_seq_printf``
and ``bpf_seq_write`` in :mod:`.bpf_trace` (kernel/trace/bpf_trace.c), the format
checker ``bpf_bprintf_prepare`` in :mod:`.helpers` (kernel/bpf/helpers.c), the
formatter ``bstr_printf`` in :mod:`.vsprintf` (lib/vsprintf.c).

Example::

    >>> from cgiter_edu.kernel.seq_file import SeqFile, seq_write
    >>> m = SeqFile(size=32)
    >>> seq_write(m, b"x" * 31), m.count       # 31 < 32: fits
    (0, 31)
    >>> seq_write(m, b"y"), m.count == m.size  # 31 + 1 is not < 32: overflow
    (-1, True)
"""

from __future__ import annotations

from .config import DEFAULT, KernelConfig
from .inline import inlinable
from .vsprintf import bstr_printf


class SeqFile:
    """``struct seq_file``: the buffer of one iterator file, and ``ctx.meta.seq``.

    ``buf`` is allocated on the first read (``PAGE_SIZE << 3`` bytes); ``count``
    is how many bytes it holds, ``from_`` where the next copy to the user starts,
    ``index`` the position ``start``/``next`` advance.  A BPF program writes into it
    with the helpers of :mod:`.bpf_trace`; the seq_file it is handed
    (:class:`~cgiter_edu.kernel.bpf_trace.BpfSeqFile`) has them as methods.
    """

    __slots__ = ("buf", "size", "from_", "count", "index", "private", "op", "writes", "lock",
                 "iter_priv", "tracer", "kernel")

    def __init__(self, size: int = 0, kernel: KernelConfig | None = None) -> None:
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
        self.tracer = None        # a hooks.Tracer when a trace is recorded, else None
        self.kernel = kernel or DEFAULT   # which kernel's bpf_seq_printf rules apply

    def __repr__(self) -> str:
        return f"<seq_file count={self.count} size={self.size}>"


@inlinable
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


def seq_bprintf(m: SeqFile, fmt: bytes, bin_args: list) -> bytes:
    """``seq_bprintf()`` (fs/seq_file.c): format into the buffer; kept only if
    ``count + len < size`` (strictly less, as :func:`seq_write`), else overflow.
    Returns the formatted bytes (for the trace; empty if the buffer was already full)."""
    data = b""
    if m.count < m.size:
        data = bstr_printf(fmt, bin_args, m.kernel)
        if m.count + len(data) < m.size:
            m.buf[m.count:m.count + len(data)] = data
            m.count += len(data)
            return data
    seq_set_overflow(m)
    return data


def seq_puts(m: SeqFile, s: str) -> None:
    """``seq_puts()`` (fs/seq_file.c): append a string if ``count + len < size``, else
    mark the buffer overflowed (as :func:`seq_write`).  Used for ``fdinfo`` lines."""
    seq_write(m, s.encode())


def seq_printf(m: SeqFile, f: str, *args: object) -> None:
    """``seq_printf()`` (fs/seq_file.c) for the kernel's own text (``fdinfo``): ``%s``
    and ``%u`` formats only (Python's ``%`` does those as ``vsnprintf`` does)."""
    seq_puts(m, f.replace("%u", "%d") % args)
