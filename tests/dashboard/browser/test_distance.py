"""Flow: the planner changes the walking distance and the map values change."""

from __future__ import annotations

from qa_browser import area_shares, map_snapshot, url_query, wait_for, wait_map_values
from selenium.webdriver.common.keys import Keys

from dashboard import ids


def test_distance_change_updates_map_values(dash_duo, make_app):
    dash_duo.start_server(make_app())
    colours = wait_map_values(dash_duo)
    before = area_shares(map_snapshot(dash_duo))
    handle = dash_duo.wait_for_element(f"#{ids.DISTANCE} [role='slider']")
    handle.send_keys(Keys.END)  # 2,000 m
    wait_for(
        lambda: (lambda snap: snap["areas"] != colours)(map_snapshot(dash_duo)),
        what="new map colours after the distance change",
    )
    after = area_shares(map_snapshot(dash_duo))
    assert "dist=2000" in url_query(dash_duo)
    pairs = [
        (before[a], after[a]) for a in before if before[a] is not None and after[a] is not None
    ]
    assert pairs and all(b >= a for a, b in pairs), "a longer distance never lowers a share"
    assert any(b > a for a, b in pairs)
    dash_duo.wait_for_contains_text(f"#{ids.MAP_TITLE}", "2,0 km")
