"""kernel/seq_file.py and kernel/bpf_trace.py: the strict < of seq_write, bpf_seq_printf
formats, capacity."""

import errno

import pytest

from cgiter_edu import capacity
from cgiter_edu.kernel.bpf_trace import BpfSeqFile, bpf_bprintf_format
from cgiter_edu.kernel.seq_file import seq_has_overflowed


def test_seq_write_keeps_the_last_byte_free():
    m = BpfSeqFile(size=8)
    assert m.write(b"1234567") == 0 and m.count == 7          # 7 < 8
    assert m.write(b"x") == -errno.EOVERFLOW                   # 7 + 1 == 8: refused
    assert seq_has_overflowed(m) and m.count == 8
    assert bytes(m.buf[:7]) == b"1234567"


def test_exactly_full_is_refused_even_when_empty():
    m = BpfSeqFile(size=8)
    assert m.printf("%s", "12345678") == -errno.EOVERFLOW
    assert m.count == m.size


def test_writes_after_an_overflow_fail_too():
    m = BpfSeqFile(size=8)
    m.write(b"123456789")
    assert m.write(b"a") == -errno.EOVERFLOW


@pytest.mark.parametrize("fmt,args,out", [
    ("%d", (-1,), b"-1"),
    ("%d", (2**32 + 5,), b"5"),                 # %d takes the low 32 bits
    ("%i", (2**31,), b"-2147483648"),
    ("%u", (-1,), b"4294967295"),
    ("%x", (255,), b"ff"),
    ("%ld", (-1,), b"-1"),
    ("%lu", (-1,), b"18446744073709551615"),
    ("%lx", (2**40,), b"10000000000"),
    ("%lld", (-(2**63),), b"-9223372036854775808"),
    ("%llu", (2**64 - 1,), b"18446744073709551615"),
    ("%llx", (-1,), b"ffffffffffffffff"),
    ("%8llu", (42,), b"      42"),
    ("%010llu", (42,), b"0000000042"),
    ("%-5d|", (7,), b"7    |"),
    ("%05d", (-7,), b"-0007"),
    ("%s", ("cgroup",), b"cgroup"),
    ("%8s|%-8s|", ("ab", "cd"), b"      ab|cd      |"),
    ("%c%c", (72, 105), b"Hi"),
    ("100%%", (), b"100%"),
    ("no args\n", (), b"no args\n"),
])
def test_bpf_seq_printf_formats(fmt, args, out):
    assert bpf_bprintf_format(fmt.encode(), args) == out


@pytest.mark.parametrize("fmt,args,err", [
    ("%d", (), errno.EINVAL),                    # too few arguments
    ("%.2s", ("abc",), errno.EINVAL),            # no precision in bpf_bprintf_prepare
    ("%q", (1,), errno.EINVAL),                  # unknown conversion
    ("%hd", (1,), errno.EINVAL),                 # no h modifier in bpf_bprintf_prepare
    ("\x01", (), errno.EINVAL),                  # not printable
    ("%d" * 13, tuple(range(13)), errno.EINVAL),  # more than MAX_BPRINTF_VARARGS = 12
    ("%s%s", ("a" * 600, "b"), errno.ENOSPC),    # the 512-byte bounce buffer is full
])
def test_bpf_seq_printf_rejects(fmt, args, err):
    assert bpf_bprintf_format(fmt.encode(), args) == -err
    m = BpfSeqFile(size=64)
    assert m.printf(fmt, *args) == -err and m.count == 0


def test_printf_int_conversion_needs_an_int():
    with pytest.raises(TypeError, match="takes an integer"):
        bpf_bprintf_format(b"%d", ("1",))


def test_write_needs_bytes():
    with pytest.raises(TypeError):
        BpfSeqFile(size=8).write("text")


def test_capacity_is_511_not_512():
    assert capacity(64) == 511
    assert capacity(64, page_size=16384) == 2047
    assert capacity(64, page_size=65536) == 8191
    assert capacity(24, epilogue_bytes=7) == 1365
    assert capacity(32768) == 0
    with pytest.raises(ValueError):
        capacity(0)
