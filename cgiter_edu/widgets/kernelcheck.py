"""The kernel agrees: one line under the explorer that checks its walk on the real kernel.

Where the live backend can run (root, BPF, cgroup v2, clang, libbpf: see
:func:`cgiter_edu.live.available`), :class:`KernelCheck` runs the explorer's walk on this
machine's kernel in a background thread (a mirror of the tree under a scratch cgroup,
the C twin of the program, the same order, start and read() size; never in the UI's
thread) and says ``the kernel agrees`` -- the same read() results and bytes -- or the
first difference.  Elsewhere it says in one line why it cannot check, and which walk
recorded on a real kernel (``cgiter_edu/data/kernel-walks.jsonl``) the picture is, if it
is one: :func:`settings_from_recorded` opens a recorded walk in the explorer
(:meth:`Explorer.from_recorded <cgiter_edu.widgets.Explorer.from_recorded>`).

It only replays: the emulator's answer is :func:`cgiter_edu.run`'s, the kernel's is
:func:`cgiter_edu.live.compare`'s.

Example::

    >>> from cgiter_edu import kernel_walks
    >>> s = settings_from_recorded(kernel_walks.bundled()[3])
    >>> s.order, s.start, s.record_bytes, s.read_size, s.kernel
    (1, '/', 1000, 32767, '6.18')
"""

from __future__ import annotations

import html
import json
import threading
from typing import Any

import ipywidgets as W

from . import model

__all__ = ["KernelCheck", "recorded_match", "settings_from_recorded"]


# -- walks recorded on a real kernel ----------------------------------------------------

def _prefix(case: dict[str, Any]) -> str:
    """The scratch cgroup the recorded tree was made under (the emulated root's twin)."""
    return case["tree"][1][0] if len(case["tree"]) > 1 else ""


def settings_from_recorded(case: dict[str, Any]) -> model.Settings:
    """The explorer's settings for a recorded walk (:func:`cgiter_edu.kernel_walks.bundled`):
    its tree re-rooted at the scratch cgroup it was made under, with the recorded ids, its
    dead cgroups dead, the record program with its size and stop cgroup, the order, the
    start (by fd, or the root), the read() size, the kernel's series.  ``ValueError`` for
    a walk the explorer cannot show as recorded (a start by id, re-created cgroups, a
    skipped or silent program, a dead start)."""
    prefix = _prefix(case)
    start = case["start"]
    if "id" in start or case.get("remake") or case.get("skip_id") is not None \
            or case.get("silent") or not prefix:
        raise ValueError("the explorer starts by fd or at the root and runs the record "
                         "program without skip or silence; this walk needs more")

    def rel(path: str) -> str:
        return path[len(prefix):] or "/"

    by_id = {cid: path for path, cid in case["tree"]}
    dead = set(case.get("dead", []))
    root_id = case["tree"][1][1]
    ids = {p: cid for p, cid in case["tree"]}
    cgroups = []
    for path, cid in case["tree"][2:]:
        parent = path.rsplit("/", 1)[0]
        item = {"id": cid, "name": path.rsplit("/", 1)[1], "parent": ids[parent]}
        if path in dead:
            item["dead"] = True
        cgroups.append(item)
    tree_json = json.dumps({"format": "cgiter_edu.hierarchy/1", "root_id": root_id,
                            "next_id": max([root_id, *(c["id"] for c in cgroups)]) + 1,
                            "cgroups": cgroups}, indent=1)
    start_path = rel(start["fd"]) if "fd" in start else "/"
    if "fd" in start and start["fd"] in dead:
        raise ValueError("the walk starts at a cgroup removed after its file was made")
    stop = case.get("stop_id")
    stop_at = rel(by_id[stop]) if stop in by_id and stop != case["tree"][0][1] else None
    if stop is not None and stop_at is None:
        raise ValueError("the program stops at a cgroup outside the recorded tree")
    big = None
    if case.get("big"):
        big_id, pages = case["big"]
        if big_id not in by_id:
            raise ValueError("the big record is at a cgroup outside the recorded tree")
        big = (rel(by_id[big_id]), int(pages))
    series = ".".join(str(case.get("kernel", "6.18")).split(".")[:2])
    # the recorded program writes 24 bytes, then, if rec_bytes > 24, the last
    # (rec_bytes - 24) & 4095 bytes of the pad (docs/recorded-format.md): 1 and 4120
    # write what 24 writes, the size the explorer shows (it takes what the program can
    # write, 24 to 4119)
    rec = int(case["rec_bytes"])
    written = 24 + ((rec - 24) & 4095) if rec > 24 else 24
    return model.Settings(tree="json", tree_json=tree_json, order=int(case["order"]),
                          start=start_path, program="record",
                          record_bytes=written, read_size=int(case["read_size"]),
                          kernel=series, stop_at=stop_at, big=big)


