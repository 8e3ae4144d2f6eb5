"""Dashboard speed in headless Chromium: first load and control changes, with a baseline.

Measures what a user's browser does, through Chrome DevTools performance logs (bytes on the wire,
``Network.loadingFinished.encodedDataLength``) and timestamps taken in the page
(``performance.now()``):

* first load: bytes transferred until the map shows values, and time to interactive (navigation
  start until the map has its values and Dash has no callback in flight);
* control change (the walking distance, one slider step at a time from 100 m up, every value
  new except the first load's 500 m): bytes
  transferred per change and input → updated map latency (keydown until the map has painted
  the new values: the ``quartiersatlas:map-drawn`` event of ``assets/map.js``, sent
  after the frame in which Leaflet drew the restyled features), p50 and p95.

Baselines measured in the same run, printed side by side:

* ``identity``: the same page and changes with HTTP compression off (``Accept-Encoding:
  identity``);
* ``plotly map``: the time the plotly map (the figure of the exports, which the app showed up to
  session 2) needs to draw the values of the same changes with ``Plotly.react``, against the
  Leaflet map's "last response -> map drawn".

Budgets (issue 6): first load ≤ 2 MB and interactive ≤ 2 s. Issue 16: each control change
≤ 20 kB and p95 ≤ 100 ms; first load ≤ 0.25 × the bytes of a bare Dash page with one plotly
Choroplethmap of the same areas (measured in the same run, ``bare_plotly_page``), first map
painted ≤ 1.2 s from navigation start and ≤ 0.6 × the bare page's. "First map painted" is
taken in the page: navigation start (``performance.now()`` origin) to the end of the frame after
the first draw call on a map canvas (2D for Leaflet, WebGL for plotly's MapLibre maps), not a
Dash event. Issue 16, Berlin (``--berlin``: the 542 planning areas with grid residents as the
tests build them, :mod:`benchmarks.berlin`): first load ≤ 1 MB, first map painted ≤ 2 s, slider
p95 ≤ 150 ms. Every wait for the page (map ready, change drawn, no callback in flight) is checked
in the page itself every 10 ms, so the benchmark adds no WebDriver calls to the main thread
while a change is measured. Run::

    .venv/bin/python benchmarks/dashboard.py [--data data/karlsruhe | --berlin] [--changes 38]

It starts the app on 127.0.0.1 (random port) in this process and stops it at the end. The
machine's load average (``/proc/loadavg``) is printed before and after each session: on a
shared machine, compare the app with the baselines of the same run, not across runs.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# this file is called dashboard.py: keep its folder off the import path so that
# `import dashboard` finds the package, not this script
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).parent]
sys.path.insert(0, str(ROOT))
BUDGET = {
    "load_bytes": 2_000_000,
    "first_map_ms": 1200,
    "tti_ms": 2000,
    "change_bytes": 20_000,  # issue 16 (issue 6: 50 kB)
    "change_p95_ms": 100,  # issue 16 (issue 6: 150 ms)
}
BERLIN_BUDGET = BUDGET | {"load_bytes": 1_000_000, "first_map_ms": 2000, "change_p95_ms": 150}


def loadavg() -> str:
    """The 1, 5 and 15 minute load averages (empty where /proc is missing)."""
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return ""


PAINT_PROBE = """
(function () {
  // first painted map canvas: the first draw call on a 2D canvas (Leaflet's canvas renderer) or
  // a WebGL canvas (plotly's MapLibre maps), then the end of the frame that shows it
  window.__qaPaint = null;
  var drawn = false;
  function mark() {
    if (drawn) { return; }
    drawn = true;
    requestAnimationFrame(function () { setTimeout(function () {
      window.__qaPaint = performance.now();
    }, 0); });
  }
  function wrap(proto, names) {
    if (!proto) { return; }
    names.forEach(function (name) {
      var original = proto[name];
      if (!original) { return; }
      proto[name] = function () {
        var canvas = this.canvas;
        if (canvas && canvas.closest && canvas.closest('.leaflet-container, .js-plotly-plot')) {
          mark();
        }
        return original.apply(this, arguments);
      };
    });
  }
  wrap(window.CanvasRenderingContext2D && CanvasRenderingContext2D.prototype, ['fill', 'stroke']);
  wrap(window.WebGLRenderingContext && WebGLRenderingContext.prototype, ['drawElements', 'drawArrays']);
  wrap(window.WebGL2RenderingContext && WebGL2RenderingContext.prototype, ['drawElements', 'drawArrays']);
})();
"""

PAGE_PROBE = """
(function () {
  performance.setResourceTimingBufferSize(100000);
  window.__qa = {ready: null, changes: []};
  function idle() { return !document.querySelector('[data-dash-is-loading="true"]'); }
  // the map tells when it has painted restyled features (assets/map.js)
  window.addEventListener('quartiersatlas:map-drawn', function () {
    if (window.__qa.ready !== null) { window.__qa.changes.push(performance.now()); }
  });
  var timer = setInterval(function () {
    var api = window.quartiersatlasMap;
    if (window.__qa.ready === null && api && api.drawnCount > 0 && idle()) {
      window.__qa.ready = performance.now();
      clearInterval(timer);
    }
  }, 5);
  document.addEventListener('keydown', function () { window.__qa.t0 = performance.now(); }, true);
})();
"""


def start_server(app):
    """Serve the app's Flask server on 127.0.0.1 (random port) in a daemon thread."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app.server, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, f"http://127.0.0.1:{server.server_port}"


