"""The assessment outside the window: read an exam file, assess it, render it as JSON.

`clinic-app assess EXAM.json` prints the same content the live panel shows: every suggestion
with its severity, title, sides, reasons (the findings that fired them, with their labels),
sources and suggested codes (reported now or once confirmed), protective sensation per foot
and the pre-operative gate.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from clinic_app.domain.assessment.model import (
    Assessment,
    AssessmentContext,
    GateCheck,
    GateState,
)
from clinic_app.domain.errors import ClinicError, FieldErrors
from clinic_app.domain.exam import NeuroFootExam

REASON_PATH = "assessment.foot_primary_reason"
REASON_LABEL = "Why the foot is the primary source (written reason)"
MAX_EXAM_BYTES = 5_000_000
"""A charted exam is about 10 KiB; anything this large is not one."""


class ExamFileError(ClinicError):
    """An exam file cannot be read, is not JSON, or is not a valid clinic_app exam."""


def read_exam_file(path: Path) -> NeuroFootExam:
    """Read and validate one exam JSON file.

    Raises:
        ExamFileError: one line naming the file and the first problem.
    """
    try:
        if path.stat().st_size > MAX_EXAM_BYTES:
            raise ExamFileError(f"{path}: too large to be an exam file")
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ExamFileError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ExamFileError(f"{path}: is a folder, not an exam file") from None
    except UnicodeDecodeError:
        raise ExamFileError(f"{path}: not a text file (expected UTF-8 JSON)") from None
    except OSError as exc:
        raise ExamFileError(f"{path}: cannot read it ({exc.strerror})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ExamFileError(
            f"{path}: not valid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from None
    if not isinstance(data, dict) or "schema_version" not in data:
        raise ExamFileError(
            f"{path}: not a clinic_app exam (expected a JSON object with a schema_version; "
            "its format: clinic-app assess --schema)"
        )
    try:
        return NeuroFootExam.model_validate(data)
    except ValidationError as exc:
        errors = FieldErrors.from_validation_error(exc).errors
        where, message = next(iter(errors.items()))
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise ExamFileError(f"{path}: {where}: {message}{more}") from None


def assessment_json(
    found: Assessment,
    ctx: AssessmentContext,
    label_of: Callable[[str], str],
    app_version: str = "",
) -> dict[str, Any]:
    """The assessment as plain JSON, each finding with its printed label.

    Scripts read this (README "The assessment as JSON"): every code carries ``report_when``
    ("now" for signs and symptoms, "confirmed" for a diagnosis code); ``gate.state`` is
    ``not_applicable``, ``blocked``, ``open`` or ``overridden`` and ``gate.unmet`` lists each
    unmet item with its side and label; ``gate.open`` is true only when the state is open.
    """

    def finding(path: str, value: Any) -> dict[str, Any]:
        label = REASON_LABEL if path == REASON_PATH else label_of(path)
        return {"path": path, "label": label, "value": value}

    def checks(items: tuple[GateCheck, ...]) -> list[dict[str, Any]]:
        return [
            {
                "item": c.item.value,
                "side": c.side.value,
                "label": c.label,
                "findings": [finding(p, None) for p in c.paths],
            }
            for c in items
        ]

    gate = found.gate
    return {
        "app_version": app_version,
        "code_system": found.code_system,
        "code_version": found.code_version,
        "code_set": {"system": found.code_system, "year": found.code_version},
        "urgent_flags": list(found.urgent_flags),
        "urgent_findings": [finding(p, None) for p in found.urgent_paths],
        "urgent_acknowledged": found.urgent_acknowledged,
        "suggestions": [
            {
                "key": s.key,
                "rule": s.rule,
                "severity": s.severity.value,
                "title": s.title,
                "sides": [side.value for side in s.sides],
                "confidence": s.confidence.value if s.confidence else None,
                "held_back": s.held_back,
                "reasons": [
                    {
                        "text": r.text,
                        "findings": [finding(f.path, f.value) for f in r.findings],
                    }
                    for r in s.reasons
                ],
                "why": s.why,
                "next_step": s.next_step,
                "sources": list(s.sources),
                "codes": [c.model_dump(mode="json") for c in s.codes],
                "coding_note": s.coding_note,
            }
            for s in found.suggestions
        ],
        "protective_sensation": {side.value: value.value for side, value in found.lops.items()},
        "gate": {
            "state": gate.state.value,
            "open": gate.state is GateState.OPEN,
            "release_sides": [side.value for side in ctx.release_sides],
            "unmet": checks(gate.unmet),
            "overridden": checks(gate.overridden),
            "acknowledged": checks(gate.acknowledged),
            "advisories": list(gate.advisories),
            "lumbar_missing": [finding(p, "not_tested") for p in found.lumbar_missing],
            "foot_primary_reason_needed": found.foot_primary_reason_needed,
        },
    }
