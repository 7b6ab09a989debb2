"""First-run page (the first admin account) and the login / unlock page."""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from clinic_app.domain.account import Principal, Role
from clinic_app.domain.errors import AuthenticationFailed, ClinicError, FieldErrors
from clinic_app.services.container import Services
from clinic_app.ui.views.form_widgets import FieldWithError, add_row, error_banner, line_edit


def _centered(inner: QWidget) -> QVBoxLayout:
    outer = QVBoxLayout()
    outer.addStretch(1)
    outer.addWidget(inner, 0, Qt.AlignmentFlag.AlignHCenter)
    outer.addStretch(2)
    return outer


class SetupPage(QWidget):
    """Asks for the first admin account on an empty database.

    Signals:
        sig_admin_created: the account exists; carries the logged-in principal.
    """

    sig_admin_created = Signal(object)
    """Emitted with the new admin's Principal."""

    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("setup_page")
        self._services = services
        box = QWidget()
        box.setMaximumWidth(520)
        layout = QVBoxLayout(box)
        title = QLabel("<h2>Welcome to clinic_app</h2>")
        intro = QLabel(
            "Create the practice admin account. This person manages accounts and backups. "
            "Keep the password safe: there is no way to recover it without another admin."
        )
        intro.setWordWrap(True)
        layout.addWidget(title)
        layout.addWidget(intro)
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
        layout.addLayout(form)
        self.also_clinician = QCheckBox("This person also &charts and signs encounters (clinician)")
        self.also_clinician.setObjectName("setup_also_clinician")
        self.also_clinician.setChecked(True)
        layout.addWidget(self.also_clinician)
        self.message = error_banner("setup_message")
        layout.addWidget(self.message)
        self.create_button = QPushButton("Create &account")
        self.create_button.setObjectName("setup_create")
        self.create_button.setDefault(True)
        self.create_button.clicked.connect(self._create)
        layout.addWidget(self.create_button)
        for field in self.fields.values():
            field.editor.returnPressed.connect(self._create)
        self.setLayout(_centered(box))

    def _create(self) -> None:
        for field in self.fields.values():
            field.set_error(None)
        values = {k: f.editor.text() for k, f in self.fields.items()}
        if values["password"] != values["password2"]:
            self.fields["password2"].set_error("The two passwords differ.")
            self.fields["password2"].editor.setFocus()
            return
        roles = {Role.ADMIN} | ({Role.CLINICIAN} if self.also_clinician.isChecked() else set())
        try:
            account = self._services.accounts.create_first_admin(
                {
                    "username": values["username"],
                    "display_name": values["display_name"],
                    "password": values["password"],
                    "roles": roles,
                }
            )
            principal = self._services.accounts.login(account.username, values["password"])
        except FieldErrors as exc:
            first = None
            for key, message in exc.errors.items():
                name = key.split(".")[0]
                if name in self.fields:
                    self.fields[name].set_error(message)
                    first = first or self.fields[name]
            if first:
                first.editor.setFocus()
            return
        except ClinicError as exc:
            self.message.setText(str(exc))
            self.message.show()
            return
        for field in self.fields.values():
            field.editor.clear()
        self.sig_admin_created.emit(principal)


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
