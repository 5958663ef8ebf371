"""Pictures and animations of cgroup_iter walks, for slides and notebooks.

Importing :mod:`cgiter_edu` never loads matplotlib; importing this package does
(lazily: each name is loaded on first use).  Every picture replays a
:class:`~cgiter_edu.trace.Trace`:

* :func:`plot_walk`, :func:`plot_buffer`, :func:`plot_mutex`, :func:`plot_orders`,
  :func:`plot_capacity` (``cgiter_edu.viz.plot``);
* :func:`animate`, :func:`save_animation` (``cgiter_edu.viz.anim``);
* :func:`slide_style` and the palette (``cgiter_edu.viz.style``);
* :func:`tidy_layout`, :func:`icicle_layout` (``cgiter_edu.viz.layout``);
* :func:`bench_viz` (``cgiter_edu.viz.bench``).

Example::

    >>> import matplotlib; matplotlib.use("Agg")
    >>> from cgiter_edu import Hierarchy, Order, run, programs
    >>> from cgiter_edu.viz import plot_walk, slide_style
    >>> h = Hierarchy(); _ = h.mkdir("/a")
    >>> res = run(h, programs.Record(rec_bytes=64), Order.DESCENDANTS_PRE, trace=True)
    >>> with slide_style():
    ...     view = plot_walk(res.trace)
    >>> view.figure.savefig("/tmp/walk.svg")
"""

from __future__ import annotations

import importlib
from typing import Any

_NAMES = {
    "plot_walk": "plot", "plot_buffer": "plot", "plot_mutex": "plot", "plot_orders": "plot",
    "plot_capacity": "plot", "WalkView": "plot", "BufferView": "plot", "MutexView": "plot",
    "describe": "plot", "order_traces": "plot", "buffer_state": "plot", "mutex_spans": "plot",
    "animate": "anim", "save_animation": "anim", "Animator": "anim",
    "slide_style": "style", "apply_slide_style": "style", "STATE_COLORS": "style",
    "STATE_LABELS": "style", "OKABE_ITO": "style",
    "tidy_layout": "layout", "icicle_layout": "layout", "tree_of": "layout", "Tree": "layout",
    "bench_viz": "bench",
    "writer_waits": "scenes", "truncated_walk": "scenes",
}

__all__ = sorted(_NAMES)


def __getattr__(name: str) -> Any:
    mod = _NAMES.get(name)
    if mod is None:
        raise AttributeError(f"module 'cgiter_edu.viz' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{mod}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(list(globals()) + list(_NAMES))
