"""Composition root: settings -> database -> services -> command or main window."""

from __future__ import annotations

import argparse
import os
import sys

from clinic_app.domain.errors import ClinicError, FieldErrors
from clinic_app.services.common import SystemClock
from clinic_app.services.container import Services
from clinic_app.services.forms import NEURO_FOOT_EXAM, FormCatalog
from clinic_app.settings import AppSettings

EXIT_AUDIT_BROKEN = 1


def build_services(settings: AppSettings) -> Services:
    """Open (and migrate) the configured database and wire the services over it."""
    from clinic_app.storage.bootstrap import open_database

    _engine, uow_factory = open_database(settings.database_url)
    return Services.build(uow_factory, SystemClock(), form_catalog())


def form_catalog() -> FormCatalog:
    """The shipped exam layout and sensory-map geometry."""
    from clinic_app import resources

    return FormCatalog(resources.form_path(NEURO_FOOT_EXAM), resources.foot_map_path())


def run_assess(args: argparse.Namespace) -> int:
    """`clinic-app assess EXAM.json`: print the assessment as JSON (no database involved)."""
    import json

    from pydantic import ValidationError

    from clinic_app.domain.assessment.model import AssessmentContext, PatientFacts
    from clinic_app.domain.assessment.record import AssessmentRecord, ReleasePlan
    from clinic_app.domain.assessment.rules import assess
    from clinic_app.services.assessment import assessment_json, read_exam_file

    exam = read_exam_file(args.exam)
    reason = args.foot_primary_reason.strip()
    try:
        AssessmentRecord(foot_primary_reason=reason)
    except ValidationError as exc:
        message = next(iter(FieldErrors.from_validation_error(exc).errors.values()))
        raise ClinicError(f"--foot-primary-reason: {message}") from None
    ctx = AssessmentContext(
        patient=PatientFacts(diabetes={"yes": True, "no": False}.get(args.diabetes), age=args.age),
        release_sides=ReleasePlan(args.release).sides,
        foot_primary_reason=reason,
    )
    found = assess(exam, ctx)
    print(json.dumps(assessment_json(found, ctx, form_catalog().label_of), indent=2))
    return 0


def run_command(settings: AppSettings, args: argparse.Namespace) -> int:
    """Run one command-line command (not the window)."""
    services = build_services(settings)
    if args.command == "demo":
        from clinic_app.services.demo import fill_demo

        result = fill_demo(services, patients=args.patients, seed=args.seed)
        print(result.summary())
        return 0
    if args.command == "audit" and args.audit_command == "verify":
        report = services.audit.verify()
        if report.intact:
            print(f"Audit trail intact: {report.entries} entries, every link verified.")
            return 0
        print(
            f"Audit trail BROKEN at entry {report.first_broken_seq}: {report.problem}.",
            file=sys.stderr,
        )
        return EXIT_AUDIT_BROKEN
    raise ClinicError(f"unknown command {args.command!r}")


def has_display() -> bool:
    """Whether Qt can open a window here (or has been told to draw offscreen)."""
    if os.environ.get("QT_QPA_PLATFORM"):
        return True
    if sys.platform.startswith("linux"):
        return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return True


def run_gui(settings: AppSettings) -> int:
    """Open the main window."""
    if not has_display():
        raise ClinicError(
            "no display found: run it on a desktop session (DISPLAY or WAYLAND_DISPLAY set), "
            "or set QT_QPA_PLATFORM=offscreen to run without a screen"
        )
    from clinic_app.ui.application import run

    return run(settings, lambda: build_services(settings))
