"""Seeded questions that check themselves (the Quiz's exercises), in the style of OSTEP's
homework scripts.

A seed and a kind make one :class:`Question`: a small hierarchy, a walk to predict, the
answer and an explanation.  The same seed gives the same question on any machine and
any Python (the generator is a fixed 64-bit splitmix, not :mod:`random`); different
seeds give different trees and numbers.  Every answer and every explanation is read
from what the emulator did (the walk's :class:`~cgiter_edu.trace.Trace` and the bytes
and errnos its read() calls gave): nothing here walks a hierarchy itself.

Kinds (:data:`KINDS`):

* ``order``: the ids the program is called on, for an order and a start cgroup;
* ``reads``: what each read() returns (byte counts and errnos) for a record size, a
  page size and a read size;
* ``capacity``: how many records of a size fit in one session;
* ``never``: which cgroups the program never runs on, when the walk is cut;
* ``seq_num``: the ``seq_num`` a cgroup's record carries, with dead cgroups around;
* ``format``: what ``bpf_seq_printf`` prints for a format and its arguments;

and, asked for by name (:data:`ALL_KINDS`), lesson 9's

* ``ring``: how many records an open-coded walk loses to a full BPF ring buffer.

Example::

    >>> from cgiter_edu.course.questions import question
    >>> q = question(7, "capacity")
    >>> q.kind, q.seed, q.check(q.answer_text)
    ('capacity', 7, True)
    >>> question(7, "capacity").text == q.text        # the same seed, the same question
    True

On the command line: ``cgiter-edu quiz --seed 7`` prints a question, ``--answer`` adds
the answer and its explanation.
"""

from __future__ import annotations

from typing import Any

from .base import Question, Rng, Setup
from .kinds import MAKERS as _MAKERS
from .kinds import ORDERED as _ORDERED

#: the kinds of question, in the order the lessons meet them (a seed with no kind picks
#: one of these; the class seed list of docs/teaching.md cycles through them)
KINDS = ("order", "reads", "capacity", "never", "seq_num", "format")
#: every kind, lesson 9's too (``ring``: records an open-coded walk loses to a full ring
#: buffer); asked for by name
ALL_KINDS = (*KINDS, "ring")

#: what each lesson teaches that a question may ask about: ``lesson -> (kinds, orders)``,
#: the kinds of question it adds and the orders it adds (an order's value, as
#: :class:`~cgiter_edu.Order`).  Lessons 0 and 1 walk in pre-order
#: only (lesson 0 from a cgroup below the root); lesson 2 teaches all five orders
#: (CHILDREN on Linux 7.0); lesson 3 the 8-page buffer; lesson 4 the read() size and the
#: cgroups a cut walk never reaches; lesson 6 dead cgroups and seq_num; lesson 7
#: bpf_seq_printf's formats; lesson 9 the ring buffer.
TAUGHT: dict[int, tuple[tuple[str, ...], tuple[int, ...]]] = {
    0: (("order",), (2,)), 1: ((), ()), 2: ((), (3, 4, 1, 5)), 3: (("capacity",), ()),
    4: (("reads", "never"), ()), 5: ((), ()), 6: (("seq_num",), ()), 7: (("format",), ()),
    8: ((), ()), 9: (("ring",), ()),
}
#: the lessons, 0 to 9
LESSONS = tuple(TAUGHT)


def lesson_kinds(lesson: int) -> tuple[str, ...]:
    """The kinds of question a lesson and the lessons before it taught, in the order the
    lessons meet them.

    Parameters
    ----------
    lesson : int
        0 to 9.

    Returns
    -------
    tuple of str
        The kinds.

    Raises
    ------
    ValueError
        A lesson that is not one.

    Examples
    --------
    >>> lesson_kinds(0), lesson_kinds(4)
    (('order',), ('order', 'capacity', 'reads', 'never'))
    """
    _check_lesson(lesson)
    return tuple(k for n in LESSONS if n <= lesson for k in TAUGHT[n][0])


