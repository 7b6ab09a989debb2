"""The handout content model, and a lint of every shipped handout against it and the reference.

Shipped handouts must validate, exist in English and Spanish with the same structure and
sources, read at the target grade (scored on the running text as printed), and hold no number
that the clinical reference does not give beside one of the block's own sources.
"""

from __future__ import annotations

import os
import re
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from textstat.textstat import textstatistics

from clinic_app.domain.handouts import (
    BIBLIOGRAPHY_TAGS,
    Block,
    Handout,
    HandoutContext,
    HandoutLanguage,
    HandoutSide,
    VisitFact,
    personalise,
    plain_text,
)
from clinic_app.resources import resources_dir
from clinic_app.services.handouts import HandoutLibrary

REPO_ROOT = Path(__file__).resolve().parents[3]
# The clinical reference sits in the shared folder beside the repository (as on CI); set
# CLINIC_REFERENCE_MD to point at another copy.
REFERENCE_PATH = Path(
    os.environ.get("CLINIC_REFERENCE_MD", REPO_ROOT.parent / "shared" / "clinical-reference.md")
)

SHIPPED_IDS = (
    "foot-or-back",
    "home-care",
    "medial-calcaneal-nerve",
    "tarsal-tunnel-release",
    "tarsal-tunnel-syndrome",
)

LIBRARY = HandoutLibrary(resources_dir() / "handouts")
PAIRS = [(handout_id, lang) for handout_id in SHIPPED_IDS for lang in HandoutLanguage]


def shipped(handout_id: str, lang: HandoutLanguage) -> Handout:
    return LIBRARY.get(handout_id, lang.value)


# --- the model -------------------------------------------------------------------------------


def good() -> dict[str, Any]:
    """A small valid handout, as YAML would give it."""
    return {
        "id": "tiny-sheet",
        "language": "en",
        "version": 1,
        "review_date": date(2026, 1, 5),
        "reviewer": "Dr A. Reviewer",
        "kind": "self-care",
        "title": "A tiny sheet",
        "do_first": "Rest your foot.",
        "summary": {"text": "Rest often helps.", "sources": ["S25", "TU"]},
        "sections": [
            {
                "id": "rest",
                "heading": "Rest",
                "blocks": [
                    {"text": "Standing can make\n  it worse.", "sources": ["S25"]},
                    {"items": ["Take breaks.", "Sit down."], "claims": False},
                    {
                        "text": "We checked your back.",
                        "claims": False,
                        "only_if": ["lumbar-screen-complete"],
                    },
                    {
                        "text": "Your back needs a check.",
                        "claims": False,
                        "unless": ["lumbar-screen-complete"],
                    },
                ],
            }
        ],
        "timeline": {
            "heading": "Your recovery",
            "intro": "This is one surgeon's plan.",
            "steps": [{"when": "About 2 weeks", "what": "Use crutches."}],
            "sources": ["DRNUNES-C"],
            "note": {"text": "Other surgeons use a boot.", "sources": ["INPOD-C", "S25"]},
        },
        "driving": {
            "heading": "Driving",
            "blocks": [{"text": "Not in a right boot.", "sources": ["ORR-JBJS"]}],
            "ask_surgeon": "Ask your surgeon.",
            "surgeon_intro": "Your surgeon says:",
        },
        "next_steps": {
            "id": "next-steps",
            "heading": "What to do next",
            "blocks": [{"items": ["Keep your visit."], "claims": False}],
        },
        "get_help": {
            "heading": "When to get help",
            "now": {
                "label": "Call 911 now if:",
                "label_sources": ["BAPTIST"],
                "blocks": [{"items": ["Both legs are weak."], "sources": ["BMJBP"]}],
            },
            "today": {
                "label": "Call us today if:",
                "blocks": [{"items": ["You have {fever}."], "sources": ["MEDLINE-SSI"]}],
            },
            "phone_label": "Our phone number:",
        },
        "teach_back": ["What helps?", "When do you call us?"],
    }


DELETE = object()
"""Marks a key to remove in ``changed``."""


def changed(path: str, value: Any) -> dict[str, Any]:
    """``good()`` with the value at a dotted path (list indexes as numbers) replaced or removed."""
    data = good()
    *parents, last = path.split(".")
    node: Any = data
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    key: Any = int(last) if isinstance(node, list) else last
    if value is DELETE:
        del node[key]
    else:
        node[key] = value
    return data


