"""Search as you type over demo data gives exactly what a plain filter over every patient gives.

The repository answers from covering indexes, branch by branch, and switches plans for MRN
prefixes many patients share; this checks it against the rule itself, on both databases.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from clinic_app.domain.account import Principal
from clinic_app.domain.patient import Patient, parse_search_date, search_key
from clinic_app.services.common import SystemClock
from clinic_app.services.container import Services
from clinic_app.services.demo import fill_demo
from clinic_app.storage import repositories
from clinic_app.storage.bootstrap import open_database

LIMIT = 15


def expected(patients: list[Patient], text: str, limit: int) -> list[int]:
    """The rule: every word is a name prefix, an MRN prefix or the date of birth."""

    def matches(p: Patient, word: str) -> bool:
        day = parse_search_date(word)
        if day is not None:
            return p.date_of_birth == day
        word = word.strip(",")
        if not word:
            return True
        return (
            search_key(p.family_name).startswith(word)
            or search_key(p.given_name).startswith(word)
            or p.mrn.startswith(word.upper())
        )

    words = search_key(text).split()
    if not any(w.strip(",") for w in words):
        return []
    hits = [p for p in patients if all(matches(p, w) for w in words)]
    hits.sort(key=lambda p: (search_key(p.family_name), search_key(p.given_name), p.id))
    return [p.id for p in hits[:limit]]


@pytest.fixture
def filled(
    db_url: str, monkeypatch: pytest.MonkeyPatch, fast_password_hashing: None
) -> Iterator[tuple[Services, Principal, list[Patient]]]:
    # A small database takes the plan for widely shared MRN prefixes too.
    monkeypatch.setattr(repositories, "DENSE_PREFIX", 20)
    engine, uow_factory = open_database(db_url)
    try:
        services = Services.build(uow_factory, SystemClock())
        result = fill_demo(services, patients=400, seed=19)
        assert result.password is not None
        actor = services.accounts.login(result.username, result.password)
        with uow_factory() as uow:
            patients = [p for i in range(1, 401) if (p := uow.patients.get(i)) is not None]
        yield services, actor, patients
    finally:
        engine.dispose()


def test_every_keystroke_matches_the_rule(
    filled: tuple[Services, Principal, list[Patient]],
) -> None:
    services, actor, patients = filled
    some = patients[7]
    dob = some.date_of_birth
    typed = [
        search_key(some.family_name),
        f"{search_key(some.given_name)} {search_key(some.family_name)[:2]}",
        some.mrn,
        "demo-0000",
    ]
    queries = [text[:n] for text in typed for n in range(1, len(text) + 1)]
    queries += [
        "a",
        "a b",
        "m m",
        "xq",
        "demo xq",
        "d e",
        f"{some.family_name},",
        f"{some.family_name} {dob.isoformat()}",
        dob.isoformat(),
        f"{dob.month:02d}/{dob.day:02d}/{dob.year}",
        "  ",
        ",",
    ]
    for query in queries:
        got = [p.id for p in services.patients.search(actor, query, limit=LIMIT)]
        assert got == expected(patients, query, LIMIT), query
