"""Area profile: everything a one-page profile of a district or planning area needs, as one dict.

:func:`area_profile` collects population trend per group, age structure, facilities per category
(with counts per 1,000 residents), coverage shares, the need index with its components,
programme status, whether the planning areas are a computed proposal, and the sources.
The result holds only JSON types (None for missing values, always with a reason).

The result is language-neutral: groups, categories and need components are ids, and notes are
``{"id": ..., "params": {...}}`` records (ids in :data:`NOTE_IDS`). The dashboard renders them in
German or English (``dashboard.profile_text``); the dataset's own names (areas, districts,
programme measures) are data and are kept as they are.
"""

from __future__ import annotations

import dataclasses
import math
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from layers._validate import did_you_mean, normalise_district_id, valid_list
from layers.demography import (
    CITY_AREA_ID,
    COMPOSITE_GROUPS,
    TOTAL_GROUP,
    area_values,
    available_years,
    change_table,
    population_series,
    series_jumps,
    with_composite_groups,
)
from layers.errors import CatalogueError
from layers.need import need_demography, need_index
from layers.population import groups_of
from layers.programme import programme_table
from layers.projection import PROJECTION_LABEL, fit_trends, projection_label, with_projection
from layers.types import Level

if TYPE_CHECKING:
    from layers.dataset import Dataset

NEED_WINDOW_YEARS = 10
"""Default period of the need index: the last 10 years before the profile year (or fewer)."""

PER_RESIDENTS = 1000
"""Facilities are counted per this many residents."""

NOTE_IDS = (
    "population_projected",
    "planning_areas_proposal",
    "facilities_located_only",
    "coverage_not_computed",
    "no_comparison_year",
    "population_jump",
    "population_jump_reverts",
)
"""Ids of the profile's notes (``{"id": ..., "params": {...}}``)."""


def note(note_id: str, **params: object) -> dict[str, Any]:
    """A language-neutral note: its id (one of :data:`NOTE_IDS`) and parameters.

    Examples
    --------
    >>> note("no_comparison_year", year=2016)
    {'id': 'no_comparison_year', 'params': {'year': 2016}}
    """
    return {"id": note_id, "params": params}


def data_labels(dataset: Dataset) -> dict[str, dict[str, dict[str, str]]]:
    """The dataset's own labels of its groups and categories, in both languages (data).

    ``{"groups": {id: {"de": ..., "en": ...}}, "categories": {...}}``: what a renderer needs to
    name the ids of a result without the dataset at hand.
    """
    return {
        "groups": {g.id: {"de": g.label_de, "en": g.label_en} for g in dataset.groups},
        "categories": {c.id: {"de": c.label_de, "en": c.label_en} for c in dataset.categories},
    }


def projection_detail(label: str) -> str:
    """What a projection label adds to the standard one (`` (linear, 2016–2022)`` or ``""``)."""
    return label.removeprefix(PROJECTION_LABEL)


def _num(value: Any, digits: int | None = None) -> float | int | None:
    if value is None or value is pd.NA:
        return None
    number = float(value)
    if math.isnan(number) or math.isinf(number):
        return None
    if digits is not None:
        return round(number, digits)
    return int(number) if number.is_integer() else round(number, 1)


def _text(value: Any) -> str | None:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    return str(value) or None


def _ordered_groups(dataset: Dataset, population: pd.DataFrame) -> list[str]:
    """Groups in the order of the dataset's catalogue, then the others as in the data."""
    present = groups_of(population)
    catalogue = [g.id for g in dataset.groups if g.id in present]
    return list(dict.fromkeys([TOTAL_GROUP, *catalogue, *present]))


