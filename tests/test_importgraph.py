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
