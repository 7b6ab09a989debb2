"""Time the operations DESIGN.md gives budgets for, and print medians against those budgets.

Usage::

    .venv/bin/python benchmarks/run.py [--patients 100000] [--quick]

Everything runs on SQLite in a temporary data folder that is deleted afterwards. The database
is filled with `clinic-app demo` (timed too), then each operation is warmed up and repeated;
the table shows the median and the 90th percentile. The machine these budgets are for has two
shared cores, so single timings are noisy: compare medians, and rerun before drawing
conclusions. Start-up is measured in fresh processes, from spawn to the "window-shown" line the
app prints when CLINIC_APP_EXIT_AFTER_SHOW is set.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import queue
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from clinic_app.app import form_catalog, note_renderer
from clinic_app.domain.account import Principal
from clinic_app.domain.regions import RegionCode
from clinic_app.services.common import SystemClock
from clinic_app.services.container import Services
from clinic_app.services.demo import DemoResult, fill_demo
from clinic_app.storage.bootstrap import open_database
from clinic_app.storage.db import sqlite_url

if TYPE_CHECKING:
    from sqlalchemy import Engine

MS = 1e-3
STARTUP_TIMEOUT_S = 20.0
SHOWN_LINE = "window-shown"

# The reference: the least a Qt app can do to put a window on screen.
BARE_QT = """
import sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QWidget
app = QApplication(sys.argv[:1])
window = QWidget()
window.resize(1024, 700)
window.show()
def report():
    print("window-shown", flush=True)
    window.close()
    app.quit()
QTimer.singleShot(0, report)
sys.exit(app.exec())
"""

# A clinician's note of realistic length (about 2 KB), edited a little before every save.
NOTE = (
    "Right foot: burning pain along the sole and the medial heel for 8 months, worse after "
    "standing and at night, better with rest; no trauma. Numbness of the hallux and the first "
    "two toes. Back pain occasionally, no leg pain below the knee, no bladder or bowel change. "
    "Inspection: pes planus on standing, no ulcer, skin intact, pulses palpable. Tender behind "
    "the medial malleolus and over the first branch of the lateral plantar nerve. Tinel at the "
    "tarsal tunnel positive with distal radiation to the medial sole; Valleix negative. "
    "Dorsiflexion-eversion test reproduces the burning after 10 s. Triple compression positive. "
    "Sensory: light touch reduced over the medial plantar territory, pin-prick reduced in the "
    "same area, 10 g monofilament felt at 7 of 10 sites, two-point discrimination 12 mm at the "
    "hallux. Intrinsic strength: toe abduction weak on the right. Lumbar screen: straight leg "
    "raise negative to 80 degrees both sides, crossed SLR negative, slump negative; patellar "
    "reflexes 2+ and equal, Achilles 2+ and equal; MRC 5/5 for hip flexion, knee extension, "
    "ankle dorsiflexion, great toe extension and plantar flexion. No red flags. "
)
PLAN = (
    "Nerve conduction studies of both legs. Custom orthoses with medial arch support. Night "
    "splint. Handouts: tarsal tunnel explainer (English). Review in 6 weeks with the results."
)

# Search as the front desk types it: every prefix of a name, then whole queries.
TYPED = ("smith", "maria g")
WHOLE_QUERIES = ("johnson", "garcia m", "nguyen", "smith, j", "xq")


@dataclass
class Row:
    """One line of the result table."""

    name: str
    samples: list[float] = field(default_factory=list)
    budget: float | None = None
    note: str = ""
    unit: str = "s"  # or "MB"

    @property
    def median(self) -> float:
        """Median of the samples, in seconds."""
        return statistics.median(self.samples)

    @property
    def p90(self) -> float:
        """90th percentile of the samples, in seconds."""
        if len(self.samples) < 2:
            return self.samples[0]
        return statistics.quantiles(self.samples, n=10, method="inclusive")[-1]


def fmt_seconds(value: float) -> str:
    """Milliseconds below a second, seconds above."""
    return f"{value / MS:.1f} ms" if value < 1 else f"{value:.2f} s"


def measure(call: Callable[[], Any], runs: int, warmup: int = 2) -> list[float]:
    """Wall times of runs calls of call, after warmup untimed calls."""
    for _ in range(warmup):
        call()
    samples: list[float] = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        samples.append(time.perf_counter() - start)
    return samples


def login(services: Services, result: DemoResult) -> Principal:
    """Log in as the demo account the fill created."""
    if result.password is None:
        raise SystemExit("the demo account existed already; run on a fresh data folder")
    return services.accounts.login(result.username, result.password)


def charted_exam() -> dict[str, Any]:
    """A fully charted bilateral exam: every section's normal preset, every map region."""
    from clinic_app.domain.exam import NeuroFootExam, SensoryMap
    from clinic_app.domain.layout import set_path

    data = NeuroFootExam().model_dump(mode="json")
    # Two-point distances too, so the stored JSON is as big as a fully charted exam gets.
    regions = SensoryMap(
        regions={code: {"two_point_mm": 12} for code in RegionCode}
    ).charted_normal()
    for path, value in form_catalog().exam_layout().normal_values().items():
        if path.endswith("sensory.regions"):
            value = regions.model_dump(mode="json")["regions"]  # a fresh copy per side
        set_path(data, path, value)
    return data


