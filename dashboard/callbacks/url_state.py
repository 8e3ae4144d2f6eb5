"""The view state: controls, map clicks, the store and the URL kept in step.

Every control change, map click and URL change becomes a :class:`~dashboard.state.ViewState`,
which is stored and written to the URL (and read back from it on load). The callback that does
it also redraws the map (``dashboard.callbacks.map``), so that an input costs one request.
"""

from __future__ import annotations

import contextlib
import json
from typing import TYPE_CHECKING, Any

from dash import Input, Output, State, no_update, set_props

from dashboard import ids
from dashboard.state import (
    MAX_ADDRESS_CHARS,
    MAX_SCENARIO_POINTS,
    REQUIRES,
    SPEEDS_KMH,
    ViewState,
    from_query,
    to_query,
)

if TYPE_CHECKING:
    from dashboard.context import AppContext

CONTROLS: tuple[tuple[str, str], ...] = (
    (ids.VIEW_TABS, "view"),
    (ids.CATEGORIES, "categories"),
    (ids.DISTANCE, "distance"),
    (ids.DISTANCE_UNIT, "unit"),
    (ids.SPEED, "speed"),
    (ids.YEAR, "year"),
    (ids.GROUP, "group"),
    (ids.LEVEL, "level"),
    (ids.LAYERS, "layers"),
    (ids.CHANGE_YEARS, "change_years"),
    (ids.LANG, "lang"),
    (ids.BASEMAP, "basemap"),
    (ids.SCENARIO_CATEGORY, "scenario_category"),
    (ids.AREA_SELECT, "area"),
    (ids.DISTANCE_MODE, "distance_mode"),
    (ids.REQUIRE, "require"),
)
"""Controls mirrored in the state: (component id, state field)."""

EVENTS: tuple[tuple[str, str], ...] = (
    (ids.MAP, "clickData"),
    (ids.MAP_FACILITIES, "clickData"),
    (ids.MAP_MARKERS, "clickData"),
    (ids.COMPARE_MAP, "clickData"),
    (ids.PROFILE_CLOSE, "n_clicks"),
    (ids.SCENARIO_CLEAR, "n_clicks"),
    (ids.ADDRESS, "value"),
    (ids.GEO_STORE, "data"),
    (ids.PRESENT_BUTTON, "n_clicks"),
    (ids.PRESENT_EXIT, "n_clicks"),
    (ids.SUGGEST_TAKE, "n_clicks"),
    (ids.CHANGE_INTERVAL, "n_intervals"),
)


def default_state(ctx: AppContext) -> ViewState:
    """The state of a plain link: all categories, latest year, the whole period of change."""
    years = ctx.years
    return ViewState(
        categories=ctx.category_ids[:1],
        distance=ctx.options.default_distance_m,
        year=ctx.default_year("total"),
        year_from=years[0] if years else None,
        year_to=years[-1] if years else None,
        scenario_category=ctx.category_ids[0] if ctx.category_ids else None,
        distance_mode=ctx.mode(None),
    )


def state_from_url(ctx: AppContext, search: str | None) -> ViewState:
    """Decode a URL query against this dataset's catalogue."""
    state = from_query(
        search,
        defaults=default_state(ctx),
        categories=ctx.category_ids,
        years=ctx.years,
        groups=ctx.groups,
        levels=ctx.levels,
    )
    return normalise(ctx, state)


def normalise(ctx: AppContext, state: ViewState) -> ViewState:
    """Bring a state into the valid ranges of its unit and the dataset."""
    distance = float(state.distance or 0)
    if state.unit == "min":
        distance = min(max(round(distance), 1), 60)
    else:
        distance = min(max(round(distance / 50) * 50, 50), 5000)
    y0, y1 = state.year_from, state.year_to
    if y0 is not None and y1 is not None and y0 > y1:
        y0, y1 = y1, y0
    return state.with_(
        distance=float(distance),
        year_from=y0,
        year_to=y1,
        distance_mode=ctx.mode(state.distance_mode),
        scenario_category=planned_category(state),
        require=state.require if state.require in REQUIRES else "all",
    )


def planned_category(state: ViewState) -> str | None:
    """The category of the next planned facility: it follows the map in the what-if view.

    A planned facility counts for the categories the map shows; one of another category
    would show "+0". So the planned category is one of the map's (the first, unless the
    chosen one is among them); choosing another one shows it on the map instead
    (:func:`next_state`).
    """
    cats = state.categories
    if state.view != "scenario" or not cats or state.scenario_category in cats:
        return state.scenario_category
    return cats[0]


