"""The quiz widget of the lessons: a seeded exercise, an answer box, Check, the
explanation drawn from the emulator's trace, and "Show me" to play that walk.

Core ipywidgets only; importing :mod:`cgiter_edu` does not load this module.

Example (in a notebook)::

    from cgiter_edu.course.quiz import Quiz
    Quiz(seed=7, kind="capacity")        # displays itself
    Quiz(seed=7, lesson=3)               # a lesson's quiz: only what lessons 0-3 taught
"""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as W

from .questions import ALL_KINDS, Question, lesson_kinds, question


def open_explorer(q: Question) -> Any:
    """The explorer on a question's walk, at the walk's end (what "Show me" opens).

    Parameters
    ----------
    q : Question
        The question (:func:`cgiter_edu.course.questions.question`).

    Returns
    -------
    cgiter_edu.widgets.Explorer
        The explorer with the question's tree, order, start, program, page size,
        read() size and kernel (Linux 7.0 for a CHILDREN question, as it was asked).

    Examples
    --------
    >>> from cgiter_edu.course.questions import question
    >>> open_explorer(question(7, "capacity")).frame.level in ("end", "cut")
    True
    """
    from ..widgets import Explorer

    s = q.setup
    version = ".".join(str(x) for x in s.kernel.version[:2])    # 7.0 for CHILDREN
    return Explorer(tree=s.hierarchy(), order=s.order, start=s.start or "/",
                    program=s.program, page_size=s.page_size, read_size=s.read_size,
                    kernel=version, step="end")


