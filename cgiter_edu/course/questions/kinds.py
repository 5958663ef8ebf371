"""The six kinds of exercise: each turns a seed's :class:`~cgiter_edu.course.questions.base.Rng`
into a :class:`~cgiter_edu.course.questions.base.Question`.

A maker builds a small tree, runs the walk on the emulator and reads the answer and the
explanation from what it did (the :class:`~cgiter_edu.trace.Trace`, the bytes and errnos
of its read() calls): nothing here walks a hierarchy itself.  :data:`MAKERS` maps each of
:data:`cgiter_edu.course.questions.KINDS` to its maker; :func:`cgiter_edu.course.questions.question`
is the way to call them.

Example::

    >>> from cgiter_edu.course.questions.base import Rng
    >>> q = MAKERS["capacity"](7, Rng(7, "capacity"))
    >>> q.kind, q.check(q.answer_text)
    ('capacity', True)
"""

from __future__ import annotations

import errno as _errno
from collections.abc import Callable
from typing import Any

from ... import Order, programs
from ...events import EventKind
from ...hierarchy import Hierarchy
from ...names import errno_symbol, order_prose
from ...replay import CgroupState
from ...trace import Trace
from .base import Question, Rng, Setup, _int, _ints, _results, _text

# -- building trees -----------------------------------------------------------------------
_NAMES = "abcdefghijklmnopqrstuvwxyz"


def _random_tree(rng: Rng, n: int, max_depth: int = 4) -> Hierarchy:
    """``n`` cgroups (root included) named a, b, c... in creation order; ids from 1 up."""
    h = Hierarchy()
    paths = ["/"]
    for i in range(1, n):
        cands = [p for p in paths if p.count("/") < max_depth or p == "/"]
        parent = rng.choice(cands)
        path = ("" if parent == "/" else parent) + "/" + _NAMES[(i - 1) % 26]
        h.mkdir(path)
        paths.append(path)
    return h


def _tree_text(h: Hierarchy) -> str:
    lines = []
    for c in h.cgroups():
        mark = "   (dead: removed, still referenced)" if c.dead else ""
        lines.append(f"  {c.id:>4}  {'  ' * c.level}{c.name or '/'}{mark}")
    return "\n".join(lines)


_KERNEL_FN = {
    2: "start() calls css_next_descendant_pre(NULL, start) (the start itself), next() calls "
       "css_next_descendant_pre(pos, start): a parent before its children, children in "
       "creation order",
    3: "start() calls css_next_descendant_post(NULL, start), which goes down to "
       "css_leftmost_descendant(start); next() calls css_next_descendant_post(pos, start): "
       "children before their parent, the start cgroup last",
    4: "start() returns the start cgroup, next() returns curr->parent, up to the root (whose "
       "parent is NULL)",
    1: "start() returns the start cgroup, next() returns NULL at once",
    5: "CHILDREN (Linux 7.0+): start() calls css_next_child(NULL, start), next() calls "
       "css_next_child(pos, start): the start's children only, not the start itself",
}


def _shown(t: Trace) -> list[int]:
    """Cgroups the program ran on, in order (the epilogue excluded)."""
    return [e.cgroup for e in t.of_kind(EventKind.SHOW) if e.cgroup is not None]


def _result_word(n: int | str) -> str:
    return f"{n} bytes" if isinstance(n, int) and n > 0 else (
        "0 (end of file)" if n == 0 else str(n))


_END = {
    "complete": "next() returned NULL: every cgroup was visited, the epilogue ran",
    "program": "the program returned 1: early termination, the epilogue still ran",
    "buffer_full": "the next record did not fit in the 8-page buffer (seq_write appends only "
                   "if count + len < size): it was rolled back and the walk was cut",
    "e2big": "the very first record did not fit in the empty buffer: E2BIG",
    "read_size": "the buffer already held the read() size, so the loop stopped before "
                 "showing the next cgroup; cgroup_mutex was dropped and the walk cannot resume",
    "max_iter_objects": "MAX_ITER_OBJECTS objects in one read()",
    "program_error": "the program raised",
}


