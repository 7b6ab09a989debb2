"""Issue 19 through the real window: start page, visit list, print queue, front desk, accounts."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QLineEdit, QWidget
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from clinic_app.domain.account import Principal, Role
from clinic_app.domain.audit import AuditAction
from clinic_app.domain.patient import Patient, TriState
from clinic_app.domain.print_queue import HandoutChoice
from clinic_app.services.container import Services
from clinic_app.services.patients import CLINICAL_FACTS
from clinic_app.ui.dialogs import Dialogs
from clinic_app.ui.main_window import MainWindow
from clinic_app.ui.models.visit_table_model import VisitFilterModel, VisitTableModel
from clinic_app.ui.views.chart_view import SORTS
from clinic_app.ui.views.print_queue_pane import PrintQueuePane

pytestmark = pytest.mark.usefixtures("sqlite_only")


@pytest.fixture
def sqlite_only(db_url: str) -> None:
    """These screens read the same services on both databases; SQLite is enough here."""
    if not db_url.startswith("sqlite"):
        pytest.skip("GUI checks run on SQLite")


class QuietDialogs(Dialogs):
    """Records what would be shown; answers yes."""

    def __init__(self) -> None:
        self.shown: list[tuple[str, str]] = []

    def confirm(self, parent: QWidget | None, title: str, text: str, *a: Any, **k: Any) -> bool:
        self.shown.append((title, text))
        return True

    def info(self, parent: QWidget | None, title: str, text: str) -> None:
        self.shown.append((title, text))

    def error(self, parent: QWidget | None, title: str, text: str) -> None:
        self.shown.append((title, text))


def register(services: Services, who: Principal, family: str, given: str, born: str) -> Patient:
    """A patient with the least a registration needs."""
    return services.patients.register(
        who,
        {"family_name": family, "given_name": given, "date_of_birth": born},
        allow_duplicate=True,
    )


@pytest.fixture
def open_window(qtbot: QtBot, services: Services) -> Iterator[Callable[[Principal], MainWindow]]:
    """A shown main window logged in as the given person."""
    windows: list[MainWindow] = []

    def _open(principal: Principal) -> MainWindow:
        window = MainWindow(services, idle_lock_minutes=10, dialogs=QuietDialogs())
        qtbot.addWidget(window)
        window.session_check_seconds = 0
        window.resize(1200, 760)
        window.show()
        qtbot.waitExposed(window)
        window.activateWindow()
        qtbot.waitUntil(window.isActiveWindow, timeout=3000)
        window.login_page.sig_logged_in.emit(principal)
        windows.append(window)
        return window

    yield _open
    for window in windows:
        window.principal = None  # nothing to save on close


# --------------------------------------------------------------------------- start page


def test_start_page_lists_today_recent_and_drafts_and_opens_each_with_enter(
    qtbot: QtBot,
    services: Services,
    clinician: Principal,
    open_window: Callable[[Principal], MainWindow],
) -> None:
    today_patient = register(services, clinician, "Okafor", "Grace", "1958-05-06")
    recent_patient = register(services, clinician, "Baker", "Bo", "1950-01-02")
    draft = services.encounters.create(
        clinician,
        {
            "patient_id": today_patient.id,
            "encounter_date": services.clock.today(),
            "reason": "Numb sole",
        },
    )
    services.patients.open_chart(clinician, recent_patient.id)

    window = open_window(clinician)
    start = window.start_view
    assert window.right.currentWidget() is start
    assert "Okafor, Grace" in start.today_list.item(0).text()
    assert today_patient.mrn in start.today_list.item(0).text()
    assert "Baker, Bo" in start.recent_list.item(0).text()
    assert "Grace Okafor" in start.drafts_list.item(0).text()

    start.today_list.setFocus()
    qtbot.keyClick(start.today_list, Qt.Key.Key_Return)
    assert window.right.currentWidget() is window.chart_view
    assert window.chart_view.chart is not None
    assert window.chart_view.chart.patient.id == today_patient.id

    window.show_start()
    # Okafor's chart, just opened, is now the newest of the recent patients.
    recent = [start.recent_list.item(i).text() for i in range(start.recent_list.count())]
    assert ["Okafor, Grace" in recent[0], "Baker, Bo" in recent[1]] == [True, True]
    start.recent_list.setFocus()
    qtbot.keyClick(start.recent_list, Qt.Key.Key_Down)
    qtbot.keyClick(start.recent_list, Qt.Key.Key_Return)
    assert window.chart_view.chart is not None
    assert window.chart_view.chart.patient.id == recent_patient.id

    window.show_start()
    qtbot.keyClick(start.drafts_list, Qt.Key.Key_Return)
    assert window.right.currentWidget() is window.encounter_pane
    assert window.encounter_pane.encounter is not None
    assert window.encounter_pane.encounter.id == draft.id


def test_the_draft_to_resume_is_shortened_rather_than_widen_the_start_page(
    qtbot: QtBot,
    services: Services,
    clinician: Principal,
    open_window: Callable[[Principal], MainWindow],
) -> None:
    patient = register(services, clinician, "Okafor-Abernathy-Whitfield", "Grace", "1958-05-06")
    services.encounters.create(
        clinician,
        {"patient_id": patient.id, "encounter_date": services.clock.today(), "reason": "x"},
    )
    window = open_window(clinician)
    start = window.start_view
    button = start.resume_button
    whole = button.sizeHint().width()
    assert "Grace Okafor-Abernathy-Whitfield" in button.text()
    assert button.toolTip() == button.text()
    # The page may be narrower than the line: the line is shortened ("..."), not the page
    # pushed past the window (as at 150% text size on a laptop screen).
    assert start.minimumSizeHint().width() < whole
    start.resize(whole // 2, start.height())
    qtbot.waitUntil(lambda: button.width() <= whole // 2)
    assert button.isVisible()
    assert "Grace Okafor-Abernathy-Whitfield" in button.text()  # (whole, for Enter and tests)


def test_front_desk_start_page_has_no_drafts_list(
    services: Services,
    clinician: Principal,
    front_desk: Principal,
    open_window: Callable[[Principal], MainWindow],
) -> None:
    patient = register(services, clinician, "Okafor", "Grace", "1958-05-06")
    services.encounters.create(
        clinician,
        {"patient_id": patient.id, "encounter_date": services.clock.today(), "reason": "Heel"},
    )
    window = open_window(front_desk)
    assert window.start_view.drafts_box.isHidden()
    assert "Okafor, Grace" in window.start_view.today_list.item(0).text()


# --------------------------------------------------------------------------- visit list


@pytest.fixture
def busy_chart(
    services: Services, clinician: Principal, make_user: Callable[..., Principal], clock: Any
) -> Patient:
    """Six visits by two clinicians, half signed, on different days."""
    other = make_user("ames", {Role.CLINICIAN}, "Dr. Ames Abel")
    patient = register(services, clinician, "Okafor", "Grace", "1958-05-06")
    today = services.clock.today()
    plan = [
        (clinician, 5, "Numb sole", True),
        (other, 4, "Heel pain at night", False),
        (clinician, 3, "Follow-up nerve study", True),
        (other, 2, "Burning toes", True),
        (clinician, 1, "Orthotics check", False),
        (other, 0, "Numb sole again", False),
    ]
    for who, days_ago, reason, sign in plan:
        enc = services.encounters.create(
            who,
            {
                "patient_id": patient.id,
                "encounter_date": today - timedelta(days=days_ago),
                "reason": reason,
            },
        )
        if sign:
            clock.advance(minutes=1)
            services.encounters.sign(who, enc.id, enc.version)
    return patient


def shown_column(window: MainWindow, column: int) -> list[str]:
    """The visit list's texts in one column, in the order on screen."""
    proxy = window.chart_view.visit_proxy
    return [str(proxy.index(row, column).data()) for row in range(proxy.rowCount())]


