"""bpf_seq_printf's rules in the emulator (kernel/bpf_trace.py, helpers.py, vsprintf.py),
each as the kernel has it (bpf_bprintf_prepare in kernel/bpf/helpers.c, bstr_printf in
lib/vsprintf.c, bpf_seq_printf in kernel/trace/bpf_trace.c). Every expected value here
was seen on a 6.18 kernel; tests/test_live_printf.py checks the same rules there."""

import errno

import pytest

from cgiter_edu import KernelConfig
from cgiter_edu.kernel.bpf_trace import BpfSeqFile, bpf_bprintf_format
from cgiter_edu.kernel.helpers import MAX_BPRINTF_BIN_ARGS, bpf_bprintf_prepare
from cgiter_edu.kernel.vsprintf import ptr_to_hashval

EINVAL, ENOSPC, EOVERFLOW = -errno.EINVAL, -errno.ENOSPC, -errno.EOVERFLOW


#: the kernel every expected value was seen on (the 7.0 preset, mainline 7.0's source,
#: predates the UTF-8 commit)
SEEN_ON = KernelConfig.preset("6.18")


def fmt(f, *args, kernel=None):
    return bpf_bprintf_format(f.encode() if isinstance(f, str) else f, args,
                              kernel or SEEN_ON)


@pytest.mark.parametrize("f,args,out", [
    # flags: - 0 + space; + and space only for signed conversions; - beats 0
    ("%5d|%-5d|%05d|%+d|% d", (1, 2, 3, 4, 5), b"    1|2    |00003|+4| 5"),
    ("%+5d|%-+5d|% 05d|%0-5d", (1, 2, 3, 4), b"   +1|+2   | 0003|4    "),
    ("%+u|% u|%+x|% X", (1, 2, 0xAB, 0xAB), b"1|2|ab|AB"),
    ("%05s|%-5s|%5c|%05c", ("a", "b", 67, 68), b"    a|b    |    C|    D"),
    # lengths: none = 32 bits, l and ll = 64
    ("%d|%u|%x", (2**32 + 5, -1, -1), b"5|4294967295|ffffffff"),
    ("%ld|%lu|%llx|%lli", (-1, -1, -1, -(2**63)),
     b"-1|18446744073709551615|ffffffffffffffff|-9223372036854775808"),
    ("%c%c%c", (72, 0x169, -1), b"Hi\xff"),
    ("100%%|%%d", (), b"100%|%d"),
    # more arguments than conversions: the rest are ignored
    ("%d", (1, 2, 3), b"1"),
    ("none", (1,), b"none"),
    ("%d" * 12, tuple(range(12)), b"01234567891011"),
    # the format ends at its first NUL
    ("ab\0cd %q", (), b"ab"),
    # what may follow %s: the end, a space, punctuation (the kernel's Latin-1 ctype)
    ("%s.%s %s", ("a", "b", "c"), b"a.b c"),
    (b"%s\xa1", ("x",), b"x\xa1"),
    ("%s|%s|%s|", (b"ab\0cd", 0, ""), b"ab|||"),          # NUL ends it; NULL prints nothing
    ("%pks|%pus|%10pks|", ("k", "u", "w"), b"k||w|"),     # %pus: not user memory; no width
    # %p: NULL and error pointers raw, %px the address, letters after %p swallowed
    ("%p|%p|%px|%20px|%-6px|%020px", (0, -22, 0x1234, 0x1234, 0x12, 0x1),
     b"0000000000000000|ffffffffffffffea|0000000000001234|                1234|12    |"
     b"00000000000000000001"),
    ("%pxyz|%ps|%pS|%10ps|%pB", (1, 0x12, 0x12, 0x12, 0x12),
     b"0000000000000001|0x12|0x12|      0x12|0x12"),
    ("%pI4 %pi4 %pI4c %20pI4|", (b"\x0a\0\2\x0f",) * 4,
     b"10.0.2.15 010.000.002.015 10.0.2.15 10.0.2.15|"),
    ("%pI6|%pi6|%pI4", (bytes(range(16)), bytes(16), 0),
     b"0001:0203:0405:0607:0809:0a0b:0c0d:0e0f|00000000000000000000000000000000|0.0.0.0"),
])
def test_formats(f, args, out):
    assert fmt(f, *args) == out


@pytest.mark.parametrize("f,args", [
    ("%d", ()), ("%d %d", (1,)), ("%", (1,)), ("%5%", (1,)),    # arguments, % alone
    ("%#x", (1,)), ("%.2d", (1,)), ("%.3s", ("a",)), ("%*d", (1, 2)),   # no # . *
    ("%hd", (1,)), ("%hhd", (1,)), ("%zu", (1,)), ("%Lu", (1,)), ("%lllu", (1,)),
    ("%lc", (1,)), ("%ls", ("a",)), ("%lp", (1,)), ("%o", (1,)), ("%e", (1,)), ("%n", (1,)),
    ("%sa", ("x",)), ("%s1", ("x",)), (b"%s\xc3\xa9", ("x",)), ("%pksa", ("x",)),
    ("%pabc", (1,)), ("%pe", (1,)), ("%pI5", (b"1234",)),
    ("\x01", ()), ("\x7f", ()), ("\x1b", ()),                   # control bytes
    (b"%\xc3\xa9", (1,)), (b"%5\xc3", (1,)),                    # non-ASCII in a conversion
    ("%d" * 13, tuple(range(13))), ("%d", tuple(range(13))),    # MAX_BPRINTF_VARARGS
])
def test_rejected_with_einval(f, args):
    assert fmt(f, *args) == EINVAL


