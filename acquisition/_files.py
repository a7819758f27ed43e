"""Atomic file replacement: a reader sees the old file or the new one, never half of either."""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

__all__ = ["atomic_update", "atomic_write_text"]


def _fsync_and_replace(tmp: Path, path: Path) -> None:
    """Give ``tmp`` the permissions ``path`` has (or umask defaults for a new file), then swap it in."""
    if path.exists():
        shutil.copymode(path, tmp)
    else:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
    with open(tmp, "rb+") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _target(path: Path) -> Path:
    """The file a replacement must land in: a symlink's target (the link stays a link), refusing what a rename
    would break (a device such as ``/dev/stdout``, a folder) and a read-only file.

    Raises:
        OSError: not a regular file, or no write permission bit set.
    """
    path = Path(path).resolve()
    if path.exists():
        if not path.is_file():
            raise OSError(errno.EINVAL, "not a regular file", str(path))
        if not path.stat().st_mode & 0o222:
            raise PermissionError(errno.EACCES, "read-only file", str(path))
    return path


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder and a rename.

    Raises:
        OSError: ``path`` is not a regular file, is read-only, or cannot be written.
    """
    path = _target(path)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        _fsync_and_replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def atomic_update(path: Path, mutate: Callable[[Path], object], *, copy: bool = True) -> None:
    """Copy ``path``, let ``mutate`` change the copy, then rename it over the original (through a symlink, onto
    its target). With ``copy=False`` the temporary file starts empty and ``mutate`` writes all of it (reading
    the original itself).

    A crash or an exception in ``mutate`` leaves the original untouched.

    Raises:
        OSError: ``path`` is not a regular file, is read-only, or cannot be written.
    """
    path = _target(path)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        if copy:
            shutil.copyfile(path, tmp)
        mutate(tmp)
        _fsync_and_replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
