"""The side-by-side picture: cgroup_iter cut at the page limit beside the open-coded walk
into a ring buffer, replayed from the two traces."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_rgb  # noqa: E402

from cgiter_edu import shapes  # noqa: E402
from cgiter_edu.opencoded import both_ways  # noqa: E402
from cgiter_edu.viz import animate_past_limit, plot_past_limit  # noqa: E402
from cgiter_edu.viz.pastlimit import PAST_LIMIT_COLORS  # noqa: E402


@pytest.fixture(scope="module")
def both():
    return both_ways(shapes.random(800, seed=3, dead=0.05))


def test_final_picture_counts_match_the_walks(both):
    v = plot_past_limit(both)
    c = v.counts()
    assert c["iter"] == {"delivered": 511, "cut": 276, "dead_skipped": 13}
    assert c["open"] == {"delivered": 682 - 19, "dropped": 118, "dead_seen": 19}
    assert c["iter"]["delivered"] == both.iter.trace.counts()["delivered"]
    assert c["open"]["dropped"] == both.open.drops
    assert v.bar_texts[0].get_text() == "32,704 of 32,767 usable bytes "
    assert v.bar_texts[1].get_text().startswith("16,368 of 16,383 usable bytes")


def test_cells_are_the_colours_of_their_kind(both):
    v = plot_past_limit(both)
    top, bottom = v.colors()
    img = v.images[1].get_array()
    for cid in list(bottom)[:50] + list(bottom)[-50:]:
        i = v.index[cid]
        assert np.allclose(img[i // v.cols, i % v.cols], to_rgb(PAST_LIMIT_COLORS[bottom[cid]][0]))
    first_cut = next(cid for cid in v.order if top[cid] == "cut")
    assert v.order.index(first_cut) > 511


def test_steps_fill_both_sides_in_walk_order(both):
    v = plot_past_limit(both, step=0)
    assert set(v.colors()[1].values()) == {"unreached"}
    changed = v.update(100)
    assert v.images[0] in changed and v.images[1] in changed
    top, bottom = v.colors()
    assert sum(1 for k in bottom.values() if k != "unreached") == 100
    assert sum(1 for k in top.values() if k != "unreached") == 100
    v.update(None)
    assert v.counts() == plot_past_limit(both).counts()


def test_big_ring_delivers_everything():
    b = both_ways(shapes.balanced(1, 1000), ring_size=65536)
    c = plot_past_limit(b).counts()
    assert c["open"] == {"delivered": 1001, "dropped": 0, "dead_seen": 0}
    assert c["iter"]["delivered"] == 511 and c["iter"]["cut"] == 490


def test_animation(both, tmp_path):
    a = animate_past_limit(both, max_frames=10, hold=2)
    assert len(a) == 11 + 2 and a.steps[:3] == [0, 80, 160] and a.steps[-1] is None
    frames = list(a.frames(dpi=20))
    assert len(frames) == 13 and not np.array_equal(frames[0], frames[-1])
    assert a.save(tmp_path / "x.gif", progress=False).endswith("x.gif")
