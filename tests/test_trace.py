"""trace.py: events, states, counts, JSON; no trace, no cost."""

from cgiter_edu import (
    CgroupState,
    EventKind,
    Hierarchy,
    Order,
    Trace,
    attach,
    programs,
    run,
    shapes,
)


def test_untraced_files_record_nothing():
    h = Hierarchy()
    with attach(h, programs.id_printer, Order.DESCENDANTS_PRE) as link, link.create() as f:
        f.read(4096)
        assert f.trace is None and f.seq.tracer is None and f.seq.writes is None


def test_events_of_a_small_walk():
    h = Hierarchy()
    h.mkdir("/a")
    r = run(h, programs.id_printer, Order.DESCENDANTS_PRE, trace=True, read_size=4096)
    kinds = [e.kind.value for e in r.trace]
    assert kinds[:6] == ["read", "lock", "start", "show", "next", "show"]
    assert kinds[6:12] == ["next", "unlock", "end", "show", "copy", "return"]
    show_a = r.trace.of_kind(EventKind.SHOW)[1]
    assert (show_a.cgroup, show_a.seq_num, show_a.written) == (2, 1, b"       2\n")
    assert (show_a.count_before, show_a.count_after, show_a.mutex_held) == (18, 27, True)
    epi = r.trace.of_kind(EventKind.SHOW)[2]
    assert epi.cgroup is None and epi.mutex_held is False and epi.written == b"epilogue\n"
    assert r.trace.reads[0].result == 36 and r.trace.reads[1].result == 0


def _wide(dead: str) -> Hierarchy:
    """/p with 600 children (more records than one buffer holds), ``dead`` killed."""
    h = Hierarchy()
    h.mkdir("/p")
    for i in range(600):
        h.mkdir(f"/p/c{i}")
    h.kill(dead)
    return h


def test_states_at_steps_and_counts():
    h = _wide("/p/c0")
    r = run(h, programs.Record(rec_bytes=64), Order.DESCENDANTS_PRE, "/p", trace=True,
            read_size=32768)
    t = r.trace
    first_show = t.of_kind(EventKind.SHOW)[0].step
    st = t.states(first_show)
    assert st[2] is CgroupState.CURRENT and st[h.id_of("/p/c1")] is CgroupState.UNREACHED
    st = t.states(first_show + 1)              # the next step: next() reached the dead c0
    assert st[3] is CgroupState.CURRENT and st[2] is CgroupState.BUFFERED
    final = t.states()
    assert final[3] is CgroupState.DEAD
    assert final[h.id_of("/p/c509")] is CgroupState.DELIVERED
    assert final[h.id_of("/p/c511")] is CgroupState.LOST          # the one that did not fit
    assert final[h.id_of("/p/c512")] is CgroupState.NEVER
    assert t.counts() == {"walked": 513, "dead": 1, "delivered": 511, "lost": 1,
                          "unshown": 0, "never": 89, "buffered": 0}   # the root, outside the walk, too
    assert t.end_reason.value == "buffer_full"


def test_stopped_state_and_json_round_trip():
    h = Hierarchy()
    h.mkdir("/a")
    h.mkdir("/b")
    r = run(h, programs.Record(rec_bytes=24, stop_id=2), Order.DESCENDANTS_PRE, trace=True)
    assert r.trace.states()[2] is CgroupState.STOPPED
    assert r.trace.end_reason.value == "program"
    t2 = Trace.from_json(r.trace.to_json())
    assert t2.events == r.trace.events and t2.cgroups == r.trace.cgroups


def test_a_failed_read_delivers_nothing():
    from cgiter_edu import KernelConfig

    h = Hierarchy()
    for i in range(10):
        h.mkdir(f"/c{i}")
    r = run(h, programs.silent, Order.DESCENDANTS_PRE, trace=True,
            kernel=KernelConfig(max_iter_objects=5))
    assert r.results[0] == "EAGAIN"
    c = r.trace.counts()
    assert (c["delivered"], c["lost"], c["walked"]) == (0, 5, 6)
    assert r.trace.end_reason.value == "max_iter_objects"


