"""Provable records: crafted backups refused, tampered signed notes found by `audit verify`.

Each test is an attack on the records' integrity; each asserts that it is refused or
reported, and that the practice's records are unchanged.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sqlalchemy import Engine, text

from clinic_app.app import build_services, form_catalog
from clinic_app.domain.account import Principal, Role
from clinic_app.domain.audit import GENESIS_HASH, AuditAction, AuditEntry, chain_hash
from clinic_app.domain.encounter import hash_payload, signed_payload
from clinic_app.domain.errors import ClinicError
from clinic_app.domain.print_queue import PrintAction
from clinic_app.services.anchor import ChainAnchor
from clinic_app.services.backup import BackupFailed, BackupInvalid, BackupPolicy
from clinic_app.services.container import Services
from clinic_app.services.keys import PracticeKey, open_practice_key, payload_bytes
from clinic_app.settings import DB_FILE, load_settings
from clinic_app.storage import backup as backup_module
from clinic_app.storage.backup import (
    PostgresBackup,
    SqliteBackup,
    find_pg_tool,
    open_backup_adapter,
)
from clinic_app.storage.bootstrap import open_database
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


# --------------------------------------------------------------------------- keyed records
#
# The practice as the app builds it: a practice key in the data folder keys the audit chain,
# the chain's head is anchored in a checkpoint file, clinicians sign with their own keys.
# Each attack below is what someone who can write the database (but holds neither the
# practice key nor a clinician's password) can do; each must be detected.


class KeyedPractice:
    """Services wired like app.build_services, plus a raw engine for the attacker."""

    def __init__(self, services: Services, engine: Engine, folder: Path, key: PracticeKey):
        self.services = services
        self.engine = engine
        self.folder = folder
        self.key = key


@pytest.fixture
def keyed(
    db_url: str, tmp_path: Path, clock: Any, fast_password_hashing: None
) -> Iterator[KeyedPractice]:
    """A keyed, anchored practice with a signed encounter and a signed addendum."""
    folder = tmp_path / "data"
    folder.mkdir()
    engine, uow = open_database(db_url)
    key = open_practice_key(folder, None)
    anchor = ChainAnchor(folder, key)
    uow.key, uow.anchor = key, anchor.advance
    services = Services.build(
        uow,
        clock,
        form_catalog(),
        backup=open_backup_adapter(engine, None, key),
        backup_policy=BackupPolicy(folder=tmp_path / "backups"),
        practice_key=key,
        anchor=anchor,
    )
    raw = make_engine(db_url)
    try:
        accounts = services.accounts
        accounts.create_first_admin(
            {"username": "owner", "display_name": "Dr Owner", "password": PASSWORD}
        )
        owner = accounts.login("owner", PASSWORD)
        accounts.create_account(
            owner,
            {
                "username": "cruz",
                "display_name": "Dr Cruz",
                "password": PASSWORD,
                "roles": {Role.CLINICIAN},
            },
        )
        cruz = accounts.login("cruz", PASSWORD)
        patient = services.patients.register(
            cruz, {"family_name": "Nunez", "given_name": "Ana", "date_of_birth": "1970-01-02"}
        )
        enc = services.encounters.create(
            cruz,
            {"patient_id": patient.id, "encounter_date": clock.today(), "reason": "Heel pain"},
        )
        enc = services.encounters.save_draft(cruz, enc.id, {"notes": SECRET}, enc.version)
        clock.advance(minutes=1)
        services.encounters.sign(cruz, enc.id, enc.version)
        clock.advance(minutes=1)
        services.encounters.add_addendum(cruz, enc.id, "Called back: better.")
        yield KeyedPractice(services, raw, folder, key)
    finally:
        raw.dispose()
        engine.dispose()


SECRET = "Tinel positive at the tarsal tunnel"


def rechain(engine: Engine, from_seq: int = 1) -> None:
    """Recompute the audit chain the way the code did before it was keyed, and the head."""
    with engine.begin() as conn:
        entries = [
            AuditEntry(
                seq=r.seq,
                at=r.at,
                user_id=r.user_id,
                username=r.username,
                action=AuditAction(r.action),
                entity_type=r.entity_type,
                entity_id=r.entity_id,
                detail=r.detail,
                prev_hash="",  # not stored: the previous entry's hash
                entry_hash=bytes(r.entry_hash).hex(),
            )
            for r in conn.execute(text("SELECT * FROM audit_log ORDER BY seq"))
        ]
        prev = GENESIS_HASH
        for number, entry in enumerate(entries, 1):
            if number >= from_seq or entry.seq != number:
                digest = chain_hash(number, prev, entry)
                conn.execute(
                    text("UPDATE audit_log SET seq = :n, entry_hash = :h WHERE seq = :old"),
                    {"n": number, "h": bytes.fromhex(digest), "old": entry.seq},
                )
                prev = digest
            else:
                prev = entry.entry_hash
        conn.execute(
            text("UPDATE audit_head SET seq = :n, entry_hash = :h WHERE id = 1"),
            {"n": len(entries), "h": prev},
        )


def rehash_signed(engine: Engine, encounter_id: int, services: Services) -> None:
    """Recompute a signed encounter's content hash (and its addenda's) as the code does."""
    with services.encounters._uow() as uow:  # the repositories read rows exactly
        enc = uow.encounters.get(encounter_id)
    assert enc is not None
    assert enc.signed_at is not None
    assert enc.signed_by_id is not None
    digest = hash_payload(
        signed_payload(enc, enc.signed_by_id, enc.signed_by_name or "", enc.signed_at)
    )
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE encounters SET content_hash = :h WHERE id = :i"),
            {"h": digest, "i": encounter_id},
        )
        for add in enc.addenda:
            conn.execute(
                text("UPDATE addenda SET content_hash = :h WHERE id = :i"),
                {"h": hash_payload(add.payload(digest)), "i": add.id},
            )


def test_a_signed_note_edited_and_rehashed_fails_its_signature(keyed: KeyedPractice) -> None:
    with keyed.engine.begin() as conn:
        conn.execute(text("UPDATE encounters SET reason = 'Nothing wrong' WHERE id = 1"))
    rehash_signed(keyed.engine, 1, keyed.services)
    # The attacker also rewrites the SIGN entry's hash and recomputes the chain unkeyed.
    with keyed.engine.begin() as conn:
        digest = conn.execute(text("SELECT content_hash FROM encounters WHERE id = 1")).scalar()
        conn.execute(text("UPDATE audit_log SET detail = :d WHERE action = 'sign'"), {"d": digest})
    rechain(keyed.engine)

    records = keyed.services.audit.verify_records()
    chain = keyed.services.audit.verify()

    assert records.first_broken_id == 1
    assert "does not match its signature by Dr Cruz" in records.problem
    assert not chain.intact


def test_a_signature_stripped_and_the_hash_recomputed_is_found(keyed: KeyedPractice) -> None:
    with keyed.engine.begin() as conn:
        conn.execute(
            text("UPDATE encounters SET signature = NULL, signing_key_id = NULL, reason = 'x'")
        )
    rehash_signed(keyed.engine, 1, keyed.services)

    records = keyed.services.audit.verify_records()
    assert records.first_broken_id == 1
    assert "differs from the one the audit trail recorded" in records.problem

    # The SIGN entry rewritten to the new hash: the record still fails, and so does the chain.
    with keyed.engine.begin() as conn:
        digest = conn.execute(text("SELECT content_hash FROM encounters WHERE id = 1")).scalar()
        conn.execute(text("UPDATE audit_log SET detail = :d WHERE action = 'sign'"), {"d": digest})
    records = keyed.services.audit.verify_records()
    assert "carries no signature, although Dr Cruz held a signing key" in records.problem
    assert not keyed.services.audit.verify().intact


def test_a_forged_sign_entry_breaks_the_keyed_chain(keyed: KeyedPractice) -> None:
    with keyed.engine.connect() as conn:
        seq = conn.execute(text("SELECT seq FROM audit_log WHERE action = 'sign'")).scalar_one()
    with keyed.engine.begin() as conn:
        conn.execute(
            text("UPDATE audit_log SET username = 'owner', user_id = 1 WHERE seq = :s"),
            {"s": seq},
        )
    rechain(keyed.engine)

    report = keyed.services.audit.verify()

    assert not report.intact
    assert report.first_broken_seq is not None
    assert report.first_broken_seq <= seq
    assert "keyed hash" in report.problem


def test_a_cut_tail_with_the_head_updated_is_found_by_the_checkpoint(
    keyed: KeyedPractice,
) -> None:
    with keyed.engine.begin() as conn:
        last = conn.execute(text("SELECT max(seq) FROM audit_log")).scalar_one()
        conn.execute(text("DELETE FROM audit_log WHERE seq >= :s"), {"s": last - 1})
        previous = conn.execute(
            text("SELECT entry_hash FROM audit_log WHERE seq = :s"), {"s": last - 2}
        ).scalar_one()
        conn.execute(
            text("UPDATE audit_head SET seq = :s, entry_hash = :h WHERE id = 1"),
            {"s": last - 2, "h": bytes(previous).hex()},
        )

    report = keyed.services.audit.verify()
    alert = keyed.services.audit.check_anchor()

    assert not report.intact
    assert "checkpoint outside the database saw entry" in report.problem
    assert alert is not None
    assert "entries were removed" in alert
    # The alert is in the trail, and the checkpoint holds still: the next check still fails.
    assert not keyed.services.audit.verify().intact


def test_rows_deleted_and_the_chain_recomputed_are_found(keyed: KeyedPractice) -> None:
    with keyed.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_log WHERE action = 'view_encounter'"))
        conn.execute(text("DELETE FROM audit_log WHERE action = 'login' AND seq > 2"))
    rechain(keyed.engine)

    report = keyed.services.audit.verify()

    assert not report.intact
    assert keyed.services.audit.check_anchor() is not None


def test_the_untouched_keyed_practice_verifies(keyed: KeyedPractice) -> None:
    report = keyed.services.audit.verify()
    records = keyed.services.audit.verify_records()

    assert report.intact, report.problem
    assert records.intact, records.problem
    assert (records.checked, records.addenda, records.unsigned) == (1, 1, 0)
    assert keyed.services.audit.check_anchor() is None


def test_a_backup_with_a_forged_tag_is_refused(
    keyed: KeyedPractice, tmp_path: Path, clock: Any
) -> None:
    backup = keyed.services.backup
    assert backup is not None
    owner = keyed.services.accounts.login("owner", PASSWORD)
    out = tmp_path / f"real{backup.suffix}"
    try:
        manifest = backup.back_up(owner, out)
    except BackupFailed as exc:
        pytest.skip(f"PostgreSQL client tools missing: {exc}")
    assert manifest.authenticated
    assert backup.verify(out).audit_head is not None
    forged = tmp_path / f"forged{backup.suffix}"
    if backup.backend == "sqlite":
        shutil.copyfile(out, forged)
        conn = sqlite3.connect(forged)
        conn.execute("UPDATE accounts SET roles = 'admin,clinician' WHERE username = 'cruz'")
        # A tag made with a key the attacker chose: the practice key is not in the database.
        conn.execute(
            "UPDATE clinic_backup_manifest SET value = ? WHERE key = 'auth_tag'", ("ab" * 32,)
        )
        conn.commit()
        conn.close()
    else:
        with zipfile.ZipFile(out) as src, zipfile.ZipFile(forged, "w") as dst:
            values = json.loads(src.read("manifest.json"))
            values["auth_tag"] = "ab" * 32
            dst.writestr("manifest.json", json.dumps(values))
            dst.writestr("database.pgdump", src.read("database.pgdump"))

    with pytest.raises(BackupInvalid, match="failed its authentication check") as err:
        backup.restore(owner, forged)

    assert "\n" not in str(err.value)
    assert keyed.services.accounts.login("cruz", PASSWORD).roles == frozenset({Role.CLINICIAN})


def test_a_restored_backup_resets_the_checkpoint_and_keeps_verifying(
    keyed: KeyedPractice, tmp_path: Path
) -> None:
    backup = keyed.services.backup
    assert backup is not None
    owner = keyed.services.accounts.login("owner", PASSWORD)
    out = tmp_path / f"real{backup.suffix}"
    try:
        backup.back_up(owner, out)
    except BackupFailed as exc:
        pytest.skip(f"PostgreSQL client tools missing: {exc}")
    keyed.services.accounts.login("cruz", PASSWORD)  # the chain moves on past the backup

    backup.restore(owner, out)

    assert keyed.services.audit.verify().intact
    assert keyed.services.audit.check_anchor() is None
    assert keyed.services.audit.verify_records().intact


# --------------------------------------------------------------------------- the command line


def keyed_cli_practice(tmp_path: Path) -> Path:
    """A data folder made through the app's own wiring, with one signed, amended note."""
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    services = build_services(load_settings(data))
    accounts = services.accounts
    accounts.create_first_admin(
        {
            "username": "owner",
            "display_name": "Dr Owner",
            "password": ADMIN_PASSWORD,
            "roles": ["clinician"],
        }
    )
    owner = accounts.login("owner", ADMIN_PASSWORD)
    patient = services.patients.register(
        owner, {"family_name": "Nunez", "given_name": "Ana", "date_of_birth": "1970-01-02"}
    )
    enc = services.encounters.create(
        owner,
        {
            "patient_id": patient.id,
            "encounter_date": services.clock.today(),
            "reason": "Heel pain",
        },
    )
    services.encounters.sign(owner, enc.id, enc.version)
    services.encounters.add_addendum(owner, enc.id, "Called back: better.")
    engine = getattr(services.audit._uow, "engine", None)
    if engine is not None:
        engine.dispose()
    return data


