"""Facility layers: coordinates, categories (fixed, mapped, catalogue), and every facility check."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from pyproj import CRS, Transformer
from shapely.geometry import LineString, Point

from layers.dataset import load_dataset, validate_dataset
from layers.errors import DatasetError

X0, Y0 = 455_000.0, 5_425_000.0  # south-west corner of the grid (tests/conftest.py)
TO_WGS84 = Transformer.from_crs(25832, 4326, always_xy=True)

HEAD = """
[metadata]
name = "Test"
metric_crs = "EPSG:25832"

[districts]
path = "districts.geojson"

[[population]]
path = "population.csv"
"""


def lonlat(x: float, y: float) -> tuple[float, float]:
    """WGS84 lon/lat of a point given in EPSG:25832."""
    return TO_WGS84.transform(x, y)


def german(value: float) -> str:
    """A coordinate written with a decimal comma."""
    return f"{value:.6f}".replace(".", ",")


@pytest.fixture
def make(tmp_path, write_dataset, grid_districts, population_csv):
    """``make(facility_tables, files)``: a grid dataset whose facilities are the given tables."""

    def _make(tables: str, files: dict) -> Path:
        return write_dataset(
            tmp_path / "ds",
            HEAD + tables,
            {"districts.geojson": grid_districts, "population.csv": population_csv, **files},
        )

    return _make


def _lines(path: Path, severity: str | None = None) -> list[str]:
    return [i.format() for i in validate_dataset(path) if severity in (None, i.severity)]


def test_cp1252_semicolon_csv_with_decimal_commas_and_category_map(make) -> None:
    nw, se = lonlat(X0 + 500, Y0 + 1500), lonlat(X0 + 1500, Y0 + 500)
    text = (
        "Bezeichnung;Art;Breite;Länge;Plätze\n"
        f"Begegnungsstätte Südweststadt;Begegnungsstätte;{german(nw[1])};{german(nw[0])};\n"
        f"Pflegeheim Grötzingen;Pflegeheim;{german(se[1])};{german(se[0])};1.234\n"
    )
    path = make(
        """