def bench_draft_save(services: Services, actor: Principal, runs: int) -> Row:
    """EncounterService.save_draft of a fully charted exam plus a note (one autosave)."""
    patient = services.patients.register(
        actor,
        {"family_name": "Benchmark", "given_name": "Draft", "date_of_birth": "1961-04-12"},
        allow_duplicate=True,
    )
    enc = services.encounters.create(
        actor,
        {"patient_id": patient.id, "encounter_date": date.today(), "reason": "Heel pain"},
    )
    version = enc.version
    count = 0
    exam = charted_exam()

    def save() -> None:
        nonlocal version, count
        count += 1
        exam["history"]["pain_score"] = count % 11  # one finding changes per save
        saved = services.encounters.save_draft(
            actor,
            enc.id,
            {"exam": exam, "notes": f"{NOTE}Edit {count}.", "plan": PLAN},
            version,
        )
        version = saved.version

    size = len(json.dumps(exam))
    return Row(
        "draft save (full exam + note)",
        measure(save, runs, warmup=3),
        8 * MS,
        f"exam JSON {size / 1024:.1f} KiB",
    )


def assessment_exam() -> dict[str, Any]:
    """A charted exam that fires several rules: right tibial signs, lumbar findings, R13."""
    numb = {
        "light_touch": "reduced",
        "pin_prick": "reduced",
        "monofilament": "felt",
        "symptoms": ["numb", "burning"],
    }
    exam = charted_exam()
    right = exam["right"]
    right["tinel"]["tarsal_tunnel"]["result"] = "positive"
    right["provocation"]["triple_compression"] = "positive"
    for code in ("PL-ARCH-MED", "PL-FORE-MED", "PL-HALLUX", "BD-LAT"):
        right["sensory"]["regions"][code] = dict(numb)
    exam["lumbar"]["back_pain"] = "yes"
    exam["lumbar"]["right"]["leg_pain_below_knee"] = "yes"
    exam["lumbar"]["right"]["achilles"]["grade"] = "1+"
    exam["lumbar"]["right"]["slr"] = {"symptom": "to_foot", "angle_deg": 80}
    return exam


def bench_assessment(runs: int) -> list[Row]:
    """The live assessment after one field change: validate the exam, run every rule."""
    from clinic_app.domain.assessment.model import AssessmentContext, PatientFacts
    from clinic_app.domain.assessment.rules import assess
    from clinic_app.domain.exam import NeuroFootExam, Side

    data = assessment_exam()
    ctx = AssessmentContext(
        patient=PatientFacts(diabetes=True, age=61), release_sides=(Side.RIGHT,)
    )
    grades = ("0", "1+", "2+")
    count = 0
    fired: tuple[str, ...] = ()

    def recompute() -> None:
        nonlocal count, fired
        count += 1
        data["lumbar"]["left"]["patellar"]["grade"] = grades[count % 3]  # one field changes
        fired = assess(NeuroFootExam.model_validate(data), ctx).keys

    exam = NeuroFootExam.model_validate(data)
    return [
        Row(
            "assessment recompute (validate + rules)",
            measure(recompute, runs * 10, warmup=5),
            5 * MS,
            f"fires {len(fired)}: {' '.join(fired)}",
        ),
        Row(
            "  rules only (exam already validated)",
            measure(partial(assess, exam, ctx), runs * 10, warmup=5),
            None,
            "no budget; part of the line above",
        ),
    ]


def bench_handout(runs: int) -> Row:
    """One personalised handout PDF (the longest, in Spanish, large print), fonts already loaded."""
    from clinic_app import resources
    from clinic_app.reports.handout_pdf import HandoutOptions, HandoutSide, render_handout
    from clinic_app.services.handouts import HandoutLibrary

    handout = HandoutLibrary(resources.handouts_dir()).get("tarsal-tunnel-release", "es")
    options = HandoutOptions(
        patient_name="María José Núñez",
        side=HandoutSide.RIGHT,
        visit_date=date.today(),
        clinician="Dr. Ana López",
        extra_next_steps=("Use la férula de noche.",),
        large_print=True,
    )
    return Row(
        "one handout PDF",
        measure(partial(render_handout, handout, options), runs),
        150 * MS,
        "tarsal-tunnel-release (es), large print",
    )


def bench_handout_with_map(runs: int) -> Row:
    """The handout above with the patient's sensory map of both feet on it."""
    from clinic_app import resources
    from clinic_app.domain.exam import NeuroFootExam
    from clinic_app.reports.handout_pdf import (
        HandoutFootMap,
        HandoutOptions,
        HandoutSide,
        render_handout,
    )
    from clinic_app.services.handouts import HandoutLibrary

    handout = HandoutLibrary(resources.handouts_dir()).get("tarsal-tunnel-release", "es")
    exam = NeuroFootExam.model_validate(assessment_exam())
    options = HandoutOptions(
        patient_name="María José Núñez",
        side=HandoutSide.BOTH,
        visit_date=date.today(),
        clinician="Dr. Ana López",
        large_print=True,
        foot_map=HandoutFootMap.from_exam(form_catalog().foot_map(), exam, HandoutSide.BOTH),
    )
    return Row(
        "handout PDF with foot map",
        measure(partial(render_handout, handout, options), runs),
        150 * MS,
        "the same handout, both feet drawn",
    )


