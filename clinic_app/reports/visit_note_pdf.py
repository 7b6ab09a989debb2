"""The visit note as a PDF: one page for a typical visit, the sensory map on page 2 when needed.

Page 1 reads like a clinician's note in any EMR: the patient header (name, age, sex, date of
birth, MRN, allergies), the visit and its reason, the history in a line per section, the exam
as "normal bilaterally except:" followed by the abnormal findings in short clinical phrases
(clinic_app.reports.note_findings), the sections not tested named in one line, the assessment
as the clinician decided it, the plan with the pre-operative gate's verdict when a release is
planned, teach-back, and the signature with the full hash.

The assessment of a signed encounter is the one stored in its signed content
(``EncounterContent.signed_assessment``), never a recomputation: what was signed prints as it
was signed, whatever the patient's record or the rules say later. An encounter signed before
the assessment was stored prints the recomputed assessment and says so.

Page 2 is printed only when the sensory map has abnormal regions: the map drawn from the same
geometry the screen draws (the left side as the mirror image of the right; states told apart by
fill, hatching and a printed region code, so it reads in black and white), the abnormal regions
in words and every charted finding in one table. Addenda follow.

Fonts, styles, the letterhead and the "page N of M" footer are the handout renderer's; the same
input gives the same bytes (reportlab's invariant mode).
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import Enum
from pathlib import Path
from typing import Any, Protocol

from pydantic import ValidationError
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import inch
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
)

from clinic_app.domain.assessment.context import planned_release
from clinic_app.domain.assessment.model import (
    Assessment,
    CodeSuggestion,
    GateState,
    Lops,
    ReportWhen,
    Suggestion,
)
from clinic_app.domain.assessment.record import Choice, Decision, ReleasePlan
from clinic_app.domain.encounter import Encounter, effective_exam, short_hash
from clinic_app.domain.exam import (
    Monofilament,
    NeuroFootExam,
    RegionFindings,
    SensoryGrade,
    SensoryMap,
    Side,
)
from clinic_app.domain.foot_map import FootMapGeometry
from clinic_app.domain.handouts import HandoutLanguage
from clinic_app.domain.layout import FieldRow, FormLayout, HeadingRow, get_path
from clinic_app.domain.layout import Section as FormSection
from clinic_app.domain.patient import Patient
from clinic_app.domain.regions import REGIONS, RegionCode
from clinic_app.reports.foot_map import (
    ABSENT,
    LEGEND_PT,
    NORMAL,
    NOT_TESTED,
    REDUCED,
    MapStyle,
    legend,
    side_drawing,
)
from clinic_app.reports.handout_pdf import (
    FONT,
    FONT_BOLD,
    FRAME_PADDING,
    MARGIN,
    WORDS,
    FooterCanvas,
    Letterhead,
    Styles,
    logo_image,
    long_date,
    markup,
    register_fonts,
    styles,
    table_style,
)
from clinic_app.reports.note_findings import has_abnormal_regions, summarise

BODY_PT = 9.0
"""The note is read by clinicians at a desk: denser than a patient handout."""
TABLE_PT = 7.5
"""The full findings table on page 2."""
NOT_TESTED_LISTED = 4
"""Up to this many untested items are named in a row of the findings table; more are counted."""
NORMAL_LISTED = 6
"""Up to this many normal findings of one side of a section are named in the findings table;
more are counted (page 1 already says the exam is normal except what it lists)."""
SENSORY_WIDGET = "sensory_map"
WATERMARK = "DRAFT"
NOT_SIGNED = "NOT SIGNED \u2014 DRAFT"
RECOMPUTED = (
    "Signed before assessments were stored with the signature: the assessment below is "
    "recomputed from the signed exam with today's rules and patient record."
)

_ENGLISH = WORDS[HandoutLanguage.EN]
_ENUM_LIKE = re.compile(r"^[a-z0-9_+]+$")
_SIDE_WORD = {Side.RIGHT: "Right", Side.LEFT: "Left"}
_RELEASE_WORD = {
    ReleasePlan.NONE: "none planned",
    ReleasePlan.RIGHT: "right",
    ReleasePlan.LEFT: "left",
    ReleasePlan.BOTH: "both sides",
}


@dataclass(frozen=True)
class VisitNoteInput:
    """Everything one visit note prints.

    Attributes:
        encounter: the encounter with its content, signature and addenda.
        patient: whose visit it was.
        layout: the exam form layout (section order and labels).
        geometry: the sensory-map geometry (drawn for the right side; mirrored for the left).
        assessment: the live assessment of the effective exam (addenda applied), computed by
            the caller. Printed for drafts and for encounters signed before the signed
            assessment was stored; a signed encounter that stores one prints that instead.
        letterhead: the practice's letterhead, or None to print none.
    """

    encounter: Encounter
    patient: Patient
    layout: FormLayout
    geometry: FootMapGeometry
    assessment: Assessment
    letterhead: Letterhead | None = None

    @property
    def printed_assessment(self) -> Assessment:
        """The assessment as signed when the signed content holds it, else the live one."""
        stored = self.encounter.content.signed_assessment
        if self.encounter.is_signed and stored is not None:
            return stored.assessment
        return self.assessment

    @property
    def recomputed(self) -> bool:
        """True for a signed encounter that stores no signed assessment (signed before)."""
        return self.encounter.is_signed and self.encounter.content.signed_assessment is None


# --- words ---------------------------------------------------------------------------------------


def _long_moment(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)  # stored naive by SQLite, always UTC
    moment = moment.astimezone(UTC)
    return f"{long_date(moment.date(), _ENGLISH)} at {moment:%H:%M} UTC"


def _word(value: Any) -> str:
    """One charted value in plain words ("below_knee" -> "below knee")."""
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str) and _ENUM_LIKE.match(value):
        return value.replace("_", " ")
    return str(value)


def _value_words(value: Any) -> str | None:
    """A stored finding in words, or None when it was not tested (never printed as a row)."""
    if value is None or value == "" or value == "not_tested":
        return None
    if isinstance(value, list | tuple):
        # The form's multi-choices start empty: nothing ticked is nothing charted.
        return ", ".join(_word(v) for v in value) if value else None
    if isinstance(value, dict):
        return _regions_words(value)
    return _word(value)


def _region_words(found: RegionFindings) -> str:
    parts: list[str] = []
    if found.light_touch is not SensoryGrade.NOT_TESTED:
        parts.append(f"light touch {_word(found.light_touch)}")
    if found.pin_prick is not SensoryGrade.NOT_TESTED:
        parts.append(f"pin-prick {_word(found.pin_prick)}")
    if found.monofilament is not Monofilament.NOT_TESTED:
        parts.append(f"10 g monofilament {_word(found.monofilament)}")
    if found.two_point_mm is not None:
        parts.append(f"two-point {found.two_point_mm} mm")
    if found.symptoms is not None:
        felt = ", ".join(_word(s) for s in found.symptoms)
        parts.append(f"symptoms: {felt}" if felt else "no symptoms")
    return "; ".join(parts) or "not tested"


def _regions_words(value: Mapping[str, Any]) -> str:
    """Region findings given as JSON (an addendum's sensory-map correction)."""
    try:
        regions = SensoryMap.model_validate({"regions": value}).regions
    except ValidationError:
        # A single region's findings, keyed by modality.
        try:
            return _region_words(RegionFindings.model_validate(value))
        except ValidationError:
            return str(value)
    if not regions:
        return "not tested"
    return "; ".join(f"{code}: {_region_words(found)}" for code, found in regions.items())


def _plain(text: str) -> str:
    """Free text as paragraph markup: escaped, any script printable, line breaks kept."""
    return "<br/>".join(markup(line) for line in text.strip().splitlines())


# --- styles --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _NoteStyles:
    body: ParagraphStyle
    bold: ParagraphStyle
    muted: ParagraphStyle
    small: ParagraphStyle
    title: ParagraphStyle
    heading: ParagraphStyle
    subheading: ParagraphStyle
    bullet: ParagraphStyle
    code: ParagraphStyle
    table: ParagraphStyle
    table_bold: ParagraphStyle
    base: Styles
    """The handout's styles, for the letterhead and the table fonts."""


def _note_styles() -> _NoteStyles:
    base = styles(large_print=False)

    def derive(name: str, parent: ParagraphStyle, size: float, **extra: Any) -> ParagraphStyle:
        return ParagraphStyle(name, parent=parent, fontSize=size, leading=size * 1.3, **extra)

    return _NoteStyles(
        body=derive("note-body", base.body, BODY_PT, spaceAfter=1),
        bold=derive("note-bold", base.bold, BODY_PT, spaceAfter=1),
        muted=derive("note-muted", base.body, BODY_PT - 0.5, textColor=colors.HexColor("#333333")),
        small=derive("note-small", base.body, BODY_PT - 1.5, spaceAfter=0),
        title=derive("note-title", base.title, 14, spaceAfter=4),
        heading=derive("note-heading", base.heading, 10.5, spaceBefore=5, spaceAfter=1),
        subheading=derive("note-subheading", base.bold, 9.5, spaceBefore=4, spaceAfter=1),
        bullet=derive("note-bullet", base.body, BODY_PT, leftIndent=10, firstLineIndent=-8),
        code=derive("note-code", base.body, BODY_PT - 1, leftIndent=10, spaceAfter=1),
        table=derive("note-table", base.body, TABLE_PT, spaceAfter=0),
        table_bold=derive("note-table-bold", base.bold, TABLE_PT, spaceAfter=0),
        base=base,
    )


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(markup(text, style.fontName), style)


def _heading(text: str, st: _NoteStyles) -> list[Flowable]:
    # A heading never ends a page: it moves on with at least three lines of what follows.
    needed = st.heading.spaceBefore + st.heading.leading * 2 + st.body.leading * 3
    return [CondPageBreak(needed), _p(text, st.heading)]


def _grid(
    rows: list[list[Any]], widths: list[float], st: _NoteStyles, commands: Sequence[Any] = ()
) -> Table:
    return Table(
        rows,
        colWidths=widths,
        hAlign="LEFT",
        style=table_style(
            st.base,
            [
                ("FONTSIZE", (0, 0), (-1, -1), BODY_PT),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 3),
                ("RIGHTPADDING", (0, 0), (-1, -1), 3),
                ("TOPPADDING", (0, 0), (-1, -1), 1.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
                *commands,
            ],
        ),
    )


# --- the exam, row by row (the findings table) ---------------------------------------------------


@dataclass(frozen=True)
class _Line:
    """One printed row of a section: a sub-heading, or a label with a cell per side."""

    label: str
    cells: tuple[str, ...] = ()
    heading: bool = False


def _amended_number(path: str, amended: Mapping[str, int]) -> int | None:
    numbers = [n for p, n in amended.items() if p == path or p.startswith(f"{path}.")]
    return max(numbers) if numbers else None


def _map_words(value: Any) -> str | None:
    """The sensory-map row: how much was charted and where it is abnormal."""
    regions = SensoryMap.model_validate({"regions": value}).regions
    if not regions:
        return None
    abnormal = [code.value for code, found in regions.items() if found.abnormal_sensation]
    charted = f"{len(regions)} of {len(RegionCode)} regions charted"
    if abnormal:
        return f"{charted}; abnormal: {', '.join(abnormal)} (see the sensory map)"
    return f"{charted}; no deficit"


def _cell(row: FieldRow, path: str, data: Mapping[str, Any], amended: Mapping[str, int]) -> str:
    value = get_path(data, path)
    words = _map_words(value) if row.widget == SENSORY_WIDGET else _value_words(value)
    if words is None:
        return ""
    number = _amended_number(path, amended)
    return f"{words} (amended, addendum #{number})" if number is not None else words


def _section_lines(
    section: FormSection, data: Mapping[str, Any], amended: Mapping[str, int]
) -> tuple[list[_Line], list[str]]:
    """The charted rows of a section and the labels of what was not tested.

    A sub-heading is kept only above a charted row.
    """
    lines: list[_Line] = []
    missing: list[str] = []
    heading: str | None = None
    for row in section.rows:
        if isinstance(row, HeadingRow):
            heading = row.heading
            continue
        paths = row.paths(section.sided)
        cells = tuple(_cell(row, path, data, amended) for path in paths)
        if any(cells):
            if heading is not None:
                lines.append(_Line(heading, heading=True))
                heading = None
            lines.append(_Line(row.label, tuple(cell or "\u2014" for cell in cells)))
        if section.sided:
            gaps = [side for side, cell in zip(Side, cells, strict=True) if not cell]
            if len(gaps) == 2:
                missing.append(f"{row.label} (both sides)")
            elif gaps:
                missing.append(f"{row.label} ({gaps[0].value})")
        elif not cells[0]:
            missing.append(row.label)
    return lines, missing


def _listed_or_counted(items: Sequence[str]) -> str:
    if len(items) <= NOT_TESTED_LISTED:
        return f"{'; '.join(items)}."
    return f"{len(items)} items."


def _not_tested_line(missing: Sequence[str]) -> str:
    return f"Not tested: {_listed_or_counted(missing)}"


# --- page 1: header ------------------------------------------------------------------------------


def _patient_name(patient: Patient) -> str:
    return f"{patient.given_name} {patient.family_name}"


def _allergies(patient: Patient) -> str:
    text = getattr(patient, "allergy_text", None)
    return text if isinstance(text, str) else "Not recorded in this version"


LOGO_HEIGHT = 0.45 * inch


def _letterhead(letterhead: Letterhead | None, st: _NoteStyles, width: float) -> list[Flowable]:
    """The practice in two short lines (name; address and phone), with a small logo."""
    if letterhead is None:
        return []
    lines: list[Flowable] = []
    if letterhead.name.strip():
        lines.append(Paragraph(f"<b>{markup(letterhead.name, FONT_BOLD)}</b>", st.bold))
    rest = [line for line in letterhead.address_lines if line.strip()]
    if letterhead.phone.strip():
        rest.append(f"{_ENGLISH.phone}: {letterhead.phone}")
    if rest:
        lines.append(_p(" \u00b7 ".join(rest), st.small))
    logo = logo_image(letterhead.logo)
    if logo is None:
        return lines
    scale = LOGO_HEIGHT / logo.drawHeight
    logo.drawHeight, logo.drawWidth = LOGO_HEIGHT, logo.drawWidth * scale
    table = Table(
        [[lines, logo]],
        colWidths=[width - logo.drawWidth - 4, logo.drawWidth + 4],
        hAlign="LEFT",
        style=table_style(
            st.base,
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ],
        ),
    )
    return [table]


