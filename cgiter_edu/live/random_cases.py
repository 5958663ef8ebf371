"""Random walks for the live tests and the recorder: random trees and random cases.

:func:`random_hierarchy` draws a tree (random, chains, wide, balanced, the systemd and
Kubernetes shapes, explicit and huge ids; dead cgroups and names re-created after a
removal unless ``dead=False``); :func:`random_case` draws a walk on it (every order,
every kind of start, record sizes, 8-page objects, read sizes, removals after create).
tests/test_live.py and :mod:`~cgiter_edu.live.record` both draw from here.

Example::

    >>> import random
    >>> rng = random.Random(1)
    >>> h = random_hierarchy(rng, max_n=50)
    >>> c = random_case(rng, h)
    >>> c.hierarchy == h.to_dict() and c.order in (0, 1, 2, 3, 4, 5, 6, 7, 100)
    True
"""

from __future__ import annotations

import math
import random as _random
from typing import Any

from .. import shapes
from ..hierarchy import Hierarchy
from .cases import Case

#: read() sizes worth trying, beside random ones
READ_SIZES = (1, 2, 7, 23, 24, 25, 64, 100, 1000, 4095, 4096, 4097, 8192, 32767, 32768,
              32769, 65536, 131072)
#: record sizes worth trying, beside random ones
REC_BYTES = (0, 1, 23, 24, 25, 63, 64, 65, 100, 500, 1000, 1057, 4095, 4096, 4119, 4120)


def _log_uniform(rng: _random.Random, lo: int, hi: int) -> int:
    return int(round(math.exp(rng.uniform(math.log(lo), math.log(hi)))))


def random_hierarchy(rng: _random.Random, max_n: int = 700, min_n: int = 2,
                     dead: bool = True) -> Hierarchy:
    """A random emulated hierarchy of 1 to ``max_n`` cgroups: random trees, chains, wide
    and balanced ones, the systemd and Kubernetes shapes, trees with sparse or huge ids;
    some with dead cgroups and names re-created after a removal (none with
    ``dead=False``: the recorded format lists only live cgroups before the walk)."""
    kind = rng.choices(["random", "chain", "wide", "balanced", "systemd", "kubernetes",
                        "root", "ids"], weights=[30, 8, 8, 8, 8, 6, 3, 12])[0]
    if min_n > 50:
        kind = rng.choice(["random", "random", "chain", "wide", "ids"])
    n = _log_uniform(rng, max(2, min_n), max_n)
    seed = rng.randrange(1 << 31)
    if kind == "random":
        h = shapes.random(n, seed=seed, dead=rng.choice([0.0, 0.0, 0.05, 0.3]) if dead else 0.0)
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
                                dead=rng.random() < 0.7 and dead)
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
    for _ in range(rng.choice([0, 0, 0, 1, 2, 4]) if dead else 0):
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
