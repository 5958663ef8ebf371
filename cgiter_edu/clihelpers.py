"""What the ``cgiter-edu`` subcommands share: :class:`CliError` (a user error, said as one
line), numeric options checked against a range (:func:`add_number`, :func:`add_one_of`),
:func:`load_tree`, :func:`oserror_text`, and the walk flags every walking subcommand
shares (``walk``, ``plot``, ``animate``, ``live``) with their one translation into checked values: :func:`add_walk_args` adds
them to a parser, :func:`walk_spec` turns the parsed flags into a :class:`WalkSpec`
(or one :class:`CliError` line naming the first bad flag), :func:`walk_from_args`
runs that walk.

Example::

    >>> import argparse
    >>> p = argparse.ArgumentParser(); add_walk_args(p)
    >>> s = walk_spec(p.parse_args(["--order", "post", "--record-bytes", "64"]))
    >>> s.order, s.program, s.read_size
    (<Order.DESCENDANTS_POST: 3>, Record(rec_bytes=64), 131072)
    >>> walk_spec(p.parse_args(["--record-bytes", "64", "--program", "ids"]))
    Traceback (most recent call last):
    ...
    cgiter_edu.clihelpers.CliError: --record-bytes and --stop-at need --program record, not ids
"""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass
from typing import Any

from . import KernelConfig, Order, programs, shapes
from .attach import ns_path, parse_order
from .hierarchy import Hierarchy
from .kernel.config import DEFAULT_NAME, PAGE_SIZES, VERIFIED_ON
from .names import errno_symbol
from .run import RunResult, run


class CliError(Exception):
    """A user error: ``main`` prints ``cgiter-edu <command>: <message>`` and exits 1."""


#: the sizes ``--record-bytes`` accepts: the record program's 24-byte line, then
#: ``(rec_bytes - 24) & 4095`` pad bytes (the recorded-walk format), so 24 to 4119
RECORD_BYTES_MIN = programs.Record.MIN_BYTES
RECORD_BYTES_MAX = programs.Record.MAX_BYTES

#: the kernel versions ``--kernel`` accepts: the presets (kernel/config.py VERIFIED_ON)
KERNEL_PRESETS = tuple(VERIFIED_ON)

#: what read() asks for when --read-size is not given (what cat asks)
CAT_READ_SIZE = 131072
#: the most one read() transfers: the kernel's MAX_RW_COUNT (INT_MAX & PAGE_MASK,
#: include/linux/fs.h); rw_verify_area() cuts a larger count down to it
MAX_RW_COUNT = 0x7FFFF000


# -- numeric options: a range the command can honour, said in --help, checked -----------

def _number_text(x: float) -> str:
    """``4096``, ``0.1``, ``2**64 - 1`` for the bounds a --help states."""
    if isinstance(x, int) and x >= 2 ** 32:
        for bits in (64, 63, 32):
            if x == 2 ** bits - 1:
                return f"2**{bits} - 1"
        return f"{x:,}"
    return f"{x:g}" if isinstance(x, float) else str(x)


class OptionError(CliError):
    """A bad option value found while parsing: ``prog`` is the (sub)command's name, so
    ``main`` prints ``cgiter-edu CMD: <message>`` and exits 1."""

    def __init__(self, prog: str, message: str) -> None:
        super().__init__(message)
        self.prog = prog


class InRange(argparse.Action):
    """An option taking one number in ``[lo, hi]``; anything else (not a number, out of
    range, nan) is an :class:`OptionError` while parsing, which ``main`` prints as one
    line, ``cgiter-edu CMD: --flag VALUE: why; use LO to HI``, exit 1.  Made by
    :func:`add_number`."""

    def __init__(self, option_strings: list[str], dest: str, *, lo: float, hi: float,
                 kind: type = int, why: str = "out of range", **kw: Any) -> None:
        kw.setdefault("metavar", "N")
        super().__init__(option_strings, dest, **kw)
        self.lo, self.hi, self.kind, self.why = lo, hi, kind, why

    def range_text(self) -> str:
        """``"1 to 1000"``"""
        return f"{_number_text(self.lo)} to {_number_text(self.hi)}"

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: Any, option_string: str | None = None) -> None:
        flag = option_string or self.dest
        what = "a whole number" if self.kind is int else "a number"
        got = []
        for text in values if isinstance(values, list) else [values]:   # nargs: each
            try:
                value = self.kind(text)
            except (TypeError, ValueError, OverflowError):
                raise OptionError(parser.prog, f"{flag} {text}: not {what}; use "
                                               f"{self.range_text()}") from None
            if not self.lo <= value <= self.hi:         # nan is in no range
                raise OptionError(parser.prog, f"{flag} {text}: {self.why}; use "
                                               f"{self.range_text()}")
            got.append(value)
        setattr(namespace, self.dest, got if isinstance(values, list) else got[0])


