"""The explorer's "past the page limit" mode: one tree walked both ways, side by side.

:class:`PastLimitExplorer` is a widget you ``display()``: a tree, the cgroup_iter
record size and the ring buffer's size as controls, a step slider with a Play button
(jslinked in the browser), and the picture of :func:`cgiter_edu.viz.plot_past_limit`
(cgroup_iter cut at the page limit above, the open-coded walk into a ring buffer below:
drops, dead cgroups seen) sent as PNG bytes to an ``Image``.  Everything shown replays
the two traces of :func:`cgiter_edu.opencoded.both_ways`.  Core ipywidgets only.

Example::

    >>> from cgiter_edu.widgets import PastLimitExplorer
    >>> ex = PastLimitExplorer(tree="balanced", ring_size=16384)
    >>> ex.counts()["open"]["dropped"], ex.counts()["iter"]["delivered"]
    (9419, 511)
    >>> ex.set(ring_size=262144); ex.counts()["open"]["dropped"]
    0
"""

from __future__ import annotations

import io
from typing import Any

import ipywidgets as W
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from cgiter_edu import shapes
from cgiter_edu.hierarchy import Hierarchy
from cgiter_edu.opencoded import both_ways

__all__ = ["PastLimitExplorer", "past_limit_mode", "TREES", "RING_SIZES"]

#: the trees offered (shape name -> builder)
TREES = {
    "random": lambda: shapes.random(800, seed=3, dead=0.05),
    "systemd": shapes.systemd_host,
    "kubernetes": shapes.kubernetes_node,
    "balanced": lambda: shapes.balanced(2, 100),
}
#: the ring buffer sizes offered (powers of 2, multiples of 4 KiB)
RING_SIZES = tuple(4096 << i for i in range(9))          # 4 KiB .. 1 MiB
DPI = 64


