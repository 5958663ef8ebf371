"""``cgiter-edu walk --open-coded``: the same walk flags, stdout, stderr and exit status."""

import json

import pytest

from cgiter_edu.cli import main


def run(capsys, *argv):
    code = main(["walk", "--open-coded", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_default_walk_prints_every_cgroup_dead_ones_marked(capsys):
    code, out, err = run(capsys)
    lines = out.splitlines()
    assert code == 0 and len(lines) == 22 and lines[0] == "       1"
    assert [x for x in lines if x.endswith("(dead)")] == ["      15 (dead)"]
    assert "bpf_iter_css_new(flags 2 DESCENDANTS_PRE) = 0" in err
    assert "22 visited, 22 delivered through the ring buffer, 0 dropped" in err
    assert "1 delivered dead (offline)" in err and "no page limit" in err


def test_orders_and_start(capsys):
    code, out, _ = run(capsys, "--tree", "small", "--order", "up", "--start", "/c1/c2")
    assert (code, out) == (0, "       9\n       6\n       1\n")
    code, out, _ = run(capsys, "--tree", "small", "--order", "post", "--start-id", "2", "-q")
    assert (code, out.split()) == (0, ["3", "4", "5", "2"])


@pytest.mark.parametrize("order", ["self", "children", "0", "7"])
def test_orders_new_refuses_run_the_loop_zero_times(capsys, order):
    code, out, err = run(capsys, "--order", order)
    assert (code, out) == (1, "")
    assert "= EINVAL" in err and "the loop ran zero times" in err


def test_ring_buffer_full_drops_and_exit_status(capsys):
    code, out, err = run(capsys, "--tree", "balanced")
    assert (code, len(out.splitlines())) == (1, 170)
    assert err.startswith("cgiter-edu: ring buffer full: 9931 records dropped "
                          "(bpf_ringbuf_output: EAGAIN)\n")
    code, out, err = run(capsys, "--tree", "balanced", "--ring-bytes", "262144", "-q")
    assert (code, len(out.splitlines()), err) == (0, 10101, "")


@pytest.mark.parametrize("argv, words", [
    (["--ring-bytes", "5000"], "--ring-bytes 5000: a ring buffer's size is a power of 2"),
    (["--ring-bytes", "0"], "--ring-bytes 0:"),
    (["--start", "/nope"], "--start '/nope': no such cgroup"),
    (["--start", "/init.scope", "--start-id", "2"], "give one"),
    (["--kernel", "6.1"], "does not load on Linux 6.1: EINVAL: libbpf: extern (func ksym) "
                          "'bpf_cgroup_from_id': not found in kernel or module BTFs"),
])
def test_bad_input_is_one_line_and_exit_1(capsys, argv, words):
    code, out, err = run(capsys, *argv)
    assert (code, out) == (1, "")
    assert words in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_no_such_start_id_returns_1(capsys):
    code, out, err = run(capsys, "--start-id", "999")
    assert (code, out) == (1, "") and "bpf_cgroup_from_id(999) gave NULL" in err


def test_unused_flags_are_named(capsys):
    code, out, err = run(capsys, "--read-size", "10", "--record-bytes", "64", "-q")
    assert code == 0 and len(out.splitlines()) == 22
    assert "does not use --read-size" in err and "does not use --record-bytes" in err


def test_json(capsys):
    code, out, _ = run(capsys, "--tree", "small", "--order", "up", "--start", "/c1", "--json")
    d = json.loads(out)
    assert code == 0 and [r["id"] for r in d["records"]] == [6, 1]
    assert (d["flags"], d["drops"], d["new_ret"], d["load_error"]) == (4, 0, 0, None)
    code, out, _ = run(capsys, "--kernel", "6.1", "--json")
    assert code == 1 and json.loads(out)["load_error"]["errno"] == "EINVAL"


def test_ring_bytes_needs_open_coded(capsys):
    assert main(["walk", "--ring-bytes", "8192"]) == 1
    assert "add --open-coded" in capsys.readouterr().err
