"""The main window: first-run, login and lock pages, and the patient workspace."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from PySide6.QtCore import (
    QByteArray,
    QEvent,
    QObject,
    QRect,
    QRunnable,
    QSettings,
    QSize,
    Qt,
    QThreadPool,
    QTimer,
    Signal,
)
from PySide6.QtGui import QAction, QCloseEvent, QGuiApplication, QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QFrame,
    QLabel,
    QLineEdit,
    QMainWindow,
    QPushButton,
    QScrollArea,
    QSplitter,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from clinic_app.domain.account import Permission, Principal, Role
from clinic_app.domain.audit import AuditAction, ChainReport
from clinic_app.domain.errors import ClinicError, PermissionDenied
from clinic_app.domain.patient import Patient
from clinic_app.reports.warm_up import start_warm_up
from clinic_app.services.accounts import SESSION_DISABLED, SessionEnded
from clinic_app.services.audit_trail import RecordsReport
from clinic_app.services.container import Services
from clinic_app.services.export import ExportFormat
from clinic_app.services.patient_import import ImportReport
from clinic_app.ui.dialogs import Dialogs
from clinic_app.ui.forms.controls import install_wheel_guard
from clinic_app.ui.models.patient_table_model import PatientTableModel
from clinic_app.ui.presenters.patient_banner import window_title
from clinic_app.ui.views.accounts_pane import AccountsPane
from clinic_app.ui.views.backup_actions import BackupActions
from clinic_app.ui.views.chart_view import ChartView
from clinic_app.ui.views.encounter_view import EncounterPane
from clinic_app.ui.views.form_widgets import error_look
from clinic_app.ui.views.long_job import LongJob, Progress
from clinic_app.ui.views.patient_editor import PatientEditor
from clinic_app.ui.views.practice_dialog import PracticeDialog
from clinic_app.ui.views.print_queue_pane import PrintQueuePane
from clinic_app.ui.views.printouts import rehearse_visit_note
from clinic_app.ui.views.session_pages import DatabaseSetup, LoginPage, SetupPage
from clinic_app.ui.views.start_view import StartView
from clinic_app.ui.window_size import fitting_size

SEARCH_DEBOUNCE_MS = 120
ACTIVITY_EVENTS = {
    QEvent.Type.KeyPress,
    QEvent.Type.MouseButtonPress,
    QEvent.Type.MouseMove,
    QEvent.Type.Wheel,
}
# A key press or click is an action: the account is checked before it reaches a widget.
ACTION_EVENTS = {QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress}
SESSION_CHECK_SECONDS = 1.0
WARM_UP_AFTER_MS = 1500
PREPARE_ENCOUNTER_AFTER_MS = 400
"""After log-in, once the first page is up, the print machinery is loaded in the background."""
"""At most one account check per this many seconds (a key held down repeats fast)."""
EXPORT_CHOICES = (
    ("PDF visit note", ExportFormat.PDF, "PDF files (*.pdf);;All files (*)"),
    ("FHIR R4 Bundle (JSON)", ExportFormat.FHIR, "FHIR JSON (*.json);;All files (*)"),
)
OUTCOME_WORDS = {"add": "to add", "duplicate": "likely duplicate, not added", "refused": "refused"}


def import_report_text(report: ImportReport) -> str:
    """The dry run as a person reads it: totals, then every row and what happens to it."""
    lines = [
        f"{report.file.name}: {len(report.rows)} rows: {report.count('add')} to add, "
        f"{report.count('duplicate')} likely duplicates, {report.count('refused')} refused.",
        *report.notes,
        "",
    ]
    for row in report.rows:
        why = f" ({row.reason})" if row.reason else ""
        lines.append(
            f"Row {row.row}: {row.name}: {OUTCOME_WORDS.get(row.outcome, row.outcome)}{why}"
        )
    return "\n".join(lines)


class ActivityWatcher(QObject):
    """Application-wide event filter that restarts the idle timer on any input.

    Signals:
        sig_activity: the user pressed a key, clicked, moved the mouse or scrolled.
    """

    sig_activity = Signal()
    """Emitted on user input anywhere in the app."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.gate: Callable[[], bool] | None = None
        """Asked before a key press or click goes on; False swallows it (session ended)."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Watch; consume an action only when the gate says the session has ended."""
        kind = event.type()
        if kind in ACTIVITY_EVENTS:
            self.sig_activity.emit()
        if kind in ACTION_EVENTS and self.gate is not None:
            return not self.gate()
        return False


class _SearchBridge(QObject):
    """Lives on the UI thread; a search job's result arrives here queued."""

    sig_found = Signal(int, object)
    """(search number, list of patients)."""
    sig_failed = Signal(int, str)
    """(search number, one-line message)."""


class _SearchJob(QRunnable):
    """One patient search on the pool; its answer goes to the bridge with its number."""

    def __init__(self, fn: Callable[[], object], bridge: _SearchBridge, seq: int) -> None:
        super().__init__()
        self._fn = fn
        self._bridge = bridge
        self._seq = seq

    def run(self) -> None:
        """Called on a pool thread."""
        try:
            found = self._fn()
        except ClinicError as exc:
            self._bridge.sig_failed.emit(self._seq, str(exc))
        except Exception as exc:  # a bug: still reported, never a silent dead thread
            self._bridge.sig_failed.emit(self._seq, f"The search failed: {exc!r}")
        else:
            self._bridge.sig_found.emit(self._seq, found)


