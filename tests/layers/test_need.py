"""Need index: components, normalisation, weights and ranking on a constructed case."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from layers.errors import MissingColumnError, ParameterError
from layers.need import need_demography, need_index


@pytest.fixture
def mapping() -> pd.DataFrame:
    """Three districts, each its own area."""
    return pd.DataFrame(
        {
            "district_id": ["X", "Y", "Z"],
            "area_id": ["X", "Y", "Z"],
            "area_name": ["Ix", "Ypsilon", "Zett"],
        }
    )


@pytest.fixture
def population() -> pd.DataFrame:
    """Children under 6 (from under_3 + 3_to_6) grow +50 % in X, 0 % in Y, -50 % in Z; 65+ flat everywhere."""
    rows = []
    for district, (u3_a, u3_b) in {"X": (10, 15), "Y": (10, 10), "Z": (10, 5)}.items():
        rows += [
            (district, 2010, "total", 100.0),
            (district, 2020, "total", 100.0),
            (district, 2010, "under_3", float(u3_a)),
            (district, 2020, "under_3", float(u3_b)),
            (district, 2010, "3_to_6", 10.0),
            (district, 2020, "3_to_6", 10.0),
            (district, 2010, "65_plus", 20.0),
            (district, 2020, "65_plus", 20.0),
        ]
    return pd.DataFrame(rows, columns=["district_id", "year", "group", "value"])


@pytest.fixture
def coverage() -> pd.DataFrame:
    """Coverage engine output shape: Z is covered worst, X best; includes the ALL row."""
    return pd.DataFrame(
        {
            "category": ["meeting"] * 4,
            "area_id": ["X", "Y", "Z", "ALL"],
            "area_name": ["Ix", "Ypsilon", "Zett", "Stadt"],
            "residents": [100.0, 100.0, 100.0, 300.0],
            "covered": [90.0, 50.0, 0.0, 140.0],
            "share": [0.9, 0.5, 0.0, 140 / 300],
        }
    )


def test_demography_only_ranks_by_child_growth(population, mapping):
    index = need_index(population, mapping, year_from=2010, year_to=2020, city_name="S")
    table = index.table.set_index("area_id")
    assert table["rank"].tolist() == [1, 2, 3]
    assert table.loc["X", "growth_under_6"] == 25.0  # 20 -> 25 children
    assert (
        table.loc["X", "score"] == 50.0
    )  # min-max: under_6 = 1, 65+ = 0 (no spread), equal weights
    assert table.loc["Z", "score"] == 0.0
    components = index.components.set_index("component")
    assert components.loc["growth_under_6", "available"]
    assert not components.loc["growth_under_18", "available"]  # 6_to_15 and 15_to_18 missing
    # the core gives the note as an id with parameters; dashboard.profile_text words it
    assert components.loc["growth_under_18", "note"] == "group_missing"
    assert components.loc["growth_under_18", "note_params"] == {"group": "under_18"}
    assert components.loc["growth_under_18", "subject"] == "under_18"
    assert components.loc["growth_under_6", "note"] == ""
    assert components.loc["growth_under_6", "weight"] == 0.5


def test_coverage_turns_the_order_around(population, mapping, coverage):
    index = need_index(
        population, mapping, year_from=2010, year_to=2020, city_name="S", coverage=coverage
    )
    table = index.table.set_index("area_id")
    assert "ALL" not in table.index
    assert table.loc["Z", "uncovered_meeting"] == 100.0
    assert table.loc["X", "uncovered_meeting"] == pytest.approx(10.0)
    # demography (0.25 under_6 + 0.25 65+) + coverage 0.5: X = 25, Y = 12.5 + 0.5*0.4444*100, Z = 50
    assert table.loc["X", "score"] == 25.0
    assert table.loc["Z", "score"] == 50.0
    assert table.loc["Z", "rank"] == 1
    heavy = need_index(
        population,
        mapping,
        year_from=2010,
        year_to=2020,
        city_name="S",
        coverage=coverage,
        weights={"growth_under_6": 10.0},
    ).table.set_index("area_id")
    assert heavy.loc["X", "rank"] == 1


def test_dimension_without_facilities_is_missing_not_full_need(population, mapping, coverage):
    nobody = coverage.assign(category="network", covered=0.0, share=0.0)
    with_gap = pd.concat([coverage, nobody], ignore_index=True)
    index = need_index(
        population, mapping, year_from=2010, year_to=2020, city_name="S", coverage=with_gap
    )
    components = index.components.set_index("component")
    assert not components.loc["uncovered_network", "available"]
    assert components.loc["uncovered_network", "note"] == "coverage_no_facility"
    from dashboard.profile_text import need_component_note

    row = components.loc["uncovered_network"].to_dict()
    assert "fehlt in den Daten" in need_component_note(row, "de")
    assert "missing from the data" in need_component_note(row, "en")
    assert components.loc["uncovered_network", "weight"] == 0.0
    assert "uncovered_network" not in index.table.columns
    alone = need_index(
        population, mapping, year_from=2010, year_to=2020, city_name="S", coverage=coverage
    )
    pd.testing.assert_series_equal(index.table["score"], alone.table["score"])


def test_fallback_to_total_when_no_age_group(mapping):
    pop = pd.DataFrame(
        {
            "district_id": ["X", "Y", "Z"] * 2,
            "year": [2010] * 3 + [2020] * 3,
            "group": "total",
            "value": [100.0, 100.0, 100.0, 120.0, 90.0, 100.0],
        }
    )
    index = need_index(pop, mapping, year_from=2010, year_to=2020, city_name="S")
    assert index.components["component"].tolist()[-1] == "growth_total"
    assert index.table.set_index("area_id")["rank"].tolist() == [1, 3, 2]


def test_zscore_and_missing_area(population, mapping):
    pop = population.copy()
    pop.loc[
        (pop["district_id"] == "Y") & (pop["group"] == "under_3") & (pop["year"] == 2010), "value"
    ] = np.nan
    index = need_index(
        pop, mapping, year_from=2010, year_to=2020, city_name="S", normalisation="zscore"
    )
    table = index.table.set_index("area_id")
    assert np.isnan(table.loc["Y", "growth_under_6"])
    assert table.loc["Y", "components_used"] == "growth_65_plus"
    assert table.loc["X", "score"] > table.loc["Z", "score"]


def test_bad_input(population, mapping, coverage):
    with pytest.raises(
        ParameterError, match=r"unknown component\(s\) kids.*valid components: growth_under_6"
    ):
        need_index(
            population, mapping, year_from=2010, year_to=2020, city_name="S", weights={"kids": 1.0}
        )
    with pytest.raises(ParameterError, match="must be a number >= 0"):
        need_index(
            population,
            mapping,
            year_from=2010,
            year_to=2020,
            city_name="S",
            weights={"growth_65_plus": -1.0},
        )
    with pytest.raises(ParameterError, match="fraction between 0 and 1"):
        need_index(
            population,
            mapping,
            year_from=2010,
            year_to=2020,
            city_name="S",
            coverage=coverage.assign(share=coverage["share"] * 100),
        )
    with pytest.raises(MissingColumnError, match="share column"):
        need_index(
            population,
            mapping,
            year_from=2010,
            year_to=2020,
            city_name="S",
            coverage=coverage.drop(columns="share"),
        )
    with pytest.raises(ParameterError, match="unknown normalisation"):
        need_index(
            population, mapping, year_from=2010, year_to=2020, city_name="S", normalisation="rank"
        )


def test_a_kept_demographic_part_gives_the_same_index(population, mapping, coverage):
    demography = need_demography(population, mapping, year_from=2010, year_to=2020, city_name="S")
    for shares in (coverage, coverage.assign(share=[0.2, 0.9, 0.5, 0.5])):
        fresh = need_index(
            population, mapping, year_from=2010, year_to=2020, city_name="S", coverage=shares
        )
        kept = need_index(
            population,
            mapping,
            year_from=2010,
            year_to=2020,
            city_name="S",
            coverage=shares,
            demography=demography,
        )
        pd.testing.assert_frame_equal(kept.table, fresh.table)
        pd.testing.assert_frame_equal(kept.components, fresh.components)
    # reusing it for another distance leaves the kept part as it was (no coverage component)
    assert set(demography.raw) == {"growth_under_6", "growth_65_plus"}
    assert all(r["kind"] == "demography" for r in demography.info)


def test_a_demographic_part_of_another_period_is_refused(population, mapping):
    demography = need_demography(population, mapping, year_from=2010, year_to=2020, city_name="S")
    with pytest.raises(ParameterError, match="2010–2020"):
        need_index(
            population,
            mapping,
            year_from=2010,
            year_to=2010,
            city_name="S",
            demography=demography,
        )
    with pytest.raises(ParameterError, match="areas"):
        need_index(
            population,
            mapping.iloc[:2],
            year_from=2010,
            year_to=2020,
            city_name="S",
            demography=demography,
        )
