"""Careless input and Ctrl-C, tried as a new user would (issue 21), on the real
``cgiter-edu`` command: what a command writes goes only to a regular file or a new path
and appears whole or not at all; every numeric option has a range, said in --help and
enforced in one line; bad fields and names are refused naming them; Ctrl-C stops a
command with one line and leaves nothing behind."""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from test_cli import COMMAND, cli, one_line_error

import cgiter_edu.cli
from cgiter_edu.clihelpers import InRange

REPO = Path(__file__).resolve().parent.parent


def _leftovers(folder: Path) -> list[str]:
    """Names in ``folder`` that a write left behind (temporary files, half-made folders)."""
    return sorted(p.name for p in folder.iterdir() if ".tmp" in p.name)


# -- 1. writing output: a regular file or a new path, whole or not at all ---------------

#: (command, the output flag, a file name it takes)
WRITERS = [(["plot", "walk"], "-o", "x.png"), (["animate"], "-o", "x.gif"),
           (["record"], "--out", "x.jsonl")]


@pytest.mark.parametrize("cmd,flag,name", WRITERS)
@pytest.mark.parametrize("kind", ["device", "fifo", "directory", "dangling-dir"])
def test_output_that_is_no_regular_file_is_refused_and_left_alone(tmp_path, cmd, flag,
                                                                  name, kind):
    """As root, `record --out /dev/full` replaced the device with a regular file: now a
    device (reached by a symlink with the right suffix too), a fifo or a directory is
    one line, exit 1, and stays what it was."""
    target = tmp_path / name
    if kind == "device":
        target.symlink_to("/dev/full")
    elif kind == "fifo":
        os.mkfifo(target)
    elif kind == "directory":
        target.mkdir()
    else:
        target = tmp_path / "no-such-dir" / name
    before = sorted(os.listdir(tmp_path))
    err = one_line_error(cli(*cmd, flag, str(target), check=False, cwd=tmp_path))
    assert err.startswith(f"cgiter-edu {cmd[0]}: {flag} {target}: "), err
    want = {"device": "is a character device, not a regular file",
            "fifo": "is a fifo, not a regular file", "directory": "is a directory",
            "dangling-dir": f"the directory {target.parent} does not exist"}[kind]
    assert want in err, err
    assert "wrote" not in err
    assert sorted(os.listdir(tmp_path)) == before
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)
    if kind == "fifo":
        assert stat.S_ISFIFO(os.lstat(target).st_mode)


@pytest.mark.parametrize("args", [["plot", "walk", "-o", ""], ["animate", "-o", ""],
                                  ["record", "--out", ""]])
def test_an_empty_output_name_is_refused(tmp_path, args):
    err = one_line_error(cli(*args, check=False, cwd=tmp_path))
    assert f"{args[-2]} '': an empty name; give a file name" in err, err
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("cmd", ["walk", "tree"])
def test_a_tree_from_a_device_is_refused_not_read_forever(cmd):
    """`--tree /dev/zero` read forever; a pipe (`--tree <(cgiter-edu tree --json)`)
    still works."""
    err = one_line_error(cli(cmd, "--tree", "/dev/zero", check=False))
    assert err.startswith(f"cgiter-edu {cmd}: --tree /dev/zero: is a device or socket"), err
    saved = cli("tree", "--tree", "small", "--json").stdout
    r = subprocess.run(["bash", "-c", f'"{COMMAND}" {cmd} --tree <(cat)'], input=saved,
                       capture_output=True, timeout=120)
    assert r.returncode == 0, r.stderr


def test_nbgrader_and_class_json_write_only_regular_files(tmp_path):
    """The other commands that write files: nbgrader DIR (each file whole, a fifo in the
    way refused before anything is written) and bench --class-json (refused before the
    minutes of measuring)."""
    course = tmp_path / "course"
    (course / "source" / "cgiter").mkdir(parents=True)
    os.mkfifo(course / "source" / "cgiter" / "tasks.ipynb")
    err = one_line_error(cli("nbgrader", str(course), check=False))
    assert err == (f"cgiter-edu nbgrader: writing {course}/source/cgiter/tasks.ipynb: is a "
                   "fifo, not a regular file; give a file name (it is replaced only if it is "
                   "a regular file)")
    assert sorted(os.listdir(course / "source" / "cgiter")) == ["tasks.ipynb"]
    assert not (course / "nbgrader_config.py").exists()
    err = one_line_error(cli("bench", "--parts", "class", "--class-json", "/dev/full",
                             check=False))
    assert err.startswith("cgiter-edu bench: --class-json /dev/full: is a character device")


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can write to /dev/full's node")
def test_record_out_dev_full_as_root_keeps_the_device():
    """The issue's example, exactly: root, `record --out /dev/full`."""
    err = one_line_error(cli("record", "--out", "/dev/full", "--cases", "1", check=False))
    assert err == ("cgiter-edu record: --out /dev/full: is a character device, not a regular "
                   "file; give a file name (it is replaced only if it is a regular file)")
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)


def _small_files(limit: int):
    def preexec():
        import resource

        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return preexec


@pytest.mark.parametrize("args,name", [(["plot", "walk"], "x.png"), (["plot", "buffer"], "x.png"),
                                       (["animate", "--quiet", "--tree", "small"], "x.gif")])
def test_a_write_that_fails_is_an_error_and_keeps_the_old_file(tmp_path, args, name):
    """A write the file system refuses half-way (RLIMIT_FSIZE: EFBIG) is one line, exit
    1, never "wrote", the old file as it was and no temporary file left.  (No bytecode
    is written under that limit: a cut .pyc would break every later import.)"""
    out = tmp_path / name
    out.write_bytes(b"the old picture")
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    r = cli(*args, "-o", str(out), check=False, preexec_fn=_small_files(60_000), env=env)
    err = one_line_error(r)
    assert err.startswith(f"cgiter-edu {args[0]}: -o {out}: EFBIG"), err
    assert out.read_bytes() == b"the old picture"
    assert sorted(os.listdir(tmp_path)) == [name]


def test_a_write_replaces_a_regular_file_whole_and_keeps_its_mode(tmp_path):
    out = tmp_path / "x.png"
    out.write_bytes(b"old")
    out.chmod(0o640)
    r = cli("plot", "walk", "-o", str(out))
    assert r.stderr.decode().strip() == f"cgiter-edu: wrote {out}"
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert stat.S_IMODE(out.stat().st_mode) == 0o640
    assert sorted(os.listdir(tmp_path)) == ["x.png"]


def test_the_helper_refuses_what_is_no_regular_file(tmp_path):
    from cgiter_edu.clihelpers import CliError
    from cgiter_edu.outfile import atomic_output

    with pytest.raises(CliError, match="is a character device"):
        with atomic_output("/dev/null", "-o"):
            pass
    with pytest.raises(KeyboardInterrupt):
        with atomic_output(tmp_path / "a.txt", "-o") as tmp:
            tmp.write_text("half")
            raise KeyboardInterrupt
    assert os.listdir(tmp_path) == []


