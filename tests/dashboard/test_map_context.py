"""Tests of dashboard.map_context (area names, street context) and of the fixed change scale."""

from __future__ import annotations

import dataclasses

import pytest
import shapely
from shapely.geometry import shape

from dashboard import ids, leaflet_map, map_context
from dashboard.callbacks import map as map_cb
from dashboard.state import ViewState
from layers.dataset import NetworkSpec


def test_label_features_name_every_area_of_every_level_inside_it(tiny_ctx):
    labels = map_context.label_features(tiny_ctx.dataset, tiny_ctx.mappings)
    by_level: dict[str, list[str]] = {}
    for feature in labels["features"]:
        props = feature["properties"]
        by_level.setdefault(props["level"], []).append(props["name"])
        geo = tiny_ctx.geo[props["level"]]
        area = geo.geojson["features"][geo.ids.index(props["id"])]
        # display geometry is simplified; the point is well inside (not on an edge)
        assert shape(area["geometry"]).buffer(1e-4).contains(shape(feature["geometry"]))
    assert sorted(by_level["district"]) == sorted(tiny_ctx.geo["district"].names)
    assert sorted(by_level["planning_area"]) == sorted(tiny_ctx.geo["planning_area"].names)
    assert len(by_level["planning_area"]) == 2
    assert [f["properties"]["rank"] for f in labels["features"][:2]] == [0, 1]


def test_no_network_no_streets(tiny_ctx):
    assert map_context.street_features(tiny_ctx.dataset)["features"] == []


def test_streets_of_a_network_file_in_wgs84(tiny_ctx, tmp_path):
    """A small network written as GeoJSON in the metric CRS comes back as named WGS84 lines."""
    import geopandas as gpd
    from shapely.geometry import LineString

    x0, y0 = (float(v) for v in tiny_ctx.dataset.districts.total_bounds[:2])
    net = gpd.GeoDataFrame(
        {"name": ["Hauptstraße", "Hauptstraße", None]},
        geometry=[
            LineString([(x0, y0), (x0 + 400, y0)]),
            LineString([(x0 + 400, y0), (x0 + 900, y0)]),
            LineString([(x0, y0 + 50), (x0, y0 + 90)]),
        ],
        crs=tiny_ctx.dataset.metadata.metric_crs,
    )
    path = tmp_path / "net.geojson"
    net.to_file(path, driver="GeoJSON")
    dataset = dataclasses.replace(
        tiny_ctx.dataset, network=NetworkSpec(path=path, approximate=True, note="")
    )
    streets = map_context.street_features(dataset)["features"]
    assert [f["properties"] for f in streets] == [{"name": "Hauptstraße"}]
    lon, lat = shapely.geometry.shape(streets[0]["geometry"]).coords[0]
    assert 5 < lon < 16 and 47 < lat < 56  # degrees, not metres


def test_base_map_orders_its_layers_and_carries_only_the_area_geometry(tiny_ctx):
    m = leaflet_map.base_map(areas=tiny_ctx.geo["district"], facilities=leaflet_map.EMPTY)
    kinds = [type(c).__name__ for c in m.children]
    # a layer in its own pane (borders, facilities, markers) counts where its pane stands
    layers = {}
    for child in m.children:
        layer = child.children[0] if type(child).__name__ == "Pane" else child
        layers[getattr(layer, "id", None)] = layer
    child_ids = list(layers)
    assert "ScaleControl" in kinds
    assert layers[ids.MAP_AREAS].data == tiny_ctx.geo["district"].geojson
    # the layers that load after the first map carry neither data nor a URL yet: a GeoJSON
    # layer with data would never fetch its URL
    for later in (ids.MAP_GAPS, ids.MAP_BORDERS, ids.MAP_LABELS, ids.MAP_STREETS):
        props = layers[later].to_plotly_json()["props"]
        assert "data" not in props and "url" not in props, later
    # streets under the borders, above the areas and gap hexagons
    assert child_ids.index(ids.MAP_GAPS) < child_ids.index(ids.MAP_STREETS)
    assert child_ids.index(ids.MAP_STREETS) < child_ids.index(ids.MAP_BORDERS)
    assert child_ids.index(ids.MAP_BORDERS) < child_ids.index(ids.MAP_FACILITIES)


@pytest.fixture(scope="module")
def karlsruhe_ctx():
    """The bundled Karlsruhe dataset (15 years of population)."""
    from dashboard.context import AppContext
    from layers.dataset import default_dataset_path, load_dataset

    return AppContext(load_dataset(default_dataset_path()))


def test_change_scale_is_fixed_over_the_animation(karlsruhe_ctx):
    """Every end year the play button steps through has the same ± bound and legend."""
    years = karlsruhe_ctx.years
    assert len(years) >= 3
    base = ViewState(layers=("change",), year_from=years[0], year_to=years[1])
    bounds, legends, per_frame = set(), set(), set()
    for y1 in years[1:]:
        out = map_cb.map_update(karlsruhe_ctx, base.with_(year_to=y1))
        bounds.add((out["layers"]["areas"]["zmin"], out["layers"]["areas"]["zmax"]))
        legends.add(str(out["legend"][0].children[0]))
        table = karlsruhe_ctx.change(
            group="total", year_from=years[0], year_to=y1, level="district"
        )
        per_frame.add(float(table["change_pct"].abs().max()))
    assert len(bounds) == 1 and len(legends) == 1
    ((zmin, zmax),) = bounds
    assert zmin == -zmax and zmax >= max(per_frame)
    assert len(per_frame) > 1  # the frames differ: a per-frame scale would have changed


def test_an_unreadable_network_file_leaves_the_street_layer_empty(tiny_ctx, tmp_path, caplog):
    path = tmp_path / "broken.geojson"
    path.write_text("{not json", encoding="utf-8")
    dataset = dataclasses.replace(
        tiny_ctx.dataset, network=NetworkSpec(path=path, approximate=True, note="")
    )
    assert map_context.street_features(dataset)["features"] == []
    assert "street context left out" in caplog.text
