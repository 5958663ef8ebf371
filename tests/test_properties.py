"""Hypothesis: on random trees each order is a plain networkx traversal, the buffer never
holds more than size - 1 bytes, and what read() returns is exactly what the program
wrote and the kernel kept, in order."""

import networkx as nx
from hypothesis import given, settings
from hypothesis import strategies as st

from cgiter_edu import EventKind, Hierarchy, KernelConfig, Order, attach, programs

ORDERS = [Order.SELF_ONLY, Order.DESCENDANTS_PRE, Order.DESCENDANTS_POST, Order.ANCESTORS_UP,
          Order.CHILDREN]


@st.composite
def trees(draw, max_size=60):
    parents = draw(st.lists(st.integers(0, 10**6), max_size=max_size))
    dead = draw(st.lists(st.booleans(), min_size=len(parents), max_size=len(parents)))
    h = Hierarchy()
    paths = ["/"]
    for i, p in enumerate(parents):
        parent = paths[p % len(paths)]
        path = f"/n{i}" if parent == "/" else f"{parent}/n{i}"
        h.mkdir(path)
        paths.append(path)
    # kill some leaves (deepest first so a dead parent has only dead children)
    for path, d in sorted(zip(paths[1:], dead, strict=True), key=lambda x: -x[0].count("/")):
        if d and not any(c.dead is False for c in h.children(path)):
            h.kill(path)
    live = [c.path for c in h if not c.dead]
    start = live[draw(st.integers(0, len(live) - 1))]
    return h, start


def expected_order(h, order, start):
    g = h.graph
    s = h.id_of(start)
    if order == Order.SELF_ONLY:
        return [s]
    if order == Order.DESCENDANTS_PRE:
        return list(nx.dfs_preorder_nodes(g, s))
    if order == Order.DESCENDANTS_POST:
        return list(nx.dfs_postorder_nodes(g, s))
    if order == Order.ANCESTORS_UP:
        return list(reversed(nx.shortest_path(g, h.root.id, s)))
    return list(g.successors(s))


@settings(max_examples=150, deadline=None)
@given(trees(), st.sampled_from(ORDERS))
def test_each_order_is_a_networkx_traversal(tree, order):
    h, start = tree
    prog = programs.Record(rec_bytes=24)
    with attach(h, prog, order, cgroup_id=h.id_of(start),
                kernel=KernelConfig.preset("7.0")) as link, \
            link.create(trace=True) as f:
        out = f.readall(1 << 20)
    want = expected_order(h, order, start)
    assert f.trace.visit_order() == want
    live = [i for i in want if not h.cgroup(i).dead]
    got = [int(line.split()[1]) for line in out.decode().splitlines() if line.startswith("C ")]
    assert got == live
    # seq_num counts every object the walk reached, dead ones too
    seqs = [int(line.split()[2]) for line in out.decode().splitlines() if line.startswith("C ")]
    assert seqs == [want.index(i) for i in live]


@settings(max_examples=150, deadline=None)
@given(trees(max_size=40), st.sampled_from(ORDERS[1:3]), st.integers(0, 1500),
       st.integers(1, 9000), st.sampled_from([None, 3]))
def test_buffer_bound_and_reads_return_what_was_kept(tree, order, rec_bytes, read_size, stop):
    h, start = tree
    kernel = KernelConfig(page_size=4096)
    size = kernel.buffer_size
    stop_id = None if stop is None else h.cgroups()[min(stop, len(h) - 1)].id
    prog = programs.Record(rec_bytes=rec_bytes, stop_id=stop_id)
    with attach(h, prog, order, cgroup_id=h.id_of(start), kernel=kernel) as link, \
            link.create(trace=True) as f:
        output = b""
        for _ in range(10_000):
            try:
                chunk = f.read(read_size)
            except OSError:
                break
            if not chunk:
                break
            output += chunk
        events = f.trace.events
    cur = bytearray()
    copied = b""
    for e in events:
        if e.kind is EventKind.SHOW:
            if all(r == 0 for _, r in e.writes):
                assert e.count_after <= size - 1
            else:
                assert e.count_after == size              # overflowed: the flag
            cur += e.written
        elif e.kind is EventKind.ROLLBACK:
            assert e.count_after <= size - 1
            del cur[e.count_after:]
        elif e.kind is EventKind.COPY:
            assert e.count_before <= size - 1
            assert e.data == bytes(cur[:len(e.data)])
            del cur[:len(e.data)]
            copied += e.data
        elif e.kind is EventKind.RETURN and e.result is not None:
            assert e.result <= min(read_size, size - 1)
    assert copied == output
