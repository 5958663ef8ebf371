"""Slide decks of the lessons, for a teacher who presents: reveal.js decks that work
offline, and a 16:9 PDF of the key pictures.

Every lesson carries slide metadata, so ``jupyter nbconvert --to slides`` makes a deck of
it.  :func:`build` (``cgiter-edu slides``) does more: it runs each lesson (so every
picture is in the deck, embedded as PNG), and points the deck at a **local copy** of the
JavaScript it needs, so it shows with no network at all.

Where the JavaScript comes from: nbconvert's reveal template loads reveal.js from
unpkg.com and jQuery and require.js from cdnjs by default.  :func:`web_assets` takes
the same files from the npm registry packages ``reveal.js@4.6.1`` (MIT; the 4.x line
the template is written for), ``jquery@3.7.1`` and ``requirejs@2.3.7`` (``npm pack``,
once, into ``~/.cache/cgiter_edu/web``; or ``--assets DIR`` with the unpacked
packages), and :func:`build` copies them beside the decks.  The course's template
(``cgiter_edu/course/slides_template``) leaves out the template's Mermaid and MathJax scripts:
the lessons have no diagrams or formulas to typeset.

Example::

    $ cgiter-edu slides -o slides/            # slides/index.html, NN-*.slides.html, key-pictures.pdf
    $ cgiter-edu slides -o slides/ --lessons 03 04 --no-pdf
"""

from __future__ import annotations

import asyncio
import atexit
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

#: npm packages the decks use: name -> (version, files kept, relative to ``package/``)
NPM_ASSETS: dict[str, tuple[str, tuple[str, ...]]] = {
    "reveal.js": ("4.6.1", ("dist", "plugin/notes", "LICENSE")),
    "jquery": ("3.7.1", ("dist/jquery.min.js", "LICENSE.txt")),
    "requirejs": ("2.3.7", ("require.js",)),
}

#: where the notebooks are, when cgiter_edu is installed from a checkout (pip install -e)
NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
TEMPLATE_DIR = Path(__file__).resolve().parent / "slides_template"   #: holds cgiter_slides/


class SlidesError(Exception):
    """Something the decks need is missing (npm, the notebooks...); the message says what."""


#: the Python packages that running and converting the lessons needs (the ``slides``
#: extra of pyproject.toml): import name -> what pip installs
SLIDES_PACKAGES = {"nbformat": "nbformat", "nbclient": "nbclient", "nbconvert": "nbconvert",
                   "ipykernel": "ipykernel", "matplotlib_inline": "matplotlib-inline"}


def missing_packages() -> list[str]:
    """The packages of :data:`SLIDES_PACKAGES` not installed here, and ``python3 kernel
    spec`` if Jupyter finds no ``python3`` kernel to run the lessons with."""
    import importlib.util

    def absent(mod: str) -> bool:
        if mod in sys.modules:
            return sys.modules[mod] is None         # None: an import known to fail
        try:
            return importlib.util.find_spec(mod) is None
        except (ImportError, ValueError):
            return True

    missing = [pip for mod, pip in SLIDES_PACKAGES.items() if absent(mod)]
    if not missing:
        try:
            from jupyter_client.kernelspec import KernelSpecManager

            KernelSpecManager().get_kernel_spec("python3")
        except Exception:               # noqa: BLE001 - NoSuchKernel or a broken install
            missing.append("a python3 kernel spec")
    return missing


def require_packages() -> None:
    """:class:`SlidesError` naming every missing package and the extra that gives them
    all, before anything runs."""
    missing = missing_packages()
    if missing:
        raise SlidesError(f"the decks need the 'slides' extra ({', '.join(missing)} missing "
                          "here): pip install -e '.[slides]' in the checkout, or pip install "
                          "'cgiter_edu[slides]'; or give --pdf-only")


