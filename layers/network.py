"""Walking networks: read line layers or OSM XML, build a routable graph, snap points, measure.

A network is built once from a file and reused: :func:`load_network` keys its result by the
SHA-256 of the file's bytes (plus CRS and snap tolerance), in a :class:`NetworkCache` owned by
the caller and, optionally, as a compressed ``.npz`` file in a cache folder. Nothing is kept in
module-level state.

Graph construction
------------------
Every vertex of every line becomes a candidate node. Vertices closer than ``snap_tolerance_m``
(default :data:`DEFAULT_SNAP_TOLERANCE_M`, 1 m) are merged into one node (single-linkage
clustering with a KD-tree), so that layers whose coordinates differ by about a metre (for
Karlsruhe: OSM 2015 streets at 7 decimals and 2026 footways at 5 decimals) join. Each segment
between consecutive vertices becomes an undirected edge weighted by its length in metres.

Points are snapped to the nearest *edge* (not just the nearest node): the walk from a point is the
straight leg to its projection on the edge plus the way along the edge to either end. Network
distances are clamped from below by the straight-line distance, so they are never shorter than
the Euclidean distance.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import xml.etree.ElementTree as ET
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS

from layers._atomic import atomic_write_bytes, atomic_write_text
from layers.crs import WGS84, parse_crs
from layers.errors import CrsError, NetworkError

if TYPE_CHECKING:
    from scipy.sparse import csr_matrix

# scipy (about 0.4 s to import) is imported where a graph is built or searched: a worker that
# reads its distances from the store does neither before its first page

logger = logging.getLogger(__name__)

DEFAULT_SNAP_TOLERANCE_M = 1.0
"""Vertices of different lines closer than this (metres) become one network node."""

NETWORK_FILE_DECIMALS = 1
"""Coordinates of a built network file are rounded to 0.1 m."""

OSM_NOT_WALKABLE = frozenset(
    {
        "motorway",
        "motorway_link",
        "trunk",
        "trunk_link",
        "construction",
        "proposed",
        "raceway",
        "bus_guideway",
        "busway",
        "abandoned",
        "platform",
    }
)
"""OSM ``highway`` values that are not walked on (``platform`` is usually a closed area)."""

LINE_TYPES = ("LineString", "MultiLineString")
_CACHE_FORMAT = 2


@dataclass(frozen=True, eq=False)
class WalkingNetwork:
    """A routable, undirected walking network in a metric CRS.

    Attributes
    ----------
    node_xy
        ``(n_nodes, 2)`` node coordinates in metres.
    edge_u, edge_v
        End nodes of each edge (``edge_u[i] != edge_v[i]``).
    edge_length_m
        Length of each edge in metres.
    crs
        The metric CRS of the coordinates.
    key
        Content key (SHA-256 of the source file and the build options) or ``""``.
    """

    node_xy: np.ndarray
    edge_u: np.ndarray
    edge_v: np.ndarray
    edge_length_m: np.ndarray
    crs: CRS
    key: str = ""
    _memo: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return int(self.node_xy.shape[0])

    @property
    def n_edges(self) -> int:
        """Number of (undirected) edges."""
        return int(self.edge_u.shape[0])

    @property
    def total_length_km(self) -> float:
        """Total length of all edges in kilometres."""
        return float(self.edge_length_m.sum() / 1000.0)

    def components(self) -> np.ndarray:
        """Connected-component label of every node."""
        from scipy.sparse.csgraph import connected_components

        _, labels = connected_components(self._adjacency(self.n_nodes), directed=False)
        return labels

    def _adjacency(self, size: int) -> csr_matrix:
        from scipy.sparse import coo_matrix

        data = np.concatenate([self.edge_length_m, self.edge_length_m])
        rows = np.concatenate([self.edge_u, self.edge_v])
        cols = np.concatenate([self.edge_v, self.edge_u])
        return coo_matrix((data, (rows, cols)), shape=(size, size)).tocsr()


@dataclass(frozen=True, eq=False)
class Snapped:
    """Points snapped onto the edges of a :class:`WalkingNetwork`.

    Attributes
    ----------
    edge
        Index of the nearest edge per point.
    offset_m
        Straight-line distance from the point to its projection on that edge.
    along_m
        Distance along the edge from ``edge_u`` to the projection.
    """

    edge: np.ndarray
    offset_m: np.ndarray
    along_m: np.ndarray


# ---------------------------------------------------------------------------------------------
# Reading line layers


def file_key(path: str | os.PathLike[str]) -> str:
    """SHA-256 of a file's bytes (hex), the key of its cached network."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_lines(
    path: str | os.PathLike[str], *, crs: CRS | str, source_crs: CRS | str | None = None
) -> gpd.GeoSeries:
    """Read the lines of a network file, exploded to LineStrings, in the metric CRS ``crs``.

    GeoJSON is read feature by feature with :mod:`json` (robust against defects GDAL rejects,
    such as an unclosed polygon ring in a feature that is dropped anyway); GeoPackage and
    Shapefile line layers with pyogrio. An ``.osm`` / ``.xml`` file is read as OSM XML (walkable
    ``highway`` ways). Polygons (pedestrian areas, squares) are dropped.

    Parameters
    ----------
    path
        The network file.
    crs
        Metric CRS to project the lines into.
    source_crs
        CRS of the file's coordinates when the file declares none or a wrong one (the
        manifest's ``crs``); GeoJSON without a ``crs`` member is WGS84.

    Returns
    -------
    geopandas.GeoSeries
        LineStrings in ``crs``.

    Raises
    ------
    NetworkError
        If the file cannot be read or holds no lines.
    """
    source = Path(path)
    target = parse_crs(crs, source="crs")
    if not source.is_file():
        raise NetworkError(f"network file {source} does not exist")
    suffix = source.suffix.lower()
    lines = _read_osm_xml(source) if suffix in (".osm", ".xml") else _read_line_layer(source)
    lines = lines[lines.geom_type.isin(LINE_TYPES)]
    if len(lines) == 0:
        raise NetworkError(
            f"network file {source} holds no lines (LineString/MultiLineString); a walking network "
            "must be a line layer of ways (GeoJSON, GeoPackage, Shapefile) or an OSM XML file."
        )
    if source_crs is not None:
        lines = lines.set_crs(parse_crs(source_crs, source="network crs"), allow_override=True)
    lines = lines.explode(index_parts=False)
    lines = lines[~lines.is_empty & lines.notna()]
    if lines.crs is None:
        raise CrsError(f"network file {source} declares no CRS; give one in the dataset manifest.")
    return lines.to_crs(target).reset_index(drop=True)


