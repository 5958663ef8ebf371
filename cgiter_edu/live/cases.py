"""Walk cases that run the same way on the emulator and on the kernel (random ones are
drawn by :mod:`~cgiter_edu.live.random_cases`).

A :class:`Case` is one walk, self-contained and JSON-able so a failure can be replayed:
the hierarchy as it is before the walk (``Hierarchy.to_dict()``: ids, sibling order,
dead cgroups), the order (a raw int: 0, 5 or 7 are allowed, to see EINVAL), the start,
the program and its parameters, the read() size (or ``read_sizes``, one per read()
in turn), and what happens between creating the
iterator file and the first read(): cgroups removed while still referenced (``dead``,
deepest first) and paths created then (``remake``: again after a removal, or new;
their emulated ids in ``made``, or the next free ones when ``made`` is empty).

``start`` is one of ``{}`` (neither fd nor id: the root), ``{"fd": path}`` (an fd opened
on it), ``{"id": n}``, ``{"fd": path, "id": n}`` (both: EINVAL), ``{"held": id}`` (the
fd the hierarchy holds on a dead cgroup: ENOENT) or ``{"rawfd": n}`` (a number that is
no open cgroup fd, like 9999 or -1: EBADF; 0 means "not given").

Example::

    >>> from cgiter_edu import Hierarchy
    >>> h = Hierarchy(); _ = h.mkdir("/a")
    >>> c = Case.for_hierarchy(h, order=2, start={"fd": "/a"}, read_size=4096)
    >>> run_emulated(h, c).output
    b'prologue\\n       2\\nepilogue\\n'
    >>> compare_case(c).match                   # doctest: +SKIP
    True
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from .. import KernelConfig, programs
from ..hierarchy import Hierarchy
from ..kernel.config import PAGE_SIZES
from ..run import RunResult, run


def machine_kernel() -> KernelConfig:
    """The running kernel as a :class:`~cgiter_edu.KernelConfig` (version from
    ``uname -r``, page size from ``sysconf``), for the emulator side of a comparison."""
    try:
        ps = os.sysconf("SC_PAGE_SIZE")
        return KernelConfig.preset(os.uname().release,
                                   page_size=ps if ps in PAGE_SIZES else 4096)
    except (ValueError, OSError):
        return KernelConfig.preset("6.18")


# -- programs as data ---------------------------------------------------------------------

def program_to_spec(prog: Any) -> dict[str, Any]:
    """A JSON-able description of a program that has a C twin.

    >>> program_to_spec(programs.Record(rec_bytes=64, stop_id=5))
    {'name': 'record', 'rec_bytes': 64, 'stop_id': 5}
    """
    if isinstance(prog, programs.IdPrinter):
        d: dict[str, Any] = {"name": "id_printer"}
        if prog.terminal_cgroup:
            d["terminal_cgroup"] = prog.terminal_cgroup
        if prog.terminate_early:
            d["terminate_early"] = True
        return d
    if isinstance(prog, programs.Record):
        d = {"name": "record", "rec_bytes": prog.rec_bytes}
        for k in ("stop_id", "skip_id"):
            if getattr(prog, k) is not None:
                d[k] = getattr(prog, k)
        if prog.silent:
            d["silent"] = True
        if prog.big is not None:
            d["big"] = list(prog.big)
        return d
    raise ValueError(f"{prog!r} has no C twin (IdPrinter and Record do)")


def program_from_spec(spec: dict[str, Any]) -> programs.Program:
    """The Python program a spec describes (the inverse of :func:`program_to_spec`)."""
    name = spec.get("name", "record")
    if name == "id_printer":
        return programs.IdPrinter(terminal_cgroup=spec.get("terminal_cgroup", 0),
                                  terminate_early=bool(spec.get("terminate_early", False)))
    if name == "record":
        big = spec.get("big")
        return programs.Record(rec_bytes=spec.get("rec_bytes", 0), stop_id=spec.get("stop_id"),
                               skip_id=spec.get("skip_id"), silent=bool(spec.get("silent")),
                               big=None if big is None else (big[0], big[1]))
    raise ValueError(f"unknown program {name!r}: id_printer or record")


# -- the case -----------------------------------------------------------------------------

@dataclass
class Case:
    """One walk, replayable on both sides, JSON-able (see the module doc).

    Parameters
    ----------
    hierarchy : dict
        The tree before the walk, ``Hierarchy.to_dict()``.
    order : int, default 2
        The order as a raw int (0, 5 or 7 are allowed, to see EINVAL).
    start : dict
        ``{}`` (the root), ``{"fd": path}``, ``{"id": n}``, both (EINVAL),
        ``{"held": id}`` (ENOENT) or ``{"rawfd": n}`` (EBADF).
    program : dict
        The program and its parameters (:func:`program_to_spec`).
    read_size : int, default 131072
        The read() size.
    dead : list of str
        Cgroups removed while still referenced, between creating the file and the
        first read() (deepest first).
    remake : list of str
        Paths created then.
    made : list of int
        Their emulated ids (empty: the next free ones).
    read_sizes : list of int
        One read() size per read() in turn (instead of ``read_size``).
    extra_reads : int, default 2
        read() calls after the first that returns 0 or an error.
    label : str
        A name for reports.

    Examples
    --------
    >>> from cgiter_edu import Hierarchy
    >>> h = Hierarchy(); _ = h.mkdir("/a")
    >>> c = Case.for_hierarchy(h, start={"fd": "/a"}, read_size=4096)
    >>> Case.from_json(c.to_json()) == c
    True
    """

    hierarchy: dict[str, Any]
    order: int = 2
    start: dict[str, Any] = field(default_factory=dict)
    program: dict[str, Any] = field(default_factory=lambda: {"name": "id_printer"})
    read_size: int = 131072
    dead: list[str] = field(default_factory=list)
    remake: list[str] = field(default_factory=list)
    made: list[int] = field(default_factory=list)
    read_sizes: list[int] = field(default_factory=list)
    extra_reads: int = 2
    label: str = ""

    @classmethod
    def for_hierarchy(cls, h: Hierarchy, **kw: Any) -> Case:
        """A case on (a snapshot of) ``h``."""
        return cls(hierarchy=h.to_dict(), **kw)

    def build(self) -> Hierarchy:
        """A fresh emulated hierarchy as the case starts from."""
        return Hierarchy.from_dict(self.hierarchy)

    def to_json(self) -> str:
        """One line of JSON."""
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str | dict[str, Any]) -> Case:
        """From :meth:`to_json` text (or its dict)."""
        d = json.loads(text) if isinstance(text, str) else text
        _check_case(d)
        return cls(**d)

    def describe(self) -> str:
        """One line: order, start, program, read size, changes."""
        from ..names import order_name

        start = describe_start(self.start)
        prog = program_from_spec(self.program)
        sizes = (f"read() sizes {self.read_sizes} in turn" if self.read_sizes
                 else f"read() size {self.read_size}")
        s = f"order {order_name(self.order)}, start {start}, {prog!r}, {sizes}"
        if self.dead:
            s += f", removed after create: {len(self.dead)}"
        if self.remake:
            s += f", made after create: {len(self.remake)}"
        return s


def _int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _ints(v: Any) -> bool:
    return isinstance(v, list) and all(_int(x) for x in v)


def _strs(v: Any) -> bool:
    return isinstance(v, list) and all(isinstance(x, str) for x in v)


#: what each field of a case's JSON takes: (a test of the value, the words that say it)
_CASE_FIELDS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "hierarchy": (lambda v: isinstance(v, dict), "an object (Hierarchy.to_dict())"),
    "order": (_int, "an integer (the order's raw value)"),
    "start": (lambda v: isinstance(v, dict), 'an object: {}, {"fd": PATH}, {"id": N}, '
                                               '{"held": ID} or {"rawfd": N}'),
    "program": (lambda v: isinstance(v, dict), 'an object such as {"name": "id_printer"}'),
    "read_size": (_int, "an integer"),
    "dead": (_strs, "a list of cgroup paths"),
    "remake": (_strs, "a list of cgroup paths"),
    "made": (_ints, "a list of cgroup ids"),
    "read_sizes": (_ints, "a list of integers"),
    "extra_reads": (lambda v: _int(v) and 0 <= v <= 1000, "an integer from 0 to 1000"),
    "label": (lambda v: isinstance(v, str), "a string"),
}
_START_KEYS = {"fd": (lambda v: isinstance(v, str), "a cgroup path"), "id": (_int, "an integer"),
               "held": (_int, "an integer"), "rawfd": (_int, "an integer")}
_PROGRAM_KEYS = {
    "id_printer": {"terminal_cgroup": (_int, "an integer"),
                   "terminate_early": (lambda v: isinstance(v, bool), "true or false")},
    "record": {"rec_bytes": (_int, "an integer"), "stop_id": (_int, "an integer"),
               "skip_id": (_int, "an integer"),
               "silent": (lambda v: isinstance(v, bool), "true or false"),
               "big": (lambda v: _ints(v) and len(v) == 2, "a list of two integers")},
}


def _check_case(d: Any) -> None:
    """A case's JSON (an object) as :meth:`Case.to_json` writes it, or a ``ValueError``
    naming the first field that is unknown or of the wrong type and what it takes (a
    key of ``start`` or ``program`` that nothing reads was ignored; ``"dead": "/a"`` was
    read as the paths ``/`` and ``a``)."""
    if not isinstance(d, dict):
        raise ValueError("a case is a JSON object with \"hierarchy\"")
    if "hierarchy" not in d:
        raise ValueError("\"hierarchy\" is missing (the tree, Hierarchy.to_dict())")

    def fields(obj: dict, known: dict, where: str) -> None:
        for k, v in obj.items():
            if k not in known:
                raise ValueError(f"{where}unknown field {k!r}; it has {', '.join(known)}")
            ok, what = known[k]
            if not ok(v):
                raise ValueError(f"{where}\"{k}\" must be {what}, not {json.dumps(v)}")

    fields(d, _CASE_FIELDS, "")
    fields(d.get("start", {}), _START_KEYS, "\"start\": ")
    prog = d.get("program", {"name": "id_printer"})
    name = prog.get("name", "record")
    if name not in _PROGRAM_KEYS:
        raise ValueError(f"\"program\": unknown program {json.dumps(name)}; use "
                         f"{' or '.join(_PROGRAM_KEYS)}")
    fields({k: v for k, v in prog.items() if k != "name"}, _PROGRAM_KEYS[name],
           f"\"program\" ({name}): ")


def describe_start(start: dict[str, Any]) -> str:
    """``"/a by fd"``, ``"id 5"``, ``"the root (neither fd nor id)"``..."""
    if not start:
        return "the root (neither fd nor id)"
    parts = []
    if "fd" in start:
        parts.append(f"{start['fd']} by fd")
    if "id" in start:
        parts.append(f"id {start['id']}")
    if "held" in start:
        parts.append(f"the fd held on dead cgroup {start['held']}")
    if "rawfd" in start:
        parts.append(f"fd number {start['rawfd']}")
    return " and ".join(parts)


# -- the emulator side --------------------------------------------------------------------

def run_emulated(h: Hierarchy, case: Case, kernel: KernelConfig | None = None) -> RunResult:
    """Run ``case`` on the emulated ``h`` through the public API (attach, create, the
    removals and re-creations, reads).  ``h`` is changed as the case says."""
    kernel = kernel or machine_kernel()
    st = case.start
    start: Any = None
    if "fd" in st:
        start = st["fd"]                          # run() opens it for the attach
    elif "held" in st:
        start = h.held[st["held"]]
    elif "rawfd" in st:
        start = st["rawfd"]

    def changes() -> None:                        # after create, before the first read
        for p in case.dead:
            h.kill(p)
        for i, p in enumerate(case.remake):
            h.mkdir(p, cgroup_id=case.made[i] if i < len(case.made) else None)

    return run(h, program_from_spec(case.program), case.order, start, cgroup_id=st.get("id"),
               read_size=case.read_sizes or case.read_size, kernel=kernel,
               extra_reads=case.extra_reads, after_create=changes, trace=False)
