"""Where each cgroup goes on the page: a tidy tree, and an icicle for thousands.

No graphviz: :func:`tidy_layout` is a Reingold-Tilford tidy tree (contours of
each subtree merged left to right, parents centred over their children) that
knows how wide every node is, so labels that are given their width never
overlap.  :func:`icicle_layout` packs thousands of cgroups in one rectangle
(each cgroup as wide as its leaves), the compact view of a real machine.

The tree comes from a :class:`~cgiter_edu.trace.Trace` (its ``cgroups``), a
:class:`~cgiter_edu.Hierarchy` (its ``graph``) or a ``networkx.DiGraph``.
Siblings are laid out in creation order, as the kernel keeps them; the layout
never decides a visiting order (that comes from traces only).

Example::

    >>> from cgiter_edu.viz.layout import Tree, tidy_layout
    >>> t = Tree.from_parents({1: None, 2: 1, 3: 1, 4: 2})
    >>> lay = tidy_layout(t)
    >>> lay.pos[1][0] == (lay.pos[2][0] + lay.pos[3][0]) / 2
    True
    >>> lay.depth[4]
    2
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..names import printable

__all__ = ["Tree", "TreeLayout", "IcicleLayout", "tidy_layout", "icicle_layout", "tree_of",
           "tree_labels"]


@dataclass
class Tree:
    """A rooted tree of cgroups, children in creation (sibling) order.

    Parameters
    ----------
    root : int
        The root's id.
    children : dict of int to list of int
        Each cgroup's children, in creation order.
    parent : dict of int to int or None
        Each cgroup's parent (None for the root).
    names, paths : dict of int to str
        Each cgroup's last path component ("/" for the root) and full path.
    dead : dict of int to bool
        The dead flag as the source knew it.

    Examples
    --------
    >>> t = Tree.from_parents({1: None, 2: 1, 3: 1}); t.children[1], len(t)
    ([2, 3], 3)
    """

    root: int
    children: dict[int, list[int]]
    parent: dict[int, int | None]
    names: dict[int, str] = field(default_factory=dict)
    paths: dict[int, str] = field(default_factory=dict)
    dead: dict[int, bool] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.parent)

    def __contains__(self, cid: object) -> bool:
        return cid in self.parent

    @property
    def nodes(self) -> list[int]:
        """Every cgroup id, parents before children, siblings in creation order."""
        out: list[int] = []
        stack = [self.root]
        while stack:
            v = stack.pop()
            out.append(v)
            stack.extend(reversed(self.children.get(v, [])))
        return out

    @property
    def edges(self) -> list[tuple[int, int]]:
        """``(parent, child)`` pairs."""
        return [(p, c) for c, p in self.parent.items() if p is not None]

    def leaves(self) -> list[int]:
        """Cgroups without children."""
        return [v for v in self.parent if not self.children.get(v)]

    def depth(self) -> dict[int, int]:
        """Level of each cgroup (0 for the root)."""
        d = {self.root: 0}
        for v in self.nodes:
            for c in self.children.get(v, []):
                d[c] = d[v] + 1
        return d

    # -- builders -----------------------------------------------------------
    @classmethod
    def from_parents(cls, parents: Mapping[int, int | None], names: Mapping[int, str] | None = None,
                     paths: Mapping[int, str] | None = None,
                     dead: Mapping[int, bool] | None = None) -> Tree:
        """From ``{id: parent id or None}``; children keep the mapping's order."""
        roots = [c for c, p in parents.items() if p is None or p not in parents]
        if len(roots) != 1:
            raise ValueError(f"a tree needs exactly one root, found {len(roots)}: {roots[:5]}")
        children: dict[int, list[int]] = {c: [] for c in parents}
        par: dict[int, int | None] = {}
        for c, p in parents.items():
            if p is None or p not in parents:
                par[c] = None
            else:
                par[c] = p
                children[p].append(c)
        names = {c: printable(n) for c, n in (names or {}).items()}   # as they are drawn
        for c in parents:
            names.setdefault(c, str(c))
        return cls(root=roots[0], children=children, parent=par, names=names,
                   paths={c: printable(p) for c, p in (paths or {}).items()},
                   dead=dict(dead or {}))

    @classmethod
    def from_trace(cls, trace: Any) -> Tree:
        """From ``Trace.cgroups`` (``{id: (path, parent id, dead)}``, creation order)."""
        parents = {cid: par for cid, (_p, par, _d) in trace.cgroups.items()}
        paths = {cid: p for cid, (p, _par, _d) in trace.cgroups.items()}
        dead = {cid: bool(d) for cid, (_p, _par, d) in trace.cgroups.items()}
        return cls.from_parents(parents, names={c: _basename(p) for c, p in paths.items()},
                                paths=paths, dead=dead)

    @classmethod
    def from_graph(cls, g: Any) -> Tree:
        """From a ``networkx.DiGraph`` (edges parent -> child, successors in creation order)."""
        parents: dict[int, int | None] = {}
        for v in g.nodes:
            preds = list(g.predecessors(v))
            parents[v] = preds[0] if preds else None
        # children order = the graph's successor order (creation order)
        root = next(v for v, p in parents.items() if p is None)
        ordered: dict[int, int | None] = {root: None}
        stack = [root]
        while stack:
            v = stack.pop()
            kids = list(g.successors(v))
            for k in kids:
                ordered[k] = v
            stack.extend(reversed(kids))
        names, paths, dead = {}, {}, {}
        for v in ordered:
            attrs = g.nodes[v]
            names[v] = str(attrs.get("name", v))
            dead[v] = bool(attrs.get("dead", False))
            if "path" in attrs:
                paths[v] = attrs["path"]
        if not paths:
            for v in ordered:
                paths[v] = _path_from(v, ordered, names)
        names = {v: ("/" if ordered[v] is None else _basename(paths[v]) or names[v])
                 for v in ordered}
        return cls.from_parents(ordered, names=names, paths=paths, dead=dead)


