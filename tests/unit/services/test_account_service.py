"""AccountService over fakes: first admin, login, audited failures, rehash, admin tools."""

from __future__ import annotations

from typing import Any

import pytest
from argon2 import PasswordHasher

from clinic_app.domain.account import Account, Principal, Role
from clinic_app.domain.audit import AuditAction
from clinic_app.domain.errors import (
    AuthenticationFailed,
    ClinicError,
    FieldErrors,
    NotFound,
    PermissionDenied,
)
from clinic_app.services.accounts import BAD_LOGIN, AccountService
from unit.fakes import FakeDatabase, FixedClock, audit_actions

OWNER: dict[str, Any] = {
    "username": " Owner ",
    "display_name": "Dr Owner",
    "password": "correct horse",
}


@pytest.fixture
def owner(accounts: AccountService) -> Account:
    """The first admin, created at first run."""
    return accounts.create_first_admin(OWNER)


def stored_hash(db: FakeDatabase, user_id: int) -> str:
    """The committed password hash of an account."""
    return db.committed.accounts[user_id][1]


def test_first_admin_is_created_once(
    accounts: AccountService, db: FakeDatabase, owner: Account
) -> None:
    assert owner.username == "owner"
    assert Role.ADMIN in owner.roles
    assert not accounts.needs_first_admin()
    with pytest.raises(PermissionDenied, match="already exists"):
        accounts.create_first_admin({**OWNER, "username": "intruder"})
    assert [account.username for account, _ in db.committed.accounts.values()] == ["owner"]
    assert audit_actions(db) == [AuditAction.CREATE]


def test_first_admin_keeps_extra_roles(accounts: AccountService) -> None:
    assert accounts.needs_first_admin()
    account = accounts.create_first_admin({**OWNER, "roles": ["clinician"]})
    assert account.roles == {Role.ADMIN, Role.CLINICIAN}


def test_first_admin_with_bad_input_writes_nothing(
    accounts: AccountService, db: FakeDatabase
) -> None:
    with pytest.raises(FieldErrors) as caught:
        accounts.create_first_admin({"username": "x", "display_name": "", "password": "short"})
    assert set(caught.value.errors) == {"username", "display_name", "password"}
    assert db.commits == 0


def test_password_is_hashed_not_stored(db: FakeDatabase, owner: Account) -> None:
    assert stored_hash(db, owner.id).startswith("$argon2")
    assert OWNER["password"] not in stored_hash(db, owner.id)


def test_login_ok(accounts: AccountService, db: FakeDatabase, owner: Account) -> None:
    who = accounts.login(" OWNER ", "correct horse")
    assert who == owner.principal()
    last = db.committed.audit[-1]
    assert (last.action, last.user_id, last.username) == (AuditAction.LOGIN, owner.id, "owner")


@pytest.mark.parametrize(
    ("username", "password"),
    [("owner", "wrong horse"), ("nobody", "correct horse"), ("owner", ""), ("", "")],
)
def test_bad_login_is_refused_and_audited(
    accounts: AccountService, db: FakeDatabase, owner: Account, username: str, password: str
) -> None:
    with pytest.raises(AuthenticationFailed) as caught:
        accounts.login(username, password)
    # The same words whether the name exists or not.
    assert str(caught.value) == BAD_LOGIN
    last = db.committed.audit[-1]
    assert last.action is AuditAction.LOGIN_FAILED
    assert last.user_id is None
    assert last.username == username


def test_disabled_account_cannot_log_in(
    accounts: AccountService, db: FakeDatabase, owner: Account
) -> None:
    db.committed.accounts[owner.id] = (
        owner.model_copy(update={"active": False}),
        stored_hash(db, owner.id),
    )
    with pytest.raises(AuthenticationFailed, match="disabled"):
        accounts.login("owner", "correct horse")
    last = db.committed.audit[-1]
    assert (last.action, last.detail) == (AuditAction.LOGIN_FAILED, "disabled account")
    # A wrong password does not reveal that the account is disabled.
    with pytest.raises(AuthenticationFailed, match=BAD_LOGIN):
        accounts.login("owner", "wrong horse")


