"""Where people live: resident points, a grid fallback, and weights scaled to the population."""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from layers._readers import PointLayer, clean_text, numeric_column, read_points
from layers._validate import IssueCollector
from layers.boundaries import district_positions
from layers.crs import require_metric, transformer
from layers.errors import ParameterError
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


@dataclass(frozen=True, eq=False)
class ResidentPoints:
    """The fixed set of points where people live, held as arrays (metric CRS).

    A city of a million residents is a million points: keeping them as coordinate arrays and
    integer district codes rather than as shapely objects and strings makes loading and every
    computation on them several times faster. :attr:`frame` gives them as a GeoDataFrame where
    geometries are really needed (maps, exports, the database).

    Parameters
    ----------
    xy
        ``(n, 2)`` coordinates in ``crs``.
    district_codes
        Per point, the position of its district in ``district_ids``.
    district_ids
        The district ids the codes refer to (districts-file spelling).
    from_grid
        Per point, whether it comes from the fallback grid rather than the residents layer.
    base_weight
        Relative weight of every point within its district (the residents layer's ``weight``,
        else 1).
    crs
        The dataset's metric CRS.

    Raises
    ------
    ParameterError
        If the arrays do not have one entry per point or a code has no district.

    Examples
    --------
    >>> points = ResidentPoints(
    ...     np.array([[0.0, 0.0], [10.0, 0.0]]), np.array([1, 0]), np.array(["01", "02"]),
    ...     np.array([False, True]), np.ones(2), CRS.from_epsg(25832),
    ... )
    >>> len(points), points.district_id.tolist(), points.origin.tolist()
    (2, ['02', '01'], ['residents', 'grid'])
    """

    xy: np.ndarray
    district_codes: np.ndarray
    district_ids: np.ndarray
    from_grid: np.ndarray
    base_weight: np.ndarray
    crs: CRS

    def __post_init__(self) -> None:
        xy = np.ascontiguousarray(self.xy, dtype=float).reshape(-1, 2)
        n = len(xy)
        per_point = {
            "district_codes": np.asarray(self.district_codes, dtype=np.int64),
            "from_grid": np.asarray(self.from_grid, dtype=bool),
            "base_weight": np.asarray(self.base_weight, dtype=float),
        }
        for name, values in per_point.items():
            if values.shape != (n,):
                raise ParameterError(
                    f"resident points: `{name}` has {values.shape[0]} entries for {n} points"
                )
        ids = np.asarray(self.district_ids, dtype=object)
        codes = per_point["district_codes"]
        if n and (codes.min() < 0 or codes.max() >= len(ids)):
            raise ParameterError("resident points: a district code has no district id")
        for name, values in (("xy", xy), ("district_ids", ids), *per_point.items()):
            values.setflags(write=False)
            object.__setattr__(self, name, values)
        object.__setattr__(self, "crs", CRS.from_user_input(self.crs))

    def __len__(self) -> int:
        return int(self.xy.shape[0])

    @property
    def district_id(self) -> pd.Categorical:
        """District id of every point (categorical: cheap to group and factorize)."""
        return pd.Categorical.from_codes(self.district_codes, categories=self.district_ids)

    @property
    def origin(self) -> np.ndarray:
        """``"residents"`` or ``"grid"`` per point."""
        return np.where(self.from_grid, "grid", "residents").astype(object)

    @cached_property
    def frame(self) -> gpd.GeoDataFrame:
        """The points as a GeoDataFrame: ``district_id``, ``origin``, ``base_weight``, geometry."""
        return gpd.GeoDataFrame(
            {
                "district_id": self.district_ids[self.district_codes],
                "origin": self.origin,
                "base_weight": self.base_weight,
            },
            geometry=gpd.points_from_xy(self.xy[:, 0], self.xy[:, 1], crs=self.crs),
            crs=self.crs,
        )

    @classmethod
    def from_frame(cls, frame: gpd.GeoDataFrame) -> ResidentPoints:
        """Build from a point GeoDataFrame in a metric CRS.

        The frame needs ``district_id``; ``origin`` and ``base_weight`` are optional
        (``"residents"`` and 1).

        Raises
        ------
        CrsError
            If the frame has no metric CRS.
        ParameterError
            If a feature is not a point with coordinates, or has no district.
        """
        crs = require_metric(frame, name="resident points")
        geoms = frame.geometry.to_numpy()
        bad = (shapely.get_type_id(geoms) != 0) | shapely.is_empty(geoms)
        if bad.any():
            raise ParameterError(
                f"resident points must be points with coordinates; positions "
                f"{np.flatnonzero(bad)[:10].tolist()} are not"
            )
        codes, ids = pd.factorize(frame["district_id"].to_numpy(dtype=object))
        if (codes < 0).any():
            raise ParameterError("resident points: every point needs a district_id")
        n = len(frame)
        return cls(
            shapely.get_coordinates(geoms).reshape(-1, 2),
            codes,
            np.asarray(ids, dtype=object),
            (frame["origin"] == "grid").to_numpy(dtype=bool)
            if "origin" in frame
            else np.zeros(n, dtype=bool),
            frame["base_weight"].to_numpy(dtype=float) if "base_weight" in frame else np.ones(n),
            crs,
        )


