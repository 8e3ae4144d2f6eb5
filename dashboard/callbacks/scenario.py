"""What if: planned and switched-off facilities, and suggested sites.

Planned facilities (map clicks) and switched-off ones change coverage at once
(:meth:`layers.coverage.DistanceTable.scenario_distances_m`); "Vorschläge" proposes the k best
sites (:func:`layers.siting.propose_sites`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import dash
import numpy as np
from dash import Input, Output, State, html

from dashboard import ids
from dashboard.i18n import fmt_number, fmt_percent, label, t
from dashboard.state import ViewState

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


def scenario_result(ctx: AppContext, state: ViewState) -> dict[str, Any]:
    """Coverage before and after the scenario per area, and the city totals.

    Returns
    -------
    dict
        ``rows`` (area_id, area_name, residents, before, after, gain_pp), ``covered_before``,
        ``covered_after``, ``share_before``, ``share_after``.
    """
    cats = ctx.check_categories(state.categories)
    before = ctx.view_coverage(state.with_(added=(), removed=()), cats)
    after = ctx.view_coverage(state, cats)
    b, a = before.areas, after.areas
    rows = []
    for i in range(len(b)):
        gain = (a["share"].iloc[i] - b["share"].iloc[i]) * 100
        rows.append(
            {
                "area_id": b["area_id"].iloc[i],
                "area_name": b["area_name"].iloc[i],
                "residents": float(b["residents"].iloc[i]),
                "before": float(b["share"].iloc[i]),
                "after": float(a["share"].iloc[i]),
                "gain_pp": float(gain),
                "gain_residents": float(a["covered"].iloc[i] - b["covered"].iloc[i]),
            }
        )
    return {
        "rows": rows,
        "covered_before": float(b["covered"].sum()),
        "covered_after": float(a["covered"].sum()),
        "share_before": before.city_share,
        "share_after": after.city_share,
    }


def scenario_children(ctx: AppContext, state: ViewState) -> tuple[Any, Any]:
    """Summary line and the gain table."""
    lang = state.lang
    if not state.added and not state.removed:
        return html.P(t("scenario_empty", lang), className="hint"), None
    result = scenario_result(ctx, state)
    gain = result["covered_after"] - result["covered_before"]
    summary = html.P(
        t(
            "scenario_summary",
            lang,
            added=len(state.added),
            removed=len(state.removed),
            gain=("+" if gain > 0 else "") + fmt_number(gain, lang),
            before=fmt_percent(result["share_before"], lang),
            after=fmt_percent(result["share_after"], lang),
        ),
        className="summary-line",
    )
    changed = [r for r in result["rows"] if abs(r["gain_residents"]) >= 0.5]
    changed.sort(key=lambda r: -abs(r["gain_residents"]))
    table = html.Table(
        className="data-table",
        id=ids.SCENARIO_TABLE + "-table",
        children=[
            html.Thead(
                html.Tr(
                    [
                        html.Th(t("area", lang)),
                        html.Th(t("before", lang)),
                        html.Th(t("after", lang)),
                        html.Th(t("gain", lang)),
                        html.Th(t("residents", lang)),
                    ]
                )
            ),
            html.Tbody(
                [
                    html.Tr(
                        [
                            html.Th(r["area_name"], scope="row"),
                            html.Td(fmt_percent(r["before"], lang)),
                            html.Td(fmt_percent(r["after"], lang)),
                            html.Td(
                                fmt_number(r["gain_pp"], lang, decimals=1)
                                if np.isfinite(r["gain_pp"])
                                else "–",
                                className="gain" if r["gain_pp"] > 0 else "loss",
                            ),
                            html.Td(
                                ("+" if r["gain_residents"] > 0 else "")
                                + fmt_number(r["gain_residents"], lang)
                            ),
                        ]
                    )
                    for r in changed
                ]
            ),
        ],
    )
    return summary, table


def suggest(ctx: AppContext, state: ViewState, k: int) -> dict[str, Any]:
    """The ``k`` best sites for the scenario category (on top of the current scenario)."""
    category = state.scenario_category or ctx.category_ids[0]
    sites, gains, note = ctx.suggest_sites(
        category,
        k=k,
        radius_m=state.radius_m,
        year=state.year,
        group=state.group,
        added=state.added,
        removed=state.removed,
        mode=state.distance_mode,
    )
    return {"category": category, "sites": sites, "gains": gains, "note": note}


def suggest_children(ctx: AppContext, result: dict, lang: str) -> list[Any]:
    """The list of suggested sites."""
    cat = label(ctx.dataset.category(result["category"]), lang)
    return [
        html.P(cat, className="sublabel"),
        html.Ol(
            [
                html.Li(t("suggest_row", lang, i=i + 1, gain=fmt_number(g, lang)))
                for i, g in enumerate(result["gains"])
            ]
        ),
        html.P(result["note"], className="hint"),
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
