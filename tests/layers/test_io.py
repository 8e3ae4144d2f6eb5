"""CSV detection (encoding, delimiter, decimal mark), German placeholders and vector reading."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import CRS
from shapely.geometry import LineString, Point

from layers._io import (
    PLACEHOLDER_REASON,
    FileFormatError,
    detect_decimal,
    detect_delimiter,
    detect_encoding,
    parse_numbers,
    read_csv_table,
    read_vector,
    read_vector_points,
)
from layers.errors import CrsError

# --- encoding -------------------------------------------------------------------------------


def test_detect_encoding_bom_utf8_and_cp1252() -> None:
    text = "Stadtteil;Einwohner\nSüdweststadt;1\n"
    assert detect_encoding(b"\xef\xbb\xbf" + text.encode("utf-8")) == "utf-8-sig"
    assert detect_encoding(text.encode("utf-8")) == "utf-8"
    assert detect_encoding(text.encode("cp1252")) == "cp1252"
    assert detect_encoding(b"id,value\n1,2\n") == "utf-8"


def test_detect_encoding_accepts_a_multibyte_character_cut_at_the_end_of_a_sample() -> None:
    sample = ("Grötzingen;1\n" * 10).encode("utf-8") + "ö".encode()[:1]
    assert detect_encoding(sample) == "utf-8"


def test_cp1252_csv_with_semicolons_decimal_commas_and_umlauts(tmp_path: Path) -> None:
    path = tmp_path / "einrichtungen.csv"
    path.write_bytes(
        "Bezeichnung;Art;Breite;Länge\n"
        "Begegnungsstätte Südweststadt;Begegnung;49,0012;8,3911\n"
        "Pflegeheim „Grötzingen“;Pflege;49,0123;8,4922\n".encode("cp1252")
    )
    table = read_csv_table(path, file="einrichtungen.csv")
    assert table.dialect.encoding == "cp1252"
    assert table.dialect.delimiter == ";"
    assert table.dialect.decimal == ","
    assert list(table.frame.columns) == ["Bezeichnung", "Art", "Breite", "Länge"]
    assert table.frame["Bezeichnung"].tolist() == [
        "Begegnungsstätte Südweststadt",
        "Pflegeheim „Grötzingen“",
    ]
    parsed = parse_numbers(table.frame["Breite"], decimal=",")
    assert parsed.values.tolist() == [49.0012, 49.0123]
    assert table.lines.tolist() == [2, 3]


def test_utf8_bom_is_not_part_of_the_first_header(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes("\ufeffGesamt;PLR-ID\r\n3503;01100101\r\n".encode())
    table = read_csv_table(path, file="bom.csv")
    assert table.dialect.encoding == "utf-8-sig"
    assert list(table.frame.columns) == ["Gesamt", "PLR-ID"]
    assert table.frame.iloc[0].tolist() == ["3503", "01100101"]


def test_encoding_from_the_manifest_wins_and_a_wrong_one_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "latin.csv"
    path.write_bytes("name;wert\nMühlburg;1\n".encode("cp1252"))
    assert read_csv_table(path, file="latin.csv", encoding="latin-1").frame["name"][0] == "Mühlburg"
    with pytest.raises(FileFormatError, match=r"latin\.csv: cannot decode as utf-8.*encoding ="):
        read_csv_table(path, file="latin.csv", encoding="utf-8")


# --- delimiter ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a;b;c\n1;2,5;3\n4;5;6\n", ";"),
        ("a,b,c\n1,2,3\n", ","),
        ("a\tb\n1\t2\n", "\t"),
        ('name,info\n"Treff; Süd",x\n', ","),
    ],
)
def test_detect_delimiter(text: str, expected: str) -> None:
    assert detect_delimiter(text) == expected


def test_single_column_file_asks_for_the_delimiter(tmp_path: Path) -> None:
    path = tmp_path / "one.csv"
    path.write_text("id\n1\n2\n", encoding="utf-8")
    with pytest.raises(FileFormatError, match="delimiter could not be detected") as info:
        read_csv_table(path, file="one.csv")
    assert info.value.row == 1


# --- decimal mark and thousands -------------------------------------------------------------


def test_thousands_dot_and_decimal_comma_are_detected(tmp_path: Path) -> None:
    path = tmp_path / "einwohner.csv"
    path.write_text("Stadtteil;Einwohner\n01;1.234,5\n02;12.345\n03;7\n", encoding="utf-8")
    table = read_csv_table(path, file="einwohner.csv")
    assert (table.dialect.decimal, table.dialect.thousands) == (",", ".")
    parsed = parse_numbers(table.frame["Einwohner"], decimal=",", thousands=".")
    assert parsed.values.tolist() == [1234.5, 12345.0, 7.0]


def test_ambiguous_decimal_file_asks_for_the_key(tmp_path: Path) -> None:
    path = tmp_path / "amb.csv"
    path.write_text("Stadtteil;Wert\n01;1,234\n02;2,500\n", encoding="utf-8")
    with pytest.raises(FileFormatError, match=r"'1,234'.*add decimal = \",\""):
        read_csv_table(path, file="amb.csv")
    # With the key the file reads, and the numbers follow it.
    table = read_csv_table(path, file="amb.csv", decimal=",")
    assert parse_numbers(table.frame["Wert"], decimal=",").values.tolist() == [1.234, 2.5]
    table = read_csv_table(path, file="amb.csv", decimal=".", thousands=",")
    parsed = parse_numbers(table.frame["Wert"], decimal=".", thousands=",")
    assert parsed.values.tolist() == [1234.0, 2500.0]


def test_one_unambiguous_decimal_comma_settles_the_file() -> None:
    frame = pd.DataFrame({"a": ["1,234", "0,5"]})
    assert detect_decimal(frame, ";", file="f.csv") == (",", None)


def test_semicolon_file_with_decimal_points_keeps_three_decimal_numbers() -> None:
    # '49.012' would be 49012 if the dot were a thousands separator; '8.39212' shows it is not.
    frame = pd.DataFrame({"lat": ["49.012", "49.01234"], "lon": ["8.392", "8.39212"]})
    assert detect_decimal(frame, ";", file="f.csv") == (".", None)


def test_semicolon_file_with_only_grouped_numbers_reads_german_thousands() -> None:
    frame = pd.DataFrame({"Einwohner": ["1.234", "987"]})
    assert detect_decimal(frame, ";", file="f.csv") == (",", ".")


def test_decimal_points_and_thousands_dots_in_one_file_ask_for_the_key() -> None:
    frame = pd.DataFrame({"a": ["2.5", "1.234.567"]})
    with pytest.raises(FileFormatError, match=r"'2\.5' use '\.' as decimal mark.*'1\.234\.567'"):
        detect_decimal(frame, ";", file="f.csv")


def test_comma_delimited_file_uses_decimal_point() -> None:
    frame = pd.DataFrame({"a": ["1.5", "2"]})
    assert detect_decimal(frame, ",", file="f.csv") == (".", None)


# --- placeholders and numbers ---------------------------------------------------------------


def test_german_placeholders() -> None:
    cells = pd.Series(["–", "-", ".", "x", "X", "…", "...", "", "12", "abc", "inf", "\u22123"])
    parsed = parse_numbers(cells)
    values = parsed.values
    assert values[:2].tolist() == [0.0, 0.0]
    assert np.isnan(values[2:8]).all()
    assert values[8] == 12.0
    assert values[11] == -3.0
    assert parsed.unknown.tolist() == [False, False, *[True] * 5, False, False, False, False, False]
    # Empty cells are missing but neither unknown placeholders nor invalid.
    assert parsed.invalid.tolist() == [*[False] * 9, True, True, False]
    assert "Platzhalter" in PLACEHOLDER_REASON


def test_placeholders_inside_a_real_file(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text("id;Gesamt;65undmehr\n01;–;–\n02;1.234;x\n", encoding="utf-8")
    table = read_csv_table(path, file="p.csv")
    parsed = parse_numbers(
        table.frame["Gesamt"], decimal=table.dialect.decimal, thousands=table.dialect.thousands
    )
    assert parsed.values.tolist() == [0.0, 1234.0]
    assert np.isnan(parse_numbers(table.frame["65undmehr"]).values[1])


# --- structure ------------------------------------------------------------------------------


@pytest.mark.parametrize("content", [b"", b"  \n\n", b"\xef\xbb\xbf"])
def test_empty_file(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(content)
    with pytest.raises(FileFormatError, match=r"empty\.csv: file is empty"):
        read_csv_table(path, file="empty.csv")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FileFormatError, match="cannot read file"):
        read_csv_table(tmp_path / "nope.csv", file="nope.csv")


def test_rows_keep_their_physical_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "lines.csv"
    path.write_text('id,note\n1,a\n\n2,"two\nlines"\n3,c\n', encoding="utf-8")
    table = read_csv_table(path, file="lines.csv")
    assert table.frame["id"].tolist() == ["1", "2", "3"]
    assert table.lines.tolist() == [2, 4, 6]


def test_a_row_with_too_many_fields_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("id;wert\n1;2\n\n3;4;5\n", encoding="utf-8")
    with pytest.raises(FileFormatError, match="row has 3 fields, the header has 2") as info:
        read_csv_table(path, file="bad.csv")
    assert info.value.row == 4


def test_repeated_header_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "dup.csv"
    path.write_text("id,wert,wert\n1,2,3\n", encoding="utf-8")
    with pytest.raises(FileFormatError, match=r"repeats column\(s\) \['wert'\]"):
        read_csv_table(path, file="dup.csv")


# --- vector files ---------------------------------------------------------------------------


def _legacy_geojson(path: Path, epsg: int, coords: tuple[float, float]) -> None:
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "crs": {"type": "name", "properties": {"name": f"urn:ogc:def:crs:EPSG::{epsg}"}},
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"name": "Rotes Rathaus"},
                        "geometry": {"type": "Point", "coordinates": list(coords)},
                    }
                ],
            }
        ),
        encoding="utf-8",
    )


def test_legacy_geojson_crs_member_is_honoured(tmp_path: Path) -> None:
    path = tmp_path / "berlin.geojson"
    # Rotes Rathaus, Berlin, in EPSG:25833 (ETRS89 / UTM 33N).
    _legacy_geojson(path, 25833, (392_152.0, 5_820_135.0))
    frame = read_vector(path, file="berlin.geojson")
    assert CRS.from_user_input(frame.crs).to_epsg() == 25833
    assert frame.geometry.iloc[0].equals(Point(392_152.0, 5_820_135.0))
    lonlat = frame.to_crs(4326).geometry.iloc[0]
    assert lonlat.x == pytest.approx(13.409, abs=0.01)
    assert lonlat.y == pytest.approx(52.518, abs=0.01)


def test_manifest_crs_overrides_the_file(tmp_path: Path) -> None:
    path = tmp_path / "p.geojson"
    _legacy_geojson(path, 25833, (392_152.0, 5_820_135.0))
    frame = read_vector(path, file="p.geojson", crs="EPSG:25832")
    assert CRS.from_user_input(frame.crs).to_epsg() == 25832


def test_plain_geojson_is_wgs84(tmp_path: Path) -> None:
    path = tmp_path / "wgs.geojson"
    gpd.GeoDataFrame({"name": ["a"]}, geometry=[Point(8.4, 49.0)], crs=4326).to_file(path)
    crs = CRS.from_user_input(read_vector(path, file="wgs.geojson").crs)
    # GDAL reports RFC 7946 GeoJSON as OGC:CRS84 (WGS84 in lon/lat order).
    assert crs == CRS("OGC:CRS84")


def test_shapefile_without_prj_needs_a_crs(tmp_path: Path) -> None:
    path = tmp_path / "bezirke.shp"
    gpd.GeoDataFrame({"id": ["1"]}, geometry=[Point(455_000, 5_425_000)], crs=25832).to_file(path)
    path.with_suffix(".prj").unlink()
    with pytest.raises(
        CrsError, match=r"bezirke\.shp: the layer has no CRS \(the Shapefile has no \.prj\)"
    ):
        read_vector(path, file="bezirke.shp")
    frame = read_vector(path, file="bezirke.shp", crs="EPSG:25832")
    assert CRS.from_user_input(frame.crs).to_epsg() == 25832


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"", "file is empty"), (b"{not json", "cannot read as a vector layer")],
)
def test_unreadable_vector_file(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "broken.geojson"
    path.write_bytes(content)
    with pytest.raises(FileFormatError, match=message):
        read_vector(path, file="broken.geojson")


def test_missing_vector_file(tmp_path: Path) -> None:
    with pytest.raises(FileFormatError, match="file not found"):
        read_vector(tmp_path / "none.gpkg", file="none.gpkg")


# --- point layers as coordinates ------------------------------------------------------------


def _write_points(path: Path, geometries: list, crs: int = 25832) -> None:
    gpd.GeoDataFrame(
        {"name": [f"p{i}" for i in range(len(geometries))]}, geometry=geometries, crs=crs
    ).to_file(path, engine="pyogrio")


@pytest.mark.parametrize("suffix", [".gpkg", ".geojson"])
def test_read_vector_points_gives_coordinates_without_geometry_objects(
    tmp_path: Path, suffix: str
) -> None:
    path = tmp_path / f"points{suffix}"
    _write_points(
        path,
        [Point(455_001.5, 5_425_002.25), None, Point(455_010.0, 5_425_020.0)],
    )
    points = read_vector_points(path, file=path.name)
    assert points.geometries is None
    assert points.crs == CRS.from_epsg(25832)
    assert points.frame["name"].tolist() == ["p0", "p1", "p2"]
    np.testing.assert_array_equal(points.xy[0], [455_001.5, 5_425_002.25])
    assert np.isnan(points.xy[1]).all()  # no geometry: NaN, kept in place
    np.testing.assert_array_equal(points.xy[2], [455_010.0, 5_425_020.0])


def test_read_vector_points_drops_z_and_unwraps_single_multipoints(tmp_path: Path) -> None:
    path = tmp_path / "points.gpkg"
    _write_points(
        path,
        [
            shapely.from_wkt("POINT Z (455001 5425002 118)"),
            shapely.from_wkt("MULTIPOINT ((455003 5425004))"),
        ],
    )
    points = read_vector_points(path, file="points.gpkg")
    np.testing.assert_array_equal(points.xy, [[455_001, 5_425_002], [455_003, 5_425_004]])


def test_read_vector_points_hands_back_other_geometry_types_for_the_message(
    tmp_path: Path,
) -> None:
    path = tmp_path / "mixed.geojson"
    _write_points(path, [Point(8.4, 49.0), LineString([(8.4, 49.0), (8.5, 49.1)])], crs=4326)
    points = read_vector_points(path, file="mixed.geojson")
    assert points.xy is None
    assert shapely.get_type_id(points.geometries).tolist() == [0, 1]


def test_read_vector_points_of_an_empty_layer(tmp_path: Path) -> None:
    path = tmp_path / "empty.geojson"
    path.write_text('{"type": "FeatureCollection", "features": []}', encoding="utf-8")
    points = read_vector_points(path, file="empty.geojson")
    assert points.xy.shape == (0, 2)


def test_read_vector_points_rejects_projected_numbers_in_a_degree_crs(tmp_path: Path) -> None:
    path = tmp_path / "metres.geojson"
    _write_points(path, [Point(455_001, 5_425_002)], crs=4326)
    with pytest.raises(CrsError, match="outside the longitude/latitude range"):
        read_vector_points(path, file="metres.geojson")


def test_read_vector_points_agrees_with_read_vector(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    xy = rng.uniform([455_000, 5_425_000], [465_000, 5_435_000], size=(5_000, 2)).round(2)
    path = tmp_path / "many.gpkg"
    _write_points(path, list(shapely.points(xy)))
    frame = read_vector(path, file="many.gpkg")
    points = read_vector_points(path, file="many.gpkg")
    np.testing.assert_array_equal(points.xy, shapely.get_coordinates(frame.geometry.to_numpy()))
    assert points.frame["name"].tolist() == frame["name"].tolist()
