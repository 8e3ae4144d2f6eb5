"""On site: the nearest services around an address, a map click or the browser's location.

Address search with autocomplete (server-side matching), map click or browser geolocation give
a location; the nearest services per category with distances and what is missing within the
distance come from :func:`layers.nearby.nearby`. The list is printable.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

import dash
from dash import Input, Output, State, html

from dashboard import ids
from dashboard.callbacks.map import distance_text, source_line
from dashboard.i18n import fmt_date, fmt_distance, fmt_number, label, t
from dashboard.state import SPEEDS_KMH, ViewState
from layers.geocode import MAX_QUERY_CHARS, bounded_query

if TYPE_CHECKING:
    from dashboard.context import AppContext

GEOLOCATE_JS = """
function(n) {
    if (!n) { return window.dash_clientside.no_update; }
    return new Promise(function(resolve) {
        if (!navigator.geolocation) {
            resolve({error: "no geolocation", ts: Date.now()});
            return;
        }
        navigator.geolocation.getCurrentPosition(
            function(pos) {
                resolve({lat: pos.coords.latitude, lon: pos.coords.longitude, ts: Date.now()});
            },
            function(err) { resolve({error: err.message || String(err.code), ts: Date.now()}); },
            {enableHighAccuracy: true, timeout: 10000, maximumAge: 60000}
        );
    });
}
"""

PRINT_JS = """
function(n) {
    // print once per click: a re-rendered button reports its old count again
    if (n && window.quartiersatlasPrinted !== n) {
        window.quartiersatlasPrinted = n;
        window.print();
    }
    return window.dash_clientside.no_update;
}
"""

CLEAR_STALE_OPTIONS_JS = """
function(search, value) {
    // while the server looks up the new text, offer nothing from the previous one (a stale
    // "Rheinstraße 112" must not be taken with Enter for "Rheinstraße 12"); the chosen
    // address stays so that the box keeps showing it
    if (!search) { return window.dash_clientside.no_update; }
    return value ? [{label: value, value: value}] : [];
}
"""


def coordinator_key(state: ViewState) -> list:
    """What the result list depends on."""
    return [
        state.view,
        state.location,
        state.address,
        list(state.categories),
        round(state.radius_m, 1),
        state.speed,
        state.distance_mode,
        state.lang,
    ]


def address_options(found: list[str], query: str, value: str | None) -> list[dict[str, str]]:
    """Dropdown options of the server's matches for ``query``.

    Each option carries the query as its search text, so the dropdown's own filter (which knows
    neither abbreviations nor typos) never hides a match the server found ("Kaiserstr. 1",
    "Rheinstrase 12").
    """
    if value and value not in found:
        found = [value, *found]
    return [{"label": a, "value": a, "search": f"{a} {query}"} for a in found]


def location_header(ctx: AppContext, state: ViewState) -> list[Any]:
    """Title, place, date and distance rule of the list (also the head of the printout)."""
    lang = state.lang
    assert state.location is not None
    lat, lon = state.location
    place = state.address or t(
        "coord_map_point",
        lang,
        lat=fmt_number(lat, lang, decimals=5),
        lon=fmt_number(lon, lang, decimals=5),
    )
    return [
        html.H3(t("coord_print_title", lang), className="print-only print-title"),
        html.P(
            [html.Strong(f"{t('coord_location', lang)}: "), place],
            className="coord-place",
        ),
        html.P(
            t(
                "coord_rule",
                lang,
                d=distance_text(state, lang),
                speed=t(f"speed_{state.speed}", lang),
            )
            + " "
            + t("coord_straight_line", lang),
            className="hint coord-rule",
        ),
        html.P(
            t("coord_printed", lang, date=fmt_date(date.today(), lang)),
            className="print-only hint",
        ),
    ]


def facility_item(f: dict[str, Any], state: ViewState, speed_m_min: float) -> html.Li:
    """One facility of the list: name, kind and address, distance and straight-line minutes."""
    lang = state.lang
    dist = f["distance_m"]
    return html.Li(
        className="near-item" + (" within" if dist <= state.radius_m else ""),
        children=[
            html.Div(facility_label(f, lang), className="near-name"),
            html.Div(
                " · ".join(x for x in (f.get("subcategory"), f.get("address")) if x),
                className="near-meta",
            ),
            html.Div(
                f"{fmt_distance(dist, lang)} "
                + t("coord_straight_short", lang)
                + " · "
                + t("walk_min", lang, min=fmt_number(dist / speed_m_min, lang)),
                className="near-dist",
            ),
        ],
    )


def facility_label(f: dict[str, Any], lang: str) -> str:
    """The facility's name, or its kind when the source names none."""
    name = (f.get("name") or "").strip()
    if name:
        return name
    kind = (f.get("subcategory") or "").strip()
    return t("coord_unnamed", lang, kind=kind) if kind else t("coord_unnamed_plain", lang)


