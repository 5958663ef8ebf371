"""The processes and threads in a hierarchy's cgroups: ``spawn``, ``move`` (a write to
``cgroup.procs``), ``exit``, and each cgroup's ``tasks`` and ``procs``.

:class:`Processes` is layer 2 of :class:`~cgiter_edu.Hierarchy` (see
:mod:`cgiter_edu.cgroup_tree`): it keeps every process by pid, and puts its threads on
their cgroup's task list (``Css.tasks``), the list the open-coded task iterator walks
(:mod:`cgiter_edu.opencoded`).  A populated cgroup cannot be removed: ``rmdir`` gives
EBUSY.  Each method checks everything before it changes anything, so an error leaves the
hierarchy as it was.
"""

from __future__ import annotations

import errno

from .cgroup_tree import CgroupTree
from .kernel.cgroup import Task
from .paths import oserror

#: the first pid :meth:`Processes.spawn` gives (low pids belong to early boot)
FIRST_PID = 1000


class Processes(CgroupTree):
    """The processes and threads in the cgroups: layer 2 of :class:`~cgiter_edu.Hierarchy`.

    Pids grow from :data:`FIRST_PID`, as the kernel allocates the next free one; a
    process's threads take the pids right after it.

    Parameters
    ----------
    root_id : int
        The id of the root ``/`` (as :class:`~cgiter_edu.cgroup_tree.CgroupTree`).

    Examples
    --------
    >>> h = Hierarchy(); _ = h.mkdir("/a"); h.spawn("/a", "nginx", threads=1)
    1000
    >>> h.procs("/a"), [t.pid for t in h.tasks("/a")]
    ([1000], [1000, 1001])
    """

    def __init__(self, root_id: int = 1) -> None:
        super().__init__(root_id)
        #: every process (thread-group leader) by pid; pids grow like the kernel's
        self._procs: dict[int, Task] = {}
        self._next_pid = FIRST_PID

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

