"""Orientation on the map (names, streets, scale bar), legends with numbers, council mode fit,
the change animation's fixed scale and the pause sign."""

from __future__ import annotations

import re
import time

from qa_browser import choose_radio, url_query, wait_for, wait_map_values

from dashboard import ids

AREA_PIXELS_JS = """
var map = window.quartiersatlasMap.leafletMap(), box = null;
map.eachLayer(function (l) {
  if (l.feature && l.feature.id !== undefined && l.getBounds && !l.feature.properties.level) {
    var b = l.getBounds();
    box = box ? box.extend(b) : L.latLngBounds(b.getSouthWest(), b.getNorthEast());
  }
});
var nw = map.latLngToContainerPoint(box.getNorthWest());
var se = map.latLngToContainerPoint(box.getSouthEast());
var size = map.getSize();
return {left: nw.x, top: nw.y, right: se.x, bottom: se.y, width: size.x, height: size.y};
"""


def shown_labels(dash_duo) -> list[str]:
    """Names the map shows now (placed, not hidden by an overlap)."""
    state = dash_duo.driver.execute_script(
        "return window.quartiersatlasContext ? window.quartiersatlasContext.labelState() : [];"
    )
    return [s["name"] for s in state if s["shown"]]


def legend_ticks(dash_duo, kind: str = "share") -> list[str] | None:
    """Tick texts of one colour bar of the legend (None while it is not there)."""
    texts = dash_duo.driver.execute_script(
        f"return Array.from(document.querySelectorAll('#{ids.MAP_LEGEND} .legend-{kind} "
        ".legend-tick')).map(e => e.textContent);"
    )
    return texts or None


def test_district_names_scale_bar_and_legend_ticks(dash_duo, make_app):
    dash_duo.driver.set_window_size(1440, 900)
    dash_duo.start_server(make_app())
    wait_map_values(dash_duo)
    wait_for(lambda: "Mühlburg" in shown_labels(dash_duo), what="the name Mühlburg on the map")
    label = dash_duo.driver.execute_script(
        "return Array.from(document.querySelectorAll('.area-label span'))"
        ".filter(e => e.textContent === 'Mühlburg').map(e => {"
        "var r = e.getBoundingClientRect(); return [r.width, r.height,"
        " getComputedStyle(e).visibility, getComputedStyle(e).textShadow];})[0];"
    )
    width, height, visibility, halo = label
    assert width > 30 and height > 8 and visibility == "visible"
    assert "255, 255, 255" in halo  # white halo: readable over any fill
    # no two shown names overlap
    boxes = dash_duo.driver.execute_script(
        "return Array.from(document.querySelectorAll('.area-label:not(.area-label-hidden) span'))"
        ".map(e => { var r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; });"
    )
    assert len(boxes) >= 15
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1], (a, b)

    scale = wait_for(
        lambda: dash_duo.driver.execute_script(
            "var e = document.querySelector('.leaflet-control-scale-line');"
            " return e && e.offsetWidth > 20 ? e.textContent : null;"
        ),
        what="the scale bar",
    )
    assert re.fullmatch(r"\d+ (m|km)", scale)

    ticks = wait_for(lambda: legend_ticks(dash_duo), what="legend ticks")
    assert ticks == ["0 %", "25 %", "50 %", "75 %", "100 %"]
    ramp = dash_duo.find_element(f"#{ids.MAP_LEGEND} .legend-share .ramp")
    assert ramp.get_attribute("data-opacity") == "0.78"
    assert "linear-gradient" in ramp.value_of_css_property("background-image")

    choose_radio(dash_duo, ids.LANG, "en")
    wait_for(lambda: legend_ticks(dash_duo) == ["0%", "25%", "50%", "75%", "100%"], what="en ticks")

    # the names follow the level
    choose_radio(dash_duo, ids.LEVEL, "planning_area")
    wait_for(
        lambda: (lambda s: s and all(n.startswith("Planungsgebiet") for n in s))(
            shown_labels(dash_duo)
        ),
        what="planning-area names",
    )
    assert "Mühlburg" not in shown_labels(dash_duo)


def _area_fill(dash_duo) -> dict:
    px = dash_duo.driver.execute_script(AREA_PIXELS_JS)
    return {
        "width": (px["right"] - px["left"]) / px["width"],
        "height": (px["bottom"] - px["top"]) / px["height"],
        "inside": px["left"] >= -1
        and px["top"] >= -1
        and px["right"] <= px["width"] + 1
        and px["bottom"] <= px["height"] + 1,
    }


