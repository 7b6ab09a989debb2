"""Encounter signatures: the hash is stable across time zones and catches any change."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from clinic_app.domain.encounter import (
    Addendum,
    Encounter,
    EncounterContent,
    EncounterStatus,
    addendum_payload,
    hash_payload,
    integrity_problems,
    short_hash,
    signed_payload,
    utc_iso,
)
from clinic_app.domain.hashing import canonical_json

SIGNED_AT = datetime(2026, 3, 14, 15, 30, 0, 250000, tzinfo=UTC)
ADDENDUM_CHANGED = "Addendum #1 does not match its content hash: it was changed after signing."


def signed_encounter(signed_at: datetime = SIGNED_AT) -> Encounter:
    """A signed encounter whose hash was computed the way the service computes it."""
    draft = Encounter(
        id=7,
        patient_id=3,
        encounter_date=date(2026, 3, 14),
        clinician_id=1,
        clinician_name="Dr Rivera",
        reason="Burning sole, worse at night",
        status=EncounterStatus.DRAFT,
        content=EncounterContent(notes="Tinel positive behind the medial malleolus.", plan="NCS"),
        version=3,
        created_at=SIGNED_AT - timedelta(minutes=20),
        updated_at=SIGNED_AT - timedelta(minutes=1),
    )
    digest = hash_payload(signed_payload(draft, 1, "Dr Rivera", signed_at))
    return draft.model_copy(
        update={
            "status": EncounterStatus.SIGNED,
            "signed_by_id": 1,
            "signed_by_name": "Dr Rivera",
            "signed_at": signed_at,
            "content_hash": digest,
        }
    )


def with_addendum(enc: Encounter, text: str = "NCS booked for 2026-03-20.") -> Encounter:
    """The encounter with one correctly chained addendum."""
    assert enc.content_hash is not None
    at = SIGNED_AT + timedelta(days=1)
    digest = hash_payload(addendum_payload(enc.id, enc.content_hash, text, 1, "Dr Rivera", at))
    add = Addendum(
        id=1,
        encounter_id=enc.id,
        text=text,
        author_id=1,
        author_name="Dr Rivera",
        signed_at=at,
        content_hash=digest,
    )
    return enc.model_copy(update={"addenda": (add,)})


def test_utc_iso_treats_naive_as_utc() -> None:
    naive = datetime(2026, 3, 14, 15, 30)
    assert utc_iso(naive) == utc_iso(naive.replace(tzinfo=UTC))
    assert utc_iso(naive) == "2026-03-14T15:30:00.000000+00:00"


def test_utc_iso_converts_other_zones() -> None:
    eastern = timezone(timedelta(hours=-5))
    assert utc_iso(datetime(2026, 3, 14, 10, 30, tzinfo=eastern)) == utc_iso(
        datetime(2026, 3, 14, 15, 30, tzinfo=UTC)
    )


def test_signature_hash_is_the_same_for_naive_and_aware_times() -> None:
    enc = signed_encounter()
    naive = SIGNED_AT.replace(tzinfo=None)
    plus_two = SIGNED_AT.astimezone(timezone(timedelta(hours=2)))
    digests = {
        hash_payload(signed_payload(enc, 1, "Dr Rivera", moment))
        for moment in (SIGNED_AT, naive, plus_two)
    }
    assert digests == {enc.content_hash}


def test_encounter_read_back_with_naive_times_is_intact() -> None:
    # What SQLite returns: the same instants without a time zone.
    enc = with_addendum(signed_encounter())
    naive = enc.model_copy(
        update={
            "signed_at": SIGNED_AT.replace(tzinfo=None),
            "addenda": tuple(
                a.model_copy(update={"signed_at": a.signed_at.replace(tzinfo=None)})
                for a in enc.addenda
            ),
        }
    )
    assert integrity_problems(naive) == []


def test_hash_does_not_depend_on_key_order() -> None:
    assert canonical_json({"b": 1, "a": [2, {"d": 3, "c": 4}]}) == canonical_json(
        {"a": [2, {"c": 4, "d": 3}], "b": 1}
    )


def test_intact_signed_encounter_has_no_problems() -> None:
    assert integrity_problems(with_addendum(signed_encounter())) == []


def test_draft_is_not_checked() -> None:
    draft = signed_encounter().model_copy(
        update={"status": EncounterStatus.DRAFT, "content_hash": None}
    )
    assert integrity_problems(draft) == []


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("reason", "Ankle sprain"),
        ("content", EncounterContent(notes="Tinel negative.", plan="NCS")),
        ("content", EncounterContent(notes="Tinel positive behind the medial malleolus.")),
        ("encounter_date", date(2026, 3, 13)),
        ("patient_id", 4),
        ("clinician_id", 2),
        ("clinician_name", "Dr Someone"),
        ("signed_by_id", 2),
        ("signed_by_name", "Dr Someone"),
        ("signed_at", SIGNED_AT + timedelta(microseconds=1)),
        ("content_hash", "0" * 64),
    ],
)
def test_any_changed_signed_field_is_detected(field: str, value: object) -> None:
    tampered = signed_encounter().model_copy(update={field: value})
    problems = integrity_problems(tampered)
    assert len(problems) == 1
    assert "changed after signing" in problems[0]


def test_incomplete_signature_block_is_reported() -> None:
    broken = signed_encounter().model_copy(update={"signed_at": None})
    assert integrity_problems(broken) == [
        "The encounter is marked signed but its signature block is incomplete."
    ]


def test_changed_addendum_is_detected() -> None:
    enc = with_addendum(signed_encounter())
    changed = enc.addenda[0].model_copy(update={"text": "NCS not needed."})
    problems = integrity_problems(enc.model_copy(update={"addenda": (changed,)}))
    assert problems == [ADDENDUM_CHANGED]


def test_addendum_is_chained_to_the_encounter_hash() -> None:
    # A forger who edits the encounter and recomputes its hash still breaks every addendum.
    enc = with_addendum(signed_encounter())
    forged = enc.model_copy(update={"reason": "Ankle sprain"})
    assert forged.signed_at is not None
    forged = forged.model_copy(
        update={"content_hash": hash_payload(signed_payload(forged, 1, "Dr Rivera", SIGNED_AT))}
    )
    problems = integrity_problems(forged)
    assert problems == [ADDENDUM_CHANGED]


def test_short_hash() -> None:
    assert short_hash("abcdef0123456789") == "abcdef012345"
    assert short_hash(None) == ""
