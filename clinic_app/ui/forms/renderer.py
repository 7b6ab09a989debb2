"""One renderer: any FormLayout becomes widgets bound to the paths of a pydantic model.

Each control's ``objectName`` is its model path, so tests and styles find it. The renderer
collects raw values, lets the model validate them, and maps each ``ValidationError``
location back to the control that shows it. Section presets ("normal") and copy-forward
go through one undo stack with every single edit (Ctrl+Z / Ctrl+Shift+Z), copied values stay
marked until confirmed or changed, and changed values stay marked until saved.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from pydantic import BaseModel
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from clinic_app.domain.exam import Side
from clinic_app.domain.layout import (
    SIDE_TOKEN,
    FieldRow,
    FieldSpec,
    FormLayout,
    HeadingRow,
    Section,
    field_spec,
    get_path,
    set_path,
)
from clinic_app.domain.regions import REGIONS, RegionCode
from clinic_app.ui.forms.controls import (
    ChoiceBox,
    LineField,
    MultiChoiceList,
    install_wheel_guard,
)
from clinic_app.ui.forms.looks import FocusRing, MarkedRow
from clinic_app.ui.views.form_widgets import MUTED_COLOUR, error_look, tint

REGION_VALUES = frozenset(code.value for code in RegionCode)
UNTESTED_VALUES: tuple[Any, ...] = ("not_tested", None, "", [])
CHANGED_TIP = "Changed, not saved yet (the draft autosaves within a second). Ctrl+Z undoes it."
FRAMED_ON_FOCUS = (QComboBox, QLineEdit, QListWidget)
"""Value controls the focus ring frames (a map's canvas shows its own focus)."""


def _copy_json(value: Any) -> Any:
    """A deep copy of JSON data (dicts, lists, scalars).

    Several times faster than ``copy.deepcopy``, which matters because the live assessment
    reads the values on every change.
    """
    if isinstance(value, dict):
        return {key: _copy_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copy_json(item) for item in value]
    return value


class BoundWidget(Protocol):
    """What a special widget (such as the sensory map) must offer the renderer."""

    def value(self) -> Any:
        """The raw JSON value of its path."""

    def set_value(self, value: Any) -> None:
        """Show a stored value without emitting a change."""

    def set_read_only(self, read_only: bool) -> None:
        """Take no input while read-only."""


WidgetFactory = Callable[[str, Side | None], QWidget]
"""Builds a special widget for a concrete path (and its side in a sided section)."""


@dataclass
class _Bound:
    path: str
    section: Section
    row: FieldRow
    side: Side | None
    control: Any  # ChoiceBox | MultiChoiceList | LineField | a registry widget
    error: QLabel
    container: MarkedRow


@dataclass(frozen=True)
class _Undo:
    """One step of the undo (or redo) stack: the values to put back, and the copy marks."""

    description: str
    values: dict[str, Any]
    unconfirmed: frozenset[str]  # which of its paths were marked as copied
    typing: bool = False  # a run of typing in one text field, merged into one step


class FormView(QWidget):
    """A whole form rendered from a layout.

    Signals:
        sig_value_changed: carries the path the user just changed.
        sig_status: a short message for the status line (fills, undo, confirmations).
    """

    sig_value_changed = Signal(str)
    """Emitted with the model path after every user edit, fill or undo."""
    sig_status = Signal(str)
    """Emitted with a one-line, user-facing description of a fill, undo or confirmation."""

    def __init__(
        self,
        layout: FormLayout,
        model: type[BaseModel],
        registry: Mapping[str, WidgetFactory],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName(f"form_{layout.form_id}")
        self.form_layout = layout
        self._model = model
        self._registry = registry
        self._bound: dict[str, _Bound] = {}
        self._sections: list[QGroupBox] = []
        self._normal_buttons: dict[str, QPushButton] = {}
        self._undo: list[_Undo] = []
        self._redo: list[_Undo] = []
        # Each control's value as last shown or recorded (the "before" of the next edit), and
        # as last saved (a value differing from it is marked as changed).
        self._last: dict[str, Any] = {}
        self._saved: dict[str, Any] = {}
        self._pending: set[str] = set()
        self._applying = False
        self._unconfirmed: set[str] = set()
        self._amended: dict[str, int] = {}
        self._base: dict[str, Any] = model().model_dump(mode="json")
        self._read_only = False
        install_wheel_guard()  # no control of a rendered form changes as the form scrolls
        self.focus_ring = FocusRing(self)
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.focusChanged.connect(self._focus_moved)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        for number, section in enumerate(layout.sections, 1):
            box = self._build_section(number, section)
            self._sections.append(box)
            outer.addWidget(box)
        # The layout never changes once rendered: keyboard order and the widget -> path
        # lookup are worked out once, not on every Tab or section jump.
        self._order = self._tab_sequence()
        self._path_of_widget: dict[QWidget, str] = {}
        for path, bound in self._bound.items():
            self._path_of_widget[bound.control] = path
            self._path_of_widget[bound.container] = path
        self._chain_tab_order()

    # --- building ----------------------------------------------------------------------

    def _build_section(self, number: int, section: Section) -> QGroupBox:
        box = QGroupBox(f"{number}. {section.title}")
        box.setObjectName(f"section_{section.id}")
        box.setAccessibleName(section.title)
        grid = QGridLayout(box)
        # Labels get room to read on one or two lines; the value columns share the rest.
        # (22 characters: at 150% font on 1366 px the form still fits beside the panel.)
        grid.setColumnMinimumWidth(0, self.fontMetrics().averageCharWidth() * 22)
        grid.setColumnStretch(0, 2)
        grid.setColumnStretch(1, 3)
        grid.setColumnStretch(2, 3)
        row_index = 0
        head = QHBoxLayout()
        if section.help:
            help_label = QLabel(section.help)
            help_label.setWordWrap(True)
            tint(help_label, MUTED_COLOUR)
            head.addWidget(help_label, 1)
        else:
            head.addStretch(1)
        if section.normal:
            button = QPushButton("Normal")
            button.setObjectName(f"normal_{section.id}")
            button.setAccessibleName(f"Fill {section.title} as normal")
            button.setToolTip(
                "Fill this section's normal findings (Alt+N with the cursor in the section); "
                "undo with Alt+U."
            )
            # Reached by Alt+N, so it does not cost a Tab stop while charting.
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            button.clicked.connect(lambda _c=False, s=section.id: self.apply_normal(s))
            head.addWidget(button)
            self._normal_buttons[section.id] = button
        grid.addLayout(head, row_index, 0, 1, 3)
        row_index += 1
        if section.sided:
            for column, each in enumerate(Side, 1):
                caption = QLabel(f"<b>{each.value.capitalize()}</b>")
                caption.setAlignment(Qt.AlignmentFlag.AlignHCenter)
                grid.addWidget(caption, row_index, column)
            row_index += 1
        heading_text = ""
        for row in section.rows:
            if isinstance(row, HeadingRow):
                heading_text = row.heading
                heading = QLabel(f"<b>{row.heading}</b>")
                heading.setContentsMargins(0, 6, 0, 0)
                grid.addWidget(heading, row_index, 0, 1, 3)
                row_index += 1
                continue
            label = QLabel(row.label)
            label.setWordWrap(True)
            label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
            if row.help:
                label.setToolTip(row.help)
                label.setText(f"{row.label} <span style='color:#1c5fb8'>(?)</span>")
            sides: Iterable[Side | None] = tuple(Side) if section.sided else (None,)
            containers = [
                self._build_control(
                    section,
                    row,
                    side,
                    row.path.replace(SIDE_TOKEN, side.value) if side else row.path,
                    heading_text,
                )
                for side in sides
            ]
            if row.widget is not None and section.sided:
                # A wide widget (the sensory maps) takes the whole width under its label, so
                # the label column does not set the form's narrowest width (150% display).
                grid.addWidget(label, row_index, 0, 1, 3)
                pair = QWidget()
                pair_layout = QHBoxLayout(pair)
                pair_layout.setContentsMargins(0, 0, 0, 0)
                for container in containers:
                    pair_layout.addWidget(container, 1)
                grid.addWidget(pair, row_index + 1, 0, 1, 3)
                row_index += 2
                continue
            grid.addWidget(label, row_index, 0)
            for column, container in enumerate(containers, 1):
                grid.addWidget(container, row_index, column, 1, 1 if section.sided else 2)
            row_index += 1
        return box

    def _build_control(
        self, section: Section, row: FieldRow, side: Side | None, path: str, heading: str
    ) -> QWidget:
        control: Any
        if row.widget is not None:
            factory = self._registry.get(row.widget)
            if factory is None:
                raise KeyError(f"No widget {row.widget!r} is registered for {path}.")
            control = factory(path, side)
        else:
            spec = field_spec(self._model, path)
            control = self._standard_control(spec, row)
        control.setObjectName(path)
        # Unique, spoken names: "Right Tarsal tunnel: Tinel result", not four "Tinel result".
        name = f"{heading}: {row.label}" if heading else row.label
        control.setAccessibleName(f"{side.value.capitalize()} {name}" if side else name)
        if row.help:
            control.setToolTip(row.help)
        control.sig_value_changed.connect(lambda p=path: self._user_changed(p))
        container = MarkedRow()
        container.setObjectName(path.replace(".", "__") + "__row")
        box = QVBoxLayout(container)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(1)
        box.addWidget(control)
        error = QLabel()
        error.setObjectName(f"{path}_error")
        error_look(error)
        error.setWordWrap(True)
        error.hide()
        box.addWidget(error)
        container.setFocusProxy(control)
        self._bound[path] = _Bound(path, section, row, side, control, error, container)
        return container

    @staticmethod
    def _standard_control(spec: FieldSpec, row: FieldRow) -> QWidget:
        if spec.kind == "choice":
            choices = row.choices or spec.choices
            return ChoiceBox(choices)
        if spec.kind == "multi_choice":
            choices = row.choices or spec.choices
            # Regions by their names (never their codes): "medial mid-sole (arch)".
            names = {c: REGIONS[RegionCode(c)].name for c in choices if c in REGION_VALUES}
            return MultiChoiceList(choices, labels=names)
        if spec.kind in ("integer", "date", "text"):
            return LineField(spec.kind, unit="weeks" if spec.path.endswith("_weeks") else "")
        raise TypeError(f"{spec.path}: no standard control for {spec.kind!r}; name a widget.")

    def _tab_sequence(self) -> list[str]:
        order: list[str] = []
        for section in self.form_layout.sections:
            paths = section.paths()
            if section.sided and self.form_layout.tab_order == "by_side":
                # Right column top to bottom, then left: a one-sided exam is one run of Tab.
                paths = [p for p in paths if self._bound[p].side is Side.RIGHT] + [
                    p for p in paths if self._bound[p].side is Side.LEFT
                ]
            order.extend(paths)
        return order

    def _chain_tab_order(self) -> None:
        sequence = [self._bound[p].control for p in self._order]
        for first, second in itertools.pairwise(sequence):
            QWidget.setTabOrder(first, second)

    def bound_path_of(self, widget: QWidget | None) -> str | None:
        """The path of the control holding a widget (itself or an ancestor), if any."""
        while widget is not None:
            path = self._path_of_widget.get(widget)
            if path is not None:
                return path
            widget = widget.parentWidget()
        return None

    def focusNextPrevChild(self, next: bool) -> bool:
        """Tab follows the layout's keyboard order, one stop per bound control.

        Qt's own chain gets compound widgets (lists, the sensory map) wrong, so the order is
        taken from the layout; past either end Qt's chain takes over.
        """
        path = self.bound_path_of(QApplication.focusWidget())
        if path is None:
            return super().focusNextPrevChild(next)
        order = [
            p
            for p in self._order
            if self._bound[p].control.isEnabled()
            and self._bound[p].control.isVisibleTo(self)
            and (p == path or not self.skipped_by_tab(p))
        ]
        if path in order:
            index = order.index(path) + (1 if next else -1)
            if 0 <= index < len(order):
                self.focus_path(order[index])
                return True
        return super().focusNextPrevChild(next)

    def skipped_by_tab(self, path: str) -> bool:
        """An onset date whose flag is not answered "yes" (empty): Tab passes it by."""
        if not path.endswith(".onset"):
            return False
        present = path.removesuffix(".onset") + ".present"
        bound = self._bound.get(present)
        if bound is None or bound.control.value() == "yes":
            return False
        return self._bound[path].control.value() in UNTESTED_VALUES

    # --- values ------------------------------------------------------------------------

    @property
    def paths(self) -> list[str]:
        """Every bound path, in keyboard order."""
        return list(self._order)

    def control(self, path: str) -> Any:
        """The control bound to a path (KeyError if none)."""
        return self._bound[path].control

    def set_values(
        self,
        data: Mapping[str, Any],
        unconfirmed: Iterable[str] = (),
        amended: Mapping[str, int] | None = None,
    ) -> None:
        """Show stored values (the model's JSON dump); no change signals.

        Args:
            data: the exam as JSON.
            unconfirmed: paths copied forward and not yet confirmed (marked amber).
            amended: path -> number of the addendum that changed it (marked blue).
        """
        self._base = dict(data)
        for path, bound in self._bound.items():
            bound.control.set_value(get_path(data, path))
        self._last = {path: bound.control.value() for path, bound in self._bound.items()}
        self._saved = dict(self._last)
        self._pending.clear()
        self._unconfirmed = set(unconfirmed) & set(self._bound)
        self._amended = {p: n for p, n in (amended or {}).items() if p in self._bound}
        self._undo.clear()
        self._redo.clear()
        self.set_errors({})
        self._refresh_marks()

    def values(self) -> dict[str, Any]:
        """The stored values with every control's current raw value laid over them.

        Read from the values last taken note of (every edit, fill, copy and undo updates
        them), not from the controls: the live assessment reads the form on every change.
        """
        data: dict[str, Any] = _copy_json(self._base)
        if len(self._last) == len(self._bound):
            for path, value in self._last.items():
                set_path(data, path, _copy_json(value))
            return data
        for path, bound in self._bound.items():
            set_path(data, path, bound.control.value())
        return data

    def set_read_only(self, read_only: bool) -> None:
        """Signed exams: shown, focusable for reading, not editable."""
        self._read_only = read_only
        for bound in self._bound.values():
            bound.control.set_read_only(read_only)
        for button in self._normal_buttons.values():
            button.setEnabled(not read_only)

    @property
    def read_only(self) -> bool:
        """True while the form takes no input."""
        return self._read_only

    def set_errors(self, errors: Mapping[str, str]) -> None:
        """Show each message under its control (messages for unknown paths go nowhere)."""
        shown: dict[str, list[str]] = {}
        for path, message in errors.items():
            target = self.path_for_error(path)
            if target is not None:
                shown.setdefault(target, []).append(message)
        for path, bound in self._bound.items():
            messages = shown.get(path)
            setter = getattr(bound.control, "set_error", None)
            if messages:
                text = " ".join(dict.fromkeys(messages))
                bound.error.setText(text)
                bound.error.show()
                bound.control.setAccessibleDescription(text)
            else:
                bound.error.clear()
                bound.error.hide()
                bound.control.setAccessibleDescription("")
            if setter is not None:
                setter(None)

    def errors_shown(self) -> dict[str, str]:
        """Path -> message currently shown under a control."""
        return {p: b.error.text() for p, b in self._bound.items() if not b.error.isHidden()}

    def path_for_error(self, path: str) -> str | None:
        """The bound path that shows an error found at a model path.

        Exact match first; then the bound path that contains it (a region inside the
        sensory map); then the first bound path inside it (a group-level error).
        """
        if path in self._bound:
            return path
        containing = [p for p in self._bound if path.startswith(p + ".")]
        if containing:
            return max(containing, key=len)
        inside = [p for p in self._order if p.startswith(path + ".")]
        return inside[0] if inside else None

    # --- presets, copy forward, undo, confirmation ----------------------------------------

    def section(self, section_id: str) -> Section:
        """A section by id (KeyError if none)."""
        for section in self.form_layout.sections:
            if section.id == section_id:
                return section
        raise KeyError(section_id)

    def apply_normal(self, section_id: str) -> list[str]:
        """Fill one section's normal preset (only that section), undoably; the paths filled."""
        if self._read_only:
            return []
        section = self.section(section_id)
        preset = section.normal_values()
        if not preset:
            return []
        self._push_undo(f"normal {section.title}", preset)
        changed: list[str] = []
        self._applying = True  # one undo step for the fill, not one per control
        try:
            for path, value in preset.items():
                bound = self._bound[path]
                preset_fn = getattr(bound.control, "apply_preset", None)
                if bound.row.widget is not None and preset_fn is not None:
                    preset_fn(value)  # emits its own change
                else:
                    bound.control.set_value(value)
                self._unconfirmed.discard(path)
                changed.append(path)
        finally:
            self._applying = False
        self._recorded(changed)
        for path in changed:
            self.sig_value_changed.emit(path)
        self.sig_status.emit(
            f"{section.title}: {len(changed)} items filled as normal. Ctrl+Z undoes it."
        )
        return changed

    def fill_untested_normal(self) -> list[str]:
        """Every section's normal preset, only where nothing is charted yet; one undo step.

        Charted values stay as they are (a sensory region keeps its charted modalities);
        returns the paths that changed.
        """
        if self._read_only:
            return []
        targets: dict[str, Any] = {}
        for path, value in self.form_layout.normal_values().items():
            control = self._bound[path].control
            filler = getattr(control, "untested_filled", None)
            if filler is not None:
                filled = filler(value)
                if filled != control.value():
                    targets[path] = filled
            elif control.value() in UNTESTED_VALUES:
                targets[path] = value
        changed = self.apply_values("normal findings in every untested item", targets)
        self.sig_status.emit(
            f"{len(changed)} untested items filled as normal (charted ones kept). Ctrl+Z undoes it."
        )
        return changed

    def apply_values(self, description: str, values: Mapping[str, Any]) -> list[str]:
        """Set several findings as one undoable step (a quick entry, a fill); paths changed."""
        if self._read_only:
            return []
        changed = [p for p, v in values.items() if v != self._bound[p].control.value()]
        if not changed:
            return []
        self._push_undo(description, dict.fromkeys(changed))
        self._applying = True
        try:
            for path in changed:
                self._bound[path].control.set_value(values[path])
                self._unconfirmed.discard(path)
        finally:
            self._applying = False
        self._recorded(changed)
        for path in changed:
            self.sig_value_changed.emit(path)
        return changed

    def copy_forward(self, data: Mapping[str, Any], source: str) -> list[str]:
        """Bring in another visit's findings, marked unconfirmed; the paths that changed."""
        if self._read_only:
            return []
        incoming = {path: get_path(data, path) for path in self._bound}
        changed = [p for p, v in incoming.items() if v != self._bound[p].control.value()]
        if not changed:
            self.sig_status.emit(f"Nothing to copy: the findings of {source} are already here.")
            return []
        self._push_undo(f"copy forward from {source}", dict.fromkeys(changed))
        for path in changed:
            self._bound[path].control.set_value(incoming[path])
            self._unconfirmed.add(path)
        self._recorded(changed)
        for path in changed:
            self.sig_value_changed.emit(path)
        self.sig_status.emit(
            f"Copied {len(changed)} findings from {source}: marked until confirmed "
            "(Alt+C confirms a section) or changed. Ctrl+Z undoes the copy."
        )
        return changed

    def _push_undo(self, description: str, paths: Mapping[str, Any]) -> None:
        before = {path: self._bound[path].control.value() for path in paths}
        self._undo.append(_Undo(description, before, frozenset(self._unconfirmed & set(paths))))
        self._redo.clear()

    def _recorded(self, paths: Iterable[str]) -> None:
        """Take note of new values (after a fill, copy, undo or redo) and mark them."""
        touched = set(paths)
        for path in touched:
            self._last[path] = self._bound[path].control.value()
        self._update_pending(touched)
        self._refresh_marks()

    def _update_pending(self, paths: Iterable[str]) -> None:
        for path in paths:
            if self._last[path] != self._saved.get(path):
                self._pending.add(path)
            else:
                self._pending.discard(path)

    def describe(self, path: str) -> str:
        """A finding's spoken name, e.g. "Right Tarsal tunnel: Tinel result"."""
        name = self._bound[path].control.accessibleName()
        return str(name) if name else path

    @property
    def can_undo(self) -> bool:
        """True while there is a change to undo."""
        return bool(self._undo) and not self._read_only

    @property
    def can_redo(self) -> bool:
        """True while there is an undone change to redo."""
        return bool(self._redo) and not self._read_only

    def undo(self) -> bool:
        """Undo the last change (an edit, a section fill or a copy); False when there is none."""
        if self._read_only or not self._undo:
            return False
        step = self._undo.pop()
        self._redo.append(self._apply_step(step))
        self.sig_status.emit(f"Undone: {step.description}. Ctrl+Shift+Z redoes it.")
        return True

    def redo(self) -> bool:
        """Apply again the change undone last; False when there is none."""
        if self._read_only or not self._redo:
            return False
        step = self._redo.pop()
        self._undo.append(self._apply_step(step))
        self.sig_status.emit(f"Redone: {step.description}.")
        return True

    def _apply_step(self, step: _Undo) -> _Undo:
        """Put a step's values back; returns the step that reverses it."""
        inverse = _Undo(
            step.description,
            {path: self._bound[path].control.value() for path in step.values},
            frozenset(self._unconfirmed & set(step.values)),
        )
        self._applying = True
        try:
            for path, value in step.values.items():
                self._bound[path].control.set_value(value)
        finally:
            self._applying = False
        # Only the step's own paths get their copy marks back; confirmations made since stay.
        self._unconfirmed = (self._unconfirmed - set(step.values)) | set(step.unconfirmed)
        self._recorded(step.values)
        if len(step.values) == 1:
            # A single finding: show where it changed back.
            self.focus_path(next(iter(step.values)))
        for path in step.values:
            self.sig_value_changed.emit(path)
        return inverse

    @property
    def pending(self) -> list[str]:
        """Paths changed since the last save (marked), in keyboard order."""
        return [p for p in self._order if p in self._pending]

    def mark_saved(self, held: Iterable[str] = ()) -> None:
        """The values on screen are stored, except the ``held`` paths: clear their marks."""
        keep = set(held) & self._pending
        for path in self._pending - keep:
            self._saved[path] = self._last[path]
        self._pending = keep
        self._refresh_marks()

    @property
    def unconfirmed(self) -> list[str]:
        """Copied paths not yet confirmed or changed, in keyboard order."""
        return [p for p in self._order if p in self._unconfirmed]

    def confirm_section(self, section_id: str) -> int:
        """Accept every copied value of a section as charted today; how many were confirmed."""
        paths = set(self.section(section_id).paths()) & self._unconfirmed
        if not paths:
            return 0
        self._unconfirmed -= paths
        self._refresh_marks()
        first = next(iter(sorted(paths)))
        self.sig_value_changed.emit(first)
        self.sig_status.emit(f"{len(paths)} copied findings confirmed.")
        return len(paths)

    def _refresh_marks(self) -> None:
        """Repaint the rows whose mark changed."""
        for path, bound in self._bound.items():
            mark = self.mark_of(path)
            if mark == "unconfirmed":
                tip = "Copied from a previous visit: confirm (Alt+C) or change it."
            elif mark == "changed":
                tip = CHANGED_TIP
            elif mark == "amended":
                tip = f"Changed by addendum #{self._amended[path]}; the signed value is kept."
            else:
                tip = ""
            bound.container.set_mark(mark)  # (unchanged: nothing repainted)
            if bound.container.toolTip() != tip:
                bound.container.setToolTip(tip)

    def _focus_moved(self, _old: QWidget | None, now: QWidget | None) -> None:
        """The focus ring frames a value control of this form while it has the focus."""
        framed = now is not None and isinstance(now, FRAMED_ON_FOCUS) and self.isAncestorOf(now)
        self.focus_ring.follow(now if framed else None)

    def mark_of(self, path: str) -> str:
        """Which mark a row shows: "unconfirmed", "changed", "amended" or ""."""
        if path in self._unconfirmed:
            return "unconfirmed"
        if path in self._pending:
            return "changed"
        return "amended" if path in self._amended else ""

    def changed_from_shown(self) -> dict[str, Any]:
        """Path -> value for every control that differs from what set_values showed."""
        return {
            path: bound.control.value()
            for path, bound in self._bound.items()
            if bound.control.value() != get_path(self._base, path)
        }

    def _user_changed(self, path: str) -> None:
        if self._applying:
            return  # a fill or undo records (and announces) its own paths
        before = self._last.get(path)
        after = self._bound[path].control.value()
        if after != before:
            top = self._undo[-1] if self._undo else None
            typing = isinstance(self._bound[path].control, LineField)
            if not (typing and top is not None and top.typing and set(top.values) == {path}):
                # Typing in one field is one step; every other edit is a step of its own.
                self._undo.append(
                    _Undo(
                        f"change of {self.describe(path)}",
                        {path: before},
                        frozenset(self._unconfirmed & {path}),
                        typing=typing,
                    )
                )
            self._redo.clear()
            self._last[path] = after
            self._update_pending((path,))
        self._unconfirmed.discard(path)
        self._refresh_marks()
        if isinstance(self._bound[path].control, FRAMED_ON_FOCUS):
            # A key typed after the wheel scrolled the field away: the change is seen.
            self._ensure_visible(self._bound[path].container)
        self.sig_value_changed.emit(path)

    # --- navigation ----------------------------------------------------------------------

    def section_of_focus(self) -> Section | None:
        """The section holding the keyboard focus (None when focus is elsewhere)."""
        path = self.bound_path_of(QApplication.focusWidget())
        return self._bound[path].section if path is not None else None

    def focus_path(self, path: str) -> None:
        """Put the cursor on a path's control and scroll it into view."""
        bound = self._bound[path]
        bound.control.setFocus(Qt.FocusReason.OtherFocusReason)
        self._ensure_visible(bound.container)

    def focus_finding(self, path: str) -> bool:
        """Put the cursor on the control showing a finding, down to a part inside it.

        ``path`` may name a control, a group of controls (the first one is focused) or a part
        of a special widget: ``right.sensory.regions.PL-ARCH-MED`` focuses the right sensory
        map on that region. False when no control shows the path.
        """
        target = self.path_for_error(path)
        if target is None:
            return False
        self.focus_path(target)
        part = path.removeprefix(target + ".") if path.startswith(target + ".") else ""
        focus_part = getattr(self._bound[target].control, "focus_part", None)
        if part and focus_part is not None:
            focus_part(part)
        return True

    def focus_section(self, index: int) -> None:
        """Focus the first control of a section (by position, wrapping)."""
        index %= len(self.form_layout.sections)
        section = self.form_layout.sections[index]
        first = next((p for p in self._order if self._bound[p].section is section), None)
        if first is not None:
            self._ensure_visible(self._sections[index])  # the section's title and help first
            self.focus_path(first)

    def next_section(self, step: int = 1) -> None:
        """Ctrl+PgDown / Ctrl+PgUp: the next or previous section."""
        current = self.section_of_focus()
        sections = list(self.form_layout.sections)
        index = sections.index(current) + step if current in sections else 0
        self.focus_section(index)

    def _ensure_visible(self, widget: QWidget) -> None:
        parent = self.parentWidget()
        while parent is not None:
            ensure = getattr(parent, "ensureWidgetVisible", None)
            if ensure is not None:
                ensure(widget, 20, 40)
                return
            parent = parent.parentWidget()
