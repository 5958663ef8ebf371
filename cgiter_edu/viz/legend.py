"""The state legend of the walk pictures: each state's entry
(:func:`~cgiter_edu.viz.style.state_legend_handles`) and, where a picture draws dead
cgroups with a dashed outline (the tree and list views), an entry for that outline too:
a dead cgroup the walk never reaches is a grey dot or a ring like any other, and only its
dashed outline says it is dead.

Example::

    >>> import matplotlib; matplotlib.use("Agg")
    >>> from cgiter_edu.replay import CgroupState
    >>> [h.get_label() for h in legend_handles([CgroupState.NEVER], dashed=True)]
    ['never reached: cut', 'dashed outline: dead']
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cgiter_edu.replay import CgroupState

from .style import state_legend_handles

__all__ = ["DEAD_DASHES", "DEAD_OUTLINE", "dead_outline_handle", "legend_handles",
           "place_walk_legend"]

#: the outline of a dead cgroup's marker (tree and list views): dashes 2, gaps 1.5
#: (times the line width)
DEAD_DASHES = (0, (2, 1.5))
#: the legend's words for that outline
DEAD_OUTLINE = "dashed outline: dead"


def dead_outline_handle() -> Any:
    """The legend entry of the dashed outline: a white circle outlined as the walk
    pictures outline a dead cgroup (:data:`DEAD_DASHES`), labelled :data:`DEAD_OUTLINE`."""
    from matplotlib.collections import PathCollection
    from matplotlib.path import Path
    from matplotlib.transforms import Affine2D, IdentityTransform

    circle = Path.unit_circle().transformed(Affine2D().scale(0.5))
    # a transform of its own, as scatter's: else the legend's box offsets the circle twice
    return PathCollection([circle], sizes=[16.0 ** 2], facecolors="white", edgecolors="black",
                          linewidths=1.4, linestyles=[DEAD_DASHES], label=DEAD_OUTLINE,
                          transform=IdentityTransform())


def legend_handles(states: Sequence[CgroupState], *, ended: bool = False,
                   hatched: bool = False, dashed: bool = False) -> list[Any]:
    """The handles of a walk picture's legend: ``states``' entries (see
    :func:`~cgiter_edu.viz.style.state_legend_handles` for ``ended`` and ``hatched``),
    then, if the picture draws dead cgroups dashed (``dashed``), the outline's entry
    (:func:`dead_outline_handle`)."""
    handles = state_legend_handles(list(states), ended=ended, hatched=hatched)
    return [*handles, dead_outline_handle()] if dashed else handles


def place_walk_legend(view: Any, shown: Sequence[CgroupState], ended: bool,
                      own: bool) -> Any:
    """The legend of a :class:`~cgiter_edu.viz.WalkView` (``view``) listing ``shown``: right
    of the drawing in a figure of its own (``own``), else right of its axes, smaller;
    with the dashed outline's entry where the view draws one (``view.dashed``)."""
    handles = legend_handles(shown, ended=ended, hatched=view.view == "icicle",
                             dashed=view.dashed)
    if own:
        return view.figure.legend(handles=handles, loc="center left", bbox_to_anchor=(0.725, 0.5),
                                  fontsize=17, title="cgroup state", title_fontsize=19,
                                  labelspacing=1.1, handletextpad=0.4, alignment="left")
    return view.ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0),
                          fontsize=11, title="cgroup state", title_fontsize=12)
