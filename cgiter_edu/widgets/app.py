"""The explorer as an app: ``cgiter-edu explore`` serves it with Voila on 127.0.0.1.

Voila and a Python kernel are an optional extra (``pip install -e '.[explore]'``);
without Voila the command says so in one line.  The page is a notebook equivalent to
``notebooks/explorer.ipynb`` (written to a temporary directory, so it works from any
install); Voila runs it and shows only the widgets.  Before printing the URL the
command loads the page once and checks that it shows the explorer (an error page, a
notebook that failed or another server on the port is one line and exit 1), then
shuts that check's kernel down.

What the served page gets beyond plain Voila (:func:`voila_command`,
:func:`write_voila_config`):

* the ``cgiter`` Voila template (``cgiter_edu/widgets/jupyter/voila/templates``): Voila's
  ``lab`` template without the Font Awesome stylesheets it asks a CDN for, so nothing
  is fetched from outside the machine;
* a prelaunch hook that gives the page its ``_xsrf`` cookie: the page sends it with the
  shutdown request on unload, which Voila otherwise refuses (403, "_xsrf argument
  missing") and every reload leaves a kernel running;
* kernel culling: a kernel whose page is gone (no connection) and that has been idle
  for :data:`CULL_IDLE` seconds is shut down (a crashed browser, a lost beacon);
* for ``cgiter-edu explore``, Voila dies with the command (:func:`voila_follow_owner`):
  killed even with SIGKILL, the command can clean nothing up, so its Voila gets SIGTERM
  from the kernel (``PR_SET_PDEATHSIG``), shuts its kernels down as on Ctrl-C, and
  removes the command's temporary folder itself.

This module imports neither ipywidgets nor matplotlib (the command line loads it for
``--help``).

Example::

    $ cgiter-edu explore                 # prints http://127.0.0.1:<port>/?token=...
    $ cgiter-edu explore --port 8866 --no-token
"""

from __future__ import annotations

import argparse
import errno as _errno
import html
import importlib.util
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

__all__ = ["EXPLORER_CODE", "PAST_LIMIT_CODE", "write_notebook", "write_voila_config", "free_port",
           "check_port", "voila_command", "voila_env", "voila_prelaunch", "wait_ready",
           "check_page", "PageError", "stop_process_group", "setup_explore",
           "voila_follow_owner", "JUPYTER_DATA", "CULL_IDLE"]

#: the code cell of the explorer notebook (notebooks/explorer.ipynb has the same)
EXPLORER_CODE = ('from cgiter_edu.widgets import Explorer\n\n'
                 'explorer = Explorer(tree="systemd", order="pre", record_bytes=3000)\n'
                 'explorer')
#: the cell after it: the "past the page limit" mode, a closed section built when opened
#: (:func:`cgiter_edu.widgets.pastlimit_explorer.past_limit_mode`)
PAST_LIMIT_CODE = 'from cgiter_edu.widgets import past_limit_mode\n\npast_limit_mode()'
#: a Jupyter data folder holding the ``cgiter`` Voila template (put on JUPYTER_PATH)
JUPYTER_DATA = Path(__file__).resolve().with_name("jupyter")
#: seconds an unconnected kernel may stay idle before Voila shuts it down
CULL_IDLE = 300
#: how often Voila looks for such kernels (seconds)
CULL_INTERVAL = 60
#: JupyterLab extensions Voila would load into the page that the explorer does not need:
#: Notebook 7's (loaded, it logs "The getter for the shared module is not a function").
#: The explore extra pins Voila 0.5.8 and jupyterlab_widgets < 3.0.14 (ipywidgets 8.1.5):
#: their widget managers are built for the JupyterLab (4.2.5) of Voila's page; newer ones
#: log "Unsatisfied version 4.2.5 ... (required ^4.5.10)" about 13 times per load.
#: nbgrader's (the class extra's): built for a newer JupyterLab, it logs "Shared module
#: @jupyterlab/filebrowser doesn't exist in shared scope default" and such warnings.
DENYLIST = ("@jupyter-notebook/lab-extension", "@jupyter/nbgrader")
#: what Voila's config file ``voila.py`` says (:func:`write_voila_config`)
VOILA_PY = """# written by cgiter-edu explore (cgiter_edu/widgets/app.py)
from cgiter_edu.widgets.app import voila_prelaunch

c.VoilaConfiguration.prelaunch_hook = voila_prelaunch
"""
#: what it says more for ``cgiter-edu explore`` (:func:`voila_follow_owner`)
VOILA_PY_OWNER = """
# Voila dies with the explore command (pid {owner}), even killed with SIGKILL, and then
# removes the command's folder {folder!r}
from cgiter_edu.widgets.app import voila_follow_owner

voila_follow_owner({owner}, {folder!r})
"""


