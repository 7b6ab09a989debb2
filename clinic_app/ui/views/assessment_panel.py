"""The live assessment beside the exam: the gate card, suggestion cards and the red-flag banner.

The panel draws what ``ui.presenters.assessment_panel`` works out and collects the
clinician's choices; the encounter pane runs the rules and saves. The pre-operative gate is
pinned at the top, outside the cards' scroll area; each card is a one-line head (severity and
title) with its decision keys, and opens (Enter, Space, a click or its arrow) to show why,
what next, the findings that fired it, sources and codes. Every reason that names findings is
a link: following it puts the cursor on the finding.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from html import escape

from PySide6.QtCore import QEvent, QObject, QSize, Qt, Signal
from PySide6.QtGui import QFocusEvent, QKeyEvent, QMouseEvent, QPainter, QPaintEvent, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from clinic_app.domain.assessment.model import Assessment
from clinic_app.domain.assessment.record import (
    MAX_COMMENT,
    Choice,
    Decision,
    GateOverride,
    RedFlagAcknowledgement,
    StudiesAcknowledgement,
)

# Re-exported: the encounter pane and the panel's tests name them from here.
from clinic_app.ui.flow_layout import FlowLayout
from clinic_app.ui.presenters.assessment_panel import (
    GATE_LINKS_SHOWN as GATE_LINKS_SHOWN,
)
from clinic_app.ui.presenters.assessment_panel import (
    REASON_FOR_GATE as REASON_FOR_GATE,
)
from clinic_app.ui.presenters.assessment_panel import (
    AssessmentPanelPresenter,
    CardState,
    GateCardState,
    GateRecord,
    Line,
    banner_state,
    decision_state,
)

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
QToolButton[disclosure="true"] { border: 1px solid transparent; border-radius: 2px; }
QToolButton[disclosure="true"]:focus { background: #dcebff; border: 1px solid #1c5fb8; }
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

GATE_LIST_SHARE = 3
"""The gate's list of unmet items takes at most a third of the panel's height (it scrolls),
so the pinned gate never pushes the cards off a 768-pixel screen."""
ACTIVATE_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space)
ANSWER_LABELS = (("Confirm (C)", "Confirm"), ("Working (W)", "Working"), ("Dismiss (D)", "Dismiss"))
"""The answers with their keys, or without when a row of them with keys would not fit."""
ANSWER_LETTERS = ("C", "W", "D")
"""The answers on a closed card, one line with its title (each button's tooltip says more)."""
QWIDGETSIZE_MAX = (1 << 24) - 1
"""Qt's largest widget size (no maximum)."""
DECISION_KEYS = {
    Qt.Key.Key_C: Choice.CONFIRMED,
    Qt.Key.Key_W: Choice.WORKING,
    Qt.Key.Key_D: Choice.DISMISSED,
}


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


def _set_text(label: QLabel, text: str) -> None:
    """Set a label's text, hiding the label when there is none."""
    if label.text() != text:
        label.setText(text)
    _set_shown(label, bool(text))


def _label(parent: QWidget, name: str, *, rich: bool = False, role: str = "") -> QLabel:
    label = QLabel(parent)
    label.setObjectName(name)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.RichText if rich else Qt.TextFormat.PlainText)
    if role:
        label.setProperty("role", role)
    return label


def _ensure_visible(widget: QWidget) -> None:
    """Scroll the nearest scroll area around a widget so that the widget is in view."""
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, QScrollArea):
            parent.ensureWidgetVisible(widget, 4, 4)
            return
        parent = parent.parentWidget()


def _disclosure(parent: QWidget, name: str) -> QToolButton:
    """A small arrow that opens and closes a card's body (Space or Enter on it, or a click)."""
    button = QToolButton(parent)
    button.setObjectName(name)
    button.setProperty("disclosure", "true")
    button.setArrowType(Qt.ArrowType.RightArrow)
    button.setAutoRaise(True)
    button.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
    button.setCheckable(True)
    return button