def test_visit_list_sorts_by_date_status_and_clinician_and_filters(
    qtbot: QtBot,
    services: Services,
    clinician: Principal,
    busy_chart: Patient,
    open_window: Callable[[Principal], MainWindow],
) -> None:
    window = open_window(clinician)
    window.open_chart(busy_chart.id)
    chart = window.chart_view
    header = [str(chart.visit_proxy.headerData(c, Qt.Orientation.Horizontal)) for c in range(5)]
    assert header == ["Date", "Reason", "Status", "Clinician", "Addenda"]
    dates = shown_column(window, 0)
    assert dates == sorted(dates, reverse=True)
    assert shown_column(window, 1)[0] == "Numb sole again"

    # Alt+O reaches the sort box; Down steps through its sorts.
    sort_box = chart.visit_sort
    assert isinstance(sort_box, QComboBox)
    sort_box.setFocus()
    qtbot.keyClick(sort_box, Qt.Key.Key_Down)
    assert shown_column(window, 0) == sorted(dates)
    qtbot.keyClick(sort_box, Qt.Key.Key_Down)
    assert SORTS[sort_box.currentIndex()][0].startswith("Status")
    assert shown_column(window, 2) == ["Draft"] * 3 + ["Signed"] * 3
    qtbot.keyClick(sort_box, Qt.Key.Key_Down)
    assert shown_column(window, 3) == ["Dr. Ames Abel"] * 3 + ["Dr. Carmen Cruz"] * 3

    # The filter keeps rows holding every word typed, in any column.
    qtbot.keyClicks(chart.visit_filter, "numb")
    assert sorted(shown_column(window, 1)) == ["Numb sole", "Numb sole again"]
    qtbot.keyClicks(chart.visit_filter, " signed")
    assert shown_column(window, 1) == ["Numb sole"]
    assert "1 of 6" in chart.visits_label.text()

    # Enter in the filter goes to the list; Enter there opens the visit.
    qtbot.keyClick(chart.visit_filter, Qt.Key.Key_Return)
    assert chart.encounters.hasFocus() or window.focusWidget() is chart.encounters
    qtbot.keyClick(chart.encounters, Qt.Key.Key_Return)
    assert window.right.currentWidget() is window.encounter_pane
    assert window.encounter_pane.encounter is not None
    assert window.encounter_pane.encounter.reason == "Numb sole"


