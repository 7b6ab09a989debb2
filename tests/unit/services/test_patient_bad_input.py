"""Bad input for every patient field: one clear message at that field, and nothing written.

Hypothesis generates the bad values (empty, blank, control characters, too long, future or
too-old dates, malformed phones and MRNs, unknown choices, wrong types); every one must come
back from ``PatientService.register`` as ``FieldErrors`` naming exactly that field.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from clinic_app.domain.account import Role
from clinic_app.domain.errors import FieldErrors
from clinic_app.domain.patient import (
    MAX_AGE_YEARS,
    MAX_MEDICATIONS_LENGTH,
    MAX_NAME_LENGTH,
    MRN_RE,
    PHONE_ALLOWED_RE,
    AllergyStatus,
    Language,
    PatientData,
    Sex,
    TriState,
    years_before,
)
from clinic_app.services.patients import PatientService
from unit.fakes import FakeDatabase, FixedClock, principal

TODAY = FixedClock().today()
OLDEST = years_before(TODAY, MAX_AGE_YEARS)
GOOD: dict[str, Any] = {"family_name": "Rivera", "given_name": "Ana", "date_of_birth": "1970-01-02"}
DESK = principal(2, "Sam Desk", Role.FRONT_DESK)
# Good values include diabetes status, allergies and medications: a clinician records those.
CLINICIAN = principal(1, "Dr Rivera", Role.CLINICIAN)

# Hypothesis examples run inside one test call; the fakes are built per example instead of
# through function-scoped fixtures.
PROPERTY = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Signs that a message was written for a programmer rather than for the front desk.
PROGRAMMER_WORDS = re.compile(
    r"Input should|pydantic|type=|input_value|Value error|Traceback|\bNone\b|\bstr\b|\bint\b"
    r"|datetime|unicode string",
)


def register_refused(field: str, value: object) -> str:
    """Register with one bad field; return its message after checking nothing was written."""
    db = FakeDatabase()
    service = PatientService(db, FixedClock())
    with pytest.raises(FieldErrors) as caught:
        service.register(DESK, {**GOOD, field: value})
    errors = caught.value.errors
    assert list(errors) == [field], errors
    message = errors[field]
    assert message.strip(), "empty message"
    assert "\n" not in message
    assert len(message) <= 200
    assert message[0].isupper(), message
    assert message.endswith("."), message
    assert not PROGRAMMER_WORDS.search(message), message
    # Nothing was written: no patient, no audit entry, no commit.
    assert db.commits == 0
    assert db.committed.patients == {}
    assert db.committed.audit == []
    return message


# --- strategies --------------------------------------------------------------------------

LETTERS = st.characters(categories=["Lu", "Ll", "Lo"])
WRONG_TYPES = st.one_of(
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.binary(max_size=10),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.builds(object),
)
BLANK = st.text(alphabet=" \t\r\n\u00a0\u2003\u3000", max_size=5)
# Control, format, private-use and surrogate code points, and line/paragraph separators.
CONTROL = st.characters(categories=["Cc", "Cf", "Co", "Cs", "Zl", "Zp"])


@st.composite
def with_control_character(draw: st.DrawFn) -> str:
    """A name-like text with a control character inside (where stripping cannot remove it)."""
    return draw(LETTERS) + draw(CONTROL) + draw(LETTERS)


def bad_names() -> st.SearchStrategy[object]:
    """Values no name field may take."""
    return st.one_of(
        BLANK,
        st.none(),
        with_control_character(),
        st.text(LETTERS, min_size=MAX_NAME_LENGTH + 1, max_size=MAX_NAME_LENGTH + 50),
        st.text(alphabet="0123456789 .,-'()", min_size=1, max_size=20),  # no letter at all
        WRONG_TYPES,
    )


def iso(day: date) -> str:
    """A date as typed: YYYY-MM-DD."""
    return day.isoformat()


@st.composite
def impossible_dates(draw: st.DrawFn) -> str:
    """YYYY-MM-DD text naming a day that does not exist."""
    year = draw(st.integers(0, 9999))
    month = draw(st.integers(0, 99))
    day = draw(st.integers(0, 99))
    try:
        date(year, month, day)
    except ValueError:
        return f"{year:04d}-{month:02d}-{day:02d}"
    return f"{year:04d}-02-30"


def not_iso_text(text: str) -> bool:
    """True unless the text is (padded) YYYY-MM-DD."""
    return re.fullmatch(r"\s*[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}\s*", text) is None


def bad_dates_of_birth() -> st.SearchStrategy[object]:
    """Values the date of birth may not take."""
    future = st.dates(min_value=TODAY + timedelta(days=1))
    too_old = st.dates(max_value=OLDEST - timedelta(days=1))
    return st.one_of(
        BLANK,
        st.none(),
        future,
        future.map(iso),
        too_old,
        too_old.map(iso),
        impossible_dates(),
        st.text(max_size=20).filter(not_iso_text),
        st.sampled_from(["14/03/1970", "03/14/1970", "1970.03.14", "19700314", "yesterday"]),
        st.datetimes(),
        WRONG_TYPES.filter(lambda v: not isinstance(v, date)),
    )


def bad_choice(enum_type: type[Sex] | type[Language] | type[TriState]) -> st.SearchStrategy[object]:
    """Values outside a choice field's members (upper-case and padded members are fine)."""
    members = {m.value for m in enum_type}
    others = {m.value for e in (Sex, Language, TriState) for m in e} - members
    return st.one_of(
        BLANK,
        st.none(),
        st.sampled_from(sorted(others)),
        st.text(max_size=12).filter(lambda t: t.strip().lower() not in members),
        WRONG_TYPES,
    )


