"""Accounts, roles and what each role may do."""

from __future__ import annotations

import re
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,31}$")
MIN_PASSWORD_LENGTH = 8


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


class Principal(BaseModel):
    """The signed-in person, passed to every service call."""

    model_config = ConfigDict(frozen=True)

    user_id: int
    username: str
    display_name: str
    roles: frozenset[Role]

    def can(self, permission: Permission) -> bool:
        """Whether any held role grants the permission."""
        return permission in permissions_for(self.roles)


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
    def _password(cls, value: str) -> str:
        return check_password_strength(value)

    @field_validator("roles")
    @classmethod
    def _roles(cls, value: frozenset[Role]) -> frozenset[Role]:
        if not value:
            raise ValueError("Choose at least one role.")
        return value


def check_password_strength(value: str) -> str:
    """Refuse passwords too short to protect patient records."""
    if len(value) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"A password needs at least {MIN_PASSWORD_LENGTH} characters.")
    if value.strip() != value:
        raise ValueError("A password may not start or end with a space.")
    return value


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
