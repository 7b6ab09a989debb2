"""Provable records: crafted backups refused, tampered signed notes found by `audit verify`.

Each test is an attack on the records' integrity; each asserts that it is refused or
reported, and that the practice's records are unchanged.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text

from clinic_app.domain.account import Principal, Role
from clinic_app.services.backup import BackupFailed, BackupInvalid
from clinic_app.services.container import Services
from clinic_app.settings import DB_FILE
from clinic_app.storage import backup as backup_module
from clinic_app.storage.backup import (
    PostgresBackup,
    SqliteBackup,
    find_pg_tool,
    open_backup_adapter,
)
from clinic_app.storage.db import make_engine
from security.helpers import ADMIN_PASSWORD, make_practice, refused, rows, run_cli
from security.helpers import FIXTURE_PASSWORD as PASSWORD

PROMOTE_SQLITE = (
    "CREATE TRIGGER promote AFTER INSERT ON accounts "
    "BEGIN UPDATE accounts SET roles = 'clinician,front_desk' WHERE id = NEW.id; END"
)
PROMOTE_PG = [
    "CREATE FUNCTION promote() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "NEW.roles := 'clinician,front_desk'; RETURN NEW; END $$",
    "CREATE TRIGGER promote BEFORE INSERT ON accounts FOR EACH ROW EXECUTE FUNCTION promote()",
]


@pytest.fixture
def engine(db_url: str, services: Services) -> Iterator[Engine]:
    """An engine of its own on the test database (after the services migrated it)."""
    found = make_engine(db_url)
    yield found
    found.dispose()


@pytest.fixture
def adapter(engine: Engine) -> SqliteBackup | PostgresBackup:
    """The backup adapter of the test database."""
    found = open_backup_adapter(engine)
    if isinstance(found, PostgresBackup):
        try:
            for tool in ("pg_dump", "pg_restore", "psql"):
                find_pg_tool(tool)
        except BackupFailed as exc:
            pytest.skip(f"PostgreSQL client tools missing: {exc}")
    return found


def plant(engine: Engine, statements: list[str]) -> None:
    """Add objects to the database behind the app's back."""
    with engine.begin() as conn:
        for statement in statements:
            conn.execute(text(statement))


