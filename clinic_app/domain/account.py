"""Accounts, roles and what each role may do."""

from __future__ import annotations

import re
from collections.abc import Collection
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationInfo,
    field_validator,
)

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,31}$")
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024
# A common password with a year, digits or punctuation tacked on is still a common password.
_TRAILING_DECORATION = re.compile(r"[\d\W_]+$")
_MIN_COMMON_BASE = 6
COMMON_PASSWORDS_CONTEXT = "common_passwords"
"""Validation-context key holding the set of common passwords to refuse (lower case)."""

# Failed logins: the first FREE_LOGIN_FAILURES in a row cost nothing; each one after that
# doubles the wait before the next try, from LOGIN_DELAY_START up to LOGIN_DELAY_MAX.
FREE_LOGIN_FAILURES = 5
LOGIN_DELAY_START = timedelta(seconds=30)
LOGIN_DELAY_MAX = timedelta(hours=1)


class Role(StrEnum):
    """The three kinds of people who use the app."""

    CLINICIAN = "clinician"
    FRONT_DESK = "front_desk"
    ADMIN = "admin"


class Permission(StrEnum):
    """Fine-grained rights; services check these, never role names."""

    PATIENT_READ = "patient.read"
    PATIENT_WRITE = "patient.write"
    ENCOUNTER_LIST = "encounter.list"  # dates, status, clinician: no clinical content
    CLINICAL_READ = "clinical.read"
    CLINICAL_WRITE = "clinical.write"
    SIGN = "encounter.sign"
    ACCOUNTS_MANAGE = "accounts.manage"
    AUDIT_READ = "audit.read"
    HANDOUT_PRINT = "handout.print"  # the print queue: patient name and handout titles only
    PRACTICE_MANAGE = "practice.manage"  # the letterhead and the surgeon's recovery timeline


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.CLINICIAN: frozenset(
        {
            Permission.PATIENT_READ,
            Permission.PATIENT_WRITE,
            Permission.ENCOUNTER_LIST,
            Permission.CLINICAL_READ,
            Permission.CLINICAL_WRITE,
            Permission.SIGN,
            Permission.HANDOUT_PRINT,
        }
    ),
    Role.FRONT_DESK: frozenset(
        {
            Permission.PATIENT_READ,
            Permission.PATIENT_WRITE,
            Permission.ENCOUNTER_LIST,
            Permission.HANDOUT_PRINT,
        }
    ),
    # The practice admin manages accounts and the audit trail; reading notes needs the
    # clinician role as well (a small practice's admin is often also a clinician).
    Role.ADMIN: frozenset(
        {
            Permission.PATIENT_READ,
            Permission.ENCOUNTER_LIST,
            Permission.ACCOUNTS_MANAGE,
            Permission.AUDIT_READ,
            Permission.PRACTICE_MANAGE,
        }
    ),
}

ROLE_LABELS: dict[Role, str] = {
    Role.CLINICIAN: "Clinician",
    Role.FRONT_DESK: "Front desk",
    Role.ADMIN: "Practice admin",
}


def permissions_for(roles: frozenset[Role]) -> frozenset[Permission]:
    """Union of the permissions of every role held."""
    out: frozenset[Permission] = frozenset()
    for role in roles:
        out |= ROLE_PERMISSIONS[role]
    return out


class Signer(Protocol):
    """A private signing key unlocked by logging in (held in memory for the session only)."""

    key_id: int

    def sign(self, data: bytes) -> bytes:
        """The signature of data."""
        ...


class Principal(BaseModel):
    """The signed-in person, passed to every service call."""

    model_config = ConfigDict(frozen=True)

    user_id: int
    username: str
    display_name: str
    roles: frozenset[Role]
    _signer: Signer | None = PrivateAttr(default=None)

    def can(self, permission: Permission) -> bool:
        """Whether any held role grants the permission."""
        return permission in permissions_for(self.roles)

    def _identity(self) -> tuple[int, str, str, frozenset[Role]]:
        return (self.user_id, self.username, self.display_name, self.roles)

    def __eq__(self, other: object) -> bool:
        # The same person is the same principal whichever login unlocked which key.
        if not isinstance(other, Principal):
            return NotImplemented
        return self._identity() == other._identity()

    def __hash__(self) -> int:
        return hash(self._identity())

    @property
    def signer(self) -> Signer | None:
        """The signing key this login unlocked (None: not unlocked, or none held)."""
        return self._signer

    def with_signer(self, signer: Signer | None) -> Principal:
        """The same person holding an unlocked signing key."""
        copy = self.model_copy()
        copy._signer = signer
        return copy


