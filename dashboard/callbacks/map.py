"""The map: coverage or demographic change per area, gap hexagons, facilities, scenario markers.

Small renderers of the layers results (:mod:`layers.results`) into medium-neutral map values,
the legend and the HTML table; :func:`map_update` composes them. Geometry is sent once with the
layout; the Leaflet map (``callbacks.view``) and the exported figure (``export_map``) draw the
values.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import dash
import numpy as np
import pandas as pd
from dash import Output, Patch, html

from dashboard import ids
from dashboard.figures import CHANGE_SCALE, SHARE_SCALE, AreaGeometry, esc
from dashboard.i18n import fmt_distance, fmt_number, fmt_percent, label, t
from dashboard.i18n import source_line as i18n_source_line
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
from layers.coverage import ALL_AREAS_ID

if TYPE_CHECKING:
    from dashboard.context import AppContext
    from layers.results import CoverageResult


def _r(values: np.ndarray, decimals: int = 1) -> list[float | None]:
    return [None if not np.isfinite(v) else round(float(v), decimals) for v in values]


def distance_text(state: ViewState, lang: str) -> str:
    """The walking distance as the user chose it (``"500 m"`` or ``"10 Min. (750 m)"``)."""
    how = f" {t('mode_network', lang)}" if state.distance_mode == "network" else ""
    if state.unit == "min":
        unit = t("min_short", lang)
        metres = fmt_distance(state.radius_m, lang)
        return f"{fmt_number(state.distance, lang)} {unit} ({metres}){how}"
    return fmt_distance(state.radius_m, lang) + how


def category_names(ctx: AppContext, cats: list[str], lang: str) -> str:
    """Labels of ``cats`` joined (or "all selected services" when there are many)."""
    labels = [label(ctx.dataset.category(c), lang) for c in cats]
    return ", ".join(labels) if len(labels) <= 3 else t("all_selected", lang)


def change_group(ctx: AppContext, state: ViewState) -> str:
    """The group of the change overlay (the state's, if the dataset has it)."""
    return state.group if state.group in ctx.groups else "total"


def change_values(ctx: AppContext, state: ViewState, level: str) -> tuple[Any, str]:
    """Change table of the state's group and years, and the group label."""
    group = change_group(ctx, state)
    y0 = state.year_from or ctx.years[0]
    y1 = state.year_to or ctx.years[-1]
    table = ctx.change(group=group, year_from=y0, year_to=y1, level=level)
    return table, label(ctx.dataset.group(group), state.lang)


def source_line(ctx: AppContext, lang: str) -> str:
    """The source line under every map ("Quellen: … Stand: …"), from the layer sources."""
    return i18n_source_line(ctx.dataset.metadata.sources, lang)


def share_areas(
    ctx: AppContext, state: ViewState, result: CoverageResult, geo: AreaGeometry
) -> dict[str, Any]:
    """Values and tooltips of the area layer for coverage (share in percent, hidden = NaN)."""
    lang = state.lang
    threshold = result.params.small_count_threshold
    areas = result.areas.set_index("area_id").reindex(geo.ids)
    suppressed = areas["suppressed"].fillna(True).to_numpy(bool)
    values = np.where(suppressed, np.nan, areas["share"].to_numpy(float)) * 100.0
    template = t("hover_area_share", lang)
    tips = []
    for name, v, res, hidden in zip(
        geo.names, values, areas["residents"].to_numpy(float), suppressed, strict=True
    ):
        share_txt = t("hidden_value", lang, n=threshold) if hidden else fmt_percent(v / 100, lang)
        tips.append(fill_template(template, [esc(name), share_txt, fmt_number(res, lang)]))
    return {
        "values": values,
        "scale": SHARE_SCALE,
        "zmin": 0.0,
        "zmax": 100.0,
        "tips": tips,
        "colorbar": t("legend_share_short", lang),
    }


def change_areas(
    ctx: AppContext,
    state: ViewState,
    change: pd.DataFrame,
    result: CoverageResult,
    geo: AreaGeometry,
) -> dict[str, Any]:
    """Values and tooltips of the area layer for the change overlay (small areas hidden)."""
    lang = state.lang
    by_area = change.set_index("area_id")
    values = by_area["change_pct"].reindex(geo.ids).to_numpy(float)
    suppressed = result.areas.set_index("area_id")["suppressed"].reindex(geo.ids)
    hidden = suppressed.fillna(True).to_numpy(bool)
    values = np.where(hidden, np.nan, values)
    # one scale for every end year of the range (the animation's frames stay comparable)
    bound = fixed_change_bound(
        np.where(hidden, np.nan, frame.reindex(geo.ids).to_numpy(float))
        for frame in animation_changes(ctx, state, ctx.level(state.level), change)
    )
    template = t("hover_area_change", lang)
    tips = []
    for area_id, name, v in zip(geo.ids, geo.names, values, strict=True):
        row = by_area.loc[area_id] if area_id in by_area.index else None
        detail = (
            f"{fmt_number(row['value_from'], lang)} → {fmt_number(row['value_to'], lang)}"
            if row is not None
            else ""
        )
        tips.append(
            fill_template(template, [esc(name), fmt_percent(v / 100, lang, sign=True), esc(detail)])
        )
    return {
        "values": values,
        "scale": CHANGE_SCALE,
        "zmin": -bound,
        "zmax": bound,
        "tips": tips,
        "colorbar": t("legend_change_short", lang),
    }


def change_rows(change: pd.DataFrame, lang: str) -> list[list[str]]:
    """Table rows of the change overlay: area, both years, change (the city last)."""
    rows = []
    for record in change.to_dict("records"):
        name = t("city", lang) if record["area_id"] == ALL_AREAS_ID else record["area_name"]
        rows.append(
            [
                name,
                fmt_number(record["value_from"], lang),
                fmt_number(record["value_to"], lang),
                fmt_percent(record["change_pct"] / 100, lang, sign=True, decimals=2),
            ]
        )
    return rows


def change_header(state: ViewState) -> list[str]:
    """Column headers of the change table."""
    lang = state.lang
    return [t("area", lang), str(state.year_from), str(state.year_to), t("change_pct", lang)]


def share_header(ctx: AppContext, result: CoverageResult, lang: str) -> list[str]:
    """Column headers of the coverage table (the combined column, then one per category)."""
    return [t("area", lang), t("residents", lang), f"{t('covered', lang)} (%)"] + [
        f"{label(ctx.dataset.category(c), lang)} (%)" for c in result.params.categories
    ]


def share_rows(result: CoverageResult, geo: AreaGeometry, lang: str) -> list[list[str]]:
    """Table rows of the coverage table: one per area (hidden shares as ``–``), the city last."""
    cats = result.params.categories
    areas = result.areas.set_index("area_id").reindex(geo.ids)
    rows = []
    for name, (_, row) in zip(geo.names, areas.iterrows(), strict=True):
        hidden = bool(row["suppressed"]) if pd.notna(row["suppressed"]) else True
        cells = [name, fmt_number(row["residents"], lang)]
        for column in ["share", *(f"share_{c}" for c in cats)]:
            cells.append("–" if hidden else fmt_percent(row[column], lang))
        rows.append(cells)
    city = result.city
    rows.append(
        [t("city", lang), fmt_number(city["residents"], lang)]
        + [fmt_percent(city[c], lang) for c in ["share", *(f"share_{c}" for c in cats)]]
    )
    return rows


def legend_rows(
    state: ViewState,
    result: CoverageResult,
    *,
    title: str,
    areas: dict[str, Any],
    gaps: dict[str, Any] | None,
) -> list[Any]:
    """The legend: colour bar with ticks and title, city average, hidden areas, gaps, facilities.

    The bars are drawn with the opacity the areas are filled with, so a colour on the map reads
    as the same number on the bar.
    """
    lang = state.lang
    overlay = areas["scale"] is CHANGE_SCALE
    legend: list[Any] = [
        change_legend(title, lang, bound=areas["zmax"], opacity=areas["opacity"])
        if overlay
        else share_legend(title, lang, opacity=areas["opacity"])
    ]
    if not overlay and result.params.categories:
        legend.append(
            html.Div(
                f"{t('city_average', lang)}: {fmt_percent(result.city_share, lang)}",
                className="legend-row legend-city",
            )
        )
    if result.suppressed.any():
        n = result.params.small_count_threshold
        legend.append(html.Div(t("legend_hidden", lang, n=n), className="legend-row"))
    if gaps is not None:
        legend.append(gap_legend(t("legend_gaps", lang), lang, zmax=gaps["zmax"]))
    if "facilities" in state.layers:
        legend.append(html.Div(t("legend_facilities", lang), className="legend-row"))
    return legend


def gap_layer(ctx: AppContext, state: ViewState, cats: list[str]) -> dict[str, Any] | None:
    """Values and tooltips of the gap hexagons (cells with few residents or no gap: NaN)."""
    lang = state.lang
    gaps = ctx.view_gaps(state, cats)
    uncovered, residents = gaps.uncovered, gaps.residents
    # less than half a resident uncovered rounds to no gap
    shown = np.where(~gaps.suppressed & (uncovered >= 0.5), uncovered, np.nan)
    finite = shown[np.isfinite(shown)]
    template = t("hover_gap", lang)
    return {
        "values": shown,
        "zmax": float(np.nanpercentile(finite, 95)) if len(finite) else 1.0,
        "tips": [
            fill_template(template, [fmt_number(u, lang), fmt_number(r, lang)])
            if np.isfinite(v)
            else ""
            for u, r, v in zip(uncovered, residents, shown, strict=True)
        ],
        "colorbar": t("legend_gaps_short", lang),
    }


def facility_layer(ctx: AppContext, state: ViewState, cats: list[str]) -> dict[str, Any]:
    """Which facility categories are drawn, and their labels (escaped).

    The what-if view draws (and so lets one switch off) only the map's categories: a
    facility of another category would change nothing the map shows.
    """
    show = "facilities" in state.layers
    labels = {c: esc(label(ctx.dataset.category(c), state.lang)) for c in ctx.category_ids}
    drawn = [c for c in ctx.category_ids if show and (c in cats or state.view == "coordinator")]
    return {"show": drawn, "labels": labels}


def marker_layer(
    ctx: AppContext, state: ViewState, upload: dict | None, suggestions: dict | None
) -> list[dict[str, Any]]:
    """Planned, switched-off and suggested facilities, the location and uploaded points."""
    lang = state.lang
    planned = t("planned", lang)
    markers: list[dict[str, Any]] = [
        {
            "kind": "added",
            "lat": a,
            "lon": b,
            "index": i,
            "tip": f"{planned}: {esc(label(ctx.dataset.category(c), lang))}",
        }
        for i, (c, a, b) in enumerate(state.added)
    ]
    fac = ctx.facilities_wgs
    off = fac[fac["id"].isin(set(state.removed))]
    markers += [
        {"kind": "removed", "lat": a, "lon": b, "id": i, "tip": f"{n} ({t('switched_off', lang)})"}
        for a, b, n, i in zip(off["lat"], off["lon"], off["name"], off["id"], strict=True)
    ]
    suggested = suggestions or {}
    sites = suggested.get("sites", []) if state.view == "scenario" else []
    markers += [
        {
            "kind": "suggested",
            "lat": s[0],
            "lon": s[1],
            "tip": t("suggest_row", lang, i=i + 1, gain=fmt_number(g, lang)),
            "label": str(i + 1),
        }
        for i, (s, g) in enumerate(zip(sites, suggested.get("gains", []), strict=False))
    ]
    loc = state.location if state.view == "coordinator" else None
    if loc:
        markers.append(
            {"kind": "location", "lat": loc[0], "lon": loc[1], "tip": t("coord_location", lang)}
        )
    up = (upload or {}) if "upload" in state.layers else {}
    markers += [
        {"kind": "upload", "lat": a, "lon": b, "tip": tip}
        for a, b, tip in zip(up.get("lat", []), up.get("lon", []), up.get("text", []), strict=False)
    ]
    return markers


def data_table(caption: str, header: list[str], rows: list[list[str]]) -> html.Table:
    """An accessible HTML table; the last row (the city) is marked."""
    return html.Table(
        className="data-table",
        children=[
            html.Caption(caption),
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


def map_title(ctx: AppContext, state: ViewState, result: CoverageResult, overlay: bool) -> str:
    """The caption of map and table (the change, or the share of the chosen categories)."""
    lang = state.lang
    if overlay:
        group = label(ctx.dataset.group(change_group(ctx, state)), lang)
        return t("legend_change", lang, group=group, y0=state.year_from, y1=state.year_to)
    cats = list(result.params.categories)
    if not cats:
        return t("no_category", lang)
    return t(
        "legend_share", lang, cats=category_names(ctx, cats, lang), d=distance_text(state, lang)
    )


def map_update(
    ctx: AppContext,
    state: ViewState,
    *,
    upload: dict | None = None,
    suggestions: dict | None = None,
) -> dict[str, Any]:
    """Everything the map column shows for ``state``, rendered from the layers results.

    Returns
    -------
    dict
        ``layers`` (the values of the map, medium-neutral: the Leaflet map
        (:func:`dashboard.callbacks.view.map_values`) and the exported plotly figure
        (:func:`dashboard.export_map.view_figure`) both draw them), ``title``, ``legend``,
        ``table`` (Dash components; all text escaped by Dash), ``result`` (the coverage).
    """
    cats = ctx.check_categories(state.categories)
    level = ctx.level(state.level)
    geo = ctx.geo[level]
    overlay = "change" in state.layers
    result = ctx.view_coverage(state, cats)
    title = map_title(ctx, state, result, overlay)
    if overlay:
        change, _ = change_values(ctx, state, level)
        areas = change_areas(ctx, state, change, result, geo)
        table = data_table(title, change_header(state), change_rows(change, state.lang))
    else:
        areas = share_areas(ctx, state, result, geo)
        table = data_table(
            title, share_header(ctx, result, state.lang), share_rows(result, geo, state.lang)
        )
        if state.view == "compare":
            table = html.Div([table, change_table(ctx, state, level)])
    areas.update(
        selected=state.area if state.view in ("plan", "compare") else None,
        opacity=fill_opacity(state),
    )
    show_gaps = (
        "gaps" in state.layers and bool(cats) and not overlay and state.view != "coordinator"
    )
    loc = state.location if state.view == "coordinator" else None
    layers = {
        "level": level,
        "areas": areas,
        "gaps": gap_layer(ctx, state, cats) if show_gaps else None,
        "facilities": facility_layer(ctx, state, cats),
        "markers": marker_layer(ctx, state, upload, suggestions),
        "basemap": state.basemap == "osm",
        "view": {"center": [loc[0], loc[1]], "zoom": 15} if loc else None,
    }
    year = result.params.year if state.year and not overlay else None
    return {
        "layers": layers,
        "title": title + (f" · {year}" if year else ""),
        "legend": legend_rows(state, result, title=title, areas=areas, gaps=layers["gaps"]),
        "table": table,
        "result": result,
    }


def change_table(ctx: AppContext, state: ViewState, level: str) -> html.Table:
    """Table view of the compare map: population of the group in both years and the change."""
    lang = state.lang
    table, group_label = change_values(ctx, state, level)
    caption = t("legend_change", lang, group=group_label, y0=state.year_from, y1=state.year_to)
    return data_table(caption, change_header(state), change_rows(table, lang))


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
