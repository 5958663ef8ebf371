"""The open-coded walks on the real kernel: ``opencoded.bpf.c`` beside
:mod:`cgiter_edu.opencoded`.

The emulated hierarchy is mirrored under a scratch cgroup (:class:`~.mirror.Mirror`);
``css_walk`` and ``task_walk`` (``SEC("syscall")``) run once each with
``bpf_prog_test_run_opts``, ``css_walk_iter`` (``SEC("iter/cgroup")``) is attached
SELF_ONLY on the start and read like any iterator; what they put in the ring buffer is
read with libbpf's ``ring_buffer__consume`` and translated to emulated ids and levels,
so a :class:`~cgiter_edu.opencoded.WalkResult` from either side compares field for
field.  :func:`refusal` loads one of the programs the verifier must refuse and returns
the verifier's verdict.  Needs Linux 6.7+ (:func:`kernel_has_open_coded`).

Example (root, Linux 6.7+, clang, libbpf)::

    >>> from cgiter_edu import shapes                                  # doctest: +SKIP
    >>> h = shapes.balanced(1, 3)                                      # doctest: +SKIP
    >>> with Mirror(h) as m:                                           # doctest: +SKIP
    ...     [r[0] for r in css_walk(m, 2).records]
    [1, 2, 3, 4]
"""

from __future__ import annotations

import os
import re
import struct
import threading
from pathlib import Path
from typing import Any

from ..opencoded import (
    BPF_CGROUP_ITER_ANCESTORS_UP,
    CSS_REC,
    TASK_REC,
    VerifierError,
    WalkResult,
)
from . import libbpf
from .errors import LiveError
from .own import build_source

SOURCE = Path(__file__).resolve().parent / "opencoded.bpf.c"
#: struct oc_params: start_id, flags, stop_id, big (in); new_ret, visited, drops (out)
PARAMS = struct.Struct("<QQQQqqq")
#: the two ring buffers of opencoded.bpf.c, by size
RINGS = {4096: "rb_small", 65536: "rb_big"}
#: the programs the verifier must refuse, and the emulator's switch that makes each mistake
REFUSED = ("no_rcu", "no_destroy", "untrusted_start", "unlock_in_loop", "tasks_in_tc")


def kernel_has_open_coded() -> bool:
    """Does this kernel have ``bpf_iter_css_new`` (Linux 6.7+)?  Read from its BTF."""
    try:
        with open("/sys/kernel/btf/vmlinux", "rb") as f:
            return b"\0bpf_iter_css_new\0" in f.read()
    except OSError:
        return False


class OpenBackend:
    """``opencoded.bpf.c`` compiled and loaded once per process (:meth:`get`)."""

    _instance: OpenBackend | None = None
    _lock = threading.Lock()

    def __init__(self) -> None:
        self.path = build_source(SOURCE.read_text())
        self.obj = libbpf.BpfObject.load(self.path)
        self.bss_fd, size = self.obj.map_fd(".bss")
        if size != PARAMS.size:
            raise LiveError(f"opencoded.bpf.c's .bss is {size} bytes, PARAMS packs "
                            f"{PARAMS.size}: the two are out of step")
        self.lock = threading.RLock()

    @classmethod
    def get(cls) -> OpenBackend:
        """The process's backend (compiles and loads on first use)."""
        with cls._lock:
            if cls._instance is None:
                cls._instance = cls()
            return cls._instance

    def _params(self, start: int, flags: int, stop: int, big: bool) -> None:
        self.obj.update(self.bss_fd, struct.pack("<I", 0),
                        PARAMS.pack(start, flags & 0xFFFFFFFFFFFFFFFF, stop, int(big), 0, 0, 0))

    def _out(self) -> tuple[int, int, int]:
        vals = PARAMS.unpack(self.obj.lookup(self.bss_fd, struct.pack("<I", 0), PARAMS.size))
        return vals[4], vals[5], vals[6]

    def run(self, prog: str, start: int, flags: int, stop: int = 0, ring_size: int = 4096
            ) -> tuple[int, tuple[int, int, int], list[bytes]]:
        """Run a ``SEC("syscall")`` program once: (its return value, (new_ret, visited,
        drops), the ring buffer's records)."""
        ring = _ring(ring_size)
        with self.lock:
            self._params(start, flags, stop, ring_size == 65536)
            ret = self.obj.test_run(prog)
            return ret, self._out(), self.obj.ringbuf_records(ring)

    def run_iter(self, start: int, flags: int, stop: int = 0, ring_size: int = 4096
                 ) -> tuple[bytes, tuple[int, int, int], list[bytes]]:
        """Attach ``css_walk_iter`` SELF_ONLY on cgroup ``start`` (by id), read the
        iterator file to the end: (what it read, (0, visited, drops), the records)."""
        ring = _ring(ring_size)
        with self.lock:
            self._params(start, flags, stop, ring_size == 65536)
            with self.obj.attach_iter("css_walk_iter", 1, cgroup_id=start) as link:
                fd = link.create()
                try:
                    data = b""
                    while chunk := os.read(fd, 4096):
                        data += chunk
                finally:
                    os.close(fd)
            _, visited, drops = self._out()
            return data, (0, visited, drops), self.obj.ringbuf_records(ring)


    def print_iter(self, start: int, flags: int, stop: int = 0, read_size: int = 131072
                   ) -> list[tuple[int, bytes]]:
        """Attach ``css_print_iter`` SELF_ONLY on cgroup ``start`` and read it like
        :func:`cgiter_edu.run` does: ``(n, data)`` per read() (``n = -errno`` on error)."""
        from ..run import read_session

        with self.lock:
            self._params(start, flags, stop, False)
            with self.obj.attach_iter("css_print_iter", 1, cgroup_id=start) as link:
                fd = link.create()
                try:
                    return read_session(lambda n: os.read(fd, n), [read_size], 2, 1_000_000,
                                        None)
                finally:
                    os.close(fd)


