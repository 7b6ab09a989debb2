"""Patients on a real database: register, edit, MRNs, duplicates and search as you type."""

from __future__ import annotations

import re
from datetime import date

import pytest

from clinic_app.domain.errors import ConflictError, FieldErrors
from clinic_app.domain.patient import Language, Sex, TriState
from clinic_app.services.patients import LikelyDuplicate

MRN_GENERATED = re.compile(r"^[A-HJ-NP-Z2-9]{8}$")


def person(family: str, given: str, born: str) -> dict[str, str]:
    """The least a registration form needs."""
    return {"family_name": family, "given_name": given, "date_of_birth": born}


def test_register_reads_back_every_field(services, clinician, patient):
    again = services.patients.get(clinician, patient.id)

    assert again == patient
    assert (again.family_name, again.given_name) == ("Núñez", "José")
    assert again.date_of_birth == date(1970, 2, 3)
    assert again.sex is Sex.MALE
    assert again.preferred_language is Language.SPANISH
    assert again.diabetes is TriState.YES
    assert again.phone == "+1 (555) 010-2030"
    assert again.version == 1


def test_update_changes_fields_and_version(services, clinician, patient):
    changed = services.patients.update(
        clinician,
        patient.id,
        {**person("Núñez-Ortiz", "José", "1970-02-03"), "mrn": patient.mrn, "phone": None},
        expected_version=patient.version,
    )

    again = services.patients.get(clinician, patient.id)
    assert again == changed
    assert again.family_name == "Núñez-Ortiz"
    assert again.phone is None
    assert again.mrn == patient.mrn
    assert again.version == patient.version + 1


def test_update_with_stale_version_is_a_conflict(services, clinician, front_desk, patient):
    services.patients.update(
        front_desk, patient.id, person("Nunez", "Jose", "1970-02-03"), patient.version
    )

    with pytest.raises(ConflictError):
        services.patients.update(
            clinician, patient.id, person("Other", "Name", "1970-02-03"), patient.version
        )
    assert services.patients.get(clinician, patient.id).family_name == "Nunez"


def test_mrn_is_generated_when_left_empty_and_unique(services, front_desk):
    patients = [
        services.patients.register(
            front_desk, {**person("Lee", f"Pat{'a' * n}", "1980-01-01"), "mrn": "  "}
        )
        for n in range(1, 13)
    ]

    mrns = [p.mrn for p in patients]
    assert all(MRN_GENERATED.fullmatch(m) for m in mrns), mrns
    assert len(set(mrns)) == len(mrns)
    assert [services.patients.get(front_desk, p.id).mrn for p in patients] == mrns


def test_given_mrn_is_normalised_and_kept(services, front_desk):
    p = services.patients.register(
        front_desk, {**person("Lee", "Ann", "1980-01-01"), "mrn": " ab-12 "}
    )

    assert services.patients.get(front_desk, p.id).mrn == "AB-12"


def test_duplicate_mrn_is_a_field_error(services, front_desk):
    services.patients.register(front_desk, {**person("Lee", "Ann", "1980-01-01"), "mrn": "A-100"})

    with pytest.raises(FieldErrors) as err:
        services.patients.register(
            front_desk, {**person("Kim", "Bo", "1990-05-05"), "mrn": "a-100"}
        )
    assert set(err.value.errors) == {"mrn"}
    assert "A-100" in err.value.errors["mrn"]
    assert services.patients.search(front_desk, "kim") == []


def test_update_to_a_taken_mrn_is_a_field_error(services, front_desk):
    services.patients.register(front_desk, {**person("Lee", "Ann", "1980-01-01"), "mrn": "A-100"})
    kim = services.patients.register(
        front_desk, {**person("Kim", "Bo", "1990-05-05"), "mrn": "B-1"}
    )

    with pytest.raises(FieldErrors) as err:
        services.patients.update(
            front_desk, kim.id, {**person("Kim", "Bo", "1990-05-05"), "mrn": "A-100"}, kim.version
        )
    assert set(err.value.errors) == {"mrn"}
    assert services.patients.get(front_desk, kim.id).mrn == "B-1"


def test_bad_input_names_each_field_and_writes_nothing(services, front_desk):
    with pytest.raises(FieldErrors) as err:
        services.patients.register(
            front_desk,
            {"family_name": "", "given_name": "Ann", "date_of_birth": "2999-01-01", "mrn": "#1"},
        )
    assert {"family_name", "date_of_birth", "mrn"} <= set(err.value.errors)
    assert services.patients.search(front_desk, "ann") == []


