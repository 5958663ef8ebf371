"""Walks recorded on real kernels (6.18 on the development machine; 6.1 and 6.12 LTS
booted in QEMU by `cgiter-edu record --kernel-image`), replayed through the public API
as the kernel that recorded them: every read() must match byte for byte and errno for
errno."""

import pytest
from replay import load_cases, replay

CASES = load_cases()


def test_all_sixty_are_there():
    assert len([c for c in CASES if c["_where"].startswith("kernel-6.18-sample")]) == 60


@pytest.mark.parametrize("series", ["6.1", "6.12", "6.18"])
def test_each_verified_kernel_has_recorded_walks(series):
    """At least 60 walks recorded on each kernel the presets were verified on, each
    replayed as its own kernel (its ``kernel`` field picks the preset)."""
    from cgiter_edu.kernel_walks import kernel_of

    mine = [c for c in CASES if str(c.get("kernel", "6.18")).startswith(series + ".")]
    assert len(mine) >= 60, series
    assert {kernel_of(c).name for c in mine} == {series}


@pytest.mark.parametrize("case", CASES, ids=[c["_where"] for c in CASES])
def test_recorded_walk(case):
    attach_errno, reads = replay(case)
    assert attach_errno == case["attach_errno"]
    assert reads == case["reads"]
