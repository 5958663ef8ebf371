"""Replay a recorded real-kernel walk (the format of ../shared/kernel-traces/README.md)
through the public API."""

from __future__ import annotations

import json
from pathlib import Path

from cgiter_edu import Hierarchy, KernelConfig, attach, programs

DATA = Path(__file__).parent / "data"


def load_cases(pattern: str = "*.jsonl") -> list[dict]:
    cases = []
    for p in sorted(DATA.glob(pattern)):
        for i, line in enumerate(p.read_text().splitlines()):
            if line.strip():
                case = json.loads(line)
                case["_where"] = f"{p.name}:{i + 1}"
                cases.append(case)
    return cases


def replay(case: dict) -> tuple[int, list]:
    """(attach_errno, reads) as the emulator gives them, in the recorded format."""
    release = str(case.get("kernel", "6.18"))          # e.g. "6.18.44-fc-v782"
    kernel = KernelConfig.preset(".".join(release.split(".")[:2]))
    h = Hierarchy()
    for path, cid in case["tree"][1:]:
        h.mkdir(path, cgroup_id=cid)
    prog = programs.Record(rec_bytes=case["rec_bytes"], stop_id=case.get("stop_id"),
                           skip_id=case.get("skip_id"), silent=case.get("silent", False),
                           big=case.get("big"))
    holds = [h.open(p) for p in case["dead"]]      # a reference keeps each one listed
    start = case["start"]
    fd = h.open(start["fd"]) if "fd" in start else None
    try:
        link = attach(h, prog, case["order"], cgroup_fd=fd, cgroup_id=start.get("id"),
                      kernel=kernel)
    except OSError as e:
        return e.errno, []
    f = link.create()
    for p in case["dead"]:
        h.rmdir(p)
    for p, cid in zip(case["remake"], case["made"], strict=True):
        h.mkdir(p, cgroup_id=cid)
    reads: list = []
    for _ in case["reads"]:
        try:
            data = f.read(case["read_size"])
            reads.append([len(data), data.hex()])
        except OSError as e:
            reads.append(["err", e.errno])
    f.close()
    link.close()
    for x in holds:
        x.close()
    if fd is not None:
        fd.close()
    return 0, reads