def chrome():
    """Headless Debian Chromium with DevTools performance logging."""
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options

    options = Options()
    options.binary_location = "/usr/bin/chromium"
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1400,1000",
    ):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    return webdriver.Chrome(options=options)


def transferred(driver, *, path_part: str | None = None) -> tuple[int, int, float]:
    """Bytes on the wire (sum of encodedDataLength), request count and the span in ms from the
    first request sent to the last response finished, since the last call."""
    urls: dict[str, str] = {}
    total = count = 0
    first = last = None
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        method, params = message.get("method"), message.get("params", {})
        if method == "Network.requestWillBeSent":
            urls[params["requestId"]] = params["request"]["url"]
            if path_part is None or path_part in params["request"]["url"]:
                first = params["timestamp"] if first is None else min(first, params["timestamp"])
        elif method == "Network.loadingFinished":
            url = urls.get(params["requestId"], "")
            if path_part is None or path_part in url:
                total += int(params.get("encodedDataLength", 0))
                count += 1
                last = params["timestamp"] if last is None else max(last, params["timestamp"])
    span = (last - first) * 1000 if first is not None and last is not None else float("nan")
    return total, count, span


def wait(driver, script: str, timeout_s: float = 60.0):
    """Wait until ``script`` (a function body returning a value) returns a truthy value.

    The condition is checked in the page every 10 ms (``setTimeout``), not polled from here: a
    WebDriver call every few milliseconds is a task on the page's main thread and would slow
    the very updates being measured.
    """
    driver.set_script_timeout(timeout_s)
    return driver.execute_async_script(
        "var done = arguments[arguments.length - 1];"
        f"function condition() {{ {script} }}"
        "(function check() { var value = condition();"
        " if (value) { done(value); } else { setTimeout(check, 10); } })();"
    )


