"""Record real-kernel walks in the format of ``tests/data/*.jsonl``.

Each case is a random walk (:func:`~cgiter_edu.live.random_cases.random_case`) on a fresh tree
built under a scratch cgroup directly below the cgroup v2 root, run on the kernel with
*real* ids (no translation: the programs print ``cgrp->kn->id``), and written as one
JSON line with the fields of ``docs/recorded-format.md`` (``tree``,
``order``, ``start``, ``rec_bytes``, ``stop_id``, ``skip_id``, ``silent``, ``big``,
``read_size``, ``dead``, ``remake``, ``attach_errno``, ``reads``, ``made``) plus
``kernel`` (``uname -r``).  The tree lists ``/`` (id 1), the scratch cgroup and
everything in it; the host's other cgroups are never reached (walks from the root are
recorded only for SELF_ONLY, ANCESTORS_UP and rejected orders).

Each recorded case is replayed through the emulator at once and the mismatches counted
(the file keeps what the kernel said either way).

Example (root)::

    >>> from cgiter_edu.live.record import record                # doctest: +SKIP
    >>> path, cases, mismatches = record(10, seed=1, out="/tmp/k.jsonl")   # doctest: +SKIP
"""

from __future__ import annotations

import json
import os
import random as _random
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from .. import Order
from ..hierarchy import Hierarchy
from ..kernel_walks import replay
from ..outfile import atomic_output, check_output
from ..run import reads_json
from ..shapes import cgroup2_mount
from .bpf_object import Backend, spec_params
from .errors import LiveError
from .mirror import Mirror
from .random_cases import random_case, random_hierarchy

#: an id no cgroup has (as the recorded sample uses)
UNKNOWN_ID = 987654321
#: cases whose reads exceed this are drawn again (keeps the file small; the CLI's
#: ``record --help`` says the number too, checked by tests/test_live.py)
MAX_READS = 600


def default_out(release: str | None = None) -> Path:
    """``tests/data/kernel-<release>-recorded.jsonl`` (relative to the current directory)."""
    release = release or os.uname().release
    return Path("tests") / "data" / f"kernel-{release}-recorded.jsonl"


def _spec_for_recording(rng: _random.Random, h: Hierarchy) -> Any:
    """A random case the recorded format can say: a Record program, start by fd, id,
    both or neither (neither only where the host's cgroups are not walked)."""
    while True:
        c = random_case(rng, h)
        if c.program.get("name") != "record":
            continue
        if "held" in c.start or "rawfd" in c.start:
            continue
        if not c.start and c.order in (Order.DESCENDANTS_PRE, Order.DESCENDANTS_POST,
                                       Order.CHILDREN):
            c.start = {"fd": "/"}
        return c


