"""Every order side by side, numbered in visiting order."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from cgiter_edu import KernelConfig, shapes  # noqa: E402
from cgiter_edu.viz import orders  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_orders_are_numbered_in_visiting_order():
    h = shapes.balanced(2, 3)
    views = orders.plot_orders(h).views
    assert set(views) == {1, 2, 3, 4, 5}
    for o, v in views.items():
        want = {c: str(i + 1) for i, c in enumerate(v.trace.visit_order())}
        assert v.number_texts() == want, o
        assert v.trace.order == o


def test_orders_without_children_on_6_18():
    views = orders.plot_orders(shapes.balanced(2, 2), kernel=KernelConfig.preset("6.18")).views
    assert set(views) == {1, 2, 3, 4}


