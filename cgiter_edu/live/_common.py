"""What the light parts of the live backend share (no ctypes, no libbpf here)."""

from __future__ import annotations


class LiveError(RuntimeError):
    """The live backend cannot do what was asked (a program with no C twin, a
    hierarchy the host does not allow, ...).  The message says why and what to do."""


#: the recorder draws a case again when it needs more read() calls than this
RECORD_MAX_READS = 600
