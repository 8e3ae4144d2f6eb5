"""Analysis results as values: coverage, gaps, scenario and change, with what was asked and used.

Every number the app, the command line and the exports show comes from one of these frozen,
language-neutral results. A result carries its parameters: what was asked (categories, the
combine rule, the distance as metres or as minutes at a walking speed, the year) and what was
used (the year actually used, the distance mode and detour factor), plus notes as ids with
parameters (``Note.of("year_substituted", asked=2021, used=2016, group="65_plus")``),
never sentences: renderers translate them.

The functions split as in :mod:`layers.coverage`: a geometry step builds distances
(:func:`scenario_distances`, :class:`~layers.coverage.DistanceTable`), and the numeric steps
(:func:`coverage_result`, :func:`gap_result`, :func:`scenario_result`) never see geometry, so
a cache (the dashboard's ``AppContext``) can keep distances and results keyed by their inputs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from layers.coverage import (
    ALL_AREAS_ID,
    COVERAGE_COLUMNS,
    AreaIndex,
    DistanceTable,
    area_counts,
    category_rows,
    check_radius,
    coverage_counts,
)
from layers.crs import transformer
from layers.errors import ParameterError
from layers.gaps import HexIndex
from layers.types import COMBINE_RULES, CombineRule, DistanceMode, Level

DEFAULT_SMALL_COUNT = 50
"""Areas with fewer residents than this get ``suppressed = True`` (official statistics hide
their shares)."""

COMBINED_SEPARATOR = "+"
"""Joins category ids into the id of the combined ("reaches all of them") column."""


@dataclass(frozen=True)
class Note:
    """Something a reader of a result must know, as an id with parameters (never a sentence)."""

    id: str
    params: tuple[tuple[str, Any], ...] = ()
    """``(name, value)`` pairs (a tuple, so that results and their parameters are hashable)."""

    @classmethod
    def of(cls, id: str, **params: Any) -> Note:
        """``Note.of("year_substituted", asked=2021, used=2016)``."""
        return cls(id, tuple(params.items()))

    def to_dict(self) -> dict[str, Any]:
        """``{"id": ..., **params}`` (JSON-ready)."""
        return {"id": self.id, **dict(self.params)}


@dataclass(frozen=True)
class PlannedFacility:
    """A facility added in a what-if scenario, in the dataset's metric CRS."""

    category: str
    x: float
    y: float


@dataclass(frozen=True)
class CoverageParams:
    """What a coverage result was asked for and what it used."""

    categories: tuple[str, ...]
    """The categories asked, in catalogue order."""
    radius_m: float
    group: str
    level: Level
    year_asked: int | None
    """The year asked (None: the group's latest)."""
    year: int | None
    """The year whose population was used (differs from ``year_asked`` only with a note)."""
    require: CombineRule = "all"
    minutes: float | None = None
    """The distance as the user gave it, when in minutes (then ``radius_m`` is derived)."""
    speed_kmh: float | None = None
    distance_mode: DistanceMode = "euclidean"
    detour_factor: float = 1.0
    added: tuple[PlannedFacility, ...] = ()
    removed: tuple[str, ...] = ()
    """Ids of facilities switched off."""
    small_count_threshold: float = DEFAULT_SMALL_COUNT
    notes: tuple[Note, ...] = ()

    @property
    def combined_id(self) -> str:
        """Id of the combined column: the category ids joined by ``+`` (``"meeting+care"``)."""
        return COMBINED_SEPARATOR.join(self.categories)

    def to_dict(self) -> dict[str, Any]:
        """The parameters as a JSON-ready dict (notes as ``{"id": ..., **params}``)."""
        data = asdict(self)
        data["notes"] = [note.to_dict() for note in self.notes]
        return data


