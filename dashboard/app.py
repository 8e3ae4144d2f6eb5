"""The Dash app factory: ``create_app()`` builds one app around one loaded dataset.

Nothing is loaded at import time. For gunicorn use the factory
``gunicorn 'dashboard.app:create_server()'``; ``quartiersatlas serve`` calls :func:`create_app`.
"""

from __future__ import annotations

import copy
import dataclasses
import threading
from pathlib import Path
from typing import Any

import dash
from dash import html
from dash.development.base_component import Component
from flask import Flask

from dashboard import deferred, figures, ids, leaflet_map, map_context, security
from dashboard.context import AppContext, AppOptions, default_user_data_dir
from dashboard.layout import build_layout
from dashboard.workspace import WorkspaceSettings
from dashboard.workspace import install as install_workspaces
from layers._resources import bundled_dir
from layers.dataset import Dataset, default_dataset_path, load_dataset

EXTENSION_KEY = "quartiersatlas"
"""Key of the :class:`AppContext` in ``app.server.extensions``."""
LAYER_FILES_KEY = "quartiersatlas_layer_files"
"""Key of the app's :class:`~dashboard.deferred.LayerFiles` in ``app.server.extensions``."""

INDEX = """<!DOCTYPE html>
<html lang="de">
    <head>
        {%metas%}
        <title>{%title%}</title>
        {%favicon%}
        {%css%}
    </head>
    <body>
        {%app_entry%}
        <footer>
            {%config%}
            {%scripts%}
            {%renderer%}
        </footer>
    </body>
</html>"""

SET_LANG_JS = """
function(lang) { document.documentElement.lang = lang || "de"; return window.dash_clientside.no_update; }
"""

FIT_JS = """
function(className, bounds) {
    // after a view change (panels shown or hidden) let the map re-measure its container;
    // in council mode fit the whole city into the large map
    var present = / present/.test(className || "");
    var tries = 0;
    var timer = setInterval(function() {
        tries += 1;
        var map = window.quartiersatlasMap && window.quartiersatlasMap.leafletMap();
        if (map || tries > 40) {
            clearInterval(timer);
            if (map) {
                map.invalidateSize({pan: false});
                if (present && bounds) {
                    map.fitBounds([[bounds[1], bounds[0]], [bounds[3], bounds[2]]],
                                  {padding: [24, 24], animate: false});
                }
            }
        }
    }, 150);
    return window.dash_clientside.no_update;
}
"""

FULLSCREEN_JS = """
function(present, exit) {
    // council mode: full screen on the user's click (browsers allow it only after a gesture)
    var trigger = window.dash_clientside.callback_context.triggered.map(t => t.prop_id)[0] || "";
    try {
        if (trigger.indexOf("present-button") === 0 && document.documentElement.requestFullscreen
            && !document.fullscreenElement) {
            document.documentElement.requestFullscreen().catch(function() {});
        } else if (trigger.indexOf("present-exit-button") === 0 && document.fullscreenElement) {
            document.exitFullscreen().catch(function() {});
        }
    } catch (e) {}
    return window.dash_clientside.no_update;
}
"""

OPEN_COMPARE_JS = """
function(hidden) {
    // mount the compare map (and load plotly.js) the first time the compare view is shown
    return hidden ? window.dash_clientside.no_update : "on";
}
"""

SHARE_JS = """
function(n) {
    if (!n) { return [window.dash_clientside.no_update, window.dash_clientside.no_update]; }
    var url = window.location.href;
    try { navigator.clipboard.writeText(url); } catch (e) {}
    return [url, false];
}
"""


STATIC_PREFIXES = (
    "/_dash-component-suites/",
    "/assets/",
    map_context.STREETS_ROUTE,
    deferred.ROUTE,
    "/_dash-layout",  # the same for every page load of an app (``serve_layout_once``)
)
STATIC_BROTLI_QUALITY = 11
"""Static scripts are compressed once at the highest brotli level (plotly.min.js: 4.8 MB raw,
1.41 MB gzip, 1.11 MB brotli 11; about 8 s of CPU), in the background, and kept on disk so
that every process and worker reuses them; dynamic responses use Flask-Compress's fast levels."""