class PastLimitExplorer(W.VBox):
    """The side-by-side mode (see the module doc): cgroup_iter beside the open-coded css
    iterator writing into a ring buffer.

    :meth:`set` changes the controls, :meth:`show` a step; :meth:`counts` reads back
    what is drawn.

    Parameters
    ----------
    tree : str or Hierarchy, default "random"
        A name of :data:`TREES` or a :class:`~cgiter_edu.Hierarchy`.
    record_bytes : int, default 64
        cgroup_iter's record size (24 to 4119).
    ring_size : int, default 16384
        One of :data:`RING_SIZES`.
    step : int, optional
        The number of cgroups shown first (None: the end).

    Examples
    --------
    >>> ex = PastLimitExplorer(tree="systemd", ring_size=4096)
    >>> sorted(ex.counts())
    ['iter', 'open']
    """

    def __init__(self, tree: str | Hierarchy = "random", record_bytes: int = 64,
                 ring_size: int = 16384, step: int | None = None) -> None:
        self._tree = tree
        names = list(TREES) if isinstance(tree, str) else ["(given)", *TREES]
        self.tree_box = W.Dropdown(options=names, value=tree if isinstance(tree, str)
                                   else "(given)", description="tree")
        self.record_box = W.BoundedIntText(value=record_bytes, min=24, max=4119,
                                           description="record bytes",
                                           style={"description_width": "initial"})
        self.ring_box = W.Dropdown(options=[(f"{s // 1024} KiB", s) for s in RING_SIZES],
                                   value=ring_size, description="ring buffer")
        self.slider = W.IntSlider(value=0, min=0, max=1, description="cgroups",
                                  continuous_update=True, layout=W.Layout(width="60%"))
        self.play = W.Play(value=0, min=0, max=1, interval=80)
        W.jslink((self.play, "value"), (self.slider, "value"))
        self.image = W.Image(format="png", layout=W.Layout(width="100%"))
        self.summary = W.HTML()
        self.message = W.HTML()
        super().__init__([
            W.HTML("<b>Past the page limit</b>: cgroup_iter's 8 pages (top) beside the "
                   "open-coded css iterator writing into a BPF ring buffer (bottom)"),
            W.HBox([self.tree_box, self.record_box, self.ring_box]),
            W.HBox([self.play, self.slider]), self.image, self.summary, self.message])
        self.add_class("past-limit-explorer")
        self.summary.add_class("past-limit-summary")
        self.image.add_class("past-limit-img")
        self.view: Any = None
        self._build(tree, record_bytes, ring_size)
        self.show(step)
        for w in (self.tree_box, self.record_box, self.ring_box):
            w.observe(self._on_control, names="value")
        self.slider.observe(lambda ch: self.show(ch["new"]), names="value")

    # -- building and showing -----------------------------------------------------------
    def _hierarchy(self, tree: str | Hierarchy) -> Hierarchy:
        if isinstance(tree, Hierarchy):
            return tree
        if tree == "(given)" and isinstance(self._tree, Hierarchy):
            return self._tree
        return TREES[tree]()

    def _build(self, tree: str | Hierarchy, record_bytes: int, ring_size: int) -> None:
        from cgiter_edu.viz import plot_past_limit

        both = both_ways(self._hierarchy(tree), record_bytes=record_bytes,
                         ring_size=ring_size)
        fig = Figure(figsize=(16, 9), dpi=DPI)
        FigureCanvasAgg(fig)
        self.view = plot_past_limit(both, None, fig=fig)
        n = self.view.n_steps
        self.slider.max = self.play.max = n
        self.slider.step = max(1, n // 200)
        self.play.step = self.slider.step

    def _on_control(self, change: Any) -> None:
        self.set(tree=self.tree_box.value, record_bytes=self.record_box.value,
                 ring_size=self.ring_box.value)

    def set(self, tree: str | None = None, record_bytes: int | None = None,
            ring_size: int | None = None) -> None:
        """Change controls (the widgets follow) and redraw at the end of the walk."""
        tree = self.tree_box.value if tree is None else tree
        record_bytes = self.record_box.value if record_bytes is None else record_bytes
        ring_size = self.ring_box.value if ring_size is None else ring_size
        if ring_size not in RING_SIZES:
            self.message.value = (f"<span style='color:#D55E00'>a ring buffer's size is a "
                                  f"power of 2 and a multiple of 4096: {ring_size} is not "
                                  "(EINVAL)</span>")
            return
        self.message.value = ""
        with self.hold_trait_notifications():
            for w, v in ((self.tree_box, tree), (self.record_box, record_bytes),
                         (self.ring_box, ring_size)):
                if w.value != v:
                    w.unobserve(self._on_control, names="value")
                    w.value = v
                    w.observe(self._on_control, names="value")
        self._build(tree, record_bytes, ring_size)
        self.show(None)

    def show(self, step: int | None) -> None:
        """Draw both walks after ``step`` cgroups (None: the end)."""
        self.view.update(step)
        buf = io.BytesIO()
        self.view.figure.savefig(buf, format="png", dpi=DPI)
        self.image.value = buf.getvalue()
        c = self.view.counts()
        self.summary.value = (
            f"cgroup_iter: <b>{c['iter']['delivered']}</b> delivered, "
            f"{c['iter']['cut']} cut at the page limit, {c['iter']['dead_skipped']} dead "
            f"skipped &middot; open-coded: <b>{c['open']['delivered']}</b> delivered, "
            f"{c['open']['dropped']} dropped (EAGAIN), {c['open']['dead_seen']} dead seen "
            "(RCU only: no cgroup_mutex)")
        if step is None and self.slider.value != self.slider.max:
            self.slider.unobserve_all("value")
            self.slider.value = self.slider.max
            self.slider.observe(lambda ch: self.show(ch["new"]), names="value")

    def counts(self) -> dict[str, dict[str, int]]:
        """The cells of each kind drawn now (see :meth:`PastLimitView.counts`)."""
        return self.view.counts()


def past_limit_mode(**kwargs: Any) -> W.Accordion:
    """The mode as a closed section for a page that shows the explorer.

    A :class:`PastLimitExplorer` is built only when the section is opened, so the page
    loads no slower.

    Parameters
    ----------
    **kwargs
        :class:`PastLimitExplorer`'s arguments.

    Returns
    -------
    ipywidgets.Accordion
        The closed section.

    Examples
    --------
    >>> acc = past_limit_mode(tree="systemd"); len(acc.children[0].children)
    0
    >>> acc.selected_index = 0; type(acc.children[0].children[0]).__name__
    'PastLimitExplorer'
    """
    holder = W.VBox([])
    acc = W.Accordion(children=[holder], selected_index=None)
    acc.add_class("past-limit-mode")
    acc.set_title(0, "past the page limit: cgroup_iter beside the open-coded css iterator "
                     "and a ring buffer (Linux 6.7+)")

    def opened(change: Any) -> None:
        if change["new"] == 0 and not holder.children:
            holder.children = [W.HTML("building both walks...")]
            try:
                holder.children = [PastLimitExplorer(**kwargs)]
            except Exception as e:     # noqa: BLE001 - a message on the page, never a traceback
                holder.children = [W.HTML(f"cannot show this mode: {type(e).__name__}: {e}")]

    acc.observe(opened, names="selected_index")
    return acc
