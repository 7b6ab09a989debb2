"""Draft saves are audited per editing session: the first save, then at most every few
minutes, and what is left when the draft is closed or signed (who, when, which versions)."""

from __future__ import annotations

from clinic_app.domain.audit import AuditAction
from clinic_app.services.encounters import DRAFT_AUDIT_EVERY


def edits(services, admin, encounter_id):
    return [
        e.detail
        for e in reversed(services.audit.recent(admin))
        if e.action is AuditAction.EDIT_DRAFT and e.entity_id == str(encounter_id)
    ]


def test_autosaves_are_audited_per_session(services, clock, admin, clinician, patient):
    enc = services.encounters.create(
        clinician, {"patient_id": patient.id, "encounter_date": clock.today(), "reason": "Heel"}
    )
    version = enc.version
    for n in range(5):
        version = services.encounters.save_draft(
            clinician, enc.id, {"notes": f"note {n}"}, version
        ).version
    first = enc.version + 1
    assert edits(services, admin, enc.id) == [f"version {first}"]
    clock.advance(seconds=DRAFT_AUDIT_EVERY.total_seconds())
    version = services.encounters.save_draft(clinician, enc.id, {"notes": "later"}, version).version
    assert edits(services, admin, enc.id) == [f"version {first}", f"versions {first + 1}-{version}"]
    version = services.encounters.save_draft(clinician, enc.id, {"notes": "last"}, version).version
    services.encounters.close_draft(clinician, enc.id)
    assert edits(services, admin, enc.id)[-1] == f"version {version}"
    services.encounters.close_draft(clinician, enc.id)  # nothing left: no new entry
    assert len(edits(services, admin, enc.id)) == 3


def test_signing_audits_the_saves_left_first(services, clock, admin, clinician, patient):
    enc = services.encounters.create(
        clinician, {"patient_id": patient.id, "encounter_date": clock.today(), "reason": "Heel"}
    )
    v1 = services.encounters.save_draft(clinician, enc.id, {"notes": "a"}, enc.version).version
    v2 = services.encounters.save_draft(clinician, enc.id, {"notes": "b"}, v1).version
    services.encounters.sign(clinician, enc.id, v2)
    assert edits(services, admin, enc.id) == [f"version {v1}", f"version {v2}"]
    actions = [
        e.action for e in reversed(services.audit.recent(admin)) if e.entity_id == str(enc.id)
    ]
    assert actions.index(AuditAction.SIGN) > max(
        i for i, a in enumerate(actions) if a is AuditAction.EDIT_DRAFT
    )
