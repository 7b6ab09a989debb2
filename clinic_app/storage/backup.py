"""Whole-database backups: SQLite by its online backup API, PostgreSQL by pg_dump.

File formats (both one self-describing file):

- SQLite: a SQLite database file (journal mode DELETE, no -wal needed) holding a copy of
  every table plus a table `clinic_backup_manifest` (key, value) with the format name and
  version, app version, schema revision, creation time, backend and row counts (JSON).
- PostgreSQL: a zip archive holding `manifest.json` (the same keys) and `database.pgdump`,
  a pg_dump custom-format archive taken in the same snapshot the row counts were read in.

Every backup is written beside its destination, checked (opens, integrity check or
pg_restore --list, row counts equal the manifest, schema known), and only then renamed into
place; a copy that fails the check is deleted.
"""

from __future__ import annotations

import hmac
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
import zipfile
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlcipher3
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from clinic_app import __version__
from clinic_app.domain.account import Account, Role
from clinic_app.domain.audit import Checkpoint
from clinic_app.domain.hashing import canonical_json
from clinic_app.services.backup import BackupFailed, BackupInvalid
from clinic_app.services.files import fsync_dir, fsync_file, temp_beside
from clinic_app.services.key_slots import DatabaseKey, InPlaceReport, Progress
from clinic_app.services.keys import PracticeKey
from clinic_app.services.ports import BackupManifest
from clinic_app.storage.db import (
    SCHEMA_HEAD,
    engine_key,
    is_encrypted,
    is_sqlite,
    knows_revision,
    make_engine,
    sqlite_url,
    upgrade_schema,
)
from clinic_app.storage.peek import connect
from clinic_app.storage.rows import Base

FORMAT_NAME = "clinic_app-backup"
FORMAT_VERSION = 1
MANIFEST_TABLE = "clinic_backup_manifest"
ZIP_MANIFEST = "manifest.json"
ZIP_DUMP = "database.pgdump"
MAX_MANIFEST_BYTES = 1 << 20
AUTH_TAG = "auth_tag"
TAG_CHUNK = 1 << 20
# What a backup may hold besides the app's own tables (SQLite's sqlite_master types and
# pg_restore's table-of-contents types, lower-cased).
SAFE_OBJECT_KINDS = frozenset(
    {
        "index",
        "sequence",
        "sequence owned by",
        "sequence set",
        "default",
        "constraint",
        "fk constraint",
        "encoding",
        "stdstrings",
        "searchpath",
        "schema",
        "comment",
        "acl",
    }
)
TEMP_SPACE_MARGIN = 64 << 20
SQLITE_MAGIC = b"SQLite format 3\x00"
ZIP_MAGIC = b"PK\x03\x04"
SIDE_FILES = ("-wal", "-shm", "-journal")
# The errors of both drivers: the standard library's (plain files) and SQLCipher's.
SQL_ERRORS: tuple[type[Exception], ...] = (sqlite3.Error, sqlcipher3.Error)
SQL_DB_ERRORS: tuple[type[Exception], ...] = (sqlite3.DatabaseError, sqlcipher3.DatabaseError)
SQL_OP_ERRORS: tuple[type[Exception], ...] = (
    sqlite3.OperationalError,
    sqlcipher3.OperationalError,
)
ENCRYPTED_NEEDS_KEY = (
    "is encrypted with another practice's key, or this practice's database is not encrypted "
    "yet; restore it with its recovery key"
)
LOCK_TIMEOUT_S = 1.0
TOOL_TIMEOUT_S = 3600
PG_CLIENT_HINT = (
    "install the PostgreSQL client tools (Debian/Ubuntu package postgresql-client; Windows and "
    "macOS: the PostgreSQL installer, Postgres.app or Homebrew's libpq), or name their folder "
    "in the pg_bin_dir setting"
)
# Windows cannot replace or rename a file any program holds open, this one included: there
# the check connection is closed before the swap, and a program that opens the file in
# between makes the swap fail instead of losing its writes (as it would on POSIX).
OPEN_FILES_BLOCK_REPLACE = os.name == "nt"
OPEN_ELSEWHERE = (
    "The database is open in another program (clinic_app on this computer?); close it and "
    "try again. Nothing was replaced."
)


def open_backup_adapter(
    engine: Engine,
    pg_bin_dir: Path | None = None,
    key: PracticeKey | None = None,
    db_key: DatabaseKey | None = None,
) -> SqliteBackup | PostgresBackup:
    """The backup adapter for the engine's database (pg_bin_dir: the pg_bin_dir setting).

    With the practice key every backup written carries an authentication tag (HMAC-SHA256
    over its content) and a backup is accepted only when its tag matches. With the database
    key (an encrypted SQLite database) every backup is encrypted with it as well.
    """
    if is_sqlite(engine):
        return SqliteBackup(engine, key, db_key)
    return PostgresBackup(engine, pg_bin_dir, key)


# --------------------------------------------------------------------------- manifest


def manifest_values(manifest: BackupManifest) -> dict[str, str]:
    """The manifest as text values (stored as rows or as JSON)."""
    return {
        "format": FORMAT_NAME,
        "format_version": str(FORMAT_VERSION),
        "app_version": manifest.app_version,
        "schema_revision": manifest.schema_revision or "",
        "created_at": manifest.created_at.astimezone(UTC).isoformat(),
        "backend": manifest.backend,
        "row_counts": json.dumps(dict(sorted(manifest.row_counts.items()))),
        "audit_head": (
            manifest.audit_head.model_dump_json() if manifest.audit_head is not None else ""
        ),
    }


