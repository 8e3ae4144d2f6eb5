"""Flow: every number says what it is (group, year used, distance, combine rule).

Screenshots at 1440×900 and 390×844 go to ``$QA_SCREENSHOTS`` when it is set (to look at them).
"""

from __future__ import annotations

import os
from pathlib import Path

from qa_browser import (
    choose_radio,
    element_text,
    map_snapshot,
    open_table,
    url_query,
    wait_for,
    wait_map_values,
    wait_text,
)

from dashboard import ids


def _options(dash_duo) -> list[str]:
    return [
        e.text
        for e in dash_duo.driver.find_elements("css selector", ".dash-dropdown-option")
        if e.is_displayed()
    ]


def choose_option(dash_duo, component_id: str, text: str) -> None:
    """Open a dcc.Dropdown and click the option showing ``text``."""
    dropdown = dash_duo.find_element(f"#{component_id}")
    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", dropdown)
    dropdown.click()
    option = wait_for(
        lambda: [
            e
            for e in dash_duo.driver.find_elements("css selector", ".dash-dropdown-option")
            if e.is_displayed() and e.text == text
        ],
        what=f"the option {text!r}",
    )[0]
    option.click()


def open_options(dash_duo, component_id: str) -> list[str]:
    """The texts of a dropdown's options (opened, read, closed again)."""
    from selenium.webdriver.common.keys import Keys

    dropdown = dash_duo.find_element(f"#{component_id}")
    dropdown.click()
    texts = wait_for(lambda: _options(dash_duo), what="the dropdown's options")
    dash_duo.driver.switch_to.active_element.send_keys(Keys.ESCAPE)
    return texts


