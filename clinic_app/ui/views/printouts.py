"""Turn what the services return into PDFs, and send a PDF where the user asked.

Rendering is reportlab (``clinic_app.reports``), imported on first use so it stays off the
start-up path. Every output is logged by the caller's service before the PDF leaves the app.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QMenu, QPushButton, QWidget

from clinic_app.domain.handouts import HandoutLanguage
from clinic_app.domain.print_queue import PrintAction
from clinic_app.services.container import Services
from clinic_app.ui.printing import PdfOutput, PrintFailed, safe_file_name

if TYPE_CHECKING:
    from datetime import date

    from clinic_app.domain.encounter import EncounterContent
    from clinic_app.domain.handouts import Handout, HandoutSide
    from clinic_app.reports.foot_map import HandoutFootMap
    from clinic_app.reports.handout_pdf import Letterhead
    from clinic_app.reports.visit_note_pdf import VisitNoteRenderer
    from clinic_app.services.encounters import VisitNoteData
    from clinic_app.services.print_queue import PrintJob


LANGUAGE_WORDS = {HandoutLanguage.EN: "English", HandoutLanguage.ES: "Spanish (Español)"}
"""How a handout's language is named on screen (in English, with its own name)."""


class Output(Enum):
    """Where a PDF goes, and how the print log names it."""

    PRINT = ("&Print...", PrintAction.PRINT)
    SAVE = ("&Save as PDF...", PrintAction.SAVE_PDF)
    VIEW = ("&Open in PDF viewer", PrintAction.OPEN_VIEWER)

    @property
    def text(self) -> str:
        """The menu text."""
        return self.value[0]

    @property
    def action(self) -> PrintAction:
        """The print-log action."""
        return self.value[1]


def letterhead(services: Services) -> Letterhead | None:
    """The practice letterhead from the practice details, or None before they are set."""
    from clinic_app.reports.handout_pdf import Letterhead

    practice = services.practice.get()
    if practice is None:
        return None
    return Letterhead(
        name=practice.name,
        address_lines=practice.address,
        phone=practice.phone,
        logo=practice.logo,
    )


def handout_copy_pdf(
    services: Services,
    handout: Handout,
    *,
    patient_name: str = "",
    side: HandoutSide | None = None,
    visit_date: date | None = None,
    clinician: str = "",
    next_steps: tuple[str, ...] = (),
    large_print: bool = False,
    foot_map: HandoutFootMap | None = None,
    clinician_copy: bool = False,
) -> bytes:
    """One personalised copy of a handout under the practice letterhead.

    The handout comes personalised from the print-queue service (``job`` or
    ``library_handout``); ``clinician_copy`` adds the teach-back prompts.
    """
    from clinic_app.reports.handout_pdf import HandoutOptions, render_handout

    options = HandoutOptions(
        letterhead=letterhead(services),
        patient_name=patient_name,
        side=side,
        visit_date=visit_date,
        clinician=clinician,
        extra_next_steps=next_steps,
        large_print=large_print,
        foot_map=foot_map,
        clinician_copy=clinician_copy,
    )
    return render_handout(handout, options)


def handout_pdf(services: Services, job: PrintJob) -> bytes:
    """One queued handout, personalised as the clinician asked when queuing it."""
    request = job.request
    return handout_copy_pdf(
        services,
        job.handout,
        patient_name=job.patient_name,
        side=request.side,
        visit_date=request.requested_at.astimezone().date(),
        clinician=request.requested_by_name,
        next_steps=job.next_steps,
        large_print=request.large_print,
    )


def note_renderer(services: Services) -> VisitNoteRenderer:
    """The visit-note renderer over the shipped layout and the practice letterhead.

    Printing, saving and exporting all render through it, so an exported PDF is the note.
    """
    from clinic_app.reports.visit_note_pdf import VisitNoteRenderer

    return VisitNoteRenderer(
        services.forms.exam_layout, services.forms.foot_map, lambda: letterhead(services)
    )


