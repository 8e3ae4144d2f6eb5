"""Tests of dashboard.legend: ramps drawn as the map draws them, ticks per language."""

from __future__ import annotations

import re

import numpy as np
import pytest

from dashboard import ids
from dashboard.figures import CHANGE_SCALE, SHARE_SCALE
from dashboard.leaflet_map import scale_colours
from dashboard.legend import (
    blend_over_white,
    change_legend,
    fixed_change_bound,
    gap_legend,
    ramp_css,
    share_legend,
)


def _find(component, class_name: str) -> list:
    """Every component below ``component`` whose className contains ``class_name``."""
    found = []
    stack = [component]
    while stack:
        node = stack.pop()
        if isinstance(node, (list, tuple)):
            stack.extend(node)
            continue
        if not hasattr(node, "to_plotly_json"):
            continue
        if class_name in (getattr(node, "className", None) or "").split():
            found.append(node)
        stack.append(getattr(node, "children", None))
    return found


def _ticks(component) -> list[str]:
    spans = _find(component, "legend-tick")
    return [s.children for s in sorted(spans, key=lambda s: float(s.style["left"][:-1]))]


def _gradient_colours(css: str) -> list[tuple[int, int, int]]:
    return [tuple(map(int, m)) for m in re.findall(r"rgb\((\d+), (\d+), (\d+)\)", css)]


def test_share_ticks_in_both_languages():
    assert _ticks(share_legend("t", "de", opacity=0.78)) == ["0 %", "25 %", "50 %", "75 %", "100 %"]
    assert _ticks(share_legend("t", "en", opacity=0.78)) == ["0%", "25%", "50%", "75%", "100%"]


def test_change_ticks_are_symmetric_and_signed():
    assert _ticks(change_legend("t", "de", bound=12, opacity=0.78)) == [
        "-12 %", "-6 %", "0", "+6 %", "+12 %"
    ]  # fmt: skip
    assert _ticks(change_legend("t", "en", bound=5, opacity=0.78)) == [
        "-5.0%", "-2.5%", "0", "+2.5%", "+5.0%"
    ]  # fmt: skip


def test_gap_ticks_run_from_zero_to_the_maximum():
    assert _ticks(gap_legend("t", "de", zmax=1234.0)) == ["0", "617", "1.234"]
    assert _ticks(gap_legend("t", "en", zmax=1234.0)) == ["0", "617", "1,234"]


def test_a_new_gap_top_changes_only_the_texts_the_map_sends_alone():
    from dashboard.callbacks.view import LEGEND_TEXTS, split_texts

    low, high = (gap_legend("t", "de", zmax=z) for z in (400.0, 800.0))
    (low_shape, low_texts), (high_shape, high_texts) = (
        split_texts(legend, LEGEND_TEXTS) for legend in (low, high)
    )
    assert low_shape == high_shape
    assert low_texts == dict(zip(ids.MAP_LEGEND_GAP_TICKS, ["200", "400"], strict=True))
    assert high_texts == dict(zip(ids.MAP_LEGEND_GAP_TICKS, ["400", "800"], strict=True))


@pytest.mark.parametrize("opacity", [0.78, 0.35])
def test_ramp_ends_are_the_scale_colours_drawn_at_the_fill_opacity_over_white(opacity):
    """A 0 % area (filled at ``opacity`` on a white map) has the legend's left colour."""
    colours = _gradient_colours(ramp_css(SHARE_SCALE, opacity=opacity))
    (low, high), _ = scale_colours([0.0, 100.0], SHARE_SCALE, 0.0, 100.0)
    for drawn, scale_colour in ((colours[0], low), (colours[-1], high)):
        r, g, b = _gradient_colours(scale_colour)[0]
        expected = tuple(round(opacity * c + (1 - opacity) * 255) for c in (r, g, b))
        assert drawn == expected
    # lighter than the opaque scale colour: blended with white
    assert sum(colours[0]) > sum(_gradient_colours(low)[0])


def test_legend_ramp_carries_its_opacity():
    ramp = _find(share_legend("t", "de", opacity=0.35), "ramp")[0]
    assert ramp.to_plotly_json()["props"]["data-opacity"] == "0.35"
    assert ramp.style["background"] == ramp_css(SHARE_SCALE, opacity=0.35)


def test_change_ramp_is_white_in_the_middle():
    colours = _gradient_colours(ramp_css(CHANGE_SCALE, opacity=0.78))
    middle = colours[len(colours) // 2]
    assert min(middle) >= 240


def test_blend_over_white():
    assert blend_over_white("rgb(0, 0, 0)", 1.0) == "rgb(0, 0, 0)"
    assert blend_over_white("rgb(0, 100, 200)", 0.0) == "rgb(255, 255, 255)"
    assert blend_over_white("rgb(0, 100, 200)", 0.5) == "rgb(128, 178, 228)"


def test_fixed_change_bound_spans_every_frame():
    frames = [np.array([1.0, -2.0]), np.array([np.nan, 7.2]), np.array([-9.01, 0.0])]
    assert fixed_change_bound(frames) == 10.0
    assert fixed_change_bound([np.array([11.0])]) == 12.0  # even: whole half-way ticks
    assert fixed_change_bound([np.array([0.5])]) == 6.0
    assert fixed_change_bound([np.array([np.nan])]) == 6.0