def shot(dash_duo, name: str) -> None:
    folder = os.environ.get("QA_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        dash_duo.driver.save_screenshot(str(Path(folder) / f"{name}.png"))


def test_65_plus_offers_its_year_and_says_which_year_is_shown(dash_duo, make_app):
    dash_duo.driver.set_window_size(1440, 900)
    dash_duo.start_server(make_app())
    wait_map_values(dash_duo)
    title = wait_text(dash_duo, f"#{ids.MAP_TITLE}", "(2021)")
    assert title.startswith("Anteil der Einwohner (2021), die ")
    assert "m Luftlinie erreichen" in title
    choose_option(dash_duo, ids.GROUP, "65 Jahre und älter")
    title = wait_text(dash_duo, f"#{ids.MAP_TITLE}", "65-Jährigen und Älteren (2016)")
    assert "2021" not in title
    notice = wait_text(dash_duo, f"#{ids.MAP_NOTES}", "keine Zahlen für 2021")
    assert "Gezeigt werden die Zahlen von 2016" in notice
    wait_for(lambda: open_options(dash_duo, ids.YEAR) == ["2016"], what="only 2016 offered")
    shown = dash_duo.find_element(f"#{ids.YEAR}").text
    assert "2016" in shown and "2021" not in shown
    assert "group=65_plus" in url_query(dash_duo)
    open_table(dash_duo)
    header = wait_text(dash_duo, f"#{ids.MAP_TABLE} thead", "65 Jahre und älter (2016)")
    assert "nicht erreicht" in header
    shot(dash_duo, "honest-65plus-desktop")
    # back to all residents: every year again, no notice
    choose_option(dash_duo, ids.GROUP, "Einwohner mit Hauptwohnung")
    wait_text(dash_duo, f"#{ids.MAP_TITLE}", "Anteil der Einwohner (2021)")
    wait_for(lambda: element_empty(dash_duo, f"#{ids.MAP_NOTES}"), what="the notice to go")
    wait_for(lambda: len(open_options(dash_duo, ids.YEAR)) > 5, what="every year offered again")


def element_empty(dash_duo, selector: str) -> bool:
    return not dash_duo.find_element(selector).text.strip()


def test_the_combine_rule_is_a_visible_choice_in_the_link_and_the_table(dash_duo, make_app):
    dash_duo.driver.set_window_size(1440, 900)
    dash_duo.start_server(make_app())
    wait_map_values(dash_duo)
    assert not dash_duo.find_element(f"#{ids.REQUIRE_WRAP}").is_displayed()  # one category
    boxes = dash_duo.find_elements(f"#{ids.CATEGORIES} input")
    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", boxes[1])
    boxes[1].click()
    wait_for(
        lambda: dash_duo.find_element(f"#{ids.REQUIRE_WRAP}").is_displayed(),
        what="the combine rule to appear",
    )
    title = wait_text(dash_duo, f"#{ids.MAP_TITLE}", "alle gewählten Angebote (")
    open_table(dash_duo)
    header = wait_text(dash_duo, f"#{ids.MAP_TABLE} thead", "alle gewählten Angebote (%)")
    assert header.count("(%)") == 1
    choose_radio(dash_duo, ids.REQUIRE, "each")
    title = wait_text(dash_duo, f"#{ids.MAP_TITLE}", "je Angebot einzeln")
    header = wait_text(dash_duo, f"#{ids.MAP_TABLE} thead", ": nicht erreicht")
    wait_for(
        lambda: element_text(dash_duo, f"#{ids.MAP_TABLE} thead").count("(%)") == 2,
        what="one share column per category",
    )
    assert "require=each" in url_query(dash_duo)
    assert "alle gewählten" not in title
    hover_map_centre(dash_duo)
    tip = wait_for(
        lambda: [
            e.text
            for e in dash_duo.driver.find_elements("css selector", ".leaflet-tooltip")
            if e.is_displayed() and "nicht erreicht" in e.text
        ],
        what="a tooltip with the residents not reached",
    )[0]
    assert "Luftlinie" in tip and tip.count("nicht erreicht") == 2  # one per category
    shot(dash_duo, "honest-each-desktop")
    # the link restores the rule
    dash_duo.driver.get(dash_duo.server_url + "/" + url_query(dash_duo))
    wait_text(dash_duo, f"#{ids.MAP_TITLE}", "je Angebot einzeln")
    assert dash_duo.find_element(f"#{ids.REQUIRE} input[value='each']").is_selected()


def hover_map_centre(dash_duo) -> None:
    """Move the mouse over the middle of the Leaflet map (areas show their tooltip)."""
    from selenium.webdriver.common.action_chains import ActionChains

    box = dash_duo.find_element(".leaflet-container")
    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", box)
    ActionChains(dash_duo.driver).move_to_element(box).move_by_offset(5, 5).perform()


def test_phone_title_and_notice_are_readable(dash_duo, make_app):
    dash_duo.driver.set_window_size(390, 844)
    dash_duo.start_server(make_app())
    dash_duo.driver.get(dash_duo.server_url + "/?group=65_plus&year=2021")
    wait_text(dash_duo, f"#{ids.MAP_TITLE}", "65-Jährigen und Älteren (2016)")
    wait_text(dash_duo, f"#{ids.MAP_NOTES}", "keine Zahlen für 2021")
    for selector in (f"#{ids.MAP_TITLE}", f"#{ids.MAP_NOTES}"):
        overflow = dash_duo.driver.execute_script(
            "var e = document.querySelector(arguments[0]);"
            + "return e.scrollWidth - e.clientWidth;",
            selector,
        )
        assert overflow <= 1, f"{selector} is clipped by {overflow}px"
    title = dash_duo.find_element(f"#{ids.MAP_TITLE}")
    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'start'});", title)
    shot(dash_duo, "honest-65plus-phone")


def test_change_view_flags_jumps_in_a_series(dash_duo, make_app):
    dash_duo.driver.set_window_size(390, 844)
    dash_duo.start_server(make_app())
    dash_duo.driver.get(dash_duo.server_url + "/?layers=facilities,change")
    wait_map_values(dash_duo)
    open_table(dash_duo)
    wait_text(dash_duo, f"#{ids.MAP_TABLE} tbody", "Sprung 20")
    assert "nicht geglättet" in element_text(dash_duo, f"#{ids.MAP_TABLE} p")
    header = element_text(dash_duo, f"#{ids.MAP_TABLE} thead")
    assert header.endswith("Hinweis")
    tips = wait_for(
        lambda: [
            tip
            for tip in (map_snapshot(dash_duo) or {"tips": {"areas": {}}})["tips"]["areas"].values()
            if tip and "Sprung in der Reihe" in tip
        ],
        what="a tooltip with the jump note",
    )
    assert "Veränderung" in tips[0]
    dash_duo.driver.execute_script(
        f"var d = document.getElementById('{ids.MAP_TABLE_WRAP}'); d.open = true;"
        + "d.scrollIntoView({block: 'start'});"
    )
    shot(dash_duo, "honest-change-phone")
