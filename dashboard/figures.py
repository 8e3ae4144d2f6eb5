"""Pure functions from data to plotly figures and display geometry (no callbacks, no globals).

Geometry is converted here, and only here, for display: simplified in the metric CRS
(:data:`SIMPLIFY_M`), projected to EPSG:4326 and rounded to :data:`COORD_DECIMALS` decimals.
Every user-supplied text that reaches a hover label is escaped with :func:`html.escape`
(plotly renders hover text as HTML).

The map figure has a fixed trace order (:class:`Traces`) so callbacks can update values with
``dash.Patch`` without resending geometry.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import plotly.graph_objects as go
import shapely

from dashboard.i18n import fmt_number, plotly_separators

SIMPLIFY_M = 20.0
"""Display tolerance: polygons are simplified by 20 m before projection."""
COORD_DECIMALS = 5
"""Display coordinates are rounded to 5 decimals (about 1 m)."""
WGS84 = "EPSG:4326"
SHARE_SCALE = "Cividis"
"""Sequential, colour-blind-safe scale of covered shares."""
CHANGE_SCALE = [
    [0.0, "#b35806"],
    [0.25, "#f1a340"],
    [0.5, "#f7f7f7"],
    [0.75, "#998ec3"],
    [1.0, "#542788"],
]
"""Diverging, colour-blind-safe scale of demographic change (orange = decline, purple = growth)."""
GAP_SCALE = [[0.0, "rgba(204,121,167,0.05)"], [1.0, "rgba(120,20,80,0.72)"]]
"""Single-hue (Okabe-Ito reddish purple) scale of uncovered residents per hexagon."""
SCENARIO_MARKERS: dict[str, dict] = {
    "added": {"size": 20, "color": "#000000"},
    "removed": {"size": 12, "color": "#D55E00"},
    "suggested": {"size": 16, "color": "#56B4E9"},
    "location": {"size": 22, "color": "#D55E00"},
    "upload": {"size": 9, "color": "#F0E442"},
}
"""Diameter (px) and colour of the planned, switched-off and suggested facilities, the location
and uploaded points, in :class:`Traces` order after the facilities (exports and app alike)."""
FONT = "Source Sans 3, Segoe UI, Helvetica Neue, Arial, sans-serif"


def esc(value: object) -> str:
    """Escape text for a plotly hover label or an HTML fragment; missing values become ``""``.

    Examples
    --------
    >>> esc("<img src=x onerror=alert(1)>")
    '&lt;img src=x onerror=alert(1)&gt;'
    """
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return ""
    return html.escape(str(value), quote=True)


def _round_coords(geom: shapely.Geometry) -> shapely.Geometry:
    return shapely.transform(geom, lambda xy: np.round(xy, COORD_DECIMALS))


def to_display(frame: gpd.GeoDataFrame, *, simplify_m: float = SIMPLIFY_M) -> gpd.GeoDataFrame:
    """Simplify (metric CRS), project to WGS84 and round coordinates, for display only."""
    out = frame.copy()
    if simplify_m > 0 and out.crs is not None and out.crs.is_projected:
        out["geometry"] = out.geometry.simplify(simplify_m, preserve_topology=True)
    out = out.to_crs(WGS84)
    out["geometry"] = [_round_coords(g) for g in out.geometry]
    return out


@dataclass(frozen=True)
class AreaGeometry:
    """Display geometry of the areas of one level: GeoJSON with ``id`` = area id."""

    ids: list[str]
    names: list[str]
    geojson: dict
    center: dict[str, float]
    zoom: float
    bounds: tuple[float, float, float, float]
    """west, south, east, north (degrees)."""


def _zoom_for(
    bounds: tuple[float, float, float, float], *, width_px: float = 560.0, height_px: float = 500.0
) -> float:
    west, south, east, north = bounds
    lon_span = max(east - west, 1e-6)
    lat_mid = math.radians((south + north) / 2)
    lat_span = max((north - south) / math.cos(lat_mid), 1e-6)
    # MapLibre tiles are 512 px: at zoom z the world is 512 * 2**z px wide
    zx = math.log2(width_px * 360.0 / (512.0 * lon_span))
    zy = math.log2(height_px * 360.0 / (512.0 * lat_span))
    return round(min(zx, zy) - 0.2, 2)


def area_geometry(districts: gpd.GeoDataFrame, mapping: pd.DataFrame) -> AreaGeometry:
    """Dissolve districts into the areas of ``mapping`` and prepare them for display.

    ``mapping`` has ``district_id``, ``area_id`` and ``area_name``.
    """
    ids = districts["id"].astype(str)
    area_of = dict(
        zip(mapping["district_id"].astype(str), mapping["area_id"].astype(str), strict=False)
    )
    name_of = dict(
        zip(mapping["area_id"].astype(str), mapping["area_name"].astype(str), strict=False)
    )
    frame = gpd.GeoDataFrame(
        {"area_id": ids.map(area_of).to_numpy()},
        geometry=districts.geometry.to_numpy(),
        crs=districts.crs,
    ).dropna(subset=["area_id"])
    order = list(dict.fromkeys(mapping["area_id"].astype(str)))
    dissolved = frame.dissolve(by="area_id").reindex(order)
    dissolved = gpd.GeoDataFrame(dissolved, geometry="geometry", crs=districts.crs)
    shown = to_display(dissolved)
    features = [
        {
            "type": "Feature",
            "id": area_id,
            "properties": {},
            "geometry": shapely.geometry.mapping(geom),
        }
        for area_id, geom in zip(order, shown.geometry, strict=True)
        if geom is not None and not geom.is_empty
    ]
    west, south, east, north = (float(v) for v in shown.total_bounds)
    bounds = (west, south, east, north)
    return AreaGeometry(
        ids=order,
        names=[name_of[a] for a in order],
        geojson={"type": "FeatureCollection", "features": features},
        center={"lat": round((south + north) / 2, 5), "lon": round((west + east) / 2, 5)},
        zoom=_zoom_for(bounds),
        bounds=bounds,
    )


@dataclass(frozen=True)
class Lines:
    """Line geometry as lat/lon arrays with ``None`` separating the parts."""

    lat: list[float | None]
    lon: list[float | None]


def _lines(geoms: Sequence[shapely.Geometry]) -> Lines:
    lat: list[float | None] = []
    lon: list[float | None] = []
    for geom in geoms:
        for part in getattr(geom, "geoms", [geom]):
            rings = [part.exterior, *part.interiors] if hasattr(part, "exterior") else [part]
            for ring in rings:
                xy = np.asarray(ring.coords)
                lon.extend(xy[:, 0].tolist())
                lat.extend(xy[:, 1].tolist())
                lon.append(None)
                lat.append(None)
    return Lines(lat=lat, lon=lon)


@dataclass(frozen=True)
class Boundaries:
    """Context lines drawn on every map: district borders and the city outline."""

    districts: Lines
    city: Lines


def multiline_geometry(lines: Lines) -> dict:
    """A GeoJSON MultiLineString of ``lines`` (parts separated by ``None``)."""
    parts: list[list[list[float]]] = [[]]
    for lon, lat in zip(lines.lon, lines.lat, strict=True):
        if lon is None or lat is None:
            parts.append([])
        else:
            parts[-1].append([lon, lat])
    return {"type": "MultiLineString", "coordinates": [p for p in parts if len(p) > 1]}


def boundary_layers(boundaries: Boundaries) -> list[dict]:
    """District borders and the city outline as map layers (drawn above the traces).

    As layout layers rather than traces they are handed to the map once: a change of values
    redraws the traces only, not these lines.
    """
    return [
        {
            "sourcetype": "geojson",
            "source": {"type": "Feature", "properties": {}, "geometry": multiline_geometry(lines)},
            "type": "line",
            "color": colour,
            "line": {"width": width},
            "below": "",
            "name": name,
        }
        for name, lines, colour, width in (
            ("borders", boundaries.districts, "#4a4a4a", 0.8),
            ("outline", boundaries.city, "#1a1a1a", 2.2),
        )
    ]


def boundary_lines(districts: gpd.GeoDataFrame) -> Boundaries:
    """District borders and the city outline, simplified and rounded for display."""
    shown = to_display(districts[["geometry"]])
    outline = gpd.GeoDataFrame(
        geometry=[shapely.union_all(districts.geometry.buffer(0.5).to_numpy()).buffer(-0.5)],
        crs=districts.crs,
    )
    return Boundaries(
        districts=_lines(list(shown.geometry)), city=_lines(list(to_display(outline).geometry))
    )


def facility_points(facilities: gpd.GeoDataFrame) -> pd.DataFrame:
    """Facilities for display: ids, category, escaped text and rounded ``lat``/``lon``.

    Columns ``id``, ``category``, ``name``, ``subcategory``, ``address`` (escaped), ``lat``,
    ``lon``, ``row`` (position in ``facilities``).
    """
    if len(facilities) == 0:
        return pd.DataFrame(
            columns=["id", "category", "name", "subcategory", "address", "lat", "lon", "row"]
        )
    shown = facilities.to_crs(WGS84)
    return pd.DataFrame(
        {
            "id": facilities["id"].astype(str).to_numpy(),
            "category": facilities["category"].astype(str).to_numpy(),
            "name": [esc(v) for v in facilities["name"]],
            "subcategory": [esc(v) for v in facilities.get("subcategory", [""] * len(facilities))],
            "address": [esc(v) for v in facilities.get("address", [""] * len(facilities))],
            "lat": np.round(shown.geometry.y.to_numpy(), COORD_DECIMALS),
            "lon": np.round(shown.geometry.x.to_numpy(), COORD_DECIMALS),
            "row": np.arange(len(facilities)),
        }
    )


@dataclass(frozen=True)
class HexLayer:
    """Display geometry of the gap hexagons (fixed order, ``id`` = hex id)."""

    ids: list[str]
    geojson: dict


def hex_layer(frame: gpd.GeoDataFrame) -> HexLayer:
    """Hexagons (``hex_id``, geometry in a metric CRS) prepared for display (no simplification)."""
    shown = to_display(frame, simplify_m=0)
    ids = frame["hex_id"].astype(str).tolist()
    features = [
        {"type": "Feature", "id": i, "properties": {}, "geometry": shapely.geometry.mapping(g)}
        for i, g in zip(ids, shown.geometry, strict=True)
    ]
    return HexLayer(ids=ids, geojson={"type": "FeatureCollection", "features": features})


@dataclass(frozen=True)
class Traces:
    """Fixed trace positions of the map figure."""

    n_categories: int
    DISTRICTS = 0
    PLANNING = 1
    GAPS = 2
    FIRST_FACILITY = 3

    def facility(self, i: int) -> int:
        """Trace of the ``i``-th category's facilities."""
        return self.FIRST_FACILITY + i

    @property
    def added(self) -> int:
        """Planned facilities of the what-if scenario."""
        return self.FIRST_FACILITY + self.n_categories

    @property
    def removed(self) -> int:
        """Facilities switched off in the scenario (crossed markers)."""
        return self.added + 1

    @property
    def suggested(self) -> int:
        """Suggested sites."""
        return self.added + 2

    @property
    def location(self) -> int:
        """The coordinator's location."""
        return self.added + 3

    @property
    def upload(self) -> int:
        """Uploaded facilities."""
        return self.added + 4

    @property
    def count(self) -> int:
        """Number of traces."""
        return self.added + 5