def _named_lines(
    source: Path, metric: CRS, name_field: str | None
) -> tuple[np.ndarray, list[str | None]]:
    """Lines of one source in ``metric`` (exploded) and the street name of each (or None)."""
    if name_field is None or source.suffix.lower() not in (".geojson", ".json"):
        lines = read_lines(source, crs=metric).to_numpy()
        return lines, [None] * len(lines)
    raw = _read_geojson_lines(source, name_field=name_field)
    frame = gpd.GeoDataFrame({"name": raw.attrs["names"]}, geometry=raw.values, crs=raw.crs)
    frame = frame[frame.geom_type.isin(LINE_TYPES)].explode(index_parts=False)
    frame = frame[~frame.is_empty & frame.geometry.notna()].to_crs(metric)
    return frame.geometry.to_numpy(), frame["name"].tolist()


def _read_line_layer(source: Path) -> gpd.GeoSeries:
    if source.suffix.lower() in (".geojson", ".json"):
        # plain JSON: robust against defects GDAL rejects (an unclosed polygon ring we drop anyway)
        return _read_geojson_lines(source)
    try:
        frame = gpd.read_file(source, columns=[])
    except Exception as exc:  # pyogrio raises several types
        raise NetworkError(f"cannot read network file {source}: {exc}") from exc
    return frame.geometry


