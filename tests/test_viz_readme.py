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


#: ``cgiter-edu animate ... -o docs/img/NAME.gif`` of the pages, each with its GIF
ANIMATIONS = sorted(set(re.findall(r"^(cgiter-edu animate [^#\n]*?-o (docs/img/\S+\.gif))",
                                   README, re.M)))


def _frames(path: Path) -> list:
    import numpy as np
    from PIL import Image, ImageSequence

    with Image.open(path) as im:
        return [np.asarray(f.convert("RGB"), dtype=np.int16)
                for f in ImageSequence.Iterator(im)]


@pytest.mark.parametrize("cmd,out", ANIMATIONS, ids=[o for _c, o in ANIMATIONS])
def test_each_animate_command_draws_the_gif_shown(cmd, out, tmp_path):
    """The animation the pictures page shows is what its command draws now, frame by
    frame (it still said 'Linux 7.0' in every frame after the default became 6.18):
    the same number of frames, and in each at most 1 pixel in 10,000 off by more than a
    rounding."""
    import numpy as np

    assert (ROOT / out).exists(), out
    args = shlex.split(cmd)[1:]
    got = tmp_path / Path(out).name
    args[args.index(out)] = str(got)
    p = subprocess.run(_cgiter_edu() + args, capture_output=True, text=True, cwd=ROOT,
                       timeout=300)
    assert p.returncode == 0, p.stderr
    want, drawn = _frames(ROOT / out), _frames(got)
    assert len(drawn) == len(want), (len(drawn), len(want))
    for k, (a, b) in enumerate(zip(want, drawn, strict=True)):
        assert a.shape == b.shape, (k, a.shape, b.shape)
        off = float((np.abs(a - b).max(axis=2) > 32).mean())
        assert off <= 1e-4, f"frame {k}: {off:.2%} of its pixels differ"
