"""Visit note PDFs read back with pypdf: one page for a normal exam, two for the TTS + S1 case,
the assessment as signed, the gate's verdict, teach-back, signature and addenda."""

from __future__ import annotations

import io
import unicodedata
from datetime import UTC, datetime

import pytest
from pypdf import PdfReader

from clinic_app.domain.assessment.record import AssessmentRecord, Choice, Decision
from clinic_app.domain.encounter import (
    Addendum,
    Encounter,
    addendum_payload,
    hash_payload,
)
from clinic_app.domain.exam import NeuroFootExam
from clinic_app.domain.patient import Patient
from clinic_app.reports.handout_pdf import Letterhead
from clinic_app.reports.visit_note_pdf import RECOMPUTED, VisitNoteInput, render_visit_note
from integration.reports.note_cases import (
    CATALOG,
    OVERRIDE_REASON,
    assessment_of,
    decided_case,
    draft,
    normal_exam,
    patient,
    signed,
)

ADDED_AT = datetime(2026, 5, 6, 9, 15, tzinfo=UTC)
LETTERHEAD = Letterhead(
    name="Lakeside Foot & Ankle Clinic",
    address_lines=("200 Harbor Road, Suite 4", "Duluth, MN 55802"),
    phone="(218) 555-0142",
)


def flat(text: str) -> str:
    return " ".join(text.split())


def pages_text(pdf: bytes) -> list[str]:
    return [flat(page.extract_text()) for page in PdfReader(io.BytesIO(pdf)).pages]


