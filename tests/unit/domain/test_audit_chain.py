"""The audit hash chain: an intact chain verifies; edits, gaps and a cut-off tail are found."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from clinic_app.domain.audit import (
    GENESIS_HASH,
    AuditAction,
    AuditEntry,
    AuditEvent,
    Checkpoint,
    chain_hash,
    verify_chain,
)
from clinic_app.services.keys import PracticeKey

START = datetime(2026, 3, 14, 8, 0, tzinfo=UTC)


def build_chain(length: int) -> list[AuditEntry]:
    """A correctly chained trail of `length` entries."""
    entries: list[AuditEntry] = []
    prev = GENESIS_HASH
    for seq in range(1, length + 1):
        event = AuditEvent(
            at=START + timedelta(minutes=seq),
            user_id=1,
            username="dr.rivera",
            action=AuditAction.VIEW_CHART,
            entity_type="patient",
            entity_id=str(seq),
            detail=f"event {seq}",
        )
        digest = chain_hash(seq, prev, event)
        entries.append(AuditEntry(**event.model_dump(), seq=seq, prev_hash=prev, entry_hash=digest))
        prev = digest
    return entries


def head_of(entries: list[AuditEntry]) -> tuple[int, str]:
    """The (seq, hash) the database keeps apart from the entries."""
    return entries[-1].seq, entries[-1].entry_hash


def test_intact_chain_verifies() -> None:
    chain = build_chain(5)
    report = verify_chain(chain, head_of(chain))
    assert report.intact
    assert report.entries == 5
    assert report.problem == ""


def test_empty_chain_is_intact() -> None:
    assert verify_chain([]).intact
    assert verify_chain([], (0, GENESIS_HASH)).intact


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("detail", "nothing to see"),
        ("username", "someone.else"),
        ("user_id", 99),
        ("action", AuditAction.PRINT),
        ("entity_id", "77"),
        ("at", START + timedelta(days=1)),
    ],
)
def test_edited_entry_is_found(field: str, value: object) -> None:
    chain = build_chain(5)
    chain[2] = chain[2].model_copy(update={field: value})
    report = verify_chain(chain, head_of(chain))
    assert not report.intact
    assert report.first_broken_seq == 3
    assert "does not match its hash" in report.problem


def test_edit_with_a_recomputed_hash_breaks_the_next_link() -> None:
    chain = build_chain(5)
    forged = chain[2].model_copy(update={"detail": "forged"})
    forged = forged.model_copy(
        update={"entry_hash": chain_hash(forged.seq, forged.prev_hash, forged)}
    )
    chain[2] = forged
    report = verify_chain(chain, head_of(build_chain(5)))
    assert report.first_broken_seq == 4
    assert "link to the previous entry" in report.problem


def test_missing_entry_is_found() -> None:
    chain = build_chain(5)
    del chain[1]
    report = verify_chain(chain, head_of(chain))
    assert report.first_broken_seq == 3
    assert "entry 2 is missing" in report.problem


def test_missing_first_entry_is_found() -> None:
    chain = build_chain(3)[1:]
    report = verify_chain(chain, head_of(chain))
    assert report.first_broken_seq == 2
    assert "entry 1 is missing" in report.problem


def test_truncated_tail_is_found_only_through_the_head() -> None:
    chain = build_chain(5)
    head = head_of(chain)
    cut = chain[:3]
    # Without the head, a cut-off tail looks like a shorter, valid chain...
    assert verify_chain(cut).intact
    # ...the head, written apart from the entries, reveals it.
    report = verify_chain(cut, head)
    assert not report.intact
    assert report.first_broken_seq == 4
    assert "ends at entry 3 but entry 5 was written" in report.problem


def test_emptied_trail_is_found_through_the_head() -> None:
    chain = build_chain(2)
    report = verify_chain([], head_of(chain))
    assert report.first_broken_seq == 1


def test_swapped_entries_are_found() -> None:
    chain = build_chain(4)
    chain[1], chain[2] = chain[2], chain[1]
    report = verify_chain(chain, head_of(build_chain(4)))
    assert report.first_broken_seq == 3  # found in position 2
    assert not report.intact


def test_naive_and_aware_times_hash_alike() -> None:
    # SQLite hands back naive UTC datetimes; the hash must not change on the way back.
    aware_event = build_chain(1)[0]
    naive_event = aware_event.model_copy(update={"at": aware_event.at.replace(tzinfo=None)})
    assert chain_hash(1, GENESIS_HASH, naive_event) == aware_event.entry_hash
    assert verify_chain([naive_event], head_of([aware_event])).intact


# --------------------------------------------------------------------------- the keyed chain


def keyed_chain(length: int, keyed_from: int, key: bytes = b"k" * 32) -> list[AuditEntry]:
    """A chain whose entries from keyed_from on are HMAC'd with the key."""
    mac = PracticeKey(key).mac
    entries: list[AuditEntry] = []
    prev = GENESIS_HASH
    for entry in build_chain(length):
        digest = chain_hash(entry.seq, prev, entry, mac if entry.seq >= keyed_from else None)
        entries.append(entry.model_copy(update={"prev_hash": prev, "entry_hash": digest}))
        prev = digest
    return entries


