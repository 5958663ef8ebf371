"""Shared fixtures.

``require_live``: the real-kernel tests need root, BPF and cgroup v2.  Where the
machine cannot, they skip with the reason -- unless ``CGITER_REQUIRE_LIVE=1`` is set
(``.ci/run`` sets it), which turns that skip into a failure, so CI cannot pass
without having run them.
"""

from __future__ import annotations

import ast
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
os.environ.setdefault("MPLBACKEND", "Agg")      # pictures are drawn off-screen

# A shell that starts the suite in the background without job control (`cmd &` in a
# script, `nohup`-style launchers) ignores SIGINT, and an ignored signal stays ignored
# across exec: every command the Ctrl-C tests interrupt would then run on to its end
# (and `cgiter-edu explore` would keep serving), as a background job must.  Those tests
# are about what a Ctrl-C at a terminal does, so the suite's children get SIGINT back.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture(autouse=True)
def _close_figures():
    """Close every matplotlib figure a test made (when matplotlib was loaded at all)."""
    yield
    plt = sys.modules.get("matplotlib.pyplot")
    if plt is not None:
        plt.close("all")

def modules_loaded(code: str, packages: tuple[str, ...]) -> list[str]:
    """Run ``code`` in a fresh interpreter and name the modules of ``packages`` it left
    loaded (sorted; [] when it loaded none): what an import-stays-light test checks."""
    code += ("\nimport sys\nprint(sorted(m for m in sys.modules if m.split('.')[0] in "
             f"{packages!r}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return ast.literal_eval(out.stdout.strip().splitlines()[-1])


#: the Chromium the browser tests drive (CGITER_CHROMIUM, else the one on PATH)
CHROMIUM = (os.environ.get("CGITER_CHROMIUM") or shutil.which("chromium")
            or "/usr/bin/chromium")


def launch_chromium(pw):
    """Headless :data:`CHROMIUM` under playwright ``pw``, with nothing of its own
    going to the network (no component updates, sync, background requests)."""
    return pw.chromium.launch(
        executable_path=CHROMIUM, headless=True,
        args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
              "--disable-component-update", "--no-first-run", "--disable-sync"])


def files_only(page) -> tuple[list[str], list[str]]:
    """Let ``page`` load only ``file://`` and ``data:`` URLs: every other request is
    refused and listed in the first list returned; page errors go to the second."""
    outside: list[str] = []
    errors: list[str] = []

    def route(r):
        url = r.request.url
        if url.startswith(("file://", "data:")):
            r.continue_()
        else:
            outside.append(url)
            r.abort()

    page.route("**/*", route)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return outside, errors


REQUIRE_LIVE = os.environ.get("CGITER_REQUIRE_LIVE") == "1"
#: tests/test_vm.py: a missing kernel image or VM tool fails instead of skipping
REQUIRE_VM = os.environ.get("CGITER_REQUIRE_VM") == "1"
#: ``CGITER_REQUIRE_BROWSER=1`` (set by ``.ci/run``): a skipped browser test is a failure
REQUIRE_BROWSER = os.environ.get("CGITER_REQUIRE_BROWSER") == "1"


def need(ok: bool, reason: str, *, browser: bool = False, vm: bool = False) -> None:
    """Skip with ``reason`` when ``ok`` is false, or fail under CGITER_REQUIRE_LIVE=1
    (CGITER_REQUIRE_BROWSER=1 for a browser test, ``browser=True``; CGITER_REQUIRE_VM=1
    for booting another kernel, ``vm=True``)."""
    if ok:
        return
    var, required = (("CGITER_REQUIRE_BROWSER", REQUIRE_BROWSER) if browser
                     else ("CGITER_REQUIRE_VM", REQUIRE_VM) if vm
                     else ("CGITER_REQUIRE_LIVE", REQUIRE_LIVE))
    if required:
        pytest.fail(f"{var}=1 but this machine cannot run it: {reason}")
    pytest.skip(reason)


def rmtree_cgroups(top: Path) -> None:
    """Remove a real cgroup directory and every cgroup below it, deepest first (a stack,
    not recursion: any depth)."""
    dirs, stack = [], [top]
    while stack:
        d = stack.pop()
        dirs.append(d)
        stack.extend(Path(e.path) for e in os.scandir(d) if e.is_dir(follow_symlinks=False))
    for d in reversed(dirs):
        d.rmdir()


def pytest_collection_modifyitems(items):
    """A test that takes ``require_live`` is marked ``live`` (``-m live`` selects the
    real-kernel tests, ``-m 'not live'`` the rest)."""
    for item in items:
        if "require_live" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.live)


@pytest.fixture(scope="session")
def require_live():
    """The live backend's availability; skips (or fails, see above) when not available."""
    from cgiter_edu import live

    why = live.available()
    need(bool(why), f"{why.reason} (fix: {why.fix})")
    return why


@pytest.fixture
def cgroup2_scratch():
    """A real, empty scratch cgroup under the cgroup2 mount (root only), removed after."""
    import shutil
    import uuid

    from cgiter_edu.shapes import cgroup2_mount

    try:
        mnt = cgroup2_mount()
    except OSError as e:
        need(False, str(e))
    need(os.geteuid() == 0, "not root: cannot create cgroups")
    d = Path(mnt) / f"cgiter_edu-test-{uuid.uuid4().hex[:8]}"
    d.mkdir()
    try:
        yield d
    finally:
        rmtree_cgroups(d)
        assert not d.exists()
        del shutil


class _ExecutedNotebooks:
    """Notebooks run top to bottom, each once per test session, on first use (the
    notebook test checks them; the slides test turns the same runs into decks)."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.done: dict[str, object] = {}

    def __getitem__(self, path: Path):
        import nbformat

        from cgiter_edu.course.slides import run_lesson

        path = Path(path)
        if path.name not in self.done:
            # as the decks run it (inline backend), in a folder of its own
            self.done[path.name] = run_lesson(nbformat.read(path, as_version=4), self.tmp)
        return self.done[path.name]


@pytest.fixture(scope="session")
def executed_notebooks(tmp_path_factory):
    """``executed_notebooks[path]``: that notebook after a run top to bottom (once)."""
    pytest.importorskip("nbclient")
    return _ExecutedNotebooks(tmp_path_factory.mktemp("executed"))
