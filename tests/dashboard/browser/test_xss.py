"""Safety: a facility named like an HTML payload is shown as text; nothing is injected."""

from __future__ import annotations

from qa_browser import XSS_NAME, map_snapshot, severe_logs, wait_for, wait_map_values, wait_text

from dashboard import ids

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
    # the tooltip of the marker carries the escaped name, which Leaflet shows as text
    tips = wait_for(
        lambda: [f["tip"] for f in map_snapshot(dash_duo)["facilities"] if f["tip"]],
        what="facility tooltips",
    )
    assert any("<b>&lt;img src=x onerror=alert(1)&gt;</b>" in tip for tip in tips)
    assert (
        dash_duo.driver.execute_script("return document.querySelectorAll('img[src=\"x\"]').length")
        == 0
    )
    assert dash_duo.driver.execute_script("return window.__xss") == 0
    assert severe_logs(dash_duo) == []
