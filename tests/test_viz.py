"""The pictures replay the trace: colours, numbers, byte counts and read() results read
back from the drawn artists; a few baseline images; every output format of the CLI.

Baselines live in tests/baseline/; regenerate them (after a deliberate change of a
picture, looking at each) with ``CGITER_UPDATE_BASELINES=1 pytest tests/test_viz.py``.
"""

from __future__ import annotations

import doctest
import importlib
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_rgba  # noqa: E402

from cgiter_edu import KernelConfig, Order, programs, run, shapes  # noqa: E402
from cgiter_edu.trace import CgroupState, EventKind  # noqa: E402
from cgiter_edu.viz import anim, layout, plot, scenes, style  # noqa: E402

BASELINE = Path(__file__).parent / "baseline"
UPDATE = os.environ.get("CGITER_UPDATE_BASELINES") == "1"
K70 = KernelConfig.preset("7.0")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _trace(h=None, order=Order.DESCENDANTS_PRE, rec=64, read_size=131072, start=None,
           kernel=K70, **prog):
    h = shapes.systemd_host() if h is None else h
    res = run(h, programs.Record(rec_bytes=rec, **prog), order, start, read_size=read_size,
              kernel=kernel, trace=True)
    assert res.trace is not None
    return res, res.trace


def _steps(trace, k=12):
    n = len(trace.events)
    return sorted({round(i * (n - 1) / (k - 1)) for i in range(k)} | {None}, key=lambda s:
                  -1 if s is None else s)


# -- the package ------------------------------------------------------------------------

def test_viz_package_is_lazy():
    code = "import sys, cgiter_edu.viz; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("name", ["cgiter_edu.viz", "cgiter_edu.viz.layout",
                                  "cgiter_edu.viz.style", "cgiter_edu.viz.plot",
                                  "cgiter_edu.viz.anim", "cgiter_edu.viz.scenes"])
