"""Literal aliases for option strings used across the analysis core."""

from __future__ import annotations

from typing import Literal

Level = Literal["district", "planning_area"]
"""Spatial level of aggregation: a Stadtteil (district) or a planning area of several districts."""

DistanceMode = Literal["euclidean", "network"]
"""How distances are measured: straight line in the metric CRS, or along a walking network."""

CombineRule = Literal["all", "each"]
"""Several categories: ``all`` = a resident counts when every category is within reach (one
combined row); ``each`` = one row per category."""

Severity = Literal["error", "warning"]
"""Severity of a validation issue: errors stop a load, warnings do not."""

OutputFormat = Literal["csv", "json"]
"""Output format of the command line tools."""

LEVELS: tuple[Level, ...] = ("district", "planning_area")
DISTANCE_MODES: tuple[DistanceMode, ...] = ("euclidean", "network")
COMBINE_RULES: tuple[CombineRule, ...] = ("each", "all")
