"""What a Python program can do that a BPF program cannot: raise, or return neither 0
nor 1 (not a kernel file).

The kernel has no such case -- the verifier proves a program terminates and returns
0 or 1 -- so :func:`~cgiter_edu.kernel.bpf_iter.bpf_iter_run_prog` raises
:class:`BpfProgramError` naming the cgroup the program was on; the iterator file then
drops ``cgroup_mutex`` and behaves like an unfinished walk (the next read() is
EOPNOTSUPP).

Example::

    >>> from cgiter_edu import Hierarchy, Order, attach
    >>> h = Hierarchy(); _ = h.mkdir("/a")
    >>> f = attach(h, lambda ctx: 2, Order.DESCENDANTS_PRE).create()
    >>> try:
    ...     f.read(4096)
    ... except BpfProgramError as e:
    ...     print(str(e)[:58])
    the BPF program returned 2 on cgroup / (id 1); an iterator
"""

from __future__ import annotations

from typing import Any


class BpfProgramError(RuntimeError):
    """The Python BPF program raised.

    The message names the cgroup it was on and the original exception is chained
    (``__cause__``).  The kernel has no such case (the verifier proves programs
    terminate); the emulator releases ``cgroup_mutex`` and the session then behaves
    like an unfinished walk (the next read() is EOPNOTSUPP).

    Examples
    --------
    >>> from cgiter_edu import Hierarchy, Order, attach
    >>> def prog(ctx):
    ...     return 1 // 0
    >>> try:
    ...     attach(Hierarchy(), prog, Order.SELF_ONLY).create().read(99)
    ... except BpfProgramError as e:
    ...     type(e.__cause__).__name__
    'ZeroDivisionError'
    """


class BpfProgramReturnError(BpfProgramError, TypeError, ValueError):
    """The program returned something other than 0 or 1 (False and True count as 0 and
    1).  On the kernel the verifier refuses such a program at load: "At program exit the
    register R0 has smin=2 smax=2 should have been in [0, 1]" (EINVAL)."""


def bad_return(ret: Any, ctx: Any) -> BpfProgramReturnError:
    """The error for a program that returned ``ret`` (neither 0 nor 1) on ``ctx``."""
    if isinstance(ret, int):
        return BpfProgramReturnError(
            f"the BPF program returned {ret} {where(ctx)}; an iterator program may return "
            f"only 0 (go on) or 1 (stop after this cgroup): the kernel's verifier refuses it "
            f"at load with \"At program exit the register R0 has smin={ret} smax={ret} "
            f"should have been in [0, 1]\" (EINVAL)")
    return BpfProgramReturnError(f"the BPF program returned {ret!r} ({type(ret).__name__}) "
                                 f"{where(ctx)}; it must return an int: 0 (go on) or 1 (stop "
                                 "after this cgroup)")


def where(ctx: Any) -> str:
    """Where the program was: ``on cgroup /a (id 2)``, or the epilogue call."""
    cg = getattr(ctx, "cgroup", None)
    if cg is None:
        return "on the epilogue call (cgroup NULL)"
    return f"on cgroup {cg.path} (id {cg.id})"