def _read_geojson_lines(source: Path, *, name_field: str | None = None) -> gpd.GeoSeries:
    """The line features of a GeoJSON file; with ``name_field`` their names as ``.attrs``.

    ``name_field`` is a property name, or ``"@id"`` for the feature's own ``id`` member (files
    that keep a street's name there).
    """
    try:
        data = json.loads(source.read_bytes())
        features = data["features"]
    except (ValueError, KeyError, TypeError) as exc:
        raise NetworkError(
            f"cannot read network file {source}: not a GeoJSON FeatureCollection"
        ) from exc
    geoms = []
    names: list[str | None] = []
    for number, feature in enumerate(features, start=1):
        geom = (feature or {}).get("geometry") or {}
        if geom.get("type") in LINE_TYPES:
            try:
                geoms.append(shapely.geometry.shape(geom))
            except (ValueError, TypeError, IndexError, shapely.errors.GEOSException) as exc:
                raise NetworkError(
                    f"network file {source}, feature {number}: invalid {geom.get('type')}: {exc}"
                ) from exc
            if name_field is not None:
                names.append(_feature_name(feature, name_field))
    crs = _geojson_crs(data)
    out = gpd.GeoSeries(geoms, crs=crs)
    if name_field is not None:
        out.attrs["names"] = names
    return out


def _feature_name(feature: dict, name_field: str) -> str | None:
    value = (
        feature.get("id")
        if name_field == "@id"
        else (feature.get("properties") or {}).get(name_field)
    )
    return value.strip() or None if isinstance(value, str) else None


def _geojson_crs(data: dict) -> CRS:
    name = ((data.get("crs") or {}).get("properties") or {}).get("name")
    if not name:
        return WGS84
    if "CRS84" in name:
        return WGS84
    code = name.rsplit(":", 1)[-1]
    return parse_crs(f"EPSG:{code}" if code.isdigit() else name, source="GeoJSON crs member")


def _read_osm_xml(source: Path) -> gpd.GeoSeries:
    """Walkable ``highway`` ways of an OSM XML file as WGS84 LineStrings."""
    nodes: dict[str, tuple[float, float]] = {}
    ways: list[list[str]] = []
    way_refs: list[str] = []
    tags: dict[str, str] = {}
    try:
        for _event, elem in ET.iterparse(source, events=("end",)):  # noqa: S314  local file
            tag = elem.tag
            if tag == "node":
                nodes[elem.get("id", "")] = (
                    float(elem.get("lon", "nan")),
                    float(elem.get("lat", "nan")),
                )
                way_refs, tags = [], {}  # a node's own tags must not reach the next way
                elem.clear()
            elif tag == "nd":
                way_refs.append(elem.get("ref", ""))
            elif tag == "tag":
                tags[elem.get("k", "")] = elem.get("v", "")
            elif tag == "way":
                if _walkable(tags) and len(way_refs) >= 2:
                    ways.append(way_refs)
                way_refs, tags = [], {}
                elem.clear()
            elif tag == "relation":
                way_refs, tags = [], {}
                elem.clear()
    except ET.ParseError as exc:
        raise NetworkError(f"cannot read OSM XML file {source}: {exc}") from exc
    geoms = []
    for refs in ways:
        coords = [nodes[r] for r in refs if r in nodes]
        if len(coords) >= 2:
            geoms.append(shapely.LineString(coords))
    return gpd.GeoSeries(geoms, crs=WGS84)


def _walkable(tags: dict[str, str]) -> bool:
    highway = tags.get("highway")
    if highway is None or highway in OSM_NOT_WALKABLE or tags.get("area") == "yes":
        return False
    if tags.get("foot") in ("no", "private"):
        return False
    return not (
        tags.get("access") in ("no", "private") and tags.get("foot") not in ("yes", "designated")
    )


# ---------------------------------------------------------------------------------------------
# Building the graph


