"""A patient handout as a PDF: letterhead, personal details, the content, the help box, footer.

Layout follows clinical-reference.md 6.4 (older readers): body 12 pt (16 pt in large print),
line spacing about 1.5, left-aligned ragged-right text, black on white, no italics or capitals,
bullets and boxes as visual cues. Actionability follows 6.2-6.5: the summary box opens with the
one thing to do, next steps are numbered, and every handout ends with the "when to get help"
box (call 911 now / call us today, with the practice's phone number in the box). Teach-back
prompts print only on the clinician copy.

DejaVu Sans is embedded (subset) so every accented Spanish letter and the opening marks print
on any printer and in any viewer; names and free text in other scripts print through the
fallback fonts of ``clinic_app.reports.fonts`` (CJK, shaped right-to-left Arabic).

The same handout and options give the same bytes (reportlab's invariant mode, fixed metadata),
so a print can be reproduced and compared.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import inch
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    Image,
    KeepTogether,
    ListFlowable,
    ListItem,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from clinic_app.domain.handouts import (
    SIDE_NAMES,
    Block,
    DrivingAdvice,
    Handout,
    HandoutContext,
    HandoutLanguage,
    HelpBox,
    Section,
    personalise,
)
from clinic_app.domain.handouts import HandoutSide as HandoutSide  # re-exported for callers

# Re-exported: the visit note and older callers take the fonts from here.
from clinic_app.reports.fonts import FONT as FONT
from clinic_app.reports.fonts import FONT_BOLD as FONT_BOLD
from clinic_app.reports.fonts import draw_string
from clinic_app.reports.fonts import markup as markup
from clinic_app.reports.fonts import register_fonts as register_fonts
from clinic_app.reports.foot_map import (
    HANDOUT_LARGE_SCALE,
    HANDOUT_MAP_MAX_PT,
    HANDOUT_MAP_WORDS,
    HANDOUT_SCALE,
    handout_legend,
    handout_side_drawing,
)
from clinic_app.reports.foot_map import HandoutFootMap as HandoutFootMap  # re-exported for callers
from clinic_app.reports.foot_map import handout_style as handout_map_style

BODY_PT = 12.0
"""Body text size: 12 pt is the minimum the leaflet guidelines recommend (section 6.4)."""
LARGE_BODY_PT = 16.0
"""Body text size in large print."""
LINE_SPACING = 1.5
MARGIN = 0.85 * inch
FRAME_PADDING = 6.0
"""reportlab's default frame padding: the text starts this far inside the margin."""
LOGO_MAX_HEIGHT = 0.8 * inch
LOGO_MAX_WIDTH = 1.6 * inch
CHECKBOX = "\u2610"  # ☐, drawn from the embedded font


@dataclass(frozen=True)
class Letterhead:
    """The practice's name, address and phone, and an optional logo image file.

    A logo that is missing or cannot be read is left out; the print goes ahead without it.
    """

    name: str
    address_lines: tuple[str, ...] = ()
    phone: str = ""
    logo: Path | bytes | None = None
    """An image file, or the image's bytes (PNG or JPEG) as the practice settings hold it."""


@dataclass(frozen=True)
class HandoutOptions:
    """How one copy of a handout is personalised.

    The language is the handout's own (``Handout.language``); the printed labels follow it.

    Attributes:
        letterhead: the practice's letterhead, or None to print none.
        patient_name: printed at the top; empty to leave it out.
        side: which foot, or None to leave it out.
        visit_date: the date printed at the top, or None to leave it out.
        clinician: who gave the handout; empty to leave it out.
        extra_next_steps: steps the clinician ticked, printed under the handout's next steps.
        large_print: body text of 16 pt instead of 12 pt, headings larger to match.
        foot_map: a simple sensory map of the patient's own foot, printed after the summary
            when it marks a region with less or no feeling; None to print no map.
        context: the visit and the practice's settings the copy is personalised for (which
            blocks print, the fever threshold, the surgeon's plan and driving words); None
            prints the neutral wording.
        clinician_copy: the clinician's copy: marked as such, with the teach-back prompts.
    """

    letterhead: Letterhead | None = None
    patient_name: str = ""
    side: HandoutSide | None = None
    visit_date: date | None = None
    clinician: str = ""
    extra_next_steps: tuple[str, ...] = field(default_factory=tuple)
    large_print: bool = False
    foot_map: HandoutFootMap | None = None
    context: HandoutContext | None = None
    clinician_copy: bool = False


