"""The parts of ``kernel/cgroup/cgroup.c`` that cgroup_iter walks with.

A cgroup here is one :class:`Css` object: it stands for ``struct cgroup``
together with its ``self`` css (``struct cgroup_subsys_state``), which is
what the iterator hands around.  Siblings are a linked list in creation
order, exactly as the kernel's ``css->sibling`` list on ``parent->children``
(``list_add_tail_rcu`` in ``init_and_link_css``/``css_create``), so the walk
functions below read like their C originals.

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
import os
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from ..hierarchy import Hierarchy

#: css->flags bits (include/linux/cgroup-defs.h)
CSS_NO_REF = 1 << 0
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
                 "root", "view")

    def __init__(self, root: Hierarchy | None, cgroup_id: int, name: str, parent: Css | None,
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

    def __repr__(self) -> str:
        return f"<css {self.path} id={self.cgroup_id}{' dead' if not self.flags & CSS_ONLINE else ''}>"


class CgroupView:
    """The read-only ``struct cgroup`` a BPF program sees as ``ctx.cgroup``.

    Attributes: ``id``, ``name``, ``path``, ``level`` (0 for the root),
    ``parent`` (a view, or None at the root), ``dead``, ``serial_nr``.
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

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CgroupView) and other._css is self._css

    def __hash__(self) -> int:
        return hash(self._css.cgroup_id)

    def __repr__(self) -> str:
        return f"Cgroup(id={self.id}, path={self.path!r}{', dead' if self.dead else ''})"


def cgroup_is_dead(css: Css) -> bool:
    """``cgroup_is_dead()`` (kernel/cgroup/cgroup-internal.h): ``!(cgrp->self.flags & CSS_ONLINE)``."""
    return not css.flags & CSS_ONLINE


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
    """``css_put()``: drop a reference; the last one releases the css."""
    css.refcnt -= 1
    if css.refcnt == 0:
        css_release(css)


def css_release(css: Css) -> None:
    """``css_release_work_fn()`` (kernel/cgroup/cgroup.c): the last reference is gone.

    The css leaves its parent's children list (``list_del_rcu(&css->sibling)``),
    is marked ``CSS_RELEASED`` and drops the reference it held on its parent.
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
    if css.root is not None:
        css.root._css_released(css)
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


def kill_css(css: Css) -> None:
    """``cgroup_destroy_locked()``/``kill_css()``: take the cgroup offline and drop its base
    reference.  While someone else still holds a reference it stays on its parent's list,
    dead; the walk then skips it (``cgroup_is_dead``)."""
    css.flags &= ~CSS_ONLINE
    css_put(css)


# -- cgroup_mutex -------------------------------------------------------------------

class CgroupMutex:
    """``cgroup_mutex`` (kernel/cgroup/cgroup.c), a real lock.

    ``cgroup_iter_seq_start`` takes it and ``cgroup_iter_seq_stop`` drops it, so
    it is held for the whole walk part of one read(); mkdir/rmdir in another
    thread wait for it.  Taking it twice from one thread raises ``EDEADLK``
    (on the kernel this would hang).  ``listener``, when set by a traced walk,
    is told ``("wait", who)`` and ``("acquired", who)`` by a waiting thread.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.owner: int | None = None
        self.listener: Callable[[str, str], None] | None = None

    def lock(self, who: str = "") -> None:
        """``mutex_lock(&cgroup_mutex)`` (``cgroup_lock()``)."""
        me = threading.get_ident()
        if self.owner == me:
            raise OSError(errno.EDEADLK, f"{os.strerror(errno.EDEADLK)}: cgroup_mutex is already "
                          f"held by this thread ({who or 'the walk'} would wait for itself)")
        if not self._lock.acquire(blocking=False):
            listener = self.listener
            if listener is not None:
                listener("wait", who)
            self._lock.acquire()
            if listener is not None:
                listener("acquired", who)
        self.owner = me

    def unlock(self) -> None:
        """``mutex_unlock(&cgroup_mutex)`` (``cgroup_unlock()``)."""
        self.owner = None
        self._lock.release()

    def locked(self) -> bool:
        """Is it held (by anyone)?"""
        return self._lock.locked()

    def held_by_me(self) -> bool:
        """Is it held by the calling thread?"""
        return self.owner == threading.get_ident()

    def __enter__(self) -> CgroupMutex:
        self.lock()
        return self

    def __exit__(self, *exc: object) -> None:
        self.unlock()
