"""The ``cgiter-edu`` command.

``cgiter-edu walk`` is the main job: it attaches a BPF program to the emulated cgroup
iterator, reads the iterator file the way ``cat`` on a pinned iterator does, prints
what ``cat`` would print, and explains on stderr what happened.

Example::

    $ cgiter-edu walk                                  # the default systemd host, pre-order
    $ cgiter-edu walk --order post --start /user.slice
    $ cgiter-edu walk --tree balanced --record-bytes 64 --read-size 4096
    $ cgiter-edu capacity --record-bytes 64
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Any

from . import programs, shapes
from .hierarchy import Hierarchy
from .kernel.cgroup_iter import Order
from .kernel.config import PAGE_SIZES, KernelConfig
from .kernel.seq_file import capacity
from .run import RunResult, errno_name, errno_symbol, run

EPILOG_WALK = """\
what you see:
  stdout gets exactly the bytes read() returned, as `cat /sys/fs/bpf/<pinned iter>` would
  print them; stderr says how many read() calls there were, what each returned, how many
  cgroups the walk reached, delivered or lost, and why it ended.

things to try:
  cgiter-edu walk --order post                      # children before parents
  cgiter-edu walk --order up --start /user.slice/user-1000.slice
  cgiter-edu walk --order children --kernel 7.0     # EINVAL with --kernel 6.18
  cgiter-edu walk --tree big --program silent       # 1,001,001 cgroups: EAGAIN
  cgiter-edu walk --tree balanced --record-bytes 64 # 8 pages hold 511 records: EOPNOTSUPP
  cgiter-edu walk --record-bytes 64 --read-size 4096 --tree balanced
  cgiter-edu walk --stop-at /system.slice           # the program returns 1 there
