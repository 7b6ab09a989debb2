"""Accounts: first admin, login, unlock, and an admin's account management."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pydantic import ValidationError

from clinic_app.domain.account import (
    Account,
    NewAccount,
    Permission,
    Principal,
    Role,
    check_password_strength,
)
from clinic_app.domain.audit import AuditAction
from clinic_app.domain.errors import (
    AuthenticationFailed,
    ClinicError,
    FieldErrors,
    NotFound,
    PermissionDenied,
)
from clinic_app.services.common import audit, require
from clinic_app.services.ports import Clock, UnitOfWork, UnitOfWorkFactory

BAD_LOGIN = "Wrong user name or password."


class AccountService:
    """Log people in and let an admin manage who may do what."""

    def __init__(
        self, uow_factory: UnitOfWorkFactory, clock: Clock, hasher: PasswordHasher | None = None
    ) -> None:
        self._uow = uow_factory
        self._clock = clock
        self._hasher = hasher or PasswordHasher()
        self._dummy: str | None = None

    @property
    def _dummy_hash(self) -> str:
        # Verifying against a dummy hash for unknown names keeps the timing the same, so the
        # login screen does not reveal which user names exist. Made on first use: hashing is
        # deliberately slow and does not belong on the start-up path.
        if self._dummy is None:
            self._dummy = self._hasher.hash("not-a-real-password")
        return self._dummy

    def needs_first_admin(self) -> bool:
        """True on a database without accounts: the app must ask for the first admin."""
        with self._uow() as uow:
            return uow.accounts.count() == 0

    def create_first_admin(self, raw: Mapping[str, Any]) -> Account:
        """Create the first account (always an admin); refused once any account exists."""
        new = self._validate({**raw, "roles": frozenset(raw.get("roles") or ()) | {Role.ADMIN}})
        with self._uow() as uow:
            if uow.accounts.count() != 0:
                raise PermissionDenied("The first admin account already exists; log in instead.")
            account = self.store_account(uow, new, None, AuditAction.CREATE, "first admin")
            uow.commit()
            return account

    def login(self, username: str, password: str) -> Principal:
        """Check the password; every attempt is audited."""
        name = username.strip().lower()
        with self._uow() as uow:
            found = uow.accounts.by_username(name)
            account, stored = found if found else (None, self._dummy_hash)
            ok = self._verify(stored, password)
            if account is None or not ok or not account.active:
                audit(
                    uow,
                    self._clock,
                    None,
                    AuditAction.LOGIN_FAILED,
                    "account",
                    account.id if account else "-",
                    "disabled account" if account and ok else "",
                    username=name[:64],
                )
                uow.commit()
                if account is not None and ok and not account.active:
                    raise AuthenticationFailed("This account is disabled; ask the practice admin.")
                raise AuthenticationFailed(BAD_LOGIN)
            if self._hasher.check_needs_rehash(stored):
                uow.accounts.set_password_hash(account.id, self._hasher.hash(password))
            principal = account.principal()
            audit(uow, self._clock, principal, AuditAction.LOGIN, "account", account.id)
            uow.commit()
            return principal

    def record_session_event(self, actor: Principal, action: AuditAction) -> None:
        """Audit a lock or logout."""
        with self._uow() as uow:
            audit(uow, self._clock, actor, action, "account", actor.user_id)
            uow.commit()

    def list_accounts(self, actor: Principal) -> list[Account]:
        """Every account (admin only)."""
        require(actor, Permission.ACCOUNTS_MANAGE)
        with self._uow() as uow:
            return list(uow.accounts.list())

    def create_account(self, actor: Principal, raw: Mapping[str, Any]) -> Account:
        """Create an account (admin only)."""
        require(actor, Permission.ACCOUNTS_MANAGE)
        new = self._validate(raw)
        with self._uow() as uow:
            if uow.accounts.by_username(new.username) is not None:
                raise FieldErrors({"username": f"The user name {new.username} is taken."})
            account = self.store_account(
                uow,
                new,
                actor,
                AuditAction.ACCOUNT_CHANGE,
                f"created with roles {','.join(sorted(new.roles))}",
            )
            uow.commit()
            return account

    def set_active(self, actor: Principal, user_id: int, active: bool) -> None:
        """Enable or disable an account; an admin cannot disable the last active admin."""
        require(actor, Permission.ACCOUNTS_MANAGE)
        with self._uow() as uow:
            target = uow.accounts.get(user_id)
            if target is None:
                raise NotFound(f"Account #{user_id} does not exist.")
            if not active and Role.ADMIN in target.roles:
                admins = [a for a in uow.accounts.list() if a.active and Role.ADMIN in a.roles]
                if len(admins) <= 1:
                    raise ClinicError("The practice needs at least one active admin account.")
            uow.accounts.set_active(user_id, active)
            audit(
                uow,
                self._clock,
                actor,
                AuditAction.ACCOUNT_CHANGE,
                "account",
                user_id,
                "enabled" if active else "disabled",
            )
            uow.commit()

    def reset_password(self, actor: Principal, user_id: int, new_password: str) -> None:
        """Set a new password for an account (admin only)."""
        require(actor, Permission.ACCOUNTS_MANAGE)
        try:
            check_password_strength(new_password)
        except ValueError as exc:
            raise FieldErrors({"password": str(exc)}) from None
        with self._uow() as uow:
            if uow.accounts.get(user_id) is None:
                raise NotFound(f"Account #{user_id} does not exist.")
            uow.accounts.set_password_hash(user_id, self._hasher.hash(new_password))
            audit(
                uow,
                self._clock,
                actor,
                AuditAction.ACCOUNT_CHANGE,
                "account",
                user_id,
                "password reset",
            )
            uow.commit()

    def store_account(
        self,
        uow: UnitOfWork,
        new: NewAccount,
        actor: Principal | None,
        action: AuditAction,
        detail: str,
    ) -> Account:
        """Hash the password, store the account and audit it inside the caller's transaction.

        The caller has checked who may do this; with no actor the new account is audited as
        acting for itself (the first admin, the demo login).
        """
        account = uow.accounts.add(
            new.username, new.display_name, self._hasher.hash(new.password), new.roles
        )
        audit(uow, self._clock, actor or account.principal(), action, "account", account.id, detail)
        return account

    def validate(self, raw: Mapping[str, Any]) -> NewAccount:
        """Check a new account's values; raises FieldErrors naming each bad field."""
        return self._validate(raw)

    def _validate(self, raw: Mapping[str, Any]) -> NewAccount:
        try:
            return NewAccount.model_validate(dict(raw))
        except ValidationError as exc:
            raise FieldErrors.from_validation_error(exc) from None

    def _verify(self, stored: str, password: str) -> bool:
        try:
            return self._hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return False
