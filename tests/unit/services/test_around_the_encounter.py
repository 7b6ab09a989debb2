"""Issue 19 in the services: start lists, reasons, clinical facts, roles, sessions, the queue."""

from __future__ import annotations

from datetime import timedelta

import pytest

from clinic_app.domain.account import Principal, Role
from clinic_app.domain.audit import AuditAction
from clinic_app.domain.encounter import EncounterSummary, VisitSummary
from clinic_app.domain.errors import FieldErrors, PermissionDenied
from clinic_app.domain.patient import Patient, TriState
from clinic_app.domain.print_queue import HandoutChoice, PrintAction
from clinic_app.resources import handouts_dir
from clinic_app.services.accounts import AccountService, SessionEnded
from clinic_app.services.encounters import EncounterService
from clinic_app.services.handouts import HandoutLibrary
from clinic_app.services.patients import CLINICAL_FACT_REFUSED, PatientService
from clinic_app.services.print_queue import PrintQueueService
from unit.fakes import PATIENT_ANA, FakeDatabase, FixedClock

PASSWORD = "plantar-fascia-walk"


# --------------------------------------------------------------------------- clinical facts


def test_front_desk_cannot_record_diabetes_at_registration(
    patients: PatientService, front_desk: Principal, db: FakeDatabase
) -> None:
    with pytest.raises(FieldErrors) as caught:
        patients.register(front_desk, PATIENT_ANA)
    assert caught.value.errors == {"diabetes": CLINICAL_FACT_REFUSED}
    assert db.commits == 0


def test_front_desk_edits_demographics_and_diabetes_stays(
    patients: PatientService, front_desk: Principal, ana: Patient
) -> None:
    edited = patients.update(
        front_desk,
        ana.id,
        {"family_name": "Núñez", "given_name": "Ana María", "date_of_birth": "1968-04-30"},
        ana.version,
    )
    assert edited.given_name == "Ana María"
    assert edited.diabetes is TriState.YES


@pytest.mark.parametrize(
    ("field", "value"),
    [("diabetes", "no"), ("medications", "metformin"), ("allergy_status", "none_known")],
)
def test_front_desk_cannot_change_a_clinical_fact(
    patients: PatientService, front_desk: Principal, ana: Patient, field: str, value: str
) -> None:
    raw = {**PATIENT_ANA, field: value}
    with pytest.raises(FieldErrors) as caught:
        patients.update(front_desk, ana.id, raw, ana.version)
    assert caught.value.errors == {field: CLINICAL_FACT_REFUSED}
    assert patients.get(front_desk, ana.id) == ana


def test_clinician_changes_diabetes(
    patients: PatientService, clinician: Principal, ana: Patient
) -> None:
    edited = patients.update(clinician, ana.id, {**PATIENT_ANA, "diabetes": "no"}, ana.version)
    assert edited.diabetes is TriState.NO


# --------------------------------------------------------------------------- start page, chart


def test_start_lists_hold_todays_patients_and_my_recent_charts(
    patients: PatientService,
    encounters: EncounterService,
    clinician: Principal,
    front_desk: Principal,
    ana: Patient,
    clock: FixedClock,
) -> None:
    bo = patients.register(
        clinician, {"family_name": "Baker", "given_name": "Bo", "date_of_birth": "1950-01-02"}
    )
    cy = patients.register(
        clinician, {"family_name": "Cole", "given_name": "Cy", "date_of_birth": "1960-01-02"}
    )
    yesterday = clock.today() - timedelta(days=1)
    encounters.create(
        clinician, {"patient_id": ana.id, "encounter_date": clock.today(), "reason": "Heel pain"}
    )
    encounters.create(
        clinician, {"patient_id": bo.id, "encounter_date": yesterday, "reason": "Follow-up"}
    )
    for patient in (cy, ana, cy):
        patients.open_chart(clinician, patient.id)
    patients.open_chart(front_desk, bo.id)

    lists = patients.start_lists(clinician)

    assert [p.id for p in lists.today] == [ana.id]
    assert [p.id for p in lists.recent] == [cy.id, ana.id]
    assert [p.id for p in patients.start_lists(front_desk).recent] == [bo.id]


def test_reason_for_visit_reaches_clinicians_only(
    patients: PatientService,
    encounters: EncounterService,
    clinician: Principal,
    front_desk: Principal,
    ana: Patient,
) -> None:
    encounters.create(
        clinician, {"patient_id": ana.id, "encounter_date": "2026-03-01", "reason": "Numb sole"}
    )
    for_clinician = patients.open_chart(clinician, ana.id).encounters
    assert [e.reason for e in for_clinician if isinstance(e, VisitSummary)] == ["Numb sole"]
    for line in (
        *patients.open_chart(front_desk, ana.id).encounters,
        *encounters.list_for_patient(front_desk, ana.id),
    ):
        assert type(line) is EncounterSummary
        assert "Numb sole" not in line.model_dump_json()


# --------------------------------------------------------------------------- accounts


