"""Visit note PDFs read back with pypdf: charted findings, map, assessment, signature, addenda."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from typing import Any

import pytest
from pypdf import PdfReader

from clinic_app.app import form_catalog
from clinic_app.domain.assessment.context import assess_content, patient_facts
from clinic_app.domain.assessment.model import Assessment
from clinic_app.domain.assessment.record import (
    AssessmentRecord,
    Choice,
    Decision,
    ReleasePlan,
)
from clinic_app.domain.encounter import (
    Addendum,
    Encounter,
    EncounterContent,
    EncounterStatus,
    addendum_payload,
    effective_exam,
    hash_payload,
    short_hash,
    signed_payload,
)
from clinic_app.domain.exam import NeuroFootExam
from clinic_app.domain.patient import Patient
from clinic_app.reports.handout_pdf import Letterhead
from clinic_app.reports.visit_note_pdf import VisitNoteInput, render_visit_note

CATALOG = form_catalog()
VISIT = date(2026, 5, 4)
SIGNED_AT = datetime(2026, 5, 4, 16, 30, tzinfo=UTC)
ADDED_AT = datetime(2026, 5, 6, 9, 15, tzinfo=UTC)
NUMB = {
    "light_touch": "reduced",
    "pin_prick": "reduced",
    "monofilament": "felt",
    "symptoms": ["numb", "burning"],
}
ABSENT = {"light_touch": "absent", "pin_prick": "absent", "monofilament": "not_felt"}
FOOT_PRIMARY = "Tinel and the sensory map both point to the tibial nerve at the ankle."
PATIENT = Patient.model_validate(
    {
        "id": 7,
        "mrn": "MRN-2026-07",
        "family_name": "Núñez Peña",
        "given_name": "María José",
        "date_of_birth": date(1961, 4, 12),
        "diabetes": "yes",
    },
    context={"today": VISIT},
)


def flat(text: str) -> str:
    """Whitespace collapsed, so a line wrapped in the PDF still matches."""
    return " ".join(text.split())


def pages_text(pdf: bytes) -> list[str]:
    return [flat(page.extract_text()) for page in PdfReader(io.BytesIO(pdf)).pages]


def exam_data() -> dict[str, Any]:
    """Some sections charted in part, the right sole numb, nerve conduction left untouched."""
    data = NeuroFootExam().model_dump(mode="json")
    data["history"]["onset"] = "gradual"
    data["history"]["pain_score"] = 6
    right, left = data["right"], data["left"]
    right["inspection"]["arch"] = "planus"
    right["inspection"]["hindfoot_alignment"] = "valgus"
    left["inspection"]["arch"] = "normal"
    right["tinel"]["tarsal_tunnel"]["result"] = "positive"
    right["provocation"]["triple_compression"] = "positive"
    for code in ("PL-ARCH-MED", "PL-FORE-MED", "PL-HALLUX"):
        right["sensory"]["regions"][code] = dict(NUMB)
    right["sensory"]["regions"]["BD-MED"] = dict(ABSENT)
    right["sensory"]["regions"]["PL-HEEL-PAD"] = {
        "light_touch": "normal",
        "pin_prick": "normal",
        "monofilament": "felt",
        "symptoms": [],
    }
    data["lumbar"]["back_pain"] = "yes"
    data["lumbar"]["pain_reaches"] = "calf"
    data["lumbar"]["right"]["achilles"]["grade"] = "1+"
    data["lumbar"]["right"]["slr"] = {"symptom": "below_knee", "angle_deg": 50}
    return data


def draft(**content: Any) -> Encounter:
    base: dict[str, Any] = {
        "exam": exam_data(),
        "notes": "Burning sole for 8 months; worse standing & at night <since March>.",
        "plan": "Nerve conduction studies of both legs. Review in 6 weeks.",
        "release": ReleasePlan.RIGHT,
    }
    moment = datetime(2026, 5, 4, 15, 0, tzinfo=UTC)
    return Encounter(
        id=41,
        patient_id=PATIENT.id,
        encounter_date=VISIT,
        clinician_id=3,
        clinician_name="Dr. Sam Okafor",
        reason="Numb, burning right sole",
        status=EncounterStatus.DRAFT,
        content=EncounterContent.model_validate({**base, **content}),
        version=4,
        created_at=moment,
        updated_at=moment,
    )


def assessment_of(encounter: Encounter) -> Assessment:
    exam, _amended = effective_exam(encounter)
    return assess_content(encounter.content, patient_facts(PATIENT, VISIT), today=VISIT, exam=exam)


def decided(encounter: Encounter) -> Encounter:
    """The first suggestion accepted and the second dismissed, each with a comment."""
    keys = assessment_of(encounter).keys
    assert len(keys) >= 2, keys
    record = AssessmentRecord(
        decisions={
            keys[0]: Decision(choice=Choice.ACCEPTED, comment="Matches the exam today."),
            keys[1]: Decision(choice=Choice.DISMISSED, comment="Seen on last year's MRI."),
        },
        foot_primary_reason=FOOT_PRIMARY,
    )
    content = encounter.content.model_copy(update={"assessment": record})
    return encounter.model_copy(update={"content": content})


def signed(encounter: Encounter) -> Encounter:
    digest = hash_payload(signed_payload(encounter, 3, "Dr. Sam Okafor", SIGNED_AT))
    return encounter.model_copy(
        update={
            "status": EncounterStatus.SIGNED,
            "signed_by_id": 3,
            "signed_by_name": "Dr. Sam Okafor",
            "signed_at": SIGNED_AT,
            "content_hash": digest,
        }
    )


def with_addendum(encounter: Encounter) -> Encounter:
    assert encounter.content_hash is not None
    text = "Arch rechecked standing: high arch."
    findings = {"right.inspection.arch": "cavus"}
    digest = hash_payload(
        addendum_payload(
            encounter.id, encounter.content_hash, text, 5, "Dr. Lee Ávila", ADDED_AT, findings
        )
    )
    addendum = Addendum(
        id=90,
        encounter_id=encounter.id,
        text=text,
        author_id=5,
        author_name="Dr. Lee Ávila",
        signed_at=ADDED_AT,
        content_hash=digest,
        findings=findings,
    )
    return encounter.model_copy(update={"addenda": (addendum,)})


def note_of(encounter: Encounter) -> VisitNoteInput:
    return VisitNoteInput(
        encounter=encounter,
        patient=PATIENT,
        layout=CATALOG.exam_layout(),
        geometry=CATALOG.foot_map(),
        assessment=assessment_of(encounter),
        letterhead=Letterhead(
            name="Lakeside Foot & Ankle Clinic",
            address_lines=("200 Harbor Road, Suite 4", "Duluth, MN 55802"),
            phone="(218) 555-0142",
        ),
    )


@pytest.fixture(scope="module")
def signed_note() -> VisitNoteInput:
    return note_of(with_addendum(signed(decided(draft()))))


@pytest.fixture(scope="module")
def signed_pdf(signed_note: VisitNoteInput) -> bytes:
    return render_visit_note(signed_note)


@pytest.fixture(scope="module")
def signed_text(signed_pdf: bytes) -> str:
    return " ".join(pages_text(signed_pdf))


def test_header_names_the_patient_and_visit(signed_text: str) -> None:
    for text in (
        "Lakeside Foot & Ankle Clinic",
        "Visit note",
        "María José Núñez Peña",
        "April 12, 1961",
        "MRN-2026-07",
        "May 4, 2026",
        "Numb, burning right sole",
        "Dr. Sam Okafor",
    ):
        assert text in signed_text


def test_charted_findings_print_in_words_by_section(signed_text: str) -> None:
    for title in ("History", "Inspection and palpation", "Tinel sign", "Lumbar screen"):
        assert title in signed_text
    assert "Onset gradual" in signed_text
    assert "Pain score (0–10) 6" in signed_text
    assert "Hindfoot alignment valgus" in signed_text
    assert "How far the pain reaches calf" in signed_text
    assert "SLR: how far the symptoms reached below knee" in signed_text
    assert "below_knee" not in signed_text
    assert "not_tested" not in signed_text


def test_untested_items_are_summarised_not_printed(signed_text: str) -> None:
    assert "Nerve conduction results Not examined." in signed_text
    assert "Not tested: " in signed_text
    # History has 16 rows and 2 of them charted: counted, not listed.
    assert "Not tested: 14 items." in signed_text
    assert "Worse with running" not in signed_text


def test_amended_finding_carries_its_addendum(signed_text: str) -> None:
    assert "cavus (amended, addendum #1)" in signed_text
    assert "Arch rechecked standing: high arch." in signed_text
    assert "Amended: Right Inspection: Arch: cavus" in signed_text
    assert "Dr. Lee Ávila" in signed_text


def test_signature_block_prints_the_full_hash(
    signed_note: VisitNoteInput, signed_text: str
) -> None:
    digest = signed_note.encounter.content_hash
    assert digest is not None
    assert "Signed by Dr. Sam Okafor on May 4, 2026 at 16:30 UTC" in signed_text
    assert digest in signed_text
    addendum = signed_note.encounter.addenda[0]
    assert short_hash(addendum.content_hash) in signed_text
    assert "NOT SIGNED" not in signed_text
    assert "DRAFT" not in signed_text


def test_assessment_prints_suggestions_and_decisions(
    signed_note: VisitNoteInput, signed_text: str
) -> None:
    first, second, *rest = signed_note.assessment.suggestions
    assert first.title in signed_text
    assert second.title in signed_text
    assert "Decision: accepted — Matches the exam today." in signed_text
    assert "Decision: dismissed — Seen on last year's MRI." in signed_text
    if rest:
        assert "Decision: no decision" in signed_text
    for reason in first.reasons:
        assert flat(reason.text) in signed_text
    codes = [code for s in signed_note.assessment.suggestions for code in s.codes]
    assert codes, "the exam should fire a rule with a suggested code"
    assert f"{codes[0].code} " in signed_text
    assert codes[0].version in signed_text


def test_release_plan_and_foot_primary_reason(signed_text: str) -> None:
    assert "Planned tarsal tunnel release: right." in signed_text
    assert FOOT_PRIMARY in signed_text


def test_notes_and_plan_are_escaped_text(signed_text: str) -> None:
    assert "worse standing & at night <since March>." in signed_text
    assert "Nerve conduction studies of both legs." in signed_text


def test_sensory_map_is_drawn_with_abnormal_region_codes(signed_pdf: bytes) -> None:
    pages = pages_text(signed_pdf)
    map_pages = [page for page in pages if "Right foot and leg" in page]
    assert len(map_pages) == 1
    page = map_pages[0]
    for tag in ("PL-ARCH-MED R", "PL-HALLUX R", "BD-MED A"):
        assert tag in page
    assert "PL-HEEL-PAD R" not in page  # charted normal: filled, not tagged
    assert "Left foot and leg: not examined" in page
    assert "not tested" in page  # the legend
    index = pages.index(page)
    content = PdfReader(io.BytesIO(signed_pdf)).pages[index].get_contents()
    assert content is not None
    # Region polygons are vector paths: a closed path per region and outline, both sides.
    assert content.get_data().count(b" h") > 2 * 19


def test_abnormal_regions_are_listed_in_words(signed_text: str) -> None:
    assert "light touch reduced; pin-prick reduced; 10 g monofilament felt" in signed_text
    assert "symptoms: numb, burning" in signed_text
    assert "10 g monofilament not felt" in signed_text


def test_draft_is_marked_on_every_page() -> None:
    pdf = render_visit_note(note_of(decided(draft())))
    pages = pages_text(pdf)
    assert len(pages) > 1
    for page in pages:
        assert "DRAFT" in page
    assert "NOT SIGNED — DRAFT" in " ".join(pages)
    assert "Signed by" not in " ".join(pages)


def test_footer_on_every_page(signed_pdf: bytes) -> None:
    pages = pages_text(signed_pdf)
    for number, page in enumerate(pages, 1):
        assert f"Page {number} of {len(pages)}" in page
        assert "María José Núñez Peña — visit of May 4, 2026" in page


def test_same_input_same_bytes(signed_note: VisitNoteInput, signed_pdf: bytes) -> None:
    assert render_visit_note(signed_note) == signed_pdf


def test_blank_exam_prints_every_section_as_not_examined() -> None:
    blank = draft(exam=NeuroFootExam().model_dump(mode="json"), release=ReleasePlan.NONE)
    text = " ".join(pages_text(render_visit_note(note_of(blank))))
    for section in CATALOG.exam_layout().sections:
        assert f"{section.title} Not examined." in text
    assert "Planned tarsal tunnel release: none planned." in text
    assert "not_tested" not in text


def test_the_note_names_only_its_embedded_fonts(signed_pdf: bytes) -> None:
    # The sensory-map drawings start in the note's font, not reportlab's Helvetica, which a
    # PDF would name without embedding it.
    names: set[str] = set()
    for page in PdfReader(io.BytesIO(signed_pdf)).pages:
        fonts = page["/Resources"].get("/Font")
        if fonts is None:
            continue
        names |= {str(ref.get_object()["/BaseFont"]) for ref in fonts.get_object().values()}
    assert names
    assert all("DejaVuSans" in name for name in names), names


@pytest.mark.parametrize(
    ("given", "family"), [("太郎", "山田"), ("محمد", "علي"), ("José", "Núñez")]
)
def test_a_name_in_any_script_prints_as_itself_with_embedded_fonts(given: str, family: str) -> None:
    import unicodedata

    patient = PATIENT.model_copy(update={"given_name": given, "family_name": family})
    note = note_of(decided(draft()))
    pdf = render_visit_note(
        VisitNoteInput(
            encounter=note.encounter,
            patient=patient,
            layout=note.layout,
            geometry=note.geometry,
            assessment=note.assessment,
            letterhead=note.letterhead,
        )
    )
    # Arabic prints in its joined letter forms; compatibility form reads them as letters.
    text = unicodedata.normalize("NFKC", " ".join(pages_text(pdf)))
    for word in (given, family):
        assert word in text, word
    for page in PdfReader(io.BytesIO(pdf)).pages:
        fonts: Any = page["/Resources"]["/Font"]  # type: ignore[index]
        for ref in fonts.values():
            font = ref.get_object()
            if "/DescendantFonts" in font:
                font = font["/DescendantFonts"][0].get_object()
            if font.get("/Subtype") == "/Type3":
                continue
            assert "/FontFile2" in font["/FontDescriptor"].get_object(), font["/BaseFont"]
