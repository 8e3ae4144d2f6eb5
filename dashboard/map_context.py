"""Orientation on the Leaflet map: area names, a light street context and a scale bar.

The geometry comes from :mod:`layers.context` (metric CRS); this module projects it for
display and wraps it in dash-leaflet layers. The label placement (which names are shown at a
zoom level, without overlaps) runs in the browser, in ``assets/map_context.js``.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import dash
import dash_leaflet as dl
import geopandas as gpd
import pandas as pd
import shapely

from dashboard import ids
from dashboard.figures import to_display
from layers.context import label_points, main_streets

if TYPE_CHECKING:
    from layers.dataset import Dataset

logger = logging.getLogger(__name__)

JS = "quartiersatlasContext"
"""Namespace of the functions in ``assets/map_context.js``."""
STREET_SIMPLIFY_M = 8.0
"""Streets are context, not data: simplified more than nothing, less than the areas (20 m)."""

LEVEL_JS = """
function(state, hideout) {
    // show the names of the areas of the chosen level
    var level = (state && state.level) || "district";
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


def street_features(dataset: Dataset) -> dict:
    """Main streets of the dataset's walking network as GeoJSON lines (empty without one)."""
    if dataset.network is None:
        return {"type": "FeatureCollection", "features": []}
    path = Path(dataset.network.path)
    if not path.is_file():
        return {"type": "FeatureCollection", "features": []}
    crs = dataset.metadata.metric_crs.to_string()
    return _street_features(str(path), path.stat().st_mtime_ns, crs, dataset.network.crs)


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


@lru_cache(maxsize=4)
def _street_features(path: str, _mtime_ns: int, crs: str, source_crs: str | None) -> dict:
    """Cached by file and modification time: every app (and test) over one dataset reuses it."""
    network = _read_network(path, crs, source_crs)
    if network is None or len(network) == 0:
        return {"type": "FeatureCollection", "features": []}
    streets = to_display(main_streets(network), simplify_m=STREET_SIMPLIFY_M)
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


def street_layer(streets: dict) -> dl.GeoJSON:
    """Thin grey street lines (under the borders); a named street shows its name on hover."""
    return dl.GeoJSON(
        id=ids.MAP_STREETS,
        data=streets,
        style=_js("streetStyle"),
        onEachFeature=_js("bindStreetTip"),
        interactive=False,
    )


def label_layer(labels: dict, level: str = "district") -> dl.GeoJSON:
    """Area names at a point inside each area, of the level in ``hideout``."""
    return dl.GeoJSON(
        id=ids.MAP_LABELS,
        data=labels,
        pointToLayer=_js("labelPoint"),
        filter=_js("labelFilter"),
        interactive=False,
        hideout={"level": level},
    )


def scale_bar() -> dl.ScaleControl:
    """A metric scale bar in the map's lower left corner."""
    return dl.ScaleControl(position="bottomleft", metric=True, imperial=False, maxWidth=140)


def register(app: dash.Dash) -> None:
    """Keep the name layer on the state's level."""
    app.clientside_callback(
        LEVEL_JS,
        dash.Output(ids.MAP_LABELS, "hideout"),
        dash.Input(ids.STATE, "data"),
        dash.State(ids.MAP_LABELS, "hideout"),
    )