def build_network(
    lines: gpd.GeoSeries | Sequence[shapely.LineString],
    *,
    crs: CRS | str | None = None,
    snap_tolerance_m: float = DEFAULT_SNAP_TOLERANCE_M,
    key: str = "",
) -> WalkingNetwork:
    """Build a :class:`WalkingNetwork` from LineStrings in a metric CRS.

    Parameters
    ----------
    lines
        LineStrings (a GeoSeries in a metric CRS, or plain geometries with ``crs`` given).
    crs
        CRS of plain geometries; taken from ``lines`` when it is a GeoSeries.
    snap_tolerance_m
        Vertices closer than this are merged into one node.
    key
        Content key stored on the result.

    Returns
    -------
    WalkingNetwork

    Raises
    ------
    NetworkError
        If there are no usable segments.
    CrsError
        If the CRS is missing or not metric.

    Examples
    --------
    >>> import shapely
    >>> net = build_network([shapely.LineString([(0, 0), (100, 0)])], crs="EPSG:25832")
    >>> net.n_nodes, net.total_length_km
    (2, 0.1)
    """
    if isinstance(lines, gpd.GeoSeries):
        if lines.crs is None and crs is None:
            raise CrsError("`lines` has no CRS; give `crs` or set one on the GeoSeries.")
        crs = lines.crs if lines.crs is not None else crs
        geoms = lines.to_numpy()
    else:
        geoms = np.asarray(list(lines), dtype=object)
    if crs is None:
        raise CrsError("`crs` is required for plain geometries.")
    metric = parse_crs(crs)
    if not metric.is_projected:
        raise CrsError(
            f"network CRS {metric.to_string()} is not projected; project it to metres first."
        )
    geoms = shapely.get_parts(np.asarray(geoms, dtype=object))
    geoms = geoms[shapely.get_type_id(geoms) == 1]  # LineString
    if len(geoms) == 0:
        raise NetworkError("the network holds no lines")
    coords, line_index = shapely.get_coordinates(geoms, return_index=True)
    labels, node_xy = _cluster_vertices(coords, snap_tolerance_m)
    same_line = line_index[1:] == line_index[:-1]
    u = labels[:-1][same_line]
    v = labels[1:][same_line]
    length = np.hypot(*(coords[1:][same_line] - coords[:-1][same_line]).T)
    keep = u != v
    u, v, length = u[keep], v[keep], length[keep]
    if len(u) == 0:
        raise NetworkError("the network holds no segments longer than the snap tolerance")
    # one edge per node pair: keep the shortest of parallel segments
    lo, hi = np.minimum(u, v), np.maximum(u, v)
    order = np.lexsort((length, hi, lo))
    lo, hi, length = lo[order], hi[order], length[order]
    first = np.ones(len(lo), dtype=bool)
    first[1:] = (lo[1:] != lo[:-1]) | (hi[1:] != hi[:-1])
    return WalkingNetwork(
        node_xy=node_xy,
        edge_u=lo[first].astype(np.int64),
        edge_v=hi[first].astype(np.int64),
        edge_length_m=length[first].astype(np.float64),
        crs=metric,
        key=key,
    )


