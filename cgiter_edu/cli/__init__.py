"""The ``cgiter-edu`` command: :mod:`~cgiter_edu.cli.parser` (the parser and ``main``) and
one module per subcommand, ``cmd_<subcommand>.py``, each importing the helpers they
share from :mod:`cgiter_edu.clihelpers`.

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

import os
import signal
import sys
import threading


def _interrupted_while_starting(signum: int, frame: object) -> None:
    """Ctrl-C before ``main()`` has put its own handler in place (the console script is
    still importing the command): nothing is made yet, so one line and exit 130."""
    os.write(2, b"cgiter-edu: interrupted after 0.0 s\n")
    os._exit(130)


# The console script `cgiter-edu` imports this package first: from here on a Ctrl-C is
# one line, not the traceback of an import (main() replaces this handler with its own).
# Imported by anything else (a notebook, a test), the process's handler is left alone.
if (os.path.basename(sys.argv[0] if sys.argv else "") == "cgiter-edu"
        and threading.current_thread() is threading.main_thread()
        and signal.getsignal(signal.SIGINT) is signal.default_int_handler):
    signal.signal(signal.SIGINT, _interrupted_while_starting)

from .parser import COMMANDS, build_parser, main  # noqa: E402, F401 - cgiter_edu.cli:main is the entry point
