"""The state colours stay apart for readers with a colour-vision deficiency.

Each colour is simulated as a deuteranope and a protanope see it (colorspacious'
Machado et al. 2009 model at full severity) and every pair of states must stay at least
``MIN_DELTA_E`` apart in CAM02-UCS (about 10 is a difference seen at a glance, 1 the
smallest one seen at all).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

colorspacious = pytest.importorskip("colorspacious")

from cgiter_edu.replay import CgroupState  # noqa: E402
from cgiter_edu.viz.style import COLORS, STATE_COLORS  # noqa: E402

MIN_DELTA_E = 12.0


def _rgb(hex_colour: str) -> np.ndarray:
    return np.array([int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)]) / 255


def _seen(rgb: np.ndarray, cvd: str | None) -> np.ndarray:
    if cvd is None:
        return rgb
    space = {"name": "sRGB1+CVD", "cvd_type": cvd, "severity": 100}
    return np.clip(colorspacious.cspace_convert(rgb, space, "sRGB1"), 0, 1)


def _closest(colours: dict, cvd: str | None) -> tuple[float, str, str]:
    ucs = {k: colorspacious.cspace_convert(_seen(_rgb(v), cvd), "sRGB1", "CAM02-UCS")
           for k, v in colours.items()}
    return min((float(np.linalg.norm(ucs[a] - ucs[b])), str(a), str(b))
               for a, b in itertools.combinations(ucs, 2))


@pytest.mark.parametrize("cvd", [None, "deuteranomaly", "protanomaly"])
def test_every_pair_of_cgroup_states_stays_apart(cvd):
    d, a, b = _closest(STATE_COLORS, cvd)
    assert d >= MIN_DELTA_E, f"{a} and {b} are {d:.1f} apart for {cvd or 'normal vision'}"


@pytest.mark.parametrize("cvd", [None, "deuteranomaly", "protanomaly"])
def test_the_mutex_lanes_stay_apart(cvd):
    lanes = {k: COLORS[k] for k in ("mutex_held", "mutex_wait", "mutex_writer")}
    d, a, b = _closest(lanes, cvd)
    assert d >= MIN_DELTA_E, f"{a} and {b} are {d:.1f} apart for {cvd or 'normal vision'}"


def test_the_check_catches_a_confusable_pair():
    """Red and green, the classic pair, are far apart for normal vision and close for a
    deuteranope: the check would fail on them."""
    pair = {CgroupState.DELIVERED: "#4CAF50", CgroupState.LOST: "#E0654F"}
    assert _closest(pair, None)[0] >= MIN_DELTA_E
    assert _closest(pair, "deuteranomaly")[0] < MIN_DELTA_E


# -- the cue besides the colour: every state told apart without colour, in every view ------

def _shape_key(path) -> tuple:
    """A marker path as comparable data (its vertices, rounded, and codes)."""
    return (tuple(np.round(path.vertices, 6).ravel()),
            tuple(path.codes) if path.codes is not None else None)


def _walk_with_every_state():
    """A 2000-cgroup walk cut at the page limit, some cgroups dead: at its middle step and
    at its end it shows most states."""
    from cgiter_edu import Order, programs, run, shapes

    h = shapes.random(2000, seed=3, dead=0.05)
    return run(h, programs.Record(rec_bytes=64), Order.DESCENDANTS_PRE, trace=True).trace


def test_every_state_has_its_own_marker_and_hatch():
    from cgiter_edu.viz.style import STATE_HATCHES, state_marker

    assert set(STATE_HATCHES) == set(CgroupState)
    assert all(STATE_HATCHES.values()), "a state without a hatch in the icicle view"
    assert len(set(STATE_HATCHES.values())) == len(CgroupState)
    assert len({_shape_key(state_marker(s)) for s in CgroupState}) == len(CgroupState)


@pytest.mark.parametrize("view", ["tree", "list", "icicle"])
def test_every_cgroup_drawn_with_its_states_cue(view):
    """Read back from the picture: each cgroup carries its state's cue (marker shape in the
    tree and list views, hatch in the icicle view), and no two states share one."""
    import matplotlib

    matplotlib.use("Agg")
    from cgiter_edu.viz import plot_walk
    from cgiter_edu.viz.style import STATE_HATCHES, state_marker

    trace = _walk_with_every_state()
    seen: dict = {}
    for step in (len(trace.events) // 2, None):
        v = plot_walk(trace, step=step, view=view, labels=None)
        states = trace.states(step)
        drawn = v.hatch_patterns() if view == "icicle" else {
            cid: _shape_key(p) for cid, p in v.shapes().items()}
        assert set(drawn) == set(v.ids), "a cgroup drawn with no cue besides its colour"
        for cid, cue in drawn.items():
            st = states.get(cid, CgroupState.UNREACHED)
            want = STATE_HATCHES[st] if view == "icicle" else _shape_key(state_marker(st))
            assert cue == want, f"cgroup {cid} ({st.name}) drawn with another state's cue"
            seen.setdefault(cue, set()).add(st)
        matplotlib.pyplot.close(v.figure)
    assert len(seen) >= 4 and all(len(s) == 1 for s in seen.values())


def test_every_past_limit_cell_has_its_kinds_shape():
    import matplotlib

    matplotlib.use("Agg")
    from cgiter_edu import shapes
    from cgiter_edu.opencoded import both_ways
    from cgiter_edu.viz import plot_past_limit
    from cgiter_edu.viz.pastlimit import PAST_LIMIT_COLORS, past_limit_marker

    keys = {k: _shape_key(past_limit_marker(k)) for k in PAST_LIMIT_COLORS}
    assert len(set(keys.values())) == len(PAST_LIMIT_COLORS), "two cell kinds share a shape"
    both = both_ways(shapes.random(800, seed=3, dead=0.05))
    kinds_seen = set()
    for step in (300, None):
        v = plot_past_limit(both, step)
        for kinds, drawn in zip(v.colors(), v.shapes(), strict=True):
            assert set(drawn) == set(v.order)
            for cid, path in drawn.items():
                assert _shape_key(path) == keys[kinds[cid]], (cid, kinds[cid])
                kinds_seen.add(kinds[cid])
        matplotlib.pyplot.close(v.figure)
    assert kinds_seen == set(PAST_LIMIT_COLORS)
