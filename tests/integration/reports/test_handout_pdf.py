"""Handout PDFs read back with pypdf: every word printed, fonts embedded, sizes, same bytes."""

from __future__ import annotations

import io
import re
from collections import Counter
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from pypdf import PdfReader
from pypdf.generic import DictionaryObject

from clinic_app import resources
from clinic_app.domain.handouts import Block, Handout, HandoutLanguage
from clinic_app.reports.handout_pdf import (
    BODY_PT,
    LARGE_BODY_PT,
    HandoutOptions,
    HandoutSide,
    Letterhead,
    render_handout,
    side_label,
)
from clinic_app.services.handouts import HandoutLibrary

LIBRARY = HandoutLibrary(resources.handouts_dir())
ALL = [(h.id, h.language.value) for h in LIBRARY.load_all()]
FONT_SIZE = re.compile(rb"/[A-Za-z0-9+_.-]+ ([0-9.]+) Tf")

PAGE = {
    HandoutLanguage.EN: "Page {page} of {pages}",
    HandoutLanguage.ES: "Página {page} de {pages}",
}
VERSION = {HandoutLanguage.EN: "version", HandoutLanguage.ES: "versión"}

OPTIONS = HandoutOptions(
    letterhead=Letterhead(
        name="Lakeside Foot & Ankle Clinic",
        address_lines=("200 Harbor Road, Suite 4", "Duluth, MN 55802"),
        phone="(218) 555-0142",
    ),
    patient_name="María José Núñez",
    side=HandoutSide.RIGHT,
    visit_date=date(2026, 5, 4),
    clinician="Dr. Sam Okafor",
    extra_next_steps=("Wear the night splint every night for six weeks.",),
)


def flat(text: str) -> str:
    """Whitespace collapsed, so a line wrapped in the PDF still matches."""
    return " ".join(text.split())


def pages_text(pdf: bytes) -> list[str]:
    return [flat(page.extract_text()) for page in PdfReader(io.BytesIO(pdf)).pages]


def without_footer(page: str, handout: Handout) -> str:
    """A page's text without its footer (id and version, page N of M, review date)."""
    footer = re.compile(
        rf" ?{re.escape(handout.id)} {VERSION[handout.language]} {handout.version} "
        rf"(Page|Página) \d+ (of|de) \d+ (reviewed|revisado) .*$"
    )
    return footer.sub("", page)


def block_lines(blocks: list[Block]) -> list[str]:
    return [line for block in blocks for line in block.lines()]


def printed_lines(handout: Handout) -> list[str]:
    """Every line a patient reads, plus the teach-back prompts (timeline steps as cells)."""
    lines = [handout.title, *handout.summary.lines()]
    for section in handout.all_sections():
        lines += [section.heading, *block_lines(list(section.blocks))]
    if handout.timeline is not None:
        timeline = handout.timeline
        lines += [timeline.heading, timeline.intro]
        lines += [part for step in timeline.steps for part in (step.when, step.what)]
        if timeline.note is not None:
            lines += timeline.note.lines()
    return [*lines, *handout.teach_back]


def font_sizes(pdf: bytes) -> Counter[float]:
    sizes: Counter[float] = Counter()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        contents = page.get_contents()
        assert contents is not None
        for match in FONT_SIZE.finditer(contents.get_data()):
            sizes[float(match.group(1))] += 1
    return sizes


@pytest.mark.parametrize(("handout_id", "language"), ALL)
def test_every_handout_prints_all_its_words_and_the_personal_details(
    handout_id: str, language: str
) -> None:
    handout = LIBRARY.get(handout_id, language)
    pages = pages_text(render_handout(handout, OPTIONS))
    for number, page in enumerate(pages, start=1):
        assert PAGE[handout.language].format(page=number, pages=len(pages)) in page
        assert f"{handout.id} {VERSION[handout.language]} {handout.version}" in page
    # Without the footers, a paragraph that runs over a page break reads as one.
    text = " ".join(without_footer(page, handout) for page in pages)
    for line in printed_lines(handout):
        assert flat(line) in text, line
    assert "María José Núñez" in text
    assert side_label(HandoutSide.RIGHT, handout.language) in text
    assert "Dr. Sam Okafor" in text
    assert "Lakeside Foot & Ankle Clinic" in text
    assert "Wear the night splint every night for six weeks." in text
    if handout.language is HandoutLanguage.ES:
        assert "¿" in text
        assert "ñ" in text
        assert "Página 1 de" in pages[0]


def test_spanish_letters_survive_in_every_part_of_the_page() -> None:
    handout = LIBRARY.get("tarsal-tunnel-release", "es")
    options = replace(
        OPTIONS,
        patient_name="Íñigo Güell Ñúñez",
        extra_next_steps=("¡Camine con cuidado! ¿Dudas? Llámenos.",),
        side=HandoutSide.BOTH,
    )
    text = " ".join(pages_text(render_handout(handout, options)))
    for word in ("Íñigo Güell Ñúñez", "¡Camine con cuidado! ¿Dudas? Llámenos.", "Ambos pies"):
        assert word in text
    for letter in "áéíóúüñ¿":
        assert letter in text, letter


