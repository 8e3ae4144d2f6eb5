"""Figures and display geometry (pure functions)."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import plotly.io as pio
import pytest
import shapely

from dashboard import figures
from dashboard.figures import Traces

XSS = "<img src=x onerror=alert(1)>"


def test_esc_escapes_html_and_missing_values():
    assert figures.esc(XSS) == "&lt;img src=x onerror=alert(1)&gt;"
    assert figures.esc('"a" & b') == "&quot;a&quot; &amp; b"
    assert figures.esc(None) == ""
    assert figures.esc(float("nan")) == ""


def test_to_display_projects_simplifies_and_rounds(tiny_dataset):
    wiggly = gpd.GeoDataFrame(
        geometry=[
            shapely.Polygon(
                [(456_000 + x, 5_428_000 + (3 if x % 20 else 0)) for x in range(0, 1001, 10)]
                + [(457_000, 5_429_000), (456_000, 5_429_000)]
            )
        ],
        crs="EPSG:25832",
    )
    shown = figures.to_display(wiggly)
    assert shown.crs.to_epsg() == 4326
    coords = shapely.get_coordinates(shown.geometry.to_numpy())
    assert len(coords) < 20  # the 3 m wiggles are gone at 20 m tolerance
    assert np.array_equal(coords, np.round(coords, figures.COORD_DECIMALS))
    assert 8.0 < coords[:, 0].min() < 9.0 and 48.0 < coords[:, 1].min() < 50.0


def test_area_geometry_dissolves_planning_areas(tiny_dataset):
    from layers.areas import area_mapping

    geo = figures.area_geometry(tiny_dataset.districts, area_mapping(tiny_dataset, "planning_area"))
    assert geo.ids == ["S", "N"]
    assert geo.names == ["Süd (Vorschlag)", "Nord (Vorschlag)"]
    assert [f["id"] for f in geo.geojson["features"]] == ["S", "N"]
    assert all(f["geometry"]["type"] == "Polygon" for f in geo.geojson["features"])
    west, south, east, north = geo.bounds
    assert west < geo.center["lon"] < east and south < geo.center["lat"] < north
    assert 10 < geo.zoom < 16


def test_facility_points_escape_user_text(tiny_dataset):
    points = figures.facility_points(tiny_dataset.facilities)
    assert XSS not in points.to_json()
    assert points.loc[1, "name"] == figures.esc(XSS)
    assert points.loc[1, "address"] == figures.esc(XSS)
    assert list(points["row"]) == [0, 1, 2]


def _map(tiny_ctx):
    ds = tiny_ctx.dataset
    return figures.map_figure(
        districts=tiny_ctx.geo["district"],
        planning=tiny_ctx.geo["planning_area"],
        hexes=tiny_ctx.hexes,
        boundaries=tiny_ctx.outline,
        facilities=tiny_ctx.facilities_wgs,
        categories=[(c.id, c.label_de, c.colour) for c in ds.categories],
    )


def test_map_figure_has_the_fixed_trace_order(tiny_ctx):
    fig = _map(tiny_ctx)
    traces = Traces(3)
    assert len(fig.data) == traces.count
    assert fig.data[traces.DISTRICTS].type == "choroplethmap"
    assert fig.data[traces.PLANNING].type == "choroplethmap"
    assert fig.data[traces.DISTRICTS].visible is True
    assert fig.data[traces.PLANNING].visible is False
    assert fig.data[traces.GAPS].type == "choroplethmap"
    colours = [fig.data[traces.facility(i)].marker.color for i in range(3)]
    assert colours == ["#E69F00", "#0072B2", "#009E73"]
    assert fig.layout.map.style == "white-bg"  # renders offline
    assert fig.layout.uirevision  # user zoom survives updates


def test_map_figure_never_contains_raw_user_html(tiny_ctx):
    text = pio.to_json(_map(tiny_ctx))
    assert XSS not in text
    assert "&lt;img src=x onerror=alert(1)&gt;" in text


def test_map_figure_coordinates_are_rounded(tiny_ctx):
    fig = json.loads(pio.to_json(_map(tiny_ctx)))
    for feature in fig["data"][0]["geojson"]["features"]:
        coords = np.array(feature["geometry"]["coordinates"][0])
        assert np.array_equal(coords, np.round(coords, 5))
    borders, outline = fig["layout"]["map"]["layers"]
    for layer in (borders, outline):
        coords = np.concatenate([np.array(c) for c in layer["source"]["geometry"]["coordinates"]])
        assert np.array_equal(coords, np.round(coords, 5))
        assert layer["type"] == "line" and layer["sourcetype"] == "geojson"
    # 2 × 2 districts: the borders are the 4 district rings, the outline one ring
    assert len(borders["source"]["geometry"]["coordinates"]) == 4
    assert len(outline["source"]["geometry"]["coordinates"]) == 1


def test_change_map_figure_has_both_levels(tiny_ctx):
    fig = figures.change_map_figure(
        tiny_ctx.geo["district"], tiny_ctx.geo["planning_area"], tiny_ctx.outline
    )
    assert [d.visible for d in fig.data[:2]] == [True, False]
    assert fig.data[0].zmid == 0


def test_bars_figure_escapes_labels_and_marks_city():
    fig = figures.bars_figure([XSS, "Pflege"], [10.0, None], [20.0, 30.0], lang="de")
    assert list(fig.data[0].y) == [figures.esc(XSS), "Pflege"]
    assert list(fig.data[0].text) == ["10,0 %", "–"]
    assert list(fig.data[1].x) == [20.0, 30.0]


def test_trend_figure_skips_missing_years():
    series = [
        {"year": 2020, "value": 10},
        {"year": 2021, "value": None},
        {"year": 2022, "value": 12},
    ]
    fig = figures.trend_figure(series, lang="en")
    assert list(fig.data[0].x) == [2020, 2022]
    assert fig.layout.separators == ".,"


@pytest.mark.parametrize(
    "make",
    [
        lambda: figures.trend_figure(
            [{"year": y, "value": None if y == 2015 else 1000.5 + y} for y in range(2010, 2026)],
            lang="de",
        ),
        lambda: figures.trend_figure([{"year": 2020, "value": 3}], lang="en"),
        lambda: figures.bars_figure(
            [XSS, "b", "c"], [1.0, None, 3.25], [1, 2, None], colours=["#111", "#222", "#333"]
        ),
        lambda: figures.bars_figure(["a"], [None], [2.0], lang="en", suffix="", names=("A", XSS)),
    ],
)
def test_profile_charts_are_valid_plotly_figures(make):
    """The profile's charts are built unvalidated; plotly's validation must change nothing."""
    import plotly.graph_objects as go

    fig = make()
    validated = go.Figure(fig.to_plotly_json())  # raises on an invalid property or value
    assert json.loads(pio.to_json(validated)) == json.loads(pio.to_json(fig))
    assert fig.layout.template.layout.colorway  # plotly's default template, as before


@pytest.mark.parametrize("n", [1, 5])
def test_traces_indices_are_consecutive(n):
    traces = Traces(n)
    extra = [traces.added, traces.removed, traces.suggested, traces.location, traces.upload]
    assert extra == list(range(traces.FIRST_FACILITY + n, traces.count))
