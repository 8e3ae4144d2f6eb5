"""Orientation on the Leaflet map: area names, a light street context and a scale bar.

The geometry comes from :mod:`layers.context` (metric CRS); this module projects it for
display and wraps it in dash-leaflet layers. The label placement (which names are shown at a
zoom level, without overlaps) runs in the browser, in ``assets/map_context.js``.

The street lines are not part of the page: the layer gets a URL (:data:`STREETS_ROUTE` plus a
key of the network file and the options) once the first map is painted
(:mod:`dashboard.deferred`), and the browser fetches them from there.
Merging a city's walking network into lines takes seconds, so it runs on the first request of
that URL instead of at app start, and the result is kept in a cache folder under that key
(computed once for all workers and restarts, until the file changes).
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import dash
import dash_leaflet as dl
import geopandas as gpd
import pandas as pd
import shapely

from dashboard import ids
from dashboard.figures import to_display
from layers.context import DEFAULT_MAX_STREET_LINES, label_points, main_streets

if TYPE_CHECKING:
    from layers.dataset import Dataset

logger = logging.getLogger(__name__)

JS = "quartiersatlasContext"
"""Namespace of the functions in ``assets/map_context.js``."""
STREET_SIMPLIFY_M = 8.0
"""Streets are context, not data: simplified more than nothing, less than the areas (20 m)."""
STREETS_ROUTE = "/_quartiersatlas/streets/"
"""URL prefix of the street lines (``<key>.json``); static-like, so served brotli-compressed."""

LEVEL_JS = """
function(level, hideout) {
    // show the names of the areas of the chosen level
    level = level || "district";
    if (hideout && hideout.level === level) { return window.dash_clientside.no_update; }
    return Object.assign({}, hideout || {}, {level: level});
}
"""


def _js(name: str) -> dict[str, str]:
    return {"variable": f"{JS}.{name}"}


def area_frame(districts: gpd.GeoDataFrame, mapping: pd.DataFrame) -> gpd.GeoDataFrame:
    """Districts dissolved into the areas of ``mapping`` (``id``, ``name``), metric CRS."""
    area_of = dict(
        zip(mapping["district_id"].astype(str), mapping["area_id"].astype(str), strict=False)
    )
    name_of = dict(
        zip(mapping["area_id"].astype(str), mapping["area_name"].astype(str), strict=False)
    )
    frame = gpd.GeoDataFrame(
        {"id": districts["id"].astype(str).map(area_of).to_numpy()},
        geometry=districts.geometry.to_numpy(),
        crs=districts.crs,
    ).dropna(subset=["id"])
    out = frame.dissolve(by="id").reset_index()
    out["name"] = out["id"].map(name_of)
    return gpd.GeoDataFrame(out, geometry="geometry", crs=districts.crs)


def label_features(dataset: Dataset, mappings: dict[str, pd.DataFrame]) -> dict:
    """Name points of every level's areas as GeoJSON (properties ``level``, ``name``, ``rank``).

    ``rank`` orders the names by area (0 = largest); the browser places large areas first.
    """
    features = []
    for level, mapping in mappings.items():
        points = label_points(area_frame(dataset.districts, mapping)).to_crs("EPSG:4326")
        for rank, row in enumerate(points.itertuples(index=False)):
            features.append(
                {
                    "type": "Feature",
                    "geometry": {
                        "type": "Point",
                        "coordinates": [round(row.geometry.x, 5), round(row.geometry.y, 5)],
                    },
                    "properties": {
                        "level": level,
                        "id": row.id,
                        "name": row.name,
                        "rank": rank,
                    },
                }
            )
    return {"type": "FeatureCollection", "features": features}


def street_features(dataset: Dataset, *, max_lines: int = DEFAULT_MAX_STREET_LINES) -> dict:
    """Main streets of the dataset's walking network as GeoJSON lines (empty without one)."""
    if dataset.network is None:
        return {"type": "FeatureCollection", "features": []}
    path = Path(dataset.network.path)
    if not path.is_file():
        return {"type": "FeatureCollection", "features": []}
    crs = dataset.metadata.metric_crs.to_string()
    return _street_features(str(path), crs, dataset.network.crs, max_lines=max_lines)


def streets_key(dataset: Dataset, *, max_lines: int = DEFAULT_MAX_STREET_LINES) -> str | None:
    """Key of the street lines: the network file's content and the options.

    The content, not the path: the same network read from a folder or from the database (which
    writes it to a cache file) gives the same key and so the same page. None when the dataset
    has no network file.
    """
    if dataset.network is None or not Path(dataset.network.path).is_file():
        return None
    content = hashlib.sha256(Path(dataset.network.path).read_bytes()).hexdigest()
    text = json.dumps(
        [
            content,
            dataset.metadata.metric_crs.to_string(),
            dataset.network.crs,
            max_lines,
            STREET_SIMPLIFY_M,
        ]
    )
    return hashlib.sha256(text.encode()).hexdigest()[:20]


