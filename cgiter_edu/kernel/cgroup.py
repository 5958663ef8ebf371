"""``kernel/cgroup/cgroup.c``: the parts cgroup_iter walks with.

The kernel file's header: "Generic process-grouping system", based originally on the
cpuset system.  Next to its definition, ``cgroup_mutex`` is "the master lock.  Any
modification to cgroup or its hierarchy must be performed while holding it" -- here the
writers (mkdir, rmdir, the release work) and cgroup_iter's ``start``/``stop`` take it;
lookups by id, fd or path take no lock (RCU and kernfs references), and neither do
``css_get``/``css_put``.

A cgroup here is one :class:`Css` object: it stands for ``struct cgroup`` together
with its ``self`` css (``struct cgroup_subsys_state``), which is what the iterator
hands around.  Siblings are a linked list in creation order, exactly as the kernel's
``css->sibling`` list on ``parent->children`` (``list_add_tail_rcu`` in
``init_and_link_css``), so the walk functions below read like their C originals.
:class:`CgroupRoot` is ``struct cgroup_root``: the root cgroup, ``cgroup_mutex`` and
the id/path indexes the lookups use.

Example::

    >>> from cgiter_edu import Hierarchy
    >>> from cgiter_edu.kernel.cgroup import css_next_descendant_pre
    >>> h = Hierarchy(); _ = h.mkdir("/a"); _ = h.mkdir("/a/b"); _ = h.mkdir("/c")
    >>> root = h.root_css; pos = None; seen = []
    >>> while (pos := css_next_descendant_pre(pos, root)) is not None:
    ...     seen.append(pos.cgroup_id)
    >>> seen
    [1, 2, 3, 4]
"""

from __future__ import annotations

import errno
from collections import deque
from collections.abc import Callable
from typing import Any

from .inline import inlinable, inline_calls
from .mutex import Mutex, current, mutex_lock, mutex_unlock

#: css->flags bits (include/linux/cgroup-defs.h)
CSS_ONLINE = 1 << 1
CSS_RELEASED = 1 << 2


class Css:
    """``struct cgroup`` + its ``struct cgroup_subsys_state self``.

    Kernel fields kept: ``parent``, the ``children``/``sibling`` list (as
    ``first_child``/``last_child`` and ``sibling_prev``/``sibling_next``),
    ``serial_nr``, ``flags`` and the reference count ``refcnt``.
    ``cgroup_id`` is ``cgroup_id(cgrp)``, the kernfs node id.
    """

    __slots__ = ("cgroup_id", "name", "path", "parent", "level", "serial_nr", "flags",
                 "refcnt", "first_child", "last_child", "sibling_prev", "sibling_next",
                 "root", "view", "tasks")

    def __init__(self, root: CgroupRoot, cgroup_id: int, name: str, parent: Css | None,
                 serial_nr: int) -> None:
        self.root = root
        self.cgroup_id = cgroup_id
        self.name = name
        self.parent = parent
        if parent is None:
            self.level = 0
            self.path = "/"
        else:
            self.level = parent.level + 1
            self.path = ("/" + name) if parent.parent is None else f"{parent.path}/{name}"
        self.serial_nr = serial_nr
        self.flags = CSS_ONLINE
        self.refcnt = 1                  # the base reference, dropped when the cgroup is killed
        self.first_child: Css | None = None
        self.last_child: Css | None = None
        self.sibling_prev: Css | None = None
        self.sibling_next: Css | None = None
        self.view = CgroupView(self)
        #: the tasks of the css_set(s) whose cgroup this is (``cset->tasks``), in the
        #: order they arrived: a process's threads right after it, in creation order
        self.tasks: list[Task] = []

    def __repr__(self) -> str:
        return f"<css {self.path} id={self.cgroup_id}{' dead' if not self.flags & CSS_ONLINE else ''}>"