def _read_story(t: Trace) -> list[str]:
    """One line per read() call, from the trace."""
    lines = []
    reads: dict[int, list] = {}
    for e in t:
        reads.setdefault(e.read_no, []).append(e)
    for no, evs in sorted(reads.items()):
        size = next((e.size for e in evs if e.kind is EventKind.READ), None)
        shows = [e for e in evs if e.kind is EventKind.SHOW and e.cgroup is not None]
        skips = [e for e in evs if e.kind is EventKind.SKIP]
        back = [e for e in evs if e.kind is EventKind.ROLLBACK]
        ret = next((e for e in evs if e.kind is EventKind.RETURN), None)
        leftover = next((e.count_before for e in evs if e.kind is EventKind.READ), 0)
        start_err = next((e.errno for e in evs if e.kind is EventKind.START and e.errno), None)
        parts = [f"read #{no + 1} of {size} bytes:"]
        if leftover:
            parts.append(f"{leftover} bytes were left in the buffer from before;")
        if start_err:
            parts.append(f"start() gives {errno_symbol(start_err)} (the walk was cut and "
                         "cannot resume);")
        if shows:
            parts.append(f"the program ran on {len(shows)} cgroup(s)"
                         + (f", skipped {len(skips)} dead" if skips else "") + ";")
        for b in back:
            parts.append(f"a record did not fit: rolled back to {b.count_after} bytes;")
        end = next((e.reason for e in evs if e.kind is EventKind.END), None)
        if end:
            parts.append(f"the walk ended: {_END.get(end, end)};")
        if any(e.kind is EventKind.SHOW and e.cgroup is None for e in evs):
            parts.append("the epilogue wrote its line;")
        if ret is not None:
            r = ret.result if ret.result is not None else 0
            parts.append("returns " + (_result_word(r) if r >= 0 else errno_symbol(-r)))
        lines.append(" ".join(parts))
    return lines


# -- the kinds ------------------------------------------------------------------------------
def _allowed(orders: tuple[int, ...] | None, among: list[int]) -> list[int]:
    """The orders of ``among`` a lesson has taught (``orders``; None: all of them).  The
    caller draws one with a single ``rng.choice``, so a lesson that has taught every
    order gets the question it would get without a lesson."""
    return among if orders is None else [o for o in among if o in orders]


def _q_order(seed: int, rng: Rng, orders: tuple[int, ...] | None = None) -> Question:
    h = _random_tree(rng, rng.between(7, 11))
    order = rng.choice(_allowed(orders, [2, 2, 3, 3, 4, 1, 5]))
    cgs = h.cgroups()
    if order == 4:
        deep = [c for c in cgs if c.level >= 2] or cgs
        start = rng.choice(deep).path
    elif order == 1:
        start = rng.choice(cgs).path
    else:
        inner = [c for c in cgs if h.children(c.path)]
        start = "/" if rng.below(3) == 0 else rng.choice(inner).path
    setup = Setup(h.to_json(), order, None if start == "/" else start,
                  programs.Record(rec_bytes=24))
    res = setup.run()
    t = res.trace
    ids = _shown(t)
    text = (f"Exercise {seed} (order).  The hierarchy (id, name):\n{_tree_text(h)}\n\n"
            f"A program is attached in {order_prose(order)} starting at {start} "
            f"(id {h.id_of(start)})"
            + (" on Linux 7.0 (the first with CHILDREN; modelled from the source)"
               if order == 5 else "")
            + " and prints one line per cgroup.  In which order is it "
            "called on the cgroups?  Give the ids, in order.")
    expl = [f"{_KERNEL_FN[order]}.",
            "The walk, as the emulator ran it: "
            + ", ".join(f"{h.path_of(i)} ({i})" for i in ids) + ".",
            "What cat prints:", res.output.decode().rstrip("\n")]
    return Question(seed, "order", text, ids, " ".join(map(str, ids)), "\n".join(expl), setup,
                    hint="Which kernel function does next() call for this order?",
                    _parse=_ints)


