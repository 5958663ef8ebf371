"""run(): the API a student calls first, hard to misuse."""

from cgiter_edu import Hierarchy, Order, programs, run, shapes
from cgiter_edu.run import TRACE_LIMIT


def test_a_small_walk_has_its_trace_without_asking():
    r = run(shapes.balanced(2, 100), programs.Record(rec_bytes=64), Order.DESCENDANTS_PRE)
    assert r.trace is not None
    assert r.trace.counts() == {"walked": 512, "dead": 0, "delivered": 511, "lost": 1,
                                "unshown": 0, "never": 9589, "buffered": 0}
    assert run(Hierarchy(), programs.id_printer, trace=False).trace is None
    assert TRACE_LIMIT >= 100_000


def test_printing_a_result_sums_it_up_instead_of_dumping_the_bytes():
    r = run(shapes.balanced(2, 100), programs.Record(rec_bytes=64), Order.DESCENDANTS_PRE)
    assert len(r.output) == 32704
    assert repr(r) == ("<RunResult emulator, read_size=131072, 2 reads [32704, 'EOPNOTSUPP'], "
                       f"32704 bytes, trace of {len(r.trace)} steps>")
    r = run(shapes.balanced(2, 100), programs.Record(rec_bytes=64), Order.DESCENDANTS_PRE,
            read_size=1)
    assert repr(r) == ("<RunResult emulator, read_size=1, 65 reads [1, 1, 1, 1, '...', "
                       f"1, 'EOPNOTSUPP'], 64 bytes, trace of {len(r.trace)} steps>")
    r = run(Hierarchy(), programs.id_printer, 7)
    assert repr(r) == "<RunResult emulator, read_size=131072, attach failed: EINVAL, no trace>"


def test_run_reads_like_cat_and_more_only_when_asked():
    """cat stops at the first read() that returns 0 or fails; so does run(), unless asked
    for more reads (what comes after: 0 again, EOPNOTSUPP again)."""
    h = Hierarchy()
    h.mkdir("/a")
    assert run(h, programs.id_printer).results == [36, 0]
    assert run(h, programs.id_printer, extra_reads=2).results == [36, 0, 0, 0]
    big = shapes.balanced(2, 100)
    rec = programs.Record(rec_bytes=64)
    assert run(big, rec, read_size=4097).results == [4097, 63, "EOPNOTSUPP"]
    assert run(big, rec, read_size=4097, extra_reads=1).results == [4097, 63, "EOPNOTSUPP",
                                                                   "EOPNOTSUPP"]
