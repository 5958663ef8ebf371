"""The words of the explorer: a caption for every step, why a walk was cut, and the
:class:`Frame` (what the explorer shows at one step, words and picture).

Everything here reads a :class:`~cgiter_edu.trace.Trace`; the facts (which record was
rolled back, how many bytes, what the next read() returned) are the trace's, the
sentences are ours.  :func:`caption` is :func:`cgiter_edu.viz.describe_step` plus, from the
step where the walk is cut on, why -- so a class cannot miss the truncation.

Example::

    >>> from cgiter_edu.widgets.model import Settings, walk
    >>> t = walk(Settings(tree="small", record_bytes=3000)).trace
    >>> s = cut_step(t)
    >>> t[s - 1].kind.value, t[s].kind.value
    ('rollback', 'end')
    >>> "EOPNOTSUPP" in caption(t, s).why
    True
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cgiter_edu.events import EndReason, Event, EventKind
from cgiter_edu.names import errno_symbol
from cgiter_edu.trace import Trace

__all__ = ["Caption", "Frame", "caption", "cut_step", "end_step", "next_read_step", "final_step",
           "result_text", "mutex_line"]

#: end reasons that cut a walk short (the rest end it normally)
CUT = (EndReason.BUFFER_FULL.value, EndReason.E2BIG.value, EndReason.READ_SIZE.value,
       EndReason.MAX_ITER_OBJECTS.value, EndReason.PROGRAM_ERROR.value)


@dataclass
class Frame:
    """What the explorer shows at one step (read back by tests and the course).

    Parameters
    ----------
    step : int
        The step shown.
    caption, why : str
        The caption under the picture and the story beside it.
    level : str
        ``"info"``, ``"cut"``, ``"end"``, ``"error"``...: how the story is coloured.
    error : str
        An error in words (a walk that could not run).
    notes : list of str
        Facts worth saying that are not errors.
    states : dict
        Cgroup id -> state value (the tree's colours).
    buffer : dict
        Bytes in the buffer (``count``), ``copied`` out, ``ghost`` (the rolled-back
        record's ``(a, b)``), ``records``, ``size``.
    reads : list of str
        The read() results so far.
    source : (str, int)
        ``(func, line)`` lit in the source panel.
    png : bytes
        The picture.
    mutex : str
        Who holds cgroup_mutex and who waits ('' for a walk with no other thread).

    Examples
    --------
    >>> from cgiter_edu.widgets import Explorer
    >>> f = Explorer(tree="small", record_bytes=64, step="end").frame
    >>> f.level, f.reads, f.png[:4]
    ('end', ['837 B', '0 (end of file)'], b'\x89PNG')
    """

    step: int
    caption: str = ""
    why: str = ""
    level: str = "info"
    error: str = ""
    notes: list[str] = field(default_factory=list)
    states: dict[int, str] = field(default_factory=dict)
    buffer: dict[str, Any] = field(default_factory=dict)
    reads: list[str] = field(default_factory=list)
    source: tuple[str | None, int | None] = (None, None)
    png: bytes = b""
    #: who holds cgroup_mutex and who waits ('' for a walk with no other thread)
    mutex: str = ""


@dataclass
class Caption:
    """``text``: what this step did; ``why``: from the cut on, why the walk ends there
    and what the next read() gives ('' before); ``level``: ``"info"``, ``"cut"`` (the
    walk was cut: show it loudly) or ``"end"`` (it ended normally)."""

    text: str
    why: str = ""
    level: str = "info"


def result_text(result: int | None) -> str:
    """``"4096 B"``, ``"0 (end of file)"``, ``"EOPNOTSUPP"``."""
    if result is None:
        return "(the program raised)"
    if result < 0:
        return errno_symbol(-result)
    return f"{result} B" if result else "0 (end of file)"


def end_event(trace: Trace) -> Event | None:
    """The END event of the trace (None: the walk did not end)."""
    for e in trace.events:
        if e.kind is EventKind.END:
            return e
    return None


def cut_step(trace: Trace) -> int | None:
    """The step where the walk is cut (its END event, right after the rollback of the
    record that did not fit, when that is why): from there on the tree shows the lost
    record's cgroup and every cgroup never reached.  None for a walk that ended
    normally (complete, or the program returned 1)."""
    end = end_event(trace)
    if end is None or end.reason not in CUT:
        return None
    return end.step


def end_step(trace: Trace) -> int | None:
    """The step of the END event."""
    end = end_event(trace)
    return None if end is None else end.step


def final_step(trace: Trace) -> int:
    """The last step."""
    return max(0, len(trace.events) - 1)


def next_read_step(trace: Trace, step: int) -> int:
    """The step of the next read() call after ``step`` (its READ event), or the last step."""
    for e in trace.events[step + 1:]:
        if e.kind is EventKind.READ:
            return e.step
    return final_step(trace)


def _name(trace: Trace, cid: int | None) -> str:
    if cid is None:
        return "the epilogue"
    info = trace.cgroups.get(cid)
    return info[0] if info else f"cgroup {cid}"


def _later_results(trace: Trace, after: int) -> list[str]:
    return [result_text(e.result) for e in trace.events[after + 1:]
            if e.kind is EventKind.RETURN]


def _never(trace: Trace) -> int:
    """Cgroups the walk will never reach (not those a writer makes after it)."""
    later = trace.made_during()
    return sum(1 for cid, s in trace.states(None).items()
               if s.value == "never" and cid not in later)


def mutex_line(trace: Trace, step: int) -> str:
    """Who holds ``cgroup_mutex`` at ``step`` and who waits for it ('' for a walk with
    no other thread): the story of the writer lane, step by step.

    >>> from cgiter_edu.widgets.model import Settings, walk
    >>> t = walk(Settings(tree="small", writer="/new")).trace
    >>> mutex_line(t, 1)
    'cgroup_mutex: held by read() #1 (the walk)'
    """
    if not any(e.kind is EventKind.WAIT for e in trace.events):
        return ""
    holder, waiting, woken, reads = "", [], "", 0
    for e in trace.events[: step + 1]:
        k = e.kind
        if k is EventKind.READ:
            reads += 1
        elif k is EventKind.LOCK:
            holder = f"read() #{reads} (the walk)"
        elif k is EventKind.WAIT:
            who = e.note or "another thread"
            if who.startswith("cgroup_iter_seq_start"):
                who = f"read() #{reads}"
            waiting.append(who)
        elif k is EventKind.UNLOCK:
            holder = ""
        elif k is EventKind.WAKE:
            woken = e.note or ""
        elif k is EventKind.ACQUIRED:
            who = e.note or "the writer"
            holder = (f"the writer ({who}) until its mkdir is done" if who.startswith("mkdir")
                      else who)
            waiting = [w for w in waiting if w != e.note]
            woken = ""
    parts = [f"held by {holder}" if holder else "free"]
    if woken and woken in waiting:
        parts.append(f"the writer ({woken}) woken, about to take it" if woken.startswith(
            "mkdir") else f"{woken} woken, about to take it")
    rest = [w for w in waiting if w != woken]
    if rest:
        parts.append("waiting: " + ", ".join(f"the writer ({w})" if w.startswith("mkdir") else w
                                             for w in rest))
    return "cgroup_mutex: " + "; ".join(parts)


def why(trace: Trace) -> str:
    """Why the walk ended where it did, with what each read() after it gave."""
    end = end_event(trace)
    if end is None:
        return ""
    r = end.reason
    this_read = next((e for e in trace.events[end.step:] if e.kind is EventKind.RETURN), None)
    later = _later_results(trace, this_read.step if this_read else end.step)
    nxt = later[0] if later else "nothing (no more read() calls)"
    never = _never(trace)
    never_s = f" {never} cgroup{'s' if never != 1 else ''} will never be reached (marked)." \
        if never else ""
    size = trace.buffer_size
    pages = size // trace.page_size if trace.page_size else 8
    if r in (EndReason.BUFFER_FULL.value, EndReason.E2BIG.value):
        rb = next((e for e in reversed(trace.events[: end.step]) if e.kind is EventKind.ROLLBACK),
                  None)
        show = next((e for e in reversed(trace.events[: end.step])
                     if e.kind is EventKind.SHOW and rb is not None and e.cgroup == rb.cgroup),
                    None)
        tried = sum(len(b) for b, _ in show.writes) if show is not None else 0
        at = rb.count_after if rb is not None else 0
        lost = _name(trace, rb.cgroup if rb else None)
        fit = (f"seq_write() and seq_bprintf() append only while count + len < size: "
               f"{at} + {tried} >= {size} ({pages} pages)")
        if r == EndReason.E2BIG.value:
            return (f"The very first record ({lost}, {tried} B) does not fit in the buffer: "
                    f"{fit}. Nothing can be returned, so read() gives E2BIG; the walk is over "
                    f"and the next read() gives {nxt}.{never_s}")
        return (f"TRUNCATED: the record of {lost} ({tried} B) did not fit -- {fit}. It was "
                f"rolled back to {at} B and is lost; the walk stops here.{never_s} The "
                f"{at} B already written are returned, then cgroup_iter_seq_stop() drops "
                f"cgroup_mutex: cgroup_iter_seq_start() cannot resume a walk in a later "
                f"read() (the tree may have changed), so the next read() gives {nxt}.")
    if r == EndReason.READ_SIZE.value:
        nx = next((e for e in reversed(trace.events[: end.step]) if e.kind is EventKind.NEXT),
                  None)
        rd = next((e for e in reversed(trace.events[: end.step]) if e.kind is EventKind.READ),
                  None)
        asked = rd.size if rd is not None else "?"
        return (f"READ SIZE: next() returned {_name(trace, nx.cgroup if nx else None)}, but "
                f"the buffer holds {end.count_before} B >= the {asked} B this read() asked "
                f"for, so bpf_seq_read() stops before showing it (reached, the program never "
                f"runs on it).{never_s} The mutex is dropped; "
                f"the walk cannot resume, so after the buffered bytes the next read() gives "
                f"{nxt}.")
    if r == EndReason.MAX_ITER_OBJECTS.value:
        got = this_read.result if this_read is not None else None
        if got is not None and got > 0:
            return (f"MAX_ITER_OBJECTS: this read() visited as many objects as the kernel "
                    f"allows in one read(), so bpf_seq_read() stops there. It had written "
                    f"{got} B, so this read() returns them (it gives EAGAIN only when nothing "
                    f"was written).{never_s} cgroup_mutex is dropped and the walk cannot "
                    f"resume: the next read() gives {nxt}.")
        return (f"EAGAIN: this read() visited as many objects as the kernel allows in one "
                f"read() (MAX_ITER_OBJECTS) with nothing written, so it gives EAGAIN."
                f"{never_s} The walk cannot resume: the next read() gives {nxt}.")
    if r == EndReason.PROGRAM_ERROR.value:
        return (f"The Python program raised (no kernel outcome: the verifier proves BPF "
                f"programs cannot); the emulator dropped cgroup_mutex and the session behaves "
                f"like an unfinished walk: the next read() gives {nxt}.{never_s}")
    if r == EndReason.PROGRAM.value:
        st = next((e for e in reversed(trace.events[: end.step])
                   if e.kind is EventKind.SHOW and e.ret), None)
        return (f"EARLY TERMINATION: the program returned {st.ret if st else 1} at "
                f"{_name(trace, st.cgroup if st else None)}, so cgroup_iter_seq_next() gave "
                f"NULL: the walk ends normally (the epilogue runs) and later read() calls "
                f"give {nxt}.")
    return f"The walk is complete: next() returned NULL; later read() calls give {nxt}."


def caption(trace: Trace, step: int) -> Caption:
    """The caption of ``step``: :func:`cgiter_edu.viz.describe_step` of it, and from the
    step where the walk is cut (or ends) on, :func:`why`."""
    from cgiter_edu.viz import describe_step

    if not trace.events:
        return Caption("the trace is empty")
    step = max(0, min(step, len(trace.events) - 1))
    text = f"step {step}/{len(trace.events) - 1}: {describe_step(trace, step)}"
    cut = cut_step(trace)
    end = end_step(trace)
    if cut is not None and step >= cut:
        return Caption(text, why(trace), "cut")
    if cut is None and end is not None and step >= end:
        return Caption(text, why(trace), "end")
    return Caption(text)
