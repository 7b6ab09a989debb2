"""The audit trail on a real database: every action is written, and tampering is found."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import delete, func, select, update

from clinic_app.domain.account import Role
from clinic_app.domain.audit import AuditAction, AuditEvent, chain_hash
from clinic_app.domain.errors import AuthenticationFailed, PermissionDenied
from clinic_app.storage.rows import AuditHeadRow, AuditRow

PASSWORD = "correct-horse-battery"
THREAD_TIMEOUT_S = 60


def actions(services, admin):
    """(action, entity_type, entity_id, username) of every entry, oldest first."""
    return [
        (e.action, e.entity_type, e.entity_id, e.username)
        for e in reversed(services.audit.recent(admin, limit=10_000))
    ]


def test_every_action_is_audited_in_order(services, clock):
    acc = services.accounts
    first = acc.create_first_admin(
        {"username": "admin", "display_name": "Alex Admin", "password": PASSWORD}
    )
    admin = acc.login("admin", PASSWORD)
    doc = acc.create_account(
        admin,
        {
            "username": "cruz",
            "display_name": "Dr. Carmen Cruz",
            "password": PASSWORD,
            "roles": {Role.CLINICIAN},
        },
    )
    with pytest.raises(AuthenticationFailed):
        acc.login("cruz", "wrong-password")
    cruz = acc.login("CRUZ ", PASSWORD)
    patient = services.patients.register(
        cruz, {"family_name": "Roe", "given_name": "Jo", "date_of_birth": "1960-06-01"}
    )
    services.patients.open_chart(cruz, patient.id)
    enc = services.encounters.create(
        cruz, {"patient_id": patient.id, "encounter_date": clock.today(), "reason": "Heel pain"}
    )
    saved = services.encounters.save_draft(cruz, enc.id, {"notes": "Tender heel"}, enc.version)
    signed = services.encounters.sign(cruz, enc.id, saved.version)
    amended = services.encounters.add_addendum(cruz, enc.id, "Night pain too.")
    services.encounters.get(cruz, enc.id)
    acc.record_session_event(cruz, AuditAction.LOCK)

    p, e = str(patient.id), str(enc.id)
    assert actions(services, admin) == [
        (AuditAction.CREATE, "account", str(first.id), "admin"),
        (AuditAction.LOGIN, "account", str(first.id), "admin"),
        (AuditAction.ACCOUNT_CHANGE, "account", str(doc.id), "admin"),
        (AuditAction.LOGIN_FAILED, "account", str(doc.id), "cruz"),
        (AuditAction.LOGIN, "account", str(doc.id), "cruz"),
        (AuditAction.CREATE, "patient", p, "cruz"),
        (AuditAction.VIEW_CHART, "patient", p, "cruz"),
        (AuditAction.CREATE, "encounter", e, "cruz"),
        (AuditAction.EDIT_DRAFT, "encounter", e, "cruz"),
        (AuditAction.SIGN, "encounter", e, "cruz"),
        (AuditAction.ADDENDUM, "encounter", e, "cruz"),
        (AuditAction.VIEW_ENCOUNTER, "encounter", e, "cruz"),
        (AuditAction.LOCK, "account", str(doc.id), "cruz"),
    ]
    entries = services.audit.recent(admin)
    by_action = {entry.action: entry for entry in entries}
    assert by_action[AuditAction.SIGN].detail == signed.content_hash
    assert by_action[AuditAction.ADDENDUM].detail == f"addendum {amended.addenda[0].id}"
    assert by_action[AuditAction.EDIT_DRAFT].detail == f"version {saved.version}"
    assert by_action[AuditAction.LOGIN_FAILED].user_id is None
    assert all(entry.at == clock.now() for entry in entries)
    report = services.audit.verify()
    assert report.intact
    assert report.entries == len(entries) == 13


def test_failed_login_for_an_unknown_name_is_audited(services, admin):
    with pytest.raises(AuthenticationFailed):
        services.accounts.login("Nobody", PASSWORD)

    last = services.audit.recent(admin, limit=1)[0]
    assert (last.action, last.entity_id, last.username, last.user_id) == (
        AuditAction.LOGIN_FAILED,
        "-",
        "nobody",
        None,
    )


def test_a_refused_action_writes_nothing(services, admin, front_desk, draft):
    before = services.audit.verify().entries

    with pytest.raises(PermissionDenied):
        services.encounters.get(front_desk, draft.id)

    assert services.audit.verify().entries == before


def test_entries_survive_a_restart(workstations, services, admin, signed):
    before = services.audit.recent(admin, limit=10_000)
    workstations.close(services)

    restarted = workstations.open()

    assert restarted.audit.recent(admin, limit=10_000) == before
    assert restarted.audit.verify().intact


@pytest.fixture
def trail(services, admin, signed):
    """A trail of about ten entries; returns how many."""
    report = services.audit.verify()
    assert report.intact
    assert report.entries >= 8
    return report.entries


def test_changed_detail_breaks_the_chain_at_that_entry(services, raw_engine, trail):
    with raw_engine.begin() as conn:
        conn.execute(update(AuditRow).where(AuditRow.seq == 4).values(detail="nothing to see"))

    report = services.audit.verify()

    assert not report.intact
    assert report.first_broken_seq == 4
    assert "does not match its hash" in report.problem


def test_rehashed_entry_breaks_the_chain_at_the_next_link(services, raw_engine, admin, trail):
    entry = next(e for e in services.audit.recent(admin, limit=10_000) if e.seq == 5)
    forged = AuditEvent.model_validate({**entry.model_dump(), "username": "someone-else"})
    with raw_engine.begin() as conn:
        conn.execute(
            update(AuditRow)
            .where(AuditRow.seq == 5)
            .values(username="someone-else", entry_hash=chain_hash(5, entry.prev_hash, forged))
        )

    report = services.audit.verify()

    # The link is not stored twice: entry 6's hash covers entry 5's, so 6 no longer matches.
    assert report.first_broken_seq == 6
    assert "it or the entry before it was changed" in report.problem


def test_deleted_last_entry_is_found(services, raw_engine, trail):
    with raw_engine.begin() as conn:
        conn.execute(delete(AuditRow).where(AuditRow.seq == trail))

    report = services.audit.verify()

    assert not report.intact
    assert report.first_broken_seq == trail
    assert report.entries == trail - 1


def test_deleted_middle_entry_is_found(services, raw_engine, trail):
    with raw_engine.begin() as conn:
        conn.execute(delete(AuditRow).where(AuditRow.seq == 3))

    report = services.audit.verify()

    assert report.first_broken_seq == 4
    assert "entry 3 is missing" in report.problem


def test_new_entries_after_a_break_do_not_hide_it(services, raw_engine, admin, trail):
    with raw_engine.begin() as conn:
        conn.execute(update(AuditRow).where(AuditRow.seq == 2).values(detail="edited"))
    services.accounts.record_session_event(admin, AuditAction.LOGOUT)

    assert services.audit.verify().first_broken_seq == 2


def test_concurrent_appends_from_two_workstations_keep_the_chain(
    workstations, services, admin, clinician
):
    desks = [workstations.open(), workstations.open()]
    before = services.audit.verify().entries
    rounds = 15

    def work(n):
        desk = desks[n]
        for _ in range(rounds):
            desk.accounts.record_session_event(clinician if n else admin, AuditAction.LOCK)

    with ThreadPoolExecutor(max_workers=2) as pool:
        for future in [pool.submit(work, 0), pool.submit(work, 1)]:
            future.result(timeout=THREAD_TIMEOUT_S)

    report = services.audit.verify()
    assert report.intact, report.problem
    assert report.entries == before + 2 * rounds
    entries = services.audit.recent(admin, limit=10_000)
    assert sorted(e.seq for e in entries) == list(range(1, report.entries + 1))
    locks = [e.username for e in entries if e.action is AuditAction.LOCK]
    assert sorted(locks) == sorted(["admin"] * rounds + ["cruz"] * rounds)


def test_head_row_tracks_the_last_entry(services, raw_engine, trail):
    with raw_engine.connect() as conn:
        head = conn.execute(select(AuditHeadRow.seq, AuditHeadRow.entry_hash)).one()
        last = conn.execute(select(AuditRow.entry_hash).where(AuditRow.seq == trail)).scalar_one()
        count = conn.execute(select(func.count()).select_from(AuditRow)).scalar_one()

    assert tuple(head) == (trail, last)
    assert count == trail
