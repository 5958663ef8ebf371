"""Jupyter widgets: the cgroup_iter explorer.

The only package of :mod:`cgiter_edu` that imports ipywidgets (``import cgiter_edu``
does not).  :class:`Explorer` is a widget you ``display()``: every control of
``cgiter-edu walk``, a player over the emulator's trace, and at each step the tree
coloured by state, the seq_file buffer, the read() calls, ``cgroup_mutex``, a caption
and the mirrored kernel function that is running.  ``notebooks/explorer.ipynb`` is the
same as an app (Voila, or ``cgiter-edu explore``).

Example::

    >>> from cgiter_edu.widgets import Explorer
    >>> ex = Explorer(tree="small", record_bytes=3000, step="cut")
    >>> ex.frame.level, "EOPNOTSUPP" in ex.frame.why
    ('cut', True)
"""

from __future__ import annotations

from .explorer import Explorer, Frame
from .model import Settings, Walk, walk

__all__ = ["Explorer", "Frame", "Settings", "Walk", "walk"]