@pytest.mark.parametrize(
    ("side", "english", "spanish"),
    [
        (HandoutSide.LEFT, "Left foot", "Pie izquierdo"),
        (HandoutSide.RIGHT, "Right foot", "Pie derecho"),
        (HandoutSide.BOTH, "Both feet", "Ambos pies"),
    ],
)
def test_the_side_is_worded_in_the_handouts_language(
    side: HandoutSide, english: str, spanish: str
) -> None:
    for language, word in (("en", english), ("es", spanish)):
        handout = LIBRARY.get("home-care", language)
        text = " ".join(pages_text(render_handout(handout, replace(OPTIONS, side=side))))
        assert word in text


def test_the_clinicians_steps_print_under_the_handouts_own_next_steps() -> None:
    handout = LIBRARY.get("tarsal-tunnel-syndrome", "en")
    text = " ".join(pages_text(render_handout(handout, OPTIONS)))
    own = text.index(flat(handout.next_steps.heading))
    last_own_step = text.index(flat(block_lines(list(handout.next_steps.blocks))[-1]))
    ticked = text.index("Wear the night splint")
    assert handout.when_to_call is not None
    assert own < last_own_step < ticked < text.index(flat(handout.when_to_call.heading))


def test_markup_characters_in_names_print_as_written() -> None:
    handout = LIBRARY.get("home-care", "en")
    options = replace(OPTIONS, patient_name="Ann <b>Lee</b> & Sons", clinician="A&B <Clinic>")
    text = " ".join(pages_text(render_handout(handout, options)))
    assert "Ann <b>Lee</b> & Sons" in text
    assert "A&B <Clinic>" in text


def test_without_options_the_title_comes_first_and_nothing_personal_prints() -> None:
    handout = LIBRARY.get("foot-or-back", "en")
    pages = pages_text(render_handout(handout, HandoutOptions()))
    assert pages[0].startswith(flat(handout.title))
    assert "Patient:" not in pages[0]
    assert "Side:" not in pages[0]


def test_large_print_uses_larger_type_and_more_pages() -> None:
    handout = LIBRARY.get("tarsal-tunnel-release", "en")
    normal = render_handout(handout, OPTIONS)
    large = render_handout(handout, replace(OPTIONS, large_print=True))
    normal_sizes, large_sizes = font_sizes(normal), font_sizes(large)
    # The body size is the one most text is set in.
    assert normal_sizes.most_common(1)[0][0] == BODY_PT == 12
    assert large_sizes.most_common(1)[0][0] == LARGE_BODY_PT >= 14
    assert min(large_sizes) >= 12  # the footer too
    assert min(normal_sizes) >= 8  # section 6.4: nothing below about 8 pt
    assert len(PdfReader(io.BytesIO(large)).pages) > len(PdfReader(io.BytesIO(normal)).pages)


def test_the_same_input_gives_the_same_bytes() -> None:
    handout = LIBRARY.get("tarsal-tunnel-release", "es")
    first = render_handout(handout, OPTIONS)
    assert render_handout(handout, OPTIONS) == first
    assert render_handout(handout, replace(OPTIONS, patient_name="Otra Persona")) != first


def test_every_font_is_embedded() -> None:
    pdf = render_handout(LIBRARY.get("tarsal-tunnel-release", "es"), OPTIONS)
    seen: set[str] = set()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        fonts = page["/Resources"]["/Font"].get_object()
        for ref in fonts.values():
            font = ref.get_object()
            seen.add(str(font["/BaseFont"]))
            descriptors: list[DictionaryObject] = []
            if "/DescendantFonts" in font:
                descriptors += [d.get_object()["/FontDescriptor"] for d in font["/DescendantFonts"]]
            else:
                descriptors.append(font["/FontDescriptor"].get_object())
            for descriptor in descriptors:
                assert "/FontFile2" in descriptor, font["/BaseFont"]
    assert seen
    assert all("DejaVuSans" in name for name in seen), seen


def test_the_pdf_names_the_handout_in_its_metadata() -> None:
    handout = LIBRARY.get("medial-calcaneal-nerve", "es")
    reader = PdfReader(io.BytesIO(render_handout(handout, OPTIONS)))
    assert reader.metadata is not None
    assert reader.metadata.title == handout.title
    assert reader.metadata.author == "Lakeside Foot & Ankle Clinic"
    assert "medial-calcaneal-nerve" in (reader.metadata.subject or "")


def image_count(pdf: bytes) -> int:
    count = 0
    for page in PdfReader(io.BytesIO(pdf)).pages:
        xobjects = page["/Resources"].get("/XObject")
        if xobjects is not None:
            count += sum(
                1
                for ref in xobjects.get_object().values()
                if ref.get_object()["/Subtype"] == "/Image"
            )
    return count


def test_a_readable_logo_prints_and_a_bad_one_is_left_out(tmp_path: Path) -> None:
    from PIL import Image

    good = tmp_path / "logo.png"
    Image.new("RGB", (240, 120), (20, 60, 120)).save(good)
    broken = tmp_path / "broken.png"
    broken.write_text("not an image", encoding="utf-8")
    handout = LIBRARY.get("home-care", "en")
    assert OPTIONS.letterhead is not None

    def with_logo(path: Path) -> bytes:
        assert OPTIONS.letterhead is not None
        return render_handout(
            handout, replace(OPTIONS, letterhead=replace(OPTIONS.letterhead, logo=path))
        )

    assert image_count(with_logo(good)) == 1
    for path in (broken, tmp_path / "missing.png", tmp_path):
        pdf = with_logo(path)
        assert image_count(pdf) == 0
        assert "Lakeside Foot & Ankle Clinic" in pages_text(pdf)[0]
