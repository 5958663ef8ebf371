"""The book's generated parts, called by ``docs/conf.py`` at build time.

* :func:`copy_lessons` copies ``notebooks/NN-*.ipynb`` into ``docs/lessons/`` with a first
  cell of buttons (Binder, JupyterLab, slides) and each drawing cell's fallback alt text
  (a picture drawn by a view carries its own, from its trace: ``View.alt``, taken from
  the output by ``docs/conf.py``);
* :func:`write_cli_reference` writes every subcommand's ``--help`` (from argparse, so it
  cannot go stale);
* :func:`check_offline` fails the build when a page loads anything from outside the book.
"""

from __future__ import annotations

import html.parser
import json
import os
import re
from pathlib import Path

#: the placeholder of the Binder links while ``[tool.cgiter_edu] github`` is empty
PLACEHOLDER = "OWNER/cgiter_edu"
#: a Binder link of any repository (README.md and docs/ hold some)
BINDER_LINK = re.compile(r"https://mybinder\.org/v2/gh/([^/\s]+/[^/\s]+)/HEAD")
ROOT = Path(__file__).resolve().parent.parent


def github_repo(pyproject: Path = ROOT / "pyproject.toml") -> str:
    """The one setting the Binder links come from: ``github = "owner/name"`` in
    ``[tool.cgiter_edu]`` of ``pyproject.toml``; ``""`` when unset (this checkout records
    no origin)."""
    section = re.search(r"^\[tool\.cgiter_edu\]\n(.*?)(?=^\[|\Z)",
                        pyproject.read_text(), re.M | re.S)
    m = section and re.search(r'^github\s*=\s*"([^"]*)"', section.group(1), re.M)
    return m.group(1).strip() if m else ""


def binder_base() -> str:
    """``https://mybinder.org/v2/gh/<owner/name>/HEAD`` (the placeholder when unset)."""
    return f"https://mybinder.org/v2/gh/{github_repo() or PLACEHOLDER}/HEAD"


def binder_files() -> list[Path]:
    """The files whose Binder links follow the setting."""
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def write_binder_links() -> list[Path]:
    """Rewrite every Binder link in :func:`binder_files` to the setting's repository
    (``python docs/bookgen.py binder``); returns the files changed."""
    changed = []
    for p in binder_files():
        text = p.read_text()
        new = BINDER_LINK.sub(binder_base(), text)
        if new != text:
            p.write_text(new)
            changed.append(p)
    return changed


#: a JupyterLab started in the repository's top (``jupyter lab``), on its default port
LAB = "http://localhost:8888/lab/tree/notebooks/{name}"


def lesson_names(notebooks: Path) -> list[Path]:
    """The lessons, ``NN-*.ipynb`` in order (the explorer notebook is not a lesson)."""
    return sorted(p for p in notebooks.glob("[0-9][0-9]-*.ipynb"))


def run_lessons(notebooks: Path, dest: Path) -> list[Path]:
    """Run each lesson of ``notebooks`` top to bottom once, as the decks run them
    (:func:`cgiter_edu.course.slides.run_lesson`, in the lessons' folder), and write it,
    outputs included, into ``dest`` (emptied of lessons first): ``make -C docs html``
    gives these runs to the book (``CGITER_BOOK_LESSONS``) and to the decks
    (``cgiter-edu slides --no-run``), which ran every lesson again before."""
    import sys

    import nbformat

    from cgiter_edu.course.slides import run_lesson

    dest.mkdir(parents=True, exist_ok=True)
    for old in dest.glob("*.ipynb"):
        old.unlink()
    out = []
    lessons = lesson_names(notebooks)
    for i, src in enumerate(lessons, 1):
        print(f"[{i}/{len(lessons)}] running {src.name}", file=sys.stderr, flush=True)
        nb = run_lesson(nbformat.read(src, as_version=4), src.parent)
        nbformat.write(nb, dest / src.name)
        out.append(dest / src.name)
    return out


