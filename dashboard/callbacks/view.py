"""One request per input: the new view state, the map, and which panels must follow.

A control change, map click or URL change is turned into the new
:class:`~dashboard.state.ViewState` (``callbacks.url_state``), the map's ``dash.Patch``
(``callbacks.map``) and the trigger of every panel whose inputs changed
(``callbacks.panels``) in a single callback, so the map is updated after one round trip and
panels that do not depend on the change send no request at all.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import dash
from dash import Output

from dashboard import ids
from dashboard.callbacks.map import changed_only, map_update, source_line
from dashboard.callbacks.panels import PANELS, panel_triggers
from dashboard.callbacks.url_state import (
    CONTROLS,
    EVENTS,
    default_state,
    sync_dependencies,
    sync_state,
)
from dashboard.layout import area_options
from dashboard.state import ViewState

if TYPE_CHECKING:
    from dashboard.context import AppContext


def register(app: dash.Dash, ctx: AppContext) -> None:
    """Register the view callback."""
    source = {lang: source_line(ctx, lang) for lang in ("de", "en")}
    defaults = default_state(ctx)
    sync_outputs, sync_inputs, sync_states = sync_dependencies()
    n_controls, n_events = len(CONTROLS), len(EVENTS)

    @app.callback(
        *sync_outputs,
        Output(ids.MAP, "figure"),
        Output(ids.MAP_TITLE, "children"),
        Output(ids.MAP_LEGEND, "children"),
        Output(ids.MAP_TABLE, "children"),
        Output(ids.MAP_SOURCE, "children"),
        Output(ids.MAP_SENT, "data"),
        *[Output(store, "data") for store, _ in PANELS],
        # with the chosen area, so that a linked planning area is among the options it is in
        Output(ids.AREA_SELECT, "options"),
        *sync_inputs,
        dash.Input(ids.UPLOAD_STORE, "data"),
        dash.Input(ids.SUGGEST_STORE, "data"),
        *sync_states,
        dash.State(ids.MAP_SENT, "data"),
    )
    def update_view_and_map(search: str | None, *args: Any) -> tuple:
        control_args = args[:n_controls]
        event_args = args[n_controls : n_controls + n_events]
        upload, suggestions, stored, sent = args[n_controls + n_events :]
        trigger = dash.ctx.triggered_id
        state, sync = sync_state(
            ctx,
            trigger,
            search,
            control_args,
            event_args,
            stored,
            suggestions,
            defaults=defaults,
        )
        unchanged = sync[0] is dash.no_update
        # the page was built for the default state: the first state fires what differs from it
        before = ViewState.from_dict(stored) if stored is not None else defaults
        triggers = panel_triggers(before, state)
        areas = (
            area_options(ctx, ctx.level(state.level))
            if ctx.level(state.level) != ctx.level(before.level)
            else dash.no_update
        )
        if unchanged and trigger not in (ids.UPLOAD_STORE, ids.SUGGEST_STORE):
            # an event that leaves the state as it was (a click beside every target)
            return (*sync, *([dash.no_update] * 6), *triggers, areas)
        out = map_update(ctx, state, upload=upload, suggestions=suggestions)
        figure, sent = changed_only(out["figure"], sent)
        return (
            *sync,
            figure,
            out["title"],
            out["legend"],
            out["table"],
            source[state.lang],
            sent,
            *triggers,
            areas,
        )