def _basename(path: str) -> str:
    return "/" if path in ("", "/") else path.rstrip("/").rsplit("/", 1)[-1]


def _path_from(v: int, parents: Mapping[int, int | None], names: Mapping[int, str]) -> str:
    parts = []
    while parents[v] is not None:
        parts.append(names[v])
        v = parents[v]  # type: ignore[assignment]
    return "/" + "/".join(reversed(parts))


def tree_of(source: Any) -> Tree:
    """A :class:`Tree` from a Trace, a Hierarchy, a networkx graph or a Tree.

    Parameters
    ----------
    source : Trace, Hierarchy, networkx.DiGraph or Tree
        What to read the tree from.

    Returns
    -------
    Tree
        The tree (``source`` itself when it is one).

    Examples
    --------
    >>> import networkx as nx
    >>> g = nx.DiGraph([(1, 5), (1, 7)])
    >>> tree_of(g).children[1]
    [5, 7]
    """
    if isinstance(source, Tree):
        return source
    if hasattr(source, "cgroups") and hasattr(source, "events"):
        return Tree.from_trace(source)
    if hasattr(source, "successors") and hasattr(source, "predecessors"):
        return Tree.from_graph(source)
    g = getattr(source, "graph", None)
    if hasattr(g, "successors") and hasattr(g, "predecessors"):
        if hasattr(source, "path_of"):
            tree = Tree.from_graph(g)
            tree.paths = {v: printable(source.path_of(v)) for v in tree.parent}
            tree.names = {v: _basename(p) for v, p in tree.paths.items()}
            return tree
        return Tree.from_graph(g)
    raise TypeError(f"cannot make a tree of {type(source).__name__}")


# ---------------------------------------------------------------------------
# tidy tree (Reingold-Tilford with node extents)
# ---------------------------------------------------------------------------
@dataclass
class TreeLayout:
    """Result of :func:`tidy_layout`.

    ``pos[id] = (s, d)``: ``s`` along the sibling axis (in the caller's width
    units), ``d`` the level (0 = root).  ``extent[id] = (before, after)`` the
    node's reach on the sibling axis, as given.
    """

    tree: Tree
    pos: dict[int, tuple[float, float]]
    depth: dict[int, int]
    extent: dict[int, tuple[float, float]]

    @property
    def span(self) -> tuple[float, float]:
        """Lowest and highest sibling-axis coordinate any node reaches."""
        lo = min(self.pos[v][0] - self.extent[v][0] for v in self.pos)
        hi = max(self.pos[v][0] + self.extent[v][1] for v in self.pos)
        return lo, hi

    @property
    def levels(self) -> int:
        """Number of levels (depth of the deepest cgroup + 1)."""
        return max(self.depth.values()) + 1


