"""Cgroup paths, names and ids as cgroupfs takes them: what ``mkdir`` in the cgroup
filesystem refuses, and with which errno.

Example::

    >>> split("/a/b"), norm("/a/"), check_name("ok")
    (('/a', 'b'), '/a', None)
    >>> try:
    ...     split("/a/..")
    ... except OSError as e:
    ...     print(e.strerror)
    File exists: cgroup name '..' is reserved
"""

from __future__ import annotations

import errno
import os
from typing import Any

__all__ = ["NAME_MAX", "check_id", "check_name", "norm", "oserror", "split"]

#: include/uapi/linux/limits.h: NAME_MAX
NAME_MAX = 255


def oserror(code: int, detail: str) -> OSError:
    """``OSError(code)`` with the errno's text and ``detail``."""
    return OSError(code, f"{os.strerror(code)}: {detail}")


def check_id(cgroup_id: Any) -> None:
    """A cgroup id: an int in ``(0, 2**64)`` (TypeError, or EINVAL)."""
    if isinstance(cgroup_id, bool) or not isinstance(cgroup_id, int):
        raise TypeError(f"a cgroup id must be an int, not {type(cgroup_id).__name__}")
    if not 0 < cgroup_id < 1 << 64:
        raise oserror(errno.EINVAL, f"cgroup id {cgroup_id} must be positive and fit in 64 bits")


def check_name(name: Any) -> None:
    """A directory name as cgroupfs takes it (``cgroup_mkdir``, ``kernfs``)."""
    if not isinstance(name, str):
        raise TypeError(f"a cgroup name must be a str, not {type(name).__name__}")
    if name == "":
        raise oserror(errno.EINVAL, "empty cgroup name")
    if "/" in name:
        raise oserror(errno.EINVAL, f"cgroup name {name!r} contains '/'")
    if name in (".", ".."):
        raise oserror(errno.EEXIST, f"cgroup name {name!r} is reserved")
    if "\n" in name:
        raise oserror(errno.EINVAL, f"cgroup name {name!r} contains a newline (cgroup_mkdir "
                                 "refuses it so /proc/<pid>/cgroup stays parsable)")
    if "\0" in name:
        raise oserror(errno.EINVAL, f"cgroup name {name!r} contains a NUL byte")
    size = len(name.encode("utf-8", "surrogateescape"))    # bytes as os.fsencode gives them
    if size > NAME_MAX:
        raise oserror(errno.ENAMETOOLONG, f"cgroup name of {size} bytes; at most "
                                       f"{NAME_MAX}")


def norm(path: Any) -> str:
    """``path`` without a trailing ``/`` (TypeError if not a str)."""
    if not isinstance(path, str):
        raise TypeError(f"a cgroup path must be a str, not {type(path).__name__}")
    if len(path) > 1 and path.endswith("/"):
        path = path.rstrip("/") or "/"
    return path


def split(path: str) -> tuple[str, str]:
    """``(parent path, name)`` of an absolute path a cgroup can be made at, or the
    errno ``mkdir`` gives (EINVAL, EEXIST, ENAMETOOLONG)."""
    p = norm(path)
    if not p.startswith("/"):
        raise oserror(errno.EINVAL, f"cgroup path {path!r} must be absolute (start with '/')")
    if p == "/":
        raise oserror(errno.EEXIST, "the root cgroup '/' always exists")
    parent, _, name = p.rpartition("/")
    if "//" in p:
        raise oserror(errno.EINVAL, f"cgroup path {path!r} has an empty component")
    check_name(name)
    return parent or "/", name
