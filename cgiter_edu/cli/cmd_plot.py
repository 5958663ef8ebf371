"""``cgiter-edu plot`` and ``cgiter-edu animate``: pictures of a walk from the command line.

Both take the same walk flags as ``cgiter-edu walk``
(:func:`cgiter_edu.clihelpers.add_walk_args`); the walk runs through the emulator with tracing
on and the picture replays the trace.

Example::

    $ cgiter-edu plot walk --order post --step 12 -o walk.png
    $ cgiter-edu plot buffer --tree balanced --record-bytes 64 -o buffer.svg
    $ cgiter-edu plot mutex --writer /new.slice -o mutex.pdf
    $ cgiter-edu plot orders --tree small -o orders.png
    $ cgiter-edu plot capacity -o capacity.png
    $ cgiter-edu animate --record-bytes 3000 -o walk.gif
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..clihelpers import (
    CliError,
    add_number,
    add_walk_args,
    kernel_from_args,
    load_tree,
    oserror_text,
    record_bytes,
    walk_from_args,
    walk_spec,
)
from ..outfile import atomic_output, check_output

#: the resolutions a picture and an animation can be drawn at: below, the smallest
#: text has less than a pixel (FreeType refuses it); above, one frame is more pixels
#: than a slide needs and an animation's frames no longer fit in memory
PLOT_DPI = (30, 600)
ANIMATE_DPI = (20, 240)
#: frames per second: a GIF frame lasts a whole number of 10 ms and browsers slow
#: down frames shorter than 20 ms, so 50 at most; 0.1 is a frame every 10 s
ANIMATE_FPS = (0.1, 50.0)
#: at most this many frames (each is a 16:9 picture kept in memory for a GIF)
ANIMATE_MAX_FRAMES = (1, 1000)

__all__ = ["cmd_animate", "cmd_plot", "setup_animate", "setup_plot"]

PICTURE_SUFFIXES = (".png", ".svg", ".pdf")
ANIMATION_SUFFIXES = (".gif", ".mp4", ".html")

PLOT_EPILOG = """\
pictures:
  walk      the hierarchy at --step N, each cgroup coloured by its state (default: the end)
  buffer    the seq_file buffer: 8 pages, the never-usable byte, rollbacks, read() results
  mutex     cgroup_mutex over the read() calls; --writer PATH adds a mkdir that waits for it,
            --first reader lets the reader's next read() take the mutex before the woken writer
  orders    every order side by side on --tree, numbered in visiting order (CHILDREN
            too with --kernel 7.0)
  capacity  records that fit against record size for 4, 16 and 64 KiB pages (no walk)

examples:
  cgiter-edu plot walk --order post --step 12 -o walk.png
  cgiter-edu plot buffer --tree balanced --record-bytes 64 -o buffer.svg
  cgiter-edu plot orders --tree small -o orders.pdf
