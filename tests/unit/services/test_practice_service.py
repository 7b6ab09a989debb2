"""PracticeService over fakes: validation, admin-only updates, conflicts, the first-run set-up."""

from __future__ import annotations

from typing import Any

import pytest

from clinic_app.domain.account import Principal, Role
from clinic_app.domain.audit import AuditAction
from clinic_app.domain.errors import ConflictError, FieldErrors, PermissionDenied
from clinic_app.domain.patient import Language
from clinic_app.domain.practice import MAX_LOGO_BYTES, PNG_MAGIC, PracticeDetails
from clinic_app.services.accounts import AccountService
from clinic_app.services.practice import PracticeService
from unit.fakes import FakeDatabase, FixedClock, audit_actions

PNG = PNG_MAGIC + b"\x00\x00\x00\rIHDR" + b"\x00" * 40
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 40
DETAILS: dict[str, Any] = {
    "name": " Sole Care Podiatry ",
    "address": "12 Arch Street\n\nSpringfield IL 62701",
    "phone": "(555) 010-2000 ext. 4",
}
ADMIN: dict[str, Any] = {
    "username": "owner",
    "display_name": "Dr Owner",
    "password": "correct horse",
}


@pytest.fixture
def practice(db: FakeDatabase, clock: FixedClock, accounts: AccountService) -> PracticeService:
    """The practice use cases over the fake database."""
    return PracticeService(db, clock, accounts)


def test_nothing_is_stored_before_the_first_save(practice: PracticeService) -> None:
    assert practice.get() is None


def test_admin_saves_details_and_everyone_reads_them(
    practice: PracticeService, admin: Principal, db: FakeDatabase
) -> None:
    saved = practice.update(admin, {**DETAILS, "logo": PNG}, expected_version=0)

    assert saved.version == 1
    assert saved.name == "Sole Care Podiatry"
    assert saved.address == ("12 Arch Street", "Springfield IL 62701")
    assert saved.logo == PNG
    assert practice.get() == saved
    assert audit_actions(db) == [AuditAction.PRACTICE_CHANGE]
    assert db.committed.audit[-1].detail == "changed name, address, phone, logo"


def test_timeline_is_kept_per_language_and_none_means_the_handouts_own(
    practice: PracticeService, admin: Principal
) -> None:
    saved = practice.update(
        admin,
        {**DETAILS, "release_timeline": {"es": ["Semana 1: reposo.", "Semana 6: zapatillas."]}},
        0,
    )

    assert saved.timeline_for("es") == ("Semana 1: reposo.", "Semana 6: zapatillas.")
    assert saved.timeline_for("en") is None
    assert saved.release_timeline == {
        Language.SPANISH: ("Semana 1: reposo.", "Semana 6: zapatillas.")
    }
    cleared = practice.update(admin, {**DETAILS, "release_timeline": {}}, saved.version)
    assert cleared.release_timeline is None
    assert cleared.version == 2


def test_front_desk_and_clinician_may_not_change_the_details(
    practice: PracticeService, front_desk: Principal, clinician: Principal, db: FakeDatabase
) -> None:
    for person in (front_desk, clinician):
        with pytest.raises(PermissionDenied, match="practice details"):
            practice.update(person, DETAILS, 0)
    assert practice.get() is None
    assert db.commits == 0


def test_a_stale_version_is_a_conflict_and_nothing_changes(
    practice: PracticeService, admin: Principal
) -> None:
    first = practice.update(admin, DETAILS, 0)
    practice.update(admin, {**DETAILS, "phone": "555 010 3000"}, first.version)

    with pytest.raises(ConflictError):
        practice.update(admin, {**DETAILS, "name": "Other"}, first.version)
    with pytest.raises(ConflictError):
        practice.update(admin, DETAILS, 0)  # a second "first save" from another workstation
    current = practice.get()
    assert current is not None
    assert (current.name, current.phone, current.version) == (
        "Sole Care Podiatry",
        "555 010 3000",
        2,
    )


@pytest.mark.parametrize(
    ("raw", "field", "message"),
    [
        ({"name": "  "}, "name", "Enter the practice's name"),
        ({"name": "x" * 121}, "name", "at most 120"),
        ({"address": ["a", "b", "c", "d", "e"]}, "address", "at most 4 lines"),
        ({"address": ["x" * 121]}, "address", "at most 120 characters"),
        ({"phone": "call us"}, "phone", "only digits"),
        ({"phone": "1" * 41}, "phone", "at most 40"),
        ({"logo": b"GIF89a...."}, "logo", "PNG or JPEG"),
        ({"logo": "not bytes"}, "logo", "PNG or JPEG"),
        ({"logo": PNG + b"\x00" * MAX_LOGO_BYTES}, "logo", "at most 1 MB"),
        ({"release_timeline": {"fr": ["a"]}}, "release_timeline", "en (English) and es"),
        ({"release_timeline": {"en": []}}, "release_timeline.en", "at least one step"),
        ({"release_timeline": {"en": ["ok", " "]}}, "release_timeline.en", "Step 2 is empty"),
        (
            {"release_timeline": {"es": ["Semana 1: reposo", "Día {2}"]}},
            "release_timeline.es",
            "Step 2: leave out the { and } characters.",
        ),
        (
            {"release_timeline": {"en": ["Rest [DRNUNES-C]"]}},
            "release_timeline.en",
            "Step 1: leave out bracketed tags such as [ABC].",
        ),
        ({"release_timeline": {"es": ["x" * 201]}}, "release_timeline.es", "Step 1 is longer"),
        ({"release_timeline": {"en": ["s"] * 21}}, "release_timeline.en", "at most 20 steps"),
    ],
)
def test_bad_details_are_refused_at_the_field(
    practice: PracticeService,
    admin: Principal,
    db: FakeDatabase,
    raw: dict[str, Any],
    field: str,
    message: str,
) -> None:
    with pytest.raises(FieldErrors) as caught:
        practice.update(admin, {**DETAILS, **raw}, 0)
    assert message in caught.value.errors[field]
    assert db.commits == 0


def test_a_jpeg_logo_is_accepted() -> None:
    assert PracticeDetails(name="Clinic", logo=JPEG).logo == JPEG


def test_first_run_creates_admin_and_practice_in_one_transaction(
    practice: PracticeService, accounts: AccountService, db: FakeDatabase
) -> None:
    account = practice.set_up({**ADMIN, "roles": {Role.CLINICIAN}}, DETAILS)

    assert account.roles == frozenset({Role.ADMIN, Role.CLINICIAN})
    assert db.commits == 1
    assert not accounts.needs_first_admin()
    details = practice.get()
    assert details is not None
    assert details.name == "Sole Care Podiatry"
    assert audit_actions(db) == [AuditAction.CREATE, AuditAction.PRACTICE_CHANGE]
    with pytest.raises(PermissionDenied, match="already exists"):
        practice.set_up({**ADMIN, "username": "second"}, DETAILS)


def test_first_run_reports_every_bad_field_and_writes_nothing(
    practice: PracticeService, accounts: AccountService, db: FakeDatabase
) -> None:
    with pytest.raises(FieldErrors) as caught:
        practice.set_up({**ADMIN, "password": "short"}, {**DETAILS, "name": ""})

    assert set(caught.value.errors) == {"admin.password", "practice.name"}
    assert db.commits == 0
    assert accounts.needs_first_admin()
    assert practice.get() is None
