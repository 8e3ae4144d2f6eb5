"""District boundaries: ids, names, geometry types, repairs, and points-to-district assignment."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from pyproj import CRS
from shapely.geometry import LineString, Point, Polygon, box

from layers._validate import IssueCollector
from layers.boundaries import assign_districts, district_positions, load_districts
from layers.manifest import read_manifest

MANIFEST = '[districts]\npath = "{path}"\ncolumns = {{ id = "NUMMER", name = "Name" }}\n{extra}'


def _load(
    tmp_path: Path, frame: gpd.GeoDataFrame | None, *, path: str = "d.geojson", extra: str = ""
) -> tuple[gpd.GeoDataFrame | None, IssueCollector]:
    if frame is not None:
        frame.to_file(tmp_path / path)
    (tmp_path / "dataset.toml").write_text(MANIFEST.format(path=path, extra=extra), "utf-8")
    collector = IssueCollector()
    manifest = read_manifest(tmp_path, collector)
    return load_districts(manifest.districts, collector), collector


def _frame(ids: list, names: list, geoms: list, crs: int = 25832) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"NUMMER": ids, "Name": names}, geometry=geoms, crs=crs)


def _lines(collector: IssueCollector) -> list[str]:
    return [issue.format() for issue in collector.issues]


def test_districts_keep_file_order_and_id_spelling(tmp_path: Path) -> None:
    frame = _frame(["07", "001", "A3"], ["Süd", "Nord", "Ost"], [box(0, 0, 1, 1)] * 3)
    districts, collector = _load(tmp_path, frame)
    assert collector.issues == []
    assert districts["id"].tolist() == ["07", "001", "A3"]
    assert districts["name"].tolist() == ["Süd", "Nord", "Ost"]
    assert districts["_row"].tolist() == [1, 2, 3]
    assert CRS.from_user_input(districts.crs).to_epsg() == 25832


def test_numeric_ids_are_read_as_text(tmp_path: Path) -> None:
    frame = _frame([1100101, 1100102], ["a", "b"], [box(0, 0, 1, 1), box(1, 0, 2, 1)])
    districts, collector = _load(tmp_path, frame)
    assert collector.issues == []
    assert districts["id"].tolist() == ["1100101", "1100102"]


def test_self_intersecting_polygon_is_repaired_with_a_warning(tmp_path: Path) -> None:
    bowtie = Polygon([(0, 0), (10, 10), (10, 0), (0, 10), (0, 0)])
    assert not bowtie.is_valid
    frame = _frame(["1", "2"], ["ok", "Schleife"], [box(20, 0, 30, 10), bowtie])
    districts, collector = _load(tmp_path, frame)
    assert [i.severity for i in collector.issues] == ["warning"]
    (line,) = _lines(collector)
    assert line.startswith(
        "warning: d.geojson, row 2, column 'geometry': invalid polygon repaired with make_valid"
    )
    assert "Self-intersection" in line
    repaired = districts.geometry.iloc[1]
    assert repaired.is_valid
    assert repaired.geom_type in ("Polygon", "MultiPolygon")
    assert repaired.area == pytest.approx(50.0)


def test_points_as_districts_are_a_wrong_geometry_type(tmp_path: Path) -> None:
    frame = _frame(["1", "2"], ["a", "b"], [box(0, 0, 1, 1), Point(5, 5)])
    districts, collector = _load(tmp_path, frame)
    assert districts is None
    assert _lines(collector) == [
        "error: d.geojson, row 2, column 'geometry': "
        "wrong geometry type, expected Polygon or MultiPolygon: 'Point'"
    ]


def test_lines_as_districts_are_a_wrong_geometry_type(tmp_path: Path) -> None:
    frame = _frame(["1"], ["a"], [LineString([(0, 0), (1, 1)])])
    _, collector = _load(tmp_path, frame)
    assert "expected Polygon or MultiPolygon: 'Linestring'" in _lines(collector)[0]


def test_duplicate_ids_also_across_leading_zeros(tmp_path: Path) -> None:
    frame = _frame(
        ["01", "2", "1", "3", "3"],
        list("abcde"),
        [box(i, 0, i + 1, 1) for i in range(5)],
    )
    districts, collector = _load(tmp_path, frame)
    assert districts is None
    assert _lines(collector) == [
        "error: d.geojson, row 3, column 'NUMMER': duplicate district id '01' in rows 1, 3",
        "error: d.geojson, row 5, column 'NUMMER': duplicate district id '3' in rows 4, 5",
    ]


def test_empty_id_is_an_error_and_empty_name_a_warning(tmp_path: Path) -> None:
    frame = _frame(["1", "", "3"], ["a", "b", " "], [box(i, 0, i + 1, 1) for i in range(3)])
    districts, collector = _load(tmp_path, frame)
    assert districts is None
    assert _lines(collector) == [
        "error: d.geojson, row 2, column 'NUMMER': empty district id",
        "warning: d.geojson, row 3, column 'Name': empty district name",
    ]


def test_empty_name_alone_is_only_a_warning(tmp_path: Path) -> None:
    frame = _frame(["1", "2"], ["a", None], [box(0, 0, 1, 1), box(1, 0, 2, 1)])
    districts, collector = _load(tmp_path, frame)
    assert districts["name"].tolist() == ["a", ""]
    assert [i.severity for i in collector.issues] == ["warning"]


def test_district_without_geometry(tmp_path: Path) -> None:
    frame = _frame(["1", "2"], ["a", "b"], [box(0, 0, 1, 1), None])
    _, collector = _load(tmp_path, frame)
    assert _lines(collector) == [
        "error: d.geojson, row 2, column 'geometry': district without geometry"
    ]


def test_missing_id_column_lists_the_columns(tmp_path: Path) -> None:
    frame = gpd.GeoDataFrame({"Nr": ["1"], "Name": ["a"]}, geometry=[box(0, 0, 1, 1)], crs=25832)
    _, collector = _load(tmp_path, frame)
    assert _lines(collector) == [
        "error: d.geojson, column 'NUMMER': required column 'NUMMER' (canonical 'id') is "
        "missing; the file has: Nr, Name"
    ]


def test_districts_must_not_be_a_csv(tmp_path: Path) -> None:
    (tmp_path / "d.csv").write_text("NUMMER,Name\n1,a\n", encoding="utf-8")
    _, collector = _load(tmp_path, None, path="d.csv")
    assert _lines(collector) == [
        "error: d.csv: districts must be a polygon layer (GeoJSON, GeoPackage, Shapefile)"
    ]


def test_empty_feature_collection(tmp_path: Path) -> None:
    (tmp_path / "d.geojson").write_text(
        '{"type": "FeatureCollection", "features": []}', encoding="utf-8"
    )
    districts, collector = _load(tmp_path, None)
    assert districts is None
    assert _lines(collector) == ["error: d.geojson: the districts layer has no features"]


def test_empty_file(tmp_path: Path) -> None:
    (tmp_path / "d.geojson").write_bytes(b"")
    _, collector = _load(tmp_path, None)
    assert _lines(collector) == ["error: d.geojson: file is empty"]


def test_shapefile_without_prj_needs_crs_in_the_manifest(tmp_path: Path) -> None:
    frame = _frame(["1"], ["a"], [box(455_000, 5_425_000, 456_000, 5_426_000)])
    frame.to_file(tmp_path / "bezirke.shp")
    (tmp_path / "bezirke.prj").unlink()
    _, collector = _load(tmp_path, None, path="bezirke.shp")
    assert _lines(collector) == [
        "error: bezirke.shp: the layer has no CRS (the Shapefile has no .prj); "
        'add crs = "EPSG:<code>" to dataset.toml'
    ]
    districts, collector = _load(tmp_path, None, path="bezirke.shp", extra='crs = "EPSG:25832"\n')
    assert collector.issues == []
    assert CRS.from_user_input(districts.crs).to_epsg() == 25832


def test_geopackage_layer(tmp_path: Path) -> None:
    frame = _frame(["1"], ["a"], [box(0, 0, 1, 1)])
    frame.to_file(tmp_path / "d.gpkg", layer="stadtteile")
    frame.assign(NUMMER=["9"]).to_file(tmp_path / "d.gpkg", layer="andere")
    districts, collector = _load(tmp_path, None, path="d.gpkg", extra='layer = "stadtteile"\n')
    assert collector.issues == []
    assert districts["id"].tolist() == ["1"]


# --- assign_districts -----------------------------------------------------------------------


def test_assign_districts(grid_districts: gpd.GeoDataFrame) -> None:
    x0, y0 = grid_districts.total_bounds[:2]
    points = gpd.GeoSeries(
        [
            Point(x0 + 500, y0 + 1500),  # NW
            Point(x0 + 1500, y0 + 500),  # SE
            Point(x0 + 1000, y0 + 1000),  # the corner of all four: first in file order
            Point(x0 - 10, y0),  # outside
        ],
        crs=25832,
    )
    assert assign_districts(points, grid_districts).tolist() == ["0101", "0202", "0101", None]


def test_assign_districts_on_empty_input(grid_districts: gpd.GeoDataFrame) -> None:
    empty = gpd.GeoSeries([], crs=25832)
    assert assign_districts(empty, grid_districts).tolist() == []


def test_assign_districts_many_points_is_vectorised(grid_districts: gpd.GeoDataFrame) -> None:
    rng = np.random.default_rng(44)
    x0, y0, x1, y1 = grid_districts.total_bounds
    xy = rng.uniform([x0, y0], [x1, y1], size=(20_000, 2))
    ids = assign_districts(gpd.GeoSeries(shapely.points(xy), crs=25832), grid_districts)
    west = xy[:, 0] < x0 + 1000
    north = xy[:, 1] >= y0 + 1000
    expected = np.where(north, np.where(west, "0101", "0102"), np.where(west, "0201", "0202"))
    assert (ids == expected).all()


def test_assign_districts_with_missing_and_non_point_geometries(
    grid_districts: gpd.GeoDataFrame,
) -> None:
    x0, y0 = grid_districts.total_bounds[:2]
    points = gpd.GeoSeries([Point(x0 + 1500, y0 + 1500), None], crs=25832)
    assert assign_districts(points, grid_districts).tolist() == ["0102", None]
    # Other geometries go to the first district they touch.
    mixed = gpd.GeoSeries(
        [LineString([(x0 + 1500, y0 + 500), (x0 + 1600, y0 + 600)]), Point(x0 + 10, y0 + 10)],
        crs=25832,
    )
    assert assign_districts(mixed, grid_districts).tolist() == ["0202", "0201"]


def test_assign_districts_does_not_touch_the_input(grid_districts: gpd.GeoDataFrame) -> None:
    before = grid_districts.copy()
    points = gpd.GeoSeries([Point(455_500, 5_425_500)], crs=25832)
    assign_districts(points, grid_districts)
    assert not any(shapely.is_prepared(grid_districts.geometry.to_numpy()))
    assert grid_districts.geometry.equals(before.geometry)


def test_float_id_fields_read_as_whole_numbers(tmp_path: Path) -> None:
    """A Shapefile number field gives floats; the ids must still be '1100101', not '1100101.0'."""
    frame = _frame([1100101.0, 1100102.0], ["a", "b"], [box(0, 0, 1, 1), box(1, 0, 2, 1)])
    frame.to_file(tmp_path / "plr.shp")
    districts, collector = _load(tmp_path, None, path="plr.shp")
    assert collector.issues == []
    assert districts["id"].tolist() == ["1100101", "1100102"]


def test_null_id_in_a_geojson_is_an_empty_id(tmp_path: Path) -> None:
    frame = _frame([1, None], ["a", "b"], [box(0, 0, 1, 1), box(1, 0, 2, 1)])
    _, collector = _load(tmp_path, frame)
    assert _lines(collector) == ["error: d.geojson, row 2, column 'NUMMER': empty district id"]


# --- district_positions ---------------------------------------------------------------------


def _reference_positions(x: np.ndarray, y: np.ndarray, districts: gpd.GeoDataFrame) -> np.ndarray:
    """The same answer by a plain STRtree query: the first district (file order) each point touches."""
    tree = shapely.STRtree(districts.geometry.to_numpy())
    point_idx, district_idx = tree.query(shapely.points(x, y), predicate="intersects")
    result = np.full(len(x), -1)
    for p, d in sorted(zip(point_idx, district_idx, strict=True), reverse=True):
        result[p] = d  # sorted descending, so the smallest district index is written last
    return result


def test_district_positions_match_an_strtree_query_on_irregular_districts() -> None:
    rng = np.random.default_rng(7)
    polygons = [
        shapely.Polygon([(0, 0), (400, 50), (380, 420), (60, 300)]),
        shapely.Polygon([(400, 50), (900, 0), (950, 500), (380, 420)]),  # shares an edge
        shapely.Polygon(
            [(0, 500), (900, 500), (900, 990), (0, 990)], [[(300, 600), (600, 600), (450, 900)]]
        ),  # with a hole
        shapely.Polygon([(420, 650), (520, 650), (470, 800)]),  # an island inside the hole
    ]
    districts = gpd.GeoDataFrame({"id": list("abcd")}, geometry=polygons, crs=25832)
    xy = rng.uniform(-100, 1_100, size=(30_000, 2))
    # Points exactly on edges and vertices, and NaN coordinates.
    xy[:4] = [(400, 50), (390, 235), (0, 500), (450, 600)]
    xy[4] = np.nan
    got = district_positions(xy[:, 0], xy[:, 1], districts)
    np.testing.assert_array_equal(got, _reference_positions(xy[:, 0], xy[:, 1], districts))
    assert got[:5].tolist() == [0, 0, 2, 2, -1]


def test_district_positions_of_points_all_in_one_strip_and_of_no_points(
    grid_districts: gpd.GeoDataFrame,
) -> None:
    x0, y0 = grid_districts.total_bounds[:2]
    x = np.full(3, x0 + 250.0)  # every point has the same x: a single strip
    y = np.array([y0 + 100, y0 + 1900, y0 - 5])
    assert district_positions(x, y, grid_districts).tolist() == [2, 0, -1]
    assert district_positions(np.array([]), np.array([]), grid_districts).tolist() == []
    assert district_positions(np.array([np.nan]), np.array([1.0]), grid_districts).tolist() == [-1]
