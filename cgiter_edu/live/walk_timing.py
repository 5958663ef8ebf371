"""The emulator against the kernel on the same tree, measured side by side in one run.

The 10,101-cgroup tree (root, 100 children, 100 each) is mirrored once; a silent
program (``programs.Record(silent=True)``: nothing for a cgroup, ``"E <seq_num>"`` at
the end) walks it in pre-order, alternately on the emulator and on the kernel.  Each
figure is the median over ``repeat`` walks of the time spent in read() calls alone
(the one that returns 0 included, on both sides): attach, iterator creation and the mirror are not
counted on either side.

Example (root)::

    $ cgiter-edu bench --parts live
    >>> from cgiter_edu.live.walk_timing import bench_live          # doctest: +SKIP
    >>> bench_live()["ratio"] > 1                               # doctest: +SKIP
    True
"""

from __future__ import annotations

import gc
import statistics
import time
from typing import Any


def bench_live(repeat: int = 21, fanout: int = 100, quiet: bool = False) -> dict[str, Any]:
    """Measure; print the figures (unless ``quiet``) and return them: ``cgroups``,
    ``emulator_s``, ``kernel_s`` (medians), ``ratio`` (emulator / kernel),
    ``mirror_s`` (building the real tree) and ``same_output``."""
    from .. import Order, attach, programs, shapes
    from . import compare_on
    from .cases import Case, machine_kernel
    from .mirror import Mirror

    h = shapes.balanced(2, fanout)
    prog = programs.Record(silent=True)
    kernel = machine_kernel()
    case = Case(hierarchy={}, order=int(Order.DESCENDANTS_PRE), start={},
                program={"name": "record", "rec_bytes": 0, "silent": True},
                read_size=131072, extra_reads=0)

    def emulator() -> tuple[float, bytes]:
        with attach(h, prog, Order.DESCENDANTS_PRE, kernel=kernel) as link, \
                link.create() as f:
            out = b""
            t = time.perf_counter()
            while True:
                data = f.read(131072)
                if not data:
                    break
                out += data
            return time.perf_counter() - t, out

    t = time.perf_counter()
    with Mirror(h) as m:
        mirror_s = time.perf_counter() - t
        emu_times, kern_times = [], []
        same = True
        gc.collect()
        gc.disable()                              # as timeit does: no collection mid-walk
        try:
            for i in range(repeat + 1):           # the first of each is a warm-up
                et, eout = emulator()
                timer: list[float] = []
                c = compare_on(h, m, case, kernel, timer=timer)
                same = same and c.match and eout == c.kernel.output
                if i:
                    emu_times.append(et)
                    kern_times.append(sum(timer))
        finally:
            gc.enable()
        scratch = m.scratch
    r = {"cgroups": len(h), "emulator_s": statistics.median(emu_times),
         "kernel_s": statistics.median(kern_times), "mirror_s": mirror_s,
         "same_output": same, "repeat": repeat, "scratch": scratch}
    r["ratio"] = r["emulator_s"] / r["kernel_s"]
    if not quiet:
        from ..bench_row import row as line

        print(f"live: silent program, pre-order, {len(h):,} cgroups, emulator and kernel "
              f"alternately (median of {repeat}, read() calls alone)")
        line("emulator", f"{r['emulator_s'] * 1e3:.2f} ms")
        line("kernel (this machine)", f"{r['kernel_s'] * 1e3:.2f} ms")
        line("emulator / kernel, same run", f"{r['ratio']:.2f}x", "<= 3x", r["ratio"] <= 3)
        line("kernel per cgroup", f"{r['kernel_s'] / len(h) * 1e9:.0f} ns")
        line(f"mirroring {len(h):,} real cgroups (mkdir)", f"{mirror_s:.2f} s")
        line("same bytes on both sides", "yes" if same else "NO", "yes", same)
    return r