def test_docstring_examples_run(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    res = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert res.failed == 0


def test_one_colour_per_state_okabe_ito():
    assert set(style.STATE_COLORS) == set(CgroupState)
    assert len(set(style.STATE_COLORS.values())) == len(CgroupState)
    okabe = set(style.OKABE_ITO.values())
    for s, c in style.STATE_COLORS.items():
        assert c in okabe or s is CgroupState.UNREACHED
    assert set(style.STATE_LABELS) == set(CgroupState)


def test_slide_style_is_a_context_manager():
    before = dict(matplotlib.rcParams)
    with style.slide_style():
        assert tuple(matplotlib.rcParams["figure.figsize"]) == (16.0, 9.0)
        assert matplotlib.rcParams["font.size"] >= 16
    assert matplotlib.rcParams["font.size"] == before["font.size"]


# -- layout -----------------------------------------------------------------------------

def _random_tree(n, seed):
    rnd = random.Random(seed)
    par = {1: None}
    for i in range(2, n + 1):
        par[i] = rnd.choice(list(par))
    return layout.Tree.from_parents(par)


@pytest.mark.parametrize("seed", range(6))
def test_tidy_layout_separates_each_level_and_centres_parents(seed):
    t = _random_tree(150, seed)
    rnd = random.Random(seed)
    ext = {v: (rnd.uniform(0, 3), rnd.uniform(0, 3)) for v in t.parent}
    lay = layout.tidy_layout(t, extent=lambda v: ext[v], gap=0.5)
    levels = {}
    for v, (_x, d) in lay.pos.items():
        levels.setdefault(d, []).append(v)
    for vs in levels.values():
        vs.sort(key=lambda v: lay.pos[v][0])
        for a, b in zip(vs, vs[1:], strict=False):
            assert lay.pos[b][0] - ext[b][0] - (lay.pos[a][0] + ext[a][1]) >= 0.5 - 1e-9
    for v, kids in t.children.items():
        if kids:
            xs = [lay.pos[k][0] for k in kids]
            assert lay.pos[v][0] == pytest.approx((xs[0] + xs[-1]) / 2)
            assert xs == sorted(xs)                 # siblings left to right in creation order


def test_icicle_layout_partitions_by_leaves():
    t = _random_tree(400, 3)
    lay = layout.icicle_layout(t)
    assert lay.rect[t.root] == (0.0, 1.0, 0)
    for v, kids in t.children.items():
        if kids:
            assert sum(lay.rect[k][1] for k in kids) == pytest.approx(lay.rect[v][1])
            assert lay.rect[kids[0]][0] == pytest.approx(lay.rect[v][0])


def test_tree_of_hierarchy_trace_and_graph_agree():
    h = shapes.systemd_host()
    _res, tr = _trace(h)
    a, b, c = layout.tree_of(h), layout.tree_of(tr), layout.tree_of(h.graph)
    assert a.children == b.children == c.children
    assert a.paths == b.paths


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
    _res, tr = _trace(h)
    view = plot.plot_walk(tr, labels=labels)
    assert view.view in ("tree", "list")
    boxes = _label_boxes(view)
    assert len(boxes) == len(tr.cgroups)          # every cgroup has its label
    assert _overlaps(boxes) == 0
    fs = min(t.get_fontsize() for t in view.labels)
    assert fs >= 6


def test_thousands_get_the_icicle():
    _res, tr = _trace(shapes.balanced(2, 60))
    view = plot.plot_walk(tr)
    assert view.view == "icicle"
    assert len(view.colors()) == len(tr.cgroups)


# -- colours and numbers replay the trace -----------------------------------------------

CASES = {
    "pre": dict(order=Order.DESCENDANTS_PRE),
    "post-cut": dict(order=Order.DESCENDANTS_POST, rec=3000),
    "read-size": dict(order=Order.DESCENDANTS_PRE, read_size=200),
    "up": dict(order=Order.ANCESTORS_UP, start="/user.slice/user-1000.slice"),
    "children": dict(order=Order.CHILDREN, start="/system.slice"),
    "self": dict(order=Order.SELF_ONLY, start="/init.scope"),
    "stop": dict(order=Order.DESCENDANTS_PRE, stop_id="sshd"),
}


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("view", ["tree", "list", "icicle"])
def test_each_cgroup_has_the_colour_of_its_state(case, view):
    kw = dict(CASES[case])
    h = shapes.systemd_host()
    if kw.get("stop_id") == "sshd":
        kw["stop_id"] = h.id_of("/system.slice/sshd.service")
    _res, tr = _trace(h, **kw)
    v = plot.plot_walk(tr, view=view)
    for step in _steps(tr):
        v.update(step)
        states = tr.states(step)
        drawn = v.colors()
        assert set(drawn) == set(states)
        for cid, s in states.items():
            assert drawn[cid] == pytest.approx(to_rgba(style.STATE_COLORS[s])), (step, cid, s)
        if v.numbers_mode:                  # numbers too small to read are not drawn
            shown = v.number_texts()
            want = plot.seq_numbers(tr, step)
            assert shown == {c: str(n) for c, n in want.items()}


def test_dead_cgroup_is_skipped_black_and_keeps_its_seq_num():
    h = shapes.systemd_host()
    _res, tr = _trace(h)
    skips = tr.of_kind(EventKind.SKIP)
    assert skips, "the systemd shape has a dead session"
    v = plot.plot_walk(tr)
    cid = skips[0].cgroup
    assert v.colors()[cid] == pytest.approx(to_rgba(style.STATE_COLORS[CgroupState.DEAD]))
    assert v.number_texts()[cid] == str(skips[0].seq_num)


def test_current_cgroup_is_highlighted_mid_walk():
    _res, tr = _trace()
    shows = [e for e in tr.of_kind(EventKind.SHOW) if e.cgroup is not None]
    step = shows[3].step
    v = plot.plot_walk(tr, step=step)
    cur = [c for c, s in tr.states(step).items() if s is CgroupState.CURRENT]
    assert cur and all(v.colors()[c] == pytest.approx(to_rgba(style.OKABE_ITO["yellow"]))
                       for c in cur)
    assert "step" in v.caption.get_text()


def test_orders_are_numbered_in_visiting_order():
    h = shapes.balanced(2, 3)
    views = plot.plot_orders(h)
    assert set(views) == {1, 2, 3, 4, 5}
    for o, v in views.items():
        want = {c: str(i + 1) for i, c in enumerate(v.trace.visit_order())}
        assert v.number_texts() == want, o
        assert v.trace.order == o


def test_orders_without_children_on_6_18():
    views = plot.plot_orders(shapes.balanced(2, 2), kernel=KernelConfig.preset("6.18"))
    assert set(views) == {1, 2, 3, 4}


# -- the buffer -------------------------------------------------------------------------

def test_buffer_shows_the_511_records_and_the_rollback():
    res, tr = _trace(shapes.balanced(2, 30), rec=64)
    v = plot.plot_buffer(tr)
    counts = v.byte_counts()
    assert counts["copied"] == 511 * 64 == 32704 == res.reads[0][0]
    assert counts["buffered"] == 0
    assert counts["ghost"] == 64
    assert v.read_labels()[:2] == ["32704 B", "EOPNOTSUPP"]
    assert [r for r in v.read_labels()] == [plot._result_text(e) for e in tr.reads]


@pytest.mark.parametrize("case", sorted(CASES))
def test_buffer_bars_match_the_trace_byte_counts(case):
    kw = dict(CASES[case])
    h = shapes.systemd_host()
    if kw.get("stop_id") == "sshd":
        kw["stop_id"] = h.id_of("/system.slice/sshd.service")
    _res, tr = _trace(h, **kw)
    v = plot.plot_buffer(tr)
    strip = plot.BufferStrip(tr)
    copied = 0
    fill = 0
    for e in tr.events:
        v.update(e.step)
        strip.update(e.step)
        c = v.byte_counts()
        if e.kind is EventKind.SHOW:
            if e.count_before == 0:
                copied = 0
            fill = e.count_after
            assert c["copied"] + c["buffered"] == e.count_after
        elif e.kind is EventKind.ROLLBACK and e.cgroup is not None:
            fill = e.count_after
            assert c["copied"] + c["buffered"] == e.count_after
        elif e.kind is EventKind.COPY:
            copied += len(e.data)
            assert c["copied"] == copied
            assert c["buffered"] == e.count_after
            assert c["copied"] + c["buffered"] == fill
        assert strip.byte_counts()["copied"] + strip.byte_counts()["buffered"] == \
            c["copied"] + c["buffered"]


def test_buffer_read_results_listed_as_the_reads_returned():
    res, tr = _trace(read_size=300)
    v = plot.plot_buffer(tr, max_reads_listed=100)
    want = [f"{n} B" if n > 0 else ("0 (end of file)" if n == 0 else plot.errno_name(-n))
            for n, _d in res.reads]
    assert v.read_labels() == want


# -- the mutex --------------------------------------------------------------------------

def test_mutex_lane_replays_lock_unlock_and_the_waiting_writer():
    tr = scenes.writer_waits()
    v = plot.plot_mutex(tr)
    assert len(v.spans.held) == len(tr.of_kind(EventKind.LOCK))
    assert len(v.spans.waits) == 1 and v.spans.waits[0][2].startswith("mkdir")
    assert [e.step for _a, _b, e in v.spans.reads] == [e.step for e in tr.reads]
    for a, b in v.spans.held:
        assert tr[a].kind is EventKind.LOCK and tr[b].kind is EventKind.UNLOCK
    v.update(5)
    assert v.cursor.get_visible()


# -- animation --------------------------------------------------------------------------

def test_frame_steps_keep_key_events():
    _res, tr = _trace(shapes.balanced(2, 30), rec=64)
    steps = anim.frame_steps(tr, 120)
    assert len(steps) <= 120
    keys = {e.step for e in tr.events if e.kind in (EventKind.ROLLBACK, EventKind.END,
                                                   EventKind.RETURN)}
    assert keys <= set(steps)


def test_animation_updates_artists_and_saves_gif(tmp_path):
    from PIL import Image

    _res, tr = _trace(shapes.balanced(2, 3), order=Order.DESCENDANTS_POST)
    a = anim.animate(tr, hold=2)
    nodes = a.walk.nodes
    a.update(5)
    assert a.walk.nodes is nodes                   # the same artist, recoloured
    out = a.save(tmp_path / "w.gif", progress=False)
    assert len(a) == len(tr.events) + 2
    with Image.open(out) as im:                    # Pillow merges identical frames:
        total = 0                                  # count the time instead
        for i in range(im.n_frames):
            im.seek(i)
            total += im.info["duration"]
    assert total == pytest.approx(len(a) * 1000 / a.fps, abs=len(a))
    fa = a.animation
    assert isinstance(fa, matplotlib.animation.FuncAnimation)


def test_matplotlib_engine_writes_the_same_number_of_frames(tmp_path):
    from PIL import Image

    _res, tr = _trace(shapes.balanced(1, 2), order=Order.SELF_ONLY)
    a = anim.animate(tr, hold=0)
    out = a.save(tmp_path / "m.gif", progress=False, engine="matplotlib")
    with Image.open(out) as im:
        assert 1 <= im.n_frames <= len(a)


def test_progress_bar_reaches_the_end(capsys):
    bar = anim.ProgressBar(10)
    for i in range(10):
        bar(i)
    err = capsys.readouterr().err
    assert "10/10 frames" in err


# -- baseline images --------------------------------------------------------------------

def _baseline_figures():
    with style.slide_style():
        _r, pre = _trace(read_size=512)
        yield "walk_pre_step20", plot.plot_walk(pre, step=20).figure
        yield "buffer_truncated", plot.plot_buffer(scenes.truncated_walk()).figure
        yield "mutex_reads", plot.plot_mutex(pre).figure
        plot.plot_capacity()
        yield "capacity", plt.gcf()
        views = plot.plot_orders(shapes.balanced(2, 3))
        yield "orders_balanced", next(iter(views.values())).figure


@pytest.mark.parametrize("name", ["walk_pre_step20", "buffer_truncated", "mutex_reads",
                                  "capacity", "orders_balanced"])
def test_baseline_images(name, tmp_path):
    from matplotlib.testing.compare import compare_images

    fig = dict(_baseline_figures())[name]
    got = tmp_path / f"{name}.png"
    fig.savefig(got, dpi=60)
    want = BASELINE / f"{name}.png"
    if UPDATE:
        BASELINE.mkdir(exist_ok=True)
        shutil.copy(got, want)
    assert want.exists(), f"no baseline {want}: run with CGITER_UPDATE_BASELINES=1 once"
    diff = compare_images(str(want), str(got), tol=10)
    assert diff is None, diff


# -- the CLI ----------------------------------------------------------------------------

MAGIC = {".png": b"\x89PNG\r\n\x1a\n", ".pdf": b"%PDF-", ".gif": b"GIF89a"}


def _cli(*args):
    from cgiter_edu.cli import main

    return main(list(args))


def _check(path):
    data = Path(path).read_bytes()
    suffix = Path(path).suffix
    if suffix in MAGIC:
        assert data.startswith(MAGIC[suffix])
    elif suffix == ".svg":
        assert b"<svg" in data[:400]
    elif suffix == ".html":
        assert data.startswith(b"<!DOCTYPE html>") and b"data:image/png;base64," in data
    elif suffix == ".mp4":
        assert data[4:8] == b"ftyp"
    assert len(data) > 1000


@pytest.mark.parametrize("picture", ["walk", "buffer", "mutex", "orders", "capacity"])
@pytest.mark.parametrize("suffix", [".png", ".svg", ".pdf"])
def test_cli_plot_writes_valid_files(picture, suffix, tmp_path):
    out = tmp_path / f"p{suffix}"
    args = ["plot", picture, "-o", str(out), "--tree", "small", "--dpi", "50"]
    if picture in ("walk", "buffer", "mutex"):
        args += ["--step", "-3", "--record-bytes", "64"]
    assert _cli(*args) == 0
    _check(out)


def test_cli_plot_mutex_with_a_writer(tmp_path):
    out = tmp_path / "m.png"
    assert _cli("plot", "mutex", "--writer", "/new.slice", "-o", str(out), "--dpi", "40") == 0
    _check(out)


@pytest.mark.parametrize("suffix", [".gif", ".html", ".mp4"])
def test_cli_animate_writes_valid_files(suffix, tmp_path):
    if suffix == ".mp4" and not anim.ffmpeg_available():
        pytest.skip("ffmpeg is not installed")
    out = tmp_path / f"a{suffix}"
    assert _cli("animate", "--tree", "small", "--order", "post", "--quiet", "-o", str(out),
                "--dpi", "40") == 0
    _check(out)


def test_cli_animate_mp4_without_ffmpeg_says_so(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(anim, "ffmpeg_available", lambda: False)
    out = tmp_path / "a.mp4"
    assert _cli("animate", "--tree", "small", "-o", str(out)) == 2
    assert not out.exists()
    assert "ffmpeg" in capsys.readouterr().err


def test_cli_rejects_unknown_suffix_and_bad_step(tmp_path, capsys):
    assert _cli("plot", "walk", "-o", str(tmp_path / "x.jpg")) == 1
    assert "use one of .png, .svg, .pdf" in capsys.readouterr().err
    assert _cli("plot", "walk", "--tree", "small", "--step", "99999",
                "-o", str(tmp_path / "x.png")) == 1
    assert "--step must be in" in capsys.readouterr().err


def test_bench_viz_runs_small(capsys):
    from cgiter_edu.viz.bench import bench_viz

    r = bench_viz(n_cgroups=20, repeats=3, gif_frames=4)
    assert {"redraw_ms", "gif_s", "full_draw_ms"} <= set(r)
    assert "target" in capsys.readouterr().out


def test_captions_elide_long_paths_so_they_fit_the_slide():
    from cgiter_edu import Order, programs, run, shapes
    from cgiter_edu.trace import EventKind
    from cgiter_edu.viz.plot import _short_path, describe

    assert _short_path("/a/" + "b" * 50 + "/c", 20) == "/a/.../c"
    assert _short_path("/system.slice/sshd.service") == "/system.slice/sshd.service"
    t = run(shapes.kubernetes_node(), programs.Record(rec_bytes=64), Order.DESCENDANTS_POST,
            trace=True).trace
    shows = [e.step for e in t.events if e.kind is EventKind.SHOW and e.cgroup is not None]
    longest = max(len(describe(t, s)) for s in shows)
    assert longest <= 110, longest
    assert any("/.../cri-containerd-" in describe(t, s) for s in shows)
