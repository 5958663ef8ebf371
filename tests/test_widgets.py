"""The explorer (cgiter_edu.widgets), driven from Python: every control, what each
step shows, bad input, and no stale frames after many changes."""

from __future__ import annotations

import datetime
import json
import random

import pytest

pytest.importorskip("ipywidgets")

from cgiter_edu import Hierarchy, Order, shapes  # noqa: E402
from cgiter_edu.widgets import Explorer, story  # noqa: E402
from cgiter_edu.widgets.model import Settings, walk  # noqa: E402


@pytest.fixture(scope="module")
def ex():
    return Explorer(tree="small", record_bytes=3000)


def test_truncation_is_unmissable(ex):
    ex.set(tree="small", order=int(Order.DESCENDANTS_PRE), record_bytes=3000, start="/")
    ex.jump("cut")
    f = ex.frame
    t = ex.trace
    assert t[f.step].kind.value == "end" and t[f.step - 1].kind.value == "rollback"
    assert f.level == "cut"
    # small = root, c0..c2, each with 3 children; 10 records of 3000 B fit (30000 B),
    # the 11th (/c2/c0, id 11) is rolled back, /c2/c1 and /c2/c2 are never reached
    assert f.states[11] == "lost"
    assert [cid for cid, s in f.states.items() if s == "never"] == [12, 13]
    assert f.buffer["count"] == 30000 and f.buffer["ghost"] == (30000, 33000)
    assert f.buffer["records"] == 10
    assert "TRUNCATED" in f.why and "/c2/c0" in f.why
    assert "the next read() gives EOPNOTSUPP" in f.why
    assert "30000 + 3000 >= 32768" in f.why
    # the record is written with bpf_seq_printf (seq_bprintf) and bpf_seq_write (seq_write)
    assert "seq_write() and seq_bprintf() append only while count + len < size" in f.why
    assert "⚠" not in ex.w_error.value                  # no error: this is the kernel's outcome
    assert "cg-why-cut" in ex.w_caption.value
    assert f.png[:4] == b"\x89PNG" and ex.w_image.value == f.png
    ex.jump("end")
    assert ex.frame.reads == ["30000 B", "EOPNOTSUPP"]          # read like cat


def test_player_buttons(ex):
    ex.set(tree="systemd", record_bytes=3000, order=2)
    ex.jump("start")
    assert ex.step == 0 and ex.frame.caption.startswith("step 0/")
    png0 = ex.frame.png
    ex.w_fwd.click()
    assert ex.step == 1 and ex.frame.png != png0
    ex.w_back.click()
    assert ex.step == 0 and ex.frame.png == png0
    ex.w_next_read.click()
    assert ex.trace[ex.step].kind.value == "read" and ex.trace[ex.step].read_no == 1
    ex.w_end.click()
    assert ex.step == len(ex.trace) - 1
    ex.w_cut.click()
    assert ex.frame.level == "cut"
    ex.w_slider.value = 3
    assert ex.frame.step == 3


@pytest.mark.parametrize("kw, words", [
    (dict(order=5, kernel="6.18"), ["EINVAL", "CHILDREN", "7.0"]),
    (dict(start="/nope"), ["ENOENT", "/nope"]),
    (dict(record_bytes=-1), ["record bytes"]),
    (dict(read_size=-5), ["EINVAL", "negative"]),
    (dict(stop_at="/gone"), ["ENOENT", "/gone"]),
])
def test_bad_input_is_a_message(ex, kw, words):
    ex.set(tree="systemd", order=2, start="/", kernel="7.0", record_bytes=64, read_size=4096,
           stop_at=None)
    ex.set(**kw)
    f = ex.frame
    for w in words:
        assert w in f.error
    assert w in ex.w_error.value
    ex.set(tree="systemd", order=2, start="/", kernel="7.0", record_bytes=64, read_size=4096,
           stop_at=None)
    assert ex.frame.error == "" and ex.trace is not None     # usable again


