"""The Leaflet map's values: colours as on the exported plotly map, escaped text, markers."""

from __future__ import annotations

import numpy as np
import pytest
from plotly.colors import sample_colorscale

from dashboard import figures, leaflet_map

XSS = "<img src=x onerror=alert(1)>"


@pytest.mark.parametrize("scale", [figures.SHARE_SCALE, figures.CHANGE_SCALE, figures.GAP_SCALE])
def test_colours_are_plotlys_sampled_colours(scale):
    values = np.random.default_rng(7).uniform(-20, 120, 500)
    colours, opacity = leaflet_map.scale_colours(values, scale, 0.0, 100.0)
    clipped = np.clip(values / 100.0, 0.0, 1.0)
    assert colours == sample_colorscale(scale, clipped.tolist())
    if scale is figures.GAP_SCALE:
        assert min(opacity) == pytest.approx(0.05) and max(opacity) == pytest.approx(0.72)
    else:
        assert set(opacity) == {1.0}


def test_missing_values_have_no_colour():
    colours, opacity = leaflet_map.scale_colours([np.nan, 50.0], "Cividis", 0.0, 100.0)
    assert colours[0] is None and opacity[0] == 0.0
    assert colours[1] is not None


def test_area_and_gap_values_leave_out_what_has_no_value():
    areas = leaflet_map.area_hideout(
        ["a", "b"],
        np.array([10.0, np.nan]),
        scale="Cividis",
        zmin=0,
        zmax=100,
        tip_template="<b>%{customdata[0]}</b>",
        tip_rows=[["A"], ["B"]],
        selected="b",
        opacity=0.5,
    )
    assert areas["ids"] == ["a", "b"]
    assert areas["fill"][0] is not None and areas["fill"][1] is None
    assert areas["cols"] == [["A", "B"]]  # a hidden share still names its area
    assert areas["selected"] == "b" and areas["opacity"] == 0.5
    gaps = leaflet_map.gap_hideout(
        ["h1", "h2"],
        np.array([np.nan, 4.0]),
        scale=figures.GAP_SCALE,
        zmax=4.0,
        tip_template="%{customdata[0]} of %{customdata[1]}",
        tip_rows=[["9", "10"], ["4", "12"]],
    )
    assert gaps["fill"] == [None, ["#781450", 0.72]]
    # no tooltip where nothing is drawn (no first value); the residents stay for every cell
    assert gaps["cols"] == [[None, "4"], ["10", "12"]]


def test_tooltips_are_the_template_filled_with_the_rows():
    rows = [["Nord", "12,5 %"], [None, "3"], ["Süd"]]
    assert leaflet_map.tip_texts("%{customdata[0]}: %{customdata[1]}", rows) == [
        "Nord: 12,5 %",
        "",
        "Süd: %{customdata[1]}",
    ]
    assert leaflet_map.tip_columns([*rows, None]) == [
        ["Nord", None, "Süd", None],
        ["12,5 %", "3", None, None],
    ]


def test_facility_text_is_escaped():
    import geopandas as gpd
    from shapely.geometry import Point

    frame = gpd.GeoDataFrame(
        {"id": ["f1"], "category": ["meeting"], "name": [XSS], "address": ["Markt 1"]},
        geometry=[Point(456000, 5430000)],
        crs=25832,
    )
    collection = leaflet_map.facility_features(
        figures.facility_points(frame), {"meeting": "#E69F00"}
    )
    props = collection["features"][0]["properties"]
    assert XSS not in props["tip"] and "&lt;img" in props["tip"]
    assert props["colour"] == "#E69F00" and props["id"] == "f1"


def test_markers_keep_their_kind_position_and_style():
    collection = leaflet_map.marker_features(
        [
            {"kind": "added", "lat": 49.0, "lon": 8.4, "index": 0, "tip": "Geplant"},
            {"kind": "suggested", "lat": 49.1, "lon": 8.5, "tip": "Standort 1", "label": "1"},
        ]
    )
    first, second = collection["features"]
    assert first["geometry"]["coordinates"] == [8.4, 49.0]
    assert first["properties"]["index"] == 0 and "lat" not in first["properties"]
    assert second["properties"]["label"] == "1"
    assert second["properties"]["color"] == leaflet_map.MARKER_STYLE["suggested"]["color"]


def test_fill_template_puts_values_into_the_hover_fields():
    text = leaflet_map.fill_template("%{customdata[0]}<br>%{customdata[1]} %", ["Nord", "12,5"])
    assert text == "Nord<br>12,5 %"