class CgroupView:
    """The read-only ``struct cgroup`` a BPF program sees as ``ctx.cgroup``.

    Attributes: ``id``, ``name``, ``path``, ``level`` (0 for the root),
    ``parent`` (a view, or None at the root), ``dead``, ``serial_nr``.

    Parameters
    ----------
    css : Css
        The cgroup it shows (made by the hierarchy; a program never makes one).

    Examples
    --------
    >>> from cgiter_edu import Hierarchy
    >>> h = Hierarchy(); _ = h.mkdir("/a"); c = h.cgroup("/a")
    >>> c.id, c.name, c.level, c.parent.path
    (2, 'a', 1, '/')
    """

    __slots__ = ("_css",)

    def __init__(self, css: Css) -> None:
        object.__setattr__(self, "_css", css)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"ctx.cgroup is read-only (tried to set {name!r})")

    @property
    def id(self) -> int:
        """``cgroup_id(cgrp)``: the kernfs node id (the inode number on a real system)."""
        return self._css.cgroup_id

    @property
    def name(self) -> str:
        """The directory name ("" for the root)."""
        return self._css.name

    @property
    def path(self) -> str:
        """The path from the hierarchy's root, "/" for the root."""
        return self._css.path

    @property
    def level(self) -> int:
        """``cgrp->level``: 0 for the root."""
        return self._css.level

    @property
    def parent(self) -> CgroupView | None:
        """The parent's view, or None at the root."""
        p = self._css.parent
        return None if p is None else p.view

    @property
    def dead(self) -> bool:
        """``cgroup_is_dead(cgrp)``: removed but still referenced."""
        return not self._css.flags & CSS_ONLINE

    @property
    def serial_nr(self) -> int:
        """``css->serial_nr``: global creation order."""
        return self._css.serial_nr

    @property
    def self(self) -> CssView:
        """``&cgrp->self``: the cgroup's own css, what the open-coded iterators start
        from (trusted: the verifier accepts it as a start)."""
        return CssView(self._css, True)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CgroupView) and other._css is self._css

    def __hash__(self) -> int:
        return hash(self._css.cgroup_id)

    def __repr__(self) -> str:
        return f"Cgroup(id={self.id}, path={self.path!r}{', dead' if self.dead else ''})"


class CssView:
    """``struct cgroup_subsys_state *`` as a BPF program holds it (what
    ``bpf_iter_css_next`` returns, or ``cgrp.self``): ``cgroup`` (a :class:`CgroupView`),
    ``parent``, ``flags`` (``CSS_ONLINE`` is 2).  ``trusted`` is the verifier's mark on
    the pointer: ``&cgrp->self`` of a referenced or context cgroup and what ``next``
    returns are trusted; ``pos->parent`` (a plain pointer walk) is not, and a
    ``bpf_iter_css_new`` from it is refused ("R2 must be referenced or trusted")."""

    __slots__ = ("_css", "trusted")

    def __init__(self, css: Css, trusted: bool) -> None:
        object.__setattr__(self, "_css", css)
        object.__setattr__(self, "trusted", trusted)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"a css is read-only (tried to set {name!r})")

    @property
    def cgroup(self) -> CgroupView:
        """``css->cgroup``."""
        return self._css.view

    @property
    def parent(self) -> CssView | None:
        """``css->parent``: a pointer walk, so *not* trusted."""
        p = self._css.parent
        return None if p is None else CssView(p, False)

    @property
    def flags(self) -> int:
        """``css->flags``: ``CSS_ONLINE`` (2) while the cgroup is alive."""
        return self._css.flags

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CssView) and other._css is self._css

    def __hash__(self) -> int:
        return hash(self._css.cgroup_id)

    def __repr__(self) -> str:
        return (f"Css(cgroup={self._css.cgroup_id}{', dead' if cgroup_is_dead(self._css) else ''}"
                f"{'' if self.trusted else ', untrusted'})")


@inlinable
def cgroup_is_dead(css: Css) -> bool:
    """``cgroup_is_dead()`` (kernel/cgroup/cgroup-internal.h): ``!(cgrp->self.flags & CSS_ONLINE)``."""
    return not css.flags & CSS_ONLINE


