"""The hierarchy picture replays the trace: colours, numbers, labels, read back from
the drawn artists."""

from __future__ import annotations

import itertools
import re

import pytest
from matplotlib.colors import to_rgba
from vizkit import CASES, case_trace, make_trace, number_px, some_steps

from cgiter_edu import Order, shapes
from cgiter_edu.events import EventKind
from cgiter_edu.replay import CgroupState
from cgiter_edu.viz import analysis, style
from cgiter_edu.viz import walk_view as walk
from cgiter_edu.viz.legend import DEAD_OUTLINE


def _label_boxes(view):
    fig = view.figure
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    return [t.get_window_extent(r) for t in view.labels]


def _overlaps(boxes):
    boxes = sorted(boxes, key=lambda b: b.x0)
    bad = 0
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            if b.x0 >= a.x1:
                break
            if min(a.y1, b.y1) - max(a.y0, b.y0) > 0.5 and min(a.x1, b.x1) - max(a.x0, b.x0) > 0.5:
                bad += 1
    return bad


@pytest.mark.parametrize("shape,labels", [("systemd", "name"), ("kubernetes", "name"),
                                          ("random300", "id"), ("random300", "name")])
def test_labels_never_collide(shape, labels):
    h = {"systemd": shapes.systemd_host, "kubernetes": shapes.kubernetes_node,
         "random300": lambda: shapes.random(300, seed=1, dead=0.05)}[shape]()
    _res, tr = make_trace(h)
    view = walk.plot_walk(tr, labels=labels)
    assert view.view in ("tree", "list")
    boxes = _label_boxes(view)
    assert len(boxes) == len(tr.cgroups)          # every cgroup has its label
    assert _overlaps(boxes) == 0
    fs = min(t.get_fontsize() for t in view.labels)
    assert fs >= 6


def test_thousands_get_the_icicle():
    _res, tr = make_trace(shapes.balanced(2, 60))
    view = walk.plot_walk(tr)
    assert view.view == "icicle"
    assert len(view.colors()) == len(tr.cgroups)


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("view", ["tree", "list", "icicle"])
def test_each_cgroup_has_the_colour_of_its_state(case, view):
    _res, tr = case_trace(case)
    v = walk.plot_walk(tr, view=view)
    for step in some_steps(tr):
        v.update(step)
        states = tr.states(step)
        drawn = v.colors()
        assert set(drawn) == set(states)
        for cid, s in states.items():
            assert drawn[cid] == pytest.approx(to_rgba(style.STATE_COLORS[s])), (step, cid, s)
        if v.numbers_mode:                  # numbers too small to read are not drawn
            shown = v.number_texts()
            want = analysis.seq_numbers(tr, step)
            assert shown == {c: str(n) for c, n in want.items()}


def test_dead_cgroup_is_skipped_black_and_keeps_its_seq_num():
    h = shapes.systemd_host()
    _res, tr = make_trace(h)
    skips = tr.of_kind(EventKind.SKIP)
    assert skips, "the systemd shape has a dead session"
    v = walk.plot_walk(tr)
    cid = skips[0].cgroup
    assert v.colors()[cid] == pytest.approx(to_rgba(style.STATE_COLORS[CgroupState.DEAD]))
    assert v.number_texts()[cid] == str(skips[0].seq_num)


def test_current_cgroup_is_highlighted_mid_walk():
    _res, tr = make_trace()
    shows = [e for e in tr.of_kind(EventKind.SHOW) if e.cgroup is not None]
    step = shows[3].step
    v = walk.plot_walk(tr, step=step)
    cur = [c for c, s in tr.states(step).items() if s is CgroupState.CURRENT]
    assert cur and all(v.colors()[c] == pytest.approx(to_rgba(style.OKABE_ITO["yellow"]))
                       for c in cur)
    assert "step" in v.caption.get_text()

def test_captions_elide_long_paths_so_they_fit_the_slide():
    from cgiter_edu import Order, programs, run, shapes
    from cgiter_edu.events import EventKind
    from cgiter_edu.viz.words import describe_step, short_path

    assert short_path("/a/" + "b" * 50 + "/c", 20) == "/a/.../c"
    assert short_path("/system.slice/sshd.service") == "/system.slice/sshd.service"
    t = run(shapes.kubernetes_node(), programs.Record(rec_bytes=64), Order.DESCENDANTS_POST,
            trace=True).trace
    shows = [e.step for e in t.events if e.kind is EventKind.SHOW and e.cgroup is not None]
    longest = max(len(describe_step(t, s)) for s in shows)
    assert longest <= 110, longest
    assert any("/.../cri-containerd-" in describe_step(t, s) for s in shows)