class OneOf(InRange):
    """A numeric option taking one of a few values (``--page-size``): anything else is
    one line naming the option and the values, exit 1.  Made by :func:`add_one_of`."""

    def __init__(self, option_strings: list[str], dest: str, *, values: tuple[int, ...],
                 **kw: Any) -> None:
        super().__init__(option_strings, dest, lo=min(values), hi=max(values), **kw)
        self.values = tuple(values)

    def range_text(self) -> str:
        """``"4096, 16384 or 65536"``"""
        return ", ".join(map(str, self.values[:-1])) + f" or {self.values[-1]}"

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: Any, option_string: str | None = None) -> None:
        flag = option_string or self.dest
        try:
            value = self.kind(values)
        except (TypeError, ValueError, OverflowError):
            value = None
        if value not in self.values:
            raise OptionError(parser.prog, f"{flag} {values}: {self.why}; use "
                                           f"{self.range_text()}")
        setattr(namespace, self.dest, value)


def add_one_of(p: Any, *flags: str, values: tuple[int, ...], help: str = "",
               why: str = "not one of the values", **kw: Any) -> argparse.Action:
    """A numeric option taking one of ``values``; its --help lists them."""
    kw.setdefault("metavar", "{" + ",".join(map(str, values)) + "}")
    a = p.add_argument(*flags, action=OneOf, values=values, why=why, help=help, **kw)
    a.help = f"{help} ({a.range_text()})"
    return a


def add_number(p: Any, *flags: str, lo: float, hi: float, kind: type = int,
               help: str = "", why: str = "out of range", **kw: Any) -> argparse.Action:
    """Add a numeric option with its range: ``--help`` says ``(LO to HI)`` after
    ``help``, and a value outside (or not a number) is one line naming the option and
    the range, exit 1.  Every numeric option of every subcommand is made with it.

    Example::

        >>> p = argparse.ArgumentParser(prog="cgiter-edu plot")
        >>> _ = add_number(p, "--dpi", lo=20, hi=600, default=120, help="resolution")
        >>> p.parse_args(["--dpi", "300"]).dpi
        300
        >>> p.parse_args(["--dpi", str(2 ** 63)])
        Traceback (most recent call last):
        ...
        cgiter_edu.clihelpers.OptionError: --dpi 9223372036854775808: out of range; use 20 to 600
    """
    a = p.add_argument(*flags, action=InRange, lo=lo, hi=hi, kind=kind, why=why,
                       help=help, **kw)
    rng = f"{_number_text(lo)} to {_number_text(hi)}"
    a.help = f"{help} ({rng})" if help else rng
    return a


