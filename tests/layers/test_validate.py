"""Validation issues: one-line format, the collector, row lists and 'did you mean' hints."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from layers._validate import (
    Issue,
    IssueCollector,
    did_you_mean,
    district_id_keys,
    normalise_district_id,
    rows_text,
    valid_list,
)


def test_issue_format() -> None:
    assert Issue("error", "p.csv", "negative value", 12, "value").format() == (
        "error: p.csv, row 12, column 'value': negative value"
    )
    assert (
        Issue("warning", "d.geojson", "empty", None, None).format() == "warning: d.geojson: empty"
    )
    assert Issue("error", "", "no districts").format() == "error: dataset.toml: no districts"


def test_collector() -> None:
    collector = IssueCollector()
    collector.warning("a.csv", "w")
    assert not collector.has_errors
    start = len(collector.issues)
    collector.error("b.csv", "e", row=3, column="x")
    assert collector.has_errors
    assert collector.errors_since(start) and not collector.errors_since(len(collector.issues))
    assert collector.issues[-1] == Issue("error", "b.csv", "e", 3, "x")


def test_rows_text() -> None:
    assert rows_text([2, 5]) == "2, 5"
    assert rows_text(list(range(2, 15))) == "2, 3, 4, 5, 6, 7, 8, 9, 10, 11 … and 3 more"


def test_did_you_mean() -> None:
    assert did_you_mean("Südstdt", ["Südstadt", "Oststadt", "Weststadt"]) == (
        " (did you mean 'Südstadt'?)"
    )
    assert did_you_mean("DURLACH", ["Durlach", "Daxlanden"]) == " (did you mean 'Durlach'?)"
    assert did_you_mean("xyz", ["Durlach"]) == ""


def test_valid_list() -> None:
    assert valid_list(["a", "b"]) == "a, b"
    assert valid_list(range(40), limit=3) == "0, 1, 2, … (40 in all)"


@pytest.mark.parametrize(
    ("value", "key"),
    [
        ("08", "8"),
        ("8", "8"),
        (8, "8"),
        ("8.0", "8"),
        (8.0, "8"),
        ("08.00", "8"),
        (" 12 ", "12"),
        ("0", "0"),
        ("000", "0"),
        ("8.5", "8.5"),
        ("A1", "A1"),
        ("01-2", "01-2"),
    ],
)
def test_one_district_id_rule(value, key) -> None:
    assert normalise_district_id(value) == key
    assert district_id_keys(pd.Series([value], dtype=object)).tolist() == [key]


def test_district_id_keys_keep_missing_ids_missing() -> None:
    keys = district_id_keys(pd.Series(["08", None, "x"], dtype=object))
    assert keys.tolist() == ["8", None, "x"]


def test_every_matcher_uses_the_same_rule() -> None:
    """Spreadsheet ids ("8.0", "08") join the districts file's "8" in areas, coverage, profile."""
    from layers.areas import match_district_ids
    from layers.coverage import area_index
    from layers.profile import resolve_area

    districts = gpd.GeoDataFrame(
        {"id": ["8", "9"], "name": ["Acht", "Neun"]},
        geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)],
        crs="EPSG:25832",
    )
    ids, unknown = match_district_ids(pd.Series(["8.0", "09", "7"]), districts)
    assert ids[:2].tolist() == ["8", "9"] and unknown.tolist() == [False, False, True]
    mapping = pd.DataFrame(
        {"district_id": ["8.0", "09"], "area_id": ["A", "A"], "area_name": ["Nord", "Nord"]}
    )
    index = area_index(pd.Series(["8", "9", "10", None], dtype=object), mapping)
    assert index.codes.tolist() == [0, 0, -1, -1]
    areas = pd.DataFrame({"district_id": ["8"], "area_id": ["08"], "area_name": ["Acht"]})
    assert resolve_area(areas, "8.0", level="district") == "08"
