"""One request per input: the new view state, the map, and which panels must follow.

A control change, map click or URL change is turned into the new
:class:`~dashboard.state.ViewState` (``callbacks.url_state``), the values of the Leaflet map's
layers (``callbacks.map``, :mod:`dashboard.leaflet_map`) and the trigger of every panel whose
inputs changed (``callbacks.panels``) in a single callback, so the map is updated after one
round trip and panels that do not depend on the change send no request at all. Of the map
layers only those whose value differs from what the browser has are sent.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

import dash
from dash import Output, html
from dash.development.base_component import Component

from dashboard import ids, leaflet_map
from dashboard.callbacks.map import map_update, source_line
from dashboard.callbacks.panels import PANELS, panel_triggers
from dashboard.callbacks.upload import workspace_points
from dashboard.callbacks.url_state import (
    CONTROLS,
    EVENTS,
    default_state,
    set_controls,
    sync_dependencies,
    sync_state,
)
from dashboard.figures import GAP_SCALE
from dashboard.layout import area_options, year_options
from dashboard.state import ViewState

if TYPE_CHECKING:
    from dashboard.context import AppContext

MAP_OUTPUTS: tuple[tuple[str, str], ...] = (
    (ids.MAP_AREAS, "data"),
    (ids.MAP_STYLE, "data"),
    (ids.MAP_FACILITIES, "hideout"),
    (ids.MAP_MARKERS, "data"),
    (ids.MAP_TILES, "children"),
    (ids.MAP, "viewport"),
)
"""Properties of the Leaflet map that the view callback sets."""

TEXT_OUTPUTS: tuple[tuple[str, str], ...] = (
    (ids.MAP_TITLE, "children"),
    (ids.MAP_LEGEND, "children"),
    (ids.MAP_LEGEND_TITLE, "children"),
    (ids.MAP_LEGEND_CITY, "children"),
    *[(tick, "children") for tick in ids.MAP_LEGEND_GAP_TICKS],
    (ids.MAP_SOURCE, "children"),
    (ids.MAP_NOTES, "children"),
)
"""Texts around the map that the view callback sets, each only when it differs from what the
browser shows (a slider step changes the title, rarely the legend, never the source line):
an unchanged component tree sent again costs the browser a re-render and a new crawl of it.
The legend's texts that change with a step (:data:`LEGEND_TEXTS`) are sent alone when the rest
of the legend stays."""

LEGEND_TEXTS: tuple[str, ...] = (
    ids.MAP_LEGEND_TITLE,
    ids.MAP_LEGEND_CITY,
    *ids.MAP_LEGEND_GAP_TICKS,
)
"""Elements of the legend whose text is sent on its own (``callbacks.map.legend_rows``)."""

STEP_OUTPUTS: tuple[tuple[str, str], ...] = ((ids.MAP_STYLE, "data"), (ids.MAP_TITLE, "children"))
"""The map properties that are outputs of the view callback: what nearly every change sends.

