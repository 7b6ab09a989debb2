"""Choice labels, the key that picks each choice, and typed dates and durations.

Plain Python: the controls ask, the tests check without a QApplication.

The letter mnemonic (the README's keyboard table says the same):

- a **digit** picks the choice that starts with it (``4`` is MRC 4, ``2`` the reflex 2+);
- a **letter** picks a choice with a word starting with that letter, a choice's first word
  before its later ones (``n`` negative / no / none / normal, ``p`` positive, ``y`` yes,
  ``f`` "to the foot", ``k`` "below the knee", ``t`` "buttock / thigh");
  pressing it again moves on to the next choice it names;
- no letter ever picks *not tested*: Delete or Backspace clears a field to it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date

NOT_TESTED = "not_tested"
NOT_TESTED_LABEL = "not tested"

# Scale values whose plain reading would mislead or be cryptic on screen.
CHOICE_LABELS: dict[str, str] = {
    NOT_TESTED: NOT_TESTED_LABEL,
    "back_only": "back only",
    "buttock_thigh": "buttock / thigh",
    "below_knee": "below the knee",
    "to_foot": "to the foot",
    "not_felt": "not felt",
    "neck_flexion": "neck flexion",
    "knee_extension": "knee extension",
    "space_occupying_lesion": "space-occupying lesion",
    "s1_root_pattern": "S1 root pattern",
}
FILLER_WORDS = frozenset({"to", "the", "a", "an", "of", "or", "and", "only"})


def choice_label(value: str) -> str:
    """What a stored choice value reads as on screen."""
    return CHOICE_LABELS.get(value, value.replace("_", " "))


def _words(label: str) -> list[str]:
    return [w for w in re.findall(r"[a-z0-9+]+", label.lower()) if w not in FILLER_WORDS]


def key_candidates(choices: Sequence[str], key: str) -> list[int]:
    """Indexes of the choices a key names, in the order repeated presses visit them."""
    key = key.lower()
    if len(key) != 1 or not key.isalnum():
        return []
    first: list[int] = []
    later: list[int] = []
    for index, value in enumerate(choices):
        if value == NOT_TESTED:
            continue
        words = _words(choice_label(value))
        if key.isdigit():
            if words and words[0].startswith(key):
                first.append(index)
        elif words and words[0].startswith(key):
            first.append(index)
        elif any(word.startswith(key) for word in words[1:]):
            later.append(index)
    return first + later


def pick_by_key(choices: Sequence[str], current: int, key: str, typed: str = "") -> int | None:
    """The index a key press moves to from ``current`` (None: the key names no choice).

    ``typed`` is what was typed just before (within a second): ``be`` goes to the first
    choice with a word starting "be" ("below the knee"); when no word starts with the whole
    run, the key counts alone.
    """
    run = (typed + key).lower()
    if len(run) > 1:
        whole = [
            index
            for index, value in enumerate(choices)
            if value != NOT_TESTED
            and any(word.startswith(run) for word in _words(choice_label(value)))
        ]
        if whole:
            return current if current in whole else whole[0]
    found = key_candidates(choices, key)
    if not found:
        return None
    if current in found:
        return found[(found.index(current) + 1) % len(found)]
    return found[0]


# --- typed dates and durations ------------------------------------------------------------

US_DATE = re.compile(r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})\s*$")
DURATION = re.compile(r"^\s*(\d+)\s*([a-z]*)\s*$")
DAYS_PER_WEEK = 7
WEEKS_PER_MONTH = 52 / 12


def read_date(text: str) -> str:
    """ISO (2026-11-28) as typed; US month/day/year (11/28/2026) as ISO.

    Anything else is returned unchanged, for the model to refuse with its own message.
    """
    match = US_DATE.match(text)
    if match is None:
        return text
    month, day, year = (int(part) for part in match.groups())
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return text


def read_weeks(text: str) -> tuple[str, str]:
    """A duration typed in days, weeks or months, as whole weeks; and how it was read.

    ``12`` and ``12w`` are 12 weeks, ``3m`` (``3 months``) is 13 weeks, ``10d`` is 1 week
    (rounded to the nearest week). Returns (text to validate, a note such as "3 months =
    13 weeks", empty when the number was typed in weeks). Unreadable text is returned as
    typed for the model to refuse.
    """
    match = DURATION.match(text.lower())
    if match is None:
        return text, ""
    number, unit = int(match.group(1)), match.group(2)
    if unit in ("", "w", "wk", "wks", "week", "weeks"):
        return str(number), ""
    if unit in ("d", "day", "days"):
        weeks = round(number / DAYS_PER_WEEK)
        return str(weeks), f"{number} days = {_weeks(weeks)}"
    if unit in ("m", "mo", "mos", "month", "months"):
        weeks = round(number * WEEKS_PER_MONTH)
        return str(weeks), f"{number} months = {_weeks(weeks)}"
    return text, ""


def _weeks(count: int) -> str:
    return f"{count} week" if count == 1 else f"{count} weeks"
