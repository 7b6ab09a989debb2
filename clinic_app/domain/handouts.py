"""Patient handout content: a versioned, per-language document model and its plain text.

A handout is data (``resources/handouts/<id>/<lang>.yaml``), not code. Each one has a title, a
short summary, sections of paragraphs and bullet lists, what to do next, when to call (where it
applies) and two or three teach-back prompts for the clinician (clinical-reference.md 6.5).

Every block that states a clinical fact names its sources: tags of the bibliography in
clinical-reference.md section 9, kept here as ``BIBLIOGRAPHY_TAGS``. A block of plain advice
with no clinical claim ("bring this sheet to your next visit") says so with ``claims: false``
and may hold no number, so every figure a patient reads can be traced to the reference.

The recovery timeline of a procedure is its own block (``timeline``), so a surgeon's own plan
can replace the published example without touching the rest of the text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import date
from enum import StrEnum
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    model_validator,
)

BIBLIOGRAPHY_TAGS: frozenset[str] = frozenset(
    (
        # clinical-reference.md section 9, in its order. A handout may cite only these.
        # tarsal tunnel exam and provocation tests
        "S25",
        "PP",
        "MED",
        "SKY",
        "MTM",
        "AUSTIN",
        "ORTHOFIXAR",
        "ORTHOFIXAR-TCST",
        "HSR",
        "KIN",
        "ESSAY-C",
        "TCST",
        "PHYSIOTUTORS",
        # coexistence and mimics
        "ZHENG",
        "MISJ",
        # anatomy: tibial branches, plantar and calcaneal nerves
        "POM",
        "DELLON02",
        "RG-MCN",
        "MORONI",
        "LOUISIA",
        "TMA",
        "PACS",
        "DOCCHECK",
        "ORTHORICO",
        "INNERBODY",
        "WHEEL",
        "UMICH",
        "QUT",
        "OB-SPN",
        "WIZEDU-C",
        "RADSRC",
        "RONDHUIS",
        "SKELRAD",
        "ONEPOINT-C",
        # dermatomes, roots, reflexes, strength
        "GPN",
        "BROM",
        "DROR-DERM-C",
        "HARR",
        "ACEP",
        "MSD",
        "OVELLUM-C",
        "DROR-ROOT-C",
        "ETOIMS",
        "BAYNEURO",
        "WIKI-SLR",
        "DEVILLE",
        "DROR-SLR-C",
        "PESONEN",
        "APTEI",
        "PHYSIOWARZISH",
        "SEEKHEALTH-C",
        "NINDS-CDE",
        "STATPEARLS-ACH",
        "MRC",
        "WJO-MRC",
        "VMS-C",
        # red flags
        "AHCPR",
        "BMJBP",
        "NICE-CES",
        # foot drop
        "NEUPSY",
        "DEDUCT-C",
        "EPOMED-C",
        "THREAD-C",
        "SPINALSYD-C",
        "ONEWIKIA-C",
        # heel pain
        "TU",
        "CMDT",
        "BARRETT",
        "ACIBADEM",
        "HEELTHAT-C",
        "OPENEVID-C",
        "BIOLOGY-C",
        # polyneuropathy and nerve conduction
        "UPTODATE",
        "FPN-DSPN",
        "DSPN-FIG",
        "SURAL",
        "SCILIT-1983",
        "SNAP-OPN",
        "SEEKHEALTH-NCS-C",
        "MONDELLI",
        # double crush and failed surgery
        "UPTON",
        "CTNET",
        "WILBOURN",
        "BARKER",
        "GULCEK",
        "DOWNEY",
        "YALC",
        "ANTON",
        "AHMAD",
        "MITCH",
        # treatment and outcomes
        "KUSHNER-REID",
        "JCOT-SUMMARY",
        "ATESOK",
        "VIJ",
        "ENDO",
        "USGR",
        "HYDRO-SR",
        "DEXTROSE-REVIEW",
        "DRNUNES-C",
        "DROR-OUTCOME-C",
        "PFEIFFER-C",
        "INPOD-C",
        "YEG-C",
        "TTR-79",
        # sensory testing
        "FPN-2PD",
        "JAPMA-2PD",
        "SWM-PROC",
        "HRSA",
        "SWM-NORM",
        "SALTZMAN",
        # codes
        "CMS-ICD",
        "CMS-ACCESS",
        "CODE-REPOS",
        "BE-IG",
        "SCT-LOOKUP-REPOS",
        "LOINC-PAIN",
        "LOINC-DTR",
        # handout standards and informed consent
        "PMC6334864",
        "PMC3049622",
        "ACP-BLOG",
        "AAFP2015-MIRROR",
        "MEDPAGE-RHEUM",
        "PEMAT",
        "PEMAT-SCRIBD",
        "PEMAT-ITEMS",
        "PEMAT-T2",
        "PEMAT-T3",
        "AMWA",
        "CDC-CCI",
        "CCI-WIDGET",
        "CCI-INTERACTIVE",
        "CCI-STUDY",
        "NIA",
        "ADAMH-NIA-SUMMARY-C",
        "MARCHE-C",
        "ITC-C",
        "WIS-C",
        "SCILIT-TYPEFACE",
        "CMS-TOOLKIT9",
        "AHRQ-TOOLKIT",
        "AHRQ-QUICKSTART",
        "AMA-IC",
        "AMA-IC-TEXT",
        "CJASN-AMA",
        "AAP-IC",
        # outcome measures
        "NPRS-CHILDS",
        "PLOS-NRS",
        "FAAM-MARTIN",
        "SRA-FAAM",
        "PP-FAAM",
        "PATIENTWATCH-C",
        "LEFS-BINKLEY",
        "SRA-LEFS",
        "PP-LEFS",
        "SRA-FFI",
        "FFI-REVIEW",
        # clinical-reference.md section 9.1 (added 2026-12, for section 10), in its order.
        # after surgery: warning signs
        "MEDLINE-SSI",
        "BAPTIST",
        "ALLINA",
        "SW-BUNION",
        "CAST-ORTHOINFO-C",
        "OPTIM-C",
        "CDC-VTE",
        "NHS-GLOS",
        "NHS-DVT-NEWS-C",
        "MSKCC-DVT",
        "VTE-FA-META",
        # driving after foot surgery
        "OSTEOLOGY-SR",
        "FRANE",
        "EGOL",
        "HO-ANKLE",
        "DAMMERER",
        "ORR-JBJS",
        "OANDP-ORR",
        "SANSOSTI",
        "UAB-LEFT",
        "COLUMBUS-C",
        "SAVVA-C",
        "OPAL-NHS",
        "PALLIPEDIA",
        "CAMB-ORTHO",
        "KRAMES-FOOT",
        "DVLA",
        # steroid injections
        "NHS-STEROID-MIRROR",
        "KENT-NHS",
        "FCH-UK",
        "ETG-CSI",
        "SHIN-GLU",
        "ACEVEDO",
        "BRINKS-SR",
        "BARRETT-INJ",
        # ice and heat on numb feet
        "CRYO-CG",
        "MEDALG-CRYO",
        "ICE-SNAPSHOT",
        "CDC-FEET-MIRROR",
        "NHS-BDCT",
        "NHS-FIFE",
        "JBSA",
        "WEBMD-FOOT",
        "DSM-HEATICE",
        # outpatient coding and code-set changes
        "CHIRO-2025-C",
        "QPRO-2020-C",
        "AAPC-CC2005",
        "LEXICODE",
        "AGES-IB4-C",
        "CMS-MLN-SS",
        "CMS-ICD10-PAGE",
        "DISEASEDB-M51370-C",
        "PABAU-M5116-C",
        "HF-ICDCM-C",
        # central signs and major weakness
        "BABINSKI-SPR",
        "OUP-NEURO",
        "JABFM-CSM",
        "GIBSON-C",
        "HILTON",
        "NERVE-LESIONS-CH",
        "ACP-IMAGING",
        "ACR-LBP",
        "LOTHIAN",
        "NG59-SUM-C",
        # lumbar spinal stenosis
        "NASS-LSS",
        "SURI-JAMA",
        "KATZ95",
        "MSD-LSS",
        "ONS-NC",
        "RHEUM-LSS",
        "LSS-NOTES-C",
        # dermatome maps
        "LEE-DERM",
        "WIKIMSK-DERM",
        "DOWNS-DERM",
        # pre-operative work-up and outcome
        "MED-WORKUP",
        "USGMI-PMC",
        "JFAS-ETIOL",
        "GONDRING",
        "HAQ-SCOPING",
        "IWGDF-PAD-SUM",
        "ETG-PAD",
        "NIRENBERG",
        # outcome measures (2026-12)
        "PATIENTWATCH2-C",
        "PHYSIOCAN-NRS",
        "ACHA-NRS-C",
        "PP-TTS-OUTCOMES",
        # loss of protective sensation
        "ADA-SOC-MIRROR",
        "IWGDF-SWM-STUDY",
        "TF-PROC",
        "IPTT-PODIA",
        "IPTT-DMS",
        "IPTT-PP",
    )
)
"""Source tags of the clinical reference bibliography, sections 9 and 9.1 (without brackets)."""

TEACH_BACK_MIN = 2
TEACH_BACK_MAX = 3
"""AHRQ Tool 5: print 2-3 "tell me in your own words" prompts (clinical-reference.md 6.5)."""

FEVER_SLOT = "{fever}"
"""Where the practice's fever threshold goes in a "get help" line (clinical-reference.md 10.1)."""

