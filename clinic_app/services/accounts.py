"""Accounts: first admin, login, unlock, and an admin's account management."""

from __future__ import annotations

import secrets
from collections.abc import Collection, Iterable, Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pydantic import ValidationError

from clinic_app.domain.account import (
    COMMON_PASSWORDS_CONTEXT,
    Account,
    LoginFailures,
    NewAccount,
    Permission,
    Principal,
    Role,
    SigningKeyInfo,
    check_password_strength,
    login_delay,
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
from clinic_app.services.key_slots import KeyRing
from clinic_app.services.keys import (
    KdfCost,
    KeyUnwrapFailed,
    PracticeKey,
    SessionSigner,
    new_signing_key,
    public_of,
    unlock_signing_key,
    unwrap_secret,
    wrap_secret,
)
from clinic_app.services.ports import Clock, UnitOfWork, UnitOfWorkFactory

BAD_LOGIN = "Wrong user name or password."
SESSION_DISABLED = "This account was disabled by the practice admin; the session has ended."
SESSION_CHANGED = (
    "The practice admin changed this account's roles; log in again to go on with the new ones."
)
USERNAME_KEPT = 64  # the typed name is kept (audit, failure count) up to this length
COMMON_PASSWORDS_FILE = ("security", "common-passwords.txt")


def load_common_passwords(path: Path) -> frozenset[str]:
    """The shipped list of common passwords (lower case; # starts a comment line)."""
    with path.open(encoding="utf-8") as fh:
        return frozenset(
            line.strip().lower() for line in fh if line.strip() and not line.startswith("#")
        )


def default_common_passwords() -> frozenset[str]:
    """The list shipped in resources/security/."""
    from clinic_app.resources import resources_dir

    return load_common_passwords(resources_dir().joinpath(*COMMON_PASSWORDS_FILE))


def wait_text(seconds: float) -> str:
    """A wait as people say it: "45 seconds", "4 minutes"."""
    whole = max(1, round(seconds))
    if whole < 120:
        return f"{whole} seconds"
    return f"{round(whole / 60)} minutes"


LAST_ADMIN = "The practice needs at least one active admin account."
"""Why the last active admin cannot be disabled or lose the admin role."""


class SessionEnded(AuthenticationFailed):
    """The signed-in account was disabled, removed or given other roles since logging in."""


class AccountService:
    """Log people in and let an admin manage who may do what."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        hasher: PasswordHasher | None = None,
        common_passwords: Collection[str] | None = None,
        practice_key: PracticeKey | None = None,
        key_ring: KeyRing | None = None,
    ) -> None:
        self._uow = uow_factory
        self._key_ring = key_ring
        self._clock = clock
        self._hasher = hasher or PasswordHasher()
        self._dummy: str | None = None
        self._common = common_passwords
        self._practice_key = practice_key
        # Private keys are wrapped at the cost of the password hash: a login pays it twice.
        self._kdf = KdfCost.like(self._hasher)

    @property
    def kdf_cost(self) -> KdfCost:
        """The Argon2id cost keys are wrapped at (the password hash's)."""
        return self._kdf

    @property
    def common_passwords(self) -> Collection[str]:
        """Passwords refused as too common (read from resources on first use)."""
        if self._common is None:
            self._common = default_common_passwords()
        return self._common

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
        """Check the password; every attempt is audited.

        After FREE_LOGIN_FAILURES failed tries in a row under one name (known or not, so the
        wait reveals nothing), each further try must wait: 30 s, doubling up to an hour. A
        try made during the wait is refused without checking the password at all, so
        guessing gains nothing; the wait itself is audited when it begins.
        """
        name = username.strip().lower()[:USERNAME_KEPT]
        outside = self._key_ring.slots.unrecorded_failures() if self._key_ring else {}
        with self._uow() as uow:
            now = self._clock.now()
            self._count_unlock_failures(uow, outside)
            before = uow.accounts.login_failures(name)
            if before is not None and now < before.retry_at:
                raise AuthenticationFailed(self._wait_message(before, now))
            found = uow.accounts.by_username(name)
            account, stored = found if found else (None, self._dummy_hash)
            ok = self._verify(stored, password)
            if account is None or not ok or not account.active:
                failures, delay = self._record_failure(
                    uow,
                    name,
                    account.id if account else "-",
                    now,
                    "disabled account" if account and ok else "",
                )
                uow.commit()
                self._unlock_failures_counted(outside)
                if account is not None and ok and not account.active:
                    raise AuthenticationFailed("This account is disabled; ask the practice admin.")
                if delay:
                    raise AuthenticationFailed(f"{BAD_LOGIN} {self._wait_message(failures, now)}")
                raise AuthenticationFailed(BAD_LOGIN)
            if before is not None:
                uow.accounts.clear_login_failures(name)
            if self._hasher.check_needs_rehash(stored):
                uow.accounts.set_password_hash(account.id, self._hasher.hash(password))
            principal = account.principal()
            signer = self._unlock_signer(uow, account, password)
            self._ensure_key_slot(uow, account, password)
            audit(uow, self._clock, principal, AuditAction.LOGIN, "account", account.id)
            uow.commit()
            self._unlock_failures_counted(outside)
            if self._key_ring is not None:
                self._key_ring.slots.clear_failures(name)
                # An account without a slot (made before encryption) gets one now, and a
                # slot made from the password hash at encryption is replaced.
                self._key_ring.on_password(account.username, password, self._kdf, replace=False)
            return principal.with_signer(signer)

    def _count_unlock_failures(
        self, uow: UnitOfWork, outside: Mapping[str, list[datetime]]
    ) -> None:
        """Wrong passwords typed at the unlock step go into the database's count and trail.

        The database was sealed when they were typed; they are counted at their own times.
        The same count then governs both steps, and the admin sees them on the Accounts page.
        """
        for name, times in outside.items():
            found = uow.accounts.by_username(name)
            for at in times:
                self._record_failure(
                    uow,
                    name,
                    found[0].id if found else "-",
                    at,
                    f"wrong password at the unlock step, {at.isoformat(timespec='seconds')}",
                    at_unlock=True,
                )

    def _record_failure(
        self,
        uow: UnitOfWork,
        name: str,
        account_id: int | str,
        at: datetime,
        detail: str,
        *,
        at_unlock: bool = False,
    ) -> tuple[LoginFailures, timedelta | None]:
        """Count one failed log-in and audit it, and the wait it starts (if it does)."""
        failures = uow.accounts.record_login_failure(name, at)
        audit(
            uow,
            self._clock,
            None,
            AuditAction.LOGIN_FAILED,
            "account",
            account_id,
            detail,
            username=name,
        )
        delay = login_delay(failures.failures)
        if delay:
            where, waits = (" (at the unlock step)", "waited") if at_unlock else ("", "waits")
            audit(
                uow,
                self._clock,
                None,
                AuditAction.LOGIN_DELAYED,
                "account",
                account_id,
                f"{failures.failures} failed logins in a row{where}; the next try {waits} "
                f"{int(delay.total_seconds())} s (until "
                f"{failures.retry_at.isoformat(timespec='seconds')})",
                username=name,
            )
        return failures, delay

    def _unlock_failures_counted(self, outside: dict[str, list[datetime]]) -> None:
        if outside and self._key_ring is not None:
            self._key_ring.slots.failures_recorded(outside)

    # --- keys: the signing key unlocked at login, the admin's copy of the practice key ------

    def _unlock_signer(
        self, uow: UnitOfWork, account: Account, password: str
    ) -> SessionSigner | None:
        """The account's signing key, opened with the password (made on first need).

        An account that may sign and has no key yet (made before signatures) gets one now.
        A stored key that does not open with the right password, or whose public half does
        not match, was altered: that is audited as an integrity alert and a new key made.
        """
        if not account.principal().can(Permission.SIGN):
            return None
        current = uow.accounts.current_signing_key(account.id)
        if current is not None:
            info, wrapped = current
            try:
                private = unlock_signing_key(wrapped, password)
                if public_of(private) == info.public_key:
                    return SessionSigner(info.id, private)
            except KeyUnwrapFailed:
                pass
            audit(
                uow,
                self._clock,
                account.principal(),
                AuditAction.INTEGRITY_ALERT,
                "signing_key",
                info.id,
                "the stored signing key does not open with the account's password; a new key "
                "replaces it",
            )
        return self._new_signer(uow, account, password)

    def _new_signer(
        self, uow: UnitOfWork, account: Account, password: str, *, audited: bool = True
    ) -> SessionSigner:
        new = new_signing_key(password, self._kdf)
        info = uow.accounts.add_signing_key(
            account.id, new.public_key, new.wrapped_private, self._clock.now()
        )
        if not audited:  # made with the account, whose creation is audited
            return SessionSigner(info.id, new.private)
        audit(
            uow,
            self._clock,
            account.principal(),
            AuditAction.SIGNING_KEY,
            "account",
            account.id,
            f"signing key #{info.id} {new.public_key}",
        )
        return SessionSigner(info.id, new.private)

    def _ensure_key_slot(
        self, uow: UnitOfWork, account: Account, password: str, *, replace: bool = False
    ) -> None:
        """Give an active admin a copy of the practice key wrapped under their password.

        The copy travels inside every backup, so restoring onto a new computer needs only
        the admin's password (README, Security).
        """
        key = self._practice_key
        if key is None or not key.present or Role.ADMIN not in account.roles:
            return
        if not replace and uow.accounts.practice_key_slot(account.id) is not None:
            return
        uow.accounts.set_practice_key_slot(
            account.id, wrap_secret(key.secret, password, self._kdf, "practice")
        )

    def signer_for_import(self, account: Account, password: str | None) -> SessionSigner | None:
        """A signer for records signed in bulk for an account (the demo).

        With the password, the account's own key. Without it (the password is not known) a
        one-off key, retired at once: its public half is kept and verifies what it signed,
        its private half is forgotten when this process ends.
        """
        with self._uow() as uow:
            if password is not None:
                signer = self._unlock_signer(uow, account, password)
            elif account.principal().can(Permission.SIGN):
                signer = self._new_signer(uow, account, secrets.token_urlsafe(24))
                uow.accounts.retire_signing_key(signer.key_id, self._clock.now())
            else:
                signer = None
            uow.commit()
        return signer

    @property
    def database_encrypted(self) -> bool:
        """Whether the database is encrypted, so each account's password unlocks it."""
        return self._key_ring is not None and self._key_ring.encrypted

    def take_recovery_key(self) -> str | None:
        """The database's recovery key, returned once, right after the first admin is made.

        It is shown for the admin to print and keep; afterwards no copy is kept anywhere.
        """
        if self._key_ring is None:
            return None
        return self._key_ring.take_recovery_key()

    @staticmethod
    def open_practice_key_slot(slot: str, password: str) -> bytes:
        """The practice key from an admin's wrapped copy (raises KeyUnwrapFailed)."""
        return unwrap_secret(slot, password, "practice")

    def signing_keys(self, actor: Principal) -> list[tuple[Account | None, SigningKeyInfo]]:
        """Every signing key ever made, with its account (admin only): to export and keep."""
        require(actor, Permission.ACCOUNTS_MANAGE)
        with self._uow() as uow:
            accounts = {a.id: a for a in uow.accounts.list()}
            return [(accounts.get(k.user_id), k) for k in uow.accounts.signing_keys()]

    @staticmethod
    def _wait_message(failures: LoginFailures, now: datetime) -> str:
        left = (failures.retry_at - now).total_seconds()
        return (
            f"Too many failed logins under this name ({failures.failures} in a row): wait "
            f"{wait_text(left)} before trying again, or ask the practice admin."
        )

    def login_failures(self, actor: Principal) -> list[LoginFailures]:
        """Names with failed logins in a row, most first (admin only)."""
        require(actor, Permission.ACCOUNTS_MANAGE)
        with self._uow() as uow:
            return list(uow.accounts.all_login_failures())

    def clear_login_failures(self, actor: Principal, username: str) -> None:
        """Lift the wait on a user name (admin only, audited)."""
        require(actor, Permission.ACCOUNTS_MANAGE)
        name = username.strip().lower()[:USERNAME_KEPT]
        if self._key_ring is not None:
            self._key_ring.slots.clear_failures(name)  # the unlock step's count goes too
        with self._uow() as uow:
            before = uow.accounts.login_failures(name)
            if before is None:
                return
            uow.accounts.clear_login_failures(name)
            found = uow.accounts.by_username(name)
            audit(
                uow,
                self._clock,
                actor,
                AuditAction.ACCOUNT_CHANGE,
                "account",
                found[0].id if found else "-",
                f"cleared {before.failures} failed logins of {name!r}",
            )
            uow.commit()

    def check_admin_among(
        self, stored: Iterable[tuple[Account, str]], username: str, password: str
    ) -> Principal:
        """Check an admin's password against accounts read from elsewhere (a backup).

        Used to restore into an empty data folder: the only accounts that can vouch for the
        backup are the ones inside it. Raises AuthenticationFailed or PermissionDenied.
        """
        name = username.strip().lower()[:USERNAME_KEPT]
        match = next(((a, h) for a, h in stored if a.username == name), None)
        account, hashed = match if match else (None, self._dummy_hash)
        if not self._verify(hashed, password) or account is None or not account.active:
            raise AuthenticationFailed(f"{BAD_LOGIN} (checked against the backup's accounts)")
        if Role.ADMIN not in account.roles:
            raise PermissionDenied("Only a practice admin may restore a backup.")
        return account.principal()

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

    @staticmethod
    def _one_admin_left(uow: UnitOfWork) -> bool:
        """True when at most one account is an active admin (it must stay so)."""
        admins = [a for a in uow.accounts.list() if a.active and Role.ADMIN in a.roles]
        return len(admins) <= 1

    def set_active(self, actor: Principal, user_id: int, active: bool) -> None:
        """Enable or disable an account; an admin cannot disable the last active admin."""
        require(actor, Permission.ACCOUNTS_MANAGE)
        with self._uow() as uow:
            target = uow.accounts.get(user_id)
            if target is None:
                raise NotFound(f"Account #{user_id} does not exist.")
            if not active and Role.ADMIN in target.roles and self._one_admin_left(uow):
                raise ClinicError(LAST_ADMIN)
            uow.accounts.set_active(user_id, active)
            if not active:
                uow.accounts.set_practice_key_slot(user_id, None)
                if self._key_ring is not None:
                    # Its copy of the database key goes: its password opens nothing now.
                    self._key_ring.on_disabled(target.username)
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

    def change_roles(self, actor: Principal, user_id: int, roles: Iterable[Role]) -> Account:
        """Give an account other roles (admin only, audited).

        The practice keeps at least one active admin. The person's open session ends at its
        next action (``check_session``), so the new roles apply from their next login.
        """
        require(actor, Permission.ACCOUNTS_MANAGE)
        wanted = frozenset(Role(r) for r in roles)
        if not wanted:
            raise FieldErrors({"roles": "Choose at least one role."})
        with self._uow() as uow:
            target = uow.accounts.get(user_id)
            if target is None:
                raise NotFound(f"Account #{user_id} does not exist.")
            if wanted == target.roles:
                return target
            losing_admin = Role.ADMIN in target.roles and Role.ADMIN not in wanted
            if losing_admin and target.active and self._one_admin_left(uow):
                raise FieldErrors({"roles": LAST_ADMIN})
            uow.accounts.set_roles(user_id, wanted)
            if Role.ADMIN not in wanted:
                uow.accounts.set_practice_key_slot(user_id, None)  # no admin, no key copy
            audit(
                uow,
                self._clock,
                actor,
                AuditAction.ACCOUNT_CHANGE,
                "account",
                user_id,
                f"roles {','.join(sorted(target.roles))} -> {','.join(sorted(wanted))}",
            )
            uow.commit()
            return target.model_copy(update={"roles": wanted})

    def check_session(self, actor: Principal) -> None:
        """Raise SessionEnded when the account was disabled, removed or its roles changed.

        Called by the app before acting for a signed-in person, so an admin's decision takes
        effect at that person's next action rather than at their next login.
        """
        with self._uow() as uow:
            current = uow.accounts.get(actor.user_id)
        if current is None or not current.active:
            raise SessionEnded(SESSION_DISABLED)
        if current.roles != actor.roles:
            raise SessionEnded(SESSION_CHANGED)

    def reset_password(self, actor: Principal, user_id: int, new_password: str) -> None:
        """Set a new password for an account (admin only)."""
        require(actor, Permission.ACCOUNTS_MANAGE)
        try:
            check_password_strength(new_password, self.common_passwords)
        except ValueError as exc:
            raise FieldErrors({"password": str(exc)}) from None
        with self._uow() as uow:
            target = uow.accounts.get(user_id)
            if target is None:
                raise NotFound(f"Account #{user_id} does not exist.")
            uow.accounts.set_password_hash(user_id, self._hasher.hash(new_password))
            uow.accounts.clear_login_failures(target.username)
            # The old private key opens only with the old password, which the admin does not
            # know: a new key pair replaces it (the old public half still verifies what it
            # signed). The admin's copy of the practice key is wrapped again.
            if target.principal().can(Permission.SIGN):
                self._new_signer(uow, target, new_password)
            self._ensure_key_slot(uow, target, new_password, replace=True)
            if self._key_ring is not None:
                self._key_ring.on_password(target.username, new_password, self._kdf)
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
        if account.principal().can(Permission.SIGN):
            # The public half goes into the (keyed) audit entry: `audit verify` checks every
            # key against it, so a key swapped in the database is found.
            signer = self._new_signer(uow, account, new.password, audited=False)
            info = uow.accounts.current_signing_key(account.id)
            if info is not None:
                detail = f"{detail}; signing key #{signer.key_id} {info[0].public_key}"
        audit(uow, self._clock, actor or account.principal(), action, "account", account.id, detail)
        self._ensure_key_slot(uow, account, new.password)
        if self._key_ring is not None:
            self._key_ring.on_password(account.username, new.password, self._kdf)
        return account

    def validate(self, raw: Mapping[str, Any]) -> NewAccount:
        """Check a new account's values; raises FieldErrors naming each bad field."""
        return self._validate(raw)

    def _validate(self, raw: Mapping[str, Any]) -> NewAccount:
        try:
            return NewAccount.model_validate(
                dict(raw), context={COMMON_PASSWORDS_CONTEXT: self.common_passwords}
            )
        except ValidationError as exc:
            raise FieldErrors.from_validation_error(exc) from None

    def _verify(self, stored: str, password: str) -> bool:
        try:
            return self._hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return False
