"""Controls that depend on other controls, and which panels the current view shows.

The distance slider's range per unit, the metres hint, the play button over the years.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import dash
from dash import Input, Output, State, html

from dashboard import ids
from dashboard.i18n import fmt_number, t
from dashboard.state import ViewState

if TYPE_CHECKING:
    from dashboard.context import AppContext

SLIDER_RANGES = {
    "m": {
        "min": 100,
        "max": 2000,
        "step": 50,
        "marks": {100: "100", 500: "500", 1000: "1000", 1500: "1500", 2000: "2000"},
    },
    "min": {
        "min": 1,
        "max": 30,
        "step": 1,
        "marks": {1: "1", 5: "5", 10: "10", 15: "15", 20: "20", 30: "30"},
    },
}


def slider_range(unit: str) -> tuple[int, int, int, dict]:
    """min, max, step and marks of the distance slider for ``unit``."""
    spec = SLIDER_RANGES.get(unit, SLIDER_RANGES["m"])
    return spec["min"], spec["max"], spec["step"], spec["marks"]


def distance_hint(state: ViewState) -> str:
    """Under the slider: what the chosen distance means in metres (minutes only)."""
    if state.unit != "min":
        return ""
    return t("distance_hint", state.lang, m=fmt_number(state.radius_m, state.lang))


def view_classes(state: ViewState) -> dict[str, Any]:
    """CSS class of the page and which panels are hidden in the state's view."""
    classes = ["app", f"view-{state.view}"]
    if state.present:
        classes.append("present")
    return {
        "page": " ".join(classes),
        "profile_hidden": state.view not in ("plan", "compare"),
        "scenario_hidden": state.view != "scenario",
        "coordinator_hidden": state.view != "coordinator",
        "compare_hidden": state.view != "compare",
    }


def register(app: dash.Dash, ctx: AppContext) -> None:
    """Register the dependent-control callbacks."""

    @app.callback(
        Output(ids.DISTANCE, "min"),
        Output(ids.DISTANCE, "max"),
        Output(ids.DISTANCE, "step"),
        Output(ids.DISTANCE, "marks"),
        Input(ids.DISTANCE_UNIT, "value"),
        prevent_initial_call=True,  # the layout has the range of its unit
    )
    def update_slider(unit: str) -> tuple:
        return slider_range(unit)

    @app.callback(
        Output(ids.DISTANCE_HINT, "children"),
        Output(ids.PAGE, "className"),
        Output(ids.PROFILE, "hidden"),
        Output(ids.SCENARIO_PANEL, "hidden"),
        Output(ids.COORD_PANEL, "hidden"),
        Output(ids.COMPARE_WRAP, "hidden"),
        Input(ids.PAGE_TRIGGER, "data"),
        State(ids.STATE, "data"),
        State(ids.DISTANCE_HINT, "children"),
        State(ids.PAGE, "className"),
        State(ids.PROFILE, "hidden"),
        State(ids.SCENARIO_PANEL, "hidden"),
        State(ids.COORD_PANEL, "hidden"),
        State(ids.COMPARE_WRAP, "hidden"),
        prevent_initial_call=True,  # the layout is built for the first state
    )
    def update_view(_trigger: object, data: dict | None, *current: object) -> tuple:
        if data is None:
            raise dash.exceptions.PreventUpdate
        state = ViewState.from_dict(data)
        v = view_classes(state)
        wanted = (
            distance_hint(state),
            v["page"],
            v["profile_hidden"],
            v["scenario_hidden"],
            v["coordinator_hidden"],
            v["compare_hidden"],
        )
        if wanted == current:
            raise dash.exceptions.PreventUpdate
        # only what changed: re-setting the page's class would re-render the whole page
        return tuple(
            dash.no_update if new == old else new for new, old in zip(wanted, current, strict=True)
        )

    @app.callback(
        Output(ids.CHANGE_INTERVAL, "disabled"),
        Output(ids.CHANGE_PLAY, "children"),
        Output(ids.CHANGE_PLAY, "aria-label"),
        Input(ids.CHANGE_PLAY, "n_clicks"),
        State(ids.CHANGE_INTERVAL, "disabled"),
        State(ids.LANG, "value"),
        prevent_initial_call=True,
    )
    def toggle_play(_n: int, disabled: bool, lang: str) -> tuple:
        playing = bool(disabled)  # it was stopped: start it
        return (not playing, *play_button_content(playing=playing, lang=lang))


def play_button_content(*, playing: bool, lang: str) -> tuple[Any, str]:
    """Text and accessible name of the play/pause button.

    The pause sign is drawn in CSS (``.icon-pause``): U+23F8 is missing from common fonts and
    showed as a missing-glyph box.
    """
    if not playing:
        return t("play", lang), t("play_label", lang)
    icon = html.Span(className="icon-pause", **{"aria-hidden": "true"})
    return [icon, t("pause", lang)], t("pause_label", lang)