def resolve_area(mapping: pd.DataFrame, area_id: str, *, level: Level) -> str:
    """Return the area id as the mapping spells it, or raise listing the valid ids.

    Ids match by :func:`layers._validate.normalise_district_id` (``8`` finds ``08``).

    Raises
    ------
    CatalogueError
        If no area has this id.
    """
    areas = list(dict.fromkeys(mapping["area_id"].astype(str)))
    if str(area_id) in areas:
        return str(area_id)
    text = str(area_id).strip()
    wanted = normalise_district_id(text)
    for candidate in areas:
        if normalise_district_id(candidate) == wanted:
            return candidate
    names = dict(
        zip(mapping["area_id"].astype(str), mapping["area_name"].astype(str), strict=False)
    )
    listed = [f"{a} ({names[a]})" for a in areas]
    raise CatalogueError(
        f"unknown {level.replace('_', ' ')} {area_id!r}{did_you_mean(text, areas)}; "
        f"valid ids: {valid_list(listed, limit=60)}"
    )


@dataclass(frozen=True, eq=False)
class ProfileBase:
    """The parts of an area profile that do not depend on the walking distance.

    Made by :func:`profile_base`; :func:`area_profile` adds coverage and the need index. A
    dashboard keeps one per area, level and year, so that a change of distance recomputes only
    what depends on it.
    """

    sections: dict[str, Any]
    dataset: Dataset
    population: pd.DataFrame
    mapping: pd.DataFrame
    area: str
    tables: ProfileTables | None = None
    """The city-wide tables it was made from (they also keep need indices, see
    :func:`area_profile`'s ``coverage_key``)."""


@dataclass(eq=False)
class ProfileTables:
    """City-wide tables of one level that every area's profile picks its rows from.

    The population part of a profile compares an area with the city: values per group, the
    series and the change of every area. Computing them per clicked area repeated the whole
    city's tables for each click (about 2 s per profile under load); a dashboard keeps one
    object per dataset, level and year (:func:`profile_tables`) and every profile of that level
    and year reads from it. Tables are computed on first use, thread-safe.
    """

    dataset: Dataset
    """The dataset with the year's projection added when the year is after the data."""
    population: pd.DataFrame
    mapping: pd.DataFrame
    year: int
    label: str | None
    _done: dict[tuple, Any] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def _get(self, key: tuple, make: Any) -> Any:
        with self._lock:
            table = self._done.get(key)
        if table is None:
            table = make()
            with self._lock:
                self._done.setdefault(key, table)
        return table

    def kept(self, key: tuple, make: Any) -> Any:
        """Any other city-wide result of this level and year, made once per ``key``."""
        return self._get(("kept", *key), make)

    def values(self, group: str) -> pd.DataFrame:
        """``area_values`` of ``group`` in the year, indexed by ``area_id``."""
        return self._get(
            ("values", group), lambda: self.values_in(group, self.year).set_index("area_id")
        )

    def values_in(self, group: str, year: int) -> pd.DataFrame:
        """``area_values`` of ``group`` in any ``year`` (the change tables share them)."""
        return self._get(
            ("values in", group, int(year)),
            lambda: area_values(
                self.population,
                self.mapping,
                group=group,
                year=year,
                city_name=self.dataset.metadata.city,
            ),
        )

    def series(self, group: str) -> pd.DataFrame:
        """``population_series`` of ``group`` (every year), indexed by ``area_id``."""
        return self._get(
            ("series", group),
            lambda: population_series(
                self.population, self.mapping, group=group, city_name=self.dataset.metadata.city
            ).set_index("area_id"),
        )

    def change(self, group: str, year_from: int) -> pd.DataFrame:
        """``change_table`` of ``group`` from ``year_from`` to the year, indexed by ``area_id``."""
        return self._get(
            ("change", group, year_from),
            lambda: change_table(
                self.population,
                self.mapping,
                group=group,
                year_from=year_from,
                year_to=self.year,
                city_name=self.dataset.metadata.city,
                values=self.values_in,
            ).set_index("area_id"),
        )


