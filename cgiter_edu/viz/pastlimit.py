"""One tree walked both ways, side by side: :class:`PastLimitView` and
:func:`plot_past_limit`, :func:`animate_past_limit`.

Top: cgroup_iter, the 8-page seq_file buffer -- the walk is cut where the buffer is
full, and the rest never reaches the reader.  Bottom: the open-coded css iterator
writing into a BPF ring buffer -- no page limit, but what it costs: RCU only (no
``cgroup_mutex``: a concurrent mkdir or rmdir may or may not be seen), dead cgroups
delivered (the program and the reader must test ``CSS_ONLINE``), and a ring buffer that
drops records once full (``bpf_ringbuf_output`` returns ``-EAGAIN``).

Each cgroup is one cell, in pre-order (both walks are pre-order from the root, so a
column of cells is the same cgroup above and below); a bar under each grid shows the
buffer filling.  ``update(k)`` shows both walks after ``k`` cgroups (None: the end).
Everything is replayed from the two traces (:func:`cgiter_edu.opencoded.both_ways`).

Example::

    >>> import matplotlib; matplotlib.use("Agg")
    >>> from cgiter_edu import shapes
    >>> from cgiter_edu.opencoded import both_ways
    >>> from cgiter_edu.viz import plot_past_limit
    >>> v = plot_past_limit(both_ways(shapes.random(800, seed=3, dead=0.05)))
    >>> v.counts()
    {'iter': {'delivered': 511, 'cut': 276, 'dead_skipped': 13}, 'open': {'delivered': 663, 'dropped': 118, 'dead_seen': 19}}
"""

from __future__ import annotations

import math
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_rgb
from matplotlib.legend_handler import HandlerTuple
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle

from cgiter_edu.events import EventKind
from cgiter_edu.replay import CgroupState

from .style import (
    DARK_GREY,
    GREY,
    OKABE_ITO,
    SLIDE_SIZE,
    slide_style,
    state_marker,
    text_color_on,
)
from .view import DARK, View

__all__ = ["PastLimitView", "plot_past_limit", "animate_past_limit", "PAST_LIMIT_COLORS",
           "PAST_LIMIT_SHAPES", "past_limit_marker"]

#: the cell colours, what each means in the legend
PAST_LIMIT_COLORS = {
    "unreached": (GREY, "not reached (yet)"),
    "delivered": (OKABE_ITO["bluish_green"], "delivered to the reader"),
    "cut": (OKABE_ITO["reddish_purple"], "cut at the page limit"),
    "dropped": (OKABE_ITO["vermillion"], "ring full: dropped (EAGAIN)"),
    "dead_skipped": (OKABE_ITO["black"], "dead: skipped by cgroup_iter"),
    "dead_seen": (OKABE_ITO["orange"], "dead: delivered, test it"),
}


def _hollow_tombstone() -> Any:
    """The tombstone of a dead cgroup, hollow: dead, and still delivered."""
    from matplotlib.path import Path

    solid = state_marker(CgroupState.DEAD)
    inner = solid.vertices[:-1] * 0.55 + (0, -0.06)
    verts = [*solid.vertices[:-1], solid.vertices[0], *inner[::-1], inner[-1]]
    n, m = len(solid.vertices) - 1, len(inner)
    codes = ([Path.MOVETO] + [Path.LINETO] * (n - 1) + [Path.CLOSEPOLY]
             + [Path.MOVETO] + [Path.LINETO] * (m - 1) + [Path.CLOSEPOLY])
    return Path(verts, codes)


def past_limit_marker(kind: str) -> Any:
    """The shape drawn in each cell of ``kind`` (a key of :data:`PAST_LIMIT_COLORS`): the
    cue besides the colour, the walk pictures' marker of the state it is
    (:func:`~cgiter_edu.viz.style.state_marker`): a small dot not reached, a circle
    delivered, a ring cut (never reached by the reader), a square dropped (walked, record
    lost), a tombstone dead and skipped, a hollow tombstone dead and delivered.

    >>> sorted(PAST_LIMIT_SHAPES) == sorted(PAST_LIMIT_COLORS)
    True
    """
    if kind == "dead_seen":
        return _hollow_tombstone()
    return state_marker(_KIND_STATE[kind])


