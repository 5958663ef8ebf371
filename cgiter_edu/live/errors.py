"""The live backend's error (no ctypes, no libbpf here: the CLI imports it cheaply)."""

from __future__ import annotations


class LiveError(RuntimeError):
    """The live backend cannot do what was asked.

    A program with no C twin, a hierarchy the host does not allow...: the message says
    why and what to do.

    Examples
    --------
    >>> str(LiveError("no C twin for this program: write it in C"))
    'no C twin for this program: write it in C'
    """
