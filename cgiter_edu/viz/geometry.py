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
from dataclasses import dataclass, field

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
    #: list view: ``(x, y, text)`` over each column that continues a subtree begun in an
    #: earlier one, naming the parent its open lines come from
    headers: list[tuple[float, float, str]] = field(default_factory=list)
    #: tree view: the rightmost x each cgroup's ink reaches (its marker, or its label)
    reach: dict[int, float] = field(default_factory=dict)
    #: list view with a gutter: where each cgroup's number ends (right-aligned in the
    #: column's left margin, like a listing's line numbers); empty: numbers in markers
    number_right: dict[int, float] = field(default_factory=dict)

    def margined(self) -> tuple[float, float, float, float]:
        """:attr:`bbox` with a margin around it (what a view fits in its Axes)."""
        x0, y0, x1, y1 = self.bbox
        mg = 0.02 * max(x1 - x0, y1 - y0) + 4
        return x0 - mg, y0 - mg, x1 + mg, y1 + mg

    def scale(self, aw: float, ah: float, max_scale: float) -> float:
        """Points per layout unit that fit :meth:`margined` into ``aw`` x ``ah`` points."""
        x0, y0, x1, y1 = self.margined()
        return min(aw / (x1 - x0), ah / (y1 - y0), max_scale)


def _marker(base: float, fn: float, pad: float, number: tuple[float, str] | None) -> tuple[float, float]:
    """The number font and marker diameter: three digits at ``fn`` and ``pad`` around them,
    or ``number = (font, widest number)`` in bold, 0.1 font either side of its advance
    width (the digits' ink is narrower: still inside a circle)."""
    if number is None:
        return fn, max(base, text_width("000", fn) + pad)
    fn, widest = number
    return fn, max(base, text_width(widest, fn, "bold") + 0.2 * fn)


def tree_geometry(tree: Tree, labels: dict[int, str],
                  number: tuple[float, str] | None = None) -> Geometry:
    """Top-down tidy tree: markers with the number inside, label to the right; ``number``:
    the numbers' font and the widest number (default: three digits, 0.72 label font)."""
    fs = BASE_FONT
    fn, m = _marker(1.75 * fs, 0.72 * fs, 0.5 * fs, number)
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
    reach = {v: max(xy[v][0] + m / 2, lx[v][0] + widths[v] if widths[v] else 0.0) for v in xy}
    return Geometry("tree", xy, segs, lx, "left", (x0, y0, x1, y1), m, fn, reach=reach)


def list_geometry(tree: Tree, labels: dict[int, str], aspect: float,
                  short_headers: bool = False,
                  number: tuple[float, str] | None = None,
                  gutter: tuple[float, str] | None = None) -> Geometry:
    """systemd-cgls style: one row per cgroup, indented by level, wrapped in columns.

    Every label has its own row, so none can collide; columns are cut so the
    whole drawing comes close to ``aspect`` (width / height).  A column's "continued
    from <path>" header is shortened to the column's width, except the last column's
    (the whole path) unless ``short_headers``.  ``number``: as for :func:`tree_geometry`
    (default: three digits, 0.62 label font).  ``gutter = (font, widest number)``: the
    numbers in a margin left of each column instead, right-aligned like a listing's line
    numbers (markers too small to hold them at that font).
    """
    fs = BASE_FONT
    fn, m = _marker(1.25 * fs, 0.62 * fs, 0.25 * fs, number)
    row = max(m, 1.25 * fs) + 0.3 * fs
    indent = 0.9 * m
    pad = 0.3 * fs
    gw = 0.0                                    # the numbers' margin, left of each column
    if gutter is not None:
        fn, widest = gutter
        gw = text_width(widest, fn, "bold") + 0.4 * fs
    order = tree.nodes
    depth = tree.depth()
    n = len(order)
    widths = {v: (text_width(labels[v], fs) if labels.get(v) else 0.0) for v in order}
    reach = [gw + depth[v] * indent + m + pad + widths[v] for v in order]
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
        xy[v] = (colx[c] + gw + depth[v] * indent + m / 2, -r * row)
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
            xp = colx[col_of[v]] + gw + depth[p] * indent + m / 2
            ytop = row * 0.5
        segs.append([(xp, ytop), (xp, yv), (xv - m / 2, yv)])
    headers = []
    for c in range(1, len(colw)):
        first = order[c * per]
        p = tree.parent[first]
        if p is None or col_of[p] == c:
            continue
        path = tree.paths.get(p) or tree.names.get(p, str(p))
        text = f"continued from {path}"
        limit = len(path)
        room = colw[c] - 0.5 * fs if c < len(colw) - 1 or short_headers \
            else float("inf")                                    # the last: all
        while text_width(text, HEADER_FONT * fs) > room and limit > 8:
            limit -= 2
            text = f"continued from {_short(path, limit)}"
        headers.append((float(colx[c]), row * 0.5 + 0.2 * fs, text))
    lx = {v: (xy[v][0] + m / 2 + pad, xy[v][1]) for v in xy}
    x1 = max([lx[v][0] + widths[v] for v in xy]
             + [x + text_width(t, HEADER_FONT * fs) for x, _y, t in headers])
    y0 = min(y for _, y in xy.values()) - row / 2
    top = row / 2 + (1.3 * HEADER_FONT * fs if headers else 0.0)
    right = {v: float(colx[col_of[v]]) + gw - 0.25 * fs for v in xy} if gutter else {}
    return Geometry("list", xy, segs, lx, "left", (0.0, y0, x1, top), m, fn, col_of, headers,
                    number_right=right)


