"""Can the live backend run here?  If not, the true cause and its fix, in one line each.

:func:`available` checks, in the order a failure would show: Linux, root, a writable
cgroup v2 mount, clang, libbpf (the library), BTF with ``struct bpf_iter__cgroup`` in
it, compiling ``cgroup_iter.bpf.c`` (which needs libbpf's *headers* and a cache
directory to write to), and the kernel loading it.  Each failure has its own reason and
fix, checked for real by tests/test_live.py (headers hidden, cgroup2 unmounted or
read-only, capabilities dropped, BTF hidden, a read-only cache, not root).

The backend pins nothing in bpffs (``/sys/fs/bpf``): a missing or read-only bpffs does
not matter and is not checked.

Example::

    >>> a = available()
    >>> isinstance(a.ok, bool) and (a.ok or bool(a.reason and a.fix))
    True
"""

from __future__ import annotations

import errno
import os
import platform
import sys
from dataclasses import dataclass

from .errors import LiveError

#: what installs clang, its BPF target and libbpf (library and headers) on Debian/Ubuntu
APT = "apt-get install -y clang llvm libbpf-dev"
#: the file that says the kernel has BTF
VMLINUX_BTF = "/sys/kernel/btf/vmlinux"


@dataclass(frozen=True)
class Availability:
    """Whether the live backend can run here: truthy when ``ok``.

    Parameters
    ----------
    ok : bool
        It can.
    reason : str
        Why not, in one line.
    fix : str
        What to do about it.

    Examples
    --------
    >>> str(Availability(False, "not root", "run as root"))
    'not root (fix: run as root)'
    """

    ok: bool
    reason: str = ""
    fix: str = ""

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        return "available" if self.ok else f"{self.reason} (fix: {self.fix})"


_cached: Availability | None = None


def available(refresh: bool = False) -> Availability:
    """Whether the live backend can run in this process (root, cgroup v2, BPF...).

    Never raises: a check that fails unexpectedly is a "no" saying so.

    Parameters
    ----------
    refresh : bool, default False
        Ask again instead of giving the cached answer.

    Returns
    -------
    Availability
        Truthy when it can; else the reason and the fix.

    Examples
    --------
    >>> a = available(); bool(a) or print(a)            # doctest: +SKIP
    True
    """
    global _cached
    if _cached is not None and not refresh:
        return _cached
    try:
        _cached = check()
    except Exception as e:          # noqa: BLE001 - never a traceback for "can it run here?"
        _cached = Availability(False, f"unexpected {type(e).__name__}: {e}",
                               "report it, with this message")
    return _cached


def require() -> None:
    """Raise :class:`LiveError` with the reason and the fix unless :func:`available`."""
    a = available()
    if not a:
        raise LiveError(f"the live backend cannot run here: {a.reason} (fix: {a.fix})")


def no(reason: str, fix: str) -> Availability:
    """A negative answer."""
    return Availability(False, reason, fix)


def check() -> Availability:
    """Every check, uncached (see the module doc)."""
    if not sys.platform.startswith("linux"):
        return no(f"not Linux ({platform.system() or sys.platform}): cgroup_iter is a "
                  "Linux BPF iterator", "run on Linux 6.1 or newer")
    if os.geteuid() != 0:
        return no("not root: loading BPF programs and creating cgroups need it",
                  'run as root; from a venv: sudo "$(command -v cgiter-edu)" live ... '
                  "(plain `sudo cgiter-edu` loses the venv's PATH)")
    from ..shapes import cgroup2_mount

    try:
        mnt = cgroup2_mount()
    except OSError:
        return no("no cgroup v2 mount in /proc/self/mountinfo (a cgroup v1-only host?)",
                  "mkdir -p /sys/fs/cgroup/unified && mount -t cgroup2 none "
                  "/sys/fs/cgroup/unified")
    if not os.access(mnt, os.W_OK):
        return no(f"the cgroup v2 mount {mnt} is read-only (cgroups cannot be created there)",
                  f"mount -o remount,rw {mnt}, or in a container run it with --privileged "
                  "(or a writable cgroup namespace)")
    from .build import BuildError, CacheError, build_object, clang

    if clang() is None:
        return no("clang is not on PATH (it compiles the BPF program)", APT)
    from . import libbpf

    try:
        libbpf.lib()
    except OSError as e:
        return no(f"libbpf: {e.strerror or e}", APT)
    release = os.uname().release
    if not os.path.exists(VMLINUX_BTF):
        return no(f"this kernel ({release}) has no BTF ({VMLINUX_BTF}), which the CO-RE "
                  "program needs", "boot a kernel built with CONFIG_DEBUG_INFO_BTF=y (most "
                  "distribution kernels are)")
    if not kernel_has_cgroup_iter():
        return no(f"this kernel ({release}) has no cgroup_iter (struct bpf_iter__cgroup is "
                  "not in its BTF)", "boot Linux 6.1 or newer (CONFIG_BPF_SYSCALL, "
                  "CONFIG_CGROUPS)")
    try:
        build_object()
    except CacheError as e:
        return no(f"cannot compile the BPF program: {e.strerror}",
                  "set CGITER_CACHE_DIR to a writable directory (or make $XDG_CACHE_HOME, "
                  "~/.cache by default, writable)")
    except BuildError as e:
        return _build_failed(str(e))
    from .bpf_object import Backend

    try:
        Backend.get()
    except (OSError, LiveError) as e:
        return _load_failed(e)
    return Availability(True)


def _build_failed(text: str) -> Availability:
    """clang ran and failed: say which part is missing."""
    first = text.splitlines()[0]
    if "file not found" in text and ("bpf/bpf_helpers.h" in text or "bpf/bpf_" in text):
        return no("libbpf's C headers are missing (clang: 'bpf/bpf_helpers.h' file not "
                  "found); the libbpf library alone, as iproute2 brings it, is not enough",
                  "apt-get install -y libbpf-dev (Fedora: dnf install libbpf-devel)")
    if "No available targets" in text or "unknown target" in text.lower():
        return no(f"this clang cannot compile for BPF ({first})",
                  "install Debian's clang and llvm (apt-get install -y clang llvm), which "
                  "have the BPF target")
    return no(f"cannot compile the BPF program: {first}", APT)


def _load_failed(e: BaseException) -> Availability:
    """The kernel (or libbpf) refused to load the program: EPERM and ENOSYS have their
    own causes; the rest points at the verifier's words."""
    msg = str(e).splitlines()[0][:300]
    code = getattr(e, "errno", None)
    if code in (errno.EPERM, errno.EACCES):
        return no("not allowed to load BPF programs (EPERM) although root: this process "
                  "lacks CAP_BPF/CAP_SYS_ADMIN (a container, or capabilities dropped)",
                  "run with all capabilities: docker run --privileged (or --cap-add "
                  "SYS_ADMIN --cap-add BPF --cap-add PERFMON)")
    if code == errno.ENOSYS:
        return no("this kernel has no bpf() system call (CONFIG_BPF_SYSCALL is off)",
                  "boot a kernel with CONFIG_BPF_SYSCALL=y (any distribution kernel)")
    return no(f"the kernel refused the BPF program: {msg}",
              "check dmesg and the verifier's log above; report it with this message")


def kernel_has_cgroup_iter() -> bool:
    """``struct bpf_iter__cgroup`` is in this kernel's BTF (so cgroup_iter exists)."""
    try:
        with open(VMLINUX_BTF, "rb") as f:
            return b"\0bpf_iter__cgroup\0" in f.read()
    except OSError:
        return False
