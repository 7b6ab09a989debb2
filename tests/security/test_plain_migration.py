"""A practice whose database is still plain SQLite: encrypted in place at an admin's log-in.

The practice is made the way an older version made it (no key slots, a plain file holding a
signed visit note); then the steps the app takes at the first admin log-in run: open it as
it is, check the admin's password, encrypt it in place, open it again with the new key.
Afterwards the file is checked with the plain `sqlite3` module and a `strings`-like search,
and everything is read back through the app. A failure part-way (a full disk, a copy that
does not match) and a kill at each step must leave a database that opens.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlcipher3

from clinic_app.app import build_services, choose_database_key, database_unlocker
from clinic_app.domain.account import Principal
from clinic_app.domain.errors import Cancelled, ClinicError
from clinic_app.services.container import Services
from clinic_app.services.key_slots import (
    SLOTS_FILE,
    DatabaseEncryption,
    DatabaseKey,
    EncryptionFailed,
    KeySlots,
    kept_copy_path,
    key_from_recovery,
    wrap_under_password_hash,
)
from clinic_app.services.keys import unwrap_secret
from clinic_app.services.private_files import FolderReport, sweep_stale_temps
from clinic_app.settings import DB_FILE, AppSettings, load_settings
from clinic_app.storage import encrypt_in_place as in_place
from clinic_app.storage.peek import connect, is_plain, sqlite_path
from security.helpers import ADMIN_PASSWORD, CLERK_PASSWORD, run_cli

NOTE = "Burning-sole-note-8231 worse at night after standing"
REASON = "Numb-heel-reason-5517 since the fall"
"""Stored as text (the note itself is stored compressed): what `strings` would find."""
PATIENT = "Zebulon-Achterberg"
CLINICIAN_PASSWORD = "monofilament-tuning-fork"
FIXTURES = Path(__file__).parents[1] / "fixtures" / "db_versions"
FIXTURE_PASSWORD = "fixture-password-1"  # tests/fixtures/db_versions/make_fixtures.py


def close(services: Services) -> None:
    """Let go of the database file (what quitting the app does)."""
    services.accounts._uow.engine.dispose()  # type: ignore[attr-defined]


def note_bytes_in(folder: Path) -> list[str]:
    """Files under folder whose bytes hold the note's or the patient's text."""
    found = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        data = path.read_bytes()
        if any(text.encode() in data for text in (NOTE, REASON, PATIENT)):
            found.append(path.name)
    return found


def make_plain_practice(data_dir: Path) -> AppSettings:
    """A practice as an older version left it: a plain file, a signed note, three accounts."""
    data_dir.mkdir(mode=0o700)
    settings = load_settings(data_dir)
    services = build_services(settings)  # no key: the plain database older versions made
    accounts = services.accounts
    accounts.create_first_admin(
        {
            "username": "owner",
            "display_name": "Dr Owner",
            "password": ADMIN_PASSWORD,
            "roles": ["admin", "clinician"],
        }
    )
    owner = accounts.login("owner", ADMIN_PASSWORD)
    for username, name, password, role in (
        ("clerk", "Front Clerk", CLERK_PASSWORD, "front_desk"),
        ("drlee", "Dr Lee", CLINICIAN_PASSWORD, "clinician"),
    ):
        accounts.create_account(
            owner,
            {"username": username, "display_name": name, "password": password, "roles": [role]},
        )
    patient = services.patients.register(
        owner,
        {"family_name": PATIENT, "given_name": "Ana", "date_of_birth": date(1961, 2, 3)},
    )
    enc = services.encounters.create(
        owner, {"patient_id": patient.id, "encounter_date": date.today(), "reason": REASON}
    )
    draft = services.encounters.save_draft(
        owner, enc.id, {"notes": NOTE, "plan": "Nerve study."}, enc.version
    )
    services.encounters.sign(owner, enc.id, draft.version)
    close(services)
    path = data_dir / DB_FILE
    assert is_plain(path)
    # The test means something: the plain file shows the visit's text to `strings`.
    assert REASON.encode() in path.read_bytes() + _wal(path)
    return settings


def _wal(path: Path) -> bytes:
    wal = path.with_name(path.name + "-wal")
    return wal.read_bytes() if wal.exists() else b""


@dataclass
class Start:
    """One start of the app over the data folder, as run_gui does it."""

    services: Services
    db_key: DatabaseKey


def start(settings: AppSettings, username: str, password: str) -> Start:
    """Open the database the way the window does: unlock when it is sealed, else as it is."""
    db_key = DatabaseKey()
    path = sqlite_path(settings.database_url)
    assert path is not None
    if choose_database_key(settings, path, db_key):
        refused = database_unlocker(settings, db_key)(username, password)
        assert refused is None, refused
    return Start(build_services(settings, db_key=db_key), db_key)


def owner_logged_in(settings: AppSettings) -> tuple[Start, Principal, DatabaseEncryption]:
    """The practice's admin logged in over the plain database, and its encryption service."""
    first = start(settings, "owner", ADMIN_PASSWORD)
    owner = first.services.accounts.login("owner", ADMIN_PASSWORD)
    assert first.services.encryption is not None
    return first, owner, first.services.encryption


