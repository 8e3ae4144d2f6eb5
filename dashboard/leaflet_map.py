"""The interactive map as Leaflet layers (dash-leaflet): geometry once, values as colours.

The plotly map (:mod:`dashboard.figures`) stays the one for exports (kaleido) and the compare
view. In the browser, a plotly ``Plotly.react`` hands every trace to MapLibre again, which
re-tiles it and draws two or three WebGL frames: about 120 ms per change on a computer
without graphics acceleration (software WebGL, as on many municipal thin clients). Here the
areas and gap hexagons are created once per geometry and a change of distance, year or
category only restyles them: the view callback sends the values of each changed layer
(``{"kind": …, "fill": [colour, …], "tip": template, "cols": [column, …], …}`` aligned with the
feature ids, see :func:`area_hideout` and :func:`gap_hideout`; of those parts only the ones
that changed) to a store, and ``restyle`` of ``assets/map.js`` (which follows the store in the
Dash renderer's Redux store) applies them to the existing Leaflet layers, restyling only the
features whose look changed.

Colours come from the same plotly colour scales and ranges as the export figure
(:func:`scale_colours`), so the screen and the exported map agree. Every text that reaches a
tooltip was escaped by the caller (:func:`dashboard.figures.esc`); Leaflet shows tooltips as
HTML. The functions named in :data:`JS` live in ``assets/map.js``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

import dash_leaflet as dl
import numpy as np
import pandas as pd
from plotly.colors import convert_colors_to_same_type, get_colorscale, unlabel_rgb

from dashboard import ids
from dashboard.figures import (
    SCENARIO_MARKERS,
    AreaGeometry,
    Boundaries,
    multiline_geometry,
)

JS = "quartiersatlasMap"
"""Namespace of the map functions in ``assets/map.js``."""
MARKER_STYLE = {
    kind: {"radius": style["size"] / 2, "color": style["color"]}
    for kind, style in SCENARIO_MARKERS.items()
}
"""Point markers of the scenario, the location and uploads (as on the exported map)."""
EMPTY: dict = {"type": "FeatureCollection", "features": []}
PANES: dict[str, int] = {"qa-borders": 450, "qa-facilities": 460, "qa-markers": 470}
"""Leaflet panes above the areas and hexagons (overlay pane, z-index 400) with their z-index.

Within one pane Leaflet draws in the order layers were added, so areas re-created after the
facilities (a page opened from a link) would cover them and take their clicks. Panes fix the
order whatever is re-created when. The panes ignore the pointer (``pointer-events: none``)
except on the facilities and markers themselves (``assets/map.js`` draws them as SVG), so
the map and the areas below still get every other click and hover.
"""
_RGBA = re.compile(r"rgba\(\s*[\d.]+\s*,\s*[\d.]+\s*,\s*[\d.]+\s*,\s*([\d.]+)\s*\)")


def change_digest(value: object) -> str:
    """A short digest of a JSON-able value (what a browser was sent, see ``callbacks.view``)."""
    import hashlib
    import json

    from plotly.utils import PlotlyJSONEncoder

    text = json.dumps(value, cls=PlotlyJSONEncoder, sort_keys=True, default=str)
    return hashlib.blake2b(text.encode(), digest_size=6).hexdigest()


def initial_map_sent() -> dict[str, str]:
    """What the page's map holds before the first update: the district geometry."""
    return {f"{ids.MAP_AREAS}.data": change_digest("district")}


def js(name: str) -> dict[str, str]:
    """A reference to the function ``name`` of ``assets/map.js`` (dash-leaflet resolves it)."""
    return {"variable": f"{JS}.{name}"}


