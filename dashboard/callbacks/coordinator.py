"""On site: the nearest services around an address, a map click or the browser's location.

Address search with autocomplete (server-side matching), map click or browser geolocation give
a location; the nearest services per category with distances and what is missing within the
distance come from :func:`layers.nearby.nearby`. The list is printable.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import dash
from dash import Input, Output, State, html

from dashboard import ids
from dashboard.callbacks.map import distance_text
from dashboard.i18n import fmt_distance, fmt_number, label, t
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
function(n) { if (n) { window.print(); } return window.dash_clientside.no_update; }
"""


def coordinator_key(state: ViewState) -> list:
    """What the result list depends on."""
    return [
        state.view,
        state.location,
        list(state.categories),
        round(state.radius_m, 1),
        state.speed,
        state.lang,
    ]


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
    out: list[Any] = [
        html.P(
            f"{t('coord_location', lang)}: {fmt_number(lat, lang, decimals=5)}, "
            f"{fmt_number(lon, lang, decimals=5)}",
            className="hint",
        ),
    ]
    missing = [label(ctx.dataset.category(c), lang) for c in result["missing"]]
    out.append(
        html.P(
            t("coord_missing", lang, d=d_txt, cats=", ".join(missing))
            if missing
            else t("coord_all_there", lang, d=d_txt),
            className="missing" if missing else "all-there",
        )
    )
    for cat in cats:
        info = result["categories"].get(cat, {})
        category = ctx.dataset.category(cat)
        items = []
        for f in info.get("nearest", []):
            dist = f["distance_m"]
            within = dist <= state.radius_m
            items.append(
                html.Li(
                    className="near-item" + (" within" if within else ""),
                    children=[
                        html.Div(f["name"] or "", className="near-name"),
                        html.Div(
                            " · ".join(x for x in (f.get("subcategory"), f.get("address")) if x),
                            className="near-meta",
                        ),
                        html.Div(
                            f"{fmt_distance(dist, lang)} · "
                            + t("walk_min", lang, min=fmt_number(dist / speed_m_min, lang)),
                            className="near-dist",
                        ),
                    ],
                )
            )
        out.append(
            html.Section(
                className="near-cat",
                children=[
                    html.H3(
                        [
                            html.Span(
                                className="swatch", style={"backgroundColor": category.colour}
                            ),
                            label(category, lang),
                            html.Span(
                                f" · {t('coord_within', lang, d=d_txt)}: "
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
        )
    return out


def register(app: dash.Dash, ctx: AppContext) -> None:
    """Register the coordinator callbacks."""

    @app.callback(
        Output(ids.ADDRESS, "options"),
        Input(ids.ADDRESS, "search_value"),
        State(ids.ADDRESS, "value"),
        prevent_initial_call=True,
    )
    def address_options(search: str | None, value: str | None) -> list:
        if not search or not isinstance(search, str):
            raise dash.exceptions.PreventUpdate
        # cut before any matching: a 100 kB search text cost a worker its 120 s timeout
        found = ctx.address_suggestions(bounded_query(search))
        if not isinstance(value, str) or len(value) > MAX_QUERY_CHARS:
            value = None
        if value and value not in found:
            found = [value, *found]
        return [{"label": a, "value": a} for a in found]

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