def test_messages_are_true_of_the_walk_shown(ex):
    """MAX_ITER_OBJECTS with bytes written returns them (no EAGAIN); a record size the
    program cannot write is refused and the box shows the size used; an upload that is
    JSON but no hierarchy is named as such (not taken for a file name)."""
    ex.set(tree="systemd", order="pre", record_bytes=3000, max_iter_objects=1, program="record",
           read_size=131072, page_size=4096, start="/", stop_at=None, kernel="7.0")
    ex.jump("cut")
    f = ex.frame
    assert ex.walk.results[0] == 3000 and "EAGAIN" not in ex.walk.results
    assert f.why.startswith("MAX_ITER_OBJECTS: ") and "returns them" in f.why
    assert "with nothing written" not in f.why and "gives EOPNOTSUPP" in f.why
    ex.set(program="silent")
    ex.jump("cut")
    assert ex.walk.results[0] == "EAGAIN" and ex.frame.why.startswith("EAGAIN: ")
    ex.set(program="record", max_iter_objects=1_000_000)
    for bad in (40000, 0, 23, 4120):
        ex.w_record.value = bad
        f = ex.frame
        assert f.error == (f"record bytes {bad}: the record program writes records of 24 to "
                           f"4119 B (a 24-byte line, then 0 to 4095 pad bytes); the walk "
                           f"shown still uses 3000 B")
        assert ex.w_record.value == 3000 and ex.settings.record_bytes == 3000
    ex.w_record.value = 4119
    assert ex.frame.error == "" and ex.walk.results[0] == 4119 * 7
    ex.load_json(b"[1,2,3]", "list.json")
    assert ex.frame.error == ('list.json: the uploaded JSON is not a hierarchy: expected an '
                              'object with "format": "cgiter_edu.hierarchy/1"')
    ex.load_json(b"/etc/passwd", "path.json")
    assert ex.frame.error.startswith("path.json: the uploaded file is not JSON: ")
    ex.w_max_objs.value = 0
    assert ex.frame.error == "max objects (MAX_ITER_OBJECTS) must be at least 1, not 0"


def _pngless(f):
    d = dict(vars(f))
    d.pop("png")
    return d


def test_every_control_from_the_widgets(ex):
    ex.set(tree="systemd", order=2, start="/", kernel="7.0", record_bytes=3000,
           read_size=131072, stop_at=None, changes=(), writer=None, big=None,
           max_iter_objects=1_000_000, page_size=4096, program="record")
    # tree
    ex.w_tree.value = "kubernetes"
    assert len(ex.trace.cgroups) == len(shapes.kubernetes_node())
    ex.w_tree.value = "systemd"
    # order: post-order visits a leaf first
    ex.w_order.value = int(Order.DESCENDANTS_POST)
    assert ex.trace.visit_order()[0] == ex.walk.hierarchy.id_of("/init.scope")
    # start
    ex.w_order.value = int(Order.DESCENDANTS_PRE)
    ex.w_start.value = "/system.slice"
    assert ex.trace.start == ex.walk.hierarchy.id_of("/system.slice")
    ex.w_start.value = "/"
    # program
    ex.w_program.value = "ids"
    ex.jump("end")
    out = b"".join(e.data for e in ex.trace.reads if e.data)
    assert out.startswith(b"prologue\n       1\n") and out.endswith(b"epilogue\n")
    assert ex.walk.results[1:] == [0]
    ex.w_program.value = "record"
    # record bytes 64: everything fits, the walk is complete
    ex.w_record.value = 64
    assert ex.trace.end_reason.value == "complete"
    ex.w_record.value = 3000
    # page size: 16 KiB pages, a 128 KiB buffer: 3000-byte records all fit
    ex.w_page.value = 16384
    assert ex.trace.buffer_size == 131072 and ex.trace.end_reason.value == "complete"
    ex.w_page.value = 4096
    # read size: 4096 ends the walk (READ SIZE)
    ex.w_read.value = 4096
    ex.jump("cut")
    assert ex.frame.level == "cut" and "READ SIZE" in ex.frame.why
    ex.w_read.value = 0
    assert "read(fd, buf, 0)" in ex.frame.notes[0] and ex.walk.results == [0, 0, 0, 0]
    ex.w_read.value = 131072
    # kernel version: CHILDREN only on 7.0
    ex.w_order.value = int(Order.CHILDREN)
    assert ex.frame.error == "" and ex.trace is not None
    ex.w_kernel.value = "6.18"
    assert "EINVAL" in ex.frame.error and ex.trace is None
    assert ex.renderer.length == 0                    # no picture: the errno and why instead
    ex.w_kernel.value = "7.0"
    ex.w_order.value = int(Order.DESCENDANTS_PRE)
    # stop at: early termination
    ex.w_stop.value = "/system.slice"
    ex.jump("cut")
    f = ex.frame
    assert f.level == "end" and "EARLY TERMINATION" in f.why and "/system.slice" in f.why
    assert f.states[ex.walk.hierarchy.id_of("/system.slice")] == "stopped"
    ex.w_stop.value = "(none)"
    # MAX_ITER_OBJECTS: EAGAIN on a small tree with the silent program
    ex.w_program.value = "silent"
    ex.w_max_objs.value = 5
    ex.jump("cut")
    assert ex.walk.results[0] == "EAGAIN" and "EAGAIN" in ex.frame.why
    ex.w_max_objs.value = 1_000_000
    ex.w_program.value = "record"
    # a big first record: E2BIG
    ex.w_big_pages.value = 8
    ex.w_big_path.value = "/"
    ex.jump("cut")
    assert ex.walk.results[0] == "E2BIG" and "does not fit" in ex.frame.why
    ex.w_big_path.value = "(none)"
    # a writer: its mkdir waits for cgroup_mutex
    ex.w_writer.value = "/new.slice"
    ex.w_writer_on.value = True
    kinds = [e.kind.value for e in ex.trace]
    assert "wait" in kinds and "acquired" in kinds
    assert kinds.index("acquired") > kinds.index("unlock")
    ex.w_writer_on.value = False