@dataclass(frozen=True, eq=False)
class CoverageResult:
    """Coverage per area of the asked categories, each and combined, with a city row.

    Attributes
    ----------
    areas
        One row per area (index order): ``area_id``, ``area_name``, ``residents``, ``covered``,
        ``uncovered``, ``share`` (the combined column: reaching every asked category; NaN
        without residents or categories), ``share_<category>`` per category, then
        ``uncovered_<category>`` (residents not reaching that category), ``suppressed``
        (fewer residents than the threshold: renderers hide the shares).
    city
        The same columns for the whole city (``area_id = "ALL"``, never suppressed).
    per_category
        The long table of :func:`layers.coverage.coverage_table` (``category``, ``area_id``,
        ``area_name``, ``residents``, ``covered``, ``share``), one block per category.
    combined
        The same long table for the combined column (``category`` = :attr:`params`
        ``.combined_id``).
    params
        What was asked and used.
    """

    areas: pd.DataFrame
    city: pd.Series
    per_category: pd.DataFrame
    combined: pd.DataFrame
    params: CoverageParams

    @property
    def suppressed(self) -> np.ndarray:
        """Boolean mask of the areas whose shares are hidden."""
        return self.areas["suppressed"].to_numpy(bool)

    @property
    def city_share(self) -> float:
        """Share of the city's residents reaching every asked category (NaN without any)."""
        return float(self.city["share"])

    def shown_share(self, column: str = "share") -> np.ndarray:
        """The share ``column`` per area with NaN where suppressed (what a map or table shows)."""
        return np.where(self.suppressed, np.nan, self.areas[column].to_numpy(float))

    def rows(self, require: CombineRule | None = None) -> pd.DataFrame:
        """The long table in the ``quartiersatlas coverage`` contract (:data:`COVERAGE_COLUMNS`).

        ``require="each"``: one block per category (byte-identical to
        :func:`layers.coverage.coverage_table`); ``"all"``: one block, ``category`` being the
        combined id.
        """
        rule = require or self.params.require
        frame = self.per_category if rule == "each" else self.combined
        return frame[list(COVERAGE_COLUMNS)].reset_index(drop=True)


def check_require(require: str) -> CombineRule:
    """Return ``require`` if it is a combine rule; raise :class:`ParameterError` otherwise."""
    if require not in COMBINE_RULES:
        raise ParameterError(f"require must be one of {', '.join(COMBINE_RULES)}, got {require!r}")
    return require  # type: ignore[return-value]


def resolve_year(
    population: pd.DataFrame, *, group: str, year: int | None
) -> tuple[int | None, tuple[Note, ...]]:
    """The year whose population a view uses for ``group``, and a note when it is not ``year``.

    ``None`` means the group's latest year. A year the group has no values for is replaced by
    the group's latest year (the app never fails on a shared link) and the note
    ``year_substituted`` (``asked``, ``used``, ``group``) says so.

    Examples
    --------
    >>> pop = pd.DataFrame({"year": [2016, 2021, 2021], "group": ["65_plus", "total", "total"],
    ...                     "value": [1.0, 2.0, 3.0]})
    >>> used, notes = resolve_year(pop, group="65_plus", year=2021)
    >>> used, [note.to_dict() for note in notes]
    (2016, [{'id': 'year_substituted', 'asked': 2021, 'used': 2016, 'group': '65_plus'}])
    """
    known = population[population["value"].notna()] if len(population) else population
    years = sorted(int(y) for y in known.loc[known["group"] == group, "year"].unique())
    if not years:
        years = sorted(int(y) for y in known["year"].unique())
    if not years:
        return year, ()
    if year is None:
        return years[-1], ()
    if int(year) in years:
        return int(year), ()
    used = years[-1]
    return used, (Note.of("year_substituted", asked=int(year), used=used, group=group),)


def planned_facilities(
    added: Sequence[tuple[str, float, float]], *, crs: Any
) -> tuple[PlannedFacility, ...]:
    """Planned facilities given as WGS84 ``(category, lat, lon)``, in the metric ``crs``."""
    if not added:
        return ()
    to_metric = transformer("EPSG:4326", crs.to_string() if hasattr(crs, "to_string") else crs)
    lat = np.array([a[1] for a in added], float)
    lon = np.array([a[2] for a in added], float)
    x, y = to_metric.transform(lon, lat)
    return tuple(
        PlannedFacility(str(a[0]), float(px), float(py))
        for a, px, py in zip(added, np.atleast_1d(x), np.atleast_1d(y), strict=True)
    )


def facility_rows(facilities: pd.DataFrame, ids: Sequence[str]) -> np.ndarray:
    """Row positions of the facilities with ``ids`` (unknown ids are ignored)."""
    if not ids:
        return np.empty(0, dtype=np.int64)
    return np.flatnonzero(facilities["id"].astype(str).isin(set(ids)).to_numpy())


