"""The rules that keep a large city's map light: hexagon size from the extent, streets on demand."""

from __future__ import annotations

import dataclasses
import json

import geopandas as gpd
import pytest
from shapely.geometry import LineString, shape

from dashboard import map_context
from dashboard.app import create_app, get_context, make_options
from dashboard.context import AppContext
from layers.dataset import NetworkSpec
from layers.gaps import hex_cells


def test_the_hexagon_edge_follows_the_cell_cap(tiny_dataset, tmp_path):
    fine = AppContext(tiny_dataset, make_options(user_data_dir=tmp_path))
    assert fine.hex_edge_m == 200.0
    assert fine.hex_index.n_cells > 10
    capped = AppContext(tiny_dataset, make_options(user_data_dir=tmp_path, max_hex_cells=10))
    assert capped.hex_edge_m > 200.0
    assert capped.hex_index.n_cells <= 10
    assert len(capped.hexes.ids) == capped.hex_index.n_cells
    # the cells are those of the chosen edge
    q, r = hex_cells(capped.table.resident_xy[:1], edge_m=capped.hex_edge_m)
    assert f"{q[0]},{r[0]}" in capped.hexes.ids


def test_an_explicit_edge_wins_over_the_cap(tiny_dataset, tmp_path):
    ctx = AppContext(
        tiny_dataset, make_options(user_data_dir=tmp_path, hex_edge_m=150.0, max_hex_cells=1)
    )
    assert ctx.hex_edge_m == 150.0


@pytest.fixture
def networked(tiny_dataset, tmp_path):
    """The tiny city with a network file of one named street and 30 unnamed 300 m lines."""
    x0, y0 = (float(v) for v in tiny_dataset.districts.total_bounds[:2])
    lines = [LineString([(x0, y0), (x0 + 400, y0)]), LineString([(x0 + 400, y0), (x0 + 900, y0)])]
    lines += [LineString([(x0 + 20 * i, y0 + 500), (x0 + 20 * i, y0 + 800)]) for i in range(30)]
    net = gpd.GeoDataFrame(
        {"name": ["Hauptstraße", "Hauptstraße"] + [None] * 30},
        geometry=lines,
        crs=tiny_dataset.metadata.metric_crs,
    )
    path = tmp_path / "net.geojson"
    net.to_file(path, driver="GeoJSON")
    return dataclasses.replace(
        tiny_dataset, network=NetworkSpec(path=path, approximate=True, note="")
    )


def test_streets_are_fetched_from_a_keyed_url_not_carried_in_the_page(networked, tmp_path):
    app = create_app(networked, user_data_dir=tmp_path / "u", static_cache_dir=tmp_path / "c")
    store = map_context.StreetStore(networked, tmp_path / "c", max_lines=400)
    with app.server.test_client() as client:
        layout = client.get("/_dash-layout").get_data(as_text=True)
        # Dash writes "/" as "\u002f" in the layout
        assert f"streets\\u002f{store.key}.json" in layout
        assert "Hauptstraße" not in layout
        response = client.get(store.url)
        assert response.status_code == 200
        assert "immutable" in response.headers["Cache-Control"]
        served = json.loads(response.get_data())
        assert served == json.loads(json.dumps(map_context.street_features(networked)))
        assert [f["properties"] for f in served["features"]] == [{"name": "Hauptstraße"}]
        assert client.get(map_context.STREETS_ROUTE + "0123.json").status_code == 404
    # computed once, then read from the cache folder by the next app (another worker)
    cached = tmp_path / "c" / f"streets-{store.key}.json"
    assert json.loads(cached.read_bytes()) == served
    cached.write_bytes(b'{"type": "FeatureCollection", "features": [], "from": "cache"}')
    other = create_app(networked, user_data_dir=tmp_path / "u", static_cache_dir=tmp_path / "c")
    with other.server.test_client() as client:
        assert json.loads(client.get(store.url).get_data())["from"] == "cache"


def test_the_street_key_changes_with_the_cap_and_the_file(networked):
    key = map_context.streets_key(networked, max_lines=400)
    assert map_context.streets_key(networked, max_lines=10) != key
    path = networked.network.path
    path.write_text(path.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert map_context.streets_key(networked, max_lines=400) != key


def test_no_network_no_street_url(tiny_dataset, tmp_path):
    app = create_app(tiny_dataset, user_data_dir=tmp_path / "u", static_cache_dir=tmp_path / "c")
    store = map_context.StreetStore(tiny_dataset, tmp_path / "c", max_lines=400)
    assert store.url is None
    with app.server.test_client() as client:
        assert map_context.STREETS_ROUTE not in client.get("/_dash-layout").get_data(as_text=True)
    assert get_context(app).hex_edge_m == 200.0


def test_unnamed_streets_are_capped_by_the_option(tiny_dataset, tmp_path):
    x0, y0 = (float(v) for v in tiny_dataset.districts.total_bounds[:2])
    lines = [LineString([(x0 + 50 * i, y0), (x0 + 50 * i, y0 + 300 + 10 * i)]) for i in range(20)]
    path = tmp_path / "unnamed.geojson"
    gpd.GeoDataFrame(geometry=lines, crs=tiny_dataset.metadata.metric_crs).to_file(
        path, driver="GeoJSON"
    )
    unnamed = dataclasses.replace(
        tiny_dataset, network=NetworkSpec(path=path, approximate=True, note="")
    )
    every = map_context.street_features(unnamed, max_lines=400)["features"]
    capped = map_context.street_features(unnamed, max_lines=3)["features"]
    assert len(every) == 20
    assert len(capped) == 3
    # the longest lines are kept: the last three drawn (300 + 10 i m)
    kept = sorted(round(shape(f["geometry"]).length, 5) for f in capped)
    assert kept == sorted(round(shape(f["geometry"]).length, 5) for f in every)[-3:]
