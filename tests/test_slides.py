"""The decks: built offline, shown by headless Chromium with no request leaving the
machine; the PDF of key pictures: every page rendered by pdftoppm has its picture."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import CHROMIUM, files_only, launch_chromium, need

from cgiter_edu.course import slides

# the Okabe-Ito colours the pictures use for cgroup states (RGB)
STATE_RGB = [(0, 158, 115), (230, 159, 0), (0, 114, 178), (213, 94, 0), (204, 121, 167),
             (86, 180, 233)]


def _colour_fraction(png: Path, colours=STATE_RGB, tol: int = 12) -> float:
    """The fraction of the image's pixels that have one of ``colours`` (within ``tol``)."""
    import numpy as np
    from PIL import Image

    px = np.asarray(Image.open(png).convert("RGB"), dtype=np.int16).reshape(-1, 3)
    hit = np.zeros(len(px), dtype=bool)
    for c in colours:
        hit |= (np.abs(px - np.array(c, dtype=np.int16)) <= tol).all(axis=1)
    return float(hit.mean())


@pytest.fixture(scope="module")
def decks(tmp_path_factory, executed_notebooks):
    pytest.importorskip("nbconvert")
    if shutil.which("npm") is None and not (slides._cache_dir() / "reveal.js").exists():
        pytest.fail("npm is needed once to fetch reveal.js (apt-get install npm)")
    out = tmp_path_factory.mktemp("slides")
    files = slides.build(out, progress=False, run=lambda p: executed_notebooks[p])
    return out, files


def test_build_writes_every_deck_with_local_assets(decks):
    out, files = decks
    names = {f.name for f in files}
    for lesson in slides.lessons():
        assert f"{lesson.stem}.slides.html" in names
    assert "index.html" in names and "key-pictures.pdf" in names
    index = (out / "index.html").read_text()       # the lessons by their titles
    assert '<a href="03-eight-pages.slides.html">3. The 8-page buffer: 511, not 512</a>' in index
    assert (out / "assets/reveal.js/dist/reveal.js").stat().st_size > 50_000
    for f in files:
        if f.suffix == ".html":
            html = f.read_text()
            assert "unpkg.com" not in html and "cdnjs" not in html and "jsdelivr" not in html
    deck3 = (out / "03-eight-pages.slides.html").read_text()
    assert deck3.count("data:image/png;base64,") >= 2        # executed: pictures embedded
    # "previous", "next", "all lessons": to the decks beside it (no notebook is there)
    for name in ("02-orders", "04-read-size", "00-start-here"):
        assert f'href="{name}.slides.html"' in deck3, name
    for f in files:
        if f.name.endswith(".slides.html"):
            assert not re.search(r'href="\d\d-[^"]*\.ipynb', f.read_text()), f.name
    assert _dead_links(out) == []                  # lesson 00's explorer: explorer.html
    assert 'src="assets/reveal.js/dist/reveal.js"' in deck3 or "assets/reveal.js/dist/reveal.js" in deck3


def test_link_decks_points_lesson_links_at_the_decks_built():
    html = ('<a href="02-orders.ipynb">next</a> <a href="01-first-walk.ipynb#x">prev</a> '
            '<a href="09-past-the-page-limit.ipynb">9</a> <a href="explorer.ipynb">e</a>')
    assert slides.link_decks(html, ["01-first-walk", "02-orders"]) == (
        '<a href="02-orders.slides.html">next</a> <a href="01-first-walk.slides.html">prev</a> '
        '<a href="09-past-the-page-limit.ipynb">9</a> <a href="explorer.html">e</a>')


def _dead_links(folder: Path) -> list[str]:
    """Each link of the folder's HTML pages (href or src, relative, not to an anchor of
    the page itself) that leads to no file of the folder."""
    bad = []
    for page in sorted(folder.glob("*.html")):
        for ref in re.findall(r'(?:href|src)="([^"#?]+)', page.read_text()):
            if re.match(r"[a-z][a-z0-9+.-]*:", ref) or ref.startswith("/"):
                continue                      # an address of its own (tested: no network)
            if not (folder / ref).exists():
                bad.append(f"{page.name}: {ref}")
    return bad


