"""``cgiter-edu walk``: attach a program to the emulated cgroup iterator, read the
iterator file like ``cat``, print the bytes, and explain on stderr what happened
(``--open-coded``: :mod:`~cgiter_edu.cli.cmd_walk_open`).

Example::

    $ cgiter-edu walk --order post --start /user.slice
"""

from __future__ import annotations

import argparse
import json
import sys

from ..clihelpers import (
    CliError,
    add_number,
    add_walk_args,
    kernel_from_args,
    walk_from_args,
    walk_spec,
)
from ..names import errno_symbol, errno_text
from ..run import TRACE_LIMIT, RunResult

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
  cgiter-edu walk --tree balanced --record-bytes 64 --extra-reads 2   # what cat never asks
  cgiter-edu walk --tree kubernetes --cgroupns /kubepods.slice   # what a process in a pod sees
  cgiter-edu walk --kernel 6.1 --explain            # which 6.1 this is, and its commits
  cgiter-edu walk --start /user.slice --show-link   # bpftool link show and fdinfo lines
  cgiter-edu walk --open-coded --tree balanced      # past the page limit: ring buffer drops
  cgiter-edu walk --open-coded --tree balanced --ring-bytes 262144   # all 10,101 arrive
"""

# -- walk --------------------------------------------------------------------------------

def walk_report(res: RunResult) -> str:
    """The stderr summary of a walk: only what happened."""
    if res.attach_errno:
        return f"attach failed: {errno_symbol(res.attach_errno)}: {res.attach_error}"
    lines = []
    for i, (n, _d) in enumerate(res.reads):
        what = f"{n} bytes" if n > 0 else ("0 (end of file)" if n == 0 else errno_text(-n))
        lines.append(f"read #{i + 1} ({res.read_size} bytes asked): {what}")
    if res.read_size == 0:
        lines.append("cat takes a 0 from read() as the end of the file and stops there "
                     "(asking for 0 bytes, it gets 0 bytes)")
    lines.append(f"total: {len(res.output)} bytes")
    t = res.trace
    if t is not None:
        c = t.counts()
        buffered = (f"{c['buffered']} still in the buffer (never read), "
                    if c["buffered"] else "")
        unshown_text = (f"{c['unshown']} reached but not shown (the walk stopped first), "
                        if c["unshown"] else "")
        lines.append(f"cgroups: {c['walked']} walked ({c['dead']} dead, skipped), "
                     f"{c['delivered']} delivered, {c['lost']} lost to the page limit, "
                     f"{buffered}{unshown_text}{c['never']} never reached")
        lines.append("ended: " + end_text(res))
    else:
        lines.append("no trace recorded, so no cgroup counts (--trace records one)")
    return "\n".join(lines)


def end_text(res: RunResult) -> str:
    """Why the walk of ``res`` ended, stating only what its reads show."""
    t = res.trace
    reason = t.end_reason if t is not None else None
    if reason is None:
        return "the walk did not end in these reads"
    text = reason.explanation
    if reason.value == "program":
        stop = [e for e in t.events if e.kind.value == "show" and e.ret][-1]
        path = t.cgroups.get(stop.cgroup, (str(stop.cgroup),))[0]
        text = text.format(ret=stop.ret, at=f"{path} (id {stop.cgroup})")
    elif reason.value == "read_size":
        text = text.format(size=res.read_size)
    if res.final_errno == 95 and reason.value in ("read_size", "buffer_full"):
        text += "; the walk cannot resume: the next read() gave EOPNOTSUPP"
    return text


def cmd_walk(args: argparse.Namespace) -> int:
    if args.open_coded and (args.show_link or args.explain):
        flag = "--show-link" if args.show_link else "--explain"
        raise CliError(f"{flag}: not with --open-coded (one or the other)")
    if args.explain:
        from ..kernel.config import describe

        print(describe(kernel_from_args(args)))
        return 0
    if args.show_link:
        return show_link(args)
    if args.open_coded:
        from .cmd_walk_open import cmd_open

        return cmd_open(args)
    if args.ring_bytes is not None:
        raise CliError("--ring-bytes is the open-coded walk's ring buffer: add --open-coded")
    res = walk_from_args(args, trace=args.trace, extra_reads=args.extra_reads)
    if args.json:
        d = res.to_dict()
        d["output"] = res.output.decode("utf-8", "replace")
        d["results"] = res.results
        if res.attach_errno:
            d["attach_error"] = res.attach_error
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
            print(f"cgiter-edu walk: {walk_report(res)}", file=sys.stderr)
            return 1
        if res.final_errno:
            print(f"cgiter-edu: read: {errno_text(res.final_errno)}", file=sys.stderr)
    if not args.quiet and not res.attach_errno:
        print("--", file=sys.stderr)
        if args.cgroupns:
            print(f"attached in a cgroup namespace: its / is {args.cgroupns}, where the start "
                  "was resolved at attach (ids above are the kernel's, as the program "
                  "prints them)", file=sys.stderr)
        print(walk_report(res), file=sys.stderr)
    return 1 if res.final_errno else 0


def show_link(args: argparse.Namespace) -> int:
    """``--show-link``: attach as the flags say and print what ``bpftool link show`` and
    the link's fdinfo would print (``fill_link_info``, ``show_fdinfo``)."""
    from ..attach import attach, bpftool_link_show, ns_path

    s = walk_spec(args)
    fd = s.hierarchy.open(ns_path(s.cgroupns, s.start)) if s.start is not None else None
    try:
        link = attach(s.hierarchy, s.program, s.order, cgroup_fd=fd, cgroup_id=s.start_id,
                      kernel=s.kernel, cgroupns=s.cgroupns)
    except OSError as e:
        raise CliError(f"attach: {errno_symbol(e.errno)}: {e.strerror}") from None
    finally:
        if fd is not None:
            fd.close()
    with link:
        print("$ bpftool link show      # link and program ids are the kernel's counters: 1 here")
        print(bpftool_link_show(link, 1, 1))
        print("$ cat /proc/<pid>/fdinfo/<link fd>      # after link_type, link_id, prog_tag, "
              "prog_id")
        print(link.show_fdinfo(), end="")
    return 0


