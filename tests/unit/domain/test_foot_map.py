"""The sensory-map geometry: the shipped file, its rules, mirroring and clear load errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from clinic_app.domain.exam import Side
from clinic_app.domain.foot_map import (
    Edge,
    FootMapGeometry,
    contains_point,
    interior_point,
    polygon_centroid,
)
from clinic_app.domain.regions import RegionCode
from clinic_app.resources import foot_map_path
from clinic_app.services.foot_map import FootMapError, load_foot_map


@pytest.fixture(scope="module")
def shipped() -> FootMapGeometry:
    return load_foot_map(foot_map_path())


@pytest.fixture
def raw() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(foot_map_path().read_text(encoding="utf-8"))
    return data


def write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "geometry.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def centre_x(geometry: FootMapGeometry, code: RegionCode) -> float:
    return polygon_centroid(geometry.polygon(code))[0]


def test_shipped_geometry_draws_every_region_exactly_once(shipped: FootMapGeometry) -> None:
    drawn = [code for view in shipped.views for code in view.regions]
    assert sorted(drawn) == sorted(RegionCode)
    assert len(drawn) == len(set(drawn))
    assert [view.id for view in shipped.views] == ["plantar", "dorsal", "leg"]
    assert shipped.side is Side.RIGHT
    for view in shipped.views:
        for polygon in [*view.regions.values(), *view.outline]:
            assert len(polygon) >= 3
            assert all(0 <= x <= view.width and 0 <= y <= view.height for x, y in polygon)


def test_shipped_views_hold_the_regions_of_their_group(shipped: FootMapGeometry) -> None:
    plantar, dorsal, leg = shipped.views
    assert {code.value[:2] for code in plantar.regions} == {"PL", "BD"}
    assert {code.value[:2] for code in dorsal.regions} == {"DO"}
    assert {code.value[:2] for code in leg.regions} == {"LG"}


def test_right_foot_is_oriented_as_seen(shipped: FootMapGeometry) -> None:
    # Seen from the sole the right big toe is on the right; from above, on the left.
    plantar, dorsal, leg = shipped.views
    assert plantar.medial_edge is Edge.RIGHT
    assert centre_x(shipped, RegionCode.PL_HALLUX) > centre_x(shipped, RegionCode.PL_TOE_5)
    assert centre_x(shipped, RegionCode.BD_MED) > centre_x(shipped, RegionCode.BD_LAT)
    assert centre_x(shipped, RegionCode.PL_HEEL_MED) > centre_x(shipped, RegionCode.PL_HEEL_LAT)
    assert dorsal.medial_edge is Edge.LEFT
    assert centre_x(shipped, RegionCode.DO_WEB1) < centre_x(shipped, RegionCode.DO_LAT)
    assert leg.medial_edge is Edge.RIGHT
    assert centre_x(shipped, RegionCode.LG_MED) > centre_x(shipped, RegionCode.LG_LAT)


def test_regions_of_a_view_do_not_overlap(shipped: FootMapGeometry) -> None:
    for view in shipped.views:
        for code, polygon in view.regions.items():
            point = interior_point(polygon)
            assert contains_point(polygon, point), code
            others = [other for other in view.regions if other is not code]
            assert not any(contains_point(view.regions[o], point) for o in others), code


def test_left_side_is_the_mirror_image(shipped: FootMapGeometry) -> None:
    left = shipped.for_side(Side.LEFT)
    assert left.side is Side.LEFT
    assert shipped.for_side(Side.RIGHT) is shipped
    for right_view, left_view in zip(shipped.views, left.views, strict=True):
        assert left_view.medial_edge is right_view.medial_edge.opposite
        assert (left_view.width, left_view.height) == (right_view.width, right_view.height)
        for code, polygon in right_view.regions.items():
            flat = [value for point in left_view.regions[code] for value in point]
            expected = [value for x, y in polygon for value in (right_view.width - x, y)]
            assert flat == pytest.approx(expected)
        for right_label, left_label in zip(right_view.labels, left_view.labels, strict=True):
            assert left_label.x == pytest.approx(right_view.width - right_label.x)
    assert centre_x(left, RegionCode.PL_HALLUX) < centre_x(left, RegionCode.PL_TOE_5)
    assert left.for_side(Side.RIGHT) == shipped
    # The mirror is a valid geometry in its own right.
    assert FootMapGeometry.model_validate(left.model_dump()) == left


def test_missing_file_is_one_clear_line(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.json"
    with pytest.raises(FootMapError) as caught:
        load_foot_map(path)
    message = str(caught.value)
    assert str(path) in message
    assert "cannot read" in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{not json", "is not valid JSON"),
        ("[]", "top level"),
        ('{"views": []}', "views"),
        ('{"side": "middle", "views": []}', "side"),
    ],
)
def test_malformed_file_is_one_clear_line(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "geometry.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(FootMapError) as caught:
        load_foot_map(path)
    message = str(caught.value)
    assert expected in message
    assert str(path) in message
    assert "\n" not in message


def test_missing_region_is_named(tmp_path: Path, raw: dict[str, Any]) -> None:
    del raw["views"][2]["regions"]["LG-POST"]
    with pytest.raises(FootMapError, match="regions missing from the map: LG-POST"):
        load_foot_map(write(tmp_path, raw))


def test_region_drawn_twice_is_named(tmp_path: Path, raw: dict[str, Any]) -> None:
    raw["views"][1]["regions"]["PL-HALLUX"] = raw["views"][1]["regions"]["DO-WEB1"]
    with pytest.raises(
        FootMapError, match=r"region PL-HALLUX is drawn twice \(views plantar, dorsal\)"
    ):
        load_foot_map(write(tmp_path, raw))


def test_point_outside_the_box_is_named(tmp_path: Path, raw: dict[str, Any]) -> None:
    raw["views"][0]["regions"]["PL-TOE-5"][0] = [raw["views"][0]["width"] + 1, 10]
    with pytest.raises(FootMapError, match=r"region PL-TOE-5: point .* lies outside the view box"):
        load_foot_map(write(tmp_path, raw))


@pytest.mark.parametrize(
    "polygon",
    [
        pytest.param([[1, 1], [5, 5]], id="two points"),
        pytest.param([[1, 1], [2, 2], [3, 3]], id="no area"),
        pytest.param([[1, 1], [2, "x"], [3, 1]], id="not a number"),
        pytest.param([[1, 1], [2, 2, 2], [3, 1]], id="three coordinates"),
    ],
)
def test_bad_polygon_is_refused(tmp_path: Path, raw: dict[str, Any], polygon: object) -> None:
    raw["views"][1]["regions"]["DO-WEB1"] = polygon
    with pytest.raises(FootMapError, match=r"views\.1") as caught:
        load_foot_map(write(tmp_path, raw))
    assert "\n" not in str(caught.value)


def test_unknown_region_code_is_refused(tmp_path: Path, raw: dict[str, Any]) -> None:
    raw["views"][0]["regions"]["PL-TOE-6"] = raw["views"][0]["regions"]["PL-TOE-5"]
    with pytest.raises(FootMapError, match="PL-TOE-6"):
        load_foot_map(write(tmp_path, raw))


def test_interior_point_of_a_concave_shape_lies_inside() -> None:
    # A U whose centroid falls in the gap between its arms.
    u_shape = [(0, 0), (2, 0), (2, 8), (8, 8), (8, 0), (10, 0), (10, 10), (0, 10)]
    assert not contains_point(u_shape, polygon_centroid(u_shape))
    assert contains_point(u_shape, interior_point(u_shape))
