"""The ``cgiter-edu`` command.

``cgiter-edu walk`` is the main job: it attaches a BPF program to the emulated cgroup
iterator, reads the iterator file the way ``cat`` on a pinned iterator does, prints
what ``cat`` would print, and explains on stderr what happened.

Example::

    $ cgiter-edu walk                                  # the default systemd host, pre-order
    $ cgiter-edu walk --order post --start /user.slice
    $ cgiter-edu walk --tree balanced --record-bytes 64 --read-size 4096
    $ cgiter-edu capacity --record-bytes 64

Adding a subcommand: one line in :data:`COMMANDS` (its name, a one-line help, and
``"module:function"``).  The function gets the subcommand's ``ArgumentParser``, adds
its arguments (:func:`~cgiter_edu.walkflags.add_walk_args` for the walk flags,
:func:`~cgiter_edu.walkflags.walk_spec` to turn them into checked values) and ``set_defaults(func=...)``; the ``func(args) -> int`` imports
its heavy modules (matplotlib, ipywidgets...) inside.  If the module cannot be
imported, the subcommand still exists and says why it cannot run.  A user error is
``raise CliError("--flag X: what is wrong")``: ``main`` prints it as one line and
exits 1.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import time
from typing import TYPE_CHECKING, NamedTuple, NoReturn

from .lazy import lazy_exports

# Nothing heavy is imported up here: the console script imports this module, and until
# main() has installed its SIGINT handler a Ctrl-C would print Python's traceback.  The
# emulator, networkx and each subcommand's module are imported inside the functions.
if TYPE_CHECKING:
    from .run import RunResult


class Parser(argparse.ArgumentParser):
    """argparse's parser, but what argparse refuses (an unknown option or value, a
    missing argument, a bad choice) is one line naming the option and what it takes,
    ``cgiter-edu CMD: --flag VALUE: why; use ...``, and exit 1 like every other refusal
    of the command, instead of the usage and the error on two or more lines and exit 2.
    ``--help`` is argparse's.

    >>> p = Parser(prog="cgiter-edu walk")
    >>> _ = p.add_argument("--program", choices=["ids", "paths"])
    >>> p.refusal("argument --program: invalid choice: 'foo' (choose from 'ids', 'paths')")
    '--program foo: not one of its values; use ids or paths'
    """

    def error(self, message: str) -> NoReturn:
        from .walkflags import OptionError

        raise OptionError(self.prog, self.refusal(message))

    def _action(self, name: str) -> argparse.Action | None:
        """The action of an option string (``--order``) or a positional's name."""
        for a in self._actions:
            if name in a.option_strings or name in (a.metavar, a.dest):
                return a
        return None

    def accepts(self, a: argparse.Action | None) -> str:
        """What the option of action ``a`` takes, in a few words: its choices, its range,
        else its metavar and help."""
        if a is None:
            return "see --help"
        if a.choices is not None:
            return _one_of([str(c) for c in a.choices])
        if hasattr(a, "range_text"):                    # walkflags.InRange, OneOf
            return a.range_text()
        text = " ".join(self._get_formatter()._expand_help(a).split()) if a.help else ""
        return f"{a.metavar or a.dest.upper()}: {text}" if text else str(a.metavar or a.dest)

    def _name(self, a: argparse.Action) -> str:
        return a.option_strings[-1] if a.option_strings else str(a.metavar or a.dest)

    def refusal(self, message: str) -> str:
        """argparse's error ``message`` as one line naming the option and what it takes."""
        import difflib
        import re

        helps = f"`{self.prog} --help` lists them"
        m = re.fullmatch(r"argument (\S+?)(?:/\S+)?: invalid choice: (.*?) \(choose from .*\)",
                         message, re.S)
        if m:
            a = self._action(m[1])
            value = m[2][1:-1] if m[2][:1] in "'\"" else m[2]
            if a is not None and a.dest == "cmd":
                return f"{value}: no such command; use {self.accepts(a)}"
            what = "its values" if a is None or a.option_strings else "the choices"
            return f"{m[1]} {value}: not one of {what}; use {self.accepts(a)}"
        m = re.fullmatch(r"argument (\S+?)(?:/\S+)?: expected (.*) arguments?", message)
        if m:
            a = self._action(m[1])
            many = "" if m[2] == "one" else f" ({m[2]})"
            return f"{m[1]}: needs a value{many}; it takes {self.accepts(a)}"
        m = re.fullmatch(r"argument (\S+?)(?:/\S+)?: invalid (int|float) value: (.*)", message)
        if m:
            what = "a whole number" if m[2] == "int" else "a number"
            return f"{m[1]} {m[3].strip(repr(''))}: not {what}"
        m = re.fullmatch(r"the following arguments are required: (.*)", message)
        if m:
            names = [n.split("/")[0] for n in m[1].split(", ")]
            actions = [self._action(n) for n in names]
            if len(names) == 1 and actions[0] is not None and actions[0].dest == "cmd":
                return f"a command is needed; use {self.accepts(actions[0])}"
            return "; ".join(f"{n} is required; it takes {self.accepts(a)}"
                             for n, a in zip(names, actions, strict=True))
        m = re.fullmatch(r"argument (\S+?)(?:/\S+)?: ignored explicit argument (.*)", message)
        if m:
            return f"{m[1]}={m[2].strip(repr(''))}: {m[1]} takes no value"
        m = re.fullmatch(r"ambiguous option: (\S+) could match (.*)", message)
        if m:
            return f"{m[1]}: ambiguous, it could be {_one_of(m[2].split(', '))}; give it whole"
        m = re.fullmatch(r"unrecognized arguments: (.*)", message)
        if m:
            words = m[1].split()
            first = words[0].split("=")[0]
            if not first.startswith("-"):
                return f"{' '.join(words)}: not an argument it takes ({helps})"
            flags = [o for a in self._actions for o in a.option_strings if o.startswith("--")]
            near = difflib.get_close_matches(first, flags, n=1)
            hint = f"did you mean {near[0]}? " if near else ""
            return f"{first}: no such option ({hint}{helps})"
        m = re.fullmatch(r"argument (\S+?)(?:/\S+)?: not allowed with argument (\S+)", message)
        if m:
            return f"{m[1]}: not with {m[2]} (one or the other)"
        return " ".join(message.split())


