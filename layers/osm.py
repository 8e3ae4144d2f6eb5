"""Import an OpenStreetMap extract into files a dataset manifest reads as they are.

:func:`import_osm` reads an OSM extract (``.osm`` XML or ``.osm.pbf``) with pyosmium and writes
``facilities.csv`` (tagged objects mapped to categories by an editable TOML table),
``network.geojson`` (walkable ways) and ``addresses.csv`` (``addr:*`` tags) into a folder,
atomically. Why pyosmium and not GDAL's OSM driver: it reads XML and PBF with every tag of every
object (no ``osmconf.ini`` to extend, no ``other_tags`` strings to parse), assembles multipolygon
relations with libosmium's area assembler in one two-pass read (GDAL re-reads the file per layer
when layers are read one by one), streams objects so the caller can show progress, and writes
PBF (tests build ``.pbf`` fixtures with it). The tag→category table is
:mod:`layers.osm_mapping`. See docs/osm-import.md.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import osmium
import osmium.geom
import shapely

from layers._atomic import atomic_directory
from layers.crs import WGS84
from layers.errors import CrsError, MissingSourceError, OsmImportError
from layers.osm_mapping import OsmMapping, TagRule, default_mapping, load_mapping

__all__ = [
    "FACILITY_COLUMNS",
    "ImportSummary",
    "OsmExtract",
    "clip_extract",
    "format_address",
    "import_osm",
    "is_walkable",
    "load_mapping",
    "read_districts_union",
    "read_osm",
    "representative_points",
    "write_extract",
]

logger = logging.getLogger(__name__)

FACILITY_COLUMNS = (
    "id",
    "name",
    "category",
    "subcategory",
    "address",
    "lat",
    "lon",
    "osm_type",
    "osm_id",
)
"""Columns of ``facilities.csv``, in this order (a scripting contract)."""

ADDRESS_COLUMNS = ("address", "lat", "lon")
"""Columns of ``addresses.csv``."""

WALKABLE_HIGHWAYS = frozenset(
    {
        "footway",
        "path",
        "pedestrian",
        "living_street",
        "residential",
        "service",
        "steps",
        "track",
        "unclassified",
        "road",
        "tertiary",
        "tertiary_link",
        "secondary",
        "secondary_link",
        "primary",
        "primary_link",
        "corridor",
    }
)
"""``highway`` values walked on unless a tag forbids it (roads count: sidewalks are mostly
mapped as tags of the road in German cities, so dropping roads would cut the network)."""

FOOT_ONLY_IF_ALLOWED = frozenset({"cycleway", "bridleway"})
"""``highway`` values that count only with ``foot=yes|designated|permissive`` (in Germany a
cycleway is not a footway unless signed so)."""

FOOT_ALLOWED = frozenset({"yes", "designated", "permissive"})
FOOT_FORBIDDEN = frozenset({"no", "private", "use_sidepath"})
ACCESS_FORBIDDEN = frozenset({"no", "private"})

COORD_DECIMALS = 6
"""Point coordinates are written with 6 decimals (about 0.1 m), as the bundled dataset."""

LINE_DECIMALS = 7
"""Network coordinates keep OSM's own precision (7 decimals)."""

UNMAPPED_TOP_N = 10
"""How many unmapped tags the summary lists."""

_PROGRESS_EVERY = 10_000
_OSM_SUFFIXES = {".osm": "osm", ".xml": "osm", ".pbf": "pbf"}
_COMPRESSED = (".gz", ".bz2")
_MARKER = "import-osm.json"
"""Written into every import folder; a non-empty ``--out`` is replaced only if it holds one."""


# ---------------------------------------------------------------------------------------------
# Tags


