"""Area profile beside the map, from :func:`layers.profile.area_profile`.

Population trend, age structure, coverage per category with the city average, facilities,
need-index components, programme status and sources.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import dash
from dash import Input, Output, State, dcc, html

from dashboard import figures, ids
from dashboard.i18n import fmt_number, label, t
from dashboard.state import ViewState

if TYPE_CHECKING:
    from dashboard.context import AppContext

CHART_CONFIG = {"displayModeBar": False, "responsive": True}


def profile_key(state: ViewState) -> list:
    """What the profile depends on (the panel is rebuilt only when this changes)."""
    if not state.area:
        return [None, state.lang]  # the hint "click an area"
    return [
        state.area,
        state.level,
        state.year,
        round(state.radius_m, 1),
        state.lang,
        state.distance_mode,
    ]


def _group_label(ctx: AppContext, group: str, lang: str) -> str:
    return label(ctx.dataset.group(group), lang)


def profile_children(ctx: AppContext, state: ViewState) -> list[Any]:
    """The profile panel of ``state.area`` (or a hint when no area is chosen)."""
    lang = state.lang
    if not state.area:
        return [html.P(t("profile_hint", lang), className="hint")]
    try:
        prof = ctx.view_profile(state)
    except (LookupError, ValueError) as exc:
        return [html.P(t("error", lang, msg=str(exc)), className="error")]
    area = prof["area"]
    pop = prof["population"]
    out: list[Any] = [
        html.H2(area["name"], id=ids.PROFILE_TITLE, className="profile-title"),
        html.P(
            f"{t('residents', lang)} {prof['year']}: {fmt_number(pop.get('total'), lang)}",
            className="profile-lead",
        ),
    ]
    if len(area.get("districts", [])) > 1:
        out.append(html.P(", ".join(d["name"] for d in area["districts"]), className="hint"))
    out.extend(html.P(n, className="note") for n in prof.get("notes", []))

    # population trend per group
    out.append(html.H3(t("profile_population", lang)))
    wanted = {"total", state.group}
    for trend in [x for x in pop.get("trend", []) if x["group"] in wanted]:
        change = next((c for c in pop.get("change", []) if c["group"] == trend["group"]), None)
        gl = _group_label(ctx, trend["group"], lang)
        caption = t("profile_trend", lang, group=gl)
        if change and change.get("change_pct") is not None:
            caption += (
                f" · {change['year_from']}–{change['year_to']}: "
                f"{'+' if change['change_pct'] > 0 else ''}"
                f"{fmt_number(change['change_pct'], lang, decimals=1)} % "
                f"({t('city', lang)}: {fmt_number(change.get('city_change_pct'), lang, decimals=1)} %)"
            )
        out.append(
            html.Figure(
                [
                    html.Figcaption(caption),
                    dcc.Graph(
                        figure=figures.trend_figure(trend["series"], lang=lang),
                        config=CHART_CONFIG,
                        className="chart",
                    ),
                ]
            )
        )
    ages = [a for a in pop.get("age_structure", []) if a.get("share_pct") is not None]
    if ages:
        out.append(
            html.Figure(
                [
                    html.Figcaption(t("profile_age", lang, year=prof["year"]) + " (%)"),
                    dcc.Graph(
                        figure=figures.bars_figure(
                            [_group_label(ctx, a["group"], lang) for a in ages],
                            [a["share_pct"] for a in ages],
                            [a.get("city_share_pct") for a in ages],
                            lang=lang,
                            names=(t("area_value", lang), t("city_average", lang)),
                        ),
                        config=CHART_CONFIG,
                        className="chart",
                    ),
                ]
            )
        )

    # coverage per category vs city
    cov = prof["coverage"].get("per_category", [])
    if cov:
        colours = [ctx.dataset.category(c["category"]).colour for c in cov]
        out.append(html.H3(t("profile_coverage", lang)))
        out.append(
            html.Figure(
                [
                    html.Figcaption(
                        f"{t('share_pct', lang)} · {fmt_number(prof['coverage']['radius_m'], lang)} m · "
                        f"| = {t('city_average', lang)}"
                    ),
                    dcc.Graph(
                        figure=figures.bars_figure(
                            [label(ctx.dataset.category(c["category"]), lang) for c in cov],
                            [c["share_pct"] for c in cov],
                            [c["city_share_pct"] for c in cov],
                            colours=colours,
                            lang=lang,
                            names=(t("area_value", lang), t("city_average", lang)),
                        ),
                        config=CHART_CONFIG,
                        className="chart",
                    ),
                ]
            )
        )

    # facilities
    facs = prof["facilities"]
    out.append(html.H3(t("profile_facilities", lang)))
    counts = [
        html.Li(
            [
                html.Span(
                    className="swatch",
                    style={"backgroundColor": ctx.dataset.category(c["category"]).colour},
                ),
                f"{label(ctx.dataset.category(c['category']), lang)}: {c['count']} "
                f"({fmt_number(c['per_1000_residents'], lang, decimals=2)} / 1.000 "
                f"{t('residents', lang)}; {t('city', lang)} "
                f"{fmt_number(c['city_per_1000_residents'], lang, decimals=2)})",
            ]
        )
        for c in facs.get("per_category", [])
    ]
    out.append(html.Ul(counts, className="plain"))
    if facs.get("list"):
        out.append(
            html.Details(
                [
                    html.Summary(f"{len(facs['list'])} {t('layer_facilities', lang)}"),
                    html.Ul(
                        [
                            html.Li(
                                [
                                    html.Strong(f["name"] or ""),
                                    html.Span(
                                        " · "
                                        + " · ".join(
                                            x for x in (f.get("subcategory"), f.get("address")) if x
                                        )
                                    ),
                                ]
                            )
                            for f in facs["list"]
                        ],
                        className="facility-list",
                    ),
                ]
            )
        )

    # need index
    need = prof.get("need_index") or {}
    out.append(html.H3(t("profile_need", lang)))
    if need.get("available"):
        out.append(
            html.P(
                t(
                    "profile_need_rank",
                    lang,
                    rank=need["rank"],
                    n=need["of"],
                    score=fmt_number(need["score"], lang, decimals=1),
                )
            )
        )
        out.append(
            html.Table(
                className="data-table compact",
                children=[
                    html.Thead(
                        html.Tr(
                            [
                                html.Th("Komponente" if lang == "de" else "Component"),
                                html.Th("Wert" if lang == "de" else "Value"),
                                html.Th("Gewicht" if lang == "de" else "Weight"),
                            ]
                        )
                    ),
                    html.Tbody(
                        [
                            html.Tr(
                                [
                                    html.Td(c["label"]),
                                    html.Td(fmt_number(c["value"], lang, decimals=1)),
                                    html.Td(fmt_number(c["weight"], lang, decimals=2)),
                                ]
                            )
                            for c in need.get("components", [])
                            if c.get("available")
                        ]
                    ),
                ],
            )
        )
    else:
        out.append(html.P(t("profile_need_missing", lang, reason=need.get("note") or "–")))

    # programme
    out.append(html.H3(t("profile_programme", lang)))
    programme = prof.get("programme") or []
    if programme:
        out.append(
            html.Ul(
                [
                    html.Li(
                        " · ".join(
                            str(x)
                            for x in (
                                p.get("measure_label") or p.get("measure"),
                                p.get("district_name"),
                                f"{t('since', lang)} {p['since']}" if p.get("since") else None,
                                p.get("source"),
                                p.get("source_date"),
                            )
                            if x
                        )
                    )
                    for p in programme
                ],
                className="plain",
            )
        )
    else:
        out.append(html.P(t("profile_no_programme", lang), className="hint"))

    # sources
    out.append(
        html.Details(
            [
                html.Summary(t("profile_sources", lang)),
                html.Ul(
                    [
                        html.Li(
                            " · ".join(
                                x
                                for x in (
                                    s.get("layer"),
                                    s.get("attribution") or s.get("source") or s.get("file"),
                                    s.get("licence"),
                                    s.get("date"),
                                )
                                if x
                            )
                        )
                        for s in prof.get("sources", [])
                    ],
                    className="plain sources",
                ),
            ]
        )
    )
    return out


def facility_card(ctx: AppContext, click: dict | None, lang: str) -> list[Any]:
    """Details of a clicked facility marker (so no information is only in a hover label).

    ``click`` is the clicked GeoJSON feature of the facility layer (property ``id``).
    """
    fid = ((click or {}).get("properties") or {}).get("id")
    if fid is None:
        return []
    fid = str(fid)
    rows = ctx.dataset.facilities[ctx.dataset.facilities["id"].astype(str) == fid]
    if rows.empty:
        return []
    row = rows.iloc[0]
    category = ctx.dataset.category(str(row["category"]))

    def text(value: object) -> str:
        return "" if value is None or value != value else str(value)  # NaN-safe

    return [
        html.Div(
            [
                html.Span(className="swatch", style={"backgroundColor": category.colour}),
                html.Strong(text(row["name"])),
            ]
        ),
        html.Div(
            " · ".join(
                x
                for x in (
                    label(category, lang),
                    text(row.get("subcategory")),
                    text(row.get("address")),
                )
                if x
            ),
            className="hint",
        ),
    ]


def register(app: dash.Dash, ctx: AppContext) -> None:
    """Register the profile callback."""

    @app.callback(
        Output(ids.FACILITY_CARD, "children"),
        Input(ids.MAP_FACILITIES, "clickData"),
        State(ids.STATE, "data"),
        prevent_initial_call=True,
    )
    def show_facility(click: dict | None, data: dict | None) -> list:
        state = ViewState.from_dict(data)
        if state.view not in ("plan", "compare"):
            return []
        return facility_card(ctx, click, state.lang)

    @app.callback(
        Output(ids.PROFILE_BODY, "children"),
        Output(ids.PROFILE_KEY, "data"),
        Input(ids.PROFILE_TRIGGER, "data"),
        State(ids.STATE, "data"),
        State(ids.PROFILE_KEY, "data"),
        prevent_initial_call=True,
    )
    def update_profile(_trigger: object, data: dict | None, key: list | None) -> tuple:
        if data is None:
            raise dash.exceptions.PreventUpdate
        state = ViewState.from_dict(data)
        new_key = profile_key(state)
        if new_key == key:
            raise dash.exceptions.PreventUpdate
        return profile_children(ctx, state), new_key
