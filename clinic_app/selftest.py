"""`clinic-app self-test`: check an installation (source tree or desktop bundle) end to end."""

from __future__ import annotations

from clinic_app.settings import AppSettings


def run_self_test(settings: AppSettings) -> int:
    """Open the database, migrate, load every form and handout, render one PDF; 0 when well."""
    raise NotImplementedError