def scale_colours(
    values: Sequence[float] | np.ndarray,
    scale: str | list,
    zmin: float,
    zmax: float,
    *,
    as_hex: bool = False,
) -> tuple[list[str | None], list[float]]:
    """Colour and opacity of each value on a plotly colour scale (None for missing values).

    Colours are interpolated linearly in RGB between the scale's stops, as plotly's
    :func:`~plotly.colors.sample_colorscale` does (the tests compare both), but for all values
    at once; opacity is interpolated from ``rgba`` stops (1.0 for opaque scales).

    Examples
    --------
    >>> scale_colours([0.0, 1.0, float("nan")], [[0, "rgb(0,0,0)"], [1, "rgb(255,255,255)"]], 0, 1)
    (['rgb(0, 0, 0)', 'rgb(255, 255, 255)', None], [1.0, 1.0, 0.0])
    """
    stops, rgba = _scale_stops(scale if isinstance(scale, str) else tuple(map(tuple, scale)))
    v = np.asarray(values, dtype=float)
    finite = np.isfinite(v)
    span = zmax - zmin if zmax > zmin else 1.0
    pos = np.clip((np.where(finite, v, zmin) - zmin) / span, 0.0, 1.0)
    channels = [np.interp(pos, stops, rgba[:, k]) for k in range(4)]
    # rounded half to even, as plotly rounds its sampled colours
    channels[:3] = [np.rint(c).astype(int) for c in channels[:3]]
    # as_hex: "#rrggbb", the same colour in half the bytes (:func:`hex_colour`)
    form = "#{:02x}{:02x}{:02x}" if as_hex else "rgb({}, {}, {})"
    colours = [
        form.format(r, g, b) if ok else None
        for r, g, b, ok in zip(*(c.tolist() for c in channels[:3]), finite.tolist(), strict=True)
    ]
    opacity = [round(float(a), 3) if ok else 0.0 for a, ok in zip(channels[3], finite, strict=True)]
    return colours, opacity


@lru_cache(maxsize=16)
def _scale_stops(scale: str | tuple) -> tuple[np.ndarray, np.ndarray]:
    """Positions and RGBA (0–255, alpha 0–1) of a plotly colour scale's stops."""
    stops = get_colorscale(scale) if isinstance(scale, str) else [list(s) for s in scale]
    positions = np.array([float(p) for p, _ in stops])
    rgba = []
    for _, colour in stops:
        alpha = float(m.group(1)) if (m := _RGBA.match(colour)) else 1.0
        text = colour if not m else "rgb(" + colour[5:].rsplit(",", 1)[0] + ")"
        r, g, b = unlabel_rgb(convert_colors_to_same_type(text, colortype="rgb")[0][0])
        rgba.append((r, g, b, alpha))
    return positions, np.array(rgba, dtype=float)


TIP_FIELD = re.compile(r"%\{customdata\[(\d+)\]\}")
"""A field of a hover template; ``assets/map.js`` fills tooltips with the same pattern."""


def fill_template(template: str, values: Sequence[object]) -> str:
    """Put ``values`` into a hover template's ``%{customdata[i]}`` fields (already escaped).

    One pass, as ``assets/map.js`` fills its tooltips: a value that itself holds a field is
    not filled again; a field without a value stays as it is.

    Examples
    --------
    >>> fill_template("%{customdata[0]}: %{customdata[1]} %{customdata[2]}", ["%{customdata[1]}", "5"])
    '%{customdata[1]}: 5 %{customdata[2]}'
    """

    def field(match: re.Match) -> str:
        i = int(match.group(1))
        return str(values[i]) if i < len(values) else match.group(0)

    return TIP_FIELD.sub(field, template)


def hex_colour(colour: str | None) -> str | None:
    """``"rgb(r, g, b)"`` as ``"#rrggbb"`` (the same colour in half the bytes), None stays None.

    Examples
    --------
    >>> hex_colour("rgb(254, 232, 56)"), hex_colour(None)
    ('#fee838', None)
    """
    if colour is None:
        return None
    r, g, b = (int(c) for c in colour[colour.index("(") + 1 : -1].split(","))
    return f"#{r:02x}{g:02x}{b:02x}"


def tip_texts(template: str, rows: Sequence[Sequence[str | None]]) -> list[str]:
    """The tooltip of each feature: ``template`` filled with its row.

    A feature whose row has no first value has no tooltip (``""``).
    """
    return [fill_template(template, row) if row and row[0] is not None else "" for row in rows]


