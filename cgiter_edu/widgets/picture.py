"""The explorer's picture: ONE reused Agg figure, rendered kernel-side to PNG bytes.

:class:`FrameRenderer` composes the existing views of :mod:`cgiter_edu.viz` (through
their public names) on one :class:`matplotlib.figure.Figure` (no pyplot, so nothing
displays itself and no global state): the hierarchy coloured by state
(:class:`~cgiter_edu.viz.WalkView`), the seq_file buffer
(:class:`~cgiter_edu.viz.BufferView`) and the ``cgroup_mutex`` lanes
(:class:`~cgiter_edu.viz.MutexView`); or, in the all-orders mode, one WalkView per
order (:func:`~cgiter_edu.viz.plot_orders`).  A frame is drawn by blitting: the static
parts are rendered once per trace, each step restores that background and draws
only the artists the views' ``update(step)`` returned.

Example::

    >>> from cgiter_edu.widgets.model import Settings, walk
    >>> r = FrameRenderer()
    >>> r.show_walk(walk(Settings(tree="small")).trace)
    >>> r.render(5)[:4]
    b'\\x89PNG'
"""

from __future__ import annotations

import io
import threading
from dataclasses import dataclass
from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from cgiter_edu.replay import CgroupState
from cgiter_edu.trace import Trace

__all__ = ["FrameRenderer", "FIG_SIZE", "DPI", "PROJECTOR_WIDTH", "MIN_TEXT_PX", "min_font_pt",
           "TextBox"]

FIG_SIZE = (16.0, 9.0)     #: inches, the slide size the views are designed for
DPI = 64                   #: 1024 x 576 pixels
#: pixels the picture is shown at, wide, on a 1280x720 screen (measured in Chromium:
#: 842 in Voila; tests/test_browser.py checks it is at least this)
PROJECTOR_WIDTH = 840
#: no text in the picture is smaller than this (pixels, at PROJECTOR_WIDTH)
MIN_TEXT_PX = 14


def min_font_pt(figure: Any) -> float:
    """The font size (points) of a text :data:`MIN_TEXT_PX` high once ``figure`` is shown
    :data:`PROJECTOR_WIDTH` pixels wide (19.2 pt for the explorer's 1024 px at 64 dpi)."""
    return MIN_TEXT_PX * figure.bbox.width / PROJECTOR_WIDTH * 72 / figure.dpi


@dataclass
class TextBox:
    """A text of the picture: ``px`` its font size in pixels once shown at
    :data:`PROJECTOR_WIDTH`, ``box`` where it is there ``(x0, y0, x1, y1)``."""

    text: str
    px: float
    box: tuple[float, float, float, float]


