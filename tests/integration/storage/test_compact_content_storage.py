"""Encounter content is stored compressed, reads back the same, and older rows still read."""

from __future__ import annotations

import json

from alembic import command
from sqlalchemy import select, text, update

from clinic_app.domain.hashing import canonical_json
from clinic_app.storage import compact_json
from clinic_app.storage.db import alembic_config, make_engine, upgrade_schema
from clinic_app.storage.rows import EncounterRow

ENCOUNTERS = EncounterRow.__table__


def raw_content(engine, encounter_id: int) -> bytes | str:
    """The column's bytes (or text) exactly as the database holds them."""
    with engine.connect() as conn:
        return conn.execute(
            text("SELECT content FROM encounters WHERE id = :i"), {"i": encounter_id}
        ).scalar_one()


def test_a_saved_draft_is_stored_compressed_and_reads_back_the_same(
    services, raw_engine, clinician, draft
):
    stored = raw_content(raw_engine, draft.id)

    assert isinstance(stored, bytes)
    assert stored[:1] == bytes((compact_json.FORMAT_DEFLATE_1,))
    plain = json.dumps(draft.stored_content).encode()
    assert len(stored) < len(plain) / 4
    again = services.encounters.get(clinician, draft.id).encounter
    assert again.stored_content == draft.stored_content
    assert again.content == draft.content


def test_a_signed_encounter_keeps_its_hash_through_storage(services, clinician, signed):
    view = services.encounters.get(clinician, signed.id)

    assert view.intact
    assert canonical_json(view.encounter.stored_content) == canonical_json(signed.stored_content)


def test_a_row_stored_as_plain_json_before_reads_as_before(services, raw_engine, clinician, signed):
    """Content written before compression (JSON text; JSON bytes on PostgreSQL) verifies."""
    before = services.encounters.get(clinician, signed.id).encounter
    as_json = json.dumps(before.stored_content)
    value: str | bytes = as_json if raw_engine.dialect.name == "sqlite" else as_json.encode()
    with raw_engine.begin() as conn:
        conn.execute(
            text("UPDATE encounters SET content = :c WHERE id = :i"), {"c": value, "i": signed.id}
        )

    view = services.encounters.get(clinician, signed.id)

    assert view.intact
    assert view.encounter.stored_content == before.stored_content


def test_a_changed_compressed_row_is_still_caught(services, raw_engine, clinician, signed):
    changed = {**signed.stored_content, "notes": "Tinel negative."}
    with raw_engine.begin() as conn:
        conn.execute(update(ENCOUNTERS).where(ENCOUNTERS.c.id == signed.id).values(content=changed))

    view = services.encounters.get(clinician, signed.id)

    assert not view.intact
    assert view.encounter.stored_content == changed


def test_downgrade_writes_json_text_back_and_upgrade_reads_it(db_url, services, clinician, signed):
    engine = make_engine(db_url)
    try:
        cfg = alembic_config(engine)
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0010")
        stored = raw_content(engine, signed.id)
        text_form = stored if isinstance(stored, str) else json.dumps(stored)
        assert json.loads(text_form) == signed.stored_content

        upgrade_schema(engine)
        with engine.connect() as conn:
            back = conn.execute(
                select(ENCOUNTERS.c.content).where(ENCOUNTERS.c.id == signed.id)
            ).scalar_one()
        assert back == signed.stored_content
    finally:
        engine.dispose()
    assert services.encounters.get(clinician, signed.id).intact


def test_pack_round_trips_any_json_value_and_refuses_cut_bytes():
    value = {"notes": "Núñez: ardor plantar ✓", "score": 0.1, "n": [1, None, True], "e": {}}

    packed = compact_json.pack(value)

    assert compact_json.unpack(packed) == value
    assert compact_json.unpack(json.dumps(value)) == value
    assert compact_json.unpack(json.dumps(value).encode()) == value
    try:
        compact_json.unpack(packed[:-3])
    except ValueError:
        pass
    else:
        raise AssertionError("cut-short content was read")