def _header(note: VisitNoteInput, st: _NoteStyles, width: float) -> list[Flowable]:
    enc, patient = note.encounter, note.patient
    story: list[Flowable] = _letterhead(note.letterhead, st, width)
    age = patient.age_on(enc.encounter_date)
    status = "signed" if enc.is_signed else NOT_SIGNED
    cells = [
        [
            ("Patient", f"<b>{markup(_patient_name(patient), FONT_BOLD)}</b>"),
            ("Age, sex", f"{age}, {_word(patient.sex)}"),
        ],
        [
            ("Date of birth", long_date(patient.date_of_birth, _ENGLISH)),
            ("MRN", markup(patient.mrn)),
        ],
        [
            ("Visit", long_date(enc.encounter_date, _ENGLISH)),
            ("Clinician", markup(enc.clinician_name)),
        ],
    ]
    label_w, value_w = 1.1 * inch, width / 2 - 1.1 * inch
    rows: list[list[Any]] = [
        [
            item
            for label, value in pair
            for item in (_p(f"{label}:", st.bold), Paragraph(value, st.body))
        ]
        for pair in cells
    ]
    wide = [
        ("Allergies", _allergies(note.patient)),
        ("Reason", enc.reason),
    ]
    medications = getattr(patient, "medication_text", None)
    if isinstance(medications, str):
        wide.insert(1, ("Medications", medications))
    commands: list[Any] = []
    for label, value in wide:
        commands.append(("SPAN", (1, len(rows)), (3, len(rows))))
        rows.append([_p(f"{label}:", st.bold), _p(value, st.body), "", ""])
    title = _p(f"Visit note \u2014 {status}", st.title)
    story += [title, _grid(rows, [label_w, value_w, label_w, value_w], st, commands)]
    story.append(Spacer(1, 3))
    return story


