"""The sensory map drawn with reportlab: the visit note's full map and a handout's simple one.

Both are drawn from the geometry the screen draws (clinic_app.domain.foot_map), the left side
as the mirror image of the right. States are told apart by fill and hatching, so the map still
reads on a black-and-white printer.

The visit note draws every view with the region codes on white plates and a legend of all four
states. A patient handout draws only the sole and the top of the foot, in the handout's
language, without codes: regions with less or no feeling are shaded and hatched as on the visit
note, everything else is plain skin, so "not tested" and "normal" look the same to the patient.

Fonts are passed in by the caller (the print fonts are registered by the handout renderer);
the same input gives the same drawing.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from reportlab.graphics.shapes import Drawing, Group, Line, Polygon, Rect, String
from reportlab.lib import colors
from reportlab.pdfbase.pdfmetrics import stringWidth

from clinic_app.domain.exam import (
    Monofilament,
    NeuroFootExam,
    RegionFindings,
    SensoryGrade,
    SensoryMap,
    Side,
)
from clinic_app.domain.foot_map import Edge, FootMapGeometry, MapView, interior_point
from clinic_app.domain.handouts import HandoutLanguage, HandoutSide
from clinic_app.domain.regions import RegionCode

MAP_SCALE = 0.8
"""Points per view unit (about a millimetre of foot) on the visit note: both sides fit a page."""
MAP_GAP = 14.0
"""Space between two views of one side, in points."""
HATCH_SPACING = 3.2
LEGEND_PT = 7.5
"""The legend's text size that its boxes are drawn for; other sizes scale the boxes."""
HANDOUT_VIEWS = ("plantar", "dorsal")
"""The views a handout draws: the sole and the top of the foot, not the leg."""
HANDOUT_SCALE = 0.62
"""A handout's map is smaller than the visit note's: it sits on the first page with the text."""
HANDOUT_LARGE_SCALE = 0.85
"""In large print the map is drawn larger too; it starts a page of its own in any case."""
HANDOUT_MAP_MAX_PT = 13.0
"""The largest size of a handout map's words (large print): both feet still fit side by side."""

SKIN = colors.HexColor("#f4efe9")
CONTOUR = colors.HexColor("#3d3846")
REGION_EDGE = colors.HexColor("#5e5c64")
_QUIET_EDGE = colors.HexColor("#9a9996")

Points = Sequence[tuple[float, float]]


@dataclass(frozen=True)
class Look:
    """How a region state is printed: fill, hatching angles and the letter beside its code.

    Attributes:
        name: the state in the visit note's legend.
        fill: the region's fill colour.
        ink: the colour of the hatching.
        hatch: the angles of the hatching, in degrees (none: a plain fill).
        letter: printed after the region code on the visit note ("" prints no code).
        edge: the colour of the region's border.
        drawn: False leaves the region to the skin drawn under it, without a border.
    """

    name: str
    fill: colors.Color
    ink: colors.Color
    hatch: tuple[float, ...] = ()
    letter: str = ""
    edge: colors.Color = REGION_EDGE
    drawn: bool = True


NOT_TESTED = Look("not tested", colors.white, colors.HexColor("#77767b"), edge=_QUIET_EDGE)
NORMAL = Look("normal (no deficit charted)", colors.HexColor("#bfe3bf"), colors.black)
REDUCED = Look(
    "reduced or altered (R)", colors.HexColor("#fbe39b"), colors.HexColor("#7a4f00"), (45.0,), "R"
)
ABSENT = Look(
    "absent or not felt (A)",
    colors.HexColor("#e79b93"),
    colors.HexColor("#5c0b0b"),
    (45.0, -45.0),
    "A",
)
PLAIN = Look("skin", SKIN, CONTOUR, drawn=False)
"""A region a patient's map does not mark (normal or not tested): plain skin, no border."""


def look_of(found: RegionFindings) -> Look:
    """The visit note's look of a region: not tested, normal, reduced or altered, or absent."""
    if found.is_blank:
        return NOT_TESTED
    grades = (found.light_touch, found.pin_prick)
    if SensoryGrade.ABSENT in grades or found.monofilament is Monofilament.NOT_FELT:
        return ABSENT
    if found.abnormal_sensation:
        return REDUCED
    return NORMAL