def test_dead_cgroups(ex):
    ex.set(tree="systemd", order=2, start="/", record_bytes=64, changes=(), writer=None,
           big=None, stop_at=None, read_size=131072, max_iter_objects=1_000_000)
    h = ex.walk.hierarchy
    cron = h.id_of("/system.slice/cron.service")
    ex.w_dead_path.value = "/system.slice/cron.service"
    ex.w_kill.click()
    ex.jump("end")
    assert ex.frame.states[cron] == "dead"
    ex.w_release.click()
    assert cron not in ex.trace.cgroups                # gone from its parent's list
    # refused: a cgroup with live children stays, the tree is unchanged
    before = ex.settings
    ex.w_dead_path.value = "/system.slice"
    ex.w_kill.click()
    assert "EBUSY" in ex.w_error.value and ex.settings == before


def test_walk_legend_lists_only_the_states_the_walk_shows(ex):
    """The explorer's state legend, like every viz legend, lists the states some step
    shows: a whole tree cut by the buffer shows 6 of the 8 (two rows), one cgroup
    alone shows 4 (one row)."""
    ex.set(tree="small", order=int(Order.DESCENDANTS_PRE), record_bytes=3000, start="/",
           changes=(), writer=None, big=None, stop_at=None, read_size=131072)
    cut = [s.value for s in ex.trace.states_seen()]
    assert cut == ["unreached", "current", "buffered", "delivered", "lost", "never"]
    [two_rows] = ex.renderer.figure.images
    ex.set(order=int(Order.SELF_ONLY))
    assert [s.value for s in ex.trace.states_seen()] == [
        "unreached", "current", "buffered", "delivered"]
    [one_row] = ex.renderer.figure.images
    assert one_row.get_array().shape[0] < two_rows.get_array().shape[0]


def test_user_program_and_its_failures():
    seen = []

    def mine(ctx):
        if ctx.cgroup is not None:
            seen.append(ctx.cgroup.id)
            ctx.meta.seq.printf("%llu\n", ctx.cgroup.id)
        return 0

    ex = Explorer(tree="small", program=mine)
    assert ex.w_program.value == "custom" and ex.frame.error == ""
    assert ex.walk.results[0] == sum(len(f"{i}\n") for i in range(1, 14))

    def boom(ctx):
        if ctx.cgroup is not None and ctx.cgroup.path == "/c1":
            raise ZeroDivisionError("oops")
        return 0
    ex.set(program=boom)
    f = ex.frame
    assert "your program failed" in f.error and "ZeroDivisionError" in f.error
    assert ex.trace is not None and ex.trace.end_reason.value == "program_error"
    ex.set(program=lambda ctx: "yes")
    assert "must return an int" in ex.frame.error
    ex.set(program="ids")
    assert ex.frame.error == ""


def test_json_upload():
    ex = Explorer(tree="small")
    h = Hierarchy()
    h.mkdir("/x")
    h.mkdir("/x/y")
    ex.load_json(h.to_json().encode(), "mine.json")
    assert ex.settings.tree == "json" and len(ex.trace.cgroups) == 3
    good = ex.settings
    ex.load_json(b"{not json", "broken.json")
    assert "broken.json" in ex.w_error.value and ex.settings == good
    cyclic = {"cgroups": [{"path": "/", "id": 1}, {"path": "/a", "id": 2, "parent": 3},
                          {"path": "/b", "id": 3, "parent": 2}]}
    ex.load_json(json.dumps(cyclic), "cyclic.json")
    assert "cyclic.json" in ex.w_error.value and ex.settings == good
    # the upload widget's own path
    ex.w_upload.value = ({"name": "w.json", "type": "application/json", "size": 1,
                          "content": memoryview(shapes.balanced(1, 2).to_json().encode()),
                          "last_modified": datetime.datetime(2026, 1, 1)},)
    assert len(ex.trace.cgroups) == 3 and ex.frame.error == ""


def test_highlighted_source_line():
    ex = Explorer(tree="small", step=0)
    src = ex.w_source.value
    e = ex.trace[0]
    assert e.func and f"data-line='{e.line}'" in src
    assert f"cg-src-current' data-line='{e.line}'" in src
    ex.jump("cut")
    e = ex.trace[ex.step]
    assert "elixir.bootlin.com/linux/v6.18/C/ident/" in ex.w_source.value   # the default kernel
    assert f"cg-src-current' data-line='{e.line}'" in ex.w_source.value


