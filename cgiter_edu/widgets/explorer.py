"""The explorer: every control of ``cgiter-edu walk`` as a widget, a player over the
emulator's trace, and at each step the tree, the buffer, the mutex, the read() calls,
a caption and the kernel function that is running.

Only core ipywidgets (no custom front-end code, no ipympl): the picture is ONE reused
Agg figure (:class:`~cgiter_edu.widgets.frame.FrameRenderer`) sent as PNG bytes to an
``Image`` widget; ``Play`` is jslinked to the step slider in the browser.  Inside a
Jupyter kernel frames are drawn by a background thread that always draws the newest
step asked for, so a slow kernel drops frames instead of queueing them.

Everything shown replays the trace of :func:`cgiter_edu.widgets.model.walk` (the
emulator's run); bad input becomes a message in the explorer, never a traceback.

Example::

    >>> from cgiter_edu.widgets import Explorer
    >>> ex = Explorer(tree="small", order="post", record_bytes=3000)
    >>> ex.jump("cut"); ex.frame.level
    'cut'
    >>> ex.set(order="pre", record_bytes=64); ex.frame.error
    ''
"""

from __future__ import annotations

import html
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import ipywidgets as W

from cgiter_edu.hierarchy import Hierarchy
from cgiter_edu.kernel.cgroup_iter import Order
from cgiter_edu.kernel.config import MAX_ITER_OBJECTS, PAGE_SIZES
from cgiter_edu.trace import Trace

from . import model, story
from .frame import FrameRenderer
from .source import source_html, source_of

__all__ = ["Explorer", "Frame"]

SPEEDS = {"slow (1 step/s)": 1000, "normal (3/s)": 333, "fast (6/s)": 166, "fastest (10/s)": 100}
NONE = "(none)"


@dataclass
class Frame:
    """What the explorer shows at one step (read back by tests and the course).

    ``states``: cgroup id -> state value (the tree's colours); ``buffer``: bytes in the
    buffer (``count``), ``copied`` out, ``ghost`` (the rolled-back record's ``(a, b)``);
    ``reads``: the read() results so far; ``source``: ``(func, line)`` lit in the source
    panel; ``png``: the picture."""

    step: int
    caption: str = ""
    why: str = ""
    level: str = "info"
    error: str = ""
    notes: list[str] = field(default_factory=list)
    states: dict[int, str] = field(default_factory=dict)
    buffer: dict[str, Any] = field(default_factory=dict)
    reads: list[str] = field(default_factory=list)
    source: tuple[str | None, int | None] = (None, None)
    png: bytes = b""


