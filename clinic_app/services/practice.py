"""The practice's details: read by all who print, changed by the admin, set up on first run."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pydantic import ValidationError

from clinic_app.domain.account import Account, NewAccount, Permission, Principal, Role
from clinic_app.domain.audit import AuditAction
from clinic_app.domain.errors import FieldErrors, PermissionDenied
from clinic_app.domain.practice import PracticeDetails, logo_pixel_problem
from clinic_app.services.accounts import AccountService
from clinic_app.services.common import audit
from clinic_app.services.ports import Clock, UnitOfWorkFactory

ENTITY = "practice"
FIELD_WORDS = {
    "name": "name",
    "address": "address",
    "phone": "phone",
    "logo": "logo",
    "release_timeline": "release recovery timeline",
    "driving": "driving weeks",
    "fever_threshold": "fever threshold",
}


def changed_fields(before: PracticeDetails | None, after: PracticeDetails) -> list[str]:
    """The fields that differ, in words, for the audit trail (never the values themselves)."""
    old = before.stored_fields() if before else {}
    new = after.stored_fields()
    return [words for key, words in FIELD_WORDS.items() if old.get(key) != new[key]]


class PracticeService:
    """Letterhead, recovery timeline, driving weeks and fever threshold, one record per database."""

    def __init__(
        self, uow_factory: UnitOfWorkFactory, clock: Clock, accounts: AccountService
    ) -> None:
        self._uow = uow_factory
        self._clock = clock
        self._accounts = accounts

    def get(self) -> PracticeDetails | None:
        """The practice's details, or None while nobody has entered them.

        Every role may read them: the front desk prints the letterhead, and the first-run
        page reads them before any account exists. They hold nothing about patients.
        """
        with self._uow() as uow:
            return uow.practice.get()

    def validate(self, raw: Mapping[str, Any] | PracticeDetails) -> PracticeDetails:
        """Check the details; raises FieldErrors naming each bad field."""
        if isinstance(raw, PracticeDetails):
            details = raw
        else:
            try:
                details = PracticeDetails.model_validate(dict(raw))
            except ValidationError as exc:
                raise FieldErrors.from_validation_error(exc) from None
        # The pixel count is read from the header before anything decodes the image (a
        # 300 KB file can hold a 20,000 x 20,000 image that every print would decode).
        problem = logo_pixel_problem(details.logo) if details.logo else None
        if problem:
            raise FieldErrors({"logo": problem})
        return details

    def update(
        self,
        actor: Principal,
        details: Mapping[str, Any] | PracticeDetails,
        expected_version: int,
    ) -> PracticeDetails:
        """Replace the details (admin only, audited); ConflictError if saved elsewhere since."""
        if not actor.can(Permission.PRACTICE_MANAGE):
            raise PermissionDenied(
                f"{actor.display_name}'s account is not allowed to change the practice details."
            )
        new = self.validate(details)
        with self._uow() as uow:
            before = uow.practice.get()
            saved = uow.practice.save(new, expected_version)
            changes = changed_fields(before, saved)
            audit(
                uow,
                self._clock,
                actor,
                AuditAction.PRACTICE_CHANGE,
                ENTITY,
                1,
                ("changed " + ", ".join(changes)) if changes else "saved unchanged",
            )
            uow.commit()
            return saved

    def check_set_up(
        self, admin: Mapping[str, Any], practice: Mapping[str, Any] | PracticeDetails
    ) -> tuple[NewAccount, PracticeDetails]:
        """Check a first-run form without writing; FieldErrors keys as for set_up."""
        errors: dict[str, str] = {}
        new_account: NewAccount | None = None
        details: PracticeDetails | None = None
        try:
            new_account = self._accounts.validate(
                {**admin, "roles": frozenset(admin.get("roles") or ()) | {Role.ADMIN}}
            )
        except FieldErrors as exc:
            errors.update({f"admin.{k}": v for k, v in exc.errors.items()})
        try:
            details = self.validate(practice)
        except FieldErrors as exc:
            errors.update({f"practice.{k}": v for k, v in exc.errors.items()})
        if errors or new_account is None or details is None:
            raise FieldErrors(errors)
        return new_account, details

    def set_up(
        self, admin: Mapping[str, Any], practice: Mapping[str, Any] | PracticeDetails
    ) -> Account:
        """First run: the first admin account and the practice details, in one transaction.

        Both are checked before anything is written; FieldErrors keys are prefixed
        ``admin.`` and ``practice.``. Refused once any account exists, so a second try after
        a failure starts from a clean database rather than half a set-up.
        """
        new_account, details = self.check_set_up(admin, practice)
        with self._uow() as uow:
            if uow.accounts.count() != 0:
                raise PermissionDenied("The first admin account already exists; log in instead.")
            account = self._accounts.store_account(
                uow, new_account, None, AuditAction.CREATE, "first admin"
            )
            existing = uow.practice.get()
            saved = uow.practice.save(details, existing.version if existing else 0)
            audit(
                uow,
                self._clock,
                account.principal(),
                AuditAction.PRACTICE_CHANGE,
                ENTITY,
                1,
                "set up with " + ", ".join(changed_fields(existing, saved) or ["no changes"]),
            )
            uow.commit()
            return account


class DatabaseState(StrEnum):
    """What a database server holds, as far as this app is concerned."""

    EMPTY = "empty"  # nothing of clinic_app's yet: it will be set up
    CLINIC = "clinic"  # already holds the practice's records: this workstation joins
    NEWER = "newer"  # written by a newer clinic_app: update this workstation first
    UNUSABLE = "unusable"  # a bad URL, an unreachable server, or someone else's tables


@dataclass(frozen=True)
class DatabaseProbe:
    """The answer to "may the practice's records live at this URL?".

    Attributes:
        state: what the database holds.
        message: one sentence for the person at the URL field; it never holds the password.
    """

    state: DatabaseState
    message: str

    @property
    def usable(self) -> bool:
        """True when the app may set up or join this database."""
        return self.state in (DatabaseState.EMPTY, DatabaseState.CLINIC)
