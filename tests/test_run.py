"""run(): the API a student calls first, hard to misuse."""

from cgiter_edu import Hierarchy, Order, programs, run, shapes
from cgiter_edu.run import TRACE_LIMIT


def test_a_small_walk_has_its_trace_without_asking():
    r = run(shapes.balanced(2, 100), programs.Record(rec_bytes=64), Order.DESCENDANTS_PRE)
    assert r.trace is not None
    assert r.trace.counts() == {"walked": 512, "dead": 0, "delivered": 511, "lost": 1,
                                "never": 9589, "buffered": 0}
    assert run(Hierarchy(), programs.id_printer, trace=False).trace is None
    assert TRACE_LIMIT >= 100_000


def test_printing_a_result_sums_it_up_instead_of_dumping_the_bytes():
    r = run(shapes.balanced(2, 100), programs.Record(rec_bytes=64), Order.DESCENDANTS_PRE)
    assert len(r.output) == 32704
    assert repr(r) == ("<RunResult emulator, read_size=131072, 4 reads [32704, 'EOPNOTSUPP', "
                       "'EOPNOTSUPP', 'EOPNOTSUPP'], 32704 bytes, trace of "
                       f"{len(r.trace)} steps>")
    r = run(shapes.balanced(2, 100), programs.Record(rec_bytes=64), Order.DESCENDANTS_PRE,
            read_size=1)
    assert repr(r) == ("<RunResult emulator, read_size=1, 67 reads [1, 1, 1, 1, '...', "
                       "'EOPNOTSUPP', 'EOPNOTSUPP'], 64 bytes, trace of "
                       f"{len(r.trace)} steps>")
    r = run(Hierarchy(), programs.id_printer, 7)
    assert repr(r) == "<RunResult emulator, read_size=131072, attach failed: EINVAL, no trace>"
