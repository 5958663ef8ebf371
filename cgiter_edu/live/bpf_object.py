"""The loaded BPF object and one walk on the real kernel.

:class:`Backend` holds ``cgroup_iter.bpf.o`` loaded once per process: its two
``SEC("iter/cgroup")`` programs, the ``.bss`` parameters (:class:`Params`) and the
``id_map`` (real id -> emulated id).  :meth:`Backend.walk` does what
:func:`cgiter_edu.run` does, on the kernel: write the parameters, attach
(``bpf_program__attach_iter`` with order, cgroup_fd, cgroup_id), create an iterator
file (``bpf_iter_create``), read it with ``os.read`` at the asked size until the first
0 or error, then ``extra_reads`` more.

Example (root, cgroup_iter)::

    >>> b = Backend.get()                                          # doctest: +SKIP
    >>> b.walk("cgroup_id_printer", Params(), order=1).output      # doctest: +SKIP
    b'prologue\\n       1\\nepilogue\\n'
"""

from __future__ import annotations

import errno as _errno
import os
import struct
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, fields
from typing import Any

from ..run import RunResult, read_session
from . import libbpf
from .build import build_object
from .errors import LiveError

#: the programs of cgroup_iter.bpf.c, by their Python twin's name
C_PROGRAMS = {"id_printer": "cgroup_id_printer", "record": "cgroup_record"}
#: cgroup_record writes the 4096-byte pad at most this many times for ``big`` (BIG_MAX)
BIG_MAX = 256
#: id_map's max_entries
ID_MAP_ENTRIES = 1 << 17


@dataclass
class Params:
    """``struct cgiter_params`` of cgroup_iter.bpf.c, field for field (all ``__u64``)."""

    terminal_cgroup: int = 0
    terminate_early: int = 0
    rec_bytes: int = 0
    has_stop: int = 0
    stop_id: int = 0
    has_skip: int = 0
    skip_id: int = 0
    silent: int = 0
    has_big: int = 0
    big_id: int = 0
    big_k: int = 0
    translate: int = 0
    alias_real: int = 0
    alias_emu: int = 0
    boundary_id: int = 0

    def pack(self) -> bytes:
        """The bytes of the ``.bss`` map's value."""
        return struct.pack(f"<{len(fields(self))}Q",
                           *(int(getattr(self, f.name)) & 0xFFFFFFFFFFFFFFFF
                             for f in fields(self)))


def spec_params(spec: dict[str, Any]) -> tuple[str, Params]:
    """The C program and its parameters for a program spec (the JSON form of
    :func:`~cgiter_edu.live.cases.program_to_spec`, which cases and recordings hold).

    >>> spec_params({"name": "record", "rec_bytes": 64, "stop_id": 7})[1].stop_id
    7

    Raises :class:`LiveError` for a program with no C twin.
    """
    name = spec.get("name", "record")
    if name == "id_printer":
        return C_PROGRAMS["id_printer"], Params(
            terminal_cgroup=spec.get("terminal_cgroup", 0),
            terminate_early=int(bool(spec.get("terminate_early", False))))
    if name == "record":
        p = Params(rec_bytes=spec.get("rec_bytes", 0), silent=int(bool(spec.get("silent"))))
        if spec.get("stop_id") is not None:
            p.has_stop, p.stop_id = 1, spec["stop_id"]
        if spec.get("skip_id") is not None:
            p.has_skip, p.skip_id = 1, spec["skip_id"]
        if spec.get("big") is not None:
            big_id, k = spec["big"]
            if not 0 <= k <= BIG_MAX:
                raise LiveError(f"Record(big=(id, {k})): the C program writes the pad at most "
                                f"{BIG_MAX} times (more than any buffer holds)")
            p.has_big, p.big_id, p.big_k = 1, big_id, k
        return C_PROGRAMS["record"], p
    raise LiveError(f"the live backend runs programs.IdPrinter and programs.Record (their C "
                    f"twins are in cgroup_iter.bpf.c); {name!r} has none")


