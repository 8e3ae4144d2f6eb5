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
from dashboard.i18n import (
    TEXT,
    fmt_distance,
    fmt_number,
    fmt_numbers,
    fmt_percent,
    fmt_percents,
    label,
    t,
)
from dashboard.i18n import source_line as i18n_source_line
from dashboard.legend import (
    animation_changes,
    change_legend,
    fill_opacity,
    fixed_change_bound,
    gap_legend,
    nice_ceiling,
    share_legend,
)
from dashboard.state import ViewState
from layers.coverage import ALL_AREAS_ID

if TYPE_CHECKING:
    from dashboard.context import AppContext
    from layers.results import ChangeResult, CoverageParams, CoverageResult, Note


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


def distance_phrase(params: CoverageParams, lang: str) -> str:
    """The distance of a result in metres, minutes and speed, and how it was measured.

    ``"500 m Luftlinie"``, ``"10 Min. bei 4,5 km/h (750 m Luftlinie)"``.
    """
    how = t("how_network" if params.distance_mode == "network" else "how_euclidean", lang)
    metres = fmt_distance(params.radius_m, lang)
    if params.minutes is not None:
        speed = fmt_number(params.speed_kmh or 4.5, lang, decimals=1)
        n = fmt_number(params.minutes, lang)
        return t("dist_min", lang, n=n, speed=speed, m=metres, how=how)
    return t("dist_m", lang, m=metres, how=how)


def group_phrase(ctx: AppContext, group: str, lang: str) -> str:
    """The population group as a title reads it ("65-Jährigen und Älteren")."""
    key = f"group_phrase_{group}"
    if key in TEXT:
        return t(key, lang)
    try:
        name = label(ctx.dataset.group(group), lang)
    except LookupError:
        name = group
    return t("group_phrase_other", lang, label=name)


def group_label(ctx: AppContext, group: str, lang: str) -> str:
    """The group's label from the dataset (its id when the dataset does not know it)."""
    try:
        return label(ctx.dataset.group(group), lang)
    except LookupError:
        return group


def note_text(ctx: AppContext, note: Note, lang: str) -> str:
    """A result's note in ``lang`` (never its raw id)."""
    key = f"note_{note.id}"
    if key not in TEXT:
        return t("note_unknown", lang)
    values = dict(note.params)
    if "group" in values:
        values["group"] = group_label(ctx, str(values["group"]), lang)
    for name, value in values.items():
        if isinstance(value, (list, tuple)):  # years
            values[name] = ", ".join(map(str, value)) or t("years_none", lang)
    return t(key, lang, **values)


def share_columns(ctx: AppContext, result: CoverageResult, lang: str) -> list[tuple[str, str, str]]:
    """The shares a view shows, as ``(share column, uncovered column, what they reach)``.

    One category: its share. Several with ``require="all"``: the share reaching all of them at
    once. Several with ``"each"``: one share per category.
    """
    params = result.params
    cats = list(params.categories)
    names = [label(ctx.dataset.category(c), lang) for c in cats]
    if len(cats) == 1:
        return [("share", "uncovered", names[0])]
    if params.require == "each":
        return [(f"share_{c}", f"uncovered_{c}", n) for c, n in zip(cats, names, strict=True)]
    return [("share", "uncovered", t("rule_all", lang))]


def map_column(result: CoverageResult) -> tuple[str, str]:
    """The share and uncovered columns the map colours by (the first category with "each")."""
    cats = result.params.categories
    if len(cats) > 1 and result.params.require == "each":
        return f"share_{cats[0]}", f"uncovered_{cats[0]}"
    return "share", "uncovered"


def category_names(ctx: AppContext, cats: list[str], lang: str) -> str:
    """Labels of ``cats`` joined (or "all selected services" when there are many)."""
    labels = [label(ctx.dataset.category(c), lang) for c in cats]
    return ", ".join(labels) if len(labels) <= 3 else t("all_selected", lang)


