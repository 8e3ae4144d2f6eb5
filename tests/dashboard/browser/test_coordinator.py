"""Flow: the coordinator types an address and sees the nearest services with distances."""

from __future__ import annotations

from qa_browser import choose_radio, map_snapshot, type_address, url_query, wait_for, wait_text

from dashboard import ids


def test_address_search_lists_services(dash_duo, make_app, karlsruhe):
    dash_duo.start_server(make_app())
    choose_radio(dash_duo, ids.VIEW_TABS, "coordinator")
    type_address(dash_duo, ids.ADDRESS, "Kaiserstraße 1")
    text = wait_text(dash_duo, f"#{ids.COORD_RESULT}", " m")
    assert "Standort" in text
    assert karlsruhe.categories[0].label_de in text  # the selected service (default: the first)
    assert "500 m" in text
    assert "Min." in text  # walking minutes next to each distance
    assert "loc=" in url_query(dash_duo) or "view=coordinator" in url_query(dash_duo)
    wait_for(
        lambda: any(m["kind"] == "location" for m in map_snapshot(dash_duo)["markers"]),
        what="the location marker",
    )
    # the walking distance is drawn around the location, in metres on the ground
    assert wait_for(lambda: map_snapshot(dash_duo)["reach"], what="the distance circle") == [500]


def offered(dash_duo, search, text: str) -> list[str]:
    """Type ``text`` into the open search box and return the offered addresses once they came."""
    search.send_keys(text)
    return wait_for(
        lambda: [
            e.text
            for e in dash_duo.driver.find_elements("css selector", ".dash-dropdown-option")
            if "Karlsruhe" in e.text
        ],
        what=f"the server's matches for {text!r}",
    )


def test_search_accepts_abbreviations_and_typos_and_keeps_the_address(
    dash_duo, make_app, karlsruhe
):
    from qa_browser import open_dropdown_search
    from selenium.webdriver.common.keys import Keys

    dash_duo.start_server(make_app())
    dash_duo.driver.get(dash_duo.server_url + "/?view=coordinator")
    dash_duo.wait_for_element(f"#{ids.ADDRESS}", timeout=30)
    search = open_dropdown_search(dash_duo, ids.ADDRESS)
    # the dropdown's own filter knows neither "Str." nor typos: the server's matches must show
    assert offered(dash_duo, search, "Kaiserstr. 1")[0].startswith("Kaiserstraße 1,")
    search.send_keys(Keys.CONTROL, "a")
    search.send_keys(Keys.BACKSPACE)
    search.send_keys("Rheinstrase 12")
    wait_for(
        lambda: [
            e.text
            for e in dash_duo.driver.find_elements("css selector", ".dash-dropdown-option")[:1]
            if e.text == "Rheinstraße 12, 76185 Karlsruhe"
        ],
        what="the server's best match for a typo, first",
    )
    search.send_keys(Keys.ENTER)
    text = wait_text(dash_duo, f"#{ids.COORD_RESULT}", "Rheinstraße 12")
    assert "Standort: Rheinstraße 12, 76185 Karlsruhe" in text  # the address, not coordinates
    assert "Luftlinie" in text  # minutes say how they were measured
    assert "addr=Rheinstra" in url_query(dash_duo)

    # the link restores the address with the location
    dash_duo.driver.get(dash_duo.server_url + "/" + url_query(dash_duo))
    restored = wait_text(dash_duo, f"#{ids.COORD_RESULT}", "Rheinstraße 12")
    assert "Standort: Rheinstraße 12, 76185 Karlsruhe" in restored


def test_print_fires_once_per_click(dash_duo, make_app, karlsruhe):
    dash_duo.start_server(make_app())
    dash_duo.driver.get(dash_duo.server_url + "/?view=coordinator&loc=49.01188,8.36396")
    dash_duo.wait_for_element(f"#{ids.COORD_PRINT}", timeout=30)
    wait_text(dash_duo, f"#{ids.COORD_RESULT}", "Luftlinie")
    dash_duo.driver.execute_script(
        "window.printCount = 0; window.print = function() { window.printCount += 1; };"
    )
    dash_duo.find_element(f"#{ids.COORD_PRINT}").click()
    wait_for(
        lambda: dash_duo.driver.execute_script("return window.printCount;") == 1, what="one print"
    )
    # switching the language re-renders the panel; that must not print again
    choose_radio(dash_duo, ids.LANG, "en")
    wait_text(dash_duo, f"#{ids.COORD_RESULT}", "straight line")
    assert dash_duo.driver.execute_script("return window.printCount;") == 1
    sheet = dash_duo.driver.execute_script(
        "return Array.from(document.querySelectorAll(arguments[0]))"
        ".map(e => e.textContent).join(' | ');",
        f"#{ids.COORD_RESULT} .print-only",
    )
    assert "services nearby" in sheet and "List as of" in sheet and "Sources:" in sheet