@inlinable
def css_next_child(pos: Css | None, parent: Css) -> Css | None:
    """``css_next_child()`` (kernel/cgroup/cgroup.c): the sibling after ``pos``.

    ``pos`` None: the first child of ``parent``.  Dead children are returned
    too; only a *released* ``pos`` (already off the list) is special: the
    kernel then looks for the first child with a larger ``serial_nr``.
    """
    if pos is None:
        nxt = parent.first_child
    elif not pos.flags & CSS_RELEASED:
        nxt = pos.sibling_next
    else:
        nxt = parent.first_child
        while nxt is not None and nxt.serial_nr <= pos.serial_nr:
            nxt = nxt.sibling_next
    return nxt


@inlinable
def css_next_descendant_pre(pos: Css | None, root: Css) -> Css | None:
    """``css_next_descendant_pre()`` (kernel/cgroup/cgroup.c): pre-order walk of ``root``'s subtree.

    First call (``pos`` None) returns ``root`` itself.
    """
    # if first iteration, visit @root
    if pos is None:
        return root
    # visit the first child if exists
    nxt = css_next_child(None, pos)
    if nxt is not None:
        return nxt
    # no child, visit my or the closest ancestor's next sibling
    while pos is not root:
        nxt = css_next_child(pos, pos.parent)
        if nxt is not None:
            return nxt
        pos = pos.parent
    return None


def css_leftmost_descendant(pos: Css) -> Css:
    """``css_leftmost_descendant()`` (kernel/cgroup/cgroup.c): follow first children down."""
    while True:
        last = pos
        pos = css_next_child(None, pos)
        if pos is None:
            return last


def css_next_descendant_post(pos: Css | None, root: Css) -> Css | None:
    """``css_next_descendant_post()`` (kernel/cgroup/cgroup.c): post-order walk; ``root`` comes last."""
    # if first iteration, visit leftmost descendant which may be @root
    if pos is None:
        return css_leftmost_descendant(root)
    # if we visited @root, we're done
    if pos is root:
        return None
    # if there's an unvisited sibling, visit its leftmost descendant
    nxt = css_next_child(pos, pos.parent)
    if nxt is not None:
        return css_leftmost_descendant(nxt)
    # no sibling left, visit parent
    return pos.parent


# what the compiler does: css_next_child() inlined in the walks of this file (inline.py)
inline_calls(css_next_descendant_pre, css_next_descendant_post)


# -- the children list and references ------------------------------------------------

def css_link_child(parent: Css, css: Css) -> None:
    """``list_add_tail_rcu(&css->sibling, &parent->children)`` (``init_and_link_css``): append
    in creation order, and take the reference a child holds on its parent."""
    css.sibling_prev = parent.last_child
    if parent.last_child is None:
        parent.first_child = css
    else:
        parent.last_child.sibling_next = css
    parent.last_child = css
    css_get(parent)


def css_get(css: Css) -> None:
    """``css_get()``: take a reference."""
    css.refcnt += 1


def css_put(css: Css) -> None:
    """``css_put()``: drop a reference; the last one queues the release
    (``css_release()`` -> ``queue_work(cgroup_destroy_wq, ...)``)."""
    css.refcnt -= 1
    if css.refcnt == 0:
        css.root.cgroup_mutex.run_locked(lambda: css_release_work_fn(css),
                                         f"css_release_work_fn {css.path}", css.cgroup_id)


cgroup_put = css_put   #: ``cgroup_put(cgrp)`` is ``css_put(&cgrp->self)``


def css_release_work_fn(css: Css) -> None:
    """``css_release_work_fn()`` (kernel/cgroup/cgroup.c): the last reference is gone.

    Runs from a workqueue under ``cgroup_mutex``, at the next point the mutex is free
    (``CgroupMutex.run_locked``): after rmdir's own unlock when rmdir dropped the last
    reference, never while a walk holds the mutex.  The css leaves its parent's children list
    (``list_del_rcu(&css->sibling)``), is marked ``CSS_RELEASED`` and drops the
    reference it held on its parent.
    """
    parent = css.parent
    css.flags |= CSS_RELEASED
    if parent is not None:
        prev, nxt = css.sibling_prev, css.sibling_next
        if prev is None:
            parent.first_child = nxt
        else:
            prev.sibling_next = nxt
        if nxt is None:
            parent.last_child = prev
        else:
            nxt.sibling_prev = prev
    css.root.cgroup_release(css)
    if parent is not None:
        css_put(parent)


