"""Flow: every view lives in the URL; opening a shared link restores it."""

from __future__ import annotations

from qa_browser import map_data, url_query, wait_for, wait_map_values

from dashboard import ids

SHARED = "?cat=care&dist=800&level=planning_area&lang=en&layers=facilities"


def test_shared_link_restores_the_view(dash_duo, make_app):
    dash_duo.start_server(make_app())
    wait_map_values(dash_duo)
    dash_duo.driver.get(dash_duo.server_url + "/" + SHARED)
    planning = wait_map_values(dash_duo, trace=1)
    assert map_data(dash_duo, 0, "visible") is False
    dash_duo.wait_for_contains_text(f"#{ids.MAP_TITLE}", "800 m")
    dash_duo.wait_for_contains_text(f"#{ids.MAP_TITLE}", "Care")
    assert dash_duo.find_element(f"#{ids.LANG} input[value='en']").is_selected()
    assert dash_duo.find_element(f"#{ids.LEVEL} input[value='planning_area']").is_selected()
    checked = [
        e.get_attribute("value")
        for e in dash_duo.find_elements(f"#{ids.CATEGORIES} input")
        if e.is_selected()
    ]
    assert checked == ["care"]
    query = url_query(dash_duo)
    for part in ("cat=care", "dist=800", "level=planning_area", "lang=en"):
        assert part in query

    # reload the link the app wrote: the same view and the same values come back
    dash_duo.driver.get(dash_duo.server_url + "/" + query)
    again = wait_for(
        lambda: (lambda z: z if z and any(v is not None for v in z) else None)(
            map_data(dash_duo, 1, "z")
        ),
        what="planning-area values after reload",
    )
    assert again == planning
    assert url_query(dash_duo) == query