def bench_visit_note(runs: int) -> Row:
    """One signed visit note PDF of the assessment exam (map drawn, decisions, one addendum)."""
    from clinic_app.domain.assessment.context import assess_content, patient_facts
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
        signed_payload,
    )
    from clinic_app.domain.patient import Patient
    from clinic_app.reports.handout_pdf import Letterhead
    from clinic_app.reports.visit_note_pdf import VisitNoteInput, render_visit_note

    today = date.today()
    moment = datetime.now(UTC)
    patient = Patient.model_validate(
        {
            "id": 1,
            "mrn": "BENCH-1",
            "family_name": "Núñez",
            "given_name": "María José",
            "date_of_birth": "1961-04-12",
            "diabetes": "yes",
        },
        context={"today": today},
    )
    content = EncounterContent.model_validate(
        {"exam": assessment_exam(), "notes": NOTE, "plan": PLAN, "release": ReleasePlan.RIGHT}
    )
    facts = patient_facts(patient, today)
    keys = assess_content(content, facts, today).keys
    record = AssessmentRecord(
        decisions={
            key: Decision(choice=Choice.ACCEPTED if i % 2 else Choice.DISMISSED, comment="Noted.")
            for i, key in enumerate(keys)
        },
        foot_primary_reason="Tinel and the sensory map point to the tibial nerve at the ankle.",
    )
    draft = Encounter(
        id=1,
        patient_id=1,
        encounter_date=today,
        clinician_id=1,
        clinician_name="Dr. Ana López",
        reason="Numb sole",
        status=EncounterStatus.DRAFT,
        content=content.model_copy(update={"assessment": record}),
        version=1,
        created_at=moment,
        updated_at=moment,
    )
    digest = hash_payload(signed_payload(draft, 1, "Dr. Ana López", moment))
    findings = {"right.inspection.arch": "cavus"}
    text = "Arch rechecked standing."
    addendum = Addendum(
        id=1,
        encounter_id=1,
        text=text,
        author_id=1,
        author_name="Dr. Ana López",
        signed_at=moment,
        content_hash=hash_payload(
            addendum_payload(1, digest, text, 1, "Dr. Ana López", moment, findings)
        ),
        findings=findings,
    )
    encounter = draft.model_copy(
        update={
            "status": EncounterStatus.SIGNED,
            "signed_by_id": 1,
            "signed_by_name": "Dr. Ana López",
            "signed_at": moment,
            "content_hash": digest,
            "addenda": (addendum,),
        }
    )
    catalog = form_catalog()
    note = VisitNoteInput(
        encounter=encounter,
        patient=patient,
        layout=catalog.exam_layout(),
        geometry=catalog.foot_map(),
        assessment=assess_content(
            encounter.content, facts, today, exam=effective_exam(encounter)[0]
        ),
        letterhead=Letterhead(name="Benchmark Foot Clinic", address_lines=("1 Main St",)),
    )
    pages = render_visit_note(note).count(b"/Type /Page\n")
    return Row(
        "one visit note PDF",
        measure(partial(render_visit_note, note), runs),
        250 * MS,
        f"assessment exam, signed, one addendum; {pages} pages" if pages else "assessment exam",
    )


def bench_panel(services: Services, actor: Principal, runs: int) -> list[Row]:
    """The encounter screen after one field change: assess what is on screen, update the panel.

    Runs Qt offscreen in this process. Timed from the change to the end of the event-loop turn
    that repaints (layout and paint included); the autosave it schedules is stopped each time
    (draft saving has its own line).
    """
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from clinic_app.ui.dialogs import Dialogs
    from clinic_app.ui.views.encounter_view import EncounterPane

    app = QApplication.instance() or QApplication([])
    patient = services.patients.register(
        actor,
        {"family_name": "Benchmark", "given_name": "Panel", "date_of_birth": "1960-02-03"},
        allow_duplicate=True,
    )
    enc = services.encounters.create(
        actor, {"patient_id": patient.id, "encounter_date": date.today(), "reason": "Numb sole"}
    )
    services.encounters.save_draft(
        actor, enc.id, {"exam": assessment_exam(), "release": "right"}, enc.version
    )
    pane = EncounterPane(services, Dialogs())
    pane.resize(1366, 700)
    pane.show()
    pane.load(actor, services.encounters.get(actor, enc.id))
    app.processEvents()
    seen: set[tuple[str, ...]] = set()

    def change(path: str, values: tuple[str, ...]) -> Callable[[], None]:
        control = pane.form.control(path)  # type: ignore[union-attr]
        count = 0

        def run() -> None:
            nonlocal count
            count += 1
            # As a user's pick: setCurrentIndex emits the change (set_value would not).
            control.setCurrentIndex(control.findData(values[count % len(values)]))
            app.processEvents()
            pane._autosave.stop()  # saving is timed on its own line
            seen.add(tuple(pane.panel.keys))

        return run

    rows = [
        Row(
            "  panel: change, suggestions unchanged",
            measure(change("right.inspection.arch", ("cavus", "normal")), runs * 3, warmup=4),
            5 * MS,
            "assess + compare + paint",
        ),
        Row(
            "  panel: change adds/removes cards",
            measure(change("lumbar.left.myotomes.ehl", ("4", "5")), runs * 3, warmup=4),
            5 * MS,
            "the R7 card comes and goes; layout + paint included",
        ),
    ]
    if len(seen) < 2:
        raise SystemExit("the panel benchmark changed no card: its findings no longer fire")
    pane.close()
    pane.deleteLater()
    app.processEvents()
    return rows


def bench_search(services: Services, actor: Principal, runs: int) -> list[Row]:
    """PatientService.search per keystroke, and for an MRN and dates of birth."""
    sample = services.patients.search(actor, "smith")[:1] or services.patients.search(actor, "a")
    queries: list[str] = []
    for text in TYPED:
        queries += [text[:n] for n in range(1, len(text) + 1) if text[n - 1] != " "]
    queries += WHOLE_QUERIES
    if sample:
        patient = sample[0]
        dob = patient.date_of_birth
        queries += [patient.mrn, dob.isoformat(), f"{dob.month:02d}/{dob.day:02d}/{dob.year}"]
    rows = [
        Row(f"search {query!r}", measure(partial(services.patients.search, actor, query), runs))
        for query in queries
    ]
    overall = Row(
        "search, every keystroke above",
        [s for row in rows for s in row.samples],
        30 * MS,
    )
    for row in rows:
        row.budget = 30 * MS
    return [*rows, overall]


