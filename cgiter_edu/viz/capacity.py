"""How many cgroups one session can deliver: :class:`CapacityView` and
:func:`plot_capacity`.

Records that fit against record size, one line per page size, computed by
:func:`cgiter_edu.capacity` (``(PAGE_SIZE * 8 - 1 - epilogue) // record``), with the
kernel comment's 512 (kernel/bpf/cgroup_iter.c) and the kernel's 511 marked at 64-byte
records.  It draws no
trace, so :meth:`CapacityView.update` has no step to show and changes nothing
(it is there so every view can be driven the same way).

Example::

    >>> import matplotlib; matplotlib.use("Agg")
    >>> from cgiter_edu.viz import plot_capacity
    >>> v = plot_capacity()
    >>> xs = list(v.lines[4096].get_xdata()); int(v.lines[4096].get_ydata()[xs.index(64)])
    511
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import matplotlib as mpl
from matplotlib.axes import Axes

from .style import OKABE_ITO, slide_style
from .view import View, new_axes

__all__ = ["CapacityView", "plot_capacity"]


class CapacityView(View):
    """How many records fit in one session against the record size (:func:`plot_capacity`).

    ``lines[page_size]`` is the line of each page size, ``inset`` the zoom at the
    marked record size.

    Parameters
    ----------
    ax : matplotlib.axes.Axes, optional
        Where to draw (default: a new 16:9 slide figure).
    page_sizes : sequence of int, default (4096, 16384, 65536)
        One line each.
    record_sizes : sequence of int, optional
        The x axis (default: about 16 a doubling from 8 B to 8 KiB).
    mark : int, default 64
        The record size marked (the kernel comment's 512, the kernel's 511).
    epilogue_bytes : int, default 0
        Bytes the epilogue writes (kept free too).

    Examples
    --------
    >>> sorted(CapacityView().lines)
    [4096, 16384, 65536]
    """

    def __init__(self, ax: Axes | None = None, *,
                 page_sizes: Sequence[int] = (4096, 16384, 65536),
                 record_sizes: Sequence[int] | None = None, mark: int = 64,
                 epilogue_bytes: int = 0) -> None:
        fig, ax = new_axes(ax, rect=(0.09, 0.12, 0.86, 0.76))
        super().__init__(fig, ax)
        self._mark = mark
        self.lines, self.inset = _draw(ax, page_sizes, record_sizes, mark, epilogue_bytes)

    @property
    def alt(self) -> str:
        """What the picture shows, in words, with the numbers it marks."""
        from cgiter_edu import capacity

        mark = self._mark
        return (f"How many records fit in one session against the record size, one falling "
                f"staircase per page size ({', '.join(f'{p:,}' for p in self.lines)} "
                f"bytes), (8 pages - 1 byte) // record size: at {mark}-byte records and "
                f"4096-byte pages {capacity(mark)} fit, not the {8 * 4096 // mark} a kernel "
                f"comment suggests")

    def update(self, step: int | None) -> list[Any]:
        """Nothing changes with a step (no trace is drawn); returns ``[]``."""
        self.step = step
        return []


def plot_capacity(ax: Axes | None = None, *, page_sizes: Sequence[int] = (4096, 16384, 65536),
                  record_sizes: Sequence[int] | None = None, mark: int = 64,
                  epilogue_bytes: int = 0) -> CapacityView:
    """Draw how many records fit in one session against the record size.

    One line per page size, with the kernel comment's 512 and the kernel's 511 marked at
    ``mark``-byte records (4 KiB pages). The counts come from :func:`cgiter_edu.capacity`.

    Parameters
    ----------
    ax : matplotlib.axes.Axes, optional
        Where to draw; default a new 16:9 slide figure.
    page_sizes : sequence of int
        One line per page size (bytes).
    record_sizes : sequence of int, optional
        The record sizes on the x axis; default about 16 a doubling from 8 B to 8 KiB.
    mark : int
        The record size marked with its count (64: 511, not 512).
    epilogue_bytes : int
        Bytes the epilogue writes, which must fit too.

    Returns
    -------
    CapacityView
        What was drawn (``.lines``, ``.inset``...).

    Examples
    --------
    >>> v = plot_capacity(mark=128)
    >>> v.inset.get_yticks().tolist()
    [255, 256]
    """
    return CapacityView(ax, page_sizes=page_sizes, record_sizes=record_sizes, mark=mark,
                        epilogue_bytes=epilogue_bytes)


def _draw(ax: Axes, page_sizes: Sequence[int], record_sizes: Sequence[int] | None, mark: int,
          epilogue_bytes: int) -> tuple[dict[int, Any], Any]:
    from cgiter_edu import capacity

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
        # zoom at the example of the comment atop kernel/bpf/cgroup_iter.c, linear: 512 against 511
        ins = ax.inset_axes((0.58, 0.64, 0.41, 0.3))
        ins.axhline(naive, color="black", lw=1.5, ls=":")
        ins.axhline(k511, color=OKABE_ITO["vermillion"], lw=1.5, ls=":")
        ins.plot([0], [naive], marker="o", markersize=20, markerfacecolor="white",
                 markeredgecolor="black", markeredgewidth=2.5, zorder=5)
        ins.plot([0], [k511], marker="o", markersize=15, color=OKABE_ITO["vermillion"],
                 markeredgecolor="black", zorder=6)
        ins.text(0.35, naive + 0.15, f"kernel comment: 8 x 4096 / {mark} = {naive}",
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
    return lines, ins


def _pow2_label(x: float, _pos: int) -> str:
    if x <= 0:
        return ""
    k = math.log2(x)
    if abs(k - round(k)) > 1e-9:
        return ""
    x = int(round(x))
    return f"{x:,}"
