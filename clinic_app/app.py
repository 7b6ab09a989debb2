"""Composition root: settings -> database -> services -> command or main window."""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from clinic_app.domain.errors import ClinicError, FieldErrors
from clinic_app.settings import EXPORT_PENDING_FILE, AppSettings

# The services and the data layer are imported where they are used: the window shows its first
# page before they are loaded (DESIGN.md's start-up budget).
if TYPE_CHECKING:
    from clinic_app.domain.assessment.model import CodeSet
    from clinic_app.services.anchor import ChainAnchor
    from clinic_app.services.backup import BackupPolicy, BackupService, RestoreResult
    from clinic_app.services.container import Services
    from clinic_app.services.encounters import VisitNoteData
    from clinic_app.services.forms import FormCatalog
    from clinic_app.services.handouts import HandoutLibrary
    from clinic_app.services.key_slots import DatabaseKey
    from clinic_app.services.keys import PracticeKey
    from clinic_app.storage.unit_of_work import SqlAlchemyUnitOfWorkFactory
    from clinic_app.ui.views.session_pages import DatabaseSetup

EXIT_AUDIT_BROKEN = 1
PROGRESS_PAUSE_S = 0.5
"""At most two progress updates a second on a terminal."""
PASSWORD_ENV = "CLINIC_PASSWORD"
RECOVERY_ENV = "CLINIC_RECOVERY_KEY"
PATIENT_NAME_MAX = 120


def build_services(
    settings: AppSettings, *, full_check: bool = True, db_key: DatabaseKey | None = None
) -> Services:
    """Open (and migrate) the configured database and wire the services over it.

    full_check=False leaves SQLite's whole-file check to the caller (the window runs it in
    the background after a clean shutdown). db_key: the database key of an encrypted SQLite
    database (unlocked from a key slot or the recovery key); its slots are kept up to date
    as accounts are made, change password or are disabled.
    """
    from clinic_app.services.common import SystemClock
    from clinic_app.services.container import Services
    from clinic_app.services.key_slots import DatabaseKey, KeyRing, KeySlots
    from clinic_app.storage.backup import open_backup_adapter
    from clinic_app.storage.bootstrap import open_database

    if settings.db_url:
        from clinic_app.storage.pgpass import use_password_file

        use_password_file(settings.data_dir, settings.db_url)
    db_key = db_key or DatabaseKey()
    if db_key.secret is None:
        refuse_encrypted_without_key(settings)
    engine, uow_factory = open_database(
        settings.database_url, full_check=full_check, key=db_key.secret
    )
    key, anchor = practice_key(settings, uow_factory)
    built: list[Services] = []
    services = Services.build(
        uow_factory,
        SystemClock(),
        form_catalog(),
        backup=open_backup_adapter(engine, settings.pg_bin_dir, key, db_key),
        backup_policy=backup_policy(settings),
        note_renderer=note_renderer(lambda: built[0]),
        export_folder=settings.export_dir,
        export_pending=settings.data_dir / EXPORT_PENDING_FILE,
        practice_key=key,
        anchor=anchor,
        code_set=loaded_code_set(settings),
        key_ring=KeyRing(KeySlots(settings.data_dir), db_key),
    )
    built.append(services)
    alert = services.audit.check_anchor()
    if alert is not None:
        print(f"clinic-app: INTEGRITY ALERT: {alert}", file=sys.stderr)
    return services


def refuse_encrypted_without_key(settings: AppSettings) -> None:
    """An encrypted database file is never opened (or taken for a damaged one) without its key."""
    from clinic_app.storage.peek import is_plain, sqlite_path

    path = sqlite_path(settings.database_url)
    if path is None or not path.is_file() or path.stat().st_size == 0 or is_plain(path):
        return
    from clinic_app.services.key_slots import KeySlots

    if KeySlots(settings.data_dir).exists():
        raise ClinicError(
            "the database is encrypted: log in to open it (on the command line, give --user "
            f"NAME; its password unlocks it, or set {RECOVERY_ENV} to the recovery key)"
        )


