"""A student's own C program on the real kernel, beside a Python program on the emulator.

:func:`side_by_side` compiles a ``SEC("iter/cgroup")`` C program with clang (cached by a
hash of the source, :func:`build_source`), loads it through libbpf (once per source and
process: its globals keep their values from one walk to the next, as a loaded program's
do), mirrors an emulated hierarchy as real cgroups under a scratch cgroup
(:class:`~cgiter_edu.live.mirror.Mirror`), attaches the program with an fd on the real
twin of the start and reads the iterator file like :func:`cgiter_edu.run`.

The C program prints what the kernel gives it -- real ids (``cgrp->kn->id``), real
levels (``cgrp->level``: the scratch cgroup is not at level 0) and real names -- with no
translation.  So the Python program is run on a **replica** (:func:`replica`): an emulated
hierarchy with the real ids, names and levels: the v2 root (id 1), the scratch cgroup's
ancestors, the scratch cgroup and the mirrored tree under it.  Both walks then start at the
same cgroup of the same tree, and what a right pair prints is equal byte for byte.

The C program includes ``"cgiter_vmlinux.h"`` (the kernel types, the few fields a
program reads; CO-RE relocates them against the running kernel) and libbpf's
``<bpf/bpf_helpers.h>`` (``SEC``, ``BPF_SEQ_PRINTF``, the helpers).

Example (root, cgroup v2, clang, libbpf)::

    >>> from cgiter_edu.course.handson import c_source, lesson_tree      # doctest: +SKIP
    >>> print(side_by_side(c_source("leaves"), None, lesson_tree()))   # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import Order
from ..hierarchy import Hierarchy
from ..names import order_name
from ..run import RunResult, read_session
from ..run import run as emu_run
from .build import (
    CFLAGS,
    HERE,
    BuildError,
    CacheError,
    _clang_version,
    cache_dir,
    clang,
    first_error,
)
from .errors import LiveError

#: ``SEC("iter/cgroup")`` then the program's function name
_PROGRAM_RE = re.compile(r'SEC\(\s*"iter/cgroup"\s*\)\s*(?:\w+\s+)*?int\s+(\w+)\s*\(')

#: clang's flags: the backend's, and a call of an undeclared function is an error (a
#: misspelt helper or macro would otherwise compile and fail at load as a missing extern)
OWN_CFLAGS = [*CFLAGS, "-Werror=implicit-function-declaration"]

_loaded: dict[str, tuple[Any, str]] = {}
_lock = threading.Lock()


def program_name(source: str) -> str:
    """The function name of the (first) ``SEC("iter/cgroup")`` program in ``source``.

    >>> program_name('SEC("iter/cgroup")\\nint leaves(struct bpf_iter__cgroup *ctx)')
    'leaves'
    """
    m = _PROGRAM_RE.search(source)
    if not m:
        raise LiveError('no SEC("iter/cgroup") program in the C source: a cgroup iterator '
                        'program is "SEC(\\"iter/cgroup\\") int name(struct bpf_iter__cgroup '
                        '*ctx) { ... }"')
    return m.group(1)


def build_source(source: str) -> Path:
    """Compile C source text with clang (``-O2 -g -target bpf``, the include path of
    ``cgiter_vmlinux.h``) into the cache; the object's path.  :class:`BuildError` (one
    line, then clang's errors) when clang is missing or the source does not compile."""
    cc = clang()
    if cc is None:
        raise BuildError("clang is not on PATH")
    h = hashlib.sha256()
    for part in (source.encode(), (HERE / "cgiter_vmlinux.h").read_bytes(),
                 _clang_version(cc).encode(), " ".join(OWN_CFLAGS).encode()):
        h.update(part)
        h.update(b"\0")
    out_dir = cache_dir() / ("own-" + h.hexdigest()[:16])
    obj = out_dir / "program.bpf.o"
    if obj.exists():
        return obj
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        src = out_dir / "program.bpf.c"
        src.write_text(source)
        fd, tmp = tempfile.mkstemp(prefix=".program.", suffix=".o", dir=out_dir)
    except OSError as e:
        raise CacheError(e.errno, f"cannot write the cache directory {out_dir}: "
                                  f"{e.strerror}") from None
    os.close(fd)
    cmd = [cc, *OWN_CFLAGS, "-I", str(HERE), "-c", str(src), "-o", tmp]
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    except (OSError, subprocess.SubprocessError) as e:
        os.unlink(tmp)
        raise BuildError(f"cannot run clang: {e}") from None
    if r.returncode != 0:
        if os.path.exists(tmp):
            os.unlink(tmp)
        errors = "\n".join(r.stderr.replace(str(src), "program.bpf.c").strip()
                           .splitlines()[:20])
        raise BuildError(f"clang failed: {first_error(r.stderr)}\n{errors}")
    os.replace(tmp, obj)
    return obj


