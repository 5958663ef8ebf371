"""The cgroup_mutex lanes replay LOCK/UNLOCK and a waiting writer."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from cgiter_edu.trace import EventKind  # noqa: E402
from cgiter_edu.viz import mutex, scenes  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


# -- the mutex --------------------------------------------------------------------------

def test_mutex_lane_replays_lock_unlock_and_the_waiting_writer():
    tr = scenes.writer_waits()
    v = mutex.plot_mutex(tr)
    assert len(v.spans.held) == len(tr.of_kind(EventKind.LOCK))
    assert len(v.spans.waits) == 1 and v.spans.waits[0][2].startswith("mkdir")
    assert [e.step for _a, _b, e in v.spans.reads] == [e.step for e in tr.reads]
    for a, b in v.spans.held:
        assert tr[a].kind is EventKind.LOCK and tr[b].kind is EventKind.UNLOCK
    v.update(5)
    assert v.cursor.get_visible()