def load_residents(spec: LayerSpec, collector: IssueCollector) -> PointLayer | None:
    """Read the residents layer: points with optional ``weight`` and ``address``.

    Returns
    -------
    PointLayer or None
        ``attrs`` with ``_row`` and, where the file has them, ``weight`` (float; 1 where
        empty) and ``address`` (text); coordinates in the file's CRS. ``None`` when the file
        has errors.
    """
    start = len(collector.issues)
    layer = read_points(spec, collector, optional=("weight", "address"))
    if layer is None:
        return None
    frame = layer.attrs.copy()
    if "weight" in frame:
        values, _ = numeric_column(frame, "weight", spec, layer.table, collector)
        frame["weight"] = np.where(np.isnan(values), 1.0, values)
    if "address" in frame:
        frame["address"] = clean_text(frame["address"])
    if collector.errors_since(start):
        return None
    return replace(layer, attrs=frame)


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
    residents: PointLayer | None,
    population: pd.DataFrame,
    collector: IssueCollector,
    *,
    file: str = "",
    cell_m: float = GRID_CELL_M,
) -> ResidentPoints:
    """The fixed set of points where people live, in the districts' (metric) CRS.

    Resident points outside all districts are dropped (one warning). Districts with population
    but without resident points get a regular grid (:data:`GRID_CELL_M`), with a warning.

    Returns
    -------
    ResidentPoints
        Codes refer to the districts in file order; points ordered by district, residents
        before grid points.
    """
    crs = CRS.from_user_input(districts.crs)
    district_ids = districts["id"].to_numpy(dtype=object)
    xy_parts: list[np.ndarray] = []
    code_parts: list[np.ndarray] = []
    weight_parts: list[np.ndarray] = []
    grid_flags: list[np.ndarray] = []
    counts = np.zeros(len(districts), dtype=np.int64)
    if residents is not None and len(residents.xy):
        xy = _project(residents.xy, residents.crs, crs)
        codes = district_positions(xy[:, 0], xy[:, 1], districts)
        weights = _weights(residents)
        inside = codes >= 0
        if not inside.all():
            collector.warning(
                file,
                f"{int((~inside).sum())} resident point(s) lie outside all districts and are "
                "ignored",
            )
            xy, codes, weights = xy[inside], codes[inside], weights[inside]
        xy_parts.append(xy)
        code_parts.append(codes)
        weight_parts.append(weights)
        grid_flags.append(np.zeros(len(codes), dtype=bool))
        counts = np.bincount(code_parts[0], minlength=len(districts))
    known_totals = population[(population["group"] == TOTAL) & population["value"].notna()]
    totals = known_totals.groupby("district_id")["value"].max()
    # the warning quotes the latest year, as every other figure shown does
    latest = known_totals.sort_values("year").groupby("district_id")[["year", "value"]].last()
    city_ratio = counts.sum() / totals.sum() if counts.sum() and totals.sum() > 0 else 0.0
    for position, (did, name, geom) in enumerate(
        zip(district_ids, districts["name"], districts.geometry, strict=True)
    ):
        inhabitants = float(totals.get(did, np.nan))
        n_points = int(counts[position])
        if n_points == 0 and not (inhabitants > 0):
            continue
        if n_points == 0:
            grid = shapely.get_coordinates(grid_points(geom, cell_m=cell_m))
            if residents is not None:
                collector.warning(
                    file,
                    f"district {did} ({name}) has population but no resident points; "
                    f"a {cell_m:.0f} m grid ({len(grid)} points) carries its population",
                )
            xy_parts.append(grid)
            code_parts.append(np.full(len(grid), position, dtype=np.int64))
            weight_parts.append(np.ones(len(grid)))
            grid_flags.append(np.ones(len(grid), dtype=bool))
        elif (
            city_ratio > 0
            and inhabitants > 0
            and n_points / inhabitants < FEW_POINTS_RATIO * city_ratio
        ):
            year, current = latest.loc[did, "year"], latest.loc[did, "value"]
            collector.warning(
                file,
                f"district {did} ({name}) has few resident points ({n_points} for "
                f"{current:,.0f} inhabitants in {int(year)}); its coverage figures rest on few "
                "addresses",
            )
    if not xy_parts:
        return ResidentPoints(
            np.empty((0, 2)), np.empty(0, dtype=np.int64), district_ids, np.empty(0, bool), [], crs
        )
    codes = np.concatenate(code_parts)
    from_grid = np.concatenate(grid_flags)
    key = codes * 2 + from_grid
    # A stable sort of 16-bit keys is a radix sort: several times faster for a million points.
    order = np.argsort(key.astype(np.uint16) if len(districts) < 2**15 else key, kind="stable")
    return ResidentPoints(
        np.take(np.concatenate(xy_parts), order, axis=0),  # (take is faster than xy[order])
        codes[order],
        district_ids,
        from_grid[order],
        np.concatenate(weight_parts)[order],
        crs,
    )