def _one_of(values: list[str]) -> str:
    """``"a, b or c"``"""
    return values[0] if len(values) == 1 else ", ".join(values[:-1]) + f" or {values[-1]}"


class HelpFormatter(argparse.HelpFormatter):
    """argparse's formatter, but paragraphs with indented lines (examples, lists) are
    printed as written; prose paragraphs are wrapped to the terminal."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        paras = []
        for para in text.strip("\n").split("\n\n"):
            if any(line.startswith(" ") for line in para.splitlines()):
                paras.append("\n".join(indent + line for line in para.splitlines()))
            else:
                paras.append(super()._fill_text(para, width, indent))
        return "\n\n".join(paras) + "\n"


class Command(NamedTuple):
    """One subcommand: its one-line help and the ``"module:function"`` that adds its
    arguments to the parser it is given."""

    help: str
    setup: str


#: the subcommands, in the order ``cgiter-edu --help`` lists them
COMMANDS: dict[str, Command] = {
    "walk": Command("walk a hierarchy and print what cat would print",
                    "cgiter_edu.cli:setup_walk"),
    "capacity": Command("how many records fit in the 8-page buffer, and why the kernel "
                        "comment's 512 is one too many", "cgiter_edu.cli:setup_capacity"),
    "tree": Command("print a hierarchy (or save it as JSON)", "cgiter_edu.cli:setup_tree"),
    "plot": Command("draw a picture of a walk (PNG, SVG or PDF)",
                    "cgiter_edu.viz.cli:setup_plot"),
    "animate": Command("animate a walk step by step (GIF, MP4 or HTML)",
                       "cgiter_edu.viz.cli:setup_animate"),
    "live": Command("run a walk on the emulator and on this machine's kernel, side by side",
                    "cgiter_edu.live.cli:setup_live"),
    "record": Command("record random walks on this machine's kernel into tests/data/",
                      "cgiter_edu.live.cli:setup_record"),
    "quiz": Command("a seeded exercise that checks itself (--answer shows the answer and why)",
                    "cgiter_edu.course.questions:setup_quiz"),
    "explore": Command("serve the explorer (widgets) in a browser with Voila on 127.0.0.1",
                       "cgiter_edu.widgets.app:setup_explore"),
    "slides": Command("build the lessons' slide decks (offline reveal.js) and a PDF of the key "
                      "pictures", "cgiter_edu.course.slides:setup_slides"),
    "bench": Command("benchmark the emulator against networkx and the kernel",
                     "cgiter_edu.cli:setup_bench"),
    "nbgrader": Command("write the graded exercises as an nbgrader assignment (source/ "
                        "notebooks)", "cgiter_edu.course.nbgrader:setup_nbgrader"),
}


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
  cgiter-edu walk --tree kubernetes --cgroupns /kubepods.slice   # what a pod-like reader sees
  cgiter-edu walk --kernel 6.1 --explain            # which 6.1 this is, and its commits
  cgiter-edu walk --start /user.slice --show-link   # bpftool link show and fdinfo lines
  cgiter-edu walk --open-coded --tree balanced      # past the page limit: ring buffer drops
  cgiter-edu walk --open-coded --tree balanced --ring-bytes 262144   # all 10,101 arrive
"""

