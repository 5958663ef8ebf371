"""The hooks the mirrored kernel code calls, and nothing else: the :class:`Tracer`
protocol (not a kernel file).

The kernel code of this package never imports what records a walk.  A seq_file holds
a ``tracer`` only when a trace was asked for (``seq.tracer``, None otherwise); the
mirrored functions call it on lines of their own, ``tr and tr.step(...)``, right after
the statement a step is about (right before it for ``read`` and ``unlocking``), so a
walk without a trace pays one falsy test per hook.  What implements the protocol --
:class:`cgiter_edu.recorder.Recorder`, which turns each call into an event of a
:class:`~cgiter_edu.trace.Trace` -- lives above the kernel and may read everything the
hook is handed (the seq_file, the css, the ctx).

Example::

    >>> from cgiter_edu.kernel.hooks import Tracer
    >>> [name for name in Tracer.__dict__ if not name.startswith("_")][:3]
    ['read', 'locked', 'start']
"""

from __future__ import annotations

from typing import Any, Protocol


class Tracer(Protocol):
    """What the kernel code tells a recorder, in the order a read() meets the hooks.

    ``seq`` is the iterator file's :class:`~cgiter_edu.kernel.seq_file.SeqFile`; ``p``
    what ``start()``/``next()`` returned: a css, None (NULL) or a negative errno (an
    error pointer).
    """

    def read(self, seq: Any, size: int) -> None:
        """A read() of ``size`` bytes begins (called on the line before it)."""

    def locked(self, seq: Any, root: Any) -> None:
        """``cgroup_iter_seq_start`` took ``cgroup_mutex`` of the ``struct cgroup_root``
        ``root``."""

    def start(self, seq: Any, p: Any) -> None:
        """``start()`` returned ``p``."""

    def prog_runs(self, ctx: Any) -> None:
        """``bpf_iter_run_prog`` is about to run the program on ``ctx``."""

    def prog_ran(self, ctx: Any, ret: int) -> None:
        """The program ran on ``ctx`` and returned ``ret`` (0 or 1)."""

    def skip(self, seq: Any, css: Any) -> None:
        """``show()`` skipped the dead ``css`` without running the program."""

    def next(self, seq: Any, p: Any) -> None:
        """``next()`` returned ``p``."""

    def rollback(self, seq: Any, p: Any, offs: int) -> None:
        """The record of ``p`` (None: the epilogue) overflowed the buffer, which is cut
        back to ``offs`` bytes."""

    def read_size_reached(self, seq: Any) -> None:
        """The buffer holds the read() size: the walk stops before the next show."""

    def max_objects_reached(self, seq: Any) -> None:
        """``MAX_ITER_OBJECTS`` objects were visited in this read()."""

    def next_failed(self, seq: Any) -> None:
        """``next()`` returned an error pointer: the ``stop:`` label's first branch."""

    def unlocking(self, seq: Any) -> None:
        """``cgroup_mutex`` is dropped on the next line."""

    def walk_ended(self, seq: Any) -> None:
        """``stop()`` got NULL: the walk is over, the epilogue comes."""

    def copy(self, seq: Any, buf: bytearray, n: int) -> None:
        """``n`` bytes of the buffer were copied to the user's ``buf``."""

    def returned(self, seq: Any, buf: bytearray, ret: int) -> None:
        """read() returns ``ret`` (bytes, or -errno)."""

    def program_raised(self, seq: Any) -> None:
        """The Python program raised (no kernel case): the walk ends, read() raises."""

    def on_mutex(self, what: str, who: str, cgroup: int | None = None) -> None:
        """The ``cgroup_mutex`` listener while the walk holds it: ``what`` is
        ``"wait"``, ``"queue"``, ``"wake"``, ``"acquired"`` or ``"release"``, ``who``
        the other thread (or the release work of ``cgroup``)."""