def manifest_from_values(values: Mapping[str, Any], name: str) -> BackupManifest:
    """Read a stored manifest; raises BackupInvalid for anything not written by clinic_app."""
    if values.get("format") != FORMAT_NAME:
        raise BackupInvalid(f"{name} is not a clinic_app backup (its manifest is not ours)")
    try:
        version = int(values.get("format_version", ""))
        counts = json.loads(values["row_counts"])
        created = datetime.fromisoformat(values["created_at"])
        manifest = BackupManifest(
            app_version=str(values["app_version"]),
            schema_revision=str(values["schema_revision"]) or None,
            created_at=created if created.tzinfo else created.replace(tzinfo=UTC),
            backend=str(values["backend"]),
            row_counts={str(k): int(v) for k, v in counts.items()},
            audit_head=(
                Checkpoint.model_validate_json(values["audit_head"])
                if values.get("audit_head")
                else None
            ),
        )
    except (KeyError, ValueError, TypeError, AttributeError, RecursionError):
        # RecursionError: JSON nested thousands deep, as a crafted file can be.
        raise BackupInvalid(f"{name} is damaged: its manifest cannot be read") from None
    if version > FORMAT_VERSION:
        raise BackupInvalid(
            f"{name} was made by a newer clinic_app ({manifest.app_version}); update the app"
        )
    return manifest


def _check_tag(
    key: PracticeKey | None, expected: str, values: Mapping[str, Any], name: str
) -> bool:
    """Compare a backup's authentication tag; True when checked, raises BackupInvalid."""
    if key is None or not key.present:
        return False
    found = values.get(AUTH_TAG)
    if not isinstance(found, str) or not found:
        raise BackupInvalid(
            f"{name} carries no authentication tag, so it cannot be shown to be this "
            "practice's unaltered backup; it is not restored"
        )
    if not hmac.compare_digest(found, expected):
        raise BackupInvalid(
            f"{name} failed its authentication check (it was altered after it was written, or "
            "it is not this practice's backup); it is not restored"
        )
    return True


def _tag_manifest(ctx: Any, values: Mapping[str, Any]) -> None:
    rest = {k: v for k, v in values.items() if k != AUTH_TAG}
    ctx.update(canonical_json(rest).encode("utf-8") + b"\n")


def _sqlite_tag(conn: sqlite3.Connection, key: PracticeKey, values: Mapping[str, Any]) -> str:
    """HMAC-SHA256 over a SQLite backup's schema, every row of every table, and its manifest.

    Rows are read in rowid order from the very file that is later checked, so the same file
    always gives the same tag; any changed, added or removed row or schema object changes it.
    """
    ctx = key.hmac()
    ctx.update(b"clinic_app backup v1 sqlite\n")
    for row in conn.execute(
        "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name"
    ):
        ctx.update(repr(tuple(row)).encode("utf-8") + b"\n")
    for table in _sqlite_tables(conn):
        ctx.update(f"table {table}\n".encode())
        for row in conn.execute(f"SELECT * FROM {_quote(table)} ORDER BY rowid"):
            ctx.update(repr(tuple(row)).encode("utf-8") + b"\n")
    _tag_manifest(ctx, values)
    return ctx.finalize().hex()


def _file_tag(path: Path, key: PracticeKey, values: Mapping[str, Any]) -> str:
    """HMAC-SHA256 over a PostgreSQL backup's manifest and its whole dump file."""
    ctx = key.hmac()
    ctx.update(b"clinic_app backup v1 postgresql\n")
    _tag_manifest(ctx, values)
    with path.open("rb") as fh:
        while chunk := fh.read(TAG_CHUNK):
            ctx.update(chunk)
    return ctx.finalize().hex()


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _temp_beside(path: Path, suffix: str = ".tmp") -> Path:
    """A new empty file in path's folder (raises BackupFailed when the folder is unusable)."""
    folder = path.parent
    if not folder.is_dir():
        raise BackupFailed(f"The folder {folder} does not exist.")
    try:
        return temp_beside(path, suffix)
    except OSError as exc:
        raise BackupFailed(f"Cannot write in {folder} ({exc.strerror or exc}).") from None


class _Checked(ABC):
    """What both adapters share: a written backup is kept only once it passes its check."""

    @abstractmethod
    def verify(self, path: Path) -> BackupManifest:
        """Open and check a backup file (each adapter its own way)."""

    def _keep_if_sound(self, temp: Path, path: Path) -> BackupManifest:
        """Flush, check, then rename the finished backup into place (durably)."""
        fsync_file(temp)
        try:
            checked = self.verify(temp)
        except BackupInvalid as exc:
            raise BackupFailed(f"The backup failed its check and was deleted: {exc}.") from None
        os.replace(temp, path)
        fsync_dir(path.parent)
        return checked


def _check_file(path: Path) -> bytes:
    """The first bytes of a file offered as a backup (raises BackupInvalid)."""
    if not path.exists():
        raise BackupInvalid(f"{path} does not exist")
    if not path.is_file():
        raise BackupInvalid(f"{path} is not a file")
    try:
        with path.open("rb") as fh:
            return fh.read(16)
    except OSError as exc:
        raise BackupInvalid(f"{path} cannot be read ({exc.strerror or exc})") from None


def _check_revision(engine: Engine, manifest: BackupManifest, name: str) -> None:
    revision = manifest.schema_revision
    if revision is not None and revision != SCHEMA_HEAD and not knows_revision(engine, revision):
        raise BackupInvalid(
            f"{name} was made by a newer clinic_app ({manifest.app_version}, schema "
            f"{revision}); update this app before restoring it"
        )


def _compare_counts(expected: Mapping[str, int], found: Mapping[str, int], name: str) -> None:
    if dict(expected) != dict(found):
        differ = sorted(t for t in set(expected) | set(found) if expected.get(t) != found.get(t))
        shown = ", ".join(
            f"{t} {found.get(t, 'missing')} instead of {expected.get(t, 'none')}"
            for t in differ[:3]
        )
        raise BackupInvalid(f"{name} is damaged: row counts do not match its manifest ({shown})")


def _account_records(rows: Sequence[Mapping[str, Any]], name: str) -> list[tuple[Account, str]]:
    """Accounts read back from a backup's accounts table (raises BackupInvalid)."""
    out: list[tuple[Account, str]] = []
    try:
        for row in rows:
            active = row["active"]
            account = Account(
                id=int(row["id"]),
                username=str(row["username"]),
                display_name=str(row["display_name"]),
                roles=frozenset(Role(r) for r in str(row["roles"]).split(",") if r),
                active=active in (True, 1, "1", "t", "true"),
            )
            out.append((account, str(row["password_hash"])))
    except (KeyError, ValueError, TypeError):
        raise BackupInvalid(f"{name} is damaged: its accounts cannot be read") from None
    return out


