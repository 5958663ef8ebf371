"""``cgiter-edu walk --open-coded``: the same walk flags, walked by an open-coded loop.

A ``SEC("syscall")`` program (:func:`cgiter_edu.opencoded.css_walk`, twin of
``css_walk`` in ``cgiter_edu/live/opencoded.bpf.c``) runs once: ``bpf_cgroup_from_id``
on the start, ``bpf_rcu_read_lock()``, ``bpf_iter_css_new/next/destroy`` with the
order as flags, one 16-byte record per cgroup into a BPF ring buffer.  User space then
reads the ring buffer and prints one line per record, as the id printer does
(``%8llu``), an offline cgroup marked ``(dead)``: the loop does not skip dead cgroups,
the reader has to.  Exit status 1 when the program did not load, when
``bpf_iter_css_new`` refused the flags (the loop ran zero times), or when records were
dropped (the ring buffer was full: ``bpf_ringbuf_output`` returned EAGAIN).

Example::

    >>> import argparse; from cgiter_edu.clihelpers import add_walk_args
    >>> p = argparse.ArgumentParser(); add_walk_args(p); add_open_args(p)
    >>> print(open_walk_text(p.parse_args(["--tree", "small", "--order", "up",
    ...                                    "--start", "/c1/c2"]))[0], end="")
           9
           6
           1
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from ..clihelpers import CliError, add_number, kernel_from_args, load_tree, order_from_args
from ..kernel.config import PAGE_SIZES
from ..names import errno_symbol
from ..opencoded import RingBuffer, WalkResult, css_walk

#: the ring buffer's default size (what opencoded.bpf.c's rb_small has)
RING_BYTES = 4096
#: the largest ring buffer --ring-bytes takes (the kernel allows far more; a class does not
#: need it)
RING_BYTES_MAX = 1 << 30
#: flags of the walk subcommand that mean nothing to an open-coded walk
UNUSED = {"program": "--program", "record_bytes": "--record-bytes", "stop_at": "--stop-at",
          "read_size": "--read-size"}


def add_open_args(p: argparse.ArgumentParser) -> None:
    """``--open-coded`` and ``--ring-bytes`` (added to ``walk``)."""
    g = p.add_argument_group("open-coded (Linux 6.7+)")
    g.add_argument("--open-coded", action="store_true",
                   help="walk with the open-coded css iterator (bpf_iter_css_new/next/"
                        "destroy in a SEC(\"syscall\") program) into a BPF ring buffer "
                        "instead of cgroup_iter: no page limit, no cgroup_mutex, dead "
                        "cgroups seen; --order pre/post/up (others: EINVAL, zero loops)")
    add_number(g, "--ring-bytes", lo=min(PAGE_SIZES), hi=RING_BYTES_MAX, default=None,
               why="a ring buffer's size is a power of 2 and a multiple of the page size",
               help=f"the ring buffer's size: a power of 2, a multiple of the page size "
                    f"(default {RING_BYTES}: 170 records of 16 bytes fit; more are "
                    "dropped)")


def ring_bytes(n: int | None, page_size: int) -> int:
    """``--ring-bytes``, checked as ``bpf_map_create`` would (EINVAL otherwise)."""
    if n is None:
        return max(RING_BYTES, page_size)
    if not page_size <= n <= RING_BYTES_MAX or n & (n - 1) or n % page_size:
        raise CliError(f"--ring-bytes {n}: a ring buffer's size is a power of 2 and a multiple "
                       f"of the page size ({page_size}), {page_size} to {RING_BYTES_MAX} here "
                       "(bpf_map_create says EINVAL)")
    return n


def open_walk(args: argparse.Namespace) -> tuple[WalkResult, Any, dict[str, Any]]:
    """Run the walk the flags describe: (result, hierarchy, facts for the report)."""
    h = load_tree(args.tree)
    order = order_from_args(args)
    kernel = kernel_from_args(args)
    if args.page_size not in PAGE_SIZES:      # pragma: no cover - argparse's choices
        raise CliError(f"--page-size {args.page_size}")
    size = ring_bytes(args.ring_bytes, args.page_size)
    if args.start is not None and args.start_id is not None:
        raise CliError("--start and --start-id: the program starts at one cgroup; give one")
    if args.start is not None:
        if args.start not in h:
            raise CliError(f"--start {args.start!r}: no such cgroup")
        start = h.id_of(args.start)
    elif args.start_id is not None:
        if not 0 <= args.start_id < 2 ** 64:
            raise CliError(f"--start-id {args.start_id}: a cgroup id is an unsigned 64-bit "
                           "number")
        start = args.start_id
    else:
        start = h.root.id
    r = css_walk(h, int(order), start, ring_size=size, kernel=kernel)
    return r, h, {"start": start, "order": order, "ring": size, "kernel": kernel}


def open_walk_text(args: argparse.Namespace) -> tuple[str, str, int]:
    """(stdout, the stderr report, exit status) of ``walk --open-coded``."""
    return texts(*open_walk(args))


def texts(r: WalkResult, h: Any, f: dict[str, Any]) -> tuple[str, str, int]:
    """(stdout, the stderr report, exit status) of a walk :func:`open_walk` ran."""
    if r.load_error is not None:
        e = r.load_error
        return "", (f"the program does not load on Linux {f['kernel'].name}: "
                    f"{errno_symbol(e.errno)}: {e.strerror.splitlines()[-1]}"), 1
    out = "".join(f"{rid:8d}{'' if online else ' (dead)'}\n" for rid, online, _ in r.records)
    return out, report(r, h, f), 1 if (r.new_ret or r.drops or r.retval) else 0


def report(r: WalkResult, h: Any, f: dict[str, Any]) -> str:
    """The stderr summary: what the program did and what it cost."""
    order = f["order"]
    flags = f"{int(order)} {order.name}" if hasattr(order, "name") else f"{int(order)}"
    where = h.path_of(f["start"]) if f["start"] in h else f"id {f['start']}"
    head = f'SEC("syscall") program run once (bpf_prog_test_run), from {where}: '
    if r.retval:
        return head + (f"bpf_cgroup_from_id({f['start']}) gave NULL (no such cgroup, or a "
                       "removed one): the program returned 1, nothing walked")
    lines = [head + f"bpf_iter_css_new(flags {flags}) = "
                    f"{r.new_ret if r.new_ret >= 0 else errno_symbol(-r.new_ret)}"]
    if r.new_ret:
        lines.append("the flags are not a walk order bpf_iter_css_new takes (pre, post, up): "
                     "next() returned NULL at once, the loop ran zero times")
        return "\n".join(lines)
    dead = sum(1 for rec in r.records if not rec[1])
    rb = RingBuffer(f["ring"])
    lines.append(f"cgroups: {r.visited} visited, {len(r.records)} delivered through the ring "
                 f"buffer, {r.drops} dropped"
                 + (f"; {dead} delivered dead (offline): the loop does not skip them, the "
                    "reader has to (CSS_ONLINE)" if dead else ""))
    lines.append(f"ring buffer: {f['ring']} bytes; a 16-byte record takes 24 with its "
                 f"header, so {rb.capacity(16)} fit before user space consumes"
                 + (f"; bpf_ringbuf_output returned EAGAIN {r.drops} times: those records "
                    "are lost (a bigger --ring-bytes, or consume while the walk runs)"
                    if r.drops else ""))
    lines.append("no cgroup_mutex (RCU only: a mkdir or rmdir at the same time may or may "
                 "not be seen), no seq_file, no page limit, no seq_num, no epilogue")
    return "\n".join(lines)


def cmd_open(args: argparse.Namespace) -> int:
    """``walk --open-coded``: print, report, exit status."""
    import sys

    if args.cgroupns is not None:       # a walk from the host's root instead: refused
        raise CliError(f"--cgroupns {args.cgroupns}: not with --open-coded (the syscall "
                       "program starts at a cgroup id it is given, in no namespace; give "
                       "--start or --start-id)")
    if args.extra_reads:
        print("cgiter-edu walk: --open-coded does not use --extra-reads (no read() calls: "
              "the program runs once, into a ring buffer)", file=sys.stderr)
    if args.trace is not None:
        print("cgiter-edu walk: --open-coded does not use --trace/--no-trace (it records no "
              "trace: the ring buffer's records are what it shows)", file=sys.stderr)
    for attr, flag in UNUSED.items():
        if getattr(args, attr, None) is not None:
            print(f"cgiter-edu walk: --open-coded does not use {flag} (no seq_file, no "
                  "cgroup_iter program: the records are fixed, 16 bytes)", file=sys.stderr)
    r, h, f = open_walk(args)
    out, rep, status = texts(r, h, f)
    if getattr(args, "json", False):
        d = {"open_coded": True, "start": f["start"], "flags": int(f["order"]),
             "ring_bytes": f["ring"], "new_ret": r.new_ret, "retval": r.retval,
             "visited": r.visited, "drops": r.drops,
             "records": [{"id": i, "online": bool(o), "level": lv} for i, o, lv in r.records],
             "load_error": None if r.load_error is None else
             {"errno": errno_symbol(r.load_error.errno), "message": r.load_error.strerror}}
        print(json.dumps(d, indent=1))
        return status
    sys.stdout.write(out)
    sys.stdout.flush()
    if r.load_error is not None:
        print(f"cgiter-edu walk: {rep}", file=sys.stderr)
        return status
    if r.drops:
        print(f"cgiter-edu: ring buffer full: {r.drops} records dropped (bpf_ringbuf_output: "
              "EAGAIN)", file=sys.stderr)
    if not getattr(args, "quiet", False):
        print("--", file=sys.stderr)
        print(rep, file=sys.stderr)
    return status
