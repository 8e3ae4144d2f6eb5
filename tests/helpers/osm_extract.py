"""A generated OSM XML extract over the test grid (tests/conftest.py) with known answers.

Used by tests/layers/test_osm.py and tests/cli/test_osm_cli.py (on sys.path via
tests/conftest.py). Positions are given in metres from the grid's south-west corner and written
as OSM lon/lat with 7 decimals, so expected coordinates are exactly the file's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import quoteattr

from pyproj import Transformer

ORIGIN_X, ORIGIN_Y = 455_000.0, 5_425_000.0  # the conftest grid: four 1 km squares, EPSG:25832
_TO_WGS84 = Transformer.from_crs("EPSG:25832", "EPSG:4326", always_xy=True)


def lonlat(x_m: float, y_m: float) -> tuple[float, float]:
    """Grid metres (offset from the grid's south-west corner) as OSM lon/lat (7 decimals)."""
    lon, lat = _TO_WGS84.transform(ORIGIN_X + x_m, ORIGIN_Y + y_m)
    return round(lon, 7), round(lat, 7)


@dataclass
class OsmBuilder:
    """Writes an OSM XML file from nodes, ways and relations given in grid metres."""

    nodes: list[tuple[int, float, float, dict[str, str]]] = field(default_factory=list)
    ways: list[tuple[int, list[int], dict[str, str]]] = field(default_factory=list)
    relations: list[tuple[int, list[tuple[str, int, str]], dict[str, str]]] = field(
        default_factory=list
    )
    _next_node: int = 1000

    def node(self, node_id: int, lon: float, lat: float, tags: Mapping[str, str] = {}) -> int:
        self.nodes.append((node_id, lon, lat, dict(tags)))
        return node_id

    def way(
        self,
        way_id: int,
        points: Sequence[tuple[float, float]],
        tags: Mapping[str, str],
        *,
        closed: bool = False,
    ) -> list[int]:
        refs = []
        for lon, lat in points:
            self._next_node += 1
            refs.append(self.node(self._next_node, lon, lat))
        if closed:
            refs.append(refs[0])
        self.ways.append((way_id, refs, dict(tags)))
        return refs

    def relation(
        self, rel_id: int, members: list[tuple[str, int, str]], tags: Mapping[str, str]
    ) -> None:
        self.relations.append((rel_id, members, dict(tags)))

    def xml(self) -> str:
        def tag_lines(tags: Mapping[str, str]) -> str:
            return "".join(f"<tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in tags.items())

        meta = 'version="1" timestamp="2026-11-01T00:00:00Z"'
        lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="test">']
        for node_id, lon, lat, tags in sorted(self.nodes):
            lines.append(
                f'<node id="{node_id}" {meta} lat="{lat}" lon="{lon}">{tag_lines(tags)}</node>'
            )
        for way_id, refs, tags in sorted(self.ways):
            nds = "".join(f'<nd ref="{ref}"/>' for ref in refs)
            lines.append(f'<way id="{way_id}" {meta}>{nds}{tag_lines(tags)}</way>')
        for rel_id, members, tags in sorted(self.relations):
            mem = "".join(
                f'<member type="{t}" ref="{ref}" role="{role}"/>' for t, ref, role in members
            )
            lines.append(f'<relation id="{rel_id}" {meta}>{mem}{tag_lines(tags)}</relation>')
        lines.append("</osm>")
        return "\n".join(lines) + "\n"


def rectangle(west: float, south: float, east: float, north: float) -> list[tuple[float, float]]:
    """Corners of an axis-parallel lon/lat rectangle (counter-clockwise, not closed)."""
    return [(west, south), (east, south), (east, north), (west, north)]


# Known positions (lon/lat, 7 decimals) of the fixture's objects.
NW, NE, SW, SE = lonlat(500, 1500), lonlat(1500, 1500), lonlat(500, 500), lonlat(1500, 500)
OUTSIDE = lonlat(3500, 500)  # 1.5 km east of the grid
HOME_W, HOME_S = lonlat(1300, 300)  # the nursing home's closed way (a lon/lat rectangle)
HOME_E, HOME_N = lonlat(1400, 400)
MP_W, MP_S = lonlat(200, 1200)  # the multipolygon's outer ring ...
MP_E, MP_N = lonlat(400, 1400)
HOLE_W, HOLE_S = lonlat(250, 1250)  # ... and its hole
HOLE_E, HOLE_N = lonlat(350, 1350)


def write_city_extract(path: Path) -> Path:
    """Write an OSM XML extract over the conftest grid with known facilities, ways and addresses."""
    b = OsmBuilder()
    address = {
        "addr:street": "Nordstraße",
        "addr:housenumber": "1",
        "addr:postcode": "76131",
        "addr:city": "Teststadt",
    }
    b.node(1, *NW, {"amenity": "community_centre", "name": "Bürgerhaus Nord", **address})
    b.node(2, *NE, {"healthcare": "counselling", "name": "Suchtberatung"})
    b.node(
        3,
        *SE,
        {
            "amenity": "social_facility",
            "social_facility": "day_care",
            "social_facility:for": "senior",
            "name": "Tagespflege Süd",
        },
    )
    b.node(
        4,
        *SE,
        {
            "amenity": "social_facility",
            "social_facility": "day_care",
            "social_facility:for": "child",
        },
    )
    b.node(5, *SW, {"office": "association", "name": "Bürgerverein Südwest"})
    b.node(6, *SW, {"office": "association", "club": "sport", "name": "TSV Südwest"})
    b.node(7, *SW, {"office": "association", "name": "Quartiersmanagement West"})
    b.node(8, *OUTSIDE, {"amenity": "community_centre", "name": "Treff Außerhalb"})
    b.node(9, *NW, {"amenity": "bench"})
    b.node(
        10,
        *NE,
        {"addr:street": "Kaiserstraße", "addr:housenumber": "5 a", "addr:city": "Teststadt"},
    )
    b.node(11, *NE, {"amenity": "social_centre"})
    b.node(12, *NW, {"amenity": "bench"})
    b.way(
        100,
        rectangle(HOME_W, HOME_S, HOME_E, HOME_N),
        {
            "building": "yes",
            "amenity": "social_facility",
            "social_facility": "nursing_home",
            "name": "Pflegeheim Süd",
            "addr:street": "Gartenweg",
            "addr:housenumber": "3",
            "addr:postcode": "76133",
        },
        closed=True,
    )
    b.way(201, rectangle(MP_W, MP_S, MP_E, MP_N), {}, closed=True)
    b.way(202, rectangle(HOLE_W, HOLE_S, HOLE_E, HOLE_N), {}, closed=True)
    b.relation(
        200,
        [("way", 201, "outer"), ("way", 202, "inner")],
        {
            "type": "multipolygon",
            "amenity": "social_facility",
            "social_facility": "assisted_living",
            "name": "Wohnen am Park",
        },
    )
    b.relation(
        500, [("node", 5, "")], {"type": "site", "amenity": "community_centre", "name": "Campus"}
    )
    walk = {
        300: (
            {"highway": "residential", "name": "Hauptstraße"},
            [lonlat(100, 100), lonlat(900, 100)],
        ),
        301: ({"highway": "footway"}, [lonlat(100, 200), lonlat(100, 900)]),
        305: ({"highway": "cycleway", "foot": "designated"}, [lonlat(200, 200), lonlat(200, 900)]),
        307: ({"highway": "primary"}, [lonlat(1100, 100), lonlat(1100, 1900)]),
        308: (
            {"highway": "residential", "name": "Ostweg"},
            [lonlat(1500, 1000), lonlat(2500, 1000)],
        ),
    }
    not_walk = {
        302: {"highway": "motorway"},
        303: {"highway": "footway", "foot": "no"},
        304: {"highway": "cycleway"},
        306: {"highway": "service", "access": "private"},
        309: {"highway": "trunk_link"},
    }
    for way_id, (tags, points) in walk.items():
        b.way(way_id, points, tags)
    for way_id, tags in not_walk.items():
        b.way(way_id, [lonlat(300, 300 + way_id), lonlat(800, 300 + way_id)], tags)
    path.write_text(b.xml(), encoding="utf-8")
    return path