def test_same_folded_name_and_birth_date_is_a_likely_duplicate(services, front_desk, patient):
    for family, given in [
        ("Núñez", "José"),
        ("NUNEZ", "jose"),
        ("nuñez", "JOSÉ"),
        (" Nunez", "Jose "),
    ]:
        with pytest.raises(LikelyDuplicate) as err:
            services.patients.register(front_desk, person(family, given, "1970-02-03"))

        assert [m.id for m in err.value.matches] == [patient.id], (family, given)
        assert patient.mrn in str(err.value)
    assert [p.id for p in services.patients.search(front_desk, "nunez")] == [patient.id]


def test_likely_duplicate_can_be_registered_on_purpose(services, front_desk, patient):
    twin = services.patients.register(
        front_desk, person("Nunez", "Jose", "1970-02-03"), allow_duplicate=True
    )

    assert twin.id != patient.id
    assert twin.mrn != patient.mrn
    found = {p.id for p in services.patients.search(front_desk, "nunez jose")}
    assert found == {patient.id, twin.id}


def test_same_name_other_birth_date_is_not_a_duplicate(services, front_desk, patient):
    other = services.patients.register(front_desk, person("Núñez", "José", "1971-02-03"))

    assert other.id != patient.id


@pytest.fixture
def roster(services, front_desk):
    """A handful of patients to search among, keyed by a short label."""
    people = {
        "nunez": {**person("Núñez", "José", "1970-02-03"), "mrn": "QX-1001"},
        "nunes": {**person("Nunes", "Maria", "1985-11-30"), "mrn": "QX-1002"},
        "ortiz": {**person("Ortiz", "Núria", "1970-02-03"), "mrn": "ZZ-77"},
        "jones": {**person("Jones", "Joseph", "1962-07-04"), "mrn": "AB-5"},
        "smith": {**person("Smith", "Anna", "1999-12-31"), "mrn": "SM-1"},
    }
    return {key: services.patients.register(front_desk, raw).id for key, raw in people.items()}


# What is typed -> who must be found (one database serves every case).
SEARCHES = [
    ("nu", {"nunez", "nunes", "ortiz"}),  # family or given name prefix
    ("nun", {"nunez", "nunes"}),
    ("nunez", {"nunez"}),  # accents folded in the stored name
    ("NÚÑEZ", {"nunez"}),  # ... and in what is typed
    ("núria", {"ortiz"}),
    ("jo", {"nunez", "jones"}),
    ("nunez jo", {"nunez"}),  # every word must match
    ("jo nunez", {"nunez"}),  # in any order
    ("Núñez, José", {"nunez"}),  # as shown in lists
    ("jo jones", {"jones"}),
    ("qx-10", {"nunez", "nunes"}),  # MRN prefix, any case
    ("QX-1002", {"nunes"}),
    ("1970-02-03", {"nunez", "ortiz"}),  # date of birth, ISO
    ("02/03/1970", {"nunez", "ortiz"}),  # date of birth, US style
    ("30/11/1985", {"nunes"}),  # day/month when month/day is impossible
    ("ortiz 1970-02-03", {"ortiz"}),
    ("nunez 1985-11-30", set()),
    ("xyz", set()),
    ("   ", set()),
    ("", set()),
]


def test_search_as_you_type(services, front_desk, roster):
    label = {patient_id: key for key, patient_id in roster.items()}
    wrong = {}
    for typed, expected in SEARCHES:
        found = {label[p.id] for p in services.patients.search(front_desk, typed)}
        if found != expected:
            wrong[typed] = {"found": found, "expected": expected}

    assert wrong == {}


def test_search_orders_by_name(services, front_desk, roster):
    found = services.patients.search(front_desk, "n")

    assert [(p.family_name, p.given_name) for p in found] == [
        ("Nunes", "Maria"),
        ("Núñez", "José"),
        ("Ortiz", "Núria"),
    ]


def test_search_respects_the_limit(services, front_desk):
    for n in range(7):
        services.patients.register(
            front_desk, person("Smith", f"Kid{chr(ord('a') + n)}", "2001-01-01")
        )

    assert len(services.patients.search(front_desk, "smith", limit=3)) == 3
    assert len(services.patients.search(front_desk, "smith")) == 7
