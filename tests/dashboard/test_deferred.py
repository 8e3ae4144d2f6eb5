"""What loads after the first map: hexagons, borders and names from keyed URLs, area options."""

from __future__ import annotations

import json

import pytest

from dashboard import deferred, ids, leaflet_map
from dashboard.app import create_app, get_context
from dashboard.layout import area_options


@pytest.fixture(scope="module")
def app(tiny_dataset, tmp_path_factory):
    return create_app(
        tiny_dataset,
        user_data_dir=tmp_path_factory.mktemp("userdata"),
        static_cache_dir=tmp_path_factory.mktemp("static"),
    )


def _component(layout, component_id):
    return next(c for c in layout._traverse() if getattr(c, "id", None) == component_id)


def test_the_layout_names_the_later_layers_instead_of_drawing_them(app):
    ctx = get_context(app)
    layout = app.server.test_client().get("/_dash-layout").get_data(as_text=True)
    later = _component(app.layout(), ids.MAP_DEFERRED).data
    gaps_url, labels_url, streets_url = later["urls"]
    assert streets_url is None  # the tiny city has no network
    for url in (gaps_url, labels_url):
        assert url.startswith(deferred.ROUTE) and url.endswith(".json")
        assert url.replace("/", "\\u002f") in layout  # Dash writes "/" as "\u002f"
    # no hexagon or name point is in the page; the borders wait in the store, not in a layer
    assert all(f'"{hex_id}"' not in layout for hex_id in ctx.hexes.ids)
    assert '"rank":' not in layout
    assert later["data"] == [leaflet_map.border_features(ctx.outline)]
    assert '"coordinates"' in layout


def test_each_url_serves_its_geometry_for_good_and_another_key_nothing(app):
    ctx = get_context(app)
    gaps_url, labels_url, _ = _component(app.layout(), ids.MAP_DEFERRED).data["urls"]
    expected = {gaps_url: ctx.hexes.geojson, labels_url: ctx.labels}
    with app.server.test_client() as client:
        for url, geojson in expected.items():
            response = client.get(url)
            assert response.status_code == 200
            assert "immutable" in response.headers["Cache-Control"]
            # geometry, no document: no policy header and no session cookie
            assert "Content-Security-Policy" not in response.headers
            assert "Set-Cookie" not in response.headers
            assert json.loads(response.get_data()) == json.loads(json.dumps(geojson))
        assert client.get(f"{deferred.ROUTE}gaps-0123456789abcdef0123.json").status_code == 404
        assert client.get(f"{deferred.ROUTE}nothing-{gaps_url[-25:]}").status_code == 404


def test_a_layer_url_changes_with_its_content():
    files = deferred.LayerFiles()
    first = files.add("gaps", {"type": "FeatureCollection", "features": []})
    again = files.add("gaps", {"type": "FeatureCollection", "features": []})
    other = files.add("gaps", {"type": "FeatureCollection", "features": [{"id": "1"}]})
    assert first == again != other
    assert files.urls == [other]
    old_key = first.rsplit("-", 1)[1].removesuffix(".json")
    assert files.data("gaps", old_key) is None
    with pytest.raises(ValueError):
        files.add("../gaps", {})


def test_the_later_layers_are_set_once_after_the_first_map(app):
    outputs = [f"{layer}.url" for layer in deferred.URL_LAYERS]
    outputs += [f"{layer}.data" for layer in deferred.DATA_LAYERS]
    setters = {
        key: callback
        for key, callback in app.callback_map.items()
        if set(key.strip(".").split("...")) & set(outputs)
    }
    assert len(setters) == 1
    ((key, callback),) = setters.items()
    assert key.strip(".").split("...") == outputs
    assert [dep["id"] for dep in callback["inputs"]] == [ids.MAP_DEFERRED]
    # the browser waits for the map's own signal that it has drawn (assets/map.js)
    assert "quartiersatlas:map-drawn" in deferred.AFTER_FIRST_MAP_JS
    with pytest.raises(ValueError):
        deferred.later_layers([None], [])


def test_the_area_chooser_gets_its_options_after_the_first_map(app):
    ctx = get_context(app)
    layout = app.layout()
    assert _component(layout, ids.AREA_SELECT).options == []
    assert _component(layout, ids.AREA_OPTIONS).data == area_options(ctx, "district")
    callback = next(
        c for key, c in app.callback_map.items() if key.startswith(f"{ids.AREA_SELECT}.options@")
    )
    assert [dep["id"] for dep in callback["inputs"]] == [ids.MAP_GAPS]