# --------------------------------------------------------------------------- SQLite


def _sqlite_tables(conn: sqlite3.Connection) -> list[str]:
    rows = conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "AND name != ? ORDER BY name",
        (MANIFEST_TABLE,),
    ).fetchall()
    return [str(r[0]) for r in rows]


def _sqlite_counts(conn: sqlite3.Connection) -> dict[str, int]:
    return {
        t: int(conn.execute(f"SELECT count(*) FROM {_quote(t)}").fetchone()[0])
        for t in _sqlite_tables(conn)
    }


def _sqlite_audit_head(conn: sqlite3.Connection) -> Checkpoint | None:
    """The audit chain's head in a SQLite database (None before the first entry)."""
    try:
        row = conn.execute(
            "SELECT seq, entry_hash, keyed_from FROM audit_head WHERE id = 1"
        ).fetchone()
    except SQL_OP_ERRORS:  # a schema from before the keyed chain
        try:
            row = conn.execute(
                "SELECT seq, entry_hash, NULL FROM audit_head WHERE id = 1"
            ).fetchone()
        except SQL_OP_ERRORS:
            return None
    if row is None or not row[0]:
        return None
    return Checkpoint(seq=int(row[0]), entry_hash=str(row[1]), keyed_from=row[2])


def _sqlite_revision(conn: sqlite3.Connection) -> str | None:
    if "alembic_version" not in _sqlite_tables(conn):
        return None
    row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    return str(row[0]) if row else None


def _key_literal(key: bytes | None) -> str:
    return f"\"x'{key.hex()}'\"" if key is not None else "''"


def encrypt_copy(
    source: Path, target: Path, key: bytes | None, source_key: bytes | None = None
) -> None:
    """Write a copy of a SQLite file under another key (SQLCipher's sqlcipher_export).

    Args:
        source: the file copied (plain, or encrypted with source_key).
        target: a new file (must not exist), encrypted with key (None: a plain copy).
        key: the target's raw database key.
        source_key: the source's key (None: a plain file).

    The copy is left in journal mode DELETE. Raises the driver's error; the caller removes a
    partial target.
    """
    conn = connect(source, source_key, isolation_level=None)
    try:
        conn.execute(f"ATTACH DATABASE ? AS encrypted KEY {_key_literal(key)}", (str(target),))
        conn.execute("SELECT sqlcipher_export('encrypted')").fetchall()
        version = conn.execute("PRAGMA main.user_version").fetchone()[0]
        conn.execute(f"PRAGMA encrypted.user_version = {int(version)}")
        conn.execute("DETACH DATABASE encrypted")
    finally:
        conn.close()


