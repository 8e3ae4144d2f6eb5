"""Change indicators per district and planning area (layers.demography)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from layers.demography import (
    area_values,
    change_table,
    identity_mapping,
    population_series,
    with_composite_groups,
)
from layers.errors import CatalogueError

SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
KARLSRUHE = SHARED_DATA / "karlsruhe"


@pytest.fixture
def districts() -> pd.DataFrame:
    """Three districts in file order C, A, B (not sorted on purpose)."""
    return pd.DataFrame({"id": ["C", "A", "B"], "name": ["Cstadt", "Adorf", "Bheim"]})


@pytest.fixture
def population() -> pd.DataFrame:
    """Totals 2010/2020 for all; 65+ only 2020; B's 65+ unknown; under_3/3_to_6 for A only."""
    rows = [
        ("C", 2010, "total", 100.0, ""),
        ("A", 2010, "total", 200.0, ""),
        ("B", 2010, "total", 300.0, ""),
        ("C", 2020, "total", 150.0, ""),
        ("A", 2020, "total", 180.0, ""),
        ("B", 2020, "total", 330.0, ""),
        ("C", 2020, "65_plus", 30.0, ""),
        ("A", 2020, "65_plus", 36.0, ""),
        ("B", 2020, "65_plus", np.nan, "Platzhalter in der Quelle"),
        ("A", 2020, "under_3", 5.0, ""),
        ("A", 2020, "3_to_6", 7.0, ""),
        ("A", 2010, "under_3", 4.0, ""),
        ("A", 2010, "3_to_6", np.nan, "geheim"),
    ]
    return pd.DataFrame(rows, columns=["district_id", "year", "group", "value", "missing_reason"])


@pytest.fixture
def planning(districts: pd.DataFrame) -> pd.DataFrame:
    """Two planning areas: P1 = {C, B}, P2 = {A}."""
    return pd.DataFrame(
        {
            "district_id": ["C", "A", "B"],
            "area_id": ["P1", "P2", "P1"],
            "area_name": ["Eins", "Zwei", "Eins"],
        }
    )


def test_district_change_in_file_order_with_city_row(districts, population):
    table = change_table(
        population,
        identity_mapping(districts),
        group="total",
        year_from=2010,
        year_to=2020,
        city_name="Musterstadt",
    )
    assert table["area_id"].tolist() == ["C", "A", "B", "ALL"]
    assert table["area_name"].tolist() == ["Cstadt", "Adorf", "Bheim", "Musterstadt"]
    assert table["value_from"].tolist() == [100.0, 200.0, 300.0, 600.0]
    assert table["value_to"].tolist() == [150.0, 180.0, 330.0, 660.0]
    assert table["change"].tolist() == [50.0, -20.0, 30.0, 60.0]
    assert table["change_pct"].tolist() == [50.0, -10.0, 10.0, 10.0]
    assert table["share_to_pct"].tolist() == [100.0] * 4


def test_change_pct_has_two_decimals(districts):
    pop = pd.DataFrame(
        {"district_id": ["C", "C"], "year": [2010, 2020], "group": "total", "value": [3.0, 4.0]}
    )
    mapping = identity_mapping(districts.iloc[:1])
    table = change_table(pop, mapping, group="total", year_from=2010, year_to=2020, city_name="X")
    assert table["change_pct"].iloc[0] == 33.33


def test_planning_area_sums_equal_sums_of_districts(districts, population, planning):
    by_district = change_table(
        population,
        identity_mapping(districts),
        group="total",
        year_from=2010,
        year_to=2020,
        city_name="S",
    ).set_index("area_id")
    by_area = change_table(
        population, planning, group="total", year_from=2010, year_to=2020, city_name="S"
    ).set_index("area_id")
    assert by_area.index.tolist() == ["P1", "P2", "ALL"]
    for area, members in {"P1": ["C", "B"], "P2": ["A"]}.items():
        for column in ("value_from", "value_to", "change"):
            assert by_area.loc[area, column] == by_district.loc[members, column].sum()
    # percentages are recomputed from the sums, never averaged
    assert by_area.loc["P1", "change_pct"] == round(80 / 400 * 100, 2)
    assert by_area.loc["ALL", "value_to"] == by_district.loc["ALL", "value_to"]


def test_group_missing_in_a_year_is_missing_not_zero(districts, population):
    table = change_table(
        population,
        identity_mapping(districts),
        group="65_plus",
        year_from=2010,
        year_to=2020,
        city_name="S",
    )
    assert table["value_from"].isna().all()
    assert table["change"].isna().all()
    assert table["value_to"].tolist()[:2] == [30.0, 36.0]
    assert "nicht in den Daten" in table["missing_reason"].iloc[0]


