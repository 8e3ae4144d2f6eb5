"""A manifest reads a published long statistics file as it is: filter, exclude, group_map, sum_of."""

from __future__ import annotations

import math
from pathlib import Path

import geopandas as gpd
import pytest

from layers._io import PLACEHOLDER_REASON
from layers.dataset import load_dataset, validate_dataset
from layers.errors import DatasetError
from layers.population import population_table

BANDS = (
    "unter 3",
    "3 - < 6",
    "6 - < 10",
    "10 - < 15",
    "15 - < 18",
    "18 - < 25",
    "25 - < 30",
    "30 - < 40",
    "40 - < 50",
    "50 - < 60",
    "60 - < 65",
    "65 - < 75",
    "75 und älter",
)
"""The 13 age bands of the published table."""

STADTTEILE = (("101", "Nordwest"), ("102", "Nordost"), ("201", "Südwest"), ("202", "Südost"))
"""The grid's districts as the statistics office numbers them (no leading zero)."""

AGE_TABLE = "Bevölkerung nach Alter"
HEAD = "Jahr;Raumebene;Raum-Nr;Raumname;Tabelle;Merkmal;Anzahl"


def band_value(district: int, band: int, year: int) -> int:
    """Residents of one age band: easy to sum by hand."""
    return 10 * (district + 1) + band + (year - 2022)


def published_csv() -> str:
    """A long file mixing city/Bezirk/Stadtteil rows and three tables, as offices publish them.

    Gaps: 2022 Südost '75 und älter' is the placeholder '.', 2023 Südwest has no '65 - < 75' row.
    """
    lines = [HEAD]
    for year in (2022, 2023):
        lines.append(f"{year};Stadt;000;Teststadt;{AGE_TABLE};Einwohner;12.345")
        lines.append(f"{year};Stadtbezirk;1;Nord;{AGE_TABLE};Einwohner;6.100")
        lines.append(f"{year};Stadtbezirk;2;Süd;{AGE_TABLE};Einwohner;6.245")
        for d, (number, name) in enumerate(STADTTEILE):
            values = [band_value(d, b, year) for b in range(len(BANDS))]
            prefix = f"{year};Stadtteil;{number};{name}"
            lines.append(f"{prefix};{AGE_TABLE};Einwohner;{sum(values)}")
            for b, band in enumerate(BANDS):
                if (year, number, band) == (2023, "201", "65 - < 75"):
                    continue
                cell = "." if (year, number, band) == (2022, "202", "75 und älter") else values[b]
                lines.append(f"{prefix};{AGE_TABLE};{band};{cell}")
            lines.append(f"{prefix};Bevölkerung nach Staatsangehörigkeit;Einwohner;{sum(values)}")
            lines.append(f"{prefix};Bevölkerung nach Staatsangehörigkeit;Ausländer;{d + 5}")
            lines.append(f"{prefix};Durchschnittsalter;Durchschnittsalter;4{d},7")
    return "\n".join(lines) + "\n"


MANIFEST = """
[metadata]
name = "Teststadt"
metric_crs = "EPSG:25832"

[districts]
path = "districts.geojson"

[[population]]
path = "bevoelkerung.csv"
columns = {{ district = "Raum-Nr", year = "Jahr", group = "Merkmal", value = "Anzahl" }}
{select}

[[groups]]
id = "65_plus"
sum_of = ["65 - < 75", "75 und älter"]
"""

SELECT = (
    'filter = { Raumebene = "Stadtteil", Tabelle = "Bevölkerung nach Alter" }\n'
    'group_map = { "Einwohner" = "total" }'
)


@pytest.fixture
def make(tmp_path: Path, write_dataset, grid_districts: gpd.GeoDataFrame):
    """``make(select, data=bytes)``: the grid with the published file and these selection keys."""

    def _make(select: str = SELECT, data: bytes | None = None) -> Path:
        content = published_csv().encode("latin-1") if data is None else data
        return write_dataset(
            tmp_path / "ds",
            MANIFEST.format(select=select),
            {"districts.geojson": grid_districts, "bevoelkerung.csv": content},
        )

    return _make


