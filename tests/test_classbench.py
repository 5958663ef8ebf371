"""The class benchmark's machinery on a real JupyterHub (``cgiter-edu bench --parts
class``): two simulated students do the whole lesson through the hub's proxy, and
nothing the run started is left running.  No timing is asserted (figures belong to the
benchmark)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid

from conftest import need

from cgiter_edu.classbench import procs
from cgiter_edu.classbench.hub import missing
from cgiter_edu.classbench.student import _decode


def test_decode_reads_both_websocket_frames():
    import struct

    text = json.dumps({"header": {"msg_type": "status"}})
    assert _decode(text)["header"]["msg_type"] == "status"
    body = json.dumps({"header": {"msg_type": "comm_msg"}}).encode()
    offsets = [4 * 3, 4 * 3 + len(body)]
    raw = struct.pack("!3I", 2, *offsets) + body + b"\x89PNG"
    assert _decode(raw)["header"]["msg_type"] == "comm_msg"


def test_marked_finds_a_marked_process_and_sweep_ends_it():
    run = f"class-test-{uuid.uuid4().hex[:8]}"
    p = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"],
                         env={**os.environ, procs.MARK: run})
    try:
        import time
        for _ in range(50):                 # the environment is readable once exec'd
            if procs.marked(run):
                break
            time.sleep(0.1)
        assert [x.pid for x in procs.marked(run)] == [p.pid]
        assert [x.pid for x in procs.sweep(run, grace=5)] == [p.pid]
        assert procs.marked(run) == []       # ended (a zombie is not listed either)
        assert p.poll() is not None
    finally:
        p.kill()
        p.wait()


def test_two_students_on_a_real_hub_and_nothing_left(tmp_path):
    why = missing()
    need(not why, why, browser=True)
    run = f"class-test-{uuid.uuid4().hex[:8]}"
    out = tmp_path / "class.json"
    p = subprocess.run([sys.executable, "-m", "cgiter_edu", "bench", "--parts", "class",
                        "--students", "2", "--class-json", str(out)],
                       env={**os.environ, procs.MARK: run}, capture_output=True, text=True,
                       timeout=900)
    assert out.exists(), p.stdout + p.stderr
    (r,) = json.loads(out.read_text())
    assert r["run"] == run
    assert r["failures"] == [], r["failures"]
    # hub, proxy, two servers, two kernels were all running, marked, during the lesson
    assert r["processes"] == 6, p.stdout
    assert len(r["student_pss_kib"]) == 2 and min(r["student_pss_kib"]) > 0
    assert len(r["kernel_pss_kib"]) == 2 and min(r["kernel_pss_kib"]) > 0
    kinds = [w for w, _t in r["samples"]]
    # each student: open, order, 12 play ticks, 40 steps, the cut, the quiz
    for what, count in [("open", 2), ("order", 2), ("play", 24), ("step", 80), ("cut", 2),
                        ("quiz", 2)]:
        assert kinds.count(what) == count, (what, kinds.count(what))
    # the hub stopped everything itself, and nothing of the run is alive now
    assert r["left"] == [] and r["left_after_sweep"] == []
    assert procs.marked(run) == []
    assert "processes left after the hub stopped" in p.stdout


def test_docstring_examples_run():
    import doctest

    import cgiter_edu.classbench.procs as mod

    assert doctest.testmod(mod).failed == 0
