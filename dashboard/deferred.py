"""What the page loads after its first map is painted: map layers and the area options.

The first map needs the areas. The gap hexagons (Berlin: 2,320 polygons, 556 kB of GeoJSON;
Karlsruhe: 983, 230 kB), the borders (Berlin: 217 kB), the area names (a DOM element per name)
and the street lines are drawn a moment later; the area chooser's options (Berlin: 542, which
the dropdown indexes for its search as it renders) are needed only when someone opens it.
Created with the areas, they all came before the first frame with a map (Berlin: about half of
the map's creation time, plus the search index).

So these layers start empty, and a clientside callback hands them their geometry once
``assets/map.js`` reports the first map drawn (``quartiersatlas:map-drawn``; from the frame
after it, so that their loading never holds back the frame that shows the map; at most
:data:`WAIT_MS` later); the area options follow. The hexagons and names come from a URL of
their own, ``/_quartiersatlas/layers/<name>-<key>.json`` (the key is a digest of the bytes, so
the URL changes with the geometry and browsers may keep the file for good; the streets have
their own keyed URL, ``map_context.StreetStore``). The borders travel in the layout, in the
store :data:`ids.MAP_DEFERRED`: they repeat the areas' edges, which brotli finds in the same
response (Berlin: 2.6 kB there, 37 kB as a file of their own). The geometry still comes once per
page; the values travel per change as before, and a layer created after its values arrived
takes the latest ones (``valueStyle`` of ``assets/map.js``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence

import dash

from dashboard import ids

ROUTE = "/_quartiersatlas/layers/"
"""URL prefix of the deferred layers (``<name>-<key>.json``); static-like, served brotli-compressed."""
URL_LAYERS: tuple[str, ...] = (ids.MAP_GAPS, ids.MAP_LABELS, ids.MAP_STREETS)
"""The Leaflet layers (component ids) that get a URL after the first map, in this order."""
DATA_LAYERS: tuple[str, ...] = (ids.MAP_BORDERS,)
"""The Leaflet layers that get their data from the layout's store after the first map."""
WAIT_MS = 4000
"""Longest wait for the first map before the layers load anyway (a map that never draws)."""

AFTER_FIRST_MAP_JS = f"""
function(later) {{
    // the URLs and data of the layers the first map does not need, once the frame after its
    // first drawing has begun: their loading must not hold back the frame that shows the map
    var dc = window.dash_clientside;
    var given = (later || {{}}), parts = (given.urls || []).concat(given.data || []);
    var out = parts.map(function (v) {{ return v ? v : dc.no_update; }});
    return new Promise(function (resolve) {{
        var done = false;
        function go() {{
            if (done) {{ return; }}
            done = true;
            window.removeEventListener("quartiersatlas:map-drawn", drawn);
            resolve(out);
        }}
        function drawn() {{
            window.requestAnimationFrame(function () {{ setTimeout(go, 0); }});
        }}
        var api = window.quartiersatlasMap;
        if (api && api.drawnCount > 0) {{ go(); return; }}
        window.addEventListener("quartiersatlas:map-drawn", drawn);
        setTimeout(go, {WAIT_MS});
    }});
}}
"""

AREA_OPTIONS_JS = """
function(url, options, value, state, districts) {
    // the district options once the first map is drawn, unless the chooser has options, or
    // the view callback has moved to another level (it sends that level's options with the
    // state), or it shows an area that is no district (the dropdown would clear it)
    var dc = window.dash_clientside, level = (state && state.level) || "district";
    if (!url || (options && options.length) || level !== "district") { return dc.no_update; }
    var all = districts || [];
    var known = value === null || value === undefined ||
        all.some(function (o) { return o.value === value; });
    return known ? all : dc.no_update;
}
"""


class LayerFiles:
    """The deferred layers of one app as JSON bytes by name, each under a key of its content."""

    def __init__(self) -> None:
        self._files: dict[str, tuple[str, bytes]] = {}

    def add(self, name: str, geojson: Mapping) -> str:
        """Keep ``geojson`` as the file ``name`` and return its URL (path below the app root)."""
        if not (name.isascii() and name.isalnum()):
            raise ValueError(f"layer name must be ASCII letters and digits: {name!r}")
        data = json.dumps(geojson, separators=(",", ":")).encode()
        key = hashlib.sha256(data).hexdigest()[:20]
        self._files[name] = (key, data)
        return f"{ROUTE}{name}-{key}.json"

    def data(self, name: str, key: str) -> bytes | None:
        """The bytes of ``name`` if ``key`` is its current key, else None."""
        kept = self._files.get(name)
        return kept[1] if kept is not None and kept[0] == key else None

    @property
    def urls(self) -> list[str]:
        """The URLs of every kept file."""
        return [f"{ROUTE}{name}-{key}.json" for name, (key, _) in self._files.items()]


def install_route(server, files: LayerFiles) -> None:
    """Serve ``files`` at their URLs; a key that is not the current one is not found."""
    from flask import Response, abort

    def _layer(name: str, key: str) -> Response:
        data = files.data(name, key)
        if data is None:
            abort(404)
        response = Response(data, mimetype="application/json")
        response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        return response

    server.add_url_rule(
        f"{ROUTE}<name>-<key>.json", endpoint="quartiersatlas_layers", view_func=_layer
    )


def later_layers(urls: Sequence[str | None], data: Sequence[dict]) -> dict[str, list]:
    """The value of the store :data:`ids.MAP_DEFERRED`.

    ``urls`` in :data:`URL_LAYERS` order (None: a layer without one), ``data`` in
    :data:`DATA_LAYERS` order.
    """
    if len(urls) != len(URL_LAYERS) or len(data) != len(DATA_LAYERS):
        raise ValueError("one URL per URL layer and one value per data layer")
    return {"urls": list(urls), "data": list(data)}


def register(app: dash.Dash) -> None:
    """Give the later layers their URL or data once the first map is drawn, then the options.

    The area options wait for the gap layer's URL, i.e. for the first map; the view callback
    still sends the options of another level with the state (``callbacks.view``).
    """
    app.clientside_callback(
        AFTER_FIRST_MAP_JS,
        *[dash.Output(layer, "url") for layer in URL_LAYERS],
        *[dash.Output(layer, "data") for layer in DATA_LAYERS],
        dash.Input(ids.MAP_DEFERRED, "data"),
    )
    app.clientside_callback(
        AREA_OPTIONS_JS,
        dash.Output(ids.AREA_SELECT, "options", allow_duplicate=True),
        dash.Input(ids.MAP_GAPS, "url"),
        dash.State(ids.AREA_SELECT, "options"),
        dash.State(ids.AREA_SELECT, "value"),
        dash.State(ids.STATE, "data"),
        dash.State(ids.AREA_OPTIONS, "data"),
        prevent_initial_call=True,
    )
