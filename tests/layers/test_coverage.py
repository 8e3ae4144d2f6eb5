"""Coverage: distances computed once, bincount aggregation, analytic cases, bad input."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

import layers.coverage as coverage_module
from layers.coverage import (
    AreaIndex,
    DistanceTable,
    area_index,
    check_categories,
    check_radius,
    coverage_counts,
    coverage_table,
    dataset_coverage,
    outside_residents,
)
from layers.errors import CatalogueError, CrsError, MissingColumnError, ParameterError

CRS = "EPSG:25832"
X0, Y0 = 455_000.0, 5_425_000.0


def grid_residents(
    n: int = 10, step: float = 100.0, x0: float = X0, y0: float = Y0
) -> gpd.GeoDataFrame:
    """Residents at the centres of an n×n grid of step-metre cells in one square district 'A'."""
    offsets = (np.arange(n) + 0.5) * step
    xx, yy = np.meshgrid(x0 + offsets, y0 + offsets)
    return gpd.GeoDataFrame(
        {"district_id": ["A"] * n * n, "base_weight": np.ones(n * n)},
        geometry=gpd.points_from_xy(xx.ravel(), yy.ravel()),
        crs=CRS,
    )


def facilities(rows: list[tuple[str, float, float]], crs: str = CRS) -> gpd.GeoDataFrame:
    """Facilities from (category, x, y) tuples."""
    return gpd.GeoDataFrame(
        {
            "id": [f"f{i}" for i in range(len(rows))],
            "name": [f"F{i}" for i in range(len(rows))],
            "category": [r[0] for r in rows],
        },
        geometry=[shapely.Point(r[1], r[2]) for r in rows],
        crs=crs,
    )


MAPPING_A = pd.DataFrame({"district_id": ["A"], "area_id": ["A"], "area_name": ["Alpha"]})


@pytest.mark.parametrize("radius", [50.0, 100.0, 150.0, 250.0, 333.0, 500.0, 640.0, 800.0])
def test_square_district_grid_residents_facility_in_the_middle(radius):
    residents = grid_residents()
    table = DistanceTable(residents, facilities([("meeting", X0 + 500, Y0 + 500)]))
    weights = np.ones(len(residents))
    frame = coverage_table(
        table,
        weights,
        area_index(residents["district_id"], MAPPING_A),
        categories=["meeting"],
        radius_m=radius,
        city_name="Stadt",
    )
    # grid centres lie at ±50, ±150, … ±450 m from the middle in x and y
    offsets = np.arange(-450, 451, 100.0)
    expected = sum(1 for dx in offsets for dy in offsets if dx * dx + dy * dy <= radius * radius)
    row = frame.iloc[0]
    assert (row.category, row.area_id, row.area_name) == ("meeting", "A", "Alpha")
    assert row.residents == 100
    assert row.covered == expected
    assert row.share == pytest.approx(expected / 100)
    assert frame.iloc[1].area_id == "ALL" and frame.iloc[1].area_name == "Stadt"


def test_points_exactly_at_the_radius_are_covered():
    res = gpd.GeoDataFrame(
        geometry=[shapely.Point(300, 400), shapely.Point(500, 0), shapely.Point(0, -500.001)],
        crs=CRS,
    )
    table = DistanceTable(res, facilities([("care", 0, 0)]))
    d = table.distances_m("care")
    assert d.tolist()[:2] == [500.0, 500.0]
    _, covered = coverage_counts(d, np.ones(3), np.zeros(3, dtype=int), n_areas=1, radius_m=500)
    assert covered[0] == 2


def test_category_without_facilities_has_share_zero():
    residents = grid_residents(n=2)
    table = DistanceTable(residents, facilities([("meeting", X0, Y0)]))
    frame = coverage_table(
        table,
        np.ones(4),
        area_index(residents["district_id"], MAPPING_A),
        categories=["care", "meeting"],
        radius_m=500,
        city_name="Stadt",
    )
    care = frame[frame.category == "care"]
    assert care["covered"].tolist() == [0.0, 0.0]
    assert care["share"].tolist() == [0.0, 0.0]
    assert np.isinf(table.distances_m("care")).all()
    assert "care" not in table.categories


def test_facility_outside_all_districts_still_serves_residents():
    residents = grid_residents(n=10)
    # 50 m west of the district's western edge
    table = DistanceTable(residents, facilities([("meeting", X0 - 50, Y0 + 500)]))
    frame = coverage_table(
        table,
        np.ones(100),
        area_index(residents["district_id"], MAPPING_A),
        categories=["meeting"],
        radius_m=200,
        city_name="Stadt",
    )
    assert frame.iloc[0].covered > 0


def test_residents_outside_all_districts_are_ignored_and_reported():
    inside = grid_residents(n=2)
    outside = gpd.GeoDataFrame(
        {"district_id": [pd.NA, "Z"], "base_weight": [1.0, 1.0]},
        geometry=[shapely.Point(X0 + 50, Y0 + 50), shapely.Point(X0 + 60, Y0 + 60)],
        crs=CRS,
    )
    residents = pd.concat([inside, outside], ignore_index=True)
    weights = np.array([1.0, 1.0, 1.0, 1.0, 7.0, 9.0])
    index = area_index(residents["district_id"], MAPPING_A)
    assert index.codes.tolist() == [0, 0, 0, 0, -1, -1]
    assert outside_residents(index, weights) == (2, 16.0)
    table = DistanceTable(residents, facilities([("meeting", X0 + 50, Y0 + 50)]))
    frame = coverage_table(
        table, weights, index, categories=["meeting"], radius_m=1000, city_name="S"
    )
    assert frame["residents"].tolist() == [4.0, 4.0]


def test_planning_areas_sum_their_districts_in_districts_order():
    res = gpd.GeoDataFrame(
        {"district_id": ["d1", "d2", "d3", "d3"]},
        geometry=[
            shapely.Point(0, 0),
            shapely.Point(1000, 0),
            shapely.Point(2000, 0),
            shapely.Point(5000, 0),
        ],
        crs=CRS,
    )
    mapping = pd.DataFrame(
        {
            "district_id": ["d1", "d2", "d3"],
            "area_id": ["P2", "P1", "P2"],
            "area_name": ["Zwei", "Eins", "Zwei"],
        }
    )
    index = area_index(res["district_id"], mapping)
    assert index.areas["area_id"].tolist() == ["P2", "P1"]
    table = DistanceTable(res, facilities([("care", 0, 0)]))
    frame = coverage_table(
        table,
        np.array([1.0, 2.0, 3.0, 4.0]),
        index,
        categories=["care"],
        radius_m=2000,
        city_name="S",
    )
    assert frame["area_id"].tolist() == ["P2", "P1", "ALL"]
    assert frame["residents"].tolist() == [8.0, 2.0, 10.0]
    assert frame["covered"].tolist() == [4.0, 2.0, 6.0]
    assert frame["share"].tolist() == pytest.approx([0.5, 1.0, 0.6])


def test_area_without_residents_has_empty_share():
    index = AreaIndex(
        codes=np.array([0, 0]), areas=pd.DataFrame({"area_id": ["A", "B"], "area_name": ["a", "b"]})
    )
    res = gpd.GeoDataFrame(geometry=[shapely.Point(0, 0), shapely.Point(1, 0)], crs=CRS)
    table = DistanceTable(res, facilities([("care", 0, 0)]))
    frame = coverage_table(
        table, np.ones(2), index, categories=["care"], radius_m=10, city_name="S"
    )
    assert np.isnan(frame.iloc[1].share)
    assert frame.iloc[1].residents == 0


def test_radius_year_group_or_level_changes_do_not_recompute_distances(monkeypatch):
    calls = []
    original = coverage_module.nearest_euclidean

    def counting(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(coverage_module, "nearest_euclidean", counting)
    residents = grid_residents()
    table = DistanceTable(residents, facilities([("care", X0, Y0), ("meeting", X0 + 900, Y0)]))
    index = area_index(residents["district_id"], MAPPING_A)
    for radius in (100, 300, 500, 900):
        for weights in (np.ones(100), np.arange(100.0)):
            coverage_table(
                table,
                weights,
                index,
                categories=["care", "meeting"],
                radius_m=radius,
                city_name="S",
            )
    assert len(calls) == 2  # once per category


def test_detour_factor_scales_euclidean_distances():
    res = gpd.GeoDataFrame(geometry=[shapely.Point(0, 400)], crs=CRS)
    fac = facilities([("care", 0, 0)])
    assert DistanceTable(res, fac, detour_factor=1.3).distances_m("care")[0] == pytest.approx(520)
    with pytest.raises(ParameterError, match="detour factor must be ≥ 1"):
        DistanceTable(res, fac, detour_factor=0.8)


def test_scenario_adds_by_minimum_and_removes_by_recomputing():
    res = gpd.GeoDataFrame(
        geometry=[shapely.Point(0, 0), shapely.Point(1000, 0), shapely.Point(2000, 0)], crs=CRS
    )
    table = DistanceTable(res, facilities([("care", 0, 0), ("meeting", 5, 5), ("care", 2000, 0)]))
    assert table.distances_m("care").tolist() == [0, 1000, 0]
    added = table.scenario_distances_m("care", add_xy=np.array([[1100.0, 0.0]]))
    assert added.tolist() == [0, 100, 0]
    removed = table.scenario_distances_m("care", remove=[2])
    assert removed.tolist() == [0, 1000, 2000]
    both = table.scenario_distances_m("care", add_xy=np.array([[1900.0, 0.0]]), remove=[0, 2])
    assert both.tolist() == [1900, 900, 100]
    with pytest.raises(ParameterError, match="not of category 'care'"):
        table.scenario_distances_m("care", remove=[1])
    assert table.distances_m("care").tolist() == [0, 1000, 0]  # the cache is untouched


def test_layers_in_different_crs_are_rejected():
    residents = grid_residents(n=2)
    wgs = facilities([("care", 8.4, 49.0)], crs="EPSG:4326")
    with pytest.raises(CrsError, match="distances need a projected CRS"):
        DistanceTable(residents, wgs)
    other = facilities([("care", 3_455_000, 5_425_000)], crs="EPSG:31467")
    with pytest.raises(
        CrsError, match="`facilities` has CRS EPSG:31467 but `residents` has EPSG:25832"
    ):
        DistanceTable(residents, other)
    with pytest.raises(CrsError, match="has no CRS"):
        DistanceTable(residents.set_crs(None, allow_override=True), facilities([("care", 0, 0)]))


def test_missing_category_column_and_network_mode_without_network():
    residents = grid_residents(n=2)
    with pytest.raises(MissingColumnError, match="`category`"):
        DistanceTable(residents, facilities([("care", 0, 0)]).drop(columns="category"))
    with pytest.raises(ParameterError, match="needs a walking network"):
        DistanceTable(residents, facilities([("care", 0, 0)]), distance="network")
    with pytest.raises(ParameterError, match="unknown distance mode 'bus'"):
        DistanceTable(residents, facilities([("care", 0, 0)]), distance="bus")


@pytest.mark.parametrize("radius", [0, -5, 20_000.5, float("nan"), "abc"])
def test_bad_radius(radius):
    with pytest.raises(ParameterError, match="radius must be"):
        check_radius(radius)


def test_radius_limits_are_inclusive_at_20_km():
    assert check_radius(20_000) == 20_000.0


def test_unknown_category_lists_the_valid_ones():
    valid = ["meeting", "counselling", "care"]
    assert check_categories("all", valid) == valid
    assert check_categories("care,meeting", valid) == ["care", "meeting"]
    with pytest.raises(
        CatalogueError,
        match=r"unknown category 'kare'.*valid categories: meeting, counselling, care",
    ):
        check_categories("kare", valid)


def test_dataset_coverage_on_the_grid_dataset(grid_dataset):
    from layers.dataset import load_dataset

    dataset = load_dataset(grid_dataset)
    frame = dataset_coverage(dataset, categories="all", radius_m=500, year=2021)
    assert list(frame.columns) == [
        "category",
        "area_id",
        "area_name",
        "residents",
        "covered",
        "share",
    ]
    assert frame["category"].unique().tolist() == [
        "meeting",
        "counselling",
        "care",
        "participation",
        "network",
    ]
    assert frame["area_id"].tolist()[:5] == ["0101", "0102", "0201", "0202", "ALL"]
    # fallback grid: 100 points per 1 km² district at 100 m cell centres; 80 lie within 500 m of
    # the district's centre, where each of the three facilities stands
    meeting = frame[frame.category == "meeting"].set_index("area_id")
    assert meeting.loc["0101", "residents"] == pytest.approx(150)
    assert meeting.loc["0101", "share"] == pytest.approx(0.8)
    assert meeting.loc["ALL", "covered"] == pytest.approx(120)
    older = dataset_coverage(dataset, categories=["care"], radius_m=500, group="65_plus")
    assert older.set_index("area_id").loc["0202", "covered"] == pytest.approx(32)


def test_prime_seeds_stored_distances_without_computing(monkeypatch):
    residents = grid_residents(n=2)
    table = DistanceTable(residents, facilities([("care", X0, Y0)]))
    monkeypatch.setattr(coverage_module, "nearest_euclidean", lambda *a: pytest.fail("recomputed"))
    table.prime("care", np.array([1.0, 2.0, 3.0, 4.0]))
    assert table.distances_m("care").tolist() == [1.0, 2.0, 3.0, 4.0]
    with pytest.raises(ParameterError, match=r"expected \(4,\)"):
        table.prime("care", np.zeros(3))


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n_fac=st.integers(0, 6),
    radii=st.lists(st.floats(1.0, 3000.0), min_size=2, max_size=4),
)
def test_shares_stay_in_0_1_and_grow_with_the_radius(seed, n_fac, radii):
    rng = np.random.default_rng(seed)
    res = gpd.GeoDataFrame(
        {"district_id": rng.choice(["A", "B"], size=50)},
        geometry=gpd.points_from_xy(*(rng.random((2, 50)) * 2000)),
        crs=CRS,
    )
    fac = facilities([("care", *(rng.random(2) * 2000)) for _ in range(n_fac)])
    mapping = pd.DataFrame(
        {"district_id": ["A", "B"], "area_id": ["A", "B"], "area_name": ["a", "b"]}
    )
    table = DistanceTable(res, fac)
    index = area_index(res["district_id"], mapping)
    weights = rng.random(50) * 10
    previous = None
    for radius in sorted(radii):
        frame = coverage_table(
            table, weights, index, categories=["care"], radius_m=radius, city_name="S"
        )
        shares = frame["share"].dropna().to_numpy()
        assert np.all((shares >= 0) & (shares <= 1 + 1e-12))
        if previous is not None:
            assert np.all(frame["covered"].to_numpy() >= previous - 1e-9)
        previous = frame["covered"].to_numpy()


def test_points_without_coordinates_are_rejected():
    residents = gpd.GeoDataFrame(geometry=[shapely.Point(0, 0), shapely.Point()], crs=CRS)
    with pytest.raises(
        ParameterError, match=r"`residents` must be points with coordinates; 1 feature"
    ):
        DistanceTable(residents, facilities([("care", 0, 0)]))
    lines = gpd.GeoDataFrame(
        {"category": ["care"]}, geometry=[shapely.LineString([(0, 0), (1, 1)])], crs=CRS
    )
    with pytest.raises(ParameterError, match="`facilities` must be points"):
        DistanceTable(residents.iloc[:1], lines)
