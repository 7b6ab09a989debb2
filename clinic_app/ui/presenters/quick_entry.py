"""The quick-entry line: short typed findings read into exam paths and values, nothing more.

``tinel r pos arch hallux``, ``aj r 0``, ``slr r 40 foot``, ``pin r arch hallux reduced``,
``pf r 4``; several at once separated by ``;``. Every word is matched against the form
layout (the test's path must be placed there, its value one of the field's choices) and the
region names of :mod:`clinic_app.domain.regions`. A line is read completely or not at all: a
word that cannot be read refuses the whole line with a message naming it. Nothing is ever
filled in that was not typed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from clinic_app.domain.exam import NeuroFootExam, Side
from clinic_app.domain.layout import FormLayout, field_spec
from clinic_app.domain.regions import REGIONS, RegionCode
from clinic_app.ui.presenters.choice_keys import choice_label

SIDES: dict[str, tuple[Side, ...]] = {
    "r": (Side.RIGHT,),
    "right": (Side.RIGHT,),
    "l": (Side.LEFT,),
    "left": (Side.LEFT,),
    "b": tuple(Side),
    "both": tuple(Side),
    "bil": tuple(Side),
}

# Test word -> path with {side}. Only paths the layout places are kept (checked at start).
FIELD_WORDS: dict[str, str] = {
    "aj": "lumbar.{side}.achilles.grade",
    "ankle": "lumbar.{side}.achilles.grade",
    "kj": "lumbar.{side}.patellar.grade",
    "knee": "lumbar.{side}.patellar.grade",
    "pf": "lumbar.{side}.myotomes.plantarflexion",
    "df": "lumbar.{side}.myotomes.ankle_dorsiflexion",
    "ehl": "lumbar.{side}.myotomes.ehl",
    "ke": "lumbar.{side}.myotomes.knee_extension",
    "hip": "lumbar.{side}.myotomes.hip_abduction",
    "inv": "lumbar.{side}.myotomes.inversion",
    "ev": "lumbar.{side}.myotomes.eversion",
    "hw": "lumbar.{side}.myotomes.heel_walk",
    "tw": "lumbar.{side}.myotomes.toe_walk",
    "cslr": "lumbar.{side}.crossed_slr",
    "slump": "lumbar.{side}.slump.result",
    "babinski": "lumbar.{side}.plantar_response",
    "clonus": "lumbar.{side}.ankle_clonus",
    "legpain": "lumbar.{side}.leg_pain_below_knee",
    "dp": "{side}.pulses.dorsalis_pedis",
    "pt": "{side}.pulses.posterior_tibial",
    "vib": "{side}.vibration_hallux",
    "de": "{side}.provocation.dorsiflexion_eversion",
    "tcst": "{side}.provocation.triple_compression",
    "windlass": "{side}.provocation.windlass",
    "tf": "{side}.intrinsics.toe_flexion",
    "ts": "{side}.intrinsics.toe_spread",
    "abh": "{side}.intrinsics.hallux_abduction",
    "adm": "{side}.intrinsics.little_toe_abduction",
    "mps": "{side}.nerve_conduction.medial_plantar",
    "lps": "{side}.nerve_conduction.lateral_plantar",
    "sural": "{side}.nerve_conduction.sural",
    "spn": "{side}.nerve_conduction.superficial_peroneal",
    "emg": "{side}.nerve_conduction.needle_emg",
    "imaging": "{side}.imaging_tunnel",
}
TINEL_SITES = {
    "tt": "tarsal_tunnel",
    "mc": "medial_calcaneal",
    "baxter": "baxter",
    "fib": "fibular_head",
}
SENSORY_WORDS = {"lt": "light_touch", "touch": "light_touch", "pin": "pin_prick"}
SENSORY_GRADES = ("normal", "reduced", "absent", "hyperaesthetic")
SENSORY_MAP_PATH = "{side}.sensory.regions"
# Everyday words for regions whose names in regions.py use other words.
REGION_ALIASES = {
    "hallux": "great toe",
    "mheel": "medial heel",
    "lheel": "lateral heel",
    "toes23": "toes 2-3",
    "toe4": "toe 4",
    "toe5": "little toe, plantar",
    "calf": "posterior calf",
}
# Choice words beyond the value's own words and their prefixes.
VALUE_ALIASES = {"pos": "positive", "neg": "negative", "+": "positive", "-": "negative"}
NOT_TESTED = "not_tested"


class QuickEntryError(ValueError):
    """A line that cannot be read; the message says which word and what would be read."""


@dataclass(frozen=True)
class QuickChange:
    """One finding to set: a path and its value, and how it reads to the clinician."""

    path: str
    value: Any
    text: str


@dataclass(frozen=True)
class SensoryChange:
    """Grades to set in regions of one side's sensory map (the map's path and the regions)."""

    path: str
    modality: str
    grade: str
    regions: tuple[RegionCode, ...]
    text: str


@dataclass
class QuickEntryResult:
    """What a whole line was read as, in the order typed."""

    changes: list[QuickChange] = field(default_factory=list)
    sensory: list[SensoryChange] = field(default_factory=list)

    @property
    def summary(self) -> str:
        """One line per finding, as the preview shows it."""
        return "; ".join([*(c.text for c in self.changes), *(s.text for s in self.sensory)])


def region_name(code: RegionCode) -> str:
    """A region's name as the clinician reads it (never its code)."""
    return REGIONS[code].name


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


