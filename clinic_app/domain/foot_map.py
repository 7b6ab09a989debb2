"""Renderer-neutral geometry of the sensory map: views of the foot and leg, a polygon per region.

The geometry is drawn for the RIGHT side; the left side is its mirror image (``for_side``).
Coordinates are plain numbers in *view units* (about one millimetre of an adult foot): each view
has its own box of ``width`` x ``height`` units with the origin at the top-left corner, x to the
right and y downwards. A renderer scales every view by one factor so that sizes compare, and
draws the medial/lateral captions from ``medial_edge``. The screen (Qt) and the printed visit
note (reportlab) draw the same model; reportlab's y axis points up, so it flips y itself.

Borders between the plantar nerve territories are approximate (clinical-reference.md 2.1).
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from clinic_app.domain.exam import Side
from clinic_app.domain.regions import RegionCode

Point = tuple[float, float]
Polygon = Annotated[tuple[Point, ...], Field(min_length=3)]
"""A closed polygon: at least three [x, y] points, the last joined back to the first."""


class Edge(StrEnum):
    """A vertical edge of a view's box."""

    LEFT = "left"
    RIGHT = "right"

    @property
    def opposite(self) -> Edge:
        """The other edge (what mirroring turns this one into)."""
        return Edge.RIGHT if self is Edge.LEFT else Edge.LEFT


class _Geometry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


class MapLabel(_Geometry):
    """A short caption drawn under a view, centred at ``x`` (e.g. "front" under one leg)."""

    text: str = Field(min_length=1, max_length=40)
    x: float


class MapView(_Geometry):
    """One drawing (sole, top of the foot, leg) with the regions charted on it.

    Attributes:
        id: a stable identifier (``plantar``, ``dorsal``, ``leg``).
        title: the caption drawn above the view.
        width: width of the view's box in view units.
        height: height of the view's box in view units.
        medial_edge: the edge of the box that faces medially on this side.
        outline: silhouettes drawn under the regions and stroked over them (skin that is not
            charted, such as the ankle, and details such as toenails).
        regions: region code -> polygon.
        labels: captions under the view.
    """

    id: str = Field(pattern=r"^[a-z][a-z0-9_-]*$", max_length=40)
    title: str = Field(min_length=1, max_length=40)
    width: float = Field(gt=0)
    height: float = Field(gt=0)
    medial_edge: Edge
    outline: tuple[Polygon, ...] = ()
    regions: dict[RegionCode, Polygon] = Field(min_length=1)
    labels: tuple[MapLabel, ...] = ()

    @model_validator(mode="after")
    def _inside_box(self) -> MapView:
        shapes: list[tuple[str, Polygon]] = [
            (f"outline {number}", polygon) for number, polygon in enumerate(self.outline, 1)
        ]
        shapes += [(f"region {code}", polygon) for code, polygon in self.regions.items()]
        for what, polygon in shapes:
            for x, y in polygon:
                if not (0 <= x <= self.width and 0 <= y <= self.height):
                    raise ValueError(
                        f"{what}: point [{x:g}, {y:g}] lies outside the view box "
                        f"{self.width:g} x {self.height:g}"
                    )
            if abs(polygon_area(polygon)) < 1e-6:
                raise ValueError(f"{what} has no area")
        for label in self.labels:
            if not 0 <= label.x <= self.width:
                raise ValueError(f"label {label.text!r} lies outside the view box")
        return self

    def mirrored(self) -> MapView:
        """The same view flipped left to right (what the other side looks like)."""

        def across(x: float) -> float:
            # Rounded so that mirroring twice gives back exactly the numbers of the file.
            return round(self.width - x, 6)

        def flip(polygon: Polygon) -> Polygon:
            return tuple((across(x), y) for x, y in polygon)

        return self.model_copy(
            update={
                "medial_edge": self.medial_edge.opposite,
                "outline": tuple(flip(polygon) for polygon in self.outline),
                "regions": {code: flip(polygon) for code, polygon in self.regions.items()},
                "labels": tuple(
                    label.model_copy(update={"x": across(label.x)}) for label in self.labels
                ),
            }
        )


