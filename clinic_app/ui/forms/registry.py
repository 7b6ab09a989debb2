"""The special widgets a layout may name (``widget: sensory_map``), resolved in code review.

Adapters here translate between a widget's typed values and the raw JSON the renderer
holds, so the renderer treats every control alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from PySide6.QtWidgets import QWidget

from clinic_app.domain.exam import SensoryMap, Side
from clinic_app.domain.foot_map import FootMapGeometry
from clinic_app.ui.forms.renderer import WidgetFactory
from clinic_app.ui.forms.sensory_map import SensoryMapView


class BoundSensoryMap(SensoryMapView):
    """The sensory map bound to ``<side>.sensory.regions`` as raw JSON.

    Tabbing into the map lands on its canvas, where the region and state keys work.
    """

    def __init__(self, side: Side, geometry: FootMapGeometry, parent: QWidget | None = None):
        super().__init__(side, geometry, parent)
        self.setFocusProxy(self.canvas)

    def value(self) -> dict[str, Any]:  # type: ignore[override]
        """Region code -> findings JSON, charted regions only."""
        return {
            code.value: found.model_dump(mode="json") for code, found in super().value().items()
        }

    def set_value(self, value: Any) -> None:
        """Show stored JSON (or typed findings)."""
        regions = SensoryMap.model_validate({"regions": dict(value or {})}).regions
        super().set_value(regions)


def exam_widgets(geometry: FootMapGeometry) -> Mapping[str, WidgetFactory]:
    """The registry for the neuro-foot exam form."""

    def sensory_map(_path: str, side: Side | None) -> QWidget:
        if side is None:
            raise ValueError("The sensory map belongs in a sided section.")
        return BoundSensoryMap(side, geometry)

    return {"sensory_map": sensory_map}
