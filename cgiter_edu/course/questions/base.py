"""What every exercise is made of: the seeded generator, the setup of its walk, the question.

:class:`Rng` is the fixed 64-bit splitmix every question draws its numbers from (the same
seed, the same numbers on any machine and Python); :class:`Setup` holds what is needed to
run a question's walk again on the emulator; :class:`Question` is one exercise with its
answer, explanation and :meth:`~Question.check`, which reads a student's typed answer with
the parsers at the end of this module.  The kinds of question are in
:mod:`cgiter_edu.course.questions.kinds`; :mod:`cgiter_edu.course.questions` is the public face.

Example::

    >>> r = Rng(7, "order")
    >>> r.between(1, 6) == Rng(7, "order").between(1, 6)
    True
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ... import KernelConfig
from ...hierarchy import Hierarchy
from ...run import RunResult, run
from ...trace import Trace

_MASK = (1 << 64) - 1


class Rng:
    """splitmix64: the same numbers from the same seed on every machine and Python.

    Parameters
    ----------
    seed : int
        The seed (taken modulo 2**64).
    salt : str, optional
        Mixed in byte by byte: one seed gives independent streams per salt.

    Examples
    --------
    >>> Rng(1).below(100), Rng(1).below(100) == Rng(1).below(100)
    (65, True)
    """

    def __init__(self, seed: int, salt: str = "") -> None:
        s = seed & _MASK
        for ch in salt.encode():                 # mix the kind in, byte by byte
            s = (s * 0x100000001B3 ^ ch) & _MASK
        self.state = s

    def next64(self) -> int:
        self.state = (self.state + 0x9E3779B97F4A7C15) & _MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
        return z ^ (z >> 31)

    def below(self, n: int) -> int:
        """An int in ``[0, n)``."""
        return self.next64() % n

    def between(self, lo: int, hi: int) -> int:
        """An int in ``[lo, hi]``."""
        return lo + self.below(hi - lo + 1)

    def choice(self, seq: Any) -> Any:
        return seq[self.below(len(seq))]

    def sample(self, seq: Any, k: int) -> list:
        pool = list(seq)
        return [pool.pop(self.below(len(pool))) for _ in range(min(k, len(pool)))]


@dataclass
class Setup:
    """Everything needed to run the walk of a question again (for "show me").

    Parameters
    ----------
    tree : str
        ``Hierarchy.to_json()`` of the tree.
    order : int
        The walk order's value.
    start : str, optional
        The path attached by fd (None: the root).
    program : programs.Program, optional
        The program.
    read_size : int, default 131072
        The read() size.
    page_size : int, default 4096
        The kernel's page size.

    Examples
    --------
    >>> from cgiter_edu.course.questions import question
    >>> s = question(7, "capacity").setup
    >>> len(s.hierarchy()) > 0
    True
    """

    tree: str                                    #: Hierarchy.to_json() of the tree
    order: int
    start: str | None = None                     #: path attached by fd, None: the root
    program: Any = None                          #: the program (a programs.Program)
    read_size: int = 131072
    page_size: int = 4096

    def hierarchy(self) -> Hierarchy:
        """A fresh copy of the question's hierarchy (dead cgroups included)."""
        return Hierarchy.from_json(self.tree)

    @property
    def kernel(self) -> KernelConfig:
        """The kernel the question is about: Linux 6.18 (checked on a real kernel), or
        7.0 (from the source) for the CHILDREN order, which only 7.0 has."""
        return KernelConfig.preset("7.0" if self.order == 5 else "6.18",
                                   page_size=self.page_size)

    def run(self, trace: bool = True) -> RunResult:
        """Run the question's walk on the emulator (a fresh copy of the tree), as the
        reader of the question does: read() until one returns 0 or fails, as cat does."""
        return run(self.hierarchy(), self.program, self.order, self.start,
                   read_size=self.read_size, kernel=self.kernel, trace=trace)


@dataclass
class Question:
    """One exercise, as :func:`~cgiter_edu.course.questions.question` makes it.

    :meth:`check` takes a student's answer as typed; :attr:`setup` runs the walk again
    (``q.setup.run().trace``) for a picture or the explorer.

    Parameters
    ----------
    seed : int
        Its seed.
    kind : str
        Its kind (``"order"``, ``"capacity"``...).
    text : str
        The question as shown.
    answer : object
        The right answer as a value.
    answer_text : str
        The right answer as typed.
    explanation : str
        Why, from the emulator's trace.
    setup : Setup
        The walk it is about.
    hint : str
        What to look at after a wrong answer.
    unordered : bool
        The answer is a set of ids (any order is right).
    lesson : int, optional
        The lesson whose quiz asked it.

    Examples
    --------
    >>> from cgiter_edu.course.questions import question
    >>> q = question(7, "capacity"); q.check(q.answer_text)
    True
    """

    seed: int
    kind: str
    text: str
    answer: Any
    answer_text: str
    explanation: str
    setup: Setup
    hint: str = ""
    _parse: Callable[[str], Any] = field(default=lambda s: s, repr=False)
    #: the answer is a set of ids: any order of them is right (``never``)
    unordered: bool = False
    #: the lesson whose quiz asked it (only what that lesson and earlier ones taught), or
    #: None: any kind, any order
    lesson: int | None = None

    def check(self, response: Any) -> bool:
        """Is ``response`` (a string as typed, or a value) the right answer?

        >>> from cgiter_edu.course.questions import question
        >>> q = question(3, "order")
        >>> q.check(q.answer_text), q.check("")
        (True, False)
        """
        try:
            given = self._parse(response) if isinstance(response, str) else response
        except (ValueError, TypeError):
            return False
        if isinstance(self.answer, list) and isinstance(given, (list, tuple)):
            if self.unordered:
                return len(set(given)) == len(given) and set(given) == set(self.answer)
            return list(given) == self.answer
        return given == self.answer

    def trace(self) -> Trace:
        """The trace of the question's walk (run again, the same every time)."""
        t = self.setup.run().trace
        assert t is not None
        return t

    def __str__(self) -> str:
        return self.text


# -- parsing what a student types ---------------------------------------------------------
def _ints(s: str) -> list[int]:
    toks = re.findall(r"-?\d+", s)
    if not toks and s.strip() not in ("", "none", "[]", "-"):
        raise ValueError(s)
    return [int(t) for t in toks]


def _int(s: str) -> int:
    vals = _ints(s)
    if len(vals) != 1:
        raise ValueError(s)
    return vals[0]


def _results(s: str) -> list[int | str]:
    out: list[int | str] = []
    for tok in re.split(r"[\s,;\[\]']+", s.strip()):
        if not tok:
            continue
        if tok.lstrip("-").isdigit():
            out.append(int(tok))
        elif tok.upper().startswith("E"):
            out.append(tok.upper())
        else:
            raise ValueError(tok)
    return out


def _text(s: str) -> str:
    s = s.strip("\n")
    if len(s) >= 2 and s[0] == s[-1] and s[0] in "'\"":
        s = s[1:-1]
    return s


__all__ = ["Question", "Rng", "Setup"]