def _extract(tgz: Path, dest: str) -> None:
    """Unpack an npm package's tarball: regular files and folders only, each inside
    ``dest`` (``tarfile``'s ``filter="data"`` where this Python has it, 3.11.4 and
    later; the same rules by hand before)."""
    with tarfile.open(tgz) as tf:
        if hasattr(tarfile, "data_filter"):
            tf.extractall(dest, filter="data")
            return
        root = os.path.realpath(dest)
        for m in tf.getmembers():
            target = os.path.realpath(os.path.join(dest, m.name))
            if not (m.isfile() or m.isdir()) or os.path.commonpath([root, target]) != root:
                raise SlidesError(f"{tgz.name}: unsafe member {m.name!r} (not a file or "
                                  "folder inside the package)")
            tf.extract(m, dest, set_attrs=False)     # no owner, mode or time from it


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(Path.home(), ".cache")
    return Path(base) / "cgiter_edu" / "web"


def web_assets(cache: Path | None = None, assets: Path | None = None,
               log: Callable[[str], None] = lambda s: None) -> Path:
    """A folder holding ``reveal.js/``, ``jquery/`` and ``requirejs/`` (the npm packages'
    files of :data:`NPM_ASSETS`).  ``assets``: use this folder as it is (it must have
    them).  Otherwise the cache is filled with ``npm pack`` the first time."""
    if assets is not None:
        missing = [n for n in NPM_ASSETS if not (Path(assets) / n).is_dir()]
        if missing:
            raise SlidesError(f"--assets {assets}: no {', '.join(missing)} folder in it")
        return Path(assets)
    cache = cache or _cache_dir()
    try:
        cache.mkdir(parents=True, exist_ok=True)
        writable = os.access(cache, os.W_OK | os.X_OK)
    except OSError:
        writable = False
    if not writable:                    # a read-only HOME: fetch for this run only
        log(f"{cache} cannot be written: the npm packages are fetched for this run only "
            "(set XDG_CACHE_HOME to keep them)")
        cache = Path(tempfile.mkdtemp(prefix="cgiter_edu-web-"))
    for name, (version, keep) in NPM_ASSETS.items():
        dest = cache / name
        stamp = dest / ".version"
        if stamp.exists() and stamp.read_text() == version:
            continue
        npm = shutil.which("npm")
        if npm is None:
            raise SlidesError(f"the decks need {name}@{version} from the npm registry, and "
                              "npm is not installed (apt-get install npm), or give --assets "
                              "DIR with the unpacked packages")
        log(f"fetching {name}@{version} from the npm registry (npm pack), once")
        with tempfile.TemporaryDirectory() as tmp:
            # npm's own cache in the temporary folder: it needs no writable HOME
            r = subprocess.run([npm, "pack", f"{name}@{version}", "--loglevel=error",
                                "--cache", os.path.join(tmp, ".npm")], cwd=tmp,
                               capture_output=True, text=True, stdin=subprocess.DEVNULL)
            tgz = [p for p in Path(tmp).glob("*.tgz")]
            if r.returncode != 0 or not tgz:
                said = [ln.strip() for ln in (r.stderr + r.stdout).splitlines() if ln.strip()]
                why = said[-1][-300:] if said else "npm said nothing"
                raise SlidesError(f"npm pack {name}@{version} failed (exit {r.returncode}): "
                                  f"{why}; or give --assets DIR with the unpacked packages")
            _extract(tgz[0], tmp)
            if dest.exists():
                shutil.rmtree(dest)
            for rel in keep:
                src = Path(tmp) / "package" / rel
                if not src.exists():
                    continue
                (dest / rel).parent.mkdir(parents=True, exist_ok=True)
                if src.is_dir():
                    shutil.copytree(src, dest / rel)
                else:
                    shutil.copy2(src, dest / rel)
            stamp.write_text(version)
    return cache


def lessons(folder: Path | None = None, only: Sequence[str] = ()) -> list[Path]:
    """The lesson notebooks (``NN-name.ipynb``), all or those whose number or name is in
    ``only``."""
    folder = Path(folder or NOTEBOOKS)
    paths = sorted(folder.glob("[0-9][0-9]-*.ipynb"))
    if not paths:
        raise SlidesError(f"no lessons (NN-name.ipynb) in {folder}: give --notebooks DIR")
    if only:
        chosen = [p for p in paths if any(p.name.startswith(o) or p.stem == o for o in only)]
        unknown = [o for o in only if not any(p.name.startswith(o) or p.stem == o
                                               for p in paths)]
        if unknown:
            raise SlidesError(f"no lesson {', '.join(unknown)} in {folder}")
        paths = chosen
    return paths


