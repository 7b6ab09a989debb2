"""The command line: `clinic-app [COMMAND ...] [--data-dir DIR | --temp-data-dir] [--db-url URL]`.

The global options (--data-dir, --temp-data-dir, --db-url) may stand before or after the
command: `clinic-app demo --data-dir X --patients 3` and `clinic-app --data-dir X demo` are the
same.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from clinic_app import __version__
from clinic_app.domain.errors import ClinicError

EXIT_BAD_INPUT = 2
REQUIRED_PREFIX = "the following arguments are required: "


class HelpFormatter(argparse.HelpFormatter):
    """Says each option's default (when it has one) after its help."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        default = action.default
        if (
            "%(default)" in text
            or "default:" in text
            or not action.option_strings
            or default in (None, False, "", argparse.SUPPRESS)
        ):
            return text
        return f"{text} (default: %(default)s)"


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a usage error is one line naming the problem, exit status 2."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        """Print one line and exit 2."""
        if message.startswith(REQUIRED_PREFIX):
            message = self._required_message(message.removeprefix(REQUIRED_PREFIX))
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: {message} (see --help)\n")

    def _required_message(self, names: str) -> str:
        """`--out FILE is required` rather than argparse's list of names."""
        shown = []
        for name in names.split(", "):
            action = next((a for a in self._actions if name in a.option_strings), None)
            metavar = action.metavar if action is not None else None
            shown.append(f"{name} {metavar}" if isinstance(metavar, str) else name)
        verb = "is" if len(shown) == 1 else "are"
        return f"{' and '.join(shown)} {verb} required"


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


def default_data_dir_text() -> str:
    """Where the data lives when no option says otherwise, for the help."""
    from clinic_app.settings import default_data_dir

    return f"$CLINIC_DATA_DIR, else {default_data_dir()}"


def add_global_options(parser: argparse.ArgumentParser, *, in_command: bool) -> None:
    """--data-dir, --temp-data-dir and --db-url.

    The top-level parser holds their defaults; each command's parser takes them too, with
    no default of its own, so a value given before the command is kept and one given after
    it is used.
    """
    unset: dict[str, Any] = {"default": argparse.SUPPRESS} if in_command else {}
    group = parser.add_argument_group("global options (before or after the command)")
    group.add_argument(
        "--data-dir",
        type=Path,
        metavar="DIR",
        help=f"folder for the database, settings and backups (default: {default_data_dir_text()})",
        **unset,
    )
    group.add_argument(
        "--temp-data-dir",
        action="store_true",
        help="use a new empty temporary data folder, deleted on exit (for trying the app and "
        "for tests; default: off)",
        **unset,
    )
    group.add_argument(
        "--db-url",
        metavar="URL",
        help="database URL, e.g. postgresql://user:pw@host/db (default: db_url in "
        "settings.json or $CLINIC_DB_URL, else the SQLite file in the data folder)",
        **unset,
    )


def add_command(
    sub: argparse._SubParsersAction[OneLineParser], name: str, summary: str, description: str
) -> OneLineParser:
    """A command with a one-line summary (in the list) and a description (in its --help)."""
    parser = sub.add_parser(name, help=summary, description=description)
    add_global_options(parser, in_command=True)
    return parser


