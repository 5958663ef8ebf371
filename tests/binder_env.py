"""The classroom's environment, built from ``binder/`` alone as mybinder.org builds it,
then used as a class uses it: every lesson run top to bottom, the explorer served as
the README's badge opens it (JupyterLab's Voila at ``/voila/render/...``) and shown in
headless Chromium.  Each stage is timed.

repo2docker copies the repository, installs ``binder/requirements.txt`` with pip into
a fresh environment and runs ``binder/postBuild`` in the repository's folder; this does
the same with a venv (pip's cache is reused, as a rebuilt Binder image reuses layers).

As a benchmark (prints the figures the README quotes)::

    python tests/binder_env.py            # or: python tests/binder_env.py --keep /tmp/b
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from conftest import launch_chromium

from cgiter_edu.widgets.app import free_port, stop_process_group, wait_ready

ROOT = Path(__file__).resolve().parent.parent
_IGNORE = shutil.ignore_patterns(".git", ".venv", "__pycache__", "*.egg-info", "artifacts",
                                 ".pytest_cache", ".ruff_cache", ".hypothesis", "build", "dist",
                                 "slides", "out")


class Env:
    """A venv built from a copy of the repository's ``binder/`` files."""

    def __init__(self, work: Path) -> None:
        self.work = Path(work)
        self.repo = self.work / "repo"
        self.venv = self.work / "venv"
        self.bin = self.venv / "bin"
        self.times: dict[str, float] = {}
        self.env = dict(os.environ, PATH=f"{self.bin}{os.pathsep}{os.environ.get('PATH', '')}",
                        VIRTUAL_ENV=str(self.venv),
                        JUPYTER_DATA_DIR=str(self.work / "jupyter-data"),   # no user kernels
                        JUPYTER_CONFIG_DIR=str(self.work / "jupyter-config"),
                        JUPYTERLAB_WORKSPACES_DIR=str(self.work / "workspaces"),
                        PIP_DISABLE_PIP_VERSION_CHECK="1")
        for var in ("PYTHONPATH", "MPLBACKEND"):     # as on Binder: Jupyter's inline plots
            self.env.pop(var, None)

    def _run(self, stage: str, cmd: list[str], cwd: Path, timeout: float = 1800) -> None:
        t = time.perf_counter()
        r = subprocess.run(cmd, cwd=cwd, env=self.env, capture_output=True, text=True,
                           timeout=timeout)
        self.times[stage] = time.perf_counter() - t
        if r.returncode != 0:
            raise RuntimeError(f"{stage}: {' '.join(cmd)} exited {r.returncode}\n"
                               f"{(r.stdout + r.stderr)[-3000:]}")

    def build(self) -> None:
        """Copy the repository, make the venv, install requirements, run postBuild."""
        shutil.copytree(ROOT, self.repo, ignore=_IGNORE)
        self._run("venv", [sys.executable, "-m", "venv", str(self.venv)], self.work)
        self._run("requirements", [str(self.bin / "pip"), "install", "-q", "-r",
                                   "binder/requirements.txt"], self.repo)
        self._run("postBuild", ["bash", "binder/postBuild"], self.repo)

    def execute_notebooks(self) -> list[Path]:
        """Run every notebook top to bottom with the environment's Jupyter; an error in
        any cell fails (nbconvert's default)."""
        out = self.work / "executed"
        nbs = sorted((self.repo / "notebooks").glob("*.ipynb"))
        self._run("notebooks", [str(self.bin / "jupyter"), "nbconvert", "--to", "notebook",
                                "--execute", "--ExecutePreprocessor.timeout=900",
                                "--ExecutePreprocessor.kernel_name=python3",
                                "--output-dir", str(out), *map(str, nbs)], self.repo,
                  timeout=3600)
        return [out / p.name for p in nbs]

    def serve_explorer(self, port: int, token: str) -> subprocess.Popen:
        """``jupyter lab`` in the checkout, as mybinder.org starts it; the README's
        "Explorer on Binder" badge opens ``/voila/render/notebooks/explorer.ipynb`` on it
        (Voila as JupyterLab's server extension, configured by what postBuild installed)."""
        log = open(self.work / "lab.log", "wb")
        return subprocess.Popen(
            [str(self.bin / "jupyter"), "lab", "--no-browser", "--allow-root",
             f"--port={port}", "--ip=127.0.0.1", "--ServerApp.port_retries=0",
             f"--IdentityProvider.token={token}", "--ServerApp.password="],
            cwd=self.repo, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True)


def explorer_in_chromium(env: Env, screenshot: Path | None = None) -> dict:
    """Serve the explorer on the Binder route with the environment's JupyterLab and Voila
    and wait until Chromium shows its first picture.  Returns ``{"seconds",
    "requests_out", "picture_width", "console_errors"}`` (console errors and warnings)."""
    from playwright.sync_api import sync_playwright

    port, token = free_port(), secrets.token_hex(12)
    t = time.perf_counter()
    proc = env.serve_explorer(port, token)
    try:
        wait_ready(f"http://127.0.0.1:{port}/", proc, timeout=180)
        with sync_playwright() as pw:
            browser = launch_chromium(pw)
            try:
                page = browser.new_page(viewport={"width": 1400, "height": 1100})
                page.set_default_timeout(180_000)
                out: list[str] = []
                errors: list[str] = []
                page.on("console", lambda m: m.type in ("error", "warning") and errors.append(
                    f"{m.type}: {m.text}"))
                page.on("pageerror", lambda e: errors.append(str(e)))

                def route(r):
                    out.append(r.request.url)
                    r.abort()

                import re

                page.route(re.compile(rf"^(?!(http|ws)://127\.0\.0\.1:{port}/)"), route)
                page.goto(f"http://127.0.0.1:{port}/voila/render/notebooks/explorer.ipynb"
                          f"?token={token}")
                page.wait_for_function(
                    "(() => { const i = document.querySelector('.cg-explorer img');"
                    " return i && i.naturalWidth > 200; })()")
                seconds = time.perf_counter() - t
                width = page.evaluate(
                    "document.querySelector('.cg-explorer img').naturalWidth")
                if screenshot is not None:
                    page.screenshot(path=str(screenshot))
            finally:
                browser.close()
    finally:
        stop_process_group(proc, grace=20)
    env.times["lab + voila to explorer shown"] = seconds
    return {"seconds": seconds, "requests_out": out, "picture_width": width,
            "console_errors": errors}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--keep", default=None, help="build in this folder and keep it")
    ap.add_argument("--no-notebooks", action="store_true", help="skip running the lessons")
    a = ap.parse_args(argv)
    work = Path(a.keep) if a.keep else Path(tempfile.mkdtemp(prefix="binder-env-"))
    work.mkdir(parents=True, exist_ok=True)
    env = Env(work)
    t0 = time.perf_counter()
    try:
        env.build()
        shown = explorer_in_chromium(env)
        to_explorer = time.perf_counter() - t0
        if not a.no_notebooks:
            env.execute_notebooks()
    finally:
        if not a.keep:
            shutil.rmtree(work, ignore_errors=True)
    rows = [(k, v) for k, v in env.times.items()]
    for k, v in rows:
        print(f"{k:28} {v:7.1f} s")
    print(f"{'empty venv -> explorer shown':28} {to_explorer:7.1f} s")
    print(json.dumps({"requests_out": shown["requests_out"],
                      "console_errors": shown["console_errors"]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
