"""What references a cgroup, and the dead cgroups references keep: open cgroup fds
(:class:`CgroupFd`), the reference an iterator link holds, ``kill`` and ``release``.

:class:`References` is layer 3 of :class:`~cgiter_edu.Hierarchy` (see
:mod:`cgiter_edu.cgroup_tree`).  As on the kernel an open fd pins nothing; a reference
(``css_get``, what an iterator link attached to the cgroup holds) does: after ``rmdir``
the cgroup is *dead*, still on its parent's list, until the last reference goes
(``css_put``).
"""

from __future__ import annotations

from .kernel.cgroup import CgroupView, Css, css_get, css_has_online_children, css_put
from .processes import Processes


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

    def __init__(self, hierarchy: References, css: Css, fd: int) -> None:
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



class References(Processes):
    """Open cgroup fds and the dead cgroups the hierarchy holds: layer 3 of
    :class:`~cgiter_edu.Hierarchy`.

    Parameters
    ----------
    root_id : int
        The id of the root ``/`` (as :class:`~cgiter_edu.cgroup_tree.CgroupTree`).

    Attributes
    ----------
    fdtable : dict of int to CgroupFd
        This process's open cgroup fds, as ``cgroup_v1v2_get_from_fd`` looks them up.

    Examples
    --------
    >>> h = Hierarchy(); _ = h.mkdir("/a"); fd = h.open("/a"); int(fd), h.fd(3) is fd
    (3, True)
    >>> _ = h.kill("/a"); sorted(h.held), h.cgroup(2).dead
    ([2], True)
    """

    def __init__(self, root_id: int = 1) -> None:
        super().__init__(root_id)
        #: this process's open cgroup fds, number -> :class:`CgroupFd` (what
        #: ``cgroup_v1v2_get_from_fd`` looks a number up in)
        self.fdtable: dict[int, CgroupFd] = {}
        self._held: dict[int, CgroupFd] = {}

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

