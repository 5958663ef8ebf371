"""``lib/vsprintf.c``: the kernel's printf -- here ``bstr_printf()``, which formats the
arguments ``bpf_bprintf_prepare()`` packed, and what it calls.

The kernel file's header: "vsprintf.c -- Lars Wirzenius & Linus Torvalds."  Only what a
``bpf_seq_printf`` format can reach is mirrored: ``number()`` and ``string()`` for the
flags ``0 + - space`` and a width, ``%p`` hashed (:func:`ptr_to_hashval`), ``%pK``,
``%px``, ``%ps``/``%pS``/``%pB`` as bare addresses (the emulator has no kernel
symbols) and the IPv4/IPv6 strings of ``%pI4 %pi4 %pI6 %pi6``.

Example::

    >>> from cgiter_edu.kernel.vsprintf import bstr_printf
    >>> bstr_printf(b"%05d|%-3x|", [42, 255])
    b'00042|ff |'
"""

from __future__ import annotations

import hashlib

from .config import DEFAULT, KernelConfig
from .ctype import isalnum

#: lib/vsprintf.c: what a field width is clamped to
FIELD_WIDTH_MAX = (1 << 23) - 1


def _snprintf(s: bytes, size: int) -> tuple[int, bytes]:
    """``snprintf(buf, size, ...)``: what lands in ``buf`` (at most ``size - 1`` bytes),
    and the return value (the full length)."""
    return len(s), s[:max(size - 1, 0)]


def _symbol(value: int) -> bytes:
    """``%ps``/``%pS``/``%pB`` of an address with no kernel symbol: ``0x`` and hex (the
    emulator has no kernel symbols, so every address is one)."""
    return b"0x%x" % value


def _ip_string(conv: str, raw: bytes) -> bytes:
    """``%pI4 %pi4 %pI6 %pi6`` (lib/vsprintf.c ip4_addr_string/ip6_addr_string)."""
    if conv == "I4":
        return b".".join(b"%d" % b for b in raw)
    if conv == "i4":
        return b".".join(b"%03d" % b for b in raw)
    if conv == "I6":
        return b":".join(raw[i:i + 2].hex().encode() for i in range(0, 16, 2))
    return raw.hex().encode()


def ptr_to_hashval(value: int) -> int:
    """``__ptr_to_hashval()`` (lib/vsprintf.c) stand-in: what plain ``%p`` prints instead
    of an address.  The kernel prints ``siphash_1u64(ptr, key) & 0xffffffff`` with a key
    drawn at boot, which nobody outside the kernel knows; the emulator prints a keyed
    BLAKE2 hash with a fixed key instead: the same shape (32 bits), the same pointer
    always gives the same value, and the address never shows.  Its digits differ from
    the kernel's, which change at every boot anyway."""
    h = hashlib.blake2b(value.to_bytes(8, "little"), digest_size=4, key=b"cgiter_edu %p")
    return int.from_bytes(h.digest(), "little")


def _number(value: int, base: int, signed: bool, upper: bool, flags: str, width: int,
            default_zeropad_width: int = 0) -> bytes:
    """``number()`` (lib/vsprintf.c) for what bpf_bprintf_prepare lets through: the sign
    and space flags only for a signed conversion, ``-`` wins over ``0``."""
    sign = b""
    if signed and value < 0:
        sign, value = b"-", -value
    elif signed and "+" in flags:
        sign = b"+"
    elif signed and " " in flags:
        sign = b" "
    digits = (b"%X" if upper else b"%x") % value if base == 16 else b"%d" % value
    if default_zeropad_width and width < 0:
        width, flags = default_zeropad_width, flags + "0"
    pad = width - len(sign) - len(digits)
    if pad <= 0:
        return sign + digits
    if "-" in flags:
        return sign + digits + b" " * pad
    if "0" in flags:
        return sign + b"0" * pad + digits
    return b" " * pad + sign + digits


def _string(s: bytes, flags: str, width: int) -> bytes:
    """``string()`` (lib/vsprintf.c): pad with spaces to the width (``0`` does not apply)."""
    if width <= len(s):
        return s
    return s + b" " * (width - len(s)) if "-" in flags else b" " * (width - len(s)) + s


def bstr_printf(fmt: bytes, bin_args: list, kernel: KernelConfig | None = None) -> bytes:
    """``bstr_printf()`` (lib/vsprintf.c): format the packed arguments, for the formats
    :func:`bpf_bprintf_prepare` accepted.

    ``%p`` prints NULL and error pointers as they are and any other pointer hashed
    (:func:`ptr_to_hashval`); ``%pK`` follows ``kernel.kptr_restrict`` (0: as ``%p``,
    1: the address, for a reader with CAP_SYSLOG such as root, 2: zeros); ``%px`` the
    address.  After a ``%p`` conversion every letter and digit is skipped (so
    ``%pI4c`` prints the address only, ``%pxyz`` the pointer only); the strings made by
    the prepare step (``%pI4``, ``%pB``) are copied without width.

    >>> bstr_printf(b"%-4d|%+d|%x", [7, 5, 255])
    b'7   |+5|ff'
    """
    kernel = kernel or DEFAULT
    fmt = fmt.split(b"\0", 1)[0]
    f = fmt + b"\0"
    out: list[bytes] = []
    args = iter(bin_args)
    i = 0
    n = len(fmt)
    while i < n:
        j = fmt.find(b"%", i)
        if j < 0:
            out.append(fmt[i:])
            break
        out.append(fmt[i:j])
        i = j + 1
        if f[i] == ord("%"):
            out.append(b"%")
            i += 1
            continue
        k = i
        while f[i] in b"0+- ":
            i += 1
        flags = fmt[k:i].decode()
        k = i
        while ord("0") <= f[i] <= ord("9"):
            i += 1
        width = min(int(fmt[k:i]), FIELD_WIDTH_MAX) if i > k else -1
        conv = chr(f[i])
        if conv == "p":
            i += 1
            ext = chr(f[i]) if isalnum(f[i]) else ""
            value = next(args)
            if ext in ("", "K", "x"):
                if ext == "x" or (ext == "K" and kernel.kptr_restrict == 1):
                    pass                                        # the address itself
                elif ext == "K" and kernel.kptr_restrict >= 2:
                    value = 0
                elif not (value == 0 or value >= (1 << 64) - 4095):   # IS_ERR_OR_NULL
                    value = ptr_to_hashval(value)
                out.append(_number(value, 16, False, False, flags, width, 16))
            elif ext in ("s", "S"):
                out.append(_string(_symbol(value), flags, width))
            else:
                out.append(value)       # %pks, %pus, %pB, %pI4...: as prepared, no width
            while isalnum(f[i]):
                i += 1
            continue
        if conv == "s":
            out.append(_string(next(args), flags, width))
        elif conv == "c":
            c = bytes([next(args)])
            out.append(_string(c, flags, width))
        else:
            size = 4
            while f[i] == ord("l"):
                size = 8
                i += 1
            conv = chr(f[i])
            value = next(args)
            signed = conv in "di"
            if signed and value >> (8 * size - 1):
                value -= 1 << (8 * size)
            out.append(_number(value, 16 if conv in "xX" else 10, signed, conv == "X",
                               flags, width))
        i += 1
    return b"".join(out)
