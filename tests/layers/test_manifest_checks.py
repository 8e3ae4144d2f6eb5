"""Manifest-wide checks: repeated category colours warn; one run reports every layer's problems."""

from __future__ import annotations

from pathlib import Path

import pytest

from layers.catalogue import DEFAULT_CATEGORIES, PALETTE
from layers.dataset import load_dataset, validate_dataset


def _append(path: Path, text: str) -> Path:
    manifest = path / "dataset.toml"
    manifest.write_text(manifest.read_text(encoding="utf-8") + text, encoding="utf-8")
    return path


CATEGORIES = """
[[categories]]
id = "meeting"

[[categories]]
id = "counselling"
colour = "{counselling}"

[[categories]]
id = "care"

[[categories]]
id = "youth"
"""


def test_a_repeated_category_colour_warns_naming_the_key(grid_dataset: Path) -> None:
    meeting = DEFAULT_CATEGORIES[0].colour
    path = _append(grid_dataset, CATEGORIES.format(counselling=meeting.lower()))
    warnings = [i for i in validate_dataset(path) if i.severity == "warning"]
    assert [(w.file, w.column) for w in warnings] == [("dataset.toml", "colour")]
    assert warnings[0].message.startswith(
        f"[[categories]] counselling: colour '{meeting.lower()}' repeats the colour of 'meeting'"
    )
    dataset = load_dataset(path)  # a warning, not an error
    colours = [c.colour for c in dataset.categories]
    # a category without a colour gets one no other category uses
    assert colours[3] not in colours[:3] and colours[3] in PALETTE


def test_distinct_colours_do_not_warn(grid_dataset: Path) -> None:
    path = _append(grid_dataset, CATEGORIES.format(counselling="#123456"))
    assert [i for i in validate_dataset(path) if i.severity == "warning"] == []


BROKEN_PLANNING = '\n[planning_areas]\npath = "planning.csv"\n'


def test_validation_reports_every_broken_layer_in_one_run(grid_dataset: Path) -> None:
    (grid_dataset / "population.csv").write_text(
        "district,year,group,value\n0101,2021,total,-5\n0102,2021,total,5\n"
        "0201,2021,total,5\n0202,2021,total,5\n",
        encoding="utf-8",
    )
    (grid_dataset / "planning.csv").write_text(
        "district,planning_area\n0101,P1\n0102,P1\n0201,P2\n0299,P2\n", encoding="utf-8"
    )
    (grid_dataset / "ortschaften.csv").write_text("district,area_id\n9999,O1\n", encoding="utf-8")
    path = _append(
        grid_dataset,
        BROKEN_PLANNING + '\n[[groupings]]\nid = "ortschaft"\npath = "ortschaften.csv"\n',
    )
    errors = {(i.file, i.row) for i in validate_dataset(path) if i.severity == "error"}
    assert {("population.csv", 2), ("planning.csv", 5), ("ortschaften.csv", 2)} <= errors


def test_broken_districts_still_report_the_other_layers(grid_dataset: Path) -> None:
    (grid_dataset / "districts.geojson").write_text('{"type": "FeatureCollection"', "utf-8")
    (grid_dataset / "population.csv").write_text(
        "district,year,group,value\n0101,2021,total,viele\n", encoding="utf-8"
    )
    (grid_dataset / "planning.csv").write_text("Stadtteil,planning_area\n0101,P1\n", "utf-8")
    path = _append(grid_dataset, BROKEN_PLANNING)
    lines = [i.format() for i in validate_dataset(path) if i.severity == "error"]
    assert lines[0].startswith("error: districts.geojson")
    assert "error: population.csv, row 2, column 'value': not a number: 'viele'" in lines
    assert any(
        line.startswith("error: planning.csv, column 'district': required column 'district'")
        for line in lines
    ), lines


@pytest.mark.parametrize("header", ["district", "district_id"])
def test_broken_districts_accept_either_planning_area_district_column(
    grid_dataset: Path, header: str
) -> None:
    (grid_dataset / "districts.geojson").write_text("{}", "utf-8")
    (grid_dataset / "planning.csv").write_text(f"{header},planning_area\n0101,P1\n", "utf-8")
    path = _append(grid_dataset, BROKEN_PLANNING)
    assert not [i for i in validate_dataset(path) if i.file == "planning.csv"]