def test_audit_verify_names_the_note_whose_signature_fails(tmp_path: Path) -> None:
    data = keyed_cli_practice(tmp_path)
    assert (data / "practice.key").stat().st_mode & 0o777 == 0o600
    clean = run_cli(tmp_path, data, "audit", "verify")
    assert clean.returncode == 0, clean.stderr
    assert "1 signed encounters and 1 addenda match their hashes and signatures" in clean.stdout
    engine = make_engine(f"sqlite+pysqlite:///{data / DB_FILE}")
    try:
        with engine.begin() as conn:
            conn.execute(text("UPDATE addenda SET text = 'Never mind.'"))
        _engine, uow = open_database(f"sqlite+pysqlite:///{data / DB_FILE}")
        with uow() as unit:
            enc = unit.encounters.get(1)
        _engine.dispose()
        assert enc is not None
        assert enc.content_hash is not None
        with engine.begin() as conn:
            conn.execute(
                text("UPDATE addenda SET content_hash = :h"),
                {"h": hash_payload(enc.addenda[0].payload(enc.content_hash))},
            )
    finally:
        engine.dispose()

    result = run_cli(tmp_path, data, "audit", "verify")

    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "Signed records BROKEN at encounter 1: Addendum #1 does not match its signature by "
        "Dr Owner (key #1)."
    ]


