"""Accounts on a real database: first admin, login, disabling, password resets."""

from __future__ import annotations

import pytest

from clinic_app.domain.account import Role
from clinic_app.domain.audit import AuditAction
from clinic_app.domain.errors import (
    AuthenticationFailed,
    ClinicError,
    FieldErrors,
    NotFound,
    PermissionDenied,
)

PASSWORD = "correct-horse-battery"


def last_entry(services, admin):
    return services.audit.recent(admin, limit=1)[0]


def test_first_admin_is_created_once(services):
    assert services.accounts.needs_first_admin()

    first = services.accounts.create_first_admin(
        {"username": " Boss ", "display_name": "Bo Boss", "password": PASSWORD}
    )

    assert not services.accounts.needs_first_admin()
    assert first.username == "boss"
    assert first.roles == frozenset({Role.ADMIN})
    with pytest.raises(PermissionDenied, match="already exists"):
        services.accounts.create_first_admin(
            {"username": "other", "display_name": "Other", "password": PASSWORD}
        )
    admin = services.accounts.login("boss", PASSWORD)
    assert [a.username for a in services.accounts.list_accounts(admin)] == ["boss"]


def test_first_admin_may_also_be_a_clinician(services):
    first = services.accounts.create_first_admin(
        {
            "username": "doc",
            "display_name": "Dr. Doc",
            "password": PASSWORD,
            "roles": [Role.CLINICIAN],
        }
    )

    assert first.roles == frozenset({Role.ADMIN, Role.CLINICIAN})
    assert services.accounts.login("doc", PASSWORD).roles == first.roles


def test_bad_first_admin_input_writes_nothing(services):
    with pytest.raises(FieldErrors) as err:
        services.accounts.create_first_admin(
            {"username": "a b", "display_name": "", "password": "short"}
        )

    assert {"username", "display_name", "password"} <= set(err.value.errors)
    assert services.accounts.needs_first_admin()


def test_login_gives_the_principal(services, admin, clinician):
    again = services.accounts.login("cruz", PASSWORD)

    assert again == clinician
    assert again.roles == frozenset({Role.CLINICIAN})
    assert again.display_name == "Dr. Carmen Cruz"
    assert last_entry(services, admin).action is AuditAction.LOGIN


def test_wrong_credentials_fail_the_same_way_and_are_audited(services, admin, clinician):
    for username, password in [
        ("cruz", "wrong-password"),
        ("cruz", ""),
        ("ghost", PASSWORD),
        ("", ""),
    ]:
        with pytest.raises(AuthenticationFailed, match=r"^Wrong user name or password\.$"):
            services.accounts.login(username, password)

        entry = last_entry(services, admin)
        assert entry.action is AuditAction.LOGIN_FAILED
        assert entry.username == username
        assert entry.user_id is None


def test_disabled_account_is_refused(services, admin, clinician):
    services.accounts.set_active(admin, clinician.user_id, False)

    with pytest.raises(AuthenticationFailed, match="disabled"):
        services.accounts.login("cruz", PASSWORD)
    entry = last_entry(services, admin)
    assert (entry.action, entry.detail) == (AuditAction.LOGIN_FAILED, "disabled account")

    services.accounts.set_active(admin, clinician.user_id, True)
    assert services.accounts.login("cruz", PASSWORD) == clinician


def test_disabled_account_with_a_wrong_password_reveals_nothing(services, admin, clinician):
    services.accounts.set_active(admin, clinician.user_id, False)

    with pytest.raises(AuthenticationFailed, match=r"^Wrong user name or password\.$"):
        services.accounts.login("cruz", "wrong-password")


def test_the_last_active_admin_cannot_be_disabled(services, admin, make_user):
    with pytest.raises(ClinicError, match="at least one active admin"):
        services.accounts.set_active(admin, admin.user_id, False)
    assert services.accounts.login("admin", PASSWORD) == admin

    deputy = make_user("deputy", {Role.ADMIN})
    services.accounts.set_active(deputy, admin.user_id, False)
    with pytest.raises(AuthenticationFailed):
        services.accounts.login("admin", PASSWORD)
    with pytest.raises(ClinicError, match="at least one active admin"):
        services.accounts.set_active(deputy, deputy.user_id, False)
    active = {a.username: a.active for a in services.accounts.list_accounts(deputy)}
    assert active == {"admin": False, "deputy": True}


def test_taken_user_name_is_a_field_error(services, admin, clinician):
    with pytest.raises(FieldErrors) as err:
        services.accounts.create_account(
            admin,
            {
                "username": "CRUZ",
                "display_name": "Another Cruz",
                "password": PASSWORD,
                "roles": {Role.FRONT_DESK},
            },
        )
    assert set(err.value.errors) == {"username"}


def test_password_reset(services, admin, clinician):
    with pytest.raises(FieldErrors) as err:
        services.accounts.reset_password(admin, clinician.user_id, "short")
    assert set(err.value.errors) == {"password"}

    services.accounts.reset_password(admin, clinician.user_id, "a-new-long-password")

    with pytest.raises(AuthenticationFailed):
        services.accounts.login("cruz", PASSWORD)
    assert services.accounts.login("cruz", "a-new-long-password") == clinician
    with pytest.raises(NotFound):
        services.accounts.reset_password(admin, 9_999, "a-new-long-password")


def test_accounts_survive_a_restart(workstations, services, admin, clinician, front_desk):
    listed = services.accounts.list_accounts(admin)
    workstations.close(services)

    restarted = workstations.open()

    assert restarted.accounts.list_accounts(admin) == listed
    assert restarted.accounts.login("frank", PASSWORD) == front_desk
    assert not restarted.accounts.needs_first_admin()
