"""The database key and its key slots: how logging in unlocks the encrypted database.

The SQLite database is encrypted by SQLCipher under a random 256-bit database key that nobody
types. It is kept only *wrapped*, like disk-encryption key slots, in ``clinic.keyslots`` beside
the database (0600):

- one slot per account: the database key wrapped under that account's password, exactly as
  the signing keys are (``keys.wrap_secret``: Argon2id, AES-256-GCM, label "database");
- the recovery key: 160 random bits shown once at first run for the admin to print and keep.
  The database key is derived from it (HKDF-SHA256), so it alone opens the database and every
  backup, even on a new computer without this file.

The file also holds a check value (HMAC-SHA256 under the key of a fixed text) that tells a
wrong recovery key, or a slots file from another practice, from the right one before the
database is touched. Until the first account exists (the first-run page is open) the file
holds the recovery key itself under "setup": the database is still empty then, and the key
must survive a restart to be shown once the admin exists.
"""

from __future__ import annotations

import base64
import contextlib
import hmac
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as crypto_hmac
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from clinic_app.domain.errors import Cancelled, ClinicError
from clinic_app.services.files import fsync_dir

# The wrapping (and the pydantic models keys.py brings) is imported when a slot is opened or
# written: start-up reads this file before the first page is on screen.
if TYPE_CHECKING:
    from clinic_app.domain.account import Principal
    from clinic_app.services.keys import KdfCost
    from clinic_app.services.ports import Clock, UnitOfWorkFactory

Progress = Callable[[str, int, int], None]
"""progress(stage, done, total) while a database is encrypted in place; may raise Cancelled."""

SLOTS_FILE = "clinic.keyslots"
SLOTS_FORMAT = "clinic_app-keyslots"
SLOTS_VERSION = 1
SLOT_LABEL = "database"
KEY_BYTES = 32
RECOVERY_BYTES = 20
RECOVERY_GROUP = 4
KEY_CHECK_TEXT = b"clinic_app database key check v1"
HKDF_INFO = b"clinic_app database key v1"
MAX_SLOTS_BYTES = 1 << 20
USERNAME_KEPT = 64
FAILURES_FILE = "clinic.unlock-failures"
"""Wrong passwords typed at the unlock step, per user name (the database is sealed then)."""
UNRECORDED_KEPT = 100
"""At most this many unlock failures per name wait to be written into the database's count."""
KEPT_COPY_TAG = "UNENCRYPTED-COPY"


class RecoveryKeyNeeded(ClinicError):
    """An encrypted backup is restored where no key slot opens it: the recovery key is asked."""


class KeySlotsDamaged(ClinicError):
    """The key slots file cannot be read or is not one this app wrote."""


class UnlockRefused(ClinicError):
    """Too many wrong passwords at the unlock step: the next try must wait."""


class EncryptionFailed(ClinicError):
    """A plain database could not be encrypted in place; it is untouched and still in use."""


@dataclass(frozen=True)
class InPlaceReport:
    """What encrypting a plain database in place checked.

    Attributes:
        tables: tables copied (each one's row count compared).
        rows: rows copied in all.
        seconds: how long it took.
    """

    tables: int
    rows: int
    seconds: float


@runtime_checkable
class PlainDatabaseFile(Protocol):
    """The port a SQLite database adapter offers for encrypting its plain file in place."""

    @property
    def database_path(self) -> Path:
        """The live database file."""
        ...

    def is_plain_file(self) -> bool:
        """Whether the live database is a plain (unencrypted) SQLite file."""
        ...

    def encrypt_in_place(
        self, key: bytes, kept: Path, progress: Progress | None = None
    ) -> InPlaceReport:
        """Encrypt the file under key, keeping the plain one as kept (raises EncryptionFailed).

        Every connection the adapter's engine holds is closed first; the services opened
        over the plain file are to be opened again afterwards. progress(stage, done, total)
        may raise Cancelled while the copy is made and checked: nothing is then changed.
        """
        ...


def slot_name(username: str) -> str:
    """The name a slot is kept under: the user name as logging in reads it."""
    return username.strip().lower()[:USERNAME_KEPT]


# --------------------------------------------------------------------------- recovery key