def test_audit_verify_finds_a_cut_tail_from_the_checkpoint(tmp_path: Path) -> None:
    data = keyed_cli_practice(tmp_path)
    last = int(str(rows(data, "SELECT max(seq) FROM audit_log")[0][0]))
    conn = sqlite3.connect(data / DB_FILE)
    conn.execute("DELETE FROM audit_log WHERE seq = ?", (last,))
    conn.execute(
        "UPDATE audit_head SET seq = ?, entry_hash = "
        "(SELECT lower(hex(entry_hash)) FROM audit_log WHERE seq = ?)",
        (last - 1, last - 1),
    )
    conn.commit()
    conn.close()

    result = run_cli(tmp_path, data, "audit", "verify")

    assert result.returncode == 1
    assert "INTEGRITY ALERT" in result.stderr
    assert "Audit trail BROKEN" in result.stderr
    assert "Traceback" not in result.stderr


def test_restore_refuses_a_forged_backup_in_one_line(tmp_path: Path) -> None:
    data = keyed_cli_practice(tmp_path)
    backup = tmp_path / "copy.sqlite3"
    made = run_cli(
        tmp_path, data, "backup", "--out", str(backup), "--user", "owner", password=ADMIN_PASSWORD
    )
    assert made.returncode == 0, made.stderr
    conn = sqlite3.connect(backup)
    conn.execute("UPDATE encounters SET reason = 'Nothing wrong'")
    conn.commit()
    conn.close()

    result = run_cli(
        tmp_path, data, "restore", str(backup), "--user", "owner", password=ADMIN_PASSWORD
    )

    refused(result, "failed its authentication check")
    assert rows(data, "SELECT reason FROM encounters") == [("Heel pain",)]