def test_the_small_handout_is_valid() -> None:
    handout = Handout.model_validate(good())
    assert handout.sections[0].blocks[0].text == "Standing can make it worse."
    assert handout.language is HandoutLanguage.EN


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("id", "Tiny_Sheet", "not kebab-case"),
        ("id", "tiny--sheet", "not kebab-case"),
        ("sections.0.id", "Rest", "not kebab-case"),
        ("language", "fr", "'en' or 'es'"),
        ("version", 0, "greater than or equal to 1"),
        ("version", "1", "valid integer"),
        ("version", True, "valid integer"),
        ("review_date", "someday", "valid date"),
        ("kind", "leaflet", "Input should be"),
        ("title", "", "text is empty"),
        ("title", "   ", "text is empty"),
        ("title", False, "valid string"),  # an unquoted YAML `no`
        ("title", "Hello {patient_name}", "personalisation slots"),
        ("title", "Rest for 2 weeks", "the title holds a number"),
        ("sections.0.heading", "Step 1", "heading of section 'rest' holds a number"),
        ("sections.0.blocks.0.text", "Rest helps [S25].", "not in the text"),
        ("sections.0.blocks.0.sources", ["NOPE"], "unknown source tag 'NOPE'"),
        ("sections.0.blocks.0.sources", ["[S25]"], "without brackets"),
        ("sections.0.blocks.0.sources", ["S25", "S25"], "given twice"),
        ("sections.0.blocks.0.sources", [], "needs source tags"),
        ("sections.0.blocks.0.sources", DELETE, "needs source tags"),
        ("sections.0.blocks.1.items", ["Rest for 2 days."], "claims: false' holds a number"),
        ("sections.0.blocks.1.items", [], "at least 1 item"),
        ("sections.0.blocks", [], "at least 1 item"),
        ("sections", [], "at least 1 item"),
        ("sections.0.blocks.0.items", ["And a list."], "either 'text'"),
        ("sections.0.blocks.1.items", DELETE, "either 'text'"),
        ("sections.0.heading", DELETE, "Field required"),
        ("sections.0.colour", "red", "Extra inputs"),
        ("summary", {"text": "Hello.", "claims": False}, "summary states the main message"),
        ("next_steps.id", "rest", "section id given twice: rest"),
        ("teach_back", ["Only one?"], "at least 2 items"),
        ("teach_back", ["One?", "Two?", "Three?", "Four?"], "at most 3 items"),
        ("teach_back", ["What helps?", "What are 2 things?"], "teach-back prompt holds a number"),
        ("timeline.sources", [], "timeline needs source tags"),
        ("timeline.practice_plan", True, "practice's own plan has no sources"),
        ("timeline.steps.0", {"what": "Rest."}, "every step of a handout's timeline says when"),
        ("timeline.steps", [], "at least 1 item"),
        ("timeline.intro", "A plan for 2 weeks.", "timeline intro holds a number"),
        ("timeline.note.sources", ["MADE-UP"], "unknown source tag"),
        (
            "get_help.today.blocks.0",
            {"text": "Call us.", "claims": False, "sources": ["S25"]},
            "cites no sources",
        ),
        ("get_help.now.label_sources", [], "label without 'label_sources' holds a number"),
        ("get_help.today.blocks.0.items", ["Over {fevr}."], "slots other than {fever}"),
        ("sections.0.blocks.0.text", "You have {fever}.", "personalisation slots"),
        ("sections.0.blocks.2.unless", ["lumbar-screen-complete"], "both in 'only_if'"),
        ("sections.0.blocks.2.only_if", ["back-done"], "Input should be"),
        ("summary.only_if", ["lumbar-screen-complete"], "summary prints on every copy"),
        ("do_first", "Rest for 2 days.", "'do_first' line holds a number"),
        ("reviewer", DELETE, "Field required"),
        ("get_help", DELETE, "Field required"),
        ("driving.ask_surgeon", "Drive after 2 weeks.", "'ask_surgeon' line holds a number"),
        ("driving.surgeon", [{"side": "right", "text": "6 weeks"}], "from Practice details"),
        ("next_steps.blocks.0", {"text": "Keep it.", "claims": False}, "list of steps"),
    ],
)
def test_bad_content_is_refused(path: str, value: Any, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Handout.model_validate(changed(path, value))


def test_timeline_and_driving_are_optional() -> None:
    data = changed("timeline", DELETE)
    del data["driving"]
    handout = Handout.model_validate(data)
    assert handout.timeline is None
    assert handout.driving is None
    assert "Your recovery" not in plain_text(handout)


def test_plain_text_is_the_patient_copy_in_reading_order() -> None:
    handout = Handout.model_validate(good())
    assert plain_text(handout).splitlines() == [
        "A tiny sheet",
        "Rest your foot.",
        "Rest often helps.",
        "Rest",
        "Standing can make it worse.",
        "Take breaks.",
        "Sit down.",
        "Your back needs a check.",
        "Your recovery",
        "This is one surgeon's plan.",
        "About 2 weeks: Use crutches.",
        "Other surgeons use a boot.",
        "Driving",
        "Not in a right boot.",
        "Ask your surgeon.",
        "What to do next",
        "Keep your visit.",
        "When to get help",
        "Call 911 now if:",
        "Both legs are weak.",
        "Call us today if:",
        "You have a fever.",
    ]
    with_prompts = plain_text(handout, teach_back=True).splitlines()
    assert with_prompts[-2:] == ["What helps?", "When do you call us?"]


def test_a_copy_is_personalised_by_the_visit_and_the_practice() -> None:
    handout = Handout.model_validate(good())
    context = HandoutContext(
        facts=frozenset({VisitFact.LUMBAR_SCREEN_COMPLETE}),
        side=HandoutSide.RIGHT,
        fever="100.4 °F (38.0 °C)",
        driving={HandoutSide.RIGHT: "About 6 weeks", HandoutSide.LEFT: "About 3 weeks"},
        timeline=("Week 1: rest", "Then walk"),
    )
    lines = plain_text(handout, context=context).splitlines()
    assert "We checked your back." in lines
    assert "Your back needs a check." not in lines
    assert "You have a temperature of 100.4 °F (38.0 °C) or higher." in lines
    assert lines[lines.index("Your surgeon says:") + 1] == "Right foot: About 6 weeks"
    assert "Left foot: About 3 weeks" not in lines
    assert "Week 1: rest" in lines
    assert "Other surgeons use a boot." not in lines  # the practice's plan drops the note
    copy = personalise(handout, context)
    # Personalising a personalised copy with no context changes nothing more.
    assert personalise(copy) == copy
    assert not any(block.conditional for block in copy.blocks())


def test_the_driving_words_print_for_both_sides_when_no_side_is_given() -> None:
    handout = Handout.model_validate(good())
    context = HandoutContext(driving={HandoutSide.LEFT: "About 3 weeks"})
    lines = plain_text(handout, context=context).splitlines()
    assert "Left foot: About 3 weeks" in lines
    assert "Ask your surgeon." not in lines
    right_only = HandoutContext(side=HandoutSide.RIGHT, driving={HandoutSide.LEFT: "3 weeks"})
    assert "Ask your surgeon." in plain_text(handout, context=right_only).splitlines()


def test_source_tags_are_every_cited_tag_once_in_print_order() -> None:
    handout = Handout.model_validate(good())
    assert handout.source_tags == (
        "S25",
        "TU",
        "DRNUNES-C",
        "INPOD-C",
        "ORR-JBJS",
        "BAPTIST",
        "BMJBP",
        "MEDLINE-SSI",
    )


def test_a_block_is_frozen() -> None:
    block = Block.model_validate({"text": "Rest helps.", "sources": ["S25"]})
    with pytest.raises(ValidationError, match="frozen"):
        block.text = "Something else."  # type: ignore[misc]


# --- the clinical reference ------------------------------------------------------------------


@cache
def reference_text() -> str:
    if not REFERENCE_PATH.is_file():
        pytest.skip(f"clinical reference not found at {REFERENCE_PATH} (set CLINIC_REFERENCE_MD)")
    return REFERENCE_PATH.read_text(encoding="utf-8")


TAG = re.compile(r"\[([A-Z0-9][A-Z0-9-]*)\]")
NUMBER = re.compile(r"\d+(?:[.,]\d+)?")


def tags_in(text: str) -> set[str]:
    # Single letters are the evidence grades ([A], [B], [C]), not sources.
    return {tag for tag in TAG.findall(text) if len(tag) > 1}


def numbers_in(text: str) -> set[str]:
    # Tags (S25, PMC6334864) and addresses hold digits that are not figures.
    return set(NUMBER.findall(re.sub(r"\[[^\]]*\]|https?://\S+", " ", text)))


PERCENT = re.compile(r"(\d+(?:\.\d+)?)(?:\s?[–-]\s?(\d+(?:\.\d+)?))?\s?%")


def percents_in(text: str) -> set[str]:
    """Figures given as percentages; both ends of a range ("44–91%") count."""
    return {n for match in PERCENT.findall(text) for n in match if n}


def reference_passages() -> list[tuple[set[str], set[str], set[str]]]:
    """(tags, numbers, percentages) of each top-level paragraph, bullet or table row.

    A passage is one unindented line with the indented lines under it, so a figure and the
    source given in a sub-bullet of the same list ("Source: [DRNUNES-C]") stay together.
    """
    passages: list[list[str]] = []
    for line in reference_text().splitlines():
        if not line.strip():
            passages.append([])
        elif line[0].isspace() and passages:
            passages[-1].append(line)
        else:
            passages.append([line])
    out = []
    for lines in passages:
        text = "\n".join(lines)
        out.append((tags_in(text), numbers_in(text), percents_in(text)))
    return out


def test_bibliography_tags_are_those_of_the_reference() -> None:
    text = reference_text()
    bibliography = text[text.index("## 9. Bibliography") :]
    assert tags_in(bibliography) == BIBLIOGRAPHY_TAGS
    assert tags_in(text) <= BIBLIOGRAPHY_TAGS, "a tag used in the reference body is not listed"


# --- the shipped handouts --------------------------------------------------------------------


def test_the_five_handouts_are_shipped() -> None:
    assert LIBRARY.ids() == SHIPPED_IDS


@pytest.mark.parametrize(("handout_id", "lang"), PAIRS)
def test_every_shipped_handout_loads(handout_id: str, lang: HandoutLanguage) -> None:
    handout = shipped(handout_id, lang)
    assert (handout.id, handout.language) == (handout_id, lang)
    assert handout.sections


def block_shape(block: Block) -> tuple[Any, ...]:
    kind = "text" if block.text is not None else "items"
    figures = sorted(n for line in block.lines() for n in NUMBER.findall(line))
    slots = sum(line.count("{fever}") for line in block.lines())
    return (
        kind,
        len(block.items or ()),
        block.sources,
        block.claims,
        figures,
        block.only_if,
        block.unless,
        slots,
    )


def structure(handout: Handout) -> dict[str, Any]:
    """Everything a translation must keep: ids, blocks, bullets, sources and figures."""
    timeline = handout.timeline
    return {
        "version": handout.version,
        "kind": handout.kind,
        "summary": block_shape(handout.summary),
        "sections": [
            (section.id, [block_shape(block) for block in section.blocks])
            for section in handout.all_sections()
        ],
        "timeline": None
        if timeline is None
        else (
            [sorted(NUMBER.findall(f"{step.when} {step.what}")) for step in timeline.steps],
            timeline.sources,
            None if timeline.note is None else block_shape(timeline.note),
        ),
        "driving": None
        if handout.driving is None
        else [block_shape(block) for block in handout.driving.blocks],
        "get_help": [
            (
                sorted(NUMBER.findall(group.label)),
                group.label_sources,
                [block_shape(block) for block in group.blocks],
            )
            for group in handout.get_help.groups()
        ],
        "teach_back": len(handout.teach_back),
        "source_tags": handout.source_tags,
    }


@pytest.mark.parametrize("handout_id", SHIPPED_IDS)
def test_english_and_spanish_match(handout_id: str) -> None:
    assert LIBRARY.languages(handout_id) == (HandoutLanguage.EN, HandoutLanguage.ES)
    english = shipped(handout_id, HandoutLanguage.EN)
    spanish = shipped(handout_id, HandoutLanguage.ES)
    assert structure(spanish) == structure(english)
    assert len(spanish.sections) == len(english.sections)
    assert spanish.source_tags == english.source_tags


@pytest.mark.parametrize(("handout_id", "lang"), PAIRS)
def test_two_or_three_teach_back_prompts(handout_id: str, lang: HandoutLanguage) -> None:
    prompts = shipped(handout_id, lang).teach_back
    assert 2 <= len(prompts) <= 3
    assert all(prompt.endswith("?") for prompt in prompts)


@pytest.mark.parametrize(("handout_id", "lang"), PAIRS)
def test_every_source_tag_is_in_the_bibliography(handout_id: str, lang: HandoutLanguage) -> None:
    tags = shipped(handout_id, lang).source_tags
    assert tags
    assert set(tags) <= BIBLIOGRAPHY_TAGS


RELEASE_RISKS = {
    HandoutLanguage.EN: {
        "infection": r"\binfection\b",
        "bleeding": r"\bbleeding\b",
        "nerve damage": r"\bnerve damage\b",
        "painful scar": r"\bpainful scar\b",
        "symptoms that do not go away": r"\bsymptoms that do not go away\b",
        "anaesthesia problems": r"\bproblems from the anesthesia\b",
        "blood clots": r"\bblood clots\b",
    },
    HandoutLanguage.ES: {
        "infection": r"\binfección\b",
        "bleeding": r"\bsangrado\b",
        "nerve damage": r"\bdaño al nervio\b",
        "painful scar": r"\bcicatriz dolorosa\b",
        "symptoms that do not go away": r"\bmolestias que no se quitan\b",
        "anaesthesia problems": r"\bproblemas por la anestesia\b",
        "blood clots": r"\bcoágulos de sangre\b",
    },
}


@pytest.mark.parametrize("lang", list(HandoutLanguage))
def test_the_release_handout_lists_all_seven_risks(lang: HandoutLanguage) -> None:
    handout = shipped("tarsal-tunnel-release", lang)
    (risks,) = [section for section in handout.sections if section.id == "risks"]
    bullets = [item.lower() for block in risks.blocks for item in block.items or ()]
    missing = [
        risk
        for risk, pattern in RELEASE_RISKS[lang].items()
        if not any(re.search(pattern, bullet) for bullet in bullets)
    ]
    assert not missing, f"risks not named as a bullet: {missing}"


def test_the_release_handout_has_a_separate_recovery_timeline() -> None:
    for lang in HandoutLanguage:
        timeline = shipped("tarsal-tunnel-release", lang).timeline
        assert timeline is not None
        assert len(timeline.steps) >= 3


def sourced_units(handout: Handout) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    """(lines, sources) of every block that cites sources, and of the timeline steps."""
    units = [(block.lines(), block.sources) for block in handout.blocks() if block.sources]
    if handout.timeline is not None:
        steps = tuple(f"{step.when} {step.what}" for step in handout.timeline.steps)
        units.append((steps, handout.timeline.sources))
    return units


@pytest.mark.parametrize(("handout_id", "lang"), PAIRS)
def test_every_figure_is_in_the_reference_beside_a_source_of_its_block(
    handout_id: str, lang: HandoutLanguage
) -> None:
    # No statistic, percentage or threshold may be made up: every number a patient reads must
    # appear in the clinical reference in a passage that cites one of the block's sources, and
    # a percentage must be a percentage there too.
    handout = shipped(handout_id, lang)
    passages = reference_passages()
    sourced_numbers: list[str] = []
    problems = []
    for lines, sources in sourced_units(handout):
        for line in lines:
            percents = percents_in(line)
            for number in NUMBER.findall(line):
                sourced_numbers.append(number)
                percent = number in percents
                if not any(
                    tags & set(sources) and number in (in_percent if percent else numbers)
                    for tags, numbers, in_percent in passages
                ):
                    problems.append(f"{number}{'%' if percent else ''} ({', '.join(sources)})")
    assert not problems, f"figures not found beside their sources in the reference: {problems}"
    # Every number on either copy (with or without the lumbar screen) is in a sourced block.
    for facts in (frozenset(), frozenset(VisitFact)):
        printed = plain_text(handout, teach_back=True, context=HandoutContext(facts=facts))
        outside = set(NUMBER.findall(printed)) - set(sourced_numbers)
        assert not outside, f"a number is outside a sourced block: {sorted(outside)}"


# --- reading level ---------------------------------------------------------------------------

ENGLISH = textstatistics()
ENGLISH.set_lang("en_US")
SPANISH = textstatistics()
SPANISH.set_lang("es")

ENGLISH_TARGET_GRADE = 6
ENGLISH_CEILING_GRADE = 8


RISK_SECTIONS = {("tarsal-tunnel-release", "risks")}
"""Scored on their own against the grade 8 ceiling: the consent content of a procedure handout."""


def running_lines(handout: Handout, *, risk: bool = False) -> list[str]:
    """The running text as printed on the patient's copy, one paragraph, bullet or line each.

    Title and headings are labels set apart in bold, not sentences, so they are not scored;
    everything else is taken exactly as printed (help-box labels, timeline cells, the
    surgeon's and the do-first lines), with no punctuation added: a line printed without a
    full stop runs into the next one for the formulas too. ``risk`` selects the release
    handout's risk section instead of the body.
    """
    copy = personalise(handout)
    lines: list[str] = []
    if not risk:
        lines += [copy.do_first, *copy.summary.lines()]
    for section in copy.sections:
        if ((copy.id, section.id) in RISK_SECTIONS) is risk:
            lines += [line for block in section.blocks for line in block.lines()]
    if risk:
        return lines
    if copy.timeline is not None:
        lines.append(copy.timeline.intro)
        lines += [f"{step.when}: {step.what}" for step in copy.timeline.steps]
        if copy.timeline.note is not None:
            lines += copy.timeline.note.lines()
    if copy.driving is not None:
        lines += list(copy.driving.lines(copy.language)[1:])
    lines += [line for block in copy.next_steps.blocks for line in block.lines()]
    for group in copy.get_help.groups():
        lines += list(group.lines())
    return lines


def running_text(handout: Handout, *, risk: bool = False) -> str:
    return "\n".join(running_lines(handout, risk=risk))


def english(handout_id: str) -> str:
    return running_text(shipped(handout_id, HandoutLanguage.EN))


def spanish(handout_id: str) -> str:
    return running_text(shipped(handout_id, HandoutLanguage.ES))


def test_nothing_is_added_to_the_printed_text_before_scoring() -> None:
    handout = shipped("tarsal-tunnel-release", HandoutLanguage.EN)
    printed = plain_text(handout).splitlines()
    for line in running_lines(handout) + running_lines(handout, risk=True):
        if ": " in line and line not in printed:
            continue  # a timeline row: its two cells, as the table prints them
        assert line in printed, line


@pytest.mark.parametrize("lang", list(HandoutLanguage))
def test_the_release_risk_section_is_under_the_grade_8_ceiling(lang: HandoutLanguage) -> None:
    """The risk section of the release handout may reach grade 8 (and no further).

    Its words (anesthesia, infection, complication) are the ones the consent content needs
    (clinical-reference.md 6.6); the rest of the handout keeps to grade 6.
    """
    text = running_text(shipped("tarsal-tunnel-release", lang), risk=True)
    if lang is HandoutLanguage.EN:
        grade = ENGLISH.flesch_kincaid_grade(text)
        assert grade <= ENGLISH_CEILING_GRADE, f"risk section: Flesch-Kincaid grade {grade:.1f}"
    else:
        score = SPANISH.szigriszt_pazos(text)
        assert score >= SPANISH_FLOOR, f"risk section: INFLESZ {score:.1f}"


@pytest.mark.parametrize("handout_id", SHIPPED_IDS)
def test_english_is_under_the_grade_8_ceiling(handout_id: str) -> None:
    """Flesch-Kincaid grade <= 8, the hard ceiling of clinical-reference.md 6.1.

    NIH asks for below 8th grade [PMC6334864] and the CDC for no harder than 8th grade
    [MEDPAGE-RHEUM]. The reference also asks for a second formula: SMOG must stay <= 8 too.
    """
    text = english(handout_id)
    grade = ENGLISH.flesch_kincaid_grade(text)
    smog = ENGLISH.smog_index(text)
    assert grade <= ENGLISH_CEILING_GRADE, f"{handout_id}: Flesch-Kincaid grade {grade:.1f}"
    assert smog <= ENGLISH_CEILING_GRADE, f"{handout_id}: SMOG grade {smog:.1f}"


@pytest.mark.parametrize("handout_id", SHIPPED_IDS)
def test_english_reaches_the_grade_6_target(handout_id: str) -> None:
    """Flesch-Kincaid grade <= 6, the target of clinical-reference.md 6.1.

    AMA and US government agencies recommend grade 4-6 [ACP-BLOG]; AAFP asks for printed
    material at or below grade 5-6 [AAFP2015-MIRROR].
    """
    grade = ENGLISH.flesch_kincaid_grade(english(handout_id))
    assert grade <= ENGLISH_TARGET_GRADE, f"{handout_id}: Flesch-Kincaid grade {grade:.1f}"


SPANISH_FLOOR = 55
"""INFLESZ "normal": the usual pass line for patient material, our counterpart of grade 8."""
SPANISH_TARGET = 65
"""INFLESZ "fairly easy" (primary-school reading): our counterpart of grade 6."""
SPANISH_CRAWFORD_TARGET = 6
"""Crawford grade (years of schooling), a second formula built on Spanish primary texts."""


@pytest.mark.parametrize("handout_id", SHIPPED_IDS)
def test_spanish_is_above_the_inflesz_floor(handout_id: str) -> None:
    """Szigriszt-Pazos perspicuity >= 55 on the INFLESZ scale, the Spanish hard floor.

    The reference sets grade levels for English only. Spanish is scored with the
    Szigriszt-Pazos index read on the INFLESZ scale (Barrio-Cantalejo et al., An Sist Sanit
    Navar 2008), the scale validated for Spanish patient information and widely used to grade
    it: below 40 very hard, 40-55 somewhat hard, 55-65 normal, 65-80 fairly easy, above 80 very
    easy. 55 ("normal") is the usual pass line for patient material, so it is the floor here,
    as grade 8 is the ceiling in English; the target test asks for 65 ("fairly easy").
    """
    text = spanish(handout_id)
    score = SPANISH.szigriszt_pazos(text)
    assert score >= SPANISH_FLOOR, f"{handout_id}: INFLESZ {score:.1f} is below 'normal'"


@pytest.mark.parametrize("handout_id", SHIPPED_IDS)
def test_spanish_reaches_the_target(handout_id: str) -> None:
    """INFLESZ >= 65 ("fairly easy") and Crawford grade <= 6, the Spanish match of grade 6.

    Crawford gives years of schooling and was built on Spanish primary-school texts, so grade 6
    sits inside the range it was made for; it is the second formula clinical-reference.md 6.1
    asks for.
    """
    text = spanish(handout_id)
    score = SPANISH.szigriszt_pazos(text)
    crawford = SPANISH.crawford(text)
    assert score >= SPANISH_TARGET, f"{handout_id}: INFLESZ {score:.1f} is below 'fairly easy'"
    assert crawford <= SPANISH_CRAWFORD_TARGET, f"{handout_id}: Crawford grade {crawford:.1f}"


def test_the_formulas_score_each_language_as_expected() -> None:
    # Guard the set-up: in each language a hard text fails and an easy one passes, so a
    # silently broken formula or syllable counter cannot pass every handout.
    easy = "The cat sat on the mat. It was warm."
    hard = (
        "Electrodiagnostic confirmation of posterior tibial neuropathy necessitates comprehensive "
        "neurophysiological evaluation incorporating comparative plantar conduction studies."
    )
    assert ENGLISH.flesch_kincaid_grade(easy) < ENGLISH_TARGET_GRADE
    assert ENGLISH.flesch_kincaid_grade(hard) > ENGLISH_CEILING_GRADE
    sencillo = "El gato está en la casa. Hace sol."
    dificil = (
        "La confirmación electrodiagnóstica de la neuropatía tibial posterior requiere una "
        "evaluación neurofisiológica exhaustiva con estudios comparativos de conducción plantar."
    )
    assert SPANISH.szigriszt_pazos(sencillo) > SPANISH_TARGET
    assert SPANISH.szigriszt_pazos(dificil) < SPANISH_FLOOR
