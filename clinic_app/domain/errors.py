"""Errors the domain and services raise, each carrying a message a person can act on."""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import ValidationError


class ClinicError(Exception):
    """Base for every error the app expects and explains to the user."""


class FieldErrors(ClinicError):
    """One or more input fields hold bad values.

    Attributes:
        errors: field name -> one clear message for that field.
    """

    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__("; ".join(f"{k}: {v}" for k, v in self.errors.items()))

    @classmethod
    def from_validation_error(cls, exc: ValidationError) -> FieldErrors:
        """Map a pydantic error to field -> message, first message per field wins."""
        errors: dict[str, str] = {}
        for err in exc.errors():
            loc = ".".join(str(part) for part in err["loc"]) or "__root__"
            msg = err["msg"]
            # pydantic prefixes custom messages with "Value error, "; keep only the reason.
            msg = msg.removeprefix("Value error, ")
            errors.setdefault(loc, msg)
        return cls(errors)


class NotFound(ClinicError):
    """The record asked for does not exist."""


class PermissionDenied(ClinicError):
    """The signed-in account's role does not allow this."""


class AuthenticationFailed(ClinicError):
    """Wrong user name or password, or the account is disabled."""


class ConflictError(ClinicError):
    """Someone else saved this record since it was opened (optimistic locking)."""


class RecordLocked(ClinicError):
    """A signed record cannot be changed; only an addendum can amend it."""


class DatabaseUnavailable(ClinicError):
    """The database cannot be used right now (locked, unreachable, full); retrying may work."""


class DatabaseCorrupt(ClinicError):
    """The database file failed its integrity check."""