"""


def _add_picture_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("the picture")
    g.add_argument("--view", choices=["auto", "tree", "list", "icicle"], default="auto",
                   help="walk: tidy tree, systemd-cgls-like list, or icicle for thousands "
                        "(default: auto, the first that stays readable)")
    g.add_argument("--labels", choices=["name", "path", "id", "none"], default="name",
                   help="text beside each cgroup (default: name)")
    g.add_argument("--writer", default=None, metavar="PATH",
                   help="a thread runs mkdir PATH during the first read(): it waits for "
                        "cgroup_mutex (shown by mutex and animate)")
    g.add_argument("--first", choices=["writer", "reader"], default="writer",
                   help="with --writer: who takes cgroup_mutex after the walk's unlock wakes "
                        "the writer: the woken writer (default: what this kernel mostly shows) or the "
                        "reader's next read(), after which the writer, having set "
                        "MUTEX_FLAG_HANDOFF, is handed it at that read()'s unlock")


def setup_plot(p: argparse.ArgumentParser) -> None:
    """The arguments of ``cgiter-edu plot`` (the main CLI made the parser)."""
    p.description = ("Run a walk with tracing on and draw one picture of it, slide-ready "
                     "(16:9, large type, colour-blind-safe colours).")
    p.epilog = PLOT_EPILOG
    p.add_argument("picture", choices=["walk", "buffer", "mutex", "orders", "capacity"],
                   help="which picture")
    p.add_argument("-o", "--output", required=True, metavar="FILE",
                   help="where to write it: .png, .svg or .pdf")
    p.add_argument("--step", type=int, default=None, metavar="N",
                   help="the trace step to show (0-based; negative counts from the end; "
                        "default: after the last step): -n to n - 1 for a trace of n "
                        "steps")
    add_number(p, "--dpi", lo=PLOT_DPI[0], hi=PLOT_DPI[1], default=120,
               help="PNG resolution (default 120: 1920x1080)")
    add_walk_args(p)
    _add_picture_args(p)
    p.set_defaults(func=cmd_plot)


def setup_animate(p: argparse.ArgumentParser) -> None:
    """The arguments of ``cgiter-edu animate`` (the main CLI made the parser)."""
    p.description = ("Run a walk with tracing on and animate it: the hierarchy, the buffer "
                     "and the read() results, one frame per step. MP4 needs ffmpeg.")
    p.epilog = ("examples:\n  cgiter-edu animate -o walk.gif\n"
                "  cgiter-edu animate --order post --record-bytes 3000 -o walk.mp4\n"
                "  cgiter-edu animate --tree small --fps 2 -o walk.html\n")
    p.add_argument("-o", "--output", required=True, metavar="FILE",
                   help="where to write it: .gif, .mp4 or .html")
    add_number(p, "--fps", kind=float, lo=ANIMATE_FPS[0], hi=ANIMATE_FPS[1], default=4.0,
               help="frames per second (default 4)")
    add_number(p, "--max-frames", lo=ANIMATE_MAX_FRAMES[0], hi=ANIMATE_MAX_FRAMES[1],
               default=300,
               help="at most N steps of the walk get a frame (longer walks are thinned "
                    "out, keeping every skip, rollback, end and read() result), and the "
                    "end is held for 6 more (default 300)")
    add_number(p, "--dpi", lo=ANIMATE_DPI[0], hi=ANIMATE_DPI[1], default=None,
               help="resolution (default: 80 for GIF, 120 for MP4, 72 for HTML)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    add_walk_args(p)
    _add_picture_args(p)
    p.set_defaults(func=cmd_animate)


def _trace_from_args(args: argparse.Namespace) -> Any:
    """The walk the flags describe, traced (with a waiting writer when --writer)."""

    if getattr(args, "first", "writer") != "writer" and not getattr(args, "writer", None):
        raise CliError("--first reader: there is no writer to race with (add --writer PATH)")
    if getattr(args, "writer", None):
        from ..scenarios import writer_waits

        s = walk_spec(args)
        if args.writer in s.hierarchy:
            raise CliError(f"--writer {args.writer}: EEXIST: that cgroup exists already")
        try:
            trace = writer_waits(s.hierarchy, int(s.order), mkdir=args.writer,
                                 prog=s.program, start=s.start, read_size=s.read_size,
                                 kernel=s.kernel, first=args.first)
        except OSError as e:            # the writer's mkdir failed: say why, draw nothing

            raise CliError(f"--writer {args.writer}: {oserror_text(e)}") from None
        from cgiter_edu.events import EventKind

        if not any(e.kind is EventKind.WAIT for e in trace.events):
            shown = sum(1 for e in trace.events if e.kind is EventKind.SHOW and e.cgroup is not None)
            raise CliError(f"--writer {args.writer}: the writer never ran: it starts when the "
                           f"program reaches its third cgroup, and this walk gave it {shown}; "
                           "walk more cgroups (another --order, --start or --tree)")
        return trace
    res = walk_from_args(args, trace=True)
    if res.attach_errno or res.trace is None:
        raise CliError(f"nothing to draw: {res.summary()}")
    return res.trace


def _step(trace: Any, step: int | None) -> int | None:
    if step is None:
        return None
    n = len(trace.events)
    if step < 0:
        step += n
    if not 0 <= step < n:
        raise CliError(f"--step must be in [-{n}, {n - 1}] for this trace of {n} steps")
    return step


def _check_output(path: str, allowed: tuple[str, ...]) -> str:
    """``-o``: a file of a known kind, a regular file or a new name in a directory that
    exists and can be written (:func:`~cgiter_edu.outfile.check_output`), checked
    before the walk runs; returns its suffix."""
    if not path:
        raise CliError(f"-o '': an empty name; give a file name such as walk{allowed[0]}")
    if Path(path).is_dir():
        raise CliError(f"-o {path}: is a directory; give a file name such as "
                       f"{Path(path) / ('walk' + allowed[0])}")
    suffix = Path(path).suffix.lower()
    if suffix not in allowed:
        raise CliError(f"-o {path}: use one of {', '.join(allowed)}")
    check_output(path, "-o")
    return suffix


def _mem_available() -> int | None:
    """MemAvailable of /proc/meminfo in bytes (None if unknown)."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def _check_gif_memory(frames: int, dpi: float) -> None:
    """A GIF's frames are all held in memory before it is written: refuse (one line)
    what would need more than half the memory this machine has free."""
    from ..viz.style import SLIDE_SIZE

    need = frames * int(SLIDE_SIZE[0] * dpi) * int(SLIDE_SIZE[1] * dpi) * 4
    avail = _mem_available()
    if avail is not None and need > avail // 2:
        raise CliError(f"--max-frames/--dpi: a GIF of {frames} frames at dpi {dpi:g} holds "
                       f"about {need / 2**30:.1f} GiB of frames in memory, more than half of "
                       f"the {avail / 2**30:.1f} GiB free here; lower --dpi or --max-frames, "
                       "or write .mp4 (streamed)")


