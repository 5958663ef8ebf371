"""The real-kernel backend: the same walk on this machine's kernel.

An emulated :class:`~cgiter_edu.Hierarchy` is mirrored as real cgroups under a scratch
cgroup of the cgroup v2 mount (:mod:`~cgiter_edu.live.mirror`); a real
``SEC("iter/cgroup")`` BPF program (``cgroup_iter.bpf.c``, compiled with clang on first
use, loaded through libbpf with ctypes) that writes exactly what
:class:`~cgiter_edu.programs.IdPrinter` or :class:`~cgiter_edu.programs.Record` write
is attached with the same order and start, and the iterator file is read with
``os.read`` at the same size.  The programs print emulated ids (a BPF map translates),
so the two runs compare byte for byte.

* :func:`available` -- can this machine do it?  (truthy, or ``.reason`` and ``.fix``;
  :mod:`~cgiter_edu.live.availability`)
* :func:`run` -- the walk on the kernel (:mod:`~cgiter_edu.live.kernel_walk`);
  :func:`compare`, :func:`compare_case`, :func:`compare_on` -- on both sides
  (:mod:`~cgiter_edu.live.comparison`)
* :mod:`~cgiter_edu.live.vm` -- the same inside a VM of another kernel (6.1, 6.12)

A walk from the root (neither fd nor id) in pre- or post-order is attached on the
kernel by fd on the scratch cgroup, which stands for the emulated root (a walk from the
real root would walk the whole host); ANCESTORS_UP is stopped after the scratch cgroup.
The comparison says so in its notes.  See :mod:`cgiter_edu.live.kernel_walk`.

Importing this package loads nothing but :mod:`~cgiter_edu.live.errors`; each name
below is imported from its module when first used.

Example (root, cgroup v2, clang, libbpf)::

    >>> from cgiter_edu import Hierarchy, Order, programs, live
    >>> h = Hierarchy(); _ = h.mkdir("/a"); _ = h.mkdir("/a/b")
    >>> if live.available():                                  # doctest: +SKIP
    ...     print(live.compare(h, programs.id_printer, Order.DESCENDANTS_POST, "/a"))
"""

from __future__ import annotations

from ..lazy import lazy_exports
from .errors import LiveError

#: public name -> the module that holds it
_HOMES = {
    "Availability": "availability", "available": "availability",
    "run": "kernel_walk", "LiveResult": "kernel_walk",
    "compare": "comparison", "compare_case": "comparison", "compare_on": "comparison",
    "Comparison": "comparison", "Case": "cases", "Mirror": "mirror",
}

__all__ = ["LiveError", *_HOMES]


# the names of _HOMES, imported from their module when first used
__getattr__, __dir__ = lazy_exports(__name__, _HOMES, globals())