def new_recovery_key() -> str:
    """160 random bits as 8 groups of 4 letters and digits (base32), easy to copy by hand."""
    text = base64.b32encode(os.urandom(RECOVERY_BYTES)).decode("ascii")
    return "-".join(text[i : i + RECOVERY_GROUP] for i in range(0, len(text), RECOVERY_GROUP))


def recovery_secret(text: str) -> bytes:
    """The bits of a typed recovery key (spaces, dashes and case ignored; 0/O 1/I/L read).

    Raises ClinicError in one line when it is not a recovery key at all.
    """
    cleaned = "".join(ch for ch in text.upper() if ch.isalnum())
    cleaned = cleaned.translate(str.maketrans("018", "OIB"))
    try:
        raw = base64.b32decode(cleaned)
    except ValueError:
        raw = b""
    if len(raw) != RECOVERY_BYTES:
        raise ClinicError(
            "That is not a recovery key: it has 8 groups of 4 letters and digits, "
            "as printed at first run."
        )
    return raw


def key_from_recovery(text: str) -> bytes:
    """The database key a recovery key stands for (HKDF-SHA256)."""
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=HKDF_INFO).derive(
        recovery_secret(text)
    )


def key_check(key: bytes) -> str:
    """A value that identifies a database key without revealing it."""
    ctx = crypto_hmac.HMAC(key, hashes.SHA256())
    ctx.update(KEY_CHECK_TEXT)
    return ctx.finalize().hex()


# --------------------------------------------------------------------------- the key in memory


class DatabaseKey:
    """The database key while the app runs (None: the database is not encrypted).

    Shared by everything that opens the database file (the engine, backups, the background
    check); a restore onto a new computer gives it the backup's key.
    """

    def __init__(self, secret: bytes | None = None) -> None:
        self._secret = secret

    @property
    def secret(self) -> bytes | None:
        """The key bytes, or None for a plain database."""
        return self._secret

    def replace(self, secret: bytes | None) -> None:
        """Use another key from now on."""
        self._secret = secret


def _std_unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4))


def wrap_under_password_hash(secret: bytes, password_hash: str, label: str) -> str | None:
    """The secret wrapped for an account whose password is not known, only its Argon2id hash.

    ``keys.wrap_secret`` derives its wrapping key as Argon2id(password, salt, cost) with a
    32-byte output, which is exactly the tag an argon2 password hash stores. A slot made with
    that hash's salt, cost and tag opens with the account's password through the ordinary
    ``unwrap_secret``. It is only as strong as the stored hash (anyone holding a copy of that
    hash could open it), so it is kept *pending* and replaced by a slot under a fresh salt at
    the account's next log-in. None for a hash of another kind (then a password reset).
    """
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    from clinic_app.services.keys import NONCE_BYTES, WRAP_PREFIX

    parts = password_hash.split("$")
    if len(parts) != 6 or parts[1] != "argon2id" or parts[2] != "v=19":
        return None
    try:
        cost = dict(item.split("=", 1) for item in parts[3].split(","))
        fields = [str(int(cost["t"])), str(int(cost["m"])), str(int(cost["p"]))]
        salt, tag = _std_unb64(parts[4]), _std_unb64(parts[5])
    except (ValueError, KeyError):
        return None
    if len(tag) != KEY_BYTES:
        return None
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(tag).encrypt(nonce, secret, label.encode())

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")

    return "$".join([WRAP_PREFIX, *fields, b64(salt), b64(nonce), b64(sealed)])


def kept_copy_path(database: Path) -> Path:
    """Where the plain original of a database encrypted in place is kept until confirmed."""
    return database.with_name(f"{database.stem}.{KEPT_COPY_TAG}{database.suffix}")


# --------------------------------------------------------------------------- the slots file


