"""The display geometry of a dataset, kept on disk by data version, so that a worker reads it.

Dissolving and simplifying the areas of every level, the borders, the name points and the gap
hexagons took about 0.4 s of a worker's start, the same in every worker and every start of the
same data. Like the distances (:mod:`layers.store.distances`), the result is kept in the cache
folder (``<$QUARTIERSATLAS_CACHE or ~/.cache/quartiersatlas>/display``) under a key of the data
version, the options it depends on and the code that makes it (a change of that code makes a
new key). The files are plain JSON (never pickle), written atomically; an unreadable or
mismatched file is computed anew.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import logging
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

from dashboard.figures import AreaGeometry, Boundaries, HexLayer, Lines
from layers._atomic import atomic_write_text
from layers.store.postgis import cache_root

log = logging.getLogger(__name__)

FORMAT = 1
CODE_MODULES = (
    "dashboard.figures",
    "dashboard.map_context",
    "layers.areas",
    "layers.context",
    "layers.crs",
    "layers.gaps",
)
"""Modules whose code makes the display geometry: their source is part of the key."""
LIBRARIES = ("shapely", "pyproj", "geopandas")
"""Libraries whose version is part of the key (simplification and projection)."""


def cache_key(version: str, **options: object) -> str:
    """The file key of ``version`` with ``options``, and of the code that makes the geometry."""
    digest = hashlib.sha256(f"{FORMAT}:{version}:{sorted(options.items())!r}".encode())
    for name in LIBRARIES:
        digest.update(f"{name}={getattr(sys.modules.get(name), '__version__', '')};".encode())
    for name in CODE_MODULES:
        path = getattr(importlib.import_module(name), "__file__", None)
        digest.update(Path(path).read_bytes() if path else name.encode())
    return digest.hexdigest()[:24]


def cache_path(version: str, key: str) -> Path:
    """Where the geometry of ``version`` under ``key`` is kept."""
    return cache_root() / "display" / version / f"{key}.json"


def read(path: Path) -> dict[str, Any] | None:
    """The kept payload, or None when it is missing or unreadable."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def write(path: Path, payload: dict[str, Any]) -> None:
    """Keep ``payload`` (a read-only cache folder only costs the next start its time)."""
    try:
        atomic_write_text(path, json.dumps(payload, separators=(",", ":")))
    except OSError as exc:
        log.info("display geometry not cached: %s", exc)


def dump_areas(geo: AreaGeometry) -> dict[str, Any]:
    """JSON of an :class:`~dashboard.figures.AreaGeometry`."""
    return asdict(geo)


def load_areas(data: dict[str, Any]) -> AreaGeometry:
    """An :class:`~dashboard.figures.AreaGeometry` from :func:`dump_areas`."""
    return AreaGeometry(**{**data, "bounds": tuple(data["bounds"])})


def dump_boundaries(boundaries: Boundaries) -> dict[str, Any]:
    """JSON of :class:`~dashboard.figures.Boundaries`."""
    return asdict(boundaries)


def load_boundaries(data: dict[str, Any]) -> Boundaries:
    """:class:`~dashboard.figures.Boundaries` from :func:`dump_boundaries`."""
    return Boundaries(districts=Lines(**data["districts"]), city=Lines(**data["city"]))


def dump_hexes(hexes: HexLayer) -> dict[str, Any]:
    """JSON of a :class:`~dashboard.figures.HexLayer`."""
    return asdict(hexes)


def load_hexes(data: dict[str, Any]) -> HexLayer:
    """A :class:`~dashboard.figures.HexLayer` from :func:`dump_hexes`."""
    return HexLayer(**data)
