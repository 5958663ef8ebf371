"""The numbers drawn inside a walk's markers (:class:`~cgiter_edu.viz.WalkView`).

Each walked cgroup's ``seq_num`` (the first SHOW or SKIP that names it, from the step
of that event on) or its place in the visiting order from 1 (while it is reached).
The numbers are glyph paths in data units, centred on the markers, drawn by one
:class:`~matplotlib.collections.PathCollection`: recolouring them for a step is one
``set_facecolors``.

Example::

    >>> import matplotlib; matplotlib.use("Agg")
    >>> from cgiter_edu import Hierarchy, Order, run, programs
    >>> from cgiter_edu.viz.walk_numbers import walk_numbers
    >>> h = Hierarchy(); _ = h.mkdir("/a")
    >>> t = run(h, programs.Record(rec_bytes=64), Order.DESCENDANTS_PRE, trace=True).trace
    >>> walk_numbers(t, "seq", {})[0]          # cgroup id -> its seq_num
    {1: 0, 2: 1}
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from matplotlib.font_manager import FontProperties
from matplotlib.path import Path

from cgiter_edu.events import EventKind
from cgiter_edu.replay import CgroupState
from cgiter_edu.trace import Trace

from .geometry import Geometry, list_geometry, tree_geometry
from .layout import Tree
from .view import BASE_FONT

__all__ = ["SLIDE_NUMBER_FONT", "walk_numbers", "widest_number", "number_paths", "number_faces", "numbered_geometry",
           "gutter_geometry", "fit_numbers"]

_CLEAR = (0.0, 0.0, 0.0, 0.0)
_TEXT_RGBA = {"black": (0.0, 0.0, 0.0, 1.0), "white": (1.0, 1.0, 1.0, 1.0)}
#: the numbers' smallest font (points) in a walk picture of its own 16:9 figure, the
#: slide picture: 14 px where a deck shows it 630 px high (70 px per inch of its 9)
SLIDE_NUMBER_FONT = 14.0 * 72 / 70
#: the states whose cgroups show no visit number (not reached yet, or never)
_NO_VISIT = (CgroupState.UNREACHED, CgroupState.NEVER)

#: (number text, font size) -> (glyph vertices, codes, centre x, centre y, right x): the
#: numbers' glyph paths, the same for every walk (:func:`number_paths`)
_NUMBER_GLYPHS: dict[tuple[str, float], tuple[Any, Any, float, float, float]] = {}


def walk_numbers(trace: Trace, mode: str | None,
                 visit: dict[int, int]) -> tuple[dict[int, int], dict[int, int]]:
    """Each numbered cgroup's number and the first step it is shown at.

    Parameters
    ----------
    trace : Trace
        The walk.
    mode : {"seq", "visit"}
        The seq_num of the first SHOW or SKIP naming the cgroup (shown from that
        step), or ``visit[cgroup]`` (shown while the cgroup is reached: step -1).
    visit : dict
        Cgroup id -> its place in the visiting order, from 1.

    Returns
    -------
    tuple of dict
        ``{id: number}`` and ``{id: first step}``.
    """
    if mode == "visit":
        return dict(visit), {v: -1 for v in visit}
    final: dict[int, int] = {}
    first: dict[int, int] = {}
    for e in trace.events:
        if e.kind in (EventKind.SHOW, EventKind.SKIP) and e.cgroup is not None \
                and e.seq_num is not None and e.cgroup not in final:
            final[e.cgroup] = e.seq_num
            first[e.cgroup] = e.step
    return final, first


def widest_number(trace: Trace, mode: str | None, visit: dict[int, int], count: int) -> str:
    """The widest number a walk of ``count`` cgroups draws (as many zeros): the same
    for every walk of these cgroups (a view retargeted to another keeps its markers)."""
    final, _ = walk_numbers(trace, mode, visit)
    return "0" * len(str(max([count, *final.values()])))


def number_paths(numbers: dict[int, int], ids: Iterable[int],
                 xy: dict[int, tuple[float, float]], font: float,
                 right: dict[int, float] | None = None) -> tuple[list[Path], list[int]]:
    """One glyph path (DejaVu Sans bold, ``font`` data units high) per numbered cgroup
    of ``ids`` placed in ``xy``, centred on its point (or, with ``right``, ending at
    ``right[id]``, centred on the point's y); returns the paths and their ids."""
    from matplotlib.textpath import TextPath

    prop = FontProperties(family="DejaVu Sans", weight="bold")
    paths, out = [], []
    for v in ids:
        if v not in numbers or v not in xy:
            continue
        key = (str(numbers[v]), font)
        glyph = _NUMBER_GLYPHS.get(key)
        if glyph is None:     # the glyph's extents (Bezier extrema) are slow: once each
            tp = TextPath((0, 0), key[0], size=key[1], prop=prop)
            ext = tp.get_extents()
            glyph = (tp.vertices, tp.codes, (ext.x0 + ext.x1) / 2, (ext.y0 + ext.y1) / 2,
                     ext.x1)
            if len(_NUMBER_GLYPHS) >= 50_000:
                _NUMBER_GLYPHS.clear()
            _NUMBER_GLYPHS[key] = glyph
        verts, codes, cx, cy, x1 = glyph
        x, y = xy[v]
        dx = right[v] - x1 if right else x - cx
        paths.append(Path(verts + (dx, y - cy), codes))
        out.append(v)
    return paths, out


def number_faces(mode: str, ids: list[int], states: dict[int, CgroupState],
                 first: dict[int, int], last: int,
                 text_on: Callable[[int], str]) -> tuple[list[Any], set[int]]:
    """The face colour of each number of ``ids`` at a step whose last event is ``last``
    (clear: not shown yet; else ``text_on(id)``, black or white) and the ids shown."""
    if mode == "visit":
        vis = [states.get(v, CgroupState.UNREACHED) not in _NO_VISIT for v in ids]
    else:
        vis = [first[v] <= last for v in ids]
    fc = [(_TEXT_RGBA[text_on(v)] if ok else _CLEAR) for v, ok in zip(ids, vis, strict=True)]
    return fc, {v for v, ok in zip(ids, vis, strict=True) if ok}


def numbered_geometry(g: Geometry, tree: Tree, labels: dict[int, str],
                      room: tuple[float, float, float], want: float, min_label: float,
                      short_headers: bool, widest: str) -> Geometry | None:
    """A drawing like ``g`` whose numbers are ``want`` points high once fitted into
    ``room`` (width, height in points, the largest scale), the markers grown to hold the
    ``widest`` number in bold, its labels (if any) still at least ``min_label`` points; None if
    the markers cannot grow that much (the numbers are left out then)."""
    fn = want / g.scale(*room)
    # bigger markers, a smaller scale: grow until they meet (five panels of 22 cgroups
    # side by side get there only as the markers come to touch: many rounds)
    for _ in range(40):
        if fn > 50 * BASE_FONT:
            return None
        n = (fn, widest)
        h = (tree_geometry(tree, labels, number=n) if g.kind == "tree" else
             list_geometry(tree, labels, room[0] / room[1], short_headers, number=n))
        s = h.scale(*room)
        if BASE_FONT * s < min_label and any(labels.values()):
            return None
        if h.number_font * s >= want:
            return h
        fn = 1.03 * want / s
    return None


def gutter_geometry(g: Geometry, tree: Tree, labels: dict[int, str],
                    room: tuple[float, float, float], want: float, min_label: float,
                    short_headers: bool, widest: str) -> Geometry | None:
    """A list drawing like ``g`` with its numbers ``want`` points high in a margin left of
    each column (where markers grown to hold them would leave the labels under
    ``min_label`` points: the 22 rows of a systemd host), its labels still at least
    ``min_label`` points; None if even that leaves them smaller."""
    fn = want / g.scale(*room)
    for _ in range(12):
        h = list_geometry(tree, labels, room[0] / room[1], short_headers, gutter=(fn, widest))
        s = h.scale(*room)
        if BASE_FONT * s < min_label and any(labels.values()):
            return None
        if fn * s >= want:
            return h
        fn = 1.03 * want / s
    return None


def fit_numbers(g: Geometry, tree: Tree, labels: dict[int, str],
                room: tuple[float, float, float], want: float, min_label: float,
                short_headers: bool, widest: str) -> Geometry | None:
    """A drawing like ``g`` whose numbers are ``want`` points high: in grown markers
    (:func:`numbered_geometry`), else, for a list of named rows, in a margin left of
    each column (:func:`gutter_geometry`; unnamed rows, hundreds of them, keep their
    colours only); None if neither keeps the labels ``min_label`` points."""
    args = (g, tree, labels, room, want, min_label, short_headers, widest)
    margin = g.kind == "list" and any(labels.values())
    return numbered_geometry(*args) or (gutter_geometry(*args) if margin else None)
