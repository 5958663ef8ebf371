"""The explorer's "past the page limit" mode, driven as a student would."""

import pytest

pytest.importorskip("ipywidgets")

from cgiter_edu import shapes  # noqa: E402
from cgiter_edu.widgets import PastLimitExplorer  # noqa: E402


def test_controls_change_the_picture_and_counts():
    ex = PastLimitExplorer(tree=shapes.random(800, seed=3, dead=0.05), ring_size=16384)
    assert ex.counts() == {"iter": {"delivered": 511, "cut": 276, "dead_skipped": 13},
                           "open": {"delivered": 663, "dropped": 118, "dead_seen": 19}}
    assert ex.image.value[:4] == b"\x89PNG" and "118 dropped" in ex.summary.value
    before = ex.image.value
    ex.ring_box.value = 32768                       # as a student picks it
    assert ex.counts()["open"] == {"delivered": 776, "dropped": 0, "dead_seen": 24}
    assert ex.image.value != before
    ex.record_box.value = 24
    assert ex.counts()["iter"]["cut"] == 0 and ex.counts()["iter"]["delivered"] == 776


def test_slider_steps_through_both_walks():
    ex = PastLimitExplorer(tree="systemd")
    end = ex.image.value
    assert ex.slider.value == ex.slider.max == 22
    ex.slider.value = 5
    c = ex.counts()
    assert c["iter"]["delivered"] + c["iter"]["dead_skipped"] == 5
    assert sum(c["open"].values()) == 5 and ex.image.value != end
    ex.show(None)
    assert ex.image.value == end and ex.counts()["open"]["dead_seen"] == 1


def test_bad_ring_size_is_a_message_not_a_traceback():
    ex = PastLimitExplorer(tree="systemd")
    ex.set(ring_size=5000)
    assert "EINVAL" in ex.message.value and ex.ring_box.value == 16384
    ex.set(tree="kubernetes")
    assert ex.message.value == "" and ex.tree_box.value == "kubernetes"


def test_the_mode_is_built_only_when_opened():
    from cgiter_edu.widgets import past_limit_mode

    acc = past_limit_mode(tree="systemd", ring_size=4096)
    (holder,) = acc.children
    assert holder.children == () or list(holder.children) == []
    acc.selected_index = 0
    (ex,) = holder.children
    assert ex.counts()["open"]["delivered"] == 21 and ex.counts()["open"]["dead_seen"] == 1
    acc.selected_index = None
    acc.selected_index = 0
    assert holder.children[0] is ex                      # built once