_KIND_STATE = {"unreached": CgroupState.UNREACHED, "delivered": CgroupState.DELIVERED,
               "cut": CgroupState.NEVER, "dropped": CgroupState.LOST,
               "dead_skipped": CgroupState.DEAD}

#: each cell kind's shape, in words (what :func:`past_limit_marker` draws)
PAST_LIMIT_SHAPES = {"unreached": "small dot", "delivered": "circle", "cut": "ring",
                     "dropped": "square", "dead_skipped": "tombstone",
                     "dead_seen": "hollow tombstone"}


def _iter_cells(trace: Any) -> tuple[list[int], list[int | None]]:
    """The cgroup ids in pre-order, and for cgroup_iter the trace step just before the
    k-th visited cgroup (k = 0..n; the last is None: the end)."""
    order = list(trace.cgroups)
    visits = [e.step for e in trace.events
              if e.kind in (EventKind.START, EventKind.NEXT) and e.cgroup is not None]
    steps: list[int | None] = [max(s - 1, 0) for s in visits[1:]]
    return order, [visits[0] if visits else None, *steps, None]


def _open_outcomes(otrace: Any) -> list[tuple[int, str]]:
    """The open-coded walk's cgroups in visit order with their outcome."""
    out: list[tuple[int, str]] = []
    cur: tuple[int, bool] | None = None
    for e in otrace.events:
        if e.kind == "next":
            cur = None if e.cgroup is None else (e.cgroup, e.dead)
        elif e.kind == "output" and cur is not None:
            cid, dead = cur
            out.append((cid, "dropped" if e.ret else ("dead_seen" if dead else "delivered")))
            cur = None
    return out


_MARKERS = {k: past_limit_marker(k) for k in PAST_LIMIT_COLORS}
_MARK_COLOURS = {k: text_color_on(c) for k, (c, _) in PAST_LIMIT_COLORS.items()}


