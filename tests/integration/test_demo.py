"""`clinic-app demo`: clearly synthetic patients in bulk, read back intact, audited per batch."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from clinic_app.domain.account import Permission, Principal, Role
from clinic_app.domain.encounter import EncounterStatus
from clinic_app.domain.errors import FieldErrors
from clinic_app.domain.patient import Language, Patient
from clinic_app.services import demo
from clinic_app.services.common import SystemClock
from clinic_app.services.container import Services
from clinic_app.services.demo import (
    DEMO_MRN_PREFIX,
    MARKER,
    DemoResult,
    NotDemoDatabase,
    fill_demo,
)
from clinic_app.storage.bootstrap import open_database
from clinic_app.storage.db import sqlite_url
from clinic_app.storage.unit_of_work import SqlAlchemyUnitOfWorkFactory

SUMMARY_RE = re.compile(
    r"^Added (?P<patients>\d+) synthetic patients and (?P<encounters>\d+) encounters"
    r" to (?P<where>.+) in \d+\.\d s; log in as (?P<user>[a-z.]+) with password (?P<password>\S+)$"
)


@dataclass
class DemoDb:
    """Services over a temporary SQLite file, and the factory to look underneath them."""

    services: Services
    uow: SqlAlchemyUnitOfWorkFactory
    path: Path


@pytest.fixture
def db(tmp_path: Path, fast_password_hashing: None) -> Iterator[DemoDb]:
    path = tmp_path / "clinic.sqlite3"
    engine, uow_factory = open_database(sqlite_url(path))
    try:
        yield DemoDb(Services.build(uow_factory, SystemClock()), uow_factory, path)
    finally:
        engine.dispose()


def log_in(services: Services, result: DemoResult) -> Principal:
    assert result.password is not None
    return services.accounts.login(result.username, result.password)


def all_demo_patients(services: Services, actor: Principal) -> list[Patient]:
    # Typing "demo" matches every DEMO- MRN.
    return services.patients.search(actor, "demo", limit=100_000)


def test_fill_adds_the_requested_number_of_clearly_synthetic_patients(db: DemoDb) -> None:
    result = fill_demo(db.services, patients=200, seed=7)

    assert result.patients == 200
    with db.uow() as uow:
        assert uow.patients.count() == 200
    actor = log_in(db.services, result)
    patients = all_demo_patients(db.services, actor)
    assert len(patients) == 200
    mrns = [p.mrn for p in patients]
    assert len(set(mrns)) == 200
    assert all(mrn.startswith(DEMO_MRN_PREFIX) for mrn in mrns)
    assert all(p.phone and re.fullmatch(r"\(\d{3}\) 555-01\d\d", p.phone) for p in patients)
    assert {p.preferred_language for p in patients} == {Language.ENGLISH, Language.SPANISH}
    assert len({p.date_of_birth.year for p in patients}) > 20
    assert len({p.diabetes for p in patients}) == 3


def test_same_seed_gives_the_same_people(tmp_path: Path, db: DemoDb) -> None:
    first = fill_demo(db.services, patients=30, seed=11)
    actor = log_in(db.services, first)
    names = sorted(p.display_name for p in all_demo_patients(db.services, actor))
    engine, other = open_database(sqlite_url(tmp_path / "other.sqlite3"))
    try:
        again = Services.build(other, SystemClock())
        second = fill_demo(again, patients=30, seed=11)
        other_names = sorted(
            p.display_name for p in all_demo_patients(again, log_in(again, second))
        )
    finally:
        engine.dispose()
    assert other_names == names


def test_signed_demo_encounters_read_back_intact(db: DemoDb) -> None:
    result = fill_demo(db.services, patients=200, seed=7)
    actor = log_in(db.services, result)
    assert actor.can(Permission.CLINICAL_READ)

    summaries = [
        s
        for p in all_demo_patients(db.services, actor)
        for s in db.services.encounters.list_for_patient(actor, p.id)
    ]
    assert len(summaries) == result.encounters > 0
    signed = [s for s in summaries if s.status is EncounterStatus.SIGNED]
    assert len(signed) == result.signed > 0
    assert sum(s.addenda_count for s in summaries) == result.addenda > 0
    assert any(s.status is EncounterStatus.DRAFT for s in summaries)
    for summary in summaries:
        view = db.services.encounters.get(actor, summary.id)
        assert view.intact, view.problems
        assert MARKER in view.encounter.content.notes
        if view.encounter.is_signed:
            assert view.encounter.signed_by_name == actor.display_name
            assert view.encounter.content_hash is not None
        for addendum in view.encounter.addenda:
            assert MARKER in addendum.text


def test_audit_chain_is_intact_with_one_entry_per_batch(
    db: DemoDb, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(demo, "BATCH_SIZE", 50)

    result = fill_demo(db.services, patients=120, seed=3)

    report = db.services.audit.verify()
    assert report.intact, report.problem
    actor = log_in(db.services, result)
    entries = db.services.audit.recent(actor, limit=1000)
    batches = [e for e in entries if e.entity_type == "demo"]
    assert sorted(int(e.detail.split()[0]) for e in batches) == [20, 50, 50]
    assert all(e.action == "create" and e.user_id == actor.user_id for e in batches)
    assert len(all_demo_patients(db.services, actor)) == 120


def test_first_demo_on_an_empty_database_makes_the_first_admin(db: DemoDb) -> None:
    result = fill_demo(db.services, patients=5, seed=1)

    assert result.username == "demo.admin"
    actor = log_in(db.services, result)
    assert actor.roles == frozenset({Role.ADMIN, Role.CLINICIAN})
    assert not db.services.accounts.needs_first_admin()


def test_a_practice_with_accounts_gets_no_demo_login_and_no_demo_patients(db: DemoDb) -> None:
    db.services.accounts.create_first_admin(
        {"username": "boss", "display_name": "Practice Boss", "password": "long-enough-pw"}
    )

    with pytest.raises(NotDemoDatabase, match="practice's accounts"):
        fill_demo(db.services, patients=5, seed=1)

    with db.uow() as uow:
        assert uow.patients.count() == 0
        assert [a.username for a in uow.accounts.list()] == ["boss"]


def test_a_second_fill_adds_new_mrns_and_reuses_the_demo_account(db: DemoDb) -> None:
    first = fill_demo(db.services, patients=40, seed=5)
    second = fill_demo(db.services, patients=40, seed=5)

    assert second.username == first.username
    assert second.password is None
    assert "password unchanged" in second.summary()
    patients = all_demo_patients(db.services, log_in(db.services, first))
    assert len(patients) == 80
    assert len({p.mrn for p in patients}) == 80


@pytest.mark.parametrize("count", [0, -3, 1_000_001])
def test_a_count_out_of_range_is_refused(db: DemoDb, count: int) -> None:
    with pytest.raises(FieldErrors) as err:
        fill_demo(db.services, patients=count, seed=1)
    assert "patients" in err.value.errors
    with db.uow() as uow:
        assert uow.patients.count() == 0


def test_summary_is_one_line_naming_counts_place_time_and_login(db: DemoDb) -> None:
    result = fill_demo(db.services, patients=20, seed=2)

    match = SUMMARY_RE.match(result.summary())
    assert match, result.summary()
    assert int(match["patients"]) == 20
    assert int(match["encounters"]) == result.encounters
    assert match["where"] == str(db.path)
    assert match["password"] == result.password


@pytest.mark.slow
def test_cli_demo_fills_the_data_folder(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLINIC_")}
    command = [sys.executable, "-m", "clinic_app", "--data-dir", str(tmp_path)]
    proc = subprocess.run(
        [*command, "demo", "--patients", "300"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )

    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 1
    match = SUMMARY_RE.match(lines[0])
    assert match, lines[0]
    assert match["patients"] == "300"
    assert match["user"] == "demo.admin"
    assert Path(match["where"]).parent == tmp_path


def test_fill_reads_back_intact_on_each_database(
    db_url: str, monkeypatch: pytest.MonkeyPatch, fast_password_hashing: None
) -> None:
    # The bulk paths differ per database (RETURNING order, IN lists): run them on both.
    monkeypatch.setattr(demo, "BATCH_SIZE", 40)
    engine, uow_factory = open_database(db_url)
    try:
        services = Services.build(uow_factory, SystemClock())
        result = fill_demo(services, patients=100, seed=7)
        actor = log_in(services, result)
        patients = all_demo_patients(services, actor)
        assert len({p.mrn for p in patients}) == 100
        encounter_ids = [
            s.id for p in patients for s in services.encounters.list_for_patient(actor, p.id)
        ]
        assert len(encounter_ids) == result.encounters > 0
        assert all(services.encounters.get(actor, i).intact for i in encounter_ids)
        assert services.audit.verify().intact
    finally:
        engine.dispose()
