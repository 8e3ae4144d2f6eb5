"""The on-site view on a phone (360 px): no horizontal scrolling, touch-sized controls, and the
nearest services readable without hovering."""

from __future__ import annotations

from qa_browser import wait_map_values, wait_text

from dashboard import ids


def test_on_site_view_works_at_360_px(dash_duo, make_app, karlsruhe):
    dash_duo.start_server(make_app())
    dash_duo.driver.set_window_size(360, 800)
    dash_duo.driver.get(f"{dash_duo.server_url}/?view=coordinator&loc=49.00937,8.40444")
    wait_map_values(dash_duo)
    text = wait_text(dash_duo, f"#{ids.COORD_RESULT}", " m")
    for category in karlsruhe.categories:
        assert category.label_de in text  # every category listed as text, not only on hover
    width = dash_duo.driver.execute_script(
        "return [document.documentElement.clientWidth, document.documentElement.scrollWidth]"
    )
    assert width[1] <= width[0] + 1, f"page scrolls sideways at 360 px: {width}"
    heights = dash_duo.driver.execute_script(
        "return Array.from(document.querySelectorAll('#coordinator-panel button'))"
        ".filter(b => b.offsetParent !== null).map(b => b.getBoundingClientRect().height)"
    )
    assert heights and min(heights) >= 44, heights  # touch-sized buttons


def test_controls_are_keyboard_reachable_with_visible_focus(dash_duo, make_app):
    from selenium.webdriver.common.keys import Keys

    dash_duo.start_server(make_app())
    wait_map_values(dash_duo)
    from selenium.webdriver.common.action_chains import ActionChains

    seen = set()
    for _ in range(40):
        ActionChains(dash_duo.driver).send_keys(Keys.TAB).perform()
        info = dash_duo.driver.execute_script(
            "var e = document.activeElement; var s = getComputedStyle(e);"
            "var box = e.closest('label') || e;"
            "var b = getComputedStyle(box);"
            "return [e.id || (e.closest('[id]') || {}).id || '', e.tagName,"
            " s.outlineStyle !== 'none' || b.outlineStyle !== 'none'];"
        )
        if info[1] == "BODY":
            continue
        seen.add(info[0])
        assert info[2], f"no visible focus on {info}"
    for control in (ids.VIEW_TABS, ids.LANG, ids.CATEGORIES):
        assert control in seen, f"{control} not reached by Tab; reached {sorted(seen)}"


def test_on_site_search_then_map_then_list_on_a_phone(dash_duo, make_app):
    dash_duo.start_server(make_app())
    dash_duo.driver.set_window_size(360, 800)
    dash_duo.driver.get(f"{dash_duo.server_url}/?view=coordinator&loc=49.00937,8.40444")
    wait_map_values(dash_duo)
    wait_text(dash_duo, f"#{ids.COORD_RESULT}", " m")
    top = dash_duo.driver.execute_script(
        "var out = {}; for (var id of arguments[0]) {"
        " out[id] = document.getElementById(id).getBoundingClientRect().top + window.scrollY; }"
        " return out;",
        [ids.ADDRESS, ids.COORD_RESULT, ids.MAP, ids.MAP_SOURCE, ids.NOTES_PANEL, ids.CONTROLS],
    )
    # the address search, then the map with the location (reachable without scrolling past a
    # long list), its source line, the list, the notes and the settings
    assert top[ids.ADDRESS] < top[ids.MAP] < top[ids.MAP_SOURCE] < top[ids.COORD_RESULT], top
    assert top[ids.COORD_RESULT] < top[ids.NOTES_PANEL] < top[ids.CONTROLS], top
    assert dash_duo.wait_for_element(f"#{ids.MAP}").location["y"] < 800  # on the first screen

    # the planning view keeps the map first
    dash_duo.driver.get(f"{dash_duo.server_url}/")
    wait_map_values(dash_duo)
    first = dash_duo.driver.execute_script(
        "return [document.getElementById(arguments[0]).getBoundingClientRect().top,"
        " document.getElementById(arguments[1]).getBoundingClientRect().top];",
        ids.MAP,
        ids.NOTES_PANEL,
    )
    assert first[0] < first[1]
