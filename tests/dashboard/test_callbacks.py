"""Callback logic without a browser: the plain functions behind each callback."""

from __future__ import annotations

import base64
import dataclasses
import json

import dash
import pytest
from dash import html

from dashboard import ids, layout, leaflet_map
from dashboard.callbacks import coordinator, language, profile, scenario, upload
from dashboard.callbacks import map as map_cb
from dashboard.callbacks.panels import PANELS, panel_triggers
from dashboard.callbacks.url_state import (
    CONTROLS,
    EVENTS,
    control_values,
    default_state,
    next_state,
    state_from_url,
    sync_state,
)
from dashboard.figures import CHANGE_SCALE, SHARE_SCALE, Traces
from dashboard.i18n import label
from dashboard.state import ViewState

XSS = "<img src=x onerror=alert(1)>"
TR = Traces(3)


def assigned(patch: dash.Patch) -> dict[tuple, object]:
    """``{location: value}`` of a Patch's Assign operations (the compare map)."""
    ops = patch.to_plotly_json()["operations"]
    return {
        tuple(op["location"]): op["params"]["value"] for op in ops if op["operation"] == "Assign"
    }


class Drawn:
    """Values of the exported map figure of a view, looked up by ``("data", trace, key…)``."""

    def __init__(self, ctx, state, **extra) -> None:
        from dashboard.export_map import view_figure

        self.figure = view_figure(ctx, state, **extra)[0].to_plotly_json()

    def __getitem__(self, path: tuple):
        value = self.figure
        for key in path:
            value = value[key]
        return (
            list(value) if isinstance(value, (tuple, list)) or hasattr(value, "tolist") else value
        )


def resolved(scale) -> list:
    """A colour scale as plotly stores it in a figure (a named scale is expanded)."""
    import plotly.graph_objects as go

    return [list(stop) for stop in go.Choroplethmap(colorscale=scale).colorscale]


def drawn(ctx, state, **extra) -> Drawn:
    """The exported figure of ``state``, built from the same results as the screen."""
    return Drawn(ctx, state, **extra)


def text_of(component) -> str:
    """All text in a Dash component tree."""
    if component is None:
        return ""
    if isinstance(component, (str, int, float)):
        return str(component)
    if isinstance(component, (list, tuple)):
        return " ".join(text_of(c) for c in component)
    return text_of(getattr(component, "children", None))


@pytest.fixture
def base(tiny_ctx) -> ViewState:
    """The default view of the tiny dataset, pinned to 2022 and 500 m."""
    return default_state(tiny_ctx).with_(year=2022, distance=500.0)


# -- map -------------------------------------------------------------------------------------


def test_map_values_and_the_export_figure_come_from_one_result(tiny_ctx, base):
    out = map_cb.map_update(tiny_ctx, base)
    assert "figure" not in out  # the screen builds no plotly Patch it would throw away
    # meeting place at the centre of district 01: 80 of its 100 points within 500 m
    values = out["layers"]["areas"]["values"]
    assert [None if v != v else v for v in values] == [80.0, 0.0, 0.0, None]
    assert out["result"].params.categories == ("meeting",)
    ops = drawn(tiny_ctx, base)
    assert ops[("data", TR.DISTRICTS, "z")] == [80.0, 0.0, 0.0, None]
    assert [list(s) for s in ops[("data", TR.DISTRICTS, "colorscale")]] == resolved(SHARE_SCALE)
    assert ops[("data", TR.PLANNING, "visible")] is False
    layers = {k: v for k, v in out["layers"].items() if k != "areas"}
    assert len(json.dumps(layers, default=str)) < 50_000


def test_borders_stay_above_an_online_basemap(tiny_ctx, base):
    offline = drawn(tiny_ctx, base)
    layers = offline[("layout", "map", "layers")]
    assert [layer["name"] for layer in layers] == ["borders", "outline"]
    assert all(layer["type"] == "line" for layer in layers)
    online = drawn(tiny_ctx, base.with_(basemap="osm"))
    raster, *lines = online[("layout", "map", "layers")]
    assert raster["sourcetype"] == "raster" and raster["below"] == "traces"
    assert lines == layers


def _leaflet(ctx, state, sent=None, lists=None):
    """The view callback's map outputs for ``state``: ({property: value}, sent record)."""
    from dashboard.callbacks.view import MAP_OUTPUTS, changed_values, map_outputs, map_values

    layers = map_cb.map_update(ctx, state)["layers"]
    changed, sent = changed_values(map_values(ctx, layers), sent, lists)
    keys = [f"{component}.{prop}" for component, prop in MAP_OUTPUTS]
    return dict(zip(keys, map_outputs(changed), strict=True)), sent


def _browser_layer(parts_sent: list[dict], component: str) -> dict:
    """What ``restyle`` of assets/map.js makes of the parts of ``component`` sent in turn.

    ``{"fill": {id: fill}, "tips": {id: html}, ...}``: the same merge and fill, in Python.
    """
    import re

    def patched(before, value):
        if not isinstance(value, dict):
            return value
        out = list(before)
        for i, entry in value["changes"].items():
            out[int(i)] = entry
        return out

    wire: dict = {"cols": {}}
    for parts in parts_sent:
        for key, value in parts.get(component, {}).items():
            if key == "cols":
                for k, column in value.items():
                    wire["cols"][k] = patched(wire["cols"].get(k), column)
            else:
                wire[key] = patched(wire.get(key), value) if key == "fill" else value
    cols, out = wire["cols"], {"fill": {}, "tips": {}}
    for i, fid in enumerate(wire["ids"]):
        if i < len(wire["fill"]) and wire["fill"][i] is not None:
            out["fill"][fid] = wire["fill"][i]
        if wire.get("tip") and "0" in cols and cols["0"][i] is not None:
            out["tips"][fid] = re.sub(
                r"%\{customdata\[(\d+)\]\}", lambda m, i=i: cols[m.group(1)][i], wire["tip"]
            )
    return out | {k: wire.get(k) for k in ("kind", "selected", "opacity")}


def test_an_unchanged_basemap_is_not_sent_again(tiny_ctx, base):
    from dashboard.leaflet_map import initial_map_sent

    first, sent = _leaflet(tiny_ctx, base.with_(basemap="osm"), initial_map_sent())
    assert first[f"{ids.MAP_AREAS}.data"] is dash.no_update  # the page has the districts
    tiles = first[f"{ids.MAP_TILES}.children"]
    assert tiles[0].url == tiny_ctx.options.online_basemap_url
    again, _ = _leaflet(tiny_ctx, base.with_(basemap="osm", distance=750.0), sent)
    assert again[f"{ids.MAP_TILES}.children"] is dash.no_update
    assert set(again[f"{ids.MAP_STYLE}.data"]) == {ids.MAP_AREAS, ids.MAP_GAPS}
    off, _ = _leaflet(tiny_ctx, base.with_(distance=750.0), sent)
    assert off[f"{ids.MAP_TILES}.children"] == []


