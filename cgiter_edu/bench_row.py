"""One row of ``cgiter-edu bench``'s report: a measured figure beside its target.

Every part of the benchmark (:mod:`cgiter_edu.cli.cmd_bench`, the kernel's
:mod:`~cgiter_edu.live.walk_timing`, the pictures' :mod:`~cgiter_edu.viz.draw_timing`,
the class's :mod:`~cgiter_edu.classbench.class_timing`) prints its rows with :func:`row`,
so they line up.
"""

from __future__ import annotations


def row(what: str, value: str, target: str = "", good: bool = True) -> bool:
    """Print one benchmark row: the figure, then its target and ``ok``/``MISSED`` when
    it has a target (a figure given only to compare with has none).  Returns ``good``.

    >>> row("emulator / networkx", "1.19x", "<= 1.5x", True)
      emulator / networkx                                           1.19x   target <= 1.5x          ok
    True
    >>> row("networkx, same run", "7.0 ms")
      networkx, same run                                           7.0 ms
    True
    """
    if not target:
        print(f"  {what:<52} {value:>14}")
        return True
    print(f"  {what:<52} {value:>14}   target {target:<16} {'ok' if good else 'MISSED'}")
    return good
