"""The cgiter-edu command, run as a user runs it (a real subprocess of the installed
``cgiter-edu`` script)."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import cgiter_edu
import cgiter_edu.cli

#: the installed command: beside this Python (a venv's bin/), else on PATH
COMMAND = str(Path(sys.executable).with_name("cgiter-edu")) \
    if Path(sys.executable).with_name("cgiter-edu").exists() else shutil.which("cgiter-edu")


def cli(*args, check=True, **kw):
    assert COMMAND, "the cgiter-edu command is not installed (pip install -e .)"
    kw.setdefault("stdout", subprocess.PIPE)
    r = subprocess.run([COMMAND, *args], stderr=subprocess.PIPE, timeout=300, **kw)
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
    # the course's programs print with bpf_seq_printf: seq_bprintf()'s check, not only seq_write()'s
    assert "seq_bprintf() and seq_write() (behind bpf_seq_printf, bpf_seq_write) keep a record " \
           "only if count + len < size" in out


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
    code = ("import sys; sys.modules['cgiter_edu.cli.cmd_live'] = None\n"
            "from cgiter_edu.cli import main; sys.exit(main(sys.argv[1:]))")
    r = subprocess.run([sys.executable, "-c", code, "live", "--order", "post"],
                       capture_output=True)
    err = one_line_error(r)
    assert err.startswith("cgiter-edu live: cannot run here: its module failed to import "
                          "(ModuleNotFoundError: import of cgiter_edu.cli.cmd_live halted"), err
    r = subprocess.run([sys.executable, "-c", code, "--help"], capture_output=True)
    assert b"    live " in r.stdout and b"    walk " in r.stdout


def test_read_size_0_is_one_read_as_cat_stops_at_0():
    r = cli("walk", "--read-size", "0")
    err = r.stderr.decode()
    assert r.stdout == b""
    assert "read #1 (0 bytes asked): 0 (end of file)" in err and "read #2" not in err
    assert "cat takes a 0 from read() as the end of the file" in err
    # the kernel ran the program on the root before it saw the size: its record waits
    assert "1 still in the buffer (never read)" in err
    assert "EOPNOTSUPP" not in err and "cannot resume" not in err


def test_the_summary_says_cannot_resume_only_when_a_read_said_so():
    r = cli("walk", "--tree", "balanced", "--record-bytes", "64", "--read-size", "4096",
            check=False)
    assert r.returncode == 1
    err = r.stderr.decode()
    assert "the walk cannot resume: the next read() gave EOPNOTSUPP" in err
    # 64 delivered + the 1 next() reached and the walk did not show + 10036 never reached
    # = the 10,101 cgroups of the tree: the unshown one is not counted twice
    assert "65 walked (0 dead, skipped), 64 delivered, 0 lost to the page limit, 1 reached " \
           "but not shown (the walk stopped first), 10036 never reached" in err


@pytest.mark.parametrize("bad", ["-5", "0", "23", "4120", "5000", "99999999999"])
def test_record_bytes_outside_what_the_program_writes_is_refused(bad):
    err = one_line_error(cli("walk", "--record-bytes", bad, check=False))
    assert err.startswith(f"cgiter-edu walk: --record-bytes {bad}: ") and \
        "use 24 to 4119" in err, err


@pytest.mark.parametrize("rb,page", [(24, 4096), (64, 4096), (4119, 4096), (4119, 16384),
                                     (100, 65536)])
def test_capacity_and_walk_agree(rb, page):
    """Every size walk accepts is written at that size, and capacity counts the records
    the walk delivers before the page limit."""
    out = cli("capacity", "--record-bytes", str(rb), "--page-size", str(page)).stdout.decode()
    n = int(out.split()[0])
    r = cli("walk", "--tree", "balanced", "--record-bytes", str(rb), "--page-size", str(page),
            "--read-size", "1048576", "--json", "-q", check=False)
    d = json.loads(r.stdout)
    assert d["results"][0] == n * rb
    assert d["counts"]["delivered"] == n and d["results"][1] == "EOPNOTSUPP"


def test_capacity_refuses_negative_sizes_and_says_what_walk_can_show():
    err = one_line_error(cli("capacity", "--record-bytes", "64", "--epilogue-bytes", "-3",
                             check=False))
    assert err == "cgiter-edu capacity: --epilogue-bytes -3: out of range; use 0 to 524286"
    err = one_line_error(cli("capacity", "--record-bytes", "0", check=False))
    assert err == "cgiter-edu capacity: --record-bytes 0: out of range; use 1 to 524287"
    out = cli("capacity", "--record-bytes", "5000").stdout.decode()
    assert out.startswith("6 records of 5000 bytes") and "cannot show this size" in out


@pytest.mark.parametrize("args,want", [
    (["--order", "children", "--kernel", "6.18"], "EINVAL: Invalid argument: order CHILDREN"),
    (["--order", "99"], "EINVAL: Invalid argument: order 99 is not a cgroup_iter order"),
    (["--order", "-1"], "EINVAL: Invalid argument: order -1 is not a cgroup_iter order"),
    (["--order", "unspec"], "EINVAL: Invalid argument: order UNSPEC (0) is not"),
    (["--start-id", "999"], "ENOENT: No such file or directory: no cgroup has id 999"),
])
def test_a_failed_attach_is_said_once(args, want):
    err = one_line_error(cli("walk", *args, check=False))
    assert err.startswith("cgiter-edu walk: attach failed: " + want), err
    assert cli("walk", "--json", *args, check=False).returncode == 1


def test_bench_refuses_unknown_parts():
    err = one_line_error(cli("bench", "--parts", "nope", check=False))
    assert err.startswith("cgiter-edu bench: --parts nope: not one of its values; use import, "
                          "walk, big,"), err


def test_a_walk_stopped_by_the_program_counts_what_it_never_reached_and_says_why():
    err = cli("walk", "--stop-at", "/system.slice").stderr.decode()
    assert "3 walked (0 dead, skipped), 3 delivered, 0 lost to the page limit, " \
           "19 never reached" in err
    assert "ended: the program returned 1 at /system.slice (id 3): early termination" in err


SAVED = {"format": "cgiter_edu.hierarchy/1", "root_id": 1, "next_id": 4,
         "cgroups": [{"id": 2, "name": "a", "parent": 1}, {"id": 3, "name": "b", "parent": 2}]}


def _saved(**change):
    d = json.loads(json.dumps(SAVED))
    for i, entry in change.items():
        d["cgroups"][int(i[1:])].update(entry)
    return json.dumps(d)


@pytest.mark.parametrize("text,want", [
    ("{", "not valid JSON"),
    ("", "not valid JSON"),
    ("[]", "not a saved hierarchy"),
    ("{}", "not a saved hierarchy"),
    (_saved(e0={"parent": 3}), "its parents form a cycle"),
    (_saved(e1={"id": 2}), "duplicate id 2"),
    (_saved(e1={"parent": 9}), "9"),
    (_saved(e1={"name": 7}), "entry 1 ({'id': 3, 'name': 7, 'parent': 2}): a cgroup name must "
                             "be a str, not int"),
    (_saved(e1={"id": "x"}), "entry 1 ({'id': 'x', 'name': 'b', 'parent': 2}): a cgroup id "
                             "must be an int, not str"),
])
def test_a_bad_tree_file_is_one_line(tmp_path, text, want):
    p = tmp_path / "t.json"
    p.write_text(text)
    for cmd in (["walk"], ["tree"], ["plot", "walk", "-o", str(tmp_path / "x.png")]):
        err = one_line_error(cli(*cmd, "--tree", str(p), check=False))
        assert err.startswith(f"cgiter-edu {cmd[0]}: --tree {p}: ") and want in err, err


@pytest.mark.parametrize("path,want", [("/dev/null", "is a device or socket, not a JSON file"),
                                       ("/etc", "is a directory")])
def test_a_tree_that_is_not_a_file_of_json_is_one_line(path, want):
    err = one_line_error(cli("walk", "--tree", path, check=False))
    assert err.startswith(f"cgiter-edu walk: --tree {path}: {want}"), err


@pytest.mark.parametrize("args,want", [
    (["plot", "walk", "-o", "/nonexistent-dir/x.png"],
     "plot: -o /nonexistent-dir/x.png: the directory /nonexistent-dir does not exist"),
    (["animate", "-o", "/nonexistent-dir/x.gif"],
     "animate: -o /nonexistent-dir/x.gif: the directory /nonexistent-dir does not exist"),
    (["plot", "walk", "--dpi", "0", "-o", "{tmp}/x.png"], "plot: --dpi 0: out of range; use 30 to 600"),
    (["animate", "--fps", "0", "-o", "{tmp}/x.gif"], "animate: --fps 0: out of range; use 0.1 to 50"),
    (["animate", "--max-frames", "0", "-o", "{tmp}/x.gif"],
     "animate: --max-frames 0: out of range; use 1 to 1000"),
    (["animate", "--max-frames", "-1", "-o", "{tmp}/x.gif"],
     "animate: --max-frames -1: out of range; use 1 to 1000"),
    (["plot", "mutex", "--writer", "relative", "-o", "{tmp}/m.png"],
     "plot: --writer relative: EINVAL: Invalid argument: cgroup path 'relative' must be "
     "absolute"),
    (["plot", "mutex", "--writer", "/nope/x", "-o", "{tmp}/m.png"],
     "plot: --writer /nope/x: ENOENT: No such file or directory: cannot create '/nope/x'"),
    (["plot", "mutex", "--writer", "/system.slice", "-o", "{tmp}/m.png"],
     "plot: --writer /system.slice: EEXIST"),
])
def test_picture_flags_that_cannot_work_are_one_line_and_nothing_is_written(tmp_path, args,
                                                                              want):
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    err = one_line_error(cli(*args, check=False))
    assert err.startswith("cgiter-edu " + want), err
    assert not list(tmp_path.iterdir())


def _tree_file(tmp_path, entries):
    p = tmp_path / "t.json"
    p.write_text(json.dumps({"format": "cgiter_edu.hierarchy/1", "root_id": 1,
                             "next_id": 2 + len(entries), "cgroups": entries}))
    return str(p)


def test_any_depth_loads_walks_and_draws(tmp_path):
    """1500 levels (the kernel has no depth limit but cgroup.max.depth, unlimited by
    default): more than Python's recursion limit."""
    n = 1500
    p = _tree_file(tmp_path, [{"id": i + 2, "name": "d", "parent": i + 1} for i in range(n)])
    r = cli("walk", "--tree", p, "--program", "silent")
    assert r.stdout == b"E 1500\n"
    assert f"{n + 1} walked (0 dead, skipped)" in r.stderr.decode()
    assert cli("tree", "--tree", p).stdout.decode().splitlines()[-1].rstrip().endswith("d")
    cli("plot", "walk", "--tree", p, "--dpi", "40", "-o", str(tmp_path / "deep.png"))