def _areas_trace(geo: AreaGeometry | None, *, visible: bool, name: str) -> go.Choroplethmap:
    ids = geo.ids if geo else []
    return go.Choroplethmap(
        geojson=geo.geojson if geo else {"type": "FeatureCollection", "features": []},
        locations=ids,
        z=[None] * len(ids),
        customdata=[[n, "", ""] for n in (geo.names if geo else [])],
        featureidkey="id",
        colorscale=SHARE_SCALE,
        zmin=0,
        zmax=100,
        marker={"opacity": 0.78, "line": {"width": 0.6, "color": "#ffffff"}},
        colorbar={
            "title": {"text": "", "side": "right"},
            "thickness": 12,
            "len": 0.48,
            "y": 0.66,
            "ticksuffix": " %",
            "outlinewidth": 0,
        },
        hovertemplate="%{customdata[0]}<extra></extra>",
        visible=visible,
        showscale=visible,
        name=name,
    )


def map_figure(
    *,
    districts: AreaGeometry,
    planning: AreaGeometry | None,
    hexes: HexLayer | None,
    boundaries: Boundaries,
    facilities: pd.DataFrame,
    categories: Sequence[tuple[str, str, str]],
    height_px: int | None = None,
) -> go.Figure:
    """The base map: every trace in :class:`Traces` order, values empty (filled by a Patch).

    Parameters
    ----------
    districts, planning
        Area geometry of the two levels (``planning`` None when the dataset has no mapping).
    hexes
        Gap hexagons, or None.
    boundaries
        District borders and city outline (drawn as layout layers, see :func:`boundary_layers`).
    facilities
        From :func:`facility_points` (text already escaped).
    categories
        ``(id, label, colour)`` per category, catalogue order.
    """
    traces = Traces(len(categories))
    fig = go.Figure()
    fig.add_trace(_areas_trace(districts, visible=True, name="districts"))
    fig.add_trace(_areas_trace(planning, visible=False, name="planning_areas"))
    fig.add_trace(
        go.Choroplethmap(
            geojson=hexes.geojson if hexes else {"type": "FeatureCollection", "features": []},
            locations=hexes.ids if hexes else [],
            z=[None] * (len(hexes.ids) if hexes else 0),
            featureidkey="id",
            colorscale=GAP_SCALE,
            zmin=0,
            marker={"line": {"width": 0}},
            colorbar={
                "title": {"text": "", "side": "right"},
                "thickness": 12,
                "len": 0.32,
                "y": 0.2,
                "outlinewidth": 0,
            },
            showscale=False,
            visible=False,
            hovertemplate="%{customdata}<extra></extra>",
            customdata=[""] * (len(hexes.ids) if hexes else 0),
            name="gaps",
        )
    )
    for cat_id, label, colour in categories:
        sub = facilities[facilities["category"] == cat_id]
        fig.add_trace(
            go.Scattermap(
                lat=sub["lat"],
                lon=sub["lon"],
                mode="markers",
                marker={"size": 10, "color": colour, "opacity": 0.95},
                customdata=np.column_stack(
                    [sub["name"], sub["subcategory"], sub["address"], sub["id"]]
                ).tolist()
                if len(sub)
                else [],
                hovertemplate=(
                    "<b>%{customdata[0]}</b><br>%{customdata[1]}<br>%{customdata[2]}"
                    f"<extra>{esc(label)}</extra>"
                ),
                name=esc(label),
                legendgroup=cat_id,
                showlegend=True,
            )
        )
    for name, marker in SCENARIO_MARKERS.items():
        fig.add_trace(
            go.Scattermap(
                lat=[],
                lon=[],
                mode="markers",
                marker={**marker, "symbol": "circle"},
                name=name,
                showlegend=False,
                customdata=[],
                hovertemplate="%{customdata}<extra></extra>",
            )
        )
    assert len(fig.data) == traces.count
    fig.update_layout(
        map={
            "style": "white-bg",
            "center": districts.center,
            "zoom": districts.zoom,
            "layers": boundary_layers(boundaries),
        },
        margin={"l": 0, "r": 0, "t": 0, "b": 0},
        paper_bgcolor="#ffffff",
        font={"family": FONT, "size": 13, "color": "#1d2730"},
        legend={
            "orientation": "h",
            "x": 0.01,
            "y": 0.01,
            "xanchor": "left",
            "yanchor": "bottom",
            "bgcolor": "rgba(255,255,255,0.88)",
            "bordercolor": "#c8ced3",
            "borderwidth": 1,
            "font": {"size": 13},
        },
        hoverlabel={"font": {"family": FONT, "size": 14}, "align": "left"},
        uirevision="map",
        clickmode="event",
        height=height_px,
    )
    return fig


