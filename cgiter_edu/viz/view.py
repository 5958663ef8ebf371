"""The one contract every picture follows: :class:`View`.

A view draws a trace once, into an Axes it is given (or a new 16:9 slide figure),
and :meth:`View.update` then changes only the artists that differ at another step
of the trace, returning them (for blitting).  Animations, widgets and the CLI all
drive views through this contract; see :mod:`cgiter_edu.viz` for the list.

Also here: the helpers the views share to size things in points (the slide's
unit), so text never overlaps at any figure size.

Example::

    >>> import matplotlib; matplotlib.use("Agg")
    >>> from cgiter_edu.viz.view import View, new_axes
    >>> fig, ax = new_axes(None)
    >>> class Empty(View):
    ...     def update(self, step):
    ...         self.step = step
    ...         return []
    >>> v = Empty(fig, ax); v.update(3); v.step
    []
    3
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties

from .style import SLIDE_SIZE, slide_style

__all__ = ["View", "figure_alt", "new_axes", "text_width", "ax_size_pt", "DARK", "BASE_FONT", "MIN_FONT"]

#: the colour of ordinary text on a slide
DARK = "#222222"
#: layout unit of the node-link drawings: label font size in points at scale 1
BASE_FONT = 16.0
#: below this size (points) a label is not drawn at all
MIN_FONT = 6.0


class View:
    """A picture of one trace that can be redrawn for any step.

    Attributes every view has: ``figure``, ``ax`` (the main Axes), ``step`` (the
    step shown: an int, 0-based, or None for "after the last step"), ``alt`` (what
    it shows, in words).  :meth:`update` is the only thing that changes after
    construction.

    Parameters
    ----------
    figure : matplotlib.figure.Figure
        The figure drawn on.
    ax : matplotlib.axes.Axes
        The main Axes.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> class Empty(View):
    ...     def update(self, step):
    ...         self.step = step
    ...         return []
    >>> v = Empty(*new_axes(None)); v.update(3), v.step
    ([], 3)
    """

    figure: Figure
    ax: Axes
    step: int | None

    def __init__(self, figure: Figure, ax: Axes) -> None:
        self.figure = figure
        self.ax = ax
        self.step = None
        views = figure.__dict__.setdefault("_cgiter_views", [])
        views.append(self)
        _alt_in_notebooks()

    @property
    def alt(self) -> str:
        """What the picture shows, in words, derived from what it drew (its alt text in a
        notebook's output and in the book); each view says more than this default."""
        return "A picture of a cgroup_iter walk"

    def update(self, step: int | None) -> list[Any]:
        """Show ``step`` (None: after the last event); return the artists that changed."""
        raise NotImplementedError

    def artists(self) -> list[Any]:
        """The artists :meth:`update` may change (drawn as animated when blitting)."""
        return []

    def savefig(self, path: Any, **kwargs: Any) -> None:
        """``self.figure.savefig(path, **kwargs)``."""
        self.figure.savefig(path, **kwargs)


def figure_alt(fig: Figure) -> str | None:
    """The alt text of a figure: the :attr:`View.alt` of each view drawn on it, in the
    order they were made (None for a figure no view drew).

    >>> import matplotlib; matplotlib.use("Agg")
    >>> fig, ax = new_axes(None)
    >>> figure_alt(fig) is None
    True
    """
    views = fig.__dict__.get("_cgiter_views") or []
    texts = []
    for v in views:
        try:
            texts.append(v.alt)
        except Exception:            # a half-built view: say nothing rather than fail
            continue
    return " ".join(t.rstrip(".") + "." for t in dict.fromkeys(texts) if t) or None


def _alt_in_notebooks() -> None:
    """In an IPython kernel, make the PNG of a figure carry its :func:`figure_alt` as
    the output's metadata (``{"image/png": {"alt": ...}}``): the book (MyST-NB, see
    ``docs/conf.py``) uses it as the image's alt text.  The PNG formatter the inline
    backend installs is wrapped once (again if the backend installs a new one)."""
    ip = getattr(__import__("builtins"), "get_ipython", None)
    shell = ip() if ip else None
    if shell is None:
        return
    fmt = shell.display_formatter.formatters.get("image/png")
    if fmt is None:
        return
    try:
        inner = fmt.lookup_by_type(Figure)
    except KeyError:
        return
    if getattr(inner, "_cgiter_alt", False):
        return

    def png_with_alt(fig: Figure, *args: Any, **kwargs: Any) -> Any:
        data = inner(fig, *args, **kwargs)
        alt = figure_alt(fig)
        if not alt or data is None:
            return data
        if isinstance(data, tuple):
            data, md = data
            return data, {**(md or {}), "alt": alt}
        return data, {"alt": alt}

    png_with_alt._cgiter_alt = True  # type: ignore[attr-defined]
    fmt.for_type(Figure, png_with_alt)


def new_axes(ax: Axes | None, figsize: tuple[float, float] = SLIDE_SIZE,
             rect: Sequence[float] | None = None) -> tuple[Figure, Axes]:
    """``(ax.figure, ax)``, or a new slide-style figure with one Axes at ``rect``
    (figure fractions) when ``ax`` is None."""
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
def text_width(s: str, size: float = BASE_FONT, weight: str = "normal") -> float:
    """Width in points of ``s`` in the slide font (DejaVu Sans) at ``size`` points.

    >>> text_width("ab", 20) > text_width("ab", 10) > 0
    True
    """
    prop = FontProperties(family="DejaVu Sans", size=size, weight=weight)
    w, _h, _d = _renderer().get_text_width_height_descent(s, prop, False)
    return float(w)


def ax_size_pt(ax: Axes) -> tuple[float, float]:
    """Width and height of ``ax`` in points."""
    fig = ax.figure
    pos = ax.get_position()
    w, h = fig.get_size_inches()
    return pos.width * w * 72.0, pos.height * h * 72.0
