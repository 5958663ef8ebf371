"""Ready BPF programs, written in Python the way their C originals are written.

A program is a callable ``prog(ctx) -> int``: ``ctx.cgroup`` is the cgroup (None for
the epilogue call), ``ctx.meta.seq_num`` its sequence number, ``ctx.meta.seq`` the
buffer to write to with ``printf`` (C formats, as ``bpf_seq_printf``) or ``write``.
Return 0 to go on, 1 to stop the walk after this cgroup (the verifier lets a
cgroup_iter program return only 0 or 1).

The classes here carry their parameters as attributes so the real-kernel backend
(:mod:`cgiter_edu.live`) can run the same program in C.

Example::

    >>> from cgiter_edu import Hierarchy, Order, attach, programs
    >>> h = Hierarchy(); _ = h.mkdir("/a")
    >>> attach(h, programs.Record(rec_bytes=24), Order.DESCENDANTS_PRE).create().read(999)
    b'C 0000000001 0000000000\\nC 0000000002 0000000001\\nE 1\\n'
"""

from __future__ import annotations

from typing import Any

#: the 4096-byte pad of the recorded kernel walks: 4095 dots, then a newline
PAD = b"." * 4095 + b"\n"


class Program:
    """Base class of the bundled BPF programs: a named callable ``prog(ctx) -> int``.

    Subclasses implement ``__call__(ctx)``: ``ctx.cgroup`` is the cgroup (None on the
    epilogue call), ``ctx.meta.seq`` the seq_file to print into, ``ctx.meta.seq_num``
    the call's number; return 0 to go on, 1 to stop.  Any plain function of that shape
    works as well.

    Examples
    --------
    >>> class Quiet(Program):
    ...     name = "quiet"
    ...     def __call__(self, ctx):
    ...         return 0
    >>> from cgiter_edu import Hierarchy, Order, attach
    >>> attach(Hierarchy(), Quiet(), Order.SELF_ONLY).create().read(99)
    b''
    """

    name = "program"

    def __call__(self, ctx: Any) -> int:  # pragma: no cover - abstract
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class IdPrinter(Program):
    """The kernel selftest's program (``cgroup_id_printer``).

    As in tools/testing/selftests/bpf/progs/cgroup_iter.c: ``prologue`` before the
    first cgroup, each id as ``%8llu``, ``epilogue`` on the NULL call.

    Parameters
    ----------
    terminal_cgroup : int, default 0
        Return 1 (stop) at the cgroup of this id (the selftest's global).
    terminate_early : bool, default False
        Return 1 after the first cgroup (the selftest's other global).

    Examples
    --------
    >>> from cgiter_edu import Hierarchy, Order, attach
    >>> attach(Hierarchy(), IdPrinter(), Order.SELF_ONLY).create().read(99)
    b'prologue\\n       1\\nepilogue\\n'
    """

    name = "id_printer"

    def __init__(self, terminal_cgroup: int = 0, terminate_early: bool = False) -> None:
        self.terminal_cgroup = terminal_cgroup
        self.terminate_early = terminate_early

    def __call__(self, ctx: Any) -> int:
        seq = ctx.meta.seq
        cgrp = ctx.cgroup
        # epilogue
        if cgrp is None:
            seq.printf("epilogue\n")
            return 0
        # prologue
        if ctx.meta.seq_num == 0:
            seq.printf("prologue\n")
        seq.printf("%8llu\n", cgrp.id)
        if self.terminal_cgroup == cgrp.id:
            return 1
        return 1 if self.terminate_early else 0

    def __repr__(self) -> str:
        return (f"IdPrinter(terminal_cgroup={self.terminal_cgroup}, "
                f"terminate_early={self.terminate_early})")


class PathPrinter(Program):
    """One line a cgroup: its id, level and path, indented by level; nothing at the end.

    Examples
    --------
    >>> from cgiter_edu import Hierarchy, Order, attach
    >>> h = Hierarchy(); _ = h.mkdir("/a")
    >>> print(attach(h, PathPrinter(), Order.DESCENDANTS_PRE).create().read(999).decode(), end="")
    1 /
    2   /a
    """

    name = "path_printer"

    def __call__(self, ctx: Any) -> int:
        cgrp = ctx.cgroup
        if cgrp is None:
            return 0
        ctx.meta.seq.printf("%llu %s%s\n", cgrp.id, "  " * cgrp.level, cgrp.path)
        return 0


