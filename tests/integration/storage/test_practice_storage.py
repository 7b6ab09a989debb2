"""Practice details on a real database: round trip with logo, one row, conflicts, first run."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from clinic_app.domain.audit import AuditAction
from clinic_app.domain.errors import ConflictError, FieldErrors, PermissionDenied
from clinic_app.domain.practice import PNG_MAGIC

PASSWORD = "correct-horse-battery"
# Every byte value, so a driver that mangles binary data shows.
LOGO = PNG_MAGIC + bytes(range(256)) * 4
DETAILS = {
    "name": "Sole Care Podiatry",
    "address": ["12 Arch Street", "Springfield IL 62701"],
    "phone": "+1 555 010 2000",
    "logo": LOGO,
    "release_timeline": {"en": ["Week 1: rest.", "Week 6: sneakers."], "es": ["Semana 1."]},
}


def test_details_round_trip_and_survive_a_restart(services, admin, workstations):
    assert services.practice.get() is None

    saved = services.practice.update(admin, DETAILS, 0)

    other = workstations.open()
    read = other.practice.get()
    assert read == saved
    assert read.logo == LOGO
    assert read.timeline_for("en") == ("Week 1: rest.", "Week 6: sneakers.")
    assert read.version == 1
    entry = services.audit.recent(admin, limit=1)[0]
    assert entry.action == AuditAction.PRACTICE_CHANGE


def test_second_workstation_saving_an_old_version_gets_a_conflict(services, admin, workstations):
    first = services.practice.update(admin, DETAILS, 0)
    other = workstations.open()
    other.practice.update(admin, {**DETAILS, "name": "Heel & Toe"}, first.version)

    with pytest.raises(ConflictError, match="practice details"):
        services.practice.update(admin, {**DETAILS, "phone": "555 010 9999"}, first.version)
    with pytest.raises(ConflictError):
        services.practice.update(admin, DETAILS, 0)
    current = services.practice.get()
    assert (current.name, current.phone, current.version) == ("Heel & Toe", DETAILS["phone"], 2)


def test_removing_the_logo_and_timeline_clears_them(services, admin):
    first = services.practice.update(admin, DETAILS, 0)

    services.practice.update(admin, {**DETAILS, "logo": None, "release_timeline": None}, 1)

    current = services.practice.get()
    assert first.logo is not None
    assert current.logo is None
    assert current.release_timeline is None


def test_the_table_holds_a_single_row(services, admin, raw_engine):
    services.practice.update(admin, DETAILS, 0)

    with pytest.raises(IntegrityError), raw_engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO practice (id, name, address, phone, version, updated_at) "
                "VALUES (2, 'x', '[]', '', 1, CURRENT_TIMESTAMP)"
            )
        )


def test_first_run_writes_admin_and_practice_together(services):
    account = services.practice.set_up(
        {"username": "boss", "display_name": "Bo Boss", "password": PASSWORD}, DETAILS
    )

    assert services.practice.get().name == "Sole Care Podiatry"
    assert services.accounts.login("boss", PASSWORD).user_id == account.id
    with pytest.raises(PermissionDenied):
        services.practice.set_up(
            {"username": "other", "display_name": "Other", "password": PASSWORD}, DETAILS
        )


def test_failed_first_run_leaves_the_database_empty(services):
    with pytest.raises(FieldErrors):
        services.practice.set_up(
            {"username": "boss", "display_name": "Bo Boss", "password": PASSWORD},
            {**DETAILS, "logo": b"GIF89a"},
        )

    assert services.accounts.needs_first_admin()
    assert services.practice.get() is None