def patient_look(found: RegionFindings) -> Look:
    """A handout's look of a region: less feeling, no feeling, or plain skin.

    Only what the legend's words say is marked: a touch or pin-prick grade of reduced is
    "less feeling"; absent, or the monofilament not felt, is "no feeling". Extra sensitivity
    and symptoms alone (burning, tingling) are left plain: "less feeling" would misdescribe them.
    """
    grades = (found.light_touch, found.pin_prick)
    if SensoryGrade.ABSENT in grades or found.monofilament is Monofilament.NOT_FELT:
        return ABSENT
    if SensoryGrade.REDUCED in grades:
        return REDUCED
    return PLAIN


# --- shapes --------------------------------------------------------------------------------------


def hatch_lines(
    points: Points, angle: float, spacing: float
) -> list[tuple[float, float, float, float]]:
    """Segments of parallel lines at ``angle`` degrees clipped to a polygon (even-odd rule)."""
    cos, sin = math.cos(math.radians(angle)), math.sin(math.radians(angle))
    # Turn the polygon so the hatch lines are horizontal, cut it with scan lines, turn back.
    turned = [(x * cos + y * sin, -x * sin + y * cos) for x, y in points]
    edges = list(zip(turned, [*turned[1:], turned[0]], strict=True))
    low = min(v for _, v in turned)
    high = max(v for _, v in turned)
    segments: list[tuple[float, float, float, float]] = []
    v = math.floor(low / spacing) * spacing + spacing / 2
    while v < high:
        xs = sorted(
            u1 + (v - v1) * (u2 - u1) / (v2 - v1)
            for (u1, v1), (u2, v2) in edges
            if (v1 > v) != (v2 > v)
        )
        for a, b in zip(xs[::2], xs[1::2], strict=False):
            segments.append(
                (a * cos - v * sin, a * sin + v * cos, b * cos - v * sin, b * sin + v * cos)
            )
        v += spacing
    return segments


def _flat(points: Points) -> list[float]:
    return [c for point in points for c in point]


def shape(points: Points, look: Look, stroke: colors.Color, width: float) -> Group:
    """A polygon filled and hatched as ``look`` says, stroked over its hatching."""
    group = Group(Polygon(_flat(points), fillColor=look.fill, strokeColor=None, strokeWidth=0))
    for angle in look.hatch:
        for x1, y1, x2, y2 in hatch_lines(points, angle, HATCH_SPACING):
            group.add(Line(x1, y1, x2, y2, strokeColor=look.ink, strokeWidth=0.45))
    group.add(Polygon(_flat(points), fillColor=None, strokeColor=stroke, strokeWidth=width))
    return group


def _tag(
    x: float, y: float, text: str, size: float, bounds: tuple[float, float], font: str
) -> Group:
    """A region code on a white plate, readable over any fill or hatching.

    The plate is kept inside ``bounds`` (the view's left and right), so the code of a thin
    border strip does not run off the view or the page.
    """
    width = stringWidth(text, font, size) + 2
    x = min(max(x, bounds[0] + width / 2), bounds[1] - width / 2)
    # WORKAROUND: the types-reportlab stub types Rect's **kw without Unpack, so the colours
    # are set as attributes.
    plate = Rect(x - width / 2, y - size * 0.35, width, size * 1.15)
    plate.fillColor = colors.white
    plate.strokeColor = colors.black
    plate.strokeWidth = 0.3
    return Group(plate, String(x, y, text, fontName=font, fontSize=size, textAnchor="middle"))


# --- views and sides -----------------------------------------------------------------------------


