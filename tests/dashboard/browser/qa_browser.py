"""Helpers of the browser tests (imported as ``qa_browser``; the conftest puts this folder on
``sys.path`` because pytest runs in importlib mode)."""

from __future__ import annotations

import time
from collections.abc import Callable

XSS_NAME = "<img src=x onerror=alert(1)>"
"""A facility name that would run script if the app put it into the page as HTML."""


def map_snapshot(dash_duo) -> dict | None:
    """What the Leaflet map draws now (``quartiersatlasMap.snapshot()`` of assets/map.js).

    ``areas`` / ``gaps``: feature id -> fill colour (None: not drawn); ``tips``; ``selected``;
    ``facilities`` / ``markers``: point features with ``lat``, ``lon``, ``tip`` (and ``kind``,
    ``id``, ``category``); ``tiles``: number of basemap tile layers.
    """
    return dash_duo.driver.execute_script(
        "return window.quartiersatlasMap ? window.quartiersatlasMap.snapshot() : null;"
    )


def area_shares(snapshot: dict) -> dict[str, float | None]:
    """Covered share (%) per area as its German tooltip states it (None: hidden or none).

    The first share of a tooltip is the one the map shows ("Begegnung in 500 m Luftlinie:
    45,3 %").
    """
    import re

    out: dict[str, float | None] = {}
    for area_id, tip in snapshot["tips"]["areas"].items():
        found = re.search(r": ([\d.,]+) %", tip or "")
        out[area_id] = float(found.group(1).replace(".", "").replace(",", ".")) if found else None
    return out


def plotly_data(dash_duo, trace: int, key: str, *, graph_id: str):
    """``data[trace][key]`` of a rendered plotly map (the compare map), or None."""
    return dash_duo.driver.execute_script(
        f"var gd = document.querySelector('#{graph_id} .js-plotly-plot'); "
        + f"if (!gd || !gd.data || !gd.data[{trace}]) return null; "
        + f"var v = gd.data[{trace}][{key!r}]; return v === undefined ? null : v;"
    )


def wait_for(predicate: Callable[[], object], *, timeout: float = 20.0, what: str = "") -> object:
    """Poll ``predicate`` until it returns something truthy; fail with ``what`` on timeout."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = predicate()
        except Exception as exc:
            last = exc
        if last and not isinstance(last, Exception):
            return last
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}; last value: {last!r}")


def wait_map_values(dash_duo, *, timeout: float = 30.0) -> dict:
    """Wait until the map's areas are coloured, and return ``{area id: fill colour}``."""
    return wait_for(
        lambda: (lambda snap: snap["areas"] if snap and any(snap["areas"].values()) else None)(
            map_snapshot(dash_duo)
        ),
        timeout=timeout,
        what="coloured areas on the map",
    )


def wait_idle(dash_duo, timeout: float = 30.0) -> None:
    """Wait until Dash has no callback in flight."""
    wait_for(
        lambda: dash_duo.driver.execute_script(
            "return !document.querySelector('[data-dash-is-loading=\"true\"]') && "
            "!!document.querySelector('#_dash-app-content, #react-entry-point');"
        ),
        timeout=timeout,
        what="Dash to become idle",
    )


def severe_logs(dash_duo) -> list[dict]:
    """Browser console entries of level SEVERE (JavaScript errors, failed requests)."""
    return [e for e in dash_duo.driver.get_log("browser") if e.get("level") == "SEVERE"]


def url_query(dash_duo) -> str:
    """The query string of the page's current URL."""
    return dash_duo.driver.execute_script("return window.location.search")


def choose_radio(dash_duo, component_id: str, value: str) -> None:
    """Click the radio input with ``value`` inside the RadioItems ``component_id``."""
    element = dash_duo.wait_for_element(f"#{component_id} input[value='{value}']")
    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", element)
    element.click()


