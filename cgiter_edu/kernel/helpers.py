"""``kernel/bpf/helpers.c``: the BPF helpers shared by every program type -- here
``bpf_bprintf_prepare()``, the format checker behind ``bpf_seq_printf``,
``bpf_trace_printk`` and ``bpf_snprintf``.

The kernel file's header carries only its copyright (PLUMgrid, 2011-2014).
``bpf_bprintf_prepare`` walks the format byte by byte: it refuses what ``bstr_printf``
(:mod:`.vsprintf`) must not see (a precision, ``%f``, ``%n``, unknown ``%p``
extensions, control bytes) with ``-EINVAL``, and packs the arguments -- integers
aligned to 4 bytes, strings copied with :func:`bpf_trace_copy_string` -- into a
512-byte per-CPU bounce buffer, ``-ENOSPC`` when it is full.

Example::

    >>> from cgiter_edu.kernel.helpers import bpf_bprintf_prepare
    >>> bpf_bprintf_prepare(b"%d|%s", (7, "ab")), bpf_bprintf_prepare(b"%f", (1,))
    ([7, b'ab'], -22)
"""

from __future__ import annotations

import errno

from .config import DEFAULT, KernelConfig
from .ctype import isascii, isprint, ispunct, isspace
from .maccess import strncpy_from_kernel_nofault
from .vsprintf import _ip_string, _snprintf, _symbol

#: kernel/bpf/helpers.c: MAX_BPRINTF_VARARGS
MAX_BPRINTF_VARARGS = 12

#: include/linux/bpf.h: MAX_BPRINTF_BIN_ARGS, the per-CPU bounce buffer the arguments
#: (and every string a %s copies) are packed into before formatting
MAX_BPRINTF_BIN_ARGS = 512


def _u64(arg: int | str | bytes, conv: str) -> int:
    """An argument as the 64-bit register the program passed."""
    if isinstance(arg, (str, bytes, bytearray)):
        raise TypeError(f"%{conv} takes an integer (the 64-bit register the program passes), "
                        f"not {type(arg).__name__}: a string is only read through %s, %pks "
                        "and %pus (or %pI4/%pI6 for the bytes of an address)")
    return arg & 0xFFFFFFFFFFFFFFFF


def _memory(arg: int | str | bytes) -> bytes | None:
    """What a pointer argument points to: the bytes of a str (UTF-8; a name read from the
    file system with bytes that are not UTF-8 gives those bytes back, as os.fsencode) or
    bytes; an integer is an address the emulator has no memory behind (None: reading it
    faults)."""
    if isinstance(arg, str):
        return arg.encode("utf-8", "surrogateescape")
    if isinstance(arg, (bytes, bytearray)):
        return bytes(arg)
    return None


def bpf_trace_copy_string(mem: bytes | None, fmt_ptype: str, bufsz: int) -> tuple[int, bytes]:
    """``bpf_trace_copy_string()`` (kernel/bpf/helpers.c): ``%s`` and ``%pks`` read kernel
    memory; ``%pus`` reads user memory -- and every string a BPF program holds (its stack,
    a map value: what a str stands for here) is kernel memory, so ``%pus`` faults."""
    if fmt_ptype == "u":
        return -errno.EFAULT, b""
    return strncpy_from_kernel_nofault(mem, bufsz)


