"""Flow: every view lives in the URL; opening a shared link restores it."""

from __future__ import annotations

from qa_browser import map_snapshot, url_query, wait_for, wait_map_values

from dashboard import ids

PLANNING_IDS = [f"PG{i}" for i in range(1, 7)]
"""The planning areas of the bundled dataset (a proposal, data/karlsruhe/planning_areas.csv)."""
SHARED = "?cat=care&dist=800&level=planning_area&lang=en&layers=facilities"


def test_shared_link_restores_the_view(dash_duo, make_app):
    dash_duo.start_server(make_app())
    wait_map_values(dash_duo)
    dash_duo.driver.get(dash_duo.server_url + "/" + SHARED)
    planning = wait_for(
        lambda: (lambda a: a if a and set(a) == set(PLANNING_IDS) and any(a.values()) else None)(
            map_snapshot(dash_duo)["areas"]
        ),
        what="planning areas on the map",
    )
    dash_duo.wait_for_contains_text(f"#{ids.MAP_TITLE}", "800 m")
    dash_duo.wait_for_contains_text(f"#{ids.MAP_TITLE}", "Care")
    assert dash_duo.wait_for_element(f"#{ids.LANG} input[value='en']").is_selected()
    assert dash_duo.wait_for_element(f"#{ids.LEVEL} input[value='planning_area']").is_selected()
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
        lambda: (lambda a: a if a and set(a) == set(PLANNING_IDS) and any(a.values()) else None)(
            map_snapshot(dash_duo)["areas"]
        ),
        what="planning-area colours after reload",
    )
    assert again == planning
    assert url_query(dash_duo) == query


def test_a_link_that_differs_from_the_default_view_updates_every_panel_on_load(dash_duo, make_app):
    """The page is built for the default view; panels follow a link that asks for another one."""
    dash_duo.start_server(make_app())
    dash_duo.driver.get(
        dash_duo.server_url + "/?unit=min&dist=10&level=planning_area&area=PG2&lang=en"
    )
    wait_for(
        lambda: set(map_snapshot(dash_duo)["areas"]) == set(PLANNING_IDS), what="planning areas"
    )
    # the slider's range in minutes, and the hint what 10 minutes mean in metres
    slider = dash_duo.wait_for_element(f"#{ids.DISTANCE} [role='slider']")
    wait_for(lambda: slider.get_attribute("aria-valuemax") == "30", what="slider in minutes")
    dash_duo.wait_for_contains_text(f"#{ids.DISTANCE_HINT}", "750 m")
    # the profile of the planning area, and its export button enabled
    dash_duo.wait_for_contains_text(f"#{ids.PROFILE_BODY}", "Planungsgebiet 2")
    button = dash_duo.wait_for_element(f"#{ids.EXPORT_PROFILE}")
    wait_for(lambda: button.get_attribute("disabled") is None, what="profile export enabled")
    # the area list offers planning areas, in English
    dash_duo.wait_for_contains_text(f"#{ids.MAP_TITLE}", "Share of residents")
    options = dash_duo.driver.execute_script(
        "return document.getElementById(arguments[0]).textContent", ids.AREA_SELECT
    )
    assert "Planungsgebiet 2" in options


def test_the_default_view_loads_without_a_request_per_panel(dash_duo, make_app):
    """On the default view only the view callback runs: every panel is in the page already."""
    dash_duo.start_server(make_app())
    wait_map_values(dash_duo)
    dash_duo.wait_for_contains_text(f"#{ids.PROFILE_BODY}", "Klicken Sie")
    assert dash_duo.wait_for_element(f"#{ids.EXPORT_PROFILE}").get_attribute("disabled") == "true"
    assert "view-plan" in dash_duo.wait_for_element(f"#{ids.PAGE}").get_attribute("class")
    posts = [
        entry
        for entry in dash_duo.driver.execute_script(
            "return performance.getEntriesByType('resource').map(e => e.name)"
        )
        if "_dash-update-component" in entry
    ]
    assert len(posts) == 1, posts
