"""OSM import (layers.osm, layers.osm_mapping): generated extracts with known answers, .pbf, clipping, bad input."""

from __future__ import annotations

import csv
import gzip
import json
import re
from pathlib import Path

import osmium
import pytest
import shapely
from osm_extract import (  # tests/helpers/osm_extract.py (on sys.path via tests/conftest.py)
    HOLE_E,
    HOLE_N,
    HOLE_S,
    HOLE_W,
    HOME_E,
    HOME_N,
    HOME_S,
    HOME_W,
    MP_E,
    MP_N,
    MP_S,
    MP_W,
    NE,
    NW,
    OUTSIDE,
    SE,
    SW,
    OsmBuilder,
    lonlat,
    rectangle,
    write_city_extract,
)

from layers.errors import CrsError, MissingSourceError, OsmImportError
from layers.osm import FACILITY_COLUMNS, format_address, import_osm, is_walkable, read_osm
from layers.osm_mapping import load_mapping

EXPECTED_FACILITIES = {
    # id: (category, subcategory, name, lon, lat)
    "osm-n1": ("meeting", "Gemeinschaftszentrum / Bürgerhaus", "Bürgerhaus Nord", *NW),
    "osm-n2": ("counselling", "Beratungsstelle", "Suchtberatung", *NE),
    "osm-n3": ("care", "Tagespflege", "Tagespflege Süd", *SE),
    "osm-n5": ("participation", "Verein / Bürgerverein", "Bürgerverein Südwest", *SW),
    "osm-n7": ("network", "Stadtteil-/Quartiersbüro, Netzwerk", "Quartiersmanagement West", *SW),
    "osm-n8": ("meeting", "Gemeinschaftszentrum / Bürgerhaus", "Treff Außerhalb", *OUTSIDE),
    "osm-n11": ("meeting", "Soziales Zentrum", "Soziales Zentrum (ohne Namen in OSM)", *NE),
    # the closed way's point inside: the centre of the rectangle
    "osm-w100": (
        "care",
        "Pflegeheim",
        "Pflegeheim Süd",
        (HOME_W + HOME_E) / 2,
        (HOME_S + HOME_N) / 2,
    ),
}


@pytest.fixture
def osm_extract(tmp_path: Path) -> Path:
    """The generated extract of tests/helpers/osm_extract.py as ``tmp_path/city.osm``."""
    return write_city_extract(tmp_path / "city.osm")


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_facilities_have_expected_categories_and_coordinates(
    osm_extract: Path, tmp_path: Path
) -> None:
    summary = import_osm(osm_extract, out=tmp_path / "out")
    rows = read_csv(tmp_path / "out" / "facilities.csv")
    assert list(rows[0]) == list(FACILITY_COLUMNS)
    by_id = {row["id"]: row for row in rows}
    expected = {**EXPECTED_FACILITIES}
    assert set(by_id) == set(expected) | {"osm-r200"}
    for fid, (category, subcategory, name, lon, lat) in expected.items():
        row = by_id[fid]
        assert (row["category"], row["subcategory"], row["name"]) == (category, subcategory, name)
        assert float(row["lon"]) == pytest.approx(lon, abs=1e-6)
        assert float(row["lat"]) == pytest.approx(lat, abs=1e-6)
    assert by_id["osm-n1"]["address"] == "Nordstraße 1, 76131 Teststadt"
    assert (by_id["osm-w100"]["osm_type"], by_id["osm-w100"]["osm_id"]) == ("way", "100")
    # the multipolygon's point lies inside the ring, not in its hole
    mp = by_id["osm-r200"]
    assert (mp["category"], mp["subcategory"], mp["osm_type"]) == (
        "care",
        "Betreutes Wohnen",
        "relation",
    )
    ring = shapely.Polygon(
        rectangle(MP_W, MP_S, MP_E, MP_N), [rectangle(HOLE_W, HOLE_S, HOLE_E, HOLE_N)]
    )
    assert ring.contains(shapely.Point(float(mp["lon"]), float(mp["lat"])))
    assert summary.categories == {
        "care": 3,
        "counselling": 1,
        "meeting": 3,
        "network": 1,
        "participation": 1,
    }


