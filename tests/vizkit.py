"""Helpers shared by the tests of the pictures (tests/test_viz_*.py)."""

from __future__ import annotations

from cgiter_edu import KernelConfig, Order, programs, run, shapes

K70 = KernelConfig.preset("7.0")
#: a 16:9 picture alone on a deck's slide is 630 px high (the slides template's
#: max-height; the lessons' PNGs are larger, shown shrunk to it): px per figure inch
SLIDE_PX_PER_INCH = 630 / 9


def number_px(view) -> float:
    """The font size of the numbers in a :class:`~cgiter_edu.viz.WalkView`'s markers, in
    px where a deck shows its 16:9 figure (:data:`SLIDE_PX_PER_INCH`)."""
    return view.geometry.number_font * view.scale / 72 * SLIDE_PX_PER_INCH


def make_trace(h=None, order=Order.DESCENDANTS_PRE, rec=64, read_size=131072, start=None,
               kernel=K70, **prog):
    """Run a walk with tracing on (the systemd host by default): ``(result, trace)``."""
    h = shapes.systemd_host() if h is None else h
    res = run(h, programs.Record(rec_bytes=rec, **prog), order, start, read_size=read_size,
              kernel=kernel, trace=True)
    assert res.trace is not None
    return res, res.trace


def some_steps(trace, k=12):
    """``k`` steps spread over the trace, and None (after the last step)."""
    n = len(trace.events)
    return sorted({round(i * (n - 1) / (k - 1)) for i in range(k)} | {None}, key=lambda s:
                  -1 if s is None else s)


#: walks that end in each way, on the systemd host
CASES = {
    "pre": dict(order=Order.DESCENDANTS_PRE),
    "post-cut": dict(order=Order.DESCENDANTS_POST, rec=3000),
    "read-size": dict(order=Order.DESCENDANTS_PRE, read_size=200),
    "up": dict(order=Order.ANCESTORS_UP, start="/user.slice/user-1000.slice"),
    "children": dict(order=Order.CHILDREN, start="/system.slice"),
    "self": dict(order=Order.SELF_ONLY, start="/init.scope"),
    "stop": dict(order=Order.DESCENDANTS_PRE, stop_id="sshd"),
}


def case_trace(case):
    """The trace of one of :data:`CASES`."""
    kw = dict(CASES[case])
    h = shapes.systemd_host()
    if kw.get("stop_id") == "sshd":
        kw["stop_id"] = h.id_of("/system.slice/sshd.service")
    return make_trace(h, **kw)
