"""The visit note as a PDF: header, the exam as charted, the sensory map, assessment, signature.

The exam follows the form layout (forms/neuro_foot_exam.yaml): its section order and labels, so
a new field changes entry and print together. Only charted findings are printed as rows; what
was not tested is summed up in one line per section, never printed as blank rows, because a
blank on paper reads as normal. Findings corrected by an addendum carry its number.

The sensory map is drawn from the same geometry the screen draws (clinic_app.reports.foot_map
draws it), the left side as the mirror image of the right. States are told apart by fill,
hatching and a printed region code, so the map still reads on a black-and-white printer.

Fonts, styles, the letterhead and the "page N of M" footer are the handout renderer's; the same
input gives the same bytes (reportlab's invariant mode).
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from pathlib import Path
from typing import Any

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
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
)

from clinic_app.domain.assessment.context import planned_release
from clinic_app.domain.assessment.model import Assessment, Severity, Suggestion
from clinic_app.domain.assessment.record import Choice, ReleasePlan
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
    letterhead_flowables,
    long_date,
    markup,
    register_fonts,
    styles,
    table_style,
)

BODY_PT = 9.5
"""The note is read by clinicians at a desk: denser than a patient handout."""
NOT_TESTED_LISTED = 4
"""Up to this many untested items are named; more are counted."""
SENSORY_WIDGET = "sensory_map"
WATERMARK = "DRAFT"
NOT_SIGNED = "NOT SIGNED \u2014 DRAFT"

_ENGLISH = WORDS[HandoutLanguage.EN]
_ENUM_LIKE = re.compile(r"^[a-z0-9_+]+$")
_SEVERITY_WORD = {
    Severity.URGENT: "URGENT",
    Severity.WARNING: "WARNING",
    Severity.SUGGESTION: "SUGGESTION",
}
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
        assessment: the assessment of the effective exam (addenda applied), computed by the
            caller with ``assess_content``.
        letterhead: the practice's letterhead, or None to print none.
    """

    encounter: Encounter
    patient: Patient
    layout: FormLayout
    geometry: FootMapGeometry
    assessment: Assessment
    letterhead: Letterhead | None = None


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
    base: Styles
    """The handout's styles, for the letterhead and the table fonts."""