def click_map_at(dash_duo, lat: float, lon: float) -> None:
    """A real mouse click on the map where ``(lat, lon)`` is drawn (Leaflet projection)."""
    from selenium.webdriver.common.action_chains import ActionChains

    point = dash_duo.driver.execute_script(
        "var m = window.quartiersatlasMap.leafletMap();"
        + "var p = m.latLngToContainerPoint([arguments[0], arguments[1]]);"
        + "var r = m.getContainer().getBoundingClientRect();"
        + "return {x: r.left + p.x, y: r.top + p.y, w: r.width, h: r.height};",
        lat,
        lon,
    )
    assert point["x"] > 0 and point["y"] > 0, f"map point off screen: {point}"
    actions = ActionChains(dash_duo.driver)
    actions.w3c_actions.pointer_action.move_to_location(int(point["x"]), int(point["y"]))
    actions.w3c_actions.pointer_action.click()
    actions.perform()


def wait_map_ready(dash_duo, *, timeout: float = 30.0) -> None:
    """Wait until the Leaflet map has drawn its features (so projections and clicks work)."""
    wait_for(
        lambda: dash_duo.driver.execute_script(
            "var a = window.quartiersatlasMap;"
            + "return !!(a && a.leafletMap() && a.drawnCount > 0);"
        ),
        timeout=timeout,
        what="the Leaflet map to draw",
    )


def quiet_point(dataset, *, category: str | None = None) -> tuple[str, float, float]:
    """(district id, lat, lon) of a point inside a district, far from any facility marker.

    Among the districts' representative points, the one farthest from the facilities (of
    ``category``, or all) is taken, so a click there hits the area, not a marker.
    """
    facilities = dataset.facilities
    if category is not None:
        facilities = facilities[facilities["category"] == category]
    points = dataset.districts.geometry.representative_point()
    distance = [facilities.distance(p).min() for p in points]
    best = max(range(len(points)), key=lambda i: distance[i])
    wgs = points.to_crs("EPSG:4326").iloc[best]
    return str(dataset.districts["id"].iloc[best]), float(wgs.y), float(wgs.x)


def wait_text(dash_duo, selector: str, needle: str, *, timeout: float = 30.0) -> str:
    """Wait until the element's text contains ``needle``; return the text."""
    try:
        return wait_for(
            lambda: (lambda text: text if text and needle in text else None)(
                element_text(dash_duo, selector)
            ),
            timeout=timeout,
            what=f"{needle!r} in {selector}",
        )
    except AssertionError as exc:
        raise AssertionError(f"{exc}; page shows: {page_text(dash_duo, selector)!r}") from None


def open_dropdown_search(dash_duo, component_id: str):
    """Open a dcc.Dropdown and return its visible search box."""
    dropdown = dash_duo.wait_for_element(f"#{component_id}")
    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", dropdown)
    dropdown.click()
    return wait_for(
        lambda: [
            e
            for e in dash_duo.driver.find_elements("css selector", ".dash-dropdown-search")
            if e.is_displayed()
        ],
        what="the dropdown's search box",
    )[0]


def type_address(dash_duo, component_id: str, text: str) -> None:
    """Type into a dcc.Dropdown's search box and pick the first suggestion."""
    from selenium.webdriver.common.keys import Keys

    search = open_dropdown_search(dash_duo, component_id)
    search.send_keys(text)
    wait_for(
        lambda: [
            e
            for e in dash_duo.driver.find_elements("css selector", ".dash-dropdown-option")
            if e.text.casefold().startswith(text.casefold())
        ],
        what=f"suggestions starting with {text!r}",
    )
    search.send_keys(Keys.ENTER)


def element_text(dash_duo, selector: str) -> str:
    """``textContent`` of the element (also text inside closed panels), or ``""``."""
    return dash_duo.driver.execute_script(
        "var e = document.querySelector(arguments[0]); return e ? e.textContent : '';", selector
    )


def page_text(dash_duo, selector: str) -> str:
    """Text of ``selector`` (for failure messages), or why it could not be read."""
    try:
        return dash_duo.driver.find_element("css selector", selector).text[:500]
    except Exception as exc:
        return f"<{type(exc).__name__}>"


def open_table(dash_duo) -> None:
    """Open the table view under the map (a click on its summary), if it is closed.

    The app builds the table's rows only while it is open.
    """
    from dashboard import ids

    if dash_duo.driver.execute_script(
        f"return document.getElementById('{ids.MAP_TABLE_WRAP}').open"
    ):
        return
    toggle = dash_duo.find_element(f"#{ids.MAP_TABLE_TOGGLE}")
    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", toggle)
    toggle.click()