# --- page 1: history and exam --------------------------------------------------------------------


def _history(
    note: VisitNoteInput, st: _NoteStyles, summary_history: Sequence[str]
) -> list[Flowable]:
    story: list[Flowable] = [_p("History", st.heading)]
    lines = list(summary_history)
    if not lines:
        lines = ["History: not charted."]
    story += [_p(line, st.body) for line in lines]
    notes = note.encounter.content.notes
    if notes.strip():
        story.append(Paragraph(f"<b>Notes:</b> {_plain(notes)}", st.body))
    return story


def _exam_summary(
    note: VisitNoteInput, exam: NeuroFootExam, amended: Mapping[str, int], st: _NoteStyles
) -> list[Flowable]:
    summary = summarise(exam, note.layout)
    story = _history(note, st, summary.history)
    story.append(_p("Examination", st.heading))
    if summary.red_flags:
        story.append(_p(summary.red_flags, st.bold if "PRESENT" in summary.red_flags else st.body))
    if not summary.tested_any:
        story.append(_p("Not examined.", st.bold))
    elif not summary.abnormal:
        story.append(_p("Normal bilaterally in every section examined.", st.body))
    else:
        story.append(_p("Normal bilaterally except:", st.bold))
        for section in summary.abnormal:
            text = f"<b>{markup(section.title, FONT_BOLD)}:</b> " + markup(
                "; ".join(section.phrases)
            )
            story.append(Paragraph(f"\u2022 {text}", st.bullet))
    if amended:
        numbers = sorted(set(amended.values()))
        story.append(
            _p(
                "Includes findings added or corrected by addendum "
                + ", ".join(f"#{n}" for n in numbers)
                + ".",
                st.muted,
            )
        )
    if summary.not_tested:
        story.append(_p(f"Not tested: {'; '.join(summary.not_tested)}.", st.muted))
    if has_abnormal_regions(exam):
        story.append(_p("Sensory map and all charted findings: page 2.", st.muted))
    return story