def change_group(ctx: AppContext, state: ViewState) -> str:
    """The group of the change overlay (the state's, if the dataset has it)."""
    return state.group if state.group in ctx.groups else "total"


def change_view(ctx: AppContext, state: ViewState, level: str) -> ChangeResult:
    """Change result (table and jumps) of the state's group and years."""
    y0 = state.year_from or ctx.years[0]
    y1 = state.year_to or ctx.years[-1]
    group = change_group(ctx, state)
    return ctx.view_change(group=group, year_from=y0, year_to=y1, level=level)


def change_values(ctx: AppContext, state: ViewState, level: str) -> tuple[Any, str]:
    """Change table of the state's group and years, and the group label."""
    result = change_view(ctx, state, level)
    return result.table, label(ctx.dataset.group(result.params.group), state.lang)


def source_line(ctx: AppContext, lang: str) -> str:
    """The source line under every map ("Quellen: … Stand: …"), from the layer sources."""
    return i18n_source_line(ctx.dataset.metadata.sources, lang)


def share_areas(
    ctx: AppContext, state: ViewState, result: CoverageResult, geo: AreaGeometry
) -> dict[str, Any]:
    """Values and tooltips of the area layer for coverage (share in percent, hidden = NaN).

    A tooltip names every share the view shows, the distance, and the residents of the group
    and year not reached.
    """
    lang = state.lang
    params = result.params
    threshold = params.small_count_threshold
    areas = result.areas.set_index("area_id").reindex(geo.ids)
    suppressed = areas["suppressed"].fillna(True).to_numpy(bool)
    share_col, _ = map_column(result)
    values = np.where(suppressed, np.nan, areas[share_col].to_numpy(float)) * 100.0
    columns = share_columns(ctx, result, lang) if params.categories else []
    d = distance_phrase(params, lang)
    group = group_label(ctx, params.group, lang)
    context = esc(t("tip_context", lang, group=group, year=params.year, d=d))
    # the parts all areas share in the template, the area's own in its row (name, shares)
    template = "<b>%{customdata[0]}</b>" + (
        f"<br>{context}<br>%{{customdata[1]}}" if columns else ""
    )
    # every number formatted at once (a city has hundreds of areas), then one row per area
    residents = fmt_numbers(areas["residents"], lang)
    shares = {key: fmt_percents(areas[key], lang) for key, _, _ in columns}
    uncovered = {key: fmt_numbers(areas[key], lang) for _, key, _ in columns}
    hidden_share = t("hidden_value", lang, n=threshold)
    rows = []
    names = ctx.memo(("escaped names", params.level), lambda: [esc(n) for n in geo.names])
    for i, (name, hidden) in enumerate(zip(names, suppressed, strict=True)):
        lines = []
        for share_key, uncovered_key, what in columns:
            if hidden:  # the count of residents not reached would give the hidden share away
                lines.append(esc(t("tip_hidden", lang, what=what, share=hidden_share)))
                continue
            line = t(
                "tip_line",
                lang,
                what=what,
                share=shares[share_key][i],
                uncovered=uncovered[uncovered_key][i],
                residents=residents[i],
            )
            lines.append(esc(line))
        rows.append([name, "<br>".join(lines)] if columns else [name])
    what = columns[0][2] if columns else ""
    return {
        "values": values,
        "scale": SHARE_SCALE,
        "zmin": 0.0,
        "zmax": 100.0,
        "tip_template": template,
        "tip_rows": rows,
        "colorbar": t("colorbar_share", lang, what=what) if what else t("legend_share_short", lang),
    }