def test_caption_counts_steps_from_0_like_the_step_flag():
    _res, tr = make_trace(order=Order.DESCENDANTS_POST)
    v = walk.plot_walk(tr, step=12)
    n = len(tr.events)
    assert v.caption.get_text().startswith(f"step 12/{n - 1}: ")
    assert v.caption_text == v.caption.get_text()
    v.update(0)
    assert v.caption.get_text().startswith(f"step 0/{n - 1}: read() #1")


def test_legend_lists_the_states_that_occur_and_only_those():
    _res, tr = make_trace(order=Order.DESCENDANTS_POST)
    v = walk.plot_walk(tr, step=12)
    labels = [t.get_text() for t in v.legend.get_texts()]
    want = {style.STATE_LABELS[s] for s in set(tr.states(12).values())}
    assert set(labels) == want | {DEAD_OUTLINE}           # the host's dead session-1.scope
    assert style.STATE_LABELS[CgroupState.LOST] not in labels
    end = walk.plot_walk(tr)
    assert [t.get_text() for t in end.legend.get_texts()] == [
        style.STATE_LABELS[s] for s in CgroupState if s in set(tr.states(None).values())
    ] + [DEAD_OUTLINE]


def _dead_never_reached():
    """The systemd host walked in post-order with 3000-byte records: the walk is cut at
    user@1000.service, before the dead session-1.scope (a ring like the cgroups around it,
    only its dashed outline says it is dead)."""
    h = shapes.systemd_host()
    _r, tr = make_trace(h, order=Order.DESCENDANTS_POST, rec=3000)
    (dead,) = [c for c, (path, _parent, d) in tr.cgroups.items() if d]
    assert tr.cgroups[dead][0] == "/user.slice/user-1000.slice/session-1.scope"
    return tr, dead


@pytest.mark.parametrize("view", ["tree", "list"])
def test_the_dead_cgroups_dashed_outline_has_a_legend_entry(view):
    """A dead cgroup the walk never reaches is drawn as the cgroups around it are, with a
    dashed outline: the legend says what the dashes mean, after the states (each with its
    entry), with a circle outlined in the same dashes; a walk of a tree with no dead cgroup
    (or the icicle, which draws no outline) has no such entry."""
    tr, dead = _dead_never_reached()
    v = walk.plot_walk(tr, view=view)
    assert tr.states(None)[dead] is CgroupState.NEVER
    i = v.index[dead]
    assert v.nodes.get_linestyles()[i] != v.nodes.get_linestyles()[v.index[1]]   # dashed
    assert [t.get_text() for t in v.legend.get_texts()] == [
        "delivered to user", "walked, record lost", "never reached: cut",
        "dashed outline: dead"]
    def dashes(coll, k):          # the dash pattern in line widths (drawn scaled by them)
        (_off, seq), lw = coll.get_linestyles()[k], coll.get_linewidths()[k % len(coll.get_linewidths())]
        return [round(d / lw, 6) for d in seq]

    assert dashes(v.legend.legend_handles[-1], 0) == dashes(v.nodes, i) == [2.0, 1.5]
    # an animation's legend and the all-orders one have it too
    from cgiter_edu.viz import Animator, plot_orders

    a = Animator(tr, max_frames=5)
    assert [t.get_text() for t in a.walk.legend.get_texts()][-1] == DEAD_OUTLINE
    o = plot_orders(shapes.systemd_host())
    assert [t.get_text() for t in o.legend_ax.get_legend().get_texts()][-1] == DEAD_OUTLINE
    _r, alive = make_trace(shapes.balanced(2, 2), order=Order.DESCENDANTS_POST, rec=3000)
    assert DEAD_OUTLINE not in [t.get_text() for t in walk.plot_walk(alive).legend.get_texts()]
    icicle = walk.plot_walk(tr, view="icicle")
    assert DEAD_OUTLINE not in [t.get_text() for t in icicle.legend.get_texts()]


def test_paint_colours_any_states_the_caller_gives():
    _res, tr = make_trace(order=Order.DESCENDANTS_PRE,
                          stop_id=shapes.systemd_host().id_of("/system.slice"))
    v = walk.plot_walk(tr)
    states = {c: (CgroupState.NEVER if s is CgroupState.UNREACHED else s)
              for c, s in tr.states(None).items()}
    v.paint(states)
    for c, s in states.items():
        assert v.colors()[c] == pytest.approx(to_rgba(style.STATE_COLORS[s]))


