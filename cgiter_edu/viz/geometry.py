"""Where each cgroup goes in a node-link picture: a top-down tree or a list.

:func:`tree_geometry` places a tidy tree (:func:`~cgiter_edu.viz.layout.tidy_layout`)
with a marker per cgroup and its label to the right; :func:`list_geometry` places
systemd-cgls-like rows, indented by level and wrapped in columns.  Both work in
*layout points*: labels are :data:`~cgiter_edu.viz.view.BASE_FONT` points at scale 1,
so a view only has to pick one scale to fit its Axes.  Neither decides an order of
visit; siblings keep their creation order.

Example::

    >>> from cgiter_edu.viz.layout import Tree
    >>> from cgiter_edu.viz.geometry import tree_geometry
    >>> g = tree_geometry(Tree.from_parents({1: None, 2: 1, 3: 1}), {1: "/", 2: "a", 3: "b"})
    >>> g.xy[1][0] == (g.xy[2][0] + g.xy[3][0]) / 2, g.xy[2][1] < g.xy[1][1]
    (True, True)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .layout import Tree, tidy_layout
from .view import BASE_FONT, text_width

__all__ = ["Geometry", "tree_geometry", "list_geometry"]


@dataclass
class Geometry:
    """A node-link drawing in layout points (label font = BASE_FONT at scale 1)."""

    kind: str                          # "tree" | "list"
    xy: dict[int, tuple[float, float]]
    segments: list[list[tuple[float, float]]]
    label_xy: dict[int, tuple[float, float]]
    label_ha: str
    bbox: tuple[float, float, float, float]     # x0, y0, x1, y1
    marker: float                      # marker diameter (points at scale 1)
    number_font: float
    column: dict[int, int] | None = None    # list view: which column each cgroup is in


def tree_geometry(tree: Tree, labels: dict[int, str]) -> Geometry:
    """Top-down tidy tree: markers with the number inside, label to the right."""
    fs = BASE_FONT
    fn = 0.72 * fs
    m = max(1.75 * fs, text_width("000", fn) + 0.5 * fs)
    pad = 0.25 * fs
    widths = {v: (text_width(labels[v], fs) if labels.get(v) else 0.0) for v in tree.parent}
    lay = tidy_layout(tree, extent=lambda v: (m / 2, m / 2 + (pad + widths[v] if widths[v] else 0)),
                      gap=0.8 * fs)
    level = m + 1.9 * fs
    xy = {v: (x, -d * level) for v, (x, d) in lay.pos.items()}
    segs: list[list[tuple[float, float]]] = []
    for p, kids in tree.children.items():
        if not kids:
            continue
        xp, yp = xy[p]
        ybus = yp - level / 2
        xs = [xy[k][0] for k in kids]
        segs.append([(xp, yp), (xp, ybus)])
        segs.append([(min(xs + [xp]), ybus), (max(xs + [xp]), ybus)])
        for k in kids:
            segs.append([(xy[k][0], ybus), xy[k]])
    lx = {v: (xy[v][0] + m / 2 + pad, xy[v][1]) for v in xy}
    x0 = min(x - m / 2 for x, _ in xy.values())
    x1 = max(max(xy[v][0] + m / 2, lx[v][0] + widths[v]) for v in xy)
    y0 = min(y for _, y in xy.values()) - m / 2 - 0.2 * fs
    y1 = m / 2 + 0.2 * fs
    return Geometry("tree", xy, segs, lx, "left", (x0, y0, x1, y1), m, fn)


def list_geometry(tree: Tree, labels: dict[int, str], aspect: float) -> Geometry:
    """systemd-cgls style: one row per cgroup, indented by level, wrapped in columns.

    Every label has its own row, so none can collide; columns are cut so the
    whole drawing comes close to ``aspect`` (width / height).
    """
    fs = BASE_FONT
    fn = 0.62 * fs
    m = max(1.25 * fs, text_width("000", fn) + 0.25 * fs)
    row = max(m, 1.25 * fs) + 0.3 * fs
    indent = 0.9 * m
    pad = 0.3 * fs
    order = tree.nodes
    depth = tree.depth()
    n = len(order)
    widths = {v: (text_width(labels[v], fs) if labels.get(v) else 0.0) for v in order}
    reach = [depth[v] * indent + m + pad + widths[v] for v in order]
    best = None
    for cols in range(1, max(1, n) + 1):
        per = math.ceil(n / cols)
        colw = [max(reach[i:i + per]) + 1.5 * fs for i in range(0, n, per)]
        w, h = sum(colw), per * row
        scale = min(aspect / w, 1.0 / h)          # fit into an aspect x 1 box
        if best is None or scale > best[0] * 1.0001:
            best = (scale, cols, per, colw)
        if per == 1:
            break
    assert best is not None
    _s, _cols, per, colw = best
    xy: dict[int, tuple[float, float]] = {}
    colx = np.concatenate([[0.0], np.cumsum(colw)])
    col_of: dict[int, int] = {}
    for i, v in enumerate(order):
        c, r = divmod(i, per)
        col_of[v] = c
        xy[v] = (colx[c] + depth[v] * indent + m / 2, -r * row)
    segs: list[list[tuple[float, float]]] = []
    for v in order:
        p = tree.parent[v]
        if p is None:
            continue
        xv, yv = xy[v]
        xp = xy[p][0]
        if col_of[p] == col_of[v]:
            ytop = xy[p][1] - m / 2
        else:                                   # parent in an earlier column: continue from the top
            xp = colx[col_of[v]] + depth[p] * indent + m / 2
            ytop = row * 0.5
        segs.append([(xp, ytop), (xp, yv), (xv - m / 2, yv)])
    lx = {v: (xy[v][0] + m / 2 + pad, xy[v][1]) for v in xy}
    x1 = max(lx[v][0] + widths[v] for v in xy)
    y0 = min(y for _, y in xy.values()) - row / 2
    return Geometry("list", xy, segs, lx, "left", (0.0, y0, x1, row / 2), m, fn, col_of)

