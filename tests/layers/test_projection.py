"""Trend projection and official forecast tables (layers.projection)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from layers.errors import DatasetError, ParameterError
from layers.projection import (
    PROJECTION_LABEL,
    extend_population,
    fit_trends,
    is_projected_year,
    merge_forecast,
    project_population,
    projection_label,
    read_forecast,
    with_projection,
)

SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
KARLSRUHE = SHARED_DATA / "karlsruhe"


@pytest.fixture
def population() -> pd.DataFrame:
    """A: +10 a year (exact line); B: -40 a year from 100; C: one year only; D: noisy."""
    rows = []
    for year, a, b, d in zip(
        [2018, 2019, 2020, 2021],
        [100, 110, 120, 130],
        [100, 60, 20, 10],
        [50, 54, 50, 58],
        strict=True,
    ):
        rows += [
            ("A", year, "total", float(a)),
            ("B", year, "total", float(b)),
            ("D", year, "total", float(d)),
        ]
    rows.append(("C", 2021, "65_plus", 7.0))
    return pd.DataFrame(rows, columns=["district_id", "year", "group", "value"])


def test_linear_trend_is_exact_on_a_line(population):
    fits = fit_trends(population).set_index("district_id")
    assert fits.loc["A", "slope_per_year"] == pytest.approx(10.0)
    assert fits.loc["A", "r2"] == pytest.approx(1.0)
    assert fits.loc["A", "years_used"] == "2018–2021"
    assert 0 < fits.loc["D", "r2"] < 1
    projected = project_population(population, target_year=2023).set_index(["district_id", "year"])
    assert projected.loc[("A", 2022), "value"] == pytest.approx(140.0)
    assert projected.loc[("A", 2023), "value"] == pytest.approx(150.0)
    assert projected["projected"].all()
    assert projected.loc[("A", 2023), "projection"].startswith(
        PROJECTION_LABEL + " (linear, 2018–2021, R² = 1.00"
    )


def test_projection_is_clipped_at_zero(population):
    projected = project_population(population, target_year=2025).set_index(["district_id", "year"])
    assert projected.loc[("B", 2025), "value"] == 0.0
    assert "bei 0 abgeschnitten" in projected.loc[("B", 2025), "projection"]


def test_single_year_cannot_be_projected_and_says_so(population):
    projected = project_population(population, target_year=2022)
    c = projected[projected["district_id"] == "C"].iloc[0]
    assert np.isnan(c["value"])
    assert "nur 1 Beobachtungsjahr" in c["missing_reason"]


def test_fit_on_last_years_and_exponential(population):
    last_two = fit_trends(population, fit_years=2).set_index("district_id")
    assert last_two.loc["B", "slope_per_year"] == pytest.approx(-10.0)
    assert last_two.loc["B", "years_used"] == "2020–2021"
    growth = pd.DataFrame(
        {
            "district_id": "A",
            "year": [2019, 2020, 2021],
            "group": "total",
            "value": [100.0, 110.0, 121.0],
        }
    )
    fit = fit_trends(growth, method="exponential").iloc[0]
    assert fit["slope_per_year"] == pytest.approx(10.0)  # % per year
    assert project_population(growth, target_year=2022, method="exponential")["value"].iloc[
        0
    ] == pytest.approx(133.1)


def test_bad_options(population):
    with pytest.raises(
        ParameterError, match=r"target year 2021 is not after the last observed year 2021"
    ):
        project_population(population, target_year=2021)
    with pytest.raises(
        ParameterError,
        match=r"unknown projection method 'cubic'; valid methods: linear, exponential",
    ):
        project_population(population, target_year=2025, method="cubic")
    with pytest.raises(ParameterError, match="fit_years must be at least 2"):
        fit_trends(population, fit_years=1)
    with pytest.raises(ParameterError, match="more than 50 years"):
        project_population(population, target_year=2100)


def test_extend_population_flags_rows(population):
    out = extend_population(population, target_year=2030)
    assert len(population) == 13  # input unchanged
    assert not out.loc[out["year"] <= 2021, "projected"].any()
    assert out.loc[out["year"] > 2021, "projected"].all()
    assert sorted(out.loc[out["projected"], "year"].unique()) == list(range(2022, 2031))
    assert is_projected_year(out, 2030) and not is_projected_year(out, 2021)
    assert projection_label(out, 2030) == PROJECTION_LABEL
    same = extend_population(population, target_year=2020)
    assert len(same) == len(population) and not same["projected"].any()


def test_with_projection_lets_dataset_helpers_use_a_future_year(grid_dataset):
    from layers.dataset import load_dataset
    from layers.population import population_table

    dataset = load_dataset(grid_dataset)
    future = with_projection(dataset, target_year=2024)
    table = population_table(future, year=2024)
    # 0101 grows 100 -> 150: +50 a year; the others: 250 (0102: +50), 300, 400
    assert table.tolist() == pytest.approx([300.0, 400.0, 300.0, 400.0])
    assert dataset.population["year"].max() == 2021  # original untouched


def test_read_and_merge_official_forecast(grid_dataset, tmp_path):
    from layers.dataset import load_dataset

    dataset = load_dataset(grid_dataset)
    path = tmp_path / "prognose.csv"
    path.write_text(
        "Stadtteil;Jahr;Einwohner\n0101;2030;170\n0102;2030;260\n0201;2030;310\n0202;2030;420\n0101;2021;999\n",
        encoding="utf-8",
    )
    forecast = read_forecast(
        path,
        dataset.districts,
        columns={"district": "Stadtteil", "year": "Jahr"},
        groups={"total": "Einwohner"},
        label="Prognose 2030 der Stadt",
    )
    assert forecast["projected"].all() and set(forecast["projection"]) == {
        "Prognose 2030 der Stadt"
    }
    merged = merge_forecast(dataset.population, forecast)
    rows = merged[(merged["year"] == 2030) & (merged["group"] == "total")]
    assert rows["value"].sum() == 1160
    # the observed 2021 value wins over the forecast's 2021 row
    assert merged.loc[
        (merged["year"] == 2021) & (merged["district_id"] == "0101") & (merged["group"] == "total"),
        "value",
    ].tolist() == [150.0]
    assert projection_label(merged, 2030) == "Prognose 2030 der Stadt"


def test_forecast_with_unknown_district_names_the_row(grid_dataset, tmp_path):
    from layers.dataset import load_dataset

    dataset = load_dataset(grid_dataset)
    path = tmp_path / "prognose.csv"
    path.write_text(
        "district,year,group,value\n0101,2030,total,1\n9999,2030,total,2\n", encoding="utf-8"
    )
    with pytest.raises(DatasetError, match=r"prognose\.csv"):
        read_forecast(path, dataset.districts)
    try:
        read_forecast(path, dataset.districts)
    except DatasetError as exc:
        assert any(i.row == 3 for i in exc.issues)


@pytest.mark.skipif(not KARLSRUHE.exists(), reason="shared Karlsruhe data not available")
def test_karlsruhe_totals_projection_is_plausible():
    raw = pd.read_csv(KARLSRUHE / "population/bevolkerung-bevolkerung-mit-hauptwohnung.csv")
    population = pd.DataFrame(
        {
            "district_id": raw["Stadtteil"],
            "year": raw["Jahr"],
            "group": "total",
            "value": raw["Hauptwohnung"].astype(float),
        }
    )
    projected = project_population(population, target_year=2030)
    total_2030 = projected.loc[projected["year"] == 2030, "value"].sum()
    assert projected["value"].notna().all() and (projected["value"] >= 0).all()
    # a linear trend over 2007-2021 stays within ±15 % of 2021 (297,664) nine years on
    assert 0.85 * 297_664 < total_2030 < 1.15 * 297_664


def test_coverage_engine_runs_on_a_projected_year(grid_dataset):
    """The contract for `coverage --year 2030`: with_projection, then the coverage engine as usual."""
    from layers.coverage import dataset_coverage
    from layers.dataset import load_dataset

    future = with_projection(load_dataset(grid_dataset), target_year=2024)
    table = dataset_coverage(future, year=2024, radius_m=500.0)
    city = table[table["area_id"] == "ALL"]
    assert city["residents"].iloc[0] == pytest.approx(1400.0)  # 300 + 400 + 300 + 400
    assert is_projected_year(future.population, 2024)
