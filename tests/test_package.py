"""The package as a user meets it: light import, docstring examples that run."""

import doctest
import importlib
import subprocess
import sys

import pytest
from conftest import modules_loaded

CORE = ["cgiter_edu", "cgiter_edu.hierarchy", "cgiter_edu.cgroup_tree", "cgiter_edu.processes",
        "cgiter_edu.references", "cgiter_edu.shapes", "cgiter_edu.programs",
        "cgiter_edu.run", "cgiter_edu.trace", "cgiter_edu.kernel_walks", "cgiter_edu.kernel.cgroup",
        "cgiter_edu.kernel.seq_file", "cgiter_edu.kernel.bpf_trace", "cgiter_edu.kernel.helpers",
        "cgiter_edu.kernel.vsprintf", "cgiter_edu.kernel.ctype", "cgiter_edu.kernel.maccess",
        "cgiter_edu.kernel.bpf_iter", "cgiter_edu.kernel.read_write", "cgiter_edu.kernel.hooks",
        "cgiter_edu.kernel.prog_errors", "cgiter_edu.recorder", "cgiter_edu.iterfile",
        "cgiter_edu.events", "cgiter_edu.replay", "cgiter_edu.captions", "cgiter_edu.paths",
        "cgiter_edu.hierarchy_json",
        "cgiter_edu.kernel.cgroup_iter", "cgiter_edu.kernel.config", "cgiter_edu.clihelpers",
        "cgiter_edu.attach",
        "cgiter_edu.progress", "cgiter_edu.cli.cmd_bench", "cgiter_edu.bench_row",
        "cgiter_edu.cli.cmd_walk_open", "cgiter_edu.lazy",
        "cgiter_edu.course", "cgiter_edu.course.questions", "cgiter_edu.course.questions.base",
        "cgiter_edu.course.questions.kinds", "cgiter_edu.course.checking"]


def test_import_is_light():
    assert modules_loaded("import cgiter_edu", ("matplotlib", "ipywidgets", "IPython")) == []
    # the course's names load their modules when first used: no ipywidgets before Quiz
    assert modules_loaded("from cgiter_edu.course import check, question",
                          ("matplotlib", "ipywidgets", "IPython")) == []


def test_import_loads_nothing_until_a_name_is_used():
    """The package root is lazy (PEP 562): networkx and the emulator load when a name is
    first used (``cgiter-edu bench --parts import`` times it)."""
    assert modules_loaded("import cgiter_edu", ("networkx",)) == []
    assert modules_loaded("import cgiter_edu", ("cgiter_edu",)) == ["cgiter_edu",
                                                                   "cgiter_edu.lazy"]
    assert modules_loaded("import cgiter_edu; cgiter_edu.Hierarchy", ("networkx",)) != []


def test_every_public_name_resolves_and_is_listed():
    import cgiter_edu

    for name in cgiter_edu.__all__:
        assert getattr(cgiter_edu, name) is not None, name
        assert name in dir(cgiter_edu), name
    assert cgiter_edu.Order.DESCENDANTS_PRE.value == 2 and callable(cgiter_edu.capacity)
    assert cgiter_edu.hierarchy.Hierarchy is cgiter_edu.Hierarchy      # submodules too
    with pytest.raises(AttributeError, match="has no attribute 'nope'"):
        cgiter_edu.nope  # noqa: B018


@pytest.mark.parametrize("first", ["cgiter_edu.run", "cgiter_edu.attach", "cgiter_edu.cli",
                                   "cgiter_edu.clihelpers"])
def test_run_and_attach_stay_functions_whoever_imports_their_module_first(first):
    """``run`` and ``attach`` share their names with their modules: importing the module
    (directly, or through another module) must not hide the function."""
    code = (f"import importlib, cgiter_edu; importlib.import_module({first!r})\n"
            "assert cgiter_edu.run.__name__ == 'run' and callable(cgiter_edu.run)\n"
            "assert cgiter_edu.attach.__name__ == 'attach' and callable(cgiter_edu.attach)\n"
            "from cgiter_edu import run, attach; assert callable(run) and callable(attach)")
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)


def test_the_commands_entry_module_imports_nothing_heavy():
    """The console script imports its entry module before main() installs the Ctrl-C
    handler: that import must not load networkx or the emulator (a Ctrl-C there printed
    Python's traceback)."""
    from importlib.metadata import entry_points

    (ep,) = [e for e in entry_points(group="console_scripts") if e.name == "cgiter-edu"]
    loaded = modules_loaded(f"import {ep.module}", ("networkx", "cgiter_edu", "matplotlib"))
    assert not [m for m in loaded if m.startswith(("networkx", "matplotlib",
                                                   "cgiter_edu.kernel", "cgiter_edu.hierarchy",
                                                   "cgiter_edu.clihelpers"))], loaded


#: the layers Hierarchy inherits: their examples are written for a Hierarchy, which has
#: every layer's methods (a layer's module cannot import it: hierarchy.py imports them)
LAYERS_OF_HIERARCHY = ("cgiter_edu.cgroup_tree", "cgiter_edu.processes", "cgiter_edu.references")


@pytest.mark.parametrize("name", CORE)
def test_docstring_examples_run(name):
    mod = importlib.import_module(name)
    globs = {}
    if name in LAYERS_OF_HIERARCHY:
        from cgiter_edu import Hierarchy
        globs["Hierarchy"] = Hierarchy
    res = doctest.testmod(mod, optionflags=doctest.ELLIPSIS, extraglobs=globs)
    assert res.failed == 0
    if name in LAYERS_OF_HIERARCHY:     # each method's examples moved with it
        assert res.attempted >= 10


def test_kernel_functions_name_their_kernel_origin():
    from cgiter_edu.kernel import (
        bpf_iter,
        bpf_trace,
        cgroup,
        cgroup_iter,
        ctype,
        helpers,
        maccess,
        read_write,
        seq_file,
        vsprintf,
    )

    for mod in (cgroup, bpf_iter, cgroup_iter, seq_file, bpf_trace, helpers, vsprintf, ctype,
                maccess, read_write):
        for name in dir(mod):
            fn = getattr(mod, name)
            if callable(fn) and getattr(fn, "__module__", "") == mod.__name__ and \
                    (name.startswith(("css_", "cgroup_iter_", "bpf_", "seq_", "__cgroup", "vfs_"))):
                # the docstring opens with the kernel code it mirrors, in ``...``
                assert fn.__doc__ and fn.__doc__.startswith("``"), name


def test_the_course_modules_import_no_circle():
    """Module by module (docs/importgraph.py draws whole subpackages): no two modules of
    cgiter_edu.course import each other, at the top or inside a function."""
    import sys
    from pathlib import Path

    import networkx as nx

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "docs"))
    try:
        import importgraph
    finally:
        sys.path.pop(0)
    g = nx.DiGraph()
    for path in (importgraph.PKG / "course").rglob("*.py"):
        me = importgraph.module_name(path)
        g.add_node(me)
        g.add_edges_from((me, m) for m in importgraph.imports(path)
                         if m.startswith("cgiter_edu.course.") and m != me)
    assert "cgiter_edu.course.handson" in g and "cgiter_edu.course.tasks" in g
    assert [sorted(c) for c in nx.strongly_connected_components(g) if len(c) > 1] == []
