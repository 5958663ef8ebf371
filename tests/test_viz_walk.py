"""The hierarchy picture replays the trace: colours, numbers, labels, read back from
the drawn artists."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_rgba  # noqa: E402
from vizkit import CASES, make_trace, some_steps  # noqa: E402

from cgiter_edu import shapes  # noqa: E402
from cgiter_edu.trace import CgroupState, EventKind  # noqa: E402
from cgiter_edu.viz import analysis, style, walk  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


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
    kw = dict(CASES[case])
    h = shapes.systemd_host()
    if kw.get("stop_id") == "sshd":
        kw["stop_id"] = h.id_of("/system.slice/sshd.service")
    _res, tr = make_trace(h, **kw)
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
    from cgiter_edu.trace import EventKind
    from cgiter_edu.viz.analysis import describe_step, short_path

    assert short_path("/a/" + "b" * 50 + "/c", 20) == "/a/.../c"
    assert short_path("/system.slice/sshd.service") == "/system.slice/sshd.service"
    t = run(shapes.kubernetes_node(), programs.Record(rec_bytes=64), Order.DESCENDANTS_POST,
            trace=True).trace
    shows = [e.step for e in t.events if e.kind is EventKind.SHOW and e.cgroup is not None]
    longest = max(len(describe_step(t, s)) for s in shows)
    assert longest <= 110, longest
    assert any("/.../cri-containerd-" in describe_step(t, s) for s in shows)
