"""The practice's own details: letterhead, surgeon's plan and driving words, fever threshold.

The fever threshold is printed in every handout's "when to get help" box.

No guideline fixes one fever threshold (clinical-reference.md 10.1 fact 2) and no study gives
driving weeks after a tarsal tunnel release (10.2): both are the practice's own settings, never
fixed in code. The surgeon's words are kept per handout language, because a Spanish copy can
print only what was written in Spanish.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from clinic_app.domain.handouts import (
    HandoutContext,
    HandoutLanguage,
    HandoutSide,
    VisitFact,
    practice_timeline_step,
)
from clinic_app.domain.patient import Language, has_control_character

MAX_PRACTICE_NAME = 120
MAX_ADDRESS_LINES = 4
MAX_ADDRESS_LINE = 120
MAX_PHONE = 40
MAX_LOGO_BYTES = 1024 * 1024
MAX_TIMELINE_STEPS = 20
MAX_STEP_LENGTH = 200
MAX_DRIVING_LENGTH = 160
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
JPEG_MAGIC = b"\xff\xd8\xff"
# Digits, spaces, + ( ) - . / and an optional extension ("ext. 12", "x12").
PRACTICE_PHONE_RE = re.compile(r"^[0-9 +()\-./]+((ext\.?|x) ?[0-9]{1,6})?$", re.IGNORECASE)
_BRACKET_TAG = re.compile(r"\[[A-Z0-9][A-Z0-9-]*\]")
LOGO_HELP = "The logo must be a PNG or JPEG image."
# A 2,000 x 2,000 logo is already generous; decoding is what costs memory and time.
MAX_LOGO_PIXELS = 16_000_000
# JPEG markers that carry no length, and the start-of-frame markers that hold the size.
_JPEG_NO_LENGTH = frozenset({0x01, *range(0xD0, 0xDA)})
_JPEG_FRAME_MARKERS = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


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


def logo_dimensions(data: bytes) -> tuple[int, int] | None:
    """Width and height read from a PNG or JPEG header, without decoding the image.

    None when the header cannot be read. A small file can claim an enormous image (a
    decompression bomb): this is how its size is known before anything decodes it.
    """
    if data.startswith(PNG_MAGIC) and data[12:16] == b"IHDR" and len(data) >= 24:
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    if not data.startswith(JPEG_MAGIC):
        return None
    i = 2
    while i + 9 <= len(data):
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker in _JPEG_NO_LENGTH:
            i += 2
            continue
        if marker in _JPEG_FRAME_MARKERS:
            height = int.from_bytes(data[i + 5 : i + 7], "big")
            width = int.from_bytes(data[i + 7 : i + 9], "big")
            return width, height
        i += 2 + int.from_bytes(data[i + 2 : i + 4], "big")
    return None


def logo_pixel_problem(data: bytes) -> str | None:
    """Why a logo image is refused for its pixel count, or None.

    A header that cannot be read is left to the renderer, which leaves such a logo out.
    """
    size = logo_dimensions(data)
    if size is None:
        return None
    width, height = size
    if width * height > MAX_LOGO_PIXELS:
        return (
            f"The logo is {width} x {height} pixels; choose an image of at most "
            f"{MAX_LOGO_PIXELS // 1_000_000} million pixels (a letterhead logo needs far fewer)."
        )
    return None


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


class TemperatureUnit(StrEnum):
    """The unit a fever threshold is entered in; the handout prints both."""

    FAHRENHEIT = "F"
    CELSIUS = "C"


FEVER_RANGE = {TemperatureUnit.FAHRENHEIT: (99.0, 104.0), TemperatureUnit.CELSIUS: (37.2, 40.0)}
"""Values accepted as a fever threshold: a typing slip (10.04, 1004) is refused."""


class FeverThreshold(BaseModel):
    """The temperature from which the practice wants a call: "{value} or higher".

    Sources differ (> 38 °C / 100.4 °F, >= 101 °F, > 102 °F; clinical-reference.md 10.1 fact 2),
    so the practice chooses. Printed in the entered unit first, then the other.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    value: float
    unit: TemperatureUnit = TemperatureUnit.FAHRENHEIT

    @model_validator(mode="after")
    def _plausible(self) -> FeverThreshold:
        low, high = FEVER_RANGE[self.unit]
        if not low <= self.value <= high:
            raise ValueError(
                f"A fever threshold in °{self.unit.value} is between {low:g} and {high:g}."
            )
        if round(self.value, 1) != self.value:
            raise ValueError("Give the fever threshold with at most one decimal.")
        return self

    def printed(self) -> str:
        """Both units, the entered one first: "100.4 °F (38.0 °C)"."""
        if self.unit is TemperatureUnit.FAHRENHEIT:
            other = (self.value - 32) * 5 / 9
            return f"{self.value:.1f} °F ({other:.1f} °C)"
        other = self.value * 9 / 5 + 32
        return f"{self.value:.1f} °C ({other:.1f} °F)"


def _driving_text(value: object, side: str) -> str:
    text = _line(value if value is not None else "", f"driving text for the {side} foot")
    if len(text) > MAX_DRIVING_LENGTH:
        raise ValueError(
            f"The driving text for the {side} foot holds at most {MAX_DRIVING_LENGTH} characters."
        )
    if "{" in text or "}" in text:
        raise ValueError(f"Driving, {side} foot: leave out the {{ and }} characters.")
    if _BRACKET_TAG.search(text):
        raise ValueError(f"Driving, {side} foot: leave out bracketed tags such as [ABC].")
    return text