class TitleLabel(QLabel):
    """A title on one line, cut with '…' to the width, or wrapped in full when opened.

    ``text()`` is always the whole title; the tooltip shows it while it is cut.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.setContentsMargins(0, 1, 0, 0)  # level with the badge's text
        self._one_line = True
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

    def set_one_line(self, one_line: bool) -> None:
        """One line (cut with '…') or the whole title wrapped."""
        if one_line == self._one_line:
            return
        self._one_line = one_line
        self.setWordWrap(not one_line)
        across = QSizePolicy.Policy.Ignored if one_line else QSizePolicy.Policy.Preferred
        policy = QSizePolicy(across, QSizePolicy.Policy.Preferred)
        policy.setHeightForWidth(not one_line)  # wrapped, its height follows its width
        self.setSizePolicy(policy)
        self.updateGeometry()
        self.update()

    def minimumSizeHint(self) -> QSize:
        """On one line it can shrink to a few letters; wrapped, as a label."""
        if not self._one_line:
            return super().minimumSizeHint()
        metrics = self.fontMetrics()
        return QSize(metrics.horizontalAdvance("Mmm…"), metrics.height() + 1)

    def sizeHint(self) -> QSize:
        """On one line: the whole title's width, one line high."""
        if not self._one_line:
            return super().sizeHint()
        metrics = self.fontMetrics()
        return QSize(metrics.horizontalAdvance(self.text()) + 4, metrics.height() + 1)

    def is_cut(self) -> bool:
        """True when the title does not fit on its one line."""
        return self._one_line and (
            self.fontMetrics().horizontalAdvance(self.text()) > self.contentsRect().width()
        )

    def paintEvent(self, event: QPaintEvent) -> None:
        """On one line, draw the title cut with '…' to the width."""
        if not self._one_line:
            super().paintEvent(event)
            return
        painter = QPainter(self)
        rect = self.contentsRect()
        text = self.fontMetrics().elidedText(self.text(), Qt.TextElideMode.ElideRight, rect.width())
        self.style().drawItemText(
            painter,
            rect,
            int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop),
            self.palette(),
            self.isEnabled(),
            text,
            self.foregroundRole(),
        )


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
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)

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

    def focusInEvent(self, event: QFocusEvent) -> None:
        """A link reached with Tab scrolls into view, also inside the gate's own list."""
        super().focusInEvent(event)
        _ensure_visible(self)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Enter, Return or Space follow the link."""
        if self._paths and event.key() in ACTIVATE_KEYS:
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

    @property
    def spacing(self) -> int:
        """The pixels between two lines."""
        return self._layout.spacing()

    def set_lines(self, lines: Sequence[Line]) -> None:
        """Show lines; lines without paths are plain text."""
        while len(self._pool) < len(lines):
            item = FindingLink(self)
            item.sig_activated.connect(self._on_activated)
            self._layout.addWidget(item)
            self._pool.append(item)
        for item, line in zip(self._pool, lines, strict=False):
            item.set_link(line.text, line.paths, line.tip)
            if item.isHidden():
                item.show()
        for spare in self._pool[len(lines) : self._count]:
            spare.hide()
        self._count = len(lines)
        _set_shown(self, bool(lines))

    def links(self) -> list[FindingLink]:
        """The lines that are links, in order."""
        return [item for item in self.items if item.is_link]


def codes_html(state: CardState) -> str:
    """Codes to report now (signs and symptoms) apart from those once confirmed (10.12)."""
    lines: list[str] = []
    for group in state.code_groups:
        lines.append(f"<b>{escape(group.heading)}</b>, {escape(group.code_set)}:")
        for code in group.codes:
            line = f"<b>{escape(code.code)}</b> {escape(code.description)}"
            if code.side:
                line += f" ({escape(code.side)})"
            if code.note:
                line += f" <i>{escape(code.note)}</i>"
            lines.append(line)
    if state.coding_note:
        lines.append(f"<i>Coding note:</i> {escape(state.coding_note)}")
    return "<br>".join(lines)


def _labelled(word: str, text: str) -> str:
    """'<b>Why:</b> text' (escaped), or '' without text."""
    return f"<b>{word}:</b> {escape(text)}" if text else ""


class SuggestionCard(QFrame):
    """One suggestion: a one-line head (severity, title) with the decision, opened for the rest.

    Opened, it shows the key, sides and confidence, the findings that fired it (links), why,
    what next, the codes by when they are reported, the sources and a comment box. C, W and D
    decide and X changes the decision from anywhere on the card; Enter or Space on the arrow
    (or a click on the head) opens and closes it. A card the cursor is sent to from elsewhere
    (a refused signature) opens by itself.

    Signals:
        sig_decided: carries the suggestion key and the Decision (None when cleared).
        sig_finding_requested: carries the exam paths of a reason the user followed.
        sig_expanded: the card opened or closed (its keyboard stops changed).
    """

    sig_decided = Signal(str, object)
    """Emitted when the user accepts, dismisses, clears or comments on the suggestion."""
    sig_finding_requested = Signal(list)
    """Emitted with a reason's exam paths when the user follows it."""
    sig_expanded = Signal(str, bool)
    """Emitted with the key and whether the card is now open."""

    def __init__(self, state: CardState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.key = state.key
        self.setObjectName(f"suggestion_{state.key}")
        self.setProperty("card", "true")
        self._state: CardState | None = None
        self._decision: Decision | None = None
        self._read_only = False
        self._expanded = False
        self._moving_focus = False
        self._answers_width = 0
        """The width the answers need on one row with their keys (0: not measured yet)."""

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 5)
        layout.setSpacing(3)
        self._build_head(layout)
        self._build_details(layout)
        self._build_decision(layout)
        self.show_state(state)
        self._show_decision()

    def _build_head(self, layout: QVBoxLayout) -> None:
        self.head = QWidget(self)
        head = QHBoxLayout(self.head)
        head.setContentsMargins(0, 0, 0, 0)
        head.setSpacing(5)
        self.expand_button = _disclosure(self.head, f"{self.key}_expand")
        self.expand_button.toggled.connect(self.set_expanded)
        head.addWidget(self.expand_button, 0, Qt.AlignmentFlag.AlignTop)
        self.badge = QLabel(self.head)
        self.badge.setObjectName(f"{self.key}_severity")
        self.badge.setProperty("badge", "true")
        head.addWidget(self.badge, 0, Qt.AlignmentFlag.AlignTop)
        self.title = TitleLabel(self.head)
        self.title.setObjectName(f"{self.key}_title")
        font = self.title.font()
        font.setBold(True)
        self.title.setFont(font)
        head.addWidget(self.title, 1)
        # Opened, the head reads key, sides and confidence, and the title gets its own lines.
        self.meta = _label(self.head, f"{self.key}_meta", role="muted")
        self.meta.hide()
        head.addWidget(self.meta, 1)
        self._head_layout = head
        self._layout = layout
        layout.addWidget(self.head)

    def _build_details(self, layout: QVBoxLayout) -> None:
        # The body: hidden until the card is opened, and folded away once dismissed.
        self.details = QWidget(self)
        self.details.setObjectName(f"{self.key}_details")
        details = QVBoxLayout(self.details)
        details.setContentsMargins(0, 0, 0, 0)
        details.setSpacing(3)
        self.reasons = _LinkList(self.sig_finding_requested.emit, self.details)
        self.reasons.setObjectName(f"{self.key}_reasons")
        details.addWidget(self.reasons)
        self.why = _label(self.details, f"{self.key}_why", rich=True)
        details.addWidget(self.why)
        self.next_step = _label(self.details, f"{self.key}_next_step", rich=True)
        details.addWidget(self.next_step)
        self.codes = _label(self.details, f"{self.key}_codes", rich=True)
        details.addWidget(self.codes)
        self.sources = _label(self.details, f"{self.key}_sources", role="muted")
        details.addWidget(self.sources)
        self.comment = QLineEdit(self.details)
        self.comment.setObjectName(f"{self.key}_comment")
        self.comment.setPlaceholderText("Comment (optional)")
        self.comment.setToolTip("Saved with your decision.")
        self.comment.setMaxLength(MAX_COMMENT)
        self.comment.textEdited.connect(self._comment_edited)
        details.addWidget(self.comment)
        self.details.hide()
        layout.addWidget(self.details)

    def _build_decision(self, layout: QVBoxLayout) -> None:
        # The choice made (and Change), or the three answers: on screen open or closed, so
        # Alt+T and a refused signature can put the cursor on them.
        # Closed, the box sits at the end of the head's line with one-letter buttons (the
        # card is one line); opened, it has its own line with the buttons' words.
        self.decision_box = QWidget(self)
        made = QHBoxLayout(self.decision_box)
        made.setContentsMargins(0, 0, 0, 0)
        made.setSpacing(4)
        self.state = _label(self.decision_box, f"{self.key}_state")
        made.addWidget(self.state, 1)
        self.change_button = QPushButton("Change (X)", self.decision_box)
        self.change_button.setObjectName(f"{self.key}_change")
        self.change_button.setToolTip("Change the decision (key X on this card).")
        self.change_button.clicked.connect(self._clear)
        made.addWidget(self.change_button, 0, Qt.AlignmentFlag.AlignTop)
        self.answers = QWidget(self.decision_box)
        self.answers.setObjectName(f"{self.key}_answers")
        answers = FlowLayout(self.answers)
        # One key each from anywhere on the card: C confirm, W working impression, D dismiss,
        # X change the decision (10.12: three answers).
        self.confirm_button = QPushButton("Confirm (C)", self.answers)
        self.confirm_button.setObjectName(f"{self.key}_confirm")
        self.confirm_button.setToolTip(
            "Confirmed diagnosis: its diagnosis code is reported (key C on this card)."
        )
        self.confirm_button.clicked.connect(lambda: self._decide(Choice.CONFIRMED))
        self.accept_button = QPushButton("Working (W)", self.answers)
        self.accept_button.setObjectName(f"{self.key}_accept")
        self.accept_button.setToolTip(
            "Working impression: only the sign and symptom codes are reported (key W)."
        )
        self.accept_button.clicked.connect(lambda: self._decide(Choice.WORKING))
        self.dismiss_button = QPushButton("Dismiss (D)", self.answers)
        self.dismiss_button.setObjectName(f"{self.key}_dismiss")
        self.dismiss_button.setToolTip("Dismiss, with a comment if you like (key D).")
        self.dismiss_button.clicked.connect(lambda: self._decide(Choice.DISMISSED))
        for button in (self.confirm_button, self.accept_button, self.dismiss_button):
            answers.addWidget(button)
        made.addWidget(self.answers, 0, Qt.AlignmentFlag.AlignTop)
        self.decision_box.setSizePolicy(QSizePolicy.Policy.Minimum, QSizePolicy.Policy.Preferred)
        self._head_layout.addWidget(self.decision_box, 0, Qt.AlignmentFlag.AlignTop)
        for watched in (*self._buttons(), self.expand_button):
            watched.installEventFilter(self)
            if isinstance(watched, QPushButton):
                watched.setAutoDefault(False)

    def _buttons(self) -> tuple[QAbstractButton, ...]:
        return (self.confirm_button, self.accept_button, self.dismiss_button, self.change_button)

    def _answer_buttons(self) -> tuple[QPushButton, ...]:
        return (self.confirm_button, self.accept_button, self.dismiss_button)

    def _fit_answers(self) -> None:
        """Label the answers for the room there is.

        Closed: one letter each. Opened: with their keys ("Confirm (C)") when the three fit
        on one row, else without.
        """
        buttons = self._answer_buttons()
        if not self._expanded:
            # As narrow as a letter (a push button's own minimum would take the title's room).
            narrow = self.fontMetrics().horizontalAdvance("W") + 14
            letters = (*ANSWER_LETTERS, "X")
            for button, letter in zip((*buttons, self.change_button), letters, strict=True):
                if button.text() != letter:
                    button.setText(letter)
                button.setFixedWidth(narrow)
            return
        for button in (*buttons, self.change_button):
            button.setMinimumWidth(0)
            button.setMaximumWidth(QWIDGETSIZE_MAX)
        self.change_button.setText("Change (X)")
        if not self._answers_width:
            for button, (long, _short) in zip(buttons, ANSWER_LABELS, strict=True):
                button.setText(long)
            spacing = 4 * (len(buttons) - 1)
            self._answers_width = sum(b.sizeHint().width() for b in buttons) + spacing
        room = self.contentsRect().width() - 14
        fits = self._answers_width <= room
        for button, (long, short) in zip(buttons, ANSWER_LABELS, strict=True):
            text = long if fits else short
            if button.text() != text:
                button.setText(text)

    def resizeEvent(self, event: QResizeEvent) -> None:
        """A new width may fit the answers with their keys, or not."""
        super().resizeEvent(event)
        self._fit_answers()

    def changeEvent(self, event: QEvent) -> None:
        """A new font or style measures the answers again."""
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self._answers_width = 0
        super().changeEvent(event)

    # --- content ------------------------------------------------------------------------

    @property
    def suggestion_state(self) -> CardState:
        """What the card shows."""
        assert self._state is not None
        return self._state

    def show_state(self, state: CardState) -> None:
        """Show (another version of) the card's state; the choice, comment and opening stay."""
        if state == self._state:
            return
        self._state = state
        word = state.severity_word
        _restyle(self, "severity", state.severity.value)
        _restyle(self.badge, "severity", state.severity.value)
        self.badge.setText(word)
        self.title.setText(state.title)
        self.setAccessibleName(state.one_line)
        self._tip_title()
        self.meta.setText(state.meta)
        self.reasons.set_lines(state.reasons)
        _set_text(self.why, _labelled("Why", state.why))
        _set_text(self.next_step, _labelled("Done" if state.next_done else "Next", state.next_step))
        _set_text(self.codes, codes_html(state))
        _set_text(self.sources, f"Sources: {state.sources}" if state.sources else "")
        title = state.title
        self.confirm_button.setAccessibleName(f"Confirm as a diagnosis: {title}")
        self.accept_button.setAccessibleName(f"Keep as a working impression: {title}")
        self.dismiss_button.setAccessibleName(f"Dismiss: {title}")
        self.change_button.setAccessibleName(f"Change decision on: {title}")
        self.comment.setAccessibleName(f"Comment on: {title}")

    def _tip_title(self) -> None:
        verb = "Hide" if self._expanded else "Show"
        title = self.title.text()
        self.expand_button.setAccessibleName(f"{verb} details: {title}")
        self.expand_button.setToolTip(f"{verb} why, next step, findings, sources and codes")
        self.title.setToolTip("" if self._expanded else title)

    # --- opening ------------------------------------------------------------------------

    @property
    def expanded(self) -> bool:
        """True while the card's body is open."""
        return self._expanded

    def set_expanded(self, expanded: bool) -> None:
        """Open or close the card's body (a dismissed card's body stays folded)."""
        if expanded == self._expanded:
            return
        self._expanded = expanded
        if self.expand_button.isChecked() != expanded:
            self.expand_button.setChecked(expanded)
        arrow = Qt.ArrowType.DownArrow if expanded else Qt.ArrowType.RightArrow
        self.expand_button.setArrowType(arrow)
        self._tip_title()
        self._show_decision()
        self.sig_expanded.emit(self.key, expanded)

    def _place_title(self, opened: bool) -> None:
        """Closed: the title on the head's line. Opened: on its own lines, under the head."""
        if opened == (self.title.parentWidget() is self):
            return
        focused = QApplication.focusWidget()
        if opened:
            self._head_layout.removeWidget(self.title)
            self._layout.insertWidget(1, self.title)
            self._head_layout.removeWidget(self.decision_box)
            self._layout.addWidget(self.decision_box)
        else:
            self._layout.removeWidget(self.title)
            self._head_layout.insertWidget(2, self.title, 1)
            self._layout.removeWidget(self.decision_box)
            self._head_layout.addWidget(self.decision_box, 0, Qt.AlignmentFlag.AlignTop)
        self.decision_box.show()  # moving it hid it (a new parent)
        # On the head's line it keeps its one row of letters; on its own line, it wraps.
        across = QSizePolicy.Policy.Preferred if opened else QSizePolicy.Policy.Minimum
        self.decision_box.setSizePolicy(across, QSizePolicy.Policy.Preferred)
        self.title.set_one_line(not opened)
        _set_shown(self.meta, opened)
        if focused is not None and self.decision_box.isAncestorOf(focused):
            # Moving the decision took the cursor off it: put it back where it was.
            self._moving_focus = True
            try:
                focused.setFocus(Qt.FocusReason.OtherFocusReason)
            finally:
                self._moving_focus = False

    def toggle(self) -> None:
        """Open a closed card, close an open one."""
        self.set_expanded(not self._expanded)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        """A left click on the head or the title opens or closes the card."""
        at = event.position().toPoint()
        on_head = self.head.geometry().contains(at) or (
            self.title.parentWidget() is self and self.title.geometry().contains(at)
        )
        if event.button() is Qt.MouseButton.LeftButton and on_head:
            self.toggle()
            return
        super().mouseReleaseEvent(event)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """The cursor sent to a decision from elsewhere opens the card; Enter on the arrow."""
        if event.type() is QEvent.Type.FocusIn and isinstance(event, QFocusEvent):
            if isinstance(watched, QWidget):
                _ensure_visible(watched)
            sent = event.reason() is Qt.FocusReason.OtherFocusReason and not self._moving_focus
            if sent and watched is not self.expand_button:
                self.set_expanded(True)
        elif (
            watched is self.expand_button
            and event.type() is QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        ):
            self.toggle()
            return True
        return super().eventFilter(watched, event)

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
        """C, W, D decide and X changes the decision, from anywhere on the card.

        Enter on a decision (where Alt+T puts the cursor) opens or closes the card; Space
        still presses the button.
        """
        plain = event.modifiers() in (
            Qt.KeyboardModifier.NoModifier,
            Qt.KeyboardModifier.KeypadModifier,
        )
        on_decision = QApplication.focusWidget() in self._buttons()
        enter = event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        if plain and enter and on_decision and self.expand_button.isVisibleTo(self):
            self.toggle()
            return
        if plain and not self._read_only:
            key = Qt.Key(event.key())
            if key in DECISION_KEYS and self._decision is None:
                self._decide(DECISION_KEYS[key])
                return
            if key is Qt.Key.Key_X and self._decision is not None:
                self._clear()
                return
        super().keyPressEvent(event)

    def _move_focus(self, target: QWidget) -> None:
        """Keep the cursor on the card after a choice, without opening it."""
        self._moving_focus = True
        try:
            target.setFocus(Qt.FocusReason.OtherFocusReason)
        finally:
            self._moving_focus = False

    def _decide(self, choice: Choice) -> None:
        if self._read_only:
            return
        self._decision = Decision(choice=choice, comment=self.comment.text())
        self._show_decision()
        self._move_focus(self.change_button)
        self.sig_decided.emit(self.key, self._decision)

    def _clear(self) -> None:
        if self._read_only or self._decision is None:
            return
        self._decision = None
        self._show_decision()
        self._move_focus(self.confirm_button)
        self.sig_decided.emit(self.key, None)

    def _comment_edited(self, text: str) -> None:
        if self._read_only or self._decision is None:
            return  # kept in the box; stored with the choice
        self._decision = Decision(choice=self._decision.choice, comment=text)
        self.sig_decided.emit(self.key, self._decision)

    def _show_decision(self) -> None:
        shown = decision_state(self._decision, self._read_only)
        opened = self._expanded and not shown.folded
        _restyle(self.state, "state", shown.state)
        _restyle(self, "decided", shown.state)
        text = shown.text if opened else shown.short
        _set_text(self.state, text)
        self.state.setToolTip("" if text == shown.text else shown.text)
        _set_shown(self.answers, shown.can_decide)
        _set_shown(self.change_button, shown.can_change)
        _set_shown(self.comment, shown.comment_editable)
        self.comment.setReadOnly(not shown.comment_editable)
        _set_shown(self.details, opened)
        self._place_title(opened)
        _set_shown(self.expand_button, not shown.folded)
        self._fit_answers()

    def tab_widgets(self) -> list[QWidget]:
        """The card's keyboard stops, in order: the arrow, the body's stops, the decision."""
        stops: list[QWidget] = []
        if self.expand_button.isVisibleTo(self):
            stops.append(self.expand_button)
        if self.details.isVisibleTo(self):
            stops += self.reasons.links()
            if self.comment.isVisibleTo(self):
                stops.append(self.comment)
        stops += [w for w in self._buttons() if w.isVisibleTo(self)]
        return stops


