"""The README's commands, run as a new user runs them: each sample shows what the
command prints, and each command in a list runs without a traceback."""

import re
import subprocess
from pathlib import Path

import pytest
from test_cli import COMMAND, cli

TOP = Path(__file__).parent.parent
#: the README and the book's pages (docs/*.md), which hold the README's former sections
README = "\n".join(p.read_text() for p in [TOP / "README.md", *sorted(TOP.glob("docs/*.md"))])


def blocks():
    """The README's fenced code blocks without a language (shell), each as its lines."""
    out, cur, lang = [], None, None
    for line in README.splitlines():
        if line.startswith("```"):
            if cur is None:
                cur, lang = [], line[3:].strip()
            else:
                if not lang:
                    out.append(cur)
                cur = None
        elif cur is not None:
            cur.append(line)
    return out


def samples():
    """``$ cgiter-edu ...`` lines in code blocks, with the lines printed after them."""
    out = []
    for block in blocks():
        cmd, shown = None, []
        for line in block + ["$ end"]:
            if line.startswith("$ "):
                if cmd and shown:
                    out.append((cmd, shown))
                cmd, shown = line[2:].split("  #")[0].strip(), []
            elif cmd:
                shown.append(line)
    return out


def listed():
    """Command lines of the README's lists (``cgiter-edu ...   # comment``), each once."""
    lines = [line.split("  #")[0].strip() for block in blocks() for line in block
             if line.startswith("cgiter-edu ")]
    return list(dict.fromkeys(lines))


def test_the_capacity_sample_is_what_capacity_prints():
    cmd, shown = next((c, s) for c, s in samples() if c.startswith("cgiter-edu capacity"))
    assert cli(*cmd.split()[1:]).stdout.decode().splitlines() == shown


def test_the_live_sample_is_what_live_prints(require_live):
    """The table and the verdict exactly; the lines that name this machine's kernel and
    scratch cgroup only in their shape."""
    sudo = 'sudo "$(command -v cgiter-edu)" '           # the venv's cgiter-edu, as root
    cmd, shown = next((c, s) for c, s in samples() if c.startswith(sudo + "live"))
    got = cli(*cmd[len(sudo):].split()).stdout.decode().splitlines()
    table = next(i for i, line in enumerate(shown) if line.lstrip().startswith("read()"))
    assert got[-len(shown) + table:] == shown[table:]
    assert len(got) == len(shown) and got[0] == shown[0]
    n = int(re.search(r"attach and (\d+) read\(\) calls", shown[-1]).group(1))
    assert sum(1 for line in shown if re.match(r"  #\d+ ", line)) == n


SLOW = ("--tree big", "cgiter-edu bench",       # measured in bench, not here
        "cgiter-edu slides")                     # runs every lesson: tests/test_slides.py
SERVERS = ("cgiter-edu explore",)                # runs until stopped: tests/test_browser.py


@pytest.mark.parametrize("line", [x for x in listed() if not any(s in x for s in SLOW + SERVERS)])
def test_every_listed_command_runs(line, tmp_path):
    """Exit 0, or 1 where the README's comment names the errno the walk ends with (as
    cat exits 1 after a failed read); never a traceback."""
    (tmp_path / "docs" / "img").mkdir(parents=True)     # as in the repository's top
    r = subprocess.run(line.replace("cgiter-edu ", f"{COMMAND} "), shell=True, cwd=tmp_path,
                       capture_output=True, timeout=600)
    err = r.stderr.decode()
    assert "Traceback" not in err, err
    comment = README.split(line, 1)[1].split("\n", 1)[0]
    want = 1 if re.search(r"\bE[A-Z0-9]{3,}\b", comment) else 0
    assert r.returncode == want, err


def test_who_said_512_is_stated_one_way_everywhere():
    """The 512 is the comment at the top of kernel/bpf/cgroup_iter.c; no text credits it
    to something else."""
    top = Path(__file__).parent.parent
    files = [top / "README.md", *top.glob("docs/*.md"), *top.glob("notebooks/*.ipynb"),
             *top.glob("cgiter_edu/**/*.py")]
    for f in files:
        text = f.read_text()
        for wrong in ("commit message's 512", "commit message: 8 x", "commit message's count",
                      "commit that added `cgroup_iter` says", "the commit message's '512"):
            assert wrong not in text, (f, wrong)
