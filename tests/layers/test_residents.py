"""Resident points, the grid fallback, and weights scaled to the population of a year and group."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import Point, Polygon, box

from layers.dataset import load_dataset, validate_dataset
from layers.errors import CrsError, ParameterError
from layers.residents import (
    GRID_CELL_M,
    ResidentPoints,
    grid_points,
    resident_weights,
    scale_weights,
)

X0, Y0 = 455_000.0, 5_425_000.0  # south-west corner of the grid (tests/conftest.py)
CENTRES = {
    "0101": (X0 + 500, Y0 + 1500),
    "0102": (X0 + 1500, Y0 + 1500),
    "0201": (X0 + 500, Y0 + 500),
    "0202": (X0 + 1500, Y0 + 500),
}

HEAD = """
[metadata]
name = "Test"
metric_crs = "EPSG:25832"

[districts]
path = "districts.geojson"

[[population]]
path = "population.csv"
"""


@pytest.fixture
def make(tmp_path, write_dataset, grid_districts, population_csv):
    """``make(residents_csv, table=...)``: a grid dataset with a residents CSV (x/y, EPSG:25832)."""

    def _make(residents: str | None, table: str = "") -> Path:
        files = {"districts.geojson": grid_districts, "population.csv": population_csv}
        text = HEAD
        if residents is not None:
            files["residents.csv"] = residents
            text += '\n[residents]\npath = "residents.csv"\ncrs = "EPSG:25832"\n' + table
        return write_dataset(tmp_path / "ds", text, files)

    return _make


def residents_csv(points: dict[str, list[float]]) -> str:
    """Resident rows ``x,y,weight`` near the centre of each district, one per weight."""
    lines = ["x,y,weight"]
    for did, weights in points.items():
        cx, cy = CENTRES[did]
        lines += [f"{cx + 10 * i},{cy},{w}" for i, w in enumerate(weights)]
    return "\n".join(lines) + "\n"


def _sums(dataset, weights: np.ndarray) -> dict[str, float]:
    frame = pd.DataFrame({"d": dataset.resident_points["district_id"], "w": weights})
    return frame.groupby("d")["w"].sum().round(9).to_dict()


# --- grid -----------------------------------------------------------------------------------


def test_grid_points_of_a_square() -> None:
    points = grid_points(box(X0, Y0, X0 + 1000, Y0 + 1000), cell_m=100)
    assert len(points) == 100
    xs = sorted({p.x for p in points})
    assert xs[0] == X0 + 50 and xs[-1] == X0 + 950


def test_grid_points_leave_out_holes() -> None:
    outer = [(0, 0), (1000, 0), (1000, 1000), (0, 1000)]
    hole = [(200, 200), (800, 200), (800, 800), (200, 800)]
    points = grid_points(Polygon(outer, [hole]), cell_m=100)
    assert len(points) == 100 - 36


def test_tiny_polygon_gets_one_point() -> None:
    tiny = box(X0 + 10, Y0 + 10, X0 + 20, Y0 + 20)
    (point,) = grid_points(tiny, cell_m=GRID_CELL_M)
    assert tiny.contains(point)


def test_scale_weights() -> None:
    ids = np.array(["a", "a", "b", "c", "d"], dtype=object)
    base = np.array([1.0, 3.0, 2.0, 5.0, 1.0])
    pop = pd.Series({"a": 100.0, "b": 0.0, "c": np.nan})
    weights = scale_weights(ids, base, pop)
    assert weights[:3].tolist() == [25.0, 75.0, 0.0]
    # Unknown population (NaN) and districts not in the table give NaN.
    assert np.isnan(weights[3:]).all()


# --- datasets -------------------------------------------------------------------------------


def test_weights_sum_to_the_population_of_the_year_and_group(make) -> None:
    path = make(residents_csv({"0101": [1, 3], "0102": [1], "0201": [2, 2, 4], "0202": [1, 1]}))
    dataset = load_dataset(path)
    assert dataset.issues == ()
    points = dataset.resident_points
    assert (points["origin"] == "residents").all()
    assert points["district_id"].tolist() == ["0101"] * 2 + ["0102"] + ["0201"] * 3 + ["0202"] * 2
    weights = resident_weights(dataset)  # latest year (2021), total
    assert _sums(dataset, weights) == {"0101": 150, "0102": 250, "0201": 300, "0202": 400}
    # Within a district the base weights keep their proportions.
    assert weights[:2].tolist() == [37.5, 112.5]
    assert _sums(dataset, resident_weights(dataset, year=2020)) == {
        "0101": 100,
        "0102": 200,
        "0201": 300,
        "0202": 400,
    }
    old = resident_weights(dataset, group="65_plus", year=2021)
    assert _sums(dataset, old) == {"0101": 10, "0102": 20, "0201": 30, "0202": 40}
    assert old.sum() == pytest.approx(100.0)


def test_district_without_resident_points_falls_back_to_the_grid(make) -> None:
    path = make(residents_csv({"0101": [1], "0102": [1], "0201": [1]}))
    dataset = load_dataset(path)
    assert [i.format() for i in dataset.issues] == [
        "warning: residents.csv: district 0202 (Südost) has population but no resident points; "
        "a 100 m grid (100 points) carries its population"
    ]
    points = dataset.resident_points
    grid = points[points["origin"] == "grid"]
    assert len(grid) == 100 and set(grid["district_id"]) == {"0202"}
    assert grid.geometry.within(dataset.districts.geometry.iloc[3]).all()
    weights = resident_weights(dataset)
    assert _sums(dataset, weights)["0202"] == pytest.approx(400)
    assert np.allclose(weights[points["origin"].to_numpy() == "grid"], 4.0)


def test_without_residents_layer_every_district_uses_the_grid(make) -> None:
    dataset = load_dataset(make(None))
    assert dataset.issues == ()
    points = dataset.resident_points
    assert (points["origin"] == "grid").all()
    assert points.groupby("district_id").size().to_dict() == dict.fromkeys(CENTRES, 100)
    assert points["district_id"].tolist()[::100] == ["0101", "0102", "0201", "0202"]
    assert _sums(dataset, resident_weights(dataset)) == {
        "0101": 150,
        "0102": 250,
        "0201": 300,
        "0202": 400,
    }


def test_few_resident_points_are_a_warning(make) -> None:
    many = [1.0] * 40
    path = make(residents_csv({"0101": many, "0102": many, "0201": many, "0202": [1.0]}))
    assert [i.format() for i in validate_dataset(path)] == [
        "warning: residents.csv: district 0202 (Südost) has few resident points (1 for 400 "
        "inhabitants in 2021); its coverage figures rest on few addresses"
    ]


def test_resident_points_outside_all_districts_are_dropped(make) -> None:
    text = residents_csv({"0101": [1], "0102": [1], "0201": [1], "0202": [1]})
    text += f"{X0 - 500},{Y0},1\n{X0 + 5000},{Y0},1\n"
    dataset = load_dataset(make(text))
    assert [i.format() for i in dataset.issues] == [
        "warning: residents.csv: 2 resident point(s) lie outside all districts and are ignored"
    ]
    assert len(dataset.resident_points) == 4
    assert dataset.resident_points["district_id"].notna().all()


def test_weights_must_be_non_negative_numbers(make) -> None:
    text = f"x,y,weight\n{X0 + 1},{Y0 + 1},zwei\n{X0 + 2},{Y0 + 2},-1\n{X0 + 3},{Y0 + 3},\n"
    assert [i.format() for i in validate_dataset(make(text))] == [
        "error: residents.csv, row 2, column 'weight': not a number: 'zwei'",
        "error: residents.csv, row 3, column 'weight': negative value: -1.0",
    ]


def test_missing_weight_is_one_and_weight_column_is_optional(make) -> None:
    cx, cy = CENTRES["0101"]
    text = f"x,y\n{cx},{cy}\n{cx + 1},{cy}\n{cx + 2},{cy}\n"
    dataset = load_dataset(make(text))
    points = dataset.resident_points
    assert points.loc[points["origin"] == "residents", "base_weight"].tolist() == [1.0] * 3
    weights = resident_weights(dataset)
    assert weights[:3].tolist() == [50.0, 50.0, 50.0]


def test_residents_in_wgs84_with_addresses(
    tmp_path, write_dataset, grid_districts, population_csv
) -> None:
    lonlat = gpd.GeoSeries([Point(CENTRES["0102"])], crs=25832).to_crs(4326).iloc[0]
    text = f'full_address,lat,lon\n"Hauptstraße 1, 76133 Teststadt",{lonlat.y},{lonlat.x}\n'
    path = write_dataset(
        tmp_path / "wgs",
        HEAD + '\n[residents]\npath = "r.csv"\ncolumns = { address = "full_address" }\n',
        {"districts.geojson": grid_districts, "population.csv": population_csv, "r.csv": text},
    )
    dataset = load_dataset(path)
    residents = dataset.resident_points[dataset.resident_points["origin"] == "residents"]
    assert residents["district_id"].tolist() == ["0102"]
    assert residents.geometry.iloc[0].distance(Point(CENTRES["0102"])) < 0.01
    assert dataset.addresses["address"].tolist() == ["Hauptstraße 1, 76133 Teststadt"]
    assert dataset.addresses.crs == dataset.districts.crs


def test_district_with_zero_population_gets_no_grid(
    tmp_path, write_dataset, grid_districts
) -> None:
    population = "district,year,group,value\n0101,2021,total,0\n0102,2021,total,10\n0201,2021,total,0\n0202,2021,total,0\n"
    path = write_dataset(
        tmp_path / "z",
        HEAD,
        {"districts.geojson": grid_districts, "population.csv": population},
    )
    dataset = load_dataset(path)
    assert set(dataset.resident_points["district_id"]) == {"0102"}
    assert resident_weights(dataset).sum() == pytest.approx(10.0)


def test_resident_points_are_in_the_metric_crs(make) -> None:
    dataset = load_dataset(make(residents_csv({"0101": [1]})))
    assert dataset.resident_points.crs == dataset.districts.crs
    first = dataset.resident_points.geometry.iloc[0]
    assert shapely.equals(first, Point(CENTRES["0101"]))


# --- ResidentPoints -------------------------------------------------------------------------


def _points(**changes) -> ResidentPoints:
    values = {
        "xy": np.array([[X0 + 1, Y0 + 1], [X0 + 2, Y0 + 2], [X0 + 3, Y0 + 3]]),
        "district_codes": np.array([1, 1, 0]),
        "district_ids": np.array(["0101", "0102"], dtype=object),
        "from_grid": np.array([False, False, True]),
        "base_weight": np.array([1.0, 2.0, 1.0]),
        "crs": "EPSG:25832",
    }
    values.update(changes)
    return ResidentPoints(**values)


def test_resident_points_hold_read_only_arrays_and_give_a_frame_on_demand() -> None:
    points = _points()
    assert len(points) == 3
    assert points.district_id.tolist() == ["0102", "0102", "0101"]
    assert points.origin.tolist() == ["residents", "residents", "grid"]
    with pytest.raises(ValueError, match="read-only"):
        points.xy[0, 0] = 0.0
    frame = points.frame
    assert frame.crs == "EPSG:25832"
    assert frame["district_id"].tolist() == ["0102", "0102", "0101"]
    assert frame["base_weight"].tolist() == [1.0, 2.0, 1.0]
    assert shapely.get_coordinates(frame.geometry.to_numpy()).tolist() == points.xy.tolist()
    assert points.frame is frame  # built once


def test_resident_points_round_trip_through_a_frame() -> None:
    points = _points()
    again = ResidentPoints.from_frame(points.frame)
    np.testing.assert_array_equal(again.xy, points.xy)
    assert again.district_id.tolist() == points.district_id.tolist()
    assert again.from_grid.tolist() == points.from_grid.tolist()
    assert again.base_weight.tolist() == points.base_weight.tolist()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"base_weight": np.ones(2)}, "`base_weight` has 2 entries for 3 points"),
        ({"district_codes": np.array([0, 1, 2])}, "a district code has no district id"),
        ({"district_codes": np.array([0, -1, 1])}, "a district code has no district id"),
    ],
)
def test_resident_points_reject_inconsistent_arrays(changes, message) -> None:
    with pytest.raises(ParameterError, match=message):
        _points(**changes)


def test_resident_points_from_a_frame_need_metric_points_with_districts() -> None:
    frame = _points().frame
    with pytest.raises(CrsError):
        ResidentPoints.from_frame(frame.to_crs(4326))
    no_district = frame.assign(district_id=[None, "0102", "0101"])
    with pytest.raises(ParameterError, match="needs a district_id"):
        ResidentPoints.from_frame(no_district)
    polygon = frame.copy()
    polygon.loc[1, "geometry"] = box(X0, Y0, X0 + 5, Y0 + 5)
    with pytest.raises(ParameterError, match=r"positions \[1\]"):
        ResidentPoints.from_frame(polygon)
