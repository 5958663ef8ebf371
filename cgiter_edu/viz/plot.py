"""Slide-ready pictures of a cgroup_iter walk, each replayed from a Trace.

Every function takes ``ax=`` (a new 16:9 figure in the slide style when
omitted) and returns what it drew: a *view* object whose ``update(step)``
recolours the same artists for another step of the trace (that is what the
animations and widgets call), and whose attributes are the artists.

* :func:`plot_walk`: the hierarchy at one step, each cgroup coloured by its
  :class:`~cgiter_edu.trace.CgroupState` and numbered with its ``seq_num``;
* :func:`plot_buffer`: the seq_file buffer as 8 pages filling byte by byte,
  the one byte that can never be used, a rollback, and each read()'s result;
* :func:`plot_mutex`: who holds ``cgroup_mutex`` over the trace;
* :func:`plot_orders`: every order side by side, numbered in visiting order
  (each order run through :func:`cgiter_edu.run`);
* :func:`plot_capacity`: records that fit against record size.

Nothing here decides semantics: states come from :meth:`Trace.states`, visiting
order from the trace's events.

Example::

    >>> import matplotlib; matplotlib.use("Agg")
    >>> from cgiter_edu import Hierarchy, Order, run, programs
    >>> from cgiter_edu.viz import plot_walk
    >>> h = Hierarchy(); _ = h.mkdir("/a"); _ = h.mkdir("/a/b")
    >>> res = run(h, programs.Record(rec_bytes=64), Order.DESCENDANTS_PRE, trace=True)
    >>> view = plot_walk(res.trace, step=3)
    >>> sorted(view.colors())            # cgroup ids drawn
    [1, 2, 3]
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection, PathCollection, PolyCollection
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.patches import Rectangle
from matplotlib.path import Path

from cgiter_edu.trace import CgroupState, EndReason, Event, EventKind, Trace

from .layout import Tree, icicle_layout, tidy_layout, tree_of
from .style import (
    COLORS,
    OKABE_ITO,
    SLIDE_SIZE,
    STATE_COLORS,
    PathText,
    slide_style,
    state_legend_handles,
    text_color_on,
)

__all__ = [
    "WalkView", "BufferView", "BufferStrip", "MutexView", "plot_walk", "plot_buffer", "plot_mutex",
    "plot_orders", "plot_capacity", "describe", "errno_name", "order_name", "seq_numbers",
    "walked",
]

ORDER_NAMES = {0: "UNSPEC", 1: "SELF_ONLY", 2: "DESCENDANTS_PRE", 3: "DESCENDANTS_POST",
               4: "ANCESTORS_UP", 5: "CHILDREN"}

#: the kernel function behind each order (kernel/cgroup/cgroup.c, kernel/bpf/cgroup_iter.c)
ORDER_FUNCTIONS = {
    1: "next() gives NULL",
    2: "css_next_descendant_pre()",
    3: "css_next_descendant_post()",
    4: "css->parent to the root",
    5: "css_next_child() (Linux 7.0)",
}

END_TEXT = {
    EndReason.COMPLETE.value: "walk complete: next() returned NULL",
    EndReason.PROGRAM.value: "the program returned non-zero: walk stopped",
    EndReason.BUFFER_FULL.value: "buffer full: record rolled back, walk cut",
    EndReason.E2BIG.value: "the first record does not fit: E2BIG",
    EndReason.READ_SIZE.value: "buffer holds the read size: walk cut before show",
    EndReason.MAX_ITER_OBJECTS.value: "MAX_ITER_OBJECTS reached in one read()",
    EndReason.PROGRAM_ERROR.value: "the Python program raised",
}

_MIN_FONT = 6.0          # below this a label is not drawn at all
_BASE_FONT = 16.0        # layout unit: label font size in points at scale 1


# ---------------------------------------------------------------------------
# small helpers (replay only)
# ---------------------------------------------------------------------------
def errno_name(code: int) -> str:
    """The kernel's name for an errno (95 is ``EOPNOTSUPP``, as the kernel spells it).

    >>> errno_name(95), errno_name(7)
    ('EOPNOTSUPP', 'E2BIG')
    """
    from cgiter_edu.run import errno_symbol

    return errno_symbol(abs(int(code)))


def order_name(order: int) -> str:
    """``"DESCENDANTS_PRE"`` for 2, and so on (the uapi names without the prefix)."""
    return ORDER_NAMES.get(int(order), f"order {order}")


def walked(trace: Trace) -> list[int]:
    """Cgroup ids in the order the trace reached them (START/NEXT, else SHOW/SKIP).

    Only replays events: a cgroup appears once, at its first event.
    """
    seen: dict[int, None] = {}
    for e in trace.events:
        if e.kind in (EventKind.START, EventKind.NEXT, EventKind.SHOW, EventKind.SKIP) \
                and e.cgroup is not None and e.errno is None:
            seen.setdefault(e.cgroup, None)
    return list(seen)


def seq_numbers(trace: Trace, step: int | None = None) -> dict[int, int]:
    """The ``seq_num`` each cgroup was shown (or skipped) with, up to ``step``."""
    last = len(trace.events) - 1 if step is None else step
    out: dict[int, int] = {}
    for e in trace.events[: last + 1]:
        if e.kind in (EventKind.SHOW, EventKind.SKIP) and e.cgroup is not None \
                and e.seq_num is not None:
            out[e.cgroup] = e.seq_num
    return out


def describe(trace: Trace, step: int) -> str:
    """One sentence saying what the event at ``step`` did (the caption of a frame).

    >>> from cgiter_edu.trace import Trace, Event, EventKind
    >>> t = Trace(events=[Event(0, EventKind.READ, 0, size=4096)])
    >>> describe(t, 0)
    'read() #1 asks for 4096 bytes'
    """
    e = trace.events[step]
    k = e.kind
    name = _namer(trace)
    if k is EventKind.READ:
        left = f" ({e.count_before} B still in the buffer)" if e.count_before else ""
        return f"read() #{e.read_no + 1} asks for {e.size} bytes{left}"
    if k is EventKind.LOCK:
        return "cgroup_iter_seq_start() takes cgroup_mutex"
    if k is EventKind.START:
        if e.errno:
            return f"start(): {errno_name(e.errno)}: the mutex was dropped, the walk cannot resume"
        if e.cgroup is None:
            return "start(): the walk is over, nothing more (end of file)"
        return f"start() gives {name(e.cgroup)} (seq_num {e.seq_num})"
    if k is EventKind.NEXT:
        if e.cgroup is None:
            return "next() gives NULL: every cgroup visited"
        return f"next() gives {name(e.cgroup)} (seq_num {e.seq_num})"
    if k is EventKind.SHOW:
        who = "epilogue (cgroup NULL)" if e.cgroup is None else f"show {name(e.cgroup)}"
        n = e.count_after - e.count_before
        failed = [b for b, r in e.writes if r != 0]
        s = f"{who}: the program wrote {n} B (count {e.count_before} -> {e.count_after})"
        if failed:
            s += f"; a {len(failed[0])} B write failed: -EOVERFLOW"
        if e.ret:
            s += f"; it returned {e.ret}: stop"
        return s
    if k is EventKind.SKIP:
        return f"{name(e.cgroup)} is dead: skipped, the program not called (seq_num {e.seq_num} used)"
    if k is EventKind.ROLLBACK:
        return f"overflow: buffer rolled back from {e.count_before} to {e.count_after} B"
    if k is EventKind.UNLOCK:
        return "cgroup_iter_seq_stop() drops cgroup_mutex"
    if k is EventKind.WAIT:
        return f"{e.note or 'a writer'} waits for cgroup_mutex"
    if k is EventKind.ACQUIRED:
        return f"{e.note or 'the writer'} gets cgroup_mutex"
    if k is EventKind.COPY:
        return f"copy {len(e.data)} B to user space (buffer {e.count_before} -> {e.count_after} B)"
    if k is EventKind.RETURN:
        return f"read() #{e.read_no + 1} returns {_result_text(e)}"
    if k is EventKind.END:
        return END_TEXT.get(e.reason or "", f"walk ended: {e.reason}")
    return k.value  # pragma: no cover


def _result_text(e: Event) -> str:
    if e.result is None:
        return "(the program raised)"
    if e.result < 0:
        return errno_name(-e.result)
    return f"{e.result} B" if e.result else "0 (end of file)"


#: captions name a cgroup by its path; longer paths keep their last components
CAPTION_PATH_MAX = 56


def _short_path(path: str, limit: int = CAPTION_PATH_MAX) -> str:
    """The path, shortened to about ``limit`` characters for a caption: the first
    component, ``...`` and as many of the last ones as fit; a single name that is too
    long loses its middle.

    >>> _short_path("/a/" + "b" * 50 + "/c", 20)
    '/a/.../c'
    >>> _short_path("/k.slice/" + "pod-" + "x" * 60 + ".slice", 30)
    '.../pod-xxxxxxx...xxxxxx.slice'
    """
    if len(path) <= limit:
        return path
    parts = path.strip("/").split("/")
    tail: list[str] = []
    for comp in reversed(parts[1:]):
        if len(parts[0]) + 6 + len("/".join([comp, *tail])) > limit:
            break
        tail.insert(0, comp)
    if tail:
        return f"/{parts[0]}/.../{'/'.join(tail)}"
    last = parts[-1]
    if len(last) + 4 <= limit:
        return ".../" + last
    keep = limit - 7
    return ".../" + last[: keep // 2] + "..." + last[len(last) - (keep - keep // 2):]


def _namer(trace: Trace):
    def name(cid: int | None) -> str:
        if cid is None:
            return "NULL"
        info = trace.cgroups.get(cid)
        return _short_path(info[0]) if info else f"id {cid}"
    return name


def _new_axes(ax: Axes | None, figsize: tuple[float, float] = SLIDE_SIZE,
              rect: Sequence[float] | None = None) -> tuple[Figure, Axes]:
    if ax is not None:
        return ax.figure, ax  # type: ignore[return-value]
    with slide_style():
        fig = plt.figure(figsize=figsize)
        ax = fig.add_axes(rect or (0.03, 0.05, 0.94, 0.85))
    return fig, ax


@functools.lru_cache(maxsize=1)
def _renderer() -> Any:
    from matplotlib.backends.backend_agg import RendererAgg
    return RendererAgg(10, 10, 72)


@functools.lru_cache(maxsize=20000)
def text_width(s: str, size: float = _BASE_FONT, weight: str = "normal") -> float:
    """Width in points of ``s`` in the slide font (DejaVu Sans) at ``size`` points."""
    prop = FontProperties(family="DejaVu Sans", size=size, weight=weight)
    w, _h, _d = _renderer().get_text_width_height_descent(s, prop, False)
    return float(w)


def _ax_size_pt(ax: Axes) -> tuple[float, float]:
    fig = ax.figure
    pos = ax.get_position()
    w, h = fig.get_size_inches()
    return pos.width * w * 72.0, pos.height * h * 72.0


# ---------------------------------------------------------------------------
# the hierarchy at one step
# ---------------------------------------------------------------------------
@dataclass
class _Geometry:
    """A node-link drawing in layout points (label font = _BASE_FONT at scale 1)."""

    kind: str                          # "tree" | "list"
    xy: dict[int, tuple[float, float]]
    segments: list[list[tuple[float, float]]]
    label_xy: dict[int, tuple[float, float]]
    label_ha: str
    bbox: tuple[float, float, float, float]     # x0, y0, x1, y1
    marker: float                      # marker diameter (points at scale 1)
    number_font: float
    column: dict[int, int] | None = None    # list view: which column each cgroup is in


def _tree_geometry(tree: Tree, labels: dict[int, str]) -> _Geometry:
    """Top-down tidy tree: markers with the number inside, label to the right."""
    fs = _BASE_FONT
    fn = 0.72 * fs
    m = max(1.75 * fs, text_width("000", fn) + 0.5 * fs)
    pad = 0.25 * fs
    widths = {v: (text_width(labels[v], fs) if labels.get(v) else 0.0) for v in tree.parent}
    lay = tidy_layout(tree, extent=lambda v: (m / 2, m / 2 + (pad + widths[v] if widths[v] else 0)),
                      gap=0.8 * fs)
    level = m + 1.9 * fs
    xy = {v: (x, -d * level) for v, (x, d) in lay.pos.items()}
    segs: list[list[tuple[float, float]]] = []
    for p, kids in tree.children.items():
        if not kids:
            continue
        xp, yp = xy[p]
        ybus = yp - level / 2
        xs = [xy[k][0] for k in kids]
        segs.append([(xp, yp), (xp, ybus)])
        segs.append([(min(xs + [xp]), ybus), (max(xs + [xp]), ybus)])
        for k in kids:
            segs.append([(xy[k][0], ybus), xy[k]])
    lx = {v: (xy[v][0] + m / 2 + pad, xy[v][1]) for v in xy}
    x0 = min(x - m / 2 for x, _ in xy.values())
    x1 = max(max(xy[v][0] + m / 2, lx[v][0] + widths[v]) for v in xy)
    y0 = min(y for _, y in xy.values()) - m / 2 - 0.2 * fs
    y1 = m / 2 + 0.2 * fs
    return _Geometry("tree", xy, segs, lx, "left", (x0, y0, x1, y1), m, fn)


def _list_geometry(tree: Tree, labels: dict[int, str], aspect: float) -> _Geometry:
    """systemd-cgls style: one row per cgroup, indented by level, wrapped in columns.

    Every label has its own row, so none can collide; columns are cut so the
    whole drawing comes close to ``aspect`` (width / height).
    """
    fs = _BASE_FONT
    fn = 0.62 * fs
    m = max(1.25 * fs, text_width("000", fn) + 0.25 * fs)
    row = max(m, 1.25 * fs) + 0.3 * fs
    indent = 0.9 * m
    pad = 0.3 * fs
    order = tree.nodes
    depth = tree.depth()
    n = len(order)
    widths = {v: (text_width(labels[v], fs) if labels.get(v) else 0.0) for v in order}
    reach = [depth[v] * indent + m + pad + widths[v] for v in order]
    best = None
    for cols in range(1, max(1, n) + 1):
        per = math.ceil(n / cols)
        colw = [max(reach[i:i + per]) + 1.5 * fs for i in range(0, n, per)]
        w, h = sum(colw), per * row
        scale = min(aspect / w, 1.0 / h)          # fit into an aspect x 1 box
        if best is None or scale > best[0] * 1.0001:
            best = (scale, cols, per, colw)
        if per == 1:
            break
    assert best is not None
    _s, _cols, per, colw = best
    xy: dict[int, tuple[float, float]] = {}
    colx = np.concatenate([[0.0], np.cumsum(colw)])
    col_of: dict[int, int] = {}
    for i, v in enumerate(order):
        c, r = divmod(i, per)
        col_of[v] = c
        xy[v] = (colx[c] + depth[v] * indent + m / 2, -r * row)
    segs: list[list[tuple[float, float]]] = []
    for v in order:
        p = tree.parent[v]
        if p is None:
            continue
        xv, yv = xy[v]
        xp = xy[p][0]
        if col_of[p] == col_of[v]:
            ytop = xy[p][1] - m / 2
        else:                                   # parent in an earlier column: continue from the top
            xp = colx[col_of[v]] + depth[p] * indent + m / 2
            ytop = row * 0.5
        segs.append([(xp, ytop), (xp, yv), (xv - m / 2, yv)])
    lx = {v: (xy[v][0] + m / 2 + pad, xy[v][1]) for v in xy}
    x1 = max(lx[v][0] + widths[v] for v in xy)
    y0 = min(y for _, y in xy.values()) - row / 2
    return _Geometry("list", xy, segs, lx, "left", (0.0, y0, x1, row / 2), m, fn, col_of)


class WalkView:
    """The hierarchy of a trace, drawn once; :meth:`update` recolours it for a step.

    ``view``: ``"tree"`` (tidy top-down tree), ``"list"`` (systemd-cgls style rows,
    wrapped in columns: for a few hundred cgroups), ``"icicle"`` (thousands) or
    ``"auto"`` (the first that keeps labels readable on ``ax``).
    ``labels``: ``"name"``, ``"path"``, ``"id"``, ``None`` or a ``{id: text}`` dict.
    ``numbers``: ``"seq"`` (each walked cgroup's seq_num), ``"visit"`` (position in
    the visiting order, from 1) or ``None``.

    Attributes: ``nodes`` (the marker collection, one point per ``ids`` entry),
    ``numbers`` (one PathCollection of glyphs, one path per numbered cgroup, in
    ``number_ids`` order: far cheaper to redraw than hundreds of Text objects),
    ``labels`` (Text list), ``edges``, ``title``, ``caption``.

    Example::

        >>> view = WalkView(trace, step=10)            # doctest: +SKIP
        >>> view.update(11); view.figure.savefig("step11.png")   # doctest: +SKIP
    """

    def __init__(self, trace: Trace, step: int | None = None, ax: Axes | None = None, *,
                 view: str = "auto", labels: str | dict[int, str] | None = "name",
                 numbers: str | None = "seq", legend: bool = True, title: str | bool = True,
                 caption: bool = True, path: bool = False, max_scale: float = 1.6,
                 min_font: float = 11.0) -> None:
        self.trace = trace
        self.tree = tree_of(trace)
        self.ids: list[int] = self.tree.nodes
        self.index = {v: i for i, v in enumerate(self.ids)}
        self.numbers_mode = numbers
        self.show_title = title
        self.show_caption = caption
        own = ax is None
        self.figure, self.ax = _new_axes(ax, rect=(0.015, 0.03, 0.70 if legend else 0.97, 0.82))
        ax = self.ax
        ax.set_axis_off()
        self._label_text = self._labels(labels)
        self.min_font = min_font
        aw, ah = _ax_size_pt(ax)
        self.view = self._choose(view, aw, ah)
        self.legend = None
        self._visit = {v: i + 1 for i, v in enumerate(walked(trace))}
        if self.view == "icicle":
            self._draw_icicle(aw, ah)
        else:
            self._draw_nodes(aw, ah, max_scale)
        self.path_line = None
        if path and self.view == "tree":          # in the list view the numbers say it
            self._draw_path()
        with slide_style():
            if title is not False:
                txt = title if isinstance(title, str) else self._default_title()
                self.title = ax.set_title(txt, loc="left", fontsize=22, fontweight="bold", pad=28)
            else:
                self.title = ax.set_title("")
            self.caption = PathText((0.0, 1.0), "", transform=ax.transAxes, size=17,
                                    va="bottom", ha="left", color=DARK)
            ax.add_artist(self.caption)
            if legend:
                if own:
                    self.legend = self.figure.legend(
                        handles=state_legend_handles(), loc="center left",
                        bbox_to_anchor=(0.725, 0.5), fontsize=17, title="cgroup state",
                        title_fontsize=19, labelspacing=1.1, handletextpad=0.4,
                        alignment="left")
                else:
                    self.legend = ax.legend(handles=state_legend_handles(), loc="upper left",
                                            bbox_to_anchor=(1.0, 1.0), fontsize=11,
                                            title="cgroup state", title_fontsize=12)
        self.step: int | None = None
        self.update(step)

    # -- construction -----------------------------------------------------------------
    def _labels(self, labels: str | dict[int, str] | None) -> dict[int, str]:
        t = self.tree
        if labels is None:
            return {}
        if isinstance(labels, dict):
            return {v: str(labels.get(v, "")) for v in t.parent}
        if labels == "id":
            return {v: str(v) for v in t.parent}
        if labels == "path":
            return {v: t.paths.get(v, str(v)) for v in t.parent}
        if labels == "name":
            return {v: t.names.get(v, str(v)) for v in t.parent}
        raise ValueError(f"labels must be 'name', 'path', 'id', None or a dict, not {labels!r}")

    def _choose(self, view: str, aw: float, ah: float) -> str:
        if view in ("tree", "list", "icicle"):
            return view
        if view != "auto":
            raise ValueError(f"view must be 'auto', 'tree', 'list' or 'icicle', not {view!r}")
        n = len(self.ids)
        if n > 600:
            return "icicle"
        g = _tree_geometry(self.tree, self._label_text)
        x0, y0, x1, y1 = g.bbox
        s_tree = min(aw / (x1 - x0), ah / (y1 - y0))
        if s_tree * _BASE_FONT >= self.min_font or n <= 3:
            self._geom = g
            return "tree"
        g2 = _list_geometry(self.tree, self._label_text, aw / ah)
        x0, y0, x1, y1 = g2.bbox
        s_list = min(aw / (x1 - x0), ah / (y1 - y0))
        if s_list * _BASE_FONT < _MIN_FONT and n > 300:
            return "icicle"
        if s_tree >= 0.8 * s_list:
            self._geom = g
            return "tree"
        self._geom = g2
        return "list"

    def _draw_nodes(self, aw: float, ah: float, max_scale: float) -> None:
        ax = self.ax
        g = getattr(self, "_geom", None)
        if g is None or g.kind != self.view:
            g = (_tree_geometry(self.tree, self._label_text) if self.view == "tree"
                 else _list_geometry(self.tree, self._label_text, aw / ah))
        self.geometry = g
        x0, y0, x1, y1 = g.bbox
        mg = 0.02 * max(x1 - x0, y1 - y0) + 4
        x0, y0, x1, y1 = x0 - mg, y0 - mg, x1 + mg, y1 + mg
        s = min(aw / (x1 - x0), ah / (y1 - y0), max_scale)
        self.scale = s
        # centre the drawing in the axes at exactly s points per unit
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        ax.set_xlim(cx - aw / s / 2, cx + aw / s / 2)
        ax.set_ylim(cy - ah / s / 2, cy + ah / s / 2)
        ax.set_aspect("auto")
        lw = max(0.6, 1.6 * s)
        self.edges = LineCollection(g.segments, colors=COLORS["edge"], linewidths=lw, zorder=1,
                                    capstyle="round", joinstyle="round")
        ax.add_collection(self.edges)
        xs = np.array([g.xy[v][0] for v in self.ids])
        ys = np.array([g.xy[v][1] for v in self.ids])
        dead = [self.tree.dead.get(v, False) for v in self.ids]
        self.nodes = ax.scatter(xs, ys, s=(g.marker * s) ** 2, c=[STATE_COLORS[CgroupState.UNREACHED]],
                                edgecolors="black", linewidths=max(0.5, 1.4 * s), zorder=3)
        self.nodes.set_linestyles([(0, (2, 1.5)) if d else "solid" for d in dead])
        fn = g.number_font * s
        fl = _BASE_FONT * s
        self._make_numbers(g)
        self.labels = []
        if fl >= _MIN_FONT:
            for v in self.ids:
                txt = self._label_text.get(v, "")
                if txt:
                    lx, ly = g.label_xy[v]
                    self.labels.append(ax.text(lx, ly, txt, ha=g.label_ha, va="center_baseline",
                                               fontsize=fl, zorder=4, color=DARK))
        if fn < _MIN_FONT:
            self.numbers_mode = None
            self.numbers.set_visible(False)

    def _draw_icicle(self, aw: float, ah: float) -> None:
        ax = self.ax
        lay = icicle_layout(self.tree)
        self.geometry = lay
        self.scale = 1.0
        rows = lay.levels
        verts = []
        for v in self.ids:
            x0, w, lvl = lay.rect[v]
            y0 = -lvl - 1
            verts.append([(x0, y0), (x0 + w, y0), (x0 + w, y0 + 0.92), (x0, y0 + 0.92)])
        lws = [0.6 if lay.rect[v][1] * aw > 6 else 0.0 for v in self.ids]
        self.nodes = PolyCollection(verts, facecolors=STATE_COLORS[CgroupState.UNREACHED],
                                    edgecolors="white", linewidths=lws, zorder=2)
        for lvl in range(rows):
            ax.text(-0.005, -lvl - 1 + 0.46, f"level {lvl}", ha="right", va="center",
                    fontsize=min(15.0, 0.4 * ah / rows), color=DARK)
        ax.add_collection(self.nodes)
        ax.set_xlim(-0.09, 1)
        ax.set_ylim(-rows - 0.05, 0.05)
        self.edges = LineCollection([], zorder=1)
        fs = min(16.0, 0.55 * ah / rows)
        self.numbers = PathCollection([], zorder=4)
        self.number_ids = []
        self._number_text = {}
        self.labels = []
        unit_pt = aw                       # points per unit of x
        for v in self.ids:
            x0, w, lvl = lay.rect[v]
            txt = self._label_text.get(v, "")
            if txt and w * unit_pt >= text_width(txt, fs) + 4 and fs >= _MIN_FONT:
                self.labels.append(ax.text(x0 + w / 2, -lvl - 1 + 0.46, txt, ha="center",
                                           va="center", fontsize=fs, zorder=3, clip_on=True))
        self.numbers_mode = None

    def _draw_path(self) -> None:
        g = self.geometry
        seq = [v for v in walked(self.trace) if v in g.xy]
        from matplotlib.patches import FancyArrowPatch
        self.path_arrows = []
        self._arrow_at: list[int] = []          # the step at which each arrow's head is reached
        self._reached_at: dict[int, int] = {}
        for e in self.trace.events:
            if e.kind in (EventKind.START, EventKind.NEXT, EventKind.SHOW, EventKind.SKIP) \
                    and e.cgroup is not None and e.errno is None:
                self._reached_at.setdefault(e.cgroup, e.step)
        r = g.marker / 2
        col = g.column or {}
        for va, vb in zip(seq, seq[1:], strict=False):
            if col.get(va) != col.get(vb):
                continue                    # a jump between list columns: the numbers say it
            (xa, ya), (xb, yb) = g.xy[va], g.xy[vb]
            d = math.hypot(xb - xa, yb - ya) or 1.0
            a = (xa + (xb - xa) * r / d, ya + (yb - ya) * r / d)
            b = (xb - (xb - xa) * r / d, yb - (yb - ya) * r / d)
            arr = FancyArrowPatch(a, b, arrowstyle="-|>", mutation_scale=12 * self.scale,
                                  color=COLORS["path"], lw=1.6 * self.scale, alpha=0.75,
                                  connectionstyle=f"arc3,rad={0.6 if abs(ya - yb) < 1e-6 else 0.25}",
                                  zorder=2.5)
            self.ax.add_patch(arr)
            self.path_arrows.append(arr)
            self._arrow_at.append(self._reached_at.get(vb, 0))

    def _default_title(self) -> str:
        t = self.trace
        start = _namer(t)(t.start) if t.start is not None else "/"
        kern = f", Linux {t.kernel}" if t.kernel else ""
        return f"{order_name(t.order)} from {start}{kern}"

    # -- per step ------------------------------------------------------------------------
    def states(self, step: int | None = None) -> dict[int, CgroupState]:
        """The trace's states at ``step`` (what :meth:`update` paints)."""
        return self.trace.states(step)

    def update(self, step: int | None) -> list[Any]:
        """Recolour every cgroup for ``step`` (None: after the last event); returns the
        artists that changed (for blitting)."""
        self.step = step
        states = self.trace.states(step)
        cols = [STATE_COLORS[states.get(v, CgroupState.UNREACHED)] for v in self.ids]
        self.nodes.set_facecolors(cols)
        changed: list[Any] = [self.nodes]
        for arr, at in zip(getattr(self, "path_arrows", []), getattr(self, "_arrow_at", []),
                           strict=True):
            arr.set_visible(step is None or at <= step)
        if self.numbers_mode and self.number_ids:
            if self.numbers_mode == "visit":
                hidden = (CgroupState.UNREACHED, CgroupState.NEVER)
                vis = [states.get(v) not in hidden for v in self.number_ids]
            else:
                last = len(self.trace.events) if step is None else step
                vis = [self._first_num_step[v] <= last for v in self.number_ids]
            fc = [(_TEXT_RGBA[text_color_on(cols[self.index[v]])] if ok else _CLEAR)
                  for v, ok in zip(self.number_ids, vis, strict=True)]
            self.numbers.set_facecolors(fc)
            self._visible_numbers = {v for v, ok in zip(self.number_ids, vis, strict=True) if ok}
            changed.append(self.numbers)
        if self.show_caption:
            self.caption.set_text(self._caption(step))
            changed.append(self.caption)
        return changed

    def _caption(self, step: int | None) -> str:
        t = self.trace
        if not t.events:
            return ""
        if step is None:
            reason = t.end_reason
            groups: list[list[Any]] = []
            for e in t.reads:
                txt = _result_text(e)
                if groups and groups[-1][0] == txt:
                    groups[-1][1] += 1
                else:
                    groups.append([txt, 1])
            res = ", ".join(f"{x} x{n}" if n > 1 else x for x, n in groups[:6])
            more = ", ..." if len(groups) > 6 else ""
            end = END_TEXT.get(reason.value, reason.value) if reason else "walk not over"
            return f"{end}; read() gave {res}{more}"
        step = min(step, len(t.events) - 1)
        return f"step {step + 1}/{len(t.events)}: {describe(t, step)}"

    def colors(self) -> dict[int, tuple[float, float, float, float]]:
        """Each cgroup's face colour as drawn, read back from the artist (RGBA)."""
        fc = self.nodes.get_facecolors()
        if len(fc) == 1 and len(self.ids) > 1:
            fc = np.repeat(fc, len(self.ids), axis=0)
        return {v: tuple(float(c) for c in fc[i]) for i, v in enumerate(self.ids)}

    def number_texts(self) -> dict[int, str]:
        """The number drawn on each cgroup (visible ones only)."""
        vis = getattr(self, "_visible_numbers", set())
        return {v: self._number_text[v] for v in self.number_ids if v in vis}

    def _make_numbers(self, g: _Geometry) -> None:
        """One glyph path per numbered cgroup, in data units, centred on its marker."""
        from matplotlib.textpath import TextPath

        if self.numbers_mode == "visit":
            final = dict(self._visit)
            first = {v: -1 for v in final}
        else:
            final, first = {}, {}
            for e in self.trace.events:
                if e.kind in (EventKind.SHOW, EventKind.SKIP) and e.cgroup is not None \
                        and e.seq_num is not None and e.cgroup not in final:
                    final[e.cgroup] = e.seq_num
                    first[e.cgroup] = e.step
        prop = FontProperties(family="DejaVu Sans", weight="bold")
        paths, ids = [], []
        for v in self.ids:
            if v not in final or v not in g.xy:
                continue
            tp = TextPath((0, 0), str(final[v]), size=g.number_font, prop=prop)
            ext = tp.get_extents()
            x, y = g.xy[v]
            dx = x - (ext.x0 + ext.x1) / 2
            dy = y - (ext.y0 + ext.y1) / 2
            paths.append(Path(tp.vertices + (dx, dy), tp.codes))
            ids.append(v)
        self.number_ids = ids
        self._number_text = {v: str(final[v]) for v in ids}
        self._first_num_step = first
        self.numbers = PathCollection(paths, facecolors=[_CLEAR] * len(paths),
                                      edgecolors="none", linewidths=0, zorder=4)
        self.ax.add_collection(self.numbers, autolim=False)


