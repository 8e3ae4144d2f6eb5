"""First load: no plotly.js and no second copy of the layout; the compare view loads plotly on demand."""

from __future__ import annotations

from qa_browser import choose_radio, plotly_data, wait_for, wait_map_values

from dashboard import ids

PLOTLY_LOADED = (
    "return performance.getEntriesByType('resource')"
    ".filter(function(e) { return /plotly[^/]*\\.js/.test(e.name); }).length > 0"
    " || !!window.Plotly;"
)


def test_plan_view_loads_without_plotly_and_compare_loads_it(dash_duo, make_app):
    dash_duo.start_server(make_app())
    wait_map_values(dash_duo)
    assert not dash_duo.driver.execute_script(PLOTLY_LOADED)
    config = dash_duo.driver.execute_script(
        "return JSON.parse(document.getElementById('_dash-config').textContent);"
    )
    # the validation layout is a skeleton of ids, not the layout with its geometry again
    assert len(str(config.get("validation_layout"))) < 60_000
    choose_radio(dash_duo, ids.VIEW_TABS, "compare")
    wait_for(
        lambda: any(
            v is not None for v in (plotly_data(dash_duo, 0, "z", graph_id=ids.COMPARE_MAP) or [])
        ),
        what="values on the compare map",
    )
    assert dash_duo.driver.execute_script(PLOTLY_LOADED)
    # back to the plan view and again: the mounted compare map stays and keeps its values
    choose_radio(dash_duo, ids.VIEW_TABS, "plan")
    choose_radio(dash_duo, ids.VIEW_TABS, "compare")
    assert plotly_data(dash_duo, 0, "z", graph_id=ids.COMPARE_MAP) is not None
    assert not dash_duo.get_logs() or all(
        "nonexistent object" not in entry.get("message", "") for entry in dash_duo.get_logs()
    )


LAZY_CHUNK_TIMES = """
var entries = performance.getEntriesByType('resource');
var layout = entries.filter(function (e) { return e.name.indexOf('/_dash-layout') >= 0; })[0];
return {
  layoutEnd: layout ? layout.responseEnd : null,
  chunks: entries.filter(function (e) { return /\\/async-[^/]*\\.js/.test(e.name); })
    .map(function (e) { return [e.name.split('/').pop(), e.startTime]; })
};
"""


def test_lazy_chunks_load_once_and_beside_the_layout(dash_duo, make_app):
    """The chunks of slider, dropdown, upload and GeoJSON are preloaded from the page head: each
    is fetched once, and before the layout has arrived (not one after the other behind it)."""
    dash_duo.start_server(make_app())
    wait_map_values(dash_duo)
    times = dash_duo.driver.execute_script(LAZY_CHUNK_TIMES)
    names = [name for name, _ in times["chunks"]]
    assert sorted(names) == sorted(set(names)), f"a chunk was fetched twice: {names}"
    assert {"async-slider.js", "async-dropdown.js", "async-GeoJSON.js"} <= set(names)
    assert times["layoutEnd"] is not None
    late = [name for name, start in times["chunks"] if start >= times["layoutEnd"]]
    assert not late, f"requested only after the layout arrived: {late}"


FIRST_REQUESTS = """
var entries = performance.getEntriesByType('resource');
function named(part) { return entries.filter(function (e) { return e.name.indexOf(part) >= 0; }); }
var renderer = named('/dash-renderer/')[0];
return {
  renderer: renderer ? renderer.responseEnd : null,
  layout: named('/_dash-layout').map(function (e) { return e.startTime; }),
  dependencies: named('/_dash-dependencies').map(function (e) { return e.startTime; })
};
"""


def test_layout_and_callbacks_are_fetched_once_beside_the_scripts(dash_duo, make_app):
    """The page head preloads what the renderer asks for first: each is fetched once (the
    renderer takes the preloaded response) and before the renderer's own script has arrived."""
    dash_duo.start_server(make_app())
    wait_map_values(dash_duo)
    times = dash_duo.driver.execute_script(FIRST_REQUESTS)
    assert len(times["layout"]) == 1, times
    assert len(times["dependencies"]) == 1, times
    assert times["layout"][0] < times["renderer"]
    assert times["dependencies"][0] < times["renderer"]


DRAWN_JS = """
window.__qaFirstDrawn = null;
window.addEventListener("quartiersatlas:map-drawn", function () {
  if (window.__qaFirstDrawn === null) { window.__qaFirstDrawn = performance.now(); }
});
"""
HEALTH_REQUESTS = (
    "return performance.getEntriesByType('resource')"
    ".filter(function (e) { return /\\/healthz$/.test(e.name); })"
    ".map(function (e) { return e.startTime; });"
)


def test_store_banner_after_the_first_map(dash_duo, make_app):
    """The store check waits for the first drawn map, then shows a degraded store."""
    app = make_app()
    app.server.add_url_rule(
        "/healthz",
        "healthz_degraded",
        lambda: ({"status": "degraded", "loaded_at": "2026-12-06 08:00"}, 503),
    )
    dash_duo.start_server(app)
    dash_duo.driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": DRAWN_JS})
    dash_duo.driver.get(f"{dash_duo.server_url}/")
    wait_map_values(dash_duo)
    banner = wait_for(
        lambda: dash_duo.driver.execute_script(
            "var b = document.getElementById('store-status-banner');"
            "return b && b.style.display === 'block' ? b.textContent : null;"
        ),
        what="the store banner",
    )
    assert "Datenbank nicht erreichbar" in banner and "2026-12-06 08:00" in banner
    starts = dash_duo.driver.execute_script(HEALTH_REQUESTS)
    drawn = dash_duo.driver.execute_script("return window.__qaFirstDrawn")
    assert starts and drawn is not None and min(starts) > drawn


FALLBACK_TRAP_JS = """
window.__qaFallbacks = 0;
new MutationObserver(function (records) {
  records.forEach(function (record) {
    record.addedNodes.forEach(function (node) {
      if (node.nodeType === 1 && node.textContent === "Loading..." && node.closest &&
          node.closest(".leaflet-container")) { window.__qaFallbacks += 1; }
    });
  });
}).observe(document, {childList: true, subtree: true});
"""


def test_map_layers_render_without_a_loading_fallback(dash_duo, make_app):
    """dash-leaflet's GeoJSON code is loaded before the layout renders (assets/lazy_layers.js):
    no layer shows its Suspense fallback ("Loading..."), after which React would hold back the
    layers, and so the first map, for at least 500 ms (its fallback throttle)."""
    dash_duo.start_server(make_app())
    dash_duo.driver.execute_cdp_cmd(
        "Page.addScriptToEvaluateOnNewDocument", {"source": FALLBACK_TRAP_JS}
    )
    dash_duo.driver.get(f"{dash_duo.server_url}/")
    wait_map_values(dash_duo)
    assert dash_duo.driver.execute_script("return window.__qaFallbacks") == 0