def build_parser() -> OneLineParser:
    """All commands and options."""
    parser = OneLineParser(
        prog="clinic-app",
        description="Offline neuro-foot charting assistant. Without a command, opens the app.",
    )
    parser.add_argument("--version", action="version", version=f"clinic_app {__version__}")
    add_global_options(parser, in_command=False)
    sub = parser.add_subparsers(dest="command", parser_class=OneLineParser, metavar="COMMAND")

    demo = add_command(
        sub,
        "demo",
        "fill the data folder with synthetic demo patients",
        "Add clearly synthetic demo patients, encounters and accounts to the database. It "
        "writes to the real data folder unless --data-dir, --temp-data-dir or --db-url says "
        "otherwise: try it on a separate folder.",
    )
    demo.add_argument(
        "--patients", type=positive_count, default=50, metavar="N", help="how many patients"
    )
    demo.add_argument(
        "--seed", type=int, default=2026, metavar="S", help="the same seed makes the same patients"
    )

    assess = add_command(
        sub,
        "assess",
        "print the assessment of one exam JSON file as JSON",
        "Assess one exam file (its format: `clinic-app assess --schema`). Needs no database "
        "and writes nothing. Suggestions, never diagnoses: the clinician decides.",
    )
    assess.add_argument(
        "exam", type=Path, nargs="?", metavar="EXAM.json", help="the exam to assess"
    )
    assess.add_argument(
        "--schema",
        action="store_true",
        help="print the JSON schema of an exam file and exit",
    )
    assess.add_argument(
        "--diabetes",
        choices=("yes", "no", "unknown"),
        default="unknown",
        help="whether the patient has diabetes",
    )
    assess.add_argument(
        "--age", type=age_years, metavar="N", help="the patient's age in years (default: unknown)"
    )
    assess.add_argument(
        "--release",
        choices=("none", "right", "left", "both"),
        default="none",
        help="a tarsal tunnel release is planned on this side (applies the R11 gate)",
    )
    assess.add_argument(
        "--foot-primary-reason",
        default="",
        metavar="TEXT",
        help="why the foot is the primary source (R11) (default: none given)",
    )
    assess.add_argument(
        "--studies-acknowledged",
        action="store_true",
        help="the clinician acknowledges there is no plantar nerve study or needle EMG (R11)",
    )
    assess.add_argument(
        "--override-reason",
        default="",
        metavar="TEXT",
        help="an override of the gate's tunnel-evidence and competing-cause items, with its "
        "reason (R11) (default: none)",
    )

    handout = add_command(
        sub,
        "handout",
        "list the patient handouts, or print one to a PDF file",
        "Print a patient handout to PDF (no database needed). "
        "`clinic-app handout --list` shows the ids and languages.",
    )
    handout.add_argument("handout_id", nargs="?", metavar="ID", help="the handout to print")
    handout.add_argument("--list", action="store_true", help="list the handouts and exit")
    handout.add_argument(
        "--lang", metavar="en|es", help="the language to print (required with an ID)"
    )
    handout.add_argument(
        "--out", type=Path, metavar="FILE.pdf", help="the PDF file to write (required with an ID)"
    )
    handout.add_argument(
        "--patient",
        metavar="NAME",
        default="",
        help="the patient's name printed on it (default: a blank line to write it on)",
    )
    handout.add_argument(
        "--side",
        choices=("left", "right", "both"),
        help="which foot (default: no side printed)",
    )
    handout.add_argument(
        "--large-print", action="store_true", help="16 pt body text instead of 12 pt"
    )

    add_command(
        sub,
        "self-test",
        "check this installation; exit 0 when all is well",
        "Check this installation: open the database, migrate, load every form and handout, "
        "render a PDF, load Qt; one line per check. Use --temp-data-dir to leave the real "
        "data alone.",
    )

    backup = add_command(
        sub,
        "backup",
        "write a verified backup of the database to a new file",
        "Back up the database while the app may be running (SQLite online backup; pg_dump "
        "on PostgreSQL). The copy is checked before it is kept.",
    )
    backup.add_argument(
        "--user",
        metavar="NAME",
        help="the practice admin it is audited as (password from CLINIC_PASSWORD, or asked)",
    )
    required = backup.add_argument_group("required options")
    required.add_argument(
        "--out", type=Path, metavar="FILE", required=True, help="the new backup file to write"
    )

    restore = add_command(
        sub,
        "restore",
        "replace the database with a backup (admin; close the app first)",
        "Restore a backup made by `clinic-app backup` or the schedule. Needs the user name "
        "and password of a practice admin of the database being replaced (the password is "
        "asked, or read from CLINIC_PASSWORD). The replaced database is kept in "
        "<data dir>/replaced.",
    )
    restore.add_argument("file", type=Path, metavar="FILE", help="the backup to restore")
    required = restore.add_argument_group("required options")
    required.add_argument(
        "--user",
        metavar="NAME",
        required=True,
        help="a practice admin of the database being replaced",
    )

    encrypt = add_command(
        sub,
        "encrypt",
        "encrypt a database made before encryption (admin); `encrypt confirm` then deletes "
        "the unencrypted copy",
        "Encrypt the practice's SQLite database in place with SQLCipher, as the app does at "
        "the first admin log-in: the encrypted copy is checked (integrity and every table's "
        "row count) before it replaces the plain file, which is kept beside it as "
        "clinic.UNENCRYPTED-COPY.sqlite3 until `clinic-app encrypt confirm --user ADMIN` "
        "deletes it. Prints the recovery key once. The password is asked, or read from "
        "CLINIC_PASSWORD.",
    )
    encrypt.add_argument(
        "step",
        nargs="?",
        choices=("confirm",),
        metavar="confirm",
        help="delete the unencrypted copy kept after encrypting (default: encrypt now)",
    )
    required = encrypt.add_argument_group("required options")
    required.add_argument(
        "--user", metavar="NAME", required=True, help="a practice admin (password as for backup)"
    )

    audit = add_command(
        sub,
        "audit",
        "audit trail tools",
        "Tools for the hash-chained audit trail.",
    )
    audit_sub = audit.add_subparsers(
        dest="audit_command", metavar="{verify}", required=True, parser_class=OneLineParser
    )
    verify = add_command(
        audit_sub,
        "verify",
        "check the audit trail's hash chain",
        "Check every link of the audit trail's keyed hash chain against its checkpoint outside "
        "the database, then every signed encounter and addendum against its hash and its "
        "signer's public key: exit 0 when intact, 1 naming the first that fails.",
    )
    verify.add_argument(
        "--user",
        metavar="NAME",
        help="an account whose password unlocks an encrypted database (or set CLINIC_RECOVERY_KEY)",
    )

    keys = add_command(
        sub,
        "keys",
        "signing key tools",
        "Tools for the clinicians' signing keys.",
    )
    keys_sub = keys.add_subparsers(
        dest="keys_command", metavar="{export}", required=True, parser_class=OneLineParser
    )
    keys_export = add_command(
        keys_sub,
        "export",
        "write every public signing key (PEM) to a file",
        "Write the public half of every clinician's signing key, retired ones too, as PEM "
        "blocks: keep the file outside the practice to check signatures independently.",
    )
    keys_required = keys_export.add_argument_group("required options")
    keys_required.add_argument("--out", metavar="FILE", type=Path, required=True, help="the file")
    keys_required.add_argument(
        "--user", metavar="NAME", required=True, help="a practice admin (password as for backup)"
    )

    export = add_command(
        sub,
        "export",
        "write a signed encounter as a PDF visit note or a FHIR R4 Bundle",
        "Write one signed encounter for the practice's main record: the visit note as PDF, or "
        "a FHIR R4 collection Bundle (Patient, Encounter, Observations, Conditions and the "
        "note as a DocumentReference). Audited; drafts and encounters that fail their hash "
        "check are refused. The password is asked, or read from CLINIC_PASSWORD.",
    )
    export.add_argument(
        "encounter_id", type=positive_count, metavar="ENCOUNTER_ID", help="the encounter"
    )
    required = export.add_argument_group("required options")
    required.add_argument("--format", choices=("pdf", "fhir"), required=True, help="what to write")
    required.add_argument(
        "--out", type=Path, metavar="PATH", required=True, help="the file to write"
    )
    required.add_argument(
        "--user", metavar="NAME", required=True, help="the clinician it is audited as"
    )

    imports = add_command(
        sub,
        "import-patients",
        "check (and with --apply, add) patients from a CSV list or FHIR Patient resources",
        "Read a patient list: CSV with a header row (see README, Patient import) or FHIR "
        "Patient resources (a Bundle, or NDJSON). Without --apply nothing is written: the "
        "report lists the rows to add, likely duplicates and refused rows with the reason.",
    )
    imports.add_argument("file", type=Path, metavar="FILE", help="the CSV, JSON or NDJSON file")
    imports.add_argument(
        "--apply", action="store_true", help="add the good rows in one transaction"
    )
    required = imports.add_argument_group("required options")
    required.add_argument("--user", metavar="NAME", required=True, help="the user it is audited as")

    codes = add_command(
        sub,
        "codes",
        "diagnosis code tools",
        "Tools for the ICD-10-CM codes the assessment offers.",
    )
    codes_sub = codes.add_subparsers(
        dest="codes_command", metavar="{import}", required=True, parser_class=OneLineParser
    )
    codes_import = add_command(
        codes_sub,
        "import",
        "load the CMS ICD-10-CM code-description file of a fiscal year (the code-set year "
        "the app offers codes from)",
        "Load the CMS ICD-10-CM code-description file of a fiscal year (the code-set year "
        "the app offers codes from).",
    )
    codes_import.add_argument(
        "file", type=Path, metavar="FILE", help="the CMS code-description file"
    )
    codes_import.add_argument(
        "--year",
        type=int,
        metavar="YYYY",
        help="the fiscal year of the file (default: read from the CMS file name)",
    )
    return parser


