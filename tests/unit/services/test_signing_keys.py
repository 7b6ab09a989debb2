"""Signing keys: made with the account, unlocked by logging in, used to sign, checked after."""

from __future__ import annotations

import pytest

from clinic_app.domain.account import Principal, Role
from clinic_app.domain.encounter import Encounter
from clinic_app.domain.errors import SigningBlocked
from clinic_app.domain.patient import Patient
from clinic_app.services.accounts import AccountService
from clinic_app.services.audit_trail import AuditTrailService
from clinic_app.services.encounters import EncounterService
from clinic_app.services.keys import (
    KdfCost,
    KeyUnwrapFailed,
    PracticeKey,
    signature_problems,
    unwrap_secret,
    wrap_secret,
)
from clinic_app.services.patients import PatientService
from unit.fakes import PATIENT_ANA, FakeDatabase, FixedClock

CHEAP = KdfCost(time_cost=1, memory_cost=8, parallelism=1)
PASSWORD = "heel-and-sole-clinician"


def test_a_wrapped_secret_opens_only_with_its_password_and_label() -> None:
    wrapped = wrap_secret(b"s" * 32, PASSWORD, CHEAP, "signing")

    assert unwrap_secret(wrapped, PASSWORD, "signing") == b"s" * 32
    with pytest.raises(KeyUnwrapFailed):
        unwrap_secret(wrapped, "another-password", "signing")
    with pytest.raises(KeyUnwrapFailed):
        unwrap_secret(wrapped, PASSWORD, "practice")
    with pytest.raises(KeyUnwrapFailed):
        unwrap_secret(wrapped[:-4] + "AAAA", PASSWORD, "signing")
    with pytest.raises(KeyUnwrapFailed):
        unwrap_secret("not a wrapped key", PASSWORD, "signing")


@pytest.fixture
def key() -> PracticeKey:
    """A practice key (the admin's copy is wrapped under their password)."""
    return PracticeKey(b"p" * 32)


@pytest.fixture
def people(
    accounts: AccountService, db: FakeDatabase, clock: FixedClock, key: PracticeKey
) -> tuple[AccountService, Principal]:
    """An admin who charts, logged in (key unlocked), with the practice key in use."""
    service = AccountService(db, clock, accounts._hasher, frozenset(), key)
    service.create_first_admin(
        {
            "username": "owner",
            "display_name": "Dr Owner",
            "password": PASSWORD,
            "roles": {Role.CLINICIAN},
        }
    )
    return service, service.login("owner", PASSWORD)


@pytest.fixture
def signed_by_owner(
    people: tuple[AccountService, Principal], encounters: EncounterService, db: FakeDatabase
) -> Encounter:
    """An encounter signed with the owner's key, with one addendum."""
    _service, owner = people
    ana: Patient = PatientService(db, encounters._clock).register(owner, PATIENT_ANA)
    enc = encounters.create(
        owner, {"patient_id": ana.id, "encounter_date": "2026-03-14", "reason": "Heel pain"}
    )
    encounters.sign(owner, enc.id, enc.version)
    return encounters.add_addendum(owner, enc.id, "Called back.")


def test_login_unlocks_the_key_made_with_the_account(
    people: tuple[AccountService, Principal], db: FakeDatabase, key: PracticeKey
) -> None:
    service, owner = people

    assert owner.signer is not None
    assert [k.user_id for k in db.committed.signing_keys_list()] == [owner.user_id]
    slot = db.committed.key_slots[owner.user_id]
    assert service.open_practice_key_slot(slot, PASSWORD) == key.secret


def test_signed_records_carry_signatures_that_verify(
    signed_by_owner: Encounter, db: FakeDatabase, audit_trail: AuditTrailService
) -> None:
    keys = {k.id: k for k in db.committed.signing_keys_list()}

    assert signed_by_owner.signature is not None
    assert signed_by_owner.addenda[0].signature is not None
    assert signature_problems(signed_by_owner, keys) == ([], 0)
    report = audit_trail.verify_records()
    assert report.intact, report.problem
    assert report.unsigned == 0


def test_a_changed_signature_is_found(signed_by_owner: Encounter, db: FakeDatabase) -> None:
    keys = {k.id: k for k in db.committed.signing_keys_list()}
    forged = signed_by_owner.model_copy(update={"reason": "Nothing wrong"})

    problems, _unsigned = signature_problems(forged, keys)

    assert problems == ["The signed encounter does not match its signature by Dr Owner (key #1)."]


def test_a_principal_without_its_unlocked_key_cannot_sign(
    people: tuple[AccountService, Principal],
    encounters: EncounterService,
    db: FakeDatabase,
) -> None:
    _service, owner = people
    ana = PatientService(db, encounters._clock).register(owner, PATIENT_ANA)
    enc = encounters.create(
        owner, {"patient_id": ana.id, "encounter_date": "2026-03-14", "reason": "Heel pain"}
    )

    with pytest.raises(SigningBlocked, match="signing key is not unlocked"):
        encounters.sign(owner.with_signer(None), enc.id, enc.version)


def test_a_password_reset_makes_a_new_key_and_the_old_one_still_verifies(
    people: tuple[AccountService, Principal],
    signed_by_owner: Encounter,
    db: FakeDatabase,
    audit_trail: AuditTrailService,
) -> None:
    service, owner = people
    service.reset_password(owner, owner.user_id, "a-brand-new-passphrase")

    again = service.login("owner", "a-brand-new-passphrase")

    assert again.signer is not None
    assert owner.signer is not None
    assert again.signer.key_id != owner.signer.key_id
    assert audit_trail.verify_records().intact
    slot = db.committed.key_slots[owner.user_id]
    assert service.open_practice_key_slot(slot, "a-brand-new-passphrase") == b"p" * 32
