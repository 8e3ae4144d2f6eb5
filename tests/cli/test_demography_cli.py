"""``quartiersatlas change``, ``planning-areas propose|validate`` and ``profile`` via CliRunner."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from dashboard.cli import main

BUNDLED = Path(__file__).resolve().parents[2] / "data" / "karlsruhe"
RAW_TOTALS = (
    Path(__file__).resolve().parents[2].parent
    / "shared/data/karlsruhe/population/bevolkerung-bevolkerung-mit-hauptwohnung.csv"
)
needs_bundled = pytest.mark.skipif(
    not (BUNDLED / "dataset.toml").exists(), reason="bundled dataset not built"
)


GRID_POPULATION = """district,year,group,value
0101,2020,total,100
0102,2020,total,200
0201,2020,total,300
0202,2020,total,400
0101,2021,total,150
0102,2021,total,250
0201,2021,total,300
0202,2021,total,.
0101,2021,65_plus,10
"""


FACILITIES = "name,category,x,y\nTreff,meeting,455500,5426500\n"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def grid(tmp_path, grid_districts, write_dataset, minimal_manifest) -> Path:
    """2×2 grid dataset; 0202's total for 2021 is an unknown placeholder."""
    return write_dataset(
        tmp_path / "grid",
        minimal_manifest,
        {
            "districts.geojson": grid_districts,
            "facilities.csv": FACILITIES,
            "population.csv": GRID_POPULATION,
        },
    )


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_change_csv_contract_and_missing_values(runner, grid):
    result = runner.invoke(
        main, ["change", "--data", str(grid), "--group", "total", "--from", "2020", "--to", "2021"]
    )
    assert result.exit_code == 0, result.output
    assert (
        result.stdout.splitlines()[0] == "area_id,area_name,value_from,value_to,change,change_pct"
    )
    table = rows(result.stdout)
    assert [r["area_id"] for r in table] == ["0101", "0102", "0201", "0202", "ALL"]
    assert table[0] == {
        "area_id": "0101",
        "area_name": "Nordwest",
        "value_from": "100",
        "value_to": "150",
        "change": "50",
        "change_pct": "50.00",
    }
    assert table[3]["value_to"] == "" and table[3]["change_pct"] == ""  # unknown, never 0
    assert table[4]["area_name"] == "Teststadt" and table[4]["value_to"] == ""
    assert "0202 Südost" in result.stderr and "Platzhalter" in result.stderr