def buttons(name: str) -> str:
    """The markdown line of buttons at the top of a lesson page."""
    stem = name.removesuffix(".ipynb")
    if github_repo():
        binder = (f'<a class="btn" href="{binder_base()}?labpath=notebooks%2F{name}">'
                  f'Open on Binder</a>')
    else:                                # no repository to open: say so, link no placeholder
        binder = ('<a class="btn" href="../contributing.html#binder">Open on Binder</a> '
                  '(once the repository is published)')
    return (f'<p class="lesson-buttons">{binder} · '
            f'<a class="btn" href="{LAB.format(name=name)}">Open in JupyterLab</a> '
            f'(after <code>jupyter lab</code> in the repository) · '
            f'<a class="btn" href="../slides/{stem}.slides.html">As slides</a></p>')


#: what each kind of picture shows, for its alt text (after the slide's own heading)
PICTURE_ALT = {
    "plot_walk": "the cgroup tree drawn as the walk sees it: each cgroup coloured by its "
                 "state at that step (delivered, in the buffer, lost to the page limit, never "
                 "reached, dead and skipped), numbered in visiting order, with the legend",
    "plot_orders": "the same cgroup tree once per walk order, each cgroup numbered in the "
                   "order that walk visits it",
    "plot_buffer": "the seq_file buffer of 8 pages of 4096 bytes, filled record by record, "
                   "with the one byte that can never be used and any record that did not fit",
    "plot_capacity": "how many records fit in one session against the record size: a "
                     "falling staircase, (32768 - 1) // size, with the 64-byte point marked",
    "plot_mutex": "time lanes of cgroup_mutex: who holds it during each read() of the walk, "
                  "when a writer (mkdir) waits for it and when it gets it",
    "plot_past_limit": "the same tree walked two ways, one row each: cgroup_iter cut at the "
                       "8-page limit, and the open-coded iterator writing into a ring buffer",
}


#: a cell whose last line makes a widget the page shows: the explorer or a quiz
WIDGET_CALL = re.compile(r"^(Explorer|Quiz)\(.*$", re.M)
#: where the widgets' pictures are (``docs/img/widgets/<lesson>-<k>.png``, the k-th widget
#: cell of the lesson from 1), made in Voila by ``tests/test_book.py``
WIDGET_PICTURES = Path(__file__).resolve().parent / "img" / "widgets"


#: what changes between two runs of the same widget and is not what it shows: the
#: machine's kernel release, the status label's render time
_VOLATILE = [(re.compile(r"(Linux \d+\.\d+)\.\d+\S*"), r"\1.N"),
             (re.compile(r"render_ms=\d+"), "render_ms=N")]


def _widget_text(text: str) -> str:
    for pattern, repl in _VOLATILE:
        text = pattern.sub(repl, text)
    return "\n".join(line.rstrip() for line in text.strip().splitlines())


def sign_widget_picture(png: Path, text: str) -> None:
    """Write into ``png`` (a widget's picture) the text the widget showed, with what
    varies between machines (the kernel release, the render time) made constant: the
    signature :func:`widget_picture_text` reads back."""
    from PIL import Image, PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_itxt("Description", "cgiter widget\n" + _widget_text(text))
    with Image.open(png) as im:
        im.load()
        im.save(png, pnginfo=info)


def widget_picture_text(png: Path) -> str | None:
    """The text a widget picture was taken showing (:func:`sign_widget_picture`), None
    for a picture that carries none."""
    from PIL import Image

    with Image.open(png) as im:
        desc = im.text.get("Description", "")
    return desc.removeprefix("cgiter widget\n") if desc.startswith("cgiter widget\n") else None


def widget_call(source: str) -> str | None:
    """The widget a cell shows (its last line, e.g. ``Quiz(seed=14, kind="order")``),
    None for a cell that shows none."""
    lines = [x for x in source.strip().splitlines() if x.strip()]
    if not lines:
        return None
    m = WIDGET_CALL.match(lines[-1].strip())
    return m.group(0).split("#")[0].strip() if m else None


def widget_cells(nb: dict) -> list[int]:
    """The indices of the cells of ``nb`` that show a widget, in order."""
    return [i for i, c in enumerate(nb["cells"])
            if c["cell_type"] == "code" and widget_call("".join(c["source"]))]