def jump_notes(change: ChangeResult, lang: str, *, short: bool = False) -> dict[str, str]:
    """Per area, a neutral note on the jumps of its series (areas without jumps are absent).

    ``short``: only the steps ("Sprung 2014→2015: +22,1 % …"), for a table cell next to which
    ``jump_explained`` says once what a jump is.
    """
    steps: dict[str, list[str]] = {}
    if change.jumps is None:
        return {}
    for jump in change.jumps.to_dict("records"):
        step = t(
            "jump_step",
            lang,
            y0=jump["year_from"],
            y1=jump["year_to"],
            change=fmt_percent(jump["change"], lang, sign=True),
            back=t("jump_back", lang) if jump["reverts"] else "",
        )
        steps.setdefault(str(jump["area_id"]), []).append(step)
    key = "jump_short" if short else "jump_note"
    return {area: t(key, lang, steps="; ".join(s)) for area, s in steps.items()}


def change_data_table(caption: str, state: ViewState, change: ChangeResult) -> html.Div:
    """The change table with short jump notes, and what a jump is, once, below it."""
    lang = state.lang
    jumps = jump_notes(change, lang, short=True)
    header = change_header(state)
    rows = change_rows(change.table, lang, jumps)
    table = data_table(caption, header, rows, column_classes={len(header) - 1: "note-cell"})
    explained = [html.P(t("jump_explained", lang), className="hint")] if jumps else []
    return html.Div([table, *explained])