# --- page 1: assessment --------------------------------------------------------------------------


def _code_text(code: CodeSuggestion) -> str:
    return f"{code.code} {code.description} ({code.system} {code.version})"


def _codes_line(codes: Sequence[CodeSuggestion], lead: str) -> str:
    return f"{lead}: " + "; ".join(_code_text(code) for code in codes) + "."


def _title(suggestion: Suggestion) -> str:
    sides = f" ({', '.join(side.value for side in suggestion.sides)})" if suggestion.sides else ""
    return f"{suggestion.title}{sides}"


def _decided(suggestion: Suggestion, decision: Decision, st: _NoteStyles) -> list[Flowable]:
    """One decision as a sentence, with the codes that decision reports."""
    sentence = f"<b>{decision.choice.sentence}:</b> {markup(_title(suggestion))}"
    if decision.comment:
        sentence += f" \u2014 {markup(decision.comment)}"
    lines: list[Flowable] = [Paragraph(f"\u2022 {sentence}", st.bullet)]
    now = [c for c in suggestion.codes if c.report_when is ReportWhen.NOW]
    diagnosis = [c for c in suggestion.codes if c.report_when is ReportWhen.CONFIRMED]
    if decision.choice.reports_diagnosis:
        if diagnosis:
            lines.append(_p(_codes_line(diagnosis, "Diagnosis code"), st.code))
        elif now:
            lines.append(_p(_codes_line(now, "Codes reported"), st.code))
    elif decision.choice is not Choice.DISMISSED:
        if now:
            lines.append(_p(_codes_line(now, "Codes reported now"), st.code))
        else:
            lines.append(_p("No sign or symptom code reported for it.", st.code))
    return lines


