"""Cheap looks at a SQLite file with the standard library, before SQLAlchemy is imported.

Start-up uses them to choose its first page (log-in or set-up) without loading the data layer,
and to check the whole file read-only: in the background after a clean shutdown, before
anything is opened for writing after an unclean one.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

SQLITE_PREFIXES = ("sqlite+pysqlite:///", "sqlite:///")


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL, or None for any other database (or an in-memory one)."""
    for prefix in SQLITE_PREFIXES:
        if url.startswith(prefix):
            rest = url[len(prefix) :].split("?", 1)[0]
            return Path(rest) if rest and rest != ":memory:" else None
    return None


def _read_only(path: Path) -> sqlite3.Connection:
    # mode=ro: nothing is created, nothing written, the journal mode left as it is.
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=5)


def has_accounts(path: Path) -> bool | None:
    """True when the file holds at least one account, False when it holds none or is missing.

    None when the answer needs the full start-up (the file cannot be read this way, or its
    schema is not what this version knows): the caller then takes the careful path.
    """
    if not path.exists():
        return False
    try:
        conn = _read_only(path)
    except sqlite3.Error:
        return None
    try:
        row = conn.execute("SELECT EXISTS (SELECT 1 FROM accounts)").fetchone()
    except sqlite3.Error:
        return None
    finally:
        conn.close()
    return bool(row[0])


def quick_check(path: Path) -> list[str]:
    """PRAGMA quick_check over the whole file, read-only: [] when it is sound, else problems."""
    try:
        conn = _read_only(path)
        try:
            rows = [str(r[0]) for r in conn.execute("PRAGMA quick_check").fetchall()]
        finally:
            conn.close()
    except sqlite3.Error as exc:
        return [str(exc)]
    return [] if rows == ["ok"] else rows
