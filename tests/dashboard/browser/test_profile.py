"""Flow: a click on an area of the map opens its profile beside the map."""

from __future__ import annotations

from qa_browser import (
    click_map_at,
    map_snapshot,
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
    # the gap hexagons lie on top of the areas: a click on one opens the area underneath
    wait_for(lambda: any(map_snapshot(dash_duo)["gaps"].values()), what="the gap hexagons")

    district_id, lat, lon = quiet_point(karlsruhe)
    name = karlsruhe.districts.set_index("id").loc[district_id, "name"]
    click_map_at(dash_duo, lat, lon)
    wait_for(lambda: f"area={district_id}" in url_query(dash_duo), what="the area in the URL")
    wait_text(dash_duo, f"#{ids.PROFILE_BODY}", name, timeout=90)
    assert dash_duo.wait_for_element(f"#{ids.PROFILE_TITLE}").text == name
    body = dash_duo.wait_for_element(f"#{ids.PROFILE_BODY}").get_attribute("textContent")
    assert "Einwohner" in body and "Stadt" in body

    # closing the profile clears the area from the view
    dash_duo.wait_for_element(f"#{ids.PROFILE_CLOSE}").click()
    wait_text(dash_duo, f"#{ids.PROFILE_BODY}", "Klicken Sie auf ein Gebiet")
    assert "area=" not in url_query(dash_duo)


def test_click_on_gap_hexagon_opens_the_area_underneath(dash_duo, make_app, karlsruhe):
    import geopandas as gpd
    import numpy as np

    from dashboard.app import get_context
    from layers.gaps import hex_polygons

    app = make_app()
    ctx = get_context(app)
    dash_duo.start_server(app)
    wait_map_values(dash_duo)
    wait_map_ready(dash_duo)
    drawn = wait_for(
        lambda: (lambda g: g if any(g.values()) else None)(map_snapshot(dash_duo)["gaps"]),
        what="drawn gap hexagons",
    )
    # a drawn hexagon far from every facility marker, so the click lands on the hexagon
    shown = [h for h in ctx.hexes.ids if drawn.get(h)]
    qr = np.array([[int(p) for p in h.split(",")] for h in shown])
    centres = gpd.GeoSeries(
        hex_polygons(qr[:, 0], qr[:, 1], edge_m=ctx.hex_edge_m), crs=ctx.table.crs
    ).centroid.to_crs(karlsruhe.facilities.crs)
    far = np.argmax([karlsruhe.facilities.distance(c).min() for c in centres])
    hex_id = shown[far]
    assert "Nicht versorgt" in map_snapshot(dash_duo)["tips"]["gaps"][hex_id]
    centre = centres.to_crs("EPSG:4326").iloc[far]
    area = ctx.area_at(centre.y, centre.x, "district")
    assert area is not None
    click_map_at(dash_duo, centre.y, centre.x)
    wait_for(lambda: f"area={area}" in url_query(dash_duo), what="the area under the hexagon")
    name = karlsruhe.districts.set_index("id").loc[area, "name"]
    wait_text(dash_duo, f"#{ids.PROFILE_TITLE}", name, timeout=90)
