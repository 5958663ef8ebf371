"""The seq_file buffer (``fs/seq_file.c``) and the helpers a BPF iterator writes with
(``bpf_seq_printf``/``bpf_seq_write``, ``kernel/trace/bpf_trace.c``).

The kernel file's header: "helper functions for making synthetic files from sequences
of records" (Al Viro, 2001).  A seq_file holds one buffer; ``show()`` appends records
to it and ``read()`` hands them out; the BPF iterator uses the buffer with its own read
loop (``bpf_seq_read``, kernel/bpf/bpf_iter.c).

The rule every number in cgroup_iter comes from is in :func:`seq_write`: bytes
are appended only if ``count + len < size`` -- strictly less -- so a buffer of
``PAGE_SIZE << 3`` = 32768 bytes holds at most 32767.  Otherwise the buffer is
marked overflowed (``count = size``) and the helper returns ``-EOVERFLOW``.

Example::

    >>> from cgiter_edu.kernel.seq_file import SeqFile
    >>> m = SeqFile(size=32)
    >>> m.printf("%8llu\\n", 42), bytes(m.buf[:m.count])
    (0, b'      42\\n')
    >>> m.write(b"x" * 22), m.count       # 9 + 22 = 31 < 32: fits
    (0, 31)
    >>> m.write(b"y"), m.count == m.size  # 31 + 1 is not < 32: overflow
    (-75, True)
"""

from __future__ import annotations

import errno
import hashlib

from .config import DEFAULT, KernelConfig

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
        self.tracer = None        # a Tracer when a trace is recorded
        self.kernel = kernel or DEFAULT   # which kernel's bpf_seq_printf rules apply

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


# -- bpf_seq_printf: bpf_bprintf_prepare() + bstr_printf() ----------------------------

#: include/linux/bpf.h: MAX_BPRINTF_BIN_ARGS, the per-CPU bounce buffer the arguments
#: (and every string a %s copies) are packed into before formatting
MAX_BPRINTF_BIN_ARGS = 512
#: lib/vsprintf.c: what a field width is clamped to
FIELD_WIDTH_MAX = (1 << 23) - 1

# lib/ctype.c: _ctype[], the kernel's character classes (Latin-1 above 0x9f, so 0xa0 is
# a space and 0xa1-0xbf are punctuation for isspace()/ispunct())
_C, _U, _L, _D, _P, _S, _X, _SP = 0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80
_CTYPE = bytes(
    [_C] * 9 + [_C | _S] * 5 + [_C] * 18                            # 0-31
    + [_S | _SP] + [_P] * 15 + [_D] * 10 + [_P] * 7                  # 32-64
    + [_U | _X] * 6 + [_U] * 20 + [_P] * 6                           # 65-96
    + [_L | _X] * 6 + [_L] * 20 + [_P] * 4 + [_C]                    # 97-127
    + [0] * 32                                                       # 128-159
    + [_S | _SP] + [_P] * 31                                         # 160-191
    + [_U] * 23 + [_P] + [_U] * 7 + [_L]                             # 192-223
    + [_L] * 23 + [_P] + [_L] * 8)                                   # 224-255


def isascii(c: int) -> bool:
    """``isascii()`` (include/linux/ctype.h): ``c <= 0x7f``."""
    return c <= 0x7F


def isprint(c: int) -> bool:
    """``isprint()``: punctuation, letters, digits or the space (Latin-1 included)."""
    return bool(_CTYPE[c] & (_P | _U | _L | _D | _SP))


def isspace(c: int) -> bool:
    """``isspace()``: ``\\t\\n\\v\\f\\r``, the space, and 0xa0."""
    return bool(_CTYPE[c] & _S)


def ispunct(c: int) -> bool:
    """``ispunct()``: ASCII punctuation, and 0xa1-0xbf, 0xd7, 0xf7."""
    return bool(_CTYPE[c] & _P)


def isalnum(c: int) -> bool:
    """``isalnum()``: letters (Latin-1 included) and digits."""
    return bool(_CTYPE[c] & (_U | _L | _D))


def _u64(arg: int | str | bytes, conv: str) -> int:
    """An argument as the 64-bit register the program passed."""
    if isinstance(arg, (str, bytes, bytearray)):
        raise TypeError(f"%{conv} takes an integer (the 64-bit register the program passes), "
                        f"not {type(arg).__name__}: a string is only read through %s, %pks "
                        "and %pus (or %pI4/%pI6 for the bytes of an address)")
    return arg & 0xFFFFFFFFFFFFFFFF