def encrypt_at_log_in(settings: AppSettings) -> tuple[Start, Any]:
    """What the window does when an admin logs in over a plain database."""
    first, owner, encryption = owner_logged_in(settings)
    assert first.db_key.secret is None
    assert encryption.due(owner)
    done = encryption.encrypt(owner, ADMIN_PASSWORD)
    again = build_services(settings, db_key=first.db_key)
    assert again.encryption is not None
    again.encryption.record_done(owner, done)
    return Start(again, first.db_key), done


def audit_details(path: Path, key: bytes | None) -> list[str]:
    conn = connect(path, key)
    try:
        return [str(r[0]) for r in conn.execute("SELECT detail FROM audit_log ORDER BY seq")]
    finally:
        conn.close()


@pytest.fixture
def plain(tmp_path: Path, fast_password_hashing: None) -> AppSettings:
    return make_plain_practice(tmp_path / "data")


def test_the_first_admin_log_in_encrypts_the_plain_database_in_place(
    plain: AppSettings,
) -> None:
    data_dir = plain.data_dir
    path = data_dir / DB_FILE
    opened, done = encrypt_at_log_in(plain)
    recovery = opened.services.accounts.take_recovery_key()
    owner = opened.services.accounts.login("owner", ADMIN_PASSWORD)
    close(opened.services)

    # The plain tools see no database and no clinical text (the kept copy aside).
    with pytest.raises(sqlite3.DatabaseError, match="not a database"):
        sqlite3.connect(path).execute("SELECT count(*) FROM sqlite_master").fetchone()
    kept = kept_copy_path(path)
    assert done.kept == kept
    assert note_bytes_in(data_dir) == [kept.name]
    assert not is_plain(path)
    # The kept copy is the plain original, private, named for what it is.
    assert "UNENCRYPTED" in kept.name
    assert kept.stat().st_mode & 0o777 == 0o600
    plain_conn = sqlite3.connect(kept)
    assert plain_conn.execute("SELECT count(*) FROM encounters").fetchone() == (1,)
    plain_conn.close()
    assert done.report.tables > 5
    assert done.report.rows > 10
    # The other accounts open it with their own passwords (slots made from their hashes).
    assert sorted(done.pending) == ["clerk", "drlee"]
    assert done.without_slot == ()
    # The recovery key is handed over once, and opens the database by itself.
    assert recovery is not None
    assert opened.db_key.secret == key_from_recovery(recovery)

    # The next start: the log-in page unlocks it; everything reads back.
    later = start(plain, "owner", ADMIN_PASSWORD)
    services = later.services
    owner = services.accounts.login("owner", ADMIN_PASSWORD)
    found = services.patients.search(owner, PATIENT)
    assert [p.family_name for p in found] == [PATIENT]
    chart = services.encounters.list_for_patient(owner, found[0].id)
    view = services.encounters.get(owner, chart[0].id)
    assert view.encounter.content.notes == NOTE
    assert view.encounter.reason == REASON
    assert view.encounter.signed_at is not None
    assert view.intact
    assert services.audit.verify().intact
    assert services.audit.verify_records().intact
    assert services.integrity_alert is None
    details = audit_details(path, later.db_key.secret)
    assert any("encrypted in place (SQLCipher" in d for d in details)
    assert any(d.startswith("encrypted in place:") for d in details)
    close(services)

    for username, password in (("drlee", CLINICIAN_PASSWORD), ("clerk", CLERK_PASSWORD)):
        assert KeySlots(data_dir).is_pending(username)
        other = start(plain, username, password)
        other.services.accounts.login(username, password)
        # The slot made from the stored hash is replaced by one under a fresh salt.
        assert not KeySlots(data_dir).is_pending(username)
        close(other.services)
    assert start(plain, "clerk", CLERK_PASSWORD).db_key.secret == later.db_key.secret


