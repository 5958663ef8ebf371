"""``cgiter-edu``'s parser and ``main``: one subparser per entry of :data:`COMMANDS`.

Adding a subcommand: a module ``cgiter_edu/cli/cmd_<name>.py`` with a
``setup_<name>(parser)`` and one line in :data:`COMMANDS` (its name, a one-line help,
and ``"module:function"``).  The setup function adds the subcommand's arguments
(:func:`~cgiter_edu.clihelpers.add_walk_args` for the walk flags,
:func:`~cgiter_edu.clihelpers.walk_spec` to turn them into checked values) and
``set_defaults(func=...)``; the ``func(args) -> int`` imports its heavy modules
(matplotlib, ipywidgets...) inside.  If the module cannot be imported, the subcommand
still exists and says why it cannot run.  A user error is
``raise CliError("--flag X: what is wrong")``
(:class:`~cgiter_edu.clihelpers.CliError`): ``main`` prints it as one line and exits 1.

Example::

    $ cgiter-edu walk                                  # the default systemd host, pre-order
    $ cgiter-edu capacity --record-bytes 64
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import time
from typing import NamedTuple, NoReturn

# Nothing heavy is imported up here: the console script imports this module, and until
# main() has installed its SIGINT handler a Ctrl-C would print Python's traceback.  The
# emulator, networkx and each subcommand's module are imported inside the functions.


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

    def _print_message(self, message: str, file: object = None) -> None:
        """argparse's, but a write that fails (``--help > /dev/full``) is kept for
        ``main`` to say, not dropped (argparse passes over OSError: exit 0, nothing
        said)."""
        global _PRINT_ERROR
        if message:
            try:
                (file or sys.stderr).write(message)
            except OSError as e:
                _PRINT_ERROR = e

    def error(self, message: str) -> NoReturn:
        from ..clihelpers import OptionError

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
        if hasattr(a, "range_text"):                    # clihelpers.InRange, OneOf
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
                    "cgiter_edu.cli.cmd_walk:setup_walk"),
    "capacity": Command("how many records fit in the 8-page buffer, and why the kernel "
                        "comment's 512 is one too many", "cgiter_edu.cli.cmd_capacity:setup_capacity"),
    "tree": Command("print a hierarchy (or save it as JSON)", "cgiter_edu.cli.cmd_tree:setup_tree"),
    "plot": Command("draw a picture of a walk (PNG, SVG or PDF)",
                    "cgiter_edu.cli.cmd_plot:setup_plot"),
    "animate": Command("animate a walk step by step (GIF, MP4 or HTML)",
                       "cgiter_edu.cli.cmd_plot:setup_animate"),
    "live": Command("run a walk on the emulator and on this machine's kernel, side by side",
                    "cgiter_edu.cli.cmd_live:setup_live"),
    "record": Command("record random walks on this machine's kernel into tests/data/",
                      "cgiter_edu.cli.cmd_live:setup_record"),
    "quiz": Command("a seeded exercise that checks itself (--answer shows the answer and why)",
                    "cgiter_edu.course.questions:setup_quiz"),
    "explore": Command("serve the explorer (widgets) in a browser with Voila on 127.0.0.1",
                       "cgiter_edu.widgets.app:setup_explore"),
    "slides": Command("build the lessons' slide decks (offline reveal.js) and a PDF of the key "
                      "pictures", "cgiter_edu.course.slides:setup_slides"),
    "bench": Command("benchmark the emulator against networkx and the kernel",
                     "cgiter_edu.cli.cmd_bench:setup_bench"),
    "nbgrader": Command("write the graded exercises as an nbgrader assignment (source/ "
                        "notebooks)", "cgiter_edu.course.nbgrader:setup_nbgrader"),
}


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
    from ..clihelpers import CliError

    why = f"{type(e).__name__}: {e}"
    p.description = f"{p.description}\n\n(cannot run here: {why})"
    def cannot(_args: argparse.Namespace) -> int:
        raise CliError(f"cannot run here: its module failed to import ({why})")

    p.set_defaults(func=cannot, takes_any_arguments=True)


#: a write of argparse's (the help) that failed, said by main()
_PRINT_ERROR: OSError | None = None

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
            and getattr(signal.getsignal(signal.SIGINT), "__name__", None) in
            ("default_int_handler", "_interrupted_while_starting")):
        signal.signal(signal.SIGINT, _on_sigint)
    try:
        try:
            code = _main(argv, t0)
        except SystemExit as e:         # --help, --version: argparse's exit
            if argv is not None:
                raise
            if isinstance(e.code, str):
                print(e.code, file=sys.stderr)
            code = e.code if isinstance(e.code, int) else int(e.code is not None)
            try:                        # `--help > /dev/full` said nothing and exited 0
                sys.stdout.flush()
                if _PRINT_ERROR is not None:
                    raise _PRINT_ERROR
            except BrokenPipeError:         # `cgiter-edu walk --help | head`: quietly
                _drop_stdout_if_broken()
            except OSError as err:
                from ..clihelpers import oserror_text

                print(f"cgiter-edu: --help: {oserror_text(err)}", file=sys.stderr)
                _drop_stdout_if_broken()
                code = code or 1
        # the command: a Ctrl-C from here on is still ours (not the interpreter's teardown,
        # killed by SIGINT); under a profiler or coverage, their report comes first
        if argv is None and sys.getprofile() is None and sys.gettrace() is None:
            _exit_now(code)
        return code
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
    from ..clihelpers import CliError, OptionError, oserror_text  # the emulator, networkx

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
