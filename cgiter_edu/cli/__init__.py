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

# the console script's starting Ctrl-C handler is put in place by cgiter_edu/__init__.py,
# the first module it loads
from .parser import COMMANDS, build_parser, main  # noqa: F401 - cgiter_edu.cli:main is the entry point
