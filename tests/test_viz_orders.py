"""Every order side by side, numbered in visiting order."""

from __future__ import annotations

import pytest
from vizkit import SLIDE_PX_PER_INCH, number_px

from cgiter_edu import KernelConfig, shapes
from cgiter_edu.viz import orders


def test_orders_are_numbered_in_visiting_order():
    h = shapes.balanced(2, 3)
    views = orders.plot_orders(h, kernel=KernelConfig.preset("7.0")).views
    assert set(views) == {1, 2, 3, 4, 5}
    for o, v in views.items():
        want = {c: str(i + 1) for i, c in enumerate(v.trace.visit_order())}
        assert v.number_texts() == want, o
        assert v.trace.order == o


def test_orders_without_children_on_6_18():
    views = orders.plot_orders(shapes.balanced(2, 2), kernel=KernelConfig.preset("6.18")).views
    assert set(views) == {1, 2, 3, 4}


def test_the_default_kernel_is_the_packages_as_in_the_cli(tmp_path):
    """plot_orders() without a kernel draws what ``cgiter-edu plot orders`` draws: Linux
    6.18's four orders (it drew 7.0's five, the CLI 6.18's four); CHILDREN only when
    the caller asks for 7.0 (lesson 02 does)."""
    from cgiter_edu.kernel.config import DEFAULT_NAME
    from cgiter_edu.scenarios import order_traces

    assert DEFAULT_NAME == "6.18"
    h = shapes.balanced(2, 3)
    v = orders.plot_orders(h)
    assert set(v.views) == {1, 2, 3, 4}
    assert {pv.trace.kernel for pv in v.views.values()} == {"6.18"}
    assert v.figure._suptitle.get_text().endswith("Linux 6.18")
    assert set(order_traces(h)) == {1, 2, 3, 4}
    # the CLI's picture of the same tree, pixel for pixel
    import matplotlib.pyplot as plt
    from matplotlib.testing.compare import compare_images

    from cgiter_edu.cli.parser import main
    from cgiter_edu.clihelpers import load_tree
    from cgiter_edu.viz.style import slide_style

    cli, ours = tmp_path / "cli.png", tmp_path / "ours.png"
    assert main(["plot", "orders", "--tree", "small", "--dpi", "40", "-o", str(cli)]) == 0
    with slide_style():
        orders.plot_orders(load_tree("small")).figure.savefig(ours, dpi=40)
    plt.close("all")
    assert compare_images(str(cli), str(ours), tol=0) is None




SHAPES = {"systemd": shapes.systemd_host, "kubernetes": shapes.kubernetes_node,
          "balanced": lambda: shapes.balanced(2, 3), "small": lambda: shapes.balanced(3, 2)}


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_panel_texts_do_not_overprint_each_other(shape):
    # the ANCESTORS_UP subtitle names a deep start: it must stay inside its panel
    v = orders.plot_orders(SHAPES[shape]())
    fig = v.figure
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    boxes = []
    for pv in v.views.values():
        texts = [t for t in pv.ax.texts if t.get_text()] + [pv.ax.title]
        boxes += [(pv.ax, t.get_window_extent(r)) for t in texts]
    for i, (ax_a, a) in enumerate(boxes):
        for ax_b, b in boxes[i + 1:]:
            if ax_a is not ax_b:
                assert not a.overlaps(b), (a, b)
    for pv in v.views.values():
        width = pv.ax.get_window_extent(r).x1
        right = max(t.get_window_extent(r).x1 for t in pv.ax.texts if t.get_text())
        assert right <= width + 2


def _segments(arrow):
    from matplotlib.path import Path as MPath

    verts, codes = arrow
    pts = MPath(verts, codes).to_polygons(closed_only=False)[0]   # curves flattened
    return list(zip(pts, pts[1:], strict=False))


def _cross(p, q, r_, s):
    def orient(a, b, c):
        v = (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])
        return 0 if abs(v) < 1e-6 else (1 if v > 0 else -1)
    o1, o2, o3, o4 = orient(p, q, r_), orient(p, q, s), orient(r_, s, p), orient(r_, s, q)
    return o1 * o2 < 0 and o3 * o4 < 0          # a proper crossing, not touching ends


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_the_walks_arrows_never_cross_each_other(shape):
    from cgiter_edu.viz.geometry import walk_arrows

    v = orders.plot_orders(SHAPES[shape]())
    for o, pv in v.views.items():
        seq = list(dict.fromkeys(pv.trace.visit_order()))
        arrows = [a for a in walk_arrows(pv.geometry, pv.tree, seq) if a is not None]
        segs = [_segments(a) for a in arrows]
        for i in range(len(segs)):
            for j in range(i + 1, len(segs)):
                for p, q in segs[i]:
                    for r_, s in segs[j]:
                        assert not _cross(p, q, r_, s), (o, i, j)


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_every_arrow_is_long_enough_to_show_its_direction(shape):
    import math

    v = orders.plot_orders(SHAPES[shape]())
    for o, pv in v.views.items():
        for arr in pv.path_arrows:
            verts = arr.get_path().vertices
            # the last leg carries the head: at least a marker wide, in layout points
            (x0, y0), (x1, y1) = verts[-2], verts[-1]
            assert math.hypot(x1 - x0, y1 - y0) >= 0.5 * pv.geometry.marker, o


