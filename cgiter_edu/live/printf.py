"""``bpf_seq_printf`` on the kernel and in the emulator, format by format.

The ``cgroup_printf`` program of ``cgroup_iter.bpf.c`` reads a format and up to 16
arguments from the map ``printf_in``, calls ``bpf_seq_printf`` once on the first cgroup
of a SELF_ONLY walk of the root (after ``pre`` pad bytes written with
``bpf_seq_write``) and leaves the return value in ``printf_out``.  A string argument
(str or bytes) is copied into the map and passed as its kernel address, as a program
passes a pointer.  :func:`compare` runs a :class:`PrintfCase` there and through
:func:`cgiter_edu.run` with a Python program that makes the same calls, and compares
the return values and every read(), byte for byte.

:data:`CASES` covers each rule of ``bpf_bprintf_prepare``/``bstr_printf`` (kernel side
of :mod:`cgiter_edu.kernel.helpers` and :mod:`cgiter_edu.kernel.vsprintf`);
:func:`check` runs a list of cases and returns the comparisons that differ
(``tests/test_live_printf.py`` runs it, and so can a run on another kernel).

Example (root, cgroup_iter)::

    >>> from cgiter_edu.live import printf                           # doctest: +SKIP
    >>> c = printf.compare(printf.PrintfCase("%5d|%-5s|", (42, "ab")))  # doctest: +SKIP
    >>> c.match, c.kernel_ret, c.kernel_output                     # doctest: +SKIP
    (True, 0, b'   42|ab   |')
"""

from __future__ import annotations

import dataclasses
import errno as _errno
import re
import struct
from dataclasses import dataclass, field

from .. import KernelConfig, Order
from ..hierarchy import Hierarchy
from ..kernel.bpf_trace import bpf_bprintf_format, check_printf_args
from ..names import errno_symbol
from ..run import RunResult, run
from .bpf_object import Backend, Params
from .cases import machine_kernel
from .errors import LiveError

#: sizes in ``struct printf_case`` of cgroup_iter.bpf.c
PF_ARGS, PF_FMT, PF_STRS = 16, 1024, 4096
#: the pad cgroup_record and cgroup_printf write from: 4095 dots and a newline
PAD = b"." * 4095 + b"\n"
#: one read() size for every case: more than any buffer
READ_SIZE = 1 << 17


@dataclass
class PrintfCase:
    """One ``bpf_seq_printf(seq, fmt, args...)`` call, after ``pre`` pad bytes.

    ``hashed``: the output holds hashed pointers (plain ``%p``, ``%pK``), whose digits
    are the kernel's secret: compared by shape (length, and the same bytes once every
    hex run is masked).
    """

    fmt: str | bytes
    args: tuple = ()
    pre: int = 0
    note: str = ""
    hashed: bool = False

    @property
    def fmt_bytes(self) -> bytes:
        """The format as the C program gets it (a str is UTF-8)."""
        return self.fmt.encode("utf-8") if isinstance(self.fmt, str) else bytes(self.fmt)

    def describe(self) -> str:
        """``fmt`` and the arguments, long strings shortened."""
        def short(a: object) -> str:
            if isinstance(a, (str, bytes)) and len(a) > 12:
                return f"{a[:4]!r}*{len(a)}"
            return repr(a)
        args = ", ".join(short(a) for a in self.args)
        pre = f" after {self.pre} bytes" if self.pre else ""
        return f"printf({self.fmt_bytes!r}{', ' if args else ''}{args}){pre}"


