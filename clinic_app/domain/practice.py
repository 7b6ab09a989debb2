"""The practice's own details: the letterhead on every handout and the surgeon's recovery plan."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
)

from clinic_app.domain.handouts import practice_timeline_step
from clinic_app.domain.patient import Language, has_control_character

MAX_PRACTICE_NAME = 120
MAX_ADDRESS_LINES = 4
MAX_ADDRESS_LINE = 120
MAX_PHONE = 40
MAX_LOGO_BYTES = 1024 * 1024
MAX_TIMELINE_STEPS = 20
MAX_STEP_LENGTH = 200
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
JPEG_MAGIC = b"\xff\xd8\xff"
# Digits, spaces, + ( ) - . / and an optional extension ("ext. 12", "x12").
PRACTICE_PHONE_RE = re.compile(r"^[0-9 +()\-./]+((ext\.?|x) ?[0-9]{1,6})?$", re.IGNORECASE)
_BRACKET_TAG = re.compile(r"\[[A-Z0-9][A-Z0-9-]*\]")
LOGO_HELP = "The logo must be a PNG or JPEG image."


def logo_format(data: bytes) -> str | None:
    """'png' or 'jpeg' from the file's first bytes (its name may lie), else None."""
    if data.startswith(PNG_MAGIC):
        return "png"
    if data.startswith(JPEG_MAGIC):
        return "jpeg"
    return None


def logo_size_problem(size: int) -> str | None:
    """Why a logo file of this many bytes is refused, or None when its size is fine."""
    if size <= MAX_LOGO_BYTES:
        return None
    return f"The logo file is {size / (1024 * 1024):.1f} MB; choose an image of at most 1 MB."


def check_logo(data: bytes) -> bytes:
    """The logo's bytes if they are a PNG or JPEG image of at most 1 MB; else ValueError."""
    problem = logo_size_problem(len(data))
    if problem:
        raise ValueError(problem)
    if logo_format(data) is None:
        raise ValueError(LOGO_HELP)
    return data


def _line(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"The {what} must be text.")
    value = value.strip()
    if has_control_character(value):
        raise ValueError(f"The {what} contains a control character.")
    return value


def _steps(value: object) -> tuple[str, ...]:
    """One language's timeline: 1 to 20 steps of 1 to 200 characters each."""
    if isinstance(value, str):
        value = value.splitlines()
    if not isinstance(value, list | tuple):
        raise ValueError("The timeline is a list of steps.")
    steps = tuple(_line(step, "timeline step") for step in value)
    if not steps:
        raise ValueError("Enter at least one step, or use the handout's own timeline.")
    if len(steps) > MAX_TIMELINE_STEPS:
        raise ValueError(f"A timeline holds at most {MAX_TIMELINE_STEPS} steps.")
    for number, step in enumerate(steps, start=1):
        if not step:
            raise ValueError(f"Step {number} is empty.")
        if len(step) > MAX_STEP_LENGTH:
            raise ValueError(f"Step {number} is longer than {MAX_STEP_LENGTH} characters.")
        # It must print as a handout's timeline step does (no braces, no [TAG] citations).
        if "{" in step or "}" in step:
            raise ValueError(f"Step {number}: leave out the {{ and }} characters.")
        if _BRACKET_TAG.search(step):
            raise ValueError(f"Step {number}: leave out bracketed tags such as [ABC].")
        try:
            practice_timeline_step(step)
        except ValidationError as exc:
            reason = str(exc.errors()[0]["msg"]).removeprefix("Value error, ")
            raise ValueError(f"Step {number} cannot be printed: {reason}.") from None
    return steps


TimelineSteps = Annotated[tuple[str, ...], BeforeValidator(_steps)]


