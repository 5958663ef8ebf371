"""The cgroups of one cgroup v2 hierarchy, as a tree: ids, paths, children, ``mkdir`` and
``rmdir``.

:class:`CgroupTree` is the first of the three layers :class:`~cgiter_edu.Hierarchy` is
built of, each in its module:

- :class:`CgroupTree` (this module): the tree, over the kernel's own structure
  (:class:`~cgiter_edu.kernel.cgroup.CgroupRoot`: Css objects on sibling lists in
  creation order, the id and path indexes, ``cgroup_mutex``);
- :class:`~cgiter_edu.processes.Processes`: the processes and threads in the cgroups;
- :class:`~cgiter_edu.references.References`: what references a cgroup (open fds, the
  reference an iterator link holds) and the dead cgroups it keeps listed;

and :class:`~cgiter_edu.Hierarchy` itself adds saving as JSON.  Each layer inherits the
one below it, so ``h.mkdir``, ``h.spawn`` and ``h.kill`` are all methods of a
:class:`~cgiter_edu.Hierarchy`; the examples are written for it.
"""

from __future__ import annotations

import errno
from collections.abc import Iterator

import networkx as nx

from .kernel.cgroup import (
    CSS_ONLINE,
    CgroupMutex,
    CgroupRoot,
    CgroupView,
    Css,
    cgroup_destroy_locked,
    cgroup_mkdir,
    css_has_online_children,
    css_next_descendant_pre,
)
from .paths import check_id, norm, oserror, split


class CgroupTree:
    """The cgroups of one hierarchy, their ids and paths: layer 1 of
    :class:`~cgiter_edu.Hierarchy`.

    Cgroups are made with :meth:`mkdir` (ids grow in creation order, as the kernel's
    do) and removed with :meth:`rmdir`; a removed cgroup that something still references
    stays on its parent's list, *dead* (layer 3, :mod:`cgiter_edu.references`, makes
    such references).

    Parameters
    ----------
    root_id : int
        The id of the root ``/``: a positive 64-bit number (else TypeError, or OSError
        EINVAL, as :class:`~cgiter_edu.Hierarchy` says).

    Examples
    --------
    >>> h = Hierarchy(root_id=7); h.mkdir("/a"), h.mkdir("/a/b")
    (8, 9)
    >>> [(c.id, c.path) for c in h.children("/a")], h.root.id
    ([(9, '/a/b')], 7)
    """

    def __init__(self, root_id: int = 1) -> None:
        check_id(root_id)
        #: the kernel side: ``struct cgroup_root`` with the id/path indexes and cgroup_mutex
        self.cgroup_root = CgroupRoot(root_id)
        self._by_id: dict[int, Css] = self.cgroup_root.by_id
        self._by_path: dict[str, Css] = self.cgroup_root.by_path
        self._used_ids: set[int] = {root_id}
        self._next_id = root_id + 1
        self._graph: tuple[int, nx.DiGraph] | None = None

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