[[facilities]]
path = "einrichtungen.csv"
columns = { name = "Bezeichnung", category = "Art", lat = "Breite", lon = "Länge", capacity = "Plätze" }
category_map = { "Pflegeheim" = "care", "Begegnungsstätte" = "meeting" }
""",
        {"einrichtungen.csv": text.encode("cp1252")},
    )
    dataset = load_dataset(path)
    assert dataset.issues == ()
    fac = dataset.facilities
    assert fac["name"].tolist() == ["Begegnungsstätte Südweststadt", "Pflegeheim Grötzingen"]
    assert fac["category"].tolist() == ["meeting", "care"]
    assert fac["district_id"].tolist() == ["0101", "0202"]
    # Empty capacity is 1; '1.234' in a decimal-comma file is one thousand two hundred ...
    assert fac["capacity"].tolist() == [1.0, 1234.0]
    assert CRS.from_user_input(fac.crs).to_epsg() == 25832
    assert fac.geometry.iloc[0].distance(Point(X0 + 500, Y0 + 1500)) < 0.5
    assert fac["source"].tolist() == ["einrichtungen.csv"] * 2
    # Without an id column each facility gets one from its file and row.
    assert fac["id"].tolist() == ["einrichtungen.csv:2", "einrichtungen.csv:3"]


def test_utf8_bom_csv_with_x_y_in_a_metric_crs(make) -> None:
    text = f"\ufeffid;name;category;x;y\nA1;Treff;meeting;{X0 + 500:.1f};{Y0 + 500:.1f}\n"
    path = make(
        '[[facilities]]\npath = "f.csv"\ncrs = "EPSG:25832"\n', {"f.csv": text.encode("utf-8")}
    )
    dataset = load_dataset(path)
    assert dataset.facilities["id"].tolist() == ["A1"]
    assert dataset.facilities["district_id"].tolist() == ["0201"]


def test_x_y_without_crs_is_an_error(make) -> None:
    path = make('[[facilities]]\npath = "f.csv"\n', {"f.csv": "name,category,x,y\nT,care,1,2\n"})
    assert _lines(path) == [
        "error: f.csv: columns 'x'/'y' need the CRS: add crs = \"EPSG:<code>\" to the table"
    ]


def test_no_coordinate_columns(make) -> None:
    path = make('[[facilities]]\npath = "f.csv"\n', {"f.csv": "name,category,ort\nT,care,x\n"})
    (line,) = _lines(path)
    assert line.startswith("error: f.csv: no coordinate columns: need 'lat'/'lon' (WGS84)")


def test_rows_without_coordinates_are_one_warning_and_kept_off_the_map(make) -> None:
    lon, lat = lonlat(X0 + 500, Y0 + 500)
    rows = [f"Treff {i},meeting,,\n" for i in range(12)]
    text = (
        "name,category,lat,lon\n" + "".join(rows[:3]) + f"Da,care,{lat},{lon}\n" + "".join(rows[3:])
    )
    path = make('[[facilities]]\npath = "f.csv"\n', {"f.csv": text})
    assert _lines(path) == [
        "warning: f.csv: 12 row(s) without coordinates are kept off the map: "
        "rows 2, 3, 4, 6, 7, 8, 9, 10, 11, 12 … and 2 more"
    ]
    dataset = load_dataset(path)
    assert dataset.facilities["name"].tolist() == ["Da"]
    unlocated = dataset.unlocated_facilities
    assert len(unlocated) == 12
    assert unlocated["row"].tolist()[:4] == [2, 3, 4, 6]
    assert set(unlocated["file"]) == {"f.csv"}
    assert set(unlocated["category"]) == {"meeting"}


def test_only_one_coordinate_and_out_of_range_latitude_are_errors(make) -> None:
    text = "name,category,lat,lon\nA,care,49.0,\nB,care,149.0,8.4\nC,care,49,abc\n"
    path = make('[[facilities]]\npath = "f.csv"\n', {"f.csv": text})
    assert _lines(path) == [
        "error: f.csv, row 4, column 'lon': not a coordinate: 'abc'",
        "error: f.csv, row 2, column 'lat/lon': only one of the two coordinates is given",
        "error: f.csv, row 3, column 'lat': latitude outside -90..90: 149.0",
    ]


def test_facilities_outside_all_districts_are_kept_with_a_warning(make) -> None:
    inside, outside = lonlat(X0 + 500, Y0 + 500), lonlat(X0 - 3000, Y0)
    text = (
        "name,category,lat,lon\n"
        f"Drin,care,{inside[1]},{inside[0]}\n"
        f"Draußen,care,{outside[1]},{outside[0]}\n"
    )
    path = make('[[facilities]]\npath = "f.csv"\n', {"f.csv": text})
    assert _lines(path) == [
        "warning: f.csv: 1 facility lies outside all districts (kept, counted for nearby "
        "areas): row 3 'Draußen'"
    ]
    facilities = load_dataset(path).facilities
    assert len(facilities) == 2
    assert facilities["district_id"].isna().tolist() == [False, True]


def test_lines_as_facilities_are_a_wrong_geometry_type(make) -> None:
    frame = gpd.GeoDataFrame(
        {"name": ["Weg", "Treff"], "category": ["meeting", "meeting"]},
        geometry=[LineString([(X0, Y0), (X0 + 10, Y0)]), Point(X0 + 5, Y0 + 5)],
        crs=25832,
    )
    path = make('[[facilities]]\npath = "f.geojson"\n', {"f.geojson": frame})
    assert _lines(path) == [
        "error: f.geojson, row 1, column 'geometry': wrong geometry type, expected Point: "
        "'Linestring'"
    ]


def test_single_part_multipoints_are_points(make) -> None:
    from shapely.geometry import MultiPoint

    frame = gpd.GeoDataFrame(
        {"name": ["Treff"], "category": ["meeting"]},
        geometry=[MultiPoint([(X0 + 5, Y0 + 5)])],
        crs=25832,
    )
    path = make('[[facilities]]\npath = "f.gpkg"\n', {"f.gpkg": frame})
    facilities = load_dataset(path).facilities
    assert facilities.geometry.iloc[0].geom_type == "Point"


def test_legacy_geojson_crs_member_in_epsg_25833(make) -> None:
    to_25833 = Transformer.from_crs(25832, 25833, always_xy=True)
    x, y = to_25833.transform(X0 + 1500, Y0 + 1500)
    collection = {
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::25833"}},
        "features": [
            {
                "type": "Feature",
                "properties": {"einrichtung_name": "Pflege Nordost", "platzzahl": 80},
                "geometry": {"type": "Point", "coordinates": [x, y]},
            }
        ],
    }
    path = make(
        '[[facilities]]\npath = "pflege.geojson"\ncategory = "care"\n'
        'columns = { name = "einrichtung_name", capacity = "platzzahl" }\n',
        {"pflege.geojson": json.dumps(collection)},
    )
    facilities = load_dataset(path).facilities
    # Read in EPSG:25833 and projected into the dataset's EPSG:25832: back at the grid point.
    assert facilities.geometry.iloc[0].distance(Point(X0 + 1500, Y0 + 1500)) < 0.01
    assert facilities["district_id"].tolist() == ["0102"]
    assert facilities["capacity"].tolist() == [80.0]


def test_unknown_categories_list_the_valid_ones(make) -> None:
    lon, lat = lonlat(X0 + 500, Y0 + 500)
    text = f"name,category,lat,lon\nA,meting,{lat},{lon}\nB,Freizeit,{lat},{lon}\nC,meting,{lat},{lon}\n"
    path = make('[[facilities]]\npath = "f.csv"\n', {"f.csv": text})
    assert _lines(path) == [
        "error: f.csv, row 2, column 'category': unknown category 'meting'; valid: meeting, "
        "counselling, care, participation, network (did you mean 'meeting'?) (or map the file's values with category_map)",
        "error: f.csv, row 4, column 'category': unknown category 'meting'; valid: meeting, "
        "counselling, care, participation, network (did you mean 'meeting'?) (or map the file's values with category_map)",
        "error: f.csv, row 3, column 'category': unknown category 'Freizeit'; valid: meeting, "
        "counselling, care, participation, network (or map the file's values with category_map)",
    ]
    with pytest.raises(DatasetError, match="unknown category 'meting'") as info:
        load_dataset(path)
    assert len([i for i in info.value.issues if i.severity == "error"]) == 3


def test_category_map_value_not_in_the_map(make) -> None:
    lon, lat = lonlat(X0 + 500, Y0 + 500)
    text = f"name,Art,lat,lon\nA,Pflegeheim,{lat},{lon}\nB,Pflegeheime,{lat},{lon}\n"
    table = (
        '[[facilities]]\npath = "f.csv"\ncolumns = { category = "Art" }\n'
        'category_map = { "Pflegeheim" = "care" }\n'
    )
    path = make(table, {"f.csv": text})
    assert _lines(path) == [
        "error: f.csv, row 3, column 'Art': value 'Pflegeheime' is not in category_map "
        "(Pflegeheim) (did you mean 'Pflegeheim'?); add it or set category_map_default"
    ]
    path = make(table + 'category_map_default = "counselling"\n', {"f.csv": text})
    assert load_dataset(path).facilities["category"].tolist() == ["care", "counselling"]


def test_category_map_target_outside_the_catalogue(make) -> None:
    lon, lat = lonlat(X0 + 500, Y0 + 500)
    path = make(
        '[[facilities]]\npath = "f.csv"\ncategory_map = { "Heim" = "pflege" }\n',
        {"f.csv": f"name,category,lat,lon\nA,Heim,{lat},{lon}\nB,Heim,,\n"},
    )
    # Reported once per table, not once per row or per located/unlocated part.
    assert _lines(path, "error") == [
        "error: f.csv: category_map target 'pflege' is not in the catalogue (meeting, "
        "counselling, care, participation, network)"
    ]


def test_fixed_category(make) -> None:
    lon, lat = lonlat(X0 + 500, Y0 + 500)
    text = f"name,lat,lon\nA,{lat},{lon}\nB,,\n"
    path = make('[[facilities]]\npath = "f.csv"\ncategory = "care"\n', {"f.csv": text})
    dataset = load_dataset(path)
    assert dataset.facilities["category"].tolist() == ["care"]
    assert dataset.unlocated_facilities["category"].tolist() == ["care"]
    path = make('[[facilities]]\npath = "f.csv"\ncategory = "Care"\n', {"f.csv": text})
    assert _lines(path, "error") == [
        "error: f.csv: category = 'Care' is not in the catalogue (meeting, counselling, care, "
        "participation, network) "
        "(did you mean 'care'?)"
    ]


def test_own_category_catalogue(make) -> None:
    lon, lat = lonlat(X0 + 500, Y0 + 500)
    path = make(
        '[[categories]]\nid = "youth"\nlabel_de = "Jugend"\n\n[[categories]]\nid = "care"\n'
        '\n[[facilities]]\npath = "f.csv"\n',
        {"f.csv": f"name,category,lat,lon\nJFE,youth,{lat},{lon}\nHeim,care,{lat},{lon}\n"},
    )
    dataset = load_dataset(path)
    assert dataset.category_ids == ("youth", "care")
    assert dataset.category("youth").label_de == "Jugend"
    assert dataset.facilities["category"].tolist() == ["youth", "care"]
    # 'meeting' is not in this dataset's catalogue any more.
    path2 = make(
        '[[categories]]\nid = "youth"\n\n[[facilities]]\npath = "f.csv"\n',
        {"f.csv": f"name,category,lat,lon\nT,meeting,{lat},{lon}\n"},
    )
    assert "unknown category 'meeting'; valid: youth" in _lines(path2)[0]


def test_several_facility_files(make) -> None:
    a, b = lonlat(X0 + 500, Y0 + 500), lonlat(X0 + 1500, Y0 + 1500)
    path = make(
        '[[facilities]]\npath = "a.csv"\ncategory = "care"\n'
        '[[facilities]]\npath = "b.csv"\ncategory = "meeting"\n',
        {
            "a.csv": f"name,lat,lon\nHeim,{a[1]},{a[0]}\n",
            "b.csv": f"name,lat,lon\nTreff,{b[1]},{b[0]}\n",
        },
    )
    facilities = load_dataset(path).facilities
    assert facilities[["name", "category", "source", "district_id"]].to_dict("records") == [
        {"name": "Heim", "category": "care", "source": "a.csv", "district_id": "0201"},
        {"name": "Treff", "category": "meeting", "source": "b.csv", "district_id": "0102"},
    ]


def test_capacity_must_be_a_non_negative_number(make) -> None:
    lon, lat = lonlat(X0 + 500, Y0 + 500)
    text = f"name,category,lat,lon,capacity\nA,care,{lat},{lon},viele\nB,care,{lat},{lon},-3\n"
    path = make('[[facilities]]\npath = "f.csv"\n', {"f.csv": text})
    assert _lines(path) == [
        "error: f.csv, row 2, column 'capacity': not a number: 'viele'",
        "error: f.csv, row 3, column 'capacity': negative value: -3.0",
    ]


def test_empty_names_are_warnings(make) -> None:
    lon, lat = lonlat(X0 + 500, Y0 + 500)
    path = make(
        '[[facilities]]\npath = "f.csv"\n',
        {"f.csv": f"name,category,lat,lon\n,care,{lat},{lon}\nB,care,{lat},{lon}\n"},
    )
    assert _lines(path) == ["warning: f.csv, row 2, column 'name': empty facility name"]


def test_missing_category_column(make) -> None:
    path = make('[[facilities]]\npath = "f.csv"\n', {"f.csv": "name,lat,lon\nA,49,8\n"})
    (line,) = _lines(path)
    assert line.startswith(
        "error: f.csv, column 'category': required column 'category' (canonical 'category') "
        "is missing; the file has: name, lat, lon"
    )


def test_header_only_file_is_an_error(make) -> None:
    path = make('[[facilities]]\npath = "f.csv"\n', {"f.csv": "name,category,lat,lon\n"})
    assert _lines(path) == ["error: f.csv: the file has no rows"]


def test_many_bad_rows_are_summarised(make) -> None:
    rows = "".join(f"T{i},care,{i}x,8.4\n" for i in range(25))
    path = make('[[facilities]]\npath = "f.csv"\n', {"f.csv": "name,category,lat,lon\n" + rows})
    lines = _lines(path)
    assert len(lines) == 21
    assert lines[0] == "error: f.csv, row 2, column 'lat': not a coordinate: '0x'"
    assert lines[-1] == (
        "error: f.csv, column 'lat': not a coordinate: 5 more rows (22, 23, 24, 25, 26)"
    )


def test_facilities_frame_columns(grid_dataset: Path) -> None:
    dataset = load_dataset(grid_dataset)
    assert list(dataset.facilities.columns) == [
        "id",
        "name",
        "category",
        "subcategory",
        "address",
        "capacity",
        "source",
        "district_id",
        "geometry",
    ]
    assert dataset.facilities["capacity"].dtype == float
    assert isinstance(dataset.unlocated_facilities, pd.DataFrame)
    assert dataset.unlocated_facilities.empty
