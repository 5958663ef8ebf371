"""Ready hierarchies: a systemd host, a Kubernetes node, balanced and random trees, and
a real machine's cgroup v2 tree read from sysfs.

Example::

    >>> from cgiter_edu import shapes
    >>> h = shapes.systemd_host()
    >>> h.id_of("/system.slice/sshd.service") > 1
    True
    >>> len(shapes.balanced(2, 3))         # root + 3 + 9
    13
"""

from __future__ import annotations

import contextlib
import gc
import os
import random as _random
from collections.abc import Iterator
from pathlib import Path

from .hierarchy import Hierarchy
from .progress import progress_line

SYSTEM_SERVICES = ("dbus.service", "systemd-journald.service", "systemd-logind.service",
                   "sshd.service", "cron.service", "containerd.service")
#: the processes a service runs: (comm, extra threads) each
SERVICE_PROCS = {
    "dbus.service": [("dbus-daemon", 0)],
    "systemd-journald.service": [("systemd-journal", 0)],
    "systemd-logind.service": [("systemd-logind", 0)],
    "sshd.service": [("sshd", 0)],
    "cron.service": [("cron", 0)],
    "containerd.service": [("containerd", 9)],
    "kubelet.service": [("kubelet", 14)],
}
#: what runs in a pod's containers: the sandbox first, then the workloads
CONTAINER_PROCS = [("pause", 0), ("nginx", 0), ("envoy", 7), ("python3", 2), ("java", 19)]


