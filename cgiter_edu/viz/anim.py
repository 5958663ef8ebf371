"""A trace as an animation: the walk step by step, for a projector or a notebook.

One figure is built once (the hierarchy, the buffer strip, the read() results,
the caption); each frame only updates those artists for one step of the
trace (:meth:`WalkView.update`, :meth:`BufferStrip.update`).  Save it as a GIF
(Pillow, always there), an MP4 (when ffmpeg is installed) or an HTML page with
a player (also what a notebook shows); a text progress bar runs on stderr
while saving.

Example::

    >>> import matplotlib; matplotlib.use("Agg")
    >>> from cgiter_edu import Hierarchy, Order, run, programs
    >>> from cgiter_edu.viz import animate
    >>> h = Hierarchy(); _ = h.mkdir("/a")
    >>> res = run(h, programs.Record(rec_bytes=64), Order.DESCENDANTS_PRE, trace=True)
    >>> a = animate(res.trace)
    >>> import os, shutil, tempfile; folder = tempfile.mkdtemp()   # a folder of its own
    >>> a.save(os.path.join(folder, "walk.gif"), progress=False)     # doctest: +ELLIPSIS
    '/.../walk.gif'
    >>> shutil.rmtree(folder)
"""

from __future__ import annotations

import base64
import html
import io
import itertools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib import animation

from cgiter_edu.events import EventKind
from cgiter_edu.trace import Trace

from .buffer_view import BufferStrip
from .legend import legend_handles
from .style import SLIDE_SIZE, PathText, slide_style
from .walk_view import WalkView, states_shown
from .words import result_text

__all__ = ["Animator", "animate", "save_animation", "frame_steps", "ffmpeg_available",
           "ProgressBar"]

#: events always given a frame of their own when frames are thinned out
KEY_EVENTS = (EventKind.START, EventKind.SKIP, EventKind.ROLLBACK, EventKind.END,
              EventKind.RETURN, EventKind.WAIT, EventKind.ACQUIRED, EventKind.WAKE,
              EventKind.HANDOFF, EventKind.RELEASE)


def frame_steps(trace: Trace, max_frames: int | None = 300) -> list[int]:
    """The trace steps that get a frame: all of them, or at most ``max_frames``
    evenly spread plus every key event (start, skip, rollback, end, read results).

    >>> from cgiter_edu.events import Event, EventKind
    >>> from cgiter_edu.trace import Trace
    >>> t = Trace(events=[Event(i, EventKind.SHOW, 0) for i in range(10)])
    >>> frame_steps(t, 4)
    [0, 3, 6, 9]
    >>> frame_steps(t, 1)
    [9]
    """
    n = len(trace.events)
    if max_frames is not None and max_frames < 1:
        raise ValueError(f"max_frames must be at least 1, not {max_frames}")
    if n == 0:
        return []
    if max_frames is None or n <= max_frames:
        return list(range(n))
    if max_frames == 1:                   # one frame: how the walk ended
        return [n - 1]
    keys = [e.step for e in trace.events if e.kind in KEY_EVENTS]
    room = max(2, max_frames - len(keys))
    even = {round(i * (n - 1) / (room - 1)) for i in range(room)}
    steps = sorted(even | set(keys))
    if len(steps) > max_frames:           # too many key events: keep them evenly too
        idx = {round(i * (len(steps) - 1) / (max_frames - 1)) for i in range(max_frames)}
        steps = [steps[i] for i in sorted(idx)]
    return steps


def ffmpeg_available() -> bool:
    """Is ffmpeg there for MP4?"""
    return shutil.which("ffmpeg") is not None


