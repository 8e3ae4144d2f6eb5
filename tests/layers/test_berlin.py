"""The Berlin open data files load unchanged with only a manifest (tests/data/berlin*/dataset.toml).

Every expected number is checked against the raw files inside the test; the constants quoted
from PROVENANCE.md are cross-checks of those raw counts.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio
import pytest
from click.testing import CliRunner

from dashboard.cli import main
from layers.dataset import Dataset, load_dataset, validate_dataset
from layers.population import population_table, years_of
from layers.residents import resident_weights

GROUP_COLUMNS = {
    "total": "inhabitants",
    "under_6": "inhabitants_age_below_6",
    "6_to_15": "inhabitants_age_6_15",
    "15_to_18": "inhabitants_age_15_18",
    "18_to_27": "inhabitants_age_18_27",
    "27_to_45": "inhabitants_age_27_45",
    "45_to_55": "inhabitants_age_45_55",
    "55_to_65": "inhabitants_age_55_65",
    "65_plus": "inhabitants_age_above_65",
}
VARIANT_COLUMNS = {
    "total": "Gesamt",
    "under_6": "unter6",
    "6_to_15": "6-15",
    "15_to_18": "15-18",
    "18_to_27": "18-27",
    "27_to_45": "27-45",
    "45_to_55": "45-55",
    "55_to_65": "55-65",
    "65_plus": "65undmehr",
}


@pytest.fixture(scope="module")
def berlin(berlin_dataset: Path) -> Dataset:
    """The Berlin dataset, loaded once for this module."""
    return load_dataset(berlin_dataset)


def raw_population(folder: Path, period: str) -> dict[str, dict[str, int]]:
    """Group → {PLR id → value} straight from a raw population CSV (csv module, no loader)."""
    path = folder / "population" / f"berlin-lor-population-{period}-t2-planning-areas.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return {g: {r["id"]: int(r[c]) for r in rows} for g, c in GROUP_COLUMNS.items()}


def raw_feature_count(path: Path) -> int:
    return len(json.loads(path.read_text(encoding="utf-8"))["features"])


def test_validates_without_errors(berlin_dataset: Path) -> None:
    issues = validate_dataset(berlin_dataset)
    assert [i.format() for i in issues if i.severity == "error"] == []
    # The only warnings: OSM community centres without a name.
    assert {(i.file, i.message) for i in issues} == {
        (
            "facilities/berlin-points-of-interest-community-centers-details.geojson",
            "empty facility name",
        )
    }


def test_districts_are_the_542_planning_areas_in_epsg_25833(
    berlin: Dataset, berlin_dataset: Path
) -> None:
    raw = pyogrio.read_dataframe(berlin_dataset / "districts" / "lor_planungsraeume_2021.shp")
    assert len(raw) == 542
    districts = berlin.districts
    assert len(districts) == 542
    assert districts["id"].tolist() == raw["PLR_ID"].tolist()
    assert districts["id"].str.fullmatch(r"\d{8}").all()
    assert "01100101" in set(districts["id"])  # leading zero kept
    assert berlin.metadata.metric_crs.to_epsg() == 25833
    assert districts.crs.to_epsg() == 25833
    # Same coordinates as the file (declared in an ESRI-style .prj, no reprojection).
    assert np.allclose(districts.total_bounds, raw.total_bounds)
    assert districts.area.sum() / 1e6 == pytest.approx(891, abs=1)


def test_facilities_by_category_all_inside(berlin: Dataset, berlin_dataset: Path) -> None:
    fac_dir = berlin_dataset / "facilities"
    expected = {
        "care": raw_feature_count(fac_dir / "pflegeeinrichtungen.geojson"),
        "meeting": raw_feature_count(
            fac_dir / "berlin-points-of-interest-community-centers-details.geojson"
        ),
        "youth": raw_feature_count(fac_dir / "jugendfreizeiteinrichtungen.geojson"),
    }
    assert expected == {"care": 274, "meeting": 416, "youth": 407}
    facilities = berlin.facilities
    counts = facilities["category"].value_counts().to_dict()
    assert counts == expected
    assert berlin.category_ids == ("meeting", "care", "youth", "counselling")
    assert berlin.unlocated_facilities.empty
    assert facilities["district_id"].notna().all()
    assert facilities.crs.to_epsg() == 25833


def test_community_centres_lie_in_the_planning_area_the_file_names(
    berlin: Dataset, berlin_dataset: Path
) -> None:
    """The WGS84 file carries its PLR id as an integer (leading zero lost); the spatial join agrees."""
    path = (
        berlin_dataset
        / "facilities"
        / "berlin-points-of-interest-community-centers-details.geojson"
    )
    features = json.loads(path.read_text(encoding="utf-8"))["features"]
    named = [str(f["properties"]["planning-area-id"]).zfill(8) for f in features]
    meeting = berlin.facilities[berlin.facilities["category"] == "meeting"]
    assert meeting["district_id"].tolist() == named


def test_care_facilities_keep_their_beds_as_capacity(berlin: Dataset, berlin_dataset: Path) -> None:
    path = berlin_dataset / "facilities" / "pflegeeinrichtungen.geojson"
    beds = sum(f["properties"]["platzzahl"] for f in json.loads(path.read_text())["features"])
    care = berlin.facilities[berlin.facilities["category"] == "care"]
    assert care["capacity"].sum() == beds == 31_154


def test_population_equals_the_31_12_files(berlin: Dataset, berlin_dataset: Path) -> None:
    assert years_of(berlin.population, "total") == [2021, 2022, 2023, 2024]
    assert berlin.group_ids == list(GROUP_COLUMNS)  # total first, then by age
    for year in (2021, 2022, 2023, 2024):
        raw = raw_population(berlin_dataset, f"{year}-02")
        for group, by_id in raw.items():
            loaded = population_table(berlin, group=group, year=year)
            assert loaded.to_dict() == {k: float(v) for k, v in by_id.items()}, (group, year)
    totals = {y: population_table(berlin, year=y).sum() for y in (2021, 2024)}
    assert totals == {2021: 3_775_480, 2024: 3_897_145}


def test_first_half_of_2021_total_in_the_raw_file(berlin_dataset: Path) -> None:
    """The 30.06. files are not loaded; the PROVENANCE total of 2021-01 matches its raw file."""
    assert sum(raw_population(berlin_dataset, "2021-01")["total"].values()) == 3_766_082


def test_grid_carries_the_population_without_a_residents_layer(berlin: Dataset) -> None:
    points = berlin.resident_points
    assert (points["origin"] == "grid").all()
    weights = resident_weights(berlin, year=2024)
    per_district = pd.Series(weights).groupby(points["district_id"].to_numpy()).sum()
    population = population_table(berlin, year=2024)
    inhabited = population[population > 0]
    assert per_district.reindex(inhabited.index).to_numpy() == pytest.approx(inhabited.to_numpy())
    # Planning areas without inhabitants in any year get no points.
    totals = berlin.population[berlin.population["group"] == "total"]
    never = totals.groupby("district_id")["value"].max()
    assert len(never[never == 0]) >= 1
    assert not set(never[never == 0].index) & set(points["district_id"])
    assert weights.sum() == pytest.approx(3_897_145)


def test_info_command(berlin_dataset: Path) -> None:
    result = CliRunner().invoke(main, ["info", "--format", "json", str(berlin_dataset)])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["districts"] == 542
    assert summary["metric_crs"] == "EPSG:25833"
    by_category = summary["facilities"]["by_category"]
    assert {k: v["located"] for k, v in by_category.items()} == {
        "meeting": 416,
        "care": 274,
        "youth": 407,
        "counselling": 0,
    }


def test_variant_file_equals_the_30_06_2022_file(berlin_variant_dataset: Path) -> None:
    """The ;/BOM/CRLF file with '–' for zero and the key in the last column is the 2022-01 data."""
    raw_bytes = (
        berlin_variant_dataset / "population_variant" / "einwohnerbestand_06-2022_plr.csv"
    ).read_bytes()
    assert raw_bytes.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw_bytes
    assert "–".encode() in raw_bytes
    dataset = load_dataset(berlin_variant_dataset)
    assert dataset.issues == ()
    raw = raw_population(berlin_variant_dataset, "2022-01")
    for group in VARIANT_COLUMNS:
        loaded = population_table(dataset, group=group, year=2022)
        assert loaded.to_dict() == {k: float(v) for k, v in raw[group].items()}, group
    assert population_table(dataset, year=2022).sum() == sum(raw["total"].values()) == 3_821_881
    # The en-dash rows are zeros, not missing.
    assert dataset.population["value"].notna().all()


def test_variant_read_by_hand_agrees(berlin_variant_dataset: Path) -> None:
    """Read the variant with the csv module: '–' → 0 gives the same numbers as the 2022-01 file."""
    path = berlin_variant_dataset / "population_variant" / "einwohnerbestand_06-2022_plr.csv"
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter=";"))
    assert len(rows) == 542
    dashes = sum(1 for r in rows if "–" in r.values())
    assert dashes == 5
    raw = raw_population(berlin_variant_dataset, "2022-01")
    for group, column in VARIANT_COLUMNS.items():
        by_hand = {r["PLR-ID"]: 0 if r[column] == "–" else int(r[column]) for r in rows}
        assert by_hand == raw[group], group
