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

``import cgiter_edu`` itself loads nothing else: each public name below is imported
from its module when first used (PEP 562, :mod:`cgiter_edu.lazy`), so networkx and the
emulator load on first use and the ``cgiter-edu`` command starts at once.  Heavy
parts (matplotlib, ipywidgets) load only when their modules are used:
``cgiter_edu.viz``, ``cgiter_edu.widgets``, ``cgiter_edu.live``.
"""

from __future__ import annotations

import _signal  # signal's C half: `import signal` makes its IntEnums, ~1 ms
import os as _os
import sys as _sys


def _interrupted_while_starting(signum: int, frame: object) -> None:
    """Ctrl-C before ``main()`` has put its own handler in place (the console script is
    still importing the command): nothing is made yet, so one line and exit 130."""
    _os.write(2, b"cgiter-edu: interrupted after 0.0 s\n")
    _os._exit(130)


# The console script `cgiter-edu` imports this package first (`from cgiter_edu.cli import
# main`): its Ctrl-C handler goes in place here, before anything else of the command loads
# (typing, argparse, the parser: a Ctrl-C there printed an import's traceback); main()
# replaces it with its own.  Only os, sys and _signal (built in) come before it; what
# stays uncovered is Python's own start-up (site and the .pth files of the venv) and the
# lookup of this file.  Imported by anything else (a notebook, a test), the process's
# handler is left alone.
if (_os.path.basename(_sys.argv[0] if _sys.argv else "") == "cgiter-edu"
        and _signal.getsignal(_signal.SIGINT) is _signal.default_int_handler):
    try:
        _signal.signal(_signal.SIGINT, _interrupted_while_starting)
    except ValueError:              # not the main thread: not the console script's start
        pass

from typing import TYPE_CHECKING  # noqa: E402 - after the handler: typing takes ~10 ms

from .lazy import lazy_exports  # noqa: E402

__version__ = "0.1.0"

#: public name -> the submodule that holds it (imported from there on first use); the
#: modules of __all__ (programs, shapes) are imported as any submodule is
_HOMES = {
    "attach": "attach", "capacity": "kernel.config",
    "Cgroup": "hierarchy", "CgroupFd": "hierarchy", "Hierarchy": "hierarchy",
    "BpfProgramError": "kernel.prog_errors", "IterFile": "iterfile", "IterLink": "iterfile",
    "Order": "kernel.cgroup_iter", "KernelConfig": "kernel.config",
    "RunResult": "run", "run": "run",
    "CgroupState": "replay", "EndReason": "events", "Event": "events", "EventKind": "events",
    "Trace": "trace",
}

__all__ = [
    "BpfProgramError", "Cgroup", "CgroupFd", "CgroupState", "EndReason", "Event", "EventKind",
    "Hierarchy", "IterFile", "IterLink", "KernelConfig", "Order", "RunResult", "Trace",
    "attach", "capacity", "programs", "run", "shapes",
]

if TYPE_CHECKING:       # what type checkers and editors see: the same names, eagerly
    from . import programs, shapes
    from .attach import attach
    from .events import EndReason, Event, EventKind
    from .hierarchy import Cgroup, CgroupFd, Hierarchy
    from .iterfile import IterFile, IterLink
    from .kernel.cgroup_iter import Order
    from .kernel.config import KernelConfig, capacity
    from .kernel.prog_errors import BpfProgramError
    from .replay import CgroupState
    from .run import RunResult, run
    from .trace import Trace

# the names of _HOMES, and any submodule (cgiter_edu.hierarchy...), imported when first used
__getattr__, __dir__ = lazy_exports(__name__, _HOMES, globals(), submodules=True)