DARK = "#222222"
_CLEAR = (0.0, 0.0, 0.0, 0.0)
_TEXT_RGBA = {"black": (0.0, 0.0, 0.0, 1.0), "white": (1.0, 1.0, 1.0, 1.0)}


def plot_walk(trace: Trace, step: int | None = None, ax: Axes | None = None,
              **kwargs: Any) -> WalkView:
    """The hierarchy at ``step`` of ``trace`` (default: after the last event), each cgroup
    coloured by its state and numbered with its seq_num.  See :class:`WalkView` for
    the keyword arguments.

    Example::

        >>> from cgiter_edu import shapes, run, programs, Order     # doctest: +SKIP
        >>> res = run(shapes.systemd_host(), programs.Record(rec_bytes=64),
        ...           Order.DESCENDANTS_PRE, trace=True)            # doctest: +SKIP
        >>> plot_walk(res.trace, step=20).figure.savefig("walk.png")  # doctest: +SKIP
    """
    return WalkView(trace, step, ax, **kwargs)


# ---------------------------------------------------------------------------
# the seq_file buffer
# ---------------------------------------------------------------------------
@dataclass
class BufferState:
    """The buffer at one step, replayed from the events.

    ``segments``: ``(a, b, cgroup id or None for the epilogue)`` written in the
    current fill; ``copied``: bytes ``[0, copied)`` already handed to the user;
    ``ghost``: ``(a, b)`` of the record that did not fit and was rolled back (at
    the rollback step and after, until the next fill); ``count``: bytes written
    in this fill that are still there after a rollback.
    """

    segments: list[tuple[int, int, int | None]]
    copied: int
    ghost: tuple[int, int] | None
    count: int
    reads: list[Event]
    read_no: int