def is_walkable(tags: Mapping[str, str]) -> bool:
    """True when a way with ``tags`` belongs to the walking network.

    Walkable: a ``highway`` in :data:`WALKABLE_HIGHWAYS`, or a cycleway/bridleway with
    ``foot=yes|designated|permissive``. Not walkable: ``foot=no|private|use_sidepath``,
    ``access=no|private`` without a foot permission, ``motorroad=yes``, ``area=yes`` (squares
    are polygons, not lines) and every other ``highway`` (motorways, trunks and their links,
    construction, proposed, platforms, ...).

    Examples
    --------
    >>> is_walkable({"highway": "residential"}), is_walkable({"highway": "motorway"})
    (True, False)
    >>> is_walkable({"highway": "cycleway"}), is_walkable({"highway": "cycleway", "foot": "yes"})
    (False, True)
    """
    highway = tags.get("highway")
    foot = tags.get("foot")
    if highway in FOOT_ONLY_IF_ALLOWED:
        kind_ok = foot in FOOT_ALLOWED
    else:
        kind_ok = highway in WALKABLE_HIGHWAYS
    if not kind_ok or tags.get("area") == "yes" or tags.get("motorroad") == "yes":
        return False
    if foot in FOOT_FORBIDDEN:
        return False
    return not (tags.get("access") in ACCESS_FORBIDDEN and foot not in FOOT_ALLOWED)


def format_address(tags: Mapping[str, str]) -> str | None:
    """``"Street 12, 76131 City"`` from ``addr:*`` tags, or None without street and number.

    ``addr:place`` stands in for ``addr:street`` (hamlets without street names); postcode and
    city are left out when not tagged. This is the format the address search parses
    (:func:`layers.geocode.parse_address`).

    Examples
    --------
    >>> format_address({"addr:street": "Rheinstraße", "addr:housenumber": "12",
    ...                 "addr:postcode": "76185", "addr:city": "Karlsruhe"})
    'Rheinstraße 12, 76185 Karlsruhe'
    >>> format_address({"addr:street": "Rheinstraße"}) is None
    True
    """
    street = (tags.get("addr:street") or tags.get("addr:place") or "").strip()
    number = (tags.get("addr:housenumber") or "").strip()
    if not street or not number:
        return None
    place = " ".join(
        part
        for part in (
            (tags.get("addr:postcode") or "").strip(),
            (tags.get("addr:city") or "").strip(),
        )
        if part
    )
    return f"{street} {number}, {place}" if place else f"{street} {number}"


# ---------------------------------------------------------------------------------------------
# Reading


@dataclass
class OsmExtract:
    """What :func:`read_osm` found in an extract (all geometries in WGS84).

    Attributes
    ----------
    facilities
        One row per mapped object: :data:`FACILITY_COLUMNS` without ``lat``/``lon``, plus
        ``geometry`` (a point on the object: the node, or a point inside the area).
    network
        Walkable ways: ``osm_id``, ``highway``, ``name``, ``geometry`` (LineString).
    addresses
        ``address``, ``geometry`` (Point), one row per distinct address and position.
    unmapped
        Objects no rule took, counted per ``key=value`` of the first unmapped key.
    unlocated
        Mapped objects without a usable geometry, counted per reason.
    timestamp
        The extract's replication timestamp when its header has one, else "".
    """

    facilities: gpd.GeoDataFrame
    network: gpd.GeoDataFrame
    addresses: gpd.GeoDataFrame
    unmapped: Counter[str] = field(default_factory=Counter)
    unlocated: Counter[str] = field(default_factory=Counter)
    timestamp: str = ""


def _osm_file(path: Path) -> osmium.io.File:
    """The pyosmium file handle of ``path``, its format decided by the file name."""
    name = path.name.lower()
    stem = name
    for suffix in _COMPRESSED:
        stem = stem.removesuffix(suffix)
    fmt = _OSM_SUFFIXES.get(Path(stem).suffix)
    if fmt is None:
        raise OsmImportError(
            f"{path}: unknown OSM file type; give an OpenStreetMap extract named *.osm.pbf, "
            "*.osm (XML), *.osm.gz or *.osm.bz2"
        )
    compression = name[len(stem) :].lstrip(".")
    return osmium.io.File(str(path), f"{fmt}.{compression}" if compression else fmt)


def _tags(obj: Any) -> dict[str, str]:
    return {tag.k: tag.v for tag in obj.tags}


def _way_wkb(way: Any, wkb: osmium.geom.WKBFactory) -> bytes | None:
    """The way as WKB: a LineString, a Point if only one node has a location, else None."""
    try:
        return bytes.fromhex(wkb.create_linestring(way))
    except (osmium.InvalidLocationError, RuntimeError, ValueError):
        # nodes missing from the extract (cut at its edge), or fewer than two of them
        coords = [(n.lon, n.lat) for n in way.nodes if n.location.valid()]
        if not coords:
            return None
        geometry = shapely.LineString(coords) if len(coords) >= 2 else shapely.Point(coords[0])
        return shapely.to_wkb(geometry)


