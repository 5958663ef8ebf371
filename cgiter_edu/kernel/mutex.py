"""``kernel/locking/mutex.c``: the sleeping lock ``cgroup_mutex`` is, and what its unlock does.

The kernel file's header: "Mutexes: blocking mutual exclusion locks" (Ingo Molnar,
adaptive spinning by Peter Zijlstra).  A mutex's ``owner`` word holds the owning task
and three flag bits: ``MUTEX_FLAG_WAITERS`` ("unlock must issue a wakeup"),
``MUTEX_FLAG_HANDOFF`` ("unlock needs to hand the lock to the top-waiter") and
``MUTEX_FLAG_PICKUP`` ("handoff has been done and we're waiting for pickup").

What matters for cgroup_iter is :func:`__mutex_unlock_slowpath`: it **releases** the
mutex first ("Release the lock before (potentially) taking the spinlock such that other
contenders can get on with things ASAP") and then **wakes** the first waiter.  The
woken task must still take the mutex itself (:func:`__mutex_trylock_or_handoff`);
between the release and that moment any other task's ``mutex_lock()`` may take it --
for a walk that is the reader's next read().  A first waiter that finds the mutex taken
sets ``MUTEX_FLAG_HANDOFF``, and the next unlock then hands the mutex straight to it
(:func:`__mutex_handoff`) without releasing it.

Tasks here are threads (``threading.get_ident()``), or a token for the kworker that
runs queued work.  Who runs first after a wake-up is the scheduler's business, not
mutex.c's; the emulator makes it a choice of the scenario, so that a trace is the same
every time (:attr:`Mutex.locker_first`):

* by default the woken waiter runs first and takes the free mutex (what a machine with
  a free CPU shows: the writer gets in before the reader's next read());
* with ``locker_first`` set to a task's name (for cgroup_iter: the walk,
  ``"cgroup_iter_seq_start"``), that task's next ``mutex_lock()`` takes the mutex
  first after its own unlock woke a waiter; the woken waiter then sets
  ``MUTEX_FLAG_HANDOFF`` and is handed the mutex at the following unlock.

Optimistic spinning (``mutex_optimistic_spin``, ``CONFIG_MUTEX_SPIN_ON_OWNER``) is not
modelled: a writer that spins on the running owner instead of sleeping takes the mutex
the moment it is released, which is the default scenario's outcome too.  On this
machine's kernel that is what happens most of the time (``cgiter-edu bench --parts
race``, figures in the README).

Example::

    >>> m = Mutex()
    >>> mutex_lock(m, "a"); m.owner_name, m.flags
    ('a', 0)
    >>> mutex_unlock(m); m.owner is None
    True
"""

from __future__ import annotations

import errno
import os
import threading
from collections import deque
from collections.abc import Callable
from typing import Any

#: the owner word's flag bits (kernel/locking/mutex.c)
MUTEX_FLAG_WAITERS = 0x01
MUTEX_FLAG_HANDOFF = 0x02
MUTEX_FLAG_PICKUP = 0x04
MUTEX_FLAGS = 0x07


class MutexWaiter:
    """``struct mutex_waiter``: a task asleep on the wait list.  ``woken``: a wake-up is
    pending (``wake_q_add``); ``ran``: the woken task has run its trylock (emulation:
    the waker waits for that, so the order of events is fixed)."""

    __slots__ = ("task", "who", "woken", "ran", "listener")

    def __init__(self, task: Any, who: str) -> None:
        self.task = task
        self.who = who
        self.woken = False
        self.ran = False
        self.listener: Callable[..., None] | None = None   # the waker's, for "acquired"

    def __repr__(self) -> str:
        return f"<mutex_waiter {self.who or self.task}>"


