"""Mirror an emulated :class:`~cgiter_edu.Hierarchy` as real cgroups under a scratch cgroup.

The scratch cgroup ``<cgroup2 mount>/cgiter_edu-<pid>-<random>-ns<pid namespace>``
stands for the emulated root ``/``.  Every other cgroup is made with ``mkdir`` in an
order that gives each parent the same children list as the emulator (pre-order over the sibling lists,
which is creation order for every parent: the kernel appends a new cgroup at the end of
its parent's list).  The real ids (inode numbers) are mapped to the emulated ones both
ways, and ``id_map`` in the BPF object gets ``real -> emulated`` so the programs print
emulated ids.

A dead cgroup (removed but still referenced) is made real the way the recorded walks
made them: a directory fd is opened on it, an extra iterator link is attached on it
(that link holds the reference: an open directory fd alone does not keep a removed
cgroup on its parent's list), then it is removed.  A name used again after a removal
is a new cgroup, created after the old one is gone, as on the kernel.

The scratch subtree is always removed: :meth:`Mirror.close` (also on ``with`` exit, on
an exception, on Ctrl-C or SIGTERM while a mirror is open, and at interpreter exit)
removes the live cgroups deepest first, then the scratch, then drops the references on
the dead ones.  Nothing outside the scratch cgroup is created, changed or removed,
except stale scratch cgroups that an earlier run, now dead, left behind
(:func:`remove_stale`).

Example (root, cgroup v2)::

    >>> from cgiter_edu import Hierarchy                        # doctest: +SKIP
    >>> h = Hierarchy(); _ = h.mkdir("/a")                       # doctest: +SKIP
    >>> with Mirror(h) as m:                                     # doctest: +SKIP
    ...     m.twins[h.id_of("/a")].real_id > 1
    True
"""

from __future__ import annotations

import atexit
import contextlib
import errno
import os
import re
import secrets
import signal
import threading
import time
import weakref
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..hierarchy import Hierarchy
from ..hierarchy_json import due_before
from ..shapes import cgroup2_mount
from .bpf_object import Backend
from .errors import LiveError

if TYPE_CHECKING:  # pragma: no cover
    from .libbpf import BpfLink

#: names of scratch cgroups: cgiter_edu-<pid>-<8 hex digits>-ns<pid namespace inode>
SCRATCH_RE = re.compile(r"^cgiter_edu-(\d+)-[0-9a-f]{8}-ns(\d+)$")
#: an absolute path longer than this is walked with openat() piece by piece
_PATH_LIMIT = 3000
#: emulated ids that are no cgroup of the mirror map to real ids from here (never used)
UNKNOWN_BASE = 1 << 62

_open_mirrors: weakref.WeakSet[Mirror] = weakref.WeakSet()


@dataclass
class Twin:
    """One emulated cgroup and its real twin under the scratch cgroup.

    ``rel``: the real path below the scratch cgroup (``""`` for the emulated root, the
    scratch itself; the emulated path unless the kernel keeps that name for an
    interface file).  Once dead: ``dead_fd`` (a directory fd opened before the rmdir)
    and ``hold`` (the iterator link whose reference keeps it on its parent's list).
    """

    emu_id: int
    emu_path: str
    real_id: int
    rel: str
    dead_fd: int | None = None
    hold: BpfLink | None = None

    @property
    def dead(self) -> bool:
        """Removed (rmdir) but held."""
        return self.dead_fd is not None


def _close_all() -> None:
    for m in list(_open_mirrors):
        with contextlib.suppress(Exception):
            m.close(quick=True)


#: after Ctrl-C, :meth:`Mirror.close` spends at most this long removing the scratch
#: cgroups itself; what is still there then is left to :func:`remove_later`
QUICK_CLOSE_S = 0.3
#: how long the background remover of :func:`remove_later` keeps trying
REMOVE_LATER_S = 600.0


def remove_later(path: str) -> None:
    """Remove the scratch cgroup ``path`` (and all below it) from a background process
    of its own session once this process has exited (its references, fds and links
    gone), retrying EBUSY for up to :data:`REMOVE_LATER_S` seconds: Ctrl-C exits at
    once and leaves nothing behind."""
    import subprocess
    import sys

    pkg_parent = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = dict(os.environ)
    env["PYTHONPATH"] = pkg_parent + (os.pathsep + env["PYTHONPATH"]
                                      if env.get("PYTHONPATH") else "")
    code = ("import sys; from cgiter_edu.live.mirror import _remove_when_gone; "
            "_remove_when_gone(int(sys.argv[1]), sys.argv[2])")
    with contextlib.suppress(OSError):
        subprocess.Popen([sys.executable, "-c", code, str(os.getpid()), path],
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, start_new_session=True, close_fds=True,
                         env=env)