_KEBAB = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_INLINE_TAG = re.compile(r"\[[A-Z0-9][A-Z0-9-]*\]")
_DIGIT = re.compile(r"\d")


class HandoutLanguage(StrEnum):
    """A language a handout is written in."""

    EN = "en"
    ES = "es"

    @property
    def label(self) -> str:
        """The language's English name, for messages ("Spanish")."""
        return {"en": "English", "es": "Spanish"}[self.value]


class HandoutSide(StrEnum):
    """Which foot a handout is about, printed in the handout's language."""

    LEFT = "left"
    RIGHT = "right"
    BOTH = "both"


SIDE_NAMES: dict[HandoutLanguage, dict[HandoutSide, str]] = {
    HandoutLanguage.EN: {
        HandoutSide.LEFT: "Left foot",
        HandoutSide.RIGHT: "Right foot",
        HandoutSide.BOTH: "Both feet",
    },
    HandoutLanguage.ES: {
        HandoutSide.LEFT: "Pie izquierdo",
        HandoutSide.RIGHT: "Pie derecho",
        HandoutSide.BOTH: "Ambos pies",
    },
}
"""A side as printed on a handout ("Right foot", "Pie derecho")."""

FEVER_WORDS: dict[HandoutLanguage, tuple[str, str]] = {
    HandoutLanguage.EN: ("a temperature of {value} or higher", "a fever"),
    HandoutLanguage.ES: ("una temperatura de {value} o más", "fiebre"),
}
"""What stands in the fever slot: with the practice's threshold, and without one set.

No guideline fixes one threshold (clinical-reference.md 10.1 fact 2), so the number is the
practice's own setting; without it the line names a fever and no number.
"""