@pytest.fixture
def staff(accounts: AccountService, admin: Principal) -> tuple[Principal, int]:
    """A real admin account (for the last-admin rule) and a clinician account's id."""
    first = accounts.create_first_admin(
        {"username": "boss", "display_name": "Boss", "password": PASSWORD}
    )
    made = accounts.create_account(
        first.principal(),
        {
            "username": "lee",
            "display_name": "Dr Lee",
            "password": PASSWORD,
            "roles": {Role.CLINICIAN},
        },
    )
    return first.principal(), made.id


def test_admin_changes_roles_audited(
    accounts: AccountService, staff: tuple[Principal, int], db: FakeDatabase
) -> None:
    boss, lee = staff
    changed = accounts.change_roles(boss, lee, [Role.CLINICIAN, Role.ADMIN])
    assert changed.roles == {Role.CLINICIAN, Role.ADMIN}
    last = db.committed.audit[-1]
    assert (last.action, last.entity_id) == (AuditAction.ACCOUNT_CHANGE, str(lee))
    assert last.detail == "roles clinician -> admin,clinician"


def test_role_change_refuses_no_roles_the_last_admin_and_non_admins(
    accounts: AccountService, staff: tuple[Principal, int], clinician: Principal
) -> None:
    boss, lee = staff
    with pytest.raises(FieldErrors, match="at least one role"):
        accounts.change_roles(boss, lee, [])
    with pytest.raises(FieldErrors, match="at least one active admin"):
        accounts.change_roles(boss, boss.user_id, [Role.CLINICIAN])
    with pytest.raises(PermissionDenied):
        accounts.change_roles(clinician, lee, [Role.ADMIN])


def test_admin_resets_a_password_audited_and_the_rules_apply(
    accounts: AccountService, staff: tuple[Principal, int], db: FakeDatabase
) -> None:
    boss, lee = staff
    with pytest.raises(FieldErrors, match="at least 12"):
        accounts.reset_password(boss, lee, "short")
    with pytest.raises(FieldErrors, match="common passwords"):
        accounts.reset_password(boss, lee, "password1234")
    accounts.reset_password(boss, lee, "another-long-phrase")
    assert db.committed.audit[-1].detail == "password reset"
    assert accounts.login("lee", "another-long-phrase").user_id == lee


def test_session_ends_after_disabling_or_a_role_change(
    accounts: AccountService, staff: tuple[Principal, int]
) -> None:
    boss, lee_id = staff
    lee = accounts.login("lee", PASSWORD)
    accounts.check_session(lee)
    accounts.change_roles(boss, lee_id, [Role.CLINICIAN, Role.FRONT_DESK])
    with pytest.raises(SessionEnded, match="changed this account's roles"):
        accounts.check_session(lee)
    lee = accounts.login("lee", PASSWORD)
    accounts.set_active(boss, lee_id, False)
    with pytest.raises(SessionEnded, match="disabled"):
        accounts.check_session(lee)


# --------------------------------------------------------------------------- print queue


@pytest.fixture
def queue(db: FakeDatabase, clock: FixedClock, encounters: EncounterService) -> PrintQueueService:
    """The print queue with the shipped handouts."""
    return PrintQueueService(db, clock, HandoutLibrary(handouts_dir()), encounters)


def test_queue_tells_namesakes_apart_and_glosses_spanish_titles(
    queue: PrintQueueService,
    patients: PatientService,
    encounters: EncounterService,
    clinician: Principal,
    front_desk: Principal,
    ana: Patient,
) -> None:
    other = patients.register(
        clinician, {**PATIENT_ANA, "date_of_birth": "1990-07-01"}, allow_duplicate=True
    )
    for patient, language in ((ana, "es"), (other, "en")):
        enc = encounters.create(
            clinician,
            {"patient_id": patient.id, "encounter_date": "2026-03-14", "reason": "Numb toes"},
        )
        queue.request(clinician, enc.id, HandoutChoice(handout_id="home-care", language=language))

    lines = queue.queue(front_desk)

    assert [(line.patient_name, line.date_of_birth, line.mrn) for line in lines] == [
        (ana.display_name, ana.date_of_birth, ana.mrn),
        (other.display_name, other.date_of_birth, other.mrn),
    ]
    english = queue.library_handout(front_desk, "home-care", "en").title
    assert lines[0].gloss == english != lines[0].title
    assert (lines[1].title, lines[1].gloss) == (english, "")


def test_recent_prints_name_the_patient_and_the_handout(
    queue: PrintQueueService,
    encounters: EncounterService,
    clinician: Principal,
    front_desk: Principal,
    ana: Patient,
) -> None:
    enc = encounters.create(
        clinician, {"patient_id": ana.id, "encounter_date": "2026-03-14", "reason": "Numb toes"}
    )
    request = queue.request(clinician, enc.id, HandoutChoice(handout_id="home-care", language="es"))
    queue.record_print(front_desk, request.id, PrintAction.PRINT)
    queue.record_library_print(front_desk, "home-care", "en")

    lines = queue.log_lines(front_desk)

    assert [(line.patient_name, line.title) for line in lines] == [
        ("", queue.library_handout(front_desk, "home-care", "en").title),
        (ana.display_name, queue.library_handout(front_desk, "home-care", "es").title),
    ]
    assert lines[1].gloss == lines[0].title