def print_exam_schema() -> int:
    """`clinic-app assess --schema`: the exam file format as JSON schema."""
    from clinic_app.schema import render_schema

    sys.stdout.write(render_schema())
    return 0


def run_encrypt(settings: Any, args: argparse.Namespace) -> int:
    """`clinic-app encrypt --user ADMIN`, and `clinic-app encrypt confirm --user ADMIN`.

    Encrypting: the admin's password is checked on the plain database, which is then
    encrypted in place (the same steps as at the window's first admin log-in) and opened
    again to record it. Confirming deletes the unencrypted copy kept since (audited).
    """
    from clinic_app.app import (
        build_services,
        open_data_folder,
        password_from_user,
        unlock_database,
    )

    for line in open_data_folder(settings, create=False):
        print(f"clinic-app: {line}", file=sys.stderr)
    password = password_from_user(args.user)
    db_key = unlock_database(settings, args.user, password)
    services = build_services(settings, db_key=db_key)
    encryption = services.encryption
    if encryption is None:
        raise ClinicError(
            "encrypt: only the SQLite database in the data folder is encrypted by the app (a "
            "PostgreSQL server's data is encrypted by the server's own disk encryption)"
        )
    actor = services.accounts.login(args.user, password)
    if args.step == "confirm":
        removed = encryption.confirm(actor)
        print(f"Deleted the unencrypted copy {removed}.")
        return 0
    if not encryption.due(actor):
        if db_key.secret is not None:
            raise ClinicError("encrypt: the database is already encrypted")
        raise ClinicError(f"encrypt: {args.user} is not a practice admin")
    done = encryption.encrypt(actor, password)
    again = build_services(settings, db_key=db_key)
    assert again.encryption is not None
    again.encryption.record_done(actor, done)
    recovery = again.accounts.take_recovery_key()
    print(
        f"The database is encrypted: {done.report.rows} rows in {done.report.tables} tables "
        f"copied and checked in {done.report.seconds:.1f} s."
    )
    if recovery is not None:
        print(
            "The recovery key, shown this once (print it and keep it with the practice's "
            f"papers, away from the computer): {recovery}"
        )
    print(
        f"The unencrypted database is kept as {done.kept}: once the records are checked, "
        f"delete it with `clinic-app encrypt confirm --user {args.user}`."
    )
    if done.without_slot:
        print(
            "These accounts log in only after an admin sets a new password for them: "
            + ", ".join(done.without_slot)
        )
    return 0