def _q_reads(seed: int, rng: Rng) -> Question:
    n = rng.between(12, 400)
    h = Hierarchy()
    for i in range(n):
        h.mkdir(f"/c{i}")
    page = 4096
    rec = rng.choice([24, 64, 100, 128, 256, 500, 1000, 3000])
    read_size = rng.choice([64, 1000, 4096, 4097, 8192, 32768, 131072, rec * 3, rec * 10 + 1])
    big = None
    if rng.below(8) == 0:
        big, rec = (1, 8), 24                  # the first record alone is 8 pages and more
    prog = programs.Record(rec_bytes=rec, big=big)
    setup = Setup(h.to_json(), Order.DESCENDANTS_PRE, None, prog, read_size, page)
    res = setup.run()
    results = res.results
    big_text = (" except the root's, which writes 8 pages of padding first (32768 bytes "
                "more)" if big else "")
    text = (f"Exercise {seed} (reads).  The root has {n} children ({n + 1} cgroups).  A "
            f"program writes a {prog.record_size}-byte record for every cgroup{big_text}, "
            f"and the epilogue writes 'E <seq_num>\\n'.  The walk is pre-order from the root, "
            f"PAGE_SIZE is {page} (the buffer is 8 pages), and the reader calls "
            f"read(fd, buf, {read_size}) again and again until one returns 0 or fails, as cat "
            "does.  What does each read() return?  (byte counts or errno names, e.g. "
            "'4096 4096 EOPNOTSUPP')")
    expl = _read_story(res.trace)
    return Question(seed, "reads", text, results, " ".join(map(str, results)), "\n".join(expl),
                    setup, hint="After each cgroup bpf_seq_read stops if the buffer holds "
                                "the read size; the buffer never holds more than 8 pages - 1.",
                    _parse=_results)


def _q_capacity(seed: int, rng: Rng) -> Question:
    page = rng.choice([4096, 4096, 4096, 16384, 65536])
    size = page << 3
    lo, hi = {4096: (24, 600), 16384: (100, 2000), 65536: (400, 4000)}[page]
    rec = rng.between(lo, hi)
    if rng.below(2) == 0:                          # a record size that divides the buffer
        rec = rng.choice([r for r in (32, 64, 128, 256, 512, 1024, 2048, 4096) if lo <= r <= hi])
    n_children = size // max(rec, 1) + 2           # more cgroups than can possibly fit
    h = Hierarchy()
    for i in range(n_children):
        h.mkdir(f"/c{i}")
    prog = programs.Record(rec_bytes=rec)
    setup = Setup(h.to_json(), Order.DESCENDANTS_PRE, None, prog, 2 * size, page)
    res = setup.run()
    t = res.trace
    fit = t.counts()["delivered"]
    back = t.of_kind(EventKind.ROLLBACK)
    text = (f"Exercise {seed} (capacity).  PAGE_SIZE is {page}, so the seq_file buffer is "
            f"PAGE_SIZE << 3 = {size} bytes.  A program writes a {rec}-byte record for each "
            f"cgroup, and the hierarchy has more cgroups than can fit.  The reader calls "
            f"read(fd, buf, {2 * size}), a size larger than the buffer.  How many records "
            "does the first read() deliver before the walk is cut?")
    expl = [f"The emulator's first read() returned {res.reads[0][0]} bytes: {fit} records of "
            f"{rec} bytes."]
    if back:
        expl.append(f"Record {fit + 1} did not fit: the buffer keeps what a program prints "
                    "only if count + len < size (seq_bprintf() behind bpf_seq_printf, "
                    f"seq_write() behind bpf_seq_write), and {back[0].count_after} + {rec} "
                    f"is not < {size}.  The buffer was marked overflowed and rolled back to "
                    f"{back[0].count_after} bytes, the end of record {fit}.")
    if size % rec == 0:
        expl.append(f"{size} / {rec} = {size // rec} is one too many: the last record would "
                    "end exactly at the buffer's end, and the strict < keeps the last byte "
                    "free (the comment at the top of kernel/bpf/cgroup_iter.c, '512' "
                    "for 64-byte records, makes the same mistake).")
    expl.append("The next read() gives " + str(res.results[1]) +
                ": cgroup_mutex was dropped, so the walk cannot resume.")
    return Question(seed, "capacity", text, fit, str(fit), "\n".join(expl), setup,
                    hint="The buffer keeps its last byte free.", _parse=_int)


