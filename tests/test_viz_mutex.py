"""The cgroup_mutex lanes replay LOCK/UNLOCK and a waiting writer."""

from __future__ import annotations

from cgiter_edu import scenarios as scenes
from cgiter_edu.events import EventKind
from cgiter_edu.viz import mutex_view as mutex

# -- the mutex --------------------------------------------------------------------------

def test_mutex_lane_replays_lock_unlock_and_the_waiting_writer():
    tr = scenes.writer_waits()
    v = mutex.plot_mutex(tr)
    assert len(v.spans.held) == len(tr.of_kind(EventKind.LOCK))
    assert len(v.spans.waits) == 1 and v.spans.waits[0][2].startswith("mkdir")
    assert [e.step for _a, _b, e in v.spans.reads] == [e.step for e in tr.reads]
    for a, b in v.spans.held:
        assert tr[a].kind is EventKind.LOCK and tr[b].kind is EventKind.UNLOCK
    v.update(5)
    assert v.cursor.get_visible()




def test_the_writer_scene_is_one_run_and_the_same_every_time():
    from cgiter_edu import shapes

    kinds = []
    for _ in range(3):
        tr = scenes.writer_waits(shapes.systemd_host(), mkdir="/new.slice", read_size=1024)
        kinds.append([(e.kind, e.cgroup, e.note) for e in tr])
        acq = tr.of_kind(EventKind.ACQUIRED)[0].step
        nxt = [e.step for e in tr.of_kind(EventKind.READ) if e.step > acq]
        waits = [e for e in tr.of_kind(EventKind.WAIT)]
        assert [w.note for w in waits] == ["mkdir /new.slice"]     # the reader never waits
        assert nxt and acq < nxt[0]
    assert kinds[0] == kinds[1] == kinds[2]


def test_run_calls_between_reads_before_every_read_but_the_first():
    from cgiter_edu import Order, programs, run, shapes

    calls = []
    res = run(shapes.systemd_host(), programs.Record(rec_bytes=64), Order.DESCENDANTS_PRE,
              read_size=512, between_reads=lambda: calls.append(1))
    assert len(calls) == len(res.reads) - 1 > 0


def test_the_walk_end_is_marked_on_the_read_lane_only():
    from cgiter_edu import shapes

    tr = scenes.writer_waits(shapes.systemd_host(), mkdir="/new.slice", read_size=1024)
    v = mutex.plot_mutex(tr)
    y_read = v.lanes.index("read() calls")
    y_read = len(v.lanes) - 1 - y_read
    dashed = [ln for ln in v.ax.lines if ln.get_linestyle() == "--"]
    assert dashed
    for ln in dashed:                       # it does not cross the mutex or writer lanes
        assert min(ln.get_ydata()) >= y_read - 0.5


def test_the_legend_names_a_waiting_writer_only_when_one_waited():
    from vizkit import make_trace

    _res, tr = make_trace(read_size=512)
    labels = [t.get_text() for t in mutex.plot_mutex(tr).ax.get_legend().get_texts()]
    assert labels == ["held by the walk", "free"]
    w = mutex.plot_mutex(scenes.writer_waits())
    labels = [t.get_text() for t in w.ax.get_legend().get_texts()]
    assert "writer waiting" in labels and "held by the writer" in labels


def test_the_reader_first_scene_shows_the_wake_the_handoff_and_the_writer_last():
    """writer_waits(first="reader"): the walk's unlock wakes the writer (a mark on its
    lane), the reader's next read() takes the free mutex first, the writer sets
    MUTEX_FLAG_HANDOFF (a second mark) and is handed the mutex at that read()'s unlock."""
    from cgiter_edu import shapes

    tr = scenes.writer_waits(shapes.systemd_host(), mkdir="/new.slice", read_size=1024,
                             first="reader")
    v = mutex.plot_mutex(tr)
    sp = v.spans
    locks = [e.step for e in tr.of_kind(EventKind.LOCK)]
    assert [w for _s, w in sp.wakes] == ["mkdir /new.slice"] * 2
    assert [w for _s, w in sp.handoffs] == ["mkdir /new.slice"]
    assert sp.handoffs[0][0] == locks[1] + 1                 # right after read 2's LOCK
    (a, b, who), = sp.waits
    assert who == "mkdir /new.slice" and a < locks[1] < b    # still waiting in read 2
    assert tr[b].read_no == 1 and tr[b].kind is EventKind.ACQUIRED
    assert len(v.marks) == 3 and v.lanes == ["read() calls", "cgroup_mutex", "writer"]


def test_the_release_work_has_a_lane_of_its_own():
    """A reference dropped while the walk holds the mutex: the release work waits on its
    own lane and runs (RELEASE) right after the walk's unlock."""
    import threading

    from cgiter_edu import Hierarchy, Order, attach

    h = Hierarchy()
    h.mkdir("/a")
    h.mkdir("/b")
    h.kill("/b")

    def prog(ctx):
        if ctx.cgroup is not None and ctx.meta.seq_num == 0:
            th = threading.Thread(target=h.release, args=(3,))
            th.start()
            th.join(5)
        return 0

    with attach(h, prog, Order.DESCENDANTS_PRE) as link, link.create(trace=True) as f:
        f.readall()
    v = mutex.plot_mutex(f.trace)
    assert v.lanes == ["read() calls", "cgroup_mutex", "release work"]
    (step, who, cid), = v.spans.releases
    assert who == "css_release_work_fn /b" and cid == 3
    assert f.trace[step - 1].kind is EventKind.UNLOCK
