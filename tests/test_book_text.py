"""What a newcomer reads in README.md and the book's pages (docs/*.md) is true of this
checkout: the lessons they count, the quiz kinds they list, the commands they give, the
pictures' alt texts, the README as the front door. No build needed (tests/test_book.py
builds the book and reads it in Chromium)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

TOP = Path(__file__).resolve().parent.parent
DOCS = TOP / "docs"
README = TOP / "README.md"
PAGES = [README, *sorted(DOCS.glob("*.md"))]
sys.path.insert(0, str(DOCS))

NUMBERS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve".split())}


def _text(p: Path) -> str:
    return p.read_text()


def _lessons() -> list[Path]:
    import bookgen

    return bookgen.lesson_names(TOP / "notebooks")


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_the_lessons_counted_are_the_lessons(page):
    """'a course in nine lessons', '`00-start-here.ipynb` to `08-real-kernel.ipynb`': a
    count or a range of the lessons names as many as notebooks/ holds, up to the last."""
    lessons = _lessons()
    text = _text(page)
    words = "|".join(NUMBERS)
    for m in re.finditer(rf"\b({words})\s+(?:short\s+)?(?:Jupyter\s+)?lessons\b", text, re.I):
        assert NUMBERS[m.group(1).lower()] == len(lessons), (page.name, m.group(0))
    for m in re.finditer(r"00-start-here(?:\.ipynb)?`?\s+to\s+`?(?:notebooks/)?(\d\d-[\w-]+)",
                         text):
        assert m.group(1) == lessons[-1].stem, (page.name, m.group(0))


def test_the_kinds_in_the_order_the_lessons_meet_them():
    """The teacher's guide names, for each kind of question, the lesson that first asks
    it (``TAUGHT``), and every kind, lesson 9's ``ring`` too."""
    from cgiter_edu.course.questions import ALL_KINDS, TAUGHT

    first = {k: min(n for n, (kinds, _orders) in TAUGHT.items() if k in kinds)
             for k in ALL_KINDS}
    text = _text(DOCS / "teaching.md")
    seg = text.split("The kinds, in the order the lessons meet them:", 1)[1].split("\n\n")[0]
    said = {}
    for m in re.finditer(r"`(\w+)`(?: and `(\w+)`)? \((?:lesson )?(\d+)", seg):
        for k in filter(None, m.group(1, 2)):
            said[k] = int(m.group(3))
    assert said == first


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_a_list_of_kinds_is_the_quizs(page):
    """``# kinds: order, reads, ...`` lists the kinds a seed picks (``KINDS``) or every
    kind (``ALL_KINDS``), in their order."""
    from cgiter_edu.course.questions import ALL_KINDS, KINDS

    for m in re.finditer(r"# kinds: ([\w, ]+)", _text(page)):
        listed = tuple(k.strip() for k in m.group(1).split(","))
        assert listed in (KINDS, ALL_KINDS), (page.name, listed)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_sudo_runs_the_venvs_command(page):
    """``sudo cgiter-edu`` looks for the command in sudo's own PATH, which has no venv:
    the pages say ``sudo "$(command -v cgiter-edu)"`` (a plain ``sudo cgiter-edu`` only
    where they explain why not)."""
    text = _text(page)
    for m in re.finditer(r"(^|`)sudo cgiter-edu\b", text, re.M):
        before = text[max(0, m.start() - 12):m.start()].split()
        assert before and before[-1] == "plain", (page.name, text[m.start():m.end() + 30])


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_extra_named_exists(page):
    """``pip install -e '.[slides]'``: every extra a page names is one of pyproject.toml's,
    and the slides are never said to need a bare ``pip install nbconvert``."""
    section = (TOP / "pyproject.toml").read_text().split(
        "[project.optional-dependencies]", 1)[1].split("\n[", 1)[0]
    extras = set(re.findall(r"^([\w-]+) = \[", section, re.M))   # no tomllib on 3.10
    assert {"test", "docs", "slides", "explore", "browser"} <= extras
    text = _text(page)
    for m in re.finditer(r"\.\[([\w,]+)\]", text):
        for e in m.group(1).split(","):
            assert e in extras, (page.name, m.group(0))
    assert "pip install nbconvert" not in text, page.name