@dataclass(frozen=True)
class MapStyle:
    """How a sensory map is drawn: which views, in which words, with or without region codes.

    The defaults draw the visit note's map; ``font`` and ``font_bold`` are registered fonts.

    Attributes:
        font: the font of captions and the legend.
        font_bold: the font of view titles and region codes.
        view_ids: the views drawn, by id (None: every view of the geometry).
        titles: view id -> the title printed above it (default: the geometry's own title).
        medial: the word under a view's medial edge.
        lateral: the word under its lateral edge.
        look: how a region's findings are shown.
        region_codes: print the code of each region with a letter in its look.
        view_labels: print the geometry's captions under a view ("front", "back").
        arrows: point the medial and lateral words at their edges ("← inner side"); a
            reader then knows which edge a word belongs to when the two are on two lines.
        scale: points per view unit.
        gap: space between two views, in points.
        title_pt: the size of the view titles.
        caption_pt: the size of the words under the views.
        code_pt: the size of the region codes.
    """

    font: str
    font_bold: str
    view_ids: tuple[str, ...] | None = None
    titles: Mapping[str, str] = field(default_factory=dict)
    medial: str = "medial"
    lateral: str = "lateral"
    look: Callable[[RegionFindings], Look] = look_of
    region_codes: bool = True
    view_labels: bool = True
    arrows: bool = False
    scale: float = MAP_SCALE
    gap: float = MAP_GAP
    title_pt: float = 8.0
    caption_pt: float = 6.5
    code_pt: float = 5.6

    def views(self, geometry: FootMapGeometry) -> list[MapView]:
        """The views of ``geometry`` this style draws, in the geometry's order."""
        return [
            view for view in geometry.views if self.view_ids is None or view.id in self.view_ids
        ]

    @property
    def _line(self) -> float:
        return self.caption_pt + 2.5

    @property
    def _first_line(self) -> float:
        """From a view's bottom down to the first caption's baseline."""
        return self.caption_pt + 1.5


@dataclass(frozen=True)
class _Layout:
    """Where the lines under the views go, the same for every view of one drawing."""

    sides_at: float
    """From a view's bottom down to the baseline of the medial/lateral words."""
    two_lines: bool
    """The medial and lateral words are on two lines (they do not fit side by side)."""
    header: float
    footer: float


def _edge_words(view: MapView, style: MapStyle) -> tuple[str, str]:
    """The words under the left and the right edge of a view."""
    if view.medial_edge is Edge.LEFT:
        left, right = style.medial, style.lateral
    else:
        left, right = style.lateral, style.medial
    if style.arrows:
        return f"\u2190 {left}", f"{right} \u2192"
    return left, right


def _width(text: str, font: str, size: float) -> float:
    return stringWidth(text, font, size)


def _slot_units(view: MapView, style: MapStyle) -> float:
    """The width a view takes, in view units: wider than the view when its words are wider."""
    left, right = _edge_words(view, style)
    widest = max(
        _width(style.titles.get(view.id, view.title), style.font_bold, style.title_pt),
        _width(left, style.font, style.caption_pt),
        _width(right, style.font, style.caption_pt),
    )
    return max(view.width, widest / style.scale)


def _layout(views: Sequence[MapView], slots: Sequence[float], style: MapStyle) -> _Layout:
    space = style.caption_pt  # at least this much between the two words on one line
    two_lines = False
    for view, slot in zip(views, slots, strict=True):
        left, right = _edge_words(view, style)
        words = _width(left, style.font, style.caption_pt) + _width(
            right, style.font, style.caption_pt
        )
        two_lines = two_lines or words + space > slot * style.scale
    # The view's own captions ("front", "back") sit right under it; the medial and lateral
    # edges one line lower, so neither runs into the other on a narrow view.
    sides_at = style._first_line + (style._line if style.view_labels else 0.0)
    last = sides_at + (style._line if two_lines else 0.0)
    return _Layout(
        sides_at=sides_at, two_lines=two_lines, header=style.title_pt + 6, footer=last + 5
    )