# -- walk --------------------------------------------------------------------------------

def walk_report(res: RunResult) -> str:
    """The stderr summary of a walk: only what happened."""
    from .names import errno_symbol, errno_text

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
        unshown = c["walked"] - c["dead"] - c["delivered"] - c["lost"] - c["buffered"]
        unshown_text = (f"{unshown} reached but not shown (the walk stopped first), "
                        if unshown > 0 else "")
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
    from .names import errno_text
    from .walkflags import CliError, kernel_from_args, walk_from_args

    if args.explain:
        from .kernel.config import describe

        print(describe(kernel_from_args(args)))
        return 0
    if args.show_link:
        return show_link(args)
    if args.open_coded:
        from .walk_open import cmd_open

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
            print(f"read in a cgroup namespace: its / is {args.cgroupns} (ids above are "
                  "the kernel's, as the program prints them)", file=sys.stderr)
        print(walk_report(res), file=sys.stderr)
    return 1 if res.final_errno else 0


def show_link(args: argparse.Namespace) -> int:
    """``--show-link``: attach as the flags say and print what ``bpftool link show`` and
    the link's fdinfo would print (``fill_link_info``, ``show_fdinfo``)."""
    from .attach import attach, bpftool_link_show, ns_path
    from .names import errno_symbol
    from .walkflags import CliError, walk_spec

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
    from .run import TRACE_LIMIT
    from .walk_open import add_open_args
    from .walkflags import add_number, add_walk_args

    p.description = ("Attach a BPF program to the emulated cgroup iterator, read the iterator "
                     "file like cat, print the bytes; explain on stderr.")
    p.epilog = EPILOG_WALK
    add_walk_args(p)
    p.add_argument("--cgroupns", default=None, metavar="PATH",
                   help="read as a process in a cgroup namespace whose / is the cgroup PATH "
                        "(a container's, a Kubernetes pod's): the default start is PATH, "
                        "--start is a path inside it, a --start-id outside it is ENOENT")
    add_number(p, "--extra-reads", lo=0, hi=1000, default=0, metavar="N",
               why="at most 1000 reads after the end",
               help="read() calls to make after the first that returns 0 or an error, "
                    "where cat stops (default 0, as cat): what reading on, or a second "
                    "cat of the same open file, would get (0 again after a finished walk, "
                    "EOPNOTSUPP again after a cut one)")
    p.add_argument("--show-link", action="store_true",
                   help="attach and print what `bpftool link show` and the link's "
                        "/proc/<pid>/fdinfo print for it (order, cgroup_id, cgroup_path in "
                        "the reader's namespace) instead of walking")
    p.add_argument("--explain", action="store_true",
                   help="print what --kernel stands for (the stable release or mainline "
                        "source, the date, the commits that matter) instead of walking")
    p.add_argument("--json", action="store_true",
                   help="print the reads, counts and end reason as JSON instead of the bytes")
    p.add_argument("--quiet", "-q", action="store_true", help="no summary on stderr")
    p.add_argument("--trace", dest="trace", action="store_true", default=None,
                   help=f"record a trace even for a tree of more than {TRACE_LIMIT:,} "
                        "cgroups (for the cgroup counts)")
    p.add_argument("--no-trace", dest="trace", action="store_false",
                   help="do not record a trace (faster on huge trees; no cgroup counts)")
    add_open_args(p)
    p.set_defaults(func=cmd_walk)


