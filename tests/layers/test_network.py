"""Walking network: reading, snapping vertices, edge snapping, shortest paths, caching."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

from layers.coverage import DistanceTable
from layers.errors import CrsError, NetworkError
from layers.network import (
    NetworkCache,
    build_network,
    build_network_file,
    load_network,
    network_distances,
    read_lines,
    snap_points,
)

CRS = "EPSG:25832"
X0, Y0 = 455_000.0, 5_425_000.0
STEP = 100.0
N = 11  # 11 × 11 intersections, 1 km × 1 km


def street_grid(n: int = N, step: float = STEP) -> list[shapely.LineString]:
    """A Manhattan street grid: n horizontal and n vertical streets, each split at every crossing."""
    lines = []
    for i in range(n):
        for j in range(n - 1):
            lines.append(
                shapely.LineString(
                    [(X0 + j * step, Y0 + i * step), (X0 + (j + 1) * step, Y0 + i * step)]
                )
            )
            lines.append(
                shapely.LineString(
                    [(X0 + i * step, Y0 + j * step), (X0 + i * step, Y0 + (j + 1) * step)]
                )
            )
    return lines


@pytest.fixture
def grid_network():
    """An 11×11 street grid with 100 m blocks in EPSG:25832."""
    return build_network(gpd.GeoSeries(street_grid(), crs=CRS))


def test_grid_has_expected_nodes_and_edges(grid_network):
    assert grid_network.n_nodes == N * N
    assert grid_network.n_edges == 2 * N * (N - 1)
    assert grid_network.total_length_km == pytest.approx(2 * N * (N - 1) * STEP / 1000)


def test_shortest_paths_on_street_grid_are_manhattan_distances(grid_network):
    rng = np.random.default_rng(7)
    fac_idx = rng.integers(0, N, size=(3, 2))
    res_idx = rng.integers(0, N, size=(40, 2))
    fac = np.column_stack([X0 + fac_idx[:, 0] * STEP, Y0 + fac_idx[:, 1] * STEP])
    res = np.column_stack([X0 + res_idx[:, 0] * STEP, Y0 + res_idx[:, 1] * STEP])
    got = network_distances(
        grid_network, snap_points(grid_network, fac), snap_points(grid_network, res)
    )
    manhattan = np.abs(res[:, None, :] - fac[None, :, :]).sum(axis=2).min(axis=1)
    np.testing.assert_allclose(got, manhattan, atol=1e-6)
    matrix = network_distances(
        grid_network, snap_points(grid_network, fac), snap_points(grid_network, res), min_only=False
    )
    np.testing.assert_allclose(
        matrix, np.abs(fac[:, None, :] - res[None, :, :]).sum(axis=2), atol=1e-6
    )


def test_points_between_streets_add_their_legs_and_walk_along_edges(grid_network):
    # facility 30 m north of street y=Y0 snaps to (X0+50, Y0); resident 20 m south of street
    # y=Y0+200 snaps to (X0+260, Y0+200); walk east 50 m, north 200 m, east 160 m
    fac = np.array([[X0 + 50, Y0 + 30]])
    res = np.array([[X0 + 260, Y0 + 180]])
    got = network_distances(
        grid_network, snap_points(grid_network, fac), snap_points(grid_network, res)
    )
    assert got[0] == pytest.approx(30 + 50 + 200 + 160 + 20)


def test_same_edge_points_walk_directly(grid_network):
    fac = np.array([[X0 + 20, Y0 + 5]])
    res = np.array([[X0 + 70, Y0 + 3]])
    got = network_distances(
        grid_network, snap_points(grid_network, fac), snap_points(grid_network, res)
    )
    assert got[0] == pytest.approx(5 + 50 + 3)


def test_network_distance_is_never_below_euclidean(grid_network):
    rng = np.random.default_rng(3)
    res = gpd.GeoDataFrame(
        geometry=gpd.points_from_xy(X0 + rng.random(300) * 1000, Y0 + rng.random(300) * 1000),
        crs=CRS,
    )
    fac = gpd.GeoDataFrame(
        {"category": ["care"] * 4},
        geometry=gpd.points_from_xy(X0 + rng.random(4) * 1000, Y0 + rng.random(4) * 1000),
        crs=CRS,
    )
    table = DistanceTable(res, fac, distance="network", network=grid_network)
    walk = table.distances_m("care")
    assert np.all(walk >= table.euclidean_m("care") - 1e-9)
    assert np.all(np.isfinite(walk))
    # a grid walk is at most sqrt(2) times the line plus the two legs (each ≤ 50 m)
    assert np.all(walk <= np.sqrt(2) * table.euclidean_m("care") + 200)


def test_vertices_within_a_metre_are_joined():
    a = shapely.LineString([(X0, Y0), (X0 + 100, Y0)])
    b = shapely.LineString([(X0 + 100.6, Y0 + 0.4), (X0 + 100.6, Y0 + 100)])  # 0.72 m off
    joined = build_network(gpd.GeoSeries([a, b], crs=CRS))
    assert joined.n_nodes == 3
    assert len(np.unique(joined.components())) == 1
    apart = build_network(gpd.GeoSeries([a, b], crs=CRS), snap_tolerance_m=0.5)
    assert apart.n_nodes == 4
    assert len(np.unique(apart.components())) == 2


def test_points_snap_to_the_largest_component_only():
    main = [shapely.LineString([(X0, Y0), (X0 + 1000, Y0)])]
    islet = [shapely.LineString([(X0 + 500, Y0 + 300), (X0 + 520, Y0 + 300)])]
    net = build_network(gpd.GeoSeries(main + islet, crs=CRS))
    snapped = snap_points(net, np.array([[X0 + 510, Y0 + 299]]))
    assert snapped.offset_m[0] == pytest.approx(299)
    anywhere = snap_points(net, np.array([[X0 + 510, Y0 + 299]]), largest_component_only=False)
    assert anywhere.offset_m[0] == pytest.approx(1)


def write_geojson(path: Path, features: list[dict], crs: str | None = None) -> Path:
    data: dict = {"type": "FeatureCollection", "features": features}
    if crs:
        data["crs"] = {"type": "name", "properties": {"name": crs}}
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def line_feature(coords, kind="LineString"):
    return {"type": "Feature", "properties": {}, "geometry": {"type": kind, "coordinates": coords}}


def test_read_lines_explodes_multilines_drops_polygons_and_reprojects(tmp_path):
    path = write_geojson(
        tmp_path / "ways.geojson",
        [
            line_feature(
                [[[8.40, 49.00], [8.41, 49.00]], [[8.41, 49.00], [8.41, 49.01]]], "MultiLineString"
            ),
            line_feature([[8.40, 49.0], [8.40, 49.01], [8.41, 49.01]]),  # unclosed "ring"
            {
                "type": "Feature",
                "properties": {},
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [[[8.4, 49.0], [8.5, 49.0], [8.5, 49.1]]],
                },
            },
        ],
    )
    lines = read_lines(path, crs=CRS)
    assert len(lines) == 3
    assert set(lines.geom_type) == {"LineString"}
    assert lines.crs.to_epsg() == 25832
    assert 400_000 < lines.total_bounds[0] < 500_000


def test_a_file_without_lines_is_a_network_error(tmp_path):
    path = write_geojson(
        tmp_path / "points.geojson",
        [
            {
                "type": "Feature",
                "properties": {},
                "geometry": {"type": "Point", "coordinates": [8.4, 49.0]},
            }
        ],
    )
    with pytest.raises(NetworkError, match="holds no lines"):
        load_network(path, crs=CRS)
    garbage = tmp_path / "garbage.geojson"
    garbage.write_text("not json", encoding="utf-8")
    with pytest.raises(NetworkError, match="cannot read network file"):
        load_network(garbage, crs=CRS)
    with pytest.raises(NetworkError, match="does not exist"):
        load_network(tmp_path / "missing.geojson", crs=CRS)


def test_geographic_crs_cannot_build_a_network():
    with pytest.raises(CrsError, match="not projected"):
        build_network(gpd.GeoSeries([shapely.LineString([(8.4, 49), (8.5, 49)])], crs="EPSG:4326"))


OSM_XML = """<?xml version='1.0' encoding='UTF-8'?>
<osm version="0.6">
  <node id="1" lat="49.0000" lon="8.4000"/>
  <node id="2" lat="49.0000" lon="8.4100"/>
  <node id="3" lat="49.0100" lon="8.4100"/>
  <node id="5" lat="49.0200" lon="8.4000"/>
  <node id="4" lat="49.0100" lon="8.4000"><tag k="highway" v="crossing"/></node>
  <way id="15"><nd ref="4"/><nd ref="5"/></way>
  <way id="10"><nd ref="1"/><nd ref="2"/><tag k="highway" v="residential"/></way>
  <way id="11"><nd ref="2"/><nd ref="3"/><tag k="highway" v="footway"/></way>
  <way id="12"><nd ref="3"/><nd ref="4"/><tag k="highway" v="motorway"/></way>
  <way id="13"><nd ref="4"/><nd ref="1"/><tag k="building" v="yes"/></way>
  <way id="14"><nd ref="4"/><nd ref="2"/><tag k="highway" v="service"/><tag k="access" v="private"/></way>