class Backend:
    """The BPF object, loaded once per process (:meth:`get`)."""

    _instance: Backend | None = None
    _instance_lock = threading.Lock()

    def __init__(self) -> None:
        self.obj = libbpf.BpfObject.load(build_object())
        self.bss_fd, size = self.obj.map_fd(".bss")
        if size != len(Params().pack()):
            raise LiveError(f"cgroup_iter.bpf.o's .bss is {size} bytes, Params packs "
                            f"{len(Params().pack())}: the two are out of step")
        self.id_map_fd, _ = self.obj.map_fd("id_map")
        self.lock = threading.RLock()
        self._mapped = 0

    @classmethod
    def get(cls) -> Backend:
        """The process's backend (compiles and loads on first use).  Raises
        :class:`~cgiter_edu.live.build.BuildError` or OSError when it cannot."""
        with cls._instance_lock:
            if cls._instance is None:
                cls._instance = cls()
            return cls._instance

    # -- the parameters and the id map --------------------------------------------------
    def set_params(self, p: Params) -> None:
        """Write the whole ``.bss`` (``bpf_map_update_elem`` on key 0)."""
        self.obj.update(self.bss_fd, struct.pack("<I", 0), p.pack())

    def map_ids(self, pairs: Iterable[tuple[int, int]]) -> None:
        """Add ``real id -> emulated id`` entries to ``id_map``."""
        for real, emu in pairs:
            if self._mapped >= ID_MAP_ENTRIES - 1:
                raise LiveError(f"more than {ID_MAP_ENTRIES - 1} cgroups mirrored at once "
                                "(id_map's max_entries)")
            self.obj.update(self.id_map_fd, struct.pack("<Q", real),
                            struct.pack("<Q", emu & 0xFFFFFFFFFFFFFFFF))
            self._mapped += 1

    def unmap_ids(self, reals: Iterable[int]) -> None:
        """Remove entries from ``id_map``."""
        for real in reals:
            self.obj.delete(self.id_map_fd, struct.pack("<Q", real))
            self._mapped = max(0, self._mapped - 1)

    # -- attaching and walking ----------------------------------------------------------
    def attach(self, prog: str, order: int, cgroup_fd: int = 0,
               cgroup_id: int = 0) -> libbpf.BpfLink:
        """Attach ``prog`` (a C program name) as a cgroup iterator."""
        return self.obj.attach_iter(prog, order, cgroup_fd, cgroup_id)

    def walk(self, prog: str, params: Params, order: int, cgroup_fd: int = 0,
             cgroup_id: int = 0, read_size: int | Sequence[int] = 131072,
             extra_reads: int = 2,
             max_reads: int = 1_000_000,
             after_create: Callable[[], None] | None = None,
             timer: list[float] | None = None) -> RunResult:
        """One walk on the kernel: set the parameters, attach, create one iterator file,
        call ``after_create()`` (e.g. rmdir some cgroups), then read like
        :func:`cgiter_edu.run` (``read_size`` may be a list: one size per read() in
        turn).  ``timer``, a list, gets the seconds each read() took."""

        sizes = [read_size] if isinstance(read_size, int) else list(read_size)
        res = RunResult(read_size=sizes[0], backend="kernel")
        with self.lock:
            self.set_params(params)
            try:
                link = self.attach(prog, order, cgroup_fd, cgroup_id)
            except OSError as e:
                res.attach_errno = e.errno or _errno.EINVAL
                res.attach_error = os.strerror(res.attach_errno)
                return res
            try:
                fd = link.create()
                try:
                    if after_create is not None:
                        after_create()
                    res.reads = read_session(lambda n: os.read(fd, n), sizes, extra_reads,
                                             max_reads, timer)
                finally:
                    os.close(fd)
            finally:
                link.destroy()
        return res
