"""The cgiter-edu command, run as a user runs it (a real subprocess of the installed
``cgiter-edu`` script)."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import cgiter_edu
import cgiter_edu.cli

#: the installed command: beside this Python (a venv's bin/), else on PATH
COMMAND = str(Path(sys.executable).with_name("cgiter-edu")) \
    if Path(sys.executable).with_name("cgiter-edu").exists() else shutil.which("cgiter-edu")


def cli(*args, check=True, **kw):
    assert COMMAND, "the cgiter-edu command is not installed (pip install -e .)"
    r = subprocess.run([COMMAND, *args], capture_output=True, timeout=300, **kw)
    if check:
        assert r.returncode == 0, r.stderr.decode()
    return r


def one_line_error(r, code=1):
    """The command failed with ``code`` and said why in one line, no traceback."""
    err = r.stderr.decode()
    assert r.returncode == code, (r.returncode, err)
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    return err.strip()


def test_walk_default_prints_what_cat_would():
    r = cli("walk")
    h = cgiter_edu.shapes.default()
    want = cgiter_edu.run(h, cgiter_edu.programs.id_printer, cgiter_edu.Order.DESCENDANTS_PRE,
                          read_size=131072).output
    assert r.stdout == want
    assert r.stdout.startswith(b"prologue\n       1\n") and r.stdout.endswith(b"epilogue\n")
    err = r.stderr.decode()
    assert "read #1 (131072 bytes asked): 207 bytes" in err
    assert "read #2 (131072 bytes asked): 0 (end of file)" in err
    assert "22 walked (1 dead, skipped), 21 delivered, 0 lost" in err
    assert "visited every cgroup" in err


def test_walk_page_limit_and_exit_code():
    r = cli("walk", "--tree", "balanced", "--record-bytes", "64", check=False)
    assert r.returncode == 1
    assert len(r.stdout) == 32704
    err = r.stderr.decode()
    assert "EOPNOTSUPP (Operation not supported)" in err
    assert "511 delivered, 1 lost to the page limit, 9589 never reached" in err


def test_walk_json_and_flags():
    r = cli("walk", "--json", "--order", "up", "--start", "/user.slice/user-1000.slice",
            "--kernel", "6.18", "--read-size", "7", "-q", check=False)
    d = json.loads(r.stdout)
    # the first object (prologue + one id, 18 bytes) fills more than 7: the walk stops there
    assert d["results"] == [7, 7, 4, "EOPNOTSUPP"]
    assert d["output"] == "prologue\n      11\n"
    assert d["end"] == "read_size"


def test_walk_errors():
    r = cli("walk", "--order", "children", "--kernel", "6.18", check=False)
    err = one_line_error(r)
    assert err.startswith("cgiter-edu walk: attach failed: EINVAL") and "needs Linux 7.0" in err
    r = cli("walk", "--start", "/nope", check=False)
    assert r.returncode != 0 and b"no such cgroup" in r.stderr
    r = cli("walk", "--order", "sideways", check=False)
    assert r.returncode != 0 and b"unknown order 'sideways'" in r.stderr


def test_capacity():
    out = cli("capacity", "--record-bytes", "64").stdout.decode()
    assert out.startswith("511 records of 64 bytes")
    assert "512" in out and "strict" in out


def test_tree_json_round_trips(tmp_path):
    p = tmp_path / "t.json"
    p.write_bytes(cli("tree", "--tree", "kubernetes", "--json").stdout)
    r = cli("walk", "--tree", str(p), "--program", "paths", "-q")
    assert b"kubepods-burstable.slice" in r.stdout


def test_help_teaches():
    out = cli("walk", "--help").stdout.decode()
    for word in ("--order", "--record-bytes", "--stop-at", "things to try", "EOPNOTSUPP"):
        assert word in out


def test_every_subcommand_is_listed():
    out = cli("--help").stdout.decode()
    for name in cgiter_edu.cli.COMMANDS:
        assert f"    {name} " in out, name


def test_a_subcommand_whose_import_fails_still_exists_and_says_why():
    code = ("import sys; sys.modules['cgiter_edu.live.cli'] = None\n"
            "from cgiter_edu.cli import main; sys.exit(main(sys.argv[1:]))")
    r = subprocess.run([sys.executable, "-c", code, "live", "--order", "post"],
                       capture_output=True)
    err = one_line_error(r)
    assert err.startswith("cgiter-edu live: cannot run here: its module failed to import "
                          "(ModuleNotFoundError: import of cgiter_edu.live.cli halted"), err
    r = subprocess.run([sys.executable, "-c", code, "--help"], capture_output=True)
    assert b"    live " in r.stdout and b"    walk " in r.stdout
