"""The seq_file buffer at one step: :class:`BufferView` (8 page rows, a zoom on the
last bytes, the read() results) and :class:`BufferStrip` (one strip, for an
animation frame).

Both replay :func:`~cgiter_edu.viz.analysis.buffer_state`: bytes copied to user
space, bytes still in the buffer, the record that did not fit and was rolled back,
and the one byte that can never be used (``count + len < size``).

Example::

    >>> import matplotlib; matplotlib.use("Agg")
    >>> from cgiter_edu import Order, run, programs, shapes
    >>> from cgiter_edu.viz import plot_buffer
    >>> t = run(shapes.balanced(2, 30), programs.Record(rec_bytes=64),
    ...         Order.DESCENDANTS_PRE, trace=True).trace
    >>> v = plot_buffer(t)
    >>> v.byte_counts()
    {'copied': 32704, 'buffered': 0, 'ghost': 64}
"""

from __future__ import annotations

from typing import Any

from matplotlib.axes import Axes
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.patches import Rectangle

from cgiter_edu.trace import Trace

from .analysis import BufferState, buffer_state
from .style import COLORS, PathText, slide_style
from .view import DARK, View, ax_size_pt, new_axes, text_width
from .words import result_text

__all__ = ["BufferView", "BufferStrip", "plot_buffer"]


#: the dots on the bytes still in the buffer (a dark blue on the sky blue)
_HATCH_BLUE = "#1F4E79"


def _buffer_bars(ax: Any) -> dict[str, PolyCollection]:
    """The byte bars of a buffer picture, added to ``ax``: copied to user space, still in
    the buffer, and the hatched ghost of a rolled-back record."""
    bars = {
        "copied": PolyCollection([], facecolors=COLORS["copied"], edgecolors="none", zorder=2),
        # dotted besides blue: "still in the buffer" is told from "copied" (green) without
        # colour (the hatch takes the edge colour; the edge itself is not drawn)
        "buffered": PolyCollection([], facecolors=COLORS["buffered"], edgecolors=_HATCH_BLUE,
                                   linewidths=0, hatch="..", zorder=2),
        "ghost": PolyCollection([], facecolors="none", edgecolors=COLORS["rollback"],
                                hatch="///", linewidths=1.5, zorder=3),
    }
    for c in bars.values():
        ax.add_collection(c)
    return bars