def make_chart(services: Services, actor: Principal, encounters: int) -> tuple[int, int]:
    """A patient with this many encounters (most signed, some with addenda) through the services.

    Returns:
        The patient's id and the id of a signed encounter with an addendum.
    """
    patient = services.patients.register(
        actor,
        {"family_name": "Benchmark", "given_name": "Chart", "date_of_birth": "1950-01-31"},
        allow_duplicate=True,
    )
    today = date.today()
    with_addendum = 0
    for i in range(encounters):
        enc = services.encounters.create(
            actor,
            {
                "patient_id": patient.id,
                "encounter_date": today - timedelta(days=7 * i),
                "reason": f"Visit {encounters - i}",
            },
        )
        enc = services.encounters.save_draft(
            actor, enc.id, {"notes": NOTE, "plan": PLAN}, enc.version
        )
        if i % 5 == 4:
            continue  # every fifth stays a draft
        enc = services.encounters.sign(actor, enc.id, enc.version)
        if i % 10 == 0:
            services.encounters.add_addendum(actor, enc.id, "Results reviewed with the patient.")
            with_addendum = enc.id
    return patient.id, with_addendum


class SteppingClock:
    """A clock that moves on only when told: a simulated working day, one step per autosave.

    (Moving on at every reading would make time run several steps per save, as a save reads
    the clock more than once, and so audit more editing sessions than a real day has.)
    """

    def __init__(self, start: datetime, step: timedelta) -> None:
        self._now = start
        self._step = step

    def step(self) -> None:
        """One autosave interval later."""
        self._now += self._step

    def now(self) -> datetime:
        """The simulated moment."""
        return self._now

    def today(self) -> date:
        """The simulated day."""
        return self._now.date()


CLINIC_DAYS_A_YEAR = 250
"""Working days a year assumed for the growth estimate (5 days a week, holidays off)."""


def per_visit(path: Path, visits: int) -> str:
    """Where the bytes went, per visit: the biggest tables' pages (SQLite's dbstat)."""
    conn = sqlite3.connect(path)
    try:
        pages = conn.execute(
            "SELECT name, sum(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC LIMIT 3"
        ).fetchall()
        audit_rows = conn.execute("SELECT count(*) FROM audit_log").fetchone()[0]
    except sqlite3.Error:
        return "(no dbstat in this SQLite)"
    finally:
        conn.close()
    parts = [f"{name} {size / visits / 1000:.1f} KB" for name, size in pages]
    return ", ".join(parts) + f" ({audit_rows / visits:.1f} audit entries)"


def plain_copy(engine: Engine, path: Path) -> Path:
    """An unencrypted copy of the encrypted database, for SQLite's page statistics (dbstat)."""
    path.unlink(missing_ok=True)
    raw = engine.raw_connection()  # outside SQLAlchemy's transaction: ATTACH needs none open
    try:
        raw.execute(f"ATTACH DATABASE '{path}' AS plain KEY ''")
        raw.execute("SELECT sqlcipher_export('plain')")
        raw.execute("DETACH DATABASE plain")
    finally:
        raw.close()
    return path


def bench_growth(workdir: Path, days: int) -> Row:
    """Database growth per year: 3 clinicians x 20 visits a day, simulated for some days.

    Each visit registers its patient, autosaves a fully charted exam 30 times (one save every
    30 simulated seconds, as the draft grows), closes the draft and signs; the file size after
    a WAL checkpoint, per clinic day, times the clinic days of a year.
    """
    from clinic_app.domain.account import Role

    folder = workdir / "growth"
    folder.mkdir(parents=True, exist_ok=True)
    # Encrypted, as the app keeps a practice's database (SQLCipher adds a few bytes a page).
    engine, uow_factory = open_database(sqlite_url(folder / "clinic.sqlite3"), key=os.urandom(32))
    try:
        clock = SteppingClock(datetime(2026, 1, 5, 8, 0, tzinfo=UTC), timedelta(seconds=30))
        services = Services.build(uow_factory, clock, form_catalog())
        services.accounts.create_first_admin(
            {"username": "admin", "display_name": "Admin", "password": "growth-admin-pw-2026"}
        )
        admin = services.accounts.login("admin", "growth-admin-pw-2026")
        clinicians = []
        for n in range(3):
            services.accounts.create_account(
                admin,
                {
                    "username": f"dr{n}",
                    "display_name": f"Dr {n}",
                    "password": f"growth-clinician-{n}-pw",
                    "roles": [Role.CLINICIAN.value],
                },
            )
            clinicians.append(services.accounts.login(f"dr{n}", f"growth-clinician-{n}-pw"))

        def size() -> int:
            # Pooled connections released first, so the checkpoint can fold the WAL back in.
            engine.dispose()
            raw = engine.raw_connection()
            try:
                raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                raw.close()
            engine.dispose()
            return sum(f.stat().st_size for f in folder.iterdir() if f.is_file())

        before = size()
        exam = charted_exam()
        started = time.perf_counter()
        for day in range(days):
            for visit in range(20):
                for actor in clinicians:
                    patient = services.patients.register(
                        actor,
                        {
                            "family_name": f"Growth{day}x{visit}",
                            "given_name": actor.display_name.replace(" ", ""),
                            "date_of_birth": "1960-03-01",
                        },
                        allow_duplicate=True,
                    )
                    enc = services.encounters.create(
                        actor,
                        {
                            "patient_id": patient.id,
                            "encounter_date": clock.today(),
                            "reason": "Numb sole",
                        },
                    )
                    version = enc.version
                    for save in range(30):
                        clock.step()
                        exam["history"]["pain_score"] = save % 11
                        version = services.encounters.save_draft(
                            actor,
                            enc.id,
                            {"exam": exam, "notes": f"{NOTE}Edit {save}.", "plan": PLAN},
                            version,
                        ).version
                    services.encounters.close_draft(actor, enc.id)
                    services.encounters.sign(actor, enc.id, version)
        elapsed = time.perf_counter() - started
        grown = size() - before
        per_year = grown / days * CLINIC_DAYS_A_YEAR / 1e6
        return Row(
            "database growth a year, 3 clinicians x 20 visits a day",
            [per_year],
            50.0,
            f"simulated {days} clinic days ({days * 60} signed visits, 30 autosaves each) in "
            f"{elapsed:.0f} s; x {CLINIC_DAYS_A_YEAR} clinic days; per visit: "
            + per_visit(plain_copy(engine, workdir / "growth-plain.sqlite3"), days * 60),
            "MB",
        )
    finally:
        engine.dispose()


