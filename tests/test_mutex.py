"""cgroup_mutex: taken only where the kernel takes it; mutex_unlock releases it and wakes
the first waiter (kernel/locking/mutex.c); the release work runs when it is free."""

import errno
import threading
import time

import pytest

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
    at once; the release work (css_release_work_fn, under cgroup_mutex) is queued and
    runs at the next point the mutex is free, the walk's unlock, so this walk still
    sees the dead cgroup listed.  The trace shows the work queued (WAIT, at css_put)
    and run (RELEASE, at the unlock, before read() returns)."""
    h = Hierarchy()
    h.mkdir("/a")
    h.mkdir("/b")
    h.kill("/b")
    trace, inside = _slow_read(h, lambda: h.release(3))
    assert inside and 3 not in h
    assert 3 in trace.visit_order()
    kinds = [e.kind for e in trace]
    wait, rel = trace.of_kind(EventKind.WAIT), trace.of_kind(EventKind.RELEASE)
    assert [(e.note, e.func) for e in wait] == [("css_release_work_fn /b",
                                                 "cgiter_edu.kernel.cgroup:css_put")]
    assert [(e.cgroup, e.note) for e in rel] == [(3, "css_release_work_fn /b")]
    assert kinds.index(EventKind.RELEASE) == kinds.index(EventKind.UNLOCK) + 1
    assert rel[0].func == "cgiter_edu.kernel.cgroup_iter:cgroup_iter_seq_stop"
    assert not trace.of_kind(EventKind.WAKE, EventKind.ACQUIRED)


def test_rmdir_queues_the_release_and_it_runs_at_rmdirs_own_unlock():
    """rmdir drops the last reference while it holds cgroup_mutex: the release work
    cannot run then; it runs when rmdir's mutex_unlock frees the mutex, before rmdir
    returns to its caller."""
    h = Hierarchy()
    h.mkdir("/a")
    seen = []
    h.cgroup_root.release_hook = lambda css: seen.append(
        (css.cgroup_id, h.cgroup_mutex.owner_name))
    h.rmdir("/a")
    assert seen == [(2, "css_release_work_fn /a")] and "/a" not in h and 2 not in h
    assert not h.cgroup_mutex.locked()


def _wait_for(trace, kind, seconds=30.0):
    deadline = time.monotonic() + seconds
    while not trace.of_kind(kind) and time.monotonic() < deadline:
        time.sleep(0.001)


def _writer_during_a_cut_walk(locker_first):
    """A walk of 64-byte records read 64 bytes at a time (cut after the first), with a
    mkdir in another thread that waits for the first read()'s walk.  Returns the trace."""
    h = Hierarchy()
    h.mkdir("/a")
    h.mkdir("/b")
    if locker_first:
        h.cgroup_mutex.locker_first = "cgroup_iter_seq_start"
    rec = programs.Record(rec_bytes=64)
    threads = []

    def prog(ctx):
        if ctx.cgroup is not None and not threads:
            threads.append(threading.Thread(target=h.mkdir, args=("/new",), daemon=True))
            threads[0].start()
            _wait_for(ctx.meta.seq.tracer.trace, EventKind.WAIT)
        return rec(ctx)

    with attach(h, prog, Order.DESCENDANTS_PRE) as link, link.create(trace=True) as f:
        assert len(f.read(64)) == 64
        if not locker_first:
            threads[0].join(5)           # the woken writer took the mutex at the unlock
            assert "/new" in h
        with pytest.raises(OSError) as e:
            f.read(64)
        assert e.value.errno == errno.EOPNOTSUPP
    threads[0].join(5)
    assert "/new" in h and not h.cgroup_mutex.locked() and not h.cgroup_mutex.flags
    return f.trace


def test_a_mkdir_waits_then_the_unlock_wakes_it_and_it_takes_the_mutex():
    """Default: mutex_unlock releases the mutex and wakes the writer, which runs first
    and takes it: UNLOCK, WAKE, ACQUIRED, all before read() returns."""
    trace = _writer_during_a_cut_walk(locker_first=False)
    kinds = [e.kind for e in trace]
    w, u = kinds.index(EventKind.WAIT), kinds.index(EventKind.UNLOCK)
    assert w < u and kinds[u + 1:u + 3] == [EventKind.WAKE, EventKind.ACQUIRED]
    assert u + 2 < kinds.index(EventKind.RETURN)
    wait, wake, acq = trace[w], trace[u + 1], trace[u + 2]
    assert wait.note == wake.note == acq.note == "mkdir /new"
    assert wait.mutex_held and not wake.mutex_held and not acq.mutex_held
    assert wake.func == "cgiter_edu.kernel.cgroup_iter:cgroup_iter_seq_stop"
    assert wait.func == acq.func == "cgiter_edu.cgroup_tree:CgroupTree.mkdir"
    assert not trace.of_kind(EventKind.HANDOFF)


def test_the_readers_next_read_first_then_the_writer_is_handed_the_mutex():
    """locker_first: the woken writer has not run when the reader's next read() takes
    the free mutex; it finds it taken, sets MUTEX_FLAG_HANDOFF (HANDOFF after the LOCK)
    and that read()'s unlock hands the mutex to it (WAKE, ACQUIRED)."""
    trace = _writer_during_a_cut_walk(locker_first=True)
    first = [e.kind for e in trace if e.read_no == 0]
    u = first.index(EventKind.UNLOCK)
    assert first[u + 1] is EventKind.WAKE and EventKind.ACQUIRED not in first
    second = [e for e in trace if e.read_no == 1]
    kinds = [e.kind for e in second]
    assert kinds[:4] == [EventKind.READ, EventKind.LOCK, EventKind.HANDOFF, EventKind.START]
    assert second[2].note == "mkdir /new" and second[3].errno == errno.EOPNOTSUPP
    u = kinds.index(EventKind.UNLOCK)
    assert kinds[u + 1:u + 3] == [EventKind.WAKE, EventKind.ACQUIRED]
    assert kinds[-1] is EventKind.RETURN


def test_mutex_flags_as_in_mutex_c():
    """kernel/mutex.py alone: WAITERS while someone sleeps, HANDOFF set by a woken first
    waiter that found the mutex taken, handed over at the next unlock, all flags
    cleared once the wait list is empty."""
    from cgiter_edu.kernel import mutex as mx

    m = mx.Mutex()
    m.locker_first = "holder"
    seen = []

    def waiter():
        mx.mutex_lock(m, "waiter")
        seen.append(m.flags)
        mx.mutex_unlock(m)

    mx.mutex_lock(m, "holder")
    th = threading.Thread(target=waiter)
    th.start()
    deadline = time.monotonic() + 30          # until the waiter sleeps (no timing assumed)
    while not m.wait_list and time.monotonic() < deadline:
        time.sleep(0.001)
    assert m.flags == mx.MUTEX_FLAG_WAITERS
    mx.mutex_unlock(m)                   # released, the waiter woken but held back
    assert m.owner is None and m.flags == mx.MUTEX_FLAG_WAITERS
    mx.mutex_lock(m, "holder")           # the holder gets there first
    assert m.passed_over == "waiter"
    assert m.flags == mx.MUTEX_FLAG_WAITERS | mx.MUTEX_FLAG_HANDOFF
    mx.mutex_unlock(m)                   # HANDOFF: handed over, never free
    th.join(5)
    assert seen == [0] and m.owner is None and m.flags == 0
    mx.mutex_lock(m, "a")
    with pytest.raises(OSError) as e:
        mx.mutex_lock(m, "a")
    assert e.value.errno == errno.EDEADLK


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
