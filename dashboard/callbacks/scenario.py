"""What if: planned and switched-off facilities, and suggested sites.

Planned facilities (map clicks) and switched-off ones change coverage at once
(:meth:`layers.coverage.DistanceTable.scenario_distances_m`); "Vorschläge" proposes the k best
sites (:func:`layers.siting.propose_sites`) and says where they are
(:func:`layers.siting.site_places`). Every number shown comes from the
:class:`~layers.results.ScenarioResult` (per area, per category, all together) or the site
proposal; this module only words and formats them. The planned category follows the map's
categories (``callbacks.url_state.planned_category``), so the gain shown is the map's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import dash
import numpy as np
from dash import Input, Output, State, html

from dashboard import ids
from dashboard.i18n import fmt_number, fmt_percent, label, t
from dashboard.state import ViewState
from layers.results import Note, ScenarioResult
from layers.results import scenario_result as layers_scenario_result

if TYPE_CHECKING:
    from dashboard.context import AppContext


def scenario_key(state: ViewState) -> list:
    """What the scenario panel depends on."""
    return [
        state.view,
        list(state.categories),
        round(state.radius_m, 1),
        state.year,
        state.group,
        state.level,
        [list(a) for a in state.added],
        list(state.removed),
        state.lang,
        state.distance_mode,
    ]


def scenario_result(ctx: AppContext, state: ViewState) -> ScenarioResult:
    """Coverage of the view before and after its scenario (:func:`layers.results.scenario_result`)."""
    cats = ctx.check_categories(state.categories)
    before = ctx.view_coverage(state.with_(added=(), removed=()), cats)
    return layers_scenario_result(before, ctx.view_coverage(state, cats))


def seed_warning(lang: str) -> html.P:
    """The incomplete-data warning of the notes panel, repeated where sites are planned."""
    return html.P(t("notes_seed", lang), className="note-seed")


def change_phrase(residents: float, lang: str) -> str:
    """A change of covered residents in words: gained, lost, or no change (rounded)."""
    if residents >= 0.5:
        return t("whatif_gain", lang, n="+" + fmt_number(residents, lang))
    if residents <= -0.5:
        return t("whatif_loss", lang, n=fmt_number(abs(residents), lang))
    return t("whatif_no_change", lang)


def signed(value: float, lang: str, *, decimals: int = 0) -> str:
    """A change with its sign (``+1.234``, ``-56``; ``–`` when unknown)."""
    text = fmt_number(value, lang, decimals=decimals)
    return "+" + text if np.isfinite(value) and value > 0 and text.strip("0,.") else text


def note_text(ctx: AppContext, note: Note, lang: str) -> str:
    """A scenario or siting note (:class:`layers.results.Note`) in ``lang``."""
    params = dict(note.params)
    if note.id == "planned_not_counted":
        cats = ", ".join(label(ctx.dataset.category(c), lang) for c in params["categories"])
        return t("whatif_planned_not_counted", lang, n=params["n"], cats=cats)
    if note.id == "siting_greedy":
        return t(
            "whatif_siting_greedy",
            lang,
            bound=fmt_percent(params["bound"], lang, decimals=0),
            candidates=fmt_number(params["candidates"], lang),
            cell=fmt_number(params["cell_m"], lang),
        )
    if note.id in ("siting_mclp", "siting_greedy_won"):
        return t(
            f"whatif_{note.id}",
            lang,
            offered=fmt_number(params["offered"], lang),
            candidates=fmt_number(params["candidates"], lang),
            cell=fmt_number(params["cell_m"], lang),
        )
    return t("whatif_note_unknown", lang)


def scenario_summary(ctx: AppContext, state: ViewState, result: ScenarioResult) -> html.Div:
    """Counts, then the change of covered residents per category and for all of them."""
    lang = state.lang
    lines = []
    gains = result.category_gains
    for row in gains.to_dict("records"):
        lines.append(
            html.Li(
                [
                    html.Span(label(ctx.dataset.category(row["category"]), lang) + ": "),
                    html.Strong(change_phrase(row["gain_residents"], lang)),
                    f" ({nbsp(fmt_percent(row['share_before'], lang))} → "
                    f"{nbsp(fmt_percent(row['share_after'], lang))})",
                ],
                className="whatif-line",
            )
        )
    if len(gains) > 1:
        lines.append(
            html.Li(
                [
                    html.Span(t("whatif_all_selected", lang) + ": "),
                    html.Strong(change_phrase(result.gain_residents, lang)),
                    f" ({nbsp(fmt_percent(result.before.city_share, lang))} → "
                    f"{nbsp(fmt_percent(result.after.city_share, lang))})",
                ],
                className="whatif-line whatif-combined",
            )
        )
    counts = t("whatif_counts", lang, added=len(state.added), removed=len(state.removed))
    notes = [html.P(note_text(ctx, n, lang), className="note") for n in result.notes]
    return html.Div(
        [html.P(counts, className="summary-line"), html.Ul(lines, className="whatif-lines"), *notes]
    )


def shares_cell(before: float, after: float, gain_pp: float, lang: str) -> list[Any]:
    """``before → after`` on one line, the change in percentage points below it."""
    return [
        html.Span(f"{nbsp(fmt_percent(before, lang))} → {nbsp(fmt_percent(after, lang))}"),
        html.Br(),
        html.Span(t("whatif_pp", lang, n=signed(gain_pp, lang, decimals=1)), className="pp"),
    ]


def nbsp(text: str) -> str:
    """Keep a number and its unit on one line (``45,3 %``)."""
    return text.replace(" ", "\u00a0")


def gain_table(result: ScenarioResult, lang: str) -> html.Table | None:
    """Areas whose coverage changed, largest change first (all numbers from ``result.rows``).

    Three columns, so that the table fits the side panel and a phone without scrolling.
    """
    rows = result.rows
    changed = rows[rows["gain_residents"].abs() >= 0.5]
    changed = changed.sort_values("gain_residents", key=np.abs, ascending=False, kind="stable")
    if not len(changed):
        return None
    return html.Table(
        className="data-table compact whatif-table",
        id=ids.SCENARIO_TABLE + "-table",
        children=[
            html.Thead(
                html.Tr(
                    [
                        html.Th(t("area", lang), scope="col"),
                        html.Th(t("whatif_col_shares", lang), scope="col"),
                        html.Th(t("whatif_col_residents", lang), scope="col"),
                    ]
                )
            ),
            html.Tbody(
                [
                    html.Tr(
                        [
                            html.Th(r["area_name"], scope="row"),
                            html.Td(
                                shares_cell(
                                    r["share_before"], r["share_after"], r["gain_pp"], lang
                                ),
                                className="shares",
                            ),
                            html.Td(
                                signed(r["gain_residents"], lang),
                                className="gain" if r["gain_residents"] > 0 else "loss",
                            ),
                        ]
                    )
                    for r in changed.to_dict("records")
                ]
            ),
        ],
    )


def scenario_children(ctx: AppContext, state: ViewState) -> tuple[Any, Any]:
    """Summary (with the incomplete-data warning) and the gain table of the what-if panel."""
    lang = state.lang
    if not state.added and not state.removed:
        return [html.P(t("scenario_empty", lang), className="hint"), seed_warning(lang)], None
    result = scenario_result(ctx, state)
    return [scenario_summary(ctx, state, result), seed_warning(lang)], gain_table(result, lang)


def suggest(ctx: AppContext, state: ViewState, k: int) -> dict[str, Any]:
    """The ``k`` best sites for the scenario category (on top of the current scenario).

    JSON-ready: ``category``, ``sites`` (WGS84 ``(lat, lon)``), ``gains`` (residents newly
    covered per site), ``places`` (``district_name``, ``address``, ``address_m`` per site) and
    ``notes`` (``{"id": …, **params}``).
    """
    category = state.scenario_category or ctx.category_ids[0]
    proposal = ctx.suggest_sites(
        category,
        k=k,
        radius_m=state.radius_m,
        year=state.year,
        group=state.group,
        added=state.added,
        removed=state.removed,
        mode=state.distance_mode,
    )
    return {"category": category, **proposal}


def site_text(place: dict[str, Any], lang: str) -> str:
    """Where a suggested site is: Stadtteil and nearest address (or why there is none)."""
    district = place.get("district_name") or t("whatif_no_district", lang)
    if place.get("address"):
        near = t(
            "whatif_near_address",
            lang,
            address=place["address"],
            m=fmt_number(place["address_m"], lang),
        )
    else:
        near = t("whatif_no_address", lang)
    return f"{district} · {near}"


def suggest_children(ctx: AppContext, result: dict, lang: str) -> list[Any]:
    """The list of suggested sites: gain, Stadtteil and nearest address; the method's note."""
    cat = label(ctx.dataset.category(result["category"]), lang)
    places = result.get("places") or [{} for _ in result["gains"]]
    items = [
        html.Li(
            [
                html.Span(t("suggest_row", lang, i=i + 1, gain=fmt_number(g, lang))),
                html.Br(),
                html.Span(site_text(place, lang), className="site-place"),
            ]
        )
        for i, (g, place) in enumerate(zip(result["gains"], places, strict=False))
    ]
    notes = [
        html.P(
            note_text(ctx, Note(n["id"], tuple((k, v) for k, v in n.items() if k != "id")), lang),
            className="hint",
        )
        for n in result.get("notes", [])
    ]
    return [
        html.P(cat, className="sublabel"),
        html.Ol(items, className="suggest-list"),
        *notes,
        seed_warning(lang),
    ]