def run_lesson(nb: Any, cwd: Path, timeout: int = 600) -> Any:
    """Run the notebook ``nb`` (nbformat) top to bottom in a ``python3`` kernel started in
    ``cwd``, with matplotlib's inline backend (each picture a PNG output); returns ``nb``,
    its outputs filled in.  The one way the decks and the tests run a lesson.

    The kernel's own stderr (its log, its traceback when it is stopped) is not the
    user's: what a cell prints comes back as the cell's output.  Ctrl-C stays the
    caller's (see :class:`_KeepSigint`): the kernel is shut down at once and the
    KeyboardInterrupt goes on."""
    from nbclient import NotebookClient

    env_backend = os.environ.get("MPLBACKEND")
    os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            store_widget_state=False, shutdown_kernel="immediate",
                            resources={"metadata": {"path": str(cwd)}})
    loop = _KeepSigint()
    try:
        task = loop.create_task(client.async_execute(stderr=subprocess.DEVNULL))
        try:
            loop.run_until_complete(task)
        except BaseException:
            # a Ctrl-C raised in the task's own code ends the task with it: running a task
            # done with KeyboardInterrupt again never returns (asyncio's
            # _run_until_complete_cb leaves the loop running for it), and `slides` hung
            if not task.done():
                task.cancel()           # its `finally` shuts the kernel down, at once
                try:
                    loop.run_until_complete(task)
                except BaseException:   # noqa: BLE001 - the first exception is the one said
                    pass
            raise
    finally:
        loop.close()
        # nbclient's atexit cleanup of this kernel stays registered when Ctrl-C comes
        # between its own cleanup (km = None) and its unregister: at exit it printed
        # "Exception ignored in atexit callback ... assert self.km is not None"
        if client.km is None:
            atexit.unregister(client._cleanup_kernel)
        if env_backend is None:
            os.environ.pop("MPLBACKEND", None)
        else:
            os.environ["MPLBACKEND"] = env_backend
    return nb


class _KeepSigint(asyncio.SelectorEventLoop):
    """The event loop a lesson runs in: nbclient puts its own SIGINT handler in place
    while a notebook runs (``loop.add_signal_handler``); that handler shuts the kernel
    down under the running cell, which then fails with an unrelated AttributeError,
    and the command's own Ctrl-C handler never hears of it.  Here that call is refused
    with the RuntimeError nbclient expects off the main thread, so Ctrl-C stays a
    KeyboardInterrupt that :func:`run_lesson` answers by stopping the kernel."""

    def add_signal_handler(self, sig: int, callback: Any, *args: Any) -> None:
        raise RuntimeError("the command keeps its own signal handlers")


def deck(path: Path, execute: bool = True, timeout: int = 600,
         nb: Any = None) -> tuple[str, Any]:
    """One lesson as reveal.js HTML (run first, so its pictures are in it): the HTML and
    the executed notebook.  ``nb``: the lesson already run (then it is not run again).
    Asset URLs are relative: ``assets/...`` beside the deck."""
    import nbformat
    from nbconvert import SlidesExporter

    if nb is not None:
        execute = False
    else:
        nb = nbformat.read(path, as_version=4)
    if execute:
        run_lesson(nb, path.parent, timeout)
    from traitlets.config import Config

    config = Config({"TagRemovePreprocessor": {"enabled": True,
                                               "remove_input_tags": [PICTURE_TAG]}})
    exporter = SlidesExporter(config=config,template_name="cgiter_slides",
                              extra_template_basedirs=[str(TEMPLATE_DIR)],
                              reveal_url_prefix="assets/reveal.js",
                              reveal_theme="white", reveal_transition="none",
                              reveal_number="c/t", reveal_width="1280", reveal_height="720",
                              jquery_url="assets/jquery/dist/jquery.min.js",
                              require_js_url="assets/requirejs/require.js",
                              exclude_input_prompt=True, exclude_output_prompt=True)
    html, _res = exporter.from_notebook_node(pictures_alone(nb),
                                             resources={"metadata": {"name": path.stem}})
    return html, nb