class PastLimitView(View):
    """One tree walked both ways, side by side (see the module doc).

    ``images``: the two grids' image artists (top, bottom); ``marks``: each cell's
    shape; ``bars``: the two fill bars; :meth:`colors`, :meth:`shapes` and
    :meth:`counts` read back what is drawn.

    Parameters
    ----------
    both : BothWays
        The two walks, :func:`cgiter_edu.opencoded.both_ways`.
    step : int, optional
        Show both walks after this many cgroups (None: the end).
    fig : matplotlib.figure.Figure, optional
        Where to draw (default: a new 16:9 slide figure).

    Examples
    --------
    >>> from cgiter_edu import shapes
    >>> from cgiter_edu.opencoded import both_ways
    >>> PastLimitView(both_ways(shapes.balanced(1, 3)), step=2).counts()["iter"]
    {'delivered': 2, 'cut': 0, 'dead_skipped': 0}
    """

    def __init__(self, both: Any, step: int | None = None, fig: Any = None) -> None:
        self.both = both
        trace = both.iter.trace
        self.order, self._iter_steps = _iter_cells(trace)
        self.index = {cid: i for i, cid in enumerate(self.order)}
        self.outcomes = _open_outcomes(both.open.trace)
        self._final = trace.states(None)
        n = len(self.order)
        self.cols = max(1, math.ceil(math.sqrt(n * 4.2)))
        self.rows = max(1, math.ceil(n / self.cols))
        self.n_steps = max(len(self._iter_steps) - 1, len(self.outcomes))
        with slide_style():
            if fig is None:
                fig = plt.figure(figsize=SLIDE_SIZE)
            ax_top = fig.add_axes((0.03, 0.55, 0.64, 0.33))
            ax_bot = fig.add_axes((0.03, 0.10, 0.64, 0.33))
            super().__init__(fig, ax_top)
            self.ax_bottom = ax_bot
            self.images = []
            self.marks = []                    # each cell's shape: the cue besides colour
            w_in, h_in = fig.get_size_inches()
            cell_pt = min(0.64 * w_in * 72 / self.cols, 0.33 * h_in * 72 / self.rows)
            cx = np.arange(n) % self.cols
            cy = np.arange(n) // self.cols
            for ax in (ax_top, ax_bot):
                ax.set_axis_off()
                img = ax.imshow(np.zeros((self.rows, self.cols, 3)), aspect="auto",
                                interpolation="nearest")
                self.images.append(img)
                self.marks.append(ax.scatter(cx, cy, s=(0.62 * cell_pt) ** 2, linewidths=0,
                                             marker=state_marker(CgroupState.UNREACHED),
                                             zorder=3))
                if self.rows * self.cols <= 2500:        # cells big enough to outline
                    ax.vlines(np.arange(self.cols + 1) - 0.5, -0.5, self.rows - 0.5,
                              colors="white", linewidth=1.5)
                    ax.hlines(np.arange(self.rows + 1) - 0.5, -0.5, self.cols - 0.5,
                              colors="white", linewidth=1.5)
            buf = trace.buffer_size
            self.titles = [
                ax_top.set_title(f"cgroup_iter: {both.record_bytes}-byte records, seq_file "
                                 f"buffer of 8 pages ({buf:,} bytes), cgroup_mutex held",
                                 loc="left", fontsize=17, color=DARK),
                ax_bot.set_title(f"open-coded bpf_iter_css_*: 16-byte records into a "
                                 f"{both.ring_size:,}-byte ring buffer, RCU only",
                                 loc="left", fontsize=17, color=DARK)]
            self.bars = []
            self.bar_texts = []
            for y, total in ((0.50, buf), (0.05, both.ring_size)):
                bax = fig.add_axes((0.03, y, 0.64, 0.03))
                bax.set_xlim(0, total)
                bax.set_ylim(0, 1)
                bax.set_axis_off()
                bax.add_patch(Rectangle((0, 0), total, 1, facecolor="white",
                                        edgecolor=DARK_GREY, lw=1))
                bar = Rectangle((0, 0), 0, 1, facecolor=OKABE_ITO["sky_blue"])
                bax.add_patch(bar)
                txt = bax.text(total, 0.5, "", ha="right", va="center", fontsize=13,
                               color=DARK)
                self.bars.append(bar)
                self.bar_texts.append(txt)
            fig.legend(handles=[(Patch(facecolor=c, edgecolor=DARK_GREY),
                                 Line2D([], [], linestyle="none", marker=past_limit_marker(k),
                                        markeredgewidth=0, markersize=18 * float(
                                            np.abs(past_limit_marker(k).vertices).max()),
                                        markerfacecolor=text_color_on(c)))
                                for k, (c, _) in PAST_LIMIT_COLORS.items()],
                       labels=[t for _, t in PAST_LIMIT_COLORS.values()],
                       handler_map={tuple: HandlerTuple(ndivide=1)},
                       loc="upper left", bbox_to_anchor=(0.685, 0.89), fontsize=13,
                       title="each cell: one cgroup", title_fontsize=15, alignment="left")
            self.notes = fig.text(0.69, 0.42, "", fontsize=14, va="top", ha="left",
                                  color=DARK, linespacing=1.5)
        self.update(step)

    # -- what the cells are at a step ---------------------------------------------------
    def states(self, step: int | None) -> tuple[dict[int, str], dict[int, str]]:
        """``(iter, open)``: each cgroup id's cell kind after ``step`` cgroups."""
        trace = self.both.iter.trace
        k = len(self._iter_steps) - 1 if step is None else min(step, len(self._iter_steps) - 1)
        st = trace.states(self._iter_steps[k])
        final = k == len(self._iter_steps) - 1
        top = {}
        for cid in self.order:
            s = st.get(cid, CgroupState.UNREACHED)
            if s is CgroupState.CURRENT:             # the one just reached: as it ends up
                s = self._final.get(cid, CgroupState.UNREACHED)
            if s is CgroupState.DEAD:
                top[cid] = "dead_skipped"
            elif s is CgroupState.DELIVERED or (s is CgroupState.BUFFERED and not final):
                top[cid] = "delivered"       # written: cat's next copy hands it out
            elif final or s in (CgroupState.LOST, CgroupState.UNSHOWN, CgroupState.NEVER):
                top[cid] = "cut"
            else:
                top[cid] = "unreached"
        shown = self.outcomes if step is None else self.outcomes[:step]
        bottom = dict.fromkeys(self.order, "unreached")
        bottom.update(dict(shown))
        return top, bottom

    def _rgb(self, kinds: dict[int, str]) -> np.ndarray:
        img = np.ones((self.rows * self.cols, 3))
        for cid, kind in kinds.items():
            img[self.index[cid]] = to_rgb(PAST_LIMIT_COLORS[kind][0])
        return img.reshape(self.rows, self.cols, 3)

    def update(self, step: int | None) -> list[Any]:
        """Show both walks after ``step`` cgroups (None: the end)."""
        self.step = step
        top, bottom = self.states(step)
        self._kinds = (top, bottom)
        for img, marks, kinds in zip(self.images, self.marks, (top, bottom), strict=True):
            img.set_data(self._rgb(kinds))
            cells = [kinds[cid] for cid in self.order]
            marks.set_paths([_MARKERS[k] for k in cells])
            marks.set_facecolors([_MARK_COLOURS[k] for k in cells])
        rec = self.both.record_bytes
        used_top = sum(1 for v in top.values() if v == "delivered") * rec
        used_bot = sum(1 for v in bottom.values() if v in ("delivered", "dead_seen")) * 24
        self.bars[0].set_width(used_top)
        self.bars[1].set_width(used_bot)
        self.bar_texts[0].set_text(f"{used_top:,} of {self.both.iter.trace.buffer_size - 1:,}"
                                   " usable bytes ")
        self.bar_texts[1].set_text(f"{used_bot:,} of {self.both.ring_size - 1:,} usable "
                                   "bytes (8-byte header each) ")
        c = self.counts()
        self.notes.set_text(
            f"cgroup_iter: {c['iter']['delivered']} delivered, {c['iter']['cut']} cut,\n"
            f"   {c['iter']['dead_skipped']} dead skipped\n"
            f"open-coded: {c['open']['delivered']} delivered, {c['open']['dropped']} "
            f"dropped,\n   {c['open']['dead_seen']} dead seen\n"
            "costs of the open-coded walk:\n"
            "  - RCU only, no cgroup_mutex\n"
            "  - dead cgroups come too\n"
            "  - full ring buffer: EAGAIN")
        return [*self.images, *self.marks, *self.bars, *self.bar_texts, self.notes]

    def artists(self) -> list[Any]:
        """What :meth:`update` changes."""
        return [*self.images, *self.marks, *self.bars, *self.bar_texts, self.notes]

    def shapes(self) -> tuple[dict[int, Any], dict[int, Any]]:
        """The shape drawn in every cgroup's cell (top, bottom), read back from the
        artists (a :class:`~matplotlib.path.Path`, see :func:`past_limit_marker`)."""
        return tuple({cid: m.get_paths()[i] for i, cid in enumerate(self.order)}
                     for m in self.marks)  # type: ignore[return-value]

    @property
    def alt(self) -> str:
        """What the picture shows, in words, with the counts of each kind of cell."""
        c = self.counts()
        where = (f" after {self.step} cgroups" if self.step is not None else "")
        return (f"The same tree of {len(self.order)} cgroups walked two ways{where}, one cell "
                f"per cgroup in pre-order. Above, cgroup_iter with {self.both.record_bytes}-"
                f"byte records: {c['iter']['delivered']} delivered (circles), "
                f"{c['iter']['cut']} cut at the 8-page limit (rings), "
                f"{c['iter']['dead_skipped']} dead and skipped (tombstones). Below, the "
                f"open-coded iterator into a {self.both.ring_size:,}-byte ring buffer: "
                f"{c['open']['delivered']} delivered, {c['open']['dropped']} dropped when the "
                f"ring was full (squares), {c['open']['dead_seen']} dead cgroups delivered "
                f"(hollow tombstones)")

    def colors(self) -> tuple[dict[int, str], dict[int, str]]:
        """The cell kind of every cgroup as drawn (top, bottom)."""
        return self._kinds

    def counts(self) -> dict[str, dict[str, int]]:
        """How many cells of each kind are drawn, per side."""
        top, bottom = self._kinds
        return {"iter": {k: sum(1 for v in top.values() if v == k)
                         for k in ("delivered", "cut", "dead_skipped")},
                "open": {k: sum(1 for v in bottom.values() if v == k)
                         for k in ("delivered", "dropped", "dead_seen")}}


