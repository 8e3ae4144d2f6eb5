"""Flow: a planned facility added on the map shows its coverage gain at once."""

from __future__ import annotations

import numpy as np
from qa_browser import (
    choose_radio,
    click_map_at,
    map_snapshot,
    url_query,
    wait_for,
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
    # every category's facilities are shown in the what-if view
    wait_for(
        lambda: (
            len(map_snapshot(dash_duo)["facilities"])
            == len(karlsruhe.facilities.dropna(subset=["geometry"]))
        ),
        what="all facilities on the map",
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
    assert "mehr versorgt" in summary
    table = dash_duo.wait_for_element(f"#{ids.SCENARIO_TABLE}").text
    assert "Zugewinn" in table


def test_suggested_sites_run_as_background_job(dash_duo, make_app, tmp_path):
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
    assert not dash_duo.wait_for_element(f"#{ids.SUGGEST_BUTTON}").get_attribute("disabled")