def scenario_distances(
    table: DistanceTable,
    category: str,
    *,
    added: Sequence[PlannedFacility] = (),
    removed_rows: np.ndarray | None = None,
) -> np.ndarray:
    """Distances to ``category`` after adding ``added`` (of any category) and removing rows.

    Only the planned facilities of ``category`` and the removed rows of that category count;
    without either, the table's own (cached) distances.
    """
    xy = np.array([(p.x, p.y) for p in added if p.category == category], float).reshape(-1, 2)
    remove = None
    if removed_rows is not None and len(removed_rows):
        remove = np.intersect1d(removed_rows, table.facility_positions(category))
    if not len(xy) and (remove is None or not len(remove)):
        return table.distances_m(category)
    return table.scenario_distances_m(category, add_xy=xy if len(xy) else None, remove=remove)


def combined_distances(distances: Sequence[np.ndarray], *, n_points: int) -> np.ndarray:
    """Per point, the largest of the distances: within a radius means *every* category is.

    ``inf`` everywhere when no distances are given.
    """
    if not distances:
        return np.full(n_points, np.inf)
    out = np.asarray(distances[0])
    for more in distances[1:]:
        out = np.maximum(out, more)
    return out


def coverage_result(
    distances_m: Mapping[str, np.ndarray],
    weights: np.ndarray,
    index: AreaIndex,
    *,
    params: CoverageParams,
    city_name: str,
) -> CoverageResult:
    """Coverage of ``params.categories`` per area: each category and all of them combined.

    Parameters
    ----------
    distances_m
        Distance of every resident point to the nearest facility, per asked category (after
        the scenario, if any).
    weights
        Residents per point for ``params.year`` and ``params.group``.
    index
        Area of each resident point at ``params.level``.
    params
        What was asked and used.
    city_name
        ``area_name`` of the city row.
    """
    radius = check_radius(params.radius_m)
    cats = list(params.categories)
    per_counts = area_counts({c: distances_m[c] for c in cats}, weights, index, radius_m=radius)
    combined_dist = combined_distances([distances_m[c] for c in cats], n_points=len(weights))
    combined_counts = area_counts(
        {params.combined_id: combined_dist}, weights, index, radius_m=radius
    )
    per_category, combined = (
        category_rows(dist, weights, index, radius_m=radius, city_name=city_name, counts=counts)
        for dist, counts in (
            ({c: distances_m[c] for c in cats}, per_counts),
            ({params.combined_id: combined_dist}, combined_counts),
        )
    )
    everyone = combined_counts[params.combined_id]
    covered, share = everyone.covered, everyone.share
    if not cats:  # nothing asked: residents are known, coverage is not
        combined[["covered", "share"]] = np.nan
        covered, share = np.full_like(covered, np.nan), np.full_like(share, np.nan)
    is_city = (combined["area_id"] == ALL_AREAS_ID).to_numpy()
    wide = pd.DataFrame(
        {
            "area_id": combined["area_id"],
            "area_name": combined["area_name"],
            "residents": everyone.residents,
            "covered": covered,
            "uncovered": everyone.residents - covered,
            "share": share,
            **{f"share_{c}": per_counts[c].share for c in cats},
            **{f"uncovered_{c}": per_counts[c].residents - per_counts[c].covered for c in cats},
            "suppressed": (everyone.residents < params.small_count_threshold) & ~is_city,
        }
    )
    return CoverageResult(
        areas=wide[~is_city].reset_index(drop=True),
        city=wide[is_city].iloc[-1],
        per_category=per_category,
        combined=combined,
        params=params,
    )


@dataclass(frozen=True, eq=False)
class GapResult:
    """Uncovered residents per hexagon cell (aligned with the cells of the :class:`HexIndex`).

    ``residents`` and ``uncovered`` are NaN when no category was asked.
    """

    hex_id: tuple[str, ...]
    residents: np.ndarray
    uncovered: np.ndarray
    params: CoverageParams

    @property
    def suppressed(self) -> np.ndarray:
        """Cells with fewer residents than the small-count threshold (not shown)."""
        with np.errstate(invalid="ignore"):
            return ~(self.residents >= self.params.small_count_threshold)


