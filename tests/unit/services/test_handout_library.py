"""The handout library: listing and loading handouts, and one clear line for every bad input."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from clinic_app.domain.errors import ClinicError
from clinic_app.domain.handouts import Handout, HandoutLanguage
from clinic_app.resources import resources_dir
from clinic_app.services.handouts import HandoutError, HandoutLibrary

SHIPPED = resources_dir() / "handouts"
SAMPLE = "home-care"
"""A shipped handout copied into tmp_path as the base of the bad-input cases."""


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A library folder holding a copy of one shipped handout (English and Spanish)."""
    folder = tmp_path / "handouts"
    shutil.copytree(SHIPPED / SAMPLE, folder / SAMPLE)
    return folder


def english(root: Path) -> Path:
    return root / SAMPLE / "en.yaml"


def one_line(exc: pytest.ExceptionInfo[HandoutError]) -> str:
    message = str(exc.value)
    assert "\n" not in message
    return message


# --- the shipped library ---------------------------------------------------------------------


def test_the_shipped_library_lists_its_handouts_and_languages() -> None:
    library = HandoutLibrary(SHIPPED)
    assert library.root == SHIPPED
    assert library.ids() == (
        "foot-or-back",
        "home-care",
        "medial-calcaneal-nerve",
        "tarsal-tunnel-release",
        "tarsal-tunnel-syndrome",
    )
    for handout_id in library.ids():
        assert library.languages(handout_id) == (HandoutLanguage.EN, HandoutLanguage.ES)


def test_every_shipped_file_loads() -> None:
    library = HandoutLibrary(SHIPPED)
    loaded = library.load_all()
    assert len(loaded) == 2 * len(library.ids())
    assert {(h.id, h.language.value) for h in loaded} == {
        (path.parent.name, path.stem) for path in SHIPPED.glob("*/*.yaml")
    }


def test_get_loads_once_and_keeps_the_handout(root: Path) -> None:
    library = HandoutLibrary(root)
    first = library.get(SAMPLE, "es")
    assert isinstance(first, Handout)
    assert first.language is HandoutLanguage.ES
    english(root).parent.joinpath("es.yaml").write_text("broken: [", encoding="utf-8")
    assert library.get(SAMPLE, "es") is first


def test_an_unknown_handout_names_the_known_ones() -> None:
    library = HandoutLibrary(SHIPPED)
    with pytest.raises(HandoutError) as exc:
        library.get("xyz", "en")
    assert one_line(exc) == (
        "unknown handout 'xyz'; known: foot-or-back, home-care, medial-calcaneal-nerve, "
        "tarsal-tunnel-release, tarsal-tunnel-syndrome"
    )
    with pytest.raises(HandoutError, match="unknown handout 'xyz'"):
        library.languages("xyz")


@pytest.mark.parametrize("language", ["fr", "EN", "", "english"])
def test_an_unknown_language_names_the_known_ones(language: str) -> None:
    with pytest.raises(HandoutError) as exc:
        HandoutLibrary(SHIPPED).get("home-care", language)
    assert one_line(exc) == f"unknown language {language!r}; known: en, es"


def test_a_handout_error_is_a_clinic_error() -> None:
    assert issubclass(HandoutError, ClinicError)


# --- bad folders and files -------------------------------------------------------------------


def test_a_missing_library_folder_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    with pytest.raises(HandoutError) as exc:
        HandoutLibrary(missing).ids()
    assert one_line(exc) == f"handout folder {missing} is missing"


def test_folders_without_a_language_file_are_not_handouts(root: Path) -> None:
    (root / "draft-only").mkdir()
    (root / "draft-only" / "notes.txt").write_text("ideas", encoding="utf-8")
    (root / "README.md").write_text("about", encoding="utf-8")
    assert HandoutLibrary(root).ids() == (SAMPLE,)


def test_a_missing_language_file_is_named(root: Path) -> None:
    spanish = root / SAMPLE / "es.yaml"
    spanish.unlink()
    library = HandoutLibrary(root)
    assert library.languages(SAMPLE) == (HandoutLanguage.EN,)
    with pytest.raises(HandoutError) as exc:
        library.get(SAMPLE, "es")
    assert one_line(exc) == (
        f"handout '{SAMPLE}' has no Spanish (es) version: {spanish} is missing; it has: en"
    )


def test_a_file_that_is_not_utf8_is_named(root: Path) -> None:
    english(root).write_bytes("title: Cuidado del pie".encode("latin-1") + b"\xe9\n")
    with pytest.raises(HandoutError) as exc:
        HandoutLibrary(root).get(SAMPLE, "en")
    assert one_line(exc) == f"handout {english(root)} is not UTF-8 text"


