"""First load: no plotly.js and no second copy of the layout; the compare view loads plotly on demand."""

from __future__ import annotations

from qa_browser import choose_radio, plotly_data, wait_for, wait_map_values

from dashboard import ids

PLOTLY_LOADED = (
    "return performance.getEntriesByType('resource')"
    ".filter(function(e) { return /plotly[^/]*\\.js/.test(e.name); }).length > 0"
    " || !!window.Plotly;"
)


def test_plan_view_loads_without_plotly_and_compare_loads_it(dash_duo, make_app):
    dash_duo.start_server(make_app())
    wait_map_values(dash_duo)
    assert not dash_duo.driver.execute_script(PLOTLY_LOADED)
    config = dash_duo.driver.execute_script(
        "return JSON.parse(document.getElementById('_dash-config').textContent);"
    )
    # the validation layout is a skeleton of ids, not the layout with its geometry again
    assert len(str(config.get("validation_layout"))) < 60_000
    choose_radio(dash_duo, ids.VIEW_TABS, "compare")
    wait_for(
        lambda: any(
            v is not None for v in (plotly_data(dash_duo, 0, "z", graph_id=ids.COMPARE_MAP) or [])
        ),
        what="values on the compare map",
    )
    assert dash_duo.driver.execute_script(PLOTLY_LOADED)
    # back to the plan view and again: the mounted compare map stays and keeps its values
    choose_radio(dash_duo, ids.VIEW_TABS, "plan")
    choose_radio(dash_duo, ids.VIEW_TABS, "compare")
    assert plotly_data(dash_duo, 0, "z", graph_id=ids.COMPARE_MAP) is not None
    assert not dash_duo.get_logs() or all(
        "nonexistent object" not in entry.get("message", "") for entry in dash_duo.get_logs()
    )
