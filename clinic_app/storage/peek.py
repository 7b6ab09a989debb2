"""Cheap looks at a SQLite file with the standard library, before SQLAlchemy is imported.

Start-up uses them to choose its first page (log-in or set-up) without loading the data layer,
and to check the whole file read-only: in the background after a clean shutdown, before
anything is opened for writing after an unclean one.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Literal

SQLITE_PREFIXES = ("sqlite+pysqlite:///", "sqlite+pysqlcipher:///", "sqlite:///")


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL, or None for any other database (or an in-memory one)."""
    for prefix in SQLITE_PREFIXES:
        if url.startswith(prefix):
            rest = url[len(prefix) :].split("?", 1)[0]
            return Path(rest) if rest and rest != ":memory:" else None
    return None


def connect(
    path: Path | str,
    key: bytes | None = None,
    *,
    read_only: bool = False,
    timeout: float = 5.0,
    isolation_level: Literal["DEFERRED", "EXCLUSIVE", "IMMEDIATE"] | None = None,
) -> sqlite3.Connection:
    """A DB-API connection to a SQLite file; with a key, through SQLCipher, keyed.

    The key is given as SQLCipher's raw key (``x'...'``), so no passphrase derivation runs:
    it is already a random 256-bit key. A wrong key shows at the first read ("file is not a
    database"). read_only opens with mode=ro: nothing is created, nothing written.
    """
    target = f"{Path(path).resolve().as_uri()}?mode=ro" if read_only else str(path)
    if key is None:
        return sqlite3.connect(
            target, uri=read_only, timeout=timeout, isolation_level=isolation_level
        )
    import sqlcipher3

    conn: sqlite3.Connection = sqlcipher3.connect(
        target, uri=read_only, timeout=timeout, isolation_level=isolation_level
    )
    conn.execute("PRAGMA cipher_log_level = NONE")
    conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
    return conn


def _read_only(path: Path, key: bytes | None = None) -> sqlite3.Connection:
    # mode=ro: nothing is created, nothing written, the journal mode left as it is.
    return connect(path, key, read_only=True)


def has_accounts(path: Path, key: bytes | None = None) -> bool | None:
    """True when the file holds at least one account, False when it holds none or is missing.

    key opens an encrypted file (a first run not finished keeps its key). None when the
    answer needs the full start-up (the file cannot be read this way, or its schema is not
    what this version knows): the caller then takes the careful path.
    """
    if not path.exists():
        return False
    try:
        conn = _read_only(path, key)
    except sqlite3.Error:
        return None
    try:
        row = conn.execute("SELECT EXISTS (SELECT 1 FROM accounts)").fetchone()
    except sqlite3.Error:
        return None
    finally:
        conn.close()
    return bool(row[0])


def is_plain(path: Path) -> bool:
    """Whether the file starts like a plain (unencrypted) SQLite database."""
    try:
        with path.open("rb") as fh:
            return fh.read(16) == b"SQLite format 3\x00"
    except OSError:
        return False


def quick_check(path: Path, key: bytes | None = None) -> list[str]:
    """PRAGMA quick_check over the whole file, read-only: [] when it is sound, else problems.

    key: the database key of an encrypted file (read when the check runs).
    """
    try:
        conn = _read_only(path, key)
        try:
            rows = [str(r[0]) for r in conn.execute("PRAGMA quick_check").fetchall()]
        finally:
            conn.close()
    except sqlite3.Error as exc:
        return [str(exc)]
    return [] if rows == ["ok"] else rows
