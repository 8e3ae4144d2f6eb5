"""The exported map drawn in SVG: the map figure's traces redrawn on hidden cartesian axes.

kaleido renders plotly's ``map`` subplot (MapLibre) with WebGL, which headless Chromium
emulates in software (SwiftShader): about 1.3 s even for an empty map, most of an export's
time. :func:`svg_figure` redraws the export's map figure (:func:`dashboard.export_map.view_figure`)
as plotly draws a chart, in SVG: x is the longitude and y the Web Mercator ordinate in degrees
(:func:`mercator_y`), both at one scale, so the page shows the screen map's shape; a PDF gets
vector areas and lines instead of an embedded raster.

Nothing is computed again: every value, colour scale, range, outline, name and colour is read
from the map figure's traces, which :func:`~dashboard.export_map.view_figure` filled from the
map callback's result.

* Areas and gap hexagons (``choroplethmap``): one layout shape per fill colour, an SVG path of
  all polygons of that colour below the traces. The colour is the trace's colour scale at the
  value between ``zmin`` and ``zmax`` (:func:`dashboard.leaflet_map.scale_colours`, the one
  the screen map uses), its alpha the scale colour's alpha times ``marker.opacity``; shapes
  fill by the even-odd rule, so a hole in a polygon stays empty. An area without a value is not
  drawn, as MapLibre leaves it out (no fill, no outline). An outline unlike the trace's
  usual one (the selected area's) is drawn as its own shape above all fills.
* The colour bar: an invisible one-point scatter whose marker carries the trace's colour scale,
  range and colour bar.
* Points (``scattermap``: facilities, scenario, location, uploads): scatter markers with the
  same marker, name and legend entry.
* Line layers of ``layout.map.layers`` (district borders, city outline): line traces above the
  areas, below the points.

A raster layer (the online basemap's tiles) has no SVG counterpart: :func:`can_draw` is False
for such a figure (and for any layer other than GeoJSON lines), and the export keeps the
MapLibre map.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go

from dashboard.leaflet_map import scale_colours

MAP_TRACES = ("choroplethmap", "scattermap")
"""Trace types of plotly's MapLibre subplot that :func:`svg_figure` redraws."""
SVG_DECIMALS = 5
"""Decimals of the drawn coordinates (degrees; about 1 m)."""
_POINT_KEYS = (
    "mode",
    "name",
    "legendgroup",
    "legendrank",
    "showlegend",
    "text",
    "textposition",
    "textfont",
    "opacity",
    "visible",
)


def mercator_y(lat: Any) -> np.ndarray:
    """Web Mercator ordinate of latitudes, in degrees (the scale of the longitude).

    Examples
    --------
    >>> [round(float(y), 4) for y in mercator_y([45.0, 49.0])]
    [50.499, 56.368]
    """
    rad = np.radians(np.asarray(lat, dtype=float))
    return np.degrees(np.log(np.tan(np.pi / 4 + rad / 2)))


def can_draw(fig: go.Figure) -> bool:
    """Whether :func:`svg_figure` can draw ``fig``: map traces only, layers only GeoJSON lines.

    A raster layer (the online basemap's tiles) has no SVG counterpart.
    """
    if not fig.data or any(trace.type not in MAP_TRACES for trace in fig.data):
        return False
    return all(
        layer.sourcetype in (None, "geojson") and layer.type == "line"
        for layer in fig.layout.map.layers or ()
        if layer.visible is not False
    )


def svg_figure(
    fig: go.Figure,
    *,
    x_range: Sequence[float],
    y_range: Sequence[float],
    domain_x: Sequence[float] = (0.0, 1.0),
    area_opacity: float | None = None,
) -> go.Figure:
    """``fig`` (map traces, see :func:`can_draw`) drawn in SVG on hidden, equally scaled axes.

    Parameters
    ----------
    fig
        A figure of ``choroplethmap`` and ``scattermap`` traces and line layers; not changed.
    x_range, y_range
        Extent shown: longitudes and :func:`mercator_y` ordinates (degrees); their ratio should
        be the map area's, the axes keep one scale.
    domain_x
        Horizontal share of the plot area the map takes.
    area_opacity
        Opacity of the areas and hexagons in place of their traces' ``marker.opacity``.

    Returns
    -------
    plotly.graph_objects.Figure
        The layout of ``fig`` without ``map``, with hidden ``xaxis``/``yaxis`` and the areas as
        ``layout.shapes``; scatter traces for lines, colour bars and points.
    """
    shapes: list[dict] = []
    traces: list[dict] = []
    bars: list[dict] = []
    points: list[dict] = []
    centre = (sum(x_range) / 2, sum(y_range) / 2)
    for trace in fig.data:
        if trace.visible is False:
            continue
        if trace.type == "choroplethmap":
            shapes += area_shapes(trace, opacity=area_opacity)
            bars += _colour_bar(trace, centre)
        else:
            points.append(_points(trace))
    for layer in fig.layout.map.layers or ():
        if layer.visible is not False and layer.type == "line":
            traces.append(_line_layer(layer))
    layout = fig.layout.to_plotly_json()
    layout.pop("map", None)
    axis = {"visible": False, "fixedrange": True, "showgrid": False, "zeroline": False}
    layout.update(
        xaxis={**axis, "range": list(x_range), "domain": list(domain_x)},
        yaxis={**axis, "range": list(y_range), "scaleanchor": "x", "scaleratio": 1},
        shapes=shapes,
        plot_bgcolor="white",
        hovermode=False,
    )
    # unvalidated: a Berlin map has hundreds of shapes, validated one by one in ~1 ms each
    return go.Figure({"data": traces + bars + points, "layout": layout}, _validate=False)


