"""Tests of layers.context: label points and main streets (fixtures built in code)."""

from __future__ import annotations

import geopandas as gpd
import pytest
from shapely.geometry import LineString, Polygon, box

from layers.context import label_points, main_streets
from layers.errors import CrsError, MissingColumnError

METRIC = "EPSG:25832"


@pytest.fixture
def crescent_areas() -> gpd.GeoDataFrame:
    """A U-shaped district (its centroid lies outside it) and a small square."""
    u_shape = Polygon([(0, 0), (300, 0), (300, 300), (200, 300), (200, 100), (100, 100),
                       (100, 300), (0, 300)])  # fmt: skip
    return gpd.GeoDataFrame(
        {"id": [1, 2], "name": ["Bogen", "Klein"]},
        geometry=[u_shape, box(400, 0, 450, 50)],
        crs=METRIC,
    )


@pytest.fixture
def small_network() -> gpd.GeoDataFrame:
    """Two named streets (one in three segments), one short lane and unnamed segments."""
    return gpd.GeoDataFrame(
        {"name": ["Kaiserstraße", "Kaiserstraße", "Kaiserstraße", "Gasse", "Ring", None, ""]},
        geometry=[
            LineString([(0, 0), (400, 0)]),
            LineString([(400, 0), (800, 0)]),
            LineString([(800, 0), (1000, 0)]),
            LineString([(0, 0), (0, 60)]),
            LineString([(0, 500), (700, 500)]),
            LineString([(0, 900), (2000, 900)]),
            LineString([(0, 1000), (50, 1000)]),
        ],
        crs=METRIC,
    )


def test_label_point_lies_inside_its_area_even_when_the_centroid_does_not(crescent_areas):
    points = label_points(crescent_areas)
    assert not crescent_areas.geometry[0].contains(crescent_areas.geometry[0].centroid)
    by_name = dict(zip(points["name"], points.geometry, strict=True))
    for _, area in crescent_areas.iterrows():
        assert area.geometry.contains(by_name[area["name"]])
    assert points.crs == crescent_areas.crs


def test_labels_are_ordered_largest_area_first_with_string_ids(crescent_areas):
    points = label_points(crescent_areas)
    assert points["name"].tolist() == ["Bogen", "Klein"]
    assert points["id"].tolist() == ["1", "2"]
    assert points["area_km2"].tolist() == [pytest.approx(0.07), pytest.approx(0.0025, abs=1e-3)]


def test_label_points_need_a_metric_crs_and_the_columns(crescent_areas):
    with pytest.raises(CrsError, match="no CRS"):
        label_points(crescent_areas.set_crs(None, allow_override=True))
    with pytest.raises(CrsError, match="projected CRS"):
        label_points(crescent_areas.to_crs("EPSG:4326"))
    with pytest.raises(MissingColumnError, match="'name'"):
        label_points(crescent_areas.drop(columns="name"))


def test_named_streets_are_joined_by_name_and_the_longest_kept(small_network):
    streets = main_streets(small_network, max_streets=2)
    assert streets["name"].tolist() == ["Kaiserstraße", "Ring"]
    assert streets["length_m"].tolist() == [1000.0, 700.0]
    # the three segments of one street become one line
    assert streets.geometry[0].geom_type == "LineString"
    assert streets.crs == small_network.crs


def test_without_names_the_long_merged_lines_are_kept(small_network):
    unnamed = small_network.drop(columns="name")
    streets = main_streets(unnamed, min_length_m=500.0)
    assert streets["name"].isna().all()
    # two lines meeting end to end merge (the street and the 60 m lane at (0, 0)); the 50 m
    # piece is left out
    assert streets["length_m"].tolist() == [2000.0, 1060.0, 700.0]
    assert (streets["length_m"] >= 500.0).all()


def test_main_streets_need_a_metric_crs(small_network):
    with pytest.raises(CrsError, match="projected CRS"):
        main_streets(small_network.to_crs("EPSG:4326"))


def test_without_names_only_the_longest_lines_up_to_the_cap_are_kept(small_network):
    unnamed = small_network.drop(columns="name")
    every = main_streets(unnamed, min_length_m=0.0, max_lines=None)
    capped = main_streets(unnamed, min_length_m=0.0, max_lines=2)
    assert len(every) > 2
    assert capped["length_m"].tolist() == every["length_m"].tolist()[:2]
    assert capped["length_m"].min() >= every["length_m"].iloc[2]