def is_valid_mrn(text: str) -> bool:
    """The MRN rule, applied as the model applies it."""
    folded = text.strip().upper()
    return not folded or MRN_RE.fullmatch(folded) is not None


def bad_mrns() -> st.SearchStrategy[object]:
    """MRNs that must be refused (blank is fine: one is generated)."""
    alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    return st.one_of(
        st.text(min_size=1, max_size=25).filter(lambda t: not is_valid_mrn(t)),
        st.text(alphabet=alnum, min_size=21, max_size=40),
        st.text(alphabet=alnum, max_size=10).map(lambda t: "-" + t),
        st.text(alphabet=alnum, min_size=1, max_size=5).flatmap(
            lambda t: st.sampled_from(" _/.#*é\t").map(lambda bad: t + bad + t)
        ),
        with_control_character(),
        WRONG_TYPES,
    )


def digit_count(text: str) -> int:
    """ASCII digits in a phone number."""
    return sum(ch in "0123456789" for ch in text)


def is_valid_phone(text: str) -> bool:
    """The phone rule, applied as the model applies it."""
    text = text.strip()
    if not text:
        return True
    return PHONE_ALLOWED_RE.fullmatch(text) is not None and 7 <= digit_count(text) <= 15


def bad_phones() -> st.SearchStrategy[object]:
    """Phone numbers that must be refused (blank is fine: the phone is optional)."""
    digits = st.text(alphabet="0123456789", min_size=1, max_size=40)
    return st.one_of(
        st.text(min_size=1, max_size=25).filter(lambda t: not is_valid_phone(t)),
        digits.filter(lambda d: len(d) < 7),  # too few digits
        digits.filter(lambda d: len(d) > 15).map(lambda d: "+" + d),  # too many
        st.builds(
            lambda a, b: a + b, st.text(alphabet="0123456789", min_size=7, max_size=10), LETTERS
        ),
        st.just("(555) 010-CALL"),
        st.just("555\n0104477"),
        WRONG_TYPES,
    )