def gap_result(
    distances_m: Mapping[str, np.ndarray],
    weights: np.ndarray,
    hexes: HexIndex,
    *,
    params: CoverageParams,
) -> GapResult:
    """Residents and residents not reaching every asked category, per hexagon cell.

    The hexagons are areas like any other: the same counting as :func:`coverage_result`.
    """
    radius = check_radius(params.radius_m)
    hex_ids = hexes.hex_ids
    cats = list(params.categories)
    if not cats:
        empty = np.full(hexes.n_cells, np.nan)
        return GapResult(hex_ids, empty, empty.copy(), params)
    dist = combined_distances([distances_m[c] for c in cats], n_points=len(weights))
    residents, covered = coverage_counts(
        dist, weights, hexes.codes, n_areas=hexes.n_cells, radius_m=radius
    )
    return GapResult(hex_ids, residents, residents - covered, params)


@dataclass(frozen=True, eq=False)
class ScenarioResult:
    """Coverage before and after a what-if scenario (added and removed facilities)."""

    before: CoverageResult
    after: CoverageResult

    @property
    def rows(self) -> pd.DataFrame:
        """Per area: before, after, gain in percentage points and in residents.

        Columns ``area_id``, ``area_name``, ``residents``, ``share_before``, ``share_after``,
        ``gain_pp``, ``gain_residents``; shares of suppressed areas are NaN.
        """
        b, a = self.before.areas, self.after.areas
        before, after = self.before.shown_share(), self.after.shown_share()
        return pd.DataFrame(
            {
                "area_id": b["area_id"],
                "area_name": b["area_name"],
                "residents": b["residents"].to_numpy(float),
                "share_before": before,
                "share_after": after,
                "gain_pp": (after - before) * 100,
                "gain_residents": a["covered"].to_numpy(float) - b["covered"].to_numpy(float),
            }
        )

    @property
    def covered_before(self) -> float:
        """Residents of the city covered without the scenario."""
        return float(self.before.city["covered"])

    @property
    def covered_after(self) -> float:
        """Residents of the city covered with the scenario."""
        return float(self.after.city["covered"])

    @property
    def gain_residents(self) -> float:
        """Residents of the city newly reaching every asked category (negative: who lose it)."""
        return self.covered_after - self.covered_before

    @property
    def category_gains(self) -> pd.DataFrame:
        """City totals per asked category: what the scenario changes for each.

        Columns ``category``, ``residents``, ``covered_before``, ``covered_after``,
        ``share_before``, ``share_after``, ``gain_residents`` (negative: residents who no
        longer reach the category), catalogue order.
        """

        def city(frame: pd.DataFrame) -> pd.DataFrame:
            rows = frame[frame["area_id"] == ALL_AREAS_ID]
            return rows.drop_duplicates("category", keep="last").set_index("category")

        before, after = city(self.before.per_category), city(self.after.per_category)
        cats = list(self.before.params.categories)
        b, a = before.reindex(cats), after.reindex(cats)
        return pd.DataFrame(
            {
                "category": cats,
                "residents": b["residents"].to_numpy(float),
                "covered_before": b["covered"].to_numpy(float),
                "covered_after": a["covered"].to_numpy(float),
                "share_before": b["share"].to_numpy(float),
                "share_after": a["share"].to_numpy(float),
                "gain_residents": a["covered"].to_numpy(float) - b["covered"].to_numpy(float),
            }
        )

    @property
    def notes(self) -> tuple[Note, ...]:
        """What the numbers leave out, as notes.

        ``planned_not_counted`` (``n``, ``categories``): planned facilities of categories the
        result was not asked for.
        """
        asked = set(self.after.params.categories)
        outside = [p.category for p in self.after.params.added if p.category not in asked]
        if not outside:
            return ()
        return (
            Note.of(
                "planned_not_counted",
                n=len(outside),
                categories=tuple(dict.fromkeys(outside)),
            ),
        )


def scenario_result(before: CoverageResult, after: CoverageResult) -> ScenarioResult:
    """Pair the coverage without and with a scenario (same categories, distance, year, level).

    Raises
    ------
    ParameterError
        If the two results were asked for different views.
    """
    strip = {"added": (), "removed": ()}
    if {**before.params.to_dict(), **strip} != {**after.params.to_dict(), **strip}:
        raise ParameterError("before and after of a scenario must share everything but it")
    return ScenarioResult(before=before, after=after)


