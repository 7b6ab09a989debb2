"""The quick-entry line is read into exam paths and values, or refused; never guessed."""

from __future__ import annotations

import pytest

from clinic_app.app import form_catalog
from clinic_app.domain.regions import RegionCode
from clinic_app.ui.presenters.quick_entry import (
    QuickEntryError,
    QuickEntryParser,
    apply_sensory,
)


@pytest.fixture(scope="module")
def parser() -> QuickEntryParser:
    return QuickEntryParser(form_catalog().exam_layout())


def values(parser: QuickEntryParser, line: str) -> dict[str, object]:
    return {c.path: c.value for c in parser.parse(line).changes}


def test_tinel_with_regions_by_name(parser):
    assert values(parser, "tinel r pos arch hallux") == {
        "right.tinel.tarsal_tunnel.result": "positive",
        "right.tinel.tarsal_tunnel.radiates_distal": ["PL-ARCH-MED", "PL-HALLUX"],
    }
    summary = parser.parse("tinel r pos arch hallux").summary
    assert "medial mid-sole (arch)" in summary
    assert "great toe" in summary
    assert "PL-" not in summary


def test_reflex_myotome_and_slr(parser):
    assert values(parser, "aj r 0") == {"lumbar.right.achilles.grade": "0"}
    assert values(parser, "kj l 2") == {"lumbar.left.patellar.grade": "2+"}
    assert values(parser, "pf r 4") == {"lumbar.right.myotomes.plantarflexion": "4"}
    assert values(parser, "slr r 40 foot") == {
        "lumbar.right.slr.angle_deg": "40",
        "lumbar.right.slr.symptom": "to_foot",
    }


def test_both_sides_and_several_findings(parser):
    assert values(parser, "de b pos; tcst r neg") == {
        "right.provocation.dorsiflexion_eversion": "positive",
        "left.provocation.dorsiflexion_eversion": "positive",
        "right.provocation.triple_compression": "negative",
    }


def test_sensory_grades_by_region(parser):
    read = parser.parse("pin r arch hallux reduced")
    assert read.changes == []
    (change,) = read.sensory
    assert change.path == "right.sensory.regions"
    assert (change.modality, change.grade) == ("pin_prick", "reduced")
    assert change.regions == (RegionCode.PL_ARCH_MED, RegionCode.PL_HALLUX)
    stored = {"PL-HALLUX": {"light_touch": "normal"}}
    assert apply_sensory(stored, change) == {
        "PL-HALLUX": {"light_touch": "normal", "pin_prick": "reduced"},
        "PL-ARCH-MED": {"pin_prick": "reduced"},
    }


@pytest.mark.parametrize(
    ("line", "named"),
    [
        ("aj r 5", "'5'"),  # not a reflex grade
        ("aj 0", "side"),
        ("foo r 1", "'foo'"),
        ("tinel r pos heel", "several regions"),  # three heel regions: refused, not guessed
        ("tinel r pos calf", "sole only"),
        ("pin r arch", "grade"),
        ("tinel r banana", "'banana'"),
        ("", "Type a finding"),
        ("slr r 40 foot knee", "slr"),
    ],
)
def test_what_cannot_be_read_is_refused_with_the_word(parser, line, named):
    with pytest.raises(QuickEntryError) as refused:
        parser.parse(line)
    assert named in str(refused.value)


def test_a_line_is_read_whole_or_not_at_all(parser):
    with pytest.raises(QuickEntryError):
        parser.parse("aj r 0; pf r 9")


def test_every_test_word_names_a_placed_path(parser):
    placed = set(form_catalog().exam_layout().paths())
    for template in parser.fields.values():
        assert template.replace("{side}", "right") in placed