class Mutex:
    """``struct mutex``: ``owner`` (a task, None when free) with ``flags`` (the owner
    word's low bits), ``wait_lock`` (here a condition variable the sleeping threads
    wait on) and the FIFO ``wait_list``.

    Emulation, not mutex.c: ``locker_first`` (see the module's docstring);
    ``listener``, when set (by a traced walk while it holds the mutex), is told
    ``(what, who, cgroup)`` for ``"wait"``, ``"wake"``, ``"acquired"``; ``passed_over``
    is the name of the woken waiter the last ``mutex_lock()`` beat to it ("" if none).
    """

    def __init__(self) -> None:
        self.wait_lock = threading.Condition(threading.RLock())
        self.owner: Any = None
        self.owner_name = ""
        self.flags = 0
        self.wait_list: deque[MutexWaiter] = deque()
        self.locker_first: str | None = None
        self.listener: Callable[..., None] | None = None
        self.passed_over = ""
        self._waking: MutexWaiter | None = None       # woken, let run, not yet ran
        self._held_back: MutexWaiter | None = None    # woken, waits for the next locker

    def _free_point(self, listener: Callable[..., None] | None) -> None:
        """Called right after an unlock released the mutex (emulation hook: work that
        waits for the next point the mutex is free runs here; ``listener`` is the
        unlocker's)."""


def current() -> int:
    """``current``: the running task (the thread)."""
    return threading.get_ident()


def __mutex_trylock_common(lock: Mutex, task: Any, who: str, handoff: bool) -> bool:
    """``__mutex_trylock_common()``: take the mutex if it has no owner (flags kept), or
    if it was handed to ``task`` (``PICKUP``); else, when ``handoff`` (the first
    waiter), set ``MUTEX_FLAG_HANDOFF`` so that the owner's unlock hands it over."""
    owner = lock.owner
    flags = lock.flags
    if owner is not None:
        if flags & MUTEX_FLAG_PICKUP:
            if owner != task:
                return False
            flags &= ~MUTEX_FLAG_PICKUP
        elif handoff:
            if flags & MUTEX_FLAG_HANDOFF:
                return False
            lock.flags = flags | MUTEX_FLAG_HANDOFF
            return False
        else:
            return False
    lock.owner, lock.owner_name, lock.flags = task, who, flags
    return True


def __mutex_trylock(lock: Mutex, task: Any, who: str) -> bool:
    """``__mutex_trylock()``: ``__mutex_trylock_common(lock, false)``."""
    return __mutex_trylock_common(lock, task, who, False)


def __mutex_trylock_or_handoff(lock: Mutex, task: Any, who: str, handoff: bool) -> bool:
    """``__mutex_trylock_or_handoff()``: ``__mutex_trylock_common(lock, handoff)``."""
    return __mutex_trylock_common(lock, task, who, handoff)


def __mutex_waiter_is_first(lock: Mutex, waiter: MutexWaiter) -> bool:
    """``__mutex_waiter_is_first()``."""
    return bool(lock.wait_list) and lock.wait_list[0] is waiter


def __mutex_add_waiter(lock: Mutex, waiter: MutexWaiter) -> None:
    """``__mutex_add_waiter()``: to the tail (FIFO); the first sets ``WAITERS``."""
    lock.wait_list.append(waiter)
    if __mutex_waiter_is_first(lock, waiter):
        lock.flags |= MUTEX_FLAG_WAITERS


def __mutex_remove_waiter(lock: Mutex, waiter: MutexWaiter) -> None:
    """``__mutex_remove_waiter()``: off the list; the last one clears the flags."""
    lock.wait_list.remove(waiter)
    if not lock.wait_list:
        lock.flags &= ~MUTEX_FLAGS


def __mutex_handoff(lock: Mutex, task: MutexWaiter | None) -> None:
    """``__mutex_handoff()``: give ownership to ``task`` (``PICKUP`` set, ``HANDOFF``
    cleared, ``WAITERS`` kept); with no task, a plain release."""
    new = lock.flags & MUTEX_FLAG_WAITERS
    if task is not None:
        new |= MUTEX_FLAG_PICKUP
        lock.owner, lock.owner_name = task.task, task.who
    else:
        lock.owner, lock.owner_name = None, ""
    lock.flags = new