def test_login_keeps_a_current_hash(
    accounts: AccountService, db: FakeDatabase, owner: Account
) -> None:
    before = stored_hash(db, owner.id)
    accounts.login("owner", "correct horse")
    assert stored_hash(db, owner.id) == before


def test_login_upgrades_an_outdated_hash(
    db: FakeDatabase, clock: FixedClock, hasher: PasswordHasher
) -> None:
    old_hasher = PasswordHasher(time_cost=2, memory_cost=8, parallelism=1)
    AccountService(db, clock, old_hasher).create_first_admin(OWNER)
    (account_id,) = db.committed.accounts
    old = stored_hash(db, account_id)
    AccountService(db, clock, hasher).login("owner", "correct horse")
    new = stored_hash(db, account_id)
    assert new != old
    assert not hasher.check_needs_rehash(new)
    assert hasher.verify(new, "correct horse")


def test_record_session_event(accounts: AccountService, db: FakeDatabase, owner: Account) -> None:
    accounts.record_session_event(owner.principal(), AuditAction.LOCK)
    assert audit_actions(db)[-1] is AuditAction.LOCK


def test_admin_creates_lists_and_disables_accounts(
    accounts: AccountService, db: FakeDatabase, owner: Account
) -> None:
    admin = owner.principal()
    desk = accounts.create_account(
        admin,
        {
            "username": "Desk",
            "display_name": "Sam Desk",
            "password": "front desk pw",
            "roles": [Role.FRONT_DESK],
        },
    )
    assert [a.username for a in accounts.list_accounts(admin)] == ["desk", "owner"]
    with pytest.raises(FieldErrors, match="taken"):
        accounts.create_account(
            admin,
            {
                "username": "desk",
                "display_name": "Other",
                "password": "another long pw",
                "roles": ["clinician"],
            },
        )
    accounts.set_active(admin, desk.id, False)
    with pytest.raises(AuthenticationFailed):
        accounts.login("desk", "front desk pw")
    accounts.set_active(admin, desk.id, True)
    assert accounts.login("desk", "front desk pw").user_id == desk.id


def test_last_active_admin_cannot_be_disabled(
    accounts: AccountService, db: FakeDatabase, owner: Account
) -> None:
    with pytest.raises(ClinicError, match="at least one active admin"):
        accounts.set_active(owner.principal(), owner.id, False)
    assert db.committed.accounts[owner.id][0].active


def test_reset_password(accounts: AccountService, owner: Account) -> None:
    admin = owner.principal()
    with pytest.raises(FieldErrors) as caught:
        accounts.reset_password(admin, owner.id, "short")
    assert set(caught.value.errors) == {"password"}
    with pytest.raises(NotFound):
        accounts.reset_password(admin, 404, "long enough pw")
    accounts.reset_password(admin, owner.id, "long enough pw")
    assert accounts.login("owner", "long enough pw").user_id == owner.id


@pytest.mark.parametrize("role", [Role.CLINICIAN, Role.FRONT_DESK])
def test_only_an_admin_manages_accounts(
    accounts: AccountService, db: FakeDatabase, owner: Account, role: Role
) -> None:
    someone = Principal(user_id=9, username="x", display_name="X", roles=frozenset({role}))
    before = db.commits
    with pytest.raises(PermissionDenied):
        accounts.list_accounts(someone)
    with pytest.raises(PermissionDenied):
        accounts.create_account(someone, {})
    with pytest.raises(PermissionDenied):
        accounts.set_active(someone, owner.id, False)
    with pytest.raises(PermissionDenied):
        accounts.reset_password(someone, owner.id, "long enough pw")
    assert db.commits == before
