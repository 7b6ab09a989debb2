"""`clinic-app self-test`: check an installation (source tree or desktop bundle) end to end.

The checks open (and migrate) the configured database, load every shipped form layout, the
sensory-map geometry and every handout, render a handout and a visit note to PDF in memory,
and load the Qt libraries. Each passing check prints one line on standard output; each failing
one prints one line on standard error naming the problem, and the command then exits with
status 2. Nothing clinical is written: on an existing database only the schema may be migrated,
exactly as opening the app would.
"""

from __future__ import annotations

import importlib
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from clinic_app import __version__, resources
from clinic_app.domain.errors import ClinicError
from clinic_app.settings import AppSettings

if TYPE_CHECKING:
    from clinic_app.domain.handouts import Handout
    from clinic_app.services.forms import FormCatalog

EXIT_OK = 0
EXIT_FAILED = 2
MESSAGE_MAX = 400
PDF_MAGIC = b"%PDF-"

# Every file the app opens by name; the handouts and layouts are found by listing.
REQUIRED_FILES = (
    ("forms", "neuro_foot_exam.yaml"),
    ("forms", "neuro_foot_exam.schema.json"),
    ("resources", "foot_map", "geometry.json"),
    ("resources", "fonts", "DejaVuSans.ttf"),
    ("resources", "fonts", "DejaVuSans-Bold.ttf"),
    ("resources", "icons", resources.APP_ICON),
)


class CheckFailed(ClinicError):
    """A check found something wrong; the message names it."""


@dataclass
class SelfTest:
    """The state the checks share: the settings, what has been loaded, what has failed."""

    settings: AppSettings
    failed: set[str] = field(default_factory=set)
    catalog: FormCatalog | None = None
    handouts: tuple[Handout, ...] = ()
    handout_pdf: bytes = b""


@dataclass(frozen=True)
class Check:
    """One named check: returns a short description of what it found, or raises."""

    name: str
    run: Callable[[SelfTest], str]
    needs: tuple[str, ...] = ()


def say(text: str, *, error: bool = False) -> None:
    """Write one report line to standard output (or standard error) straight away."""
    stream = sys.stderr if error else sys.stdout
    stream.write(text + "\n")
    stream.flush()


def one_line(exc: BaseException) -> str:
    """The exception as one line: a ClinicError's own message, otherwise its type and text."""
    text = str(exc) if isinstance(exc, ClinicError) else f"{type(exc).__name__}: {exc}"
    text = " ".join(text.split()) or type(exc).__name__
    return text if len(text) <= MESSAGE_MAX else text[: MESSAGE_MAX - 3] + "..."


def _kb(data: bytes) -> str:
    return f"{len(data) / 1024:.0f} KB"


def _pages(pdf: bytes) -> int:
    # reportlab writes one "/Type /Page" object per page (and "/Type /Pages" for the tree).
    return pdf.count(b"/Type /Page\n")


def _check_pdf(pdf: bytes, what: str) -> None:
    if not pdf.startswith(PDF_MAGIC) or b"%%EOF" not in pdf[-64:]:
        raise CheckFailed(f"the {what} is not a complete PDF file ({len(pdf)} bytes)")
    if _pages(pdf) < 1:
        raise CheckFailed(f"the {what} has no pages")


# --- the checks ----------------------------------------------------------------------------


def check_data_files(_state: SelfTest) -> str:
    """forms/ and resources/ are where resources.py says, with every file opened by name."""
    root, origin = resources.located()
    missing = [path for parts in REQUIRED_FILES if not (path := root.joinpath(*parts)).is_file()]
    if missing:
        more = f" and {len(missing) - 1} more" if len(missing) > 1 else ""
        raise CheckFailed(f"missing {missing[0]}{more} ({origin} files in {root})")
    return f"{origin} files in {root}"


