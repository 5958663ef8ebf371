"""The explorer as an app: ``cgiter-edu explore`` serves it with Voila on 127.0.0.1.

Voila is an optional extra (``pip install -e '.[explore]'``); without it the command
says so in one line.  The page is a notebook equivalent to ``notebooks/explorer.ipynb``
(written to a temporary directory, so it works from any install); Voila runs it and
shows only the widgets.  This module imports neither ipywidgets nor matplotlib (the
command line loads it for ``--help``).

Example::

    $ cgiter-edu explore                 # prints http://127.0.0.1:<port>/?token=...
    $ cgiter-edu explore --port 8866 --no-token
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

__all__ = ["EXPLORER_CODE", "write_notebook", "free_port", "voila_command", "wait_ready",
           "stop_process_group", "setup_explore"]

#: the code cell of the explorer notebook (notebooks/explorer.ipynb has the same)
EXPLORER_CODE = ('from cgiter_edu.widgets import Explorer\n\n'
                 'explorer = Explorer(tree="systemd", order="pre", record_bytes=3000)\n'
                 'explorer')


def write_notebook(directory: str | os.PathLike, name: str = "explorer.ipynb") -> Path:
    """Write the explorer notebook (one markdown and one code cell, no outputs)."""
    nb = {
        "cells": [
            {"cell_type": "markdown", "metadata": {}, "source": "# The cgroup_iter explorer"},
            {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
             "source": EXPLORER_CODE},
        ],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3 (ipykernel)",
                                    "language": "python"},
                     "language_info": {"name": "python"}},
        "nbformat": 4, "nbformat_minor": 5,
    }
    path = Path(directory) / name
    path.write_text(json.dumps(nb, indent=1))
    return path


def free_port() -> int:
    """A TCP port nothing listens on at 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def voila_command(notebook: str | os.PathLike, port: int, token: str = "") -> list[str]:
    """The Voila command line serving ``notebook`` on 127.0.0.1:``port``.

    Notebook 7's JupyterLab extension is not loaded: where ``notebook>=7`` is installed,
    Voila would load it too and the page logs "The getter for the shared module is not a
    function" (nothing of it is needed to show widgets).

    >>> "--Voila.port_retries=0" in voila_command("explorer.ipynb", 8866)
    True
    """
    return [sys.executable, "-m", "voila", str(notebook), "--no-browser", f"--port={port}",
            "--Voila.ip=127.0.0.1", "--Voila.port_retries=0", f"--token={token}",
            "--show_tracebacks=False",
            "--VoilaConfiguration.extension_denylist=@jupyter-notebook/lab-extension"]


def wait_ready(url: str, proc: subprocess.Popen, timeout: float = 90.0) -> None:
    """Wait until ``url`` answers (any HTTP answer means up); raise if the server died."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with status {proc.returncode}")
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.25)
    raise TimeoutError(f"no answer from {url} after {timeout:.0f} s")


def stop_process_group(proc: subprocess.Popen, grace: float = 15.0) -> None:
    """End a server started with ``start_new_session=True`` and all it started: SIGTERM
    to its process group, SIGKILL if it is still there after ``grace`` seconds."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)


def cmd_explore(args: argparse.Namespace) -> int:
    from cgiter_edu.cli import CliError

    if importlib.util.find_spec("voila") is None:
        raise CliError("Voila is not installed; install the extra: pip install -e '.[explore]'")
    port = args.port or free_port()
    token = "" if args.no_token else secrets.token_hex(16)
    with tempfile.TemporaryDirectory(prefix="cgiter-explore-") as d:
        nb = write_notebook(d)
        log_path = Path(d) / "voila.log"       # a file, not a pipe: a full pipe blocks Voila
        log = open(log_path, "wb")
        proc = subprocess.Popen(voila_command(nb, port, token), cwd=d, start_new_session=True,
                                stdout=log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}/" + (f"?token={token}" if token else "")
        old_term = signal.signal(signal.SIGTERM, _exit_on_term)   # clean up on SIGTERM too
        try:
            try:
                wait_ready(f"http://127.0.0.1:{port}/", proc)
            except (RuntimeError, TimeoutError) as e:
                err = log_path.read_bytes().decode(errors="replace")[-400:]
                raise CliError(f"Voila did not start: {e}. {err.strip()}") from None
            print(f"the explorer is at {url}", flush=True)
            print("(Ctrl-C stops it)", file=sys.stderr, flush=True)
            proc.wait()
        except KeyboardInterrupt:
            pass
        finally:
            stop_process_group(proc)
            signal.signal(signal.SIGTERM, old_term)
            log.close()
    return 0


def _exit_on_term(signum: int, frame: object) -> None:
    raise SystemExit(0)


def setup_explore(p: argparse.ArgumentParser) -> None:
    """``cgiter-edu explore``: its flags."""
    p.description = ("Serve the explorer (the widgets of notebooks/explorer.ipynb) with Voila "
                     "on 127.0.0.1 and print its URL; open it in a browser. Needs the explore "
                     "extra: pip install -e '.[explore]'.")
    p.add_argument("--port", type=int, default=0, help="the port (default: a free one)")
    p.add_argument("--no-token", action="store_true",
                   help="no token in the URL (anyone on this machine can open it)")
    p.set_defaults(func=cmd_explore)