def test_change_json_has_reasons_and_series(runner, grid):
    result = runner.invoke(
        main, ["change", "--data", str(grid), "--from", "2020", "--to", "2021", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    by_id = {r["area_id"]: r for r in payload["rows"]}
    assert by_id["0202"]["value_to"] is None and "Platzhalter" in by_id["0202"]["missing_reason"]
    assert by_id["0101"]["change_pct"] == 50.0
    series = {s["area_id"]: s["points"] for s in payload["series"]}
    assert [p["value"] for p in series["0101"]] == [100, 150]


def test_change_bad_input_lists_valid_values(runner, grid, tmp_path):
    out = tmp_path / "out.csv"
    result = runner.invoke(
        main, ["change", "--data", str(grid), "--group", "kinder", "--out", str(out)]
    )
    assert result.exit_code == 1
    assert (
        "unknown population group 'kinder'" in result.stderr
        and "valid groups: total, 65_plus" in result.stderr
    )
    result = runner.invoke(
        main, ["change", "--data", str(grid), "--from", "2019", "--to", "2021", "--out", str(out)]
    )
    assert result.exit_code == 1 and "valid years: 2020, 2021" in result.stderr
    result = runner.invoke(main, ["change", "--data", str(grid), "--to", "2030", "--out", str(out)])
    assert result.exit_code == 1 and "--project" in result.stderr
    result = runner.invoke(
        main, ["change", "--data", str(grid), "--level", "planning_area", "--out", str(out)]
    )
    assert result.exit_code == 1 and "no planning-area mapping" in result.stderr
    assert not out.exists()


def test_change_with_projection_says_so(runner, grid):
    result = runner.invoke(
        main,
        [
            "change",
            "--data",
            str(grid),
            "--from",
            "2021",
            "--to",
            "2023",
            "--project",
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["projection"].startswith("Trendfortschreibung, keine amtliche Prognose")
    assert "Trendfortschreibung" in result.stderr
    fit = {f["district_id"]: f for f in payload["projection_fits"]}["0101"]
    assert fit == {
        "district_id": "0101",
        "method": "linear",
        "years_used": "2020–2021",
        "slope_per_year": 50.0,
        "r2": 1.0,
        "note": None,
    }
    assert {r["area_id"]: r["value_to"] for r in payload["rows"]}["0101"] == 250


def test_propose_writes_csv_and_prints_balance(runner, grid, tmp_path):
    population = GRID_POPULATION.replace("0202,2021,total,.", "0202,2021,total,400")
    (grid / "population.csv").write_text(population, encoding="utf-8")
    out = tmp_path / "pg.csv"
    result = runner.invoke(
        main, ["planning-areas", "propose", "--data", str(grid), "--n", "2", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(out, dtype=str)
    assert frame.columns.tolist() == ["district_id", "planning_area"]
    assert frame["district_id"].tolist() == ["0101", "0102", "0201", "0202"]
    assert "imbalance (largest / smallest, total 2021)" in result.stderr
    assert "Vorschlag" in result.stderr
    assert "Alternatives (ratio = largest / smallest population" in result.stderr
    for key in ("compact ", "balanced ", "compact_loose "):
        assert f"  {key}" in result.stderr
    assert "compactness" in result.stderr
    # the proposal validates against the same dataset
    result = runner.invoke(main, ["planning-areas", "validate", "--data", str(grid), str(out)])
    assert result.exit_code == 0, result.output
    assert "OK: pg.csv: 4 districts in 2 planning areas" in result.stdout


def test_propose_errors_write_nothing(runner, grid, tmp_path):
    out = tmp_path / "pg.csv"
    result = runner.invoke(
        main, ["planning-areas", "propose", "--data", str(grid), "--n", "5", "--out", str(out)]
    )
    assert result.exit_code == 1
    assert "fewer districts than areas requested" in result.stderr
    result = runner.invoke(
        main,
        [
            "planning-areas",
            "propose",
            "--data",
            str(grid),
            "--n",
            "2",
            "--keep-together",
            "0101",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 1 and "at least two district ids" in result.stderr
    # 2021 has an unknown total: balancing falls back to the latest complete year, 2020
    result = runner.invoke(
        main,
        [
            "planning-areas",
            "propose",
            "--data",
            str(grid),
            "--n",
            "2",
            "--year",
            "2021",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 1 and "0202" in result.stderr
    assert not out.exists()


def test_validate_names_rows(runner, grid, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "district,planning_area\n0101,A\n0102,A\n0101,B\n9999,B\n0201,B\n", encoding="utf-8"
    )
    result = runner.invoke(main, ["planning-areas", "validate", "--data", str(grid), str(bad)])
    assert result.exit_code == 1
    assert "bad.csv, row 4" in result.stderr and "assigned twice" in result.stderr
    assert (
        "bad.csv, row 5" in result.stderr and "'9999' is not in the districts file" in result.stderr
    )
    assert "0202" in result.stderr  # unassigned
    split = tmp_path / "split.csv"
    split.write_text("district,planning_area\n0101,A\n0102,B\n0201,B\n0202,A\n", encoding="utf-8")
    result = runner.invoke(main, ["planning-areas", "validate", "--data", str(grid), str(split)])
    assert result.exit_code == 0  # diagonal squares touch at a corner: queen-contiguous


def test_profile_json_and_errors(runner, grid, tmp_path):
    result = runner.invoke(
        main, ["profile", "--data", str(grid), "--area", "0101", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    profile = json.loads(result.stdout)
    assert profile["area"]["id"] == "0101" and profile["population"]["total"] == 150
    coverage = {c["category"]: c for c in profile["coverage"]["per_category"]}
    assert set(coverage) == {"meeting", "counselling", "care", "participation", "network"}
    # the two dimensions without any facility in the data are missing, not 0 % covered
    assert coverage["network"]["share_pct"] is None
    assert coverage["participation"]["city_share_pct"] is None
    assert coverage["meeting"]["share_pct"] is not None
    facilities = {c["category"]: c for c in profile["facilities"]["per_category"]}
    assert facilities["network"]["missing"] and facilities["network"]["per_1000_residents"] is None
    assert not facilities["meeting"]["missing"]
    result = runner.invoke(main, ["profile", "--data", str(grid), "--area", "0303"])
    assert result.exit_code == 1 and "valid ids: 0101 (Nordwest)" in result.stderr
    result = runner.invoke(
        main, ["profile", "--data", str(grid), "--area", "0101", "--year", "1999"]
    )
    assert result.exit_code == 1 and "valid years: 2020, 2021" in result.stderr
    result = runner.invoke(
        main, ["profile", "--data", str(grid), "--area", "0101", "--weight", "kids"]
    )
    assert result.exit_code == 1 and "COMPONENT=NUMBER" in result.stderr
    result = runner.invoke(
        main, ["profile", "--data", str(grid), "--area", "0101", "--no-coverage", "--format", "pdf"]
    )
    assert result.exit_code == 2 and "--out" in result.stderr  # a PDF is never written to stdout


@needs_bundled
def test_bundled_karlsruhe_change_equals_raw_csv(runner):
    result = runner.invoke(main, ["change", "--group", "total", "--from", "2011", "--to", "2021"])
    assert result.exit_code == 0, result.output
    table = {r["area_name"]: r for r in rows(result.stdout)}
    assert len(table) == 28 and table["Karlsruhe"]["value_to"] == "297664"
    if RAW_TOTALS.exists():
        raw = pd.read_csv(RAW_TOTALS)
        for name, part in raw.groupby("Stadtteil"):
            values = part.set_index("Jahr")["Hauptwohnung"]
            assert table[name]["value_from"] == str(values[2011])
            assert table[name]["value_to"] == str(values[2021])
            assert table[name]["change"] == str(values[2021] - values[2011])


@needs_bundled
def test_bundled_planning_area_change_sums_districts(runner):
    districts = rows(runner.invoke(main, ["change", "--from", "2011", "--to", "2021"]).stdout)
    areas = rows(
        runner.invoke(
            main, ["change", "--from", "2011", "--to", "2021", "--level", "planning_area"]
        ).stdout
    )
    mapping = pd.read_csv(BUNDLED / "planning_areas.csv", dtype=str)
    value_of = {r["area_id"]: int(r["value_to"]) for r in districts}
    for area in areas[:-1]:
        members = mapping.loc[mapping["planning_area"] == area["area_id"], "district"]
        assert int(area["value_to"]) == sum(value_of[d] for d in members)
        assert "(Vorschlag)" in area["area_name"]
    assert areas[-1]["value_to"] == districts[-1]["value_to"]


@needs_bundled
def test_bundled_propose_six_areas_within_balance(runner):
    result = runner.invoke(
        main, ["planning-areas", "propose", "--n", "6", "--keep-together", "08,09"]
    )
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(io.StringIO(result.stdout), dtype=str)
    assert frame["planning_area"].nunique() == 6
    areas = frame.set_index("district_id")["planning_area"]
    assert areas["08"] == areas["09"]
    imbalance = float(
        result.stderr.split("imbalance (largest / smallest, total 2021): ")[1].split()[0]
    )
    assert imbalance <= 1.15
    assert "all areas contiguous" in result.stderr


@needs_bundled
def test_bundled_propose_keeps_hoehenstadtteile_together_with_alternatives(runner):
    result = runner.invoke(
        main,
        [
            "planning-areas",
            "propose",
            "--n",
            "6",
            "--keep-together",
            "Stupferich,Hohenwettersbach,Grünwettersbach,Palmbach",
        ],
    )
    assert result.exit_code == 0, result.output
    areas = pd.read_csv(io.StringIO(result.stdout), dtype=str).set_index("district_id")
    assert areas.loc[["21", "22", "24", "25"], "planning_area"].nunique() == 1
    figures = {
        match.group(1): (float(match.group(2)), float(match.group(3)))
        for match in re.finditer(
            r"^  (\w+) .*: ratio (\d\.\d+), compactness (\d\.\d+)$", result.stderr, re.M
        )
    }
    assert figures["compact"][0] <= 1.15 and figures["compact_loose"][0] <= 1.25
    assert figures["compact"][1] > figures["balanced"][1]
    assert "Proposal (Vorschlag, compact)" in result.stderr


def test_need_ranking_csv_and_json(runner, grid):
    result = runner.invoke(main, ["need", "--data", str(grid), "--from", "2020", "--to", "2021"])
    assert result.exit_code == 0, result.output
    table = rows(result.stdout)
    assert [r["area_id"] for r in table] == ["0101", "0102", "0201", "0202"]
    header = result.stdout.splitlines()[0].split(",")
    assert header[:2] == ["area_id", "area_name"] and header[-2:] == ["score", "rank"]
    assert "growth_total" in header and "uncovered_meeting" in header
    assert "growth_65_plus not available" in result.stderr
    result = runner.invoke(
        main,
        [
            "need",
            "--data",
            str(grid),
            "--from",
            "2020",
            "--to",
            "2021",
            "--no-coverage",
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    ranks = {r["area_id"]: r["rank"] for r in payload["rows"]}
    # growth of the total: 0101 +50 %, 0102 +25 %, 0201 0 %, 0202 unknown (no rank)
    assert ranks == {"0101": 1, "0102": 2, "0201": 3, "0202": None}
    result = runner.invoke(
        main, ["need", "--data", str(grid), "--weight", "kids=1", "--no-coverage"]
    )
    assert result.exit_code == 1 and "valid components: growth_under_6" in result.stderr


@pytest.mark.parametrize(
    ("args", "name"),
    [
        (["profile", "--area", "0101", "--no-coverage"], "profil.png"),
        (["change"], "change.json"),
        (["change", "--format", "json"], "change.csv"),
        (["need", "--no-coverage"], "need.pdf"),
    ],
)
def test_out_file_ending_must_match_the_format(runner, grid, tmp_path, args, name):
    out = tmp_path / name
    result = runner.invoke(main, [*args, "--data", str(grid), "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert name in result.stderr and "does not end in" in result.stderr
    assert not out.exists()


def test_radius_is_spelled_the_same_as_in_the_other_commands(runner, grid):
    new = runner.invoke(main, ["need", "--data", str(grid), "--radius", "300", "--format", "json"])
    old = runner.invoke(
        main, ["need", "--data", str(grid), "--radius-m", "300", "--format", "json"]
    )
    assert new.exit_code == 0, new.output
    assert new.stdout == old.stdout
    assert json.loads(new.stdout)["radius_m"] == 300
