"""The map: coverage or demographic change per area, gap hexagons, facilities, scenario markers.

Every update is a ``dash.Patch`` of values only (geometry is sent once with the layout).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import dash
import numpy as np
from dash import Output, Patch, html

from dashboard import ids
from dashboard.figures import (
    CHANGE_SCALE,
    SHARE_SCALE,
    Traces,
    esc,
    osm_layers,
)
from dashboard.i18n import fmt_distance, fmt_number, fmt_percent, label, t
from dashboard.leaflet_map import fill_template
from dashboard.legend import (
    animation_changes,
    change_legend,
    fill_opacity,
    fixed_change_bound,
    gap_legend,
    share_legend,
)
from dashboard.state import ViewState

if TYPE_CHECKING:
    from dashboard.context import AppContext


def _r(values: np.ndarray, decimals: int = 1) -> list[float | None]:
    return [None if not np.isfinite(v) else round(float(v), decimals) for v in values]


def distance_text(state: ViewState, lang: str) -> str:
    """The walking distance as the user chose it (``"500 m"`` or ``"10 Min. (750 m)"``)."""
    how = f" {t('mode_network', lang)}" if state.distance_mode == "network" else ""
    if state.unit == "min":
        unit = "Min." if lang == "de" else "min"
        metres = fmt_distance(state.radius_m, lang)
        return f"{fmt_number(state.distance, lang)} {unit} ({metres}){how}"
    return fmt_distance(state.radius_m, lang) + how


def category_names(ctx: AppContext, cats: list[str], lang: str) -> str:
    """Labels of ``cats`` joined (or "all selected services" when there are many)."""
    labels = [label(ctx.dataset.category(c), lang) for c in cats]
    return ", ".join(labels) if len(labels) <= 3 else t("all_selected", lang)


def change_values(ctx: AppContext, state: ViewState, level: str) -> tuple[Any, str]:
    """Change table of the state's group and years, and the group label."""
    group = state.group if state.group in ctx.groups else "total"
    y0 = state.year_from or ctx.years[0]
    y1 = state.year_to or ctx.years[-1]
    table = ctx.change(group=group, year_from=y0, year_to=y1, level=level)
    return table, label(ctx.dataset.group(group), state.lang)


def source_line(ctx: AppContext, lang: str) -> str:
    """The source line under every map ("Quellen: … Stand: …"), from the layer sources."""
    parts: list[str] = []
    dates: list[str] = []
    for src in ctx.dataset.metadata.sources:
        who = src.attribution or src.source or src.file
        text = who + (f" ({t('licence', lang)}: {src.licence})" if src.licence else "")
        if text not in parts:
            parts.append(text)
        if src.date and src.date not in dates:
            dates.append(src.date)
    return t(
        "source_line",
        lang,
        sources="; ".join(parts) or t("source_unknown", lang),
        date=", ".join(dates) or t("source_unknown", lang),
    )