class KeySlots:
    """The key slots file of one data folder."""

    def __init__(
        self, folder: Path, cost: KdfCost | None = None, clock: Clock | None = None
    ) -> None:
        self.path = folder / SLOTS_FILE
        self.failures_path = folder / FAILURES_FILE
        self._cost = cost
        self._clock = clock

    def _now(self) -> datetime:
        return self._clock.now() if self._clock is not None else datetime.now(UTC)

    def exists(self) -> bool:
        """Whether the folder has a slots file."""
        return self.path.exists()

    def read(self) -> dict[str, Any]:
        """The file's content ({} when there is none); raises KeySlotsDamaged."""
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return {}
        except OSError as exc:
            raise KeySlotsDamaged(f"{self.path} cannot be read ({exc.strerror or exc})") from None
        return parse_slots(raw, str(self.path))

    def has_account_slots(self) -> bool:
        """Whether any account can unlock the database (the log-in page comes first)."""
        return bool(self.read().get("slots"))

    def setup_recovery_key(self) -> str | None:
        """The recovery key kept while no account exists yet (first run not finished)."""
        value = self.read().get("setup")
        return value if isinstance(value, str) else None

    def begin(self) -> tuple[str, bytes]:
        """A new database key for a new database: its recovery key and the key itself."""
        recovery = new_recovery_key()
        key = key_from_recovery(recovery)
        self.write({"key_check": key_check(key), "slots": {}, "setup": recovery})
        return recovery, key

    def finish_setup(self) -> str | None:
        """The first account has its slot: the recovery key leaves the file (returned once)."""
        content = self.read()
        recovery = content.pop("setup", None)
        if recovery is None or not content.get("slots"):
            return None
        self.write(content)
        return str(recovery)

    def check(self, key: bytes) -> bool:
        """Whether key is the database key this file's slots hold."""
        expected = self.read().get("key_check")
        return isinstance(expected, str) and hmac.compare_digest(expected, key_check(key))

    def unlock(self, username: str, password: str) -> bytes | None:
        """The database key from the account's slot, or None (no slot, wrong password).

        Wrong passwords here count exactly as at the password check (the database, which
        keeps that count, is still sealed): after FREE_LOGIN_FAILURES in a row under one
        name each try waits longer, and a try during the wait is refused (UnlockRefused)
        without the password being tried at all. The count is kept in a file beside the
        slots; the next log-in writes it into the database's own count and audit trail.
        """
        from clinic_app.domain.account import login_delay

        name = slot_name(username)
        now = self._now()
        record = self._failure_records().get(name)
        if record is not None:
            retry_at = record[1] + login_delay(record[0])
            if now < retry_at:
                raise UnlockRefused(_wait_message(record[0], retry_at, now))
        key = self._open_slot(name, password)
        if key is not None:
            return key
        failures = self._record_failure(name, now)
        delay = login_delay(failures)
        if delay:
            from clinic_app.services.accounts import BAD_LOGIN

            raise UnlockRefused(f"{BAD_LOGIN} {_wait_message(failures, now + delay, now)}")
        return None

    def _open_slot(self, name: str, password: str) -> bytes | None:
        from clinic_app.services.keys import KeyUnwrapFailed, unwrap_secret

        content = self.read()
        slots = content.get("slots", {})
        wrapped = slots.get(name)
        if not isinstance(wrapped, str):
            # A name without a slot costs what a wrong password does: the time taken does
            # not tell which user names have one.
            for other in slots.values():
                with contextlib.suppress(KeyUnwrapFailed):
                    unwrap_secret(other, password, "clinic_app no such slot")
                break
            return None
        try:
            key = unwrap_secret(wrapped, password, SLOT_LABEL)
        except KeyUnwrapFailed:
            return None
        expected = content.get("key_check")
        if not isinstance(expected, str) or not hmac.compare_digest(expected, key_check(key)):
            return None
        return key

    # --- wrong passwords at the unlock step -------------------------------------------------

    def _read_failures(self) -> dict[str, Any]:
        try:
            raw = self.failures_path.read_bytes()
            content = json.loads(raw.decode("utf-8")) if len(raw) < MAX_SLOTS_BYTES else {}
        except (OSError, ValueError, RecursionError):
            return {}
        return content if isinstance(content, dict) else {}

    def _failure_records(self) -> dict[str, tuple[int, datetime, list[datetime]]]:
        """Per name: (failures in a row, the last one's time, times not yet in the database)."""
        out: dict[str, tuple[int, datetime, list[datetime]]] = {}
        for name, record in self._read_failures().items():
            try:
                out[str(name)] = (
                    int(record["failures"]),
                    datetime.fromisoformat(record["last_failed_at"]),
                    [datetime.fromisoformat(t) for t in record.get("unrecorded", [])],
                )
            except (KeyError, TypeError, ValueError):
                continue
        return out

    def _write_failures(self, records: dict[str, tuple[int, datetime, list[datetime]]]) -> None:
        from clinic_app.services.files import write_atomically

        if not records:
            self.failures_path.unlink(missing_ok=True)
            return
        data = {
            name: {
                "failures": count,
                "last_failed_at": last.isoformat(),
                "unrecorded": [t.isoformat() for t in times[-UNRECORDED_KEPT:]],
            }
            for name, (count, last, times) in records.items()
        }
        try:
            write_atomically(self.failures_path, json.dumps(data, sort_keys=True).encode())
        except OSError as exc:
            raise ClinicError(
                f"{self.failures_path} cannot be written ({exc.strerror or exc})"
            ) from None

    def _record_failure(self, name: str, now: datetime) -> int:
        records = self._failure_records()
        count, _last, times = records.get(name, (0, now, []))
        records[name] = (count + 1, now, [*times, now])
        self._write_failures(records)
        return count + 1

    def unrecorded_failures(self) -> dict[str, list[datetime]]:
        """Wrong passwords at the unlock step not yet counted in the database, per name."""
        return {name: times for name, (_c, _l, times) in self._failure_records().items() if times}

    def failures_recorded(self, recorded: dict[str, list[datetime]]) -> None:
        """The database now counts these failures (they stay in the count here too)."""
        records = self._failure_records()
        changed = False
        for name, times in recorded.items():
            if name in records:
                count, last, kept = records[name]
                records[name] = (count, last, [t for t in kept if t not in times])
                changed = True
        if changed:
            self._write_failures(records)

    def clear_failures(self, username: str) -> None:
        """A good log-in (or the admin) ends the failures in a row under a name."""
        records = self._failure_records()
        if records.pop(slot_name(username), None) is not None:
            self._write_failures(records)

    def has_slot(self, username: str) -> bool:
        """Whether the account has a slot."""
        return slot_name(username) in self.read().get("slots", {})

    def is_pending(self, username: str) -> bool:
        """Whether the account's slot was made from its password hash (replaced at log-in)."""
        return slot_name(username) in self.read().get("pending", [])

    def set_slot(
        self, username: str, password: str, key: bytes, cost: KdfCost | None = None
    ) -> None:
        """Wrap key under the account's password (replacing any older slot of the account).

        cost: the Argon2id cost (the account service passes its password hash's).
        """
        from clinic_app.services.keys import KdfCost, wrap_secret

        content = self.read() or {"key_check": key_check(key), "slots": {}}
        if content.get("key_check") != key_check(key):
            # A slots file of another key (the database was replaced by a restore): start anew.
            content = {"key_check": key_check(key), "slots": {}}
        content.setdefault("slots", {})[slot_name(username)] = wrap_secret(
            key, password, cost or self._cost or KdfCost(), SLOT_LABEL
        )
        _drop_pending(content, username)
        self.write(content)

    def remove_slot(self, username: str) -> None:
        """Remove the account's slot (a disabled account opens nothing any more)."""
        content = self.read()
        if content.get("slots", {}).pop(slot_name(username), None) is not None:
            _drop_pending(content, username)
            self.write(content)

    def write(self, content: dict[str, Any]) -> None:
        """Write the file whole or not at all, readable by this account only (0600)."""
        data = json.dumps(
            {"format": SLOTS_FORMAT, "version": SLOTS_VERSION, **content},
            indent=1,
            sort_keys=True,
        ).encode("utf-8")
        temp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        try:
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(temp, self.path)
            fsync_dir(self.path.parent)
        except OSError as exc:
            raise ClinicError(
                f"the key slots file {self.path} cannot be written ({exc.strerror or exc})"
            ) from None
        finally:
            temp.unlink(missing_ok=True)