class ProgressBar:
    """A text progress bar on stderr: ``[#####-----] 50/100 frames 1.2 s``."""

    def __init__(self, total: int, what: str = "frames", stream: IO[str] | None = None,
                 width: int = 30) -> None:
        self.total = max(1, total)
        self.what = what
        self.stream = stream if stream is not None else sys.stderr
        self.width = width
        self.t0 = time.perf_counter()
        self._last = -1

    def __call__(self, i: int, n: int | None = None) -> None:
        total = n or self.total
        done = min(i + 1, total)
        filled = int(self.width * done / total)
        if filled == self._last and done != total:
            return
        tty = getattr(self.stream, "isatty", lambda: False)()
        if not tty and filled % max(1, self.width // 4) and done != total:
            return                         # a log file: a line every quarter is enough
        self._last = filled
        bar = "#" * filled + "-" * (self.width - filled)
        el = time.perf_counter() - self.t0
        line = f"[{bar}] {done}/{total} {self.what} {el:.1f} s"
        if tty:
            self.stream.write("\r" + line + ("\n" if done == total else ""))
        else:
            self.stream.write(line + "\n")
        self.stream.flush()


class Animator:
    """The animation of one trace (16:9): use :meth:`save` or :meth:`to_jshtml`.

    Parameters
    ----------
    trace : Trace
        The walk.
    steps : sequence of int, optional
        Which trace steps become frames (default: :func:`frame_steps`).
    fps, max_frames, hold : float, int, int
        Frames per second (4); at most this many frames when ``steps`` is not given
        (300); frames the final picture is held, so a looping GIF pauses on it (6).
    **walk_kwargs
        Passed to :class:`WalkView` (``view=``, ``labels=``...).

    Examples
    --------
    >>> from cgiter_edu import Order, programs, run, shapes
    >>> t = run(shapes.systemd_host(), programs.Record(rec_bytes=3000), Order.DESCENDANTS_PRE,
    ...         trace=True).trace
    >>> a = Animator(t, max_frames=20); len(a.steps) <= 26   # then a.save("walk.gif")
    True
    """

    def __init__(self, trace: Trace, steps: Sequence[int] | None = None, *, fps: float = 4,
                 max_frames: int | None = 300, hold: int = 6, **walk_kwargs: Any) -> None:
        self.trace = trace
        base = list(steps) if steps is not None else frame_steps(trace, max_frames)
        # hold the last frame a little so a looping GIF pauses on the result
        self.steps: list[int | None] = [*base, *([None] * hold)] if base else [None]
        self.fps = fps
        with slide_style():
            self.figure = fig = plt.figure(figsize=SLIDE_SIZE)
            ax_tree = fig.add_axes((0.015, 0.25, 0.70, 0.61))
            ax_buf = fig.add_axes((0.03, 0.025, 0.66, 0.17))
            self.walk = WalkView(trace, None, ax_tree, legend=False, **walk_kwargs)
            self.walk.legend = fig.legend(
                handles=legend_handles(states_shown(trace, self.steps), dashed=self.walk.dashed), loc="upper left", bbox_to_anchor=(0.725, 0.86),
                fontsize=16, title="cgroup state", title_fontsize=18, labelspacing=0.9,
                alignment="left")
            self.buffer = BufferStrip(trace, None, ax_buf)
            self.reads = PathText((0.73, 0.21), "", size=15, family="DejaVu Sans Mono",
                                  va="top", ha="left", linespacing=1.4,
                                  transform=fig.transFigure)
            fig.add_artist(self.reads)
        self._anim: animation.FuncAnimation | None = None

    # -- frames ----------------------------------------------------------------------
    def update(self, step: int | None) -> list[Any]:
        """Draw the frame of trace ``step`` (None: the final picture)."""
        changed = self.walk.update(step)
        changed += self.buffer.update(step)
        st = self.buffer.state
        lines = ["read() results:"]
        rs = st.reads if st is not None else []
        for e in rs[-5:]:
            lines.append(f"  #{e.read_no + 1:<3d} -> {result_text(e)}")
        if len(rs) > 5:
            lines.insert(1, f"  ... {len(rs) - 5} earlier")
        if not rs:
            lines.append("  (none yet)")
        self.reads.set_text("\n".join(lines))
        changed.append(self.reads)
        return changed

    @property
    def animation(self) -> animation.FuncAnimation:
        """The matplotlib FuncAnimation (made on first use)."""
        if self._anim is None:
            self._anim = animation.FuncAnimation(
                self.figure, self.update, frames=self.steps, interval=1000 / self.fps,
                blit=True, repeat=True, cache_frame_data=False)
        return self._anim

    def __len__(self) -> int:
        return len(self.steps)

    # -- fast frames -----------------------------------------------------------------
    def dynamic_artists(self) -> list[Any]:
        """The artists a frame changes; everything else is drawn once as background.
        Artists a view keeps but never placed in the figure (the numbers of an icicle
        of thousands of cgroups) are left out: there is nothing of them to draw."""
        return [a for a in (*self.walk.artists(), *self.buffer.artists(), self.reads)
                if a.get_figure() is not None]

    def frames(self, dpi: float = 80) -> Iterator[np.ndarray]:
        """Render every frame as an RGBA array: the static parts are drawn once, then
        each frame restores that background and draws only :meth:`dynamic_artists`
        (blitting), so a frame costs a few tens of milliseconds."""
        fig = self.figure
        old_dpi = fig.get_dpi()
        dyn = self.dynamic_artists()
        try:
            fig.set_dpi(dpi)
            for a in dyn:
                a.set_animated(True)
            canvas = fig.canvas
            canvas.draw()
            bg = canvas.copy_from_bbox(fig.bbox)
            for step in self.steps:
                self.update(step)
                canvas.restore_region(bg)
                for a in dyn:
                    fig.draw_artist(a)
                yield np.asarray(canvas.buffer_rgba()).copy()
        finally:
            for a in dyn:
                a.set_animated(False)
            fig.set_dpi(old_dpi)

    def redraw(self, step: int | None) -> None:
        """Update the artists for ``step`` and redraw only them on the canvas (after
        one full draw): what a widget or the benchmark does per step."""
        fig = self.figure
        canvas = fig.canvas
        if getattr(self, "_bg", None) is None:
            for a in self.dynamic_artists():
                a.set_animated(True)
            canvas.draw()
            self._bg = canvas.copy_from_bbox(fig.bbox)
        self.update(step)
        canvas.restore_region(self._bg)
        for a in self.dynamic_artists():
            fig.draw_artist(a)

    # -- output ----------------------------------------------------------------------
    def save(self, path: str | os.PathLike, *, progress: bool = True, dpi: float | None = None,
             fps: float | None = None, engine: str = "fast") -> str:
        """Write ``.gif``, ``.mp4`` or ``.html`` (by the suffix) and return the path.

        ``engine="fast"`` (default) renders frames by blitting and encodes them with
        Pillow (GIF, PNG frames of the HTML player) or ffmpeg (MP4);
        ``engine="matplotlib"`` uses ``FuncAnimation.save`` with matplotlib's writers
        (PillowWriter, FFMpegWriter, HTMLWriter): the same pictures, several times
        slower.  MP4 needs ffmpeg: without it :class:`RuntimeError` says so and
        nothing is written.
        """
        path = str(path)
        suffix = Path(path).suffix.lower()
        if suffix not in (".gif", ".mp4", ".html", ".htm"):
            raise ValueError(f"cannot save an animation as {suffix or 'no suffix'}; "
                             f"use .gif, .mp4 or .html")
        if suffix == ".mp4" and not ffmpeg_available():
            raise RuntimeError("MP4 needs ffmpeg, which is not installed here; "
                               "save a .gif or .html instead")
        fps = fps or self.fps
        bar = ProgressBar(len(self.steps)) if progress else None
        if engine == "matplotlib":
            return self._save_matplotlib(path, suffix, fps, dpi, bar)
        if engine != "fast":
            raise ValueError(f"engine must be 'fast' or 'matplotlib', not {engine!r}")
        with slide_style():
            if suffix == ".gif":
                _write_gif(path, self.frames(dpi or 80), fps, bar)
            elif suffix == ".mp4":
                _write_mp4(path, self.frames(dpi or 120), fps, bar)
            else:
                Path(path).write_text(_player_html(self.frames(dpi or 72), fps, bar,
                                                   self.alt))
        return path

    def _save_matplotlib(self, path: str, suffix: str, fps: float, dpi: float | None,
                         bar: ProgressBar | None) -> str:
        cb = (lambda i, n: bar(i, n)) if bar else None
        with slide_style():
            if suffix == ".gif":
                self.animation.save(path, writer=animation.PillowWriter(fps=fps),
                                    dpi=dpi or 80, progress_callback=cb)
            elif suffix == ".mp4":
                writer = animation.FFMpegWriter(fps=fps, codec="libx264",
                                                extra_args=["-pix_fmt", "yuv420p"])
                self.animation.save(path, writer=writer, dpi=dpi or 120, progress_callback=cb)
            else:
                with tempfile.TemporaryDirectory() as tmp:
                    out = os.path.join(tmp, "anim.html")
                    writer = animation.HTMLWriter(fps=fps, embed_frames=True,
                                                  default_mode="once")
                    self.animation.save(out, writer=writer, dpi=dpi or 72,
                                        progress_callback=cb)
                    Path(path).write_text(Path(out).read_text())
        return path

    def to_jshtml(self, *, progress: bool = False, dpi: float | None = None,
                  fps: float | None = None) -> str:
        """A self-contained HTML player (play, pause, step, slider) with every frame
        embedded as PNG: what a notebook shows (``IPython.display.HTML``)."""
        bar = ProgressBar(len(self.steps)) if progress else None
        with slide_style():
            return _player_html(self.frames(dpi or 72), fps or self.fps, bar, self.alt)

    @property
    def alt(self) -> str:
        """What the animation shows, in words: the player's alt text."""
        given = self.__dict__.get("_alt")
        if given:
            return given
        from cgiter_edu.names import order_name

        t = self.trace
        order = order_name(t.order)
        return (f"An animation, step by step, of a {order} walk of {len(t.cgroups)} cgroups: "
                f"each cgroup coloured by its state as the walk reaches it, the records "
                f"filling the buffer, and how the walk ends")

    @alt.setter
    def alt(self, text: str) -> None:
        self._alt = text

    def _repr_html_(self) -> str:
        return self.to_jshtml()

    def close(self) -> None:
        """Free the figure."""
        plt.close(self.figure)


# ---------------------------------------------------------------------------
# writers
# ---------------------------------------------------------------------------
def _write_gif(path: str, frames: Iterable[np.ndarray], fps: float,
               bar: ProgressBar | None) -> None:
    from PIL import Image

    imgs = []
    for i, f in enumerate(frames):
        imgs.append(Image.fromarray(f[:, :, :3]))
        if bar:
            bar(i)
    if not imgs:
        raise ValueError("no frames to save")
    # one palette for all frames, from the last one (the legend shows every colour)
    pal = imgs[-1].quantize(colors=255, method=Image.Quantize.MEDIANCUT)
    q = [im.quantize(palette=pal, dither=Image.Dither.NONE) for im in imgs]
    q[0].save(path, save_all=True, append_images=q[1:], duration=int(round(1000 / fps)),
              loop=0, optimize=False, disposal=1)


def _write_mp4(path: str, frames: Iterable[np.ndarray], fps: float,
               bar: ProgressBar | None) -> None:
    it = iter(frames)
    first = next(it)
    h, w = first.shape[:2]
    w2, h2 = w - w % 2, h - h % 2          # yuv420p wants even sizes
    cmd = [shutil.which("ffmpeg") or "ffmpeg", "-y", "-loglevel", "error", "-f", "rawvideo",
           "-pix_fmt", "rgba", "-s", f"{w}x{h}", "-r", str(fps), "-i", "-",
           "-vf", f"crop={w2}:{h2}:0:0", "-c:v", "libx264", "-pix_fmt", "yuv420p",
           "-movflags", "+faststart", path]
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdin is not None
    try:
        for i, f in enumerate(itertools.chain([first], it)):
            proc.stdin.write(np.ascontiguousarray(f).tobytes())
            if bar:
                bar(i)
    finally:
        proc.stdin.close()
        err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
        rc = proc.wait()
    if rc != 0:
        raise RuntimeError(f"ffmpeg failed ({rc}): {err.strip()[-500:]}")


_PLAYER = """<div class="cgiter-anim" id="{id}" style="font-family:sans-serif;max-width:100%">
<img id="{id}-img" style="max-width:100%;border:1px solid #ccc" src="{first}" alt="{alt}"/>
<div style="margin-top:4px">
<button onclick="cg_{id}.go(0)" aria-label="first frame">&#x23EE;</button>
<button onclick="cg_{id}.step(-1)" aria-label="step back">&#x25C0;</button>
<button onclick="cg_{id}.play()" aria-label="play">&#x25B6; play</button>
<button onclick="cg_{id}.pause()" aria-label="pause">&#x23F8;</button>
<button onclick="cg_{id}.step(1)" aria-label="step forward">&#x25B6;|</button>
<input type="range" min="0" max="{last}" value="0" style="width:50%;vertical-align:middle"
 oninput="cg_{id}.go(parseInt(this.value))" id="{id}-range" aria-label="frame"/>
<span id="{id}-n">1/{n}</span></div></div>
<script>
var cg_{id} = (function() {{
  var frames = {frames};
  var i = 0, timer = null;
  var img = document.getElementById("{id}-img"), rng = document.getElementById("{id}-range"),
      lab = document.getElementById("{id}-n");
  function go(k) {{ i = Math.max(0, Math.min(frames.length - 1, k)); img.src = frames[i];
    rng.value = i; lab.textContent = (i + 1) + "/" + frames.length; }}
  function step(d) {{ go(i + d); }}
  function pause() {{ if (timer) {{ clearInterval(timer); timer = null; }} }}
  function play() {{ pause(); if (i >= frames.length - 1) go(0);
    timer = setInterval(function() {{ if (i >= frames.length - 1) pause(); else step(1); }},
                        {interval}); }}
  return {{go: go, step: step, play: play, pause: pause}};
}})();
</script>"""


def _player_html(frames: Iterable[np.ndarray], fps: float, bar: ProgressBar | None,
                 alt: str = "An animation of a cgroup_iter walk, step by step") -> str:
    from PIL import Image

    uris = []
    for i, f in enumerate(frames):
        buf = io.BytesIO()
        Image.fromarray(f[:, :, :3]).save(buf, format="PNG", optimize=False, compress_level=6)
        uris.append("data:image/png;base64," + base64.b64encode(buf.getvalue()).decode())
        if bar:
            bar(i)
    if not uris:
        raise ValueError("no frames to save")
    ident = "cg" + uuid.uuid4().hex[:10]
    body = _PLAYER.format(id=ident, first=uris[0], last=len(uris) - 1, n=len(uris),
                          alt=html.escape(alt, quote=True),
                          frames=json.dumps(uris), interval=int(round(1000 / fps)))
    return ("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
            "<title>cgroup_iter walk</title></head><body>\n" + body + "\n</body></html>\n")


def animate(trace: Trace, steps: Sequence[int] | None = None, **kwargs: Any) -> Animator:
    """Animate a walk, one frame per step.

    Parameters
    ----------
    trace : Trace
        The walk (``res.trace``).
    steps : sequence of int, optional
        The steps to show, in order; default every step (thinned on long walks).
    **kwargs
        ``fps``, ``max_frames``, ``hold`` and the options of :class:`WalkView`, see
        :class:`Animator`.

    Returns
    -------
    Animator
        ``.save("walk.gif" | "walk.mp4" | "walk.html")`` (with a progress bar),
        ``.to_jshtml()`` for a notebook.

    Examples
    --------
    >>> animate(res.trace).save("walk.gif")          # doctest: +SKIP
    """
    return Animator(trace, steps, **kwargs)


def save_animation(trace: Trace, path: str | os.PathLike, *, progress: bool = True,
                   **kwargs: Any) -> str:
    """Animate a trace and save it in one call.

    Parameters
    ----------
    trace : Trace
        The walk.
    path : str or path-like
        ``.gif``, ``.mp4`` (with ffmpeg) or ``.html``.
    progress : bool, default True
        Print a progress bar.
    **kwargs
        :class:`Animator`'s options.

    Returns
    -------
    str
        The path written.

    Examples
    --------
    >>> save_animation(res.trace, "walk.gif", max_frames=40)     # doctest: +SKIP
    'walk.gif'
    """
    a = Animator(trace, **kwargs)
    try:
        return a.save(path, progress=progress)
    finally:
        a.close()