def _expected_total(d: int, year: int) -> int:
    return sum(band_value(d, b, year) for b in range(len(BANDS)))


@pytest.mark.parametrize(
    "encode",
    [
        pytest.param(lambda text: text.encode("latin-1"), id="latin-1"),
        pytest.param(lambda text: "\ufeff".encode() + text.encode("utf-8"), id="utf-8-bom"),
    ],
)
def test_the_manifest_reads_the_published_file_directly(make, encode) -> None:
    dataset = load_dataset(make(data=encode(published_csv())))
    totals = population_table(dataset, year=2023).to_dict()
    assert totals == {
        gid: _expected_total(d, 2023) for d, gid in enumerate(("0101", "0102", "0201", "0202"))
    }
    assert set(dataset.group_ids) == {"total", *BANDS, "65_plus"}
    band_75 = population_table(dataset, group="75 und älter", year=2023).to_dict()
    assert band_75["0101"] == band_value(0, 12, 2023)


def test_sum_of_adds_a_derived_group_missing_where_a_part_is(make) -> None:
    dataset = load_dataset(make())
    old = population_table(dataset, group="65_plus", year=2022)
    new = population_table(dataset, group="65_plus", year=2023)
    assert old["0101"] == band_value(0, 11, 2022) + band_value(0, 12, 2022)
    assert new["0202"] == band_value(3, 11, 2023) + band_value(3, 12, 2023)
    assert math.isnan(old["0202"]) and math.isnan(new["0201"])
    pop = dataset.population.set_index(["district_id", "year", "group"])["missing_reason"]
    assert pop[("0202", 2022, "65_plus")] == (
        f"Summe aus '65 - < 75', '75 und älter'; es fehlt '75 und älter' – {PLACEHOLDER_REASON}"
    )
    assert pop[("0201", 2023, "65_plus")].endswith(
        "es fehlt '65 - < 75' – keine Zeile in der Quelle"
    )
    assert pop[("0101", 2023, "65_plus")] == ""


def test_exclude_drops_rows_and_decimal_commas_are_read(make) -> None:
    select = (
        'filter = { Raumebene = ["Stadtteil"] }\n'
        'exclude = { Tabelle = "Bevölkerung nach Staatsangehörigkeit", Merkmal = "Ausländer" }\n'
        'group_map = { "Einwohner" = "total", "Durchschnittsalter" = "mean_age" }'
    )
    dataset = load_dataset(make(select))
    ages = population_table(dataset, group="mean_age", year=2022).to_dict()
    assert ages == {"0101": 40.7, "0102": 41.7, "0201": 42.7, "0202": 43.7}


def test_without_filter_the_first_bad_row_is_named_and_filter_suggested(make) -> None:
    issues = [i for i in validate_dataset(make(select="")) if i.severity == "error"]
    first = issues[0]
    assert (first.file, first.row, first.column) == ("bevoelkerung.csv", 2, "Raum-Nr")
    assert "unknown district '000'" in first.message
    assert 'filter = { Raumebene = "Stadtteil" }' in first.message
    with pytest.raises(DatasetError, match="error"):
        load_dataset(make(select=""))


def test_mixed_tables_are_named_and_a_table_filter_suggested(make) -> None:
    select = 'filter = { Raumebene = "Stadtteil" }\ngroup_map = { "Einwohner" = "total" }'
    errors = [i for i in validate_dataset(make(select)) if i.severity == "error"]
    assert len(errors) == 1
    assert errors[0].column == "Tabelle"
    assert "several tables" in errors[0].message
    assert 'filter = { Tabelle = "Bevölkerung nach Alter" }' in errors[0].message


def test_without_group_map_total_is_missing_and_the_message_says_how(make) -> None:
    select = 'filter = { Raumebene = "Stadtteil", Tabelle = "Bevölkerung nach Alter" }'
    messages = [i.message for i in validate_dataset(make(select))]
    assert any("population group 'total' is required" in m for m in messages)