def visit_note_pdf(services: Services, data: VisitNoteData) -> bytes:
    """The visit note of one encounter as stored (a draft carries a DRAFT watermark)."""
    return note_renderer(services)(data)


def rehearse_visit_note(services: Services) -> None:
    """Render a charted draft visit note (no patient's) and paint it to a throwaway PDF printer.

    Run by the print warm-up after log-in (off the UI thread: QPainter may paint on a QPrinter
    there), so the renderer's and the print path's first-use costs are paid before the first
    real print. Nothing is read from or written to the records.
    """
    import tempfile
    from datetime import date
    from pathlib import Path

    from PySide6.QtPrintSupport import QPrinter

    from clinic_app.services.encounters import unrecorded_note
    from clinic_app.ui.printing import paint_pdf

    data = unrecorded_note(_rehearsal_content(services), "REHEARSAL", date.today())
    services.encounters.prepare_reads()
    pdf = visit_note_pdf(services, data)
    with tempfile.TemporaryDirectory() as folder:
        printer = QPrinter()
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        printer.setOutputFileName(str(Path(folder) / "rehearsal.pdf"))
        paint_pdf(printer, pdf)


def _rehearsal_content(services: Services) -> EncounterContent:
    """A draft charted as the layout's normal findings, with notes.

    The note's tables and paragraphs are then laid out as a real visit's are (a blank draft
    leaves most of them out).
    """
    from clinic_app.domain.encounter import EncounterContent
    from clinic_app.domain.exam import NeuroFootExam
    from clinic_app.domain.layout import get_path, set_path

    exam = NeuroFootExam().model_dump(mode="json")
    for section in services.forms.exam_layout().sections:
        for path, value in section.normal_values().items():
            if isinstance(get_path(exam, path), dict) and not isinstance(value, dict):
                continue  # a special widget's preset word (the sensory map's "normal")
            set_path(exam, path, value)
    text = "Rehearsal: pins and needles in the sole, worse at night; reviewed in 6 weeks."
    try:
        return EncounterContent.model_validate({"exam": exam, "notes": text, "plan": text})
    except ValueError:  # a layout whose presets do not validate: the blank draft still warms
        return EncounterContent()


def deliver(
    output: Output,
    pdf: bytes,
    title: str,
    file_name: str,
    parent: QWidget,
    pdfs: PdfOutput,
    copies: int = 1,
) -> str | None:
    """Send the PDF where asked; a one-line result for the status, or None when cancelled.

    Raises:
        PrintFailed: it could not be printed, saved or opened.
    """
    if output is Output.PRINT:
        if not pdfs.print_pdf(parent, pdf, title, copies):
            return None
        return f"Sent {title} to the printer."
    if output is Output.SAVE:
        path = pdfs.save_pdf(parent, pdf, f"{safe_file_name(file_name)}.pdf")
        return None if path is None else f"Saved {path}."
    path = pdfs.open_pdf(pdf, f"{safe_file_name(file_name)}.pdf")
    return f"Opened {title} in the PDF viewer."


def output_button(
    text: str, name: str, on_output: Callable[[Output], None], parent: QWidget | None = None
) -> QPushButton:
    """A button with a menu: Print..., Save as PDF..., Open in PDF viewer."""
    button = QPushButton(text, parent)
    button.setObjectName(name)
    menu = QMenu(button)
    for output in Output:
        action = menu.addAction(output.text)
        action.setObjectName(f"{name}_{output.name.lower()}")
        action.triggered.connect(lambda _checked=False, o=output: on_output(o))
    button.setMenu(menu)
    return button


__all__ = [
    "LANGUAGE_WORDS",
    "Output",
    "PrintFailed",
    "deliver",
    "handout_copy_pdf",
    "handout_pdf",
    "letterhead",
    "note_renderer",
    "output_button",
    "visit_note_pdf",
]
