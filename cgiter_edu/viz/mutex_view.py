"""``cgroup_mutex`` over a trace: :class:`MutexView` and :func:`plot_mutex`.

Three lanes over the trace's steps: the read() calls with their results, the
mutex (held by the walk inside each read(), free between them) and any writer
(mkdir, rmdir) waiting for it, replayed by :func:`~cgiter_edu.viz.analysis.mutex_spans`.

Example::

    >>> import matplotlib; matplotlib.use("Agg")
    >>> from cgiter_edu import scenarios
    >>> from cgiter_edu.viz import plot_mutex
    >>> v = plot_mutex(scenarios.writer_waits())
    >>> len(v.spans.waits), v.lanes
    (1, ['read() calls', 'cgroup_mutex', 'writer'])
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.axes import Axes

from cgiter_edu.trace import Trace

from .analysis import mutex_spans
from .style import COLORS, OKABE_ITO, slide_style
from .view import DARK, View, ax_size_pt, new_axes, text_width
from .words import result_text

__all__ = ["MutexView", "plot_mutex"]


class MutexView(View):
    """Three lanes over the trace: the read() calls with their results,
    ``cgroup_mutex`` (held by the walk / free) and any writer waiting for it.

    The x axis is the trace's steps, stretched so that every read() call gets
    room for its label.  ``cursor`` is a vertical line :meth:`update` moves.

    Parameters
    ----------
    trace : Trace
        The walk (with a writer: :func:`~cgiter_edu.scenarios.writer_waits`).
    step : int, optional
        Where the cursor stands (None: no cursor).
    ax : matplotlib.axes.Axes, optional
        Where to draw (default: a new 16:9 slide figure).
    title : bool or str, default True
        Draw the title (or this one).
    font : float, optional
        Every text at least this size (points), and no note on the lanes.

    Examples
    --------
    >>> from cgiter_edu import Order, programs, run, shapes
    >>> t = run(shapes.balanced(2, 3), programs.Record(rec_bytes=3000), Order.DESCENDANTS_PRE,
    ...         trace=True).trace
    >>> len(MutexView(t).spans.held)        # once per read(): 30000 B, then the error
    2
    """

    def __init__(self, trace: Trace, step: int | None = None, ax: Axes | None = None, *,
                 title: str | bool = True, font: float | None = None) -> None:
        self.trace = trace
        #: ``font``: every text at least this size (points) and no note written on the
        #: lanes ("waits for cgroup_mutex", "gets it", "woken", "walk ends: ..."): a small
        #: picture whose words are said beside it (the explorer's mutex line)
        self.font = font
        fmin = font or 0.0
        #: the notes written on the lanes (none with ``font``)
        self.notes: list[Any] = []
        fig, ax = new_axes(ax, rect=(0.13, 0.13, 0.84, 0.68))
        super().__init__(fig, ax)
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
        wl = _lane_names(writers)
        lanes = ["read() calls", "cgroup_mutex"] + ([wl[w_] for w_ in writers] or ["writer"])
        self.lanes = lanes
        ys = {name: len(lanes) - 1 - i for i, name in enumerate(lanes)}
        h = 0.56
        with slide_style():
            ax.set_xlim(-0.01 * X, 1.01 * X)
            ax.set_ylim(-0.75, len(lanes) - 0.25)
            ax.set_yticks([ys[x_] for x_ in lanes])
            ax.set_yticklabels(lanes, fontsize=max(17, fmin))
            ax.tick_params(axis="y", length=0)
            ax.spines["left"].set_visible(False)
            centers = [(float(x[a]) + float(x[min(b + 1, n)])) / 2 for a, b, _ in sp.reads]
            if len(centers) <= 16:
                ax.set_xticks(centers)
                ax.set_xticklabels([f"#{e.read_no + 1}" for _a, _b, e in sp.reads],
                                   fontsize=max(15, fmin))
            else:
                ax.set_xticks([])
            ax.set_xlabel("time: the trace's steps, read() by read()", fontsize=17)
            y_read, y_mx = ys["read() calls"], ys["cgroup_mutex"]
            ax.broken_barh([(0, X)], (y_mx - h / 2, h), facecolors=COLORS["page"],
                           edgecolors="#BBBBBB", lw=1, zorder=0)
            self.held = ax.broken_barh([xs(a, b + 1) for a, b in sp.held], (y_mx - h / 2, h),
                                       facecolors=COLORS["mutex_held"], zorder=2)
            width_pt = ax_size_pt(ax)[0]
            self.read_bars = ax.broken_barh([xs(a, b + 1) for a, b, _ in sp.reads],
                                            (y_read - h / 2, h), facecolors="#FFFFFF",
                                            edgecolors=DARK, lw=1.5, zorder=2)
            self.read_labels = []
            for a, b, e in sp.reads:
                x0, wd = xs(a, b + 1)
                txt = result_text(e)
                fs = max(15, fmin)
                if wd / X * width_pt >= text_width(txt, fs) + 8:
                    self.read_labels.append(ax.text(x0 + wd / 2, y_read, txt, ha="center",
                                                    va="center", fontsize=fs, zorder=3,
                                                    color="#B00000" if (e.result or 0) < 0
                                                    else DARK))
            if not sp.waits:
                ax.text(X / 2, ys[lanes[2]], "no writer waited in this trace", ha="center",
                        va="center", fontsize=max(15, fmin), color="#777777", style="italic")
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
                what = ("queued, needs cgroup_mutex" if note.startswith("css_release_work_fn")
                        else "waits for cgroup_mutex")
                if not font:
                    self.notes.append(ax.text(x0, y + h / 2 + 0.05, f"{note}: {what}",
                                              fontsize=15, color="#A23B00", ha="left",
                                              va="bottom"))
                ax.plot([x0 + wd], [y], marker="D", markersize=16,
                        color=COLORS["mutex_writer"], markeredgecolor="black", zorder=4)
                got = ("runs: the cgroup leaves the list"
                       if note.startswith("css_release_work_fn") else "gets it")
                right = x0 + wd + 0.02 * X + text_width(got, 15) / width_pt * X > 1.01 * X
                if not font:
                    self.notes.append(ax.text(x0 + wd + (-0.02 if right else 0.02) * X, y, got,
                                              fontsize=15, ha="right" if right else "left",
                                              va="center", color=DARK, zorder=5))
            # mutex_unlock woke the waiter (it still has to take the mutex), and a read()
            # that got there first made it set MUTEX_FLAG_HANDOFF
            self.marks = []
            for st, note, label, marker in ([(a, w_, "woken", "^") for a, w_ in sp.wakes]
                                            + [(a, w_, "HANDOFF", "s")
                                               for a, w_ in sp.handoffs]):
                if note not in wl:
                    continue
                xm = float(x[min(st, n)]) + (float(x[min(st + 1, n)]) - float(x[min(st, n)])) / 2
                y = ys[wl[note]]
                self.marks.append(ax.plot([xm], [y - h / 2 - 0.08], marker=marker,
                                          markersize=11, color=DARK, zorder=5)[0])
                if not font:
                    self.notes.append(ax.text(xm, y - h / 2 - 0.2, label, fontsize=12,
                                              ha="center", va="top", color=DARK, zorder=5))
            # a writer holds the mutex from the hand-off until the walk locks it again
            self.writer_held = []
            for a, b, note in sp.writer_held:
                y = ys[wl[note]] if note in wl else y_mx
                for yy in (y, y_mx):
                    self.writer_held.append(ax.broken_barh(
                        [xs(a, b)], (yy - h / 4, h / 2), facecolors=COLORS["mutex_writer"],
                        edgecolors="black", lw=1, zorder=3))
            for a, b in sp.walk_waits:            # a read() waiting for the writer
                self.waits.append(ax.broken_barh([xs(a, b)], (y_read - h / 2, h),
                                                 facecolors="none",
                                                 edgecolors=COLORS["mutex_wait"], hatch="//",
                                                 lw=2, zorder=3))
            for s_, reason in sp.ends:
                xe = float(x[min(s_, n)])
                ax.plot([xe, xe], [y_read - h / 2, y_read + h / 2 + 0.1], color=OKABE_ITO["orange"],
                        lw=2.5, ls="--", zorder=4)
                if not font:
                    self.notes.append(ax.text(xe, y_read + h / 2 + 0.12, "walk ends: "
                                              + reason.replace("_", " "), fontsize=14,
                                              color="#9A6700", ha="center", va="bottom"))
            self.cursor = ax.axvline(0, color="black", lw=2.5, zorder=6, visible=False)
            if title is not False:
                txt = title if isinstance(title, str) else (
                    "cgroup_mutex: held for the walk inside each read(), free between reads")
                self.title = ax.set_title(txt, loc="left", fontsize=22, fontweight="bold",
                                          pad=60)
            from matplotlib.patches import Patch

            kinds = {("release work" if w.startswith("release") else "writer")
                     for w in wl.values()}
            who = " / ".join(sorted(kinds, reverse=True)) or "writer"
            ax.legend(handles=[Patch(facecolor=COLORS["mutex_held"], label="held by the walk"),
                               Patch(facecolor=COLORS["page"], edgecolor="#BBBBBB", label="free")]
                      + ([Patch(facecolor="none", edgecolor=COLORS["mutex_wait"], hatch="//",
                                label=f"{who} waiting")] if sp.waits else [])
                      + ([Patch(facecolor=COLORS["mutex_writer"], edgecolor="black",
                                label=f"held by the {who}")] if sp.writer_held else []),
                      loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=4,
                      fontsize=max(16, fmin),
                      frameon=False, borderaxespad=0.3)
        self.step: int | None = None
        self.update(step)

    @property
    def alt(self) -> str:
        """What the picture shows, in words: the read() calls, how often the walk holds
        cgroup_mutex, and when a writer waits for it."""
        sp = self.spans
        who = sorted({w for _a, _b, w in sp.waits})
        return (f"Time lanes of cgroup_mutex over {len(sp.reads)} read() calls: the walk "
                f"holds the mutex {len(sp.held)} time{'s' if len(sp.held) != 1 else ''}, "
                "and drops it between read() calls"
                + (f"; {len(sp.waits)} wait{'s' if len(sp.waits) != 1 else ''} for it "
                   f"({', '.join(who)}), each taking it when the walk lets go" if sp.waits
                   else "; no writer waits for it"))

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

    def artists(self) -> list[Any]:
        """The artist :meth:`update` moves: the cursor."""
        return [self.cursor]


def _lane_names(notes: list[str]) -> dict[str, str]:
    """A lane name for each thread that waited: "writer" (mkdir, rmdir) or "release work"
    (css_release_work_fn), numbered when there are several of a kind."""
    out = {}
    for kind in ("writer", "release work"):
        mine = [w for w in notes
                if w.startswith("css_release_work_fn") == (kind == "release work")]
        for i, w in enumerate(mine):
            out[w] = kind if len(mine) == 1 else f"{kind} {i + 1}"
    return out


def plot_mutex(trace: Trace, step: int | None = None, ax: Axes | None = None,
               **kwargs: Any) -> MutexView:
    """Draw the ``cgroup_mutex`` lanes of a walk.

    Held during each read()'s walk, free between them, and any writer (mkdir, rmdir)
    waiting for it and getting it.

    Parameters
    ----------
    trace : Trace
        The walk (``res.trace``), for instance of a scenario with a writer thread.
    step : int, optional
        The step to show, 0-based; default: after the last event.
    ax : matplotlib.axes.Axes, optional
        Where to draw; default a new 16:9 slide figure.
    **kwargs
        The view's options, see :class:`MutexView`.

    Returns
    -------
    MutexView
        What was drawn; ``.update(step)`` shows another step.

    Examples
    --------
    >>> from cgiter_edu import scenarios; from cgiter_edu.viz import plot_mutex   # doctest: +SKIP
    >>> plot_mutex(scenarios.writer_waits()).figure.savefig("mutex.png")   # doctest: +SKIP
    """
    return MutexView(trace, step, ax, **kwargs)