@dataclass
class PrintfComparison:
    """The two sides of one :class:`PrintfCase`."""

    case: PrintfCase
    kernel_ret: int
    emulator_ret: int
    kernel: RunResult
    emulator: RunResult
    notes: list[str] = field(default_factory=list)

    @property
    def kernel_output(self) -> bytes:
        return self.kernel.output

    @property
    def emulator_output(self) -> bytes:
        return self.emulator.output

    @property
    def match(self) -> bool:
        """Same return value, same read() results, same bytes (hashes masked)."""
        if self.kernel_ret != self.emulator_ret:
            return False
        if self.kernel.results != self.emulator.results:
            return False
        a, b = self.kernel_output, self.emulator_output
        if self.case.hashed:
            return len(a) == len(b) and _mask(a) == _mask(b)
        return a == b

    def __bool__(self) -> bool:
        return self.match

    def format(self) -> str:
        """Both sides, for a failure message."""
        def ret(r: int) -> str:
            return f"{r} ({errno_symbol(-r)})" if r < 0 else str(r)
        return (f"{self.case.describe()}  [{self.case.note}]\n"
                f"  kernel:   ret {ret(self.kernel_ret)}, reads {self.kernel.results}, "
                f"{self.kernel_output[-200:]!r}\n"
                f"  emulator: ret {ret(self.emulator_ret)}, reads {self.emulator.results}, "
                f"{self.emulator_output[-200:]!r}")


def _mask(out: bytes) -> bytes:
    """A hashed pointer's digits (and the padding beside them) made one symbol."""
    return re.sub(rb"[ 0]*[0-9a-f]+ *", b"H", out)