class GateCard(QFrame):
    """The pre-operative gate (R11 as amended in 10.12) while a tarsal tunnel release is planned.

    Pinned at the top of the panel. It lists every unmet item per side, each a link to its
    finding (the untested lumbar items one by one, in a list that scrolls when long), says
    what was overridden or acknowledged and by whom, and offers the two audited actions:
    acknowledge that there are no nerve studies, and override the tunnel-evidence and
    competing-cause items with a written reason. Its reason and sources open with its arrow.

    Signals:
        sig_finding_requested: carries the paths of an item the user followed.
        sig_override_requested: the user asked to override items 3-4.
        sig_acknowledge_studies_requested: the user acknowledged signing without nerve studies.
        sig_expanded: the gate's details opened or closed (its keyboard stops changed).
    """

    sig_finding_requested = Signal(list)
    """Emitted with an unmet item's paths (or the written reason's) when followed."""
    sig_override_requested = Signal()
    """Emitted when the user presses Override."""
    sig_acknowledge_studies_requested = Signal()
    """Emitted when the user presses Acknowledge (no nerve studies)."""
    sig_expanded = Signal(bool)
    """Emitted when the gate's details open or close."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("r11_gate")
        self.setProperty("card", "true")
        self._shown: GateCardState | None = None
        self._list_cap = 10_000
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 5)
        layout.setSpacing(3)
        head = QHBoxLayout()
        head.setSpacing(5)
        self.title = _label(self, "r11_gate_title")
        font = self.title.font()
        font.setBold(True)
        self.title.setFont(font)
        head.addWidget(self.title, 1)
        self.expand_button = _disclosure(self, "r11_gate_expand")
        self.expand_button.setToolTip("Show or hide what the gate checks, why, and its sources")
        self.expand_button.setAccessibleName("Pre-operative gate: details")
        self.expand_button.toggled.connect(self._expand)
        head.addWidget(self.expand_button, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(head)
        state_line = QHBoxLayout()
        state_line.setSpacing(5)
        self.badge = QLabel(self)
        self.badge.setObjectName("r11_gate_badge")
        self.badge.setProperty("badge", "true")
        state_line.addWidget(self.badge, 0, Qt.AlignmentFlag.AlignTop)
        self.meta = _label(self, "r11_gate_meta", role="muted")
        state_line.addWidget(self.meta, 1)
        layout.addLayout(state_line)
        self.text = _label(self, "r11_gate_text")
        layout.addWidget(self.text)
        self.items = _LinkList(self.sig_finding_requested.emit, self)
        self.items.setObjectName("r11_gate_items")
        self.items_scroll = QScrollArea(self)
        self.items_scroll.setObjectName("r11_gate_items_scroll")
        self.items_scroll.setWidgetResizable(True)
        self.items_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.items_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.items_scroll.setWidget(self.items)
        self.items_scroll.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.items_scroll.viewport().installEventFilter(self)
        self.items_scroll.viewport().setAutoFillBackground(False)
        self.items.setAutoFillBackground(False)
        layout.addWidget(self.items_scroll)
        self.record = _label(self, "r11_gate_record")
        layout.addWidget(self.record)
        self.gate_actions = QWidget(self)
        actions = FlowLayout(self.gate_actions)
        self.studies_button = QPushButton("No nerve studies: acknowledge", self.gate_actions)
        self.studies_button.setObjectName("acknowledge_no_studies_button")
        self.studies_button.setToolTip(
            "Studies can be falsely negative: record (audited) that you sign without "
            "electrodiagnostic confirmation [MED-WORKUP][AHMAD]."
        )
        self.studies_button.clicked.connect(self.sig_acknowledge_studies_requested)
        self.override_button = QPushButton("Override…", self.gate_actions)
        self.override_button.setObjectName("override_gate_button")
        self.override_button.setToolTip(
            "Pass the tunnel-evidence and competing-cause items with your own written reason: "
            "named, timed and audited; printed on the visit note."
        )
        self.override_button.clicked.connect(self.sig_override_requested)
        for button in (self.studies_button, self.override_button):
            button.setAutoDefault(False)
            actions.addWidget(button)
            button.hide()
        layout.addWidget(self.gate_actions)
        self.details = QWidget(self)
        self.details.setObjectName("r11_gate_details")
        details = QVBoxLayout(self.details)
        details.setContentsMargins(0, 0, 0, 0)
        details.setSpacing(3)
        self.met = _label(self.details, "r11_gate_met")
        details.addWidget(self.met)
        self.why = _label(self.details, "r11_gate_why", rich=True)
        details.addWidget(self.why)
        self.next_step = _label(self.details, "r11_gate_next_step", rich=True)
        details.addWidget(self.next_step)
        self.sources = _label(self.details, "r11_gate_sources", role="muted")
        details.addWidget(self.sources)
        self.details.hide()
        layout.addWidget(self.details)

    @property
    def state(self) -> GateCardState | None:
        """What the gate card shows (None before the first assessment)."""
        return self._shown

    def show_state(self, state: GateCardState) -> None:
        """Show every unmet item and what was overridden or acknowledged."""
        if self._shown == state:
            return
        self._shown = state
        _restyle(self, "severity", state.severity)
        _restyle(self.badge, "severity", state.severity)
        self.badge.setText(state.badge)
        self.title.setText(state.title)
        self.meta.setText(state.meta)
        _set_text(self.text, state.text)
        self.items.set_lines(state.lines)
        _set_shown(self.items_scroll, bool(state.lines))
        self.fit_list()
        _set_text(self.record, "\n".join(state.record))
        _set_shown(self.studies_button, state.can_acknowledge_studies)
        _set_shown(self.override_button, state.can_override)
        _set_shown(self.gate_actions, state.can_acknowledge_studies or state.can_override)
        _set_text(self.met, state.met)
        _set_text(self.why, _labelled("Why", state.why))
        _set_text(self.next_step, _labelled("Next", state.next_step))
        _set_text(self.sources, f"Sources: {state.sources}" if state.sources else "")
        has_details = bool(state.met or state.why or state.next_step or state.sources)
        _set_shown(self.expand_button, has_details)
        _set_shown(self.details, has_details and self.expand_button.isChecked())
        self.setAccessibleName(state.title)

    def _expand(self, expanded: bool) -> None:
        arrow = Qt.ArrowType.DownArrow if expanded else Qt.ArrowType.RightArrow
        self.expand_button.setArrowType(arrow)
        _set_shown(self.details, expanded and not self.expand_button.isHidden())
        self.sig_expanded.emit(expanded)

    def set_list_cap(self, height: int) -> None:
        """The most height the list of unmet items may take before it scrolls."""
        if height != self._list_cap:
            self._list_cap = height
            self.fit_list()

    def fit_list(self) -> None:
        """Size the list of unmet items to its lines, up to the cap, ending on a whole line."""
        width = self.items_scroll.width()
        if not self.items_scroll.isVisibleTo(self) or width <= 0:
            width = max(self.width() - 16, 100)
        height = max(self.items.heightForWidth(width), 0)  # -1: no lines
        if height > self._list_cap:
            # The list scrolls: its lines are narrower by the scroll bar, and the list ends
            # under the last line that fits whole, so no line shows cut in half.
            inner = width - self.items_scroll.verticalScrollBar().sizeHint().width()
            spacing = self.items.spacing
            height = 0
            for line in self.items.items:
                bottom = height + (spacing if height else 0) + line.heightForWidth(inner)
                if height and bottom > self._list_cap:
                    break
                height = bottom
        if self.items_scroll.height() != height or self.items_scroll.minimumHeight() != height:
            self.items_scroll.setFixedHeight(height)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """A new width of the list rewraps its lines: size it again."""
        if watched is self.items_scroll.viewport() and event.type() is QEvent.Type.Resize:
            assert isinstance(event, QResizeEvent)
            if event.size().width() != event.oldSize().width():
                self.fit_list()
        return super().eventFilter(watched, event)

    def tab_widgets(self) -> list[QWidget]:
        """The gate's links and buttons, then its arrow, in order."""
        stops: list[QWidget] = list(self.items.links())
        stops += [b for b in (self.studies_button, self.override_button) if b.isVisibleTo(self)]
        if self.expand_button.isVisibleTo(self):
            stops.append(self.expand_button)
        return stops


