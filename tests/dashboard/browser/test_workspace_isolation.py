"""Two browsers on one server: what session A uploads never reaches session B, and A can delete it.

Session A is dash_duo's Chromium; session B is a second, separate Chromium (its own cookie jar).
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from qa_browser import element_text, map_snapshot, wait_for, wait_map_ready, wait_text

from dashboard import ids
from dashboard.workspace import WorkspaceSettings

SECRET_NAME = "Vertraulich: geplante Schließung Treff Süd"
CSV = f"name,category,lat,lon\n{SECRET_NAME},meeting,49.0094,8.4037\n"


def _upload_markers(session) -> list[dict]:
    snapshot = map_snapshot(session) or {"markers": []}
    return [m for m in snapshot["markers"] if m.get("kind") == "upload"]


def _workspace_names(session) -> list[str]:
    """The names in this browser's workspace panel (the values of its name fields)."""
    return session.driver.execute_script(
        f"return Array.from(document.querySelectorAll('#{ids.WS_BODY} input.dash-input-element,"
        + f" #{ids.WS_BODY} .ws-name input')).map(e => e.value);"
    )


def _layout_text(session) -> str:
    """``/_dash-layout`` as this browser gets it (with its own cookie), decoded."""
    return session.driver.execute_async_script(
        "var done = arguments[arguments.length - 1];"
        + "fetch('/_dash-layout', {credentials: 'same-origin'})"
        + ".then(r => r.json()).then(j => done(JSON.stringify(j))).catch(e => done('ERR ' + e));"
    )


@pytest.fixture
def second_browser():
    """A second Chromium, separate from dash_duo's (no shared cookies)."""
    from conftest import pytest_setup_options
    from selenium import webdriver

    driver = webdriver.Chrome(options=pytest_setup_options())
    driver.set_script_timeout(30)
    yield SimpleNamespace(driver=driver)
    driver.quit()


def test_an_upload_stays_in_its_session_and_can_be_deleted(
    dash_duo, make_app, tmp_path, second_browser
):
    app = make_app(workspace=WorkspaceSettings(secret_key="browser-test-" + "k" * 40))
    dash_duo.start_server(app)
    a, b = dash_duo, second_browser
    a.driver.set_script_timeout(30)
    wait_map_ready(a)

    # session A uploads a confidential facility
    path = tmp_path / "vertrauliche-liste.csv"
    path.write_text(CSV, encoding="utf-8")
    a.wait_for_element(f"#{ids.UPLOAD} input[type='file']").send_keys(str(path))
    wait_text(a, f"#{ids.UPLOAD_RESULT}", "1 Einrichtungen geladen")
    markers = wait_for(lambda: _upload_markers(a), what="the uploaded point on A's map")
    assert "Vertraulich" in markers[0]["tip"]
    wait_for(
        lambda: "vertrauliche-liste" in _workspace_names(a), what="the upload in A's workspace"
    )
    assert "Vertraulich" not in _layout_text(a)  # not even A's layout carries the points

    # session B, a separate browser, sees nothing of it
    b.driver.get(a.server_url)
    wait_map_ready(b)
    b.driver.find_element(
        "id", ids.WS_SUMMARY
    ).click()  # the list is filled when opened (the map is ready)
    wait_text(b, f"#{ids.WS_BODY}", "Noch keine hochgeladene Liste")
    layout = _layout_text(b)
    assert layout.startswith("{") and "Vertraulich" not in layout
    assert _workspace_names(b) == []
    assert "vertrauliche-liste" not in element_text(b, "body")
    assert _upload_markers(b) == []

    # A deletes it: gone from A's map and list
    a.wait_for_element(f"#{ids.WS_PANEL} summary").click()
    # opening the panel re-renders its list: retry until the current button took the click
    wait_for(
        lambda: a.driver.find_element("css selector", ".ws-delete-upload").click() or True,
        what="the delete button to take the click",
    )
    wait_text(a, f"#{ids.WS_BODY}", "Noch keine hochgeladene Liste")
    wait_for(lambda: not _upload_markers(a), what="the uploaded point to leave A's map")
    # after a reload A's workspace is still A's (same cookie) and still empty
    a.driver.refresh()
    wait_map_ready(a)
    a.wait_for_element(f"#{ids.WS_SUMMARY}").click()
    wait_text(a, f"#{ids.WS_BODY}", "Noch keine hochgeladene Liste")
    assert _upload_markers(a) == []


def test_a_saved_scenario_is_shared_by_link_only(dash_duo, make_app, second_browser):
    app = make_app(workspace=WorkspaceSettings(secret_key="browser-test-" + "k" * 40))
    dash_duo.start_server(app)
    a, b = dash_duo, second_browser
    a.driver.get(a.server_url + "/?dist=300&lang=de")
    wait_map_ready(a)
    a.wait_for_element(f"#{ids.WS_PANEL} summary").click()
    a.wait_for_element(f"#{ids.WS_SCENARIO_NAME}").send_keys("Plan Süd")
    a.wait_for_element(f"#{ids.WS_SAVE}").click()
    wait_text(a, f"#{ids.WS_MESSAGE}", "Gespeichert: Plan Süd")
    wait_for(lambda: "Plan Süd" in _workspace_names(a), what="the scenario in A's list")
    wait_for(
        lambda: a.driver.find_element("css selector", "button[id*='\"share\"']").click() or True,
        what="the button to take the click (the list re-renders)",
    )
    link = wait_text(a, ".ws-share-link", "/share/").strip()
    assert len(link.rsplit("/", 1)[1]) >= 32  # an unguessable token

    # B opens the link: it gets the view, but nothing of A's workspace
    b.driver.get(link)
    wait_for(lambda: "dist=300" in b.driver.current_url, what="the shared view in B's URL")
    assert "/share/" not in b.driver.current_url
    wait_map_ready(b)
    b.driver.find_element("id", ids.WS_SUMMARY).click()  # after wait_map_ready: the page is there
    wait_text(b, f"#{ids.WS_BODY}", "Noch kein gespeichertes Szenario")
    assert _workspace_names(b) == []
    # A stops sharing: the link no longer opens anything
    wait_for(
        lambda: a.driver.find_element("css selector", "button[id*='\"unshare\"']").click() or True,
        what="the button to take the click (the list re-renders)",
    )
    wait_for(lambda: not element_text(a, ".ws-share-link"), what="the share link to go")
    b.driver.get(link)
    wait_for(
        lambda: "404" in b.driver.page_source or "Not Found" in b.driver.page_source,
        what="the revoked link to answer 404",
    )