def test_council_mode_fits_the_city_to_the_map_and_stays_in_the_url(dash_duo, make_app):
    dash_duo.driver.set_window_size(1440, 900)
    dash_duo.start_server(make_app())
    wait_map_values(dash_duo)
    dash_duo.find_element(f"#{ids.PRESENT_BUTTON}").click()
    wait_for(lambda: "present=1" in url_query(dash_duo), what="present=1 in the URL")

    def fitted():
        fill = _area_fill(dash_duo)
        # the city touches two opposite sides of the map (the limiting dimension) and is whole
        return fill if fill["inside"] and max(fill["width"], fill["height"]) >= 0.9 else None

    fill = wait_for(fitted, what="the city fitted to the map")
    map_box = dash_duo.driver.execute_script(
        "var r = document.querySelector('.qa-map').getBoundingClientRect();"
        " return [r.width / window.innerWidth, r.height / window.innerHeight];"
    )
    assert map_box[0] > 0.85 and map_box[1] > 0.65  # the map takes most of the screen
    assert min(fill["width"], fill["height"]) > 0.4

    # a smaller window: refitted, nothing cut off
    dash_duo.driver.set_window_size(1000, 800)
    wait_for(fitted, what="the city refitted after a resize")
    big = dash_duo.driver.execute_script(
        "var e = document.querySelector('.area-label span'); return parseFloat(getComputedStyle(e).fontSize);"
    )
    assert big >= 16  # large names for a room

    # a link to council mode opens council mode
    dash_duo.driver.get(dash_duo.server_url + "/" + url_query(dash_duo))
    wait_map_values(dash_duo)
    # the page class comes with the first view update: wait for it, then for the fit in it
    wait_for(
        lambda: not dash_duo.find_element(f"#{ids.CONTROLS}").is_displayed(),
        what="council mode (no controls) when opened from the link",
    )
    wait_for(fitted, what="the city fitted when opened from the link")


def test_share_link_is_the_current_url(dash_duo, make_app):
    dash_duo.start_server(make_app())
    dash_duo.driver.get(dash_duo.server_url + "/?dist=800&lang=en")
    wait_map_values(dash_duo)
    dash_duo.find_element(f"#{ids.SHARE_BUTTON}").click()
    link = wait_for(
        lambda: dash_duo.find_element(f"#{ids.SHARE_LINK}").text or None, what="the share link"
    )
    assert link.endswith(url_query(dash_duo)) and "dist=800" in link


def test_change_animation_keeps_its_scale_and_pause_has_a_real_sign(dash_duo, make_app):
    dash_duo.start_server(make_app())
    dash_duo.driver.get(dash_duo.server_url + "/?layers=change,facilities&y0=2007&y1=2008")
    wait_map_values(dash_duo)
    first = wait_for(lambda: legend_ticks(dash_duo, "change"), what="change legend ticks")
    assert first[2] == "0" and first[0].startswith("-") and first[-1].startswith("+")
    play = dash_duo.find_element(f"#{ids.CHANGE_PLAY}")
    assert play.get_attribute("aria-label") == "Jahre nacheinander abspielen"
    play.click()
    wait_for(
        lambda: play.get_attribute("aria-label") == "Abspielen anhalten", what="the pause button"
    )
    assert play.text.strip() == "Anhalten"
    assert "\u23f8" not in play.text and "\ufffd" not in play.text
    icon = dash_duo.driver.execute_script(
        f"var i = document.querySelector('#{ids.CHANGE_PLAY} .icon-pause');"
        " if (!i) return null; var s = getComputedStyle(i), r = i.getBoundingClientRect();"
        " return [r.width, r.height, s.borderLeftWidth, s.borderRightWidth];"
    )
    assert icon is not None and icon[0] >= 8 and icon[1] >= 8
    assert icon[2] != "0px" and icon[3] != "0px"  # two bars
    for year in (2009, 2010):
        wait_for(lambda y=year: f"y1={y}" in url_query(dash_duo), timeout=30, what=f"y1={year}")
        wait_for(
            lambda y=year: str(y) in dash_duo.find_element(f"#{ids.MAP_LEGEND}").text,
            what=f"the legend of {year}",
        )
        assert legend_ticks(dash_duo, "change") == first
    play.click()
    wait_for(
        lambda: play.get_attribute("aria-label") == "Jahre nacheinander abspielen", what="play"
    )