class SqliteBackup(_Checked):
    """Backups of the embedded SQLite database, consistent while the app is running.

    Restoring replaces the database file atomically (os.replace) and refuses while another
    connection (another clinic_app, a SQLite browser) holds the file open: leaving WAL mode
    needs the only connection, which is how an open file shows.
    """

    backend = "sqlite"
    suffix = ".sqlite3"

    def __init__(
        self, engine: Engine, key: PracticeKey | None = None, db_key: DatabaseKey | None = None
    ) -> None:
        self._engine = engine
        self._path = Path(engine.url.database or "").absolute()
        self._key = key
        self._db_key = db_key or DatabaseKey(engine_key(engine))
        self._backup_key: bytes | None = None

    @property
    def database_key(self) -> bytes | None:
        """The key the live database and its backups are encrypted with (None: plain)."""
        return self._db_key.secret

    def open_backups_with(self, key: bytes) -> None:
        """Read encrypted backups with this key instead of the database's own.

        A restore onto a new computer reads the backup with the key its recovery key gives;
        what is restored is re-keyed like the database it replaces.
        """
        self._backup_key = key

    def _open_file(self, path: Path, *, read_only: bool = True) -> sqlite3.Connection:
        """A backup file opened plain (SQLite header) or with the database key."""
        key = self._key_of(path)
        try:
            conn = connect(path, key, read_only=read_only, isolation_level=None)
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except SQL_ERRORS as exc:
            raise BackupInvalid(f"{path} cannot be opened ({exc})") from None
        return conn

    def _key_of(self, path: Path) -> bytes | None:
        """The key a backup file opens with: None (plain), the backup key or the database's.

        Raises BackupInvalid when neither opens it.
        """
        if _check_file(path).startswith(SQLITE_MAGIC):
            return None
        for key in dict.fromkeys((self._backup_key, self.database_key)):
            if key is None:
                continue
            try:
                conn = connect(path, key, read_only=True)
                try:
                    conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
                finally:
                    conn.close()
            except SQL_ERRORS:
                continue
            return key
        raise BackupInvalid(f"{path} {ENCRYPTED_NEEDS_KEY}")

    @property
    def database_path(self) -> Path:
        """The live database file."""
        return self._path

    def is_plain_file(self) -> bool:
        """Whether the live database is a plain (unencrypted) SQLite file."""
        # Asked of the engine, not by reading the header: opening and closing the file here
        # would drop the SQLite locks this process holds on it (see storage/db.py).
        if self.database_key is not None or is_encrypted(self._engine):
            return False
        try:
            return self._path.stat().st_size > 0
        except OSError:
            return False

    def encrypt_in_place(
        self, key: bytes, kept: Path, progress: Progress | None = None
    ) -> InPlaceReport:
        """Encrypt the plain live file under key (SQLCipher), keeping the plain one as kept.

        Every pooled connection is closed first (leaving WAL mode needs the only one); the
        engine must not be used over the new file (it has no key): open the services again.
        progress may raise Cancelled while the copy is made and checked (nothing changes).
        """
        from clinic_app.storage.encrypt_in_place import encrypt_in_place

        self._engine.dispose()
        return encrypt_in_place(self._path, key, kept, progress)

    def row_counts(self) -> dict[str, int]:
        """Rows per table right now."""
        with self._source() as conn:
            return _sqlite_counts(conn)

    @contextmanager
    def _source(self) -> Iterator[sqlite3.Connection]:
        if not self._path.is_file():
            raise BackupFailed(f"The database file {self._path} does not exist.")
        try:
            conn = connect(self._path, self.database_key, timeout=5, isolation_level=None)
        except SQL_ERRORS as exc:
            raise BackupFailed(f"The database cannot be opened ({exc}).") from None
        try:
            yield conn
        finally:
            conn.close()

    def backup_to(self, path: Path, created_at: datetime) -> BackupManifest:
        """Copy the live database with SQLite's backup API, add the manifest, verify, rename."""
        path = path.absolute()
        temp = _temp_beside(path)
        try:
            with self._source() as src:
                try:
                    # One read transaction: the counts and the copy see the same snapshot.
                    src.execute("BEGIN")
                    manifest = BackupManifest(
                        app_version=__version__,
                        schema_revision=_sqlite_revision(src),
                        created_at=created_at,
                        backend=self.backend,
                        row_counts=_sqlite_counts(src),
                        audit_head=_sqlite_audit_head(src),
                    )
                    # Encrypted with the same key as the database (SQLCipher copies the
                    # pages between two files keyed alike).
                    dst = connect(temp, self.database_key, isolation_level=None)
                    try:
                        src.backup(dst)
                        src.execute("COMMIT")
                        # The copy inherits WAL mode from the header; a backup is one file.
                        dst.execute("PRAGMA journal_mode=DELETE")
                        dst.execute("BEGIN")
                        dst.execute(
                            f"CREATE TABLE {MANIFEST_TABLE} "
                            "(key TEXT PRIMARY KEY, value TEXT NOT NULL)"
                        )
                        values = manifest_values(manifest)
                        dst.executemany(
                            f"INSERT INTO {MANIFEST_TABLE} (key, value) VALUES (?, ?)",
                            values.items(),
                        )
                        if self._key is not None and self._key.present:
                            dst.execute(
                                f"INSERT INTO {MANIFEST_TABLE} (key, value) VALUES (?, ?)",
                                (AUTH_TAG, _sqlite_tag(dst, self._key, values)),
                            )
                        dst.execute("COMMIT")
                    finally:
                        dst.close()
                except SQL_ERRORS as exc:
                    raise BackupFailed(f"The backup could not be written ({exc}).") from None
            return self._keep_if_sound(temp, path)
        except OSError as exc:
            raise BackupFailed(
                f"The backup could not be written ({exc.strerror or exc})."
            ) from None
        finally:
            temp.unlink(missing_ok=True)

    def verify(self, path: Path, *, authenticate: bool = True) -> BackupManifest:
        """Open read-only, full integrity check, manifest, schema known, row counts match.

        With the practice key (and authenticate) the authentication tag must match too.
        """
        name = str(path)
        head = _check_file(path)
        if head.startswith(ZIP_MAGIC):
            raise BackupInvalid(
                f"{name} is a backup of a PostgreSQL database; this app uses SQLite"
            )
        if not head.startswith(SQLITE_MAGIC) and self._backup_key is None and not self.database_key:
            raise BackupInvalid(f"{name} is not a clinic_app backup, or it {ENCRYPTED_NEEDS_KEY}")
        conn = self._open_file(path)
        try:
            problems = [str(r[0]) for r in conn.execute("PRAGMA integrity_check").fetchall()]
            if problems != ["ok"]:
                raise BackupInvalid(f"{name} is damaged: {'; '.join(problems[:2])}")
            tables = set(_sqlite_tables(conn))
            exists = conn.execute(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?",
                (MANIFEST_TABLE,),
            ).fetchone()[0]
            if not exists:
                if "alembic_version" in tables:
                    raise BackupInvalid(
                        f"{name} is a clinic_app database, not a backup made by "
                        "`clinic-app backup` (it has no manifest)"
                    )
                raise BackupInvalid(f"{name} is not a clinic_app backup")
            values = dict(conn.execute(f"SELECT key, value FROM {MANIFEST_TABLE}").fetchall())
            manifest = manifest_from_values(values, name)
            if manifest.backend != self.backend:
                raise BackupInvalid(f"{name} says it is a {manifest.backend} backup")
            if _sqlite_revision(conn) != manifest.schema_revision:
                raise BackupInvalid(f"{name} is damaged: its schema does not match its manifest")
            _compare_counts(manifest.row_counts, _sqlite_counts(conn), name)
            _refuse_foreign_objects(
                ((str(t), str(n)) for t, n in conn.execute("SELECT type, name FROM sqlite_master")),
                name,
            )
            _check_revision(self._engine, manifest, name)
            if _sqlite_audit_head(conn) != manifest.audit_head:
                raise BackupInvalid(
                    f"{name} is damaged: its audit trail's head does not match its manifest"
                )
            if authenticate and self._key is not None and self._key.present:
                expected = _sqlite_tag(conn, self._key, values)
                checked = _check_tag(self._key, expected, values, name)
                manifest = replace(manifest, authenticated=checked)
        except SQL_DB_ERRORS as exc:
            raise BackupInvalid(f"{name} is damaged ({exc})") from None
        finally:
            conn.close()
        return manifest

    def accounts_in(self, path: Path) -> list[tuple[Account, str]]:
        """The accounts inside a verified backup (read-only; nothing is restored)."""
        self.verify(path, authenticate=False)
        name = str(path)
        conn = self._open_file(path)
        try:
            cursor = conn.execute(
                "SELECT id, username, display_name, password_hash, roles, active FROM accounts"
            )
            names = [d[0] for d in cursor.description]
            rows = [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]
        except SQL_DB_ERRORS:
            raise BackupInvalid(f"{name} holds no accounts") from None
        finally:
            conn.close()
        return _account_records(rows, name)

    def key_slot_in(self, path: Path, user_id: int) -> str | None:
        """An account's wrapped practice key inside the backup (read-only)."""
        self.verify(path, authenticate=False)
        try:
            conn = self._open_file(path)
        except BackupInvalid:
            return None
        try:
            row = conn.execute(
                "SELECT practice_key_slot FROM accounts WHERE id = ?", (user_id,)
            ).fetchone()
        except SQL_DB_ERRORS:
            return None
        finally:
            conn.close()
        return str(row[0]) if row and row[0] else None

    def set_aside(self, path: Path) -> Path | None:
        """Move the live file and its -wal/-shm to path (for a damaged database)."""
        self._engine.dispose()
        if not self._path.exists():
            return None
        try:
            for side in SIDE_FILES:
                source = self._path.with_name(self._path.name + side)
                if source.exists():
                    shutil.move(source, path.with_name(path.name + side))
            shutil.move(self._path, path)
        except OSError as exc:
            raise BackupFailed(
                f"The damaged database cannot be moved to {path} ({exc.strerror or exc}); "
                "nothing was restored."
            ) from None
        return path

    def put_back(self, kept: Path) -> None:
        """Move a set-aside database (and its -wal/-shm) back, unless a database is there."""
        if self._path.exists() or not kept.exists():
            return
        try:
            for side in SIDE_FILES:
                source = kept.with_name(kept.name + side)
                if source.exists():
                    shutil.move(source, self._path.with_name(self._path.name + side))
            shutil.move(kept, self._path)
        except OSError as exc:
            raise BackupFailed(
                f"The damaged database could not be put back from {kept} "
                f"({exc.strerror or exc}); copy it back to {self._path} before starting again."
            ) from None

    def restore_from(self, path: Path) -> BackupManifest:
        """Copy the backup beside the database, migrate the copy, then swap it in atomically."""
        manifest = self.verify(path)
        self._path.parent.mkdir(parents=True, exist_ok=True)
        temp = _temp_beside(self._path)
        plain_copy: Path | None = None
        try:
            shutil.copyfile(path, temp)
            key = self._key_of(temp)
            conn = connect(temp, key, isolation_level=None)
            try:
                conn.execute(f"DROP TABLE {MANIFEST_TABLE}")
            finally:
                conn.close()
            if manifest.schema_revision != SCHEMA_HEAD:
                engine = make_engine(sqlite_url(temp), key=key)
                try:
                    upgrade_schema(engine)
                finally:
                    engine.dispose()
            if key != self.database_key:
                # What comes back is keyed like the database it replaces: a plain backup
                # (made before encryption) encrypted, another key's backup re-keyed.
                plain_copy, temp = temp, _temp_beside(self._path)
                temp.unlink()
                encrypt_copy(plain_copy, temp, self.database_key, key)
                key = self.database_key
            check = connect(temp, key, isolation_level=None)
            try:
                check.execute("PRAGMA journal_mode=DELETE")
                if check.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                    raise BackupFailed("The restored copy failed its check; nothing was replaced.")
            finally:
                check.close()
            fsync_file(temp)
            self._swap_in(temp)
        except SQL_ERRORS as exc:
            raise BackupFailed(
                f"The backup could not be restored ({exc}); nothing was replaced."
            ) from None
        except OSError as exc:
            raise BackupFailed(
                f"The backup could not be restored ({exc.strerror or exc}); nothing was replaced."
            ) from None
        finally:
            for left in (temp, plain_copy):
                if left is not None:
                    left.unlink(missing_ok=True)
                    for side in SIDE_FILES:
                        left.with_name(left.name + side).unlink(missing_ok=True)
        return manifest

    def _swap_in(self, temp: Path) -> None:
        # Every connection of this process is closed first: pooled connections would point
        # at the old file after the swap, and Windows cannot replace a file that is open.
        self._engine.dispose()
        if not self._path.exists():
            self._replace_with(temp)
            return
        lock = connect(self._path, self.database_key, timeout=LOCK_TIMEOUT_S, isolation_level=None)
        try:
            try:
                # Leaving WAL mode needs the only connection; BEGIN EXCLUSIVE then keeps
                # everyone out until the new file is in place.
                lock.execute("PRAGMA journal_mode=DELETE")
                lock.execute("BEGIN EXCLUSIVE")
            except SQL_OP_ERRORS:
                raise BackupFailed(OPEN_ELSEWHERE) from None
            if OPEN_FILES_BLOCK_REPLACE:
                # The check is done; the lock's own handle would make the swap fail.
                lock.close()
            self._replace_with(temp)
        finally:
            lock.close()

    def _replace_with(self, temp: Path) -> None:
        try:
            os.replace(temp, self._path)
        except PermissionError:
            # Windows: another program opened the file since the check.
            raise BackupFailed(OPEN_ELSEWHERE) from None
        self._remove_side_files()
        fsync_dir(self._path.parent)

    def _remove_side_files(self) -> None:
        # A stale -wal from the old file must never be replayed into the new one.
        for side in SIDE_FILES:
            self._path.with_name(self._path.name + side).unlink(missing_ok=True)


