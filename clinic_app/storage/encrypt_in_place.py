"""Encrypt a plain SQLite database in place with SQLCipher's own ``sqlcipher_export``.

A database made before encryption existed (or by `clinic-app demo`) is plain SQLite. It is
turned into a SQLCipher file without ever leaving a half-written database behind:

1. the plain file is put in journal mode DELETE (its write-ahead log folded in) and held under
   a write lock, so nothing changes it while it is copied; a file another program holds open
   is refused, nothing done;
2. SQLCipher copies it into a new file in the same folder, encrypted under the key
   (``ATTACH ... KEY``; ``SELECT sqlcipher_export(...)``: no home-made encryption here);
3. the copy is checked: ``PRAGMA integrity_check`` and the row count of every table equal to
   the plain file's; then flushed to disk;
4. the plain file is kept under a clear name beside it (a hard link where the file system
   has them, else a checked copy), 0600;
5. the checked copy is renamed over the database (atomic), and the folder synced.

A kill at any moment leaves either the plain database (and at most a temporary file the
next start sweeps) or the encrypted one in place, both whole.

Progress: ``progress(stage, done, total)`` is called while steps 2 and 3 run ("copying": MB
of the copy written of the plain file's; "checking": 0 of 0, no measure) and may
raise Cancelled to stop: the copy is then deleted and the plain database stays as it was.
Once the copy has passed its check, the last steps run to the end.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import sqlcipher3

from clinic_app.domain.errors import Cancelled
from clinic_app.services.files import fsync_dir, fsync_file, temp_beside
from clinic_app.services.key_slots import EncryptionFailed, InPlaceReport, Progress

SIDE_FILES = ("-wal", "-shm", "-journal")
SQL_ERRORS: tuple[type[Exception], ...] = (sqlite3.Error, sqlcipher3.Error, OSError)
LOCK_TIMEOUT_S = 2.0
SPACE_MARGIN = 16 << 20
OPEN_ELSEWHERE = (
    "The database is open in another program (clinic_app on another window or computer, a "
    "database browser); close it and log in again. Nothing was changed."
)
# Windows cannot rename over a file that is open, the lock's own handle included.
OPEN_FILES_BLOCK_REPLACE = os.name == "nt"
PROGRESS_EVERY = 20_000
"""SQLite calls the progress handler every this many virtual-machine steps..."""
PROGRESS_INTERVAL_S = 0.1
"""...and progress is told at most this often."""


class _Watch:
    """SQLite's progress handler over one statement: reports progress, stops on Cancelled.

    SQLite cannot carry an exception out of its handler; the handler returns 1 instead, the
    statement stops with "interrupted", and ``check`` raises the Cancelled it caught.
    """

    def __init__(self, progress: Progress | None, stage: str, measure: Callable[[], int]):
        self._progress = progress
        self._stage = stage
        self._measure = measure
        self._next = 0.0
        self.cancelled: Cancelled | None = None

    def tell(self, total: int) -> int:
        """Report now; the handler's return value (1: stop)."""
        if self._progress is None:
            return 0
        try:
            self._progress(self._stage, self._measure(), total)
        except Cancelled as exc:
            self.cancelled = exc
            return 1
        return 0

    def handler(self, total: int) -> Callable[[], int]:
        def on_step() -> int:
            now = time.monotonic()
            if now < self._next:
                return 0
            self._next = now + PROGRESS_INTERVAL_S
            return self.tell(total)

        return on_step

    def check(self) -> None:
        """Raise the Cancelled the handler caught, if any."""
        if self.cancelled is not None:
            raise self.cancelled

    @contextlib.contextmanager
    def over(self, conn: sqlite3.Connection, total: int) -> Iterator[None]:
        """Report once, then while the statements inside run; raise Cancelled to stop."""
        if self.tell(total):
            self.check()
        conn.set_progress_handler(self.handler(total), PROGRESS_EVERY)
        try:
            yield
        except sqlcipher3.OperationalError:
            self.check()  # "interrupted" by the handler: Cancelled, not a failure
            raise
        finally:
            conn.set_progress_handler(None, 0)
        self.check()