def bpf_bprintf_prepare(fmt: bytes, raw_args: tuple, kernel: KernelConfig | None = None
                        ) -> int | list:
    """``bpf_bprintf_prepare()`` (kernel/bpf/helpers.c): check the format, and pack the
    arguments into the 512-byte bounce buffer (``MAX_BPRINTF_BIN_ARGS``) the way
    ``bstr_printf()`` reads them.  The character loop is the kernel's, branch for branch.

    Returns the packed arguments (one Python value per conversion), or a negative errno:
    ``-EINVAL`` for a format the kernel refuses or too few arguments, ``-ENOSPC`` when
    the bounce buffer is full (strings are copied into it: one long ``%s`` is cut at 511
    bytes, and the conversion after it finds no room).

    >>> bpf_bprintf_prepare(b"%d %s", (1, "a"))
    [1, b'a']
    >>> bpf_bprintf_prepare(b"%.2s", ("abc",)) == -errno.EINVAL     # no precision
    True
    """
    kernel = kernel or DEFAULT
    fmt = fmt.split(b"\0", 1)[0]             # fmt_end = strnchr(fmt, fmt_size, 0)
    fmt_size = len(fmt)
    f = fmt + b"\0\0\0"                       # fmt[i + 1], fmt[i + 2] may read the NUL
    num_args = len(raw_args)
    tmp_buf = 0                               # offset into bin_args
    tmp_buf_end = MAX_BPRINTF_BIN_ARGS if num_args else 0
    bin_args: list = []
    num_spec = 0
    i = 0
    while i < fmt_size:
        c = f[i]
        if kernel.bprintf_utf8:
            # b960430ea886: bytes >= 0x80 pass as text, ASCII control bytes do not
            if isascii(c) and not isprint(c) and not isspace(c):
                return -errno.EINVAL
        elif (not isprint(c) and not isspace(c)) or not isascii(c):
            return -errno.EINVAL

        if c != ord("%"):
            i += 1
            continue

        if f[i + 1] == ord("%"):             # %%
            i += 2
            continue

        if num_spec >= num_args:             # fewer arguments than conversions
            return -errno.EINVAL

        i += 1
        if kernel.bprintf_utf8 and not isascii(f[i]):
            return -errno.EINVAL

        # skip optional "[0 +-][num]" width formatting field
        while f[i] in b"0+- ":
            i += 1
        if ord("1") <= f[i] <= ord("9"):
            i += 1
            while ord("0") <= f[i] <= ord("9"):
                i += 1

        arg = raw_args[num_spec]
        fmt_ptype = ""
        if f[i] == ord("p"):
            sizeof_cur_arg = 8
            nxt = f[i + 1]
            if nxt == 0 or isspace(nxt) or ispunct(nxt):
                # plain %p; the punctuation after it is checked next, as any byte: "bpf:
                # Reject %p% format string in bprintf-like helpers" (CVE-2025-38528; 6.16,
                # 6.1.147, 6.6.100, 6.12.40) removed the i++ that skipped it unchecked
                cur_arg = _u64(arg, "p")
            elif nxt in b"ku" and f[i + 2] == ord("s"):
                fmt_ptype = chr(nxt)                      # %pks, %pus: a string
                i += 2
            elif nxt in b"KxsS":
                cur_arg = _u64(arg, "p" + chr(nxt))       # "just kernel pointers"
                i += 1
            elif nxt == ord("B"):
                # the kernel formats %pB now, with snprintf() into what is left
                ret, text = _snprintf(_symbol(_u64(arg, "pB")), tmp_buf_end - tmp_buf)
                bin_args.append(text)
                tmp_buf += ret + 1
                i += 2
                num_spec += 1
                continue
            else:
                # only support "%pI4", "%pi4", "%pI6" and "%pi6"
                if nxt not in b"iI" or f[i + 2] not in b"46":
                    return -errno.EINVAL
                i += 2
                sizeof_cur_ip = 4 if f[i] == ord("4") else 16
                if tmp_buf_end - tmp_buf < sizeof_cur_ip:
                    return -errno.ENOSPC
                mem = _memory(arg)
                if mem is None:
                    cur_ip = bytes(sizeof_cur_ip)     # copy_from_kernel_nofault failed
                elif len(mem) < sizeof_cur_ip:
                    raise ValueError(f"%p{chr(f[i - 1])}{chr(f[i])} reads {sizeof_cur_ip} "
                                     f"bytes of an address; the argument has {len(mem)}")
                else:
                    cur_ip = mem[:sizeof_cur_ip]
                ret, text = _snprintf(_ip_string(chr(f[i - 1]) + chr(f[i]), cur_ip),
                                      tmp_buf_end - tmp_buf)
                bin_args.append(text)
                tmp_buf += ret + 1
                i += 1
                num_spec += 1
                continue
            if not fmt_ptype:
                bin_args.append(cur_arg)
                err = _nocopy_fmt(tmp_buf, tmp_buf_end, sizeof_cur_arg)
                if err < 0:
                    return err
                tmp_buf = err
                num_spec += 1
                i += 1
                continue
        if f[i] == ord("s") or fmt_ptype:
            if not fmt_ptype:
                fmt_ptype = "s"
            # fmt_str: what may follow %s: the end, a space or punctuation
            nxt = f[i + 1]
            if nxt != 0 and not isspace(nxt) and not ispunct(nxt):
                return -errno.EINVAL
            if tmp_buf_end == tmp_buf:
                return -errno.ENOSPC
            mem = _memory(arg)
            err, text = bpf_trace_copy_string(mem, fmt_ptype, tmp_buf_end - tmp_buf)
            if err < 0:
                text, err = b"", 1
            bin_args.append(text)
            tmp_buf += err
            num_spec += 1
            i += 1
            continue
        if f[i] == ord("c"):
            if tmp_buf_end == tmp_buf:
                return -errno.ENOSPC
            bin_args.append(_u64(arg, "c") & 0xFF)
            tmp_buf += 1
            num_spec += 1
            i += 1
            continue

        sizeof_cur_arg = 4
        if f[i] == ord("l"):
            sizeof_cur_arg = 8
            i += 1
        if f[i] == ord("l"):
            sizeof_cur_arg = 8
            i += 1
        if f[i] not in b"iduxX":
            return -errno.EINVAL
        cur_arg = _u64(arg, chr(f[i]))
        bin_args.append(cur_arg if sizeof_cur_arg == 8 else cur_arg & 0xFFFFFFFF)
        err = _nocopy_fmt(tmp_buf, tmp_buf_end, sizeof_cur_arg)
        if err < 0:
            return err
        tmp_buf = err
        num_spec += 1
        i += 1
    return bin_args


