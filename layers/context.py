"""Orientation context of a map: a label point per area and the main streets of a network.

Both work in the dataset's metric CRS (lengths in metres) and return new GeoDataFrames in
that CRS; projecting for display is the dashboard's job.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from layers.errors import CrsError, MissingColumnError

DEFAULT_MAX_STREETS = 60
"""Named streets kept by :func:`main_streets` (the longest ones)."""
DEFAULT_MIN_LENGTH_M = 250.0
"""Unnamed networks: merged lines shorter than this are left out of the context layer."""
DEFAULT_MAX_STREET_LINES = 400
"""Unnamed networks: merged lines kept by :func:`main_streets` (the longest ones). A city's
walking network merges into thousands of lines over 250 m; the longest few hundred draw the
main streets, and the rest only add bytes and drawing time to a context layer."""


def _require_metric(frame: gpd.GeoDataFrame, name: str) -> None:
    if frame.crs is None:
        raise CrsError(
            f"`{name}` has no CRS; set it (e.g. `frame.set_crs('EPSG:25832')`) before "
            "computing map context."
        )
    if not frame.crs.is_projected:
        raise CrsError(
            f"`{name}` has CRS {frame.crs.to_string()}; lengths need a projected CRS. "
            "Call `layers.crs.to_metric(...)` first."
        )


def label_points(
    areas: gpd.GeoDataFrame, *, id_column: str = "id", name_column: str = "name"
) -> gpd.GeoDataFrame:
    """A point inside each area where its name can be written, largest areas first.

    The point is :func:`shapely.point_on_surface`, which always lies inside the polygon (a
    centroid can fall outside a crescent-shaped district).

    Parameters
    ----------
    areas
        Polygons in a metric CRS with an id and a name column.
    id_column, name_column
        Columns holding the area's id and display name.

    Returns
    -------
    geopandas.GeoDataFrame
        ``id``, ``name``, ``area_km2`` and ``geometry`` (points, the CRS of ``areas``),
        ordered by decreasing area so that a label placer keeps the big areas' names first.

    Raises
    ------
    CrsError
        If ``areas`` has no or a geographic CRS.
    MissingColumnError
        If the id or name column is missing.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> frame = gpd.GeoDataFrame(
    ...     {"id": ["a"], "name": ["A"]}, geometry=[box(0, 0, 100, 100)], crs="EPSG:25832"
    ... )
    >>> label_points(frame)[["id", "name", "area_km2"]].to_dict("records")
    [{'id': 'a', 'name': 'A', 'area_km2': 0.01}]
    """
    _require_metric(areas, "areas")
    for column in (id_column, name_column):
        if column not in areas.columns:
            raise MissingColumnError(
                f"`areas` has no column {column!r} (columns: {', '.join(map(str, areas.columns))})."
            )
    shapes = areas[~(areas.geometry.isna() | areas.geometry.is_empty)]
    points = shapely.point_on_surface(shapes.geometry.to_numpy())
    out = gpd.GeoDataFrame(
        {
            "id": shapes[id_column].astype(str).to_numpy(),
            "name": shapes[name_column].astype(str).to_numpy(),
            "area_km2": np.round(shapes.geometry.area.to_numpy() / 1e6, 3),
        },
        geometry=points,
        crs=areas.crs,
    )
    return out.sort_values("area_km2", ascending=False, kind="stable").reset_index(drop=True)


def main_streets(
    network: gpd.GeoDataFrame,
    *,
    name_column: str = "name",
    max_streets: int = DEFAULT_MAX_STREETS,
    min_length_m: float = DEFAULT_MIN_LENGTH_M,
    max_lines: int | None = DEFAULT_MAX_STREET_LINES,
) -> gpd.GeoDataFrame:
    """The main streets of a line network, as light context under a map's areas.

    With street names, segments of the same name are joined and the ``max_streets`` longest
    named streets are kept. Without a name column (or no named segment), segments are merged
    where they meet end to end and the ``max_lines`` longest merged lines of at least
    ``min_length_m`` are kept, without names.

    Parameters
    ----------
    network
        Line segments in a metric CRS; an optional ``name_column``.
    name_column
        Column with the street name (empty or missing values are unnamed).
    max_streets
        Named streets kept (the longest).
    min_length_m
        Unnamed networks: shortest merged line kept, in metres.
    max_lines
        Unnamed networks: most merged lines kept (the longest); None keeps all.

    Returns
    -------
    geopandas.GeoDataFrame
        ``name`` (str, or None when unknown), ``length_m`` and ``geometry`` (lines in the CRS
        of ``network``), longest first.

    Raises
    ------
    CrsError
        If ``network`` has no or a geographic CRS.

    Examples
    --------
    >>> from shapely.geometry import LineString
    >>> net = gpd.GeoDataFrame(
    ...     {"name": ["Hauptstraße", "Hauptstraße", "Gasse"]},
    ...     geometry=[LineString([(0, 0), (300, 0)]), LineString([(300, 0), (600, 0)]),
    ...               LineString([(0, 0), (0, 50)])],
    ...     crs="EPSG:25832",
    ... )
    >>> main_streets(net, max_streets=1)[["name", "length_m"]].to_dict("records")
    [{'name': 'Hauptstraße', 'length_m': 600.0}]
    """
    _require_metric(network, "network")
    lines = network[~(network.geometry.isna() | network.geometry.is_empty)]
    names = (
        lines[name_column].astype("string").str.strip() if name_column in lines.columns else None
    )
    if names is not None and names.fillna("").ne("").any():
        named = lines.assign(_name=names.to_numpy())[names.fillna("").ne("").to_numpy()]
        groups = named.groupby("_name", sort=True).geometry
        merged = [
            (str(name), shapely.line_merge(shapely.union_all(geoms.to_numpy())))
            for name, geoms in groups
        ]
        out = gpd.GeoDataFrame(
            {"name": [n for n, _ in merged]}, geometry=[g for _, g in merged], crs=network.crs
        )
        out["length_m"] = np.round(out.geometry.length.to_numpy(), 1)
        out = out.sort_values(["length_m", "name"], ascending=[False, True], kind="stable")
        return out.head(max_streets).reset_index(drop=True)[["name", "length_m", "geometry"]]
    merged = shapely.line_merge(shapely.union_all(lines.geometry.to_numpy()))
    parts = np.asarray(shapely.get_parts(merged))
    lengths = shapely.length(parts)
    keep = lengths >= min_length_m
    out = gpd.GeoDataFrame(
        {"name": [None] * int(keep.sum()), "length_m": np.round(lengths[keep], 1)},
        geometry=parts[keep],
        crs=network.crs,
    )
    out = out.sort_values("length_m", ascending=False, kind="stable").reset_index(drop=True)
    return out if max_lines is None else out.head(max_lines)
