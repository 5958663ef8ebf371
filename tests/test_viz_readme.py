"""Every picture command of the README draws what the README shows.

The README's Pictures section pairs each ``cgiter-edu plot ... -o docs/img/NAME.png``
with that image; this runs each command (the installed ``cgiter-edu``, as a reader
would) into a temporary file and compares it with docs/img/NAME.png at a tight
tolerance (rendering here is deterministic).  After a deliberate change of a picture,
regenerate them with the README's own commands, from the repository's top.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: the README and the book's pages (docs/*.md), where the Pictures section now lives
README = "\n".join(p.read_text() for p in [ROOT / "README.md", *sorted(ROOT.glob("docs/*.md"))])
COMMANDS = sorted(set(re.findall(r"^(cgiter-edu plot [^#\n]*?-o (docs/img/\S+\.png))", README,
                                 re.M)))


def _cgiter_edu() -> list[str]:
    exe = shutil.which("cgiter-edu")
    return [exe] if exe else [sys.executable, "-m", "cgiter_edu.cli"]


def test_the_readme_shows_a_picture_for_each_command():
    assert len(COMMANDS) >= 5
    for _cmd, out in COMMANDS:
        shown = (f"]({out})", f"]({out.removeprefix('docs/')})")   # README or a book page
        assert any(s in README for s in shown), out
        assert (ROOT / out).exists(), out


@pytest.mark.parametrize("cmd,out", COMMANDS, ids=[o for _c, o in COMMANDS])
def test_each_readme_command_draws_the_readme_picture(cmd, out, tmp_path):
    from matplotlib.testing.compare import compare_images

    args = shlex.split(cmd)[1:]
    got = tmp_path / Path(out).name
    args[args.index(out)] = str(got)
    p = subprocess.run(_cgiter_edu() + args, capture_output=True, text=True, cwd=ROOT,
                       timeout=300)
    assert p.returncode == 0, p.stderr
    diff = compare_images(str(ROOT / out), str(got), tol=1.0)
    assert diff is None, diff
