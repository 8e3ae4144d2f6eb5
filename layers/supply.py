"""Supply and demand: the two-step floating catchment area (2SFCA) ratio per resident and area.

Step 1: every facility ``j`` gets the ratio ``R_j = S_j / Σ D_i`` of its capacity ``S_j`` to the
residents ``D_i`` within the radius. Step 2: every resident point ``i`` sums ``R_j`` over the
facilities within the radius: ``A_i = Σ R_j``. An area's value is the resident-weighted mean of
``A_i``, reported per 1,000 residents. This equals PySAL ``access``'s ``two_stage_fca`` on the
same input (checked by a test); there, resident points outside every catchment get NaN, here 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from layers.coverage import (
    ALL_AREAS_ID,
    AreaIndex,
    DistanceTable,
    check_categories,
    check_radius,
    dataset_area_index,
    dataset_distance_table,
)
from layers.errors import ParameterError
from layers.types import Level

if TYPE_CHECKING:
    from layers.dataset import Dataset

PER_RESIDENTS = 1000.0
"""Area ratios are given per this many residents."""

SUPPLY_COLUMNS = (
    "category",
    "area_id",
    "area_name",
    "residents",
    "capacity_within_area",
    "ratio_per_1000",
)
"""Columns of :func:`supply_table`."""


def two_step_fca(
    demand: np.ndarray,
    capacity: np.ndarray,
    demand_index: np.ndarray,
    supply_index: np.ndarray,
) -> np.ndarray:
    """2SFCA accessibility of every demand point from the (demand, supply) pairs in reach.

    Parameters
    ----------
    demand
        Demand (residents) per demand point.
    capacity
        Capacity per supply point (facility).
    demand_index, supply_index
        The pairs within the catchment radius (same length): demand point and supply point.

    Returns
    -------
    numpy.ndarray
        Supply per resident at every demand point (0 where no facility is in reach; a facility
        with no demand in reach serves nobody and counts 0).

    Examples
    --------
    Two residents' points share one facility of capacity 1; the second also reaches another:

    >>> two_step_fca(np.array([1.0, 3.0]), np.array([1.0, 2.0]),
    ...              np.array([0, 1, 1]), np.array([0, 0, 1])).tolist()
    [0.25, 0.9166666666666666]
    """
    demand = np.nan_to_num(np.asarray(demand, dtype=float), nan=0.0)
    capacity = np.asarray(capacity, dtype=float)
    demand_index = np.asarray(demand_index, dtype=np.int64)
    supply_index = np.asarray(supply_index, dtype=np.int64)
    if demand_index.shape != supply_index.shape:
        raise ParameterError("demand_index and supply_index must have the same length")
    demand_in_reach = np.bincount(
        supply_index, weights=demand[demand_index], minlength=len(capacity)
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(demand_in_reach > 0, capacity / demand_in_reach, 0.0)
    return np.bincount(demand_index, weights=ratio[supply_index], minlength=len(demand))


def facility_capacity(facilities: pd.DataFrame) -> np.ndarray:
    """Capacity per facility: the ``capacity`` column, 1 where missing or absent."""
    if "capacity" not in facilities.columns:
        return np.ones(len(facilities))
    values = pd.to_numeric(facilities["capacity"], errors="coerce").to_numpy(dtype=float)
    return np.where(np.isfinite(values), values, 1.0)


def resident_access(
    table: DistanceTable,
    weights: np.ndarray,
    capacity: np.ndarray,
    *,
    category: str,
    radius_m: float,
) -> np.ndarray:
    """2SFCA value (capacity per resident) of every resident point for one category.

    Parameters
    ----------
    table
        Distances (Euclidean or network) between residents and facilities.
    weights
        Residents per point.
    capacity
        Capacity of every row of the table's ``facilities`` frame.
    category
        The category.
    radius_m
        Catchment radius (inclusive).
    """
    res, fac, _ = table.pairs_within(category, radius_m=radius_m)
    positions = table.facility_positions(category)
    local = np.searchsorted(positions, fac)  # positions are sorted row numbers
    return two_step_fca(weights, np.asarray(capacity, float)[positions], res, local)


def supply_table(
    table: DistanceTable,
    weights: np.ndarray,
    capacity: np.ndarray,
    index: AreaIndex,
    *,
    categories: Sequence[str],
    radius_m: float,
    city_name: str,
    facility_area_codes: np.ndarray | None = None,
) -> pd.DataFrame:
    """2SFCA ratio per category and area (resident-weighted mean, per 1,000 residents).

    Parameters
    ----------
    table, weights, capacity
        See :func:`resident_access`.
    index
        Area of every resident point.
    categories
        Categories in output order.
    radius_m
        Catchment radius.
    city_name
        Name of the ``ALL`` row.
    facility_area_codes
        Area position of every facility row (-1 outside), for ``capacity_within_area``;
        NaN in that column when not given.

    Returns
    -------
    pandas.DataFrame
        Columns ``category, area_id, area_name, residents, capacity_within_area,
        ratio_per_1000`` (NaN where an area has no residents).
    """
    radius = check_radius(radius_m)
    w = np.nan_to_num(np.asarray(weights, float), nan=0.0)
    shifted = index.codes + 1
    n = index.n_areas
    residents = np.bincount(shifted, weights=w, minlength=n + 1)[1:]
    residents_all = np.append(residents, residents.sum())
    blocks = []
    for category in categories:
        access_i = resident_access(table, w, capacity, category=category, radius_m=radius)
        weighted = np.bincount(shifted, weights=w * access_i, minlength=n + 1)[1:]
        weighted = np.append(weighted, weighted.sum())
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(residents_all > 0, weighted / residents_all * PER_RESIDENTS, np.nan)
        if facility_area_codes is not None:
            positions = table.facility_positions(category)
            codes = np.asarray(facility_area_codes)[positions] + 1
            cap = np.bincount(
                codes, weights=np.asarray(capacity, float)[positions], minlength=n + 1
            )
            within = np.append(cap[1:], cap[1:].sum())
        else:
            within = np.full(n + 1, np.nan)
        blocks.append(
            pd.DataFrame(
                {
                    "category": category,
                    "area_id": [*index.areas["area_id"], ALL_AREAS_ID],
                    "area_name": [*index.areas["area_name"], city_name],
                    "residents": residents_all,
                    "capacity_within_area": within,
                    "ratio_per_1000": ratio,
                }
            )
        )
    if not blocks:
        return pd.DataFrame(columns=SUPPLY_COLUMNS)
    return pd.concat(blocks, ignore_index=True)[list(SUPPLY_COLUMNS)]


def dataset_supply(
    dataset: Dataset,
    *,
    categories: Sequence[str] | str = "all",
    radius_m: float = 1000.0,
    year: int | None = None,
    group: str = "total",
    level: Level = "district",
    table: DistanceTable | None = None,
) -> pd.DataFrame:
    """2SFCA table of a loaded dataset (see :func:`supply_table`)."""
    from layers.residents import resident_weights

    cats = check_categories(categories, [c.id for c in dataset.categories])
    weights = resident_weights(dataset, year=year, group=group)
    if table is None:
        table = dataset_distance_table(dataset)
    index = dataset_area_index(dataset, level)
    from layers.areas import area_mapping
    from layers.coverage import area_index

    fac_index = area_index(dataset.facilities["district_id"], area_mapping(dataset, level))
    return supply_table(
        table,
        weights,
        facility_capacity(dataset.facilities),
        index,
        categories=cats,
        radius_m=radius_m,
        city_name=dataset.metadata.city,
        facility_area_codes=fac_index.codes,
    )


__all__ = [
    "PER_RESIDENTS",
    "SUPPLY_COLUMNS",
    "dataset_supply",
    "facility_capacity",
    "resident_access",
    "supply_table",
    "two_step_fca",
]
