"""Results as values: coverage each and combined, suppression, gaps, scenario, year notes."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from layers.coverage import DistanceTable, area_index, coverage_table
from layers.errors import ParameterError
from layers.gaps import gap_hexagons, hex_index
from layers.results import (
    ChangeParams,
    CoverageParams,
    Note,
    PlannedFacility,
    change_result,
    check_require,
    coverage_result,
    gap_result,
    resolve_year,
    scenario_distances,
    scenario_result,
)
from layers.siting import scenario_coverage

CRS = "EPSG:25832"

# two districts side by side, 1 resident per point; A: x 0..3, B: x 10..11
POINTS = np.array(
    [[0.0, 0.0], [100.0, 0.0], [200.0, 0.0], [300.0, 0.0], [1000.0, 0.0], [1100.0, 0.0]]
)
DISTRICTS = ["A", "A", "A", "A", "B", "B"]
MAPPING = pd.DataFrame(
    {"district_id": ["A", "B"], "area_id": ["A", "B"], "area_name": ["Alpha", "Beta"]}
)


@pytest.fixture
def table() -> DistanceTable:
    """Meeting at x=0, care at x=300 (both in district A)."""
    residents = gpd.GeoDataFrame(geometry=shapely.points(POINTS), crs=CRS)
    facilities = gpd.GeoDataFrame(
        {"id": ["m", "c"], "category": ["meeting", "care"]},
        geometry=[shapely.Point(0, 0), shapely.Point(300, 0)],
        crs=CRS,
    )
    return DistanceTable(residents, facilities)


def params(**changes) -> CoverageParams:
    base = dict(
        categories=("meeting", "care"),
        radius_m=150.0,
        group="total",
        level="district",
        year_asked=None,
        year=2020,
        small_count_threshold=3,
    )
    return CoverageParams(**(base | changes))


def result_of(table, p, weights=None):
    weights = np.ones(len(POINTS)) if weights is None else weights
    distances = {c: table.distances_m(c) for c in p.categories}
    return coverage_result(
        distances, weights, area_index(DISTRICTS, MAPPING), params=p, city_name="Stadt"
    )


def test_each_and_combined_columns(table):
    result = result_of(table, params())
    areas = result.areas.set_index("area_id")
    # within 150 m: meeting reaches x=0,100; care reaches x=200,300; nobody reaches both
    assert areas.loc["A", "share_meeting"] == 0.5 and areas.loc["A", "share_care"] == 0.5
    assert areas.loc["A", "share"] == 0.0 and areas.loc["A", "uncovered"] == 4.0
    # residents not reaching each category, next to its share
    assert areas.loc["A", "uncovered_meeting"] == 2.0 and areas.loc["A", "uncovered_care"] == 2.0
    assert result.city["uncovered_meeting"] == 4.0  # and both of Beta
    # Beta has 2 residents, below the threshold of 3: suppressed, the number kept
    assert areas["suppressed"].tolist() == [False, True]
    assert np.isnan(result.shown_share()[1]) and areas.loc["B", "share"] == 0.0
    assert result.city["area_id"] == "ALL" and result.city["residents"] == 6.0
    assert not result.city["suppressed"]
    wide = result_of(table, params(radius_m=300.0)).areas.set_index("area_id")
    assert wide.loc["A", "share"] == 1.0  # every point of A is within 300 m of both


def test_rows_in_the_cli_contract(table):
    result = result_of(table, params())
    each = coverage_table(
        table,
        np.ones(len(POINTS)),
        area_index(DISTRICTS, MAPPING),
        categories=["meeting", "care"],
        radius_m=150.0,
        city_name="Stadt",
    )
    pd.testing.assert_frame_equal(result.rows("each"), each)
    combined = result.rows("all")
    assert combined["category"].unique().tolist() == ["meeting+care"]
    assert combined.columns.tolist() == each.columns.tolist()
    assert combined["area_id"].tolist() == ["A", "B", "ALL"]


def test_no_category_asked_has_residents_but_no_coverage(table):
    result = result_of(table, params(categories=()))
    assert result.areas["residents"].tolist() == [4.0, 2.0]
    assert result.areas["share"].isna().all() and np.isnan(result.city_share)


def test_check_require():
    assert check_require("all") == "all"
    with pytest.raises(ParameterError, match="require must be one of each, all"):
        check_require("any")


def test_year_substitution_is_a_note_not_silent():
    pop = pd.DataFrame(
        {
            "year": [2016, 2016, 2021],
            "group": ["65_plus", "total", "total"],
            "value": [1.0, 2.0, np.nan],
        }
    )
    assert resolve_year(pop, group="total", year=2016) == (2016, ())
    # 2021 is known for no group: the latest known year of the group is used, and said so
    used, notes = resolve_year(pop, group="65_plus", year=2021)
    assert used == 2016
    assert notes == (Note.of("year_substituted", asked=2021, used=2016, group="65_plus"),)
    assert resolve_year(pop, group="65_plus", year=None) == (2016, ())
    assert params(notes=notes).to_dict()["notes"] == [
        {"id": "year_substituted", "asked": 2021, "used": 2016, "group": "65_plus"}
    ]


def test_scenario_added_and_removed(table):
    planned = (PlannedFacility("meeting", 1050.0, 0.0),)
    added = scenario_distances(table, "meeting", added=planned)
    assert added[4] == pytest.approx(50.0) and added[0] == 0.0
    # a planned care facility does not change meeting distances
    assert scenario_distances(table, "meeting", added=(PlannedFacility("care", 0, 0),)) is (
        table.distances_m("meeting")
    )
    removed = scenario_distances(table, "meeting", removed_rows=np.array([0, 1]))
    assert np.isinf(removed).all()  # the only meeting place is off (row 1 is care: ignored)
    before = result_of(table, params(categories=("meeting",)))
    p_after = params(categories=("meeting",), added=planned)
    after = coverage_result(
        {"meeting": added},
        np.ones(len(POINTS)),
        area_index(DISTRICTS, MAPPING),
        params=p_after,
        city_name="Stadt",
    )
    scenario = scenario_result(before, after)
    assert scenario.covered_after - scenario.covered_before == 2.0
    # Beta is suppressed: its shares and gain are not shown
    rows = scenario.rows.set_index("area_id")
    assert np.isnan(rows.loc["B", "gain_pp"]) and rows.loc["B", "gain_residents"] == 2.0
    # the city totals equal layers.siting.scenario_coverage (one counting rule)
    city = scenario_coverage(
        table,
        np.ones(len(POINTS)),
        category="meeting",
        radius_m=150.0,
        add_xy=np.array([[1050.0, 0.0]]),
    )
    assert city["covered_after"] == scenario.covered_after
    assert city["covered_before"] == scenario.covered_before
    with pytest.raises(ParameterError, match="share everything but it"):
        scenario_result(before, result_of(table, params(radius_m=500.0)))


def test_gap_cells_equal_the_gap_hexagons(table):
    weights = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    hexes = hex_index(table.resident_xy, edge_m=200.0, crs=CRS)
    gaps = gap_result(
        {"meeting": table.distances_m("meeting")},
        weights,
        hexes,
        params=params(categories=("meeting",)),
    )
    core = gap_hexagons(table, weights, category="meeting", radius_m=150.0, hex_edge_m=200.0)
    core = core.set_index("hex_id").reindex(list(gaps.hex_id))
    np.testing.assert_allclose(gaps.uncovered, core["uncovered"].to_numpy())
    np.testing.assert_allclose(gaps.residents, core["residents"].to_numpy())
    empty = gap_result({}, weights, hexes, params=params(categories=()))
    assert np.isnan(empty.uncovered).all()


def test_scenario_gains_per_category_and_notes(table):
    """Per category: the city's covered residents before/after; planned care outside the ask."""
    planned = (PlannedFacility("meeting", 1050.0, 0.0), PlannedFacility("care", 1050.0, 0.0))
    before = result_of(table, params(categories=("meeting",)))
    after = coverage_result(
        {"meeting": scenario_distances(table, "meeting", added=planned)},
        np.ones(len(POINTS)),
        area_index(DISTRICTS, MAPPING),
        params=params(categories=("meeting",), added=planned),
        city_name="Stadt",
    )
    scenario = scenario_result(before, after)
    gains = scenario.category_gains.set_index("category")
    assert list(gains.index) == ["meeting"]
    # meeting at x=0 reaches x 0 and 100; the planned one adds x 1000 and 1100
    assert gains.loc["meeting", "covered_before"] == 2.0
    assert gains.loc["meeting", "covered_after"] == 4.0
    assert gains.loc["meeting", "gain_residents"] == scenario.gain_residents == 2.0
    assert gains.loc["meeting", "share_after"] == pytest.approx(4 / 6)
    # the planned care facility is not counted (care was not asked): a note says so
    assert [n.to_dict() for n in scenario.notes] == [
        {"id": "planned_not_counted", "n": 1, "categories": ("care",)}
    ]


