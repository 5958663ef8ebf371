"""The course: the lessons' predict questions and Quiz, the programs and tasks a student
writes and checks, seeds for a class, slide decks and the nbgrader assignment.

* :mod:`~cgiter_edu.course.questions`: seeded questions that check themselves
  (:func:`question`, ``cgiter-edu quiz``); the six kinds are in
  :mod:`~cgiter_edu.course.questions.kinds`, the seeded generator and
  :class:`Question` in :mod:`~cgiter_edu.course.questions.base`;
* :mod:`~cgiter_edu.course.quiz`: the :class:`Quiz` widget of the lessons (ipywidgets);
* :mod:`~cgiter_edu.course.handson`: :func:`check`, which runs a student's program or
  function on the emulator and says what is wrong and a hint; lesson 7's three programs;
* :mod:`~cgiter_edu.course.tasks`: the task at the end of each lesson, checked by
  :func:`check`;
* :mod:`~cgiter_edu.course.classroom`: one seed per student, the Quiz cells' answer key;
* :mod:`~cgiter_edu.course.slides`: the lessons as offline reveal.js decks and a PDF
  (``cgiter-edu slides``);
* :mod:`~cgiter_edu.course.nbgrader`: the graded tasks as an nbgrader assignment
  (``cgiter-edu nbgrader``).

The names below load their module when first used, so ``import cgiter_edu.course`` loads
neither ipywidgets nor matplotlib.

Example::

    >>> from cgiter_edu.course import check, question
    >>> q = question(7, "capacity")
    >>> q.check(q.answer_text)
    True
    >>> check("names", lambda ctx: 0).passed
    False
"""

from __future__ import annotations

from cgiter_edu.lazy import lazy_exports

_NAMES = {
    "question": "questions", "Question": "questions",
    "Rng": "questions", "KINDS": "questions", "ALL_KINDS": "questions",
    "Quiz": "quiz",
    "check": "handson", "exercise": "handson", "cases": "handson", "lesson_tree": "handson",
    "c_source": "handson", "on_kernel": "handson", "Exercise": "handson", "Result": "handson",
    "NAMES": "handson", "TASK_NAMES": "handson",
}

__all__ = sorted(_NAMES)


__getattr__, __dir__ = lazy_exports(__name__, _NAMES, globals())
