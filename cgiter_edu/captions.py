"""The sentences that say why a walk ended: a picture's caption and the longer
explanation the CLI prints (``ended: ...``), one of each for every
:class:`~cgiter_edu.events.EndReason` value.

Example::

    >>> END_CAPTIONS["e2big"]
    'the first record does not fit: E2BIG'
"""

from __future__ import annotations

__all__ = ["END_CAPTIONS", "END_EXPLANATIONS"]

#: EndReason value -> a short sentence for a picture's caption
END_CAPTIONS = {
    "complete": "walk complete: next() returned NULL",
    "program": "the program returned 1: walk stopped",
    "buffer_full": "buffer full: record rolled back, walk cut",
    "e2big": "the first record does not fit: E2BIG",
    "read_size": "buffer holds the read size: walk cut before show",
    "max_iter_objects": "MAX_ITER_OBJECTS reached in one read()",
    "program_error": "the Python program raised",
    "next_error": "next() returned an error: read() gives it",
}

#: EndReason value -> the sentence the CLI prints after a walk (with ``{ret}``, ``{at}``,
#: ``{size}`` for the caller to fill)
END_EXPLANATIONS = {
    "complete": "the walk visited every cgroup (next() returned NULL); the epilogue ran",
    "program": "the program returned {ret} at {at}: early termination, the walk went no "
               "further; the epilogue ran",
    "buffer_full": "the next record did not fit in the 8-page seq_file buffer (count + len < "
                   "size fails): rolled back, the walk was cut",
    "e2big": "the first record alone did not fit in the buffer: E2BIG",
    "read_size": "the buffer held the read() size ({size} bytes): next() had returned the "
                 "next cgroup, and the walk stopped before showing it (the program never "
                 "ran on it) and dropped cgroup_mutex",
    "max_iter_objects": "MAX_ITER_OBJECTS (1,000,000) objects in one read(): EAGAIN if "
                        "nothing was written",
    "program_error": "the Python program raised",
    "next_error": "the target's next() returned an error pointer: stop() got NULL (the "
                  "epilogue ran), read() returned the error and the bytes stay in the "
                  "buffer for the next read()",
}