def _view(
    view: MapView,
    regions: Mapping[RegionCode, RegionFindings],
    x0: float,
    top: float,
    slot: tuple[float, float],
    style: MapStyle,
    layout: _Layout,
) -> Group:
    """One view with its title above and captions below; ``top`` is its top.

    ``slot`` is the left and right of the room the view is centred in (its words may be wider
    than the view itself).
    """
    scale = style.scale
    height = view.height * scale

    def place(polygon: Points) -> list[tuple[float, float]]:
        # View units run downwards from the top-left; reportlab's y runs upwards.
        return [(x0 + x * scale, top - y * scale) for x, y in polygon]

    group = Group()
    outlines = [place(polygon) for polygon in view.outline]
    for outline in outlines:
        group.add(Polygon(_flat(outline), fillColor=SKIN, strokeColor=None, strokeWidth=0))
    tags: list[Group] = []
    bounds = (x0, x0 + view.width * scale)
    for code, polygon in view.regions.items():
        look = style.look(regions.get(code, RegionFindings()))
        if not look.drawn:
            continue
        points = place(polygon)
        group.add(shape(points, look, look.edge, 0.5))
        if style.region_codes and look.letter:
            ux, uy = interior_point(polygon)
            tags.append(
                _tag(
                    x0 + ux * scale,
                    top - uy * scale,
                    f"{code.value} {look.letter}",
                    style.code_pt,
                    bounds,
                    style.font_bold,
                )
            )
    for outline in outlines:
        group.add(Polygon(_flat(outline), fillColor=None, strokeColor=CONTOUR, strokeWidth=0.8))
    for tag in tags:
        group.add(tag)
    width = view.width * scale
    group.add(
        String(
            x0 + width / 2,
            top + 5,
            style.titles.get(view.id, view.title),
            fontName=style.font_bold,
            fontSize=style.title_pt,
            textAnchor="middle",
        )
    )
    left_word, right_word = _edge_words(view, style)
    font, size = style.font, style.caption_pt
    sides = top - height - layout.sides_at
    # A word wider than the view stays inside the view's slot.
    left_x = min(x0, slot[1] - _width(left_word, font, size))
    right_x = max(x0 + width, slot[0] + _width(right_word, font, size))
    right_y = sides - style._line if layout.two_lines else sides
    group.add(String(left_x, sides, left_word, fontName=font, fontSize=size, textAnchor="start"))
    group.add(String(right_x, right_y, right_word, fontName=font, fontSize=size, textAnchor="end"))
    if style.view_labels:
        below = top - height - style._first_line
        for label in view.labels:
            group.add(
                String(
                    x0 + label.x * scale,
                    below,
                    label.text,
                    fontName=font,
                    fontSize=size,
                    textAnchor="middle",
                )
            )
    return group


def side_drawing(
    geometry: FootMapGeometry, side: Side, sensory: SensoryMap, style: MapStyle
) -> Drawing:
    """The views of one side, left to right, as a drawing (a flowable of its own size)."""
    views = style.views(geometry.for_side(side))
    scale = style.scale
    slots = [_slot_units(view, style) for view in views]
    layout = _layout(views, slots, style)
    height = max(view.height for view in views) * scale
    total = sum(slots) * scale + style.gap * (len(views) - 1)
    # Started in the map's own font: reportlab's default (Helvetica) would put an unembedded
    # font in the page's resources.
    drawing = Drawing(total, height + (layout.header + layout.footer), initialFontName=style.font)
    top = height + layout.footer
    x = 0.0
    for view, slot in zip(views, slots, strict=True):
        x0 = x + (slot - view.width) * scale / 2
        drawing.add(_view(view, sensory.regions, x0, top, (x, x + slot * scale), style, layout))
        x += slot * scale + style.gap
    return drawing


def legend(entries: Sequence[tuple[Look, str]], width: float, font: str, font_pt: float) -> Drawing:
    """A row of sample boxes, each followed by its words."""
    k = font_pt / LEGEND_PT
    drawing = Drawing(width, 16 * k, initialFontName=font, initialFontSize=font_pt)
    x = 0.0
    for look, text in entries:
        box = [(x, 2.0 * k), (x + 14 * k, 2.0 * k), (x + 14 * k, 13.0 * k), (x, 13.0 * k)]
        drawing.add(shape(box, look, colors.black, 0.6))
        drawing.add(String(x + 18 * k, 4.5 * k, text, fontName=font, fontSize=font_pt))
        x += 18 * k + stringWidth(text, font, font_pt) + 14 * k
    return drawing


# --- the handout's simple map --------------------------------------------------------------------


@dataclass(frozen=True)
class HandoutMapWords:
    """The words of a handout's map in one language."""

    heading: str
    intro: str
    less: str
    none: str
    titles: Mapping[str, str]
    medial: str
    lateral: str


HANDOUT_MAP_WORDS = {
    HandoutLanguage.EN: HandoutMapWords(
        heading="Where your foot feels different",
        intro="Your clinician marked these areas during your visit.",
        less="Less feeling",
        none="No feeling",
        titles={"plantar": "Sole", "dorsal": "Top of foot"},
        medial="inner side",
        lateral="outer side",
    ),
    HandoutLanguage.ES: HandoutMapWords(
        heading="Dónde su pie siente diferente",
        intro="Su profesional de salud marcó estas zonas durante su visita.",
        less="Menos sensibilidad",
        none="Sin sensibilidad",
        titles={"plantar": "Planta", "dorsal": "Dorso del pie"},
        medial="lado interno",
        lateral="lado externo",
    ),
}


