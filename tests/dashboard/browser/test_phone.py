"""Flow: the coordinator view works on a phone (360 px wide): no sideways scrolling,
touch-sized controls, and the address search lists services."""

from __future__ import annotations

from qa_browser import type_address, wait_text

from dashboard import ids

PHONE = {"width": 360, "height": 740, "deviceScaleFactor": 2, "mobile": True}
MIN_TOUCH_PX = 24
"""WCAG 2.2 target size (minimum, AA); the app's own controls aim at 44 px."""


def test_coordinator_view_on_a_phone(dash_duo, make_app):
    dash_duo.start_server(make_app())
    driver = dash_duo.driver
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", PHONE)
    driver.execute_cdp_cmd("Emulation.setTouchEmulationEnabled", {"enabled": True})
    driver.get(dash_duo.server_url + "/?view=coordinator")
    dash_duo.wait_for_element(f"#{ids.COORD_PANEL}")
    assert driver.execute_script("return window.innerWidth") == 360
    assert dash_duo.wait_for_element(f"#{ids.COORD_PANEL}").is_displayed()
    for target in (f"#{ids.ADDRESS}", f"#{ids.GEOLOCATE}"):
        box = driver.execute_script(
            "var r = document.querySelector(arguments[0]).getBoundingClientRect();"
            "return [r.left, r.right, r.width, r.height];",
            target,
        )
        assert box[0] >= 0 and box[1] <= 360, f"{target} is cut off: {box}"
        assert min(box[2], box[3]) >= MIN_TOUCH_PX, f"{target} is too small to tap: {box}"

    type_address(dash_duo, ids.ADDRESS, "Kaiserstraße 1")
    text = wait_text(dash_duo, f"#{ids.COORD_RESULT}", " m")
    assert "Min." in text
    # nothing is wider than the phone: no sideways scrolling
    width = driver.execute_script("return document.documentElement.scrollWidth")
    assert width <= 360, f"page is {width} px wide on a 360 px phone"