def crafted_backup(
    adapter: SqliteBackup | PostgresBackup,
    engine: Engine,
    statements: dict[str, list[str]],
    tmp_path: Path,
    clock: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> Path:
    """A backup made by a tampered app from a database holding the planted objects."""
    out = tmp_path / f"crafted{adapter.suffix}"
    plant(engine, statements[adapter.backend])
    with monkeypatch.context() as patched:
        patched.setattr(backup_module, "_refuse_foreign_objects", lambda *_a: None)
        adapter.backup_to(out, clock.now())
    drop = {
        "sqlite": [
            "DROP VIEW IF EXISTS everyone",
            "DROP TRIGGER IF EXISTS promote",
            "DROP TABLE IF EXISTS stash",
        ],
        "postgresql": [
            "DROP VIEW IF EXISTS everyone",
            "DROP TRIGGER IF EXISTS promote ON accounts",
            "DROP FUNCTION IF EXISTS promote()",
            "DROP TABLE IF EXISTS stash",
        ],
    }
    plant(engine, drop[adapter.backend])
    return out


def foreign_objects(engine: Engine) -> list[str]:
    """Triggers, functions and the planted table in the live database."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            return [
                str(r[0])
                for r in conn.execute(
                    text("SELECT name FROM sqlite_master WHERE type = 'trigger' OR name = 'stash'")
                )
            ]
        return [
            str(r[0])
            for r in conn.execute(
                text(
                    "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal UNION ALL "
                    "SELECT proname FROM pg_proc WHERE proname = 'promote' UNION ALL "
                    "SELECT tablename FROM pg_tables WHERE tablename = 'stash'"
                )
            )
        ]


@pytest.mark.parametrize(
    ("planted", "words"),
    [
        ({"sqlite": [PROMOTE_SQLITE], "postgresql": PROMOTE_PG}, r"(trigger|function) clinic_app"),
        (
            {
                "sqlite": ["CREATE TABLE stash (x TEXT)"],
                "postgresql": ["CREATE TABLE stash (x TEXT)"],
            },
            r"table clinic_app never creates \('stash'\)",
        ),
        (
            {
                "sqlite": ["CREATE VIEW everyone AS SELECT * FROM accounts"],
                "postgresql": ["CREATE VIEW everyone AS SELECT * FROM accounts"],
            },
            "view",
        ),
    ],
)
def test_a_backup_with_objects_the_app_never_creates_is_refused(
    services: Services,
    admin: Principal,
    adapter: SqliteBackup | PostgresBackup,
    engine: Engine,
    clock: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    planted: dict[str, list[str]],
    words: str,
) -> None:
    crafted = crafted_backup(adapter, engine, planted, tmp_path, clock, monkeypatch)

    with pytest.raises(BackupInvalid, match=words) as err:
        adapter.verify(crafted)
    assert "\n" not in str(err.value)
    with pytest.raises(BackupInvalid, match=words):
        adapter.restore_from(crafted)

    assert foreign_objects(engine) == []
    # Nothing changed: a new front-desk account is still only front desk.
    services.accounts.create_account(
        admin,
        {
            "username": "newdesk",
            "display_name": "New Desk",
            "password": PASSWORD,
            "roles": {Role.FRONT_DESK},
        },
    )
    assert services.accounts.login("newdesk", PASSWORD).roles == frozenset({Role.FRONT_DESK})


def test_a_crafted_backup_never_gets_written_by_the_app_either(
    services: Services,
    admin: Principal,
    adapter: SqliteBackup | PostgresBackup,
    engine: Engine,
    clock: Any,
    tmp_path: Path,
) -> None:
    plant(engine, [PROMOTE_SQLITE] if adapter.backend == "sqlite" else PROMOTE_PG)
    out = tmp_path / f"copy{adapter.suffix}"

    with pytest.raises(BackupFailed, match=r"(trigger|function) clinic_app never creates"):
        adapter.backup_to(out, clock.now())

    assert not out.exists()


def test_a_trigger_added_to_a_sqlite_backup_file_is_refused(
    tmp_path: Path, services: Services, admin: Principal, adapter: SqliteBackup | PostgresBackup
) -> None:
    if not isinstance(adapter, SqliteBackup):
        pytest.skip("a SQLite backup file")
    backup = tmp_path / "real.sqlite3"
    adapter.backup_to(backup, services.clock.now())
    conn = sqlite3.connect(backup)
    conn.execute(PROMOTE_SQLITE)
    conn.commit()
    conn.close()

    with pytest.raises(BackupInvalid, match="trigger clinic_app never creates"):
        adapter.verify(backup)


# --------------------------------------------------------------------------- audit verify


@pytest.fixture
def demo_folder(tmp_path: Path) -> Path:
    """A data folder with signed demo encounters and addenda (made by the real command)."""
    data = tmp_path / "data"
    made = run_cli(tmp_path, data, "demo", "--patients", "60", "--seed", "3")
    assert made.returncode == 0, made.stderr
    return data


def first_signed(data: Path, with_addendum: bool = False) -> int:
    """The id of the first signed encounter (optionally one with an addendum)."""
    sql = "SELECT id FROM encounters WHERE status = 'signed'"
    if with_addendum:
        sql += " AND id IN (SELECT encounter_id FROM addenda)"
    found = rows(data, sql + " ORDER BY id LIMIT 1")
    assert found, "the demo made no such encounter"
    return int(str(found[0][0]))


def tamper(data: Path, sql: str, *args: object) -> None:
    """Change the database file behind the app's back."""
    conn = sqlite3.connect(data / DB_FILE)
    try:
        assert conn.execute(sql, args).rowcount == 1
        conn.commit()
    finally:
        conn.close()


def test_audit_verify_rechecks_every_signed_note(tmp_path: Path, demo_folder: Path) -> None:
    clean = run_cli(tmp_path, demo_folder, "audit", "verify")
    assert clean.returncode == 0, clean.stderr
    assert "signed encounters and" in clean.stdout
    target = first_signed(demo_folder)

    tamper(demo_folder, "UPDATE encounters SET reason = 'Nothing wrong' WHERE id = ?", target)
    result = run_cli(tmp_path, demo_folder, "audit", "verify")

    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"Signed records BROKEN at encounter {target}: The signed encounter does not match its "
        "content hash: it was changed after signing."
    ]


def test_audit_verify_finds_a_changed_addendum(tmp_path: Path, demo_folder: Path) -> None:
    target = first_signed(demo_folder, with_addendum=True)
    tamper(
        demo_folder,
        "UPDATE addenda SET text = 'never mind' WHERE id = "
        "(SELECT min(id) FROM addenda WHERE encounter_id = ?)",
        target,
    )

    result = run_cli(tmp_path, demo_folder, "audit", "verify")

    assert result.returncode == 1
    assert f"BROKEN at encounter {target}: Addendum #" in result.stderr


def test_audit_verify_finds_a_signed_note_turned_back_into_a_draft(
    tmp_path: Path, demo_folder: Path
) -> None:
    target = first_signed(demo_folder)
    tamper(demo_folder, "UPDATE encounters SET status = 'draft' WHERE id = ?", target)

    result = run_cli(tmp_path, demo_folder, "audit", "verify")

    assert result.returncode == 1
    assert f"encounter {target}: it was signed, but it is stored as a draft again" in (
        result.stderr
    )


def test_a_crafted_backup_is_refused_by_the_command_line_in_one_line(tmp_path: Path) -> None:
    data = tmp_path / "data"
    make_practice(data)
    backup = tmp_path / "crafted.sqlite3"
    made = run_cli(
        tmp_path, data, "backup", "--out", str(backup), "--user", "owner", password=ADMIN_PASSWORD
    )
    assert made.returncode == 0, made.stderr
    conn = sqlite3.connect(backup)
    conn.execute(PROMOTE_SQLITE)
    conn.commit()
    conn.close()
    before = rows(data, "SELECT * FROM accounts ORDER BY id")

    result = run_cli(
        tmp_path, data, "restore", str(backup), "--user", "owner", password=ADMIN_PASSWORD
    )

    refused(result, "trigger clinic_app never creates")
    assert rows(data, "SELECT * FROM accounts ORDER BY id") == before
    assert rows(data, "SELECT name FROM sqlite_master WHERE type = 'trigger'") == []
    assert not (data / "replaced").exists()