def load(source: str) -> tuple[Any, str]:
    """The loaded object of ``source`` and its program's name; loaded once per process
    (:class:`LiveError` with the verifier's last words when the kernel refuses it)."""
    from . import libbpf

    key = hashlib.sha256(source.encode()).hexdigest()
    with _lock:
        if key not in _loaded:
            name = program_name(source)
            obj_path = build_source(source)
            try:
                obj = libbpf.BpfObject.load(obj_path)
            except OSError as e:
                raise LiveError(refused(name, str(e))) from None
            _loaded[key] = (obj, name)
        return _loaded[key]


def refused(name: str, text: str) -> str:
    """The message for a program the kernel refused: the verifier's verdict on the
    first line, then its log (what libbpf captured).

    >>> refused("p", "x | -- BEGIN PROG LOAD LOG --\\n0: r0 = 2\\nR0 bad\\nprocessed 2 insns"
    ...             "\\n-- END PROG LOAD LOG -- | y").splitlines()[:2]
    ["the kernel's verifier refused p: R0 bad", 'its log:']
    """
    m = re.search(r"-- BEGIN PROG LOAD LOG --\n(.*?)-- END PROG LOAD LOG --", text, re.S)
    if not m:
        return f"the kernel refused the program {name}: {text}"
    log = [x for x in m.group(1).splitlines() if x.strip()]
    verdict = [x for x in log if not x.startswith("processed ")]
    return "\n".join([f"the kernel's verifier refused {name}: "
                      f"{verdict[-1] if verdict else 'see its log'}", "its log:", *log])


def replica(m: Any) -> tuple[Hierarchy, str]:
    """An emulated hierarchy with the real ids, names and levels of the mirror ``m``
    (see the module doc), and the path in it of the scratch cgroup."""
    chain = []
    p = m.scratch
    while os.path.abspath(p) != os.path.abspath(m.mount):
        chain.append((os.path.basename(p), os.stat(p).st_ino))
        p = os.path.dirname(p)
    rep = Hierarchy(root_id=os.stat(m.mount).st_ino)
    top = ""
    for name, ino in reversed(chain):
        top += "/" + name
        rep.mkdir(top, cgroup_id=ino)
    dead = []
    for t in list(m.twins.values())[1:]:
        try:
            rep.mkdir(top + t.rel, cgroup_id=t.real_id)
        except FileExistsError:
            raise LiveError("a tree that uses a dead cgroup's name again cannot be run "
                            "beside the kernel here") from None
        if t.dead:
            dead.append(top + t.rel)
    for path in reversed(dead):            # held, then removed, as the mirror did
        rep.kill(path)
    return rep, top or "/"