_RECORDED: list[tuple[dict[str, Any], model.Settings]] | None = None


def _recorded() -> list[tuple[dict[str, Any], model.Settings]]:
    global _RECORDED
    if _RECORDED is None:
        from cgiter_edu import kernel_walks

        out = []
        for case in kernel_walks.bundled():
            try:
                out.append((case, settings_from_recorded(case)))
            except (ValueError, KeyError):
                continue
        _RECORDED = out
    return _RECORDED


def _tree_key(s: model.Settings) -> tuple | None:
    try:
        h = model.build(s)
    except Exception:              # noqa: BLE001 - no tree, no match
        return None
    return tuple((c.path, c.id, c.dead) for c in h.cgroups())


def _same(a: model.Settings, b: model.Settings) -> bool:
    keys = ("order", "start", "program", "record_bytes", "page_size", "read_size", "kernel",
            "stop_at", "writer", "big", "max_iter_objects")
    if any(getattr(a, k) != getattr(b, k) for k in keys):
        return False
    return _tree_key(a) == _tree_key(b)


def recorded_match(settings: model.Settings) -> dict[str, Any] | None:
    """The bundled recorded walk (:func:`cgiter_edu.kernel_walks.bundled`) these settings
    show, or None.

    >>> from cgiter_edu import kernel_walks
    >>> recorded_match(settings_from_recorded(kernel_walks.bundled()[3]))["_where"]
    'kernel-walks.jsonl:4'
    """
    for case, s in _recorded():
        if _same(settings, s):
            return case
    return None


def recorded_results(case: dict[str, Any]) -> list[int | str]:
    """A recorded walk's read() results as :attr:`cgiter_edu.RunResult.results` writes
    them (a byte count, or an errno name)."""
    from cgiter_edu.names import errno_symbol

    return [errno_symbol(d) if n == "err" else int(n) for n, d in case["reads"]]


def recorded_line(w: model.Walk | None) -> str:
    """The sentence about recorded walks for the explorer's walk ``w``."""
    if w is None:
        return ""
    case = recorded_match(w.settings)
    if case is None:
        return ("No walk recorded on a real kernel has this tree and these settings "
                "(Explorer.from_recorded opens one).")
    from cgiter_edu.names import errno_symbol

    if case["attach_errno"] or w.errno:
        same = case["attach_errno"] == w.errno
        rec = errno_symbol(case["attach_errno"]) if case["attach_errno"] else "attached"
        mine = errno_symbol(w.errno) if w.errno else "attached"
        what = (f"the attach gave {rec} there too" if same else
                f"but the attach gave {rec} there and {mine} here")
    else:
        rec = recorded_results(case)
        n = min(len(rec), len(w.results))
        same = n > 0 and rec[:n] == w.results[:n]
        what = ("its read() results are this picture's: " + ", ".join(map(str, rec[:n]))
                if same else f"but the picture's read() results {w.results} differ from "
                             f"the recorded {rec}")
    return (f"This picture is the walk recorded on Linux {case.get('kernel', '6.18')} "
            f"({case['_where']}): {what}.")


# -- the live check ------------------------------------------------------------------------

def why_not_live(s: model.Settings, mode: str, user_program: Any = None) -> str:
    """Why this walk cannot be checked on this machine's kernel ("" if it can)."""
    from cgiter_edu import live
    from cgiter_edu.kernel.config import MAX_ITER_OBJECTS

    a = live.available()
    if not a:
        return f"cannot check on the kernel here: {a.reason}"
    from cgiter_edu.live.cases import machine_kernel

    mk = machine_kernel()
    if mode != "walk":
        return "the kernel check runs for one walk (mode: one walk), not for all orders"
    if s.kernel != mk.name:
        return (f"this machine runs Linux {mk.name}; the picture is the {s.kernel} preset's "
                f"(pick {mk.name} to check it here)")
    if s.page_size != mk.page_size:
        return f"this kernel's pages are {mk.page_size} bytes, not {s.page_size}"
    if s.max_iter_objects != MAX_ITER_OBJECTS:
        return "MAX_ITER_OBJECTS is the kernel's own (1,000,000): a lowered one cannot be run"
    if s.writer:
        return "a writer racing the walk is a matter of timing on a real kernel, not checked"
    if s.program not in ("record", "ids"):
        return (f"the {s.program} program has no C twin to load (the record and ids "
                "programs have)")
    return ""


