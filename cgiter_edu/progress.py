"""Progress of long work on stderr: one line rewritten in place on a terminal, plain
lines in a pipe or a log (no ``\\r`` that runs lines together there).

Example::

    >>> import io
    >>> log = io.StringIO()
    >>> for done in (1, 2):
    ...     progress_line(f"building: {done}/2", done == 2, stream=log)
    >>> log.getvalue()
    'building: 1/2\\nbuilding: 2/2\\n'
"""

from __future__ import annotations

import sys
from typing import IO


def progress_line(text: str, last: bool = False, stream: IO[str] | None = None) -> None:
    """Show ``text`` as the current progress; ``last``: the work is done (the line
    stays).  On a terminal the line is rewritten in place; elsewhere each call prints
    one line."""
    stream = sys.stderr if stream is None else stream
    if getattr(stream, "isatty", lambda: False)():
        stream.write("\r" + text + ("\n" if last else ""))
    else:
        stream.write(text + "\n")
    stream.flush()
