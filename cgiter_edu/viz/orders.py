"""Every order on one hierarchy, side by side: :class:`OrdersView` and :func:`plot_orders`.

One small :class:`~cgiter_edu.viz.walk_view.WalkView` per order, each cgroup numbered
in the order the walk reached it, with arrows along the walk's path.  The traces
come from :func:`~cgiter_edu.scenarios.order_traces` (each order run through
:func:`cgiter_edu.run`); nothing here decides an order.

Example::

    >>> import matplotlib; matplotlib.use("Agg")
    >>> from cgiter_edu import shapes
    >>> from cgiter_edu.viz import plot_orders
    >>> v = plot_orders(shapes.balanced(2, 2))          # Linux 6.18: four orders
    >>> sorted(v.views), v.views[2].number_texts()[1]
    ([1, 2, 3, 4], '1')
"""

from __future__ import annotations

import math
from typing import Any

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from cgiter_edu import Order
from cgiter_edu.kernel.config import kernel_label
from cgiter_edu.names import ORDER_FUNCTIONS
from cgiter_edu.replay import CgroupState
from cgiter_edu.trace import Trace

from ..scenarios import order_traces
from .layout import tree_of
from .legend import legend_handles
from .style import SLIDE_SIZE, slide_style
from .view import View, ax_size_pt
from .walk_view import WalkView, states_shown
from .words import cgroup_name, short_path

__all__ = ["OrdersView", "plot_orders", "ORDERS_MAX_CGROUPS"]

#: the orders picture draws the tree once per order in a small panel: beyond this many
#: cgroups the panels show nothing readable and the five traced walks take minutes
ORDERS_MAX_CGROUPS = 5000


def too_big(n: int) -> str:
    """Why a tree of ``n`` cgroups gets no orders picture, and what to do instead."""
    return (f"the orders picture draws the tree once per order in a small panel; "
            f"{n:,} cgroups is more than it can show (at most {ORDERS_MAX_CGROUPS:,}): "
            "plot walk --order ... draws one order of a bigger tree")


#: the panel subtitles' font: monospace, so width = characters x this x size
_MONO_EM = 0.602
#: 15 pt: 14.6 px on a slide, where the picture is 630 px high (70 px per inch of 9)
_SUB_FONT = 15.0
_SUB_MIN = 15.0
#: the visiting numbers in the nodes, at least (points): 13.6 px on a slide
_NUMBER_FONT = 14.0


def _subtitle(tr: Trace, order: int, width_pt: float, font: float = _SUB_FONT,
              least: float = _SUB_MIN) -> tuple[str, float]:
    """``from <start>: <kernel function>`` and its font size: the start's path shortened
    to fit the panel, and where even 12 characters of path leave too little room (narrow
    panels: ANCESTORS_UP's ``css->parent to the root``), two lines, or a smaller font if
    ``least`` allows it, so that no subtitle runs into the next panel's."""
    fn = ORDER_FUNCTIONS.get(order, "")
    path = tr.cgroups[tr.start][0] if tr.start in tr.cgroups else cgroup_name(tr, tr.start)
    chars = int(width_pt / (_MONO_EM * font)) - 1      # characters a line of the panel holds
    #                                                    (one less: the text's own margin)

    def widest(t: str) -> int:
        return max(len(line) for line in t.split("\n"))

    room = chars - len(f"from : {fn}")
    text = f"from {short_path(path, max(room, 12))}: {fn}"
    if least >= font and widest(text) > chars:          # no smaller: two lines
        room = chars - len("from :")
        text = f"from {short_path(path, max(room, 12))}:\n{fn}"
        while widest(text) > chars and room > 12:       # short_path's "about" the limit
            room -= 1
            text = f"from {short_path(path, room)}:\n{fn}"
    return text, max(least, min(font, width_pt / (_MONO_EM * widest(text))))