def test_restore_onto_a_new_computer_takes_the_key_from_the_admins_slot(tmp_path: Path) -> None:
    data = keyed_cli_practice(tmp_path)
    backup = tmp_path / "copy.sqlite3"
    made = run_cli(
        tmp_path, data, "backup", "--out", str(backup), "--user", "owner", password=ADMIN_PASSWORD
    )
    assert made.returncode == 0, made.stderr
    fresh = tmp_path / "new-computer"

    result = run_cli(
        tmp_path, fresh, "restore", str(backup), "--user", "owner", password=ADMIN_PASSWORD
    )

    assert result.returncode == 0, result.stderr
    assert (fresh / "practice.key").read_bytes() == (data / "practice.key").read_bytes()
    verified = run_cli(tmp_path, fresh, "audit", "verify")
    assert verified.returncode == 0, verified.stderr
    assert "match their hashes and signatures" in verified.stdout


def test_opening_a_note_whose_signature_fails_shows_the_problem(keyed: KeyedPractice) -> None:
    with keyed.engine.begin() as conn:
        conn.execute(text("UPDATE encounters SET reason = 'Nothing wrong' WHERE id = 1"))
    rehash_signed(keyed.engine, 1, keyed.services)
    cruz = keyed.services.accounts.login("cruz", PASSWORD)

    view = keyed.services.encounters.get(cruz, 1)

    assert not view.intact
    assert "does not match its signature by Dr Cruz" in view.problems[0]
    with pytest.raises(ClinicError, match="fails its integrity check"):
        keyed.services.encounters.visit_note(cruz, 1, PrintAction.PRINT)