def _assessment(note: VisitNoteInput, st: _NoteStyles) -> list[Flowable]:
    assessment = note.printed_assessment
    record = note.encounter.content.assessment
    story: list[Flowable] = [_p("Assessment", st.heading)]
    if note.recomputed:
        story.append(_p(RECOMPUTED, st.muted))
    decided: dict[Choice, list[Flowable]] = {choice: [] for choice in Choice}
    undecided: list[str] = []
    for suggestion in assessment.suggestions:
        decision = record.decisions.get(suggestion.key)
        if decision is None:
            undecided.append(_title(suggestion))
            continue
        if decision.choice is Choice.DISMISSED and not decision.comment:
            continue  # a dismissal prints only with the clinician's comment
        decided[decision.choice] += _decided(suggestion, decision, st)
    order = (Choice.CONFIRMED, Choice.WORKING, Choice.ACCEPTED, Choice.DISMISSED)
    for choice in order:
        story += decided[choice]
    if not any(decided.values()):
        story.append(_p("No diagnosis or working impression recorded.", st.body))
    if undecided:
        story.append(
            _p("Suggested by the rules, not decided: " + "; ".join(undecided) + ".", st.muted)
        )
    ack = record.red_flags_acknowledged
    if ack is not None:
        flags = ", ".join(_word(flag) for flag in ack.flags)
        story.append(
            _p(
                f"Urgent alert ({flags}) acknowledged by {ack.by_name} on {_long_moment(ack.at)}.",
                st.body,
            )
        )
    elif assessment.urgent_flags:
        flags = ", ".join(_word(flag) for flag in assessment.urgent_flags)
        story.append(_p(f"Urgent alert not acknowledged: {flags}.", st.bold))
    present = [side.value for side, state in assessment.lops.items() if state is Lops.PRESENT]
    if present:
        story.append(_p(f"Loss of protective sensation: {' and '.join(present)} foot.", st.body))
    return story


# --- page 1: plan, gate, teach-back, signature ---------------------------------------------------