def register(app: dash.Dash, ctx: AppContext) -> None:
    """Register the what-if callbacks."""

    @app.callback(
        Output(ids.SCENARIO_SUMMARY, "children"),
        Output(ids.SCENARIO_TABLE, "children"),
        Input(ids.SCENARIO_TRIGGER, "data"),
        State(ids.STATE, "data"),
        prevent_initial_call=True,
    )
    def update_scenario(_trigger: object, data: dict | None) -> tuple:
        if data is None:
            raise dash.exceptions.PreventUpdate
        state = ViewState.from_dict(data)
        if state.view != "scenario":
            raise dash.exceptions.PreventUpdate
        return scenario_children(ctx, state)

    from dashboard import slots
    from dashboard.security import public_message

    # A shared job queue (several workers) runs the optimisation outside the request, in one
    # of the host's job slots; a waiting job shows its queue position.
    has_jobs = getattr(app, "_background_manager", None) is not None
    jobs = slots.for_app(app)
    slots.gate_job(app, ids.SUGGEST_STORE, (ids.SUGGEST_RESULT, "children"))
    background = (
        {
            "background": True,
            "running": [(Output(ids.SUGGEST_BUTTON, "disabled"), True, False)],
            "progress": Output(ids.SUGGEST_QUEUE, "children"),
            "progress_default": "",
        }
        if has_jobs
        else {}
    )

    @app.callback(
        Output(ids.SUGGEST_STORE, "data"),
        Output(ids.SUGGEST_RESULT, "children"),
        Output(ids.SUGGEST_TAKE, "hidden"),
        Input(ids.SUGGEST_BUTTON, "n_clicks"),
        State(ids.SUGGEST_K, "value"),
        State(ids.STATE, "data"),
        prevent_initial_call=True,
        **background,
    )
    def run_suggest(*args: Any) -> tuple:
        progress, (_n, k, data) = slots.split_progress(args, background=has_jobs)
        state = ViewState.from_dict(data)
        k = int(min(max(k, 1), 10)) if isinstance(k, (int, float)) and k == k else 3
        try:
            with jobs.slot(on_wait=slots.queue_reporter(progress, state.lang)):
                result = suggest(ctx, state, k)
        except slots.JobsBusyError:
            return None, html.P(t("job_busy", state.lang), className="error"), True
        except (LookupError, ValueError) as exc:
            message = public_message(exc)
            return None, html.P(t("error", state.lang, msg=message), className="error"), True
        return result, suggest_children(ctx, result, state.lang), not result["sites"]
