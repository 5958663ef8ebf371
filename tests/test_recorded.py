"""The 60 walks recorded on a real Linux 6.18 kernel, replayed through the public API:
every read() must match byte for byte and errno for errno."""

import pytest
from replay import load_cases, replay

CASES = load_cases()


def test_all_sixty_are_there():
    assert len([c for c in CASES if c["_where"].startswith("kernel-6.18-sample")]) == 60


@pytest.mark.parametrize("case", CASES, ids=[c["_where"] for c in CASES])
def test_recorded_walk(case):
    attach_errno, reads = replay(case)
    assert attach_errno == case["attach_errno"]
    assert reads == case["reads"]
