"""The letter and digit mnemonic, and dates and durations as typed."""

from __future__ import annotations

import pytest

from clinic_app.ui.presenters.choice_keys import (
    choice_label,
    key_candidates,
    pick_by_key,
    read_date,
    read_weeks,
)

SLR = ("not_tested", "none", "back_only", "buttock_thigh", "below_knee", "to_foot")
GRADE = ("not_tested", "normal", "reduced", "absent", "hyperaesthetic")
REFLEX = ("not_tested", "0", "1+", "2+", "3+", "4+")
TINEL = ("not_tested", "positive", "negative", "equivocal")


def picked(choices, key, current=0):
    index = pick_by_key(choices, current, key)
    return None if index is None else choices[index]


def test_f_is_to_the_foot_and_k_below_the_knee():
    assert picked(SLR, "f") == "to_foot"
    assert picked(SLR, "k") == "below_knee"
    assert choice_label("to_foot") == "to the foot"


def test_n_never_gives_not_tested():
    assert picked(GRADE, "n") == "normal"
    assert picked(TINEL, "n") == "negative"
    for choices in (SLR, GRADE, REFLEX, TINEL):
        for key in "abcdefghijklmnopqrstuvwxyz0123456789":
            assert 0 not in key_candidates(choices, key)


def test_digits_pick_grades_and_repeats_cycle():
    assert picked(REFLEX, "2") == "2+"
    assert picked(SLR, "b") == "back_only"
    assert picked(SLR, "b", SLR.index("back_only")) == "buttock_thigh"
    assert picked(SLR, "b", SLR.index("below_knee")) == "back_only"  # round again
    assert picked(TINEL, "z") is None


@pytest.mark.parametrize(
    ("typed", "read"),
    [("2026-11-28", "2026-11-28"), ("11/28/2026", "2026-11-28"), ("1/2/2026", "2026-01-02")],
)
def test_dates_iso_or_us(typed, read):
    assert read_date(typed) == read


def test_impossible_dates_are_left_for_the_model_to_refuse():
    assert read_date("13/40/2026") == "13/40/2026"
    assert read_date("tomorrow") == "tomorrow"


@pytest.mark.parametrize(
    ("typed", "weeks", "note"),
    [
        ("12", "12", ""),
        ("12w", "12", ""),
        ("3m", "13", "3 months = 13 weeks"),
        ("6 months", "26", "6 months = 26 weeks"),
        ("10d", "1", "10 days = 1 week"),
        ("14 days", "2", "14 days = 2 weeks"),
        ("soon", "soon", ""),
    ],
)
def test_durations_in_days_weeks_or_months(typed, weeks, note):
    assert read_weeks(typed) == (weeks, note)


def test_letters_typed_together_read_as_a_word():
    assert picked(SLR, "e") is None
    assert SLR[pick_by_key(SLR, 0, "e", typed="b")] == "below_knee"
    assert SLR[pick_by_key(SLR, 0, "u", typed="b")] == "buttock_thigh"
    assert pick_by_key(SLR, 0, "z", typed="b") is None
