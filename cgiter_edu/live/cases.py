"""Walk cases that run the same way on the emulator and on the kernel, and random ones.

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
import math
import os
import random as _random
from dataclasses import asdict, dataclass, field
from typing import Any

from .. import programs, shapes
from ..hierarchy import Hierarchy
from ..kernel.config import PAGE_SIZES, KernelConfig
from ..run import RunResult, run

#: read() sizes worth trying, beside random ones
READ_SIZES = (1, 2, 7, 23, 24, 25, 64, 100, 1000, 4095, 4096, 4097, 8192, 32767, 32768,
              32769, 65536, 131072)
#: record sizes worth trying, beside random ones
REC_BYTES = (0, 1, 23, 24, 25, 63, 64, 65, 100, 500, 1000, 1057, 4095, 4096, 4119, 4120)


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
    """One walk, replayable on both sides (see the module doc)."""

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
        d = json.loads(text) if isinstance(text, str) else dict(text)
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


# -- random cases -------------------------------------------------------------------------

def _log_uniform(rng: _random.Random, lo: int, hi: int) -> int:
    return int(round(math.exp(rng.uniform(math.log(lo), math.log(hi)))))


def random_hierarchy(rng: _random.Random, max_n: int = 700, min_n: int = 2) -> Hierarchy:
    """A random emulated hierarchy of 1 to ``max_n`` cgroups: random trees, chains, wide
    and balanced ones, the systemd and Kubernetes shapes, trees with sparse or huge ids;
    some with dead cgroups and names re-created after a removal."""
    kind = rng.choices(["random", "chain", "wide", "balanced", "systemd", "kubernetes",
                        "root", "ids"], weights=[30, 8, 8, 8, 8, 6, 3, 12])[0]
    if min_n > 50:
        kind = rng.choice(["random", "random", "chain", "wide", "ids"])
    n = _log_uniform(rng, max(2, min_n), max_n)
    seed = rng.randrange(1 << 31)
    if kind == "random":
        h = shapes.random(n, seed=seed, dead=rng.choice([0.0, 0.0, 0.05, 0.3]))
    elif kind == "chain":
        h = Hierarchy()
        path = ""
        for i in range(n - 1):
            path += f"/d{i}"
            h.mkdir(path)
    elif kind == "wide":
        h = Hierarchy()
        for i in range(n - 1):
            h.mkdir(f"/w{i}")
    elif kind == "balanced":
        fan = rng.randint(1, 8)
        depth = 1
        while sum(fan ** d for d in range(depth + 2)) <= max_n and depth < 6:
            depth += 1
        h = shapes.balanced(rng.randint(1, depth), fan)
    elif kind == "systemd":
        h = shapes.systemd_host(users=rng.randint(0, 4), sessions=rng.randint(0, 4),
                                dead=rng.random() < 0.7)
    elif kind == "kubernetes":
        h = shapes.kubernetes_node(rng.randint(0, 4), rng.randint(0, 4), rng.randint(0, 4),
                                   seed=seed)
    elif kind == "root" and min_n <= 1:
        h = Hierarchy()
    elif kind == "root":
        h = shapes.random(n, seed=seed)
    else:
        # explicit ids: sparse, some wider than 10 digits, up to 2**64 - 1
        h = Hierarchy(root_id=rng.choice([1, 1, rng.randint(2, 10**6)]))
        used = {h.root.id}
        paths = ["/"]
        for i in range(n - 1):
            parent = rng.choice(paths)
            while True:
                # (room is left above the largest id: ids made later count up from it)
                top = (1 << 64) - 1 - 100_000
                cid = rng.choice([rng.randint(2, 10**8), rng.randint(2, 10**12),
                                  rng.randint(2, top), top - i])
                if cid not in used:
                    break
            used.add(cid)
            path = f"/k{i}" if parent == "/" else f"{parent}/k{i}"
            h.mkdir(path, cgroup_id=cid)
            paths.append(path)
    # some more dead cgroups, and names used again after a removal
    live = [v.path for v in h.cgroups()[1:] if not v.dead]
    for _ in range(rng.choice([0, 0, 0, 1, 2, 4])):
        leaves = [p for p in live if not any(not c.dead for c in h.children(p))]
        if not leaves:
            break
        p = rng.choice(leaves)
        h.kill(p)
        live.remove(p)
        if rng.random() < 0.6:
            h.mkdir(p)
            live.append(p)
    return h


def _subtree_live(h: Hierarchy, path: str) -> list[str]:
    """``path`` and its live descendants, deepest first."""
    out = []
    stack = [path]
    while stack:
        p = stack.pop()
        out.append(p)
        stack.extend(c.path for c in h.children(p) if not c.dead)
    return sorted(out, key=lambda p: -p.count("/"))


def random_case(rng: _random.Random, h: Hierarchy, label: str = "") -> Case:
    """A random walk on ``h``: every order (the rejected 0, 5, 7 included), every kind
    of start, record sizes 0 to 4 KiB, 8-page first objects, read sizes 1 byte to
    128 KiB, stop and skip ids, removals after create and re-created names."""
    views = h.cgroups()
    live = [v for v in views if not v.dead]
    dead = [v for v in views if v.dead]
    all_ids = [v.id for v in views]
    unknown = rng.choice([987654321, min(max(all_ids) + 1000, (1 << 64) - 1), (1 << 64) - 2])
    while unknown in all_ids:
        unknown -= 1
    order = rng.choices([1, 2, 3, 4, 0, 5, 6, 7, 100], weights=[14, 30, 25, 16, 3, 4, 1, 3, 1])[0]

    kinds = ["neither", "fd", "id", "both", "unknown", "rawfd"]
    weights = [16, 32, 26, 5, 6, 5]
    held = [v.id for v in dead if v.id in h.held]
    if held:
        kinds += ["held", "dead_id"]
        weights += [5, 5]
    kind = rng.choices(kinds, weights=weights)[0]
    sv = rng.choice(live)
    if kind == "neither":
        start: dict[str, Any] = {}
    elif kind == "fd":
        start = {"fd": sv.path}
    elif kind == "id":
        start = {"id": sv.id}
    elif kind == "both":
        start = {"fd": sv.path, "id": rng.choice(live).id}
    elif kind == "unknown":
        start = {"id": unknown}
    elif kind == "rawfd":
        start = {"rawfd": rng.choice([9999, -1, 1, 2, 0])}
    elif kind == "held":
        start = {"held": rng.choice(held)}
    else:
        start = {"id": rng.choice(held)}
    start_id = start.get("id", h.root.id if not start else sv.id)

    def some_id() -> int:
        r = rng.random()
        if r < 0.5:
            return rng.choice(all_ids)
        if r < 0.7:
            return start_id
        return unknown if r < 0.8 else rng.choice(live).id

    if rng.random() < 0.25:
        prog: dict[str, Any] = {"name": "id_printer"}
        if rng.random() < 0.4:
            prog["terminal_cgroup"] = some_id()
        if rng.random() < 0.2:
            prog["terminate_early"] = True
    else:
        rb = rng.choice(REC_BYTES) if rng.random() < 0.6 else rng.randint(0, 4096)
        prog = {"name": "record", "rec_bytes": rb}
        if rng.random() < 0.3:
            prog["stop_id"] = some_id()
        if rng.random() < 0.2:
            prog["skip_id"] = some_id()
        if rng.random() < 0.04:
            prog["silent"] = True
        if rng.random() < 0.18:
            k = rng.choice([0, 1, 3, 7, 8, 8, 9, 10, rng.randint(0, 12)])
            prog["big"] = [start_id if rng.random() < 0.6 else some_id(), k]

    read_size = rng.choice(READ_SIZES) if rng.random() < 0.6 else _log_uniform(rng, 1, 131072)
    read_sizes: list[int] = []
    if rng.random() < 0.08:
        # a different size for each read() (cycled), 0 included
        read_sizes = [rng.choice((0,) + READ_SIZES) for _ in range(rng.randint(2, 4))]
        read_sizes[0] = max(read_sizes[0], 1) if rng.random() < 0.5 else read_sizes[0]
        if not any(read_sizes):
            read_sizes.append(read_size)

    dead_paths: list[str] = []
    remake: list[str] = []
    if rng.random() < 0.25 and len(live) > 1:
        tops = rng.sample([v.path for v in live[1:]], min(len(live) - 1, rng.randint(1, 3)))
        if rng.random() < 0.3 and sv.path != "/":
            tops.append(sv.path)          # the start itself dies
        for t in tops:
            if any(t == d or t.startswith(d + "/") for d in dead_paths):
                continue
            for p in _subtree_live(h, t):
                if p not in dead_paths:
                    dead_paths.append(p)
        dead_paths.sort(key=lambda p: -p.count("/"))
        gone = set(dead_paths)
        for t in tops:
            parent = t.rpartition("/")[0] or "/"
            if t in gone and parent not in gone and t not in remake and rng.random() < 0.5:
                remake.append(t)
    if rng.random() < 0.12:
        # brand-new cgroups made after the iterator file was created
        gone = set(dead_paths)
        names = {v.path for v in views}
        for k in range(rng.randint(1, 3)):
            parent = rng.choice(live).path
            path = f"/new{k}" if parent == "/" else f"{parent}/new{k}"
            if parent not in gone and path not in names and path not in remake:
                remake.append(path)
    return Case(hierarchy=h.to_dict(), order=order, start=start, program=prog,
                read_size=read_size, dead=dead_paths, remake=remake, read_sizes=read_sizes,
                label=label)