def test_small_counts_are_hidden(tiny_ctx, base):
    out = map_cb.map_update(tiny_ctx, base)
    custom = drawn(tiny_ctx, base)[("data", TR.DISTRICTS, "customdata")]
    assert "&lt; 50 Einw. (ausgeblendet)" in custom[3]  # Nord-Ost has 30 residents (HTML)
    assert "nicht erreicht" not in custom[3]  # the count would give the hidden share away
    assert leaflet_map.layer_tips(out["layers"]["areas"])[3] == custom[3]
    assert "Grau: weniger als 50 Einwohner" in text_of(out["legend"])
    rows = out["table"].children[2].children
    assert [c.children for c in rows[3].children][2] == "–"


def test_threshold_is_configurable(tiny_dataset, tmp_path):
    from dashboard.app import make_options
    from dashboard.context import AppContext

    ctx = AppContext(tiny_dataset, make_options(small_count_threshold=10, user_data_dir=tmp_path))
    state = default_state(ctx).with_(year=2022)
    z = drawn(ctx, state)[("data", TR.DISTRICTS, "z")]
    assert z[3] == 0.0


def test_distance_change_changes_values(tiny_ctx, base):
    near = drawn(tiny_ctx, base.with_(distance=100.0))
    far = drawn(tiny_ctx, base.with_(distance=2000.0))
    assert near[("data", TR.DISTRICTS, "z")][0] < 80.0
    assert far[("data", TR.DISTRICTS, "z")][:3] == [100.0, 100.0, 100.0]


def test_minutes_at_senior_speed(tiny_ctx, base):
    state = base.with_(distance=10.0, unit="min", speed="senior")  # 500 m
    out = map_cb.map_update(tiny_ctx, state)
    assert drawn(tiny_ctx, state)[("data", TR.DISTRICTS, "z")][0] == 80.0
    assert out["result"].params.minutes == 10.0 and out["result"].params.speed_kmh == 3.0
    assert "10 Min. bei 3,0 km/h (500 m Luftlinie)" in out["title"]


def test_several_categories_need_all_of_them(tiny_ctx, base):
    state = base.with_(categories=("meeting", "counselling"), distance=2500.0)
    z = drawn(tiny_ctx, state)[("data", TR.DISTRICTS, "z")]
    assert z[:3] == [100.0, 100.0, 100.0]
    state = base.with_(categories=("meeting", "counselling"))
    z = drawn(tiny_ctx, state)[("data", TR.DISTRICTS, "z")]
    assert z[:3] == [0.0, 0.0, 0.0]  # nobody has both within 500 m


def test_planning_area_level_switches_traces(tiny_ctx, base):
    ops = drawn(tiny_ctx, base.with_(level="planning_area"))
    assert ops[("data", TR.PLANNING, "visible")] is True
    assert ops[("data", TR.DISTRICTS, "visible")] is False
    assert len(ops[("data", TR.PLANNING, "z")]) == 2
    assert ops[("data", TR.PLANNING, "customdata")][0].startswith("<b>Süd (Vorschlag)</b><br>")


def test_change_overlay(tiny_ctx, base):
    state = base.with_(layers=("change",), year_from=2020, year_to=2022)
    out = map_cb.map_update(tiny_ctx, state)
    ops = drawn(tiny_ctx, state)
    assert [list(s) for s in ops[("data", TR.DISTRICTS, "colorscale")]] == resolved(CHANGE_SCALE)
    assert ops[("data", TR.DISTRICTS, "z")][:3] == [10.0, 10.0, 10.0]
    assert ops[("data", TR.DISTRICTS, "zmin")] == -ops[("data", TR.DISTRICTS, "zmax")]
    assert ops[("data", TR.GAPS, "visible")] is False
    assert "2020–2022" in out["title"]


def test_gaps_layer(tiny_ctx, base):
    ops = drawn(tiny_ctx, base.with_(layers=("gaps",)))
    z = ops[("data", TR.GAPS, "z")]
    assert ops[("data", TR.GAPS, "visible")] is True
    assert len(z) == len(tiny_ctx.hexes.ids)
    assert sum(v for v in z if v) > 0


def test_facility_layers_follow_categories(tiny_ctx, base):
    ops = drawn(tiny_ctx, base.with_(categories=("care",)))
    visible = [ops[("data", TR.facility(i), "visible")] for i in range(3)]
    assert visible == [False, False, True]


def test_english_labels_and_numbers(tiny_ctx, base):
    out = map_cb.map_update(tiny_ctx, base.with_(lang="en"))
    assert out["title"].startswith(
        "Share of residents (2022) reaching Meeting places within 500 m straight-line"
    )
    assert map_cb.source_line(tiny_ctx, "en") == (
        "Sources: Stadt Test (Licence: dl-de/by-2-0). Date: 2024-01-01."
    )


def test_compare_patch(tiny_ctx, base):
    ops = assigned(map_cb.compare_update(tiny_ctx, base.with_(year_from=2020, year_to=2022)))
    assert ops[("data", 0, "z")] == [10.0, 10.0, 10.0, 0.0]


def test_change_map_says_why_its_areas_have_no_value(tiny_dataset, tmp_path):
    """A year of the group missing everywhere: the change map's note names it, in both views."""
    from dashboard.app import make_options
    from dashboard.context import AppContext

    population = tiny_dataset.population
    gone = (population["group"] == "65_plus") & (population["year"] == 2020)
    dataset = dataclasses.replace(tiny_dataset, population=population[~gone])
    ctx = AppContext(dataset, make_options(user_data_dir=tmp_path / "user"))
    state = ViewState(
        categories=("meeting",), group="65_plus", year=2022, year_from=2020, year_to=2022
    )
    group = map_cb.group_label(ctx, "65_plus", "de")
    expected = f"Keine Veränderung für „{group}“: keine Werte für 2020 (Jahre mit Werten: 2022)"
    assert expected in map_cb.map_update(ctx, state.with_(view="compare"))["notes"]
    assert expected in map_cb.map_update(ctx, state.with_(layers=("change",)))["notes"]
    # the coverage map alone shows no change, so it says nothing about one
    assert not any("Veränderung" in n for n in map_cb.map_update(ctx, state)["notes"])
    english = map_cb.map_update(ctx, state.with_(view="compare", lang="en"))["notes"]
    group_en = map_cb.group_label(ctx, "65_plus", "en")
    assert f"No change for “{group_en}”: no values for 2020 (years with values: 2022)" in english


def test_compare_title_names_the_group_and_the_years(tiny_ctx, base):
    state = base.with_(view="compare", year_from=2020, year_to=2022)
    group_de = label(tiny_ctx.dataset.group(state.group), "de")
    assert map_cb.compare_title(tiny_ctx, state) == (
        f"Demografischer Wandel: Veränderung {group_de} 2020–2022 (%)"
    )
    group_en = label(tiny_ctx.dataset.group(state.group), "en")
    assert map_cb.compare_title(tiny_ctx, state.with_(lang="en")) == (
        f"Demographic change: Change {group_en} 2020–2022 (%)"
    )


# -- state -----------------------------------------------------------------------------------