class KernelCheck(W.HTML):
    """One line: does the kernel agree with the explorer's walk?  :meth:`update` with
    each new walk; the check runs in a daemon thread, newest walk first (a walk replaced
    before its check started is never checked).  ``enabled``: run checks at all (the
    explorer turns it on inside a Jupyter kernel); off, it says only what the recorded
    walks say.  :attr:`text` is the line as plain text; :meth:`wait` for a check."""

    def __init__(self, enabled: bool = True) -> None:
        super().__init__(layout=W.Layout(width="auto"))    # wraps in its column
        self.add_class("explorer-kernel-check")
        self.enabled = enabled
        self.text = ""
        self.state = "idle"          #: idle, unavailable, checking, agrees, differs, error
        self._cv = threading.Condition()
        self._want: tuple[int, model.Settings, str, Any] | None = None
        self._gen = 0
        self._running = False
        self._thread: threading.Thread | None = None

    def update(self, w: model.Walk | None, mode: str = "walk", user_program: Any = None
               ) -> None:
        """A new walk is shown: say why it cannot be checked, or start checking it."""
        with self._cv:
            self._gen += 1
            gen = self._gen
        if w is None or (w.trace is None and not w.errno):
            self._say("idle", "")
            return
        why = why_not_live(w.settings, mode, user_program) if self.enabled else \
            "the kernel check is off (it runs inside a Jupyter kernel; " \
            "Explorer(check_kernel=True) turns it on)"
        if why:
            self._say("unavailable", f"{why}. {recorded_line(w)}")
            return
        self._say("checking", "checking this walk on the kernel …")
        with self._cv:
            self._want = (gen, w.settings, mode, w)
            if self._thread is None:
                self._thread = threading.Thread(target=self._worker, name="cg-kernel-check",
                                                daemon=True)
                self._thread.start()
            self._cv.notify_all()

    def wait(self, timeout: float = 300.0) -> str:
        """Wait until no check is pending; return :attr:`state`."""
        with self._cv:
            self._cv.wait_for(lambda: self._want is None and not self._running, timeout)
        return self.state

    def _worker(self) -> None:
        while True:
            with self._cv:
                self._cv.wait_for(lambda: self._want is not None)
                gen, s, _mode, w = self._want
                self._want = None
                self._running = True
            try:
                state, text = self._check(s, w)
            except Exception as e:      # noqa: BLE001 - one line in the explorer, never a traceback
                state, text = "error", f"cannot check on the kernel: {type(e).__name__}: {e}"
            with self._cv:
                self._running = False
                if gen == self._gen:
                    self._say(state, text)
                self._cv.notify_all()

    @staticmethod
    def _check(s: model.Settings, w: model.Walk) -> tuple[str, str]:
        from cgiter_edu import live
        from cgiter_edu.live.cases import machine_kernel
        from cgiter_edu.live.errors import LiveError

        h = model.build(s)                 # its own tree: the explorer keeps using its own
        prog, _notes = model.program_for(s, h)
        start = None if s.start in ("", "/") else s.start
        try:
            c = live.compare(h, prog, s.order, start, read_size=s.read_size,   # the picture's reads
                             kernel=machine_kernel(),
                             extra_reads=s.extra_reads if s.read_size else 0)
        except LiveError as e:
            return "error", f"cannot check on the kernel: {e}"
        from cgiter_edu.names import errno_symbol

        release = getattr(c.kernel, "release", "") or machine_kernel().name
        if c.match:
            k = c.kernel
            if k.attach_errno:
                return "agrees", (f"✔ the kernel agrees: Linux {release} refused the attach "
                                  f"with {errno_symbol(k.attach_errno)} too")
            return "agrees", (f"✔ the kernel agrees: Linux {release} gave the same "
                              f"{len(k.reads)} read() results ({', '.join(map(str, k.results))})"
                              f" and {len(k.output)} bytes, byte for byte (a mirror of {len(h)} "
                              "cgroups under a scratch cgroup, removed again)")
        _i, diff = c.first_difference
        return "differs", f"✘ the kernel differs from the picture: {diff} (Linux {release})"

    def _say(self, state: str, text: str) -> None:
        self.state, self.text = state, text
        colour = {"agrees": "#1B5E20", "differs": "#B71C1C", "error": "#8D6E00"}.get(state,
                                                                                    "#444")
        self.value = (f"<div class='cg-kernel-check' style='color:{colour};font-size:13px'>"
                      f"{html.escape(text)}</div>" if text else "")
