"""Patient demographics, allergies and medications: validation rules and the search key."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

MAX_AGE_YEARS = 130
MAX_NAME_LENGTH = 100
DOB_FORMAT_HELP = "Enter the date of birth as YYYY-MM-DD (for example 1968-04-30)."
ISO_DATE_RE = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})")
MRN_RE = re.compile(r"^[A-Z0-9][A-Z0-9-]{0,19}$")
PHONE_ALLOWED_RE = re.compile(r"^[0-9 +()\-.]+$")
MAX_ALLERGIES_LENGTH = 500
MAX_MEDICATIONS_LENGTH = 1000


class Sex(StrEnum):
    """Administrative sex as recorded at registration."""

    FEMALE = "female"
    MALE = "male"
    OTHER = "other"
    UNKNOWN = "unknown"


class Language(StrEnum):
    """Languages the patient handouts are written in."""

    ENGLISH = "en"
    SPANISH = "es"


class AllergyStatus(StrEnum):
    """What is known about allergies: a blank list is *unknown*, never *none*."""

    UNKNOWN = "unknown"
    NONE_KNOWN = "none_known"
    LISTED = "listed"


class TriState(StrEnum):
    """Yes / no / unknown: a blank answer is *unknown*, never *no*."""

    YES = "yes"
    NO = "no"
    UNKNOWN = "unknown"


def search_key(text: str) -> str:
    """Fold case and accents so 'Núñez' is found by typing 'nunez'."""
    # Decompose, fold, decompose again: folding can itself add an accent ('İ' -> 'i' + dot
    # above) and decomposing can add capitals ('℡' -> 'TEL'), so neither order alone is enough.
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", text).casefold())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.split())


Name = Annotated[str, Field(max_length=MAX_NAME_LENGTH)]

# The words a receptionist sees when a choice field holds something else (a drop-down
# never sends a bad value; an import or a script might).
CHOICE_HELP: dict[str, tuple[type[StrEnum], str]] = {
    "sex": (Sex, "Choose the sex: female, male, other or unknown."),
    "preferred_language": (Language, "Choose the language: en (English) or es (Spanish)."),
    "diabetes": (TriState, "Answer diabetes with yes, no or unknown."),
    "allergy_status": (
        AllergyStatus,
        "Answer allergies with unknown, none_known (no known allergies) or listed.",
    ),
}


NAME_CONTROL_CHARACTER = "The name contains a control character or a line break."


def has_control_character(text: str) -> bool:
    """Control, format, private-use or unpaired characters, or line and paragraph breaks."""
    return any(
        unicodedata.category(ch).startswith("C") or unicodedata.category(ch) in {"Zl", "Zp"}
        for ch in text
    )


def years_before(day: date, years: int) -> date:
    """The same calendar day the given number of years earlier (29 February -> 28 February)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


