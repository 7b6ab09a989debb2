"""Patient domain rules: the search key, dates typed into the search box, age and bounds."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clinic_app.domain.patient import (
    MAX_AGE_YEARS,
    Patient,
    PatientData,
    parse_search_date,
    search_key,
    years_before,
)

TODAY = date(2026, 3, 14)


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("Núñez", "nunez"),
        ("NUNEZ", "nunez"),
        ("  Müller   Hans ", "muller hans"),
        ("Straße", "strasse"),
        ("Çelik", "celik"),
        ("İlhan", "ilhan"),  # Turkish dotted capital I folds to a plain i
        ("Ångström", "angstrom"),
        ("O'Brien-Smith", "o'brien-smith"),
        ("ﬁnch", "finch"),  # the "fi" ligature
        ("", ""),
        (" \t\n ", ""),
    ],
)
def test_search_key_folds_case_accents_and_spaces(typed: str, key: str) -> None:
    assert search_key(typed) == key


def test_search_key_matches_what_a_receptionist_types() -> None:
    assert search_key("Núñez García") == search_key("nunez garcia")
    assert search_key("İlhan").startswith(search_key("ilh"))


@given(st.text())
def test_search_key_is_idempotent_and_tidy(text: str) -> None:
    key = search_key(text)
    assert search_key(key) == key
    assert key == key.strip()
    assert "  " not in key


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        ("1980-03-25", date(1980, 3, 25)),
        ("1980-3-5", date(1980, 3, 5)),
        (" 1980-03-25 ", date(1980, 3, 25)),
        ("03/25/1980", date(1980, 3, 25)),  # US month/day
        ("25/03/1980", date(1980, 3, 25)),  # day/month when month/day cannot be
        ("25.03.1980", date(1980, 3, 25)),
        ("3/4/1980", date(1980, 3, 4)),  # ambiguous: month/day wins
    ],
)
def test_parse_search_date_reads_the_usual_forms(token: str, expected: date) -> None:
    assert parse_search_date(token) == expected


@pytest.mark.parametrize(
    "token",
    [
        "",
        "nunez",
        "1980",
        "1980-02-30",  # no such day
        "1981-02-29",  # not a leap year
        "1980-13-01",
        "1980-00-10",
        "31/31/1980",
        "00/00/1980",
        "25/03/80",  # two-digit years are too ambiguous to guess
        "1980/03/25",
        "25-03-1980",
        "1980-03-25x",
    ],
)
def test_parse_search_date_returns_none_for_anything_else(token: str) -> None:
    assert parse_search_date(token) is None


@given(st.text(max_size=20))
def test_parse_search_date_never_raises(token: str) -> None:
    result = parse_search_date(token)
    assert result is None or isinstance(result, date)


def test_years_before_handles_29_february() -> None:
    assert years_before(date(2028, 2, 29), MAX_AGE_YEARS) == date(1898, 2, 28)
    assert years_before(date(2026, 3, 14), MAX_AGE_YEARS) == date(1896, 3, 14)


@pytest.mark.parametrize(
    ("dob", "ok"),
    [
        (TODAY, True),
        (years_before(TODAY, MAX_AGE_YEARS), True),  # exactly 130 years
        (date(1896, 3, 13), False),  # one day more
        (date(1895, 12, 31), False),
    ],
)
def test_date_of_birth_age_limit_is_exact(dob: date, ok: bool) -> None:
    raw = {"family_name": "Old", "given_name": "Ann", "date_of_birth": dob}
    if ok:
        assert PatientData.model_validate(raw, context={"today": TODAY}).date_of_birth == dob
    else:
        with pytest.raises(ValueError, match="more than 130 years ago"):
            PatientData.model_validate(raw, context={"today": TODAY})


def test_validation_without_today_is_refused() -> None:
    # The service must pass its clock; validating against the machine's date is a bug.
    with pytest.raises(ValueError, match="today"):
        PatientData.model_validate(
            {"family_name": "A", "given_name": "B", "date_of_birth": "1970-01-01"}
        )


def test_stored_patient_skips_the_date_window() -> None:
    # A patient registered long ago stays readable after "today" moved on.
    patient = Patient.model_validate(
        {
            "id": 1,
            "mrn": "ABC",
            "family_name": "Old",
            "given_name": "Ann",
            "date_of_birth": "1890-01-01",
        },
        context={"stored": True},
    )
    assert patient.date_of_birth == date(1890, 1, 1)


@pytest.mark.parametrize(
    ("dob", "day", "age"),
    [
        (date(1968, 4, 30), date(2026, 4, 29), 57),
        (date(1968, 4, 30), date(2026, 4, 30), 58),
        (date(2000, 2, 29), date(2026, 2, 28), 25),
        (date(2000, 2, 29), date(2026, 3, 1), 26),
    ],
)
def test_age_on(dob: date, day: date, age: int) -> None:
    patient = Patient.model_validate(
        {"id": 1, "mrn": "A1", "family_name": "X", "given_name": "Y", "date_of_birth": dob},
        context={"stored": True},
    )
    assert patient.age_on(day) == age


def test_display_name_is_family_comma_given() -> None:
    data = PatientData.model_validate(
        {"family_name": " Núñez ", "given_name": "Ana ", "date_of_birth": "1968-04-30"},
        context={"today": TODAY},
    )
    assert data.display_name == "Núñez, Ana"
