"""Gap layer: metric hex grid, uncovered counts per cell, categories most residents cannot reach."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from layers.coverage import DistanceTable, area_index
from layers.errors import ParameterError
from layers.gaps import area_gaps, gap_hexagons, hex_cells, hex_polygons

CRS = "EPSG:25832"


def test_every_point_lies_in_its_hexagon():
    rng = np.random.default_rng(1)
    xy = rng.random((500, 2)) * 2000 + [455_000, 5_425_000]
    q, r = hex_cells(xy, edge_m=150)
    polygons = hex_polygons(q, r, edge_m=150)
    assert shapely.contains_xy(polygons, xy[:, 0], xy[:, 1]).all() or all(
        shapely.intersects(p, shapely.Point(x, y)) for p, (x, y) in zip(polygons, xy, strict=True)
    )
    area = shapely.area(polygons[0])
    assert area == pytest.approx(3 * np.sqrt(3) / 2 * 150**2)


def test_bad_hex_size():
    with pytest.raises(ParameterError, match="hexagon edge must be > 0"):
        hex_cells(np.zeros((1, 2)), edge_m=0)


def test_gap_hexagons_count_uncovered_residents():
    xy = np.array([[0.0, 0.0], [10.0, 0.0], [5000.0, 0.0], [5010.0, 5.0], [5005.0, 0.0]])
    res = gpd.GeoDataFrame(geometry=gpd.points_from_xy(*xy.T), crs=CRS)
    fac = gpd.GeoDataFrame({"category": ["care"]}, geometry=[shapely.Point(0, 0)], crs=CRS)
    table = DistanceTable(res, fac)
    cells = gap_hexagons(
        table, np.array([1.0, 2.0, 3.0, 4.0, 0.0]), category="care", radius_m=500, hex_edge_m=100
    )
    assert cells.crs.to_epsg() == 25832
    assert list(cells.columns) == [
        "hex_id",
        "residents",
        "uncovered",
        "share_uncovered",
        "geometry",
    ]
    assert cells["residents"].tolist() == [7.0, 3.0]
    assert cells["uncovered"].tolist() == [7.0, 0.0]
    assert cells["share_uncovered"].tolist() == [1.0, 0.0]
    assert cells.geometry.iloc[0].contains(shapely.Point(5000, 0))
    assert cells["uncovered"].sum() == 7.0


def test_area_gaps_names_categories_most_residents_cannot_reach():
    # area a: 3 residents near care, far from meeting; area b: 2 residents near both
    xy = [(0, 0), (10, 0), (20, 0), (3000, 0), (3010, 0)]
    res = gpd.GeoDataFrame(
        {"district_id": ["a", "a", "a", "b", "b"]}, geometry=[shapely.Point(p) for p in xy], crs=CRS
    )
    fac = gpd.GeoDataFrame(
        {"category": ["care", "meeting", "care", "meeting"]},
        geometry=[
            shapely.Point(0, 0),
            shapely.Point(400, 0),
            shapely.Point(3000, 0),
            shapely.Point(3000, 0),
        ],
        crs=CRS,
    )
    mapping = pd.DataFrame(
        {"district_id": ["a", "b"], "area_id": ["a", "b"], "area_name": ["A", "B"]}
    )
    frame = area_gaps(
        DistanceTable(res, fac),
        np.ones(5),
        area_index(res["district_id"], mapping),
        categories=["care", "meeting", "counselling"],
        radius_m=385,
    )
    assert frame["uncovered_care"].tolist() == [0.0, 0.0]
    # meeting at 400 m: residents at 0 and 10 m are > 385 m away, the one at 20 m is at 380 m
    assert frame["uncovered_meeting"].tolist() == pytest.approx([2 / 3, 0.0])
    assert frame["uncovered_counselling"].tolist() == [1.0, 1.0]
    assert frame["unreachable"].tolist() == ["counselling,meeting", "counselling"]
