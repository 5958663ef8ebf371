"""Walks recorded on a real kernel (the format of ``docs/recorded-format.md``
and of ``cgiter-edu record``), replayed through the emulator.

One JSON object a line: ``tree`` ([path, id] in creation order), ``order``, ``start``
(``{"fd": path}``, ``{"id": n}``, both, or neither), the program's parameters
(``rec_bytes``, ``stop_id``, ``skip_id``, ``silent``, ``big``), ``read_size``, ``dead``
(paths removed after the iterator file was created, while referenced), ``remake`` /
``made`` (paths created again and their ids), ``attach_errno``, ``reads`` and, from
``cgiter-edu record``, ``kernel`` (the release).

Example::

    >>> from cgiter_edu import kernel_walks
    >>> case = {"tree": [["/", 1], ["/a", 7]], "order": 2, "start": {}, "rec_bytes": 0,
    ...         "read_size": 4096, "dead": [], "remake": [], "made": [],
    ...         "reads": [[0, ""], [0, ""]]}
    >>> kernel_walks.replay(case)
    (0, [[52, '43203030303030303030303120303030303030303030300a43203030303030303030303720303030303030303030310a4520310a'], [0, '']])
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from . import KernelConfig, Order, programs
from .attach import attach
from .hierarchy import Hierarchy
from .run import reads_json, run


def load(path: str | os.PathLike) -> list[dict[str, Any]]:
    """The cases of one JSONL file, each with ``_where`` = ``"<file>:<line>"``."""
    p = Path(path)
    cases = []
    for i, line in enumerate(p.read_text().splitlines()):
        if line.strip():
            case = json.loads(line)
            case["_where"] = f"{p.name}:{i + 1}"
            cases.append(case)
    return cases


#: walks recorded on a real Linux 6.18 kernel that ship with the package (the small cases
#: of tests/data/kernel-6.18.44-*-recorded.jsonl), so a lesson can show them anywhere
BUNDLED = Path(__file__).parent / "data" / "kernel-walks.jsonl"


def bundled() -> list[dict[str, Any]]:
    """The recorded kernel walks shipped inside the package (:data:`BUNDLED`).

    >>> cases = bundled(); len(cases) > 10, replay(cases[0])[1] == cases[0]["reads"]
    (True, True)
    """
    return load(BUNDLED)


def kernel_of(case: dict[str, Any], page_size: int = 4096) -> KernelConfig:
    """The kernel a case was recorded on (``"kernel": "6.18.44-..."``; 6.18 if unsaid)."""
    return KernelConfig.preset(str(case.get("kernel", "6.18")), page_size=page_size)


def replay(case: dict[str, Any], page_size: int = 4096) -> tuple[int, list]:
    """What the emulator gives for a recorded case, in the recorded format:
    ``(attach_errno, reads)`` with ``reads`` as ``[n, hex]`` or ``["err", errno]``, as
    many reads as the case recorded."""
    kernel = kernel_of(case, page_size)
    h = Hierarchy()
    for path, cid in case["tree"][1:]:
        h.mkdir(path, cgroup_id=cid)
    prog = programs.Record(rec_bytes=case["rec_bytes"], stop_id=case.get("stop_id"),
                           skip_id=case.get("skip_id"), silent=case.get("silent", False),
                           big=case.get("big"))
    holds = []                          # an iterator link on each keeps it listed once dead
    for p in case["dead"]:
        with h.open(p) as dfd:
            holds.append(attach(h, programs.silent, Order.SELF_ONLY, cgroup_fd=dfd))

    def after_create() -> None:         # the recorded changes, between create and read
        for p in case["dead"]:
            h.rmdir(p)
        for p, cid in zip(case["remake"], case["made"], strict=True):
            h.mkdir(p, cgroup_id=cid)

    start = case["start"]
    n = len(case["reads"])              # as many reads as recorded, no more, no fewer
    try:
        res = run(h, prog, case["order"], start.get("fd"), cgroup_id=start.get("id"),
                  read_size=case["read_size"], kernel=kernel, trace=False, extra_reads=n,
                  max_reads=n, after_create=after_create)
    finally:
        for x in holds:
            x.close()
    return res.attach_errno, reads_json(res.reads)
