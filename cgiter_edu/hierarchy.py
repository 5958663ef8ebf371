"""A cgroup v2 hierarchy: ids, creation order, and dead but still referenced cgroups.

The hierarchy is the user-facing layer (paths, fds, JSON, a networkx view) over the
kernel's own structure (:class:`~cgiter_edu.kernel.cgroup.CgroupRoot`: Css objects on
sibling lists in creation order, the id and path indexes, ``cgroup_mutex``).  ``h.graph``
is a read-only :class:`networkx.DiGraph` built from it when read (nodes are cgroup ids,
edges parent -> child, children in creation order, node attributes ``name``, ``path``
and ``dead``).

:class:`Hierarchy` is built in layers, one idea a module, each inheriting the one
below: :mod:`~cgiter_edu.cgroup_tree` (the cgroups: ``mkdir``, ``rmdir``, ids, paths,
children), :mod:`~cgiter_edu.processes` (the processes and threads in them: ``spawn``,
``move``, ``exit``, ``tasks``, ``procs``), :mod:`~cgiter_edu.references` (open fds, dead
cgroups: ``open``, ``kill``, ``release``); this module adds saving it as JSON
(:mod:`~cgiter_edu.hierarchy_json` does the work).

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

import os
from typing import Any

from . import hierarchy_json
from .kernel.cgroup import CSS_ONLINE, CgroupView
from .processes import FIRST_PID
from .references import CgroupFd, References

__all__ = ["FIRST_PID", "Cgroup", "CgroupFd", "Hierarchy"]

#: a cgroup as the API shows it (read-only: id, name, path, level, parent, dead...)
Cgroup = CgroupView


class Hierarchy(References):
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


