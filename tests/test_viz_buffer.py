"""The seq_file buffer pictures replay the trace's byte counts and read() results."""

from __future__ import annotations

import pytest
from vizkit import CASES, case_trace, make_trace

from cgiter_edu import Order, shapes
from cgiter_edu.events import EventKind
from cgiter_edu.names import errno_symbol
from cgiter_edu.viz import buffer_view as buffer
from cgiter_edu.viz import words

# -- the buffer -------------------------------------------------------------------------

def test_buffer_shows_the_511_records_and_the_rollback():
    res, tr = make_trace(shapes.balanced(2, 30), rec=64)
    v = buffer.plot_buffer(tr)
    counts = v.byte_counts()
    assert counts["copied"] == 511 * 64 == 32704 == res.reads[0][0]
    assert counts["buffered"] == 0
    assert counts["ghost"] == 64
    assert v.read_labels()[:2] == ["32704 B", "EOPNOTSUPP"]
    assert [r for r in v.read_labels()] == [words.result_text(e) for e in tr.reads]


@pytest.mark.parametrize("case", sorted(CASES))
def test_buffer_bars_match_the_trace_byte_counts(case):
    _res, tr = case_trace(case)
    v = buffer.plot_buffer(tr)
    strip = buffer.BufferStrip(tr)
    copied = 0
    fill = 0
    for e in tr.events:
        v.update(e.step)
        strip.update(e.step)
        c = v.byte_counts()
        if e.kind is EventKind.SHOW:
            if e.count_before == 0:
                copied = 0
            fill = e.count_after
            assert c["copied"] + c["buffered"] == e.count_after
        elif e.kind is EventKind.ROLLBACK and e.cgroup is not None:
            fill = e.count_after
            assert c["copied"] + c["buffered"] == e.count_after
        elif e.kind is EventKind.COPY:
            copied += len(e.data)
            assert c["copied"] == copied
            assert c["buffered"] == e.count_after
            assert c["copied"] + c["buffered"] == fill
        assert strip.byte_counts()["copied"] + strip.byte_counts()["buffered"] == \
            c["copied"] + c["buffered"]


def test_buffer_read_results_listed_as_the_reads_returned():
    res, tr = make_trace(read_size=300)
    v = buffer.plot_buffer(tr, max_reads_listed=100)
    want = [f"{n} B" if n > 0 else ("0 (end of file)" if n == 0 else errno_symbol(-n))
            for n, _d in res.reads]
    assert v.read_labels() == want




def test_buffer_legend_lists_only_the_kinds_of_byte_shown():
    _res, tr = make_trace(shapes.balanced(2, 30), rec=64)
    v = buffer.plot_buffer(tr)                   # all copied, one record rolled back
    labels = [t.get_text() for t in v.legend.get_texts()]
    assert labels == ["copied to user space", "rolled back", "never usable"]
    first_show = tr.of_kind(EventKind.SHOW)[0].step
    v2 = buffer.plot_buffer(tr, step=first_show)  # one record, still in the buffer
    labels = [t.get_text() for t in v2.legend.get_texts()]
    assert labels == ["in the buffer", "free", "never usable"]


def test_bytes_in_the_buffer_are_dotted_not_only_blue():
    """Copied (green) and still in the buffer (blue) are told apart without colour: the
    bytes in the buffer are dotted, in the picture, the animation's strip and the
    legend; copied bytes are plain."""
    _res, tr = make_trace(rec=3000, order=Order.DESCENDANTS_POST, read_size=8192)
    step = next(s for s in range(len(tr.events))
                if (lambda c: c["copied"] > 0 and c["buffered"] > 0)(
                    buffer.plot_buffer(tr, step=s).byte_counts()))
    v = buffer.plot_buffer(tr, step=step)
    assert v.bars["buffered"].get_hatch() == ".."
    assert not v.bars["copied"].get_hatch()
    legend = {t.get_text(): h for t, h in zip(v.legend.get_texts(), v.legend.legend_handles,
                                              strict=True)}
    assert legend["in the buffer"].get_hatch() == ".."
    assert not legend["copied to user space"].get_hatch()
    strip = buffer.BufferStrip(tr, step)
    assert strip.bars["buffered"].get_hatch() == ".."