def test_the_recorder_names_functions_without_co_qualname():
    """pyproject allows Python 3.10, whose code objects have no co_qualname: every walk
    with a trace failed there with AttributeError.  The recorder finds the qualname
    through the module's functions and classes instead: the same name as co_qualname
    for every place a traced walk records."""
    from cgiter_edu import Order, programs, run, shapes
    from cgiter_edu.recorder import _func_names, _line_names, _qualname_of_function

    if sys.version_info < (3, 11):
        pytest.skip("no co_qualname to compare with before Python 3.11 (the walks of the "
                    "other tests use the fallback here)")
    run(shapes.BY_NAME["systemd"](), programs.Record(rec_bytes=64), Order.DESCENDANTS_PRE,
        read_size=300, trace=True)
    places = list(_func_names.items())          # plain functions, and the inlined ones:
    places += [(code, next(iter(names.values()))) for code, names in _line_names.items()]
    assert len(places) >= 6, places
    for code, name in places:
        module = sys.modules[name.split(":")[0]]
        assert _qualname_of_function(code, vars(module)) == code.co_qualname, name


# -- 4. Ctrl-C: one line, exit 130, nothing left behind ---------------------------------

def _interrupt(args, cwd, started, env=None, timeout=120):
    """Run ``cgiter-edu ARGS``, send SIGINT once ``started(stderr so far)`` holds (the
    command is at work), and return (exit code, stderr)."""
    p = subprocess.Popen([COMMAND, *args], cwd=cwd, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, env=env)
    os.set_blocking(p.stderr.fileno(), False)
    err = b""
    end = time.monotonic() + timeout
    while not started(err.decode(errors="replace")) and p.poll() is None:
        assert time.monotonic() < end, err
        time.sleep(0.005)
        err += p.stderr.read() or b""
    assert p.poll() is None, f"it ended before it could be interrupted: {err!r}"
    p.send_signal(signal.SIGINT)
    p.wait(timeout=60)
    os.set_blocking(p.stderr.fileno(), True)
    err += p.stderr.read()
    return p.returncode, err.decode()


def _one_interrupted_line(code, err):
    assert code == 130, (code, err)
    lines = err.strip().splitlines()
    assert "Traceback" not in err and "unexpected" not in err, err
    assert re.fullmatch(r"cgiter-edu: interrupted after \d+\.\d s", lines[-1]), err


#: (command, a module it imports while starting): Ctrl-C is sent when that module's
#: import is done (-X importtime says so on stderr), while the next ones load
EARLY = [(["capacity"], "typing"), (["walk"], "cgiter_edu.lazy"), (["capacity"], "argparse"), (["walk"], "cgiter_edu.cli.parser"),
         (["walk"], "networkx.utils"), (["walk"], "networkx"),
         (["walk"], "cgiter_edu.hierarchy"), (["walk"], "cgiter_edu.clihelpers"),
         (["tree", "--tree", "kubernetes"], "cgiter_edu.kernel.cgroup"),
         (["capacity", "--record-bytes", "64"], "cgiter_edu.run"),
         (["plot", "walk", "-o", "x.png"], "matplotlib.colors"),
         (["quiz"], "networkx"), (["bench", "--parts", "walk"], "cgiter_edu.names"),
         (["--help"], "cgiter_edu.clihelpers")]


@pytest.mark.parametrize("args,after", EARLY)
def test_ctrl_c_while_the_command_is_starting_is_one_line(tmp_path, args, after):
    """A Ctrl-C in the first ~0.3 s of a command, while networkx and the emulator were
    being imported, printed Python's traceback: the command's entry module imports
    nothing heavy, so its handler is in place before they load.  A real SIGINT, sent
    once -X importtime says ``after`` is imported (no timing)."""
    env = dict(os.environ, PYTHONPROFILEIMPORTTIME="1")
    line = re.compile(r"import time: .*\| +" + re.escape(after) + "$", re.M)
    for _ in range(5):
        code, err = _interrupt(args, tmp_path, lambda e: line.search(e) is not None, env=env)
        # exit 0, or killed by SIGINT itself (-2, Python's handler gone in the teardown):
        # the command had finished before the signal came, which a busy machine's
        # scheduling allows (an ordinary account's run, niced); not a start: try again
        if code not in (0, -signal.SIGINT):
            break
    err = "\n".join(x for x in err.splitlines() if not x.startswith("import time:"))
    _one_interrupted_line(code, err)
    assert len(err.strip().splitlines()) == 1, err
    assert os.listdir(tmp_path) == []


_SPY = """
import signal, sys
before = []                    # what is imported while Python's own handler is in place
class Spy:
    def find_spec(self, name, path=None, target=None):
        if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
            before.append(name)
sys.argv = [sys.argv[1], "--help"]
script = compile(open(sys.argv[0]).read(), sys.argv[0], "exec")
sys.meta_path.insert(0, Spy())
exec(script, {"__name__": "the console script, its imports only"})
print(before)
"""


def test_the_console_script_puts_its_ctrl_c_handler_in_place_before_any_import():
    """A Ctrl-C while the console script imported typing and the lazy root (before
    cgiter_edu.cli put its handler in place) printed an import's traceback: the package
    root puts it in place first, before it imports anything of its own.  Run: the real
    console script's imports, with an import hook that notes each module imported while
    Python's default SIGINT handler is still there."""
    r = subprocess.run([sys.executable, "-c", _SPY, COMMAND], capture_output=True,
                       text=True, timeout=60, check=True)
    assert r.stdout.strip() == "['cgiter_edu']", r.stdout


def test_importing_the_package_elsewhere_leaves_the_ctrl_c_handler_alone():
    code = ("import signal, cgiter_edu.cli\n"
            "assert signal.getsignal(signal.SIGINT) is signal.default_int_handler")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_ctrl_c_on_animate_leaves_no_temporary_file(tmp_path):
    out = tmp_path / "walk.gif"
    out.write_bytes(b"old")
    code, err = _interrupt(["animate", "--tree", "balanced", "--record-bytes", "3000",
                            "--max-frames", "400", "-o", str(out)], tmp_path,
                           lambda e: "frames" in e and "[" in e)
    _one_interrupted_line(code, err)
    assert out.read_bytes() == b"old"
    assert sorted(os.listdir(tmp_path)) == ["walk.gif"]


def _scratch_of(pid: int) -> list[str]:
    from cgiter_edu.shapes import cgroup2_mount

    return [n for n in os.listdir(cgroup2_mount()) if n.startswith(f"cgiter_edu-{pid}-")]


