"""Shared e2e set-up: a practice with one clinician, one patient and one open draft."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from clinic_app.app import build_services
from clinic_app.settings import load_settings
from clinic_app.ui.main_window import MainWindow

CLINIC_PASSWORD = "heel-and-sole-42"


@pytest.fixture
def clinic(tmp_path: Path, fast_password_hashing: None) -> dict[str, Any]:
    """Admin, clinician "drlee", patient Grace Okafor and a draft encounter, on disk."""
    data_dir = tmp_path / "data"
    services = build_services(load_settings(data_dir))
    services.accounts.create_first_admin(
        {
            "username": "admin",
            "display_name": "Admin",
            "password": CLINIC_PASSWORD,
            "roles": ["admin"],
        }
    )
    services.accounts.create_account(
        services.accounts.login("admin", CLINIC_PASSWORD),
        {
            "username": "drlee",
            "display_name": "Dr Lee",
            "password": CLINIC_PASSWORD,
            "roles": ["clinician"],
        },
    )
    principal = services.accounts.login("drlee", CLINIC_PASSWORD)
    patient = services.patients.register(
        principal,
        {
            "family_name": "Okafor",
            "given_name": "Grace",
            "date_of_birth": "1958-05-06",
            "sex": "female",
            "preferred_language": "en",
            "diabetes": "no",
        },
    )
    enc = services.encounters.create(
        principal,
        {"patient_id": patient.id, "encounter_date": services.clock.today(), "reason": "Numb sole"},
    )
    return {
        "data_dir": data_dir,
        "encounter_id": enc.id,
        "patient_id": patient.id,
        "principal": principal,
        "password": CLINIC_PASSWORD,
    }


@pytest.fixture
def logged_in_window(qtbot: Any, clinic: dict[str, Any]) -> Callable[[], MainWindow]:
    """Start the app on the clinic's folder (a new process's view) with drlee logged in."""

    def _open() -> MainWindow:
        window = MainWindow(build_services(load_settings(clinic["data_dir"])), idle_lock_minutes=10)
        qtbot.addWidget(window)
        window.resize(1366, 768)
        window.show()
        qtbot.waitExposed(window)
        window.activateWindow()
        qtbot.waitUntil(window.isActiveWindow, timeout=3000)
        principal = window.services.accounts.login("drlee", CLINIC_PASSWORD)
        window.login_page.sig_logged_in.emit(principal)
        return window

    return _open
