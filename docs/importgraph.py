"""The package's import graph, drawn from the source (``python docs/importgraph.py OUT.png``;
``--check`` lists the circles, the imports that run up and the units with no layer, and
draws nothing; ``tests/test_importgraph.py`` fails on them).

The book draws it when it is built (``docs/bookgen.py``), so the picture cannot go stale.
Nodes are the top-level modules and the subpackages of ``cgiter_edu``; an arrow ``a -> b``
means some module of ``a`` imports ``b`` (at the top or inside a function). Layers are
drawn bottom-up: a node sits above everything it imports, except inside a circle, which
is drawn in red and listed.
"""

from __future__ import annotations

import ast
import sys
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


def draw(path: str | Path) -> Path:
    """Draw the graph into ``path`` (PNG or SVG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    g = graph()
    cond = nx.condensation(g)
    layer: dict[int, int] = {}
    for c in reversed(list(nx.topological_sort(cond))):
        layer[c] = 1 + max((layer[d] for d in cond.successors(c)), default=-1)
    rows: dict[int, list[str]] = {}
    for c, members in cond.nodes(data="members"):
        rows.setdefault(layer[c], []).extend(sorted(members))
    pos = {}
    for y, names in rows.items():
        for x, n in enumerate(sorted(names)):
            pos[n] = (x - (len(names) - 1) / 2, y)
    cyclic = {n for comp in nx.strongly_connected_components(g) if len(comp) > 1 for n in comp}
    fig, ax = plt.subplots(figsize=(16, 9), dpi=100)
    red = [(a, b) for a, b in g.edges if a in cyclic and b in cyclic
           and nx.has_path(g, b, a)]
    nx.draw_networkx_edges(g, pos, ax=ax, edgelist=[e for e in g.edges if e not in red],
                           edge_color="#8C8C8C", arrows=True, arrowsize=10, width=0.8,
                           node_size=2600, connectionstyle="arc3,rad=0.08")
    nx.draw_networkx_edges(g, pos, ax=ax, edgelist=red, edge_color="#D55E00", arrows=True,
                           arrowsize=12, width=2, node_size=2600,
                           connectionstyle="arc3,rad=0.25")
    colours = ["#D55E00" if n in cyclic else ("#56B4E9" if n.endswith("/") else "#F2F2F2")
               for n in g.nodes]
    nx.draw_networkx_nodes(g, pos, ax=ax, node_color=colours, node_size=2600,
                           edgecolors="#333333", node_shape="s")
    nx.draw_networkx_labels(g, pos, ax=ax, font_size=10)
    ax.set_title("cgiter_edu: who imports whom (arrows point to what is imported; "
                 "bottom: imports nothing above it; red: a circle)", fontsize=14)
    ax.axis("off")
    fig.tight_layout()
    out = Path(path)
    fig.savefig(out)
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
    ("hierarchy", "hierarchy_json", "shapes", "iterfile"),
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
