"""The explorer's kernel line (cgiter_edu/widgets/kernelcheck.py): the walk checked on
this machine's kernel in a thread, or why it cannot be, and which recorded walk of a
real kernel the picture is.  The live tests take ``require_live``."""

from __future__ import annotations

import pytest

from cgiter_edu import kernel_walks
from cgiter_edu.live.availability import Availability
from cgiter_edu.widgets import Explorer
from cgiter_edu.widgets import kernelcheck as kc


def convertible():
    out = []
    for case in kernel_walks.bundled():
        try:
            kc.settings_from_recorded(case)
        except ValueError:
            continue
        out.append(case)
    return out


def test_recorded_walks_open_in_the_explorer_and_are_named():
    cases = convertible()
    assert len(cases) >= 5
    for case in cases:
        ex = Explorer.from_recorded(case, check_kernel=False)
        line = ex.kernel_check.text
        assert ex.kernel_check.state == "unavailable"
        assert f"({case['_where']}): its read() results are this picture's: " in line, line
        assert f"recorded on Linux {case['kernel']}" in line
        shown = kc.recorded_results(case)[:len(ex.walk.results)]
        assert ex.walk.results[:len(shown)] == shown


def test_a_walk_no_kernel_recorded_says_so():
    ex = Explorer(check_kernel=False)
    assert ex.kernel_check.text.endswith(
        "No walk recorded on a real kernel has this tree and these settings "
        "(Explorer.from_recorded opens one).")
    # one setting changed: no longer the recorded walk
    case = convertible()[0]
    ex = Explorer.from_recorded(case, check_kernel=False)
    ex.set(read_size=case["read_size"] + 1)
    assert "No walk recorded" in ex.kernel_check.text


def test_where_the_backend_cannot_run_one_line_says_why(monkeypatch):
    from cgiter_edu import live

    monkeypatch.setattr(live, "available", lambda refresh=False: Availability(
        False, "not root: loading BPF programs and creating cgroups need it", "run as root"))
    case = convertible()[0]
    ex = Explorer.from_recorded(case, check_kernel=True)
    assert ex.kernel_check.state == "unavailable"
    assert ex.kernel_check.text.startswith(
        "cannot check on the kernel here: not root: loading BPF programs and creating "
        f"cgroups need it. This picture is the walk recorded on Linux {case['kernel']}")
    assert "\n" not in ex.kernel_check.text


def test_a_difference_is_named(monkeypatch):
    """The kernel's answer is live.compare's: a differing read() is shown as the
    Comparison names it (here the kernel side is made to differ)."""
    from cgiter_edu import live
    from cgiter_edu.live.comparison import Comparison
    from cgiter_edu.run import RunResult

    def fake_compare(h, prog, order, start, **kw):
        e = RunResult(read_size=4096, reads=[(5, b"C 1 0"), (0, b"")])
        k = RunResult(read_size=4096, reads=[(-95, b"")], backend="kernel")
        return Comparison(e, k)

    monkeypatch.setattr(live, "compare", fake_compare)
    state, text = kc.KernelCheck._check(Explorer(check_kernel=False).settings.with_(
        kernel="6.18"), None)
    assert state == "differs"
    assert text.startswith("✘ the kernel differs from the picture: read #1: emulator 5, "
                           "kernel EOPNOTSUPP")


def test_live_the_kernel_agrees_in_the_background(require_live):
    from cgiter_edu.live.cases import machine_kernel

    mk = machine_kernel().name
    ex = Explorer(kernel=mk, record_bytes=64, read_size=4096, check_kernel=True)
    assert ex.kernel_check.wait() == "agrees", ex.kernel_check.text
    line = ex.kernel_check.text
    assert line.startswith("✔ the kernel agrees: Linux ")
    # the same read() calls as the picture (it said 4 results beside a picture of 2)
    res = ex.walk.results
    assert f"gave the same {len(res)} read() results ({', '.join(map(str, res))})" in line
    ex.set(extra_reads=2)
    assert ex.kernel_check.wait() == "agrees", ex.kernel_check.text
    assert f"gave the same {len(res) + 2} read() results" in ex.kernel_check.text
    ex.set(kernel="7.0" if mk != "7.0" else "6.1")
    assert ex.kernel_check.wait() == "unavailable"
    assert ex.kernel_check.text.startswith(f"this machine runs Linux {mk}; the picture is")
    ex.set(kernel=mk, program="paths")
    assert ex.kernel_check.wait() == "unavailable"
    assert "the paths program has no C twin" in ex.kernel_check.text


@pytest.mark.parametrize("i", range(2))
def test_live_recorded_walks_agree_with_the_kernel_here(require_live, i):
    """A recorded walk opened in the explorer is checked on this kernel (a 6.18 one: the
    recordings are 6.18's)."""
    from cgiter_edu.live.cases import machine_kernel

    if machine_kernel().name != "6.18":
        pytest.skip("the bundled walks were recorded on 6.18")
    case = convertible()[i]
    ex = Explorer.from_recorded(case, check_kernel=True)
    assert ex.kernel_check.wait() == "agrees", ex.kernel_check.text