def test_switching_off_is_a_negative_gain(table):
    before = result_of(table, params())
    after = coverage_result(
        {c: scenario_distances(table, c, removed_rows=np.array([0])) for c in ("meeting", "care")},
        np.ones(len(POINTS)),
        area_index(DISTRICTS, MAPPING),
        params=params(removed=("m",)),
        city_name="Stadt",
    )
    scenario = scenario_result(before, after)
    gains = scenario.category_gains.set_index("category")
    assert gains.loc["meeting", "gain_residents"] == -2.0
    assert gains.loc["care", "gain_residents"] == 0.0
    assert scenario.notes == ()


def test_change_result_lists_jumps_of_the_series_between_the_years():
    values = {2018: 100.0, 2019: 130.0, 2020: 104.0, 2021: 105.0}
    population = pd.DataFrame(
        [("A", y, "total", v, "") for y, v in values.items()]
        + [("B", y, "total", 50.0, "") for y in values],
        columns=["district_id", "year", "group", "value", "missing_reason"],
    )
    params = ChangeParams("total", 2018, 2021, "district")
    result = change_result(population, MAPPING, params=params, city_name="Stadt")
    jumps = result.jumps_of("A")
    assert jumps[["year_from", "year_to", "reverts"]].values.tolist() == [[2018, 2019, True]]
    assert result.jumps_of("B").empty
    # the change itself is the data as it is, not smoothed
    assert result.table.set_index("area_id").loc["A", "value_to"] == 105.0
    later = change_result(
        population, MAPPING, params=ChangeParams("total", 2020, 2021, "district"), city_name="S"
    )
    assert later.jumps_of("A").empty  # a jump outside the years compared is not listed


def test_change_result_notes_say_why_areas_have_no_change():
    rows = [("A", 2018, "total", 100.0, ""), ("A", 2021, "total", 110.0, "")]
    rows += [("B", 2018, "total", 0.0, ""), ("B", 2021, "total", 40.0, "")]
    rows += [("A", 2021, "65_plus", 20.0, ""), ("B", 2021, "65_plus", 8.0, "")]
    population = pd.DataFrame(
        rows, columns=["district_id", "year", "group", "value", "missing_reason"]
    )
    total = change_result(
        population, MAPPING, params=ChangeParams("total", 2018, 2021, "district"), city_name="S"
    )
    # B starts at 0: no percentage for it, one area without a value
    assert total.notes == (Note.of("areas_without_value", n=1),)
    older = change_result(
        population, MAPPING, params=ChangeParams("65_plus", 2018, 2021, "district"), city_name="S"
    )
    assert older.notes == (
        Note.of("change_no_values", group="65_plus", missing=(2018,), years=(2021,)),
    )
    same = change_result(
        population, MAPPING, params=ChangeParams("65_plus", 2021, 2021, "district"), city_name="S"
    )
    assert same.notes == ()
