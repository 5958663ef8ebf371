"""bpf_seq_printf on the real kernel against the emulator, format by format.

Each case of ``cgiter_edu.live.printf.CASES`` (every rule of bpf_bprintf_prepare and
bstr_printf: flags, widths, lengths, %%, what may follow %s, the %p family, which bytes a
format may hold, the argument count, the 512-byte bounce buffer, the seq_file buffer)
runs once in the ``cgroup_printf`` program and once in the emulator; return value,
read() results and bytes must be the same (hashed pointers compared by shape).
Marked ``live``: root, BPF, cgroup v2, clang and libbpf.
"""

from __future__ import annotations

import collections
import dataclasses

import pytest

from cgiter_edu.live import printf

pytestmark = pytest.mark.live


@pytest.fixture(scope="module")
def kernel(require_live):
    return printf.emulator_kernel()


def test_there_are_enough_cases_and_every_outcome_is_covered():
    assert len(printf.CASES) >= 80
    notes = [c.note for c in printf.CASES]
    assert len(set(notes)) == len(notes), "each case says which rule it shows"


@pytest.mark.parametrize("case", printf.CASES, ids=[c.note for c in printf.CASES])
def test_printf_matches_the_kernel(case, kernel):
    c = printf.compare(case, kernel)
    assert c.match, c.format()


def test_the_cases_see_every_return_value(kernel):
    rets = collections.Counter(printf.run_kernel(case)[0] for case in printf.CASES)
    assert set(rets) == {0, -22, -28, -75}, rets          # 0, EINVAL, ENOSPC, EOVERFLOW


def test_a_kernel_without_the_utf8_fix_would_differ(kernel):
    """The comparison can fail: the emulator as a kernel before b960430ea886 refuses
    UTF-8 text this kernel prints."""
    case = next(c for c in printf.CASES if c.note == "UTF-8 text outside conversions")
    old = dataclasses.replace(kernel, bprintf_utf8=False)
    c = printf.compare(case, old)
    assert not c.match and c.kernel_ret == 0 and c.emulator_ret == -22


def test_hashed_pointers_are_stable_and_not_the_address(kernel):
    ret, res = printf.run_kernel(printf.PrintfCase("%p %p %p", (0x1234, 0x1234, 0x1235)))
    a, b, c = res.output.split()
    assert ret == 0 and a == b != c and a.startswith(b"00000000") and a != b"0000000000001234"
    ret, res = printf.run_emulated(printf.PrintfCase("%p %p %p", (0x1234, 0x1234, 0x1235)),
                                   kernel)
    a, b, c = res.output.split()
    assert ret == 0 and a == b != c and a.startswith(b"00000000") and a != b"0000000000001234"


def test_cli_printf_runs_one_call_on_both_sides(require_live, capsys):
    from cgiter_edu.cli import main

    assert main(["live", "--printf", r"%5d|%-4s|%llx\n", "42", "ab", "-1"]) == 0
    out = capsys.readouterr().out
    assert out.count(r"b'   42|ab  |ffffffffffffffff\n'") == 2 and out.endswith("MATCH\n")
    assert main(["live", "--printf", "%.2s", "abc"]) == 0
    assert "ret -22 (EINVAL)" in capsys.readouterr().out
    assert main(["live", "--printf", "%llu", str(2**64)]) == 1
    assert "does not fit a 64-bit register" in capsys.readouterr().err