def profile_tables(
    dataset: Dataset, *, level: Level = "district", year: int | None = None
) -> ProfileTables:
    """The city-wide tables of ``level`` and ``year`` for :func:`profile_base` (None: latest).

    Raises
    ------
    CatalogueError
        Unknown level or year (the message lists the valid ones).
    """
    from layers.areas import area_mapping

    mapping = area_mapping(dataset, level)
    observed_total = available_years(
        dataset.population[dataset.population["value"].notna()], group=TOTAL_GROUP
    )
    if year is None:
        year = observed_total[-1]
    year = int(year)
    if year > observed_total[-1]:
        dataset = with_projection(dataset, target_year=year)
    elif year not in available_years(dataset.population):
        raise CatalogueError(
            f"unknown year {year}; valid years: {valid_list(available_years(dataset.population))}"
            f" or a later year (projected: {PROJECTION_LABEL})"
        )
    return ProfileTables(
        dataset=dataset,
        population=with_composite_groups(dataset.population),
        mapping=mapping,
        year=year,
        label=projection_label(dataset.population, year),
    )


def profile_base(
    dataset: Dataset,
    area_id: str,
    *,
    level: Level = "district",
    year: int | None = None,
    tables: ProfileTables | None = None,
) -> ProfileBase:
    """Area, population, facilities, programme and sources of a profile (see :func:`area_profile`).

    ``tables`` (from :func:`profile_tables` of the same dataset, level and year) are the
    city-wide tables to read from; without them they are computed for this one profile.

    Raises
    ------
    CatalogueError
        Unknown area, level or year (the message lists the valid ones).
    """
    if tables is None:
        tables = profile_tables(dataset, level=level, year=year)
    mapping = tables.mapping
    area = resolve_area(mapping, area_id, level=level)
    dataset, year, label = tables.dataset, tables.year, tables.label
    city = dataset.metadata.city
    notes: list[str] = []
    if label:
        notes.append(note("population_projected", year=year, detail=projection_detail(label)))
    if dataset.planning_areas_proposal:
        notes.append(note("planning_areas_proposal"))
    population = tables.population
    rows = mapping[mapping["area_id"].astype(str) == area]
    district_ids = rows["district_id"].astype(str).tolist()
    names = dict(
        zip(
            dataset.districts["id"].astype(str), dataset.districts["name"].astype(str), strict=False
        )
    )
    area_name = _area_name(dataset, level, area, str(rows["area_name"].iloc[0]))
    population_section = _population_section(dataset, tables, area)
    notes += jump_notes(population_section["trend"])
    sections = {
        "area": _area_section(dataset, level, area, area_name, district_ids, names),
        "year": year,
        "city": city,
        "notes": notes,
        "population": population_section
        | {"projection": _projection_section(dataset, district_ids, label)},
        "facilities": _facilities_section(dataset, mapping, area, tables),
        "programme": _programme_section(dataset, mapping, district_ids, tables),
        "sources": [dataclasses.asdict(s) for s in dataset.metadata.sources],
        "labels": data_labels(dataset),
    }
    return ProfileBase(sections, dataset, population, mapping, area, tables)


