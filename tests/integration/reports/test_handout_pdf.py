"""Handout PDFs read back with pypdf: every word printed, fonts embedded, sizes, same bytes."""

from __future__ import annotations

import io
import re
import unicodedata
from collections import Counter
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from pypdf.generic import DictionaryObject

from clinic_app import resources
from clinic_app.app import form_catalog
from clinic_app.domain.exam import NeuroFootExam, SensoryMap, Side
from clinic_app.domain.handouts import (
    Block,
    Handout,
    HandoutContext,
    HandoutLanguage,
    VisitFact,
    personalise,
)
from clinic_app.reports.handout_pdf import (
    BODY_PT,
    LARGE_BODY_PT,
    HandoutFootMap,
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
    """A page's text without its footer (id and version, page N of M, review date, reviewer)."""
    footer = re.compile(
        rf" ?{re.escape(handout.id)} {VERSION[handout.language]} {handout.version} "
        rf"\({handout.language.value}\) "
        rf"(Page|Página) \d+ (of|de) \d+ (reviewed|revisado) .*$"
    )
    return footer.sub("", page)


def block_lines(blocks: list[Block]) -> list[str]:
    return [line for block in blocks for line in block.lines()]


def printed_lines(handout: Handout, context: HandoutContext | None = None) -> list[str]:
    """Every line a patient reads on the copy for this context (timeline steps as cells)."""
    copy = personalise(handout, context)
    lines = [copy.title, copy.do_first, *copy.summary.lines()]
    for section in copy.all_sections():
        lines += [section.heading, *block_lines(list(section.blocks))]
    if copy.timeline is not None:
        timeline = copy.timeline
        lines += [timeline.heading, timeline.intro]
        lines += [part for step in timeline.steps for part in (step.when or "", step.what)]
        if timeline.note is not None:
            lines += timeline.note.lines()
    if copy.driving is not None:
        lines += list(copy.driving.lines(copy.language))
    lines += list(copy.get_help.lines())
    return [line for line in lines if line]


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
    assert own < last_own_step < ticked < text.index(flat(handout.get_help.heading))
    # Numbered on from the handout's own steps: four of them, so the ticked one is step 5.
    assert "5. ☐ Wear the night splint" in text


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


# --- the patient's own sensory map ---------------------------------------------------------------

REDUCED = {"light_touch": "reduced", "pin_prick": "reduced", "monofilament": "felt"}
NOT_FELT = {"light_touch": "absent", "pin_prick": "absent", "monofilament": "not_felt"}
NORMAL = {"light_touch": "normal", "pin_prick": "normal", "monofilament": "felt", "symptoms": []}
REGION_CODE = re.compile(r"\b(PL|DO|BD|LG)-[A-Z0-9-]+")
MAP_WORDS = {
    HandoutLanguage.EN: (
        "Where your foot feels different",
        "Your clinician marked these areas during your visit.",
        "Less feeling",
        "No feeling",
        "Sole",
        "Top of foot",
        "inner side",
        "outer side",
    ),
    HandoutLanguage.ES: (
        "Dónde su pie siente diferente",
        "Su profesional de salud marcó estas zonas durante su visita.",
        "Menos sensibilidad",
        "Sin sensibilidad",
        "Planta",
        "Dorso del pie",
        "lado interno",
        "lado externo",
    ),
}


def sensory(regions: dict[str, dict[str, object]]) -> SensoryMap:
    return SensoryMap.model_validate({"regions": regions})


def right_foot_map() -> HandoutFootMap:
    """Two regions of the right foot with less feeling, one with none, one normal."""
    right = sensory(
        {
            "PL-ARCH-MED": REDUCED,
            "PL-HALLUX": REDUCED,
            "PL-HEEL-MED": NOT_FELT,
            "PL-HEEL-PAD": NORMAL,
        }
    )
    return HandoutFootMap(form_catalog().foot_map(), (Side.RIGHT,), {Side.RIGHT: right})


def closed_paths(pdf: bytes, pages: int = 2) -> int:
    count = 0
    for page in PdfReader(io.BytesIO(pdf)).pages[:pages]:
        contents = page.get_contents()
        assert contents is not None
        count += contents.get_data().count(b" h")
    return count


def opening(pdf: bytes) -> str:
    """The first two pages: the summary box, then the map (it moves on whole when it must)."""
    return " ".join(pages_text(pdf)[:2])


def test_the_foot_map_prints_its_heading_legend_and_plain_words_without_codes() -> None:
    handout = LIBRARY.get("tarsal-tunnel-syndrome", "en")
    with_map = render_handout(handout, replace(OPTIONS, foot_map=right_foot_map()))
    without = render_handout(handout, OPTIONS)
    first = opening(with_map)
    for words in MAP_WORDS[HandoutLanguage.EN]:
        assert words in first, words
    assert "Right foot" in first
    # The summary comes first, then the map, then the handout's sections.
    assert first.index(flat(handout.summary.lines()[-1])) < first.index("Where your foot")
    text = " ".join(pages_text(with_map))
    assert not REGION_CODE.search(text), REGION_CODE.search(text)
    for clinical in ("Leg", "medial", "lateral", "not tested", "normal (no deficit"):
        assert clinical not in first, clinical
    # The regions are drawn as vector paths: many more closed shapes on the first page.
    assert closed_paths(with_map) > closed_paths(without) + 2 * 13


def test_the_foot_map_is_worded_in_spanish_on_a_spanish_handout() -> None:
    handout = LIBRARY.get("tarsal-tunnel-syndrome", "es")
    first = opening(render_handout(handout, replace(OPTIONS, foot_map=right_foot_map())))
    for words in MAP_WORDS[HandoutLanguage.ES]:
        assert words in first, words
    assert "Pie derecho" in first
    for english in MAP_WORDS[HandoutLanguage.EN][2:]:
        assert english not in first, english


def test_no_map_prints_when_no_drawn_region_has_less_or_no_feeling() -> None:
    handout = LIBRARY.get("home-care", "en")
    without = render_handout(handout, OPTIONS)
    geometry = form_catalog().foot_map()
    quiet = {
        # Normal on the foot; the leg is not drawn on a handout, so its numb region is not shown.
        Side.RIGHT: sensory({"PL-HEEL-PAD": NORMAL, "DO-MID": NORMAL, "LG-MED": NOT_FELT}),
        # The left foot has less feeling, but only the right side is drawn.
        Side.LEFT: sensory({"PL-HALLUX": REDUCED}),
    }
    for foot_map in (
        HandoutFootMap(geometry, (Side.RIGHT,), quiet),
        HandoutFootMap(geometry, (), quiet),
        HandoutFootMap(geometry, (Side.RIGHT, Side.LEFT), {}),
    ):
        assert not foot_map.shows_anything
        assert render_handout(handout, replace(OPTIONS, foot_map=foot_map)) == without
    left = HandoutFootMap(geometry, (Side.LEFT,), quiet)
    assert left.shows_anything
    assert "Where your foot feels different" in opening(
        render_handout(handout, replace(OPTIONS, foot_map=left))
    )


def test_both_feet_print_right_then_left_from_the_exam() -> None:
    exam = NeuroFootExam.model_validate(
        {
            "right": {"sensory": {"regions": {"PL-HEEL-MED": NOT_FELT}}},
            "left": {"sensory": {"regions": {"DO-WEB1": REDUCED}}},
        }
    )
    geometry = form_catalog().foot_map()
    both = HandoutFootMap.from_exam(geometry, exam, HandoutSide.BOTH)
    assert both.drawn_sides == (Side.RIGHT, Side.LEFT)
    assert HandoutFootMap.from_exam(geometry, exam, None).drawn_sides == (Side.RIGHT, Side.LEFT)
    assert HandoutFootMap.from_exam(geometry, exam, HandoutSide.LEFT).drawn_sides == (Side.LEFT,)
    backwards = replace(both, sides=(Side.LEFT, Side.RIGHT))
    handout = LIBRARY.get("home-care", "es")
    first = opening(render_handout(handout, replace(OPTIONS, foot_map=backwards)))
    assert first.index("Pie derecho", first.index("Dónde su pie")) < first.index("Pie izquierdo")


def test_the_foot_map_prints_in_large_print_with_large_words() -> None:
    handout = LIBRARY.get("tarsal-tunnel-release", "en")
    options = replace(OPTIONS, large_print=True, side=HandoutSide.BOTH)
    foot_map = replace(right_foot_map(), sides=(Side.RIGHT, Side.LEFT))
    pdf = render_handout(handout, replace(options, foot_map=foot_map))
    text = " ".join(pages_text(pdf))
    for words in MAP_WORDS[HandoutLanguage.EN]:
        assert words in text, words
    assert min(font_sizes(pdf)) >= 12
    # Both feet sit on one row: their captions are on the same page.
    pages = pages_text(pdf)
    assert any("Right foot" in page and "Left foot" in page for page in pages)


def test_a_handout_with_a_foot_map_gives_the_same_bytes_each_time() -> None:
    handout = LIBRARY.get("medial-calcaneal-nerve", "es")
    options = replace(OPTIONS, foot_map=right_foot_map())
    first = render_handout(handout, options)
    assert render_handout(handout, options) == first
    assert first != render_handout(handout, OPTIONS)
    other = replace(right_foot_map(), sensory={Side.RIGHT: sensory({"PL-HEEL-MED": REDUCED})})
    assert render_handout(handout, replace(OPTIONS, foot_map=other)) != first


def test_a_handout_with_a_foot_map_references_only_its_embedded_fonts() -> None:
    options = replace(OPTIONS, foot_map=right_foot_map())
    for large_print in (False, True):
        handout = LIBRARY.get("home-care", "es")
        pdf = render_handout(handout, replace(options, large_print=large_print))
        for page in PdfReader(io.BytesIO(pdf)).pages:
            fonts = page["/Resources"]["/Font"].get_object()
            names = {str(ref.get_object()["/BaseFont"]) for ref in fonts.values()}
            assert all("DejaVuSans" in name for name in names), names


def test_symptoms_and_extra_sensitivity_alone_are_not_drawn_as_less_feeling() -> None:
    # The legend says "less feeling" and "no feeling"; a burning or over-sensitive sole is
    # neither, so the patient's map leaves it plain.
    geometry = form_catalog().foot_map()
    burning = {
        "light_touch": "hyperaesthetic",
        "pin_prick": "normal",
        "monofilament": "felt",
        "symptoms": ["burning"],
    }
    foot_map = HandoutFootMap(
        geometry, (Side.RIGHT,), {Side.RIGHT: sensory({"PL-HEEL-PAD": burning})}
    )
    assert not foot_map.shows_anything
    reduced = replace(foot_map, sensory={Side.RIGHT: sensory({"PL-HEEL-PAD": REDUCED})})
    assert reduced.shows_anything


# --- issue 13: what a patient can act on safely, read back out of the PDF ---------------------

HELP = {
    HandoutLanguage.EN: ("When to get help", "Call 911", "Call us today", "Our phone number:"),
    HandoutLanguage.ES: ("Cuándo pedir ayuda", "911", "Llámenos hoy", "Nuestro teléfono:"),
}
FIXED_DRIVING_DAYS = re.compile(r"\b(14|21) (days|días)\b")
WITHDRAWN_SPANISH = (
    "se doblan hacia adentro",
    "se dobla hacia adentro",
    "no tuvieron que operarse",
    "en un 44% a un 91%",
    "con usted acostado",
    "al pararse",
    "se para",
    "terapia física",
    "terapeuta físico",
    "dormido",
)
"""Spanish wording withdrawn by issue 13, none of which may print again."""
STEROID_RISK = {
    HandoutLanguage.EN: ("hurt more for 1 to 2 days", "thinner or lighter", "blood sugar"),
    HandoutLanguage.ES: ("de 1 a 2 días", "más delgada o más clara", "azúcar en la sangre"),
}
HEAT_AND_ICE = {
    HandoutLanguage.EN: ("heating pad", "skin you cannot feel", "20 minutes"),
    HandoutLanguage.ES: ("almohadilla eléctrica", "piel que no siente", "20 minutos"),
}
SHOT_HANDOUTS = {"tarsal-tunnel-syndrome"}
ICE_HANDOUTS = {
    "tarsal-tunnel-syndrome",
    "tarsal-tunnel-release",
    "home-care",
    "medial-calcaneal-nerve",
}


def text_of(handout: Handout, options: HandoutOptions = OPTIONS) -> str:
    pages = pages_text(render_handout(handout, options))
    return " ".join(without_footer(page, handout) for page in pages)


@pytest.mark.parametrize(("handout_id", "language"), ALL)
def test_every_handout_ends_with_the_help_box_and_is_safe_to_act_on(
    handout_id: str, language: str
) -> None:
    handout = LIBRARY.get(handout_id, language)
    text = text_of(handout)
    heading, now, today, phone_label = HELP[handout.language]
    # The help box comes after the next steps, and holds 911, the call-today signs and the
    # practice's phone number (not only in the letterhead).
    box = text.index(heading, text.index(flat(handout.next_steps.heading)))
    help_text = text[box:]
    assert now in help_text
    assert today in help_text
    assert f"{phone_label} (218) 555-0142" in help_text
    for line in personalise(handout).get_help.lines():
        assert flat(line) in help_text, line
    assert not FIXED_DRIVING_DAYS.search(text), FIXED_DRIVING_DAYS.search(text)
    if handout_id in SHOT_HANDOUTS:
        for words in STEROID_RISK[handout.language]:
            assert words in text, words
    if handout_id in ICE_HANDOUTS:
        for words in HEAT_AND_ICE[handout.language]:
            assert words in text, words
    if handout.language is HandoutLanguage.ES:
        lowered = text.lower()
        for phrase in WITHDRAWN_SPANISH:
            assert phrase not in lowered, phrase
    # Teach-back questions are for the clinician, not on the patient's copy.
    for prompt in handout.teach_back:
        assert flat(prompt) not in text, prompt


@pytest.mark.parametrize("language", ["en", "es"])
def test_without_a_phone_number_the_box_leaves_room_to_write_it(language: str) -> None:
    handout = LIBRARY.get("home-care", language)
    options = replace(OPTIONS, letterhead=Letterhead(name="Lakeside"))
    text = text_of(handout, options)
    blank = {"en": "(write the clinic's number here)", "es": "(escriba aquí el número"}
    assert blank[language] in text


def test_the_clinician_copy_carries_the_teach_back_prompts() -> None:
    handout = LIBRARY.get("tarsal-tunnel-release", "en")
    text = text_of(handout, replace(OPTIONS, clinician_copy=True))
    assert "Clinician copy: not for the patient" in text
    for prompt in handout.teach_back:
        assert flat(prompt) in text, prompt
    assert "Teach-back done" in text


@pytest.mark.parametrize(
    ("language", "fever", "expected"),
    [
        ("en", "100.4 °F (38.0 °C)", "You have a temperature of 100.4 °F (38.0 °C) or higher"),
        ("en", None, "You have a fever, or chills."),
        ("es", "38.0 °C (100.4 °F)", "Tiene una temperatura de 38.0 °C (100.4 °F) o más"),
        ("es", None, "Tiene fiebre, o escalofríos."),
    ],
)
def test_the_fever_line_takes_the_practices_threshold(
    language: str, fever: str | None, expected: str
) -> None:
    handout = LIBRARY.get("tarsal-tunnel-release", language)
    text = text_of(handout, replace(OPTIONS, context=HandoutContext(fever=fever)))
    assert expected in text
    assert "{fever}" not in text


def test_we_checked_your_back_prints_only_when_the_lumbar_screen_is_complete() -> None:
    done = HandoutContext(facts=frozenset({VisitFact.LUMBAR_SCREEN_COMPLETE}))
    for handout_id, checked, neutral in (
        (
            "tarsal-tunnel-release",
            "That is why we checked your back first.",
            "So your back needs to be checked before this surgery.",
        ),
        (
            "foot-or-back",
            "That is why we checked your back at this visit.",
            "Your back has not been fully checked yet.",
        ),
    ):
        handout = LIBRARY.get(handout_id, "en")
        with_screen = text_of(handout, replace(OPTIONS, context=done))
        without = text_of(handout)
        assert checked in with_screen
        assert neutral not in with_screen
        assert neutral in without
        assert checked not in without


def test_driving_prints_the_surgeons_words_for_the_side_or_asks_the_surgeon() -> None:
    handout = LIBRARY.get("tarsal-tunnel-release", "en")
    words = {
        HandoutSide.RIGHT: "About 6 weeks, once you are out of the boot",
        HandoutSide.LEFT: "About 3 weeks if your car is an automatic",
    }
    right = text_of(
        handout,
        replace(OPTIONS, context=HandoutContext(side=HandoutSide.RIGHT, driving=words)),
    )
    assert "Right foot: About 6 weeks, once you are out of the boot" in right
    assert "Left foot: About 3 weeks" not in right
    both = text_of(handout, replace(OPTIONS, context=HandoutContext(driving=words)))
    assert "Right foot: About 6" in both
    assert "Left foot: About 3" in both
    # The surgeon entered nothing for the left foot: a left-foot copy asks the surgeon.
    left_only_right_words = HandoutContext(
        side=HandoutSide.LEFT, driving={HandoutSide.RIGHT: words[HandoutSide.RIGHT]}
    )
    left = text_of(handout, replace(OPTIONS, context=left_only_right_words))
    assert "Ask your surgeon when you may drive again." in left
    assert "Right foot: About 6" not in left


NAMES = ("山田 太郎", "محمد", "Núñez")


def extracted(pdf: bytes) -> str:
    """The PDF's text in compatibility form: Arabic letters print in their joined shapes."""
    return unicodedata.normalize("NFKC", " ".join(pages_text(pdf)))


@pytest.mark.parametrize("name", NAMES)
def test_any_name_prints_as_itself_with_embedded_fonts(name: str) -> None:
    handout = LIBRARY.get("home-care", "es")
    pdf = render_handout(handout, replace(OPTIONS, patient_name=name, clinician=name))
    assert f"Paciente: {name}" in extracted(pdf)
    reader = PdfReader(io.BytesIO(pdf))
    for page in reader.pages:
        resources_dict: Any = page["/Resources"]
        for font in resources_dict["/Font"].values():
            font = font.get_object()
            descendant = (
                font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
            )
            descriptor = descendant.get("/FontDescriptor")
            assert descriptor is not None, font["/BaseFont"]
            assert "/FontFile2" in descriptor.get_object(), font["/BaseFont"]


def test_arabic_is_shaped_and_right_to_left() -> None:
    handout = LIBRARY.get("home-care", "en")
    text = " ".join(pages_text(render_handout(handout, replace(OPTIONS, patient_name="محمد"))))
    # Joined letter forms (presentation forms), not the isolated letters of unshaped text.
    shaped = [char for char in text if "\ufe70" <= char <= "\ufeff"]
    assert len(shaped) == 4
    assert unicodedata.normalize("NFKC", "".join(shaped)) == "محمد"
