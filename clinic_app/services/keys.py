"""Keys: clinicians' Ed25519 signing keys, the practice key, and wrapping keys under passwords.

Only the primitives of `cryptography` and argon2-cffi are used:

- a private half (or the practice key) is *wrapped* under a password: Argon2id
  (argon2-cffi's low-level ``hash_secret_raw``) derives a 256-bit key from the password and a
  random salt, and AES-256-GCM encrypts the secret with it; the parameters travel with the
  wrapped text, so a later change of cost still opens older wraps;
- signatures are Ed25519 over the canonical JSON of the signed payload;
- the practice key is 256 random bits kept in a 0600 file in the data folder (never in the
  database); it keys the audit chain (HMAC-SHA256) and authenticates backups.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from argon2.exceptions import HashingError
from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as crypto_hmac
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from clinic_app.domain.account import SigningKeyInfo
from clinic_app.domain.encounter import Encounter, signed_payload
from clinic_app.domain.errors import ClinicError
from clinic_app.domain.hashing import canonical_json

WRAP_PREFIX = "wrap1"
KEY_BYTES = 32
SALT_BYTES = 16
NONCE_BYTES = 12
PRACTICE_KEY_FILE = "practice.key"
PRACTICE_KEY_CHECK = b"clinic_app practice key check v1"


class KeyUnwrapFailed(ClinicError):
    """A wrapped key did not open with this password (wrong password, or altered)."""


@dataclass(frozen=True)
class KdfCost:
    """Argon2id cost of deriving a wrapping key (the same as the account's password hash)."""

    time_cost: int = 3
    memory_cost: int = 65536
    parallelism: int = 4

    @classmethod
    def like(cls, hasher: Any) -> KdfCost:
        """The cost of an argon2 PasswordHasher (so logging in pays one cost twice, no more)."""
        return cls(hasher.time_cost, hasher.memory_cost, hasher.parallelism)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _derive(password: str, salt: bytes, cost: KdfCost) -> bytes:
    return hash_secret_raw(
        password.encode("utf-8"),
        salt,
        time_cost=cost.time_cost,
        memory_cost=cost.memory_cost,
        parallelism=cost.parallelism,
        hash_len=KEY_BYTES,
        type=Type.ID,
    )


def wrap_secret(secret: bytes, password: str, cost: KdfCost, label: str) -> str:
    """The secret encrypted under a key derived from the password (text, safe to store).

    Args:
        secret: the bytes to protect (a private key, the practice key).
        password: the account's password.
        cost: the Argon2id cost.
        label: what the secret is ("signing", "practice"): bound into the encryption, so one
            kind of wrapped key cannot be passed off as another.
    """
    salt = os.urandom(SALT_BYTES)
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(_derive(password, salt, cost)).encrypt(nonce, secret, label.encode())
    fields = [WRAP_PREFIX, str(cost.time_cost), str(cost.memory_cost), str(cost.parallelism)]
    return "$".join([*fields, _b64(salt), _b64(nonce), _b64(sealed)])


def unwrap_secret(wrapped: str, password: str, label: str) -> bytes:
    """Open a wrapped secret; raises KeyUnwrapFailed for a wrong password or altered text."""
    try:
        prefix, t, m, p, salt, nonce, sealed = wrapped.split("$")
        if prefix != WRAP_PREFIX:
            raise ValueError(prefix)
        cost = KdfCost(int(t), int(m), int(p))
        key = _derive(password, _unb64(salt), cost)
        return AESGCM(key).decrypt(_unb64(nonce), _unb64(sealed), label.encode())
    except (ValueError, InvalidTag, TypeError, HashingError) as exc:
        raise KeyUnwrapFailed("The key did not open with this password.") from exc


# --------------------------------------------------------------------------- signing keys


def payload_bytes(payload: dict[str, Any]) -> bytes:
    """The exact bytes a signature covers: the canonical JSON of the payload."""
    return canonical_json(payload).encode("utf-8")


class SessionSigner:
    """A clinician's unlocked private key, held in memory for one logged-in session."""

    def __init__(self, key_id: int, private: Ed25519PrivateKey) -> None:
        self.key_id = key_id
        self._private = private

    def sign(self, data: bytes) -> bytes:
        """The Ed25519 signature of data."""
        return self._private.sign(data)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SessionSigner) and other.key_id == self.key_id

    def __hash__(self) -> int:
        return hash(("signer", self.key_id))

    def __repr__(self) -> str:
        return f"SessionSigner(key_id={self.key_id})"