def buffer_state(trace: Trace, step: int | None = None) -> BufferState:
    """Replay the buffer events up to ``step`` (see :class:`BufferState`)."""
    last = len(trace.events) - 1 if step is None else min(step, len(trace.events) - 1)
    segs: list[tuple[int, int, int | None]] = []
    ghost: tuple[int, int] | None = None
    attempted = 0
    fill_end: int | None = None
    copied = 0
    pending = 0
    read_no = 0
    for e in trace.events[: last + 1]:
        read_no = e.read_no
        k = e.kind
        if k is EventKind.SHOW:
            if e.count_before == 0 and pending == 0:      # a new fill starts at byte 0
                segs, ghost, copied, fill_end = [], None, 0, None
            if e.count_after > e.count_before:
                segs.append((e.count_before, e.count_after, e.cgroup))
            pending = e.count_after
            attempted = sum(len(b) for b, _r in e.writes)
            if any(r != 0 for _b, r in e.writes):
                ghost = (e.count_before, e.count_before + attempted)
        elif k is EventKind.ROLLBACK:
            cut = e.count_after
            segs = [(a, b, c) for a, b, c in segs if a < cut]
            segs = [(a, min(b, cut), c) for a, b, c in segs]
            if ghost is None or ghost[0] != cut:
                ghost = (cut, cut + attempted if attempted else e.count_before)
            pending = cut
        elif k is EventKind.COPY:
            if fill_end is None:
                fill_end = e.count_before
            copied = fill_end - e.count_after
            pending = e.count_after
    count = segs[-1][1] if segs else 0
    reads = [e for e in trace.events[: last + 1] if e.kind is EventKind.RETURN]
    return BufferState(segs, copied, ghost, count, reads, read_no)


