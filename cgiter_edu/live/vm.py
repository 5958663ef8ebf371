"""The live backend inside a VM of another kernel: Linux 6.1 or 6.12 booted in QEMU.

The emulator is checked against the kernel it runs on; to check it against the kernels
people run (the 6.1 and 6.12 LTS series), a Debian kernel image is booted under
`virtme-ng <https://github.com/arighi/virtme-ng>`_ (``vng``): the guest sees this
machine's file system read-only (Python, this package, clang, libbpf), is root, has
cgroup v2 at ``/sys/fs/cgroup`` and BTF, and runs the *same* live backend as the host
(the BPF program, the mirror, the comparison) on its own kernel.  Inside, the
emulator side is :func:`~cgiter_edu.live.cases.machine_kernel`, the ``KernelConfig``
of the booted release.

There is no KVM in nested VMs like these (``-cpu host`` fails to set an MSR), so the
guest runs under QEMU's TCG, an instruction-by-instruction emulator: boot takes about
30 s, and Python code in the guest runs 10 to 40 times slower than on the host (see the
README's CI figures).

* :func:`kernel_images` / :func:`find_image` -- the images in ``/boot``
  (``apt-get install linux-image-6.1.0-NN-amd64-unsigned``)
* :func:`run_in_vm` -- a command in the guest; its output and exit code
* :func:`python_argv` -- a ``cgiter-edu`` command line for :func:`run_in_vm`

Example (root, qemu-system-x86, virtme-ng, a kernel image)::

    >>> from cgiter_edu.live import vm
    >>> img = vm.find_image("6.12")                                  # doctest: +SKIP
    >>> r = vm.run_in_vm(img, vm.python_argv("live", "--order", "post"))  # doctest: +SKIP
    >>> r.returncode, r.release                                      # doctest: +SKIP
    (0, '6.12.117+deb12-amd64')
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .errors import LiveError

#: Debian's kernel images; ``vmlinuz-<release>``
BOOT = Path("/boot")
#: the marker line the guest prints first: the release it booted
RELEASE_MARK = "cgiter-edu-vm-release:"
#: Debian's package of each series' kernel image: (name, apt-cache search pattern)
IMAGE_PACKAGES = {
    "6.1": ("linux-image-6.1.0-NN-amd64-unsigned", "'^linux-image-6\\.1\\.0-.*-amd64-unsigned'"),
    "6.12": ("linux-image-6.12.NN+debNN-amd64-unsigned",
             "'^linux-image-6\\.12\\..*-amd64-unsigned'"),
}


def apt_hint(series: str = "6.1") -> str:
    """What to install to boot Linux ``series`` in a VM: QEMU, busybox, that series'
    Debian kernel image, virtme-ng.

    >>> "linux-image-6.12." in apt_hint("6.12") and "6.1.0" not in apt_hint("6.12")
    True
    """
    name, pattern = IMAGE_PACKAGES.get(series, IMAGE_PACKAGES["6.1"])
    return (f"apt-get install -y qemu-system-x86 busybox-static {name} (see apt-cache "
            f"search {pattern}); pip install virtme-ng")


#: what the install hint says (the 6.1 image; :func:`apt_hint` for another series)
APT_HINT = apt_hint("6.1")


@dataclass(frozen=True)
class KernelImage:
    """A bootable kernel image: ``path`` and ``release`` (``uname -r`` once booted)."""

    path: Path
    release: str

    @property
    def series(self) -> str:
        """``"6.1"`` for ``6.1.0-56-amd64``, ``"6.12"`` for ``6.12.117+deb12-amd64``."""
        from .. import KernelConfig

        return KernelConfig.preset(self.release).name

    @property
    def version(self) -> tuple[int, ...]:
        """The numbers of the release, for sorting (``(6, 12, 117)``; Debian's 6.1 ABI
        number ``6.1.0-56`` sorts as ``(6, 1, 0, 56)``)."""
        return tuple(int(x) for x in re.findall(r"\d+", self.release.split("+")[0])[:4])


def kernel_images(boot: str | os.PathLike = BOOT) -> list[KernelImage]:
    """Every ``vmlinuz-*`` in ``boot``, oldest first.

    >>> all(isinstance(k, KernelImage) for k in kernel_images())
    True
    """
    out = []
    for p in Path(boot).glob("vmlinuz-*"):
        if p.is_file():
            out.append(KernelImage(p, p.name[len("vmlinuz-"):]))
    return sorted(out, key=lambda k: k.version)


def find_image(series: str, boot: str | os.PathLike = BOOT) -> KernelImage | None:
    """The newest image of ``series`` (``"6.1"``, ``"6.12"``), or None."""
    found = [k for k in kernel_images(boot) if k.series == series]
    return found[-1] if found else None


def image(path_or_series: str) -> KernelImage:
    """A :class:`KernelImage` from a path (``/boot/vmlinuz-6.1.0-56-amd64``) or a
    series (``6.1``: the newest in ``/boot``); :class:`LiveError` if there is none."""
    p = Path(path_or_series)
    if p.is_file():
        name = p.name
        release = name[len("vmlinuz-"):] if name.startswith("vmlinuz-") else name
        return KernelImage(p, release)
    if re.fullmatch(r"\d+\.\d+", path_or_series):
        k = find_image(path_or_series)
        if k is not None:
            return k
        raise LiveError(f"no Linux {path_or_series} image in {BOOT} (fix: "
                        f"{apt_hint(path_or_series)})")
    raise LiveError(f"--kernel-image {path_or_series}: no such file (a kernel image such as "
                    f"/boot/vmlinuz-6.1.0-56-amd64, or a series such as 6.1)")


def vng() -> str | None:
    """virtme-ng's ``vng``: on PATH, or beside this Python (a venv's bin/)."""
    found = shutil.which("vng")
    if found:
        return found
    here = Path(sys.executable).parent / "vng"
    return str(here) if here.exists() else None


def why_not(img: KernelImage | None = None) -> str | None:
    """Why a VM cannot be booted here (one line with the fix), or None."""
    if not sys.platform.startswith("linux"):
        return "not Linux"
    # each names what is missing only (the image was found: no image package to install)
    if vng() is None:
        return ("virtme-ng's vng is not installed (fix: pip install -e '.[vm]' in the "
                "checkout, or pip install virtme-ng)")
    if shutil.which("qemu-system-x86_64") is None:
        return ("qemu-system-x86_64 is not installed (fix: apt-get install -y "
                "qemu-system-x86 busybox-static)")
    if img is not None and not os.access(img.path, os.R_OK):
        return f"cannot read the kernel image {img.path} (fix: run as root)"
    return None


def python_argv(*cli_args: str) -> list[str]:
    """``cgiter-edu <cli_args>`` run by this very Python (the guest sees the host's
    file system, so a venv works there too)."""
    return [sys.executable, "-m", "cgiter_edu.cli", *cli_args]


@dataclass
class VmRun:
    """What a command in the guest did: ``returncode`` (the command's), ``stdout``,
    ``stderr``, ``release`` (the guest's ``uname -r``; empty if it never booted) and
    ``seconds`` (boot included)."""

    image: KernelImage
    argv: list[str]
    returncode: int
    stdout: str
    stderr: str
    release: str
    seconds: float

    @property
    def booted(self) -> bool:
        """The guest ran the command (it printed its release first)."""
        return bool(self.release)


def run_in_vm(img: KernelImage | str, argv: Sequence[str], *,
              rwdirs: Sequence[str | os.PathLike] = (), env: dict[str, str] | None = None,
              cwd: str | os.PathLike | None = None, memory: str = "2G", cpus: int = 1,
              timeout: float = 3600, kvm: bool = False, echo: bool = False,
              boot_retries: int = 1) -> VmRun:
    """Boot ``img`` and run ``argv`` in it as root; return when the guest powers off.

    ``rwdirs``: host directories the guest may write (the rest is read-only);
    ``env``: extra environment for the command; ``cwd``: its directory (default: the
    current one).  The compiled BPF object is built on the host first and its cache
    directory handed to the guest.  ``kvm=False`` (the default) uses TCG: these
    machines are VMs themselves, where KVM does not work.  ``echo``: copy the guest's
    output to this process's stdout/stderr as it comes (else it is only returned).
    ``boot_retries``: boot again that many times when the guest never ran the command.

    Raises :class:`LiveError` when the VM cannot be started at all (no vng, no qemu,
    unreadable image); a guest that does not boot gives ``booted`` False.
    """
    from .build import build_object, cache_dir

    if not isinstance(img, KernelImage):
        img = image(img)
    problem = why_not(img)
    if problem:
        raise LiveError(f"cannot boot {img.path}: {problem}")
    env = dict(env or {})
    try:
        build_object()                               # compile here: the guest's / is read-only
    except Exception:                                # noqa: BLE001 - the guest will say why
        pass
    env.setdefault("CGITER_CACHE_DIR", str(cache_dir()))
    if os.environ.get("PYTHONPATH"):                 # the same package as here
        env.setdefault("PYTHONPATH", os.environ["PYTHONPATH"])
    env.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    env.setdefault("PYTHONUNBUFFERED", "1")
    exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in sorted(env.items()))
    script = (f"echo {RELEASE_MARK}$(uname -r); "
              f"cd {shlex.quote(str(cwd or os.getcwd()))} && "
              f"exec env {exports} {shlex.join(list(argv))}")
    cmd = [vng(), "--run", str(img.path), "--memory", memory, "--cpus", str(cpus)]
    if not kvm:
        cmd.append("--disable-kvm")
    for d in rwdirs:
        cmd += ["--rwdir", str(Path(d).resolve())]
    cmd += ["--", script]
    t0 = time.monotonic()
    try:
        for attempt in range(1 + boot_retries):
            p = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=not echo,
                               text=True, timeout=timeout) if not echo else _run_echo(cmd, timeout)
            if _release(p.stdout or "") or attempt == boot_retries:
                break
            # the guest never ran the command (seen once in a while with several VMs
            # starting at the same moment): boot it again
            time.sleep(5)
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
        err = e.stderr.decode() if isinstance(e.stderr, bytes) else (e.stderr or "")
        return VmRun(img, list(argv), 124, out, err + f"\n(timed out after {timeout:.0f} s)",
                     _release(out), time.monotonic() - t0)
    out, err = p.stdout or "", p.stderr or ""
    release = _release(out)
    lines = [ln for ln in out.splitlines() if not ln.startswith(RELEASE_MARK)]
    return VmRun(img, list(argv), p.returncode, "\n".join(lines) + ("\n" if lines else ""),
                 err, release, time.monotonic() - t0)


def _release(out: str) -> str:
    for ln in out.splitlines():
        if ln.startswith(RELEASE_MARK):
            return ln[len(RELEASE_MARK):].strip()
    return ""


def _run_echo(cmd: list[str], timeout: float) -> subprocess.CompletedProcess:
    """Run ``cmd``, copying its stdout (the release line kept back) and stderr here as
    they come; both are also returned.  (Both are pipes: QEMU reopens a file it is
    given by path, which would write over what a log file already holds.)"""
    import threading

    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    assert p.stdout is not None and p.stderr is not None
    out: list[str] = []
    err: list[str] = []

    def copy_err() -> None:
        for line in p.stderr:
            err.append(line)
            sys.stderr.write(line)
            sys.stderr.flush()

    t = threading.Thread(target=copy_err, daemon=True)
    t.start()
    killed: list[bool] = []

    def kill() -> None:
        killed.append(True)
        p.kill()

    timer = threading.Timer(timeout, kill)
    timer.start()
    try:
        for line in p.stdout:
            out.append(line)
            if not line.startswith(RELEASE_MARK):
                sys.stdout.write(line)
                sys.stdout.flush()
        p.wait()
        t.join(10)
    finally:
        timer.cancel()
    if killed:
        raise subprocess.TimeoutExpired(cmd, timeout, "".join(out), "".join(err))
    return subprocess.CompletedProcess(cmd, p.returncode, "".join(out), "".join(err))