def area_profile(
    dataset: Dataset,
    area_id: str,
    *,
    level: Level = "district",
    year: int | None = None,
    radius_m: float = 500.0,
    coverage: pd.DataFrame | None = None,
    need_year_from: int | None = None,
    need_weights: dict[str, float] | None = None,
    compute_coverage: bool = True,
    base: ProfileBase | None = None,
    coverage_key: tuple | None = None,
) -> dict[str, Any]:
    """Collect the data of a one-page profile of one district or planning area.

    Parameters
    ----------
    dataset
        A loaded dataset.
    area_id
        District id or planning-area id (see ``level``).
    level
        ``"district"`` or ``"planning_area"``.
    year
        Profile year; default the latest year of the total population. A year after the data is
        projected with the documented trend (labelled "Trendfortschreibung, keine amtliche
        Prognose").
    radius_m
        Walking radius of the coverage shares.
    coverage
        Coverage table of the level (``category``, ``area_id``, ``share``, optional
        ``residents``, ``covered``) as made by ``layers.coverage.dataset_coverage``; computed
        here when None and ``compute_coverage`` is true.
    need_year_from
        Start year of the need index's demographic change; default the earliest year of the
        total population at most 10 years before ``year``.
    need_weights
        Weights of the need-index components (see ``layers.need.need_index``).
    compute_coverage
        Whether to run the coverage engine when ``coverage`` is None.
    base
        :func:`profile_base` of the same dataset, area, level and year, made earlier (it is
        made here when None).
    coverage_key
        A key that names ``coverage`` (e.g. radius and distance mode): with a ``base`` made
        from :func:`profile_tables`, the city-wide need index is kept in those tables under
        it and shared by every area's profile instead of being recomputed per area.

    Returns
    -------
    dict
        Keys ``area``, ``year``, ``notes``, ``population`` (``total``, ``age_structure``,
        ``trend``, ``change``), ``facilities``, ``coverage``, ``need_index``, ``programme``,
        ``sources`` and ``labels`` (:func:`data_labels`). Language-neutral: see the module
        docstring.

    Raises
    ------
    CatalogueError
        Unknown area, level or year (the message lists the valid ones).
    """
    if base is None:
        base = profile_base(dataset, area_id, level=level, year=year)
    year = base.sections["year"]
    coverage_section = _coverage_section(
        base.dataset, base.area, coverage, radius_m, year, level, compute_coverage
    )
    coverage_table = coverage_section.pop("_table")
    need = _need_section(
        base.population,
        base.mapping,
        base.area,
        year,
        base.sections["city"],
        coverage_table,
        need_year_from,
        need_weights,
        keep=None
        if base.tables is None or coverage_key is None
        else lambda key, make: base.tables.kept(("need", *coverage_key, *key), make),
        keep_demography=None
        if base.tables is None
        else lambda key, make: base.tables.kept(("need_demography", *key), make),
    )
    sections = base.sections
    return {
        "area": sections["area"],
        "year": year,
        "city": sections["city"],
        "notes": list(sections["notes"]),
        "population": sections["population"],
        "facilities": sections["facilities"],
        "coverage": coverage_section,
        "need_index": need,
        "programme": sections["programme"],
        "sources": sections["sources"],
        "labels": sections["labels"],
    }


def jump_notes(trend: list[dict[str, Any]], *, group: str = TOTAL_GROUP) -> list[dict[str, Any]]:
    """Notes on jumps in the observed series of ``group`` (:func:`layers.demography.series_jumps`).

    A step of more than a fifth between neighbouring years is reported, never smoothed: it is
    often a break in the statistics (a reception centre, a boundary change) rather than change.

    Examples
    --------
    >>> series = [{"year": y, "value": v, "projected": False}
    ...           for y, v in ((2014, 24111), (2015, 29430), (2016, 22808))]
    >>> [n["id"] for n in jump_notes([{"group": "total", "series": series}])]
    ['population_jump_reverts', 'population_jump']
    """
    rows = [
        {"area_id": "area", "year": point["year"], "value": point["value"]}
        for entry in trend
        if entry.get("group") == group
        for point in entry.get("series") or []
        if not point.get("projected") and point.get("value") is not None
    ]
    if not rows:
        return []
    jumps = series_jumps(pd.DataFrame(rows))
    return [
        note(
            "population_jump_reverts" if jump.reverts else "population_jump",
            year_from=int(jump.year_from),
            year_to=int(jump.year_to),
            change_pct=round(jump.change * 100),
        )
        for jump in jumps.itertuples(index=False)
    ]


def _area_name(dataset: Dataset, level: Level, area: str, mapped_name: str) -> str:
    """The area's own name: for a proposed planning area without the mapping's marker."""
    planning = dataset.planning_areas
    if level != "planning_area" or planning is None:
        return mapped_name
    names = planning.loc[planning["planning_area"].astype(str) == area, "planning_area_name"]
    return str(names.iloc[0]) if len(names) else mapped_name