def unlock_database(
    settings: AppSettings,
    username: str | None,
    password: str | None,
    *,
    use_recovery: bool = True,
) -> DatabaseKey:
    """The database key for a command: from the user's key slot, or the recovery key.

    use_recovery=False: $CLINIC_RECOVERY_KEY is not for this database (`restore` reads it
    for the backup).

    A plain SQLite database, a new one, or PostgreSQL need none (the key is then None).
    Raises ClinicError in one line when the database is encrypted and nothing given opens it.
    """
    from clinic_app.services.key_slots import DatabaseKey, KeySlots, key_from_recovery
    from clinic_app.storage.peek import is_plain, sqlite_path

    path = sqlite_path(settings.database_url)
    if path is None or not path.is_file() or path.stat().st_size == 0 or is_plain(path):
        return DatabaseKey()
    slots = KeySlots(settings.data_dir)
    setup = slots.setup_recovery_key() if slots.exists() else None
    if setup is not None and not slots.has_account_slots():
        return DatabaseKey(key_from_recovery(setup))  # first run not finished: no records yet
    recovery = os.environ.get(RECOVERY_ENV) if use_recovery else None
    if recovery:
        secret = key_from_recovery(recovery)
        if slots.exists() and not slots.check(secret):
            raise ClinicError(f"{RECOVERY_ENV} is not this practice's recovery key")
        return DatabaseKey(secret)
    if not slots.exists():
        # Not a SQLite header and no key slots: a damaged file, as the opening reports it
        # (an encrypted one whose slots file was lost opens with the recovery key).
        return DatabaseKey()
    if username is None or password is None:
        raise ClinicError(
            "the database is encrypted: give --user NAME (its password unlocks it), or set "
            f"{RECOVERY_ENV} to the recovery key"
        )
    unlocked = slots.unlock(username, password)
    if unlocked is None:
        from clinic_app.services.accounts import BAD_LOGIN

        raise ClinicError(BAD_LOGIN)
    return DatabaseKey(unlocked)


def practice_key(
    settings: AppSettings, uow_factory: SqlAlchemyUnitOfWorkFactory
) -> tuple[PracticeKey, ChainAnchor]:
    """The practice key (made on first start), which keys the audit chain.

    The chain's head is anchored in the data folder's checkpoint after every commit that
    appends to it.
    """
    from clinic_app.services.anchor import ChainAnchor
    from clinic_app.services.keys import open_practice_key

    try:
        with uow_factory() as uow:
            _keyed_from, key_check = uow.audit.keying()
        key = open_practice_key(settings.data_dir, key_check)
    except Exception:
        uow_factory.engine.dispose()
        raise
    anchor = ChainAnchor(settings.data_dir, key)
    uow_factory.key = key
    uow_factory.anchor = anchor.advance
    return key, anchor


def note_renderer(services: Callable[[], Services]) -> Callable[[VisitNoteData], bytes]:
    """The visit-note renderer the exports use: the shipped layout, the practice letterhead.

    reportlab is imported on the first note, not at start-up.
    """

    def render(data: VisitNoteData) -> bytes:
        from clinic_app.reports.handout_pdf import Letterhead
        from clinic_app.reports.visit_note_pdf import VisitNoteRenderer

        def letterhead() -> Letterhead | None:
            practice = services().practice.get()
            if practice is None:
                return None
            return Letterhead(
                name=practice.name,
                address_lines=practice.address,
                phone=practice.phone,
                logo=practice.logo,
            )

        catalog = services().forms
        return VisitNoteRenderer(catalog.exam_layout, catalog.foot_map, letterhead)(data)

    return render


def loaded_code_set(settings: AppSettings) -> CodeSet | None:
    """The ICD-10-CM code set loaded into the data folder (`codes import`), if any.

    A damaged code-set file is said on stderr and the built-in verified list stands, so the
    records always open.
    """
    from clinic_app.services.codes import CodeFileError, load_code_set

    try:
        loaded = load_code_set(settings.data_dir)
    except CodeFileError as exc:
        print(f"clinic-app: {exc}; the built-in code list is used", file=sys.stderr)
        return None
    return loaded.code_set() if loaded is not None else None


def backup_policy(settings: AppSettings) -> BackupPolicy:
    """The backup folder, how many to keep and how often, from the settings."""
    from datetime import timedelta

    from clinic_app.services.backup import BackupPolicy

    return BackupPolicy(
        folder=settings.backup_folder,
        keep=settings.backup_keep,
        every=timedelta(hours=settings.backup_every_hours),
        replaced_folder=settings.replaced_folder,
    )


