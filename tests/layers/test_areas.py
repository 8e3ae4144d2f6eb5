"""Planning areas: the district → area mapping, its checks, and ``area_mapping`` for both levels."""

from __future__ import annotations

from pathlib import Path

import pytest

from layers.areas import area_mapping, area_order
from layers.dataset import load_dataset, validate_dataset
from layers.errors import CatalogueError

MAPPING = """Stadtteil;Planungsraum;Name;Koordination
0101;N;Nord;Frau A
102;N;Nord;Frau A
0201;S;Süd;
0202;S;Süd;
"""


@pytest.fixture
def make(tmp_path, write_dataset, grid_dataset):
    """``make(csv, extra)``: the grid dataset plus a [planning_areas] table reading ``csv``."""

    def _make(text: str, extra: str = "") -> Path:
        manifest = (grid_dataset / "dataset.toml").read_text(encoding="utf-8")
        manifest += (
            '\n[planning_areas]\npath = "pa.csv"\n'
            'columns = { district = "Stadtteil", planning_area = "Planungsraum", '
            'planning_area_name = "Name", coordinator = "Koordination" }\n' + extra
        )
        return write_dataset(grid_dataset, manifest, {"pa.csv": text})

    return _make


def _lines(path: Path) -> list[str]:
    return [i.format() for i in validate_dataset(path)]


def test_planning_area_mapping(make) -> None:
    dataset = load_dataset(make(MAPPING))
    assert dataset.issues == ()
    pa = dataset.planning_areas
    assert pa["district_id"].tolist() == ["0101", "0102", "0201", "0202"]  # districts spelling
    assert pa["planning_area"].tolist() == ["N", "N", "S", "S"]
    assert pa["coordinator"].tolist() == ["Frau A", "Frau A", "", ""]
    mapping = area_mapping(dataset, "planning_area")
    assert mapping.to_dict("list") == {
        "district_id": ["0101", "0102", "0201", "0202"],
        "area_id": ["N", "N", "S", "S"],
        "area_name": ["Nord", "Nord", "Süd", "Süd"],
    }
    assert area_order(mapping) == ["N", "S"]
    assert dataset.planning_areas_proposal is False


def test_mapping_rows_follow_the_districts_file(make) -> None:
    lines = MAPPING.splitlines()
    shuffled = "\n".join([lines[0], lines[4], lines[2], lines[3], lines[1]]) + "\n"
    pa = load_dataset(make(shuffled)).planning_areas
    assert pa["district_id"].tolist() == ["0101", "0102", "0201", "0202"]


def test_area_name_defaults_to_the_area_id(make) -> None:
    text = "Stadtteil;Planungsraum;Name;Koordination\n0101;N;;\n0102;N;;\n0201;S;;\n0202;S;;\n"
    mapping = area_mapping(load_dataset(make(text)), "planning_area")
    assert mapping["area_name"].tolist() == ["N", "N", "S", "S"]


def test_district_level_is_the_identity(grid_dataset: Path) -> None:
    mapping = area_mapping(load_dataset(grid_dataset), "district")
    assert mapping.to_dict("list") == {
        "district_id": ["0101", "0102", "0201", "0202"],
        "area_id": ["0101", "0102", "0201", "0202"],
        "area_name": ["Nordwest", "Nordost", "Südwest", "Südost"],
    }


def test_proposal_is_labelled(make) -> None:
    dataset = load_dataset(make(MAPPING, "proposal = true\n"))
    assert dataset.planning_areas_proposal is True
    names = area_mapping(dataset, "planning_area")["area_name"].tolist()
    assert names == ["Nord (Vorschlag)", "Nord (Vorschlag)", "Süd (Vorschlag)", "Süd (Vorschlag)"]


def test_unknown_district_names_the_row(make) -> None:
    text = MAPPING.replace("0202;S", "0203;S")
    assert _lines(make(text)) == [
        "error: pa.csv, row 5, column 'Stadtteil': district '0203' is not in the districts file "
        "(did you mean '0202' or '0201'?); valid ids: 0101, 0102, 0201, 0202",
        "error: pa.csv: 1 district(s) are in no planning area: 0202",
    ]


def test_district_assigned_twice(make) -> None:
    text = MAPPING + "0101;S;Süd;\n"
    assert _lines(make(text)) == [
        "error: pa.csv, row 6, column 'Stadtteil': district '0101' is assigned twice "
        "(first in row 2); every district belongs to exactly one planning area"
    ]


def test_unassigned_district(make) -> None:
    text = "\n".join(MAPPING.splitlines()[:3]) + "\n"
    assert _lines(make(text)) == [
        "error: pa.csv: 2 district(s) are in no planning area: 0201, 0202"
    ]


def test_empty_planning_area(make) -> None:
    text = MAPPING.replace("0201;S;", "0201;;")
    assert _lines(make(text)) == [
        "error: pa.csv, row 4, column 'Planungsraum': district '0201' has no planning area"
    ]


def test_no_mapping_says_how_to_get_one(grid_dataset: Path) -> None:
    dataset = load_dataset(grid_dataset)
    assert dataset.planning_areas is None
    with pytest.raises(
        CatalogueError,
        match=r"no planning-area mapping.*\[planning_areas\].*planning-areas propose",
    ):
        area_mapping(dataset, "planning_area")


def test_unknown_level(grid_dataset: Path) -> None:
    with pytest.raises(
        CatalogueError, match="unknown level 'bezirk'; valid levels: district, planning_area"
    ):
        area_mapping(load_dataset(grid_dataset), "bezirk")  # type: ignore[arg-type]


def test_non_contiguous_planning_area_is_a_warning(tmp_path, write_dataset) -> None:
    """Three districts in a row; an area of the two outer ones is split by the middle one."""
    import geopandas as gpd
    from shapely.geometry import box

    row = gpd.GeoDataFrame(
        {"id": ["A", "B", "C"], "name": ["West", "Mitte", "Ost"]},
        geometry=[box(0, 0, 1000, 1000), box(1000, 0, 2000, 1000), box(2000, 0, 3000, 1000)],
        crs="EPSG:25832",
    )
    manifest = """
[metadata]
name = "Reihe"
metric_crs = "EPSG:25832"

[districts]
path = "districts.geojson"

[[population]]
path = "population.csv"

[planning_areas]
path = "pa.csv"
"""
    folder = write_dataset(
        tmp_path / "row",
        manifest,
        {
            "districts.geojson": row,
            "population.csv": "district,year,group,value\nA,2020,total,10\nB,2020,total,10\nC,2020,total,10\n",
            "pa.csv": "district,planning_area\nA,P\nB,Q\nC,P\n",
        },
    )
    dataset = load_dataset(folder)  # a warning, not an error
    warnings = [i.format() for i in dataset.issues]
    assert any("planning area 'P' is not contiguous: 2 separate parts" in w for w in warnings), (
        warnings
    )
    assert not any("'Q'" in w for w in warnings)
