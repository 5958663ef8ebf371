"""The viz package: lazy imports, docstring examples, the slide style, the layouts."""

from __future__ import annotations

import doctest
import importlib
import random
from pathlib import Path

import matplotlib
import pytest
from conftest import modules_loaded
from vizkit import make_trace

from cgiter_edu import shapes
from cgiter_edu.replay import CgroupState
from cgiter_edu.viz import layout, style

# -- the package ------------------------------------------------------------------------

def test_viz_package_is_lazy():
    assert modules_loaded("import cgiter_edu.viz", ("matplotlib",)) == []


VIZ_MODULES = ["cgiter_edu.viz", "cgiter_edu.viz.analysis", "cgiter_edu.viz.view",
               "cgiter_edu.viz.layout", "cgiter_edu.viz.geometry", "cgiter_edu.viz.style",
               "cgiter_edu.viz.walk_view", "cgiter_edu.viz.walk_numbers", "cgiter_edu.viz.legend",
               "cgiter_edu.viz.buffer_view", "cgiter_edu.viz.mutex_view",
               "cgiter_edu.viz.orders", "cgiter_edu.viz.capacity", "cgiter_edu.viz.anim",
               "cgiter_edu.scenarios", "cgiter_edu.names"]


def test_analysis_and_words_need_no_matplotlib():
    code = ("import cgiter_edu.viz.analysis as a\n"
            "import cgiter_edu.viz.words as w\n"
            "from cgiter_edu import Order, programs, run, shapes\n"
            "t = run(shapes.systemd_host(), programs.Record(rec_bytes=64), Order.DESCENDANTS_PRE,"
            " read_size=512, trace=True).trace\n"
            "w.describe_step(t, 5); w.frame_caption(t, None); a.buffer_state(t); a.mutex_spans(t)\n"
            "a.seq_numbers(t); a.first_reached(t)")
    assert modules_loaded(code, ("matplotlib", "ipywidgets")) == []


def test_every_view_shares_the_view_contract():
    from cgiter_edu import viz

    for name in ("WalkView", "BufferView", "BufferStrip", "MutexView", "OrdersView",
                 "CapacityView"):
        cls = getattr(viz, name)
        assert issubclass(cls, viz.View), name
        assert cls.update is not viz.View.update, name


def test_no_viz_module_is_over_500_lines():
    import cgiter_edu.viz

    root = Path(cgiter_edu.viz.__file__).parent
    long = {p.name: n for p in root.glob("*.py") if (n := len(p.read_text().splitlines())) > 500}
    assert long == {}


@pytest.mark.parametrize("name", VIZ_MODULES)
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


def test_slide_style_leaves_the_session_settings_alone():
    """A notebook loads its backend at the first figure, inside the plot's slide_style;
    loading it sets ``interactive`` on.  Leaving the style must not turn it off again
    (rc_context did, and the inline backend then showed no later figure)."""
    was = matplotlib.is_interactive()
    try:
        matplotlib.interactive(False)
        with style.slide_style():
            with style.slide_style(**{"font.size": 30}):
                matplotlib.interactive(True)            # what loading the backend does
                assert matplotlib.rcParams["font.size"] == 30
            assert matplotlib.rcParams["font.size"] == style.SLIDE_RC["font.size"]
        assert matplotlib.is_interactive() is True
        size = matplotlib.rcParams["font.size"]
        with pytest.raises(ZeroDivisionError), style.slide_style():
            raise ZeroDivisionError
        assert matplotlib.rcParams["font.size"] == size    # restored after an error too
        with pytest.raises(ValueError, match="interactive"), style.slide_style(interactive=False):
            pass
    finally:
        matplotlib.interactive(was)


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
    _res, tr = make_trace(h)
    a, b, c = layout.tree_of(h), layout.tree_of(tr), layout.tree_of(h.graph)
    assert a.children == b.children == c.children
    assert a.paths == b.paths