def _ring(size: int) -> str:
    try:
        return RINGS[size]
    except KeyError:
        raise LiveError(f"opencoded.bpf.c has ring buffers of {' and '.join(map(str, RINGS))} "
                        f"bytes, not {size}") from None


def _translate(m: Any, raw: list[bytes]) -> list[tuple[int, int, int]]:
    """css records with real ids and levels -> emulated ids and levels."""
    back = {t.real_id: emu for emu, t in m.twins.items()}
    base = m.scratch[len(m.mount):].count("/")
    out = []
    for b in raw:
        rid, online, level = CSS_REC.unpack(b)
        out.append((back.get(rid, rid), online, level - base))
    return out


def css_walk(m: Any, flags: int, start_id: int | None = None, ring_size: int = 4096,
             iter_prog: bool = False) -> WalkResult:
    """The kernel side of :func:`cgiter_edu.opencoded.css_walk` on the mirror ``m``
    (``start_id``: an emulated id, default the root; the walk stops after the scratch
    cgroup, which stands for the emulated root).  ``iter_prog``: run the walk inside
    the ``iter/cgroup`` program instead of the ``syscall`` one."""
    start = m.real_id(m.root_emu if start_id is None else start_id)
    stop = m.scratch_id if flags == BPF_CGROUP_ITER_ANCESTORS_UP else 0
    b = OpenBackend.get()
    if iter_prog:
        _, (new_ret, visited, drops), raw = b.run_iter(start, flags, stop, ring_size)
        ret = 0
    else:
        ret, (new_ret, visited, drops), raw = b.run("css_walk", start, flags, stop, ring_size)
    return WalkResult(new_ret=new_ret, records=_translate(m, raw), drops=drops,
                      visited=visited, retval=ret)


def print_walk(m: Any, flags: int, start_id: int | None = None, read_size: int = 131072
               ) -> list[tuple[int, bytes]]:
    """The kernel side of :func:`cgiter_edu.opencoded.print_walk`: the reads, each
    ``%8llu`` id translated to the emulated id (same width, so the same bytes)."""
    start = m.real_id(m.root_emu if start_id is None else start_id)
    stop = m.scratch_id if flags == BPF_CGROUP_ITER_ANCESTORS_UP else 0
    back = {t.real_id: emu for emu, t in m.twins.items()}
    reads = OpenBackend.get().print_iter(start, flags, stop, read_size)
    whole = b"".join(d for _n, d in reads).split(b"\n")      # a read may end mid-line
    text = b"\n".join(b"%8d" % back.get(int(x), int(x)) if x.strip() else x for x in whole)
    out, at = [], 0
    for n, data in reads:
        out.append((n, text[at:at + len(data)]))
        at += len(data)
    return out


def task_walk(m: Any, cgroup_id: int, flags: int, ring_size: int = 4096) -> WalkResult:
    """The kernel side of :func:`cgiter_edu.opencoded.task_walk`: the tasks of the
    mirrored cgroup ``cgroup_id`` (emulated id) as ``(pid, tgid)``."""
    ret, (new_ret, visited, drops), raw = OpenBackend.get().run(
        "task_walk", m.real_id(cgroup_id), flags, 0, ring_size)
    return WalkResult(new_ret=new_ret, records=[TASK_REC.unpack(r) for r in raw],
                      drops=drops, visited=visited, retval=ret)


def refusal(name: str) -> VerifierError:
    """Load the program ``name`` (one of :data:`REFUSED`): the verifier's errno and
    verdict (its last words; for a leaked reference both lines).  LiveError if the
    kernel loads it."""
    if name not in REFUSED:
        raise ValueError(f"{name!r} is none of {REFUSED}")
    path = OpenBackend.get().path
    try:
        obj = libbpf.BpfObject.load(path, enable=[name])
    except OSError as e:
        return VerifierError(e.errno, verdict("\n".join(libbpf.messages(200))))
    obj.close()
    raise LiveError(f"the kernel loaded {name}, which its verifier should refuse")


def verdict(text: str) -> str:
    """The verifier's verdict in a libbpf log: the last line before ``processed ...``
    (with the ``Unreleased reference`` line before it, when there is one).

    >>> verdict("-- BEGIN PROG LOAD LOG --\\n0: r0 = 1\\nUnreleased reference id=3 "
    ...         "alloc_insn=15\\nBPF_EXIT x\\nprocessed 9 insns\\n-- END PROG LOAD LOG --")
    'Unreleased reference id=3 alloc_insn=15\\nBPF_EXIT x'
    """
    m = re.search(r"-- BEGIN PROG LOAD LOG --\n(.*?)-- END PROG LOAD LOG --", text, re.S)
    log = [x for x in (m.group(1) if m else text).splitlines()
           if x.strip() and not x.startswith("processed ")]
    if not log:
        return text
    if len(log) > 1 and log[-2].startswith("Unreleased reference"):
        return "\n".join(log[-2:])
    return log[-1]