def _drop_pending(content: dict[str, Any], username: str) -> None:
    pending = [p for p in content.get("pending", []) if p != slot_name(username)]
    if pending:
        content["pending"] = pending
    else:
        content.pop("pending", None)


def _wait_message(failures: int, retry_at: datetime, now: datetime) -> str:
    from clinic_app.services.accounts import wait_text

    return (
        f"Too many failed logins under this name ({failures} in a row): wait "
        f"{wait_text((retry_at - now).total_seconds())} before trying again, or ask the "
        "practice admin."
    )


def parse_slots(raw: bytes, name: str) -> dict[str, Any]:
    """A slots file's content, checked; raises KeySlotsDamaged in one line."""
    damaged = KeySlotsDamaged(f"the key slots file {name} is damaged")
    if len(raw) > MAX_SLOTS_BYTES:
        raise damaged
    try:
        content = json.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError):
        raise damaged from None
    if not isinstance(content, dict) or content.get("format") != SLOTS_FORMAT:
        raise damaged
    version = content.get("version")
    if not isinstance(version, int) or version > SLOTS_VERSION:
        raise KeySlotsDamaged(f"the key slots file {name} was written by a newer clinic_app")
    slots = content.get("slots", {})
    if not isinstance(slots, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in slots.items()
    ):
        raise damaged
    if not isinstance(content.get("key_check"), str):
        raise damaged
    pending = content.get("pending", [])
    if not isinstance(pending, list) or not all(isinstance(p, str) for p in pending):
        raise damaged
    return {k: v for k, v in content.items() if k not in ("format", "version")}