class Quiz(W.VBox):
    """One seeded exercise with its checker, a widget you ``display()``.

    The seed box and "New question" make more.  ``answer`` (the text box),
    ``check_button``, ``feedback`` and ``show_me_box`` are attributes so a test (or a
    teacher) can drive it.

    Parameters
    ----------
    seed : int, default 0
        The question's seed, as in :func:`cgiter_edu.course.questions.question`.
    kind : str, optional
        One of :data:`~cgiter_edu.course.questions.KINDS` (None: the seed chooses).
    lesson : int, optional
        A lesson's quiz: the kind menu and every new question hold to what that lesson
        and the lessons before it taught
        (:func:`cgiter_edu.course.questions.lesson_kinds`; before lesson 2, pre-order
        walks only).
    **kwargs
        Passed to :class:`ipywidgets.VBox`.

    Raises
    ------
    ValueError
        A negative seed, an unknown kind, or a kind the lesson does not teach yet.

    Examples
    --------
    >>> q = Quiz(seed=7, kind="capacity")
    >>> q.answer.value = q.question.answer_text
    >>> q.check()
    True
    """

    def __init__(self, seed: int = 0, kind: str | None = None, lesson: int | None = None,
                 **kwargs: Any) -> None:
        self.lesson = lesson
        kinds = ALL_KINDS if lesson is None else lesson_kinds(lesson)
        self.question: Question = question(seed, kind or None, lesson)
        self.seed_box = W.BoundedIntText(value=seed, min=0, max=2**31 - 1, description="seed",
                                         layout=W.Layout(width="180px"))
        self.kind_box = W.Dropdown(options=[("any kind", "")] + [(k, k) for k in kinds],
                                   value=kind or "", description="kind",
                                   layout=W.Layout(width="220px"))
        self.new_button = W.Button(description="New question", icon="refresh")
        self.text = W.HTML()
        self.answer = W.Text(placeholder="your answer", layout=W.Layout(width="420px"))
        self.check_button = W.Button(description="Check", button_style="primary")
        self.reveal_button = W.Button(description="Reveal answer")
        self.show_me_button = W.Button(description="Show me the walk", icon="play")
        self.feedback = W.HTML()
        self.score = W.HTML()
        self.show_me_box = W.VBox()
        #: questions answered, and how many were right at the first try
        self.tries = 0
        self.first_try_right = 0
        super().__init__([W.HBox([self.seed_box, self.kind_box, self.new_button]), self.text,
                          W.HBox([self.answer, self.check_button, self.reveal_button,
                                  self.show_me_button]),
                          self.feedback, self.score, self.show_me_box], **kwargs)
        self.add_class("cgiter-quiz")          # the book's pictures find it by this
        self.new_button.on_click(lambda _b: self.new())
        self.check_button.on_click(lambda _b: self.check())
        self.reveal_button.on_click(lambda _b: self.reveal())
        self.show_me_button.on_click(lambda _b: self.show_me())
        self._show()

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        """The widget, plus a static HTML copy of the question for pages without a
        widget manager (the slide decks, nbconvert's HTML)."""
        data = super()._repr_mimebundle_(**kwargs)
        if isinstance(data, tuple):
            data = data[0]
        if data is None:
            return None
        data = dict(data)
        at = "" if self.lesson is None else f" --lesson {self.lesson}"
        data["text/html"] = (f"<div class='cgiter-quiz'><b>Exercise (seed "
                             f"{self.question.seed}, {self.question.kind})</b>"
                             f"{self.text.value}<i>Answer in the notebook (Check), or: "
                             f"cgiter-edu quiz --seed {self.question.seed} "
                             f"--kind {self.question.kind}{at}</i></div>")
        return data

    def _show(self) -> None:
        q = self.question
        self.text.value = (f"<pre style='font-size:0.95em;line-height:1.25'>"
                           f"{html.escape(q.text)}</pre>")
        self.answer.value = ""
        self.feedback.value = ""
        self.show_me_box.children = ()
        self._checks = 0                      # checks of this question so far
        self.reveal_button.disabled = True    # the answer only after a first try
        self.reveal_button.tooltip = "after a first try"
        self._show_score()

    def _show_score(self) -> None:
        n = self.tries
        self.score.value = (f"<small>score: {self.first_try_right} of {n} question"
                            f"{'' if n == 1 else 's'} right at the first try</small>"
                            if n else "")

    def new(self, seed: int | None = None) -> None:
        """Load the question of a seed and the kind box.

        Parameters
        ----------
        seed : int, optional
            The new seed (default: the seed box's).

        Examples
        --------
        >>> q = Quiz(seed=1, kind="order"); q.new(2); q.question.seed
        2
        """
        if seed is not None:
            self.seed_box.value = seed
        self.question = question(int(self.seed_box.value), self.kind_box.value or None,
                                 self.lesson)
        self._show()

    def check(self) -> bool:
        """Check the answer box; say right or wrong (and why, when right).

        Returns
        -------
        bool
            Whether the answer is right.

        Examples
        --------
        >>> q = Quiz(seed=7, kind="capacity"); q.answer.value = "no idea"
        >>> q.check(), "Not quite" in q.feedback.value
        (False, True)
        """
        q = self.question
        ok = q.check(self.answer.value)
        if self._checks == 0 and self.answer.value.strip():
            self.tries += 1
            self.first_try_right += ok
        if self.answer.value.strip():
            self._checks += 1
            self.reveal_button.disabled = False
            self.reveal_button.tooltip = ""
        self._show_score()
        if ok:
            self.feedback.value = ("<p style='color:#009E73'><b>Right.</b></p>"
                                   + _pre(q.explanation))
        else:
            self.feedback.value = (f"<p style='color:#D55E00'><b>Not quite.</b> Hint: "
                                   f"{html.escape(q.hint)}</p>")
        return ok

    def reveal(self) -> None:
        """Show the answer and the explanation (only after a first try: before it, say so).

        Examples
        --------
        >>> q = Quiz(seed=7, kind="capacity"); q.reveal(); "Try first" in q.feedback.value
        True
        """
        q = self.question
        if self._checks == 0:
            self.feedback.value = "<p>Try first: type your answer and press Check.</p>"
            return
        self.feedback.value = (f"<p><b>Answer:</b> <code>{html.escape(q.answer_text)}</code>"
                               "</p>" + _pre(q.explanation))

    def show_me(self) -> None:
        """Open the explorer on the question's walk, below the question.

        Examples
        --------
        >>> q = Quiz(seed=7, kind="capacity"); q.show_me()
        >>> type(q.show_me_box.children[0]).__name__
        'Explorer'
        """
        self.show_me_box.children = (open_explorer(self.question),)


def _pre(text: str) -> str:
    return f"<pre style='white-space:pre-wrap'>{html.escape(text)}</pre>"


__all__ = ["Quiz", "open_explorer"]