class Explorer(W.VBox):
    """The cgroup_iter explorer, a widget you ``display()`` (or leave last in a cell).

    Every argument sets a control: ``tree`` (a shape name of
    :data:`~cgiter_edu.widgets.model.TREES`, ``"sysfs"``, a :class:`Hierarchy` or a
    JSON file saved by ``Hierarchy.to_json``), ``order`` (an :class:`Order`, its value
    or a name like ``"post"``), ``start`` (a path), ``program`` (``"record"``,
    ``"ids"``, ``"paths"``, ``"silent"`` or your own ``prog(ctx) -> int``),
    ``record_bytes``, ``page_size``, ``read_size``, ``kernel`` (``"6.1"``, ``"6.18"``,
    ``"7.0"``), ``stop_at`` (a path), ``writer`` (a path another thread mkdirs during
    the read), ``step`` (the step shown first; ``"cut"`` or ``"end"`` jump there),
    ``mode`` (``"walk"`` or ``"orders"``: the five orders side by side).
    ``settings``: a :class:`~cgiter_edu.widgets.model.Settings` with every control at
    once (it wins over the single arguments).
    ``background``: draw frames in a thread (default: inside a Jupyter kernel only).

    :meth:`set` changes controls from Python, :meth:`jump` moves the player,
    :attr:`frame` says what is shown.
    """

    def __init__(self, tree: str | Hierarchy | os.PathLike = "systemd",
                 order: Order | int | str = Order.DESCENDANTS_PRE, *, start: str = "/",
                 program: str | Callable[[Any], int] = "record", record_bytes: int = 3000,
                 page_size: int = 4096, read_size: int = 131072, kernel: str = "7.0",
                 stop_at: str | None = None, writer: str | None = None,
                 step: int | str | None = None, mode: str = "walk",
                 settings: model.Settings | None = None,
                 background: bool | None = None) -> None:
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
        order_v = int(Order.parse(order)) if isinstance(order, str) else int(order)
        self.settings = model.Settings(
            tree=tree_name, tree_json=self._hier_json, order=order_v, start=start,
            program="custom" if callable(program) else str(program),
            record_bytes=record_bytes, page_size=page_size, read_size=read_size,
            kernel=kernel, stop_at=stop_at, writer=writer)
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
        self._timing: dict[str, float] = {}
        if background is None:
            background = _in_kernel()
        self._background = background
        self._cv = threading.Condition()
        self._want: int | None = None
        self._busy = False
        #: frames drawn so far (a slider that moves faster than frames draw skips some)
        self.frames_drawn = 0
        self._build_widgets()
        super().__init__([self._top, self._body])
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
    def from_settings(cls, settings: model.Settings, *, mode: str = "walk",
                      program: Callable[[Any], int] | None = None,
                      background: bool | None = None) -> Explorer:
        """An explorer showing exactly ``settings`` (e.g. another explorer's
        ``settings``: the two then show the same frames)."""
        return cls(settings=settings, mode=mode, background=background,
                   program=program if program is not None else settings.program)

    # -- widgets ------------------------------------------------------------------------
    def _build_widgets(self) -> None:
        s = self.settings
        lay = W.Layout(width="300px")
        short = {"description_width": "95px"}
        tree_opts = list(model.TREES.items())
        if not model.sysfs_readable():
            tree_opts.append(("this machine (sysfs)", "sysfs"))
        if self._hier_json is not None:
            tree_opts.append(("your hierarchy", "json"))
        self.w_tree = W.Dropdown(options=tree_opts, value=s.tree if s.tree in
                                 dict(tree_opts).values() else "systemd",
                                 description="tree", layout=lay, style=short)
        self.w_upload = W.FileUpload(accept=".json", multiple=False,
                                     description="upload JSON tree", layout=W.Layout(width="300px"))
        self.w_order = W.Dropdown(options=list(model.ORDERS.items()), value=s.order,
                                  description="order", layout=lay, style=short)
        self.w_start = W.Combobox(value=s.start, options=[], description="start",
                                  ensure_option=False, continuous_update=False, layout=lay,
                                  style=short, placeholder="a path, e.g. /system.slice")
        progs = list(model.PROGRAMS.items())
        if self._user_program is not None:
            name = getattr(self._user_program, "__name__", "yours")
            progs.insert(0, (f"yours: {name}()", "custom"))
        self.w_program = W.Dropdown(options=progs, value=s.program, description="program",
                                    layout=lay, style=short)
        self.w_record = W.IntText(value=s.record_bytes, description="record bytes",
                                  continuous_update=False, layout=lay, style=short)
        self.w_page = W.Dropdown(options=[(f"{p} B", p) for p in PAGE_SIZES], value=s.page_size,
                                 description="PAGE_SIZE", layout=lay, style=short)
        self.w_read = W.IntText(value=s.read_size, description="read() size",
                                continuous_update=False, layout=lay, style=short)
        self.w_kernel = W.ToggleButtons(options=list(model.KERNELS), value=s.kernel,
                                        description="Linux", style={"button_width": "60px",
                                                                    **short})
        self.w_stop = W.Dropdown(options=[NONE], value=NONE, description="stop at",
                                 layout=lay, style=short)
        self.w_dead_path = W.Dropdown(options=[], description="cgroup", layout=lay, style=short)
        self.w_kill = W.Button(description="make dead", tooltip="open + rmdir: a dead cgroup "
                               "the hierarchy still references", layout=W.Layout(width="145px"))
        self.w_release = W.Button(description="release", tooltip="drop the reference: the "
                                  "dead cgroup leaves its parent's list",
                                  layout=W.Layout(width="145px"))
        self.w_writer_on = W.Checkbox(value=bool(s.writer), description="a writer mkdirs during "
                                      "the read", indent=False, layout=lay)
        self.w_writer = W.Text(value=s.writer or "/new.slice", description="mkdir",
                               continuous_update=False, layout=lay, style=short)
        self.w_big_path = W.Dropdown(options=[NONE], value=NONE, description="big record at",
                                     layout=lay, style=short)
        self.w_big_pages = W.BoundedIntText(value=8, min=0, max=64, description="extra pages",
                                            layout=lay, style=short)
        self.w_max_objs = W.IntText(value=MAX_ITER_OBJECTS, description="max objects",
                                    continuous_update=False, layout=lay, style=short)
        self.w_mode = W.ToggleButtons(options=[("one walk", "walk"), ("all orders", "orders")],
                                      value=self.mode, style={"button_width": "100px"})
        self.w_mode.add_class("explorer-mode")
        for w, cls in ((self.w_tree, "tree"), (self.w_order, "order"), (self.w_start, "start"),
                       (self.w_program, "program"), (self.w_record, "record"),
                       (self.w_read, "read-size"), (self.w_kernel, "kernel")):
            w.add_class(f"explorer-{cls}")

        # playback
        self.w_play = W.Play(value=0, min=0, max=0, interval=333, description="play",
                             show_repeat=False)
        self.w_slider = W.IntSlider(value=0, min=0, max=0, description="step",
                                    continuous_update=True, layout=W.Layout(width="420px"))
        self.w_slider.add_class("explorer-slider")
        W.jslink((self.w_play, "value"), (self.w_slider, "value"))
        W.jslink((self.w_play, "max"), (self.w_slider, "max"))
        self.w_speed = W.Dropdown(options=list(SPEEDS.items()), value=333, description="speed",
                                  layout=W.Layout(width="210px"), style={"description_width": "45px"})
        self.w_speed.observe(lambda c: setattr(self.w_play, "interval", int(c["new"])),
                             names="value")
        bl = W.Layout(width="auto")
        self.w_back = W.Button(description="◀ step", layout=bl)
        self.w_fwd = W.Button(description="step ▶", layout=bl)
        self.w_first = W.Button(description="|◀ start", layout=bl)
        self.w_next_read = W.Button(description="next read()", layout=bl)
        self.w_cut = W.Button(description="⚠ truncation", layout=bl,
                              tooltip="the step where the walk is cut")
        self.w_end = W.Button(description="end ▶|", layout=bl)
        for b, cls in ((self.w_back, "back"), (self.w_fwd, "fwd"), (self.w_first, "first"),
                       (self.w_next_read, "next-read"), (self.w_cut, "cut"), (self.w_end, "end")):
            b.add_class(f"explorer-{cls}")

        # panels
        self.w_image = W.Image(format="png", layout=W.Layout(width="820px"))
        self.w_image.add_class("explorer-img")
        self.w_caption = W.HTML(layout=W.Layout(width="820px", min_height="190px"))
        self.w_caption.add_class("explorer-caption")
        self.w_error = W.HTML(layout=W.Layout(width="820px"))
        self.w_error.add_class("explorer-error")
        # explicit heights: an HTML widget's box does not grow with its content
        self.w_reads = W.HTML(layout=W.Layout(width="300px", height="420px"))
        self.w_reads.add_class("explorer-reads")
        self.w_source = W.HTML(layout=W.Layout(width="510px", height="420px"))
        self.w_source.add_class("explorer-source")
        self.w_status = W.Label(value="")
        self.w_status.add_class("explorer-status")

        # wiring
        for w in (self.w_tree, self.w_order, self.w_start, self.w_program, self.w_record,
                  self.w_page, self.w_read, self.w_kernel, self.w_stop, self.w_writer_on,
                  self.w_writer, self.w_big_path, self.w_big_pages, self.w_max_objs):
            w.observe(self._on_control, names="value")
        self.w_mode.observe(self._on_mode, names="value")
        self.w_upload.observe(self._on_upload, names="value")
        self.w_kill.on_click(lambda _b: self._change("kill"))
        self.w_release.on_click(lambda _b: self._change("release"))
        self.w_slider.observe(self._on_step, names="value")
        self.w_back.on_click(lambda _b: self._move(-1))
        self.w_fwd.on_click(lambda _b: self._move(+1))
        self.w_first.on_click(lambda _b: self.jump("start"))
        self.w_next_read.on_click(lambda _b: self.jump("next_read"))
        self.w_cut.on_click(lambda _b: self.jump("cut"))
        self.w_end.on_click(lambda _b: self.jump("end"))

        def box(title: str, *kids: W.Widget) -> W.VBox:
            return W.VBox([W.HTML(f"<b>{title}</b>"), *kids])

        controls = W.VBox([
            self.w_mode,
            box("the walk", self.w_tree, self.w_upload, self.w_order, self.w_start,
                self.w_program, self.w_record, self.w_stop),
            box("the kernel", self.w_kernel, self.w_page, self.w_read, self.w_max_objs),
            box("dead cgroups", self.w_dead_path, W.HBox([self.w_kill, self.w_release])),
            box("cgroup_mutex", self.w_writer_on, self.w_writer),
            box("a big record (E2BIG, rollback)", self.w_big_path, self.w_big_pages),
        ], layout=W.Layout(width="310px"))
        controls.add_class("explorer-controls")
        player = W.VBox([
            W.HBox([self.w_play, self.w_slider, self.w_speed]),
            W.HBox([self.w_first, self.w_back, self.w_fwd, self.w_next_read, self.w_cut,
                    self.w_end, self.w_status]),
        ])
        player.add_class("explorer-player")
        view = W.VBox([player, self.w_error, self.w_image, self.w_caption,
                       W.HBox([self.w_reads, self.w_source])])
        self._top = W.HTML("<h3 style='margin:4px 0'>cgroup_iter explorer: how the BPF cgroup "
                           "iterator walks the hierarchy</h3>")
        self._body = W.HBox([controls, view])

    # -- settings -----------------------------------------------------------------------
    def set(self, **kw: Any) -> None:
        """Change controls from Python, by :class:`~cgiter_edu.widgets.model.Settings`
        field name (``order`` also takes ``"post"``...); then redraw once."""
        if "order" in kw and isinstance(kw["order"], str):
            kw["order"] = int(Order.parse(kw["order"]))
        if "program" in kw and callable(kw["program"]):
            self._user_program = kw["program"]
            kw["program"] = "custom"
        if "changes" in kw:
            kw["changes"] = tuple(tuple(c) for c in kw["changes"])
        new = self.settings.with_(**kw)
        self._apply(new)
        self.flush()

    def _read_controls(self) -> model.Settings:
        s = self.settings
        big = None
        if self.w_big_path.value not in (NONE, None) and self.w_big_pages.value:
            big = (self.w_big_path.value, int(self.w_big_pages.value))
        return s.with_(
            tree=self.w_tree.value, order=int(self.w_order.value),
            start=(self.w_start.value or "/").strip() or "/",
            program=self.w_program.value, record_bytes=int(self.w_record.value),
            page_size=int(self.w_page.value), read_size=int(self.w_read.value),
            kernel=self.w_kernel.value,
            stop_at=None if self.w_stop.value in (NONE, None) else self.w_stop.value,
            writer=(self.w_writer.value.strip() or None) if self.w_writer_on.value else None,
            big=big, max_iter_objects=int(self.w_max_objs.value),
            tree_json=self._hier_json if self.w_tree.value == "json" else None)

    def _on_control(self, change: dict) -> None:
        if self._quiet:
            return
        new = self._read_controls()
        if new.tree != self.settings.tree or new.tree_json != self.settings.tree_json:
            new = new.with_(start="/", stop_at=None, changes=(), big=None)
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
        """Use a hierarchy saved as JSON (what the upload button does); a broken one is
        refused with a message and the explorer keeps its tree."""
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
        t0 = time.perf_counter()
        self.settings = new
        try:
            if self.mode == "orders":
                self._run_orders(new)
            else:
                self._run_walk(new)
        except Exception as e:          # noqa: BLE001 - a message in the explorer, never a traceback
            msg = f"cannot show this walk: {type(e).__name__}: {e}"
            self.walk, self.order_walks, self.trace = model.Walk(new, error=msg), {}, None
            self.renderer.clear(_wrap(msg, 60))
        self._sync_controls()
        self._timing["apply"] = time.perf_counter() - t0
        n = self.renderer.length
        with self._hold():
            self.w_play.playing = False
            self.w_slider.max = max(0, n - 1)
            self.w_play.max = max(0, n - 1)
            self.w_slider.value = 0
            self.w_play.value = 0
        self._request(0)

    def _run_walk(self, s: model.Settings) -> None:
        w = model.walk(s, self._user_program)
        self.walk, self.order_walks = w, {}
        self.trace = w.trace
        with self.renderer.lock:
            if w.trace is not None and len(w.trace):
                self.renderer.show_walk(w.trace)
            else:
                self.renderer.clear(_wrap(w.error or "nothing to show", 60))

    def _run_orders(self, s: model.Settings) -> None:
        walks: dict[int, model.Walk] = {}
        h = None
        for label, o in model.ORDERS.items():
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

    def _sync_controls(self) -> None:
        """Controls show the settings (paths of the current tree in the path pickers)."""
        s = self.settings
        w = self.walk
        h = w.hierarchy if w is not None else None
        with self._hold():
            if h is not None:
                cgs = h.cgroups()
                paths = [c.path for c in cgs]          # model.paths(h)
                live = [c.path for c in cgs if not c.dead]
                if (paths, live) != self._synced_paths:   # same tree: options unchanged
                    self._synced_paths = (paths, live)
                    self.w_start.options = live
                    self.w_stop.options = [NONE, *live]
                    self.w_big_path.options = [NONE, *live]
                    cur = self.w_dead_path.value
                    self.w_dead_path.options = paths
                    self.w_dead_path.value = cur if cur in paths else (paths[-1] if paths
                                                                       else None)
                elif self.w_dead_path.value not in paths:
                    self.w_dead_path.value = paths[-1] if paths else None
            self.w_tree.value = s.tree if s.tree in [v for _, v in self.w_tree.options] \
                else self.w_tree.value
            self.w_order.value = s.order if s.order in model.ORDERS.values() \
                else self.w_order.value
            self.w_start.value = s.start
            self.w_program.value = s.program if s.program in [v for _, v in
                                                              self.w_program.options] \
                else self.w_program.value
            self.w_record.value = s.record_bytes
            self.w_page.value = s.page_size
            self.w_read.value = s.read_size
            self.w_kernel.value = s.kernel
            if s.stop_at in self.w_stop.options:
                self.w_stop.value = s.stop_at
            elif s.stop_at is None:
                self.w_stop.value = NONE
            self.w_writer_on.value = bool(s.writer)
            if s.writer:
                self.w_writer.value = s.writer
            if s.big and s.big[0] in self.w_big_path.options:
                self.w_big_path.value = s.big[0]
                self.w_big_pages.value = s.big[1]
            elif s.big is None:
                self.w_big_path.value = NONE
            self.w_max_objs.value = s.max_iter_objects
            self.w_mode.value = self.mode
            self.w_record.disabled = s.program != "record"

    def _hold(self) -> Any:
        explorer = self

        class _Hold:
            def __enter__(self) -> None:
                explorer._quiet += 1

            def __exit__(self, *a: object) -> None:
                explorer._quiet -= 1
        return _Hold()

    # -- the player ---------------------------------------------------------------------
    @property
    def step(self) -> int:
        """The step shown (the slider's value)."""
        return int(self.w_slider.value)

    @step.setter
    def step(self, value: int) -> None:
        self.w_slider.value = max(0, min(int(value), self.w_slider.max))
        self.flush()

    def _move(self, d: int) -> None:
        self.step = self.step + d

    def jump(self, where: str) -> None:
        """Move to ``"start"``, ``"next_read"`` (the next read() call), ``"cut"`` (where
        the walk is cut, or its end when it was not) or ``"end"``."""
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
        """Wait until the newest frame asked for is drawn (a no-op without a thread)."""
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
        self._timing["render"] = t1 - t0
        self._timing["frame"] = time.perf_counter() - t0
        self.w_status.value = f"step={step} render_ms={1e3 * (t1 - t0):.0f}"

    def _describe(self, step: int) -> Frame:
        f = Frame(step)
        w = self.walk
        if self.mode == "orders":
            rejected = [w_.error for w_ in self.order_walks.values() if w_.error]
            f.error = "; ".join(dict.fromkeys(rejected))
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

    def _show_texts(self, f: Frame) -> None:
        err = ""
        if f.error:
            err = (f"<div class='cg-error' style='background:#FDE2E1;border-left:6px solid "
                   f"#D55E00;padding:6px;font-size:15px'><b>⚠ {html.escape(f.error)}</b></div>")
        if f.notes:
            err += "".join(f"<div class='cg-note' style='background:#FFF6D6;padding:4px;"
                           f"font-size:14px'>{html.escape(n)}</div>" for n in f.notes)
        self.w_error.value = err
        cap = f"<div class='cg-caption-text' style='font-size:18px;padding:4px 0'>" \
              f"{html.escape(f.caption)}</div>"
        if f.why and f.level == "orders":
            cap += ("<div class='cg-why cg-why-orders' style='font-size:14px;"
                    "font-family:monospace;white-space:pre-wrap'>" + html.escape(f.why)
                    + "</div>")
        elif f.why:
            color = "#D55E00" if f.level == "cut" else "#009E73"
            cap += (f"<div class='cg-why cg-why-{f.level}' style='font-size:16px;"
                    f"border:3px solid {color};padding:6px;background:"
                    f"{'#FDE2E1' if f.level == 'cut' else '#E3F5EE'}'>{html.escape(f.why)}</div>")
        if f.buffer:
            b = f.buffer
            ghost = (f"; rolled back: {b['ghost'][1] - b['ghost'][0]} B at {b['ghost'][0]}"
                     if b["ghost"] else "")
            cap += (f"<div class='cg-buffer' style='font-size:14px'>buffer: {b['records']} "
                    f"records, count {b['count']} of {b['size']} B (at most {b['size'] - 1} "
                    f"usable), {b['copied']} B copied to user space{ghost}</div>")
        self.w_caption.value = cap
        rows = "".join(
            f"<tr><td>#{i + 1}</td><td style='color:{'#B00000' if r[:1] == 'E' else 'black'}'>"
            f"{html.escape(r)}</td></tr>" for i, r in enumerate(f.reads[-12:]))
        more = f"<div>... {len(f.reads) - 12} earlier</div>" if len(f.reads) > 12 else ""
        self.w_reads.value = (f"<div class='cg-reads'><b>read() calls so far</b>{more}"
                              f"<table>{rows or '<tr><td>(none returned yet)</td></tr>'}"
                              f"</table></div>")
        if self.mode == "orders":
            self.w_source.value = ""
        else:
            src = source_of(*f.source)
            self.w_source.value = source_html(src, self.settings.kernel)

    def _say_error(self, msg: str) -> None:
        self._frame.error = msg
        self.w_error.value = (f"<div class='cg-error' style='background:#FDE2E1;border-left:6px "
                              f"solid #D55E00;padding:6px;font-size:15px'><b>⚠ "
                              f"{html.escape(msg)}</b></div>")

    @property
    def frame(self) -> Frame:
        """What is shown now (after :meth:`flush`)."""
        self.flush()
        return self._frame

    @property
    def timing(self) -> dict[str, float]:
        """Seconds the last control change (``apply``) and frame (``render``, ``frame``) took."""
        return dict(self._timing)


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