def _save(save: Callable[[str], Any], path: str) -> None:
    """Write the picture through a temporary file renamed onto ``path``
    (:func:`~cgiter_edu.outfile.atomic_output`); an error of the file system is one
    line naming the file, and nothing is left behind."""
    try:
        with atomic_output(path, "-o") as tmp:
            save(str(tmp))
    except OSError as e:

        raise CliError(f"-o {path}: {oserror_text(e)}") from None
    except RuntimeError as e:
        if "ppem" not in str(e):        # FreeType: a font of less than a pixel
            raise
        raise CliError(f"-o {path}: the --dpi is too low for the smallest text of this "
                       "picture; give a larger --dpi") from None


#: flags a picture does not use (it draws no walk, or every order), with their defaults
_UNUSED = {
    "orders": {"order": "pre", "step": None, "program": None, "stop_at": None,
               "read_size": None, "writer": None, "view": "auto", "start_id": None},
    "capacity": {"tree": "systemd", "order": "pre", "start": None, "start_id": None,
                 "program": None, "record_bytes": None, "stop_at": None, "page_size": 4096,
                 "read_size": None, "kernel": "6.18", "step": None, "writer": None,
                 "view": "auto", "labels": "name"},
    "buffer": {"view": "auto", "labels": "name"},
    "mutex": {"view": "auto", "labels": "name"},
}


def _say_unused(args: argparse.Namespace) -> None:
    """One line naming the flags given that this picture does not use."""
    unused = [f"--{k.replace('_', '-')}" for k, default in _UNUSED.get(args.picture, {}).items()
              if getattr(args, k, default) != default]
    if unused:
        what = {"orders": "draws every order", "capacity": "draws no walk"}.get(
            args.picture, "draws no tree")
        print(f"cgiter-edu plot: note: plot {args.picture} {what}; it does not use "
              f"{', '.join(unused)}", file=sys.stderr)


def cmd_plot(args: argparse.Namespace) -> int:
    """``cgiter-edu plot``."""
    os.environ.setdefault("MPLBACKEND", "Agg")
    _check_output(args.output, PICTURE_SUFFIXES)
    _say_unused(args)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .. import scenarios
    from ..viz import buffer_view, capacity, mutex_view, orders, walk_view
    from ..viz.style import slide_style

    labels = None if args.labels == "none" else args.labels
    with slide_style():
        if args.picture == "capacity":
            fig = capacity.plot_capacity().figure
        elif args.picture == "orders":
            h = load_tree(args.tree)
            if len(h) > orders.ORDERS_MAX_CGROUPS:
                raise CliError(f"--tree {args.tree}: {orders.too_big(len(h))}")
            start = args.start or "/"
            if start not in h:
                raise CliError(f"--start {start!r}: no such cgroup")
            kernel = kernel_from_args(args)
            rb = 64 if args.record_bytes is None else record_bytes(args.record_bytes)
            traces = scenarios.order_traces(h, start, kernel=kernel, rec_bytes=rb)
            fig = orders.plot_orders(h, start, traces=traces,
                                     labels="auto" if args.labels == "name" else labels).figure
        else:
            trace = _trace_from_args(args)
            step = _step(trace, args.step)
            if args.picture == "walk":
                fig = walk_view.plot_walk(trace, step, view=args.view, labels=labels).figure
            elif args.picture == "buffer":
                fig = buffer_view.plot_buffer(trace, step).figure
            else:
                fig = mutex_view.plot_mutex(trace, step).figure
        _save(lambda tmp: fig.savefig(tmp, dpi=args.dpi), args.output)
    plt.close("all")
    print(f"cgiter-edu: wrote {args.output}", file=sys.stderr)
    return 0


def cmd_animate(args: argparse.Namespace) -> int:
    """``cgiter-edu animate``."""
    os.environ.setdefault("MPLBACKEND", "Agg")
    suffix = _check_output(args.output, ANIMATION_SUFFIXES)
    import matplotlib

    matplotlib.use("Agg")
    from ..viz.anim import Animator, ffmpeg_available

    if suffix == ".mp4" and not ffmpeg_available():
        print("cgiter-edu: MP4 needs ffmpeg, which is not installed here; nothing written "
              "(try -o walk.gif or walk.html)", file=sys.stderr)
        return 2
    trace = _trace_from_args(args)
    labels = None if args.labels == "none" else args.labels
    a = Animator(trace, fps=args.fps, max_frames=args.max_frames, view=args.view,
                 labels=labels)
    try:
        if suffix == ".gif":
            _check_gif_memory(len(a), args.dpi or 80)
        if not args.quiet:
            print(f"cgiter-edu: {len(a)} frames from a trace of {len(trace.events)} steps",
                  file=sys.stderr)
        _save(lambda tmp: a.save(tmp, progress=not args.quiet, dpi=args.dpi), args.output)
    finally:
        a.close()
    print(f"cgiter-edu: wrote {args.output}", file=sys.stderr)
    return 0
