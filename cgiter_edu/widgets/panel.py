"""The explorer's panel: its widgets, how they are laid out and wired, and how the
controls are read into settings, set back from them, and how a frame's texts are shown.

:class:`ExplorerPanel` is the half of :class:`~cgiter_edu.widgets.explorer.Explorer`
that knows the widgets (the controls, the player's buttons, the picture and the text
panels); the other half (:mod:`cgiter_edu.widgets.explorer`) runs the emulator, plays
the trace and describes each step as a :class:`~cgiter_edu.widgets.story.Frame`.
Only core ipywidgets.

Example::

    >>> from cgiter_edu.widgets import Explorer
    >>> ex = Explorer(tree="small", order="post")
    >>> isinstance(ex, ExplorerPanel), ex.w_order.value == int(ex.settings.order)
    (True, True)
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

import ipywidgets as W

from cgiter_edu.kernel.config import MAX_ITER_OBJECTS, PAGE_SIZES

from . import model
from .source import source_html, source_of

if TYPE_CHECKING:
    from .story import Frame

__all__ = ["ExplorerPanel"]

#: the explorer's style sheet, served by the explorer itself (an HTML widget holding a
#: <style>): the same in Voila, JupyterLab and Notebook 7, nothing fetched.  Laid out
#: for a 1280x720 projector first: the player on one line, the picture taking the width
#: left by the story beside it (and by the kernel source, when the window is wide
#: enough: it wraps below otherwise); every control with a visible focus ring.
STYLE = """<style>
.cg-explorer { font-size: 15px; }
.cg-explorer .cg-title { font-weight: bold; font-size: 16px; margin: 0 0 2px 0; }
.cg-explorer .explorer-player { gap: 4px 6px; margin-bottom: 4px; }
.cg-explorer .explorer-player .widget-slider .widget-readout { min-width: 3em; }
.cg-explorer .explorer-stage { gap: 8px; }
.cg-explorer .explorer-picture { flex: 1 1 560px; min-width: 0; }
.cg-explorer .explorer-img { width: 100%; height: auto; max-height: calc(100vh - 110px);
  object-fit: contain; object-position: left top; }
.cg-explorer .explorer-side { flex: 0 1 400px; min-width: 300px; }
.cg-explorer .explorer-source { flex: 0 0 560px; }
.cg-explorer .explorer-source .cg-src-code { font-size: 14px !important; }
.cg-explorer .explorer-box { margin: 4px 12px 4px 0; }
/* step and render time, for tests and scripts that wait on a frame: in the page, not on
   the projector (it read 'step=0 render_ms=37' under the player) */