class PracticeDetails(BaseModel):
    """The practice's letterhead and the surgeon's own release recovery timeline.

    One record per database, shared by every workstation on it.

    Attributes:
        name: the practice's name as printed.
        address: up to four printed lines.
        phone: the number patients call (empty when not given).
        logo: PNG or JPEG bytes, at most 1 MB, or None.
        release_timeline: per handout language, the steps that replace the tarsal tunnel
            release handout's recovery timeline; None (or a language left out) prints the
            handout's own.
        version: raised with every save (0: never saved); guards against two admins
            overwriting each other.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    address: tuple[str, ...] = ()
    phone: str = ""
    logo: bytes | None = Field(default=None, repr=False)
    release_timeline: dict[Language, TimelineSteps] | None = None
    version: int = Field(default=0, ge=0)

    @field_validator("name", mode="before")
    @classmethod
    def _name(cls, value: object) -> object:
        # Before pydantic's own checks, so the messages speak to a person.
        name = _line(value if value is not None else "", "practice name")
        if not name:
            raise ValueError("Enter the practice's name.")
        if len(name) > MAX_PRACTICE_NAME:
            raise ValueError(f"The practice name holds at most {MAX_PRACTICE_NAME} characters.")
        return name

    @field_validator("address", mode="before")
    @classmethod
    def _address(cls, value: object) -> object:
        if value is None:
            return ()
        if isinstance(value, str):
            value = value.splitlines()
        if not isinstance(value, list | tuple):
            raise ValueError("The address is a list of lines.")
        lines = [line for line in (_line(v, "address") for v in value) if line]
        if len(lines) > MAX_ADDRESS_LINES:
            raise ValueError(f"The address holds at most {MAX_ADDRESS_LINES} lines.")
        for line in lines:
            if len(line) > MAX_ADDRESS_LINE:
                raise ValueError(f"An address line holds at most {MAX_ADDRESS_LINE} characters.")
        return tuple(lines)

    @field_validator("phone", mode="before")
    @classmethod
    def _phone(cls, value: object) -> object:
        phone = _line(value if value is not None else "", "phone number")
        if not phone:
            return ""
        if len(phone) > MAX_PHONE:
            raise ValueError(f"The phone number holds at most {MAX_PHONE} characters.")
        if not PRACTICE_PHONE_RE.fullmatch(phone):
            raise ValueError(
                "A phone number may hold only digits, spaces, + - ( ) . / and an extension "
                "(ext. 12)."
            )
        if sum(ch.isdigit() for ch in phone) < 3:
            raise ValueError("The phone number needs its digits.")
        return phone

    @field_validator("logo", mode="before")
    @classmethod
    def _logo(cls, value: object) -> object:
        if value is None:
            return None
        # Only real bytes: pydantic would otherwise turn a text into "image" bytes.
        if isinstance(value, bytearray | memoryview):
            value = bytes(value)
        if not isinstance(value, bytes):
            raise ValueError(LOGO_HELP)
        if not value:
            return None
        return check_logo(value)

    @field_validator("release_timeline", mode="before")
    @classmethod
    def _timeline(cls, value: object) -> object:
        if value is None:
            return None
        if not isinstance(value, dict):
            raise ValueError("The recovery timeline is given per language.")
        known = {lang.value for lang in Language}
        for key in value:
            if str(key) not in known:
                raise ValueError(
                    "Recovery timelines are kept for en (English) and es (Spanish) only."
                )
        # No language left means "use the handout's own timeline" everywhere.
        return value or None

    def timeline_for(self, language: str) -> tuple[str, ...] | None:
        """The surgeon's steps for a handout language, or None to print the handout's own."""
        if not self.release_timeline:
            return None
        for lang, steps in self.release_timeline.items():
            if lang.value == language:
                return steps
        return None

    def stored_fields(self) -> dict[str, Any]:
        """The values a repository keeps (the version is the repository's business)."""
        return {
            "name": self.name,
            "address": list(self.address),
            "phone": self.phone,
            "logo": self.logo,
            "release_timeline": (
                {lang.value: list(steps) for lang, steps in self.release_timeline.items()}
                if self.release_timeline
                else None
            ),
        }