def test_ctrl_c_on_record_stops_and_removes_its_scratch_cgroups(require_live, tmp_path):
    """`record` took 15 to 132 s to stop after Ctrl-C and left a 5 MB .tmp: now one
    line, no file at all, and its scratch cgroups gone (removed before it exits, or by
    the background remover right after).  Interrupted at several points of a walk."""
    for i in range(4):
        out = tmp_path / f"rec{i}.jsonl"

        def started(e, i=i):
            return e.count("recording: ") > 2 + 3 * i
        p = subprocess.Popen([COMMAND, "record", "--cases", "10000", "--out", str(out)],
                             cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        os.set_blocking(p.stderr.fileno(), False)
        err = b""
        end = time.monotonic() + 120
        while not started(err.decode(errors="replace")) and p.poll() is None:
            assert time.monotonic() < end, err
            time.sleep(0.02)
            err += p.stderr.read() or b""
        p.send_signal(signal.SIGINT)
        p.wait(timeout=60)
        os.set_blocking(p.stderr.fileno(), True)
        err += p.stderr.read()
        text = err.decode().replace("\r", "\n")
        _one_interrupted_line(p.returncode, text)
        assert os.listdir(tmp_path) == [], os.listdir(tmp_path)
        end = time.monotonic() + 120
        while _scratch_of(p.pid) and time.monotonic() < end:
            time.sleep(0.1)
        assert not _scratch_of(p.pid)


def test_ctrl_c_on_slides_leaves_no_half_made_folder(tmp_path):
    """`slides` printed an ipykernel traceback and "AssertionError (unexpected)" and left
    a half-made folder: now one line and no folder."""
    from cgiter_edu.course import slides

    if slides.missing_packages():
        pytest.skip(f"the slides extra is not installed ({slides.missing_packages()})")
    if not (slides._cache_dir() / "reveal.js" / ".version").exists():
        pytest.skip("reveal.js not in the cache yet (test_slides.py fetches it)")
    out = tmp_path / "decks"

    def running(_err):                  # the lesson is running: the staging folder exists
        return any(".tmp-" in n for n in os.listdir(tmp_path)) and time.sleep(3) is None
    code, err = _interrupt(["slides", "-o", str(out), "--lessons", "01", "02"], tmp_path,
                           running)
    _one_interrupted_line(code, err)
    assert os.listdir(tmp_path) == []


def test_a_lesson_interrupted_after_its_kernel_cleanup_leaves_no_atexit_cleanup(
        tmp_path, monkeypatch):
    """`slides` interrupted printed, after its one line, 'Exception ignored in atexit
    callback ... assert self.km is not None': a Ctrl-C between nbclient's own kernel
    cleanup (km = None) and its atexit.unregister left the cleanup registered for a
    kernel manager already gone.  That state, made by a stand-in for the run."""
    pytest.importorskip("nbclient")
    import atexit

    import nbclient.client as ncc
    from nbformat.v4 import new_notebook

    from cgiter_edu.course.slides import run_lesson

    registered = []

    async def interrupted_run(self, **kw):     # nbclient's run, cut where Ctrl-C cut it
        registered.append(self._cleanup_kernel)
        atexit.register(self._cleanup_kernel)
        self.km = None                  # its cleanup done; the unregister never reached
        raise KeyboardInterrupt

    real_unregister = atexit.unregister

    def unregister(f):
        registered[:] = [g for g in registered if g != f]
        real_unregister(f)

    monkeypatch.setattr(ncc.NotebookClient, "async_execute", interrupted_run)
    monkeypatch.setattr(atexit, "unregister", unregister)
    raised = []

    def run():
        try:
            run_lesson(new_notebook(), tmp_path)
        except KeyboardInterrupt as e:
            raised.append(e)

    # in a thread: a task that died of the KeyboardInterrupt was run again and never
    # returned (`slides` hung after Ctrl-C, now and then, 60 s and more)
    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(30)
    try:
        assert not t.is_alive(), "run_lesson hung after the interrupt"
        assert raised and registered == []
    finally:
        for f in registered:
            real_unregister(f)


# -- argparse's own refusals: one line naming the option and what it takes, exit 1 ------

def _refusal(capsys, argv):
    """``cgiter-edu ARGV`` in this process: exit 1 and the one line it printed."""
    assert cgiter_edu.cli.main(argv) == 1, argv
    out, err = capsys.readouterr()
    assert out == "" and len(err.strip().splitlines()) == 1, (argv, err)
    assert "usage:" not in err and "error:" not in err, (argv, err)
    return err.strip()


def _options(sp):
    return [a for a in sp._actions if not isinstance(a, (argparse._HelpAction,
                                                         argparse._SubParsersAction))]


def test_every_argparse_refusal_of_every_subcommand_is_one_line(capsys):
    """An unknown option, a value that is not one of the choices, an option without its
    value, a required argument left out: for every subcommand, one line naming the option
    and what it takes, exit 1 (as the command's other refusals), instead of the usage,
    'error:' and exit 2."""
    tried = 0
    for name, sp in _subparsers().items():
        if sp.get_default("takes_any_arguments"):
            continue                                    # cannot run here: says so itself
        err = _refusal(capsys, [name, "--no-such-option"])
        if any(a.required for a in _options(sp)):   # argparse says what is missing first
            assert " is required; it takes " in err or "not one of the choices" in err, err
        else:
            assert err.startswith(f"cgiter-edu {name}: --no-such-option: no such option ("), err
            assert err.endswith(f"`cgiter-edu {name} --help` lists them)"), err
        for a in _options(sp):
            if a.choices is not None:
                argv = [name, a.option_strings[-1], "nope"] if a.option_strings \
                    else [name, "nope"]
                err = _refusal(capsys, argv)
                flags = a.option_strings or [a.metavar or a.dest]
                assert any(err.startswith(f"cgiter-edu {name}: {flag} nope: not one of ")
                           for flag in flags), err
                assert all(str(c) in err.split("; use ")[1] for c in a.choices), err
                tried += 1
            if a.option_strings and a.nargs not in (0, "?", "*"):
                err = _refusal(capsys, [name, a.option_strings[-1]])
                assert any(err.startswith(f"cgiter-edu {name}: {flag}: needs a value")
                           for flag in a.option_strings), err
                assert "; it takes " in err and len(err.split("; it takes ")[1]) > 2, err
                tried += 1
        required = [a for a in _options(sp) if a.required and a.option_strings]
        if required and not [a for a in _options(sp) if a.required and not a.option_strings]:
            err = _refusal(capsys, [name])
            assert any(f"{flag} is required; it takes " in err
                       for flag in required[0].option_strings), err
            tried += 1
    assert tried > 60, tried


@pytest.mark.parametrize("argv,want", [
    (["walk", "--program", "foo"], "cgiter-edu walk: --program foo: not one of its values; use "
     "ids, paths, record or silent"),
    (["walk", "--nope"], "cgiter-edu walk: --nope: no such option (did you mean --no-trace? "
     "`cgiter-edu walk --help` lists them)"),
    (["walk", "3"], "cgiter-edu walk: 3: not an argument it takes (`cgiter-edu walk --help` "
     "lists them)"),
    (["walk", "--quiet=3"], "cgiter-edu walk: --quiet=3: --quiet takes no value"),
    (["walk", "--re", "3"], "cgiter-edu walk: --re: ambiguous, it could be --record-bytes or "
     "--read-size; give it whole"),
    (["walk", "--order"], "cgiter-edu walk: --order: needs a value; it takes ORDER: walk "
     "order: pre, post, up (ancestors), self, children (Linux 7.0+)"),
    (["capacity"], "cgiter-edu capacity: --record-bytes is required; it takes 1 to 524287"),
    (["bench", "--parts"], "cgiter-edu bench: --parts: needs a value (at least one); it takes "
     "import, walk,"),
    (["nope"], "cgiter-edu: nope: no such command; use walk, capacity, tree,"),
    (["--nope"], "cgiter-edu: a command is needed; use walk, capacity,"),
    (["plot", "nope"], "cgiter-edu plot: picture nope: not one of the choices; use walk, "
     "buffer, mutex, orders or capacity"),
    (["plot", "walk", "--nope", "-o", "x.png"], "cgiter-edu plot: --nope: no such option"),
])
def test_argparse_refusals_said_in_one_line(tmp_path, argv, want):
    """The issue's example and one of each kind, run as the user runs the command."""
    err = one_line_error(cli(*argv, check=False, cwd=tmp_path))
    assert err.startswith(want), err
    assert os.listdir(tmp_path) == []


def test_help_is_still_argparses():
    for argv in (["--help"], ["walk", "--help"], ["plot", "--help"], ["capacity", "-h"]):
        r = cli(*argv)
        assert r.stdout.decode().startswith("usage: cgiter-edu") and r.stderr == b"", argv


# -- 5. numbers: every numeric option has a range, in --help, enforced in one line -------

#: numeric options whose range is not an InRange, and why (each still checked below)
NOT_IN_RANGE = {
    ("plot", "--step"): "depends on the trace: -n to n - 1",
    ("explore", "--port"): "the explorer's (issue 21 item 3)",
}


def _subparsers():
    p = cgiter_edu.cli.build_parser()
    sub = next(a for a in p._actions if isinstance(a, argparse._SubParsersAction))
    return sub.choices


def test_every_numeric_option_has_a_range_said_in_its_help():
    """Go through every option of every subcommand: one that takes a number is an
    InRange (its range in --help), has choices, or is listed in NOT_IN_RANGE."""
    seen = []
    for name, sp in _subparsers().items():
        for a in sp._actions:
            if not a.option_strings:
                continue
            flag = a.option_strings[-1]
            if isinstance(a, InRange):
                assert f"({a.range_text()})" in a.help, (name, flag, a.help)
                seen.append((name, flag))
            elif a.type in (int, float) and a.choices is None:
                assert (name, flag) in NOT_IN_RANGE, f"{name} {flag} takes a number with no range"
    for want in [("plot", "--dpi"), ("animate", "--fps"), ("animate", "--max-frames"),
                 ("animate", "--dpi"), ("record", "--cases"), ("record", "--seed"),
                 ("capacity", "--epilogue-bytes"), ("walk", "--read-size"),
                 ("walk", "--start-id"), ("quiz", "--seed"), ("live", "--read-size"),
                 ("bench", "--students"), ("walk", "--ring-bytes"), ("walk", "--record-bytes"),
                 ("plot", "--record-bytes"), ("animate", "--record-bytes"),
                 ("live", "--record-bytes")]:
        assert want in seen, want


@pytest.mark.parametrize("args,want", [
    (["capacity", "--record-bytes", "64", "--epilogue-bytes", "40000"],
     "capacity: --epilogue-bytes 40000: the epilogue's bytes come out of the 32767 usable "
     "bytes of the 32768-byte buffer (--page-size 4096), leaving at least 1 for records; use "
     "0 to 32766"),
    (["capacity", "--record-bytes", "64", "--epilogue-bytes", "-1"], "capacity: --epilogue-bytes -1: out of range; use 0 to 524286"),
    (["capacity", "--record-bytes", "40000"], "capacity: --record-bytes 40000: a record takes 1 byte "
     "or more, and at most the 32767 bytes"),
    (["capacity", "--record-bytes", "0"], "capacity: --record-bytes 0: out of range; use 1 to 524287"),
    (["plot", "walk", "--dpi", str(2 ** 63), "-o", "{tmp}/x.png"],
     f"plot: --dpi {2 ** 63}: out of range; use 30 to 600"),
    (["plot", "walk", "--dpi", "10", "-o", "{tmp}/x.png"], "plot: --dpi 10: out of range"),
    (["plot", "walk", "--dpi", "1e3", "-o", "{tmp}/x.png"],
     "plot: --dpi 1e3: not a whole number; use 30 to 600"),
    (["animate", "--dpi", str(2 ** 63), "-o", "{tmp}/x.gif"], "animate: --dpi "),
    (["animate", "--fps", "nan", "-o", "{tmp}/x.gif"], "animate: --fps nan: out of range; "
     "use 0.1 to 50"),
    (["animate", "--fps", "inf", "-o", "{tmp}/x.gif"], "animate: --fps inf: out of range"),
    (["animate", "--fps", "1e308", "-o", "{tmp}/x.gif"], "animate: --fps 1e308: out of range"),
    (["animate", "--max-frames", str(2 ** 63), "-o", "{tmp}/x.gif"],
     "animate: --max-frames 9223372036854775808: out of range; use 1 to 1000"),
    (["record", "--cases", str(2 ** 63)], "record: --cases 9223372036854775808: out of range; "
     "use 1 to 10000"),
    (["record", "--cases", "0"], "record: --cases 0: out of range"),
    (["record", "--seed", "-1"], "record: --seed -1: out of range; use 0 to 2**63 - 1"),
    (["walk", "--read-size", str(2 ** 63)], "walk: --read-size 9223372036854775808: read() "
     "takes 0 or more bytes, and the kernel transfers at most MAX_RW_COUNT in one call; use 0 "
     "to 2147479552"),
    (["walk", "--start-id", str(2 ** 64)], "walk: --start-id 18446744073709551616: a cgroup "
     "id is an unsigned 64-bit number (0 means none); use 0 to 2**64 - 1"),
    (["walk", "--start-id", "x"], "walk: --start-id x: not a whole number"),
    # --record-bytes said its range only when the number was out of it, not for '0x40'
    (["walk", "--record-bytes", "0x40"], "walk: --record-bytes 0x40: not a whole number; use "
     "24 to 4119"),
    (["walk", "--record-bytes", "23"], "walk: --record-bytes 23: a record is its 24-byte line "
     "'C <id> <seq_num>\\n' and 0 to 4095 pad bytes ((rec_bytes - 24) & 4095, as the C "
     "program does); use 24 to 4119"),
    (["plot", "walk", "--record-bytes", "4120", "-o", "{tmp}/x.png"], "plot: --record-bytes "
     "4120: a record is its 24-byte line"),
    (["live", "--read-size", "-1"], "live: --read-size -1: "),
    (["quiz", "--seed", str(2 ** 64)], "quiz: --seed 18446744073709551616: a seed is an "
     "unsigned 64-bit number; use 0 to 2**64 - 1"),
    (["quiz", "--seed", "-3"], "quiz: --seed -3: "),
    (["walk", "--page-size", "8192"], "walk: --page-size 8192: PAGE_SIZE is 4 KiB on x86-64, "
     "4, 16 or 64 KiB on arm64; use 4096, 16384 or 65536"),
    (["capacity", "--record-bytes", "64", "--page-size", "4k"], "capacity: --page-size 4k: "),
    (["plot", "walk", "--page-size", "0", "-o", "{tmp}/x.png"], "plot: --page-size 0: "),
    (["bench", "--students", "5", "0"], "bench: --students 0: out of range; use 1 to 1000"),
    (["nbgrader", "{tmp}/course", "--seed", "-1"], "nbgrader: --seed -1: a seed is an "
     "unsigned 64-bit number"),
    (["walk", "--open-coded", "--ring-bytes", str(2 ** 40)], "walk: --ring-bytes "
     "1099511627776: a ring buffer's size is a power of 2 and a multiple of the page size; "
     "use 4096 to 1073741824"),
])
def test_a_number_out_of_range_is_one_line_naming_the_option_and_range(tmp_path, args, want):
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    err = one_line_error(cli(*args, check=False, cwd=tmp_path))
    assert err.startswith("cgiter-edu " + want), err
    assert os.listdir(tmp_path) == []


def test_capacity_with_an_epilogue_explains_only_what_is_true():
    """Within range, the epilogue's bytes are taken out first; the comment's count is
    compared only when no epilogue is kept (a false '512 too many' was printed)."""
    out = cli("capacity", "--record-bytes", "64", "--epilogue-bytes", "32766").stdout.decode()
    assert out.splitlines()[0] == "0 records of 64 bytes fit in one cgroup_iter session"
    assert "(1) // 64 = 0" in out and "too many" not in out


def test_a_gif_too_big_for_memory_is_refused_before_drawing(tmp_path, monkeypatch):
    from cgiter_edu.cli import cmd_plot as viz_cli
    from cgiter_edu.clihelpers import CliError

    monkeypatch.setattr(viz_cli, "_mem_available", lambda: 2 ** 30)
    with pytest.raises(CliError, match=r"--max-frames/--dpi: a GIF of 1000 frames at dpi 240"):
        viz_cli._check_gif_memory(1000, 240)
    viz_cli._check_gif_memory(10, 80)


# -- 6. silent acceptance: wrong types and unknown names are refused, named -------------

def _saved(tmp_path, change):
    d = json.loads(cli("tree", "--json").stdout)
    change(d)
    p = tmp_path / "t.json"
    p.write_text(json.dumps(d))
    return p


@pytest.mark.parametrize("change,want", [
    (lambda d: d["cgroups"][3].update(dead="false"),
     "\"dead\" must be true or false (a JSON boolean), not str 'false'"),
    (lambda d: d["cgroups"][3].update(dead=0), "\"dead\" must be true or false"),
    (lambda d: d["cgroups"][3].update(dead=None), "\"dead\" must be true or false"),
    (lambda d: d["cgroups"][3].update(deda=True),
     "unknown field 'deda'; an entry has id, name, parent, dead, procs"),
    (lambda d: d.update(nextid=5), "unknown field 'nextid'; a saved hierarchy has format, "
     "root_id, next_id, cgroups, root_procs"),
    (lambda d: d.update(next_id="9"), "\"next_id\": a cgroup id must be an int, not str"),
    (lambda d: d.update(root_id=True), "\"root_id\": a cgroup id must be an int, not bool"),
    # a parent of 1.0 or true compared equal to the root's id 1 and was taken for it
    (lambda d: d["cgroups"][0].update(parent=1.0),
     "\"parent\": a cgroup id must be an int, not float"),
    (lambda d: d["cgroups"][0].update(parent=True),
     "\"parent\": a cgroup id must be an int, not bool"),
    (lambda d: d["cgroups"][0].update(parent="1"),
     "\"parent\": a cgroup id must be an int, not str"),
    (lambda d: d["cgroups"][0].update(procs=[{"pid": 5, "comm": "x", "tid": 6}]),
     "unknown field 'tid'; a process has pid, comm, threads"),
    (lambda d: d["cgroups"][0].update(procs=[{"pid": 5, "comm": "x", "threads": "67"}]),
     "\"threads\" must be a list of thread ids"),
])
def test_a_saved_tree_with_a_wrong_type_or_unknown_field_is_refused(tmp_path, change, want):
    p = _saved(tmp_path, change)
    for cmd in ("walk", "tree"):
        err = one_line_error(cli(cmd, "--tree", str(p), check=False))
        assert err.startswith(f"cgiter-edu {cmd}: --tree {p}: ") and want in err, err


@pytest.mark.parametrize("change,want", [
    ({"read_size": "4096"}, '"read_size" must be an integer, not "4096"'),
    ({"extra_reads": 10 ** 8}, '"extra_reads" must be an integer from 0 to 1000, not 100000000'),
    ({"order": True}, '"order" must be an integer (the order\'s raw value), not true'),
    ({"bogus": 1}, "unknown field 'bogus'; it has hierarchy, order, start, program, "
                   "read_size, dead, remake, made, read_sizes, extra_reads, label"),
    ({"start": {"path": "/a"}}, '"start": unknown field \'path\'; it has fd, id, held, rawfd'),
    ({"start": "/a"}, '"start" must be an object: {}, {"fd": PATH}, {"id": N}, {"held": ID} '
                      'or {"rawfd": N}, not "/a"'),
    ({"dead": "/a"}, '"dead" must be a list of cgroup paths, not "/a"'),
    ({"made": [True]}, '"made" must be a list of cgroup ids, not [true]'),
    ({"label": 5}, '"label" must be a string, not 5'),
    ({"program": {"name": "id_printer", "rec_bytes": 64}},
     "\"program\" (id_printer): unknown field 'rec_bytes'; it has terminal_cgroup, "
     "terminate_early"),
    ({"program": {"name": "record", "rec_bytes": "64"}},
     '"program" (record): "rec_bytes" must be an integer, not "64"'),
    ({"program": {"name": "nope"}}, '"program": unknown program "nope"; use id_printer or record'),
])
def test_a_live_case_with_a_wrong_type_or_unknown_field_is_refused(change, want):
    """`live --case` read `"dead": "/a"` as the paths / and a (EBUSY: the root cannot be
    removed), ignored `"start": {"path": "/a"}` (walked from the root) and a program's
    unknown keys, and said a wrong type as a Python error ('<' not supported between
    instances of 'str' and 'int'): one line naming the field and what it takes, before
    anything is made on the kernel."""
    from cgiter_edu import Hierarchy
    from cgiter_edu.live.cases import Case

    h = Hierarchy()
    h.mkdir("/a")
    good = json.loads(Case.for_hierarchy(h, start={"fd": "/a"}, label="t").to_json())
    assert Case.from_json(json.dumps(good)) == Case.from_json(good)
    with pytest.raises(ValueError) as e:
        Case.from_json(json.dumps({**good, **change}))
    assert str(e.value) == want


@pytest.mark.parametrize("args,want", [
    (["--json", "--show-link"], "--show-link: not with --json (one or the other)"),
    (["--explain", "--json"], "--json: not with --explain (one or the other)"),
    (["--show-link", "--explain"], "--explain: not with --show-link (one or the other)"),
    (["--no-trace", "--trace"], "--trace: not with --no-trace (one or the other)"),
    (["--open-coded", "--show-link"], "--show-link: not with --open-coded (one or the other)"),
    (["--open-coded", "--explain"], "--explain: not with --open-coded (one or the other)"),
    (["--open-coded", "--cgroupns", "/user.slice"],
     "--cgroupns /user.slice: not with --open-coded (the syscall program starts at a cgroup "
     "id it is given, in no namespace; give --start or --start-id)"),
])
def test_walk_flags_one_of_which_would_be_dropped_are_refused(args, want):
    """`walk --json --show-link` printed the link and no JSON, `--explain --json` no JSON,
    `--no-trace --trace` took the last, `--open-coded --cgroupns P` walked from the
    host's root as if no namespace had been given: one line each."""
    assert one_line_error(cli("walk", *args, check=False)) == f"cgiter-edu walk: {want}"


@pytest.mark.parametrize("args,said", [
    (["--extra-reads", "2"], "--open-coded does not use --extra-reads (no read() calls: the "
                             "program runs once, into a ring buffer)"),
    (["--no-trace"], "--open-coded does not use --trace/--no-trace (it records no trace: "
                     "the ring buffer's records are what it shows)"),
])
def test_the_open_coded_walk_says_what_it_does_not_use(args, said):
    r = cli("walk", "--open-coded", "-q", *args)
    assert r.stderr.decode().splitlines()[0] == f"cgiter-edu walk: {said}"


@pytest.mark.parametrize("picture", ["buffer", "mutex"])
def test_a_picture_without_a_tree_says_it_does_not_use_view_and_labels(tmp_path, picture):
    r = cli("plot", picture, "--view", "tree", "--labels", "id", "-o", str(tmp_path / "p.png"))
    assert r.stderr.decode().splitlines()[0] == (
        f"cgiter-edu plot: note: plot {picture} draws no tree; it does not use --view, --labels")


def test_a_scratch_parent_must_be_a_cgroup_v2_directory(tmp_path):
    """`live --parent /tmp` made its scratch tree of plain directories in /tmp and said
    'DIFFERENT: attach: emulator ok, kernel EBADF', as if the emulator were wrong."""
    from cgiter_edu.live.errors import LiveError
    from cgiter_edu.live.mirror import check_parent

    mount = tmp_path / "cgroup2"
    (mount / "pods").mkdir(parents=True)
    for d in (mount, mount / "pods"):
        (d / "cgroup.controllers").write_text("cpu memory\n")
    check_parent(str(mount), str(mount))
    check_parent(str(mount / "pods"), str(mount))
    with pytest.raises(LiveError) as e:
        check_parent(str(tmp_path), str(mount))
    assert str(e.value) == (f"parent {tmp_path}: not a cgroup v2 directory (no "
                            "cgroup.controllers in it); give a cgroup directory under the "
                            f"cgroup2 mount {mount}")
    (tmp_path / "v1").mkdir()
    with pytest.raises(LiveError, match="not a cgroup v2 directory"):
        check_parent(str(tmp_path / "v1"), str(mount))
    with pytest.raises(LiveError) as e:
        check_parent(str(mount / "nope"), str(mount))
    assert str(e.value) == (f"parent {mount}/nope: no such directory (give a cgroup "
                            f"directory under the cgroup2 mount {mount})")


def test_live_parent_not_a_cgroup_is_said_not_compared(require_live, tmp_path):
    r = cli("live", "--tree", "small", "--parent", str(tmp_path), check=False)
    err = one_line_error(r, code=2)
    assert "not a cgroup v2 directory" in err and "DIFFERENT" not in r.stdout.decode(), err
    assert os.listdir(tmp_path) == []


def test_live_case_from_a_device_or_an_empty_parent_is_refused(monkeypatch, capsys):
    """`live --case /dev/zero` read forever; `--parent ''` was taken as no --parent."""
    from cgiter_edu.cli import cmd_live, main

    monkeypatch.setattr(cmd_live, "_unavailable", lambda cmd="live": None)
    assert main(["live", "--case", "/dev/zero"]) == 1
    assert capsys.readouterr().err == ("cgiter-edu live: --case /dev/zero: is a device or "
                                       "socket, not the JSON a failing live test prints (a "
                                       "file or a pipe)\n")
    assert main(["live", "--parent", ""]) == 1
    assert capsys.readouterr().err == ("cgiter-edu live: --parent '': an empty name; give a "
                                       "cgroup directory\n")


@pytest.mark.parametrize("cmd", [["walk"], ["plot", "walk", "-o", "{tmp}/x.png"],
                                 ["animate", "-o", "{tmp}/x.gif"]])
@pytest.mark.parametrize("value", ["6.5", "6", "6.18.0", "7", "latest", "6.10"])
def test_kernel_takes_only_a_preset(tmp_path, cmd, value):
    cmd = [a.replace("{tmp}", str(tmp_path)) for a in cmd]
    err = one_line_error(cli(*cmd, "--kernel", value, check=False))
    assert err.endswith(f"--kernel {value}: no such preset; use 6.1, 6.12, 6.18 or 7.0"), err


@pytest.mark.parametrize("extra", [["--order", "self"], ["--tree", "small", "--order", "up"],
                                   ["--start", "/init.scope"]])
def test_a_writer_that_never_runs_is_said(tmp_path, extra):
    """`--writer` was silently dropped when the walk gave the program fewer than three
    cgroups (the writer starts at the third): nothing drawn, one line."""
    err = one_line_error(cli("plot", "mutex", "--writer", "/new.slice", *extra, "-o",
                             str(tmp_path / "m.png"), check=False))
    assert ("--writer /new.slice: the writer never ran: it starts when the program reaches "
            "its third cgroup") in err, err
    assert os.listdir(tmp_path) == []


def test_a_writer_without_an_id_left_is_said(tmp_path):
    p = _saved(tmp_path, lambda d: d.update(next_id=2 ** 64 - 1,
                                            cgroups=d["cgroups"] + [
                                                {"id": 2 ** 64 - 1, "name": "top",
                                                 "parent": 1}]))
    err = one_line_error(cli("plot", "mutex", "--tree", str(p), "--writer", "/new.slice",
                             "-o", str(tmp_path / "m.png"), check=False))
    assert "--writer /new.slice: ENOSPC" in err and "no cgroup ids left" in err, err


# -- 7. messages that mislead ------------------------------------------------------------

def test_record_not_root_names_record_in_its_fix(monkeypatch, capsys, tmp_path):
    from cgiter_edu.cli import cmd_live as live_cli
    from cgiter_edu.live import availability

    monkeypatch.setattr(availability, "_cached", availability.no(
        "not root: loading BPF programs and creating cgroups need it",
        'run as root; from a venv: sudo "$(command -v cgiter-edu)" live ... (plain `sudo '
        "cgiter-edu` loses the venv's PATH)"))
    assert live_cli._unavailable("record") == 2
    err = capsys.readouterr().err
    assert err.startswith("cgiter-edu record: the real kernel cannot be used here: not root")
    assert '"$(command -v cgiter-edu)" record ...' in err and " live " not in err


def test_record_to_a_missing_folder_does_not_say_give_out(tmp_path):
    err = one_line_error(cli("record", "--out", str(tmp_path / "no" / "r.jsonl"),
                             check=False, cwd=tmp_path))
    assert err == (f"cgiter-edu record: --out {tmp_path}/no/r.jsonl: the directory "
                   f"{tmp_path}/no does not exist")


def test_record_without_out_outside_the_checkout_says_give_out(tmp_path):
    r = cli("record", check=False, cwd=tmp_path)
    assert r.returncode == 2
    assert r.stderr.decode().strip() == ("cgiter-edu record: tests/data does not exist here: "
                                         "run from the repository root, or give --out")


def test_live_help_examples_are_one_line_each():
    out = cli("live", "--help").stdout.decode()
    assert "  cgiter-edu live --printf '%5d|%-4s|%llx\\n' 42 ab -1" in out
    for line in out.split("things to try:")[1].strip("\n").splitlines():
        assert line.startswith("  cgiter-edu live "), line


def test_the_vm_hint_names_the_series_package():
    from cgiter_edu.live import vm

    assert "linux-image-6.12." in vm.apt_hint("6.12") and "6.1.0" not in vm.apt_hint("6.12")
    assert "linux-image-6.1.0-" in vm.apt_hint("6.1")


@pytest.mark.parametrize("missing,fix", [
    ("vng", "virtme-ng's vng is not installed (fix: pip install -e '.[vm]' in the checkout, "
            "or pip install virtme-ng)"),
    ("qemu", "qemu-system-x86_64 is not installed (fix: apt-get install -y qemu-system-x86 "
             "busybox-static)"),
])
def test_a_vm_that_cannot_boot_is_said_before_booting(monkeypatch, capsys, tmp_path, missing,
                                                     fix):
    """`live --kernel-image 6.1` without virtme-ng said 'booting ... about 30 s to boot'
    and then that it could not, with a fix naming the kernel image package of a kernel
    image it had found: one line, what is missing, its own fix."""
    import shutil

    from cgiter_edu.cli import main
    from cgiter_edu.live import vm

    img = vm.KernelImage(Path("/boot/vmlinuz-6.1.0-99-amd64"), "6.1.0-99-amd64")
    monkeypatch.setattr(vm, "image", lambda _spec: img)
    if missing == "vng":
        monkeypatch.setattr(vm, "vng", lambda: None)
    else:
        monkeypatch.setattr(vm, "vng", lambda: "/usr/bin/vng")
        which = shutil.which
        monkeypatch.setattr(vm.shutil, "which",
                            lambda name: None if name.startswith("qemu") else which(name))
    for cmd in (["live"], ["record", "--out", str(tmp_path / "x.jsonl")]):
        assert main([*cmd, "--kernel-image", "6.1"]) == 2
        assert capsys.readouterr().err == (f"cgiter-edu {cmd[0]}: cannot boot {img.path}: "
                                           f"{fix}\n")
    assert os.listdir(tmp_path) == []


def test_bench_reports_misses_and_exits_0_when_it_ran(monkeypatch, capsys):
    from cgiter_edu.cli import cmd_bench as bench

    monkeypatch.setattr(bench, "bench_walk", lambda: {"cgroups": 10101, "emulator_s": 1.0,
                                                       "networkx_s": 0.001, "traced_s": 1.0,
                                                       "traced_read_s": 1.0})
    assert bench.run_benchmarks(parts=["walk"]) == 0
    out = capsys.readouterr().out
    assert "MISSED" in out and "3 targets missed" in out and "issue" not in out


def test_slides_names_the_extra_up_front_in_one_line(tmp_path):
    """Without the slides extra: one line naming the extra and every missing part, not
    one ModuleNotFoundError after another ending in NoSuchKernel."""
    code = ("import sys; sys.modules.update(nbconvert=None, ipykernel=None); "
            "from cgiter_edu.cli import main; sys.exit(main(sys.argv[1:]))")
    r = subprocess.run([sys.executable, "-c", code, "slides", "-o", str(tmp_path / "d")],
                       capture_output=True, text=True, timeout=120, cwd=tmp_path)
    err = r.stderr.strip()
    assert r.returncode == 1 and len(err.splitlines()) == 1, err
    assert err == ("cgiter-edu slides: the decks need the 'slides' extra (nbconvert, ipykernel "
                   "missing here): pip install -e '.[slides]' in the checkout, or pip install "
                   "'cgiter_edu[slides]'; or give --pdf-only")
    assert os.listdir(tmp_path) == []


def test_the_slides_extra_lists_what_slides_needs():
    """`pip install -e '.[slides]'` gives every package the check asks for (ipykernel
    brings the python3 kernel spec)."""
    from cgiter_edu.course.slides import SLIDES_PACKAGES

    text = (REPO / "pyproject.toml").read_text()
    extra = re.search(r"^slides = \[(.*?)\]", text, re.S | re.M).group(1)
    names = {re.split(r"[<>=\[]", n.strip().strip('"'))[0]
             for n in extra.split(",") if n.strip()}
    assert set(SLIDES_PACKAGES.values()) <= names, names


def test_slides_fetches_its_assets_with_a_read_only_home(tmp_path, monkeypatch):
    """A read-only HOME made `npm pack` fail with no reason: now the packages are
    fetched for this run into a temporary folder (npm's own cache there too)."""
    import shutil

    from cgiter_edu.course import slides

    if shutil.which("npm") is None:
        pytest.skip("npm is not installed")
    ro = tmp_path / "home"
    ro.mkdir()
    ro.chmod(0o555)
    if os.access(ro, os.W_OK):
        pytest.skip("root writes anywhere; the read-only cache is tried by the ordinary user")
    said = []
    got = slides.web_assets(cache=ro / ".cache" / "web", log=said.append)
    try:
        assert (got / "reveal.js" / "dist" / "reveal.js").exists()
        assert "cannot be written" in said[0], said
    finally:
        shutil.rmtree(got, ignore_errors=True)


def _nbgrader_without(tmp_path, *modules):
    code = (f"import sys; sys.modules.update(dict.fromkeys({modules!r})); "
            "from cgiter_edu.cli import main; sys.exit(main(sys.argv[1:]))")
    return subprocess.run([sys.executable, "-c", code, "nbgrader", str(tmp_path / "c")],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path)


def test_nbgrader_names_the_extra_up_front_in_one_line(tmp_path):
    """Without nbformat: one line naming the 'class' extra and what is missing, not
    "No module named 'nbformat'", and nothing written."""
    r = _nbgrader_without(tmp_path, "nbformat", "nbgrader")
    err = r.stderr.strip()
    assert r.returncode == 1 and r.stdout == "", (r.stdout, err)
    assert err == ("cgiter-edu nbgrader: the assignment needs the 'class' extra (nbformat, "
                   "nbgrader missing here): pip install -e '.[class]' in the checkout, or "
                   "pip install 'cgiter_edu[class]'")
    assert os.listdir(tmp_path) == []


def test_nbgrader_without_nbgrader_writes_and_says_what_the_next_steps_need(tmp_path):
    r = _nbgrader_without(tmp_path, "nbgrader")
    assert r.returncode == 0, r.stderr
    assert r.stdout.split()[0] == str(tmp_path / "c" / "nbgrader_config.py")
    assert r.stderr == ("cgiter-edu nbgrader: wrote the assignment; nbgrader is not "
                        "installed here to generate and grade it: pip install -e '.[class]' "
                        "in the checkout, or pip install 'cgiter_edu[class]'\n")


def test_the_class_extra_lists_what_nbgrader_needs():
    from cgiter_edu.course.nbgrader import CLASS_PACKAGES

    text = (REPO / "pyproject.toml").read_text()
    extra = re.search(r"^class = \[(.*?)\]", text, re.S | re.M).group(1)
    names = {re.split(r"[<>=\[]", n.strip().strip('"'))[0]
             for n in extra.split(",") if n.strip()}
    # nbformat comes with nbgrader (its dependency)
    assert set(CLASS_PACKAGES.values()) - {"nbformat"} <= names, names


def test_an_output_name_ending_in_a_slash_is_refused(tmp_path):
    """`-o x.png/` wrote x.png and said "wrote x.png/": a name ending in / is a folder's."""
    err = one_line_error(cli("plot", "walk", "-o", f"{tmp_path}/x.png/", check=False))
    assert err == (f"cgiter-edu plot: -o {tmp_path}/x.png/: ends in '/', the name of a "
                   "directory; give a file name")
    assert os.listdir(tmp_path) == []


def test_a_read_only_output_file_is_refused_and_kept(tmp_path, monkeypatch):
    """The rename that makes a write atomic would replace a file its owner made
    read-only: refused, the file kept (root may write anything: os.access is what an
    ordinary account gets, made so here when the test runs as root)."""
    from cgiter_edu.clihelpers import CliError
    from cgiter_edu.outfile import atomic_output

    out = tmp_path / "x.png"
    out.write_bytes(b"old")
    out.chmod(0o444)
    if os.geteuid() == 0:
        real_access = os.access
        monkeypatch.setattr(os, "access", lambda p, m, **kw: not (
            m & os.W_OK and Path(p) == out) and real_access(p, m, **kw))
    with pytest.raises(CliError, match=r"^-o .*/x.png: is read-only; make it writable "
                                       r"\(chmod u\+w\) or give another name$"):
        with atomic_output(out, "-o") as tmp:
            tmp.write_bytes(b"new")
    assert out.read_bytes() == b"old" and sorted(os.listdir(tmp_path)) == ["x.png"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes read-only files")
def test_plot_onto_a_read_only_file_is_one_line(tmp_path):
    out = tmp_path / "x.png"
    out.write_bytes(b"old")
    out.chmod(0o444)
    err = one_line_error(cli("plot", "walk", "-o", str(out), check=False))
    assert err.endswith(": is read-only; make it writable (chmod u+w) or give another name")
    assert out.read_bytes() == b"old"


def test_a_tree_that_is_no_text_or_no_file_is_said(tmp_path):
    """A picture given as --tree said "'utf-8' codec can't decode byte 0x89..."; a
    missing FILE.json said it was neither a shape nor a JSON file."""
    png = tmp_path / "walk.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n\x00")
    assert one_line_error(cli("walk", "--tree", str(png), check=False)) == (
        f"cgiter-edu walk: --tree {png}: not text (a JSON file saved by `cgiter-edu tree "
        "--json` is UTF-8 text)")
    assert one_line_error(cli("tree", "--tree", f"{tmp_path}/nope.json", check=False)) == (
        f"cgiter-edu tree: --tree {tmp_path}/nope.json: no such file (a JSON file saved by "
        "`cgiter-edu tree --json`)")


def test_nbgrader_says_an_os_error_as_the_other_commands_do(tmp_path):
    """Not "[Errno 20] Not a directory: '...'": the path and what is wrong with it."""
    (tmp_path / "plain").write_text("")
    err = one_line_error(cli("nbgrader", str(tmp_path / "plain" / "course"), check=False))
    assert err == (f"cgiter-edu nbgrader: the course directory {tmp_path}/plain/course: the "
                   f"directory {tmp_path}/plain is no directory")


@pytest.mark.parametrize("args,want", [
    (["slides", "--pdf-only", "-o", ""], "cgiter-edu slides: -o '': an empty name; give a "
                                         "folder name"),
    (["nbgrader", ""], "cgiter-edu nbgrader: the course directory '': an empty name; give a "
                       "folder name"),
    (["nbgrader", "/dev/full"], "cgiter-edu nbgrader: the course directory /dev/full: is a "
                                "character device, not a folder; give a folder name"),
    (["nbgrader", "f"], "cgiter-edu nbgrader: the course directory f: is a file, not a "
                        "folder; give a folder name"),
    (["slides", "--pdf-only", "-o", "f"], "cgiter-edu slides: -o f: is a file, not a folder; "
                                          "give a folder name"),
    (["bench", "--parts", "class", "--class-json", ""], "cgiter-edu bench: --class-json '': "
                                                        "an empty name; give a file name"),
])
def test_an_empty_folder_name_or_a_file_is_no_folder_to_write(tmp_path, args, want):
    """`slides -o ''` and `nbgrader ''` wrote into the current folder (Path('') is '.'),
    `bench --class-json ''` wrote nothing and said nothing; nbgrader onto a device or a
    file said ENOTDIR of a path under it."""
    (tmp_path / "f").write_text("old")
    assert one_line_error(cli(*args, check=False, cwd=tmp_path)) == want
    assert os.listdir(tmp_path) == ["f"] and (tmp_path / "f").read_text() == "old"


@pytest.mark.parametrize("args", [["slides", "--pdf-only", "-o", "loop"], ["nbgrader", "loop"],
                                  ["plot", "walk", "-o", "loop.png"],
                                  ["record", "--out", "loop"]])
def test_a_symlink_loop_is_said_as_such(tmp_path, args):
    """`slides -o LOOP` said 'ENOTDIR: Not a directory' of its staging folder's name."""
    (tmp_path / args[-1]).symlink_to(args[-1])
    flag = {"slides": "-o", "nbgrader": "the course directory", "plot": "-o",
            "record": "--out"}[args[0]]
    err = one_line_error(cli(*args, check=False, cwd=tmp_path))
    assert err.endswith(f"{flag} {args[-1]}: Too many levels of symbolic links"), err
    assert os.listdir(tmp_path) == [args[-1]]


def test_a_dangling_symlink_names_the_folder_it_points_into(tmp_path):
    (tmp_path / "walk.png").symlink_to("nowhere/x.png")
    err = one_line_error(cli("plot", "walk", "-o", "walk.png", check=False, cwd=tmp_path))
    assert err == (f"cgiter-edu plot: -o walk.png: the directory {tmp_path}/nowhere (where "
                   "the symlink points) does not exist"), err


@pytest.mark.parametrize("args,want", [
    (["bench", "--parts", "walk", "--students", "3"],
     "--students: only with --parts class (the class benchmark, not in the default parts)"),
    (["bench", "--class-json", "c.json"],
     "--class-json: only with --parts class (the class benchmark, not in the default parts)"),
    (["bench", "--quick", "--parts", "big"],
     "--quick: not with --parts (--quick leaves the big part out of the default parts; "
     "--parts names the parts that run)"),
    (["slides", "--no-pdf", "--pdf-only"], "--pdf-only: not with --no-pdf (one or the other)"),
    (["slides", "--pdf-only", "--lessons", "03"],
     "--lessons: not with --pdf-only (the key pictures run no lesson)"),
    (["slides", "--pdf-only", "--assets", "."],
     "--assets: not with --pdf-only (the key pictures run no lesson)"),
    (["slides", "--lessons", "-o", "s"], "--lessons: needs a value (at least one)"),
])
def test_an_option_that_would_be_dropped_is_refused(tmp_path, args, want):
    """`bench --students 3` without --parts class ran minutes of other parts and never
    used it; `slides --no-pdf --pdf-only` wrote the PDF; `--lessons` alone built them all."""
    err = one_line_error(cli(*args, check=False, cwd=tmp_path))
    assert err.startswith(f"cgiter-edu {args[0]}: {want}"), err
    assert os.listdir(tmp_path) == []


def test_bench_does_not_say_every_target_met_of_a_part_that_did_not_run(monkeypatch, capsys):
    """`bench --parts class` without JupyterHub said "class: not run: ..." and then
    "every target met": the last line names the parts that could not run."""
    from cgiter_edu.classbench import class_timing
    from cgiter_edu.cli import cmd_bench as bench

    monkeypatch.setattr(class_timing, "missing", lambda: "jupyterhub is not installed")
    assert bench.run_benchmarks(parts=["class"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[-2:] == ["class: not run: jupyterhub is not installed",
                        "every target met; not run: class"]


@pytest.mark.parametrize("args", [["--help"], ["walk", "--help"], ["slides", "--help"]])
def test_help_to_a_full_disk_is_an_error(args):
    """argparse passes over a failed write of its help: `--help > /dev/full` exited 0
    and said nothing."""
    with open("/dev/full", "w") as full:
        r = subprocess.run([COMMAND, *args], stdout=full, stderr=subprocess.PIPE, timeout=120)
    assert r.returncode == 1, r.stderr
    assert r.stderr.decode() == "cgiter-edu: --help: ENOSPC: No space left on device\n"
    r = subprocess.run(f'"{COMMAND}" {" ".join(args)} | head -c 10', shell=True,
                       capture_output=True, timeout=120)
    assert r.returncode == 0 and r.stderr == b"" and len(r.stdout) == 10, r