def _memory(arg: int | str | bytes) -> bytes | None:
    """What a pointer argument points to: the bytes of a str (UTF-8; a name read from the
    file system with bytes that are not UTF-8 gives those bytes back, as os.fsencode) or
    bytes; an integer is an address the emulator has no memory behind (None: reading it
    faults)."""
    if isinstance(arg, str):
        return arg.encode("utf-8", "surrogateescape")
    if isinstance(arg, (bytes, bytearray)):
        return bytes(arg)
    return None


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


def bpf_trace_copy_string(mem: bytes | None, fmt_ptype: str, bufsz: int) -> tuple[int, bytes]:
    """``bpf_trace_copy_string()`` (kernel/bpf/helpers.c): ``%s`` and ``%pks`` read kernel
    memory; ``%pus`` reads user memory -- and every string a BPF program holds (its stack,
    a map value: what a str stands for here) is kernel memory, so ``%pus`` faults."""
    if fmt_ptype == "u":
        return -errno.EFAULT, b""
    return strncpy_from_kernel_nofault(mem, bufsz)


def _snprintf(s: bytes, size: int) -> tuple[int, bytes]:
    """``snprintf(buf, size, ...)``: what lands in ``buf`` (at most ``size - 1`` bytes),
    and the return value (the full length)."""
    return len(s), s[:max(size - 1, 0)]


def _symbol(value: int) -> bytes:
    """``%ps``/``%pS``/``%pB`` of an address with no kernel symbol: ``0x`` and hex (the
    emulator has no kernel symbols, so every address is one)."""
    return b"0x%x" % value


def _ip_string(conv: str, raw: bytes) -> bytes:
    """``%pI4 %pi4 %pI6 %pi6`` (lib/vsprintf.c ip4_addr_string/ip6_addr_string)."""
    if conv == "I4":
        return b".".join(b"%d" % b for b in raw)
    if conv == "i4":
        return b".".join(b"%03d" % b for b in raw)
    if conv == "I6":
        return b":".join(raw[i:i + 2].hex().encode() for i in range(0, 16, 2))
    return raw.hex().encode()