Dash marks each output of a running callback as loading, and the browser renders every marked
component twice per request, sent a value or not. The other :data:`MAP_OUTPUTS` and
:data:`TEXT_OUTPUTS`, the table and the year and rule controls change seldom and are set with
``dash.set_props`` only when they change (:func:`set_changed`). The title stays an output so
that the page shows the view callback as running (what the tests and benchmarks wait for)."""


def map_values(ctx: AppContext, layers: dict[str, Any]) -> dict[str, tuple[Any, object]]:
    """Value and change key of every :data:`MAP_OUTPUTS` property for map ``layers``.

    ``layers`` comes from :func:`~dashboard.callbacks.map.map_update`.
    The change key stands for the value when comparing with what was sent before (the area
    geometry by its level, rather than hashing the GeoJSON).
    """
    level = layers["level"]
    geo = ctx.geo[level]
    areas = layers["areas"]
    area_hideout = leaflet_map.area_hideout(
        geo.ids,
        areas["values"],
        scale=areas["scale"],
        zmin=areas["zmin"],
        zmax=areas["zmax"],
        tip_template=areas["tip_template"],
        tip_rows=areas["tip_rows"],
        selected=areas.get("selected"),
        opacity=areas.get("opacity", 0.78),
    )
    gaps = layers.get("gaps")
    gap_hideout = (
        leaflet_map.gap_hideout(
            ctx.hexes.ids,
            gaps["values"],
            scale=GAP_SCALE,
            zmax=gaps["zmax"],
            tip_template=gaps["tip_template"],
            tip_rows=gaps["tip_rows"],
        )
        if gaps
        else leaflet_map.no_gaps(ctx.hexes.ids)
    )
    markers = leaflet_map.marker_features(layers.get("markers", []))
    tiles = leaflet_map.tile_layers(ctx.options.online_basemap_url) if layers.get("basemap") else []
    view = layers.get("view")
    return {
        f"{ids.MAP_AREAS}.data": (geo.geojson, level),
        **layer_parts(ids.MAP_AREAS, area_hideout, level),
        **layer_parts(ids.MAP_GAPS, gap_hideout, "hexes"),
        f"{ids.MAP_FACILITIES}.hideout": (layers["facilities"], layers["facilities"]),
        f"{ids.MAP_MARKERS}.data": (markers, markers),
        f"{ids.MAP_TILES}.children": (tiles, bool(tiles)),
        f"{ids.MAP}.viewport": (view, view),
    }


def layer_parts(
    component: str, values: dict[str, Any], ids_key: object
) -> dict[str, tuple[Any, object]]:
    """The values of an area or gap layer (``leaflet_map.area_hideout``) in parts sent apart.

    ``<component>.ids`` (the feature order the lists follow; ``ids_key`` stands for it),
    ``<component>.style`` (kind, tooltip template, selection, opacity), ``<component>.fill``
    (the colours) and one ``<component>.tip<k>`` per tooltip column: a slider step sends the
    colours and the columns that changed, not the area names or a hexagon's residents again.
    """
    style = {k: v for k, v in values.items() if k not in ("ids", "cols", "fill")}
    parts = {
        f"{component}.ids": (values["ids"], ids_key),
        f"{component}.style": (style, style),
        f"{component}.fill": (values["fill"], values["fill"]),
    }
    for k, column in enumerate(values["cols"]):
        parts[f"{component}.tip{k}"] = (column, column)
    return parts


class SentLists:
    """The colour and tooltip lists sent lately, by digest (a bounded, thread-safe cache).

    With the list a browser has (its digest is in the browser's record), a changed list is sent
    as its changed entries only (:func:`sparse_list`). A list not found here (evicted, another
    worker) is sent whole, so the cache only saves bytes, never decides what is drawn.
    """

    def __init__(self, size: int = 128) -> None:
        self._data: OrderedDict[str, list] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, digest: str | None) -> list | None:
        """The list sent under ``digest``, or None."""
        with self._lock:
            return self._data.get(digest) if digest else None

    def put(self, digest: str, value: list) -> None:
        """Keep ``value`` under ``digest`` (the oldest goes when the cache is full)."""
        with self._lock:
            self._data[digest] = value
            self._data.move_to_end(digest)
            while len(self._data) > self._size:
                self._data.popitem(last=False)


def sparse_list(value: list, before: list | None) -> list | dict[str, dict[str, Any]]:
    """``value``, or ``{"changes": {position: entry}}`` against ``before`` when that is shorter.

    Examples
    --------
    >>> sparse_list(["a", "b", "c"], ["a", "x", "c"])
    {'changes': {'1': 'b'}}
    >>> sparse_list(["a", "b"], ["x", "y"])  # most entries changed: the whole list
    ['a', 'b']
    """
    if before is None or len(before) != len(value):
        return value
    changes = {str(i): v for i, (v, b) in enumerate(zip(value, before, strict=True)) if v != b}
    return {"changes": changes} if 2 * len(changes) < len(value) else value


def _listed(key: str) -> bool:
    """Whether ``key`` is a colour or tooltip list (sent as changes when that is shorter)."""
    part = key.partition(".")[2]
    return part == "fill" or part.startswith("tip")


def changed_values(
    values: dict[str, tuple[Any, object]],
    sent: dict[str, str] | None,
    lists: SentLists | None = None,
) -> tuple[dict[str, Any], dict[str, str]]:
    """The values whose change key differs from what this browser was sent, and the new record.

    ``sent`` maps each key to a digest of its change key (kept per browser in a ``dcc.Store``).
    With ``lists``, a colour or tooltip list the browser has in an earlier version is sent as
    its changed entries (:func:`sparse_list`).
    """
    sent = dict(sent or {})
    changed: dict[str, Any] = {}
    for key, (value, token) in values.items():
        digest = leaflet_map.change_digest(token)
        before = sent.get(key)
        if before != digest:
            listed = lists is not None and _listed(key)
            changed[key] = sparse_list(value, lists.get(before)) if listed else value
            if listed:
                lists.put(digest, value)
        sent[key] = digest
    return changed, sent


def map_outputs(changed: dict[str, Any]) -> list[Any]:
    """The :data:`MAP_OUTPUTS` values for the ``changed`` ones (``no_update`` for the rest).

    The changed parts of the area and gap layers (:func:`layer_parts`) go to one store,
    ``{component: {"ids": …, "fill": …, <style keys>…, "cols": {k: column}}}`` (a list or its
    changes, :func:`sparse_list`), which ``restyle`` of ``assets/map.js`` merges into what it
    has. A viewport is set only when a location asks
    for one, so panning the map by hand is not undone by the next change.
    """
    style: dict[str, dict[str, Any]] = {}
    for key, value in changed.items():
        component, _, part = key.partition(".")
        if component not in (ids.MAP_AREAS, ids.MAP_GAPS) or part == "data":
            continue
        message = style.setdefault(component, {})
        if part == "style":
            message.update(value)
        elif part in ("ids", "fill"):
            message[part] = value
        else:  # tip<k>
            message.setdefault("cols", {})[part.removeprefix("tip")] = value
    out: list[Any] = []
    for component, prop in MAP_OUTPUTS:
        value = (
            (style or None) if component == ids.MAP_STYLE else changed.get(f"{component}.{prop}")
        )
        out.append(dash.no_update if value is None else value)
    return out


def set_changed(values: dict[tuple[str, str], Any]) -> None:
    """Send each ``(component, property): value`` that is not ``no_update`` with ``set_props``.

    The properties of one component go in one call.
    """
    by_component: dict[str, dict[str, Any]] = {}
    for (component, prop), value in values.items():
        if value is not dash.no_update:
            by_component.setdefault(component, {})[prop] = value
    for component, props in by_component.items():
        dash.set_props(component, props)


def notices(notes: list[str]) -> list[Any]:
    """The result's notes (translated) as visible notices above the map."""
    return [html.P(text, className="notice") for text in notes]


def split_texts(tree: Any, text_ids: tuple[str, ...]) -> tuple[Any, dict[str, Any]]:
    """``tree`` (components) as plain data without the texts of ``text_ids``, and those texts.

    Returns
    -------
    tuple
        The tree as nested dicts and lists, the children of each component whose id is in
        ``text_ids`` left out, and ``{id: children}`` of those found.
    """
    texts: dict[str, Any] = {}

    def plain(node: Any) -> Any:
        if isinstance(node, list | tuple):
            return [plain(child) for child in node]
        if not isinstance(node, Component):
            return node
        data = node.to_plotly_json()
        props = dict(data["props"])
        if props.get("id") in text_ids:
            texts[props["id"]] = props.pop("children", None)
        elif "children" in props:
            props["children"] = plain(props["children"])
        return {**data, "props": props}

    return plain(tree), texts


def text_values(
    title: Any, legend: Any, source: str, notes: list[str]
) -> dict[str, tuple[Any, object]]:
    """Value and change key of every :data:`TEXT_OUTPUTS` property (the value stands for itself).

    The legend is keyed without its :data:`LEGEND_TEXTS`, which have their own keys, so that a
    step that changes only them does not send the legend's components again. The notes are
    keyed by their texts, so that the same notes are not rebuilt as components.
    """
    shape, legend_texts = split_texts(legend, LEGEND_TEXTS)
    values: dict[str, tuple[Any, object]] = {
        f"{ids.MAP_TITLE}.children": (title, title),
        f"{ids.MAP_LEGEND}.children": (legend, shape),
        f"{ids.MAP_SOURCE}.children": (source, source),
        f"{ids.MAP_NOTES}.children": (notices(notes), notes),
    }
    for text_id, text in legend_texts.items():
        values[f"{text_id}.children"] = (text, text)
    return values


def texts_to_send(changed: dict[str, Any]) -> dict[tuple[str, str], Any]:
    """The :data:`TEXT_OUTPUTS` values among ``changed`` (``no_update`` for the rest).

    A legend sent whole carries its texts: they are not sent again beside it (an element of
    a legend that is being replaced has no place in the page to be set).
    """
    whole_legend = f"{ids.MAP_LEGEND}.children" in changed
    return {
        (cid, prop): dash.no_update
        if whole_legend and cid in LEGEND_TEXTS
        else changed.get(f"{cid}.{prop}", dash.no_update)
        for cid, prop in TEXT_OUTPUTS
    }


def register(app: dash.Dash, ctx: AppContext) -> None:
    """Register the view callback."""
    source = {lang: source_line(ctx, lang) for lang in ("de", "en")}
    lists = SentLists()
    defaults = default_state(ctx)
    sync_outputs, sync_inputs, sync_states = sync_dependencies()
    n_controls, n_events = len(CONTROLS), len(EVENTS)

    @app.callback(
        *sync_outputs,
        *[Output(component, prop) for component, prop in STEP_OUTPUTS],
        Output(ids.MAP_SENT, "data"),
        *[Output(store, "data") for store, _ in PANELS],
        *sync_inputs,
        dash.Input(ids.UPLOAD_STORE, "data"),
        dash.Input(ids.SUGGEST_STORE, "data"),
        *sync_states,
        dash.State(ids.MAP_SENT, "data"),
        dash.State(ids.MAP_TABLE_WRAP, "open"),
    )
    def update_view_and_map(search: str | None, *args: Any) -> tuple:
        control_args = args[:n_controls]
        event_args = args[n_controls : n_controls + n_events]
        _upload_revision, suggestions, stored, sent, table_open = args[n_controls + n_events :]
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
        sync, controls = sync[:2], sync[2:]
        set_controls(controls)
        unchanged = sync[0] is dash.no_update
        # the page was built for the default state: the first state fires what differs from it
        before = ViewState.from_dict(stored) if stored is not None else defaults
        triggers = panel_triggers(before, state)
        # the page's chooser gets its options after the first map (dashboard.deferred): a
        # page opened with an area needs them now, or the dropdown drops the area it cannot find
        # (with the chooser's value, if that changes too, in one update: set_props merges them)
        opened_with_area = stored is None and state.area is not None
        # like the panels, only what differs from the page (built for ``before``) is sent:
        # the years the chosen group has numbers for, the combine rule with several categories
        single = len(state.categories) < 2
        set_changed(
            {
                (ids.AREA_SELECT, "options"): area_options(ctx, ctx.level(state.level))
                if ctx.level(state.level) != ctx.level(before.level) or opened_with_area
                else dash.no_update,
                (ids.YEAR, "options"): year_options(ctx, state.group)
                if state.group != before.group
                else dash.no_update,
                (ids.REQUIRE_WRAP, "hidden"): single
                if single != (len(before.categories) < 2)
                else dash.no_update,
            }
        )
        if unchanged and trigger not in (ids.UPLOAD_STORE, ids.SUGGEST_STORE):
            # an event that leaves the state as it was (a click beside every target)
            return (*sync, *([dash.no_update] * (len(STEP_OUTPUTS) + 1)), *triggers)
        # the uploads of this request's workspace; the store only says when they changed
        points = workspace_points(ctx, state.lang) if "upload" in state.layers else None
        # the table only while it is open (callbacks.map fills it when it opens)
        out = map_update(ctx, state, upload=points, suggestions=suggestions, table=bool(table_open))
        texts = text_values(out["title"], out["legend"], source[state.lang], out["notes"])
        changed, sent = changed_values(map_values(ctx, out["layers"]) | texts, sent, lists)
        values = dict(zip(MAP_OUTPUTS, map_outputs(changed), strict=True)) | texts_to_send(changed)
        values[(ids.MAP_TABLE, "children")] = (
            dash.no_update if out["table"] is None else out["table"]
        )
        step = [values.pop(key) for key in STEP_OUTPUTS]
        set_changed(values)
        return (*sync, *step, sent, *triggers)