def lesson_orders(lesson: int) -> tuple[int, ...]:
    """The orders (their values) a lesson and the lessons before it taught.

    Parameters
    ----------
    lesson : int
        0 to 9.

    Returns
    -------
    tuple of int
        The orders' values.

    Raises
    ------
    ValueError
        A lesson that is not one.

    Examples
    --------
    >>> lesson_orders(1), lesson_orders(2)
    ((2,), (2, 3, 4, 1, 5))
    """
    _check_lesson(lesson)
    return tuple(o for n in LESSONS if n <= lesson for o in TAUGHT[n][1])


def _check_lesson(lesson: int) -> None:
    if isinstance(lesson, bool) or lesson not in TAUGHT:
        raise ValueError(f"lesson must be one of {LESSONS[0]}..{LESSONS[-1]}, not {lesson!r}")


def question(seed: int, kind: str | None = None, lesson: int | None = None) -> Question:
    """The question of a seed: the same seed always gives the same question.

    Parameters
    ----------
    seed : int
        Any int >= 0.
    kind : str, optional
        One of :data:`KINDS`, or None to let the seed choose.
    lesson : int, optional
        0 to 9: only what that lesson and the lessons before it taught
        (:func:`lesson_kinds`, :func:`lesson_orders`): the seed chooses among those
        kinds, and an order question walks only in the orders taught so far.

    Returns
    -------
    Question
        Its text, answer, checker, hint and explanation (from the emulator's trace) and
        the walk it is about (``setup``).

    Raises
    ------
    ValueError
        A negative seed, an unknown kind, or a kind the lesson does not teach yet.

    Examples
    --------
    >>> question(1).kind in KINDS, question(5, "seq_num").kind
    (True, 'seq_num')
    >>> question(1, lesson=0).kind, question(1, lesson=0).setup.order
    ('order', 2)
    """
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be an int >= 0, not {seed!r}")
    kinds, orders = KINDS, None
    if lesson is not None:
        kinds, orders = lesson_kinds(lesson), lesson_orders(lesson)
    if kind is None:
        kind = kinds[Rng(seed, "kind").below(len(kinds))]
    if kind not in _MAKERS:
        raise ValueError(f"unknown kind {kind!r}: one of {', '.join(ALL_KINDS)}")
    if lesson is not None and kind not in kinds:
        first = next(n for n in LESSONS if kind in TAUGHT[n][0])
        raise ValueError(f"lesson {lesson} does not ask {kind!r} questions: lesson {first} "
                         f"teaches them (lesson {lesson} asks: {', '.join(kinds)})")
    maker = _MAKERS[kind]
    q = (maker(seed, Rng(seed, kind), orders=orders) if kind in _ORDERED
         else maker(seed, Rng(seed, kind)))
    q.lesson = lesson
    q.text = _fill(q.text)
    q.explanation = _fill(q.explanation)
    return q


def _fill(text: str, width: int = 78) -> str:
    """Wrap the long lines of prose at ``width`` (trees, code and records stay as they are)."""
    import textwrap

    return "\n".join(textwrap.fill(line, width, break_on_hyphens=False,
                                   break_long_words=False)
                     if len(line) > width and not line.startswith(" ") else line
                     for line in text.split("\n"))


def questions(seed: int, kinds: tuple[str, ...] | None = None,
              lesson: int | None = None) -> list[Question]:
    """One question of each kind for a student's seed (a homework sheet).

    Parameters
    ----------
    seed : int
        The student's seed.
    kinds : tuple of str, optional
        The kinds (default :data:`KINDS`, or with ``lesson`` the kinds taught up to it).
    lesson : int, optional
        Only what that lesson and the ones before it taught.

    Returns
    -------
    list of Question
        One per kind, in that order.

    Examples
    --------
    >>> [q.kind for q in questions(5, lesson=3)]
    ['order', 'capacity']
    """
    if kinds is None:
        kinds = KINDS if lesson is None else lesson_kinds(lesson)
    return [question(seed, k, lesson) for k in kinds]