class OrdersView(View):
    """The orders side by side in one figure, one :class:`WalkView` each.

    ``views[order]`` is the view of each order (keyed by order value), ``ax`` the first
    panel's Axes.  :meth:`update` shows the same step in every panel (each clamped to
    its trace's length; None: every walk at its end).

    Parameters
    ----------
    traces : dict of int to Trace
        One walk per order value (:func:`~cgiter_edu.scenarios.order_traces`).
    fig : matplotlib.figure.Figure, optional
        Where to draw (default: a new 16:9 slide figure).
    labels : str, optional
        The cgroups' labels, as :class:`WalkView` takes them.
    path : bool, default True
        Arrows along each walk's path.
    every_step : bool, default False
        The legend lists the states of every step (a player shows them all), not
        only those of the walks' ends.
    cols : int, optional
        Panels per row (default: 3 for four or five orders, the legend in the first
        free place, so that the trees are large; else all in one row).
    max_scale : float, default 1.1
        The trees' largest scale.
    font : float, optional
        The smallest text (points), titles and subtitles included.
    right : float, default 1.0
        The share of the figure's width the panels take (the rest is left free).
    title : bool, default True
        The figure's title on top; without it the panels take the whole height (a
        page that says what the picture is: the explorer).

    Examples
    --------
    >>> from cgiter_edu import shapes
    >>> from cgiter_edu.scenarios import order_traces
    >>> v = OrdersView(order_traces(shapes.balanced(1, 2), "/", up_start="/c1"))
    >>> sorted(v.views) == [1, 2, 3, 4]
    True
    """

    def __init__(self, traces: dict[int, Trace], fig: Figure | None = None, *,
                 labels: str | None = None, path: bool = True,
                 every_step: bool = False, cols: int | None = None,
                 max_scale: float = 1.1, font: float | None = None,
                 right: float = 1.0, title: bool = True) -> None:
        with slide_style():
            fig = fig or plt.figure(figsize=SLIDE_SIZE)
            n = len(traces)
            slot = n > 4 or (n == 4 and cols is None)      # a place for the legend
            cols = cols or (3 if n >= 4 else max(n, 1))
            rows = math.ceil((n + (1 if slot else 0)) / cols)
            self.views: dict[int, WalkView] = {}
            W = right / cols
            top = 0.90 if title else 0.99 - self._extra_lines(traces, cols, W, fig, font)
            H = top / rows
            for i, (o, tr) in enumerate(traces.items()):
                r, c = divmod(i, cols)
                ax = fig.add_axes((c * W + 0.008, top - (r + 1) * H + 0.01, W - 0.016,
                                   H - 0.075))
                v = WalkView(tr, None, ax, labels=labels, numbers="visit", legend=False,
                             title=False, caption=False, path=path, max_scale=max_scale,
                             min_font=8.0, min_number_font=font or _NUMBER_FONT)
                sub, sub_font = (_subtitle(tr, o, ax_size_pt(ax)[0], font, font) if font
                                 else _subtitle(tr, o, ax_size_pt(ax)[0]))
                # the title above the subtitle's lines
                ax.set_title(Order(o).name, loc="left", fontsize=max(18, font or 0),
                             fontweight="bold",
                             pad=4 + 1.3 * sub_font * (sub.count("\n") + 1))
                ax.text(0, 1.0, sub,
                        transform=ax.transAxes, fontsize=sub_font, family="DejaVu Sans Mono",
                        va="bottom", ha="left", color="#444444")
                self.views[o] = v
            self.legend_ax = None
            if slot and n < rows * cols:
                r, c = divmod(n, cols)
                lax = fig.add_axes((c * W + 0.01, top - (r + 1) * H + 0.01, W - 0.02,
                                    H - 0.05))
                lax.set_axis_off()
                shown: set[CgroupState] = set()
                for tr in traces.values():
                    shown.update(tr.states_seen() if every_step else states_shown(tr, [None]))
                lax.legend(handles=legend_handles([s for s in CgroupState if s in shown],
                                                  ended=True, dashed=any(
                                                      v.dashed for v in self.views.values())),
                           loc="lower left" if font else "center left",
                           fontsize=max(15, font or 0),
                           labelspacing=0.3 if font else 1.0)
                lax.text(0.02, 0.95, self._key(), transform=lax.transAxes,
                         fontsize=max(15, font or 0),
                         va="top", ha="left")
                self.legend_ax = lax
            kern = next(iter(traces.values())).kernel if traces else ""
            if title:
                fig.suptitle(f"The cgroup_iter orders on one hierarchy, {kernel_label(kern)}",
                             x=0.01, ha="left", y=0.965, fontsize=26, fontweight="bold")
        first = next(iter(self.views.values()), None)
        super().__init__(fig, first.ax if first is not None else None)  # type: ignore[arg-type]
        fig.__dict__["_cgiter_views"] = [self]       # one alt text: this view's

    @staticmethod
    def _extra_lines(traces: dict[int, Trace], cols: int, W: float, fig: Figure,
                     font: float | None) -> float:
        """The share of the figure's height the first row's subtitles take past their
        first line (a panel too narrow for ``from <start>: <function>`` on one line)."""
        width = (W - 0.016) * fig.bbox.width * 72 / fig.dpi
        lines = max([(_subtitle(tr, o, width, font, font) if font else
                      _subtitle(tr, o, width))[0].count("\n")
                     for o, tr in list(traces.items())[:cols]] or [0])
        return lines * 1.35 * (font or _SUB_FONT) / (fig.bbox.height * 72 / fig.dpi)

    @property
    def alt(self) -> str:
        """What the picture shows, in words: one panel per order and, for each, the
        cgroups in the order it visits them (or how many it reaches, for a big tree)."""
        from .words import cgroup_name

        parts = []
        for o, v in self.views.items():
            seq = [cgroup_name(v.trace, c) for c in v.trace.visit_order()]
            said = (", ".join(seq) if len(seq) <= 16 else f"{len(seq)} cgroups")
            parts.append(f"{Order(o).name} visits {said or 'nothing'}")
        n = len(next(iter(self.views.values())).ids) if self.views else 0
        how = ("every cgroup numbered in the order that walk visits it"
               if any(v.numbers_mode and v.number_ids for v in self.views.values())
               else "no numbers (too small to read), the colours show what each reached")
        return (f"The same tree of {n} cgroups walked once per order, one panel each, {how}: "
                + "; ".join(parts))

    def _key(self) -> str:
        """What the numbers and arrows mean, naming only those drawn."""
        lines = []
        if any(v.numbers_mode and v.number_ids for v in self.views.values()):
            lines.append("numbers: visiting order")
        if any(getattr(v, "path_arrows", None) for v in self.views.values()):
            lines.append("arrows: the walk's path")
        return "\n".join(lines) or "too many cgroups to number:\nthe colours show what\neach order reached"

    def update(self, step: int | None) -> list[Any]:
        """Show ``step`` in every panel; returns the changed artists."""
        self.step = step
        changed: list[Any] = []
        for v in self.views.values():
            s = None if step is None else min(step, len(v.trace.events) - 1)
            changed += v.update(s)
        return changed

    def artists(self) -> list[Any]:
        """The artists :meth:`update` changes, every panel's."""
        return [a for v in self.views.values() for a in v.artists()]