def run(dataset, *, changes: int, encoding: str | None) -> dict:
    """One measured session: first load and ``changes`` distance steps."""
    from selenium.webdriver.common.keys import Keys

    from dashboard.app import create_app, warm_up_in_background

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(dataset, user_data_dir=Path(tmp))
        warm_up_in_background(app).join()  # as `quartiersatlas serve` and gunicorn workers do
        server, url = start_server(app)
        driver = chrome()
        try:
            driver.execute_cdp_cmd("Network.enable", {})
            driver.execute_cdp_cmd("Network.setCacheDisabled", {"cacheDisabled": True})
            if encoding:
                driver.execute_cdp_cmd(
                    "Network.setExtraHTTPHeaders", {"headers": {"Accept-Encoding": encoding}}
                )
            driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": PAGE_PROBE})
            driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": PAINT_PROBE})
            driver.get_log("performance")
            driver.get(url + "/")
            tti = wait(driver, "return window.__qa && window.__qa.ready")
            first_paint = wait(driver, "return window.__qaPaint")
            time.sleep(1.0)  # late requests (fonts, async chunks) still belong to the load
            load_bytes, load_requests, _ = transferred(driver)
            plotly_loaded = driver.execute_script("return !!window.Plotly")

            handle = driver.find_element("css selector", "#controls-distance [role='slider']")
            driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", handle)
            # from the shortest distance up, so that up to 38 steps of 50 m stay on the slider
            before = driver.execute_script("return window.__qa.changes.length")
            handle.send_keys(Keys.HOME)
            wait(driver, f"return window.__qa.changes.length > {before}")
            latencies, sizes, phases = [], [], []
            for _ in range(changes):
                wait(driver, "return !document.querySelector('[data-dash-is-loading=\"true\"]')")
                time.sleep(0.15)
                transferred(driver)
                before = driver.execute_script("return window.__qa.changes.length")
                handle.send_keys(Keys.ARROW_RIGHT)  # +50 m: a value not seen before
                wait(driver, f"return window.__qa.changes.length > {before}")
                wait(driver, "return !document.querySelector('[data-dash-is-loading=\"true\"]')")
                time.sleep(0.2)
                t0, t1, first_start, last_end = driver.execute_script(
                    "var t0 = window.__qa.t0, t1 = window.__qa.changes[window.__qa.changes.length-1];"
                    "var r = performance.getEntriesByType('resource').filter(function (e) {"
                    " return e.name.indexOf('_dash-update-component') >= 0 && e.startTime >= t0"
                    " && e.responseEnd <= t1; });"
                    "var s = Math.min.apply(null, r.map(function (e) { return e.startTime; }));"
                    "var f = Math.max.apply(null, r.map(function (e) { return e.responseEnd; }));"
                    "return [t0, t1, s, f];"
                )
                latencies.append(t1 - t0)
                print(
                    f"  change {len(latencies)}: {t1 - t0:.0f} ms (keydown -> request "
                    f"{first_start - t0:.0f}, requests {last_end - first_start:.0f}, "
                    f"drawing {t1 - last_end:.0f})",
                    flush=True,
                )
                phases.append((first_start - t0, last_end - first_start, t1 - last_end))
                sizes.append(transferred(driver, path_part="_dash-update-component")[0])
        finally:
            driver.quit()
            server.shutdown()
    return {
        "load_bytes": load_bytes,
        "load_requests": load_requests,
        "tti_ms": tti,
        "first_map_ms": first_paint,
        "plotly_loaded": plotly_loaded,
        "change_bytes": statistics.median(sizes),
        "change_bytes_max": max(sizes),
        "p50_ms": statistics.median(latencies),
        "p95_ms": percentile(latencies, 95),
        "first_ms": latencies[0],
        "max_ms": max(latencies),
        "input_delay_p50_ms": statistics.median(p[0] for p in phases),
        "requests_p50_ms": statistics.median(p[1] for p in phases),
        "render_p50_ms": statistics.median(p[2] for p in phases),
        "render_p95_ms": percentile([p[2] for p in phases], 95),
    }


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    rank = max(1, round(q / 100 * len(ordered) + 0.5)) - 1
    return ordered[min(rank, len(ordered) - 1)]


PLOTLY_REACT = """
var fig = arguments[0], steps = arguments[1], done = arguments[arguments.length - 1];
var div = document.createElement('div');
var box = document.querySelector('#map-graph').getBoundingClientRect();
div.style.cssText = 'position:fixed;left:' + box.left + 'px;top:' + box.top + 'px;width:' +
  box.width + 'px;height:' + box.height + 'px;z-index:9999;background:#fff';
document.body.appendChild(div);
var times = [];
Plotly.newPlot(div, fig.data, fig.layout, {responsive: false}).then(function () {
  var k = 0;
  function step() {
    if (k >= steps.length) { div.remove(); done(times); return; }
    var upd = steps[k++];
    var data = div.data.map(function (t, i) { return Object.assign({}, t, upd[i] || {}); });
    var t0 = performance.now();
    Plotly.react(div, data, div.layout).then(function () {
      times.push(performance.now() - t0);
      setTimeout(step, 150);
    });
  }
  setTimeout(step, 1000);
});
"""


def plotly_render(dataset, *, changes: int) -> dict:
    """Baseline: the same distance changes drawn by the plotly map (the export figure).

    The page of the app is loaded, the plotly map figure is drawn over the Leaflet map at the
    same size, and each change's values (computed in this process with the same callback
    code) are handed to ``Plotly.react``; the time until plotly has drawn them is the
    counterpart of "last response -> map drawn" of the Leaflet map (no network involved).
    """
    import plotly

    from dashboard.app import create_app, get_context
    from dashboard.callbacks.url_state import default_state
    from dashboard.export_map import view_figure
    from dashboard.figures import Traces

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(dataset, user_data_dir=Path(tmp))
        ctx = get_context(app)
        state = default_state(ctx)
        first = view_figure(ctx, state)[0].to_plotly_json()
        steps = []
        for step in range(changes):
            state = state.with_(distance=100.0 + 50 * (step + 1))  # as the slider steps
            data = view_figure(ctx, state)[0].to_plotly_json()["data"]
            steps.append(
                {
                    i: {k: data[i].get(k) for k in ("z", "zmax", "customdata")}
                    for i in (Traces.DISTRICTS, Traces.GAPS)
                }
            )
        payload = json.loads(json.dumps(first, cls=plotly.utils.PlotlyJSONEncoder))
        server, url = start_server(app)
        driver = chrome()
        driver.set_script_timeout(300)
        try:
            driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": PAGE_PROBE})
            driver.get(url + "/")
            wait(driver, "return window.__qa && window.__qa.ready")
            # the app loads plotly.js only for the compare view; load Dash's copy here
            driver.execute_script(
                "var s = document.createElement('script');"
                "s.src = '/_dash-component-suites/plotly/package_data/plotly.min.js';"
                "document.head.appendChild(s);"
            )
            wait(driver, "return window.Plotly")
            times = driver.execute_async_script(PLOTLY_REACT, payload, steps)
        finally:
            driver.quit()
            server.shutdown()
    return {"p50_ms": statistics.median(times), "p95_ms": percentile(times, 95)}


