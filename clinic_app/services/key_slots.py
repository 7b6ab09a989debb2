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
import hmac
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as crypto_hmac
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from clinic_app.domain.errors import ClinicError
from clinic_app.services.files import fsync_dir

# The wrapping (and the pydantic models keys.py brings) is imported when a slot is opened or
# written: start-up reads this file before the first page is on screen.
if TYPE_CHECKING:
    from clinic_app.services.keys import KdfCost

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


class RecoveryKeyNeeded(ClinicError):
    """An encrypted backup is restored where no key slot opens it: the recovery key is asked."""


class KeySlotsDamaged(ClinicError):
    """The key slots file cannot be read or is not one this app wrote."""


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


# --------------------------------------------------------------------------- the slots file


class KeySlots:
    """The key slots file of one data folder."""

    def __init__(self, folder: Path, cost: KdfCost | None = None) -> None:
        self.path = folder / SLOTS_FILE
        self._cost = cost

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
        """The database key from the account's slot, or None (no slot, wrong password)."""
        from clinic_app.services.keys import KeyUnwrapFailed, unwrap_secret

        content = self.read()
        wrapped = content.get("slots", {}).get(slot_name(username))
        if not isinstance(wrapped, str):
            return None
        try:
            key = unwrap_secret(wrapped, password, SLOT_LABEL)
        except KeyUnwrapFailed:
            return None
        expected = content.get("key_check")
        if not isinstance(expected, str) or not hmac.compare_digest(expected, key_check(key)):
            return None
        return key

    def has_slot(self, username: str) -> bool:
        """Whether the account has a slot."""
        return slot_name(username) in self.read().get("slots", {})

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
        self.write(content)

    def remove_slot(self, username: str) -> None:
        """Remove the account's slot (a disabled account opens nothing any more)."""
        content = self.read()
        if content.get("slots", {}).pop(slot_name(username), None) is not None:
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
        if not replace and self.slots.has_slot(username):
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
