"""The clickable, coded sensory map of one side: sole, top of the foot and leg.

Each region of clinical-reference.md 2.3 is a polygon of the shared geometry
(``clinic_app.domain.foot_map``); the left side is drawn as the mirror image of the right. A
modality bar picks what the map shows and edits (light touch, pin-prick, 10 g monofilament,
two-point distance, symptoms); states are painted by colour *and* pattern, never colour alone.
A detail editor under the map shows and edits every modality of the selected region.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, ClassVar

from pydantic import ValidationError
from PySide6.QtCore import QEvent, QPoint, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontMetricsF,
    QHelpEvent,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPainterPathStroker,
    QPaintEvent,
    QPen,
    QPolygonF,
    QTransform,
)
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSizePolicy,
    QStyle,
    QStyleOptionComboBox,
    QStylePainter,
    QToolButton,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from clinic_app.domain.errors import FieldErrors
from clinic_app.domain.exam import (
    NORMAL_SENSATION,
    TWO_POINT_HELP,
    Monofilament,
    RegionFindings,
    SensoryGrade,
    Side,
    Symptom,
)
from clinic_app.domain.foot_map import Edge, FootMapGeometry, MapView, interior_point
from clinic_app.domain.regions import REGIONS, RegionCode, describe
from clinic_app.ui.flow_layout import FlowLayout
from clinic_app.ui.forms.controls import install_wheel_guard, pick_key
from clinic_app.ui.views.form_widgets import error_look

BLANK = RegionFindings()
REGION_ORDER: tuple[RegionCode, ...] = tuple(RegionCode)


class Modality(StrEnum):
    """What the map shows and what keys and clicks change."""

    LIGHT_TOUCH = "light_touch"
    PIN_PRICK = "pin_prick"
    MONOFILAMENT = "monofilament"
    TWO_POINT = "two_point"
    SYMPTOMS = "symptoms"


@dataclass(frozen=True, slots=True)
class _ModalityText:
    button: str
    name: str


_MODALITY_TEXT: dict[Modality, _ModalityText] = {
    Modality.LIGHT_TOUCH: _ModalityText("Touch", "light touch"),
    Modality.PIN_PRICK: _ModalityText("Pin", "pin-prick"),
    Modality.MONOFILAMENT: _ModalityText("10 g", "10 g monofilament"),
    Modality.TWO_POINT: _ModalityText("2PD", "two-point distance"),
    Modality.SYMPTOMS: _ModalityText("Sympt.", "symptoms"),
}

_MODALITY_OF_FINDING: dict[str, Modality] = {
    "light_touch": Modality.LIGHT_TOUCH,
    "pin_prick": Modality.PIN_PRICK,
    "monofilament": Modality.MONOFILAMENT,
    "two_point_mm": Modality.TWO_POINT,
    "symptoms": Modality.SYMPTOMS,
}
"""RegionFindings field -> the modality that shows it (for following a finding's path)."""

KEY_HELP = (
    "Keys on the map: arrows move to the nearest region, Home/End go to the first/last.\n"
    "1 light touch, 2 pin-prick, 3 monofilament, 4 two-point, 5 symptoms.\n"
    "Light touch, pin-prick: N normal, R reduced, A absent, H hyperaesthetic, "
    "X or Delete not tested, Space next state (Shift+Space back).\n"
    "Monofilament: N felt, A not felt, X or Delete not tested, Space next state.\n"
    "Two-point: Enter types the distance in mm (Enter applies, Esc cancels), "
    "X or Delete clears it.\n"
    "Symptoms: N numb, T tingling, B burning, P pain (each toggles), 0 asked and none felt, "
    "X or Delete not asked, Space next state.\n"
    "Mouse: click selects a region and moves it to the next state, right-click to the previous."
)

# --- states, their looks and their cycles --------------------------------------------------


@dataclass(frozen=True, slots=True)
class Look:
    """How one state is painted: a tint, an optional pattern over it, and a mark."""

    legend: str
    fill: str | None = None
    pattern: Qt.BrushStyle | None = None
    ink: str = "#000000"
    mark: str = ""

    @property
    def blank(self) -> bool:
        """Nothing charted: no fill and a dashed outline."""
        return self.fill is None


_SHORT_LABELS = {
    "light_touch": "Touch",
    "pin_prick": "Pin",
    "monofilament": "10 g",
    "two_point": "2PD",
}

_NORMAL_FILL = "#bfe3bf"
_NOT_TESTED = Look("not tested (X)")
_GRADE_LOOKS: dict[SensoryGrade, Look] = {
    SensoryGrade.NOT_TESTED: _NOT_TESTED,
    SensoryGrade.NORMAL: Look("normal (N)", _NORMAL_FILL),
    SensoryGrade.REDUCED: Look(
        "reduced (R)", "#fbe39b", Qt.BrushStyle.BDiagPattern, "#7a4f00", "R"
    ),
    SensoryGrade.ABSENT: Look(
        "absent (A)", "#e79b93", Qt.BrushStyle.DiagCrossPattern, "#5c0b0b", "A"
    ),
    SensoryGrade.HYPERAESTHETIC: Look(
        "hyperaesthetic (H)", "#d9c6f2", Qt.BrushStyle.Dense5Pattern, "#3f1a6e", "H"
    ),
}
_MONO_LOOKS: dict[Monofilament, Look] = {
    Monofilament.NOT_TESTED: _NOT_TESTED,
    Monofilament.FELT: Look("felt (N)", _NORMAL_FILL, mark="+"),
    Monofilament.NOT_FELT: Look(
        "not felt (A)", "#e79b93", Qt.BrushStyle.DiagCrossPattern, "#5c0b0b", "−"
    ),
}
_TWO_POINT_BLANK = Look("not measured (X)")
_TWO_POINT_MEASURED = Look("measured: mm shown (Enter)", "#c9def5", Qt.BrushStyle.NoBrush)
_SYMPTOMS_NOT_ASKED = Look("not asked (X)")
_SYMPTOMS_NONE = Look("asked, none felt (0)", _NORMAL_FILL)
_SYMPTOM_LETTER: dict[Symptom, str] = {
    Symptom.NUMB: "N",
    Symptom.TINGLING: "T",
    Symptom.BURNING: "B",
    Symptom.PAIN: "P",
}
_SYMPTOMS_FELT = Look("felt", "#fcd3b0", Qt.BrushStyle.HorPattern, "#8a3b00")

_GRADE_TEXT: dict[SensoryGrade, str] = {
    SensoryGrade.NOT_TESTED: "not tested",
    SensoryGrade.NORMAL: "normal",
    SensoryGrade.REDUCED: "reduced",
    SensoryGrade.ABSENT: "absent",
    SensoryGrade.HYPERAESTHETIC: "hyperaesthetic",
}
_MONO_TEXT: dict[Monofilament, str] = {
    Monofilament.NOT_TESTED: "not tested",
    Monofilament.FELT: "felt",
    Monofilament.NOT_FELT: "not felt",
}
_SYMPTOM_TEXT: dict[Symptom, str] = {
    Symptom.NUMB: "numb",
    Symptom.TINGLING: "tingling",
    Symptom.BURNING: "burning",
    Symptom.PAIN: "pain",
}

SymptomState = tuple[Symptom, ...] | None
_GRADE_CYCLE: tuple[SensoryGrade, ...] = tuple(SensoryGrade)
_MONO_CYCLE: tuple[Monofilament, ...] = tuple(Monofilament)
_SYMPTOM_CYCLE: tuple[SymptomState, ...] = (None, (), *((symptom,) for symptom in Symptom))

_MODALITY_KEYS: dict[Qt.Key, Modality] = {
    Qt.Key.Key_1: Modality.LIGHT_TOUCH,
    Qt.Key.Key_2: Modality.PIN_PRICK,
    Qt.Key.Key_3: Modality.MONOFILAMENT,
    Qt.Key.Key_4: Modality.TWO_POINT,
    Qt.Key.Key_5: Modality.SYMPTOMS,
}
_CLEAR_KEYS = frozenset({Qt.Key.Key_X, Qt.Key.Key_Delete})
_GRADE_KEYS: dict[Qt.Key, SensoryGrade] = {
    Qt.Key.Key_N: SensoryGrade.NORMAL,
    Qt.Key.Key_R: SensoryGrade.REDUCED,
    Qt.Key.Key_A: SensoryGrade.ABSENT,
    Qt.Key.Key_H: SensoryGrade.HYPERAESTHETIC,
}
_MONO_KEYS: dict[Qt.Key, Monofilament] = {
    Qt.Key.Key_N: Monofilament.FELT,
    Qt.Key.Key_A: Monofilament.NOT_FELT,
}
_SYMPTOM_KEYS: dict[Qt.Key, Symptom] = {
    Qt.Key.Key_N: Symptom.NUMB,
    Qt.Key.Key_T: Symptom.TINGLING,
    Qt.Key.Key_B: Symptom.BURNING,
    Qt.Key.Key_P: Symptom.PAIN,
}
_ARROWS: dict[Qt.Key, tuple[float, float]] = {
    Qt.Key.Key_Left: (-1.0, 0.0),
    Qt.Key.Key_Right: (1.0, 0.0),
    Qt.Key.Key_Up: (0.0, -1.0),
    Qt.Key.Key_Down: (0.0, 1.0),
}


def _with(findings: RegionFindings, **changes: Any) -> RegionFindings:
    """A validated copy with some modalities changed."""
    return RegionFindings.model_validate({**findings.model_dump(), **changes})


def _step(sequence: tuple[Any, ...], current: Any, step: int) -> Any:
    # A symptom combination is not in the cycle; it counts as its last state.
    index = sequence.index(current) if current in sequence else len(sequence) - 1
    return sequence[(index + step) % len(sequence)]


def cycled(findings: RegionFindings, modality: Modality, step: int) -> RegionFindings:
    """The findings with one modality moved ``step`` states along its cycle."""
    if modality is Modality.LIGHT_TOUCH:
        return _with(findings, light_touch=_step(_GRADE_CYCLE, findings.light_touch, step))
    if modality is Modality.PIN_PRICK:
        return _with(findings, pin_prick=_step(_GRADE_CYCLE, findings.pin_prick, step))
    if modality is Modality.MONOFILAMENT:
        return _with(findings, monofilament=_step(_MONO_CYCLE, findings.monofilament, step))
    if modality is Modality.SYMPTOMS:
        return _with(findings, symptoms=_step(_SYMPTOM_CYCLE, findings.symptoms, step))
    return findings  # a distance is typed, not cycled


def look_of(findings: RegionFindings, modality: Modality) -> tuple[Look, str]:
    """The look of a region in a modality and the mark to draw in it."""
    if modality is Modality.LIGHT_TOUCH:
        look = _GRADE_LOOKS[findings.light_touch]
    elif modality is Modality.PIN_PRICK:
        look = _GRADE_LOOKS[findings.pin_prick]
    elif modality is Modality.MONOFILAMENT:
        look = _MONO_LOOKS[findings.monofilament]
    elif modality is Modality.TWO_POINT:
        if findings.two_point_mm is None:
            return _TWO_POINT_BLANK, ""
        return _TWO_POINT_MEASURED, str(findings.two_point_mm)
    elif findings.symptoms is None:
        look = _SYMPTOMS_NOT_ASKED
    elif not findings.symptoms:
        look = _SYMPTOMS_NONE
    else:
        return _SYMPTOMS_FELT, "".join(_SYMPTOM_LETTER[s] for s in findings.symptoms)
    return look, look.mark


def legend_of(modality: Modality) -> tuple[tuple[Look, str, str], ...]:
    """Every state of a modality: (look, mark in the swatch, text)."""
    if modality in (Modality.LIGHT_TOUCH, Modality.PIN_PRICK):
        return tuple((look, look.mark, look.legend) for look in _GRADE_LOOKS.values())
    if modality is Modality.MONOFILAMENT:
        return tuple((look, look.mark, look.legend) for look in _MONO_LOOKS.values())
    if modality is Modality.TWO_POINT:
        return (
            (_TWO_POINT_BLANK, "", _TWO_POINT_BLANK.legend),
            (_TWO_POINT_MEASURED, "9", _TWO_POINT_MEASURED.legend),
        )
    felt = tuple(
        (_SYMPTOMS_FELT, _SYMPTOM_LETTER[s], _SYMPTOM_TEXT[s] + f" ({_SYMPTOM_LETTER[s]})")
        for s in Symptom
    )
    return (
        (_SYMPTOMS_NOT_ASKED, "", _SYMPTOMS_NOT_ASKED.legend),
        (_SYMPTOMS_NONE, "", _SYMPTOMS_NONE.legend),
        *felt,
    )


def summary(findings: RegionFindings) -> str:
    """Every modality of a region, one per line (hover text and accessible description)."""
    if findings.symptoms is None:
        symptoms = "not asked"
    elif not findings.symptoms:
        symptoms = "asked, none felt"
    else:
        symptoms = ", ".join(_SYMPTOM_TEXT[s] for s in findings.symptoms)
    two_point = "not measured" if findings.two_point_mm is None else f"{findings.two_point_mm} mm"
    return "\n".join(
        (
            f"Light touch: {_GRADE_TEXT[findings.light_touch]}",
            f"Pin-prick: {_GRADE_TEXT[findings.pin_prick]}",
            f"10 g monofilament: {_MONO_TEXT[findings.monofilament]}",
            f"Two-point: {two_point}",
            f"Symptoms: {symptoms}",
        )
    )


def _key_of(event: QKeyEvent) -> Qt.Key | None:
    try:
        return Qt.Key(event.key())
    except ValueError:
        return None


def paint_look(painter: QPainter, path: QPainterPath, look: Look) -> None:
    """Fill a region or legend swatch with a look (tint, then the pattern over it)."""
    if look.fill is None:
        return
    painter.fillPath(path, QColor(look.fill))
    if look.pattern not in (None, Qt.BrushStyle.NoBrush):
        painter.fillPath(path, QBrush(QColor(look.ink), look.pattern))


def draw_mark(painter: QPainter, center: QPointF, text: str, font: QFont) -> None:
    """Draw a short mark centred on a point, dark on a white halo (legible over hatching)."""
    metrics = QFontMetricsF(font)
    path = QPainterPath()
    width = metrics.horizontalAdvance(text)
    path.addText(center.x() - width / 2, center.y() + metrics.ascent() * 0.36, font, text)
    painter.strokePath(path, QPen(QColor(255, 255, 255, 230), 3.0))
    painter.fillPath(path, QColor("#1b1b1b"))


def _scaled_font(base: QFont, factor: float, *, bold: bool = False) -> QFont:
    font = QFont(base)
    if font.pointSizeF() > 0:
        font.setPointSizeF(font.pointSizeF() * factor)
    else:
        font.setPixelSize(max(6, round(font.pixelSize() * factor)))
    font.setBold(bold)
    return font


# --- the canvas ----------------------------------------------------------------------------


class _MapCanvas(QWidget):
    """Paints the views and turns clicks, keys and hovering into calls on its map."""

    def __init__(self, owner: SensoryMapView, geometry: FootMapGeometry) -> None:
        super().__init__(owner)
        self._owner = owner
        self._geometry = geometry
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        # Built on the first paint or hit test after a resize or font change.
        self._layout_key: tuple[int, int, str] | None = None
        self._scale = 1.0
        self._boxes: list[QRectF] = []
        self._strips: list[tuple[QRectF, str]] = []
        self._outlines: list[QPainterPath] = []
        self._paths: dict[RegionCode, QPainterPath] = {}
        self._anchors: dict[RegionCode, QPointF] = {}
        self._hit_margins: dict[RegionCode, QPainterPath] = {}

    def sizeHint(self) -> QSize:
        return QSize(330, round(self._text_height() + 180))

    def minimumSizeHint(self) -> QSize:
        return QSize(200, round(self._text_height() + 110))

    def _text_height(self) -> float:
        """Height of the caption rows above and under the views, and the margins."""
        caption, small, _ = self.fonts()
        return 2 * QFontMetricsF(caption).height() + QFontMetricsF(small).height() + 12

    # -- layout ------------------------------------------------------------------------------

    def fonts(self) -> tuple[QFont, QFont, QFont]:
        """(caption, side-caption, mark) fonts derived from the widget font."""
        base = self.font()
        return (
            _scaled_font(base, 1.0, bold=True),
            _scaled_font(base, 0.85),
            _scaled_font(base, 0.85, bold=True),
        )

    def _ensure_layout(self) -> None:
        key = (self.width(), self.height(), self.font().key())
        if key == self._layout_key:
            return
        self._layout_key = key
        caption, small, _ = self.fonts()
        caption_h = QFontMetricsF(caption).height()
        small_h = QFontMetricsF(small).height()
        views = self._geometry.views
        margin, gap = 4.0, 6.0
        strip_w = small_h + 2  # a rotated "medial"/"lateral" caption beside a view
        # Left to right: caption strip, view, caption strip, ... Two neighbouring views whose
        # facing edges carry the same word share one strip (the sole and the top of a foot are
        # mirror images, so their medial edges meet).
        plan: list[str | int] = []
        for index, view in enumerate(views):
            left = _edge_word(view, Edge.LEFT)
            if not plan or plan[-1] != left:
                if plan:
                    plan.append("")  # a gap between two different captions
                plan.append(left)
            plan.append(index)
            plan.append(_edge_word(view, Edge.RIGHT))
        fixed_w = sum(strip_w if item else gap for item in plan if isinstance(item, str))
        labels_h = small_h + 2 if any(view.labels for view in views) else 0.0
        top = margin + 2 * caption_h + 2  # side caption, then the view titles
        avail_w = self.width() - 2 * margin - fixed_w
        avail_h = self.height() - top - labels_h - margin
        total_w = sum(view.width for view in views)
        max_h = max(view.height for view in views)
        scale = max(0.05, min(avail_w / total_w, avail_h / max_h))
        x = (self.width() - total_w * scale - fixed_w) / 2
        y = top + max(0.0, (avail_h - max_h * scale) / 2)
        self._scale = scale
        self._boxes = []
        self._strips = []
        self._outlines = []
        self._paths = {}
        self._anchors = {}
        self._hit_margins = {}
        for item in plan:
            if isinstance(item, str):
                if item:
                    self._strips.append((QRectF(x, y, strip_w, max_h * scale), item))
                x += strip_w if item else gap
                continue
            view = views[item]
            box = QRectF(x, y, view.width * scale, view.height * scale)
            self._boxes.append(box)
            x += box.width()
            transform = QTransform.fromTranslate(box.x(), box.y()).scale(scale, scale)
            for polygon in view.outline:
                self._outlines.append(transform.map(_path(polygon)))
            for code, polygon in view.regions.items():
                self._paths[code] = transform.map(_path(polygon))
                ax, ay = interior_point(polygon)
                self._anchors[code] = transform.map(QPointF(ax, ay))

    def region_at(self, pos: QPointF) -> RegionCode | None:
        """The region under a point, or one within a few pixels of it (thin strips, toes)."""
        self._ensure_layout()
        for code, path in self._paths.items():
            if path.contains(pos):
                return code
        for code, path in self._paths.items():
            margin = self._hit_margins.get(code)
            if margin is None:
                stroker = QPainterPathStroker()
                stroker.setWidth(8)
                margin = self._hit_margins[code] = stroker.createStroke(path)
            if margin.contains(pos):
                return code
        return None

    def anchor(self, code: RegionCode) -> QPointF:
        """A point inside the region in canvas coordinates."""
        self._ensure_layout()
        return self._anchors[code]

    def neighbour(self, code: RegionCode, direction: tuple[float, float]) -> RegionCode | None:
        """The nearest region in a direction (by anchors), or None when there is none."""
        self._ensure_layout()
        origin = self._anchors[code]
        dx, dy = direction
        best: tuple[float, RegionCode] | None = None
        for other, point in self._anchors.items():
            if other is code:
                continue
            vx, vy = point.x() - origin.x(), point.y() - origin.y()
            along = vx * dx + vy * dy
            if along <= 1e-6:
                continue
            across = abs(vx * dy - vy * dx)
            # Prefer regions straight ahead: sideways distance counts more than distance ahead.
            score = along + 2.5 * across
            if best is None or score < best[0]:
                best = (score, other)
        return None if best is None else best[1]

    # -- painting ----------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        self._ensure_layout()
        owner = self._owner
        palette = self.palette()
        _, _, mark_font = self.fonts()
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), palette.base())

        self._paint_captions(painter)

        skin = QColor("#f4efe9")
        for path in self._outlines:
            painter.fillPath(path, skin)
        blank_pen = QPen(QColor("#77767b"), 1.0, Qt.PenStyle.DashLine)
        charted_pen = QPen(QColor("#5e5c64"), 1.0)
        marks: list[tuple[QPainterPath, QPointF, str]] = []
        for code, path in self._paths.items():
            look, mark = look_of(owner.findings(code), owner.modality)
            paint_look(painter, path, look)
            painter.strokePath(path, blank_pen if look.blank else charted_pen)
            if mark:
                marks.append((path, self._anchors[code], mark))
        contour = QPen(QColor("#3d3846"), 1.3)
        contour.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
        for path in self._outlines:
            painter.strokePath(path, contour)

        # A mark too big for its region is tried once more in a smaller type, then left out.
        mark_fonts = (mark_font, _scaled_font(mark_font, 0.8, bold=True))
        for path, point, mark in marks:
            for font in mark_fonts:
                placed = _fit_mark(path, point, mark, QFontMetricsF(font))
                for centre, text in placed:
                    draw_mark(painter, centre, text, font)
                if placed:
                    break

        for code in owner.highlighted:
            path = self._paths[code]
            painter.strokePath(path, QPen(QColor("white"), 5.5))
            painter.strokePath(path, QPen(QColor("#c64600"), 3.0))
        selected = self._paths[owner.selected_region()]
        focus_colour = palette.highlight().color() if self.hasFocus() else QColor("#3d3846")
        painter.strokePath(selected, QPen(QColor("white"), 6.0))
        painter.strokePath(selected, QPen(focus_colour, 3.5))

        frame = QRectF(self.rect()).adjusted(1, 1, -1, -1)
        if self.hasFocus():
            painter.setPen(QPen(palette.highlight().color(), 2.0))
        else:
            painter.setPen(QPen(palette.mid().color(), 1.0))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRoundedRect(frame, 3, 3)
        painter.end()

    def _paint_captions(self, painter: QPainter) -> None:
        """The side and modality above everything, view titles, medial/lateral and labels."""
        caption, small_font, _ = self.fonts()
        caption_metrics, small = QFontMetricsF(caption), QFontMetricsF(small_font)
        text_colour = self.palette().text().color()
        header = QRectF(6, 3, self.width() - 12, caption_metrics.height())
        side = f"{self._owner.side_title} foot"
        painter.setFont(caption)
        painter.setPen(text_colour)
        painter.drawText(header, Qt.AlignmentFlag.AlignLeft, side)
        shown = small.elidedText(
            _MODALITY_TEXT[self._owner.modality].name,
            Qt.TextElideMode.ElideRight,
            header.width() - caption_metrics.horizontalAdvance(side) - 12,
        )
        painter.setFont(small_font)
        painter.drawText(header, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, shown)

        painter.setFont(caption)
        for view, box in zip(self._geometry.views, self._boxes, strict=True):
            title = QRectF(box.x() - 20, box.y() - header.height() - 2, box.width() + 40, 99)
            painter.drawText(title, Qt.AlignmentFlag.AlignHCenter, view.title)

        painter.setFont(small_font)
        for view, box in zip(self._geometry.views, self._boxes, strict=True):
            centres = [box.x() + label.x * self._scale for label in view.labels]
            for label, centre in zip(view.labels, centres, strict=True):
                # Each label keeps to its share of the room between it and its neighbours.
                room = min(
                    [abs(centre - other) for other in centres if other != centre] or [box.width()]
                )
                text = small.elidedText(label.text, Qt.TextElideMode.ElideRight, room - 2)
                rect = QRectF(centre - room / 2, box.bottom(), room, small.height() + 2)
                painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)

        painter.setPen(QColor("#5e5c64"))
        for strip, text in self._strips:
            painter.save()
            painter.translate(strip.center())
            painter.rotate(-90)
            elided = small.elidedText(text, Qt.TextElideMode.ElideRight, strip.height())
            painter.drawText(
                QRectF(-strip.height() / 2, -strip.width() / 2, strip.height(), strip.width()),
                Qt.AlignmentFlag.AlignCenter,
                elided,
            )
            painter.restore()

    # -- input -------------------------------------------------------------------------------

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            code = self.region_at(QPointF(event.pos()))
            text = KEY_HELP if code is None else self._owner.hover_text(code)
            QToolTip.showText(event.globalPos(), text, self)
            return True
        # Single letters are map commands here, not window shortcuts.
        if (
            event.type() == QEvent.Type.ShortcutOverride
            and isinstance(event, QKeyEvent)
            and self._owner.handles_key(event)
        ):
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if self._owner.handle_key(event):
            event.accept()
            return
        super().keyPressEvent(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        code = self.region_at(event.position())
        if code is None or event.button() not in (
            Qt.MouseButton.LeftButton,
            Qt.MouseButton.RightButton,
        ):
            super().mousePressEvent(event)
            return
        self._owner.region_clicked(code, forward=event.button() == Qt.MouseButton.LeftButton)
        event.accept()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self._layout_key = None
        super().changeEvent(event)


def _fit_mark(
    path: QPainterPath, centre: QPointF, mark: str, metrics: QFontMetricsF
) -> list[tuple[QPointF, str]]:
    """Where to draw a mark inside a region: on one line, else one letter per line, else not.

    Narrow regions (heel thirds, leg halves) take symptom letters stacked; a mark that fits
    neither way is left out (hover text and the detail editor still say it).
    """
    line = metrics.boundingRect(mark)
    line.moveCenter(centre)
    if path.contains(line.adjusted(-1, -1, 1, 1)):
        return [(centre, mark)]
    if len(mark) > 1 and not mark.isdigit():
        step = metrics.ascent() * 0.95
        width = max(metrics.horizontalAdvance(letter) for letter in mark)
        column = QRectF(0, 0, width + 2, step * len(mark) + 2)
        column.moveCenter(centre)
        if path.contains(column):
            top = centre.y() - step * (len(mark) - 1) / 2
            return [
                (QPointF(centre.x(), top + step * index), letter)
                for index, letter in enumerate(mark)
            ]
    return []


def _edge_word(view: MapView, edge: Edge) -> str:
    return "medial" if edge is view.medial_edge else "lateral"


def _path(polygon: Iterable[tuple[float, float]]) -> QPainterPath:
    path = QPainterPath()
    path.addPolygon(QPolygonF([QPointF(x, y) for x, y in polygon]))
    path.closeSubpath()
    return path


# --- the legend ----------------------------------------------------------------------------


class _Legend(QWidget):
    """Every state of the shown modality with its swatch, wrapped to the width."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self._items: tuple[tuple[Look, str, str], ...] = ()
        policy = QSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        policy.setHeightForWidth(True)
        self.setSizePolicy(policy)

    def set_items(self, items: tuple[tuple[Look, str, str], ...]) -> None:
        """Show these (look, swatch mark, text) entries."""
        self._items = items
        self.setAccessibleDescription("; ".join(text for _, _, text in items))
        self.updateGeometry()
        self.update()

    def _rects(self, width: int) -> tuple[list[tuple[QRectF, QRectF]], float]:
        metrics = QFontMetricsF(self.font())
        line_h = metrics.height() + 2
        swatch_w, gap = metrics.height() * 1.6, 10.0
        x = y = 0.0
        rects: list[tuple[QRectF, QRectF]] = []
        for _, _, text in self._items:
            item_w = swatch_w + 4 + metrics.horizontalAdvance(text)
            if x > 0 and x + item_w > width:
                x, y = 0.0, y + line_h
            swatch = QRectF(x, y + 1, swatch_w, line_h - 2)
            rects.append((swatch, QRectF(swatch.right() + 4, y, item_w - swatch_w, line_h)))
            x += item_w + gap
        return rects, y + line_h

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return int(self._rects(max(width, 1))[1]) + 1

    def sizeHint(self) -> QSize:
        return QSize(320, self.heightForWidth(320))

    def minimumSizeHint(self) -> QSize:
        return QSize(100, self.heightForWidth(100))

    def paintEvent(self, event: QPaintEvent) -> None:
        rects, _ = self._rects(self.width())
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        mark_font = _scaled_font(self.font(), 0.85, bold=True)
        text_colour = self.palette().text().color()
        for (look, mark, text), (swatch, label) in zip(self._items, rects, strict=True):
            path = QPainterPath()
            path.addRect(swatch)
            painter.fillPath(path, QColor("#f4efe9"))
            paint_look(painter, path, look)
            pen = QPen(QColor("#5e5c64"), 1.0)
            if look.blank:
                pen = QPen(QColor("#77767b"), 1.0, Qt.PenStyle.DashLine)
            painter.strokePath(path, pen)
            if mark:
                draw_mark(painter, swatch.center(), mark, mark_font)
            painter.setPen(text_colour)
            painter.setFont(self.font())
            painter.drawText(
                label, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, text
            )
        painter.end()


class _ElidingCombo(QComboBox):
    """A combo box that elides its current text when narrow instead of cutting it off."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        # Narrow enough for two columns of editors in the map's column; a longer choice is
        # elided in the box and shown whole in the list and the tooltip.
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.setMinimumContentsLength(7)
        self.currentTextChanged.connect(self.setToolTip)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """A letter picks by the mnemonic (``n`` normal, never *not tested*); Delete clears."""
        if event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace) and self.count():
            self.setCurrentIndex(0)
            return
        if not pick_key(self, event):
            super().keyPressEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QStylePainter(self)
        option = QStyleOptionComboBox()
        self.initStyleOption(option)
        painter.drawComplexControl(QStyle.ComplexControl.CC_ComboBox, option)
        field = self.style().subControlRect(
            QStyle.ComplexControl.CC_ComboBox, option, QStyle.SubControl.SC_ComboBoxEditField, self
        )
        option.currentText = self.fontMetrics().elidedText(
            option.currentText, Qt.TextElideMode.ElideRight, field.width()
        )
        painter.drawControl(QStyle.ControlElement.CE_ComboBoxLabel, option)