def bare_plotly_page(dataset) -> dict:
    """Baseline: a bare Dash page with one plotly Choroplethmap of the same areas.

    The areas' display geometry and the default view's covered share, ``dcc.Graph`` with
    ``go.Choroplethmap`` on a white background; Dash's defaults with compression on, as the app.
    Same clocks as the app: bytes on the wire until the graph is drawn (plus 1 s), navigation
    start to the first painted map canvas.
    """
    import dash
    import plotly.graph_objects as go
    from dash import dcc, html

    from dashboard.app import create_app, get_context
    from dashboard.callbacks.url_state import default_state
    from layers.coverage import dataset_coverage

    with tempfile.TemporaryDirectory() as tmp:
        ctx = get_context(create_app(dataset, user_data_dir=Path(tmp)))
        state = default_state(ctx)
        geo = ctx.geo["district"]
    shares = dataset_coverage(dataset, categories=state.categories[:1], radius_m=state.radius_m)
    shares = shares[shares["area_id"].isin(geo.ids)].set_index("area_id")["share"]
    values = shares.reindex(geo.ids).tolist()
    figure = go.Figure(
        go.Choroplethmap(
            geojson=geo.geojson,
            locations=geo.ids,
            z=values,
            featureidkey="id",
            text=geo.names,
            colorscale="Blues",
            marker={"opacity": 0.8},
        ),
        layout={
            "map": {"style": "white-bg", "center": geo.center, "zoom": geo.zoom},
            "margin": {"l": 0, "r": 0, "t": 0, "b": 0},
        },
    )
    app = dash.Dash(__name__, compress=True, serve_locally=True)
    app.layout = html.Div(dcc.Graph(id="bare-map", figure=figure, style={"height": "600px"}))
    server, url = start_server(app)
    driver = chrome()
    try:
        driver.execute_cdp_cmd("Network.enable", {})
        driver.execute_cdp_cmd("Network.setCacheDisabled", {"cacheDisabled": True})
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": PAINT_PROBE})
        driver.get_log("performance")
        driver.get(url + "/")
        first_paint = wait(driver, "return window.__qaPaint")
        time.sleep(1.0)
        load_bytes, load_requests, _ = transferred(driver)
    finally:
        driver.quit()
        server.shutdown()
    return {"load_bytes": load_bytes, "load_requests": load_requests, "first_map_ms": first_paint}


