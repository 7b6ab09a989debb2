"""The admin's account list: add accounts, change roles, reset passwords, enable or disable."""

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


def role_boxes(prefix: str) -> tuple[QHBoxLayout, dict[Role, QCheckBox]]:
    """A check box per role in a row, named ``<prefix>_<role>``."""
    row = QHBoxLayout()
    boxes: dict[Role, QCheckBox] = {}
    for role in Role:
        check = QCheckBox(ROLE_LABELS[role])
        check.setObjectName(f"{prefix}_{role.value}")
        boxes[role] = check
        row.addWidget(check)
    return row, boxes


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
        layout.addWidget(self._build_selected())

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
        roles_row, self.role_boxes = role_boxes("account_role")
        form.addRow("Roles", roles_row)
        self.message = error_banner("accounts_message")
        form.addRow(self.message)
        self.add_button = QPushButton("&Add account")
        self.add_button.setObjectName("accounts_add")
        self.add_button.clicked.connect(self._add)
        form.addRow(self.add_button)
        layout.addWidget(box)

    def _build_selected(self) -> QGroupBox:
        box = QGroupBox("Selected account: roles and password")
        box.setObjectName("accounts_selected_box")
        form = QFormLayout(box)
        roles_row, self.edit_role_boxes = role_boxes("edit_role")
        self.roles_button = QPushButton("C&hange roles")
        self.roles_button.setObjectName("accounts_change_roles")
        self.roles_button.clicked.connect(self._change_roles)
        roles_row.addWidget(self.roles_button)
        roles_row.addStretch(1)
        self.roles_error = error_banner("accounts_roles_error")
        form.addRow("Roles", roles_row)
        form.addRow(self.roles_error)
        self.reset_fields: dict[str, FieldWithError[QLineEdit]] = {
            "password": FieldWithError(line_edit("reset_password", password=True)),
            "password2": FieldWithError(line_edit("reset_password2", password=True)),
        }
        add_row(form, "New pass&word", self.reset_fields["password"])
        add_row(form, "Repeat new passw&ord", self.reset_fields["password2"])
        self.reset_button = QPushButton("&Reset password")
        self.reset_button.setObjectName("accounts_reset_password")
        self.reset_button.clicked.connect(self._reset_password)
        for field in self.reset_fields.values():
            field.editor.returnPressed.connect(self._reset_password)
        form.addRow(self.reset_button)
        self.done_label = QLabel()
        self.done_label.setObjectName("accounts_done")
        self.done_label.setWordWrap(True)
        form.addRow(self.done_label)
        self.table.itemSelectionChanged.connect(self._selected_changed)
        return box

    def selected_account(self) -> Account | None:
        """The account on the selected row, or None."""
        row = self.table.currentRow()
        return self._accounts[row] if 0 <= row < len(self._accounts) else None

    def _selected_changed(self) -> None:
        account = self.selected_account()
        for role, check in self.edit_role_boxes.items():
            check.setChecked(account is not None and role in account.roles)
        for widget in (*self.edit_role_boxes.values(), self.roles_button, self.reset_button):
            widget.setEnabled(account is not None)
        self.roles_error.hide()
        for field in self.reset_fields.values():
            field.set_error(None)

    def _change_roles(self) -> None:
        account = self.selected_account()
        if self._principal is None or account is None:
            return
        self.roles_error.hide()
        roles = [r for r, check in self.edit_role_boxes.items() if check.isChecked()]
        try:
            self._services.accounts.change_roles(self._principal, account.id, roles)
        except ClinicError as exc:
            text = "; ".join(exc.errors.values()) if isinstance(exc, FieldErrors) else str(exc)
            self.roles_error.setText(text)
            self.roles_error.show()
            return
        self._done(
            f"Roles of {account.username} are now "
            f"{', '.join(ROLE_LABELS[r] for r in sorted(roles))}. Their open session ends at "
            "their next action; the new roles apply from their next login."
        )

    def _reset_password(self) -> None:
        account = self.selected_account()
        if self._principal is None or account is None:
            return
        first, second = self.reset_fields["password"], self.reset_fields["password2"]
        first.set_error(None)
        second.set_error(None)
        if first.editor.text() != second.editor.text():
            second.set_error("The two passwords differ.")
            second.editor.setFocus()
            return
        try:
            self._services.accounts.reset_password(self._principal, account.id, first.editor.text())
        except FieldErrors as exc:
            first.set_error("; ".join(exc.errors.values()))
            first.editor.setFocus()
            return
        except ClinicError as exc:
            first.set_error(str(exc))
            return
        first.editor.clear()
        second.editor.clear()
        self._done(f"New password set for {account.username} (audited); give it to them in person.")

    def _done(self, text: str) -> None:
        keep = self.table.currentRow()
        self.refresh()
        if 0 <= keep < self.table.rowCount():
            self.table.selectRow(keep)
        self.done_label.setText(text)

    def show_for(self, principal: Principal) -> None:
        """Load the list for an admin."""
        self._principal = principal
        self.refresh()

    def refresh(self) -> None:
        """Reload accounts from the service."""
        if self._principal is None:
            return
        self.done_label.clear()
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
        self._selected_changed()

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