def test_a_workstation_without_the_practice_key_does_not_start_a_second_chain(
    keyed: KeyedPractice, tmp_path: Path
) -> None:
    other = tmp_path / "second-workstation"
    other.mkdir()
    with keyed.services.encounters._uow() as uow:
        _keyed_from, key_check = uow.audit.keying()
    assert key_check is not None

    with pytest.raises(ClinicError, match=r"practice\.key.* is missing"):
        open_practice_key(other, key_check)
    (other / "practice.key").write_text("AAAA" * 11 + "\n")
    with pytest.raises(ClinicError):
        open_practice_key(other, key_check)
    shutil.copyfile(keyed.folder / "practice.key", other / "practice.key")
    assert open_practice_key(other, key_check).secret == keyed.key.secret


def test_the_admin_exports_every_public_key(tmp_path: Path) -> None:
    data = keyed_cli_practice(tmp_path)
    out = tmp_path / "keys.pem"

    result = run_cli(
        tmp_path,
        data,
        "keys",
        "export",
        "--out",
        str(out),
        "--user",
        "owner",
        password=ADMIN_PASSWORD,
    )
    again = run_cli(
        tmp_path,
        data,
        "keys",
        "export",
        "--out",
        str(out),
        "--user",
        "owner",
        password=ADMIN_PASSWORD,
    )

    assert result.returncode == 0, result.stderr
    text_out = out.read_text()
    assert "signing key #1 of owner (Dr Owner)" in text_out
    assert text_out.count("BEGIN PUBLIC KEY") == 1
    refused(again, "already exists")


def test_a_signing_key_swapped_to_re_sign_an_altered_addendum_is_found(
    keyed: KeyedPractice,
) -> None:
    # The attacker makes a key pair of their own, puts its public half in place of Dr Cruz's,
    # alters the addendum (its entry in the trail records no hash), re-hashes and re-signs it.
    forger = Ed25519PrivateKey.generate()
    public = forger.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()
    with keyed.engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE signing_keys SET public_key = :p "
                "WHERE id = (SELECT signing_key_id FROM addenda)"
            ),
            {"p": public},
        )
        conn.execute(text("UPDATE addenda SET text = 'Never called.'"))
    rehash_signed(keyed.engine, 1, keyed.services)
    with keyed.services.encounters._uow() as uow:
        enc = uow.encounters.get(1)
    assert enc is not None
    assert enc.content_hash is not None
    add = enc.addenda[0]
    forged = forger.sign(payload_bytes(add.payload(enc.content_hash))).hex()
    with keyed.engine.begin() as conn:
        conn.execute(text("UPDATE addenda SET signature = :s"), {"s": forged})

    report = keyed.services.audit.verify_records()

    assert report.first_broken_id == 1
    assert "public half is not the one the audit trail recorded" in report.problem