def write_notebook(directory: str | os.PathLike, name: str = "explorer.ipynb",
                   code: str = EXPLORER_CODE) -> Path:
    """Write the explorer notebook: one code cell (``code``), no outputs (the explorer
    has its own title line: nothing above it takes a projector's height), then, for the
    explorer's own code, the closed "past the page limit" section below it
    (:data:`PAST_LIMIT_CODE`)."""
    cells = [{"cell_type": "code", "id": "explorer", "execution_count": None, "metadata": {},
              "outputs": [], "source": code}]
    if code == EXPLORER_CODE:
        cells.append({"cell_type": "code", "id": "past-limit", "execution_count": None,
                      "metadata": {}, "outputs": [], "source": PAST_LIMIT_CODE})
    nb = {
        "cells": cells,
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3 (ipykernel)",
                                    "language": "python"},
                     "language_info": {"name": "python"}},
        "nbformat": 4, "nbformat_minor": 5,
    }
    path = Path(directory) / name
    path.write_text(json.dumps(nb, indent=1))
    return path


def write_voila_config(directory: str | os.PathLike, owner: int | None = None,
                       folder: str | os.PathLike | None = None) -> Path:
    """Make ``directory`` and write ``voila.py`` there (the prelaunch hook
    :func:`voila_prelaunch`); give it to :func:`voila_command` as ``config_dir``.  Not
    the served folder: ``python -m voila`` would import that file as Voila itself.

    With ``owner`` (the pid of the process that starts Voila, from its main thread) and
    ``folder``: Voila follows its owner (:func:`voila_follow_owner`)."""
    path = Path(directory) / "voila.py"
    path.parent.mkdir(parents=True, exist_ok=True)
    text = VOILA_PY
    if owner is not None:
        text += VOILA_PY_OWNER.format(owner=int(owner), folder=str(folder or ""))
    path.write_text(text)
    return path.parent


#: prctl(2)'s option: the signal the process gets when the thread that created it exits
PR_SET_PDEATHSIG = 1


def voila_follow_owner(owner: int, folder: str = "") -> None:
    """In Voila's process (its config file calls this while Voila starts): die with the
    process ``owner`` that started it, and then remove ``folder``.

    ``cgiter-edu explore`` cleans up after Voila when it stops, is interrupted or gets
    SIGTERM or SIGHUP; killed with SIGKILL it can do nothing, and its Voila (in a session
    of its own) went on serving, its folder left in /tmp.  Here Voila asks the kernel
    for SIGTERM when its parent dies (``prctl(PR_SET_PDEATHSIG, SIGTERM)``; Linux sends
    it when the parent *thread* that forked Voila exits: the command starts Voila from
    its main thread).  Voila's own SIGTERM handler then stops its server and shuts its
    kernels down, as on Ctrl-C, and Voila exits; at its exit ``folder`` is removed, when
    the owner is gone (while the owner lives, the folder and the log in it are its own).

    The windows around that: a parent that died before this runs (Voila still
    importing: no signal asked for yet) is seen here (``getppid()`` is no longer
    ``owner``) and Voila exits at once; a SIGTERM that comes before Voila has installed
    its own handler (a few lines after the config file is read) exits too.  Left behind
    only when both are killed with SIGKILL (Voila before its shutdown ends, or the
    OOM killer taking both): then the folder stays (``cgiter-explore-*`` in the
    temporary directory), and a kernel of Voila's exits by itself (ipykernel's
    parent poller).  Voila killed alone is seen by the command, which cleans up."""
    import atexit
    import ctypes
    import shutil

    def remove() -> None:
        if folder and os.getppid() != owner:
            shutil.rmtree(folder, ignore_errors=True)

    atexit.register(remove)
    signal.signal(signal.SIGTERM, _exit_on_term)       # until Voila installs its own
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"prctl(PR_SET_PDEATHSIG): {os.strerror(err)}")
    if os.getppid() != owner:                           # it died before we asked
        raise SystemExit(0)