def test_utf8_text_is_printed_since_the_fix_and_refused_before():
    new, old = KernelConfig.preset("6.18"), KernelConfig(bprintf_utf8=False)
    assert all(KernelConfig.preset(v).bprintf_utf8 for v in ("6.1", "6.12", "6.18"))
    assert not KernelConfig.preset("7.0").bprintf_utf8     # mainline 7.0: before the commit
    assert fmt("h\u00e9 \u2713 %d", 1, kernel=new) == "h\u00e9 \u2713 1".encode()
    assert fmt(b"\xff\x80", kernel=new) == b"\xff\x80"          # any byte, UTF-8 or not
    assert fmt("h\u00e9 %d", 1, kernel=old) == EINVAL
    assert fmt(b"%s\xa1", "x", kernel=old) == EINVAL
    assert fmt("%s", "h\u00e9", kernel=old) == "h\u00e9".encode()   # arguments are not checked


def test_the_bounce_buffer_cuts_strings_and_then_runs_out():
    assert MAX_BPRINTF_BIN_ARGS == 512
    assert fmt("%s|", "a" * 600) == b"a" * 511 + b"|"                 # cut at 511
    assert fmt("%s%s", "a" * 300, "b" * 300) == b"a" * 300 + b"b" * 210   # what is left
    assert fmt("%s%s|", "a" * 510, "b") == b"a" * 510 + b"|"          # 1 byte: empty
    assert fmt("%s%s", "a" * 600, "b") == ENOSPC                      # none left
    assert fmt("%s%s%s", "a" * 509, "bbb", "c") == ENOSPC
    assert fmt("%s%d", "a" * 507, 5) == b"a" * 507 + b"5"              # 4 bytes, aligned
    assert fmt("%s%d", "a" * 508, 5) == ENOSPC
    assert fmt("%s%ld", "a" * 503, 5) == b"a" * 503 + b"5"
    assert fmt("%s%ld", "a" * 504, 5) == ENOSPC
    assert fmt("%s%c", "a" * 510, 65) == b"a" * 510 + b"A"
    assert fmt("%s%c", "a" * 511, 65) == ENOSPC
    assert fmt("%s%pI6", "a" * 490, bytes(16)) == b"a" * 490 + b"0000:" * 4
    assert fmt("%s%pB", "a" * 505, 0x1234) == b"a" * 505 + b"0x123"
    assert fmt("%s%pI4", "a" * 508, b"1234") == ENOSPC
    assert fmt("%s%s%q", "a" * 600, "b", 1) == ENOSPC                 # in the loop's order
    assert fmt("%q%s%s", 1, "a" * 600, "b") == EINVAL


def test_hashed_pointers():
    h = fmt("%p %p %p %pK", 0x1234, 0x1234, 0x1235, 0x1234).split()
    assert h[0] == h[1] == h[3] != h[2]
    assert h[0] == b"%016x" % ptr_to_hashval(0x1234) and h[0].startswith(b"00000000")
    assert fmt("%20p|", 0x1234) == b"%20x|" % ptr_to_hashval(0x1234)
    assert fmt("%pK", 0x1234, kernel=KernelConfig(kptr_restrict=1)) == b"0000000000001234"
    assert fmt("%pK", 0x1234, kernel=KernelConfig(kptr_restrict=2)) == b"0000000000000000"


def test_return_values_and_the_seq_file_buffer():
    m = BpfSeqFile(size=32)
    assert m.printf("%s", "x" * 30) == 0 and m.count == 30
    assert m.printf("%d", 5) == 0 and m.count == 31                   # 31 < 32
    assert m.printf("%d", 5) == EOVERFLOW and m.count == 32           # 32 is not < 32
    assert m.printf("%q", 5) == EINVAL                                # checked first
    m = BpfSeqFile(size=64)
    assert m.printf("%40000d", 1) == EOVERFLOW
    m = BpfSeqFile(size=64)
    assert m.printf("%s%s", "a" * 600, "b") == ENOSPC and m.count == 0


def test_arguments_are_64_bit_registers():
    assert fmt("%llu %lld", 2**64 - 1, -(2**63)) == b"18446744073709551615 -9223372036854775808"
    for bad in (2**64, -(2**63) - 1):
        with pytest.raises(ValueError, match="64-bit register"):
            fmt("%llu", bad)
    with pytest.raises(ValueError, match="64-bit register"):
        fmt("%d", 1, 2**70)                                           # even when unused
    with pytest.raises(TypeError, match="takes an integer"):
        fmt("%d", "1")
    with pytest.raises(TypeError, match="argument 1 is a float"):
        fmt("%d", 1.5)
    with pytest.raises(ValueError, match="reads 4 bytes"):
        fmt("%pI4", b"12")


def test_prepare_packs_one_value_per_conversion():
    assert bpf_bprintf_prepare(b"%d %lld %s %c", (-1, -1, "ab", 65)) == \
        [0xFFFFFFFF, 2**64 - 1, b"ab", 65]
