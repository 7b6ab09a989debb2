"""The backup service with a fake adapter: schedule, pruning, permissions, audit, recovery."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from clinic_app.domain.account import Principal, Role
from clinic_app.domain.audit import AuditAction
from clinic_app.domain.errors import PermissionDenied
from clinic_app.services.backup import (
    BackupFailed,
    BackupInvalid,
    BackupPolicy,
    BackupService,
    backup_file_name,
    backup_time,
    backups_to_prune,
    is_due,
)
from clinic_app.services.ports import BackupManifest
from unit.fakes import FakeDatabase, FixedClock, audit_actions, principal

MAGIC = b"SQLite format 3\x00"
DAY = timedelta(hours=24)


class FakeBackupAdapter:
    """Backups as small files: a SQLite-like header, then the manifest as JSON."""

    backend = "sqlite"
    suffix = ".sqlite3"

    def __init__(self) -> None:
        self.rows = {"patients": 3, "audit_log": 7}
        self.live = "current"
        self.fail_check = False
        self.restored: list[Path] = []
        self.set_aside_to: list[Path] = []
        self.put_back_from: list[Path] = []

    def row_counts(self) -> dict[str, int]:
        return dict(self.rows)

    def backup_to(self, path: Path, created_at: datetime) -> BackupManifest:
        if self.fail_check:
            raise BackupFailed("The backup failed its check and was deleted: damaged.")
        body = {"at": created_at.isoformat(), "rows": self.rows, "live": self.live}
        path.write_bytes(MAGIC + json.dumps(body).encode())
        return self.verify(path)

    def verify(self, path: Path) -> BackupManifest:
        data = path.read_bytes()
        if not data.startswith(MAGIC):
            raise BackupInvalid(f"{path} is not a clinic_app backup")
        try:
            body = json.loads(data[len(MAGIC) :])
        except ValueError:
            raise BackupInvalid(f"{path} is damaged") from None
        return BackupManifest(
            "0.1.0", "0004", datetime.fromisoformat(body["at"]), "sqlite", body["rows"]
        )

    def restore_from(self, path: Path) -> BackupManifest:
        manifest = self.verify(path)
        self.restored.append(path)
        self.live = json.loads(path.read_bytes()[len(MAGIC) :])["live"]
        return manifest

    def set_aside(self, path: Path) -> Path | None:
        self.set_aside_to.append(path)
        return path

    def put_back(self, kept: Path) -> None:
        self.put_back_from.append(kept)


@pytest.fixture
def adapter() -> FakeBackupAdapter:
    """A fresh fake adapter."""
    return FakeBackupAdapter()


@pytest.fixture
def service(
    adapter: FakeBackupAdapter, db: FakeDatabase, clock: FixedClock, tmp_path: Path
) -> BackupService:
    """Daily backups kept 3 deep in tmp_path/backups."""
    policy = BackupPolicy(tmp_path / "backups", 3, DAY, tmp_path / "replaced")
    return BackupService(adapter, db, clock, policy)


@pytest.fixture
def admin() -> Principal:
    """The practice admin."""
    return principal(9, "Alex Admin", Role.ADMIN)


# --------------------------------------------------------------------------- pure logic


def test_backup_names_round_trip_and_only_ours_parse() -> None:
    at = datetime(2026, 3, 14, 15, 9, 26, 999, tzinfo=UTC)
    name = backup_file_name(at, ".sqlite3")
    assert name == "clinic-backup-20260314-150926Z.sqlite3"
    assert backup_time(name) == at.replace(microsecond=0)
    for other in (
        "clinic.sqlite3",
        "clinic-backup-20260314-150926Z.sqlite3.bak",
        "clinic-backup-20261399-150926Z.sqlite3",
        "my-clinic-backup-20260314-150926Z.sqlite3",
        "clinic-backup-20260314-150926Z.txt",
    ):
        assert backup_time(other) is None, other


@pytest.mark.parametrize(
    ("age", "due"),
    [
        (None, True),
        (timedelta(hours=23, minutes=59), False),
        (timedelta(hours=24), True),
        (timedelta(days=3), True),
        (timedelta(hours=-1), False),  # a clock a little behind: not yet
        (timedelta(days=-2), True),  # stamped far in the future: the clock was wrong
    ],
)
def test_is_due(age: timedelta | None, due: bool) -> None:
    now = datetime(2026, 3, 14, 12, tzinfo=UTC)
    assert is_due(None if age is None else now - age, now, DAY) is due


def test_prune_keeps_the_newest_and_never_names_other_files() -> None:
    start = datetime(2026, 3, 1, tzinfo=UTC)
    ours = [backup_file_name(start + timedelta(days=i), ".sqlite3") for i in range(5)]
    names = [*ours, "clinic.sqlite3", "notes.txt", "clinic-backup-latest.sqlite3"]
    assert sorted(backups_to_prune(names, 2)) == sorted(ours[:3])
    assert backups_to_prune(names, 10) == []


# --------------------------------------------------------------------------- schedule


def test_scheduled_backup_runs_when_due_then_waits(
    service: BackupService, clock: FixedClock, db: FakeDatabase
) -> None:
    made = service.run_scheduled()
    assert made is not None
    assert made.path.parent == service.policy.folder
    assert made.path.name == backup_file_name(clock.now(), ".sqlite3")
    assert service.run_scheduled() is None  # an hour later: not due
    clock.advance(hours=23)
    assert service.run_scheduled() is None
    clock.advance(hours=1)
    assert service.run_scheduled() is not None
    assert audit_actions(db) == [AuditAction.BACKUP, AuditAction.BACKUP]
    assert db.committed.audit[0].username == "scheduled backup"


def test_schedule_keeps_the_last_n_and_leaves_other_files_alone(
    service: BackupService, clock: FixedClock, tmp_path: Path
) -> None:
    folder = service.policy.folder
    folder.mkdir(parents=True)
    foreign = [
        folder / "clinic-backup-notes.txt",
        folder / "clinic.sqlite3",
        # Named like ours but not a backup file: never deleted.
        folder / "clinic-backup-20000101-000000Z.sqlite3",
    ]
    for path in foreign:
        path.write_text("the admin's own file")
    made = []
    for _ in range(6):
        result = service.run_scheduled()
        assert result is not None
        made.append(result.path)
        clock.advance(days=1)
    left = sorted(p.name for p in folder.iterdir())
    assert left == sorted([p.name for p in made[-3:]] + [p.name for p in foreign])


def test_failed_scheduled_backup_is_reported_and_nothing_pruned(
    service: BackupService, adapter: FakeBackupAdapter, clock: FixedClock, db: FakeDatabase
) -> None:
    first = service.run_scheduled()
    assert first is not None
    clock.advance(days=2)
    adapter.fail_check = True
    with pytest.raises(BackupFailed, match="failed its check"):
        service.run_scheduled()
    assert first.path.exists()
    assert audit_actions(db) == [AuditAction.BACKUP]
    assert service.backup_due()


def test_latest_good_backup_skips_damaged_files(service: BackupService, clock: FixedClock) -> None:
    assert service.latest_good_backup() is None
    older = service.run_scheduled()
    clock.advance(days=1)
    newer = service.run_scheduled()
    assert older is not None
    assert newer is not None
    newer.path.write_bytes(MAGIC + b"{ torn")
    good = service.latest_good_backup()
    assert good is not None
    assert good.path == older.path


# --------------------------------------------------------------------------- manual backup


def test_manual_backup_is_admin_only_and_audited(
    service: BackupService,
    admin: Principal,
    clinician: Principal,
    db: FakeDatabase,
    tmp_path: Path,
) -> None:
    out = tmp_path / "copy.sqlite3"
    with pytest.raises(PermissionDenied, match="practice admin"):
        service.back_up(clinician, out)
    assert not out.exists()
    manifest = service.back_up(admin, out)
    assert manifest.row_counts == {"patients": 3, "audit_log": 7}
    entry = db.committed.audit[-1]
    assert (entry.action, entry.username, entry.user_id) == (AuditAction.BACKUP, "alex.admin", 9)
    with pytest.raises(BackupFailed, match="already exists"):
        service.back_up(admin, out)


def test_an_anonymous_backup_is_refused(
    service: BackupService, db: FakeDatabase, tmp_path: Path
) -> None:
    # A backup is every note in one file: nobody gets one without an admin's login.
    with pytest.raises(PermissionDenied):
        service.back_up(None, tmp_path / "cli.sqlite3")  # type: ignore[arg-type]
    assert not (tmp_path / "cli.sqlite3").exists()
    assert all(e.action != AuditAction.BACKUP for e in db.committed.audit)


# --------------------------------------------------------------------------- restore


def test_restore_keeps_a_verified_copy_first_and_audits(
    service: BackupService,
    adapter: FakeBackupAdapter,
    admin: Principal,
    db: FakeDatabase,
    tmp_path: Path,
    clock: FixedClock,
) -> None:
    backup = tmp_path / "old.sqlite3"
    adapter.live = "monday"
    service.back_up(admin, backup)
    adapter.live = "tuesday"
    clock.advance(hours=5)
    result = service.restore(admin, backup)
    assert adapter.live == "monday"
    assert result.kept is not None
    assert result.kept.parent == tmp_path / "replaced"
    assert result.kept.name == "clinic-20260314-200926.sqlite3"
    # The kept copy holds what was replaced.
    assert b'"tuesday"' in result.kept.read_bytes()
    entry = db.committed.audit[-1]
    assert entry.action is AuditAction.RESTORE_BACKUP
    assert str(backup) in entry.detail
    assert str(result.kept) in entry.detail


def test_restore_refuses_non_admins_and_bad_files_before_touching_anything(
    service: BackupService,
    adapter: FakeBackupAdapter,
    admin: Principal,
    clinician: Principal,
    tmp_path: Path,
) -> None:
    good = tmp_path / "good.sqlite3"
    service.back_up(admin, good)
    with pytest.raises(PermissionDenied):
        service.restore(clinician, good)
    junk = tmp_path / "junk.sqlite3"
    junk.write_text("hello")
    with pytest.raises(BackupInvalid, match="not a clinic_app backup"):
        service.restore(admin, junk)
    assert adapter.restored == []
    assert not (tmp_path / "replaced").exists() or not any((tmp_path / "replaced").iterdir())


def test_recovering_a_damaged_database_sets_it_aside(
    service: BackupService, adapter: FakeBackupAdapter, db: FakeDatabase, clock: FixedClock
) -> None:
    made = service.run_scheduled()
    assert made is not None
    adapter.live = "damaged"
    result = service.recover_damaged(made)
    assert adapter.live == "current"
    assert adapter.set_aside_to == [result.kept]
    assert result.kept is not None
    assert result.kept.name.endswith("-damaged.sqlite3")
    entry = db.committed.audit[-1]
    assert (entry.action, entry.username) == (AuditAction.RESTORE_BACKUP, "start-up recovery")


def test_a_recovery_that_fails_puts_the_damaged_database_back(
    service: BackupService, adapter: FakeBackupAdapter, tmp_path: Path
) -> None:
    made = service.run_scheduled()
    assert made is not None

    def broken(path: Path) -> BackupManifest:
        raise BackupFailed("No space left on device.")

    adapter.restore_from = broken  # type: ignore[method-assign]
    with pytest.raises(BackupFailed, match="No space"):
        service.recover_damaged(made)
    assert adapter.put_back_from == adapter.set_aside_to
    assert len(adapter.put_back_from) == 1
