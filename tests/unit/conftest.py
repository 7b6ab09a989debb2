"""Fixtures for the unit tests: a fixed clock, the fake database, principals and services."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from clinic_app.domain.account import Principal, Role
from clinic_app.domain.patient import Patient
from clinic_app.services.accounts import AccountService
from clinic_app.services.audit_trail import AuditTrailService
from clinic_app.services.encounters import EncounterService
from clinic_app.services.patients import PatientService
from unit.fakes import PATIENT_ANA, FakeDatabase, FixedClock, fast_hasher, principal


@pytest.fixture
def clock() -> FixedClock:
    """A clock stopped at 2026-03-14 15:09:26 UTC."""
    return FixedClock()


@pytest.fixture
def db() -> FakeDatabase:
    """An empty in-memory database (also the unit-of-work factory)."""
    return FakeDatabase()


@pytest.fixture
def clinician() -> Principal:
    """Dr. Rivera, a clinician."""
    return principal(1, "Dr Rivera", Role.CLINICIAN)


@pytest.fixture
def front_desk() -> Principal:
    """Sam at the front desk."""
    return principal(2, "Sam Desk", Role.FRONT_DESK)


@pytest.fixture
def admin() -> Principal:
    """The practice admin, who is not a clinician."""
    return principal(3, "Pat Admin", Role.ADMIN)


@pytest.fixture
def admin_clinician() -> Principal:
    """A clinician who also runs the practice."""
    return principal(4, "Dr Owner", Role.ADMIN, Role.CLINICIAN)


@pytest.fixture
def patients(db: FakeDatabase, clock: FixedClock) -> PatientService:
    """The patient use cases over the fake database."""
    return PatientService(db, clock)


@pytest.fixture
def encounters(db: FakeDatabase, clock: FixedClock) -> EncounterService:
    """The encounter use cases over the fake database."""
    return EncounterService(db, clock)


@pytest.fixture
def hasher() -> PasswordHasher:
    """A cheap argon2 hasher."""
    return fast_hasher()


@pytest.fixture
def accounts(db: FakeDatabase, clock: FixedClock, hasher: PasswordHasher) -> AccountService:
    """The account use cases over the fake database."""
    return AccountService(db, clock, hasher)


@pytest.fixture
def audit_trail(db: FakeDatabase) -> AuditTrailService:
    """The audit trail reader over the fake database."""
    return AuditTrailService(db)


@pytest.fixture
def ana(patients: PatientService, clinician: Principal) -> Patient:
    """A registered patient."""
    return patients.register(clinician, PATIENT_ANA)
