"""Databases written by each earlier schema version upgrade with their data intact.

The fixtures in tests/fixtures/db_versions/ were made by the app's own code at each version
(see the README there); each test works on a copy in tmp_path.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine

from clinic_app.app import form_catalog
from clinic_app.domain.audit import GENESIS_HASH
from clinic_app.domain.encounter import EncounterStatus, effective_exam
from clinic_app.domain.layout import get_path
from clinic_app.services.common import SystemClock
from clinic_app.services.container import Services
from clinic_app.storage.bootstrap import open_database
from clinic_app.storage.db import SCHEMA_HEAD, schema_revision, sqlite_url
from clinic_app.storage.rows import Base

FIXTURES = Path(__file__).parents[2] / "fixtures" / "db_versions"
RELEASED = ["0001", "0002", "0003", "0004"]
VERSIONS = sorted(p.stem.removeprefix("schema_") for p in FIXTURES.glob("schema_*.sqlite3"))
PASSWORD = "fixture-password-1"  # as in make_fixtures.py


def table_rows(path: Path) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table, read with the plain sqlite3 module (no app code involved)."""
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    try:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
        ]
        return {
            t: [dict(r) for r in conn.execute(f'SELECT * FROM "{t}" ORDER BY rowid')]
            for t in tables
        }
    finally:
        conn.close()


def dump(path: Path) -> list[str]:
    """The whole database as SQL text: schema and data."""
    conn = sqlite3.connect(path)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


def schema_differences(engine: Engine) -> list[object]:
    """What autogenerate would write into a new migration (empty when rows and DB agree)."""
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "compare_server_default": True}
        )
        return list(compare_metadata(context, Base.metadata))


@pytest.fixture(params=VERSIONS)
def old_db(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, Path, dict[str, Any]]:
    """A copy of one fixture database (never the committed file) and its manifest."""
    version: str = request.param
    copy = tmp_path / "clinic.sqlite3"
    shutil.copyfile(FIXTURES / f"schema_{version}.sqlite3", copy)
    manifest = json.loads((FIXTURES / f"schema_{version}.json").read_text())
    return version, copy, manifest


@pytest.fixture
def upgraded(old_db: tuple[str, Path, dict[str, Any]]) -> Iterator[tuple[Engine, Services]]:
    """The fixture opened as the app opens a database at start-up (migrating it)."""
    _version, path, _manifest = old_db
    engine, uow_factory = open_database(sqlite_url(path))
    try:
        yield engine, Services.build(uow_factory, SystemClock(), form_catalog())
    finally:
        engine.dispose()


def test_every_released_schema_has_a_fixture():
    assert set(RELEASED) <= set(VERSIONS)
    for version in VERSIONS:
        path = FIXTURES / f"schema_{version}.sqlite3"
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [
                (version,)
            ]
            # One self-contained file: no WAL left to lose when it is copied.
            assert conn.execute("PRAGMA journal_mode").fetchone() == ("delete",)
        finally:
            conn.close()


def test_upgrade_keeps_every_stored_value(old_db):
    version, path, _manifest = old_db
    before = table_rows(path)

    engine, _uow = open_database(sqlite_url(path))
    try:
        assert schema_revision(engine) == SCHEMA_HEAD
    finally:
        engine.dispose()

    after = table_rows(path)
    assert after["alembic_version"] == [{"version_num": SCHEMA_HEAD}]
    # Schema 0013 keeps each audit hash once, as bytes: the same hashes, none lost.
    links = [entry.pop("prev_hash") for entry in before["audit_log"]]
    assert links == [GENESIS_HASH] + [e["entry_hash"] for e in before["audit_log"][:-1]]
    for entry in after["audit_log"]:
        entry["entry_hash"] = bytes(entry["entry_hash"]).hex()
    for table, rows in before.items():
        if table == "alembic_version":
            continue
        assert table in after, f"schema {version}: table {table} vanished"
        kept = [{column: row[column] for column in rows[0]} for row in after[table]] if rows else []
        assert kept == rows, f"schema {version}: rows of {table} changed"


def test_upgraded_data_reads_back_through_the_services(old_db, upgraded):
    version, path, manifest = old_db
    _engine, services = upgraded
    raw = table_rows(path)
    clinician = services.accounts.login("drlee", PASSWORD)

    # Same patients, as the old version read them back.
    for old in manifest["patients"]:
        now = services.patients.get(clinician, old["id"]).model_dump(mode="json")
        assert {k: now[k] for k in old} == old, f"schema {version}: patient {old['id']}"
    assert len(raw["patients"]) == len(manifest["patients"])

    # Every encounter loads (older content versions migrate on read) and every signature
    # and addendum still matches its hash.
    assert raw["encounters"], "the fixture has encounters"
    for row in raw["encounters"]:
        enc_view = services.encounters.get(clinician, row["id"])
        enc = enc_view.encounter
        assert enc_view.problems == (), f"schema {version}: encounter {row['id']}"
        assert enc.status.value == row["status"]
        assert enc.version == row["version"]
        assert enc.content_hash == row["content_hash"]
        stored = json.loads(row["content"])
        assert enc.content.notes == stored.get("notes", "")
        assert enc.content.plan == stored.get("plan", "")
        assert sorted(a.content_hash for a in enc.addenda) == sorted(
            a["content_hash"] for a in raw["addenda"] if a["encounter_id"] == row["id"]
        )

    signed = services.encounters.get(clinician, manifest["signed_encounter_id"]).encounter
    assert signed.status is EncounterStatus.SIGNED
    assert signed.content.notes == "Burning sole at night for three months."
    assert len(signed.addenda) == 1
    assert signed.addenda[0].text == "Patient called: symptoms unchanged."
    exam = signed.content.exam.model_dump(mode="json")
    for finding, value in manifest["exam_findings"].items():
        assert get_path(exam, finding) == value, f"schema {version}: {finding}"
    amended = effective_exam(signed)[0].model_dump(mode="json")
    for finding, value in manifest["addendum_findings"].items():
        assert get_path(amended, finding) == value

    # The open draft is still a draft and can be carried on with where it was left.
    draft = services.encounters.get(clinician, manifest["draft_encounter_id"]).encounter
    assert draft.status is EncounterStatus.DRAFT
    assert draft.version == manifest["draft_version"]
    saved = services.encounters.save_draft(
        clinician, draft.id, {"notes": "Draft left open. Seen again."}, draft.version
    )
    assert saved.version == draft.version + 1

    if manifest["printed"]:
        desk = services.accounts.login("frank", PASSWORD)
        assert manifest["printed"]["handout_id"] in {
            r.handout_id for r in services.print_queue.log(desk)
        }

    report = services.audit.verify()
    assert report.intact, f"schema {version}: {report.problem}"
    assert report.entries > manifest["audit_entries"]  # the old trail plus today's reads


def test_upgraded_schema_matches_the_row_classes(old_db, upgraded):
    engine, _services = upgraded

    assert schema_differences(engine) == []


def test_upgrading_twice_is_stable(old_db):
    _version, path, _manifest = old_db
    engine, _uow = open_database(sqlite_url(path))
    engine.dispose()
    once = dump(path)

    engine, _uow = open_database(sqlite_url(path))
    try:
        assert schema_revision(engine) == SCHEMA_HEAD
    finally:
        engine.dispose()

    assert dump(path) == once