def _images(text: str) -> list[tuple[str, str]]:
    """(alt, target) of each picture: markdown images and MyST figures' ``:alt:``."""
    out = [(m.group(1), m.group(2)) for m in re.finditer(r"!\[([^\]]*)\]\(([^)]+)\)", text)]
    for m in re.finditer(r"```\{figure\} (\S+)\n((?::\w+:.*\n)*)", text):
        alt = re.search(r"^:alt: (.*)$", m.group(2), re.M)
        out.append((alt.group(1) if alt else "", m.group(1)))
    return out


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_picture_says_what_it_shows(page):
    """A picture's alt text says what it shows (the order, the states, the numbers a
    sighted reader takes from it), not only its subject: 'The orders' or 'cgroup_mutex'
    tells a screen reader's user nothing. At least 12 words, and never the file name."""
    for alt, target in _images(_text(page)):
        if target.startswith("http"):            # the Binder badges: their link says it
            continue
        assert len(alt.split()) >= 12, (page.name, target, alt)
        assert Path(target).name not in alt, (page.name, target)


def test_the_readme_is_the_front_door():
    """At most about 200 lines: what it is with the key picture, exactly two Quick start
    command lines, one example each of the command, the explorer and a lesson, the
    Binder badges of the lessons and the explorer, and links into the book's pages."""
    text = _text(README)
    assert len(text.splitlines()) <= 200
    assert "![" in text.split("## Quick start")[0] and "docs/img/walk-post-cut.png" in text
    quick = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    block = quick.split("```", 2)[1].strip().splitlines()
    assert len(block) == 2 and all(line.startswith("python3 -m venv") for line in block)
    assert re.search(r"^\$ cgiter-edu \w+", text, re.M)                   # the command
    assert "Explorer(" in text and "cgiter-edu explore" in text            # the explorer
    assert "notebooks/00-start-here.ipynb" in text                         # a lesson
    badges = re.findall(r"\[!\[[^\]]*\]\(https://mybinder\.org/badge_logo\.svg\)\]"
                        r"\((https://mybinder\.org/v2/gh/[^)]+)\)", text)
    assert len(badges) == 2
    assert any("labpath=notebooks%2F00-start-here" in b for b in badges)
    assert any("urlpath=voila%2Frender%2Fnotebooks%2Fexplorer.ipynb" in b for b in badges)


def test_the_readme_links_into_the_book():
    """Each link of the README to docs/ is a page of the book (in the front page's table
    of contents, or the front page itself) or a picture that exists: on GitHub they open
    the pages' sources, in the built book the same pages."""
    text = _text(README)
    index = _text(DOCS / "index.md")
    toc = index.split("```{toctree}", 1)[1].split("```", 1)[0]
    pages = {"index"} | {line.strip() for line in toc.splitlines()
                         if line.strip() and not line.startswith(":")}
    linked = re.findall(r"\]\(docs/([^)#]+)(?:#[^)]*)?\)", text)
    for target in linked:
        if target.startswith("img/"):
            assert (DOCS / target).exists(), target
            continue
        assert target.endswith(".md") and (DOCS / target).exists(), target
        assert target.removesuffix(".md") in pages, f"docs/{target} is not in the book"
    for must in ("index", "course", "explorer", "api", "command", "facts", "contributing"):
        assert f"{must}.md" in linked, must


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_test_a_page_names_exists(page):
    """``tests/test_live.py::test_511_not_512``: the file, and the test in it."""
    for m in re.finditer(r"tests/(test_\w+\.py)(?:::(\w+))?", _text(page)):
        f = TOP / "tests" / m.group(1)
        assert f.exists(), (page.name, m.group(0))
        if m.group(2):
            assert re.search(rf"^def {m.group(2)}\(", f.read_text(), re.M), (page.name,
                                                                            m.group(0))


def test_each_fact_names_its_test():
    """The facts page: each fact (a paragraph of the first section, a bullet of the
    others) names the test that shows it, so a reader can run it."""
    text = _text(DOCS / "facts.md")
    facts = []
    for section in re.split(r"^## ", text, flags=re.M):
        intro, *bullets = re.split(r"^\* ", section, flags=re.M)
        if bullets and not re.search(r"tests/test_\w+\.py", intro):
            facts += bullets                  # each bullet its own test
        else:                                 # prose, or bullets whose test is said above
            facts.append(section)
    assert len(facts) >= 10
    for fact in facts:
        assert re.search(r"tests/test_\w+\.py", fact), fact[:200]