@dataclass(frozen=True)
class _Words:
    patient: str
    side: str
    date: str
    clinician: str
    phone: str
    sides: dict[HandoutSide, str]
    months: tuple[str, ...]
    date_format: str
    extra_steps: str
    when: str
    what: str
    teach_back: str
    teach_back_done: str
    clinician_copy: str
    no_phone: str
    page: str
    version: str
    reviewed: str
    reviewer: str


WORDS = {
    HandoutLanguage.EN: _Words(
        patient="Patient",
        side="Side",
        date="Date",
        clinician="Clinician",
        phone="Phone",
        sides=SIDE_NAMES[HandoutLanguage.EN],
        months=(
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ),
        date_format="{month} {day}, {year}",
        extra_steps="Your clinician also asks you to:",
        when="When",
        what="What happens",
        teach_back="For your care team: check understanding",
        teach_back_done="Teach-back done",
        clinician_copy="Clinician copy: not for the patient",
        no_phone="(write the clinic's number here)",
        page="Page {page} of {pages}",
        version="version",
        reviewed="reviewed",
        reviewer="by",
    ),
    HandoutLanguage.ES: _Words(
        patient="Paciente",
        side="Lado",
        date="Fecha",
        clinician="Profesional",
        phone="Teléfono",
        sides=SIDE_NAMES[HandoutLanguage.ES],
        months=(
            "enero",
            "febrero",
            "marzo",
            "abril",
            "mayo",
            "junio",
            "julio",
            "agosto",
            "septiembre",
            "octubre",
            "noviembre",
            "diciembre",
        ),
        date_format="{day} de {month} de {year}",
        extra_steps="Además, su profesional de salud le pide:",
        when="Cuándo",
        what="Qué pasa",
        teach_back="Para su equipo de salud: comprobar que se entendió",
        teach_back_done="Comprobación hecha (teach-back)",
        clinician_copy="Copia del profesional: no es para el paciente",
        no_phone="(escriba aquí el número de la clínica)",
        page="Página {page} de {pages}",
        version="versión",
        reviewed="revisado",
        reviewer="por",
    ),
}


def side_label(side: HandoutSide, language: HandoutLanguage) -> str:
    """The printed words for a side ("Right foot", "Pie derecho")."""
    return WORDS[language].sides[side]


def long_date(day: date, words: _Words) -> str:
    """A date written out in the handout's language ("May 4, 2026", "4 de mayo de 2026")."""
    month = words.months[day.month - 1]
    return words.date_format.format(month=month, day=day.day, year=day.year)


# --- styles -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Styles:
    """The paragraph styles of one document (normal or large print)."""

    body: ParagraphStyle
    bold: ParagraphStyle
    title: ParagraphStyle
    heading: ParagraphStyle
    practice: ParagraphStyle
    small: ParagraphStyle
    footer_pt: float


def styles(large_print: bool) -> Styles:
    """The styles for normal print (12 pt body) or large print (16 pt body)."""
    body_pt = LARGE_BODY_PT if large_print else BODY_PT
    heading_pt = body_pt + 2
    title_pt = body_pt + 6
    small_pt = body_pt - 1

    def style(
        name: str, size: float, font: str = FONT, spacing: float = LINE_SPACING, **extra: Any
    ) -> ParagraphStyle:
        return ParagraphStyle(
            name,
            fontName=font,
            fontSize=size,
            leading=size * spacing,
            alignment=TA_LEFT,
            textColor=colors.black,
            **extra,
        )

    return Styles(
        body=style("body", body_pt, spaceAfter=body_pt * 0.5),
        bold=style("bold", body_pt, FONT_BOLD, spaceAfter=body_pt * 0.5),
        title=style("title", title_pt, FONT_BOLD, spacing=1.25, spaceAfter=title_pt),
        heading=style(
            "heading",
            heading_pt,
            FONT_BOLD,
            spacing=1.3,
            spaceBefore=heading_pt * 0.9,
            spaceAfter=heading_pt * 0.35,
        ),
        practice=style("practice", small_pt, spacing=1.3),
        small=style("small", small_pt),
        footer_pt=max(9.0, body_pt - 4),
    )