class KeyRing:
    """The data folder's slots and the key in memory, as the account service uses them.

    A new account, a password reset and a log-in write the account's slot (the password is
    known then); disabling an account, or taking its roles away entirely, removes it.
    """

    def __init__(self, slots: KeySlots, key: DatabaseKey) -> None:
        self.slots = slots
        self.key = key

    @property
    def encrypted(self) -> bool:
        """Whether the database is encrypted (its key is loaded)."""
        return self.key.secret is not None

    def on_password(
        self, username: str, password: str, cost: KdfCost, *, replace: bool = True
    ) -> None:
        """The account's password is known: (re)wrap the key for it."""
        secret = self.key.secret
        if secret is None:
            return
        if not replace and self.slots.has_slot(username) and not self.slots.is_pending(username):
            return
        self.slots.set_slot(username, password, secret, cost)

    def on_disabled(self, username: str) -> None:
        """The account may no longer open the database."""
        if self.key.secret is not None:
            self.slots.remove_slot(username)

    def take_recovery_key(self) -> str | None:
        """The recovery key, once, when the first account has just been made."""
        if self.key.secret is None:
            return None
        return self.slots.finish_setup()


# --------------------------------------------------------------------------- encrypt in place


@dataclass(frozen=True)
class EncryptedInPlace:
    """A plain database has just been encrypted in place.

    Attributes:
        report: what was copied and checked.
        kept: the plain original, kept until an admin confirms it can go.
        pending: accounts whose slot was made from their password hash (replaced at their
            next log-in); accounts without one need a password reset by the admin.
        without_slot: active accounts that got no slot (their hash is of an older kind).
    """

    report: InPlaceReport
    kept: Path
    pending: tuple[str, ...]
    without_slot: tuple[str, ...]


