"""The package's import graph, drawn from the source (``python docs/importgraph.py OUT.png``;
``--check`` lists the circles, the imports that run up and the units with no layer, and
draws nothing; ``tests/test_importgraph.py`` fails on them).

The book draws it when it is built (``docs/bookgen.py``), so the picture cannot go stale.
Units are the top-level modules and the subpackages of ``cgiter_edu``; ``a -> b`` means
some module of ``a`` imports ``b`` (at the top or inside a function; a public name of the
lazy package root counts as an import of the module it comes from).  The picture has one
row per layer of :data:`LAYERS`, bottom-up, one box per unit (a subpackage's box lists
its modules), and draws only the arrows that no chain of other arrows implies (the
transitive reduction: ~40 of ~140), so that it stays readable; an import that runs up
and a circle are drawn in red, and listed.
"""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass
from pathlib import Path

import networkx as nx

PKG = Path(__file__).resolve().parent.parent / "cgiter_edu"


def unit(module: str) -> str:
    """``cgiter_edu.viz.walk_view`` -> ``viz/``; ``cgiter_edu.run`` -> ``run``."""
    parts = module.split(".")[1:]
    if not parts:
        return "__init__"
    sub = PKG / parts[0]
    return parts[0] + "/" if sub.is_dir() else parts[0]