def test_names_of_any_legal_length_and_bytes(tmp_path):
    names = ["x" * 255, "é" * 127, "😀" * 63, "a b", "%s%n%p", "\t\x01ctl", "-rf", "\u202eevil",
             "...", "ü" * 127]
    p = _tree_file(tmp_path, [{"id": i + 2, "name": n, "parent": 1} for i, n in enumerate(names)])
    out = cli("walk", "--tree", p, "--program", "paths", "-q").stdout.decode()
    assert [line.split(" ", 1)[1].strip()[1:] for line in out.splitlines()[1:]] == names
    cli("plot", "walk", "--tree", p, "--dpi", "40", "-o", str(tmp_path / "names.png"))
    names[-1] += "ü"                           # 256 bytes: ENAMETOOLONG, as mkdir says
    p = _tree_file(tmp_path, [{"id": i + 2, "name": n, "parent": 1} for i, n in enumerate(names)])
    err = one_line_error(cli("walk", "--tree", p, check=False))
    assert "File name too long: cgroup name of 256 bytes; at most 255" in err


def test_bench_rows_without_a_target_show_no_verdict():
    out = cli("bench", "--parts", "walk", check=False).stdout.decode()
    rows = {line.split("  ")[1].strip(): line for line in out.splitlines()
            if line.startswith("  ")}
    assert "target" not in rows["networkx.dfs_preorder_nodes, same graph, same run"]
    assert "target" not in rows["emulator"]
    assert rows["emulator / networkx"].rstrip().endswith(("ok", "MISSED"))


