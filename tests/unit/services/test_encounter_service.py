"""EncounterService over fakes: draft -> signed -> addenda, hashes and tamper detection."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from clinic_app.domain.account import Principal
from clinic_app.domain.assessment.record import MAX_REASON, ReleasePlan
from clinic_app.domain.audit import AuditAction
from clinic_app.domain.encounter import (
    MAX_TEXT,
    Encounter,
    EncounterContent,
    EncounterStatus,
    addendum_payload,
    hash_payload,
    signed_payload,
)
from clinic_app.domain.errors import ConflictError, FieldErrors, NotFound, RecordLocked
from clinic_app.domain.exam import NeuroFootExam
from clinic_app.domain.layout import set_path
from clinic_app.domain.patient import Patient
from clinic_app.services.encounters import EncounterService
from unit.fakes import FakeDatabase, FixedClock, audit_actions


@pytest.fixture
def draft(encounters: EncounterService, clinician: Principal, ana: Patient) -> Encounter:
    """A fresh draft for Ana, charted by Dr Rivera."""
    return encounters.create(
        clinician,
        {"patient_id": ana.id, "encounter_date": "2026-03-14", "reason": " Burning sole "},
    )


@pytest.fixture
def signed(
    encounters: EncounterService, clinician: Principal, draft: Encounter, clock: FixedClock
) -> Encounter:
    """The draft, charted and then signed five minutes later."""
    saved = encounters.save_draft(
        clinician, draft.id, {"notes": "Tinel positive.", "plan": "NCS"}, draft.version
    )
    clock.advance(minutes=5)
    return encounters.sign(clinician, draft.id, saved.version)


def test_create_opens_a_draft(
    draft: Encounter, clinician: Principal, clock: FixedClock, db: FakeDatabase
) -> None:
    assert draft.status is EncounterStatus.DRAFT
    assert draft.reason == "Burning sole"
    assert draft.content == EncounterContent()
    assert (draft.clinician_id, draft.clinician_name) == (clinician.user_id, "Dr Rivera")
    assert draft.created_at == clock.now()
    assert draft.version == 1
    assert draft.content_hash is None
    assert audit_actions(db)[-1] is AuditAction.CREATE


def test_create_refuses_bad_input_without_writing(
    encounters: EncounterService, clinician: Principal, ana: Patient, db: FakeDatabase
) -> None:
    before = db.commits
    with pytest.raises(FieldErrors) as caught:
        encounters.create(clinician, {"patient_id": ana.id, "encounter_date": "x", "reason": ""})
    assert set(caught.value.errors) == {"encounter_date", "reason"}
    assert caught.value.errors["reason"] == "Enter the reason for the visit."
    with pytest.raises(FieldErrors, match="future"):
        encounters.create(
            clinician, {"patient_id": ana.id, "encounter_date": "2026-03-15", "reason": "x"}
        )
    with pytest.raises(NotFound):
        encounters.create(
            clinician, {"patient_id": 404, "encounter_date": date(2026, 3, 1), "reason": "x"}
        )
    assert db.commits == before


def test_save_draft_bumps_the_version(
    encounters: EncounterService, clinician: Principal, draft: Encounter, db: FakeDatabase
) -> None:
    first = encounters.save_draft(clinician, draft.id, {"notes": "one"}, 1)
    second = encounters.save_draft(clinician, draft.id, EncounterContent(notes="two"), 2)
    assert (first.version, second.version) == (2, 3)
    assert second.content.notes == "two"
    # Edits are audited per editing session: the first save at once, the rest at close.
    assert db.committed.audit[-1].detail == "version 2"
    encounters.close_draft(clinician, draft.id)
    assert db.committed.audit[-1].action is AuditAction.EDIT_DRAFT
    assert "3" in db.committed.audit[-1].detail


def test_save_draft_from_a_stale_window_is_a_conflict(
    encounters: EncounterService, clinician: Principal, draft: Encounter, db: FakeDatabase
) -> None:
    encounters.save_draft(clinician, draft.id, {"notes": "saved at the front desk PC"}, 1)
    with pytest.raises(ConflictError):
        encounters.save_draft(clinician, draft.id, {"notes": "typed in the exam room"}, 1)
    assert db.committed.encounters[draft.id].content.notes == "saved at the front desk PC"


@pytest.mark.parametrize(
    ("content", "field"),
    [
        ({"notes": "x" * (MAX_TEXT + 1)}, "notes"),
        ({"plan": "x" * (MAX_TEXT + 1)}, "plan"),
        ({"plan": 5}, "plan"),
        ({"diagnosis": "not a field"}, "diagnosis"),
    ],
)
def test_save_draft_refuses_bad_content(
    encounters: EncounterService,
    clinician: Principal,
    draft: Encounter,
    db: FakeDatabase,
    content: dict[str, object],
    field: str,
) -> None:
    before = db.commits
    with pytest.raises(FieldErrors) as caught:
        encounters.save_draft(clinician, draft.id, content, draft.version)
    assert set(caught.value.errors) == {field}
    assert db.commits == before


def test_save_draft_of_a_missing_encounter(
    encounters: EncounterService, clinician: Principal
) -> None:
    with pytest.raises(NotFound):
        encounters.save_draft(clinician, 404, {"notes": "x"}, 1)


def test_signing_hashes_exactly_what_was_signed(
    encounters: EncounterService,
    clinician: Principal,
    clock: FixedClock,
    draft: Encounter,
    db: FakeDatabase,
) -> None:
    saved = encounters.save_draft(clinician, draft.id, {"notes": "Tinel positive."}, 1)
    clock.advance(minutes=5)
    signed = encounters.sign(clinician, draft.id, saved.version)
    # What was signed: the draft as saved, plus the assessment as shown at signing.
    assert signed.content.notes == saved.content.notes
    assert signed.content.signed_assessment is not None
    assert signed.content.signed_assessment.at == clock.now()
    assert signed.content.model_copy(update={"signed_assessment": None}) == saved.content
    expected = hash_payload(signed_payload(signed, clinician.user_id, "Dr Rivera", clock.now()))
    assert signed.content_hash == expected
    assert signed.status is EncounterStatus.SIGNED
    assert (signed.signed_by_id, signed.signed_by_name) == (clinician.user_id, "Dr Rivera")
    assert signed.signed_at == clock.now()
    last = db.committed.audit[-1]
    assert (last.action, last.detail) == (AuditAction.SIGN, expected)


def test_signed_encounter_is_locked(
    encounters: EncounterService, clinician: Principal, signed: Encounter, db: FakeDatabase
) -> None:
    before = db.commits
    with pytest.raises(RecordLocked):
        encounters.save_draft(clinician, signed.id, {"notes": "changed"}, signed.version)
    with pytest.raises(RecordLocked):
        encounters.sign(clinician, signed.id, signed.version)
    assert db.commits == before


def test_sign_with_a_stale_version_is_a_conflict(
    encounters: EncounterService, clinician: Principal, draft: Encounter, db: FakeDatabase
) -> None:
    encounters.save_draft(clinician, draft.id, {"notes": "newer"}, 1)
    with pytest.raises(ConflictError):
        encounters.sign(clinician, draft.id, 1)
    assert db.committed.encounters[draft.id].status is EncounterStatus.DRAFT


def test_get_reads_back_intact_and_audits(
    encounters: EncounterService, clinician: Principal, signed: Encounter, db: FakeDatabase
) -> None:
    view = encounters.get(clinician, signed.id)
    assert view.intact
    assert view.encounter == signed
    assert audit_actions(db)[-1] is AuditAction.VIEW_ENCOUNTER


def test_get_of_a_missing_encounter(encounters: EncounterService, clinician: Principal) -> None:
    with pytest.raises(NotFound, match="#404"):
        encounters.get(clinician, 404)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("content", EncounterContent(notes="Tinel negative.", plan="NCS")),
        ("reason", "Ankle sprain"),
        ("encounter_date", date(2026, 3, 1)),
        ("signed_by_name", "Dr Someone"),
    ],
)
def test_get_detects_a_changed_field_and_raises_an_alert(
    encounters: EncounterService,
    clinician: Principal,
    signed: Encounter,
    db: FakeDatabase,
    field: str,
    value: object,
) -> None:
    # Someone edits the stored row behind the app's back.
    stored = db.committed.encounters[signed.id]
    db.committed.encounters[signed.id] = stored.model_copy(update={field: value})
    view = encounters.get(clinician, signed.id)
    assert not view.intact
    assert view.problems == (
        "The signed encounter does not match its content hash: it was changed after signing.",
    )
    assert audit_actions(db)[-2:] == [AuditAction.VIEW_ENCOUNTER, AuditAction.INTEGRITY_ALERT]
    assert db.committed.audit[-1].detail == view.problems[0]


def test_addendum_is_chained_to_the_encounter_hash(
    encounters: EncounterService,
    clinician: Principal,
    clock: FixedClock,
    signed: Encounter,
    db: FakeDatabase,
) -> None:
    assert signed.content_hash is not None
    clock.advance(days=1)
    amended = encounters.add_addendum(clinician, signed.id, "  NCS booked.  ")
    (add,) = amended.addenda
    assert add.text == "NCS booked."
    assert add.content_hash == hash_payload(
        addendum_payload(
            signed.id,
            signed.content_hash,
            "NCS booked.",
            clinician.user_id,
            "Dr Rivera",
            clock.now(),
        )
    )
    # The signed encounter itself is untouched.
    assert amended.content_hash == signed.content_hash
    assert amended.content == signed.content
    assert audit_actions(db)[-1] is AuditAction.ADDENDUM
    assert encounters.get(clinician, signed.id).intact


def test_changed_addendum_is_detected(
    encounters: EncounterService, clinician: Principal, signed: Encounter, db: FakeDatabase
) -> None:
    amended = encounters.add_addendum(clinician, signed.id, "NCS booked.")
    add = amended.addenda[0].model_copy(update={"text": "NCS cancelled."})
    db.committed.encounters[signed.id] = amended.model_copy(update={"addenda": (add,)})
    view = encounters.get(clinician, signed.id)
    assert view.problems == (
        f"Addendum #{add.id} does not match its content hash: it was changed after signing.",
    )


def test_addendum_needs_a_signed_encounter(
    encounters: EncounterService, clinician: Principal, draft: Encounter
) -> None:
    with pytest.raises(RecordLocked):
        encounters.add_addendum(clinician, draft.id, "Too early.")


@pytest.mark.parametrize("text", ["", "   \n", "x" * (MAX_TEXT + 1)])
def test_addendum_text_is_checked_before_anything_is_written(
    encounters: EncounterService,
    clinician: Principal,
    signed: Encounter,
    db: FakeDatabase,
    text: str,
) -> None:
    before = db.commits
    with pytest.raises(FieldErrors) as caught:
        encounters.add_addendum(clinician, signed.id, text)
    assert set(caught.value.errors) == {"addendum"}
    assert db.commits == before


def test_list_for_patient_is_newest_first(
    encounters: EncounterService, clinician: Principal, ana: Patient, signed: Encounter
) -> None:
    later = encounters.create(
        clinician, {"patient_id": ana.id, "encounter_date": "2026-03-14", "reason": "Again"}
    )
    earlier = encounters.create(
        clinician, {"patient_id": ana.id, "encounter_date": "2026-02-01", "reason": "First"}
    )
    listed = encounters.list_for_patient(clinician, ana.id)
    assert [e.id for e in listed] == [later.id, signed.id, earlier.id]
    assert listed[1].status is EncounterStatus.SIGNED


# --- the partial save: refused fields keep their saved value ---------------------------------


def saved_content() -> EncounterContent:
    """A draft as last saved: a pain score, a note and a plan."""
    exam = NeuroFootExam().model_dump(mode="json")
    exam["history"]["pain_score"] = 3
    return EncounterContent.model_validate({"exam": exam, "notes": "Saved.", "plan": "NCS"})


def on_screen(**changes: object) -> dict[str, Any]:
    """The saved draft as the screen sends it, with dotted paths changed."""
    raw = saved_content().model_dump(mode="json")
    for path, value in changes.items():
        set_path(raw, path.replace("__", "."), value)
    return raw


def test_a_valid_draft_is_saved_whole(encounters: EncounterService) -> None:
    raw = on_screen(notes="New note.", exam__history__pain_score=5)
    part = encounters.valid_part(raw, saved_content())
    assert part.held == {}
    assert part.content.notes == "New note."
    assert part.content.exam.history.pain_score == 5


def test_a_refused_note_keeps_its_saved_value_and_the_rest_is_saved(
    encounters: EncounterService,
) -> None:
    raw = on_screen(notes="x" * (MAX_TEXT + 1), plan="Release right", exam__history__pain_score=5)
    part = encounters.valid_part(raw, saved_content())
    assert set(part.held) == {"notes"}
    assert part.content.notes == "Saved."
    assert part.content.plan == "Release right"
    assert part.content.exam.history.pain_score == 5
    assert raw["notes"] == "x" * (MAX_TEXT + 1)  # what is on screen is not touched


def test_a_refused_finding_keeps_its_saved_value(encounters: EncounterService) -> None:
    raw = on_screen(exam__history__pain_score=11, exam__history__duration_weeks=6)
    part = encounters.valid_part(raw, saved_content())
    assert list(part.held) == ["exam.history.pain_score"]
    assert part.held["exam.history.pain_score"]
    assert part.content.exam.history.pain_score == 3
    assert part.content.exam.history.duration_weeks == 6
    assert raw["exam"]["history"]["pain_score"] == 11


def test_a_finding_is_held_where_the_screen_shows_it(encounters: EncounterService) -> None:
    # An error shown on a whole group holds the whole group at its saved value.
    raw = on_screen(exam__history__pain_score=11, exam__history__duration_weeks=6)
    part = encounters.valid_part(raw, saved_content(), lambda path: path.rpartition(".")[0])
    assert list(part.held) == ["exam.history.pain_score"]
    assert part.content.exam.history == saved_content().exam.history


def test_the_reason_and_the_release_keep_their_saved_values(
    encounters: EncounterService,
) -> None:
    raw = on_screen(
        assessment__foot_primary_reason="x" * (MAX_REASON + 1), release="sideways", notes="Kept."
    )
    part = encounters.valid_part(raw, saved_content())
    assert set(part.held) == {"assessment.foot_primary_reason", "release"}
    assert part.content.assessment.foot_primary_reason == ""
    assert part.content.release is ReleasePlan.NONE
    assert part.content.notes == "Kept."


def test_a_refusal_that_cannot_be_held_back_saves_nothing(encounters: EncounterService) -> None:
    with pytest.raises(FieldErrors) as caught:
        encounters.valid_part(on_screen(copied_from="yesterday"), saved_content())
    assert set(caught.value.errors) == {"copied_from"}
    # A finding the screen does not show cannot be held back either.
    with pytest.raises(FieldErrors):
        encounters.valid_part(
            on_screen(exam__history__pain_score=11), saved_content(), lambda _path: None
        )


def test_the_partial_content_saves_as_a_draft(
    encounters: EncounterService, clinician: Principal, draft: Encounter
) -> None:
    raw = on_screen(notes="x" * (MAX_TEXT + 1), plan="Release right")
    part = encounters.valid_part(raw, draft.content)
    saved = encounters.save_draft(clinician, draft.id, part.content, draft.version)
    assert (saved.content.notes, saved.content.plan) == ("", "Release right")
