"""A :class:`~cgiter_edu.Hierarchy` saved as JSON and read back (``h.to_json()``,
``Hierarchy.from_json``): the format, and the checks that refuse a file naming what
is wrong.

Building a tree that holds dead cgroups is done in creation order, removing each dead
one before a sibling of the same name is made (:func:`due_before`, which the live
backend's mirror uses too).

Example::

    >>> from cgiter_edu import Hierarchy
    >>> h = Hierarchy(); _ = h.mkdir("/a")
    >>> to_dict(h)
    {'format': 'cgiter_edu.hierarchy/1', 'root_id': 1, 'next_id': 3, 'cgroups': [{'id': 2, 'name': 'a', 'parent': 1}]}
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .paths import check_id, check_name

__all__ = ["JSON_FORMAT", "due_before", "from_dict", "from_json", "to_dict", "to_json"]

#: the format tag of saved hierarchies
JSON_FORMAT = "cgiter_edu.hierarchy/1"
#: the fields of a saved hierarchy and of each of its entries (anything else is refused)
_TOP_FIELDS = ("format", "root_id", "next_id", "cgroups", "root_procs")
_ENTRY_FIELDS = ("id", "name", "parent", "dead", "procs")
_PROC_FIELDS = ("pid", "comm", "threads")


def to_dict(h: Any) -> dict[str, Any]:
    """:meth:`Hierarchy.to_dict <cgiter_edu.Hierarchy.to_dict>`."""
    entries = []
    for v in h.cgroups()[1:]:
        e = {"id": v.id, "name": v.name, "parent": v.parent.id}
        if v.dead:
            e["dead"] = True
        procs = procs_of(h, v.id)
        if procs:
            e["procs"] = procs
        entries.append(e)
    d = {"format": JSON_FORMAT, "root_id": h.root_css.cgroup_id,
         "next_id": h._next_id, "cgroups": entries}
    root_procs = procs_of(h, h.root_css.cgroup_id)
    if root_procs:
        d["root_procs"] = root_procs
    return d


def procs_of(h: Any, cgroup_id: int) -> list[dict[str, Any]]:
    """The processes of a cgroup as saved: pid, comm, thread ids."""
    return [{"pid": t.pid, "comm": t.comm, "threads": [th.pid for th in t.threads[1:]]}
            for t in h._by_id[cgroup_id].tasks if t.group_leader is t]


def to_json(h: Any, path: str | os.PathLike | None = None, indent: int | None = 1) -> str:
    """:meth:`Hierarchy.to_json <cgiter_edu.Hierarchy.to_json>`."""
    text = json.dumps(to_dict(h), indent=indent)
    if path is not None:
        Path(path).write_text(text + "\n")
    return text


def from_dict(cls: Any, d: dict[str, Any]) -> Any:
    """:meth:`Hierarchy.from_dict <cgiter_edu.Hierarchy.from_dict>`: a ``cls`` (the
    Hierarchy class) built from ``d``."""
    if not isinstance(d, dict) or d.get("format") != JSON_FORMAT:
        raise ValueError(f"not a saved hierarchy: expected an object with \"format\": "
                         f"\"{JSON_FORMAT}\"")
    unknown = sorted(set(d) - set(_TOP_FIELDS))
    if unknown:
        raise ValueError(f"unknown field {unknown[0]!r}; a saved hierarchy has "
                         f"{', '.join(_TOP_FIELDS)}")
    root_id = d.get("root_id", 1)
    for field in ("root_id", "next_id"):
        if field in d:
            try:
                check_id(d[field])
            except (OSError, TypeError) as err:
                raise ValueError(f"\"{field}\": {getattr(err, 'strerror', None) or err}"
                                 ) from None
    entries = d.get("cgroups", [])
    if not isinstance(entries, list):
        raise ValueError("\"cgroups\" must be a list")
    by_id: dict[int, dict] = {}
    kids: dict[int, list[dict]] = {root_id: []}
    for i, e in enumerate(entries):
        where = f"entry {i} ({e!r})"
        if not isinstance(e, dict) or not {"id", "name", "parent"} <= e.keys():
            raise ValueError(f"{where}: needs \"id\", \"name\" and \"parent\"")
        unknown = sorted(set(e) - set(_ENTRY_FIELDS))
        if unknown:
            raise ValueError(f"{where}: unknown field {unknown[0]!r}; an entry has "
                             f"{', '.join(_ENTRY_FIELDS)}")
        if "dead" in e and not isinstance(e["dead"], bool):
            raise ValueError(f"{where}: \"dead\" must be true or false (a JSON boolean), "
                             f"not {type(e['dead']).__name__} {e['dead']!r}")
        cid = e["id"]
        try:
            check_id(cid)
            check_name(e["name"])
        except OSError as err:
            raise ValueError(f"{where}: {err.strerror}") from None
        except TypeError as err:
            raise ValueError(f"{where}: {err}") from None
        try:                            # 1.0 and true compare equal to the root's id 1
            check_id(e["parent"])
        except (OSError, TypeError) as err:
            raise ValueError(f"{where}: \"parent\": {getattr(err, 'strerror', None) or err}"
                             ) from None
        if cid in by_id or cid == root_id:
            raise ValueError(f"{where}: duplicate id {cid}")
        by_id[cid] = e
        kids.setdefault(cid, [])
    for i, e in enumerate(entries):
        if e["parent"] not in by_id and e["parent"] != root_id:
            raise ValueError(f"entry {i} ({e!r}): unknown parent {e['parent']!r}")
        kids[e["parent"]].append(e)
    # everything must hang off the root; what does not is a cycle
    reached = set()
    stack = [root_id]
    while stack:
        c = stack.pop()
        for e in kids[c]:
            reached.add(e["id"])
            stack.append(e["id"])
    for i, e in enumerate(entries):
        if e["id"] not in reached:
            raise ValueError(f"entry {i} ({e!r}): its parents form a cycle, it never "
                             "reaches the root")
    h = cls(root_id=root_id)
    dead_order: list[tuple[str, int]] = []

    # depth first, parents before children, siblings in file order; a stack of
    # (children left, path, id, dead) instead of recursion, so any depth loads
    live_names: dict[int, set[str]] = {}
    stack: list[tuple[Iterator[dict], str, int, bool]] = [
        (iter(kids[root_id]), "/", root_id, False)]
    while stack:
        left, parent_path, pid, parent_dead = stack[-1]
        e = next(left, None)
        if e is None:                   # the subtree of pid is made
            stack.pop()
            if parent_dead:
                dead_order.append((parent_path, pid))
            continue
        path = ("/" + e["name"]) if parent_path == "/" else f"{parent_path}/{e['name']}"
        dead = bool(e.get("dead", False))
        if parent_dead and not dead:
            raise ValueError(f"entry {e!r}: a live cgroup under the dead {parent_path!r}")
        if not dead:
            names = live_names.setdefault(pid, set())
            if e["name"] in names:
                raise ValueError(f"entry {e!r}: duplicate live cgroup {path!r}")
            names.add(e["name"])
        # a dead sibling of the same name must die before the next one is made
        kill_due(h, path, dead_order)
        h.mkdir(path, cgroup_id=e["id"])
        stack.append((iter(kids[e["id"]]), path, e["id"], dead))
    kill_due(h, None, dead_order)
    h._next_id = max(h._next_id, int(d.get("next_id", h._next_id)))
    placed = [(root_id, d.get("root_procs", []), "root_procs")]
    placed += [(e["id"], e.get("procs", []), f"entry {e!r}") for e in entries]
    for cid, procs, where in placed:
        if not isinstance(procs, list):
            raise ValueError(f"{where}: \"procs\" must be a list")
        if procs and h.cgroup(cid).dead:
            raise ValueError(f"{where}: a dead cgroup has no processes")
        for p in procs:
            if not isinstance(p, dict) or not {"pid", "comm"} <= p.keys():
                raise ValueError(f"{where}: a process needs \"pid\" and \"comm\"")
            unknown = sorted(set(p) - set(_PROC_FIELDS))
            if unknown:
                raise ValueError(f"{where}: process {p!r}: unknown field {unknown[0]!r}; a "
                                 f"process has {', '.join(_PROC_FIELDS)}")
            if not isinstance(p.get("threads", []), list):
                raise ValueError(f"{where}: process {p!r}: \"threads\" must be a list of "
                                 "thread ids")
            try:
                h.spawn(h.path_of(cid), p["comm"], pid=p["pid"],
                        tids=list(p.get("threads", [])))
            except (OSError, ValueError, TypeError) as err:
                raise ValueError(f"{where}: process {p!r}: "
                                 f"{getattr(err, 'strerror', None) or err}") from None
    return h


def kill_due(h: Any, path: str | None, pending: list[tuple[str, int]]) -> None:
    """Kill the pending dead cgroups due before ``path`` is made (:func:`due_before`)."""
    for p, cid in due_before(pending, path):
        if h._by_path.get(p) is not None and h._by_path[p].cgroup_id == cid:
            h.kill(p)


def from_json(cls: Any, text_or_path: str | os.PathLike) -> Any:
    """:meth:`Hierarchy.from_json <cgiter_edu.Hierarchy.from_json>`."""
    text = str(text_or_path)
    if isinstance(text_or_path, os.PathLike) or not text.lstrip().startswith("{"):
        text = Path(text_or_path).read_text()
    try:
        d = json.loads(text)
    except json.JSONDecodeError as e:
        raise ValueError(f"not valid JSON: {e}") from None
    return from_dict(cls, d)


def due_before(pending: list[tuple[str, int]], path: str | None) -> list[tuple[str, int]]:
    """Building a tree that has dead cgroups, in creation order: of the dead cgroups
    made but not yet removed (``pending``, ``(path, id)``), those at or under ``path``
    must be removed before a new cgroup named ``path`` is made (``None``: all of them,
    at the end).  Takes them out of ``pending`` and returns them deepest first.  Used by
    :meth:`Hierarchy.from_dict` and by the live backend's mirror.

    >>> pending = [("/a/b", 3), ("/a", 2), ("/c", 4)]
    >>> due_before(pending, "/a"), pending
    ([('/a/b', 3), ('/a', 2)], [('/c', 4)])
    """
    now = [e for e in pending if path is None or e[0] == path or e[0].startswith(path + "/")]
    pending[:] = [e for e in pending if e not in now]
    return sorted(now, key=lambda e: -e[0].count("/"))