def build_recovery(settings: AppSettings, db_key: DatabaseKey | None = None) -> BackupService:
    """Backups over a database that failed to open (no integrity check, no migration).

    Used when the database is damaged: it finds the newest good backup and puts it back.
    """
    from sqlalchemy.pool import NullPool

    from clinic_app.services.anchor import ChainAnchor
    from clinic_app.services.backup import BackupService
    from clinic_app.services.common import SystemClock
    from clinic_app.services.keys import PracticeKey, read_practice_key
    from clinic_app.storage.backup import open_backup_adapter
    from clinic_app.storage.db import make_engine
    from clinic_app.storage.unit_of_work import SqlAlchemyUnitOfWorkFactory

    # No pool: a connection kept open after the recovery would hold the restored file (a
    # later restore would be refused, and Windows cannot replace an open file).
    secret = db_key.secret if db_key is not None else None
    engine = make_engine(settings.database_url, key=secret, poolclass=NullPool)
    # The practice key checks the backup's tag and keys the restore's audit entry.
    key = PracticeKey(read_practice_key(settings.data_dir))
    anchor = ChainAnchor(settings.data_dir, key)
    return BackupService(
        open_backup_adapter(engine, settings.pg_bin_dir, key, db_key),
        SqlAlchemyUnitOfWorkFactory(engine, key, anchor.advance),
        SystemClock(),
        backup_policy(settings),
        key,
        anchor,
    )


def form_catalog() -> FormCatalog:
    """The shipped exam layout and sensory-map geometry."""
    from clinic_app import resources
    from clinic_app.services.forms import NEURO_FOOT_EXAM, FormCatalog

    return FormCatalog(resources.form_path(NEURO_FOOT_EXAM), resources.foot_map_path())


def run_assess(args: argparse.Namespace) -> int:
    """`clinic-app assess EXAM.json`: print the assessment as JSON (no database involved).

    The code set is the one loaded into the data folder (`clinic-app codes import`), or the
    built-in verified list.
    """
    import json

    from pydantic import ValidationError

    from clinic_app import __version__
    from clinic_app.domain.assessment.model import AssessmentContext, PatientFacts
    from clinic_app.domain.assessment.record import AssessmentRecord, GateOverride, ReleasePlan
    from clinic_app.domain.assessment.rules import assess
    from clinic_app.services.assessment import assessment_json, read_exam_file
    from clinic_app.services.codes import load_code_set
    from clinic_app.settings import default_data_dir

    exam = read_exam_file(args.exam)
    reason = args.foot_primary_reason.strip()
    override = " ".join((args.override_reason or "").split())
    try:
        AssessmentRecord(foot_primary_reason=reason)
    except ValidationError as exc:
        message = next(iter(FieldErrors.from_validation_error(exc).errors.values()))
        raise ClinicError(f"--foot-primary-reason: {message}") from None
    if override:
        from datetime import UTC, datetime

        try:
            GateOverride(reason=override, by_name="command line", at=datetime.now(UTC))
        except ValidationError as exc:
            message = next(iter(FieldErrors.from_validation_error(exc).errors.values()))
            raise ClinicError(f"--override-reason: {message}") from None
    data_dir = args.data_dir if args.data_dir is not None else default_data_dir()
    loaded = load_code_set(data_dir)
    ctx = AssessmentContext(
        patient=PatientFacts(diabetes={"yes": True, "no": False}.get(args.diabetes), age=args.age),
        release_sides=ReleasePlan(args.release).sides,
        foot_primary_reason=reason,
        gate_overridden=bool(override),
        no_studies_acknowledged=args.studies_acknowledged,
        code_set=loaded.code_set() if loaded else None,
    )
    found = assess(exam, ctx)
    payload = assessment_json(found, ctx, form_catalog().label_of, __version__)
    print(json.dumps(payload, indent=2, ensure_ascii=False))
    return 0


def run_codes_import(settings: AppSettings, args: argparse.Namespace) -> int:
    """`clinic-app codes import FILE [--year YYYY]`: make a year's CMS file the set in force.

    A bad file gets one line and exit status 2, and nothing changes.
    """
    from datetime import UTC, datetime

    from clinic_app.services.codes import import_code_file, summary

    loaded = import_code_file(
        args.file.expanduser(), settings.data_dir, datetime.now(UTC), getattr(args, "year", None)
    )
    print(summary(loaded))
    return 0