@pytest.mark.parametrize(
    ("select", "expected"),
    [
        (
            'filter = { Raumeben = "Stadtteil" }',
            "column 'Raumeben' named in filter is not in the file (did you mean 'Raumebene'",
        ),
        ('filter = "Stadtteil"', "filter must be a table"),
        ("exclude = { Merkmal = [] }", "exclude 'Merkmal' must be a value or a list of values"),
        ('group_map = { "Einwohner" = 1 }', "group_map must be a table"),
        (
            'filter = { Raumebene = "Bezirk" }',
            "the population file has no rows after filter/exclude",
        ),
    ],
)
def test_bad_selection_keys_are_errors(make, select: str, expected: str) -> None:
    messages = [i.format() for i in validate_dataset(make(select)) if i.severity == "error"]
    assert any(expected in m for m in messages), messages


def test_sum_of_naming_an_unknown_part_is_an_error(make, tmp_path: Path) -> None:
    path = make()
    manifest = path / "dataset.toml"
    manifest.write_text(
        manifest.read_text(encoding="utf-8").replace('"75 und älter"]', '"75 und aelter"]'),
        encoding="utf-8",
    )
    errors = [i.format() for i in validate_dataset(path) if i.severity == "error"]
    assert len(errors) == 1
    assert "sum_of names group(s) not in the population files: '75 und aelter'" in errors[0]
    assert "did you mean '75 und älter'" in errors[0]


def test_sum_of_needs_two_parts_and_must_not_shadow_a_file_group(make) -> None:
    path = make()
    manifest = path / "dataset.toml"
    text = manifest.read_text(encoding="utf-8")
    manifest.write_text(text.replace('id = "65_plus"', 'id = "unter 3"'), encoding="utf-8")
    assert any(
        "sum_of defines a group the population files already give" in i.message
        for i in validate_dataset(path)
    )
    manifest.write_text(text.replace('"65 - < 75", ', ""), encoding="utf-8")
    assert any("sum_of must list two or more" in i.message for i in validate_dataset(path))


def test_the_need_index_uses_the_derived_65_plus(make) -> None:
    from layers.areas import area_mapping
    from layers.need import need_index

    dataset = load_dataset(make())
    index = need_index(
        dataset.population,
        area_mapping(dataset, "district"),
        year_from=2022,
        year_to=2023,
        city_name="Teststadt",
    )
    components = index.components.set_index("component")
    assert bool(components.loc["growth_65_plus", "available"])
    without = load_dataset(make()).population
    without = without[without["group"] != "65_plus"]
    index = need_index(
        without,
        area_mapping(dataset, "district"),
        year_from=2022,
        year_to=2023,
        city_name="Teststadt",
    )
    assert not bool(index.components.set_index("component").loc["growth_65_plus", "available"])


def test_the_documented_full_example_loads(tmp_path: Path, write_dataset, grid_districts) -> None:
    """The example manifest of docs/dataset-format.md, on files shaped like the documented ones."""
    docs = Path(__file__).resolve().parents[2] / "docs" / "dataset-format.md"
    section = docs.read_text(encoding="utf-8").split(
        "## Example: a published long population file"
    )[1]
    example = section.split("```toml\n")[1].split("```")[0]
    path = write_dataset(
        tmp_path / "doc",
        '[metadata]\nname = "Doc"\nmetric_crs = "EPSG:25832"\n'
        '[districts]\npath = "districts.geojson"\n' + example,
        {
            "districts.geojson": grid_districts,
            "bevoelkerung.csv": published_csv().encode("latin-1"),
            "planning_areas.csv": "district_id,planning_area\n0101,PG1\n0102,PG1\n0201,PG2\n0202,PG2\n",
            "ortschaften.csv": "district,area_id,area_name\n0102,O1,Nordostdorf\n",
        },
    )
    assert [i for i in validate_dataset(path) if i.severity == "error"] == []
    dataset = load_dataset(path)
    assert population_table(dataset, group="mean_age", year=2023)["0101"] == 40.7
    assert [c.colour for c in dataset.categories][-1] == "#CC79A7"
    assert [g.id for g in dataset.groupings] == ["ortschaft"]
    assert dataset.planning_areas["planning_area"].tolist() == ["PG1", "PG1", "PG2", "PG2"]
