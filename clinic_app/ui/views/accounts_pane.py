"""The admin's account list: add accounts with roles, enable or disable them, see guessing."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from clinic_app.domain.account import ROLE_LABELS, Account, LoginFailures, Principal, Role
from clinic_app.domain.errors import ClinicError, FieldErrors
from clinic_app.services.container import Services
from clinic_app.ui.views.form_widgets import FieldWithError, add_row, error_banner, line_edit


def failure_text(failures: LoginFailures | None, now: datetime) -> str:
    """Empty when none; else the count in a row and, during a wait, when it ends."""
    if failures is None:
        return ""
    text = f"{failures.failures} in a row"
    if failures.retry_at > now:
        text += f", next try after {failures.retry_at.astimezone().strftime('%H:%M:%S')}"
    return text


class AccountsPane(QWidget):
    """List and manage accounts (admin only; the service refuses anyone else)."""

    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("accounts_pane")
        self._services = services
        self._principal: Principal | None = None
        self._accounts: list[Account] = []
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("<h2>Accounts</h2>"))
        self.table = QTableWidget(0, 5)
        self.table.setObjectName("accounts_table")
        self.table.setAccessibleName("Accounts")
        self.table.setHorizontalHeaderLabels(
            ["User name", "Name", "Roles", "Active", "Failed logins"]
        )
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setStretchLastSection(True)
        layout.addWidget(self.table, 1)
        self.toggle_button = QPushButton("&Disable / enable selected account")
        self.toggle_button.setObjectName("accounts_toggle")
        self.toggle_button.clicked.connect(self._toggle)
        layout.addWidget(self.toggle_button)
        # Guessing shows here: failed logins in a row per name, and the wait they caused.
        self.failures_label = QLabel()
        self.failures_label.setObjectName("accounts_failures")
        self.failures_label.setWordWrap(True)
        self.failures_label.hide()
        layout.addWidget(self.failures_label)
        self.clear_button = QPushButton("&Clear failed logins of selected account")
        self.clear_button.setObjectName("accounts_clear_failures")
        self.clear_button.clicked.connect(self._clear_failures)
        layout.addWidget(self.clear_button)

        box = QGroupBox("Add an account")
        form = QFormLayout(box)
        self.fields: dict[str, FieldWithError[QLineEdit]] = {
            "username": FieldWithError(line_edit("account_username")),
            "display_name": FieldWithError(line_edit("account_display_name")),
            "password": FieldWithError(line_edit("account_password", password=True)),
        }
        add_row(form, "&User name", self.fields["username"])
        add_row(form, "&Name on signatures", self.fields["display_name"])
        add_row(form, "First &password", self.fields["password"])
        roles_row = QHBoxLayout()
        self.role_boxes: dict[Role, QCheckBox] = {}
        for role in Role:
            check = QCheckBox(ROLE_LABELS[role])
            check.setObjectName(f"account_role_{role.value}")
            self.role_boxes[role] = check
            roles_row.addWidget(check)
        form.addRow("Roles", roles_row)
        self.message = error_banner("accounts_message")
        form.addRow(self.message)
        self.add_button = QPushButton("&Add account")
        self.add_button.setObjectName("accounts_add")
        self.add_button.clicked.connect(self._add)
        form.addRow(self.add_button)
        layout.addWidget(box)

    def show_for(self, principal: Principal) -> None:
        """Load the list for an admin."""
        self._principal = principal
        self.refresh()

    def refresh(self) -> None:
        """Reload accounts from the service."""
        if self._principal is None:
            return
        try:
            self._accounts = self._services.accounts.list_accounts(self._principal)
            failures = self._services.accounts.login_failures(self._principal)
        except ClinicError as exc:
            self._say(str(exc))
            return
        now = self._services.clock.now()
        by_name = {f.username: f for f in failures}
        self.table.setRowCount(len(self._accounts))
        for row, acc in enumerate(self._accounts):
            roles = ", ".join(ROLE_LABELS[r] for r in sorted(acc.roles))
            found = by_name.pop(acc.username, None)
            for col, text in enumerate(
                (
                    acc.username,
                    acc.display_name,
                    roles,
                    "yes" if acc.active else "no",
                    failure_text(found, now),
                )
            ):
                self.table.setItem(row, col, QTableWidgetItem(text))
        others = [f"{f.username}: {failure_text(f, now)}" for f in by_name.values()]
        self.failures_label.setText(
            "Failed logins under names that are not accounts: " + "; ".join(others[:10])
        )
        self.failures_label.setVisible(bool(others))

    def _say(self, text: str) -> None:
        self.message.setText(text)
        self.message.show()

    def _add(self) -> None:
        if self._principal is None:
            return
        self.message.hide()
        for field in self.fields.values():
            field.set_error(None)
        raw = {name: f.editor.text() for name, f in self.fields.items()}
        roles = frozenset(r for r, box in self.role_boxes.items() if box.isChecked())
        try:
            self._services.accounts.create_account(self._principal, {**raw, "roles": roles})
        except FieldErrors as exc:
            for key, text in exc.errors.items():
                name = key.split(".")[0]
                if name in self.fields:
                    self.fields[name].set_error(text)
                else:
                    self._say(text)
            return
        except ClinicError as exc:
            self._say(str(exc))
            return
        for field in self.fields.values():
            field.editor.clear()
        for box in self.role_boxes.values():
            box.setChecked(False)
        self.refresh()

    def _clear_failures(self) -> None:
        row = self.table.currentRow()
        if self._principal is None or not 0 <= row < len(self._accounts):
            return
        try:
            self._services.accounts.clear_login_failures(
                self._principal, self._accounts[row].username
            )
        except ClinicError as exc:
            self._say(str(exc))
            return
        self.refresh()

    def _toggle(self) -> None:
        row = self.table.currentRow()
        if self._principal is None or not 0 <= row < len(self._accounts):
            return
        acc = self._accounts[row]
        try:
            self._services.accounts.set_active(self._principal, acc.id, not acc.active)
        except ClinicError as exc:
            self._say(str(exc))
            return
        self.refresh()