def _source_line(ev):
    """The source text of the line an event points at."""
    import importlib
    import inspect

    module, qualname = ev.func.split(":")
    obj = importlib.import_module(module)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    lines, first = inspect.getsourcelines(obj)
    assert first <= ev.line < first + len(lines), (ev, first, len(lines))
    return lines[ev.line - first].strip()


def test_events_say_where_in_the_kernel_code_they_happened():
    h = Hierarchy()
    h.mkdir("/a")
    r = run(h, programs.id_printer, Order.DESCENDANTS_PRE, trace=True, read_size=4096)
    shows = r.trace.of_kind(EventKind.SHOW)
    assert len(shows) == 3
    for ev in shows:          # the function that runs the program, at the line that runs it
        assert ev.func == "cgiter_edu.kernel.cgroup_iter:__cgroup_iter_seq_show"
        assert _source_line(ev) == "ret = bpf_iter_run_prog(prog, ctx)"
    lock = r.trace.of_kind(EventKind.LOCK)[0]
    assert lock.func == "cgiter_edu.kernel.cgroup_iter:cgroup_iter_seq_start"
    unlock = r.trace.of_kind(EventKind.UNLOCK)[0]
    assert unlock.func == "cgiter_edu.kernel.cgroup_iter:cgroup_iter_seq_stop"
    nxt = r.trace.of_kind(EventKind.NEXT)[0]
    assert nxt.func == "cgiter_edu.kernel.bpf_iter:bpf_seq_read"
    end = r.trace.of_kind(EventKind.END)[0]
    assert end.func == "cgiter_edu.kernel.cgroup_iter:cgroup_iter_seq_stop"
    for ev in r.trace:        # every event has a place, and that place is real source
        assert ev.func.startswith("cgiter_edu.kernel.") and _source_line(ev)
    back = Trace.from_json(r.trace.to_json())
    assert [(e.func, e.line) for e in back] == [(e.func, e.line) for e in r.trace]


def _walks():
    """Traces that between them take every branch the tracer is told about."""
    from cgiter_edu import KernelConfig

    h = _wide("/p/c3")
    yield run(h, programs.Record(rec_bytes=64), Order.DESCENDANTS_PRE, trace=True,
              read_size=32768).trace                                   # buffer full, dead
    yield run(h, programs.Record(rec_bytes=64), Order.DESCENDANTS_POST, trace=True,
              read_size=100).trace                                     # read size, leftovers
    yield run(h, programs.Record(rec_bytes=64, big=(2, 8)), Order.DESCENDANTS_PRE,
              "/p", trace=True, read_size=4096).trace                  # E2BIG
    yield run(h, programs.Record(rec_bytes=64, stop_id=5), Order.DESCENDANTS_PRE,
              trace=True).trace                                        # the program stops
    yield run(h, programs.silent, Order.DESCENDANTS_PRE, trace=True,
              kernel=KernelConfig(max_iter_objects=10)).trace          # EAGAIN
    small = Hierarchy()
    small.mkdir("/a")
    yield run(small, programs.id_printer, Order.ANCESTORS_UP, "/a", trace=True,
              read_size=9).trace                                       # epilogue retried


def test_every_event_points_at_a_kernel_statement_not_at_a_hook():
    kinds = set()
    for t in _walks():
        for ev in t:
            kinds.add(ev.kind)
            text = _source_line(ev)
            assert not text.startswith(("tr and", "seq.tracer and", "tr.")), (ev, text)
    # the mutex steps need another thread (tests/test_mutex.py checks where they point)
    assert kinds >= set(EventKind) - {EventKind.WAIT, EventKind.ACQUIRED, EventKind.WAKE,
                                      EventKind.HANDOFF, EventKind.RELEASE}


def test_a_walk_stopped_by_the_program_never_reaches_the_rest():
    """Early termination ends the walk: the cgroups after the stop are NEVER, as after a
    cut, not 'not reached (yet)'."""
    h = Hierarchy()
    for p in ("/a", "/a/x", "/b", "/c"):
        h.mkdir(p)
    r = run(h, programs.Record(rec_bytes=24, stop_id=h.id_of("/a")), Order.DESCENDANTS_PRE,
            trace=True)
    st = r.trace.states()
    assert st[h.id_of("/a")] is CgroupState.STOPPED
    assert [st[h.id_of(p)] for p in ("/a/x", "/b", "/c")] == [CgroupState.NEVER] * 3
    assert r.trace.counts() == {"walked": 2, "dead": 0, "delivered": 2, "lost": 0,
                                "unshown": 0, "never": 3, "buffered": 0}


