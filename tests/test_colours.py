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

from cgiter_edu.trace import CgroupState  # noqa: E402
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