def representative_points(geometries: np.ndarray, closed: np.ndarray) -> np.ndarray:
    """A point of each way: inside its polygon when ``closed``, else on the line.

    Vectorised over all ways (one GEOS call per step instead of one per way), as most of an
    extract's address points come from building outlines.

    Parameters
    ----------
    geometries
        LineStrings, Points or None (WGS84).
    closed
        True where the way is closed (its polygon is wanted).

    Returns
    -------
    numpy.ndarray
        Points (None where the geometry is None).
    """
    out = np.full(len(geometries), None, dtype=object)
    present = ~shapely.is_missing(geometries)
    is_point = present & (shapely.get_type_id(geometries) == 0)
    out[is_point] = geometries[is_point]
    lines = present & ~is_point
    rings = lines & closed & (shapely.get_num_coordinates(geometries) >= 4)
    rings[rings] = shapely.is_closed(geometries[rings])
    if rings.any():
        coords, index = shapely.get_coordinates(geometries[rings], return_index=True)
        polygons = shapely.polygons(shapely.linearrings(coords, indices=index))
        invalid = ~shapely.is_valid(polygons)
        polygons[invalid] = shapely.make_valid(polygons[invalid])
        points = shapely.point_on_surface(polygons)
        points[shapely.is_empty(points)] = None
        out[rings] = points
    rest = lines & shapely.is_missing(out)
    out[rest] = shapely.point_on_surface(geometries[rest])
    return out


@dataclass(frozen=True)
class _WayRef:
    """Placeholder for a way's point, computed for all ways at once at the end."""

    index: int