#: the tag of the cells :func:`pictures_alone` makes (their code is not shown; the
#: slides template lets their picture fill the slide)
PICTURE_TAG = "cgiter-picture"


def pictures_alone(nb: Any) -> Any:
    """A copy of the run lesson ``nb`` where each picture a slide shows stands alone on
    the next (vertical) slide, as large as the slide allows.

    Under its text and the code that draws it, a picture had the rest of the slide: about
    770 x 420 px at 1280x720, half its drawn size, its labels 5 to 7 px, too small to
    read from the back of a room.  Each code cell shown on the slides that outputs a PNG
    keeps its code and other outputs; its pictures move into a new cell after it, tagged
    :data:`PICTURE_TAG`, starting a subslide, with no code of its own.

    Parameters
    ----------
    nb : nbformat.NotebookNode
        The lesson, run (its pictures in its outputs); not changed.

    Returns
    -------
    nbformat.NotebookNode
        The copy to convert to slides.
    """
    import copy

    import nbformat

    nb = copy.deepcopy(nb)
    cells = []
    for cell in nb.cells:
        cells.append(cell)
        if cell.cell_type != "code" or \
                cell.metadata.get("slideshow", {}).get("slide_type") == "skip":
            continue
        pics = [o for o in cell.get("outputs", []) if "image/png" in o.get("data", {})]
        if not pics:
            continue
        cell.outputs = [o for o in cell.outputs if o not in pics]
        alone = nbformat.v4.new_code_cell("", outputs=pics)
        alone.metadata = {"slideshow": {"slide_type": "subslide"}, "tags": [PICTURE_TAG]}
        cells.append(alone)
    nb.cells = cells
    return nb


def build(out: str | os.PathLike, only: Sequence[str] = (), notebooks: Path | None = None,
          assets: Path | None = None, pdf: bool = True, execute: bool = True,
          progress: bool | None = None, run: Callable[[Path], Any] | None = None
          ) -> list[Path]:
    """Build the decks into ``out``: ``assets/`` (reveal.js, jQuery, require.js),
    ``NN-name.slides.html`` per lesson, ``index.html``, :data:`EXPLORER_PAGE` (how to
    open the explorer, where the decks' links to it lead) and ``key-pictures.pdf``.
    Returns the files written.  ``progress``: print a line per step (default: when
    stderr is a terminal).  ``run(path)``: gives a lesson already run (a test session
    that has run them), instead of running it here."""
    if progress is None:
        progress = sys.stderr.isatty()

    def log(s: str) -> None:
        if progress:
            print(s, file=sys.stderr, flush=True)

    from ..outfile import atomic_dir

    out = Path(out)
    paths = lessons(notebooks, only)
    if run is None:
        require_packages()
    src = web_assets(assets=assets, log=log)
    names: list[str] = []
    titles: list[str] = []
    # everything is made in a new folder beside ``out`` and moved in at the end: an
    # error or Ctrl-C leaves ``out`` as it was and nothing half-made
    with atomic_dir(out, "-o") as stage:
        shutil.copytree(src, stage / "assets",
                        ignore=shutil.ignore_patterns(".version", "*.map"))
        for i, p in enumerate(paths):
            log(f"[{i + 1}/{len(paths)}] running and converting {p.name}")
            html, nb = deck(p, execute=execute, nb=run(p) if run is not None else None)
            html = link_decks(html, [q.stem for q in paths])
            name = f"{p.stem}.slides.html"
            (stage / name).write_text(html, encoding="utf-8")
            names.append(name)
            titles.append(_title(nb, p.stem))
        _index(stage, names, pdf, titles)
        names.append("index.html")
        _explorer_page(stage)
        names.append(EXPLORER_PAGE)
        if pdf:
            log("drawing key-pictures.pdf")
            key_pictures_pdf(stage / "key-pictures.pdf")
            names.append("key-pictures.pdf")
    return [out / n for n in names]


#: the page of the decks' folder that says how to open the explorer: a deck's link to
#: ``explorer.ipynb`` (lesson 00's) leads there
EXPLORER_PAGE = "explorer.html"


