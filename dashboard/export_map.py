"""The current map as the app shows it, on a page: PNG and PDF, A4 landscape or 16:9.

The figure is the app's own (:func:`dashboard.figures.map_figure` filled with the values the
map callback renders from the layers results, :func:`view_figure`), given a fixed size and
extent, a title, a legend and a source and date line (:func:`export_figure`). Its map is drawn in
SVG on hidden Web Mercator axes (:mod:`dashboard.svg_map`: areas and hexagons as shapes, points
and lines as scatter traces), so no WebGL is needed and a PDF gets vector areas; only a map with
the online basemap's raster tiles keeps plotly's MapLibre map. kaleido 1.x renders the page
offline with the system Chromium (about 0.3–1 s warm; :func:`export_server` keeps one browser
alive for many exports).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import math
import os
import textwrap
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import plotly.graph_objects as go

from dashboard import svg_map
from dashboard.export import (
    EXPORT_FONT,
    IMAGE_FORMATS,
    PAGE_FORMATS,
    PAGE_SIZE_PX,
    ImageFormat,
    Lang,
    PageFormat,
    check_folder,
    check_suffix,
    escape_text,
    source_line,
    write_export,
)
from dashboard.i18n import plotly_separators, t
from dashboard.leaflet_map import layer_tips
from layers.areas import level_label
from layers.errors import ExportError, ParameterError

PNG_SCALE = 2
"""PNG exports are rendered at twice the page size (2246 x 1588 px for A4), sharp when printed."""
MAP_DOMAIN_X = (0.0, 0.76)
"""Horizontal share of the plot area that the map takes; the legend sits to its right."""
LEGEND_X = 0.785
MARGIN_PX = {"l": 36, "r": 36, "t": 104, "b": 64}
FOOTER_PX_PER_CHAR = 6.3
"""Width budget per character of the 10 px source line: DejaVu Sans (Chromium's fallback when
Liberation Sans is missing) averages ~5.8 px, so lines wrap before they reach the margin."""
FOOTER_MAX_LINES = 9
FOOTER_LINE_PX = 14
"""Line height of the 10 px source line as Chromium sets it (plotly's line spacing is 1.3)."""
FOOTER_GAP_PX = 12
"""Space between the map and the first source line, and under the last one."""
SUBTITLE_PX_PER_CHAR = 7.4
"""Average width of a 14 px subtitle character (wrapping at the page width)."""
SUBTITLE_LINE_PX = 18
SUBTITLE_MAX_LINES = 5
MAP_PADDING = 0.04
"""Share of the map's width and height kept free around the fixed extent."""
PRINT_AREA_OPACITY = 1.0
"""Printed areas are filled opaque: a colour bar is always drawn opaque, and a fill at the
screen's 78 % over white reads ~20 % lighter than its value on the bar."""
MAPLIBRE_TILE_PX = 512
"""World size in pixels at zoom 0 for MapLibre (the zoom scale of plotly's ``layout.map``)."""


def fit_map_view(
    bounds_lonlat: tuple[float, float, float, float],
    *,
    width_px: float,
    height_px: float,
    padding: float = MAP_PADDING,
) -> tuple[dict[str, float], float]:
    """Centre and zoom that show ``bounds_lonlat`` in a map of the given pixel size.

    Parameters
    ----------
    bounds_lonlat
        ``(west, south, east, north)`` in degrees (EPSG:4326).
    width_px, height_px
        Size of the map area in CSS pixels.
    padding
        Share of the width and height kept free on each side.

    Returns
    -------
    tuple
        ``({"lon": ..., "lat": ...}, zoom)`` for plotly's ``layout.map``.

    Examples
    --------
    >>> centre, zoom = fit_map_view((8.0, 49.0, 9.0, 49.5), width_px=1024, height_px=1024)
    >>> round(centre["lon"], 3), round(zoom, 2)
    (8.5, 9.37)
    """
    west, south, east, north = bounds_lonlat
    if not (east > west and north > south):
        raise ParameterError(
            f"map bounds {bounds_lonlat} are empty; expected west<east, south<north"
        )
    # Web Mercator ordinates in degrees: one scale with the longitudes
    y_north, y_south = (float(y) for y in svg_map.mercator_y([north, south]))
    usable_w = width_px * (1 - 2 * padding)
    usable_h = height_px * (1 - 2 * padding)
    zoom_x = math.log2(usable_w * 360.0 / (MAPLIBRE_TILE_PX * (east - west)))
    zoom_y = math.log2(usable_h * 360.0 / (MAPLIBRE_TILE_PX * (y_north - y_south)))
    y_mid = math.radians((y_north + y_south) / 2)
    centre_lat = math.degrees(2 * math.atan(math.exp(y_mid)) - math.pi / 2)
    return {"lon": (west + east) / 2, "lat": centre_lat}, min(zoom_x, zoom_y)


def view_ranges(
    centre: Any, zoom: float, *, width_px: float, height_px: float
) -> tuple[list[float], list[float]]:
    """The extent a MapLibre map of ``width_px`` × ``height_px`` shows at ``centre`` and ``zoom``.

    As longitudes and Mercator ordinates (:func:`dashboard.svg_map.mercator_y`), both degrees.

    Examples
    --------
    >>> x, y = view_ranges({"lon": 8.4, "lat": 0.0}, 0.0, width_px=512, height_px=256)
    >>> x, y
    ([-171.6, 188.4], [-90.0, 90.0])
    """
    px_per_degree = MAPLIBRE_TILE_PX * 2.0**zoom / 360.0
    lon, lat = float(centre["lon"]), float(centre["lat"])
    half_x, half_y = width_px / 2 / px_per_degree, height_px / 2 / px_per_degree
    y = float(svg_map.mercator_y(lat))
    return [lon - half_x, lon + half_x], [y - half_y, y + half_y]


def export_figure(
    fig: go.Figure,
    *,
    title: str,
    subtitle: str = "",
    footer: str = "",
    bounds_lonlat: tuple[float, float, float, float] | None = None,
    page_format: PageFormat = "a4",
    svg: bool = True,
) -> go.Figure:
    """A copy of the app's map figure laid out for a page.

    The copy gets a fixed size and extent, a title, a legend and a source and date line.

    Parameters
    ----------
    fig
        The figure the app shows (from :mod:`dashboard.figures`); it is not changed.
    title, subtitle, footer
        Plain text; escaped here, so names from the data show as typed. A long footer wraps over
        up to :data:`FOOTER_MAX_LINES` lines, the subtitle (one paragraph per line) over up to
        :data:`SUBTITLE_MAX_LINES`.
    bounds_lonlat
        ``(west, south, east, north)`` to show; None keeps the figure's own centre and zoom.
    page_format
        ``"a4"`` (landscape) or ``"16:9"``.
    svg
        Draw the map in SVG on cartesian axes (:func:`dashboard.svg_map.svg_figure`) unless it
        has a raster layer (the online basemap); False keeps plotly's MapLibre map (WebGL).

    Returns
    -------
    plotly.graph_objects.Figure
        A new figure with ``width``/``height`` set; the map takes the left
        :data:`MAP_DOMAIN_X` share, colour bars and the category legend sit to its right.
    """
    if page_format not in PAGE_SIZE_PX:
        raise ParameterError(
            f"page format {page_format!r} is unknown; use one of {', '.join(PAGE_FORMATS)}"
        )
    width, height = PAGE_SIZE_PX[page_format]
    chars_per_line = int((width - MARGIN_PX["l"] - MARGIN_PX["r"]) / FOOTER_PX_PER_CHAR)
    footer_lines = textwrap.wrap(footer, chars_per_line)[:FOOTER_MAX_LINES] if footer else []
    margin = dict(MARGIN_PX)
    margin["b"] = max(margin["b"], 2 * FOOTER_GAP_PX + FOOTER_LINE_PX * len(footer_lines) + 6)
    # a subtitle naming group, year, distance and rule is long: wrapped, never cut
    sub_chars = int((width - MARGIN_PX["l"] - MARGIN_PX["r"]) / SUBTITLE_PX_PER_CHAR)
    sub_lines = [line for part in subtitle.splitlines() for line in textwrap.wrap(part, sub_chars)][
        :SUBTITLE_MAX_LINES
    ]
    margin["t"] += SUBTITLE_LINE_PX * max(0, len(sub_lines) - 1)

    plot_w = (width - margin["l"] - margin["r"]) * (MAP_DOMAIN_X[1] - MAP_DOMAIN_X[0])
    plot_h = height - margin["t"] - margin["b"]
    out = _page_map(fig, bounds_lonlat, width_px=plot_w, height_px=plot_h, svg=svg)
    head = f"<b>{escape_text(title)}</b>"
    for line in sub_lines:
        head += f"<br><span style='font-size:14px'>{escape_text(line)}</span>"
    out.update_layout(
        width=width,
        height=height,
        autosize=False,
        margin=dict(margin, pad=0, autoexpand=False),
        paper_bgcolor="white",
        font=dict(family=EXPORT_FONT, size=12, color="#1a1a1a"),
        title=dict(
            text=head,
            x=0.0,
            xref="paper",
            xanchor="left",
            y=1.0,
            yref="container",
            yanchor="top",
            pad=dict(t=36),
            font=dict(size=22),
        ),
        showlegend=True,
        legend=dict(
            x=LEGEND_X,
            xanchor="left",
            y=0.42,
            yanchor="top",
            orientation="v",
            bgcolor="rgba(0,0,0,0)",
            borderwidth=0,
            font=dict(size=12),
            itemsizing="constant",
        ),
        dragmode=False,
        uirevision=None,
    )
    _place_colour_bars(out)
    out.update_layout(legend=dict(y=0.0, yanchor="bottom"))
    if footer_lines:
        out.add_annotation(
            text="<br>".join(escape_text(line) for line in footer_lines),
            xref="paper",
            yref="paper",
            x=0.0,
            y=0.0,
            xanchor="left",
            yanchor="top",
            yshift=-FOOTER_GAP_PX,
            showarrow=False,
            align="left",
            font=dict(size=10, color="#444"),
        )
    return out


def _page_map(
    fig: go.Figure,
    bounds_lonlat: tuple[float, float, float, float] | None,
    *,
    width_px: float,
    height_px: float,
    svg: bool,
) -> go.Figure:
    """A copy of ``fig`` whose map fills the map area and shows ``bounds_lonlat``.

    Drawn in SVG when ``svg`` and :func:`dashboard.svg_map.can_draw` allow, else on the
    MapLibre map. Without bounds the figure's own centre and zoom are kept.
    """
    view = fig.layout.map
    if bounds_lonlat is not None:
        centre, zoom = fit_map_view(bounds_lonlat, width_px=width_px, height_px=height_px)
    else:
        # what MapLibre shows of the figure (its defaults: 0° 0°, zoom 1)
        centre = {"lon": view.center.lon or 0.0, "lat": view.center.lat or 0.0}
        zoom = 1.0 if view.zoom is None else view.zoom
    if svg and svg_map.can_draw(fig):
        x_range, y_range = view_ranges(centre, zoom, width_px=width_px, height_px=height_px)
        return svg_map.svg_figure(
            fig,
            x_range=x_range,
            y_range=y_range,
            domain_x=MAP_DOMAIN_X,
            area_opacity=PRINT_AREA_OPACITY,
        )
    out = go.Figure(fig)
    out.update_layout(map=dict(domain=dict(x=list(MAP_DOMAIN_X), y=[0.0, 1.0])))
    if bounds_lonlat is not None:
        out.update_layout(map=dict(center=centre, zoom=zoom))
    for trace in out.data:
        if trace.type.startswith("choropleth"):
            trace.update(marker=dict(opacity=PRINT_AREA_OPACITY))
    return out


def _place_colour_bars(fig: go.Figure) -> None:
    """Stack the shown colour bars right of the map.

    They belong to the choropleths of a MapLibre map, or to the markers that carry them on a
    map drawn in SVG (:func:`dashboard.svg_map.svg_figure`).
    """
    with_bar = [
        trace
        for trace in fig.data
        if trace.visible is not False
        and (
            trace.showscale is not False
            if trace.type.startswith("choropleth")
            else getattr(trace, "marker", None) is not None and trace.marker.showscale is True
        )
    ]
    bar_len = 0.36 if len(with_bar) > 1 else 0.5
    for position, trace in enumerate(with_bar):
        bar = dict(
            x=LEGEND_X,
            xanchor="left",
            y=1.0 - (bar_len + 0.1) * position,
            yanchor="top",
            len=bar_len,
            lenmode="fraction",
            thickness=14,
            outlinewidth=0,
            title=dict(side="top", font=dict(size=12)),
        )
        if trace.type.startswith("choropleth"):
            trace.update(colorbar=bar)
        else:
            trace.update(marker=dict(colorbar=bar))


def render_figure(fig: go.Figure, *, fmt: ImageFormat, scale: float | None = None) -> bytes:
    """Render a figure to PNG or PDF bytes with kaleido (offline, system Chromium).

    Uses this process's reused browser (:func:`dashboard.render.to_image`).

    Raises
    ------
    ExportError
        If no Chromium is found or rendering fails.
    """
    from dashboard import render

    if fmt not in IMAGE_FORMATS:
        raise ParameterError(f"image format {fmt!r} is unknown; use one of png, pdf")
    if scale is None:
        scale = PNG_SCALE if fmt == "png" else 1
    try:
        return render.to_image(fig, fmt, scale=scale)
    except render.RenderError as exc:
        raise ExportError(
            f"{exc}. Exports need Chromium (Debian: apt-get install chromium) and kaleido>=1.0."
        ) from exc


def write_figure(
    fig: go.Figure, out: str | os.PathLike[str], *, scale: float | None = None
) -> Path:
    """Render ``fig`` and write it atomically to ``out`` (``.png`` or ``.pdf``, by suffix).

    Raises
    ------
    ParameterError
        If the suffix is neither ``.png`` nor ``.pdf``.
    ExportError
        If rendering or writing fails; nothing partial is left.
    """
    fmt = check_suffix(out, IMAGE_FORMATS, what="map export")
    check_folder(Path(out))
    return write_export(out, render_figure(fig, fmt=fmt, scale=scale))  # type: ignore[arg-type]


@contextlib.contextmanager
def export_server() -> Iterator[None]:
    """Keep one kaleido browser alive for many exports (about 1 s each instead of 3–4 s).

    kaleido's sync server is a process-wide singleton; one already running is reused and left
    running.
    """
    import kaleido

    started = False
    try:
        kaleido.start_sync_server(silence_warnings=True)
        started = True
    except Exception:  # a failing start only means slower one-shot renders
        started = False
    try:
        yield
    finally:
        if started:
            with contextlib.suppress(Exception):
                kaleido.stop_sync_server(silence_warnings=True)


def _round_values(values: Any, decimals: int = 1) -> list[float | None]:
    return [None if not math.isfinite(v) else round(float(v), decimals) for v in values]


def _set_areas(fig: go.Figure, traces: Any, level: str, areas: Mapping[str, Any]) -> None:
    """Fill the area trace of ``level`` with the map values; hide the other level's."""
    on, off = (
        (traces.DISTRICTS, traces.PLANNING)
        if level == "district"
        else (traces.PLANNING, traces.DISTRICTS)
    )
    trace = fig.data[on]
    selected = areas.get("selected")
    trace.update(
        z=_round_values(areas["values"]),
        colorscale=areas["scale"],
        zmin=areas["zmin"],
        zmax=areas["zmax"],
        customdata=layer_tips(areas),
        hovertemplate="%{customdata}<extra></extra>",
        visible=True,
        showscale=True,
        marker={
            "opacity": areas.get("opacity", 0.78),
            "line": {
                "width": [3.5 if a == selected else 0.6 for a in trace.locations],
                "color": ["#e69f00" if a == selected else "#ffffff" for a in trace.locations],
            },
        },
        colorbar={"title": {"text": areas.get("colorbar", "")}},
    )
    fig.data[off].update(visible=False, showscale=False)


def _set_gaps(
    fig: go.Figure,
    traces: Any,
    gaps: Mapping[str, Any] | None,
    hexes: Any,
    *,
    still: bool = False,
) -> None:
    """Fill the gap trace with the hexagons' values; ``still``: only the drawn ones, no hover."""
    trace = fig.data[traces.GAPS]
    if not gaps or hexes is None or not hexes.ids:
        trace.update(visible=False, showscale=False)
        return
    z = _round_values(gaps["values"], 0)
    shown: dict[str, Any] = {
        "zmax": gaps["zmax"],
        "visible": True,
        "showscale": True,
        "colorbar": {"title": {"text": gaps.get("colorbar", "")}},
    }
    if not still:
        trace.update(z=z, customdata=layer_tips(gaps), **shown)
        return
    # An image has no hover, and a hexagon without a value is not drawn: most of the city's
    # hexagons need not be sent to the browser at all. The drawn ones keep their own value
    # (merging equal values into one shape saves no vertices: such hexagons are rarely
    # neighbours).
    drawn = [i for i, v in enumerate(z) if v is not None]
    features = hexes.geojson["features"]
    trace.update(
        geojson={"type": "FeatureCollection", "features": [features[i] for i in drawn]},
        locations=[hexes.ids[i] for i in drawn],
        z=[z[i] for i in drawn],
        **shown,
    )


def _set_markers(
    fig: go.Figure, traces: Any, markers: Sequence[Mapping[str, Any]], lang: str
) -> None:
    """Place the scenario, location and upload markers.

    A kind that is drawn gets a legend entry: on paper no tooltip says what a black dot is.
    """
    for kind in ("added", "removed", "suggested", "location", "upload"):
        chosen = [m for m in markers if m["kind"] == kind]
        update: dict[str, Any] = {
            "lat": [m["lat"] for m in chosen],
            "lon": [m["lon"] for m in chosen],
            "customdata": [m["tip"] for m in chosen],
        }
        if chosen:
            update.update(name=escape_text(t(f"marker_{kind}", lang)), showlegend=True)
        if kind == "suggested":
            update.update(mode="markers+text", text=[m.get("label", "") for m in chosen])
        fig.data[getattr(traces, kind)].update(**update)


def _count(values: Any) -> int:
    return 0 if values is None else len(values)


def _leave_out_interaction(fig: go.Figure) -> None:
    """Drop what a still image cannot show: hover texts, and traces that draw nothing."""

    def draws(trace: Any) -> bool:
        if trace.visible is False:
            return False
        if trace.type == "scattermap":
            return _count(trace.lat) > 0 or trace.showlegend is not False
        return _count(trace.locations) > 0

    fig.data = [trace for trace in fig.data if draws(trace)]
    for trace in fig.data:
        trace.update(customdata=None, hovertemplate=None, hoverinfo="skip")


def view_figure(
    ctx: Any,
    state: Any,
    *,
    upload: dict | None = None,
    suggestions: dict | None = None,
    still: bool = False,
) -> tuple[go.Figure, str]:
    """The app's map for one view state, built whole from the same values as the screen.

    Parameters
    ----------
    ctx
        :class:`dashboard.context.AppContext` of the dataset.
    state
        :class:`dashboard.state.ViewState` (categories, distance, year, group, level, layers,
        scenario points, language).
    upload, suggestions
        The uploaded layer and the suggested sites, as the map shows them.
    still
        For an image (the exports): without hover texts, and with only what is drawn (the gap
        hexagons with a value, the traces that show something), so the traces are no longer
        in :class:`~dashboard.figures.Traces` order. Otherwise every trace is in that order,
        with a value for every area and hexagon.

    Returns
    -------
    tuple
        The figure and the map title the app shows above it (plain text).
    """
    from dashboard import figures
    from dashboard.callbacks.map import map_update

    view = map_update(ctx, state, upload=upload, suggestions=suggestions)
    layers = view["layers"]
    fig = figures.map_figure(
        districts=ctx.geo["district"],
        # the second area trace carries the level's areas: planning areas or a grouping's
        planning=ctx.geo.get(
            level if (level := ctx.level(state.level)) != "district" else "planning_area"
        ),
        hexes=ctx.hexes if layers["gaps"] and not still else None,
        boundaries=ctx.outline,
        facilities=ctx.facilities_wgs,
        categories=[(c.id, c.label(state.lang), c.colour) for c in ctx.dataset.categories],
    )
    traces = figures.Traces(len(ctx.category_ids))
    _set_areas(fig, traces, layers["level"], layers["areas"])
    _set_gaps(fig, traces, layers["gaps"], ctx.hexes if layers["gaps"] else None, still=still)
    shown = set(layers["facilities"]["show"])
    for i, category in enumerate(ctx.category_ids):
        fig.data[traces.facility(i)].update(
            visible=category in shown, name=layers["facilities"]["labels"][category]
        )
    _set_markers(fig, traces, layers["markers"], state.lang)
    basemap = figures.osm_layers(ctx.options.online_basemap_url) if layers["basemap"] else []
    fig.layout.map.layers = basemap + ctx.boundary_layers  # assigned whole: update merges
    fig.layout.separators = plotly_separators(state.lang)
    if layers["view"]:
        lat, lon = layers["view"]["center"]
        fig.update_layout(map_center={"lat": lat, "lon": lon}, map_zoom=13.6)
    if still:
        _leave_out_interaction(fig)
    return fig, str(view["title"])


def render_view(
    ctx: Any,
    state: Any,
    *,
    fmt: ImageFormat = "png",
    page_format: PageFormat = "a4",
    created: dt.date | None = None,
) -> bytes:
    """The current map view as PNG or PDF bytes (for the app's download button).

    Parameters
    ----------
    ctx, state
        The app context and the view state, as the map callback gets them.
    fmt
        ``"png"`` or ``"pdf"``.
    page_format
        ``"a4"`` landscape or ``"16:9"``.
    created
        Export date in the source line; default today.
    """
    lang = state.lang
    from dashboard.callbacks.map import map_update

    fig, title = view_figure(ctx, state, still=True)
    view = map_update(ctx, state)  # the results are cached: this only renders the text again
    extra = [view["summary"], *view["notes"]]
    level = ctx.level(state.level)
    footer = source_line(
        ctx.dataset.metadata.sources,
        lang=lang,
        created=created,
        extra=t("legend_hidden", lang, n=ctx.options.small_count_threshold),
    )
    level_text = level_label(ctx.dataset, level, lang)
    if level == "planning_area" and getattr(ctx.dataset, "planning_areas_proposal", False):
        level_text += f" ({t('proposal', lang)})"  # a computed mapping is always labelled
    # the title names group, year used, distance and combine rule; below it the city's
    # residents not reached and the notes (a year replaced for the group)
    subtitle = "\n".join(part for part in (title, *extra) if part)
    page = export_figure(
        fig,
        title=f"{ctx.dataset.metadata.name} · {level_text}",
        subtitle=subtitle,
        footer=footer,
        bounds_lonlat=ctx.geo[level].bounds,
        page_format=page_format,
    )
    data = render_figure(page, fmt=fmt)
    if fmt == "pdf":
        data = with_pdf_metadata(
            data, title=f"{ctx.dataset.metadata.name} · {level_text} · {title}", lang=lang
        )
    return data


def with_pdf_metadata(pdf: bytes, *, title: str, lang: str = "de") -> bytes:
    """``pdf`` with its document title (``/Title``), producer and language set (pypdf).

    Chromium names every printed document "Kaleido-fier" after kaleido's page; a viewer shows
    the title in its window and tab, and screen readers read it first.
    """
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import NameObject, TextStringObject

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    writer.add_metadata({"/Title": title, "/Creator": "Quartiersatlas"})
    writer._root_object[NameObject("/Lang")] = TextStringObject(lang)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def export_map_view(
    dataset: Any,
    out: str | os.PathLike[str],
    *,
    categories: Sequence[str] = (),
    radius_m: float = 500.0,
    year: int | None = None,
    group: str = "total",
    level: str = "district",
    layers: Sequence[str] = ("facilities",),
    page_format: PageFormat = "a4",
    lang: Lang = "de",
    created: dt.date | None = None,
) -> Path:
    """Render the map view of ``dataset`` as the UI shows it and write it as PNG or PDF.

    Parameters
    ----------
    dataset
        A loaded :class:`layers.dataset.Dataset`.
    out
        Target ``.png`` or ``.pdf`` file.
    categories
        Category ids (default: the first, as the app opens); several = the residents reaching
        all of them (the app's map). Unknown ids raise :class:`CatalogueError`.
    radius_m, year, group, level
        As in the app's controls.
    layers
        Map layers to show (``"facilities"``, ``"gaps"``).
    page_format
        ``"a4"`` landscape or ``"16:9"``.
    lang
        Language of the labels.
    created
        Export date in the source line; default today.

    Raises
    ------
    CatalogueError
        If a category, year or level is not in the dataset.
    ParameterError
        If the radius, page format or file suffix is invalid.
    ExportError
        If rendering or writing fails; nothing partial is left.
    """
    from dashboard.context import AppContext
    from dashboard.state import ViewState
    from layers.coverage import check_categories, check_radius
    from layers.errors import CatalogueError

    check_suffix(out, IMAGE_FORMATS, what="map export")
    if page_format not in PAGE_SIZE_PX:
        raise ParameterError(
            f"page format {page_format!r} is unknown; use one of {', '.join(PAGE_FORMATS)}"
        )
    valid = [c.id for c in dataset.categories]
    cats = tuple(check_categories(list(categories), valid)) if categories else tuple(valid[:1])
    radius = check_radius(radius_m)
    ctx = AppContext(dataset)
    if level not in ctx.levels:
        raise CatalogueError(
            f"level {level!r} is not available for this dataset; use one of {', '.join(ctx.levels)}"
            + ("" if "planning_area" in ctx.levels else " (the dataset has no planning areas)")
        )
    years = ctx.years_of(group)
    if year is not None and year not in years:
        raise CatalogueError(
            f"year {year} has no population of group {group!r}; valid years: "
            f"{', '.join(str(y) for y in years) or 'none'}"
        )
    state = ViewState(
        categories=cats,
        distance=radius,
        year=year,
        group=group,
        level=level,
        layers=tuple(layers),
        lang=lang,
    )
    check_folder(Path(out))
    data = render_view(
        ctx,
        state,
        fmt=check_suffix(out, IMAGE_FORMATS, what="map export"),
        page_format=page_format,
        created=created,
    )
    return write_export(out, data)


__all__ = [
    "MAPLIBRE_TILE_PX",
    "MAP_DOMAIN_X",
    "PNG_SCALE",
    "export_figure",
    "export_map_view",
    "export_server",
    "fit_map_view",
    "render_figure",
    "render_view",
    "view_figure",
    "with_pdf_metadata",
    "write_figure",
]
