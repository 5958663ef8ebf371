"""Baseline images: each picture compared with the one in tests/baseline/.

Rendering here is deterministic (the same picture gives RMS 0.0), so the tolerance
is tight: at dpi 80 an RMS of at most 1 (out of 255) passes.  The two "fails for"
tests prove the comparison can fail for the small changes that matter: the walk one
step earlier, and the walk without its seq numbers.  Regenerate (after a deliberate
change of a picture, looking at each) with
``CGITER_UPDATE_BASELINES=1 pytest tests/test_viz_baseline.py``.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from matplotlib.testing.compare import compare_images
from vizkit import K70, make_trace

from cgiter_edu import scenarios, shapes
from cgiter_edu.viz import buffer_view, capacity, mutex_view, orders, style, walk_view

BASELINE = Path(__file__).parent / "baseline"
UPDATE = os.environ.get("CGITER_UPDATE_BASELINES") == "1"
DPI = 80
TOL = 1.0


def _walk_pre(step, **kw):
    _r, pre = make_trace(read_size=512)
    return walk_view.plot_walk(pre, step=step, **kw).figure


def _figure(name):
    with style.slide_style():
        if name == "walk_pre_step20":
            return _walk_pre(20)
        if name == "buffer_truncated":
            return buffer_view.plot_buffer(scenarios.truncated_walk()).figure
        if name == "mutex_reads":
            _r, pre = make_trace(read_size=512)
            return mutex_view.plot_mutex(pre).figure
        if name == "capacity":
            return capacity.plot_capacity().figure
        if name == "orders_balanced":
            # lesson 02's five orders (the default kernel, 6.18, draws four: docs/img/orders.png)
            return orders.plot_orders(shapes.balanced(2, 3), kernel=K70).figure
    raise KeyError(name)


def _compare(fig, name, tmp_path, update=UPDATE):
    got = tmp_path / f"{name}.png"
    fig.savefig(got, dpi=DPI)
    want = BASELINE / f"{name}.png"
    if update:
        BASELINE.mkdir(exist_ok=True)
        shutil.copy(got, want)
    assert want.exists(), f"no baseline {want}: run with CGITER_UPDATE_BASELINES=1 once"
    return compare_images(str(want), str(got), tol=TOL)


@pytest.mark.parametrize("name", ["walk_pre_step20", "buffer_truncated", "mutex_reads",
                                  "capacity", "orders_balanced"])
def test_baseline_images(name, tmp_path):
    diff = _compare(_figure(name), name, tmp_path)
    assert diff is None, diff


def test_the_step_before_fails_against_the_baseline(tmp_path):
    diff = _compare(_walk_pre(19), "walk_pre_step20", tmp_path, update=False)
    assert diff is not None and "did not match" in diff


def test_a_walk_without_seq_numbers_fails_against_the_baseline(tmp_path):
    diff = _compare(_walk_pre(20, numbers=None), "walk_pre_step20", tmp_path, update=False)
    assert diff is not None and "did not match" in diff