def _buffer_bars(ax: Any) -> dict[str, PolyCollection]:
    """The byte bars of a buffer picture, added to ``ax``: copied to user space, still in
    the buffer, and the hatched ghost of a rolled-back record."""
    bars = {
        "copied": PolyCollection([], facecolors=COLORS["copied"], edgecolors="none", zorder=2),
        "buffered": PolyCollection([], facecolors=COLORS["buffered"], edgecolors="none",
                                   zorder=2),
        "ghost": PolyCollection([], facecolors="none", edgecolors=COLORS["rollback"],
                                hatch="///", linewidths=1.5, zorder=3),
    }
    for c in bars.values():
        ax.add_collection(c)
    return bars


class BufferView:
    """The seq_file buffer as 8 page rows filling byte by byte, a zoom on its last
    bytes (the one that can never be used), and the list of read() results.

    Rectangles live in three :class:`PolyCollection` objects, ``bars["copied"]``
    (handed to the user), ``bars["buffered"]`` (still in the buffer) and
    ``bars["ghost"]`` (rolled back); :meth:`byte_counts` reads their widths back.
    """

    ROW_H = 0.72

    def __init__(self, trace: Trace, step: int | None = None, ax: Axes | None = None, *,
                 zoom: int | None = None, reads: bool = True, title: str | bool = True,
                 max_reads_listed: int = 9) -> None:
        self.trace = trace
        self.figure, self.ax = _new_axes(ax, rect=(0.085, 0.1, 0.63 if reads else 0.88, 0.78))
        ax = self.ax
        self.page = trace.page_size
        self.size = trace.buffer_size
        self.pages = max(1, self.size // self.page)
        self.max_reads_listed = max_reads_listed
        self.zoom = zoom or 128
        P = self.page
        with slide_style():
            ax.set_xlim(-0.01 * P, 1.01 * P)
            self.zoom_row = self.pages + 0.9
            ax.set_ylim(self.zoom_row + 0.75, -0.6)
            for sp in ax.spines.values():
                sp.set_visible(False)
            ax.set_yticks(list(range(self.pages)) + [self.zoom_row])
            ax.set_yticklabels([f"page {i}" for i in range(self.pages)] +
                               [f"last {self.zoom} B\n(zoomed)"], fontsize=15)
            ax.tick_params(axis="y", length=0)
            ax.set_xticks([])
            ax.set_xlabel(f"each row is one page of {P} bytes, filled left to right, top to "
                          f"bottom", fontsize=16, labelpad=30)
            h = self.ROW_H
            # page backgrounds (free bytes)
            for i in range(self.pages):
                ax.add_patch(Rectangle((0, i - h / 2), P, h, facecolor=COLORS["page"],
                                       edgecolor="#BBBBBB", lw=1, zorder=0))
            ax.add_patch(Rectangle((0, self.zoom_row - h / 2), P, h, facecolor=COLORS["page"],
                                   edgecolor="#BBBBBB", lw=1, zorder=0))
            # the one byte that can never be used: last byte of the last page
            last_row = self.pages - 1
            vis_w = max(1.0, 0.006 * P)
            self.unusable = Rectangle((P - vis_w, last_row - h / 2), vis_w, h,
                                      facecolor=COLORS["unusable"], zorder=5)
            ax.add_patch(self.unusable)
            zw = P / self.zoom
            self.unusable_zoom = Rectangle((P - zw, self.zoom_row - h / 2), zw, h,
                                           facecolor=COLORS["unusable"], zorder=5)
            ax.add_patch(self.unusable_zoom)
            ax.annotate(f"byte {self.size - 1}: never usable (count + len < size)",
                        xy=(P - zw / 2, self.zoom_row + h / 2),
                        xytext=(P, self.zoom_row + h / 2 + 0.42), ha="right", va="top",
                        fontsize=15, arrowprops=dict(arrowstyle="->", lw=1.5, color="black"))
            ax.text(0, self.zoom_row + h / 2 + 0.06, f"byte {self.size - self.zoom}",
                    fontsize=13, ha="left", va="top", color=DARK)
            # dotted guides from the end of page 7 to the zoom strip
            k0 = P - self.zoom
            ax.plot([k0, 0], [last_row + h / 2, self.zoom_row - h / 2], color="#999999", lw=1,
                    ls=":", zorder=0)
            ax.plot([P, P], [last_row + h / 2, self.zoom_row - h / 2], color="#999999", lw=1,
                    ls=":", zorder=0)
            # the bars
            self.bars = _buffer_bars(ax)
            self.ticks = LineCollection([], colors="white", linewidths=0.8, zorder=3)
            ax.add_collection(self.ticks)
            self.ghost_label = ax.text(0, 0, "", fontsize=14, color="#A23B00",
                                       fontweight="bold", ha="center", va="center", zorder=6,
                                       visible=False, linespacing=1.1,
                                       bbox=dict(boxstyle="round,pad=0.2", fc="white",
                                                 ec="none", alpha=0.9))
            if title is not False:
                txt = title if isinstance(title, str) else (
                    f"seq_file buffer: {self.pages} pages x {P} B = {self.size} B "
                    f"(PAGE_SIZE << 3)")
                self.title = ax.set_title(txt, loc="left", fontsize=22, fontweight="bold",
                                          pad=34)
            self.status = ax.text(0, 1.0, "", transform=ax.transAxes, fontsize=17,
                                  ha="left", va="bottom", color=DARK)
            self.reads_text = None
            if reads:
                self.reads_text = ax.text(1.03, 1.0, "", transform=ax.transAxes, fontsize=16,
                                          ha="left", va="top", family="DejaVu Sans Mono",
                                          linespacing=1.5)
                from matplotlib.patches import Patch
                handles = [Patch(facecolor=COLORS["copied"], label="copied to user space"),
                           Patch(facecolor=COLORS["buffered"], label="in the buffer"),
                           Patch(facecolor="none", edgecolor=COLORS["rollback"], hatch="///",
                                 label="rolled back"),
                           Patch(facecolor=COLORS["page"], edgecolor="#BBBBBB", label="free"),
                           Patch(facecolor=COLORS["unusable"], label="never usable")]
                self.legend = ax.legend(handles=handles, loc="lower left",
                                        bbox_to_anchor=(1.02, -0.02), fontsize=15,
                                        frameon=False)
        self.step: int | None = None
        self.state: BufferState | None = None
        self.update(step)

    def _typical_record(self) -> int:
        sizes = [e.count_after - e.count_before for e in self.trace.events
                 if e.kind is EventKind.SHOW and e.cgroup is not None]
        sizes = [s for s in sizes if s > 0]
        return int(np.median(sizes)) if sizes else 0

    def _rects(self, a: int, b: int) -> list[list[tuple[float, float]]]:
        """Split bytes [a, b) of the buffer into one rectangle per page row (+ zoom)."""
        P, h = self.page, self.ROW_H
        out = []
        while a < b:
            row = a // P
            end = min(b, (row + 1) * P)
            x0, x1 = a - row * P, end - row * P
            y = row
            out.append([(x0, y - h / 2), (x1, y - h / 2), (x1, y + h / 2), (x0, y + h / 2)])
            a = end
        return out

    def _zoom_rects(self, a: int, b: int) -> list[list[tuple[float, float]]]:
        z0 = self.size - self.zoom
        a, b = max(a, z0), min(b, self.size)
        if a >= b:
            return []
        k = self.page / self.zoom
        x0, x1 = (a - z0) * k, (b - z0) * k
        y, h = self.zoom_row, self.ROW_H
        return [[(x0, y - h / 2), (x1, y - h / 2), (x1, y + h / 2), (x0, y + h / 2)]]

    def update(self, step: int | None) -> list[Any]:
        """Redraw the bars for ``step``; returns the changed artists."""
        self.step = step
        st = buffer_state(self.trace, step)
        self.state = st
        copied_v: list = []
        buf_v: list = []
        ticks: list = []
        for a, b, _c in st.segments:
            cut = min(max(st.copied, a), b)
            if cut > a:
                copied_v += self._rects(a, cut) + self._zoom_rects(a, cut)
            if b > cut:
                buf_v += self._rects(cut, b) + self._zoom_rects(cut, b)
        if len(st.segments) <= 1500:
            P, h = self.page, self.ROW_H
            for a, _b, _c in st.segments[1:]:
                row, x = divmod(a, P)
                ticks.append([(x, row - h / 2), (x, row + h / 2)])
        self.bars["copied"].set_verts(_merge(copied_v))
        self.bars["buffered"].set_verts(_merge(buf_v))
        self.ticks.set_segments(ticks)
        ghost_v: list = []
        if st.ghost is not None:
            ga, gb = st.ghost
            gc = min(gb, self.size)
            ghost_v = self._rects(ga, gc) + self._zoom_rects(ga, gc)
            row, x = divmod(ga, self.page)
            row = min(row, self.pages - 1)
            x_end = self.page if gc >= (row + 1) * self.page else gc - row * self.page
            txt = f"{gb - ga} B record did not fit:\nrolled back to {ga}"
            aw = max(_ax_size_pt(self.ax)[0], 1.0)
            half = (text_width(f"{gb - ga} B record did not fit:", 14, "bold") / 2 + 6) \
                * self.page * 1.02 / aw
            xc = min(max((x + x_end) / 2, half), self.page - half)
            self.ghost_label.set_position((xc, row))
            self.ghost_label.set_text(txt)
            self.ghost_label.set_visible(True)
        else:
            self.ghost_label.set_visible(False)
        self.bars["ghost"].set_verts(ghost_v)
        pend = st.count - st.copied if st.count >= st.copied else 0
        nrec = sum(1 for _a, _b, c in st.segments if c is not None)
        self.status.set_text(f"{nrec} records, count = {st.count} B; {st.copied} B copied out, "
                             f"{pend} B waiting;  room: {self.size - 1 - st.count} B")
        changed = [*self.bars.values(), self.ticks, self.ghost_label, self.status]
        if self.reads_text is not None:
            self.reads_text.set_text(self._reads_lines(st))
            changed.append(self.reads_text)
        return changed

    def _reads_lines(self, st: BufferState) -> str:
        lines = ["read() calls:"]
        rs = st.reads
        n = self.max_reads_listed
        shown = rs if len(rs) <= n else rs[: n - 2] + rs[-1:]
        for i, e in enumerate(shown):
            if len(rs) > n and i == n - 2:
                lines.append(f"  … {len(rs) - n + 1} more")
            lines.append(f"  #{e.read_no + 1:<3d} -> {_result_text(e)}")
        if len(lines) == 1:
            lines.append("  (none returned yet)")
        return "\n".join(lines)

    def byte_counts(self) -> dict[str, int]:
        """Bytes drawn per kind, read back from the bar widths (page rows only)."""
        out = {}
        zr = self.zoom_row
        for k, coll in self.bars.items():
            tot = 0.0
            for path in coll.get_paths():
                v = path.vertices
                if abs(v[0][1] + self.ROW_H / 2 - zr) < 1e-6:
                    continue                       # the zoom strip
                tot += float(v[:, 0].max() - v[:, 0].min())
            out[k] = int(round(tot))
        return out

    def read_labels(self) -> list[str]:
        """The result of each read() as listed on the picture."""
        if self.reads_text is None:
            return []
        return [ln.split("->", 1)[1].strip() for ln in self.reads_text.get_text().splitlines()
                if "->" in ln]


def _merge(rects: list[list[tuple[float, float]]]) -> list[list[tuple[float, float]]]:
    """Join rectangles that touch on the same row (fewer artists, same picture)."""
    out: list[list[tuple[float, float]]] = []
    for r in sorted(rects, key=lambda r: (r[0][1], r[0][0])):
        if out and out[-1][0][1] == r[0][1] and abs(out[-1][1][0] - r[0][0]) < 1e-9:
            last = out[-1]
            out[-1] = [last[0], (r[1][0], last[1][1]), (r[2][0], last[2][1]), last[3]]
        else:
            out.append(r)
    return out


class BufferStrip:
    """The whole seq_file buffer as one strip (page boundaries dashed): the compact
    buffer of an animation frame.  Same bars and :meth:`byte_counts` as
    :class:`BufferView`, one row."""

    ROW_H = 0.8

    def __init__(self, trace: Trace, step: int | None = None, ax: Axes | None = None, *,
                 label: bool = True) -> None:
        self.trace = trace
        fig, ax = _new_axes(ax, figsize=(16, 2.5), rect=(0.06, 0.3, 0.9, 0.4))
        self.ax, self.figure = ax, fig
        self.size = S = trace.buffer_size
        self.page = trace.page_size
        h = self.ROW_H
        with slide_style():
            ax.set_xlim(-0.005 * S, 1.005 * S)
            ax.set_ylim(-0.9, 0.75)
            ax.set_axis_off()
            ax.add_patch(Rectangle((0, -h / 2), S, h, facecolor=COLORS["page"],
                                   edgecolor="#999999", lw=1, zorder=0))
            for i in range(1, S // self.page):
                ax.plot([i * self.page] * 2, [-h / 2, h / 2], color="#999999", lw=1, ls="--",
                        zorder=4)
            vis = max(1.0, 0.004 * S)
            ax.add_patch(Rectangle((S - vis, -h / 2), vis, h, facecolor=COLORS["unusable"],
                                   zorder=5))
            self.bars = _buffer_bars(ax)
            self.text = PathText((0, -h / 2 - 0.12), "", size=15, ha="left", va="top",
                                 color=DARK, transform=ax.transData) if label else None
            if self.text is not None:
                ax.add_artist(self.text)
            ax.text(S, h / 2 + 0.05, f"{S // self.page} pages = {S} B; the last byte is never "
                    "used", fontsize=13, ha="right", va="bottom", color="#555555")
            ax.text(0, h / 2 + 0.05, "seq_file buffer", fontsize=16, fontweight="bold",
                    ha="left", va="bottom")
        self.state: BufferState | None = None
        self.update(step)

    def _rect(self, a: float, b: float) -> list[tuple[float, float]]:
        h = self.ROW_H
        return [(a, -h / 2), (b, -h / 2), (b, h / 2), (a, h / 2)]

    def update(self, step: int | None) -> list[Any]:
        """Redraw the bars for ``step``."""
        st = buffer_state(self.trace, step)
        self.state = st
        copied_end = min(st.copied, st.count)
        self.bars["copied"].set_verts([self._rect(0, copied_end)] if copied_end > 0 else [])
        self.bars["buffered"].set_verts([self._rect(copied_end, st.count)]
                                        if st.count > copied_end else [])
        if st.ghost is not None:
            ga, gb = st.ghost
            self.bars["ghost"].set_verts([self._rect(ga, min(gb, self.size))])
        else:
            self.bars["ghost"].set_verts([])
        changed: list[Any] = list(self.bars.values())
        if self.text is not None:
            g = ""
            if st.ghost is not None:
                g = f";  {st.ghost[1] - st.ghost[0]} B record rolled back"
            self.text.set_text(f"count {st.count} B: {copied_end} copied to user, "
                               f"{st.count - copied_end} waiting{g}")
            changed.append(self.text)
        return changed

    def byte_counts(self) -> dict[str, int]:
        """Bytes drawn per kind, read back from the bar widths."""
        out = {}
        for k, coll in self.bars.items():
            out[k] = int(round(sum(float(p.vertices[:, 0].max() - p.vertices[:, 0].min())
                                   for p in coll.get_paths())))
        return out


def plot_buffer(trace: Trace, step: int | None = None, ax: Axes | None = None,
                **kwargs: Any) -> BufferView:
    """The seq_file buffer at ``step`` (default: the end): 8 pages, what was written,
    copied and rolled back, the never-usable last byte and every read()'s result.

    Example::

        >>> v = plot_buffer(res.trace)        # doctest: +SKIP
        >>> v.byte_counts()                   # doctest: +SKIP
        {'copied': 32704, 'buffered': 0, 'ghost': 64}
    """
    return BufferView(trace, step, ax, **kwargs)


# ---------------------------------------------------------------------------
# cgroup_mutex
# ---------------------------------------------------------------------------
@dataclass
class MutexSpans:
    """Intervals (in trace steps) replayed from LOCK/UNLOCK, WAIT/ACQUIRED, READ/RETURN."""

    held: list[tuple[int, int]]
    waits: list[tuple[int, int, str]]
    acquired: list[tuple[int, str]]
    reads: list[tuple[int, int, Event]]
    ends: list[tuple[int, str]]


def mutex_spans(trace: Trace) -> MutexSpans:
    """Replay who held ``cgroup_mutex`` when (see :class:`MutexSpans`)."""
    held, waits, acq, reads, ends = [], [], [], [], []
    lock_at: int | None = None
    wait_at: dict[str, int] = {}
    read_at: int | None = None
    n = len(trace.events)
    for e in trace.events:
        k = e.kind
        if k is EventKind.LOCK:
            lock_at = e.step
        elif k is EventKind.UNLOCK and lock_at is not None:
            held.append((lock_at, e.step))
            lock_at = None
        elif k is EventKind.WAIT:
            wait_at[e.note] = e.step
        elif k is EventKind.ACQUIRED:
            s = wait_at.pop(e.note, e.step)
            waits.append((s, e.step, e.note))
            acq.append((e.step, e.note))
        elif k is EventKind.READ:
            read_at = e.step
        elif k is EventKind.RETURN and read_at is not None:
            reads.append((read_at, e.step, e))
            read_at = None
        elif k is EventKind.END:
            ends.append((e.step, e.reason or ""))
    if lock_at is not None:
        held.append((lock_at, n))
    for note, s in wait_at.items():
        waits.append((s, n, note))
    return MutexSpans(held, waits, acq, reads, ends)


class MutexView:
    """Three lanes over the trace: the read() calls with their results,
    ``cgroup_mutex`` (held by the walk / free) and any writer waiting for it.

    The x axis is the trace's steps, stretched so that every read() call gets
    room for its label.  ``cursor`` is a vertical line :meth:`update` moves.
    """

    def __init__(self, trace: Trace, step: int | None = None, ax: Axes | None = None, *,
                 title: str | bool = True) -> None:
        self.trace = trace
        fig, ax = _new_axes(ax, rect=(0.13, 0.13, 0.84, 0.68))
        self.ax, self.figure = ax, fig
        sp = mutex_spans(trace)
        self.spans = sp
        n = max(1, len(trace.events))
        # stretch: each read() at least 1/(2.5 * reads) of the width
        per_read: dict[int, int] = {}
        for e in trace.events:
            per_read[e.read_no] = per_read.get(e.read_no, 0) + 1
        minw = n / (2.5 * max(1, len(per_read)))
        w = np.array([max(1.0, minw / per_read[e.read_no]) for e in trace.events] or [1.0])
        self.x = x = np.concatenate([[0.0], np.cumsum(w)])
        X = float(x[-1])

        def xs(a: int, b: int) -> tuple[float, float]:
            a, b = min(a, n), min(b, n)
            return float(x[a]), float(x[b] - x[a])

        writers = list(dict.fromkeys(w_[2] for w_ in sp.waits))
        wl = {w_: ("writer" if len(writers) == 1 else f"writer {i + 1}")
              for i, w_ in enumerate(writers)}
        lanes = ["read() calls", "cgroup_mutex"] + ([wl[w_] for w_ in writers] or ["writer"])
        self.lanes = lanes
        ys = {name: len(lanes) - 1 - i for i, name in enumerate(lanes)}
        h = 0.56
        with slide_style():
            ax.set_xlim(-0.01 * X, 1.01 * X)
            ax.set_ylim(-0.75, len(lanes) - 0.25)
            ax.set_yticks([ys[x_] for x_ in lanes])
            ax.set_yticklabels(lanes, fontsize=17)
            ax.tick_params(axis="y", length=0)
            ax.spines["left"].set_visible(False)
            centers = [(float(x[a]) + float(x[min(b + 1, n)])) / 2 for a, b, _ in sp.reads]
            if len(centers) <= 16:
                ax.set_xticks(centers)
                ax.set_xticklabels([f"#{e.read_no + 1}" for _a, _b, e in sp.reads], fontsize=15)
            else:
                ax.set_xticks([])
            ax.set_xlabel("time: the trace's steps, read() by read()", fontsize=17)
            y_read, y_mx = ys["read() calls"], ys["cgroup_mutex"]
            ax.broken_barh([(0, X)], (y_mx - h / 2, h), facecolors=COLORS["page"],
                           edgecolors="#BBBBBB", lw=1, zorder=0)
            self.held = ax.broken_barh([xs(a, b + 1) for a, b in sp.held], (y_mx - h / 2, h),
                                       facecolors=COLORS["mutex_held"], zorder=2)
            width_pt = _ax_size_pt(ax)[0]
            self.read_bars = ax.broken_barh([xs(a, b + 1) for a, b, _ in sp.reads],
                                            (y_read - h / 2, h), facecolors="#FFFFFF",
                                            edgecolors=DARK, lw=1.5, zorder=2)
            self.read_labels = []
            for a, b, e in sp.reads:
                x0, wd = xs(a, b + 1)
                txt = _result_text(e)
                fs = 15
                if wd / X * width_pt >= text_width(txt, fs) + 8:
                    self.read_labels.append(ax.text(x0 + wd / 2, y_read, txt, ha="center",
                                                    va="center", fontsize=fs, zorder=3,
                                                    color="#B00000" if (e.result or 0) < 0
                                                    else DARK))
            if not sp.waits:
                ax.text(X / 2, ys[lanes[2]], "no writer waited in this trace", ha="center",
                        va="center", fontsize=15, color="#777777", style="italic")
            self.waits = []
            for a, b, note in sp.waits:
                y = ys[wl[note]]
                # the writer cannot get the mutex before the walk dropped it
                for ha_, hb in sp.held:
                    if ha_ <= a <= hb:
                        b = max(b, hb + 1)
                x0, wd = xs(a, b)
                self.waits.append(ax.broken_barh([(x0, max(wd, 0.004 * X))], (y - h / 2, h),
                                                 facecolors="none",
                                                 edgecolors=COLORS["mutex_wait"], hatch="//",
                                                 lw=2, zorder=2))
                ax.text(x0, y + h / 2 + 0.05, f"{note}: waits for cgroup_mutex", fontsize=15,
                        color="#A23B00", ha="left", va="bottom")
                ax.plot([x0 + wd], [y], marker="D", markersize=16,
                        color=COLORS["mutex_writer"], markeredgecolor="black", zorder=4)
                ax.text(x0 + wd + 0.02 * X, y, "gets it", fontsize=15, ha="left",
                        va="center", color=DARK)
            for s_, reason in sp.ends:
                xe = float(x[min(s_, n)])
                ax.plot([xe, xe], [y_mx - h / 2, y_read + h / 2 + 0.1], color=OKABE_ITO["orange"],
                        lw=2.5, ls="--", zorder=4)
                ax.text(xe, y_read + h / 2 + 0.12, "walk ends: " + reason.replace("_", " "),
                        fontsize=14, color="#9A6700", ha="center", va="bottom")
            self.cursor = ax.axvline(0, color="black", lw=2.5, zorder=6, visible=False)
            if title is not False:
                txt = title if isinstance(title, str) else (
                    "cgroup_mutex: held for the walk inside each read(), free between reads")
                self.title = ax.set_title(txt, loc="left", fontsize=22, fontweight="bold",
                                          pad=60)
            from matplotlib.patches import Patch
            ax.legend(handles=[Patch(facecolor=COLORS["mutex_held"], label="held by the walk"),
                               Patch(facecolor=COLORS["page"], edgecolor="#BBBBBB", label="free"),
                               Patch(facecolor="none", edgecolor=COLORS["mutex_wait"], hatch="//",
                                     label="writer waiting")],
                      loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=3, fontsize=16,
                      frameon=False, borderaxespad=0.3)
        self.step: int | None = None
        self.update(step)

    def update(self, step: int | None) -> list[Any]:
        """Move the cursor to ``step`` (hidden for None)."""
        self.step = step
        if step is None or not len(self.trace.events):
            self.cursor.set_visible(False)
        else:
            i = min(step, len(self.x) - 2)
            xc = (self.x[i] + self.x[i + 1]) / 2
            self.cursor.set_xdata([xc, xc])
            self.cursor.set_visible(True)
        return [self.cursor]


def plot_mutex(trace: Trace, step: int | None = None, ax: Axes | None = None,
               **kwargs: Any) -> MutexView:
    """The ``cgroup_mutex`` lane of a trace: held during each read()'s walk, free
    between them, and any writer (mkdir, rmdir) waiting for it.

    Example::

        >>> from cgiter_edu.viz import scenes, plot_mutex   # doctest: +SKIP
        >>> plot_mutex(scenes.writer_waits().trace)          # doctest: +SKIP
    """
    return MutexView(trace, step, ax, **kwargs)


# ---------------------------------------------------------------------------
# all orders side by side
# ---------------------------------------------------------------------------
def order_traces(h: Any, start: str = "/", up_start: str | None = None, *,
                 orders: Iterable[int] = (1, 2, 3, 4, 5), kernel: Any = None,
                 rec_bytes: int = 64) -> dict[int, Trace]:
    """Run each order through :func:`cgiter_edu.run` and keep the traces.

    ``up_start``: where ANCESTORS_UP starts (default: the deepest cgroup under
    ``start``, so the climb is long).  CHILDREN needs kernel 7.0 (the default).
    """
    from cgiter_edu import KernelConfig, programs, run

    kernel = kernel if kernel is not None else KernelConfig.preset("7.0")
    if up_start is None:
        tree = tree_of(h)
        sid = h.id_of(start)
        depth = tree.depth()
        under = [v for v in tree.nodes if _under(tree, v, sid)]
        deepest = max(under, key=lambda v: depth[v])
        up_start = h.path_of(deepest)
    out: dict[int, Trace] = {}
    for o in orders:
        st = up_start if int(o) == 4 else start
        res = run(h, programs.Record(rec_bytes=rec_bytes), int(o), start=st, read_size=1 << 20,
                  kernel=kernel, trace=True)
        if res.attach_errno or res.trace is None:
            continue
        out[int(o)] = res.trace
    return out


def _under(tree: Tree, v: int, top: int) -> bool:
    while v is not None:
        if v == top:
            return True
        v = tree.parent[v]  # type: ignore[assignment]
    return False


def plot_orders(h: Any, start: str = "/", up_start: str | None = None, *,
                fig: Figure | None = None, kernel: Any = None, labels: str | None = "auto",
                path: bool = True, traces: dict[int, Trace] | None = None) -> dict[int, WalkView]:
    """Every order on one hierarchy, side by side, each cgroup numbered in visiting order.

    Each order is run through :func:`cgiter_edu.run` (kernel 7.0 by default, so
    CHILDREN exists); ANCESTORS_UP starts at ``up_start``.  ``labels="auto"`` names
    the cgroups only when the tree has at most 6 leaves (the panels are small).  Returns the
    :class:`WalkView` of each order (keyed by order value).

    Example::

        >>> from cgiter_edu import shapes                     # doctest: +SKIP
        >>> views = plot_orders(shapes.balanced(2, 3))        # doctest: +SKIP
        >>> views[2].figure.savefig("orders.png")             # doctest: +SKIP
    """
    traces = traces if traces is not None else order_traces(h, start, up_start, kernel=kernel)
    if labels == "auto":                       # small panels: names only when few leaves
        labels = "name" if len(tree_of(h).leaves()) <= 6 else None
    with slide_style():
        fig = fig or plt.figure(figsize=SLIDE_SIZE)
        n = len(traces)
        cols = 3 if n > 4 else max(n, 1)
        rows = math.ceil((n + (1 if n > 4 else 0)) / cols)
        views: dict[int, WalkView] = {}
        W, H = 1.0 / cols, 0.90 / rows
        for i, (o, tr) in enumerate(traces.items()):
            r, c = divmod(i, cols)
            ax = fig.add_axes((c * W + 0.008, 0.90 - (r + 1) * H + 0.01, W - 0.016, H - 0.075))
            v = WalkView(tr, None, ax, labels=labels, numbers="visit", legend=False,
                         title=False, caption=False, path=path, max_scale=1.1, min_font=8.0)
            tt = _namer(tr)(tr.start)
            ax.set_title(f"{order_name(o)}\n", loc="left", fontsize=18,
                         fontweight="bold", pad=4)
            ax.text(0, 1.0, f"from {tt}: {ORDER_FUNCTIONS.get(o, '')}", transform=ax.transAxes,
                    fontsize=12, family="DejaVu Sans Mono", va="bottom", ha="left",
                    color="#444444")
            views[o] = v
        if n > 4 and n < rows * cols:
            r, c = divmod(n, cols)
            lax = fig.add_axes((c * W + 0.01, 0.90 - (r + 1) * H + 0.01, W - 0.02, H - 0.05))
            lax.set_axis_off()
            lax.legend(handles=state_legend_handles([CgroupState.DELIVERED, CgroupState.DEAD,
                                                     CgroupState.UNREACHED]),
                       loc="center left", fontsize=15, labelspacing=1.0)
            lax.text(0.02, 0.95, "numbers: visiting order\narrows: the walk's path",
                     transform=lax.transAxes, fontsize=15, va="top", ha="left")
        kern = next(iter(traces.values())).kernel if traces else ""
        fig.suptitle(f"The cgroup_iter orders on one hierarchy (Linux {kern})", x=0.01,
                     ha="left", y=0.985, fontsize=26, fontweight="bold")
    return views


# ---------------------------------------------------------------------------
# capacity
# ---------------------------------------------------------------------------
def plot_capacity(ax: Axes | None = None, *, page_sizes: Sequence[int] = (4096, 16384, 65536),
                  record_sizes: Sequence[int] | None = None, mark: int = 64,
                  epilogue_bytes: int = 0) -> dict[int, Any]:
    """Records that fit in one session against record size, one line per page size,
    with the commit message's 512 and the kernel's 511 marked at 64-byte records.

    Uses :func:`cgiter_edu.capacity` (``(size - 1 - epilogue) // record``).
    Returns the line of each page size.

    Example::

        >>> lines = plot_capacity()           # doctest: +SKIP
        >>> lines[4096].get_ydata()[list(lines[4096].get_xdata()).index(64)]   # doctest: +SKIP
        511
    """
    from cgiter_edu import capacity

    fig, ax = _new_axes(ax, rect=(0.09, 0.12, 0.86, 0.76))
    sizes = list(record_sizes) if record_sizes is not None else sorted(
        set(int(round(2 ** (k / 16))) for k in range(16 * 3, 16 * 13 + 1)))
    if mark not in sizes:
        sizes = sorted(sizes + [mark])
    lines: dict[int, Any] = {}
    colors = [OKABE_ITO["blue"], OKABE_ITO["orange"], OKABE_ITO["bluish_green"],
              OKABE_ITO["reddish_purple"]]
    with slide_style():
        for ps, col in zip(page_sizes, colors, strict=False):
            ys = [capacity(r, page_size=ps, epilogue_bytes=epilogue_bytes) for r in sizes]
            (ln,) = ax.plot(sizes, ys, color=col, lw=3.5,
                            label=f"{ps // 1024} KiB pages: buffer {(ps << 3) // 1024} KiB")
            lines[ps] = ln
        ax.set_xscale("log", base=2)
        ax.set_yscale("log", base=2)
        ax.set_xlabel("record size written per cgroup (bytes)", fontsize=20)
        ax.set_ylabel("cgroups delivered in one read() session", fontsize=20)
        ax.xaxis.set_major_formatter(mpl.ticker.FuncFormatter(_pow2_label))
        ax.yaxis.set_major_formatter(mpl.ticker.FuncFormatter(_pow2_label))
        ax.grid(True, which="major", color="#DDDDDD", lw=1)
        k511 = capacity(mark, page_size=4096, epilogue_bytes=epilogue_bytes)
        naive = (4096 << 3) // mark
        ax.plot([mark], [k511], marker="o", markersize=13, color=OKABE_ITO["vermillion"],
                markeredgecolor="black", zorder=6)
        ax.legend(loc="lower left", fontsize=17)
        ax.set_title("How many cgroups one session can deliver: (PAGE_SIZE x 8 - 1) // record",
                     loc="left", fontsize=22, fontweight="bold", pad=16)
        # zoom at the commit message's example, linear: 512 against 511
        ins = ax.inset_axes((0.58, 0.64, 0.41, 0.3))
        ins.axhline(naive, color="black", lw=1.5, ls=":")
        ins.axhline(k511, color=OKABE_ITO["vermillion"], lw=1.5, ls=":")
        ins.plot([0], [naive], marker="o", markersize=20, markerfacecolor="white",
                 markeredgecolor="black", markeredgewidth=2.5, zorder=5)
        ins.plot([0], [k511], marker="o", markersize=15, color=OKABE_ITO["vermillion"],
                 markeredgecolor="black", zorder=6)
        ins.text(0.35, naive + 0.15, f"commit message: 8 x 4096 / {mark} = {naive}",
                 fontsize=15, ha="left", va="bottom")
        ins.text(0.35, k511 - 0.15, f"kernel: (32768 - 1) // {mark} = {k511}", fontsize=15,
                 ha="left", va="top", color="#A23B00", fontweight="bold")
        ins.set_xlim(-0.5, 6.2)
        ins.set_ylim(k511 - 1.6, naive + 1.6)
        ins.set_xticks([])
        ins.set_yticks([k511, naive])
        ins.tick_params(labelsize=14)
        ins.set_title(f"zoom at {mark}-byte records, 4 KiB pages", fontsize=15, loc="left",
                      pad=5)
        ins.text(0.35, k511 - 1.05, "count + len < size: the last byte is never used",
                 fontsize=13, ha="left", va="center", color="#444444", style="italic")
        from matplotlib.patches import ConnectionPatch
        ax.add_artist(ConnectionPatch(xyA=(mark, k511), coordsA=ax.transData, xyB=(0, k511),
                                      coordsB=ins.transData, arrowstyle="-", lw=1.5,
                                      color="#888888", ls="--", zorder=1))
        ins.set_facecolor("white")
        for sp in ins.spines.values():
            sp.set_visible(True)
            sp.set_color("#888888")
    return lines


def _pow2_label(x: float, _pos: int) -> str:
    if x <= 0:
        return ""
    k = math.log2(x)
    if abs(k - round(k)) > 1e-9:
        return ""
    x = int(round(x))
    return f"{x:,}"
