"""Two runs of one walk side by side: every read() of the emulator and of the kernel,
the first difference marked.

Example::

    >>> from cgiter_edu.run import RunResult
    >>> a = RunResult(read_size=4096, reads=[(3, b"E 0"), (0, b"")])
    >>> b = RunResult(read_size=4096, reads=[(3, b"E 0"), (0, b"")], backend="kernel")
    >>> print(Comparison(a, b, title="demo").format())       # doctest: +NORMALIZE_WHITESPACE
    demo
      read()  emulator                     kernel
      #1      3 b'E 0'                     same
      #2      0 (end of file)              same
    MATCH: attach and 2 read() calls, byte for byte and errno for errno (3 bytes)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..names import errno_symbol
from ..run import RunResult


def _cell(n: int, data: bytes, width: int) -> str:
    if n < 0:
        return errno_symbol(-n)
    if n == 0:
        return "0 (end of file)"
    text = f"{n} {data[:width]!r}"
    if len(text) > width:
        text = text[:width - 3] + "..."
    return text


@dataclass
class Comparison:
    """The emulator's run and the kernel's run of one walk.

    ``match`` (also the truth value): same attach errno, same read() results, same
    bytes.  ``first_difference``: ``None`` or ``(index, text)``, index -1 for the
    attach.  ``format()`` (also ``str()``): the side-by-side table.

    Parameters
    ----------
    emulator, kernel : RunResult
        The two runs.
    title : str
        What was run, for the table.
    notes : list of str
        Facts about the run (how the start was mapped...).
    case : Case, optional
        The case, to replay it.

    Examples
    --------
    >>> from cgiter_edu import Hierarchy, Order, programs, run
    >>> r = run(Hierarchy(), programs.IdPrinter(), Order.SELF_ONLY)
    >>> c = Comparison(r, r, "the same run twice"); bool(c), c.first_difference
    (True, None)
    """

    emulator: RunResult
    kernel: RunResult
    title: str = ""
    notes: list[str] = field(default_factory=list)
    case: Any = None

    @property
    def match(self) -> bool:
        """Byte for byte and errno for errno."""
        return self.first_difference is None

    def __bool__(self) -> bool:
        return self.match

    @property
    def first_difference(self) -> tuple[int, str] | None:
        """Where the two runs first part, and how."""
        e, k = self.emulator, self.kernel
        if e.attach_errno != k.attach_errno:
            return -1, (f"attach: emulator {errno_symbol(e.attach_errno) if e.attach_errno else 'ok'}"
                        f", kernel {errno_symbol(k.attach_errno) if k.attach_errno else 'ok'}")
        for i in range(max(len(e.reads), len(k.reads))):
            if i >= len(e.reads) or i >= len(k.reads):
                who = "emulator" if i >= len(e.reads) else "kernel"
                return i, f"read #{i + 1}: the {who} made no such read() (fewer reads)"
            (en, ed), (kn, kd) = e.reads[i], k.reads[i]
            if (en, ed) == (kn, kd):
                continue
            if en != kn:
                what = (f"read #{i + 1}: emulator {_cell(en, b'', 0) if en <= 0 else en}, "
                        f"kernel {_cell(kn, b'', 0) if kn <= 0 else kn}")
            else:
                what = f"read #{i + 1}: same count {en}, different bytes"
            if ed != kd:
                off = next((j for j in range(min(len(ed), len(kd))) if ed[j] != kd[j]),
                           min(len(ed), len(kd)))
                what += (f"; first differing byte at offset {off} of this read: emulator "
                         f"{ed[max(0, off - 8):off + 24]!r}, kernel {kd[max(0, off - 8):off + 24]!r}")
            return i, what
        return None

    def format(self, width: int = 40, rows: int = 12) -> str:
        """The table: one line per read() (long runs elided around the difference)."""
        e, k = self.emulator, self.kernel
        out = []
        if self.title:
            out.append(self.title)
        out.extend(f"note: {n}" for n in self.notes)
        diff = self.first_difference
        if e.attach_errno or k.attach_errno:
            out.append(f"  attach  emulator {errno_symbol(e.attach_errno) if e.attach_errno else 'ok'}"
                       f"    kernel {errno_symbol(k.attach_errno) if k.attach_errno else 'ok'}"
                       + ("   <-- first difference" if diff and diff[0] == -1 else ""))
        n = max(len(e.reads), len(k.reads))
        if n:
            out.append(f"  {'read()':<7} {'emulator':<{width}}  kernel")
        show = set(range(min(n, rows))) | set(range(max(0, n - 3), n))
        if diff is not None and diff[0] >= 0:
            show |= set(range(max(0, diff[0] - 2), min(n, diff[0] + 3)))
        skipped = 0
        for i in range(n):
            if i not in show:
                skipped += 1
                continue
            if skipped:
                out.append(f"  ...     ({skipped} more read() calls)")
                skipped = 0
            ec = _cell(*e.reads[i], width) if i < len(e.reads) else "(none)"
            if i < len(k.reads) and i < len(e.reads) and k.reads[i] == e.reads[i]:
                kc = "same"
            else:
                kc = _cell(*k.reads[i], width) if i < len(k.reads) else "(none)"
            mark = "   <-- first difference" if diff and diff[0] == i else ""
            out.append(f"  #{i + 1:<6} {ec:<{width}}  {kc}{mark}")
        if diff is None:
            what = "attach" if not n else f"attach and {n} read() calls"
            out.append(f"MATCH: {what}, byte for byte and errno for errno "
                       f"({len(e.output)} bytes)")
        else:
            out.append(f"DIFFERENT: {diff[1]}")
        return "\n".join(out)

    __str__ = format

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: both runs, the verdict, the case when there is one."""
        d = {"match": self.match, "title": self.title, "notes": self.notes,
             "emulator": self.emulator.to_dict(), "kernel": self.kernel.to_dict()}
        if self.first_difference is not None:
            d["first_difference"] = list(self.first_difference)
        if self.case is not None:
            d["case"] = self.case.to_json() if hasattr(self.case, "to_json") else self.case
        return d