@dataclass(frozen=True)
class ChangeParams:
    """What a change result was asked for."""

    group: str
    year_from: int
    year_to: int
    level: Level


@dataclass(frozen=True, eq=False)
class ChangeResult:
    """Demographic change per area (:func:`layers.demography.change_table`) with its parameters.

    ``jumps`` lists the breaks in each area's series between the two years
    (:func:`layers.demography.series_jumps`: a step of more than a fifth from one year to the
    next); the numbers are never smoothed, a renderer says so next to them.
    """

    table: pd.DataFrame
    params: ChangeParams
    jumps: pd.DataFrame | None = None
    notes: tuple[Note, ...] = ()
    """Why areas have no change: ``change_no_values`` (a year of the two has no value of the
    group anywhere; params ``group``, ``missing`` and ``years``, the years with values) or
    ``areas_without_value`` (``n`` areas lack a value in one of the years, or start at 0)."""

    def jumps_of(self, area_id: str) -> pd.DataFrame:
        """The jumps of one area's series (empty when there are none)."""
        if self.jumps is None or not len(self.jumps):
            return pd.DataFrame(columns=self.jumps.columns if self.jumps is not None else [])
        return self.jumps[self.jumps["area_id"] == str(area_id)]


def change_result(
    population: pd.DataFrame,
    mapping: pd.DataFrame,
    *,
    params: ChangeParams,
    city_name: str,
) -> ChangeResult:
    """The change of ``params.group`` per area between the two years, and the series' jumps."""
    from layers.demography import change_table, population_series, series_jumps

    table = change_table(
        population,
        mapping,
        group=params.group,
        year_from=params.year_from,
        year_to=params.year_to,
        city_name=city_name,
    )
    given = population.loc[population["group"] == params.group, "year"].astype(int).unique()
    years = sorted(y for y in given if params.year_from <= y <= params.year_to)
    jumps = None
    if len(years) > 1:
        series = population_series(
            population, mapping, group=params.group, city_name=city_name, years=years
        )
        jumps = series_jumps(series)
    return ChangeResult(
        table=table, params=params, jumps=jumps, notes=change_notes(population, table, params)
    )


def change_notes(
    population: pd.DataFrame, table: pd.DataFrame, params: ChangeParams
) -> tuple[Note, ...]:
    """Why areas of a change table have no change (see :attr:`ChangeResult.notes`).

    Examples
    --------
    >>> population = pd.DataFrame({"district_id": ["1", "1"], "year": [2010, 2020],
    ...                            "group": ["65_plus", "total"], "value": [5.0, 9.0]})
    >>> table = pd.DataFrame({"area_id": ["1", "ALL"], "change_pct": [float("nan")] * 2})
    >>> change_notes(population, table, ChangeParams("65_plus", 2010, 2020, "district"))
    (Note(id='change_no_values', params=(('group', '65_plus'), ('missing', (2020,)), ('years', (2010,)))),)
    """
    from layers.demography import CITY_AREA_ID

    areas = table[table["area_id"].astype(str) != CITY_AREA_ID]
    without = int(areas["change_pct"].isna().sum())
    if not without:
        return ()
    rows = population[(population["group"] == params.group) & population["value"].notna()]
    known = sorted({int(y) for y in rows["year"]})
    missing = tuple(y for y in (params.year_from, params.year_to) if y not in known)
    if missing and without == len(areas):
        return (
            Note.of("change_no_values", group=params.group, missing=missing, years=tuple(known)),
        )
    return (Note.of("areas_without_value", n=without),)


__all__ = [
    "DEFAULT_SMALL_COUNT",
    "ChangeParams",
    "ChangeResult",
    "CoverageParams",
    "CoverageResult",
    "GapResult",
    "Note",
    "PlannedFacility",
    "ScenarioResult",
    "change_notes",
    "change_result",
    "check_require",
    "combined_distances",
    "coverage_result",
    "facility_rows",
    "gap_result",
    "planned_facilities",
    "resolve_year",
    "scenario_distances",
    "scenario_result",
]