def verdict(value: float, budget: float) -> str:
    return "ok" if value <= budget else "OVER"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--data", type=Path, default=ROOT / "data" / "karlsruhe")
    parser.add_argument(
        "--berlin",
        action="store_true",
        help="the Berlin test dataset (benchmarks/berlin.py) and its budgets instead of --data",
    )
    # more than 20: with 20 samples the nearest-rank p95 is the slowest change
    parser.add_argument("--changes", type=int, default=38)
    args = parser.parse_args()
    if not 1 <= args.changes <= 38:
        parser.error("--changes must be 1 to 38 (50 m steps from 100 m to 2,000 m)")

    from layers.dataset import load_dataset

    if args.berlin:
        import importlib.util

        # by path: this script's folder is kept off sys.path (see above)
        spec = importlib.util.spec_from_file_location(
            "berlin", Path(__file__).with_name("berlin.py")
        )
        berlin = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(berlin)
        args.data = berlin.berlin_dataset_dir()
        BUDGET.update(BERLIN_BUDGET)
    dataset = load_dataset(args.data)
    print(
        f"dataset: {dataset.metadata.name} ({len(dataset.districts)} districts, "
        f"{len(dataset.resident_points)} resident points, {len(dataset.facilities)} facilities)"
    )
    print(f"changes per session: {args.changes} (walking distance 100 m, then +50 m each)\n")
    loads = {"start": loadavg()}
    gz = run(dataset, changes=args.changes, encoding=None)
    loads["after compressed"] = loadavg()
    plain = run(dataset, changes=args.changes, encoding="identity")
    loads["after identity"] = loadavg()
    plotly_map = plotly_render(dataset, changes=args.changes)
    loads["after plotly map"] = loadavg()
    bare = bare_plotly_page(dataset)
    loads["after bare page"] = loadavg()
    print("load average (1/5/15 min): " + "; ".join(f"{k} {v}" for k, v in loads.items()))

    print("first load, app vs a bare Dash page with one plotly Choroplethmap of the same areas")
    print("(compressed; bytes on the wire until drawn + 1 s; navigation start -> first painted")
    print("map canvas, i.e. the end of the frame after the first canvas draw call):")
    print(f"{'':34} {'app':>14} {'bare page':>14} {'ratio':>8} {'budget':>8}  verdict")
    ratio_bytes = gz["load_bytes"] / bare["load_bytes"]
    ratio_paint = gz["first_map_ms"] / bare["first_map_ms"]
    # the ratio budgets are Karlsruhe's; Berlin's are absolute (≤ 1 MB, ≤ 2 s)
    ratio_budget = "–" if args.berlin else "0.25"
    print(
        f"{'first load: bytes':34} {gz['load_bytes']:>14,.0f} {bare['load_bytes']:>14,.0f} "
        f"{ratio_bytes:>8.2f} {ratio_budget:>8}  "
        + (
            f"{verdict(gz['load_bytes'], BUDGET['load_bytes'])} against {BUDGET['load_bytes']:,} B"
            if args.berlin
            else verdict(ratio_bytes, 0.25)
        )
    )
    print(
        f"{'first load: requests':34} {gz['load_requests']:>14.0f} {bare['load_requests']:>14.0f}"
    )
    print(
        f"{'first map painted (ms)':34} {gz['first_map_ms']:>14.0f} {bare['first_map_ms']:>14.0f} "
        f"{ratio_paint:>8.2f} {'0.6':>8}  {verdict(ratio_paint, 0.6)}"
        f" (and {verdict(gz['first_map_ms'], BUDGET['first_map_ms'])} against "
        f"{BUDGET['first_map_ms']} ms)"
    )
    print(f"plotly.js loaded by the app's first view: {gz['plotly_loaded']}\n")

    rows = [
        ("first load: bytes transferred", "load_bytes", "{:,.0f}", BUDGET["load_bytes"]),
        ("first load: requests", "load_requests", "{:.0f}", None),
        ("time to interactive (ms)", "tti_ms", "{:.0f}", BUDGET["tti_ms"]),
        ("control change: bytes (median)", "change_bytes", "{:,.0f}", BUDGET["change_bytes"]),
        ("control change: bytes (max)", "change_bytes_max", "{:,.0f}", BUDGET["change_bytes"]),
        ("input -> map p50 (ms)", "p50_ms", "{:.0f}", None),
        ("input -> map p95 (ms)", "p95_ms", "{:.0f}", BUDGET["change_p95_ms"]),
        ("input -> map: first measured (ms)", "first_ms", "{:.0f}", None),
        ("input -> map: slowest change (ms)", "max_ms", "{:.0f}", None),
        ("  p50 keydown -> first request", "input_delay_p50_ms", "{:.0f}", None),
        ("  p50 first request -> last response", "requests_p50_ms", "{:.0f}", None),
        ("  p50 last response -> map drawn", "render_p50_ms", "{:.0f}", None),
    ]
    print(f"{'measure':34} {'compressed':>14} {'identity':>14} {'budget':>12}  verdict")
    for title, key, fmt, budget in rows:
        budget_text = f"{budget:,}" if budget else ""
        mark = verdict(gz[key], budget) if budget else ""
        print(
            f"{title:34} {fmt.format(gz[key]):>14} {fmt.format(plain[key]):>14} "
            f"{budget_text:>12}  {mark}"
        )
    print()
    print("drawing the new values of a change, same changes (ms):")
    print(f"{'':34} {'Leaflet map':>14} {'plotly map':>14}")
    print(f"{'p50':34} {gz['render_p50_ms']:>14.0f} {plotly_map['p50_ms']:>14.0f}")
    print(f"{'p95':34} {gz['render_p95_ms']:>14.0f} {plotly_map['p95_ms']:>14.0f}")
    print(
        "(Leaflet: last response -> map painted, in the app; plotly: Plotly.react of the same "
        "values on the export figure, drawn over the map at its size)"
    )


if __name__ == "__main__":
    main()