def test_progress_in_a_pipe_is_plain_lines():
    """Building a big tree reports progress; in a pipe or a log, one line each, no \\r."""
    code = ("from cgiter_edu import shapes\n"
            "for done in (100_000, 200_000): shapes._progress(done, 200_000, 'building')\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.stderr == "building: 100,000/200,000 cgroups\nbuilding: 200,000/200,000 cgroups\n"


def test_every_option_of_every_subcommand_says_what_it_does():
    import argparse

    sub = next(a for a in cgiter_edu.cli.build_parser()._actions
               if isinstance(a, argparse._SubParsersAction))
    for name, p in sub.choices.items():
        assert p.description and len(p.description) > 20, name
        for a in p._actions:
            assert a.help, (name, a.option_strings or a.dest)
    out = cli("tree", "--help").stdout.decode()
    assert "one cgroup a line" in out and "print Hierarchy.to_json()" in out


def test_a_full_disk_is_one_line():
    with open("/dev/full", "wb") as full:
        r = cli("tree", "--tree", "kubernetes", "--json", stdout=full, check=False)
    assert r.returncode == 1
    assert r.stderr.decode() == "cgiter-edu tree: ENOSPC: No space left on device\n"


def test_record_refuses_no_cases():
    err = one_line_error(cli("record", "--cases", "0", check=False))
    assert err == "cgiter-edu record: --cases 0: out of range; use 1 to 10000"


@pytest.mark.parametrize("case,want", [
    ("{bad", "cgiter-edu live: --case: not a case as a failing live test prints it: Expecting"),
    ("/nonexistent.json", "cgiter-edu live: /nonexistent.json: ENOENT: No such file"),
])
def test_live_case_that_cannot_be_read_is_one_line(require_live, case, want):
    err = one_line_error(cli("live", "--case", case, check=False),
                         code=2 if "ENOENT" in want else 1)
    assert err.startswith(want), err


def test_orders_of_a_million_cgroups_is_refused_in_one_line(tmp_path):
    r = cli("plot", "orders", "--tree", "big", "-o", str(tmp_path / "o.png"), check=False)
    assert r.returncode == 1 and b"Traceback" not in r.stderr
    err = r.stderr.decode().splitlines()[-1]        # after the progress of building it
    assert err.startswith("cgiter-edu plot: --tree big: the orders picture draws the tree "
                          "once per order"), err
    assert "1,001,001 cgroups is more than it can show (at most 5,000)" in err


def test_python_dash_m_cgiter_edu_is_the_command():
    r = subprocess.run([sys.executable, "-m", "cgiter_edu", "capacity", "--record-bytes", "64"],
                       capture_output=True)
    assert r.returncode == 0 and r.stdout == cli("capacity", "--record-bytes", "64").stdout


def test_animate_with_one_frame_shows_the_end(tmp_path):
    out = tmp_path / "one.gif"
    cli("animate", "--tree", "small", "--max-frames", "1", "--quiet", "--dpi", "30",
        "-o", str(out))
    assert out.read_bytes().startswith(b"GIF89a")


def test_animate_a_wide_tree_drawn_as_an_icicle(tmp_path):
    """20,000 siblings: the icicle view, whose numbers are never placed in the figure."""
    p = _tree_file(tmp_path, [{"id": i + 2, "name": f"c{i}", "parent": 1}
                              for i in range(20000)])
    out = tmp_path / "w.gif"
    cli("animate", "--tree", p, "--max-frames", "5", "--quiet", "--dpi", "30", "-o", str(out))
    assert out.read_bytes().startswith(b"GIF89a")


def test_the_command_alone_shows_what_there_is_to_do():
    r = cli(check=False)
    assert r.returncode == 2 and b"    walk " in r.stdout and b"Start with `cgiter-edu walk`" \
        in r.stdout


def test_names_that_are_not_utf8_print_their_bytes_and_draw_escaped(tmp_path):
    """Linux takes any bytes but '/' and NUL in a name; read from the file system the
    ones that are not UTF-8 come as os.fsdecode's surrogates, as saved JSON keeps them."""
    p = _tree_file(tmp_path, [{"id": 2, "name": "\udcff\udcferaw", "parent": 1},
                              {"id": 3, "name": "ok", "parent": 2}])
    assert cli("walk", "--tree", p, "--program", "paths", "-q").stdout == \
        b"1 /\n2   /\xff\xferaw\n3     /\xff\xferaw/ok\n"
    assert b"\xff\xferaw\n" in cli("tree", "--tree", p).stdout
    cli("plot", "walk", "--tree", p, "--labels", "path", "--dpi", "40",
        "-o", str(tmp_path / "raw.png"))


def test_a_picture_says_which_given_flags_it_does_not_use(tmp_path):
    r = cli("plot", "orders", "--tree", "small", "--order", "post", "--dpi", "30",
            "-o", str(tmp_path / "o.png"))
    assert r.stderr.decode().splitlines()[0] == \
        "cgiter-edu plot: note: plot orders draws every order; it does not use --order"
    r = cli("plot", "capacity", "--tree", "small", "--dpi", "30", "-o", str(tmp_path / "c.png"))
    assert "plot capacity draws no walk; it does not use --tree" in r.stderr.decode()
    r = cli("plot", "capacity", "--dpi", "30", "-o", str(tmp_path / "c.png"))
    assert "note" not in r.stderr.decode()


def test_a_missing_optional_package_is_named_in_one_line():
    """A subcommand whose optional package (nbconvert, voila...) is not installed."""
    code = ("import sys, cgiter_edu.cli as c, cgiter_edu.cli.cmd_capacity as m\n"
            "def cmd(args): import nbconvert_not_installed_here\n"
            "m.cmd_capacity = cmd\n"
            "sys.exit(c.main(sys.argv[1:]))")
    r = subprocess.run([sys.executable, "-c", code, "capacity", "--record-bytes", "64"],
                       capture_output=True)
    err = one_line_error(r)
    assert err == ("cgiter-edu capacity: needs the Python package nbconvert_not_installed_here, "
                   "which is not installed here (pip install nbconvert_not_installed_here)"), err


def test_walk_reads_like_cat_and_extra_reads_asks_for_more():
    plain = cli("walk", "--tree", "balanced", "--record-bytes", "64",
                check=False).stderr.decode()
    assert "read #2 (131072 bytes asked): EOPNOTSUPP" in plain and "read #3" not in plain
    more = cli("walk", "--tree", "balanced", "--record-bytes", "64", "--extra-reads", "2",
               check=False)
    err = more.stderr.decode()
    assert more.returncode == 1 and more.stdout == cli(
        "walk", "--tree", "balanced", "--record-bytes", "64", check=False).stdout
    assert [ln.split(": ", 1)[1] for ln in err.splitlines() if ln.startswith("read #")] == [
        "32704 bytes"] + ["EOPNOTSUPP (Operation not supported)"] * 3
    done = cli("walk", "--extra-reads", "1").stderr.decode()
    assert "read #2 (131072 bytes asked): 0 (end of file)" in done
    assert "read #3 (131072 bytes asked): 0 (end of file)" in done and "read #4" not in done
    d = json.loads(cli("walk", "--json", "--extra-reads", "1", "--quiet").stdout)
    assert d["results"][1:] == [0, 0]
    assert one_line_error(cli("walk", "--extra-reads", "1001", check=False)) == (
        "cgiter-edu walk: --extra-reads 1001: at most 1000 reads after the end; use 0 to 1000")
    assert "(0 to 1000)" in " ".join(cli("walk", "--help").stdout.decode().split())
