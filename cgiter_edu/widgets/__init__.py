"""Jupyter widgets: the cgroup_iter explorer.

The only package of :mod:`cgiter_edu` that imports ipywidgets (``import cgiter_edu``
does not; each name here loads on first use).  :class:`Explorer` is a widget you
``display()``: every control of ``cgiter-edu walk``, a player over the emulator's trace,
and at each step the tree coloured by state, the seq_file buffer, the read() calls,
``cgroup_mutex``, a caption and the mirrored kernel function that is running.
``notebooks/explorer.ipynb`` is the same as an app (Voila, or ``cgiter-edu explore``).
:class:`PastLimitExplorer` is its "past the page limit" mode: cgroup_iter beside the
open-coded css iterator writing into a ring buffer (lesson 9).

Example::

    >>> from cgiter_edu.widgets import Explorer
    >>> ex = Explorer(tree="small", record_bytes=3000, step="cut")
    >>> ex.frame.level, "EOPNOTSUPP" in ex.frame.why
    ('cut', True)
"""

from __future__ import annotations

from cgiter_edu.lazy import lazy_exports

_NAMES = {
    "Explorer": "explorer", "Frame": "story",
    "Settings": "model", "Walk": "model", "walk": "model",
    "FrameRenderer": "picture", "bench_explorer": "step_timing",
    "PastLimitExplorer": "pastlimit_explorer", "past_limit_mode": "pastlimit_explorer",
}

__all__ = sorted(_NAMES)


__getattr__, __dir__ = lazy_exports(__name__, _NAMES, globals())
