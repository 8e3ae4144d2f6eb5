"""Flow: the planner opens the app and sees the city map with values, legend and sources."""

from __future__ import annotations

from qa_browser import map_data, severe_logs, wait_map_values

from dashboard import ids


def test_app_loads_with_map_values_legend_and_sources(dash_duo, make_app, karlsruhe):
    dash_duo.start_server(make_app())
    values = wait_map_values(dash_duo)
    assert len(values) == len(karlsruhe.districts)
    assert all(v is None or 0 <= v <= 100 for v in values)
    assert dash_duo.driver.execute_script("return document.documentElement.lang") == "de"
    dash_duo.wait_for_contains_text(f"#{ids.MAP_SOURCE}", "Quellen")
    assert dash_duo.find_element(f"#{ids.MAP_LEGEND}").text.strip()
    # the map draws offline: MapLibre canvas present and the facilities trace has points
    assert dash_duo.find_element(f"#{ids.MAP} canvas")
    assert map_data(dash_duo, 6, "lat")
    assert severe_logs(dash_duo) == []