def test_all_orders_mode():
    ex = Explorer(tree="small", mode="orders", kernel="7.0")    # CHILDREN: 7.0 only
    assert set(ex.renderer.traces) == {f"order{o}" for o in (1, 2, 3, 4, 5)}
    png0 = ex.frame.png
    ex.step = 10
    assert ex.frame.png != png0
    lines = ex.frame.why.splitlines()             # one caption line per order at this step
    assert [x.split(":")[0] for x in lines] == ["DESCENDANTS_PRE", "DESCENDANTS_POST",
                                                 "ANCESTORS_UP", "SELF_ONLY", "CHILDREN"]
    assert "cg-why-orders" in ex.w_caption.value
    ex.w_kernel.value = "6.18"          # no CHILDREN: left out, said as a note, no error
    assert ex.frame.error == "" and len(ex.renderer.traces) == 4
    assert ex.frame.notes == ["Linux 6.18 has these four orders; CHILDREN came in 7.0 "
                              "(choose 7.0 to see it)"]
    assert "cg-note" in ex.w_error.value


def test_story_on_its_own():
    t = walk(Settings(tree="small", record_bytes=3000)).trace
    assert story.caption(t, 0).level == "info"
    assert story.next_read_step(t, 0) > 0


@pytest.mark.slow
def test_200_random_changes_leave_no_stale_frame():
    rng = random.Random(10)
    ex = Explorer(tree="small")
    actions = 0
    for _ in range(200):
        k = rng.random()
        paths = list(ex.w_start.options) or ["/"]
        if k < 0.45:
            op = rng.choice(["slider", "back", "fwd", "next", "cut", "end"])
            if op == "slider":
                ex.w_slider.value = rng.randint(0, ex.w_slider.max)
            else:
                {"back": ex.w_back, "fwd": ex.w_fwd, "next": ex.w_next_read,
                 "cut": ex.w_cut, "end": ex.w_end}[op].click()
        else:
            c = rng.choice(["tree", "order", "start", "program", "record", "page", "read",
                            "kernel", "stop", "kill", "release", "writer", "big", "objs",
                            "mode"])
            if c == "tree":
                ex.w_tree.value = rng.choice(["systemd", "kubernetes", "small"])
            elif c == "order":
                ex.w_order.value = rng.choice([1, 2, 3, 4, 5])
            elif c == "start":
                ex.w_start.value = rng.choice([*paths, "/nope"])
            elif c == "program":
                ex.w_program.value = rng.choice(["record", "ids", "paths", "silent"])
            elif c == "record":
                ex.w_record.value = rng.choice([24, 64, 3000, 4119, -1, 5000])
            elif c == "page":
                ex.w_page.value = rng.choice([4096, 16384])
            elif c == "read":
                ex.w_read.value = rng.choice([0, 1, 100, 4096, 131072])
            elif c == "kernel":
                ex.w_kernel.value = rng.choice(["6.1", "6.18", "7.0"])
            elif c == "stop":
                ex.w_stop.value = rng.choice(list(ex.w_stop.options))
            elif c in ("kill", "release") and ex.w_dead_path.options:
                ex.w_dead_path.value = rng.choice(list(ex.w_dead_path.options))
                (ex.w_kill if c == "kill" else ex.w_release).click()
            elif c == "writer":
                ex.w_writer_on.value = not ex.w_writer_on.value
            elif c == "big":
                ex.w_big_path.value = rng.choice(list(ex.w_big_path.options))
            elif c == "objs":
                ex.w_max_objs.value = rng.choice([3, 1_000_000])
            elif c == "mode" and rng.random() < 0.3:
                ex.w_mode.value = "orders" if ex.w_mode.value == "walk" else "walk"
        actions += 1
    f = ex.frame
    fresh = Explorer.from_settings(ex.settings, mode=ex.mode)
    fresh.step = ex.step
    g = fresh.frame
    assert fresh.settings == ex.settings
    assert _pngless(f) == _pngless(g)
    assert f.png == g.png
    assert actions == 200


def test_a_fast_slider_drops_frames_and_ends_on_the_last():
    """In a kernel, frames are drawn by a thread that takes the newest step asked for:
    31 slider moves faster than frames can draw give fewer frames, never a queue, and
    the picture ends on the last step asked for."""
    ex = Explorer(tree="small", background=True)
    fresh = Explorer(tree="small", step=30)
    ex.flush()
    before = ex.frames_drawn
    for s in range(31):
        ex.w_slider.value = s
    f = ex.frame                                   # flushes
    assert f.step == 30 and f.png == fresh.frame.png
    assert ex.frames_drawn - before < 31


def test_explore_without_voila_says_how_to_install(monkeypatch, capsys):
    import importlib.util

    from cgiter_edu import cli

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "voila" else real(name, *a))
    assert cli.main(["explore"]) == 1
    err = capsys.readouterr().err
    assert err.strip() == ("cgiter-edu explore: Voila is not installed; install the extra: "
                           "pip install -e '.[explore]'")