def area_shapes(trace: Any, *, opacity: float | None = None) -> list[dict]:
    """Layout shapes of a ``choroplethmap`` trace: one per fill colour, then odd outlines.

    ``opacity`` replaces the trace's ``marker.opacity`` (None keeps it).

    Returns
    -------
    list of dict
        Path shapes (``layer="below"``) in data coordinates, fill colour as ``rgba(...)``.
    """
    geometry = feature_paths(trace.geojson, trace.featureidkey or "id")
    locations = _listed(trace.locations)
    z = np.array([np.nan if v is None else v for v in _listed(trace.z)], dtype=float)
    finite = np.isfinite(z)
    if not finite.any():
        return []
    zmin = float(np.nanmin(z)) if trace.zmin is None else float(trace.zmin)
    zmax = float(np.nanmax(z)) if trace.zmax is None else float(trace.zmax)
    colours, alphas = scale_colours(z, _scale(trace.colorscale), zmin, zmax)
    if opacity is None:
        opacity = 1.0 if trace.marker.opacity is None else float(trace.marker.opacity)
    widths = _per_point(trace.marker.line.width, len(locations), 1.0)
    line_colours = _per_point(trace.marker.line.color, len(locations), "#444")
    # as plotly: the shorter of locations and z counts
    count = min(len(locations), len(z))
    drawn = [i for i in range(count) if finite[i] and str(locations[i]) in geometry]
    if not drawn:
        return []
    usual = Counter((widths[i], line_colours[i]) for i in drawn).most_common(1)[0][0]
    by_fill: dict[str, list[str]] = {}
    odd: list[tuple[int, str]] = []
    for i in drawn:
        path = geometry[str(locations[i])]
        fill = _rgba(colours[i], alphas[i] * opacity)
        by_fill.setdefault(fill, []).append(path)
        if (widths[i], line_colours[i]) != usual:
            odd.append((i, path))
    line = {"width": usual[0], "color": usual[1]} if usual[0] else {"width": 0}
    shapes = [_shape("".join(paths), fill, line) for fill, paths in by_fill.items()]
    shapes += [
        _shape(path, "rgba(0,0,0,0)", {"width": widths[i], "color": line_colours[i]})
        for i, path in odd
    ]
    return shapes


def _shape(path: str, fill: str, line: Mapping[str, Any]) -> dict:
    return {
        "type": "path",
        "xref": "x",
        "yref": "y",
        "path": path,
        "fillcolor": fill,
        "fillrule": "evenodd",
        "line": dict(line),
        "layer": "below",
    }


def _scale(colorscale: Any) -> str | list:
    return colorscale if isinstance(colorscale, str) else [list(stop) for stop in colorscale]


def _listed(values: Any) -> list:
    """A trace's data array (list, tuple, numpy array or None) as a list."""
    return [] if values is None else list(values)


def _per_point(value: Any, n: int, default: Any) -> list:
    if value is None:
        return [default] * n
    if isinstance(value, str) or not hasattr(value, "__len__"):
        return [value] * n
    return list(value)


def _rgba(colour: str | None, alpha: float) -> str:
    """``rgb(r, g, b)`` with ``alpha`` as ``rgba(r,g,b,a)``."""
    inner = str(colour)[colour.index("(") + 1 : -1].replace(" ", "") if colour else "0,0,0"
    return f"rgba({inner},{round(alpha, 3)})"