def _write_pre(seq: object, pre: int) -> None:
    """What cgroup_printf writes first: ``pre // 4096`` whole pads, then the last
    ``pre % 4096`` bytes of the pad."""
    for _ in range(pre // 4096):
        seq.write(PAD)
    n = pre & 4095
    if n:
        seq.write(PAD[4096 - n:])


def run_emulated(case: PrintfCase, kernel: KernelConfig | None = None) -> tuple[int, RunResult]:
    """The case on the emulator: (bpf_seq_printf's return value, the walk)."""
    rets: list[int] = []

    def prog(ctx: object) -> int:
        if ctx.cgroup is None or ctx.meta.seq_num != 0:
            return 0
        _write_pre(ctx.meta.seq, case.pre)
        rets.append(ctx.meta.seq.printf(case.fmt_bytes, *case.args))
        return 0

    res = run(Hierarchy(), prog, Order.SELF_ONLY, read_size=READ_SIZE, kernel=kernel,
              extra_reads=2)            # as live.run reads the kernel side
    return (rets[0] if rets else -_errno.ENODATA), res


class _Maps:
    """printf_in / printf_out of the loaded object."""

    def __init__(self, b: Backend) -> None:
        self.b = b
        self.in_fd, self.in_size = b.obj.map_fd("printf_in")
        self.out_fd, _ = b.obj.map_fd("printf_out")
        self.strs_addr = 0

    def value(self, fmt: bytes, args: list[int], pre: int, strs: bytes, n: int) -> bytes:
        fixed = struct.pack(f"<2Q{PF_ARGS}Q", 8 * n, pre,
                            *(a & 0xFFFFFFFFFFFFFFFF for a in args + [0] * (PF_ARGS - len(args))))
        val = fixed + fmt.ljust(PF_FMT, b"\0") + strs.ljust(PF_STRS, b"\0")
        if len(val) != self.in_size:
            raise LiveError(f"printf_in's value is {self.in_size} bytes, PrintfCase packs "
                            f"{len(val)}: cgroup_iter.bpf.c and printf.py are out of step")
        return val

    def walk(self, fmt: bytes, args: list[int], pre: int, strs: bytes, n: int
             ) -> tuple[int, int, RunResult]:
        key = struct.pack("<I", 0)
        self.b.obj.update(self.in_fd, key, self.value(fmt, args, pre, strs, n))
        self.b.obj.update(self.out_fd, key, struct.pack("<qQ", -_errno.ENODATA, 0))
        res = self.b.walk("cgroup_printf", Params(), order=int(Order.SELF_ONLY),
                          read_size=READ_SIZE)
        ret, addr = struct.unpack("<qQ", self.b.obj.lookup(self.out_fd, key, 16))
        return ret, addr, res


_maps: _Maps | None = None


def run_kernel(case: PrintfCase) -> tuple[int, RunResult]:
    """The case on the running kernel: (bpf_seq_printf's return value, the walk)."""
    global _maps
    check_printf_args(case.args)          # the same ValueError/TypeError as the emulator
    b = Backend.get()
    fmt = case.fmt_bytes
    if len(fmt) >= PF_FMT:
        raise LiveError(f"a format of {len(fmt)} bytes: cgroup_printf takes fewer than {PF_FMT}")
    if len(case.args) > PF_ARGS:
        raise LiveError(f"{len(case.args)} arguments: cgroup_printf passes at most {PF_ARGS}")
    if not 0 <= case.pre < 8 * 4096:
        raise LiveError(f"pre={case.pre}: cgroup_printf writes 0 to 32767 bytes first")
    with b.lock:
        if _maps is None or _maps.b is not b:
            _maps = _Maps(b)
        m = _maps
        if not m.strs_addr:                      # learn where strs lives in the kernel
            m.strs_addr = m.walk(b"", [], 0, b"", 0)[1]
        strs = b""
        args: list[int] = []
        for a in case.args:
            if isinstance(a, (str, bytes, bytearray)):
                data = a.encode("utf-8") if isinstance(a, str) else bytes(a)
                args.append(m.strs_addr + len(strs))
                strs += data + b"\0"
            else:
                args.append(int(a))
        if len(strs) > PF_STRS:
            raise LiveError(f"strings of {len(strs)} bytes: cgroup_printf holds {PF_STRS}")
        ret, _addr, res = m.walk(fmt, args, case.pre, strs, len(case.args))
    return ret, res


def emulator_kernel() -> KernelConfig:
    """The running kernel as a KernelConfig, with its ``kptr_restrict``."""
    k = machine_kernel()
    try:
        with open("/proc/sys/kernel/kptr_restrict") as f:
            k = dataclasses.replace(k, kptr_restrict=int(f.read().strip()))
    except (OSError, ValueError):
        pass
    return k


def compare(case: PrintfCase, kernel: KernelConfig | None = None) -> PrintfComparison:
    """Run ``case`` on both sides (``kernel``: the emulator's config, by default the
    running kernel's).  An argument the emulator cannot take (an int beyond 64 bits, a
    string for ``%d``...) raises its ValueError/TypeError before the kernel runs."""
    kernel = kernel or emulator_kernel()
    bpf_bprintf_format(case.fmt_bytes, case.args, kernel)
    kret, kres = run_kernel(case)
    eret, eres = run_emulated(case, kernel)
    return PrintfComparison(case, kret, eret, kres, eres)


def check(cases: list[PrintfCase] | None = None, kernel: KernelConfig | None = None
          ) -> list[PrintfComparison]:
    """Run every case (default :data:`CASES`); the comparisons that differ."""
    kernel = kernel or emulator_kernel()
    return [c for c in (compare(case, kernel) for case in (cases or CASES)) if not c.match]


# -- the cases ----------------------------------------------------------------------------

def _cases() -> list[PrintfCase]:
    C = PrintfCase
    ip4, ip6 = b"\x0a\x00\x02\x0f", bytes(range(0x20, 0x30))
    a = "a"
    cases = [
        # text, %%, the end of the format
        C("plain text\n", note="no conversion, no argument"),
        C("", note="empty format"),
        C("100%%", note="%% is a percent sign"),
        C("%%d", (), note="%%d: a percent sign and a d"),
        C("%5%", (1,), note="%% takes no flags or width"),
        C("%", (1,), note="a lone % at the end"),
        C("ab\0cd", note="the format ends at its first NUL"),
        C("tab\there\r\n\x0b\x0c", note="whitespace control bytes are fine"),
        C("\x01", note="other control bytes are not"),
        C("\x7f", note="DEL is not printable"),
        C("\x1b[1m", note="nor ESC"),
        # which bytes: UTF-8 (b960430ea886)
        C("h\u00e9llo \u2713 %d\n", (1,), note="UTF-8 text outside conversions"),
        C(b"\xff\x80\n", note="any byte >= 0x80 outside conversions, UTF-8 or not"),
        C(b"%\xc3\xa9", (1,), note="not right after a %"),
        C(b"%5\xc3", (1,), note="nor inside a conversion"),
        # integers: lengths and conversions
        C("%d %i %u %x %X", (-1, -2, -3, 255, 255), note="32-bit conversions"),
        C("%d", (2**32 + 5,), note="%d takes the low 32 bits"),
        C("%u", (-1,), note="%u of -1"),
        C("%ld %lu %lx", (-1, -1, 2**40), note="l is 64 bits"),
        C("%lld %llu %llx %llX", (-(2**63), 2**64 - 1, -1, 0xABC), note="ll is 64 bits"),
        C("%li %lli", (-(2**40), 2**62), note="%li, %lli"),
        C("%lllu", (1,), note="no lll"),
        C("%hd", (1,), note="no h"),
        C("%hhu", (1,), note="no hh"),
        C("%zu", (1,), note="no z"),
        C("%Lu", (1,), note="no L"),
        C("%jd", (1,), note="no j"),
        C("%o", (8,), note="no octal"),
        C("%e", (1,), note="no floating point"),
        C("%n", (1,), note="no %n"),
        C("%q", (1,), note="unknown conversion"),
        C("%lc", (65,), note="no l for %c"),
        C("%ls", ("a",), note="no l for %s"),
        C("%lp", (1,), note="no l for %p"),
        # flags and width
        C("%5d|%-5d|%05d|%+d|% d", (1, 2, 3, 4, 5), note="the four flags on %d"),
        C("%+5d|%-+5d|% 05d|%0-5d|%-05d", (1, 2, 3, 4, 5), note="flags together"),
        C("%+u|% u|%+x|% X|%+lu", (1, 2, 0xab, 0xab, 7), note="+ and space: signed only"),
        C("%+d|% d|%+lld", (-3, -4, -5), note="negative with + and space"),
        C("%010llu|%-10llx|", (42, 255), note="zero padding and left"),
        C("%#x", (1,), note="no #"),
        C("%.2d", (1,), note="no precision"),
        C("%.3s", ("abcdef",), note="no precision for %s"),
        C("%*d", (5, 1), note="no * width"),
        C("%5.d", (1,), note="a dot after the width"),
        C("%05s|%-5s|%5s", ("a", "b", "c"), note="0 does not pad a string"),
        C("%5c|%-3c|%05c", (65, 66, 67), note="%c: width with spaces"),
        C("%c%c%c", (72, 0x169, -1), note="%c takes the low byte"),
        C("%40000d", (1,), note="a width past the buffer: EOVERFLOW"),
        C("%1000d|", (7,), note="a 1000 wide field"),
        # strings and what follows %s
        C("%s", ("cgroup",), note="%s"),
        C("%s|%s.", ("x", "y"), note="punctuation after %s"),
        C("%s %s\n", ("x", "y"), note="space after %s"),
        C("%sa", ("x",), note="a letter after %s"),
        C("%s1", ("x",), note="a digit after %s"),
        C(b"%s\xa1", ("x",), note="0xa1 is punctuation to the kernel's ctype"),
        C(b"%s\xc3\xa9", ("x",), note="0xc3 is a letter to the kernel's ctype"),
        C("%s", ("h\u00e9 \u2713",), note="UTF-8 in an argument"),
        C("%s", (b"ab\0cd",), note="a string ends at its NUL"),
        C("%s|", ("",), note="empty string"),
        C("%s|", (0,), note="a NULL pointer prints nothing"),
        C("%s|", (8,), note="an unreadable address prints nothing"),
        C("%pks|", ("kernel",), note="%pks reads kernel memory"),
        C("%pus|", ("user",), note="%pus: the string is in kernel memory: nothing"),
        C("%10pks|", ("ab",), note="no width for %pks"),
        C("%pksa", ("x",), note="a letter after %pks"),
        # the bounce buffer: 512 bytes for every string and argument
        C("%s|", (a * 600,), note="a long %s is cut at 511 bytes"),
        C("%s|", (a * 511,), note="511 bytes fit"),
        C("%s%s", (a * 300, "b" * 300), note="the second string gets what is left"),
        C("%s%s", (a * 600, "b"), note="no room left for a second %s: ENOSPC"),
        C("%s%s|", (a * 510, "b"), note="one byte left: an empty string"),
        C("%s%s%s", (a * 509, "bbb", "c"), note="the third finds none"),
        C("%s%d", (a * 507, 5), note="4 bytes left for a %d"),
        C("%s%d", (a * 508, 5), note="aligned to 4: no room for %d"),
        C("%s%ld", (a * 503, 5), note="8 bytes left for a %ld"),
        C("%s%ld", (a * 504, 5), note="no room for %ld"),
        C("%s%c", (a * 510, 65), note="one byte for %c"),
        C("%s%c", (a * 511, 65), note="none for %c"),
        C("%s%pI6", (a * 490, ip6), note="%pI6 cut to what is left"),
        C("%s%pI4", (a * 508, ip4), note="%pI4 needs 4 bytes of room"),
        C("%s%pB", (a * 505, 0x1234), note="%pB cut to what is left"),
        # pointers
        C("%px|%20px|%-20px|%020px|%5px", (0x1234,) * 4 + (0x123456789,), note="%px: the address"),
        C("%p|%p|%p", (0, -22, -4095), note="NULL and error pointers are not hashed"),
        C("%p", (0x1234,), hashed=True, note="%p: hashed"),
        C("%p|%p", (-4096, 1 << 63), hashed=True, note="-4096 is no error pointer: hashed"),
        C(b"%p\xa1", (1,), hashed=True, note="0xa1 after %p is punctuation"),
        C(b"%p\xc3\xa9", (1,), note="0xc3 after %p is a letter"),
        C("%+px|% px|%-px|", (1, 2, 3), note="no sign for a pointer"),
        C("%10pB|%-10pI4|", (0x12, b"\x01\x02\x03\x04"), note="no width for %pB or %pI4"),
        C("%20p|%-20p|", (0xFFFF888012345678,) * 2, hashed=True, note="a hash padded"),
        C("%pK", (0x1234,), hashed=True, note="%pK with kptr_restrict 0: hashed"),
        C("%p%d", (1, 2), hashed=True, note="% after %p starts a conversion"),
        C("%p.%p %p", (1, 2, 3), hashed=True, note="punctuation or space after %p"),
        C("%p%", (1,), note="%p% (CVE-2025-38528): the second % is checked"),
        C("%p%", (1, 2), note="%p% with two arguments"),
        C("%pxyz", (0x1234,), note="letters after %px are swallowed"),
        C("%pabc", (1,), note="unknown %p extension"),
        C("%pe", (1,), note="no %pe"),
        C("%ps|%pS|%20ps|", (0x1234, 0x1234, 0x1234), note="%ps: no symbol"),
        C("%pB", (0x1234,), note="%pB: no symbol"),
        C("%pI4 %pi4", (ip4, ip4), note="IPv4"),
        C("%pI6 %pi6", (ip6, ip6), note="IPv6"),
        C("%pI4c|%20pI4|", (ip4, ip4), note="letters after %pI4 swallowed, no width"),
        C("%pI4", (0,), note="an unreadable address: zeros"),
        C("%pI5", (ip4,), note="no %pI5"),
        # arguments: fewer, more, the most
        C("%d %d", (1,), note="fewer arguments than conversions"),
        C("%d", (), note="a conversion and no argument"),
        C("%d", (1, 2, 3), note="more arguments than conversions: ignored"),
        C("no conversion", (1,), note="arguments and no conversion"),
        C("%d" * 12, tuple(range(12)), note="12 arguments: MAX_BPRINTF_VARARGS"),
        C("%d" * 13, tuple(range(13)), note="13: EINVAL"),
        C("%d", tuple(range(13)), note="13 arguments, one used: EINVAL"),
        # order of the checks
        C("%s%s%q", (a * 600, "b", 1), note="ENOSPC before the bad conversion"),
        C("%q%s%s", (1, a * 600, "b"), note="EINVAL first"),
        # the seq_file buffer
        C("%s", ("x" * 8,), pre=32759, note="fills to 32767: fits"),
        C("%s", ("x" * 9,), pre=32759, note="one more byte: EOVERFLOW"),
        C("%d", (5,), pre=32767, note="nothing fits after 32767 bytes"),
        C("%q", (5,), pre=32767, note="EINVAL before EOVERFLOW"),
        C("%s\n", ("after",), pre=100, note="after other writes"),
    ]
    return cases


#: every rule of bpf_seq_printf, as cases for :func:`check`
CASES: list[PrintfCase] = _cases()