def test_front_desk_visit_list_hides_the_reason(
    services: Services,
    front_desk: Principal,
    busy_chart: Patient,
    open_window: Callable[[Principal], MainWindow],
) -> None:
    window = open_window(front_desk)
    window.open_chart(busy_chart.id)
    chart = window.chart_view
    assert chart.encounters.isColumnHidden(1)
    assert set(shown_column(window, 1)) == {""}
    chart.visit_filter.setText("numb")
    assert chart.visit_proxy.rowCount() == 0  # hidden reasons are not searched either


def test_visit_models_pass_the_model_tester(
    qtmodeltester: ModelTester, services: Services, clinician: Principal, busy_chart: Patient
) -> None:
    source = VisitTableModel()
    source.set_visits(services.patients.open_chart(clinician, busy_chart.id).encounters)
    qtmodeltester.check(source)
    proxy = VisitFilterModel(source)
    proxy.sort(2)
    proxy.set_text("numb")
    qtmodeltester.check(proxy)


# --------------------------------------------------------------------------- print queue


def test_queue_tells_two_patients_of_one_name_apart(
    qtbot: QtBot, services: Services, clinician: Principal, front_desk: Principal
) -> None:
    first = register(services, clinician, "Garcia", "Maria", "1950-03-01")
    second = register(services, clinician, "Garcia", "Maria", "1982-11-30")
    for patient, language in ((first, "es"), (second, "en")):
        enc = services.encounters.create(
            clinician,
            {"patient_id": patient.id, "encounter_date": services.clock.today(), "reason": "x"},
        )
        services.print_queue.request(
            clinician, enc.id, HandoutChoice(handout_id="home-care", language=language)
        )
    pane = PrintQueuePane(services)
    qtbot.addWidget(pane)
    pane.open_for(front_desk)

    rows = [[pane.table.item(r, c).text() for c in range(4)] for r in range(pane.table.rowCount())]
    spanish = services.handouts.get("home-care", "es").title
    english = services.handouts.get("home-care", "en").title
    assert rows == [
        ["Garcia, Maria", "1950-03-01", first.mrn, f"{spanish}\n(English: {english})"],
        ["Garcia, Maria", "1982-11-30", second.mrn, english],
    ]


# --------------------------------------------------------------------------- front desk