def test_unknown_value_makes_its_planning_area_and_city_missing(districts, population, planning):
    values = area_values(population, planning, group="65_plus", year=2020, city_name="S").set_index(
        "area_id"
    )
    assert np.isnan(values.loc["P1", "value"])
    assert "B: Platzhalter in der Quelle" in values.loc["P1", "missing_reason"]
    assert "1 von 2" in values.loc["P1", "missing_reason"]
    assert values.loc["P2", "value"] == 36.0
    assert np.isnan(values.loc["ALL", "value"])


def test_share_of_total_where_both_known(districts, population):
    table = change_table(
        population,
        identity_mapping(districts),
        group="65_plus",
        year_from=2020,
        year_to=2020,
        city_name="S",
    ).set_index("area_id")
    assert table.loc["C", "share_to_pct"] == 20.0
    assert table.loc["A", "share_to_pct"] == 20.0
    assert np.isnan(table.loc["B", "share_to_pct"])


def test_unknown_group_or_year_lists_valid_values(districts, population):
    mapping = identity_mapping(districts)
    with pytest.raises(
        CatalogueError,
        match=r"unknown population group '65plus' .did you mean '65_plus'.*valid groups: total, under_3, 3_to_6, 65_plus",
    ):
        change_table(
            population, mapping, group="65plus", year_from=2010, year_to=2020, city_name="S"
        )
    with pytest.raises(CatalogueError, match=r"unknown end year 2030; valid years: 2010, 2020"):
        change_table(
            population, mapping, group="total", year_from=2010, year_to=2030, city_name="S"
        )


def test_composite_groups_sum_parts_and_keep_unknowns(population):
    out = with_composite_groups(population)
    under_6 = out[out["group"] == "under_6"].set_index("year")
    assert under_6.loc[2020, "value"] == 12.0
    assert np.isnan(under_6.loc[2010, "value"])
    assert "3_to_6" in under_6.loc[2010, "missing_reason"]
    assert "under_18" not in set(out["group"])  # 6_to_15 and 15_to_18 are not in the data
    assert len(population) == 13  # input unchanged


def test_series_lists_every_year_of_the_data(districts, population):
    series = population_series(
        population, identity_mapping(districts), group="65_plus", city_name="S"
    )
    c = series[series["area_id"] == "C"]
    assert c["year"].tolist() == [2010, 2020]
    assert np.isnan(c["value"].iloc[0]) and c["value"].iloc[1] == 30.0


@pytest.mark.parametrize("level", ["district", "planning_area"])
@pytest.mark.parametrize("group", ["total", "65_plus", "under_3", "3_to_6"])
def test_series_equals_year_by_year_area_values(districts, population, planning, level, group):
    """The vectorised series (complete, absent and incomplete years) equals area_values per year."""
    mapping = identity_mapping(districts) if level == "district" else planning
    series = population_series(population, mapping, group=group, city_name="S")
    parts = []
    for year in (2010, 2020):
        part = area_values(population, mapping, group=group, year=year, city_name="S")
        part.insert(2, "year", year)
        parts.append(part)
    expected = pd.concat(parts, ignore_index=True)
    order = {a: i for i, a in enumerate(dict.fromkeys(expected["area_id"]))}
    expected = expected.sort_values(
        ["area_id", "year"],
        key=lambda s: s.map(order) if s.name == "area_id" else s,
        kind="stable",
    ).reset_index(drop=True)
    pd.testing.assert_frame_equal(series.reset_index(drop=True), expected, check_dtype=False)


@pytest.mark.parametrize("level", ["district", "planning_area"])
def test_series_of_complete_years_keeps_projected_flags_per_area(
    districts, population, planning, level
):
    """Complete years are summed all at once: an area is projected when any district is."""
    projected = population.assign(projected=False)
    projected.loc[(projected["district_id"] == "B") & (projected["year"] == 2020), "projected"] = (
        True
    )
    mapping = identity_mapping(districts) if level == "district" else planning
    series = population_series(projected, mapping, group="total", city_name="S")
    flagged = series[series["projected"]]
    expected_area = "B" if level == "district" else "P1"
    assert sorted(flagged["area_id"]) == sorted([expected_area, "ALL"])
    assert set(flagged["year"]) == {2020}
    for year in (2010, 2020):
        by_year = area_values(projected, mapping, group="total", year=year, city_name="S")
        got = series[series["year"] == year].drop(columns="year").reset_index(drop=True)
        pd.testing.assert_frame_equal(got, by_year, check_dtype=False)


def test_change_table_reads_the_area_values_a_caller_keeps(districts, population, planning):
    """``values=``: the four area sums come from the caller, and the table is the same."""
    asked = []

    def kept(group: str, year: int) -> pd.DataFrame:
        asked.append((group, year))
        return area_values(population, planning, group=group, year=year, city_name="S")

    default = change_table(
        population, planning, group="65_plus", year_from=2010, year_to=2020, city_name="S"
    )
    shared = change_table(
        population,
        planning,
        group="65_plus",
        year_from=2010,
        year_to=2020,
        city_name="S",
        values=kept,
    )
    pd.testing.assert_frame_equal(shared, default)
    assert sorted(asked) == [("65_plus", 2010), ("65_plus", 2020), ("total", 2010), ("total", 2020)]