def test_url_is_read_against_the_catalogue(tiny_ctx):
    state = state_from_url(tiny_ctx, "?cat=care,nope&year=2020&level=planning_area&dist=333")
    assert state.categories == ("care",)
    assert state.year == 2020
    assert state.level == "planning_area"
    assert state.distance == 350.0  # snapped to the slider's 50 m steps


def test_unit_switch_converts_the_distance(tiny_ctx, base):
    state = next_state(tiny_ctx, base, ids.DISTANCE_UNIT, {"unit": "min"})
    assert (state.unit, state.distance) == ("min", 7.0)
    back = next_state(tiny_ctx, state, ids.DISTANCE_UNIT, {"unit": "m"})
    assert (back.unit, back.distance) == ("m", 500.0)  # 7 min × 75 m, in 50 m steps


def test_controls_update_the_state(tiny_ctx, base):
    state = next_state(tiny_ctx, base, ids.CATEGORIES, {"categories": ["care", "x", "meeting"]})
    assert state.categories == ("meeting", "care")
    state = next_state(tiny_ctx, state, ids.CHANGE_YEARS, {"change_years": [2022, 2020]})
    assert (state.year_from, state.year_to) == (2022, 2022) or (state.year_from, state.year_to) == (
        2020,
        2022,
    )
    state = next_state(tiny_ctx, state.with_(area="01"), ids.LEVEL, {"level": "planning_area"})
    assert state.level == "planning_area" and state.area is None


def _latlon(ctx, x: float, y: float) -> tuple[float, float]:
    """WGS84 ``(lat, lon)`` of a point in the tiny dataset's metric CRS."""
    from pyproj import Transformer

    tr = Transformer.from_crs(ctx.dataset.metadata.metric_crs, "EPSG:4326", always_xy=True)
    lon, lat = tr.transform(x, y)
    return round(lat, 5), round(lon, 5)


def _map_click(ctx, x: float, y: float) -> dict:
    """A Leaflet map click (``clickData``) at a metric point."""
    lat, lon = _latlon(ctx, x, y)
    return {"latlng": {"lat": lat, "lng": lon}, "layerPoint": [0, 0], "containerPoint": [0, 0]}


def _feature_click(**properties) -> dict:
    """A click on a GeoJSON point feature (``clickData`` of a dash-leaflet GeoJSON)."""
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [8.4, 49.0]},
        "properties": properties,
    }


def _corner(ctx) -> tuple[float, float]:
    return tuple(ctx.dataset.districts.total_bounds[:2])  # south-west corner of 01


def test_click_on_area_opens_profile(tiny_ctx, base):
    x0, y0 = _corner(tiny_ctx)
    click = _map_click(tiny_ctx, x0 + 1500, y0 + 500)
    state = next_state(tiny_ctx, base, ids.MAP, {ids.MAP: click})
    assert state.area == "02"
    closed = next_state(tiny_ctx, state, ids.PROFILE_CLOSE, {})
    assert closed.area is None


def test_map_click_opens_the_area_at_the_point(tiny_ctx, base):
    x0, y0 = _corner(tiny_ctx)

    def click(state, x, y):
        return next_state(tiny_ctx, state, ids.MAP, {ids.MAP: _map_click(tiny_ctx, x, y)})

    # planning areas: district 02 belongs to "S"
    assert click(base.with_(level="planning_area"), x0 + 1500, y0 + 500).area == "S"
    assert click(base, x0 + 5, y0 + 5).area == "01"
    # outside every district, or no position: nothing changes
    assert click(base.with_(area="03"), x0 - 50_000, y0 - 50_000).area == "03"
    assert next_state(tiny_ctx, base, ids.MAP, {ids.MAP: {"latlng": None}}).area is None
    # in the what-if view a click does not open a profile
    assert click(base.with_(view="scenario"), x0 + 1500, y0 + 500).area is None
    # the compare map (plotly) reports the clicked area itself
    compare = {"points": [{"curveNumber": 0, "location": "02"}]}
    assert next_state(tiny_ctx, base, ids.COMPARE_MAP, {ids.COMPARE_MAP: compare}).area == "02"


def test_scenario_clicks_add_and_toggle(tiny_ctx, base):
    x0, y0 = _corner(tiny_ctx)
    state = base.with_(view="scenario", scenario_category="meeting")
    click = _map_click(tiny_ctx, x0 + 1500, y0 + 500)
    state = next_state(tiny_ctx, state, ids.MAP, {ids.MAP: click})
    lat, lon = _latlon(tiny_ctx, x0 + 1500, y0 + 500)
    assert state.added == (("meeting", lat, lon),)
    # far outside the city: not a site
    far = _map_click(tiny_ctx, x0 - 50_000, y0)
    assert next_state(tiny_ctx, state, ids.MAP, {ids.MAP: far}).added == state.added
    facility = _feature_click(id="f3", category="care")
    # care is not on the map (a stale click on a hidden category): nothing is switched off
    assert next_state(tiny_ctx, state, ids.MAP_FACILITIES, {ids.MAP_FACILITIES: facility}) == state
    state = state.with_(categories=("meeting", "care"))
    state = next_state(tiny_ctx, state, ids.MAP_FACILITIES, {ids.MAP_FACILITIES: facility})
    assert state.removed == ("f3",)
    # the crossed-out marker of a switched-off facility switches it on again
    marker = _feature_click(kind="removed", id="f3")
    state = next_state(tiny_ctx, state, ids.MAP_MARKERS, {ids.MAP_MARKERS: marker})
    assert state.removed == ()
    planned = _feature_click(kind="added", index=0)
    state = next_state(tiny_ctx, state, ids.MAP_MARKERS, {ids.MAP_MARKERS: planned})
    assert state.added == ()
    suggested = _feature_click(kind="suggested", label="1")
    state = next_state(tiny_ctx, state, ids.MAP_MARKERS, {ids.MAP_MARKERS: suggested})
    assert state.added == (("meeting", 49.0, 8.4),)
    # outside the what-if view a facility click changes nothing
    plan = base.with_(view="plan")
    assert next_state(tiny_ctx, plan, ids.MAP_FACILITIES, {ids.MAP_FACILITIES: facility}) == plan


def test_coordinator_click_sets_location(tiny_ctx, base):
    x0, y0 = _corner(tiny_ctx)
    state = base.with_(view="coordinator")
    state = next_state(
        tiny_ctx, state, ids.MAP, {ids.MAP: _map_click(tiny_ctx, x0 + 300, y0 + 300)}
    )
    assert state.location == _latlon(tiny_ctx, x0 + 300, y0 + 300)


def test_address_and_geolocation_set_location(tiny_ctx, base):
    state = next_state(tiny_ctx, base, ids.ADDRESS, {ids.ADDRESS: "Markt 1, 76131 Karlsruhe"})
    assert state.location is not None
    lat, lon = state.location
    outside = next_state(tiny_ctx, base, ids.GEO_STORE, {ids.GEO_STORE: {"lat": 52.5, "lon": 13.4}})
    assert outside.location is None  # Berlin is not in the test city
    inside = next_state(tiny_ctx, base, ids.GEO_STORE, {ids.GEO_STORE: {"lat": lat, "lon": lon}})
    assert inside.location == (lat, lon)


