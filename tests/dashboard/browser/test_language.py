"""Flow: switching the language to English translates the page and the map."""

from __future__ import annotations

from qa_browser import choose_radio, open_dropdown_search, url_query, wait_for, wait_map_values

from dashboard import ids


def test_language_switch(dash_duo, make_app):
    dash_duo.start_server(make_app())
    wait_map_values(dash_duo)
    dash_duo.wait_for_contains_text(f"#{ids.MAP_TITLE}", "Anteil der Einwohner")
    choose_radio(dash_duo, ids.LANG, "en")
    dash_duo.wait_for_contains_text(f"#{ids.MAP_TITLE}", "Share of residents")
    dash_duo.wait_for_contains_text(f"#{ids.MAP_SOURCE}", "Sources")
    wait_for(
        lambda: dash_duo.driver.execute_script("return document.documentElement.lang") == "en",
        what="<html lang='en'>",
    )
    assert "lang=en" in url_query(dash_duo)
    body = dash_duo.wait_for_element("body").text
    assert "Walking distance" in body or "WALKING DISTANCE" in body
    choose_radio(dash_duo, ids.LANG, "de")
    dash_duo.wait_for_contains_text(f"#{ids.MAP_TITLE}", "Anteil der Einwohner")


def _search_placeholder(dash_duo, component_id: str) -> str:
    """Open the dropdown and read its search box's placeholder; close it again."""
    from selenium.webdriver.common.keys import Keys

    search = open_dropdown_search(dash_duo, component_id)
    text = search.get_attribute("placeholder")
    search.send_keys(Keys.ESCAPE)
    return text


def test_dropdown_search_box_speaks_the_page_language(dash_duo, make_app):
    dash_duo.start_server(make_app())
    wait_map_values(dash_duo)
    assert _search_placeholder(dash_duo, ids.AREA_SELECT) == "Suchen"
    choose_radio(dash_duo, ids.LANG, "en")
    dash_duo.wait_for_contains_text(f"#{ids.MAP_TITLE}", "Share of residents")
    assert _search_placeholder(dash_duo, ids.AREA_SELECT) == "Search"
    choose_radio(dash_duo, ids.LANG, "de")
    dash_duo.wait_for_contains_text(f"#{ids.MAP_TITLE}", "Anteil der Einwohner")
    assert _search_placeholder(dash_duo, ids.AREA_SELECT) == "Suchen"