def bad_lists(*, answered: bool) -> st.SearchStrategy[object]:
    """Allergy or medication lists to refuse; with allergies unanswered, any written list.

    Whitespace (tabs, line breaks) is folded to single spaces, so only other control
    characters are refused.
    """
    unseen = CONTROL.filter(lambda ch: not ch.isspace())
    strategies = [
        st.builds(lambda a, c, b: a + c + b, LETTERS, unseen, LETTERS),
        st.text(alphabet="abc ", min_size=MAX_MEDICATIONS_LENGTH + 1, max_size=1200).filter(
            lambda t: len(" ".join(t.split())) > MAX_MEDICATIONS_LENGTH
        ),
        WRONG_TYPES,
    ]
    if not answered:
        strategies.append(st.text(min_size=1, max_size=30).filter(lambda t: " ".join(t.split())))
    return st.one_of(*strategies)


BAD_VALUES: dict[str, st.SearchStrategy[object]] = {
    "family_name": bad_names(),
    "given_name": bad_names(),
    "date_of_birth": bad_dates_of_birth(),
    "sex": bad_choice(Sex),
    "mrn": bad_mrns(),
    "phone": bad_phones(),
    "preferred_language": bad_choice(Language),
    "diabetes": bad_choice(TriState),
    "allergy_status": bad_choice(AllergyStatus),
    "allergies": bad_lists(answered=False),  # GOOD leaves allergies unknown
    "medications": bad_lists(answered=True),
}


def test_every_patient_field_has_a_bad_value_strategy() -> None:
    assert set(BAD_VALUES) == set(PatientData.model_fields)


# --- bad values ------------------------------------------------------------------------


@PROPERTY
@given(data=st.data())
@pytest.mark.parametrize("field", sorted(BAD_VALUES))
def test_bad_value_is_refused_at_its_field(field: str, data: st.DataObject) -> None:
    register_refused(field, data.draw(BAD_VALUES[field], label=field))


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("family_name", "", "Enter a name."),
        ("given_name", "   ", "Enter a name."),
        ("family_name", "x" * 101, "A name holds at most 100 characters."),
        ("given_name", "Ana\tMaria", "The name contains a control character or a line break."),
        ("family_name", "1234", "A name needs at least one letter."),
        ("family_name", 42, "The name must be text."),
        ("date_of_birth", "", "Enter the date of birth (YYYY-MM-DD)."),
        (
            "date_of_birth",
            "14/03/1970",
            "Enter the date of birth as YYYY-MM-DD (for example 1968-04-30).",
        ),
        (
            "date_of_birth",
            "1970-02-30",
            "There is no such day as 1970-02-30; enter the date of birth as YYYY-MM-DD.",
        ),
        ("date_of_birth", "2026-03-15", "The date of birth is in the future."),
        ("date_of_birth", "1896-03-13", "The date of birth is more than 130 years ago."),
        ("date_of_birth", 0, "Enter the date of birth as YYYY-MM-DD (for example 1968-04-30)."),
        ("sex", "f", "Choose the sex: female, male, other or unknown."),
        ("preferred_language", "fr", "Choose the language: en (English) or es (Spanish)."),
        ("diabetes", "maybe", "Answer diabetes with yes, no or unknown."),
        ("diabetes", True, "Answer diabetes with yes, no or unknown."),
        (
            "mrn",
            "AB_12",
            "An MRN is 1 to 20 letters, digits or hyphens, starting with a letter or digit.",
        ),
        ("mrn", 12345, "The MRN must be text."),
        ("phone", "555-CALL-NOW", "A phone number may hold only digits, spaces, + - ( ) and dots."),
        ("phone", "555 010", "A phone number has 7 to 15 digits."),
        ("phone", "+1 555 010 4477 123 45", "A phone number has 7 to 15 digits."),
        ("phone", 5550104477, "The phone number must be text."),
    ],
)
def test_messages_speak_to_the_front_desk(field: str, value: object, message: str) -> None:
    assert register_refused(field, value) == message


def test_several_bad_fields_are_all_named() -> None:
    db = FakeDatabase()
    with pytest.raises(FieldErrors) as caught:
        PatientService(db, FixedClock()).register(
            DESK, {"family_name": "", "given_name": "", "date_of_birth": "", "phone": "x"}
        )
    assert set(caught.value.errors) == {"family_name", "given_name", "date_of_birth", "phone"}
    assert db.commits == 0


