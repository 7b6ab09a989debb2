"""Text people type is shown as text, never interpreted as markup."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from clinic_app.app import build_services
from clinic_app.settings import load_settings
from clinic_app.ui.main_window import MainWindow


def test_markup_in_reason_and_addendum_is_escaped(
    qtbot: QtBot, tmp_path: Path, fast_password_hashing: None
) -> None:
    services = build_services(load_settings(tmp_path))
    services.accounts.create_first_admin(
        {
            "username": "doc",
            "display_name": "Dr <i>Doc</i>",
            "password": "rich-text-password-1",
            "roles": ["clinician"],
        }
    )
    doc = services.accounts.login("doc", "rich-text-password-1")
    patient = services.patients.register(
        doc, {"family_name": "O<b>Neil", "given_name": "Pat", "date_of_birth": "1950-05-05"}
    )
    enc = services.encounters.create(
        doc,
        {
            "patient_id": patient.id,
            "encounter_date": services.clock.today(),
            "reason": "<h1>big</h1> heel",
        },
    )
    enc = services.encounters.sign(doc, enc.id, enc.version)
    services.encounters.add_addendum(doc, enc.id, "a < b & <b>c</b>")
    window = MainWindow(services, idle_lock_minutes=10)
    qtbot.addWidget(window)
    window._logged_in(doc)
    window.open_chart(patient.id)
    assert "O&lt;b&gt;Neil" in window.findChild(QLabel, "chart_demographics").text()
    window.open_encounter(enc.id)
    header = window.findChild(QLabel, "encounter_header").text()
    assert "&lt;h1&gt;big&lt;/h1&gt; heel" in header
    assert "Dr &lt;i&gt;Doc&lt;/i&gt;" in header
    assert "a &lt; b &amp; &lt;b&gt;c&lt;/b&gt;" in window.findChild(QLabel, "addenda_list").text()
