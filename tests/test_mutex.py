"""cgroup_mutex: taken only where the kernel takes it, handed to a waiter at the unlock."""

import threading

from cgiter_edu import EventKind, Hierarchy, Order, attach, programs


def _slow_read(h, body, patience=5.0):
    """Read with a program that, on the first cgroup, runs ``body()`` in another thread
    (while this read() holds cgroup_mutex) and waits ``patience`` seconds for it.
    Returns (the trace, whether body finished while the walk still held the mutex)."""
    done = threading.Event()
    finished_inside = []
    threads = []

    def prog(ctx):
        if ctx.cgroup is not None and ctx.meta.seq_num == 0:
            threads.append(threading.Thread(target=lambda: (body(), done.set()), daemon=True))
            threads[0].start()
            finished_inside.append(done.wait(patience))
        return 0

    with attach(h, prog, Order.DESCENDANTS_PRE) as link, link.create(trace=True) as f:
        f.readall()
    threads[0].join(5)
    return f.trace, finished_inside[0]


def test_attach_open_close_create_do_not_take_cgroup_mutex():
    h = Hierarchy()
    h.mkdir("/a")
    h.mkdir("/b")

    def body():
        fd = h.open("/a")
        link = attach(h, programs.silent, Order.SELF_ONLY, cgroup_fd=fd)
        fd.close()
        link2 = attach(h, programs.silent, Order.DESCENDANTS_PRE, cgroup_id=3)
        link3 = attach(h, programs.silent, Order.ANCESTORS_UP)
        link2.create().close()
        for x in (link, link2, link3):
            x.close()

    trace, inside = _slow_read(h, body)
    assert inside, "attach/open/close/create blocked on cgroup_mutex"
    assert not trace.of_kind(EventKind.WAIT, EventKind.ACQUIRED)


def test_a_release_during_a_read_waits_for_the_mutex_without_blocking_the_closer():
    """The last reference dropped while the walk holds cgroup_mutex: the closer returns
    at once; the release work (css_release_work_fn, under cgroup_mutex) runs when the
    walk drops the mutex, so this walk still sees the dead cgroup listed."""
    h = Hierarchy()
    h.mkdir("/a")
    h.mkdir("/b")
    h.kill("/b")
    trace, inside = _slow_read(h, lambda: h.release(3))
    assert inside and 3 not in h
    assert 3 in trace.visit_order() and not trace.of_kind(EventKind.WAIT)


def test_a_mkdir_waits_and_is_handed_the_mutex_at_the_unlock():
    h = Hierarchy()
    h.mkdir("/a")
    trace, inside = _slow_read(h, lambda: h.mkdir("/new"), patience=0.3)
    assert not inside                                   # it had to wait for the walk
    kinds = [e.kind for e in trace]
    w, u, a = kinds.index(EventKind.WAIT), kinds.index(EventKind.UNLOCK), \
        kinds.index(EventKind.ACQUIRED)
    assert w < u and a == u + 1                         # handed over at the unlock...
    assert a < kinds.index(EventKind.RETURN)            # ...before read() returns
    wait, acq = trace[w], trace[a]
    assert wait.note == acq.note == "mkdir /new"
    assert wait.mutex_held and not acq.mutex_held
    assert acq.func == "cgiter_edu.kernel.cgroup_iter:cgroup_iter_seq_stop"
    assert wait.func == "cgiter_edu.hierarchy:Hierarchy.mkdir"
    assert "/new" in h


def test_the_next_read_waits_for_a_writer_that_still_holds_the_mutex():
    h = Hierarchy()
    h.mkdir("/a")
    got, go = threading.Event(), threading.Event()

    def writer():
        h.cgroup_mutex.lock("a writer")
        got.set()
        go.wait(5)
        h.cgroup_mutex.unlock()

    with attach(h, programs.Record(rec_bytes=64), Order.DESCENDANTS_PRE) as link, \
            link.create(trace=True) as f:
        f.read(64)                          # the walk is cut: one record, then EOPNOTSUPP
        th = threading.Thread(target=writer)
        th.start()
        got.wait(5)
        threading.Timer(0.2, go.set).start()
        try:
            f.read(64)
        except OSError:
            pass
        th.join(5)
    second = [e for e in f.trace if e.read_no == 1]
    kinds = [e.kind for e in second]
    assert kinds[:3] == [EventKind.READ, EventKind.WAIT, EventKind.LOCK]
    assert second[1].note == "cgroup_iter_seq_start" and not second[1].mutex_held


def test_the_mutex_picture_data_shows_the_writer_holding_it():
    """viz.analysis.mutex_spans: the writer holds cgroup_mutex from the hand-off until the
    walk's next LOCK; a read() that had to wait for it is a walk wait."""
    from cgiter_edu.viz.analysis import mutex_spans

    h = Hierarchy()
    h.mkdir("/a")
    trace, _ = _slow_read(h, lambda: h.mkdir("/new"), patience=0.3)
    sp = mutex_spans(trace)
    acq = trace.of_kind(EventKind.ACQUIRED)[0].step
    # this walk wrote nothing: one read() and the trace ends with the writer holding it
    next_lock = min([e.step for e in trace.of_kind(EventKind.LOCK) if e.step > acq],
                    default=len(trace))
    assert sp.writer_held == [(acq, next_lock, "mkdir /new")] and sp.walk_waits == []
    assert [(a, b) for a, b, _ in sp.waits] == [(trace.of_kind(EventKind.WAIT)[0].step, acq)]