def static_cache_dir() -> Path:
    """Folder of the brotli-compressed static files (the user's cache dir)."""
    try:
        from platformdirs import user_cache_dir

        return Path(user_cache_dir("quartiersatlas", appauthor=False)) / "static-br"
    except ImportError:  # pragma: no cover
        return Path.home() / ".cache" / "quartiersatlas" / "static-br"


def precompress_static(server: Flask, folder: Path) -> None:
    """Serve Dash's scripts and the assets brotli-compressed at the highest level.

    A static file not compressed yet is served as usual (Flask-Compress, fast level) while a
    background thread compresses it into ``folder`` (keyed by content hash, written
    atomically); later requests get the small file. Registered after Flask-Compress, so it runs
    first (Flask calls ``after_request`` hooks in reverse order) and Flask-Compress then leaves
    the encoded response alone.
    """
    import hashlib
    import threading

    import brotli
    from flask import request

    from layers._atomic import atomic_write_bytes

    memory: dict[str, bytes] = {}
    running: set[str] = set()
    lock = threading.Lock()

    def compress(key: str, data: bytes) -> None:
        try:
            packed = brotli.compress(data, quality=STATIC_BROTLI_QUALITY)
            atomic_write_bytes(folder / f"{key}.br", packed)
            with lock:
                memory[key] = packed
        except OSError:  # a read-only cache folder only costs bytes, never a failure
            pass
        finally:
            with lock:
                running.discard(key)

    @server.after_request
    def _brotli_static(response):
        if (
            request.method != "GET"
            or response.status_code != 200
            or not request.path.startswith(STATIC_PREFIXES)
            or "br" not in request.headers.get("Accept-Encoding", "")
            or "Content-Encoding" in response.headers
        ):
            return response
        response.direct_passthrough = False
        raw = response.get_data()
        if len(raw) < 20_000:
            return response
        key = hashlib.sha256(raw).hexdigest()[:24]
        with lock:
            packed = memory.get(key)
        if packed is None:
            path = folder / f"{key}.br"
            if path.is_file():
                packed = path.read_bytes()
                with lock:
                    memory[key] = packed
            else:
                with lock:
                    start = key not in running
                    running.add(key)
                if start:
                    # named as warm-up: a preloading master lets it finish before forking
                    threading.Thread(
                        target=compress, args=(key, raw), name="warm-up-compress", daemon=True
                    ).start()
                return response
        response.set_data(packed)
        response.headers["Content-Encoding"] = "br"
        response.headers["Content-Length"] = str(len(packed))
        vary = response.headers.get("Vary")
        response.headers["Vary"] = f"{vary}, Accept-Encoding" if vary else "Accept-Encoding"
        return response


LAZY_CHUNKS = {
    ("dash_core_components", "Slider"): ("dash", "dcc/async-slider.js"),
    ("dash_core_components", "Dropdown"): ("dash", "dcc/async-dropdown.js"),
    ("dash_core_components", "Upload"): ("dash", "dcc/async-upload.js"),
    ("dash_leaflet", "GeoJSON"): ("dash_leaflet", "async-GeoJSON.js"),
}
"""Code chunks that a component loads only once it renders: (namespace, type) -> (package, file)."""


def preload_links(app: dash.Dash, layout: Component) -> str:
    """``<link rel=preload>`` tags for the lazy code chunks of the components in ``layout``.

    Dash's slider, dropdown and upload and dash-leaflet's GeoJSON fetch their code when they
    first render, i.e. after the layout has arrived: four round trips one after the other before
    the map can draw. Announced in the page head, they load in parallel with the main bundles.
    A chunk missing from the installed package version is left out.
    """
    import importlib

    wanted = {
        LAZY_CHUNKS[(c._namespace, c._type)]
        for c in [layout, *layout._traverse()]
        if isinstance(c, Component) and (c._namespace, c._type) in LAZY_CHUNKS
    }
    links = []
    for package, file in sorted(wanted):
        if not (Path(importlib.import_module(package).__file__).parent / file).is_file():
            continue
        href = app.get_relative_path(f"/_dash-component-suites/{package}/{file}")
        links.append(f'<link rel="preload" href="{href}" as="script">')
    return "\n        ".join(links)