class Record(Program):
    """The program the recorded kernel walks ran (``docs/recorded-format.md``).

    * epilogue (cgroup None): ``"E %llu\\n"`` of seq_num; returns 0;
    * ``silent``, or the cgroup's id is ``skip_id``: writes nothing, returns 0;
    * ``big=(id, k)``: for that cgroup, first the 4096-byte pad ``k`` times;
    * then ``"C %010llu %010llu\\n"`` of (id, seq_num): 24 bytes;
    * if ``rec_bytes`` > 24, the last ``(rec_bytes - 24) & 4095`` bytes of the pad;
    * returns 1 if the id is ``stop_id``, else 0.

    So ``Record(rec_bytes=64)`` writes 64-byte records (and 24-byte ones for any
    ``rec_bytes`` up to 24).

    Parameters
    ----------
    rec_bytes : int, default 0
        The record size (24 at least).
    stop_id : int, optional
        Return 1 (stop) at the cgroup of this id.
    skip_id : int, optional
        Write nothing for the cgroup of this id.
    silent : bool, default False
        Write nothing at all.
    big : (int, int), optional
        ``(id, k)``: write ``k`` 4096-byte pads before that cgroup's record.

    Raises
    ------
    ValueError
        A negative ``rec_bytes``.

    Examples
    --------
    >>> Record(rec_bytes=64).record_size
    64
    """

    name = "record"
    #: the record sizes it writes exactly: its 24-byte line, then up to 4095 pad bytes
    MIN_BYTES = 24
    MAX_BYTES = 24 + 4095

    def __init__(self, rec_bytes: int = 0, stop_id: int | None = None,
                 skip_id: int | None = None, silent: bool = False,
                 big: tuple[int, int] | None = None) -> None:
        if rec_bytes < 0:
            raise ValueError(f"rec_bytes must be >= 0, not {rec_bytes}")
        self.rec_bytes = rec_bytes
        self.stop_id = stop_id
        self.skip_id = skip_id
        self.silent = silent
        self.big = None if big is None else (int(big[0]), int(big[1]))
        self._tail = PAD[4096 - ((rec_bytes - 24) & 4095):] if rec_bytes > 24 else b""

    @property
    def record_size(self) -> int:
        """Bytes written for one (ordinary) cgroup."""
        return 0 if self.silent else 24 + len(self._tail)

    def __call__(self, ctx: Any) -> int:
        cgrp = ctx.cgroup
        if cgrp is None:
            ctx.meta.seq.printf("E %llu\n", ctx.meta.seq_num)
            return 0
        if self.silent:
            return 0
        seq = ctx.meta.seq
        cid = cgrp.id
        if cid == self.skip_id:
            return 0
        if self.big is not None and cid == self.big[0]:
            for _ in range(self.big[1]):
                seq.write(PAD)
        seq.printf("C %010llu %010llu\n", cid, ctx.meta.seq_num)
        if self._tail:
            seq.write(self._tail)
        return 1 if cid == self.stop_id else 0

    def __repr__(self) -> str:
        args = [f"rec_bytes={self.rec_bytes}"]
        for k in ("stop_id", "skip_id", "big"):
            if getattr(self, k) is not None:
                args.append(f"{k}={getattr(self, k)!r}")
        if self.silent:
            args.append("silent=True")
        return f"Record({', '.join(args)})"


#: the kernel selftest's id printer
id_printer = IdPrinter()
#: id, level and path of each cgroup
path_printer = PathPrinter()
#: writes nothing for a cgroup, only ``"E <seq_num>\\n"`` at the end
silent = Record(silent=True)

#: programs by name, for the CLI
BY_NAME = {"ids": id_printer, "paths": path_printer, "silent": silent}
