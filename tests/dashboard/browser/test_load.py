"""Flow: the planner opens the app and sees the city map with values, legend and sources."""

from __future__ import annotations

from qa_browser import area_shares, map_snapshot, severe_logs, wait_for, wait_map_values

from dashboard import ids


def test_app_loads_with_map_values_legend_and_sources(dash_duo, make_app, karlsruhe):
    dash_duo.start_server(make_app())
    values = wait_map_values(dash_duo)
    assert set(values) == set(karlsruhe.districts["id"].astype(str))
    shares = area_shares(map_snapshot(dash_duo))
    assert any(v is not None for v in shares.values())
    assert all(v is None or 0 <= v <= 100 for v in shares.values())
    assert dash_duo.driver.execute_script("return document.documentElement.lang") == "de"
    dash_duo.wait_for_contains_text(f"#{ids.MAP_SOURCE}", "Quellen")
    assert dash_duo.wait_for_element(f"#{ids.MAP_LEGEND}").text.strip()
    # the map draws offline: Leaflet's canvas is present, with facilities and gap hexagons
    # (their geometry loads after the first map, dashboard.deferred)
    assert dash_duo.wait_for_element(f"#{ids.MAP} canvas")
    wait_for(lambda: any(map_snapshot(dash_duo)["gaps"].values()), what="the gap hexagons")
    snapshot = map_snapshot(dash_duo)
    assert snapshot["facilities"] and snapshot["tiles"] == 0
    assert severe_logs(dash_duo) == []