class HandoutKind(StrEnum):
    """What a handout is for; the library lists handouts grouped by kind."""

    CONDITION = "condition"
    """What a problem is and the treatment options."""
    PROCEDURE = "procedure"
    """What an operation involves: risks, recovery, informed-consent content."""
    EXPLAINER = "explainer"
    """Why the clinic did something (for example, the lumbar screen)."""
    SELF_CARE = "self-care"
    """What the patient can do at home."""


class VisitFact(StrEnum):
    """Something about the visit a block of text may depend on (``only_if`` / ``unless``).

    The handout file says which blocks depend on which fact; code never picks text by handout.
    """

    LUMBAR_SCREEN_COMPLETE = "lumbar-screen-complete"
    """Every lumbar-screen item of the pre-operative gate (rule R11) was charted."""


def _clean(value: str, slots: tuple[str, ...] = ()) -> str:
    # YAML folded text keeps line breaks and runs of spaces; print wants single spaces.
    text = " ".join(value.split())
    if not text:
        raise ValueError("text is empty")
    rest = text
    for slot in slots:
        rest = rest.replace(slot, "")
    if "{" in rest or "}" in rest:
        allowed = f" other than {', '.join(slots)}" if slots else ""
        raise ValueError(f"braces are reserved for personalisation slots{allowed}")
    if _INLINE_TAG.search(text):
        raise ValueError("put source tags in 'sources', not in the text")
    return text


