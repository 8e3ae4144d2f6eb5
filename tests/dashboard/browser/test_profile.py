"""Flow: a click on an area of the map opens its profile beside the map."""

from __future__ import annotations

from qa_browser import (
    click_map_at,
    map_data,
    quiet_point,
    url_query,
    wait_for,
    wait_map_ready,
    wait_map_values,
    wait_text,
)

from dashboard import ids


def test_click_on_area_opens_profile(dash_duo, make_app, karlsruhe):
    dash_duo.start_server(make_app())
    wait_map_values(dash_duo)
    wait_map_ready(dash_duo)
    # The gap hexagons lie on top of the areas and take the click (reported to the app
    # engineer); switch them off as a planner would to pick an area.
    gaps = dash_duo.find_element(f"#{ids.LAYERS} input[value='gaps']")
    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", gaps)
    gaps.click()
    wait_for(lambda: map_data(dash_duo, 2, "visible") is False, what="the gap layer to hide")

    district_id, lat, lon = quiet_point(karlsruhe)
    name = karlsruhe.districts.set_index("id").loc[district_id, "name"]
    click_map_at(dash_duo, lat, lon)
    wait_for(lambda: f"area={district_id}" in url_query(dash_duo), what="the area in the URL")
    wait_text(dash_duo, f"#{ids.PROFILE_BODY}", name, timeout=90)
    assert dash_duo.find_element(f"#{ids.PROFILE_TITLE}").text == name
    body = dash_duo.find_element(f"#{ids.PROFILE_BODY}").get_attribute("textContent")
    assert "Einwohner" in body and "Stadt" in body

    # closing the profile clears the area from the view
    dash_duo.find_element(f"#{ids.PROFILE_CLOSE}").click()
    wait_text(dash_duo, f"#{ids.PROFILE_BODY}", "Klicken Sie auf ein Gebiet")
    assert "area=" not in url_query(dash_duo)
