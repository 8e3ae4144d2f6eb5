"""2SFCA: hand-checked values and equality with PySAL access on the same input."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from layers.coverage import DistanceTable, area_index
from layers.supply import facility_capacity, resident_access, supply_table, two_step_fca

CRS = "EPSG:25832"


def test_two_step_fca_by_hand():
    # residents 10 at (0,0) and 30 at (1000,0); facility A (cap 2) at (500,0) reaches both,
    # facility B (cap 3) at (1600,0) reaches only the second within 700 m
    res = gpd.GeoDataFrame(geometry=[shapely.Point(0, 0), shapely.Point(1000, 0)], crs=CRS)
    fac = gpd.GeoDataFrame(
        {"category": ["care", "care"], "capacity": [2.0, 3.0]},
        geometry=[shapely.Point(500, 0), shapely.Point(1600, 0)],
        crs=CRS,
    )
    table = DistanceTable(res, fac)
    got = resident_access(
        table, np.array([10.0, 30.0]), facility_capacity(fac), category="care", radius_m=700
    )
    # R_A = 2 / 40, R_B = 3 / 30
    np.testing.assert_allclose(got, [2 / 40, 2 / 40 + 3 / 30])


def test_missing_capacity_counts_one():
    frame = pd.DataFrame({"capacity": [2.0, np.nan, None]})
    assert facility_capacity(frame).tolist() == [2.0, 1.0, 1.0]
    assert facility_capacity(pd.DataFrame({"x": [1, 2]})).tolist() == [1.0, 1.0]


@pytest.fixture
def random_city():
    """60 demand points and 8 facilities with capacities in a 3 km square (seeded)."""
    rng = np.random.default_rng(44)
    res_xy = rng.random((60, 2)) * 3000
    fac_xy = rng.random((8, 2)) * 3000
    demand = rng.integers(1, 500, size=60).astype(float)
    capacity = rng.integers(1, 10, size=8).astype(float)
    return res_xy, fac_xy, demand, capacity


def test_equals_pysal_access_two_stage_fca(random_city):
    from access import Access

    res_xy, fac_xy, demand, capacity = random_city
    radius = 900.0
    res = gpd.GeoDataFrame(geometry=gpd.points_from_xy(*res_xy.T), crs=CRS)
    fac = gpd.GeoDataFrame(
        {"category": ["care"] * len(fac_xy), "capacity": capacity},
        geometry=gpd.points_from_xy(*fac_xy.T),
        crs=CRS,
    )
    ours = resident_access(
        DistanceTable(res, fac), demand, capacity, category="care", radius_m=radius
    )

    dist = np.hypot(
        res_xy[:, None, 0] - fac_xy[None, :, 0], res_xy[:, None, 1] - fac_xy[None, :, 1]
    )
    cost = pd.DataFrame(
        {
            "origin": np.repeat(np.arange(len(res_xy)), len(fac_xy)),
            "dest": np.tile(np.arange(len(fac_xy)), len(res_xy)),
            "cost": dist.ravel(),
        }
    )
    demand_df = pd.DataFrame({"pop": demand}, index=pd.Index(np.arange(len(res_xy)), name="geoid"))
    supply_df = pd.DataFrame(
        {"cap": capacity}, index=pd.Index(np.arange(len(fac_xy)), name="geoid")
    )
    model = Access(
        demand_df=demand_df,
        demand_index=True,
        demand_value="pop",
        supply_df=supply_df,
        supply_index=True,
        supply_value="cap",
        cost_df=cost,
        cost_origin="origin",
        cost_dest="dest",
        cost_name="cost",
    )
    theirs = model.two_stage_fca(name="2sfca", max_cost=radius)["2sfca_cap"].reindex(
        demand_df.index
    )
    reached = theirs.notna().to_numpy()
    assert reached.sum() > 20 and (~reached).sum() > 0  # the case exercises both
    np.testing.assert_allclose(ours[reached], theirs.to_numpy()[reached], rtol=0, atol=1e-6)
    assert np.all(ours[~reached] == 0)


def test_supply_table_weighted_mean_per_1000(random_city):
    res_xy, fac_xy, demand, capacity = random_city
    res = gpd.GeoDataFrame(
        {"district_id": ["a"] * 30 + ["b"] * 30}, geometry=gpd.points_from_xy(*res_xy.T), crs=CRS
    )
    fac = gpd.GeoDataFrame(
        {"category": ["care"] * 8, "capacity": capacity},
        geometry=gpd.points_from_xy(*fac_xy.T),
        crs=CRS,
    )
    mapping = pd.DataFrame(
        {"district_id": ["a", "b"], "area_id": ["a", "b"], "area_name": ["A", "B"]}
    )
    table = DistanceTable(res, fac)
    frame = supply_table(
        table,
        demand,
        capacity,
        area_index(res["district_id"], mapping),
        categories=["care"],
        radius_m=900,
        city_name="S",
        facility_area_codes=np.array([0, 0, 1, 1, -1, 0, 1, 1]),
    )
    access_i = resident_access(table, demand, capacity, category="care", radius_m=900)
    expected_a = (demand[:30] * access_i[:30]).sum() / demand[:30].sum() * 1000
    assert frame.loc[0, "ratio_per_1000"] == pytest.approx(expected_a)
    assert frame["area_id"].tolist() == ["a", "b", "ALL"]
    assert frame["capacity_within_area"].tolist() == [
        capacity[[0, 1, 5]].sum(),
        capacity[[2, 3, 6, 7]].sum(),
        capacity[[0, 1, 2, 3, 5, 6, 7]].sum(),
    ]
    # total capacity used = sum over residents of demand × access: every facility with demand
    # in reach hands out exactly its capacity
    assert (demand * access_i).sum() <= capacity.sum() + 1e-9


def test_facility_without_demand_in_reach_serves_nobody():
    # demand point 1 has weight 0 and is the only one facility 1 reaches
    got = two_step_fca(
        np.array([5.0, 0.0]), np.array([1.0, 4.0]), np.array([0, 1]), np.array([0, 1])
    )
    assert got.tolist() == [0.2, 0.0]


def test_dataset_supply_on_the_grid_dataset(grid_dataset):
    from layers.dataset import load_dataset
    from layers.supply import dataset_supply

    dataset = load_dataset(grid_dataset)
    frame = dataset_supply(dataset, categories="care", radius_m=500, year=2021)
    assert frame["area_id"].tolist() == ["0101", "0102", "0201", "0202", "ALL"]
    care = frame.set_index("area_id")
    # one care home (capacity 1) in 0202 reaches 80 of its 100 grid points (320 residents):
    # each of them gets 1/320; 0202's mean is 0.8 / 320, i.e. 2.5 per 1,000
    assert care.loc["0202", "ratio_per_1000"] == pytest.approx(2.5)
    assert care.loc["0101", "ratio_per_1000"] == 0
    assert care.loc["ALL", "ratio_per_1000"] == pytest.approx(1000 / 1100)
    assert care["capacity_within_area"].tolist() == [0.0, 0.0, 0.0, 1.0, 1.0]