def _q_never(seed: int, rng: Rng, orders: tuple[int, ...] | None = None) -> Question:
    h = _random_tree(rng, rng.between(10, 16))
    order = rng.choice(_allowed(orders, [2, 3]))
    if rng.below(2) == 0:                          # the 8-page buffer cuts the walk
        rec = rng.between(3000, 4000)
        read_size = 131072
    else:                                          # the read size cuts it
        rec = rng.choice([64, 100, 200, 500])
        read_size = rec * rng.between(2, 6) + rng.below(rec)
    prog = programs.Record(rec_bytes=rec)
    setup = Setup(h.to_json(), order, None, prog, read_size)
    res = setup.run()
    st = res.trace.states()
    unshown = sorted(c for c, s in st.items() if s is CgroupState.UNSHOWN)
    never = sorted(c for c, s in st.items() if s in (CgroupState.NEVER, CgroupState.UNSHOWN))
    delivered = sorted(c for c, s in st.items() if s is CgroupState.DELIVERED)
    lost = sorted(c for c, s in st.items() if s is CgroupState.LOST)
    text = (f"Exercise {seed} (never).  The hierarchy (id, name):\n{_tree_text(h)}\n\n"
            f"A program writes a {rec}-byte record for every cgroup; the walk is "
            f"{order_prose(order)} from the root with 4 KiB pages, and the reader calls "
            f"read(fd, buf, {read_size}) until one returns 0 or fails.  On which cgroups does "
            "the program never run?  Give their ids (or 'none').")
    expl = _read_story(res.trace)
    expl.append("Delivered: " + (" ".join(map(str, delivered)) or "none") + ".  Walked but "
                "its record rolled back (lost): " + (" ".join(map(str, lost)) or "none") +
                "." + (f"  Reached by next() but the walk stopped before show(): "
                       f"{' '.join(map(str, unshown))}." if unshown else "") +
                "  Never run on: " + (" ".join(map(str, never)) or "none") + ".")
    return Question(seed, "never", text, never, " ".join(map(str, never)) or "none",
                    "\n".join(expl), setup, hint="Where is the walk cut, and can it go on "
                    "in the next read()?", _parse=_ints, unordered=True)


def _q_seq_num(seed: int, rng: Rng, orders: tuple[int, ...] | None = None) -> Question:
    for _attempt in range(50):
        h = _random_tree(rng, rng.between(8, 12))
        leaves = [c.path for c in h.cgroups() if c.level and not h.children(c.path)]
        for p in rng.sample(leaves, rng.between(1, min(3, len(leaves) - 1))):
            h.kill(p)
        order = rng.choice(_allowed(orders, [2, 3]))
        setup = Setup(h.to_json(), order, None, programs.Record(rec_bytes=24))
        res = setup.run()
        t = res.trace
        seq = {e.cgroup: e.seq_num for e in t.of_kind(EventKind.SHOW) if e.cgroup is not None}
        skipped = [e.cgroup for e in t.of_kind(EventKind.SKIP)]
        visits = t.visit_order()
        # ask about a live cgroup that comes after a dead one, so the dead one counts
        after = [c for i, c in enumerate(visits) if c in seq and
                 any(d in skipped for d in visits[:i])]
        if after:
            break
    target = rng.choice(after)
    answer = seq[target]
    text = (f"Exercise {seed} (seq_num).  The hierarchy (id, name):\n{_tree_text(h)}\n\n"
            f"The program prints 'C <id> <seq_num>' for every cgroup it is called on; the "
            f"walk is {order_prose(order)} from the root.  What seq_num does the record of "
            f"cgroup {target} ({h.path_of(target)}) carry?")
    expl = ["The walk visits (id: seq_num): " + ", ".join(
        f"{c}{' (dead, skipped)' if c in skipped else ''}: "
        f"{next(e.seq_num for e in t if e.cgroup == c and e.kind in (EventKind.START, EventKind.NEXT))}"
        for c in visits) + ".",
        "A dead cgroup is still on its parent's list, so the walk reaches it and bpf_seq_read "
        "counts it (seq_num goes up), but __cgroup_iter_seq_show skips it without calling "
        "the program.",
        "What cat prints:", res.output.decode().rstrip("\n")]
    return Question(seed, "seq_num", text, answer, str(answer), "\n".join(expl), setup,
                    hint="Does a dead cgroup use up a seq_num?", _parse=_int)