def voila_prelaunch(req: object, notebook: object = None, cwd: str | None = None) -> None:
    """Voila's prelaunch hook: give the page its ``_xsrf`` cookie.

    The page sends that cookie's value with the shutdown request it makes when it is
    closed or reloaded (``POST voila/api/shutdown/<kernel>``); Voila's own page never
    sets it, so without this the request is refused (403, "_xsrf argument missing")
    and every load leaves a kernel running."""
    _ = req.xsrf_token                      # tornado sets the cookie when it is read


def voila_command(notebook: str | os.PathLike, port: int, token: str = "",
                  config_dir: str | os.PathLike | None = None) -> list[str]:
    """The Voila command line serving ``notebook`` on 127.0.0.1:``port`` with the
    ``cgiter`` template (run it with :func:`voila_env`); ``config_dir``: where
    :func:`write_voila_config` wrote Voila's config (the prelaunch hook).

    Notebook 7's JupyterLab extension is not loaded: where ``notebook>=7`` is installed,
    Voila would load it too and the page logs "The getter for the shared module is not a
    function" (nothing of it is needed to show widgets).  Kernels whose page is gone
    are culled after :data:`CULL_IDLE` idle seconds.

    >>> cmd = voila_command("explorer.ipynb", 8866)
    >>> "--Voila.port_retries=0" in cmd, "--template=cgiter" in cmd
    (True, True)
    """
    return [sys.executable, "-m", "voila", str(notebook), "--no-browser", f"--port={port}",
            "--Voila.ip=127.0.0.1", "--Voila.port_retries=0", f"--token={token}",
            "--show_tracebacks=False", "--template=cgiter",
            f"--MappingKernelManager.cull_idle_timeout={CULL_IDLE}",
            f"--MappingKernelManager.cull_interval={CULL_INTERVAL}",
            "--MappingKernelManager.cull_connected=False",
            *(f"--VoilaConfiguration.extension_denylist={x}" for x in DENYLIST),
            *([f"--Voila.config_file_paths={config_dir}"] if config_dir else [])]


def voila_env(base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for :func:`voila_command`: :data:`JUPYTER_DATA` first on
    JUPYTER_PATH (where Voila finds the ``cgiter`` template)."""
    env = dict(os.environ if base is None else base)
    old = env.get("JUPYTER_PATH")
    env["JUPYTER_PATH"] = str(JUPYTER_DATA) + (os.pathsep + old if old else "")
    return env


def free_port() -> int:
    """A TCP port nothing listens on at 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def check_port(text: str | int) -> int:
    """The port ``text`` names, if the explorer can listen on it at 127.0.0.1 now;
    else :class:`ValueError` saying why in one line (0: a free one).

    >>> check_port("70000")
    Traceback (most recent call last):
    ValueError: --port 70000: a TCP port is 1 to 65535 (or 0: a free one)
    """
    try:
        port = int(str(text).strip())
    except ValueError:
        raise ValueError(f"--port {text!r}: not a number (a TCP port is 1 to 65535)") from None
    if port == 0:
        return free_port()
    if not 0 < port < 65536:
        raise ValueError(f"--port {port}: a TCP port is 1 to 65535 (or 0: a free one)")
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)     # as the server does
        try:
            s.bind(("127.0.0.1", port))
        except OSError as e:
            from cgiter_edu.names import errno_text

            why = ("another program listens there" if e.errno == _errno.EADDRINUSE else
                   "ports below 1024 need root" if e.errno == _errno.EACCES else
                   e.strerror or str(e))
            raise ValueError(f"--port {port}: 127.0.0.1:{port} cannot be used: "
                             f"{errno_text(e.errno or 0)}, {why}") from None
    return port


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


class PageError(RuntimeError):
    """The served page does not show the explorer (the message says what it shows);
    ``detail``: the words of the page itself, when it was an error page."""

    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(message)
        self.detail = detail


def _page_text(body: str, limit: int = 200) -> str:
    """The words of an HTML error page, on one line."""
    text = re.sub(r"(?s)<(script|style)\b.*?</\1>", " ", body)
    text = html.unescape(re.sub(r"<[^>]+>", " ", text))
    text = " ".join(text.split())
    return text[:limit] + ("..." if len(text) > limit else "")


