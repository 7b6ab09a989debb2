"""Who is being charted: the patient banner's words, for every clinical screen and dialog."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from clinic_app.domain.assessment.record import ReleasePlan
from clinic_app.domain.patient import AllergyStatus, Patient, Sex, TriState

SEX_WORDS = {Sex.FEMALE: "female", Sex.MALE: "male", Sex.OTHER: "other sex", Sex.UNKNOWN: "sex?"}
DIABETES_WORDS = {
    TriState.YES: "Diabetes: yes",
    TriState.NO: "Diabetes: no",
    TriState.UNKNOWN: "Diabetes: unknown",
}


@dataclass(frozen=True)
class BannerState:
    """The banner as plain text parts; ``allergy_level`` says how loudly to show allergies.

    ``allergy_level`` is "listed" (allergies to heed), "none_known" or "unknown" (ask).
    """

    name: str
    age_sex: str
    born: str
    mrn: str
    diabetes: str
    allergies: str
    allergy_level: str
    release: str

    @property
    def parts(self) -> tuple[str, ...]:
        """Every part after the name, in reading order."""
        return (
            self.age_sex,
            f"born {self.born}",
            f"MRN {self.mrn}",
            self.diabetes,
            self.allergies,
            self.release,
        )

    def one_line(self) -> str:
        """The whole banner on one line (window titles, tooltips, screen readers)."""
        return " · ".join((self.name, *self.parts))


def banner_state(
    patient: Patient, today: date, release: ReleasePlan = ReleasePlan.NONE, from_text: bool = False
) -> BannerState:
    """The banner for a patient on a day, with the release planned in the open encounter.

    Args:
        patient: the patient being charted.
        today: the day the age is counted on.
        release: the planned tarsal tunnel release.
        from_text: the release was read from the plan text, not chosen (side not given).
    """
    if patient.allergy_status is AllergyStatus.LISTED:
        allergies = f"ALLERGIES: {patient.allergies}"
    elif patient.allergy_status is AllergyStatus.NONE_KNOWN:
        allergies = "No known allergies"
    else:
        allergies = "Allergies: UNKNOWN (not recorded)"
    if release is ReleasePlan.NONE:
        planned = "No release planned"
    elif from_text:
        planned = "Release written in the plan: side not chosen"
    elif release is ReleasePlan.BOTH:
        planned = "Release planned: BOTH feet"
    else:
        planned = f"Release planned: {release.value.upper()} foot"
    return BannerState(
        name=f"{patient.family_name.upper()}, {patient.given_name}",
        age_sex=f"{patient.age_on(today)} y {SEX_WORDS[patient.sex]}",
        born=patient.date_of_birth.isoformat(),
        mrn=patient.mrn,
        diabetes=DIABETES_WORDS[patient.diabetes],
        allergies=allergies,
        allergy_level=patient.allergy_status.value,
        release=planned,
    )


def window_title(state: BannerState | None, user: str) -> str:
    """The main window's title: the patient first (taskbars cut the end off), then the user."""
    if state is None:
        return f"clinic_app - {user}"
    return f"{state.one_line()} - clinic_app - {user}"