def map_update(
    ctx: AppContext,
    state: ViewState,
    *,
    upload: dict | None = None,
    suggestions: dict | None = None,
) -> dict[str, Any]:
    """Everything the map column shows for ``state``: the figure Patch, title, legend, table.

    Returns
    -------
    dict
        ``figure`` (a :class:`dash.Patch` of the plotly map, for exports), ``layers`` (the same
        values for the Leaflet map, see :func:`dashboard.callbacks.view.map_values`),
        ``title``, ``legend``, ``table`` (Dash components; all text escaped by Dash).
    """
    lang = state.lang
    traces = Traces(len(ctx.category_ids))
    patch = Patch()
    cats = ctx.check_categories(state.categories)
    level = ctx.level(state.level)
    on, off = (
        (traces.DISTRICTS, traces.PLANNING)
        if level == "district"
        else (traces.PLANNING, traces.DISTRICTS)
    )
    overlay = "change" in state.layers
    geo = ctx.geo[level]
    threshold = ctx.options.small_count_threshold
    dist_txt = distance_text(state, lang)
    legend: list[Any] = []
    rows: list[list[str]] = []
    header: list[str]
    layers: dict[str, Any] = {"level": level}

    coverage = ctx.view_coverage(state, cats)
    areas = coverage.areas.set_index("area_id").reindex(geo.ids)
    if overlay:
        table, group_label = change_values(ctx, state, level)
        by_area = table.set_index("area_id")
        values = by_area["change_pct"].reindex(geo.ids).to_numpy(float)
        residents = areas["residents"].to_numpy(float)
        values = np.where(residents < threshold, np.nan, values)
        # one scale for every end year of the range (the animation's frames stay comparable)
        bound = fixed_change_bound(
            np.where(residents < threshold, np.nan, frame.reindex(geo.ids).to_numpy(float))
            for frame in animation_changes(ctx, state, level, table)
        )
        title = t("legend_change", lang, group=group_label, y0=state.year_from, y1=state.year_to)
        patch["data"][on]["colorscale"] = CHANGE_SCALE
        patch["data"][on]["zmin"] = -bound
        patch["data"][on]["zmax"] = bound
        patch["data"][on]["colorbar"]["title"]["text"] = t("legend_change_short", lang)
        custom = []
        for area_id, name, v in zip(geo.ids, geo.names, values, strict=True):
            row = by_area.loc[area_id] if area_id in by_area.index else None
            detail = (
                f"{fmt_number(row['value_from'], lang)} → {fmt_number(row['value_to'], lang)}"
                if row is not None
                else ""
            )
            custom.append([esc(name), fmt_percent(v / 100, lang, sign=True), esc(detail)])
        patch["data"][on]["hovertemplate"] = t("hover_area_change", lang) + "<extra></extra>"
        layers["areas"] = {
            "values": values,
            "scale": CHANGE_SCALE,
            "zmin": -bound,
            "zmax": bound,
            "tips": [fill_template(t("hover_area_change", lang), c) for c in custom],
        }
        header = [t("area", lang), str(state.year_from), str(state.year_to), t("change_pct", lang)]
        for area_id, name in zip(geo.ids, geo.names, strict=True):
            row = by_area.loc[area_id] if area_id in by_area.index else None
            if row is None:
                continue
            rows.append(
                [
                    name,
                    fmt_number(row["value_from"], lang),
                    fmt_number(row["value_to"], lang),
                    fmt_percent(row["change_pct"] / 100, lang, sign=True, decimals=2),
                ]
            )
        city_row = by_area.loc["ALL"] if "ALL" in by_area.index else None
        if city_row is not None:
            rows.append(
                [
                    t("city", lang),
                    fmt_number(city_row["value_from"], lang),
                    fmt_number(city_row["value_to"], lang),
                    fmt_percent(city_row["change_pct"] / 100, lang, sign=True, decimals=2),
                ]
            )
        legend.append(change_legend(title, lang, bound=bound, opacity=fill_opacity(state)))
    else:
        values = areas["share"].to_numpy(float) * 100.0
        title = (
            t("legend_share", lang, cats=category_names(ctx, cats, lang), d=dist_txt)
            if cats
            else t("no_category", lang)
        )
        patch["data"][on]["colorscale"] = SHARE_SCALE
        patch["data"][on]["zmin"] = 0
        patch["data"][on]["zmax"] = 100
        patch["data"][on]["colorbar"]["title"]["text"] = t("legend_share_short", lang)
        custom = []
        for name, v, res in zip(geo.names, values, areas["residents"].to_numpy(float), strict=True):
            share_txt = (
                t("hidden_value", lang, n=threshold)
                if res < threshold
                else fmt_percent(v / 100, lang)
            )
            custom.append([esc(name), share_txt, fmt_number(res, lang)])
        patch["data"][on]["hovertemplate"] = t("hover_area_share", lang) + "<extra></extra>"
        layers["areas"] = {
            "values": values,
            "scale": SHARE_SCALE,
            "zmin": 0.0,
            "zmax": 100.0,
            "tips": [fill_template(t("hover_area_share", lang), c) for c in custom],
        }
        # one lookup table instead of a filter per cell
        share_of = {
            (c, a): v
            for c, a, v in zip(
                coverage.per_category["category"],
                coverage.per_category["area_id"].astype(str),
                coverage.per_category["share"],
                strict=True,
            )
        }
        header = [t("area", lang), t("residents", lang), f"{t('covered', lang)} (%)"] + [
            f"{label(ctx.dataset.category(c), lang)} (%)" for c in cats
        ]
        hidden_ids = set(coverage.areas.loc[coverage.hidden, "area_id"])
        area_residents = areas["residents"].to_numpy(float)
        area_shares = areas["share"].to_numpy(float)
        for area_id, name, res, share in zip(
            geo.ids, geo.names, area_residents, area_shares, strict=True
        ):
            hidden = area_id in hidden_ids
            row = [name, fmt_number(res, lang), "–" if hidden else fmt_percent(share, lang)]
            for c in cats:
                value = share_of.get((c, area_id))
                row.append("–" if hidden or value is None else fmt_percent(value, lang))
            rows.append(row)
        city_row = [
            t("city", lang),
            fmt_number(coverage.areas["residents"].sum(), lang),
            fmt_percent(coverage.city_share, lang),
        ]
        for c in cats:
            value = share_of.get((c, "ALL"))
            city_row.append(fmt_percent(value, lang) if value is not None else "–")
        rows.append(city_row)
        legend.append(share_legend(title, lang, opacity=fill_opacity(state)))
        if cats:
            legend.append(
                html.Div(
                    f"{t('city_average', lang)}: {fmt_percent(coverage.city_share, lang)}",
                    className="legend-row legend-city",
                )
            )
    selected = state.area if state.view in ("plan", "compare") else None
    patch["data"][on]["marker"]["line"]["width"] = [3.5 if a == selected else 0.6 for a in geo.ids]
    patch["data"][on]["marker"]["line"]["color"] = [
        "#e69f00" if a == selected else "#ffffff" for a in geo.ids
    ]
    patch["data"][on]["marker"]["opacity"] = 0.35 if state.view == "coordinator" else 0.78
    layers["areas"].update(selected=selected, opacity=0.35 if state.view == "coordinator" else 0.78)
    patch["data"][on]["z"] = _r(values)
    patch["data"][on]["customdata"] = custom
    patch["data"][on]["visible"] = True
    patch["data"][on]["showscale"] = True
    patch["data"][off]["visible"] = False
    patch["data"][off]["showscale"] = False
    if coverage.hidden.any():
        legend.append(html.Div(t("legend_hidden", lang, n=threshold), className="legend-row"))

    # gap hexagons
    show_gaps = (
        "gaps" in state.layers and bool(cats) and not overlay and state.view != "coordinator"
    )
    patch["data"][traces.GAPS]["visible"] = show_gaps
    patch["data"][traces.GAPS]["showscale"] = show_gaps
    layers["gaps"] = None
    if show_gaps:
        uncovered, residents = ctx.gaps(
            cats,
            radius_m=state.radius_m,
            year=state.year,
            group=state.group,
            added=state.added,
            removed=state.removed,
            mode=state.distance_mode,
        )
        shown = np.where((residents >= threshold) & (uncovered >= 0.5), uncovered, np.nan)
        finite = shown[np.isfinite(shown)]
        zmax = float(np.nanpercentile(finite, 95)) if len(finite) else 1.0
        patch["data"][traces.GAPS]["z"] = _r(shown, 0)
        patch["data"][traces.GAPS]["zmax"] = zmax
        gap_tip = t("hover_gap", lang)
        layers["gaps"] = {
            "values": shown,
            "zmax": zmax,
            "tips": [
                fill_template(gap_tip, [fmt_number(u, lang), fmt_number(r, lang)])
                if np.isfinite(v)
                else ""
                for u, r, v in zip(uncovered, residents, shown, strict=True)
            ],
        }
        patch["data"][traces.GAPS]["hovertemplate"] = (
            t("hover_gap", lang)
            .replace("%{customdata[0]}", "%{z:,.0f}")
            .replace(" von %{customdata[1]} Einw.", "")
            .replace(" of %{customdata[1]} residents", " residents")
            + "<extra></extra>"
        )
        patch["data"][traces.GAPS]["colorbar"]["title"]["text"] = (
            "Einw." if lang == "de" else "Residents"
        )
        legend.append(gap_legend(t("legend_gaps", lang), lang, zmax=zmax))

    # facilities
    show_fac = "facilities" in state.layers
    layers["facilities"] = {"show": [], "labels": {}}
    for i, cat in enumerate(ctx.category_ids):
        visible = show_fac and (cat in cats or state.view in ("scenario", "coordinator"))
        patch["data"][traces.facility(i)]["visible"] = visible
        patch["data"][traces.facility(i)]["name"] = esc(label(ctx.dataset.category(cat), lang))
        layers["facilities"]["labels"][cat] = esc(label(ctx.dataset.category(cat), lang))
        if visible:
            layers["facilities"]["show"].append(cat)
    if show_fac:
        legend.append(html.Div(t("legend_facilities", lang), className="legend-row"))

    # scenario markers
    planned = t("planned", lang)
    patch["data"][traces.added]["lat"] = [a for _, a, _ in state.added]
    patch["data"][traces.added]["lon"] = [b for _, _, b in state.added]
    patch["data"][traces.added]["customdata"] = [
        f"{planned}: {esc(label(ctx.dataset.category(c), lang))}" for c, _, _ in state.added
    ]
    fac = ctx.facilities_wgs
    off_rows = fac[fac["id"].isin(set(state.removed))]
    patch["data"][traces.removed]["lat"] = off_rows["lat"].tolist()
    patch["data"][traces.removed]["lon"] = off_rows["lon"].tolist()
    patch["data"][traces.removed]["customdata"] = [
        [f"{n} ({t('switched_off', lang)})", i]
        for n, i in zip(off_rows["name"], off_rows["id"], strict=True)
    ]
    patch["data"][traces.removed]["hovertemplate"] = "%{customdata[0]}<extra></extra>"
    sites = (suggestions or {}).get("sites", []) if state.view == "scenario" else []
    patch["data"][traces.suggested]["lat"] = [s[0] for s in sites]
    patch["data"][traces.suggested]["lon"] = [s[1] for s in sites]
    suggest_tips = [
        t("suggest_row", lang, i=i + 1, gain=fmt_number(g, lang))
        for i, g in enumerate((suggestions or {}).get("gains", [])[: len(sites)])
    ]
    patch["data"][traces.suggested]["customdata"] = suggest_tips
    patch["data"][traces.suggested]["marker"]["symbol"] = "circle"
    patch["data"][traces.suggested]["text"] = [str(i + 1) for i in range(len(sites))]
    patch["data"][traces.suggested]["mode"] = "markers+text"
    loc = state.location if state.view == "coordinator" else None
    patch["data"][traces.location]["lat"] = [loc[0]] if loc else []
    patch["data"][traces.location]["lon"] = [loc[1]] if loc else []
    patch["data"][traces.location]["customdata"] = [t("coord_location", lang)] if loc else []
    up = (upload or {}) if "upload" in state.layers else {}
    patch["data"][traces.upload]["lat"] = up.get("lat", [])
    patch["data"][traces.upload]["lon"] = up.get("lon", [])
    patch["data"][traces.upload]["customdata"] = up.get("text", [])
    layers["markers"] = [
        {
            "kind": "added",
            "lat": a,
            "lon": b,
            "index": i,
            "tip": f"{planned}: {esc(label(ctx.dataset.category(c), lang))}",
        }
        for i, (c, a, b) in enumerate(state.added)
    ]
    layers["markers"] += [
        {"kind": "removed", "lat": a, "lon": b, "id": i, "tip": f"{n} ({t('switched_off', lang)})"}
        for a, b, n, i in zip(
            off_rows["lat"], off_rows["lon"], off_rows["name"], off_rows["id"], strict=True
        )
    ]
    layers["markers"] += [
        {"kind": "suggested", "lat": s[0], "lon": s[1], "tip": tip, "label": str(i + 1)}
        for i, (s, tip) in enumerate(zip(sites, suggest_tips, strict=False))
    ]
    if loc:
        layers["markers"].append(
            {"kind": "location", "lat": loc[0], "lon": loc[1], "tip": t("coord_location", lang)}
        )
    layers["markers"] += [
        {"kind": "upload", "lat": a, "lon": b, "tip": tip}
        for a, b, tip in zip(up.get("lat", []), up.get("lon", []), up.get("text", []), strict=False)
    ]
    layers["basemap"] = state.basemap == "osm"
    layers["view"] = {"center": [loc[0], loc[1]], "zoom": 15} if loc else None

    # basemap and view
    basemap = osm_layers(ctx.options.online_basemap_url) if state.basemap == "osm" else []
    patch["layout"]["map"]["layers"] = basemap + ctx.boundary_layers
    if loc:
        patch["layout"]["map"]["center"] = {"lat": loc[0], "lon": loc[1]}
        patch["layout"]["map"]["zoom"] = 13.6
        patch["layout"]["uirevision"] = f"loc-{loc[0]}-{loc[1]}"
    patch["layout"]["separators"] = ",." if lang == "de" else ".,"

    table = html.Table(
        className="data-table",
        children=[
            html.Caption(title),
            html.Thead(html.Tr([html.Th(h, scope="col") for h in header])),
            html.Tbody(
                [
                    html.Tr(
                        [html.Th(r[0], scope="row"), *[html.Td(c) for c in r[1:]]],
                        className="city-row" if i == len(rows) - 1 else None,
                    )
                    for i, r in enumerate(rows)
                ]
            ),
        ],
    )
    if state.view == "compare" and not overlay:
        table = html.Div([table, change_table(ctx, state, level)])
    heading = title
    year_txt = f" · {state.year}" if state.year and not overlay else ""
    return {
        "figure": patch,
        "layers": layers,
        "title": heading + year_txt,
        "legend": legend,
        "table": table,
    }