def bench_chart(services: Services, actor: Principal, runs: int) -> list[Row]:
    """open_chart on a patient with 100 encounters, and get() of one signed encounter."""
    started = time.perf_counter()
    patient_id, encounter_id = make_chart(services, actor, 100)
    print(f"  (made a chart with 100 encounters in {time.perf_counter() - started:.1f} s)")
    chart = Row(
        "open chart, 100 encounters",
        measure(lambda: services.patients.open_chart(actor, patient_id), runs),
        100 * MS,
    )
    view = services.encounters.get(actor, encounter_id)
    assert view.intact, view.problems
    get = Row(
        "get one signed encounter (hash-checked)",
        measure(lambda: services.encounters.get(actor, encounter_id), runs),
        None,
        "no budget; part of opening a visit",
    )
    return [chart, get]


SIZE_QUERIES = {
    "search: 1-2 letter prefixes": ("s", "sm", "m", "ma", "jo", "g"),
    "search: longer prefixes, names": (
        "smi",
        "smit",
        "smith",
        "mari",
        "maria",
        "maria g",
        "johnson",
        "garcia m",
        "smith, j",
    ),
    "search: prefix matching nothing": ("xq", "jo x", "zzqv", "smith, zz"),
}


def bench_sized(services: Services, actor: Principal, password: str, runs: int) -> dict[str, Row]:
    """The lines that depend on the database's size, on one database.

    Search per keystroke in three groups (the group's worst query is the figure: the budget
    holds for every keystroke), a 100-encounter chart opened, log-in (password check, key
    unlock, audit) and the drafts offer after it.
    """
    rows: dict[str, Row] = {}
    for name, queries in SIZE_QUERIES.items():
        worst: tuple[float, str, list[float]] | None = None
        for query in queries:
            samples = measure(partial(services.patients.search, actor, query), runs)
            median = statistics.median(samples)
            if worst is None or median > worst[0]:
                worst = (median, query, samples)
        assert worst is not None
        rows[name] = Row(name, worst[2], 30 * MS, f"worst: {worst[1]!r}")
    patient_id, _encounter = make_chart(services, actor, 100)
    rows["open chart, 100 encounters"] = Row(
        "open chart, 100 encounters",
        measure(lambda: services.patients.open_chart(actor, patient_id), runs),
        100 * MS,
    )
    rows["log-in"] = Row(
        "log-in",
        measure(lambda: services.accounts.login(actor.username, password), max(3, runs // 5), 1),
        None,
        "password hash, signing key unlocked, audited",
    )
    rows["drafts offer after log-in"] = Row(
        "drafts offer after log-in",
        measure(lambda: services.encounters.drafts(actor), runs),
        100 * MS,
        "the newest 50 drafts",
    )
    return rows


def sized_database(workdir: Path, label: str, patients: int, seed: int) -> tuple[Path, str]:
    """A data folder filled with `clinic-app demo`; its folder and the demo password."""
    folder = workdir / f"size-{label}"
    engine, uow_factory = open_database(sqlite_url(folder / "clinic.sqlite3"))
    try:
        services = Services.build(uow_factory, SystemClock(), form_catalog())
        result = fill_demo(services, patients=patients, seed=seed)
        print(f"  ({label}: {result.summary()})")
        assert result.password is not None
        return folder, result.password
    finally:
        engine.dispose()


def million_copy(workdir: Path, million: Path) -> tuple[Path, str]:
    """A copy of the 1M demo folder (the original is never written), with a known password.

    The demo account's password is set on the copy (its signing key is then made anew at
    the first, untimed, log-in).
    """
    from argon2 import PasswordHasher

    folder = workdir / "size-1M"
    folder.mkdir()
    started = time.perf_counter()
    for name in ("clinic.sqlite3", "clinic.sqlite3-wal"):
        if (million / name).exists():
            shutil.copyfile(million / name, folder / name)
    print(f"  (copied the 1M data folder in {time.perf_counter() - started:.0f} s)")
    password = "benchmark-million-2026"
    engine, uow_factory = open_database(sqlite_url(folder / "clinic.sqlite3"))
    try:
        with uow_factory() as uow:
            found = uow.accounts.by_username("demo.admin")
            if found is None:
                raise SystemExit("the 1M data folder has no demo.admin account")
            uow.accounts.set_password_hash(found[0].id, PasswordHasher().hash(password))
            uow.commit()
    finally:
        engine.dispose()
    return folder, password


def bench_sizes(
    folders: dict[str, tuple[Path, str]], runs: int
) -> list[tuple[str, dict[str, Row]]]:
    """bench_sized on each data folder, smallest first (1M with fewer runs)."""
    out: list[tuple[str, dict[str, Row]]] = []
    for label, (folder, password) in folders.items():
        engine, uow_factory = open_database(sqlite_url(folder / "clinic.sqlite3"))
        try:
            services = Services.build(uow_factory, SystemClock(), form_catalog())
            actor = services.accounts.login("demo.admin", password)
            started = time.perf_counter()
            out.append((label, bench_sized(services, actor, password, runs)))
            print(f"  ({label}: size-dependent lines in {time.perf_counter() - started:.0f} s)")
        finally:
            engine.dispose()
    return out


def print_sized(columns: list[tuple[str, dict[str, Row]]]) -> None:
    """One line per measurement, one column per database size; ratio at the largest."""
    if not columns:
        return
    names = list(columns[0][1])
    width = max(len(n) for n in names) + 2
    header = "".join(f"{label:>11}" for label, _rows in columns)
    print()
    print(f"{'by database size (medians)':<{width}}{header}{'budget':>11}{'ratio':>8}  note")
    print("-" * (width + 11 * len(columns) + 30))
    for name in names:
        cells = "".join(f"{fmt_seconds(rows[name].median):>11}" for _label, rows in columns)
        last = columns[-1][1][name]
        budget = fmt_seconds(last.budget) if last.budget else "-"
        ratio = f"{last.median / last.budget:.2f}" if last.budget else "-"
        flat = columns[-1][1][name].median / columns[0][1][name].median
        note = f"{last.note}; {columns[-1][0]} / {columns[0][0]} = {flat:.1f}x".lstrip("; ")
        print(f"{name:<{width}}{cells}{budget:>11}{ratio:>8}  {note}")


def bench_fhir(services: Services, actor: Principal, workdir: Path, runs: int) -> Row:
    """One FHIR R4 Bundle of a signed encounter, written to a file (as Export does it)."""
    from clinic_app.services.export import ExportFormat

    exports = services.exports
    assert exports is not None
    _patient, encounter_id = make_chart(services, actor, 1)
    out = workdir / "bundle.json"
    return Row(
        "one FHIR export (signed visit, written)",
        measure(lambda: exports.export(actor, encounter_id, ExportFormat.FHIR, out), runs),
        150 * MS,
        f"{out.stat().st_size // 1024} KB bundle with the note PDF",
    )


def bench_import(services: Services, actor: Principal, workdir: Path, runs: int) -> Row:
    """A 10,000-row patient list imported (check, then the one write), new names each run."""
    samples: list[float] = []
    for run in range(runs):
        path = workdir / f"import-{run}.csv"
        lines = ["family_name,given_name,date_of_birth,phone"]
        lines += [
            f"Import{run}x{n},Given{n % 97},{1930 + n % 70}-{1 + n % 12:02d}-{1 + n % 28:02d},"
            f"555-01{n % 100:02d}"
            for n in range(10_000)
        ]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        started = time.perf_counter()
        report = services.patient_import.run(actor, path, apply=True)
        samples.append(time.perf_counter() - started)
        assert report.written == 10_000, report.written
    return Row("import 10,000 patients (CSV)", samples, 10.0, "dry-run check and write")


def bench_session(
    data_dir: Path, user: str, password: str, opens: int, print_sessions: int = 5
) -> list[Row]:
    """Working sessions, each in a fresh process (benchmarks/session_child.py).

    The first one opens `opens` charts and encounters: the first encounter opened in the
    session against later ones, and the resident memory after them. Every one times the
    first print after log-in and the next ones; the first print's line is the median of
    `print_sessions` sessions (one first print per process, and this machine is noisy),
    against the median of their next prints.
    """
    child = Path(__file__).with_name("session_child.py")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLINIC_")}
    env["QT_QPA_PLATFORM"] = "offscreen"
    sessions: list[dict[str, Any]] = []
    for n in range(max(print_sessions, 1)):
        charts = str(opens if n == 0 else 2)
        done = subprocess.run(
            [sys.executable, str(child), str(data_dir), user, password, "--opens", charts],
            capture_output=True,
            text=True,
            env=env,
            timeout=900,
        )
        if done.returncode != 0:
            print(f"session: the child failed: {done.stderr.strip().splitlines()[-1:]}")
            return []
        sessions.append(json.loads(done.stdout.strip().splitlines()[-1]))
    got = sessions[0]
    firsts = [s["first_print"] for s in sessions]
    nexts = [s["next_print"] for s in sessions]
    return [
        Row(
            "open an encounter, first of the session",
            [got["encounter_first"]],
            300 * MS,
            "main window, fresh process",
        ),
        Row("open an encounter, later", [got["encounter_later"]], 150 * MS, "median of the rest"),
        Row(
            "print a visit note, first of the session",
            firsts,
            statistics.median(nexts),
            f"budget: the next print ({fmt_seconds(statistics.median(nexts))}); "
            f"{len(sessions)} sessions, each print after a pause; rendered and painted",
        ),
        Row(
            f"memory: RSS after {got['opened']} charts and encounters",
            [got["rss_mb"]],
            150.0,
            "main window, one session",
            "MB",
        ),
    ]


def bench_verify(workdir: Path, entries: int) -> list[Row]:
    """`clinic-app audit verify` on a trail of entries / 10 and of entries: time, peak memory.

    Each run is a fresh process whose peak resident memory its parent reads (ru_maxrss of
    its only child); the same figure at both lengths is what "constant memory" means.
    """
    from audit_fill import grow_audit_trail

    folder = workdir / "verify"
    made = subprocess.run(
        [
            sys.executable,
            "-m",
            "clinic_app",
            "--data-dir",
            str(folder),
            "demo",
            "--patients",
            "200",
        ],
        capture_output=True,
        text=True,
        env={k: v for k, v in os.environ.items() if not k.startswith("CLINIC_")},
    )
    if made.returncode != 0:
        print(f"verify: demo fill failed: {made.stderr.strip()[-200:]}")
        return []
    rows: list[Row] = []
    for size in (entries // 10, entries):
        started = time.perf_counter()
        grow_audit_trail(folder, size)
        print(f"  (audit trail grown to {size} entries in {time.perf_counter() - started:.0f} s)")
        probe = (
            "import resource, subprocess, sys; "
            "r = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
            "print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
        )
        started = time.perf_counter()
        done = subprocess.run(
            [
                sys.executable,
                "-c",
                probe,
                sys.executable,
                "-m",
                "clinic_app",
                "--data-dir",
                str(folder),
                "audit",
                "verify",
            ],
            capture_output=True,
            text=True,
        )
        took = time.perf_counter() - started
        status, peak_kb = done.stdout.split()
        if status != "0":
            print(f"verify: audit verify failed at {size} entries")
            return rows
        rows.append(Row(f"audit verify, {size:,} entries", [took], None, "whole process"))
        rows.append(
            Row(f"  peak memory at {size:,} entries", [int(peak_kb) / 1024], 200.0, "", "MB")
        )
    return rows


@dataclass
class Launch:
    """What one process start gave."""

    seconds: float | None
    rss_mb: float | None
    detail: str = ""


def rss_mb(pid: int) -> float | None:
    """Resident set size of a live process from /proc (Linux), or None."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return None


def launch(command: list[str], env: dict[str, str]) -> Launch:
    """Start a process and time it until it prints the shown line; it must then exit 0.

    The resident memory is read the moment the line arrives, while the window is up and the
    process is about to quit: the nearest thing to memory at idle a short run can give.
    """
    lines: queue.Queue[tuple[float, str, float | None] | None] = queue.Queue()
    with tempfile.TemporaryFile() as stderr:
        start = time.perf_counter()
        proc = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=stderr, env=env, text=True, bufsize=1
        )

        def read() -> None:
            assert proc.stdout is not None
            for line in proc.stdout:
                now = time.perf_counter()
                text = line.strip()
                lines.put((now, text, rss_mb(proc.pid) if text == SHOWN_LINE else None))
            lines.put(None)

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        shown: tuple[float, str, float | None] | None = None
        deadline = start + STARTUP_TIMEOUT_S
        while shown is None:
            try:
                item = lines.get(timeout=max(0.0, deadline - time.perf_counter()))
            except queue.Empty:
                break
            if item is None:
                break
            if item[1] == SHOWN_LINE:
                shown = item
        try:
            status = proc.wait(timeout=10 if shown else 0.1)
        except subprocess.TimeoutExpired:
            proc.kill()
            status = proc.wait()
        reader.join(timeout=5)
        stderr.seek(0)
        err = stderr.read().decode(errors="replace").strip().splitlines()
    detail = f"exit {status}" + (f": {err[-1]}" if err else "")
    if shown is None or status != 0:
        return Launch(None, None, detail)
    return Launch(shown[0] - start, shown[2], detail)


def startup_env() -> dict[str, str]:
    """The environment for start-up runs: offscreen, exit once shown, no CLINIC_* overrides."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLINIC_")}
    env["QT_QPA_PLATFORM"] = "offscreen"
    env["CLINIC_APP_EXIT_AFTER_SHOW"] = "1"
    return env


def load_average() -> str:
    """The machine's load (1, 5 and 15 minutes), printed beside the figures."""
    try:
        one, five, fifteen = os.getloadavg()
    except OSError:
        return "load unknown"
    return f"load {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} CPUs"


def compile_bytecode() -> None:
    """Compile the app's modules once, as the desktop bundle ships them (see the README)."""
    import compileall

    compileall.compile_dir(str(Path(__file__).resolve().parents[1] / "clinic_app"), quiet=1)


def bench_startup_ratio(data_dirs: dict[str, Path], runs: int) -> list[Row]:
    """Whole-process start to the first page, each data folder interleaved with a bare window.

    The ratio to the bare window's median, in the same run, is what the budget holds (2.0).
    """
    compile_bytecode()
    env = startup_env()
    bare: list[float] = []
    times: dict[str, list[float]] = {name: [] for name in data_dirs}
    for _ in range(runs + 1):
        got = launch([sys.executable, "-c", BARE_QT], env).seconds
        if got is not None:
            bare.append(got)
        for name, folder in data_dirs.items():
            took = launch([sys.executable, "-m", "clinic_app", "--data-dir", str(folder)], env)
            if took.seconds is not None:
                times[name].append(took.seconds)
    bare = bare[1:]
    if not bare:
        return []
    reference = statistics.median(bare)
    rows = [Row("start-up, bare Qt window, this run", bare, None, load_average())]
    for name, samples in times.items():
        if not samples:
            print(f"start-up ({name}): the app did not report")
            continue
        row = Row(f"start-up to first page, {name}", samples[1:] or samples, 2 * reference)
        row.note = f"ratio to bare {row.median / reference:.2f} (budget 2.0)"
        rows.append(row)
    return rows


def bench_startup(workdir: Path, runs: int) -> list[Row]:
    """Bare Qt window, then the app on an empty (already created) and on a new data folder."""
    env = startup_env()
    rows: list[Row] = []
    bare = [launch([sys.executable, "-c", BARE_QT], env) for _ in range(runs + 1)][1:]
    bare_times = [r.seconds for r in bare if r.seconds is not None]
    if bare_times:
        rows.append(Row("start-up, bare Qt window (reference)", bare_times, None, "about 0.16 s"))
    else:
        print(f"start-up: bare Qt window did not report ({bare[0].detail})")

    def app(data_dir: Path) -> Launch:
        return launch([sys.executable, "-m", "clinic_app", "--data-dir", str(data_dir)], env)

    existing = workdir / "startup-empty"
    first = app(existing)  # creates the database; also the warm-up
    if first.seconds is None:
        print(f"start-up: not measured (app did not report; {first.detail})")
        return rows
    runs_existing = [app(existing) for _ in range(runs)]
    fresh = [app(workdir / f"startup-new-{i}") for i in range(max(2, runs // 2))]
    measured = [r for r in runs_existing if r.seconds is not None]
    failed = len(runs_existing) - len(measured)
    if measured:
        rows.append(
            Row(
                "start-up to main window, empty database",
                [r.seconds for r in measured if r.seconds is not None],
                0.5,
                f"{failed} runs did not report" if failed else "",
            )
        )
    fresh_times = [r.seconds for r in fresh if r.seconds is not None]
    if fresh_times:
        rows.append(
            Row(
                "start-up to main window, new data folder",
                fresh_times,
                0.5,
                "creates and migrates the database",
            )
        )
    rss = [r.rss_mb for r in measured if r.rss_mb is not None]
    if rss:
        rows.append(Row("memory: RSS of the app, window shown", rss, 150.0, "at idle", "MB"))
    bare_rss = [r.rss_mb for r in bare if r.rss_mb is not None]
    if bare_rss:
        rows.append(Row("memory: RSS of the bare Qt window", bare_rss, None, "", "MB"))
    return rows


def print_table(rows: list[Row]) -> None:
    """The result table: median, p90, budget and median/budget."""
    width = max(len(r.name) for r in rows) + 2
    print()
    print(f"{'what':<{width}}{'median':>11}{'p90':>11}{'budget':>11}{'ratio':>8}  runs  note")
    print("-" * (width + 52))
    for row in rows:
        if row.unit == "MB":
            median, p90 = f"{row.median:.0f} MB", f"{row.p90:.0f} MB"
            budget = f"{row.budget:.0f} MB" if row.budget else "-"
        else:
            median, p90 = fmt_seconds(row.median), fmt_seconds(row.p90)
            budget = fmt_seconds(row.budget) if row.budget else "-"
        ratio = f"{row.median / row.budget:.2f}" if row.budget else "-"
        print(
            f"{row.name:<{width}}{median:>11}{p90:>11}{budget:>11}{ratio:>8}"
            f"{len(row.samples):>6}  {row.note}".rstrip()
        )


def main(argv: list[str] | None = None) -> int:
    """Fill a temporary database, run every benchmark, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, help="demo patients (default 100000; quick 2000)")
    parser.add_argument("--quick", action="store_true", help="small sizes and few runs")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--no-startup", action="store_true", help="skip the start-up runs")
    parser.add_argument(
        "--growth-days",
        type=int,
        default=22,
        help="clinic days simulated for the growth line (default 22, a month; quick 2)",
    )
    parser.add_argument(
        "--million-dir",
        type=Path,
        help="a data folder already filled with `clinic-app demo --patients 1000000` (built "
        "once, reused; it is copied, never written): adds the 1M column and its start-up",
    )
    parser.add_argument(
        "--sizes",
        help="patients in each size column, comma-separated (default 10000,100000; quick "
        "2000,10000)",
    )
    parser.add_argument(
        "--audit-entries",
        type=int,
        help="audit trail length for the verify lines (default 1000000; quick 100000); "
        "also timed at a tenth of it",
    )
    parser.add_argument("--opens", type=int, default=100, help="charts and encounters opened")
    args = parser.parse_args(argv)
    patients = args.patients or (2_000 if args.quick else 100_000)
    runs = 7 if args.quick else 30
    startup_runs = 3 if args.quick else 9
    sizes = [
        int(n) for n in (args.sizes or ("2000,10000" if args.quick else "10000,100000")).split(",")
    ]
    audit_entries = args.audit_entries or (100_000 if args.quick else 1_000_000)

    print(
        f"clinic_app benchmarks: Python {platform.python_version()}, SQLite "
        f"{sqlite3.sqlite_version}, {os.cpu_count()} CPUs, {patients} demo patients"
        + (" (quick)" if args.quick else "")
        + f"; {load_average()}"
    )
    workdir = Path(tempfile.mkdtemp(prefix="clinic_app-bench-"))
    try:
        engine, uow_factory = open_database(sqlite_url(workdir / "bench" / "clinic.sqlite3"))
        try:
            built: list[Services] = []
            services = Services.build(
                uow_factory,
                SystemClock(),
                form_catalog(),
                note_renderer=note_renderer(lambda: built[0]),
            )
            built.append(services)
            result = fill_demo(services, patients=patients, seed=args.seed)
            print(f"demo fill: {result.summary()}")
            rows = [
                Row(
                    f"demo fill, {patients} patients",
                    [result.seconds],
                    None,
                    f"{result.encounters} encounters; no budget (target: well under 60 s)",
                )
            ]
            actor = login(services, result)
            rows.append(bench_draft_save(services, actor, runs))
            rows += bench_assessment(runs)
            rows.append(bench_handout(runs))
            rows.append(bench_handout_with_map(runs))
            rows.append(bench_visit_note(runs))
            rows += bench_panel(services, actor, runs)
            rows += bench_search(services, actor, runs)
            rows += bench_chart(services, actor, runs)
            rows.append(bench_fhir(services, actor, workdir, runs))
            rows.append(bench_import(services, actor, workdir, 1 if args.quick else 3))
        finally:
            engine.dispose()
        rows.append(bench_growth(workdir, 2 if args.quick else args.growth_days))
        rows += bench_verify(workdir, audit_entries)
        assert result.password is not None
        rows += bench_session(
            workdir / "bench",
            result.username,
            result.password,
            args.opens,
            print_sessions=2 if args.quick else 5,
        )
        size_folders: dict[str, tuple[Path, str]] = {}
        for n in sizes:
            label = f"{n // 1000}k" if n < 1_000_000 else f"{n // 1_000_000}M"
            size_folders[label] = sized_database(workdir, label, n, args.seed)
        if args.million_dir is not None:
            size_folders["1M"] = million_copy(workdir, args.million_dir)
        columns = bench_sizes(size_folders, runs)
        if not args.no_startup:
            folders = {
                "0 patients (first-run set-up page)": workdir / "startup-first-run",
                f"{patients} patients (log-in page)": workdir / "bench",
            }
            if "1M" in size_folders:
                folders["1M patients (log-in page)"] = size_folders["1M"][0]
            rows += bench_startup_ratio(folders, startup_runs)
            rows += bench_startup(workdir, startup_runs)
        print_table(rows)
        print_sized(columns)
        print(f"\n{load_average()} at the end of the run")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
