"""ctypes bindings to the few libbpf 1.x functions the live backend needs.

No skeleton: ``bpf_object__open_file`` -> ``bpf_object__load`` -> find the programs and
maps by name -> write the parameters into the ``.bss`` map -> ``bpf_program__attach_iter``
with a ``union bpf_iter_link_info`` -> ``bpf_iter_create(bpf_link__fd(link))``.

libbpf 1.x reports errors two ways, and both are handled here: functions returning a
pointer return NULL and set ``errno``; functions returning an int return ``-errno``.
Every failure becomes an :class:`OSError` with that errno.

Example (root, on a kernel with cgroup_iter)::

    >>> from cgiter_edu.live.build import build_object          # doctest: +SKIP
    >>> obj = BpfObject.load(build_object())                     # doctest: +SKIP
    >>> with obj.attach_iter("cgroup_id_printer", order=1) as link:   # doctest: +SKIP
    ...     fd = link.create(); os.read(fd, 4096)
    b'prologue\\n       1\\nepilogue\\n'
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno as _errno
import os
import platform
import signal
import threading
from collections.abc import Iterator, Sequence
from typing import Any

#: sonames tried in order
LIBBPF_NAMES = ("libbpf.so.1", "libbpf.so")


class LibbpfUnavailable(OSError):
    """libbpf.so.1 could not be loaded, or lacks a function the backend needs."""


class _BpfIterAttachOpts(ctypes.Structure):
    """``struct bpf_iter_attach_opts`` (libbpf.h)."""

    _fields_ = [("sz", ctypes.c_size_t),
                ("link_info", ctypes.c_void_p),
                ("link_info_len", ctypes.c_uint32)]


class _CgroupLinkInfo(ctypes.Structure):
    """The ``cgroup`` member of ``union bpf_iter_link_info`` (uapi/linux/bpf.h)."""

    _fields_ = [("order", ctypes.c_uint32),
                ("cgroup_fd", ctypes.c_uint32),
                ("cgroup_id", ctypes.c_uint64)]


class _BpfIterLinkInfo(ctypes.Union):
    """``union bpf_iter_link_info``: 16 bytes (its largest member is ``cgroup``)."""

    _fields_ = [("cgroup", _CgroupLinkInfo),
                ("_task", ctypes.c_uint32 * 3)]


#: enum libbpf_print_level
LIBBPF_WARN, LIBBPF_INFO, LIBBPF_DEBUG = 0, 1, 2

_PRINT_FN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_void_p)
#: ``ring_buffer_sample_fn``: int (*)(void *ctx, void *data, size_t size)
_RINGBUF_SAMPLE_FN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p,
                                      ctypes.c_size_t)


class _BpfTestRunOpts(ctypes.Structure):
    """``struct bpf_test_run_opts`` (libbpf's bpf.h)."""

    _fields_ = [("sz", ctypes.c_size_t), ("data_in", ctypes.c_void_p),
                ("data_out", ctypes.c_void_p), ("data_size_in", ctypes.c_uint32),
                ("data_size_out", ctypes.c_uint32), ("ctx_in", ctypes.c_void_p),
                ("ctx_out", ctypes.c_void_p), ("ctx_size_in", ctypes.c_uint32),
                ("ctx_size_out", ctypes.c_uint32), ("retval", ctypes.c_uint32),
                ("repeat", ctypes.c_int), ("duration", ctypes.c_uint32),
                ("flags", ctypes.c_uint32), ("cpu", ctypes.c_uint32),
                ("batch_size", ctypes.c_uint32)]

_lib: ctypes.CDLL | None = None
_lib_lock = threading.Lock()
_messages: list[str] = []
_print_cb: Any = None


def _signatures(lib: ctypes.CDLL) -> None:
    vp, ci, cu32, cu64 = ctypes.c_void_p, ctypes.c_int, ctypes.c_uint32, ctypes.c_uint64
    sigs: dict[str, tuple[Any, list[Any]]] = {
        "bpf_object__open_file": (vp, [ctypes.c_char_p, vp]),
        "bpf_object__load": (ci, [vp]),
        "bpf_object__close": (None, [vp]),
        "bpf_object__find_program_by_name": (vp, [vp, ctypes.c_char_p]),
        "bpf_object__find_map_by_name": (vp, [vp, ctypes.c_char_p]),
        "bpf_map__fd": (ci, [vp]),
        "bpf_map__value_size": (cu32, [vp]),
        "bpf_program__attach_iter": (vp, [vp, vp]),
        "bpf_link__fd": (ci, [vp]),
        "bpf_link__destroy": (ci, [vp]),
        "bpf_iter_create": (ci, [ci]),
        "bpf_map_update_elem": (ci, [ci, vp, vp, cu64]),
        "bpf_map_delete_elem": (ci, [ci, vp]),
        "bpf_map_lookup_elem": (ci, [ci, vp, vp]),
        "libbpf_set_print": (vp, [_PRINT_FN]),
        "bpf_program__set_autoload": (ci, [vp, ctypes.c_bool]),
        "bpf_program__fd": (ci, [vp]),
        "bpf_prog_test_run_opts": (ci, [ci, vp]),
        "ring_buffer__new": (vp, [ci, _RINGBUF_SAMPLE_FN, vp, vp]),
        "ring_buffer__consume": (ci, [vp]),
        "ring_buffer__free": (None, [vp]),
        "libbpf_major_version": (cu32, []),
        "libbpf_minor_version": (cu32, []),
    }
    for name, (res, args) in sigs.items():
        try:
            fn = getattr(lib, name)
        except AttributeError:
            raise LibbpfUnavailable(_errno.ENOSYS, f"{lib._name} has no {name}(): libbpf "
                                                   "1.0 or newer is needed") from None
        fn.restype = res
        fn.argtypes = args


def _capture(level: int, fmt: bytes | None, args: int | None) -> int:
    """libbpf's print callback: keep warnings and infos (for error reports), print
    nothing."""
    if fmt is None or level > LIBBPF_INFO:
        return 0
    text = fmt.decode("utf-8", "replace")
    if args is not None and _vsnprintf is not None:
        buf = ctypes.create_string_buffer(4096)
        _vsnprintf(buf, len(buf), fmt, args)
        text = buf.value.decode("utf-8", "replace")
    _messages.append(text.rstrip("\n"))
    del _messages[:-200]
    return 0


_vsnprintf: Any = None


def lib() -> ctypes.CDLL:
    """libbpf, loaded once, with argtypes/restype set and its printing captured.
    Raises :class:`LibbpfUnavailable` (an OSError) with a one-line reason."""
    global _lib, _print_cb, _vsnprintf
    with _lib_lock:
        if _lib is not None:
            return _lib
        errors = []
        candidates = list(LIBBPF_NAMES)
        found = ctypes.util.find_library("bpf")
        if found and found not in candidates:
            candidates.append(found)
        for name in candidates:
            try:
                lb = ctypes.CDLL(name, use_errno=True)
                break
            except OSError as e:
                errors.append(str(e))
        else:
            raise LibbpfUnavailable(_errno.ENOENT, "cannot load libbpf.so.1 (" +
                                    "; ".join(errors[:1]) + ")")
        _signatures(lb)
        if lb.libbpf_major_version() < 1:
            raise LibbpfUnavailable(_errno.ENOSYS, f"libbpf {lb.libbpf_major_version()}."
                                    f"{lb.libbpf_minor_version()} is too old: 1.0+ needed")
        # va_list reaches a C callback as a pointer on x86-64; format with vsnprintf there,
        # elsewhere keep the unformatted text
        if platform.machine() in ("x86_64", "AMD64"):
            libc = ctypes.CDLL(None)
            _vsnprintf = libc.vsnprintf
            _vsnprintf.restype = ctypes.c_int
            _vsnprintf.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p,
                                   ctypes.c_void_p]
        _print_cb = _PRINT_FN(_capture)
        lb.libbpf_set_print(_print_cb)
        _lib = lb
        return lb


