"""Faults the practice's machine can throw at a save: a full disk, a database locked by another
program, a PostgreSQL server that goes away. Each time the draft stays on screen, the message
says plainly what is wrong, and the pane's own retry saves it once the fault is gone."""

from __future__ import annotations

import random
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pg_cluster
import pytest
from sqlalchemy import Engine, event

from clinic_app.app import form_catalog, practice_key
from clinic_app.domain.errors import DatabaseUnavailable
from clinic_app.services.common import SystemClock
from clinic_app.services.container import Services
from clinic_app.settings import load_settings
from clinic_app.storage import db as storage_db
from clinic_app.storage.bootstrap import open_database
from clinic_app.ui.dialogs import Dialogs
from clinic_app.ui.views.encounter_view import AUTOSAVE_MS, EncounterPane

pytestmark = pytest.mark.e2e

FULL = "disk holding the database is full"
BUSY = "database is busy"
UNREACHABLE = "server cannot be reached"
# Big enough to need new database pages (4 KiB each), small enough for a clinical note.
# Content is stored compressed, so a note that repeats itself would take almost no room: the
# note that must overflow the full disk is words drawn at random (always the same ones).
_WORDS = random.Random(2026)
LONG_NOTE = " ".join(
    "".join(_WORDS.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(_WORDS.randint(3, 9)))
    for _ in range(2400)
)[:15_000]
# One autosave interval for the failing save, one for the retry, and slack for a loaded machine.
RETRY_WAIT_MS = 3 * AUTOSAVE_MS + 2000


class DiskLimit:
    """Makes a SQLite database behave as if its disk were full, and free again.

    SQLite's max_page_count caps the file at its current size: a write that needs one more
    page fails with SQLITE_FULL ("database or disk is full"), exactly as when the disk has no
    room left. The cap is per connection, so it is set on every checkout from the pool.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.full = False
        event.listen(engine, "checkout", self._on_checkout)

    def _on_checkout(self, dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            if self.full:
                pages = cursor.execute("PRAGMA page_count").fetchone()[0]
                cursor.execute(f"PRAGMA max_page_count = {pages}")
            else:
                cursor.execute("PRAGMA max_page_count = 1073741823")
        finally:
            cursor.close()

    def close(self) -> None:
        """Stop limiting new checkouts."""
        event.remove(self.engine, "checkout", self._on_checkout)


def keyed_services(settings: Any, uow_factory: Any) -> Services:
    """The services as the app wires them: the practice key keys the audit chain."""
    key, anchor = practice_key(settings, uow_factory)
    return Services.build(
        uow_factory, SystemClock(), form_catalog(), practice_key=key, anchor=anchor
    )


@pytest.fixture
def sqlite_services(clinic: dict[str, Any]) -> Iterator[tuple[Engine, Services]]:
    """The app's services over the clinic's SQLite file, with the engine at hand."""
    settings = load_settings(clinic["data_dir"])
    engine, uow_factory = open_database(settings.database_url)
    try:
        yield engine, keyed_services(settings, uow_factory)
    finally:
        engine.dispose()


def open_pane(qtbot: Any, services: Services, principal: Any, encounter_id: int) -> EncounterPane:
    """The encounter pane over the services, showing the encounter as the window would."""
    pane = EncounterPane(services, Dialogs())
    qtbot.addWidget(pane)
    pane.resize(1366, 768)
    pane.show()
    qtbot.waitExposed(pane)
    pane.load(principal, services.encounters.get(principal, encounter_id))
    return pane


def type_note(qtbot: Any, pane: EncounterPane, typed: str, pasted: str = "") -> str:
    """Type (and paste) into the notes, as the clinician would; returns the text on screen."""
    editor = pane.notes.editor
    editor.setFocus()
    qtbot.keyClicks(editor, typed)
    if pasted:
        editor.insertPlainText(pasted)
    return editor.toPlainText()


def wait_for_failure(qtbot: Any, pane: EncounterPane) -> None:
    """Wait for the autosave to fail and say so."""
    qtbot.waitUntil(lambda: pane.save_status.text() == "NOT SAVED", timeout=RETRY_WAIT_MS)


def wait_for_save(qtbot: Any, pane: EncounterPane) -> None:
    """Wait for the pane's own retry to save the draft (no action by the clinician)."""
    qtbot.waitUntil(lambda: pane.save_status.text().startswith("Saved"), timeout=RETRY_WAIT_MS)


