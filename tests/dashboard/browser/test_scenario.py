"""Flows of the what-if view: planned facilities gain, a click on a facility switches it off
(also on a page opened from a link), hidden categories do not react, the gain table fits."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from qa_browser import (
    choose_radio,
    click_map_at,
    element_text,
    map_snapshot,
    url_query,
    wait_for,
    wait_idle,
    wait_map_ready,
    wait_text,
)

from dashboard import ids


def test_planned_facility_shows_gain(dash_duo, make_app, karlsruhe):
    import pandas as pd

    from dashboard.app import get_context

    app = make_app()
    dash_duo.start_server(app)
    wait_map_ready(dash_duo)
    choose_radio(dash_duo, ids.VIEW_TABS, "scenario")
    wait_for(lambda: "view=scenario" in url_query(dash_duo), what="the what-if view")
    # the facilities of the map's category are shown (and only they can be switched off)
    located = karlsruhe.facilities[~karlsruhe.facilities.geometry.is_empty]
    wait_for(
        lambda: (
            len(map_snapshot(dash_duo)["facilities"])
            == int((located["category"] == "meeting").sum())
        ),
        what="the meeting places on the map",
    )
    # candidate sites: the centres of the hexagons that hold residents
    rings = [f["geometry"]["coordinates"][0] for f in get_context(app).hexes.geojson["features"]]
    grid = pd.DataFrame(
        {
            "lat": [np.mean([p[1] for p in r]) for r in rings],
            "lon": [np.mean([p[0] for p in r]) for r in rings],
        }
    )
    # the candidate farthest from every meeting place: a new one there must gain residents
    meeting = karlsruhe.facilities[karlsruhe.facilities["category"] == "meeting"].to_crs(4326)
    fx, fy = meeting.geometry.x.to_numpy(), meeting.geometry.y.to_numpy()
    dist = np.hypot(
        (grid["lon"].to_numpy()[:, None] - fx) * 0.66, grid["lat"].to_numpy()[:, None] - fy
    ).min(axis=1)
    # a point with residents around: among the 40 farthest, the one nearest the city centre
    far = np.argsort(dist)[::-1][:400]
    centre = grid.iloc[far][["lat", "lon"]].median()
    pick = far[
        np.argmin(
            np.hypot(
                grid["lat"].to_numpy()[far] - centre["lat"],
                grid["lon"].to_numpy()[far] - centre["lon"],
            )
        )
    ]
    click_map_at(dash_duo, float(grid["lat"].iloc[pick]), float(grid["lon"].iloc[pick]))
    wait_for(
        lambda: [m for m in map_snapshot(dash_duo)["markers"] if m["kind"] == "added"],
        what="the planned facility marker",
    )
    summary = wait_text(dash_duo, f"#{ids.SCENARIO_SUMMARY}", "1 geplant")
    assert "Einwohner zusätzlich versorgt" in summary and "mehr versorgt" not in summary
    table = wait_text(dash_duo, f"#{ids.SCENARIO_TABLE}", "Änderung (Einwohner)")
    assert "Prozentpunkte" in table


def test_suggested_sites_run_as_background_job(dash_duo, make_app, tmp_path, karlsruhe):
    """With a job queue (as under gunicorn), "Vorschläge" runs outside the request and lists sites."""
    from dashboard.jobs import background_callback_manager

    manager = background_callback_manager(jobs_dir=tmp_path / "jobs", data_version="test")
    dash_duo.start_server(make_app(background_callback_manager=manager))
    wait_map_ready(dash_duo)
    choose_radio(dash_duo, ids.VIEW_TABS, "scenario")
    dash_duo.wait_for_element(f"#{ids.SUGGEST_BUTTON}").click()
    wait_for(
        lambda: len(dash_duo.find_elements(f"#{ids.SUGGEST_RESULT} li")) > 0,
        timeout=60,
        what="suggested sites from the background job",
    )
    items = dash_duo.find_elements(f"#{ids.SUGGEST_RESULT} li")
    assert 1 <= len(items) <= 10
    # each site names its Stadtteil and the nearest address (or that there is none)
    names = set(karlsruhe.districts["name"])
    for item in items:
        assert any(name in item.text for name in names), item.text
        assert "nächste Adresse" in item.text or "keine Adresse" in item.text
    result = element_text(dash_duo, f"#{ids.SUGGEST_RESULT}")
    assert "greedy" not in result and "Schrittweise berechnet" in result
    assert "unvollständige Startliste" in result
    assert not dash_duo.wait_for_element(f"#{ids.SUGGEST_BUTTON}").get_attribute("disabled")


SHOTS = Path(os.environ.get("QA_SCREENSHOT_DIR", "/tmp/quartiersatlas-screenshots"))
"""Where the what-if screenshots go (look at them: the tests check geometry, not looks)."""


def isolated_facility(dataset, category: str) -> tuple[str, float, float]:
    """(id, lat, lon) of the facility of ``category`` farthest from every other facility."""
    located = dataset.facilities[~dataset.facilities.geometry.is_empty]
    own = located[located["category"] == category]
    xy = np.column_stack([located.geometry.x, located.geometry.y])
    best, best_gap = None, -1.0
    for idx, point in zip(own.index, own.geometry, strict=True):
        others = xy[located.index != idx]
        gap = float(np.hypot(others[:, 0] - point.x, others[:, 1] - point.y).min())
        if gap > best_gap:
            best, best_gap = idx, gap
    wgs = own.loc[[best]].to_crs(4326).geometry.iloc[0]
    return str(own.loc[best, "id"]), float(wgs.y), float(wgs.x)


def site_without(dataset, category: str, *, min_m: float = 1200.0) -> tuple[float, float]:
    """(lat, lon) of a resident point far from ``category``, with the most residents near it."""
    from pyproj import Transformer
    from scipy.spatial import cKDTree

    xy = dataset.residents.xy
    located = dataset.facilities[~dataset.facilities.geometry.is_empty]
    own = located[located["category"] == category]
    far = cKDTree(np.column_stack([own.geometry.x, own.geometry.y])).query(xy)[0] > min_m
    # and away from every other facility marker, so the click lands on the map
    anyone = cKDTree(np.column_stack([located.geometry.x, located.geometry.y])).query(xy)[0]
    candidates = np.flatnonzero(far & (anyone > 150))
    crowd = cKDTree(xy).query_ball_point(xy[candidates], r=300, return_length=True)
    x, y = xy[candidates[int(np.argmax(crowd))]]
    lon, lat = Transformer.from_crs(dataset.metadata.metric_crs, 4326, always_xy=True).transform(
        x, y
    )
    return float(lat), float(lon)


def topmost_at(dash_duo, lat: float, lon: float) -> dict:
    """The element the browser hits at the map point (what a click there reaches)."""
    return dash_duo.driver.execute_script(
        "var m = window.quartiersatlasMap.leafletMap();"
        + "var p = m.latLngToContainerPoint([arguments[0], arguments[1]]);"
        + "var r = m.getContainer().getBoundingClientRect();"
        + "var e = document.elementFromPoint(r.left + p.x, r.top + p.y);"
        + "var pane = e && e.closest('.leaflet-pane:not(.leaflet-map-pane)');"
        + "return {tag: e && e.tagName.toLowerCase(), pane: pane && pane.className};",
        lat,
        lon,
    )


def test_facility_click_on_a_page_opened_from_a_link_switches_it_off(dash_duo, make_app, karlsruhe):
    """Areas re-created for the link's level must not cover the facilities (z-order by click)."""
    fid, lat, lon = isolated_facility(karlsruhe, "meeting")
    dash_duo.start_server(make_app())
    dash_duo.driver.get(
        dash_duo.server_url + "/?view=scenario&level=planning_area&layers=facilities"
    )
    wait_map_ready(dash_duo)
    wait_for(
        lambda: any(f["id"] == fid for f in map_snapshot(dash_duo)["facilities"]),
        what=f"facility {fid} on the map",
    )
    wait_idle(dash_duo)
    top = topmost_at(dash_duo, lat, lon)
    assert top["tag"] == "path" and "qa-facilities" in (top["pane"] or ""), top
    click_map_at(dash_duo, lat, lon)
    wait_for(lambda: f"off={fid}" in url_query(dash_duo), what="the facility switched off")
    snap = map_snapshot(dash_duo)
    assert not [m for m in snap["markers"] if m["kind"] == "added"], "a planned site was added"
    assert [m["id"] for m in snap["markers"] if m["kind"] == "removed"] == [fid]
    summary = wait_text(dash_duo, f"#{ids.SCENARIO_SUMMARY}", "1 abgeschaltet")
    # removals read as a loss, never as "-n more covered"
    assert "Einwohner verlieren die Versorgung" in summary
    assert "mehr versorgt" not in summary and "zusätzlich versorgt" not in summary
    assert "unvollständige Startliste" in summary
    SHOTS.mkdir(parents=True, exist_ok=True)
    dash_duo.driver.save_screenshot(str(SHOTS / "whatif-link-1440x900.png"))
    # a second click on the switched-off marker switches it on again
    click_map_at(dash_duo, lat, lon)
    wait_for(lambda: "off=" not in url_query(dash_duo), what="the facility switched on again")


