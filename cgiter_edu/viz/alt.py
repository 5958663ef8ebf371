"""What each picture shows, in words: the alt text of the pictures (``View.alt``).

The views say it from what they drew; :func:`walk_alt` composes a walk picture's, the
longest of them (used by :attr:`~cgiter_edu.viz.WalkView.alt`).  In a notebook the
text goes with the figure's PNG (:func:`~cgiter_edu.viz.view.figure_alt`), and the book
uses it as each picture's alt text.
"""

from __future__ import annotations

from cgiter_edu.trace import CgroupState, EventKind, Trace

from .analysis import cgroup_name, frame_caption, walk_over

__all__ = ["walk_alt"]


def walk_alt(trace: Trace, step: int | None, ids: list[int], view: str,
             numbers_mode: str | None, title: str) -> str:
    """The alt text of a walk picture (:attr:`WalkView.alt <cgiter_edu.viz.WalkView.alt>`):
    ``title`` (order, start, kernel), the step, how many cgroups in which ``view``, how
    many in each state with each state's shape (hatch in the icicle view), the visiting
    order of a short walk, where the walk was cut, and the caption.

    >>> import matplotlib; matplotlib.use("Agg")
    >>> from cgiter_edu import Hierarchy, Order, run, programs
    >>> from cgiter_edu.viz import plot_walk
    >>> h = Hierarchy(); _ = h.mkdir("/a"); _ = h.mkdir("/b")
    >>> r = run(h, programs.Record(rec_bytes=64), Order.DESCENDANTS_PRE, trace=True)
    >>> print(plot_walk(r.trace).alt)   # doctest: +ELLIPSIS
    DESCENDANTS_PRE walk from /, ...: 3 cgroups drawn as a tree, numbered by seq_num: 3 delivered to user (circles). Visited in the order /, /a, /b. ...
    """
    from .style import HATCH_WORDS, STATE_LABELS, STATE_SHAPES


    t = trace
    states = t.states(step)
    counts: dict[CgroupState, int] = {}
    for v in ids:
        st = states.get(v, CgroupState.UNREACHED)
        counts[st] = counts.get(st, 0) + 1
    over = walk_over(t, step)
    cue = HATCH_WORDS if view == "icicle" else STATE_SHAPES

    def said(st: CgroupState) -> str:
        label = STATE_LABELS[st]
        if over and st is CgroupState.UNREACHED:
            label = "not visited by this walk"
        shape = cue[st] + ("" if view == "icicle" or counts[st] == 1 else "s")
        return f"{counts[st]} {label} ({shape})"

    where = f", at step {step} of {len(t.events) - 1}" if step is not None else ""
    numbered = {"seq": ", numbered by seq_num", "visit": ", numbered in visiting order"}
    parts = [f"{title}{where}: "
             f"{len(ids)} cgroups drawn as {'an' if view == 'icicle' else 'a'} "
             f"{view}{numbered.get(numbers_mode or '', '')}: "
             + ", ".join(said(s) for s in CgroupState if counts.get(s))]
    visited = [cgroup_name(t, e.cgroup) for e in t.events
               if e.kind in (EventKind.START, EventKind.NEXT) and e.cgroup is not None
               and e.errno is None and (step is None or e.step <= step)]
    if visited and len(visited) <= 12:
        parts.append(("Visited so far" if step is not None else "Visited")
                     + " in the order " + ", ".join(visited))
    lost = [v for v in ids if states.get(v) is CgroupState.LOST]
    if lost:
        never = counts.get(CgroupState.NEVER, 0)
        parts.append(f"The walk was cut at {cgroup_name(t, lost[0])}: its record did not "
                     f"fit the buffer" + (f", and the {never} cgroups after it were never "
                                          f"reached" if never else ""))
    caption = frame_caption(t, step)
    if caption:
        parts.append(caption[0].upper() + caption[1:])
    return ". ".join(p.rstrip(".") for p in parts) + "."
