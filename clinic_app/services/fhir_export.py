"""A signed encounter as one FHIR R4 Bundle (``collection``), validated with ``fhir.resources``.

The models are the package's R4B ones (R4B changed no resource used here from R4).

The Bundle holds the Patient, the Encounter, one Observation per tested exam item per side,
a Condition per confirmed diagnosis and a DocumentReference carrying the signed visit-note PDF.
Codes follow clinical-reference.md section 5:

- exam findings have no verified SNOMED CT or LOINC code (5.2 "UNVERIFIED", 5.3), so each is
  coded in the app's local CodeSystem ``urn:clinic:neurofoot-exam`` by its exam path, with the
  form's label as display;
- laterality is on ``bodySite`` with the SNOMED CT qualifier values 5.2 lists for laterality
  (24028007 Right, 7771000 Left), and binary results carry 5.2's Positive / Negative qualifier
  values (10828004 / 260385009); everything else is text;
- Conditions carry only the ICD-10-CM diagnosis codes the signed assessment suggested (5.1,
  reported once confirmed, 10.5), with the code-set year in ``Coding.version``.

References inside the Bundle are ``urn:uuid:`` full URLs derived from the encounter id and
hash, so the same signed encounter always gives the same Bundle.
"""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from enum import Enum
from typing import Any

from clinic_app.domain.assessment.model import Assessment, ReportWhen
from clinic_app.domain.assessment.record import Choice
from clinic_app.domain.encounter import Encounter, effective_exam
from clinic_app.domain.errors import ClinicError
from clinic_app.domain.exam import NeuroFootExam, RegionFindings, Side
from clinic_app.domain.layout import SIDE_TOKEN, FormLayout, HeadingRow, get_path
from clinic_app.domain.patient import Patient
from clinic_app.domain.regions import REGIONS, RegionCode

LOCAL_SYSTEM = "urn:clinic:neurofoot-exam"
"""The app's own CodeSystem for exam findings without a verified standard code."""
MRN_SYSTEM = "urn:clinic:mrn"
SNOMED = "http://snomed.info/sct"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
SENSORY_MAP_PATH = "sensory.regions"

LATERALITY: dict[Side, tuple[str, str]] = {
    Side.RIGHT: ("24028007", "Right"),
    Side.LEFT: ("7771000", "Left"),
}
"""SNOMED CT laterality qualifier values (clinical-reference.md 5.2, for laterality)."""
BINARY: dict[str, tuple[str, str]] = {
    "positive": ("10828004", "Positive"),
    "negative": ("260385009", "Negative"),
}
"""SNOMED CT qualifier values for binary exam results (5.2)."""
UNITS = {"angle_deg": ("deg", "degrees"), "two_point_mm": ("mm", "millimetres")}


def _uuid(encounter: Encounter, key: str) -> str:
    seed = f"clinic_app:{encounter.id}:{encounter.content_hash}:{key}"
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, seed)}"


def _instant(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _words(value: Any) -> str:
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, list | tuple):
        return ", ".join(_words(v) for v in value)
    return str(value).replace("_", " ")


def _charted(value: Any) -> bool:
    return value not in (None, "", "not_tested", [], (), {})


def _local_code(path: str) -> str:
    return path.replace("_", "-").replace(".", "-")


def _value(path: str, value: Any) -> dict[str, Any]:
    """The Observation's value[x] for one charted finding."""
    last = path.rsplit(".", 1)[-1]
    if isinstance(value, bool):
        return {"valueBoolean": value}
    if isinstance(value, int):
        unit = UNITS.get(last)
        if unit is not None:
            return {
                "valueQuantity": {
                    "value": value,
                    "unit": unit[1],
                    "system": "http://unitsofmeasure.org",
                    "code": unit[0],
                }
            }
        return {"valueInteger": value}
    if isinstance(value, str) and value in BINARY:
        code, display = BINARY[value]
        return {
            "valueCodeableConcept": {
                "coding": [{"system": SNOMED, "code": code, "display": display}],
                "text": display,
            }
        }
    return {"valueCodeableConcept": {"text": _words(value)}}


def _laterality(side: Side, where: str) -> dict[str, Any]:
    code, display = LATERALITY[side]
    return {
        "coding": [{"system": SNOMED, "code": code, "display": display}],
        "text": f"{where}, {side.value}",
    }