def _megabytes(path: Path) -> int:
    try:
        return path.stat().st_size >> 20
    except OSError:
        return 0


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _key_pragma(key: bytes) -> str:
    return f"\"x'{key.hex()}'\""


def table_counts(conn: sqlite3.Connection) -> dict[str, int]:
    """Rows per table (every table but SQLite's own)."""
    names = [
        str(r[0])
        for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name"
        ).fetchall()
    ]
    return {n: int(conn.execute(f"SELECT count(*) FROM {_quote(n)}").fetchone()[0]) for n in names}


def _failed(why: str) -> EncryptionFailed:
    return EncryptionFailed(f"The records could not be encrypted ({why}); nothing was changed.")


def _explain(exc: BaseException) -> str:
    text = str(exc)
    lowered = text.lower()
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return "the disk is full"
    if "full" in lowered and ("disk" in lowered or "database" in lowered):
        return "the disk is full"
    if isinstance(exc, OSError):
        return exc.strerror or text
    return text


def _check_space(path: Path) -> None:
    """Refuse at once when the folder cannot hold the encrypted copy beside the plain file."""
    needed = path.stat().st_size + SPACE_MARGIN
    try:
        free = shutil.disk_usage(path.parent).free
    except OSError:
        return  # unknown: SQLite reports a full disk itself
    if free < needed:
        raise _failed(
            f"the disk is full: about {needed >> 20} MB must be free beside the database, "
            f"{free >> 20} MB are"
        )


def _lock(path: Path) -> sqlite3.Connection:
    """The plain file in journal mode DELETE, held under a write lock (nobody else writes)."""
    conn: sqlite3.Connection = sqlcipher3.connect(
        str(path), timeout=LOCK_TIMEOUT_S, isolation_level=None
    )
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        mode = str(conn.execute("PRAGMA journal_mode=DELETE").fetchone()[0]).lower()
        if mode != "delete":
            # Leaving WAL mode needs the only connection: another one is open.
            raise EncryptionFailed(OPEN_ELSEWHERE)
        conn.execute("BEGIN IMMEDIATE")
    except sqlcipher3.OperationalError:
        conn.close()
        raise EncryptionFailed(OPEN_ELSEWHERE) from None
    except BaseException:
        conn.close()
        raise
    return conn


def _export(path: Path, target: Path, key: bytes, progress: Progress | None = None) -> None:
    """SQLCipher copies the plain file into target, encrypted under key."""
    watch = _Watch(progress, "copying", lambda: _megabytes(target))
    conn = sqlcipher3.connect(str(path), isolation_level=None)
    try:
        conn.execute(f"ATTACH DATABASE ? AS encrypted KEY {_key_pragma(key)}", (str(target),))
        with watch.over(conn, max(_megabytes(path), 1)):
            conn.execute("SELECT sqlcipher_export('encrypted')").fetchall()
        version = int(conn.execute("PRAGMA main.user_version").fetchone()[0])
        conn.execute(f"PRAGMA encrypted.user_version = {version}")
        conn.execute("DETACH DATABASE encrypted")
    finally:
        conn.close()