class FrameRenderer:
    """One figure, reused for every frame of every trace the explorer shows.

    :meth:`show_walk` (one trace: tree, buffer, mutex) or :meth:`show_orders` (several
    traces side by side) rebuild the figure's contents; :meth:`render` draws one step
    and returns PNG bytes.  A lock makes rebuild and render safe from two threads.

    Parameters
    ----------
    figsize : (float, float), default FIG_SIZE
        The figure's size in inches.
    dpi : float, default DPI
        Pixels per inch of the PNG frames.

    Examples
    --------
    >>> from cgiter_edu import Order, programs, run, shapes
    >>> t = run(shapes.balanced(2, 2), programs.Record(rec_bytes=64),
    ...         Order.DESCENDANTS_PRE, trace=True).trace
    >>> r = FrameRenderer(); r.show_walk(t)
    >>> r.render(3)[:4]
    b'\x89PNG'
    """

    def __init__(self, figsize: tuple[float, float] = FIG_SIZE, dpi: float = DPI) -> None:
        from cgiter_edu.viz import slide_style

        with slide_style():
            self.figure = Figure(figsize=figsize, dpi=dpi)
        self.canvas = FigureCanvasAgg(self.figure)
        self.lock = threading.RLock()
        self.views: dict[str, Any] = {}
        self.traces: dict[str, Trace] = {}
        self._dynamic: list[Any] = []
        self._background: Any = None
        self._plan: list[tuple[str, Any]] = []
        self._over: list[Any] = []
        self.step: int | None = None
        self._view_arg = "auto"
        self._legend_artist: Any = None
        # pre-drawn layers by the artists in them (kept with them, so ids stay unique)
        self._layers: dict[tuple[int, ...], tuple[list[Any], Any]] = {}
        self._legends: dict[tuple[Any, int, bool], Any] = {}   # state legends as images
        #: the state legend's font size (points): the smallest a text may be
        self.legend_font = min_font_pt(self.figure)

    # -- building ------------------------------------------------------------------------
    def clear(self, message: str = "") -> None:
        """Empty the figure (a message in the middle, e.g. why nothing can be shown)."""
        with self.lock:
            fig = self.figure
            for ax in list(fig.axes):     # Figure.clear() would clear each Axes first: slow
                fig.delaxes(ax)
            fig.clear()
            self.views, self.traces = {}, {}
            self._legend_artist = None
            self._layers = {}
            self._dynamic, self._background, self._plan, self._over = [], None, [], []
            if message:
                self.figure.text(0.5, 0.5, message, ha="center", va="center", fontsize=24,
                                 wrap=True, color="#A23B00")

    def show_walk(self, trace: Trace, *, view: str = "auto") -> None:
        """The tree, the buffer and the mutex lanes of one trace."""
        from cgiter_edu.viz import BufferView, MutexView, WalkView, slide_style

        with self.lock, slide_style():
            fig = self.figure
            font = min_font_pt(fig)
            keep = self._reusable(trace, view)
            if keep:
                # same cgroups: keep the tree view (its static picture does not depend
                # on the walk) and, for the same buffer size, the buffer view; point
                # them at the new trace; the rest is built again, in the same order
                walk = self.views["walk"]
                _retarget_walk(walk, trace)
                if self._legend_artist is not None:
                    self._legend_artist.remove()
                fig.delaxes(self.views["mutex"].ax)
                if keep == "all":
                    buf = self.views["buffer"]
                    buf.trace, buf.step, buf.state = trace, None, None
                else:
                    fig.delaxes(self.views["buffer"].ax)
            else:
                self.clear()
                # laid out for a projector: no text under MIN_TEXT_PX (min_font_pt)
                ax_tree = fig.add_axes((0.005, 0.365, 0.63, 0.63))
                kw = dict(legend=False, title=False, caption=False, min_font=0.9 * font,
                          short_headers=True, min_number_font=font)
                walk = WalkView(trace, None, ax_tree, view=view, **kw)
                if walk.view != "icicle":
                    _fit_tree_texts(walk, font)
                if view == "auto" and walk.view == "list" and _texts_overlap(walk):
                    # hundreds of rows: names too small to read, too many to enlarge
                    # without overlapping; the icicle shows the tree instead
                    fig.delaxes(ax_tree)
                    ax_tree = fig.add_axes((0.005, 0.365, 0.63, 0.63))
                    walk = WalkView(trace, None, ax_tree, view="icicle", **kw)
                if walk.view == "icicle":
                    _fit_icicle_texts(walk, font)
            if keep != "all":
                ax_buf = fig.add_axes((0.745, 0.45, 0.245, 0.45))
                buf = BufferView(trace, None, ax_buf, reads=False, zoom=128,
                                 title="seq_file buffer", font=font)
                buf.status.set_visible(False)          # the explorer says it in words
                ax_buf.set_xlabel("")
            ax_mx = fig.add_axes((0.14, 0.05, 0.845, 0.15))
            mx = MutexView(trace, None, ax_mx, title=False, font=font)
            ax_mx.set_xlabel("")
            legend = self._legend_image(tuple(trace.states_seen()),   # drawn once per set
                                        dashed=walk.dashed)
            self._legend_artist = fig.figimage(
                legend, xo=int(0.005 * fig.bbox.width),
                yo=int(0.36 * fig.bbox.height) - legend.shape[0], zorder=1)
            self._view_arg = view
            self.views = {"walk": walk, "buffer": buf, "mutex": mx}
            self.traces = {k: trace for k in self.views}
            self._prepare()

    def _reusable(self, trace: Trace, view: str) -> str:
        """What can :meth:`show_walk` keep of what it shows now?  ``"all"`` (the tree
        and buffer views: the same cgroups, no path arrows, the numbers are redone; a
        buffer of the same size: e.g. another order or record size), ``"tree"`` (the
        same cgroups, another buffer size) or ``""`` (nothing)."""
        old = self.traces.get("walk")
        walk, buf = self.views.get("walk"), self.views.get("buffer")
        if not (old is not None and walk is not None and buf is not None
                and "mutex" in self.views and not getattr(walk, "path_arrows", None)
                and self._view_arg == view and not walk.show_caption
                and list(trace.cgroups.items()) == list(old.cgroups.items())
                and set(trace.made_during()) == set(old.made_during())):
            return ""
        if (trace.page_size, trace.buffer_size) == (old.page_size, old.buffer_size):
            return "all"
        return "tree"

    def _legend_image(self, states: tuple[CgroupState, ...], ncol: int = 4,
                      dashed: bool = False) -> Any:
        """The legend of ``states`` (those the walk shows at some step, like every viz
        legend) and, with ``dashed``, of the dead cgroups' dashed outline, as an RGBA
        array, drawn once per set of states (a legend is one of the slowest things to
        lay out)."""
        key = (states, ncol, dashed)
        if key not in self._legends:
            import numpy as np

            from cgiter_edu.viz import slide_style
            from cgiter_edu.viz.legend import legend_handles

            with slide_style():
                f = Figure(figsize=(16, 1.5 if ncol > 1 else 6), dpi=self.figure.dpi)
                FigureCanvasAgg(f)
                leg = f.legend(handles=legend_handles(states, dashed=dashed), loc="upper left",
                               ncol=ncol,
                               bbox_to_anchor=(0, 1), fontsize=self.legend_font, frameon=False,
                               handletextpad=0.2, columnspacing=0.8, borderaxespad=0.1,
                               labelspacing=0.25)
                f.patch.set_alpha(0)
                f.canvas.draw()
                box = leg.get_window_extent()
                img = np.asarray(f.canvas.buffer_rgba())
                h = int(np.ceil(box.height)) + 2
                w = int(np.ceil(box.x1)) + 2
                self._legends[key] = img[:h, :w].copy()
        return self._legends[key]

    def show_orders(self, traces: dict[int, Trace], hierarchy: Any, start: str = "/",
                    rejected: dict[int, str] | None = None) -> None:
        """Each order's walk side by side (``traces`` by order value), one slider for all;
        ``rejected``: orders the kernel refused, with the reason, written in a corner."""
        from cgiter_edu.viz import slide_style
        from cgiter_edu.viz.layout import tree_of
        from cgiter_edu.viz.orders import OrdersView

        with self.lock, slide_style():
            self.clear()
            fig = self.figure
            font = min_font_pt(fig)
            views = {}
            if traces:
                # four orders (Linux 6.18) two by two: the trees twice as wide; no title
                # (the explorer says it), the state legend in its place
                tree = tree_of(hierarchy)
                labels = "name" if len(tree.leaves()) <= 6 else None
                four = len(traces) == 4
                legend = None
                if four:        # the state legend in a column right of the panels
                    seen: set[CgroupState] = set()
                    for t in traces.values():
                        seen.update(t.states_seen())
                    legend = self._legend_image(tuple(s for s in CgroupState if s in seen),
                                                ncol=1, dashed=any(tree.dead.values()))
                right = 1.0 if legend is None else 1 - (legend.shape[1] + 8) / fig.bbox.width
                # no title: the page says what it is, the panels take the height
                ov = OrdersView(traces, fig, labels=labels, path=True, every_step=True,
                                cols=2 if four else None, max_scale=3.0, font=font,
                                right=right, title=False)
                views = ov.views
                for v in views.values():      # a small tree's names: 14 px too
                    _fit_tree_texts(v, font)
                if legend is not None:
                    self._legend_artist = fig.figimage(
                        legend, xo=int(fig.bbox.width) - legend.shape[1] - 4,
                        yo=int(0.95 * fig.bbox.height) - legend.shape[0], zorder=1)
            if rejected:
                from cgiter_edu.names import order_name

                txt = "\n".join(f"{order_name(o)}: {why}" for o, why in rejected.items())
                self.figure.text(0.01, 0.01, txt, fontsize=font, color="#A23B00", va="bottom",
                                 ha="left", wrap=True)
            self.views = {f"order{o}": v for o, v in views.items()}
            self.traces = {f"order{o}": t for o, t in traces.items()}
            self._prepare()

    def _prepare(self) -> None:
        """Find the artists a step changes; draw everything else once.

        Static artists drawn *above* a changing one in the same Axes (an icicle cell's
        label over its cell, the never-usable byte over the buffer bars) cannot be in
        the background.  Each run of them between two changing artists (in the order
        a full redraw draws them: zorder, then the order they were added) is drawn
        once into a transparent layer; a frame draws the changing artists and
        composites those layers in that order -- the picture a full redraw gives,
        at the cost of a few array operations instead of drawing text again."""
        import numpy as np

        for a in self._dynamic + self._over:    # a kept view's artists: decided again below
            a.set_animated(False)
        dyn: list[Any] = []
        for key, v in self.views.items():
            dyn += v.update(0 if len(self.traces[key]) else None)
            dyn += list(getattr(v, "path_arrows", []))
        seen: set[int] = set()
        dyn = [a for a in dyn if not (id(a) in seen or seen.add(id(a)))]
        plan: list[tuple[str, Any]] = [("draw", a) for a in dyn if a.axes is None]
        over: list[Any] = []
        for ax in self.figure.axes:
            mine = [a for a in dyn if a.axes is ax]
            if not mine:
                continue
            skip = {id(ax.patch)}                # what Axes.draw itself leaves out
            if not (ax.axison and ax.get_frame_on()):
                skip |= {id(sp) for sp in ax.spines.values()}
            if not ax.axison:
                skip |= {id(ax.xaxis), id(ax.yaxis)}
            kids = [a for a in ax.get_children() if id(a) not in skip and
                    (id(a) in seen or a.get_visible())]
            order = {id(a): i for i, a in enumerate(kids)}
            layered = sorted(kids, key=lambda a: (a.get_zorder(), order[id(a)]))
            first = min(i for i, a in enumerate(layered) if id(a) in seen)
            run: list[Any] = []
            for a in layered[first:]:
                if id(a) in seen:
                    if run:
                        plan.append(("layer", run))
                        run = []
                    plan.append(("draw", a))
                else:
                    run.append(a)
                    over.append(a)
            if run:
                plan.append(("layer", run))
        self._over = over
        self._dynamic = dyn
        for a in dyn + over:
            a.set_animated(True)
        self.canvas.draw()
        self._background = self.canvas.copy_from_bbox(self.figure.bbox)
        renderer = self.canvas.get_renderer()
        self._plan = []
        layers: dict[tuple[int, ...], tuple[list[Any], Any]] = {}
        for what, x in plan:
            if what == "draw":
                self._plan.append((what, x))
                continue
            key = tuple(id(a) for a in x)
            if key in self._layers:               # the same static artists (a kept view)
                layer = self._layers[key][1]
            else:
                renderer.clear()                  # transparent
                for a in x:
                    self.figure.draw_artist(a)
                ov = np.asarray(self.canvas.buffer_rgba())
                ys, xs = np.nonzero(ov[..., 3])
                layer = (ys, xs, ov[ys, xs, :3].astype(np.uint16),
                         ov[ys, xs, 3:4].astype(np.uint16)) if len(ys) else None
            layers[key] = (x, layer)
            if layer is not None:
                self._plan.append(("layer", layer))
        self._layers = layers
        self.canvas.restore_region(self._background)
        self.step = 0                             # where the loop above left every view

    def _composite(self, layer: Any) -> None:
        """Put one pre-drawn layer (see :meth:`_prepare`) over the frame: ``over``
        blending, as Agg blends an artist drawn there."""
        import numpy as np

        ys, xs, rgb, a = layer
        buf = np.asarray(self.canvas.buffer_rgba())
        under = buf[ys, xs, :3].astype(np.uint16)
        buf[ys, xs, :3] = ((rgb * a + under * (255 - a) + 127) // 255).astype(np.uint8)

    # -- what a class sees ------------------------------------------------------------------
    def text_boxes(self, step: int | None = None) -> list[TextBox]:
        """Every text the frame at ``step`` shows (the state legend's labels and the numbers in
        the tree's markers too), its size
        and place once the picture is :data:`PROJECTOR_WIDTH` pixels wide: what a class
        reads on a 1280x720 projector (tests check sizes and overlaps)."""
        from matplotlib.text import Text

        with self.lock:
            self.full_render(step)
            fig = self.figure
            k = PROJECTOR_WIDTH / fig.bbox.width
            r = self.canvas.get_renderer()
            out = []
            hidden = {id(t) for ax in fig.axes if not ax.axison     # axes drawn without axis
                      for t in ax.xaxis.findobj(Text) + ax.yaxis.findobj(Text)}
            for t in fig.findobj(Text):
                if not (t.get_visible() and t.get_text().strip()) or id(t) in hidden or (
                        t.axes is not None and not t.axes.get_visible()):
                    continue
                b = Text.get_window_extent(t, r)     # an annotation's text, not its arrow
                if b.width <= 0 or b.height <= 0:
                    continue
                out.append(TextBox(t.get_text(), t.get_fontsize() * fig.dpi / 72 * k,
                                   (b.x0 * k, b.y0 * k, b.x1 * k, b.y1 * k)))
            for v in self.views.values():              # the numbers in the markers
                out += _number_boxes(v, k)
            if self._legend_artist is not None:      # the state legend, drawn as an image
                img = self._legend_artist
                h, w = img.get_array().shape[:2]
                x0, y0 = img.ox, img.oy
                out.append(TextBox("(state legend)", self.legend_font * fig.dpi / 72 * k,
                                   (x0 * k, y0 * k, (x0 + w) * k, (y0 + h) * k)))
            return out

    # -- one frame ------------------------------------------------------------------------
    @property
    def length(self) -> int:
        """Steps of the longest trace shown (the slider's range)."""
        return max((len(t) for t in self.traces.values()), default=0)

    def update(self, step: int) -> None:
        """Move every view to ``step`` (clamped to each trace's last step)."""
        with self.lock:
            self.step = step
            for key, v in self.views.items():
                n = len(self.traces[key])
                v.update(max(0, min(step, n - 1)) if n else None)

    def distinct_steps(self, limit: int = 400) -> list[int] | None:
        """The steps whose picture differs from the step before (step 0 always), found
        by drawing each once; None when there are more than ``limit`` steps."""
        import hashlib

        with self.lock:
            n = self.length
            if n > limit or not n:
                return None
            out, prev = [], None
            for step in range(n):
                self.render_canvas(step)
                key = hashlib.blake2b(bytes(self.canvas.buffer_rgba()), digest_size=16).digest()
                if key != prev:
                    out.append(step)
                prev = key
            return out

    def render_canvas(self, step: int | None = None) -> None:
        """Draw the frame at ``step`` on the canvas (what :meth:`render` encodes)."""
        with self.lock:
            if step is not None and (step != self.step or self._background is None):
                self.update(step)
            if self._background is None:
                self.canvas.draw()
            else:
                self.canvas.restore_region(self._background)
                for what, x in self._plan:
                    if what == "layer":
                        self._composite(x)
                    elif x.get_visible():
                        self.figure.draw_artist(x)

    def render(self, step: int | None = None) -> bytes:
        """PNG bytes of the frame at ``step`` (default: the current one)."""
        with self.lock:
            self.render_canvas(step)
            return self._png()

    def _png(self) -> bytes:
        from PIL import Image

        buf = self.canvas.buffer_rgba()
        img = Image.frombuffer("RGBA", (buf.shape[1], buf.shape[0]), buf, "raw", "RGBA", 0, 1)
        out = io.BytesIO()
        img.convert("RGB").save(out, format="png", compress_level=1)
        return out.getvalue()

    def full_render(self, step: int | None = None) -> bytes:
        """PNG bytes drawn from scratch (no blitting): what :meth:`render` must equal."""
        with self.lock:
            if step is not None:
                self.update(step)
            moving = self._dynamic + self._over
            for a in moving:
                a.set_animated(False)
            try:
                self.canvas.draw()
                return self._png()
            finally:
                for a in moving:
                    a.set_animated(True)


def _number_boxes(walk: Any, k: float) -> list[TextBox]:
    """The numbers a :class:`~cgiter_edu.viz.WalkView` shows in its markers (glyph paths,
    not Text artists), each with its font size in pixels and box, scaled by ``k``."""
    shown = walk.number_texts() if getattr(walk, "numbers_mode", None) else {}
    if not shown or not walk.numbers.get_visible():
        return []
    px = walk.geometry.number_font * walk.scale * walk.figure.dpi / 72 * k
    to_px = walk.ax.transData
    out = []
    for v, path in zip(walk.number_ids, walk.numbers.get_paths(), strict=True):
        if v in shown:
            b = path.get_extents(to_px)
            out.append(TextBox(shown[v], px, (b.x0 * k, b.y0 * k, b.x1 * k, b.y1 * k)))
    return out


def _texts_overlap(walk: Any) -> bool:
    """Do two of the list's names or column headers overlap (once made readable)?"""
    r = walk.ax.figure.canvas.get_renderer()
    boxes = sorted((b.x0, b.x1, b.y0, b.y1) for t in walk.labels + walk.headers
                   if (b := t.get_window_extent(r)).width > 0)
    for i, (x0, x1, y0, y1) in enumerate(boxes):
        for u0, u1, v0, v1 in boxes[i + 1:]:
            if u0 >= x1 - 0.5:
                break
            if min(x1, u1) - max(x0, u0) > 0.5 and min(y1, v1) - max(y0, v0) > 0.5:
                return True
    return False


def _fit_icicle_texts(walk: Any, font: float) -> None:
    """The icicle's texts at least ``font`` points: the level names, room made for them
    left of the bars; a cgroup's name where it still fits its bar, else none."""
    ax = walk.ax
    r = ax.figure.canvas.get_renderer()
    names = {id(t) for t in walk.labels}
    levels = [t for t in ax.texts if id(t) not in names]
    for t in ax.texts:
        t.set_fontsize(max(font, t.get_fontsize()))
    if levels:                  # the widest level name, in units of the bars' width
        aw = ax.get_window_extent(r).width
        need = max(t.get_window_extent(r).width for t in levels) + 6
        ax.set_xlim(-need / (aw - need), 1)
    for t in walk.labels:
        x, y = t.get_position()
        lvl = round(-y - 1 + 0.46)
        cell = next((c for c in walk._cells if c[0][0] <= x <= c[1][0]
                     and round(-c[0][1] - 1) == lvl), None)
        if cell is None:
            continue
        c0, c1 = (ax.transData.transform(p)[0] for p in (cell[0], cell[1]))
        box = t.get_window_extent(r)
        t.set_visible(box.x0 >= c0 - 0.5 and box.x1 <= c1 + 0.5)


def _fit_tree_texts(walk: Any, font: float) -> None:
    """The tree's labels at least ``font`` points (the layout fits them to the axes, a
    little smaller for a tree of 22 cgroups); a list column's "continued from <path>"
    header at that size too, its path shortened until it ends inside the axes."""
    from cgiter_edu.viz.geometry import _short

    for t in getattr(walk, "labels", []):
        t.set_fontsize(max(font, t.get_fontsize()))
    heads = getattr(walk, "headers", [])
    if not heads:
        return
    ax = walk.ax
    r = ax.figure.canvas.get_renderer()
    right = ax.get_window_extent(r).x1
    for t in heads:
        t.set_fontsize(max(font, t.get_fontsize()))
        path = t.get_text().removeprefix("continued from ")
        limit = len(path)
        while t.get_window_extent(r).x1 > right and limit > 8:
            limit -= 2
            t.set_text(f"continued from {_short(path, limit)}")


def _retarget_walk(walk: Any, trace: Trace) -> None:
    """Point a :class:`~cgiter_edu.viz.WalkView` (no path arrows, no caption) at another
    trace of the same cgroups: what its constructor derives from the trace (the cells,
    markers and labels it drew depend only on the tree; the numbers are the walk's)."""
    from cgiter_edu.viz.layout import tree_of

    walk.trace = trace
    walk.tree = tree_of(trace)
    walk.ids = walk.tree.nodes
    walk.index = {v: i for i, v in enumerate(walk.ids)}
    walk._visit = {v: i + 1 for i, v in enumerate(trace.visit_order())}
    walk.made_at = {v: at for v, at in trace.made_during().items() if v in walk.made_at}
    walk.step = None
    if walk.view != "icicle":             # the numbers are the new walk's: new glyphs,
        kept = walk.numbers               # in the same collection (same place in the
        walk._make_numbers(walk.geometry)  # drawing order)
        kept.set_paths(walk.numbers.get_paths())
        walk.numbers.remove()
        walk.numbers = kept
