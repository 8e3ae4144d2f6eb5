"""Gaps: where the residents live who cannot reach a category within the radius.

Uncovered residents are counted on a **metric hexagonal grid** in the dataset's CRS (pointy-top
hexagons of a given edge length; the grid is anchored at the CRS origin, so the same cell has
the same id in every run). A metric grid rather than H3 because every cell has exactly the same
area in the metric CRS in which all distances are measured, cell size is a plain number of
metres that can match the radius, and no reprojection to WGS84 is needed. H3 cells differ in
area and shape across a city (slightly) and come only in fixed resolutions (res 9 ≈ 0.1 km²,
res 8 ≈ 0.74 km²).

Resident points are modelled locations (see docs/coverage.md): counts per cell are estimates.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from layers.coverage import (
    AreaIndex,
    DistanceTable,
    check_radius,
    coverage_counts,
    within_radius,
)
from layers.errors import ParameterError

DEFAULT_HEX_EDGE_M = 200.0
"""Default hexagon edge length (= circumradius): a cell of about 0.10 km²."""

DEFAULT_MAX_HEX_CELLS = 2500
"""Most hexagons a city-wide map layer should hold (:func:`hex_edge_for`): a few thousand
polygons keep a browser map's first load and redraw short; a 200 m grid over a city of
900 km² has about 9,000."""
HEX_EDGE_STEP_M = 50.0
"""Coarser hexagon edges are rounded up to whole multiples of this, so that sizes stay readable."""

MOST_THRESHOLD = 0.5
"""An area 'cannot reach' a category when more than this share of its residents are uncovered."""

SQRT3 = float(np.sqrt(3.0))


def hex_cells(xy: np.ndarray, *, edge_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Axial coordinates ``(q, r)`` of the pointy-top hexagon containing each point.

    Examples
    --------
    >>> q, r = hex_cells(np.array([[0.0, 0.0], [10.0, 5.0], [400.0, 0.0]]), edge_m=100)
    >>> q.tolist(), r.tolist()
    ([0, 0, 2], [0, 0, 0])
    """
    if edge_m <= 0:
        raise ParameterError(f"hexagon edge must be > 0 m, got {edge_m!r}")
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    qf = (SQRT3 / 3.0 * xy[:, 0] - xy[:, 1] / 3.0) / edge_m
    rf = (2.0 / 3.0 * xy[:, 1]) / edge_m
    sf = -qf - rf
    q, r, s = np.round(qf), np.round(rf), np.round(sf)
    dq, dr, ds = np.abs(q - qf), np.abs(r - rf), np.abs(s - sf)
    fix_q = (dq > dr) & (dq > ds)
    fix_r = ~fix_q & (dr > ds)
    q = np.where(fix_q, -r - s, q)
    r = np.where(fix_r, -q - s, r)
    return q.astype(np.int64), r.astype(np.int64)


def hex_polygons(q: np.ndarray, r: np.ndarray, *, edge_m: float) -> np.ndarray:
    """Hexagon polygons of axial cells ``(q, r)``."""
    cx = edge_m * SQRT3 * (np.asarray(q) + np.asarray(r) / 2.0)
    cy = edge_m * 1.5 * np.asarray(r)
    angles = np.deg2rad(60.0 * np.arange(6) - 30.0)
    xs = cx[:, None] + edge_m * np.cos(angles)[None, :]
    ys = cy[:, None] + edge_m * np.sin(angles)[None, :]
    rings = np.stack([xs, ys], axis=-1)
    rings = np.concatenate([rings, rings[:, :1]], axis=1)
    return shapely.polygons(rings)