class QuickEntryParser:
    """Reads quick-entry lines against one form layout.

    Args:
        layout: the exam layout; only paths it places can be set.
        label_of: path -> the label to show in the preview (the layout's by default).
    """

    def __init__(self, layout: FormLayout, label_of: Callable[[str], str] | None = None):
        self._placed = set(layout.paths())
        self._label_of = label_of or layout.label_of
        self._choices: dict[str, tuple[str, ...]] = {}
        for section in layout.sections:
            for row in section.fields():
                for path in row.paths(section.sided):
                    if row.widget is None:
                        spec = field_spec(NeuroFootExam, path)
                        self._choices[path] = tuple(row.choices or spec.choices)
        self.fields = {
            word: template
            for word, template in FIELD_WORDS.items()
            if template.replace("{side}", Side.RIGHT.value) in self._placed
        }

    # --- words -----------------------------------------------------------------------------

    @staticmethod
    def region_of(word: str) -> RegionCode:
        """The one region a word names (by the words of its name, or an everyday alias)."""
        wanted = REGION_ALIASES.get(word, word)
        found = [
            code
            for code, info in REGIONS.items()
            if wanted in info.name.lower()
            and (" " in wanted or wanted in _words(info.name.lower()))
        ]
        if len(found) == 1:
            return found[0]
        if not found:
            raise QuickEntryError(f"'{word}' is not a region of the foot map.")
        names = ", ".join(region_name(c) for c in found)
        raise QuickEntryError(f"'{word}' could be several regions ({names}); say which.")

    def value_of(self, path: str, word: str) -> str:
        """The choice of a field that a typed word names."""
        choices = [c for c in self._choices.get(path, ()) if c != NOT_TESTED]
        return match_choice(choices, word, self._label_of(path))

    # --- lines -------------------------------------------------------------------------------

    def parse(self, line: str) -> QuickEntryResult:
        """Read a line of one or more findings (``;`` between them).

        Raises:
            QuickEntryError: the first word that cannot be read, named in the message.
        """
        result = QuickEntryResult()
        parts = [part for part in line.split(";") if part.strip()]
        if not parts:
            raise QuickEntryError("Type a finding, e.g. 'aj r 0' or 'tinel r pos arch hallux'.")
        for part in parts:
            self._parse_one(part, result)
        return result

    def _parse_one(self, part: str, result: QuickEntryResult) -> None:
        words = part.lower().split()
        test, rest = words[0], words[1:]
        sides: Sequence[Side] | None = None
        if rest and rest[0] in SIDES:
            sides, rest = SIDES[rest[0]], rest[1:]
        if sides is None:
            raise QuickEntryError(f"'{part.strip()}': say the side (r, l or b) after '{test}'.")
        if test == "tinel":
            self._tinel(sides, rest, result)
        elif test in SENSORY_WORDS:
            self._sensory(SENSORY_WORDS[test], sides, rest, result)
        elif test == "slr":
            self._slr(sides, rest, result)
        elif test in self.fields:
            if len(rest) != 1:
                raise QuickEntryError(f"'{part.strip()}': give one value after the side.")
            for side in sides:
                self._set(self.fields[test].replace("{side}", side.value), rest[0], result)
        else:
            known = ", ".join(sorted([*self.fields, "tinel", "slr", *SENSORY_WORDS]))
            raise QuickEntryError(f"'{test}' is not a test I know. Known: {known}.")

    def _set(self, path: str, word: str, result: QuickEntryResult) -> None:
        value = self.value_of(path, word)
        result.changes.append(QuickChange(path, value, f"{self._label_of(path)}: {_shown(value)}"))

    def _tinel(self, sides: Sequence[Side], rest: list[str], result: QuickEntryResult) -> None:
        site = "tarsal_tunnel"
        if rest and rest[0] in TINEL_SITES:
            site, rest = TINEL_SITES[rest[0]], rest[1:]
        if not rest:
            raise QuickEntryError("tinel: give the result (pos, neg or equivocal).")
        word, regions = rest[0], [self.region_of(w) for w in rest[1:]]
        for side in sides:
            base = f"{side.value}.tinel.{site}"
            self._set(f"{base}.result", word, result)
            if regions:
                path = f"{base}.radiates_distal"
                allowed = set(self._choices.get(path, ()))
                outside = [region_name(c) for c in regions if c.value not in allowed]
                if outside:
                    raise QuickEntryError(
                        f"A Tinel radiates into the sole only: not {', '.join(outside)}."
                    )
                codes = [c.value for c in regions]
                names = ", ".join(region_name(c) for c in regions)
                result.changes.append(
                    QuickChange(path, codes, f"{self._label_of(path)}: {names} (added)")
                )

    def _sensory(
        self, modality: str, sides: Sequence[Side], rest: list[str], result: QuickEntryResult
    ) -> None:
        grades = [w for w in rest if _grade_of(w) is not None]
        if len(grades) != 1:
            raise QuickEntryError(
                "Give one grade (normal, reduced, absent or hyperaesthetic) and the regions."
            )
        grade = _grade_of(grades[0])
        assert grade is not None
        regions = tuple(self.region_of(w) for w in rest if w != grades[0])
        if not regions:
            raise QuickEntryError("Name the regions, e.g. 'arch hallux'.")
        what = "light touch" if modality == "light_touch" else "pin-prick"
        names = ", ".join(region_name(c) for c in regions)
        for side in sides:
            path = SENSORY_MAP_PATH.replace("{side}", side.value)
            text = f"{side.value.capitalize()} sensory map, {what} {grade}: {names}"
            result.sensory.append(SensoryChange(path, modality, grade, regions, text))

    def _slr(self, sides: Sequence[Side], rest: list[str], result: QuickEntryResult) -> None:
        if not rest or len(rest) > 2:
            raise QuickEntryError("slr: give the angle and/or how far it reached, e.g. 40 foot.")
        for side in sides:
            base = f"lumbar.{side.value}.slr"
            for word in rest:
                if word.isdigit():
                    path = f"{base}.angle_deg"
                    text = f"{self._label_of(path)}: {int(word)}"
                    result.changes.append(QuickChange(path, str(int(word)), text))
                else:
                    self._set(f"{base}.symptom", word, result)