class AssessmentPanel(QWidget):
    """The live assessment of the encounter, beside the exam form.

    The gate card stays at the top; the suggestion cards scroll below it. Cards are rebuilt
    only when the assessment changes, and a card whose suggestion stays is updated in place
    (open or closed as it was), so recomputing on every keystroke stays cheap.

    Signals:
        sig_decision_changed: carries the key of a suggestion the user decided on.
        sig_finding_requested: carries the exam paths of a reason the user followed.
        sig_cards_changed: the set or order of keyboard stops changed (to re-chain Tab).
        sig_override_requested: the user asked to override the gate's items 3-4.
        sig_acknowledge_studies_requested: the user acknowledged signing without studies.
        sig_refusal_answered: every item a refused signature named is now met.
    """

    sig_decision_changed = Signal(str)
    """Emitted with the suggestion key after the user accepts, dismisses, clears or comments."""
    sig_finding_requested = Signal(list)
    """Emitted with the paths a followed reason points at (the first gets the cursor)."""
    sig_cards_changed = Signal()
    """Emitted after cards were added, removed, reordered, opened or closed."""
    sig_override_requested = Signal()
    """Emitted when the user asks to override the gate's items 3-4 (R11)."""
    sig_acknowledge_studies_requested = Signal()
    """Emitted when the user acknowledges signing without nerve studies (R11)."""
    sig_refusal_answered = Signal()
    """Emitted once nothing a refusal passed to ``note_refusal`` named is still open."""

    def __init__(self, label_of: Callable[[str], str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("assessment_panel")
        self.setStyleSheet(PANEL_STYLE)
        self.presenter = AssessmentPanelPresenter(label_of)
        self._cards: dict[str, SuggestionCard] = {}
        self._spare: dict[str, SuggestionCard] = {}
        """Cards of suggestions that stopped firing, hidden: charting often brings them back."""

        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(3)
        # Alt+T (an action of the encounter pane) jumps here; a buddy label cannot, because a
        # buddy that is a button gets clicked, and the first stop may be Confirm.
        self.heading = QLabel(
            "<b>Live assessment</b> <span style='color:#555'>(Alt+T) · suggestions, "
            "not diagnoses</span>"
        )
        self.heading.setTextFormat(Qt.TextFormat.RichText)
        self.heading.setObjectName("assessment_heading")
        self.heading.setWordWrap(True)
        self.heading.setToolTip(
            "On a card: C confirms the diagnosis, W keeps it as a working impression, "
            "D dismisses it, X changes the decision; Enter or Space on its arrow opens it."
        )
        outer.addWidget(self.heading)

        self.gate = GateCard(self)
        self.gate.sig_finding_requested.connect(self.sig_finding_requested)
        self.gate.sig_override_requested.connect(self.sig_override_requested)
        self.gate.sig_acknowledge_studies_requested.connect(self.sig_acknowledge_studies_requested)
        self.gate.sig_expanded.connect(lambda _open: self.sig_cards_changed.emit())
        self.gate.hide()
        outer.addWidget(self.gate)

        self.scroll_area = QScrollArea(self)
        self.scroll_area.setObjectName("assessment_scroll")
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.body = QWidget()
        self.body.setObjectName("assessment_body")
        self.cards_layout = QVBoxLayout(self.body)
        self.cards_layout.setContentsMargins(0, 2, 6, 2)
        self.cards_layout.setSpacing(4)
        self.scroll_area.setWidget(self.body)
        outer.addWidget(self.scroll_area, 1)

        self.held_back = _label(self.body, "held_back_count", role="muted")
        self.held_back.hide()
        self.cards_layout.addWidget(self.held_back)
        self.empty = _label(self.body, "assessment_empty", role="muted")
        self.empty.setText(
            "No suggestions. Findings charted in the exam update this list as you go."
        )
        self.cards_layout.addWidget(self.empty)
        self.orphans = _label(self.body, "assessment_other_decisions", role="muted")
        self.orphans.hide()
        self.cards_layout.addWidget(self.orphans)
        self.code_note = _label(self.body, "assessment_code_set", role="muted")
        self.code_note.hide()
        self.cards_layout.addWidget(self.code_note)
        self.cards_layout.addStretch(1)

    # --- what is shown ----------------------------------------------------------------------

    @property
    def assessment(self) -> Assessment | None:
        """The assessment on screen."""
        return self.presenter.assessment

    def card(self, key: str) -> SuggestionCard | None:
        """The card of a shown suggestion."""
        return self._cards.get(key)

    @property
    def keys(self) -> list[str]:
        """The keys of the cards on screen, in order."""
        return list(self._cards)

    def show_assessment(self, assessment: Assessment, *, release_planned: bool) -> bool:
        """Show an assessment; False (and nothing touched) when it is what is already shown."""
        state = self.presenter.show(assessment, release_planned=release_planned)
        if state is None:
            return False
        self._show_cards(state.cards)
        if state.gate.shown:
            self.gate.show_state(state.gate)
        _set_shown(self.gate, state.gate.shown)
        _set_text(self.held_back, state.held_back)
        _set_shown(self.empty, state.empty)
        _set_text(self.code_note, state.code_note)
        _set_text(self.orphans, self.presenter.orphans())
        self._check_refusal()
        self.sig_cards_changed.emit()
        return True

    def _show_cards(self, cards: Sequence[CardState]) -> None:
        """Reuse, add, hide and reorder cards to match the states, in their order."""
        wanted = [state.key for state in cards]
        for key in [k for k in self._cards if k not in wanted]:
            gone = self._cards.pop(key)
            gone.hide()
            self._spare[key] = gone
        order_changed = list(self._cards) != [k for k in wanted if k in self._cards]
        for state in cards:
            card = self._cards.get(state.key)
            if card is None:
                card = self._spare.pop(state.key, None) or self._new_card(state)
                card.set_decision(self.presenter.decisions.get(state.key), self.presenter.read_only)
                self._cards[state.key] = card
                order_changed = True
            card.show_state(state)
        if not order_changed:
            return
        self._cards = {key: self._cards[key] for key in wanted}
        sequence = list(self._cards.values())
        for card in sequence:
            self.cards_layout.removeWidget(card)
        for index, card in enumerate(sequence):
            self.cards_layout.insertWidget(index, card)
            if card.isHidden():
                card.show()

    def _new_card(self, state: CardState) -> SuggestionCard:
        card = SuggestionCard(state, self.body)
        card.hide()
        card.sig_decided.connect(self._decided)
        card.sig_finding_requested.connect(self.sig_finding_requested)
        card.sig_expanded.connect(lambda _key, _open: self.sig_cards_changed.emit())
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
        self.presenter.set_gate_record(GateRecord(override, studies, can_act))

    def resizeEvent(self, event: QResizeEvent) -> None:
        """The pinned gate's list of unmet items takes at most a share of the height."""
        super().resizeEvent(event)
        lines = self.fontMetrics().lineSpacing() * 3
        self.gate.set_list_cap(max(self.height() // GATE_LIST_SHARE, lines))

    # --- decisions --------------------------------------------------------------------------

    def decisions(self) -> dict[str, Decision]:
        """Suggestion key -> the clinician's choice (including suggestions no longer shown)."""
        return self.presenter.decisions

    def set_decisions(self, decisions: Mapping[str, Decision], *, read_only: bool) -> None:
        """Show stored choices; read-only for signed encounters and read-only accounts."""
        self.presenter.set_decisions(decisions, read_only=read_only)
        for key, card in self._cards.items():
            card.set_decision(self.presenter.decisions.get(key), read_only)
        _set_text(self.orphans, self.presenter.orphans())
        self.sig_cards_changed.emit()

    @property
    def read_only(self) -> bool:
        """True while choices cannot be changed."""
        return self.presenter.read_only

    def _decided(self, key: str, decision: Decision | None) -> None:
        self.presenter.decide(key, decision)
        self.sig_decision_changed.emit(key)
        self._check_refusal()
        self.sig_cards_changed.emit()

    # --- a refused signature ----------------------------------------------------------------

    def note_refusal(self, paths: Sequence[str]) -> None:
        """A signature was refused naming these paths: say when all of them are met."""
        self.presenter.note_refusal(paths)

    def _check_refusal(self) -> None:
        if self.presenter.refusal_answered():
            self.sig_refusal_answered.emit()

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
            _ensure_visible(stops[0])


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
        state = banner_state(assessment, acknowledgement, can_acknowledge=can_acknowledge)
        if not state.shown:
            _set_shown(self, False)
            return
        if state.alert != self._alert:
            self._alert = state.alert
            self.setStyleSheet(BANNER_ALERT_STYLE if state.alert else BANNER_QUIET_STYLE)
        for widget in (self.title, self.reasons, self.next_step):
            _set_shown(widget, state.alert)
        _set_shown(self.acknowledge_button, state.alert and state.can_acknowledge)
        _set_shown(self.acknowledged, not state.alert)
        if state.alert:
            self.title.setText(state.title)
            self.reasons.set_lines(state.lines)
            steps = [f"<b>Next:</b> {escape(step)}" for step in state.next_steps]
            _set_text(self.next_step, "<br>".join(steps))
        elif state.acknowledged:
            self.acknowledged.setText(state.acknowledged)
        self.setAccessibleName(state.accessible_name)
        _set_shown(self, True)

    def tab_widgets(self) -> list[QWidget]:
        """The banner's keyboard stops: its red-flag links, then Acknowledge."""
        if not self.alerting:
            return []
        stops: list[QWidget] = list(self.reasons.links())
        if self.acknowledge_button.isVisibleTo(self):
            stops.append(self.acknowledge_button)
        return stops