def _cluster_vertices(coords: np.ndarray, tolerance_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Merge vertices closer than ``tolerance_m``; return node label per vertex and node coords."""
    unique_xy, inverse = np.unique(coords, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    n = len(unique_xy)
    if tolerance_m > 0 and n > 1:
        from scipy.sparse import coo_matrix
        from scipy.sparse.csgraph import connected_components
        from scipy.spatial import cKDTree

        pairs = cKDTree(unique_xy).query_pairs(tolerance_m, output_type="ndarray")
    else:
        pairs = np.empty((0, 2), dtype=np.int64)
    if len(pairs):
        graph = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
        _, cluster = connected_components(graph, directed=False)
        counts = np.bincount(cluster)
        node_xy = np.column_stack(
            [np.bincount(cluster, weights=unique_xy[:, i]) / counts for i in range(2)]
        )
    else:
        cluster = np.arange(n)
        node_xy = unique_xy
    return cluster[inverse], node_xy


class NetworkCache:
    """A small least-recently-used cache of built networks, owned by the caller.

    Parameters
    ----------
    maxsize
        Number of networks kept in memory.
    directory
        Optional folder for ``.npz`` files of built graphs, so another process (the next CLI
        run) does not rebuild them. Files are named by the content key.
    """

    def __init__(self, maxsize: int = 4, directory: str | os.PathLike[str] | None = None) -> None:
        self.maxsize = maxsize
        self.directory = Path(directory) if directory is not None else None
        self._items: OrderedDict[str, WalkingNetwork] = OrderedDict()

    def get(self, key: str) -> WalkingNetwork | None:
        """Return the network stored under ``key`` (memory first, then the folder)."""
        if key in self._items:
            self._items.move_to_end(key)
            return self._items[key]
        if self.directory is not None:
            path = self.directory / f"{key}.npz"
            if path.is_file():
                try:
                    network = _load_npz(path, key)
                except (OSError, ValueError, KeyError) as exc:
                    logger.warning("ignoring unreadable network cache %s: %s", path, exc)
                else:
                    self._remember(key, network)
                    return network
        return None

    def put(self, key: str, network: WalkingNetwork) -> None:
        """Store ``network`` under ``key``."""
        self._remember(key, network)
        if self.directory is not None:
            try:
                _save_npz(self.directory / f"{key}.npz", network)
            except OSError as exc:
                logger.warning("cannot write network cache in %s: %s", self.directory, exc)

    def _remember(self, key: str, network: WalkingNetwork) -> None:
        self._items[key] = network
        self._items.move_to_end(key)
        while len(self._items) > self.maxsize:
            self._items.popitem(last=False)


def _save_npz(path: Path, network: WalkingNetwork) -> None:
    import io

    buffer = io.BytesIO()
    np.savez_compressed(
        buffer,
        format=np.array(_CACHE_FORMAT),
        node_xy=network.node_xy,
        edge_u=network.edge_u,
        edge_v=network.edge_v,
        edge_length_m=network.edge_length_m,
        crs=np.array(network.crs.to_wkt()),
    )
    atomic_write_bytes(path, buffer.getvalue())


def _load_npz(path: Path, key: str) -> WalkingNetwork:
    with np.load(path, allow_pickle=False) as data:
        if int(data["format"]) != _CACHE_FORMAT:
            raise ValueError("old cache format")
        return WalkingNetwork(
            node_xy=data["node_xy"],
            edge_u=data["edge_u"],
            edge_v=data["edge_v"],
            edge_length_m=data["edge_length_m"],
            crs=CRS.from_wkt(str(data["crs"])),
            key=key,
        )


def default_cache_dir() -> Path:
    """Folder for cached graphs: ``$QUARTIERSATLAS_CACHE`` or ``~/.cache/quartiersatlas``."""
    base = os.environ.get("QUARTIERSATLAS_CACHE")
    if base:
        return Path(base) / "networks"
    xdg = os.environ.get("XDG_CACHE_HOME")
    root = Path(xdg) if xdg else Path.home() / ".cache"
    return root / "quartiersatlas" / "networks"


def load_network(
    path: str | os.PathLike[str],
    *,
    crs: CRS | str,
    snap_tolerance_m: float = DEFAULT_SNAP_TOLERANCE_M,
    cache: NetworkCache | None = None,
    source_crs: CRS | str | None = None,
) -> WalkingNetwork:
    """Read a network file and build its graph, or take it from ``cache``.

    Parameters
    ----------
    path
        Line layer (GeoJSON, GeoPackage, Shapefile) or OSM XML file.
    crs
        The dataset's metric CRS.
    snap_tolerance_m
        See :func:`build_network`.
    cache
        Cache to look in and fill; the key is the SHA-256 of the file's bytes, the CRS and the
        tolerance, so an edited file is rebuilt.
    source_crs
        See :func:`read_lines`.

    Returns
    -------
    WalkingNetwork

    Raises
    ------
    NetworkError
        If the file cannot be read or holds no lines.
    """
    metric = parse_crs(crs)
    source = Path(path)
    if not source.is_file():
        raise NetworkError(f"network file {source} does not exist")
    declared = parse_crs(source_crs).to_wkt() if source_crs is not None else ""
    options = f"{metric.to_wkt()}|{declared}|{snap_tolerance_m!r}|{_CACHE_FORMAT}"
    key = hashlib.sha256(f"{file_key(source)}|{options}".encode()).hexdigest()
    if cache is not None:
        cached = cache.get(key)
        if cached is not None:
            return cached
    network = build_network(
        read_lines(source, crs=metric, source_crs=source_crs),
        snap_tolerance_m=snap_tolerance_m,
        key=key,
    )
    if cache is not None:
        cache.put(key, network)
    return network


# ---------------------------------------------------------------------------------------------
# Snapping and shortest paths


def snap_points(
    network: WalkingNetwork, xy: np.ndarray, *, largest_component_only: bool = True
) -> Snapped:
    """Snap points onto their nearest network edge.

    Parameters
    ----------
    network
        The walking network.
    xy
        ``(n, 2)`` point coordinates in the network's CRS.
    largest_component_only
        Snap only onto edges of the largest connected part of the network (as OSMnx does), so
        that a point next to an isolated fragment (a path in a park that joins nothing) is not
        cut off from everything else.

    Returns
    -------
    Snapped
    """
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    if len(xy) == 0:
        empty = np.empty(0)
        return Snapped(edge=np.empty(0, dtype=np.int64), offset_m=empty, along_m=empty)
    candidates, tree = _edge_index(network, largest_component_only)
    points = shapely.points(xy)
    hits = tree.query_nearest(points, all_matches=False, return_distance=False)
    edge = np.empty(len(xy), dtype=np.int64)
    edge[hits[0]] = candidates[hits[1]]
    a = network.node_xy[network.edge_u]
    b = network.node_xy[network.edge_v]
    ab = b[edge] - a[edge]
    length_sq = np.einsum("ij,ij->i", ab, ab)
    t = np.einsum("ij,ij->i", xy - a[edge], ab) / np.where(length_sq > 0, length_sq, 1.0)
    t = np.clip(t, 0.0, 1.0)
    foot = a[edge] + ab * t[:, None]
    offset = np.hypot(*(xy - foot).T)
    along = t * network.edge_length_m[edge]
    return Snapped(edge=edge, offset_m=offset, along_m=along)


def _edge_index(
    network: WalkingNetwork, largest_component_only: bool
) -> tuple[np.ndarray, shapely.STRtree]:
    """Edges points may snap to and their STRtree, built once per network (kept on it)."""
    key = ("edge_index", largest_component_only)
    cached = network._memo.get(key)
    if cached is None:
        candidates = np.arange(network.n_edges)
        if largest_component_only:
            labels = network.components()
            largest = np.argmax(np.bincount(labels))
            candidates = candidates[labels[network.edge_u] == largest]
        a = network.node_xy[network.edge_u[candidates]]
        b = network.node_xy[network.edge_v[candidates]]
        cached = (candidates, shapely.STRtree(shapely.linestrings(np.stack([a, b], axis=1))))
        network._memo[key] = cached
    return cached


def network_distances(
    network: WalkingNetwork,
    origins: Snapped,
    targets: Snapped,
    *,
    min_only: bool = True,
    limit_m: float = np.inf,
) -> np.ndarray:
    """Compute walking distances from snapped origins (facilities) to snapped targets (residents).

    Parameters
    ----------
    network
        The walking network.
    origins
        Snapped facilities (the sources of the shortest-path search).
    targets
        Snapped residents.
    min_only
        True: distance of each target to its nearest origin, shape ``(n_targets,)``.
        False: a ``(n_origins, n_targets)`` matrix.
    limit_m
        Stop searching beyond this distance; farther pairs are ``inf``.

    Returns
    -------
    numpy.ndarray
        Distances in metres (``inf`` where unreachable), not yet clamped by the straight-line
        distance (see :func:`clamp_to_euclidean`).
    """
    n_origins = len(origins.edge)
    n_targets = len(targets.edge)
    if n_origins == 0:
        shape = (n_targets,) if min_only else (0, n_targets)
        return np.full(shape, np.inf)
    n = network.n_nodes
    # one virtual node per origin, joined to both ends of its edge
    virtual = n + np.arange(n_origins)
    eu = network.edge_u[origins.edge]
    ev = network.edge_v[origins.edge]
    # the virtual edges carry the facility's own leg to the network
    w_u = origins.offset_m + origins.along_m
    w_v = origins.offset_m + network.edge_length_m[origins.edge] - origins.along_m
    size = n + n_origins
    base = network._memo.get("adjacency_coo")
    if base is None:
        base = network._adjacency(network.n_nodes).tocoo()
        network._memo["adjacency_coo"] = base
    eps = 1e-9  # csgraph drops explicit zeros; a zero-length leg must stay an edge
    rows = np.concatenate([base.row, virtual, virtual])
    cols = np.concatenate([base.col, eu, ev])
    data = np.concatenate([base.data, np.maximum(w_u, eps), np.maximum(w_v, eps)])
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import dijkstra

    graph = coo_matrix((data, (rows, cols)), shape=(size, size)).tocsr()
    limit = np.inf if not np.isfinite(limit_m) else float(limit_m)
    dist_nodes = dijkstra(graph, directed=True, indices=virtual, min_only=min_only, limit=limit)
    tu = network.edge_u[targets.edge]
    tv = network.edge_v[targets.edge]
    t_along = targets.along_m
    t_rest = network.edge_length_m[targets.edge] - t_along
    if min_only:
        via_nodes = np.minimum(dist_nodes[tu] + t_along, dist_nodes[tv] + t_rest)
        via_nodes = _same_edge_min(via_nodes, origins, targets)
        result = via_nodes + targets.offset_m
        if np.isfinite(limit):
            result[result > limit] = np.inf
        return result
    via = np.minimum(dist_nodes[:, tu] + t_along, dist_nodes[:, tv] + t_rest)
    same = origins.edge[:, None] == targets.edge[None, :]
    if same.any():
        direct = np.abs(origins.along_m[:, None] - t_along[None, :]) + origins.offset_m[:, None]
        via = np.where(same, np.minimum(via, direct), via)
    via = via + targets.offset_m[None, :]
    if np.isfinite(limit):
        via[via > limit] = np.inf
    return via


def _same_edge_min(via_nodes: np.ndarray, origins: Snapped, targets: Snapped) -> np.ndarray:
    """Shorten distances of targets on the same edge as an origin to the direct way along it."""
    common = np.intersect1d(origins.edge, targets.edge)
    if len(common) == 0:
        return via_nodes
    out = via_nodes.copy()
    t_idx = np.flatnonzero(np.isin(targets.edge, common))
    o_idx = np.flatnonzero(np.isin(origins.edge, common))
    order = np.argsort(origins.edge[o_idx], kind="stable")
    o_idx = o_idx[order]
    o_edges = origins.edge[o_idx]
    for ti in t_idx:
        lo = np.searchsorted(o_edges, targets.edge[ti], side="left")
        hi = np.searchsorted(o_edges, targets.edge[ti], side="right")
        cand = o_idx[lo:hi]
        direct = np.abs(origins.along_m[cand] - targets.along_m[ti]) + origins.offset_m[cand]
        out[ti] = min(out[ti], float(direct.min()))
    return out


def clamp_to_euclidean(network_m: np.ndarray, euclidean_m: np.ndarray) -> np.ndarray:
    """Return ``max(network, euclidean)`` elementwise: a walk is never shorter than the line."""
    return np.maximum(network_m, euclidean_m)


# ---------------------------------------------------------------------------------------------
# Writing a merged network file


def build_network_file(
    sources: Sequence[str | os.PathLike[str]],
    out: str | os.PathLike[str],
    crs: CRS | str,
    *,
    snap_tolerance_m: float = DEFAULT_SNAP_TOLERANCE_M,
    decimals: int = NETWORK_FILE_DECIMALS,
    simplify_tolerance_m: float = 0.0,
    name_fields: Sequence[str | None] | None = None,
) -> Path:
    """Merge several line files into one compact GeoJSON network in a metric CRS.

    Lines are read with :func:`read_lines` (polygons dropped, multi-lines exploded), projected
    to ``crs``, their vertices within ``snap_tolerance_m`` of each other merged (so the layers
    share exact coordinates where they meet), rounded to ``decimals`` and written without
    properties. The output is deterministic: the same inputs give the same bytes.

    Parameters
    ----------
    sources
        Line files, in the order they are written.
    out
        The GeoJSON file to write (atomically).
    crs
        Metric CRS of the output (declared in the file's ``crs`` member).
    snap_tolerance_m
        Vertices of different lines closer than this are merged.
    decimals
        Decimals of the written coordinates (1 = 0.1 m).
    simplify_tolerance_m
        If > 0, drop vertices of each line that deviate less than this (line ends, and so
        junctions between lines at their ends, are kept; a junction in the middle of a line
        may be lost, so keep it small).
    name_fields
        Per GeoJSON source, where a line's street name is (a property, or ``"@id"`` for the
        feature ``id``), or None; named lines are written with ``{"name": …}`` (the map's street
        context labels them), the others without properties.

    Returns
    -------
    pathlib.Path
        The written file.

    Raises
    ------
    NetworkError
        If a source holds no lines.
    """
    metric = parse_crs(crs)
    fields = list(name_fields) if name_fields is not None else [None] * len(sources)
    parts, name_parts = [], []
    for source, name_field in zip(sources, fields, strict=True):
        lines, names = _named_lines(Path(source), metric, name_field)
        parts.append(lines)
        name_parts.append(names)
    geoms = np.concatenate(parts) if parts else np.empty(0, dtype=object)
    line_names = [n for part in name_parts for n in part]
    if len(geoms) == 0:
        raise NetworkError("no network sources given")
    if simplify_tolerance_m > 0:
        geoms = shapely.simplify(geoms, simplify_tolerance_m, preserve_topology=False)
    coords, line_index = shapely.get_coordinates(geoms, return_index=True)
    labels, node_xy = _cluster_vertices(coords, snap_tolerance_m)
    snapped = np.round(node_xy[labels], decimals)
    features: list[str] = []
    starts = np.flatnonzero(np.r_[True, line_index[1:] != line_index[:-1]])
    ends = np.r_[starts[1:], len(line_index)]
    fmt = f"{{:.{decimals}f}}" if decimals > 0 else "{:.0f}"
    for start, end in zip(starts, ends, strict=True):
        pts = snapped[start:end]
        keep = np.r_[True, np.any(pts[1:] != pts[:-1], axis=1)]
        pts = pts[keep]
        if len(pts) < 2:
            continue
        body = ",".join(f"[{fmt.format(x)},{fmt.format(y)}]" for x, y in pts)
        name = line_names[int(line_index[start])]
        props = json.dumps({"name": name}, ensure_ascii=False) if name else "{}"
        features.append(
            '{"type":"Feature","properties":'
            + props
            + ',"geometry":{"type":"LineString","coordinates":['
            + body
            + "]}}"
        )
    epsg = metric.to_epsg()
    crs_name = f"urn:ogc:def:crs:EPSG::{epsg}" if epsg else metric.to_string()
    text = (
        '{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"'
        + crs_name
        + '"}},"features":[\n'
        + ",\n".join(features)
        + "\n]}\n"
    )
    return atomic_write_text(out, text)


__all__ = [
    "DEFAULT_SNAP_TOLERANCE_M",
    "NetworkCache",
    "Snapped",
    "WalkingNetwork",
    "build_network",
    "build_network_file",
    "clamp_to_euclidean",
    "default_cache_dir",
    "file_key",
    "load_network",
    "network_distances",
    "read_lines",
    "snap_points",
]
