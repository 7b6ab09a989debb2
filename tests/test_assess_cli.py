"""`clinic-app assess EXAM.json`, run as a subprocess: JSON out, one-line refusals in."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from test_cli import assert_one_line_refusal, run_cli, written_files

from clinic_app import __version__
from clinic_app.domain.exam import NeuroFootExam, SensoryMap

NUMB_SOLE = {
    "light_touch": "reduced",
    "pin_prick": "reduced",
    "monofilament": "felt",
    "symptoms": ["numb", "burning"],
}


def tibial_with_absent_achilles() -> dict[str, Any]:
    """A right tarsal tunnel picture with the lateral border numb and the ankle jerk gone."""
    regions = SensoryMap().charted_normal().model_dump(mode="json")["regions"]
    regions["PL-ARCH-MED"] = NUMB_SOLE
    regions["BD-LAT"] = NUMB_SOLE
    exam = NeuroFootExam.model_validate(
        {
            "right": {
                "tinel": {"tarsal_tunnel": {"result": "positive"}},
                "sensory": {"regions": regions},
            },
            "lumbar": {
                "right": {"achilles": {"grade": "0"}},
                "left": {"achilles": {"grade": "2+"}},
            },
        }
    )
    return exam.model_dump(mode="json")


def write(tmp_path: Path, name: str, text: str) -> Path:
    """A file in tmp_path/input (kept apart from what the run might write)."""
    folder = tmp_path / "input"
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_assess_prints_the_assessment_as_json_and_writes_nothing(tmp_path: Path) -> None:
    exam = write(tmp_path, "exam.json", json.dumps(tibial_with_absent_achilles()))
    before = written_files(tmp_path)
    result = run_cli(tmp_path, "assess", str(exam), "--release", "right", "--diabetes", "no")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    out = json.loads(result.stdout)
    keys = [s["key"] for s in out["suggestions"]]
    assert {"R6", "R10", "R11"} <= set(keys)
    assert (out["code_system"], out["code_version"]) == ("ICD-10-CM", "FY2024")
    r6 = next(s for s in out["suggestions"] if s["key"] == "R6")
    assert r6["severity"] == "warning"
    assert r6["sides"] == ["right"]
    assert "HARR" in r6["sources"]
    finding = r6["reasons"][0]["findings"][0]
    assert finding == {
        "path": "lumbar.right.achilles.grade",
        "label": "Right Reflexes: Achilles reflex (ankle jerk, S1)",
        "value": "0",
    }
    assert out["gate"]["open"] is False
    assert out["gate"]["foot_primary_reason_needed"] is True
    assert any(m["path"] == "lumbar.back_pain" for m in out["gate"]["lumbar_missing"])
    assert written_files(tmp_path) == before, "assess must not create a data folder"


def test_a_written_reason_and_no_release_change_the_gate(tmp_path: Path) -> None:
    exam = write(tmp_path, "exam.json", json.dumps(tibial_with_absent_achilles()))
    result = run_cli(tmp_path, "assess", str(exam))
    out = json.loads(result.stdout)
    assert "R11" not in [s["key"] for s in out["suggestions"]]
    assert out["gate"] == {
        "state": "not_applicable",
        "open": False,
        "release_sides": [],
        "unmet": [],
        "overridden": [],
        "acknowledged": [],
        "advisories": [],
        "lumbar_missing": [],
        "foot_primary_reason_needed": False,
    }


def test_codes_carry_report_when_and_the_gate_names_every_unmet_item(tmp_path: Path) -> None:
    exam = write(tmp_path, "exam.json", json.dumps(tibial_with_absent_achilles()))
    result = run_cli(tmp_path, "assess", str(exam), "--release", "right")
    out = json.loads(result.stdout)
    assert out["app_version"] == __version__
    assert out["code_set"] == {"system": "ICD-10-CM", "year": "FY2024"}
    for suggestion in out["suggestions"]:
        for code in suggestion["codes"]:
            assert code["report_when"] in ("now", "confirmed")
            # Outpatient coding: signs and symptoms now, a diagnosis only once confirmed.
            assert (code["report_when"] == "now") == code["code"].startswith(("R", "M79", "M54.5"))
    r6 = next(s for s in out["suggestions"] if s["key"] == "R6")
    assert {c["code"]: c["report_when"] for c in r6["codes"]} == {
        "R20.1": "now",
        "R20.2": "now",
        "R29.2": "now",
        "M54.16": "confirmed",
        "M54.17": "confirmed",
    }
    gate = out["gate"]
    assert gate["state"] == "blocked"
    assert gate["open"] is False
    unmet = {(u["item"], u["side"]) for u in gate["unmet"]}
    assert unmet == {
        ("lumbar_screen", "right"),
        ("vascular_screen", "right"),
        ("tunnel_evidence", "right"),
        ("competing_causes", "right"),
        ("nerve_studies", "right"),
    }
    assert all(u["label"] for u in gate["unmet"])


def test_an_override_and_an_acknowledgement_from_the_command_line(tmp_path: Path) -> None:
    data = tibial_with_absent_achilles()
    data["lumbar"] = {
        "back_pain": "no",
        **dict.fromkeys(("right", "left"), NORMAL_LEG),
    }
    data["lumbar"]["right"] = {**NORMAL_LEG, "achilles": {"grade": "0"}}
    data["right"]["pulses"] = {"dorsalis_pedis": "palpable", "posterior_tibial": "palpable"}
    exam = write(tmp_path, "exam.json", json.dumps(data))
    args = ["assess", str(exam), "--release", "right", "--studies-acknowledged"]
    out = json.loads(run_cli(tmp_path, *args).stdout)
    assert {(u["item"], u["side"]) for u in out["gate"]["unmet"]} == {
        ("tunnel_evidence", "right"),
        ("competing_causes", "right"),
    }
    reason = "Ganglion on ultrasound at the referring clinic; MRI of the spine normal."
    out = json.loads(run_cli(tmp_path, *args, "--override-reason", reason).stdout)
    assert out["gate"]["state"] == "overridden"
    assert out["gate"]["open"] is False
    assert {u["item"] for u in out["gate"]["overridden"]} == {
        "tunnel_evidence",
        "competing_causes",
    }
    assert [a["item"] for a in out["gate"]["acknowledged"]] == ["nerve_studies"]
    refused = run_cli(tmp_path, *args, "--override-reason", "short")
    assert_one_line_refusal(refused, "--override-reason", "at least 15 characters")


NORMAL_LEG: dict[str, Any] = {
    "leg_pain_below_knee": "no",
    "slr": {"symptom": "none"},
    "crossed_slr": "negative",
    "slump": {"result": "negative"},
    "patellar": {"grade": "2+"},
    "achilles": {"grade": "2+"},
    "myotomes": {
        **dict.fromkeys(
            (
                "knee_extension",
                "ankle_dorsiflexion",
                "ehl",
                "hip_abduction",
                "inversion",
                "eversion",
                "plantarflexion",
            ),
            "5",
        ),
        "heel_walk": "able",
        "toe_walk": "able",
    },
}


@pytest.mark.parametrize(
    ("name", "text", "words"),
    [
        ("truncated.json", '{"schema_version": 2, "right": {', ["not valid JSON", "line 1"]),
        ("empty.json", "", ["not valid JSON"]),
        ("list.json", "[1, 2]", ["not a clinic_app exam", "schema_version"]),
        ("patient.json", '{"family_name": "Núñez"}', ["not a clinic_app exam"]),
        (
            "slr.json",
            '{"schema_version": 2, "lumbar": {"right": {"slr": {"angle_deg": 120}}}}',
            ["lumbar.right.slr.angle_deg", "0 to 90"],
        ),
        (
            "newer.json",
            '{"schema_version": 9}',
            ["schema_version", "newer than this app understands"],
        ),
        (
            "typo.json",
            '{"schema_version": 2, "right": {"tinel": {"tarsal_tunel": {}}}}',
            ["right.tinel.tarsal_tunel"],
        ),
        (
            "region.json",
            '{"schema_version": 2, "right": {"sensory": {"regions": {"PL-HEEL-XX": {}}}}}',
            ["right.sensory.regions"],
        ),
    ],
)
def test_bad_exam_files_get_one_line_and_exit_2(
    tmp_path: Path, name: str, text: str, words: list[str]
) -> None:
    path = write(tmp_path, name, text)
    before = written_files(tmp_path)
    result = run_cli(tmp_path, "assess", str(path))
    assert_one_line_refusal(result, name, *words)
    assert result.stdout == ""
    assert written_files(tmp_path) == before


def test_binary_and_missing_files_and_folders_are_refused(tmp_path: Path) -> None:
    binary = tmp_path / "input" / "scan.json"
    binary.parent.mkdir()
    binary.write_bytes(b"\xff\xfe\x00garbage")
    assert_one_line_refusal(run_cli(tmp_path, "assess", str(binary)), "not a text file")
    missing = tmp_path / "input" / "gone.json"
    assert_one_line_refusal(run_cli(tmp_path, "assess", str(missing)), "no such file")
    assert_one_line_refusal(run_cli(tmp_path, "assess", str(binary.parent)), "is a folder")


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--age", "200"], ["--age", "between 0 and 150"]),
        (["--age", "old"], ["--age", "not a whole number"]),
        (["--release", "middle"], ["--release", "invalid choice"]),
        (["--diabetes", "maybe"], ["--diabetes", "invalid choice"]),
        (["--foot-primary-reason", "ok"], ["--foot-primary-reason", "at least 15"]),
    ],
)
def test_bad_options_get_one_line_and_exit_2(
    tmp_path: Path, args: list[str], words: list[str]
) -> None:
    exam = write(tmp_path, "exam.json", json.dumps(NeuroFootExam().model_dump(mode="json")))
    assert_one_line_refusal(run_cli(tmp_path, "assess", str(exam), *args), *words)