def _area_section(
    dataset: Dataset,
    level: Level,
    area: str,
    area_name: str,
    district_ids: list[str],
    names: dict[str, str],
) -> dict[str, Any]:
    section: dict[str, Any] = {
        "id": area,
        "name": area_name,
        "level": level,
        "districts": [{"id": d, "name": names.get(d, d)} for d in district_ids],
        "planning_area": None,
    }
    mapping = dataset.planning_areas
    if mapping is not None:
        proposal = bool(dataset.planning_areas_proposal)
        match = mapping[mapping["district_id"].astype(str).isin(district_ids)]
        if not match.empty:
            coordinators = sorted({str(c) for c in match["coordinator"].dropna() if str(c)})
            section["planning_area"] = {
                "id": str(match["planning_area"].iloc[0]),
                "name": str(match["planning_area_name"].iloc[0]),
                "proposal": proposal,
                "coordinator": ", ".join(coordinators) or None,
            }
    return section


def _group_catalogue(
    dataset: Dataset, population: pd.DataFrame, year: int
) -> tuple[list[str], set[str], dict[str, int]]:
    """Groups in profile order, the derived (composite) ones and each group's first year.

    The first year is the group's earliest observed year before ``year``; a group without one
    has no change section.
    """
    derived = {name for name, _parts in COMPOSITE_GROUPS} - set(
        dataset.population["group"].unique()
    )
    observed = population[population["value"].notna()]
    first = observed[observed["year"].astype(int) < year].groupby("group")["year"].min()
    return (
        _ordered_groups(dataset, population),
        derived,
        {str(g): int(y) for g, y in first.items()},
    )


def _population_section(dataset: Dataset, tables: ProfileTables, area: str) -> dict[str, Any]:
    population, year = tables.population, tables.year
    groups, derived, first_years = tables.kept(
        ("groups",), lambda: _group_catalogue(dataset, population, year)
    )
    total = tables.values(TOTAL_GROUP)
    total_value = total.loc[area, "value"]
    structure = []
    for group in groups:
        if group == TOTAL_GROUP:
            continue
        values = tables.values(group)
        value = values.loc[area, "value"]
        city_value, city_total = values.loc[CITY_AREA_ID, "value"], total.loc[CITY_AREA_ID, "value"]
        structure.append(
            {
                "group": group,
                "derived": group in derived,
                "value": _num(value),
                "share_pct": _num(value / total_value * 100 if total_value else np.nan, 2),
                "city_share_pct": _num(city_value / city_total * 100 if city_total else np.nan, 2),
                "missing_reason": _text(values.loc[area, "missing_reason"]),
            }
        )
    trend = []
    for group in groups:
        series = tables.kept(("series_records", group), lambda g=group: _series_records(tables, g))
        records, known = series.get(area, ([], False))
        if not known:
            continue
        trend.append({"group": group, "series": [dict(r) for r in records]})
    change = []
    for group in groups:
        if group not in first_years:
            continue
        table = tables.change(group, first_years[group])
        row = table.loc[area]
        change.append(
            {
                "group": group,
                "year_from": first_years[group],
                "year_to": year,
                "value_from": _num(row["value_from"]),
                "value_to": _num(row["value_to"]),
                "change": _num(row["change"]),
                "change_pct": _num(row["change_pct"], 2),
                "city_change_pct": _num(table.loc[CITY_AREA_ID, "change_pct"], 2),
                "missing_reason": _text(row["missing_reason"]),
            }
        )
    return {
        "year": year,
        "total": _num(total_value),
        "total_missing_reason": _text(total.loc[area, "missing_reason"]),
        "age_structure": structure,
        "trend": trend,
        "change": change,
    }