def link_decks(html: str, stems: Sequence[str]) -> str:
    """Point a deck's links to lessons' notebooks at their decks.

    Each ``href="02-orders.ipynb"`` (the lessons' "previous", "next" and "all lessons")
    becomes ``href="02-orders.slides.html"`` where the build has that deck: the decks'
    folder holds no notebooks, so a presenter's click on "next" found nothing.  A link
    to ``explorer.ipynb`` (widgets: no deck can run them) leads to
    :data:`EXPLORER_PAGE`, which says how to open the explorer.

    Parameters
    ----------
    html : str
        A deck's HTML.
    stems : sequence of str
        The lessons this build has decks of (``"02-orders"``).

    Returns
    -------
    str
        The HTML; links to other notebooks are left as they are.

    Examples
    --------
    >>> link_decks('<a href="02-orders.ipynb">next</a> <a href="x.ipynb">x</a>', ["02-orders"])
    '<a href="02-orders.slides.html">next</a> <a href="x.ipynb">x</a>'
    >>> link_decks('<a href="explorer.ipynb">the explorer</a>', [])
    '<a href="explorer.html">the explorer</a>'
    """
    built = {stem: f"{stem}.slides.html" for stem in stems} | {"explorer": EXPLORER_PAGE}

    def deck_of(m: re.Match) -> str:
        return f'href="{built[m.group(1)]}"' if m.group(1) in built else m.group(0)
    return re.sub(r'href="([^"/#?]+)\.ipynb(?:#[^"]*)?"', deck_of, html)