class FootMapGeometry(_Geometry):
    """The sensory-map drawing of one side: every region code on exactly one view.

    Attributes:
        description: free text for whoever edits the data file.
        side: the side the coordinates are drawn for (the shipped file draws the right).
        views: the drawings, in display order.
    """

    description: str = ""
    side: Side = Side.RIGHT
    views: tuple[MapView, ...] = Field(min_length=1)

    @field_validator("views")
    @classmethod
    def _each_region_once(cls, views: tuple[MapView, ...]) -> tuple[MapView, ...]:
        ids = [view.id for view in views]
        doubled_ids = sorted({view_id for view_id in ids if ids.count(view_id) > 1})
        if doubled_ids:
            raise ValueError(f"view ids must be unique; repeated: {', '.join(doubled_ids)}")
        seen: dict[RegionCode, str] = {}
        for view in views:
            for code in view.regions:
                if code in seen:
                    raise ValueError(
                        f"region {code} is drawn twice (views {seen[code]}, {view.id})"
                    )
                seen[code] = view.id
        missing = [code.value for code in RegionCode if code not in seen]
        if missing:
            raise ValueError(f"regions missing from the map: {', '.join(missing)}")
        return views

    def for_side(self, side: Side) -> FootMapGeometry:
        """The geometry drawn for ``side`` (mirrored when it is the other side)."""
        if side is self.side:
            return self
        return self.model_copy(
            update={"side": side, "views": tuple(view.mirrored() for view in self.views)}
        )

    def view_of(self, code: RegionCode) -> MapView:
        """The view on which a region is drawn."""
        for view in self.views:
            if code in view.regions:
                return view
        raise KeyError(code)  # unreachable for a validated geometry

    def polygon(self, code: RegionCode) -> Polygon:
        """The polygon of a region in its view's coordinates."""
        return self.view_of(code).regions[code]


# --- polygon helpers (shared by the screen and print renderers) ---------------------------------


def polygon_area(points: Sequence[Point]) -> float:
    """Signed area (shoelace formula); the sign depends on the winding direction."""
    total = 0.0
    for (x1, y1), (x2, y2) in zip(points, [*points[1:], points[0]], strict=True):
        total += x1 * y2 - x2 * y1
    return total / 2


def polygon_centroid(points: Sequence[Point]) -> Point:
    """The area centroid (the mean of the points if the polygon is degenerate)."""
    area = polygon_area(points)
    if abs(area) < 1e-9:
        return (
            sum(x for x, _ in points) / len(points),
            sum(y for _, y in points) / len(points),
        )
    cx = cy = 0.0
    for (x1, y1), (x2, y2) in zip(points, [*points[1:], points[0]], strict=True):
        cross = x1 * y2 - x2 * y1
        cx += (x1 + x2) * cross
        cy += (y1 + y2) * cross
    return cx / (6 * area), cy / (6 * area)


def contains_point(points: Sequence[Point], point: Point) -> bool:
    """True when ``point`` lies inside the polygon (even-odd rule)."""
    px, py = point
    inside = False
    for (x1, y1), (x2, y2) in zip(points, [*points[1:], points[0]], strict=True):
        if (y1 > py) != (y2 > py) and px < x1 + (py - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
    return inside


def interior_point(points: Sequence[Point]) -> Point:
    """A point well inside the polygon: where to put a label or aim a pointer.

    The centroid when it lies inside; otherwise (a concave shape such as a strip or a toe
    group) the middle of the widest inside stretch of the horizontal line through the centroid.
    """
    centroid = polygon_centroid(points)
    if contains_point(points, centroid):
        return centroid
    y = centroid[1]
    crossings = sorted(
        x1 + (y - y1) * (x2 - x1) / (y2 - y1)
        for (x1, y1), (x2, y2) in zip(points, [*points[1:], points[0]], strict=True)
        if (y1 > y) != (y2 > y)
    )
    spans = list(zip(crossings[::2], crossings[1::2], strict=False))
    if not spans:
        return centroid
    left, right = max(spans, key=lambda span: span[1] - span[0])
    return (left + right) / 2, y