class SurgeonDriving(BaseModel):
    """The surgeon's words on driving again after surgery on each foot, in one language.

    Empty means "not given": that side's copy tells the patient to ask the surgeon.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    right: str = ""
    left: str = ""

    @field_validator("right", mode="before")
    @classmethod
    def _right(cls, value: object) -> str:
        return _driving_text(value, "right")

    @field_validator("left", mode="before")
    @classmethod
    def _left(cls, value: object) -> str:
        return _driving_text(value, "left")

    @property
    def given(self) -> bool:
        """True when either side has words."""
        return bool(self.right or self.left)

    def by_side(self) -> dict[HandoutSide, str]:
        """The sides that have words, for a handout."""
        return {
            side: text
            for side, text in ((HandoutSide.RIGHT, self.right), (HandoutSide.LEFT, self.left))
            if text
        }


LANGUAGE_NAMES = {Language.ENGLISH: "English", Language.SPANISH: "Spanish"}


def _names(codes: Iterable[str]) -> str:
    return " and ".join(LANGUAGE_NAMES[lang] for lang in Language if lang.value in set(codes))


def language_gaps(
    timeline: Iterable[str], driving: Mapping[str, Mapping[str, str]]
) -> tuple[str, ...]:
    """What the surgeon wrote in one language only, one sentence per gap, for the admin.

    A patient reading the other language gets the generic text: the published example
    timeline, or "ask your surgeon" about driving.

    Args:
        timeline: the language codes that have the surgeon's own recovery timeline.
        driving: language code -> {"right": words, "left": words}; empty words are not given.
    """
    every = {lang.value for lang in Language}
    gaps: list[str] = []
    have = set(timeline) & every
    if have and have != every:
        gaps.append(
            f"The recovery timeline is written in {_names(have)} only: {_names(every - have)} "
            "handouts print the published example instead."
        )
    for side in (HandoutSide.RIGHT, HandoutSide.LEFT):
        have = {
            lang
            for lang, entry in driving.items()
            if lang in every and str(entry.get(side.value) or "").strip()
        }
        if have and have != every:
            gaps.append(
                f"Driving for the {side.value} foot is written in {_names(have)} only: "
                f"{_names(every - have)} handouts tell the patient to ask the surgeon."
            )
    return tuple(gaps)


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
        driving: per handout language, the surgeon's words on driving again per foot; a
            language left out prints "ask your surgeon".
        fever_threshold: the temperature from which patients are asked to call, printed in
            every handout's help box; None prints "a fever" without a number.
        version: raised with every save (0: never saved); guards against two admins
            overwriting each other.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    address: tuple[str, ...] = ()
    phone: str = ""
    logo: bytes | None = Field(default=None, repr=False)
    release_timeline: dict[Language, TimelineSteps] | None = None
    driving: dict[Language, SurgeonDriving] | None = None
    fever_threshold: FeverThreshold | None = None
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

    @field_validator("driving", mode="before")
    @classmethod
    def _driving(cls, value: object) -> object:
        if value is None:
            return None
        if not isinstance(value, dict):
            raise ValueError("Driving weeks are given per language.")
        known = {lang.value for lang in Language}
        for key in value:
            if str(key) not in known:
                raise ValueError("Driving weeks are kept for en (English) and es (Spanish) only.")
        kept = {
            key: entry
            for key, entry in value.items()
            if not isinstance(entry, dict) or any(str(v or "").strip() for v in entry.values())
        }
        return kept or None

    @field_validator("driving", mode="after")
    @classmethod
    def _driving_given(
        cls, value: dict[Language, SurgeonDriving] | None
    ) -> dict[Language, SurgeonDriving] | None:
        kept = {lang: entry for lang, entry in (value or {}).items() if entry.given}
        return kept or None

    def driving_for(self, language: str) -> dict[HandoutSide, str]:
        """The surgeon's driving words per foot for a handout language (empty: none given)."""
        for lang, entry in (self.driving or {}).items():
            if lang.value == language:
                return entry.by_side()
        return {}

    def language_gaps(self) -> tuple[str, ...]:
        """What is written in one language only (see ``language_gaps``)."""
        return language_gaps(
            [lang.value for lang in self.release_timeline or {}],
            {lang.value: entry.model_dump() for lang, entry in (self.driving or {}).items()},
        )

    def handout_context(
        self,
        language: HandoutLanguage,
        side: HandoutSide | None = None,
        facts: frozenset[VisitFact] = frozenset(),
    ) -> HandoutContext:
        """What a handout copy in this language takes from the practice's settings."""
        return HandoutContext(
            facts=facts,
            side=side,
            fever=self.fever_threshold.printed() if self.fever_threshold else None,
            driving=self.driving_for(language.value),
            timeline=self.timeline_for(language.value) or (),
        )

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
            "driving": (
                {lang.value: entry.model_dump() for lang, entry in self.driving.items()}
                if self.driving
                else None
            ),
            "fever_threshold": (
                self.fever_threshold.model_dump(mode="json") if self.fever_threshold else None
            ),
        }
