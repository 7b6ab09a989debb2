"""Durable file writes: a new file appears whole or not at all.

Every file the app writes for the user (a PDF, the settings, a backup) goes through a
temporary file in the target's own folder, is flushed to disk, then renamed over the target;
the folder is synced so the rename survives a power cut. On any failure the temporary file is
removed and the target is untouched.
"""

from __future__ import annotations

import os
import tempfile
from contextlib import suppress
from pathlib import Path


def temp_beside(path: Path, suffix: str = ".tmp") -> Path:
    """A new, empty, private file in path's folder, named after path (raises OSError)."""
    handle, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=suffix)
    os.close(handle)
    return Path(name)


def fsync_file(path: Path) -> None:
    """Flush a written file's data to disk."""
    with path.open("rb") as fh:
        os.fsync(fh.fileno())


def fsync_dir(folder: Path) -> None:
    """Make a rename in folder durable (not every platform can open a folder: then skipped)."""
    with suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_atomically(path: Path, data: bytes) -> None:
    """Write data to path whole or not at all (raises OSError; no partial file is left)."""
    temp = temp_beside(path)
    try:
        with temp.open("wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temp, path)
        fsync_dir(path.parent)
    finally:
        # Gone after a successful replace; on any failure (or Ctrl-C) no partial file stays.
        temp.unlink(missing_ok=True)