def check_page(base: str, token: str = "", timeout: float = 180.0) -> None:
    """Load the explorer page at ``base`` (``http://127.0.0.1:<port>``) once, as a
    browser would, and raise :class:`PageError` unless it shows the explorer: an error
    page (e.g. "No Jupyter kernel for language 'python' found"), a notebook whose cell
    failed, or a page of another server.  The kernel the load started is shut down
    again (the page's own shutdown request, as the browser sends it on unload)."""
    url = base + "/" + (f"?token={urllib.parse.quote(token)}" if token else "")
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            body = r.read().decode(errors="replace")
            cookies = r.headers.get_all("Set-Cookie") or []
    except urllib.error.HTTPError as e:
        body = e.read().decode(errors="replace")
        raise PageError(f"the page answers HTTP {e.code}", _page_text(body)) from None
    except OSError as e:
        raise PageError(f"the page did not load: {getattr(e, 'reason', e)}") from None
    kernel = re.search(r'"kernelId":\s*"([0-9a-f-]+)"', body)
    try:
        failed = re.search(r'"ename":\s*"([^"]*)",\s*"evalue":\s*"((?:[^"\\]|\\.)*)"', body)
        if failed:
            raise PageError(f"the explorer notebook failed: {failed.group(1)}: "
                            f"{json.loads(chr(34) + failed.group(2) + chr(34))}")
        if "application/vnd.jupyter.widget-view+json" not in body or \
                '"text/plain": "Explorer(' not in body:
            what = _page_text(body, 120) or "an empty page"
            raise PageError(f"the page at {base}/ is not the explorer (it shows: {what})")
    finally:
        if kernel:
            _shutdown_kernel(base, token, kernel.group(1), cookies)


def _shutdown_kernel(base: str, token: str, kernel: str, cookies: list[str]) -> None:
    """What the page sends on unload: ``POST voila/api/shutdown/<kernel>`` with the
    ``_xsrf`` cookie and field (and the token, when there is one)."""
    jar = "; ".join(c.split(";", 1)[0] for c in cookies)
    xsrf = next((c.split(";", 1)[0].split("=", 1)[1] for c in cookies
                 if c.startswith("_xsrf=")), "")
    headers = {"Cookie": jar, "Content-Type": "application/x-www-form-urlencoded"}
    if token:
        headers["Authorization"] = f"token {token}"
    req = urllib.request.Request(f"{base}/voila/api/shutdown/{kernel}", method="POST",
                                 data=urllib.parse.urlencode({"_xsrf": xsrf}).encode(),
                                 headers=headers)
    try:
        urllib.request.urlopen(req, timeout=30).close()
    except OSError:
        pass                                # culled later (CULL_IDLE) if this failed


#: after Ctrl-C, ``cgiter-edu explore`` waits this long for Voila to stop (it shuts its
#: kernels down first: 2 to 3 s); the rest is left to a process of its own
STOP_NOW_S = 0.5

#: the background stopper of :func:`stop_process_group`: wait for the server (reparented
#: once the command has exited) to go, SIGKILL its process group after the grace time
_STOP_LATER = """
import os, signal, sys, time
pid, end = int(sys.argv[1]), time.monotonic() + float(sys.argv[2])
signal.signal(signal.SIGINT, signal.SIG_IGN)

def gone():
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] in "ZX"
    except OSError:
        return True

while not gone() and time.monotonic() < end:
    time.sleep(0.1)
if not gone():
    try:
        os.killpg(pid, signal.SIGKILL)
    except OSError:
        pass
"""


