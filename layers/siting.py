"""Siting and scenarios: where new facilities would cover the most uncovered residents.

Candidates are the centres (resident-weighted centroids) of the square grid cells in which
residents live (cell size ``candidate_cell_m``, default a quarter of the radius, at least 25 m),
so a proposed site is always where people live. Demand is the residents not covered today.

Two solvers:

``mclp`` (default)
    The best covering of the real resident points: the maximal covering location problem
    (Church & ReVelle 1974; the model of ``spopt.locate.MCLP``) solved exactly with the CBC
    solver bundled with PuLP on the uncovered resident points themselves (points covered by the
    same candidates are merged, which is lossless), with the ``max_candidates`` candidates of
    largest single-site gain offered; greedy over all candidates is computed as well and the
    choice that newly covers more real residents is returned (``SiteProposal.solver`` and the
    note say which). Demand pooled to cells (``demand_cell_m``) is only used when asked for: a
    pooled cell counts as covered or not as a whole, which can mislead the solver.
``greedy``
    Picks, k times, the candidate that newly covers the most residents. Coverage is a monotone
    submodular function, so greedy gets at least ``1 - (1 - 1/k)^k ≥ 1 - 1/e ≈ 63 %`` of the
    optimum (Nemhauser, Wolsey & Fisher 1978); in practice it is usually optimal or very close.

Whatever the solver, the reported ``newly_covered`` figures are recomputed exactly on the
resident points (each site's marginal gain in the order listed).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np
from scipy.sparse import csr_matrix
from scipy.spatial import cKDTree

from layers.coverage import (
    DISTANCE_TOLERANCE_M,
    DistanceTable,
    check_radius,
    coverage_counts,
    within_radius,
)
from layers.errors import ParameterError
from layers.results import Note

if TYPE_CHECKING:
    import geopandas as gpd
    import pandas as pd

SitingMethod = Literal["mclp", "greedy"]
SITING_METHODS: tuple[SitingMethod, ...] = ("mclp", "greedy")
MAX_SITES = 50
"""Largest number of sites proposed in one run."""
DEFAULT_MAX_CANDIDATES = 300
"""Candidates offered to the MCLP solver (those with the largest single-site gain)."""
GREEDY_BOUND = 1.0 - 1.0 / np.e
"""Worst-case share of the optimum reached by the greedy solver."""


@dataclass(frozen=True)
class SiteProposal:
    """Result of :func:`propose_sites`.

    Attributes
    ----------
    xy
        ``(k, 2)`` site coordinates in the metric CRS.
    newly_covered
        Residents newly covered by each site, in order (marginal gains).
    covered_before, covered_after
        Covered residents (weights) without and with the new sites.
    method
        Method asked for.
    note
        What the result guarantees (optimality or the greedy bound) and, for ``mclp``, which
        solver's choice was returned (an English sentence for the command line).
    solver
        Solver whose sites were returned (``"mclp"`` or ``"greedy"``; the ``mclp`` method may
        return greedy's sites when they cover more real residents).
    """

    xy: np.ndarray
    newly_covered: np.ndarray
    covered_before: float
    covered_after: float
    method: SitingMethod
    note: str
    solver: SitingMethod = "mclp"
    notes: tuple[Note, ...] = ()
    """The same as :attr:`note` as ids with parameters, for renderers that translate:
    ``siting_greedy`` (``bound``, ``k``, ``candidates``, ``cell_m``), ``siting_mclp`` and
    ``siting_greedy_won`` (``offered``, ``candidates``, ``cell_m``, ``pooled_m``: None for the
    real resident points)."""


def aggregate_to_cells(
    xy: np.ndarray, weights: np.ndarray, *, cell_m: float
) -> tuple[np.ndarray, np.ndarray]:
    """Sum weights over square cells; return each cell's weighted centroid and its weight.

    Cells with zero weight are dropped; a cell whose points all weigh 0 is placed at its points'
    plain mean.
    """
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    w = np.nan_to_num(np.asarray(weights, dtype=float), nan=0.0)
    if len(xy) == 0:
        return np.empty((0, 2)), np.empty(0)
    cells = np.floor(xy / cell_m).astype(np.int64)
    _, inverse = np.unique(cells, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    total = np.bincount(inverse, weights=w)
    count = np.bincount(inverse)
    cx = np.bincount(inverse, weights=w * xy[:, 0])
    cy = np.bincount(inverse, weights=w * xy[:, 1])
    mx = np.bincount(inverse, weights=xy[:, 0]) / count
    my = np.bincount(inverse, weights=xy[:, 1]) / count
    with np.errstate(divide="ignore", invalid="ignore"):
        centre = np.column_stack(
            [np.where(total > 0, cx / total, mx), np.where(total > 0, cy / total, my)]
        )
    return centre, total


def cover_matrix(candidate_xy: np.ndarray, demand_xy: np.ndarray, *, radius_m: float) -> csr_matrix:
    """Sparse 0/1 matrix ``candidates × demand``: 1 where the demand point is within the radius."""
    if len(candidate_xy) == 0 or len(demand_xy) == 0:
        return csr_matrix((len(candidate_xy), len(demand_xy)))
    pairs = cKDTree(candidate_xy).sparse_distance_matrix(
        cKDTree(demand_xy), radius_m + DISTANCE_TOLERANCE_M, output_type="ndarray"
    )
    return csr_matrix(
        (np.ones(len(pairs)), (pairs["i"], pairs["j"])), shape=(len(candidate_xy), len(demand_xy))
    )


def greedy_max_cover(cover: csr_matrix, demand: np.ndarray, k: int) -> list[int]:
    """Pick ``k`` rows of ``cover`` greedily by newly covered demand (ties: lowest index).

    Examples
    --------
    >>> m = csr_matrix(np.array([[1, 1, 0, 0], [0, 0, 1, 1], [0, 1, 1, 0]]))
    >>> greedy_max_cover(m, np.array([1.0, 1.0, 1.0, 5.0]), 2)
    [1, 0]
    """
    remaining = np.asarray(demand, dtype=float).copy()
    picks: list[int] = []
    cover = cover.tocsr()
    for _ in range(min(k, cover.shape[0])):
        gains = cover @ remaining
        if picks:
            gains[picks] = -1.0
        best = int(np.argmax(gains))
        if gains[best] <= 0:
            break
        picks.append(best)
        remaining[cover[best].indices] = 0.0
    return picks


def merge_equivalent_demand(cover: csr_matrix, demand: np.ndarray) -> tuple[csr_matrix, np.ndarray]:
    """Merge demand columns covered by exactly the same candidates; drop uncoverable ones.

    Lossless for the covering problem: any choice of candidates covers either all or none of the
    demand in a merged column. This shrinks the integer programme by an order of magnitude.

    Examples
    --------
    >>> m = csr_matrix(np.array([[1, 1, 0, 0], [0, 0, 1, 0]]))
    >>> merged, w = merge_equivalent_demand(m, np.array([1.0, 2.0, 4.0, 8.0]))
    >>> merged.toarray().tolist(), w.tolist()
    ([[1.0, 0.0], [0.0, 1.0]], [3.0, 4.0])
    """
    columns = cover.tocsc()
    columns.sort_indices()
    demand = np.asarray(demand, dtype=float)
    groups: dict[bytes, int] = {}
    group_of = np.full(columns.shape[1], -1, dtype=np.int64)
    for j in range(columns.shape[1]):
        rows = columns.indices[columns.indptr[j] : columns.indptr[j + 1]]
        if len(rows) == 0 or demand[j] <= 0:
            continue
        group_of[j] = groups.setdefault(rows.tobytes(), len(groups))
    keep = group_of >= 0
    n_groups = len(groups)
    weights = np.bincount(group_of[keep], weights=demand[keep], minlength=n_groups)
    representative = np.zeros(n_groups, dtype=np.int64)
    representative[group_of[keep][::-1]] = np.flatnonzero(keep)[::-1]
    merged = columns[:, representative].astype(float).tocsr()
    merged.data[:] = 1.0
    return merged, weights


def mclp_max_cover(cover: csr_matrix, demand: np.ndarray, k: int) -> list[int]:
    """Pick ``k`` rows of ``cover`` maximising covered demand exactly (MCLP, CBC via PuLP).

    The maximal covering location problem of Church & ReVelle (1974), the model of
    ``spopt.locate.MCLP``, written with sparse constraints: maximise ``Σ w_i y_i`` subject to
    ``y_i ≤ Σ_{j covers i} x_j`` and ``Σ x_j = k`` with binary ``x`` and ``y`` (spopt builds a dense
    candidates × demand product in Python, which takes seconds at city scale; a test checks
    that both give the same optimum).
    """
    import pulp

    n_candidates = cover.shape[0]
    k = min(k, n_candidates)
    if k == 0:
        return []
    merged, weights = merge_equivalent_demand(cover, demand)
    if merged.shape[1] == 0:
        return []
    columns = merged.tocsc()
    problem = pulp.LpProblem("mclp", pulp.LpMaximize)
    x = [problem.add_variable(f"x_{j}", 0, 1, pulp.LpBinary) for j in range(n_candidates)]
    y = [problem.add_variable(f"y_{i}", 0, 1, pulp.LpBinary) for i in range(columns.shape[1])]
    problem += pulp.LpAffineExpression([(y[i], float(w)) for i, w in enumerate(weights)])
    for i in range(columns.shape[1]):
        rows = columns.indices[columns.indptr[i] : columns.indptr[i + 1]]
        problem += pulp.LpAffineExpression([(x[j], 1.0) for j in rows] + [(y[i], -1.0)]) >= 0
    problem += pulp.LpAffineExpression([(v, 1.0) for v in x]) == k
    with warnings.catch_warnings():
        # PULP_CBC_CMD (the CBC bundled with PuLP, the only solver installed) is deprecated
        warnings.filterwarnings(
            "ignore", category=DeprecationWarning, message="PULP_CBC_CMD is deprecated"
        )
        problem.solve(pulp.PULP_CBC_CMD(msg=False))
    if pulp.LpStatus[problem.status] != "Optimal":
        raise ParameterError(f"the MCLP solver ended with status {pulp.LpStatus[problem.status]}")
    chosen = [j for j, var in enumerate(x) if (var.varValue or 0) > 0.5]
    # list the chosen sites by marginal gain, as greedy would
    ordered = [chosen[i] for i in greedy_max_cover(cover[chosen], demand, len(chosen))]
    return ordered + [c for c in chosen if c not in ordered]


def propose_sites(
    resident_xy: np.ndarray,
    weights: np.ndarray,
    distances_m: np.ndarray,
    *,
    radius_m: float,
    k: int,
    method: SitingMethod = "mclp",
    candidate_cell_m: float | None = None,
    demand_cell_m: float | None = None,
    max_candidates: int = DEFAULT_MAX_CANDIDATES,
) -> SiteProposal:
    """Propose ``k`` sites that newly cover the most residents within ``radius_m`` (Euclidean).

    Parameters
    ----------
    resident_xy
        Resident point coordinates (metric CRS).
    weights
        Residents per point.
    distances_m
        Each point's current distance to the nearest facility of the category.
    radius_m
        Walking radius (inclusive).
    k
        Number of sites (1 … 50).
    method
        ``"mclp"`` (best of exact MCLP and greedy on the real resident points) or ``"greedy"``.
    candidate_cell_m
        Grid cell size of the candidates; see the module docstring.
    demand_cell_m
        MCLP only: pool the uncovered residents to cells of this size before solving (faster,
        may mislead; the result is still scored on the real points). Default: no pooling.
    max_candidates
        MCLP only: candidates offered to the solver.

    Returns
    -------
    SiteProposal

    Raises
    ------
    ParameterError
        For k outside 1 … 50 or an unknown method.
    """
    radius = check_radius(radius_m)
    if not 1 <= int(k) <= MAX_SITES:
        raise ParameterError(f"k must be between 1 and {MAX_SITES}, got {k!r}")
    if method not in SITING_METHODS:
        raise ParameterError(f"unknown siting method {method!r}; valid: mclp, greedy")
    k = int(k)
    xy = np.asarray(resident_xy, dtype=float).reshape(-1, 2)
    w = np.nan_to_num(np.asarray(weights, dtype=float), nan=0.0)
    dist = np.asarray(distances_m, dtype=float)
    covered_mask = within_radius(dist, radius)
    covered_before = float(w[covered_mask].sum())
    uncovered = ~covered_mask & (w > 0)
    cand_cell = candidate_cell_m or max(radius / 4.0, 25.0)
    candidates, _ = aggregate_to_cells(xy[w > 0], w[w > 0], cell_m=cand_cell)
    demand_xy, demand_w = xy[uncovered], w[uncovered]
    picks: list[int]
    solver: SitingMethod = method
    if method == "greedy":
        cover = cover_matrix(candidates, demand_xy, radius_m=radius)
        picks = greedy_max_cover(cover, demand_w, k)
        bound = 1.0 - (1.0 - 1.0 / k) ** k
        note = (
            f"greedy: at least {bound:.1%} of the best possible newly covered residents "
            f"(1 - (1 - 1/k)^k, k = {k}); candidates = {len(candidates)} cells of {cand_cell:.0f} m"
        )
        notes = (
            Note.of(
                "siting_greedy",
                bound=round(bound, 4),
                k=k,
                candidates=len(candidates),
                cell_m=round(cand_cell),
            ),
        )
    else:
        picks, solver, note, notes = _best_covering(
            candidates,
            demand_xy,
            demand_w,
            radius=radius,
            k=k,
            cand_cell=cand_cell,
            demand_cell_m=demand_cell_m,
            max_candidates=max_candidates,
        )
    site_xy = candidates[picks] if picks else np.empty((0, 2))
    newly = _marginal_gains(site_xy, demand_xy, demand_w, radius)
    return SiteProposal(
        xy=site_xy,
        newly_covered=newly,
        covered_before=covered_before,
        covered_after=covered_before + float(newly.sum()),
        method=method,
        note=note,
        solver=solver,
        notes=notes,
    )


def _best_covering(
    candidates: np.ndarray,
    demand_xy: np.ndarray,
    demand_w: np.ndarray,
    *,
    radius: float,
    k: int,
    cand_cell: float,
    demand_cell_m: float | None,
    max_candidates: int,
) -> tuple[list[int], SitingMethod, str, tuple[Note, ...]]:
    """The default method: exact MCLP and greedy, both scored on the real resident points.

    The MCLP is solved on the real uncovered resident points (merged losslessly where the same
    candidates cover them), or on demand pooled to ``demand_cell_m`` cells if that is given.
    Pooled demand can mislead (a pooled cell counts as covered or not as a whole), and only the
    ``max_candidates`` best candidates are offered to the solver, so greedy over all candidates
    is computed too; the choice that covers more real residents is returned (ties: MCLP).
    """
    if demand_cell_m:
        solve_xy, solve_w = aggregate_to_cells(demand_xy, demand_w, cell_m=demand_cell_m)
        pooled = f"uncovered residents pooled to {demand_cell_m:.0f} m cells"
    else:
        solve_xy, solve_w = demand_xy, demand_w
        pooled = "the uncovered resident points"
    full = cover_matrix(candidates, solve_xy, radius_m=radius)
    gains = full @ solve_w
    order = np.lexsort((np.arange(len(gains)), -gains))
    offered = order[: max(max_candidates, k)]
    offered = offered[gains[offered] > 0]
    picks_local = mclp_max_cover(full[offered], solve_w, k) if len(offered) else []
    mclp_picks = [int(offered[i]) for i in picks_local]
    exact = full if not demand_cell_m else cover_matrix(candidates, demand_xy, radius_m=radius)
    greedy_picks = greedy_max_cover(exact, demand_w, k)
    mclp_total = _covered_total(candidates[mclp_picks], demand_xy, demand_w, radius)
    greedy_total = _covered_total(candidates[greedy_picks], demand_xy, demand_w, radius)
    setting = f"the {len(offered)} best of {len(candidates)} candidate cells of {cand_cell:.0f} m"
    facts = {
        "offered": len(offered),
        "candidates": len(candidates),
        "cell_m": round(cand_cell),
        "pooled_m": round(demand_cell_m) if demand_cell_m else None,
    }
    if greedy_total > mclp_total + 1e-9:
        return (
            greedy_picks,
            "greedy",
            (
                f"best of mclp and greedy on the real resident points: greedy "
                f"({greedy_total:,.1f} newly covered) beat mclp (CBC, optimal for {pooled} and "
                f"{setting}: {mclp_total:,.1f})"
            ),
            (Note.of("siting_greedy_won", **facts),),
        )
    return (
        mclp_picks,
        "mclp",
        (
            f"best of mclp and greedy on the real resident points: mclp (CBC), optimal for "
            f"{pooled} and {setting} ({mclp_total:,.1f} newly covered; greedy {greedy_total:,.1f})"
        ),
        (Note.of("siting_mclp", **facts),),
    )


def _covered_total(
    site_xy: np.ndarray, demand_xy: np.ndarray, demand_w: np.ndarray, radius: float
) -> float:
    return float(_marginal_gains(site_xy, demand_xy, demand_w, radius).sum())


def _marginal_gains(
    site_xy: np.ndarray, demand_xy: np.ndarray, demand_w: np.ndarray, radius: float
) -> np.ndarray:
    remaining = demand_w.copy()
    gains = np.zeros(len(site_xy))
    if len(site_xy) == 0 or len(demand_xy) == 0:
        return gains
    tree = cKDTree(demand_xy)
    for i, point in enumerate(site_xy):
        hit = np.asarray(
            tree.query_ball_point(point, radius + DISTANCE_TOLERANCE_M), dtype=np.int64
        )
        gains[i] = remaining[hit].sum()
        remaining[hit] = 0.0
    return gains


def scenario_coverage(
    table: DistanceTable,
    weights: np.ndarray,
    *,
    category: str,
    radius_m: float,
    add_xy: np.ndarray | None = None,
    remove: np.ndarray | list[int] | None = None,
) -> dict[str, float]:
    """Covered residents before and after adding and/or removing facilities of a category.

    Adding reuses the table's distances (``min(old, distance to new)``); removing recomputes the
    category without the removed rows.

    Returns
    -------
    dict
        ``residents``, ``covered_before``, ``covered_after``, ``share_before``, ``share_after``
        (over all resident points with a weight).
    """
    radius = check_radius(radius_m)
    before = table.distances_m(category)
    after = table.scenario_distances_m(category, add_xy=add_xy, remove=remove)
    # the whole city as one area: the same counting as every coverage table
    city = np.zeros(table.n_residents, dtype=np.int64)
    (total,), (covered_before,) = coverage_counts(before, weights, city, n_areas=1, radius_m=radius)
    _, (covered_after,) = coverage_counts(after, weights, city, n_areas=1, radius_m=radius)
    total, covered_before, covered_after = float(total), float(covered_before), float(covered_after)
    return {
        "residents": total,
        "covered_before": covered_before,
        "covered_after": covered_after,
        "share_before": covered_before / total if total > 0 else float("nan"),
        "share_after": covered_after / total if total > 0 else float("nan"),
    }


def site_places(
    xy: np.ndarray,
    *,
    districts: gpd.GeoDataFrame,
    addresses: gpd.GeoDataFrame | None,
    max_address_m: float | None = None,
) -> pd.DataFrame:
    """Where proposed sites are, in words: the district and the nearest address of each.

    Parameters
    ----------
    xy
        ``(n, 2)`` site coordinates in the districts' (metric) CRS.
    districts
        Districts with ``id`` and ``name``.
    addresses
        Address points (``address``) in the same CRS, or None when the dataset has none.
    max_address_m
        An address farther than this is not named (default
        :data:`layers.geocode.NEAREST_ADDRESS_MAX_M`).

    Returns
    -------
    pandas.DataFrame
        One row per site: ``district_id``, ``district_name`` (None outside every district),
        ``address`` and ``address_m`` (distance to it; None when there is no address layer or
        none within ``max_address_m``).
    """
    import pandas as pd

    from layers.boundaries import district_positions
    from layers.geocode import NEAREST_ADDRESS_MAX_M, nearest_addresses

    points = np.asarray(xy, dtype=float).reshape(-1, 2)
    positions = district_positions(points[:, 0], points[:, 1], districts)
    ids = districts["id"].astype(str).to_numpy(dtype=object)
    names = districts["name"].astype(str).to_numpy(dtype=object)
    limit = NEAREST_ADDRESS_MAX_M if max_address_m is None else max_address_m
    near = (
        nearest_addresses(addresses, points, max_m=limit)
        if addresses is not None and len(addresses)
        else [None] * len(points)
    )
    # object columns: a missing place stays None (a string dtype would turn it into NaN)
    return pd.DataFrame(
        {
            "district_id": pd.Series([ids[p] if p >= 0 else None for p in positions], dtype=object),
            "district_name": pd.Series(
                [names[p] if p >= 0 else None for p in positions], dtype=object
            ),
            "address": pd.Series([n[0] if n else None for n in near], dtype=object),
            "address_m": pd.Series([n[1] if n else None for n in near], dtype=object),
        }
    )


__all__ = [
    "GREEDY_BOUND",
    "MAX_SITES",
    "SITING_METHODS",
    "SiteProposal",
    "aggregate_to_cells",
    "cover_matrix",
    "greedy_max_cover",
    "mclp_max_cover",
    "propose_sites",
    "scenario_coverage",
    "site_places",
]