def _weights(residents: PointLayer) -> np.ndarray:
    if "weight" in residents.attrs:
        return residents.attrs["weight"].to_numpy(dtype=float)
    return np.ones(len(residents.xy))


def _project(xy: np.ndarray, source: CRS, target: CRS) -> np.ndarray:
    """Coordinates ``xy`` from ``source`` into ``target`` (a copy; unchanged if they agree)."""
    if CRS.from_user_input(source) == target:
        return np.array(xy, dtype=float)
    to_target = transformer(CRS(source).to_string(), CRS(target).to_string())
    x, y = to_target.transform(xy[:, 0], xy[:, 1])
    return np.column_stack([x, y])


def scale_weights(
    district_ids: np.ndarray | pd.Categorical, base_weight: np.ndarray, population: pd.Series
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
    values = (
        district_ids
        if isinstance(district_ids, pd.Categorical)  # factorised from its codes: fast
        else pd.Series(district_ids, dtype=object)
    )
    codes, uniques = pd.factorize(values)
    sums = np.bincount(codes, weights=base_weight, minlength=len(uniques))
    pop = pd.Series(np.asarray(uniques, dtype=object)).map(population).to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        factor = np.where(sums > 0, pop / sums, np.nan)
    return base_weight * factor[codes]


def resident_weights(
    dataset: Dataset, *, year: int | None = None, group: str = TOTAL
) -> np.ndarray:
    """Weights of ``dataset.residents``: each district's weights sum to its population.

    Points of a district whose population is unknown get NaN; of a district with zero
    population, 0.

    Raises
    ------
    CatalogueError, MissingDataError
        For an unknown group or year.
    """
    points = dataset.residents
    population = district_population(
        dataset.population, dataset.districts["id"], group=group, year=year
    )
    return scale_weights(points.district_id, points.base_weight, population)