def _gate(note: VisitNoteInput, assessment: Assessment, st: _NoteStyles) -> list[Flowable]:
    gate = assessment.gate
    record = note.encounter.content.assessment
    if not gate.sides:
        return []
    sides = " and ".join(side.value for side in gate.sides)
    verdict = {
        GateState.OPEN: f"met for the {sides} side",
        GateState.OVERRIDDEN: f"passed by the clinician's override for the {sides} side",
        GateState.BLOCKED: f"NOT met for the {sides} side",
        GateState.NOT_APPLICABLE: "not applicable",
    }[gate.state]
    story: list[Flowable] = [_p(f"Pre-operative gate (R11): {verdict}.", st.bold)]
    if gate.unmet:
        items = "; ".join(f"{check.side.value}: {check.label}" for check in gate.unmet)
        story.append(_p(f"Unmet: {items}.", st.body))
    override = record.gate_override
    if gate.overridden and override is not None:
        items = "; ".join(f"{check.side.value}: {check.label}" for check in gate.overridden)
        story.append(
            _p(
                f"Pre-operative gate overridden by {override.by_name} on "
                f"{_long_moment(override.at)}: {override.reason} (items passed: {items})",
                st.body,
            )
        )
    studies = record.studies_acknowledged
    if gate.acknowledged and studies is not None:
        story.append(
            _p(
                "No electrodiagnostic confirmation: the clinician signs without a plantar nerve "
                f"study or needle EMG, acknowledged by {studies.by_name} on "
                f"{_long_moment(studies.at)}.",
                st.body,
            )
        )
    for advisory in gate.advisories:
        story.append(_p(advisory, st.body))
    if record.foot_primary_reason:
        story.append(
            _p(f"Why the foot is the primary source: {record.foot_primary_reason}", st.body)
        )
    return story


def _plan(note: VisitNoteInput, st: _NoteStyles) -> list[Flowable]:
    content = note.encounter.content
    story: list[Flowable] = [_p("Plan", st.heading)]
    if content.plan.strip():
        story.append(Paragraph(_plain(content.plan), st.body))
    else:
        story.append(_p("No plan written.", st.muted))
    plan, from_text = planned_release(content)
    if plan is not ReleasePlan.NONE:
        release = _RELEASE_WORD[plan] + (" (read from the plan text)" if from_text else "")
        story.append(_p(f"Planned tarsal tunnel release: {release}.", st.body))
    story += _gate(note, note.printed_assessment, st)
    teach = content.teach_back
    if teach.done:
        words = "Teach-back: done" + (f" \u2014 {teach.note}" if teach.note else ".")
    else:
        words = "Teach-back: not recorded" + (f" \u2014 {teach.note}" if teach.note else ".")
    story.append(_p(words, st.body))
    return story


def _signature(note: VisitNoteInput, st: _NoteStyles) -> list[Flowable]:
    enc = note.encounter
    if not enc.is_signed or enc.signed_at is None:
        return [
            Spacer(1, 4),
            _p(NOT_SIGNED, st.subheading),
            _p("This draft can still change; it is not part of the signed record.", st.muted),
        ]
    return [
        Spacer(1, 4),
        _p(f"Signed by {enc.signed_by_name} on {_long_moment(enc.signed_at)}", st.bold),
        _p(f"Content hash (SHA-256): {enc.content_hash or ''}", st.code),
    ]


_NORMAL_WORDS = frozenset(
    {"no", "negative", "normal", "5", "2+", "palpable", "felt", "able", "flexor", "none", "neutral"}
)
_PARENTHESIS = re.compile(r"\s*\([^)]*\)")


def _findings_cell(items: Sequence[tuple[str, str]]) -> str:
    """One side of one section: what is not normal with its value, then the normal by name.

    For example "Tinel result: positive; normal or negative: windlass test".
    """
    shown: list[str] = []
    normal: list[str] = []
    for label, value in items:
        if value in ("", "\u2014"):
            continue
        if value in _NORMAL_WORDS:
            normal.append(_PARENTHESIS.sub("", label))
        else:
            shown.append(f"<b>{markup(label, FONT_BOLD)}:</b> {markup(value)}")
    if len(normal) > NORMAL_LISTED:
        shown.append(f"<i>{len(normal)} {'more ' if shown else ''}items normal or negative</i>")
    elif normal:
        shown.append("<i>normal or negative:</i> " + markup(", ".join(normal)))
    return "; ".join(shown) or "not tested"


# --- page 2: every charted finding ---------------------------------------------------------------