def test_unmapped_and_unlocated_are_counted(osm_extract: Path, tmp_path: Path) -> None:
    summary = import_osm(osm_extract, out=tmp_path / "out")
    assert summary.unmapped == (
        ("amenity=bench", 2),
        ("office=association", 1),
        ("social_facility=day_care", 1),
    )
    assert summary.unlocated == {"relation of type site (not an area)": 1}
    assert read_csv(tmp_path / "out" / "unmapped.csv")[0] == {"tag": "amenity=bench", "count": "2"}


def test_network_has_walkable_ways_only(osm_extract: Path, tmp_path: Path) -> None:
    summary = import_osm(osm_extract, out=tmp_path / "out")
    data = json.loads((tmp_path / "out" / "network.geojson").read_text(encoding="utf-8"))
    ways = {f["properties"]["osm_id"]: f for f in data["features"]}
    assert set(ways) == {300, 301, 305, 307, 308}
    assert summary.network_ways == 5
    hauptstrasse = ways[300]
    assert hauptstrasse["properties"] == {
        "osm_id": 300,
        "highway": "residential",
        "name": "Hauptstraße",
    }
    assert hauptstrasse["geometry"]["coordinates"] == [
        list(lonlat(100, 100)),
        list(lonlat(900, 100)),
    ]


def test_addresses(osm_extract: Path, tmp_path: Path) -> None:
    summary = import_osm(osm_extract, out=tmp_path / "out")
    rows = read_csv(tmp_path / "out" / "addresses.csv")
    assert [row["address"] for row in rows] == [
        "Gartenweg 3, 76133",
        "Kaiserstraße 5 a, Teststadt",
        "Nordstraße 1, 76131 Teststadt",
    ]
    kaiser = rows[1]
    assert (float(kaiser["lon"]), float(kaiser["lat"])) == pytest.approx(NE, abs=1e-6)
    assert summary.addresses == 3


def test_districts_clip_points_and_lines(
    osm_extract: Path, tmp_path: Path, grid_districts_file: Path
) -> None:
    summary = import_osm(osm_extract, out=tmp_path / "out", districts=grid_districts_file)
    ids = {row["id"] for row in read_csv(tmp_path / "out" / "facilities.csv")}
    assert "osm-n8" not in ids
    assert summary.categories["meeting"] == 2
    data = json.loads((tmp_path / "out" / "network.geojson").read_text(encoding="utf-8"))
    ostweg = next(f for f in data["features"] if f["properties"]["osm_id"] == 308)
    east_edge = lonlat(2000, 1000)[0]
    assert max(x for x, _ in ostweg["geometry"]["coordinates"]) == pytest.approx(
        east_edge, abs=1e-5
    )


def test_pbf_gives_the_same_files(osm_extract: Path, tmp_path: Path) -> None:
    pbf = tmp_path / "city.osm.pbf"
    with osmium.SimpleWriter(str(pbf)) as writer:
        for obj in osmium.FileProcessor(str(osm_extract)):
            writer.add(obj)
    import_osm(osm_extract, out=tmp_path / "from_xml")
    import_osm(pbf, out=tmp_path / "from_pbf")
    for name in ("facilities.csv", "network.geojson", "addresses.csv", "unmapped.csv"):
        assert (tmp_path / "from_pbf" / name).read_bytes() == (
            tmp_path / "from_xml" / name
        ).read_bytes()
    assert pbf.read_bytes()[:4] != b"<?xm"


def test_walkability_rule() -> None:
    assert is_walkable({"highway": "steps"})
    assert is_walkable({"highway": "service", "access": "private", "foot": "yes"})
    assert not is_walkable({"highway": "residential", "foot": "use_sidepath"})
    assert not is_walkable({"highway": "primary", "motorroad": "yes"})
    assert not is_walkable({"highway": "pedestrian", "area": "yes"})
    assert not is_walkable({"highway": "motorway_link"})
    assert not is_walkable({"building": "yes"})


def test_address_format_without_street_or_with_place() -> None:
    assert (
        format_address({"addr:place": "Hofgut", "addr:housenumber": "2", "addr:postcode": "76229"})
        == "Hofgut 2, 76229"
    )
    assert format_address({"addr:housenumber": "2"}) is None


# --- mapping -------------------------------------------------------------------------------


