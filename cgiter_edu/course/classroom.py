"""Seeds for a class: one per student, the kinds of question balanced.

Student ``i`` (from 1) gets seed ``first_seed + i - 1`` and, for the 90-minute class,
the kind ``KINDS[(i - 1) % 6]`` (all six kinds, 7 or 6 students each for 40); for the
45-minute class, which reaches lesson 4, one of the four kinds lessons 2 to 4 teach
(``order``, ``reads``, ``capacity``, ``never``: 10 students each for 40).  Every seed
makes a different tree and different numbers (:mod:`cgiter_edu.course.questions`), so
neighbours do not share an answer.  :func:`markdown_table` is the table in
docs/teaching.md.

Example::

    >>> class_list(3)
    [(1, 101, 'order', 'order'), (2, 102, 'reads', 'reads'), (3, 103, 'capacity', 'capacity')]
    >>> from collections import Counter
    >>> sorted(Counter(r[3] for r in class_list(40)).values())
    [6, 6, 7, 7, 7, 7]
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from .questions import KINDS

#: the kinds lessons 0 to 4 teach (the 45-minute class)
SHORT_KINDS = ("order", "reads", "capacity", "never")


def class_list(n: int = 40, first_seed: int = 101) -> list[tuple[int, int, str, str]]:
    """Each student's seed and question kinds for a class.

    Parameters
    ----------
    n : int, default 40
        How many students.
    first_seed : int, default 101
        The first student's seed (the next ones count up).

    Returns
    -------
    list of (int, int, str, str)
        ``(student, seed, kind in the 45-minute class, kind in the 90-minute class)``.

    Raises
    ------
    ValueError
        ``n`` below 1 or a negative ``first_seed``.

    Examples
    --------
    >>> class_list(2)
    [(1, 101, 'order', 'order'), (2, 102, 'reads', 'reads')]
    """
    if n < 1 or first_seed < 0:
        raise ValueError(f"n must be >= 1 and first_seed >= 0, not {n}, {first_seed}")
    return [(i, first_seed + i - 1, SHORT_KINDS[(i - 1) % len(SHORT_KINDS)],
             KINDS[(i - 1) % len(KINDS)]) for i in range(1, n + 1)]


def markdown_table(n: int = 40, first_seed: int = 101) -> str:
    """The class list as a Markdown table.

    One row per student: the seed, the two kinds and the command a student types for
    the 90-minute kind.

    Parameters
    ----------
    n : int, default 40
        How many students.
    first_seed : int, default 101
        The first student's seed.

    Returns
    -------
    str
        The table.

    Examples
    --------
    >>> print(markdown_table(1))
    | student | seed | 45 min | 90 min | in a terminal (90 min) |
    |---|---|---|---|---|
    | 1 | 101 | order | order | `cgiter-edu quiz --seed 101 --kind order` |
    """
    rows = ["| student | seed | 45 min | 90 min | in a terminal (90 min) |",
            "|---|---|---|---|---|"]
    for i, seed, short, long in class_list(n, first_seed):
        rows.append(f"| {i} | {seed} | {short} | {long} | "
                    f"`cgiter-edu quiz --seed {seed} --kind {long}` |")
    return "\n".join(rows)


def quiz_key(cells: list[tuple]) -> str:
    """The answers of the lessons' ``Quiz(...)`` cells, as a Markdown table.

    Each answer is the question's own (:func:`cgiter_edu.course.questions.question`),
    as **Check** accepts it.

    Parameters
    ----------
    cells : list of tuple
        ``(lesson, seed, kind)`` or ``(lesson, seed, kind, quiz_lesson)`` (the cell's
        ``lesson=``, None when it has none), as :func:`quiz_cells` gives them.

    Returns
    -------
    str
        The table.

    Examples
    --------
    >>> print(quiz_key([("03", 31, "capacity", 3)]))
    | lesson | cell | answer |
    |---|---|---|
    | 03 | `Quiz(seed=31, kind="capacity", lesson=3)` | `1023` |
    """
    from .questions import question

    rows = ["| lesson | cell | answer |", "|---|---|---|"]
    for lesson, seed, kind, *at in cells:
        quiz_lesson = at[0] if at else None
        answer = question(seed, kind, quiz_lesson).answer_text.replace("|", "\\|")
        arg = "" if quiz_lesson is None else f", lesson={quiz_lesson}"
        rows.append(f"| {lesson} | `Quiz(seed={seed}, kind=\"{kind}\"{arg})` | `{answer}` |")
    return "\n".join(rows)


def quiz_cells(notebooks: str | os.PathLike) -> list[tuple[str, int, str, int | None]]:
    """Every ``Quiz(seed=..., kind=..., lesson=...)`` cell of the lessons in a folder.

    Parameters
    ----------
    notebooks : str or path-like
        The folder of the lessons (``NN-name.ipynb``).

    Returns
    -------
    list of (str, int, str, int or None)
        ``(lesson, seed, kind, quiz_lesson)`` in lesson and cell order
        (``quiz_lesson``: the cell's ``lesson=``, None without one).

    Examples
    --------
    >>> quiz_cells("notebooks")[0]              # doctest: +SKIP
    ('00', 1, 'order', 0)
    """
    import json

    cells = []
    for p in sorted(Path(notebooks).glob("[0-9][0-9]-*.ipynb")):
        for c in json.loads(p.read_text())["cells"]:
            src = "".join(c["source"]) if isinstance(c["source"], list) else c["source"]
            for seed, kind, at in re.findall(
                    r'Quiz\(seed=(\d+), kind="(\w+)"(?:, lesson=(\d+))?\)', src):
                cells.append((p.name[:2], int(seed), kind, int(at) if at else None))
    return cells


def update_quiz_key(guide: str | os.PathLike = "docs/teaching.md",
                    notebooks: str | os.PathLike = "notebooks") -> bool:
    """Rewrite the Quiz cells' table in the teacher's guide from the lessons as they are.

    Run it after a lesson's Quiz cell or a kind of question changed, in a checkout.

    Parameters
    ----------
    guide : str or path-like, default "docs/teaching.md"
        The teacher's guide holding the table.
    notebooks : str or path-like, default "notebooks"
        The folder of the lessons.

    Returns
    -------
    bool
        True if the table changed.

    Raises
    ------
    ValueError
        The guide has no such table.

    Examples
    --------
    >>> update_quiz_key()                       # doctest: +SKIP
    False
    """
    path = Path(guide)
    text = path.read_text()
    head = "| lesson | cell | answer |\n|---|---|---|\n"
    start = text.index(head)
    end = start + len(head)
    while text.startswith("| ", end):
        end = text.index("\n", end) + 1
    new = text[:start] + quiz_key(quiz_cells(notebooks)) + "\n" + text[end:]
    if new != text:
        path.write_text(new)
    return new != text
