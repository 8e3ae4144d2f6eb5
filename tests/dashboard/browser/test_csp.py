"""Flow: the app works under its Content-Security-Policy in every view, without CSP violations."""

from __future__ import annotations

from qa_browser import choose_radio, wait_for, wait_idle, wait_map_values

from dashboard import ids

VIEWS = ("scenario", "coordinator", "compare", "plan")


def _csp_violations(dash_duo) -> list[str]:
    entries = dash_duo.driver.get_log("browser")
    return [
        e["message"]
        for e in entries
        if "Content Security Policy" in e.get("message", "") or "Refused to" in e.get("message", "")
    ]


def test_every_view_works_under_the_csp(dash_duo, make_app) -> None:
    dash_duo.start_server(make_app())
    # the policy really is in force for this page (a nonce-less inline script is blocked)
    dash_duo.driver.execute_script(
        "window.__cspProbe = 0;"
        "var s = document.createElement('script');"
        "s.textContent = 'window.__cspProbe = 1;';"
        "document.body.appendChild(s);"
    )
    assert dash_duo.driver.execute_script("return window.__cspProbe") == 0
    probe = _csp_violations(dash_duo)
    assert probe and all("inline script" in m or "script-src" in m for m in probe), probe

    wait_map_values(dash_duo)  # Dash's inline renderer start and the clientside callbacks ran
    for view in VIEWS:
        choose_radio(dash_duo, ids.VIEW_TABS, view)
        wait_for(
            lambda view=view: (
                f"view-{view}" in dash_duo.wait_for_element(f"#{ids.PAGE}").get_attribute("class")
            ),
            what=f"the {view} view",
        )
        wait_idle(dash_duo)
    choose_radio(dash_duo, ids.LANG, "en")  # a clientside callback sets <html lang>
    wait_for(
        lambda: dash_duo.driver.execute_script("return document.documentElement.lang") == "en",
        what="the clientside language callback",
    )
    assert _csp_violations(dash_duo) == []
