"""Writing an output file safely: the one helper every command that writes a file uses
(``record --out``, ``plot -o``, ``animate -o``, ``slides -o``).

A command writes only to a regular file (replaced) or a new path: never to a device,
a fifo, a socket or a directory (``record --out /dev/full`` as root would otherwise
replace the device node with a regular file).  The bytes go to a temporary file in the
same folder (so the final step is an atomic ``rename()`` on the same filesystem, and a
reader never sees half a file); on any error or Ctrl-C the temporary file is removed
and the old file, if there was one, is left as it was.

Example::

    >>> import os, shutil, tempfile
    >>> d = tempfile.mkdtemp()
    >>> with atomic_output(os.path.join(d, "walk.txt"), "-o") as tmp:
    ...     _ = tmp.write_text("hello")
    >>> sorted(os.listdir(d)), open(os.path.join(d, "walk.txt")).read()
    (['walk.txt'], 'hello')
    >>> shutil.rmtree(d)
    >>> with atomic_output("/dev/null", "--out") as tmp:
    ...     pass
    Traceback (most recent call last):
    ...
    cgiter_edu.clihelpers.CliError: --out /dev/null: is a character device, not a regular file; give a file name (it is replaced only if it is a regular file)
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .clihelpers import CliError

__all__ = ["atomic_dir", "atomic_output", "check_folder", "check_output", "move_into"]

_KINDS = {stat.S_IFCHR: "a character device", stat.S_IFBLK: "a block device",
          stat.S_IFIFO: "a fifo", stat.S_IFSOCK: "a socket", stat.S_IFDIR: "a directory"}


def _kind(mode: int) -> str:
    return _KINDS.get(stat.S_IFMT(mode), "not a regular file")


def check_output(path: str | os.PathLike, flag: str) -> Path:
    """The real path to write ``path`` to (a symlink to a regular file is followed), or
    a :class:`CliError` line naming ``flag`` if it is anything but a regular file or a
    new name in a folder that exists and can be written."""
    given = str(path)
    if not given:
        raise CliError(f"{flag} '': an empty name; give a file name")
    if given.endswith(os.sep) and not os.path.isdir(given):
        raise CliError(f"{flag} {given}: ends in '{os.sep}', the name of a directory; give a "
                       "file name")
    real = Path(os.path.realpath(given))
    try:
        st = os.stat(real)
    except FileNotFoundError:
        st = None
    except OSError as e:
        raise CliError(f"{flag} {given}: {e.strerror}") from None
    if st is not None and not stat.S_ISREG(st.st_mode):
        if stat.S_ISDIR(st.st_mode):
            raise CliError(f"{flag} {given}: is a directory; give a file name in it")
        raise CliError(f"{flag} {given}: is {_kind(st.st_mode)}, not a regular file; give a "
                       "file name (it is replaced only if it is a regular file)")
    if st is not None and not os.access(real, os.W_OK):
        # a rename would replace it anyway: the read-only mode that protects it is kept
        raise CliError(f"{flag} {given}: is read-only; make it writable (chmod u+w) or give "
                       "another name")
    _check_parent(given, real, flag)
    return real


def _check_parent(given: str, real: Path, flag: str) -> None:
    """The folder ``real`` (the real path of ``given``) goes in must exist and be
    writable; a symlink's is named as the folder it points into."""
    folder = real.parent
    if os.path.islink(given.rstrip(os.sep) or given):
        shown = f"{folder} (where the symlink points)"
    else:
        shown = str(Path(given).parent)
    if not folder.is_dir():
        what = "is no directory" if folder.exists() else "does not exist"
        raise CliError(f"{flag} {given}: the directory {shown} {what}")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise CliError(f"{flag} {given}: the directory {shown} cannot be written (EACCES)")


def check_folder(path: str | os.PathLike, flag: str) -> Path:
    """The real path of the folder ``path`` names (an existing folder or a new name in a
    folder that exists and can be written), or a :class:`CliError` line naming ``flag``:
    an empty name, a file, a device or a fifo in the way."""
    given = str(path)
    if not given:
        raise CliError(f"{flag} '': an empty name; give a folder name")
    real = Path(os.path.realpath(given))
    try:
        os.stat(real)
    except (FileNotFoundError, NotADirectoryError):     # the parent check says which
        pass
    except OSError as e:                # a symlink loop: ELOOP (rename said ENOTDIR of a .tmp)
        raise CliError(f"{flag} {given}: {e.strerror}") from None
    if real.exists() and not real.is_dir():
        st = os.stat(real)
        kind = "a file" if stat.S_ISREG(st.st_mode) else _kind(st.st_mode)
        raise CliError(f"{flag} {given}: is {kind}, not a folder; give a folder name")
    if real.is_dir():
        if not os.access(real, os.W_OK | os.X_OK):
            raise CliError(f"{flag} {given}: the folder cannot be written (EACCES)")
    else:
        _check_parent(given, real, flag)
    return real


def _mode_for(real: Path) -> int:
    """The mode the new file gets: the old file's, else 0666 less the umask."""
    try:
        return stat.S_IMODE(os.stat(real).st_mode)
    except OSError:
        mask = os.umask(0)
        os.umask(mask)
        return 0o666 & ~mask


@contextmanager
def atomic_output(path: str | os.PathLike, flag: str) -> Iterator[Path]:
    """A temporary path (same folder, same suffix) to write ``path``'s content to; when
    the ``with`` block ends without an exception it is renamed onto ``path``
    (atomically); otherwise (an error, Ctrl-C) it is removed and ``path`` is untouched.
    ``path`` is checked first (:func:`check_output`)."""
    real = check_output(path, flag)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{real.stem}.tmp-", suffix=real.suffix,
                                    dir=real.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        if not tmp.exists():
            raise CliError(f"{flag} {path}: nothing was written")
        os.chmod(tmp, _mode_for(real))
        check_output(path, flag)        # still a regular file or free (not made a fifo since)
        os.replace(tmp, real)
    except BaseException:
        try:
            tmp.unlink()
        except FileNotFoundError:
            pass
        raise


@contextmanager
def atomic_dir(path: str | os.PathLike, flag: str) -> Iterator[Path]:
    """A new empty folder beside ``path`` to build a folder's content in; when the block
    ends without an exception its entries are moved into ``path`` (made if missing) by
    :func:`move_into`, else the folder is removed with all it holds.  ``path`` must be a
    folder or a new name (:func:`check_folder`)."""
    real = check_folder(path, flag)
    _check_parent(str(path), real, flag)            # the staging folder goes beside it
    stage = Path(tempfile.mkdtemp(prefix=f".{real.name}.tmp-", dir=real.parent))
    try:
        yield stage
        move_into(stage, real, flag)
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def move_into(stage: Path, dest: Path, flag: str) -> None:
    """Move everything in ``stage`` into ``dest``: a new ``dest`` is ``stage`` renamed;
    into an existing one each file is renamed over its namesake (a regular file or a
    new name only, all checked before any is moved) and each folder swapped in whole."""
    if not dest.exists():
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(stage, 0o777 & ~mask)             # mkdtemp made it 0700
        os.rename(stage, dest)
        return
    entries = sorted(stage.iterdir())
    for e in entries:                               # check all before moving any
        target = dest / e.name
        if e.is_dir():
            if target.exists() and not target.is_dir():
                raise CliError(f"{flag} {dest}: {target} is in the way (not a folder)")
        else:
            check_output(target, flag)
    for e in entries:
        target = dest / e.name
        if e.is_dir() and target.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{e.name}.old-", dir=dest))
            os.rename(target, old / e.name)
            os.rename(e, target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(e, target)
