"""``kernel/bpf/task_iter.c``: the open-coded css task iterator (Linux 6.7).

``bpf_iter_css_task_new/next/destroy`` walk the tasks of one cgroup from a BPF
program, with ``css_task_iter_start/next/end`` (kernel/cgroup/cgroup.c,
:mod:`cgiter_edu.kernel.cgroup`).  Flags: 0 (every thread), ``CSS_TASK_ITER_PROCS``
(threadgroup leaders only) and ``CSS_TASK_ITER_PROCS | CSS_TASK_ITER_THREADED``;
anything else is ``-EINVAL`` and the loop runs zero times.  ``new`` allocates the
``struct css_task_iter`` (``bpf_mem_alloc``, which can fail: ``-ENOMEM``) and takes
``css_set_lock``, which is why the verifier allows it only in LSM, iterator and
sleepable programs (:mod:`cgiter_edu.kernel.verifier`).  The rest of task_iter.c (the
``iter/task`` targets) is not modelled.

Example::

    >>> from cgiter_edu import Hierarchy
    >>> from cgiter_edu.kernel.cgroup import CSS_TASK_ITER_PROCS
    >>> h = Hierarchy(); _ = h.mkdir("/a"); pid = h.spawn("/a", "nginx", threads=2)
    >>> it = BpfIterCssTask(); bpf_iter_css_task_new(it, h.root_css.first_child, 0)
    0
    >>> [t.pid - pid for t in iter(lambda: bpf_iter_css_task_next(it), None)]
    [0, 1, 2]
    >>> bpf_iter_css_task_destroy(it)
"""

from __future__ import annotations

import errno

from .cgroup import (
    CSS_TASK_ITER_PROCS,
    CSS_TASK_ITER_THREADED,
    Css,
    CssTaskIter,
    Task,
    css_task_iter_end,
    css_task_iter_next,
    css_task_iter_start,
)


class BpfIterCssTask:
    """``struct bpf_iter_css_task`` as the kernel sees it (``struct
    bpf_iter_css_task_kern``): one pointer, ``css_it``, to the allocated ``struct
    css_task_iter`` (NULL when ``new`` failed).  ``fail_alloc`` stands for
    ``bpf_mem_alloc`` failing (memory pressure): ``new`` then returns ``-ENOMEM``."""

    __slots__ = ("css_it", "fail_alloc")

    def __init__(self, fail_alloc: bool = False) -> None:
        self.css_it: CssTaskIter | None = None
        self.fail_alloc = fail_alloc


def bpf_iter_css_task_new(it: BpfIterCssTask, css: Css, flags: int) -> int:
    """``bpf_iter_css_task_new()`` (kernel/bpf/task_iter.c)."""
    kit = it

    kit.css_it = None
    if flags in (CSS_TASK_ITER_PROCS | CSS_TASK_ITER_THREADED, CSS_TASK_ITER_PROCS, 0):
        pass
    else:
        return -errno.EINVAL

    kit.css_it = None if it.fail_alloc else CssTaskIter()   # bpf_mem_alloc(&bpf_global_ma, ...)
    if kit.css_it is None:
        return -errno.ENOMEM
    css_task_iter_start(css, flags, kit.css_it)
    return 0


def bpf_iter_css_task_next(it: BpfIterCssTask) -> Task | None:
    """``bpf_iter_css_task_next()`` (kernel/bpf/task_iter.c)."""
    kit = it

    if kit.css_it is None:
        return None
    return css_task_iter_next(kit.css_it)


def bpf_iter_css_task_destroy(it: BpfIterCssTask) -> None:
    """``bpf_iter_css_task_destroy()`` (kernel/bpf/task_iter.c): end the walk, free."""
    kit = it

    if kit.css_it is None:
        return
    css_task_iter_end(kit.css_it)
    kit.css_it = None                                       # bpf_mem_free(...)