def replace_in_english(root: Path, old: str, new: str) -> Path:
    path = english(root)
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        # Not YAML at all.
        ("title: Caring", "title: [Caring", "is not valid YAML: .*line"),
        ("kind: self-care\n", "kind: self-care\n\tindent: tab\n", "is not valid YAML"),
        # A key given twice, which PyYAML alone would silently accept.
        ("kind: self-care\n", "kind: self-care\ntitle: Another title\n", "duplicate key 'title'"),
        ("kind: self-care\n", "kind: self-care\n? [a, b]\n: c\n", "not a list or mapping"),
        # Valid YAML that does not fit the model: the field path and the reason.
        ("version: 2", "version: one", r"version: Input should be a valid integer"),
        ("language: en", "language: fr", r"language: Input should be 'en' or 'es'"),
        ("title: Caring for your foot at home", "title: no", r"title: Input should be a valid"),
        ("sources: [S25, TU]", "sources: [S25, MADE-UP]", r"sections\.0\.blocks\.0\.sources\.1"),
        ("sources: [S25, TU]", "sources: []", r"sections\.0\.blocks\.0: .*needs source tags"),
        ("  - id: rest", "  - id: Rest", r"sections\.0\.id: .*not kebab-case"),
        ("teach_back:\n", "teach_back:\n  - Only one more?\n  - And another?\n", "at most 3"),
        ("review_date: 2026-12-02", "review_date: soon", r"review_date: Input should be"),
        # The file must say what its folder and name say.
        ("id: home-care", "id: foot-or-back", "id 'foot-or-back' does not match its folder"),
        ("language: en", "language: es", "language 'es' does not match its file name 'en'"),
    ],
)
def test_a_bad_file_is_one_line_naming_it(root: Path, old: str, new: str, message: str) -> None:
    path = replace_in_english(root, old, new)
    with pytest.raises(HandoutError) as exc:
        HandoutLibrary(root).get(SAMPLE, "en")
    text = one_line(exc)
    assert str(path) in text
    assert re.search(message, text), text


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "top level: Input should be a valid dictionary"),
        ("- a list\n", "top level: Input should be a valid dictionary"),
        ("just words\n", "top level: Input should be a valid dictionary"),
    ],
)
def test_a_file_without_a_mapping_is_refused(root: Path, content: str, message: str) -> None:
    english(root).write_text(content, encoding="utf-8")
    with pytest.raises(HandoutError, match=message):
        HandoutLibrary(root).get(SAMPLE, "en")


def test_a_bad_file_does_not_stop_the_listing(root: Path) -> None:
    # The list (`clinic-app handout --list`) still works; only loading the bad file fails.
    english(root).write_text("title: [", encoding="utf-8")
    library = HandoutLibrary(root)
    assert library.ids() == (SAMPLE,)
    assert library.get(SAMPLE, "es").id == SAMPLE
    with pytest.raises(HandoutError, match="not valid YAML"):
        library.load_all()


# --- any damage to a good file is either accepted or refused in one line ----------------------

GOOD_DATA: dict[str, Any] = yaml.safe_load((SHIPPED / SAMPLE / "en.yaml").read_text("utf-8"))

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 5),
    st.text(max_size=12),
    st.sampled_from(["", "no", "2026-13-40", "S25", "[S25]", "{side}", "claims"]),
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=6,
)


def node_paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value inside the parsed document."""
    paths = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, child in node.items():
            paths += node_paths(child, (*prefix, key))
    elif isinstance(node, list):
        for index, child in enumerate(node):
            paths += node_paths(child, (*prefix, index))
    return paths


PATHS = node_paths(GOOD_DATA)


@st.composite
def damaged_documents(draw: st.DrawFn) -> str:
    """The sample handout with one value replaced or removed, or plain junk text."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.text(max_size=60))
    data = yaml.safe_load(yaml.safe_dump(GOOD_DATA))
    path = draw(st.sampled_from(PATHS))
    parent = data
    for part in path[:-1]:
        parent = parent[part]
    if draw(st.booleans()):
        del parent[path[-1]]
    else:
        parent[path[-1]] = draw(values)
    return yaml.safe_dump(data, allow_unicode=True)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(document=damaged_documents())
@example(document="? [a]\n: b\n")
@example(document="a: &x 1\nb: *y\n")
@example(document="<<: {a: 1}\n")
@example(document="\x00")
def test_damaged_files_load_or_fail_in_one_line(root: Path, document: str) -> None:
    english(root).write_text(document, encoding="utf-8")
    try:
        handout = HandoutLibrary(root).get(SAMPLE, "en")
    except HandoutError as exc:
        message = str(exc)
    else:
        assert handout.id == SAMPLE
        return
    assert "\n" not in message
    assert str(english(root)) in message