def widget_picture_cell(stem: str, k: int, call: str) -> dict | None:
    """The markdown cell the book shows instead of the k-th widget of lesson ``stem``
    (the widget needs a running kernel): its picture, made in Voila, and a button to run
    the lesson; None when there is no picture."""
    pic = WIDGET_PICTURES / f"{stem}-{k}.png"
    if not pic.exists():
        return None
    kind = "explorer" if call.startswith("Explorer") else "quiz"
    what = ("the explorer: the player, the walk drawn at its step with the buffer below "
            "it, the story of the step and the controls (order, record size, read size, "
            "tree)" if kind == "explorer" else
            "the quiz: the question, an answer box with Check, Reveal answer and Show me "
            "the walk buttons")
    alt = f"What {call} shows when the lesson runs (a picture): {what}"
    name = f"{stem}.ipynb"
    run_it = (f'<a class="btn" href="{LAB.format(name=name)}">Run it in JupyterLab</a>'
              + (f' · <a class="btn" href="{binder_base()}?labpath=notebooks%2F{name}">'
                 'on Binder</a>' if github_repo() else ""))
    return {"cell_type": "markdown", "metadata": {}, "id": f"widget-{k}",
            "source": [f"![{alt}](../img/widgets/{stem}-{k}.png)\n\n",
                       f'<p class="widget-run"><i>A picture of <code>{call}</code>: the '
                       f'widget itself needs a running Python.</i> {run_it}</p>']}


def picture_alt(heading: str, source: str) -> str | None:
    """The alt text of the picture a cell draws: its slide's heading and what that kind of
    picture shows; None for a cell that draws nothing."""
    kinds = [k for k in PICTURE_ALT if re.search(rf"\b{k}\(", source)]
    if not kinds:
        return None
    what = "; then ".join(PICTURE_ALT[k] for k in kinds)
    return f"{heading}: {what}." if heading else what[0].upper() + what[1:] + "."


def copy_lessons(notebooks: Path, dest: Path) -> list[Path]:
    """Copy the lessons into ``dest`` (emptied first), each with its buttons cell after
    the title cell."""
    dest.mkdir(parents=True, exist_ok=True)
    for old in dest.glob("*.ipynb"):
        old.unlink()
    out = []
    for src in lesson_names(notebooks):
        nb = json.loads(src.read_text())
        cell = {"cell_type": "markdown", "metadata": {}, "source": [buttons(src.name)]}
        nb["cells"].insert(1, cell)
        nb["nbformat"], nb["nbformat_minor"] = 4, max(nb.get("nbformat_minor", 0), 5)
        heading = ""
        for i, c in enumerate(nb["cells"]):
            c.setdefault("id", f"cell-{i}")
            text = "".join(c["source"])
            if c["cell_type"] == "markdown":
                found = re.findall(r"^#+\s+(.+)$", text, re.M)
                heading = found[-1].strip() if found else heading
            alt = picture_alt(heading, text) if c["cell_type"] == "code" else None
            if alt and "alt" not in c["metadata"].get("mystnb", {}).get("image", {}):
                c["metadata"].setdefault("mystnb", {}).setdefault("image", {})["alt"] = alt
            if c["cell_type"] == "markdown":     # the explorer is a page of the book
                c["source"] = [re.sub(r"\]\((\./)?explorer\.ipynb\)", "](../explorer.md)", line)
                               for line in c["source"]]
        for k, i in reversed(list(enumerate(widget_cells(nb), start=1))):
            c = nb["cells"][i]
            pic = widget_picture_cell(src.stem, k, widget_call("".join(c["source"])) or "")
            if pic is not None:          # the picture instead of the widget's text
                tags = c["metadata"].setdefault("tags", [])
                tags.append("remove-output")
                nb["cells"].insert(i + 1, pic)
        p = dest / src.name
        p.write_text(json.dumps(nb, indent=1))
        out.append(p)
    return out


#: the width of the command page's help text: what a code block of the book shows
#: without scrolling at 1280x720 (654 px of 8.4 px letters, 77 columns)
HELP_COLUMNS = 76