def bpf_bprintf_prepare(fmt: bytes, raw_args: tuple, kernel: KernelConfig | None = None
                        ) -> int | list:
    """``bpf_bprintf_prepare()`` (kernel/bpf/helpers.c): check the format, and pack the
    arguments into the 512-byte bounce buffer (``MAX_BPRINTF_BIN_ARGS``) the way
    ``bstr_printf()`` reads them.  The character loop is the kernel's, branch for branch.

    Returns the packed arguments (one Python value per conversion), or a negative errno:
    ``-EINVAL`` for a format the kernel refuses or too few arguments, ``-ENOSPC`` when
    the bounce buffer is full (strings are copied into it: one long ``%s`` is cut at 511
    bytes, and the conversion after it finds no room).

    >>> bpf_bprintf_prepare(b"%d %s", (1, "a"))
    [1, b'a']
    >>> bpf_bprintf_prepare(b"%.2s", ("abc",)) == -errno.EINVAL     # no precision
    True
    """
    kernel = kernel or DEFAULT
    fmt = fmt.split(b"\0", 1)[0]             # fmt_end = strnchr(fmt, fmt_size, 0)
    fmt_size = len(fmt)
    f = fmt + b"\0\0\0"                       # fmt[i + 1], fmt[i + 2] may read the NUL
    num_args = len(raw_args)
    tmp_buf = 0                               # offset into bin_args
    tmp_buf_end = MAX_BPRINTF_BIN_ARGS if num_args else 0
    bin_args: list = []
    num_spec = 0
    i = 0
    while i < fmt_size:
        c = f[i]
        if kernel.bprintf_utf8:
            # b960430ea886: bytes >= 0x80 pass as text, ASCII control bytes do not
            if isascii(c) and not isprint(c) and not isspace(c):
                return -errno.EINVAL
        elif (not isprint(c) and not isspace(c)) or not isascii(c):
            return -errno.EINVAL

        if c != ord("%"):
            i += 1
            continue

        if f[i + 1] == ord("%"):             # %%
            i += 2
            continue

        if num_spec >= num_args:             # fewer arguments than conversions
            return -errno.EINVAL

        i += 1
        if kernel.bprintf_utf8 and not isascii(f[i]):
            return -errno.EINVAL

        # skip optional "[0 +-][num]" width formatting field
        while f[i] in b"0+- ":
            i += 1
        if ord("1") <= f[i] <= ord("9"):
            i += 1
            while ord("0") <= f[i] <= ord("9"):
                i += 1

        arg = raw_args[num_spec]
        fmt_ptype = ""
        if f[i] == ord("p"):
            sizeof_cur_arg = 8
            nxt = f[i + 1]
            if nxt == 0 or isspace(nxt) or ispunct(nxt):
                # plain %p; the punctuation after it is checked next, as any byte: "bpf:
                # Reject %p% format string in bprintf-like helpers" (CVE-2025-38528; 6.16,
                # 6.1.147, 6.6.100, 6.12.40) removed the i++ that skipped it unchecked
                cur_arg = _u64(arg, "p")
            elif nxt in b"ku" and f[i + 2] == ord("s"):
                fmt_ptype = chr(nxt)                      # %pks, %pus: a string
                i += 2
            elif nxt in b"KxsS":
                cur_arg = _u64(arg, "p" + chr(nxt))       # "just kernel pointers"
                i += 1
            elif nxt == ord("B"):
                # the kernel formats %pB now, with snprintf() into what is left
                ret, text = _snprintf(_symbol(_u64(arg, "pB")), tmp_buf_end - tmp_buf)
                bin_args.append(text)
                tmp_buf += ret + 1
                i += 2
                num_spec += 1
                continue
            else:
                # only support "%pI4", "%pi4", "%pI6" and "%pi6"
                if nxt not in b"iI" or f[i + 2] not in b"46":
                    return -errno.EINVAL
                i += 2
                sizeof_cur_ip = 4 if f[i] == ord("4") else 16
                if tmp_buf_end - tmp_buf < sizeof_cur_ip:
                    return -errno.ENOSPC
                mem = _memory(arg)
                if mem is None:
                    cur_ip = bytes(sizeof_cur_ip)     # copy_from_kernel_nofault failed
                elif len(mem) < sizeof_cur_ip:
                    raise ValueError(f"%p{chr(f[i - 1])}{chr(f[i])} reads {sizeof_cur_ip} "
                                     f"bytes of an address; the argument has {len(mem)}")
                else:
                    cur_ip = mem[:sizeof_cur_ip]
                ret, text = _snprintf(_ip_string(chr(f[i - 1]) + chr(f[i]), cur_ip),
                                      tmp_buf_end - tmp_buf)
                bin_args.append(text)
                tmp_buf += ret + 1
                i += 1
                num_spec += 1
                continue
            if not fmt_ptype:
                bin_args.append(cur_arg)
                err = _nocopy_fmt(tmp_buf, tmp_buf_end, sizeof_cur_arg)
                if err < 0:
                    return err
                tmp_buf = err
                num_spec += 1
                i += 1
                continue
        if f[i] == ord("s") or fmt_ptype:
            if not fmt_ptype:
                fmt_ptype = "s"
            # fmt_str: what may follow %s: the end, a space or punctuation
            nxt = f[i + 1]
            if nxt != 0 and not isspace(nxt) and not ispunct(nxt):
                return -errno.EINVAL
            if tmp_buf_end == tmp_buf:
                return -errno.ENOSPC
            mem = _memory(arg)
            err, text = bpf_trace_copy_string(mem, fmt_ptype, tmp_buf_end - tmp_buf)
            if err < 0:
                text, err = b"", 1
            bin_args.append(text)
            tmp_buf += err
            num_spec += 1
            i += 1
            continue
        if f[i] == ord("c"):
            if tmp_buf_end == tmp_buf:
                return -errno.ENOSPC
            bin_args.append(_u64(arg, "c") & 0xFF)
            tmp_buf += 1
            num_spec += 1
            i += 1
            continue

        sizeof_cur_arg = 4
        if f[i] == ord("l"):
            sizeof_cur_arg = 8
            i += 1
        if f[i] == ord("l"):
            sizeof_cur_arg = 8
            i += 1
        if f[i] not in b"iduxX":
            return -errno.EINVAL
        cur_arg = _u64(arg, chr(f[i]))
        bin_args.append(cur_arg if sizeof_cur_arg == 8 else cur_arg & 0xFFFFFFFF)
        err = _nocopy_fmt(tmp_buf, tmp_buf_end, sizeof_cur_arg)
        if err < 0:
            return err
        tmp_buf = err
        num_spec += 1
        i += 1
    return bin_args


def _nocopy_fmt(tmp_buf: int, tmp_buf_end: int, sizeof_cur_arg: int) -> int:
    """The ``nocopy_fmt:`` label: align to 4 bytes and make room for one integer or
    pointer; the new offset, or ``-ENOSPC``."""
    tmp_buf = (tmp_buf + 3) & ~3                  # PTR_ALIGN(tmp_buf, sizeof(u32))
    if tmp_buf_end - tmp_buf < sizeof_cur_arg:
        return -errno.ENOSPC
    return tmp_buf + sizeof_cur_arg


def ptr_to_hashval(value: int) -> int:
    """``__ptr_to_hashval()`` (lib/vsprintf.c) stand-in: what plain ``%p`` prints instead
    of an address.  The kernel prints ``siphash_1u64(ptr, key) & 0xffffffff`` with a key
    drawn at boot, which nobody outside the kernel knows; the emulator prints a keyed
    BLAKE2 hash with a fixed key instead: the same shape (32 bits), the same pointer
    always gives the same value, and the address never shows.  Its digits differ from
    the kernel's, which change at every boot anyway."""
    h = hashlib.blake2b(value.to_bytes(8, "little"), digest_size=4, key=b"cgiter_edu %p")
    return int.from_bytes(h.digest(), "little")