# -- the walk flags, shared by walk, plot, animate and live -----------------------------

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
    add_number(g, "--start-id", lo=0, hi=2 ** 64 - 1, default=None, metavar="ID",
               why="a cgroup id is an unsigned 64-bit number (0 means none)",
               help="start cgroup by id (cgroup_id, a u64; 0 means none); with --start "
                    "too: EINVAL")
    g.add_argument("--program", choices=["ids", "paths", "record", "silent"], default=None,
                   help="the BPF program: ids = the kernel selftest's id printer (default), "
                        "paths, record (fixed-size records, see --record-bytes), silent")
    add_number(g, "--record-bytes", lo=RECORD_BYTES_MIN, hi=RECORD_BYTES_MAX, default=None,
               metavar="N", why="a record is its 24-byte line 'C <id> <seq_num>\\n' and 0 "
                                "to 4095 pad bytes ((rec_bytes - 24) & 4095, as the C "
                                "program does)",
               help="bytes each cgroup's record takes: a 24-byte line and up to 4095 pad "
                    "bytes (implies --program record)")
    g.add_argument("--stop-at", default=None, metavar="PATH",
                   help="the program returns 1 at this cgroup: early termination "
                        "(implies --program record)")
    add_one_of(g, "--page-size", values=PAGE_SIZES, default=4096,
               why="PAGE_SIZE is 4 KiB on x86-64, 4, 16 or 64 KiB on arm64",
               help="PAGE_SIZE; the buffer is 8 pages (default: 4096)")
    add_number(g, "--read-size", lo=0, hi=MAX_RW_COUNT, default=None,
               why="read() takes 0 or more bytes, and the kernel transfers at most "
                   "MAX_RW_COUNT in one call",
               help=f"bytes each read() asks for (default: {CAT_READ_SIZE}, what cat "
                    "asks); 0 makes one read, which cat takes as end of file")
    g.add_argument("--kernel", default=DEFAULT_NAME, metavar="X.Y",
                   help="kernel version to behave as: 6.1, 6.12, 6.18 or 7.0 (default: "
                        f"{DEFAULT_NAME}, the newest checked on a real kernel; 7.0, the only "
                        "one with --order children, is modelled from the source)")


def load_tree(spec: str) -> Hierarchy:
    """A shape name, ``sysfs``, or a saved JSON file; a bad one is a :class:`CliError`."""
    if spec in shapes.BY_NAME:
        return shapes.BY_NAME[spec]()
    if spec == "sysfs":
        try:
            return shapes.from_sysfs()
        except (OSError, ValueError) as e:
            raise CliError(f"--tree sysfs: {oserror_text(e)}") from None
    if os.path.isdir(spec):
        raise CliError(f"--tree {spec}: is a directory, not a JSON file saved by "
                       "`cgiter-edu tree --json`")
    if os.path.exists(spec):
        refuse_device(spec, "--tree", "a JSON file saved by `cgiter-edu tree --json`")
        try:
            return Hierarchy.from_json(spec)
        except UnicodeDecodeError:
            raise CliError(f"--tree {spec}: not text (a JSON file saved by `cgiter-edu tree "
                           "--json` is UTF-8 text)") from None
        except (OSError, ValueError, KeyError, TypeError, RecursionError) as e:
            raise CliError(f"--tree {spec}: {oserror_text(e)}") from None
    if spec.endswith(".json"):
        raise CliError(f"--tree {spec}: no such file (a JSON file saved by `cgiter-edu tree "
                       "--json`)")
    raise CliError(f"--tree {spec!r} is neither a shape "
                   f"({', '.join(shapes.BY_NAME)}, sysfs) nor a JSON file")


def refuse_device(path: str, flag: str, what: str) -> None:
    """A :class:`CliError` if ``path`` is a device or a socket (``/dev/zero`` is read
    forever): a file to read is a regular file or a pipe."""
    import stat

    mode = os.stat(path).st_mode
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) or stat.S_ISSOCK(mode):
        raise CliError(f"{flag} {path}: is a device or socket, not {what} (a file or a pipe)")


def oserror_text(e: BaseException) -> str:
    """One line for an exception: ``"EISDIR: Is a directory"`` for an OSError with an
    errno, else its message."""
    if isinstance(e, OSError) and e.errno:
        return f"{errno_symbol(e.errno)}: {e.strerror}"
    if isinstance(e, KeyError) and e.args:
        return str(e.args[0])
    if isinstance(e, RecursionError):
        return "nested too deeply to read"
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__


def record_bytes(n: int, flag: str = "--record-bytes") -> int:
    """``n`` if the record program writes records of exactly ``n`` bytes, else a
    :class:`CliError` saying why not."""
    if n < RECORD_BYTES_MIN:
        raise CliError(f"{flag} {n}: a record is at least its {RECORD_BYTES_MIN}-byte line "
                       f"'C <id> <seq_num>\\n'; use {RECORD_BYTES_MIN} to {RECORD_BYTES_MAX}")
    if n > RECORD_BYTES_MAX:
        raise CliError(f"{flag} {n}: the record program writes its 24-byte line and at most "
                       f"4095 pad bytes ((rec_bytes - 24) & 4095, as the C program does), so "
                       f"{RECORD_BYTES_MAX} at most; use {RECORD_BYTES_MIN} to "
                       f"{RECORD_BYTES_MAX}")
    return n


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
                raise CliError(f"--stop-at {args.stop_at!r}: no such cgroup") from None
        rb = record_bytes(args.record_bytes) if args.record_bytes is not None else 24
        return programs.Record(rec_bytes=rb, stop_id=stop_id)
    if args.record_bytes is not None or args.stop_at:
        raise CliError(f"--record-bytes and --stop-at need --program record, not {name}")
    return programs.BY_NAME[name]


