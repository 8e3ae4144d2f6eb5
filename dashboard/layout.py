"""The component tree of the dashboard: header, controls, map with legend and table, side panels.

Everything text-like is built with the current language; static labels carry an
:func:`dashboard.ids.i18n` id so the language callback can swap them without a reload.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import plotly.graph_objects as go
from dash import dcc, html
from dash.development.base_component import Component

from dashboard import ids
from dashboard.i18n import LANGS, dropdown_labels, fmt_number, label, t
from dashboard.leaflet_map import initial_map_sent
from dashboard.state import ViewState

if TYPE_CHECKING:
    from dashboard.context import AppContext

GRAPH_CONFIG = {
    "displaylogo": False,
    "scrollZoom": True,
    "responsive": True,
    "modeBarButtonsToRemove": ["select2d", "lasso2d", "toImage"],
}


def T(key: str, lang: str = "de", tag: type = html.Span, **kwargs: object) -> Component:
    """A translated text element (its id lets the language callback replace the text).

    ``tag``: the element itself when the text is all it holds (a label, a heading, a summary):
    one component instead of a span in it, and every component of the page costs the browser
    time at every update (dash-renderer runs a selector per component per store change).
    """
    return tag(t(key, lang), id=ids.i18n(key), **kwargs)


def category_options(ctx: AppContext, lang: str) -> list[dict]:
    """Checklist options of the categories, each with its colour swatch."""
    return [
        {
            "label": html.Span(
                [
                    html.Span(className="swatch", style={"backgroundColor": c.colour}),
                    label(c, lang),
                ],
                className="option-label",
            ),
            "value": c.id,
        }
        for c in ctx.dataset.categories
    ]


def simple_options(keys: dict[str, str], lang: str) -> list[dict]:
    """Options whose labels are i18n keys: ``{value: key}``."""
    return [{"label": t(k, lang), "value": v} for v, k in keys.items()]


VIEW_KEYS = {
    "plan": "view_plan",
    "scenario": "view_scenario",
    "coordinator": "view_coordinator",
    "compare": "view_compare",
}
UNIT_KEYS = {"m": "unit_m", "min": "unit_min"}
SPEED_KEYS = {"normal": "speed_normal", "senior": "speed_senior"}
LAYER_KEYS = {
    "facilities": "layer_facilities",
    "gaps": "layer_gaps",
    "change": "layer_change",
    "upload": "layer_upload",
}
BASEMAP_KEYS = {"none": "basemap_none", "osm": "basemap_osm"}
REQUIRE_KEYS = {"all": "require_all", "each": "require_each"}


def year_options(ctx: AppContext, group: str) -> list[dict]:
    """Options of the year list: only the years the population ``group`` has numbers for."""
    return [{"label": str(y), "value": y} for y in (ctx.years_of(group) or ctx.years)]


def require_control(state: ViewState, lang: str) -> html.Div:
    """The combine rule of several categories (hidden while fewer than two are ticked)."""
    return html.Div(
        id=ids.REQUIRE_WRAP,
        className="require-choice",
        hidden=len(state.categories) < 2,
        children=[
            T("require", lang, tag=html.Div, className="sublabel"),
            dcc.RadioItems(
                id=ids.REQUIRE,
                options=simple_options(REQUIRE_KEYS, lang),
                value=state.require,
                className="radio",
                inputClassName="radio-input",
                labelClassName="radio-label",
            ),
        ],
    )


def mode_options(ctx: AppContext, lang: str) -> list[dict]:
    """Distance modes the dataset offers."""
    keys = {"euclidean": "mode_euclidean", "network": "mode_network"}
    return [{"label": t(keys[m], lang), "value": m} for m in ctx.modes]


def level_options(ctx: AppContext, lang: str) -> list[dict]:
    """Options of the area level (planning areas with a mapping, then the dataset's groupings)."""
    from layers.areas import level_label

    out = [{"label": level_label(ctx.dataset, "district", lang), "value": "district"}]
    if "planning_area" in ctx.levels:
        text = level_label(ctx.dataset, "planning_area", lang)
        if ctx.dataset.planning_areas_proposal:
            text += f" ({t('proposal', lang)})"
        out.append({"label": text, "value": "planning_area"})
    out.extend({"label": g.label(lang), "value": g.id} for g in ctx.dataset.groupings)
    return out


def area_options(ctx: AppContext, level: str) -> list[dict]:
    """Options of the area chooser (keyboard alternative to clicking the map)."""
    geo = ctx.geo.get(level) or ctx.geo["district"]
    return [{"label": name, "value": area} for area, name in zip(geo.ids, geo.names, strict=True)]


def group_options(ctx: AppContext, lang: str) -> list[dict]:
    """Options of the population groups."""
    return [{"label": label(ctx.dataset.group(g), lang), "value": g} for g in ctx.groups]


def _fieldset(legend_key: str, lang: str, *children: object, class_name: str = "") -> html.Fieldset:
    return html.Fieldset(
        [T(legend_key, lang, tag=html.Legend), *children], className=f"control {class_name}".strip()
    )


def controls(ctx: AppContext, state: ViewState, lang: str) -> html.Aside:
    """The settings panel (left)."""
    return html.Aside(
        id=ids.CONTROLS,
        className="controls",
        **{"aria-label": t("controls", lang)},
        children=[
            category_controls(ctx, state, lang),
            distance_controls(state, lang),
            year_group_controls(ctx, state, lang),
            level_controls(ctx, state, lang),
            layer_controls(ctx, state, lang),
            settings_controls(ctx, state, lang),
        ],
    )


def category_controls(ctx: AppContext, state: ViewState, lang: str) -> html.Fieldset:
    """The services to map, and the combine rule when several are ticked."""
    return _fieldset(
        "categories",
        lang,
        dcc.Checklist(
            id=ids.CATEGORIES,
            options=category_options(ctx, lang),
            value=list(state.categories),
            className="checklist",
            inputClassName="check-input",
            labelClassName="check-label",
        ),
        require_control(state, lang),
    )


def distance_controls(state: ViewState, lang: str) -> html.Fieldset:
    """Walking distance in metres or minutes, and the walking speed."""
    from dashboard.callbacks.filters import distance_hint

    return _fieldset(
        "distance",
        lang,
        html.Div(
            className="distance-row",
            children=[
                dcc.Slider(
                    id=ids.DISTANCE,
                    min=100,
                    max=2000,
                    step=50,
                    value=state.distance,
                    marks={100: "100", 500: "500", 1000: "1000", 2000: "2000"},
                    tooltip={"placement": "bottom", "always_visible": False},
                    updatemode="mouseup",
                ),
            ],
        ),
        dcc.RadioItems(
            id=ids.DISTANCE_UNIT,
            options=simple_options(UNIT_KEYS, lang),
            value=state.unit,
            inline=True,
            className="radio",
            inputClassName="radio-input",
            labelClassName="radio-label",
        ),
        html.Div(
            distance_hint(state),
            id=ids.DISTANCE_HINT,
            className="hint",
            **{"aria-live": "polite"},
        ),
        T("speed", lang, tag=html.Div, className="sublabel"),
        dcc.RadioItems(
            id=ids.SPEED,
            options=simple_options(SPEED_KEYS, lang),
            value=state.speed,
            className="radio",
            inputClassName="radio-input",
            labelClassName="radio-label",
        ),
    )


def year_group_controls(ctx: AppContext, state: ViewState, lang: str) -> html.Div:
    """Year (only those the chosen group has) and population group."""
    return html.Div(
        className="control two-col",
        children=[
            html.Div(
                [
                    T("year", lang, tag=html.Label, htmlFor=ids.YEAR, className="sublabel"),
                    dcc.Dropdown(
                        labels=dropdown_labels(lang),
                        id=ids.YEAR,
                        options=year_options(ctx, state.group),
                        value=state.year,
                        clearable=False,
                        searchable=False,
                    ),
                ]
            ),
            html.Div(
                [
                    T("group", lang, tag=html.Label, htmlFor=ids.GROUP, className="sublabel"),
                    dcc.Dropdown(
                        labels=dropdown_labels(lang),
                        id=ids.GROUP,
                        options=group_options(ctx, lang),
                        value=state.group,
                        clearable=False,
                        searchable=False,
                    ),
                ]
            ),
        ],
    )


def level_controls(ctx: AppContext, state: ViewState, lang: str) -> html.Fieldset:
    """Districts, planning areas or a dataset's further grouping."""
    return _fieldset(
        "level",
        lang,
        dcc.RadioItems(
            id=ids.LEVEL,
            options=level_options(ctx, lang),
            value=state.level,
            className="radio",
            inputClassName="radio-input",
            labelClassName="radio-label",
        ),
    )


def layer_controls(ctx: AppContext, state: ViewState, lang: str) -> html.Fieldset:
    """Map layers, and the years of the change overlay with its play button."""
    years = list(ctx.years)
    marks = year_marks(years)
    return _fieldset(
        "layers",
        lang,
        dcc.Checklist(
            id=ids.LAYERS,
            options=simple_options(LAYER_KEYS, lang),
            value=list(state.layers),
            className="checklist",
            inputClassName="check-input",
            labelClassName="check-label",
        ),
        html.Div(
            className="change-controls",
            children=[
                T("change_years", lang, tag=html.Div, className="sublabel"),
                dcc.RangeSlider(
                    id=ids.CHANGE_YEARS,
                    min=years[0] if years else 0,
                    max=years[-1] if years else 1,
                    step=1,
                    marks=marks,
                    value=[
                        state.year_from or (years[0] if years else 0),
                        state.year_to or (years[-1] if years else 1),
                    ],
                    allowCross=False,
                    updatemode="mouseup",
                    tooltip={"placement": "bottom"},
                ),
                html.Button(
                    t("play", lang),
                    id=ids.CHANGE_PLAY,
                    n_clicks=0,
                    className="btn btn-secondary",
                    **{"aria-label": t("play_label", lang)},
                ),
                dcc.Interval(id=ids.CHANGE_INTERVAL, interval=1400, disabled=True),
            ],
        ),
    )


def settings_controls(ctx: AppContext, state: ViewState, lang: str) -> html.Details:
    """Distance mode (straight line or network) and the optional online basemap."""
    return html.Details(
        className="control settings",
        children=[
            T("settings", lang, tag=html.Summary),
            T("distance_mode", lang, tag=html.Div, className="sublabel"),
            dcc.RadioItems(
                id=ids.DISTANCE_MODE,
                options=mode_options(ctx, lang),
                value=ctx.mode(state.distance_mode),
                className="radio",
                inputClassName="radio-input",
                labelClassName="radio-label",
            ),
            html.P(
                ctx.dataset.network.note if ctx.dataset.network is not None else "",
                id=ids.NETWORK_NOTE,
                className="hint",
            ),
            T("basemap", lang, tag=html.Div, className="sublabel"),
            dcc.RadioItems(
                id=ids.BASEMAP,
                options=simple_options(BASEMAP_KEYS, lang),
                value=state.basemap,
                className="radio",
                inputClassName="radio-input",
                labelClassName="radio-label",
            ),
        ],
    )


def header(ctx: AppContext, state: ViewState, lang: str) -> html.Header:
    """Title, view tabs, language switch and the share/present buttons."""
    city = ctx.dataset.metadata.city or ctx.dataset.metadata.name
    return html.Header(
        id=ids.HEADER,
        className="topbar",
        children=[
            html.Div(
                className="brand",
                children=[
                    html.H1(
                        [T("app_title", lang), html.Span(f" {city}", className="city")],
                        id=ids.TITLE,
                    ),
                    T("app_subtitle", lang, tag=html.P, className="subtitle"),
                ],
            ),
            html.Nav(
                className="views",
                **{"aria-label": t("views_label", lang)},
                children=dcc.RadioItems(
                    id=ids.VIEW_TABS,
                    options=simple_options(VIEW_KEYS, lang),
                    value=state.view,
                    inline=True,
                    className="tabs",
                    inputClassName="tab-input",
                    labelClassName="tab-label",
                ),
            ),
            html.Div(
                className="actions",
                children=[
                    html.Div(
                        **{"aria-label": "Sprache / Language"},
                        children=dcc.RadioItems(
                            id=ids.LANG,
                            options=[{"label": x.upper(), "value": x} for x in LANGS],
                            value=lang,
                            inline=True,
                            className="lang",
                            inputClassName="tab-input",
                            labelClassName="lang-label",
                        ),
                    ),
                    html.Button(
                        T("share", lang),
                        id=ids.SHARE_BUTTON,
                        n_clicks=0,
                        className="btn btn-secondary",
                    ),
                    html.Button(
                        T("present", lang),
                        id=ids.PRESENT_BUTTON,
                        n_clicks=0,
                        className="btn btn-primary",
                    ),
                ],
            ),
        ],
    )


def lazy_compare_map(compare: go.Figure, state: ViewState) -> dcc.Tabs:
    """The compare map inside a one-tab ``dcc.Tabs`` that shows nothing until it is opened.

    dcc.Tabs mounts only the selected tab's children, so the Graph (and the 4.8 MB plotly.js it
    loads) stays out of the first page load; the Graph is still in the layout, so its callbacks
    keep working while it is unmounted. ``COMPARE_WRAP`` becoming visible selects the tab
    (a clientside callback in ``dashboard.app``); once mounted it stays.
    """
    return dcc.Tabs(
        id=ids.COMPARE_LAZY,
        value="on" if state.view == "compare" else "off",
        className="lazy-tab-headers",
        parent_className="lazy-tabs",
        content_className="lazy-tab-content",
        children=[
            dcc.Tab(
                value="on",
                children=dcc.Graph(
                    id=ids.COMPARE_MAP,
                    figure=compare,
                    config=GRAPH_CONFIG,
                    style={"height": "100%"},
                    responsive=True,
                ),
            )
        ],
    )


def map_column(
    ctx: AppContext, base_map: Component, compare: go.Figure, state: ViewState, lang: str
) -> html.Section:
    """The map, its legend, source line and table view."""
    return html.Section(
        className="map-col",
        **{"aria-label": t("map_label", lang)},
        children=[
            html.Div(id=ids.SHARE_LINK, className="share-link", hidden=True),
            html.H2(id=ids.MAP_TITLE, className="map-title"),
            html.Div(id=ids.MAP_NOTES, className="map-notes", role="status"),
            html.Div(
                className="maps",
                children=[
                    html.Div(
                        className="map-wrap",
                        children=html.Div(
                            className="qa-map",
                            role="region",
                            **{"aria-label": t("map_label", lang)},
                            children=base_map,
                        ),
                    ),
                    html.Div(
                        id=ids.COMPARE_WRAP,
                        className="map-wrap compare",
                        hidden=True,
                        children=[
                            # named with its group and years once the compare map is drawn
                            html.H3(
                                t("compare_title_right", lang),
                                id=ids.COMPARE_TITLE,
                                className="compare-title",
                            ),
                            html.Div(
                                className="qa-map",
                                children=lazy_compare_map(compare, state),
                            ),
                        ],
                    ),
                ],
            ),
            html.Div(id=ids.MAP_LEGEND, className="legend", **{"aria-live": "polite"}),
            html.P(id=ids.MAP_SOURCE, className="source-line"),
            html.Details(
                id=ids.MAP_TABLE_WRAP,
                className="table-view",
                # kept up to date by assets/map.js, so that the rows are built only when open
                open=False,
                children=[
                    html.Summary(T("table_toggle", lang), id=ids.MAP_TABLE_TOGGLE),
                    html.Div(id=ids.MAP_TABLE, className="table-scroll"),
                ],
            ),
            export_panel(ctx, state, lang),
        ],
    )


def export_panel(ctx: AppContext, state: ViewState, lang: str) -> html.Section:
    """Export buttons: the map as PNG/PDF (A4 or 16:9), the area profile, the table."""
    from dashboard.callbacks.export import profile_button

    def button(key: str, button_id: str, primary: bool = False) -> html.Button:
        return html.Button(
            T(key, lang),
            id=button_id,
            n_clicks=0,
            type="button",
            className="btn btn-primary" if primary else "btn btn-secondary",
        )

    disabled, hint = profile_button(ctx, state)
    profile_export = button("export_profile", ids.EXPORT_PROFILE)
    profile_export.disabled, profile_export.title = disabled, hint
    return html.Section(
        id=ids.EXPORT_PANEL,
        className="export-panel",
        **{"aria-labelledby": "export-heading"},
        children=[
            html.H3(T("export_title", lang), id="export-heading", className="export-title"),
            html.Div(
                className="export-row",
                children=[
                    html.Div(
                        className="export-page-wrap",
                        children=[
                            T("export_page", lang, tag=html.Span, className="sublabel"),
                            dcc.RadioItems(
                                id=ids.EXPORT_PAGE,
                                # the same words in both languages (A4 is landscape)
                                options=[
                                    {"label": "A4", "value": "a4"},
                                    {"label": "16:9", "value": "16:9"},
                                ],
                                value="a4",
                                inline=True,
                                className="radio export-page",
                                inputClassName="radio-input",
                                labelClassName="radio-label",
                            ),
                        ],
                    ),
                    button("export_png", ids.EXPORT_PNG, primary=True),
                    button("export_pdf", ids.EXPORT_PDF, primary=True),
                    profile_export,
                    button("export_csv", ids.EXPORT_CSV),
                    button("export_xlsx", ids.EXPORT_XLSX),
                ],
            ),
            html.P(
                T("export_running", lang),
                id=ids.EXPORT_PROGRESS,
                className="hint export-progress",
                hidden=True,
                role="status",
            ),
            html.P(id=ids.EXPORT_STATUS, className="hint", **{"aria-live": "polite"}),
            html.P(id=ids.EXPORT_QUEUE, className="hint", **{"aria-live": "polite"}),
            *[
                dcc.Download(id=ids.export_download(k))
                for k in ("png", "pdf", "profile", "csv", "xlsx")
            ],
        ],
    )


def notes_for(text: str, lang: str) -> list[str]:
    r"""Paragraphs of a dataset's notes for ``lang``.

    Notes may hold both languages: a line starting with ``DE:`` or ``EN:`` and the lines after
    it (up to the next marker) belong to that language; lines before any marker and lines with
    both languages side by side (``… / …``) are always shown.

    Examples
    --------
    >>> notes_for("DE: Hallo\nMehr\nEN: Hello\nMore\nA / B", "en")
    ['Hello', 'More', 'A / B']
    """
    out: list[str] = []
    current: str | None = None
    for raw in (text or "").splitlines():
        line = raw.strip()
        if not line:
            continue
        head = line[:3].upper()
        if head in ("DE:", "EN:"):
            current = head[:2].lower()
            line = line[3:].strip()
        elif " / " in line:
            out.append(line)
            continue
        if current is None or current == lang:
            out.append(line)
    return out


def notes(ctx: AppContext, lang: str) -> list[Any]:
    """The "Datenstand/Hinweise" panel: dataset notes, the seed-list warning, load warnings."""
    meta = ctx.dataset.metadata
    out: list[Any] = [html.P(t("notes_seed", lang), className="note-seed")]
    out.extend(html.P(p) for p in notes_for(meta.notes, lang))
    n_unlocated = len(ctx.dataset.unlocated_facilities)
    if n_unlocated:
        out.append(html.P(t("notes_unlocated", lang, n=fmt_number(n_unlocated, lang))))
    dated = [s for s in meta.sources if s.date or s.licence or s.attribution]
    if dated:
        out.append(
            html.Ul(
                [
                    html.Li(
                        " · ".join(
                            x
                            for x in (
                                s.layer,
                                s.attribution or s.source or s.file,
                                s.licence,
                                s.date,
                            )
                            if x
                        )
                    )
                    for s in meta.sources
                ],
                className="sources",
            )
        )
    return out


def side_panel(ctx: AppContext, state: ViewState, lang: str) -> html.Aside:
    """Profile / what-if / coordinator panels, data notes, methods and upload."""
    return html.Aside(
        id=ids.SIDE,
        className="side",
        children=[
            profile_panel(ctx, state, lang),
            scenario_panel(ctx, state, lang),
            coordinator_panel(lang),
            notes_panel(ctx, lang),
            methods_panel(ctx, lang),
            upload_panel(ctx, lang),
            workspace_panel(lang),
        ],
    )


def profile_panel(ctx: AppContext, state: ViewState, lang: str) -> html.Section:
    """The area profile: area chooser, facility card and the profile of the chosen area."""
    from dashboard.callbacks.profile import profile_children, profile_key

    return html.Section(
        id=ids.PROFILE,
        className="panel profile",
        children=[
            html.Button(
                "×",
                id=ids.PROFILE_CLOSE,
                n_clicks=0,
                className="close",
                title=t("close", lang),
                **{"aria-label": t("close", lang)},
            ),
            T("area", lang, tag=html.Label, htmlFor=ids.AREA_SELECT, className="sublabel"),
            # the options come after the first map: the dropdown indexes them for its search
            # as it renders (dashboard.deferred)
            dcc.Dropdown(
                labels=dropdown_labels(lang),
                id=ids.AREA_SELECT,
                options=[],
                value=state.area,
                clearable=True,
                searchable=True,
                placeholder=t("area_choose", lang),
                className="area-select",
            ),
            html.Div(id=ids.FACILITY_CARD, className="facility-card", **{"aria-live": "polite"}),
            html.Div(
                profile_children(ctx, state),
                id=ids.PROFILE_BODY,
                **{"aria-live": "polite"},
            ),
            dcc.Store(id=ids.AREA_OPTIONS, data=area_options(ctx, "district")),
            dcc.Store(id=ids.PROFILE_KEY, data=profile_key(state)),
        ],
    )


def scenario_panel(ctx: AppContext, state: ViewState, lang: str) -> html.Section:
    """What if: planned category, gains, clearing, suggested sites."""
    cats = [{"label": label(c, lang), "value": c.id} for c in ctx.dataset.categories]
    return html.Section(
        id=ids.SCENARIO_PANEL,
        className="panel scenario",
        hidden=True,
        children=[
            T("scenario_title", lang, tag=html.H2),
            T("scenario_help", lang, tag=html.P, className="hint"),
            T(
                "scenario_category",
                lang,
                tag=html.Label,
                htmlFor=ids.SCENARIO_CATEGORY,
                className="sublabel",
            ),
            dcc.Dropdown(
                labels=dropdown_labels(lang),
                id=ids.SCENARIO_CATEGORY,
                options=cats,
                value=state.scenario_category or ctx.category_ids[0],
                clearable=False,
                searchable=False,
            ),
            html.Div(id=ids.SCENARIO_SUMMARY, className="summary", **{"aria-live": "polite"}),
            html.Div(id=ids.SCENARIO_TABLE, className="table-scroll"),
            html.Button(
                T("scenario_clear", lang),
                id=ids.SCENARIO_CLEAR,
                n_clicks=0,
                className="btn btn-secondary",
            ),
            T("suggest_title", lang, tag=html.H3),
            html.Div(
                className="suggest-row",
                children=[
                    T(
                        "suggest_k",
                        lang,
                        tag=html.Label,
                        htmlFor=ids.SUGGEST_K,
                        className="sublabel",
                    ),
                    dcc.Input(
                        id=ids.SUGGEST_K,
                        type="number",
                        min=1,
                        max=10,
                        step=1,
                        value=3,
                        className="num-input",
                    ),
                    html.Button(
                        T("suggest_button", lang),
                        id=ids.SUGGEST_BUTTON,
                        n_clicks=0,
                        className="btn btn-primary",
                    ),
                ],
            ),
            html.P(id=ids.SUGGEST_QUEUE, className="hint", **{"aria-live": "polite"}),
            dcc.Loading(html.Div(id=ids.SUGGEST_RESULT, className="suggest-result")),
            dcc.Store(id=ids.SUGGEST_STORE),
            html.Button(
                T("suggest_take", lang),
                id=ids.SUGGEST_TAKE,
                n_clicks=0,
                className="btn btn-secondary",
                hidden=True,
            ),
        ],
    )


def coordinator_panel(lang: str) -> html.Section:
    """On site: address search, own location, print, the list of nearby services."""
    return html.Section(
        id=ids.COORD_PANEL,
        className="panel coordinator",
        hidden=True,
        children=[
            T("coord_title", lang, tag=html.H2),
            T("coord_help", lang, tag=html.P, className="hint"),
            T("address", lang, tag=html.Label, htmlFor=ids.ADDRESS, className="sublabel"),
            dcc.Dropdown(
                labels=dropdown_labels(lang),
                id=ids.ADDRESS,
                options=[],
                placeholder=t("address_placeholder", lang),
                searchable=True,
                clearable=True,
                className="address",
            ),
            html.Button(
                T("geolocate", lang),
                id=ids.GEOLOCATE,
                n_clicks=0,
                className="btn btn-primary btn-block",
            ),
            html.Div(id=ids.GEO_STATUS, className="hint", **{"aria-live": "polite"}),
            html.Button(
                T("coord_print", lang),
                id=ids.COORD_PRINT,
                n_clicks=0,
                className="btn btn-secondary btn-block",
            ),
            # the list is a block of its own so that a phone can show the map between
            # the search and the (long) list
            html.Div(id=ids.COORD_RESULT, className="coord-result", **{"aria-live": "polite"}),
            dcc.Store(id=ids.COORD_KEY),
        ],
    )


def notes_panel(ctx: AppContext, lang: str) -> html.Details:
    """Data status and notes (open by default)."""
    return html.Details(
        id=ids.NOTES_PANEL,
        className="panel notes",
        open=True,
        children=[
            T("notes_title", lang, tag=html.Summary),
            html.Div(id=ids.NOTES_BODY, children=notes(ctx, lang)),
        ],
    )


def methods_panel(ctx: AppContext, lang: str) -> html.Details:
    """How the numbers are computed."""
    return html.Details(
        id=ids.METHODS_PANEL,
        className="panel methods",
        children=[
            T("methods_title", lang, tag=html.Summary),
            html.P(
                id=ids.METHODS_BODY,
                children=t("methods_text", lang, n=ctx.options.small_count_threshold),
            ),
        ],
    )


def upload_panel(ctx: AppContext, lang: str) -> html.Details:
    """Upload of an own facility list (CSV, GeoJSON, GeoPackage, zipped Shapefile)."""
    mb = ctx.options.upload_max_bytes / 1024 / 1024
    return html.Details(
        className="panel upload",
        children=[
            T("upload_title", lang, tag=html.Summary),
            html.P(
                id=ids.UPLOAD_HELP,
                className="hint",
                children=t("upload_help", lang, mb=f"{mb:g}", cats=", ".join(ctx.category_ids)),
            ),
            dcc.Upload(
                id=ids.UPLOAD,
                children=T("upload_drop", lang, tag=html.Div),
                className="upload-zone",
                max_size=ctx.options.upload_max_bytes,
                multiple=False,
            ),
            dcc.Loading(
                html.Div(
                    id=ids.UPLOAD_RESULT,
                    className="upload-result",
                    **{"aria-live": "polite"},
                )
            ),
        ],
    )


def workspace_panel(lang: str) -> html.Details:
    """Uploads and saved scenarios of this browser or user (lists filled by a callback)."""
    return html.Details(
        id=ids.WS_PANEL,
        className="panel workspace",
        children=[
            html.Summary(T("ws_title", lang), id=ids.WS_SUMMARY, n_clicks=0),
            html.Div(id=ids.WS_BODY),
            T("ws_scenario_name", lang, tag=html.Label, htmlFor=ids.WS_SCENARIO_NAME),
            dcc.Input(id=ids.WS_SCENARIO_NAME, type="text", maxLength=80, debounce=False),
            html.Button(T("ws_save", lang), id=ids.WS_SAVE, className="btn btn-secondary"),
            html.Div(id=ids.WS_MESSAGE, className="ws-message", **{"aria-live": "polite"}),
        ],
    )


def build_layout(
    ctx: AppContext,
    base_map: Component,
    compare: go.Figure,
    state: ViewState,
    *,
    deferred: dict[str, list] | None = None,
) -> html.Div:
    """The whole page (German first; the URL may switch the language on load).

    ``deferred``: the URLs and data of the map layers that load after the first map
    (``dashboard.deferred.later_layers``).
    """
    from dashboard.callbacks.filters import view_classes

    lang = state.lang
    return html.Div(
        id=ids.PAGE,
        className=view_classes(state)["page"],
        children=[
            dcc.Location(id=ids.URL, refresh=False),
            dcc.Store(id=ids.STATE),
            # uploaded points are never in the layout: the map update fetches this session's
            dcc.Store(id=ids.UPLOAD_STORE),
            dcc.Store(id=ids.WS_REFRESH),
            dcc.Store(id=ids.GEO_STORE),
            dcc.Store(id=ids.PRINT_DUMMY),
            dcc.Store(id=ids.RESIZE_DUMMY),
            # the page's map holds the district geometry already
            dcc.Store(id=ids.MAP_SENT, data=initial_map_sent()),
            dcc.Store(id=ids.MAP_STYLE),
            dcc.Store(id=ids.MAP_DEFERRED, data=deferred or {}),
            *[
                dcc.Store(id=store)
                for store in (
                    ids.PAGE_TRIGGER,
                    ids.PROFILE_TRIGGER,
                    ids.SCENARIO_TRIGGER,
                    ids.COORD_TRIGGER,
                    ids.COMPARE_TRIGGER,
                    ids.EXPORT_TRIGGER,
                )
            ],
            dcc.Store(id=ids.MAP_BOUNDS, data=list(ctx.geo["district"].bounds)),
            html.A(t("map_label", lang), href="#" + ids.MAP, className="skip-link"),
            header(ctx, state, lang),
            html.Main(
                className="layout",
                children=[
                    controls(ctx, state, lang),
                    map_column(ctx, base_map, compare, state, lang),
                    side_panel(ctx, state, lang),
                ],
            ),
            html.Button(
                T("present_exit", lang),
                id=ids.PRESENT_EXIT,
                n_clicks=0,
                className="btn btn-secondary present-exit",
            ),
        ],
    )


def year_marks(years: list[int]) -> dict[int, str]:
    """Slider labels: first and last year, and every fifth year not crowding them.

    Examples
    --------
    >>> year_marks(list(range(2007, 2022)))
    {2007: '2007', 2010: '2010', 2015: '2015', 2021: '2021'}
    """
    if not years:
        return {}
    first, last = years[0], years[-1]
    inner = [y for y in years if y % 5 == 0 and y - first >= 2 and last - y >= 2]
    return {y: str(y) for y in sorted({first, *inner, last})}
