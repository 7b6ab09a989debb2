"""The command line: `clinic-app [--data-dir DIR] [--db-url URL] [COMMAND ...]`."""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from clinic_app import __version__
from clinic_app.domain.errors import ClinicError

EXIT_BAD_INPUT = 2


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a usage error is one line naming the problem, exit status 2."""

    def error(self, message: str) -> NoReturn:
        """Print one line and exit 2."""
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: {message} (see --help)\n")


def positive_count(text: str) -> int:
    """A patient count from 1 to 1,000,000."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if not 1 <= value <= 1_000_000:
        raise argparse.ArgumentTypeError(f"must be between 1 and 1000000, not {value}")
    return value


def age_years(text: str) -> int:
    """An age from 0 to 150."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number of years: {text!r}") from None
    if not 0 <= value <= 150:
        raise argparse.ArgumentTypeError(f"must be between 0 and 150, not {value}")
    return value


def build_parser() -> OneLineParser:
    """All commands and options."""
    parser = OneLineParser(prog="clinic-app", description="Offline neuro-foot charting assistant.")
    parser.add_argument("--version", action="version", version=f"clinic_app {__version__}")
    parser.add_argument(
        "--data-dir", type=Path, help="folder for the database, settings and backups"
    )
    parser.add_argument(
        "--temp-data-dir",
        action="store_true",
        help="use a new empty temporary data folder (for trying the app and for tests)",
    )
    parser.add_argument("--db-url", help="database URL, e.g. postgresql://user:pw@host/db")
    sub = parser.add_subparsers(dest="command", parser_class=OneLineParser)

    demo = sub.add_parser("demo", help="fill the data folder with synthetic demo patients")
    demo.add_argument("--patients", type=positive_count, default=50)
    demo.add_argument("--seed", type=int, default=2026)

    assess = sub.add_parser(
        "assess",
        help="print the assessment of one exam JSON file as JSON",
        description="Assess one exam (the JSON schema is forms/neuro_foot_exam.schema.json). "
        "Suggestions, never diagnoses: the clinician decides.",
    )
    assess.add_argument("exam", type=Path, metavar="EXAM.json")
    assess.add_argument("--diabetes", choices=("yes", "no", "unknown"), default="unknown")
    assess.add_argument("--age", type=age_years, help="the patient's age in years")
    assess.add_argument(
        "--release",
        choices=("none", "right", "left", "both"),
        default="none",
        help="a tarsal tunnel release is planned on this side (applies the R11 gate)",
    )
    assess.add_argument(
        "--foot-primary-reason", default="", help="why the foot is the primary source (R11)"
    )

    handout = sub.add_parser(
        "handout",
        help="list the patient handouts, or print one to a PDF file",
        description="Print a patient handout to PDF (no database needed). "
        "`clinic-app handout --list` shows the ids and languages.",
    )
    handout.add_argument("handout_id", nargs="?", metavar="ID", help="the handout to print")
    handout.add_argument("--list", action="store_true", help="list the handouts and exit")
    handout.add_argument("--lang", metavar="en|es", help="the language to print")
    handout.add_argument("--out", type=Path, metavar="FILE.pdf", help="the PDF file to write")
    handout.add_argument("--patient", metavar="NAME", default="", help="the patient's name")
    handout.add_argument("--side", choices=("left", "right", "both"), help="which foot")
    handout.add_argument(
        "--large-print", action="store_true", help="16 pt body text instead of 12 pt"
    )

    sub.add_parser(
        "self-test",
        help="check this installation: open the database, migrate, load every form and "
        "handout, render a PDF; exit 0 when all is well",
    )

    backup = sub.add_parser(
        "backup",
        help="write a verified backup of the database to a new file",
        description="Back up the database while the app may be running (SQLite online "
        "backup; pg_dump on PostgreSQL). The copy is checked before it is kept.",
    )
    backup.add_argument("--out", type=Path, metavar="FILE", help="the backup file to write")
    backup.add_argument(
        "--user", metavar="NAME", help="audit it as this admin (password from CLINIC_PASSWORD)"
    )

    restore = sub.add_parser(
        "restore",
        help="replace the database with a backup (admin; close the app first)",
        description="Restore a backup made by `clinic-app backup` or the schedule. Needs a "
        "practice admin's name and password (asked, or CLINIC_PASSWORD). The replaced "
        "database is kept in <data dir>/replaced.",
    )
    restore.add_argument("file", type=Path, metavar="FILE", help="the backup to restore")
    restore.add_argument("--user", metavar="NAME", help="a practice admin's user name")

    audit = sub.add_parser("audit", help="audit trail tools")
    audit_sub = audit.add_subparsers(
        dest="audit_command", metavar="{verify}", required=True, parser_class=OneLineParser
    )
    audit_sub.add_parser("verify", help="check the audit trail's hash chain")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `clinic-app` script."""
    args = build_parser().parse_args(argv)
    try:
        if args.command == "assess":
            # Pure: no settings, no database, nothing written.
            from clinic_app.app import run_assess

            return run_assess(args)
        if args.command == "handout":
            # No settings, no database: reads the shipped content, writes only --out.
            from clinic_app.app import run_handout

            return run_handout(args)
        from clinic_app.settings import load_settings

        data_dir = args.data_dir
        if args.temp_data_dir:
            data_dir = Path(tempfile.mkdtemp(prefix="clinic_app-"))
        settings = load_settings(data_dir, args.db_url)
        if args.command == "self-test":
            from clinic_app.selftest import run_self_test

            return run_self_test(settings)
        if args.command is None:
            from clinic_app.app import run_gui

            return run_gui(settings)
        from clinic_app.app import run_command

        return run_command(settings, args)
    except ClinicError as exc:
        print(f"clinic-app: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return 130