#: list view: the column headers' font size, relative to the labels'
HEADER_FONT = 0.8


def _short(path: str, limit: int) -> str:
    from .words import short_path

    return short_path(path, limit)



#: how a path arrow is drawn: vertices in layout points, and Path codes
#: (1 = move to, 2 = line to, 3 = quadratic curve control/end point)
ArrowPath = tuple[list[tuple[float, float]], list[int]]


def walk_arrows(g: Geometry, tree: Tree, seq: list[int]) -> list[ArrowPath | None]:
    """The path of a walk through a tree drawing: one arrow from each cgroup of ``seq``
    (the visiting order) to the next, routed so that arrows do not cross each other
    and each head is clearly visible:

    * to a neighbouring sibling: a shallow arc *below* the two markers (a sibling hop
      only follows a leaf, or ends at one, so nothing else is drawn there);
    * to a child or to the parent: along the tree's edge (down to the bus line,
      along it, down into the child; or the other way up);
    * up to the next sibling of an ancestor (pre-order, after a subtree): up the gap
      right of the subtree just done, level by level, into the target's left side;
    * down to the first leaf of the next subtree (post-order): across at the level
      it leaves, then down the gap left of that subtree, into the target's left side;
    * anything else: straight, edge to edge.

    ``None`` for a pair that is not in the same list column (the numbers say it).

    >>> from cgiter_edu.viz.layout import Tree
    >>> t = Tree.from_parents({1: None, 2: 1, 3: 2, 4: 3, 5: 1})
    >>> g = tree_geometry(t, {})
    >>> [len(a[0]) for a in walk_arrows(g, t, [1, 2, 3, 4, 5])]  # down x3, up the gap
    [4, 2, 2, 4]
    """
    r = g.marker / 2
    col = g.column or {}
    depth = tree.depth()
    rows: dict[int, list[int]] = {}
    for v in sorted(g.xy, key=lambda v: g.xy[v][0]):
        rows.setdefault(depth[v], []).append(v)
    place = {v: i for row in rows.values() for i, v in enumerate(row)}
    level_y = {d: g.xy[row[0]][1] for d, row in rows.items()}
    jog = 0.45 * BASE_FONT

    def ancestor(v: int, d: int) -> int:
        while depth[v] > d:
            v = tree.parent[v]  # type: ignore[assignment]
        return v

    def ink(v: int) -> float:
        return g.reach.get(v, g.xy[v][0] + r)

    def gap_range(v: int, right: bool) -> tuple[float, float]:
        """The free x interval beside v on that side, between inks and markers."""
        row, i = rows[depth[v]], place[v]
        j = i + 1 if right else i - 1
        room = 0.6 * BASE_FONT
        if right:
            lo = ink(v)
            return lo, (g.xy[row[j]][0] - r if 0 <= j < len(row) else lo + 2 * room)
        hi = g.xy[v][0] - r
        return (ink(row[j]) if 0 <= j < len(row) else hi - 2 * room), hi

    def gap(v: int, right: bool, keep: float | None = None) -> float:
        """x in the gap beside v on that side, clear of labels: ``keep`` if it is in
        it already, else halfway across (at most a little more than a marker away)."""
        lo, hi = gap_range(v, right)
        room = 0.6 * BASE_FONT
        if keep is not None and lo + 0.2 * room <= keep <= hi - 0.2 * room:
            return keep
        return min((lo + hi) / 2, lo + room) if right else max((lo + hi) / 2, hi - room)

    out: list[ArrowPath | None] = []
    c45 = math.cos(math.radians(45))
    for a, b in zip(seq, seq[1:], strict=False):
        if a not in g.xy or b not in g.xy or col.get(a) != col.get(b):
            out.append(None)
            continue
        (xa, ya), (xb, yb) = g.xy[a], g.xy[b]
        pa, pb = tree.parent.get(a), tree.parent.get(b)
        da, db = depth[a], depth[b]
        if g.kind == "tree" and (pb == a or pa == b):          # along the tree's edge
            p, c = (a, b) if pb == a else (b, a)
            (xp, yp), (xc, yc) = g.xy[p], g.xy[c]
            ybus = (yp + yc) / 2
            pts = [(xp, yp - r), (xp, ybus), (xc, ybus), (xc, yc + r)]
            if abs(xp - xc) < 1e-9:
                pts = [pts[0], pts[-1]]
            if p == b:
                pts.reverse()
            out.append((pts, [1] + [2] * (len(pts) - 1)))
        elif g.kind == "tree" and pa is not None and pa == pb:          # siblings
            s = 1.0 if xb > xa else -1.0
            p0 = (xa + s * r * c45, ya - r * c45)
            p1 = (xb - s * r * c45, yb - r * c45)
            sag = min(0.35 * abs(xb - xa), 0.9 * BASE_FONT)
            out.append(([p0, ((p0[0] + p1[0]) / 2, p0[1] - 2 * sag), p1], [1, 3, 3]))
        elif g.kind == "tree" and db < da:                     # up past a finished subtree
            x = gap(a, True)
            y0 = ya - r * c45                     # under its label
            pts = [(xa + r * c45, y0), (x, y0)]
            for d in range(da - 1, db - 1, -1):   # from level d + 1 up to level d
                y = level_y[d + 1] + r + jog
                nx_ = gap(ancestor(a, d), True, keep=x)
                if nx_ != x:
                    pts += [(x, y), (nx_, y)]
                x = nx_
            pts += [(x, yb), (xb - r, yb)]        # up beside it, into its left side
            out.append((pts, [1] + [2] * (len(pts) - 1)))
        elif g.kind == "tree" and db > da:                     # down into the next subtree
            x = gap(ancestor(b, da + 1), False)
            y0 = ya - r * c45                     # under its label, on the side it goes
            pts = [(xa + (r if x > xa else -r) * c45, y0), (x, y0)]
            for d in range(da + 1, db):           # from level d down to level d + 1
                y = level_y[d + 1] + r + jog
                nx_ = gap(ancestor(b, d + 1), False, keep=x)
                if nx_ != x:
                    pts += [(x, y), (nx_, y)]
                x = nx_
            pts += [(x, yb), (xb - r, yb)]
            out.append((pts, [1] + [2] * (len(pts) - 1)))
        else:
            dd = math.hypot(xb - xa, yb - ya) or 1.0
            ux, uy = (xb - xa) / dd, (yb - ya) / dd
            out.append(([(xa + ux * r, ya + uy * r), (xb - ux * r, yb - uy * r)], [1, 2]))
    return out
