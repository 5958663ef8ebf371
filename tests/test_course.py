"""The lessons' structure, and the quiz widget driven as a student would."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

NB = Path(__file__).parent.parent / "notebooks"
LESSONS = sorted(NB.glob("[0-9][0-9]-*.ipynb"))


def test_lessons_are_numbered_and_linked_from_start_here():
    names = [p.name for p in LESSONS]
    assert names[0] == "00-start-here.ipynb" and len(names) >= 9
    assert [int(n[:2]) for n in names] == list(range(len(names)))
    start = "\n".join(c.source for c in nbformat.read(LESSONS[0], 4).cells)
    for n in names[1:]:
        assert f"({n})" in start, f"00-start-here does not link {n}"
    assert "(explorer.ipynb)" in start


@pytest.mark.parametrize("path", LESSONS[1:], ids=[p.name for p in LESSONS[1:]])
def test_each_lesson_has_the_parts(path):
    nb = nbformat.read(path, 4)
    text = "\n".join(c.source for c in nb.cells)
    assert "**What you will learn**" in nb.cells[0].source
    assert "Predict, then reveal" in text
    # the lesson's quiz asks only what this lesson and earlier ones taught
    lesson = int(path.name[:2])
    assert re.search(rf"Quiz\(seed=\d+, kind=\"\w+\", lesson={lesson}\)", text)
    assert "## Summary" in nb.cells[-1].source
    for c in nb.cells:                                  # slide metadata on every cell
        assert c.metadata["slideshow"]["slide_type"] in ("slide", "subslide", "fragment",
                                                          "-", "skip", "notes")
    # public API only: no private names, no package internals
    assert not re.search(r"\bcgiter_edu\.(kernel|hierarchy|trace)\b|\._[a-z]", text)


def _until_markdown(cells, start: int) -> list:
    """The code cells from ``start`` up to the next markdown cell."""
    out = []
    for c in cells[start:]:
        if c.cell_type == "markdown":
            break
        out.append(c)
    return out


@pytest.mark.parametrize("path", LESSONS[1:], ids=[p.name for p in LESSONS[1:]])
def test_predictions_ask_for_a_guess_before_the_reveal(path):
    """Each "Predict, then reveal" cell says what to write down before running the next
    cell, and that cell (the reveal) starts a new slide or fragment in the deck."""
    cells = nbformat.read(path, 4).cells
    asked = 0
    for i, c in enumerate(cells):
        if c.cell_type == "markdown" and "Predict, then reveal" in c.source:
            asked += 1
            assert "**Write down**" in c.source and re.search(r"then\s+run", c.source), \
                f"{path.name} cell {i}: say what to write down, then run"
            after = [d for d in _until_markdown(cells, i + 1)]
            assert after, f"{path.name} cell {i}: no cell reveals the answer"
            reveal = after[-1]            # cells before it may print what the question needs
            assert reveal.metadata["slideshow"]["slide_type"] in ("slide", "subslide", "fragment"), \
                f"{path.name} cell {i}: the reveal shares its question's slide"
    assert asked >= 1


def test_quiz_widget_checks_and_shows():
    pytest.importorskip("ipywidgets")
    from cgiter_edu.course.questions import question
    from cgiter_edu.course.quiz import Quiz

    w = Quiz(seed=0, kind="capacity")
    assert "256-byte record" in " ".join(w.text.value.split())
    w.answer.value = "128"
    w.check_button.click()
    assert "Not quite" in w.feedback.value and "last byte" in w.feedback.value
    assert "0 of 1 question right at the first try" in w.score.value
    w.answer.value = "127"
    w.check_button.click()
    assert "Right" in w.feedback.value and "32768 / 256 = 128" in " ".join(w.feedback.value.split())
    assert "0 of 1 question right at the first try" in w.score.value   # 128, then 127: one question
    w.kind_box.value = "order"
    w.new(seed=3)
    assert w.question.text == question(3, "order").text and w.feedback.value == ""
    assert w.reveal_button.disabled                      # no answer before a first try
    w.reveal_button.click()
    assert "Try first" in w.feedback.value
    assert question(3, "order").answer_text not in w.feedback.value
    w.answer.value = "1"
    w.check_button.click()
    assert "Not quite" in w.feedback.value and not w.reveal_button.disabled
    assert "0 of 2 questions right at the first try" in w.score.value
    w.reveal_button.click()
    assert question(3, "order").answer_text in w.feedback.value
    w.show_me_button.click()
    (ex,) = w.show_me_box.children
    from cgiter_edu.widgets import Explorer

    assert isinstance(ex, Explorer)
    assert ex.trace.visit_order() == w.question.trace().visit_order() != []


def _pictures(cell) -> list[str]:
    """The PNG pictures a run cell shows (base64, as in the notebook file)."""
    return [o["data"]["image/png"] for o in cell.get("outputs", [])
            if o.get("output_type") in ("display_data", "execute_result")
            and "image/png" in o.get("data", {})]


def _drawing_calls(source: str) -> int:
    """How many of the package's drawing functions (``cgiter_edu.viz.plot_*``) a cell
    calls."""
    from cgiter_edu import viz

    names = "|".join(n for n in viz.__all__ if n.startswith("plot_"))
    return len(re.findall(rf"\b(?:{names})\(", source))


@pytest.mark.slow
@pytest.mark.parametrize("path", LESSONS, ids=[p.name for p in LESSONS])
def test_every_cell_that_draws_shows_its_picture(path, executed_notebooks):
    """Run top to bottom as a class would (inline backend): each cell shows one picture
    per drawing call, no more, no less -- the lessons had only their first figure shown
    (a slide style entered by hand turned the notebook's interactive mode off)."""
    import base64
    from io import BytesIO

    from PIL import Image

    ran = executed_notebooks[path]
    drawn = 0
    for i, cell in enumerate(ran.cells):
        if cell.cell_type != "code":
            continue
        calls, pics = _drawing_calls(cell.source), _pictures(cell)
        assert len(pics) == calls, f"{path.name} cell {i}: {calls} drawing calls, {len(pics)} pictures shown"
        for b64 in pics:
            w, h = Image.open(BytesIO(base64.b64decode(b64))).size
            assert w >= 600 and h >= 300, f"{path.name} cell {i}: a {w}x{h} picture"
        drawn += calls
    assert drawn >= 1, f"{path.name} draws no picture"


def test_every_lesson_ends_by_linking_the_next():
    """The last cell of each lesson names the next one (lesson 00 ended on its task:
    nothing led a student to lesson 01 but the list higher up)."""
    for here, nxt in zip(LESSONS, LESSONS[1:], strict=False):
        last = nbformat.read(here, 4).cells[-1].source
        assert f"]({nxt.name})" in last, f"{here.name}: its last cell does not link {nxt.name}"


def test_lesson_01_does_not_say_the_program_runs_on_every_cgroup_reached():
    """Lesson 00's walk skips its dead session without calling the program; lesson 01's
    summary said the program runs "once per cgroup the walk reaches"."""
    summary = nbformat.read(NB / "01-first-walk.ipynb", 4).cells[-1].source
    assert "once per live cgroup the walk reaches (a dead one is skipped" in summary


def test_the_start_page_says_what_is_not_checked_on_a_kernel():
    """Lesson 00 said every number is what the kernel gives, checked on Linux 6.18, while
    lessons 2 and 3 show CHILDREN (7.0) and 16/64 KiB pages from the source only, as
    lesson 8's summary says."""
    first = nbformat.read(LESSONS[0], 4).cells[0].source
    assert "other page sizes and Linux 7.0's `CHILDREN`" in " ".join(first.split())
    three = " ".join("\n".join(c.source for c in nbformat.read(NB / "03-eight-pages.ipynb", 4)
                                .cells).split())
    assert "These follow the kernel's source, `PAGE_SIZE << 3`: the walks checked on a real " \
           "kernel had 4 KiB pages." in three
    last8 = " ".join(nbformat.read(NB / "08-real-kernel.ipynb", 4).cells[-1].source.split())
    assert "other page sizes (lesson 3) and the `CHILDREN` order of Linux 7.0 (lesson 2)" in last8