def order_from_args(args: argparse.Namespace) -> Order | int:
    """``--order``: an :class:`Order`, or a plain int the kernel will reject (EINVAL)."""
    try:
        return parse_order(args.order)
    except ValueError as e:
        raise CliError(f"--order: {e}") from None


def kernel_from_args(args: argparse.Namespace, default: KernelConfig | None = None
                     ) -> KernelConfig:
    """``--kernel`` and ``--page-size``; where a flag is None, ``default``'s value."""
    version = args.kernel
    if version is not None and version not in KERNEL_PRESETS:
        raise CliError(f"--kernel {version}: no such preset; use "
                       f"{', '.join(KERNEL_PRESETS[:-1])} or {KERNEL_PRESETS[-1]}")
    if version is None and default is not None:
        version = ".".join(str(x) for x in default.version[:2])
    page_size = args.page_size
    if page_size is None:
        page_size = default.page_size if default is not None else 4096
    try:
        return KernelConfig.preset(version or DEFAULT_NAME, page_size=page_size)
    except ValueError as e:
        raise CliError(f"--kernel: {e}") from None


@dataclass
class WalkSpec:
    """What the walk flags ask for, checked, ready for :func:`~cgiter_edu.run`."""

    hierarchy: Hierarchy
    program: Any
    order: Order | int
    kernel: KernelConfig
    start: str | None
    start_id: int | None
    read_size: int
    cgroupns: str | None = None


def walk_spec(args: argparse.Namespace, kernel_default: KernelConfig | None = None
              ) -> WalkSpec:
    """Every walk flag turned into a checked value (one :class:`CliError` line for the
    first bad one).  ``kernel_default`` stands for an unset ``--kernel``/``--page-size``."""
    h = load_tree(args.tree)
    prog = program_from_args(args, h)
    order = order_from_args(args)
    kernel = kernel_from_args(args, kernel_default)
    cgroupns = getattr(args, "cgroupns", None)
    if cgroupns is not None and cgroupns not in h:
        raise CliError(f"--cgroupns {cgroupns!r}: no such cgroup (the namespace's / is a "
                       "cgroup of the tree)")
    if args.start is not None and ns_path(cgroupns, args.start) not in h:
        where = f" in the namespace rooted at {cgroupns}" if cgroupns else ""
        raise CliError(f"--start {args.start!r}: no such cgroup{where}")
    if args.start_id is not None and not 0 <= args.start_id < 2 ** 64:
        raise CliError(f"--start-id {args.start_id}: a cgroup id is an unsigned 64-bit "
                       "number (0 means none)")
    read_size = args.read_size if args.read_size is not None else CAT_READ_SIZE
    if not 0 <= read_size <= MAX_RW_COUNT:
        raise CliError(f"--read-size {read_size}: read() takes 0 or more bytes, and the "
                       f"kernel transfers at most MAX_RW_COUNT in one call; use 0 to "
                       f"{MAX_RW_COUNT}")
    return WalkSpec(h, prog, order, kernel, args.start, args.start_id, read_size, cgroupns)


def walk_from_args(args: argparse.Namespace, trace: bool | None = True,
                   extra_reads: int = 0) -> RunResult:
    """Build the hierarchy and run the walk the flags describe (used by walk, plot,
    animate).  ``trace=None``: record a trace unless the tree has more than
    ``TRACE_LIMIT`` cgroups.  ``--read-size 0`` makes one read, as ``cat`` stops at
    its 0."""
    s = walk_spec(args)
    one = s.read_size == 0
    return run(s.hierarchy, s.program, s.order, s.start, cgroup_id=s.start_id,
               read_size=s.read_size, kernel=s.kernel, trace=trace,
               extra_reads=0 if one else extra_reads, max_reads=1 if one else 1_000_000,
               cgroupns=s.cgroupns)