_HANDOUT_SIDES = {
    HandoutSide.RIGHT: (Side.RIGHT,),
    HandoutSide.LEFT: (Side.LEFT,),
    HandoutSide.BOTH: (Side.RIGHT, Side.LEFT),
}


@dataclass(frozen=True)
class HandoutFootMap:
    """A simple sensory map of the patient's own foot, printed on a handout.

    Build it with ``from_exam`` from the encounter's effective exam (addenda applied).

    Attributes:
        geometry: the sensory-map geometry (the form's ``foot_map``).
        sides: the sides to draw; right is drawn before left whatever the order here.
        sensory: the sensory map of each side (a side left out has nothing charted).
    """

    geometry: FootMapGeometry
    sides: tuple[Side, ...]
    sensory: Mapping[Side, SensoryMap] = field(default_factory=dict)

    @classmethod
    def from_exam(
        cls, geometry: FootMapGeometry, exam: NeuroFootExam, side: HandoutSide | None
    ) -> HandoutFootMap:
        """The map of the handout's side (both feet when the handout names no side)."""
        sides = _HANDOUT_SIDES[side] if side is not None else _HANDOUT_SIDES[HandoutSide.BOTH]
        return cls(geometry, sides, {s: exam.foot(s).sensory for s in sides})

    @property
    def drawn_sides(self) -> tuple[Side, ...]:
        """The sides in print order: right, then left."""
        return tuple(side for side in Side if side in self.sides)

    def marked(self, side: Side) -> bool:
        """True when a region of ``side`` drawn on a handout has less or no feeling."""
        sensory = self.sensory.get(side, SensoryMap())
        for view in self.geometry.views:
            if view.id not in HANDOUT_VIEWS:
                continue
            for code in view.regions:
                if patient_look(sensory.region(code)) is not PLAIN:
                    return True
        return False

    @property
    def shows_anything(self) -> bool:
        """True when the map would print: some drawn region has less or no feeling."""
        return any(self.marked(side) for side in self.drawn_sides)


def handout_style(
    language: HandoutLanguage,
    font: str,
    font_bold: str,
    text_pt: float,
    scale: float = HANDOUT_SCALE,
) -> MapStyle:
    """How a handout draws its map: sole and top of the foot, no codes, plain words."""
    words = HANDOUT_MAP_WORDS[language]
    return MapStyle(
        font=font,
        font_bold=font_bold,
        view_ids=HANDOUT_VIEWS,
        titles=words.titles,
        medial=words.medial,
        lateral=words.lateral,
        look=patient_look,
        region_codes=False,
        view_labels=False,
        arrows=True,
        scale=scale,
        gap=text_pt * 1.5,
        title_pt=text_pt,
        caption_pt=text_pt,
    )


def _in_font(drawing: Drawing, font: str, font_pt: float) -> Drawing:
    # reportlab starts every drawing in Helvetica 10 unless told otherwise, which puts an
    # unembedded font in the page's resources; a handout references its embedded fonts only.
    return Drawing(
        drawing.width,
        drawing.height,
        *drawing.contents,
        initialFontName=font,
        initialFontSize=font_pt,
    )


def handout_side_drawing(foot_map: HandoutFootMap, side: Side, style: MapStyle) -> Drawing:
    """One side of a handout's map, drawn in ``style`` (from ``handout_style``)."""
    sensory = foot_map.sensory.get(side, SensoryMap())
    drawing = side_drawing(foot_map.geometry, side, sensory, style)
    return _in_font(drawing, style.font, style.caption_pt)


def handout_legend(language: HandoutLanguage, width: float, font: str, font_pt: float) -> Drawing:
    """The handout map's legend: less feeling, no feeling."""
    words = HANDOUT_MAP_WORDS[language]
    drawing = legend(((REDUCED, words.less), (ABSENT, words.none)), width, font, font_pt)
    return _in_font(drawing, font, font_pt)
