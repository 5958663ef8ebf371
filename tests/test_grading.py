"""The graded exercises as an nbgrader assignment (``cgiter-edu nbgrader``), round trip
on nbgrader itself: ``generate_assignment`` takes the solutions out, ``autograde`` runs
a correct and a wrong submission, and the scores are what ``check(...)`` says."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from conftest import need

from cgiter_edu.course.handson import NAMES, TASK_NAMES, exercise
from cgiter_edu.course.nbgrader import ASSIGNMENT, predict_notebook, solutions, tasks_notebook
from cgiter_edu.course.questions import KINDS, question

ALL = (*TASK_NAMES, *NAMES)


def _ids(nb) -> dict[str, object]:
    return {c.metadata["nbgrader"]["grade_id"]: c for c in nb.cells}


def test_every_task_has_the_guides_solution_and_a_check_cell():
    sols = solutions()
    cells = _ids(tasks_notebook())
    for name in ALL:
        sol = cells[f"{name}_solution"]
        assert sol.metadata["nbgrader"]["solution"] and not sol.metadata["nbgrader"]["grade"]
        assert sol.source == f"### BEGIN SOLUTION\n{sols[name].rstrip()}\n### END SOLUTION"
        test = cells[f"{name}_test"]
        assert test.metadata["nbgrader"] == {"grade": True, "solution": False, "locked": True,
                                             "grade_id": f"{name}_test", "schema_version": 3,
                                             "points": 1}
        assert test.source.startswith(f"result = check({name!r}, {name})")
    assert sum(1 for c in cells.values() if c.metadata["nbgrader"].get("points")) == len(ALL)


def test_predict_answers_are_the_questions_own():
    cells = _ids(predict_notebook(seed=1))
    for kind in KINDS:
        q = question(1, kind)
        assert f"answer_{kind} = {q.answer_text!r}" in cells[f"{kind}_answer"].source
        assert q.text in cells[f"{kind}_question"].source


def test_cli_refuses_a_guide_that_is_missing(tmp_path):
    p = subprocess.run([sys.executable, "-m", "cgiter_edu", "nbgrader", str(tmp_path / "c"),
                        "--guide", str(tmp_path / "nope.md")], capture_output=True, text=True)
    assert p.returncode == 1 and p.stdout == ""
    assert p.stderr.strip().splitlines() == [
        f"cgiter-edu nbgrader: {tmp_path / 'nope.md'}: no teacher's guide (docs/teaching.md "
        "of a checkout of cgiter_edu; --guide PATH names another)"]


def _nbgrader(root: Path, *args: str) -> str:
    exe = Path(sys.executable).with_name("nbgrader")
    # nbgrader runs `alembic` from PATH: the venv's bin first, as if it were activated
    env = dict(os.environ, PATH=os.pathsep.join([str(exe.parent), os.environ.get("PATH", "")]))
    p = subprocess.run([str(exe), *args], cwd=root, capture_output=True, text=True,
                       timeout=1200, env=env)
    assert p.returncode == 0, p.stdout[-2000:] + p.stderr[-3000:]
    return p.stdout + p.stderr


def _hand_in(root: Path, student: str, answers: dict[str, str]) -> None:
    """``student`` hands in the released notebooks with ``answers`` (grade id of a
    solution cell -> its new source) written in."""
    dst = root / "submitted" / student / ASSIGNMENT
    dst.mkdir(parents=True)
    for f in ("tasks.ipynb", "predict.ipynb"):
        nb = nbformat.read(root / "release" / ASSIGNMENT / f, as_version=4)
        for c in nb.cells:
            gid = c.metadata.get("nbgrader", {}).get("grade_id")
            if gid in answers:
                c.source = answers[gid]
        nbformat.write(nb, dst / f)


@pytest.mark.slow
def test_generate_and_autograde_a_right_and_a_wrong_submission(tmp_path):
    need(shutil.which("nbgrader") is not None or
         Path(sys.executable).with_name("nbgrader").exists(),
         "nbgrader is not installed: pip install -e '.[class]'", browser=True)
    root = tmp_path / "course"
    p = subprocess.run([sys.executable, "-m", "cgiter_edu", "nbgrader", str(root)],
                       capture_output=True, text=True, check=True)
    assert p.stdout.split() == [str(root / "nbgrader_config.py"),
                                str(root / "source" / ASSIGNMENT / "tasks.ipynb"),
                                str(root / "source" / ASSIGNMENT / "predict.ipynb")]
    _nbgrader(root, "generate_assignment", ASSIGNMENT, "--force")
    released = (root / "release" / ASSIGNMENT / "tasks.ipynb").read_text()
    sols = solutions()
    # the students' version has no solution left, only nbgrader's stub
    assert "BEGIN SOLUTION" not in released
    assert 'return 1                   # stop after this cgroup' not in released
    assert sols["fits"].strip().splitlines()[1].strip() not in released
    assert released.count("raise NotImplementedError()") == len(ALL)
    # right: every solution cell as the guide has it; wrong: the starters, and wrong
    # predictions but one (capacity)
    right = {f"{n}_solution": sols[n] for n in ALL}
    right |= {f"{k}_answer": f"answer_{k} = {question(1, k).answer_text!r}" for k in KINDS}
    wrong = {f"{n}_solution": exercise(n).starter for n in ALL if exercise(n).starter}
    wrong |= {f"{k}_answer": f"answer_{k} = '0'" for k in KINDS}
    wrong["capacity_answer"] = right["capacity_answer"]
    _hand_in(root, "right", right)
    _hand_in(root, "wrong", wrong)
    _nbgrader(root, "autograde", ASSIGNMENT, "--force")

    from nbgrader.api import Gradebook

    total = len(ALL) + len(KINDS)
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        good = gb.find_submission(ASSIGNMENT, "right")
        bad = gb.find_submission(ASSIGNMENT, "wrong")
        assert (good.max_score, good.score) == (total, total)
        assert (bad.max_score, bad.score) == (total, 1)
        assert gb.find_grade("capacity_test", "predict", ASSIGNMENT, "wrong").score == 1
        for n in ALL:
            assert gb.find_grade(f"{n}_test", "tasks", ASSIGNMENT, "wrong").score == 0
    # the graded notebook shows the student check's own message
    graded = (root / "autograded" / "wrong" / ASSIGNMENT / "tasks.ipynb").read_text()
    assert re.search(r"names: not yet\\n", graded)


def test_docstring_examples_run():
    import doctest

    import cgiter_edu.course.nbgrader as mod

    assert doctest.testmod(mod).failed == 0
