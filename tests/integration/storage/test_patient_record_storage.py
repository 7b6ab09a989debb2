"""Allergies and current medications on the patient's record: stored, edited, audited, and read
as "unknown" for every patient registered before they existed."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from clinic_app.app import form_catalog
from clinic_app.domain.audit import AuditAction
from clinic_app.domain.errors import FieldErrors
from clinic_app.domain.patient import AllergyStatus
from clinic_app.services.common import SystemClock
from clinic_app.services.container import Services
from clinic_app.storage.bootstrap import open_database
from clinic_app.storage.db import sqlite_url

FIXTURES = Path(__file__).parents[2] / "fixtures" / "db_versions"
PASSWORD = "fixture-password-1"  # as in make_fixtures.py
GRACE = {
    "family_name": "Okafor",
    "given_name": "Grace",
    "date_of_birth": "1958-05-06",
    "sex": "female",
    "diabetes": "yes",
}


def test_patients_registered_before_read_as_allergies_unknown(tmp_path):
    copy = tmp_path / "clinic.sqlite3"
    shutil.copyfile(FIXTURES / "schema_0004.sqlite3", copy)
    engine, uow_factory = open_database(sqlite_url(copy))
    try:
        services = Services.build(uow_factory, SystemClock(), form_catalog())
        clinician = services.accounts.login("drlee", PASSWORD)
        found = services.patients.search(clinician, "a")
        assert found
        for patient in found:
            assert patient.allergy_status is AllergyStatus.UNKNOWN
            assert patient.allergies == ""
            assert patient.allergy_text == "Unknown (not recorded)"
            assert patient.medications == ""
    finally:
        engine.dispose()


def test_allergies_and_medications_are_stored_edited_and_audited(services, clinician, admin):
    patient = services.patients.register(
        clinician,
        {
            **GRACE,
            "allergy_status": "listed",
            "allergies": "penicillin (rash);  latex",
            "medications": "metformin 500 mg twice daily",
        },
    )
    assert services.patients.get(clinician, patient.id).allergies == "penicillin (rash); latex"

    updated = services.patients.update(
        clinician,
        patient.id,
        {**GRACE, "mrn": patient.mrn, "allergy_status": "none_known", "medications": ""},
        patient.version,
    )
    again = services.patients.get(clinician, patient.id)
    assert again == updated
    assert again.allergy_status is AllergyStatus.NONE_KNOWN
    assert again.allergy_text == "No known allergies"
    assert again.medication_text == "None recorded"

    edits = [
        e
        for e in services.audit.recent(admin)
        if e.action is AuditAction.UPDATE and e.entity_type == "patient"
    ]
    assert edits[0].detail == "changed: allergy_status, allergies, medications"
    assert "penicillin" not in edits[0].detail  # names of fields, never the values


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ({"allergy_status": "listed"}, "Write the allergies"),
        ({"allergies": "latex"}, "answer 'Allergies listed'"),
        ({"allergy_status": "none_known", "allergies": "latex"}, "answer 'Allergies listed'"),
    ],
)
def test_a_blank_list_is_never_read_as_no_allergies(services, clinician, answer, message):
    with pytest.raises(FieldErrors) as caught:
        services.patients.register(clinician, {**GRACE, **answer})
    assert message in caught.value.errors["allergies"]
