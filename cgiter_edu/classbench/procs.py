"""What the class benchmark reads from ``/proc``: the processes a run started (by the
``CGITER_CLASS_RUN`` mark in their environment, which the hub, the proxy, every
single-user server and every kernel inherit), their memory (PSS: a shared library page
counts once over all the processes that map it) and their CPU time.

Example::

    >>> from cgiter_edu.classbench.procs import cpu_seconds
    >>> import os
    >>> cpu_seconds(os.getpid()) >= 0
    True
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from dataclasses import dataclass

__all__ = ["Proc", "marked", "cpu_seconds", "memory_kib", "children_reaper", "sweep"]

MARK = "CGITER_CLASS_RUN"
_TICK = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Proc:
    """One process of a run: its pid, command name and ``JUPYTERHUB_USER`` (``""`` for
    the hub and the proxy)."""

    pid: int
    comm: str
    user: str
    kernel: bool = False        #: an ipykernel (its command line runs ipykernel_launcher)


def _environ(pid: int) -> dict[str, str]:
    try:
        with open(f"/proc/{pid}/environ", "rb") as f:
            raw = f.read()
    except OSError:
        return {}
    out = {}
    for item in raw.split(b"\0"):
        k, sep, v = item.partition(b"=")
        if sep:
            out[k.decode(errors="replace")] = v.decode(errors="replace")
    return out


def _comm(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f.read().strip()
    except OSError:
        return "?"


def marked(run: str) -> list[Proc]:
    """Every live process whose environment has ``CGITER_CLASS_RUN=run`` (zombies are
    not listed: they hold no memory and are reaped by their parent)."""
    out = []
    me = os.getpid()
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == me:
            continue
        pid = int(name)
        env = _environ(pid)
        if env.get(MARK) != run or _state(pid) in ("Z", "X", ""):
            continue
        out.append(Proc(pid, _comm(pid), env.get("JUPYTERHUB_USER", ""),
                        b"ipykernel" in _cmdline(pid)))
    return out


def _cmdline(pid: int) -> bytes:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read()
    except OSError:
        return b""


def _state(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rpartition(")")[2].split()[0]
    except (OSError, IndexError):
        return ""


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of one process (0 once it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICK      # utime, stime (fields 14, 15)


def memory_kib(pid: int) -> tuple[int, int]:
    """``(pss, rss)`` of one process in KiB, from ``/proc/PID/smaps_rollup`` ((0, 0)
    once it is gone)."""
    pss = rss = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    pss = int(line.split()[1])
                elif line.startswith("Rss:"):
                    rss = int(line.split()[1])
    except OSError:
        pass
    return pss, rss


def children_reaper() -> None:
    """Make this process the reaper of its orphaned descendants
    (``prctl(PR_SET_CHILD_SUBREAPER)``), so a server whose hub died is still ours to
    find and end.  A no-op where prctl is not available."""
    import ctypes

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)      # PR_SET_CHILD_SUBREAPER


def sweep(run: str, grace: float = 5.0) -> list[Proc]:
    """End every process of ``run`` still alive: SIGTERM, then SIGKILL after ``grace``
    seconds.  Returns the processes it found (empty when the hub cleaned up itself)."""
    left = marked(run)
    for p in left:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(p.pid, signal.SIGTERM)
    end = time.monotonic() + grace
    while time.monotonic() < end and marked(run):
        _reap(left)
        time.sleep(0.1)
    for p in marked(run):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(p.pid, signal.SIGKILL)
    time.sleep(0.2)
    _reap(left)
    return left


def _reap(ps: list[Proc]) -> None:
    """Collect those of ``ps`` that exited and are our children (orphans reparented to us
    by :func:`children_reaper`); other children are left to whoever waits for them."""
    for p in ps:
        with contextlib.suppress(ChildProcessError, OSError):
            os.waitpid(p.pid, os.WNOHANG)