def table_style(st: Styles, commands: list[Any]) -> TableStyle:
    """A table style that uses the embedded font in every cell."""
    # A table sets its own cell font (Helvetica 10 unless told), even when every cell holds a
    # paragraph; set the embedded font so no unembedded font is referenced.
    font = [("FONTNAME", (0, 0), (-1, -1), FONT), ("FONTSIZE", (0, 0), (-1, -1), st.body.fontSize)]
    return TableStyle([*font, *commands])


def _para(text: str, style: ParagraphStyle) -> Paragraph:
    # Handout text and names are plain text: escaped, and set in a font that has their script.
    return Paragraph(markup(text, style.fontName), style)


# --- the story ----------------------------------------------------------------------------------


def _bullets(lines: Iterable[str], st: Styles, bullet: str = "•") -> ListFlowable:
    size = st.body.fontSize
    items: list[Any] = [ListItem(_para(line, st.body), value=bullet) for line in lines]
    return ListFlowable(
        items,
        bulletType="bullet",
        start=bullet,
        bulletFontName=FONT,
        bulletFontSize=size,
        leftIndent=size * 1.6,
        bulletOffsetY=0,
    )


def _numbered(lines: Iterable[str], st: Styles, start: int, box: bool = False) -> ListFlowable:
    """Numbered steps from ``start`` (PEMAT-P: actions broken into explicit steps)."""
    size = st.body.fontSize
    prefix = f"{CHECKBOX} " if box else ""
    items: list[Any] = [
        ListItem(_para(f"{prefix}{line}", st.body), value=number)
        for number, line in enumerate(lines, start=start)
    ]
    return ListFlowable(
        items,
        bulletType="1",
        start=start,
        bulletFormat="%s.",
        bulletFontName=FONT_BOLD,
        bulletFontSize=size,
        leftIndent=size * 2.0,
        bulletOffsetY=0,
    )


def _block(block: Block, st: Styles) -> Flowable:
    if block.items is not None:
        return _bullets(block.items, st)
    return _para(block.text or "", st.body)


def _heading(text: str, st: Styles) -> list[Flowable]:
    # A heading never ends a page: it moves on when fewer than two body lines fit below it.
    # (keepWithNext would move a whole long paragraph with it and leave a large gap.)
    heading = st.heading.spaceBefore + st.heading.leading + st.heading.spaceAfter
    needed = heading + st.body.leading * 2
    return [CondPageBreak(needed), _para(text, st.heading)]


def _section(section: Section, st: Styles) -> list[Flowable]:
    return [*_heading(section.heading, st), *(_block(b, st) for b in section.blocks)]


def logo_image(source: Path | bytes | None) -> Image | None:
    """The practice logo scaled to the letterhead's box, or None when missing or unreadable."""
    if source is None:
        return None

    def opened() -> str | io.BytesIO:
        return io.BytesIO(source) if isinstance(source, bytes) else str(source)

    try:
        width, height = ImageReader(opened()).getSize()
        scale = min(LOGO_MAX_HEIGHT / height, LOGO_MAX_WIDTH / width)
        return Image(opened(), width=width * scale, height=height * scale)
    except Exception:
        return None


def letterhead_flowables(
    letterhead: Letterhead | None, st: Styles, words: _Words
) -> list[Flowable]:
    """The practice's name, address, phone and logo (nothing when there is no letterhead)."""
    if letterhead is None:
        return []
    bold = markup(letterhead.name, FONT_BOLD)
    lines = [f"<b>{bold}</b>"] if letterhead.name.strip() else []
    lines += [markup(line) for line in letterhead.address_lines if line.strip()]
    if letterhead.phone.strip():
        lines.append(f"{words.phone}: {escape(letterhead.phone)}")
    text = [Paragraph(line, st.practice) for line in lines]
    logo = logo_image(letterhead.logo)
    if logo is None and not text:
        return []
    if logo is None:
        return [*text, Spacer(1, st.body.fontSize)]
    table = Table(
        [[logo, text]],
        colWidths=[logo.drawWidth + 0.2 * inch, None],
        hAlign="LEFT",
        style=table_style(
            st,
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ],
        ),
    )
    return [table, Spacer(1, st.body.fontSize)]


