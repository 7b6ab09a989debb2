"""First-run page (practice, first admin, where the records live) and the login / unlock page."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from clinic_app.domain.errors import AuthenticationFailed, ClinicError, FieldErrors
from clinic_app.ui.dialogs import Dialogs
from clinic_app.ui.views.form_widgets import (
    FieldWithError,
    add_row,
    error_banner,
    line_edit,
    tint,
)
from clinic_app.ui.views.practice_fields import PracticeFields

if TYPE_CHECKING:  # the data layer is imported once the first page is up
    from clinic_app.domain.account import Principal
    from clinic_app.services.container import Services
    from clinic_app.services.practice import DatabaseProbe


def _centered(inner: QWidget) -> QVBoxLayout:
    outer = QVBoxLayout()
    outer.addStretch(1)
    outer.addWidget(inner, 0, Qt.AlignmentFlag.AlignHCenter)
    outer.addStretch(2)
    return outer


@dataclass(frozen=True)
class DatabaseSetup:
    """What the first-run page needs from the composition root to keep the records elsewhere.

    Attributes:
        data_folder: where the records are kept on this computer.
        probe: looks at a PostgreSQL URL without changing anything.
        open: connects to a URL (creating or migrating the schema) and wires the services.
        remember: writes the URL into the settings file, for every later start.
    """

    data_folder: Path
    probe: Callable[[str], DatabaseProbe]
    open: Callable[[str], Services]
    remember: Callable[[str], None]
    restore: Callable[[Services, Path, str, str], Services] | None = None
    """Restores a backup onto this empty data folder as one of its admins (a new computer)
    and opens the restored records."""
    give_recovery_key: Callable[[str], None] | None = None
    """Hands over the recovery key typed for an encrypted backup (before restore is retried)."""


class SetupPage(QWidget):
    """First run: the practice's details, the first admin account and where the records live.

    Signals:
        sig_admin_created: the account exists here; carries the logged-in principal.
        sig_database_chosen: the records now live on a server; carries the services opened
            on it and the logged-in principal (None when this workstation joined an existing
            practice and someone must log in).
    """

    sig_admin_created = Signal(object)
    """Emitted with the new admin's Principal."""
    sig_database_chosen = Signal(object, object)
    """Emitted with (Services on the server, Principal or None)."""

    def __init__(
        self,
        services: Services | Callable[[], Services | None],
        dialogs: Dialogs | None = None,
        setup: DatabaseSetup | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("setup_page")
        # At the first start the page is up before the records are open: a callable then
        # gives the services (waiting for them, or asking Retry or Quit; None for Quit).
        self._services_or_opener = services
        self._setup = setup
        self._dialogs = dialogs or Dialogs()
        self._probed: tuple[str, DatabaseProbe] | None = None
        box = QWidget()
        box.setMaximumWidth(1040)
        layout = QVBoxLayout(box)
        title = QLabel("<h2>Welcome to clinic_app</h2>")
        intro = QLabel(
            "Set up the practice: its details for the letterhead, the practice admin account "
            "(this person manages accounts and backups; keep the password safe, there is no "
            "way to recover it without another admin) and where the records are kept."
        )
        intro.setWordWrap(True)
        layout.addWidget(title)
        layout.addWidget(intro)

        self.practice = PracticeFields(self._dialogs)
        self.practice_group = QGroupBox("Practice")
        QVBoxLayout(self.practice_group).addWidget(self.practice)

        self.admin_group = QGroupBox("First admin account")
        admin_layout = QVBoxLayout(self.admin_group)
        form = QFormLayout()
        self.fields = {
            "username": FieldWithError(line_edit("setup_username", "e.g. jlopez")),
            "display_name": FieldWithError(line_edit("setup_display_name", "e.g. Dr Jo Lopez")),
            "password": FieldWithError(line_edit("setup_password", password=True)),
            "password2": FieldWithError(line_edit("setup_password2", password=True)),
        }
        add_row(form, "&User name", self.fields["username"])
        add_row(form, "&Name on signatures", self.fields["display_name"])
        add_row(form, "&Password", self.fields["password"])
        add_row(form, "&Repeat password", self.fields["password2"])
        admin_layout.addLayout(form)
        self.also_clinician = QCheckBox("This person also &charts and signs encounters (clinician)")
        self.also_clinician.setObjectName("setup_also_clinician")
        self.also_clinician.setChecked(True)
        admin_layout.addWidget(self.also_clinician)
        admin_layout.addStretch(1)

        columns = QHBoxLayout()
        columns.addWidget(self.practice_group, 1)
        columns.addWidget(self.admin_group, 1)
        layout.addLayout(columns)
        layout.addWidget(self._build_where())

        self.message = error_banner("setup_message")
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        layout.addWidget(self.message)
        self.restore_button = QPushButton("Restore a &backup instead…")
        self.restore_button.setObjectName("setup_restore")
        self.restore_button.setToolTip(
            "A practice moving to this computer: put its backup back. An admin of the backup "
            "gives their user name and password."
        )
        self.restore_button.setAutoDefault(False)
        self.restore_button.clicked.connect(self._restore)
        self.restore_button.setVisible(setup is not None and setup.restore is not None)
        self.create_button = QPushButton()
        self.create_button.setObjectName("setup_create")
        self.create_button.setDefault(True)
        self.create_button.clicked.connect(self._create)
        buttons = QHBoxLayout()
        buttons.addWidget(self.restore_button)
        buttons.addStretch(1)
        buttons.addWidget(self.create_button)
        layout.addLayout(buttons)
        for field in (*self.fields.values(), self.practice.name, self.practice.phone):
            field.editor.returnPressed.connect(self._create)
        self._where_changed(False)

        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        inner = QWidget()
        inner.setLayout(_centered(box))
        scroll.setWidget(inner)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)

    def _build_where(self) -> QGroupBox:
        group = QGroupBox("Where the records are kept")
        self.where_group = group
        layout = QVBoxLayout(group)
        folder = self._setup.data_folder if self._setup else None
        self.local_choice = QRadioButton("On &this computer")
        self.local_choice.setObjectName("setup_where_local")
        self.local_choice.setChecked(True)
        self.folder_label = QLabel(
            f"In the data folder {folder}" if folder else "In this computer's data folder"
        )
        self.folder_label.setObjectName("setup_data_folder")
        self.folder_label.setTextFormat(Qt.TextFormat.PlainText)
        self.folder_label.setIndent(24)
        self.server_choice = QRadioButton(
            "On the practice's Post&greSQL server (several workstations share the records)"
        )
        self.server_choice.setObjectName("setup_where_server")
        self.db_url = FieldWithError(
            line_edit("setup_db_url", "postgresql://USER:PASSWORD@HOST/DATABASE")
        )
        self.test_button = QPushButton("Test c&onnection")
        self.test_button.setObjectName("setup_test_connection")
        self.test_button.clicked.connect(self.test_connection)
        self.probe_status = QLabel()
        self.probe_status.setObjectName("setup_probe_status")
        self.probe_status.setTextFormat(Qt.TextFormat.PlainText)
        self.probe_status.setWordWrap(True)
        tint(self.probe_status, "#1a5e20")
        self.probe_status.hide()
        url_row = QHBoxLayout()
        url_label = QLabel("S&erver URL")
        url_label.setBuddy(self.db_url.editor)
        self.db_url.editor.setAccessibleName("Server URL")
        url_row.addSpacing(24)
        url_row.addWidget(url_label, 0, Qt.AlignmentFlag.AlignTop)
        url_row.addWidget(self.db_url, 1)
        url_row.addWidget(self.test_button, 0, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self.local_choice)
        layout.addWidget(self.folder_label)
        layout.addWidget(self.server_choice)
        layout.addLayout(url_row)
        layout.addWidget(self.probe_status)
        self.db_url.editor.textChanged.connect(self._url_edited)
        self.db_url.editor.returnPressed.connect(self._create)
        self.server_choice.toggled.connect(self._where_changed)
        if self._setup is None:
            # Without a way to reach a server from here, a server is chosen with --db-url.
            self.server_choice.setEnabled(False)
            self.server_choice.setToolTip("Start clinic-app with --db-url to use a server.")
        return group

    def focus_first(self) -> None:
        """Put the cursor in the first field."""
        self.practice.name.editor.setFocus()

    # ----- where ----------------------------------------------------------------------------
    def _where_changed(self, _checked: bool) -> None:
        server = self.server_choice.isChecked()
        self.db_url.editor.setEnabled(server)
        self.test_button.setEnabled(server)
        if not server:
            self.db_url.set_error(None)
            self.probe_status.hide()
            self._set_joining(False)
        else:
            self._set_joining(self._joining())
            self.db_url.editor.setFocus()

    def _url_edited(self, _text: str) -> None:
        self._probed = None
        self.db_url.set_error(None)
        self.probe_status.hide()
        self._set_joining(False)

    def _joining(self) -> bool:
        from clinic_app.services.practice import DatabaseState

        return self._probed is not None and self._probed[1].state is DatabaseState.CLINIC

    def _set_joining(self, joining: bool) -> None:
        """A server that already holds the practice needs no new admin or practice details."""
        self.practice_group.setEnabled(not joining)
        self.admin_group.setEnabled(not joining)
        self.create_button.setText(
            "Use this server and log &in" if joining else "Create &account and start"
        )

    def test_connection(self) -> DatabaseProbe | None:
        """Look at the URL typed; the answer is shown under the field."""
        if self._setup is None:
            return None
        url = self.db_url.editor.text().strip()
        self.db_url.set_error(None)
        self.probe_status.hide()
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            probe = self._setup.probe(url)
        finally:
            QApplication.restoreOverrideCursor()
        self._probed = (url, probe)
        if probe.usable:
            self.probe_status.setText(probe.message)
            self.probe_status.show()
        else:
            self.db_url.set_error(probe.message)
            self.db_url.editor.setFocus()
        self._set_joining(self._joining())
        return probe

    # ----- create ---------------------------------------------------------------------------
    def _admin_values(self) -> dict[str, object]:
        from clinic_app.domain.account import Role  # loaded with the data layer, not before

        roles = {Role.ADMIN} | ({Role.CLINICIAN} if self.also_clinician.isChecked() else set())
        return {
            "username": self.fields["username"].editor.text(),
            "display_name": self.fields["display_name"].editor.text(),
            "password": self.fields["password"].editor.text(),
            "roles": roles,
        }

    def _clear_messages(self) -> None:
        for field in self.fields.values():
            field.set_error(None)
        self.practice.clear_errors()
        self.message.hide()

    def _show_field_errors(self, errors: dict[str, str]) -> None:
        first = self.practice.show_errors(
            {k.removeprefix("practice."): v for k, v in errors.items() if k.startswith("practice.")}
        )
        leftover: list[str] = []
        for key, message in errors.items():
            if key.startswith("practice."):
                continue
            name = key.removeprefix("admin.").split(".")[0]
            if name in self.fields:
                self.fields[name].set_error(message)
                first = first or self.fields[name].editor
            elif not key.startswith("practice."):
                leftover.append(message)
        if leftover:
            self._show_message(" ".join(leftover))
        if first is not None:
            first.setFocus()

    def _show_message(self, text: str) -> None:
        self.message.setText(text)
        self.message.show()

    def _opened(self) -> Services | None:
        """The services this page works with, opened now if they were not yet."""
        source = self._services_or_opener
        if not callable(source):
            return source
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            opened = source()
        finally:
            QApplication.restoreOverrideCursor()
        if opened is not None:
            self._services_or_opener = opened
        return opened

    def _create(self) -> None:
        self._clear_messages()
        if self.server_choice.isChecked() and self._setup is not None:
            self._create_on_server(self._setup)
            return
        if not self._passwords_match():
            return
        admin = self._admin_values()
        services = self._opened()
        if services is None:
            return
        try:
            account = services.practice.set_up(admin, self.practice.values())
            principal = services.accounts.login(account.username, str(admin["password"]))
        except FieldErrors as exc:
            self._show_field_errors(exc.errors)
            return
        except ClinicError as exc:
            self._show_message(str(exc))
            return
        self._clear_typing()
        self.sig_admin_created.emit(principal)

    def _passwords_match(self) -> bool:
        password2 = self.fields["password2"]
        if self.fields["password"].editor.text() != password2.editor.text():
            password2.set_error("The two passwords differ.")
            password2.editor.setFocus()
            return False
        return True

    def _create_on_server(self, setup: DatabaseSetup) -> None:
        url = self.db_url.editor.text().strip()
        probe = self._probed[1] if self._probed and self._probed[0] == url else None
        if probe is None:
            probe = self.test_connection()
        if probe is None or not probe.usable:
            return
        from clinic_app.services.practice import DatabaseState

        joining = probe.state is DatabaseState.CLINIC
        admin = self._admin_values()
        if not joining:
            # Checked before connecting, so a typo never leaves anything on the server.
            if not self._passwords_match():
                return
            here = self._opened()
            if here is None:
                return
            try:
                here.practice.check_set_up(admin, self.practice.values())
            except FieldErrors as exc:
                self._show_field_errors(exc.errors)
                return
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            services = setup.open(url)
            principal = None
            if not joining:
                account = services.practice.set_up(admin, self.practice.values())
                principal = services.accounts.login(account.username, str(admin["password"]))
            setup.remember(url)
        except FieldErrors as exc:
            self._show_field_errors(exc.errors)
            return
        except ClinicError as exc:
            self.db_url.set_error(str(exc))
            self.db_url.editor.setFocus()
            return
        except OSError as exc:
            self._show_message(f"The settings file cannot be written ({exc.strerror or exc}).")
            return
        finally:
            QApplication.restoreOverrideCursor()
        self._clear_typing()
        self.sig_database_chosen.emit(services, principal)

    def _restore(self) -> None:
        """First run on a new computer: restore the practice's backup as one of its admins."""
        setup = self._setup
        if setup is None or setup.restore is None:
            return
        path = self._dialogs.open_file(
            self,
            "Restore a backup",
            setup.data_folder,
            "clinic_app backups (*.sqlite3 *.zip);;All files (*)",
        )
        if path is None:
            return
        login = self._dialogs.ask_login(
            self,
            "Restore a backup",
            "The user name and password of a practice admin in this backup:",
        )
        if login is None:
            return
        username, password = login
        here = self._opened()
        if here is None:
            return
        from clinic_app.services.key_slots import RecoveryKeyNeeded

        while True:
            QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
            try:
                services = setup.restore(here, path, username, password)
                break
            except RecoveryKeyNeeded:
                QApplication.restoreOverrideCursor()
                typed = self._dialogs.ask_line(
                    self,
                    "Restore a backup",
                    "This backup is encrypted. On a new computer it opens with the practice's "
                    "recovery key, printed when the practice was set up (8 groups of 4 letters "
                    "and digits):",
                )
                if typed is None or setup.give_recovery_key is None:
                    return
                setup.give_recovery_key(typed)
            except ClinicError as exc:
                QApplication.restoreOverrideCursor()
                self._show_message(f"The backup was not restored: {exc}")
                return
        QApplication.restoreOverrideCursor()
        self._clear_typing()
        self.sig_database_chosen.emit(services, None)

    def _clear_typing(self) -> None:
        for field in self.fields.values():
            field.editor.clear()