# -- capacity ----------------------------------------------------------------------------

def cmd_capacity(args: argparse.Namespace) -> int:
    from .kernel.config import capacity
    from .walkflags import RECORD_BYTES_MAX, RECORD_BYTES_MIN, CliError

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
    print(f"  seq_write() appends only if count + len < size (strictly less), so at most "
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
    from .kernel.config import PAGE_SIZES
    from .walkflags import add_number, add_one_of

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


# -- tree --------------------------------------------------------------------------------

def cmd_tree(args: argparse.Namespace) -> int:
    from .walkflags import load_tree

    h = load_tree(args.tree)
    if args.json:
        print(h.to_json())
        return 0
    for c in h.cgroups():
        print(f"{c.id:>8} {'  ' * c.level}{c.name or '/'}{'  (dead)' if c.dead else ''}")
    return 0


def setup_tree(p: argparse.ArgumentParser) -> None:
    from . import shapes

    p.description = ("Print a hierarchy, one cgroup a line: its id, then its name indented "
                     "by level, dead ones marked; or save it as JSON, which --tree FILE.json "
                     "reads back exactly.")
    p.epilog = ("examples:\n  cgiter-edu tree --tree kubernetes\n"
                "  cgiter-edu tree --tree kubernetes --json > k8s.json && "
                "cgiter-edu walk --tree k8s.json\n")
    p.add_argument("--tree", default="systemd", metavar="SHAPE|FILE.json",
                   help="the hierarchy: a shape (" + ", ".join(shapes.BY_NAME) + "), sysfs "
                        "(this machine's cgroup v2 tree) or a saved JSON file "
                        "(default: systemd)")
    p.add_argument("--json", action="store_true", help="print Hierarchy.to_json()")
    p.set_defaults(func=cmd_tree)


# -- bench -------------------------------------------------------------------------------

BENCH_PARTS = ("import", "walk", "big", "live", "viz", "explorer", "class", "race")


def cmd_bench(args: argparse.Namespace) -> int:
    from .bench import main as bench_main

    if args.class_json:
        from .outfile import check_output

        check_output(args.class_json, "--class-json")   # before minutes of measuring

    return bench_main(quick=args.quick, parts=args.parts, students=args.students,
                      class_json=args.class_json)


def setup_bench(p: argparse.ArgumentParser) -> None:
    from .walkflags import add_number

    p.description = "Print measured figures next to their targets, all in one run."
    p.add_argument("--quick", action="store_true", help="skip the 1,001,001-cgroup part")
    p.add_argument("--parts", nargs="+", default=None, choices=BENCH_PARTS, metavar="PART",
                   help="only these parts: " + ", ".join(BENCH_PARTS) + " (class: a real "
                   "JupyterHub on 127.0.0.1 with simulated students; race: the cgroup_mutex "
                   "wake-up race on this kernel; neither is in the default parts, each takes "
                   "minutes)")
    add_number(p, "--students", nargs="+", lo=1, hi=1000, default=None,
               help="class sizes for --parts class (default: 5 10 20 40; it stops "
                    "early at a limit, and a size the free memory cannot hold, about "
                    "250 MiB a student, is not run)")
    p.add_argument("--class-json", default=None, metavar="FILE",
                   help="also write the class figures (every sample) to FILE as JSON")
    p.set_defaults(func=cmd_bench)


# -- the parser and main -----------------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    """The ``cgiter-edu`` parser, one subparser per entry of :data:`COMMANDS`."""
    p = Parser(
        prog="cgiter-edu",
        description="See how the Linux BPF cgroup iterator (cgroup_iter) walks the cgroup "
                    "hierarchy: an emulator that gives what the kernel gives, byte for byte "
                    "and errno for errno.",
        epilog="Start with `cgiter-edu walk`, then `cgiter-edu walk --help`.",
        formatter_class=HelpFormatter)
    sub = p.add_subparsers(dest="cmd", metavar="COMMAND")
    sub.required = True
    for name, command in COMMANDS.items():
        sp = sub.add_parser(name, help=command.help, description=command.help,
                            formatter_class=HelpFormatter)
        try:
            module, _, fn = command.setup.partition(":")
            setup = getattr(importlib.import_module(module), fn)
        except Exception as e:          # noqa: BLE001 - any failure: the command says why
            _cannot_run(sp, name, e)
        else:
            setup(sp)
    return p


def _cannot_run(p: argparse.ArgumentParser, name: str, e: BaseException) -> None:
    """A subcommand whose module failed to import: it takes any arguments and says why."""
    from .walkflags import CliError

    why = f"{type(e).__name__}: {e}"
    p.description = f"{p.description}\n\n(cannot run here: {why})"
    def cannot(_args: argparse.Namespace) -> int:
        raise CliError(f"cannot run here: its module failed to import ({why})")

    p.set_defaults(func=cannot, takes_any_arguments=True)


#: set by the SIGINT handler main() installs: an error that follows a Ctrl-C (a library
#: interrupted mid-way, e.g. a Jupyter client's AssertionError) is the interrupt
_INTERRUPTED = False


def _on_sigint(signum: int, frame: object) -> None:
    global _INTERRUPTED
    _INTERRUPTED = True
    raise KeyboardInterrupt


def _broken_by_interrupt(e: BaseException) -> bool:
    """Whether ``e`` is, or was raised while handling, a Ctrl-C (KeyboardInterrupt, or
    the CancelledError asyncio turns it into inside a Jupyter client)."""
    asyncio = sys.modules.get("asyncio")    # not imported: no CancelledError to look for
    kinds = (KeyboardInterrupt, asyncio.CancelledError) if asyncio else (KeyboardInterrupt,)
    seen = 0
    while e is not None and seen < 20:
        if isinstance(e, kinds):
            return True
        e = e.__cause__ or e.__context__
        seen += 1
    return _INTERRUPTED


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``cgiter-edu``: a user error is one line on stderr and exit 1;
    Ctrl-C is one line and exit 130, at once (what a command made is removed by its own
    ``finally`` and ``with`` blocks first; run as the command, the interpreter's slow
    teardown of a big tree is skipped)."""
    import signal
    import threading

    t0 = time.perf_counter()
    if (threading.current_thread() is threading.main_thread()
            and signal.getsignal(signal.SIGINT) is signal.default_int_handler):
        signal.signal(signal.SIGINT, _on_sigint)
    try:
        return _main(argv, t0)
    except BaseException as e:
        # Ctrl-C, or what it broke on its way out of a library (asyncio's CancelledError
        # in a Jupyter client) after our handler saw it
        if isinstance(e, SystemExit) or not _broken_by_interrupt(e):
            raise
        print(f"cgiter-edu: interrupted after {time.perf_counter() - t0:.1f} s",
              file=sys.stderr, flush=True)
        if argv is None:
            _exit_now(130)
        return 130


def _exit_now(code: int) -> None:
    """Flush, run the atexit handlers (they close what is still open), and exit without
    the interpreter's teardown: freeing a million-cgroup tree object by object takes
    seconds, and Ctrl-C must stop the command at once."""
    import atexit

    for f in (sys.stdout, sys.stderr):
        try:
            f.flush()
        except (OSError, ValueError):
            pass
    try:
        atexit._run_exitfuncs()
    except BaseException:           # noqa: BLE001 - exiting anyway
        pass
    os._exit(code)


def _drop_stdout_if_broken() -> None:
    """After an error: flush stdout, and if that fails too (``> /dev/full``), point it
    at /dev/null so that the interpreter's last flush does not print "Exception
    ignored" (the error is said once, already)."""
    try:
        sys.stdout.flush()
    except (OSError, ValueError):
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError):
            pass


