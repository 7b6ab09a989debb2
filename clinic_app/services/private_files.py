"""Keep the data folder private: owner-only modes, no stale copies left behind.

At start the app sets a umask that makes every new file 0600 and every new folder 0700,
repairs anything in the data folder that is readable by other accounts (and says what it
repaired), and removes what an interrupted run left: the temporary copy of a killed backup or
restore, and PDF copies written for the system's viewer. Stale copies are removed only when
no other clinic_app process is using the same data folder (a shared lock on a file in it).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import stat
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

PRIVATE_UMASK = 0o077
LOCK_FILE = ".clinic_app.lock"
VIEWER_PREFIX = "clinic_app-print-"
# What services/files.temp_beside names its temporary files: .<target name>.<random>.tmp;
# only ours (databases, backups, settings, key files) are ever swept.
_STALE_TEMP = re.compile(
    r"^(\.(clinic|settings\.json|audit|pgpass).*\.tmp(-wal|-shm|-journal)?|settings\.tmp)$"
)
# Where a folder that nobody uses may still hold a temporary file, and how deep to look.
_SWEEP_DEPTH = 1


@dataclass
class FolderReport:
    """What the start-up check found and did.

    Attributes:
        repaired: files and folders whose modes were tightened (readable by others before).
        removed: stale temporary files and viewer copies deleted.
        shared: another clinic_app process was using the data folder, so nothing was swept.
    """

    repaired: list[Path] = field(default_factory=list)
    removed: list[Path] = field(default_factory=list)
    shared: bool = False

    def lines(self) -> list[str]:
        """One line per kind of repair, for stderr or a dialog."""
        out: list[str] = []
        if self.repaired:
            shown = ", ".join(str(p) for p in self.repaired[:3])
            more = f" and {len(self.repaired) - 3} more" if len(self.repaired) > 3 else ""
            out.append(
                f"Made {len(self.repaired)} files or folders private (other accounts on this "
                f"computer could read them): {shown}{more}."
            )
        if self.removed:
            out.append(f"Removed {len(self.removed)} leftover temporary copies.")
        return out


def set_private_umask() -> None:
    """New files 0600, new folders 0700 for the rest of this process."""
    os.umask(PRIVATE_UMASK)


def posix_modes() -> bool:
    """Whether file modes mean anything here (not on Windows, where ACLs decide)."""
    return os.name == "posix"


def _tighten(path: Path, wanted: int, report: FolderReport) -> None:
    try:
        info = path.lstat()
    except OSError:
        return
    if stat.S_ISLNK(info.st_mode) or info.st_uid != os.getuid():
        return  # never follow a link out of the folder; never touch someone else's file
    if stat.S_IMODE(info.st_mode) & 0o077:
        with contextlib.suppress(OSError):
            path.chmod(wanted)
            report.repaired.append(path)


def make_private(folders: Iterable[Path], report: FolderReport) -> None:
    """Folders 0700, the files in them 0600 (one level of sub-folders: backups, replaced)."""
    if not posix_modes():
        return
    for folder in folders:
        if not folder.is_dir() or folder.is_symlink():
            continue
        _tighten(folder, 0o700, report)
        for path in _children(folder):
            if path.is_dir() and not path.is_symlink():
                _tighten(path, 0o700, report)
                for inner in _children(path):
                    if inner.is_file() and not inner.is_symlink():
                        _tighten(inner, 0o600, report)
            elif path.is_file() and not path.is_symlink():
                _tighten(path, 0o600, report)


def _children(folder: Path) -> list[Path]:
    try:
        return list(folder.iterdir())
    except OSError:
        return []


def is_stale_temp(path: Path) -> bool:
    """Whether a file name is one of the app's own temporary files."""
    return bool(_STALE_TEMP.match(path.name))


def sweep_stale_temps(folders: Iterable[Path], report: FolderReport) -> None:
    """Delete the app's temporary files left by a killed backup, restore or save."""
    for folder in folders:
        candidates = _children(folder)
        for child in list(candidates):
            if child.is_dir() and not child.is_symlink() and _SWEEP_DEPTH > 0:
                candidates.extend(_children(child))
        for path in candidates:
            if is_stale_temp(path) and path.is_file() and not path.is_symlink():
                with contextlib.suppress(OSError):
                    path.unlink()
                    report.removed.append(path)


def viewer_copies() -> list[Path]:
    """This account's folders of PDF copies written for the system viewer."""
    base = Path(tempfile.gettempdir())
    found: list[Path] = []
    for path in _children(base):
        if not path.name.startswith(VIEWER_PREFIX) or path.is_symlink() or not path.is_dir():
            continue
        with contextlib.suppress(OSError):
            if not posix_modes() or path.stat().st_uid == os.getuid():
                found.append(path)
    return found


def remove_viewer_copies(report: FolderReport | None = None) -> None:
    """Delete every viewer copy of this account (at start, and when the app quits)."""
    for folder in viewer_copies():
        shutil.rmtree(folder, ignore_errors=True)
        if report is not None and not folder.exists():
            report.removed.append(folder)


class FolderLock:
    """A shared lock held on the data folder for the life of the process.

    Taking it exclusively first tells whether any other clinic_app process uses the folder;
    only then are leftovers swept (a running backup's temporary file is not a leftover).
    Where there is no flock (Windows) nothing is swept.
    """

    _held: IO[bytes] | None = None

    @classmethod
    def take(cls, folder: Path) -> bool:
        """Hold the lock; True when no other process held it (leftovers may be swept)."""
        try:
            import fcntl
        except ImportError:
            return False
        cls.release()
        try:
            handle = (folder / LOCK_FILE).open("ab")
        except OSError:
            return False
        alone = True
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            alone = False
        # Downgrade (or take) the shared lock that other processes will test against.
        fcntl.flock(handle.fileno(), fcntl.LOCK_SH)
        cls._held = handle
        return alone

    @classmethod
    def release(cls) -> None:
        """Let go (tests; the process's exit also lets go)."""
        if cls._held is not None:
            cls._held.close()
            cls._held = None


def prepare_data_folder(
    data_dir: Path, other_folders: Iterable[Path] = (), *, sweep_viewer: bool = True
) -> FolderReport:
    """The start-up check of an existing data folder: modes repaired, leftovers swept.

    Args:
        data_dir: the data folder (it must exist).
        other_folders: a backup folder kept elsewhere, also made private and swept.
        sweep_viewer: also delete old viewer copies of PDFs (the window's start does).
    """
    report = FolderReport()
    folders = [data_dir, *(f for f in other_folders if f != data_dir)]
    make_private(folders, report)
    if FolderLock.take(data_dir):
        sweep_stale_temps(folders, report)
        if sweep_viewer:
            remove_viewer_copies(report)
    else:
        report.shared = True
    return report
