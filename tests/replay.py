"""Load the recorded real-kernel walks of tests/data (see cgiter_edu.kernel_walks)."""

from __future__ import annotations

from pathlib import Path

from cgiter_edu.kernel_walks import load, replay

DATA = Path(__file__).parent / "data"

__all__ = ["DATA", "load_cases", "replay"]


def load_cases(pattern: str = "*.jsonl") -> list[dict]:
    """Every case of every matching file in tests/data."""
    return [c for p in sorted(DATA.glob(pattern)) for c in load(p)]
