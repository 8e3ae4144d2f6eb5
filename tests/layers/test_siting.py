"""Siting: known optimum, greedy vs MCLP, exact newly covered counts, scenarios."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from scipy.sparse import csr_matrix

from layers.coverage import DistanceTable
from layers.errors import ParameterError
from layers.siting import (
    aggregate_to_cells,
    cover_matrix,
    greedy_max_cover,
    mclp_max_cover,
    propose_sites,
    scenario_coverage,
    site_places,
)

CRS = "EPSG:25832"


def clusters() -> tuple[np.ndarray, np.ndarray]:
    """Three resident clusters 5 km apart: 50, 30 and 20 people, each within 60 m of its centre."""
    rng = np.random.default_rng(5)
    centres = np.array([[0.0, 0.0], [5000.0, 0.0], [0.0, 5000.0]])
    sizes = [50, 30, 20]
    xy = np.vstack(
        [c + rng.uniform(-40, 40, size=(n, 2)) for c, n in zip(centres, sizes, strict=True)]
    )
    return xy, np.ones(len(xy))


@pytest.mark.parametrize("method", ["mclp", "greedy"])
def test_known_optimum_picks_the_largest_clusters(method):
    xy, w = clusters()
    dist = np.full(len(xy), np.inf)  # no facility yet
    result = propose_sites(xy, w, dist, radius_m=300, k=2, method=method)
    assert result.newly_covered.tolist() == [50.0, 30.0]
    assert result.covered_before == 0 and result.covered_after == 80
    assert np.hypot(*(result.xy[0] - [0, 0])) < 100
    assert np.hypot(*(result.xy[1] - [5000, 0])) < 100
    assert method in result.note


def test_already_covered_residents_are_not_counted_again():
    xy, w = clusters()
    dist = np.where(np.arange(len(xy)) < 50, 10.0, np.inf)  # the big cluster is covered
    result = propose_sites(xy, w, dist, radius_m=300, k=1, method="mclp")
    assert result.newly_covered.tolist() == [30.0]
    assert result.covered_before == 50 and result.covered_after == 80


def test_mclp_beats_greedy_where_greedy_is_suboptimal():
    # demand 0..5; candidate 0 covers the middle (gain 4), candidates 1 and 2 cover 3 each
    cover = csr_matrix(
        np.array(
            [
                [0, 1, 1, 1, 1, 0],
                [1, 1, 1, 0, 0, 0],
                [0, 0, 0, 1, 1, 1],
            ]
        )
    )
    demand = np.ones(6)
    assert greedy_max_cover(cover, demand, 2) == [0, 1]  # covers 5
    assert sorted(mclp_max_cover(cover, demand, 2)) == [1, 2]  # covers all 6


def test_fewer_sites_when_nothing_is_left_to_cover():
    xy = np.array([[0.0, 0.0], [10.0, 0.0]])
    result = propose_sites(xy, np.ones(2), np.full(2, np.inf), radius_m=200, k=3, method="greedy")
    assert len(result.xy) == 1
    assert result.newly_covered.tolist() == [2.0]


def test_aggregate_to_cells_keeps_the_weight_and_weighted_centroid():
    centre, weight = aggregate_to_cells(
        np.array([[1.0, 1.0], [3.0, 1.0], [15.0, 1.0]]), np.array([1.0, 3.0, 2.0]), cell_m=10
    )
    assert weight.tolist() == [4.0, 2.0]
    assert centre.tolist() == [[2.5, 1.0], [15.0, 1.0]]


@pytest.mark.parametrize(
    ("k", "method", "match"),
    [
        (0, "mclp", "k must be between"),
        (51, "greedy", "k must be between"),
        (2, "best", "unknown siting method"),
    ],
)
def test_bad_siting_parameters(k, method, match):
    with pytest.raises(ParameterError, match=match):
        propose_sites(np.zeros((1, 2)), np.ones(1), np.zeros(1), radius_m=100, k=k, method=method)


def test_scenario_coverage_before_and_after():
    res = gpd.GeoDataFrame(
        geometry=[shapely.Point(0, 0), shapely.Point(1000, 0), shapely.Point(2000, 0)], crs=CRS
    )
    fac = gpd.GeoDataFrame(
        {"category": ["care", "care"]},
        geometry=[shapely.Point(0, 0), shapely.Point(2000, 0)],
        crs=CRS,
    )
    table = DistanceTable(res, fac)
    w = np.array([10.0, 20.0, 30.0])
    added = scenario_coverage(
        table, w, category="care", radius_m=300, add_xy=np.array([[1200.0, 0.0]])
    )
    assert added["covered_before"] == 40 and added["covered_after"] == 60
    assert added["share_after"] == pytest.approx(1.0)
    removed = scenario_coverage(table, w, category="care", radius_m=300, remove=[1])
    assert removed["covered_after"] == 10


def test_sparse_mclp_equals_spopt_mclp():
    import warnings

    import pulp
    from spopt.locate import MCLP

    rng = np.random.default_rng(11)
    demand_xy = rng.random((120, 2)) * 3000
    cand_xy = rng.random((25, 2)) * 3000
    demand = rng.integers(1, 50, size=120).astype(float)
    cover = cover_matrix(cand_xy, demand_xy, radius_m=500)
    ours = mclp_max_cover(cover, demand, 4)
    cost = np.hypot(*(demand_xy[:, None, :] - cand_xy[None, :, :]).transpose(2, 0, 1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        model = MCLP.from_cost_matrix(cost, demand, service_radius=500, p_facilities=4)
        model = model.solve(pulp.PULP_CBC_CMD(msg=False))
    theirs = [j for j, var in enumerate(model.fac_vars) if var.varValue > 0.5]

    def covered(picks):
        return demand[np.asarray(cover[picks].sum(axis=0)).ravel() > 0].sum()

    assert covered(ours) == covered(theirs)
    assert covered(ours) >= covered(greedy_max_cover(cover, demand, 4))


def _true_optimum(xy, w, dist, *, radius_m, k, candidate_cell_m):
    """Brute force over every k-set of candidates, scored on the real resident points."""
    from itertools import combinations

    uncovered = dist > radius_m
    candidates, _ = aggregate_to_cells(xy[w > 0], w[w > 0], cell_m=candidate_cell_m)
    best = 0.0
    for sites in combinations(range(len(candidates)), k):
        gap = np.hypot(*(xy[:, None, :] - candidates[list(sites)][None, :, :]).transpose(2, 0, 1))
        hit = (gap <= radius_m + 1e-6).any(axis=1) & uncovered
        best = max(best, float(w[hit].sum()))
    return best


def pooled_trap() -> tuple[np.ndarray, np.ndarray]:
    """Two groups of 10 at x = 0 and x = 190 (one pooled cell, centroid 95) and 15 at x = 1000."""
    xy = np.array([[0.0, 0.0]] * 10 + [[190.0, 0.0]] * 10 + [[1000.0, 0.0]] * 15)
    return xy, np.ones(len(xy))


@pytest.mark.parametrize("demand_cell_m", [None, 400.0])
def test_default_equals_true_optimum_where_pooled_demand_misleads(demand_cell_m):
    xy, w = pooled_trap()
    dist = np.full(len(xy), np.inf)
    # Solving on the pooled cell alone picks a site at one group: it claims 20, really covers 10.
    candidates, _ = aggregate_to_cells(xy, w, cell_m=10.0)
    pooled_xy, pooled_w = aggregate_to_cells(xy, w, cell_m=400.0)
    pooled_pick = mclp_max_cover(cover_matrix(candidates, pooled_xy, radius_m=100), pooled_w, 1)
    real = cover_matrix(candidates[pooled_pick], xy, radius_m=100)
    assert w[np.asarray(real.sum(axis=0)).ravel() > 0].sum() == 10.0
    result = propose_sites(
        xy, w, dist, radius_m=100, k=1, candidate_cell_m=10.0, demand_cell_m=demand_cell_m
    )
    optimum = _true_optimum(xy, w, dist, radius_m=100, k=1, candidate_cell_m=10.0)
    assert optimum == 15.0
    assert result.covered_after - result.covered_before == optimum
    assert result.method == "mclp"
    assert result.solver in result.note and "real resident points" in result.note
    if demand_cell_m:
        assert result.solver == "greedy"  # the pooled MCLP lost and greedy's sites were returned


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_default_equals_brute_force_on_small_random_cases(seed):
    rng = np.random.default_rng(seed)
    xy = np.round(rng.random((40, 2)) * 1200, 1)
    w = rng.integers(1, 6, size=40).astype(float)
    dist = np.where(rng.random(40) < 0.2, 50.0, np.inf)
    result = propose_sites(xy, w, dist, radius_m=200, k=2, candidate_cell_m=150.0)
    optimum = _true_optimum(xy, w, dist, radius_m=200, k=2, candidate_cell_m=150.0)
    assert result.covered_after - result.covered_before == pytest.approx(optimum)
    greedy = propose_sites(xy, w, dist, radius_m=200, k=2, candidate_cell_m=150.0, method="greedy")
    assert result.covered_after >= greedy.covered_after


def test_notes_are_ids_with_parameters():
    """Renderers translate ids; the English sentence stays for the command line."""
    xy, w = clusters()
    dist = np.full(len(xy), np.inf)
    greedy = propose_sites(xy, w, dist, radius_m=300, k=2, method="greedy")
    (note,) = greedy.notes
    assert note.id == "siting_greedy"
    params = dict(note.params)
    assert params["k"] == 2 and params["bound"] == pytest.approx(0.75)
    assert params["cell_m"] == 75 and params["candidates"] > 0
    mclp = propose_sites(xy, w, dist, radius_m=300, k=2, method="mclp")
    assert mclp.notes[0].id in ("siting_mclp", "siting_greedy_won")
    assert dict(mclp.notes[0].params)["pooled_m"] is None


def test_site_places_name_district_and_nearest_address():
    districts = gpd.GeoDataFrame(
        {"id": ["1", "2"], "name": ["Altstadt", "Neustadt"]},
        geometry=[shapely.box(0, 0, 1000, 1000), shapely.box(1000, 0, 2000, 1000)],
        crs=25832,
    )
    addresses = gpd.GeoDataFrame(
        {"address": ["Marktplatz 1", "Ringstraße 7"]},
        geometry=shapely.points([[100, 100], [1900, 900]]),
        crs=25832,
    )
    sites = np.array([[130.0, 140.0], [1500.0, 500.0], [5000.0, 5000.0]])
    places = site_places(sites, districts=districts, addresses=addresses, max_address_m=200)
    assert places["district_name"].tolist() == ["Altstadt", "Neustadt", None]
    assert places["address"].tolist() == ["Marktplatz 1", None, None]
    assert places["address_m"].iloc[0] == pytest.approx(50.0)
    # a dataset without an address layer: the district still, no address
    bare = site_places(sites[:1], districts=districts, addresses=None)
    assert bare.loc[0, "district_name"] == "Altstadt" and bare.loc[0, "address"] is None