.cg-explorer .explorer-status { position: absolute !important; width: 1px; height: 1px;
  overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
.cg-explorer .explorer-kernel-check { max-width: 100%; }
.cg-explorer .cg-kernel-check { line-height: 1.4; overflow-wrap: anywhere; }
.cg-explorer button:focus-visible, .cg-explorer select:focus-visible,
.cg-explorer input:focus-visible, .cg-explorer textarea:focus-visible,
.cg-explorer [tabindex]:focus-visible, .cg-explorer .noUi-handle:focus,
.cg-explorer [contenteditable]:focus {
  outline: 3px solid #0B5FFF !important; outline-offset: 2px; box-shadow: 0 0 0 5px #FFD23F; }
.cg-explorer.cg-present { font-size: 20px; }
.cg-explorer.cg-present .explorer-title, .cg-explorer.cg-present .explorer-below,
.cg-explorer.cg-present .explorer-source,
.cg-explorer.cg-present .explorer-status, .cg-explorer.cg-present .cg-buffer { display: none !important; }
/* presenter mode at 1280x720: the story beside the picture, not under it.  Under it, a
   16:9 picture wide enough for its 14 px texts (PROJECTOR_WIDTH) left too little height
   for the 5 lines of the cut's explanation: the red box was below the window */
.cg-explorer.cg-present .explorer-stage { flex-wrap: nowrap !important; }
.cg-explorer.cg-present .explorer-picture { flex: 1 1 auto; }
.cg-explorer.cg-present .explorer-side { flex: 0 0 clamp(330px, 28vw, 560px); min-width: 0; }
.cg-explorer.cg-present .cg-caption-text { font-size: 24px !important; line-height: 1.25; }
.cg-explorer.cg-present .cg-mutex { font-size: 20px !important; }
.cg-explorer.cg-present .cg-why:not(.cg-why-orders) { font-size: 20px !important; line-height: 1.25; }
/* a narrow window: the story under the picture (beside it, the picture would be drawn
   narrower than PROJECTOR_WIDTH) */
@media (max-width: 1199px) {
  .cg-explorer.cg-present .explorer-stage { flex-wrap: wrap !important; }
  .cg-explorer.cg-present .explorer-side { flex: 0 0 100%; }
  .cg-explorer.cg-present .explorer-img { max-height: calc(100vh - 190px); } }
</style>"""
SPEEDS = {"slow (1 step/s)": 1000, "normal (3/s)": 333, "fast (6/s)": 166, "fastest (10/s)": 100}
NONE = "(none)"
#: the controls' width, and their labels' (``style=SHORT``)
CONTROL_WIDTH = "300px"
SHORT = {"description_width": "95px"}


def _box(title: str, *kids: W.Widget) -> W.VBox:
    """One titled box of controls (the walk, the kernel, dead cgroups...)."""
    b = W.VBox([W.HTML(f"<b>{title}</b>"), *kids])
    b.add_class("explorer-box")
    return b


class ExplorerPanel:
    """The explorer's widgets (mixed into :class:`~cgiter_edu.widgets.explorer.Explorer`,
    which supplies the settings, the walk and the handlers the widgets call)."""

    settings: model.Settings
    walk: model.Walk | None
    mode: str
    _hier_json: str | None
    _user_program: Any
    _quiet: int
    _synced_paths: tuple[list[str], list[str]] | None
    _frame: Frame

    # -- the widgets ----------------------------------------------------------------------
    def _build_widgets(self) -> None:
        """Make every widget, wire it to its handler, and lay the explorer out in
        :attr:`_parts` (top to bottom; DOM order = Tab order)."""
        controls = W.HBox([self._build_walk_controls(), self._build_kernel_controls(),
                           self._build_dead_controls(), self._build_mutex_controls(),
                           self._build_big_record_controls()],
                          layout=W.Layout(flex_flow="row wrap", width="100%"))
        controls.add_class("explorer-controls")
        for w in (self.w_tree, self.w_order, self.w_start, self.w_program, self.w_record,
                  self.w_page, self.w_read, self.w_kernel, self.w_stop, self.w_writer_on,
                  self.w_writer, self.w_big_path, self.w_big_pages, self.w_max_objs,
                  self.w_extra):
            w.observe(self._on_control, names="value")
        player = self._build_player()
        stage = self._build_stage()
        below = W.HBox([controls, self.w_reads],
                       layout=W.Layout(flex_flow="row wrap", width="100%"))
        below.add_class("explorer-below")
        self._style = W.HTML(STYLE, layout=W.Layout(display="none"))
        self._style.add_class("explorer-style")
        self._top = W.HTML("<div class='cg-title'>cgroup_iter explorer: how the BPF cgroup "
                           "iterator walks the hierarchy</div>")
        self._top.add_class("explorer-title")
        #: the explorer's children, top to bottom (add a panel by inserting it here); the
        #: player first, then what it shows, then the controls
        self._parts = [self._style, self._top, player, stage, below]

    def _build_walk_controls(self) -> W.VBox:
        """The box "the walk": tree (and a JSON upload), order, start, program, record
        bytes, stop at."""
        s = self.settings
        lay = W.Layout(width=CONTROL_WIDTH)
        tree_opts = list(model.TREES.items())
        if not model.sysfs_readable():
            tree_opts.append(("this machine (sysfs)", "sysfs"))
        if self._hier_json is not None:
            tree_opts.append(("your hierarchy", "json"))
        self.w_tree = W.Dropdown(options=tree_opts, value=s.tree if s.tree in
                                 dict(tree_opts).values() else "systemd",
                                 description="tree", layout=lay, style=SHORT)
        self.w_upload = W.FileUpload(accept=".json", multiple=False,
                                     description="upload JSON tree",
                                     layout=W.Layout(width=CONTROL_WIDTH),
                                     tooltip="a hierarchy saved by Hierarchy.to_json()")
        self.w_upload.observe(self._on_upload, names="value")
        self.w_order = W.Dropdown(options=list(model.ORDERS.items()), value=s.order,
                                  description="order", layout=lay, style=SHORT)
        self.w_start = W.Combobox(value=s.start, options=[], description="start",
                                  ensure_option=False, continuous_update=False, layout=lay,
                                  style=SHORT, placeholder="a path, e.g. /system.slice")
        progs = list(model.PROGRAMS.items())
        if self._user_program is not None:
            name = getattr(self._user_program, "__name__", "yours")
            progs.insert(0, (f"yours: {name}()", "custom"))
        self.w_program = W.Dropdown(options=progs, value=s.program, description="program",
                                    layout=lay, style=SHORT)
        self.w_record = W.IntText(value=s.record_bytes, description="record bytes",
                                  continuous_update=False, layout=lay, style=SHORT)
        self.w_stop = W.Dropdown(options=[NONE], value=NONE, description="stop at",
                                 layout=lay, style=SHORT)
        for w, cls in ((self.w_tree, "tree"), (self.w_order, "order"), (self.w_start, "start"),
                       (self.w_program, "program"), (self.w_record, "record")):
            w.add_class(f"explorer-{cls}")
        return _box("the walk", self.w_tree, self.w_upload, self.w_order, self.w_start,
                    self.w_program, self.w_record, self.w_stop)

    def _build_kernel_controls(self) -> W.VBox:
        """The box "the kernel": Linux version, PAGE_SIZE, read() size, reads after the
        end, max objects."""
        s = self.settings
        lay = W.Layout(width=CONTROL_WIDTH)
        self.w_kernel = W.ToggleButtons(options=list(model.KERNELS), value=s.kernel,
                                        description="Linux", style={"button_width": "60px",
                                                                    **SHORT})
        self.w_kernel.add_class("explorer-kernel")
        self.w_page = W.Dropdown(options=[(f"{p} B", p) for p in PAGE_SIZES], value=s.page_size,
                                 description="PAGE_SIZE", layout=lay, style=SHORT)
        self.w_read = W.IntText(value=s.read_size, description="read() size",
                                continuous_update=False, layout=lay, style=SHORT)
        self.w_read.add_class("explorer-read-size")
        self.w_extra = W.BoundedIntText(value=s.extra_reads, min=0, max=5,
                                        description="reads after", layout=lay, style=SHORT,
                                        tooltip="read() calls after the first that returns "
                                        "0 or an error, where cat stops (0: as cat)")
        self.w_extra.add_class("explorer-extra-reads")
        self.w_max_objs = W.IntText(value=MAX_ITER_OBJECTS, description="max objects",
                                    continuous_update=False, layout=lay, style=SHORT)
        return _box("the kernel", self.w_kernel, self.w_page, self.w_read, self.w_extra,
                    self.w_max_objs)

    def _build_dead_controls(self) -> W.VBox:
        """The box "dead cgroups": a cgroup, "make dead" and "release"."""
        self.w_dead_path = W.Dropdown(options=[], description="cgroup",
                                      layout=W.Layout(width=CONTROL_WIDTH), style=SHORT)
        self.w_kill = W.Button(description="make dead", tooltip="open + rmdir: a dead cgroup "
                               "the hierarchy still references", layout=W.Layout(width="145px"))
        self.w_release = W.Button(description="release", tooltip="drop the reference: the "
                                  "dead cgroup leaves its parent's list",
                                  layout=W.Layout(width="145px"))
        self.w_kill.on_click(lambda _b: self._change("kill"))
        self.w_release.on_click(lambda _b: self._change("release"))
        return _box("dead cgroups", self.w_dead_path, W.HBox([self.w_kill, self.w_release]))

    def _build_mutex_controls(self) -> W.VBox:
        """The box "cgroup_mutex": a writer that mkdirs during the read, and its path."""
        s = self.settings
        lay = W.Layout(width=CONTROL_WIDTH)
        self.w_writer_on = W.Checkbox(value=bool(s.writer), description="a writer mkdirs during "
                                      "the read", indent=False, layout=lay)
        self.w_writer = W.Text(value=s.writer or "/new.slice", description="mkdir",
                               continuous_update=False, layout=lay, style=SHORT)
        return _box("cgroup_mutex", self.w_writer_on, self.w_writer)

    def _build_big_record_controls(self) -> W.VBox:
        """The box "a big record": the cgroup whose record is big, and by how many pages."""
        lay = W.Layout(width=CONTROL_WIDTH)
        self.w_big_path = W.Dropdown(options=[NONE], value=NONE, description="big record at",
                                     layout=lay, style=SHORT)
        self.w_big_pages = W.BoundedIntText(value=8, min=0, max=64, description="extra pages",
                                            layout=lay, style=SHORT)
        return _box("a big record (E2BIG, rollback)", self.w_big_path, self.w_big_pages)

    def _build_player(self) -> W.HBox:
        """The player's row: play/pause, the step slider, the step buttons, speed, the
        mode (one walk, all orders), presenter mode, and the hidden status line."""
        # Play runs in the browser (jslinked to the slider); the play/pause toggle is
        # jslinked to its `playing`, so it has a name and space toggles it
        self.w_play = W.Play(value=0, min=0, max=0, interval=333, description="play",
                             show_repeat=False, layout=W.Layout(display="none"))
        self.w_play.add_class("explorer-play")
        self.w_playing = W.ToggleButton(value=False, description="▶ play",
                                        tooltip="play / pause (space)", layout=W.Layout(
                                            width="110px"))
        self.w_playing.add_class("explorer-playing")
        W.jslink((self.w_playing, "value"), (self.w_play, "playing"))
        self.w_playing.observe(self._on_playing, names="value")
        self.w_slider = W.IntSlider(value=0, min=0, max=0, description="step",
                                    continuous_update=True, layout=W.Layout(
                                        width="auto", flex="1 1 260px", min_width="200px"),
                                    tooltip="the step shown (arrow keys: one step)")
        self.w_slider.add_class("explorer-slider")
        W.jslink((self.w_play, "value"), (self.w_slider, "value"))
        W.jslink((self.w_play, "max"), (self.w_slider, "max"))
        self.w_slider.observe(self._on_step, names="value")
        self.w_speed = W.Dropdown(options=list(SPEEDS.items()), value=333, description="speed",
                                  layout=W.Layout(width="190px"),
                                  style={"description_width": "45px"})
        self.w_speed.observe(lambda c: setattr(self.w_play, "interval", int(c["new"])),
                             names="value")
        self._build_step_buttons()
        self.w_mode = W.ToggleButtons(options=[("one walk", "walk"), ("all orders", "orders")],
                                      value=self.mode, style={"button_width": "100px"})
        self.w_mode.add_class("explorer-mode")
        self.w_mode.observe(self._on_mode, names="value")
        self.w_present = W.ToggleButton(value=False, description="presenter",
                                        tooltip="presenter mode: large type, only the player, "
                                        "the picture and the story", layout=W.Layout(
                                            width="auto"))
        self.w_present.add_class("explorer-present")
        self.w_present.observe(self._on_present, names="value")
        self.w_status = W.Label(value="")
        self.w_status.add_class("explorer-status")
        player = W.HBox([self.w_playing, self.w_play, self.w_slider, self.w_first,
                         self.w_back, self.w_fwd, self.w_next_read, self.w_cut, self.w_end,
                         self.w_speed, self.w_mode, self.w_present, self.w_status],
                        layout=W.Layout(flex_flow="row wrap", align_items="center",
                                        width="100%"))
        player.add_class("explorer-player")
        return player

    def _build_step_buttons(self) -> None:
        """The player's buttons that move the step: back, on, start, next read(), the
        truncation, end."""
        bl = W.Layout(width="auto")
        self.w_back = W.Button(description="◀ step", layout=bl, tooltip="one step back")
        self.w_fwd = W.Button(description="step ▶", layout=bl, tooltip="one step on")
        self.w_first = W.Button(description="|◀ start", layout=bl, tooltip="the first step")
        self.w_next_read = W.Button(description="next read()", layout=bl,
                                    tooltip="the next read() call")
        self.w_cut = W.Button(description="⚠ truncation", layout=bl,
                              tooltip="the step where the walk is cut")
        self.w_end = W.Button(description="end ▶|", layout=bl, tooltip="the last step")
        for b, cls in ((self.w_back, "back"), (self.w_fwd, "fwd"), (self.w_first, "first"),
                       (self.w_next_read, "next-read"), (self.w_cut, "cut"), (self.w_end, "end")):
            b.add_class(f"explorer-{cls}")
        self.w_back.on_click(lambda _b: self._move(-1))
        self.w_fwd.on_click(lambda _b: self._move(+1))
        self.w_first.on_click(lambda _b: self.jump("start"))
        self.w_next_read.on_click(lambda _b: self.jump("next_read"))
        self.w_cut.on_click(lambda _b: self.jump("cut"))
        self.w_end.on_click(lambda _b: self.jump("end"))

    def _build_stage(self) -> W.HBox:
        """What the player shows: the picture (with the error above it), the story beside
        it, the kernel source beside both when there is room; and the read() calls panel
        (it goes below, beside the controls).  Sizes come from the served style sheet,
        :data:`STYLE`."""
        self.w_image = W.Image(format="png", layout=W.Layout(width="100%", height="auto"))
        self.w_image.add_class("explorer-img")
        self.w_caption = W.HTML(layout=W.Layout(width="auto"))
        self.w_caption.add_class("explorer-caption")
        self.w_error = W.HTML(layout=W.Layout(width="auto"))
        self.w_error.add_class("explorer-error")
        self.w_reads = W.HTML(layout=W.Layout(width="300px"))
        self.w_reads.add_class("explorer-reads")
        self.w_source = W.HTML(layout=W.Layout(width="auto"))
        self.w_source.add_class("explorer-source")
        picture = W.VBox([self.w_error, self.w_image])
        picture.add_class("explorer-picture")
        side = W.VBox([self.w_caption])
        side.add_class("explorer-side")
        self._side = side                   # the story column (more lines go under it)
        stage = W.HBox([picture, side, self.w_source],
                       layout=W.Layout(flex_flow="row wrap", align_items="flex-start",
                                       width="100%"))
        stage.add_class("explorer-stage")
        return stage

    def _on_playing(self, change: dict) -> None:
        self.w_playing.description = "❚❚ pause" if change["new"] else "▶ play"

    def _on_present(self, change: dict) -> None:
        """Presenter mode: large type, only the player, the picture and the story."""
        if change["new"]:
            self.add_class("cg-present")           # type: ignore[attr-defined]
        else:
            self.remove_class("cg-present")        # type: ignore[attr-defined]

    # -- controls <-> settings -----------------------------------------------------------
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
            extra_reads=int(self.w_extra.value),
            tree_json=self._hier_json if self.w_tree.value == "json" else None)

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
            self.w_extra.value = s.extra_reads
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

    # -- a frame's texts -----------------------------------------------------------------
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
        if f.mutex:
            cap += (f"<div class='cg-mutex' style='font-size:16px;padding:2px 0 4px 0'>"
                    f"{html.escape(f.mutex)}</div>")
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