def test_lesson_00s_explorer_links_lead_to_a_page_of_the_deck_folder(tmp_path):
    """Lesson 00 links the explorer twice (explorer.ipynb: no deck holds widgets): in its
    deck both lead to explorer.html beside it, which says how to open the explorer and
    leads back to the decks; no link of the folder leads to nothing."""
    pytest.importorskip("nbconvert")
    import nbformat

    if shutil.which("npm") is None and not (slides._cache_dir() / "reveal.js").exists():
        pytest.fail("npm is needed once to fetch reveal.js (apt-get install npm)")
    out = tmp_path / "slides"                 # the lessons converted as they are, not run
    files = slides.build(out, pdf=False, progress=False,
                         run=lambda p: nbformat.read(p, as_version=4))
    assert {"00-start-here.slides.html", "index.html", "explorer.html"} <= {f.name
                                                                           for f in files}
    deck0 = (out / "00-start-here.slides.html").read_text()
    assert deck0.count('href="explorer.html"') == 2 and 'href="explorer.ipynb' not in deck0
    page = (out / "explorer.html").read_text()
    assert "cgiter-edu explore" in page and "jupyter lab notebooks/explorer.ipynb" in page
    assert '<a href="index.html">' in page
    assert _dead_links(out) == []
    (out / "explorer.html").unlink()                      # the check sees a dead link
    assert _dead_links(out) == ["00-start-here.slides.html: explorer.html"] * 2


def test_every_deck_carries_every_picture_of_its_lesson(decks, executed_notebooks):
    """Each picture a lesson shows on a slide (every cell not marked ``skip``) is in its
    deck, byte for byte; a lesson that draws two pictures has two in its deck."""
    out, _files = decks
    for lesson in slides.lessons():
        ran = executed_notebooks[lesson]
        html = (out / f"{lesson.stem}.slides.html").read_text()
        pics = [o["data"]["image/png"] for c in ran.cells if c.cell_type == "code"
                and c.metadata.get("slideshow", {}).get("slide_type") != "skip"
                for o in c.get("outputs", []) if "image/png" in o.get("data", {})]
        assert pics, f"{lesson.name}: no picture on its slides"
        for i, b64 in enumerate(pics):
            assert b64.replace("\n", "") in html, f"{lesson.name}: picture {i + 1} not in its deck"
        assert html.count('src="data:image/png;base64,') == len(pics), lesson.name


def _browser():
    import importlib.util

    need(os.path.exists(CHROMIUM), f"no Chromium at {CHROMIUM} (apt-get install chromium)", browser=True)
    need(importlib.util.find_spec("playwright") is not None,
         "no playwright (pip install -e '.[browser]')", browser=True)
    from playwright.sync_api import sync_playwright

    return sync_playwright()


_FIND_PICTURE = """() => {
  const img = [...document.querySelectorAll('.slides img')].find(i => i.naturalWidth > 200);
  if (!img) return null;
  const sec = img.closest('section');
  const top = sec.parentElement.closest('section') || sec;
  const h = [...document.querySelectorAll('.slides > section')].indexOf(top);
  const v = top === sec ? 0 : [...top.querySelectorAll(':scope > section')].indexOf(sec);
  return [h, v];
}"""


@pytest.mark.slow
def test_every_deck_renders_offline_in_chromium(decks, tmp_path):
    out, files = decks
    html_decks = [f for f in files if f.name.endswith(".slides.html")]
    with _browser() as pw:
        browser = launch_chromium(pw)
        try:
            for deck in html_decks:
                page = browser.new_page(viewport={"width": 1280, "height": 720})
                outside, errors = files_only(page)
                page.goto(deck.as_uri())
                page.wait_for_function(
                    "document.querySelector('.reveal').classList.contains('ready')",
                    timeout=20_000)
                n = page.evaluate("document.querySelectorAll('.slides section').length")
                assert n >= 4, deck.name
                where = page.evaluate(_FIND_PICTURE)
                assert where is not None, f"{deck.name}: no picture in the deck"
                page.evaluate(f"location.hash = '#/{where[0]}/{where[1]}'")
                page.wait_for_timeout(600)
                shown = page.evaluate(
                    "[...document.querySelectorAll('section.present img')]"
                    ".map(i => [i.naturalWidth, i.getBoundingClientRect().height])")
                assert any(w > 200 and hgt > 100 for w, hgt in shown), (deck.name, shown)
                shot = tmp_path / f"{deck.stem}.png"
                page.screenshot(path=str(shot))
                assert _colour_fraction(shot) > 0.001, f"{deck.name}: picture not on screen"
                assert outside == [], f"{deck.name} asked the network for {outside}"
                assert errors == [], f"{deck.name}: {errors}"
                page.close()
        finally:
            browser.close()