def feature_paths(geojson: Any, key: str) -> dict[str, str]:
    """SVG path of every feature's (multi)polygon, by the value at ``key`` (``id`` or ``a.b``)."""
    out: dict[str, str] = {}
    for feature in (geojson or {}).get("features", ()):
        value: Any = feature
        for part in key.split("."):
            value = value.get(part) if isinstance(value, Mapping) else None
        geometry = feature.get("geometry") or {}
        if value is not None and geometry.get("type") in ("Polygon", "MultiPolygon"):
            out[str(value)] = "".join(_ring_path(ring) for ring in _rings(geometry))
    return out


def _rings(geometry: Mapping[str, Any]) -> Iterator[Sequence]:
    polygons = (
        [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    )
    for polygon in polygons:
        yield from polygon


def _ring_path(ring: Sequence) -> str:
    xy = np.asarray(ring, dtype=float)
    if len(xy) < 3:
        return ""
    x = np.round(xy[:, 0], SVG_DECIMALS)
    y = np.round(mercator_y(xy[:, 1]), SVG_DECIMALS)
    return "M" + "L".join(f"{a},{b}" for a, b in zip(x.tolist(), y.tolist(), strict=True)) + "Z"


def _colour_bar(trace: Any, at: tuple[float, float]) -> list[dict]:
    """An invisible one-point scatter that draws the colour bar of ``trace`` (if it shows one)."""
    if trace.showscale is False:
        return []
    z = [v for v in _listed(trace.z) if v is not None and math.isfinite(v)]
    cmin = trace.zmin if trace.zmin is not None else (min(z) if z else 0)
    cmax = trace.zmax if trace.zmax is not None else (max(z) if z else 1)
    return [
        {
            "type": "scatter",
            "x": [at[0]],
            "y": [at[1]],
            "mode": "markers",
            "marker": {
                "color": [cmin],
                "colorscale": _scale(trace.colorscale),
                "cmin": cmin,
                "cmax": cmax,
                "showscale": True,
                "colorbar": trace.colorbar.to_plotly_json(),
                "opacity": 0,
                "size": 1,
            },
            "name": trace.name,
            "showlegend": False,
            "hoverinfo": "skip",
        }
    ]


def _points(trace: Any) -> dict:
    """A ``scattermap`` trace as a scatter trace (markers, text and lines as they were)."""
    lat = [np.nan if v is None else v for v in _listed(trace.lat)]
    lon = [None if v is None else float(v) for v in _listed(trace.lon)]
    y = [None if not math.isfinite(v) else round(v, SVG_DECIMALS) for v in mercator_y(lat).tolist()]
    out: dict[str, Any] = {"type": "scatter", "x": lon, "y": y, "hoverinfo": "skip"}
    spec = trace.to_plotly_json()
    out.update({key: spec[key] for key in _POINT_KEYS if key in spec})
    if "marker" in spec:
        marker = dict(spec["marker"])
        # MapLibre's symbols are icon names; a circle is the one both draw alike
        marker["symbol"] = "circle"
        out["marker"] = marker
    if "line" in spec:
        out["line"] = spec["line"]
    return out


def _line_layer(layer: Any) -> dict:
    """A line layer of ``layout.map.layers`` (GeoJSON lines) as a line trace."""
    x: list[float | None] = []
    y: list[float | None] = []
    for line in _lines(layer.source):
        xy = np.asarray(line, dtype=float)
        if len(xy) < 2:
            continue
        x += [*np.round(xy[:, 0], SVG_DECIMALS).tolist(), None]
        y += [*np.round(mercator_y(xy[:, 1]), SVG_DECIMALS).tolist(), None]
    width = layer.line.width if layer.line and layer.line.width is not None else 2
    return {
        "type": "scatter",
        "x": x,
        "y": y,
        "mode": "lines",
        "line": {"color": layer.color or "#444", "width": width},
        "opacity": 1 if layer.opacity is None else layer.opacity,
        "name": layer.name or "",
        "showlegend": False,
        "hoverinfo": "skip",
    }


def _lines(source: Any) -> Iterator[Sequence]:
    """The line strings of a GeoJSON object (feature collection, feature or geometry)."""
    if not isinstance(source, Mapping):
        return
    kind = source.get("type")
    if kind == "FeatureCollection":
        for feature in source.get("features", ()):
            yield from _lines(feature)
    elif kind == "Feature":
        yield from _lines(source.get("geometry"))
    elif kind == "LineString":
        yield source["coordinates"]
    elif kind in ("MultiLineString", "Polygon"):
        yield from source["coordinates"]
    elif kind == "MultiPolygon":
        for polygon in source["coordinates"]:
            yield from polygon


__all__ = ["MAP_TRACES", "area_shapes", "can_draw", "feature_paths", "mercator_y", "svg_figure"]
