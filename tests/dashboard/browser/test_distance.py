"""Flow: the planner changes the walking distance and the map values change."""

from __future__ import annotations

from qa_browser import (
    area_shares,
    element_text,
    map_snapshot,
    open_table,
    url_query,
    wait_for,
    wait_map_values,
    wait_text,
)
from selenium.webdriver.common.keys import Keys

from dashboard import ids


def test_distance_change_updates_map_values(dash_duo, make_app):
    dash_duo.start_server(make_app())
    colours = wait_map_values(dash_duo)
    before = area_shares(map_snapshot(dash_duo))
    handle = dash_duo.wait_for_element(f"#{ids.DISTANCE} [role='slider']")
    handle.send_keys(Keys.END)  # 2,000 m
    wait_for(
        lambda: (lambda snap: snap["areas"] != colours)(map_snapshot(dash_duo)),
        what="new map colours after the distance change",
    )
    after = area_shares(map_snapshot(dash_duo))
    assert "dist=2000" in url_query(dash_duo)
    pairs = [
        (before[a], after[a]) for a in before if before[a] is not None and after[a] is not None
    ]
    assert pairs and all(b >= a for a, b in pairs), "a longer distance never lowers a share"
    assert any(b > a for a, b in pairs)
    dash_duo.wait_for_contains_text(f"#{ids.MAP_TITLE}", "2,0 km")


def test_the_table_follows_the_map_while_it_is_open(dash_duo, make_app):
    dash_duo.start_server(make_app())
    wait_map_values(dash_duo)
    table = f"#{ids.MAP_TABLE}"
    assert element_text(dash_duo, table) == ""  # closed: no rows in the page
    open_table(dash_duo)
    wait_text(dash_duo, f"{table} caption", "500 m Luftlinie")
    rows = len(dash_duo.driver.find_elements("css selector", f"{table} tbody tr"))
    assert rows == len(map_snapshot(dash_duo)["areas"]) + 1  # every area and the city
    handle = dash_duo.wait_for_element(f"#{ids.DISTANCE} [role='slider']")
    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", handle)
    handle.send_keys(Keys.END)  # 2,000 m, while the table is open
    caption = wait_text(dash_duo, f"{table} caption", "2,0 km")
    assert caption == element_text(dash_duo, f"#{ids.MAP_TITLE}")
    dash_duo.find_element(f"#{ids.MAP_TABLE_TOGGLE}").click()  # closed again: rows leave
    wait_for(lambda: element_text(dash_duo, table) == "", what="the rows to leave the page")
    handle.send_keys(Keys.HOME)  # 100 m while closed
    dash_duo.wait_for_contains_text(f"#{ids.MAP_TITLE}", "100 m")
    open_table(dash_duo)
    wait_text(dash_duo, f"{table} caption", "100 m Luftlinie")


def test_a_step_updates_the_legend_texts_in_place(dash_duo, make_app):
    """The legend names the new distance and city average; its colour bar is not rebuilt."""
    dash_duo.start_server(make_app())
    wait_map_values(dash_duo)
    title = f"#{ids.MAP_LEGEND_TITLE}"
    wait_text(dash_duo, title, "500 m")
    city_before = element_text(dash_duo, f"#{ids.MAP_LEGEND_CITY}")
    # a mark on the ramp's element: a legend sent again would be a new element without it
    dash_duo.driver.execute_script(
        f"document.querySelector('#{ids.MAP_LEGEND} .ramp').dataset.mark = 'kept';"
    )
    handle = dash_duo.wait_for_element(f"#{ids.DISTANCE} [role='slider']")
    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", handle)
    handle.send_keys(Keys.ARROW_RIGHT)  # 550 m
    legend_title = wait_text(dash_duo, title, "550 m")
    assert legend_title == element_text(dash_duo, f"#{ids.MAP_TITLE}")
    wait_for(
        lambda: element_text(dash_duo, f"#{ids.MAP_LEGEND_CITY}") != city_before,
        what="the city average of 550 m in the legend",
    )
    mark = dash_duo.driver.execute_script(
        f"return document.querySelector('#{ids.MAP_LEGEND} .ramp').dataset.mark || null;"
    )
    assert mark == "kept"


def test_a_new_top_of_the_gap_scale_changes_only_its_tick_labels(dash_duo, make_app):
    """From 100 m to 2 km the gaps shrink: the scale gets a lower top, the bar stays."""
    dash_duo.start_server(make_app())
    wait_map_values(dash_duo)
    handle = dash_duo.wait_for_element(f"#{ids.DISTANCE} [role='slider']")
    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", handle)
    handle.send_keys(Keys.HOME)
    dash_duo.wait_for_contains_text(f"#{ids.MAP_TITLE}", "100 m")
    mid, top = (f"#{tick}" for tick in ids.MAP_LEGEND_GAP_TICKS)
    near_top = element_text(dash_duo, top)
    dash_duo.driver.execute_script(
        f"document.querySelector('#{ids.MAP_LEGEND} .ramp-gaps').dataset.mark = 'kept';"
    )
    handle.send_keys(Keys.END)
    dash_duo.wait_for_contains_text(f"#{ids.MAP_TITLE}", "2,0 km")
    wait_for(lambda: element_text(dash_duo, top) != near_top, what="the new top of the gap scale")

    def number(selector: str) -> float:
        return float(element_text(dash_duo, selector).replace(".", "").replace(",", "."))

    assert number(top) < float(near_top.replace(".", "").replace(",", "."))
    assert number(mid) == number(top) / 2
    mark = dash_duo.driver.execute_script(
        f"return document.querySelector('#{ids.MAP_LEGEND} .ramp-gaps').dataset.mark || null;"
    )
    assert mark == "kept"