def test_present_and_play(tiny_ctx, base):
    state = next_state(tiny_ctx, base, ids.PRESENT_BUTTON, {})
    assert state.present
    assert not next_state(tiny_ctx, state, ids.PRESENT_EXIT, {}).present
    state = base.with_(year_from=2020, year_to=2020)
    state = next_state(tiny_ctx, state, ids.CHANGE_INTERVAL, {})
    assert state.year_to == 2022
    state = next_state(tiny_ctx, state, ids.CHANGE_INTERVAL, {})
    assert state.year_to == 2022  # wraps to the first year after the start


def test_suggestions_can_be_taken_into_the_scenario(tiny_ctx, base):
    sugg = {"category": "care", "sites": [[49.0, 8.4], [49.01, 8.41]], "gains": [5, 3]}
    state = next_state(tiny_ctx, base, ids.SUGGEST_TAKE, {}, suggestions=sugg)
    assert state.added == (("care", 49.0, 8.4), ("care", 49.01, 8.41))


# -- scenario ----------------------------------------------------------------------------------


def test_planned_facility_gains_coverage(tiny_ctx, base):
    lat, lon = _latlon(tiny_ctx, 456_000 + 1500, 5_428_000 + 500)  # centre of Süd-Ost
    state = base.with_(view="scenario", added=(("meeting", lat, lon),))
    result = scenario.scenario_result(tiny_ctx, state)
    rows = result.rows.set_index("area_id").to_dict("index")
    assert rows["02"]["gain_pp"] == pytest.approx(80.0, abs=0.5)
    assert rows["01"]["gain_pp"] == pytest.approx(0.0)
    assert result.covered_after > result.covered_before
    assert len(result.after.params.added) == 1 and result.before.params.added == ()
    summary, table = scenario.scenario_children(tiny_ctx, state)
    assert "1 geplant" in text_of(summary)
    assert "Süd-Ost" in text_of(table)


def test_switching_off_loses_coverage(tiny_ctx, base):
    state = base.with_(view="scenario", removed=("f1",))
    rows = scenario.scenario_result(tiny_ctx, state).rows.set_index("area_id").to_dict("index")
    assert rows["01"]["gain_pp"] == pytest.approx(-80.0)
    ops = drawn(tiny_ctx, state)
    assert ops[("data", TR.DISTRICTS, "z")][0] == 0.0
    assert len(ops[("data", TR.removed, "lat")]) == 1


def test_suggest_sites(tiny_ctx, base):
    result = scenario.suggest(tiny_ctx, base.with_(scenario_category="meeting"), 2)
    assert len(result["sites"]) == 2
    assert result["gains"][0] >= result["gains"][1] > 0
    assert "Standort 1" in text_of(scenario.suggest_children(tiny_ctx, result, "de"))


def _latlon(ctx, x, y):
    from pyproj import Transformer

    lon, lat = Transformer.from_crs(25832, 4326, always_xy=True).transform(x, y)
    return round(lat, 5), round(lon, 5)


# -- coordinator / profile / language ----------------------------------------------------------


def test_coordinator_lists_nearest_and_missing(tiny_ctx, base):
    lat, lon = _latlon(tiny_ctx, 456_000 + 500, 5_428_000 + 600)
    state = base.with_(view="coordinator", location=(lat, lon), categories=("meeting", "care"))
    text = text_of(coordinator.coordinator_children(tiny_ctx, state))
    assert "Treff am Markt" in text
    assert "100 m" in text
    assert "Innerhalb von 500 m fehlt: Beratung, Versorgung und Pflege" in text


def test_coordinator_keeps_user_text_as_text(tiny_ctx, base):
    lat, lon = _latlon(tiny_ctx, 456_000 + 1500, 5_428_000 + 500)
    state = base.with_(view="coordinator", location=(lat, lon), categories=("counselling",))
    children = coordinator.coordinator_children(tiny_ctx, state)
    # Dash renders strings as text nodes, never as HTML: the payload stays a plain string
    assert XSS in text_of(children)
    assert not any(isinstance(c, html.Iframe) for c in children)


def test_address_autocomplete(tiny_ctx):
    assert tiny_ctx.address_suggestions("Ma") == []  # too short
    found = tiny_ctx.address_suggestions("Markt")
    assert found[:2] == ["Markt 1, 76131 Karlsruhe", "Marktgasse 5, 76131 Karlsruhe"]


def test_profile_panel(tiny_ctx, base):
    assert profile.profile_children(tiny_ctx, base)[0].children == profile.t("profile_hint", "de")
    children = profile.profile_children(tiny_ctx, base.with_(area="01"))
    text = text_of(children)
    assert "Süd-West" in text
    assert "Einwohner 2022: 1.100" in text
    assert "Treff am Markt" in text
    assert "Bedarfsindex" in text


def test_profile_unknown_area_shows_error(tiny_ctx, base):
    text = text_of(profile.profile_children(tiny_ctx, base.with_(area="99")))
    assert "Fehler" in text and "99" in text


def test_language_texts(tiny_ctx):
    out = language.texts(tiny_ctx, "en", ["year", "categories"])
    assert out["i18n"] == ["Year", "Services"]
    assert out["level"][1]["label"] == "Planning areas (proposal)"
    notes = text_of(layout.notes(tiny_ctx, "de"))
    assert "Testdaten: <b>nicht</b> echt." in notes  # shown as text, not HTML
    assert "unvollständige Startliste" in notes
    assert "„Eigene Einrichtungsliste“" in notes  # where to act, in the planner's words
    assert "quartiersatlas" not in notes and "[[" not in notes  # no commands or file syntax


# -- upload ------------------------------------------------------------------------------------


def _upload(text: str, mime: str = "text/csv") -> str:
    return f"data:{mime};base64," + base64.b64encode(text.encode()).decode()


def _ws(ctx, workspace: str = "s:test-session") -> dict:
    """The workspace arguments of ``handle_upload``: a SQLite store in the user data folder."""
    from layers.store.workspaces import SqliteWorkspaceStore

    store = SqliteWorkspaceStore(ctx.options.user_data_dir / "workspaces.sqlite")
    return {"store": store, "workspace": workspace}


@pytest.mark.parametrize(
    ("csv", "expected"),
    [
        ("name,category,lat,lon\nA,care,49.0,8.4\nB,pizza,49.0,8.4\n", "row 3"),
        ("name,category,lat,lon\nA,care,49.0,8.4\nB,care,49.0,8.4\nC,care,abc,8.4\n", "row 4"),
        ("name,lat,lon\nA,49.0,8.4\n", "category"),
    ],
)
def test_upload_bad_rows_are_reported_and_nothing_changes(tiny_ctx, csv, expected):
    ws = _ws(tiny_ctx)
    store, messages = upload.handle_upload(tiny_ctx, _upload(csv), "list.csv", "de", **ws)
    assert store is dash.no_update
    text = text_of(messages)
    assert "nicht übernommen" in text
    assert expected in text
    assert "list.csv" not in text and "upload.csv" not in text
    assert "qa-upload-" not in text  # no server paths
    assert ws["store"].uploads(ws["workspace"]) == []