def test_hidden_category_does_not_react_to_clicks(dash_duo, make_app, karlsruhe):
    fid, lat, lon = isolated_facility(karlsruhe, "care")
    dash_duo.start_server(make_app())
    dash_duo.driver.get(dash_duo.server_url + "/?view=scenario&cat=meeting")
    wait_map_ready(dash_duo)
    wait_for(lambda: map_snapshot(dash_duo)["facilities"], what="meeting places on the map")
    wait_idle(dash_duo)
    drawn = {f["category"] for f in map_snapshot(dash_duo)["facilities"]}
    assert drawn == {"meeting"}
    assert topmost_at(dash_duo, lat, lon)["pane"] is None or "qa-facilities" not in (
        topmost_at(dash_duo, lat, lon)["pane"] or ""
    )
    click_map_at(dash_duo, lat, lon)
    # the click reaches the map: a planned meeting place, the care facility stays on
    wait_for(lambda: "add=meeting" in url_query(dash_duo), what="a planned meeting place")
    assert "off=" not in url_query(dash_duo) and fid not in url_query(dash_duo)


def _fits(dash_duo) -> dict:
    """Geometry of the gain table against its scroll box and the what-if panel."""
    return dash_duo.driver.execute_script(
        "var t = document.getElementById(arguments[0] + '-table');"
        + "var box = document.getElementById(arguments[0]);"
        + "var panel = document.getElementById(arguments[1]);"
        + "if (!t) return null;"
        + "var a = t.getBoundingClientRect(), p = panel.getBoundingClientRect();"
        + "return {scroll: box.scrollWidth, client: box.clientWidth, left: a.left, "
        + "right: a.right, pleft: p.left, pright: p.right, vw: window.innerWidth};",
        ids.SCENARIO_TABLE,
        ids.SCENARIO_PANEL,
    )