def _remove_when_gone(pid: int, path: str) -> None:
    """The background remover of :func:`remove_later`: wait for ``pid`` to exit, then
    remove ``path``, retrying."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    end = time.monotonic() + REMOVE_LATER_S
    while _pid_alive(pid) and time.monotonic() < end:
        time.sleep(0.05)
    while time.monotonic() < end:
        try:
            _remove_tree(path, timeout=5.0)
            return
        except OSError:
            time.sleep(0.5)


atexit.register(_close_all)


@contextlib.contextmanager
def _signals_deferred() -> Iterator[None]:
    """Hold SIGINT/SIGTERM during a cleanup, deliver them after (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    got: list[int] = []
    old = {}
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            if signal.getsignal(sig) == signal.SIG_IGN:
                continue                    # ignored stays ignored
            old[sig] = signal.signal(sig, lambda s, f: got.append(s))
        except (ValueError, OSError):
            pass
    try:
        yield
    finally:
        for sig, h in old.items():
            signal.signal(sig, h)
        if got:
            if got[0] == signal.SIGINT and old[got[0]] is signal.default_int_handler:
                raise KeyboardInterrupt
            os.kill(os.getpid(), got[0])    # now to the handler that was there before


@contextlib.contextmanager
def sigterm_raises() -> Iterator[None]:
    """While open, SIGTERM raises SystemExit (so ``finally`` blocks run and the scratch
    cgroups are removed) when no other handler was installed."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    try:
        prev = signal.getsignal(signal.SIGTERM)
    except ValueError:
        yield
        return
    installed = False
    if prev in (signal.SIG_DFL, None):
        def _raise(signum: int, frame: object) -> None:
            raise SystemExit(128 + signum)
        signal.signal(signal.SIGTERM, _raise)
        installed = True
    try:
        yield
    finally:
        if installed:
            signal.signal(signal.SIGTERM, prev)


def _pid_ns() -> int:
    """The inode of this process's pid namespace (0 if unknown)."""
    try:
        return os.stat("/proc/self/ns/pid").st_ino
    except OSError:
        return 0


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _rmdir_retry(path: str, dir_fd: int | None = None, timeout: float = 2.0) -> None:
    """rmdir, retrying EBUSY for a while (releases are asynchronous)."""
    delay = 0.002
    end = time.monotonic() + timeout
    while True:
        try:
            os.rmdir(path, dir_fd=dir_fd)
            return
        except FileNotFoundError:
            return
        except OSError as e:
            if e.errno != errno.EBUSY or time.monotonic() > end:
                raise
        time.sleep(delay)
        delay = min(delay * 2, 0.1)


def _remove_tree(top: str, timeout: float = 2.0) -> None:
    """Remove a cgroup directory and every cgroup below it, deepest first (by directory
    fds, so paths longer than PATH_MAX are no problem)."""
    if not os.path.isdir(top):
        return
    for _dirpath, dirnames, _files, dirfd in os.fwalk(top, topdown=False):
        for d in dirnames:
            _rmdir_retry(d, dirfd, timeout)
    _rmdir_retry(top, None, timeout)


def check_parent(parent: str, mount: str) -> None:
    """``parent``, where the scratch cgroup goes, must be a cgroup v2 directory: under
    the cgroup2 mount ``mount``, with a ``cgroup.controllers`` file; else a
    :class:`LiveError` saying what it is (``--parent /tmp`` made the scratch tree of
    plain directories there and reported 'DIFFERENT: attach: emulator ok, kernel
    EBADF', an emulator the kernel disagreed with)."""
    if not os.path.isdir(parent):
        raise LiveError(f"parent {parent}: no such directory (give a cgroup directory "
                        f"under the cgroup2 mount {mount})")
    real, top = os.path.realpath(parent), os.path.realpath(mount)
    if (real != top and not real.startswith(top + os.sep)) or not os.path.exists(
            os.path.join(parent, "cgroup.controllers")):
        raise LiveError(f"parent {parent}: not a cgroup v2 directory (no cgroup.controllers "
                        f"in it); give a cgroup directory under the cgroup2 mount {mount}")


def remove_stale(parent: str | None = None) -> list[str]:
    """Remove scratch cgroups (``cgiter_edu-<pid>-<hex>-ns<ns>``) left under ``parent``
    by processes that no longer run (killed with SIGKILL, say).  Only those made in this
    pid namespace: a pid from another one (a container sharing the cgroup tree) cannot
    be checked.  Returns their paths."""
    parent = parent or cgroup2_mount()
    gone: list[str] = []
    ns = _pid_ns()
    try:
        names = os.listdir(parent)
    except OSError:
        return gone
    for name in names:
        m = SCRATCH_RE.match(name)
        if not m or not ns or int(m.group(2)) != ns or _pid_alive(int(m.group(1))):
            continue
        path = os.path.join(parent, name)
        with contextlib.suppress(OSError):
            _remove_tree(path)
            gone.append(path)
    return gone


def enough_fds(n: int) -> None:
    """Raise this process's open-file limit (RLIMIT_NOFILE, soft) towards ``n``, as far
    as the hard limit allows: a dead cgroup takes two fds (its directory and the link
    holding it), and a VM's or a shell's default of 1024 is too few for a deep tree
    removed at once."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < n:
        want = n if hard == resource.RLIM_INFINITY else min(n, hard)
        if want > soft:
            resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))


def _read_limit(path: str, name: str) -> int | None:
    try:
        with open(os.path.join(path, name)) as f:
            v = f.read().strip()
    except OSError:
        return None
    return None if v == "max" else int(v)


def _nr_descendants(path: str) -> int:
    try:
        with open(os.path.join(path, "cgroup.stat")) as f:
            for line in f:
                k, _, v = line.partition(" ")
                if k == "nr_descendants":
                    return int(v)
    except OSError:
        pass
    return 0


def room(parent: str, mount: str) -> tuple[int | None, int | None, str]:
    """How many more cgroups, and how many more levels, the host allows under
    ``parent`` (None: no limit), and the cgroup whose ``cgroup.max.descendants`` /
    ``cgroup.max.depth`` is the tightest."""
    best_n: int | None = None
    best_d: int | None = None
    where = ""
    p = os.path.abspath(parent)
    mount = os.path.abspath(mount)
    depth_below = 0           # levels from p down to parent
    while True:
        md = _read_limit(p, "cgroup.max.descendants")
        if md is not None:
            left = md - _nr_descendants(p)
            if best_n is None or left < best_n:
                best_n, where = left, os.path.join(p, "cgroup.max.descendants")
        mdep = _read_limit(p, "cgroup.max.depth")
        if mdep is not None:
            left_d = mdep - depth_below
            if best_d is None or left_d < best_d:
                best_d = left_d
                if best_n is None:
                    where = os.path.join(p, "cgroup.max.depth")
        if p == mount or len(p) <= len(mount):
            break
        p = os.path.dirname(p)
        depth_below += 1
    return best_n, best_d, where


class Mirror:
    """An emulated hierarchy made real under a scratch cgroup (see the module doc).

    ``twins``: emulated id -> :class:`Twin`, in creation order (the scratch cgroup is
    the twin of the emulated root); ``live``: emulated path -> the twin of the live
    cgroup there.  :meth:`kill` and :meth:`mkdir` change the mirror and nothing else;
    the emulated hierarchy is only read, when building.

    Parameters
    ----------
    h : Hierarchy
        The emulated hierarchy to make real.
    backend : Backend, optional
        The libbpf backend (default: the process's).
    parent : str, optional
        Where the scratch cgroup goes (default: the cgroup2 mount).

    Examples
    --------
    >>> from cgiter_edu import shapes
    >>> with Mirror(shapes.balanced(1, 2)) as m:              # doctest: +SKIP
    ...     sorted(m.live)
    ['/', '/c0', '/c1']
    """

    def __init__(self, h: Hierarchy, backend: Backend | None = None,
                 parent: str | None = None) -> None:
        self.h = h
        self.backend = backend if backend is not None else Backend.get()
        self.mount = cgroup2_mount()
        self.parent = os.path.abspath(parent or self.mount)
        check_parent(self.parent, self.mount)
        self.scratch = ""
        self.scratch_id = 0
        self.twins: dict[int, Twin] = {}
        self.live: dict[str, Twin] = {}
        self.root_emu = h.root.id
        self._closed = False
        self._devnull = -1
        self._sigterm = sigterm_raises()
        try:
            self._sigterm.__enter__()
            _open_mirrors.add(self)
            remove_stale(self.parent)
            enough_fds(2 * len(h) + 64)
            self._build()
        except BaseException as e:
            self.close(quick=isinstance(e, KeyboardInterrupt))
            raise

    # -- paths -------------------------------------------------------------------------
    def abspath(self, emu_id: int) -> str:
        """The real directory of a mirrored cgroup."""
        return self.scratch + self.twins[emu_id].rel

    def _open_dir(self, rel: str) -> int:
        """An O_RDONLY|O_DIRECTORY fd on scratch + rel, however long the path."""
        path = self.scratch + rel
        if len(path) < _PATH_LIMIT:
            return os.open(path, os.O_RDONLY | os.O_DIRECTORY)
        fd = os.open(self.scratch, os.O_RDONLY | os.O_DIRECTORY)
        parts = [p for p in rel.split("/") if p]
        while parts:
            chunk = []
            while parts and len("/".join(chunk)) < _PATH_LIMIT:
                chunk.append(parts.pop(0))
            try:
                nfd = os.open("/".join(chunk), os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
            finally:
                os.close(fd)
            fd = nfd
        return fd

    def _at(self, rel: str) -> tuple[str, int | None]:
        """(name, dir_fd) or (absolute path, None) to reach scratch + rel with *at()."""
        path = self.scratch + rel
        if len(path) < _PATH_LIMIT:
            return path, None
        parent, _, name = rel.rpartition("/")
        return name, self._open_dir(parent)

    # -- building ------------------------------------------------------------------------
    def _build(self) -> None:
        h = self.h
        views = h.cgroups()
        need = len(views)
        depth = max((v.level for v in views), default=0) + 1
        left, left_depth, where = room(self.parent, self.mount)
        if left is not None and need > left:
            raise LiveError(
                f"the hierarchy needs {need} cgroups (the scratch cgroup and {need - 1} "
                f"below it) but the host allows {max(left, 0)} more under {self.parent} "
                f"({where}); raise that limit or mirror a smaller hierarchy")
        if left_depth is not None and depth > left_depth:
            raise LiveError(
                f"the hierarchy is {depth} levels deep under {self.parent} (the scratch "
                f"cgroup included) but the host allows {max(left_depth, 0)} there ({where})")
        if need >= (1 << 17):
            raise LiveError(f"{need} cgroups: the live backend mirrors at most {(1 << 17) - 1}")
        name = f"cgiter_edu-{os.getpid()}-{secrets.token_hex(4)}-ns{_pid_ns()}"
        path = os.path.join(self.parent, name)
        self.scratch = path                 # first: close() removes it from now on
        self._mkdir_real(path, None)
        self.scratch_id = os.stat(path).st_ino
        root = h.root.id
        self.twins[root] = self.live["/"] = Twin(root, "/", self.scratch_id, "")
        self.backend.map_ids([(self.scratch_id, root)])
        pending: list[tuple[str, int]] = []        # dead, to be removed
        for v in views[1:]:
            self._kill_pending(pending, v.path)
            self._create(v.path, v.id, v.parent.id, v.name)
            if v.dead:
                pending.append((v.path, v.id))
        self._kill_pending(pending, None)

    def _kill_pending(self, pending: list[tuple[str, int]], path: str | None) -> None:
        for p, cid in due_before(pending, path):
            self._kill_id(cid, p)

    def _mkdir_real(self, path: str, dir_fd: int | None) -> None:
        try:
            os.mkdir(path, dir_fd=dir_fd)
        except OSError as e:
            if e.errno == errno.EAGAIN:
                left, _d, where = room(self.parent, self.mount)
                raise LiveError(
                    f"the host refused a new cgroup (EAGAIN: cgroup.max.descendants or "
                    f"cgroup.max.depth reached{', see ' + where if where else ''}); the "
                    f"hierarchy has {len(self.h)} cgroups; mirror a smaller one or raise "
                    "the limit") from None
            raise

    def _create(self, emu_path: str, emu_id: int, parent_emu: int, name: str) -> int:
        prel = self.twins[parent_emu].rel
        rel = f"{prel}/{name}"
        target, dfd = self._at(rel)
        try:
            try:
                self._mkdir_real(target, dfd)
            except FileExistsError:
                # a name the kernel keeps for an interface file (cgroup.procs, cpu.stat...)
                rel = f"{prel}/_cgiter_{emu_id}"
                if dfd is not None:
                    os.close(dfd)
                target, dfd = self._at(rel)
                self._mkdir_real(target, dfd)
            real = os.stat(target, dir_fd=dfd).st_ino
        finally:
            if dfd is not None:
                os.close(dfd)
        self.twins[emu_id] = self.live[emu_path] = Twin(emu_id, emu_path, real, rel)
        self.backend.map_ids([(real, emu_id)])
        return real

    def _kill_id(self, emu_id: int, emu_path: str) -> None:
        t = self.twins[emu_id]
        fd = self._open_dir(t.rel)
        try:
            t.hold = self.backend.attach("cgroup_record", 1, cgroup_fd=fd)   # SELF_ONLY
        except OSError:
            os.close(fd)
            raise
        t.dead_fd = fd
        target, dfd = self._at(t.rel)
        try:
            os.rmdir(target, dir_fd=dfd)
        finally:
            if dfd is not None:
                os.close(dfd)
        if self.live.get(emu_path) is t:
            del self.live[emu_path]

    # -- changes after the build (a case's dead / remake) ----------------------------------
    def kill(self, emu_path: str) -> None:
        """Make the live cgroup at ``emu_path`` dead: hold it (a directory fd and an
        iterator link on it), then rmdir it."""
        self._kill_id(self.live[emu_path].emu_id, emu_path)

    def mkdir(self, emu_path: str, emu_id: int) -> int:
        """Create a cgroup at ``emu_path`` standing for emulated id ``emu_id``; returns
        its real id."""
        parent, _, name = emu_path.rpartition("/")
        return self._create(emu_path, emu_id, self.live[parent or "/"].emu_id, name)

    # -- attach arguments ----------------------------------------------------------------
    def real_id(self, emu_id: int) -> int:
        """The real id standing for an emulated id: the mirrored cgroup's, 0 for 0, and
        for an id no cgroup of the mirror has, one no real cgroup has either."""
        if not emu_id:
            return 0
        t = self.twins.get(emu_id)
        if t is not None:
            return t.real_id
        return UNKNOWN_BASE | (emu_id & (UNKNOWN_BASE - 1))

    def open_live(self, emu_path: str) -> int:
        """A new fd on a live mirrored cgroup (the caller closes it)."""
        return self._open_dir(self.live[emu_path].rel)

    def devnull(self) -> int:
        """An open fd that is no cgroup directory (stands for a number that is no open
        cgroup fd: the kernel says EBADF for both)."""
        if self._devnull < 0:
            self._devnull = os.open(os.devnull, os.O_RDONLY)
        return self._devnull

    # -- removing it all -----------------------------------------------------------------
    def close(self, quick: bool = False) -> None:
        """Remove the scratch subtree and drop every reference.  Idempotent; SIGINT and
        SIGTERM wait until it is done.  LiveError if something could not be removed.

        ``quick`` (after Ctrl-C): spend at most :data:`QUICK_CLOSE_S` seconds here and
        leave what is still there to a background remover (:func:`remove_later`) that
        finishes once this process has exited."""
        if self._closed:
            return
        self._closed = True
        problem = ""
        deadline = time.monotonic() + QUICK_CLOSE_S if quick else None

        def left(timeout: float) -> float:
            if deadline is None:
                return timeout
            return max(0.0, min(timeout, deadline - time.monotonic()))

        with _signals_deferred():
            try:
                # the live cgroups this mirror made, deepest first (children were made
                # after their parents); the dead ones are removed already
                for t in reversed(list(self.twins.values())):
                    if t.dead or not t.rel:
                        continue
                    if deadline is not None and time.monotonic() > deadline:
                        break
                    with contextlib.suppress(OSError):
                        target, dfd = self._at(t.rel)
                        try:
                            _rmdir_retry(target, dfd, timeout=left(0.2))
                        finally:
                            if dfd is not None:
                                os.close(dfd)
                # then whatever is there (an interrupted build may have made one more)
                if self.scratch:
                    try:
                        _remove_tree(self.scratch, timeout=left(2.0))
                    except OSError as e:
                        if quick:
                            remove_later(self.scratch)
                        else:
                            problem = f"{e.filename or self.scratch}: {e.strerror}"
                for t in self.twins.values():
                    if t.hold is not None:
                        t.hold.destroy()
                        t.hold = None
                    if t.dead_fd is not None:
                        with contextlib.suppress(OSError):
                            os.close(t.dead_fd)
                        t.dead_fd = -1                   # closed, still dead
                if self._devnull >= 0:
                    os.close(self._devnull)
                    self._devnull = -1
                with contextlib.suppress(Exception):
                    self.backend.unmap_ids(t.real_id for t in self.twins.values())
            finally:
                _open_mirrors.discard(self)
                with contextlib.suppress(Exception):
                    self._sigterm.__exit__(None, None, None)
        if problem and os.path.exists(self.scratch):
            raise LiveError(f"could not remove the scratch cgroup {self.scratch}: {problem}")

    def __enter__(self) -> Mirror:
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        self.close(quick=isinstance(exc_type, type) and issubclass(exc_type, KeyboardInterrupt))

    def __repr__(self) -> str:
        return (f"<Mirror of {len(self.twins)} cgroups at {self.scratch or '(none)'}"
                f"{' closed' if self._closed else ''}>")