def _clean_text(value: str) -> str:
    return _clean(value)


def _clean_help_text(value: str) -> str:
    return _clean(value, (FEVER_SLOT,))


def _kebab(value: str) -> str:
    if not _KEBAB.fullmatch(value):
        raise ValueError(f"{value!r} is not kebab-case (lower-case words joined by '-')")
    return value


def _known_tag(value: str) -> str:
    if value not in BIBLIOGRAPHY_TAGS:
        hint = " (write tags without brackets)" if value.startswith("[") else ""
        raise ValueError(f"unknown source tag {value!r}{hint}; tags come from the bibliography")
    return value


Text = Annotated[StrictStr, AfterValidator(_clean_text)]
"""Printed text: whitespace collapsed, never empty, no slots and no inline source tags."""

HelpText = Annotated[StrictStr, AfterValidator(_clean_help_text)]
"""Printed text of the "get help" box: like Text, and it may hold the ``{fever}`` slot."""

KebabId = Annotated[StrictStr, AfterValidator(_kebab)]
SourceTag = Annotated[StrictStr, AfterValidator(_known_tag)]


def _no_number(text: str, what: str) -> None:
    if _DIGIT.search(text):
        raise ValueError(f"{what} holds a number; a number belongs in a block with source tags")


class _Content(BaseModel):
    # Strict scalars catch YAML traps (an unquoted `no` read as False); strictness is per field
    # because a strict model would refuse the YAML lists given for the tuple fields.
    model_config = ConfigDict(frozen=True, extra="forbid")


class Block(_Content):
    """A paragraph (``text``) or a bullet list (``items``), with the sources of its claims.

    Attributes:
        text: the paragraph, when the block is one.
        items: the bullets, when the block is a list.
        sources: bibliography tags backing every claim in the block.
        claims: False for plain advice with no clinical claim; such a block has no sources and
            no numbers.
        only_if: printed only when every one of these facts holds for the visit.
        unless: printed only when none of these facts holds (the neutral wording).
    """

    text: Text | None = None
    items: tuple[Text, ...] | None = Field(default=None, min_length=1)
    sources: tuple[SourceTag, ...] = ()
    claims: StrictBool = True
    only_if: tuple[VisitFact, ...] = ()
    unless: tuple[VisitFact, ...] = ()

    @model_validator(mode="after")
    def _one_kind_and_sourced(self) -> Block:
        if (self.text is None) == (self.items is None):
            raise ValueError("a block has either 'text' (a paragraph) or 'items' (a list)")
        if len(set(self.sources)) != len(self.sources):
            raise ValueError("a source tag is given twice")
        if self.claims and not self.sources:
            raise ValueError(
                "a block that states facts needs source tags; mark plain advice 'claims: false'"
            )
        if set(self.only_if) & set(self.unless):
            raise ValueError("a fact is both in 'only_if' and in 'unless'")
        if not self.claims:
            if self.sources:
                raise ValueError("a block with 'claims: false' cites no sources")
            for line in self.lines():
                _no_number(line, "a block with 'claims: false'")
        return self

    def lines(self) -> tuple[str, ...]:
        """The printed lines: the paragraph, or one line per bullet."""
        if self.text is not None:
            return (self.text,)
        return self.items or ()

    def applies(self, facts: frozenset[VisitFact]) -> bool:
        """True when the block prints for a visit with these facts."""
        return set(self.only_if) <= facts and not set(self.unless) & facts

    @property
    def conditional(self) -> bool:
        """True when the block depends on the visit."""
        return bool(self.only_if or self.unless)


class HelpBlock(Block):
    """A block of the "get help" box: its lines may hold the ``{fever}`` slot."""

    text: HelpText | None = None
    items: tuple[HelpText, ...] | None = Field(default=None, min_length=1)


class Section(_Content):
    """A headed part of a handout."""

    id: KebabId
    heading: Text
    blocks: tuple[Block, ...] = Field(min_length=1)


class TimelineStep(_Content):
    """One stage of recovery: when, and what happens or what the patient may do.

    ``when`` is empty only in a practice's own plan written without a "when:" part.
    """

    when: Text | None = None
    what: Text