@contextlib.contextmanager
def _bulk() -> Iterator[None]:
    """Building many cgroups: pause the cyclic garbage collector, which otherwise rescans
    every cgroup object again and again (a 1,001,001-cgroup tree builds in about half
    the time)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _progress(done: int, total: int, what: str) -> None:
    if total >= 200_000 and (done % 100_000 == 0 or done == total):
        progress_line(f"{what}: {done:,}/{total:,} cgroups", done == total)


def systemd_host(users: int = 2, sessions: int = 2, dead: bool = True,
                 procs: bool = True) -> Hierarchy:
    """A systemd host's cgroup tree, the tree most lessons walk.

    ``init.scope``, ``system.slice`` with services, ``user.slice`` with
    ``user-<uid>.slice`` each holding ``user@<uid>.service`` and sessions.

    Parameters
    ----------
    users : int, default 2
        How many ``user-<uid>.slice``.
    sessions : int, default 2
        Sessions per user.
    dead : bool, default True
        One session has just ended but is still referenced (a dead cgroup the walk
        skips, held in ``h.held``).
    procs : bool, default True
        Put processes (with their threads) in the cgroups.

    Returns
    -------
    Hierarchy
        The tree.

    Examples
    --------
    >>> h = systemd_host()
    >>> [c.path for c in h.children("/")]
    ['/init.scope', '/system.slice', '/user.slice']
    """
    h = Hierarchy()
    h.mkdir("/init.scope")
    if procs:
        h.spawn("/init.scope", "systemd", pid=1)
    h.mkdir("/system.slice")
    for s in SYSTEM_SERVICES:
        h.mkdir(f"/system.slice/{s}")
        for comm, threads in SERVICE_PROCS[s] if procs else ():
            h.spawn(f"/system.slice/{s}", comm, threads)
    h.mkdir("/user.slice")
    for u in range(users):
        uid = 1000 + u
        base = f"/user.slice/user-{uid}.slice"
        h.mkdir(base)
        h.mkdir(f"{base}/user@{uid}.service")
        h.mkdir(f"{base}/user@{uid}.service/app.slice")
        h.mkdir(f"{base}/user@{uid}.service/init.scope")
        if procs:
            h.spawn(f"{base}/user@{uid}.service/init.scope", "systemd")
        for s in range(sessions):
            session = f"{base}/session-{u * sessions + s + 1}.scope"
            h.mkdir(session)
            if procs and not (dead and u == 0 and s == 0):
                h.spawn(session, "sshd")
                h.spawn(session, "bash")
    if dead and users and sessions:
        h.kill("/user.slice/user-1000.slice/session-1.scope")
    return h


def kubernetes_node(burstable: int = 2, besteffort: int = 2, containers: int = 2,
                    seed: int = 0, procs: bool = True) -> Hierarchy:
    """A Kubernetes node's cgroup tree (cgroup v2, systemd driver).

    ``kubepods.slice`` with ``kubepods-burstable.slice`` and
    ``kubepods-besteffort.slice``, pods holding containers, beside ``system.slice``
    (kubelet, containerd).

    Parameters
    ----------
    burstable, besteffort : int, default 2
        How many pods of each QoS class.
    containers : int, default 2
        Workload containers per pod (after its ``pause`` container).
    seed : int, default 0
        Chooses the workloads; the same seed gives the same tree.
    procs : bool, default True
        Put processes in: the daemons with their threads, and in each pod a ``pause``
        container then workloads (nginx, envoy, python3, java with their threads).

    Returns
    -------
    Hierarchy
        The tree.

    Examples
    --------
    >>> h = kubernetes_node(burstable=1, besteffort=0, containers=1)
    >>> [c.name for c in h.children("/kubepods.slice")]
    ['kubepods-burstable.slice', 'kubepods-besteffort.slice']
    """
    rng = _random.Random(seed)
    prng = _random.Random(seed + 1)          # the processes' own: the names stay as they were
    h = Hierarchy()
    h.mkdir("/system.slice")
    for s in ("containerd.service", "kubelet.service", "sshd.service"):
        h.mkdir(f"/system.slice/{s}")
        for comm, threads in SERVICE_PROCS[s] if procs else ():
            h.spawn(f"/system.slice/{s}", comm, threads)
    h.mkdir("/kubepods.slice")
    for qos, n in (("burstable", burstable), ("besteffort", besteffort)):
        q = f"/kubepods.slice/kubepods-{qos}.slice"
        h.mkdir(q)
        for _ in range(n):
            uid = f"{rng.getrandbits(32):08x}_{rng.getrandbits(16):04x}_{rng.getrandbits(16):04x}"
            pod = f"{q}/kubepods-{qos}-pod{uid}.slice"
            h.mkdir(pod)
            for c in range(containers):
                scope = f"{pod}/cri-containerd-{rng.getrandbits(48):012x}.scope"
                h.mkdir(scope)
                if procs:
                    comm, threads = CONTAINER_PROCS[0 if c == 0 else
                                                    1 + prng.randrange(len(CONTAINER_PROCS) - 1)]
                    h.spawn(scope, comm, threads)
    return h


def balanced(depth: int, fanout: int) -> Hierarchy:
    """A full tree: every cgroup above ``depth`` has ``fanout`` children.

    The children are named ``c0``, ``c1``...; ``balanced(2, 100)`` is the 10,101-cgroup
    benchmark tree.

    Parameters
    ----------
    depth : int
        The levels below the root.
    fanout : int
        Children per cgroup above ``depth``.

    Returns
    -------
    Hierarchy
        ``(fanout ** (depth + 1) - 1) / (fanout - 1)`` cgroups, root included.

    Raises
    ------
    ValueError
        A negative depth or fanout.

    Examples
    --------
    >>> [c.path for c in balanced(2, 2)]
    ['/', '/c0', '/c0/c0', '/c0/c1', '/c1', '/c1/c0', '/c1/c1']
    """
    if depth < 0 or fanout < 0:
        raise ValueError(f"depth and fanout must be >= 0, not {depth}, {fanout}")
    h = Hierarchy()
    total = sum(fanout ** d for d in range(1, depth + 1))
    done = 0

    def grow(path: str, level: int) -> None:
        nonlocal done
        if level == depth:
            return
        for i in range(fanout):
            child = f"{path}/c{i}" if path != "/" else f"/c{i}"
            h.mkdir(child)
            done += 1
            _progress(done, total, "building")
            grow(child, level + 1)

    with _bulk():
        grow("/", 0)
    return h


def random(n: int, seed: int = 0, dead: float = 0.0) -> Hierarchy:
    """A random tree of ``n`` cgroups, the same for the same seed.

    Parameters
    ----------
    n : int
        How many cgroups, root included.
    seed : int, default 0
        The tree's seed.
    dead : float, default 0.0
        The fraction of the leaves made dead (still referenced, held in ``h.held``).

    Returns
    -------
    Hierarchy
        The tree.

    Raises
    ------
    ValueError
        ``n`` below 1.

    Examples
    --------
    >>> len(random(50, seed=1)), random(50, seed=1) == random(50, seed=1)
    (50, True)
    """
    if n < 1:
        raise ValueError(f"a hierarchy has at least the root: n must be >= 1, not {n}")
    rng = _random.Random(seed)
    h = Hierarchy()
    paths = ["/"]
    kids: dict[str, int] = {"/": 0}
    for i in range(1, n):
        parent = paths[int(rng.random() ** 1.5 * len(paths))] if rng.random() < 0.9 else "/"
        kids[parent] += 1
        path = (f"/n{i}" if parent == "/" else f"{parent}/n{i}")
        h.mkdir(path)
        paths.append(path)
        kids[path] = 0
    if dead:
        leaves = [p for p in paths[1:] if kids[p] == 0]
        for p in rng.sample(leaves, int(len(leaves) * dead)):
            h.kill(p)
    return h


def default() -> Hierarchy:
    """The built-in default hierarchy of the CLI: a systemd host with one dead session.

    Returns
    -------
    Hierarchy
        :func:`systemd_host` with its defaults.

    Examples
    --------
    >>> default() == systemd_host()
    True
    """
    return systemd_host()


#: shapes by name, for the CLI's ``--tree``
BY_NAME = {
    "systemd": systemd_host,
    "kubernetes": kubernetes_node,
    "balanced": lambda: balanced(2, 100),
    "small": lambda: balanced(2, 3),
    "big": lambda: balanced(2, 1000),
    "random": lambda: random(200, seed=0, dead=0.05),
}


def from_sysfs(path: str | os.PathLike | None = None) -> Hierarchy:
    """Read a real cgroup v2 tree, read-only.

    Every directory under ``path`` becomes a cgroup whose id is its inode number,
    siblings ordered by id (creation order, as the kernel lists them).

    Parameters
    ----------
    path : str or path-like, optional
        A cgroup v2 directory (default: the cgroup2 mount, :func:`cgroup2_mount`).

    Returns
    -------
    Hierarchy
        The tree below ``path``.

    Raises
    ------
    ValueError
        ``path`` is not a cgroup v2 directory.
    OSError
        No cgroup v2 is mounted (without ``path``), or a directory cannot be read.

    Examples
    --------
    >>> h = from_sysfs()                       # doctest: +SKIP
    >>> h.root.id                              # doctest: +SKIP
    1
    """
    base = Path(path) if path is not None else Path(cgroup2_mount())
    if not (base / "cgroup.procs").exists() and not (base / "cgroup.controllers").exists():
        raise ValueError(f"{base} is not a cgroup v2 directory (no cgroup.procs)")
    h = Hierarchy(root_id=os.stat(base).st_ino)

    stack = [(str(base), "/")]           # parents before children, any depth
    while stack:
        d, rel = stack.pop()
        try:
            entries = [e for e in os.scandir(d) if e.is_dir(follow_symlinks=False)]
        except OSError:
            continue
        entries.sort(key=lambda e: e.inode())
        made = []
        for e in entries:
            child = f"{rel}/{e.name}" if rel != "/" else f"/{e.name}"
            try:
                h.mkdir(child, cgroup_id=e.inode())
            except OSError:
                continue
            made.append((e.path, child))
        stack.extend(reversed(made))
    return h


def cgroup2_mount() -> str:
    """Where cgroup v2 is mounted, from ``/proc/self/mountinfo``.

    Returns
    -------
    str
        The mount point, e.g. ``/sys/fs/cgroup``.

    Raises
    ------
    OSError
        No cgroup v2 is mounted.

    Examples
    --------
    >>> cgroup2_mount()                        # doctest: +SKIP
    '/sys/fs/cgroup'
    """
    try:
        with open("/proc/self/mountinfo") as f:
            for line in f:
                left, _, right = line.partition(" - ")
                if right.split(" ", 1)[0] == "cgroup2":
                    return left.split()[4].replace("\\040", " ")
    except FileNotFoundError:
        pass
    raise OSError("no cgroup2 mount in /proc/self/mountinfo (not Linux, or cgroup v1 only)")
