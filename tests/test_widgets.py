"""The explorer (cgiter_edu.widgets), driven from Python: every control, what each
step shows, bad input, and no stale frames after many changes."""

from __future__ import annotations

import pytest

pytest.importorskip("ipywidgets")

from cgiter_edu import Order  # noqa: E402
from cgiter_edu.widgets import Explorer  # noqa: E402


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
    assert "⚠" not in ex.w_error.value                  # no error: this is the kernel's outcome
    assert "cg-why-cut" in ex.w_caption.value
    assert f.png[:4] == b"\x89PNG" and ex.w_image.value == f.png
    ex.jump("end")
    assert ex.frame.reads == ["30000 B", "EOPNOTSUPP", "EOPNOTSUPP", "EOPNOTSUPP"]


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