def control_values(state: ViewState) -> dict[str, Any]:
    """The value of every mirrored control for ``state``."""
    return {
        "view": state.view,
        "categories": list(state.categories),
        "distance": int(state.distance) if float(state.distance).is_integer() else state.distance,
        "unit": state.unit,
        "speed": state.speed,
        "year": state.year,
        "group": state.group,
        "level": state.level,
        "layers": list(state.layers),
        "change_years": [state.year_from, state.year_to],
        "lang": state.lang,
        "basemap": state.basemap,
        "scenario_category": state.scenario_category,
        "area": state.area,
        "distance_mode": state.distance_mode,
        "require": state.require,
    }


def shown_controls(ctx: AppContext, state: ViewState) -> dict[str, Any]:
    """What every mirrored control shows for ``state`` (:func:`control_values`, year resolved).

    The asked year stays in the state and the link; the year list shows the year whose numbers
    are on screen (a notice above the map says why).
    """
    shown = control_values(state)
    used, _ = ctx.resolve_year(state.year, state.group)
    if used is not None and state.year is not None and used != state.year:
        shown["year"] = used
    return shown


def _convert_distance(state: ViewState, new_unit: str) -> float:
    metres_per_min = SPEEDS_KMH.get(state.speed, 4.5) * 1000.0 / 60.0
    if state.unit == new_unit:
        return state.distance
    if new_unit == "min":
        return max(1.0, round(state.distance / metres_per_min))
    return max(50.0, round(state.distance * metres_per_min / 50) * 50)


def _latlng(click: dict | None) -> tuple[float, float] | None:
    """``(lat, lon)`` of a Leaflet click (``{"latlng": {"lat": …, "lng": …}}``)."""
    latlng = (click or {}).get("latlng")
    if isinstance(latlng, dict) and latlng.get("lat") is not None and latlng.get("lng") is not None:
        return round(float(latlng["lat"]), 5), round(float(latlng["lng"]), 5)
    return None


def apply_click(ctx: AppContext, state: ViewState, trigger: str, click: dict | None) -> ViewState:
    """Apply a map click: open a profile, add/remove a planned facility, or set the location.

    ``trigger`` says what was clicked: the map itself (:data:`ids.MAP`, a position), a
    facility (:data:`ids.MAP_FACILITIES`) or a scenario marker (:data:`ids.MAP_MARKERS`), both
    GeoJSON features, or an area of the compare map (:data:`ids.COMPARE_MAP`, plotly).
    """
    if not click:
        return state
    if trigger == ids.COMPARE_MAP:
        point = (click.get("points") or [{}])[0]
        location = point.get("location")
        return state.with_(area=str(location)) if location is not None else state
    if trigger in (ids.MAP_FACILITIES, ids.MAP_MARKERS):
        props = click.get("properties") or {}
        if trigger == ids.MAP_FACILITIES and not facility_clickable(state, props.get("category")):
            return state
        return _apply_feature_click(state, trigger, click)
    position = _latlng(click)
    if position is None:
        return state
    lat, lon = position
    if state.view == "scenario":
        if (
            state.scenario_category
            and len(state.added) < MAX_SCENARIO_POINTS
            and ctx.inside_city(lat, lon)
        ):
            return state.with_(added=(*state.added, (state.scenario_category, lat, lon)))
        return state
    if state.view == "coordinator":
        inside = ctx.inside_city(lat, lon)
        return state.with_(location=(lat, lon), address=None) if inside else state
    area = ctx.area_at(lat, lon, ctx.level(state.level))
    return state.with_(area=area) if area is not None else state


def facility_clickable(state: ViewState, category: object) -> bool:
    """Whether a click on a facility of ``category`` counts: only categories the map shows.

    A stale click from a category just hidden must not switch anything off.
    """
    if "facilities" not in state.layers:
        return False
    return state.view != "scenario" or category in state.categories


