"""The hierarchy at one step of a walk: :class:`WalkView` and :func:`plot_walk`.

Each cgroup is coloured and shaped (:func:`~cgiter_edu.viz.style.state_marker`) by
its :class:`~cgiter_edu.replay.CgroupState` at the step (:meth:`Trace.states`) and
numbered with its ``seq_num`` (or its place in the visiting order); three drawings
of the same tree: a tidy top-down tree, a systemd-cgls-like list wrapped in columns
(hundreds of cgroups) and an icicle (thousands: rectangles, each state's colour and
hatch, :data:`~cgiter_edu.viz.style.STATE_HATCHES`).  The layout never decides an order:
it keeps creation order, the numbers and the path come from the trace.

Example::

    >>> import matplotlib; matplotlib.use("Agg")
    >>> from cgiter_edu import Hierarchy, Order, run, programs
    >>> from cgiter_edu.viz import plot_walk
    >>> h = Hierarchy(); _ = h.mkdir("/a"); _ = h.mkdir("/a/b")
    >>> res = run(h, programs.Record(rec_bytes=64), Order.DESCENDANTS_PRE, trace=True)
    >>> view = plot_walk(res.trace, step=3)
    >>> sorted(view.colors())            # cgroup ids drawn
    [1, 2, 3]
    >>> view.number_texts()
    {1: '0'}
    >>> _ = view.update(None); view.number_texts()
    {1: '0', 2: '1', 3: '2'}
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection, PathCollection, PolyCollection
from matplotlib.path import Path

from cgiter_edu import Order
from cgiter_edu.kernel.config import kernel_label
from cgiter_edu.replay import CgroupState
from cgiter_edu.trace import Trace

from .analysis import first_reached, states_shown, walk_over
from .geometry import HEADER_FONT, Geometry, list_geometry, tree_geometry, walk_arrows
from .layout import icicle_layout, state_runs, tree_labels, tree_of
from .legend import DEAD_DASHES, place_walk_legend
from .style import (
    COLORS,
    STATE_COLORS,
    STATE_HATCHES,
    PathText,
    hatch_color,
    slide_style,
    state_marker,
    text_color_on,
)
from .view import BASE_FONT, DARK, MIN_FONT, View, ax_size_pt, new_axes, text_width
from .walk_numbers import (
    SLIDE_NUMBER_FONT,
    fit_numbers,
    number_faces,
    number_paths,
    walk_numbers,
    widest_number,
)
from .words import cgroup_name, frame_caption, walk_alt

__all__ = ["WalkView", "plot_walk", "states_shown", "walk_over"]

_CLEAR = (0.0, 0.0, 0.0, 0.0)


class WalkView(View):
    """The hierarchy of a trace, drawn once; :meth:`update` recolours it for a step.

    Attributes: ``nodes`` (the marker collection, one point per ``ids`` entry),
    ``numbers`` (one PathCollection of glyphs, one path per numbered cgroup, in
    ``number_ids`` order), ``labels``, ``edges``, ``title``, ``caption``, ``alt``,
    ``dashed`` (dead cgroups drawn with a dashed outline, their legend entry then shown).

    Parameters
    ----------
    trace : Trace
        The walk.
    step : int, optional
        The step shown (None: after the last event).
    ax : matplotlib.axes.Axes, optional
        Where to draw (default: a new 16:9 slide figure).
    view : {"auto", "tree", "list", "icicle"}, default "auto"
        A tidy top-down tree, systemd-cgls style rows wrapped in columns (hundreds of
        cgroups), an icicle (thousands), or the first that keeps labels readable.
    labels : {"name", "path", "id"}, dict or None, default "name"
        Each cgroup's label, or ``{id: text}``.
    numbers : {"seq", "visit"} or None, default "seq"
        Each walked cgroup's seq_num, or its place in the visiting order from 1.
    legend : bool or iterable of CgroupState, default True
        The states that occur at ``step``, none, or the states to list.
    title, caption : bool or str
        Draw the title (or this one) and the step's caption.
    path : bool, default False
        Arrows from each cgroup to the next one visited (tree view).
    max_scale, min_font, short_headers : float, float, bool
        The largest scale; the smallest label font; list view headers cut short.
    min_number_font : float, optional
        The smallest number font (points): markers grown to hold numbers that size
        (labels kept at least ``min_font``), else no numbers.  Default: in a figure of
        its own (no ``ax``), :data:`~cgiter_edu.viz.walk_numbers.SLIDE_NUMBER_FONT` (14 px
        on a slide); in the caller's axes, the layout's own size.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> from cgiter_edu import Order, programs, run, shapes
    >>> t = run(shapes.balanced(2, 2), programs.Record(rec_bytes=64),
    ...         Order.DESCENDANTS_POST, trace=True).trace
    >>> v = WalkView(t, step=10); v.view, v.number_texts()[3]     # post-order: /c0/c0 first
    ('tree', '0')
    >>> _ = v.update(None); len(v.number_texts())
    7
    """

    def __init__(self, trace: Trace, step: int | None = None, ax: Axes | None = None, *,
                 view: str = "auto", labels: str | dict[int, str] | None = "name",
                 numbers: str | None = "seq", legend: bool | Iterable[CgroupState] = True,
                 title: str | bool = True,
                 caption: bool = True, path: bool = False, max_scale: float = 1.6,
                 min_font: float = 11.0, short_headers: bool = False,
                 min_number_font: float | None = None) -> None:
        self.trace = trace
        #: the numbers at least this size (points), the markers grown for them, or none
        self.min_number_font = (SLIDE_NUMBER_FONT if min_number_font is None and ax is None
                                else min_number_font)
        #: the list view's last column header shortened to its column too (a small picture)
        self.short_headers = short_headers
        self.tree = tree_of(trace)
        self.ids: list[int] = self.tree.nodes
        self.index = {v: i for i, v in enumerate(self.ids)}
        self.numbers_mode = numbers
        self.show_caption = caption
        own = ax is None
        figure, ax = new_axes(ax, rect=(0.015, 0.03, 0.70 if legend is not False else 0.97, 0.82))
        super().__init__(figure, ax)
        ax.set_axis_off()
        self._label_text = tree_labels(self.tree, labels)
        self.min_font = min_font
        aw, ah = ax_size_pt(ax)
        self.view = self._choose(view, aw, ah)
        self.legend = None
        self.dashed = False          # dead cgroups outlined in dashes (tree and list views)
        self._visit = {v: i + 1 for i, v in enumerate(trace.visit_order())}
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
            if legend is not False:
                shown = (states_shown(trace, [step]) if legend is True
                         else [CgroupState(x) for x in legend])
                self.legend = place_walk_legend(self, shown, walk_over(trace, step), own)
        self.step: int | None = None
        self.update(step)

    # -- construction -----------------------------------------------------------------
    def _choose(self, view: str, aw: float, ah: float) -> str:
        if view in ("tree", "list", "icicle"):
            return view
        if view != "auto":
            raise ValueError(f"view must be 'auto', 'tree', 'list' or 'icicle', not {view!r}")
        n = len(self.ids)
        if n > 600:
            return "icicle"
        g = tree_geometry(self.tree, self._label_text)
        x0, y0, x1, y1 = g.bbox
        s_tree = min(aw / (x1 - x0), ah / (y1 - y0))
        if s_tree * BASE_FONT >= self.min_font or n <= 3:
            self._geom = g
            return "tree"
        g2 = list_geometry(self.tree, self._label_text, aw / ah,
                                   short_headers=self.short_headers)
        x0, y0, x1, y1 = g2.bbox
        s_list = min(aw / (x1 - x0), ah / (y1 - y0))
        if s_list * BASE_FONT < MIN_FONT and n > 300:
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
            g = (tree_geometry(self.tree, self._label_text) if self.view == "tree"
                 else list_geometry(self.tree, self._label_text, aw / ah,
                                   short_headers=self.short_headers))
        want = max(MIN_FONT, self.min_number_font or 0.0)
        if self.min_number_font and self.numbers_mode and \
                g.number_font * g.scale(aw, ah, max_scale) < want:
            g = fit_numbers(g, self.tree, self._label_text, (aw, ah, max_scale), want,
                            self.min_font, self.short_headers,
                            widest_number(self.trace, self.numbers_mode, self._visit, len(self.ids))) or g
        self.geometry = g
        x0, y0, x1, y1 = g.margined()
        s = g.scale(aw, ah, max_scale)
        self.scale = s
        # centre the drawing in the axes at exactly s points per unit
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        ax.set_xlim(cx - aw / s / 2, cx + aw / s / 2)
        ax.set_ylim(cy - ah / s / 2, cy + ah / s / 2)
        ax.set_aspect("auto")
        lw = max(0.6, 1.6 * s)
        # cgroups another thread makes during the walk: drawn from the step it makes them
        self.made_at = {v: at for v, at in self.trace.made_during().items() if v in g.xy}
        ends = {v: {g.xy[v], (g.xy[v][0] - g.marker / 2, g.xy[v][1])} for v in self.made_at}
        later = {v: [sg for sg in g.segments if tuple(sg[-1]) in ends[v]] for v in ends}
        self.later_edges = {v: LineCollection(segs, colors=COLORS["edge"], linewidths=lw,
                                              zorder=1, capstyle="round", joinstyle="round")
                            for v, segs in later.items()}
        for lc in self.later_edges.values():
            ax.add_collection(lc)
        dropped = {id(sg) for segs in later.values() for sg in segs}
        self.edges = LineCollection([sg for sg in g.segments if id(sg) not in dropped],
                                    colors=COLORS["edge"], linewidths=lw, zorder=1,
                                    capstyle="round", joinstyle="round")
        ax.add_collection(self.edges)
        xs = np.array([g.xy[v][0] for v in self.ids])
        ys = np.array([g.xy[v][1] for v in self.ids])
        dead = [self.tree.dead.get(v, False) for v in self.ids]
        self._sizes = np.full(len(self.ids), (g.marker * s) ** 2)
        self.nodes = ax.scatter(xs, ys, s=(g.marker * s) ** 2, c=[STATE_COLORS[CgroupState.UNREACHED]],
                                edgecolors="black", linewidths=max(0.5, 1.4 * s), zorder=3)
        self.nodes.set_linestyles([DEAD_DASHES if d else "solid" for d in dead])
        self.dashed = any(dead)
        fn = g.number_font * s
        fl = BASE_FONT * s
        self._make_numbers(g)
        self.labels = []
        self._later_labels: dict[int, Any] = {}
        if fl >= MIN_FONT:
            for v in self.ids:
                txt = self._label_text.get(v, "")
                if txt:
                    lx, ly = g.label_xy[v]
                    self.labels.append(ax.text(lx, ly, txt, ha=g.label_ha, va="center_baseline",
                                               fontsize=fl, zorder=4, color=DARK))
                    if v in self.made_at:
                        self._later_labels[v] = self.labels[-1]
        self.headers = [ax.text(x, y, txt, ha="left", va="bottom", fontsize=HEADER_FONT * fl,
                                zorder=4, color="#666666", style="italic")
                        for x, y, txt in g.headers] if fl * HEADER_FONT >= MIN_FONT else []
        if fn < want * (1 - 1e-9):                 # too small to read: no numbers
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
        # the cue besides the colour: one hatched layer per state over its bars
        self._cells = verts
        self.hatches = {s: PolyCollection([], facecolors="none", linewidths=0, zorder=2.5,
                                          edgecolors=[hatch_color(STATE_COLORS[s])],
                                          hatch=STATE_HATCHES[s])
                        for s in CgroupState}
        for h in self.hatches.values():
            ax.add_collection(h, autolim=False)
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
            if txt and w * unit_pt >= text_width(txt, fs) + 4 and fs >= MIN_FONT:
                self.labels.append(ax.text(x0 + w / 2, -lvl - 1 + 0.46, txt, ha="center",
                                           va="center", fontsize=fs, zorder=3, clip_on=True))
        self.numbers_mode = None

    def _draw_path(self) -> None:
        from matplotlib.patches import FancyArrowPatch

        reached = first_reached(self.trace)
        seq = [v for v in reached if v in self.geometry.xy]
        self.path_arrows = []
        self._arrow_at: list[int] = []          # the step at which each arrow's head is reached
        s = self.scale * max(1.0, self.geometry.marker / 32.0)    # grown markers: as big
        for vb, arrow in zip(seq[1:], walk_arrows(self.geometry, self.tree, seq), strict=True):
            if arrow is None:
                continue
            verts, codes = arrow
            arr = FancyArrowPatch(path=Path(verts, codes), arrowstyle="-|>",
                                  mutation_scale=max(7.0, 15 * s), color=COLORS["path"],
                                  lw=max(1.0, 1.8 * s), alpha=0.85, zorder=2.5,
                                  joinstyle="round", capstyle="round")
            self.ax.add_patch(arr)
            self.path_arrows.append(arr)
            self._arrow_at.append(reached[vb])

    def _default_title(self) -> str:
        t = self.trace
        start = cgroup_name(t, t.start) if t.start is not None else "/"
        kern = f", {kernel_label(t.kernel)}" if t.kernel else ""
        return f"{Order(t.order).name} from {start}{kern}"

    # -- per step ------------------------------------------------------------------------
    def states(self, step: int | None = None) -> dict[int, CgroupState]:
        """The trace's states at ``step`` (what :meth:`update` paints)."""
        return self.trace.states(step)

    def update(self, step: int | None) -> list[Any]:
        """Recolour every cgroup for ``step`` (None: after the last event), show the
        numbers and path reached by then and the caption; returns the artists that
        changed (for blitting)."""
        self.step = step
        changed = self.paint(self.trace.states(step))
        for arr, at in zip(getattr(self, "path_arrows", []), getattr(self, "_arrow_at", []),
                           strict=True):
            arr.set_visible(step is None or at <= step)
        changed += getattr(self, "path_arrows", [])
        if self.show_caption:
            self.caption.set_text(self.caption_text)
            changed.append(self.caption)
        return changed

    def paint(self, states: dict[int, CgroupState]) -> list[Any]:
        """Colour and shape each cgroup by ``states`` (cgroups missing: not reached) and show the
        numbers of those it gives one; :meth:`update` calls it with the trace's states
        at the step.  A caller may paint other states (e.g. mark cgroups a stopped walk
        never reached as ``NEVER``).  Returns the changed artists."""
        unreached = CgroupState.UNREACHED
        drawn = [states.get(v, unreached) for v in self.ids]
        cols = [STATE_COLORS[s] for s in drawn]
        self.nodes.set_facecolors(cols)
        changed: list[Any] = [self.nodes]
        if self.view != "icicle":              # each state its shape too, not only its colour
            self.nodes.set_paths([state_marker(s) for s in drawn])
        else:                                  # ...or its hatch (bars, see STATE_HATCHES)
            runs = state_runs(self.geometry, self.ids, drawn)
            for st, h in self.hatches.items():
                h.set_verts(runs.get(st, []))
            changed += self.hatches.values()
        made = getattr(self, "made_at", None)
        if made:                               # not made yet: not drawn
            step = self.step
            sizes = self._sizes.copy()
            for v, at in made.items():
                there = step is None or step >= at
                if not there:
                    sizes[self.index[v]] = 0.0
                for a in (self.later_edges.get(v), self._later_labels.get(v)):
                    if a is not None:
                        a.set_visible(there)
                        changed.append(a)
            self.nodes.set_sizes(sizes)
        if self.numbers_mode and self.number_ids:
            last = len(self.trace.events) if self.step is None else self.step
            fc, self._visible_numbers = number_faces(
                self.numbers_mode, self.number_ids, states, self._first_num_step, last,
                lambda v: "black" if self.geometry.number_right else text_color_on(cols[self.index[v]]))
            self.numbers.set_facecolors(fc)
            changed.append(self.numbers)
        return changed

    @property
    def alt(self) -> str:
        """What the picture shows, in words (its alt text), from the trace and the step
        drawn: see :func:`~cgiter_edu.viz.analysis.walk_alt`."""
        title = self._default_title().replace(" from ", " walk from ", 1)
        return walk_alt(self.trace, self.step, self.ids, self.view, self.numbers_mode, title)

    @property
    def caption_text(self) -> str:
        """The caption of the step shown (:func:`~cgiter_edu.viz.words.frame_caption`),
        whether or not this view draws it."""
        return frame_caption(self.trace, self.step)

    def artists(self) -> list[Any]:
        """The artists :meth:`update` changes: markers, numbers, path arrows, caption."""
        return [*getattr(self, "path_arrows", []), self.nodes,
                *getattr(self, "hatches", {}).values(), self.numbers, self.caption]

    def colors(self) -> dict[int, tuple[float, float, float, float]]:
        """Each cgroup's face colour as drawn, read back from the artist (RGBA)."""
        fc = self.nodes.get_facecolors()
        if len(fc) == 1 and len(self.ids) > 1:
            fc = np.repeat(fc, len(self.ids), axis=0)
        return {v: tuple(float(c) for c in fc[i]) for i, v in enumerate(self.ids)}

    def shapes(self) -> dict[int, Any]:
        """Each cgroup's marker shape as drawn (a :class:`~matplotlib.path.Path`, see
        :func:`~cgiter_edu.viz.style.state_marker`), read back from the artist; empty in
        the icicle view (rectangles)."""
        if self.view == "icicle":
            return {}
        paths = self.nodes.get_paths()
        return {v: paths[i % len(paths)] for i, v in enumerate(self.ids)}

    def hatch_patterns(self) -> dict[int, str]:
        """Each cgroup's hatch pattern as drawn in the icicle view (see
        :data:`~cgiter_edu.viz.style.STATE_HATCHES`), read back from the hatched layers;
        empty in the tree and list views (their cue is the marker shape)."""
        if self.view != "icicle":
            return {}
        out = {}
        for h in self.hatches.values():         # a hatched run covers the bars under it
            for p in h.get_paths():
                (x0, y0), (x1, _y) = p.vertices[0], p.vertices[1]
                for v, c in zip(self.ids, self._cells, strict=True):
                    if abs(c[0][1] - y0) < 1e-9 and x0 - 1e-9 <= c[0][0] < x1 - 1e-9:
                        out[v] = h.get_hatch()
        return out

    def number_texts(self) -> dict[int, str]:
        """The number drawn on each cgroup (visible ones only)."""
        vis = getattr(self, "_visible_numbers", set())
        return {v: self._number_text[v] for v in self.number_ids if v in vis}

    def _make_numbers(self, g: Geometry) -> None:
        """One glyph path per numbered cgroup, in data units, on its marker or in the margin."""
        final, first = walk_numbers(self.trace, self.numbers_mode, self._visit)
        paths, self.number_ids = number_paths(final, self.ids, g.xy, g.number_font,
                                              g.number_right or None)
        self._number_text = {v: str(final[v]) for v in self.number_ids}
        self._first_num_step = first
        self.numbers = PathCollection(paths, facecolors=[_CLEAR] * len(paths),
                                      edgecolors="none", linewidths=0, zorder=4)
        self.ax.add_collection(self.numbers, autolim=False)


def plot_walk(trace: Trace, step: int | None = None, ax: Axes | None = None,
              **kwargs: Any) -> WalkView:
    """Draw the hierarchy at one step of a walk, each cgroup coloured by its state.

    Parameters
    ----------
    trace : Trace
        The walk, as recorded by :func:`cgiter_edu.run` (``res.trace``).
    step : int, optional
        The step to show, 0-based (``trace.events[step]`` is the last event applied);
        default: after the last event.
    ax : matplotlib.axes.Axes, optional
        Where to draw; default a new 16:9 slide figure.
    **kwargs
        The view's options (layout, labels, caption...), see :class:`WalkView`.

    Returns
    -------
    WalkView
        What was drawn (``.nodes``, ``.figure``...); ``.update(step)`` redraws another
        step by updating those artists.

    Examples
    --------
    >>> from cgiter_edu import shapes, run, programs, Order     # doctest: +SKIP
    >>> res = run(shapes.systemd_host(), programs.Record(rec_bytes=64),
    ...           Order.DESCENDANTS_PRE, trace=True)            # doctest: +SKIP
    >>> plot_walk(res.trace, step=20).figure.savefig("walk.png")  # doctest: +SKIP
    """
    return WalkView(trace, step, ax, **kwargs)