def module_name(path: Path) -> str:
    rel = path.relative_to(PKG.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def imports(path: Path) -> set[str]:
    """The cgiter_edu modules ``path`` imports."""
    me = module_name(path)
    package = me if path.name == "__init__.py" else me.rpartition(".")[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.startswith("cgiter_edu")}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            if mod.startswith("cgiter_edu"):
                out.add(mod)
                out |= {f"{mod}.{a.name}" for a in node.names
                        if (PKG.parent / (mod + "." + a.name).replace(".", "/")).with_suffix(
                            ".py").exists()}
                if mod == "cgiter_edu":     # the lazy root: a name is its home's import
                    homes = root_homes()
                    out |= {f"cgiter_edu.{homes[a.name]}" for a in node.names
                            if a.name in homes}
    return out


def root_homes() -> dict[str, str]:
    """The package root's public names and the module each is imported from on first
    use (``_HOMES`` in ``cgiter_edu/__init__.py``): ``from cgiter_edu import Order``
    imports ``cgiter_edu.kernel.cgroup_iter``, and the graph says so."""
    for node in ast.parse((PKG / "__init__.py").read_text()).body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "_HOMES":
            return ast.literal_eval(node.value)
    raise LookupError("no _HOMES in cgiter_edu/__init__.py")


def graph() -> nx.DiGraph:
    """Units of the package and the imports between them (no self-loops)."""
    g = nx.DiGraph()
    for path in sorted(PKG.rglob("*.py")):
        a = unit(module_name(path))
        g.add_node(a)
        for m in imports(path):
            b = unit(m)
            if b != a and b != "__init__":
                g.add_edge(a, b)
    return g


def members(u: str) -> list[str]:
    """The modules of subpackage ``u`` (``viz/`` -> ``anim``, ``walk_view``...; a nested
    package's modules as ``questions.kinds``), without ``__init__``; [] for a module."""
    if not u.endswith("/"):
        return []
    root = PKG / u.rstrip("/")
    return sorted(".".join(p.relative_to(root).with_suffix("").parts)
                  for p in root.rglob("*.py") if p.name != "__init__.py")


@dataclass
class Box:
    """A unit's box in the picture, in inches from the figure's bottom left."""
    unit: str
    x: float
    y: float
    w: float
    h: float
    lines: list[str]

    def overlaps(self, o: Box) -> bool:
        return (self.x < o.x + o.w and o.x < self.x + self.w
                and self.y < o.y + o.h and o.y < self.y + self.h)


#: what each layer of :data:`LAYERS` is, said at its left (same order)
LAYER_NAMES = ["the kernel's files", "the trace; names", "the tree and its files", "attach",
               "run()", "built on one walk", "front ends", "the widgets", "the course",
               "the class benchmark", "the command"]

#: the picture's size (inches), its left margin for the layers' names, the font sizes
WIDTH, MARGIN, TITLE_PT, LIST_PT = 16.0, 1.9, 10.5, 8.0
ROW_GAP = 0.42          # between two layers: room for the arrows


def layout(g: nx.DiGraph | None = None) -> tuple[list[Box], float, nx.DiGraph]:
    """The boxes (one per unit, a subpackage listing its modules) in rows, one row per
    layer bottom-up, ordered in each row to keep arrows short; the picture's height;
    and the arrows drawn: the imports no chain of other imports implies (the transitive
    reduction; all of them if there is a circle), with every upward import and circle
    edge added."""
    import textwrap

    g = graph() if g is None else g.copy()
    g.remove_nodes_from(["__init__"])           # the lazy facade: named, not drawn
    rows = [[u for u in layer if u in g] for layer in LAYERS]
    extra = sorted(u for u in g if layer_of(u) is None)
    if extra:
        rows.append(extra)
    arrows = nx.transitive_reduction(g) if nx.is_directed_acyclic_graph(g) else g.copy()
    arrows.add_edges_from(upward_edges(g))
    char = LIST_PT / 72 * 0.64                  # DejaVu Sans Mono: 0.602 em, and room
    sizes: dict[str, tuple[float, list[str]]] = {}
    for u in g:
        mods = members(u)
        if not mods:
            sizes[u] = (len(u) * TITLE_PT / 72 * 0.62 + 0.3, [])
            continue
        text = "  ".join(mods)
        cols = max(24, min(64, int(len(text) / 3.2) + 4))
        lines = textwrap.wrap(text, cols, break_on_hyphens=False)
        sizes[u] = (max(len(line) for line in lines) * char + 0.4, lines)
    # order each row by the mean position of what its units import and are imported by
    order = {u: i for row in rows for i, u in enumerate(row)}
    span = {u: max(1, len(row) - 1) for row in rows for u in row}

    def centre(u: str) -> float:
        near = [order[v] / span[v] for v in (*arrows.successors(u), *arrows.predecessors(u))]
        return sum(near) / len(near) if near else order[u] / span[u]

    for _ in range(6):
        for row in rows:
            row.sort(key=lambda u: (centre(u), u))
            order.update({u: i for i, u in enumerate(row)})
    boxes, y = [], 0.35
    for row in rows:
        h = max(0.42 + len(sizes[u][1]) * LIST_PT / 72 * 1.3 for u in row)
        total = sum(sizes[u][0] for u in row)
        gap = min(0.6, (WIDTH - MARGIN - 0.3 - total) / max(1, len(row)))
        x = MARGIN + (WIDTH - MARGIN - total - gap * (len(row) - 1)) / 2
        for u in row:
            w, lines = sizes[u]
            boxes.append(Box(u, x, y + (h - (0.42 + len(lines) * LIST_PT / 72 * 1.3)) / 2,
                             w, 0.42 + len(lines) * LIST_PT / 72 * 1.3, lines))
            x += w + gap
        y += h + ROW_GAP
    return boxes, y + 0.75, arrows


def signature(boxes: list[Box], arrows: nx.DiGraph) -> str:
    """A short hash of what the picture shows (the boxes, their places and lists, the
    arrows): written into the PNG, so that a test can tell a committed picture that no
    longer shows the code (``docs/img/layout.png``, in the README)."""
    import hashlib
    import json

    what = {"boxes": [(b.unit, round(b.x, 2), round(b.y, 2), b.lines) for b in boxes],
            "arrows": sorted(arrows.edges)}
    return hashlib.sha256(json.dumps(what).encode()).hexdigest()[:16]


def draw(path: str | Path) -> Path:
    """Draw the graph into ``path`` (PNG or SVG): the layers as rows, bottom-up, each
    unit a box (a subpackage lists its modules), the direct imports as arrows."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    g = graph()
    boxes, height, arrows = layout(g)
    at = {b.unit: b for b in boxes}
    cyclic = {n for comp in nx.strongly_connected_components(g) if len(comp) > 1
              for n in comp}
    bad = set(upward_edges(g)) | {(a, b) for a, b in g.edges
                                  if a in cyclic and b in cyclic and nx.has_path(g, b, a)}
    fig = plt.figure(figsize=(WIDTH, height), dpi=100)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, WIDTH)
    ax.set_ylim(0, height)
    ax.axis("off")
    for i, name in enumerate(LAYER_NAMES):
        ys = [b.y + b.h / 2 for b in boxes if layer_of(b.unit) == i]
        if ys:
            ax.text(0.2, sum(ys) / len(ys), name, ha="left", va="center", fontsize=9.5,
                    color="#555555", style="italic")
            ax.axhline(min(b.y for b in boxes if layer_of(b.unit) == i) - ROW_GAP / 2,
                       color="#E0E0E0", lw=0.8, zorder=0)
    for a, b in arrows.edges:
        ba, bb = at[a], at[b]
        red = (a, b) in bad
        if abs(ba.y - bb.y) < 1e-6:             # the same layer: side to side
            left = ba.x < bb.x
            start = (ba.x + ba.w if left else ba.x, ba.y + ba.h * 0.3)
            end = (bb.x if left else bb.x + bb.w, bb.y + bb.h * 0.3)
            style = "arc3,rad=0.35"
        else:
            down = ba.y > bb.y
            start = (ba.x + ba.w / 2, ba.y if down else ba.y + ba.h)
            end = (bb.x + bb.w / 2, bb.y + bb.h if down else bb.y)
            style = "arc3,rad=0.0"
        ax.add_patch(FancyArrowPatch(start, end, connectionstyle=style, arrowstyle="-|>",
                                     mutation_scale=11, lw=2 if red else 0.9, zorder=1,
                                     color="#D55E00" if red else "#8C8C8C",
                                     shrinkA=1, shrinkB=1))
    for b in boxes:
        colour = ("#D55E00" if b.unit in cyclic or layer_of(b.unit) is None
                  else "#CFE8F7" if b.lines else "#F2F2F2")
        ax.add_patch(FancyBboxPatch((b.x, b.y), b.w, b.h, boxstyle="round,pad=0,rounding_size=0.06",
                                    fc=colour, ec="#333333", lw=0.9, zorder=2))
        if b.lines:
            ax.text(b.x + b.w / 2, b.y + b.h - 0.08, b.unit, ha="center", va="top",
                    fontsize=TITLE_PT, weight="bold", zorder=3)
            ax.text(b.x + 0.15, b.y + b.h - 0.36, "\n".join(b.lines), ha="left", va="top",
                    fontsize=LIST_PT, family="DejaVu Sans Mono", linespacing=1.3, zorder=3)
        else:
            ax.text(b.x + b.w / 2, b.y + b.h / 2, b.unit, ha="center", va="center",
                    fontsize=TITLE_PT, zorder=3)
    ax.text(WIDTH / 2, height - 0.3,
            f"cgiter_edu: who imports whom ({g.number_of_edges()} imports between "
            f"{len(boxes)} units, the package root aside), one layer a row, bottom-up\n"
            "an arrow points to what is imported, drawn only where no chain of other "
            "arrows implies it; red: a circle or an import that runs up",
            ha="center", va="center", fontsize=11, linespacing=1.5)
    out = Path(path)
    fig.savefig(out, metadata={"Description": f"importgraph {signature(boxes, arrows)}"}
                if out.suffix == ".png" else None)
    plt.close(fig)
    return out


def circles() -> list[list[str]]:
    """The import circles between units, each as a sorted list."""
    return sorted(sorted(c) for c in nx.strongly_connected_components(graph()) if len(c) > 1)


def module_graph() -> nx.DiGraph:
    """Modules of the package (``cgiter_edu.viz.walk_view``...) and the imports between
    them, at the top or inside a function (no self-loops)."""
    g = nx.DiGraph()
    for path in sorted(PKG.rglob("*.py")):
        a = module_name(path)
        g.add_node(a)
        # not the package root: ``from . import shapes`` names the root, but the facade's
        # names are not what is imported (the unit graph leaves it out too)
        g.add_edges_from((a, b) for b in imports(path) if b not in (a, "cgiter_edu"))
    return g


def module_circles(g: nx.DiGraph | None = None) -> list[list[str]]:
    """The import circles between modules (inside a unit too), each as a sorted list."""
    g = module_graph() if g is None else g
    return sorted(sorted(c) for c in nx.strongly_connected_components(g) if len(c) > 1)


#: the units bottom-up: a unit imports only units of its own layer or below.  kernel/
#: at the bottom, importing only kernel/; then the trace and what records it; the user's
#: tree and its files (hierarchy, iterfile), attach, run; what is built on one walk; the front ends that replay
#: walks (live/, viz/, then widgets/, which shows both); the course, which uses them;
#: the class benchmark; the command.  A new module or subpackage gets its line here.
LAYERS: list[tuple[str, ...]] = [
    ("kernel/",),
    ("events", "captions", "replay", "trace", "recorder", "names", "paths", "programs",
     "progress", "lazy", "bench_row"),
    ("cgroup_tree", "processes", "references", "hierarchy", "hierarchy_json", "shapes",
     "iterfile"),
    ("attach",),
    ("run",),
    ("opencoded", "scenarios", "kernel_walks", "clihelpers", "outfile"),
    ("live/", "viz/"),
    ("widgets/",),
    ("course/",),
    ("classbench/",),
    ("cli/", "__main__"),
]


def layer_of(unit: str) -> int | None:
    """The index in :data:`LAYERS` of ``unit`` (None: not declared)."""
    return next((i for i, units in enumerate(LAYERS) if unit in units), None)


def upward_edges(g: nx.DiGraph | None = None) -> list[tuple[str, str]]:
    """The imports ``a -> b`` where ``b``'s layer is above ``a``'s (the package's
    ``__init__`` is left out: it is the facade that names the public API)."""
    g = graph() if g is None else g
    return sorted((a, b) for a, b in g.edges if "__init__" not in (a, b)
                  and layer_of(a) is not None and layer_of(b) is not None
                  and layer_of(b) > layer_of(a))


def undeclared(g: nx.DiGraph | None = None) -> list[str]:
    """Units of the package that :data:`LAYERS` does not place."""
    g = graph() if g is None else g
    return sorted(u for u in g.nodes if u != "__init__" and layer_of(u) is None)


if __name__ == "__main__":
    # python docs/importgraph.py [OUT.png]: draw; --check: only list what is wrong
    # (circles between units or modules, imports that run up, units with no layer)
    check = "--check" in sys.argv[1:]
    if not check:
        print(draw(sys.argv[1] if len(sys.argv) > 1 else "layout.png"))
    for c in circles():
        print("circle:", " <-> ".join(c))
    for c in module_circles():
        print("module circle:", " <-> ".join(c))
    for a, b in upward_edges():
        print(f"upward: {a} -> {b}")
    for u in undeclared():
        print(f"no layer: {u} (add it to LAYERS in docs/importgraph.py)")