@dataclass(frozen=True)
class NewSigningKey:
    """A freshly made key pair: its public half (hex) and its private half, wrapped."""

    public_key: str
    wrapped_private: str
    private: Ed25519PrivateKey


def new_signing_key(password: str, cost: KdfCost) -> NewSigningKey:
    """A new Ed25519 key pair with the private half wrapped under the password."""
    private = Ed25519PrivateKey.generate()
    raw = private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    public = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return NewSigningKey(public.hex(), wrap_secret(raw, password, cost, "signing"), private)


def unlock_signing_key(wrapped: str, password: str) -> Ed25519PrivateKey:
    """The private half of a stored key (raises KeyUnwrapFailed)."""
    raw = unwrap_secret(wrapped, password, "signing")
    try:
        return Ed25519PrivateKey.from_private_bytes(raw)
    except ValueError as exc:
        raise KeyUnwrapFailed("The stored signing key is damaged.") from exc


def rewrap_signing_key(private: Ed25519PrivateKey, password: str, cost: KdfCost) -> str:
    """The same private half wrapped under another password."""
    raw = private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    return wrap_secret(raw, password, cost, "signing")


def public_of(private: Ed25519PrivateKey) -> str:
    """The hex public half of a private key."""
    return private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()


def signature_valid(public_key: str, data: bytes, signature: str) -> bool:
    """Whether the hex signature over data verifies with the hex Ed25519 public key."""
    try:
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_key)).verify(
            bytes.fromhex(signature), data
        )
    except (InvalidSignature, ValueError):
        return False
    return True


def public_key_pem(public_key: str) -> str:
    """The hex public key as a PEM SubjectPublicKeyInfo block (what other tools read)."""
    key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_key))
    return key.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode("ascii")


# --------------------------------------------------------------------------- practice key


class PracticeKey:
    """The practice's secret key: keys the audit chain and authenticates backups.

    Holds the key bytes and can be given another key later (a restore onto a new computer
    brings the practice's key back from the backup); everything built over it sees the change.
    """

    def __init__(self, secret: bytes | None = None) -> None:
        self._secret = secret

    @property
    def present(self) -> bool:
        """Whether a key is loaded."""
        return self._secret is not None

    @property
    def secret(self) -> bytes:
        """The key bytes (raises when none is loaded)."""
        if self._secret is None:
            raise ClinicError("The practice key is not loaded.")
        return self._secret

    def replace(self, secret: bytes) -> None:
        """Use another key from now on."""
        self._secret = secret

    def hmac(self) -> crypto_hmac.HMAC:
        """A fresh HMAC-SHA256 context under the key (for streaming content)."""
        return crypto_hmac.HMAC(self.secret, hashes.SHA256())

    def mac(self, text: str) -> str:
        """Hex HMAC-SHA256 of the UTF-8 text."""
        ctx = self.hmac()
        ctx.update(text.encode("utf-8"))
        return ctx.finalize().hex()

    def check_value(self) -> str:
        """A value that identifies the key without revealing it (stored with the chain)."""
        ctx = self.hmac()
        ctx.update(PRACTICE_KEY_CHECK)
        return ctx.finalize().hex()

    def mac_function(self) -> Callable[[str], str] | None:
        """The keyed hash of audit entries, or None when no key is loaded."""
        return self.mac if self.present else None


def new_practice_secret() -> bytes:
    """256 random bits from the operating system."""
    return AESGCM.generate_key(bit_length=256)


def practice_key_path(folder: Path) -> Path:
    """Where the data folder keeps the practice key."""
    return folder / PRACTICE_KEY_FILE


def read_practice_key(folder: Path) -> bytes | None:
    """The practice key in the data folder, or None when there is no key file."""
    path = practice_key_path(folder)
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise ClinicError(f"the practice key file {path} cannot be read ({exc})") from None
    try:
        secret = _unb64(text)
    except ValueError:
        secret = b""
    if len(secret) != KEY_BYTES:
        raise ClinicError(f"the practice key file {path} is damaged (not a 256-bit key)")
    return secret


