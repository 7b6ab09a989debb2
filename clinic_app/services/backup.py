"""Backups: make and check copies of the database, keep the last N on a schedule, restore one."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from clinic_app.domain.account import Account, Principal, Role
from clinic_app.domain.audit import AuditAction
from clinic_app.domain.errors import ClinicError, PermissionDenied
from clinic_app.services.anchor import ChainAnchor
from clinic_app.services.common import audit
from clinic_app.services.keys import PracticeKey
from clinic_app.services.ports import BackupManifest, Clock, DatabaseBackup, UnitOfWorkFactory

BACKUP_PREFIX = "clinic-backup-"
# Only files named exactly like this are ever pruned: clinic-backup-20260314-150926Z.sqlite3
BACKUP_NAME_RE = re.compile(r"^clinic-backup-(\d{8}-\d{6})Z(\.sqlite3|\.zip)$")
STAMP_FORMAT = "%Y%m%d-%H%M%S"
# The first bytes of the two backup formats: a SQLite database file and a zip archive.
BACKUP_MAGICS = (b"SQLite format 3\x00", b"PK\x03\x04")
SCHEDULED_USERNAME = "scheduled backup"
COMMAND_LINE_USERNAME = "command line"
RECOVERY_USERNAME = "start-up recovery"


class BackupFailed(ClinicError):
    """A backup or restore could not be completed; nothing was left half-written."""


class BackupInvalid(ClinicError):
    """A file offered for restore is not a clinic_app backup, is damaged, or is too new."""


@dataclass(frozen=True)
class BackupPolicy:
    """Where scheduled backups go, how many are kept and how often one is made.

    Attributes:
        folder: the backup folder (settings.backup_folder).
        keep: how many scheduled backups to keep (the newest).
        every: the time between scheduled backups.
        replaced_folder: where a restore keeps the database it replaced.
    """

    folder: Path
    keep: int = 14
    every: timedelta = timedelta(hours=24)
    replaced_folder: Path | None = None


@dataclass(frozen=True)
class BackupFile:
    """A verified backup file and what it says about itself."""

    path: Path
    manifest: BackupManifest


@dataclass(frozen=True)
class RestoreResult:
    """What a restore did.

    Attributes:
        restored: the manifest of the backup put back.
        kept: where the replaced database was kept (None when there was none).
    """

    restored: BackupManifest
    kept: Path | None


# --------------------------------------------------------------------------- schedule logic


def stamp(at: datetime) -> str:
    """A moment as the UTC stamp used in backup file names (20260314-150926)."""
    return at.astimezone(UTC).strftime(STAMP_FORMAT)


def backup_file_name(at: datetime, suffix: str) -> str:
    """The file name of a scheduled backup taken at a moment."""
    return f"{BACKUP_PREFIX}{stamp(at)}Z{suffix}"


def backup_time(name: str) -> datetime | None:
    """When a scheduled backup was taken, read from its name; None for any other name."""
    m = BACKUP_NAME_RE.match(name)
    if not m:
        return None
    try:
        return datetime.strptime(m[1], STAMP_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return None


def is_due(newest: datetime | None, now: datetime, every: timedelta) -> bool:
    """Whether a scheduled backup is due, given the newest one's time and the interval.

    A newest backup stamped well in the future means the clock was wrong when it was made;
    it does not hold back new backups.
    """
    if newest is None:
        return True
    age = now - newest
    return age >= every or -age > every


def backups_to_prune(names: Iterable[str], keep: int) -> list[str]:
    """Which of these file names to delete so only the newest `keep` scheduled backups stay.

    Names that are not scheduled backups are never returned.
    """
    dated = [(when, name) for name in names if (when := backup_time(name)) is not None]
    dated.sort(reverse=True)
    return [name for _when, name in dated[max(keep, 0) :]]


def looks_like_backup(path: Path) -> bool:
    """A regular file (not a link) starting like one of our backup formats."""
    try:
        if path.is_symlink() or not path.is_file():
            return False
        with path.open("rb") as fh:
            head = fh.read(16)
    except OSError:
        return False
    return any(head.startswith(magic) for magic in BACKUP_MAGICS)


def require_admin(actor: Principal | None, what: str) -> None:
    """Raise PermissionDenied unless the actor is a logged-in practice admin."""
    if actor is None or Role.ADMIN not in actor.roles:
        raise PermissionDenied(f"Only a practice admin may {what}.")


class BackupService:
    """Back up on demand and on a schedule, check backups, restore one (admin only)."""

    def __init__(
        self,
        adapter: DatabaseBackup,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        policy: BackupPolicy,
        practice_key: PracticeKey | None = None,
        anchor: ChainAnchor | None = None,
    ) -> None:
        self._adapter = adapter
        self._uow = uow_factory
        self._clock = clock
        self.policy = policy
        self._key = practice_key
        self._anchor = anchor

    @property
    def backend(self) -> str:
        """The kind of database backed up ("sqlite" or "postgresql")."""
        return self._adapter.backend

    @property
    def suffix(self) -> str:
        """The file name ending of this database's backups."""
        return self._adapter.suffix

    def suggested_name(self) -> str:
        """A file name for a backup made now."""
        return backup_file_name(self._clock.now(), self._adapter.suffix)

    def back_up(self, actor: Principal, out: Path) -> BackupManifest:
        """Write a verified backup to out and audit it (admin only).

        A backup is a full copy of every note, so only a logged-in practice admin may ask
        for one; the schedule runs as the app's own audited task (``run_scheduled``).

        Args:
            actor: the admin asking.
            out: the file to write; it must not exist yet.
        """
        require_admin(actor, "make a backup")
        if out.exists():
            raise BackupFailed(f"{out} already exists; choose a new file name.")
        manifest = self._adapter.backup_to(out, self._clock.now())
        self._audit(
            actor,
            AuditAction.BACKUP,
            f"{out} ({manifest.total_rows} rows, schema {manifest.schema_revision})",
            COMMAND_LINE_USERNAME,
        )
        return manifest

    def accounts_in(self, path: Path) -> list[tuple[Account, str]]:
        """The accounts inside a backup file (it is verified first; raises BackupInvalid)."""
        return self._adapter.accounts_in(path)

    def key_slot_in(self, path: Path, user_id: int) -> str | None:
        """An account's wrapped copy of the practice key inside a backup file, or None."""
        return self._adapter.key_slot_in(path, user_id)

    def verify(self, path: Path) -> BackupManifest:
        """Check a backup file (raises BackupInvalid naming the problem)."""
        return self._adapter.verify(path)

    # ----------------------------------------------------------------------- schedule

    def scheduled_backups(self) -> list[Path]:
        """Our scheduled backups in the backup folder, newest first."""
        folder = self.policy.folder
        try:
            names = [p.name for p in folder.iterdir()]
        except OSError:
            return []
        dated = [(when, name) for name in names if (when := backup_time(name)) is not None]
        return [folder / name for _when, name in sorted(dated, reverse=True)]

    def newest_backup_time(self) -> datetime | None:
        """When the newest scheduled backup was taken (None when there is none)."""
        for path in self.scheduled_backups():
            if looks_like_backup(path):
                return backup_time(path.name)
        return None

    def backup_due(self) -> bool:
        """Whether the schedule calls for a backup now."""
        return is_due(self.newest_backup_time(), self._clock.now(), self.policy.every)

    def run_scheduled(self) -> BackupFile | None:
        """Make a scheduled backup when one is due, then prune; None when none was due.

        Raises BackupFailed when the backup could not be made or failed its check (the bad
        copy is already deleted).
        """
        if not self.backup_due():
            return None
        folder = self.policy.folder
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise BackupFailed(
                f"The backup folder {folder} cannot be created ({exc.strerror or exc})."
            ) from None
        now = self._clock.now()
        out = folder / backup_file_name(now, self._adapter.suffix)
        if out.exists():
            return None  # made this very second by another workstation or a second timer
        manifest = self._adapter.backup_to(out, now)
        self._audit(None, AuditAction.BACKUP, f"{out} (scheduled)", SCHEDULED_USERNAME)
        self.prune()
        return BackupFile(out, manifest)

    def prune(self) -> list[Path]:
        """Delete scheduled backups beyond the newest `keep`; what was deleted.

        Only files named like our scheduled backups and starting like a backup file are
        touched; anything else in the folder stays.
        """
        ours = [p for p in self.scheduled_backups() if looks_like_backup(p)]
        doomed = set(backups_to_prune((p.name for p in ours), self.policy.keep))
        removed: list[Path] = []
        for path in ours:
            if path.name in doomed:
                try:
                    path.unlink()
                except OSError:
                    continue  # tried again after the next backup
                removed.append(path)
        return removed

    def latest_good_backup(self) -> BackupFile | None:
        """The newest scheduled backup that passes verification, or None."""
        for path in self.scheduled_backups():
            if not looks_like_backup(path):
                continue
            try:
                return BackupFile(path, self._adapter.verify(path))
            except ClinicError:
                continue
        return None

    # ----------------------------------------------------------------------- restore

    def open_backups_with(self, key: bytes) -> None:
        """Read encrypted backups with another database key (a new computer's restore)."""
        opener = getattr(self._adapter, "open_backups_with", None)
        if opener is not None:
            opener(key)

    def restore(self, actor: Principal, path: Path) -> RestoreResult:
        """Put a backup back (admin only), keeping a verified copy of what it replaces.

        The backup is checked first (refused when not ours, damaged or too new); the current
        database is then copied to the replaced folder with the same verified routine; the
        backup replaces it and is migrated to the newest schema; the restore is audited in
        the restored database.
        """
        require_admin(actor, "restore a backup")
        manifest = self._adapter.verify(path)
        kept = self._replaced_path("")
        self._adapter.backup_to(kept, self._clock.now())
        self._adapter.restore_from(path)
        self._reanchor(manifest)
        self._audit_restore(actor, path, manifest, kept, RECOVERY_USERNAME)
        return RestoreResult(manifest, kept)

    def _reanchor(self, manifest: BackupManifest) -> None:
        """The checkpoint outside the database follows the restored chain's head.

        A restore is the one time the chain may legitimately become shorter; the backup's
        head was authenticated with the rest of it.
        """
        if self._anchor is not None:
            self._anchor.reset(manifest.audit_head)

    def recover_damaged(self, backup: BackupFile) -> RestoreResult:
        """Replace a damaged database with a backup; the damaged file is set aside, not lost.

        Used at start-up, before anyone can log in, with the newest good backup.
        """
        manifest = self._adapter.verify(backup.path)
        kept = self._adapter.set_aside(self._replaced_path("-damaged"))
        try:
            self._adapter.restore_from(backup.path)
        except Exception:
            # Never leave the practice without its file: a missing database would open as a
            # new, empty one and offer the first-run set-up.
            if kept is not None:
                self._adapter.put_back(kept)
            raise
        self._reanchor(manifest)
        self._audit_restore(None, backup.path, manifest, kept, RECOVERY_USERNAME)
        return RestoreResult(manifest, kept)

    def _replaced_path(self, tag: str) -> Path:
        folder = self.policy.replaced_folder or self.policy.folder.parent / "replaced"
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise BackupFailed(
                f"The folder {folder} for the replaced database cannot be created "
                f"({exc.strerror or exc}); nothing was restored."
            ) from None
        base = f"clinic-{stamp(self._clock.now())}{tag}"
        candidate = folder / f"{base}{self._adapter.suffix}"
        n = 2
        while candidate.exists() or candidate.with_name(candidate.name + "-wal").exists():
            candidate = folder / f"{base}-{n}{self._adapter.suffix}"
            n += 1
        return candidate

    def _audit_restore(
        self,
        actor: Principal | None,
        path: Path,
        manifest: BackupManifest,
        kept: Path | None,
        username: str,
    ) -> None:
        detail = (
            f"restored {path} taken {manifest.created_at.isoformat(timespec='seconds')} "
            f"(schema {manifest.schema_revision}, {manifest.total_rows} rows)"
        )
        if kept is not None:
            detail += f"; the replaced database is kept at {kept}"
        self._audit(actor, AuditAction.RESTORE_BACKUP, detail, username)

    def _audit(
        self, actor: Principal | None, action: AuditAction, detail: str, username: str
    ) -> None:
        with self._uow() as uow:
            audit(
                uow,
                self._clock,
                actor,
                action,
                "database",
                self._adapter.backend,
                detail[:1000],
                username=None if actor is not None else username,
            )
            uow.commit()
