"""Load what the first print of a session needs, ahead of it (on a background thread).

Importing reportlab and the renderers, parsing the print fonts and laying out a first
paragraph cost about a third of a second once per process. Done after log-in, off the UI
thread, the first visit note or handout printed is as quick as the next.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable

_started = threading.Lock()
_done = threading.Event()


def warm_up_printing() -> None:
    """Import the renderers, register the fonts and lay out one throwaway page (idempotent)."""
    from reportlab.lib.pagesizes import LETTER
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph, SimpleDocTemplate

    from clinic_app import resources
    from clinic_app.reports import handout_pdf, visit_note_pdf
    from clinic_app.reports.fonts import FONT, FONT_BOLD, register_fonts

    del handout_pdf, visit_note_pdf  # imported for their own imports (platypus, tables)
    register_fonts(resources.fonts_dir())
    style = ParagraphStyle("warm", fontName=FONT, fontSize=10)
    doc = SimpleDocTemplate(io.BytesIO(), pagesize=LETTER, invariant=1)
    doc.build([Paragraph(f"Visit note <font name='{FONT_BOLD}'>1</font> ñ é", style)])
    try:
        import pypdfium2  # the printer path rasterises the PDF with it

        del pypdfium2
    except ImportError:  # printing says so itself when it is needed
        pass


def start_warm_up(then: Callable[[], object] | None = None) -> threading.Thread | None:
    """Run warm_up_printing, then `then` (a first real render), on a daemon thread.

    Once per process: None if it has begun already.
    """
    if not _started.acquire(blocking=False):
        return None
    thread = threading.Thread(target=_quietly, args=(then,), name="print-warm-up", daemon=True)
    thread.start()
    return thread


def warmed_up(timeout: float | None = None) -> bool:
    """Whether the warm-up has finished (waiting up to timeout seconds)."""
    return _done.wait(timeout)


def _quietly(then: Callable[[], object] | None) -> None:
    try:
        warm_up_printing()
        if then is not None:
            then()
    except Exception:  # a warm-up never fails the session; the first print reports its own error
        pass
    finally:
        _done.set()
