"""Export buttons: the current map as PNG or PDF, the area profile as PDF, the table as CSV/XLSX.

The files are built from the view state only (never from text a user typed): the map by
:func:`dashboard.export_map.render_view`, the profile sheet by :mod:`dashboard.export_profile`,
the tables by :func:`dashboard.export.table_csv_bytes` / ``table_xlsx_bytes`` (formula-like text
neutralised). File names are made here from fixed words, the year and the area id. Map and
profile renders take a few seconds: the button is disabled while they run, and with a background
callback manager they run as background jobs.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import dash
import numpy as np
import pandas as pd
from dash import Input, Output, State, dcc

from dashboard import ids
from dashboard.i18n import check_lang, csv_dialect, label, t
from dashboard.state import ViewState

if TYPE_CHECKING:
    from dashboard.context import AppContext
    from layers.results import CoverageResult

MAP_FORMATS: tuple[str, ...] = ("png", "pdf")
TABLE_FORMATS: tuple[str, ...] = ("csv", "xlsx")
PAGE_FORMATS: tuple[str, ...] = ("a4", "16:9")

MIME = {
    "png": "image/png",
    "pdf": "application/pdf",
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


def _word(key: str, lang: str) -> str:
    return t(f"file_{key}", lang)


def _safe(part: object) -> str:
    """A file-name part of letters, digits, ``-`` and ``_`` only (at most 40 characters)."""
    return _UNSAFE.sub("_", str(part)).strip("_")[:40] or "x"


def profile_button(ctx: AppContext, state: ViewState) -> tuple[bool, str]:
    """``disabled`` and ``title`` of the profile export button (it needs a chosen area)."""
    level = ctx.level(state.level)
    ok = bool(state.area) and state.area in ctx.geo[level].ids
    return (not ok, "" if ok else t("export_profile_hint", state.lang))


def _period(ctx: AppContext, state: ViewState) -> str:
    y0 = state.year_from or (ctx.years[0] if ctx.years else "")
    y1 = state.year_to or (ctx.years[-1] if ctx.years else "")
    return f"{y0}-{y1}"


def _year(ctx: AppContext, state: ViewState) -> str:
    # the year whose numbers are in the file (a group without the asked year uses another)
    year, _ = ctx.resolve_year(state.year, state.group)
    return str(year) if year is not None else ""


def export_filename(ctx: AppContext, state: ViewState, kind: str, fmt: str) -> str:
    """The download's file name, e.g. ``quartiersatlas-karte-2021.png``.

    Parameters
    ----------
    kind
        ``"map"``, ``"profile"`` or ``"table"``.
    fmt
        File suffix (``png``, ``pdf``, ``csv``, ``xlsx``).
    """
    lang = state.lang
    overlay = "change" in state.layers
    parts = ["quartiersatlas"]
    if kind == "map":
        parts += (
            [_word("change", lang), _period(ctx, state)]
            if overlay
            else [_word("map", lang), _year(ctx, state)]
        )
    elif kind == "profile":
        parts += [_word("profile", lang), state.area or "", _year(ctx, state)]
    elif kind == "table":
        parts += [_word("table", lang)]
        parts += (
            [_word("change", lang), _period(ctx, state)]
            if overlay
            else [_word("coverage", lang), _year(ctx, state)]
        )
    else:
        raise ValueError(f"unknown export kind {kind!r}; use map, profile or table")
    return "-".join(_safe(p) for p in parts if p) + f".{fmt}"


def _round(value: Any, decimals: int) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return round(number, decimals) if np.isfinite(number) else None


def _count(value: Any) -> int | None:
    number = _round(value, 0)
    return None if number is None else int(number)


def table_frame(ctx: AppContext, state: ViewState) -> pd.DataFrame:
    """The table behind the current map with plain numbers (what the table view shows).

    Coverage per area (residents, covered share and share per selected category, in percent;
    areas under the small-count threshold without shares) and the whole city; in the change
    overlay the group's population in both years and the change in percent.
    """
    from dashboard.callbacks.map import change_view, jump_notes

    lang = state.lang
    level = ctx.level(state.level)
    geo = ctx.geo[level]
    id_col, name_col = t("area_id", lang), t("area", lang)
    if "change" in state.layers:
        change = change_view(ctx, state, level)
        group_label = label(ctx.dataset.group(change.params.group), lang)
        jumps = jump_notes(change, lang)
        by_area = change.table.set_index("area_id")
        y0, y1 = _period(ctx, state).split("-")
        rows = []
        for area_id, name in [*zip(geo.ids, geo.names, strict=True), ("ALL", t("city", lang))]:
            if area_id not in by_area.index:
                continue
            row = by_area.loc[area_id]
            rows.append(
                {
                    id_col: "" if area_id == "ALL" else area_id,
                    name_col: name,
                    f"{group_label} {y0}": _count(row["value_from"]),
                    f"{group_label} {y1}": _count(row["value_to"]),
                    t("change_pct", lang): _round(row["change_pct"], 2),
                    t("col_note", lang): jumps.get(str(area_id), ""),
                }
            )
        return pd.DataFrame(rows)

    return share_frame(ctx, ctx.view_coverage(state, state.categories), level, lang)


def percent(share: float) -> float | None:
    """A share as percent with 2 decimals: the 4-decimal share of the CSV contract, times 100.

    Rounded once to 4 decimals as ``quartiersatlas coverage`` prints it, so the exported table
    and the command line agree to the last digit.
    """
    if share is None or not np.isfinite(share):
        return None
    return round(round(float(share), 4) * 100, 2)


def share_frame(ctx: AppContext, result: CoverageResult, level: str, lang: str) -> pd.DataFrame:
    """The coverage table with plain numbers: per area and the city; suppressed areas empty.

    The headers name the group and year of the residents and, per share, what is reached
    (one category, all selected at once, or each one) within which distance, followed by
    the residents not reaching it.
    """
    from dashboard.callbacks.map import distance_phrase, group_label, share_columns

    geo = ctx.geo[level]
    params = result.params
    id_col, name_col = t("area_id", lang), t("area", lang)
    residents_col = t(
        "col_residents", lang, group=group_label(ctx, params.group, lang), year=params.year
    )
    d = distance_phrase(params, lang)
    columns: dict[str, tuple[str, Any]] = {}
    for share_key, uncovered_key, what in (
        share_columns(ctx, result, lang) if params.categories else []
    ):
        columns[t("col_share_at", lang, what=what, d=d)] = (share_key, percent)
        columns[t("col_uncovered", lang, what=what)] = (uncovered_key, _count)
    areas = result.areas.set_index("area_id").reindex(geo.ids)
    rows = []
    for area_id, name in zip(geo.ids, geo.names, strict=True):
        row = areas.loc[area_id]
        shown = not bool(row["suppressed"])
        rows.append(
            {id_col: area_id, name_col: name, residents_col: _count(row["residents"])}
            | {col: how(row[key]) if shown else None for col, (key, how) in columns.items()}
        )
    city = result.city
    rows.append(
        {id_col: "", name_col: t("city", lang), residents_col: _count(city["residents"])}
        | {col: how(city[key]) for col, (key, how) in columns.items()}
    )
    return pd.DataFrame(rows)


def table_metadata(ctx: AppContext, state: ViewState) -> list[tuple[str, str]]:
    """What the exported table shows, as (item, value) rows in the state's language.

    Parameters (services, combine rule, distance in metres and minutes with speed and mode,
    year asked and used, group, level, scenario), the export date, sources and licences, and
    the completeness note of the facility list.
    """
    import datetime as dt

    from dashboard.i18n import fmt_date, fmt_number, source_line
    from dashboard.state import SPEEDS_KMH
    from layers.areas import level_label

    lang = state.lang
    level = ctx.level(state.level)
    year_used: object = _year(ctx, state)
    rule, mode = "all", state.distance_mode
    categories = state.categories
    if "change" not in state.layers:
        params = ctx.view_coverage(state, state.categories).params
        year_used, rule, mode = params.year, params.require, params.distance_mode
        categories = params.categories
    speed = SPEEDS_KMH.get(state.speed, 4.5)
    metres = state.radius_m
    mode_key = "meta_mode_straight" if mode == "euclidean" else "meta_mode_network"
    scenario = (
        t("meta_scenario_value", lang, added=len(state.added), removed=len(state.removed))
        if state.added or state.removed
        else t("meta_scenario_none", lang)
    )
    rows = [(t("meta_table", lang), export_filename(ctx, state, "table", "csv")[:-4])]
    if "change" in state.layers:
        rows.append((t("meta_period", lang), _period(ctx, state).replace("-", "–")))
    else:
        rows += [
            (
                t("meta_categories", lang),
                ", ".join(label(ctx.dataset.category(c), lang) for c in categories),
            ),
            (t("meta_rule", lang), t(f"meta_rule_{rule}", lang)),
            (
                t("meta_distance", lang),
                t(
                    "meta_distance_value",
                    lang,
                    m=fmt_number(metres, lang),
                    min=fmt_number(metres / (speed * 1000 / 60), lang),
                    speed=fmt_number(speed, lang, decimals=1),
                    mode=t(mode_key, lang),
                ),
            ),
            (t("meta_year", lang), str(state.year) if state.year is not None else "–"),
            (t("meta_year_used", lang), "" if year_used is None else str(year_used)),
        ]
    rows += [
        (t("meta_group", lang), _group_label(ctx, state.group, lang)),
        (t("meta_level", lang), level_label(ctx.dataset, level, lang)),
        (t("meta_scenario", lang), scenario),
        (t("meta_created", lang), fmt_date(dt.date.today(), lang)),
        (t("meta_sources", lang), source_line(ctx.dataset.metadata.sources, lang)),
        (t("meta_completeness", lang), t("meta_completeness_text", lang)),
    ]
    return rows


def _group_label(ctx: AppContext, group: str, lang: str) -> str:
    from dashboard.profile_text import group_label
    from layers.profile import data_labels

    return group_label(data_labels(ctx.dataset), group, lang)


def table_export(ctx: AppContext, state: ViewState, fmt: str) -> tuple[bytes, str]:
    """The current table as CSV (German Excel dialect) or XLSX bytes, and its file name.

    Both carry :func:`table_metadata`: XLSX as a second sheet "Metadaten"/"Metadata", CSV as
    item/value rows after one empty line below the table (see docs/exports.md).
    """
    from dashboard.export import table_csv_bytes, table_xlsx_bytes

    if fmt not in TABLE_FORMATS:
        raise ValueError(f"table format {fmt!r} is unknown; use one of {', '.join(TABLE_FORMATS)}")
    frame = table_frame(ctx, state)
    lang = state.lang
    metadata = {
        "rows": table_metadata(ctx, state),
        "title": t("meta_sheet", lang),
        "header": (t("meta_key", lang), t("meta_value", lang)),
    }
    if fmt == "csv":
        sep, decimal = csv_dialect(lang)
        data = table_csv_bytes(frame, sep=sep, decimal=decimal, bom=True, metadata=metadata)
    else:
        sheet = t("compare_title_right" if "change" in state.layers else "covered", lang)
        data = table_xlsx_bytes(frame, sheet_name=sheet, metadata=metadata)
    return data, export_filename(ctx, state, "table", fmt)


def map_export(ctx: AppContext, state: ViewState, fmt: str, page: str) -> tuple[bytes, str]:
    """The current map view as PNG or PDF bytes on an A4 or 16:9 page, and its file name."""
    from dashboard.export_map import render_view

    if fmt not in MAP_FORMATS:
        raise ValueError(f"map format {fmt!r} is unknown; use one of {', '.join(MAP_FORMATS)}")
    page = page if page in PAGE_FORMATS else "a4"
    data = render_view(ctx, state, fmt=fmt, page_format=page)  # type: ignore[arg-type]
    name = export_filename(ctx, state, "map", fmt)
    if page == "16:9":
        name = name.replace(f".{fmt}", f"-16x9.{fmt}")
    return data, name


def profile_export(ctx: AppContext, state: ViewState) -> tuple[bytes, str] | None:
    """The one-page PDF profile of the selected area, and its file name (None without an area).

    The area must be one of the current level's areas (the state comes from a URL).
    """
    from dashboard.export_profile import profile_pdf_bytes, sheet_from_profile, trend_chart_png
    from layers.errors import ExportError

    level = ctx.level(state.level)
    if not state.area or state.area not in ctx.geo[level].ids:
        return None
    lang = check_lang(state.lang)
    profile = ctx.view_profile(state)
    charts: list[bytes] = []
    try:
        png = trend_chart_png(profile, lang=lang)
    except ExportError:  # no Chromium: the sheet without its chart is still useful
        png = None
    if png is not None:
        charts.append(png)
    sheet = sheet_from_profile(profile, lang=lang, charts=charts, districts=ctx.dataset.districts)
    return profile_pdf_bytes(sheet), export_filename(ctx, state, "profile", "pdf")


def _send(data: bytes, name: str, fmt: str) -> dict:
    return dcc.send_bytes(data, name, type=MIME[fmt])


def _failed(state: ViewState, exc: Exception) -> tuple:
    from dashboard.security import public_message

    return dash.no_update, t("error", state.lang, msg=public_message(exc))


def register(app: dash.Dash, ctx: AppContext) -> None:
    """Register the export callbacks (map and profile as background jobs when possible)."""
    from dashboard import slots
    from layers.errors import LayersError

    has_jobs = getattr(app, "_background_manager", None) is not None
    jobs = slots.for_app(app)
    for kind in ("png", "pdf", "profile"):
        slots.gate_job(app, ids.export_download(kind), (ids.EXPORT_STATUS, "children"))

    def slow(*buttons: str) -> dict[str, Any]:
        # the progress line's text is in the layout (relabelled on a language switch); the
        # running state only shows it, and empties the previous "downloaded" message
        running = [(Output(b, "disabled"), True, False) for b in buttons] + [
            (Output(ids.EXPORT_PROGRESS, "hidden"), False, True)
        ]
        if not has_jobs:
            return {"running": running}
        # the queue position is shown while a job waits for one of the host's slots
        queue = {"progress": Output(ids.EXPORT_QUEUE, "children"), "progress_default": ""}
        return {"running": running, "background": True, **queue}

    def send_map(data: dict | None, page: str | None, fmt: str, progress: Any) -> tuple:
        state = ViewState.from_dict(data)
        try:
            with jobs.slot(on_wait=slots.queue_reporter(progress, state.lang)):
                content, name = map_export(ctx, state, fmt, page or "a4")
        except slots.JobsBusyError:
            return dash.no_update, t("job_busy", state.lang)
        except (LayersError, LookupError, ValueError) as exc:
            return _failed(state, exc)
        return _send(content, name, fmt), t("export_done", state.lang, name=name)

    # two functions, not one made in a loop: background jobs are cached by the function's source
    @app.callback(
        Output(ids.export_download("png"), "data"),
        Output(ids.EXPORT_STATUS, "children", allow_duplicate=True),
        Input(ids.EXPORT_PNG, "n_clicks"),
        State(ids.STATE, "data"),
        State(ids.EXPORT_PAGE, "value"),
        prevent_initial_call=True,
        **slow(ids.EXPORT_PNG, ids.EXPORT_PDF),
    )
    def export_png(*args: Any) -> tuple[Any, str]:
        progress, (_n, data, page) = slots.split_progress(args, background=has_jobs)
        return send_map(data, page, "png", progress)

    @app.callback(
        Output(ids.export_download("pdf"), "data"),
        Output(ids.EXPORT_STATUS, "children", allow_duplicate=True),
        Input(ids.EXPORT_PDF, "n_clicks"),
        State(ids.STATE, "data"),
        State(ids.EXPORT_PAGE, "value"),
        prevent_initial_call=True,
        **slow(ids.EXPORT_PNG, ids.EXPORT_PDF),
    )
    def export_pdf(*args: Any) -> tuple[Any, str]:
        progress, (_n, data, page) = slots.split_progress(args, background=has_jobs)
        return send_map(data, page, "pdf", progress)

    @app.callback(
        Output(ids.export_download("profile"), "data"),
        Output(ids.EXPORT_STATUS, "children", allow_duplicate=True),
        Input(ids.EXPORT_PROFILE, "n_clicks"),
        State(ids.STATE, "data"),
        prevent_initial_call=True,
        **slow(ids.EXPORT_PROFILE),
    )
    def export_profile(*args: Any) -> tuple[Any, str]:
        progress, (_n, data) = slots.split_progress(args, background=has_jobs)
        state = ViewState.from_dict(data)
        try:
            with jobs.slot(on_wait=slots.queue_reporter(progress, state.lang)):
                result = profile_export(ctx, state)
        except slots.JobsBusyError:
            return dash.no_update, t("job_busy", state.lang)
        except (LayersError, LookupError, ValueError) as exc:
            return _failed(state, exc)
        if result is None:
            return dash.no_update, t("export_profile_hint", state.lang)
        content, name = result
        return _send(content, name, "pdf"), t("export_done", state.lang, name=name)

    for fmt, button in (("csv", ids.EXPORT_CSV), ("xlsx", ids.EXPORT_XLSX)):

        def export_table(_n: int, data: dict | None, fmt: str = fmt) -> tuple[Any, str]:
            state = ViewState.from_dict(data)
            try:
                content, name = table_export(ctx, state, fmt)
            except (LayersError, LookupError, ValueError) as exc:
                return _failed(state, exc)
            return _send(content, name, fmt), t("export_done", state.lang, name=name)

        app.callback(
            Output(ids.export_download(fmt), "data"),
            Output(ids.EXPORT_STATUS, "children", allow_duplicate=True),
            Input(button, "n_clicks"),
            State(ids.STATE, "data"),
            prevent_initial_call=True,
        )(export_table)

    @app.callback(
        Output(ids.EXPORT_PROFILE, "disabled"),
        Output(ids.EXPORT_PROFILE, "title"),
        Input(ids.EXPORT_TRIGGER, "data"),
        State(ids.STATE, "data"),
        prevent_initial_call=True,
    )
    def profile_enabled(_trigger: object, data: dict | None) -> tuple[bool, str]:
        return profile_button(ctx, ViewState.from_dict(data))
