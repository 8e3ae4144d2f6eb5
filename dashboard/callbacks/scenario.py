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
from layers.results import ScenarioResult
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


def scenario_children(ctx: AppContext, state: ViewState) -> tuple[Any, Any]:
    """Summary line and the gain table."""
    lang = state.lang
    if not state.added and not state.removed:
        return html.P(t("scenario_empty", lang), className="hint"), None
    result = scenario_result(ctx, state)
    gain = result.covered_after - result.covered_before
    summary = html.P(
        t(
            "scenario_summary",
            lang,
            added=len(state.added),
            removed=len(state.removed),
            gain=("+" if gain > 0 else "") + fmt_number(gain, lang),
            before=fmt_percent(result.before.city_share, lang),
            after=fmt_percent(result.after.city_share, lang),
        ),
        className="summary-line",
    )
    changed = [r for r in result.rows.to_dict("records") if abs(r["gain_residents"]) >= 0.5]
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
                            html.Td(fmt_percent(r["share_before"], lang)),
                            html.Td(fmt_percent(r["share_after"], lang)),
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

    # A shared job queue (several workers) runs the optimisation outside the request.
    background = (
        {
            "background": True,
            "running": [(Output(ids.SUGGEST_BUTTON, "disabled"), True, False)],
        }
        if getattr(app, "_background_manager", None) is not None
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
    def run_suggest(_n: int, k: int | None, data: dict | None) -> tuple:
        state = ViewState.from_dict(data)
        k = int(min(max(k or 3, 1), 10))
        try:
            result = suggest(ctx, state, k)
        except (LookupError, ValueError) as exc:
            return None, html.P(t("error", state.lang, msg=str(exc)), className="error"), True
        return result, suggest_children(ctx, result, state.lang), not result["sites"]
