"""The committed exam JSON schema stays in step with the model."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from clinic_app.domain.exam import EXAM_SCHEMA_VERSION, NeuroFootExam, exam_json_schema
from clinic_app.resources import exam_schema_path
from clinic_app.schema import render_schema, write_schema

SAMPLE_EXAM: dict[str, Any] = {
    "schema_version": EXAM_SCHEMA_VERSION,
    "history": {"onset": "gradual", "duration_weeks": 12, "night_symptoms": "yes"},
    "right": {
        "history": {"previous_release": "yes", "release_date": "2021-06-30"},
        "inspection": {"hindfoot_alignment": "valgus", "arch": "planus"},
        "tinel": {
            "tarsal_tunnel": {
                "result": "positive",
                "radiates_distal": ["PL-ARCH-MED", "PL-HALLUX"],
                "radiates_proximal_valleix": "yes",
                "local_pain_only": "no",
            }
        },
        "provocation": {
            "dorsiflexion_eversion": "positive",
            "dorsiflexion_eversion_reproduced": ["numbness", "paresthesia"],
        },
        "sensory": {
            "regions": {
                "PL-ARCH-MED": {"light_touch": "reduced", "symptoms": ["burning"]},
                "PL-HALLUX": {"monofilament": "not_felt", "two_point_mm": 14},
            }
        },
        "vibration_hallux": "normal",
        "intrinsics": {"hallux_abduction": "4"},
    },
    "lumbar": {
        "back_pain": "no",
        "right": {
            "slr": {"angle_deg": 60, "symptom": "none"},
            "achilles": {"grade": "2+", "reinforcement": "no"},
        },
    },
    "red_flags": {"age_over_50": {"present": "yes"}},
}


def test_committed_schema_matches_the_model() -> None:
    committed = exam_schema_path().read_text(encoding="utf-8")
    assert committed == render_schema(), (
        f"{exam_schema_path()} is out of date with the exam model: "
        "run `python -m clinic_app.schema` and commit the result"
    )
    assert json.loads(committed) == exam_json_schema()


def test_the_schema_names_its_version() -> None:
    assert exam_json_schema()["$id"].endswith(f":v{EXAM_SCHEMA_VERSION}")


def test_write_schema_writes_pretty_sorted_json(tmp_path: Path) -> None:
    target = tmp_path / "exam.schema.json"
    write_schema(target)
    raw = target.read_bytes()
    assert raw.endswith(b"}\n")
    assert b"\r\n" not in raw
    assert raw.startswith(b'{\n  "$defs": {')
    assert json.loads(raw) == exam_json_schema()


def test_a_sample_exam_validates_and_keeps_its_findings() -> None:
    exam = NeuroFootExam.model_validate(SAMPLE_EXAM)
    assert exam.right.tinel.tarsal_tunnel.radiates_distal[0] == "PL-ARCH-MED"
    assert exam.lumbar.right.slr.positive is False
    assert NeuroFootExam.model_validate_json(json.dumps(SAMPLE_EXAM)) == exam