def _assert_table_fits(dash_duo) -> None:
    geometry = wait_for(lambda: _fits(dash_duo), what="the gain table")
    assert geometry["scroll"] <= geometry["client"], geometry
    assert geometry["pleft"] <= geometry["left"] and geometry["right"] <= geometry["pright"], (
        geometry
    )
    assert geometry["pright"] <= geometry["vw"], geometry


def test_planned_facility_of_another_category_gains_and_the_table_fits(
    dash_duo, make_app, karlsruhe
):
    lat, lon = site_without(karlsruhe, "care")
    dash_duo.start_server(make_app())
    dash_duo.driver.set_window_size(1440, 900)
    dash_duo.driver.get(dash_duo.server_url + "/?view=scenario&cat=meeting")
    wait_map_ready(dash_duo)
    wait_idle(dash_duo)
    # plan a care facility: the dropdown's choice puts care on the map
    dropdown = dash_duo.wait_for_element(f"#{ids.SCENARIO_CATEGORY}")
    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", dropdown)
    dropdown.click()
    option = wait_for(
        lambda: [
            e
            for e in dash_duo.driver.find_elements("css selector", ".dash-dropdown-option")
            if e.text.strip() == "Versorgung und Pflege"
        ],
        what="the care option",
    )[0]
    option.click()
    wait_for(lambda: "cat=care" in url_query(dash_duo), what="the map showing care")
    wait_text(dash_duo, f"#{ids.MAP_TITLE}", "Versorgung und Pflege")
    wait_for(
        lambda: {f["category"] for f in map_snapshot(dash_duo)["facilities"]} == {"care"},
        what="care facilities on the map",
    )
    wait_idle(dash_duo)
    click_map_at(dash_duo, lat, lon)
    summary = wait_text(dash_duo, f"#{ids.SCENARIO_SUMMARY}", "1 geplant")
    assert "Versorgung und Pflege: +" in summary and "Einwohner zusätzlich versorgt" in summary
    assert "+0 " not in summary and "keine Änderung" not in summary
    tip = [m["tip"] for m in map_snapshot(dash_duo)["markers"] if m["kind"] == "added"]
    assert tip == ["Geplant: Versorgung und Pflege"]
    wait_text(dash_duo, f"#{ids.SCENARIO_TABLE}", "Änderung (Einwohner)")
    SHOTS.mkdir(parents=True, exist_ok=True)
    dash_duo.driver.save_screenshot(str(SHOTS / "whatif-1440x900.png"))
    _assert_table_fits(dash_duo)


