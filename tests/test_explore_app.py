"""``cgiter-edu explore`` as a lecturer meets it: installed with the README's exact line
in a fresh venv, the URL it prints answers with the explorer, its own check leaves no
kernel running, and a port it cannot use is one line and exit 1.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from cgiter_edu.widgets import app

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
_IGNORE = shutil.ignore_patterns(".git", ".venv", "__pycache__", "*.egg-info", "artifacts",
                                 ".pytest_cache", ".ruff_cache", ".hypothesis", "build", "dist")


def _explore(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cgiter_edu", "explore", *args],
                          capture_output=True, text=True, timeout=120)


def _one_line(r: subprocess.CompletedProcess) -> str:
    assert r.returncode == 1, (r.returncode, r.stdout, r.stderr)
    assert r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert "Traceback" not in r.stderr
    return lines[0]


needs_voila = pytest.mark.skipif(importlib.util.find_spec("voila") is None,
                                 reason="Voila is not installed (pip install -e '.[explore]')")


@needs_voila
@pytest.mark.parametrize("port,said", [
    ("70000", "--port 70000: a TCP port is 1 to 65535"),
    ("-1", "--port -1: a TCP port is 1 to 65535"),
    ("65536", "--port 65536: a TCP port is 1 to 65535"),
    ("http", "--port 'http': not a number"),
])
def test_a_port_out_of_range_is_one_line(port, said):
    assert _one_line(_explore("--port", port)) == f"cgiter-edu explore: {said}" + (
        " (a TCP port is 1 to 65535)" if port == "http" else " (or 0: a free one)")


@needs_voila
def test_a_taken_port_is_one_line_and_nothing_is_served():
    with socket.socket() as other:           # another web server's port
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        line = _one_line(_explore("--port", str(port)))
    assert line == (f"cgiter-edu explore: --port {port}: 127.0.0.1:{port} cannot be used: "
                    f"EADDRINUSE (Address already in use), another program listens there")


def test_the_template_fetches_nothing_from_outside():
    """The page's template drops exactly the two CDN stylesheets of Voila's lab
    template (the browser test checks that no request leaves the machine)."""
    t = (app.JUPYTER_DATA / "voila/templates/cgiter/index.html.j2").read_text()
    assert t.count("| replace('<link rel=\"stylesheet\" href=\"https://cdn.jsdelivr.net") == 2
    if importlib.util.find_spec("voila") is not None:
        lab = Path(sys.prefix, "share/jupyter/voila/templates/lab/index.html.j2")
        if lab.exists():
            links = re.findall(r"<link rel=\"stylesheet\" href=\"https://[^\n]*/>", lab.read_text())
            assert links and all(f"replace('{x}', '')" in t for x in links)
    assert "voila/templates/cgiter/conf.json" in {
        str(p.relative_to(app.JUPYTER_DATA)) for p in app.JUPYTER_DATA.rglob("*")}


def _kernels_of(pid: int) -> list[int]:
    """The ipykernel processes a server (pid) started (its children)."""
    out = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            stat = (d / "stat").read_text()
            cmd = (d / "cmdline").read_bytes()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == pid and b"ipykernel" in cmd:
            out.append(int(d.name))
    return out


def _server_pid(explore_pid: int) -> int:
    for _ in range(100):
        for d in Path("/proc").iterdir():
            if d.name.isdigit():
                try:
                    stat = (d / "stat").read_text()
                    cmd = (d / "cmdline").read_bytes()
                except OSError:
                    continue
                if int(stat.rsplit(")", 1)[1].split()[1]) == explore_pid and b"voila" in cmd:
                    return int(d.name)
        time.sleep(0.1)
    raise AssertionError("no Voila process under cgiter-edu explore")


@pytest.mark.slow
def test_readme_install_line_in_a_fresh_venv_serves_the_explorer(tmp_path):
    """The README's exact line in a new venv (not the test environment, which has
    Jupyter already): ``cgiter-edu explore`` prints a URL only once the page shows the
    explorer, that URL answers with it, the check's kernel is gone; without ipykernel
    the same command says in one line what is missing."""
    m = re.search(r"`(pip install -e '\.\[explore\]') && (cgiter-edu explore)`", README)
    assert m, "the README's explorer install line moved"
    install, command = m.groups()
    repo = tmp_path / "repo"
    shutil.copytree(ROOT, repo, ignore=_IGNORE)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "JUPYTER_PATH", "JUPYTER_CONFIG_DIR", "MPLBACKEND")}
    env.update(PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}", VIRTUAL_ENV=str(venv),
               JUPYTER_DATA_DIR=str(tmp_path / "jupyter-data"),    # no kernels of the user's
               PIP_DISABLE_PIP_VERSION_CHECK="1")
    r = subprocess.run(["bash", "-c", install], cwd=repo, env=env, capture_output=True,
                       text=True, timeout=1500)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]

    port = app.free_port()
    proc = subprocess.Popen(["bash", "-c", f"exec {command} --port {port}"], cwd=tmp_path,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        line = proc.stdout.readline()          # printed once the page shows the explorer
        assert line.startswith(f"the explorer is at http://127.0.0.1:{port}/?token="), (
            line, proc.stderr.read() if proc.poll() is not None else "")
        url = line.split(" is at ", 1)[1].strip()
        server = _server_pid(proc.pid)
        assert _kernels_of(server) == []       # the readiness check's kernel is shut down
        body = urllib.request.urlopen(url, timeout=300).read().decode()
        assert '"text/plain": "Explorer(' in body and '"output_type": "error"' not in body
        assert "cdn.jsdelivr.net" not in body
        assert len(_kernels_of(server)) == 1   # this load's (a browser frees it on unload)
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "Traceback" not in err

    # the same venv without the kernel: one line naming what is missing
    subprocess.run([str(venv / "bin/pip"), "uninstall", "-y", "-q", "ipykernel"], env=env,
                   check=True, capture_output=True)
    r = subprocess.run(["bash", "-c", command], cwd=tmp_path, env=env, capture_output=True,
                       text=True, timeout=600)
    line = _one_line(r)
    assert "No Jupyter kernel for language 'python' found" in line, line
    assert line.endswith("pip install -e '.[explore]'"), line


def _alive(pid: int) -> bool:
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0] \
            not in "ZX"
    except OSError:
        return False


@needs_voila
def test_ctrl_c_stops_the_explorer_within_2_s_and_the_server_goes_too(tmp_path):
    """Ctrl-C on a serving explorer waited for Voila to shut its kernels down (2.7 s
    here): the command now waits at most STOP_NOW_S and a process of its own watches
    the rest, so the server still goes (SIGKILL after the grace time if it must)."""
    port = app.free_port()
    proc = subprocess.Popen([sys.executable, "-m", "cgiter_edu", "explore", "--port",
                             str(port)], cwd=tmp_path, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        line = proc.stdout.readline()
        assert line.startswith(f"the explorer is at http://127.0.0.1:{port}/"), line
        server = _server_pid(proc.pid)
        urllib.request.urlopen(line.split(" is at ", 1)[1].strip(), timeout=300).read()
        assert _kernels_of(server)             # a page's kernel: Voila's shutdown waits on it
    finally:
        t0 = time.monotonic()
        os.killpg(proc.pid, signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    took = time.monotonic() - t0
    assert proc.returncode == 0 and "Traceback" not in err, err
    assert took < 2.0, f"Ctrl-C took {took:.1f} s"
    end = time.monotonic() + 30
    while _alive(server) and time.monotonic() < end:
        time.sleep(0.1)
    assert not _alive(server), "the Voila server was left running"


@needs_voila
def test_ctrl_c_while_the_explorer_starts_is_an_interruption(tmp_path):
    """Ctrl-C before the URL was printed (Voila still starting, the page not checked)
    exited 0 and said nothing, as if the explorer had been served and stopped."""
    proc = subprocess.Popen([sys.executable, "-m", "cgiter_edu", "explore"], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    server = _server_pid(proc.pid)              # Voila started, its page not answered yet
    os.killpg(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and out == "", (proc.returncode, out, err)
    assert re.fullmatch(r"cgiter-edu: interrupted after \d+\.\d s\n", err), err
    end = time.monotonic() + 30
    while _alive(server) and time.monotonic() < end:
        time.sleep(0.1)
    assert not _alive(server), "the Voila server was left running"


@needs_voila
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_a_closed_terminal_or_sigterm_stops_the_server_and_removes_its_folder(tmp_path, sig):
    """SIGHUP (the terminal closed) killed `explore` at once: Voila went on serving and
    its temporary folder stayed in /tmp."""
    env = dict(os.environ, TMPDIR=str(tmp_path))
    proc = subprocess.Popen([sys.executable, "-m", "cgiter_edu", "explore"], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, env=env)
    line = proc.stdout.readline()
    assert line.startswith("the explorer is at http://127.0.0.1:"), line
    server = _server_pid(proc.pid)
    assert [n for n in os.listdir(tmp_path) if n.startswith("cgiter-explore-")]
    proc.send_signal(sig)
    proc.communicate(timeout=60)
    end = time.monotonic() + 30
    while _alive(server) and time.monotonic() < end:
        time.sleep(0.1)
    assert not _alive(server), "the Voila server was left running"
    assert not [n for n in os.listdir(tmp_path) if n.startswith("cgiter-explore-")]


def _threads_alive(pid: int) -> bool:
    """A thread of process ``pid`` still runs (its main thread may be a zombie while
    others finish: the process's sockets stay open until the last one exits)."""
    try:
        tasks = list((Path("/proc") / str(pid) / "task").iterdir())
    except OSError:
        return False
    for t in tasks:
        try:
            if (t / "stat").read_text().rsplit(")", 1)[1].split()[0] not in "ZX":
                return True
        except OSError:
            pass
    return False


def _port_free(port: int) -> bool:
    try:
        return app.check_port(port) == port
    except ValueError:
        return False


@needs_voila
def test_sigkill_of_explore_takes_the_server_its_kernels_and_its_folder_along(tmp_path):
    """``cgiter-edu explore`` killed with SIGKILL (nothing of its own runs) left its Voila
    (a session of its own) serving, a page's kernel running and its folder in /tmp:
    Voila now gets SIGTERM when the command dies (PR_SET_PDEATHSIG), shuts its kernels
    down and removes the folder; the port is free again."""
    env = dict(os.environ, TMPDIR=str(tmp_path))
    port = app.free_port()
    proc = subprocess.Popen([sys.executable, "-m", "cgiter_edu", "explore", "--port",
                             str(port)], cwd=tmp_path, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True, env=env)
    server = None
    try:
        line = proc.stdout.readline()
        assert line.startswith(f"the explorer is at http://127.0.0.1:{port}/"), line
        server = _server_pid(proc.pid)
        urllib.request.urlopen(line.split(" is at ", 1)[1].strip(), timeout=300).read()
        kernels = _kernels_of(server)
        assert len(kernels) == 1                # this load's
        assert [n for n in os.listdir(tmp_path) if n.startswith("cgiter-explore-")]
        proc.kill()
        proc.communicate(timeout=60)
        assert proc.returncode == -signal.SIGKILL
        t0 = time.monotonic()
        while (_threads_alive(server) or not _port_free(port)) and time.monotonic() - t0 < 10:
            time.sleep(0.1)
        took = time.monotonic() - t0
        assert not _threads_alive(server), "the Voila server was left running"
        assert not any(_alive(k) for k in kernels), "the page's kernel was left running"
        assert app.check_port(port) == port                         # the port is free
        assert not [n for n in os.listdir(tmp_path) if n.startswith("cgiter-explore-")]
        print(f"\nVoila gone {took:.1f} s after explore's SIGKILL")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=60)
        if server is not None and _alive(server):
            os.killpg(server, signal.SIGKILL)   # its own session: not left for the next test
