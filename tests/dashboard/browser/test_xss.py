"""Safety: a facility named like an HTML payload is shown as text; nothing is injected."""

from __future__ import annotations

from qa_browser import XSS_NAME, map_data, severe_logs, wait_map_values, wait_text

from dashboard import ids
from dashboard.figures import Traces

TRAP_JS = "window.__xss = 0; window.alert = function () { window.__xss += 1; };"


def test_html_in_names_is_escaped(dash_duo, make_app, xss_dataset):
    facility = xss_dataset.facilities.iloc[0]
    district = str(facility["district_id"])
    dash_duo.start_server(make_app(xss_dataset))
    dash_duo.driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": TRAP_JS})
    dash_duo.driver.get(f"{dash_duo.server_url}/?area={district}&cat=meeting,counselling,care")
    wait_map_values(dash_duo)
    text = wait_text(dash_duo, f"#{ids.PROFILE_BODY}", XSS_NAME)
    assert XSS_NAME in text
    # the hover text of the marker carries the escaped name, which plotly shows as text
    traces = Traces(len(xss_dataset.categories))
    index = [c.id for c in xss_dataset.categories].index(facility["category"])
    custom = map_data(dash_duo, traces.facility(index), "customdata")
    assert any(row[0] == "&lt;img src=x onerror=alert(1)&gt;" for row in custom)
    assert (
        dash_duo.driver.execute_script("return document.querySelectorAll('img[src=\"x\"]').length")
        == 0
    )
    assert dash_duo.driver.execute_script("return window.__xss") == 0
    assert severe_logs(dash_duo) == []
