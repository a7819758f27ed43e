"""Atomic file replacement: a reader sees the old file or the new one, never half of either."""

from __future__ import annotations

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


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder and a rename."""
    path = Path(path)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        _fsync_and_replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def atomic_update(path: Path, mutate: Callable[[Path], None]) -> None:
    """Copy ``path``, let ``mutate`` change the copy, then rename it over the original.

    A crash or an exception in ``mutate`` leaves the original untouched.
    """
    path = Path(path)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        shutil.copyfile(path, tmp)
        mutate(tmp)
        _fsync_and_replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
