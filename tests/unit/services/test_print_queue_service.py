"""The print queue over fakes: the clinician queues, the front desk prints, every print logged."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from clinic_app.domain.account import Principal
from clinic_app.domain.audit import AuditAction
from clinic_app.domain.encounter import Encounter
from clinic_app.domain.errors import FieldErrors, NotFound, PermissionDenied
from clinic_app.domain.patient import Patient
from clinic_app.domain.print_queue import HandoutChoice, PrintAction
from clinic_app.resources import handouts_dir
from clinic_app.services.encounters import EncounterService
from clinic_app.services.handouts import HandoutLibrary
from clinic_app.services.print_queue import PrintHeld, PrintQueueService
from unit.fakes import FakeDatabase, FixedClock, audit_actions

SECRET_NOTE = "Tinel positive behind the medial malleolus; query S1"


@pytest.fixture
def library() -> HandoutLibrary:
    """The shipped handouts."""
    return HandoutLibrary(handouts_dir())


@pytest.fixture
def queue(
    db: FakeDatabase, clock: FixedClock, library: HandoutLibrary, encounters: EncounterService
) -> PrintQueueService:
    """The print queue over the fake database."""
    return PrintQueueService(db, clock, library, encounters)


@pytest.fixture
def visit(encounters: EncounterService, clinician: Principal, ana: Patient) -> Encounter:
    """A draft with a note the front desk must never see."""
    enc = encounters.create(
        clinician, {"patient_id": ana.id, "encounter_date": "2026-03-14", "reason": "Numb sole"}
    )
    return encounters.save_draft(
        clinician, enc.id, {"notes": SECRET_NOTE, "plan": "Orthotics"}, enc.version
    )


def test_the_front_desk_sees_name_title_language_and_count_only(
    queue: PrintQueueService, clinician: Principal, front_desk: Principal, visit: Encounter
) -> None:
    queue.request(
        clinician,
        visit.id,
        HandoutChoice(handout_id="tarsal-tunnel-syndrome", language="es", copies=2),
    )
    queue.request(clinician, visit.id, HandoutChoice(handout_id="home-care", language="es"))
    lines = queue.queue(front_desk)
    assert [
        (line.patient_name, line.handout_id, line.language.value, line.copies) for line in lines
    ] == [
        ("Núñez, Ana", "tarsal-tunnel-syndrome", "es", 2),
        ("Núñez, Ana", "home-care", "es", 1),
    ]
    assert lines[0].title == "El síndrome del túnel tarsiano y sus opciones de tratamiento"
    everything = json.dumps([line.model_dump(mode="json") for line in lines])
    assert "Tinel" not in everything
    assert "Numb sole" not in everything
    assert "Orthotics" not in everything


def test_printing_logs_id_version_language_who_and_when(
    queue: PrintQueueService,
    clinician: Principal,
    front_desk: Principal,
    visit: Encounter,
    clock: FixedClock,
    db: FakeDatabase,
) -> None:
    made = queue.request(
        clinician, visit.id, HandoutChoice(handout_id="foot-or-back", language="en")
    )
    job = queue.job(front_desk, made.id)
    assert job.patient_name == "Núñez, Ana"
    assert job.handout.id == "foot-or-back"
    first = queue.record_print(front_desk, made.id)
    clock.advance(minutes=3)
    again = queue.record_print(front_desk, made.id)
    saved = queue.record_print(front_desk, made.id, PrintAction.SAVE_PDF)
    assert (first.action, again.action, saved.action) == (
        PrintAction.PRINT,
        PrintAction.REPRINT,
        PrintAction.SAVE_PDF,
    )
    assert (first.handout_id, first.version, first.language.value) == ("foot-or-back", 2, "en")
    assert (first.by_name, again.at) == ("Sam Desk", clock.now())
    assert [r.id for r in queue.log(front_desk)] == [saved.id, again.id, first.id]
    assert audit_actions(db).count(AuditAction.PRINT) == 3
    assert queue.queue(front_desk)[0].times_printed == 3
    queue.mark_done(front_desk, made.id)
    assert queue.queue(front_desk) == []


def test_an_unacknowledged_urgent_alert_holds_the_visits_handouts(
    queue: PrintQueueService,
    encounters: EncounterService,
    clinician: Principal,
    front_desk: Principal,
    visit: Encounter,
) -> None:
    made = queue.request(clinician, visit.id, HandoutChoice(handout_id="home-care", language="en"))
    saved = encounters.save_draft(
        clinician,
        visit.id,
        {"exam": {"red_flags": {"bladder_change": {"present": "yes"}}}},
        visit.version,
    )
    with pytest.raises(PrintHeld, match="on hold") as caught:
        queue.record_print(front_desk, made.id)
    assert "bladder" not in str(caught.value).lower()
    assert queue.log(front_desk) == []
    encounters.acknowledge_red_flags(clinician, visit.id, saved.version)
    assert queue.record_print(front_desk, made.id).action is PrintAction.PRINT


def test_bad_requests_are_refused_at_the_field(
    queue: PrintQueueService, clinician: Principal, visit: Encounter, db: FakeDatabase
) -> None:
    before = db.commits
    with pytest.raises(FieldErrors, match="unknown handout 'xyz'"):
        queue.request(clinician, visit.id, HandoutChoice(handout_id="xyz", language="en"))
    with pytest.raises(ValidationError, match="language"):
        HandoutChoice(handout_id="home-care", language="fr")
    with pytest.raises(ValidationError, match="copies"):
        HandoutChoice(handout_id="home-care", language="en", copies=0)
    with pytest.raises(FieldErrors, match="Unknown next step: x-ray"):
        queue.request(
            clinician,
            visit.id,
            HandoutChoice(handout_id="home-care", language="en", next_steps=("x-ray",)),
        )
    with pytest.raises(NotFound):
        queue.request(clinician, 999, HandoutChoice(handout_id="home-care", language="en"))
    assert db.commits == before
    queue.request(clinician, visit.id, HandoutChoice(handout_id="home-care", language="en"))
    with pytest.raises(FieldErrors, match="already in the queue"):
        queue.request(clinician, visit.id, HandoutChoice(handout_id="home-care", language="en"))


def test_roles_front_desk_cannot_queue_and_admin_cannot_print(
    queue: PrintQueueService,
    clinician: Principal,
    front_desk: Principal,
    admin: Principal,
    visit: Encounter,
) -> None:
    with pytest.raises(PermissionDenied):
        queue.request(front_desk, visit.id, HandoutChoice(handout_id="home-care", language="en"))
    made = queue.request(clinician, visit.id, HandoutChoice(handout_id="home-care", language="en"))
    with pytest.raises(PermissionDenied):
        queue.queue(admin)
    with pytest.raises(PermissionDenied):
        queue.record_print(admin, made.id)


def test_a_library_reprint_is_logged_without_a_request(
    queue: PrintQueueService, front_desk: Principal, ana: Patient, db: FakeDatabase
) -> None:
    record = queue.record_library_print(
        front_desk, "tarsal-tunnel-release", "es", PrintAction.REPRINT, patient_id=ana.id
    )
    assert (record.request_id, record.patient_id, record.language.value) == (None, ana.id, "es")
    assert audit_actions(db)[-1] is AuditAction.PRINT


def test_the_job_carries_the_side_print_size_and_ticked_steps_in_the_copy_language(
    queue: PrintQueueService, clinician: Principal, front_desk: Principal, visit: Encounter
) -> None:
    choice = HandoutChoice(
        handout_id="home-care",
        language="es",
        side="left",
        large_print=True,
        next_steps=("back-scan", "follow-up", "retired-step"),
    )
    with pytest.raises(FieldErrors, match="retired-step"):
        queue.request(clinician, visit.id, choice)
    made = queue.request(
        clinician, visit.id, choice.model_copy(update={"next_steps": ("back-scan", "follow-up")})
    )
    job = queue.job(front_desk, made.id)
    assert job.request.side == "left"
    assert job.request.large_print is True
    # Catalogue order, Spanish wording.
    assert job.next_steps == (
        "Vuelva para su próxima cita de control.",
        "Hágase el estudio de imagen de la parte baja de la espalda que le pedimos.",
    )
