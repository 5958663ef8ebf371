"""Slide style: 16:9, large type, the Okabe-Ito palette, one colour per state.

Every picture in :mod:`cgiter_edu.viz` draws inside :func:`slide_style`, so a
PNG, an SVG, a PDF and a notebook figure all look the same on a projector.
The palette is Okabe & Ito's (2008) colour-blind-safe set; each
:class:`~cgiter_edu.replay.CgroupState` has exactly one colour, named in the
legend with a sentence a student can read off the slide.

Example::

    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> from cgiter_edu.viz.style import slide_style, STATE_COLORS
    >>> from cgiter_edu.replay import CgroupState
    >>> with slide_style():
    ...     fig, ax = plt.subplots()
    >>> STATE_COLORS[CgroupState.DELIVERED]
    '#009E73'
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import matplotlib as mpl
import numpy as np

from cgiter_edu.replay import CgroupState

#: Okabe-Ito: the eight colours (plus a neutral grey for "nothing yet")
OKABE_ITO = {
    "black": "#000000", "orange": "#E69F00", "sky_blue": "#56B4E9",
    "bluish_green": "#009E73", "yellow": "#F0E442", "blue": "#0072B2",
    "vermillion": "#D55E00", "reddish_purple": "#CC79A7",
}
GREY = "#D9D9D9"
DARK_GREY = "#555555"

#: one colour per state; the legend explains each
STATE_COLORS: dict[CgroupState, str] = {
    CgroupState.UNREACHED: GREY,
    CgroupState.CURRENT: OKABE_ITO["yellow"],
    CgroupState.BUFFERED: OKABE_ITO["sky_blue"],
    CgroupState.DELIVERED: OKABE_ITO["bluish_green"],
    CgroupState.LOST: OKABE_ITO["vermillion"],
    CgroupState.UNSHOWN: OKABE_ITO["blue"],
    CgroupState.NEVER: OKABE_ITO["reddish_purple"],
    CgroupState.DEAD: OKABE_ITO["black"],
    CgroupState.STOPPED: OKABE_ITO["orange"],
}

#: what each colour means, in words for the legend
STATE_LABELS: dict[CgroupState, str] = {
    CgroupState.UNREACHED: "not reached (yet)",
    CgroupState.CURRENT: "current: walk is here",
    CgroupState.BUFFERED: "written, in the buffer",
    CgroupState.DELIVERED: "delivered to user",
    CgroupState.LOST: "walked, record lost",
    CgroupState.UNSHOWN: "reached, cut before show",
    CgroupState.NEVER: "never reached: cut",
    CgroupState.DEAD: "dead: skipped",
    CgroupState.STOPPED: "program said stop",
}

def _polygon(n: int, r: float, turn: float = 0.0) -> list[tuple[float, float]]:
    import math

    return [(r * math.sin(turn + 2 * math.pi * k / n), r * math.cos(turn + 2 * math.pi * k / n))
            for k in range(n)]


def _closed(points: list[tuple[float, float]]) -> tuple[list, list]:
    from matplotlib.path import Path

    return ([*points, points[0]], [Path.MOVETO] + [Path.LINETO] * (len(points) - 1)
            + [Path.CLOSEPOLY])


def _marker_path(state: CgroupState) -> object:
    """The shape of ``state`` in marker units (a circle of diameter 1 is the plain marker)."""
    import math

    from matplotlib.path import Path
    from matplotlib.transforms import Affine2D

    S = CgroupState
    if state is S.DELIVERED:
        return Path.unit_circle().transformed(Affine2D().scale(0.5))
    if state is S.UNREACHED:                         # a small dot: nothing happened yet
        return Path.unit_circle().transformed(Affine2D().scale(0.34))
    if state is S.NEVER:                             # a ring: hollow, the walk never came
        outer = _polygon(48, 0.5)
        inner = _polygon(48, 0.27)[::-1]             # the other way round: a hole
        v1, c1 = _closed(outer)
        v2, c2 = _closed(inner)
        return Path(v1 + v2, c1 + c2)
    if state is S.CURRENT:                           # a diamond: the walk is here
        return Path(*_closed(_polygon(4, 0.6)))
    if state is S.BUFFERED:                          # a hexagon, point up
        return Path(*_closed(_polygon(6, 0.56)))
    if state is S.UNSHOWN:                           # a triangle, point down: cut here
        return Path(*_closed([(-0.5, 0.42), (0.5, 0.42), (0.0, -0.5)]))
    if state is S.LOST:                              # a square
        return Path(*_closed([(-0.43, -0.43), (0.43, -0.43), (0.43, 0.43), (-0.43, 0.43)]))
    if state is S.STOPPED:                           # an octagon, flat on top: a stop sign
        return Path(*_closed(_polygon(8, 0.54, math.pi / 8)))
    # DEAD: a tombstone, flat at the bottom, round on top
    arc = [(0.44 * math.cos(a), 0.08 + 0.44 * math.sin(a))
           for a in np.linspace(0, math.pi, 25)]
    return Path(*_closed([(0.44, -0.5), *arc, (-0.44, -0.5)]))


_MARKER_PATHS: dict[CgroupState, object] = {}


def state_marker(state: CgroupState) -> object:
    """The marker shape of ``state`` (a :class:`matplotlib.path.Path` in marker units, a
    circle of diameter 1 being the plain marker): the cue besides the colour, so a reader
    who cannot tell the colours apart can still tell the states apart (:data:`STATE_SHAPES`
    names them).

    >>> from cgiter_edu.replay import CgroupState
    >>> p = state_marker(CgroupState.CURRENT); float(p.vertices[:, 1].max())
    0.6
    """
    p = _MARKER_PATHS.get(state)
    if p is None:
        p = _MARKER_PATHS[state] = _marker_path(state)
    return p


#: each state's shape, in words (what :func:`state_marker` draws)
STATE_SHAPES: dict[CgroupState, str] = {
    CgroupState.UNREACHED: "small dot",
    CgroupState.CURRENT: "diamond",
    CgroupState.BUFFERED: "hexagon",
    CgroupState.DELIVERED: "circle",
    CgroupState.LOST: "square",
    CgroupState.UNSHOWN: "triangle",
    CgroupState.NEVER: "ring",
    CgroupState.DEAD: "tombstone",
    CgroupState.STOPPED: "octagon",
}

#: each state's hatch where a cgroup is a bar (the icicle view for thousands), echoing its
#: marker (:data:`STATE_SHAPES`): small dots, circles, big circles for the ring, crossed
#: lines for the diamond, a grid for the square, stars for the hexagon, upright strokes for
#: the tombstone, flat ones for the octagon's top, slanted ones for the triangle's sides;
#: a run of neighbouring bars in one state reads as one hatched area
STATE_HATCHES: dict[CgroupState, str] = {
    CgroupState.UNREACHED: ".",
    CgroupState.CURRENT: "xx",
    CgroupState.BUFFERED: "**",
    CgroupState.DELIVERED: "oo",
    CgroupState.LOST: "++",
    CgroupState.UNSHOWN: "//",
    CgroupState.NEVER: "O",
    CgroupState.DEAD: "||",
    CgroupState.STOPPED: "--",
}

#: each state's hatch pattern, in words (what :data:`STATE_HATCHES` draws)
HATCH_WORDS: dict[CgroupState, str] = {
    CgroupState.UNREACHED: "fine dots",
    CgroupState.CURRENT: "crossed lines",
    CgroupState.BUFFERED: "stars",
    CgroupState.DELIVERED: "small circles",
    CgroupState.LOST: "grid",
    CgroupState.UNSHOWN: "slanted strokes",
    CgroupState.NEVER: "big circles",
    CgroupState.DEAD: "upright strokes",
    CgroupState.STOPPED: "flat strokes",
}


def hatch_color(facecolor: str) -> tuple[float, float, float, float]:
    """The colour of a hatch drawn over ``facecolor``: black or white as
    :func:`text_color_on` picks, a little transparent so the colour still shows."""
    return (0.0, 0.0, 0.0, 0.55) if text_color_on(facecolor) == "black" else (1, 1, 1, 0.7)


#: colours of the non-tree pictures
COLORS = {
    "mutex_held": OKABE_ITO["blue"],
    "mutex_wait": OKABE_ITO["vermillion"],
    "mutex_writer": OKABE_ITO["bluish_green"],
    "unusable": OKABE_ITO["black"],
    "rollback": OKABE_ITO["vermillion"],
    "copied": OKABE_ITO["bluish_green"],
    "buffered": OKABE_ITO["sky_blue"],
    "edge": "#8C8C8C",
    "path": OKABE_ITO["vermillion"],
    "page": "#F2F2F2",
}

#: 16:9 at 1920x1080 pixels with ``dpi=120``
SLIDE_SIZE = (16.0, 9.0)
SLIDE_DPI = 120

SLIDE_RC: dict[str, object] = {
    "figure.figsize": SLIDE_SIZE,
    "figure.dpi": 100,
    "savefig.dpi": SLIDE_DPI,
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
    "savefig.bbox": None,
    "font.family": "DejaVu Sans",   # ships with matplotlib: same glyphs everywhere
    "font.size": 18,
    "axes.titlesize": 24,
    "axes.titleweight": "bold",
    "axes.labelsize": 20,
    "axes.linewidth": 1.5,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.prop_cycle": mpl.cycler(color=[OKABE_ITO[k] for k in (
        "blue", "orange", "bluish_green", "vermillion", "reddish_purple", "sky_blue", "yellow",
        "black")]),
    "xtick.labelsize": 16,
    "ytick.labelsize": 16,
    "legend.fontsize": 16,
    "legend.frameon": False,
    "lines.linewidth": 3,
    "lines.markersize": 10,
    "figure.titlesize": 28,
    "figure.titleweight": "bold",
    "svg.fonttype": "path",          # SVG looks the same without the font installed
    "svg.hashsalt": "cgiter_edu",    # stable SVG ids
    "pdf.fonttype": 42,              # TrueType in PDF: crisp and selectable
    "axes.unicode_minus": False,
    "animation.embed_limit": 200.0,  # MB, for to_jshtml in notebooks
}


#: rcParams that belong to the session, not to a style: matplotlib's ``rc_context``
#: saves and restores every rcParam but ``backend``, so a context entered before the
#: notebook's backend is loaded (loading it sets ``interactive`` to True) set
#: ``interactive`` back to False on exit, and the inline backend then showed no later
#: figure.  :func:`slide_style` never touches these.
SESSION_RC = frozenset({"backend", "backend_fallback", "interactive", "toolbar",
                        "webagg.port", "webagg.address", "webagg.open_in_browser"})


@contextlib.contextmanager
def slide_style(**overrides: object) -> Iterator[None]:
    """Use the slide style inside a ``with`` block.

    The style's rcParams are set on entry and put back as they were on exit (even
    after an exception).

    Only the style's own rcParams are saved and restored, never the session's
    (:data:`SESSION_RC`: ``interactive``, ``backend``...): a figure made inside the
    block is shown by a notebook like any other, and so is every figure after it.

    Parameters
    ----------
    **overrides
        Single rcParams to set too: ``**{"font.size": 20}``.

    Yields
    ------
    None
        Inside the block the style is on.

    Raises
    ------
    ValueError
        An override of a session setting (:data:`SESSION_RC`).

    Examples
    --------
    >>> import matplotlib, matplotlib.pyplot as plt
    >>> with slide_style(**{"font.size": 20}):
    ...     fig, ax = plt.subplots()
    ...     matplotlib.rcParams["font.size"]
    20.0
    >>> fig.get_size_inches().tolist()
    [16.0, 9.0]
    """
    rc = dict(SLIDE_RC)
    rc.update(overrides)
    session = SESSION_RC.intersection(rc)
    if session:
        raise ValueError(f"slide_style() sets no session setting: {', '.join(sorted(session))}")
    saved = {k: mpl.rcParams[k] for k in rc}
    mpl.rcParams.update(rc)
    try:
        yield
    finally:
        mpl.rcParams.update(saved)


def apply_slide_style() -> None:
    """Make the slide style the default for the rest of the session (notebooks).

    Examples
    --------
    >>> import matplotlib
    >>> with matplotlib.rc_context():
    ...     apply_slide_style(); matplotlib.rcParams["figure.figsize"]
    [16.0, 9.0]
    """
    mpl.rcParams.update(SLIDE_RC)


def text_color_on(facecolor: str) -> str:
    """Black or white, whichever reads better on ``facecolor`` (WCAG luminance)."""
    r, g, b = mpl.colors.to_rgb(facecolor)

    def lin(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    lum = 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)
    return "black" if lum > 0.18 else "white"


#: the label of UNREACHED once the walk is over: those cgroups were not "not yet" reached,
#: the walk never goes there (outside its range, or after it stopped)
UNREACHED_AFTER_END = "not visited by this walk"


def state_label(s: CgroupState, *, ended: bool = False, stopped: bool = False) -> str:
    """The legend's sentence for state ``s``: :data:`STATE_LABELS`, but UNREACHED reads
    :data:`UNREACHED_AFTER_END` once the walk is over (``ended``), and NEVER reads
    "never reached: stopped" in a walk the program stopped by returning 1 (``stopped``:
    it was not cut).

    >>> state_label(CgroupState.NEVER), state_label(CgroupState.NEVER, stopped=True)
    ('never reached: cut', 'never reached: stopped')
    """
    if ended and s is CgroupState.UNREACHED:
        return UNREACHED_AFTER_END
    if stopped and s is CgroupState.NEVER:
        return "never reached: stopped"
    return STATE_LABELS[s]


def state_legend_handles(states: list[CgroupState] | None = None, *,
                         ended: bool = False, hatched: bool = False) -> list:
    """Legend handles, one per state, each with its colour, its cue and its sentence.

    Parameters
    ----------
    states : list of CgroupState, optional
        The states listed (default: all).
    ended : bool, default False
        The picture shows a walk that is over (UNREACHED then reads
        :data:`UNREACHED_AFTER_END`); with ``STOPPED`` among ``states`` (the program
        returned 1), ``NEVER`` reads "never reached: stopped", not "cut".
    hatched : bool, default False
        The picture draws bars (the icicle view): each handle is a bar with the
        state's hatch (:data:`STATE_HATCHES`), not its marker shape
        (:func:`state_marker`).

    Returns
    -------
    list of matplotlib artists
        For ``legend(handles=...)``.

    Examples
    --------
    >>> [h.get_label() for h in state_legend_handles([CgroupState.DELIVERED])]
    ['delivered to user']
    """
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    states = list(CgroupState) if states is None else states
    stopped = CgroupState.STOPPED in states

    def label(s: CgroupState) -> str:
        return state_label(s, ended=ended, stopped=stopped)

    def size(s: CgroupState) -> float:     # a Path marker is scaled to fit 1: undo that
        return 16 * 2 * float(np.abs(state_marker(s).vertices).max())

    if hatched:
        return [Patch(facecolor=STATE_COLORS[s], edgecolor=hatch_color(STATE_COLORS[s]),
                      linewidth=0, hatch=STATE_HATCHES[s],
                      label=label(s)) for s in states]
    return [Line2D([], [], linestyle="none", marker=state_marker(s), markersize=size(s),
                   markerfacecolor=STATE_COLORS[s], markeredgecolor="black",
                   markeredgewidth=1.2, label=label(s)) for s in states]


class PathText(mpl.artist.Artist):
    """Text drawn as glyph outlines (one path) instead of rasterised glyphs.

    A drop-in for the few texts an animation changes every frame (captions,
    counters): drawing one filled path is several times cheaper than
    rendering each glyph, and each string's outline is cached.  ``xy`` is in
    ``transform``'s coordinates (e.g. ``ax.transAxes``); ``size`` in points.

    Example::

        >>> import matplotlib.pyplot as plt
        >>> fig, ax = plt.subplots()
        >>> t = PathText((0, 1), "step 1", size=16, transform=ax.transAxes)
        >>> _ = ax.add_artist(t); t.set_text("step 2"); t.get_text()
        'step 2'
    """

    def __init__(self, xy: tuple[float, float], text: str = "", *, size: float = 16,
                 transform: object = None, color: str = "black", ha: str = "left",
                 va: str = "baseline", family: str = "DejaVu Sans", weight: str = "normal",
                 linespacing: float = 1.35, zorder: float = 5) -> None:
        super().__init__()
        from matplotlib.font_manager import FontProperties

        self._xy = xy
        self._anchor = transform
        self._text = text
        self._size = size
        self._color = color
        self._ha, self._va = ha, va
        self._prop = FontProperties(family=family, weight=weight)
        self._linespacing = linespacing
        self._cache: dict[str, object] = {}
        self.set_zorder(zorder)

    def set_text(self, text: str) -> None:
        """Change the string (its outline is made on the next draw, then cached)."""
        self._text = str(text)
        self.stale = True

    def get_text(self) -> str:
        """The string shown."""
        return self._text

    def set_position(self, xy: tuple[float, float]) -> None:
        """Move the anchor."""
        self._xy = xy
        self.stale = True

    def _outline(self) -> object:
        import numpy as np
        from matplotlib.path import Path
        from matplotlib.textpath import TextPath

        p = self._cache.get(self._text)
        if p is not None:
            return p
        lines = self._text.split("\n")
        step = self._size * self._linespacing
        parts = []
        for i, ln in enumerate(lines):
            if ln:
                tp = TextPath((0, -i * step), ln, size=self._size, prop=self._prop)
                parts.append(tp)
        if not parts:
            path = Path(np.zeros((1, 2)), [Path.MOVETO])
        else:
            path = Path.make_compound_path(*parts)
        width = float(path.vertices[:, 0].max()) if parts else 0.0   # control points: fast
        dx = {"left": 0.0, "center": -width / 2, "right": -width}[self._ha]
        top = self._size * 0.76                     # cap height of the first line
        bottom = -(len(lines) - 1) * step - self._size * 0.24
        dy = {"baseline": 0.0, "top": -top, "bottom": -bottom,
              "center": -(top + bottom) / 2}[self._va]
        path = Path(path.vertices + (dx, dy), path.codes)
        if len(self._cache) > 4096:
            self._cache.clear()
        self._cache[self._text] = path
        return path

    def _placement(self, renderer: object) -> object:
        """The transform from the outline (points) to display pixels."""
        from matplotlib.transforms import Affine2D

        anchor = self._anchor if self._anchor is not None else self.figure.transFigure
        x, y = anchor.transform(self._xy)
        k = renderer.points_to_pixels(1.0)
        return Affine2D().scale(k).translate(x, y)

    def get_window_extent(self, renderer: object = None) -> object:
        """Where the text is drawn, in display pixels (as ``Text.get_window_extent``)."""
        from matplotlib.transforms import Bbox

        if renderer is None:
            renderer = self.figure.canvas.get_renderer()
        if not self._text:
            return Bbox.null()
        return self._outline().get_extents(self._placement(renderer))

    def draw(self, renderer: object) -> None:  # noqa: D102
        if not self.get_visible() or not self._text:
            return
        path = self._outline()
        tr = self._placement(renderer)
        gc = renderer.new_gc()
        gc.set_linewidth(0)
        gc.set_alpha(self.get_alpha() if self.get_alpha() is not None else 1.0)
        rgb = mpl.colors.to_rgba(self._color)
        gc.set_foreground(rgb, isRGBA=True)
        renderer.draw_path(gc, path, tr, rgb)
        gc.restore()
        self.stale = False
