"""Compile ``cgroup_iter.bpf.c`` with clang into a cache directory, once per source.

The object lands in ``$XDG_CACHE_HOME/cgiter_edu/bpf/<hash>/cgroup_iter.bpf.o``
(``~/.cache/...`` by default; ``CGITER_CACHE_DIR`` overrides), keyed by a hash of the
C source, our CO-RE header, the clang version and the flags, so an edit recompiles
and nothing else does.

Example::

    >>> from cgiter_edu.live.build import build_object      # doctest: +SKIP
    >>> build_object().name                                   # doctest: +SKIP
    'cgroup_iter.bpf.o'
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "cgroup_iter.bpf.c"
HEADER = HERE / "cgiter_vmlinux.h"
#: -g: BTF and the CO-RE relocations; -O2: what the verifier expects
CFLAGS = ["-O2", "-g", "-target", "bpf", "-Wall"]


class BuildError(RuntimeError):
    """clang is missing or failed; the message is one line plus clang's own errors."""


class CacheError(OSError):
    """The cache directory cannot be written (set ``CGITER_CACHE_DIR``)."""


def first_error(stderr: str) -> str:
    """clang's first ``error:`` line, without the file position.

    >>> first_error("x.c:4:10: fatal error: 'bpf/bpf_helpers.h' file not found\\n ...")
    "'bpf/bpf_helpers.h' file not found"
    """
    for line in stderr.splitlines():
        if "error:" in line:
            return line.split("error:", 1)[1].strip()
    lines = stderr.strip().splitlines()
    return lines[0] if lines else "no message"


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def cache_dir() -> Path:
    """Where compiled objects are kept."""
    if os.environ.get("CGITER_CACHE_DIR"):
        return Path(os.environ["CGITER_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "cgiter_edu" / "bpf"


def clang() -> str | None:
    """The clang to use: ``$CLANG``, else ``clang`` on PATH."""
    return shutil.which(os.environ.get("CLANG", "clang"))


def _clang_version(cc: str) -> str:
    try:
        out = subprocess.run([cc, "--version"], capture_output=True, text=True, timeout=300)   # minutes in a busy TCG guest
    except (OSError, subprocess.SubprocessError) as e:
        raise BuildError(f"cannot run {cc} --version: {e}") from None
    return out.stdout.splitlines()[0] if out.stdout else "unknown"


def build_object(force: bool = False) -> Path:
    """The compiled object's path, compiling it first if the cache lacks it.

    Raises :class:`BuildError` when clang is missing or fails.
    """
    cc = clang()
    if cc is None:
        raise BuildError("clang is not on PATH")
    h = hashlib.sha256()
    for part in (SOURCE.read_bytes(), HEADER.read_bytes(), _clang_version(cc).encode(),
                 " ".join(CFLAGS).encode()):
        h.update(part)
        h.update(b"\0")
    out_dir = cache_dir() / h.hexdigest()[:16]
    obj = out_dir / "cgroup_iter.bpf.o"
    if obj.exists() and not force:
        return obj
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".cgroup_iter.", suffix=".o", dir=out_dir)
    except OSError as e:
        raise CacheError(e.errno, f"cannot write the cache directory {out_dir}: "
                                  f"{e.strerror}") from None
    os.close(fd)
    cmd = [cc, *CFLAGS, "-I", str(HERE), "-c", str(SOURCE), "-o", tmp]
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    except (OSError, subprocess.SubprocessError) as e:
        _remove(tmp)
        raise BuildError(f"cannot run clang: {e}") from None
    if r.returncode != 0:
        _remove(tmp)                # clang deletes its output on failure: that is no error
        errors = "\n".join(r.stderr.strip().splitlines()[:20])
        raise BuildError(f"clang failed: {first_error(r.stderr)}\n({' '.join(cmd)})\n{errors}")
    os.replace(tmp, obj)            # atomic: a concurrent build sees the old or the new
    return obj
