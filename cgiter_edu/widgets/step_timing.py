"""``cgiter-edu bench --parts explorer``: the explorer's speed, next to the issue's targets.

* a step (slider move) on a tree of about 500 cgroups: the kernel-side frame (PNG and
  every panel) at most 50 ms;
* a control change to its first new frame, about 1,000 cgroups: at most 300 ms (an
  order change on 1,000 cgroups, icicle view; on 300 cgroups, list view; and a new
  300-cgroup tree, where the whole figure is built again);
* the same on the 10,101-cgroup tree (list or icicle view): at most 1.5 s;
* the browser's slider-to-new-frame time (at most 150 ms) is measured by the browser
  test (``tests/test_browser.py``), which writes it to ``tests/artifacts/``; printed
  here when that file exists.

Example::

    $ cgiter-edu bench --parts explorer
"""

from __future__ import annotations

import gc
import json
import statistics
import time
from pathlib import Path

__all__ = ["bench_explorer"]


def _median_s(fn, n: int) -> tuple[float, float]:
    """Median wall time and median CPU time (``time.process_time``: this process only,
    so it does not grow when other jobs load the machine) of ``n`` calls."""
    fn()
    wall, cpu = [], []
    for _ in range(n):
        gc.collect()
        t, c = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    return statistics.median(wall), statistics.median(cpu)


def bench_explorer(line=None) -> dict[str, float]:
    """Measure the explorer against its targets and print each measure.

    Parameters
    ----------
    line : callable, optional
        ``line(what, value, target, good)`` prints one measure (default: a row on
        stdout, as ``cgiter-edu bench`` shows it).

    Returns
    -------
    dict of str to float
        Seconds: ``*_s`` wall-clock medians, judged against the targets; ``*_cpu_s``
        CPU medians.

    Examples
    --------
    >>> out = bench_explorer(lambda *row: None)      # doctest: +SKIP
    >>> out["slider_step_s"] < 0.1                   # doctest: +SKIP
    True
    """
    from cgiter_edu import shapes
    from cgiter_edu.widgets import Explorer

    if line is None:
        def line(what: str, value: str, target: str, good: bool) -> None:
            print(f"  {what:<52} {value:>20}   target {target:<16} "
                  f"{'ok' if good else 'MISSED'}")
    out: dict[str, float] = {}
    h500 = shapes.random(500, seed=1, dead=0.05)
    ex = Explorer(tree=h500, record_bytes=200, background=False)
    n = len(ex.trace)
    steps = iter(range(1, 10**9))

    def one_step() -> None:
        ex.step = (next(steps) * 37) % n
    s, c = _median_s(one_step, 31)
    out["step_500_s"], out["step_500_cpu_s"] = s, c
    line(f"step on {len(h500)} cgroups ({n} steps): frame kernel-side",
         f"{s * 1e3:.0f} ms (cpu {c * 1e3:.0f})", "<= 50 ms", s <= 0.05)
    h1000 = shapes.random(1000, seed=2, dead=0.05)
    ex = Explorer(tree=h1000, record_bytes=200, background=False)
    orders = iter([3, 2] * 50)
    s, c = _median_s(lambda: ex.set(order=next(orders)), 5)
    out["change_1000_s"], out["change_1000_cpu_s"] = s, c
    line(f"order change on {len(h1000)} cgroups: to first frame",
         f"{s * 1e3:.0f} ms (cpu {c * 1e3:.0f})", "<= 300 ms", s <= 0.3)
    h300 = [shapes.random(300, seed=2, dead=0.05), shapes.random(300, seed=5, dead=0.05)]
    ex = Explorer(tree=h300[0], record_bytes=200, background=False)
    view = ex.renderer.views["walk"].view
    s, c = _median_s(lambda: ex.set(order=next(orders)), 5)
    out["change_300_s"], out["change_300_cpu_s"] = s, c
    line(f"order change on 300 cgroups ({view} view)",
         f"{s * 1e3:.0f} ms (cpu {c * 1e3:.0f})", "<= 300 ms", s <= 0.3)
    trees = iter([h.to_json() for h in h300] * 50)
    s, c = _median_s(lambda: ex.load_json(next(trees), "bench"), 5)
    out["new_tree_300_s"], out["new_tree_300_cpu_s"] = s, c
    line(f"a new tree, 300 cgroups ({view} view): all rebuilt",
         f"{s * 1e3:.0f} ms (cpu {c * 1e3:.0f})", "<= 300 ms", s <= 0.3)
    ex = Explorer(tree="balanced", record_bytes=64, background=False)
    orders = iter([3, 2] * 50)
    s, c = _median_s(lambda: ex.set(order=next(orders)), 3)
    out["change_10101_s"], out["change_10101_cpu_s"] = s, c
    line(f"order change on 10,101 cgroups ({ex.renderer.views['walk'].view} view)",
         f"{s:.2f} s (cpu {c:.2f})", "<= 1.5 s", s <= 1.5)
    art = Path(__file__).resolve().parents[2] / "tests" / "artifacts" / "browser-latency.json"
    if art.exists():
        d = json.loads(art.read_text())
        m = d["median_ms"]
        line("browser: slider move to new frame (browser test)", f"{m:.0f} ms", "<= 150 ms",
             m <= 150)
    else:
        print("  browser: run tests/test_browser.py to measure the slider-to-frame time")
    return out