# --------------------------------------------------------------------------- PostgreSQL


def _pg_audit_head(conn: Any) -> Checkpoint | None:
    """The audit chain's head in the snapshot being backed up."""
    row = conn.execute(
        text("SELECT seq, entry_hash, keyed_from FROM audit_head WHERE id = 1")
    ).first()
    if row is None or not row[0]:
        return None
    return Checkpoint(seq=int(row[0]), entry_hash=str(row[1]), keyed_from=row[2])


def pg_install_patterns() -> list[tuple[str, str]]:
    """(folder, glob) pairs where PostgreSQL installers put the client programs' folders.

    Debian and Ubuntu keep them out of PATH, one folder per major version; the EDB installer
    uses one per version under Program Files (Windows) or /Library/PostgreSQL (macOS);
    Postgres.app keeps versions inside the app; Homebrew links postgresql@N and libpq under
    /opt/homebrew (Apple silicon) or /usr/local (Intel), which an app started from the Finder
    does not have on its PATH.
    """
    patterns = [
        ("/usr/lib/postgresql", "*/bin"),
        ("/Applications/Postgres.app/Contents/Versions", "*/bin"),
        ("/Library/PostgreSQL", "*/bin"),
    ]
    for brew in ("/opt/homebrew", "/usr/local"):
        patterns += [(f"{brew}/opt", "postgresql@*/bin"), (f"{brew}/opt", "libpq/bin")]
        patterns.append((brew, "bin"))
    for variable in ("ProgramFiles", "ProgramW6432", "ProgramFiles(x86)"):
        folder = os.environ.get(variable)
        if folder:
            patterns.append((str(Path(folder) / "PostgreSQL"), "*/bin"))
    return patterns