def write_practice_key(folder: Path, secret: bytes) -> Path:
    """Write the key file, readable by this account only (0600), whole or not at all."""
    path = practice_key_path(folder)
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(_b64(secret) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)
    return path


# --------------------------------------------------------------------------- checking records


def _record_problem(
    what: str,
    signer_id: int,
    signer_name: str,
    signed_at: datetime,
    signature: str | None,
    key_id: int | None,
    payload: dict[str, Any],
    keys: Mapping[int, SigningKeyInfo],
    anchored: Mapping[int, str] | None,
) -> str | None:
    """Why one signed record's signature fails (None: it verifies, or it predates keys)."""
    if signature is None or key_id is None:
        first = min((k.created_at for k in keys.values() if k.user_id == signer_id), default=None)
        if first is not None and first <= signed_at:
            return (
                f"{what} carries no signature, although {signer_name} held a signing key when "
                "it was signed"
            )
        return None
    key = keys.get(key_id)
    if key is None:
        return f"{what} names signing key #{key_id}, which does not exist"
    if key.user_id != signer_id:
        return f"{what} is signed with signing key #{key_id}, which is not {signer_name}'s"
    if anchored is not None and anchored.get(key_id) != key.public_key:
        return (
            f"{what} is signed with signing key #{key_id}, whose public half is not the one "
            "the audit trail recorded when the key was made"
        )
    if not signature_valid(key.public_key, payload_bytes(payload), signature):
        return f"{what} does not match its signature by {signer_name} (key #{key_id})"
    return None


def signature_problems(
    encounter: Encounter,
    keys: Mapping[int, SigningKeyInfo],
    anchored: Mapping[int, str] | None = None,
) -> tuple[list[str], int]:
    """Every failing signature of a signed encounter and its addenda.

    Args:
        encounter: the signed encounter.
        keys: every signing key by number.
        anchored: key number -> public key as the keyed audit trail recorded it when the key
            was made (None: not checked).

    Returns:
        The problems, and how many of its records carry no signature because they were
        signed before signing keys existed (they verify by hash alone).
    """
    if (
        not encounter.is_signed
        or encounter.signed_by_id is None
        or encounter.signed_at is None
        or encounter.signed_by_name is None
        or encounter.content_hash is None
    ):
        return [], 0
    problems: list[str] = []
    unsigned = 0
    records = [
        (
            "The signed encounter",
            encounter.signed_by_id,
            encounter.signed_by_name,
            encounter.signed_at,
            encounter.signature,
            encounter.signing_key_id,
            signed_payload(
                encounter, encounter.signed_by_id, encounter.signed_by_name, encounter.signed_at
            ),
        )
    ]
    for add in encounter.addenda:
        records.append(
            (
                f"Addendum #{add.id}",
                add.author_id,
                add.author_name,
                add.signed_at,
                add.signature,
                add.signing_key_id,
                add.payload(encounter.content_hash),
            )
        )
    for what, signer_id, name, at, signature, key_id, payload in records:
        problem = _record_problem(
            what, signer_id, name, at, signature, key_id, payload, keys, anchored
        )
        if problem is not None:
            problems.append(problem + ".")
        elif signature is None:
            unsigned += 1
    return problems, unsigned


def open_practice_key(folder: Path, key_check: str | None) -> PracticeKey:
    """The data folder's practice key, made on first need.

    Args:
        folder: the data folder.
        key_check: the check value the database's audit chain records (None: not keyed yet).

    Raises ClinicError (one line) when the database was keyed with a key this folder lacks or
    does not match: a new key would silently start another chain.
    """
    secret = read_practice_key(folder)
    path = practice_key_path(folder)
    if secret is None:
        if key_check is not None:
            raise ClinicError(
                f"the database's audit trail is keyed, but {path} is missing: copy practice.key "
                "from the practice's first workstation (README, Security), or restore a backup"
            )
        secret = new_practice_secret()
        write_practice_key(folder, secret)
    key = PracticeKey(secret)
    if key_check is not None and key_check != key.check_value():
        raise ClinicError(
            f"{path} is not this database's practice key (its audit trail was keyed with "
            "another); copy the right practice.key here (README, Security)"
        )
    return key