def test_the_cgroup_next_returned_before_the_read_size_stop_was_reached_not_never():
    """Lesson 04's walk: read(fd, buf, 300), 64-byte records.  After 5 records the buffer
    holds 320 >= 300 bytes; bpf_seq_read calls next(), which returns cgroup 6 (its seq_num
    5 used up), then breaks out before show(): the program never runs on 6, but the walk
    did reach it.  It is UNSHOWN from the END event on, never NEVER; the cgroups after it
    are NEVER."""
    h = shapes.systemd_host()
    r = run(h, programs.Record(rec_bytes=64), Order.DESCENDANTS_PRE, read_size=300,
            trace=True)
    t = r.trace
    assert r.results == [300, 20, "EOPNOTSUPP"]
    nxt = t.of_kind(EventKind.NEXT)[-1]
    end = t.of_kind(EventKind.END)[0]
    assert (nxt.cgroup, nxt.seq_num, nxt.count_after) == (6, 5, 320)
    assert (end.step, end.reason, end.cgroup) == (nxt.step + 1, "read_size", 6)
    assert [e.cgroup for e in t.of_kind(EventKind.SHOW)] == [1, 2, 3, 4, 5]   # not 6
    assert t.states(nxt.step)[6] is CgroupState.CURRENT
    for step in (end.step, end.step + 1, None):
        st = t.states(step)
        assert st[6] is CgroupState.UNSHOWN, step
        assert st[7] is CgroupState.NEVER and st[22] is CgroupState.NEVER
    assert t.states()[5] is CgroupState.DELIVERED
    assert t.counts() == {"walked": 6, "dead": 0, "delivered": 5, "lost": 0, "unshown": 1,
                          "never": 16, "buffered": 0}
    assert CgroupState.UNSHOWN in t.states_seen()