def setup_walk(p: argparse.ArgumentParser) -> None:
    p.description = ("Attach a BPF program to the emulated cgroup iterator, read the iterator "
                     "file like cat, print the bytes; explain on stderr.")
    p.epilog = EPILOG_WALK
    add_walk_args(p)
    p.add_argument("--cgroupns", default=None, metavar="PATH",
                   help="attach and read as a process in a cgroup namespace whose / is the cgroup PATH "
                        "(a container's, a Kubernetes pod's): the default start is PATH, "
                        "--start is a path inside it, a --start-id outside it is ENOENT")
    add_number(p, "--extra-reads", lo=0, hi=1000, default=0, metavar="N",
               why="at most 1000 reads after the end",
               help="read() calls to make after the first that returns 0 or an error, "
                    "where cat stops (default 0, as cat): what reading on, or a second "
                    "cat of the same open file, would get (0 again after a finished walk, "
                    "EOPNOTSUPP again after a cut one)")
    mode = p.add_mutually_exclusive_group()     # each is instead of the walk's bytes
    mode.add_argument("--show-link", action="store_true",
                   help="attach and print what `bpftool link show` and the link's "
                        "/proc/<pid>/fdinfo print for it (order, cgroup_id, cgroup_path in "
                        "the cgroup namespace of the process reading fdinfo: here the "
                        "one that attached) instead of walking")
    mode.add_argument("--explain", action="store_true",
                   help="print what --kernel stands for (the stable release or mainline "
                        "source, the date, the commits that matter) instead of walking")
    mode.add_argument("--json", action="store_true",
                   help="print the reads, counts and end reason as JSON instead of the bytes")
    p.add_argument("--quiet", "-q", action="store_true", help="no summary on stderr")
    trace = p.add_mutually_exclusive_group()
    trace.add_argument("--trace", dest="trace", action="store_true", default=None,
                   help=f"record a trace even for a tree of more than {TRACE_LIMIT:,} "
                        "cgroups (for the cgroup counts)")
    trace.add_argument("--no-trace", dest="trace", action="store_false",
                   help="do not record a trace (faster on huge trees; no cgroup counts)")
    from .cmd_walk_open import add_open_args

    add_open_args(p)
    p.set_defaults(func=cmd_walk)


