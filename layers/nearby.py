"""Nearby: the nearest facilities of every category around one location, and what is missing.

Distances are straight lines in the metric CRS (the same as ``coverage`` without a network).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS

from layers.coverage import check_radius, point_xy, within_radius
from layers.crs import WGS84, require_metric, transformer

N_NEAREST = 3
"""Facilities listed per category."""


def _text(value: object) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return None
    text = str(value).strip()
    return text or None


def nearby(
    facilities: gpd.GeoDataFrame,
    x: float,
    y: float,
    *,
    categories: Sequence[str],
    radius_m: float = 800.0,
    n_nearest: int = N_NEAREST,
) -> dict[str, Any]:
    """Nearest facilities per category around the point ``(x, y)`` in the facilities' CRS.

    Parameters
    ----------
    facilities
        Facility points (``name``, ``category``, ``subcategory``, ``address``), metric CRS.
    x, y
        The location in the same CRS.
    categories
        Categories to report, in order (also those without facilities).
    radius_m
        Radius for ``within_radius`` and ``missing`` (inclusive).
    n_nearest
        Facilities listed per category.

    Returns
    -------
    dict
        ``{"radius_m", "categories": {cat: {"nearest": [...], "within_radius": n}},
        "missing": [...]}``; each nearest entry has ``name``, ``subcategory``, ``address``,
        ``distance_m`` (rounded to 0.1 m), ``lat``, ``lon``.
    """
    radius = check_radius(radius_m)
    crs = require_metric(facilities, name="facilities")
    to_wgs84 = transformer(crs.to_string(), WGS84.to_string())
    xy = point_xy(facilities)
    category_of = facilities["category"].astype("string").to_numpy(dtype=object, na_value="")
    radius_out = int(radius) if radius.is_integer() else radius
    out: dict[str, Any] = {"radius_m": radius_out, "categories": {}, "missing": []}
    here = np.array([x, y], dtype=float)
    for category in categories:
        positions = np.flatnonzero(category_of == category)
        nearest: list[dict[str, Any]] = []
        within = 0
        if len(positions):
            dist = np.hypot(*(xy[positions] - here).T)
            within = int(within_radius(dist, radius).sum())
            order = np.lexsort((positions, dist))[:n_nearest]
            lon, lat = to_wgs84.transform(xy[positions[order], 0], xy[positions[order], 1])
            for rank, i in enumerate(order):
                row = facilities.iloc[int(positions[i])]
                nearest.append(
                    {
                        "name": _text(row.get("name")),
                        "subcategory": _text(row.get("subcategory")),
                        "address": _text(row.get("address")),
                        "distance_m": round(float(dist[i]), 1),
                        "lat": round(float(np.atleast_1d(lat)[rank]), 6),
                        "lon": round(float(np.atleast_1d(lon)[rank]), 6),
                    }
                )
        out["categories"][category] = {"nearest": nearest, "within_radius": within}
        if within == 0:
            out["missing"].append(category)
    return out


def location_from_lonlat(lon: float, lat: float, crs: CRS) -> tuple[float, float]:
    """Project a WGS84 ``lon``/``lat`` into the metric CRS ``crs``."""
    x, y = transformer(WGS84.to_string(), CRS(crs).to_string()).transform(lon, lat)
    return float(x), float(y)


def location_to_lonlat(x: float, y: float, crs: CRS) -> tuple[float, float]:
    """Project a point of the metric CRS ``crs`` to WGS84 ``lon``/``lat``."""
    lon, lat = transformer(CRS(crs).to_string(), WGS84.to_string()).transform(x, y)
    return float(lon), float(lat)


__all__ = [
    "N_NEAREST",
    "location_from_lonlat",
    "location_to_lonlat",
    "nearby",
]