def test_gain_table_fits_on_a_phone(dash_duo, make_app, karlsruhe):
    """A link with planned sites in several Stadtteile, read on a 390 px phone."""
    sites = [site_without(karlsruhe, "meeting", min_m=m) for m in (1200.0, 900.0)]
    add = ";".join(f"meeting:{lat:.5f}:{lon:.5f}" for lat, lon in sites)
    fid, _, _ = isolated_facility(karlsruhe, "meeting")
    dash_duo.start_server(make_app())
    dash_duo.driver.set_window_size(390, 844)
    dash_duo.driver.get(dash_duo.server_url + f"/?view=scenario&add={add}&off={fid}")
    wait_map_ready(dash_duo)
    summary = wait_text(dash_duo, f"#{ids.SCENARIO_SUMMARY}", "2 geplant, 1 abgeschaltet")
    assert "Begegnung:" in summary
    wait_text(dash_duo, f"#{ids.SCENARIO_TABLE}", "Änderung (Einwohner)")
    table = dash_duo.wait_for_element(f"#{ids.SCENARIO_TABLE}")
    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'start'});", table)
    SHOTS.mkdir(parents=True, exist_ok=True)
    dash_duo.driver.save_screenshot(str(SHOTS / "whatif-390x844.png"))
    _assert_table_fits(dash_duo)
    # the suggestions on the phone: Stadtteil and address per site, nothing wider than the page
    button = dash_duo.wait_for_element(f"#{ids.SUGGEST_BUTTON}")
    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", button)
    button.click()
    wait_for(
        lambda: len(dash_duo.find_elements(f"#{ids.SUGGEST_RESULT} li")) == 3,
        timeout=60,
        what="three suggested sites",
    )
    result = dash_duo.wait_for_element(f"#{ids.SUGGEST_RESULT}")
    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'start'});", result)
    dash_duo.driver.save_screenshot(str(SHOTS / "whatif-suggest-390x844.png"))
    names = set(karlsruhe.districts["name"])
    for item in dash_duo.find_elements(f"#{ids.SUGGEST_RESULT} li"):
        assert any(name in item.text for name in names), item.text
    assert result.text.count("nächste Adresse") + result.text.count("keine Adresse") == 3
    assert dash_duo.driver.execute_script(
        "return document.documentElement.scrollWidth <= window.innerWidth;"
    )