def layer_tips(layer: Mapping[str, Any]) -> list[str]:
    """The tooltip of each feature of a map layer's values (``tip_template``, ``tip_rows``).

    The screen sends the template and the rows (``area_hideout``); a figure with hover text
    (the exports) fills them in here.
    """
    return tip_texts(layer["tip_template"], layer["tip_rows"])


def tip_columns(rows: Sequence[Sequence[str | None] | None]) -> list[list[str | None]]:
    """Rows of template values as columns (``None`` where a row has no value).

    A feature without a first value has no tooltip.

    Columns travel separately, so a column that did not change (the area names, the residents
    of a hexagon when only the distance changed) is not sent again (``callbacks.view``).
    """
    width = max((len(row) for row in rows if row is not None), default=0)
    return [
        [None if row is None or k >= len(row) or row[k] is None else str(row[k]) for row in rows]
        for k in range(width)
    ]


def area_hideout(
    area_ids: Sequence[str],
    values: np.ndarray,
    *,
    scale: str | list,
    zmin: float,
    zmax: float,
    tip_template: str,
    tip_rows: Sequence[Sequence[str]],
    selected: str | None,
    opacity: float,
) -> dict[str, Any]:
    """Colours, tooltips and the selected area of the area layer, aligned with ``area_ids``.

    ``{"kind": "areas", "ids": [...], "fill": ["#rrggbb" or None, ...], "tip": template,
    "cols": [column, ...], "selected": ..., "opacity": ...}``: ``assets/map.js`` fills the
    template with each area's entries of the columns (:func:`tip_columns`).
    """
    colours, _ = scale_colours(values, scale, zmin, zmax, as_hex=True)
    return {
        "kind": "areas",
        "ids": list(area_ids),
        "fill": colours,
        "tip": tip_template,
        "cols": tip_columns(tip_rows),
        "selected": selected,
        "opacity": opacity,
    }


def gap_hideout(
    hex_ids: Sequence[str],
    values: np.ndarray,
    *,
    scale: list,
    zmax: float,
    tip_template: str,
    tip_rows: Sequence[Sequence[str | None]],
) -> dict[str, Any]:
    """Colours (``["#rrggbb", opacity]``) and tooltips of the gap hexagons, aligned with ``hex_ids``.

    Hexagons without a value are not drawn and have no tooltip (no first value).
    """
    colours, opacity = scale_colours(values, scale, 0.0, zmax, as_hex=True)
    cols = tip_columns(tip_rows)
    if cols:
        cols[0] = [v if c is not None else None for v, c in zip(cols[0], colours, strict=True)]
    return {
        "kind": "gaps",
        "ids": list(hex_ids),
        # opacity to 1/100: a finer step is not visible, and it halves the bytes
        "fill": [
            None if c is None else [c, round(a, 2)] for c, a in zip(colours, opacity, strict=True)
        ],
        "tip": tip_template,
        "cols": cols,
    }


def no_gaps(hex_ids: Sequence[str]) -> dict[str, Any]:
    """The gap layer's values when no gaps are shown: nothing drawn."""
    return {"kind": "gaps", "ids": list(hex_ids), "fill": [], "tip": "", "cols": []}


def facility_features(facilities: pd.DataFrame, colours: dict[str, str]) -> dict:
    """Facilities (from :func:`dashboard.figures.facility_points`) as GeoJSON points.

    Properties: ``id``, ``category``, ``colour`` and ``tip`` (name, subcategory, address, all
    escaped already).
    """
    features = []
    for row in facilities.itertuples(index=False):
        tip = "<br>".join(x for x in (f"<b>{row.name}</b>", row.subcategory, row.address) if x)
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [row.lon, row.lat]},
                "properties": {
                    "id": row.id,
                    "category": row.category,
                    "colour": colours.get(row.category, "#444444"),
                    "tip": tip,
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


def marker_features(markers: Sequence[dict[str, Any]]) -> dict:
    """Scenario markers, location and uploads as GeoJSON points.

    Each marker has ``kind`` (a key of :data:`MARKER_STYLE`), ``lat``, ``lon``, ``tip`` (escaped
    HTML) and optionally ``index`` (position in the scenario), ``id`` (facility id) and
    ``label`` (a short text drawn on the marker).
    """
    features = []
    for marker in markers:
        props = {k: v for k, v in marker.items() if k not in ("lat", "lon")}
        props.update(MARKER_STYLE[marker["kind"]])
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [marker["lon"], marker["lat"]]},
                "properties": props,
            }
        )
    return {"type": "FeatureCollection", "features": features}


