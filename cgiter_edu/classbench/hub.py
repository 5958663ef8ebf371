"""A real JupyterHub on 127.0.0.1 for the class benchmark: the hub from PyPI, its proxy
(``configurable-http-proxy`` from npm, started by the hub as it normally is), the
``simple`` spawner (:class:`jupyterhub.spawner.SimpleLocalProcessSpawner`: one
``jupyterhub-singleuser`` process per user, no system users) and the ``dummy``
authenticator; users, servers and tokens through the hub's REST API.

Every process the hub starts carries ``CGITER_CLASS_RUN=<run id>`` in its environment;
:meth:`Hub.stop` stops the servers through the API, then the hub (which stops its proxy),
then ends whatever is still marked (:func:`~cgiter_edu.classbench.procs.sweep`).

Example::

    async with Hub(run="class-demo") as hub:
        await hub.add_users(["s1"])
        await hub.start_server("s1")
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from . import procs

__all__ = ["Hub", "HubError", "missing", "free_port"]


class HubError(RuntimeError):
    """The hub did not start, or refused a request (the message says which and why)."""


def missing() -> str:
    """Why a hub cannot run here (``""`` when it can): JupyterHub and
    configurable-http-proxy must be installed."""
    try:
        import jupyterhub  # noqa: F401
        import tornado  # noqa: F401
    except ImportError as e:
        return (f"{e.name} is not installed: pip install -e '.[class]' "
                "(JupyterHub from PyPI)")
    if not shutil.which("configurable-http-proxy"):
        return ("configurable-http-proxy (JupyterHub's proxy, an npm package) is not on PATH: "
                "npm install -g configurable-http-proxy")
    if not _singleuser():
        return "jupyterhub-singleuser is not next to this Python: pip install jupyterhub"
    return ""


def _singleuser() -> str:
    exe = Path(sys.executable).with_name("jupyterhub-singleuser")
    return str(exe) if exe.exists() else (shutil.which("jupyterhub-singleuser") or "")


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


CONFIG = """\
# written by cgiter_edu.classbench.hub for one benchmark run
c = get_config()  # noqa
c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = {port}
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = {hub_port}
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{api_port}"
c.ConfigurableHTTPProxy.debug = False
c.JupyterHub.db_url = "sqlite:///{tmp}/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = "{tmp}/cookie_secret"
c.JupyterHub.pid_file = "{tmp}/jupyterhub.pid"
c.JupyterHub.cleanup_servers = True
c.JupyterHub.cleanup_proxy = True
c.JupyterHub.concurrent_spawn_limit = 0
c.JupyterHub.active_server_limit = 0
c.JupyterHub.log_level = "WARN"
c.JupyterHub.authenticator_class = "dummy"
c.Authenticator.allow_all = True
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = "{tmp}/home/{{username}}"
c.Spawner.ip = "127.0.0.1"
c.Spawner.cmd = [{singleuser!r}]
c.Spawner.args = ["--ServerApp.log_level=WARN", "--allow-root"]  # CI runs as root
c.Spawner.start_timeout = 300
c.Spawner.http_timeout = 300
c.Spawner.environment = {environment!r}
c.JupyterHub.services = [{{"name": "class-bench", "api_token": {token!r}}}]
c.JupyterHub.load_roles = [{{"name": "admin", "services": ["class-bench"]}}]
"""


class Hub:
    """One JupyterHub run in a fresh temporary directory (``async with``).

    ``run``: the mark every process of the run carries; ``environment``: more
    variables for the single-user servers and their kernels."""

    def __init__(self, run: str, environment: dict[str, str] | None = None,
                 log: Path | None = None) -> None:
        self.run = run
        self.port, self.hub_port, self.api_port = free_port(), free_port(), free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.token = secrets.token_hex(16)
        self.tmp = Path(tempfile.mkdtemp(prefix=f"cgiter-{run}-"))
        #: the hub's log, outside the run's directory so that it outlives the run
        self.log_path = log or Path(tempfile.gettempdir()) / f"cgiter-{run}-jupyterhub.log"
        self.environment = {procs.MARK: run, "PATH": os.environ.get("PATH", ""),
                            "MPLBACKEND": "Agg", **(environment or {})}
        self.proc: subprocess.Popen | None = None
        self.pid = 0
        self._client: Any = None

    async def __aenter__(self) -> Hub:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def start(self, timeout: float = 120) -> None:
        """Write the configuration, start ``jupyterhub`` and wait for its API."""
        from tornado.httpclient import AsyncHTTPClient

        why = missing()
        if why:
            raise HubError(why)
        procs.children_reaper()
        (self.tmp / "home").mkdir()
        cfg = self.tmp / "jupyterhub_config.py"
        cfg.write_text(CONFIG.format(port=self.port, hub_port=self.hub_port,
                                     api_port=self.api_port, tmp=self.tmp,
                                     singleuser=_singleuser(), token=self.token,
                                     environment=self.environment))
        env = {**os.environ, procs.MARK: self.run}
        exe = Path(sys.executable).with_name("jupyterhub")
        cmd = [str(exe) if exe.exists() else "jupyterhub", "-f", str(cfg)]
        self._log = open(self.log_path, "ab")   # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(cmd, cwd=self.tmp, env=env, stdout=self._log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        self.pid = self.proc.pid
        AsyncHTTPClient.configure(None, max_clients=512)
        self._client = AsyncHTTPClient(force_instance=True)
        end = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise HubError(f"jupyterhub exited with {self.proc.returncode} at start "
                               f"(its log: {self.log_path}): {self._log_tail()}")
            with contextlib.suppress(Exception):
                await self.api("GET", "/hub/api/")
                return
            if time.monotonic() > end:
                raise HubError(f"jupyterhub did not answer on {self.url} within "
                               f"{timeout:.0f} s (its log: {self.log_path})")
            await asyncio.sleep(0.25)

    def _log_tail(self, n: int = 3) -> str:
        with contextlib.suppress(OSError):
            lines = self.log_path.read_text(errors="replace").strip().splitlines()
            return " | ".join(lines[-n:])
        return ""

    async def api(self, method: str, path: str, body: Any = None,
                  timeout: float = 60) -> Any:
        """One request to ``{url}{path}`` with the benchmark's admin token; the JSON
        answer (``None`` when empty).  Raises :class:`HubError` on an HTTP error."""
        from tornado.httpclient import HTTPClientError

        try:
            r = await self._client.fetch(
                self.url + path, method=method,
                headers={"Authorization": f"token {self.token}"},
                body=None if body is None and method in ("GET", "DELETE")
                else json.dumps(body or {}),
                allow_nonstandard_methods=True, request_timeout=timeout,
                connect_timeout=timeout)
        except HTTPClientError as e:
            text = e.response.body.decode(errors="replace")[:200] if e.response else ""
            raise HubError(f"{method} {path}: HTTP {e.code} {text}".strip()) from None
        return json.loads(r.body) if r.body else None

    async def add_users(self, names: list[str]) -> None:
        """Create the users (``POST /hub/api/users``)."""
        await self.api("POST", "/hub/api/users", {"usernames": names})

    async def start_server(self, name: str, timeout: float = 300) -> float:
        """Start ``name``'s server and wait until the hub says it is ready; seconds."""
        t = time.monotonic()
        await self.api("POST", f"/hub/api/users/{name}/server", timeout=timeout)
        while True:
            u = await self.api("GET", f"/hub/api/users/{name}")
            s = (u.get("servers") or {}).get("")
            if s and s.get("ready"):
                return time.monotonic() - t
            if not s or not s.get("pending") and not s.get("ready"):
                raise HubError(f"{name}'s server stopped while starting "
                               f"(hub log: {self._log_tail()})")
            if time.monotonic() - t > timeout:
                raise HubError(f"{name}'s server not ready after {timeout:.0f} s")
            await asyncio.sleep(0.25)

    async def stop_server(self, name: str, timeout: float = 60) -> None:
        """Stop ``name``'s server (``DELETE .../server``) and wait until it is gone."""
        with contextlib.suppress(HubError):
            await self.api("DELETE", f"/hub/api/users/{name}/server", timeout=timeout)
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            with contextlib.suppress(HubError):
                u = await self.api("GET", f"/hub/api/users/{name}")
                if not (u.get("servers") or {}):
                    return
            await asyncio.sleep(0.25)

    def processes(self) -> list[procs.Proc]:
        """The run's live processes: the hub, its proxy, servers and kernels."""
        return procs.marked(self.run)

    async def stop(self, timeout: float = 30) -> list[procs.Proc]:
        """Stop the hub (SIGTERM: it stops the servers it spawned and its proxy), wait,
        then end what is left.  Returns the processes that had to be ended after the
        hub was gone (none when the hub cleaned up after itself)."""
        if self._client is not None:
            self._client.close()
            self._client = None
        left: list[procs.Proc] = []
        if self.proc is not None:
            if self.proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(self.proc.pid, signal.SIGTERM)
                end = time.monotonic() + timeout
                while self.proc.poll() is None and time.monotonic() < end:
                    await asyncio.sleep(0.1)
                if self.proc.poll() is None:
                    self.proc.kill()
                    self.proc.wait()
            self._log.close()
            self.proc = None
            left = procs.sweep(self.run)
        shutil.rmtree(self.tmp, ignore_errors=True)
        return left