def css_has_online_children(css: Css) -> bool:
    """``css_has_online_children()`` (kernel/cgroup/cgroup.c): any live child?"""
    child = css.first_child
    while child is not None:
        if child.flags & CSS_ONLINE:
            return True
        child = child.sibling_next
    return False


# -- cgroup_mutex -------------------------------------------------------------------

#: the task that runs queued work (``cgroup_destroy_wq``'s kworker)
KWORKER = "kworker"


class CgroupMutex(Mutex):
    """``cgroup_mutex`` (kernel/cgroup/cgroup.c): a :class:`~cgiter_edu.kernel.mutex.Mutex`
    (kernel/locking/mutex.c), a real lock between threads.

    ``cgroup_iter_seq_start`` takes it and ``cgroup_iter_seq_stop`` drops it, so it is
    held for the whole walk part of one read(); mkdir/rmdir in another thread wait for
    it.  ``unlock`` releases it and wakes the first waiter, which then takes it -- or,
    when the scenario says the reader's next read() gets there first
    (``locker_first = "cgroup_iter_seq_start"``), is passed over once, sets
    ``MUTEX_FLAG_HANDOFF`` and is handed it at the walk's next unlock.

    Work queued for a kworker that takes the mutex (``css_release_work_fn``) runs at the
    next point the mutex is free: at once if it is free, else right after the holder
    releases it, before a woken waiter runs.  ``listener`` (a traced walk's, while it
    holds the mutex) is told ``("wait", who)``, ``("wake", who)``, ``("acquired", who)``
    and, for the work, ``("queue", who)`` and ``("release", who, cgroup_id)``.
    """

    def __init__(self) -> None:
        super().__init__()
        self._work: deque[tuple[Callable[[], None], str, int]] = deque()

    def lock(self, who: str = "", on_wait: Callable[..., None] | None = None) -> None:
        """``mutex_lock(&cgroup_mutex)`` (``cgroup_lock()``); ``on_wait`` is told
        ``("wait", who)`` if this thread has to wait."""
        mutex_lock(self, who, on_wait)

    def unlock(self) -> None:
        """``mutex_unlock(&cgroup_mutex)`` (``cgroup_unlock()``)."""
        mutex_unlock(self)

    def _free_point(self, listener: Callable[..., None] | None) -> None:
        """The mutex was just released: queued work takes it now (the kworker), before a
        woken waiter runs; the unlocker's ``listener`` is told ``("release", who, id)``."""
        while self._work:
            work, who, cgroup_id = self._work.popleft()
            self.owner, self.owner_name = KWORKER, who
            work()
            if listener is not None:
                listener("release", who, cgroup_id)
            self.owner, self.owner_name = None, ""

    def run_locked(self, work: Callable[[], None], who: str = "", cgroup_id: int = 0) -> None:
        """``queue_work()`` of work that takes ``cgroup_mutex`` (a kworker's
        ``cgroup_lock()`` ... ``cgroup_unlock()``): it runs at the next point the mutex is
        free -- now if it is free, else when its holder (this thread too) releases it.
        The caller never waits."""
        with self.wait_lock:
            if self.owner is None and self._waking is None:
                self._work.appendleft((work, who, cgroup_id))
                self._free_point(None)        # and the work it queues (a parent's release)
                return
            self._work.append((work, who, cgroup_id))
            if self.listener is not None and self.owner != KWORKER:
                self.listener("queue", who)

    def locked(self) -> bool:
        """Is it held (by anyone)?"""
        return self.owner is not None

    def held_by_me(self) -> bool:
        """Is it held by the calling thread?"""
        return self.owner == current()

    def __enter__(self) -> CgroupMutex:
        self.lock()
        return self

    def __exit__(self, *exc: object) -> None:
        self.unlock()


# -- the hierarchy's root and the lookups into it ------------------------------------