def plot_past_limit(both: Any, step: int | None = None, fig: Any = None) -> PastLimitView:
    """Draw one tree walked both ways: cgroup_iter cut at the page limit, the open-coded
    iterator into a ring buffer.

    Parameters
    ----------
    both : BothWays
        The two walks, :func:`cgiter_edu.opencoded.both_ways`.
    step : int, optional
        Show both walks after this many cgroups (None: the end).
    fig : matplotlib.figure.Figure, optional
        Where to draw (default: a new 16:9 slide figure).

    Returns
    -------
    PastLimitView
        What was drawn.

    Examples
    --------
    >>> from cgiter_edu import shapes
    >>> from cgiter_edu.opencoded import both_ways
    >>> plot_past_limit(both_ways(shapes.random(800, seed=3))).counts()["iter"]["cut"] > 0
    True
    """
    return PastLimitView(both, step, fig)


def animate_past_limit(both: Any, fps: float = 6, max_frames: int = 120, hold: int = 8
                       ) -> Any:
    """The past-the-limit picture as an animation, a few cgroups more each frame.

    Parameters
    ----------
    both : BothWays
        The two walks, :func:`cgiter_edu.opencoded.both_ways`.
    fps : float, default 6
        Frames per second.
    max_frames : int, default 120
        At most this many frames before the held end.
    hold : int, default 8
        Frames the end is held.

    Returns
    -------
    Animator
        ``save("x.gif")``, ``to_jshtml()``.

    Examples
    --------
    >>> from cgiter_edu import shapes
    >>> from cgiter_edu.opencoded import both_ways
    >>> a = animate_past_limit(both_ways(shapes.balanced(1, 3)), max_frames=4)
    >>> len(a.steps)          # 0 to 4 cgroups, then the end held 8 frames
    13
    """
    from .anim import Animator

    view = PastLimitView(both, 0)
    plt.close(view.figure)         # shown as the player (a notebook's HTML), not a picture
    FigureCanvasAgg(view.figure)   # ...and still drawn, off screen
    n = view.n_steps
    every = max(1, math.ceil(n / max_frames))
    steps: list[int | None] = [*range(0, n + 1, every), *([None] * hold)]
    anim = Animator.__new__(Animator)
    anim.trace = both.iter.trace
    anim.steps = steps
    anim.fps = fps
    anim.figure = view.figure
    anim._anim = None
    anim.update = view.update                      # type: ignore[method-assign]
    anim.dynamic_artists = view.artists            # type: ignore[method-assign]
    anim.view = view
    anim.alt = ("An animation of the same tree walked two ways, a few cgroups more each "
                "frame: above, cgroup_iter filling its 8 pages until the page limit cuts the "
                "walk; below, the open-coded iterator writing every cgroup into a ring "
                "buffer, dead ones included, with the records it drops when the ring is full")
    return anim