def test_legend_lists_only_states_that_occur():
    from cgiter_edu.replay import CgroupState

    v = orders.plot_orders(shapes.balanced(2, 3))      # no dead cgroup in it
    labels = [t.get_text() for t in v.legend_ax.get_legend().get_texts()]
    from cgiter_edu.viz.style import STATE_LABELS

    assert STATE_LABELS[CgroupState.DEAD] not in labels
    assert STATE_LABELS[CgroupState.DELIVERED] in labels


def test_the_key_names_only_what_the_panels_draw():
    small = orders.plot_orders(shapes.balanced(2, 3))
    assert small.legend_ax.texts[0].get_text() == "numbers: visiting order\narrows: the walk's path"
    big = orders.plot_orders(shapes.random(200, seed=0))        # list panels, tiny numbers
    assert not any(v.path_arrows if hasattr(v, "path_arrows") else False
                   for v in big.views.values())
    key = big.legend_ax.texts[0].get_text()
    assert "numbers" not in key and "arrows" not in key


@pytest.mark.parametrize("shape", sorted(SHAPES))
@pytest.mark.parametrize("order", [2, 3])
def test_arrows_keep_clear_of_each_other_and_of_labels_in_a_labelled_tree(shape, order):
    from cgiter_edu import programs, run
    from cgiter_edu.viz import walk_view as walk
    from cgiter_edu.viz.geometry import walk_arrows

    t = run(SHAPES[shape](), programs.Record(rec_bytes=64), order, trace=True).trace
    v = walk.plot_walk(t, view="tree", path=True, labels="name")
    g = v.geometry
    seq = t.visit_order()
    segs = [_segments(a) for a in walk_arrows(g, v.tree, seq) if a is not None]
    for i in range(len(segs)):
        for j in range(i + 1, len(segs)):
            assert not any(_cross(p, q, r_, s) for p, q in segs[i] for r_, s in segs[j]), (i, j)
    # no horizontal leg runs through a label (labels sit right of the marker, at its y)
    fs = 16.0
    for sg in segs:
        for (x0, y0), (x1, y1) in sg:
            if abs(y1 - y0) > 1e-6:
                continue
            for cid, (lx, ly) in g.label_xy.items():
                if abs(ly - y0) < 0.3 * fs:
                    lo, hi = sorted((x0, x1))
                    assert hi <= lx + 1e-6 or lo >= g.reach[cid] - 1e-6, cid


@pytest.mark.parametrize("kernel", ["6.18", "7.0"])
def test_subtitles_are_readable_on_a_slide(kernel):
    """Each panel's 'from /: css_next_descendant_pre()' is at least 14 px where the deck
    shows the picture (it was 12 pt shrunk to 9: 9 to 11 px), and so are the visit
    numbers in its markers (lesson 02's picture: Linux 7.0, its five panels)."""
    v = orders.plot_orders(shapes.balanced(2, 3), "/", up_start="/c1/c2",
                           kernel=KernelConfig.preset(kernel))
    for o, pv in v.views.items():
        subs = [t for t in pv.ax.texts if t.get_text().startswith("from ")]
        assert len(subs) == 1, o
        assert subs[0].get_fontsize() / 72 * SLIDE_PX_PER_INCH >= 14, (o, subs[0].get_text())
        assert pv.numbers_mode == "visit" and pv.number_texts(), o
        assert number_px(pv) >= 14, (o, number_px(pv))


def test_the_trees_use_the_height_of_the_picture():
    """Four orders (6.18, the CLI's and README's picture) stood in one row of narrow
    panels: trees 13% of the figure's height, 40% of it blank above and below them.
    Three per row, the legend in the free place: the trees cover at least 30%."""
    v = orders.plot_orders(shapes.balanced(2, 3), kernel=KernelConfig.preset("6.18"))
    fig = v.figure
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    spans = set()
    for pv in v.views.values():
        y0, y1 = None, None
        for coll in pv.ax.collections:
            offs = coll.get_offsets()
            if len(offs):
                ys = pv.ax.transData.transform(offs)[:, 1]
                y0 = ys.min() if y0 is None else min(y0, ys.min())
                y1 = ys.max() if y1 is None else max(y1, ys.max())
        spans.update(range(int(y0), int(y1) + 1))
    assert r is not None and len(spans) / fig.bbox.height >= 0.30, len(spans) / fig.bbox.height