class CgroupRoot:
    """``struct cgroup_root`` (``cgrp_dfl_root``): the root cgroup ``cgrp``, ``cgroup_mutex``
    and the indexes the kernel finds a cgroup by: ``by_id`` (kernfs node ids, dead
    cgroups included until released) and ``by_path`` (the live directories).
    ``release_hook`` is called with each css once it is released (the user-facing
    hierarchy drops it from its views)."""

    def __init__(self, root_id: int, release_hook: Callable[[Css], None] | None = None) -> None:
        self.cgroup_mutex = CgroupMutex()
        self.serial = 1
        self.cgrp = Css(self, root_id, "", None, self.serial)
        self.by_id: dict[int, Css] = {root_id: self.cgrp}
        self.by_path: dict[str, Css] = {"/": self.cgrp}
        self.release_hook = release_hook
        self.generation = 0          #: bumped on every change of the tree
        self.init_cgroup_ns = CgroupNamespace(self.cgrp)   #: ``init_cgroup_ns``: the host's

    def cgroup_release(self, css: Css) -> None:
        """``cgroup_release()``: the released cgroup leaves the id index."""
        del self.by_id[css.cgroup_id]
        self.generation += 1
        if self.release_hook is not None:
            self.release_hook(css)


def cgroup_mkdir(root: CgroupRoot, parent: Css, name: str, cgroup_id: int) -> Css:
    """``cgroup_mkdir()`` -> ``cgroup_create()`` (kernel/cgroup/cgroup.c), under
    ``cgroup_mutex`` (the caller holds it): a new cgroup at the end of ``parent``'s
    children, with the next ``serial_nr``."""
    root.serial += 1
    css = Css(root, cgroup_id, name, parent, root.serial)
    css_link_child(parent, css)
    root.by_id[cgroup_id] = css
    root.by_path[css.path] = css
    root.generation += 1
    return css


def cgroup_destroy_locked(css: Css) -> None:
    """``cgroup_destroy_locked()`` (kernel/cgroup/cgroup.c), under ``cgroup_mutex``: the
    cgroup goes offline, its directory goes (``kernfs_remove``), and the base reference
    is dropped (``percpu_ref_kill``).  While someone else still holds a reference it
    stays on its parent's list, dead; the walk then skips it (``cgroup_is_dead``)."""
    root = css.root
    css.flags &= ~CSS_ONLINE
    del root.by_path[css.path]
    root.generation += 1
    css_put(css)


def cgroup_get_from_id(root: CgroupRoot, cgroup_id: int,
                       cgns: CgroupNamespace | None = None) -> Css | int:
    """``cgroup_get_from_id()`` (kernel/cgroup/cgroup.c): the kernfs node by id and a
    reference on its cgroup, or ``-ENOENT``.  A removed cgroup's node is gone (no RCU
    lookup finds it), so a dead cgroup is ENOENT too.  Then "only cgroups within current
    task's cgroup NS are valid": a cgroup that is not a descendant of the caller's
    namespace root (``cgns``, ``current->nsproxy->cgroup_ns``; None: the host's
    ``init_cgroup_ns``) is put back and ENOENT.  No ``cgroup_mutex``."""
    css = root.by_id.get(cgroup_id)                  # kernfs_find_and_get_node_by_id()
    if css is None or cgroup_is_dead(css):           # !cgrp || !cgroup_tryget(cgrp)
        return -errno.ENOENT
    css_get(css)

    root_cgrp = current_cgns_cgroup_dfl(root, cgns)
    if not cgroup_is_descendant(css, root_cgrp):
        cgroup_put(css)
        return -errno.ENOENT

    return css


def cgroup_v1v2_get_from_fd(files: Any, fd: int) -> Css | int:
    """``cgroup_v1v2_get_from_fd()`` (kernel/cgroup/cgroup.c): the cgroup of an open
    directory fd (``files``: the fd table, number -> an object with ``css``), with a
    reference; ``-EBADF`` if no such fd, ``-ENOENT`` once the cgroup was removed
    (``css_tryget_online_from_dir()`` fails).  No ``cgroup_mutex``."""
    f = files.get(fd)
    if f is None:
        return -errno.EBADF
    css = f.css
    if cgroup_is_dead(css):
        return -errno.ENOENT
    css_get(css)
    return css