def stored_notes(services: Services, principal: Any, encounter_id: int) -> tuple[str, int]:
    """The notes and version as stored."""
    enc = services.encounters.get(principal, encounter_id).encounter
    return enc.content.notes, enc.version


# --------------------------------------------------------------------------- full disk


def test_full_disk_refuses_a_save_whole_then_saves_when_there_is_room(clinic, sqlite_services):
    engine, services = sqlite_services
    principal, enc_id = clinic["principal"], clinic["encounter_id"]
    before = services.encounters.get(principal, enc_id).encounter
    entries = services.audit.verify().entries
    limit = DiskLimit(engine)
    try:
        limit.full = True
        with pytest.raises(DatabaseUnavailable, match=FULL) as err:
            services.encounters.save_draft(principal, enc_id, {"notes": LONG_NOTE}, before.version)
        assert "free some space" in str(err.value)

        limit.full = False
        # Nothing of the refused save was written: no new version, no audit entry.
        assert stored_notes(services, principal, enc_id) == ("", before.version)
        assert services.audit.verify().entries == entries + 1  # only the read just made

        saved = services.encounters.save_draft(
            principal, enc_id, {"notes": LONG_NOTE}, before.version
        )
    finally:
        limit.close()
    assert saved.version == before.version + 1
    assert stored_notes(services, principal, enc_id) == (LONG_NOTE, saved.version)
    assert services.audit.verify().intact


def test_full_disk_while_charting_keeps_the_draft_on_screen_and_retries(
    qtbot, clinic, sqlite_services
):
    engine, services = sqlite_services
    principal, enc_id = clinic["principal"], clinic["encounter_id"]
    pane = open_pane(qtbot, services, principal, enc_id)
    limit = DiskLimit(engine)
    try:
        limit.full = True
        on_screen = type_note(qtbot, pane, "Tinel positive. ", LONG_NOTE)

        wait_for_failure(qtbot, pane)
        message = pane.message.text()
        assert pane.message.isVisible()
        assert FULL in message
        assert "kept on screen" in message
        assert "retried" in message
        assert pane.notes.editor.toPlainText() == on_screen
        assert pane.dirty
        assert stored_notes(services, principal, enc_id)[0] == ""

        limit.full = False  # space freed
        wait_for_save(qtbot, pane)
    finally:
        limit.close()
    assert not pane.dirty
    assert pane.notes.editor.toPlainText() == on_screen
    assert stored_notes(services, principal, enc_id) == (on_screen, pane.encounter.version)
    assert services.audit.verify().intact


# --------------------------------------------------------------------------- locked database

