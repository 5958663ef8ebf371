"""cgiter_edu: how the Linux BPF cgroup iterator (cgroup_iter) walks the cgroup hierarchy.

A networkx model of a cgroup v2 hierarchy, an emulator of the kernel's iterator that
gives what the kernel gives byte for byte and errno for errno, traces of each step
for pictures and widgets, and a backend that runs the same walk on the real kernel.

Example::

    >>> from cgiter_edu import Hierarchy, Order, attach, programs
    >>> h = Hierarchy(); a = h.mkdir("/a"); b = h.mkdir("/a/b")
    >>> with attach(h, programs.id_printer, Order.DESCENDANTS_POST) as link:
    ...     link.create().read(4096)
    b'prologue\\n       3\\n       2\\n       1\\nepilogue\\n'

Heavy parts (matplotlib, ipywidgets) load only when their modules are used:
``cgiter_edu.viz``, ``cgiter_edu.widgets``, ``cgiter_edu.live``.
"""

from __future__ import annotations

from . import programs, shapes
from .attach import attach
from .hierarchy import Cgroup, CgroupFd, Hierarchy
from .iterfile import IterFile, IterLink
from .kernel.cgroup_iter import Order
from .kernel.config import KernelConfig, capacity
from .kernel.prog_errors import BpfProgramError
from .run import RunResult, run
from .trace import CgroupState, EndReason, Event, EventKind, Trace

__version__ = "0.1.0"

__all__ = [
    "BpfProgramError", "Cgroup", "CgroupFd", "CgroupState", "EndReason", "Event", "EventKind",
    "Hierarchy", "IterFile", "IterLink", "KernelConfig", "Order", "RunResult", "Trace",
    "attach", "capacity", "programs", "run", "shapes",
]