def stop_process_group(proc: subprocess.Popen, grace: float = 15.0,
                       wait: float | None = None) -> None:
    """End a server started with ``start_new_session=True`` and all it started: SIGTERM
    to its process group, SIGKILL if it is still there after ``grace`` seconds.  With
    ``wait``: return after at most ``wait`` seconds, the rest of the grace time watched
    by a process of its own (Ctrl-C stops the command at once; the server is never left
    running)."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(grace if wait is None else min(wait, grace))
        except subprocess.TimeoutExpired:
            if wait is not None and wait < grace:
                try:
                    subprocess.Popen([sys.executable, "-c", _STOP_LATER, str(proc.pid),
                                      str(grace - wait)], stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     start_new_session=True, close_fds=True)
                    return
                except OSError:
                    pass
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)


def cmd_explore(args: argparse.Namespace) -> int:
    from cgiter_edu.clihelpers import CliError

    if importlib.util.find_spec("voila") is None:
        raise CliError("Voila is not installed; install the extra: pip install -e '.[explore]'")
    try:
        port = check_port(args.port)
    except ValueError as e:
        raise CliError(str(e)) from None
    token = "" if args.no_token else secrets.token_hex(16)
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="cgiter-explore-") as d:
        nb = write_notebook(d)
        # Voila dies with this command, even killed with SIGKILL, and then removes this
        # folder (voila_follow_owner): Linux signals the death of the parent *thread*, so
        # Voila is started from the main thread (where the command runs)
        main = threading.current_thread() is threading.main_thread()
        config = write_voila_config(Path(d) / "config", owner=os.getpid() if main else None,
                                    folder=d)
        log_path = Path(d) / "voila.log"       # a file, not a pipe: a full pipe blocks Voila
        log = open(log_path, "wb")
        proc = subprocess.Popen(voila_command(nb, port, token, config), cwd=d, start_new_session=True,
                                env=voila_env(), stdout=log, stderr=subprocess.STDOUT)
        url = f"{base}/" + (f"?token={token}" if token else "")
        old_term = signal.signal(signal.SIGTERM, _exit_on_term)   # clean up on SIGTERM too
        # and on SIGHUP (the terminal closed): it left Voila serving and its folder behind
        old_hup = signal.signal(signal.SIGHUP, _exit_on_term)
        served = False
        try:
            try:
                wait_ready(f"{base}/", proc)
                check_page(base, token)
                if proc.poll() is not None:          # the page came from another server
                    raise RuntimeError(f"the server exited with status {proc.returncode}")
            except (RuntimeError, TimeoutError) as e:
                log_text = log_path.read_bytes().decode(errors="replace")
                if isinstance(e, PageError):
                    why = _log_reason(log_text) or e.detail
                msg = (f"{e}" + (f": {why}" if why else "") if isinstance(e, PageError) else
                       f"Voila did not start: {e}: {_last_line(log_text)}".rstrip(": "))
                if "No Jupyter kernel" in msg or "No such kernel" in msg:
                    msg += ("; the explore extra installs the Python kernel (ipykernel): "
                            "pip install -e '.[explore]'")
                raise CliError(msg.replace(token, "...") if token else msg) from None
            print(f"the explorer is at {url}", flush=True)
            print("(Ctrl-C stops it)", file=sys.stderr, flush=True)
            served = True
            proc.wait()
        except KeyboardInterrupt:
            if not served:      # still starting: interrupted (one line, exit 130), not 0
                raise
        finally:
            stop_process_group(proc, wait=STOP_NOW_S)
            signal.signal(signal.SIGTERM, old_term)
            signal.signal(signal.SIGHUP, old_hup)
            log.close()
    return 0


def _log_reason(log: str) -> str:
    """Why Voila answered the page with an error, from its log ("500 GET /...: why")."""
    found = re.findall(r"\b[45]\d\d GET /\S* \([^)]*\): (.+)", log)
    return found[-1].strip()[:300] if found else ""


def _last_line(log: str) -> str:
    """The last line of Voila's log that says something (its error)."""
    lines = [x.strip() for x in log.splitlines() if x.strip()]
    for x in reversed(lines):
        if "Error" in x or "error" in x:
            return x[-300:]
    return lines[-1][-300:] if lines else ""


def _exit_on_term(signum: int, frame: object) -> None:
    raise SystemExit(0)


def setup_explore(p: argparse.ArgumentParser) -> None:
    """``cgiter-edu explore``: its flags."""
    p.description = ("Serve the explorer (the widgets of notebooks/explorer.ipynb) with Voila "
                     "on 127.0.0.1, load the page once to check that it shows the explorer, "
                     "then print its URL; open it in a browser. A closed or reloaded page "
                     "frees its kernel. Needs the explore extra (Voila and a Python "
                     "kernel): pip install -e '.[explore]'.")
    p.add_argument("--port", default="0",
                   help="the TCP port on 127.0.0.1, 1 to 65535 (default 0: a free one); a "
                        "port in use is refused")
    p.add_argument("--no-token", action="store_true",
                   help="no token in the URL (anyone on this machine can open it)")
    p.set_defaults(func=cmd_explore)
