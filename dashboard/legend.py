"""Colour bars of the map legend: the ramp as the map draws it, with numbered ticks.

The areas are filled with partial opacity over a white map, so a colour on the map is the
scale's colour blended with white; the ramps here are blended the same way (opaque CSS
colours), so a district at 0 % looks like the legend's 0 %.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
from dash import html

from dashboard import ids
from dashboard.figures import CHANGE_SCALE, GAP_SCALE, SHARE_SCALE
from dashboard.i18n import fmt_number, fmt_percent
from dashboard.leaflet_map import scale_colours

if TYPE_CHECKING:
    import pandas as pd

    from dashboard.context import AppContext
    from dashboard.state import ViewState

RAMP_SAMPLES = 11
"""Colour stops of a CSS ramp (the plotly scales are smooth enough at this resolution)."""
MIN_CHANGE_BOUND = 6.0
"""Smallest ± bound of the change scale, in percent (even: the half-way ticks are whole)."""


def blend_over_white(colour: str, alpha: float) -> str:
    """The opaque colour of ``colour`` drawn at ``alpha`` over white (``rgb(r, g, b)``).

    Examples
    --------
    >>> blend_over_white("rgb(0, 0, 0)", 0.5)
    'rgb(128, 128, 128)'
    """
    r, g, b = (float(x) for x in colour[colour.index("(") + 1 : colour.index(")")].split(",")[:3])
    mix = [round(alpha * c + (1.0 - alpha) * 255.0) for c in (r, g, b)]
    return f"rgb({mix[0]}, {mix[1]}, {mix[2]})"


def ramp_css(scale: str | list, *, opacity: float, samples: int = RAMP_SAMPLES) -> str:
    """A CSS ``linear-gradient`` of ``scale`` as drawn at ``opacity`` over white.

    The scale's own alpha (``rgba`` stops, as in the gap scale) multiplies ``opacity``.
    """
    positions = np.linspace(0.0, 1.0, samples)
    colours, alphas = scale_colours(positions, scale, 0.0, 1.0)
    stops = [
        f"{blend_over_white(c, a * opacity)} {p * 100:.0f}%"
        for c, a, p in zip(colours, alphas, positions, strict=True)
    ]
    return f"linear-gradient(90deg, {', '.join(stops)})"


def colour_bar(
    title: str,
    *,
    scale: str | list,
    zmin: float,
    zmax: float,
    ticks: Sequence[tuple[float, str]],
    opacity: float,
    kind: str,
    title_id: str | None = None,
    tick_ids: Mapping[int, str] | None = None,
) -> html.Div:
    """One legend row: the ramp with ticks under it, then the title (its element ``title_id``).

    ``tick_ids``: ids of tick labels by their index in ``ticks`` (texts that the map sends
    alone when only they change).
    """
    span = zmax - zmin if zmax > zmin else 1.0
    tick_ids = tick_ids or {}
    tick_spans = [
        html.Span(
            text,
            className="legend-tick",
            style={"left": f"{(v - zmin) / span * 100:.2f}%"},
            **({"id": tick_ids[i]} if i in tick_ids else {}),
        )
        for i, (v, text) in enumerate(ticks)
    ]
    return html.Div(
        className=f"legend-row legend-{kind}",
        children=[
            html.Div(
                className="legend-bar",
                children=[
                    html.Span(
                        className=f"ramp ramp-{kind}",
                        style={"background": ramp_css(scale, opacity=opacity)},
                        **{"data-opacity": f"{opacity:g}"},
                    ),
                    html.Div(tick_spans, className="legend-ticks"),
                ],
            ),
            html.Span(title, id=title_id) if title_id else html.Span(title),
        ],
    )


def share_legend(title: str, lang: str, *, opacity: float, title_id: str | None = None) -> html.Div:
    """Share of residents reached, 0 to 100 %, ticks every 25 %."""
    ticks = [(v, fmt_percent(v / 100, lang, decimals=0)) for v in (0, 25, 50, 75, 100)]
    return colour_bar(
        title,
        scale=SHARE_SCALE,
        zmin=0,
        zmax=100,
        ticks=ticks,
        opacity=opacity,
        kind="share",
        title_id=title_id,
    )


def change_legend(
    title: str, lang: str, *, bound: float, opacity: float, title_id: str | None = None
) -> html.Div:
    """Population change in percent on the symmetric scale ``-bound`` … ``+bound``."""
    values = (-bound, -bound / 2, 0.0, bound / 2, bound)
    decimals = 0 if all(float(v).is_integer() for v in values) else 1
    ticks = [
        (v, fmt_percent(v / 100, lang, decimals=decimals, sign=v != 0) if v else "0")
        for v in values
    ]
    return colour_bar(
        title,
        scale=CHANGE_SCALE,
        zmin=-bound,
        zmax=bound,
        ticks=ticks,
        opacity=opacity,
        kind="change",
        title_id=title_id,
    )


def gap_legend(title: str, lang: str, *, zmax: float) -> html.Div:
    """Residents out of reach per hexagon, 0 … ``zmax`` (the hexagons carry their own alpha).

    The ticks stay where they are (0, half, top) and only their labels follow ``zmax``: those
    have ids (:data:`ids.MAP_LEGEND_GAP_TICKS`), so that a new top changes two texts, not the
    legend.
    """
    values = (0.0, zmax / 2, zmax)
    ticks = [(v, fmt_number(v, lang)) for v in values]
    return colour_bar(
        title,
        scale=GAP_SCALE,
        zmin=0,
        zmax=zmax,
        ticks=ticks,
        opacity=1.0,
        kind="gaps",
        tick_ids=dict(enumerate(ids.MAP_LEGEND_GAP_TICKS, start=1)),
    )


def fixed_change_bound(changes: Iterable[Sequence[float] | np.ndarray]) -> float:
    """One ± bound (percent) for every frame of a change animation.

    An even whole number of at least :data:`MIN_CHANGE_BOUND`, so that the ticks at the ends
    and half-way are whole percentages.

    Examples
    --------
    >>> fixed_change_bound([[1.0, -3.2], [12.4, float("nan")]])
    14.0
    """
    peak = 0.0
    for values in changes:
        v = np.abs(np.asarray(values, dtype=float))
        v = v[np.isfinite(v)]
        if len(v):
            peak = max(peak, float(v.max()))
    return max(MIN_CHANGE_BOUND, 2.0 * float(np.ceil(peak / 2.0)))


NICE_STEPS = (1.0, 1.2, 1.6, 2.0, 2.4, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0)
"""Tops of the gap scale per power of ten: 20 to 33 % apart, each with a whole half."""


def nice_ceiling(value: float) -> float:
    """The smallest round number ≥ ``value`` (the top of the gap scale).

    An even number up to 20, then a :data:`NICE_STEPS` multiple of a power of ten (24, 30, 40,
    …, 400, 500, 600, 800, 1,000, 1,200, …). The scale's ticks (0, half, top) are whole
    numbers, and the scale, with the colours and the legend, stays the same over small changes
    of the data it is fitted to (a step of the distance slider), its top less than a third
    above the value.

    Examples
    --------
    >>> [nice_ceiling(v) for v in (0.3, 3, 10, 21, 329.5, 658, 1001)]
    [2.0, 4.0, 10.0, 24.0, 400.0, 800.0, 1200.0]
    """
    if not np.isfinite(value) or value <= 2.0:
        return 2.0
    if value <= 20.0:
        return float(2.0 * np.ceil(value / 2.0))
    power = 10.0 ** np.floor(np.log10(value))
    return float(next(round(s * power, 6) for s in NICE_STEPS if s * power >= value))


def fill_opacity(state: ViewState) -> float:
    """Opacity of the area fills (light in the coordinator view, where the streets matter)."""
    return 0.35 if state.view == "coordinator" else 0.78


def animation_changes(
    ctx: AppContext, state: ViewState, level: str, table: pd.DataFrame
) -> list[pd.Series]:
    """``change_pct`` per area for every end year the change animation can show.

    The animation keeps the start year and steps the end year through the data's years, so a
    fixed scale spans all of them (and the shown frame's ``table``).
    """
    group = state.group if state.group in ctx.groups else "total"
    y0 = state.year_from or ctx.years[0]
    frames = [table.set_index("area_id")["change_pct"]]
    for y1 in ctx.years:
        if y1 > y0:
            other = ctx.change(group=group, year_from=y0, year_to=y1, level=level)
            frames.append(other.set_index("area_id")["change_pct"])
    return frames