def test_custom_mapping_extends_and_wins(osm_extract: Path, tmp_path: Path) -> None:
    mapping = tmp_path / "mapping.toml"
    mapping.write_text(
        '[[rule]]\ncategory = "meeting"\nsubcategory = "Ruhebank"\nmatch = { amenity = "bench" }\n'
        '[[rule]]\ncategory = "participation"\nsubcategory = "Kinderbetreuung"\n'
        'match = { social_facility = "day_care", "social_facility:for" = "child" }\n',
        encoding="utf-8",
    )
    summary = import_osm(osm_extract, out=tmp_path / "out", mapping=load_mapping(mapping))
    assert summary.categories["meeting"] == 5  # 3 default + 2 benches
    assert summary.categories["participation"] == 2
    assert summary.unmapped == (("office=association", 1),)


def test_custom_mapping_can_replace_defaults(osm_extract: Path, tmp_path: Path) -> None:
    mapping = tmp_path / "mapping.toml"
    mapping.write_text(
        '[settings]\nreplace_defaults = true\nunmapped_keys = ["amenity"]\n'
        '[[rule]]\ncategory = "care"\nmatch = { social_facility = ["nursing_home", "assisted_living"] }\n',
        encoding="utf-8",
    )
    summary = import_osm(osm_extract, out=tmp_path / "out", mapping=load_mapping(mapping))
    assert summary.categories == {"care": 2}
    assert dict(summary.unmapped) == {
        "amenity=community_centre": 3,
        "amenity=bench": 2,
        "amenity=social_facility": 2,
        "amenity=social_centre": 1,
    }


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "[[rule]]\ncategory = 'care'\nmatch = { amenity = 3 }\n",
            r"rule 1: match\.amenity: value must be a string",
        ),
        (
            "[[rule]]\ncategory = 'Pflege!'\nmatch = { amenity = 'x' }\n",
            r"rule 1: `category` must be a category id",
        ),
        ("[[rule]]\ncategory = 'care'\n", r"rule 1: match must be a table of tag conditions"),
        (
            "[[rule]]\ncategory = 'care'\ncatgory = 'x'\nmatch = { a = 'b' }\n",
            r"rule 1: unknown key 'catgory'",
        ),
        (
            "[[rule]]\ncategory = 'care'\nmatch = { name = '~(unclosed' }\n",
            r"match\.name: invalid regular expression",
        ),
        ("[settings]\nunmaped_keys = []\n", r"unknown key settings\.unmaped_keys"),
        ("[[rule]\n", r"cannot read mapping .*mapping\.toml"),
    ],
)
def test_bad_mapping_names_the_key(tmp_path: Path, text: str, message: str) -> None:
    mapping = tmp_path / "mapping.toml"
    mapping.write_text(text, encoding="utf-8")
    with pytest.raises(OsmImportError, match=message):
        load_mapping(mapping)


def test_missing_mapping_file(tmp_path: Path) -> None:
    with pytest.raises(OsmImportError, match=r"mapping file .*nope\.toml does not exist"):
        load_mapping(tmp_path / "nope.toml")


# --- bad input and atomic writes ------------------------------------------------------------