def _title(nb: Any, default: str) -> str:
    """The lesson's title: its first heading, without the ``#`` marks, numbered as the
    lesson (``default``, its file's stem, gives the number)."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("#"):
                    title = line.lstrip("#").strip()
                    num = default[:2]
                    if num.isdigit() and not title[:1].isdigit():   # 00: "0. cgroup_iter..."
                        title = f"{int(num)}. {title}"
                    return title
    return default


def _index(out: Path, names: list[str], pdf: bool, titles: Sequence[str] = ()) -> None:
    """``index.html``: a link to each deck, by the lesson's title (and the PDF), in
    letters a room reads on the projector."""
    import html

    titles = list(titles) + [n.removesuffix(".slides.html") for n in names[len(titles):]]
    items = "\n".join(f'<li><a href="{n}">{html.escape(t)}</a></li>'
                      for n, t in zip(names, titles, strict=True))
    pdf_link = '<li><a href="key-pictures.pdf">key pictures (PDF, 16:9)</a></li>' if pdf else ""
    style = ("<style>body { font: 28px/1.4 sans-serif; margin: 24px 40px; } "
             "h1 { font-size: 44px; } p { font-size: 20px; color: #555; }</style>")
    (out / "index.html").write_text(
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>cgroup_iter: the decks"
        f"</title>{style}</head><body><h1>cgroup_iter: the decks</h1><ul>{items}{pdf_link}</ul>"
        "<p>reveal.js 4.6.1, jQuery 3.7.1 and require.js 2.3.7 (from the npm registry) are "
        "in assets/: the decks need no network.</p></body></html>", encoding="utf-8")


def _explorer_page(out: Path) -> None:
    """:data:`EXPLORER_PAGE`: the explorer is widgets run by Python, which no deck holds;
    the page says how to open it (the book's "The explorer" says more), in the index's
    large letters, and leads back to the decks."""
    style = ("<style>body { font: 28px/1.4 sans-serif; margin: 24px 40px; } "
             "h1 { font-size: 44px; } code { font-size: 24px; } "
             "p.small { font-size: 20px; color: #555; }</style>")
    (out / EXPLORER_PAGE).write_text(
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>cgroup_iter: the explorer"
        f"</title>{style}</head><body><h1>The explorer</h1>"
        "<p>The explorer changes the tree, the order, the record, page and read() sizes and "
        "steps through the walk: it runs Python, so it is not in these slides. Open it:</p>"
        "<ul><li><code>pip install -e '.[explore]'</code> then <code>cgiter-edu explore"
        "</code> (it prints the address to open);</li>"
        "<li>or <code>jupyter lab notebooks/explorer.ipynb</code>;</li>"
        "<li>or, in a lesson's notebook, an exercise's <b>Show me the walk</b> button.</li>"
        "</ul><p><a href=\"index.html\">Back to the decks</a></p>"
        "<p class='small'>The book's page \"The explorer\" (docs/explorer.md) says more.</p>"
        "</body></html>", encoding="utf-8")


def key_pictures() -> list[tuple[str, Any]]:
    """The course's key pictures as ``(title, figure)``, each 16:9, each a replay of an
    emulator trace (the orders on Linux 7.0, all five, as lesson 02 draws them)."""
    import matplotlib

    if "matplotlib.pyplot" not in sys.modules:
        matplotlib.use("Agg")
    from .. import KernelConfig, Order, programs, run, shapes
    from ..scenarios import writer_waits
    from ..viz import (
        plot_buffer,
        plot_capacity,
        plot_mutex,
        plot_orders,
        plot_walk,
        slide_style,
    )

    pics: list[tuple[str, Any]] = []
    with slide_style():
        h = shapes.balanced(2, 3)
        views = plot_orders(h, "/", up_start="/c1/c2", kernel=KernelConfig.preset("7.0"))
        pics.append(("The orders: each cgroup numbered in visiting order",
                     _figure_of(views)))
        big = shapes.balanced(2, 100)
        r = run(big, programs.Record(rec_bytes=64), Order.DESCENDANTS_PRE, trace=True)
        pics.append(("8 pages hold 511 records of 64 bytes, not 512",
                     plot_buffer(r.trace).figure))
        pics.append(("How many records fit: (8 x PAGE_SIZE - 1) // size",
                     _figure_of(plot_capacity())))
        sysd = shapes.systemd_host()
        r = run(sysd, programs.Record(rec_bytes=64), Order.DESCENDANTS_PRE, read_size=300,
                trace=True)
        pics.append(("A read() of 300 bytes cuts the walk: leftovers, then EOPNOTSUPP",
                     plot_walk(r.trace).figure))
        r = run(sysd, programs.Record(rec_bytes=3000), Order.DESCENDANTS_POST, trace=True)
        pics.append(("The 8 pages cut a post-order walk", plot_walk(r.trace).figure))
        pics.append(("cgroup_mutex is held during each read(); a mkdir waits",
                     plot_mutex(writer_waits(read_size=1024)).figure))
        r = run(sysd, programs.Record(rec_bytes=24), Order.DESCENDANTS_PRE,
                "/user.slice/user-1000.slice", trace=True)
        pics.append(("A dead cgroup is skipped but uses up a seq_num",
                     plot_walk(r.trace).figure))
        stop = sysd.id_of("/system.slice")
        r = run(sysd, programs.Record(rec_bytes=24, stop_id=stop), Order.DESCENDANTS_PRE,
                trace=True)
        pics.append(("Early termination at /system.slice: the epilogue still runs",
                     plot_walk(r.trace).figure))
        from ..opencoded import both_ways
        from ..viz import plot_past_limit

        pics.append(("Past the page limit: cgroup_iter's 8 pages beside an open-coded walk "
                     "into a ring buffer",
                     plot_past_limit(both_ways(shapes.random(800, seed=3, dead=0.05))).figure))
    return pics


def _figure_of(drawn: Any) -> Any:
    """The figure a plot function drew on (it returns a view, or a dict of them)."""
    if isinstance(drawn, dict):
        drawn = next(iter(drawn.values()))
    fig = getattr(drawn, "figure", None)
    if fig is None:                      # a Line2D or an Axes
        fig = drawn.get_figure() if hasattr(drawn, "get_figure") else drawn.axes.figure
    return fig


#: the PDF's page: the pictures' own 16:9 size (shrinking a picture to a smaller page
#: kept its type sizes and pushed titles and labels off the page)
PDF_PAGE_INCHES = (16.0, 9.0)


def key_pictures_pdf(path: str | os.PathLike) -> Path:
    """A PDF deck of :func:`key_pictures`, one 16:9 page each (:data:`PDF_PAGE_INCHES`,
    the size the pictures are drawn for, so every word stays on its page), with the
    titles as the PDF's page list."""
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_pdf import PdfPages

    path = Path(path)
    with PdfPages(path) as pdf:
        titles = []
        for title, fig in key_pictures():
            fig.set_size_inches(*PDF_PAGE_INCHES)
            pdf.savefig(fig)
            plt.close(fig)
            titles.append(title)
        d = pdf.infodict()
        d["Title"] = "cgroup_iter: the key pictures"
        d["Subject"] = " | ".join(titles)
    return path


EPILOG_SLIDES = """\
examples:
  cgiter-edu slides -o slides/                 # every lesson, run, plus key-pictures.pdf
  cgiter-edu slides -o slides/ --lessons 03 04 # two lessons
  cgiter-edu slides -o slides/ --pdf-only      # only the PDF of the key pictures
  cgiter-edu slides -o slides/ --notebooks run/ --no-run   # lessons run already (the book's)

Open slides/index.html in a browser: the decks need no network (reveal.js, jQuery and
require.js are copied into slides/assets/ from the npm registry's packages, fetched once
with npm into ~/.cache/cgiter_edu/web).  Press S in a deck for the speaker view.
"""


def setup_slides(p: Any) -> None:
    """The arguments of ``cgiter-edu slides``."""
    p.description = ("Build reveal.js decks of the lessons (run, pictures embedded, working "
                     "offline) and a 16:9 PDF of the key pictures.")
    p.epilog = EPILOG_SLIDES
    p.add_argument("-o", "--out", default="slides", metavar="DIR",
                   help="folder to write the decks into (default: slides)")
    p.add_argument("--lessons", nargs="+", default=(), metavar="NN",
                   help="only these lessons (number or name; default: all)")
    p.add_argument("--notebooks", default=None, metavar="DIR",
                   help="the lessons' folder (default: the checkout's notebooks/)")
    p.add_argument("--no-run", dest="run", action="store_false",
                   help="convert the lessons of --notebooks as they are, their outputs "
                        "included: run already (the book's build runs each once for the "
                        "book and the decks); default: run each")
    p.add_argument("--assets", default=None, metavar="DIR",
                   help="a folder with the npm packages reveal.js, jquery, requirejs unpacked "
                        "(default: fetched with npm once into ~/.cache/cgiter_edu/web)")
    pdf = p.add_mutually_exclusive_group()
    pdf.add_argument("--no-pdf", dest="pdf", action="store_false", help="no key-pictures.pdf")
    pdf.add_argument("--pdf-only", action="store_true",
                     help="only key-pictures.pdf (no lessons run: not with --lessons, "
                          "--notebooks, --assets, --no-run)")
    p.set_defaults(func=cmd_slides)


def cmd_slides(args: Any) -> int:
    """Run ``cgiter-edu slides``."""
    from ..clihelpers import CliError
    from ..outfile import check_folder

    check_folder(args.out, "-o")        # before the lessons run ('' is no folder: Path('') is .)
    out = Path(args.out)
    if args.pdf_only:                   # a flag of the decks was dropped in silence
        for flag, value in (("--lessons", args.lessons), ("--notebooks", args.notebooks),
                            ("--assets", args.assets), ("--no-run", not args.run)):
            if value:
                raise CliError(f"{flag}: not with --pdf-only (the key pictures run no "
                               "lesson)")
    elif not args.run and not args.notebooks:     # the checkout's lessons hold no outputs
        raise CliError("--no-run: give --notebooks DIR, the lessons already run (the "
                       "checkout's notebooks/ hold no pictures)")
    try:
        if args.pdf_only:
            from ..outfile import atomic_dir

            with atomic_dir(out, "-o") as stage:
                key_pictures_pdf(stage / "key-pictures.pdf")
            files = [out / "key-pictures.pdf"]
        else:
            files = build(out, only=args.lessons,
                          notebooks=Path(args.notebooks) if args.notebooks else None,
                          assets=Path(args.assets) if args.assets else None, pdf=args.pdf,
                          execute=args.run)
    except SlidesError as e:
        raise CliError(str(e)) from None
    for f in files:
        print(f)
    return 0


__all__ = ["NPM_ASSETS", "PDF_PAGE_INCHES", "SLIDES_PACKAGES", "SlidesError", "build",
           "missing_packages", "require_packages", "deck", "key_pictures", "key_pictures_pdf",
           "lessons", "link_decks", "EXPLORER_PAGE", "run_lesson", "setup_slides", "web_assets"]
