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
