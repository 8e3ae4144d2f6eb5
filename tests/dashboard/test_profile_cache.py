"""Profiles of many areas share the city-wide tables and need index (layers.profile.ProfileTables)."""

from __future__ import annotations

import pytest

import layers.profile as profile_mod
from layers.profile import area_profile, profile_base, profile_tables


@pytest.mark.parametrize("level", ["district", "planning_area"])
def test_profiles_from_shared_tables_equal_profiles_made_alone(tiny_ctx, level):
    year = tiny_ctx.default_year()
    coverage = tiny_ctx.coverage(
        tiny_ctx.category_ids, radius_m=500.0, year=year, group="total", level=level
    ).per_category
    tables = profile_tables(tiny_ctx.dataset, level=level, year=year)
    for area in tiny_ctx.geo[level].ids:
        alone = area_profile(
            tiny_ctx.dataset, area, level=level, year=year, radius_m=500.0, coverage=coverage
        )
        shared = area_profile(
            tiny_ctx.dataset,
            area,
            level=level,
            year=year,
            radius_m=500.0,
            coverage=coverage,
            base=profile_base(tiny_ctx.dataset, area, level=level, year=year, tables=tables),
            coverage_key=(500.0, "euclidean"),
        )
        assert shared == alone, area


def test_the_need_index_is_computed_once_per_distance_not_per_area(tiny_ctx, monkeypatch):
    calls = []
    real = profile_mod.need_index

    def counting(*args, **kwargs):
        calls.append(kwargs.get("year_to"))
        return real(*args, **kwargs)

    monkeypatch.setattr(profile_mod, "need_index", counting)
    areas = tiny_ctx.geo["district"].ids
    assert len(areas) == 4
    for area in areas:
        tiny_ctx.profile(area, level="district", year=None, radius_m=500.0)
    assert len(calls) == 1
    tiny_ctx.profile(areas[0], level="district", year=None, radius_m=800.0)
    assert len(calls) == 2  # a new distance: a new coverage, so a new index


def test_an_unknown_year_is_named(tiny_ctx):
    with pytest.raises(profile_mod.CatalogueError, match="unknown year 1900"):
        profile_tables(tiny_ctx.dataset, level="district", year=1900)