def check_database(state: SelfTest) -> str:
    """Open the database, migrate it to the newest schema, and verify the audit chain."""
    from clinic_app.app import form_catalog
    from clinic_app.services.common import SystemClock
    from clinic_app.services.container import Services
    from clinic_app.storage.bootstrap import open_database
    from clinic_app.storage.db import SCHEMA_HEAD, head_revision, make_engine, schema_revision

    url = state.settings.database_url
    probe = make_engine(url)
    try:
        before = schema_revision(probe)
    except Exception:  # a damaged or unreachable database: open_database says what is wrong
        before = None
    finally:
        probe.dispose()
    engine, uow_factory = open_database(url)
    try:
        now = schema_revision(engine)
        # Read from the migration scripts themselves: proves they were shipped, even when the
        # database was already current and nothing had to run.
        head = head_revision(engine)
        if now != SCHEMA_HEAD or head != SCHEMA_HEAD:
            raise CheckFailed(
                f"schema is at {now}, the migration scripts end at {head}, "
                f"this app expects {SCHEMA_HEAD}"
            )
        from clinic_app.services.keys import PracticeKey, read_practice_key

        # The keyed part of the chain verifies with the data folder's practice key.
        key = PracticeKey(read_practice_key(state.settings.data_dir))
        report = Services.build(
            uow_factory, SystemClock(), form_catalog(), practice_key=key
        ).audit.verify()
        if not report.intact:
            raise CheckFailed(
                f"audit trail broken at entry {report.first_broken_seq}: {report.problem}"
            )
        shown = engine.url.render_as_string(hide_password=True)
    finally:
        engine.dispose()
    migrated = "created" if before is None else ("current" if before == now else f"from {before}")
    return f"{shown}, schema {now} ({migrated}), audit trail intact ({report.entries} entries)"