LOCKER = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=0)
conn.execute("BEGIN EXCLUSIVE")
print("LOCKED", flush=True)
sys.stdin.readline()  # hold the lock until told to let go
conn.execute("ROLLBACK")
conn.close()
print("RELEASED", flush=True)
"""


READER = """
import sys
from pathlib import Path
from clinic_app.app import build_services
from clinic_app.settings import load_settings
services = build_services(load_settings(Path(sys.argv[1])))
who = services.accounts.login("drlee", sys.argv[2])
enc = services.encounters.get(who, int(sys.argv[3])).encounter
sys.stdout.write(f"{enc.version}\\n{enc.content.notes}")
"""


def test_database_locked_by_another_program_keeps_the_draft_and_saves_after(
    qtbot, clinic, monkeypatch
):
    # A short busy timeout keeps the test quick; the save still waits it out in full.
    monkeypatch.setattr(storage_db, "SQLITE_BUSY_TIMEOUT_MS", 300)
    settings = load_settings(clinic["data_dir"])
    engine, uow_factory = open_database(settings.database_url)
    services = keyed_services(settings, uow_factory)
    principal, enc_id = clinic["principal"], clinic["encounter_id"]
    pane = open_pane(qtbot, services, principal, enc_id)
    db_file = Path(engine.url.database or "")
    other = subprocess.Popen(
        [sys.executable, "-c", LOCKER, str(db_file)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert other.stdout is not None
        assert other.stdin is not None
        assert other.stdout.readline().strip() == "LOCKED"
        on_screen = type_note(qtbot, pane, "Valleix sign positive proximally.")

        wait_for_failure(qtbot, pane)
        assert BUSY in pane.message.text()
        assert "kept on screen" in pane.message.text()
        assert pane.notes.editor.toPlainText() == on_screen
        assert pane.dirty

        other.stdin.write("release\n")
        other.stdin.flush()
        assert other.stdout.readline().strip() == "RELEASED"
        wait_for_save(qtbot, pane)
    finally:
        other.kill()
        other.communicate(timeout=30)
    assert not pane.dirty
    version = pane.encounter.version
    engine.dispose()  # this workstation is done; a fresh process reads what it saved
    read = subprocess.run(
        [sys.executable, "-c", READER, str(clinic["data_dir"]), clinic["password"], str(enc_id)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert read.returncode == 0, read.stderr
    assert read.stdout == f"{version}\n{on_screen}"


# --------------------------------------------------------------------------- PostgreSQL away


@pytest.fixture
def own_pg_cluster() -> Iterator[pg_cluster.TempCluster]:
    """A PostgreSQL server of this test's own, so stopping it disturbs no other test."""
    bindir = pg_cluster.find_bindir()
    if bindir is None:
        pytest.skip(
            "PostgreSQL server binaries (initdb, pg_ctl, postgres) not found: install the "
            "postgresql package to run the server-restart test"
        )
    cluster = pg_cluster.TempCluster(bindir)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


@pytest.mark.postgres
@pytest.mark.slow
def test_postgres_server_going_away_and_coming_back_loses_no_draft(
    qtbot, own_pg_cluster, fast_password_hashing
):
    url = pg_cluster.create_database(own_pg_cluster.url())
    engine, uow_factory = open_database(url)
    try:
        services = Services.build(uow_factory, SystemClock(), form_catalog())
        principal, enc_id = _practice_with_a_draft(services)
        pane = open_pane(qtbot, services, principal, enc_id)
        on_screen = type_note(qtbot, pane, "Before the server went away. ")
        wait_for_save(qtbot, pane)

        own_pg_cluster.stop_server()
        on_screen = type_note(qtbot, pane, "Typed while it was away.")
        wait_for_failure(qtbot, pane)
        assert UNREACHABLE in pane.message.text()
        assert "kept on screen" in pane.message.text()
        assert pane.notes.editor.toPlainText() == on_screen
        assert pane.dirty

        own_pg_cluster.start_server()
        wait_for_save(qtbot, pane)
        assert not pane.dirty
        assert stored_notes(services, principal, enc_id) == (on_screen, pane.encounter.version)
        assert services.audit.verify().intact
    finally:
        engine.dispose()


def _practice_with_a_draft(services: Services) -> tuple[Any, int]:
    password = "heel-and-sole-42"
    services.accounts.create_first_admin(
        {"username": "admin", "display_name": "Admin", "password": password}
    )
    services.accounts.create_account(
        services.accounts.login("admin", password),
        {
            "username": "drlee",
            "display_name": "Dr Lee",
            "password": password,
            "roles": ["clinician"],
        },
    )
    principal = services.accounts.login("drlee", password)
    patient = services.patients.register(
        principal,
        {
            "family_name": "Okafor",
            "given_name": "Grace",
            "date_of_birth": "1958-05-06",
            "sex": "female",
        },
    )
    enc = services.encounters.create(
        principal,
        {"patient_id": patient.id, "encounter_date": services.clock.today(), "reason": "Numb"},
    )
    return principal, enc.id


def test_failure_message_goes_once_the_retry_saved(qtbot, clinic, sqlite_services):
    engine, services = sqlite_services
    pane = open_pane(qtbot, services, clinic["principal"], clinic["encounter_id"])
    limit = DiskLimit(engine)
    try:
        limit.full = True
        type_note(qtbot, pane, "Tinel positive. ", LONG_NOTE)
        wait_for_failure(qtbot, pane)
        limit.full = False
        wait_for_save(qtbot, pane)
    finally:
        limit.close()
    assert not pane.message.isVisible()