def test_states_seen_is_every_state_some_step_shows():
    """states_seen() (one pass) equals the union of states() over every step and None,
    on walks that between them show all eight states (stopped, lost, never, dead...)."""
    from cgiter_edu import shapes

    every: set[CgroupState] = set()
    for seed in range(3):
        h = shapes.random(30, seed=seed, dead=0.15)
        ids = [c.id for c in h.cgroups()]
        for order in (Order.SELF_ONLY, Order.DESCENDANTS_PRE, Order.DESCENDANTS_POST,
                      Order.ANCESTORS_UP):
            for prog in (programs.Record(rec_bytes=300, stop_id=ids[len(ids) // 2]),
                         programs.Record(rec_bytes=100, skip_id=ids[3], big=(ids[5], 5000))):
                for read_size in (131072, 50, [4096, 1, 100000]):
                    t = run(h, prog, order, read_size=read_size, trace=True).trace
                    union: set[CgroupState] = set()
                    for step in [*range(len(t)), None]:
                        union.update(t.states(step).values())
                    assert t.states_seen() == [s for s in CgroupState if s in union]
                    every |= union
    assert every == set(CgroupState)


def test_a_show_run_by_bpf_iter_run_prog_itself_is_placed_at_its_caller():
    """Where bpf_iter_run_prog is called, not inlined (the walk's show has it inlined),
    its SHOW is placed at the line that called it, as in the walk."""
    import sys

    from cgiter_edu.kernel.bpf_iter import BpfIterMeta, BpfProg, bpf_iter_run_prog
    from cgiter_edu.kernel.bpf_trace import BpfSeqFile
    from cgiter_edu.kernel.cgroup_iter import BpfIterCgroupCtx
    from cgiter_edu.recorder import Recorder

    seq = BpfSeqFile(size=4096)
    seq.tracer = Recorder(Trace())
    ctx = BpfIterCgroupCtx(BpfIterMeta(seq))
    line = sys._getframe().f_lineno + 1
    assert bpf_iter_run_prog(BpfProg(lambda c: c.meta.seq.printf("x")), ctx) == 0
    (show,) = seq.tracer.trace.events
    assert show.kind is EventKind.SHOW and show.writes == ((b"x", 0),)
    assert (show.func, show.line) == (f"{__name__}:{sys._getframe().f_code.co_name}", line)


def test_events_read_during_a_walk_are_those_read_after_it():
    """The recorder appends compact records for NEXT and SHOW; ``trace.events`` makes
    their Events when read.  Read by the program at every cgroup (the walk goes on, the
    records made so far already Events) they are the events of a trace read only at the
    end, field for field, and every one is an Event with its index as ``step``."""
    from cgiter_edu.events import Event

    h = shapes.random(40, seed=2, dead=0.2)
    record = programs.Record(rec_bytes=700)

    def walk(read_during: bool) -> tuple[list[int], list[Event]]:
        seen: list[int] = []

        def prog(ctx):
            if read_during:
                seen.append(len(ctx.meta.seq.tracer.trace.events))
            return record(ctx)

        res = run(h, prog, Order.DESCENDANTS_POST, trace=True, read_size=[131072, 9000])
        return seen, list(res.trace.events)

    seen, during = walk(True)
    _, after = walk(False)
    assert len(seen) > 30 and seen == sorted(set(seen))    # each cgroup added steps
    assert during == after and [e.step for e in after] == list(range(len(after)))
    assert {type(e) for e in after} == {Event}
    kinds = {e.kind for e in after}
    assert {EventKind.NEXT, EventKind.SHOW, EventKind.SKIP, EventKind.COPY} <= kinds
    assert len(after[-1].data) == 0 and after[-1].kind is EventKind.RETURN


def test_trace_events_set_replace_what_was_recorded():
    from cgiter_edu.events import Event

    t = run(shapes.balanced(1, 2), programs.id_printer, trace=True).trace
    e = Event(0, EventKind.READ, 0, size=1)
    t.events = [e]
    assert t.events == [e] and len(t) == 1 and t[0] is e
    assert Trace(events=(e,)) == Trace(events=[e]) != Trace()


def test_a_closed_traced_file_leaves_its_trace_to_reference_counting():
    """The seq_file is in a cycle with its iter_priv (meta -> seq); closing the file
    lets go of the recorder, so a traced walk leaves no more cyclic garbage than an
    untraced one (the trace's records go with the last reference to the trace)."""
    import gc

    h = shapes.balanced(2, 5)

    def walk(trace: bool) -> None:
        with attach(h, programs.id_printer, Order.DESCENDANTS_PRE) as link, \
                link.create(trace=trace) as f:
            f.readall()

    def garbage(trace: bool) -> int:
        walk(trace)
        return gc.collect()

    enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        assert garbage(True) == garbage(False) < 20
    finally:
        if enabled:
            gc.enable()


def test_each_trace_has_the_tree_its_walk_saw_as_the_tree_changes():
    """The recorder follows a tree once per change (the cgroup_root's generation), not
    once per traced walk: a walk after a mkdir, a kill (dead, still listed), a release
    (gone from the list) or an rmdir has the tree as it is then, and the earlier
    traces keep theirs."""
    h = Hierarchy()
    h.mkdir("/a")
    h.mkdir("/b")

    def tree() -> dict:
        return run(h, programs.id_printer, Order.DESCENDANTS_PRE, trace=True).trace.cgroups

    first = tree()
    assert tree() == first == {1: ("/", None, False), 2: ("/a", 1, False),
                               3: ("/b", 1, False)}
    h.mkdir("/a/x")
    made = tree()
    assert made == {1: ("/", None, False), 2: ("/a", 1, False), 4: ("/a/x", 2, False),
                    3: ("/b", 1, False)}
    assert list(made) == [1, 2, 4, 3]                  # parents first, pre-order
    h.kill("/a/x")                                     # dead, still referenced
    assert tree()[4] == ("/a/x", 2, True)
    h.release(4)                                       # the last reference: released
    assert 4 not in tree()
    h.rmdir("/b")
    assert tree() == {1: ("/", None, False), 2: ("/a", 1, False)}
    assert first == {1: ("/", None, False), 2: ("/a", 1, False), 3: ("/b", 1, False)}