def check_forms(state: SelfTest) -> str:
    """Every layout loads; the exam layout places each exam field once; schema and map load."""
    import json

    from clinic_app.app import form_catalog
    from clinic_app.domain.exam import NeuroFootExam
    from clinic_app.domain.layout import leaf_paths
    from clinic_app.schema import render_schema
    from clinic_app.services.forms import load_form_layout

    layouts = sorted(resources.forms_dir().glob("*.yaml"))
    for path in layouts:
        load_form_layout(path)
    catalog = form_catalog()
    layout = catalog.exam_layout()
    placed = Counter(layout.paths())
    missing = [path for path in leaf_paths(NeuroFootExam) if path not in placed]
    twice = sorted(path for path, count in placed.items() if count > 1)
    if missing or twice:
        problem = f"{missing[0]} is not placed" if missing else f"{twice[0]} is placed twice"
        raise CheckFailed(f"exam layout {resources.form_path(layout.form_id)}: {problem}")
    schema_path = resources.exam_schema_path()
    try:
        json.loads(schema_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CheckFailed(f"exam schema {schema_path} cannot be read: {one_line(exc)}") from None
    if schema_path.read_text(encoding="utf-8") != render_schema():
        raise CheckFailed(f"exam schema {schema_path} does not match this app's exam model")
    geometry = catalog.foot_map()
    state.catalog = catalog
    return (
        f"{len(layouts)} layout(s); exam: {len(layout.sections)} sections, {len(placed)} fields; "
        f"sensory map: {len(geometry.views)} views; exam schema current"
    )


def check_handouts(state: SelfTest) -> str:
    """Every handout in every language loads and validates."""
    from clinic_app.services.handouts import HandoutLibrary

    library = HandoutLibrary(resources.handouts_dir())
    handouts = library.load_all()
    if not handouts:
        raise CheckFailed(f"no handouts found in {library.root}")
    state.handouts = handouts
    languages = sorted({h.language.value for h in handouts})
    return f"{len(library.ids())} handouts, {len(handouts)} files ({', '.join(languages)})"


def check_handout_pdf(state: SelfTest) -> str:
    """One handout renders to a PDF (fonts embedded, letterhead, personal details)."""
    from clinic_app.reports.handout_pdf import HandoutOptions, HandoutSide, render_handout

    handout = state.handouts[0]
    options = HandoutOptions(
        patient_name="Self Test", side=HandoutSide.RIGHT, visit_date=date.today()
    )
    started = time.perf_counter()
    pdf = render_handout(handout, options)
    seconds = time.perf_counter() - started
    _check_pdf(pdf, "handout PDF")
    state.handout_pdf = pdf
    return (
        f"{handout.id} ({handout.language.value}): {_pages(pdf)} pages, {_kb(pdf)}, "
        f"{seconds * 1000:.0f} ms"
    )


def sample_exam() -> dict[str, Any]:
    """A partly charted exam: the right tarsal tunnel Tinel positive, the medial sole numb."""
    from clinic_app.domain.exam import NeuroFootExam

    data = NeuroFootExam().model_dump(mode="json")
    right = data["right"]
    right["tinel"]["tarsal_tunnel"]["result"] = "positive"
    right["sensory"]["regions"]["PL-ARCH-MED"] = {
        "light_touch": "reduced",
        "pin_prick": "reduced",
        "monofilament": "felt",
        "symptoms": ["numb", "burning"],
    }
    data["lumbar"]["back_pain"] = "no"
    return data


def check_visit_note_pdf(state: SelfTest) -> str:
    """A draft visit note with a charted exam renders to a PDF (map, assessment, watermark)."""
    from clinic_app.domain.encounter import EncounterContent
    from clinic_app.reports.visit_note_pdf import VisitNoteInput, render_visit_note
    from clinic_app.services.encounters import unrecorded_note

    assert state.catalog is not None  # the forms check ran first
    content = EncounterContent.model_validate({"exam": sample_exam(), "plan": "Review."})
    data = unrecorded_note(content, "SELF-TEST", date.today())
    note = VisitNoteInput(
        encounter=data.encounter,
        patient=data.patient,
        layout=state.catalog.exam_layout(),
        geometry=state.catalog.foot_map(),
        assessment=data.assessment,
    )
    started = time.perf_counter()
    pdf = render_visit_note(note)
    seconds = time.perf_counter() - started
    _check_pdf(pdf, "visit note PDF")
    return (
        f"draft with {len(note.assessment.suggestions)} suggestion(s): {_pages(pdf)} pages, "
        f"{_kb(pdf)}, {seconds * 1000:.0f} ms"
    )


def check_qt(_state: SelfTest) -> str:
    """The Qt libraries and the window's modules load (no window is opened)."""
    importlib.import_module("clinic_app.ui.main_window")
    qt = sys.modules.get("PySide6")
    return f"PySide6 {getattr(qt, '__version__', '(version unknown)')}, main window module loaded"


def check_printing(state: SelfTest) -> str:
    """The PDF renderer the print dialog uses (PDFium) draws the handout's first page."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(state.handout_pdf)
    try:
        page = document[0]
        bitmap = page.render(scale=1.0, rev_byteorder=True)
        width, height = bitmap.width, bitmap.height
        # A blank page would be one colour: a rendered handout has text on it.
        inked = bytes(bitmap.buffer).count(0) > 0
        page.close()
    finally:
        document.close()
    if not inked:
        raise RuntimeError("the handout's first page rendered blank")
    return f"first page of the handout rendered at {width}x{height} px"


CHECKS = (
    Check("data files", check_data_files),
    Check("database", check_database),
    Check("forms", check_forms),
    Check("handouts", check_handouts),
    Check("handout PDF", check_handout_pdf, needs=("handouts",)),
    Check("visit note PDF", check_visit_note_pdf, needs=("forms",)),
    Check("printing", check_printing, needs=("handout PDF",)),
    Check("user interface", check_qt),
)


def run_self_test(settings: AppSettings) -> int:
    """Open the database, migrate, load every form and handout, render one PDF; 0 when well.

    Prints one line per check: passing checks on standard output, failing ones on standard
    error (one line each, naming the problem). A check that needs a failed one is skipped.

    Returns:
        0 when every check passed, 2 otherwise.
    """
    frozen = " (desktop build)" if getattr(sys, "frozen", False) else ""
    say(f"clinic_app {__version__} self-test{frozen}, data folder {settings.data_dir}")
    state = SelfTest(settings)
    width = max(len(check.name) for check in CHECKS)
    started = time.perf_counter()
    for check in CHECKS:
        blocked = [name for name in check.needs if name in state.failed]
        if blocked:
            state.failed.add(check.name)
            say(f"skip  {check.name:<{width}}  needs the {', '.join(blocked)} check")
            continue
        try:
            found = check.run(state)
        except Exception as exc:  # every failure, expected or not, is reported as one line
            state.failed.add(check.name)
            say(f"clinic-app self-test: {check.name}: {one_line(exc)}", error=True)
            continue
        say(f"ok    {check.name:<{width}}  {found}")
    seconds = time.perf_counter() - started
    if state.failed:
        say(f"self-test FAILED: {len(state.failed)} of {len(CHECKS)} checks ({seconds:.2f} s)")
        return EXIT_FAILED
    say(f"self-test passed: {len(CHECKS)} checks in {seconds:.2f} s")
    return EXIT_OK
