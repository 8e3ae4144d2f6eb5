"""Area profile beside the map, from :func:`layers.profile.area_profile`.

Population trend, age structure, coverage per category with the city average, facilities,
need-index components, programme status and sources. The profile is language-neutral (ids and
notes as ids); every label and note is rendered here in the chosen language through
:mod:`dashboard.profile_text`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import dash
from dash import Input, Output, State, dcc, html

from dashboard import figures, ids
from dashboard.i18n import fmt_number, fmt_percent, label, t
from dashboard.profile_text import (
    Labels,
    category_label,
    group_label,
    measure_label,
    need_component_label,
    note_text,
    proposal_name,
)
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


def profile_children(ctx: AppContext, state: ViewState) -> list[Any]:
    """The profile panel of ``state.area`` (or a hint when no area is chosen)."""
    lang = state.lang
    if not state.area:
        return [html.P(t("profile_hint", lang), className="hint")]
    try:
        prof = ctx.view_profile(state)
    except (LookupError, ValueError) as exc:
        return [html.P(t("error", lang, msg=str(exc)), className="error")]
    labels = prof.get("labels") or {}
    return [
        *_header(prof, lang),
        *_population(prof, labels, state.group, lang),
        *_coverage(ctx, prof, labels, lang),
        *_facilities(ctx, prof, labels, lang),
        *_need(prof, labels, lang),
        *_programme(prof, lang),
        _sources(prof, lang),
    ]


def _figure(caption: str, figure: Any) -> html.Figure:
    return html.Figure(
        [
            html.Figcaption(caption),
            dcc.Graph(figure=figure, config=CHART_CONFIG, className="chart"),
        ]
    )


def _header(prof: dict[str, Any], lang: str) -> list[Any]:
    area = prof["area"]
    planning = area.get("planning_area") or {}
    name = area["name"]
    if area.get("level") == "planning_area":
        name = proposal_name(name, proposal=bool(planning.get("proposal")), lang=lang)
    out: list[Any] = [
        html.H2(name, id=ids.PROFILE_TITLE, className="profile-title"),
        html.P(
            f"{t('residents', lang)} {prof['year']}: "
            f"{fmt_number(prof['population'].get('total'), lang)}",
            className="profile-lead",
        ),
    ]
    if len(area.get("districts", [])) > 1:
        out.append(html.P(", ".join(d["name"] for d in area["districts"]), className="hint"))
    out.extend(html.P(note_text(n, lang), className="note") for n in prof.get("notes", []))
    return out


def _population(prof: dict[str, Any], labels: Labels, group: str, lang: str) -> list[Any]:
    """Trend of the total and the chosen group, with the change; the age structure."""
    pop = prof["population"]
    out: list[Any] = [html.H3(t("profile_population", lang))]
    for trend in [x for x in pop.get("trend", []) if x["group"] in {"total", group}]:
        change = next((c for c in pop.get("change", []) if c["group"] == trend["group"]), None)
        caption = t("profile_trend", lang, group=group_label(labels, trend["group"], lang))
        if change and change.get("change_pct") is not None:
            caption += (
                f" · {change['year_from']}–{change['year_to']}: "
                f"{fmt_percent(change['change_pct'] / 100, lang, decimals=1, sign=True)} "
                f"({t('city', lang)}: {_percent(change.get('city_change_pct'), lang)})"
            )
        out.append(_figure(caption, figures.trend_figure(trend["series"], lang=lang)))
    ages = [a for a in pop.get("age_structure", []) if a.get("share_pct") is not None]
    if ages:
        bars = figures.bars_figure(
            [group_label(labels, a["group"], lang) for a in ages],
            [a["share_pct"] for a in ages],
            [a.get("city_share_pct") for a in ages],
            lang=lang,
            names=(t("area_value", lang), t("city_average", lang)),
        )
        out.append(_figure(t("profile_age", lang, year=prof["year"]) + " (%)", bars))
    return out


def _percent(value_pct: float | None, lang: str) -> str:
    return fmt_percent(None if value_pct is None else value_pct / 100, lang, decimals=1)


def _coverage(ctx: AppContext, prof: dict[str, Any], labels: Labels, lang: str) -> list[Any]:
    """Coverage per category against the city."""
    cov = prof["coverage"].get("per_category", [])
    if not cov:
        return []
    bars = figures.bars_figure(
        [category_label(labels, c["category"], lang) for c in cov],
        [c["share_pct"] for c in cov],
        [c["city_share_pct"] for c in cov],
        colours=[ctx.dataset.category(c["category"]).colour for c in cov],
        lang=lang,
        names=(t("area_value", lang), t("city_average", lang)),
    )
    caption = (
        f"{t('share_pct', lang)} · {fmt_number(prof['coverage']['radius_m'], lang)} m · "
        f"| = {t('city_average', lang)}"
    )
    # the absolute number next to every share: a small share of a large district can be more
    # people than a large share of a small one
    reached = [
        html.Li(
            t(
                "profile_not_reached",
                lang,
                category=category_label(labels, c["category"], lang),
                share=_percent(c["share_pct"], lang),
                n=fmt_number(c["residents"] - c["covered"], lang),
            )
        )
        for c in cov
        if c.get("share_pct") is not None
        and c.get("residents") is not None
        and c.get("covered") is not None
    ]
    return [
        html.H3(t("profile_coverage", lang)),
        _figure(caption, bars),
        html.Ul(reached, className="plain profile-not-reached"),
    ]


def _facilities(ctx: AppContext, prof: dict[str, Any], labels: Labels, lang: str) -> list[Any]:
    """Facilities per category (per 1,000 residents, city for comparison) and their list."""
    facs = prof["facilities"]
    per_1000 = fmt_number(1000, lang)
    counts = [
        html.Li(
            [
                html.Span(
                    className="swatch",
                    style={"backgroundColor": ctx.dataset.category(c["category"]).colour},
                ),
                f"{category_label(labels, c['category'], lang)}: {c['count']} "
                f"({fmt_number(c['per_1000_residents'], lang, decimals=2)} / {per_1000} "
                f"{t('residents', lang)}; {t('city', lang)} "
                f"{fmt_number(c['city_per_1000_residents'], lang, decimals=2)})",
            ]
        )
        for c in facs.get("per_category", [])
    ]
    out: list[Any] = [html.H3(t("profile_facilities", lang)), html.Ul(counts, className="plain")]
    if facs.get("list"):
        items = [
            html.Li(
                [
                    html.Strong(f["name"] or ""),
                    html.Span(
                        " · " + " · ".join(x for x in (f.get("subcategory"), f.get("address")) if x)
                    ),
                ]
            )
            for f in facs["list"]
        ]
        out.append(
            html.Details(
                [
                    html.Summary(f"{len(facs['list'])} {t('layer_facilities', lang)}"),
                    html.Ul(items, className="facility-list"),
                ]
            )
        )
    return out


def _need(prof: dict[str, Any], labels: Labels, lang: str) -> list[Any]:
    """The need index: rank and score, and its components (or why it is missing)."""
    need = prof.get("need_index") or {}
    out: list[Any] = [html.H3(t("profile_need", lang))]
    if not need.get("available"):
        reason = note_text(need.get("note"), lang) or "–"
        return [*out, html.P(t("profile_need_missing", lang, reason=reason))]
    score = fmt_number(need["score"], lang, decimals=1)
    out.append(html.P(t("profile_need_rank", lang, rank=need["rank"], n=need["of"], score=score)))
    rows = [
        html.Tr(
            [
                html.Td(need_component_label(c, labels, lang)),
                html.Td(fmt_number(c["value"], lang, decimals=1)),
                html.Td(fmt_number(c["weight"], lang, decimals=2)),
            ]
        )
        for c in need.get("components", [])
        if c.get("available")
    ]
    head = html.Tr([html.Th(t(key, lang)) for key in ("component", "value", "weight")])
    out.append(
        html.Table(className="data-table compact", children=[html.Thead(head), html.Tbody(rows)])
    )
    return out


def _programme(prof: dict[str, Any], lang: str) -> list[Any]:
    out: list[Any] = [html.H3(t("profile_programme", lang))]
    programme = prof.get("programme") or []
    if not programme:
        return [*out, html.P(t("profile_no_programme", lang), className="hint")]
    items = [
        html.Li(
            " · ".join(
                str(x)
                for x in (
                    measure_label(str(p.get("measure")), lang),
                    p.get("district_name"),
                    f"{t('since', lang)} {p['since']}" if p.get("since") else None,
                    p.get("source"),
                    p.get("source_date"),
                )
                if x
            )
        )
        for p in programme
    ]
    return [*out, html.Ul(items, className="plain")]


def _sources(prof: dict[str, Any], lang: str) -> html.Details:
    items = [
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
    ]
    return html.Details(
        [html.Summary(t("profile_sources", lang)), html.Ul(items, className="plain sources")]
    )


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
