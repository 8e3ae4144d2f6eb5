"""Flow: the planner changes the walking distance and the map values change."""

from __future__ import annotations

from qa_browser import url_query, wait_for, wait_map_values
from selenium.webdriver.common.keys import Keys

from dashboard import ids


def test_distance_change_updates_map_values(dash_duo, make_app):
    dash_duo.start_server(make_app())
    before = wait_map_values(dash_duo)
    handle = dash_duo.find_element(f"#{ids.DISTANCE} [role='slider']")
    handle.send_keys(Keys.END)  # 2,000 m
    after = wait_for(
        lambda: (lambda z: z if z and z != before else None)(
            dash_duo.driver.execute_script(
                "var gd = document.querySelector('#map-graph .js-plotly-plot');"
                "return gd && gd.data[0].z;"
            )
        ),
        what="new map values after the distance change",
    )
    assert "dist=2000" in url_query(dash_duo)
    pairs = [(a, b) for a, b in zip(before, after, strict=True) if a is not None and b is not None]
    assert pairs and all(b >= a for a, b in pairs), "a longer distance never lowers a share"
    assert any(b > a for a, b in pairs)
    dash_duo.wait_for_contains_text(f"#{ids.MAP_TITLE}", "2,0 km")