class BundleBuilder:
    """Builds the Bundle of one signed encounter from the data the visit note prints."""

    def __init__(
        self,
        encounter: Encounter,
        patient: Patient,
        assessment: Assessment,
        layout: FormLayout,
        note_pdf: bytes,
    ) -> None:
        self._enc = encounter
        self._patient = patient
        self._assessment = assessment
        self._layout = layout
        self._pdf = note_pdf
        self.patient_url = _uuid(encounter, "patient")
        self.encounter_url = _uuid(encounter, "encounter")
        self._when = _instant(encounter.signed_at or encounter.updated_at)

    # --- resources ---------------------------------------------------------------------------

    def _patient_resource(self) -> dict[str, Any]:
        p = self._patient
        resource: dict[str, Any] = {
            "resourceType": "Patient",
            "identifier": [{"system": MRN_SYSTEM, "value": p.mrn}],
            "name": [{"family": p.family_name, "given": [p.given_name]}],
            "gender": p.sex.value,
            "birthDate": p.date_of_birth.isoformat(),
            "communication": [{"language": {"coding": [{"code": p.preferred_language.value}]}}],
        }
        if p.phone:
            resource["telecom"] = [{"system": "phone", "value": p.phone}]
        return resource

    def _encounter_resource(self) -> dict[str, Any]:
        enc = self._enc
        return {
            "resourceType": "Encounter",
            "identifier": [{"system": "urn:clinic:encounter", "value": str(enc.id)}],
            "status": "finished",
            "class": {"system": ACT_CODE, "code": "AMB", "display": "ambulatory"},
            "subject": {"reference": self.patient_url},
            "participant": [{"individual": {"display": enc.clinician_name}}],
            "period": {"start": enc.encounter_date.isoformat()},
            "reasonCode": [{"text": enc.reason}],
        }

    def _observation(
        self, key: str, code: str, display: str, value: dict[str, Any], side: Side | None
    ) -> tuple[str, dict[str, Any]]:
        resource: dict[str, Any] = {
            "resourceType": "Observation",
            "status": "final",
            "category": [{"coding": [{"system": OBSERVATION_CATEGORY, "code": "exam"}]}],
            "code": {
                "coding": [{"system": LOCAL_SYSTEM, "code": code, "display": display}],
                "text": display,
            },
            "subject": {"reference": self.patient_url},
            "encounter": {"reference": self.encounter_url},
            "effectiveDateTime": self._enc.encounter_date.isoformat(),
            **value,
        }
        if side is not None:
            resource["bodySite"] = _laterality(side, display)
        return _uuid(self._enc, key), resource

    def _region(self, side: Side, code: str, found: RegionFindings) -> tuple[str, dict[str, Any]]:
        info = REGIONS[RegionCode(code)]
        parts = {
            "light touch": found.light_touch.value,
            "pin-prick": found.pin_prick.value,
            "10 g monofilament": found.monofilament.value,
        }
        components: list[dict[str, Any]] = [
            {"code": {"text": name}, "valueCodeableConcept": {"text": _words(value)}}
            for name, value in parts.items()
            if value != "not_tested"
        ]
        if found.two_point_mm is not None:
            components.append(
                {
                    "code": {"text": "two-point discrimination"},
                    **_value("two_point_mm", found.two_point_mm),
                }
            )
        if found.symptoms is not None:
            felt = _words(found.symptoms) or "none"
            components.append({"code": {"text": "symptoms"}, "valueString": felt})
        url, resource = self._observation(
            f"{side.value}.{SENSORY_MAP_PATH}.{code}",
            f"sensory-region-{code.lower()}",
            f"Sensory map region {code} ({info.name})",
            {
                "valueCodeableConcept": {
                    "text": "abnormal" if found.abnormal_sensation else "normal"
                }
            },
            side,
        )
        resource["bodySite"]["text"] = f"{code} {info.name}, {side.value}"
        resource["component"] = components
        return url, resource

    def _observations(self, exam: NeuroFootExam) -> list[tuple[str, dict[str, Any]]]:
        data = exam.model_dump(mode="json")
        out: list[tuple[str, dict[str, Any]]] = []
        for section in self._layout.sections:
            heading = ""
            for row in section.rows:
                if isinstance(row, HeadingRow):
                    heading = row.heading
                    continue
                label = f"{heading}: {row.label}" if heading else row.label
                sides: list[Side | None] = list(Side) if section.sided else [None]
                for side in sides:
                    path = row.path.replace(SIDE_TOKEN, side.value) if side else row.path
                    value = get_path(data, path)
                    if not _charted(value):
                        continue
                    if side is not None and path.endswith(SENSORY_MAP_PATH):
                        regions = exam.foot(side).sensory.regions
                        out += [self._region(side, c.value, f) for c, f in regions.items()]
                        continue
                    generic = row.path.replace(f"{SIDE_TOKEN}.", "")
                    out.append(
                        self._observation(
                            path, _local_code(generic), label, _value(path, value), side
                        )
                    )
        return out

    def _conditions(self) -> list[tuple[str, dict[str, Any]]]:
        decisions = self._enc.content.assessment.decisions
        out: list[tuple[str, dict[str, Any]]] = []
        for suggestion in self._assessment.suggestions:
            decision = decisions.get(suggestion.key)
            if decision is None or decision.choice is not Choice.CONFIRMED:
                continue
            codes = [c for c in suggestion.codes if c.report_when is ReportWhen.CONFIRMED]
            resource: dict[str, Any] = {
                "resourceType": "Condition",
                "clinicalStatus": {"coding": [{"system": CONDITION_CLINICAL, "code": "active"}]},
                "verificationStatus": {
                    "coding": [{"system": CONDITION_VERIFICATION, "code": "confirmed"}]
                },
                "category": [
                    {"coding": [{"system": CONDITION_CATEGORY, "code": "encounter-diagnosis"}]}
                ],
                "code": {
                    "coding": [
                        {
                            "system": ICD10CM,
                            "version": code.version,
                            "code": code.code,
                            "display": code.description,
                        }
                        for code in codes
                    ],
                    "text": suggestion.title,
                },
                "subject": {"reference": self.patient_url},
                "encounter": {"reference": self.encounter_url},
                "recordedDate": self._when,
            }
            if suggestion.sides:
                resource["bodySite"] = [
                    _laterality(side, suggestion.title) for side in suggestion.sides
                ]
            if decision.comment:
                resource["note"] = [{"text": decision.comment}]
            out.append((_uuid(self._enc, f"condition:{suggestion.key}"), resource))
        return out

    def _document(self) -> tuple[str, dict[str, Any]]:
        enc = self._enc
        resource = {
            "resourceType": "DocumentReference",
            "status": "current",
            "docStatus": "final",
            "type": {"text": "Visit note (neuro-foot exam)"},
            "subject": {"reference": self.patient_url},
            "date": self._when,
            "author": [{"display": enc.signed_by_name or enc.clinician_name}],
            "description": f"Signed visit note; SHA-256 of the signed content {enc.content_hash}",
            "content": [
                {
                    "attachment": {
                        "contentType": "application/pdf",
                        "data": base64.b64encode(self._pdf).decode("ascii"),
                        "size": len(self._pdf),
                        "hash": base64.b64encode(hashlib.sha1(self._pdf).digest()).decode(),
                        "title": f"Visit note {enc.encounter_date.isoformat()}",
                        "creation": self._when,
                    }
                }
            ],
            "context": {"encounter": [{"reference": self.encounter_url}]},
        }
        return _uuid(enc, "document"), resource

    # --- the bundle ----------------------------------------------------------------------------

    def bundle(self) -> dict[str, Any]:
        """The Bundle as JSON-ready data (not yet validated)."""
        exam, _amended = effective_exam(self._enc)
        entries = [
            (self.patient_url, self._patient_resource()),
            (self.encounter_url, self._encounter_resource()),
            *self._observations(exam),
            *self._conditions(),
            self._document(),
        ]
        return {
            "resourceType": "Bundle",
            "identifier": {"system": "urn:clinic:encounter-hash", "value": self._enc.content_hash},
            "type": "collection",
            "timestamp": self._when,
            "entry": [{"fullUrl": url, "resource": resource} for url, resource in entries],
        }


def validated(bundle: Mapping[str, Any]) -> bytes:
    """The Bundle validated against the R4B models, as UTF-8 JSON (raises ClinicError)."""
    from fhir.resources.R4B.bundle import Bundle
    from pydantic import ValidationError

    try:
        model = Bundle.model_validate(dict(bundle))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise ClinicError(f"The FHIR export is not valid R4 at {where}: {first['msg']}") from None
    data = json.loads(model.model_dump_json(exclude_none=True))
    return json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8")


def encounter_bundle(
    encounter: Encounter,
    patient: Patient,
    assessment: Assessment,
    layout: FormLayout,
    note_pdf: bytes,
) -> bytes:
    """One signed encounter as a validated FHIR R4 collection Bundle (JSON bytes)."""
    return validated(BundleBuilder(encounter, patient, assessment, layout, note_pdf).bundle())
