"""Further groupings of districts ([[groupings]]) as levels; planning areas as propose writes them."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from click.testing import CliRunner

from dashboard.cli import main
from layers.areas import (
    area_mapping,
    available_levels,
    check_level,
    level_label,
    outside_area_note,
    outside_districts,
)
from layers.coverage import dataset_coverage
from layers.dataset import load_dataset, validate_dataset
from layers.errors import CatalogueError

ORTSCHAFT = """
[[groupings]]
id = "ortschaft"
label_de = "Ortschaften"
label_en = "Ortschaften (villages with local councils)"
path = "ortschaften.csv"
source = "Hauptsatzung der Teststadt, § 12"
"""

ORTSCHAFTEN_CSV = (
    "district,area_id,area_name,contact\n"
    "0102,O1,Nordostdorf,Ortsvorsteherin A\n"
    "202,O2,Südostdorf,\n"
)
"""Two of the four grid districts are Ortschaften; 0202 written without its leading zero."""


@pytest.fixture
def make(grid_dataset: Path):
    """``make(tables, files)``: the grid dataset with extra manifest tables and files."""

    def _make(tables: str = ORTSCHAFT, files: dict | None = None) -> Path:
        manifest = grid_dataset / "dataset.toml"
        base = manifest.read_text(encoding="utf-8").split("\n# extra\n")[0]
        manifest.write_text(base + "\n# extra\n" + tables, encoding="utf-8")
        extra = {"ortschaften.csv": ORTSCHAFTEN_CSV} if files is None else files
        for name, text in extra.items():
            (grid_dataset / name).write_text(text, encoding="utf-8")
        return grid_dataset

    return _make


def _errors(path: Path) -> list[str]:
    return [i.format() for i in validate_dataset(path) if i.severity == "error"]


def test_a_grouping_is_a_level_covering_some_districts(make) -> None:
    dataset = load_dataset(make())
    assert available_levels(dataset) == ("district", "ortschaft")
    mapping = area_mapping(dataset, "ortschaft")
    assert mapping.to_dict("list") == {
        "district_id": ["0102", "0202"],
        "area_id": ["O1", "O2"],
        "area_name": ["Nordostdorf", "Südostdorf"],
    }
    (grouping,) = dataset.groupings
    assert grouping.mapping["contact"].tolist() == ["Ortsvorsteherin A", ""]
    assert outside_districts(dataset, "ortschaft") == ["0101", "0201"]
    assert level_label(dataset, "ortschaft", "en").startswith("Ortschaften (villages")
    assert level_label(dataset, "district") == "Stadtteile"
    assert (
        "Hauptsatzung"
        in {s.source for s in dataset.metadata.sources if s.layer == "groupings"}.pop()
    )


def test_the_dataset_names_its_districts_and_every_screen_says_so(grid_dataset: Path) -> None:
    manifest = grid_dataset / "dataset.toml"
    plain = load_dataset(grid_dataset)
    assert [level_label(plain, "district", lang) for lang in ("de", "en")] == [
        "Stadtteile",
        "Districts",
    ]
    text = manifest.read_text(encoding="utf-8")
    named = text.replace("[districts]\n", '[districts]\nlabel_de = "Planungsräume"\n', 1)
    manifest.write_text(named, encoding="utf-8")
    german_only = load_dataset(grid_dataset)
    # a German name alone serves English too (as for groupings)
    assert [level_label(german_only, "district", lang) for lang in ("de", "en")] == [
        "Planungsräume",
        "Planungsräume",
    ]
    both = named.replace(
        'label_de = "Planungsräume"\n', 'label_de = "Planungsräume"\nlabel_en = "LOR areas"\n'
    )
    manifest.write_text(both, encoding="utf-8")
    dataset = load_dataset(grid_dataset)
    assert level_label(dataset, "district", "en") == "LOR areas"
    assert level_label(dataset, "planning_area") == "Planungsgebiete"


def test_coverage_per_grouping_level_keeps_the_city_in_the_all_row(make) -> None:
    dataset = load_dataset(make())
    frame = dataset_coverage(dataset, categories="counselling", radius_m=500, level="ortschaft")
    by_area = frame.set_index("area_id")
    assert by_area.index.tolist() == ["O1", "O2", "ALL"]
    assert by_area.loc["O1", "residents"] == pytest.approx(250.0)
    assert by_area.loc["O2", "residents"] == pytest.approx(400.0)
    # the ALL row is the whole city, also the 450 residents outside any Ortschaft
    district = dataset_coverage(dataset, categories="counselling", radius_m=500)
    city = district.set_index("area_id").loc["ALL"]
    assert by_area.loc["ALL", "residents"] == pytest.approx(city["residents"]) == 1100.0
    assert by_area.loc["ALL", "covered"] == pytest.approx(city["covered"])
    assert by_area.loc["O1", "covered"] == pytest.approx(city["covered"])  # facility in 0102


def test_coverage_cli_with_level_ortschaft(make) -> None:
    data = make()
    result = CliRunner().invoke(
        main,
        ["coverage", "--data", str(data), "--category", "counselling", "--level", "ortschaft"],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.stderr
    table = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(r["area_id"], r["area_name"], r["residents"]) for r in table] == [
        ("O1", "Nordostdorf", "250.0"),
        ("O2", "Südostdorf", "400.0"),
        ("ALL", "Teststadt", "1100.0"),
    ]
    assert "level 'ortschaft' (Ortschaften) covers 2 of 4 districts" in result.stderr
    assert "450 residents live in the other 2 (0101, 0201)" in result.stderr


@pytest.mark.parametrize("command", ["coverage", "change", "need"])
def test_an_unknown_level_lists_the_dataset_levels(make, command: str) -> None:
    result = CliRunner().invoke(main, [command, "--data", str(make()), "--level", "ortschaften"])
    assert result.exit_code == 1
    assert (
        "unknown level 'ortschaften' (did you mean 'ortschaft'?); valid levels: district, "
        "planning_area, ortschaft" in result.stderr
    )


def test_change_and_need_accept_a_grouping_level(make) -> None:
    data = str(make())
    change = CliRunner().invoke(main, ["change", "--data", data, "--level", "ortschaft"])
    assert change.exit_code == 0, change.stderr
    table = [
        (r["area_id"], r["value_from"], r["value_to"])
        for r in csv.DictReader(io.StringIO(change.stdout))
    ]
    # the ALL row stays the whole city (1,000 → 1,100), not the two Ortschaften (600 → 650)
    assert table == [("O1", "200", "250"), ("O2", "400", "400"), ("ALL", "1000", "1100")]
    assert "level 'ortschaft' (Ortschaften) covers 2 of 4 districts" in change.stderr
    need = CliRunner().invoke(main, ["need", "--data", data, "--level", "ortschaft"])
    assert need.exit_code == 0, need.stderr


def test_check_level(make) -> None:
    dataset = load_dataset(make())
    assert check_level(dataset, "ortschaft") == "ortschaft"
    with pytest.raises(CatalogueError, match="no planning-area mapping"):
        check_level(dataset, "planning_area")


@pytest.mark.parametrize(
    ("csv_text", "expected"),
    [
        (
            "district,area_id\n0102,O1\n0203,O2\n",
            "error: ortschaften.csv, row 3, column 'district': unknown district '0203' "
            "(did you mean '0202' or '0201'?)",
        ),
        (
            "district,area_id\n0102,O1\n0102,O1\n",
            "error: ortschaften.csv, row 3, column 'district': row repeats row 2 "
            "(district 0102 in 'O1')",
        ),
        (
            "district,area_id\n0102,O1\n0202,O2\n102,O2\n",
            "error: ortschaften.csv, row 4, column 'district': district 0102 is in two areas: "
            "'O1' (row 2) and 'O2'; a district belongs to at most one area of a level",
        ),
        (
            "district,area_id\n0102,\n",
            "error: ortschaften.csv, row 2, column 'area_id': district '0102' has no area id",
        ),
        (
            "Stadtteil,Ortschaft\n0102,O1\n",
            "error: ortschaften.csv, column 'district': required column 'district' (canonical "
            "'district') is missing; the file has: Stadtteil, Ortschaft; map it with "
            'columns = { district = "…" }',
        ),
    ],
)
def test_grouping_errors_name_file_row_and_column(make, csv_text: str, expected: str) -> None:
    errors = _errors(make(files={"ortschaften.csv": csv_text}))
    assert errors[0] == expected


def test_grouping_columns_can_be_mapped(make) -> None:
    tables = ORTSCHAFT + 'columns = { district = "Stadtteil", area_id = "Ortschaft" }\n'
    dataset = load_dataset(make(tables, {"ortschaften.csv": "Stadtteil,Ortschaft\n0201,Dorf\n"}))
    assert area_mapping(dataset, "ortschaft")["area_name"].tolist() == ["Dorf"]


def test_an_empty_grouping_exists_and_says_why(make) -> None:
    tables = (
        '[[groupings]]\nid = "ortschaft"\nlabel_de = "Ortschaften"\nempty = true\n'
        'note_de = "Keine öffentliche Quelle ordnet die Stadtteile Ortschaften zu."\n'
        'note_en = "No public source maps the districts to Ortschaften."\n'
    )
    dataset = load_dataset(make(tables, {}))
    assert available_levels(dataset) == ("district", "ortschaft")
    assert area_mapping(dataset, "ortschaft").empty
    (grouping,) = dataset.groupings
    assert grouping.empty and grouping.note("de").startswith("Keine öffentliche Quelle")
    note = outside_area_note(dataset, "ortschaft")
    assert "covers 0 of 4 districts" in note
    assert note.endswith("No public source maps the districts to Ortschaften.")
    frame = dataset_coverage(dataset, categories="meeting", level="ortschaft")
    assert frame["area_id"].tolist() == ["ALL"] and frame["residents"].tolist() == [1100.0]


@pytest.mark.parametrize(
    ("tables", "expected"),
    [
        ('[[groupings]]\nid = "ortschaft"\nempty = true\n', "an empty grouping needs note_de"),
        ('[[groupings]]\nid = "Ort schaft"\npath = "o.csv"\n', "id 'Ort schaft' must be"),
        ('[[groupings]]\nid = "planning_area"\npath = "o.csv"\n', "and not one of district"),
        ('[[groupings]]\nid = "ortschaft"\n', '[groupings] needs path = "<file>"'),
        (ORTSCHAFT + ORTSCHAFT, "[[groupings]] id 'ortschaft' is listed twice"),
    ],
)
def test_grouping_manifest_errors(make, tables: str, expected: str) -> None:
    assert any(expected in line for line in _errors(make(tables))), _errors(make(tables))


def test_planning_areas_read_the_propose_output_as_written(make, tmp_path: Path) -> None:
    data = make("")
    out = data / "planning_areas.csv"
    result = CliRunner().invoke(
        main, ["planning-areas", "propose", "--data", str(data), "--n", "2", "--out", str(out)]
    )
    assert result.exit_code == 0, result.stderr
    assert out.read_text(encoding="utf-8").splitlines()[0].startswith("district_id,")
    manifest = data / "dataset.toml"
    manifest.write_text(
        manifest.read_text(encoding="utf-8")
        + '\n[planning_areas]\npath = "planning_areas.csv"\nproposal = true\n',
        encoding="utf-8",
    )
    dataset = load_dataset(data)
    assert available_levels(dataset) == ("district", "planning_area")
    proposed = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    mapping = area_mapping(dataset, "planning_area")
    assert mapping["district_id"].tolist() == [r["district_id"] for r in proposed]
    assert mapping["area_id"].tolist() == [r["planning_area"] for r in proposed]


def test_population_series_keeps_the_city_row_whole_at_a_partial_level(make) -> None:
    from layers.demography import population_series

    dataset = load_dataset(make())
    series = population_series(
        dataset.population, area_mapping(dataset, "ortschaft"), group="total", city_name="T"
    )
    city = series[series["area_id"] == "ALL"]
    assert city["value"].tolist() == [1000.0, 1100.0]
    assert series[series["area_id"] == "O1"]["value"].tolist() == [200.0, 250.0]


def test_info_lists_a_grouping_level(make) -> None:
    import json

    data = str(make())
    text = CliRunner().invoke(main, ["info", data])
    assert text.exit_code == 0, text.stderr
    assert "  level ortschaft Ortschaften: 2 areas from 2 of 4 districts" in text.stdout
    payload = json.loads(CliRunner().invoke(main, ["info", data, "--format", "json"]).stdout)
    assert payload["groupings"]["ortschaft"]["areas"] == 2