def _series_records(
    tables: ProfileTables, group: str
) -> dict[str, tuple[list[dict[str, Any]], bool]]:
    """Per area: the trend records of ``group`` (every year, in order) and whether any is known.

    Made once per level, year and group: picking an area's rows out of the city-wide series
    per profile cost more than the rest of the profile together.
    """
    out: dict[str, tuple[list[dict[str, Any]], bool]] = {}
    for r in tables.series(group).itertuples(index=True):
        records, known = out.get(r.Index, ([], False))
        records.append(
            {
                "year": int(r.year),
                "value": _num(r.value),
                "projected": bool(r.projected),
                "missing_reason": _text(r.missing_reason),
            }
        )
        out[r.Index] = (records, known or not pd.isna(r.value))
    return out


def _projection_section(
    dataset: Dataset, district_ids: list[str], label: str | None
) -> dict[str, Any] | None:
    """Method and fit of the trend per district and group when the profile year is projected."""
    if not label:
        return None
    fits = fit_trends(dataset.population)
    fits = fits[fits["district_id"].astype(str).isin(district_ids)]
    return {
        "method": "trend",
        "detail": projection_detail(label),
        "fits": [
            {
                "district_id": str(f.district_id),
                "group": str(f.group),
                "method": f.method,
                "years_used": f.years_used,
                "n_years": int(f.n_years),
                "slope_per_year": _num(f.slope_per_year, 2),
                "r2": _num(f.r2, 3),
                "note": f.note or None,
            }
            for f in fits.itertuples(index=False)
        ],
    }


def _facilities_section(
    dataset: Dataset, mapping: pd.DataFrame, area: str, tables: ProfileTables
) -> dict[str, Any]:
    located, city_counts = tables.kept(
        ("facilities",), lambda: _located_facilities(dataset, mapping)
    )
    in_area = located[located["_area_id"] == area].drop(columns="_area_id")
    total = tables.values(TOTAL_GROUP)
    residents = total.loc[area, "value"]
    city_residents = total.loc[CITY_AREA_ID, "value"]
    per_category = []
    for category in dataset.categories:
        count = int((in_area["category"] == category.id).sum())
        city_count = city_counts.get(category.id, 0)
        per_category.append(
            {
                "category": category.id,
                "count": count,
                "per_1000_residents": _num(
                    count / residents * PER_RESIDENTS if residents and city_count else np.nan, 2
                ),
                "city_count": city_count,
                "city_per_1000_residents": _num(
                    city_count / city_residents * PER_RESIDENTS
                    if city_residents and city_count
                    else np.nan,
                    2,
                ),
                # A catalogue dimension without any located facility is a data gap, not a zero.
                "missing": city_count == 0,
            }
        )
    listing = [
        {
            "id": _text(r.id),
            "name": _text(r.name),
            "category": _text(r.category),
            "subcategory": _text(getattr(r, "subcategory", None)),
            "address": _text(getattr(r, "address", None)),
            "district_id": _text(r.district_id),
        }
        for r in in_area.itertuples(index=False)
    ]
    return {
        "residents": _num(residents),
        "year": tables.year,
        "per_category": per_category,
        "list": listing,
        "note": note("facilities_located_only"),
    }