class RecoveryTimeline(_Content):
    """The recovery plan after a procedure, kept apart so a surgeon's own plan can replace it.

    Attributes:
        heading: the printed heading.
        intro: whose plan this is (for example, one surgeon's published protocol).
        steps: the stages, in time order.
        sources: bibliography tags backing the steps.
        note: what other surgeons do differently, with its own sources.
    """

    heading: Text
    intro: Text
    steps: tuple[TimelineStep, ...] = Field(min_length=1)
    sources: tuple[SourceTag, ...] = ()
    note: Block | None = None
    practice_plan: StrictBool = False
    """True for the practice's own plan, which replaced the handout's (it cites no sources)."""

    @model_validator(mode="after")
    def _numbers_only_in_steps(self) -> RecoveryTimeline:
        _no_number(self.heading, "the timeline heading")
        _no_number(self.intro, "the timeline intro")
        if self.practice_plan:
            if self.sources or self.note is not None:
                raise ValueError("the practice's own plan has no sources and no note")
        else:
            if not self.sources:
                raise ValueError("the timeline needs source tags")
            if any(step.when is None for step in self.steps):
                raise ValueError("every step of a handout's timeline says when")
        return self

    def lines(self) -> tuple[str, ...]:
        """The printed lines: heading, intro, one line per step, then the note."""
        steps = tuple(
            f"{step.when}: {step.what}" if step.when else step.what for step in self.steps
        )
        note = self.note.lines() if self.note is not None else ()
        return (self.heading, self.intro, *steps, *note)


class SurgeonDriving(_Content):
    """The surgeon's own words on driving again after surgery on one side (Practice details)."""

    side: HandoutSide
    text: StrictStr


class DrivingAdvice(_Content):
    """When the patient may drive again: conditions to check, never a fixed number of days.

    clinical-reference.md 10.2 withdraws fixed driving days; any number of weeks is the
    surgeon's, entered per side in Practice details and printed after ``surgeon_intro``.

    Attributes:
        heading: the printed heading.
        blocks: the conditions the patient can check, with their sources.
        ask_surgeon: printed when the surgeon entered nothing for this language and side.
        surgeon_intro: printed before the surgeon's own words, one line per side.
        surgeon: the surgeon's words, set when a copy is personalised (never in the file).
    """

    heading: Text
    blocks: tuple[Block, ...] = Field(min_length=1)
    ask_surgeon: Text
    surgeon_intro: Text
    surgeon: tuple[SurgeonDriving, ...] = ()

    @model_validator(mode="after")
    def _plain(self) -> DrivingAdvice:
        _no_number(self.heading, "the driving heading")
        _no_number(self.ask_surgeon, "the driving 'ask_surgeon' line")
        _no_number(self.surgeon_intro, "the driving 'surgeon_intro' line")
        if self.surgeon:
            raise ValueError("the surgeon's driving weeks come from Practice details")
        return self

    def lines(self, language: HandoutLanguage) -> tuple[str, ...]:
        """The printed lines: heading, the conditions, then the surgeon's words or the ask."""
        body = [line for block in self.blocks for line in block.lines()]
        if self.surgeon:
            names = SIDE_NAMES[language]
            body.append(self.surgeon_intro)
            body += [f"{names[entry.side]}: {entry.text}" for entry in self.surgeon]
        else:
            body.append(self.ask_surgeon)
        return (self.heading, *body)