def _version_key(folder: Path) -> tuple[int, ...]:
    # .../postgresql/16/bin, .../Versions/16/bin, .../postgresql@16/bin: the newest first.
    found = re.search(r"(\d+(?:\.\d+)*)", folder.parent.name)
    return tuple(int(n) for n in found[1].split(".")) if found else ()


def pg_bin_candidates() -> list[Path]:
    """Folders that may hold the PostgreSQL programs, newest version first in each place."""
    out: list[Path] = []
    for base, pattern in pg_install_patterns():
        out += sorted(Path(base).glob(pattern), key=_version_key, reverse=True)
    return out


def find_pg_tool(name: str, bin_dir: Path | None = None) -> str:
    """The path of a PostgreSQL client program (raises BackupFailed saying what to install).

    bin_dir (the pg_bin_dir setting) is the only place looked in when given; otherwise PATH,
    then where the usual installers put it. The newest version can read older servers.
    """
    program = f"{name}.exe" if os.name == "nt" else name
    if bin_dir is not None:
        if (bin_dir / program).is_file():
            return str(bin_dir / program)
        raise BackupFailed(f"{name} is not in {bin_dir} (the pg_bin_dir setting).")
    found = shutil.which(name)
    if found:
        return found
    for folder in pg_bin_candidates():
        if (folder / program).is_file():
            return str(folder / program)
    raise BackupFailed(f"{name} is not installed: {PG_CLIENT_HINT}.")


def _copy_table_name(line: bytes) -> str:
    # COPY public.accounts (id, ...) FROM stdin;  /  COPY public."odd name" (...) FROM stdin;
    target = line[len(b"COPY ") :].decode("utf-8", "replace")
    target = target.split(" (", 1)[0].split(" FROM ", 1)[0]
    if target.startswith('"') or '."' in target:
        last = target.rsplit('."', 1)[-1] if '."' in target else target[1:]
        return last.rstrip('"').replace('""', '"')
    return target.rsplit(".", 1)[-1]


def _copy_value(text: str) -> str | None:
    """One field of COPY text format: a backslash-N is NULL; backslash escapes undone."""
    if text == "\\N":
        return None
    if "\\" not in text:
        return text
    escapes = {"t": "\t", "n": "\n", "r": "\r", "\\": "\\", "b": "\b", "f": "\f", "v": "\v"}
    out: list[str] = []
    chars = iter(text)
    for ch in chars:
        if ch == "\\":
            nxt = next(chars, "")
            out.append(escapes.get(nxt, nxt))
        else:
            out.append(ch)
    return "".join(out)


def _toc_entry(line: str) -> tuple[str, str] | None:
    """(type, name) of a pg_restore --list line; None for comments.

    A line reads "215; 1259 16390 TABLE public accounts owner": id; catalog oid, object oid,
    then the type (one or more upper-case words), the schema and the name.
    """
    if not line or line.startswith(";") or ";" not in line:
        return None
    words = line.split(";", 1)[1].split()[2:]
    kind: list[str] = []
    while words and words[0].isupper() and words[0] != "-":
        kind.append(words.pop(0))
    rest = [w for w in words if w != "-"]
    return " ".join(kind), (rest[1] if len(rest) > 1 else rest[0] if rest else "")


def _refuse_foreign_objects(objects: Iterable[tuple[str, str]], name: str) -> None:
    """Refuse a backup holding database objects clinic_app never creates.

    A trigger, view, function or rule runs code when the restored database is used (a
    crafted backup could make every new front-desk account a clinician); an unknown table
    is not ours. Only tables the app knows, and their indexes, sequences, constraints and
    defaults, may be restored.
    """
    known = set(Base.metadata.tables) | {"alembic_version", MANIFEST_TABLE}
    for kind, object_name in objects:
        kind = kind.lower()
        if kind in {"table", "table data"}:
            if object_name not in known and not object_name.startswith("sqlite_"):
                raise BackupInvalid(
                    f"{name} is refused: it holds a table clinic_app never creates "
                    f"({object_name!r})"
                )
        elif kind not in SAFE_OBJECT_KINDS:
            raise BackupInvalid(
                f"{name} is refused: it holds a {kind} clinic_app never creates ({object_name!r})"
            )


def _check_members(archive: zipfile.ZipFile, name: str, work: Path) -> None:
    """Refuse an archive before anything in it is read or extracted.

    Our backups hold exactly the manifest and the dump, stored uncompressed, so what comes
    out is never bigger than the file itself (a crafted archive that inflates a few
    hundred kilobytes into gigabytes is refused here), and the dump must fit in the
    temporary folder with room to spare.
    """
    for info in archive.infolist():
        if info.filename not in (ZIP_MANIFEST, ZIP_DUMP):
            raise BackupInvalid(f"{name} is not a clinic_app backup (it holds other files)")
        if info.compress_type != zipfile.ZIP_STORED or info.file_size != info.compress_size:
            raise BackupInvalid(f"{name} is not a clinic_app backup (its contents are packed)")
    if archive.getinfo(ZIP_MANIFEST).file_size > MAX_MANIFEST_BYTES:
        raise BackupInvalid(f"{name} is not a clinic_app backup (its manifest is too big)")
    needed = archive.getinfo(ZIP_DUMP).file_size
    free = shutil.disk_usage(work).free
    if needed + TEMP_SPACE_MARGIN > free:
        raise BackupFailed(
            f"{name} needs {needed // 2**20} MB of temporary space to be checked; only "
            f"{free // 2**20} MB is free in {work.parent}."
        )


