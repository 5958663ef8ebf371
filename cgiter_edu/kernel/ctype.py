"""``lib/ctype.c`` and ``include/linux/ctype.h``: the kernel's character classes.

The kernel file's header: "Ctype-like functions for Linux."  ``_ctype[]`` gives each
byte its classes -- Latin-1 above 0x9f, so 0xa0 is a space and 0xa1-0xbf are
punctuation -- and the ``is*()`` macros of ctype.h test them.  ``bpf_bprintf_prepare``
(:mod:`.helpers`) checks a format's bytes with them, ``bstr_printf`` (:mod:`.vsprintf`)
skips what follows a ``%p`` with :func:`isalnum`.

Example::

    >>> from cgiter_edu.kernel.ctype import isprint, isspace
    >>> isprint(ord("a")), isprint(0x07), isspace(0xa0)
    (True, False, True)
"""

from __future__ import annotations

# lib/ctype.c: _ctype[], the kernel's character classes (Latin-1 above 0x9f, so 0xa0 is
# a space and 0xa1-0xbf are punctuation for isspace()/ispunct())
_C, _U, _L, _D, _P, _S, _X, _SP = 0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80
_CTYPE = bytes(
    [_C] * 9 + [_C | _S] * 5 + [_C] * 18                            # 0-31
    + [_S | _SP] + [_P] * 15 + [_D] * 10 + [_P] * 7                  # 32-64
    + [_U | _X] * 6 + [_U] * 20 + [_P] * 6                           # 65-96
    + [_L | _X] * 6 + [_L] * 20 + [_P] * 4 + [_C]                    # 97-127
    + [0] * 32                                                       # 128-159
    + [_S | _SP] + [_P] * 31                                         # 160-191
    + [_U] * 23 + [_P] + [_U] * 7 + [_L]                             # 192-223
    + [_L] * 23 + [_P] + [_L] * 8)                                   # 224-255


def isascii(c: int) -> bool:
    """``isascii()`` (include/linux/ctype.h): ``c <= 0x7f``."""
    return c <= 0x7F


def isprint(c: int) -> bool:
    """``isprint()``: punctuation, letters, digits or the space (Latin-1 included)."""
    return bool(_CTYPE[c] & (_P | _U | _L | _D | _SP))


def isspace(c: int) -> bool:
    """``isspace()``: ``\\t\\n\\v\\f\\r``, the space, and 0xa0."""
    return bool(_CTYPE[c] & _S)


def ispunct(c: int) -> bool:
    """``ispunct()``: ASCII punctuation, and 0xa1-0xbf, 0xd7, 0xf7."""
    return bool(_CTYPE[c] & _P)


def isalnum(c: int) -> bool:
    """``isalnum()``: letters (Latin-1 included) and digits."""
    return bool(_CTYPE[c] & (_U | _L | _D))