def note_of(encounter: Encounter, who: Patient | None = None) -> VisitNoteInput:
    who = who or patient()
    return VisitNoteInput(
        encounter=encounter,
        patient=who,
        layout=CATALOG.exam_layout(),
        geometry=CATALOG.foot_map(),
        assessment=assessment_of(encounter, who),
        letterhead=LETTERHEAD,
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


@pytest.fixture(scope="module")
def normal_pages() -> list[str]:
    return pages_text(render_visit_note(note_of(signed(draft(normal_exam())))))


@pytest.fixture(scope="module")
def case_note() -> VisitNoteInput:
    return note_of(signed(decided_case()))


@pytest.fixture(scope="module")
def case_pdf(case_note: VisitNoteInput) -> bytes:
    return render_visit_note(case_note)


@pytest.fixture(scope="module")
def case_pages(case_pdf: bytes) -> list[str]:
    return pages_text(case_pdf)


def test_a_normal_exam_is_one_page(normal_pages: list[str]) -> None:
    assert len(normal_pages) == 1
    page = normal_pages[0]
    assert "Normal bilaterally in every section examined." in page
    assert "Not tested: Previous tarsal tunnel release; Nerve studies and imaging." in page
    assert "Page 1 of 1" in page
    assert "Sensory map" not in page  # no abnormal region: no drawing, no page 2


def test_the_header_names_the_patient(normal_pages: list[str]) -> None:
    page = normal_pages[0]
    for text in (
        "Lakeside Foot & Ankle Clinic",
        "María José Núñez Peña",
        "Age, sex: 65, female",
        "April 12, 1961",
        "MRN-2026-07",
        "May 4, 2026",
        "Numb, burning right sole",
        "Dr. Sam Okafor",
    ):
        assert text in page, text
    if "allergies" in Patient.model_fields:
        assert "Allergies: Penicillin (rash)" in page


def test_the_tts_s1_case_is_two_pages(case_pages: list[str]) -> None:
    assert len(case_pages) == 2
    first, second = case_pages
    assert "Normal bilaterally except:" in first
    for phrase in (
        "R Tinel + at tarsal tunnel → arch, hallux",
        "↓ pin R medial arch, medial forefoot, hallux",
        "R Achilles 0",
        "R plantarflexion 4/5",
        "R SLR + 40° to foot",
    ):
        assert phrase in first, phrase
    assert "Not tested: Previous tarsal tunnel release; Nerve studies and imaging (left)." in first
    # Page 2: the map and the full findings table, and only there.
    assert "Right foot and leg" in second
    assert "Left foot and leg" in second
    assert "All charted findings" in second
    assert "PL-ARCH-MED R" in second
    assert "All charted findings" not in first


def test_the_assessment_prints_as_decided(case_note: VisitNoteInput, case_pages: list[str]) -> None:
    first = case_pages[0]
    assert "Decision:" not in first
    assert "no decision" not in first
    assessment = case_note.printed_assessment
    r6, r10 = assessment.get("R6"), assessment.get("R10")
    assert r6 is not None
    assert r10 is not None
    assert f"{Choice.CONFIRMED.sentence}: {flat(r6.title)}" in first
    assert "Absent ankle jerk and a positive SLR." in first
    for code in r6.codes:
        if code.report_when == "confirmed":
            assert code.code in first
    assert f"{Choice.WORKING.sentence}: {flat(r10.title)}" in first


def test_a_working_impression_prints_only_the_codes_reported_now() -> None:
    enc = decided_case()
    record = enc.content.assessment
    decisions = {**record.decisions, "R6": Decision(choice=Choice.WORKING)}
    content = enc.content.model_copy(
        update={"assessment": record.model_copy(update={"decisions": decisions})}
    )
    note = note_of(signed(enc.model_copy(update={"content": content})))
    text = " ".join(pages_text(render_visit_note(note)))
    r6 = note.printed_assessment.get("R6")
    assert r6 is not None
    assert "Codes reported now: R29.2" in text
    for code in r6.codes:
        if code.report_when == "confirmed":
            assert code.code not in text


def test_dismissed_prints_only_with_a_comment() -> None:
    enc = decided_case()
    record = enc.content.assessment
    keys = list(record.decisions)
    silent = {key: Decision(choice=Choice.DISMISSED) for key in keys}
    content = enc.content.model_copy(update={"assessment": AssessmentRecord(decisions=silent)})
    text = " ".join(
        pages_text(render_visit_note(note_of(enc.model_copy(update={"content": content}))))
    )
    assert "Dismissed" not in text
    commented = {key: Decision(choice=Choice.DISMISSED, comment="Old MRI normal.") for key in keys}
    content = enc.content.model_copy(update={"assessment": AssessmentRecord(decisions=commented)})
    text = " ".join(
        pages_text(render_visit_note(note_of(enc.model_copy(update={"content": content}))))
    )
    assert "Dismissed: " in text
    assert "Old MRI normal." in text


def test_the_gate_verdict_override_and_acknowledgement(case_pages: list[str]) -> None:
    first = case_pages[0]
    assert "Planned tarsal tunnel release: right." in first
    assert (
        "Pre-operative gate (R11): passed by the clinician's override for the right side." in first
    )
    assert (
        "Pre-operative gate overridden by Dr. Sam Okafor on May 4, 2026 at 16:20 UTC: "
        + OVERRIDE_REASON
    ) in first
    assert "acknowledged by Dr. Sam Okafor on May 4, 2026 at 16:20 UTC" in first
    assert "Teach-back: done — Explained back the numb-foot skin checks." in first


def test_signature_and_full_hash_on_page_one(
    case_note: VisitNoteInput, case_pages: list[str]
) -> None:
    digest = case_note.encounter.content_hash
    assert digest is not None
    assert "Signed by Dr. Sam Okafor on May 4, 2026 at 16:30 UTC" in case_pages[0]
    assert digest in case_pages[0]
    assert "DRAFT" not in " ".join(case_pages)


def test_signed_note_is_byte_identical_after_the_diabetes_answer_changes(case_pdf: bytes) -> None:
    enc = signed(decided_case())
    diabetic = patient(diabetes="yes")
    again = render_visit_note(note_of(enc, diabetic))
    # The live assessment does change with the answer (R9 and the LOPS wording read it).
    assert again == case_pdf


def test_an_encounter_signed_before_prints_the_recomputed_assessment_and_says_so() -> None:
    enc = signed(decided_case())
    old = enc.model_copy(
        update={"content": enc.content.model_copy(update={"signed_assessment": None})}
    )
    text = " ".join(pages_text(render_visit_note(note_of(old))))
    assert flat(RECOMPUTED) in text


def test_the_signed_assessment_wins_over_a_recomputation() -> None:
    enc = signed(decided_case())
    stored = enc.content.signed_assessment
    assert stored is not None
    # A rule change after signing: the live assessment has no suggestions at all.
    note = note_of(enc)
    changed = VisitNoteInput(
        encounter=enc,
        patient=note.patient,
        layout=note.layout,
        geometry=note.geometry,
        assessment=stored.assessment.model_copy(update={"suggestions": ()}),
        letterhead=note.letterhead,
    )
    assert render_visit_note(changed) == render_visit_note(note)


def test_addenda_follow_and_amended_findings_are_marked() -> None:
    pages = pages_text(render_visit_note(note_of(with_addendum(signed(decided_case())))))
    text = " ".join(pages)
    assert "Addendum #1" in pages[-1]
    assert "Arch rechecked standing: high arch." in text
    assert "R pes cavus" in pages[0]
    assert "addendum #1" in pages[0]


def test_a_draft_is_marked_on_every_page() -> None:
    pages = pages_text(render_visit_note(note_of(decided_case())))
    for page in pages:
        assert "DRAFT" in page
    assert "Signed by" not in " ".join(pages)


def test_a_blank_exam_says_not_examined() -> None:
    text = " ".join(
        pages_text(render_visit_note(note_of(draft(NeuroFootExam().model_dump(mode="json")))))
    )
    assert "Not examined." in text
    assert "not_tested" not in text
    assert "Normal bilaterally" not in text


def test_free_text_is_escaped(case_pages: list[str]) -> None:
    assert "worse standing & at night <since March>." in case_pages[0]


def test_the_note_names_only_its_embedded_fonts(case_pdf: bytes) -> None:
    names: set[str] = set()
    for page in PdfReader(io.BytesIO(case_pdf)).pages:
        fonts = page["/Resources"].get("/Font")
        if fonts is None:
            continue
        names |= {str(ref.get_object()["/BaseFont"]) for ref in fonts.get_object().values()}
    assert names
    assert all("DejaVuSans" in name for name in names), names


@pytest.mark.parametrize(("given", "family"), [("太郎", "山田"), ("محمد", "علي")])
def test_a_name_in_any_script_prints_as_itself(given: str, family: str) -> None:
    who = patient(given_name=given, family_name=family)
    pdf = render_visit_note(note_of(signed(draft(normal_exam())), who))
    text = unicodedata.normalize("NFKC", " ".join(pages_text(pdf)))
    for word in (given, family):
        assert word in text, word


def test_footer_on_every_page(case_pages: list[str]) -> None:
    for number, page in enumerate(case_pages, 1):
        assert f"Page {number} of {len(case_pages)}" in page
        assert "María José Núñez Peña — visit of May 4, 2026" in page
