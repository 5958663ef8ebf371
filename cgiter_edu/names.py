"""The names every output uses, in one place: orders, the kernel function behind each
order, errnos.

The :class:`~cgiter_edu.kernel.cgroup_iter.Order` enum holds the kernel's names and
values; this module holds what the CLI, the pictures and the real-kernel comparison
print about them (kept outside ``kernel/``, which mirrors kernel files only).  Why a
walk ended is told by :class:`~cgiter_edu.events.EndReason` itself (``.caption``,
``.explanation``).

Example::

    >>> from cgiter_edu.names import order_name, order_prose, errno_symbol, errno_text, ORDER_FUNCTIONS
    >>> order_name(2), order_name(7)
    ('DESCENDANTS_PRE (2)', '7 (no such order)')
    >>> order_prose(3)
    'post-order (DESCENDANTS_POST)'
    >>> ORDER_FUNCTIONS[3]
    'css_next_descendant_post()'
    >>> errno_symbol(95), errno_text(7)
    ('EOPNOTSUPP', 'E2BIG (Argument list too long)')
"""

from __future__ import annotations

import errno as _errno
import os

from .kernel.cgroup_iter import Order

__all__ = ["ORDER_FUNCTIONS", "order_name", "order_prose", "errno_symbol", "errno_text",
           "printable"]

#: how each order finds the next cgroup in the kernel (kernel/bpf/cgroup_iter.c's
#: cgroup_iter_seq_next(), with the helpers of kernel/cgroup/cgroup.c)
ORDER_FUNCTIONS: dict[int, str] = {
    Order.SELF_ONLY: "next() gives NULL",
    Order.DESCENDANTS_PRE: "css_next_descendant_pre()",
    Order.DESCENDANTS_POST: "css_next_descendant_post()",
    Order.ANCESTORS_UP: "css->parent to the root",
    Order.CHILDREN: "css_next_child() (Linux 7.0)",
}


def order_name(order: int) -> str:
    """An order as the outputs print it: the uapi name without its prefix and the
    number (``"DESCENDANTS_PRE (2)"``), or ``"7 (no such order)"``.  A valid
    :class:`~cgiter_edu.Order` member's bare name is ``Order(o).name``."""
    try:
        return f"{Order(order).name} ({int(order)})"
    except ValueError:
        return f"{order} (no such order)"


def order_prose(order: int) -> str:
    """An order as a sentence names it (the exercises' questions): the walk's common
    name with the uapi name after it, ``"pre-order (DESCENDANTS_PRE)"``; an order
    that has no common name is its uapi name alone (``"SELF_ONLY"``).  Raises
    ValueError for a value that is no order."""
    o = Order(order)
    common = {Order.DESCENDANTS_PRE: "pre-order", Order.DESCENDANTS_POST: "post-order"}
    return f"{common[o]} ({o.name})" if o in common else o.name


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


def printable(text: str) -> str:
    """``text`` as a picture can draw it: the bytes of a cgroup name that are not UTF-8
    (read from the file system, they come as ``os.fsdecode``'s surrogates, which no font
    can draw) shown as ``\\xff`` escapes; any other text unchanged.

    >>> printable("user.slice"), printable("\\udcff\\udcferaw")
    ('user.slice', '\\\\xff\\\\xferaw')
    """
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
