"""Benchmark of the pictures: one redrawn step, one saved GIF.

* redrawing one step of a 200-cgroup walk by updating the artists (recolour the
  cgroups, show their numbers, move the buffer bars, blit them over the static
  background): median over many steps, target at most 50 ms;
* saving a 100-frame GIF of that walk: target at most 20 s.

Example::

    $ cgiter-edu bench --parts viz
    >>> from cgiter_edu.viz.draw_timing import bench_viz     # doctest: +SKIP
    >>> bench_viz()["redraw_ms"] <= 50                  # doctest: +SKIP
    True
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from typing import Any

__all__ = ["bench_viz"]

REDRAW_TARGET_MS = 50.0
GIF_TARGET_S = 20.0


def _walk_trace(n: int = 200) -> Any:
    from cgiter_edu import Order, programs, run, shapes

    h = shapes.random(n, seed=0, dead=0.05)
    res = run(h, programs.Record(rec_bytes=64), Order.DESCENDANTS_PRE, read_size=4096,
              trace=True)
    assert res.trace is not None
    return res.trace


def bench_viz(n_cgroups: int = 200, repeats: int = 41, gif_frames: int = 100,
              verbose: bool = True) -> dict[str, float]:
    """Measure how fast the pictures redraw and a GIF saves, printed beside the targets.

    Parameters
    ----------
    n_cgroups : int, default 200
        The tree's size.
    repeats : int, default 41
        Redraws measured (the median is kept).
    gif_frames : int, default 100
        Frames of the GIF saved.
    verbose : bool, default True
        Print each measure and its target.

    Returns
    -------
    dict of str to float
        ``redraw_ms``, ``full_draw_ms``, ``gif_s``, ``cgroups``, ``frames``.

    Examples
    --------
    >>> bench_viz(n_cgroups=50, repeats=3, gif_frames=5, verbose=False)["cgroups"]  # doctest: +SKIP
    50
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .anim import Animator

    trace = _walk_trace(n_cgroups)
    n = len(trace.events)
    a = Animator(trace, max_frames=None, hold=0)
    try:
        steps = [round(i * (n - 1) / (repeats - 1)) for i in range(repeats)]
        a.redraw(steps[0])                      # first call draws the background once
        times = []
        for s in steps:
            t0 = time.perf_counter()
            a.redraw(s)
            times.append(time.perf_counter() - t0)
        redraw_ms = statistics.median(times) * 1e3
        fulls = []
        for s in steps[:7]:
            t0 = time.perf_counter()
            a.update(s)
            a.figure.canvas.draw()
            fulls.append(time.perf_counter() - t0)
        full_ms = statistics.median(fulls) * 1e3
    finally:
        a.close()
    frames = list(range(min(gif_frames, n)))
    g = Animator(trace, steps=frames, hold=0)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            g.save(os.path.join(tmp, "walk.gif"), progress=False)
            gif_s = time.perf_counter() - t0
    finally:
        g.close()
        plt.close("all")
    out = {"cgroups": float(len(trace.cgroups)), "redraw_ms": redraw_ms,
           "full_draw_ms": full_ms, "gif_s": gif_s, "frames": float(len(frames))}
    if verbose:
        from ..bench_row import row as line

        line(f"redraw one step, {len(trace.cgroups)} cgroups (median of {repeats})",
             f"{redraw_ms:.1f} ms", f"<= {REDRAW_TARGET_MS:.0f} ms",
             redraw_ms <= REDRAW_TARGET_MS)
        line("  (for comparison: full canvas.draw() per step)", f"{full_ms:.1f} ms")
        line(f"save a {len(frames)}-frame GIF (1280x720)", f"{gif_s:.1f} s",
             f"<= {GIF_TARGET_S:.0f} s", gif_s <= GIF_TARGET_S)
    return out