def _note_styles() -> _NoteStyles:
    base = styles(large_print=False)

    def derive(name: str, parent: ParagraphStyle, size: float, **extra: Any) -> ParagraphStyle:
        return ParagraphStyle(name, parent=parent, fontSize=size, leading=size * 1.3, **extra)

    return _NoteStyles(
        body=derive("note-body", base.body, BODY_PT, spaceAfter=2),
        bold=derive("note-bold", base.bold, BODY_PT, spaceAfter=2),
        muted=derive("note-muted", base.body, BODY_PT - 0.5, textColor=colors.HexColor("#333333")),
        small=derive("note-small", base.body, BODY_PT - 1.5, spaceAfter=0),
        title=derive("note-title", base.title, 17, spaceAfter=6),
        heading=derive("note-heading", base.heading, 13, spaceBefore=12, spaceAfter=4),
        subheading=derive("note-subheading", base.bold, 10.5, spaceBefore=7, spaceAfter=2),
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


# --- header --------------------------------------------------------------------------------------


def _patient_name(patient: Patient) -> str:
    return f"{patient.given_name} {patient.family_name}"


def _header(note: VisitNoteInput, st: _NoteStyles, width: float) -> list[Flowable]:
    enc, patient = note.encounter, note.patient
    story: list[Flowable] = letterhead_flowables(note.letterhead, st.base, _ENGLISH)
    story.append(_p("Visit note", st.title))
    facts = [
        ("Patient", _patient_name(patient)),
        ("Date of birth", long_date(patient.date_of_birth, _ENGLISH)),
    ]
    if patient.mrn:
        facts.append(("MRN", patient.mrn))
    facts += [
        ("Visit date", long_date(enc.encounter_date, _ENGLISH)),
        ("Reason for visit", enc.reason),
        ("Clinician", enc.clinician_name),
        ("Status", "signed" if enc.is_signed else NOT_SIGNED),
    ]
    rows = [[_p(f"{label}:", st.bold), _p(value, st.body)] for label, value in facts]
    story += [_grid(rows, [1.3 * inch, width - 1.3 * inch], st), Spacer(1, 4)]
    return story


# --- the exam ------------------------------------------------------------------------------------


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


def _section(
    section: FormSection,
    data: Mapping[str, Any],
    amended: Mapping[str, int],
    st: _NoteStyles,
    width: float,
) -> list[Flowable]:
    lines, missing = _section_lines(section, data, amended)
    title = _p(section.title, st.subheading)
    if not lines:
        return [KeepTogether([title, _p("Not examined.", st.muted)])]
    rows: list[list[Any]] = []
    commands: list[Any] = []
    columns = 3 if section.sided else 2
    if section.sided:
        rows.append(["", _p("Right", st.bold), _p("Left", st.bold)])
        commands.append(("LINEBELOW", (0, 0), (-1, 0), 0.5, colors.black))
    for line in lines:
        if line.heading:
            commands.append(("SPAN", (0, len(rows)), (-1, len(rows))))
            rows.append([_p(line.label, st.bold)] + [""] * (columns - 1))
        else:
            rows.append([_p(line.label, st.body), *(_p(cell, st.body) for cell in line.cells)])
    label_width = width * (0.4 if section.sided else 0.45)
    value_width = (width - label_width) / (columns - 1)
    table = _grid(rows, [label_width] + [value_width] * (columns - 1), st, commands)
    story: list[Flowable] = [KeepTogether([title, table])]
    if missing:
        story.append(_p(_not_tested_line(missing), st.muted))
    return story


def _exam(
    note: VisitNoteInput,
    exam: NeuroFootExam,
    amended: Mapping[str, int],
    st: _NoteStyles,
    width: float,
) -> list[Flowable]:
    data = exam.model_dump(mode="json")
    story = _heading("Examination", st)
    for section in note.layout.sections:
        story += _section(section, data, amended, st, width)
    return story


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
                        _p(_SIDE_WORD[side], st.body),
                        _p(name, st.body),
                        _p(_region_words(found), st.body),
                    ]
                )
    if not rows:
        return [_p("No region with reduced, absent or altered sensation was charted.", st.body)]
    header = [_p("Side", st.bold), _p("Region", st.bold), _p("Findings", st.bold)]
    table = _grid(
        [header, *rows],
        [0.6 * inch, width * 0.38, width - 0.6 * inch - width * 0.38],
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
    # The heading and legend stay with the first drawing: both move to a new page together.
    story: list[Flowable] = [_p("Sensory map: drawing", st.heading), _legend(width)]
    for side in Side:
        sensory = exam.foot(side).sensory
        title = f"{_SIDE_WORD[side]} foot and leg"
        number = _amended_number(f"{side.value}.sensory.regions", amended)
        if number is not None:
            title += f" (amended, addendum #{number})"
        if not sensory.regions:
            title += ": not examined"
        drawn = [_p(title, st.subheading), side_drawing(note.geometry, side, sensory, NOTE_MAP)]
        story = (
            [KeepTogether([*story, *drawn])]
            if side is Side.RIGHT
            else [*story, KeepTogether(drawn)]
        )
    return [*story, *_abnormal_regions(exam, st, width)]


# --- assessment ----------------------------------------------------------------------------------


def _suggestion(suggestion: Suggestion, note: VisitNoteInput, st: _NoteStyles) -> list[Flowable]:
    title = f"{_SEVERITY_WORD[suggestion.severity]}: {suggestion.title}"
    if suggestion.sides:
        title += f" \u2014 {', '.join(side.value for side in suggestion.sides)}"
    lines: list[Flowable] = [_p(title, st.bold)]
    if suggestion.held_back:
        lines.append(_p("Held back until the urgent red flags are acknowledged.", st.muted))
    for reason in suggestion.reasons:
        lines.append(Paragraph(f"\u2022 {markup(reason.text)}", st.body))
    if suggestion.sources:
        lines.append(_p(f"Sources: {' '.join(suggestion.sources)}", st.small))
    for code in suggestion.codes:
        text = (
            f"{code.code} {code.description} ({_word(code.laterality)}); "
            f"{code.system} {code.version}"
        )
        lines.append(_p(f"Code: {text}", st.small))
    decision = note.encounter.content.assessment.decisions.get(suggestion.key)
    if decision is None:
        verdict = "Decision: no decision"
    else:
        verdict = f"Decision: {'accepted' if decision.choice is Choice.ACCEPTED else 'dismissed'}"
        if decision.comment:
            verdict += f" \u2014 {decision.comment}"
    lines += [_p(verdict, st.body), Spacer(1, 4)]
    return [KeepTogether(lines)]


def _assessment(note: VisitNoteInput, st: _NoteStyles) -> list[Flowable]:
    assessment = note.assessment
    record = note.encounter.content.assessment
    story = _heading("Assessment", st)
    story.append(
        _p(
            "Suggestions from the clinical rules, each accepted or dismissed by the clinician; "
            "they are not diagnoses.",
            st.muted,
        )
    )
    if not assessment.suggestions:
        story.append(_p("No suggestions.", st.body))
    for suggestion in assessment.suggestions:
        story += _suggestion(suggestion, note, st)
    ack = record.red_flags_acknowledged
    if ack is not None:
        flags = ", ".join(_word(flag) for flag in ack.flags)
        story.append(
            _p(
                f"Urgent red flags ({flags}) acknowledged by {ack.by_name} on "
                f"{_long_moment(ack.at)}.",
                st.body,
            )
        )
    elif assessment.urgent_flags:
        flags = ", ".join(_word(flag) for flag in assessment.urgent_flags)
        story.append(_p(f"Urgent red flags not acknowledged: {flags}.", st.bold))
    plan, from_text = planned_release(note.encounter.content)
    release = _RELEASE_WORD[plan] + (" (read from the plan text)" if from_text else "")
    story.append(_p(f"Planned tarsal tunnel release: {release}.", st.body))
    if record.foot_primary_reason:
        story.append(
            _p(f"Why the foot is the primary source: {record.foot_primary_reason}", st.body)
        )
    if assessment.lumbar_missing:
        labels = [note.layout.label_of(path) for path in assessment.lumbar_missing]
        story.append(_p(f"Lumbar screen items not tested: {_listed_or_counted(labels)}", st.body))
    return story


# --- notes, signature, addenda -------------------------------------------------------------------


def _notes(note: VisitNoteInput, st: _NoteStyles) -> list[Flowable]:
    content = note.encounter.content
    story = _heading("Notes and plan", st)
    for title, text in (("Notes", content.notes), ("Plan", content.plan)):
        story.append(_p(title, st.subheading))
        story.append(
            Paragraph(_plain(text), st.body) if text.strip() else _p("None written.", st.muted)
        )
    return story


def _signature(note: VisitNoteInput, st: _NoteStyles) -> list[Flowable]:
    enc = note.encounter
    story = _heading("Signature", st)
    if not enc.is_signed or enc.signed_at is None:
        story.append(_p(NOT_SIGNED, st.heading))
        story.append(
            _p("This draft can still change; it is not part of the signed record.", st.body)
        )
        return story
    story.append(_p(f"Signed by {enc.signed_by_name} on {_long_moment(enc.signed_at)}", st.bold))
    story.append(_p("Content hash (SHA-256):", st.body))
    story.append(_p(enc.content_hash or "", st.small))
    return story


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
        topMargin=0.75 * inch,
        bottomMargin=1.1 * inch,
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
        *_exam(note, exam, amended, st, width),
        *_sensory_map(note, exam, amended, st, width),
        *_assessment(note, st),
        *_notes(note, st),
        *_signature(note, st),
        *_addenda(note, st),
    ]
    visit = long_date(enc.encounter_date, _ENGLISH)
    if enc.is_signed:
        status = f"Signed by {enc.signed_by_name}; hash {short_hash(enc.content_hash)}"
    else:
        status = NOT_SIGNED
    footer = (f"{_patient_name(note.patient)} \u2014 visit of {visit}", status)

    def canvas_maker(*args: Any, **kwargs: Any) -> FooterCanvas:
        return FooterCanvas(*args, footer=footer, page=_ENGLISH.page, font_pt=8.0, **kwargs)

    on_page = _no_watermark if enc.is_signed else _watermark
    doc.build(story, onFirstPage=on_page, onLaterPages=on_page, canvasmaker=canvas_maker)
    return buffer.getvalue()