def cgroup_get_from_path(root: CgroupRoot, path: str,
                         cgns: CgroupNamespace | None = None) -> Css | int:
    """``cgroup_get_from_path()`` (kernel/cgroup/cgroup.c): ``path`` is walked from the
    root of the caller's cgroup namespace (``current_cgns_cgroup_dfl()``, commit
    74e4b956eb1c "cgroup: Honor caller's cgroup NS when resolving path", Linux 6.1), not
    from the host's root: ``"/"`` is the namespace root.  The cgroup with a reference,
    or ``-ENOENT``."""
    root_cgrp = current_cgns_cgroup_dfl(root, cgns)
    kn = kernfs_walk_and_get(root_cgrp, path)
    if kn is None:
        return -errno.ENOENT
    css_get(kn)                                      # cgroup_tryget(cgrp)
    return kn


# -- tasks: struct task_struct and css_task_iter ---------------------------------------

#: include/linux/cgroup.h: css_task_iter flags
CSS_TASK_ITER_PROCS = 1 << 0      #: walk only threadgroup leaders
CSS_TASK_ITER_THREADED = 1 << 1   #: walk all threaded css_sets in the domain
CSS_TASK_ITER_SKIPPED = 1 << 16   #: internal flags


class Task:
    """``struct task_struct``, the fields a BPF program reads from it: ``pid`` (the
    thread's id), ``tgid`` (its process's id: the leader's pid) and ``comm``.
    ``group_leader`` is the process's first thread; ``cgroup`` the css it is in.

    >>> t = Task(10, 10, "sshd"); t.pid == t.tgid, thread_group_leader(t)
    (True, True)
    """

    __slots__ = ("pid", "tgid", "comm", "group_leader", "threads", "css")

    def __init__(self, pid: int, tgid: int, comm: str, css: Css | None = None) -> None:
        self.pid = pid
        self.tgid = tgid
        self.comm = comm
        self.group_leader: Task = self
        self.threads: list[Task] = [self]      #: the leader's: every thread, leader first
        self.css = css

    def __repr__(self) -> str:
        return f"Task(pid={self.pid}, tgid={self.tgid}, comm={self.comm!r})"


def thread_group_leader(p: Task) -> bool:
    """``thread_group_leader()`` (include/linux/sched/signal.h): ``p->exit_signal >= 0``,
    here: is ``p`` its process's first thread."""
    return p.group_leader is p


class CssTaskIter:
    """``struct css_task_iter`` (include/linux/cgroup.h): ``flags``, the position
    (``task_pos``: an index into the tasks list) and the task handed out last
    (``cur_task``, on which the iterator holds a reference)."""

    __slots__ = ("css", "flags", "task_pos", "cur_task")

    def __init__(self) -> None:
        self.css: Css | None = None
        self.flags = 0
        self.task_pos: int | None = None
        self.cur_task: Task | None = None


def css_task_iter_advance(it: CssTaskIter) -> None:
    """``css_task_iter_advance()`` (kernel/cgroup/cgroup.c), under ``css_set_lock``: the
    next task; with ``CSS_TASK_ITER_PROCS`` skip those that are not threadgroup leaders.

    Only a cgroup's own css (``cgrp->self``) is modelled, with one css_set whose tasks
    are ``css.tasks``: no controller css (whose walk covers descendants without the
    controller), no threaded subtrees (so ``CSS_TASK_ITER_THREADED`` adds nothing), no
    dying tasks.
    """
    tasks = it.css.tasks
    while True:
        # repeat:
        if it.task_pos is not None:
            it.task_pos += 1                     # it->task_pos = it->task_pos->next
        else:                                    # called from start, proceed to the first cset
            it.task_pos = 0
        if it.task_pos >= len(tasks):
            it.task_pos = len(tasks)             # end of the last css_set: NULL
            return
        task = tasks[it.task_pos]
        if it.flags & CSS_TASK_ITER_PROCS:
            # if PROCS, skip over tasks which aren't group leaders
            if not thread_group_leader(task):
                continue
        return


def css_task_iter_start(css: Css, flags: int, it: CssTaskIter) -> None:
    """``css_task_iter_start()`` (kernel/cgroup/cgroup.c): initialise ``it`` on ``css``'s
    tasks (under ``css_set_lock``) and advance to the first one."""
    it.css = css
    it.flags = flags
    it.task_pos = None
    css_task_iter_advance(it)