def test_what_the_book_build_needs_is_said():
    """``make -C docs html`` also builds the slides, whose reveal.js comes from the npm
    registry the first time: the README's book command and the contributor's table say
    so (an offline first build stops at the slides)."""
    make = (DOCS / "Makefile").read_text()
    if "cgiter-edu slides" not in make:
        return
    book = _text(README).split("## The book", 1)[1].split("\n* ", 1)[0]
    assert "make -C docs html" in book and "npm" in book, book
    row = next(line for line in _text(DOCS / "contributing.md").splitlines()
               if line.startswith("| the book |"))
    assert "npm" in row, row


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_no_page_says_every_read_walks_every_cgroup(page):
    """'every read() runs it once per cgroup' is the misconception lesson 4 undoes: a
    read() that hands out leftovers runs nothing, one after a cut gives EOPNOTSUPP, and
    the read() size ends the walk."""
    text = " ".join(_text(page).split())
    assert not re.search(r"every `?read\(\)`? of the iterator file runs it once per cgroup",
                         text), page.name


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_the_511_is_not_credited_to_seq_write_alone(page):
    """The course's programs print with ``bpf_seq_printf``, whose ``seq_bprintf()`` keeps
    a record only if ``count + len < size``, as ``seq_write()`` does: a page that gives
    the strict ``<`` as the reason for the 511 names ``seq_bprintf()`` beside it."""
    for para in re.split(r"\n\s*\n|\n\|", _text(page)):
        if "seq_write()" in para and "count + len < size" in para:
            assert "seq_bprintf()" in para, (page.name, para[:300])


def _literal_prefix(comment: str):
    """The Python literal a comment starts with (``b'...' -- and b'' for ever after``
    gives ``b'...'``), or a ValueError."""
    import ast

    for end in range(len(comment), 0, -1):
        try:
            return ast.literal_eval(comment[:end])
        except (ValueError, SyntaxError):
            continue
    raise ValueError(comment)


@pytest.mark.parametrize("page", [README, DOCS / "api-guide.md"], ids=lambda p: p.name)
def test_the_python_examples_print_what_their_comments_say(page):
    """Each ``python`` block of the API page and the README that does not need a browser
    or the kernel runs; a line ``EXPR  # <literal>...`` gives that literal."""
    blocks = re.findall(r"```python\n(.*?)```", _text(page), re.S)
    ran = 0
    for block in blocks:
        if "Explorer(" in block or "live." in block:
            continue
        lines, checks = [], []
        for line in block.splitlines():
            code, _, comment = line.partition("  # ")
            comment = comment.strip()
            if comment.startswith(("b'", "[", "'")) and code.strip():
                expr = code.strip()
                expr = expr[len("print("):-1] if expr.startswith("print(") else expr
                indent = code[:len(code) - len(code.lstrip())]
                checks.append(_literal_prefix(comment))
                lines.append(f"{indent}_got.append({expr})")
            else:
                lines.append(line)
        got: list = []
        exec(compile("\n".join(lines), str(page), "exec"), {"_got": got})
        assert got == checks, (page.name, got, checks)
        ran += len(checks)
    assert ran >= 1


def test_the_book_build_runs_each_lesson_once():
    """``make -C docs html`` ran every lesson twice: Sphinx executed them for the book,
    then ``cgiter-edu slides`` ran them all again for the decks.  Now one step runs them
    into a folder, and the book (``CGITER_BOOK_LESSONS``: shown as they are, not executed)
    and the decks (``--no-run``) are made of those runs; still offline and warnings as
    errors (``-W``)."""
    import shlex
    import shutil
    import subprocess

    if shutil.which("make") is None:
        pytest.skip("no make")
    r = subprocess.run(["make", "-s", "-n", "-C", str(DOCS), "html"], capture_output=True,
                       text=True, check=True)
    cmds = [shlex.split(line) for line in r.stdout.splitlines() if line.strip()]
    assert len(cmds) == 3, cmds
    run, book, decks = cmds
    assert run[1:3] == ["bookgen.py", "run-lessons"]
    runs = run[3]
    assert book[0] == f"CGITER_BOOK_LESSONS={runs}" and book[1] == "sphinx-build"
    assert "-W" in book and "CGITER_BOOK_EXECUTE" not in r.stdout
    assert decks[:2] == ["cgiter-edu", "slides"] and "--no-run" in decks
    assert decks[decks.index("--notebooks") + 1] == runs
    conf = (DOCS / "conf.py").read_text()          # the runs given: nothing executed again
    assert 'nb_execution_mode = ("off" if _executed' in conf