def _personal(options: HandoutOptions, st: Styles, words: _Words) -> list[Any]:
    rows: list[tuple[str, str]] = []
    if options.patient_name.strip():
        rows.append((words.patient, options.patient_name.strip()))
    if options.side is not None:
        rows.append((words.side, words.sides[options.side]))
    if options.visit_date is not None:
        rows.append((words.date, long_date(options.visit_date, words)))
    if options.clinician.strip():
        rows.append((words.clinician, options.clinician.strip()))
    if not rows:
        return []
    data = [[_para(f"{label}:", st.bold), _para(value, st.body)] for label, value in rows]
    label_width = max(
        pdfmetrics.stringWidth(f"{label}:", FONT_BOLD, st.body.fontSize) for label, _ in rows
    )
    table = Table(
        data,
        colWidths=[label_width + st.body.fontSize, None],
        hAlign="LEFT",
        style=table_style(
            st,
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 0),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 0),
            ],
        ),
    )
    return [table, Spacer(1, st.body.fontSize * 0.5)]


def _boxed(content: list[Flowable], st: Styles, *, rule: float = 1.0) -> Table:
    # A light box: a visual cue without reverse (light-on-dark) text. One row per flowable, so
    # a box taller than a page (large print) splits between rows and keeps its frame.
    pad = st.body.fontSize * 0.6
    return Table(
        [[item] for item in content],
        hAlign="LEFT",
        splitByRow=1,
        style=table_style(
            st,
            [
                ("BOX", (0, 0), (-1, -1), rule, colors.black),
                ("BACKGROUND", (0, 0), (-1, -1), colors.HexColor("#F2F2F2")),
                ("LEFTPADDING", (0, 0), (-1, -1), pad),
                ("RIGHTPADDING", (0, 0), (-1, -1), pad),
                # A cell drops its last paragraph's space after: put it back as padding.
                ("TOPPADDING", (0, 0), (-1, -1), 0),
                ("BOTTOMPADDING", (0, 0), (-1, -1), st.body.spaceAfter),
                ("TOPPADDING", (0, 0), (-1, 0), pad),
            ],
        ),
    )


def _summary(handout: Handout, st: Styles) -> Table:
    """The summary box: the one thing to do, in bold, then the main message."""
    return _boxed([_para(handout.do_first, st.bold), _block(handout.summary, st)], st)


def _timeline(handout: Handout, st: Styles, words: _Words, width: float) -> list[Flowable]:
    timeline = handout.timeline
    if timeline is None:
        return []
    rows = [[_para(words.when, st.bold), _para(words.what, st.bold)]]
    rows += [
        [_para(step.when or "", st.body), _para(step.what, st.body)] for step in timeline.steps
    ]
    pad = st.body.fontSize * 0.4
    table = Table(
        rows,
        colWidths=[width * 0.3, width * 0.7],
        repeatRows=1,
        hAlign="LEFT",
        style=table_style(
            st,
            [
                ("GRID", (0, 0), (-1, -1), 0.75, colors.black),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#F2F2F2")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), pad),
                ("RIGHTPADDING", (0, 0), (-1, -1), pad),
                ("TOPPADDING", (0, 0), (-1, -1), pad),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 0),
            ],
        ),
    )
    story: list[Flowable] = [
        *_heading(timeline.heading, st),
        _para(timeline.intro, st.body),
        table,
        Spacer(1, st.body.fontSize * 0.5),
    ]
    if timeline.note is not None:
        story.append(_block(timeline.note, st))
    return story


