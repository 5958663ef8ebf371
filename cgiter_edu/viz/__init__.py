"""Pictures and animations of cgroup_iter walks, for slides, notebooks and widgets.

Importing :mod:`cgiter_edu` never loads matplotlib; importing this package does not
either (each name is loaded on first use).  Every picture replays a
:class:`~cgiter_edu.trace.Trace`; none decides anything about a walk.

The modules, one per picture:

* ``analysis``: what the pictures replay, without matplotlib: :func:`seq_numbers`,
  :func:`first_reached`, :func:`buffer_state`, :func:`mutex_spans`;
* ``words``: what they say, without matplotlib: :func:`describe_step`,
  :func:`frame_caption`, :func:`result_text`, each picture's alt text;
* ``view``: :class:`View`, the contract below;
* ``walk_view``: :class:`WalkView` / :func:`plot_walk` (tree, list or icicle);
  ``walk_numbers``: the seq_num or visit number drawn in each of its markers;
  ``legend``: its state legend (with the dead cgroups' dashed outline where drawn);
* ``buffer_view``: :class:`BufferView` / :func:`plot_buffer`, :class:`BufferStrip`;
* ``mutex_view``: :class:`MutexView` / :func:`plot_mutex`;
* ``orders``: :class:`OrdersView` / :func:`plot_orders`;
* ``capacity``: :class:`CapacityView` / :func:`plot_capacity`;
* ``pastlimit``: :class:`PastLimitView` / :func:`plot_past_limit`,
  :func:`animate_past_limit`: cgroup_iter cut at the page limit beside the open-coded
  walk into a ring buffer (two traces, :func:`cgiter_edu.opencoded.both_ways`);
* ``anim``: :func:`animate`, :class:`Animator` (GIF, MP4, HTML);
* ``style``: :func:`slide_style`, the palette; ``layout`` and ``geometry``: where
  each cgroup goes; ``draw_timing``: :func:`bench_viz`.

The walks the pictures are drawn from are the emulator's: a walk that shows one thing
(a writer waiting at ``cgroup_mutex``, every order on one tree) is run by
:mod:`cgiter_edu.scenarios`, not here.

The view contract (what the animation, the widgets and the CLI rely on):

* ``plot_x(trace, step=None, ax=None, **options)`` draws into ``ax`` (any Axes, e.g.
  one of a shared figure) or, without one, a new 16:9 slide figure, and returns a
  :class:`View`.  :func:`plot_orders` draws several Axes and takes ``fig=`` instead;
  :func:`plot_capacity` draws no trace.
* A view has ``figure``, ``ax`` (its main Axes), ``step`` (0-based, or None for
  "after the last step") and ``update(step)``, which changes only what differs at
  that step and returns the changed artists (for blitting); ``artists()`` lists
  every artist ``update`` may change.  Nothing is redrawn from scratch.
* :class:`WalkView` also has ``paint(states)`` (colour the cgroups by any
  ``{id: CgroupState}``: e.g. to mark cgroups a stopped walk never reached as
  ``NEVER``), ``caption_text`` (the caption of the step shown, drawn or not),
  ``colors()`` and ``number_texts()`` (what is drawn, read back); ``legend=False``
  leaves the legend to the caller (:func:`~cgiter_edu.viz.legend.legend_handles`
  makes one, :func:`states_shown` says which states occur, ``dashed`` whether dead
  cgroups are outlined in dashes).
* Steps are 0-based everywhere (``--step 12`` is ``update(12)``, captioned
  ``step 12/56`` when 56 is the last step).

Example::

    >>> import matplotlib; matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> from cgiter_edu import Hierarchy, Order, run, programs
    >>> from cgiter_edu.viz import plot_walk, plot_buffer, slide_style
    >>> h = Hierarchy(); _ = h.mkdir("/a")
    >>> res = run(h, programs.Record(rec_bytes=64), Order.DESCENDANTS_PRE, trace=True)
    >>> with slide_style():
    ...     fig, (left, right) = plt.subplots(1, 2)
    ...     walk = plot_walk(res.trace, step=3, ax=left, legend=False)
    ...     buf = plot_buffer(res.trace, step=3, ax=right, reads=False)
    >>> changed = walk.update(4) + buf.update(4)
    >>> walk.caption_text
    'step 4/16: next() gives /a (seq_num 1)'
    >>> import os, shutil, tempfile; folder = tempfile.mkdtemp()   # a folder of its own
    >>> fig.savefig(os.path.join(folder, "walk.svg")); shutil.rmtree(folder)
"""

from __future__ import annotations

from cgiter_edu.lazy import lazy_exports

_NAMES = {
    "View": "view",
    "plot_walk": "walk_view", "WalkView": "walk_view", "states_shown": "analysis",
    "walk_over": "analysis",
    "plot_buffer": "buffer_view", "BufferView": "buffer_view", "BufferStrip": "buffer_view",
    "plot_mutex": "mutex_view", "MutexView": "mutex_view",
    "plot_orders": "orders", "OrdersView": "orders",
    "plot_capacity": "capacity", "CapacityView": "capacity",
    "describe_step": "words", "frame_caption": "words", "result_text": "words",
    "seq_numbers": "analysis", "first_reached": "analysis", "buffer_state": "analysis",
    "BufferState": "analysis", "mutex_spans": "analysis", "MutexSpans": "analysis",
    "animate": "anim", "save_animation": "anim", "Animator": "anim",
    "slide_style": "style", "apply_slide_style": "style", "STATE_COLORS": "style",
    "STATE_LABELS": "style", "OKABE_ITO": "style", "state_legend_handles": "style",
    "tidy_layout": "layout", "icicle_layout": "layout", "tree_of": "layout", "Tree": "layout",
    "bench_viz": "draw_timing",
    "plot_past_limit": "pastlimit", "PastLimitView": "pastlimit",
    "animate_past_limit": "pastlimit",
}

__all__ = sorted(_NAMES)


__getattr__, __dir__ = lazy_exports(__name__, _NAMES, globals())