class LoginPage(QWidget):
    """Log in, or unlock a session locked after idle time.

    Signals:
        sig_logged_in: carries the Principal.
        sig_switch_user: the locked session's owner chose to log out instead.
    """

    sig_logged_in = Signal(object)
    """Emitted with the Principal after a good password."""
    sig_switch_user = Signal()
    """Emitted when 'Log out' is chosen on the lock screen."""

    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("login_page")
        self._services = services
        self._locked_for: Principal | None = None
        box = QWidget()
        box.setMaximumWidth(420)
        layout = QVBoxLayout(box)
        self.title = QLabel()
        self.title.setObjectName("login_title")
        layout.addWidget(self.title)
        form = QFormLayout()
        self.username = FieldWithError(line_edit("login_username"))
        self.password = FieldWithError(line_edit("login_password", password=True))
        add_row(form, "&User name", self.username)
        add_row(form, "&Password", self.password)
        layout.addLayout(form)
        self.message = error_banner("login_message")
        layout.addWidget(self.message)
        self.login_button = QPushButton("&Log in")
        self.login_button.setObjectName("login_button")
        self.login_button.setDefault(True)
        self.login_button.clicked.connect(self._login)
        layout.addWidget(self.login_button)
        self.switch_button = QPushButton("Log &out and switch user")
        self.switch_button.setObjectName("login_switch_user")
        self.switch_button.clicked.connect(self.sig_switch_user.emit)
        layout.addWidget(self.switch_button)
        self.username.editor.returnPressed.connect(self._login)
        self.password.editor.returnPressed.connect(self._login)
        self.setLayout(_centered(box))
        self.prepare(None)

    @property
    def locked_for(self) -> Principal | None:
        """The user whose session is locked, if any."""
        return self._locked_for

    def prepare(self, locked_for: Principal | None) -> None:
        """Reset the page for a fresh login or for unlocking locked_for's session."""
        self._locked_for = locked_for
        self.message.hide()
        self.password.editor.clear()
        if locked_for is None:
            self.title.setText("<h2>Log in</h2>")
            self.username.editor.setEnabled(True)
            self.username.editor.clear()
            self.switch_button.hide()
            self.username.editor.setFocus()
        else:
            self.title.setText(
                f"<h2>Locked</h2><p>{escape(locked_for.display_name)}'s session is locked. "
                "Enter the password to go on where you left off.</p>"
            )
            self.username.editor.setText(locked_for.username)
            self.username.editor.setEnabled(False)
            self.switch_button.show()
            self.password.editor.setFocus()

    def _login(self) -> None:
        username = self.username.editor.text()
        password = self.password.editor.text()
        try:
            principal = self._services.accounts.login(username, password)
        except AuthenticationFailed as exc:
            self.message.setText(str(exc))
            self.message.show()
            self.password.editor.clear()
            self.password.editor.setFocus()
            return
        except ClinicError as exc:
            self.message.setText(str(exc))
            self.message.show()
            return
        self.password.editor.clear()
        self.sig_logged_in.emit(principal)
