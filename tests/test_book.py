"""The book (``make -C docs html``): built with warnings as errors, offline, and read in
headless Chromium: a lesson page shows its pictures, the API page lists ``run``, the
command page has every subcommand's help, and no request leaves the machine."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from conftest import CHROMIUM, files_only, launch_chromium, need

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
sys.path.insert(0, str(DOCS))


@pytest.fixture(scope="module")
def book(tmp_path_factory, executed_notebooks):
    need(importlib.util.find_spec("sphinx") is not None
         and importlib.util.find_spec("myst_nb") is not None,
         "no Sphinx or MyST-NB (pip install -e '.[docs]')", browser=True)
    runs = tmp_path_factory.mktemp("lessons-run")
    import bookgen

    for p in bookgen.lesson_names(ROOT / "notebooks"):
        nbformat.write(executed_notebooks[p], runs / p.name)
    out = tmp_path_factory.mktemp("book")
    env = dict(os.environ, CGITER_BOOK_LESSONS=str(runs))
    r = subprocess.run([sys.executable, "-m", "sphinx", "-b", "html", "-W", "--keep-going",
                        "-q", str(DOCS), str(out)], env=env, capture_output=True, text=True,
                       timeout=900)
    assert r.returncode == 0, r.stderr[-4000:]
    return out


def test_the_book_builds_without_warnings_and_has_every_section(book):
    for page in ("index", "course", "explorer", "facts", "pictures", "real-kernel",
                 "command", "api", "teaching", "benchmark", "contributing"):
        assert (book / f"{page}.html").exists(), page
    import bookgen

    lessons = bookgen.lesson_names(ROOT / "notebooks")
    assert len(lessons) >= 9
    for p in lessons:
        html = (book / "lessons" / f"{p.stem}.html").read_text()
        assert "Open on Binder" in html and f"../slides/{p.stem}.slides.html" in html


def test_the_command_page_is_every_subcommands_help(book):
    from cgiter_edu.cli import COMMANDS

    html = (book / "command.html").read_text()
    for name in COMMANDS:
        assert f"cgiter-edu {name}" in html, name
    assert "--record-bytes" in html and "things to try" in html


def test_no_page_loads_anything_from_outside_and_every_image_has_alt_text(book):
    import bookgen

    bookgen.check_offline(book)          # raises naming the page and the URL
    links = bookgen.external_links(book)  # listed, never fetched
    assert all(u.startswith(("http://", "https://")) for us in links.values() for u in us)


def test_each_lesson_picture_says_what_it_shows(book):
    """A lesson picture's alt text comes from what the view drew (the trace: the order,
    how many cgroups, each state's count, where the cut is), not from the kind of
    picture alone: two walks drawn in one lesson get two different texts."""
    import bookgen

    alts = {}
    for p in bookgen.lesson_names(ROOT / "notebooks"):
        r = bookgen.page_refs(book / "lessons" / f"{p.stem}.html")
        alts[p.stem] = r.image_alts
    first = [a for a in alts["01-first-walk"] if "cgroups drawn as" in a]
    assert len(first) == 2 and first[0] != first[1], alts["01-first-walk"]
    assert "at step" in first[1] and "delivered to user" in first[0], first
    cut = [a for a in alts["03-eight-pages"] if a.startswith("The seq_file buffer of 8 pages")]
    assert cut and "rolled back" in cut[0], alts["03-eight-pages"]
    past = [a for a in alts["09-past-the-page-limit"] if "walked two ways" in a]
    assert past and "cut at the 8-page limit" in past[0], alts["09-past-the-page-limit"]


def test_a_reader_goes_from_the_front_page_to_a_lesson_the_explorer_and_run(book, tmp_path):
    need(os.path.exists(CHROMIUM), f"no Chromium at {CHROMIUM} (apt-get install chromium)",
         browser=True)
    need(importlib.util.find_spec("playwright") is not None,
         "no playwright (pip install -e '.[browser]')", browser=True)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = launch_chromium(pw)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 720})
            outside, errors = files_only(page)
            page.on("console", lambda m: m.type == "error" and errors.append(m.text))

            # click 1: the front page's link to a lesson; its pictures are shown
            page.goto((book / "index.html").as_uri())
            page.get_by_role("link", name="the first walk").first.click()
            page.wait_for_load_state("load")
            assert page.url.endswith("lessons/01-first-walk.html")
            imgs = page.evaluate("[...document.querySelectorAll('article img')]"
                                 ".map(i => [i.naturalWidth, i.alt])")
            assert len([w for w, _alt in imgs if w > 200]) >= 2, imgs    # both pictures
            assert all(alt.strip() and "_images/" not in alt for _w, alt in imgs), imgs
            page.screenshot(path=str(tmp_path / "lesson.png"))

            # click 2: back to the front, the explorer's page: its screenshot is shown
            page.goto((book / "index.html").as_uri())
            page.get_by_role("link", name="The explorer").first.click()
            page.wait_for_load_state("load")
            assert page.url.endswith("explorer.html")
            assert page.evaluate("[...document.querySelectorAll('article img')]"
                                 ".some(i => i.naturalWidth > 400)")

            # click 3: the API of run()
            page.goto((book / "index.html").as_uri())
            page.get_by_role("link", name="The API of run()").first.click()
            page.wait_for_load_state("load")
            assert page.url.split("#")[0].endswith("api.html")
            assert page.locator("dt#cgiter_edu\\.run").count() == 1
            doc = page.locator("dt#cgiter_edu\\.run + dd").inner_text()
            assert "Parameters" in doc and "Returns" in doc and "Examples" in doc
        finally:
            browser.close()
    assert outside == [], f"the book asked the network for {outside}"
    assert errors == [], errors


def _readme_as_html(book: Path, out: Path) -> Path:
    """README.md rendered as a newcomer sees it on GitHub, its links to ``docs/X.md``
    pointing at the built page ``X.html`` (where the published book has it) and its
    pictures at ``docs/img``."""
    from markdown_it import MarkdownIt

    def target(m):
        href = m.group(1)
        if href.startswith("docs/img/"):
            return f'="{(ROOT / href).as_uri()}"'
        if href.startswith("docs/") and ".md" in href:
            page, _, frag = href[len("docs/"):].partition("#")
            url = (book / page.replace(".md", ".html")).as_uri()
            return f'="{url}#{frag}"' if frag else f'="{url}"'
        return m.group(0)

    import re

    html = MarkdownIt("commonmark").enable("table").render((ROOT / "README.md").read_text())
    html = re.sub(r'="(docs/[^"]+)"', target, html)
    # the Binder badges come from mybinder.org on GitHub; here the book is what is tested
    html = html.replace('src="https://mybinder.org/badge_logo.svg"', 'src=""')
    page = out / "README.html"
    page.write_text(f"<!doctype html><html><head><meta charset='utf-8'><title>README</title>"
                    f"</head><body>{html}</body></html>")
    return page


def test_a_reader_goes_from_the_readme_into_the_book(book, tmp_path):
    """From the README (its links into the book followed to the built pages): a
    rendered lesson with its pictures in two clicks (the course, the lesson), the
    explorer's page and the API of run() in one; every README link into docs/ is a
    built page or picture; nothing is asked of the network."""
    need(os.path.exists(CHROMIUM), f"no Chromium at {CHROMIUM} (apt-get install chromium)",
         browser=True)
    need(importlib.util.find_spec("playwright") is not None,
         "no playwright (pip install -e '.[browser]')", browser=True)
    from urllib.parse import unquote, urlparse

    from playwright.sync_api import sync_playwright

    readme = _readme_as_html(book, tmp_path)
    with sync_playwright() as pw:
        browser = launch_chromium(pw)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 720})
            outside, errors = files_only(page)
            page.on("console", lambda m: m.type == "error" and errors.append(m.text))
            page.goto(readme.as_uri())
            hrefs = page.evaluate("[...document.querySelectorAll('a[href^=\"file:\"]')]"
                                  ".map(a => a.href)")
            assert len(hrefs) >= 10, hrefs
            for u in hrefs:
                f = Path(unquote(urlparse(u).path))
                assert f.exists(), f"the README links to {u}, which the book does not have"
            imgs = page.evaluate("[...document.querySelectorAll('img[src^=\"file:\"]')]"
                                 ".map(i => [i.naturalWidth, i.alt])")
            assert imgs and all(w > 400 and alt for w, alt in imgs), imgs

            # a lesson: the course, then its second lesson (the first walk)
            page.get_by_role("link", name="The course", exact=True).click()
            page.wait_for_load_state("load")
            assert page.url.endswith("/course.html")
            page.get_by_role("link", name="1. A first walk and the program").first.click()
            page.wait_for_load_state("load")
            assert page.url.endswith("lessons/01-first-walk.html")
            shown = page.evaluate("[...document.querySelectorAll('article img')]"
                                  ".filter(i => i.naturalWidth > 200).length")
            assert shown >= 2, shown
            # its buttons look like buttons (the theme's .btn alone is a bare word)
            looks = page.evaluate("[...document.querySelectorAll('p.lesson-buttons a.btn')]"
                                  ".map(a => [a.innerText, getComputedStyle(a).backgroundColor,"
                                  " getComputedStyle(a).borderTopStyle])")
            assert [t for t, _bg, _b in looks] == ["Open on Binder", "Open in JupyterLab",
                                                   "As slides"], looks
            assert all(bg not in ("rgba(0, 0, 0, 0)", "transparent") and b != "none"
                       for _t, bg, b in looks), looks
            page.screenshot(path=str(tmp_path / "readme-lesson.png"))

            # the explorer's page: one click, its screenshots shown
            page.goto(readme.as_uri())
            page.get_by_role("link", name="The explorer", exact=True).click()
            page.wait_for_load_state("load")
            assert page.url.endswith("/explorer.html")
            assert page.evaluate("[...document.querySelectorAll('article img')]"
                                 ".filter(i => i.naturalWidth > 400).length") >= 3

            # the API of run(): one click, its numpydoc sections
            page.goto(readme.as_uri())
            page.get_by_role("link", name="the API reference", exact=True).click()
            page.wait_for_load_state("load")
            assert page.url.endswith("/api.html")
            doc = page.locator("dt#cgiter_edu\\.run + dd").inner_text()
            assert "Parameters" in doc and "Returns" in doc and "Examples" in doc
        finally:
            browser.close()
    assert outside == [], f"the README and the book asked the network for {outside}"
    assert errors == [], errors


def test_the_command_page_shows_every_help_whole(book):
    """At 1280x720 each subcommand's --help is shown whole: argparse wraps it at the
    book's code block width and the command's wider example lines wrap, none cut off
    behind a scroll bar (at 100 columns every block was)."""
    need(os.path.exists(CHROMIUM), f"no Chromium at {CHROMIUM} (apt-get install chromium)",
         browser=True)
    need(importlib.util.find_spec("playwright") is not None,
         "no playwright (pip install -e '.[browser]')", browser=True)
    from playwright.sync_api import sync_playwright

    from cgiter_edu.cli import COMMANDS

    with sync_playwright() as pw:
        browser = launch_chromium(pw)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 720})
            outside, errors = files_only(page)
            page.goto((book / "command.html").as_uri())
            blocks = page.evaluate("[...document.querySelectorAll('div.cli-help pre')]"
                                   ".map(p => [p.scrollWidth - p.clientWidth,"
                                   " p.innerText.split('\\n')[0]])")
        finally:
            browser.close()
    assert len(blocks) == len(COMMANDS) + 1, blocks
    assert [first for _over, first in blocks if _over > 1] == []
    assert outside == [] and errors == [], (outside, errors)


def test_the_search_page_finds_pages_from_the_files(book):
    """Opened as the README says (docs/_build/html/index.html, file://), the search page
    lists the pages that hold a word and logs no error (fetching each page for a summary
    is refused there: html_show_search_summary = False)."""
    need(os.path.exists(CHROMIUM), f"no Chromium at {CHROMIUM} (apt-get install chromium)",
         browser=True)
    need(importlib.util.find_spec("playwright") is not None,
         "no playwright (pip install -e '.[browser]')", browser=True)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = launch_chromium(pw)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 720})
            outside, errors = files_only(page)
            page.on("console", lambda m: m.type == "error" and errors.append(m.text))
            page.goto((book / "search.html").as_uri() + "?q=EOPNOTSUPP")
            page.wait_for_function("() => /found \\d+ page/.test("
                                   "document.querySelector('#search-results')?.innerText)")
            page.wait_for_timeout(1000)
            found = page.locator("#search-results li a").all_inner_texts()
        finally:
            browser.close()
    assert any("The read() size" in t for t in found), found
    assert outside == [] and errors == [], (outside, errors[:3])


def test_every_binder_link_follows_the_one_setting():
    """README.md and docs/ hold Binder links; each opens the repository named by
    ``[tool.cgiter_edu] github`` in pyproject.toml (``OWNER/cgiter_edu`` while it is
    empty, and then the README says so): no link points at a made-up owner."""
    import bookgen

    base = bookgen.binder_base()
    found = 0
    for p in bookgen.binder_files():
        for m in bookgen.BINDER_LINK.finditer(p.read_text()):
            assert m.group(0) == base, f"{p.name}: {m.group(0)} is not {base}"
            found += 1
    assert found >= 5
    readme = (ROOT / "README.md").read_text()
    if not bookgen.github_repo():
        assert "python docs/bookgen.py binder" in readme and "OWNER/cgiter_edu" in readme
    lab = bookgen.buttons("01-first-walk.ipynb")
    assert "Open on Binder" in lab and ("OWNER" not in lab)


def test_every_widget_cell_has_its_picture_in_the_book():
    """The book shows a picture of each widget (with a button to run the lesson) instead
    of the widget's text: every widget cell of every lesson has its committed picture."""
    import json

    import bookgen
    from PIL import Image

    missing = []
    for p in bookgen.lesson_names(ROOT / "notebooks"):
        nb = json.loads(p.read_text())
        for k, i in enumerate(bookgen.widget_cells(nb), start=1):
            call = bookgen.widget_call("".join(nb["cells"][i]["source"]))
            cell = bookgen.widget_picture_cell(p.stem, k, call)
            if cell is None:
                missing.append(f"{p.stem}-{k}.png ({call})")
                continue
            w, h = Image.open(bookgen.WIDGET_PICTURES / f"{p.stem}-{k}.png").size
            assert w >= 600 and h >= 100, (p.stem, k, w, h)
            if call.startswith("Quiz"):   # as wide as its rows: shown with letters readable
                assert w <= 1000, (p.stem, k, w)
            assert "Run it" in "".join(cell["source"])
            # taken by the slow test below, which records the widget's text in it and
            # compares it with what Voila shows now
            text = bookgen.widget_picture_text(bookgen.WIDGET_PICTURES / f"{p.stem}-{k}.png")
            assert text, f"{p.stem}-{k}.png carries no text: retake it"
            assert ("Check" in text) if call.startswith("Quiz") else ("step " in text), text
    assert not missing, ("no picture for " + ", ".join(missing) + ": make them with "
                         "CGITER_UPDATE_WIDGET_PICTURES=1 python -m pytest tests/test_book.py "
                         "-k widget_pictures")


@pytest.mark.slow
def test_widget_pictures_are_what_voila_shows(tmp_path):
    """Each lesson runs in Voila (what ``cgiter-edu explore`` and Binder serve) and each
    widget it shows, in order, is photographed in headless Chromium; the committed
    pictures (``docs/img/widgets``) must have the size of what the browser shows now
    (``CGITER_UPDATE_WIDGET_PICTURES=1`` writes them); no request leaves the machine."""
    need(os.path.exists(CHROMIUM), f"no Chromium at {CHROMIUM} (apt-get install chromium)",
         browser=True)
    for mod, extra in (("playwright", "browser"), ("voila", "explore")):
        need(importlib.util.find_spec(mod) is not None, f"no {mod} (pip install -e "
             f"'.[{extra}]')", browser=True)
    import json
    import re
    import secrets
    import shutil

    import bookgen
    from PIL import Image
    from playwright.sync_api import sync_playwright

    from cgiter_edu.widgets.app import (
        free_port,
        stop_process_group,
        voila_command,
        voila_env,
        wait_ready,
        write_voila_config,
    )

    shots = ROOT / "tests" / "artifacts" / "widgets"
    shots.mkdir(parents=True, exist_ok=True)
    update = os.environ.get("CGITER_UPDATE_WIDGET_PICTURES") == "1"
    made = []
    with sync_playwright() as pw:
        browser = launch_chromium(pw)
        try:
            for p in bookgen.lesson_names(ROOT / "notebooks"):
                n = len(bookgen.widget_cells(json.loads(p.read_text())))
                if not n:
                    continue
                d = tmp_path / p.stem
                d.mkdir()
                shutil.copy(p, d / p.name)
                port, token = free_port(), secrets.token_hex(8)
                cmd = voila_command(d / p.name, port, token,
                                    write_voila_config(tmp_path / f"{p.stem}-config"))
                with open(d / "voila.log", "wb") as log:
                    proc = subprocess.Popen(cmd, cwd=d, start_new_session=True, stdout=log,
                                            stderr=subprocess.STDOUT,
                                            env=voila_env(dict(os.environ, MPLBACKEND="Agg")))
                    try:
                        wait_ready(f"http://127.0.0.1:{port}/", proc, timeout=120)
                        # tall enough for a whole explorer: Chromium paints only what is in view
                        page = browser.new_page(viewport={"width": 1280, "height": 2400})
                        left: list[str] = []
                        page.route(re.compile(rf"^(?!(http|ws)://127\.0\.0\.1:{port}/)"),
                                   lambda r, left=left: (left.append(r.request.url), r.abort()))
                        page.goto(f"http://127.0.0.1:{port}/?token={token}",
                                  timeout=600_000)
                        roots = page.locator(".cg-explorer, .cgiter-quiz")
                        for _ in range(1200):
                            if roots.count() >= n:
                                break
                            page.wait_for_timeout(500)
                        assert roots.count() == n, (p.stem, roots.count(), n)
                        for k in range(1, n + 1):
                            root = roots.nth(k - 1)
                            root.scroll_into_view_if_needed()
                            if "cg-explorer" in (root.get_attribute("class") or ""):
                                page.wait_for_function(
                                    "e => /step=/.test(e.innerText)",
                                    arg=root.locator(".explorer-status").element_handle())
                                page.wait_for_function(
                                    "e => e.complete && e.naturalWidth > 0",
                                    arg=root.locator(".explorer-img").element_handle())
                                page.wait_for_function(   # the kernel check has spoken
                                    "e => !/checking this walk on the kernel/.test(e.innerText)",
                                    arg=root.element_handle(), timeout=180_000)
                            else:     # a quiz: as wide as its rows, not the page (the
                                # book shows it 690 px wide: a 1250 px picture of an 800 px
                                # quiz made its question unreadable, 6 px letters)
                                root.evaluate("e => { e.style.width = 'fit-content'; }")
                            page.wait_for_timeout(1500)
                            shot = shots / f"{p.stem}-{k}.png"
                            root.screenshot(path=str(shot))
                            bookgen.sign_widget_picture(shot, root.inner_text())
                            made.append(shot)
                        assert left == [], left
                        page.close()
                    finally:
                        stop_process_group(proc, grace=20)
        finally:
            browser.close()
    assert made
    for shot in made:
        committed = bookgen.WIDGET_PICTURES / shot.name
        if update:
            committed.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(shot, committed)
        assert committed.exists(), f"{committed.name} is missing (CGITER_UPDATE_WIDGET_PICTURES=1)"
        (w, h), (w0, h0) = Image.open(shot).size, Image.open(committed).size
        assert w == w0 and abs(h - h0) <= 0.15 * h0, (shot.name, (w, h), (w0, h0))
        # what the widget says now is what the committed picture says (a message changed
        # in the explorer leaves the same size and a stale picture: the text tells)
        assert (bookgen.widget_picture_text(committed)
                == bookgen.widget_picture_text(shot)), (
            f"{committed.name} shows another text than Voila shows now "
            "(CGITER_UPDATE_WIDGET_PICTURES=1)")
