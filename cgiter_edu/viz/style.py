"""Slide style: 16:9, large type, the Okabe-Ito palette, one colour per state.

Every picture in :mod:`cgiter_edu.viz` draws inside :func:`slide_style`, so a
PNG, an SVG, a PDF and a notebook figure all look the same on a projector.
The palette is Okabe & Ito's (2008) colour-blind-safe set; each
:class:`~cgiter_edu.trace.CgroupState` has exactly one colour, named in the
legend with a sentence a student can read off the slide.

Example::

    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> from cgiter_edu.viz.style import slide_style, STATE_COLORS
    >>> from cgiter_edu.trace import CgroupState
    >>> with slide_style():
    ...     fig, ax = plt.subplots()
    >>> STATE_COLORS[CgroupState.DELIVERED]
    '#009E73'
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import matplotlib as mpl

from cgiter_edu.trace import CgroupState

#: Okabe-Ito: the eight colours (plus a neutral grey for "nothing yet")
OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
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
    CgroupState.NEVER: "never reached: cut",
    CgroupState.DEAD: "dead: skipped",
    CgroupState.STOPPED: "program said stop",
}

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
    "text.hinting_factor": 1,
    "axes.unicode_minus": False,
    "animation.embed_limit": 200.0,  # MB, for to_jshtml in notebooks
}


@contextlib.contextmanager
def slide_style(**overrides: object) -> Iterator[None]:
    """Use the slide style inside a ``with`` block (``rcParams`` restored after).

    Keyword arguments override single rcParams: ``**{"font.size": 20}``.

    Example::

        >>> import matplotlib.pyplot as plt
        >>> with slide_style(**{"font.size": 20}):
        ...     fig, ax = plt.subplots()
    """
    rc = dict(SLIDE_RC)
    rc.update(overrides)
    with mpl.rc_context(rc):
        yield


def apply_slide_style() -> None:
    """Make the slide style the default for the rest of the session (notebooks)."""
    mpl.rcParams.update(SLIDE_RC)


def text_color_on(facecolor: str) -> str:
    """Black or white, whichever reads better on ``facecolor`` (WCAG luminance)."""
    r, g, b = mpl.colors.to_rgb(facecolor)

    def lin(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    lum = 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)
    return "black" if lum > 0.18 else "white"


def state_legend_handles(states: list[CgroupState] | None = None) -> list:
    """Legend handles, one per state (all by default), each with its sentence."""
    from matplotlib.lines import Line2D

    states = list(CgroupState) if states is None else states
    return [Line2D([], [], linestyle="none", marker="o", markersize=16,
                   markerfacecolor=STATE_COLORS[s], markeredgecolor="black",
                   markeredgewidth=1.2, label=STATE_LABELS[s]) for s in states]