def write_cli_reference(path: Path) -> Path:
    """``cgiter-edu --help`` and every subcommand's ``--help``, as a terminal of
    :data:`HELP_COLUMNS` columns shows them (at 100 they ran past the book's code
    blocks, cut off at 77), each in a block of class ``cli-help``, whose lines wrap
    (``_static/cgiter.css``) where the command's own examples are wider."""
    old = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = str(HELP_COLUMNS + 2)     # argparse wraps at COLUMNS - 2
    try:
        from cgiter_edu.cli import COMMANDS, build_parser

        parser = build_parser()
        sub = next(a for a in parser._actions
                   if a.__class__.__name__ == "_SubParsersAction")
        helps = [("cgiter-edu", parser.format_help())]
        helps += [(f"cgiter-edu {name}", sub.choices[name].format_help())
                  for name in COMMANDS]
    finally:
        if old is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = old
    parts = ["# Every subcommand's help\n",
             "Generated from the command's own parsers when the book is built "
             "(`docs/bookgen.py`), so it says what `cgiter-edu ... --help` says.\n"]
    for title, text in helps:
        parts += [f"## {title}\n", "```{code-block} text", ":class: cli-help\n",
                  text.rstrip(), "```\n"]
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "\n".join(parts) + "\n"
    if not path.exists() or path.read_text() != text:
        path.write_text(text)
    return path


def draw_layout(path: Path) -> Path:
    """The import graph of the package (``docs/importgraph.py``), drawn from the source."""
    import importgraph

    path.parent.mkdir(parents=True, exist_ok=True)
    return importgraph.draw(path)


class _Refs(html.parser.HTMLParser):
    """The URLs a page *loads* (scripts, styles, images, frames), not the links it shows."""

    LOADS = {"script": "src", "img": "src", "iframe": "src", "source": "src",
             "video": "src", "audio": "src", "embed": "src"}

    def __init__(self) -> None:
        super().__init__()
        self.loads: list[str] = []
        self.links: list[str] = []
        self.images_without_alt: list[str] = []
        self.image_alts: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in self.LOADS and a.get(self.LOADS[tag]):
            self.loads.append(a[self.LOADS[tag]])
        rel = set((a.get("rel") or "").split())
        if tag == "link" and a.get("href") and rel & {"stylesheet", "preload", "icon",
                                                      "modulepreload", "prefetch", "manifest"}:
            self.loads.append(a["href"])
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        alt = (a.get("alt") or "").strip()
        if tag == "img":
            self.image_alts.append(alt)
        if tag == "img" and (not alt or "_images/" in alt
                             or alt.lower().endswith((".png", ".svg", ".gif", ".jpg"))):
            self.images_without_alt.append((a.get("src") or "")[:60])   # none, or a file name


EXTERNAL = re.compile(r"^(https?:)?//", re.I)


def page_refs(page: Path) -> _Refs:
    """What one HTML page loads and links to."""
    r = _Refs()
    r.feed(page.read_text(errors="replace"))
    return r


def external_links(outdir: str | os.PathLike) -> dict[str, list[str]]:
    """Every link to the internet in the book, by page (listed, never fetched)."""
    out: dict[str, list[str]] = {}
    for page in sorted(Path(outdir).rglob("*.html")):
        if "slides" in page.relative_to(outdir).parts[:1]:
            continue
        links = sorted({u for u in page_refs(page).links if EXTERNAL.match(u)})
        if links:
            out[str(page.relative_to(outdir))] = links
    return out


def check_offline(outdir: str | os.PathLike) -> None:
    """Fail the build if a page loads anything from outside the book, or shows an image
    without alt text."""
    bad = []
    for page in sorted(Path(outdir).rglob("*.html")):
        rel = page.relative_to(outdir)
        if rel.parts[0] in ("slides", "_static"):
            continue
        r = page_refs(page)
        bad += [f"{rel}: loads {u}" for u in r.loads if EXTERNAL.match(u)]
        bad += [f"{rel}: an image without alt text ({s}...)" for s in r.images_without_alt]
    if bad:
        raise RuntimeError("the book is not offline or not accessible:\n  " + "\n  ".join(bad))


if __name__ == "__main__":
    import sys

    if len(sys.argv) == 3 and sys.argv[1] == "run-lessons":
        run_lessons(ROOT / "notebooks", Path(sys.argv[2]))
        sys.exit(0)
    if sys.argv[1:] != ["binder"]:
        sys.exit("usage: python docs/bookgen.py binder   (rewrite the Binder links from "
                 "[tool.cgiter_edu] github in pyproject.toml)\n"
                 "       python docs/bookgen.py run-lessons DIR   (run each lesson once into "
                 "DIR: the book's build)")
    for changed in write_binder_links():
        print(f"rewrote {changed.relative_to(ROOT)}")
