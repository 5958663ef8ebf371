"""The course's graded exercises as an nbgrader assignment (``cgiter-edu nbgrader DIR``).

One source of truth: every autograder test cell calls the checker the lessons call --
:func:`cgiter_edu.course.handson.check` for the end-of-lesson tasks and lesson 7's programs,
:meth:`cgiter_edu.course.questions.Question.check` for the predict questions -- and every
solution cell is the teacher's solution in docs/teaching.md (``### Solution: NAME``) or
the question's own ``answer_text``.  Nothing here decides what is right.

``DIR`` becomes an nbgrader course directory::

    DIR/nbgrader_config.py
    DIR/source/cgiter/tasks.ipynb      # a solution cell and a 1-point test cell per task
    DIR/source/cgiter/predict.ipynb    # one predict question per kind (seed 1)

then, in ``DIR``, ``nbgrader generate_assignment cgiter`` makes the students' version
(``release/``: each solution replaced by ``raise NotImplementedError()``) and
``nbgrader autograde cgiter`` grades what they hand in (``submitted/STUDENT/cgiter/``).

Example::

    >>> nb = predict_notebook(seed=1)
    >>> sum(1 for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade"))
    6
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import Any

__all__ = ["ASSIGNMENT", "guide", "solutions", "tasks_notebook", "predict_notebook",
           "write_course", "setup_nbgrader", "missing_packages"]

#: the assignment's name (``nbgrader generate_assignment cgiter``)
ASSIGNMENT = "cgiter"
#: the seed of the predict questions
SEED = 1

SETUP = """\
# what the lessons import (read-only)
import errno
from cgiter_edu import Order, kernel_walks, programs, run, shapes
from cgiter_edu.course.questions import question
from cgiter_edu.course.handson import check
"""


def guide() -> Path:
    """docs/teaching.md of this checkout (the teacher's answer key)."""
    return Path(__file__).resolve().parents[2] / "docs" / "teaching.md"


def solutions(path: Path | None = None) -> dict[str, str]:
    """Every ``### Solution: NAME`` Python block of the teacher's guide, by name.

    >>> sorted(solutions())[:3]
    ['first_match', 'first_read', 'fits']
    """
    path = path or guide()
    if not path.exists():
        raise FileNotFoundError(f"{path}: no teacher's guide (docs/teaching.md of a "
                                "checkout of cgiter_edu; --guide PATH names another)")
    text = path.read_text()
    return {m.group(1): m.group(2) for m in
            re.finditer(r"^### Solution: (\w+)\n.*?```python\n(.*?)```", text, re.S | re.M)}


def _cell(kind: str, source: str, grade_id: str, *, solution: bool = False,
          points: int = 0) -> Any:
    import nbformat.v4 as v4

    make = v4.new_code_cell if kind == "code" else v4.new_markdown_cell
    cell = make(source.rstrip("\n"))
    cell.metadata["nbgrader"] = {"grade": points > 0, "solution": solution,
                                 "locked": not solution, "grade_id": grade_id,
                                 "schema_version": 3, **({"points": points} if points else {})}
    return cell


def _notebook(cells: list) -> Any:
    import nbformat.v4 as v4

    nb = v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    return nb


def tasks_notebook(sols: dict[str, str] | None = None) -> Any:
    """The end-of-lesson tasks and lesson 7's programs: per task, its text and starter
    (read-only), a solution cell (the guide's solution) and a test cell (1 point) that
    runs :func:`cgiter_edu.course.handson.check`."""
    from .handson import NAMES, TASK_NAMES, exercise

    sols = solutions() if sols is None else sols
    cells = [_cell("markdown", "# cgroup_iter: the graded tasks\n\nEach task: write the "
                   "code in the cell below it, run it, then run the test cell under it: it "
                   "runs `check(...)`, the checker the lessons use, and says what is wrong "
                   "and a hint.", "intro"),
             _cell("code", SETUP, "setup")]
    for name in (*TASK_NAMES, *NAMES):
        ex = exercise(name)
        if name not in sols:
            raise KeyError(f"the teacher's guide has no '### Solution: {name}'")
        start = ("\n\nStart from:\n\n```python\n" + ex.starter.rstrip("\n") + "\n```"
                 if ex.starter else "")
        cells.append(_cell("markdown", f"## Lesson {ex.lesson}: {ex.title} (`{name}`)\n\n"
                           f"{ex.task}{start}", f"{name}_task"))
        cells.append(_cell("code", "### BEGIN SOLUTION\n" + sols[name].rstrip("\n")
                           + "\n### END SOLUTION", f"{name}_solution", solution=True))
        cells.append(_cell("code", f"result = check({name!r}, {name})\nprint(result)\n"
                           "assert result.passed, 'not yet: see the lines above'",
                           f"{name}_test", points=1))
    return _notebook(cells)


def predict_notebook(seed: int = SEED) -> Any:
    """One predict question of each kind (:func:`cgiter_edu.course.questions.question`,
    ``seed``): the question (read-only), an answer cell (``answer_KIND = ...``) and a
    test cell (1 point) that runs the question's own ``check``."""
    from .questions import KINDS, question

    cells = [_cell("markdown", "# cgroup_iter: predict, then check\n\nWrite each answer as "
                   "a string, e.g. `answer_order = \"5 6\"`, the way `cgiter-edu quiz` "
                   "takes it.", "intro"),
             _cell("code", "from cgiter_edu.course.questions import question", "setup")]
    for kind in KINDS:
        q = question(seed, kind)
        cells.append(_cell("markdown", f"## {kind}\n\n```\n{q.text}\n```",
                           f"{kind}_question"))
        cells.append(_cell("code", f"### BEGIN SOLUTION\nanswer_{kind} = {q.answer_text!r}\n"
                           "### END SOLUTION", f"{kind}_answer", solution=True))
        cells.append(_cell("code", f"q = question({seed}, {kind!r})\n"
                           f"assert q.check(answer_{kind}), 'not yet. Hint: ' + q.hint",
                           f"{kind}_test", points=1))
    return _notebook(cells)


CONFIG = """\
c = get_config()  # noqa
c.CourseDirectory.course_id = "cgiter_edu"
c.CourseDirectory.db_url = "sqlite:///{root}/gradebook.db"
c.ExecutePreprocessor.timeout = 300
"""


def write_course(root: Path, guide_path: Path | None = None, seed: int = SEED) -> list[Path]:
    """Write the course directory (module docstring) under ``root``; the files written."""
    import nbformat

    from ..outfile import atomic_output, check_output

    sols = solutions(guide_path)
    src = root / "source" / ASSIGNMENT
    out = [root / "nbgrader_config.py", src / "tasks.ipynb", src / "predict.ipynb"]
    for f in out:                       # each a regular file or a new name, checked first
        if f.parent.is_dir():
            check_output(f, "writing")
    src.mkdir(parents=True, exist_ok=True)
    with atomic_output(out[0], "writing") as tmp:       # each written whole or not at all
        tmp.write_text(CONFIG.format(root=root.resolve()))
    for nb, f in ((tasks_notebook(sols), out[1]), (predict_notebook(seed), out[2])):
        with atomic_output(f, "writing") as tmp:
            nbformat.write(nb, str(tmp))
    return out


def setup_nbgrader(p: argparse.ArgumentParser) -> None:
    """``cgiter-edu nbgrader DIR``."""
    p.description = ("Write the course's graded exercises as an nbgrader course directory: "
                     "DIR/source/cgiter/ with tasks.ipynb (the end-of-lesson tasks and "
                     "lesson 7's programs) and predict.ipynb (a predict question of each "
                     "kind).  Solutions come from the teacher's guide, tests call the "
                     "same check(...) as the lessons.")
    p.epilog = ("then, in DIR:\n  nbgrader generate_assignment cgiter    # release/: the "
                "students' notebooks\n  nbgrader autograde cgiter              # grades "
                "submitted/STUDENT/cgiter/")
    p.formatter_class = argparse.RawDescriptionHelpFormatter
    p.add_argument("dir", help="the course directory to write (made if missing)")
    p.add_argument("--guide", type=Path, default=None,
                   help="the teacher's guide with the solutions (default: docs/teaching.md "
                   "of this checkout)")
    from ..clihelpers import add_number

    add_number(p, "--seed", lo=0, hi=2 ** 64 - 1, default=SEED,
               why="a seed is an unsigned 64-bit number",
               help="the predict questions' seed")
    p.set_defaults(func=_cmd)


#: what ``cgiter-edu nbgrader`` and the steps after it need (the ``class`` extra of
#: pyproject.toml): import name -> what pip installs
CLASS_PACKAGES = {"nbformat": "nbformat", "nbgrader": "nbgrader"}

EXTRA = "pip install -e '.[class]' in the checkout, or pip install 'cgiter_edu[class]'"


def missing_packages() -> list[str]:
    """The packages of :data:`CLASS_PACKAGES` not installed here (what pip installs)."""
    import importlib.util
    import sys

    def absent(mod: str) -> bool:
        if mod in sys.modules:
            return sys.modules[mod] is None         # None: an import known to fail
        try:
            return importlib.util.find_spec(mod) is None
        except (ImportError, ValueError):
            return True

    return [pip for mod, pip in CLASS_PACKAGES.items() if absent(mod)]


def _cmd(args: argparse.Namespace) -> int:
    import sys

    missing = missing_packages()
    if "nbformat" in missing:           # needed to write the notebooks: said up front
        print(f"cgiter-edu nbgrader: the assignment needs the 'class' extra "
              f"({', '.join(missing)} missing here): {EXTRA}", file=sys.stderr)
        return 1
    from ..outfile import check_folder

    check_folder(args.dir, "the course directory")     # '' is no folder, nor a file
    try:
        files = write_course(Path(args.dir), args.guide, args.seed)
    except (OSError, KeyError) as e:
        from ..clihelpers import oserror_text

        where = f"{e.filename}: " if isinstance(e, OSError) and e.filename else ""
        print(f"cgiter-edu nbgrader: {where}{oserror_text(e)}", file=sys.stderr)
        return 1
    for f in files:
        print(f)
    if missing:                         # written; the next steps need nbgrader itself
        print(f"cgiter-edu nbgrader: wrote the assignment; nbgrader is not installed here "
              f"to generate and grade it: {EXTRA}", file=sys.stderr)
    return 0