def _main(argv: list[str] | None, t0: float) -> int:
    from .walkflags import CliError, OptionError, oserror_text  # the emulator, networkx

    parser = build_parser()
    if not (sys.argv[1:] if argv is None else argv):
        parser.print_help()             # `cgiter-edu` alone: what there is to do
        return 2
    try:
        args, unknown = parser.parse_known_args(argv)
        if unknown and not getattr(args, "takes_any_arguments", False):
            sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
            sub.choices[args.cmd].error(f"unrecognized arguments: {' '.join(unknown)}")
    except OptionError as e:            # a refusal said while parsing (Parser, InRange)
        print(f"{e.prog}: {e}", file=sys.stderr)
        return 1
    if hasattr(sys.stdout, "reconfigure"):      # a name that is not UTF-8 prints its bytes,
        sys.stdout.reconfigure(errors="surrogateescape")      # as ls does
    try:
        code = args.func(args)
        sys.stdout.flush()              # a full disk behind stdout is said here, not at exit
        return code
    except CliError as e:
        print(f"cgiter-edu {args.cmd}: {e}", file=sys.stderr)
        return 1
    except BrokenPipeError:             # `cgiter-edu walk | head`: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except (SystemExit, GeneratorExit):
        raise
    except ModuleNotFoundError as e:    # an optional part that is not installed
        if os.environ.get("CGITER_EDU_DEBUG") or not e.name:
            raise
        top = e.name.split(".")[0]
        print(f"cgiter-edu {args.cmd}: needs the Python package {top}, which is not "
              f"installed here (pip install {top})", file=sys.stderr)
        return 1
    except OSError as e:                # the machine said no (a full disk, a closed fd...)
        if _broken_by_interrupt(e):
            raise KeyboardInterrupt from e
        if os.environ.get("CGITER_EDU_DEBUG"):
            raise
        where = f"{e.filename}: " if e.filename else ""
        print(f"cgiter-edu {args.cmd}: {where}{oserror_text(e)}", file=sys.stderr)
        _drop_stdout_if_broken()
        return 1
    except Exception as e:              # noqa: BLE001 - the last resort: one line, not a traceback
        if _broken_by_interrupt(e):     # what Ctrl-C broke on its way out: the interrupt
            raise KeyboardInterrupt from e
        if os.environ.get("CGITER_EDU_DEBUG"):
            raise
        print(f"cgiter-edu {args.cmd}: {type(e).__name__}: {oserror_text(e)} (unexpected; "
              "CGITER_EDU_DEBUG=1 shows the traceback)", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

#: the walk flags' names, from :mod:`cgiter_edu.walkflags`, are importable from here too
#: (imported when first used, as the package root's names are)
_HOMES = {name: "..walkflags" for name in (
    "CAT_READ_SIZE", "RECORD_BYTES_MAX", "RECORD_BYTES_MIN", "CliError", "WalkSpec",
    "add_walk_args", "kernel_from_args", "load_tree", "oserror_text", "order_from_args",
    "program_from_args", "record_bytes", "walk_from_args", "walk_spec")}
_HOMES["TRACE_LIMIT"] = "..run"
__all__ = ["COMMANDS", "Command", "HelpFormatter", "build_parser", "main", *_HOMES]
__getattr__, __dir__ = lazy_exports(__name__, _HOMES, globals())