def test_upload_good_file_is_saved_under_a_generated_name(tiny_ctx, tiny_dataset):
    lat, lon = _latlon(tiny_ctx, 456_500, 5_428_500)
    csv = f"name,category,lat,lon\n{XSS},care,{lat},{lon}\nZwei,meeting,{lat},{lon}\n"
    ws = _ws(tiny_ctx)
    store, messages = upload.handle_upload(
        tiny_ctx, _upload(csv), "../../etc/evil name.csv", "de", **ws
    )
    assert set(store) == {"rev"}  # the page gets no points, only that the workspace changed
    saved = ws["store"].uploads(ws["workspace"])
    assert [(u.name, u.n_facilities) for u in saved] == [("evil name", 2)]
    assert not (tiny_ctx.options.user_data_dir / "uploads").exists()
    assert "2 Einrichtungen geladen" in text_of(messages)
    assert len(tiny_dataset.facilities) == 3  # the dataset itself is unchanged
    layer = upload.workspace_layer(tiny_ctx, max_points=100, lang="de", **ws)
    assert layer["lat"] == [round(lat, 5)] * 2  # shown again after a reload
    assert XSS not in json.dumps(layer)  # the name is escaped
    other = upload.workspace_layer(tiny_ctx, ws["store"], "s:another-browser", "de", max_points=100)
    assert other is None


def test_upload_rejects_other_types_and_large_files(tiny_dataset, tmp_path):
    from dashboard.app import make_options
    from dashboard.context import AppContext

    ctx = AppContext(tiny_dataset, make_options(upload_max_bytes=100, user_data_dir=tmp_path))
    _, msg = upload.handle_upload(ctx, _upload("x"), "list.exe", "en", **_ws(ctx))
    assert "not supported" in text_of(msg)
    _, msg = upload.handle_upload(
        ctx, _upload("name,category\n" + "a,care\n" * 50), "l.csv", "en", **_ws(ctx)
    )
    assert "too large" in text_of(msg)


# -- app -----------------------------------------------------------------------------------------


def _ids(component, found):
    cid = getattr(component, "id", None)
    if cid is not None:
        found.append(json.dumps(cid, sort_keys=True))
    children = getattr(component, "children", None)
    for child in children if isinstance(children, (list, tuple)) else [children]:
        if child is not None and not isinstance(child, (str, int, float)):
            _ids(child, found)
    return found


def test_create_app(tiny_dataset, tmp_path):
    from dashboard.app import create_app, get_context

    app = create_app(tiny_dataset, user_data_dir=tmp_path, small_count_threshold=20)
    ctx = get_context(app)
    assert ctx.options.small_count_threshold == 20
    assert app.config.serve_locally
    found = _ids(app.layout(), [])
    assert len(found) == len(set(found)), "component ids must be unique"
    assert json.dumps(ids.MAP) in found


def test_create_app_rejects_unknown_options(tiny_dataset):
    from dashboard.app import create_app

    with pytest.raises(TypeError, match=r"unknown option.*colour.*valid options"):
        create_app(tiny_dataset, colour="red")


def test_distances_are_computed_once(tiny_ctx):
    first = tiny_ctx.distances.distances(tiny_ctx.dataset, "care")
    again = tiny_ctx.distances.distances(tiny_ctx.dataset, "care")
    assert first is again
    assert len(tiny_ctx.distances) == 1


def test_area_chooser_is_a_keyboard_alternative_to_the_map(tiny_ctx, base):
    state = next_state(tiny_ctx, base, ids.AREA_SELECT, {"area": "03"})
    assert state.area == "03"
    assert next_state(tiny_ctx, state, ids.AREA_SELECT, {"area": None}).area is None


def test_compare_view_has_a_table_for_each_map(tiny_ctx, base):
    state = base.with_(view="compare", year_from=2020, year_to=2022)
    text = text_of(map_cb.map_update(tiny_ctx, state)["table"])
    assert "Begegnung (%)" in text and "Begegnung: nicht erreicht" in text
    assert "Veränderung Einwohner insgesamt 2020–2022 (%)" in text
    assert "+10,00 %" in text


def test_notes_are_shown_in_the_chosen_language():
    text = "DE: Startliste.\nWohnorte: wenige.\nEN: Seed list.\nResidents: few.\nA: x / B: y"
    assert layout.notes_for(text, "de") == ["Startliste.", "Wohnorte: wenige.", "A: x / B: y"]
    assert layout.notes_for(text, "en") == ["Seed list.", "Residents: few.", "A: x / B: y"]
    assert layout.notes_for("Nur Deutsch.", "en") == ["Nur Deutsch."]


def test_uploaded_layer_is_drawn(tiny_ctx, base):
    store = {"lat": [49.0], "lon": [8.4], "text": ["Neu"]}
    ops = drawn(tiny_ctx, base, upload=store)
    assert ops[("data", TR.upload, "lat")] == [49.0]
    hidden = base.with_(layers=("facilities",))
    ops = drawn(tiny_ctx, hidden, upload=store)
    assert ops[("data", TR.upload, "lat")] == []


def test_network_distance_mode(tiny_dataset, tmp_path):
    """Along a street grid (Manhattan distances) fewer residents are within 500 m."""
    import dataclasses

    import geopandas as gpd
    import shapely

    from dashboard.app import make_options
    from dashboard.context import AppContext
    from layers.dataset import NetworkSpec

    x0, y0 = 456_000.0, 5_428_000.0
    lines = [
        shapely.LineString([(x0, y0 + 50 + 100 * i), (x0 + 2000, y0 + 50 + 100 * i)])
        for i in range(20)
    ]
    lines += [
        shapely.LineString([(x0 + 50 + 100 * i, y0), (x0 + 50 + 100 * i, y0 + 2000)])
        for i in range(20)
    ]
    path = tmp_path / "net.geojson"
    gpd.GeoDataFrame(geometry=lines, crs="EPSG:25832").to_file(path, driver="GeoJSON")
    dataset = dataclasses.replace(
        tiny_dataset, network=NetworkSpec(path, True, "Testnetz", "EPSG:25832")
    )
    ctx = AppContext(dataset, make_options(user_data_dir=tmp_path / "u"))
    assert ctx.modes == ("euclidean", "network")
    state = default_state(ctx).with_(year=2022)
    straight = drawn(ctx, state)
    walk_state = state.with_(distance_mode="network")
    walk = drawn(ctx, walk_state)
    assert straight[("data", TR.DISTRICTS, "z")][0] == 80.0
    assert walk[("data", TR.DISTRICTS, "z")][0] < 80.0
    assert "entlang des Fußwegenetzes" in map_cb.map_update(ctx, walk_state)["title"]
    assert ctx.mode("bogus") == "euclidean"