class _TwoPointEdit(QLineEdit):
    """The two-point field: Escape gives up the edit instead of being ignored."""

    sig_cancelled = Signal()
    """Escape was pressed: restore the stored value and go back to the map."""

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self.sig_cancelled.emit()
            event.accept()
            return
        super().keyPressEvent(event)


# --- the widget ----------------------------------------------------------------------------


class SensoryMapView(QWidget):
    """The sensory map of one side, with a modality bar, legend and a selected-region editor.

    The map is keyboard-first. With the map focused:

    - Arrow keys move to the nearest region in that direction (by region centres; the region
      order when there is none); Home/End go to the first/last region.
    - 1-5 pick the modality: 1 light touch, 2 pin-prick, 3 monofilament, 4 two-point,
      5 symptoms.
    - Light touch / pin-prick: N normal, R reduced, A absent, H hyperaesthetic, X or Delete not
      tested, Space next state (Shift+Space previous).
    - Monofilament: N felt, A not felt, X or Delete not tested, Space next state.
    - Two-point: Enter moves to the millimetre field of the selected region; Enter there
      applies and comes back, Escape comes back without applying. X or Delete clears it.
    - Symptoms: N numb, T tingling, B burning, P pain toggle that flag; 0 asked, none felt;
      X or Delete not asked; Space next state.
    - Mouse: left click selects a region and moves it to the next state of the modality shown,
      right click to the previous one (two-point: the click opens the millimetre field).
      Hovering names the region, its nerve and dermatome and lists its findings.

    Signals:
        sig_value_changed: after every change made by the user (never by ``set_value``).
    """

    sig_value_changed = Signal()
    """The user changed a finding (through the map, a key, an editor or a preset)."""

    PRESETS: ClassVar[frozenset[str]] = frozenset({"normal"})

    def __init__(
        self, side: Side, geometry: FootMapGeometry, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._side = side
        self._geometry = geometry.for_side(side)
        self._findings: dict[RegionCode, RegionFindings] = {}
        self._selected = REGION_ORDER[0]
        self._modality = Modality.LIGHT_TOUCH
        self._read_only = False
        self._highlight: frozenset[RegionCode] = frozenset()
        self._syncing = False
        install_wheel_guard()  # the editors under the map keep their values as the form scrolls
        title = self.side_title
        prefix = f"{side.value}_sensory"
        self.setObjectName(f"{prefix}_map")
        self.setAccessibleName(f"{title} sensory map")

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(3)

        bar = QHBoxLayout()
        bar.setSpacing(2)
        self._modality_group = QButtonGroup(self)
        self._modality_buttons: dict[Modality, QToolButton] = {}
        for number, modality in enumerate(Modality, start=1):
            text = _MODALITY_TEXT[modality]
            button = QToolButton(self)
            button.setText(text.button)
            button.setCheckable(True)
            button.setObjectName(f"{prefix}_show_{modality.value}")
            button.setAccessibleName(f"{title} map shows {text.name}")
            button.setToolTip(f"Show and chart {text.name} (key {number} on the map)")
            button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
            self._modality_group.addButton(button)
            self._modality_buttons[modality] = button
            button.clicked.connect(lambda _=False, m=modality: self._set_modality(m))
            bar.addWidget(button)
        self._modality_group.setExclusive(True)
        self._modality_buttons[self._modality].setChecked(True)
        layout.addLayout(bar)

        self._canvas = _MapCanvas(self, self._geometry)
        self._canvas.setObjectName(f"{prefix}_canvas")
        self._canvas.setAccessibleName(f"{title} foot sensory map")
        self._canvas.setWhatsThis(KEY_HELP)
        layout.addWidget(self._canvas, 1)
        # Focusing the map (the form's Tab stop for it) means focusing the drawing.
        self.setFocusProxy(self._canvas)

        self._error = QLabel(self)
        self._error.setObjectName(f"{prefix}_error")
        self._error.setAccessibleName(f"{title} sensory map error")
        error_look(self._error)
        self._error.setWordWrap(True)
        self._error.hide()
        layout.addWidget(self._error)

        self._legend = _Legend(self)
        self._legend.setObjectName(f"{prefix}_legend")
        self._legend.setAccessibleName(f"{title} map legend")
        layout.addWidget(self._legend)

        self._selected_label = QLabel(self)
        self._selected_label.setObjectName(f"{prefix}_selected")
        self._selected_label.setAccessibleName(f"{title} selected region")
        self._selected_label.setWordWrap(True)
        self._selected_label.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(self._selected_label)

        layout.addLayout(self._build_editors(prefix, title))
        self._refresh_all()

    def _build_editors(self, prefix: str, title: str) -> QVBoxLayout:
        fields = FlowLayout(spacing=6, line_spacing=3, uniform=True, hint_width=320)
        captions: list[QLabel] = []

        def field(name: str, editor: QWidget) -> None:
            cell = QWidget(self)
            row = QHBoxLayout(cell)
            row.setContentsMargins(0, 0, 0, 0)
            row.setSpacing(4)
            caption = QLabel(_SHORT_LABELS[name], cell)
            caption.setBuddy(editor)
            captions.append(caption)
            row.addWidget(caption)
            row.addWidget(editor, 1)
            fields.addWidget(cell)

        def combo(name: str, label: str, choices: Mapping[Any, str]) -> QComboBox:
            box = _ElidingCombo(self)
            box.setObjectName(f"{prefix}_{name}")
            box.setAccessibleName(f"{title} {label}")
            box.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            for value, text in choices.items():
                box.addItem(text, value.value)
            field(name, box)
            return box

        self._touch = combo("light_touch", "light touch", _GRADE_TEXT)
        self._pin = combo("pin_prick", "pin-prick", _GRADE_TEXT)
        self._mono = combo("monofilament", "10 g monofilament", _MONO_TEXT)
        self._touch.currentIndexChanged.connect(
            lambda _: self._edit(light_touch=SensoryGrade(self._touch.currentData()))
        )
        self._pin.currentIndexChanged.connect(
            lambda _: self._edit(pin_prick=SensoryGrade(self._pin.currentData()))
        )
        self._mono.currentIndexChanged.connect(
            lambda _: self._edit(monofilament=Monofilament(self._mono.currentData()))
        )

        self._two_point = _TwoPointEdit(self)
        self._two_point.setObjectName(f"{prefix}_two_point")
        self._two_point.setAccessibleName(f"{title} two-point distance in mm")
        self._two_point.setPlaceholderText("mm")
        self._two_point.setToolTip(TWO_POINT_HELP + " Enter applies, Escape cancels.")
        self._two_point.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self._two_point.returnPressed.connect(self._two_point_entered)
        self._two_point.editingFinished.connect(self._apply_two_point)
        self._two_point.sig_cancelled.connect(self._two_point_cancelled)
        field("two_point", self._two_point)
        # Captions share one width so the editors line up in columns.
        caption_w = max(caption.sizeHint().width() for caption in captions)
        for caption in captions:
            caption.setFixedWidth(caption_w)

        self._two_point_error = QLabel(self)
        self._two_point_error.setObjectName(f"{prefix}_two_point_error")
        self._two_point_error.setAccessibleName(f"{title} two-point distance error")
        error_look(self._two_point_error)
        self._two_point_error.setWordWrap(True)
        self._two_point_error.hide()

        symptoms = FlowLayout(spacing=8, line_spacing=3, hint_width=320)
        self._asked = QCheckBox("Symptoms asked", self)
        self._asked.setObjectName(f"{prefix}_symptoms_asked")
        self._asked.setAccessibleName(f"{title} symptoms asked")
        self._asked.setToolTip("Unticked: not asked. Ticked with no symptom: asked, none felt.")
        self._asked.toggled.connect(self._asked_toggled)
        symptoms.addWidget(self._asked)
        self._flags: dict[Symptom, QCheckBox] = {}
        for symptom in Symptom:
            box = QCheckBox(_SYMPTOM_TEXT[symptom].capitalize(), self)
            box.setObjectName(f"{prefix}_symptom_{symptom.value}")
            box.setAccessibleName(f"{title} {_SYMPTOM_TEXT[symptom]}")
            box.toggled.connect(self._flag_toggled)
            self._flags[symptom] = box
            symptoms.addWidget(box)

        editors = QVBoxLayout()
        editors.setSpacing(3)
        editors.addLayout(fields)
        editors.addWidget(self._two_point_error)
        editors.addLayout(symptoms)
        return editors

    # -- public API --------------------------------------------------------------------------

    @property
    def side(self) -> Side:
        """The side this map charts."""
        return self._side

    @property
    def side_title(self) -> str:
        """The side as a word for captions: Right or Left."""
        return self._side.value.capitalize()

    @property
    def modality(self) -> Modality:
        """The modality the map shows."""
        return self._modality

    @property
    def highlighted(self) -> frozenset[RegionCode]:
        """Regions outlined by ``highlight``."""
        return self._highlight

    @property
    def canvas(self) -> QWidget:
        """The focusable drawing (for focus handling and tests)."""
        return self._canvas

    def value(self) -> dict[RegionCode, RegionFindings]:
        """Regions with something charted, in region order."""
        return {
            code: self._findings[code]
            for code in REGION_ORDER
            if code in self._findings and not self._findings[code].is_blank
        }

    def set_value(self, regions: Mapping[RegionCode, RegionFindings]) -> None:
        """Show these findings (regions left out are not tested); emits no signal."""
        self._findings = {
            RegionCode(code): RegionFindings.model_validate(found)
            for code, found in regions.items()
        }
        self._refresh_all()

    def findings(self, code: RegionCode) -> RegionFindings:
        """The findings of one region (all not tested when never charted)."""
        return self._findings.get(code, BLANK)

    def selected_region(self) -> RegionCode:
        """The region the detail editor and the keys act on."""
        return self._selected

    def set_read_only(self, read_only: bool) -> None:
        """Lock or unlock charting; selecting, hovering and switching modality still work."""
        self._read_only = read_only
        for editor in (self._touch, self._pin, self._mono, self._asked, *self._flags.values()):
            editor.setEnabled(not read_only)
        self._two_point.setReadOnly(read_only)
        self._refresh_all()

    def apply_preset(self, name: str) -> None:
        """Chart a named preset on every region and emit ``sig_value_changed`` once.

        ``normal``: light touch and pin-prick normal, monofilament felt, symptoms asked and
        none felt. Two-point distances are left as they are: there is no plantar normal to
        fill in, only the other foot to compare with. Does nothing while read-only.

        Raises:
            ValueError: for a name not in ``PRESETS``.
        """
        if name not in self.PRESETS:
            known = ", ".join(sorted(self.PRESETS))
            raise ValueError(f"Unknown sensory-map preset {name!r}; known: {known}.")
        if self._read_only:
            return
        updated = {code: _with(self.findings(code), **NORMAL_SENSATION) for code in REGION_ORDER}
        if updated == {code: self.findings(code) for code in REGION_ORDER}:
            return
        self._findings = updated
        self._refresh_all()
        self.sig_value_changed.emit()

    def untested_filled(self, name: str) -> dict[RegionCode, RegionFindings]:
        """This map's value with a preset laid over only what is not tested yet.

        A region's charted modalities stay as charted; only its untested ones get the preset.

        Raises:
            ValueError: for a name not in ``PRESETS``.
        """
        if name not in self.PRESETS:
            raise ValueError(f"Unknown sensory-map preset {name!r}.")
        out: dict[RegionCode, RegionFindings] = {}
        for code in REGION_ORDER:
            found = self.findings(code)
            missing = {
                key: value
                for key, value in NORMAL_SENSATION.items()
                if getattr(found, key) in (None, SensoryGrade.NOT_TESTED, Monofilament.NOT_TESTED)
            }
            out[code] = _with(found, **missing) if missing else found
        return out

    def set_error(self, message: str | None) -> None:
        """Show a message under the map (None or "" clears it)."""
        self._error.setText(message or "")
        self._error.setVisible(bool(message))
        self._describe_canvas()

    def highlight(self, codes: Iterable[RegionCode]) -> None:
        """Draw a strong outline on these regions; an empty iterable clears it."""
        self._highlight = frozenset(RegionCode(code) for code in codes)
        self._canvas.update()

    def focus_region(self, code: RegionCode) -> None:
        """Select a region and give the map keyboard focus."""
        self._select(RegionCode(code))
        self._canvas.setFocus(Qt.FocusReason.OtherFocusReason)

    def focus_part(self, part: str) -> bool:
        """Focus the region a finding path ends in, showing the modality it names.

        ``part`` is what follows ``<side>.sensory.regions.`` in an exam path: a region code,
        optionally with the finding (``PL-ARCH-MED.pin_prick``). False when it names no region.
        """
        code, _dot, finding = part.partition(".")
        try:
            region = RegionCode(code)
        except ValueError:
            return False
        modality = _MODALITY_OF_FINDING.get(finding.partition(".")[0])
        if modality is not None and modality is not self._modality:
            self._set_modality(modality)
        self.focus_region(region)
        return True

    def region_centre(self, code: RegionCode) -> QPoint:
        """A point inside a region, in the canvas's coordinates (for pointing at it)."""
        return self._canvas.anchor(code).toPoint()

    def hover_text(self, code: RegionCode) -> str:
        """What hovering over a region shows: name, nerve, dermatome and its findings."""
        return f"{describe(code)}\n{summary(self.findings(code))}"

    # -- keys and clicks from the canvas --------------------------------------------------------

    def handles_key(self, event: QKeyEvent) -> bool:
        """Whether the map would act on this key press."""
        return self._key_action(event) is not None

    def handle_key(self, event: QKeyEvent) -> bool:
        """Act on a key pressed on the map; False when the key is not a map key."""
        action = self._key_action(event)
        if action is None:
            return False
        action()
        return True

    def _key_action(self, event: QKeyEvent) -> Callable[[], None] | None:
        mods = event.modifiers() & ~(
            Qt.KeyboardModifier.KeypadModifier | Qt.KeyboardModifier.ShiftModifier
        )
        key = _key_of(event)
        if key is None or mods != Qt.KeyboardModifier.NoModifier:
            return None
        if key in _ARROWS:
            return lambda: self._move(
                _ARROWS[key], forward=key in (Qt.Key.Key_Right, Qt.Key.Key_Down)
            )
        if key is Qt.Key.Key_Home:
            return lambda: self._select(REGION_ORDER[0])
        if key is Qt.Key.Key_End:
            return lambda: self._select(REGION_ORDER[-1])
        if key in _MODALITY_KEYS:
            return lambda: self._set_modality(_MODALITY_KEYS[key])
        if key is Qt.Key.Key_Space:
            back = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
            return lambda: self._chart(cycled(self._current(), self._modality, -1 if back else 1))
        return self._charting_key(key)

    def _charting_key(self, key: Qt.Key) -> Callable[[], None] | None:
        modality, current = self._modality, self._current()
        clear = key in _CLEAR_KEYS
        if modality in (Modality.LIGHT_TOUCH, Modality.PIN_PRICK):
            grade = SensoryGrade.NOT_TESTED if clear else _GRADE_KEYS.get(key)
            if grade is None:
                return None
            return lambda: self._chart(_with(current, **{modality.value: grade}))
        if modality is Modality.MONOFILAMENT:
            mono = Monofilament.NOT_TESTED if clear else _MONO_KEYS.get(key)
            if mono is None:
                return None
            return lambda: self._chart(_with(current, monofilament=mono))
        if modality is Modality.TWO_POINT:
            if clear:
                return lambda: self._chart(_with(current, two_point_mm=None))
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                return self._open_two_point
            return None
        if clear:
            return lambda: self._chart(_with(current, symptoms=None))
        if key is Qt.Key.Key_0:
            return lambda: self._chart(_with(current, symptoms=()))
        symptom = _SYMPTOM_KEYS.get(key)
        if symptom is None:
            return None
        flags = set(current.symptoms or ()) ^ {symptom}
        return lambda: self._chart(_with(current, symptoms=tuple(flags)))

    def region_clicked(self, code: RegionCode, *, forward: bool) -> None:
        """A click on a region: select it, then step its state (two-point: open the field)."""
        self._select(code)
        if self._modality is Modality.TWO_POINT:
            if forward:
                self._open_two_point()
            return
        self._chart(cycled(self._current(), self._modality, 1 if forward else -1))

    # -- internals ---------------------------------------------------------------------------

    def _current(self) -> RegionFindings:
        return self.findings(self._selected)

    def _chart(self, updated: RegionFindings) -> None:
        """Store new findings for the selected region if charting is allowed."""
        if self._read_only or updated == self._current():
            return
        self._findings[self._selected] = updated
        self._refresh_selection()
        self._canvas.update()
        self.sig_value_changed.emit()

    def _edit(self, **changes: Any) -> None:
        if not self._syncing:
            self._chart(_with(self._current(), **changes))

    def _select(self, code: RegionCode) -> None:
        if code is not self._selected:
            self._selected = code
            self._refresh_selection()
        self._canvas.update()

    def _move(self, direction: tuple[float, float], *, forward: bool) -> None:
        target = self._canvas.neighbour(self._selected, direction)
        if target is None:
            index = REGION_ORDER.index(self._selected) + (1 if forward else -1)
            target = REGION_ORDER[max(0, min(index, len(REGION_ORDER) - 1))]
        self._select(target)

    def _set_modality(self, modality: Modality) -> None:
        self._modality = modality
        self._modality_buttons[modality].setChecked(True)
        self._legend.set_items(legend_of(modality))
        self._canvas.update()

    def _open_two_point(self) -> None:
        if self._read_only:
            return
        self._two_point.setFocus(Qt.FocusReason.OtherFocusReason)
        self._two_point.selectAll()

    def _apply_two_point(self) -> bool:
        """Validate the typed distance with the model; show the error at the field if bad."""
        if self._syncing or self._read_only:
            return False
        current = self._current()
        try:
            updated = _with(current, two_point_mm=self._two_point.text())
        except ValidationError as exc:
            errors = FieldErrors.from_validation_error(exc).errors
            self._show_two_point_error(errors.get("two_point_mm", TWO_POINT_HELP))
            return False
        self._show_two_point_error(None)
        self._chart(updated)
        return True

    def _two_point_entered(self) -> None:
        if self._apply_two_point():
            self._canvas.setFocus(Qt.FocusReason.OtherFocusReason)

    def _two_point_cancelled(self) -> None:
        self._refresh_selection()
        self._canvas.setFocus(Qt.FocusReason.OtherFocusReason)

    def _show_two_point_error(self, message: str | None) -> None:
        self._two_point_error.setText(message or "")
        self._two_point_error.setVisible(bool(message))
        self._two_point.setAccessibleDescription(message or "")

    def _asked_toggled(self, asked: bool) -> None:
        if self._syncing:
            return
        current = self._current()
        self._chart(_with(current, symptoms=(current.symptoms or ()) if asked else None))

    def _flag_toggled(self, _checked: bool) -> None:
        if self._syncing:
            return
        flags = tuple(symptom for symptom, box in self._flags.items() if box.isChecked())
        self._chart(_with(self._current(), symptoms=flags))

    def _refresh_all(self) -> None:
        self._legend.set_items(legend_of(self._modality))
        self._refresh_selection()
        self._canvas.update()

    def _refresh_selection(self) -> None:
        """Show the selected region and its findings in the detail editor."""
        code, found = self._selected, self._current()
        info = REGIONS[code]
        self._selected_label.setText(
            f"<b>{html.escape(code.value)}</b> {html.escape(info.name)}<br>"
            f"{html.escape(info.nerve)}; dermatome {html.escape(info.dermatome)}"
        )
        self._syncing = True
        try:
            self._touch.setCurrentIndex(self._touch.findData(found.light_touch.value))
            self._pin.setCurrentIndex(self._pin.findData(found.pin_prick.value))
            self._mono.setCurrentIndex(self._mono.findData(found.monofilament.value))
            mm = found.two_point_mm
            self._two_point.setText("" if mm is None else str(mm))
            self._asked.setChecked(found.symptoms is not None)
            for symptom, box in self._flags.items():
                box.setChecked(symptom in (found.symptoms or ()))
        finally:
            self._syncing = False
        self._show_two_point_error(None)
        self._describe_canvas()

    def _describe_canvas(self) -> None:
        """Screen readers hear the selected region, its findings and any error."""
        error = self._error.text()
        description = self.hover_text(self._selected)
        self._canvas.setAccessibleDescription(f"{error}\n{description}" if error else description)