class PatientData(BaseModel):
    """What a person types when registering or editing a patient.

    Validate with ``PatientData.model_validate(data, context={"today": date})`` so the
    date-of-birth check uses the service's clock, not the machine's.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    family_name: Name
    given_name: Name
    date_of_birth: date
    sex: Sex = Sex.UNKNOWN
    mrn: str | None = None
    phone: str | None = None
    preferred_language: Language = Language.ENGLISH
    diabetes: TriState = TriState.UNKNOWN
    allergy_status: AllergyStatus = AllergyStatus.UNKNOWN
    allergies: str = Field(default="", validate_default=True)
    """The allergies (and reactions) as written, when ``allergy_status`` is *listed*."""
    medications: str = ""
    """Current medications as written; empty means none recorded (not "takes none")."""

    @field_validator("family_name", "given_name", mode="before")
    @classmethod
    def _name_text(cls, value: object) -> object:
        # Before pydantic's own checks, so the messages speak to a person, not a programmer.
        if value is None:
            raise ValueError("Enter a name.")
        if not isinstance(value, str):
            raise ValueError("The name must be text.")
        if len(value.strip()) > MAX_NAME_LENGTH:
            raise ValueError(f"A name holds at most {MAX_NAME_LENGTH} characters.")
        if has_control_character(value.strip()):
            # Checked here too: a lone surrogate would otherwise fail as "not a valid string".
            raise ValueError(NAME_CONTROL_CHARACTER)
        return value

    @field_validator("family_name", "given_name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not value:
            raise ValueError("Enter a name.")
        if has_control_character(value):
            raise ValueError(NAME_CONTROL_CHARACTER)
        if not any(ch.isalpha() for ch in value):
            raise ValueError("A name needs at least one letter.")
        return value

    @field_validator("date_of_birth", mode="before")
    @classmethod
    def _dob_text(cls, value: object) -> object:
        # Only a date or YYYY-MM-DD text: pydantic's lax mode would read a number as a Unix
        # timestamp and explain a typo as "Input should be a valid date or datetime".
        if isinstance(value, date) and not isinstance(value, datetime):
            return value
        if value is None or (isinstance(value, str) and not value.strip()):
            raise ValueError("Enter the date of birth (YYYY-MM-DD).")
        if not isinstance(value, str):
            raise ValueError(DOB_FORMAT_HELP)
        m = ISO_DATE_RE.fullmatch(value.strip())
        if not m:
            raise ValueError(DOB_FORMAT_HELP)
        try:
            return date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            raise ValueError(
                f"There is no such day as {value.strip()}; enter the date of birth as YYYY-MM-DD."
            ) from None

    @field_validator("date_of_birth")
    @classmethod
    def _dob(cls, value: date, info: ValidationInfo) -> date:
        context = info.context or {}
        if context.get("stored"):
            return value  # checked when it was entered; "today" has moved on since
        today = context.get("today")
        if not isinstance(today, date):
            raise ValueError("internal: validation needs today's date in its context")
        if value > today:
            raise ValueError("The date of birth is in the future.")
        if value < years_before(today, MAX_AGE_YEARS):
            raise ValueError(f"The date of birth is more than {MAX_AGE_YEARS} years ago.")
        return value

    @field_validator("mrn", mode="before")
    @classmethod
    def _mrn(cls, value: object) -> object:
        if value is None:
            return None
        if not isinstance(value, str):
            raise ValueError("The MRN must be text.")
        value = value.strip().upper()
        if not value:
            return None
        if not MRN_RE.fullmatch(value):
            raise ValueError(
                "An MRN is 1 to 20 letters, digits or hyphens, starting with a letter or digit."
            )
        return value

    @field_validator("phone", mode="before")
    @classmethod
    def _phone(cls, value: object) -> object:
        if value is None:
            return None
        if not isinstance(value, str):
            raise ValueError("The phone number must be text.")
        value = value.strip()
        if not value:
            return None
        if not PHONE_ALLOWED_RE.fullmatch(value):
            raise ValueError("A phone number may hold only digits, spaces, + - ( ) and dots.")
        digits = sum(ch.isdigit() for ch in value)
        if not 7 <= digits <= 15:
            raise ValueError("A phone number has 7 to 15 digits.")
        return value

    @field_validator("allergies", "medications", mode="before")
    @classmethod
    def _free_text(cls, value: object, info: ValidationInfo) -> object:
        if value is None:
            return ""
        if not isinstance(value, str):
            raise ValueError("Write the list as text.")
        value = " ".join(value.split())  # one line: it is read in banners and headers
        limit = MAX_ALLERGIES_LENGTH if info.field_name == "allergies" else MAX_MEDICATIONS_LENGTH
        if len(value) > limit:
            raise ValueError(f"At most {limit} characters; shorten the list.")
        if has_control_character(value):
            raise ValueError("The list contains a control character.")
        return value

    @field_validator("allergies")
    @classmethod
    def _allergies_answered(cls, value: str, info: ValidationInfo) -> str:
        # "None known" is an answer a person gave; an empty list is not that answer.
        status = info.data.get("allergy_status")
        if status is None:
            return value  # the status itself was refused; its own message says why
        listed = status is AllergyStatus.LISTED
        if listed and not value:
            raise ValueError("Write the allergies, or answer 'No known allergies' or 'Unknown'.")
        if not listed and value:
            raise ValueError("Allergies are written here: answer 'Allergies listed' above.")
        return value

    @field_validator("sex", "preferred_language", "diabetes", "allergy_status", mode="before")
    @classmethod
    def _choice(cls, value: object, info: ValidationInfo) -> object:
        enum_type, help_text = CHOICE_HELP[info.field_name or ""]
        if isinstance(value, enum_type):
            return value
        if isinstance(value, str):
            folded = value.strip().lower()
            if folded in {member.value for member in enum_type}:
                return folded
        raise ValueError(help_text)

    @property
    def display_name(self) -> str:
        """'Family, Given' as shown in lists."""
        return f"{self.family_name}, {self.given_name}"

    @property
    def allergy_text(self) -> str:
        """Allergies as a clinician reads them: the list, NKA, or that nobody asked."""
        if self.allergy_status is AllergyStatus.LISTED:
            return self.allergies
        if self.allergy_status is AllergyStatus.NONE_KNOWN:
            return "No known allergies"
        return "Unknown (not recorded)"

    @property
    def medication_text(self) -> str:
        """Current medications, or that none are recorded."""
        return self.medications or "None recorded"


class Patient(PatientData):
    """A registered patient."""

    id: int
    mrn: str  # always set once registered
    version: int = 1

    def age_on(self, day: date) -> int:
        """Whole years of age on the given day."""
        had_birthday = (day.month, day.day) >= (self.date_of_birth.month, self.date_of_birth.day)
        return day.year - self.date_of_birth.year - (0 if had_birthday else 1)


def parse_search_date(token: str) -> date | None:
    """Read a date typed into the search box: 1980-03-25, 25/03/1980 or 03/25/1980."""
    token = token.strip()
    m = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", token)
    candidates: list[tuple[int, int, int]] = []
    if m:
        candidates.append((int(m[1]), int(m[2]), int(m[3])))
    m = re.fullmatch(r"(\d{1,2})[/.](\d{1,2})[/.](\d{4})", token)
    if m:
        a, b, year = int(m[1]), int(m[2]), int(m[3])
        candidates += [(year, a, b), (year, b, a)]  # US month/day first, then day/month
    for year, month, day in candidates:
        try:
            return date(year, month, day)
        except ValueError:
            continue
    return None