def tidy_layout(source: Any, extent: Callable[[int], tuple[float, float]] | None = None,
                gap: float = 1.0) -> TreeLayout:
    """Tidy tree layout (Reingold-Tilford) with per-node extents on the sibling axis.

    ``extent(id) -> (before, after)``: how far the node (marker plus label)
    reaches before and after its centre on the sibling axis (default ``(0, 0)``,
    so ``gap`` alone separates neighbours).  Any two cgroups on the same level
    end up at least ``gap`` apart, edge to edge, so labels whose width was
    given cannot collide.  Parents sit midway between their first and last
    child; subtrees are packed as close as their contours allow.  Runs in
    O(n * depth) without recursion, so thousands of cgroups are fine.

    Parameters
    ----------
    source : Trace, Hierarchy, networkx.DiGraph or Tree
        The tree (:func:`tree_of`).
    extent : callable, optional
        ``extent(id) -> (before, after)``, as above.
    gap : float, default 1.0
        The least distance between two cgroups of a level, edge to edge.

    Returns
    -------
    TreeLayout
        ``pos[id] = (x, level)``.

    Examples
    --------
    >>> lay = tidy_layout(Tree.from_parents({1: None, 2: 1, 3: 1}), gap=2)
    >>> lay.pos[3][0] - lay.pos[2][0]
    2.0
    """
    tree = tree_of(source)
    ext = {v: (extent(v) if extent else (0.0, 0.0)) for v in tree.parent}
    order = tree.nodes                          # parents first
    # contours per subtree: lists indexed by relative level, offsets relative
    # to the subtree root; rel[v] = offset of v relative to its parent
    left: dict[int, list[float]] = {}
    right: dict[int, list[float]] = {}
    rel: dict[int, float] = {}
    for v in reversed(order):                   # children before parents
        kids = tree.children.get(v, [])
        b, a = ext[v]
        if not kids:
            left[v], right[v] = [-b], [a]
            continue
        offs = [0.0]
        acc_l = list(left[kids[0]])
        acc_r = list(right[kids[0]])
        for k in kids[1:]:
            kl, kr = left[k], right[k]
            o = max(acc_r[d] - kl[d] + gap for d in range(min(len(acc_r), len(kl))))
            offs.append(o)
            n = min(len(acc_r), len(kr))
            acc_r = [o + kr[d] for d in range(n)] + (acc_r[n:] if len(acc_r) > n else
                                                     [o + x for x in kr[n:]])
            if len(kl) > len(acc_l):
                acc_l.extend(o + x for x in kl[len(acc_l):])
            left.pop(k), right.pop(k)
        left.pop(kids[0]), right.pop(kids[0])
        mid = (offs[0] + offs[-1]) / 2
        for k, o in zip(kids, offs, strict=False):
            rel[k] = o - mid
        left[v] = [-b] + [x - mid for x in acc_l]
        right[v] = [a] + [x - mid for x in acc_r]
    # a node's own extent may reach past its children's: that is in its contour
    pos: dict[int, tuple[float, float]] = {}
    depth: dict[int, int] = {}
    base = -min(left[tree.root])                # leftmost reach at 0
    for v in order:
        p = tree.parent[v]
        if p is None:
            pos[v], depth[v] = (base, 0.0), 0
        else:
            pos[v] = (pos[p][0] + rel[v], float(depth[p] + 1))
            depth[v] = depth[p] + 1
    return TreeLayout(tree=tree, pos=pos, depth=depth, extent=ext)


# ---------------------------------------------------------------------------
# icicle: the compact view for thousands
# ---------------------------------------------------------------------------
@dataclass
class IcicleLayout:
    """Result of :func:`icicle_layout`: ``rect[id] = (x0, width, level)``, x in [0, 1)."""

    tree: Tree
    rect: dict[int, tuple[float, float, int]]

    @property
    def levels(self) -> int:
        """Number of levels."""
        return max(r[2] for r in self.rect.values()) + 1