def record_one(rng: _random.Random, backend: Backend | None = None) -> dict[str, Any] | None:
    """Record one random case; None when it was not worth keeping (too many reads)."""
    backend = backend or Backend.get()
    h = random_hierarchy(rng, dead=False)
    case = _spec_for_recording(rng, h)
    with Mirror(h, backend) as m:
        if any(m.twins[v.id].rel != v.path for v in h.cgroups()[1:]):
            return None                 # a name the kernel keeps (cannot happen here)
        top = "/" + os.path.basename(m.scratch)

        def real_path(p: str) -> str:
            return top if p == "/" else top + p

        def real_id(emu: int | None) -> int | None:
            if emu is None:
                return None
            return m.real_id(emu) if emu in m.twins else UNKNOWN_ID

        tree = [["/", 1], [top, m.scratch_id]]
        tree += [[real_path(v.path), m.twins[v.id].real_id] for v in h.cgroups()[1:]]
        st = case.start
        start: dict[str, Any] = {}
        if "fd" in st:
            start["fd"] = real_path(st["fd"])
        if "id" in st:
            start["id"] = real_id(st["id"])
        prog_spec = dict(case.program)
        for k in ("stop_id", "skip_id"):
            if k in prog_spec:
                prog_spec[k] = real_id(prog_spec[k])
        if "big" in prog_spec:
            prog_spec["big"] = [real_id(prog_spec["big"][0]), prog_spec["big"][1]]
        cname, params = spec_params(prog_spec)

        fd = 0
        if "fd" in start:
            fd = m.open_live(st["fd"])
        made: list[int] = []
        fake = iter(range(1 << 60, 1 << 61))

        def after() -> None:
            for p in case.dead:
                m.kill(p)
            for p in case.remake:
                made.append(m.mkdir(p, next(fake)))

        try:
            res = backend.walk(cname, params, case.order, fd,
                               start.get("id") or 0, read_size=case.read_size,
                               extra_reads=2, max_reads=MAX_READS + 10,
                               after_create=after if (case.dead or case.remake) else None)
        finally:
            if fd:
                os.close(fd)
    if len(res.reads) > MAX_READS:
        return None
    out: dict[str, Any] = {"tree": tree, "order": case.order, "start": start,
                           "rec_bytes": prog_spec.get("rec_bytes", 0)}
    for k in ("stop_id", "skip_id"):
        if k in prog_spec:
            out[k] = prog_spec[k]
    if prog_spec.get("silent"):
        out["silent"] = True
    if "big" in prog_spec:
        out["big"] = prog_spec["big"]
    out.update({"read_size": case.read_size,
                "dead": [real_path(p) for p in case.dead],
                "remake": [real_path(p) for p in case.remake],
                "attach_errno": res.attach_errno,
                "reads": reads_json(res.reads),
                "made": made if not res.attach_errno else [],
                "kernel": os.uname().release})
    return out


def replay_recorded(case: dict[str, Any]) -> tuple[int, list]:
    """(attach_errno, reads) the emulator gives for a recorded case, on this machine's
    page size (:func:`cgiter_edu.kernel_walks.replay`)."""
    return replay(case, page_size=os.sysconf("SC_PAGE_SIZE"))


def record(n: int = 60, seed: int | None = None, out: str | os.PathLike | None = None,
           log: TextIO | None = None, quiet: bool = False,
           progress: Callable[[int, int], None] | None = None
           ) -> tuple[Path, list[dict[str, Any]], int]:
    """Record ``n`` random walks into ``out`` (default :func:`default_out`), replacing
    it.  Returns (path, cases, how many the emulator replays differently).  Messages go
    to ``log`` (default stderr) unless ``quiet``."""
    if log is None and not quiet:
        log = sys.stderr
    if seed is None:
        seed = _random.SystemRandom().randrange(1 << 31)
    rng = _random.Random(seed)
    path = Path(out) if out is not None else default_out()
    if out is None and not path.parent.is_dir():
        raise LiveError(f"{path.parent} does not exist: run from the repository root, or "
                        "give --out")
    check_output(path, "--out")
    mnt_root_id = os.stat(cgroup2_mount()).st_ino
    if mnt_root_id != 1:
        raise LiveError("the recorder needs the cgroup2 mount to be the v2 root (id 1); "
                        f"it has id {mnt_root_id} here (a cgroup namespace?)")
    backend = Backend.get()
    cases: list[dict[str, Any]] = []
    mismatches = 0
    with atomic_output(path, "--out") as tmp, open(tmp, "w") as f:
        while len(cases) < n:
            c = record_one(rng, backend)
            if c is None:
                continue
            errno_, reads = replay_recorded(c)
            if (errno_, reads) != (c["attach_errno"], c["reads"]):
                mismatches += 1
                if log is not None:
                    print(f"record: case {len(cases) + 1}: the emulator replays it "
                          "differently", file=log)
            cases.append(c)
            f.write(json.dumps(c, separators=(", ", ": ")) + "\n")
            if progress is not None:
                progress(len(cases), n)
    if log is not None:
        print(f"record: {n} walks (seed {seed}) on Linux {os.uname().release} -> {path}; "
              f"{mismatches} replayed differently by the emulator", file=log)
    return path, cases, mismatches
