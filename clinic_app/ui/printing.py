"""Where a PDF goes from the screen: the printer (Qt print dialog), a file, or the system viewer.

``PdfOutput`` is a seam like ``Dialogs``: the real one opens the print and file dialogs; tests
swap in one that records what was asked. Printing draws each page rendered by PDFium
(pypdfium2) onto the printer at up to ``PRINT_DPI``, so what prints is what the PDF shows.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

from PySide6.QtCore import QRectF, QStandardPaths, QUrl
from PySide6.QtGui import QDesktopServices, QImage, QPainter
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import QFileDialog, QWidget

from clinic_app.services.files import write_atomically
from clinic_app.services.private_files import VIEWER_PREFIX

PRINT_DPI = 300
"""Pages are rendered at the printer's resolution, but never above this (memory)."""


VIEWER_FILE_NAME = "clinic-document.pdf"
"""The one name of every viewer copy: nothing about the patient or the document."""
_viewer_folders: list[Path] = []


class PrintFailed(Exception):
    """The PDF could not be printed, saved or opened; the message says why."""


def safe_file_name(text: str) -> str:
    """A file name made of the text's letters, digits and dashes (for suggested names)."""
    cleaned = re.sub(r"[^\w-]+", "-", text, flags=re.UNICODE).strip("-")
    return cleaned[:80] or "document"


def write_pdf(path: Path, pdf: bytes) -> None:
    """Write the PDF through a temporary file and a rename: never a half-written file.

    Raises:
        PrintFailed: the folder cannot be written (full disk, no permission).
    """
    try:
        write_atomically(path, pdf)
    except OSError as exc:
        raise PrintFailed(f"Cannot write {path}: {exc.strerror or exc}.") from None


def paint_pdf(printer: QPrinter, pdf: bytes) -> int:
    """Draw every page of the PDF on the printer, one sheet per page; the number of pages.

    Raises:
        PrintFailed: the PDF cannot be read or the printer cannot be started.
    """
    import pypdfium2 as pdfium  # only when printing: keeps it off the start-up path

    try:
        document = pdfium.PdfDocument(pdf)
    except pdfium.PdfiumError as exc:
        raise PrintFailed(f"The PDF cannot be read ({exc}).") from None
    painter = QPainter()
    if not painter.begin(printer):
        document.close()
        raise PrintFailed("The printer could not be started; check that it is on and connected.")
    try:
        dpi = min(printer.resolution(), PRINT_DPI)
        pages = len(document)
        for index in range(pages):
            if index and not printer.newPage():
                raise PrintFailed("The printer stopped taking pages.")
            page = document[index]
            bitmap = page.render(scale=dpi / 72, rev_byteorder=True)
            image = QImage(
                bitmap.buffer,
                bitmap.width,
                bitmap.height,
                bitmap.stride,
                QImage.Format.Format_RGB888,
            )
            area = QRectF(painter.viewport())
            # Fit the page inside the printable area, keeping its proportions.
            scale = min(area.width() / image.width(), area.height() / image.height())
            target = QRectF(0, 0, image.width() * scale, image.height() * scale)
            painter.drawImage(target, image)
            page.close()
        return pages
    finally:
        painter.end()
        document.close()


class PdfOutput:
    """Print, save or open a PDF (the real dialogs)."""

    def print_pdf(self, parent: QWidget | None, pdf: bytes, title: str, copies: int = 1) -> bool:
        """Ask for a printer in the Qt print dialog and print; False when cancelled.

        Raises:
            PrintFailed: printing could not start or the PDF is unreadable.
        """
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setDocName(title)
        printer.setCopyCount(copies)
        dialog = QPrintDialog(printer, parent)
        dialog.setWindowTitle(f"Print {title}")
        if dialog.exec() != QPrintDialog.DialogCode.Accepted:
            return False
        paint_pdf(printer, pdf)
        return True

    def save_pdf(self, parent: QWidget | None, pdf: bytes, suggested_name: str) -> Path | None:
        """Ask where to save, then write the file; its path, or None when cancelled.

        Raises:
            PrintFailed: the file cannot be written.
        """
        folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
        name, _filter = QFileDialog.getSaveFileName(
            parent, "Save PDF", str(Path(folder) / suggested_name), "PDF files (*.pdf)"
        )
        if not name:
            return None
        path = Path(name)
        if path.suffix.lower() != ".pdf":
            path = path.with_name(path.name + ".pdf")
        write_pdf(path, pdf)
        return path

    def open_pdf(self, pdf: bytes, name: str) -> Path:
        """Write the PDF to a private temporary folder and open it in the system's viewer.

        The copy is named after nothing in it (``name`` is not used for it: it holds the
        patient's name, and temporary folders are listed by anyone on the computer); it is
        deleted when the app quits, or at the next start after a crash.

        Raises:
            PrintFailed: the file cannot be written or no viewer opens it.
        """
        del name  # suggested names carry the patient's name: never used for a temporary file
        folder = Path(tempfile.mkdtemp(prefix=VIEWER_PREFIX))
        path = folder / VIEWER_FILE_NAME
        try:
            write_pdf(path, pdf)
        except PrintFailed:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        _viewer_folders.append(folder)
        if not QDesktopServices.openUrl(QUrl.fromLocalFile(str(path))):
            raise PrintFailed(f"No PDF viewer opened {path}; open it yourself or save it instead.")
        return path


def remove_viewer_copies() -> int:
    """Delete the viewer copies this process wrote (when the app quits); how many."""
    removed = 0
    while _viewer_folders:
        folder = _viewer_folders.pop()
        shutil.rmtree(folder, ignore_errors=True)
        removed += 1
    return removed