def test_a_list_column_that_continues_a_subtree_says_which():
    _res, tr = make_trace(order=Order.DESCENDANTS_POST)
    v = walk.plot_walk(tr, view="list")
    g = v.geometry
    cols = sorted(set(g.column.values()))
    assert len(cols) > 1
    heads = [t.get_text() for t in v.headers]
    # each column whose first row's parent sits in an earlier column names that parent
    want = []
    for c in cols[1:]:
        first = min((cid for cid, cc in g.column.items() if cc == c), key=lambda x: -g.xy[x][1])
        p = v.tree.parent[first]
        if p is not None and g.column[p] != c:
            want.append(v.tree.names[p])
    assert len(heads) == len(want) > 0
    for h, name in zip(heads, want, strict=True):      # the path, shortened to fit
        assert h.startswith("continued from ") and h.endswith("/" + name)
    fig = v.figure
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    ax_top = v.ax.get_window_extent(r).y1
    for t in v.headers:                                # inside the axes, under the caption
        assert t.get_window_extent(r).y1 <= ax_top + 1


def test_after_the_walk_unreached_cgroups_are_not_called_not_reached_yet():
    _res, tr = make_trace(order=Order.CHILDREN, start="/init.scope")   # a leaf: nothing
    end = walk.plot_walk(tr)
    assert [t.get_text() for t in end.legend.get_texts()] == [style.UNREACHED_AFTER_END,
                                                              DEAD_OUTLINE]
    mid = walk.plot_walk(tr, step=1)                                   # not over yet
    assert [t.get_text() for t in mid.legend.get_texts()] == [
        style.STATE_LABELS[CgroupState.UNREACHED], DEAD_OUTLINE]


def _same_path(a, b):
    return a.vertices.shape == b.vertices.shape and (a.vertices == b.vertices).all()


#: (trace, step): between them every state occurs (the step where a walk is mid-read
#: shows CURRENT and BUFFERED; the cut walk LOST and NEVER; the stop STOPPED; the systemd
#: host's dead session DEAD; the read size cut UNSHOWN)
def _every_state():
    h = shapes.systemd_host()
    out = []
    _r, pre = make_trace(h)
    out.append((pre, None))
    _r, post = make_trace(h, order=Order.DESCENDANTS_POST)
    out.append((post, 12))
    _r, cut = make_trace(h, order=Order.DESCENDANTS_POST, rec=3000)
    out.append((cut, None))
    _r, stop = make_trace(h, stop_id=h.id_of("/system.slice/cron.service"))
    out.append((stop, None))
    _r, short = make_trace(h, read_size=300)     # lesson 04: next() reached 6, not shown
    out.append((short, None))
    return out


@pytest.mark.parametrize("view", ["tree", "list"])
def test_each_state_has_its_own_shape_besides_its_colour(view):
    """A reader who cannot tell the colours apart tells the states apart by the marker's
    shape: each cgroup is drawn with its state's shape (read back from the artist), no
    two states share one, the shapes follow update() both ways, and the legend shows
    the same shape next to each sentence."""
    seen: dict[CgroupState, object] = {}
    for tr, step in _every_state():
        v = walk.plot_walk(tr, view=view, step=step, legend=True)
        other = 0 if step is None else None      # draw another step first: shapes follow
        v.update(other)
        v.update(step)
        drawn = v.shapes()
        states = tr.states(step)
        assert set(drawn) == set(states)
        for cid, s in states.items():
            assert _same_path(drawn[cid], style.state_marker(s)), (step, cid, s)
            seen.setdefault(s, drawn[cid])
        leg = {t.get_text(): h for t, h in zip(v.legend.get_texts(), v.legend.legend_handles,
                                               strict=True)}
        for s in set(states.values()):
            label = style.state_label(s, ended=walk.walk_over(tr, step),
                                      stopped=CgroupState.STOPPED in states.values())
            assert _same_path(leg[label].get_marker(), style.state_marker(s)), s
    assert set(seen) == set(CgroupState)
    for a, b in itertools.combinations(CgroupState, 2):
        assert not _same_path(seen[a], seen[b]), (a, b)
    assert len(set(style.STATE_SHAPES.values())) == len(CgroupState)


def test_shapes_change_with_the_step():
    """Stepping changes the shapes (not only the colours): the cgroup the walk is on is a
    diamond, and after the walk it is a delivered circle."""
    _r, tr = make_trace(order=Order.DESCENDANTS_POST)
    v = walk.plot_walk(tr, step=12)
    cur = [c for c, s in tr.states(12).items() if s is CgroupState.CURRENT]
    assert len(cur) == 1
    diamond = style.state_marker(CgroupState.CURRENT)
    assert _same_path(v.shapes()[cur[0]], diamond)
    v.update(None)
    assert not _same_path(v.shapes()[cur[0]], diamond)
    assert _same_path(v.shapes()[cur[0]], style.state_marker(CgroupState.DELIVERED))


