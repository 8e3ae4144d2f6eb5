"""Need index per district or planning area: demographic pressure combined with poor coverage.

The index is a weighted mean of normalised components, shown next to the score:

* ``growth_<group>``: change of a population group between two years in percent (children under
  6, under 18, people aged 65 and over; the total population only when none of these is known);
* ``uncovered_<category>``: share of residents in percent *not* covered by a facility of the
  category, taken from the coverage engine's output (an input table, see :func:`need_index`).

Each component is normalised across the areas (min-max to 0…1, or z-scores), so that a higher
value always means more need; the score is the weighted mean of the available components of an
area (times 100 for min-max), and rank 1 is the area of highest need.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from layers._validate import valid_list
from layers.demography import CITY_AREA_ID, change_table, with_composite_groups
from layers.errors import MissingColumnError, ParameterError

Normalisation = Literal["minmax", "zscore"]
NORMALISATIONS: tuple[Normalisation, ...] = ("minmax", "zscore")

DEMOGRAPHIC_COMPONENTS: tuple[tuple[str, str], ...] = (
    ("growth_under_6", "under_6"),
    ("growth_under_18", "under_18"),
    ("growth_65_plus", "65_plus"),
)
"""(component id, population group) of the age-group components."""

FALLBACK_COMPONENT = ("growth_total", "total")
"""Used only when none of :data:`DEMOGRAPHIC_COMPONENTS` is available."""

DEMOGRAPHY_WEIGHT = 0.5
COVERAGE_WEIGHT = 0.5
"""Default weights: demography and coverage each count half, split equally among components."""

COVERAGE_SHARE_COLUMNS = ("covered_share", "share", "coverage_share")
"""Accepted names of the coverage share column (a fraction 0…1 of residents covered)."""

COMPONENT_COLUMNS = ("component", "kind", "subject", "available", "weight", "note", "note_params")
"""Columns of :attr:`NeedIndex.components`."""

NOTE_IDS = ("group_missing", "group_no_values", "areas_without_value")
"""Ids of the component notes; their parameters are in ``note_params`` (texts: the dashboard's
translation catalogue, ``dashboard.i18n``)."""


@dataclass(frozen=True)
class NeedIndex:
    """The need index of every area, with its components and how they were made.

    Attributes
    ----------
    table
        One row per area (mapping order): ``area_id``, ``area_name``, for every component
        ``<id>`` (raw value) and ``<id>_norm`` (normalised), ``components_used``, ``score``,
        ``rank`` (1 = highest need).
    components
        One row per component considered (:data:`COMPONENT_COLUMNS`): ``component``, ``kind``
        (``demography``/``coverage``), ``subject`` (the population group or the category id),
        ``available``, ``weight``, ``note`` (one of :data:`NOTE_IDS`, or ``""``) and
        ``note_params`` (a dict). No display text: labels and notes are rendered from these ids.
    normalisation, year_from, year_to
        How and for which period the index was computed.
    """

    table: pd.DataFrame
    components: pd.DataFrame
    normalisation: Normalisation
    year_from: int
    year_to: int


def _coverage_components(coverage: pd.DataFrame, area_ids: list[str]) -> dict[str, pd.Series]:
    if "area_id" not in coverage.columns or "category" not in coverage.columns:
        raise MissingColumnError(
            "`coverage` needs columns 'area_id', 'category' and a share column "
            f"({' or '.join(COVERAGE_SHARE_COLUMNS)}); it has {valid_list(coverage.columns)}"
        )
    share_column = next((c for c in COVERAGE_SHARE_COLUMNS if c in coverage.columns), None)
    if share_column is None:
        raise MissingColumnError(
            f"`coverage` has no share column ({' or '.join(COVERAGE_SHARE_COLUMNS)}); "
            f"it has {valid_list(coverage.columns)}"
        )
    shares = pd.to_numeric(coverage[share_column], errors="coerce")
    if (shares > 1.0 + 1e-9).any() or (shares < 0).any():
        raise ParameterError(
            f"`coverage.{share_column}` must be a fraction between 0 and 1 (not percent)"
        )
    frame = coverage.assign(_share=shares, area_id=coverage["area_id"].astype(str))
    out = {}
    for category, part in frame.groupby("category", sort=False):
        series = part.drop_duplicates("area_id", keep="last").set_index("area_id")["_share"]
        out[f"uncovered_{category}"] = (1.0 - series.reindex(area_ids)) * 100.0
    return out


def _normalise(values: pd.Series, how: Normalisation) -> pd.Series:
    known = values.dropna()
    if known.empty:
        return values * np.nan
    if how == "minmax":
        span = known.max() - known.min()
        return (values - known.min()) / span if span > 0 else values * 0.0
    std = known.std(ddof=0)
    return (values - known.mean()) / std if std > 0 else values * 0.0


@dataclass(frozen=True, eq=False)
class NeedDemography:
    """The demographic part of a need index: it does not depend on the walking distance.

    Made by :func:`need_demography`; :func:`need_index` combines it with coverage shares. A
    dashboard keeps one per data version, period and level, so that a new distance only
    recomputes the coverage components and the score.

    Attributes
    ----------
    raw
        Raw value per available component id (``growth_<group>``), aligned with ``area_order``.
    info
        One record per demographic component considered (:data:`COMPONENT_COLUMNS` without
        ``weight``).
    area_order
        Area ids in mapping order.
    year_from, year_to
        The period of the change.
    """

    raw: Mapping[str, pd.Series]
    info: tuple[Mapping[str, object], ...]
    area_order: tuple[str, ...]
    year_from: int
    year_to: int


def need_demography(
    population: pd.DataFrame,
    mapping: pd.DataFrame,
    *,
    year_from: int,
    year_to: int,
    city_name: str,
) -> NeedDemography:
    """The demographic components of the need index (see :func:`need_index`).

    Parameters
    ----------
    population
        Long population table.
    mapping
        Area mapping (``district_id``, ``area_id``, ``area_name``) in districts order.
    year_from, year_to
        Period of the demographic change.
    city_name
        Name of the city (used for the change tables' ``ALL`` row, which is not ranked).

    Returns
    -------
    NeedDemography

    Raises
    ------
    CatalogueError
        If a year is not in the data.
    """
    population = with_composite_groups(population)
    area_order = list(dict.fromkeys(mapping["area_id"].astype(str)))
    raw, info = _demographic_components(
        population, mapping, area_order, year_from=year_from, year_to=year_to, city_name=city_name
    )
    return NeedDemography(
        raw=raw,
        info=tuple(info),
        area_order=tuple(area_order),
        year_from=int(year_from),
        year_to=int(year_to),
    )


def need_index(
    population: pd.DataFrame,
    mapping: pd.DataFrame,
    *,
    year_from: int,
    year_to: int,
    city_name: str,
    coverage: pd.DataFrame | None = None,
    weights: Mapping[str, float] | None = None,
    normalisation: Normalisation = "minmax",
    demography: NeedDemography | None = None,
) -> NeedIndex:
    """Compute the need index per area from demographic change and coverage shares.

    Parameters
    ----------
    population
        Long population table.
    mapping
        Area mapping (``district_id``, ``area_id``, ``area_name``) in districts order.
    year_from, year_to
        Period of the demographic change.
    city_name
        Name of the city (used for the change tables' ``ALL`` row, which is not ranked).
    coverage
        Coverage shares per area at the same level, long: ``area_id``, ``category`` and
        ``covered_share`` (fraction 0…1 of residents within reach). Optional.
    weights
        Weight per component id; components not listed keep their default weight (demography
        and coverage each 0.5, split equally among their available components). A weight of 0
        leaves a component out of the score.
    normalisation
        ``"minmax"`` (0…1, score 0…100) or ``"zscore"`` (score = weighted mean z-score).
    demography
        :func:`need_demography` of the same population, mapping and period, made earlier (it
        is made here when None).

    Returns
    -------
    NeedIndex

    Raises
    ------
    ParameterError
        For an unknown normalisation, a weight for an unknown component or a negative weight,
        or a ``demography`` of another period or other areas.
    CatalogueError
        If a year is not in the data.
    """
    if normalisation not in NORMALISATIONS:
        raise ParameterError(
            f"unknown normalisation {normalisation!r}; valid: {valid_list(NORMALISATIONS)}"
        )
    area_order = list(dict.fromkeys(mapping["area_id"].astype(str)))
    if demography is None:
        demography = need_demography(
            population, mapping, year_from=year_from, year_to=year_to, city_name=city_name
        )
    elif (demography.year_from, demography.year_to) != (int(year_from), int(year_to)) or list(
        demography.area_order
    ) != area_order:
        raise ParameterError(
            f"`demography` was made for {demography.year_from}–{demography.year_to} and "
            f"{len(demography.area_order)} areas, not for {year_from}–{year_to} and "
            f"{len(area_order)} areas"
        )
    # copies: the score adds coverage components, the kept demographic part stays as it is
    raw = dict(demography.raw)
    info = [dict(record) for record in demography.info]
    if coverage is not None:
        for component, values in _coverage_components(coverage, area_order).items():
            category = component.removeprefix("uncovered_")
            reason = _missing_coverage_reason(values)
            # Nobody reached anywhere means no facility of the category in the data: a data
            # gap, not a measured 100 % need; it would only dilute the other weights.
            if not reason:
                raw[component] = values
            info.append(
                {
                    "component": component,
                    "kind": "coverage",
                    "subject": category,
                    "available": not reason,
                    "note": reason,
                    "note_params": {"category": category} if reason else {},
                }
            )
    components = pd.DataFrame(info, columns=[c for c in COMPONENT_COLUMNS if c != "weight"])
    chosen = _chosen_weights(components, weights)
    components["weight"] = [
        chosen.get(c, 0.0) if a else 0.0
        for c, a in zip(components["component"], components["available"], strict=True)
    ]
    names = dict(
        zip(mapping["area_id"].astype(str), mapping["area_name"].astype(str), strict=False)
    )
    table = pd.DataFrame({"area_id": area_order, "area_name": [names[a] for a in area_order]})
    return NeedIndex(
        table=_scored(table, raw, chosen, normalisation),
        components=components[list(COMPONENT_COLUMNS)],
        normalisation=normalisation,
        year_from=int(year_from),
        year_to=int(year_to),
    )


def _demographic_components(
    population: pd.DataFrame,
    mapping: pd.DataFrame,
    area_order: list[str],
    *,
    year_from: int,
    year_to: int,
    city_name: str,
) -> tuple[dict[str, pd.Series], list[dict[str, object]]]:
    """Raw values and component rows of the age-group components (the total as a fallback)."""
    groups = set(population["group"].astype(str))
    raw: dict[str, pd.Series] = {}
    info: list[dict[str, object]] = []

    def record(
        component: str, group: str, available: bool, note_id: str = "", **params: object
    ) -> bool:
        info.append(
            {
                "component": component,
                "kind": "demography",
                "subject": group,
                "available": available,
                "note": note_id,
                "note_params": {"group": group, **params} if note_id else {},
            }
        )
        return available

    def demographic(component: str, group: str) -> bool:
        if group not in groups:
            return record(component, group, False, "group_missing")
        table = change_table(
            population,
            mapping,
            group=group,
            year_from=year_from,
            year_to=year_to,
            city_name=city_name,
        )
        table = table[table["area_id"] != CITY_AREA_ID].set_index("area_id")
        values = table["change_pct"].reindex(area_order)
        if values.isna().all():
            known = population.loc[
                (population["group"] == group) & population["value"].notna(), "year"
            ]
            return record(
                component,
                group,
                False,
                "group_no_values",
                year_from=int(year_from),
                year_to=int(year_to),
                years=sorted({int(y) for y in known}),
            )
        raw[component] = values
        missing = int(values.isna().sum())
        if missing:
            return record(component, group, True, "areas_without_value", n=missing)
        return record(component, group, True)

    found = [demographic(*spec) for spec in DEMOGRAPHIC_COMPONENTS]
    if not any(found):
        demographic(*FALLBACK_COMPONENT)
    return raw, info


def _missing_coverage_reason(uncovered_pct: pd.Series) -> str:
    """The note id saying why a coverage component counts as missing ("" when it has data)."""
    known = uncovered_pct.dropna()
    if known.empty:
        return "coverage_no_values"
    if bool((known >= 100.0 - 1e-9).all()):
        return "coverage_no_facility"
    return ""


def _chosen_weights(
    components: pd.DataFrame, weights: Mapping[str, float] | None
) -> dict[str, float]:
    """The default weights, overridden by ``weights`` (checked: known components, >= 0)."""
    chosen = _default_weights(components)
    if weights:
        unknown = [k for k in weights if k not in set(components["component"])]
        if unknown:
            raise ParameterError(
                f"weights for unknown component(s) {valid_list(unknown)}; valid components: "
                f"{valid_list(components['component'])}"
            )
        for key, value in weights.items():
            if value < 0 or not np.isfinite(value):
                raise ParameterError(f"weight of {key!r} must be a number >= 0, got {value}")
            chosen[key] = float(value)
    return chosen


def _scored(
    table: pd.DataFrame,
    raw: Mapping[str, pd.Series],
    chosen: Mapping[str, float],
    normalisation: Normalisation,
) -> pd.DataFrame:
    """``table`` with raw and normalised components, ``components_used``, ``score``, ``rank``."""
    numerator = np.zeros(len(table))
    denominator = np.zeros(len(table))
    used: list[list[str]] = [[] for _ in range(len(table))]
    for component, values in raw.items():
        norm = _normalise(values, normalisation)
        table[component] = values.round(2).to_numpy()
        table[f"{component}_norm"] = norm.round(4).to_numpy()
        weight = chosen.get(component, 0.0)
        ok = norm.notna().to_numpy()
        if weight > 0:
            numerator[ok] += weight * norm.to_numpy()[ok]
            denominator[ok] += weight
            for i in np.flatnonzero(ok):
                used[i].append(component)
    with np.errstate(invalid="ignore", divide="ignore"):
        score = np.where(denominator > 0, numerator / denominator, np.nan)
    if normalisation == "minmax":
        score = score * 100.0
    table["components_used"] = [", ".join(u) for u in used]
    table["score"] = np.round(score, 2)
    table["rank"] = table["score"].rank(ascending=False, method="min").astype("Int64")
    return table


def _default_weights(components: pd.DataFrame) -> dict[str, float]:
    available = components[components["available"]]
    demo = available[available["kind"] == "demography"]["component"].tolist()
    cover = available[available["kind"] == "coverage"]["component"].tolist()
    demo_total = DEMOGRAPHY_WEIGHT if cover else 1.0
    cover_total = COVERAGE_WEIGHT if demo else 1.0
    weights = {c: demo_total / len(demo) for c in demo}
    weights.update({c: cover_total / len(cover) for c in cover})
    return weights