def test_without_network_only_straight_lines(tiny_ctx, base):
    assert tiny_ctx.modes == ("euclidean",)
    state = next_state(tiny_ctx, base, ids.DISTANCE_MODE, {"distance_mode": "network"})
    assert state.distance_mode == "euclidean"


def test_only_changed_values_are_sent_again(tiny_ctx, base):
    first, sent = _leaflet(tiny_ctx, base)
    style = first[f"{ids.MAP_STYLE}.data"]
    assert style[ids.MAP_AREAS]["kind"] == "areas" and style[ids.MAP_GAPS]["kind"] == "gaps"
    assert first[f"{ids.MAP_AREAS}.data"]["features"]  # no record yet: the geometry is sent
    same, sent_again = _leaflet(tiny_ctx, base, sent)
    assert all(v is dash.no_update for v in same.values())
    assert sent_again == sent
    farther, sent_farther = _leaflet(tiny_ctx, base.with_(distance=1000.0), sent)
    assert farther[f"{ids.MAP_FACILITIES}.hideout"] is dash.no_update  # unchanged, not resent
    step = farther[f"{ids.MAP_STYLE}.data"]
    # the feature order and the area names are what the browser has: not sent again
    assert "ids" not in step[ids.MAP_AREAS] and "0" not in step[ids.MAP_AREAS].get("cols", {})
    areas = _browser_layer([style, step], ids.MAP_AREAS)
    # district 01 is fully covered at 1 km: the top of the share scale
    assert areas["fill"]["01"] == "#fee838"
    assert "1,0 km" in areas["tips"]["01"] and areas["tips"]["01"].startswith("<b>")
    alone = _browser_layer(
        [_leaflet(tiny_ctx, base.with_(distance=1000.0))[0][f"{ids.MAP_STYLE}.data"]], ids.MAP_AREAS
    )
    assert areas == alone  # the merged parts are the whole values
    # hidden gaps (the coordinator view) are still gap values: nothing drawn, not areas
    hidden, _ = _leaflet(tiny_ctx, base.with_(view="coordinator"), sent_farther)
    gaps = _browser_layer([style, step, hidden[f"{ids.MAP_STYLE}.data"]], ids.MAP_GAPS)
    assert gaps["kind"] == "gaps" and gaps["fill"] == {} and gaps["tips"] == {}
    planning, _ = _leaflet(tiny_ctx, base.with_(level="planning_area"), sent)
    ids_sent = {f["id"] for f in planning[f"{ids.MAP_AREAS}.data"]["features"]}
    assert ids_sent == set(tiny_ctx.geo["planning_area"].ids)


def test_texts_around_the_map_are_sent_only_when_they_change(tiny_ctx, base):
    from dashboard.callbacks.view import TEXT_OUTPUTS, changed_values, text_values

    def texts(state):
        out = map_cb.map_update(tiny_ctx, state)
        return text_values(out["title"], out["legend"], "Quelle", out["notes"])

    keys = {f"{cid}.{prop}" for cid, prop in TEXT_OUTPUTS}
    first, sent = changed_values(texts(base), None)
    assert set(first) == keys  # a new page gets every text
    same, _ = changed_values(texts(base), sent)
    assert same == {}
    step, _ = changed_values(texts(base.with_(distance=1000.0)), sent)
    # the title names the distance; the source line and the (no) notes stay as they are
    assert f"{ids.MAP_TITLE}.children" in step and "1,0 km" in str(
        step[f"{ids.MAP_TITLE}.children"]
    )
    assert f"{ids.MAP_SOURCE}.children" not in step and f"{ids.MAP_NOTES}.children" not in step


def test_a_changed_list_is_sent_as_its_changes_when_the_browser_has_the_one_before(tiny_ctx, base):
    from dashboard.callbacks.view import SentLists

    lists = SentLists()
    first, sent = _leaflet(tiny_ctx, base, None, lists)
    step, _ = _leaflet(tiny_ctx, base.with_(distance=550.0), sent, lists)
    parts = [first[f"{ids.MAP_STYLE}.data"], step[f"{ids.MAP_STYLE}.data"]]
    whole, _ = _leaflet(tiny_ctx, base.with_(distance=550.0))
    for layer in (ids.MAP_AREAS, ids.MAP_GAPS):
        # what the browser makes of the changes is what a fresh page gets whole
        merged = _browser_layer(parts, layer)
        assert merged == _browser_layer([whole[f"{ids.MAP_STYLE}.data"]], layer)
    gap_tips = step[f"{ids.MAP_STYLE}.data"][ids.MAP_GAPS]["cols"]["0"]
    assert set(gap_tips) == {"changes"} and gap_tips["changes"]  # some cells, not all
    # a record the cache does not know (another worker): whole lists again
    fresh, _ = _leaflet(tiny_ctx, base.with_(distance=600.0), sent, SentLists())
    assert isinstance(fresh[f"{ids.MAP_STYLE}.data"][ids.MAP_GAPS]["fill"], list)


def test_map_layers_carry_escaped_text_and_the_export_colours(tiny_ctx, base):
    from plotly.colors import sample_colorscale

    from dashboard.figures import SHARE_SCALE

    values, _ = _leaflet(tiny_ctx, base)
    areas = _browser_layer([values[f"{ids.MAP_STYLE}.data"]], ids.MAP_AREAS)
    z = drawn(tiny_ctx, base)[("data", TR.DISTRICTS, "z")]
    for area_id, v in zip(tiny_ctx.geo["district"].ids, z, strict=True):
        if v is not None:
            # the same colour as the exported plotly map
            expected = sample_colorscale(SHARE_SCALE, [v / 100])[0]
            assert areas["fill"][area_id] == leaflet_map.hex_colour(expected)
    assert all("<img" not in tip for tip in areas["tips"].values())
    assert areas["tips"] == dict(
        zip(
            tiny_ctx.geo["district"].ids,
            leaflet_map.layer_tips(map_cb.map_update(tiny_ctx, base)["layers"]["areas"]),
            strict=True,
        )
    )
    gaps = _browser_layer([values[f"{ids.MAP_STYLE}.data"]], ids.MAP_GAPS)
    assert gaps["fill"] and set(gaps["fill"]) == set(gaps["tips"])
    assert all(0 < alpha <= 0.72 for _, alpha in gaps["fill"].values())