def run_handout(args: argparse.Namespace) -> int:
    """`clinic-app handout --list` or `clinic-app handout ID --lang L --out FILE.pdf`.

    Needs no settings or database. The PDF is written to a temporary file beside --out and
    then moved over it, so a failed run leaves no partial file.
    """
    from clinic_app import resources
    from clinic_app.services.handouts import HandoutLibrary

    library = HandoutLibrary(resources.handouts_dir())
    if args.list:
        if args.handout_id is not None:
            raise ClinicError("handout: give either --list or a handout ID, not both")
        print(handout_listing(library))
        return 0
    if args.handout_id is None:
        raise ClinicError("handout: give a handout ID (see `clinic-app handout --list`)")
    if args.lang is None:
        raise ClinicError("handout: --lang is required (en or es)")
    if args.out is None:
        raise ClinicError("handout: --out FILE.pdf is required")
    patient = " ".join(args.patient.split())
    if len(patient) > PATIENT_NAME_MAX:
        raise ClinicError(f"--patient: at most {PATIENT_NAME_MAX} characters")
    handout = library.get(args.handout_id, args.lang)
    out = check_output_file(args.out)

    from datetime import date

    from clinic_app.reports.handout_pdf import HandoutOptions, HandoutSide, render_handout

    options = HandoutOptions(
        # Practice letterhead comes from the practice settings, which this command does not
        # read; the copy is printed without one rather than with a made-up name.
        letterhead=None,
        patient_name=patient,
        side=HandoutSide(args.side) if args.side else None,
        visit_date=date.today(),
        large_print=args.large_print,
    )
    write_atomically(out, render_handout(handout, options))
    print(out)
    return 0


def handout_listing(library: HandoutLibrary) -> str:
    """One line per handout: id, languages, version(s) and title (English when there is one)."""
    rows: list[tuple[str, str, str, str]] = []
    for handout_id in library.ids():
        versions = [library.get(handout_id, lang.value) for lang in library.languages(handout_id)]
        numbers = sorted({h.version for h in versions})
        version = "v" + "/".join(str(n) for n in numbers)
        languages = ",".join(h.language.value for h in versions)
        rows.append((handout_id, languages, version, versions[0].title))
    widths = [max((len(row[i]) for row in rows), default=0) for i in range(3)]
    return "\n".join(
        f"{r[0]:<{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]:<{widths[2]}}  {r[3]}" for r in rows
    )