def change_areas(
    ctx: AppContext,
    state: ViewState,
    change: pd.DataFrame,
    result: CoverageResult,
    geo: AreaGeometry,
    jumps: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Values and tooltips of the area layer for the change overlay (small areas hidden).

    ``jumps``: the note on breaks in an area's series (:func:`jump_notes`), added to its tooltip.
    """
    lang = state.lang
    jumps = jumps or {}
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
    # the jump note, if any, is the row's last field
    template = t("hover_area_change", lang) + "%{customdata[3]}"
    rows = []
    for area_id, name, v in zip(geo.ids, geo.names, values, strict=True):
        row = by_area.loc[area_id] if area_id in by_area.index else None
        detail = (
            f"{fmt_number(row['value_from'], lang)} → {fmt_number(row['value_to'], lang)}"
            if row is not None
            else ""
        )
        jump = f"<br><i>{esc(jumps[area_id])}</i>" if area_id in jumps else ""
        rows.append([esc(name), fmt_percent(v / 100, lang, sign=True), esc(detail), jump])
    return {
        "values": values,
        "scale": CHANGE_SCALE,
        "zmin": -bound,
        "zmax": bound,
        "tip_template": template,
        "tip_rows": rows,
        "colorbar": t("legend_change_short", lang),
    }


def change_rows(
    change: pd.DataFrame, lang: str, jumps: dict[str, str] | None = None
) -> list[list[str]]:
    """Table rows of the change overlay: area, both years, change, note on jumps (city last)."""
    jumps = jumps or {}
    rows = []
    for record in change.to_dict("records"):
        name = t("city", lang) if record["area_id"] == ALL_AREAS_ID else record["area_name"]
        rows.append(
            [
                name,
                fmt_number(record["value_from"], lang),
                fmt_number(record["value_to"], lang),
                fmt_percent(record["change_pct"] / 100, lang, sign=True, decimals=2),
                jumps.get(str(record["area_id"]), ""),
            ]
        )
    return rows


def change_header(state: ViewState) -> list[str]:
    """Column headers of the change table."""
    lang = state.lang
    return [
        t("area", lang),
        str(state.year_from),
        str(state.year_to),
        t("change_pct", lang),
        t("col_note", lang),
    ]


def share_header(ctx: AppContext, result: CoverageResult, lang: str) -> list[str]:
    """Column headers of the coverage table.

    Area, residents of the group and year, then each share the view shows next to the
    residents not reaching it.
    """
    params = result.params
    header = [
        t("area", lang),
        t("col_residents", lang, group=group_label(ctx, params.group, lang), year=params.year),
    ]
    for _, _, what in share_columns(ctx, result, lang) if params.categories else []:
        header += [t("col_share", lang, what=what), t("col_uncovered", lang, what=what)]
    return header


def share_rows(
    ctx: AppContext, result: CoverageResult, geo: AreaGeometry, lang: str
) -> list[list[str]]:
    """Table rows of the coverage table: one per area (hidden values as ``–``), the city last."""
    columns = share_columns(ctx, result, lang) if result.params.categories else []
    areas = result.areas.set_index("area_id").reindex(geo.ids)
    rows = []
    for name, row in zip(geo.names, areas.to_dict("records"), strict=True):
        hidden = bool(row["suppressed"]) if pd.notna(row["suppressed"]) else True
        cells = [name, fmt_number(row["residents"], lang)]
        for share_key, uncovered_key, _ in columns:
            cells.append("–" if hidden else fmt_percent(row[share_key], lang))
            cells.append("–" if hidden else fmt_number(row[uncovered_key], lang))
        rows.append(cells)
    city = result.city
    cells = [t("city", lang), fmt_number(city["residents"], lang)]
    for share_key, uncovered_key, _ in columns:
        cells += [fmt_percent(city[share_key], lang), fmt_number(city[uncovered_key], lang)]
    rows.append(cells)
    return rows


def city_summary(ctx: AppContext, result: CoverageResult, lang: str) -> str:
    """The city's share of the map column and its residents not reached (one line)."""
    if not result.params.categories:
        return ""
    share_key, uncovered_key = map_column(result)
    what = share_columns(ctx, result, lang)[0][2]
    return t(
        "city_summary",
        lang,
        share=fmt_percent(result.city[share_key], lang),
        what=what,
        uncovered=fmt_number(result.city[uncovered_key], lang),
        group=group_label(ctx, result.params.group, lang),
        year=result.params.year,
    )


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
    # the texts that change from step to step have ids: the view callback sends them alone
    # when the rest stays (callbacks.view text_values)
    legend: list[Any] = [
        change_legend(
            title,
            lang,
            bound=areas["zmax"],
            opacity=areas["opacity"],
            title_id=ids.MAP_LEGEND_TITLE,
        )
        if overlay
        else share_legend(title, lang, opacity=areas["opacity"], title_id=ids.MAP_LEGEND_TITLE)
    ]
    if not overlay and result.params.categories:
        legend.append(
            html.Div(
                f"{t('city_average', lang)}: "
                f"{fmt_percent(result.city[map_column(result)[0]], lang)}",
                id=ids.MAP_LEGEND_CITY,
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
    # the residents of every cell, drawn or not: the column stays the same while only the
    # distance changes (the map sends a column only when it changed)
    drawn = np.isfinite(shown)
    p = gaps.params
    residents_texts = ctx.memo(
        ("gap residents", p.year, p.group, bool(p.categories), lang),
        lambda: fmt_numbers(residents, lang),
    )
    rows = [
        [u if d else None, r]
        for u, r, d in zip(
            fmt_numbers(uncovered, lang), residents_texts, drawn.tolist(), strict=True
        )
    ]
    return {
        "values": shown,
        # the 95th percentile rounded up: round ticks, and a scale that stays over a step
        "zmax": nice_ceiling(float(np.nanpercentile(finite, 95))) if len(finite) else 1.0,
        "tip_template": template,
        "tip_rows": rows,
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
            {
                "kind": "location",
                "lat": loc[0],
                "lon": loc[1],
                "tip": t("coord_location", lang),
                "radius_m": round(state.radius_m, 1),
            }
        )
    up = (upload or {}) if "upload" in state.layers else {}
    markers += [
        {"kind": "upload", "lat": a, "lon": b, "tip": tip}
        for a, b, tip in zip(up.get("lat", []), up.get("lon", []), up.get("text", []), strict=False)
    ]
    return markers


def data_table(
    caption: str,
    header: list[str],
    rows: list[list[str]],
    *,
    column_classes: dict[int, str] | None = None,
) -> html.Table:
    """An accessible HTML table; the last row (the city) is marked.

    ``column_classes``: a class name per column position (a text column, e.g. notes).
    """
    classes = column_classes or {}
    return html.Table(
        className="data-table",
        children=[
            html.Caption(caption),
            html.Thead(html.Tr([html.Th(h, scope="col") for h in header])),
            html.Tbody(
                [
                    html.Tr(
                        [
                            html.Th(r[0], scope="row"),
                            *[
                                html.Td(c, className=classes.get(j + 1))
                                for j, c in enumerate(r[1:])
                            ],
                        ],
                        className="city-row" if i == len(rows) - 1 else None,
                    )
                    for i, r in enumerate(rows)
                ]
            ),
        ],
    )


def map_title(ctx: AppContext, state: ViewState, result: CoverageResult, overlay: bool) -> str:
    """The caption of map and table: the change, or the share of a group reaching services.

    The share names the group, the year used, the chosen categories with the combine rule and
    the distance (metres, minutes at a speed, straight-line or network), and the scenario when
    planned or switched-off facilities are counted.
    """
    lang = state.lang
    if overlay:
        group = label(ctx.dataset.group(change_group(ctx, state)), lang)
        return t("legend_change", lang, group=group, y0=state.year_from, y1=state.year_to)
    params = result.params
    cats = list(params.categories)
    if not cats:
        return t("no_category", lang)
    names = [label(ctx.dataset.category(c), lang) for c in cats]
    values = {
        "group": group_phrase(ctx, params.group, lang),
        "year": params.year,
        "d": distance_phrase(params, lang),
    }
    if len(cats) == 1:
        title = t("title_share", lang, what=names[0], **values)
    elif params.require == "each":
        title = t("title_share_each", lang, what=names[0], cats=", ".join(names), **values)
    else:
        title = t(
            "title_share", lang, what=t("rule_all_cats", lang, cats=", ".join(names)), **values
        )
    if params.added or params.removed:
        scenario = t(
            "meta_scenario_value", lang, added=len(params.added), removed=len(params.removed)
        )
        title += f" · {t('meta_scenario', lang)}: {scenario}"
    return title


def level_notes(ctx: AppContext, level: str, lang: str) -> list[str]:
    """Why a grouping level shows no (or only some) areas: the dataset's own note on it."""
    grouping = next((g for g in ctx.dataset.groupings if g.id == level), None)
    if grouping is None:
        return []
    note = grouping.note(lang)
    if grouping.empty or grouping.mapping.empty:
        return [t("level_empty", lang, level=grouping.label(lang), note=note)]
    return [note] if note else []


def map_update(
    ctx: AppContext,
    state: ViewState,
    *,
    upload: dict | None = None,
    suggestions: dict | None = None,
    table: bool = True,
) -> dict[str, Any]:
    """Everything the map column shows for ``state``, rendered from the layers results.

    ``table=False`` leaves the table out (``None``): the app renders it only while the table
    view is open (:func:`map_table`), since hundreds of rows of components in the page slow
    down every later update of it.

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
    # the change map (overlay, or the compare view's second map) and why its areas are empty
    change = change_view(ctx, state, level) if overlay or state.view == "compare" else None
    if overlay:
        areas = change_areas(ctx, state, change.table, result, geo, jump_notes(change, state.lang))
    else:
        areas = share_areas(ctx, state, result, geo)
    areas.update(
        selected=state.area if state.view in ("plan", "compare") else None,
        opacity=fill_opacity(state),
    )
    show_gaps = (
        "gaps" in state.layers and bool(cats) and not overlay and state.view != "coordinator"
    )
    loc = state.location if state.view == "coordinator" else None
    # with "each" the map (and so its gaps) shows the first ticked category
    gap_cats = cats[:1] if state.require == "each" else cats
    layers = {
        "level": level,
        "areas": areas,
        "gaps": gap_layer(ctx, state, gap_cats) if show_gaps else None,
        "facilities": facility_layer(ctx, state, cats),
        "markers": marker_layer(ctx, state, upload, suggestions),
        "basemap": state.basemap == "osm",
        "view": {"center": [loc[0], loc[1]], "zoom": 15} if loc else None,
    }
    notes = [] if overlay else [note_text(ctx, n, state.lang) for n in result.params.notes]
    if change is not None:
        notes += [note_text(ctx, n, state.lang) for n in change.notes]
    notes += level_notes(ctx, level, state.lang)
    return {
        "layers": layers,
        "title": title,
        "notes": notes,
        "summary": "" if overlay else city_summary(ctx, result, state.lang),
        "legend": legend_rows(state, result, title=title, areas=areas, gaps=layers["gaps"]),
        "table": map_table(ctx, state, result, title=title) if table else None,
        "result": result,
    }


def map_table(
    ctx: AppContext, state: ViewState, result: CoverageResult, *, title: str
) -> html.Div | html.Table:
    """The table view of the map, captioned with the map's ``title``.

    The coverage (with the change next to it in the compare view) or the change overlay.
    """
    level = ctx.level(state.level)
    if "change" in state.layers:
        return change_data_table(title, state, change_view(ctx, state, level))
    lang = state.lang
    geo = ctx.geo[level]
    table = data_table(title, share_header(ctx, result, lang), share_rows(ctx, result, geo, lang))
    if state.view == "compare":
        return html.Div([table, change_table(ctx, state, level)])
    return table


def table_update(ctx: AppContext, state: ViewState) -> html.Div | html.Table:
    """The table view for ``state`` alone (opening the table), as :func:`map_update` has it."""
    cats = ctx.check_categories(state.categories)
    result = ctx.view_coverage(state, cats)
    title = map_title(ctx, state, result, "change" in state.layers)
    return map_table(ctx, state, result, title=title)


def change_table(ctx: AppContext, state: ViewState, level: str) -> html.Div:
    """Table view of the compare map: population of the group in both years and the change."""
    lang = state.lang
    change = change_view(ctx, state, level)
    name = label(ctx.dataset.group(change.params.group), lang)
    caption = t("legend_change", lang, group=name, y0=state.year_from, y1=state.year_to)
    return change_data_table(caption, state, change)


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


def compare_title(ctx: AppContext, state: ViewState) -> str:
    """Heading of the compare map: the group and the two years its change compares."""
    change = change_view(ctx, state, ctx.level(state.level))
    group = label(ctx.dataset.group(change.params.group), state.lang)
    what = t(
        "legend_change",
        state.lang,
        group=group,
        y0=change.params.year_from,
        y1=change.params.year_to,
    )
    return t("compare_title_change", state.lang, change=what)


def register(app: dash.Dash, ctx: AppContext) -> None:
    """Register the compare map's and the table view's callbacks.

    The main map is drawn by ``callbacks.view``.
    """

    @app.callback(
        Output(ids.MAP_TABLE, "children", allow_duplicate=True),
        dash.Input(ids.MAP_TABLE_WRAP, "open"),
        dash.State(ids.STATE, "data"),
        prevent_initial_call=True,
    )
    def update_table(is_open: bool | None, data: dict | None) -> Any:
        # closed: the rows leave the page, so that later changes do not re-render them
        if not is_open:
            return []
        return table_update(ctx, ViewState.from_dict(data))

    @app.callback(
        Output(ids.COMPARE_MAP, "figure"),
        Output(ids.COMPARE_TITLE, "children"),
        dash.Input(ids.COMPARE_TRIGGER, "data"),
        dash.State(ids.STATE, "data"),
        prevent_initial_call=True,
    )
    def update_compare(_trigger: object, data: dict | None) -> tuple[Patch, str]:
        state = ViewState.from_dict(data)
        if state.view != "compare":
            raise dash.exceptions.PreventUpdate
        return compare_update(ctx, state), compare_title(ctx, state)