PRELOADED_REQUESTS = ("_dash-layout", "_dash-dependencies")
"""What Dash's renderer fetches first, once its scripts have run (layout and callback list)."""


def preload_requests(app: dash.Dash) -> str:
    """``<link rel=preload as=fetch>`` tags for the layout and the callback list.

    The renderer asks for them only once all scripts have loaded and run; announced in the page
    head, they arrive beside the scripts. ``crossorigin="anonymous"`` gives the preload the
    renderer's own request mode (``fetch`` with same-origin credentials), so the browser hands
    the preloaded response to that request instead of fetching it again.
    """
    return "\n        ".join(
        f'<link rel="preload" href="{app.get_relative_path("/" + path)}" as="fetch" '
        'crossorigin="anonymous">'
        for path in PRELOADED_REQUESTS
    )


def validation_skeleton(layout: Component) -> html.Div:
    """Every component of ``layout`` that has an id, flat and without its other properties.

    Dash checks each callback's ids and properties against a validation layout; with a layout
    function it would embed a second full copy of the layout (geometry included) in every page.
    Each component keeps its type and id, which is all the check reads, so a typo in a callback
    id is still reported, for a few kilobytes.
    """
    skeleton = []
    for component in [layout, *layout._traverse()]:
        if not isinstance(component, Component) or getattr(component, "id", None) is None:
            continue
        bare = copy.copy(component)
        for name in list(bare.to_plotly_json()["props"]):  # props and aria-*/data-* attributes
            if name != "id":
                delattr(bare, name)
        skeleton.append(bare)
    return html.Div(skeleton)


def make_options(**options: Any) -> AppOptions:
    """:class:`AppOptions` from keyword options; unknown names raise ``TypeError``."""
    valid = {f.name for f in dataclasses.fields(AppOptions)}
    unknown = sorted(set(options) - valid)
    if unknown:
        raise TypeError(
            f"unknown option(s) {', '.join(unknown)}; valid options: {', '.join(sorted(valid))}"
        )
    if options.get("user_data_dir") is not None:
        options["user_data_dir"] = Path(options["user_data_dir"])
    else:
        options["user_data_dir"] = default_user_data_dir()
    return AppOptions(**options)


