"""CSV detection (encoding, delimiter, decimal mark), German placeholders and vector reading."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import CRS
from shapely.geometry import LineString, Point

from layers import _io
from layers._io import (
    PLACEHOLDER_REASON,
    FileFormatError,
    ParsedNumbers,
    Table,
    detect_decimal,
    detect_delimiter,
    detect_encoding,
    parse_numbers,
    read_csv_table,
    read_vector,
    read_vector_points,
)
from layers._readers import clean_text
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


# --- the pyarrow reader agrees with the csv module ------------------------------------------
#
# read_csv_table reads most files with pyarrow.csv (_records_arrow) and the rest with the csv
# module (_records_csv); parse_numbers reads plain decimal columns with a pyarrow cast
# (_plain_floats) and the rest with pandas.to_numeric; detect_decimal looks at one cell per
# distinct text and digit shape instead of every cell (compared with a copy of the cell-by-cell
# original). Each fast path must give exactly what the general one gives.


def _outcome(call: Callable[[], Table]) -> Table | tuple[str, int | None, str | None]:
    try:
        return call()
    except FileFormatError as exc:
        return str(exc), exc.row, exc.column


def _assert_same_table(fast: Table, slow: Table) -> None:
    pd.testing.assert_frame_equal(
        fast.frame, slow.frame, check_exact=True, check_index_type=True, check_column_type=True
    )
    assert fast.frame.dtypes.tolist() == slow.frame.dtypes.tolist()
    assert fast.frame.to_numpy().tolist() == slow.frame.to_numpy().tolist()
    assert fast.lines.dtype == slow.lines.dtype
    assert fast.lines.tolist() == slow.lines.tolist()
    assert fast.dialect == slow.dialect


def _read_both(
    path: Path, monkeypatch: pytest.MonkeyPatch, **kwargs: str
) -> tuple[Table | tuple, Table | tuple, bool]:
    """Read ``path`` as read_csv_table does and with the csv module only; and whether pyarrow read it."""
    used: list[bool] = []
    records_arrow = _io._records_arrow

    def spy(*args: object) -> object:
        result = records_arrow(*args)
        used.append(result is not None)
        return result

    with monkeypatch.context() as patch:
        patch.setattr(_io, "_records_arrow", spy)
        fast = _outcome(lambda: read_csv_table(path, file="t.csv", **kwargs))
    with monkeypatch.context() as patch:
        patch.setattr(_io, "_records_arrow", lambda *args: None)
        slow = _outcome(lambda: read_csv_table(path, file="t.csv", **kwargs))
    return fast, slow, any(used)


LATE_ERROR = "id;wert\n" + "".join(f"{i};{i},5\n" for i in range(3000)) + "\n  \n3000\n"

# (file content, read_csv_table arguments, read by pyarrow)
TRICKY_FILES = {
    "plain": (b"x,y\n455750.5,5422392.3\n451426.1,5425465\n", {}, True),
    "blank lines": (b"a;b\n\n1;2\n\n\n3;4\n\n", {}, True),
    "only delimiters": (b"a;b;c\n1;2;3\n;;\n4;5;6\n", {}, True),
    "more delimiters than columns": (b"a;b\n1;2\n;;;;\n3;4\n", {}, True),
    "whitespace-only lines": (b"a;b\n1;2\n   \n\t\n \t ; \n3;4\n", {}, True),
    "cells with spaces": (b"a;b\n 1 ; 2 \n  ;  \n x;\n", {}, True),
    "unicode blanks": ("a;b\n\u00a0;\u3000\n\x1c;\x1f\n\u2028;\u205f\n1;2\n".encode(), {}, True),
    "not blank": ("a;b\n\u200b;\n;\ufeff\n".encode(), {}, True),
    "CRLF": (b"a;b\r\n1;2\r\n\r\n3;4\r\n", {}, True),
    "CR": (b"a;b\r1;2\r\r3;4\r", {}, True),
    "mixed line ends": (b"a;b\r\n1;2\r3;4\n\r\r\n5;6", {}, True),
    "no trailing newline": (b"a;b\n1;2\n3;4", {}, True),
    "header only": (b"a;b\n", {}, True),
    "header without newline": (b"a;b", {}, True),
    "header and blank lines": (b"a;b\n\n;\n  \n", {}, True),
    "BOM": (b"\xef\xbb\xbfGesamt;PLR-ID\r\n3503;01100101\r\n", {}, True),
    "BOM on line 2": ("a;b\n\ufeff1;2\n".encode(), {}, False),
    "cp1252 umlauts": (
        "Bezeichnung;Breite;Länge\nBegegnungsstätte Südweststadt;49,0012;8,3911\n"
        "Pflegeheim „Grötzingen“;49,0123;8,4922\n".encode("cp1252"),
        {},
        True,
    ),
    "header stripped": (b" a ; b \n1;2\n", {}, True),
    "NA texts": (b"a,b,c\nNA,null,\nnan,None,N/A\n,,x\n", {}, True),
    "German placeholders": (
        "id;Gesamt;65undmehr\n01;–;–\n02;1.234;x\n03;…;.\n04;...;/\n05;-;—\n".encode(),
        {},
        True,
    ),
    "thousands and decimal commas": (
        b"Stadtteil;Einwohner\n01;1.234,5\n02;12.345\n03;7\n",
        {},
        True,
    ),
    "negative numbers": ("x;y\n-1,5;\u22122,5\n-0;0\n".encode(), {}, True),
    "inf and empty cells": (b"a;b\ninf;1\n;2\nnan;\n-inf;+3\n", {}, True),
    "tab": (b"a\tb\n1\t2\n", {}, True),
    "single column with delimiter": (b"id\n1\n\n 2 \n;\n", {"delimiter": ";"}, True),
    "given dialect": (b"a;b\n1,234;2\n", {"decimal": ",", "thousands": "."}, True),
    "wrong field count early": (b"a;b\n1;2;3\n4;5\n", {}, False),
    "wrong field count after blanks": (b"a;b\n1;2\n\n   \n3\n4;5\n", {}, False),
    "wrong field count late": (LATE_ERROR.encode(), {}, False),
    "repeated header": (b"id,wert,wert\n1,2,3\n", {}, False),
    "single column": (b"id\n1\n2\n", {}, False),
    "ambiguous decimal": (b"a;b\n1,234;x\n", {}, True),
    "quotes": (b'id,note\n1,"a\nb"\n2,c\n', {}, False),
    "quoted header only": (b'"a";"b"\n1;2\n', {}, True),
}


@pytest.mark.parametrize("name", TRICKY_FILES)
def test_pyarrow_reader_matches_the_csv_module(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    content, kwargs, by_pyarrow = TRICKY_FILES[name]
    path = tmp_path / "t.csv"
    path.write_bytes(content)
    fast, slow, used = _read_both(path, monkeypatch, **kwargs)
    assert used == by_pyarrow
    if isinstance(slow, Table):
        assert isinstance(fast, Table), fast
        _assert_same_table(fast, slow)
    else:
        assert fast == slow


def test_pyarrow_reader_results_spelled_out(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(b"a;b\r\n 1 ;NA\r\n\r\n;;;\r\n  ;\r\nnull;\r\n3;4")
    table = read_csv_table(path, file="t.csv")
    assert table.frame.to_numpy().tolist() == [[" 1 ", "NA"], ["null", ""], ["3", "4"]]
    assert table.lines.tolist() == [2, 6, 7]
    assert table.frame.dtypes.tolist() == [object, object]
    path.write_bytes(b"a;b\n1;2\n\n3;4;5\n")
    with pytest.raises(FileFormatError, match="row has 3 fields, the header has 2") as info:
        read_csv_table(path, file="t.csv")
    assert info.value.row == 4


def test_a_field_above_the_csv_field_limit_is_reported_as_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(b"a;b\n1;2\n3;" + b"x" * 40 + b"\n")
    limit = csv.field_size_limit(20)
    try:
        fast, slow, used = _read_both(path, monkeypatch, delimiter=";")
    finally:
        csv.field_size_limit(limit)
    assert not used
    assert fast == slow
    assert "field larger than field limit" in slow[0]


def test_python_whitespace_table_is_complete() -> None:
    expected = "".join(ch for ch in map(chr, range(sys.maxunicode + 1)) if ch.isspace())
    assert expected == _io._PY_WHITESPACE


def test_a_large_file_reads_the_same_both_ways(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    rng = np.random.default_rng(7)
    xy = rng.uniform([455_000, 5_425_000], [465_000, 5_435_000], size=(20_000, 2)).round(1)
    lines = [f"{x:.1f};{y:.1f}".replace(".", ",") for x, y in xy]
    for i in range(0, len(lines), 997):
        lines[i] = ";" if i % 2 else ""
    path = tmp_path / "t.csv"
    path.write_bytes(("Rechtswert;Hochwert\r\n" + "\r\n".join(lines)).encode("cp1252"))
    fast, slow, used = _read_both(path, monkeypatch)
    assert used
    _assert_same_table(fast, slow)
    assert fast.dialect.decimal == ","


def test_pyarrow_reader_matches_the_csv_module_on_random_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = np.random.default_rng(2024)
    cells = ["1", " 2 ", "", "3,5", "4.5", "x", "NA", "null", "–", "Länge", " ", "\t", "\x1c"]
    wide = [*cells, "\u00a0", "\u3000", "\u2028", "\u200b", "\u2212", "é"]
    path = tmp_path / "t.csv"
    by_pyarrow = 0
    for _ in range(400):
        sep = str(rng.choice([";", ",", "\t"]))
        encoding = str(rng.choice(["utf-8", "utf-8-sig", "cp1252"]))
        pool = cells if encoding == "cp1252" else wide
        width = int(rng.integers(1, 4))
        lines = [sep.join(f"c{i}" for i in range(width))]
        for _ in range(int(rng.integers(0, 12))):
            kind = rng.random()
            if kind < 0.1:
                lines.append(str(rng.choice(["", " ", "\t", " \t "])))
            elif kind < 0.15:
                lines.append(sep * int(rng.integers(0, 5)))
            else:
                n = width if kind < 0.97 else int(rng.integers(1, 5))
                lines.append(sep.join(str(c) for c in rng.choice(pool, n)))
        ends = [str(rng.choice(["\n", "\r\n", "\r"])) for _ in lines]
        text = "".join(line + end for line, end in zip(lines, ends, strict=True))
        if rng.random() < 0.3:
            text = text.rstrip("\r\n")
        path.write_bytes(text.encode(encoding))
        kwargs = {"delimiter": sep} if width == 1 or rng.random() < 0.3 else {}
        fast, slow, used = _read_both(path, monkeypatch, **kwargs)
        by_pyarrow += used
        if isinstance(slow, Table):
            assert isinstance(fast, Table), (text, fast)
            _assert_same_table(fast, slow)
        else:
            assert fast == slow, text
    assert by_pyarrow > 200


# --- numbers: the pyarrow cast agrees with pandas.to_numeric --------------------------------


def _parse_both(
    cells: pd.Series, monkeypatch: pytest.MonkeyPatch, **kwargs: str | None
) -> tuple[ParsedNumbers, ParsedNumbers, bool]:
    used: list[bool] = []
    plain_floats = _io._plain_floats

    def spy(cleaned: pd.Series) -> np.ndarray | None:
        result = plain_floats(cleaned)
        used.append(result is not None)
        return result

    with monkeypatch.context() as patch:
        patch.setattr(_io, "_plain_floats", spy)
        fast = parse_numbers(cells, **kwargs)
    with monkeypatch.context() as patch:
        patch.setattr(_io, "_plain_floats", lambda cleaned: None)
        slow = parse_numbers(cells, **kwargs)
    return fast, slow, any(used)


def _assert_same_numbers(fast: ParsedNumbers, slow: ParsedNumbers) -> None:
    # Bit for bit: the same NaNs, and 0.0 is not -0.0.
    assert fast.values.dtype == slow.values.dtype == np.float64
    assert fast.values.view(np.int64).tolist() == slow.values.view(np.int64).tolist()
    assert fast.invalid.tolist() == slow.invalid.tolist()
    assert fast.unknown.tolist() == slow.unknown.tolist()


NUMBER_COLUMNS = {
    "decimal points": (["455750.5", "5422392.3", "-8.25", "007.50", "0", "12"], {}, True),
    "integers": (["1", "22", "-3", "0"], {}, True),
    "padded": ([" 4 ", "\t5.5", "6 "], {}, True),
    "fifteen digits": (["123456789012345", "0.12345678901234", "-99999.9999999999"], {}, True),
    "sixteen digits": (["1234567890123456", "0.1"], {}, False),
    "long decimals": (["8.391122334455667788", "49.0"], {}, False),
    "negative zero": (["-0", "1"], {}, False),
    "negative zero float": (["-0.0", "1.5"], {}, False),
    "empty cells": (["1.5", "", "  ", "2"], {}, True),
    "missing values": (pd.Series(["1.5", None, "2"], dtype=object), {}, True),
    "placeholders": (["–", "-", "—", ".", "x", "X", "…", "...", "/", "", "12", "3.5"], {}, True),
    "invalid cells": (["1", "abc", "2"], {}, False),
    "inf and nan": (["inf", "-inf", "nan", "NaN", "Infinity", "1"], {}, False),
    "signs and exponents": (["+3", "1e3", ".5", "5.", "1E-2"], {}, False),
    "typographic minus": (["\u22123", "\u22120,5", "2"], {"decimal": ","}, True),
    "decimal comma": (["49,0012", "8,3911", "-1,5"], {"decimal": ","}, True),
    "thousands": (
        ["1.234,5", "12.345", "7", "1.234.567,25"],
        {"decimal": ",", "thousands": "."},
        True,
    ),
    "thousands comma": (["1,234", "2,500"], {"decimal": ".", "thousands": ","}, True),
    "decimal comma with points": (["1.5", "2,5"], {"decimal": ","}, True),
    "unicode digits": (["\u0663", "1"], {}, False),
    "all empty": (["", " "], {}, False),
    "nothing": ([], {}, False),
}


@pytest.mark.parametrize("name", NUMBER_COLUMNS)
def test_plain_float_cast_matches_to_numeric(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    cells, kwargs, by_cast = NUMBER_COLUMNS[name]
    for series in (pd.Series(cells, dtype=object), pd.Series(cells, dtype=object).astype("string")):
        fast, slow, used = _parse_both(series, monkeypatch, **kwargs)
        assert used == by_cast
        _assert_same_numbers(fast, slow)


def test_plain_float_cast_matches_to_numeric_on_random_numbers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rng = np.random.default_rng(11)
    texts = []
    for _ in range(20_000):
        whole = rng.integers(1, 16)
        fraction = rng.integers(0, 16 - whole)  # at most 15 digits in all
        digits = "".join(map(str, rng.integers(0, 10, whole + fraction)))
        text = digits[:whole] + ("." + digits[whole:] if fraction else "")
        texts.append(("-" if rng.random() < 0.3 else "") + text)
    texts = [t for t in texts if t.lstrip("-").strip("0.") != ""]  # (-0 takes the general path)
    fast, slow, used = _parse_both(pd.Series(texts, dtype=object), monkeypatch)
    assert used
    _assert_same_numbers(fast, slow)
    assert np.array_equal(fast.values, [float(t) for t in texts])


# --- decimal detection on distinct cells ----------------------------------------------------


def _detect_decimal_every_cell(frame: pd.DataFrame, file: str) -> tuple[str, str | None]:
    """detect_decimal as it was before it looked at distinct cells (for a ';' file)."""
    cells = pd.Series(frame.to_numpy().ravel()).dropna().astype(str).str.strip()
    comma_numbers = cells[cells.str.match(_io._DECIMAL_COMMA)]
    grouped = cells[cells.str.match(_io._GERMAN_GROUPED)]
    if comma_numbers.empty:
        if grouped.empty:
            return ".", None
        dotted = cells[cells.str.match(_io._DOT_DECIMAL) & ~cells.str.match(_io._GERMAN_GROUPED)]
        if dotted.empty:
            return ",", "."
        multi_group = grouped[grouped.str.count(r"\.") > 1]
        if not multi_group.empty:
            raise FileFormatError(
                f"{file}: numbers such as '{dotted.iloc[0]}' use '.' as decimal mark, numbers such "
                f"as '{multi_group.iloc[0]}' as thousands separator; add decimal = \".\" or "
                'thousands = "." to this layer in dataset.toml'
            )
        return ".", None
    ambiguous = comma_numbers.str.match(_io._AMBIGUOUS_COMMA)
    if ambiguous.all() and grouped.empty:
        example = comma_numbers.iloc[0]
        raise FileFormatError(
            f"{file}: numbers such as '{example}' could use ',' as decimal mark or as thousands "
            'separator; add decimal = "," (or thousands = ",") to this layer in dataset.toml'
        )
    return ",", ("." if not grouped.empty else None)


def _decision(detect: Callable[[], tuple[str, str | None]]) -> object:
    try:
        return detect()
    except FileFormatError as exc:
        return str(exc)


DECIMAL_FRAMES = {
    "comma numbers": {"a": ["1,234", "0,5"]},
    "three decimals": {"lat": ["49.012", "49.01234"], "lon": ["8.392", "8.39212"]},
    "grouped": {"Einwohner": ["1.234", "987"]},
    "both marks": {"a": ["2.5", "1.234.567"]},
    "first in row order": {"a": ["7", "2.5", "1.234.567"], "b": ["1.5", "9.876.543", "x"]},
    "ambiguous": {"a": ["7", "2,500"], "b": ["1,234", "x"]},
    "ambiguous, one shape": {"a": ["9,999", "1,234"], "b": ["5,678", "x"]},
    "one decimal comma settles": {"a": ["1,234", "2,500"], "b": ["x", "0,5"]},
    "repeated": {"a": ["1,5", "1,5", " 1,5 ", "2.000"], "b": ["x", "x", "1.000", None]},
    "missing": {"a": [None, "1,25", np.nan], "b": ["–", None, "3"]},
    "signs": {"a": ["-1.234", "+2.345.678"], "b": ["3.5", "-0.25"]},
    "unicode digits": {"a": ["\u0663,\u0665\u0660\u0660", "x"], "b": ["1,234", "\u0661.\u0662"]},
    "nothing numeric": {"a": ["x", "y"], "b": ["", " "]},
}


@pytest.mark.parametrize("name", DECIMAL_FRAMES)
@pytest.mark.parametrize("dtype", [object, "str"])
def test_decimal_detection_on_distinct_cells_matches_every_cell(name: str, dtype: object) -> None:
    frame = pd.DataFrame(DECIMAL_FRAMES[name], dtype=dtype)
    assert _io._distinct_cells(frame) is not None
    assert _decision(lambda: detect_decimal(frame, ";", file="f.csv")) == _decision(
        lambda: _detect_decimal_every_cell(frame, "f.csv")
    )


def test_decimal_detection_on_random_frames_matches_every_cell() -> None:
    rng = np.random.default_rng(5)
    pool = [
        "1,5", "12,25", "1,234", "9,999", "123,456", "1.234", "12.345", "1.234.567", "2.5",
        "49.01234", "1.234,5", "-3,5", "+1.000", "7", "0", "x", "–", ".", "", " 4,5 ", "1,2,3",
    ]  # fmt: skip
    outcomes = set()
    for _ in range(300):
        cells = rng.choice(pool, size=(rng.integers(1, 6), rng.integers(1, 4)))
        frame = pd.DataFrame(cells, dtype=object)
        expected = _decision(lambda: _detect_decimal_every_cell(frame, "f.csv"))  # noqa: B023
        assert _decision(lambda: detect_decimal(frame, ";", file="f.csv")) == expected  # noqa: B023
        outcomes.add(expected if isinstance(expected, tuple) else expected.split(":")[1][:20])
    assert len(outcomes) >= 5  # every branch, errors included


def test_decimal_detection_names_the_first_cell_in_row_order() -> None:
    frame = pd.DataFrame({"a": ["7", "2,500"], "b": ["1,234", "x"]}, dtype=object)
    with pytest.raises(FileFormatError, match="numbers such as '1,234'"):
        detect_decimal(frame, ";", file="f.csv")


def test_decimal_detection_reads_other_values_cell_by_cell() -> None:
    frame = pd.DataFrame({"a": [1, 2], "b": ["1,5", "x"]}, dtype=object)
    assert _io._distinct_cells(frame) is None
    assert detect_decimal(frame, ";", file="f.csv") == (",", None)


@pytest.mark.parametrize("decimal", [".", ","])
def test_blank_cells_are_the_nan_cells_that_are_neither_unknown_nor_invalid(decimal: str) -> None:
    # _csv_points tells a blank coordinate from the parse instead of stripping the cells again.
    cells = ["", " ", "\t", "\u00a0", "\u3000", "\x1c", "–", "-", ".", "x", "…", "abc", "inf"]
    cells += ["nan", "NaN", "1", " 2,5 ", "3.5", "\u22124", "-0", "1e3", "+1", "\u200b"]
    for series in (pd.Series(cells, dtype=object), pd.Series([*cells, None], dtype=object)):
        parsed = parse_numbers(series, decimal=decimal)
        blank = np.isnan(parsed.values) & ~parsed.unknown & ~parsed.invalid
        assert blank.tolist() == clean_text(series).eq("").tolist()
