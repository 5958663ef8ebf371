"""``cgiter-edu capacity``: how many fixed-size records one cgroup_iter session holds.

Example::

    $ cgiter-edu capacity --record-bytes 64
"""

from __future__ import annotations

import argparse

from .. import capacity
from ..clihelpers import RECORD_BYTES_MAX, RECORD_BYTES_MIN, CliError, add_number, add_one_of
from ..kernel.config import PAGE_SIZES


def cmd_capacity(args: argparse.Namespace) -> int:
    rb = args.record_bytes
    size = args.page_size << 3
    if not 1 <= rb <= size - 1:
        raise CliError(f"--record-bytes {rb}: a record takes 1 byte or more, and at most the "
                       f"{size - 1} bytes seq_write() can ever use of the {size}-byte buffer "
                       f"(--page-size {args.page_size}); use 1 to {size - 1}")
    if not 0 <= args.epilogue_bytes <= size - 2:
        raise CliError(f"--epilogue-bytes {args.epilogue_bytes}: the epilogue's bytes come "
                       f"out of the {size - 1} usable bytes of the {size}-byte buffer "
                       f"(--page-size {args.page_size}), leaving at least 1 for records; use "
                       f"0 to {size - 2}")
    n = capacity(rb, args.page_size, args.epilogue_bytes)
    naive = size // rb
    print(f"{n} records of {rb} bytes fit in one cgroup_iter session")
    print(f"  buffer: PAGE_SIZE << 3 = {args.page_size} << 3 = {size} bytes")
    print(f"  seq_bprintf() and seq_write() (behind bpf_seq_printf, bpf_seq_write) keep a "
          f"record only if count + len < size (strictly less), so at most "
          f"{size - 1} bytes are ever used" + (f", {args.epilogue_bytes} of them kept for the "
                                               "epilogue" if args.epilogue_bytes else ""))
    print(f"  ({size - 1 - args.epilogue_bytes}) // {rb} = {n}  ->  {n * rb} bytes")
    if naive != n and not args.epilogue_bytes:
        print(f"  the count of the comment at the top of kernel/bpf/cgroup_iter.c, "
              f"{size} / {rb} = {naive}, is {naive - n} too many: "
              f"record {n + 1} would end exactly at byte {(n + 1) * rb}, which the strict < "
              "refuses; the next read() then gives EOPNOTSUPP")
    if not RECORD_BYTES_MIN <= rb <= RECORD_BYTES_MAX:
        print(f"  (`cgiter-edu walk --record-bytes` writes records of {RECORD_BYTES_MIN} to "
              f"{RECORD_BYTES_MAX} bytes, so it cannot show this size)")
    return 0


def setup_capacity(p: argparse.ArgumentParser) -> None:
    p.description = ("How many fixed-size records one cgroup_iter session can hold: the "
                     "seq_file buffer is 8 pages and seq_write() never fills its last byte. "
                     "`cgiter-edu walk --tree balanced --record-bytes N` shows the same count "
                     "on a walk.")
    top = (max(PAGE_SIZES) << 3) - 1
    add_number(p, "--record-bytes", lo=1, hi=top, required=True,
               help="bytes each cgroup's record takes (e.g. 64): at most 8 x PAGE_SIZE - 1, "
                    "32767 with 4 KiB pages")
    add_one_of(p, "--page-size", values=PAGE_SIZES, default=4096,
               why="PAGE_SIZE is 4 KiB on x86-64, 4, 16 or 64 KiB on arm64",
               help="PAGE_SIZE; the buffer is 8 pages (default: 4096)")
    add_number(p, "--epilogue-bytes", lo=0, hi=top - 1, default=0,
               help="bytes kept free for what the epilogue writes at the end (default 0): "
                    "at most 8 x PAGE_SIZE - 2, 32766 with 4 KiB pages")
    p.set_defaults(func=cmd_capacity)