"""


def add_walk_args(p: argparse.ArgumentParser) -> None:
    """The flags every walking subcommand shares (walk, plot, animate, live)."""
    g = p.add_argument_group("the walk")
    g.add_argument("--tree", default="systemd", metavar="SHAPE|FILE.json",
                   help="the hierarchy: a shape (" + ", ".join(shapes.BY_NAME) + "), sysfs "
                        "(this machine's real cgroup v2 tree, read-only) or a JSON file saved "
                        "by Hierarchy.to_json / `cgiter-edu tree --json` (default: systemd, a "
                        "systemd host with one dead session)")
    g.add_argument("--order", default="pre", metavar="ORDER",
                   help="walk order: pre, post, up (ancestors), self, children (Linux 7.0+), "
                        "or a raw number such as 0 or 7 to see EINVAL (default: pre)")
    g.add_argument("--start", default=None, metavar="PATH",
                   help="start cgroup, attached by an fd opened on it (default: the root, "
                        "neither fd nor id)")
    g.add_argument("--start-id", type=int, default=None, metavar="ID",
                   help="start cgroup by id (cgroup_id); with --start too: EINVAL")
    g.add_argument("--program", choices=["ids", "paths", "record", "silent"], default=None,
                   help="the BPF program: ids = the kernel selftest's id printer (default), "
                        "paths, record (fixed-size records, see --record-bytes), silent")
    g.add_argument("--record-bytes", type=int, default=None, metavar="N",
                   help="bytes each cgroup's record takes (implies --program record; "
                        "at least 24)")
    g.add_argument("--stop-at", default=None, metavar="PATH",
                   help="the program returns 1 at this cgroup: early termination "
                        "(implies --program record)")
    g.add_argument("--page-size", type=int, default=4096, choices=PAGE_SIZES,
                   help="PAGE_SIZE; the buffer is 8 pages (default: 4096)")
    g.add_argument("--read-size", type=int, default=None, metavar="N",
                   help="bytes each read() asks for (default: 131072, what cat asks)")
    g.add_argument("--kernel", default="7.0", metavar="X.Y",
                   help="kernel version to behave as: 6.1, 6.18 or 7.0 (default: 7.0)")


def load_tree(spec: str) -> Hierarchy:
    """A shape name or a saved JSON file."""
    if spec in shapes.BY_NAME:
        return shapes.BY_NAME[spec]()
    if spec == "sysfs":
        return shapes.from_sysfs()
    if os.path.exists(spec):
        return Hierarchy.from_json(spec)
    raise SystemExit(f"cgiter-edu: --tree {spec!r} is neither a shape "
                     f"({', '.join(shapes.BY_NAME)}, sysfs) nor a JSON file")


def program_from_args(args: argparse.Namespace, h: Hierarchy) -> Any:
    """The program the flags ask for."""
    name = args.program
    if name is None:
        name = "record" if (args.record_bytes is not None or args.stop_at) else "ids"
    if name == "record":
        stop_id = None
        if args.stop_at:
            try:
                stop_id = h.id_of(args.stop_at)
            except KeyError:
                raise SystemExit(f"cgiter-edu: --stop-at {args.stop_at!r}: no such cgroup") \
                    from None
        rb = args.record_bytes if args.record_bytes is not None else 24
        if rb < 0:
            raise SystemExit(f"cgiter-edu: --record-bytes must be >= 0, not {rb}")
        return programs.Record(rec_bytes=rb, stop_id=stop_id)
    if args.record_bytes is not None or args.stop_at:
        raise SystemExit(f"cgiter-edu: --record-bytes and --stop-at need --program record, "
                         f"not {name}")
    return programs.BY_NAME[name]


def walk_from_args(args: argparse.Namespace, trace: bool | None = True,
                   extra_reads: int = 0) -> RunResult:
    """Build the hierarchy and run the walk the flags describe (used by walk, plot,
    animate).  ``trace=None``: record a trace unless the tree has more than
    ``TRACE_LIMIT`` cgroups."""
    h = load_tree(args.tree)
    if trace is None:
        trace = len(h) <= TRACE_LIMIT
    prog = program_from_args(args, h)
    try:
        order = Order.parse(args.order)
        kernel = KernelConfig.preset(args.kernel, page_size=args.page_size)
    except ValueError as e:
        raise SystemExit(f"cgiter-edu: {e}") from None
    read_size = args.read_size if args.read_size is not None else 131072
    if args.start is not None and args.start not in h:
        raise SystemExit(f"cgiter-edu: --start {args.start!r}: no such cgroup")
    return run(h, prog, order, args.start, cgroup_id=args.start_id, read_size=read_size,
               kernel=kernel, trace=trace, extra_reads=extra_reads)


def describe(res: RunResult) -> str:
    """The stderr summary of a walk."""
    lines = []
    if res.attach_errno:
        lines.append(f"attach: {res.attach_error}")
        return "\n".join(lines)
    for i, (n, _d) in enumerate(res.reads):
        what = f"{n} bytes" if n > 0 else ("0 (end of file)" if n == 0 else errno_name(-n))
        lines.append(f"read #{i + 1} ({res.read_size} bytes asked): {what}")
    lines.append(f"total: {len(res.output)} bytes")
    t = res.trace
    if t is not None:
        c = t.counts()
        lines.append(f"cgroups: {c['walked']} walked ({c['dead']} dead, skipped), "
                     f"{c['delivered']} delivered, {c['lost']} lost to the page limit, "
                     f"{c['never']} never reached")
        reason = t.end_reason
        lines.append("ended: " + _REASONS.get(reason.value if reason else "", "the walk did "
                                              "not end in these reads"))
    return "\n".join(lines)


_REASONS = {
    "complete": "the walk visited every cgroup (next() returned NULL); the epilogue ran",
    "program": "the program returned non-zero: early termination; the epilogue ran",
    "buffer_full": "the next record did not fit in the 8-page seq_file buffer (count + len < "
                   "size fails): rolled back, the walk was cut; later reads give EOPNOTSUPP",
    "e2big": "the first record alone did not fit in the buffer: E2BIG",
    "read_size": "the buffer held the read() size, so the walk stopped before the next "
                 "cgroup; the mutex was dropped and the walk cannot resume (EOPNOTSUPP)",
    "max_iter_objects": "MAX_ITER_OBJECTS (1,000,000) objects in one read(): EAGAIN if "
                        "nothing was written",
    "program_error": "the Python program raised",
}


#: above this many cgroups `walk` records no trace unless --trace is given (memory, time)
TRACE_LIMIT = 100_000


def cmd_walk(args: argparse.Namespace) -> int:
    res = walk_from_args(args, trace=args.trace)
    if args.trace is None and res.trace is None:
        print(f"cgiter-edu: {len(res.hierarchy):,} cgroups: no trace recorded (so no cgroup "
              "counts below); --trace records one anyway", file=sys.stderr)
    if args.json:
        d = res.to_dict()
        d["output"] = res.output.decode("utf-8", "replace")
        d["results"] = res.results
        if res.trace is not None:
            d["counts"] = res.trace.counts()
            d["end"] = res.trace.end_reason.value if res.trace.end_reason else None
        print(json.dumps(d, indent=1))
    else:
        out = sys.stdout.buffer
        for _n, data in res.reads:
            out.write(data)
        out.flush()
        if res.attach_errno:
            print(f"cgiter-edu: attach: {errno_symbol(res.attach_errno)}: {res.attach_error}",
                  file=sys.stderr)
        elif res.final_errno:
            print(f"cgiter-edu: read: {errno_name(res.final_errno)}", file=sys.stderr)
    if not args.quiet:
        print("--", file=sys.stderr)
        print(describe(res), file=sys.stderr)
    return 1 if res.final_errno else 0


def cmd_capacity(args: argparse.Namespace) -> int:
    rb = args.record_bytes
    if rb <= 0:
        raise SystemExit(f"cgiter-edu: --record-bytes must be positive, not {rb}")
    size = args.page_size << 3
    n = capacity(rb, args.page_size, args.epilogue_bytes)
    naive = size // rb
    print(f"{n} records of {rb} bytes fit in one cgroup_iter session")
    print(f"  buffer: PAGE_SIZE << 3 = {args.page_size} << 3 = {size} bytes")
    print(f"  seq_write() appends only if count + len < size (strictly less), so at most "
          f"{size - 1} bytes are ever used" + (f", {args.epilogue_bytes} of them kept for the "
                                               "epilogue" if args.epilogue_bytes else ""))
    print(f"  ({size - 1 - args.epilogue_bytes}) // {rb} = {n}  ->  {n * rb} bytes")
    if naive != n:
        print(f"  the commit message's count, {size} / {rb} = {naive}, is {naive - n} too many: "
              f"record {n + 1} would end exactly at byte {(n + 1) * rb}, which the strict < "
              "refuses; the next read() then gives EOPNOTSUPP")
    return 0


def cmd_tree(args: argparse.Namespace) -> int:
    h = load_tree(args.tree)
    if args.json:
        print(h.to_json())
        return 0
    for c in h.cgroups():
        print(f"{c.id:>8} {'  ' * c.level}{c.name or '/'}{'  (dead)' if c.dead else ''}")
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from .bench import main as bench_main

    return bench_main(quick=args.quick, parts=args.parts)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="cgiter-edu",
        description="See how the Linux BPF cgroup iterator (cgroup_iter) walks the cgroup "
                    "hierarchy: an emulator that gives what the kernel gives, byte for byte "
                    "and errno for errno.",
        epilog="Start with `cgiter-edu walk`, then `cgiter-edu walk --help`.",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", metavar="COMMAND")
    sub.required = True

    w = sub.add_parser("walk", help="walk a hierarchy and print what cat would print",
                       description="Attach a BPF program to the emulated cgroup iterator, "
                                   "read the iterator file like cat, print the bytes; explain "
                                   "on stderr.", epilog=EPILOG_WALK,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    add_walk_args(w)
    w.add_argument("--json", action="store_true",
                   help="print the reads, counts and end reason as JSON instead of the bytes")
    w.add_argument("--quiet", "-q", action="store_true", help="no summary on stderr")
    w.add_argument("--trace", dest="trace", action="store_true", default=None,
                   help="record a trace even for a huge tree (for the cgroup counts)")
    w.add_argument("--no-trace", dest="trace", action="store_false",
                   help="do not record a trace (faster on huge trees; no cgroup counts)")
    w.set_defaults(func=cmd_walk)

    c = sub.add_parser("capacity", help="how many records fit in the 8-page buffer, and why "
                                        "the commit message's 512 is one too many",
                       description="How many fixed-size records one cgroup_iter session "
                                   "can hold.")
    c.add_argument("--record-bytes", type=int, required=True, metavar="N")
    c.add_argument("--page-size", type=int, default=4096, choices=PAGE_SIZES)
    c.add_argument("--epilogue-bytes", type=int, default=0, metavar="N",
                   help="bytes the epilogue writes at the end (default 0)")
    c.set_defaults(func=cmd_capacity)

    t = sub.add_parser("tree", help="print a hierarchy (or save it as JSON)")
    t.add_argument("--tree", default="systemd", metavar="SHAPE|FILE.json")
    t.add_argument("--json", action="store_true", help="print Hierarchy.to_json()")
    t.set_defaults(func=cmd_tree)

    b = sub.add_parser("bench", help="benchmark the emulator against networkx and the kernel",
                       description="Print measured figures next to their targets.")
    b.add_argument("--quick", action="store_true", help="skip the 1,001,001-cgroup part")
    b.add_argument("--parts", nargs="*", default=None,
                   help="only these parts: walk, big, live, viz")
    b.set_defaults(func=cmd_bench)

    _optional(sub, "cgiter_edu.live.cli", ("add_live_parser", "add_record_parser"))
    _optional(sub, "cgiter_edu.viz.cli", ("add_plot_parser", "add_animate_parser"))
    _optional(sub, "cgiter_edu.exercises", ("add_quiz_parser",))
    return p


def _optional(sub: Any, module: str, names: tuple[str, ...]) -> None:
    """Subcommands that live beside their parts (live backend, pictures)."""
    import importlib

    try:
        mod = importlib.import_module(module)
    except ModuleNotFoundError as e:
        if e.name is not None and module.startswith(e.name):
            return                      # that part is not installed
        raise
    for name in names:
        fn = getattr(mod, name, None)
        if fn is not None:
            fn(sub, add_walk_args)


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``cgiter-edu``."""
    args = build_parser().parse_args(argv)
    t0 = time.perf_counter()
    try:
        return args.func(args)
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        print(f"cgiter-edu: interrupted after {time.perf_counter() - t0:.1f} s", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

__all__ = ["add_walk_args", "build_parser", "errno_symbol", "main", "walk_from_args"]