class CurrentPageStack(QStackedWidget):
    """A stack that asks only for the room its current page needs.

    A plain QStackedWidget asks for the largest minimum of all its pages, so the exam form's
    width would push the chart or the print queue off a small screen with large fonts.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.currentChanged.connect(lambda _i: self.updateGeometry())

    def minimumSizeHint(self) -> QSize:
        """The current page's minimum."""
        page = self.currentWidget()
        return page.minimumSizeHint() if page is not None else super().minimumSizeHint()

    def sizeHint(self) -> QSize:
        """The current page's preferred size."""
        page = self.currentWidget()
        return page.sizeHint() if page is not None else super().sizeHint()


class MainWindow(QMainWindow):
    """Pages: setup (empty database) -> login -> workspace; the lock page covers the workspace.

    Signals:
        sig_ready: the first page is on screen and usable.
    """

    sig_ready = Signal()
    """Emitted once the window shows its first usable page."""

    def __init__(
        self,
        services: Services,
        idle_lock_minutes: int,
        dialogs: Dialogs | None = None,
        setup: DatabaseSetup | None = None,
        window_state: QSettings | None = None,
    ) -> None:
        super().__init__()
        self.setObjectName("main_window")
        self.setWindowTitle("clinic_app")
        self.services = services
        self.dialogs = dialogs or Dialogs()
        self.principal: Principal | None = None
        self._idle_lock_minutes = idle_lock_minutes
        self._setup = setup
        self.successor: MainWindow | None = None
        self.practice_dialog: PracticeDialog | None = None
        self._window_state = window_state

        self.pages = QStackedWidget()
        # With large fonts a page can ask for more room than the screen has: the window still
        # opens inside the screen and the page scrolls instead of running off its edge.
        self.page_scroll = QScrollArea()
        self.page_scroll.setObjectName("page_scroll")
        self.page_scroll.setWidgetResizable(True)
        self.page_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.page_scroll.setWidget(self.pages)
        self.setCentralWidget(self.page_scroll)
        self.setup_page = SetupPage(services, self.dialogs, setup)
        self.login_page = LoginPage(services)
        self.workspace = self._build_workspace()
        for page in (self.setup_page, self.login_page, self.workspace):
            self.pages.addWidget(page)
        self.pages.currentChanged.connect(self.update_title)
        self.setup_page.sig_admin_created.connect(self._logged_in)
        self.setup_page.sig_database_chosen.connect(self._move_to_database)
        self.login_page.sig_logged_in.connect(self._logged_in)
        self.login_page.sig_switch_user.connect(self.log_out)
        self.backup_actions = BackupActions(self, services, self.dialogs)
        self._build_menus()

        self.idle_timer = QTimer(self)
        self.idle_timer.setSingleShot(True)
        self.idle_timer.setInterval(idle_lock_minutes * 60_000)
        self.idle_timer.timeout.connect(self.lock)
        self.activity = ActivityWatcher(self)
        self.activity.sig_activity.connect(self._user_active)
        self.activity.gate = self._session_still_valid
        self._session_checked_at = 0.0
        self.session_check_seconds = SESSION_CHECK_SECONDS
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self.activity)
        # No combo, spin box or date edit anywhere changes as a page or dialog scrolls.
        install_wheel_guard()

        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DEBOUNCE_MS)
        self._search_timer.timeout.connect(self.run_search)
        self._search_seq = 0
        self._search_pool = QThreadPool(self)
        self.long_job: LongJob | None = None
        """The running audit check or import (one at a time), if any."""
        self._search_pool.setMaxThreadCount(1)
        self._search_bridge = _SearchBridge(self)
        self._search_bridge.sig_found.connect(self._search_done)
        self._search_bridge.sig_failed.connect(self._search_failed)
        self._placed = False
        self._place_on_screen()
        self.show_start_page()

    # ----- building -------------------------------------------------------------------------
    def _build_workspace(self) -> QWidget:
        split = QSplitter()
        split.setObjectName("workspace")
        left = QWidget()
        left_layout = QVBoxLayout(left)
        label = QLabel("&Find patient (name, MRN or date of birth):")
        self.search_box = QLineEdit()
        self.search_box.setObjectName("patient_search")
        self.search_box.setAccessibleName("Find patient")
        self.search_box.setPlaceholderText("e.g. smi jo, 1968-04-30, or an MRN")
        self.search_box.setClearButtonEnabled(True)
        label.setBuddy(self.search_box)
        self.search_box.textChanged.connect(lambda _t: self._search_timer.start())
        self.search_box.returnPressed.connect(self._open_first_result)
        self.results_model = PatientTableModel(self.services.clock.today())
        self.results = QTableView()
        self.results.setObjectName("patient_results")
        self.results.setAccessibleName("Matching patients")
        self.results.setModel(self.results_model)
        self.results.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.results.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.results.horizontalHeader().setStretchLastSection(True)
        self.results.verticalHeader().hide()
        self.results.activated.connect(lambda index: self._open_result_row(index.row()))
        self.results_hint = QLabel()
        self.results_hint.setObjectName("patient_results_hint")
        left_layout.addWidget(label)
        left_layout.addWidget(self.search_box)
        left_layout.addWidget(self.results, 1)
        left_layout.addWidget(self.results_hint)

        self.right = CurrentPageStack()
        self.start_view = StartView()
        self.welcome = self.start_view
        self.resume_button = self.start_view.resume_button
        self.drafts_hint = self.start_view.drafts_hint
        self.start_view.sig_open_patient.connect(self.open_chart)
        self.start_view.sig_open_draft.connect(self._open_draft)
        self.patient_editor = PatientEditor(self.services, self.dialogs)
        self.chart_view = ChartView(self.services)
        self.encounter_pane = EncounterPane(
            self.services, self.dialogs, window_state=self._window_state
        )
        self.accounts_pane = AccountsPane(self.services)
        self.print_queue_pane = PrintQueuePane(self.services)
        for w in (
            self.welcome,
            self.patient_editor,
            self.chart_view,
            self.encounter_pane,
            self.accounts_pane,
            self.print_queue_pane,
        ):
            self.right.addWidget(w)
        self.patient_editor.sig_patient_saved.connect(self._patient_saved)
        self.patient_editor.sig_cancelled.connect(self._editor_cancelled)
        self.chart_view.sig_open_encounter.connect(self.open_encounter)
        self.chart_view.sig_edit_patient.connect(self.edit_patient)
        self.encounter_pane.sig_encounter_changed.connect(self._encounter_changed)
        self.encounter_pane.sig_export_requested.connect(self.export_encounter)
        # The title names the patient whose chart or encounter is open (never while locked).
        self.encounter_pane.patient_banner.sig_state_changed.connect(self.update_title)
        self.right.currentChanged.connect(self.update_title)
        split.addWidget(left)
        split.addWidget(self.right)
        # The exam form needs the width: the patient list steps aside while an encounter is
        # open and comes back with Ctrl+F or any other page.
        self.patient_panel = left
        self.right.currentChanged.connect(
            lambda _i: left.setVisible(self.right.currentWidget() is not self.encounter_pane)
        )
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 3)
        self.setTabOrder(self.search_box, self.results)
        return split

    def _action(
        self, menu_name: str, text: str, shortcut: str | QKeySequence, slot: object
    ) -> QAction:
        action = QAction(text, self)
        action.setShortcut(QKeySequence(shortcut))
        action.setShortcutVisibleInContextMenu(True)
        action.setObjectName("action_" + text.replace("&", "").replace(" ", "_").lower())
        action.triggered.connect(slot)
        self._menus[menu_name].addAction(action)
        self.session_actions.append(action)
        return action

    def _build_menus(self) -> None:
        bar = self.menuBar()
        self._menus = {
            name: bar.addMenu(name) for name in ("&File", "&Patient", "&Encounter", "&Admin")
        }
        self.session_actions: list[QAction] = []
        self._action("&File", "&Lock now", "Ctrl+L", self.lock)
        self._action("&File", "Log &out", "Ctrl+Shift+Q", self.log_out)
        quit_action = QAction("&Quit", self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        self._menus["&File"].addAction(quit_action)
        self._action("&Patient", "&Find patient", "Ctrl+F", self.focus_search)
        self._action("&Patient", "&New patient", "Ctrl+N", self.new_patient)
        self._action("&Patient", "&Edit patient details", "Ctrl+E", self._edit_current)
        self._action("&Patient", "Open &chart", "Ctrl+Shift+C", self._back_to_chart)
        self._menus["&Patient"].addSeparator()
        self.print_queue_action = self._action(
            "&Patient", "&Handouts to print", "Ctrl+Shift+P", self.show_print_queue
        )
        self.new_encounter_action = self._action(
            "&Encounter", "&New encounter", "Ctrl+Shift+N", self._new_encounter
        )
        self._action("&Encounter", "&Save draft", "Ctrl+S", self.encounter_pane.save_now)
        self._action("&Encounter", "S&ign encounter", "Ctrl+Shift+S", self.encounter_pane.sign)
        self._action("&Encounter", "Sign &addendum", "Ctrl+Shift+A", self._focus_addendum)
        pane = self.encounter_pane
        self._menus["&Encounter"].addSeparator()
        self._action(
            "&Encounter", "Copy &forward from last visit", "Ctrl+Shift+F", pane.copy_forward
        )
        self._action("&Encounter", "Fill section as &normal", "Alt+N", pane.fill_normal)
        self._action(
            "&Encounter", "Fill every untested item as norma&l", "Alt+Shift+N", pane.fill_all_normal
        )
        self._action("&Encounter", "&Quick entry of findings", "Ctrl+K", pane.open_quick_entry)
        undo = self._action("&Encounter", "&Undo last change", "Ctrl+Z", pane.undo_fill)
        undo.setShortcuts([QKeySequence("Ctrl+Z"), QKeySequence("Alt+U")])
        redo = self._action("&Encounter", "&Redo", "Ctrl+Shift+Z", pane.redo_change)
        redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        self._action(
            "&Encounter", "&Confirm copied findings in section", "Alt+C", pane.confirm_copied
        )
        # (lambdas: triggered() passes a "checked" flag that must not become the step)
        self._action("&Encounter", "Ne&xt section", "Ctrl+PgDown", lambda: pane.next_section(1))
        self._action("&Encounter", "&Previous section", "Ctrl+PgUp", lambda: pane.next_section(-1))
        self.accounts_action = self._action(
            "&Admin", "&Accounts", "Ctrl+Shift+U", self.show_accounts
        )
        self.verify_action = self._action(
            "&Admin", "&Verify audit trail", "Ctrl+Shift+V", self.verify_audit
        )
        self._menus["&Admin"].addSeparator()
        self.backup_action = self._action(
            "&Admin", "&Back up now...", "Ctrl+Shift+B", self.backup_actions.back_up_now
        )
        self.restore_action = self._action(
            "&Admin", "&Restore a backup...", "", self.restore_backup
        )
        self.practice_action = self._action(
            "&Admin", "&Practice details...", "Ctrl+Shift+D", self.show_practice_details
        )
        self.import_action = self._action("&Admin", "&Import patients...", "", self.import_patients)
        self._menus["&Admin"].addSeparator()
        # Not a command: the admin's reminder of where the backups stand (also in the status bar).
        self.last_backup_action = QAction("Last backup: not checked yet", self)
        self.last_backup_action.setObjectName("action_last_backup")
        self.last_backup_action.setEnabled(False)
        self._menus["&Admin"].addAction(self.last_backup_action)
        self.export_action = self._action(
            "&Encounter", "E&xport signed encounter...", "Ctrl+Shift+E", self.export_encounter
        )
        for action in self.session_actions:
            tip = action.text().replace("&", "")
            action.setToolTip(f"{tip} ({action.shortcut().toString()})")
        self._build_status_bar()

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.export_problem = QLabel()
        self.export_problem.setObjectName("export_problem")
        error_look(self.export_problem)
        self.export_problem.setWordWrap(False)
        self.export_retry = QPushButton("Retry e&xport")
        self.export_retry.setObjectName("export_retry")
        self.export_retry.clicked.connect(self.retry_exports)
        self.export_problem.hide()
        self.export_retry.hide()
        bar.addWidget(self.export_problem, 1)
        bar.addWidget(self.export_retry)
        self.backup_status = QLabel()
        self.backup_status.setObjectName("backup_status")
        bar.addPermanentWidget(self.backup_status)
        self.backup_actions.sig_status_changed.connect(self._backup_status_changed)

    def _backup_status_changed(self, text: str) -> None:
        self.last_backup_action.setText(text)
        self.backup_status.setText(text)

    # ----- session --------------------------------------------------------------------------
    def show_start_page(self) -> None:
        """Setup on an empty database, otherwise login."""
        self.principal = None
        self._set_session_actions(False)
        if self.services.accounts.needs_first_admin():
            self.pages.setCurrentWidget(self.setup_page)
            self.setup_page.focus_first()
        else:
            self.login_page.prepare(None)
            self.pages.setCurrentWidget(self.login_page)

    def _move_to_database(self, services: Services, principal: Principal | None) -> None:
        """The first run put the records on a server: carry on in a window over it.

        Every page holds the services it was built with, so a fresh window over the new
        database replaces this one (kept as ``successor`` so it lives as long as this one).
        """
        window = MainWindow(services, self._idle_lock_minutes, self.dialogs, self._setup)
        window.setGeometry(self.geometry())
        self.successor = window
        window.show()
        if self.backup_actions.schedule_timer.isActive():
            # The scheduled backups follow the records to their new database.
            window.backup_actions.start_schedule()
        if principal is not None:
            window._logged_in(principal)
        self.close()

    def _set_session_actions(self, enabled: bool) -> None:
        for action in self.session_actions:
            action.setEnabled(enabled)
        if enabled and self.principal is not None:
            self.accounts_action.setEnabled(self.principal.can(Permission.ACCOUNTS_MANAGE))
            self.verify_action.setEnabled(self.principal.can(Permission.AUDIT_READ))
            self.practice_action.setEnabled(self.principal.can(Permission.PRACTICE_MANAGE))
            self.new_encounter_action.setEnabled(self.principal.can(Permission.CLINICAL_WRITE))
            self.print_queue_action.setEnabled(self.principal.can(Permission.HANDOUT_PRINT))
            is_admin = Role.ADMIN in self.principal.roles
            self.backup_action.setEnabled(is_admin)
            self.restore_action.setEnabled(is_admin)
            self.import_action.setEnabled(self.principal.can(Permission.PATIENT_WRITE))
            self.export_action.setEnabled(self.principal.can(Permission.CLINICAL_READ))
        self.backup_status.setVisible(
            enabled and self.principal is not None and Role.ADMIN in self.principal.roles
        )

    def _logged_in(self, principal: Principal) -> None:
        resumed = self.principal is not None and self.principal.user_id == principal.user_id
        self.principal = principal
        self.backup_actions.set_user(principal)
        self.update_title()
        self._set_session_actions(True)
        self.pages.setCurrentWidget(self.workspace)
        if not resumed:
            self.right.setCurrentWidget(self.welcome)
            self.search_box.clear()
            self.results_model.set_patients([])
        self.idle_timer.start()
        if self.right.currentWidget() is self.welcome:
            self.search_box.setFocus()
            if not resumed:
                self._offer_drafts()
        if Role.ADMIN in principal.roles:
            self.backup_actions.refresh_status()
            recovery = self.services.accounts.take_recovery_key()
            if recovery is not None:
                self.dialogs.show_recovery_key(self, recovery)
        self._show_export_problem(None)
        # The first print of the session then costs what the next one does.
        QTimer.singleShot(
            WARM_UP_AFTER_MS, lambda: start_warm_up(partial(rehearse_visit_note, self.services))
        )
        # The exam form is built once, while the user looks for the patient.
        QTimer.singleShot(PREPARE_ENCOUNTER_AFTER_MS, self.encounter_pane.prepare)

    def update_title(self, *_changed: object) -> None:
        """The window title: the open patient (banner on the encounter), then the user."""
        if self.principal is None or self.pages.currentWidget() is not self.workspace:
            self.setWindowTitle("clinic_app")
            return
        user = self.principal.display_name
        current = self.right.currentWidget()
        if current is self.encounter_pane:
            title = window_title(self.encounter_pane.patient_banner.state, user)
        elif current is self.chart_view and self.chart_view.chart is not None:
            patient = self.chart_view.chart.patient
            title = f"{patient.display_name} (MRN {patient.mrn}) - clinic_app - {user}"
        else:
            title = window_title(None, user)
        self.setWindowTitle(title)

    def _offer_drafts(self) -> None:
        """Fill the start page; the clinician's newest unsigned draft takes the cursor."""
        if self.principal is None:
            return
        self.refresh_start_page()
        if not self.principal.can(Permission.CLINICAL_WRITE):
            self._offer_print_queue()
            return
        if self._has_drafts:
            self.start_view.focus_first()

    @property
    def _has_drafts(self) -> bool:
        return not self.resume_button.isHidden()

    def refresh_start_page(self) -> None:
        """Read today's and recent patients and the user's drafts again into the start page."""
        principal = self.principal
        if principal is None:
            return
        try:
            lists = self.services.patients.start_lists(principal)
        except ClinicError as exc:
            self.start_view.drafts_hint.setText(f"The start page lists cannot be read: {exc}")
            return
        drafts = None
        if principal.can(Permission.CLINICAL_WRITE):
            with contextlib.suppress(ClinicError):
                drafts = self.services.encounters.drafts(principal)
        self.start_view.show_lists(lists.today, lists.recent, drafts, self.services.clock.today())

    def show_start(self) -> None:
        """The start page, freshly read, with the cursor in the search box."""
        self.right.setCurrentWidget(self.welcome)
        self.refresh_start_page()
        self.search_box.setFocus()

    def _open_draft(self, patient_id: int, encounter_id: int) -> None:
        self.open_chart(patient_id)
        if self.right.currentWidget() is self.chart_view:
            self.open_encounter(encounter_id)

    def _user_active(self) -> None:
        if self.principal is not None and self.pages.currentWidget() is self.workspace:
            self.idle_timer.start()

    def _session_still_valid(self) -> bool:
        """Before a key press or click acts: is the account still enabled with its roles?

        An admin who disables an account or changes its roles ends that person's session
        here, at their next action; the action itself is not carried out.
        """
        principal = self.principal
        if principal is None or self.pages.currentWidget() is not self.workspace:
            return True
        now = time.monotonic()
        if now - self._session_checked_at < self.session_check_seconds:
            return True
        self._session_checked_at = now
        try:
            self.services.accounts.check_session(principal)
        except SessionEnded as exc:
            why = str(exc)
            # The event filter runs inside event delivery: end the session right after it.
            QTimer.singleShot(0, lambda: self.end_session(why))
            return False
        except ClinicError:
            return True  # the database is briefly out of reach: the action reports that itself
        return True

    def end_session(self, why: str) -> None:
        """The account was disabled or its roles changed: back to the login page, saying why."""
        if self.principal is None:
            return
        if why != SESSION_DISABLED:
            # Other roles: the typed draft is kept. A disabled account writes nothing more
            # (autosave has kept all but the last second of typing).
            self.encounter_pane.save_now()
        self._leave_session()
        self.login_page.message.setText(why)
        self.login_page.message.show()

    def lock(self) -> None:
        """Cover the workspace; typed drafts are saved first and kept on screen underneath."""
        if self.principal is None or self.pages.currentWidget() is not self.workspace:
            return
        self.encounter_pane.save_now()
        self.idle_timer.stop()
        self._set_session_actions(False)
        self.backup_actions.set_user(None)
        self._audit_session(AuditAction.LOCK)
        self.login_page.prepare(self.principal)
        self.pages.setCurrentWidget(self.login_page)

    def log_out(self) -> None:
        """End the session (after saving any draft)."""
        if self.principal is None:
            return
        self.encounter_pane.save_now()
        self._leave_session()

    def _leave_session(self) -> None:
        """Log out (audited) and go back to the log-in page; the encounter is let go."""
        self._audit_session(AuditAction.LOGOUT)
        self.backup_actions.set_user(None)
        self.idle_timer.stop()
        self.encounter_pane.encounter = None
        self.show_start_page()

    def _audit_session(self, action: AuditAction) -> None:
        if self.principal is None:
            return
        # Locking must work even when the database is briefly unavailable.
        with contextlib.suppress(ClinicError):
            self.services.accounts.record_session_event(self.principal, action)

    # ----- patients ---------------------------------------------------------------------------
    def focus_search(self) -> None:
        """Ctrl+F: put the cursor in the search box."""
        self.patient_panel.show()
        self.search_box.setFocus()
        self.search_box.selectAll()

    def run_search(self) -> None:
        """Search for what is typed, off the UI thread (called after a short pause in typing).

        On PostgreSQL a search is a network round trip: typing never waits for it. A result
        that arrives after newer typing is dropped.
        """
        if self.principal is None:
            return
        self._search_seq += 1
        seq, principal, text = self._search_seq, self.principal, self.search_box.text()
        search = self.services.patients.search
        self._search_pool.start(
            _SearchJob(lambda: search(principal, text), self._search_bridge, seq)
        )

    def search_now(self) -> None:
        """Search at once on this thread (Enter in the search box opens the first match)."""
        if self.principal is None:
            return
        self._search_seq += 1
        try:
            found = self.services.patients.search(self.principal, self.search_box.text())
        except ClinicError as exc:
            self._search_failed(self._search_seq, str(exc))
            return
        self._search_done(self._search_seq, found)

    def _search_failed(self, seq: int, message: str) -> None:
        if seq == self._search_seq:
            self.results_hint.setText(message)

    def _search_done(self, seq: int, found: object) -> None:
        if seq != self._search_seq or self.principal is None or not isinstance(found, list):
            return
        text = self.search_box.text()
        self.results_model.set_patients(found)
        if found:
            self.results.selectRow(0)
        if not text.strip():
            self.results_hint.setText("")
        elif not found:
            self.results_hint.setText("No patient matches. Ctrl+N registers a new one.")
        else:
            self.results_hint.setText(
                f"{len(found)} match{'es' if len(found) != 1 else ''}"
                + (" (first 50; type more to narrow)" if len(found) >= 50 else "")
                + ". Enter opens the chart."
            )

    def _open_first_result(self) -> None:
        self._search_timer.stop()
        self.search_now()
        row = max(self.results.currentIndex().row(), 0)
        self._open_result_row(row)

    def _open_result_row(self, row: int) -> None:
        patient = self.results_model.patient_at(row)
        if patient is not None:
            self.open_chart(patient.id)

    def new_patient(self) -> None:
        """Ctrl+N: the blank patient form."""
        if self.principal is None:
            return
        if not self._leave_encounter():
            return
        self.patient_editor.start(self.principal, None)
        self.right.setCurrentWidget(self.patient_editor)
        self.patient_editor.fields["family_name"].editor.setFocus()

    def edit_patient(self, patient: Patient) -> None:
        """The patient form filled for editing."""
        if self.principal is None:
            return
        self.patient_editor.start(self.principal, patient)
        self.right.setCurrentWidget(self.patient_editor)

    def _edit_current(self) -> None:
        if self.chart_view.chart is not None:
            self.edit_patient(self.chart_view.chart.patient)

    def _patient_saved(self, patient: Patient) -> None:
        self.open_chart(patient.id)

    def _editor_cancelled(self) -> None:
        if self.chart_view.chart is not None:
            self.right.setCurrentWidget(self.chart_view)
        else:
            self.show_start()

    def open_chart(self, patient_id: int) -> None:
        """Show a patient's chart (audited)."""
        if self.principal is None or not self._leave_encounter():
            return
        try:
            chart = self.services.patients.open_chart(self.principal, patient_id)
        except ClinicError as exc:
            self.dialogs.error(self, "Cannot open the chart", str(exc))
            return
        self.chart_view.show_chart(self.principal, chart)
        self.right.setCurrentWidget(self.chart_view)
        self.update_title()
        self.chart_view.encounters.setFocus()

    def _back_to_chart(self) -> None:
        if self.chart_view.chart is not None:
            self.open_chart(self.chart_view.chart.patient.id)

    # ----- encounters -------------------------------------------------------------------------
    def _new_encounter(self) -> None:
        if self.chart_view.chart is None:
            self.dialogs.info(self, "New encounter", "Open a patient's chart first (Ctrl+F).")
            return
        if self.right.currentWidget() is not self.chart_view:
            self._back_to_chart()
        self.chart_view.focus_new_encounter()

    def open_encounter(self, encounter_id: int) -> None:
        """Read an encounter (hash-checked, audited) into the encounter pane."""
        if self.principal is None or not self._leave_encounter():
            return
        try:
            record = self.services.encounters.get(self.principal, encounter_id)
        except PermissionDenied as exc:
            self.dialogs.info(self, "Not available to this account", str(exc))
            return
        except ClinicError as exc:
            self.dialogs.error(self, "Cannot open the encounter", str(exc))
            return
        self.encounter_pane.load(self.principal, record)
        self.right.setCurrentWidget(self.encounter_pane)
        self.encounter_pane.focus_first_field()

    def _focus_addendum(self) -> None:
        pane = self.encounter_pane
        if self.right.currentWidget() is pane and pane.encounter and pane.encounter.is_signed:
            if pane.addendum.editor.toPlainText().strip():
                pane.add_addendum()
            else:
                pane.addendum.editor.setFocus()

    def _leave_encounter(self) -> bool:
        """Save the open draft before showing something else; False keeps the user there."""
        if self.right.currentWidget() is not self.encounter_pane:
            return True
        if self.encounter_pane.save_now():
            return True
        return self.dialogs.confirm(
            self,
            "Draft not saved",
            "The draft could not be saved (see the message on screen). Leave it anyway? "
            "Your text will be lost.",
            yes="Leave without saving",
        )

    # ----- handouts -----------------------------------------------------------------------------
    def _offer_print_queue(self) -> None:
        """The front desk starts on the print queue when handouts are waiting."""
        if self.principal is None or not self.principal.can(Permission.HANDOUT_PRINT):
            return
        try:
            waiting = len(self.services.print_queue.queue(self.principal))
        except ClinicError:
            return
        if waiting:
            self.show_print_queue()

    def show_print_queue(self) -> None:
        """The handouts clinicians picked, for the front desk to print."""
        if self.principal is None or not self._leave_encounter():
            return
        self.right.setCurrentWidget(self.print_queue_pane)
        self.print_queue_pane.open_for(self.principal)

    # ----- admin --------------------------------------------------------------------------------
    def restore_backup(self) -> None:
        """Save and close the open draft, then restore: nothing typed goes into the wrong file."""
        if self.principal is None or not self._leave_encounter():
            return
        self.right.setCurrentWidget(self.welcome)
        self.backup_actions.restore()

    def show_accounts(self) -> None:
        """The admin's accounts page."""
        if self.principal is None or not self._leave_encounter():
            return
        self.accounts_pane.show_for(self.principal)
        self.right.setCurrentWidget(self.accounts_pane)

    def show_practice_details(self) -> None:
        """The admin's editor for the letterhead and the release recovery timeline."""
        if self.principal is None:
            return
        self.practice_dialog = PracticeDialog(self.services, self.principal, self.dialogs, self)
        self.practice_dialog.open()

    def import_patients(self) -> None:
        """Pick a patient list, show the dry run row by row, import the good rows on OK.

        Both passes run off the UI thread behind a progress window with Cancel.
        """
        principal = self.principal
        if principal is None:
            return
        path = self.dialogs.open_file(
            self,
            "Import patients",
            Path.home(),
            "Patient lists (*.csv *.json *.ndjson);;All files (*)",
        )
        if path is None:
            return
        if self.long_job is not None and self.long_job.running:
            self.dialogs.info(self, "Import patients", "Another long job is still running.")
            return
        service = self.services.patient_import
        stages = {"rows": "Rows checked", "writing": "Writing the patients"}

        def failed(message: str) -> None:
            self.dialogs.error(self, "The patients were not imported", message)

        def imported(done: ImportReport) -> None:
            self.dialogs.info(
                self, "Patients imported", f"{done.written} patients imported from {path.name}."
            )
            self.refresh_start_page()

        def checked(report: ImportReport) -> None:
            adds = report.count("add")
            if not adds:
                self.dialogs.info(self, "Nothing to import", import_report_text(report))
                return
            if not self.dialogs.review(
                self,
                "Import patients: dry run",
                import_report_text(report),
                yes=f"Import {adds} patient{'s' if adds != 1 else ''}",
            ):
                return
            self.long_job = LongJob(
                self,
                "Importing patients",
                lambda progress: service.run(principal, path, apply=True, progress=progress),
                imported,
                failed,
                stages=stages,
            ).start()

        self.long_job = LongJob(
            self,
            "Checking the patient list",
            lambda progress: service.run(principal, path, progress=progress),
            checked,
            failed,
            stages=stages,
        ).start()

    # ----- export ------------------------------------------------------------------------------
    def export_encounter(self) -> None:
        """Write the open signed encounter as a PDF visit note or a FHIR R4 Bundle."""
        principal = self.principal
        enc = self.encounter_pane.encounter
        exports = self.services.exports
        if principal is None or self.right.currentWidget() is not self.encounter_pane:
            self.dialogs.info(self, "Export", "Open a signed encounter first.")
            return
        if enc is None or not enc.is_signed:
            self.dialogs.info(self, "Export", "Only a signed encounter is exported; sign it first.")
            return
        if exports is None:
            self.dialogs.error(self, "Export", "Export is not available in this installation.")
            return
        choice = self.dialogs.choose(
            self,
            "Export signed encounter",
            "Export this signed encounter as:",
            [text for text, _fmt, _filter in EXPORT_CHOICES],
        )
        if choice is None:
            return
        _text, fmt, name_filter = EXPORT_CHOICES[choice]
        chart = self.chart_view.chart
        mrn = chart.patient.mrn if chart is not None else "patient"
        stem = f"{mrn}_{enc.encounter_date.isoformat()}_enc{enc.id:06d}"
        folder = exports.folder or Path.home()
        out = self.dialogs.save_file(
            self, "Export signed encounter", folder / f"{stem}{fmt.suffix}", name_filter
        )
        if out is None:
            return
        try:
            written = exports.export(principal, enc.id, fmt, out)
        except ClinicError as exc:
            self.dialogs.error(self, "The encounter was not exported", str(exc))
            return
        self.statusBar().showMessage(f"Exported to {written}", 10_000)

    def _encounter_changed(self, _encounter: object) -> None:
        self._show_export_problem(None)

    def _show_export_problem(self, problem: str | None) -> None:
        """Say so in the status bar while signed encounters wait for the export folder."""
        exports = self.services.exports
        waiting = exports.pending if exports is not None else ()
        if not waiting:
            self.export_problem.hide()
            self.export_retry.hide()
            return
        folder = exports.folder if exports is not None else None
        self.export_problem.setText(
            problem
            or f"{len(waiting)} signed encounter(s) could not be written to the export folder "
            f"{folder}."
        )
        self.export_problem.setToolTip(self.export_problem.text())
        self.export_problem.show()
        self.export_retry.show()

    def retry_exports(self) -> None:
        """Write the waiting encounters to the export folder again."""
        exports = self.services.exports
        if exports is None or self.principal is None:
            return
        result = exports.retry(self.principal)
        self._show_export_problem(result.problem)
        if not exports.pending:
            self.statusBar().showMessage(
                f"Export folder up to date: {len(result.written)} file(s) written.", 10_000
            )

    # ----- window placement --------------------------------------------------------------------
    def _place_on_screen(self) -> None:
        """The size and place of last time (if it still fits a screen), else a size that fits."""
        state = self._window_state
        screen = QGuiApplication.primaryScreen()
        available = screen.availableGeometry() if screen is not None else None
        restored = False
        if state is not None:
            saved = state.value("main_window/geometry")
            if isinstance(saved, QByteArray) and not saved.isEmpty():
                restored = self.restoreGeometry(saved)
        self.placement_restored = restored
        if not restored:
            # Room for the title bar and borders the window manager adds around it.
            self.resize(fitting_size())
        if available is not None:
            self._fit_into(available)
        self._placed_size = self.size()
        if state is not None and str(state.value("main_window/maximized", "false")) == "true":
            self.setWindowState(self.windowState() | Qt.WindowState.WindowMaximized)

    def _fit_into(self, available: QRect) -> None:
        """Shrink and move the window so its frame lies inside the available screen area."""
        frame_extra = self.frameGeometry().size() - self.geometry().size()
        width = min(self.width(), available.width() - max(frame_extra.width(), 0))
        height = min(self.height(), available.height() - max(frame_extra.height(), 0))
        self.resize(max(width, 200), max(height, 200))
        x = min(max(self.x(), available.left()), available.right() - self.width() + 1)
        y = min(max(self.y(), available.top()), available.bottom() - self.height() + 1)
        self.move(max(x, available.left()), max(y, available.top()))

    def showEvent(self, event: QShowEvent) -> None:
        """Once the frame is known, pull the window inside the screen it opened on."""
        super().showEvent(event)
        # A size set after construction (by a caller or a test) is taken as it is.
        if not self._placed and not self.isMaximized() and self.size() == self._placed_size:
            self._placed = True
            QTimer.singleShot(0, self._fit_to_screen)

    def _fit_to_screen(self) -> None:
        screen = self.screen() or QGuiApplication.primaryScreen()
        if screen is not None and not self.isMaximized():
            self._fit_into(screen.availableGeometry())

    def _remember_placement(self) -> None:
        state = self._window_state
        if state is None:
            return
        state.setValue("main_window/geometry", self.saveGeometry())
        state.setValue("main_window/maximized", "true" if self.isMaximized() else "false")
        state.sync()

    def verify_audit(self) -> None:
        """Check the audit chain, then every signed record, off the UI thread, and report.

        A progress window with Cancel shows how far the check is; the records stay usable
        meanwhile (the trail is read a page per short transaction).
        """
        if self.long_job is not None and self.long_job.running:
            self.dialogs.info(self, "Audit trail", "A check is already running.")
            return
        audit = self.services.audit

        def check(progress: Progress) -> tuple[ChainReport, RecordsReport | None]:
            report = audit.verify(progress)
            return report, audit.verify_records(progress) if report.intact else None

        self.long_job = LongJob(
            self,
            "Checking the audit trail",
            check,
            self._audit_verified,
            lambda message: self.dialogs.error(self, "The audit trail was not checked", message),
            stages={"chain": "Audit trail entries", "records": "Signed encounters"},
        ).start()

    def _audit_verified(self, result: tuple[ChainReport, RecordsReport | None]) -> None:
        report, records = result
        if not report.intact:
            self.dialogs.error(
                self,
                "Audit trail BROKEN",
                f"The audit trail is broken at entry {report.first_broken_seq}: {report.problem}.",
            )
        elif records is not None and not records.intact:
            self.dialogs.error(
                self,
                "Signed records BROKEN",
                f"Signed encounter #{records.first_broken_id} fails its check: {records.problem}.",
            )
        else:
            checked = (
                f" {records.checked} signed encounters and {records.addenda} addenda match "
                "their hashes and signatures."
                if records is not None
                else ""
            )
            self.dialogs.info(
                self,
                "Audit trail",
                f"Intact: {report.entries} entries, every link verified.{checked}",
            )

    def closeEvent(self, event: QCloseEvent) -> None:
        """Save the open draft before closing; refuse to close if it cannot be saved."""
        if self.principal is not None and not self._leave_encounter():
            event.ignore()
            return
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self.activity)
        self._remember_placement()
        # A backup being written finishes (and is checked) before the app goes.
        self.backup_actions.stop_schedule()
        self.backup_actions.wait()
        self._search_seq += 1  # an answer still on its way is dropped
        self._search_pool.waitForDone(5_000)
        if self.long_job is not None and self.long_job.running:
            self.long_job.cancel()  # a check or an import stops; nothing was written
            self.long_job.wait()
        event.accept()