@pytest.mark.slow
def test_explore_serves_the_explorer_and_cleans_up():
    """cgiter-edu explore: Voila on 127.0.0.1, the URL printed with a token, the page
    answers; SIGTERM stops Voila and its kernel (no process left behind)."""
    import os
    import signal
    import subprocess
    import sys
    import urllib.request

    pytest.importorskip("voila")
    p = subprocess.Popen([sys.executable, "-m", "cgiter_edu.cli", "explore"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         start_new_session=True)
    try:
        line = p.stdout.readline()
        assert line.startswith("the explorer is at http://127.0.0.1:"), line
        url = line.split()[-1]
        assert "?token=" in url
        with urllib.request.urlopen(url, timeout=60) as r:
            page = r.read().decode()
        assert r.status == 200 and "voila" in page
        with urllib.request.urlopen(url.split("?")[0], timeout=30) as r:
            assert "/login" in r.geturl()                      # the token is required
        p.send_signal(signal.SIGTERM)
        assert p.wait(30) == 0
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
    # Voila is gone with it: nothing answers on its port any more
    with pytest.raises(OSError):
        urllib.request.urlopen(url.split("?")[0], timeout=5)


@pytest.mark.parametrize("name", ["cgiter_edu.widgets", "cgiter_edu.widgets.model",
                                  "cgiter_edu.widgets.story", "cgiter_edu.widgets.source",
                                  "cgiter_edu.widgets.picture", "cgiter_edu.widgets.explorer",
                                  "cgiter_edu.widgets.panel", "cgiter_edu.widgets.app"])
def test_docstring_examples_run(name):
    import doctest
    import importlib

    res = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert res.failed == 0 and res.attempted > 0


def test_app_and_cli_do_not_load_widgets():
    from conftest import modules_loaded

    code = "import cgiter_edu.cli, cgiter_edu.widgets.app; cgiter_edu.cli.build_parser()"
    assert modules_loaded(code, ("matplotlib", "ipywidgets")) == []


@pytest.mark.parametrize("tree, mode", [("systemd", "walk"), ("random1000", "walk"),
                                        ("small", "orders")])
def test_blitted_frame_is_the_full_redraw(tree, mode):
    """A step draws only what changes over a saved background; the picture must be the
    one a full redraw gives (labels over icicle cells, the never-usable byte over the
    buffer bars included), to antialiasing rounding."""
    import io

    import numpy as np
    from PIL import Image

    t = shapes.random(1000, seed=2) if tree == "random1000" else tree
    ex = Explorer(tree=t, record_bytes=200, mode=mode)
    r = ex.renderer
    n = r.length
    for step in (0, n // 3, n - 1):
        a, b = (np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
                for png in (r.render(step), r.full_render(step)))
        assert np.abs(a - b).max() <= 2, (tree, mode, step)


def test_settings_argument_sets_every_control():
    """What the course's "show me" does: one Settings for every control."""
    s = Settings(tree="json", tree_json=shapes.balanced(2, 3).to_json(), order=3,
                 start="/c1", record_bytes=64, big=("/c1/c0", 8))
    ex = Explorer(settings=s)
    assert ex.settings == s and ex.frame.error == ""
    assert ex.walk.results[0] == "E2BIG"          # post-order from /c1: /c1/c0 comes first
    assert (ex.w_tree.value, ex.w_order.value, ex.w_start.value, ex.w_big_path.value) == \
        ("json", 3, "/c1", "/c1/c0")


def test_this_machines_tree():
    """The sysfs tree, where the cgroup2 mount is readable: a walk of the real tree, or
    (whatever other programs made there) a message -- never a traceback."""
    from cgiter_edu.widgets.model import sysfs_readable

    ex = Explorer(tree="small")
    if sysfs_readable():
        assert "sysfs" not in [v for _, v in ex.w_tree.options]
        return
    ex.w_tree.value = "sysfs"
    assert ex.settings.tree == "sysfs"
    assert (ex.trace is not None and len(ex.trace.cgroups) >= 1) or ex.frame.error


@pytest.mark.parametrize("n, view", [(700, "icicle"), (300, "list"), (12, "tree")])
def test_order_change_keeps_the_views_and_shows_a_fresh_frame(n, view):
    """Another order (or record size) on the same tree keeps the tree and buffer views
    (only the numbers, the mutex lanes and the legend are redone), another page size
    keeps the tree view: every frame must be byte for byte the one a fresh explorer with
    those settings shows; a new tree builds everything again."""
    h = shapes.random(n, seed=3, dead=0.05)
    ex = Explorer(tree=h, record_bytes=200, background=False)
    kept = ex.renderer.views["walk"]
    assert kept.view == view
    buf = ex.renderer.views["buffer"]
    for kw, same in [({"order": "post"}, True), ({"record_bytes": 64}, True),
                     ({"order": "self"}, True), ({"page_size": 16384}, False),
                     ({"order": "pre"}, True)]:
        ex.set(**kw)
        assert ex.renderer.views["walk"] is kept, kw
        assert (ex.renderer.views["buffer"] is buf) is same, kw
        buf = ex.renderer.views["buffer"]
        fresh = Explorer(settings=ex.settings, background=False)
        n = ex.renderer.length
        assert n == fresh.renderer.length > 1
        for step in (0, n // 2, n - 1):
            ex.step = fresh.step = step
            assert ex.frame.png == fresh.frame.png, (kw, step)
            assert ex.frame.caption == fresh.frame.caption
    ex.set(tree="small")
    assert ex.renderer.views["walk"] is not kept
    assert ex.frame.png == Explorer(settings=ex.settings, background=False).frame.png


def test_writer_story_says_who_holds_the_mutex():
    """With a writer: the story says at each step who holds cgroup_mutex and who waits;
    the writer's cgroup, made after the cut, is not counted as never reached."""
    ex = Explorer(tree="systemd", writer="/new.slice", background=False)
    t = ex.trace
    kinds = {e.kind.value: e.step for e in reversed(t.events)}      # first step of each
    lines = {}
    for k in ("lock", "wait", "unlock", "wake", "acquired"):
        ex.step = kinds[k]
        lines[k] = ex.frame.mutex
        assert lines[k] in ex.w_caption.value
    assert lines == {
        "lock": "cgroup_mutex: held by read() #1 (the walk)",
        "wait": "cgroup_mutex: held by read() #1 (the walk); waiting: the writer "
                "(mkdir /new.slice)",
        "unlock": "cgroup_mutex: free; waiting: the writer (mkdir /new.slice)",
        "wake": "cgroup_mutex: free; the writer (mkdir /new.slice) woken, about to take it",
        "acquired": "cgroup_mutex: held by the writer (mkdir /new.slice) until its mkdir "
                    "is done"}
    ex.jump("cut")
    plain = Explorer(tree="systemd", background=False)
    plain.jump("cut")
    assert " 11 cgroups will never be reached" in plain.frame.why
    assert " 11 cgroups will never be reached" in ex.frame.why      # not /new.slice
    assert plain.frame.mutex == ""


def test_all_orders_legend_lists_the_states_the_player_shows():
    """The all-orders legend has the states of every step (yellow "current", blue
    "written"), not only those of the walks' ends."""
    ex = Explorer(tree="systemd", mode="orders", background=False, kernel="7.0")  # 5 orders
    texts = [t.get_text() for lg in ex.renderer.figure.findobj()
             if type(lg).__name__ == "Legend" for t in lg.get_texts()]
    assert "current: walk is here" in texts and "written, in the buffer" in texts


def test_all_orders_player_never_shows_the_same_picture_twice():
    """In the all-orders mode each slider position is a new picture (a step that changes
    no panel is skipped, so playing never seems to stall); the jumps land on the frame
    showing their step."""
    ex = Explorer(tree="systemd", mode="orders", background=False)
    pngs = []
    for i in range(ex.w_slider.max + 1):
        ex.step = i
        pngs.append(ex.frame.png)
    assert all(pngs[i] != pngs[i + 1] for i in range(len(pngs) - 1))
    assert ex.w_slider.max + 1 < ex.renderer.length          # some steps were the same
    ex.jump("end")
    assert ex.step == ex.w_slider.max
    ex.w_mode.value = "walk"                                  # one walk: every step again
    assert ex.w_slider.max + 1 == ex.renderer.length


def test_reads_after_the_end_only_when_asked():
    e = Explorer(tree="small", order="post", record_bytes=3000, step="end")
    assert e.walk.results == [30000, "EOPNOTSUPP"] and e.w_extra.value == 0   # as cat
    e.w_extra.value = 2                                   # the control asks for two more
    assert e.settings.extra_reads == 2
    assert e.walk.results == [30000, "EOPNOTSUPP", "EOPNOTSUPP", "EOPNOTSUPP"]
    e.jump("end")                                         # the read() table at the end
    assert e.w_reads.value.count("EOPNOTSUPP") == 3
    done = Explorer(tree="small", record_bytes=24, extra_reads=1, step="end")
    assert done.walk.results[-2:] == [0, 0] and done.w_extra.value == 1


def test_the_play_starts_where_the_slider_is():
    """In the browser the Play is jslinked to the slider, Play first: a page copies the
    Play's value onto the slider when it opens the explorer, so Explorer(step="cut") must
    move both, or it opens at step 0 in Voila and JupyterLab."""
    from cgiter_edu.widgets import Explorer

    ex = Explorer(tree="small", record_bytes=3000, step="cut")
    assert ex.frame.level == "cut" and ex.step > 0
    assert ex.w_play.value == ex.w_slider.value == ex.step
    ex.jump("start")
    assert ex.w_play.value == ex.w_slider.value == 0


def _overlaps(boxes) -> list[tuple[str, str]]:
    """Pairs of texts whose boxes overlap by more than half a pixel each way."""
    out = []
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            w = min(a.box[2], b.box[2]) - max(a.box[0], b.box[0])
            h = min(a.box[3], b.box[3]) - max(a.box[1], b.box[1])
            if w > 0.5 and h > 0.5:
                out.append((a.text, b.text))
    return out


@pytest.mark.parametrize("walk", ["default", "truncation", "writer", "random", "balanced"])
def test_picture_texts_readable_on_a_projector(walk):
    """Every text of the picture (the state legend's too) is at least 14 px once the
    picture is shown as wide as on a 1280x720 screen, and no two overlap, at every step:
    the default walk, the README's truncation walk, the writer story, and the trees of
    hundreds of cgroups (their names too many for a list at 14 px: an icicle)."""
    from cgiter_edu.widgets.picture import MIN_TEXT_PX

    kw = {"truncation": dict(tree="small", order="post", record_bytes=3000),
          "writer": dict(writer="/new.slice"), "random": dict(tree="random"),
          "balanced": dict(tree="balanced")}.get(walk, {})
    ex = Explorer(background=False, check_kernel=False, **kw)
    r = ex.renderer
    seen = set()
    for step in range(r.length):
        boxes = r.text_boxes(step)
        small = [(b.text, round(b.px, 1)) for b in boxes if b.px < MIN_TEXT_PX - 1e-6]
        assert not small, (walk, step, small)
        assert not _overlaps(boxes), (walk, step, _overlaps(boxes))
        seen |= {b.text for b in boxes}
    # what a class must read is there: the lanes, the buffer's pages, the tree's names
    assert {"read() calls", "cgroup_mutex", "page 7", "(state legend)"} <= seen
    assert ("new.slice" in seen) == (walk == "writer")
    assert ("level 1" in seen) == (walk in ("random", "balanced"))   # the icicle's rows
    assert ("n1" in seen) == (walk == "random")        # a name where it fits its bar
    # the seq_nums: in the markers where markers can grow to hold them at 14 px (the small
    # tree's tree view), in a margin left of each column for the 22 rows of the default
    # list (a class follows the walk by them: the first 11 cgroups, the 11th cut); the
    # icicle of hundreds has none
    numbers = {t for t in seen if t.isdigit()}
    assert numbers == (set() if walk in ("random", "balanced") else {str(i) for i in range(11)})
    margin = getattr(ex.renderer.views["walk"].geometry, "number_right", None)
    assert bool(margin) == (walk in ("default", "writer"))


def test_marker_numbers_are_measured():
    """text_boxes measures the numbers in the tree's markers (glyph paths, no Text): the
    explorer's at least 14 px, in their markers; drawn at the layout's own size (no
    min_number_font) the same numbers measure under 14 px, so the check above fails."""
    from matplotlib.figure import Figure

    from cgiter_edu.viz import WalkView
    from cgiter_edu.widgets.picture import (
        DPI,
        FIG_SIZE,
        MIN_TEXT_PX,
        PROJECTOR_WIDTH,
        _number_boxes,
    )

    ex = Explorer(tree="small", order="post", record_bytes=3000, background=False,
                  check_kernel=False)
    walk, last = ex.renderer.views["walk"], len(ex.trace) - 1
    boxes = {b.text: b for b in ex.renderer.text_boxes(last) if b.text.isdigit()}
    assert set(boxes) == set(walk.number_texts().values()) == {str(i) for i in range(11)}
    k = PROJECTOR_WIDTH / walk.figure.bbox.width
    for v, text in walk.number_texts().items():
        b, (x, y) = boxes[text], walk.ax.transData.transform(walk.geometry.xy[v])
        assert b.px >= MIN_TEXT_PX
        assert b.box[0] < x * k < b.box[2] and b.box[1] < y * k < b.box[3]   # centred
    fig = Figure(figsize=FIG_SIZE, dpi=DPI)
    old = WalkView(ex.trace, last, fig.add_axes((0.005, 0.365, 0.63, 0.63)), legend=False,
                   title=False, caption=False)
    small = _number_boxes(old, PROJECTOR_WIDTH / fig.bbox.width)
    assert len(small) == 11 and max(b.px for b in small) < MIN_TEXT_PX


def test_writers_cgroup_appears_when_it_is_made():
    """The writer story: /new.slice is not drawn before the writer, holding cgroup_mutex,
    makes it (the trace's ACQUIRED 'mkdir /new.slice'), and is from then on; at the cut
    it is not among the cgroups never reached; the mutex line says who holds and waits."""
    ex = Explorer(writer="/new.slice", background=False, check_kernel=False)
    t = ex.trace
    (cid, made), = t.made_during().items()
    assert t.cgroups[cid][0] == "/new.slice" and t[made].kind.value == "acquired"
    walk = ex.renderer.views["walk"]
    i = walk.index[cid]

    def drawn(step: int) -> bool:
        ex.step = step
        {b.text for b in ex.renderer.text_boxes(step)}
        return bool(walk.nodes.get_sizes()[i] > 0) and walk._later_labels[cid].get_visible()

    assert not drawn(0) and not drawn(made - 1) and drawn(made) and drawn(len(t) - 1)
    ex.jump("cut")
    cut = ex.step
    assert cut < made
    never = sum(1 for s in t.states(None).values() if s.value == "never")
    assert f"{never - 1} cgroups will never be reached" in ex.frame.why
    ex.step = 8
    assert ex.frame.mutex == ("cgroup_mutex: held by read() #1 (the walk); waiting: the writer "
                              "(mkdir /new.slice)")
    ex.step = made
    assert ex.frame.mutex.startswith("cgroup_mutex: held by the writer (mkdir /new.slice)")


@pytest.mark.parametrize("kernel", ["6.18", "7.0"])
def test_all_orders_texts_readable_on_a_projector(kernel):
    """All orders: titles, subtitles and the state legend at least 14 px at 1280x720 and
    none overlapping, at every position of the player; the legend is there with four
    panels too (Linux 6.18, two by two)."""
    from cgiter_edu.widgets.picture import MIN_TEXT_PX, PROJECTOR_WIDTH

    ex = Explorer(mode="orders", kernel=kernel, background=False, check_kernel=False)
    assert len(ex.renderer.views) == (4 if kernel == "6.18" else 5)
    for i in range(ex.w_slider.max + 1):
        ex.step = i
        boxes = ex.renderer.text_boxes(ex.frame.step)
        assert not [b.text for b in boxes if b.px < MIN_TEXT_PX - 1e-6], (kernel, i)
        assert not _overlaps(boxes), (kernel, i, _overlaps(boxes))
    texts = {b.text for b in boxes}
    assert "ANCESTORS_UP" in texts
    # laid out for 1280x720: no title of its own (the page says it) and every text inside
    # the picture; the panels take the height (0.83 of it under a title before)
    fig = ex.renderer.figure
    high = PROJECTOR_WIDTH * fig.bbox.height / fig.bbox.width
    assert not [t for t in texts if t.startswith("The cgroup_iter orders")]
    assert all(-0.5 <= b.box[1] and b.box[3] <= high + 0.5 for b in boxes), [
        (b.text, b.box) for b in boxes if b.box[3] > high + 0.5]
    axes = [v.ax.get_position() for v in ex.renderer.views.values()]
    assert max(a.y1 for a in axes) - min(a.y0 for a in axes) >= 0.86
    if kernel == "6.18":           # the note above it: one line of the page
        assert len(ex.frame.notes[0]) <= 80
    # visit numbers (checked above at 14 px) in the four panels two by two and in the
    # five of Linux 7.0 (their leaves' markers touch to hold two digits at 14 px): a
    # class follows each walk by its numbers
    assert {t for t in texts if t.isdigit()} >= {str(i) for i in range(1, 12)}
    assert all(v.numbers_mode == "visit" for v in ex.renderer.views.values())
    assert ("(state legend)" in texts) == (kernel == "6.18")   # 7.0: the sixth cell's legend


@pytest.mark.parametrize("kernel", ["6.18", "7.0"])
def test_all_orders_names_readable_on_a_projector(kernel):
    """All orders on a tree of few leaves: its names are drawn (they were 11.6 px), and
    they and the visit numbers are at least 14 px, none overlapping, at every step."""
    from cgiter_edu.widgets.picture import MIN_TEXT_PX

    h = Hierarchy()
    for p in ("/a", "/a/x", "/a/y", "/b", "/b/x", "/b/y", "/b/y/z", "/c"):
        h.mkdir(p)
    ex = Explorer(mode="orders", tree=h, kernel=kernel, background=False,
                  check_kernel=False)
    seen = set()
    for i in range(ex.w_slider.max + 1):
        ex.step = i
        boxes = ex.renderer.text_boxes(ex.frame.step)
        assert not [(b.text, b.px) for b in boxes if b.px < MIN_TEXT_PX - 1e-6], (kernel, i)
        assert not _overlaps(boxes), (kernel, i, _overlaps(boxes))
        seen |= {b.text for b in boxes}
    assert {"a", "b", "c", "x", "y", "z", "/"} <= seen
    assert {str(i) for i in range(1, 10)} <= seen       # DESCENDANTS_PRE numbers all 9
