"""Coordinate reference systems: find a dataset's metric CRS and project layers into it."""

from __future__ import annotations

import functools

import geopandas as gpd
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError as PyprojCRSError

from layers.errors import CrsError

WGS84 = CRS.from_epsg(4326)
"""Geographic CRS of GPS coordinates, web maps and the ``lat``/``lon`` columns."""


@functools.lru_cache(maxsize=64)
def transformer(source: str, target: str) -> Transformer:
    """A cached, thread-safe-to-share ``always_xy`` transformer from ``source`` to ``target`` CRS."""
    return Transformer.from_crs(source, target, always_xy=True)


def parse_crs(value: str | int | CRS, *, source: str = "crs") -> CRS:
    """Parse a user-supplied CRS (``"EPSG:25832"``, ``25832``, WKT or a :class:`pyproj.CRS`).

    Parameters
    ----------
    value
        The CRS as given by a user or manifest.
    source
        Where the value came from, used in the error message.

    Returns
    -------
    pyproj.CRS

    Raises
    ------
    CrsError
        If the value is not a CRS pyproj knows.

    Examples
    --------
    >>> parse_crs("EPSG:25832").to_epsg()
    25832
    """
    if isinstance(value, CRS):
        return value
    try:
        return CRS.from_user_input(value)
    except (PyprojCRSError, TypeError) as exc:
        raise CrsError(
            f"{source}: {value!r} is not a known CRS; give it as 'EPSG:<code>', e.g. 'EPSG:25832'."
        ) from exc


def require_crs(frame: gpd.GeoDataFrame | gpd.GeoSeries, *, name: str) -> CRS:
    """Return the CRS of ``frame`` or raise if it has none.

    Raises
    ------
    CrsError
        If ``frame`` has no CRS.
    """
    if frame.crs is None:
        raise CrsError(
            f"`{name}` has no CRS; set one with `.set_crs('EPSG:<code>')` "
            "or give `crs` in the dataset manifest."
        )
    return CRS.from_user_input(frame.crs)


def require_metric(frame: gpd.GeoDataFrame | gpd.GeoSeries, *, name: str) -> CRS:
    """Return the CRS of ``frame`` if it is projected in metres; raise otherwise.

    Raises
    ------
    CrsError
        If ``frame`` has no CRS or a geographic one.
    """
    crs = require_crs(frame, name=name)
    if not crs.is_projected or crs.axis_info[0].unit_name not in ("metre", "meter"):
        raise CrsError(
            f"`{name}` has CRS {crs.to_string()}; distances need a projected CRS in metres. "
            f"Call `layers.crs.to_metric({name}, crs)` first."
        )
    return crs


def estimate_metric_crs(frame: gpd.GeoDataFrame | gpd.GeoSeries) -> CRS:
    """Estimate a metric CRS (the UTM zone of the data's centre, ETRS89 in Europe).

    Raises
    ------
    CrsError
        If ``frame`` has no CRS or is empty.
    """
    require_crs(frame, name="frame")
    if len(frame) == 0:
        raise CrsError("cannot estimate a metric CRS from an empty layer")
    crs = frame.estimate_utm_crs()  # WGS 84 / UTM zone; works everywhere
    try:
        etrs = frame.estimate_utm_crs(datum_name="ETRS89")
    except RuntimeError:  # outside Europe ETRS89 zones do not exist
        return crs
    # pyproj picks ETRS89 zones with northing-first axes (EPSG:3044 …); use the easting-first
    # ETRS89 / UTM zones EPSG:25828–25838 that German and European data are published in.
    zone = int(etrs.utm_zone[:-1]) if etrs.utm_zone else 0
    return CRS.from_epsg(25800 + zone) if 28 <= zone <= 38 else crs


def to_metric(frame: gpd.GeoDataFrame, crs: CRS | str) -> gpd.GeoDataFrame:
    """Project ``frame`` into the metric CRS ``crs`` (a new frame; the input is not changed).

    Raises
    ------
    CrsError
        If ``frame`` has no CRS, or ``crs`` is not projected in metres.
    """
    require_crs(frame, name="frame")
    target = parse_crs(crs)
    if not target.is_projected:
        raise CrsError(f"{target.to_string()} is not a projected CRS; choose a metric one.")
    if CRS.from_user_input(frame.crs) == target:
        return frame.copy()
    return frame.to_crs(target)