#: one slide state as a presenter sees it: every visible element of the present slide
_SLIDE_STATE = """() => {
  const s = document.querySelector('.slides section.present:not(.stack)');
  const seen = e => e.checkVisibility({opacityProperty: true, visibilityProperty: true});
  let bottom = 0, right = 0;
  const text = [];
  for (const e of s.querySelectorAll('*')) {
    if (!seen(e)) continue;
    const b = e.getBoundingClientRect();
    if (b.width > 0 && b.height > 0) { bottom = Math.max(bottom, b.bottom); right = Math.max(right, b.right); }
    for (const n of e.childNodes) if (n.nodeType === 3 && n.textContent.trim()) text.push(n.textContent);
  }
  const px = sel => [...s.querySelectorAll(sel)].filter(seen)
      .map(e => parseFloat(getComputedStyle(e).fontSize));
  // text cut off by a box that clips it (a code cell's editor hides what runs past it)
  const clipped = [];
  const walker = document.createTreeWalker(s, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const n = walker.currentNode;
    if (!n.textContent.trim() || !seen(n.parentElement)) continue;
    let box = {right: 1280, bottom: 720};
    for (let e = n.parentElement; e && e !== s; e = e.parentElement) {
      const st = getComputedStyle(e);
      if (st.overflowX !== 'visible' || st.overflowY !== 'visible') {
        const b = e.getBoundingClientRect();
        box = {right: Math.min(b.right, 1280), bottom: Math.min(b.bottom, 720)};
        break;
      }
    }
    const r = document.createRange();
    r.selectNodeContents(n);
    if ([...r.getClientRects()].some(b => b.width > 0 && (b.right > box.right + 1 || b.bottom > box.bottom + 1)))
      clipped.push(n.textContent.trim().slice(0, 60));
  }
  return {where: location.hash + ' fragment ' + s.querySelectorAll('.fragment.visible').length,
          bottom, right, text: text.join(' '), clipped,
          prompts: [...s.querySelectorAll('.jp-InputPrompt, .jp-OutputPrompt')].filter(seen)
              .map(e => e.textContent.trim()).filter(t => t),
          scrolled: [...s.querySelectorAll('pre, table, .jp-OutputArea-output')].filter(seen)
              .filter(e => e.scrollWidth > e.clientWidth + 1 || e.scrollHeight > e.clientHeight + 1)
              .map(e => e.textContent.slice(0, 50)),
          pictures: [...s.querySelectorAll('img')].filter(seen).filter(i => i.naturalWidth > 200)
              .map(i => [i.getBoundingClientRect().width, i.getBoundingClientRect().height]),
          shouted: [...s.querySelectorAll('h1, h2, h3, h4')].filter(seen)
              .filter(e => getComputedStyle(e).textTransform !== 'none').map(e => e.textContent),
          body: px('.jp-RenderedMarkdown p, .jp-RenderedMarkdown li'),
          code: px('.jp-InputArea-editor pre, .jp-OutputArea-output pre')};
}"""


def _slide_states(page) -> list[dict]:
    """Every state of a deck, slide by slide and fragment by fragment (Space, as a
    presenter's clicker does), until the last."""
    states: list[dict] = []
    while True:
        page.wait_for_timeout(120)
        state = page.evaluate(_SLIDE_STATE)
        if states and state["where"] == states[-1]["where"]:
            return states
        states.append(state)
        assert len(states) < 200, "the deck does not end"
        page.keyboard.press("Space")


def _reveals(ran) -> list[str]:
    """For each "Predict, then reveal" cell of a run lesson: the first line of the
    answer its reveal cell prints (the last code cell before the next text cell)."""
    cells = ran.cells
    out = []
    for i, c in enumerate(cells):
        if c.cell_type == "markdown" and "Predict, then reveal" in c.source:
            after = []
            for d in cells[i + 1:]:
                if d.cell_type == "markdown":
                    break
                after.append(d)
            nxt = after[-1]               # the reveal: the last code cell before the next text
            text = "".join(o.get("text", "") for o in nxt.outputs if o.get("output_type") == "stream")
            out.append(next(ln.strip() for ln in text.splitlines() if ln.strip())[:40])
    return out


