"""Where people live: resident points, a grid fallback, and weights scaled to the population."""

from __future__ import annotations

from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from layers._readers import clean_text, numeric_column, read_points
from layers._validate import IssueCollector
from layers.boundaries import assign_districts
from layers.manifest import LayerSpec
from layers.population import TOTAL, district_population

if TYPE_CHECKING:
    from layers.dataset import Dataset

GRID_CELL_M = 100.0
"""Cell size of the fallback grid: a point at every cell centre inside a district carries an
equal share of the district's population (100 m is a few minutes' walk and keeps ≤ 100 points
per km²)."""

FEW_POINTS_RATIO = 0.25
"""A district with fewer resident points per inhabitant than this share of the city-wide ratio
gets a warning (its coverage rests on few addresses)."""


def load_residents(spec: LayerSpec, collector: IssueCollector) -> gpd.GeoDataFrame | None:
    """Read the residents layer: points with optional ``weight`` and ``address``.

    Returns
    -------
    geopandas.GeoDataFrame or None
        Columns ``weight`` (float, default 1), ``address`` (text), ``_row``, point geometry in the
        file's CRS; ``None`` when the file has errors.
    """
    start = len(collector.issues)
    layer = read_points(spec, collector, optional=("weight", "address"))
    if layer is None:
        return None
    frame = layer.located.copy()
    if "weight" in frame:
        values, _ = numeric_column(frame, "weight", spec, layer.table, collector)
        frame["weight"] = np.where(np.isnan(values), 1.0, values)
    else:
        frame["weight"] = 1.0
    frame["address"] = clean_text(frame["address"]) if "address" in frame else ""
    if collector.errors_since(start):
        return None
    return frame


def grid_points(polygon: shapely.Geometry, *, cell_m: float = GRID_CELL_M) -> np.ndarray:
    """Centres of a regular ``cell_m`` grid that fall inside ``polygon`` (metric coordinates).

    A polygon too small to hold a cell centre gets one representative point.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> len(grid_points(box(0, 0, 1000, 500), cell_m=100))
    50
    """
    minx, miny, maxx, maxy = polygon.bounds
    xs = np.arange(np.floor(minx / cell_m) * cell_m + cell_m / 2, maxx, cell_m)
    ys = np.arange(np.floor(miny / cell_m) * cell_m + cell_m / 2, maxy, cell_m)
    gx, gy = np.meshgrid(xs, ys)
    candidates = shapely.points(gx.ravel(), gy.ravel())
    shapely.prepare(polygon)
    inside = candidates[shapely.contains(polygon, candidates)]
    if len(inside) == 0:
        return np.array([polygon.representative_point()], dtype=object)
    return inside


def build_resident_points(
    districts: gpd.GeoDataFrame,
    residents: gpd.GeoDataFrame | None,
    population: pd.DataFrame,
    collector: IssueCollector,
    *,
    file: str = "",
    cell_m: float = GRID_CELL_M,
) -> gpd.GeoDataFrame:
    """The fixed set of points where people live, in the districts' (metric) CRS.

    Resident points outside all districts are dropped (one warning). Districts with population
    but without resident points get a regular grid (:data:`GRID_CELL_M`), with a warning.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``district_id``, ``origin`` (``"residents"`` or ``"grid"``), ``base_weight``,
        ``geometry``; ordered by district (file order), residents before grid points.
    """
    crs = districts.crs
    parts = []
    if residents is not None and len(residents):
        points = residents.to_crs(crs)
        ids = assign_districts(points, districts)
        outside = pd.isna(ids)
        if outside.any():
            collector.warning(
                file,
                f"{int(outside.sum())} resident point(s) lie outside all districts and are ignored",
            )
        parts.append(
            gpd.GeoDataFrame(
                {
                    "district_id": ids[~outside],
                    "origin": "residents",
                    "base_weight": points["weight"].to_numpy()[~outside],
                },
                geometry=points.geometry.to_numpy()[~outside],
                crs=crs,
            )
        )
    counts = parts[0]["district_id"].value_counts() if parts else pd.Series(dtype=int)
    totals = population[population["group"] == TOTAL].groupby("district_id")["value"].max()
    city_ratio = counts.sum() / totals.sum() if parts and totals.sum() > 0 else 0.0
    for did, name, geom in zip(districts["id"], districts["name"], districts.geometry, strict=True):
        inhabitants = float(totals.get(did, np.nan))
        n_points = int(counts.get(did, 0))
        if n_points == 0 and not (inhabitants > 0):
            continue
        if n_points == 0:
            grid = grid_points(geom, cell_m=cell_m)
            if residents is not None:
                collector.warning(
                    file,
                    f"district {did} ({name}) has population but no resident points; "
                    f"a {cell_m:.0f} m grid ({len(grid)} points) carries its population",
                )
            parts.append(
                gpd.GeoDataFrame(
                    {"district_id": [did] * len(grid), "origin": "grid", "base_weight": 1.0},
                    geometry=grid,
                    crs=crs,
                )
            )
        elif (
            city_ratio > 0
            and inhabitants > 0
            and n_points / inhabitants < FEW_POINTS_RATIO * city_ratio
        ):
            collector.warning(
                file,
                f"district {did} ({name}) has few resident points ({n_points} for "
                f"{inhabitants:,.0f} inhabitants); its coverage figures rest on few addresses",
            )
    if not parts:
        return gpd.GeoDataFrame(
            {"district_id": [], "origin": [], "base_weight": []}, geometry=[], crs=crs
        )
    result = pd.concat(parts, ignore_index=True)
    # Codes in districts-file order; a vectorised lookup (no per-element Python mapping).
    district_order = pd.Index(districts["id"].to_numpy(dtype=object))
    codes = district_order.get_indexer(result["district_id"].to_numpy(dtype=object))
    sort_key = codes * 2 + (result["origin"] == "grid").to_numpy()
    result = result.iloc[np.argsort(sort_key, kind="stable")].reset_index(drop=True)
    return gpd.GeoDataFrame(result, geometry="geometry", crs=crs)


def scale_weights(
    district_ids: np.ndarray, base_weight: np.ndarray, population: pd.Series
) -> np.ndarray:
    """Scale ``base_weight`` so the weights of each district sum to its ``population``.

    Points of a district whose population is unknown get NaN; of a district with zero
    population, 0.

    Examples
    --------
    >>> scale_weights(np.array(["a", "a", "b"]), np.array([1.0, 3.0, 1.0]),
    ...               pd.Series({"a": 100.0, "b": 7.0})).tolist()
    [25.0, 75.0, 7.0]
    """
    codes, uniques = pd.factorize(pd.Series(district_ids, dtype=object))
    sums = np.bincount(codes, weights=base_weight, minlength=len(uniques))
    pop = pd.Series(uniques).map(population).to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        factor = np.where(sums > 0, pop / sums, np.nan)
    return base_weight * factor[codes]


def resident_weights(
    dataset: Dataset, *, year: int | None = None, group: str = TOTAL
) -> np.ndarray:
    """Weights of ``dataset.resident_points``: each district's weights sum to its population.

    Raises
    ------
    CatalogueError, MissingDataError
        For an unknown group or year.
    """
    points = dataset.resident_points
    population = district_population(
        dataset.population, dataset.districts["id"], group=group, year=year
    )
    return scale_weights(
        points["district_id"].to_numpy(dtype=object),
        points["base_weight"].to_numpy(dtype=float),
        population,
    )