def change_table(ctx: AppContext, state: ViewState, level: str) -> html.Table:
    """Table view of the compare map: population of the group in both years and the change."""
    lang = state.lang
    table, group_label = change_values(ctx, state, level)
    caption = t("legend_change", lang, group=group_label, y0=state.year_from, y1=state.year_to)
    rows = []
    for record in table.to_dict("records"):
        name = t("city", lang) if record["area_id"] == "ALL" else record["area_name"]
        rows.append(
            html.Tr(
                [
                    html.Th(name, scope="row"),
                    html.Td(fmt_number(record["value_from"], lang)),
                    html.Td(fmt_number(record["value_to"], lang)),
                    html.Td(fmt_percent(record["change_pct"] / 100, lang, sign=True, decimals=2)),
                ],
                className="city-row" if record["area_id"] == "ALL" else None,
            )
        )
    header = [t("area", lang), str(state.year_from), str(state.year_to), t("change_pct", lang)]
    return html.Table(
        className="data-table",
        children=[
            html.Caption(caption),
            html.Thead(html.Tr([html.Th(h, scope="col") for h in header])),
            html.Tbody(rows),
        ],
    )


def compare_update(ctx: AppContext, state: ViewState) -> Patch:
    """Patch of the compare map: demographic change per area of the state's level."""
    level = ctx.level(state.level)
    on, off = (0, 1) if level == "district" else (1, 0)
    geo = ctx.geo[level]
    table, _ = change_values(ctx, state, level)
    values = table.set_index("area_id")["change_pct"].reindex(geo.ids).to_numpy(float)
    finite = values[np.isfinite(values)]
    bound = max(5.0, math.ceil(float(np.abs(finite).max()))) if len(finite) else 5.0
    patch = Patch()
    patch["data"][on]["visible"] = True
    patch["data"][off]["visible"] = False
    patch["data"][on]["z"] = _r(values, 2)
    patch["data"][on]["zmin"] = -bound
    patch["data"][on]["zmax"] = bound
    patch["data"][on]["customdata"] = [
        [esc(n), fmt_percent(v / 100, state.lang, sign=True), ""]
        for n, v in zip(geo.names, values, strict=True)
    ]
    patch["data"][on]["hovertemplate"] = t("hover_area_change", state.lang) + "<extra></extra>"
    patch["data"][on]["colorbar"]["title"]["text"] = t("legend_change_short", state.lang)
    return patch


def register(app: dash.Dash, ctx: AppContext) -> None:
    """Register the compare map's callback (the main map is drawn by ``callbacks.view``)."""

    @app.callback(
        Output(ids.COMPARE_MAP, "figure"),
        dash.Input(ids.COMPARE_TRIGGER, "data"),
        dash.State(ids.STATE, "data"),
        prevent_initial_call=True,
    )
    def update_compare(_trigger: object, data: dict | None) -> Patch:
        state = ViewState.from_dict(data)
        if state.view != "compare":
            raise dash.exceptions.PreventUpdate
        return compare_update(ctx, state)
