"""`audit verify` walks the trail a page at a time: same verdicts, progress, and it can stop."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, insert, select, update

from clinic_app.domain.audit import AuditAction
from clinic_app.domain.errors import Cancelled
from clinic_app.services import audit_trail
from clinic_app.storage.rows import AuditHeadRow, AuditRow


@pytest.fixture
def small_pages(monkeypatch):
    """Pages of three entries, so a trail of a dozen spans several transactions."""
    monkeypatch.setattr(audit_trail, "PAGE", 3)


@pytest.fixture
def trail(services, admin, small_pages):
    """About a dozen entries; returns how many."""
    for _ in range(8):
        services.accounts.record_session_event(admin, AuditAction.LOCK)
    report = services.audit.verify()
    assert report.intact, report.problem
    assert report.entries >= 10
    return report.entries


def test_progress_counts_every_entry_page_by_page(services, trail):
    heard = []

    report = services.audit.verify(progress=lambda *step: heard.append(step))

    assert report.intact
    assert heard[0] == ("chain", 0, trail)
    assert heard[-1] == ("chain", trail, trail)
    assert [done for _stage, done, _total in heard] == sorted(d for _s, d, _t in heard)
    assert len(heard) >= trail // 3


def test_a_break_in_a_later_page_is_found_where_it_is(services, raw_engine, trail):
    with raw_engine.begin() as conn:
        conn.execute(update(AuditRow).where(AuditRow.seq == trail - 1).values(detail="edited"))

    report = services.audit.verify()

    assert report.first_broken_seq == trail - 1
    assert "does not match" in report.problem


def test_entries_cut_off_the_end_are_found_across_pages(services, raw_engine, trail):
    with raw_engine.begin() as conn:
        conn.execute(delete(AuditRow).where(AuditRow.seq >= trail - 1))

    report = services.audit.verify()

    assert report.first_broken_seq == trail - 1
    assert f"ends at entry {trail - 2} but entry {trail} was written" in report.problem


def test_an_entry_past_the_head_is_found(services, raw_engine, trail):
    """A row added past the recorded head (its hash copied) breaks the chain as before."""
    with raw_engine.begin() as conn:
        last = conn.execute(select(AuditRow).where(AuditRow.seq == trail)).one()._asdict()
        conn.execute(insert(AuditRow).values({**last, "seq": trail + 1}))

    report = services.audit.verify()

    assert not report.intact
    assert report.first_broken_seq == trail + 1


def test_a_head_moved_back_is_found(services, raw_engine, trail):
    with raw_engine.begin() as conn:
        conn.execute(update(AuditHeadRow).values(seq=trail - 1))

    report = services.audit.verify()

    assert report.first_broken_seq == trail + 1
    assert f"ends at entry {trail} but entry {trail - 1} was written" in report.problem


def test_entries_appended_while_the_walk_runs_are_walked_too(services, admin, trail):
    def progress(_stage, done, _total):
        if done == 3:  # after the first page, another workstation writes
            services.accounts.record_session_event(admin, AuditAction.LOCK)

    report = services.audit.verify(progress=progress)

    assert report.intact, report.problem
    assert report.entries == trail + 1


def test_cancelling_stops_the_walk_and_writes_nothing(services, raw_engine, trail):
    def progress(_stage, done, _total):
        if done >= 3:
            raise Cancelled("stopped")

    with pytest.raises(Cancelled):
        services.audit.verify(progress=progress)
    with raw_engine.connect() as conn:
        assert conn.execute(select(AuditHeadRow.seq)).scalar_one() == trail


def test_records_check_reads_the_signing_entries_page_by_page(
    services, clinician, small_pages, signed
):
    heard = []

    report = services.audit.verify_records(progress=lambda *step: heard.append(step))

    assert report.intact, report.problem
    assert report.checked == 1
    assert heard[-1] == ("records", 1, 1)