def _located_facilities(
    dataset: Dataset, mapping: pd.DataFrame
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Facilities inside a district with their area id (``_area_id``), and the count per category."""
    facilities = dataset.facilities
    area_of = dict(
        zip(mapping["district_id"].astype(str), mapping["area_id"].astype(str), strict=False)
    )
    located = facilities[facilities["district_id"].notna()]
    located = located.assign(_area_id=located["district_id"].astype(str).map(area_of))
    counts = {c.id: int((located["category"] == c.id).sum()) for c in dataset.categories}
    return located, counts


def _coverage_section(
    dataset: Dataset,
    area: str,
    coverage: pd.DataFrame | None,
    radius_m: float,
    year: int,
    level: Level,
    compute: bool,
) -> dict[str, Any]:
    if coverage is None and compute:
        from layers.coverage import dataset_coverage

        coverage = dataset_coverage(dataset, radius_m=radius_m, year=year, level=level)
    if coverage is None:
        return {
            "radius_m": radius_m,
            "year": year,
            "per_category": [],
            "note": note("coverage_not_computed"),
            "_table": None,
        }
    rows = coverage[coverage["area_id"].astype(str) == area]
    city = coverage[coverage["area_id"].astype(str) == CITY_AREA_ID].set_index("category")
    present = set(dataset.facilities["category"].dropna().astype(str))
    per_category = []
    for r in rows.to_dict("records"):
        if str(r["category"]) not in present:
            # No facility of the category anywhere: missing data, not 0 % coverage.
            r = {**r, "share": np.nan}
        city_share = city["share"].get(r["category"], np.nan) if "share" in city else np.nan
        if str(r["category"]) not in present:
            city_share = np.nan
        per_category.append(
            {
                "category": r["category"],
                "residents": _num(r.get("residents"), 0),
                "covered": _num(r.get("covered"), 0),
                "share_pct": _num(r["share"] * 100 if r.get("share") is not None else np.nan, 1),
                "city_share_pct": _num(city_share * 100, 1),
            }
        )
    return {
        "radius_m": radius_m,
        "year": year,
        "per_category": per_category,
        "note": None,
        "_table": coverage,
    }


def _need_section(
    population: pd.DataFrame,
    mapping: pd.DataFrame,
    area: str,
    year: int,
    city: str,
    coverage: pd.DataFrame | None,
    year_from: int | None,
    weights: dict[str, float] | None,
    keep: Any = None,
    keep_demography: Any = None,
) -> dict[str, Any]:
    totals = population[(population["group"] == TOTAL_GROUP) & population["value"].notna()]
    years = sorted(int(y) for y in totals["year"].unique() if int(y) < year)
    if year_from is None:
        window = [y for y in years if y >= year - NEED_WINDOW_YEARS]
        if not window:
            return {"available": False, "note": note("no_comparison_year", year=year)}
        year_from = window[0]

    def demography() -> Any:
        return need_demography(
            population, mapping, year_from=year_from, year_to=year, city_name=city
        )

    def make() -> Any:
        # the demographic part does not depend on the distance: kept per level, year and
        # period beside the tables, so a new distance recomputes only the coverage part
        index = need_index(
            population,
            mapping,
            year_from=year_from,
            year_to=year,
            city_name=city,
            coverage=coverage,
            weights=weights,
            demography=demography()
            if keep_demography is None
            else keep_demography((year_from,), demography),
        )
        return index, index.table.set_index("area_id")

    weight_key = tuple(sorted((weights or {}).items()))
    index, by_area = make() if keep is None else keep((year_from, weight_key), make)
    row = by_area.loc[area]
    components = []
    for comp in index.components.to_dict("records"):
        name = comp["component"]
        components.append(
            {
                "component": name,
                "kind": comp["kind"],
                "subject": comp["subject"],
                "available": bool(comp["available"]),
                "weight": _num(comp["weight"], 4),
                "value": _num(row.get(name, np.nan), 2) if comp["available"] else None,
                "normalised": _num(row.get(f"{name}_norm", np.nan), 4)
                if comp["available"]
                else None,
                "note": note(comp["note"], **comp["note_params"]) if comp["note"] else None,
            }
        )
    return {
        "available": True,
        "year_from": index.year_from,
        "year_to": index.year_to,
        "normalisation": index.normalisation,
        "score": _num(row["score"], 2),
        "rank": None if pd.isna(row["rank"]) else int(row["rank"]),
        "of": int(index.table["rank"].notna().sum()),
        "components": components,
    }


def _programme_section(
    dataset: Dataset, mapping: pd.DataFrame, district_ids: list[str], tables: ProfileTables
) -> list[dict[str, Any]]:
    table = tables.kept(
        ("programme",), lambda: programme_table(dataset.programme, dataset.districts, mapping)
    )
    table = table[table["district_id"].isin(district_ids)]
    return [
        {k: (_text(v) if k not in ("area_id",) else v) for k, v in record.items()}
        for record in table.to_dict("records")
    ]