@dataclass
class SideBySide:
    """The C program on the kernel beside the Python program on the emulator, on one
    tree: ``kernel`` and ``emulator`` (:class:`~cgiter_edu.RunResult`, either None when
    not run), ``reason`` (why the kernel side was not run), ``tree`` (the hierarchy
    the emulator walked: the replica of the mirror when the kernel side ran)."""

    emulator: RunResult | None
    kernel: RunResult | None
    reason: str = ""
    tree: Hierarchy | None = None
    start: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def kernel_output(self) -> bytes | None:
        """The bytes the C program printed on the kernel (None: not run)."""
        return None if self.kernel is None else self.kernel.output

    @property
    def same(self) -> bool | None:
        """Did both print the same bytes?  None when one side did not run."""
        if self.kernel is None or self.emulator is None:
            return None
        return self.kernel.output == self.emulator.output

    @classmethod
    def emulator_only(cls, h: Hierarchy, prog: Callable[[Any], int] | None,
                      order: Order | int, read_size: int, reason: str) -> SideBySide:
        """The emulator's side alone (the machine cannot run the kernel's)."""
        e, err = _emulate(prog, h, order, None, read_size, 0)
        return cls(e, None, reason, h, notes=[err] if err else [])

    def __str__(self) -> str:
        def text(r: RunResult | None, what: str) -> list[str]:
            if r is None:
                return [f"({what} not run)"]
            if r.attach_errno:
                return [r.summary()]
            return r.output.decode("utf-8", "replace").splitlines() or ["(nothing)"]

        out = [*self.notes]
        if self.kernel is None:
            out.append(self.reason)
            if self.emulator is not None:
                out += ["the Python program on the emulator:", *text(self.emulator, "")]
            return "\n".join(out)
        left = ["C on the kernel", *text(self.kernel, "the kernel")]
        right = ["Python on the emulator", *text(self.emulator, "the Python program")]
        width = max(len(x) for x in left) + 2
        rows = max(len(left), len(right))
        left += [""] * (rows - len(left))
        right += [""] * (rows - len(right))
        for i, (a, b) in enumerate(zip(left, right, strict=True)):
            mark = "  " if i == 0 or a == b else "≠ "
            out.append(f"{mark}{a:<{width}}{b}")
        if self.same is not None:
            out.append("the same bytes" if self.same else
                       "they differ (≠ marks the lines)")
        return "\n".join(out)

    __repr__ = __str__


def side_by_side(source: str, prog: Callable[[Any], int] | None, h: Hierarchy,
                 order: Order | int = Order.DESCENDANTS_PRE, start: str | None = None,
                 read_size: int = 131072, extra_reads: int = 0,
                 parent: str | None = None) -> SideBySide:
    """Run the C program ``source`` on the kernel on ``h`` mirrored under a scratch
    cgroup, from the twin of ``start`` (None: the emulated root, i.e. the scratch
    cgroup), and ``prog`` (if given) on the emulator on the replica of that mirror (see
    the module doc).  Raises :class:`LiveError` (the machine cannot, the program does
    not compile or load) or :class:`~cgiter_edu.live.build.BuildError`."""
    from .availability import require
    from .mirror import Mirror

    require()
    obj, name = load(source)
    with Mirror(h, parent=parent) as m:
        rep, top = replica(m)
        rel = "" if start in (None, "/") else m.live[start].rel
        fd = m.open_live(start or "/")
        try:
            kernel = RunResult(read_size=read_size, backend="kernel", hierarchy=h)
            try:
                link = obj.attach_iter(name, int(order), cgroup_fd=fd)
            except OSError as e:
                kernel.attach_errno = e.errno or 22
                kernel.attach_error = os.strerror(kernel.attach_errno)
            else:
                try:
                    it = link.create()
                    try:
                        kernel.reads = read_session(lambda n: os.read(it, n), [read_size],
                                                    extra_reads)
                    finally:
                        os.close(it)
                finally:
                    link.destroy()
        finally:
            os.close(fd)
        rep_start = top + rel if top != "/" else (rel or "/")
        emulator, err = _emulate(prog, rep, order, rep_start, read_size, extra_reads)
    note = (f"{name} ({order_name(int(order))}) on Linux {os.uname().release}: {len(h)} "
            f"cgroups mirrored under {m.scratch} (removed again); the Python program ran "
            "on the same tree with the real ids, names and levels")
    return SideBySide(emulator, kernel, tree=rep, start=rep_start,
                      notes=[note] + ([err] if err else []))


def _emulate(prog: Callable[[Any], int] | None, h: Hierarchy, order: Order | int,
             start: str | None, read_size: int, extra_reads: int
             ) -> tuple[RunResult | None, str]:
    """The Python program's walk on the emulator, or None and why (it raised)."""
    from .. import BpfProgramError

    if prog is None:
        return None, ""
    try:
        return emu_run(h, prog, order, start, read_size=read_size,
                       extra_reads=extra_reads), ""
    except BpfProgramError as e:
        return None, f"the Python program did not finish: {e}"