def test_the_exported_image_draws_the_hexagons_of_the_screen_with_their_values(tiny_ctx, base):
    from dashboard.export_map import view_figure

    state = base.with_(layers=("gaps", "facilities"))
    screen = _browser_layer([_leaflet(tiny_ctx, state)[0][f"{ids.MAP_STYLE}.data"]], ids.MAP_GAPS)
    gap_values = map_cb.map_update(tiny_ctx, state)["layers"]["gaps"]
    full = drawn(tiny_ctx, state).figure
    still = view_figure(tiny_ctx, state, still=True)[0].to_plotly_json()
    [gaps] = [trace for trace in still["data"] if trace["name"] == "gaps"]
    # only the hexagons the screen fills are sent, each with its own value (as the full
    # figure has it: the screen's value, rounded) and geometry
    assert screen["fill"] and set(gaps["locations"]) == set(screen["fill"])
    by_hex = dict(zip(tiny_ctx.hexes.ids, full["data"][TR.GAPS]["z"], strict=True))
    assert list(gaps["z"]) == [by_hex[h] for h in gaps["locations"]]
    value_of = dict(zip(tiny_ctx.hexes.ids, gap_values["values"], strict=True))
    assert all(z == round(value_of[h]) for h, z in zip(gaps["locations"], gaps["z"], strict=True))
    assert gaps["zmax"] == full["data"][TR.GAPS]["zmax"] == gap_values["zmax"]
    shapes = {f["id"]: f["geometry"] for f in tiny_ctx.hexes.geojson["features"]}
    assert [f["id"] for f in gaps["geojson"]["features"]] == list(gaps["locations"])
    assert all(f["geometry"] == shapes[f["id"]] for f in gaps["geojson"]["features"])
    # the areas keep their values; an image has no hover, and what draws nothing is left out
    [areas] = [trace for trace in still["data"] if trace["name"] == "districts"]
    assert list(areas["z"]) == list(full["data"][TR.DISTRICTS]["z"])
    assert all("customdata" not in t and t.get("hoverinfo") == "skip" for t in still["data"])
    assert all(t.get("visible", True) is not False for t in still["data"])
    names = [t["name"] for t in still["data"]]
    assert "planning_areas" not in names and "added" not in names  # hidden, empty
    assert len(still["data"]) < len(full["data"])


def test_gap_counts_match_the_gap_layer_of_the_core(tiny_ctx):
    import numpy as np

    from layers.gaps import gap_hexagons

    gaps = tiny_ctx.gaps(["meeting"], radius_m=500, year=2022, group="total")
    uncovered, residents = gaps.uncovered, gaps.residents
    assert gaps.hex_id == tuple(tiny_ctx.hexes.ids)
    weights = tiny_ctx.weights(2022, "total")
    core = gap_hexagons(
        tiny_ctx.table, weights, category="meeting", radius_m=500, hex_edge_m=200
    ).set_index("hex_id")
    order = tiny_ctx.hexes.ids
    np.testing.assert_allclose(uncovered, core["uncovered"].reindex(order).to_numpy())
    np.testing.assert_allclose(residents, core["residents"].reindex(order).to_numpy())


def _facility_frame(tiny_ctx):
    import geopandas as gpd
    import shapely

    return gpd.GeoDataFrame(
        {"name": ["Neu Eins", "Neu Zwei"], "category": ["care", "meeting"]},
        geometry=[shapely.Point(456_300, 5_428_300), shapely.Point(457_300, 5_429_300)],
        crs="EPSG:25832",
    )


def test_upload_geojson(tiny_ctx):
    text = _facility_frame(tiny_ctx).to_crs(4326).to_json()
    ws = _ws(tiny_ctx)
    store, messages = upload.handle_upload(
        tiny_ctx, _upload(text, "application/geo+json"), "liste.geojson", "de", **ws
    )
    assert store is not dash.no_update, text_of(messages)
    assert ws["store"].uploads(ws["workspace"])[0].n_facilities == 2


def test_upload_zipped_shapefile(tiny_ctx, tmp_path):
    import io
    import zipfile

    folder = tmp_path / "shp"
    folder.mkdir()
    _facility_frame(tiny_ctx).to_file(folder / "einrichtungen.shp")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in folder.iterdir():
            # a hostile name inside the zip must not be used as a path
            archive.write(path, f"../../evil/{path.name}")
    contents = "data:application/zip;base64," + base64.b64encode(buffer.getvalue()).decode()
    ws = _ws(tiny_ctx)
    store, messages = upload.handle_upload(tiny_ctx, contents, "liste.zip", "de", **ws)
    assert store is not dash.no_update, text_of(messages)
    assert ws["store"].uploads(ws["workspace"])[0].n_facilities == 2
    assert not (tmp_path.parent / "evil").exists()


def test_upload_zip_without_shapefile_is_rejected(tiny_ctx):
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "nichts")
    contents = "data:application/zip;base64," + base64.b64encode(buffer.getvalue()).decode()
    store, messages = upload.handle_upload(tiny_ctx, contents, "liste.zip", "de", **_ws(tiny_ctx))
    assert store is dash.no_update
    assert "genau ein Shapefile" in text_of(messages)


def test_clicked_facility_is_described_as_text(tiny_ctx):
    click = {"type": "Feature", "properties": {"id": "f2", "category": "counselling"}}
    text = text_of(profile.facility_card(tiny_ctx, click, "de"))
    assert XSS in text  # a Dash text node: shown literally, never parsed as HTML
    assert "Beratung" in text
    assert profile.facility_card(tiny_ctx, {"points": [{"curveNumber": 0}]}, "de") == []


# -- one request per input: which panels follow ------------------------------------------------


def _fired(before, after) -> list[str]:
    values = panel_triggers(before, after)
    return [
        store
        for (store, _), value in zip(PANELS, values, strict=True)
        if value is not dash.no_update
    ]


def test_a_distance_change_fires_no_hidden_panel(base):
    assert _fired(base, base.with_(distance=750.0)) == []
    with_area = base.with_(area="01")
    assert _fired(with_area, with_area.with_(distance=750.0)) == [ids.PROFILE_TRIGGER]
    scenario = base.with_(view="scenario")
    assert _fired(scenario, scenario.with_(distance=750.0)) == [ids.SCENARIO_TRIGGER]


def test_switching_views_and_language_fire_the_panels_shown(base):
    assert _fired(base, base.with_(view="coordinator")) == [ids.PAGE_TRIGGER, ids.COORD_TRIGGER]
    compare = base.with_(view="compare")
    # (the page classes and the distance hint in metres do not depend on the language)
    assert set(_fired(compare, compare.with_(lang="en"))) == {
        ids.PROFILE_TRIGGER,
        ids.COMPARE_TRIGGER,
        ids.EXPORT_TRIGGER,
    }
    # the first state fires every panel that is shown
    assert set(_fired(None, base)) == {ids.PAGE_TRIGGER, ids.PROFILE_TRIGGER, ids.EXPORT_TRIGGER}


def test_an_event_that_changes_nothing_leaves_the_state_store_alone(tiny_ctx, base):
    controls = tuple(control_values(base)[field] for _, field in CONTROLS)
    events = (None,) * len(EVENTS)
    stored = json.loads(json.dumps(base.to_dict()))  # as the browser keeps it: lists, no tuples
    state, outputs = sync_state(tiny_ctx, ids.PROFILE_CLOSE, "", controls, events, stored, None)
    assert state == base
    assert outputs[0] is dash.no_update  # the store: nothing depends on it fires
    assert all(value is dash.no_update for value in outputs[2:])  # no control is reset
    moved, outputs = sync_state(
        tiny_ctx,
        ids.DISTANCE,
        "",
        tuple(
            750 if field == "distance" else v
            for (_, field), v in zip(CONTROLS, controls, strict=True)
        ),
        events,
        stored,
        None,
    )
    assert moved.distance == 750.0
    assert outputs[0] == moved.to_dict()