_FORMATS: tuple[tuple[str, str], ...] = (
    ("%8llu|", "id"), ("%-8llu|", "id"), ("%010llu", "id"), ("%llx", "big"),
    ("%5s|", "name"), ("%-6s|", "name"), ("%u", "neg"), ("%d", "neg"),
    ("%llu", "neg"), ("%x", "big"), ("%c%c", "chars"), ("%03d|%-3d|", "two"),
    ("%llu %llu", "id"), ("100%%", "none"), ("%f", "id"), ("%lls", "name"),
    ("%+lld", "id"),
)


class _FormatProgram(programs.Program):
    """Calls ``bpf_seq_printf(seq, fmt, args...)`` once on each cgroup."""

    name = "format"

    def __init__(self, fmt: str, args: tuple) -> None:
        self.fmt = fmt
        self.args = args

    def __call__(self, ctx: Any) -> int:
        if ctx.cgroup is not None:
            ctx.meta.seq.printf(self.fmt, *self.args)
        return 0

    def __repr__(self) -> str:
        return f"_FormatProgram({self.fmt!r}, {self.args!r})"


def _q_format(seed: int, rng: Rng) -> Question:
    fmt, what = rng.choice(_FORMATS)
    h = Hierarchy()
    name = rng.choice(["web", "db", "cron", "sshd", "kubepods", "session-3.scope"])
    cid = rng.between(2, 99999)
    h.mkdir("/" + name, cgroup_id=cid)
    args: tuple = {"id": (cid,), "name": (name,), "neg": (-rng.between(1, 300),),
                   "big": (rng.between(2**31, 2**40),), "none": (),
                   "chars": (rng.between(65, 90), rng.between(97, 122)),
                   "two": (rng.between(1, 9), rng.between(10, 99))}[what]
    prog = _FormatProgram(fmt, args)
    setup = Setup(h.to_json(), Order.SELF_ONLY, "/" + name, prog)
    res = setup.run()
    show = [e for e in res.trace.of_kind(EventKind.SHOW) if e.cgroup is not None][0]
    (data, ret), = show.writes
    out = res.output.decode()
    if ret < 0:
        answer_text = errno_symbol(-ret)
        expl = (f"bpf_seq_printf returned -{errno_symbol(-ret)} and printed nothing: "
                + ("bpf_bprintf_prepare does not accept this conversion or length"
                   if ret == -_errno.EINVAL else "the format was refused") + ".")
    else:
        answer_text = out
        expl = (f"The emulator printed {len(data)} bytes: {out!r}.  " + _FORMAT_WHY.get(fmt, ""))
    argtext = ", ".join(repr(a) for a in args)
    text = (f"Exercise {seed} (format).  A program calls\n"
            f"    bpf_seq_printf(seq, \"{fmt}\"{', ' if args else ''}{argtext})\n"
            "once.  What does it print?  (type the text exactly, without quotes; if the helper "
            "refuses the format, type the errno it returns, e.g. EINVAL)")
    return Question(seed, "format", text, answer_text, answer_text, expl, setup,
                    hint="Integers are 64-bit registers: %d/%u/%x take the low 32 bits, "
                         "%lld/%llu/%llx all 64.", _parse=_text)


