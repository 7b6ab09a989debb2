"""Patient form logic: field order, labels, choices, and mapping errors back to fields."""

from __future__ import annotations

from dataclasses import dataclass

from clinic_app.domain.patient import AllergyStatus, Language, Patient, Sex, TriState


@dataclass(frozen=True)
class Choice:
    """One entry of a drop-down: stored value and the words shown."""

    value: str
    label: str


@dataclass(frozen=True)
class FieldSpec:
    """One field of the patient form."""

    name: str
    label: str
    placeholder: str = ""
    choices: tuple[Choice, ...] = ()


SEX_CHOICES = (
    Choice(Sex.UNKNOWN, "Not recorded"),
    Choice(Sex.FEMALE, "Female"),
    Choice(Sex.MALE, "Male"),
    Choice(Sex.OTHER, "Other"),
)
LANGUAGE_CHOICES = (Choice(Language.ENGLISH, "English"), Choice(Language.SPANISH, "Spanish"))
DIABETES_CHOICES = (
    Choice(TriState.UNKNOWN, "Unknown (not asked)"),
    Choice(TriState.YES, "Yes"),
    Choice(TriState.NO, "No"),
)

ALLERGY_CHOICES = (
    Choice(AllergyStatus.UNKNOWN, "Unknown (not asked yet)"),
    Choice(AllergyStatus.NONE_KNOWN, "No known allergies"),
    Choice(AllergyStatus.LISTED, "Allergies (listed below)"),
)

PATIENT_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("family_name", "&Family name"),
    FieldSpec("given_name", "&Given name"),
    FieldSpec("date_of_birth", "&Date of birth", "YYYY-MM-DD, e.g. 1968-04-30"),
    FieldSpec("sex", "Se&x", choices=SEX_CHOICES),
    FieldSpec("mrn", "&MRN", "left blank, one is generated"),
    FieldSpec("phone", "&Phone", "e.g. (555) 010-4477"),
    FieldSpec("preferred_language", "&Language", choices=LANGUAGE_CHOICES),
    FieldSpec("diabetes", "Dia&betes", choices=DIABETES_CHOICES),
    FieldSpec("allergy_status", "Allerg&ies", choices=ALLERGY_CHOICES),
    FieldSpec("allergies", "Allergy lis&t", "e.g. penicillin (rash); latex"),
    FieldSpec("medications", "Current medi&cations", "e.g. metformin 500 mg twice daily"),
)


def form_values(patient: Patient) -> dict[str, str]:
    """The text each widget shows for an existing patient."""
    return {
        "family_name": patient.family_name,
        "given_name": patient.given_name,
        "date_of_birth": patient.date_of_birth.isoformat(),
        "sex": patient.sex.value,
        "mrn": patient.mrn,
        "phone": patient.phone or "",
        "preferred_language": patient.preferred_language.value,
        "diabetes": patient.diabetes.value,
        "allergy_status": patient.allergy_status.value,
        "allergies": patient.allergies,
        "medications": patient.medications,
    }


def raw_from_form(values: dict[str, str]) -> dict[str, object]:
    """What the service validates: empty optional text becomes None, the rest passes as typed."""
    raw: dict[str, object] = dict(values)
    for optional in ("mrn", "phone"):
        if not str(raw.get(optional) or "").strip():
            raw[optional] = None
    if not str(raw.get("date_of_birth") or "").strip():
        raw["date_of_birth"] = None
    return raw


def field_messages(errors: dict[str, str]) -> dict[str, str]:
    """Errors per form field; a missing date reads as a request, not as a type error."""
    out: dict[str, str] = {}
    for key, message in errors.items():
        field = key.split(".")[0]
        # pydantic's own wording ("Input should be a valid date...") is replaced; the
        # domain's messages (future date, too long ago) already read well.
        if field == "date_of_birth" and not message.startswith("The date of birth"):
            message = "Enter the date of birth as YYYY-MM-DD (for example 1968-04-30)."
        out.setdefault(field, message)
    return out