def check_output_file(path: Path) -> Path:
    """The absolute --out path, refused unless its folder exists and can be written to."""
    out = path.expanduser().absolute()
    if out.is_dir():
        raise ClinicError(f"--out: {out} is a folder; give a file name such as handout.pdf")
    folder = out.parent
    if folder.exists() and not folder.is_dir():
        raise ClinicError(f"--out: {folder} is not a folder")
    if not folder.is_dir():
        raise ClinicError(f"--out: folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ClinicError(f"--out: folder {folder} is not writable")
    return out


def write_atomically(path: Path, data: bytes) -> None:
    """Write --out whole or not at all; a failure is one line naming the file."""
    from clinic_app.services import files

    try:
        files.write_atomically(path, data)
    except OSError as exc:
        raise ClinicError(f"--out: cannot write {path}: {exc.strerror or exc}") from None


_TYPED: dict[str, str] = {}


def password_from_user(username: str) -> str:
    """The password from $CLINIC_PASSWORD (scripts, tests) or asked without echo."""
    password = os.environ.get(PASSWORD_ENV)
    if password is not None:
        return password
    if username in _TYPED:
        return _TYPED[username]  # asked once per command (it also unlocked the database)
    if not sys.stdin.isatty():
        # getpass would fall back to echoing the password; scripts use the variable.
        raise ClinicError(f"no terminal to ask the password on: set {PASSWORD_ENV}")
    import getpass

    try:
        _TYPED[username] = getpass.getpass(f"Password for {username}: ")
        return _TYPED[username]
    except EOFError:
        raise ClinicError(f"no password given (type it, or set {PASSWORD_ENV})") from None


def check_backup_args(args: argparse.Namespace) -> None:
    """Refuse bad backup/restore arguments before the database is opened (or created)."""
    if args.command == "backup":
        if args.out is None:
            raise ClinicError("backup: --out FILE is required")
        if not args.user:
            raise ClinicError("backup: --user NAME (a practice admin) is required")
        out = check_output_file(args.out)
        if out.exists():
            raise ClinicError(f"--out: {out} already exists; choose a new file name")
        args.out = out
    elif args.command == "restore":
        path = args.file.expanduser().absolute()
        if not path.is_file():
            raise ClinicError(f"restore: {path} is not a file")
        if not args.user:
            raise ClinicError("restore: --user NAME (a practice admin) is required")
        args.file = path


def run_backup(services: Services, args: argparse.Namespace) -> int:
    """`clinic-app backup --out FILE`: a verified backup; prints where and what it holds."""
    backup = services.backup
    if backup is None:
        raise ClinicError("backups are not available for this database")
    out = args.out
    actor = services.accounts.login(args.user, password_from_user(args.user))
    manifest = backup.back_up(actor, out)
    print(
        f"Backup written and verified: {out} (schema {manifest.schema_revision}, "
        f"{manifest.total_rows} rows in {len(manifest.row_counts)} tables)"
    )
    return 0


def run_restore(
    services: Services, args: argparse.Namespace, folder: Path, db_key: DatabaseKey
) -> int:
    """`clinic-app restore FILE --user ADMIN`: admin only, audited, for a stopped app."""
    backup = services.backup
    if backup is None:
        raise ClinicError("backups are not available for this database")
    path = args.file
    password = password_from_user(args.user)
    result = restore_backup(services, backup, path, args.user, password, folder, db_key)
    taken = result.restored.created_at.astimezone().strftime("%Y-%m-%d %H:%M")
    print(f"Restored {path} (taken {taken}, {result.restored.total_rows} rows).")
    if result.kept is not None:
        print(f"The database it replaced is kept at {result.kept}.")
    recovery = services.accounts.take_recovery_key()
    if recovery is not None:
        print(
            f"The restored database is encrypted under a new key. Its recovery key, shown this "
            f"once (print it and keep it with the practice's papers): {recovery}"
        )
    return 0


def restore_backup(
    services: Services,
    backup: BackupService,
    path: Path,
    username: str,
    password: str,
    folder: Path,
    db_key: DatabaseKey | None = None,
) -> RestoreResult:
    """Restore a backup as its admin; on an empty data folder, against the backup's accounts.

    An empty data folder is a new computer: only the backup's own accounts can vouch for it,
    so the admin is checked against those and the practice key comes from their copy. An
    encrypted backup opens there only with the practice's recovery key ($CLINIC_RECOVERY_KEY,
    or asked by the first-run page); the admin's key slot is then made for the restored
    database, and the other accounts get theirs when the admin sets their passwords.
    """
    if not services.accounts.needs_first_admin():
        actor = services.accounts.login(username, password)
        return backup.restore(actor, path)
    adopted = backup_database_key(path)
    if adopted is not None:
        backup.open_backups_with(adopted)
    actor = services.accounts.check_admin_among(backup.accounts_in(path), username, password)
    adopt_backup_key(services, backup, path, actor.user_id, password, folder)
    result = backup.restore(actor, path)
    if db_key is not None and db_key.secret is not None:
        from clinic_app.services.key_slots import KeySlots

        # The restored records are keyed like the new database they replaced: the admin's
        # slot now, the others' when the admin sets their passwords.
        KeySlots(folder).set_slot(username, password, db_key.secret)
    return result


def backup_database_key(path: Path) -> bytes | None:
    """The key of an encrypted backup restored on a new computer: from the recovery key.

    None for a plain backup. Raises ClinicError when the recovery key is missing or wrong.
    """
    from clinic_app.services.key_slots import key_from_recovery
    from clinic_app.storage.peek import is_plain

    if is_plain(path) or not path.is_file():
        return None
    from clinic_app.services.key_slots import RecoveryKeyNeeded

    recovery = os.environ.get(RECOVERY_ENV) or _RECOVERY_TYPED.get("key")
    if not recovery:
        raise RecoveryKeyNeeded(
            f"restore: {path} is encrypted; on a new computer it opens only with the "
            f"practice's recovery key (printed at first run): set {RECOVERY_ENV}"
        )
    return key_from_recovery(recovery)


# The recovery key typed on the first-run page, for the one restore it is asked for.
_RECOVERY_TYPED: dict[str, str] = {}


def adopt_backup_key(
    services: Services,
    backup: BackupService,
    path: Path,
    user_id: int,
    password: str,
    folder: Path,
) -> None:
    """On a new computer the practice key comes from the admin's wrapped copy in the backup.

    The backup's authentication is checked with that key before the key is kept in the data
    folder; a backup whose tag fails is refused and nothing is written.
    """
    from clinic_app.services.keys import KeyUnwrapFailed, write_practice_key

    slot = backup.key_slot_in(path, user_id)
    key = services.practice_key
    if slot is None or key is None:
        raise ClinicError(
            f"restore: {path} holds no practice key for this admin (made before keyed "
            "backups?); restore it on the computer that made it"
        )
    try:
        secret = services.accounts.open_practice_key_slot(slot, password)
    except KeyUnwrapFailed:
        raise ClinicError(f"restore: the practice key in {path} does not open") from None
    key.replace(secret)
    backup.verify(path)
    write_practice_key(folder, secret)


# Commands that may set up a data folder that does not exist yet; every other command
# (backup, audit verify) refuses a missing folder instead of creating an empty practice.
CREATING_COMMANDS = frozenset({"demo", "restore"})


def open_data_folder(settings: AppSettings, *, create: bool) -> list[str]:
    """Private modes from here on; the data folder checked, repaired and swept.

    Args:
        settings: where the data folder is.
        create: whether a missing folder may be created (the window's first start, `demo`,
            `restore` onto a new computer); otherwise it is refused in one line.

    Returns:
        One line per repair made (looser modes tightened, leftovers removed).
    """
    from clinic_app.services.private_files import prepare_data_folder, set_private_umask
    from clinic_app.settings import DB_FILE

    set_private_umask()
    folder = settings.data_dir
    if folder.exists() and not folder.is_dir():
        raise ClinicError(f"the data folder {folder} is not a folder (check --data-dir)")
    if not folder.exists():
        if not create:
            raise ClinicError(
                f"the data folder {folder} does not exist (check --data-dir); only the app's "
                "first start creates one"
            )
        try:
            folder.mkdir(parents=True, mode=0o700)
        except OSError as exc:
            raise ClinicError(
                f"the data folder {folder} cannot be created ({exc.strerror or exc})"
            ) from None
    elif not create and settings.db_url is None and not (folder / DB_FILE).exists():
        raise ClinicError(
            f"there is no practice database in {folder} (check --data-dir); only the app's "
            "first start creates one"
        )
    report = prepare_data_folder(folder, [settings.backup_folder])
    lines = report.lines()
    moved = move_password_out_of_settings(settings)
    if moved:
        lines.append(moved)
    return lines


def move_password_out_of_settings(settings: AppSettings) -> str | None:
    """A settings file written by an older version may hold the PostgreSQL password: move it."""
    import json

    from clinic_app.settings import SETTINGS_FILE, save_settings

    path = settings.data_dir / SETTINGS_FILE
    try:
        stored = json.loads(path.read_text(encoding="utf-8")).get("db_url")
    except (OSError, ValueError, RecursionError, AttributeError):
        return None
    if not isinstance(stored, str) or stored != settings.db_url:
        return None  # (SQLAlchemy, which parses the URL, is not loaded for nothing)
    from clinic_app.storage.pgpass import has_password, store_password

    if not has_password(stored):
        return None
    save_settings(settings.model_copy(update={"db_url": store_password(settings.data_dir, stored)}))
    return f"Moved the database password out of {path} into a private password file."


def run_command(settings: AppSettings, args: argparse.Namespace) -> int:
    """Run one command-line command (not the window)."""
    check_backup_args(args)
    check_export_args(args)
    for line in open_data_folder(settings, create=args.command in CREATING_COMMANDS):
        print(f"clinic-app: {line}", file=sys.stderr)
    user = getattr(args, "user", None)
    db_key = unlock_database(
        settings,
        user,
        password_from_user(user) if user else None,
        use_recovery=args.command != "restore",
    )
    if args.command == "restore":
        encrypt_new_database_for(settings, args.file, db_key)
    services = build_services(settings, db_key=db_key)
    if args.command == "backup":
        return run_backup(services, args)
    if args.command == "restore":
        return run_restore(services, args, settings.data_dir, db_key)
    if args.command == "demo":
        from clinic_app.services.demo import fill_demo

        result = fill_demo(services, patients=args.patients, seed=args.seed)
        print(result.summary())
        return 0
    if args.command == "export":
        return run_export(services, args)
    if args.command == "import-patients":
        return run_import_patients(services, args)
    if args.command == "audit" and args.audit_command == "verify":
        progress = terminal_progress()
        report = services.audit.verify(progress)
        if not report.intact:
            if progress is not None:
                sys.stderr.write("\r\x1b[K")  # the verdict takes the progress line's place
            print(
                f"Audit trail BROKEN at entry {report.first_broken_seq}: {report.problem}.",
                file=sys.stderr,
            )
            return EXIT_AUDIT_BROKEN
        # The chain alone does not vouch for the notes: every signed one is re-hashed.
        records = services.audit.verify_records(progress)
        if not records.intact:
            if progress is not None:
                sys.stderr.write("\r\x1b[K")
            print(
                f"Signed records BROKEN at encounter {records.first_broken_id}: {records.problem}.",
                file=sys.stderr,
            )
            return EXIT_AUDIT_BROKEN
        unsigned = (
            f" ({records.unsigned} signed before signing keys carry no signature and verify "
            "by hash)"
            if records.unsigned
            else ""
        )
        print(
            f"Audit trail intact: {report.entries} entries, every link verified; "
            f"{records.checked} signed encounters and {records.addenda} addenda match their "
            f"hashes and signatures{unsigned}."
        )
        return 0
    if args.command == "keys" and args.keys_command == "export":
        return run_keys_export(services, args)
    raise ClinicError(f"unknown command {args.command!r}")


def terminal_progress() -> Callable[[str, int, int], None] | None:
    """`audit verify`'s progress on one rewritten stderr line, when a person is watching.

    None when stderr is not a terminal (a script reads exactly one line of verdict there).
    """
    if not sys.stderr.isatty():
        return None
    shown = [0.0]
    words = {"chain": "audit trail entries", "records": "signed encounters"}

    def report(stage: str, done: int, total: int) -> None:
        now = time.monotonic()
        if 0 < done < total and now - shown[0] < PROGRESS_PAUSE_S:
            return
        shown[0] = now
        end = "\n" if done >= total else ""
        sys.stderr.write(f"\rChecking {words.get(stage, stage)}: {done:,} of {total:,}\x1b[K{end}")
        sys.stderr.flush()

    return report


def encrypt_new_database_for(settings: AppSettings, backup: Path, db_key: DatabaseKey) -> None:
    """An encrypted backup restored into a new data folder makes an encrypted database.

    Its new key's recovery key is printed after the restore (`run_restore`).
    """
    from clinic_app.services.key_slots import KeySlots
    from clinic_app.storage.peek import is_plain, sqlite_path

    path = sqlite_path(settings.database_url)
    if db_key.secret is not None or path is None or path.exists() or is_plain(backup):
        return
    db_key.replace(KeySlots(settings.data_dir).begin()[1])


def run_keys_export(services: Services, args: argparse.Namespace) -> int:
    """`clinic-app keys export --out FILE --user ADMIN`: every public signing key, as PEM.

    Kept outside the practice (printed, or with the accountant), the file lets anyone check a
    signed note's signature without trusting this computer or its database.
    """
    from clinic_app.services.keys import public_key_pem

    actor = services.accounts.login(args.user, password_from_user(args.user))
    blocks: list[str] = []
    for account, key in services.accounts.signing_keys(actor):
        who = f"{account.username} ({account.display_name})" if account else f"#{key.user_id}"
        state = (
            f"retired {key.retired_at.isoformat(timespec='seconds')}"
            if key.retired_at
            else "in use"
        )
        blocks.append(
            f"# signing key #{key.id} of {who}, made {key.created_at.isoformat(timespec='seconds')}"
            f", {state}\n{public_key_pem(key.public_key)}"
        )
    write_atomically(args.out, "\n".join(blocks).encode("utf-8"))
    print(f"{len(blocks)} public signing keys written to {args.out}")
    return 0


def check_export_args(args: argparse.Namespace) -> None:
    """Refuse bad export arguments before the database is opened."""
    if args.command == "keys":
        out = check_output_file(args.out)
        if out.exists():
            raise ClinicError(f"--out: {out} already exists; choose a new file name")
        args.out = out
        return
    if args.command != "export":
        return
    if not args.user:
        raise ClinicError("export: --user NAME (a clinician) is required")
    args.out = check_output_file(args.out)


def run_export(services: Services, args: argparse.Namespace) -> int:
    """`clinic-app export ENCOUNTER_ID --format pdf|fhir --out PATH --user NAME` (audited)."""
    from clinic_app.services.export import ExportFormat

    exports = services.exports
    if exports is None:
        raise ClinicError("export is not available in this build")
    actor = services.accounts.login(args.user, password_from_user(args.user))
    out = exports.export(actor, args.encounter_id, ExportFormat(args.format), args.out)
    print(out)
    return 0


def run_import_patients(services: Services, args: argparse.Namespace) -> int:
    """`clinic-app import-patients FILE [--apply] --user NAME`: a dry run unless --apply."""
    actor = services.accounts.login(args.user, password_from_user(args.user))
    report = services.patient_import.run(actor, args.file.expanduser(), apply=args.apply)
    print(report.text())
    return 0


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
    notes = open_data_folder(settings, create=True)
    for line in notes:
        print(f"clinic-app: {line}", file=sys.stderr)
    from clinic_app.services.key_slots import DatabaseKey
    from clinic_app.storage.peek import has_accounts, quick_check, sqlite_path
    from clinic_app.ui.application import StartUp, run

    path = sqlite_path(settings.database_url)
    running = settings.data_dir / RUNNING_MARKER
    # After a clean shutdown the whole-file check runs in the background once the window is
    # up; after an unclean one (the marker was left) it runs in full, read-only, before the
    # database is opened for writing.
    unclean = path is None or running.exists()
    db_key = DatabaseKey()
    accounts_exist: Callable[[], bool | None] | None = None
    unlock: Callable[[str, str], str | None] | None = None
    if path is not None:
        locked = choose_database_key(settings, path, db_key)
        if locked:
            accounts_exist = lambda: True  # noqa: E731  # the slots say so; the file is sealed
            unlock = database_unlocker(settings, db_key)
        else:
            accounts_exist = lambda: has_accounts(path, db_key.secret)  # noqa: E731
    start = StartUp(
        accounts_exist=accounts_exist,
        check_file=(
            (lambda: quick_check(path, db_key.secret)) if path is not None and not unclean else None
        ),
        running_marker=running,
        unlock=unlock,
    )
    return run(
        settings,
        lambda: build_services(settings, full_check=unclean, db_key=db_key),
        lambda: build_recovery(settings, db_key),
        lambda: database_setup(settings, db_key),
        start,
    )


def choose_database_key(settings: AppSettings, path: Path, db_key: DatabaseKey) -> bool:
    """Decide how the window's SQLite database is keyed; True when a log-in must unlock it.

    - No database yet: a new practice. Its database is encrypted under a new random key,
      whose recovery key is shown to the first admin (kept in the slots file until then).
    - An encrypted database whose slots hold accounts: the log-in page unlocks it.
    - An encrypted database with no accounts yet (first run not finished): the kept key.
    - A plain database (made before encryption, or by `demo`): opened as it is; the first
      admin to log in has it encrypted in place.
    """
    from clinic_app.services.key_slots import KeySlots, key_from_recovery
    from clinic_app.storage.peek import is_plain

    slots = KeySlots(settings.data_dir)
    if settings.db_url is not None:
        return False
    if not path.exists():
        if slots.exists():
            setup = slots.setup_recovery_key()
            if setup is not None and not slots.has_account_slots():
                db_key.replace(key_from_recovery(setup))
                return False
            # Slots of a database that is not here (moved away?): kept aside, not overwritten.
            aside = slots.path.with_name(f"{slots.path.name}.{os.getpid()}.old")
            slots.path.replace(aside)
        db_key.replace(slots.begin()[1])
        return False
    if path.stat().st_size == 0 or is_plain(path) or not slots.exists():
        return False  # plain; or damaged/missing slots, which the opening then reports
    if slots.has_account_slots():
        return True
    setup = slots.setup_recovery_key()
    if setup is not None:
        db_key.replace(key_from_recovery(setup))
    return False


def database_unlocker(
    settings: AppSettings, db_key: DatabaseKey
) -> Callable[[str, str], str | None]:
    """What the log-in page calls with the typed name and password: None once unlocked."""

    def unlock(username: str, password: str) -> str | None:
        from clinic_app.services.accounts import BAD_LOGIN
        from clinic_app.services.key_slots import KeySlots

        try:
            secret = KeySlots(settings.data_dir).unlock(username, password)
        except ClinicError as exc:
            return str(exc)
        if secret is None:
            return BAD_LOGIN
        db_key.replace(secret)
        return None

    return unlock


# Left in the data folder while the window runs: found at the next start, it means the app did
# not shut down cleanly, and the database file is checked in full before it is opened.
RUNNING_MARKER = ".clinic_app.running"


def database_setup(settings: AppSettings, db_key: DatabaseKey | None = None) -> DatabaseSetup:
    """What the first-run page needs to test a PostgreSQL URL and move the records there.

    The storage modules are imported when used: the first-run page shows before they load.
    """
    from clinic_app.settings import save_settings
    from clinic_app.ui.views.session_pages import DatabaseSetup

    if TYPE_CHECKING:
        from clinic_app.services.practice import DatabaseProbe

    def on_server(url: str) -> AppSettings:
        return settings.model_copy(update={"db_url": url})

    def probe(url: str) -> DatabaseProbe:
        from clinic_app.storage.probe import probe_database

        return probe_database(url)

    def remember(url: str) -> None:
        from clinic_app.storage.pgpass import store_password

        # settings.json gets the URL without its password; the password goes to the data
        # folder's 0600 pgpass file, which libpq reads at the next start.
        save_settings(on_server(store_password(settings.data_dir, url)))

    def restore(services: Services, path: Path, username: str, password: str) -> Services:
        # First run on a new computer: the practice comes back from its backup, then the
        # records are opened afresh for the people in it to log in.
        backup = services.backup
        if backup is None:
            raise ClinicError("backups are not available for this database")
        restore_backup(services, backup, path, username, password, settings.data_dir, db_key)
        return build_services(settings, db_key=db_key)

    def give_recovery_key(text: str) -> None:
        _RECOVERY_TYPED["key"] = text

    return DatabaseSetup(
        data_folder=settings.data_dir,
        give_recovery_key=give_recovery_key,
        probe=probe,
        open=lambda url: build_services(on_server(url)),
        remember=remember,
        restore=restore,
    )