@dataclass(frozen=True, eq=False)
class HexIndex:
    """Which hexagon each resident point lies in: the hexagons are areas like any other.

    Attributes
    ----------
    codes
        Cell position (in ``cells`` order) of every resident point.
    cells
        ``hex_id`` (``"q,r"``) and ``geometry`` of every cell holding resident points, sorted
        by ``(q, r)``, in the CRS of the points.
    """

    codes: np.ndarray
    cells: gpd.GeoDataFrame

    @property
    def n_cells(self) -> int:
        """Number of cells."""
        return len(self.cells)

    @cached_property
    def hex_ids(self) -> tuple[str, ...]:
        """``hex_id`` of every cell, in ``cells`` order (every gap result of the grid holds it)."""
        return tuple(self.cells["hex_id"])


def hex_index(xy: np.ndarray, *, edge_m: float, crs: CRS | str) -> HexIndex:
    """Assign points (metric ``(n, 2)`` coordinates) to the cells of the hexagon grid.

    Examples
    --------
    >>> index = hex_index(np.array([[0.0, 0.0], [10.0, 0.0], [1000.0, 0.0]]), edge_m=200,
    ...                   crs="EPSG:25832")
    >>> index.codes.tolist(), index.cells["hex_id"].tolist()
    ([0, 0, 1], ['0,0', '3,0'])
    """
    q, r = hex_cells(xy, edge_m=edge_m)
    cells, inverse = np.unique(np.column_stack([q, r]), axis=0, return_inverse=True)
    cells = cells.reshape(-1, 2)
    frame = gpd.GeoDataFrame(
        {"hex_id": [f"{a},{b}" for a, b in cells]},
        geometry=hex_polygons(cells[:, 0], cells[:, 1], edge_m=edge_m),
        crs=crs,
    )
    codes = inverse.ravel().astype(np.int64)
    codes.setflags(write=False)
    return HexIndex(codes=codes, cells=frame)


def hex_edge_for(
    xy: np.ndarray,
    *,
    max_cells: int = DEFAULT_MAX_HEX_CELLS,
    min_edge_m: float = DEFAULT_HEX_EDGE_M,
    step_m: float = HEX_EDGE_STEP_M,
) -> float:
    """The finest hexagon edge (≥ ``min_edge_m``) whose grid holds the points in ≤ ``max_cells`` cells.

    The rule depends only on where the points lie: a small city keeps ``min_edge_m``, a large
    one gets coarser cells. The number of occupied cells falls roughly with the square of the
    edge, so each try scales the edge by ``sqrt(cells / max_cells)`` (rounded up to
    ``step_m``) until the count fits.

    Parameters
    ----------
    xy
        Metric ``(n, 2)`` coordinates of the resident points.
    max_cells
        Most occupied cells allowed (≥ 1).
    min_edge_m
        Edge used when its grid already fits.
    step_m
        Coarser edges are multiples of this.

    Returns
    -------
    float
        Edge length in metres.

    Raises
    ------
    ParameterError
        If ``max_cells`` < 1 or an edge or step is not positive.

    Examples
    --------
    >>> xs, ys = np.meshgrid(np.arange(0, 10_000, 100.0), np.arange(0, 10_000, 100.0))
    >>> points = np.column_stack([xs.ravel(), ys.ravel()])
    >>> hex_edge_for(points, max_cells=10_000)
    200.0
    >>> hex_edge_for(points, max_cells=200)
    500.0
    """
    if max_cells < 1:
        raise ParameterError(f"max_cells must be ≥ 1, got {max_cells!r}")
    if min_edge_m <= 0 or step_m <= 0:
        raise ParameterError(
            f"min_edge_m and step_m must be > 0 m, got {min_edge_m!r} and {step_m!r}"
        )
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)

    def cells(edge_m: float) -> int:
        q, r = hex_cells(xy, edge_m=edge_m)
        return len(np.unique(np.column_stack([q, r]), axis=0)) if len(xy) else 0

    edge, too_fine = float(min_edge_m), None
    while (count := cells(edge)) > max_cells:
        too_fine = edge
        wanted = edge * float(np.sqrt(count / max_cells))
        edge = max(edge + step_m, float(np.ceil(wanted / step_m) * step_m))
    # the jump can overshoot: step back while a finer edge still fits
    while too_fine is not None and edge - step_m > too_fine and cells(edge - step_m) <= max_cells:
        edge -= step_m
    return edge