def _verify(
    target: Path, key: bytes, expected: dict[str, int], progress: Progress | None = None
) -> None:
    """The encrypted copy opens with key, passes integrity_check and holds every row."""
    watch = _Watch(progress, "checking", lambda: 0)  # no count to show: a moving bar
    conn = sqlcipher3.connect(str(target), isolation_level=None)
    try:
        conn.execute("PRAGMA cipher_log_level = NONE")
        conn.execute(f"PRAGMA key = {_key_pragma(key)}")
        with watch.over(conn, 0):
            problems = [str(r[0]) for r in conn.execute("PRAGMA integrity_check").fetchall()]
            found = table_counts(conn)
    finally:
        conn.close()
    if problems != ["ok"]:
        raise _failed(f"the encrypted copy failed its check: {'; '.join(problems[:2])}")
    if found != expected:
        differ = sorted(t for t in set(found) | set(expected) if found.get(t) != expected.get(t))
        shown = ", ".join(
            f"{t} {found.get(t, 'missing')} instead of {expected.get(t, 'none')}"
            for t in differ[:3]
        )
        raise _failed(f"the encrypted copy does not hold every row: {shown}")


def _keep_original(path: Path, kept: Path, expected: dict[str, int]) -> None:
    """The plain file under its kept name: a second name for the same file, else a copy.

    The copy (where the file system has no hard links: FAT, some network drives) is made
    with SQLite's backup API over a connection of the same SQLite as the lock, never by
    opening the file beside SQLite (closing such a handle would drop the lock; SQLite keeps
    its own handles open while a lock is held), and its row counts are checked.
    """
    kept.unlink(missing_ok=True)
    try:
        os.link(path, kept)
    except OSError:
        temp = temp_beside(kept)
        try:
            source: sqlite3.Connection = sqlcipher3.connect(str(path), isolation_level=None)
            copy: sqlite3.Connection = sqlcipher3.connect(str(temp), isolation_level=None)
            try:
                source.backup(copy)
                copy.execute("PRAGMA journal_mode=DELETE")
                found = table_counts(copy)
            finally:
                copy.close()
                source.close()
            if found != expected:
                raise _failed("the copy of the unencrypted file does not hold every row")
            fsync_file(temp)
            os.replace(temp, kept)
        finally:
            temp.unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        kept.chmod(0o600)


def _remove_side_files(path: Path) -> None:
    for side in SIDE_FILES:
        # Whatever belonged to the plain file must never be replayed into the new one.
        with contextlib.suppress(OSError):
            path.with_name(path.name + side).unlink(missing_ok=True)


def encrypt_in_place(
    path: Path, key: bytes, kept: Path, progress: Progress | None = None
) -> InPlaceReport:
    """Encrypt the plain SQLite file at path under key; keep the plain file as kept.

    No connection of this process may be open on path (the caller disposes its engine).
    Raises EncryptionFailed in one sentence, or Cancelled (progress raised it), with the plain
    database untouched and in place (no temporary file, no kept copy left).
    """
    started = time.monotonic()
    _check_space(path)
    lock = _lock(path)
    temp: Path | None = None
    swapped = False
    try:
        try:
            plain_problems = [str(r[0]) for r in lock.execute("PRAGMA quick_check").fetchall()]
            if plain_problems != ["ok"]:
                raise _failed(f"the unencrypted file is damaged: {plain_problems[0]}")
            expected = table_counts(lock)
            temp = temp_beside(path, ".encrypting.tmp")
            temp.unlink()  # SQLCipher makes the file itself
            _export(path, temp, key, progress)
            _verify(temp, key, expected, progress)
            fsync_file(temp)
            _keep_original(path, kept, expected)
            if OPEN_FILES_BLOCK_REPLACE:
                lock.close()
            os.replace(temp, path)
            swapped, temp = True, None
            _remove_side_files(path)
            fsync_dir(path.parent)
        except EncryptionFailed:
            raise
        except SQL_ERRORS as exc:
            raise _failed(_explain(exc)) from None
    except BaseException:
        if not swapped:
            kept.unlink(missing_ok=True)
        raise
    finally:
        lock.close()
        if temp is not None:
            for name in (temp, *(temp.with_name(temp.name + s) for s in SIDE_FILES)):
                name.unlink(missing_ok=True)
    return InPlaceReport(
        tables=len(expected), rows=sum(expected.values()), seconds=time.monotonic() - started
    )