def test_a_control_set_from_the_state_is_an_echo_not_an_input(tiny_ctx, base):
    # a link opened with an area of a level: the level control is set from the state and
    # fires the view callback again; that must not drop the area as a level change does
    level = next(iter(tiny_ctx.levels))
    stored = base.with_(level=level, area="01")
    shown = control_values(stored)
    controls = tuple(shown[field] for _, field in CONTROLS)
    events = (None,) * len(EVENTS)
    kept = json.loads(json.dumps(stored.to_dict()))  # as the browser keeps it
    state, outputs = sync_state(tiny_ctx, ids.LEVEL, "", controls, events, kept, None)
    assert state == stored and state.area == "01"
    assert outputs[0] is dash.no_update
    # the same control with another value is an input
    other = next((lv for lv in tiny_ctx.levels if lv != level), None)
    if other is not None:
        picked = tuple(
            other if f == "level" else v for (_, f), v in zip(CONTROLS, controls, strict=True)
        )
        moved, _ = sync_state(tiny_ctx, ids.LEVEL, "", picked, events, kept, None)
        assert moved.level == other and moved.area is None


def test_set_controls_sends_only_the_controls_that_change(monkeypatch):
    from dashboard.callbacks import url_state

    sent = []
    monkeypatch.setattr(url_state, "set_props", lambda cid, props: sent.append((cid, props)))
    values = [dash.no_update] * len(CONTROLS)
    values[[f for _, f in CONTROLS].index("distance")] = 750
    values[[f for _, f in CONTROLS].index("area")] = "01"
    url_state.set_controls(tuple(values))
    assert sent == [(ids.DISTANCE, {"value": 750}), (ids.AREA_SELECT, {"value": "01"})]


def test_a_hidden_profile_is_not_rebuilt(base):
    with_area = base.with_(area="01")
    away = with_area.with_(view="coordinator")
    assert _fired(with_area, away) == [ids.PAGE_TRIGGER, ids.COORD_TRIGGER]
    # back in the planning view the panel is asked again; its own key store then sees that
    # nothing it shows has changed (see profile.update_profile)
    assert ids.PROFILE_TRIGGER in _fired(away, with_area)
    assert profile.profile_key(away) == profile.profile_key(with_area)


def test_a_year_without_data_is_replaced_with_a_note_not_relabelled(tiny_ctx, base):
    out = map_cb.map_update(tiny_ctx, base.with_(year=2021))  # the tiny data has 2020 and 2022
    params = out["result"].params
    assert (params.year_asked, params.year) == (2021, 2022)
    assert [n.to_dict() for n in params.notes] == [
        {"id": "year_substituted", "asked": 2021, "used": 2022, "group": "total"}
    ]
    assert "(2022)" in out["title"] and "2021" not in out["title"]  # the year shown
    assert out["notes"] == [
        "Für „Einwohner insgesamt“ gibt es keine Zahlen für 2021. "
        "Gezeigt werden die Zahlen von 2022."
    ]
    same = map_cb.map_update(tiny_ctx, base.with_(year=2022))["result"]
    assert same.params.notes == ()
    assert same.areas["share"].tolist() == out["result"].areas["share"].tolist()


def _legend(title: str, city: str):
    from dashboard.legend import share_legend

    return [
        share_legend(title, "de", opacity=0.78, title_id=ids.MAP_LEGEND_TITLE),
        html.Div(city, id=ids.MAP_LEGEND_CITY, className="legend-row legend-city"),
    ]


def test_a_step_sends_the_legend_texts_alone():
    from dashboard.callbacks.view import changed_values, text_values, texts_to_send

    first = text_values("500 m", _legend("500 m", "50 %"), "Quelle", [])
    changed, sent = changed_values(first, None)
    whole = texts_to_send(changed)
    # the first legend goes whole, with its texts in it and not beside it
    assert whole[(ids.MAP_LEGEND, "children")] is not dash.no_update
    assert whole[(ids.MAP_LEGEND_TITLE, "children")] is dash.no_update
    assert whole[(ids.MAP_LEGEND_CITY, "children")] is dash.no_update

    step = text_values("550 m", _legend("550 m", "55 %"), "Quelle", [])
    changed, sent = changed_values(step, sent)
    texts = texts_to_send(changed)
    assert texts[(ids.MAP_LEGEND, "children")] is dash.no_update
    assert texts[(ids.MAP_LEGEND_TITLE, "children")] == "550 m"
    assert texts[(ids.MAP_LEGEND_CITY, "children")] == "55 %"
    assert texts[(ids.MAP_SOURCE, "children")] is dash.no_update

    # another bar (the change overlay) is another legend: sent whole again
    other = text_values("550 m", [_legend("550 m", "55 %")[0]], "Quelle", [])
    changed, _ = changed_values(other, sent)
    assert texts_to_send(changed)[(ids.MAP_LEGEND, "children")] is not dash.no_update


def test_kept_hexagon_residents_follow_year_and_language(tiny_ctx, base):
    """The formatted residents are kept between steps, never shown for another year or language."""
    from dashboard.i18n import fmt_numbers

    gapped = base.with_(layers=("facilities", "gaps"))
    for state in (
        gapped.with_(year=2020),
        gapped.with_(year=2022),
        gapped.with_(year=2022, distance=800.0),
        gapped.with_(year=2020, lang="en"),
    ):
        rows = map_cb.map_update(tiny_ctx, state)["layers"]["gaps"]["tip_rows"]
        residents = tiny_ctx.view_gaps(state, list(state.categories)).residents
        assert [r for _, r in rows] == fmt_numbers(residents, state.lang)
    assert tiny_ctx.memo("k", lambda: [1]) is tiny_ctx.memo("k", lambda: [2])


def test_a_distance_step_keeps_the_gap_scale(tiny_ctx):
    from dashboard.callbacks.view import LEGEND_TEXTS, split_texts

    base = default_state(tiny_ctx).with_(year=2022, layers=("facilities", "gaps"))
    near, far = (map_cb.map_update(tiny_ctx, base.with_(distance=d)) for d in (500.0, 550.0))
    assert near["layers"]["gaps"]["zmax"] == far["layers"]["gaps"]["zmax"]
    assert (
        split_texts(near["legend"], LEGEND_TEXTS)[0] == split_texts(far["legend"], LEGEND_TEXTS)[0]
    )
    assert near["title"] != far["title"]


def test_a_map_counting_a_scenario_says_so_in_its_title(tiny_ctx, base):
    centre = tiny_ctx.geo["district"].center
    planned = base.with_(added=(("meeting", centre["lat"], centre["lon"]),))
    assert "Szenario" not in map_cb.map_update(tiny_ctx, base)["title"]
    title = map_cb.map_update(tiny_ctx, planned)["title"]
    assert title.endswith("· Szenario: 1 geplant, 0 abgeschaltet")
    english = map_cb.map_update(tiny_ctx, planned.with_(lang="en"))["title"]
    assert english.endswith("· Scenario: 1 planned, 0 switched off")