def _apply_feature_click(state: ViewState, trigger: str, feature: dict) -> ViewState:
    """A click on a facility or a scenario marker (only the scenario view reacts)."""
    if state.view != "scenario":
        return state
    props = feature.get("properties") or {}
    kind = props.get("kind") if trigger == ids.MAP_MARKERS else "facility"
    if kind == "added":
        i = props.get("index")
        if isinstance(i, int) and 0 <= i < len(state.added):
            return state.with_(added=state.added[:i] + state.added[i + 1 :])
        return state
    if kind == "suggested" and state.scenario_category:
        coords = (feature.get("geometry") or {}).get("coordinates") or [None, None]
        lon, lat = coords[0], coords[1]
        if lat is None or lon is None or len(state.added) >= MAX_SCENARIO_POINTS:
            return state
        point = (state.scenario_category, round(float(lat), 5), round(float(lon), 5))
        return state.with_(added=(*state.added, point))
    if kind in ("facility", "removed") and props.get("id") is not None:
        fid = str(props["id"])
        removed = tuple(x for x in state.removed if x != fid)
        if len(removed) == len(state.removed):
            removed = (*state.removed, fid)
        return state.with_(removed=removed)
    return state


def next_state(
    ctx: AppContext,
    state: ViewState,
    trigger: str | None,
    values: dict[str, Any],
    *,
    suggestions: dict | None = None,
) -> ViewState:
    """The state after the event ``trigger`` (a component id) with the controls' ``values``.

    ``values`` maps state fields (see :data:`CONTROLS`) and event ids to their current values.
    """
    if trigger in CONTROLS_BY_ID:
        field = CONTROLS_BY_ID[trigger]
        value = values.get(field)
        if field == "categories":
            state = state.with_(categories=tuple(ctx.check_categories(value or [])))
        elif field == "layers":
            state = state.with_(layers=tuple(x for x in (value or []) if isinstance(x, str)))
        elif field == "distance" and value is not None:
            state = state.with_(distance=float(value))
        elif field == "unit" and value in ("m", "min"):
            state = state.with_(distance=_convert_distance(state, value), unit=value)
        elif field == "change_years" and value and len(value) == 2:
            state = state.with_(year_from=int(value[0]), year_to=int(value[1]))
        elif field == "level" and value in ctx.levels:
            state = state.with_(level=value, area=None)
        elif field == "year" and value is not None:
            state = state.with_(year=int(value))
        elif field == "area":
            state = state.with_(area=str(value) if value else None)
        elif field == "view" and value:
            state = state.with_(view=value)
        elif field == "distance_mode" and value in ctx.modes:
            state = state.with_(distance_mode=value)
        elif field == "scenario_category" and value in ctx.category_ids:
            # the map follows the planned category, so that its gain is what the map shows
            keep = state.categories if value in state.categories else (value,)
            state = state.with_(scenario_category=value, categories=keep)
        elif field == "require" and value in REQUIRES:
            state = state.with_(require=value)
        elif field in ("speed", "group", "lang", "basemap") and value:
            state = state.with_(**{field: value})
    elif trigger in (ids.MAP, ids.MAP_FACILITIES, ids.MAP_MARKERS, ids.COMPARE_MAP):
        state = apply_click(ctx, state, trigger, values.get(trigger))
    elif trigger == ids.PROFILE_CLOSE:
        state = state.with_(area=None)
    elif trigger == ids.SCENARIO_CLEAR:
        state = state.with_(added=(), removed=())
    elif trigger == ids.PRESENT_BUTTON:
        state = state.with_(present=True)
    elif trigger == ids.PRESENT_EXIT:
        state = state.with_(present=False)
    elif trigger == ids.ADDRESS and values.get(ids.ADDRESS):
        address = str(values[ids.ADDRESS])[:MAX_ADDRESS_CHARS]
        with contextlib.suppress(LookupError, ValueError):
            state = state.with_(location=ctx.geocode(address), address=address)
    elif trigger == ids.GEO_STORE:
        geo = values.get(ids.GEO_STORE) or {}
        if geo.get("lat") is not None and ctx.inside_city(geo["lat"], geo["lon"]):
            state = state.with_(location=(round(geo["lat"], 5), round(geo["lon"], 5)), address=None)
    elif trigger == ids.SUGGEST_TAKE and suggestions:
        cat = suggestions.get("category")
        new = tuple((cat, float(a), float(b)) for a, b in suggestions.get("sites", []))
        state = state.with_(added=(*state.added, *new)[:MAX_SCENARIO_POINTS])
    elif trigger == ids.CHANGE_INTERVAL:
        years = ctx.years
        if years and state.year_from is not None:
            later = [y for y in years if y > (state.year_to or years[-1])]
            nxt = later[0] if later else next((y for y in years if y > state.year_from), None)
            if nxt is not None:
                state = state.with_(year_to=nxt)
    return normalise(ctx, state)