class _Collector:
    """Accumulates rows while the extract streams past (one object at a time)."""

    def __init__(self, mapping: OsmMapping) -> None:
        self.mapping = mapping
        self.facilities: list[dict[str, Any]] = []
        self.lines: list[dict[str, Any]] = []
        self.addresses: list[dict[str, Any]] = []
        self.unmapped: Counter[str] = Counter()
        self.unlocated: Counter[str] = Counter()
        self.relations_wanted: set[int] = set()
        self.relations_built: set[int] = set()
        self.wkb = osmium.geom.WKBFactory()
        self.way_wkb: list[bytes | None] = []
        self.way_closed: list[bool] = []
        self.line_wkb: list[bytes | None] = []

    def feature(
        self,
        osm_type: str,
        osm_id: int,
        tags: dict[str, str],
        point: shapely.Point | _WayRef | None,
        *,
        rule: TagRule | None,
        address: str | None,
    ) -> None:
        if rule is None:
            tag = self.mapping.unmapped_tag(tags)
            if tag is not None:
                self.unmapped[tag] += 1
        elif point is None:
            self.unlocated[f"{osm_type} without coordinates"] += 1
        else:
            self.facilities.append(
                {
                    "id": f"osm-{osm_type[0]}{osm_id}",
                    "name": (tags.get("name") or "").strip()
                    or f"{rule.subcategory or rule.category} (ohne Namen in OSM)",
                    "category": rule.category,
                    "subcategory": rule.subcategory,
                    "address": address or "",
                    "osm_type": osm_type,
                    "osm_id": osm_id,
                    "geometry": point,
                }
            )
        if address is not None and point is not None:
            self.addresses.append({"address": address, "geometry": point})

    def node(self, node: Any) -> None:
        if not node.location.valid():
            return
        tags = _tags(node)
        self.feature(
            "node",
            node.id,
            tags,
            shapely.Point(node.location.lon, node.location.lat),
            rule=self.mapping.classify(tags),
            address=format_address(tags),
        )

    def way(self, way: Any) -> None:
        tags = _tags(way)
        walkable = is_walkable(tags)
        rule = self.mapping.classify(tags)
        # a street is neither a facility nor an unmapped feature unless a rule takes it
        street = "highway" in tags and tags.get("area") != "yes" and rule is None
        address = None if street else format_address(tags)
        wanted = not street and (
            rule is not None or address is not None or self.mapping.unmapped_tag(tags) is not None
        )
        if not walkable and not wanted:
            return
        geometry = _way_wkb(way, self.wkb)
        if walkable and geometry is not None:
            self.lines.append(
                {"osm_id": way.id, "highway": tags["highway"], "name": tags.get("name", "")}
            )
            self.line_wkb.append(geometry)
        if wanted:
            point = _WayRef(len(self.way_wkb))
            self.way_wkb.append(geometry)
            self.way_closed.append(way.is_closed())
            self.feature("way", way.id, tags, point, rule=rule, address=address)

    def relation(self, relation: Any) -> None:
        tags = _tags(relation)
        if self.mapping.classify(tags) is None:
            self.feature("relation", relation.id, tags, None, rule=None, address=None)
        elif tags.get("type") in ("multipolygon", "boundary"):
            self.relations_wanted.add(relation.id)  # its area comes (or came) separately
        else:
            self.unlocated[f"relation of type {tags.get('type', '?')} (not an area)"] += 1

    def area(self, area: Any) -> None:
        if area.from_way():
            return  # closed ways are handled as ways
        self.relations_built.add(area.orig_id())
        tags = _tags(area)
        rule = self.mapping.classify(tags)
        address = format_address(tags)
        if rule is None and address is None:
            return  # an unmapped relation is counted when the relation itself passes
        try:
            geometry = shapely.from_wkb(self.wkb.create_multipolygon(area), on_invalid="fix")
        except (osmium.InvalidLocationError, RuntimeError, ValueError):
            geometry = None
        point = (
            None if geometry is None or geometry.is_empty else shapely.point_on_surface(geometry)
        )
        if rule is not None:
            self.feature("relation", area.orig_id(), tags, point, rule=rule, address=address)
        elif point is not None:
            self.addresses.append({"address": address, "geometry": point})

    def finish(self) -> None:
        """Compute the ways' points and lines; count what could not be placed."""
        failed = self.relations_wanted - self.relations_built
        if failed:
            self.unlocated["multipolygon relation whose area could not be built"] += len(failed)
        points = representative_points(
            shapely.from_wkb(np.array(self.way_wkb, dtype=object)),
            np.array(self.way_closed, dtype=bool),
        )
        self.facilities = self._placed(self.facilities, points, count=True)
        self.addresses = self._placed(self.addresses, points, count=False)
        lines = shapely.from_wkb(np.array(self.line_wkb, dtype=object))
        keep = shapely.get_type_id(lines) == 1  # a way with one located node is no line
        self.lines = [
            {**row, "geometry": line}
            for row, line, ok in zip(self.lines, lines, keep, strict=True)
            if ok
        ]

    def _placed(
        self, rows: list[dict[str, Any]], points: np.ndarray, *, count: bool
    ) -> list[dict[str, Any]]:
        placed = []
        for row in rows:
            if isinstance(row["geometry"], _WayRef):
                row = {**row, "geometry": points[row["geometry"].index]}
                if row["geometry"] is None:
                    if count:
                        self.unlocated["way without coordinates"] += 1
                    continue
            placed.append(row)
        return placed


