"""The names every output uses, in one place: orders, the kernel function behind each
order, errnos.

The :class:`~cgiter_edu.kernel.cgroup_iter.Order` enum holds the kernel's names and
values; this module holds what the CLI, the pictures and the real-kernel comparison
print about them (kept outside ``kernel/``, which mirrors kernel files only).  Why a
walk ended is told by :class:`~cgiter_edu.trace.EndReason` itself (``.caption``,
``.explanation``).

Example::

    >>> from cgiter_edu.names import order_name, errno_symbol, errno_text, ORDER_FUNCTIONS
    >>> order_name(2), order_name(7)
    ('DESCENDANTS_PRE (2)', '7 (no such order)')
    >>> ORDER_FUNCTIONS[3]
    'css_next_descendant_post()'
    >>> errno_symbol(95), errno_text(7)
    ('EOPNOTSUPP', 'E2BIG (Argument list too long)')
"""

from __future__ import annotations

import errno as _errno
import os

__all__ = ["ORDER_FUNCTIONS", "order_name", "errno_symbol", "errno_text"]

#: how each order finds the next cgroup in the kernel (kernel/bpf/cgroup_iter.c's
#: cgroup_iter_seq_next(), with the helpers of kernel/cgroup/cgroup.c)
ORDER_FUNCTIONS: dict[int, str] = {
    1: "next() gives NULL",
    2: "css_next_descendant_pre()",
    3: "css_next_descendant_post()",
    4: "css->parent to the root",
    5: "css_next_child() (Linux 7.0)",
}


def order_name(order: int) -> str:
    """An order as the outputs print it: the uapi name without its prefix and the
    number (``"DESCENDANTS_PRE (2)"``), or ``"7 (no such order)"``.  A valid
    :class:`~cgiter_edu.Order` member's bare name is ``Order(o).name``."""
    from .kernel.cgroup_iter import Order

    try:
        return f"{Order(order).name} ({int(order)})"
    except ValueError:
        return f"{order} (no such order)"


def errno_symbol(code: int) -> str:
    """The kernel's name for an errno: ``"EOPNOTSUPP"`` for 95 (Python's table says
    ENOTSUP); the number as text when it has no name."""
    code = abs(int(code))
    if code == _errno.EOPNOTSUPP:
        return "EOPNOTSUPP"
    return _errno.errorcode.get(code, str(code))


def errno_text(code: int) -> str:
    """The errno's name and its message: ``"EOPNOTSUPP (Operation not supported)"``."""
    return f"{errno_symbol(code)} ({os.strerror(abs(int(code)))})"