CONTROLS_BY_ID = dict(CONTROLS)


def sync_state(
    ctx: AppContext,
    trigger: str | None,
    search: str | None,
    control_args: tuple[Any, ...],
    event_args: tuple[Any, ...],
    stored: dict | None,
    suggestions: dict | None,
    *,
    defaults: ViewState | None = None,
) -> tuple[ViewState, tuple[Any, ...]]:
    """The state after the event ``trigger`` and what changes in the page because of it.

    Parameters
    ----------
    trigger
        The id of the component that fired (``None`` on page load).
    search
        The URL query.
    control_args, event_args
        Current values of :data:`CONTROLS` and :data:`EVENTS`, in their order.
    stored
        The state kept in the browser (``None`` before the first one).
    suggestions
        The suggested sites (for "take the suggestions").
    defaults
        :func:`default_state` of ``ctx`` (computed when not given).

    Returns
    -------
    state, outputs
        The new state and the values for the state store, the URL query and every control of
        :data:`CONTROLS`; ``no_update`` where nothing changes (an unchanged state leaves the
        store alone, so nothing that depends on it runs again).
    """
    defaults = defaults or default_state(ctx)
    if trigger is None or trigger == ids.URL or stored is None:
        state = state_from_url(ctx, search)
    else:
        values = {field: v for (_, field), v in zip(CONTROLS, control_args, strict=True)}
        values.update({cid: v for (cid, _), v in zip(EVENTS, event_args, strict=True)})
        state = ViewState.from_dict(stored)
        field = CONTROLS_BY_ID.get(trigger)
        # a control that reports what the state shows echoes a value set from the state
        # (after a link or a click), it is no input: "level" would otherwise drop the area
        if field is None or values.get(field) != shown_controls(ctx, state)[field]:
            state = next_state(ctx, state, trigger, values, suggestions=suggestions)
    query = to_query(state, defaults=defaults)
    wanted = shown_controls(ctx, state)
    controls = []
    for (_, field), current in zip(CONTROLS, control_args, strict=True):
        value = wanted[field]
        controls.append(no_update if value == current else value)
    data = state.to_dict()
    # the stored state came through JSON (lists, not tuples): compare it as the browser has it
    same = stored is not None and json.loads(json.dumps(data)) == stored
    return state, (
        no_update if same else data,
        query if query != (search or "") else no_update,
        *controls,
    )


def set_controls(values: tuple[Any, ...]) -> None:
    """Set the controls that change, in the response of the running callback.

    ``values`` holds a value or ``no_update`` per :data:`CONTROLS` entry (:func:`sync_state`);
    each value is sent with ``dash.set_props``.
    A control set so fires the view callback again; the state then shows its value already,
    so that request changes nothing (see the echo rule of :func:`sync_state`). The area
    chooser's options, when they change, go in the same ``set_props`` of the chooser
    (``callbacks.view``): Dash merges the two into one update, and a dropdown keeps a value
    only if it has the option for it.
    """
    for (cid, _), value in zip(CONTROLS, values, strict=True):
        if value is not no_update:
            set_props(cid, {"value": value})


def sync_dependencies() -> tuple[list[Output], list[Input], list[State]]:
    """Outputs, inputs and states of the state synchronisation, for :func:`sync_state`.

    The inputs are the URL, then :data:`CONTROLS`, then :data:`EVENTS`; the states the stored
    state. The callback that uses them lives with the map (``dashboard.callbacks.view``): one
    request per input computes the new state and the map together. The controls are no
    outputs: the few whose value the state changes are set with :func:`set_controls`, so that a
    slider step does not mark every control as loading (and re-render it twice) in the browser.
    """
    outputs = [Output(ids.STATE, "data"), Output(ids.URL, "search")]
    inputs = [
        Input(ids.URL, "search"),
        *[Input(cid, "value") for cid, _ in CONTROLS],
        *[Input(cid, prop) for cid, prop in EVENTS],
    ]
    return outputs, inputs, [State(ids.STATE, "data")]
