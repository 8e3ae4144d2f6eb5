"""Coverage: each resident point's distance to its nearest facility, and covered shares per area.

The expensive part, a distance per resident point and category, lives in a :class:`DistanceTable`
and is computed once (lazily, per category) for a set of resident points, facilities and a
distance mode. Everything that changes with a slider (radius, year, group, level) is a cheap
weighted :func:`numpy.bincount` over those distances (:func:`coverage_counts`), so the dashboard
can recompute on every move without touching geometry again.

Distances
---------
``euclidean``
    Straight line in the metric CRS (a :class:`scipy.spatial.cKDTree` query), optionally times a
    detour factor (a rough, clearly labelled allowance for the walk being longer than the line).
``network``
    Along a :class:`~layers.network.WalkingNetwork`: residents and facilities are snapped to
    their nearest edge, then one multi-source Dijkstra search per category gives every resident's
    walk to the nearest facility. Never below the Euclidean distance.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from layers._validate import did_you_mean, normalise_district_id, valid_list
from layers.crs import require_metric
from layers.errors import CatalogueError, CrsError, MissingColumnError, ParameterError
from layers.network import (
    NetworkCache,
    Snapped,
    WalkingNetwork,
    clamp_to_euclidean,
    load_network,
    network_distances,
    snap_points,
)
from layers.residents import ResidentPoints
from layers.types import DISTANCE_MODES, DistanceMode, Level

if TYPE_CHECKING:
    from layers.dataset import Dataset

MAX_RADIUS_M = 20_000.0
"""Largest radius accepted (20 km): beyond it 'walking distance' has no meaning."""

DISTANCE_TOLERANCE_M = 1e-6
"""A distance counts as within a radius up to this rounding slack (a micrometre): network
distances are sums of floating-point lengths, so a walk of exactly 400 m may come out as
400.00000000006 m."""

PAIR_MATRIX_CELLS = 20_000_000
"""Largest facilities × points distance matrix built at once for network pairs (160 MB)."""

ALL_AREAS_ID = "ALL"
"""``area_id`` of the whole-city row of every coverage table."""

COVERAGE_COLUMNS = ("category", "area_id", "area_name", "residents", "covered", "share")
"""Columns of :func:`coverage_table`, in order (the CSV contract of ``quartiersatlas coverage``)."""


def check_radius(radius_m: float, *, name: str = "radius") -> float:
    """Return ``radius_m`` as a float if 0 < radius ≤ 20 km; raise otherwise.

    Raises
    ------
    ParameterError
        If the radius is not a number in (0, 20000] metres.

    Examples
    --------
    >>> check_radius(500)
    500.0
    """
    try:
        value = float(radius_m)
    except (TypeError, ValueError) as exc:
        raise ParameterError(f"{name} must be a number of metres, got {radius_m!r}") from exc
    if not np.isfinite(value) or value <= 0 or value > MAX_RADIUS_M:
        raise ParameterError(
            f"{name} must be greater than 0 and at most {MAX_RADIUS_M:.0f} m, got {radius_m!r}"
        )
    return value


def within_radius(distances_m: np.ndarray, radius_m: float) -> np.ndarray:
    """Boolean mask: distance ≤ radius (inclusive, with :data:`DISTANCE_TOLERANCE_M` slack)."""
    return np.asarray(distances_m) <= radius_m + DISTANCE_TOLERANCE_M


def check_categories(requested: Iterable[str] | str, valid: Sequence[str]) -> list[str]:
    """Resolve ``"all"`` or a list of category ids against the catalogue ``valid``.

    Raises
    ------
    CatalogueError
        If a category is not in the catalogue (the message lists the valid ones).
    """
    items = [requested] if isinstance(requested, str) else list(requested)
    items = [c.strip() for item in items for c in str(item).split(",") if c.strip()]
    if not items:
        raise CatalogueError(f"no category given; valid categories: {valid_list(valid)}, or 'all'")
    if items == ["all"]:
        return list(valid)
    unknown = [c for c in items if c not in valid]
    if unknown:
        hint = did_you_mean(unknown[0], valid)
        raise CatalogueError(
            f"unknown category {', '.join(repr(c) for c in unknown)}{hint}; "
            f"valid categories: {valid_list(valid)}, or 'all'"
        )
    return list(dict.fromkeys(items))


def point_xy(
    frame: gpd.GeoDataFrame | gpd.GeoSeries | ResidentPoints, *, name: str = "points"
) -> np.ndarray:
    """Return the ``(n, 2)`` coordinates of a point layer, one row per feature.

    Raises
    ------
    ParameterError
        If a feature is not a point or has no coordinates.
    """
    if isinstance(frame, ResidentPoints):
        return frame.xy
    geoms = frame.geometry.to_numpy() if isinstance(frame, gpd.GeoDataFrame) else frame.to_numpy()
    if len(geoms) == 0:
        return np.empty((0, 2))
    type_ids = shapely.get_type_id(geoms)
    bad = (type_ids != 0) | shapely.is_empty(geoms)
    if bad.any():
        rows = np.flatnonzero(bad)
        raise ParameterError(
            f"`{name}` must be points with coordinates; {len(rows)} feature(s) are not "
            f"(positions {rows[:10].tolist()})"
        )
    return shapely.get_coordinates(geoms).reshape(-1, 2)


def nearest_euclidean(
    resident_xy: np.ndarray, facility_xy: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Distance (m) and index of each point's nearest facility (``inf`` / -1 without facilities).

    Examples
    --------
    >>> d, i = nearest_euclidean(np.array([[0.0, 0.0], [10.0, 0.0]]), np.array([[3.0, 4.0]]))
    >>> d.tolist(), i.tolist()
    ([5.0, 8.06225774829855], [0, 0])
    """
    n = len(resident_xy)
    if len(facility_xy) == 0:
        return np.full(n, np.inf), np.full(n, -1, dtype=np.int64)
    from scipy.spatial import cKDTree

    dist, idx = cKDTree(facility_xy).query(resident_xy, k=1, workers=-1)
    return np.asarray(dist, dtype=float), np.asarray(idx, dtype=np.int64)