class StreetStore:
    """The street lines of one app as JSON bytes, computed on first use and kept in a folder.

    Thread-safe; a cache file is written atomically, so workers sharing the folder never read a
    partial file, and an unwritable folder only costs the computation.
    """

    def __init__(self, dataset: Dataset, folder: Path, *, max_lines: int) -> None:
        self._dataset = dataset
        self._folder = folder
        self._max_lines = max_lines
        self.key = streets_key(dataset, max_lines=max_lines)
        self._data: bytes | None = None
        self._lock = threading.Lock()

    @property
    def url(self) -> str | None:
        """The URL of the lines (None without a network)."""
        return None if self.key is None else f"{STREETS_ROUTE}{self.key}.json"

    def data(self) -> bytes:
        """The GeoJSON FeatureCollection as UTF-8 bytes."""
        from layers._atomic import atomic_write_bytes

        with self._lock:
            if self._data is not None:
                return self._data
            path = self._folder / f"streets-{self.key}.json"
            if path.is_file():
                self._data = path.read_bytes()
                return self._data
            features = street_features(self._dataset, max_lines=self._max_lines)
            self._data = json.dumps(features, separators=(",", ":")).encode()
            try:
                atomic_write_bytes(path, self._data)
            except OSError as exc:
                logger.info("street context not cached in %s: %s", self._folder, exc)
            return self._data


def install_street_route(server, store: StreetStore) -> None:
    """Serve ``store``'s lines at its URL; the key changes with the data, so browsers keep them."""
    from flask import Response, abort

    def _streets(key: str) -> Response:
        if store.key is None or key != store.key:
            abort(404)
        response = Response(store.data(), mimetype="application/json")
        response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        return response

    server.add_url_rule(
        f"{STREETS_ROUTE}<key>.json", endpoint="quartiersatlas_streets", view_func=_streets
    )


def _read_network(path: str, crs: str, source_crs: str | None) -> gpd.GeoDataFrame | None:
    """The network's lines with their attributes (a ``name`` column when the file has one).

    A GIS line layer is read with its columns; a file GDAL cannot read (or OSM XML) goes
    through :func:`layers.network.read_lines`, which the routing uses too (lines only).
    """
    from layers.errors import NetworkError
    from layers.network import read_lines

    if Path(path).suffix.lower() not in (".osm", ".xml"):
        try:
            frame = gpd.read_file(path)
            if source_crs is not None or frame.crs is None:
                frame = frame.set_crs(source_crs or "EPSG:4326", allow_override=True)
            frame = frame[frame.geom_type.isin(("LineString", "MultiLineString"))]
            return frame.to_crs(crs).explode(index_parts=False).reset_index(drop=True)
        except Exception as exc:  # any GDAL failure: the robust reader below still works
            logger.info("street context: %s not read with GDAL (%s); lines only", path, exc)
    try:
        lines = read_lines(path, crs=crs, source_crs=source_crs)
    except NetworkError as exc:
        logger.warning("street context left out: %s", exc)
        return None
    return gpd.GeoDataFrame(geometry=lines.to_numpy(), crs=crs)


def _street_features(path: str, crs: str, source_crs: str | None, *, max_lines: int) -> dict:
    network = _read_network(path, crs, source_crs)
    if network is None or len(network) == 0:
        return {"type": "FeatureCollection", "features": []}
    streets = to_display(main_streets(network, max_lines=max_lines), simplify_m=STREET_SIMPLIFY_M)
    features = [
        {
            "type": "Feature",
            "properties": {"name": name} if isinstance(name, str) else {},
            "geometry": shapely.geometry.mapping(geom),
        }
        for name, geom in zip(streets["name"], streets.geometry, strict=True)
        if geom is not None and not geom.is_empty
    ]
    return {"type": "FeatureCollection", "features": features}


def street_layer() -> dl.GeoJSON:
    """Thin grey street lines (under the borders); a named street shows its name on hover.

    Empty until the first map is painted: then it gets the URL of :class:`StreetStore`
    (:mod:`dashboard.deferred`), so merging a network never delays the first map.
    """
    return dl.GeoJSON(
        id=ids.MAP_STREETS,
        style=_js("streetStyle"),
        onEachFeature=_js("bindStreetTip"),
        interactive=False,
    )


def label_layer(level: str = "district") -> dl.GeoJSON:
    """Area names at a point inside each area, of the level in ``hideout``.

    Empty until the first map is painted: then it gets the URL of the name points
    (:func:`label_features`, served by :mod:`dashboard.deferred`).
    """
    return dl.GeoJSON(
        id=ids.MAP_LABELS,
        pointToLayer=_js("labelPoint"),
        filter=_js("labelFilter"),
        interactive=False,
        hideout={"level": level},
    )


def scale_bar() -> dl.ScaleControl:
    """A metric scale bar in the map's lower left corner."""
    return dl.ScaleControl(position="bottomleft", metric=True, imperial=False, maxWidth=140)


def register(app: dash.Dash) -> None:
    """Keep the name layer on the level of the level control.

    The control, not the state store: the store changes with every slider step, the level
    rarely (the control follows the state, see ``callbacks.url_state.set_controls``).
    """
    app.clientside_callback(
        LEVEL_JS,
        dash.Output(ids.MAP_LABELS, "hideout"),
        dash.Input(ids.LEVEL, "value"),
        dash.State(ids.MAP_LABELS, "hideout"),
    )