class HelpGroup(_Content):
    """One half of the "get help" box: what it means (call 911 now, call us today) and the signs.

    Attributes:
        label: the printed lead ("Call 911 now if you have any of these:").
        label_sources: sources of the label, needed when it holds a number (911).
        blocks: the signs.
    """

    label: Text
    label_sources: tuple[SourceTag, ...] = ()
    blocks: tuple[HelpBlock, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _label_sourced(self) -> HelpGroup:
        if not self.label_sources:
            _no_number(self.label, "a 'get help' label without 'label_sources'")
        return self

    def label_block(self) -> Block:
        """The label as a block, so its number is checked against the reference like any."""
        if self.label_sources:
            return Block(text=self.label, sources=self.label_sources)
        return Block(text=self.label, claims=False)

    def lines(self) -> tuple[str, ...]:
        """The label, then one line per sign."""
        return (self.label, *(line for block in self.blocks for line in block.lines()))


class HelpBox(_Content):
    """The "when to get help" box that ends every handout (clinical-reference.md 10.1).

    Attributes:
        heading: the printed heading.
        now: emergencies: call 911 now.
        today: call the practice today; the practice's phone number is printed under it.
        phone_label: the words before the practice's phone number.
    """

    heading: Text
    now: HelpGroup
    today: HelpGroup
    phone_label: Text

    @model_validator(mode="after")
    def _plain(self) -> HelpBox:
        _no_number(self.heading, "the 'get help' heading")
        _no_number(self.phone_label, "the phone label")
        return self

    def groups(self) -> tuple[HelpGroup, HelpGroup]:
        """Call 911 now, then call us today."""
        return (self.now, self.today)

    def lines(self) -> tuple[str, ...]:
        """The printed lines without the phone number: heading, then each group."""
        return (self.heading, *self.now.lines(), *self.today.lines())


class Handout(_Content):
    """One handout in one language, at one version.

    Attributes:
        id: kebab-case, the same in every language (the folder name).
        language: the language of this text.
        version: a whole number raised with every content change; printed and logged.
        review_date: when this language version was last reviewed.
        reviewer: who reviewed this language version; printed in the footer.
        kind: what the handout is for.
        title: the printed title.
        do_first: the one thing to do, first in the summary box.
        summary: the main message, in the summary box after ``do_first``.
        sections: the body, in order.
        timeline: the recovery timeline of a procedure.
        driving: when the patient may drive again, after a procedure.
        next_steps: what to do next, printed as numbered steps.
        get_help: when to call 911 and when to call the practice; ends every handout.
        teach_back: two or three prompts for the clinician (on screen and the clinician copy).
    """

    id: KebabId
    language: HandoutLanguage
    version: StrictInt = Field(ge=1)
    review_date: date
    reviewer: Text
    kind: HandoutKind
    title: Text
    do_first: Text
    summary: Block
    sections: tuple[Section, ...] = Field(min_length=1)
    timeline: RecoveryTimeline | None = None
    driving: DrivingAdvice | None = None
    next_steps: Section
    get_help: HelpBox
    teach_back: tuple[Text, ...] = Field(min_length=TEACH_BACK_MIN, max_length=TEACH_BACK_MAX)

    @model_validator(mode="after")
    def _consistent(self) -> Handout:
        ids = [section.id for section in self.all_sections()]
        twice = sorted({i for i in ids if ids.count(i) > 1})
        if twice:
            raise ValueError(f"section id given twice: {', '.join(twice)}")
        _no_number(self.title, "the title")
        _no_number(self.do_first, "the 'do_first' line")
        for section in self.all_sections():
            _no_number(section.heading, f"the heading of section {section.id!r}")
        for prompt in self.teach_back:
            _no_number(prompt, "a teach-back prompt")
        if not self.summary.claims:
            raise ValueError("the summary states the main message and needs source tags")
        if self.summary.conditional:
            raise ValueError("the summary prints on every copy: it takes no 'only_if'/'unless'")
        if not any(block.items for block in self.next_steps.blocks):
            raise ValueError("'next_steps' needs at least one list of steps")
        return self

    def all_sections(self) -> Iterator[Section]:
        """Body sections, then next steps."""
        yield from self.sections
        yield self.next_steps

    def blocks(self) -> Iterator[Block]:
        """Every block of text, in print order (the timeline note and help labels included)."""
        yield self.summary
        yield from (block for section in self.sections for block in section.blocks)
        if self.timeline is not None and self.timeline.note is not None:
            yield self.timeline.note
        if self.driving is not None:
            yield from self.driving.blocks
        yield from self.next_steps.blocks
        for group in self.get_help.groups():
            yield group.label_block()
            yield from group.blocks

    @property
    def source_tags(self) -> tuple[str, ...]:
        """Every source tag the handout cites, in print order of first use."""
        cited: list[tuple[str, ...]] = [self.summary.sources]
        cited += [block.sources for section in self.sections for block in section.blocks]
        if self.timeline is not None:
            cited.append(self.timeline.sources)
            if self.timeline.note is not None:
                cited.append(self.timeline.note.sources)
        if self.driving is not None:
            cited += [block.sources for block in self.driving.blocks]
        cited += [block.sources for block in self.next_steps.blocks]
        for group in self.get_help.groups():
            cited.append(group.label_sources)
            cited += [block.sources for block in group.blocks]
        return tuple(dict.fromkeys(tag for tags in cited for tag in tags))


# --- one copy for one visit -------------------------------------------------------------------


class HandoutContext(_Content):
    """What one copy depends on: the visit, the side, the practice's settings.

    Attributes:
        facts: what holds for the visit (an empty set: no visit, so the neutral wording).
        side: which foot the copy is about, or None.
        fever: the practice's fever threshold as printed ("100.4 °F (38.0 °C)"), or None.
        driving: the surgeon's words on driving, per side, in the handout's language.
        timeline: the surgeon's recovery plan in the handout's language (one step a line).
    """

    facts: frozenset[VisitFact] = frozenset()
    side: HandoutSide | None = None
    fever: str | None = None
    driving: dict[HandoutSide, str] = Field(default_factory=dict)
    timeline: tuple[str, ...] = ()


def _kept(blocks: Iterable[Block], facts: frozenset[VisitFact]) -> tuple[Block, ...]:
    # A kept block no longer depends on the visit: personalising twice changes nothing more.
    return tuple(
        block.model_copy(update={"only_if": (), "unless": ()}) if block.conditional else block
        for block in blocks
        if block.applies(facts)
    )


def _section_for(section: Section, facts: frozenset[VisitFact]) -> Section | None:
    blocks = _kept(section.blocks, facts)
    return section.model_copy(update={"blocks": blocks}) if blocks else None


def _fill_fever(block: HelpBlock, words: str) -> HelpBlock:
    if block.text is not None:
        return block.model_copy(update={"text": block.text.replace(FEVER_SLOT, words)})
    items = tuple(item.replace(FEVER_SLOT, words) for item in block.items or ())
    return block.model_copy(update={"items": items})


def _group_for(group: HelpGroup, facts: frozenset[VisitFact], fever: str) -> HelpGroup:
    blocks = [block for block in group.blocks if block.applies(facts)]
    filled = tuple(
        _fill_fever(block.model_copy(update={"only_if": (), "unless": ()}), fever)
        for block in blocks
    )
    return group.model_copy(update={"blocks": filled})


def _driving_for(
    driving: DrivingAdvice, facts: frozenset[VisitFact], context: HandoutContext
) -> DrivingAdvice:
    update: dict[str, object] = {"blocks": _kept(driving.blocks, facts)}
    if context.driving:
        sides = (
            [context.side]
            if context.side in (HandoutSide.LEFT, HandoutSide.RIGHT)
            else [HandoutSide.RIGHT, HandoutSide.LEFT]
        )
        entries = tuple(
            SurgeonDriving(side=side, text=" ".join(context.driving[side].split()))
            for side in sides
            if side is not None and context.driving.get(side, "").strip()
        )
        if entries:
            update["surgeon"] = entries
    return driving.model_copy(update=update)


def personalise(handout: Handout, context: HandoutContext | None = None) -> Handout:
    """The copy of a handout for one visit: the text the visit calls for, the practice's values.

    Blocks print by their ``only_if``/``unless`` facts; the fever slot takes the practice's
    threshold (or the words for a fever without a number); the surgeon's recovery plan and
    driving words replace the handout's own where the practice entered them. Personalising a
    personalised copy again with an empty context changes nothing.
    """
    ctx = context or HandoutContext()
    facts = ctx.facts
    with_value, without = FEVER_WORDS[handout.language]
    fever = with_value.format(value=ctx.fever) if ctx.fever else without
    sections = tuple(
        kept for kept in (_section_for(s, facts) for s in handout.sections) if kept is not None
    )
    update: dict[str, object] = {
        "sections": sections,
        "next_steps": handout.next_steps.model_copy(
            update={"blocks": _kept(handout.next_steps.blocks, facts)}
        ),
        "get_help": handout.get_help.model_copy(
            update={
                "now": _group_for(handout.get_help.now, facts, fever),
                "today": _group_for(handout.get_help.today, facts, fever),
            }
        ),
    }
    if handout.driving is not None:
        update["driving"] = _driving_for(handout.driving, facts, ctx)
    copy = handout.model_copy(update=update)
    return with_practice_timeline(copy, ctx.timeline)


def plain_text(
    handout: Handout, *, teach_back: bool = False, context: HandoutContext | None = None
) -> str:
    """The printed words of a handout, one heading, paragraph, bullet or step per line.

    This is the patient copy in reading order: title, the one thing to do, summary, body
    sections, recovery timeline, driving, next steps, the get-help box (without the phone
    number). The handout is personalised first (with no visit facts unless given).

    Args:
        handout: the handout.
        teach_back: also add the teach-back prompts (they go on the clinician copy).
        context: the visit and practice the copy is for.
    """
    copy = personalise(handout, context)
    lines: list[str] = [copy.title, copy.do_first, *copy.summary.lines()]
    for section in copy.sections:
        lines.append(section.heading)
        lines.extend(line for block in section.blocks for line in block.lines())
    if copy.timeline is not None:
        lines.extend(copy.timeline.lines())
    if copy.driving is not None:
        lines.extend(copy.driving.lines(copy.language))
    lines.append(copy.next_steps.heading)
    lines.extend(line for block in copy.next_steps.blocks for line in block.lines())
    lines.extend(copy.get_help.lines())
    if teach_back:
        lines.extend(copy.teach_back)
    return "\n".join(lines)


class NextStep(_Content):
    """A plain next step the clinician can tick for one patient's copy, in every language.

    Attributes:
        id: the stable id a request stores (the wording may change with the catalogue version).
        en: the English wording.
        es: the Spanish wording.
    """

    id: KebabId
    en: Text
    es: Text

    @model_validator(mode="after")
    def _plain(self) -> NextStep:
        for language in HandoutLanguage:
            _no_number(self.text(language), f"next step {self.id!r}")
        return self

    def text(self, language: HandoutLanguage) -> str:
        """The wording in one language."""
        return str(getattr(self, language.value))


class NextStepCatalog(_Content):
    """The next steps a clinician can tick (``resources/handouts/next-steps.yaml``).

    They state no clinical fact, so they carry no numbers and no sources.
    """

    version: StrictInt = Field(ge=1)
    review_date: date
    steps: tuple[NextStep, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> NextStepCatalog:
        ids = [step.id for step in self.steps]
        if len(set(ids)) != len(ids):
            raise ValueError("next step ids must be unique")
        return self

    def get(self, step_id: str) -> NextStep | None:
        """The step with this id, or None (a step retired since it was ticked)."""
        return next((step for step in self.steps if step.id == step_id), None)

    def wording(self, step_ids: Iterable[str], language: HandoutLanguage) -> tuple[str, ...]:
        """The ticked steps in one language, in catalogue order; unknown ids are left out."""
        wanted = set(step_ids)
        return tuple(step.text(language) for step in self.steps if step.id in wanted)


PRACTICE_PLAN_INTRO = {
    HandoutLanguage.EN: "This is your surgeon's plan for your recovery.",
    HandoutLanguage.ES: "Este es el plan de su cirujano para su recuperación.",
}
"""The timeline's intro when the practice's own plan replaces the handout's."""


def practice_timeline_step(line: str) -> TimelineStep:
    """One line of a surgeon's plan: "when: what", or only "what" when there is no colon."""
    when, colon, what = line.partition(":")
    if colon and when.strip() and what.strip():
        return TimelineStep(when=when, what=what)
    return TimelineStep(what=line)


def with_practice_timeline(handout: Handout, steps: Iterable[str]) -> Handout:
    """The handout with its recovery timeline replaced by the practice's own plan.

    A handout without a timeline, or an empty plan, is returned unchanged. The plan's steps
    are the surgeon's, so they cite no sources and the note on other surgeons is dropped.
    """
    lines = [line for line in steps if line.strip()]
    if handout.timeline is None or not lines:
        return handout
    plan = RecoveryTimeline(
        heading=handout.timeline.heading,
        intro=PRACTICE_PLAN_INTRO[handout.language],
        steps=tuple(practice_timeline_step(line) for line in lines),
        practice_plan=True,
    )
    return handout.model_copy(update={"timeline": plan})