def _nocopy_fmt(tmp_buf: int, tmp_buf_end: int, sizeof_cur_arg: int) -> int:
    """The ``nocopy_fmt:`` label: align to 4 bytes and make room for one integer or
    pointer; the new offset, or ``-ENOSPC``."""
    tmp_buf = (tmp_buf + 3) & ~3                  # PTR_ALIGN(tmp_buf, sizeof(u32))
    if tmp_buf_end - tmp_buf < sizeof_cur_arg:
        return -errno.ENOSPC
    return tmp_buf + sizeof_cur_arg


# -- kfuncs the open-coded walks call (kernel/bpf/helpers.c, Linux 6.2) -----------------

def bpf_cgroup_from_id(root: object, cgid: int) -> object | None:
    """``bpf_cgroup_from_id()`` (kernel/bpf/helpers.c): ``cgroup_get_from_id(cgid)`` --
    the cgroup with a reference the program must drop with :func:`bpf_cgroup_release`,
    or NULL (an unknown or removed id).  ``root`` is the ``struct cgroup_root``."""
    from .cgroup import cgroup_get_from_id

    cgrp = cgroup_get_from_id(root, cgid)
    if cgrp.__class__ is int:                  # IS_ERR(cgrp)
        return None
    return cgrp


def bpf_cgroup_release(cgrp: object) -> None:
    """``bpf_cgroup_release()`` (kernel/bpf/helpers.c): ``cgroup_put(cgrp)``."""
    from .cgroup import cgroup_put

    cgroup_put(cgrp)


def bpf_rcu_read_lock() -> None:
    """``bpf_rcu_read_lock()`` (kernel/bpf/helpers.c): ``rcu_read_lock()``.  Nothing to do
    in a single-threaded model; what it changes is what the verifier allows after it
    (:mod:`cgiter_edu.kernel.verifier`)."""


def bpf_rcu_read_unlock() -> None:
    """``bpf_rcu_read_unlock()`` (kernel/bpf/helpers.c): ``rcu_read_unlock()``."""