def _grade_of(word: str) -> str | None:
    matches = [g for g in SENSORY_GRADES if g.startswith(word)] if len(word) >= 3 else []
    return matches[0] if len(matches) == 1 else None


def _shown(value: str) -> str:
    return choice_label(value)


def match_choice(choices: Sequence[str], word: str, label: str = "this field") -> str:
    """The one choice a typed word names: exact, a grade's digit, an alias, or a word prefix.

    Raises:
        QuickEntryError: no choice, or more than one, is named by the word.
    """
    word = VALUE_ALIASES.get(word, word)
    if word in choices:
        return word
    if f"{word}+" in choices:  # reflex grades: 2 means 2+
        return f"{word}+"
    found = [c for c in choices if any(part.startswith(word) for part in _words(c))]
    if len(found) == 1:
        return found[0]
    offered = ", ".join(_shown(c) for c in choices)
    if not found:
        raise QuickEntryError(f"'{word}' is not a value of {label} ({offered}).")
    raise QuickEntryError(f"'{word}' could be several values of {label} ({offered}).")


def apply_sensory(
    regions: Mapping[str, Mapping[str, Any]], change: SensoryChange
) -> dict[str, dict[str, Any]]:
    """A sensory map's JSON value with one change laid over it (other modalities kept)."""
    out = {code: dict(found) for code, found in regions.items()}
    for code in change.regions:
        out.setdefault(code.value, {})[change.modality] = change.grade
    return out