def karlsruhe_raw() -> tuple[gpd.GeoDataFrame, pd.DataFrame, pd.DataFrame]:
    """Districts and total population straight from the shared raw files."""
    districts = gpd.read_file(
        KARLSRUHE / "boundaries/stadtteile_27_stadt_karlsruhe.geojson"
    ).to_crs(25832)
    districts = districts.rename(columns={"NUMMER": "id"})[["id", "name", "geometry"]]
    raw = pd.read_csv(KARLSRUHE / "population/bevolkerung-bevolkerung-mit-hauptwohnung.csv")
    ids = dict(zip(districts["name"], districts["id"], strict=True))
    population = pd.DataFrame(
        {
            "district_id": raw["Stadtteil"].map(ids),
            "year": raw["Jahr"].astype(int),
            "group": "total",
            "value": raw["Hauptwohnung"].astype(float),
        }
    )
    return districts, population, raw


@pytest.mark.skipif(not KARLSRUHE.exists(), reason="shared Karlsruhe data not available")
def test_karlsruhe_total_change_equals_raw_csv():
    districts, population, raw = karlsruhe_raw()
    assert population["district_id"].notna().all()
    table = change_table(
        population,
        identity_mapping(districts),
        group="total",
        year_from=2011,
        year_to=2021,
        city_name="Karlsruhe",
    ).set_index("area_id")
    assert table.loc["ALL", "value_to"] == 297_664
    assert table.loc["ALL", "value_to"] == raw.loc[raw["Jahr"] == 2021, "Hauptwohnung"].sum()
    assert table.loc["ALL", "value_from"] == raw.loc[raw["Jahr"] == 2011, "Hauptwohnung"].sum()
    for name, did in zip(districts["name"], districts["id"], strict=True):
        before = raw.loc[(raw["Stadtteil"] == name) & (raw["Jahr"] == 2011), "Hauptwohnung"].item()
        after = raw.loc[(raw["Stadtteil"] == name) & (raw["Jahr"] == 2021), "Hauptwohnung"].item()
        assert table.loc[did, "change"] == after - before
        assert table.loc[did, "change_pct"] == round((after - before) / before * 100, 2)


@settings(max_examples=40, deadline=None)
@given(
    values=st.lists(st.integers(min_value=0, max_value=10_000), min_size=6, max_size=6),
    areas=st.lists(st.sampled_from(["N", "S", "W"]), min_size=3, max_size=3),
)
def test_property_area_sums_equal_district_sums(values, areas):
    ids = ["C", "A", "B"]
    pop = pd.DataFrame(
        {
            "district_id": ids * 2,
            "year": [2010] * 3 + [2020] * 3,
            "group": "total",
            "value": [float(v) for v in values],
        }
    )
    mapping = pd.DataFrame({"district_id": ids, "area_id": areas, "area_name": areas})
    table = change_table(
        pop, mapping, group="total", year_from=2010, year_to=2020, city_name="S"
    ).set_index("area_id")
    for area in set(areas):
        members = [i for i, a in zip(range(3), areas, strict=True) if a == area]
        assert table.loc[area, "value_from"] == sum(values[i] for i in members)
        assert table.loc[area, "value_to"] == sum(values[3 + i] for i in members)
    assert table.loc["ALL", "change"] == sum(values[3:]) - sum(values[:3])


def test_series_jumps_flags_a_step_of_more_than_a_fifth_and_its_fall_back() -> None:
    from layers.demography import series_jumps

    series = pd.DataFrame(
        {
            "area_id": ["07"] * 5 + ["08"] * 3,
            "year": [2013, 2014, 2015, 2016, 2017, 2019, 2020, 2021],
            "value": [20295, 24111, 29430, 22808, 21884, 100, float("nan"), 200],
        }
    )
    jumps = series_jumps(series)
    assert jumps[["area_id", "year_from", "year_to"]].values.tolist() == [
        ["07", 2014, 2015],
        ["07", 2015, 2016],
    ]
    assert jumps["reverts"].tolist() == [True, False]
    assert jumps["change"].round(3).tolist() == [0.221, -0.225]
    # 2013 -> 2014 is +18.8 %: below a fifth; 08 jumps across a missing year, not compared
    assert series_jumps(series, threshold=0.15)["year_to"].tolist() == [2014, 2015, 2016]


def test_series_jumps_of_a_flat_series_is_empty() -> None:
    from layers.demography import JUMP_COLUMNS, series_jumps

    flat = pd.DataFrame({"area_id": "1", "year": [2020, 2021], "value": [100.0, 110.0]})
    out = series_jumps(flat)
    assert out.empty and tuple(out.columns) == JUMP_COLUMNS