def _foot_map(
    foot_map: HandoutFootMap | None,
    language: HandoutLanguage,
    st: Styles,
    words: _Words,
    width: float,
) -> list[Flowable]:
    """The patient's own sensory map: heading, one line, legend, then each side's drawing."""
    # A foot with nothing marked would tell the patient nothing: no map at all then.
    if foot_map is None or not foot_map.shows_anything:
        return []
    map_words = HANDOUT_MAP_WORDS[language]
    # Large print keeps the map's words at 13 pt, so both feet still fit side by side.
    text_pt = min(st.small.fontSize, HANDOUT_MAP_MAX_PT)
    large = st.body.fontSize >= LARGE_BODY_PT
    scale = HANDOUT_LARGE_SCALE if large else HANDOUT_SCALE
    style = handout_map_style(language, FONT, FONT_BOLD, text_pt, scale)
    sides = [
        [
            _para(words.sides[HandoutSide(side.value)], st.bold),
            handout_side_drawing(foot_map, side, style),
        ]
        for side in foot_map.drawn_sides
    ]
    head: list[Flowable] = [
        _para(map_words.heading, st.heading),
        _para(map_words.intro, st.body),
        handout_legend(language, width, FONT, text_pt),
        Spacer(1, st.body.fontSize * 0.5),
    ]
    gap = st.body.fontSize * 2
    side_by_side = sum(drawing.width for _, drawing in sides) + gap * (len(sides) - 1)
    if len(sides) > 1 and side_by_side <= width:
        # Right then left on one row, as the patient looks down at both feet.
        cells = Table(
            [[list(side) for side in sides]],
            colWidths=[drawing.width + gap for _, drawing in sides[:-1]] + [None],
            hAlign="LEFT",
            style=table_style(
                st,
                [
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LEFTPADDING", (0, 0), (-1, -1), 0),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ],
            ),
        )
        return [KeepTogether([*head, cells]), Spacer(1, st.body.fontSize * 0.5)]
    # One under the other: the heading moves on with the first side.
    story: list[Flowable] = [KeepTogether([*head, *sides[0]])]
    story += [KeepTogether(list(side)) for side in sides[1:]]
    return [*story, Spacer(1, st.body.fontSize * 0.5)]


def _next_steps(handout: Handout, options: HandoutOptions, st: Styles, words: _Words) -> list[Any]:
    """What to do next: every list a numbered step, the clinician's ticked steps numbered on."""
    story: list[Any] = _heading(handout.next_steps.heading, st)
    number = 1
    for block in handout.next_steps.blocks:
        if block.items is not None:
            story.append(_numbered(block.items, st, number))
            number += len(block.items)
        else:
            story.append(_block(block, st))
    extra = [step for step in (s.strip() for s in options.extra_next_steps) if step]
    if extra:
        story.append(
            KeepTogether([_para(words.extra_steps, st.bold), _numbered(extra, st, number, True)])
        )
    return story


def _driving(driving: DrivingAdvice | None, language: HandoutLanguage, st: Styles) -> list[Any]:
    """Driving again: the conditions to check, then the surgeon's words or "ask your surgeon"."""
    if driving is None:
        return []
    story: list[Any] = [*_heading(driving.heading, st), *(_block(b, st) for b in driving.blocks)]
    if driving.surgeon:
        names = SIDE_NAMES[language]
        lines = [f"{names[entry.side]}: {entry.text}" for entry in driving.surgeon]
        story.append(KeepTogether([_para(driving.surgeon_intro, st.bold), _bullets(lines, st)]))
    else:
        story.append(_para(driving.ask_surgeon, st.bold))
    return story


def _get_help(help_box: HelpBox, phone: str, st: Styles, words: _Words) -> Flowable:
    """The "when to get help" box: call 911 now, call us today, and the practice's number."""
    content: list[Flowable] = [_para(help_box.heading, st.heading)]
    for group in help_box.groups():
        content.append(_para(group.label, st.bold))
        for block in group.blocks:
            content.append(_block(block, st))
    number = phone.strip() or words.no_phone
    content.append(_para(f"{help_box.phone_label} {number}", st.title))
    return KeepTogether([Spacer(1, st.body.fontSize * 0.5), _boxed(content, st, rule=2.0)])


def _teach_back(handout: Handout, st: Styles, words: _Words) -> Flowable:
    return KeepTogether(
        [
            _para(words.teach_back, st.heading),
            _bullets(handout.teach_back, st),
            _para(f"{CHECKBOX} {words.teach_back_done}", st.body),
        ]
    )


def _story(handout: Handout, options: HandoutOptions, st: Styles, width: float) -> list[Any]:
    words = WORDS[handout.language]
    story: list[Any] = letterhead_flowables(options.letterhead, st, words)
    if options.clinician_copy:
        story.append(_para(words.clinician_copy, st.bold))
    story.append(_para(handout.title, st.title))
    story += _personal(options, st, words)
    story.append(_summary(handout, st))
    story += _foot_map(options.foot_map, handout.language, st, words, width)
    for section in handout.sections:
        story += _section(section, st)
    story += _timeline(handout, st, words, width)
    story += _driving(handout.driving, handout.language, st)
    story += _next_steps(handout, options, st, words)
    phone = options.letterhead.phone if options.letterhead is not None else ""
    story.append(_get_help(handout.get_help, phone, st, words))
    if options.clinician_copy:
        story.append(_teach_back(handout, st, words))
    return story


# --- pages --------------------------------------------------------------------------------------


class FooterCanvas(Canvas):
    """Holds pages back until the end so each footer can say "page N of M".

    The footer has two lines: the handout id, version and language with the page count, then
    the date this language version was last reviewed and who reviewed it.
    """

    def __init__(
        self, *args: Any, footer: tuple[str, str], page: str, font_pt: float, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self._page_width = float(kwargs.get("pagesize", LETTER)[0])
        self._footer = footer
        self._page_text = page
        self._font_pt = font_pt
        self._pages: list[dict[str, Any]] = []

    def showPage(self) -> None:  # noqa: N802 - reportlab's name
        """Keep the page instead of writing it: its footer needs the page count.

        This is reportlab's own "page N of M" recipe, which restarts a blank page the same way.
        """
        self._pages.append(dict(self.__dict__))
        self._startPage()  # type: ignore[attr-defined]

    def save(self) -> None:
        """Draw every footer now that the page count is known, then write the file."""
        total = len(self._pages)
        for state in self._pages:
            self.__dict__.update(state)
            self._draw_footer(total)
            super().showPage()
        super().save()

    def _draw_footer(self, total: int) -> None:
        left = MARGIN + FRAME_PADDING
        right = self._page_width - MARGIN - FRAME_PADDING
        leading = self._font_pt * 1.4
        second = 0.45 * inch
        first = second + leading
        self.setStrokeColor(colors.black)
        self.setLineWidth(0.5)
        self.line(left, first + leading, right, first + leading)
        self.setFillColor(colors.black)
        self.setFont(FONT, self._font_pt)
        draw_string(self, left, first, self._footer[0], FONT, self._font_pt)
        page = self._page_text.format(page=self.getPageNumber(), pages=total)
        self.drawRightString(right, first, page)
        draw_string(self, left, second, self._footer[1], FONT, self._font_pt)


def render_handout(
    handout: Handout, options: HandoutOptions, *, fonts_dir: Path | None = None
) -> bytes:
    """One handout as PDF bytes; the same handout and options always give the same bytes.

    Args:
        handout: the content, in its language.
        options: letterhead, patient details, ticked next steps, large print, the visit and
            practice settings the copy depends on, patient or clinician copy.
        fonts_dir: the folder holding the DejaVu Sans files (default: the shipped fonts).

    Raises:
        ClinicError: the print fonts cannot be loaded.
    """
    if fonts_dir is None:
        from clinic_app import resources

        fonts_dir = resources.fonts_dir()
    register_fonts(fonts_dir)
    handout = personalise(handout, options.context)
    words = WORDS[handout.language]
    st = styles(options.large_print)
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=LETTER,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=0.75 * inch,
        bottomMargin=1.25 * inch,
        title=handout.title,
        author=options.letterhead.name if options.letterhead else "",
        subject=f"{handout.id} {words.version} {handout.version} ({handout.language.value})",
        creator="clinic_app",
        keywords=[handout.id, f"v{handout.version}", handout.language.value],
        lang=handout.language.value,
        # Every page starts in the embedded font, so no unembedded Helvetica is referenced.
        initialFontName=FONT,
        initialFontSize=st.body.fontSize,
        initialLeading=st.body.leading,
        # Invariant mode fixes the creation date and document id: equal input, equal bytes.
        invariant=1,
    )
    footer = (
        f"{handout.id} {words.version} {handout.version} ({handout.language.value})",
        f"{words.reviewed} {long_date(handout.review_date, words)} "
        f"{words.reviewer} {handout.reviewer}",
    )

    def canvas_maker(*args: Any, **kwargs: Any) -> FooterCanvas:
        return FooterCanvas(*args, footer=footer, page=words.page, font_pt=st.footer_pt, **kwargs)

    width = doc.width - 2 * FRAME_PADDING
    doc.build(_story(handout, options, st, width), canvasmaker=canvas_maker)
    return buffer.getvalue()