class BufferView(View):
    """The seq_file buffer as 8 page rows filling byte by byte, a zoom on its last
    bytes (the one that can never be used), and the list of read() results.

    Rectangles live in three :class:`PolyCollection` objects, ``bars["copied"]``
    (handed to the user), ``bars["buffered"]`` (still in the buffer) and
    ``bars["ghost"]`` (rolled back); :meth:`byte_counts` reads their widths back.

    Parameters
    ----------
    trace, step, ax : Trace, int or None, Axes or None
        The walk; the step shown (None: after the last event); where to draw
        (default: a new 16:9 slide figure).
    zoom : int, optional
        How many of the last bytes the zoom row shows (default 128).
    reads, max_reads_listed : bool, int
        List the read() results beside the buffer (True), at most this many (9).
    title, font : bool or str, float or None
        Draw the title (or this one); every text at least ``font`` points.

    Examples
    --------
    >>> from cgiter_edu import Order, programs, run, shapes
    >>> t = run(shapes.balanced(2, 3), programs.Record(rec_bytes=3000), Order.DESCENDANTS_PRE,
    ...         trace=True).trace
    >>> BufferView(t).byte_counts()["copied"]
    30000
    """

    ROW_H = 0.72

    def __init__(self, trace: Trace, step: int | None = None, ax: Axes | None = None, *,
                 zoom: int | None = None, reads: bool = True, title: str | bool = True,
                 max_reads_listed: int = 9, font: float | None = None) -> None:
        self.trace = trace
        #: ``font``: every text at least this size (points), the zoom's and the rolled-back
        #: record's labels shortened and on lines of their own (a small picture: the explorer)
        self.font = font
        fmin = font or 0.0
        figure, ax = new_axes(ax, rect=(0.085, 0.1, 0.63 if reads else 0.88, 0.78))
        super().__init__(figure, ax)
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
                               [f"last {self.zoom} B\n(zoomed)"], fontsize=max(15, fmin))
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
            first = ax.text(0, self.zoom_row + h / 2 + 0.06, f"byte {self.size - self.zoom}",
                            fontsize=max(13, fmin), ha="left", va="top", color=DARK)
            if font:          # a line of its own, under the first byte's
                line = 1.5 * font / max(ax_size_pt(ax)[1], 1.0) * (self.zoom_row + 1.35)
                last = ax.annotate(f"byte {self.size - 1}: never usable",
                                   xy=(P - zw / 2, self.zoom_row + h / 2),
                                   xytext=(P, self.zoom_row + h / 2 + 0.06 + line), ha="right",
                                   va="top", fontsize=font,
                                   arrowprops=dict(arrowstyle="->", lw=1.5, color="black"))
            else:
                # the why in brackets only where it leaves room for the zoom's first byte
                # on the left (a narrow panel would run the two into each other)
                never = f"byte {self.size - 1}: never usable"
                why = never + " (count + len < size)"
                if text_width(why, 15) + text_width(first.get_text(), 13) + 12 \
                        <= ax_size_pt(ax)[0]:
                    never = why
                last = ax.annotate(never, xy=(P - zw / 2, self.zoom_row + h / 2),
                                   xytext=(P, self.zoom_row + h / 2 + 0.42), ha="right",
                                   va="top", fontsize=15,
                                   arrowprops=dict(arrowstyle="->", lw=1.5, color="black"))
            #: the zoom strip's labels: its first byte, the never usable last one
            self.zoom_labels = [first, last]
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
            self.ghost_label = ax.text(0, 0, "", fontsize=max(14, fmin), color="#A23B00",
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
        self.step: int | None = None
        self.state: BufferState | None = None
        self.legend = None
        self.update(step)
        if reads:
            with slide_style():
                self.legend = ax.legend(handles=self._legend_handles(), loc="lower left",
                                        bbox_to_anchor=(1.02, -0.02), fontsize=15,
                                        frameon=False)

    def _legend_handles(self) -> list[Any]:
        """One patch per kind of byte the picture shows at its step (no others)."""
        from matplotlib.patches import Patch

        bc = self.byte_counts()
        st = self.state
        ghost = (st.ghost[1] - st.ghost[0]) if st is not None and st.ghost else 0
        count = st.count if st is not None else 0
        kinds = [
            (bc["copied"] > 0, Patch(facecolor=COLORS["copied"], label="copied to user space")),
            (bc["buffered"] > 0, Patch(facecolor=COLORS["buffered"], edgecolor=_HATCH_BLUE,
                                       linewidth=0, hatch="..", label="in the buffer")),
            (bc["ghost"] > 0, Patch(facecolor="none", edgecolor=COLORS["rollback"],
                                    hatch="///", label="rolled back")),
            (count + ghost < self.size - 1, Patch(facecolor=COLORS["page"],
                                                  edgecolor="#BBBBBB", label="free")),
            (True, Patch(facecolor=COLORS["unusable"], label="never usable")),
        ]
        return [h for shown, h in kinds if shown]

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
            head = f"{gb - ga} B {'' if self.font else 'record '}did not fit:"
            txt = f"{head}\nrolled back to {ga}"
            aw = max(ax_size_pt(self.ax)[0], 1.0)
            fs = self.ghost_label.get_fontsize()
            wide = text_width(head, fs, "bold")
            if self.font:                          # both lines inside the strip
                wide = max(wide, text_width(f"rolled back to {ga}", fs, "bold"))
            half = (wide / 2 + 6) * self.page * 1.02 / aw
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

    def artists(self) -> list[Any]:
        """The artists :meth:`update` changes."""
        return [*self.bars.values(), self.ticks, self.ghost_label, self.status,
                *([self.reads_text] if self.reads_text is not None else [])]

    def _reads_lines(self, st: BufferState) -> str:
        lines = ["read() calls:"]
        rs = st.reads
        n = self.max_reads_listed
        shown = rs if len(rs) <= n else rs[: n - 2] + rs[-1:]
        for i, e in enumerate(shown):
            if len(rs) > n and i == n - 2:
                lines.append(f"  … {len(rs) - n + 1} more")
            lines.append(f"  #{e.read_no + 1:<3d} -> {result_text(e)}")
        if len(lines) == 1:
            lines.append("  (none returned yet)")
        return "\n".join(lines)

    @property
    def alt(self) -> str:
        """What the picture shows, in words: the buffer's pages, the bytes copied out,
        still buffered and rolled back at the step drawn (read back from the bars), and
        the caption."""
        from .words import frame_caption

        b = self.byte_counts()
        where = f" at step {self.step}" if self.step is not None else " after the walk"
        text = (f"The seq_file buffer of {self.pages} pages of {self.page} bytes{where}: "
                f"{b.get('copied', 0):,} bytes copied to the reader, "
                f"{b.get('buffered', 0):,} still in the buffer"
                + (f", and a record that did not fit rolled back ({b['ghost']:,} bytes of it "
                   f"drawn as a ghost)"
                   if b.get("ghost") else "")
                + "; the last byte of the buffer can never be used")
        caption = frame_caption(self.trace, self.step)
        return text + (f". {caption[0].upper()}{caption[1:]}" if caption else "")

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


class BufferStrip(View):
    """The whole seq_file buffer as one strip (page boundaries dashed).

    The compact buffer of an animation frame: the same bars and :meth:`byte_counts` as
    :class:`BufferView`, one row.

    Parameters
    ----------
    trace, step, ax : Trace, int or None, Axes or None
        As in :class:`BufferView`.
    label : bool, default True
        Write the byte count under the strip.

    Examples
    --------
    >>> from cgiter_edu.scenarios import truncated_walk
    >>> BufferStrip(truncated_walk(), step=5).byte_counts()["buffered"]
    6000
    """

    ROW_H = 0.8

    def __init__(self, trace: Trace, step: int | None = None, ax: Axes | None = None, *,
                 label: bool = True) -> None:
        self.trace = trace
        fig, ax = new_axes(ax, figsize=(16, 2.5), rect=(0.06, 0.3, 0.9, 0.4))
        super().__init__(fig, ax)
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
        """Redraw the bars for ``step``; returns the changed artists."""
        self.step = step
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

    def artists(self) -> list[Any]:
        """The artists :meth:`update` changes: the bars and the count line."""
        return [*self.bars.values(), *([self.text] if self.text is not None else [])]

    def byte_counts(self) -> dict[str, int]:
        """Bytes drawn per kind, read back from the bar widths."""
        out = {}
        for k, coll in self.bars.items():
            out[k] = int(round(sum(float(p.vertices[:, 0].max() - p.vertices[:, 0].min())
                                   for p in coll.get_paths())))
        return out


def plot_buffer(trace: Trace, step: int | None = None, ax: Axes | None = None,
                **kwargs: Any) -> BufferView:
    """Draw the seq_file buffer at one step of a walk.

    The 8 pages, what was written, copied out and rolled back, the never-usable last
    byte, and every read()'s result.

    Parameters
    ----------
    trace : Trace
        The walk (``res.trace``).
    step : int, optional
        The step to show, 0-based; default: after the last event.
    ax : matplotlib.axes.Axes, optional
        Where to draw; default a new 16:9 slide figure.
    **kwargs
        The view's options, see :class:`BufferView`.

    Returns
    -------
    BufferView
        What was drawn; ``.update(step)`` shows another step, ``.byte_counts()`` the
        bytes by kind.

    Examples
    --------
    >>> v = plot_buffer(res.trace)        # doctest: +SKIP
    >>> v.byte_counts()                   # doctest: +SKIP
    {'copied': 32704, 'buffered': 0, 'ghost': 64}
    """
    return BufferView(trace, step, ax, **kwargs)