def plot_orders(h: Any, start: str = "/", up_start: str | None = None, *,
                fig: Figure | None = None, kernel: Any = None, labels: str | None = "auto",
                path: bool = True, traces: dict[int, Trace] | None = None,
                rec_bytes: int = 64, every_step: bool = False) -> OrdersView:
    """Draw every walk order on one hierarchy, side by side.

    Each cgroup is numbered in the order each walk visits it. Each order is run through
    :func:`cgiter_edu.run` by :func:`~cgiter_edu.scenarios.order_traces` (on the package's
    default kernel, Linux 6.18, as ``cgiter-edu plot orders``: four orders; CHILDREN
    needs ``kernel=KernelConfig.preset("7.0")``), unless ``traces`` are given. Draws
    several Axes, so it takes ``fig=`` instead of ``ax=``.

    Parameters
    ----------
    h : Hierarchy
        The tree; at most :data:`ORDERS_MAX_CGROUPS` cgroups (its panels are small).
    start : str
        The start cgroup of the walks.
    up_start : str, optional
        Where ANCESTORS_UP starts (default: a deepest cgroup).
    fig : matplotlib.figure.Figure, optional
        The figure to draw in; default a new 16:9 one.
    kernel : KernelConfig, optional
        The modelled kernel (default: the package's, Linux 6.18; 7.0, modelled from
        the source, for CHILDREN).
    labels : {"auto", "names", None}
        Name the cgroups; ``"auto"``: only when the tree has at most 6 leaves.
    path : bool
        Draw the walk's path as arrows.
    traces : dict of int to Trace, optional
        Walks already made, by order, drawn as they are.
    rec_bytes : int
        Record size of the walks' program.
    every_step : bool
        The legend lists the states of every step, not only those of the walks' ends
        (for a player that shows every step: the explorer's all-orders mode).

    Returns
    -------
    OrdersView
        The panels; ``.update(step)`` shows another step of every walk.

    Raises
    ------
    ValueError
        For a tree of more than :data:`ORDERS_MAX_CGROUPS` cgroups.

    Examples
    --------
    >>> from cgiter_edu import shapes                     # doctest: +SKIP
    >>> plot_orders(shapes.balanced(2, 3)).figure.savefig("orders.png")   # doctest: +SKIP
    """
    if traces is None and len(h) > ORDERS_MAX_CGROUPS:
        raise ValueError(too_big(len(h)))
    traces = traces if traces is not None else order_traces(h, start, up_start, kernel=kernel,
                                                            rec_bytes=rec_bytes)
    if labels == "auto":                       # small panels: names only when few leaves
        labels = "name" if len(tree_of(h).leaves()) <= 6 else None
    return OrdersView(traces, fig, labels=labels, path=path, every_step=every_step)