def version() -> str:
    """libbpf's version, ``"1.1"``."""
    lb = lib()
    return f"{lb.libbpf_major_version()}.{lb.libbpf_minor_version()}"


def messages(last: int = 20) -> list[str]:
    """The last messages libbpf printed (verifier log lines included)."""
    return _messages[-last:]


@contextlib.contextmanager
def _signals_blocked() -> Iterator[None]:
    """Hold SIGINT/SIGTERM at the OS level during a libbpf call that may call back into
    Python (its print callback): a KeyboardInterrupt raised inside a ctypes callback is
    only printed and lost.  Delivered, as usual, once the call returned."""
    sigs = {signal.SIGINT, signal.SIGTERM}
    try:
        old = signal.pthread_sigmask(signal.SIG_BLOCK, sigs)
    except (AttributeError, OSError, ValueError):
        yield
        return
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def _err(code: int, what: str) -> OSError:
    code = abs(code) or _errno.EINVAL
    return OSError(code, f"{os.strerror(code)}: {what}")


class BpfObject:
    """A loaded BPF object file: programs by name, the ``.bss`` parameters, maps.

    Use :meth:`load`; close with :meth:`close` (or as a context manager).
    """

    def __init__(self, ptr: int, path: str) -> None:
        self._ptr = ptr
        self.path = path
        self._lock = threading.Lock()

    @classmethod
    def load(cls, path: str | os.PathLike, enable: Sequence[str] = ()) -> BpfObject:
        """Open and load an object file; OSError (with libbpf's last messages) if the
        kernel refuses it.  ``enable``: programs of ``SEC("?...")`` (not loaded by
        default) to load too, e.g. one the verifier is expected to refuse; the whole
        verifier log is then in :func:`messages`."""
        lb = lib()
        p = os.fsencode(path)
        del _messages[:]
        with _signals_blocked():
            ptr = lb.bpf_object__open_file(p, None)
            code = ctypes.get_errno()
        if not ptr:
            raise _err(code, f"bpf_object__open_file({os.fsdecode(p)}): "
                       + " | ".join(messages(3)))
        for name in enable:
            prog = lb.bpf_object__find_program_by_name(ptr, name.encode())
            if not prog:
                lb.bpf_object__close(ptr)
                raise KeyError(f"no BPF program {name!r} in {os.fsdecode(p)}")
            lb.bpf_program__set_autoload(prog, True)
        with _signals_blocked():
            ret = lb.bpf_object__load(ptr)
        if ret < 0:
            msgs = messages(8)
            lb.bpf_object__close(ptr)
            raise _err(ret, "bpf_object__load: " + " | ".join(msgs))
        return cls(ptr, os.fsdecode(p))

    def program(self, name: str) -> int:
        """The ``struct bpf_program *`` of a program (KeyError if none)."""
        self._check()
        ptr = lib().bpf_object__find_program_by_name(self._ptr, name.encode())
        if not ptr:
            raise KeyError(f"no BPF program {name!r} in {self.path}")
        return ptr

    def map_fd(self, name: str) -> tuple[int, int]:
        """(fd, value size) of a map: ``"id_map"``, or ``".bss"`` for the globals."""
        self._check()
        lb = lib()
        ptr = lb.bpf_object__find_map_by_name(self._ptr, name.encode())
        if not ptr:
            raise KeyError(f"no map {name!r} in {self.path}")
        return lb.bpf_map__fd(ptr), lb.bpf_map__value_size(ptr)

    def update(self, map_fd: int, key: bytes, value: bytes) -> None:
        """``bpf_map_update_elem(fd, key, value, BPF_ANY)``."""
        ret = lib().bpf_map_update_elem(map_fd, key, value, 0)
        if ret < 0:
            raise _err(ret, "bpf_map_update_elem")

    def lookup(self, map_fd: int, key: bytes, value_size: int) -> bytes:
        """``bpf_map_lookup_elem(fd, key, value)``: the value's bytes."""
        buf = ctypes.create_string_buffer(value_size)
        ret = lib().bpf_map_lookup_elem(map_fd, key, buf)
        if ret < 0:
            raise _err(ret, "bpf_map_lookup_elem")
        return buf.raw

    def delete(self, map_fd: int, key: bytes) -> None:
        """``bpf_map_delete_elem``; a missing key is no error."""
        ret = lib().bpf_map_delete_elem(map_fd, key)
        if ret < 0 and -ret != _errno.ENOENT:
            raise _err(ret, "bpf_map_delete_elem")

    def test_run(self, prog: str) -> int:
        """``bpf_prog_test_run_opts(bpf_program__fd(prog), &opts)`` with no data and no
        ctx (a ``SEC("syscall")`` program takes its input from globals): the program's
        return value; OSError with the kernel's errno when the run is refused."""
        lb = lib()
        fd = lb.bpf_program__fd(self.program(prog))
        opts = _BpfTestRunOpts(sz=ctypes.sizeof(_BpfTestRunOpts))
        with _signals_blocked():
            ret = lb.bpf_prog_test_run_opts(fd, ctypes.byref(opts))
        if ret < 0:
            raise _err(ret, f"bpf_prog_test_run_opts({prog})")
        return ctypes.c_int32(opts.retval).value

    def ringbuf_records(self, name: str) -> list[bytes]:
        """Every record waiting in the ``BPF_MAP_TYPE_RINGBUF`` map ``name``, oldest
        first (``ring_buffer__new`` + ``ring_buffer__consume``); they are consumed."""
        lb = lib()
        fd, _ = self.map_fd(name)
        out: list[bytes] = []

        def sample(ctx: int | None, data: int, size: int) -> int:
            out.append(ctypes.string_at(data, size))
            return 0

        cb = _RINGBUF_SAMPLE_FN(sample)
        rb = lb.ring_buffer__new(fd, cb, None, None)
        if not rb:
            raise _err(ctypes.get_errno(), f"ring_buffer__new({name})")
        try:
            ret = lb.ring_buffer__consume(rb)
        finally:
            lb.ring_buffer__free(rb)
        if ret < 0:
            raise _err(ret, f"ring_buffer__consume({name})")
        return out

    def attach_iter(self, prog: str, order: int, cgroup_fd: int = 0,
                    cgroup_id: int = 0) -> BpfLink:
        """``bpf_program__attach_iter`` with ``linfo.cgroup = {order, cgroup_fd,
        cgroup_id}``; OSError with the kernel's errno when it refuses."""
        lb = lib()
        linfo = _BpfIterLinkInfo()
        linfo.cgroup.order = order & 0xFFFFFFFF
        linfo.cgroup.cgroup_fd = cgroup_fd & 0xFFFFFFFF
        linfo.cgroup.cgroup_id = cgroup_id & 0xFFFFFFFFFFFFFFFF
        opts = _BpfIterAttachOpts(ctypes.sizeof(_BpfIterAttachOpts),
                                  ctypes.cast(ctypes.pointer(linfo), ctypes.c_void_p),
                                  ctypes.sizeof(linfo))
        p = self.program(prog)
        with _signals_blocked():
            ctypes.set_errno(0)
            link = lb.bpf_program__attach_iter(p, ctypes.byref(opts))
            code = ctypes.get_errno()
        if not link:
            code = code or _errno.EINVAL
            raise OSError(code, os.strerror(code))
        return BpfLink(link)

    def _check(self) -> None:
        if not self._ptr:
            raise ValueError("the BPF object is closed")

    def close(self) -> None:
        """``bpf_object__close``: unloads the programs and maps (links keep their
        program alive until destroyed)."""
        if self._ptr:
            lib().bpf_object__close(self._ptr)
            self._ptr = 0

    def __enter__(self) -> BpfObject:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class BpfLink:
    """A real ``struct bpf_link *`` of an iterator, held through libbpf: :meth:`create`
    makes iterator files (fds).  Not the emulator's :class:`cgiter_edu.IterLink`, which it
    stands beside."""

    def __init__(self, ptr: int) -> None:
        self._ptr = ptr

    @property
    def fd(self) -> int:
        """``bpf_link__fd``."""
        return lib().bpf_link__fd(self._ptr)

    def create(self) -> int:
        """``bpf_iter_create(bpf_link__fd(link))``: a new iterator file (a session); its
        fd, to read with ``os.read`` and close with ``os.close``."""
        if not self._ptr:
            raise ValueError("the link is destroyed")
        fd = lib().bpf_iter_create(self.fd)
        if fd < 0:
            raise _err(fd, "bpf_iter_create")
        return fd

    def destroy(self) -> None:
        """``bpf_link__destroy``: the link goes once no iterator file holds it."""
        if self._ptr:
            lib().bpf_link__destroy(self._ptr)
            self._ptr = 0

    close = destroy

    def __enter__(self) -> BpfLink:
        return self

    def __exit__(self, *exc: object) -> None:
        self.destroy()
