"""The live assessment beside the exam: suggestion cards, the urgent red-flag banner and R11.

The panel only shows what ``domain.assessment`` worked out and collects the clinician's
accept/dismiss choices; the encounter pane builds the content, runs the rules and saves.
Every reason that names findings is a link: following it puts the cursor on the finding.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from html import escape

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent, QMouseEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from clinic_app.domain.assessment.model import (
    Assessment,
    GateCheck,
    GateItem,
    GateState,
    Laterality,
    Reason,
    ReportWhen,
    Severity,
    Suggestion,
)
from clinic_app.domain.assessment.record import (
    MAX_COMMENT,
    Choice,
    Decision,
    GateOverride,
    RedFlagAcknowledgement,
    StudiesAcknowledgement,
)

SEVERITY_WORD: dict[Severity, str] = {
    Severity.URGENT: "URGENT",
    Severity.WARNING: "WARNING",
    Severity.SUGGESTION: "SUGGESTION",
}
"""Severity is always written as well as coloured: colour alone is not enough."""

REASON_FOR_GATE = "assessment.foot_primary_reason"
"""The path the R11 card (and a refused signature) point at for the written reason."""

GATE_RULE = "R11"
"""Its suggestion is shown by the gate card, which lists the untested items one by one."""
GATE_LINKS_SHOWN = 8
"""Untested lumbar items listed one by one; the rest are summed up in one more link."""


# One style sheet for the whole panel, keyed on properties, so a card costs no style parsing.
PANEL_STYLE = """
QFrame[card="true"] {
    background: #ffffff; border: 1px solid #c8c8c8; border-left: 6px solid #1c5fb8;
    border-radius: 3px;
}
QFrame[card="true"][severity="urgent"] { border-left-color: #a40000; background: #fff5f5; }
QFrame[card="true"][severity="warning"] { border-left-color: #8f5600; background: #fffaf0; }
QFrame[card="true"][severity="ok"] { border-left-color: #1b6e20; }
QFrame[card="true"][decided="dismissed"] { background: #f2f2f2; border-left-color: #8a8a8a; }
QLabel[badge="true"] {
    color: white; font-weight: bold; padding: 1px 5px; border-radius: 2px;
    background: #1c5fb8;
}
QLabel[badge="true"][severity="urgent"] { background: #a40000; }
QLabel[badge="true"][severity="warning"] { background: #8f5600; }
QLabel[badge="true"][severity="ok"] { background: #1b6e20; }
QLabel[role="link"], QLabel[role="text"] { padding: 1px 2px; }
QLabel[role="link"] { color: #1c5fb8; }
QLabel[role="link"]:focus { background: #dcebff; border: 1px solid #1c5fb8; }
QLabel[role="muted"] { color: #555555; }
QLabel[state="accepted"] { color: #1b6e20; font-weight: bold; }
QLabel[state="dismissed"] { color: #555555; font-weight: bold; }
QLabel[state="undecided"] { color: #555555; font-style: italic; }
"""

BANNER_ALERT_STYLE = """
QFrame#red_flag_banner { background: #a40000; border: 2px solid #5c0000; border-radius: 3px; }
QFrame#red_flag_banner QLabel { color: white; padding: 1px 2px; }
QFrame#red_flag_banner QLabel[role="link"]:focus { background: #5c0000; border: 1px solid white; }
"""
BANNER_QUIET_STYLE = """
QFrame#red_flag_banner { background: #fff5f5; border: 1px solid #a40000; border-radius: 3px; }
QFrame#red_flag_banner QLabel { color: #7a0000; }
"""
# Whole sheets, swapped on a state change: a sheet keyed on the banner's own property would
# not restyle the labels inside it.


def _set_shown(widget: QWidget, visible: bool) -> None:
    """Show or hide, touching the widget only when that changes."""
    if widget.isHidden() == visible:
        widget.setVisible(visible)


def _restyle(widget: QWidget, name: str, value: str) -> None:
    """Set a style property and re-polish, only when it changes (polishing is not free)."""
    if widget.property(name) == value:
        return
    widget.setProperty(name, value)
    style = widget.style()
    style.unpolish(widget)
    style.polish(widget)


def sides_text(suggestion: Suggestion) -> str:
    """'Right', 'Left', 'Both sides' or '' for a suggestion about the patient as a whole."""
    if len(suggestion.sides) == 2:
        return "Both sides"
    return " ".join(side.value.capitalize() for side in suggestion.sides)


def paths_of(reason: Reason) -> list[str]:
    """The exam paths a reason points at, each once, in order."""
    return list(dict.fromkeys(found.path for found in reason.findings))


class FindingLink(QLabel):
    """A line of text that takes the cursor to findings: click it, or Tab to it and press Enter.

    A line without findings reads as plain text and is no keyboard stop.

    Signals:
        sig_activated: carries the exam paths the line points at (the first gets the cursor).
    """

    sig_activated = Signal(list)
    """Emitted with the list of paths when the user follows the link."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._paths: list[str] = []
        self._linked: bool | None = None
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)

    @property
    def paths(self) -> list[str]:
        """The exam paths this link goes to (empty for a plain line)."""
        return list(self._paths)

    @property
    def is_link(self) -> bool:
        """True when the line leads somewhere."""
        return bool(self._paths)

    def set_link(self, text: str, paths: Sequence[str], tip: str = "") -> None:
        """Show a line of text that leads to these paths (none: plain text)."""
        self._paths = list(paths)
        if self.text() != text:
            self.setText(text)
        linked = bool(paths)
        if linked != self._linked:
            self._linked = linked
            _restyle(self, "role", "link" if linked else "text")
            self.setFocusPolicy(Qt.FocusPolicy.StrongFocus if linked else Qt.FocusPolicy.NoFocus)
            if linked:
                self.setCursor(Qt.CursorShape.PointingHandCursor)
            else:
                self.unsetCursor()
            font = self.font()
            font.setUnderline(linked)
            self.setFont(font)
        self.setAccessibleName(f"Go to finding: {text}" if linked else text)
        self.setToolTip((tip or "Go to the finding (Enter)") if linked else "")

    def activate(self) -> None:
        """Follow the link."""
        if self._paths:
            self.sig_activated.emit(list(self._paths))

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Enter, Return or Space follow the link."""
        if self._paths and event.key() in (
            Qt.Key.Key_Return,
            Qt.Key.Key_Enter,
            Qt.Key.Key_Space,
        ):
            self.activate()
            return
        super().keyPressEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        """A left click inside the text follows the link."""
        inside = self.rect().contains(event.position().toPoint())
        if self._paths and event.button() is Qt.MouseButton.LeftButton and inside:
            self.activate()
            return
        super().mouseReleaseEvent(event)


class _LinkList(QWidget):
    """A column of lines, each a finding link or plain text.

    Lines are reused, and spare ones hidden rather than deleted, because the lines change
    with nearly every finding charted.
    """

    def __init__(self, on_activated: Callable[[list[str]], None], parent: QWidget) -> None:
        super().__init__(parent)
        self._on_activated = on_activated
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(1)
        self._pool: list[FindingLink] = []
        self._count = 0

    @property
    def items(self) -> list[FindingLink]:
        """The lines shown, in order."""
        return self._pool[: self._count]

    def set_lines(self, lines: Sequence[tuple[str, Sequence[str], str]]) -> None:
        """Show (text, paths, tooltip) lines; lines without paths are plain text."""
        while len(self._pool) < len(lines):
            item = FindingLink(self)
            item.sig_activated.connect(self._on_activated)
            self._layout.addWidget(item)
            self._pool.append(item)
        for item, (text, paths, tip) in zip(self._pool, lines, strict=False):
            item.set_link(text, paths, tip)
            if item.isHidden():
                item.show()
        for spare in self._pool[len(lines) : self._count]:
            spare.hide()
        self._count = len(lines)
        _set_shown(self, bool(lines))

    def links(self) -> list[FindingLink]:
        """The lines that are links, in order."""
        return [item for item in self.items if item.is_link]


def _set_rich(label: QLabel, html: str) -> None:
    """Show rich text, hiding the label when there is none."""
    if label.text() != html:
        label.setText(html)
    _set_shown(label, bool(html))


def _rich_label(parent: QWidget, name: str) -> QLabel:
    label = QLabel(parent)
    label.setObjectName(name)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.RichText)
    return label


class SuggestionCard(QFrame):
    """One suggestion: severity, what fired it, why, what next, codes, and the choice made.

    Signals:
        sig_decided: carries the suggestion key and the Decision (None when cleared).
        sig_finding_requested: carries the exam paths of a reason the user followed.
    """

    sig_decided = Signal(str, object)
    """Emitted when the user accepts, dismisses, clears or comments on the suggestion."""
    sig_finding_requested = Signal(list)
    """Emitted with a reason's exam paths when the user follows it."""

    def __init__(self, suggestion: Suggestion, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.key = suggestion.key
        self.setObjectName(f"suggestion_{suggestion.key}")
        self.setProperty("card", "true")
        self._suggestion: Suggestion | None = None
        self._code_set = ""
        self._decision: Decision | None = None
        self._read_only = False

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 6, 6)
        layout.setSpacing(3)
        head = QHBoxLayout()
        head.setSpacing(6)
        self.badge = QLabel(self)
        self.badge.setObjectName(f"{self.key}_severity")
        self.badge.setProperty("badge", "true")
        head.addWidget(self.badge, 0, Qt.AlignmentFlag.AlignTop)
        self.title = QLabel(self)
        self.title.setObjectName(f"{self.key}_title")
        self.title.setWordWrap(True)
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        font = self.title.font()
        font.setBold(True)
        self.title.setFont(font)
        head.addWidget(self.title, 1)
        layout.addLayout(head)
        self.meta = QLabel(self)
        self.meta.setObjectName(f"{self.key}_meta")
        self.meta.setProperty("role", "muted")
        layout.addWidget(self.meta)

        # Details collapse once a suggestion is dismissed; title and choice stay.
        self.details = QWidget(self)
        details = QVBoxLayout(self.details)
        details.setContentsMargins(0, 0, 0, 0)
        details.setSpacing(3)
        self.reasons = _LinkList(self.sig_finding_requested.emit, self.details)
        self.reasons.setObjectName(f"{self.key}_reasons")
        details.addWidget(self.reasons)
        self.why = _rich_label(self.details, f"{self.key}_why")
        details.addWidget(self.why)
        self.next_step = _rich_label(self.details, f"{self.key}_next_step")
        details.addWidget(self.next_step)
        self.codes = _rich_label(self.details, f"{self.key}_codes")
        details.addWidget(self.codes)
        self.sources = QLabel(self.details)
        self.sources.setObjectName(f"{self.key}_sources")
        self.sources.setProperty("role", "muted")
        self.sources.setWordWrap(True)
        details.addWidget(self.sources)
        layout.addWidget(self.details)

        self.state = QLabel(self)
        self.state.setObjectName(f"{self.key}_state")
        self.state.setWordWrap(True)
        self.state.setTextFormat(Qt.TextFormat.PlainText)
        layout.addWidget(self.state)
        self.comment = QLineEdit(self)
        self.comment.setObjectName(f"{self.key}_comment")
        self.comment.setPlaceholderText("Comment (optional)")
        self.comment.setToolTip("Saved with your Accept or Dismiss.")
        self.comment.setMaxLength(MAX_COMMENT)
        self.comment.textEdited.connect(self._comment_edited)
        layout.addWidget(self.comment)
        buttons = QHBoxLayout()
        buttons.setSpacing(4)
        # One key each from anywhere on the card: C confirm, W working impression, D dismiss,
        # X change the decision (10.12: three answers).
        self.confirm_button = QPushButton("Confirm (C)", self)
        self.confirm_button.setObjectName(f"{self.key}_confirm")
        self.confirm_button.setToolTip(
            "Confirmed diagnosis: its diagnosis code is reported (key C on this card)."
        )
        self.confirm_button.clicked.connect(lambda: self._decide(Choice.CONFIRMED))
        self.accept_button = QPushButton("Working (W)", self)
        self.accept_button.setObjectName(f"{self.key}_accept")
        self.accept_button.setToolTip(
            "Working impression: only the sign and symptom codes are reported (key W)."
        )
        self.accept_button.clicked.connect(lambda: self._decide(Choice.WORKING))
        self.dismiss_button = QPushButton("Dismiss (D)", self)
        self.dismiss_button.setObjectName(f"{self.key}_dismiss")
        self.dismiss_button.setToolTip("Dismiss, with a comment if you like (key D).")
        self.dismiss_button.clicked.connect(lambda: self._decide(Choice.DISMISSED))
        self.change_button = QPushButton("Change decision (X)", self)
        self.change_button.setObjectName(f"{self.key}_change")
        self.change_button.clicked.connect(self._clear)
        for button in (
            self.confirm_button,
            self.accept_button,
            self.dismiss_button,
            self.change_button,
        ):
            button.setAutoDefault(False)
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.set_suggestion(suggestion, "")
        self._show_decision()

    # --- content ------------------------------------------------------------------------

    @property
    def suggestion(self) -> Suggestion:
        """The suggestion shown."""
        assert self._suggestion is not None
        return self._suggestion

    def set_suggestion(self, suggestion: Suggestion, code_set: str) -> None:
        """Show (another version of) the suggestion; the choice and comment stay."""
        if suggestion == self._suggestion and code_set == self._code_set:
            return
        self._suggestion = suggestion
        self._code_set = code_set
        word = SEVERITY_WORD[suggestion.severity]
        _restyle(self, "severity", suggestion.severity.value)
        _restyle(self.badge, "severity", suggestion.severity.value)
        self.badge.setText(word)
        self.title.setText(suggestion.title)
        self.setAccessibleName(f"{word.capitalize()}: {suggestion.title}")
        meta = [f"{suggestion.key}"]
        if suggestion.sides:
            meta.append(sides_text(suggestion))
        if suggestion.confidence is not None:
            meta.append(f"confidence {suggestion.confidence.value}")
        self.meta.setText(" · ".join(meta))
        self.reasons.set_lines(
            [
                (
                    reason.text,
                    paths_of(reason),
                    "Go to " + ", ".join(paths_of(reason)) + " (Enter)",
                )
                for reason in suggestion.reasons
            ]
        )
        _set_rich(self.why, f"<b>Why:</b> {escape(suggestion.why)}" if suggestion.why else "")
        _set_rich(
            self.next_step,
            f"<b>Next:</b> {escape(suggestion.next_step)}" if suggestion.next_step else "",
        )
        _set_rich(self.codes, self._codes_html(suggestion, code_set))
        sources = " ".join(f"[{tag}]" for tag in suggestion.sources)
        self.sources.setText(f"Sources: {sources}" if sources else "")
        _set_shown(self.sources, bool(sources))
        title = suggestion.title
        self.confirm_button.setAccessibleName(f"Confirm as a diagnosis: {title}")
        self.accept_button.setAccessibleName(f"Keep as a working impression: {title}")
        self.dismiss_button.setAccessibleName(f"Dismiss: {title}")
        self.change_button.setAccessibleName(f"Change decision on: {title}")
        self.comment.setAccessibleName(f"Comment on: {title}")

    @staticmethod
    def _codes_html(suggestion: Suggestion, code_set: str) -> str:
        """Codes to report now (signs and symptoms) apart from those once confirmed (10.12)."""
        if not suggestion.codes and not suggestion.coding_note:
            return ""
        lines: list[str] = []
        for when, heading in (
            (ReportWhen.NOW, "Report now (signs and symptoms)"),
            (ReportWhen.CONFIRMED, "Only once confirmed (diagnosis)"),
        ):
            codes = [c for c in suggestion.codes if c.report_when is when]
            if not codes:
                continue
            lines.append(f"<b>{heading}</b>, {escape(code_set)}:")
            for code in codes:
                side = (
                    f" ({code.laterality.value})"
                    if code.laterality is not Laterality.NOT_APPLICABLE
                    else ""
                )
                line = f"<b>{escape(code.code)}</b> {escape(code.description)}{side}"
                if code.note:
                    line += f" <i>{escape(code.note)}</i>"
                lines.append(line)
        if suggestion.coding_note:
            lines.append(f"<i>Coding note:</i> {escape(suggestion.coding_note)}")
        return "<br>".join(lines)

    # --- the choice -------------------------------------------------------------------------

    @property
    def decision(self) -> Decision | None:
        """The clinician's choice, if made."""
        return self._decision

    def set_decision(self, decision: Decision | None, read_only: bool) -> None:
        """Show a stored choice (no signal)."""
        self._decision = decision
        self._read_only = read_only
        comment = decision.comment if decision else ""
        if self.comment.text().strip() != comment and (decision or read_only):
            self.comment.setText(comment)
        self._show_decision()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """C, W, D decide and X changes the decision, from anywhere on the card."""
        keys = {
            Qt.Key.Key_C: Choice.CONFIRMED,
            Qt.Key.Key_W: Choice.WORKING,
            Qt.Key.Key_D: Choice.DISMISSED,
        }
        plain = event.modifiers() in (
            Qt.KeyboardModifier.NoModifier,
            Qt.KeyboardModifier.KeypadModifier,
        )
        if plain and not self._read_only:
            key = Qt.Key(event.key())
            if key in keys and self._decision is None:
                self._decide(keys[key])
                return
            if key is Qt.Key.Key_X and self._decision is not None:
                self._clear()
                return
        super().keyPressEvent(event)

    def _decide(self, choice: Choice) -> None:
        if self._read_only:
            return
        self._decision = Decision(choice=choice, comment=self.comment.text())
        self._show_decision()
        self.change_button.setFocus(Qt.FocusReason.OtherFocusReason)
        self.sig_decided.emit(self.key, self._decision)

    def _clear(self) -> None:
        if self._read_only or self._decision is None:
            return
        self._decision = None
        self._show_decision()
        self.confirm_button.setFocus(Qt.FocusReason.OtherFocusReason)
        self.sig_decided.emit(self.key, None)

    def _comment_edited(self, text: str) -> None:
        if self._read_only or self._decision is None:
            return  # kept in the box; stored with the choice
        self._decision = Decision(choice=self._decision.choice, comment=text)
        self.sig_decided.emit(self.key, self._decision)

    def _show_decision(self) -> None:
        decision = self._decision
        read_only = self._read_only
        if decision is None:
            state = "undecided"
            text = "No decision recorded when signed." if read_only else ""
        elif decision.choice is Choice.DISMISSED:
            state = "dismissed"
            text = "✗ Dismissed" + (" when signed" if read_only else "")
        else:
            state = "accepted"
            text = f"✓ {decision.choice.sentence}" + (" when signed" if read_only else "")
        if decision is not None and decision.comment and read_only:
            text += f": {decision.comment}"
        _restyle(self.state, "state", state)
        _restyle(self, "decided", state)
        self.state.setText(text)
        _set_shown(self.state, bool(text))
        decided = decision is not None
        _set_shown(self.confirm_button, not read_only and not decided)
        _set_shown(self.accept_button, not read_only and not decided)
        _set_shown(self.dismiss_button, not read_only and not decided)
        _set_shown(self.change_button, not read_only and decided)
        _set_shown(self.comment, not read_only)
        self.comment.setReadOnly(read_only)
        _set_shown(self.details, state != "dismissed")

    def tab_widgets(self) -> list[QWidget]:
        """The card's keyboard stops, in order."""
        stops: list[QWidget] = [*self.reasons.links()] if self.details.isVisibleTo(self) else []
        stops += [
            w
            for w in (
                self.comment,
                self.confirm_button,
                self.accept_button,
                self.dismiss_button,
                self.change_button,
            )
            if w.isVisibleTo(self)
        ]
        return stops


class GateCard(QFrame):
    """The pre-operative gate (R11 as amended in 10.12) while a tarsal tunnel release is planned.

    It lists every unmet item per side, each a link to its finding (the untested lumbar items
    one by one), says what was overridden or acknowledged and by whom, and offers the two
    audited actions: acknowledge that there are no nerve studies, and override the
    tunnel-evidence and competing-cause items with a written reason.

    Signals:
        sig_finding_requested: carries the paths of an item the user followed.
        sig_override_requested: the user asked to override items 3-4.
        sig_acknowledge_studies_requested: the user acknowledged signing without nerve studies.
    """

    sig_finding_requested = Signal(list)
    """Emitted with an unmet item's paths (or the written reason's) when followed."""
    sig_override_requested = Signal()
    """Emitted when the user presses Override."""
    sig_acknowledge_studies_requested = Signal()
    """Emitted when the user presses Acknowledge (no nerve studies)."""

    def __init__(self, label_of: Callable[[str], str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("r11_gate")
        self.setProperty("card", "true")
        self._label_of = label_of
        self._labels: dict[str, str] = {}
        self._shown: tuple[object, ...] | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 6, 6)
        layout.setSpacing(3)
        head = QHBoxLayout()
        self.badge = QLabel(self)
        self.badge.setObjectName("r11_gate_badge")
        self.badge.setProperty("badge", "true")
        head.addWidget(self.badge, 0, Qt.AlignmentFlag.AlignTop)
        self.title = QLabel(self)
        self.title.setObjectName("r11_gate_title")
        self.title.setWordWrap(True)
        font = self.title.font()
        font.setBold(True)
        self.title.setFont(font)
        head.addWidget(self.title, 1)
        layout.addLayout(head)
        self.meta = QLabel(self)
        self.meta.setObjectName("r11_gate_meta")
        self.meta.setProperty("role", "muted")
        layout.addWidget(self.meta)
        self.text = QLabel(self)
        self.text.setObjectName("r11_gate_text")
        self.text.setWordWrap(True)
        layout.addWidget(self.text)
        self.items = _LinkList(self.sig_finding_requested.emit, self)
        self.items.setObjectName("r11_gate_items")
        layout.addWidget(self.items)
        self.record = QLabel(self)
        self.record.setObjectName("r11_gate_record")
        self.record.setWordWrap(True)
        self.record.setTextFormat(Qt.TextFormat.PlainText)
        layout.addWidget(self.record)
        buttons = QHBoxLayout()
        buttons.setSpacing(4)
        self.studies_button = QPushButton("No nerve studies: acknowledge", self)
        self.studies_button.setObjectName("acknowledge_no_studies_button")
        self.studies_button.setToolTip(
            "Studies can be falsely negative: record (audited) that you sign without "
            "electrodiagnostic confirmation [MED-WORKUP][AHMAD]."
        )
        self.studies_button.clicked.connect(self.sig_acknowledge_studies_requested)
        self.override_button = QPushButton("Override…", self)
        self.override_button.setObjectName("override_gate_button")
        self.override_button.setToolTip(
            "Pass the tunnel-evidence and competing-cause items with your own written reason: "
            "named, timed and audited; printed on the visit note."
        )
        self.override_button.clicked.connect(self.sig_override_requested)
        for button in (self.studies_button, self.override_button):
            button.setAutoDefault(False)
            buttons.addWidget(button)
            button.hide()
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.why = _rich_label(self, "r11_gate_why")
        layout.addWidget(self.why)
        self.next_step = _rich_label(self, "r11_gate_next_step")
        layout.addWidget(self.next_step)
        self.sources = QLabel(self)
        self.sources.setObjectName("r11_gate_sources")
        self.sources.setProperty("role", "muted")
        self.sources.setWordWrap(True)
        layout.addWidget(self.sources)

    def _label(self, path: str) -> str:
        label = self._labels.get(path)
        if label is None:
            label = self._labels[path] = self._label_of(path)
        return label

    def _item_lines(self, checks: Sequence[GateCheck]) -> list[tuple[str, Sequence[str], str]]:
        """A line per unmet item (one for an item that reads the same on both sides)."""
        grouped: dict[tuple[GateItem, str, tuple[str, ...]], list[str]] = {}
        for check in checks:
            grouped.setdefault((check.item, check.label, check.paths), []).append(check.side.value)
        lines: list[tuple[str, Sequence[str], str]] = []
        for (item, label, paths), sides in grouped.items():
            where = " and ".join(sides).capitalize()
            if item is GateItem.LUMBAR_SCREEN:
                lines.append((f"{where}: {label} (Alt+N in a section fills its normal)", [], ""))
                for path in paths[:GATE_LINKS_SHOWN]:
                    lines.append(
                        (f"Not tested: {self._label(path)}", [path], f"Go to {path} (Enter)")
                    )
                rest = paths[GATE_LINKS_SHOWN:]
                if rest:
                    tip = "\n".join(self._label(p) for p in rest)
                    lines.append((f"…and {len(rest)} more untested items", [rest[0]], tip))
                continue
            tip = "Go to the written reason (Enter)" if item is GateItem.COMPETING_CAUSES else ""
            lines.append((f"{where}: {label}", list(paths), tip or "Go to the finding (Enter)"))
        return lines

    def show_gate(
        self,
        assessment: Assessment,
        suggestion: Suggestion | None,
        override: GateOverride | None = None,
        studies: StudiesAcknowledgement | None = None,
        *,
        can_act: bool = False,
    ) -> None:
        """Show every unmet item per side and what was overridden or acknowledged.

        When nothing is unmet it says the gate is open (or passed by override).
        """
        key = (assessment, suggestion, override, studies, can_act)
        if self._shown == key:
            return
        self._shown = key
        gate = assessment.gate
        blocked = gate.state is GateState.BLOCKED
        severity = "warning" if blocked else "ok"
        _restyle(self, "severity", severity)
        _restyle(self.badge, "severity", severity)
        badge = {
            GateState.BLOCKED: "BLOCKED",
            GateState.OVERRIDDEN: "OVERRIDDEN",
        }.get(gate.state, "GATE OPEN")
        self.badge.setText(badge)
        title = "Pre-operative gate: tarsal tunnel release"
        sides = " and ".join(side.value for side in gate.sides).capitalize()
        self.meta.setText(" · ".join(["R11", *([sides] if sides else [])]))
        if blocked:
            self.title.setText(f"{title}: signing is blocked")
            self.text.setText("Before this plan can be signed, for each planned side:")
        elif gate.state is GateState.OVERRIDDEN:
            self.title.setText(f"{title}: passed by override")
            self.text.setText("Signing may go ahead; the override prints on the visit note.")
        else:
            self.title.setText(f"{title}: open")
            self.text.setText(
                "The lumbar screen and the pulses are charted, the tunnel has its evidence, "
                "every competing cause has its written reason, and the nerve studies are in "
                "(or their absence acknowledged)."
            )
        lines = self._item_lines(gate.unmet)
        lines += [(note, [], "") for note in gate.advisories]
        self.items.set_lines(lines)
        record: list[str] = []
        if override is not None:
            when = override.at.astimezone()
            record.append(
                f"Overridden by {override.by_name} on {when:%Y-%m-%d %H:%M}: {override.reason}"
            )
        if studies is not None:
            when = studies.at.astimezone()
            record.append(
                f"No nerve studies: acknowledged by {studies.by_name} on {when:%Y-%m-%d %H:%M}."
            )
        self.record.setText("\n".join(record))
        _set_shown(self.record, bool(record))
        unmet_items = {check.item for check in gate.unmet}
        _set_shown(
            self.studies_button,
            can_act and GateItem.NERVE_STUDIES in unmet_items and studies is None,
        )
        _set_shown(
            self.override_button,
            can_act
            and bool(unmet_items & {GateItem.TUNNEL_EVIDENCE, GateItem.COMPETING_CAUSES})
            and override is None,
        )
        why = suggestion.why if suggestion and blocked else ""
        step = suggestion.next_step if suggestion and blocked else ""
        sources = " ".join(f"[{tag}]" for tag in suggestion.sources) if suggestion else ""
        _set_rich(self.why, f"<b>Why:</b> {escape(why)}" if why else "")
        _set_rich(self.next_step, f"<b>Next:</b> {escape(step)}" if step else "")
        self.sources.setText(f"Sources: {sources}" if sources else "")
        _set_shown(self.sources, bool(sources))
        self.setAccessibleName(self.title.text())

    def tab_widgets(self) -> list[QWidget]:
        """The gate's links and buttons, in order."""
        stops: list[QWidget] = list(self.items.links())
        stops += [b for b in (self.studies_button, self.override_button) if b.isVisibleTo(self)]
        return stops


class AssessmentPanel(QWidget):
    """The live assessment of the encounter, beside the exam form.

    Cards are rebuilt only when the assessment changes, and a card whose suggestion stays is
    updated in place, so recomputing on every keystroke stays cheap.

    Signals:
        sig_decision_changed: carries the key of a suggestion the user decided on.
        sig_finding_requested: carries the exam paths of a reason the user followed.
        sig_cards_changed: the set or order of keyboard stops changed (to re-chain Tab).
    """

    sig_decision_changed = Signal(str)
    """Emitted with the suggestion key after the user accepts, dismisses, clears or comments."""
    sig_finding_requested = Signal(list)
    """Emitted with the paths a followed reason points at (the first gets the cursor)."""
    sig_cards_changed = Signal()
    """Emitted after cards were added, removed, reordered or collapsed."""
    sig_override_requested = Signal()
    """Emitted when the user asks to override the gate's items 3-4 (R11)."""
    sig_acknowledge_studies_requested = Signal()
    """Emitted when the user acknowledges signing without nerve studies (R11)."""

    def __init__(self, label_of: Callable[[str], str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("assessment_panel")
        self.setStyleSheet(PANEL_STYLE)
        self._assessment: Assessment | None = None
        self._release_planned = False
        self._decisions: dict[str, Decision] = {}
        self._read_only = False
        self._cards: dict[str, SuggestionCard] = {}
        self._spare: dict[str, SuggestionCard] = {}
        """Cards of suggestions that stopped firing, hidden: charting often brings them back."""

        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(2)
        # Alt+T (an action of the encounter pane) jumps here; a buddy label cannot, because a
        # buddy that is a button gets clicked, and the first stop may be Accept.
        self.heading = QLabel("<b>Live assessment</b> <span style='color:#555'>(Alt+T)</span>")
        self.heading.setTextFormat(Qt.TextFormat.RichText)
        self.heading.setObjectName("assessment_heading")
        outer.addWidget(self.heading)
        intro = QLabel(
            "Suggestions, not diagnoses: on each card C confirms, W keeps it as a working "
            "impression, D dismisses. They update as you chart.",
            self,
        )
        intro.setProperty("role", "muted")
        intro.setWordWrap(True)
        outer.addWidget(intro)

        self.scroll_area = QScrollArea(self)
        self.scroll_area.setObjectName("assessment_scroll")
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.body = QWidget()
        self.body.setObjectName("assessment_body")
        self.cards_layout = QVBoxLayout(self.body)
        self.cards_layout.setContentsMargins(0, 2, 6, 2)
        self.cards_layout.setSpacing(6)
        self.scroll_area.setWidget(self.body)
        outer.addWidget(self.scroll_area, 1)

        self._gate_record: tuple[GateOverride | None, StudiesAcknowledgement | None, bool] = (
            None,
            None,
            False,
        )
        self.gate = GateCard(label_of, self.body)
        self.gate.sig_finding_requested.connect(self.sig_finding_requested)
        self.gate.sig_override_requested.connect(self.sig_override_requested)
        self.gate.sig_acknowledge_studies_requested.connect(self.sig_acknowledge_studies_requested)
        self.gate.hide()
        self.cards_layout.addWidget(self.gate)
        self.held_back = QLabel(self.body)
        self.held_back.setObjectName("held_back_count")
        self.held_back.setWordWrap(True)
        self.held_back.setProperty("role", "muted")
        self.held_back.hide()
        self.cards_layout.addWidget(self.held_back)
        self.empty = QLabel(
            "No suggestions. Findings charted in the exam update this list as you go.", self.body
        )
        self.empty.setObjectName("assessment_empty")
        self.empty.setWordWrap(True)
        self.empty.setProperty("role", "muted")
        self.cards_layout.addWidget(self.empty)
        self.orphans = QLabel(self.body)
        self.orphans.setObjectName("assessment_other_decisions")
        self.orphans.setWordWrap(True)
        self.orphans.setProperty("role", "muted")
        self.orphans.hide()
        self.cards_layout.addWidget(self.orphans)
        self.code_note = QLabel(self.body)
        self.code_note.setObjectName("assessment_code_set")
        self.code_note.setWordWrap(True)
        self.code_note.setProperty("role", "muted")
        self.cards_layout.addWidget(self.code_note)
        self.cards_layout.addStretch(1)

    # --- what is shown ----------------------------------------------------------------------

    @property
    def assessment(self) -> Assessment | None:
        """The assessment on screen."""
        return self._assessment

    def card(self, key: str) -> SuggestionCard | None:
        """The card of a shown suggestion."""
        return self._cards.get(key)

    @property
    def keys(self) -> list[str]:
        """The keys of the cards on screen, in order."""
        return list(self._cards)

    def show_assessment(self, assessment: Assessment, *, release_planned: bool) -> bool:
        """Show an assessment; False (and nothing touched) when it is what is already shown."""
        if assessment == self._assessment and release_planned == self._release_planned:
            return False
        self._assessment = assessment
        self._release_planned = release_planned
        code_set = " ".join(p for p in (assessment.code_system, assessment.code_version) if p)
        shown = [s for s in assessment.shown if s.rule != GATE_RULE]
        wanted = [s.key for s in shown]
        for key in [k for k in self._cards if k not in wanted]:
            gone = self._cards.pop(key)
            gone.hide()
            self._spare[key] = gone
        order_changed = list(self._cards) != [k for k in wanted if k in self._cards]
        for suggestion in shown:
            card = self._cards.get(suggestion.key)
            if card is None:
                card = self._spare.pop(suggestion.key, None) or self._new_card(suggestion)
                card.set_decision(self._decisions.get(suggestion.key), self._read_only)
                self._cards[suggestion.key] = card
                order_changed = True
            card.set_suggestion(suggestion, code_set)
        if order_changed:
            self._cards = {key: self._cards[key] for key in wanted}
            # Urgent cards first, then the gate (it decides whether the plan can be signed),
            # then the rest in the assessment's order.
            urgent = sum(1 for s in shown if s.severity is Severity.URGENT)
            sequence: list[QWidget] = [self._cards[key] for key in wanted]
            sequence.insert(urgent, self.gate)
            for widget in sequence:
                self.cards_layout.removeWidget(widget)
            for index, widget in enumerate(sequence):
                self.cards_layout.insertWidget(index, widget)
            for card in self._cards.values():
                if card.isHidden():
                    card.show()

        if release_planned:
            gate = next((s for s in assessment.shown if s.rule == GATE_RULE), None)
            override, studies, can_act = self._gate_record
            self.gate.show_gate(assessment, gate, override, studies, can_act=can_act)
        _set_shown(self.gate, release_planned)
        held = len(assessment.held_back)
        self.held_back.setText(
            f"{held} routine suggestion{'s' if held != 1 else ''} held back until the urgent "
            "alert is acknowledged."
        )
        _set_shown(self.held_back, held > 0)
        _set_shown(self.empty, not shown and not held and not release_planned)
        self.code_note.setText(
            f"Codes are {code_set}: check them against the current code set before billing."
            if code_set and any(s.codes for s in shown)
            else ""
        )
        _set_shown(self.code_note, bool(self.code_note.text()))
        self._show_orphans()
        self.sig_cards_changed.emit()
        return True

    def _new_card(self, suggestion: Suggestion) -> SuggestionCard:
        card = SuggestionCard(suggestion, self.body)
        card.hide()
        card.sig_decided.connect(self._decided)
        card.sig_finding_requested.connect(self.sig_finding_requested)
        self.cards_layout.insertWidget(0, card)
        return card

    def set_gate_record(
        self,
        override: GateOverride | None,
        studies: StudiesAcknowledgement | None,
        *,
        can_act: bool,
    ) -> None:
        """The gate's override and acknowledgement as stored, and whether the user may act.

        Shown with the next assessment.
        """
        self._gate_record = (override, studies, can_act)

    # --- decisions --------------------------------------------------------------------------

    def decisions(self) -> dict[str, Decision]:
        """Suggestion key -> the clinician's choice (including suggestions no longer shown)."""
        return dict(self._decisions)

    def set_decisions(self, decisions: Mapping[str, Decision], *, read_only: bool) -> None:
        """Show stored choices; read-only for signed encounters and read-only accounts."""
        self._decisions = dict(decisions)
        self._read_only = read_only
        for key, card in self._cards.items():
            card.set_decision(self._decisions.get(key), read_only)
        self._show_orphans()
        self.sig_cards_changed.emit()

    @property
    def read_only(self) -> bool:
        """True while choices cannot be changed."""
        return self._read_only

    def _decided(self, key: str, decision: Decision | None) -> None:
        if decision is None:
            self._decisions.pop(key, None)
        else:
            self._decisions[key] = decision
        self.sig_decision_changed.emit(key)
        self.sig_cards_changed.emit()

    def _show_orphans(self) -> None:
        """Choices on suggestions that no longer fire are kept, and said so."""
        fired = set(self._assessment.keys) if self._assessment is not None else set()
        orphans = [(k, d) for k, d in self._decisions.items() if k not in fired]
        self.orphans.setText(
            "Decisions kept on suggestions that do not apply now: "
            + "; ".join(f"{k}: {d.choice.sentence.lower()}" for k, d in orphans)
            if orphans
            else ""
        )
        _set_shown(self.orphans, bool(orphans))

    # --- keyboard ---------------------------------------------------------------------------

    def tab_widgets(self) -> list[QWidget]:
        """Every keyboard stop of the panel, top to bottom."""
        stops: list[QWidget] = self.gate.tab_widgets() if self.gate.isVisibleTo(self) else []
        for card in self._cards.values():
            stops.extend(card.tab_widgets())
        return stops

    def focus_first(self) -> None:
        """Put the cursor on the first stop of the panel (Alt+T)."""
        stops = self.tab_widgets()
        if stops:
            stops[0].setFocus(Qt.FocusReason.ShortcutFocusReason)
            self.scroll_area.ensureWidgetVisible(stops[0])


class RedFlagBanner(QFrame):
    """The urgent red-flag alert (R0) across the encounter until it is acknowledged.

    After acknowledgement a quiet line says who acknowledged it and when; a red flag added
    later brings the alert back.

    Signals:
        sig_acknowledge_requested: the user pressed Acknowledge.
        sig_finding_requested: carries the paths of a red flag the user followed.
    """

    sig_acknowledge_requested = Signal()
    """Emitted when the user presses Acknowledge (Alt+K)."""
    sig_finding_requested = Signal(list)
    """Emitted with a red flag's paths when the user follows it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("red_flag_banner")
        self._alert = True
        self.setStyleSheet(BANNER_ALERT_STYLE)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 6)
        layout.setSpacing(2)
        top = QHBoxLayout()
        self.title = QLabel(self)
        self.title.setObjectName("red_flag_title")
        self.title.setWordWrap(True)
        font = self.title.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.15)
        self.title.setFont(font)
        top.addWidget(self.title, 1)
        self.acknowledge_button = QPushButton("Ac&knowledge", self)
        self.acknowledge_button.setObjectName("acknowledge_red_flags_button")
        self.acknowledge_button.setAccessibleName("Acknowledge the urgent red-flag alert")
        self.acknowledge_button.setToolTip(
            "Record that you have seen this alert (Alt+K); it is saved and audited."
        )
        self.acknowledge_button.setAutoDefault(False)
        self.acknowledge_button.clicked.connect(self.sig_acknowledge_requested)
        top.addWidget(self.acknowledge_button, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(top)
        self.reasons = _LinkList(self.sig_finding_requested.emit, self)
        self.reasons.setObjectName("red_flag_reasons")
        layout.addWidget(self.reasons)
        self.next_step = QLabel(self)
        self.next_step.setObjectName("red_flag_next_step")
        self.next_step.setWordWrap(True)
        self.next_step.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(self.next_step)
        self.acknowledged = QLabel(self)
        self.acknowledged.setObjectName("red_flag_acknowledged")
        self.acknowledged.setWordWrap(True)
        layout.addWidget(self.acknowledged)
        self.hide()

    @property
    def alerting(self) -> bool:
        """True while the red alert (not the quiet acknowledged line) is on screen."""
        return not self.isHidden() and self._alert

    def show_state(
        self,
        assessment: Assessment,
        acknowledgement: RedFlagAcknowledgement | None,
        *,
        can_acknowledge: bool,
    ) -> None:
        """Alert while urgent flags are unacknowledged, a quiet line once they are."""
        if not assessment.urgent_flags:
            _set_shown(self, False)
            return
        alert = not assessment.urgent_acknowledged
        if alert != self._alert:
            self._alert = alert
            self.setStyleSheet(BANNER_ALERT_STYLE if alert else BANNER_QUIET_STYLE)
        urgent_all = [s for s in assessment.suggestions if s.severity is Severity.URGENT]
        for widget in (self.title, self.reasons, self.next_step):
            _set_shown(widget, alert)
        _set_shown(self.acknowledge_button, alert and can_acknowledge)
        _set_shown(self.acknowledged, not alert)
        if alert:
            # One line per urgent suggestion (cauda equina R0, major weakness R16), each with
            # its own findings and next step.
            title = " / ".join(s.title for s in urgent_all) or "Urgent red flags"
            self.title.setText(f"URGENT: {title}")
            self.setAccessibleName(f"Urgent alert: {title}")
            lines: list[tuple[str, Sequence[str], str]] = []
            for suggestion in urgent_all:
                if len(urgent_all) > 1:
                    lines.append((f"{suggestion.key}: {suggestion.title}", [], ""))
                lines += [
                    (reason.text, paths_of(reason), "Go to the finding (Enter)")
                    for reason in suggestion.reasons
                ]
            if not urgent_all:
                lines = [
                    (flag.replace("_", " "), [path], "")
                    for flag, path in zip(
                        assessment.urgent_flags, assessment.urgent_paths, strict=False
                    )
                ]
            self.reasons.set_lines(lines)
            steps = [escape(s.next_step) for s in urgent_all if s.next_step]
            self.next_step.setText(
                "<b>Next:</b> " + "<br><b>Next:</b> ".join(steps) if steps else ""
            )
            _set_shown(self.next_step, bool(steps))
        elif acknowledgement is not None:
            when = acknowledgement.at.astimezone()
            flags = ", ".join(flag.replace("_", " ") for flag in acknowledgement.flags)
            self.acknowledged.setText(
                f"Urgent red-flag alert ({flags}) acknowledged by {acknowledgement.by_name} "
                f"on {when:%Y-%m-%d %H:%M}."
            )
            self.setAccessibleName("Urgent alert acknowledged")
        _set_shown(self, True)

    def tab_widgets(self) -> list[QWidget]:
        """The banner's keyboard stops: its red-flag links, then Acknowledge."""
        if not self.alerting:
            return []
        stops: list[QWidget] = list(self.reasons.links())
        if self.acknowledge_button.isVisibleTo(self):
            stops.append(self.acknowledge_button)
        return stops
