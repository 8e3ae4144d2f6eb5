"""Council mode, the compare view and the play button over the years."""

from __future__ import annotations

from qa_browser import (
    choose_radio,
    plotly_data,
    url_query,
    wait_for,
    wait_map_values,
    wait_text,
)

from dashboard import ids


def test_council_mode_shows_map_legend_and_sources_without_controls(dash_duo, make_app):
    dash_duo.start_server(make_app())
    dash_duo.driver.get(f"{dash_duo.server_url}/?present=1")
    wait_map_values(dash_duo)
    wait_text(dash_duo, f"#{ids.MAP_SOURCE}", "Quellen")
    assert dash_duo.wait_for_element(f"#{ids.MAP_LEGEND}").is_displayed()
    assert dash_duo.wait_for_element(f"#{ids.TITLE}").is_displayed()
    assert not dash_duo.wait_for_element(f"#{ids.CONTROLS}").is_displayed()
    assert not dash_duo.wait_for_element(f"#{ids.SIDE}").is_displayed()
    exit_button = dash_duo.wait_for_element(f"#{ids.PRESENT_EXIT}")
    assert exit_button.is_displayed()
    exit_button.click()
    wait_for(lambda: dash_duo.wait_for_element(f"#{ids.CONTROLS}").is_displayed(), what="controls")
    assert "present" not in url_query(dash_duo)


def test_compare_view_and_play_over_the_years(dash_duo, make_app):
    dash_duo.start_server(make_app())
    dash_duo.driver.get(f"{dash_duo.server_url}/?view=compare&y0=2010&y1=2012")
    wait_map_values(dash_duo)
    wait_for(
        lambda: any(
            v is not None for v in (plotly_data(dash_duo, 0, "z", graph_id=ids.COMPARE_MAP) or [])
        ),
        what="values on the compare map",
    )
    # the compare map's heading says which change it shows: group and both years
    wait_text(dash_duo, f"#{ids.COMPARE_TITLE}", "2010–2012")
    assert dash_duo.find_element(f"#{ids.COMPARE_TITLE}").text.startswith(
        "Demografischer Wandel: Veränderung "
    )
    choose_radio(dash_duo, ids.VIEW_TABS, "plan")
    dash_duo.wait_for_element(f"#{ids.CHANGE_PLAY}").click()
    wait_for(lambda: "y1=2013" in url_query(dash_duo), what="the play button to advance a year")
    dash_duo.wait_for_element(f"#{ids.CHANGE_PLAY}").click()  # pause