def test_missing_required_fields_are_named() -> None:
    db = FakeDatabase()
    with pytest.raises(FieldErrors) as caught:
        PatientService(db, FixedClock()).register(DESK, {})
    assert set(caught.value.errors) == {"family_name", "given_name", "date_of_birth"}
    assert db.commits == 0


# --- good values -----------------------------------------------------------------------

NAME_CHARS = st.one_of(LETTERS, st.characters(categories=["Mn"]), st.sampled_from(" '-."))


@st.composite
def good_names(draw: st.DrawFn) -> str:
    """A name with a letter first, then letters, accents, spaces, hyphens or apostrophes."""
    rest = draw(st.text(NAME_CHARS, max_size=MAX_NAME_LENGTH - 1))
    return draw(LETTERS) + rest


def mixed_case(value: str) -> st.SearchStrategy[str]:
    """A choice as someone might type it: any case, stray spaces."""
    return st.sampled_from([value, value.upper(), f" {value.title()} "])


@st.composite
def good_phones(draw: st.DrawFn) -> str:
    """7 to 15 digits in groups with the usual separators."""
    digits = draw(st.text(alphabet="0123456789", min_size=7, max_size=15))
    out = ""
    for i, digit in enumerate(digits):
        if i and draw(st.booleans()):
            out += draw(st.sampled_from(" -.()"))
        out += digit
    return draw(st.sampled_from(["", "+"])) + out


GOOD_PATIENTS = st.fixed_dictionaries(
    {
        "family_name": good_names(),
        "given_name": good_names(),
        "date_of_birth": st.dates(min_value=OLDEST, max_value=TODAY).flatmap(
            lambda d: st.sampled_from([d, d.isoformat(), f" {d.isoformat()} "])
        ),
    },
    optional={
        "sex": st.sampled_from(list(Sex)).flatmap(lambda m: mixed_case(m.value)),
        "mrn": st.one_of(
            st.none(), st.just(""), st.from_regex(r"[A-Za-z0-9][A-Za-z0-9-]{0,19}", fullmatch=True)
        ),
        "phone": st.one_of(st.none(), st.just("  "), good_phones()),
        "preferred_language": st.sampled_from(list(Language)).flatmap(
            lambda m: mixed_case(m.value)
        ),
        "diabetes": st.sampled_from(list(TriState)),
    },
)


@PROPERTY
@given(raw=GOOD_PATIENTS)
@example(raw={"family_name": "Núñez-O'Brien", "given_name": "María José", "date_of_birth": OLDEST})
def test_good_values_round_trip(raw: dict[str, Any]) -> None:
    db = FakeDatabase()
    service = PatientService(db, FixedClock())
    patient = service.register(CLINICIAN, raw)

    assert patient.family_name == raw["family_name"].strip()
    assert patient.given_name == raw["given_name"].strip()
    dob = raw["date_of_birth"]
    assert patient.date_of_birth == (
        dob if isinstance(dob, date) else date.fromisoformat(dob.strip())
    )
    assert patient.sex.value == raw.get("sex", "unknown").strip().lower()
    assert patient.preferred_language.value == raw.get("preferred_language", "en").strip().lower()
    assert patient.diabetes == raw.get("diabetes", TriState.UNKNOWN)
    assert patient.phone == ((raw.get("phone") or "").strip() or None)
    if (raw.get("mrn") or "").strip():
        assert patient.mrn == raw["mrn"].strip().upper()
    # Stored exactly as returned, and read back the same.
    assert db.committed.patients == {patient.id: patient}
    assert service.get(DESK, patient.id) == patient
    # Editing with the patient's own values changes nothing but the version.
    again = service.update(DESK, patient.id, patient.model_dump(exclude={"id", "version"}), 1)
    assert again.model_dump(exclude={"version"}) == patient.model_dump(exclude={"version"})


def test_a_datetime_is_not_taken_for_a_date_of_birth() -> None:
    register_refused("date_of_birth", datetime(1970, 1, 2))