class PostgresBackup(_Checked):
    """Backups of a PostgreSQL database with pg_dump / pg_restore / psql (postgresql-client).

    The row counts are read inside a repeatable-read transaction whose snapshot pg_dump
    shares (--snapshot), so they describe exactly what was dumped. A restore runs in one
    transaction (psql --single-transaction): the database keeps its old content if any part
    fails. Other workstations must be closed; a restore waits at most 10 s for their locks.
    """

    backend = "postgresql"
    suffix = ".zip"

    def __init__(
        self, engine: Engine, pg_bin_dir: Path | None = None, key: PracticeKey | None = None
    ) -> None:
        self._key = key
        self._engine = engine
        self._bin_dir = pg_bin_dir

    def _conninfo(self) -> tuple[str, dict[str, str]]:
        url = self._engine.url
        env = dict(os.environ)
        if url.password is not None:
            env["PGPASSWORD"] = str(url.password)  # kept out of the process list
        env.setdefault("PGCONNECT_TIMEOUT", "10")
        # URL.set() ignores password=None: without _replace the password stayed in the URI
        # on pg_dump's and psql's command line, where any local account can read it.
        uri = url._replace(drivername="postgresql", password=None).render_as_string(
            hide_password=False
        )
        return uri, env

    def _run(self, args: list[str], env: Mapping[str, str] | None = None) -> None:
        try:
            done = subprocess.run(
                args,
                capture_output=True,
                text=True,
                env=env,
                timeout=TOOL_TIMEOUT_S,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise BackupFailed(f"{Path(args[0]).name} could not run ({exc}).") from None
        if done.returncode != 0:
            lines = [ln for ln in done.stderr.splitlines() if ln.strip()]
            raise BackupFailed(
                f"{Path(args[0]).name} failed: {lines[0] if lines else 'no message'}"
            )

    def _listing(self, pg_restore: str, dump: Path, name: str) -> list[tuple[str, str]]:
        """(object type, name) of every entry in the archive's table of contents."""
        try:
            done = subprocess.run(
                [pg_restore, "--list", str(dump)],
                capture_output=True,
                text=True,
                timeout=TOOL_TIMEOUT_S,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise BackupFailed(f"pg_restore could not run ({exc}).") from None
        if done.returncode != 0:
            raise BackupInvalid(f"{name} is damaged (pg_restore cannot read it)")
        return [entry for line in done.stdout.splitlines() if (entry := _toc_entry(line))]

    def row_counts(self) -> dict[str, int]:
        """Rows per table of the current schema right now."""
        with self._engine.connect() as conn:
            return self._counts(conn)

    @staticmethod
    def _counts(conn: Any) -> dict[str, int]:
        tables = conn.execute(
            text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
        ).scalars()
        return {
            str(t): int(conn.execute(text(f"SELECT count(*) FROM {_quote(str(t))}")).scalar_one())
            for t in sorted(tables)
        }

    def backup_to(self, path: Path, created_at: datetime) -> BackupManifest:
        """Run pg_dump in the snapshot the counts were read in; zip it with the manifest."""
        pg_dump = find_pg_tool("pg_dump", self._bin_dir)
        path = path.absolute()
        temp = _temp_beside(path)
        work = Path(tempfile.mkdtemp(prefix="clinic-backup-"))
        try:
            dump = work / ZIP_DUMP
            uri, env = self._conninfo()
            try:
                with self._engine.connect().execution_options(
                    isolation_level="REPEATABLE READ", postgresql_readonly=True
                ) as conn:
                    snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
                    counts = self._counts(conn)
                    head = _pg_audit_head(conn)
                    revision = None
                    if "alembic_version" in counts:
                        revision = conn.execute(
                            text("SELECT version_num FROM alembic_version")
                        ).scalar()
                    self._run(
                        [
                            pg_dump,
                            "--format=custom",
                            "--no-owner",
                            "--no-privileges",
                            f"--snapshot={snapshot}",
                            f"--file={dump}",
                            f"--dbname={uri}",
                        ],
                        env,
                    )
            except DBAPIError as exc:
                raise BackupFailed(f"The database cannot be read ({exc.orig}).") from None
            manifest = BackupManifest(
                app_version=__version__,
                schema_revision=revision,
                created_at=created_at,
                backend=self.backend,
                row_counts=counts,
                audit_head=head,
            )
            values = manifest_values(manifest)
            if self._key is not None and self._key.present:
                values[AUTH_TAG] = _file_tag(dump, self._key, values)
            with zipfile.ZipFile(temp, "w", compression=zipfile.ZIP_STORED) as archive:
                archive.writestr(ZIP_MANIFEST, json.dumps(values, indent=2))
                archive.write(dump, ZIP_DUMP)
            return self._keep_if_sound(temp, path)
        except OSError as exc:
            raise BackupFailed(
                f"The backup could not be written ({exc.strerror or exc})."
            ) from None
        finally:
            temp.unlink(missing_ok=True)
            shutil.rmtree(work, ignore_errors=True)

    @contextmanager
    def _opened(
        self, path: Path, authenticate: bool = False
    ) -> Iterator[tuple[BackupManifest, Path]]:
        """Check the archive and manifest, extract the dump into a temporary folder.

        With authenticate (and the practice key) the authentication tag must match.
        """
        name = str(path)
        head = _check_file(path)
        if head.startswith(SQLITE_MAGIC):
            raise BackupInvalid(
                f"{name} is a backup of a SQLite database; this app uses PostgreSQL"
            )
        if not head.startswith(ZIP_MAGIC):
            raise BackupInvalid(f"{name} is not a clinic_app backup")
        work = Path(tempfile.mkdtemp(prefix="clinic-restore-"))
        try:
            try:
                with zipfile.ZipFile(path) as archive:
                    names = set(archive.namelist())
                    if ZIP_MANIFEST not in names or ZIP_DUMP not in names:
                        raise BackupInvalid(f"{name} is not a clinic_app backup")
                    _check_members(archive, name, work)
                    if archive.testzip() is not None:
                        raise BackupInvalid(f"{name} is damaged (a checksum does not match)")
                    try:
                        values = json.loads(archive.read(ZIP_MANIFEST).decode("utf-8"))
                    except (ValueError, RecursionError):
                        raise BackupInvalid(
                            f"{name} is damaged: its manifest cannot be read"
                        ) from None
                    if not isinstance(values, dict):
                        raise BackupInvalid(f"{name} is not a clinic_app backup")
                    manifest = manifest_from_values(values, name)
                    archive.extract(ZIP_DUMP, work)
            except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError):
                raise BackupInvalid(f"{name} is damaged (not a readable zip archive)") from None
            if manifest.backend != self.backend:
                raise BackupInvalid(f"{name} is a backup of a {manifest.backend} database")
            _check_revision(self._engine, manifest, name)
            if authenticate and self._key is not None and self._key.present:
                expected = _file_tag(work / ZIP_DUMP, self._key, values)
                checked = _check_tag(self._key, expected, values, name)
                manifest = replace(manifest, authenticated=checked)
            yield manifest, work / ZIP_DUMP
        finally:
            shutil.rmtree(work, ignore_errors=True)

    def verify(self, path: Path, *, authenticate: bool = True) -> BackupManifest:
        """Zip checksums, manifest, tag, pg_restore reads the archive, rows match the counts."""
        name = str(path)
        pg_restore = find_pg_tool("pg_restore", self._bin_dir)
        with self._opened(path, authenticate) as (manifest, dump):
            listing = self._listing(pg_restore, dump, name)
            _refuse_foreign_objects(listing, name)
            counts, revision = self._dumped_rows(pg_restore, dump, name)
        _compare_counts(manifest.row_counts, counts, name)
        if revision != manifest.schema_revision:
            raise BackupInvalid(f"{name} is damaged: its schema does not match its manifest")
        _check_revision(self._engine, manifest, name)
        return manifest

    def _dumped_rows(
        self, pg_restore: str, dump: Path, name: str
    ) -> tuple[dict[str, int], str | None]:
        """Rows per table in the archive's data (COPY blocks), and the alembic revision."""
        counts: dict[str, int] = {}
        revision: str | None = None
        args = [pg_restore, "--data-only", "--file=-", str(dump)]
        with subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL) as proc:
            assert proc.stdout is not None
            table: str | None = None
            for line in proc.stdout:
                if table is None:
                    if line.startswith(b"COPY "):
                        table = _copy_table_name(line)
                        counts[table] = 0
                    continue
                if line.rstrip(b"\r\n") == b"\\.":
                    table = None
                    continue
                counts[table] += 1
                if table == "alembic_version":
                    revision = line.rstrip(b"\r\n").decode("utf-8", "replace")
            code = proc.wait(TOOL_TIMEOUT_S)
        if code != 0 or table is not None:
            raise BackupInvalid(f"{name} is damaged (its data cannot be read back)")
        return counts, revision

    def accounts_in(self, path: Path) -> list[tuple[Account, str]]:
        """The accounts inside a verified backup, read from the dump's COPY data."""
        return _account_records(self._account_rows(path), str(path))

    def key_slot_in(self, path: Path, user_id: int) -> str | None:
        """An account's wrapped practice key inside the backup."""
        for row in self._account_rows(path):
            if str(row.get("id")) == str(user_id):
                slot = row.get("practice_key_slot")
                return str(slot) if slot else None
        return None

    def _account_rows(self, path: Path) -> list[dict[str, Any]]:
        name = str(path)
        self.verify(path, authenticate=False)
        pg_restore = find_pg_tool("pg_restore", self._bin_dir)
        rows: list[dict[str, Any]] = []
        with self._opened(path) as (_manifest, dump):
            args = [pg_restore, "--data-only", "--table=accounts", "--file=-", str(dump)]
            with subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL) as proc:
                assert proc.stdout is not None
                columns: list[str] | None = None
                for raw in proc.stdout:
                    line = raw.rstrip(b"\r\n").decode("utf-8", "replace")
                    if columns is None:
                        if line.startswith("COPY ") and _copy_table_name(raw) == "accounts":
                            inner = line.split(" (", 1)[1].split(") FROM", 1)[0]
                            columns = [c.strip().strip('"') for c in inner.split(",")]
                        continue
                    if line == "\\.":
                        break
                    values = [_copy_value(v) for v in line.split("\t")]
                    rows.append(dict(zip(columns, values, strict=False)))
                proc.stdout.read()
                code = proc.wait(TOOL_TIMEOUT_S)
        if code != 0:
            raise BackupInvalid(f"{name} is damaged (its accounts cannot be read back)")
        return rows

    def set_aside(self, path: Path) -> Path | None:
        """A server database is not a file to move; the caller keeps a backup instead."""
        return None

    def put_back(self, kept: Path) -> None:
        """Nothing was moved (see ``set_aside``)."""

    def restore_from(self, path: Path) -> BackupManifest:
        """Drop this schema's tables and load the dump, all in one transaction, then migrate."""
        pg_restore = find_pg_tool("pg_restore", self._bin_dir)
        psql = find_pg_tool("psql", self._bin_dir)
        with self._opened(path) as (manifest, dump):
            # Checked again here, whoever calls: the script below would run a dump's triggers
            # and functions with the app's rights.
            _refuse_foreign_objects(self._listing(pg_restore, dump, str(path)), str(path))
            script = dump.with_name("restore.sql")
            self._run([pg_restore, "--no-owner", "--no-privileges", f"--file={script}", str(dump)])
            wrapper = dump.with_name("wrapper.sql")
            quoted = str(script).replace("'", "''")
            wrapper.write_text(
                "SET lock_timeout = '10s';\n" + DROP_ALL_TABLES + f"\\i '{quoted}'\n",
                encoding="utf-8",
            )
            uri, env = self._conninfo()
            self._engine.dispose()
            try:
                self._run(
                    [
                        psql,
                        "--no-psqlrc",
                        "--quiet",
                        "--single-transaction",
                        "--set=ON_ERROR_STOP=1",
                        f"--file={wrapper}",
                        f"--dbname={uri}",
                    ],
                    env,
                )
            except BackupFailed as exc:
                if "lock timeout" in str(exc):
                    raise BackupFailed(
                        "The database is in use by another workstation; close clinic_app "
                        "everywhere and try again. Nothing was replaced."
                    ) from None
                raise BackupFailed(f"{exc}. Nothing was replaced.") from None
        if manifest.schema_revision != SCHEMA_HEAD:
            upgrade_schema(self._engine)
        return manifest


# Run by psql before the restored dump, inside the same transaction.
DROP_ALL_TABLES = """\
DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT tablename FROM pg_tables WHERE schemaname = current_schema() LOOP
    EXECUTE format('DROP TABLE IF EXISTS %I.%I CASCADE', current_schema(), r.tablename);
  END LOOP;
  FOR r IN SELECT sequence_name FROM information_schema.sequences
           WHERE sequence_schema = current_schema() LOOP
    EXECUTE format('DROP SEQUENCE IF EXISTS %I.%I CASCADE', current_schema(), r.sequence_name);
  END LOOP;
END $$;
"""
