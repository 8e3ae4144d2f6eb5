"""Load and check the district (Stadtteil) boundaries of a dataset."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from layers._readers import ROW, clean_text, read_layer, report_rows, resolve_columns
from layers._validate import IssueCollector, district_id_keys, rows_text
from layers.manifest import LayerSpec

_POLYGONAL = (shapely.GeometryType.POLYGON, shapely.GeometryType.MULTIPOLYGON)


def load_districts(spec: LayerSpec, collector: IssueCollector) -> gpd.GeoDataFrame | None:
    """Read the districts layer: polygons with unique ``id`` and a ``name``.

    Invalid polygons are repaired with ``make_valid`` (a warning); wrong geometry types, missing
    geometries and duplicate ids are errors. Returns ``None`` when the layer cannot be used.

    Returns
    -------
    geopandas.GeoDataFrame or None
        Columns ``id``, ``name``, ``_row``, ``geometry``, in file order and in the file's CRS.
    """
    start = len(collector.issues)
    raw = read_layer(spec, collector)
    if raw is None:
        return None
    if raw.table is not None:
        collector.error(
            spec.file, "districts must be a polygon layer (GeoJSON, GeoPackage, Shapefile)"
        )
        return None
    frame = raw.frame
    if frame.empty:
        collector.error(spec.file, "the districts layer has no features")
        return None
    mapping = resolve_columns(spec, list(frame.columns), collector, required=("id", "name"))
    if mapping is None:
        return None
    ids = clean_text(frame[mapping["id"]])
    names = clean_text(frame[mapping["name"]])
    rows = frame[ROW].to_numpy()
    empty_id = (ids == "").to_numpy()
    if empty_id.any():
        report_rows(collector, spec, rows[empty_id], None, mapping["id"], "empty district id")
    keys = district_id_keys(ids)
    dup = keys.duplicated(keep=False).to_numpy() & ~empty_id
    if dup.any():
        for key in dict.fromkeys(keys[dup]):
            where = rows[(keys == key).to_numpy()].tolist()
            collector.error(
                spec.file,
                f"duplicate district id {ids[(keys == key).to_numpy()].iloc[0]!r} in rows {rows_text(where)}",
                row=int(where[1]),
                column=mapping["id"],
            )
    empty_name = (names == "").to_numpy()
    if empty_name.any():
        report_rows(
            collector,
            spec,
            rows[empty_name],
            None,
            mapping["name"],
            "empty district name",
            severity="warning",
        )
    geoms = frame.geometry.to_numpy()
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if missing.any():
        report_rows(collector, spec, rows[missing], None, "geometry", "district without geometry")
    types = shapely.get_type_id(geoms)
    wrong = ~missing & ~np.isin(types, [int(t) for t in _POLYGONAL])
    if wrong.any():
        names_t = [shapely.GeometryType(t).name.title() for t in types[wrong]]
        report_rows(
            collector,
            spec,
            rows[wrong],
            names_t,
            "geometry",
            "wrong geometry type, expected Polygon or MultiPolygon",
        )
    if collector.errors_since(start):
        return None
    invalid = ~shapely.is_valid(geoms)
    if invalid.any():
        reasons = [shapely.is_valid_reason(g) for g in geoms[invalid]]
        report_rows(
            collector,
            spec,
            rows[invalid],
            reasons,
            "geometry",
            "invalid polygon repaired with make_valid",
            severity="warning",
        )
        repaired = shapely.make_valid(geoms[invalid])
        # make_valid may return a collection with stray lines; keep the polygonal part.
        geoms = geoms.copy()
        geoms[invalid] = [_polygonal_part(g) for g in repaired]
    return gpd.GeoDataFrame(
        {"id": ids.to_numpy(), "name": names.to_numpy(), ROW: rows},
        geometry=gpd.GeoSeries(geoms, crs=frame.crs),
        crs=frame.crs,
    )


def _polygonal_part(geom: shapely.Geometry) -> shapely.Geometry:
    if shapely.get_type_id(geom) in (int(t) for t in _POLYGONAL):
        return geom
    parts = [g for g in shapely.get_parts(geom) if shapely.get_type_id(g) in (3, 6)]
    return shapely.union_all(parts) if parts else geom


def assign_districts(
    points: gpd.GeoDataFrame | gpd.GeoSeries, districts: gpd.GeoDataFrame
) -> np.ndarray:
    """Return the district id of every point (``None`` for points outside all districts).

    Points on a shared boundary go to the first district in file order. Both inputs must be in
    the same CRS.

    Examples
    --------
    >>> from shapely.geometry import Point, box
    >>> d = gpd.GeoDataFrame({"id": ["a", "b"]}, geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)], crs=25832)
    >>> p = gpd.GeoSeries([Point(0.5, 0.5), Point(1.5, 0.5), Point(5, 5)], crs=25832)
    >>> assign_districts(p, d).tolist()
    ['a', 'b', None]
    """
    geoms = points.geometry if isinstance(points, gpd.GeoDataFrame) else points
    result = np.full(len(geoms), None, dtype=object)
    if len(geoms) == 0 or len(districts) == 0:
        return result
    values = geoms.to_numpy()
    types = shapely.get_type_id(values)
    if np.isin(types, [int(shapely.GeometryType.POINT), -1]).all():
        positions = district_positions(shapely.get_x(values), shapely.get_y(values), districts)
        inside = positions >= 0
        result[inside] = districts["id"].to_numpy()[positions[inside]]
        return result
    tree = shapely.STRtree(districts.geometry.to_numpy())
    point_idx, district_idx = tree.query(geoms.to_numpy(), predicate="intersects")
    order = np.lexsort((district_idx, point_idx))
    point_idx, district_idx = point_idx[order], district_idx[order]
    first = np.unique(point_idx, return_index=True)[1]
    ids = districts["id"].to_numpy()
    result[point_idx[first]] = ids[district_idx[first]]
    return result


_STRIPS = 1024
"""Vertical strips :func:`district_positions` sorts points into (a 16-bit key sorts fastest)."""


def district_positions(x: np.ndarray, y: np.ndarray, districts: gpd.GeoDataFrame) -> np.ndarray:
    """Return, for every coordinate pair, the position of its district (-1 outside all).

    The coordinates must be in the districts' CRS. Points on a shared boundary go to the first
    district in file order. The points are sorted into vertical strips once; then one prepared
    polygon at a time is tested against the points of its strips that lie inside its bounding
    box. No shapely point objects are built: a million points in 36 districts take about 0.1 s,
    several times less than an STRtree query.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> d = gpd.GeoDataFrame({"id": ["a", "b"]}, geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)], crs=25832)
    >>> district_positions(np.array([0.5, 1.0, 5.0]), np.array([0.5, 0.5, 5.0]), d).tolist()
    [0, 0, -1]
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    result = np.full(len(x), -1, dtype=np.int64)
    todo = ~(np.isnan(x) | np.isnan(y))
    if not todo.any():
        return result
    # Bucket the points into vertical strips (a radix sort of small integer keys), so that each
    # polygon looks only at the points of the strips its bounding box spans.
    x_min, x_max = float(x[todo].min()), float(x[todo].max())
    width = (x_max - x_min) / _STRIPS or 1.0
    strip = np.zeros(len(x), dtype=np.uint16)
    strip[todo] = np.clip((x[todo] - x_min) / width, 0, _STRIPS - 1).astype(np.uint16)
    order = np.argsort(strip, kind="stable")
    starts = np.searchsorted(strip[order], np.arange(_STRIPS + 1))
    # Sorted copies: every polygon then reads contiguous slices, not scattered elements.
    xs, ys, open_ = x[order], y[order], todo[order]
    for index, polygon in enumerate(districts.geometry.to_numpy()):
        if polygon is None or polygon.is_empty:
            continue
        minx, miny, maxx, maxy = polygon.bounds
        if maxx < x_min or minx > x_max:
            continue
        first = int(np.clip(np.floor((minx - x_min) / width), 0, _STRIPS - 1))
        last = int(np.clip(np.floor((maxx - x_min) / width), 0, _STRIPS - 1))
        lo, hi = starts[first], starts[last + 1]
        bx, by = xs[lo:hi], ys[lo:hi]
        candidates = lo + np.flatnonzero(
            open_[lo:hi] & (bx >= minx) & (bx <= maxx) & (by >= miny) & (by <= maxy)
        )
        if len(candidates) == 0:
            continue
        # Prepare a copy: the caller's geometries stay untouched (and safe to share across threads).
        local = shapely.from_wkb(shapely.to_wkb(polygon))
        shapely.prepare(local)
        hit = candidates[shapely.intersects_xy(local, xs[candidates], ys[candidates])]
        result[order[hit]] = index
        open_[hit] = False  # on a shared boundary the first district in file order wins
    return result