def test_the_kept_copy_stays_until_an_admin_confirms(plain: AppSettings) -> None:
    opened, done = encrypt_at_log_in(plain)
    encryption = opened.services.encryption
    assert encryption is not None
    owner = opened.services.accounts.login("owner", ADMIN_PASSWORD)
    clerk = opened.services.accounts.login("clerk", CLERK_PASSWORD)
    assert encryption.kept_copy() == done.kept
    assert not encryption.due(owner)  # encrypted once, never again

    with pytest.raises(ClinicError):
        encryption.confirm(clerk)  # an admin's decision
    assert done.kept.exists()

    assert encryption.confirm(owner) == done.kept
    assert not done.kept.exists()
    assert encryption.kept_copy() is None
    assert note_bytes_in(plain.data_dir) == []
    with pytest.raises(ClinicError, match="no unencrypted copy"):
        encryption.confirm(owner)
    details = audit_details(plain.data_dir / DB_FILE, opened.db_key.secret)
    assert any("was deleted" in d for d in details)
    close(opened.services)


def test_a_front_desk_log_in_leaves_the_plain_database_as_it_is(plain: AppSettings) -> None:
    first = start(plain, "clerk", CLERK_PASSWORD)
    clerk = first.services.accounts.login("clerk", CLERK_PASSWORD)
    assert first.services.encryption is not None
    assert not first.services.encryption.due(clerk)
    close(first.services)
    assert is_plain(plain.data_dir / DB_FILE)


def _assert_untouched_and_in_use(
    settings: AppSettings, services: Services, audited: str = "failed, it stays unencrypted"
) -> None:
    """Nothing of the attempt is left; the plain records are read and written as before."""
    path = settings.data_dir / DB_FILE
    assert is_plain(path)
    names = sorted(p.name for p in settings.data_dir.iterdir())
    assert not [n for n in names if n.endswith(".tmp") or "UNENCRYPTED" in n], names
    assert SLOTS_FILE not in names
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("SELECT count(*) FROM encounters").fetchone() == (1,)
    finally:
        conn.close()
    # The services already open go on working over the plain file.
    owner = services.accounts.login("owner", ADMIN_PASSWORD)
    assert [p.family_name for p in services.patients.search(owner, PATIENT)] == [PATIENT]
    assert services.encryption is not None
    assert services.encryption.due(owner)  # asked again at the next admin log-in
    assert any(audited in d for d in audit_details(path, None))


def test_encrypting_reports_its_progress(plain: AppSettings) -> None:
    first, owner, encryption = owner_logged_in(plain)
    told: list[tuple[str, int, int]] = []

    encryption.encrypt(owner, ADMIN_PASSWORD, lambda *step: told.append(step))

    stages = [stage for stage, _, _ in told]
    assert stages[0] == "copying"
    assert "checking" in stages
    assert stages.index("checking") > stages.index("copying")
    copying = [(done, total) for stage, done, total in told if stage == "copying"]
    assert all(total >= 1 and done >= 0 for done, total in copying)
    assert not is_plain(plain.data_dir / DB_FILE)
    close(first.services)


@pytest.mark.parametrize("stage", ["copying", "checking"])
def test_cancelling_leaves_the_plain_database_as_it_was(plain: AppSettings, stage: str) -> None:
    first, owner, encryption = owner_logged_in(plain)
    told: list[str] = []

    def progress(at: str, done: int, total: int) -> None:
        told.append(at)
        if at == stage:
            raise Cancelled("Stopped before it finished; nothing was changed.")

    with pytest.raises(Cancelled):
        encryption.encrypt(owner, ADMIN_PASSWORD, progress)

    assert told[-1] == stage
    assert first.db_key.secret is None
    _assert_untouched_and_in_use(
        plain,
        first.services,
        "encrypting the database in place was stopped by the admin; it stays unencrypted",
    )
    close(first.services)