def osm_layers(url: str, attribution: str = "© OpenStreetMap contributors") -> list[dict]:
    """Raster basemap layer below the traces (online only)."""
    return [
        {
            "sourcetype": "raster",
            "source": [url],
            "below": "traces",
            "sourceattribution": attribution,
            "opacity": 0.55,
        }
    ]


def change_map_figure(
    districts: AreaGeometry, planning: AreaGeometry | None, boundaries: Boundaries
) -> go.Figure:
    """A second map for the compare view: areas coloured by demographic change, with outline.

    Traces: 0 districts, 1 planning areas (empty without a mapping), 2 city outline.
    """
    fig = go.Figure()
    for geo, visible, name in ((districts, True, "districts"), (planning, False, "planning")):
        trace = _areas_trace(geo, visible=visible, name=name)
        trace.update(colorscale=CHANGE_SCALE, zmid=0, zmin=None, zmax=None)
        trace.colorbar.update(ticksuffix=" %", len=0.7, y=0.5)
        fig.add_trace(trace)
    fig.add_trace(
        go.Scattermap(
            lat=boundaries.city.lat,
            lon=boundaries.city.lon,
            mode="lines",
            line={"width": 2.2, "color": "#1a1a1a"},
            hoverinfo="skip",
            showlegend=False,
        )
    )
    fig.update_layout(
        map={"style": "white-bg", "center": districts.center, "zoom": districts.zoom - 0.6},
        margin={"l": 0, "r": 0, "t": 0, "b": 0},
        font={"family": FONT, "size": 13},
        uirevision="compare",
        showlegend=False,
    )
    return fig