_FORMAT_WHY = {
    "%8llu|": "Width 8, right-aligned with spaces.",
    "%-8llu|": "Width 8, left-aligned (the - flag).",
    "%010llu": "Width 10, padded with zeros (the 0 flag): the Record program's format.",
    "%llx": "All 64 bits in hex.",
    "%x": "%x takes only the low 32 bits of the 64-bit register.",
    "%u": "A negative number in a 64-bit register: %u takes the low 32 bits, unsigned.",
    "%d": "%d takes the low 32 bits, signed: the number comes back.",
    "%llu": "All 64 bits, unsigned: 2^64 minus the number.",
    "%5s|": "Width 5, right-aligned; a longer string is not cut.",
    "%-6s|": "Width 6, left-aligned.",
    "%c%c": "Two characters from their codes.",
    "%03d|%-3d|": "Zero-padded, then left-aligned.",
    "100%%": "%% prints one %.",
    "%+lld": "The + flag prints the sign.",
}


def _q_ring(seed: int, rng: Rng) -> Question:
    """Lesson 9: how many records an open-coded walk loses to a full ring buffer."""
    from ...opencoded import (
        BPF_CGROUP_ITER_DESCENDANTS_PRE,
        RingBuffer,
        bpf_cgroup_from_id,
        bpf_cgroup_release,
        bpf_for_each,
        bpf_rcu_read_lock,
        bpf_rcu_read_unlock,
        bpf_ringbuf_output,
        prog_test_run,
    )

    size = rng.choice([4096, 4096, 8192, 16384])
    rec = rng.choice([8, 12, 16, 20, 24, 32, 40, 56, 64])
    per = (rec + 8 + 7) // 8 * 8
    fit = (size - 1) // per
    n = fit + rng.between(1, fit // 3 + 2)
    h = Hierarchy()
    for i in range(1, n):
        h.mkdir(f"/c{i}")
    rb = RingBuffer(size)

    def walk(ctx: Any) -> int:
        cg = bpf_cgroup_from_id(1)
        bpf_rcu_read_lock()
        for pos in bpf_for_each("css", cg.self, BPF_CGROUP_ITER_DESCENDANTS_PRE):
            bpf_ringbuf_output(rb, pos.cgroup.id.to_bytes(8, "little").ljust(rec, b"\0")[:rec])
        bpf_rcu_read_unlock()
        bpf_cgroup_release(cg)
        return 0

    r = prog_test_run(h, walk, ringbufs=(rb,))
    got = rb.consume()
    drops = r.trace.dropped() if r.trace is not None else []
    text = (f"Exercise {seed} (ring).  A SEC(\"syscall\") program walks all {n} cgroups of a "
            f"flat hierarchy (the root and {n - 1} children) with bpf_for_each(css, ...) and "
            f"calls bpf_ringbuf_output(&rb, &rec, {rec}, 0) for each.  The ring buffer has "
            f"max_entries = {size} bytes, and user space reads it only after the program "
            "has returned.  How many records are dropped?")
    expl = [f"Each record takes round_up({rec} + 8, 8) = {per} bytes (an 8-byte header, "
            f"then the data, rounded up to 8).",
            f"__bpf_ringbuf_reserve() refuses a record when new_prod_pos - cons_pos > mask "
            f"({size - 1}): at most {size - 1} bytes are in use, so ({size} - 1) // {per} = "
            f"{fit} records fit -- the same strict bound as the seq_file buffer's "
            "count + len < size.",
            f"The emulator delivered {len(got)} records; bpf_ringbuf_output() returned "
            f"-EAGAIN for the other {len(drops)} (the cgroups from id {drops[0]} on), and "
            "the program went on walking: nothing stops it, the records are simply lost."
            if drops else "Nothing was dropped."]
    setup = Setup(h.to_json(), Order.DESCENDANTS_PRE, None, programs.Record(rec_bytes=64))
    return Question(seed, "ring", text, len(drops), str(len(drops)), "\n".join(expl), setup,
                    hint="How many bytes does one record take in the ring, header "
                         "included?  And the last byte?", _parse=_int)


#: the kinds whose maker takes ``orders=`` (the orders a lesson has taught)
ORDERED = ("order", "never", "seq_num")

MAKERS: dict[str, Callable[..., Question]] = {
    "order": _q_order, "reads": _q_reads, "capacity": _q_capacity, "never": _q_never,
    "seq_num": _q_seq_num, "format": _q_format, "ring": _q_ring,
}
