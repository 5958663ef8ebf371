"""The explorer: every control of ``cgiter-edu walk`` as a widget, a player over the
emulator's trace, and at each step the tree, the buffer, the mutex, the read() calls,
a caption and the kernel function that is running.

Only core ipywidgets (no custom front-end code, no ipympl): the picture is ONE reused
Agg figure (:class:`~cgiter_edu.widgets.picture.FrameRenderer`) sent as PNG bytes to an
``Image`` widget; ``Play`` is jslinked to the step slider in the browser.  Inside a
Jupyter kernel frames are drawn by a background thread that always draws the newest
step asked for, so a slow kernel drops frames instead of queueing them.

Everything shown replays the trace of :func:`cgiter_edu.widgets.model.walk` (the
emulator's run); bad input becomes a message in the explorer, never a traceback.
This module runs the emulator, plays the trace and describes each step; the widgets,
their layout and the controls <-> settings glue are :mod:`cgiter_edu.widgets.panel`.

Example::

    >>> from cgiter_edu.widgets import Explorer
    >>> ex = Explorer(tree="small", order="post", record_bytes=3000)
    >>> ex.jump("cut"); ex.frame.level
    'cut'
    >>> ex.set(order="pre", record_bytes=64); ex.frame.error
    ''
"""

from __future__ import annotations

import bisect
import os
import threading
import time
from collections.abc import Callable
from typing import Any

import ipywidgets as W

from cgiter_edu import Order
from cgiter_edu.attach import parse_order
from cgiter_edu.hierarchy import Hierarchy
from cgiter_edu.trace import Trace

from . import model, story
from .kernelcheck import KernelCheck, settings_from_recorded
from .panel import ExplorerPanel
from .picture import FrameRenderer
from .story import Frame

__all__ = ["Explorer"]

#: all-orders mode: walks longer than this keep one slider position per step (finding
#: the steps that change the picture draws every frame once)
FRAME_STEPS_MAX = 150