def _findings_table(
    note: VisitNoteInput,
    exam: NeuroFootExam,
    amended: Mapping[str, int],
    st: _NoteStyles,
    width: float,
) -> list[Flowable]:
    """Every charted finding, a row per section: right and left side by side."""
    data = exam.model_dump(mode="json")
    rows: list[list[Any]] = [
        [_p("Section", st.table_bold), _p("Right", st.table_bold), _p("Left", st.table_bold)]
    ]
    commands: list[Any] = [("LINEBELOW", (0, 0), (-1, 0), 0.5, colors.black)]
    for section in note.layout.sections:
        if not section.sided:
            continue  # history, lumbar history and red flags print in full on page 1
        lines, _missing = _section_lines(section, data, amended)
        items = [line for line in lines if not line.heading]
        if not items:
            continue
        cells = [_findings_cell([(line.label, line.cells[i]) for line in items]) for i in range(2)]
        rows.append(
            [_p(section.title, st.table_bold), *(Paragraph(cell, st.table) for cell in cells)]
        )
    table = _grid(
        rows, [1.2 * inch, (width - 1.2 * inch) / 2, (width - 1.2 * inch) / 2], st, commands
    )
    table.repeatRows = 1
    return [_p("All charted findings", st.heading), table]


# --- the sensory map -----------------------------------------------------------------------------


NOTE_MAP = MapStyle(font=FONT, font_bold=FONT_BOLD)
"""The visit note draws every view, with region codes, in English."""


def _legend(width: float) -> Drawing:
    looks = (NORMAL, REDUCED, ABSENT, NOT_TESTED)
    return legend([(look, look.name) for look in looks], width, FONT, LEGEND_PT)


def _abnormal_regions(exam: NeuroFootExam, st: _NoteStyles, width: float) -> list[Flowable]:
    rows: list[list[Any]] = []
    for side in Side:
        for code, found in exam.foot(side).sensory.regions.items():
            if found.abnormal_sensation:
                name = f"{code.value} {REGIONS[code].name}"
                rows.append(
                    [
                        _p(_SIDE_WORD[side], st.table),
                        _p(name, st.table),
                        _p(_region_words(found), st.table),
                    ]
                )
    if not rows:
        return [_p("No region with reduced, absent or altered sensation was charted.", st.body)]
    header = [_p("Side", st.table_bold), _p("Region", st.table_bold), _p("Findings", st.table_bold)]
    table = _grid(
        [header, *rows],
        [0.5 * inch, width * 0.36, width - 0.5 * inch - width * 0.36],
        st,
        [("LINEBELOW", (0, 0), (-1, 0), 0.5, colors.black)],
    )
    table.repeatRows = 1
    title = _p("Regions with abnormal findings", st.subheading)
    # The title moves on with the table's header and first rows rather than end a page.
    return [CondPageBreak(st.subheading.leading + st.body.leading * 6), title, table]


def _sensory_map(
    note: VisitNoteInput,
    exam: NeuroFootExam,
    amended: Mapping[str, int],
    st: _NoteStyles,
    width: float,
) -> list[Flowable]:
    # Right and left side by side, scaled down together to fit half the width each.
    column = width / 2 - 4
    widest = max(
        side_drawing(note.geometry, side, exam.foot(side).sensory, NOTE_MAP).width for side in Side
    )
    style = NOTE_MAP
    if widest > column:
        style = replace(NOTE_MAP, scale=NOTE_MAP.scale * column / widest)
    cells: list[list[Flowable]] = []
    for side in Side:
        sensory = exam.foot(side).sensory
        title = f"{_SIDE_WORD[side]} foot and leg"
        number = _amended_number(f"{side.value}.sensory.regions", amended)
        if number is not None:
            title += f" (amended, addendum #{number})"
        if not sensory.regions:
            title += ": not examined"
        cells.append([_p(title, st.subheading), side_drawing(note.geometry, side, sensory, style)])
    drawings = Table(
        [cells],
        colWidths=[width / 2, width / 2],
        hAlign="LEFT",
        style=table_style(
            st.base,
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ],
        ),
    )
    story: list[Flowable] = [
        KeepTogether([_p("Sensory map", st.heading), _legend(width), drawings])
    ]
    return [*story, *_abnormal_regions(exam, st, width)]


# --- addenda -------------------------------------------------------------------------------------


def _addenda(note: VisitNoteInput, st: _NoteStyles) -> list[Flowable]:
    if not note.encounter.addenda:
        return []
    story = _heading("Addenda", st)
    for number, add in enumerate(note.encounter.addenda, 1):
        head = (
            f"Addendum #{number} \u2014 {_long_moment(add.signed_at)}, {add.author_name} "
            f"(hash {short_hash(add.content_hash)})"
        )
        block: list[Flowable] = [_p(head, st.subheading)]
        if add.text.strip():
            block.append(Paragraph(_plain(add.text), st.body))
        for path, value in add.findings.items():
            words = _value_words(value) or "not tested"
            block.append(
                Paragraph(
                    f"\u2022 Amended: {markup(note.layout.label_of(path))}: {markup(words)}",
                    st.body,
                )
            )
        story.append(KeepTogether(block))
    return story


