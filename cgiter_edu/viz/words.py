"""What the pictures say in words, computed without matplotlib.

* :func:`describe_step`: one sentence saying what the event at a step did;
* :func:`frame_caption`: the caption of a frame (``describe_step`` with the step
  number, or a summary of the whole walk after its last step);
* :func:`result_text`: a read()'s result as a picture prints it;
* :func:`cgroup_name`, :func:`short_path`: how captions name a cgroup;
* :func:`walk_alt`: the alt text of a walk picture (:attr:`~cgiter_edu.viz.WalkView.alt`;
  each view says what it shows, and in a notebook the text goes with the figure's PNG,
  :func:`~cgiter_edu.viz.view.figure_alt`, which the book uses as the alt text).
"""

from __future__ import annotations

from cgiter_edu.events import EndReason, Event, EventKind
from cgiter_edu.names import errno_symbol, printable
from cgiter_edu.replay import CgroupState
from cgiter_edu.trace import Trace

from .analysis import walk_over

__all__ = ["describe_step", "frame_caption", "result_text", "short_path", "cgroup_name",
           "CAPTION_PATH_MAX", "walk_alt"]

#: captions name a cgroup by its path; longer paths keep their last components
CAPTION_PATH_MAX = 56



def short_path(path: str, limit: int = CAPTION_PATH_MAX) -> str:
    """The path, shortened to about ``limit`` characters for a caption: the first
    component, ``...`` and as many of the last ones as fit; a single name that is too
    long loses its middle.

    >>> short_path("/a/" + "b" * 50 + "/c", 20)
    '/a/.../c'
    >>> short_path("/k.slice/" + "pod-" + "x" * 60 + ".slice", 30)
    '.../pod-xxxxxxx...xxxxxx.slice'
    """
    path = printable(path)
    if len(path) <= limit:
        return path
    parts = path.strip("/").split("/")
    tail: list[str] = []
    for comp in reversed(parts[1:]):
        if len(parts[0]) + 6 + len("/".join([comp, *tail])) > limit:
            break
        tail.insert(0, comp)
    if tail:
        return f"/{parts[0]}/.../{'/'.join(tail)}"
    last = parts[-1]
    if len(last) + 4 <= limit:
        return ".../" + last
    keep = limit - 7
    return ".../" + last[: keep // 2] + "..." + last[len(last) - (keep - keep // 2):]


def cgroup_name(trace: Trace, cid: int | None) -> str:
    """How captions name a cgroup: its (shortened) path, ``NULL`` for None."""
    if cid is None:
        return "NULL"
    info = trace.cgroups.get(cid)
    return short_path(info[0]) if info else f"id {cid}"


def result_text(e: Event) -> str:
    """A read()'s result as the pictures print it.

    Parameters
    ----------
    e : Event
        The read()'s RETURN event.

    Returns
    -------
    str
        ``"4096 B"``, ``"0 (end of file)"``, ``"EOPNOTSUPP"``...

    Examples
    --------
    >>> from cgiter_edu.events import Event, EventKind
    >>> result_text(Event(5, EventKind.RETURN, 0, result=-95))
    'EOPNOTSUPP'
    """
    if e.result is None:
        return "(the program raised)"
    if e.result < 0:
        return errno_symbol(-e.result)
    return f"{e.result} B" if e.result else "0 (end of file)"


def describe_step(trace: Trace, step: int) -> str:
    """One sentence saying what the event at a step did (the caption of a frame).

    Parameters
    ----------
    trace : Trace
        The walk.
    step : int
        The step, 0-based.

    Returns
    -------
    str
        The sentence.

    Examples
    --------
    >>> from cgiter_edu.events import Event, EventKind
    >>> from cgiter_edu.trace import Trace
    >>> t = Trace(events=[Event(0, EventKind.READ, 0, size=4096)])
    >>> describe_step(t, 0)
    'read() #1 asks for 4096 bytes'
    """
    e = trace.events[step]
    k = e.kind

    def name(cid: int | None) -> str:
        return cgroup_name(trace, cid)

    if k is EventKind.READ:
        left = f" ({e.count_before} B still in the buffer)" if e.count_before else ""
        return f"read() #{e.read_no + 1} asks for {e.size} bytes{left}"
    if k is EventKind.LOCK:
        return "cgroup_iter_seq_start() takes cgroup_mutex"
    if k is EventKind.START:
        if e.errno:
            return (f"start(): {errno_symbol(e.errno)}: the mutex was dropped, the walk cannot "
                    "resume")
        if e.cgroup is None:
            return "start(): the walk is over, nothing more (end of file)"
        return f"start() gives {name(e.cgroup)} (seq_num {e.seq_num})"
    if k is EventKind.NEXT:
        if e.errno:
            return (f"next(): an error pointer, {errno_symbol(e.errno)}: stop() gets NULL, "
                    "read() returns the error")
        if e.cgroup is None:
            return "next() gives NULL: every cgroup visited"
        return f"next() gives {name(e.cgroup)} (seq_num {e.seq_num})"
    if k is EventKind.SHOW:
        who = "epilogue (cgroup NULL)" if e.cgroup is None else f"show {name(e.cgroup)}"
        n = e.count_after - e.count_before
        failed = [b for b, r in e.writes if r != 0]
        s = f"{who}: the program wrote {n} B (count {e.count_before} -> {e.count_after})"
        if failed:
            s += f"; a {len(failed[0])} B write failed: -EOVERFLOW"
        if e.ret:
            s += f"; it returned {e.ret}: stop"
        return s
    if k is EventKind.SKIP:
        return (f"{name(e.cgroup)} is dead: skipped, the program not called "
                f"(seq_num {e.seq_num} used)")
    if k is EventKind.ROLLBACK:
        return f"overflow: buffer rolled back from {e.count_before} to {e.count_after} B"
    if k is EventKind.UNLOCK:
        return "cgroup_iter_seq_stop() drops cgroup_mutex"
    if k is EventKind.WAIT:
        if e.note.startswith("css_release_work_fn"):
            path = e.note.partition(" ")[2]
            return (f"the last reference to {path} is gone: its release work "
                    "(css_release_work_fn) is queued and needs cgroup_mutex")
        return f"{e.note or 'a writer'} waits for cgroup_mutex"
    if k is EventKind.ACQUIRED:
        return f"{e.note or 'the writer'} gets cgroup_mutex"
    if k is EventKind.WAKE:
        return (f"mutex_unlock() released cgroup_mutex and woke {e.note}; it still has to "
                "take it")
    if k is EventKind.HANDOFF:
        return (f"this read() took cgroup_mutex before the woken {e.note}, which sets "
                "MUTEX_FLAG_HANDOFF: the next unlock hands it over")
    if k is EventKind.RELEASE:
        return (f"the release work ({e.note.split(' ')[0]}) took the free cgroup_mutex: "
                f"{name(e.cgroup)} left its parent's list")
    if k is EventKind.COPY:
        return f"copy {len(e.data)} B to user space (buffer {e.count_before} -> {e.count_after} B)"
    if k is EventKind.RETURN:
        return f"read() #{e.read_no + 1} returns {result_text(e)}"
    if k is EventKind.END:
        try:
            return EndReason(e.reason).caption
        except ValueError:
            return f"walk ended: {e.reason}"
    return k.value  # pragma: no cover


def frame_caption(trace: Trace, step: int | None) -> str:
    """The caption under a picture of a step.

    Parameters
    ----------
    trace : Trace
        The walk.
    step : int or None
        The step, 0-based everywhere (as ``--step`` and ``update(step)`` count them);
        None: after the last step.

    Returns
    -------
    str
        ``"step 12/56: <what it did>"`` for step 12 of a trace whose last step is 56;
        for None why the walk ended and what each read() gave.

    Examples
    --------
    >>> from cgiter_edu.events import Event, EventKind
    >>> from cgiter_edu.trace import Trace
    >>> t = Trace(events=[Event(0, EventKind.READ, 0, size=4096)])
    >>> frame_caption(t, 0)
    'step 0/0: read() #1 asks for 4096 bytes'
    """
    if not trace.events:
        return ""
    if step is None:
        reason = trace.end_reason
        groups: list[list] = []
        for e in trace.reads:
            txt = result_text(e)
            if groups and groups[-1][0] == txt:
                groups[-1][1] += 1
            else:
                groups.append([txt, 1])
        res = ", ".join(f"{x} x{n}" if n > 1 else x for x, n in groups[:6])
        more = ", ..." if len(groups) > 6 else ""
        end = reason.caption if reason else "walk not over"
        return f"{end}; read() gave {res}{more}"
    step = min(step, len(trace.events) - 1)
    return f"step {step}/{len(trace.events) - 1}: {describe_step(trace, step)}"


# ---------------------------------------------------------------------------
# the seq_file buffer
# ---------------------------------------------------------------------------


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
    unshown = [v for v in ids if states.get(v) is CgroupState.UNSHOWN]
    if unshown:
        parts.append(f"next() reached {cgroup_name(t, unshown[0])}, but the walk stopped "
                     f"before showing it: the program never ran on it")
    caption = frame_caption(t, step)
    if caption:
        parts.append(caption[0].upper() + caption[1:])
    return ". ".join(p.rstrip(".") for p in parts) + "."
