"""A cgroup v2 hierarchy: ids, creation order, and dead but still referenced cgroups.

The hierarchy is the user-facing layer (paths, fds, JSON, a networkx view) over the
kernel's own structure (:class:`~cgiter_edu.kernel.cgroup.CgroupRoot`: Css objects on
sibling lists in creation order, the id and path indexes, ``cgroup_mutex``).  ``h.graph``
is a read-only :class:`networkx.DiGraph` built from it when read (nodes are cgroup ids,
edges parent -> child, children in creation order, node attributes ``name``, ``path``
and ``dead``).

Example::

    >>> from cgiter_edu import Hierarchy
    >>> h = Hierarchy()
    >>> h.mkdir("/a"), h.mkdir("/a/b", cgroup_id=63), h.mkdir("/c")
    (2, 63, 64)
    >>> _ = h.kill("/a/b")             # rmdir while referenced: dead, still listed
    >>> h.cgroup(63).dead, list(h.graph.successors(2))
    (True, [63])
    >>> h.release(63); list(h.graph.successors(2))  # the last reference goes: released
    []
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from typing import Any

import networkx as nx

from . import hierarchy_json
from .kernel.cgroup import (
    CSS_ONLINE,
    CgroupMutex,
    CgroupRoot,
    CgroupView,
    Css,
    Task,
    cgroup_destroy_locked,
    cgroup_mkdir,
    css_get,
    css_has_online_children,
    css_next_descendant_pre,
    css_put,
)
from .paths import check_id, norm, oserror, split

#: the first pid :meth:`Hierarchy.spawn` gives (low pids belong to early boot)
FIRST_PID = 1000
Cgroup = CgroupView


class CgroupFd:
    """An open cgroup directory, what :meth:`Hierarchy.open` returns.

    As on the kernel it pins nothing: after ``rmdir`` the cgroup leaves its parent's
    list as soon as nothing else (an iterator link or file) references it, and
    attaching with this fd then gives ``ENOENT``.

    ``int(fd)`` is its number (>= 3, the lowest free one, as the kernel picks).
    Usable as a context manager.

    Parameters
    ----------
    hierarchy : Hierarchy
        The hierarchy whose fd table holds it.
    css : Css
        What the directory refers to (``file->f_path.dentry``).
    fd : int
        Its number.

    Examples
    --------
    >>> h = Hierarchy(); _ = h.mkdir("/a")
    >>> with h.open("/a") as fd:
    ...     int(fd), fd.cgroup.path
    (3, '/a')
    """

    def __init__(self, hierarchy: Hierarchy, css: Css, fd: int) -> None:
        self.hierarchy = hierarchy
        self.css = css               #: what the directory refers to (``file->f_path.dentry``)
        self.fd = fd
        self.closed = False

    @property
    def cgroup(self) -> CgroupView:
        """The cgroup this fd is open on."""
        return self.css.view

    def fileno(self) -> int:
        """The fd number."""
        return self.fd

    def __int__(self) -> int:
        return self.fd

    def __index__(self) -> int:
        return self.fd

    def close(self) -> None:
        """Close the fd (no ``cgroup_mutex``, no reference to drop)."""
        if not self.closed:
            self.closed = True
            del self.hierarchy.fdtable[self.fd]

    def __enter__(self) -> CgroupFd:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<CgroupFd {self.fd} on {self.css.path}{' closed' if self.closed else ''}>"


class Hierarchy:
    """One cgroup v2 hierarchy: its cgroups, their ids, ``cgroup_mutex`` and open fds.

    The user-facing side of the kernel's ``struct cgroup_root`` (kept in
    :attr:`cgroup_root`): cgroups are made with :meth:`mkdir` (ids grow in creation
    order, as the kernel's do), removed with :meth:`rmdir`, made dead but still
    referenced with :meth:`kill` (as an iterator link on them would), and opened with
    :meth:`open` like a directory (an fd pins nothing, as on the kernel).

    Parameters
    ----------
    root_id : int
        The id of the root ``/`` (1 on a real cgroup v2 mount).

    Attributes
    ----------
    cgroup_root : CgroupRoot
        The kernel side: the id and path lookups and ``cgroup_mutex``.
    fdtable : dict of int to CgroupFd
        This process's open cgroup fds, as ``cgroup_v1v2_get_from_fd`` looks them up.
    graph : networkx.DiGraph
        A read-only graph of the live and dead cgroups, children in creation order.

    Raises
    ------
    TypeError
        For a root id that is not an int.
    OSError
        EINVAL for a root id that is not a positive 64-bit number.

    See Also
    --------
    cgiter_edu.shapes : ready hierarchies (systemd host, Kubernetes node, ...).
    Hierarchy.from_json : a hierarchy saved by :meth:`to_json`.

    Examples
    --------
    >>> h = Hierarchy(); h.mkdir("/a")
    2
    >>> h.id_of("/a"), h.path_of(2), h.root.id
    (2, '/a', 1)
    """

    def __init__(self, root_id: int = 1) -> None:
        check_id(root_id)
        #: the kernel side: ``struct cgroup_root`` with the id/path indexes and cgroup_mutex
        self.cgroup_root = CgroupRoot(root_id)
        self._by_id: dict[int, Css] = self.cgroup_root.by_id
        self._by_path: dict[str, Css] = self.cgroup_root.by_path
        self._used_ids: set[int] = {root_id}
        self._next_id = root_id + 1
        #: this process's open cgroup fds, number -> :class:`CgroupFd` (what
        #: ``cgroup_v1v2_get_from_fd`` looks a number up in)
        self.fdtable: dict[int, CgroupFd] = {}
        self._held: dict[int, CgroupFd] = {}
        self._graph: tuple[int, nx.DiGraph] | None = None
        #: every process (thread-group leader) by pid; pids grow like the kernel's
        self._procs: dict[int, Task] = {}
        self._next_pid = FIRST_PID

    @property
    def cgroup_mutex(self) -> CgroupMutex:
        """``cgroup_mutex`` of this hierarchy."""
        return self.cgroup_root.cgroup_mutex

    @property
    def root_css(self) -> Css:
        """The root cgroup's kernel object (``cgrp_dfl_root.cgrp``)."""
        return self.cgroup_root.cgrp

    @property
    def graph(self) -> nx.DiGraph:
        """The tree as a read-only :class:`networkx.DiGraph`: nodes are cgroup ids (node
        attributes ``name``, ``path``, ``dead``), edges parent -> child, children in
        creation order.  Built when read, cached until the tree changes.

        >>> h = Hierarchy(); _ = h.mkdir("/a"); list(h.graph.edges)
        [(1, 2)]
        """
        gen = self.cgroup_root.generation
        if self._graph is None or self._graph[0] != gen:
            g = nx.DiGraph()
            pos = None
            root = self.cgroup_root.cgrp
            while (pos := css_next_descendant_pre(pos, root)) is not None:
                g.add_node(pos.cgroup_id, name=pos.name, path=pos.path,
                           dead=not pos.flags & CSS_ONLINE)
                if pos.parent is not None:
                    g.add_edge(pos.parent.cgroup_id, pos.cgroup_id)
            self._graph = (gen, nx.freeze(g))
        return self._graph[1]

    # -- lookups -----------------------------------------------------------------------
    @property
    def root(self) -> CgroupView:
        """The root cgroup ``/``."""
        return self.root_css.view

    def id_of(self, path: str) -> int:
        """The id of the live cgroup at a path.

        Parameters
        ----------
        path : str
            The cgroup's path.

        Returns
        -------
        int
            Its id.

        Raises
        ------
        KeyError
            No live cgroup there.

        Examples
        --------
        >>> h = Hierarchy(); _ = h.mkdir("/a"); h.id_of("/a")
        2
        """
        try:
            return self._by_path[norm(path)].cgroup_id
        except KeyError:
            raise KeyError(f"no cgroup at {path!r}") from None

    def path_of(self, cgroup_id: int) -> str:
        """The path of a cgroup (a dead one keeps the path it had).

        Parameters
        ----------
        cgroup_id : int
            The cgroup's id.

        Returns
        -------
        str
            Its path.

        Raises
        ------
        KeyError
            No cgroup has that id.

        Examples
        --------
        >>> h = Hierarchy(); _ = h.mkdir("/a"); h.path_of(2)
        '/a'
        """
        try:
            return self._by_id[cgroup_id].path
        except (KeyError, TypeError):
            raise KeyError(f"no cgroup has id {cgroup_id!r}") from None

    def cgroup(self, key: str | int) -> CgroupView:
        """The cgroup (a read-only view) at a path or with an id.

        Parameters
        ----------
        key : str or int
            A path or an id.

        Returns
        -------
        CgroupView
            Its id, name, path, level, parent, dead...

        Raises
        ------
        KeyError
            No such cgroup.

        Examples
        --------
        >>> h = Hierarchy(); _ = h.mkdir("/a"); h.cgroup("/a").id, h.cgroup(2).level
        (2, 1)
        """
        return self._css(key).view

    def __contains__(self, key: object) -> bool:
        if isinstance(key, str):
            return norm(key) in self._by_path
        return key in self._by_id

    def __len__(self) -> int:
        """Every cgroup still in the hierarchy, dead ones included."""
        return len(self._by_id)

    def __iter__(self) -> Iterator[CgroupView]:
        return iter(self.cgroups())

    def cgroups(self) -> list[CgroupView]:
        """Every cgroup, dead ones included, parents before children.

        Returns
        -------
        list of CgroupView
            Siblings in creation order (a pre-order over the sibling lists).

        Examples
        --------
        >>> h = Hierarchy(); _ = h.mkdir("/b"); _ = h.mkdir("/a")
        >>> [c.path for c in h.cgroups()]
        ['/', '/b', '/a']
        """
        out = []
        pos = None
        while (pos := css_next_descendant_pre(pos, self.root_css)) is not None:
            out.append(pos.view)
        return out

    def children(self, key: str | int) -> list[CgroupView]:
        """The children of a cgroup, in creation order, dead ones included.

        Parameters
        ----------
        key : str or int
            A path or an id.

        Returns
        -------
        list of CgroupView
            The children.

        Raises
        ------
        KeyError
            No such cgroup.

        Examples
        --------
        >>> h = Hierarchy(); _ = h.mkdir("/b"); _ = h.mkdir("/a")
        >>> [c.name for c in h.children("/")]
        ['b', 'a']
        """
        css = self._css(key)
        out = []
        c = css.first_child
        while c is not None:
            out.append(c.view)
            c = c.sibling_next
        return out

    def fd(self, number: int) -> CgroupFd:
        """The open :class:`CgroupFd` with this number (this hierarchy's fd table).

        Parameters
        ----------
        number : int
            The fd number.

        Returns
        -------
        CgroupFd
            The open fd.

        Raises
        ------
        KeyError
            None is open with that number.

        Examples
        --------
        >>> h = Hierarchy(); fd = h.open("/")
        >>> h.fd(int(fd)) is fd
        True
        """
        try:
            return self.fdtable[number]
        except KeyError:
            raise KeyError(f"no open cgroup fd {number!r}") from None

    @property
    def held(self) -> dict[int, CgroupFd]:
        """References the hierarchy itself holds on dead cgroups (from :meth:`kill` and
        from loading a saved hierarchy), by id; :meth:`release` drops one."""
        return dict(self._held)

    def _live(self, path: str) -> Css:
        """The live cgroup at ``path``, or OSError(ENOENT) (as a path lookup fails)."""
        css = self._by_path.get(norm(path))
        if css is None:
            raise oserror(errno.ENOENT, f"no cgroup at {path!r}")
        return css

    def _css(self, key: str | int) -> Css:
        if isinstance(key, str):
            css = self._by_path.get(norm(key))
        else:
            css = self._by_id.get(key)
        if css is None:
            raise KeyError(f"no cgroup at {key!r}" if isinstance(key, str)
                           else f"no cgroup has id {key!r}")
        return css

    # -- changing it --------------------------------------------------------------------
    def mkdir(self, path: str, cgroup_id: int | None = None) -> int:
        """``mkdir`` a cgroup; the new cgroup goes at the end of its parent's children.

        Parameters
        ----------
        path : str
            The new cgroup's path.
        cgroup_id : int, optional
            Its id (unique, positive); by default ids grow with creation.

        Returns
        -------
        int
            Its id.

        Raises
        ------
        OSError
            ENOENT (no parent), EEXIST (exists, or id taken), ENAMETOOLONG, EINVAL (a bad
            name or id).

        Examples
        --------
        >>> h = Hierarchy(); h.mkdir("/a"), h.mkdir("/a/b")
        (2, 3)
        """
        parent_path, name = split(path)
        if cgroup_id is not None:
            check_id(cgroup_id)
        self.cgroup_mutex.lock(f"mkdir {path}")
        try:
            parent = self._by_path.get(parent_path)
            if parent is None:
                raise oserror(errno.ENOENT, f"cannot create {path!r}: parent {parent_path!r} does "
                                         "not exist")
            child_path = ("/" + name) if parent_path == "/" else f"{parent_path}/{name}"
            if child_path in self._by_path:
                raise oserror(errno.EEXIST, f"cgroup {child_path!r} already exists")
            if cgroup_id is None:
                cgroup_id = self._next_id
                if cgroup_id >= 1 << 64:
                    raise oserror(errno.ENOSPC, "no cgroup ids left: the next automatic id would "
                                             "not fit in 64 bits (an explicit id took the top)")
            elif cgroup_id in self._used_ids:
                raise oserror(errno.EEXIST, f"cgroup id {cgroup_id} is already taken"
                           + (f" by {self._by_id[cgroup_id].path!r}" if cgroup_id in self._by_id
                              else " (by a cgroup since released; ids are never reused)"))
            cgroup_mkdir(self.cgroup_root, parent, name, cgroup_id)
            self._used_ids.add(cgroup_id)
            if cgroup_id >= self._next_id:
                self._next_id = cgroup_id + 1
            return cgroup_id
        finally:
            self.cgroup_mutex.unlock()

    def rmdir(self, path: str) -> None:
        """``rmdir`` a cgroup.

        Still referenced (an iterator link or file; an open :class:`CgroupFd` pins
        nothing), it becomes *dead* and stays on its parent's list until released.

        Parameters
        ----------
        path : str
            The cgroup's path.

        Raises
        ------
        OSError
            EBUSY if it has live children or processes (or is the root), ENOENT if there
            is none.

        Examples
        --------
        >>> h = Hierarchy(); _ = h.mkdir("/a"); h.rmdir("/a"); "/a" in h
        False
        """
        self.cgroup_mutex.lock(f"rmdir {path}")
        try:
            css = self._live(path)
            if css.parent is None:
                raise oserror(errno.EBUSY, "the root cgroup cannot be removed")
            if css_has_online_children(css):
                raise oserror(errno.EBUSY, f"cgroup {css.path!r} has live children")
            if css.tasks:
                raise oserror(errno.EBUSY, f"cgroup {css.path!r} has processes "
                                        f"({len(css.tasks)} tasks): cgroup_destroy_locked "
                                        "refuses a populated cgroup")
            cgroup_destroy_locked(css)
        finally:
            self.cgroup_mutex.unlock()

    def open(self, path: str) -> CgroupFd:
        """Open a cgroup directory (no ``cgroup_mutex``).

        Parameters
        ----------
        path : str
            The cgroup's path.

        Returns
        -------
        CgroupFd
            The fd, the lowest free number >= 3; it pins nothing, as on the kernel.

        Raises
        ------
        OSError
            ENOENT: no live cgroup there.

        Examples
        --------
        >>> h = Hierarchy(); _ = h.mkdir("/a")
        >>> with h.open("/a") as fd: int(fd)
        3
        """
        css = self._live(path)
        fd = 3
        while fd in self.fdtable:
            fd += 1
        cfd = CgroupFd(self, css, fd)
        self.fdtable[fd] = cfd
        return cfd

    def kill(self, path: str) -> CgroupFd:
        """Make a *dead* cgroup: removed, still referenced, still on its parent's list.

        Open it, take the reference an iterator link attached to it would hold
        (``cgroup_get_from_fd``), then rmdir it.  The hierarchy keeps the
        fd and that reference in :attr:`held` until :meth:`release`.  Its processes exit
        first (as when a service stops or a session ends: the kernel refuses to remove a
        populated cgroup, :meth:`rmdir` gives EBUSY), unless the rmdir would fail anyway.

        Parameters
        ----------
        path : str
            The cgroup's path.

        Returns
        -------
        CgroupFd
            The fd the hierarchy holds.

        Raises
        ------
        OSError
            As :meth:`rmdir` (EBUSY for live children or the root, ENOENT).

        Examples
        --------
        >>> h = Hierarchy(); _ = h.mkdir("/a"); _ = h.spawn("/a", "bash")
        >>> _ = h.kill("/a"); h.cgroup(2).dead, h.tasks(2)
        (True, [])
        """
        css = self._live(path)
        if css.parent is not None and not css_has_online_children(css):
            for pid in self.procs(css.cgroup_id):
                self.exit(pid)
        fd = self.open(path)
        css_get(fd.css)
        try:
            self.rmdir(path)
        except OSError:
            fd.close()
            css_put(fd.css)
            raise
        self._held[fd.css.cgroup_id] = fd
        return fd

    def release(self, cgroup_id: int) -> None:
        """Drop the reference the hierarchy holds on a dead cgroup and close its fd.

        The cgroup is released (leaves its parent's list) unless an iterator still
        references it.

        Parameters
        ----------
        cgroup_id : int
            A dead cgroup of :attr:`held`.

        Raises
        ------
        KeyError
            The hierarchy holds no reference on it.

        Examples
        --------
        >>> h = Hierarchy(); _ = h.mkdir("/a"); _ = h.kill("/a"); h.release(2); 2 in h
        False
        """
        fd = self._held.pop(cgroup_id, None)
        if fd is None:
            raise KeyError(f"the hierarchy holds no reference on cgroup {cgroup_id!r}")
        fd.close()
        css_put(fd.css)

    # -- processes and threads ------------------------------------------------------------
    def spawn(self, path: str, comm: str, threads: int = 0, pid: int | None = None,
              tids: list[int] | None = None) -> int:
        """Start a process in a cgroup, with its threads; returns its pid.

        Pids grow (the kernel allocates the next free one); a process's threads take
        the pids right after it.  It goes to the end of the cgroup's task list, its threads after it, as
        ``cgroup_post_fork`` and a write to ``cgroup.procs`` put them.

        Parameters
        ----------
        path : str
            The cgroup's path.
        comm : str
            The process's name.
        threads : int, default 0
            Threads beside the main one.
        pid : int, optional
            Its pid (default: the next free one).
        tids : list of int, optional
            The threads' ids (instead of ``threads``).

        Returns
        -------
        int
            The pid.

        Raises
        ------
        OSError
            ENOENT (no such cgroup), EEXIST (a pid taken).

        Examples
        --------
        >>> h = Hierarchy(); _ = h.mkdir("/a"); h.spawn("/a", "nginx", threads=2)
        1000
        >>> [(t.pid, t.tgid) for t in h.tasks("/a")]
        [(1000, 1000), (1001, 1000), (1002, 1000)]
        """
        css = self._live(path)
        if not isinstance(comm, str) or not comm:
            raise ValueError(f"a process needs a name (comm), not {comm!r}")
        if pid is None:
            pid = self._next_pid
        tids = list(range(pid + 1, pid + 1 + threads)) if tids is None else list(tids)
        for t in [pid, *tids]:
            if isinstance(t, bool) or not isinstance(t, int) or not 0 < t < 1 << 22:
                raise oserror(errno.EINVAL, f"pid {t!r}: a pid is from 1 to 4194303 (pid_max)")
            if self._pid_used(t):
                raise oserror(errno.EEXIST, f"pid {t} is already in use")
        if len(set(tids) | {pid}) != len(tids) + 1:
            raise oserror(errno.EEXIST, f"the thread ids of pid {pid} repeat")
        leader = Task(pid, pid, comm[:15], css)           # TASK_COMM_LEN 16
        for t in tids:
            th = Task(t, pid, comm[:15], css)
            th.group_leader = leader
            leader.threads.append(th)
        css.tasks.extend(leader.threads)
        self._procs[pid] = leader
        self._next_pid = max(self._next_pid, max([pid, *tids]) + 1)
        self.cgroup_root.generation += 1
        return pid

    def _pid_used(self, t: int) -> bool:
        return any(t == th.pid for p in self._procs.values() for th in p.threads)

    def move(self, pid: int, path: str) -> None:
        """Write a pid to ``<path>/cgroup.procs``: the whole process (every thread) leaves
        its cgroup and goes to the end of the other's list.

        Parameters
        ----------
        pid : int
            The process.
        path : str
            The cgroup it goes to.

        Raises
        ------
        OSError
            ESRCH if no such process, ENOENT if no such cgroup.

        Examples
        --------
        >>> h = Hierarchy(); _ = h.mkdir("/a"); _ = h.mkdir("/b"); p = h.spawn("/a", "sh")
        >>> h.move(p, "/b"); h.procs("/a"), h.procs("/b")
        ([], [1000])
        """
        css = self._live(path)
        leader = self._procs.get(pid)
        if leader is None:
            raise oserror(errno.ESRCH, f"no process {pid}")
        old = leader.css
        old.tasks[:] = [t for t in old.tasks if t.group_leader is not leader]
        for t in leader.threads:
            t.css = css
        css.tasks.extend(leader.threads)
        self.cgroup_root.generation += 1

    def exit(self, pid: int) -> None:
        """A process exits (every thread): it leaves its cgroup.

        Parameters
        ----------
        pid : int
            The process.

        Raises
        ------
        OSError
            ESRCH: no such process.

        Examples
        --------
        >>> h = Hierarchy(); p = h.spawn("/", "sh"); h.exit(p); h.procs("/")
        []
        """
        leader = self._procs.pop(pid, None)
        if leader is None:
            raise oserror(errno.ESRCH, f"no process {pid}")
        leader.css.tasks[:] = [t for t in leader.css.tasks if t.group_leader is not leader]
        self.cgroup_root.generation += 1

    def tasks(self, key: str | int) -> list[Task]:
        """Every task (thread) of a cgroup, in its list order (``cgroup.threads``).

        Parameters
        ----------
        key : str or int
            A path or an id.

        Returns
        -------
        list of Task
            Each with its ``pid``, ``tgid`` and ``comm``.

        Examples
        --------
        >>> h = Hierarchy(); _ = h.spawn("/", "nginx", threads=1)
        >>> [(t.pid, t.tgid) for t in h.tasks("/")]
        [(1000, 1000), (1001, 1000)]
        """
        return list(self._css(key).tasks)

    def procs(self, key: str | int) -> list[int]:
        """The pids of a cgroup's processes, in order (``cgroup.procs``).

        Parameters
        ----------
        key : str or int
            A path or an id.

        Returns
        -------
        list of int
            The pids.

        Examples
        --------
        >>> h = Hierarchy(); _ = h.spawn("/", "nginx", threads=1); h.procs("/")
        [1000]
        """
        return [t.pid for t in self._css(key).tasks if t.group_leader is t]

    # -- JSON -------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready description that :meth:`from_dict` turns back into the same
        hierarchy.

        Returns
        -------
        dict
            Ids, sibling order, dead cgroups, the next automatic id, and each cgroup's
            processes (``"procs"``: pid, comm and thread ids, in list order).

        Examples
        --------
        >>> h = Hierarchy(); _ = h.mkdir("/a"); Hierarchy.from_dict(h.to_dict()) == h
        True
        """
        return hierarchy_json.to_dict(self)

    def to_json(self, path: str | os.PathLike | None = None, indent: int | None = 1) -> str:
        """JSON text of :meth:`to_dict` (:meth:`from_json` reads it back); ``save`` is the
        same method.

        Parameters
        ----------
        path : str or path-like, optional
            Also write the text there.
        indent : int, optional
            As :func:`json.dumps` (default 1; None: one line).

        Returns
        -------
        str
            The JSON text.

        Examples
        --------
        >>> h = Hierarchy(); _ = h.mkdir("/a"); Hierarchy.from_json(h.to_json()) == h
        True
        """
        return hierarchy_json.to_json(self, path, indent)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Hierarchy:
        """Build a hierarchy from :meth:`to_dict` output.  Rejects (ValueError, naming the
        entry) duplicate ids and names, unknown parents, cycles, bad names, and live
        cgroups under dead ones.  Dead cgroups are held by :attr:`held`."""
        return hierarchy_json.from_dict(cls, d)

    @classmethod
    def from_json(cls, text_or_path: str | os.PathLike) -> Hierarchy:
        """Load JSON text, or a file holding it (see :meth:`from_dict`)."""
        return hierarchy_json.from_json(cls, text_or_path)

    save = to_json
    load = from_json

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Hierarchy) and self.to_dict() == other.to_dict()

    def __repr__(self) -> str:
        dead = sum(1 for c in self._by_id.values() if not c.flags & CSS_ONLINE)
        return f"<Hierarchy {len(self._by_id)} cgroups{f', {dead} dead' if dead else ''}>"