def test_a_keyed_chain_verifies_old_entries_by_hash_and_new_ones_by_key() -> None:
    entries = keyed_chain(6, keyed_from=4)

    report = verify_chain(entries, head_of(entries), mac=PracticeKey(b"k" * 32).mac, keyed_from=4)

    assert report.intact, report.problem


def test_a_keyed_chain_recomputed_without_the_key_is_found() -> None:
    entries = build_chain(6)  # everything rehashed the plain way, head updated to match

    report = verify_chain(entries, head_of(entries), mac=PracticeKey(b"k" * 32).mac, keyed_from=4)

    assert report.first_broken_seq == 4
    assert "keyed hash" in report.problem


def test_another_key_does_not_verify() -> None:
    entries = keyed_chain(3, keyed_from=1)

    report = verify_chain(entries, head_of(entries), mac=PracticeKey(b"x" * 32).mac, keyed_from=1)

    assert report.first_broken_seq == 1


def test_the_keyed_start_moved_in_the_database_is_found_by_the_checkpoint() -> None:
    entries = build_chain(6)
    checkpoint = Checkpoint(seq=6, entry_hash=entries[-1].entry_hash, keyed_from=4)

    report = verify_chain(entries, head_of(entries), keyed_from=None, checkpoint=checkpoint)

    assert not report.intact
    assert "checkpoint" in report.problem


def test_a_chain_shorter_than_its_checkpoint_is_found() -> None:
    entries = keyed_chain(6, keyed_from=1)
    checkpoint = Checkpoint(seq=6, entry_hash=entries[-1].entry_hash, keyed_from=1)
    cut = entries[:4]

    report = verify_chain(
        cut, head_of(cut), mac=PracticeKey(b"k" * 32).mac, keyed_from=1, checkpoint=checkpoint
    )

    assert report.first_broken_seq == 5
    assert "checkpoint outside the database saw entry 6" in report.problem


def test_a_chain_that_differs_at_its_checkpoint_is_found() -> None:
    entries = keyed_chain(6, keyed_from=1)
    checkpoint = Checkpoint(seq=3, entry_hash="0" * 64, keyed_from=1)

    report = verify_chain(
        entries,
        head_of(entries),
        mac=PracticeKey(b"k" * 32).mac,
        keyed_from=1,
        checkpoint=checkpoint,
    )

    assert report.first_broken_seq == 3


def test_a_keyed_chain_without_the_key_is_not_called_intact() -> None:
    entries = keyed_chain(2, keyed_from=1)

    report = verify_chain(entries, head_of(entries), keyed_from=1)

    assert not report.intact
    assert "practice key is missing" in report.problem