def test_a_walk_the_program_stopped_is_not_called_cut():
    import matplotlib.pyplot as plt

    from cgiter_edu import Order, programs, run, shapes
    from cgiter_edu.viz import plot_walk

    h = shapes.systemd_host()
    stop = run(h, programs.Record(rec_bytes=24, stop_id=h.id_of("/system.slice")),
               Order.DESCENDANTS_PRE, trace=True)
    cut = run(h, programs.Record(rec_bytes=3000), Order.DESCENDANTS_PRE, trace=True)
    for r, want, not_want in ((stop, "never reached: stopped", "never reached: cut"),
                              (cut, "never reached: cut", "never reached: stopped")):
        v = plot_walk(r.trace)
        labels = [t.get_text() for t in v.legend.get_texts()]
        assert want in labels and not_want not in labels, labels
        plt.close(v.figure)


def _lesson_walks():
    """The walks lessons 00 to 08 draw with ``plot_walk(r.trace)`` (a slide each in their
    decks), as the lessons run them: ``{name: (trace, step)}``."""
    from cgiter_edu import Hierarchy, programs, run

    h = shapes.systemd_host()
    small = Hierarchy()
    for p in ["/a", "/a/x", "/a/y", "/b", "/b/x", "/b/y", "/b/y/z", "/c"]:
        small.mkdir(p)
    pre = Order.DESCENDANTS_PRE
    one = run(small, programs.Record(rec_bytes=24), pre, trace=True).trace
    return {
        "00 from /user.slice": (run(h, programs.id_printer, pre, "/user.slice",
                                    trace=True).trace, None),
        "01 small tree": (one, None),
        "01 mid-walk": (one, (len(one) - 1) // 2),
        "04 read size 300": (run(h, programs.Record(rec_bytes=64), pre, read_size=300,
                                 trace=True).trace, None),
        "06 dead": (run(h, programs.Record(rec_bytes=24), pre, "/user.slice/user-1000.slice",
                        trace=True).trace, None),
        "07 stop": (run(h, programs.Record(rec_bytes=24, stop_id=h.id_of("/system.slice")),
                        pre, trace=True).trace, None),
    }


def test_the_lessons_draw_their_walks_as_slide_pictures():
    """Every walk picture of the lessons is ``plot_walk`` in a figure of its own (no
    ``ax``, no ``min_number_font``): the slide picture whose numbers the test below
    measures."""
    import json
    from pathlib import Path

    calls = []
    for nb in sorted((Path(__file__).parent.parent / "notebooks").glob("0*.ipynb")):
        for cell in json.loads(nb.read_text())["cells"]:
            if cell["cell_type"] == "code":
                calls += [(nb.stem, c) for c in
                          re.findall(r"plot_walk\(([^)]*)\)", "".join(cell["source"]))]
    assert len(calls) >= 7, calls
    assert [c for c in calls if "ax" in c[1] or "number" in c[1]] == []


@pytest.mark.parametrize("name", sorted(_lesson_walks()))
def test_walk_numbers_are_readable_on_a_slide(name):
    """The numbers in the markers of a walk picture are at least 14 px where a deck shows
    it (the list views' were 13.2 pt: 12.8 px, their digits' ink about 9 px), each inside
    its marker, none dropped; in the caller's axes (``ax``) they keep the layout's size."""
    import matplotlib.pyplot as plt

    trace, step = _lesson_walks()[name]
    v = walk.plot_walk(trace, step=step)
    assert v.view in ("tree", "list") and v.numbers_mode == "seq"
    assert v.number_texts() == {c: str(n) for c, n in analysis.seq_numbers(trace, step).items()}
    assert number_px(v) >= 14, (name, number_px(v))
    g = v.geometry
    for cid, path in zip(v.number_ids, v.numbers.get_paths(), strict=True):
        b = path.get_extents()                     # data units, as the marker
        x, y = g.xy[cid]
        assert b.x1 - b.x0 < g.marker and x - g.marker / 2 < b.x0 < b.x1 < x + g.marker / 2, cid
    fig = plt.figure(figsize=(16, 9))             # axes as large as plot_walk's own
    theirs = walk.plot_walk(trace, step=step, ax=fig.add_axes((0.015, 0.03, 0.70, 0.82)),
                            legend=False)
    assert theirs.min_number_font is None
    if theirs.view == "list":                      # the layout's own size: under 14 px
        assert number_px(theirs) < 14
    plt.close("all")
