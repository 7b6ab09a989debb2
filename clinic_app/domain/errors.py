"""Errors the domain and services raise, each carrying a message a person can act on."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # (not imported at run time: this module is on the start-up path)
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
            errors.setdefault(loc, plain_message(err["type"], err["msg"], err.get("ctx") or {}))
        return cls(errors)


def plain_message(kind: str, message: str, ctx: Mapping[str, object]) -> str:
    """A pydantic error message as a person at the field would want to read it."""
    if kind == "value_error":
        # pydantic prefixes custom messages with "Value error, "; keep only the reason.
        return message.removeprefix("Value error, ")
    if kind in ("int_parsing", "int_from_float", "int_type"):
        return "Enter a whole number."
    if kind == "greater_than_equal":
        return f"Enter a number of at least {ctx.get('ge')}."
    if kind == "less_than_equal":
        return f"Enter a number of at most {ctx.get('le')}."
    if kind.startswith("date") or kind.startswith("datetime"):
        return "Enter the date as YYYY-MM-DD (for example 2026-03-14)."
    if kind == "string_too_long":
        return f"This holds at most {ctx.get('max_length')} characters."
    if kind == "enum":
        return f"Choose one of: {ctx.get('expected', 'the listed values')}."
    return message


class NotFound(ClinicError):
    """The record asked for does not exist."""


class PermissionDenied(ClinicError):
    """The signed-in account's role does not allow this."""


class AuthenticationFailed(ClinicError):
    """Wrong user name or password, or the account is disabled."""


class ConflictError(ClinicError):
    """Someone else saved this record since it was opened (optimistic locking)."""


class DuplicateRecord(ConflictError):
    """Another workstation stored a record with the same unique value at the same moment."""


class RecordLocked(ClinicError):
    """A signed record cannot be changed; only an addendum can amend it."""


class SigningBlocked(ClinicError):
    """Signing is refused until the listed items are dealt with.

    Attributes:
        paths: the exam paths (or other field names) that need attention, in form order.
    """

    def __init__(self, message: str, paths: tuple[str, ...] = ()) -> None:
        self.paths = paths
        super().__init__(message)


class DatabaseUnavailable(ClinicError):
    """The database cannot be used right now (locked, unreachable, full); retrying may work."""


class DatabaseCorrupt(ClinicError):
    """The database file failed its integrity check."""


class Cancelled(ClinicError):
    """The person stopped a long job (a check, an import) before it finished."""