def _base_layout(height: int = 190) -> dict[str, Any]:
    return {
        "height": height,
        "margin": {"l": 44, "r": 10, "t": 8, "b": 30},
        "font": {"family": FONT, "size": 12, "color": "#1d2730"},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "#ffffff",
        "showlegend": False,
        "xaxis": {"gridcolor": "#eef1f3", "zeroline": False},
        "yaxis": {"gridcolor": "#eef1f3", "zeroline": False},
    }


def _chart(data: list[dict[str, Any]], layout: dict[str, Any]) -> go.Figure:
    """A small chart from plain data and layout, unvalidated.

    Validating a figure property by property took 10–15 ms per chart, and a profile has four;
    the charts are fixed shapes, checked against a validated figure in the tests
    (``tests/dashboard/test_figures.py``).
    """
    return go.Figure({"data": data, "layout": layout}, _validate=False)


def trend_figure(
    series: Sequence[dict],
    city: Sequence[dict] | None = None,
    *,
    lang: str = "de",
    labels: tuple[str, str] = ("Gebiet", "Stadt"),
) -> go.Figure:
    """Population per year of one area (line), with projected years dashed."""
    layout = _base_layout()
    known = [s for s in series if s.get("value") is not None]
    trace = {
        "type": "scatter",
        "x": [s["year"] for s in known],
        "y": [s["value"] for s in known],
        "mode": "lines+markers",
        "line": {"color": "#0072B2", "width": 2.5},
        "marker": {"size": 5},
        "name": esc(labels[0]),
        "hovertemplate": "%{x}: %{y:,.0f}<extra></extra>",
    }
    layout["separators"] = plotly_separators(lang)
    layout["yaxis"].update(rangemode="tozero", tickformat=",.0f")
    layout["xaxis"]["dtick"] = 2 if len(known) > 8 else 1
    return _chart([trace], layout)