class Explorer(ExplorerPanel, W.VBox):
    """The cgroup_iter explorer, a widget you ``display()`` (or leave last in a cell).

    A player over the emulator's trace of one walk: at each step the tree coloured by
    state, the seq_file buffer, the read() calls, ``cgroup_mutex``, a caption and the
    mirrored kernel function that is running.  Every argument sets a control.

    Parameters
    ----------
    tree : str, Hierarchy or path-like, default "systemd"
        A shape name of :data:`~cgiter_edu.widgets.model.TREES`, ``"sysfs"`` (this
        machine's cgroup tree), a :class:`~cgiter_edu.Hierarchy` or a JSON file saved by
        ``Hierarchy.to_json``.
    order : Order, int or str, default Order.DESCENDANTS_PRE
        The walk order: an :class:`~cgiter_edu.Order`, its value or a name like
        ``"post"``.
    start : str, default "/"
        The path of the start cgroup.
    program : str or callable, default "record"
        ``"record"``, ``"ids"``, ``"paths"``, ``"silent"`` or your own
        ``prog(ctx) -> int``.
    record_bytes : int, default 3000
        The size of each record the ``"record"`` program writes.
    page_size : int, default 4096
        The kernel's page size (the seq_file buffer is 8 pages).
    read_size : int, default 131072
        The size of each read() call.
    kernel : str, default "6.18"
        ``"6.1"``, ``"6.12"``, ``"6.18"`` or ``"7.0"`` (from the source).
    stop_at : str, optional
        A path where the program returns 1 (stop).
    writer : str, optional
        A path another thread mkdirs during the read (it waits for ``cgroup_mutex``).
    extra_reads : int, default 0
        read() calls after the first that returns 0 or an error (where ``cat`` stops).
    step : int or str, optional
        The step shown first; ``"cut"`` or ``"end"`` jump there.
    mode : {"walk", "orders"}, default "walk"
        One walk, or the five orders side by side.
    settings : Settings, optional
        A :class:`~cgiter_edu.widgets.model.Settings` with every control at once (it
        wins over the single arguments).
    background : bool, optional
        Draw frames in a thread (default: inside a Jupyter kernel only).
    check_kernel : bool, optional
        Run each walk on this machine's kernel too, in a thread, and say under the
        picture whether the kernel agrees (default: inside a Jupyter kernel only;
        :class:`~cgiter_edu.widgets.kernelcheck.KernelCheck`).

    Raises
    ------
    ValueError
        An order name that is not one (see :func:`cgiter_edu.attach`).
    OSError
        A ``tree`` JSON file that cannot be read.

    See Also
    --------
    cgiter_edu.run : the walk the explorer replays.

    Notes
    -----
    :meth:`set` changes controls from Python, :meth:`jump` moves the player,
    :attr:`frame` says what is shown.

    Examples
    --------
    >>> from cgiter_edu.widgets import Explorer
    >>> ex = Explorer(tree="small", record_bytes=3000, step="cut")
    >>> ex.frame.level, "EOPNOTSUPP" in ex.frame.why
    ('cut', True)
    >>> ex.set(record_bytes=64); ex.jump("end"); ex.frame.level
    'end'
    """

    def __init__(self, tree: str | Hierarchy | os.PathLike = "systemd",
                 order: Order | int | str = Order.DESCENDANTS_PRE, *, start: str = "/",
                 program: str | Callable[[Any], int] = "record", record_bytes: int = 3000,
                 page_size: int = 4096, read_size: int = 131072, kernel: str = "6.18",
                 stop_at: str | None = None, writer: str | None = None,
                 extra_reads: int = 0, step: int | str | None = None, mode: str = "walk",
                 settings: model.Settings | None = None,
                 background: bool | None = None,
                 check_kernel: bool | None = None) -> None:
        self._user_program = program if callable(program) else None
        self._hier_json: str | None = None
        if settings is not None:                 # every control at once (the course does)
            tree = settings.tree
            if settings.tree == "json":
                self._hier_json = settings.tree_json
        if isinstance(tree, Hierarchy):
            self._hier_json = tree.to_json()
            tree_name = "json"
        elif self._hier_json is not None:
            tree_name = "json"
        elif isinstance(tree, os.PathLike) or (isinstance(tree, str) and tree.endswith(".json")):
            with open(tree) as f:
                self._hier_json = f.read()
            tree_name = "json"
        else:
            tree_name = str(tree)
        order_v = int(parse_order(order)) if isinstance(order, str) else int(order)
        self.settings = model.Settings(
            tree=tree_name, tree_json=self._hier_json, order=order_v, start=start,
            program="custom" if callable(program) else str(program),
            record_bytes=record_bytes, page_size=page_size, read_size=read_size,
            kernel=kernel, stop_at=stop_at, writer=writer, extra_reads=extra_reads)
        if settings is not None:
            self.settings = settings.with_(tree=tree_name, tree_json=self._hier_json)
        self.mode = mode
        self.renderer = FrameRenderer()
        self.walk: model.Walk | None = None
        self.order_walks: dict[int, model.Walk] = {}
        self.trace: Trace | None = None
        self._quiet = 0
        self._synced_paths: tuple[list[str], list[str]] | None = None
        self._frame = Frame(0)
        #: all orders: the steps that change the picture, one per slider position (None:
        #: every step, as in one walk)
        self._frame_steps: list[int] | None = None
        #: all orders: why an order is left out (CHILDREN before Linux 7.0)
        self._orders_note = ""
        if background is None:
            background = _in_kernel()
        self._background = background
        self._cv = threading.Condition()
        self._want: int | None = None
        self._busy = False
        #: frames drawn so far (a slider that moves faster than frames draw skips some)
        self.frames_drawn = 0
        self._build_widgets()
        self.kernel_check = KernelCheck(enabled=background if check_kernel is None
                                        else check_kernel)
        self._side.children = (*self._side.children, self.kernel_check)   # under the story
        super().__init__(self._parts)
        self.add_class("cg-explorer")
        self.add_class("explorer")
        if background:
            threading.Thread(target=self._worker, name="cg-explorer", daemon=True).start()
        self._apply(self.settings, first=True)
        if step is not None:
            if isinstance(step, str):
                self.jump(step)
            else:
                self.step = step
        self.flush()

    @classmethod
    def from_recorded(cls, case: dict[str, Any], **kw: Any) -> Explorer:
        """An explorer showing a walk recorded on a real kernel (one of
        :func:`cgiter_edu.kernel_walks.bundled`), as recorded: its tree (re-rooted, the
        recorded ids), order, start, program, read() size and kernel series.
        ``ValueError`` for a walk the explorer cannot show as recorded."""
        return cls.from_settings(settings_from_recorded(case), **kw)

    @classmethod
    def from_settings(cls, settings: model.Settings, *, mode: str = "walk",
                      program: Callable[[Any], int] | None = None,
                      background: bool | None = None,
                      check_kernel: bool | None = None) -> Explorer:
        """An explorer showing exactly ``settings`` (e.g. another explorer's
        ``settings``: the two then show the same frames)."""
        return cls(settings=settings, mode=mode, background=background,
                   program=program if program is not None else settings.program,
                   check_kernel=check_kernel)

    # -- settings -----------------------------------------------------------------------
    def set(self, **kw: Any) -> None:
        """Change controls from Python, then redraw once.

        Parameters
        ----------
        **kw
            New values by :class:`~cgiter_edu.widgets.model.Settings` field name
            (``order`` also takes ``"post"``..., ``program`` a ``prog(ctx) -> int``).

        Raises
        ------
        TypeError
            A name that is not a settings field.

        Examples
        --------
        >>> ex = Explorer(tree="small", record_bytes=64)
        >>> ex.set(order="post", record_bytes=3000); ex.settings.order, ex.settings.record_bytes
        (3, 3000)
        """
        if "order" in kw and isinstance(kw["order"], str):
            kw["order"] = int(parse_order(kw["order"]))
        if "program" in kw and callable(kw["program"]):
            self._user_program = kw["program"]
            kw["program"] = "custom"
        if "changes" in kw:
            kw["changes"] = tuple(tuple(c) for c in kw["changes"])
        new = self.settings.with_(**kw)
        self._apply(new)
        self.flush()

    def _on_control(self, change: dict) -> None:
        if self._quiet:
            return
        new = self._read_controls()
        if new.tree != self.settings.tree or new.tree_json != self.settings.tree_json:
            new = new.with_(start="/", stop_at=None, changes=(), big=None)
        bad = model.record_bytes_error(new)
        if bad:                     # refused: the box goes back to the size the walk uses
            with self._hold():
                self.w_record.value = self.settings.record_bytes
            self._say_error(f"{bad}; the walk shown still uses "
                            f"{self.settings.record_bytes} B")
            return
        self._apply(new)

    def _on_mode(self, change: dict) -> None:
        if self._quiet:
            return
        self.mode = change["new"]
        self._apply(self.settings)

    def _on_upload(self, change: dict) -> None:
        if self._quiet or not change["new"]:
            return
        files = change["new"]
        f = files[0] if isinstance(files, (list, tuple)) else next(iter(files.values()))
        content = f["content"] if isinstance(f, dict) else f.content
        name = f.get("name", "upload") if isinstance(f, dict) else getattr(f, "name", "upload")
        self.load_json(bytes(content), name)

    def load_json(self, data: bytes | str, name: str = "upload") -> None:
        """Use a hierarchy saved as JSON (what the upload button does).

        A broken one is refused with a message and the explorer keeps its tree.

        Parameters
        ----------
        data : bytes or str
            The JSON ``Hierarchy.to_json`` writes.
        name : str, default "upload"
            The name the tree menu shows it under.

        Examples
        --------
        >>> from cgiter_edu import shapes
        >>> ex = Explorer(tree="small")
        >>> ex.load_json(shapes.balanced(2, 2).to_json(), "two by two")
        >>> ex.settings.tree
        'json'
        """
        try:
            text = data.decode() if isinstance(data, bytes) else data
            model.tree_source(model.Settings(tree="json", tree_json=text))
        except (model.TreeError, UnicodeDecodeError) as e:
            self._say_error(f"{name}: {e}")
            self.flush()
            return
        self._hier_json = text
        opts = [o for o in self.w_tree.options if o[1] != "json"]
        with self._hold():
            self.w_tree.options = [*opts, (f"uploaded: {name}", "json")]
            self.w_tree.value = "json"
        self._apply(self.settings.with_(tree="json", tree_json=text, start="/", stop_at=None,
                                        changes=(), big=None))
        self.flush()

    def _change(self, what: str) -> None:
        """Make the chosen cgroup dead, or release it; refused changes leave the tree as
        it was and say why."""
        path = self.w_dead_path.value
        if not path:
            return
        new = self.settings.with_(changes=(*self.settings.changes, (what, path)))
        try:
            model.build(new)
        except (OSError, KeyError, ValueError, model.TreeError) as e:
            from cgiter_edu.names import errno_text

            code = getattr(e, "errno", None)
            msg = e.args[0] if isinstance(e, KeyError) and e.args else (
                getattr(e, "strerror", None) or str(e))
            self._say_error(f"{'make dead' if what == 'kill' else 'release'} {path}: "
                            + (f"{errno_text(code)}: " if code else "") + model._why(str(msg)))
            self.flush()
            return
        self._apply(new)
        self.flush()

    def _apply(self, new: model.Settings, first: bool = False) -> None:
        """Run the emulator for ``new`` and show its first frame."""
        self.settings = new
        try:
            if self.mode == "orders":
                self._run_orders(new)
            else:
                self._run_walk(new)
        except Exception as e:          # noqa: BLE001 - a message in the explorer, never a traceback
            msg = f"cannot show this walk: {type(e).__name__}: {e}"
            self.walk, self.order_walks, self.trace = model.Walk(new, error=msg), {}, None
            self._frame_steps = None
            self.renderer.clear(_wrap(msg, 60))
        self._sync_controls()
        self.kernel_check.update(self.walk, self.mode, self._user_program)
        n = len(self._frame_steps) if self._frame_steps else self.renderer.length
        with self._hold():
            self.w_play.playing = False
            self.w_playing.value = False
            self.w_slider.max = max(0, n - 1)
            self.w_play.max = max(0, n - 1)
            self.w_slider.value = 0
            self.w_play.value = 0
        self._request(0)

    def _run_walk(self, s: model.Settings) -> None:
        self._frame_steps = None
        w = model.walk(s, self._user_program)
        self.walk, self.order_walks = w, {}
        self.trace = w.trace
        with self.renderer.lock:
            if w.trace is not None and len(w.trace):
                self.renderer.show_walk(w.trace)
            else:
                self.renderer.clear(_wrap(w.error or "nothing to show", 60))

    def _run_orders(self, s: model.Settings) -> None:
        self._frame_steps = None
        walks: dict[int, model.Walk] = {}
        h = None
        self._orders_note = ""
        from cgiter_edu import KernelConfig

        try:
            children = KernelConfig.preset(s.kernel).has_children_order
        except ValueError:
            children = True                    # the walk says what is wrong with the kernel
        for label, o in model.ORDERS.items():
            if o == int(Order.CHILDREN) and not children:
                self._orders_note = (f"Linux {s.kernel} has these four orders; CHILDREN "
                                     f"came in 7.0 (choose 7.0 to see it)")
                continue
            start = s.start
            if o == int(Order.ANCESTORS_UP):
                start = self._deepest(s)
            w = model.walk(s.with_(order=o, start=start), self._user_program)
            walks[o] = w
            if w.hierarchy is not None:
                h = w.hierarchy
            del label
        self.order_walks = walks
        self.walk = walks.get(s.order)
        self.trace = None
        traces = {o: w.trace for o, w in walks.items() if w.trace is not None and len(w.trace)}
        rejected = {o: w.error for o, w in walks.items() if w.trace is None}
        with self.renderer.lock:
            if traces and h is not None:
                self.renderer.show_orders(traces, h, s.start, rejected)
                # a step that changes no panel is no frame: the player would seem to stall
                self._frame_steps = self.renderer.distinct_steps(FRAME_STEPS_MAX)
            else:
                first = next(iter(rejected.values()), "nothing to show")
                self.renderer.clear(_wrap(first, 60))

    def _deepest(self, s: model.Settings) -> str:
        """ANCESTORS_UP in the all-orders mode climbs from the deepest cgroup under the
        start (the longest climb), as :func:`cgiter_edu.viz.order_traces` does."""
        try:
            h = model.build(s)
        except (OSError, KeyError, ValueError, model.TreeError):
            return s.start
        base = s.start.rstrip("/")
        under = [c for c in h.cgroups() if not c.dead and
                 (c.path == s.start or c.path.startswith(base + "/"))]
        if not under:
            return s.start
        return max(under, key=lambda c: c.level).path

    # -- the player ---------------------------------------------------------------------
    @property
    def step(self) -> int:
        """The step shown (the slider's value)."""
        return int(self.w_slider.value)

    @step.setter
    def step(self, value: int) -> None:
        v = max(0, min(int(value), self.w_slider.max))
        # the Play is jslinked to the slider in the browser, Play first: a page that
        # opens the explorer copies the Play's value onto the slider, so both move here
        # (else Explorer(step="cut") opens at step 0 in Voila and JupyterLab)
        self.w_play.value = v
        self.w_slider.value = v
        self.flush()

    def _move(self, d: int) -> None:
        self.step = self.step + d

    def jump(self, where: str) -> None:
        """Move the player to a named step.

        Parameters
        ----------
        where : {"start", "next_read", "cut", "end"}
            The first step, the next read() call, where the walk is cut (its end when
            it was not) or the last step.

        Examples
        --------
        >>> ex = Explorer(tree="small", record_bytes=3000)
        >>> ex.jump("cut"); ex.frame.level
        'cut'
        """
        t = self.trace if self.trace is not None else self._longest()
        if t is None or not len(t):
            return
        if where == "start":
            s = 0
        elif where == "next_read":
            s = story.next_read_step(t, self.step)
        elif where == "cut":
            c = story.cut_step(t)
            s = c if c is not None else (story.end_step(t) or story.final_step(t))
        elif where == "end":
            s = story.final_step(t)
        else:
            raise ValueError(f"jump to 'start', 'next_read', 'cut' or 'end', not {where!r}")
        if self._frame_steps:                       # all orders: the frame showing step s
            s = max(0, bisect.bisect_right(self._frame_steps, s) - 1)
        self.step = s

    def _longest(self) -> Trace | None:
        ts = [w.trace for w in self.order_walks.values() if w.trace is not None]
        return max(ts, key=len) if ts else None

    def _on_step(self, change: dict) -> None:
        if self._quiet:
            return
        self._request(int(change["new"]))

    def _request(self, step: int) -> None:
        if not self._background:
            self._draw(step)
            return
        with self._cv:
            self._want = step
            self._cv.notify()

    def _worker(self) -> None:
        while True:
            with self._cv:
                while self._want is None:
                    self._cv.wait()
                step, self._want = self._want, None
                self._busy = True
            try:
                self._draw(step)
            except Exception as e:         # never let the thread die: say it
                self._say_error(f"internal error while drawing step {step}: "
                                f"{type(e).__name__}: {e}")
            finally:
                with self._cv:
                    self._busy = False
                    self._cv.notify_all()

    def flush(self, timeout: float = 30.0) -> None:
        """Wait until the newest frame asked for is drawn (a no-op without a thread).

        Parameters
        ----------
        timeout : float, default 30.0
            Seconds to wait at most.

        Examples
        --------
        >>> ex = Explorer(tree="small", record_bytes=64, background=True)
        >>> ex.jump("end"); ex.flush(); ex.frame.level
        'end'
        """
        if not self._background:
            return
        end = time.monotonic() + timeout
        with self._cv:
            while (self._want is not None or self._busy) and time.monotonic() < end:
                self._cv.wait(0.05)

    # -- one frame ------------------------------------------------------------------------
    def _draw(self, step: int) -> None:
        t0 = time.perf_counter()
        with self.renderer.lock:
            if self._frame_steps:                  # all orders: the slider counts frames
                step = self._frame_steps[max(0, min(step, len(self._frame_steps) - 1))]
            n = self.renderer.length
            step = max(0, min(step, n - 1)) if n else 0
            png = self.renderer.render(step)
        t1 = time.perf_counter()
        f = self._describe(step)
        f.png = png
        self._frame = f
        self.frames_drawn += 1
        self.w_image.value = png
        self._show_texts(f)
        self.w_status.value = f"step={step} render_ms={1e3 * (t1 - t0):.0f}"

    def _describe(self, step: int) -> Frame:
        f = Frame(step)
        w = self.walk
        if self.mode == "orders":
            rejected = [w_.error for w_ in self.order_walks.values() if w_.error]
            f.error = "; ".join(dict.fromkeys(rejected))
            if getattr(self, "_orders_note", ""):
                f.notes = [self._orders_note]
            t = self._longest()
            if t is not None:
                f.caption = (f"step {step}: all orders at once; each panel is one order's "
                             f"walk at this step (or its end)")
                lines = []
                for o, w_ in self.order_walks.items():
                    if w_.trace is None or not len(w_.trace):
                        continue
                    c = story.caption(w_.trace, min(step, len(w_.trace) - 1))
                    lines.append(f"{Order(o).name}: {c.text.partition(': ')[2]}")
                f.why = "\n".join(lines)
                f.level = "orders"
            return f
        if w is None:
            return f
        f.error, f.notes = w.error, list(w.notes)
        t = w.trace
        if t is None or not len(t):
            return f
        step = max(0, min(step, len(t) - 1))
        c = story.caption(t, step)
        f.caption, f.why, f.level = c.text, c.why, c.level
        f.mutex = story.mutex_line(t, step)
        f.states = {cid: s.value for cid, s in t.states(step).items()}
        from cgiter_edu.viz import buffer_state

        b = buffer_state(t, step)
        f.buffer = {"count": b.count, "copied": b.copied, "ghost": b.ghost,
                    "records": sum(1 for *_x, cid in b.segments if cid is not None),
                    "size": t.buffer_size}
        f.reads = [story.result_text(e.result) for e in b.reads]
        e = t[step]
        f.source = (getattr(e, "func", None) or None, getattr(e, "line", None) or None)
        return f

    @property
    def frame(self) -> Frame:
        """What is shown now (after :meth:`flush`)."""
        self.flush()
        return self._frame


def _in_kernel() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    ip = get_ipython()
    return ip is not None and getattr(ip, "kernel", None) is not None


def _wrap(text: str, width: int) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width)) or text
