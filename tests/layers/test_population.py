"""Population tables: long and wide files, fixed year/group, id matching, placeholders, checks."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from layers._io import PLACEHOLDER_REASON
from layers.dataset import load_dataset, validate_dataset
from layers.errors import CatalogueError, MissingDataError
from layers.population import (
    EMPTY_REASON,
    check_group_year,
    district_population,
    groups_of,
    population_table,
    years_of,
)

HEAD = """
[metadata]
name = "Test"
metric_crs = "EPSG:25832"

[districts]
path = "districts.geojson"
"""


@pytest.fixture
def make(tmp_path, write_dataset, grid_districts):
    """``make(population_tables, files, districts=grid)``: a grid dataset with these population files."""

    def _make(tables: str, files: dict, districts: gpd.GeoDataFrame = grid_districts) -> Path:
        return write_dataset(
            tmp_path / "ds", HEAD + tables, {"districts.geojson": districts, **files}
        )

    return _make


def _lines(path: Path, severity: str | None = None) -> list[str]:
    return [i.format() for i in validate_dataset(path) if severity in (None, i.severity)]


def _values(dataset, group: str = "total", year: int | None = None) -> dict[str, float]:
    return population_table(dataset, group=group, year=year).to_dict()


def test_long_file(make, population_csv: str) -> None:
    dataset = load_dataset(make('[[population]]\npath = "p.csv"\n', {"p.csv": population_csv}))
    assert _values(dataset, year=2020) == {"0101": 100, "0102": 200, "0201": 300, "0202": 400}
    # The default year is the group's latest.
    assert _values(dataset) == {"0101": 150, "0102": 250, "0201": 300, "0202": 400}
    assert _values(dataset, "65_plus") == {"0101": 10, "0102": 20, "0201": 30, "0202": 40}
    assert population_table(dataset).attrs == {"year": 2021, "group": "total"}
    assert dataset.group_ids == ["total", "65_plus"]
    assert list(dataset.population.columns) == [
        "district_id",
        "year",
        "group",
        "value",
        "missing_reason",
    ]
    assert dataset.population["year"].dtype == int


def test_wide_file_with_fixed_year_cp1252_semicolons(make) -> None:
    text = "Stadtteil;Name;Einwohner;Ab65;Anteil\n0101;Nordwest;1.234;100;8,1\n0102;Nordost;2;0;0,0\n0201;Südwest;3;1;33,3\n0202;Südost;4;2;50,0\n"
    path = make(
        '[[population]]\npath = "ew.csv"\nyear = 2021\ncolumns = { district = "Stadtteil" }\n'
        'groups = { total = "Einwohner", 65_plus = "Ab65" }\n',
        {"ew.csv": text.encode("cp1252")},
    )
    dataset = load_dataset(path)
    assert _values(dataset) == {"0101": 1234, "0102": 2, "0201": 3, "0202": 4}
    assert _values(dataset, "65_plus") == {"0101": 100, "0102": 0, "0201": 1, "0202": 2}
    assert years_of(dataset.population, "total") == [2021]


def test_fixed_group(make) -> None:
    path = make(
        '[[population]]\npath = "total.csv"\ngroup = "total"\n'
        '[[population]]\npath = "kinder.csv"\ngroup = "under_3"\nyear = 2016\n',
        {
            "total.csv": "district,year,value\n0101,2016,1\n0102,2016,2\n0201,2016,3\n0202,2016,4\n",
            "kinder.csv": "district,value\n0101,5\n0102,6\n0201,7\n0202,8\n",
        },
    )
    dataset = load_dataset(path)
    assert _values(dataset, "under_3") == {"0101": 5, "0102": 6, "0201": 7, "0202": 8}
    assert groups_of(dataset.population) == ["total", "under_3"]


def test_ids_as_numbers_join_zero_padded_ids_and_keep_the_districts_spelling(
    make, grid_districts: gpd.GeoDataFrame
) -> None:
    districts = grid_districts.assign(id=["01100101", "01100102", "1100103", "1100104"])
    text = "id,inhabitants\n1100101,10\n1100102,20\n01100103,30\n001100104,40\n"
    path = make(
        '[[population]]\npath = "p.csv"\nyear = 2021\ngroups = { total = "inhabitants" }\n'
        'columns = { district = "id" }\n',
        {"p.csv": text},
        districts=districts,
    )
    dataset = load_dataset(path)
    assert dataset.districts["id"].tolist() == ["01100101", "01100102", "1100103", "1100104"]
    assert _values(dataset) == {"01100101": 10, "01100102": 20, "1100103": 30, "1100104": 40}
    assert set(dataset.population["district_id"]) == {"01100101", "01100102", "1100103", "1100104"}


def test_unknown_district_with_did_you_mean(make) -> None:
    text = "district,year,group,value\n0101,2021,total,1\n0102,2021,total,2\n0201,2021,total,3\n0203,2021,total,4\n9999,2021,total,5\n0203,2020,total,4\n"
    path = make('[[population]]\npath = "p.csv"\n', {"p.csv": text})
    assert _lines(path) == [
        "error: p.csv, row 5, column 'district': unknown district '0203' "
        "(did you mean '0202' or '0201'?) in rows 5, 7",
        "error: p.csv, row 6, column 'district': unknown district '9999' in rows 6",
    ]


def test_district_names_in_an_id_column_hint_at_district_key(make) -> None:
    text = "district,year,group,value\nnordwest,2021,total,1\n"
    path = make('[[population]]\npath = "p.csv"\n', {"p.csv": text})
    (line, *_) = _lines(path)
    assert line == (
        "error: p.csv, row 2, column 'district': unknown district 'nordwest' "
        '(this is a district name; set district_key = "name" for this table) in rows 2'
    )
    path = make('[[population]]\npath = "p.csv"\n', {"p.csv": text.replace("nordwest", "Nordwst")})
    assert (
        "unknown district 'Nordwst' (did you mean 'Nordwest' or 'Nordost'?) in rows 2"
        in _lines(path)[0]
    )


def test_district_key_name(make) -> None:
    text = "Stadtteil,Jahr,Einwohner\nNordwest,2021,1\nnordost,2021,2\n Südwest ,2021,3\nSüdost,2021,4\n"
    table = (
        '[[population]]\npath = "p.csv"\ndistrict_key = "name"\n'
        'columns = { district = "Stadtteil", year = "Jahr" }\ngroups = { total = "Einwohner" }\n'
    )
    dataset = load_dataset(make(table, {"p.csv": text}))
    assert _values(dataset) == {"0101": 1, "0102": 2, "0201": 3, "0202": 4}
    bad = make(table, {"p.csv": text.replace("Südost", "Suedost")})
    assert _lines(bad) == [
        "error: p.csv, row 5, column 'Stadtteil': unknown district 'Suedost' "
        "(did you mean 'Südost'?) in rows 5"
    ]


def test_district_key_name_with_a_repeated_name_is_an_error(
    make, grid_districts: gpd.GeoDataFrame
) -> None:
    """Berlin has two planning areas named 'Schloßstraße': a name cannot tell them apart."""
    districts = grid_districts.assign(name=["Schloßstraße", "Nord", "Süd", "Schloßstraße"])
    text = "name,value\nSchloßstraße,1\nNord,2\nSüd,3\n"
    path = make(
        '[[population]]\npath = "p.csv"\ndistrict_key = "name"\nyear = 2021\ngroup = "total"\n'
        'columns = { district = "name" }\n',
        {"p.csv": text},
        districts=districts,
    )
    assert _lines(path) == [
        "error: p.csv, row 2, column 'name': district name 'Schloßstraße' is not unique "
        '(districts 0101, 0202) in rows 2; join this table on the ids (district_key = "id")'
    ]


def test_districts_without_a_total_row_are_a_warning(make) -> None:
    text = "district,year,group,value\n0101,2020,total,1\n0102,2020,total,2\n0101,2021,total,1\n0102,2021,total,2\n0201,2021,total,3\n0202,2021,total,4\n"
    path = make('[[population]]\npath = "p.csv"\n', {"p.csv": text})
    assert _lines(path) == [
        "warning: dataset.toml: no total population for 2020 in 2 district(s): 0201, 0202; "
        "their population is missing for that year"
    ]
    table = population_table(load_dataset(path), year=2020)
    assert table.isna().tolist() == [False, False, True, True]


def test_district_key_must_be_id_or_name(make, population_csv: str) -> None:
    path = make(
        '[[population]]\npath = "p.csv"\ndistrict_key = "nummer"\n', {"p.csv": population_csv}
    )
    assert _lines(path) == [
        'error: dataset.toml: [population] p.csv: district_key must be "id" or "name", '
        "not 'nummer'"
    ]


def test_placeholders_zero_and_unknown_with_reason(make) -> None:
    text = "\ufeffPLR;Gesamt;65undmehr\r\n0101;–;–\r\n0102;12;x\r\n0201;.;…\r\n0202;-;\r\n"
    path = make(
        '[[population]]\npath = "p.csv"\nyear = 2022\ncolumns = { district = "PLR" }\n'
        'groups = { total = "Gesamt", 65_plus = "65undmehr" }\n',
        {"p.csv": text.encode("utf-8")},
    )
    dataset = load_dataset(path)
    pop = dataset.population.set_index(["group", "district_id"])
    assert pop.loc[("total", "0101"), "value"] == 0.0
    assert pop.loc[("total", "0202"), "value"] == 0.0
    assert np.isnan(pop.loc[("total", "0201"), "value"])
    assert pop.loc[("total", "0201"), "missing_reason"] == PLACEHOLDER_REASON
    assert np.isnan(pop.loc[("65_plus", "0102"), "value"])
    assert pop.loc[("65_plus", "0102"), "missing_reason"] == PLACEHOLDER_REASON
    assert pop.loc[("65_plus", "0202"), "missing_reason"] == EMPTY_REASON
    assert pop.loc[("total", "0102"), "missing_reason"] == ""
    series = population_table(dataset)
    assert series["0102"] == 12 and np.isnan(series["0201"])


def test_missing_reason_from_the_manifest(make) -> None:
    text = "district,value\n0101,1\n0102,\n0201,3\n0202,4\n"
    path = make(
        '[[population]]\npath = "p.csv"\nyear = 2020\ngroup = "total"\n'
        'missing_reason = "Geheimhaltung"\n',
        {"p.csv": text},
    )
    pop = load_dataset(path).population
    assert pop.loc[pop["district_id"] == "0102", "missing_reason"].tolist() == ["Geheimhaltung"]


def test_negative_and_non_numeric_values(make) -> None:
    text = "district,year,group,value\n0101,2021,total,-5\n0102,2021,total,zwölf\n0201,2021,total,3\n0202,2021,total,4\n"
    path = make('[[population]]\npath = "p.csv"\n', {"p.csv": text})
    assert _lines(path) == [
        "error: p.csv, row 3, column 'value': not a number: 'zwölf'",
        "error: p.csv, row 2, column 'value': negative value: -5.0",
    ]


def test_year_must_be_a_whole_number_and_present(make) -> None:
    text = "district,year,group,value\n0101,2021.5,total,1\n0102,,total,2\n0201,zwanzig,total,3\n"
    path = make('[[population]]\npath = "p.csv"\n', {"p.csv": text})
    assert _lines(path) == [
        "error: p.csv, row 4, column 'year': not a year: 'zwanzig'",
        "error: p.csv, row 2, column 'year': year is not a whole number: 2021.5",
        "error: p.csv, row 3, column 'year': year is missing",
    ]


def test_fixed_year_must_be_an_integer(make, population_csv: str) -> None:
    path = make('[[population]]\npath = "p.csv"\nyear = "2021"\n', {"p.csv": population_csv})
    assert _lines(path) == ["error: dataset.toml: [population] p.csv: year must be an integer"]


def test_duplicate_values_within_and_across_files(make, population_csv: str) -> None:
    path = make(
        '[[population]]\npath = "p.csv"\n[[population]]\npath = "q.csv"\n',
        {"p.csv": population_csv, "q.csv": "district,year,group,value\n101,2021,total,999\n"},
    )
    assert _lines(path) == [
        "error: q.csv, row 2: district 0101 already has a value for total 2021",
    ]


def test_total_group_is_required(make) -> None:
    path = make(
        '[[population]]\npath = "p.csv"\nyear = 2021\ngroups = { 65_plus = "Ab65" }\n',
        {"p.csv": "district,Ab65\n0101,1\n"},
    )
    assert _lines(path) == [
        "error: dataset.toml: population group 'total' is required; the files give: 65_plus; "
        'map a column to it with groups = { total = "…" }'
    ]


def test_population_is_required(make) -> None:
    assert _lines(make("", {})) == [
        "error: dataset.toml: no [[population]] table: population is required"
    ]


def test_value_column_named_in_groups_is_missing(make) -> None:
    path = make(
        '[[population]]\npath = "p.csv"\nyear = 2021\ngroups = { total = "Einwohner" }\n',
        {"p.csv": "district,EW\n0101,1\n"},
    )
    assert _lines(path) == [
        "error: p.csv, column 'Einwohner': value column 'Einwohner' named in groups is missing"
    ]


def test_missing_columns_of_a_long_file(make) -> None:
    path = make('[[population]]\npath = "p.csv"\n', {"p.csv": "district,wert\n0101,1\n"})
    lines = _lines(path)
    assert [line.split(":")[1].strip() for line in lines] == [
        "p.csv, column 'year'",
        "p.csv, column 'value'",
        "p.csv, column 'group'",
    ]


def test_header_only_and_empty_files(make) -> None:
    path = make(
        '[[population]]\npath = "p.csv"\n[[population]]\npath = "q.csv"\n',
        {"p.csv": "district,year,group,value\n", "q.csv": ""},
    )
    assert _lines(path) == [
        "error: p.csv: the population file has no rows",
        "error: q.csv: file is empty",
    ]


def test_ambiguous_decimal_file_asks_for_the_key(make) -> None:
    text = "district;year;group;value\n0101;2021;total;1,500\n0102;2021;total;2,250\n"
    path = make('[[population]]\npath = "p.csv"\n', {"p.csv": text})
    (line,) = _lines(path)
    assert 'add decimal = "," (or thousands = ",")' in line
    ok = make('[[population]]\npath = "p.csv"\nthousands = ","\ndecimal = "."\n', {"p.csv": text})
    assert _lines(ok, "error") == []


# --- look-ups -------------------------------------------------------------------------------


@pytest.fixture
def long_population(population_csv: str) -> pd.DataFrame:
    """The conftest table in the loaded form (``district_id``, ``year``, ``group``, ``value``)."""
    from io import StringIO

    frame = pd.read_csv(StringIO(population_csv), dtype={"district": str})
    return frame.rename(columns={"district": "district_id"}).assign(missing_reason="")


def test_district_population_in_requested_order(long_population: pd.DataFrame) -> None:
    result = district_population(long_population, ["0202", "0101", "9999"], year=2020)
    assert result.index.tolist() == ["0202", "0101", "9999"]
    assert result.tolist()[:2] == [400.0, 100.0]
    assert np.isnan(result.iloc[2])
    assert result.name == "value"


def test_unknown_group_lists_the_valid_ones(long_population: pd.DataFrame) -> None:
    with pytest.raises(
        CatalogueError, match=r"unknown population group 'kids'.*; valid groups: total, 65_plus"
    ):
        check_group_year(long_population, "kids", None)


def test_year_missing_for_a_group_vs_unknown_year(long_population: pd.DataFrame) -> None:
    with pytest.raises(
        MissingDataError, match=r"'65_plus' has no data for 2020; it is available for 2021"
    ):
        check_group_year(long_population, "65_plus", 2020)
    with pytest.raises(
        CatalogueError, match=r"year 1999 is not in the data; years of group 'total': 2020, 2021"
    ):
        check_group_year(long_population, "total", 1999)
    assert check_group_year(long_population, "total", 2020) == 2020
    assert check_group_year(long_population, "total", None) == 2021


def test_a_group_with_only_unknown_values(long_population: pd.DataFrame) -> None:
    unknown = long_population.assign(
        value=np.where(long_population["group"] == "65_plus", np.nan, long_population["value"])
    )
    with pytest.raises(MissingDataError, match="has no values in any year"):
        check_group_year(unknown, "65_plus", None)
