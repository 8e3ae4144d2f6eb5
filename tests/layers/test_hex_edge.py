"""Tests of layers.gaps.hex_edge_for: the hexagon edge chosen from the points' spread."""

from __future__ import annotations

import numpy as np
import pytest

from layers.errors import ParameterError
from layers.gaps import DEFAULT_HEX_EDGE_M, hex_cells, hex_edge_for


def grid(width_m: float, height_m: float, step_m: float = 100.0) -> np.ndarray:
    xs, ys = np.meshgrid(np.arange(0, width_m, step_m), np.arange(0, height_m, step_m))
    return np.column_stack([xs.ravel() + 455_000.0, ys.ravel() + 5_425_000.0])


def occupied(xy: np.ndarray, edge_m: float) -> int:
    q, r = hex_cells(xy, edge_m=edge_m)
    return len(set(zip(q.tolist(), r.tolist(), strict=True)))


def test_a_small_city_keeps_the_finest_edge():
    points = grid(4_000, 3_000)
    assert occupied(points, DEFAULT_HEX_EDGE_M) <= 2_500
    assert hex_edge_for(points, max_cells=2_500) == DEFAULT_HEX_EDGE_M


@pytest.mark.parametrize("max_cells", [50, 300, 1_000])
def test_a_large_extent_gets_the_finest_edge_that_fits(max_cells):
    points = grid(30_000, 30_000, step_m=150.0)
    edge = hex_edge_for(points, max_cells=max_cells, step_m=50.0)
    assert edge > DEFAULT_HEX_EDGE_M
    assert edge % 50.0 == 0
    assert occupied(points, edge) <= max_cells
    # one step finer would not fit (unless the finer grid happened to fit: then it was chosen)
    assert occupied(points, edge - 50.0) > max_cells


def test_the_edge_grows_with_the_extent_not_with_the_point_density():
    sparse = grid(20_000, 20_000, step_m=200.0)
    dense = grid(20_000, 20_000, step_m=100.0)
    assert hex_edge_for(sparse, max_cells=400) == hex_edge_for(dense, max_cells=400)
    assert hex_edge_for(grid(40_000, 40_000, 200.0), max_cells=400) > hex_edge_for(
        sparse, max_cells=400
    )


def test_no_points_keep_the_finest_edge():
    assert hex_edge_for(np.empty((0, 2)), max_cells=1, min_edge_m=300.0) == 300.0


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"max_cells": 0}, "max_cells must be ≥ 1, got 0"),
        ({"min_edge_m": 0.0}, "must be > 0 m, got 0.0"),
        ({"step_m": -5.0}, "must be > 0 m, got 200.0 and -5.0"),
    ],
)
def test_bad_options_name_the_value(options, match):
    with pytest.raises(ParameterError, match=match):
        hex_edge_for(grid(1_000, 1_000), **options)