def icicle_layout(source: Any) -> IcicleLayout:
    """Icicle (partition) layout: each cgroup a bar as wide as its leaves, one row per level.

    Children lie under their parent, left to right in creation order; the
    whole tree spans ``[0, 1)``.  Good for thousands of cgroups, where a node
    link drawing would be a smudge.

    Parameters
    ----------
    source : Trace, Hierarchy, networkx.DiGraph or Tree
        The tree (:func:`tree_of`).

    Returns
    -------
    IcicleLayout
        ``rect[id] = (x0, width, level)``, x in [0, 1).

    Examples
    --------
    >>> lay = icicle_layout(Tree.from_parents({1: None, 2: 1, 3: 1, 4: 3}))
    >>> lay.rect[1], lay.rect[3]
    ((0.0, 1.0, 0), (0.5, 0.5, 1))
    """
    tree = tree_of(source)
    order = tree.nodes
    leaves: dict[int, int] = {}
    for v in reversed(order):
        kids = tree.children.get(v, [])
        leaves[v] = sum(leaves[k] for k in kids) if kids else 1
    total = leaves[tree.root]
    rect: dict[int, tuple[float, float, int]] = {tree.root: (0.0, 1.0, 0)}
    for v in order:
        x0, _w, lvl = rect[v]
        x = x0
        for k in tree.children.get(v, []):
            w = leaves[k] / total
            rect[k] = (x, w, lvl + 1)
            x += w
    return IcicleLayout(tree=tree, rect=rect)


def state_runs(lay: IcicleLayout, ids: list[int], states: list[Any]) -> dict[Any, list]:
    """The icicle's bars merged into runs: for each state, one rectangle per run of
    side-by-side bars of one row in that state (the hatch layer over the bars; 20,000
    siblings in one state are one hatched rectangle, not 20,000).

    Parameters
    ----------
    lay : IcicleLayout
        The layout (:func:`icicle_layout`).
    ids : list of int
        The cgroups, in the order of ``states``.
    states : list
        The state of each cgroup of ``ids``.

    Returns
    -------
    dict
        ``{state: [corners of a rectangle, ...]}``, bars 0.92 of a row tall.

    Examples
    --------
    >>> lay = icicle_layout(Tree.from_parents({1: None, 2: 1, 3: 1, 4: 1}))
    >>> runs = state_runs(lay, [1, 2, 3, 4], ["a", "b", "b", "a"])
    >>> [(round(r[0][0], 2), round(r[1][0], 2)) for r in runs["b"]]
    [(0.0, 0.67)]
    """
    cells = sorted((lay.rect[v][2], lay.rect[v][0], lay.rect[v][1], s)
                   for v, s in zip(ids, states, strict=True))
    runs: dict[Any, list] = {}
    i = 0
    while i < len(cells):
        lvl, x0, w, s = cells[i]
        x1 = x0 + w
        i += 1
        while (i < len(cells) and cells[i][0] == lvl and cells[i][3] == s
               and abs(cells[i][1] - x1) < 1e-12):
            x1 = cells[i][1] + cells[i][2]
            i += 1
        y0 = -lvl - 1
        runs.setdefault(s, []).append([(x0, y0), (x1, y0), (x1, y0 + 0.92), (x0, y0 + 0.92)])
    return runs


def tree_labels(t: Tree, labels: str | dict[int, str] | None) -> dict[int, str]:
    """Each cgroup's label in a walk picture (:class:`~cgiter_edu.viz.WalkView`'s
    ``labels``): its ``"name"``, ``"path"`` or ``"id"``, ``{id: text}`` (others: no
    label), or none (``None``).

    >>> t = Tree.from_parents({1: None, 2: 1}, names={1: "/", 2: "a"})
    >>> tree_labels(t, "name"), tree_labels(t, {2: "x"})
    ({1: '/', 2: 'a'}, {1: '', 2: 'x'})
    """
    if labels is None:
        return {}
    if isinstance(labels, dict):
        return {v: str(labels.get(v, "")) for v in t.parent}
    if labels == "id":
        return {v: str(v) for v in t.parent}
    if labels == "path":
        return {v: t.paths.get(v, str(v)) for v in t.parent}
    if labels == "name":
        return {v: t.names.get(v, str(v)) for v in t.parent}
    raise ValueError(f"labels must be 'name', 'path', 'id', None or a dict, not {labels!r}")