def category_section(
    ctx: AppContext, state: ViewState, cat: str, info: dict[str, Any], speed_m_min: float
) -> html.Section:
    """The nearest facilities of one category and how many lie within the distance."""
    lang = state.lang
    category = ctx.dataset.category(cat)
    items = [facility_item(f, state, speed_m_min) for f in info.get("nearest", [])]
    return html.Section(
        className="near-cat",
        children=[
            html.H3(
                [
                    html.Span(className="swatch", style={"backgroundColor": category.colour}),
                    label(category, lang),
                    html.Span(
                        f" · {t('coord_within', lang, d=distance_text(state, lang))}: "
                        f"{info.get('within_radius', 0)}",
                        className="near-count",
                    ),
                ]
            ),
            html.Ol(items, className="near-list")
            if items
            else html.P(t("coord_none", lang), className="hint"),
        ],
    )


def coordinator_children(ctx: AppContext, state: ViewState) -> list[Any]:
    """Nearest services per category, what is missing within the distance (printable list)."""
    lang = state.lang
    if not state.location:
        return []
    lat, lon = state.location
    cats = list(ctx.category_ids)  # on site every service counts, whatever the map shows
    result = ctx.nearby(lat, lon, categories=cats, radius_m=state.radius_m)
    d_txt = distance_text(state, lang)
    speed_m_min = SPEEDS_KMH.get(state.speed, 4.5) * 1000 / 60
    missing = [label(ctx.dataset.category(c), lang) for c in result["missing"]]
    return [
        *location_header(ctx, state),
        html.P(
            t("coord_missing", lang, d=d_txt, cats=", ".join(missing))
            if missing
            else t("coord_all_there", lang, d=d_txt),
            className="missing" if missing else "all-there",
        ),
        *[
            category_section(ctx, state, cat, result["categories"].get(cat, {}), speed_m_min)
            for cat in cats
        ],
        html.P(source_line(ctx, lang), className="print-only hint print-source"),
    ]


def register(app: dash.Dash, ctx: AppContext) -> None:
    """Register the coordinator callbacks."""

    @app.callback(
        Output(ids.ADDRESS, "options"),
        Input(ids.ADDRESS, "search_value"),
        State(ids.ADDRESS, "value"),
        prevent_initial_call=True,
    )
    def update_address_options(search: str | None, value: str | None) -> list:
        if not search or not isinstance(search, str):
            raise dash.exceptions.PreventUpdate
        # cut before any matching: a 100 kB search text cost a worker its 120 s timeout
        query = bounded_query(search)
        if not isinstance(value, str) or len(value) > MAX_QUERY_CHARS:
            value = None
        return address_options(ctx.address_suggestions(query), query, value)

    app.clientside_callback(
        CLEAR_STALE_OPTIONS_JS,
        Output(ids.ADDRESS, "options", allow_duplicate=True),
        Input(ids.ADDRESS, "search_value"),
        State(ids.ADDRESS, "value"),
        prevent_initial_call=True,
    )

    app.clientside_callback(
        GEOLOCATE_JS,
        Output(ids.GEO_STORE, "data"),
        Input(ids.GEOLOCATE, "n_clicks"),
        prevent_initial_call=True,
    )
    app.clientside_callback(
        PRINT_JS,
        Output(ids.PRINT_DUMMY, "data"),
        Input(ids.COORD_PRINT, "n_clicks"),
        prevent_initial_call=True,
    )

    @app.callback(
        Output(ids.GEO_STATUS, "children"),
        Input(ids.GEO_STORE, "data"),
        State(ids.LANG, "value"),
        prevent_initial_call=True,
    )
    def geo_status(geo: dict | None, lang: str) -> str:
        geo = geo or {}
        if geo.get("error"):
            return t("geo_denied", lang, reason=geo["error"])
        if geo.get("lat") is not None and not ctx.inside_city(geo["lat"], geo["lon"]):
            return t("geo_outside", lang)
        return ""

    @app.callback(
        Output(ids.COORD_RESULT, "children"),
        Output(ids.COORD_KEY, "data"),
        Input(ids.COORD_TRIGGER, "data"),
        State(ids.STATE, "data"),
        State(ids.COORD_KEY, "data"),
        prevent_initial_call=True,
    )
    def update_result(_trigger: object, data: dict | None, key: list | None) -> tuple:
        if data is None:
            raise dash.exceptions.PreventUpdate
        state = ViewState.from_dict(data)
        if state.view != "coordinator":
            raise dash.exceptions.PreventUpdate
        new_key = coordinator_key(state)
        if new_key == key:
            raise dash.exceptions.PreventUpdate
        return coordinator_children(ctx, state), new_key