def test_missing_extract(tmp_path: Path) -> None:
    with pytest.raises(MissingSourceError, match=r"OSM extract .*missing\.osm\.pbf does not exist"):
        read_osm(tmp_path / "missing.osm.pbf")


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("broken.osm", b"<osm version='0.6'><node id='1' lat='49' lon='8'>"),
        ("broken.osm.pbf", b"not a pbf at all" * 10),
    ],
)
def test_unreadable_extract(tmp_path: Path, name: str, content: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(OsmImportError, match=rf"cannot read OSM extract .*{re.escape(name)}"):
        read_osm(path)


def test_unknown_file_type(tmp_path: Path) -> None:
    path = tmp_path / "city.geojson"
    path.write_text("{}", encoding="utf-8")
    with pytest.raises(OsmImportError, match=r"unknown OSM file type"):
        read_osm(path)


def test_failed_import_changes_nothing(osm_extract: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    import_osm(osm_extract, out=out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    broken = tmp_path / "broken.osm"
    broken.write_text("<osm><node id='1'", encoding="utf-8")
    with pytest.raises(OsmImportError):
        import_osm(broken, out=out)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_refuses_to_replace_an_unrelated_folder(osm_extract: Path, tmp_path: Path) -> None:
    out = tmp_path / "mydataset"
    out.mkdir()
    (out / "dataset.toml").write_text("[metadata]\n", encoding="utf-8")
    with pytest.raises(OsmImportError, match=r"exists, is not empty and holds no import-osm\.json"):
        import_osm(osm_extract, out=out)
    assert [p.name for p in out.iterdir()] == ["dataset.toml"]


def test_districts_without_crs(osm_extract: Path, tmp_path: Path) -> None:
    districts = tmp_path / "d.geojson"
    districts.write_text(
        '{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::25832"}},"features":[]}',
        encoding="utf-8",
    )
    with pytest.raises(OsmImportError, match=r"holds no polygons"):
        import_osm(osm_extract, out=tmp_path / "out", districts=districts)
    with pytest.raises(MissingSourceError, match=r"districts file .*nope\.gpkg does not exist"):
        import_osm(osm_extract, out=tmp_path / "out", districts=tmp_path / "nope.gpkg")


def test_districts_crs_missing(osm_extract: Path, tmp_path: Path, grid_districts) -> None:
    shp = tmp_path / "d.shp"
    grid_districts.to_file(shp)
    shp.with_suffix(".prj").unlink()
    with pytest.raises(CrsError, match=r"declares no CRS"):
        import_osm(osm_extract, out=tmp_path / "out", districts=shp)


def test_progress_is_reported(osm_extract: Path) -> None:
    seen: list[int] = []
    read_osm(osm_extract, on_progress=seen.append)
    assert seen and seen[-1] > 0


def test_compressed_xml(osm_extract: Path, tmp_path: Path) -> None:
    gz = tmp_path / "city.osm.gz"
    gz.write_bytes(gzip.compress(osm_extract.read_bytes()))
    plain = read_osm(osm_extract)
    packed = read_osm(gz)
    assert packed.facilities.drop(columns="geometry").equals(
        plain.facilities.drop(columns="geometry")
    )
    assert len(packed.addresses) == len(plain.addresses) == 3


def test_docs_list_every_default_rule() -> None:
    docs = (Path(__file__).resolve().parents[2] / "docs" / "osm-import.md").read_text(
        encoding="utf-8"
    )
    mapping = load_mapping()
    assert {rule.category for rule in mapping.rules} == {
        "meeting",
        "counselling",
        "care",
        "participation",
        "network",
    }
    for rule in mapping.rules:
        assert f"| `{rule.category}` | {rule.subcategory} |" in docs


def test_ways_with_nodes_missing_from_the_extract(tmp_path: Path) -> None:
    """A cut extract: ways refer to nodes it does not hold."""
    b = OsmBuilder()
    refs = b.way(
        10,
        rectangle(*NW, NW[0] + 0.001, NW[1] + 0.001),
        {"amenity": "community_centre", "name": "Halb"},
        closed=True,
    )
    gone = b.way(11, [NE, SE], {"amenity": "community_centre", "name": "Weg"})
    b.way(12, [SW, lonlat(600, 500), lonlat(700, 500)], {"highway": "footway"})
    b.nodes = [n for n in b.nodes if n[0] not in {refs[2], *gone, b.ways[-1][1][0]}]
    path = tmp_path / "cut.osm"
    path.write_text(b.xml(), encoding="utf-8")
    extract = read_osm(path)
    # three of four corners left: the ring still closes, the point lies inside the triangle
    (point,) = extract.facilities.geometry
    assert extract.facilities["id"].tolist() == ["osm-w10"]
    triangle = shapely.Polygon([NW, (NW[0] + 0.001, NW[1]), (NW[0], NW[1] + 0.001)])
    assert triangle.contains(point)
    assert extract.unlocated == {"way without coordinates": 1}
    (line,) = extract.network.geometry
    assert list(line.coords) == [lonlat(600, 500), lonlat(700, 500)]


def test_truncated_pbf(osm_extract: Path, tmp_path: Path) -> None:
    pbf = tmp_path / "full.osm.pbf"
    with osmium.SimpleWriter(str(pbf)) as writer:
        for obj in osmium.FileProcessor(str(osm_extract)):
            writer.add(obj)
    cut = tmp_path / "cut.osm.pbf"
    cut.write_bytes(pbf.read_bytes()[: pbf.stat().st_size // 2])
    with pytest.raises(OsmImportError, match=r"cut\.osm\.pbf: PBF error.*not truncated\?"):
        read_osm(cut)