def create_app(
    dataset: Dataset | None = None,
    *,
    data_dir: str | Path | None = None,
    background_callback_manager: Any = None,
    workspace: WorkspaceSettings | None = None,
    **options: Any,
) -> dash.Dash:
    """Build the dashboard for ``dataset`` (or the dataset in ``data_dir``, or the default one).

    Parameters
    ----------
    dataset
        A loaded dataset; when None it is loaded from ``data_dir``.
    data_dir
        Dataset folder; default ``$QUARTIERSATLAS_DATA`` or the bundled ``data/karlsruhe``.
    background_callback_manager
        A Dash background callback manager (``dashboard.jobs.background_callback_manager()``);
        with one, site suggestions run as background jobs through its queue (shared by all
        workers), without one they run inside the request.
    workspace
        Workspace, session-cookie and upload-cap settings; default
        :meth:`WorkspaceSettings.from_env` (see docs/configuration.md).
    **options
        Fields of :class:`dashboard.context.AppOptions`, e.g. ``small_count_threshold=50``,
        ``upload_max_bytes=10_000_000``, ``user_data_dir="…"``, ``hex_edge_m=200``.

    Returns
    -------
    dash.Dash
        The app; its :class:`AppContext` is ``app.server.extensions["quartiersatlas"]``.
    """
    opts = make_options(**options)
    if dataset is None:
        dataset = load_dataset(data_dir if data_dir is not None else default_dataset_path())
    ctx = AppContext(dataset, opts)
    from dashboard.callbacks.url_state import default_state

    state = default_state(ctx)
    # compute the default view once now, so that the first page load does not wait for it
    ctx.coverage(
        state.categories,
        radius_m=state.radius_m,
        year=state.year,
        group=state.group,
        level=state.level,
    )
    cache_dir = opts.static_cache_dir or static_cache_dir()
    streets = map_context.StreetStore(dataset, cache_dir, max_lines=opts.max_street_lines)
    base = leaflet_map.base_map(
        areas=ctx.geo["district"],
        facilities=leaflet_map.facility_features(
            ctx.facilities_wgs, {c.id: c.colour for c in dataset.categories}
        ),
    )
    # the layers the first map does not need (deferred.URL_LAYERS, DATA_LAYERS)
    files = deferred.LayerFiles()
    later = deferred.later_layers(
        [files.add("gaps", ctx.hexes.geojson), files.add("labels", ctx.labels), streets.url],
        [leaflet_map.border_features(ctx.outline)],
    )
    compare = figures.change_map_figure(
        ctx.geo["district"], ctx.geo.get("planning_area"), ctx.outline
    )
    server = Flask(__name__)
    # dynamic responses: brotli (or gzip) at fast levels; zstd's default level packs worse here
    server.config.setdefault("COMPRESS_ALGORITHM", ["br", "gzip", "deflate"])
    server.config.setdefault("COMPRESS_BR_LEVEL", 5)
    app = dash.Dash(
        __name__,
        server=server,
        title=opts.title or f"Quartiersatlas {dataset.metadata.city}".strip(),
        assets_folder=str(bundled_dir("assets")),
        compress=True,
        serve_locally=True,
        background_callback_manager=background_callback_manager,
        update_title=None,
        on_error=security.callback_error,
        meta_tags=[
            {"name": "viewport", "content": "width=device-width, initial-scale=1"},
            {"name": "description", "content": "Quartiersatlas: soziale Infrastruktur"},
        ],
    )
    precompress_static(server, cache_dir)
    map_context.install_street_route(server, streets)
    deferred.install_route(server, files)
    server.extensions[LAYER_FILES_KEY] = files
    install_workspaces(
        server, workspace or WorkspaceSettings.from_env(), user_data_dir=opts.user_data_dir
    )
    first_layout = build_layout(ctx, base, compare, state, deferred=later)
    preload = preload_links(app, first_layout) + "\n        " + preload_requests(app)
    app.index_string = INDEX.replace("{%css%}", preload + "\n        {%css%}")
    # set before the layout function, so that Dash does not embed the full layout as its own
    app.validation_layout = validation_skeleton(first_layout)
    # a function, so that a page load reads the URL's language and state defaults afresh
    app.layout = lambda: build_layout(ctx, base, compare, state, deferred=later)
    server.extensions[EXTENSION_KEY] = ctx

    from dashboard.callbacks import register_all

    register_all(app, ctx)
    register_clientside(app)
    security.install(app, opts)
    serve_layout_once(app)
    return app


def serve_layout_once(app: dash.Dash) -> None:
    """Answer ``/_dash-layout`` with the layout serialised once (400 kB, 30 ms per page load).

    The layout function depends only on what the app was built with (the per-page parts,
    uploads and the URL's state, come through callbacks), so every page load got the same
    JSON, serialised anew. Registered last, so the workspace cookie, rate gates and security
    hooks run first; Flask-Compress and the brotli cache still see the response.
    """
    from dash._utils import to_json
    from flask import Response, request

    path = app.config.routes_pathname_prefix + "_dash-layout"
    cached: list[bytes] = []

    @app.server.before_request
    def _cached_layout() -> Response | None:
        if request.path != path or request.method != "GET":
            return None
        if not cached:
            cached.append(to_json(app.get_layout()).encode("utf-8"))
        return Response(cached[0], mimetype="application/json")


