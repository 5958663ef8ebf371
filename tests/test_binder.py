"""Binder as the classroom gets it: an environment made only from binder/ (as
repo2docker makes it) runs every lesson and serves the explorer to headless Chromium on
the route the README's badge opens (JupyterLab's Voila, ``/voila/render/...``)."""

from __future__ import annotations

import importlib.util
import json
import os
import re
from pathlib import Path

import pytest
from conftest import need

BINDER = Path(__file__).resolve().parent.parent / "binder"
def test_requirements_are_pinned_and_name_the_classroom_stack():
    pins = {}
    for line in (BINDER / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, sep, version = line.partition("==")
            assert sep, f"not pinned: {line!r}"
            pins[name.lower().replace("_", "-")] = version
    assert pins["jupyterlab"].startswith("4.")
    assert pins["ipywidgets"].startswith("8.")
    assert pins["voila"].startswith("0.5.")
    assert pins["notebook"].startswith("7.")      # as repo2docker's image has it
    assert os.access(BINDER / "postBuild", os.X_OK)
    post = (BINDER / "postBuild").read_text()
    assert "pip install --no-deps -e ." in post
    assert 'cp binder/voila.json "$prefix/etc/jupyter/voila.json"' in post
    assert 'cp binder/voila.py "$prefix/etc/jupyter/voila.py"' in post
    assert "cp -r cgiter_edu/widgets/jupyter/voila/templates/cgiter " in post
    assert 'c.VoilaConfiguration.template = "cgiter"' in (BINDER / "voila.py").read_text()
    # the extensions `cgiter-edu explore` keeps out of Voila, kept out on the Binder route
    # too (nbgrader's: where the class extra is installed, e.g. a teacher's JupyterLab)
    from cgiter_edu.widgets.app import DENYLIST

    voila = json.loads((BINDER / "voila.json").read_text())
    assert voila["VoilaConfiguration"]["extension_denylist"] == list(DENYLIST)


def test_readme_badges_open_start_here_and_the_explorer():
    readme = (BINDER.parent / "README.md").read_text()
    assert re.search(r"https://mybinder\.org/v2/gh/[^/\s]+/cgiter_edu/HEAD\?labpath="
                     r"notebooks%2F00-start-here\.ipynb", readme)
    assert re.search(r"https://mybinder\.org/v2/gh/[^/\s]+/cgiter_edu/HEAD\?urlpath="
                     r"voila%2Frender%2Fnotebooks%2Fexplorer\.ipynb", readme)
    assert (BINDER.parent / "notebooks/00-start-here.ipynb").exists()
    assert (BINDER.parent / "notebooks/explorer.ipynb").exists()


@pytest.mark.slow
def test_fresh_binder_environment_runs_the_course(tmp_path):
    need(os.path.exists("/usr/bin/chromium"), "no /usr/bin/chromium", browser=True)
    need(importlib.util.find_spec("playwright") is not None, "no playwright", browser=True)
    import nbformat
    from binder_env import Env, explorer_in_chromium

    env = Env(tmp_path)
    env.build()                                   # venv + requirements.txt + postBuild
    shown = explorer_in_chromium(env, screenshot=tmp_path / "explorer.png")
    assert shown["picture_width"] > 200
    # as clean as `cgiter-edu explore`: binder/voila.py's cgiter template asks no CDN for
    # fonts or MathJax, and the pinned Voila and widgets log no warning
    assert shown["requests_out"] == [], shown["requests_out"]
    assert shown["console_errors"] == [], shown["console_errors"]
    executed = env.execute_notebooks()            # fails on any cell error
    names = [p.name for p in executed]
    assert "00-start-here.ipynb" in names and "explorer.ipynb" in names
    for p in executed:
        nb = nbformat.read(p, 4)
        errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
                  if o.get("output_type") == "error"]
        assert not errors, p.name
    start = nbformat.read(env.work / "executed" / "00-start-here.ipynb", 4)
    text = json.dumps([c.get("outputs", []) for c in start.cells if c.cell_type == "code"])
    assert "prologue" in text and "epilogue" in text and "image/png" in text
    print("binder environment:", {k: round(v, 1) for k, v in env.times.items()})