def test_front_desk_cannot_edit_diabetes_anywhere(
    qtbot: QtBot,
    services: Services,
    clinician: Principal,
    front_desk: Principal,
    open_window: Callable[[Principal], MainWindow],
) -> None:
    patient = services.patients.register(
        clinician,
        {
            "family_name": "Okafor",
            "given_name": "Grace",
            "date_of_birth": "1958-05-06",
            "diabetes": "yes",
        },
    )
    window = open_window(front_desk)
    window.open_chart(patient.id)
    assert "Diabetes</b> yes" in window.chart_view.demographics.text()
    qtbot.keyClick(window.chart_view, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    editor = window.patient_editor
    assert window.right.currentWidget() is editor
    for name in CLINICAL_FACTS:
        widget = editor.fields[name].editor
        assert not widget.isEnabled() or (isinstance(widget, QLineEdit) and widget.isReadOnly())
    assert editor.clinical_note.isVisible()
    given = editor.fields["given_name"].editor
    assert isinstance(given, QLineEdit)
    given.setText("Grace Ann")
    qtbot.keyClick(given, Qt.Key.Key_Return)
    saved = services.patients.get(front_desk, patient.id)
    assert saved.given_name == "Grace Ann"
    assert saved.diabetes is TriState.YES


# --------------------------------------------------------------------------- accounts, session


def test_admin_resets_a_password_and_changes_roles_in_the_pane(
    qtbot: QtBot,
    services: Services,
    admin: Principal,
    clinician: Principal,
    open_window: Callable[[Principal], MainWindow],
) -> None:
    window = open_window(admin)
    window.show_accounts()
    pane = window.accounts_pane
    usernames = [pane.table.item(r, 0).text() for r in range(pane.table.rowCount())]
    pane.table.selectRow(usernames.index(clinician.username))

    first = pane.reset_fields["password"].editor
    second = pane.reset_fields["password2"].editor
    qtbot.keyClicks(first, "short")
    qtbot.keyClicks(second, "short")
    qtbot.keyClick(second, Qt.Key.Key_Return)
    assert "at least 12" in pane.reset_fields["password"].error.text()
    first.clear()
    second.clear()
    qtbot.keyClicks(first, "tibial-nerve-walks")
    qtbot.keyClicks(second, "tibial-nerve-walks")
    qtbot.keyClick(second, Qt.Key.Key_Return)
    assert "New password set" in pane.done_label.text()
    assert services.accounts.login(clinician.username, "tibial-nerve-walks").user_id == (
        clinician.user_id
    )

    pane.edit_role_boxes[Role.FRONT_DESK].setChecked(True)
    qtbot.mouseClick(pane.roles_button, Qt.MouseButton.LeftButton)
    assert "Clinician" in pane.table.item(pane.table.currentRow(), 2).text()
    assert "Front desk" in pane.table.item(pane.table.currentRow(), 2).text()
    entries = services.audit.recent(admin, 5)
    details = [e.detail for e in entries if e.action is AuditAction.ACCOUNT_CHANGE]
    assert "roles clinician -> clinician,front_desk" in details
    assert "password reset" in details


def test_a_disabled_accounts_next_action_ends_its_session(
    qtbot: QtBot,
    services: Services,
    admin: Principal,
    clinician: Principal,
    open_window: Callable[[Principal], MainWindow],
) -> None:
    window = open_window(clinician)
    window.search_box.setFocus()
    qtbot.keyClicks(window.search_box, "ok")
    assert window.search_box.text() == "ok"

    services.accounts.set_active(admin, clinician.user_id, False)
    qtbot.keyClick(window.search_box, Qt.Key.Key_A)
    qtbot.waitUntil(lambda: window.pages.currentWidget() is window.login_page, timeout=2000)
    assert window.search_box.text() == "ok"  # the key never reached the workspace
    assert window.principal is None
    assert "disabled" in window.login_page.message.text()


# --------------------------------------------------------------------------- search


def test_search_runs_off_the_ui_thread_and_drops_stale_answers(
    qtbot: QtBot,
    services: Services,
    clinician: Principal,
    open_window: Callable[[Principal], MainWindow],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    grace = register(services, clinician, "Okafor", "Grace", "1958-05-06")
    register(services, clinician, "Baker", "Bo", "1950-01-02")
    window = open_window(clinician)
    threads: list[object] = []
    real = services.patients.search

    def watched(actor: Principal, text: str, limit: int = 50) -> list[Patient]:
        threads.append(threading.current_thread())
        return real(actor, text, limit)

    monkeypatch.setattr(services.patients, "search", watched)
    qtbot.keyClicks(window.search_box, "okaf")
    qtbot.waitUntil(lambda: window.results_model.rowCount() == 1, timeout=3000)
    assert threads
    assert all(t is not threading.main_thread() for t in threads)
    assert "1 match" in window.results_hint.text()

    # An answer for older typing never replaces the newer one.
    window._search_done(window._search_seq - 1, [])
    assert window.results_model.rowCount() == 1
    qtbot.keyClick(window.search_box, Qt.Key.Key_Return)
    assert window.chart_view.chart is not None
    assert window.chart_view.chart.patient.id == grace.id
