"""Fixtures for the storage tests: direct SQL access, a patient and encounters in each state."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from sqlalchemy import Engine

from clinic_app.domain.account import Principal
from clinic_app.domain.encounter import Encounter
from clinic_app.domain.patient import Patient
from clinic_app.services.container import Services
from clinic_app.storage.db import make_engine

NUNEZ = {
    "family_name": "Núñez",
    "given_name": "José",
    "date_of_birth": date(1970, 2, 3),
    "sex": "male",
    "phone": "+1 (555) 010-2030",
    "preferred_language": "es",
    "diabetes": "yes",
}


@pytest.fixture
def raw_engine(db_url: str, services: Services) -> Iterator[Engine]:
    """A separate engine for changing rows behind the app's back (after migrations ran)."""
    engine = make_engine(db_url)
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture
def patient(services: Services, clinician: Principal) -> Patient:
    """A registered patient with an accented name."""
    return services.patients.register(clinician, NUNEZ)


@pytest.fixture
def draft(services: Services, clinician: Principal, patient: Patient) -> Encounter:
    """A draft encounter with some content saved (version 2)."""
    enc = services.encounters.create(
        clinician,
        {
            "patient_id": patient.id,
            "encounter_date": services.clock.today(),
            "reason": "Burning sole pain, left foot, worse at night",
        },
    )
    return services.encounters.save_draft(
        clinician,
        enc.id,
        {"notes": "Tinel positive behind the medial malleolus.", "plan": "EMG/NCS."},
        enc.version,
    )


@pytest.fixture
def signed(services: Services, clinician: Principal, draft: Encounter, clock: Any) -> Encounter:
    """The draft, signed a minute later, with one addendum another minute later."""
    clock.advance(minutes=1)
    services.encounters.sign(clinician, draft.id, draft.version)
    clock.advance(minutes=1)
    return services.encounters.add_addendum(
        clinician, draft.id, "Patient called: symptoms also at rest."
    )