def register_clientside(app: dash.Dash) -> None:
    """The callbacks that run in the browser: language, fitting, full screen, share.

    The map's restyle is no callback: ``assets/map.js`` follows the style store itself.
    """
    app.clientside_callback(
        SET_LANG_JS,
        dash.Output(ids.PRINT_DUMMY, "data", allow_duplicate=True),
        dash.Input(ids.LANG, "value"),
        prevent_initial_call=True,
    )
    app.clientside_callback(
        FIT_JS,
        dash.Output(ids.RESIZE_DUMMY, "data"),
        dash.Input(ids.PAGE, "className"),
        dash.State(ids.MAP_BOUNDS, "data"),
    )
    app.clientside_callback(
        FULLSCREEN_JS,
        dash.Output(ids.PRINT_DUMMY, "data", allow_duplicate=True),
        dash.Input(ids.PRESENT_BUTTON, "n_clicks"),
        dash.Input(ids.PRESENT_EXIT, "n_clicks"),
        prevent_initial_call=True,
    )
    map_context.register(app)
    deferred.register(app)
    app.clientside_callback(
        OPEN_COMPARE_JS,
        dash.Output(ids.COMPARE_LAZY, "value"),
        dash.Input(ids.COMPARE_WRAP, "hidden"),
        prevent_initial_call=True,
    )
    app.clientside_callback(
        SHARE_JS,
        dash.Output(ids.SHARE_LINK, "children"),
        dash.Output(ids.SHARE_LINK, "hidden"),
        dash.Input(ids.SHARE_BUTTON, "n_clicks"),
        prevent_initial_call=True,
    )


def warm_up_in_background(app: dash.Dash) -> threading.Thread:
    """Build what a first request would otherwise wait for, beside serving (servers call this).

    The page's scripts compressed at the highest level (a fresh installation has none yet) and
    the address index (fuzzy search; about a second to build): without this, the first visitor
    of each worker gets larger files and the first coordinator's search waits. Then what the
    process holds is frozen for the garbage collector (:func:`freeze_long_lived`).
    """
    ctx = get_context(app)

    def warm_up() -> None:
        compress_page_files(app)
        ctx.address_index  # noqa: B018 (built on first access)
        freeze_long_lived()

    thread = threading.Thread(target=warm_up, name="warm-up", daemon=True)
    thread.start()
    return thread


def freeze_long_lived() -> None:
    """Leave what the process holds now out of Python's cyclic garbage collection (``gc.freeze``).

    The dataset, the app and their caches are hundreds of thousands of objects that live as
    long as the process, and every full collection walked them all: with Berlin, 240,000
    objects and pauses of about 80 ms in the middle of a request (the slow slider steps). Frozen,
    a collection walks only what came later. Called when the warm-up ends, so that a preloading
    gunicorn master forks with them frozen (as ``gc.freeze``'s documentation advises; it also
    keeps the collector from writing to the pages the workers share), and again with each new
    data version: what was frozen is first collected once, so the old version's objects go.
    """
    import gc

    gc.unfreeze()
    gc.collect()
    gc.freeze()


def compress_page_files(app: dash.Dash) -> None:
    """Ask once for every script and style that the page names, and the deferred map layers.

    :func:`precompress_static` compresses a file on its first request, in the background: after
    this, the first visitor already gets the files compressed at the highest level.
    """
    import re

    with app.server.test_request_context("/"):
        page = app.index()
    client = app.server.test_client()
    for url in re.findall(r'(?:src|href)="([^"]+)"', page):
        if url.startswith(app.get_relative_path("/")) and url.split("?")[0].endswith(
            (".js", ".css")
        ):
            client.get(url, headers={"Accept-Encoding": "br"})
    files = app.server.extensions.get(LAYER_FILES_KEY)
    for url in files.urls if files is not None else []:
        client.get(url, headers={"Accept-Encoding": "br"})


def get_context(app: dash.Dash) -> AppContext:
    """The :class:`AppContext` of an app made by :func:`create_app`."""
    return app.server.extensions[EXTENSION_KEY]


def create_server(**options: Any) -> Flask:
    """WSGI entry point for gunicorn: ``gunicorn 'dashboard.app:create_server()'``."""
    return create_app(**options).server