def read_osm(
    path: str | Path,
    *,
    mapping: OsmMapping | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> OsmExtract:
    """Read facilities, walkable ways and addresses from an OSM extract.

    Parameters
    ----------
    path
        ``.osm`` (XML), ``.osm.pbf``, optionally ``.gz`` / ``.bz2`` compressed XML.
    mapping
        The tag→category table (default: :func:`default_mapping`).
    on_progress
        Called with the number of objects read so far, every 10,000 objects.

    Returns
    -------
    OsmExtract
        Frames in WGS84, sorted by OSM type and id (addresses by text).

    Raises
    ------
    MissingSourceError
        If ``path`` does not exist.
    OsmImportError
        If the file is not a readable OSM extract.
    """
    source = Path(path)
    if not source.is_file():
        raise MissingSourceError(f"OSM extract {source} does not exist")
    mapping = mapping or default_mapping()
    osm_file = _osm_file(source)
    collector = _Collector(mapping)
    keys = ("highway", "addr:housenumber", *mapping.filter_keys())
    processor = (
        osmium.FileProcessor(osm_file)
        .with_locations()
        .with_areas(osmium.filter.KeyFilter(*keys))
        .with_filter(osmium.filter.KeyFilter(*keys))
    )
    count = 0
    started = time.perf_counter()
    logger.info("reading %s: relations first (areas), then all objects", source)
    try:
        with osmium.io.Reader(osm_file, osmium.osm.NOTHING) as reader:
            timestamp = reader.header().get("osmosis_replication_timestamp", "")
        for obj in processor:
            if obj.is_node():
                collector.node(obj)
            elif obj.is_way():
                collector.way(obj)
            elif obj.is_area():
                collector.area(obj)
            elif obj.is_relation():
                collector.relation(obj)
            count += 1
            if on_progress is not None and count % _PROGRESS_EVERY == 0:
                on_progress(count)
    except (RuntimeError, OSError, ValueError) as exc:
        raise OsmImportError(
            f"cannot read OSM extract {source}: {exc}. Is it an OpenStreetMap .osm (XML) or "
            ".osm.pbf file, complete and not truncated?"
        ) from exc
    if on_progress is not None:
        on_progress(count)
    collector.finish()
    logger.info(
        "handled %s tagged objects of %s in %.1f s: %d facilities, %d ways, %d addresses",
        f"{count:,}",
        source.name,
        time.perf_counter() - started,
        len(collector.facilities),
        len(collector.lines),
        len(collector.addresses),
    )
    return OsmExtract(
        facilities=_frame(
            collector.facilities,
            [c for c in FACILITY_COLUMNS if c not in ("lat", "lon")],
            ["osm_type", "osm_id"],
        ),
        network=_frame(collector.lines, ["osm_id", "highway", "name"], ["osm_id"]),
        addresses=_frame(collector.addresses, ["address"], []),
        unmapped=collector.unmapped,
        unlocated=collector.unlocated,
        timestamp=timestamp,
    )


_TYPE_ORDER = {"node": 0, "way": 1, "relation": 2}


def _frame(rows: list[dict[str, Any]], columns: list[str], order: list[str]) -> gpd.GeoDataFrame:
    frame = gpd.GeoDataFrame(rows, columns=[*columns, "geometry"], geometry="geometry", crs=WGS84)
    if order:
        frame = frame.sort_values(
            order,
            key=lambda s: s.map(_TYPE_ORDER) if s.name == "osm_type" else s,
            kind="stable",
        )
    return frame.reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# Clipping


def read_districts_union(path: str | Path) -> shapely.Geometry:
    """The union of the polygons in a vector file, in WGS84.

    Raises
    ------
    MissingSourceError
        If the file does not exist.
    OsmImportError
        If it cannot be read or holds no polygons.
    CrsError
        If it declares no CRS.
    """
    source = Path(path)
    if not source.is_file():
        raise MissingSourceError(f"districts file {source} does not exist")
    try:
        districts = gpd.read_file(source)
    except Exception as exc:  # pyogrio raises its own DataSourceError and friends
        raise OsmImportError(f"cannot read districts file {source}: {exc}") from exc
    polygons = districts[districts.geom_type.isin(("Polygon", "MultiPolygon"))]
    if polygons.empty:
        raise OsmImportError(f"districts file {source} holds no polygons to clip to")
    if polygons.crs is None:
        raise CrsError(
            f"districts file {source} declares no CRS; save it with one (e.g. a .prj next to a "
            "Shapefile, or GeoJSON in WGS84)"
        )
    return polygons.to_crs(WGS84).geometry.make_valid().union_all()


def clip_extract(extract: OsmExtract, area: shapely.Geometry) -> OsmExtract:
    """Keep the points inside ``area`` (WGS84) and the parts of ways inside it.

    Parameters
    ----------
    extract
        What :func:`read_osm` returned.
    area
        A (multi)polygon in WGS84, e.g. :func:`read_districts_union`.

    Returns
    -------
    OsmExtract
        A new extract; counts of unmapped and unlocated objects are kept as read.
    """
    shapely.prepare(area)

    def inside(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        return frame[shapely.covers(area, frame.geometry.to_numpy())].reset_index(drop=True)

    lines = extract.network[shapely.intersects(area, extract.network.geometry.to_numpy())]
    clipped = lines.copy()
    clipped["geometry"] = shapely.intersection(lines.geometry.to_numpy(), area)
    clipped = clipped.explode(index_parts=False)
    clipped = clipped[clipped.geom_type == "LineString"].reset_index(drop=True)
    return OsmExtract(
        facilities=inside(extract.facilities),
        network=clipped,
        addresses=inside(extract.addresses),
        unmapped=Counter(extract.unmapped),
        unlocated=Counter(extract.unlocated),
        timestamp=extract.timestamp,
    )


# ---------------------------------------------------------------------------------------------
# Writing


@dataclass(frozen=True)
class ImportSummary:
    """What :func:`import_osm` wrote.

    Attributes
    ----------
    out
        The folder written.
    categories
        Facilities per category id (only categories with facilities, sorted by id).
    unmapped
        ``(key=value, count)`` of objects no rule took, most frequent first.
    unlocated
        Mapped objects left out for lack of a geometry, per reason.
    network_ways
        Walkable way pieces written to ``network.geojson``.
    addresses
        Distinct address points written to ``addresses.csv``.
    files
        Names of the files written.
    """

    out: Path
    categories: dict[str, int]
    unmapped: tuple[tuple[str, int], ...]
    unlocated: dict[str, int]
    network_ways: int
    addresses: int
    files: tuple[str, ...]

    @property
    def facilities(self) -> int:
        """Facilities written."""
        return sum(self.categories.values())

    @property
    def unmapped_total(self) -> int:
        """Objects no rule took."""
        return sum(count for _, count in self.unmapped)


def _csv_text(header: Iterable[str], rows: Iterable[Iterable[Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def _coord(value: float) -> str:
    return f"{value:.{COORD_DECIMALS}f}"


def facilities_csv(facilities: gpd.GeoDataFrame) -> str:
    """``facilities.csv`` text: :data:`FACILITY_COLUMNS`, one row per facility."""
    rows = (
        (
            row.id,
            row.name,
            row.category,
            row.subcategory,
            row.address,
            _coord(row.geometry.y),
            _coord(row.geometry.x),
            row.osm_type,
            row.osm_id,
        )
        for row in facilities.itertuples(index=False)
    )
    return _csv_text(FACILITY_COLUMNS, rows)


def addresses_csv(addresses: gpd.GeoDataFrame) -> str:
    """``addresses.csv`` text (``address,lat,lon``), distinct rows sorted by address."""
    rows = sorted(
        {
            (row.address, _coord(row.geometry.y), _coord(row.geometry.x))
            for row in addresses.itertuples(index=False)
        }
    )
    return _csv_text(ADDRESS_COLUMNS, rows)


def network_geojson(network: gpd.GeoDataFrame) -> str:
    """``network.geojson`` text: WGS84 LineStrings with ``osm_id``, ``highway``, ``name``."""
    features = []
    for row in network.itertuples(index=False):
        coords = [
            [round(x, LINE_DECIMALS), round(y, LINE_DECIMALS)] for x, y in row.geometry.coords
        ]
        feature = {
            "type": "Feature",
            "properties": {"osm_id": int(row.osm_id), "highway": row.highway, "name": row.name},
            "geometry": {"type": "LineString", "coordinates": coords},
        }
        features.append(json.dumps(feature, ensure_ascii=False, sort_keys=True))
    body = "\n" + ",\n".join(features) + "\n" if features else ""
    return '{"type":"FeatureCollection","features":[' + body + "]}\n"


def manifest_snippet(*, timestamp: str, source_name: str) -> str:
    """The ``[[facilities]]``, ``[addresses]`` and ``[network]`` tables that read the files."""
    date = timestamp[:10]
    common = (
        'attribution = "© OpenStreetMap-Mitwirkende (OpenStreetMap contributors)"\n'
        'licence = "ODbL-1.0"\n'
        + (f'date = "{date}"\n' if date else "")
        + f'source = "{source_name} (OpenStreetMap extract, read by quartiersatlas import-osm)"\n'
    )
    return (
        "# Tables for dataset.toml that read the files of this folder as they are\n"
        "# (docs/osm-import.md). Paths are relative to this folder: if dataset.toml lies in\n"
        '# the parent folder, put this folder\'s name in front (path = "osm/facilities.csv").\n'
        "# Category ids come from the mapping table; a category the dataset's catalogue does\n"
        "# not define needs a [[categories]] table.\n\n"
        '[[facilities]]\npath = "facilities.csv"\n' + common + "\n"
        '[addresses]\npath = "addresses.csv"\n' + common + "\n"
        '[network]\npath = "network.geojson"\n'
        'note = "Fußwegenetz aus OpenStreetMap (import-osm); Vollständigkeit wie in OSM. / '
        'Walking network from OpenStreetMap; as complete as OSM."\n' + common
    )


def _check_out(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise OsmImportError(f"--out {out} is a file; give a folder")
    if out.is_dir() and any(out.iterdir()) and not (out / _MARKER).is_file():
        raise OsmImportError(
            f"--out {out} exists, is not empty and holds no {_MARKER} of an earlier import; "
            "it would be replaced as a whole. Give a new folder (e.g. DATASET/osm)."
        )


def write_extract(
    extract: OsmExtract, out: str | Path, *, source_name: str, mapping: OsmMapping
) -> ImportSummary:
    """Write an extract's files into ``out`` atomically (all files or none).

    ``out`` must be new, empty or the folder of an earlier import (it holds ``import-osm.json``);
    it is replaced as a whole only when every file is written.

    Returns
    -------
    ImportSummary
        Counts of what was written.

    Raises
    ------
    OsmImportError
        If ``out`` is a file or an unrelated non-empty folder, or cannot be written.
    """
    target = Path(out)
    _check_out(target)
    categories = dict(sorted(Counter(extract.facilities["category"]).items()))
    unmapped = tuple(sorted(extract.unmapped.items(), key=lambda item: (-item[1], item[0])))
    addresses = addresses_csv(extract.addresses)
    files = {
        "facilities.csv": facilities_csv(extract.facilities),
        "network.geojson": network_geojson(extract.network),
        "addresses.csv": addresses,
        "unmapped.csv": _csv_text(("tag", "count"), unmapped),
        "manifest-snippet.toml": manifest_snippet(
            timestamp=extract.timestamp, source_name=source_name
        ),
    }
    n_addresses = addresses.count("\n") - 1
    marker = {
        "source": source_name,
        "osm_timestamp": extract.timestamp,
        "mapping": list(mapping.sources),
        "facilities": categories,
        "unmapped": dict(unmapped),
        "unlocated": dict(sorted(extract.unlocated.items())),
        "network_ways": len(extract.network),
        "addresses": n_addresses,
    }
    files[_MARKER] = json.dumps(marker, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    try:
        with atomic_directory(target) as staging:
            for name, text in files.items():
                (staging / name).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise OsmImportError(
            f"cannot write {target}: {exc.strerror or exc}; nothing was changed"
        ) from exc
    return ImportSummary(
        out=target,
        categories=categories,
        unmapped=unmapped,
        unlocated=dict(sorted(extract.unlocated.items())),
        network_ways=len(extract.network),
        addresses=n_addresses,
        files=tuple(sorted(files)),
    )


def import_osm(
    path: str | Path,
    *,
    out: str | Path,
    mapping: OsmMapping | None = None,
    districts: str | Path | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> ImportSummary:
    """Read an OSM extract and write ``facilities.csv``, ``network.geojson``, ``addresses.csv``.

    Parameters
    ----------
    path
        The extract (``.osm``, ``.osm.pbf``).
    out
        Folder to write (new, empty, or an earlier import's folder); replaced atomically.
    mapping
        Tag→category table (default: :func:`default_mapping`).
    districts
        A vector file of districts (any CRS); only what lies inside their union is kept.
    on_progress
        Called with the number of OSM objects read so far.

    Returns
    -------
    ImportSummary
        Counts per category, unmapped tags, network ways and addresses.

    Raises
    ------
    MissingSourceError
        If the extract or the districts file does not exist.
    OsmImportError
        If a file cannot be read or ``out`` cannot be written.
    CrsError
        If the districts file declares no CRS.

    Examples
    --------
    >>> import_osm("city.osm.pbf", out="city/osm", districts="city/districts.geojson")  # doctest: +SKIP
    """
    mapping = mapping or default_mapping()
    _check_out(Path(out))  # fail before a long read, not after
    clip_area = read_districts_union(districts) if districts is not None else None
    extract = read_osm(path, mapping=mapping, on_progress=on_progress)
    if clip_area is not None:
        extract = clip_extract(extract, clip_area)
    return write_extract(extract, out, source_name=Path(path).name, mapping=mapping)
