"""`clinic-app assess EXAM.json`, run as a subprocess: JSON out, one-line refusals in."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from test_cli import assert_one_line_refusal, run_cli, written_files

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
        "release_sides": [],
        "lumbar_missing": [],
        "foot_primary_reason_needed": False,
        "open": True,
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