EPILOG_QUIZ = """\
examples:
  cgiter-edu quiz --seed 42                  # the seed picks the kind
  cgiter-edu quiz --seed 42 --kind capacity  # or choose it: """ + ", ".join(ALL_KINDS) + """
  cgiter-edu quiz --seed 42 --answer         # the answer and why (computed by the emulator)
  cgiter-edu quiz --seed 42 --all            # one question of each kind: a homework sheet
  cgiter-edu quiz --seed 42 --check '3 5 7'  # check an answer (exit status 0 if right)
  cgiter-edu quiz --seed 42 --lesson 1       # only what lessons 0 and 1 taught (the
                                             # lesson's Quiz cell: Quiz(seed=42, lesson=1))

A teacher hands every student a different seed; the same seed gives the same question
on any machine.
"""


def setup_quiz(q: Any) -> None:
    """Add the arguments of ``cgiter-edu quiz`` to its parser.

    Parameters
    ----------
    q : argparse.ArgumentParser
        The subcommand's parser (the main CLI made it).

    Examples
    --------
    >>> import argparse
    >>> p = argparse.ArgumentParser(); setup_quiz(p)
    >>> p.parse_args(["--seed", "7", "--kind", "capacity"]).kind
    'capacity'
    """
    q.description = ("Print an exercise generated from a seed: predict what cgroup_iter "
                     "does, then check with --answer or --check.")
    q.epilog = EPILOG_QUIZ
    from ...clihelpers import add_number

    add_number(q, "--seed", lo=0, hi=2 ** 64 - 1, required=True,
               why="a seed is an unsigned 64-bit number",
               help="the exercise's seed: the same seed, the same question")
    q.add_argument("--kind", choices=ALL_KINDS, default=None,
                   help="the kind of question (default: the seed chooses)")
    add_number(q, "--lesson", lo=0, hi=LESSONS[-1], default=None,
               why="the lessons are numbered 0 to 9",
               help="ask only what this lesson and the ones before it taught: its kinds "
                    "and, before lesson 2, pre-order walks only (default: every kind, "
                    "every order)")
    q.add_argument("--all", action="store_true",
                   help="one question of each kind (of the lesson's kinds, with --lesson)")
    q.add_argument("--answer", "-c", action="store_true",
                   help="also print the answer and its explanation (OSTEP's -c)")
    q.add_argument("--check", default=None, metavar="ANSWER",
                   help="check this answer: prints right or wrong (exit status 0 or 1)")
    q.add_argument("--json", action="store_true",
                   help="print question, answer and explanation as JSON")
    q.set_defaults(func=cmd_quiz)


def cmd_quiz(args: Any) -> int:
    """Run ``cgiter-edu quiz``."""
    import json

    from ...clihelpers import CliError

    if args.seed < 0:
        raise CliError(f"--seed {args.seed}: a seed is an int >= 0")
    if args.all and args.kind:
        raise CliError("give --all or --kind, not both")
    lesson = getattr(args, "lesson", None)
    try:
        qs = (questions(args.seed, lesson=lesson) if args.all
              else [question(args.seed, args.kind, lesson)])
    except ValueError as e:
        raise CliError(f"--kind {args.kind}: {e}") from None
    if args.json:
        print(json.dumps([{"seed": q.seed, "kind": q.kind, "question": q.text,
                           "answer": q.answer, "answer_text": q.answer_text,
                           "explanation": q.explanation} for q in qs], indent=1))
        return 0
    status = 0
    for i, q in enumerate(qs):
        if i:
            print()
        print(q.text)
        if args.check is not None:
            ok = q.check(args.check)
            status |= 0 if ok else 1
            print(f"\n{'right' if ok else 'wrong'}: {args.check!r}")
        if args.answer:
            print(f"\nAnswer: {q.answer_text}\n\nWhy (from the emulator's trace):\n"
                  f"{q.explanation}")
        elif args.check is None:
            at = "" if lesson is None else f" --lesson {lesson}"
            print(f"\n(hint: {q.hint}  Answer: cgiter-edu quiz --seed {q.seed} "
                  f"--kind {q.kind}{at} --answer)")
    return status


__all__ = ["ALL_KINDS", "KINDS", "LESSONS", "TAUGHT", "Question", "lesson_kinds", "lesson_orders", "Rng", "Setup", "question", "questions",
           "setup_quiz"]