class DatabaseEncryption:
    """Encrypt a plain SQLite database in place at an admin's log-in; remove the kept copy.

    The database key is made here (its recovery key kept in the slots file until the admin
    has been shown it at log-in), the admin's slot is wrapped under the typed password and
    every other active account's under its stored password hash, all before the file is
    swapped: a kill at any moment leaves either the plain database or the encrypted one with
    slots that open it.
    """

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        key_ring: KeyRing,
        database: PlainDatabaseFile,
        cost: KdfCost,
    ) -> None:
        self._uow = uow_factory
        self._clock = clock
        self._ring = key_ring
        self._db = database
        self._cost = cost

    @property
    def kept_path(self) -> Path:
        """Where the plain original is kept after encrypting in place."""
        return kept_copy_path(self._db.database_path)

    def kept_copy(self) -> Path | None:
        """The kept plain original, while it exists (the database is encrypted by then)."""
        path = self.kept_path
        return path if self._ring.encrypted and path.exists() else None

    def due(self, actor: Principal) -> bool:
        """Whether this log-in should encrypt the database now: an admin, a plain file."""
        from clinic_app.domain.account import Role

        return Role.ADMIN in actor.roles and not self._ring.encrypted and self._db.is_plain_file()

    def encrypt(
        self, actor: Principal, password: str, progress: Progress | None = None
    ) -> EncryptedInPlace:
        """Encrypt the plain database in place (admin only, audited).

        Afterwards the services must be opened again over the encrypted file (the key is
        in the shared DatabaseKey by then). Raises EncryptionFailed, or Cancelled when
        progress raised it ("copying" MB of the plain file's, then "checking"), with the
        plain database untouched and in use.
        """
        from clinic_app.domain.account import Permission
        from clinic_app.domain.audit import AuditAction
        from clinic_app.services.common import audit, require
        from clinic_app.services.keys import wrap_secret

        require(actor, Permission.ACCOUNTS_MANAGE)
        if self._ring.encrypted or not self._db.is_plain_file():
            raise ClinicError("The database is already encrypted.")
        kept = self.kept_path
        with self._uow() as uow:
            hashes = {
                a.username: found[1]
                for a in uow.accounts.list()
                if a.active and (found := uow.accounts.by_username(a.username)) is not None
            }
            audit(
                uow,
                self._clock,
                actor,
                AuditAction.PRACTICE_CHANGE,
                "database",
                "-",
                "the database is encrypted in place (SQLCipher, key slots per account); the "
                f"unencrypted original is kept as {kept.name} until an admin confirms",
            )
            uow.commit()
        recovery = new_recovery_key()
        key = key_from_recovery(recovery)
        slots: dict[str, str] = {}
        pending: list[str] = []
        without: list[str] = []
        for username, password_hash in hashes.items():
            name = slot_name(username)
            if name == slot_name(actor.username):
                slots[name] = wrap_secret(key, password, self._cost, SLOT_LABEL)
                continue
            derived = wrap_under_password_hash(key, password_hash, SLOT_LABEL)
            if derived is None:
                without.append(username)
            else:
                slots[name], pending = derived, [*pending, name]
        previous = self._ring.slots.path.read_bytes() if self._ring.slots.exists() else None
        content: dict[str, Any] = {"key_check": key_check(key), "slots": slots, "setup": recovery}
        if pending:
            content["pending"] = pending
        self._ring.slots.write(content)
        try:
            report = self._db.encrypt_in_place(key, kept, progress)
        except Cancelled:
            self._put_back_slots(previous)
            self._audit_database(
                actor,
                "encrypting the database in place was stopped by the admin; it stays unencrypted",
            )
            raise
        except EncryptionFailed as exc:
            self._put_back_slots(previous)
            self._audit_database(
                actor, f"encrypting the database in place failed, it stays unencrypted: {exc}"
            )
            raise
        except BaseException:
            self._put_back_slots(previous)
            raise
        self._ring.key.replace(key)
        return EncryptedInPlace(report, kept, tuple(pending), tuple(without))

    def _put_back_slots(self, previous: bytes | None) -> None:
        if previous is None:
            self._ring.slots.path.unlink(missing_ok=True)
        else:
            from clinic_app.services.files import write_atomically

            write_atomically(self._ring.slots.path, previous)

    def record_done(self, actor: Principal, done: EncryptedInPlace) -> None:
        """Audit the finished encryption in the encrypted database (services opened anew)."""
        self._audit_database(
            actor,
            f"encrypted in place: {done.report.tables} tables, {done.report.rows} rows "
            f"checked against the unencrypted original ({done.kept.name}) in "
            f"{done.report.seconds:.1f} s",
        )

    def _audit_database(self, actor: Principal, detail: str) -> None:
        """One audit entry about the database file itself, in its own transaction."""
        from clinic_app.domain.audit import AuditAction
        from clinic_app.services.common import audit

        with self._uow() as uow:
            audit(uow, self._clock, actor, AuditAction.PRACTICE_CHANGE, "database", "-", detail)
            uow.commit()

    def confirm(self, actor: Principal) -> Path:
        """An admin confirms the encrypted records are complete: the kept copy is deleted."""
        from clinic_app.domain.account import Permission
        from clinic_app.services.common import require

        require(actor, Permission.ACCOUNTS_MANAGE)
        kept = self.kept_copy()
        if kept is None:
            raise ClinicError("There is no unencrypted copy of the database to remove.")
        try:
            kept.unlink()
        except OSError as exc:
            raise ClinicError(f"{kept} cannot be deleted ({exc.strerror or exc})") from None
        from clinic_app.services.files import fsync_dir

        fsync_dir(kept.parent)
        self._audit_database(
            actor, f"the unencrypted copy {kept.name} kept after encrypting in place was deleted"
        )
        return kept