def _number(value: int, base: int, signed: bool, upper: bool, flags: str, width: int,
            default_zeropad_width: int = 0) -> bytes:
    """``number()`` (lib/vsprintf.c) for what bpf_bprintf_prepare lets through: the sign
    and space flags only for a signed conversion, ``-`` wins over ``0``."""
    sign = b""
    if signed and value < 0:
        sign, value = b"-", -value
    elif signed and "+" in flags:
        sign = b"+"
    elif signed and " " in flags:
        sign = b" "
    digits = (b"%X" if upper else b"%x") % value if base == 16 else b"%d" % value
    if default_zeropad_width and width < 0:
        width, flags = default_zeropad_width, flags + "0"
    pad = width - len(sign) - len(digits)
    if pad <= 0:
        return sign + digits
    if "-" in flags:
        return sign + digits + b" " * pad
    if "0" in flags:
        return sign + b"0" * pad + digits
    return b" " * pad + sign + digits


def _string(s: bytes, flags: str, width: int) -> bytes:
    """``string()`` (lib/vsprintf.c): pad with spaces to the width (``0`` does not apply)."""
    if width <= len(s):
        return s
    return s + b" " * (width - len(s)) if "-" in flags else b" " * (width - len(s)) + s


def bstr_printf(fmt: bytes, bin_args: list, kernel: KernelConfig | None = None) -> bytes:
    """``bstr_printf()`` (lib/vsprintf.c): format the packed arguments, for the formats
    :func:`bpf_bprintf_prepare` accepted.

    ``%p`` prints NULL and error pointers as they are and any other pointer hashed
    (:func:`ptr_to_hashval`); ``%pK`` follows ``kernel.kptr_restrict`` (0: as ``%p``,
    1: the address, for a reader with CAP_SYSLOG such as root, 2: zeros); ``%px`` the
    address.  After a ``%p`` conversion every letter and digit is skipped (so
    ``%pI4c`` prints the address only, ``%pxyz`` the pointer only); the strings made by
    the prepare step (``%pI4``, ``%pB``) are copied without width.

    >>> bstr_printf(b"%-4d|%+d|%x", [7, 5, 255])
    b'7   |+5|ff'
    """
    kernel = kernel or DEFAULT
    fmt = fmt.split(b"\0", 1)[0]
    f = fmt + b"\0"
    out: list[bytes] = []
    args = iter(bin_args)
    i = 0
    n = len(fmt)
    while i < n:
        j = fmt.find(b"%", i)
        if j < 0:
            out.append(fmt[i:])
            break
        out.append(fmt[i:j])
        i = j + 1
        if f[i] == ord("%"):
            out.append(b"%")
            i += 1
            continue
        k = i
        while f[i] in b"0+- ":
            i += 1
        flags = fmt[k:i].decode()
        k = i
        while ord("0") <= f[i] <= ord("9"):
            i += 1
        width = min(int(fmt[k:i]), FIELD_WIDTH_MAX) if i > k else -1
        conv = chr(f[i])
        if conv == "p":
            i += 1
            ext = chr(f[i]) if isalnum(f[i]) else ""
            value = next(args)
            if ext in ("", "K", "x"):
                if ext == "x" or (ext == "K" and kernel.kptr_restrict == 1):
                    pass                                        # the address itself
                elif ext == "K" and kernel.kptr_restrict >= 2:
                    value = 0
                elif not (value == 0 or value >= (1 << 64) - 4095):   # IS_ERR_OR_NULL
                    value = ptr_to_hashval(value)
                out.append(_number(value, 16, False, False, flags, width, 16))
            elif ext in ("s", "S"):
                out.append(_string(_symbol(value), flags, width))
            else:
                out.append(value)       # %pks, %pus, %pB, %pI4...: as prepared, no width
            while isalnum(f[i]):
                i += 1
            continue
        if conv == "s":
            out.append(_string(next(args), flags, width))
        elif conv == "c":
            c = bytes([next(args)])
            out.append(_string(c, flags, width))
        else:
            size = 4
            while f[i] == ord("l"):
                size = 8
                i += 1
            conv = chr(f[i])
            value = next(args)
            signed = conv in "di"
            if signed and value >> (8 * size - 1):
                value -= 1 << (8 * size)
            out.append(_number(value, 16 if conv in "xX" else 10, signed, conv == "X",
                               flags, width))
        i += 1
    return b"".join(out)


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