def bars_figure(
    labels: Sequence[str],
    values: Sequence[float | None],
    city: Sequence[float | None],
    *,
    colours: Sequence[str] | None = None,
    lang: str = "de",
    suffix: str = " %",
    names: tuple[str, str] = ("Gebiet", "Stadt"),
) -> go.Figure:
    """Horizontal bars of an area's values with the city average as a marker per bar."""
    layout = _base_layout(height=max(110, 46 * len(labels) + 40))
    safe = [esc(x) for x in labels]
    bars = {
        "type": "bar",
        "y": safe,
        "x": [v if v is not None else 0 for v in values],
        "orientation": "h",
        "marker": {"color": list(colours) if colours else "#0072B2"},
        "name": esc(names[0]),
        "hovertemplate": "%{y}: %{x:.1f}" + suffix + "<extra></extra>",
        "text": [
            f"{fmt_number(v, lang, decimals=1)}{suffix}" if v is not None else "–" for v in values
        ],
        "textposition": "auto",
    }
    markers = {
        "type": "scatter",
        "y": safe,
        "x": list(city),
        "mode": "markers",
        "name": esc(names[1]),
        "marker": {"symbol": "line-ns", "size": 22, "line": {"width": 3, "color": "#1a1a1a"}},
        "hovertemplate": esc(names[1]) + ": %{x:.1f}" + suffix + "<extra></extra>",
    }
    layout.update(
        separators=plotly_separators(lang),
        bargap=0.35,
        margin={"l": 120, "r": 10, "t": 4, "b": 24},
    )
    layout["yaxis"]["autorange"] = "reversed"
    return _chart([bars, markers], layout)