@pytest.mark.slow
def test_every_slide_fits_and_hides_its_answers(decks, executed_notebooks):
    """At 1280x720, slide by slide and fragment by fragment: nothing falls off the slide,
    scrolls inside it or is cut off by the box around it (a code line past its cell), no In [n]: prompt, body text at least 28 px and code at least 22 px
    (read from the back of a room), every picture large on its own slide, no heading
    turned to capitals by the theme, and a "Predict, then reveal" question never shows its
    answer: that comes on a later slide or fragment."""
    out, _files = decks
    with _browser() as pw:
        browser = launch_chromium(pw)
        try:
            for lesson in slides.lessons():
                page = browser.new_page(viewport={"width": 1280, "height": 720})
                page.goto((out / f"{lesson.stem}.slides.html").as_uri())
                page.wait_for_function(
                    "document.querySelector('.reveal').classList.contains('ready')",
                    timeout=20_000)
                states = _slide_states(page)
                assert len(states) >= 4, lesson.name
                for st in states:
                    at = f"{lesson.stem} {st['where']}"
                    assert st["bottom"] <= 721 and st["right"] <= 1281, \
                        f"{at}: content reaches {st['right']:.0f} x {st['bottom']:.0f} px"
                    assert st["scrolled"] == [], f"{at}: scrolls inside {st['scrolled']}"
                    assert st["clipped"] == [], f"{at}: text cut off {st['clipped']}"
                    assert st["prompts"] == [], f"{at}: prompts {st['prompts']}"
                    assert all(px >= 28 for px in st["body"]), f"{at}: body text {st['body']} px"
                    assert all(px >= 22 for px in st["code"]), f"{at}: code {st['code']} px"
                    # a picture drawn at slide size, shown at about half of it (under its
                    # text and code), had labels of 5 to 7 px: each stands alone, large
                    assert all(w >= 1000 or hgt >= 600 for w, hgt in st["pictures"]), \
                        f"{at}: picture shown at {st['pictures']} px"
                    assert st["shouted"] == [], f"{at}: headings in capitals {st['shouted']}"
                answers = _reveals(executed_notebooks[lesson])
                assert answers or lesson.name.startswith("00-"), f"{lesson.name}: no prediction"
                for answer in answers:
                    asked = [i for i, st in enumerate(states) if "Predict, then reveal" in st["text"]
                             and answer in st["text"]]
                    assert asked == [], f"{lesson.stem}: {answer!r} shown with its question"
                    assert any(answer in st["text"] for st in states), \
                        f"{lesson.stem}: the answer {answer!r} is never shown"
                page.close()
        finally:
            browser.close()


def test_pdf_pages_render_with_their_picture(decks, tmp_path):
    need(shutil.which("pdftoppm") is not None,
         "no pdftoppm (apt-get install poppler-utils)", browser=True)
    out, _files = decks
    pdf = out / "key-pictures.pdf"
    subprocess.run(["pdftoppm", "-png", "-r", "40", str(pdf), str(tmp_path / "p")], check=True)
    pages = sorted(tmp_path.glob("p-*.png"))
    assert len(pages) == 9                   # slides.key_pictures(): one page each
    from PIL import Image

    for p in pages:
        w, h = Image.open(p).size
        assert abs(w / h - 16 / 9) < 0.02, p.name
        assert _colour_fraction(p) > 0.002, f"{p.name}: no picture on the page"


def test_cli_slides_says_what_is_missing(tmp_path, capsys):
    from cgiter_edu.cli import main

    assert main(["slides", "-o", str(tmp_path), "--lessons", "99"]) == 1
    assert "no lesson 99" in capsys.readouterr().err
    assert main(["slides", "-o", str(tmp_path), "--assets", str(tmp_path), "--no-pdf"]) == 1
    assert "no reveal.js, jquery, requirejs folder" in capsys.readouterr().err


def test_cli_slides_no_run_converts_lessons_run_already(tmp_path, capsys, monkeypatch):
    """``--no-run`` (the book's build: each lesson run once, for the book and the decks)
    converts the lessons of ``--notebooks`` as they are, their pictures included, and runs
    none; without ``--notebooks`` (the checkout's lessons hold no outputs) it says so."""
    pytest.importorskip("nbconvert")
    import base64

    import nbformat

    from cgiter_edu.cli import main

    assert main(["slides", "-o", str(tmp_path / "x"), "--no-run"]) == 1
    assert "--no-run: give --notebooks DIR" in capsys.readouterr().err
    assert main(["slides", "-o", str(tmp_path / "x"), "--pdf-only", "--no-run"]) == 1
    assert "--no-run: not with --pdf-only" in capsys.readouterr().err
    if shutil.which("npm") is None and not (slides._cache_dir() / "reveal.js").exists():
        pytest.fail("npm is needed once to fetch reveal.js (apt-get install npm)")
    runs = tmp_path / "runs"                        # lesson 03 as if run: one picture
    runs.mkdir()
    nb = nbformat.read(slides.lessons()[3], as_version=4)
    png = base64.b64encode(b"\x89PNG\r\n\x1a\n-not-drawn-here-").decode()
    cell = next(c for c in nb.cells if c.cell_type == "code" and "plot_buffer" in c.source)
    cell.outputs = [nbformat.v4.new_output("display_data", data={"image/png": png})]
    nbformat.write(nb, runs / "03-eight-pages.ipynb")

    def no_run(*_a, **_k):
        raise AssertionError("a lesson was run")

    monkeypatch.setattr(slides, "run_lesson", no_run)
    out = tmp_path / "decks"
    assert main(["slides", "-o", str(out), "--notebooks", str(runs), "--no-run",
                 "--no-pdf"]) == 0
    assert png in (out / "03-eight-pages.slides.html").read_text()