def mutex_lock(lock: Mutex, who: str = "", on_wait: Callable[..., None] | None = None,
               task: Any = None) -> None:
    """``mutex_lock()`` -> ``__mutex_lock_common()``: a trylock; else sleep on the wait
    list and, each time woken, try again (the first waiter asking for a handoff).
    ``on_wait`` (or the mutex's listener) is told ``("wait", who)`` if the task sleeps.
    Locking a mutex the task holds raises ``EDEADLK`` (the kernel would hang)."""
    task = current() if task is None else task
    with lock.wait_lock:
        if lock.owner == task:
            raise OSError(errno.EDEADLK, f"{os.strerror(errno.EDEADLK)}: the mutex is already "
                          f"held by this thread ({who or 'the walk'} would wait for itself)")
        while lock._waking is not None:                # emulation: a woken task runs first
            lock.wait_lock.wait()
        lock.passed_over = ""
        if __mutex_trylock(lock, task, who):
            _run_held_back(lock)
            return
        waiter = MutexWaiter(task, who)
        __mutex_add_waiter(lock, waiter)
        listener = on_wait or lock.listener
        if listener is not None:
            listener("wait", who)
        while True:
            # schedule_preempt_disabled(): asleep until a wake-up lets this task run
            while not waiter.woken or lock._waking is not waiter:
                lock.wait_lock.wait()
            waiter.woken = False
            first = __mutex_waiter_is_first(lock, waiter)
            got = __mutex_trylock_or_handoff(lock, task, who, first)
            if got:
                __mutex_remove_waiter(lock, waiter)
                if waiter.listener is not None:
                    waiter.listener("acquired", who)
            waiter.ran = True                          # emulation: the waker goes on
            lock.wait_lock.notify_all()
            if got:
                return


def mutex_unlock(lock: Mutex) -> None:
    """``mutex_unlock()`` -> ``__mutex_unlock_slowpath()``: unless ``HANDOFF`` is set,
    release the mutex first; then wake the first waiter (``wake_q_add``), or with
    ``HANDOFF`` hand the mutex to it (``__mutex_handoff``).  The listener, if any, is
    told ``("wake", who)``; it is cleared when the unlock is over."""
    with lock.wait_lock:
        listener, lock.listener = lock.listener, None
        owner_flags = lock.flags
        if not owner_flags & MUTEX_FLAG_HANDOFF:
            unlocker = lock.owner_name
            lock.owner, lock.owner_name = None, ""      # flags stay: __owner_flags(owner)
            lock._free_point(listener)
            if not owner_flags & MUTEX_FLAG_WAITERS or not lock.wait_list:
                return
        else:
            unlocker = None
        nxt: MutexWaiter | None = None
        if lock.wait_list:
            # get the first entry from the wait-list:
            nxt = lock.wait_list[0]
            nxt.woken = True                           # wake_q_add(&wake_q, next)
        if owner_flags & MUTEX_FLAG_HANDOFF:
            __mutex_handoff(lock, nxt)
        if nxt is not None:                            # wake_up_q(&wake_q)
            if listener is not None:
                listener("wake", nxt.who)
            nxt.listener = listener
            if unlocker is not None and unlocker == lock.locker_first:
                lock._held_back = nxt
            else:
                _let_run(lock, nxt)


def _let_run(lock: Mutex, waiter: MutexWaiter) -> None:
    """Emulation of the scheduler: the woken ``waiter`` runs now; wait until it has
    tried the mutex (so the events come in one order every time)."""
    waiter.ran = False
    lock._waking = waiter
    lock.wait_lock.notify_all()
    while not waiter.ran:
        lock.wait_lock.wait()
    lock._waking = None
    lock.wait_lock.notify_all()


def _run_held_back(lock: Mutex) -> None:
    """Emulation: this ``mutex_lock()`` beat a woken waiter to the free mutex (the
    ``locker_first`` scenario); the waiter now runs, finds it taken and, being first,
    sets ``MUTEX_FLAG_HANDOFF``."""
    held = lock._held_back
    if held is None:
        return
    lock._held_back = None
    held.listener = None
    lock.passed_over = held.who
    _let_run(lock, held)


def release_held_back(lock: Mutex) -> None:
    """Emulation: the task a woken waiter was held back for will not lock again (its
    iterator file is closed): let the waiter run; it takes the mutex if it is free."""
    with lock.wait_lock:
        held = lock._held_back
        if held is not None:
            lock._held_back = None
            _let_run(lock, held)
