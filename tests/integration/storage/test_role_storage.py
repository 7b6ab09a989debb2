"""Role checks in the service layer, over a real database: who may read and write what."""

from __future__ import annotations

import pytest

from clinic_app.domain.account import Role
from clinic_app.domain.encounter import EncounterSummary
from clinic_app.domain.errors import PermissionDenied

CLINICAL_FIELDS = {"reason", "content", "notes", "plan", "addenda", "content_hash"}


@pytest.fixture
def secrets(signed, open_draft):
    """Clinical text that must never reach a front-desk screen."""
    return [
        *(e.reason for e in (signed, open_draft)),
        *(e.content.notes for e in (signed, open_draft)),
        signed.content.plan,
        *(a.text for a in signed.addenda),
    ]


@pytest.fixture
def open_draft(services, clinician, patient, signed, clock):
    """A second encounter, still a draft, next to the signed one."""
    enc = services.encounters.create(
        clinician,
        {"patient_id": patient.id, "encounter_date": clock.today(), "reason": "Follow-up: toes"},
    )
    return services.encounters.save_draft(
        clinician, enc.id, {"notes": "Monofilament absent at the hallux."}, enc.version
    )


@pytest.fixture
def denied_calls(services, patient, open_draft, signed, clock):
    """Every clinical use case, ready to be called as a given person."""
    enc = services.encounters
    draft = open_draft
    return {
        "get": lambda who: enc.get(who, signed.id),
        "create": lambda who: enc.create(
            who, {"patient_id": patient.id, "encounter_date": clock.today(), "reason": "x"}
        ),
        "save_draft": lambda who: enc.save_draft(who, draft.id, {"notes": "x"}, draft.version),
        "sign": lambda who: enc.sign(who, draft.id, draft.version),
        "add_addendum": lambda who: enc.add_addendum(who, signed.id, "x"),
    }


def test_front_desk_is_refused_every_clinical_use_case(
    services, clinician, front_desk, patient, open_draft, signed, denied_calls
):
    entries_before = services.audit.verify().entries

    for call in denied_calls.values():
        with pytest.raises(PermissionDenied, match="Frank Front's account is not allowed"):
            call(front_desk)

    # Nothing was written: no new encounter, no change, no audit entry.
    assert services.audit.verify().entries == entries_before
    assert services.encounters.get(clinician, open_draft.id).encounter == open_draft
    assert services.encounters.get(clinician, signed.id).encounter == signed
    assert len(services.encounters.list_for_patient(clinician, patient.id)) == 2


def test_admin_without_the_clinician_role_is_refused_too(services, admin, denied_calls):
    entries_before = services.audit.verify().entries

    for call in denied_calls.values():
        with pytest.raises(PermissionDenied, match="Alex Admin's account is not allowed"):
            call(admin)

    assert services.audit.verify().entries == entries_before


def test_summary_model_holds_no_clinical_fields():
    assert not CLINICAL_FIELDS & set(EncounterSummary.model_fields)


def test_front_desk_sees_the_visit_list_without_content(
    services, front_desk, patient, open_draft, signed, secrets
):
    listed = services.encounters.list_for_patient(front_desk, patient.id)
    chart = services.patients.open_chart(front_desk, patient.id)

    assert {e.id for e in listed} == {open_draft.id, signed.id}
    assert list(chart.encounters) == listed
    for summary in [*listed, *chart.encounters]:
        assert type(summary) is EncounterSummary
        assert not CLINICAL_FIELDS & set(summary.model_dump())
        assert not hasattr(summary, "reason")
        assert not hasattr(summary, "notes")
    shown = chart.model_dump_json() + "".join(s.model_dump_json() for s in listed)
    for text in secrets:
        assert text not in shown


def test_front_desk_may_register_find_and_edit_patients(services, front_desk, patient):
    found = services.patients.search(front_desk, "nunez")
    edited = services.patients.update(
        front_desk,
        patient.id,
        {"family_name": "Núñez", "given_name": "José Luis", "date_of_birth": "1970-02-03"},
        patient.version,
    )

    assert [p.id for p in found] == [patient.id]
    assert services.patients.get(front_desk, patient.id) == edited


def test_admin_may_read_charts_but_not_write_patients(services, admin, patient, signed):
    chart = services.patients.open_chart(admin, patient.id)

    assert [e.id for e in chart.encounters] == [signed.id]
    with pytest.raises(PermissionDenied):
        services.patients.register(
            admin, {"family_name": "Roe", "given_name": "Jo", "date_of_birth": "1960-06-01"}
        )


def test_admin_who_is_also_a_clinician_reads_content(services, make_user, signed):
    both = make_user("chief", {Role.ADMIN, Role.CLINICIAN}, "Dr. Chief")

    view = services.encounters.get(both, signed.id)

    assert view.encounter == signed
    assert view.intact


@pytest.mark.parametrize("who", ["clinician", "front_desk"])
def test_only_admins_read_the_audit_trail_and_manage_accounts(services, request, who):
    person = request.getfixturevalue(who)

    with pytest.raises(PermissionDenied):
        services.audit.recent(person)
    with pytest.raises(PermissionDenied):
        services.accounts.list_accounts(person)
    with pytest.raises(PermissionDenied):
        services.accounts.create_account(
            person,
            {
                "username": "sneaky",
                "display_name": "Sneaky",
                "password": "long-enough-pw",
                "roles": {Role.ADMIN},
            },
        )
    with pytest.raises(PermissionDenied):
        services.accounts.set_active(person, person.user_id, False)
    with pytest.raises(PermissionDenied):
        services.accounts.reset_password(person, person.user_id, "long-enough-pw")
