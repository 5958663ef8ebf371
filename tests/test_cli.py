"""The cgiter-edu command, run as a user runs it (a real subprocess)."""

import json
import subprocess
import sys

import cgiter_edu


def cli(*args, check=True):
    r = subprocess.run([sys.executable, "-m", "cgiter_edu.cli", *args], capture_output=True)
    if check:
        assert r.returncode == 0, r.stderr.decode()
    return r


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
    assert r.returncode == 1 and b"EINVAL" in r.stderr and b"needs Linux 7.0" in r.stderr
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