def css_task_iter_next(it: CssTaskIter) -> Task | None:
    """``css_task_iter_next()`` (kernel/cgroup/cgroup.c): the current task (the iterator
    holds a reference on it until the next call), then advance; NULL at the end."""
    it.cur_task = None                          # put_task_struct(it->cur_task)
    if it.task_pos is not None and it.task_pos < len(it.css.tasks):
        it.cur_task = it.css.tasks[it.task_pos]
        css_task_iter_advance(it)
    return it.cur_task


def css_task_iter_end(it: CssTaskIter) -> None:
    """``css_task_iter_end()`` (kernel/cgroup/cgroup.c): drop the last task's reference."""
    it.cur_task = None


def kernfs_walk_and_get(parent: Css, path: str) -> Css | None:
    """``kernfs_walk_and_get()`` (fs/kernfs/dir.c): the live directory ``path`` below
    ``parent`` (removed directories are no longer in kernfs), or NULL."""
    parts = [p for p in path.split("/") if p]
    full = "/" + "/".join(([parent.path.strip("/")] if parent.parent is not None else [])
                          + parts)
    return parent.root.by_path.get(full)


# -- cgroup namespaces (kernel/cgroup/namespace.c, cgroup.c) ---------------------------

class CgroupNamespace:
    """``struct cgroup_namespace`` (include/linux/cgroup_namespace.h), as far as
    cgroup_iter sees it: its ``root_cset``'s cgroup on the default hierarchy, the cgroup
    the task was in when it called ``unshare(CLONE_NEWCGROUP)`` (``copy_cgroup_ns``).
    Inside, that cgroup is ``/``: a pod in Kubernetes sees only its own subtree."""

    __slots__ = ("root_cgrp",)

    def __init__(self, root_cgrp: Css) -> None:
        self.root_cgrp = root_cgrp

    def __repr__(self) -> str:
        return f"<cgroup_namespace root={self.root_cgrp.path}>"


def current_cgns_cgroup_dfl(root: CgroupRoot, cgns: CgroupNamespace | None) -> Css:
    """``current_cgns_cgroup_dfl()`` (kernel/cgroup/cgroup.c): the default-hierarchy
    cgroup that is ``/`` in the caller's cgroup namespace (``cgns`` None: the host's
    ``init_cgroup_ns``, whose root is the v2 root)."""
    if cgns is None:
        cgns = root.init_cgroup_ns
    return cgns.root_cgrp


def cgroup_is_descendant(cgrp: Css, ancestor: Css) -> bool:
    """``cgroup_is_descendant()`` (include/linux/cgroup.h): is ``ancestor`` ``cgrp`` or
    one of its ancestors?  (The kernel compares ``cgrp->ancestors[ancestor->level]``.)"""
    if cgrp.level < ancestor.level:
        return False
    while cgrp.level > ancestor.level:
        cgrp = cgrp.parent
    return cgrp is ancestor


def kernfs_path_from_node(kn_to: Css, kn_from: Css) -> str:
    """``kernfs_path_from_node()`` (fs/kernfs/dir.c): the path of ``kn_to`` seen from
    ``kn_from``: ``"/"`` if they are the same; else one ``"/.."`` per level from
    ``kn_from`` up to their common ancestor, then the names down to ``kn_to``."""
    if kn_to is kn_from:
        return "/"
    common = kn_to
    while not cgroup_is_descendant(kn_from, common):  # kernfs_common_ancestor()
        common = common.parent
    up = "/.." * (kn_from.level - common.level)
    down = []
    kn = kn_to
    while kn is not common:
        down.append(kn.name)
        kn = kn.parent
    return up + "".join("/" + name for name in reversed(down))


def cgroup_path_ns(cgrp: Css, ns: CgroupNamespace | None) -> str:
    """``cgroup_path_ns()`` (kernel/cgroup/cgroup.c): ``cgrp``'s path in the namespace
    ``ns`` (None: the host's): ``kernfs_path_from_node(cgrp->kn, root->kn)``, so a
    cgroup outside the namespace gets a path that starts with ``/..``."""
    root = current_cgns_cgroup_dfl(cgrp.root, ns)
    return kernfs_path_from_node(cgrp, root)
