"""The package's import graph, computed from the source by docs/importgraph.py (the
script that draws the book's picture of it): no circle, no import that runs up the
declared layers (``LAYERS`` there), and kernel/ imports only kernel/.
"""

from __future__ import annotations

import sys
from pathlib import Path

import networkx as nx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "docs"))
import importgraph  # noqa: E402

#: computed once: the units' graph and the modules' graph
UNITS = importgraph.graph()
MODULES = importgraph.module_graph()


def test_the_graph_is_the_package():
    """The graph reads the real source: the units and imports that are surely there."""
    g = UNITS
    assert {"kernel/", "cli/", "viz/", "widgets/", "live/", "run"} <= set(g.nodes)
    assert g.has_edge("cli/", "clihelpers") and g.has_edge("viz/", "trace")
    assert MODULES.has_edge("cgiter_edu.viz.anim", "cgiter_edu.viz.walk_view")


def test_no_circle():
    """Between units (top-level modules and subpackages), and between modules inside one."""
    units = sorted(sorted(c) for c in nx.strongly_connected_components(UNITS) if len(c) > 1)
    assert units == []
    assert importgraph.module_circles(MODULES) == []


def test_every_unit_has_a_layer():
    assert importgraph.undeclared(UNITS) == [], "add them to LAYERS in docs/importgraph.py"


def test_no_import_runs_up_the_layers():
    """A unit imports only its layer and below."""
    up = importgraph.upward_edges(UNITS)
    assert up == [], f"imports that run up: {up}"


def test_kernel_imports_only_kernel():
    assert sorted(UNITS.successors("kernel/")) == []


def test_an_upward_edge_and_a_circle_are_seen():
    """The checks can fail: an edge from viz/ to cli/ is upward, and with cli/ -> viz/
    it closes a circle."""
    g = UNITS.copy()
    g.add_edge("viz/", "cli/")
    assert ("viz/", "cli/") in importgraph.upward_edges(g)
    assert any({"viz/", "cli/"} <= c for c in nx.strongly_connected_components(g))


def test_a_name_of_the_package_root_is_an_import_of_its_home():
    """The root is lazy: ``from cgiter_edu import Order`` imports kernel/cgroup_iter.py on
    first use, and the graph has that edge (else a kernel/ module could import a front
    end through the root unseen)."""
    homes = importgraph.root_homes()
    assert homes["Order"] == "kernel.cgroup_iter" and homes["run"] == "run"
    assert MODULES.has_edge("cgiter_edu.viz.walk_view", "cgiter_edu.kernel.cgroup_iter")


#: the units that sit on kernel/ and may take its names from where they are defined:
#: the layers up to run() (the root's names are imported from them), and the emulator of
#: the open-coded iterators, which mirrors kernel files as kernel/ does
LAST_CORE = importgraph.layer_of("run")
KERNEL_MIRRORS = {"opencoded"}


def test_front_ends_take_the_roots_public_names_from_the_root():
    """Issue 18: above run(), ``Order``, ``KernelConfig``, ``capacity``,
    ``BpfProgramError``... come from the package root, not from kernel/ (what the root
    does not export, such as ``PAGE_SIZES``, still comes from kernel/config.py)."""
    import ast

    public = {n for n, home in importgraph.root_homes().items() if home.startswith("kernel.")}
    found = []
    for path in sorted(importgraph.PKG.rglob("*.py")):
        me = importgraph.module_name(path)
        u = importgraph.unit(me)
        if u in KERNEL_MIRRORS or u == "__init__" or importgraph.layer_of(u) <= LAST_CORE:
            continue
        package = me if path.name == "__init__.py" else me.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                base = package.split(".")[:len(package.split(".")) - node.level + 1] \
                    if node.level else []
                mod = ".".join(base + [node.module or ""]) if node.level else node.module
                if (mod or "").startswith("cgiter_edu.kernel"):
                    found += [f"{me}: {a.name} from {mod}" for a in node.names
                              if a.name in public]
    assert public >= {"Order", "KernelConfig", "capacity", "BpfProgramError"}
    assert found == []


def test_the_picture_is_readable_no_box_overlaps_another():
    """One row per layer, bottom-up; no two boxes overlap; each box is inside the
    picture; every unit has its box, a subpackage lists its modules; the arrows drawn
    imply every import (their transitive closure holds each edge of the graph)."""
    g = UNITS.copy()
    boxes, height, arrows = importgraph.layout(g)
    assert sorted(b.unit for b in boxes) == sorted(set(g) - {"__init__"})
    for i, a in enumerate(boxes):
        assert 0 <= a.x and a.x + a.w <= importgraph.WIDTH and 0 <= a.y and a.y + a.h <= height
        assert not [b.unit for b in boxes[i + 1:] if a.overlaps(b)], a.unit
    at = {b.unit: b for b in boxes}
    assert at["kernel/"].y < at["run"].y < at["viz/"].y < at["cli/"].y
    assert at["viz/"].y == at["live/"].y
    assert "walk_view" in " ".join(at["viz/"].lines) and at["run"].lines == []
    closure = nx.transitive_closure(arrows)
    g.remove_node("__init__")
    assert all(closure.has_edge(a, b) for a, b in g.edges)
    assert arrows.number_of_edges() < g.number_of_edges() / 2
    assert len(importgraph.LAYER_NAMES) == len(importgraph.LAYERS)


def test_a_box_that_overlaps_is_seen():
    a = importgraph.Box("a", 0, 0, 2, 1, [])
    assert a.overlaps(importgraph.Box("b", 1.9, 0.9, 1, 1, []))
    assert not a.overlaps(importgraph.Box("b", 2.0, 0, 1, 1, []))


def test_the_readmes_picture_shows_the_code_as_it_is():
    """docs/img/layout.png (the README's Layout section) carries the signature of what
    it shows; a change of the graph, the layers or a package's modules makes it stale."""
    from PIL import Image

    png = Path(importgraph.__file__).resolve().parent / "img" / "layout.png"
    boxes, _, arrows = importgraph.layout()
    want = f"importgraph {importgraph.signature(boxes, arrows)}"
    assert Image.open(png).text.get("Description") == want, \
        "stale: python docs/importgraph.py docs/img/layout.png"
    readme = (png.parents[2] / "README.md").read_text()
    assert "](docs/img/layout.png)" in readme.split("## Layout", 1)[1]


def test_the_signature_sees_a_new_module():
    boxes, _, arrows = importgraph.layout()
    before = importgraph.signature(boxes, arrows)
    viz = next(b for b in boxes if b.unit == "viz/")
    viz.lines = [*viz.lines, "new_module"]
    assert importgraph.signature(boxes, arrows) != before