def test_a_full_disk_part_way_leaves_the_plain_database_untouched_and_in_use(
    plain: AppSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_export = in_place._export

    def export_then_disk_full(path: Path, target: Path, key: bytes, progress=None) -> None:
        real_export(path, target, key)  # a partly written copy is on disk...
        raise sqlcipher3.OperationalError("database or disk is full")

    monkeypatch.setattr(in_place, "_export", export_then_disk_full)
    first, owner, encryption = owner_logged_in(plain)

    with pytest.raises(EncryptionFailed) as failed:
        encryption.encrypt(owner, ADMIN_PASSWORD)

    message = str(failed.value)
    assert message == "The records could not be encrypted (the disk is full); nothing was changed."
    assert first.db_key.secret is None
    _assert_untouched_and_in_use(plain, first.services)
    close(first.services)


def test_too_little_free_space_is_refused_before_anything_is_written(
    plain: AppSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        in_place.shutil, "disk_usage", lambda _p: shutil._ntuple_diskusage(10**9, 10**9, 1024)
    )
    first, owner, encryption = owner_logged_in(plain)

    with pytest.raises(EncryptionFailed, match="the disk is full: about"):
        encryption.encrypt(owner, ADMIN_PASSWORD)

    _assert_untouched_and_in_use(plain, first.services)
    close(first.services)


def test_a_copy_missing_rows_is_refused_and_the_plain_database_stays(
    plain: AppSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_export = in_place._export

    def lossy_export(path: Path, target: Path, key: bytes, progress=None) -> None:
        real_export(path, target, key)
        conn = connect(target, key)
        conn.execute("DELETE FROM audit_log WHERE seq = (SELECT max(seq) FROM audit_log)")
        conn.commit()
        conn.close()

    monkeypatch.setattr(in_place, "_export", lossy_export)
    first, owner, encryption = owner_logged_in(plain)

    with pytest.raises(EncryptionFailed, match="does not hold every row: audit_log"):
        encryption.encrypt(owner, ADMIN_PASSWORD)

    _assert_untouched_and_in_use(plain, first.services)
    close(first.services)


def test_a_database_open_in_another_program_is_refused(plain: AppSettings) -> None:
    first, owner, encryption = owner_logged_in(plain)
    other = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sqlite3, sys, time; c = sqlite3.connect(sys.argv[1]); "
            "c.execute('SELECT count(*) FROM patients').fetchone(); print('open', flush=True); "
            "time.sleep(60)",
            str(plain.data_dir / DB_FILE),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert other.stdout is not None
        assert other.stdout.readline().strip() == "open"
        with pytest.raises(EncryptionFailed, match="open in another program"):
            encryption.encrypt(owner, ADMIN_PASSWORD)
    finally:
        other.kill()
        other.communicate()
    _assert_untouched_and_in_use(plain, first.services)
    close(first.services)


def test_without_hard_links_the_kept_copy_is_a_checked_copy(
    plain: AppSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_links(_src: object, _dst: object) -> None:
        raise OSError(1, "Operation not permitted")

    monkeypatch.setattr(in_place.os, "link", no_links)
    opened, done = encrypt_at_log_in(plain)
    close(opened.services)

    assert done.kept.stat().st_ino != (plain.data_dir / DB_FILE).stat().st_ino
    assert done.kept.stat().st_mode & 0o777 == 0o600
    conn = sqlite3.connect(done.kept)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert conn.execute("SELECT reason FROM encounters").fetchone() == (REASON,)
    finally:
        conn.close()
    assert not [p for p in plain.data_dir.iterdir() if p.name.endswith(".tmp")]


def test_a_slot_made_from_the_password_hash_opens_with_the_password() -> None:
    from argon2 import PasswordHasher

    hashed = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash("a-long-password")
    key = os.urandom(32)
    slot = wrap_under_password_hash(key, hashed, "database")
    assert slot is not None
    assert unwrap_secret(slot, "a-long-password", "database") == key
    with pytest.raises(ClinicError):
        unwrap_secret(slot, "another-password", "database")
    assert wrap_under_password_hash(key, "$argon2i$v=19$m=8,t=1,p=1$c2FsdA$aGFzaA", "x") is None


# --------------------------------------------------------------------------- kill -9

KILL_CHILD = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    from functools import partial

    from argon2 import PasswordHasher
    import clinic_app.services.accounts as accounts_service
    accounts_service.PasswordHasher = partial(
        PasswordHasher, time_cost=1, memory_cost=1024, parallelism=1)
    from clinic_app.app import build_services
    from clinic_app.settings import load_settings
    from clinic_app.storage import encrypt_in_place as in_place

    stage, folder, password = sys.argv[1], Path(sys.argv[2]), sys.argv[3]

    def die():
        os.kill(os.getpid(), signal.SIGKILL)

    def after(name):
        real = getattr(in_place, name)
        def wrapped(*args, **kwargs):
            real(*args, **kwargs)
            die()
        setattr(in_place, name, wrapped)

    real_replace = os.replace
    if stage == "mid-export":
        import threading, time
        real_export = in_place._export
        def export_and_die_half_way(path, target, key, progress=None):
            worker = threading.Thread(target=real_export, args=(path, target, key))
            worker.start()
            # Killed while SQLCipher writes the copy (or just after, on a fast disk).
            while worker.is_alive() and not (target.exists() and target.stat().st_size):
                time.sleep(0.0002)
            die()
        in_place._export = export_and_die_half_way
    elif stage == "export":
        after("_export")
    elif stage == "keep":
        after("_keep_original")
    elif stage == "rename":
        def replace_then_die(src, dst):
            real_replace(src, dst)
            if Path(dst).name == "clinic.sqlite3":
                die()
        in_place.os.replace = replace_then_die
    services = build_services(load_settings(folder))
    owner = services.accounts.login("owner", password)
    services.encryption.encrypt(owner, password)
    print("not killed")
    """
)


@pytest.mark.parametrize("stage", ["mid-export", "export", "keep", "rename"])
def test_a_kill_at_any_step_leaves_a_database_that_opens(
    plain: AppSettings, stage: str, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLINIC_")}
    child = subprocess.run(
        [sys.executable, "-c", KILL_CHILD, stage, str(plain.data_dir), ADMIN_PASSWORD],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert child.returncode == -9, child.stdout + child.stderr

    # The next start sweeps what was left, opens whichever database is in place.
    report = FolderReport()
    sweep_stale_temps([plain.data_dir], report)
    path = plain.data_dir / DB_FILE
    assert is_plain(path) is (stage != "rename")
    later = start(plain, "owner", ADMIN_PASSWORD)
    owner = later.services.accounts.login("owner", ADMIN_PASSWORD)
    found = later.services.patients.search(owner, PATIENT)
    enc = later.services.encounters.list_for_patient(owner, found[0].id)[0]
    assert later.services.encounters.get(owner, enc.id).encounter.content.notes == NOTE
    assert later.services.audit.verify().intact
    leftovers = [p.name for p in plain.data_dir.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []
    if stage == "rename":
        # Encrypted: the recovery key waits for the admin's log-in; the copy is kept.
        assert later.services.accounts.take_recovery_key() is not None
        assert kept_copy_path(path).exists()
        assert later.db_key.secret is not None
    else:
        # Still plain: the next admin log-in encrypts it.
        assert later.services.encryption is not None
        assert later.services.encryption.due(owner)
        close(later.services)
        opened, _done = encrypt_at_log_in(plain)
        later = opened
        assert not is_plain(path)
    close(later.services)


# --------------------------------------------------------------------------- older databases


@pytest.mark.parametrize("version", ["0001", "0002", "0003", "0004"])
def test_databases_of_every_released_schema_are_encrypted(
    tmp_path: Path, version: str, fast_password_hashing: None
) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir(mode=0o700)
    shutil.copyfile(FIXTURES / f"schema_{version}.sqlite3", data_dir / DB_FILE)
    settings = load_settings(data_dir)
    first = start(settings, "admin", FIXTURE_PASSWORD)
    admin = first.services.accounts.login("admin", FIXTURE_PASSWORD)
    before = {p.id: p.family_name for p in first.services.patients.search(admin, "")}
    assert first.services.encryption is not None
    done = first.services.encryption.encrypt(admin, FIXTURE_PASSWORD)
    assert done.report.rows > 0

    later = start(settings, "admin", FIXTURE_PASSWORD)
    admin = later.services.accounts.login("admin", FIXTURE_PASSWORD)
    after = {p.id: p.family_name for p in later.services.patients.search(admin, "")}
    assert after == before
    assert later.services.audit.verify().intact
    assert later.services.audit.verify_records().intact
    drlee = start(settings, "drlee", FIXTURE_PASSWORD)  # another account's own password
    assert drlee.db_key.secret == later.db_key.secret
    close(drlee.services)
    close(later.services)


def test_a_demo_database_is_encrypted_and_confirmed_on_the_command_line(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    demo = run_cli(tmp_path, data_dir, "demo", "--patients", "5")
    assert demo.returncode == 0, demo.stderr
    password = demo.stdout.strip().rsplit(" ", 1)[-1]

    done = run_cli(tmp_path, data_dir, "encrypt", "--user", "demo.admin", password=password)

    assert done.returncode == 0, done.stderr
    assert "recovery key" in done.stdout
    kept = kept_copy_path(data_dir / DB_FILE)
    assert kept.exists()
    assert not is_plain(data_dir / DB_FILE)
    verify = run_cli(
        tmp_path, data_dir, "audit", "verify", "--user", "demo.admin", password=password
    )
    assert verify.returncode == 0, verify.stderr
    again = run_cli(tmp_path, data_dir, "encrypt", "--user", "demo.admin", password=password)
    assert again.returncode == 2
    assert again.stderr.strip() == "clinic-app: encrypt: the database is already encrypted"

    confirm = run_cli(
        tmp_path, data_dir, "encrypt", "confirm", "--user", "demo.admin", password=password
    )

    assert confirm.returncode == 0, confirm.stderr
    assert not kept.exists()
    assert json.loads((data_dir / SLOTS_FILE).read_text())["slots"]