# --- pages ---------------------------------------------------------------------------------------


def _watermark(canvas: Canvas, doc: Any) -> None:
    """A large diagonal DRAFT under the page's content (drawn when the page begins)."""
    width, height = LETTER
    canvas.saveState()
    canvas.setFillColor(colors.HexColor("#d9d9d9"))
    canvas.setFont(FONT_BOLD, 130)
    canvas.translate(width / 2, height / 2)
    canvas.rotate(50)
    canvas.drawCentredString(0, -45, WATERMARK)
    canvas.restoreState()


def _no_watermark(canvas: Canvas, doc: Any) -> None:
    return None


def render_visit_note(note: VisitNoteInput, *, fonts_dir: Path | None = None) -> bytes:
    """The visit note as PDF bytes; the same input always gives the same bytes.

    Args:
        note: the encounter, patient, layout, geometry, assessment and letterhead.
        fonts_dir: the folder holding the DejaVu Sans files (default: the shipped fonts).

    Raises:
        ClinicError: the print fonts cannot be loaded.
    """
    if fonts_dir is None:
        from clinic_app import resources

        fonts_dir = resources.fonts_dir()
    register_fonts(fonts_dir)
    st = _note_styles()
    enc = note.encounter
    exam, amended = effective_exam(enc)
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=LETTER,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=0.55 * inch,
        bottomMargin=0.85 * inch,
        title=f"Visit note {enc.encounter_date.isoformat()}",
        author=enc.clinician_name,
        subject="Visit note" + ("" if enc.is_signed else " (draft)"),
        creator="clinic_app",
        initialFontName=FONT,
        initialFontSize=BODY_PT,
        initialLeading=BODY_PT * 1.3,
        # Invariant mode fixes the creation date and document id: equal input, equal bytes.
        invariant=1,
    )
    width = doc.width - 2 * FRAME_PADDING
    story = [
        *_header(note, st, width),
        *_exam_summary(note, exam, amended, st),
        *_assessment(note, st),
        *_plan(note, st),
        *_signature(note, st),
    ]
    if has_abnormal_regions(exam):
        story += [
            PageBreak(),
            *_sensory_map(note, exam, amended, st, width),
            *_findings_table(note, exam, amended, st, width),
        ]
    story += _addenda(note, st)
    visit = long_date(enc.encounter_date, _ENGLISH)
    if enc.is_signed:
        status = f"Signed by {enc.signed_by_name}; hash {short_hash(enc.content_hash)}"
    else:
        status = NOT_SIGNED
    footer = (f"{_patient_name(note.patient)} \u2014 visit of {visit}", status)

    def canvas_maker(*args: Any, **kwargs: Any) -> FooterCanvas:
        return FooterCanvas(*args, footer=footer, page=_ENGLISH.page, font_pt=7.5, **kwargs)

    on_page = _no_watermark if enc.is_signed else _watermark
    doc.build(story, onFirstPage=on_page, onLaterPages=on_page, canvasmaker=canvas_maker)
    return buffer.getvalue()


class VisitNoteDataLike(Protocol):
    """What the renderer reads from ``services.encounters.VisitNoteData``."""

    @property
    def encounter(self) -> Encounter: ...  # noqa: D102

    @property
    def patient(self) -> Patient: ...  # noqa: D102

    @property
    def assessment(self) -> Assessment: ...  # noqa: D102


NoteLetterhead = Callable[[], Letterhead | None]
"""Reads the practice letterhead at render time (the practice details may change)."""


class VisitNoteRenderer:
    """Renders a visit note from what ``EncounterService.visit_note`` gathered.

    One renderer serves printing, saving, the export command and the export folder, so the
    PDF inside a FHIR export is the note the clinician prints.
    """

    def __init__(
        self,
        layout: Callable[[], FormLayout],
        geometry: Callable[[], FootMapGeometry],
        letterhead: NoteLetterhead,
    ) -> None:
        self._layout = layout
        self._geometry = geometry
        self._letterhead = letterhead

    def __call__(self, data: VisitNoteDataLike) -> bytes:
        """The note of one encounter as PDF bytes."""
        return render_visit_note(
            VisitNoteInput(
                encounter=data.encounter,
                patient=data.patient,
                layout=self._layout(),
                geometry=self._geometry(),
                assessment=data.assessment,
                letterhead=self._letterhead(),
            )
        )