class DistanceTable:
    """Distances from every resident point to its nearest facility, per category, computed once.

    Distances are computed on first use for each category and kept on the instance, so a change
    of radius, year, group or level reuses them. Build one table per dataset and distance mode
    and keep it as long as the data does (the dashboard keeps it with the loaded dataset).

    Parameters
    ----------
    residents
        Resident points, metric CRS: :class:`layers.residents.ResidentPoints` (as in
        ``Dataset.residents``) or any point GeoDataFrame/GeoSeries (only the geometry is used).
    facilities
        Facility points with a ``category`` column, same CRS as ``residents``.
    distance
        ``"euclidean"`` or ``"network"``.
    network
        The walking network (required for ``distance="network"``), same CRS.
    detour_factor
        Euclidean only: multiply straight-line distances by this factor (≥ 1).

    Raises
    ------
    CrsError
        If a layer has no or a non-metric CRS, or the layers' CRSs differ (reproject with
        :func:`layers.crs.to_metric` first; nothing is reprojected silently).
    MissingColumnError
        If ``facilities`` has no ``category`` column.
    ParameterError
        On an unknown distance mode, a missing network or a detour factor below 1.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> res = gpd.GeoDataFrame(geometry=[shapely.Point(0, 0), shapely.Point(900, 0)], crs=25832)
    >>> fac = gpd.GeoDataFrame(
    ...     {"category": ["care"]}, geometry=[shapely.Point(300, 400)], crs=25832
    ... )
    >>> DistanceTable(res, fac).distances_m("care").round(1).tolist()
    [500.0, 721.1]
    """

    def __init__(
        self,
        residents: gpd.GeoDataFrame | gpd.GeoSeries | ResidentPoints,
        facilities: gpd.GeoDataFrame,
        *,
        distance: DistanceMode = "euclidean",
        network: WalkingNetwork | None = None,
        detour_factor: float | None = None,
    ) -> None:
        crs = (
            residents.crs
            if isinstance(residents, ResidentPoints)
            else require_metric(residents, name="residents")
        )
        fac_crs = require_metric(facilities, name="facilities")
        if fac_crs != crs:
            raise CrsError(
                f"`facilities` has CRS {fac_crs.to_string()} but `residents` has "
                f"{crs.to_string()}; "
                "project both into the dataset's metric CRS with `layers.crs.to_metric` first."
            )
        if "category" not in facilities.columns:
            raise MissingColumnError("`facilities` needs a `category` column")
        if distance not in DISTANCE_MODES:
            raise ParameterError(
                f"unknown distance mode {distance!r}; valid: {valid_list(DISTANCE_MODES)}"
            )
        if distance == "network":
            if network is None:
                raise ParameterError("distance='network' needs a walking network")
            if CRS.from_user_input(network.crs) != crs:
                raise CrsError(
                    f"the network has CRS {network.crs.to_string()} but the residents have "
                    f"{crs.to_string()}; load it with `load_network(path, crs=...)`."
                )
            if detour_factor not in (None, 1.0):
                raise ParameterError("a detour factor applies to Euclidean distances only")
        if detour_factor is not None and (not np.isfinite(detour_factor) or detour_factor < 1.0):
            raise ParameterError(f"detour factor must be ≥ 1, got {detour_factor!r}")
        self.crs: CRS = crs
        self.distance: DistanceMode = distance
        self.network = network if distance == "network" else None
        self.detour_factor = float(detour_factor) if detour_factor is not None else 1.0
        self.resident_xy = point_xy(residents, name="residents")
        if self.resident_xy.flags.writeable:
            self.resident_xy.setflags(write=False)
        self._facility_xy = point_xy(facilities, name="facilities")
        categories = facilities["category"].astype("string").fillna("").to_numpy(dtype=object)
        self._positions = {
            str(c): np.flatnonzero(categories == c) for c in pd.unique(categories) if c
        }
        self._cache: dict[Any, Any] = {}

    # -- facilities -------------------------------------------------------------------------

    @property
    def categories(self) -> tuple[str, ...]:
        """Categories that have at least one facility."""
        return tuple(self._positions)

    @property
    def n_residents(self) -> int:
        """Number of resident points."""
        return int(self.resident_xy.shape[0])

    def facility_positions(self, category: str) -> np.ndarray:
        """Row positions (in the ``facilities`` frame) of the category's facilities."""
        return self._positions.get(category, np.empty(0, dtype=np.int64))

    def facility_xy(self, category: str) -> np.ndarray:
        """Coordinates of the category's facilities."""
        return self._facility_xy[self.facility_positions(category)]

    # -- distances --------------------------------------------------------------------------

    def distances_m(self, category: str) -> np.ndarray:
        """Distance (m) of every resident point to its nearest facility of ``category``.

        ``inf`` where no facility can be reached (no facility of the category at all, or no
        network path). The array is read-only and cached.
        """
        key = ("distance", category)
        cached = self._cache.get(key)
        if cached is None:
            cached = self._compute(self.facility_xy(category), category=category)
            cached.setflags(write=False)
            self._cache[key] = cached
        return cached

    def prime(self, category: str, distances_m: np.ndarray) -> None:
        """Seed the distances of ``category`` with stored values (for example from a database).

        Raises
        ------
        ParameterError
            If the array does not have one value per resident point.
        """
        values = np.asarray(distances_m, dtype=float)
        if values.shape != (self.n_residents,):
            raise ParameterError(
                f"stored distances for {category!r} have shape {values.shape}; "
                f"expected ({self.n_residents},)"
            )
        values = values.copy()
        values.setflags(write=False)
        self._cache[("distance", category)] = values

    def euclidean_m(self, category: str) -> np.ndarray:
        """Straight-line distance (m) to the nearest facility of ``category`` (cached)."""
        key = ("euclidean", category)
        cached = self._cache.get(key)
        if cached is None:
            cached, _ = nearest_euclidean(self.resident_xy, self.facility_xy(category))
            cached.setflags(write=False)
            self._cache[key] = cached
        return cached

    def _resident_snap(self) -> Any:
        snapped = self._cache.get("resident_snap")
        if snapped is None:
            assert self.network is not None
            snapped = snap_points(self.network, self.resident_xy)
            self._cache["resident_snap"] = snapped
        return snapped

    def _compute(self, facility_xy: np.ndarray, *, category: str | None) -> np.ndarray:
        """Distances to the nearest of ``facility_xy`` in this table's mode."""
        if category is not None:
            euclid = np.array(self.euclidean_m(category))
        else:
            euclid, _ = nearest_euclidean(self.resident_xy, facility_xy)
        if self.distance == "euclidean":
            return euclid * self.detour_factor if self.detour_factor != 1.0 else euclid
        if len(facility_xy) == 0:
            return np.full(self.n_residents, np.inf)
        assert self.network is not None
        origins = snap_points(self.network, facility_xy)
        walk = network_distances(self.network, origins, self._resident_snap(), min_only=True)
        return clamp_to_euclidean(walk, euclid)

    def scenario_distances_m(
        self,
        category: str,
        *,
        add_xy: np.ndarray | None = None,
        remove: Sequence[int] | np.ndarray | None = None,
    ) -> np.ndarray:
        """Distances after adding facilities at ``add_xy`` and removing some of the category's.

        Adding only needs the distance to the new sites (``min(old, new)``); removing recomputes
        the category without the removed facilities.

        Parameters
        ----------
        category
            The category changed.
        add_xy
            ``(k, 2)`` coordinates of new facilities, in the table's CRS.
        remove
            Row positions (in the ``facilities`` frame) of facilities to remove.
        """
        add = np.empty((0, 2)) if add_xy is None else np.asarray(add_xy, float).reshape(-1, 2)
        positions = self.facility_positions(category)
        if remove is not None and len(remove):
            removed = np.asarray(remove, dtype=np.int64)
            not_in = np.setdiff1d(removed, positions)
            if len(not_in):
                raise ParameterError(
                    f"facility rows {not_in.tolist()} are not of category {category!r}"
                )
            kept = positions[~np.isin(positions, removed)]
            base = self._compute(self._facility_xy[kept], category=None)
        else:
            base = np.array(self.distances_m(category))
        if len(add) == 0:
            return base
        return np.minimum(base, self._compute(add, category=None))

    def pairs_within(
        self, category: str, *, radius_m: float
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """All (resident, facility) pairs of ``category`` within ``radius_m`` (inclusive).

        Returns
        -------
        tuple of numpy.ndarray
            Resident index, facility row position (in the ``facilities`` frame), distance in m.
        """
        radius = check_radius(radius_m)
        positions = self.facility_positions(category)
        empty = (np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0))
        if len(positions) == 0 or self.n_residents == 0:
            return empty
        fac_xy = self._facility_xy[positions]
        if self.distance == "euclidean":
            reach = (radius + DISTANCE_TOLERANCE_M) / self.detour_factor
            from scipy.spatial import cKDTree

            sdm = cKDTree(self.resident_xy).sparse_distance_matrix(
                cKDTree(fac_xy), reach, output_type="ndarray"
            )
            res = sdm["i"].astype(np.int64)
            fac = sdm["j"].astype(np.int64)
            dist = sdm["v"] * self.detour_factor
            keep = within_radius(dist, radius)
            return res[keep], positions[fac[keep]], dist[keep]
        assert self.network is not None
        origins = snap_points(self.network, fac_xy)
        targets = self._resident_snap()
        # one search per facility; in chunks so the matrix stays below ~20 M cells
        chunk = max(1, PAIR_MATRIX_CELLS // max(self.n_residents + self.network.n_nodes, 1))
        out_res, out_fac, out_dist = [], [], []
        for start in range(0, len(fac_xy), chunk):
            part = slice(start, start + chunk)
            sub = Snapped(
                edge=origins.edge[part],
                offset_m=origins.offset_m[part],
                along_m=origins.along_m[part],
            )
            matrix = network_distances(
                self.network, sub, targets, min_only=False, limit_m=radius + DISTANCE_TOLERANCE_M
            )
            fac, res = np.nonzero(np.isfinite(matrix))
            dist = matrix[fac, res]
            fac = fac + start
            straight = np.hypot(*(self.resident_xy[res] - fac_xy[fac]).T)
            dist = np.maximum(dist, straight)
            keep = within_radius(dist, radius)
            out_res.append(res[keep].astype(np.int64))
            out_fac.append(positions[fac[keep]])
            out_dist.append(dist[keep])
        return np.concatenate(out_res), np.concatenate(out_fac), np.concatenate(out_dist)


# ---------------------------------------------------------------------------------------------
# Areas and aggregation


@dataclass(frozen=True, eq=False)
class AreaIndex:
    """Which output area each resident point belongs to.

    Attributes
    ----------
    codes
        Area position per resident point, -1 for points outside every area.
    areas
        ``area_id``, ``area_name`` in output order.
    """

    codes: np.ndarray
    areas: pd.DataFrame
    rest: np.ndarray | None = None
    """Points in a district that belongs to no area of the level (a grouping that covers only
    some districts): in no area row, but in the whole-city ``ALL`` row. ``None``: no such points."""

    @property
    def n_areas(self) -> int:
        """Number of areas."""
        return len(self.areas)

    @property
    def outside(self) -> np.ndarray:
        """Boolean mask of resident points outside every area."""
        return self.codes < 0


def area_index(
    district_ids: Sequence[object] | pd.Series | np.ndarray,
    mapping: pd.DataFrame,
    *,
    districts: Sequence[object] | None = None,
) -> AreaIndex:
    """Map resident points' district ids to output areas.

    Parameters
    ----------
    district_ids
        District id of each resident point (NA for points outside all districts).
    mapping
        ``district_id``, ``area_id``, ``area_name`` (as from :func:`layers.areas.area_mapping`),
        in districts order; areas are output in the order of their first district.
    districts
        All district ids of the dataset; points in one of them that the mapping leaves out are
        marked in :attr:`AreaIndex.rest` (counted in the city total, not in an area).

    Returns
    -------
    AreaIndex
    """
    for column in ("district_id", "area_id", "area_name"):
        if column not in mapping.columns:
            raise MissingColumnError(f"area mapping needs a `{column}` column")
    areas = mapping.drop_duplicates("area_id")[["area_id", "area_name"]].reset_index(drop=True)
    areas["area_id"] = areas["area_id"].astype(str)
    area_pos = {a: i for i, a in enumerate(areas["area_id"])}
    district_to_pos = {
        normalise_district_id(d): area_pos[str(a)]
        for d, a in zip(mapping["district_id"], mapping["area_id"], strict=True)
    }
    ids = district_ids if isinstance(district_ids, pd.Series) else pd.Series(district_ids)
    inverse, uniques = pd.factorize(ids, use_na_sentinel=True)  # hash-based: fast for 1M rows
    lookup = np.array(
        [district_to_pos.get(normalise_district_id(u), -1) for u in uniques] + [-1], dtype=np.int64
    )  # the extra -1 serves NA (factorize's sentinel -1 indexes it)
    codes = lookup[np.asarray(inverse, dtype=np.int64)]
    codes.setflags(write=False)
    rest = None
    if districts is not None:
        left_out = {normalise_district_id(d) for d in districts} - set(district_to_pos)
        if left_out:
            in_rest = np.array(
                [normalise_district_id(u) in left_out for u in uniques] + [False], dtype=bool
            )
            rest = in_rest[np.asarray(inverse, dtype=np.int64)]
    return AreaIndex(codes=codes, areas=areas, rest=rest)


def coverage_counts(
    distances_m: np.ndarray,
    weights: np.ndarray,
    codes: np.ndarray,
    *,
    n_areas: int,
    radius_m: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Residents and covered residents per area (covered: distance ≤ radius, inclusive).

    Points with code -1 (outside all areas) are ignored; NaN weights count as 0.

    Returns
    -------
    tuple of numpy.ndarray
        ``(residents, covered)``, each of length ``n_areas``.

    Examples
    --------
    >>> coverage_counts(np.array([100.0, 500.0, 600.0]), np.array([1.0, 2.0, 4.0]),
    ...                 np.array([0, 0, 1]), n_areas=2, radius_m=500)
    (array([3., 4.]), array([3., 0.]))
    """
    w = np.nan_to_num(np.asarray(weights, dtype=float), nan=0.0)
    shifted = np.asarray(codes, dtype=np.int64) + 1
    residents = np.bincount(shifted, weights=w, minlength=n_areas + 1)[1:]
    covered = np.bincount(
        shifted, weights=w * within_radius(distances_m, radius_m), minlength=n_areas + 1
    )[1:]
    return residents, covered


def coverage_table(
    table: DistanceTable,
    weights: np.ndarray,
    index: AreaIndex,
    *,
    categories: Sequence[str],
    radius_m: float,
    city_name: str,
) -> pd.DataFrame:
    """Residents, covered residents and share covered per category and area, plus ``ALL`` rows.

    Parameters
    ----------
    table
        Distances (computed on first use per category, then reused).
    weights
        Residents per point (aligned with the table's resident points).
    index
        Area of each resident point.
    categories
        Categories in output order; a category without facilities gets ``covered = 0``.
    radius_m
        Walking radius; a resident at exactly this distance is covered.
    city_name
        ``area_name`` of the whole-city row (``area_id = "ALL"``).

    Returns
    -------
    pandas.DataFrame
        Columns ``category, area_id, area_name, residents, covered, share`` (``share`` NaN where
        an area has no residents).
    """
    radius = check_radius(radius_m)
    if len(weights) != table.n_residents or len(index.codes) != table.n_residents:
        raise ParameterError(
            f"weights ({len(weights)}) and area codes ({len(index.codes)}) must align with the "
            f"{table.n_residents} resident points"
        )
    return category_rows(
        {category: table.distances_m(category) for category in categories},
        weights,
        index,
        radius_m=radius,
        city_name=city_name,
    )


@dataclass(frozen=True)
class AreaCounts:
    """Residents and covered residents per area of one distance column, the city last.

    The numbers of one block of :func:`category_rows`: ``residents`` and ``covered`` have one
    value per area of the :class:`AreaIndex`, then the whole city (which also counts the points
    of :attr:`AreaIndex.rest`).
    """

    residents: np.ndarray
    covered: np.ndarray

    @property
    def share(self) -> np.ndarray:
        """``covered / residents``, NaN where there are no residents."""
        with np.errstate(invalid="ignore", divide="ignore"):
            share = self.covered / self.residents
        return np.where(self.residents > 0, share, np.nan)


def area_counts(
    distances_m: Mapping[str, np.ndarray],
    weights: np.ndarray,
    index: AreaIndex,
    *,
    radius_m: float,
) -> dict[str, AreaCounts]:
    """:class:`AreaCounts` per key of ``distances_m`` (the counting of :func:`coverage_counts`).

    The residents per area do not depend on the distances: they are counted once.
    """
    if not distances_m:
        return {}
    w = np.nan_to_num(np.asarray(weights, dtype=float), nan=0.0)
    shifted = np.asarray(index.codes, dtype=np.int64) + 1
    n_bins = index.n_areas + 1
    residents = np.bincount(shifted, weights=w, minlength=n_bins)[1:]
    rest = index.rest if index.rest is not None and index.rest.any() else None
    rest_w = w[rest] if rest is not None else None
    # ALL is the whole city, also at a level whose areas cover only some districts
    city_residents = residents.sum() + (float(rest_w.sum()) if rest_w is not None else 0.0)
    counts = {}
    for key, distances in distances_m.items():
        within = within_radius(distances, radius_m)
        covered = np.bincount(shifted, weights=w * within, minlength=n_bins)[1:]
        rest_covered = (
            float((rest_w * within_radius(np.asarray(distances)[rest], radius_m)).sum())
            if rest_w is not None
            else 0.0
        )
        counts[key] = AreaCounts(
            residents=np.append(residents, city_residents),
            covered=np.append(covered, covered.sum() + rest_covered),
        )
    return counts


def category_rows(
    distances_m: Mapping[str, np.ndarray],
    weights: np.ndarray,
    index: AreaIndex,
    *,
    radius_m: float,
    city_name: str,
    counts: Mapping[str, AreaCounts] | None = None,
) -> pd.DataFrame:
    """The coverage table of precomputed distances: one block of rows per key of ``distances_m``.

    The numeric step of :func:`coverage_table` (it never sees geometry): the keys are the
    ``category`` values in output order, a key may stand for a combination of categories.
    ``counts``: the :func:`area_counts` of these arguments, when the caller has them already.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`COVERAGE_COLUMNS`, areas in index order then the ``ALL`` row per key.
    """
    if counts is None:
        counts = area_counts(distances_m, weights, index, radius_m=radius_m)
    if not counts:
        empty = pd.DataFrame(columns=COVERAGE_COLUMNS)
        empty["share"] = np.array([], dtype=float)
        return empty
    area_ids = [*index.areas["area_id"].tolist(), ALL_AREAS_ID]
    area_names = [*index.areas["area_name"].tolist(), city_name]
    blocks = list(counts.values())
    return pd.DataFrame(
        {
            "category": [key for key in counts for _ in area_ids],
            "area_id": area_ids * len(blocks),
            "area_name": area_names * len(blocks),
            "residents": np.concatenate([b.residents for b in blocks]),
            "covered": np.concatenate([b.covered for b in blocks]),
            "share": np.concatenate([b.share for b in blocks]),
        }
    )


def outside_residents(index: AreaIndex, weights: np.ndarray) -> tuple[int, float]:
    """Count resident points outside all areas and their total weight.

    Area rows leave them out; the whole-city ``ALL`` row of :func:`coverage_table` counts those
    in a district that the level leaves out (:attr:`AreaIndex.rest`).
    """
    mask = index.outside
    return int(mask.sum()), float(np.nansum(np.asarray(weights, float)[mask]))


# ---------------------------------------------------------------------------------------------
# Dataset-level wrappers


def dataset_distance_table(
    dataset: Dataset,
    *,
    distance: DistanceMode = "euclidean",
    network_path: str | None = None,
    detour_factor: float | None = None,
    network_cache: NetworkCache | None = None,
) -> DistanceTable:
    """Build the :class:`DistanceTable` of a loaded dataset.

    Parameters
    ----------
    dataset
        The loaded dataset.
    distance
        ``"network"`` uses ``network_path`` or else the dataset's own network.
    network_path
        A network file (line layer or OSM XML) that replaces the dataset's network; implies
        ``distance="network"``.
    detour_factor
        Euclidean only, see :class:`DistanceTable`.
    network_cache
        Cache for built graphs (keyed by file content).

    Raises
    ------
    ParameterError
        If network distance is asked for and there is no network.
    """
    network = None
    if network_path is not None:
        distance = "network"
    if distance == "network":
        path = network_path
        source_crs = None
        if path is None:
            spec = getattr(dataset, "network", None)
            if spec is None:
                raise ParameterError(
                    "the dataset has no walking network; give one with --network FILE "
                    "(a line layer or an OSM XML extract) or use --distance euclidean"
                )
            path, source_crs = spec.path, getattr(spec, "crs", None)
        network = load_network(
            path, crs=dataset.metadata.metric_crs, cache=network_cache, source_crs=source_crs
        )
    return DistanceTable(
        dataset.residents,
        dataset.facilities,
        distance=distance,
        network=network,
        detour_factor=detour_factor,
    )


def dataset_area_index(dataset: Dataset, level: Level = "district") -> AreaIndex:
    """Area index of the dataset's resident points at ``level``."""
    from layers.areas import area_mapping

    return area_index(
        dataset.residents.district_id,
        area_mapping(dataset, level),
        districts=dataset.districts["id"].tolist(),
    )


def dataset_coverage(
    dataset: Dataset,
    *,
    categories: Sequence[str] | str = "all",
    radius_m: float = 500.0,
    year: int | None = None,
    group: str = "total",
    level: Level = "district",
    table: DistanceTable | None = None,
) -> pd.DataFrame:
    """Coverage table of a dataset (see :func:`coverage_table`).

    Pass a prebuilt ``table`` to reuse its distances across calls.
    """
    from layers.residents import resident_weights

    cats = check_categories(categories, [c.id for c in dataset.categories])
    radius = check_radius(radius_m)
    weights = resident_weights(dataset, year=year, group=group)
    if table is None:
        table = dataset_distance_table(dataset)
    return coverage_table(
        table,
        weights,
        dataset_area_index(dataset, level),
        categories=cats,
        radius_m=radius,
        city_name=dataset.metadata.city,
    )


__all__ = [
    "ALL_AREAS_ID",
    "COVERAGE_COLUMNS",
    "DISTANCE_TOLERANCE_M",
    "MAX_RADIUS_M",
    "AreaCounts",
    "AreaIndex",
    "DistanceTable",
    "area_counts",
    "area_index",
    "category_rows",
    "check_categories",
    "check_radius",
    "coverage_counts",
    "coverage_table",
    "dataset_area_index",
    "dataset_coverage",
    "dataset_distance_table",
    "nearest_euclidean",
    "outside_residents",
    "point_xy",
    "within_radius",
]