def gap_hexagons(
    table: DistanceTable,
    weights: np.ndarray,
    *,
    category: str,
    radius_m: float,
    hex_edge_m: float = DEFAULT_HEX_EDGE_M,
    distances_m: np.ndarray | None = None,
) -> gpd.GeoDataFrame:
    """Residents and uncovered residents per hexagon for one category.

    Parameters
    ----------
    table
        Distances of the resident points.
    weights
        Residents per point.
    category
        The category.
    radius_m
        Walking radius (inclusive).
    hex_edge_m
        Hexagon edge length in metres.
    distances_m
        Use these distances instead of the table's (for a what-if scenario).

    Returns
    -------
    geopandas.GeoDataFrame
        One row per cell holding residents: ``hex_id`` (``"q,r"``), ``residents``,
        ``uncovered``, ``share_uncovered``, ``geometry`` (in the table's CRS), ordered by
        ``uncovered`` descending.
    """
    radius = check_radius(radius_m)
    dist = table.distances_m(category) if distances_m is None else np.asarray(distances_m)
    w = np.nan_to_num(np.asarray(weights, dtype=float), nan=0.0)
    index = hex_index(table.resident_xy, edge_m=hex_edge_m, crs=table.crs)
    residents = np.bincount(index.codes, weights=w, minlength=index.n_cells)
    uncovered = np.bincount(
        index.codes, weights=w * ~within_radius(dist, radius), minlength=index.n_cells
    )
    keep = residents > 0
    frame = index.cells[keep].reset_index(drop=True)
    residents, uncovered = residents[keep], uncovered[keep]
    frame.insert(1, "residents", residents)
    frame.insert(2, "uncovered", uncovered)
    frame.insert(3, "share_uncovered", uncovered / residents)
    order = np.lexsort((frame["hex_id"].to_numpy(), -frame["uncovered"].to_numpy()))
    return frame.iloc[order].reset_index(drop=True)


def area_gaps(
    table: DistanceTable,
    weights: np.ndarray,
    index: AreaIndex,
    *,
    categories: Sequence[str],
    radius_m: float,
    threshold: float = MOST_THRESHOLD,
) -> pd.DataFrame:
    """Per area: the share of residents each category does not reach, and which it mostly misses.

    Returns
    -------
    pandas.DataFrame
        ``area_id``, ``area_name``, ``residents``, one ``uncovered_<category>`` share column per
        category, and ``unreachable``: the categories whose uncovered share exceeds
        ``threshold``, most uncovered first, joined by ``,`` (empty when none).
    """
    radius = check_radius(radius_m)
    frame = index.areas[["area_id", "area_name"]].copy()
    residents = None
    shares = {}
    for category in categories:
        residents, covered = coverage_counts(
            table.distances_m(category),
            weights,
            index.codes,
            n_areas=index.n_areas,
            radius_m=radius,
        )
        with np.errstate(divide="ignore", invalid="ignore"):
            shares[category] = np.where(residents > 0, 1.0 - covered / residents, np.nan)
    frame["residents"] = residents if residents is not None else 0.0
    for category, share in shares.items():
        frame[f"uncovered_{category}"] = share
    unreachable = []
    for i in range(len(frame)):
        row = [(shares[c][i], c) for c in categories if shares[c][i] > threshold]
        row.sort(key=lambda item: (-item[0], categories.index(item[1])))
        unreachable.append(",".join(c for _, c in row))
    frame["unreachable"] = unreachable
    return frame.reset_index(drop=True)


__all__ = [
    "DEFAULT_HEX_EDGE_M",
    "DEFAULT_MAX_HEX_CELLS",
    "MOST_THRESHOLD",
    "HexIndex",
    "area_gaps",
    "gap_hexagons",
    "hex_cells",
    "hex_edge_for",
    "hex_index",
    "hex_polygons",
]