def run_codes(settings: Any, args: argparse.Namespace) -> int:
    """`clinic-app codes import FILE`, when this version has it."""
    from clinic_app import app

    runner = getattr(app, "run_codes_import", None)
    if runner is None:
        raise ClinicError("codes import: this version of clinic_app cannot import codes yet")
    return int(runner(settings, args))


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `clinic-app` script."""
    args = build_parser().parse_args(argv)
    temp_dir: Path | None = None
    try:
        if args.command == "assess":
            # Pure: no settings, no database, nothing written.
            if args.schema:
                return print_exam_schema()
            if args.exam is None:
                raise ClinicError(
                    "assess: EXAM.json is required (its format: clinic-app assess --schema)"
                )
            from clinic_app.app import run_assess

            return run_assess(args)
        if args.command == "handout":
            # No settings, no database: reads the shipped content, writes only --out.
            from clinic_app.app import run_handout

            return run_handout(args)
        from clinic_app.settings import load_settings

        data_dir = args.data_dir
        if args.temp_data_dir:
            if data_dir is not None:
                raise ClinicError("--temp-data-dir: give it or --data-dir, not both")
            temp_dir = data_dir = Path(tempfile.mkdtemp(prefix="clinic_app-"))
        settings = load_settings(data_dir, args.db_url)
        if args.command == "self-test":
            from clinic_app.selftest import run_self_test

            return run_self_test(settings)
        if args.command is None:
            from clinic_app.app import run_gui

            return run_gui(settings)
        if args.command == "codes":
            return run_codes(settings, args)
        if args.command == "encrypt":
            return run_encrypt(settings, args)
        from clinic_app.app import run_command

        return run_command(settings, args)
    except ClinicError as exc:
        print(f"clinic-app: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return 130
    finally:
        if temp_dir is not None:
            remove_temp_data_dir(temp_dir)


def remove_temp_data_dir(path: Path) -> None:
    """Delete the --temp-data-dir folder, after closing what still holds files in it."""
    import gc

    # An engine not yet garbage-collected still holds the database file (Windows cannot
    # delete an open file).
    gc.collect()
    shutil.rmtree(path, ignore_errors=True)