def border_features(boundaries: Boundaries) -> dict:
    """The area borders and the city outline as GeoJSON lines (property ``kind``)."""
    return {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {"kind": kind}, "geometry": multiline_geometry(lines)}
            for kind, lines in (("borders", boundaries.districts), ("outline", boundaries.city))
        ],
    }


def tile_layers(url: str, attribution: str = "© OpenStreetMap contributors") -> list:
    """The online basemap (only when the user switches it on)."""
    return [dl.TileLayer(url=url, attribution=attribution, opacity=0.55)]


def base_map(*, areas: AreaGeometry, facilities: dict) -> dl.Map:
    """The map with every layer; colours arrive later as values, some geometry after the map.

    Layer order from the bottom: online basemap (off), areas, gap hexagons, streets, borders
    and city outline, area names, facilities, scenario markers (borders, facilities and markers
    in their own :data:`PANES`); a scale bar (:mod:`dashboard.map_context`). The gap hexagons,
    streets, borders (:func:`border_features`) and area names start empty: they get their
    geometry once the first map is painted (:mod:`dashboard.deferred`).
    """
    from dashboard import map_context

    west, south, east, north = areas.bounds
    return dl.Map(
        id=ids.MAP,
        bounds=[[south, west], [north, east]],
        boundsOptions={"padding": [8, 8]},
        zoomSnap=0.25,
        zoomDelta=0.5,
        preferCanvas=True,
        trackResize=True,
        trackViewport=False,  # no prop updates (requests) while the user pans
        attributionControl=True,
        style={"height": "100%", "width": "100%"},
        className="leaflet-map",
        children=[
            dl.LayerGroup(id=ids.MAP_TILES, children=[]),
            dl.GeoJSON(
                id=ids.MAP_AREAS,
                data=areas.geojson,
                style=js("valueStyle"),
                onEachFeature=js("register"),
                hideout={"kind": "areas"},
            ),
            # no data: a GeoJSON layer with data would never fetch its URL
            dl.GeoJSON(
                id=ids.MAP_GAPS,
                style=js("valueStyle"),
                onEachFeature=js("register"),
                hideout={"kind": "gaps"},
            ),
            map_context.street_layer(),
            _pane(
                "qa-borders",
                dl.GeoJSON(id=ids.MAP_BORDERS, style=js("lineStyle"), interactive=False),
            ),
            map_context.label_layer(),
            map_context.scale_bar(),
            _pane(
                "qa-facilities",
                dl.GeoJSON(
                    id=ids.MAP_FACILITIES,
                    data=facilities,
                    pointToLayer=js("facilityPoint"),
                    filter=js("facilityFilter"),
                    onEachFeature=js("bindFacilityTip"),
                    bubblingMouseEvents=False,
                    hideout={"show": [], "labels": {}},
                ),
            ),
            _pane(
                "qa-markers",
                dl.GeoJSON(
                    id=ids.MAP_MARKERS,
                    data=EMPTY,
                    pointToLayer=js("markerPoint"),
                    onEachFeature=js("bindMarkerTip"),
                    bubblingMouseEvents=False,
                ),
            ),
        ],
    )


def _pane(name: str, layer: Any) -> dl.Pane:
    """``layer`` in the pane ``name`` of :data:`PANES`."""
    return dl.Pane(
        name=name, style={"zIndex": PANES[name], "pointerEvents": "none"}, children=[layer]
    )
