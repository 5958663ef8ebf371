"""Animations: frames, GIF/HTML writers, the progress bar."""

from __future__ import annotations

import matplotlib
import matplotlib.animation
import pytest
from vizkit import make_trace

from cgiter_edu import Order, shapes
from cgiter_edu.events import EventKind
from cgiter_edu.viz import anim

# -- animation --------------------------------------------------------------------------

def test_frame_steps_keep_key_events():
    _res, tr = make_trace(shapes.balanced(2, 30), rec=64)
    steps = anim.frame_steps(tr, 120)
    assert len(steps) <= 120
    keys = {e.step for e in tr.events if e.kind in (EventKind.ROLLBACK, EventKind.END,
                                                   EventKind.RETURN)}
    assert keys <= set(steps)


def test_animation_updates_artists_and_saves_gif(tmp_path):
    from PIL import Image

    _res, tr = make_trace(shapes.balanced(2, 3), order=Order.DESCENDANTS_POST)
    a = anim.animate(tr, hold=2)
    nodes = a.walk.nodes
    a.update(5)
    assert a.walk.nodes is nodes                   # the same artist, recoloured
    out = a.save(tmp_path / "w.gif", progress=False)
    assert len(a) == len(tr.events) + 2
    with Image.open(out) as im:                    # Pillow merges identical frames:
        total = 0                                  # count the time instead
        for i in range(im.n_frames):
            im.seek(i)
            total += im.info["duration"]
    assert total == pytest.approx(len(a) * 1000 / a.fps, abs=len(a))
    fa = a.animation
    assert isinstance(fa, matplotlib.animation.FuncAnimation)


def test_matplotlib_engine_writes_the_same_number_of_frames(tmp_path):
    from PIL import Image

    _res, tr = make_trace(shapes.balanced(1, 2), order=Order.SELF_ONLY)
    a = anim.animate(tr, hold=0)
    out = a.save(tmp_path / "m.gif", progress=False, engine="matplotlib")
    with Image.open(out) as im:
        assert 1 <= im.n_frames <= len(a)


def test_progress_bar_reaches_the_end(capsys):
    bar = anim.ProgressBar(10)
    for i in range(10):
        bar(i)
    err = capsys.readouterr().err
    assert "10/10 frames" in err




def test_the_notebook_player_says_what_it_shows_and_names_its_controls():
    """A screen reader (and the book's alt-text check) reads the animation's alt text;
    each button and the slider have an accessible name."""
    import re

    from cgiter_edu import Order, programs, run, shapes
    from cgiter_edu.viz import animate

    r = run(shapes.balanced(1, 3), programs.Record(rec_bytes=64), Order.DESCENDANTS_POST,
            trace=True)
    page = animate(r.trace, max_frames=3).to_jshtml()
    alt, = re.findall(r'<img [^>]*alt="([^"]+)"', page)
    assert alt.startswith("An animation, step by step, of a DESCENDANTS_POST (3) walk of "
                          "4 cgroups")
    assert re.findall(r'aria-label="([^"]+)"', page) == [
        "first frame", "step back", "play", "pause", "step forward", "frame"]