class NewAccount(BaseModel):
    """What an admin enters to create an account."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    username: str
    display_name: str = Field(max_length=100)
    password: str = Field(repr=False)
    roles: frozenset[Role]

    @field_validator("username", mode="before")
    @classmethod
    def _username(cls, value: object) -> object:
        if isinstance(value, str):
            value = value.strip().lower()
            if not USERNAME_RE.fullmatch(value):
                raise ValueError(
                    "A user name is 2 to 32 lower-case letters, digits, dots, hyphens or "
                    "underscores."
                )
        return value

    @field_validator("display_name")
    @classmethod
    def _display(cls, value: str) -> str:
        if not value:
            raise ValueError("Enter the person's name as it should appear on signatures.")
        return value

    @field_validator("password")
    @classmethod
    def _password(cls, value: str, info: ValidationInfo) -> str:
        common = (info.context or {}).get(COMMON_PASSWORDS_CONTEXT, ())
        return check_password_strength(value, common)

    @field_validator("roles")
    @classmethod
    def _roles(cls, value: frozenset[Role]) -> frozenset[Role]:
        if not value:
            raise ValueError("Choose at least one role.")
        return value


def check_password_strength(value: str, common: Collection[str] = ()) -> str:
    """Refuse passwords too short or too common to protect patient records.

    Args:
        value: the password as typed.
        common: well-known passwords (lower case); the password is refused when it is one of
            them, or one of them with digits or punctuation added at the end.
    """
    if len(value) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"A password needs at least {MIN_PASSWORD_LENGTH} characters.")
    if len(value) > MAX_PASSWORD_LENGTH:
        raise ValueError(f"A password may have at most {MAX_PASSWORD_LENGTH} characters.")
    if value.strip() != value:
        raise ValueError("A password may not start or end with a space.")
    if value.isdigit():
        raise ValueError("A password of digits only is guessed quickly; add some words.")
    if len(set(value.lower())) <= 3:
        raise ValueError("That password repeats too few characters; choose a longer phrase.")
    lowered = value.lower()
    base = _TRAILING_DECORATION.sub("", lowered)
    if lowered in common or (len(base) >= _MIN_COMMON_BASE and base in common):
        raise ValueError(
            "That password is on the list of common passwords that attackers try first; "
            "choose another (a short phrase of unrelated words works well)."
        )
    return value


def login_delay(failures: int) -> timedelta:
    """How long to wait before the next try after this many failed logins in a row."""
    if failures < FREE_LOGIN_FAILURES:
        return timedelta(0)
    doublings = min(failures - FREE_LOGIN_FAILURES, 20)
    delay: timedelta = LOGIN_DELAY_START * (2**doublings)
    return min(delay, LOGIN_DELAY_MAX)


class LoginFailures(BaseModel):
    """Failed logins in a row under one user name (reset by a successful login).

    Attributes:
        username: the name typed (known account or not).
        failures: failed attempts since the last successful login.
        last_failed_at: when the last one happened.
    """

    model_config = ConfigDict(frozen=True)

    username: str
    failures: int
    last_failed_at: datetime

    @property
    def retry_at(self) -> datetime:
        """The earliest moment a next attempt is checked at all."""
        return self.last_failed_at + login_delay(self.failures)


class SigningKeyInfo(BaseModel):
    """The public half of a person's signing key (the private half never leaves storage wrapped).

    Attributes:
        id: the key's number (stored with every signature made with it).
        user_id: whose key it is.
        public_key: the Ed25519 public key, hex.
        created_at: when it was made.
        retired_at: when a newer key replaced it (it still verifies what it signed).
    """

    model_config = ConfigDict(frozen=True)

    id: int
    user_id: int
    public_key: str
    created_at: datetime
    retired_at: datetime | None = None


class Account(BaseModel):
    """A stored account (the password hash never leaves the storage and accounts service)."""

    model_config = ConfigDict(frozen=True)

    id: int
    username: str
    display_name: str
    roles: frozenset[Role]
    active: bool = True

    def principal(self) -> Principal:
        """The identity to act as once this account has logged in."""
        return Principal(
            user_id=self.id,
            username=self.username,
            display_name=self.display_name,
            roles=self.roles,
        )