</osm>
"""


def test_osm_xml_keeps_walkable_highways(tmp_path):
    path = tmp_path / "extract.osm"
    path.write_text(OSM_XML, encoding="utf-8")
    net = load_network(path, crs=CRS)
    # residential + footway; motorway, building, private service and the untagged way dropped
    # (a node's highway=crossing tag must not leak into the way after it)
    assert net.n_edges == 2
    assert net.n_nodes == 3
    assert net.total_length_km == pytest.approx(0.73 + 1.11, abs=0.02)


def test_cache_is_keyed_by_file_content(tmp_path):
    path = write_geojson(
        tmp_path / "n.geojson", [line_feature([[0, 0], [100, 0]])], "urn:ogc:def:crs:EPSG::25832"
    )
    cache = NetworkCache(directory=tmp_path / "cache")
    first = load_network(path, crs=CRS, cache=cache)
    assert load_network(path, crs=CRS, cache=cache) is first
    # another process: a fresh cache object reads the .npz file
    again = load_network(path, crs=CRS, cache=NetworkCache(directory=tmp_path / "cache"))
    assert again is not first
    np.testing.assert_array_equal(again.node_xy, first.node_xy)
    assert len(list((tmp_path / "cache").glob("*.npz"))) == 1
    write_geojson(path, [line_feature([[0, 0], [250, 0]])], "urn:ogc:def:crs:EPSG::25832")
    changed = load_network(path, crs=CRS, cache=cache)
    assert changed.total_length_km == pytest.approx(0.25)


def test_build_network_file_merges_snaps_and_is_deterministic(tmp_path):
    streets = write_geojson(
        tmp_path / "streets.geojson",
        [
            line_feature([[8.4000000, 49.0], [8.4100040, 49.0000030]]),
            {
                "type": "Feature",
                "properties": {},
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [[[8.4, 49.0], [8.41, 49.0], [8.41, 49.01]]],
                },
            },
        ],
    )
    # footway (5 decimals) starting about 0.4 m from the street's east end (7 decimals)
    paths = write_geojson(
        tmp_path / "paths.geojson", [line_feature([[8.41000, 49.0], [8.41000, 49.005]])]
    )
    out = build_network_file([streets, paths], tmp_path / "network.geojson", CRS)
    text = out.read_text(encoding="utf-8")
    assert '"urn:ogc:def:crs:EPSG::25832"' in text
    net = load_network(out, crs=CRS)
    assert len(np.unique(net.components())) == 1
    assert net.n_nodes == 3
    again = build_network_file([streets, paths], tmp_path / "again.geojson", CRS)
    assert again.read_bytes() == out.read_bytes()
    coords = json.loads(text)["features"][0]["geometry"]["coordinates"]
    assert all(round(c, 1) == c for pair in coords for c in pair)


def test_network_pairs_and_scenarios_use_walking_distances(grid_network):
    res_xy = np.array([[X0 + 300, Y0 + 400], [X0 + 100, Y0], [X0 + 1000, Y0 + 1000]])
    res = gpd.GeoDataFrame(geometry=gpd.points_from_xy(*res_xy.T), crs=CRS)
    fac = gpd.GeoDataFrame(
        {"category": ["care", "meeting", "care"]},
        geometry=gpd.points_from_xy([X0, X0, X0 + 1000], [Y0, Y0, Y0]),
        crs=CRS,
    )
    table = DistanceTable(res, fac, distance="network", network=grid_network)
    np.testing.assert_allclose(table.distances_m("care"), [700, 100, 1000])
    r, f, d = table.pairs_within("care", radius_m=700)
    got = sorted(zip(r.tolist(), f.tolist(), np.round(d, 6).tolist(), strict=True))
    assert got == [(0, 0, 700.0), (1, 0, 100.0)]  # (0, 2) is 1,100 m: out; (2, 2) 1,000 m: out
    added = table.scenario_distances_m("care", add_xy=np.array([[X0 + 1000, Y0 + 900]]))
    np.testing.assert_allclose(added, [700, 100, 100])
    removed = table.scenario_distances_m("care", remove=[0])
    np.testing.assert_allclose(removed, [1100, 900, 1000])


def test_network_pairs_are_the_same_in_chunks(grid_network, monkeypatch):
    import layers.coverage as coverage_module

    rng = np.random.default_rng(9)
    res_xy = np.array([X0, Y0]) + rng.random((80, 2)) * 1000
    fac_xy = np.array([X0, Y0]) + rng.random((5, 2)) * 1000
    res = gpd.GeoDataFrame(geometry=gpd.points_from_xy(*res_xy.T), crs=CRS)
    fac = gpd.GeoDataFrame(
        {"category": ["care"] * 5}, geometry=gpd.points_from_xy(*fac_xy.T), crs=CRS
    )
    whole = DistanceTable(res, fac, distance="network", network=grid_network).pairs_within(
        "care", radius_m=600
    )
    monkeypatch.setattr(coverage_module, "PAIR_MATRIX_CELLS", 1)  # one facility per search
    chunked = DistanceTable(res, fac, distance="network", network=grid_network).pairs_within(
        "care", radius_m=600
    )

    def key(p):
        return sorted(zip(p[0].tolist(), p[1].tolist(), np.round(p[2], 9).tolist(), strict=True))

    assert len(whole[0]) > 20
    assert key(whole) == key(chunked)


def test_network_file_keeps_street_names_where_a_source_has_them(tmp_path) -> None:
    import json

    from layers.network import build_network_file

    streets = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": "Kaiserstraße",
                "properties": {},
                "geometry": {"type": "LineString", "coordinates": [[8.40, 49.00], [8.41, 49.00]]},
            }
        ],
    }
    paths = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": "way/1",
                "properties": {"highway": "footway"},
                "geometry": {"type": "LineString", "coordinates": [[8.41, 49.00], [8.41, 49.01]]},
            }
        ],
    }
    (tmp_path / "s.geojson").write_text(json.dumps(streets), encoding="utf-8")
    (tmp_path / "p.geojson").write_text(json.dumps(paths), encoding="utf-8")
    out = build_network_file(
        [tmp_path / "s.geojson", tmp_path / "p.geojson"],
        tmp_path / "net.geojson",
        "EPSG:25832",
        name_fields=["@id", None],
    )
    features = json.loads(out.read_text(encoding="utf-8"))["features"]
    assert [f["properties"] for f in features] == [{"name": "Kaiserstraße"}, {}]
    # the shared end point is one vertex: the named street and the path still meet
    assert features[0]["geometry"]["coordinates"][-1] == features[1]["geometry"]["coordinates"][0]