COMPARE_PIXELS_JS = """
var gd = document.querySelector('#%s .js-plotly-plot');
var sub = gd && gd._fullLayout && gd._fullLayout.map && gd._fullLayout.map._subplot;
if (!sub || !sub.map) return null;
var lon = [], lat = [];
gd.data.forEach(function (t) {
  if (t.type === 'scattermap' && t.lon) {
    t.lon.forEach(function (v) { if (v !== null) lon.push(v); });
    t.lat.forEach(function (v) { if (v !== null) lat.push(v); });
  }
});
var m = sub.map, c = m.getContainer();
var nw = m.project([Math.min.apply(null, lon), Math.max.apply(null, lat)]);
var se = m.project([Math.max.apply(null, lon), Math.min.apply(null, lat)]);
return {left: nw.x, top: nw.y, right: se.x, bottom: se.y, width: c.offsetWidth, height: c.offsetHeight};
"""


def test_compare_view_shows_the_whole_city_on_both_maps(dash_duo, make_app):
    dash_duo.driver.set_window_size(1440, 900)
    dash_duo.start_server(make_app())
    dash_duo.driver.get(dash_duo.server_url + "/?view=compare&y0=2010&y1=2015")
    wait_map_values(dash_duo)
    wait_for(
        lambda: (lambda f: f["inside"] and max(f["width"], f["height"]) >= 0.85)(
            _area_fill(dash_duo)
        ),
        what="the whole city on the left map",
    )

    def compare_fitted():
        px = dash_duo.driver.execute_script(COMPARE_PIXELS_JS % ids.COMPARE_MAP)
        if not px:
            return None
        inside = (
            px["left"] >= 0
            and px["top"] >= 0
            and px["right"] <= px["width"]
            and px["bottom"] <= px["height"]
        )
        share = max(
            (px["right"] - px["left"]) / px["width"], (px["bottom"] - px["top"]) / px["height"]
        )
        return px if inside and share > 0.6 else None

    wait_for(compare_fitted, what="the whole city on the compare map")
    # and it stays so once the compare map's values have arrived (they are a new figure)
    time.sleep(2.5)
    assert compare_fitted(), dash_duo.driver.execute_script(COMPARE_PIXELS_JS % ids.COMPARE_MAP)

    # new values (another level) are a new figure: the city must stay whole, not only for a
    # moment (a plain relayout was undone by the figure's own zoom and the city stayed cut off)
    visible_trace = (
        f"var gd = document.querySelector('#{ids.COMPARE_MAP} .js-plotly-plot');"
        " return gd && gd.data[1] && gd.data[1].visible === true;"
    )
    choose_radio(dash_duo, ids.LEVEL, "planning_area")
    wait_for(
        lambda: dash_duo.driver.execute_script(visible_trace), what="planning areas on the map"
    )
    time.sleep(2.0)  # let every update of the figure land
    assert compare_fitted(), dash_duo.driver.execute_script(COMPARE_PIXELS_JS % ids.COMPARE_MAP)

    # the user's zoom (the modebar's button) is kept, not undone by the fit
    zoom_js = (
        f"var gd = document.querySelector('#{ids.COMPARE_MAP} .js-plotly-plot');"
        " return gd._fullLayout.map._subplot.map.getZoom();"
    )
    fitted_zoom = dash_duo.driver.execute_script(zoom_js)
    dash_duo.find_element(f"#{ids.COMPARE_MAP} .modebar-btn[data-val='in']").click()
    wait_for(lambda: dash_duo.driver.execute_script(zoom_js) > fitted_zoom + 0.2, what="zoomed in")
    time.sleep(1.5)
    assert dash_duo.driver.execute_script(zoom_js) > fitted_zoom + 0.2  # plotly: 1.05 × zoom


STREET_LINES_JS = """
var map = window.quartiersatlasMap.leafletMap(), n = 0;
if (!map) { return 0; }
map.eachLayer(function (l) {
  if (l.feature && l instanceof L.Polyline && !(l instanceof L.Polygon)
      && l.feature.properties.kind === undefined) { n += 1; }
});
return n;
"""


def test_street_lines_arrive_from_their_url_after_the_map(dash_duo, make_app):
    """The street context is not in the layout; the browser fetches it and draws the lines."""
    app = make_app()
    dash_duo.start_server(app)
    wait_map_values(dash_duo)
    drawn = wait_for(
        lambda: dash_duo.driver.execute_script(STREET_LINES_JS) or None,
        what="street lines on the map",
    )
    # the bundled network has no names: the cap of unnamed lines applies
    assert 50 < drawn <= 400
    fetched = dash_duo.driver.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
        ".filter(n => n.indexOf('/_quartiersatlas/streets/') >= 0);"
    )
    assert len(fetched) == 1
