"""The print fonts, and text that prints in any script: names, addresses and free text.

DejaVu Sans (shipped in ``resources/fonts``) covers Latin, Greek, Cyrillic, Hebrew and Arabic.
Characters it lacks (Chinese, Japanese, Korean and the like) are set in a fallback font found
on the machine: Droid Sans Fallback (Debian package ``fonts-droid-fallback``, installed by
``packaging/linux/install-system-deps.sh``) or, where present, a Noto or WenQuanYi font. Every
font is embedded as a subset, so the PDF prints the same on any printer.

Arabic is shaped (joined letter forms, ``arabic-reshaper``) and right-to-left runs are put in
display order (``python-bidi``) before reportlab lays the line out; reportlab itself does
neither without extra native packages.

Fallback fonts are parsed on first use only (Droid Sans Fallback costs about 60 ms), so a
handout in English or Spanish never pays for them.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from clinic_app.domain.errors import ClinicError

FONT = "ClinicSans"
FONT_BOLD = "ClinicSans-Bold"
_FONT_FILES = {FONT: "DejaVuSans.ttf", FONT_BOLD: "DejaVuSans-Bold.ttf"}

FALLBACK_FONT_FILES: tuple[Path, ...] = (
    Path("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf"),
    Path("/usr/share/fonts/truetype/noto/NotoSansDevanagari-Regular.ttf"),
    Path("/usr/share/fonts/truetype/noto/NotoSansThai-Regular.ttf"),
    Path("/usr/share/fonts/truetype/noto/NotoSansBengali-Regular.ttf"),
    Path("/usr/share/fonts/truetype/noto/NotoSansTamil-Regular.ttf"),
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
)
"""Fonts tried, in order, for characters DejaVu Sans lacks (TrueType outlines only)."""

_RTL = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]")
_ARABIC = re.compile("[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff]")

_lock = threading.Lock()
_loaded: Path | None = None
_fallbacks: list[tuple[str, frozenset[int] | dict[int, int]]] | None = None


def register_fonts(folder: Path) -> None:
    """Register the embedded fonts once per process (parsing them costs tens of ms)."""
    global _loaded
    with _lock:
        if _loaded == folder:
            return
        for name, filename in _FONT_FILES.items():
            path = folder / filename
            try:
                pdfmetrics.registerFont(TTFont(name, str(path)))
            except (OSError, ValueError) as exc:
                raise ClinicError(f"cannot load the print font {path}: {exc}") from None
        # <b> in a paragraph maps to the bold face; there are no italics (section 6.4).
        pdfmetrics.registerFontFamily(
            FONT, normal=FONT, bold=FONT_BOLD, italic=FONT, boldItalic=FONT_BOLD
        )
        _loaded = folder


def _covered(font: str) -> dict[int, int]:
    face = pdfmetrics.getFont(font).face  # type: ignore[attr-defined]
    return face.charToGlyph  # type: ignore[no-any-return]


def _fallback_fonts() -> list[tuple[str, frozenset[int] | dict[int, int]]]:
    """The fallback fonts found on this machine, registered on first need."""
    global _fallbacks
    with _lock:
        if _fallbacks is None:
            found: list[tuple[str, frozenset[int] | dict[int, int]]] = []
            for number, path in enumerate(FALLBACK_FONT_FILES):
                if not path.is_file():
                    continue
                name = f"ClinicFallback{number}"
                try:
                    pdfmetrics.registerFont(TTFont(name, str(path), subfontIndex=0))
                except Exception:  # a damaged or CFF-outline font is skipped, not fatal
                    continue
                found.append((name, _covered(name)))
            _fallbacks = found
        return _fallbacks


def fallback_fonts_found() -> tuple[str, ...]:
    """The names of the fallback fonts this machine has (for the self-test and messages)."""
    return tuple(name for name, _ in _fallback_fonts())


def visual_order(text: str) -> str:
    """Arabic shaped and right-to-left runs in display order; other text unchanged."""
    if not _RTL.search(text):
        return text
    from bidi import get_display

    if _ARABIC.search(text):
        import arabic_reshaper

        text = arabic_reshaper.reshape(text)
    return str(get_display(text))


def _runs(text: str, base: dict[int, int]) -> Iterator[tuple[str | None, str]]:
    """(fallback font or None for the base font, run of text)."""
    fallbacks: list[tuple[str, frozenset[int] | dict[int, int]]] | None = None
    current: str | None = None
    run: list[str] = []
    for char in text:
        code = ord(char)
        if code in base or char.isspace() or unicodedata.category(char).startswith("C"):
            font = None if current is None or not char.isspace() else current
        else:
            if fallbacks is None:
                fallbacks = _fallback_fonts()
            font = next((name for name, cmap in fallbacks if code in cmap), None)
        if font != current and run:
            yield current, "".join(run)
            run = []
        current = font
        run.append(char)
    if run:
        yield current, "".join(run)


def markup(text: str, font: str = FONT) -> str:
    """Plain text as paragraph markup that prints in any script.

    The text is escaped (it is never read as markup), Arabic is shaped, right-to-left runs are
    ordered for display, and characters the base font lacks are set in a fallback font.
    """
    if text.isascii():
        return escape(text)
    text = visual_order(text)
    base = _covered(font)
    parts = []
    for fallback, run in _runs(text, base):
        if fallback is None:
            parts.append(escape(run))
        else:
            parts.append(f'<font face="{fallback}">{escape(run)}</font>')
    return "".join(parts)


def draw_string(canvas: Any, x: float, y: float, text: str, font: str, size: float) -> None:
    """Draw one line on a canvas (a footer), each run in a font that has its characters."""
    if text.isascii():
        canvas.setFont(font, size)
        canvas.drawString(x, y, text)
        return
    for fallback, run in _runs(visual_order(text), _covered(font)):
        name = fallback or font
        canvas.setFont(name, size)
        canvas.drawString(x, y, run)
        x += pdfmetrics.stringWidth(run, name, size)
    canvas.setFont(font, size)
