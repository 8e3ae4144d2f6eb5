"""Planning areas: read and validate a district-to-area mapping, and propose a balanced one.

A planning area (Planungsgebiet) is a group of whole districts. A mapping is valid when every
district of the districts file is in exactly one area; an area whose districts do not form one
contiguous piece is allowed but warned about. :func:`propose_planning_areas` computes contiguous
areas of balanced population (see ``docs/demography.md`` for the algorithm).
"""

from __future__ import annotations

import math
import re
import tomllib
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from layers._atomic import atomic_write_text
from layers._validate import Issue, did_you_mean, normalise_district_id, rows_text, valid_list
from layers.crs import require_metric
from layers.errors import CatalogueError, DatasetError, MissingColumnError, PlanningAreaError

ADJACENCY_TOLERANCE_M = 1.0
"""Districts closer than this count as neighbours (real boundary files have slivers and gaps)."""

PROPOSAL_ID_PREFIX = "PG"
PROPOSAL_NAME = "Planungsgebiet {number} (Vorschlag)"

DEFAULT_RESTARTS = 24
"""Seeded region-growing starts of :func:`propose_planning_areas` for up to 100 units."""

MIN_RESTARTS = 4
"""Fewest starts for large inputs (starts scale as 24 × 100 / units above 100 units)."""

MAX_LOCAL_SEARCH_ROUNDS = 10_000

_DISTRICT_COLUMNS = ("district", "district_id")


# --------------------------------------------------------------------------------------------
# ids and adjacency


def district_adjacency(
    districts: gpd.GeoDataFrame, *, tolerance_m: float = ADJACENCY_TOLERANCE_M
) -> list[frozenset[int]]:
    """Return queen neighbours of every district (positions), with a gap tolerance.

    Two districts are neighbours when they share a boundary point or are less than
    ``tolerance_m`` apart, so that slivers and gaps of real boundary files do not break
    contiguity.

    Parameters
    ----------
    districts
        Districts in a metric CRS.
    tolerance_m
        Largest gap in metres still counted as a shared boundary.

    Returns
    -------
    list of frozenset of int
        ``result[i]`` holds the positions of the neighbours of district ``i``.

    Raises
    ------
    CrsError
        If ``districts`` is not in a metric CRS.
    """
    require_metric(districts, name="districts")
    geoms = districts.geometry.to_numpy()
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="dwithin", distance=tolerance_m)
    neighbours: list[set[int]] = [set() for _ in range(len(geoms))]
    for a, b in zip(left.tolist(), right.tolist(), strict=True):
        if a != b:
            neighbours[a].add(b)
            neighbours[b].add(a)
    return [frozenset(n) for n in neighbours]


def _components(nodes: Iterable[int], neighbours: Sequence[Iterable[int]]) -> list[list[int]]:
    """Return the connected components induced by ``nodes`` (each sorted, largest first)."""
    remaining = set(nodes)
    parts: list[list[int]] = []
    while remaining:
        start = min(remaining)
        remaining.discard(start)
        queue, part = deque([start]), [start]
        while queue:
            for nb in neighbours[queue.popleft()]:
                if nb in remaining:
                    remaining.discard(nb)
                    queue.append(nb)
                    part.append(nb)
        parts.append(sorted(part))
    return sorted(parts, key=lambda p: (-len(p), p[0]))


def area_components(
    mapping: pd.DataFrame,
    districts: gpd.GeoDataFrame,
    *,
    tolerance_m: float = ADJACENCY_TOLERANCE_M,
) -> dict[str, list[list[str]]]:
    """Return the contiguous pieces of every planning area (one piece = contiguous).

    Parameters
    ----------
    mapping
        ``district_id`` and ``planning_area`` for the districts.
    districts
        Districts (``id``, geometry) in a metric CRS.
    tolerance_m
        See :func:`district_adjacency`.

    Returns
    -------
    dict
        Planning area id -> list of pieces, each a list of district ids (largest piece first).
    """
    neighbours = district_adjacency(districts, tolerance_m=tolerance_m)
    position = {normalise_district_id(d): i for i, d in enumerate(districts["id"].astype(str))}
    ids = districts["id"].astype(str).tolist()
    out: dict[str, list[list[str]]] = {}
    for area, part in mapping.groupby("planning_area", sort=False):
        nodes = [
            position[normalise_district_id(d)]
            for d in part["district_id"]
            if normalise_district_id(d) in position
        ]
        out[str(area)] = [[ids[i] for i in piece] for piece in _components(nodes, neighbours)]
    return out


# --------------------------------------------------------------------------------------------
# reading and validating a mapping


def validate_planning_areas(
    mapping: pd.DataFrame,
    districts: gpd.GeoDataFrame,
    *,
    file: str = "planning_areas.csv",
    rows: Sequence[int] | None = None,
    tolerance_m: float = ADJACENCY_TOLERANCE_M,
    columns: dict[str, str] | None = None,
) -> list[Issue]:
    """Check a planning-area mapping against the districts; return every problem found.

    Errors: a district id that is not in the districts file, a district assigned twice, a row
    without planning area, a district assigned to no area. Warnings: an area that is not
    contiguous (queen adjacency with ``tolerance_m``), an area with several names.

    Parameters
    ----------
    mapping
        ``district_id``, ``planning_area``, optional ``planning_area_name``, ``coordinator``.
    districts
        Districts (``id``, ``name``, geometry) in a metric CRS.
    file
        File name used in the issues.
    rows
        Physical line of every mapping row (default: header is line 1, first row line 2).
    tolerance_m
        See :func:`district_adjacency`.
    columns
        The file's own names of the ``district`` and ``planning_area`` columns, used in issues.

    Returns
    -------
    list of Issue
    """
    named = {"district": "district", "planning_area": "planning_area", **(columns or {})}
    for column in ("district_id", "planning_area"):
        if column not in mapping.columns:
            return [Issue("error", file, f"column {column!r} is missing", None, column)]
    lines = list(rows) if rows is not None else [i + 2 for i in range(len(mapping))]
    district_ids = districts["id"].astype(str).tolist()
    issues, first_row = _row_issues(mapping, lines, district_ids, file=file, named=named)
    unassigned = [d for d in district_ids if normalise_district_id(d) not in first_row]
    if unassigned:
        issues.append(
            Issue(
                "error",
                file,
                f"{len(unassigned)} district(s) are in no planning area: {valid_list(unassigned)}",
            )
        )
    issues += _name_issues(mapping, file=file)
    if any(i.severity == "error" for i in issues):
        return issues
    return issues + _contiguity_issues(
        mapping, districts, lines, file=file, column=named["planning_area"], tolerance_m=tolerance_m
    )


def _row_issues(
    mapping: pd.DataFrame,
    lines: Sequence[int],
    district_ids: Sequence[str],
    *,
    file: str,
    named: dict[str, str],
) -> tuple[list[Issue], dict[str, int]]:
    """Row by row: empty, unknown and repeated districts, rows without area.

    Returns the issues and, per district key, the first row that assigns it.
    """
    issues: list[Issue] = []
    position = {normalise_district_id(d): i for i, d in enumerate(district_ids)}
    first_row: dict[str, int] = {}
    for line, district, area in zip(
        lines, mapping["district_id"], mapping["planning_area"], strict=True
    ):
        text = "" if pd.isna(district) else str(district).strip()
        key = normalise_district_id(text)
        if not text:
            issues.append(Issue("error", file, "district id is empty", line, named["district"]))
            continue
        if key not in position:
            issues.append(
                Issue(
                    "error",
                    file,
                    f"district {text!r} is not in the districts file"
                    f"{did_you_mean(text, list(district_ids))}; valid ids: "
                    f"{valid_list(district_ids)}",
                    line,
                    named["district"],
                )
            )
            continue
        if key in first_row:
            issues.append(
                Issue(
                    "error",
                    file,
                    f"district {text!r} is assigned twice (first in row {first_row[key]}); "
                    "every district belongs to exactly one planning area",
                    line,
                    named["district"],
                )
            )
            continue
        first_row[key] = line
        if pd.isna(area) or not str(area).strip():
            issues.append(
                Issue(
                    "error",
                    file,
                    f"district {text!r} has no planning area",
                    line,
                    named["planning_area"],
                )
            )
    return issues, first_row


def _name_issues(mapping: pd.DataFrame, *, file: str) -> list[Issue]:
    """Warnings for a planning area written with several names."""
    if "planning_area_name" not in mapping.columns:
        return []
    issues = []
    names = mapping.dropna(subset=["planning_area_name"]).groupby("planning_area")[
        "planning_area_name"
    ]
    for area, values in names:
        distinct = sorted(set(map(str, values)))
        if len(distinct) > 1:
            issues.append(
                Issue(
                    "warning",
                    file,
                    f"planning area {area!r} has several names: "
                    f"{', '.join(map(repr, distinct))}; the first is used",
                )
            )
    return issues


def _contiguity_issues(
    mapping: pd.DataFrame,
    districts: gpd.GeoDataFrame,
    lines: Sequence[int],
    *,
    file: str,
    column: str,
    tolerance_m: float,
) -> list[Issue]:
    """Warnings for planning areas made of separate parts."""
    issues = []
    valid = mapping.assign(district_id=mapping["district_id"].astype(str))
    for area, pieces in area_components(valid, districts, tolerance_m=tolerance_m).items():
        if len(pieces) > 1:
            text = " | ".join(", ".join(p) for p in pieces)
            area_rows = [
                line
                for line, a in zip(lines, mapping["planning_area"], strict=True)
                if str(a) == area
            ]
            issues.append(
                Issue(
                    "warning",
                    file,
                    f"planning area {area!r} is not contiguous: {len(pieces)} separate parts "
                    f"({text}) (rows {rows_text(area_rows)})",
                    None,
                    column,
                )
            )
    return issues


def read_planning_areas(
    path: str | Path, districts: gpd.GeoDataFrame, *, tolerance_m: float = ADJACENCY_TOLERANCE_M
) -> tuple[pd.DataFrame, list[Issue]]:
    """Read a planning-area CSV and validate it against the districts.

    The file needs a district column (``district`` or ``district_id``) and ``planning_area``;
    ``planning_area_name`` and ``coordinator`` are optional. Delimiter and encoding are detected.

    Parameters
    ----------
    path
        The CSV file.
    districts
        Districts (``id``, ``name``, geometry) in a metric CRS.
    tolerance_m
        See :func:`district_adjacency`.

    Returns
    -------
    mapping : pandas.DataFrame
        ``district_id`` (as in the districts file), ``planning_area``, ``planning_area_name``,
        ``coordinator``, in districts order (empty when there are errors).
    issues : list of Issue
        Every problem found (see :func:`validate_planning_areas`).
    """
    from layers._io import FileFormatError, read_csv_table  # the foundation's CSV reader

    path = Path(path)
    file = path.name
    try:
        table = read_csv_table(path, file=file)
    except FileFormatError as exc:
        return _empty_mapping(), [Issue("error", file, str(exc), exc.row, exc.column)]
    frame = table.frame
    district_column = next((c for c in _DISTRICT_COLUMNS if c in frame.columns), None)
    if district_column is None or "planning_area" not in frame.columns:
        wanted = "district (or district_id)" if district_column is None else "planning_area"
        return _empty_mapping(), [
            Issue(
                "error",
                file,
                f"column {wanted} is missing; the file has {valid_list(frame.columns)}; "
                "expected district,planning_area[,planning_area_name,coordinator]",
                1,
            )
        ]
    mapping = pd.DataFrame(
        {
            "district_id": frame[district_column].astype("string").str.strip(),
            "planning_area": frame["planning_area"].astype("string").str.strip(),
            "planning_area_name": frame.get(
                "planning_area_name", pd.Series(pd.NA, index=frame.index)
            ),
            "coordinator": frame.get("coordinator", pd.Series(pd.NA, index=frame.index)),
        }
    ).replace("", pd.NA)
    issues = validate_planning_areas(
        mapping, districts, file=file, rows=table.lines.tolist(), tolerance_m=tolerance_m
    )
    if any(i.severity == "error" for i in issues):
        return _empty_mapping(), issues
    return canonical_mapping(mapping, districts), issues


def load_planning_areas(
    path: str | Path, districts: gpd.GeoDataFrame, *, tolerance_m: float = ADJACENCY_TOLERANCE_M
) -> pd.DataFrame:
    """Read and validate a planning-area CSV; raise on errors (see :func:`read_planning_areas`).

    Raises
    ------
    DatasetError
        If the mapping has errors; ``issues`` names file, row and column of each.
    """
    mapping, issues = read_planning_areas(path, districts, tolerance_m=tolerance_m)
    if any(i.severity == "error" for i in issues):
        raise DatasetError(f"planning-area mapping {Path(path).name} has errors", issues)
    return mapping


def canonical_mapping(mapping: pd.DataFrame, districts: gpd.GeoDataFrame) -> pd.DataFrame:
    """Return a valid mapping in districts order with district ids spelled as in the districts file.

    Missing ``planning_area_name`` values are filled with the area id.
    """
    ids = districts["id"].astype(str).tolist()
    by_key = {
        normalise_district_id(d): i
        for i, d in mapping.reset_index(drop=True)["district_id"].items()
    }
    order = [by_key[normalise_district_id(d)] for d in ids if normalise_district_id(d) in by_key]
    out = mapping.reset_index(drop=True).iloc[order].reset_index(drop=True)
    out["district_id"] = [d for d in ids if normalise_district_id(d) in by_key]
    if "planning_area_name" not in out.columns:
        out["planning_area_name"] = pd.NA
    if "coordinator" not in out.columns:
        out["coordinator"] = pd.NA
    first_name = (
        out.dropna(subset=["planning_area_name"])
        .groupby("planning_area")["planning_area_name"]
        .first()
    )
    out["planning_area_name"] = [str(first_name.get(a, a)) for a in out["planning_area"]]
    return out[["district_id", "planning_area", "planning_area_name", "coordinator"]]


def _empty_mapping() -> pd.DataFrame:
    return pd.DataFrame(
        columns=["district_id", "planning_area", "planning_area_name", "coordinator"]
    )


# --------------------------------------------------------------------------------------------
# proposing a mapping


@dataclass(frozen=True)
class BalanceSummary:
    """Population per planning area of a mapping and its imbalance (largest / smallest)."""

    table: pd.DataFrame
    imbalance: float
    group: str
    year: int


def balance_weights(
    districts: pd.DataFrame,
    population: pd.DataFrame,
    *,
    group: str = "total",
    year: int | None = None,
) -> tuple[pd.Series, int]:
    """Return the population of ``group`` per district (districts order) used for balancing.

    Parameters
    ----------
    districts
        Districts with ``id``.
    population
        Long population table.
    group
        Group to balance.
    year
        Year; default the latest year in which ``group`` is known for every district.

    Returns
    -------
    weights : pandas.Series
        Indexed by district id.
    year : int

    Raises
    ------
    CatalogueError
        Unknown group or year (the message lists the valid ones), or values missing.
    """
    groups = list(dict.fromkeys(population["group"].astype(str)))
    if group not in groups:
        raise CatalogueError(
            f"unknown group {group!r}{did_you_mean(group, groups)} to balance; "
            f"valid groups: {valid_list(groups)}"
        )
    rows = population[population["group"] == group]
    ids = districts["id"].astype(str).tolist()
    keys = [normalise_district_id(d) for d in ids]
    rows = rows.assign(_key=rows["district_id"].map(normalise_district_id))
    complete_years = sorted(
        int(y)
        for y, part in rows.groupby("year")
        if set(keys) <= set(part.loc[part["value"].notna(), "_key"])
    )
    all_years = sorted(int(y) for y in rows["year"].unique())
    if year is None:
        if not complete_years:
            raise CatalogueError(
                f"group {group!r} is not known for every district in any year "
                f"(years with data: {valid_list(all_years)}); choose another --balance group"
            )
        year = complete_years[-1]
    elif int(year) not in all_years:
        raise CatalogueError(
            f"unknown year {year} for group {group!r}; valid years: {valid_list(all_years)}"
        )
    year = int(year)
    part = rows[rows["year"] == year].drop_duplicates("_key", keep="last").set_index("_key")
    values = part["value"].reindex(keys)
    if values.isna().any():
        absent = [d for d, v in zip(ids, values, strict=True) if pd.isna(v)]
        raise CatalogueError(
            f"group {group!r} is missing in {year} for district(s) {valid_list(absent)}; "
            f"years with every district known: {valid_list(complete_years) or 'none'}"
        )
    return pd.Series(values.to_numpy(dtype=float), index=pd.Index(ids, name="district_id")), year


def balance_summary(
    mapping: pd.DataFrame, weights: pd.Series, *, group: str = "total", year: int = 0
) -> BalanceSummary:
    """Sum ``weights`` per planning area and compute the imbalance (largest / smallest).

    Parameters
    ----------
    mapping
        ``district_id``, ``planning_area``, optional ``planning_area_name``.
    weights
        Population per district id.
    group, year
        What the weights are (recorded in the summary).

    Returns
    -------
    BalanceSummary
        ``table`` has ``planning_area``, ``planning_area_name``, ``districts`` (count),
        ``district_ids`` (comma separated), ``population``.
    """
    frame = mapping.assign(
        population=mapping["district_id"].astype(str).map(weights).to_numpy(dtype=float)
    )
    if "planning_area_name" not in frame.columns:
        frame["planning_area_name"] = frame["planning_area"]
    table = (
        frame.groupby("planning_area", sort=False)
        .agg(
            planning_area_name=("planning_area_name", "first"),
            districts=("district_id", "size"),
            district_ids=("district_id", lambda s: ",".join(map(str, s))),
            population=("population", "sum"),
        )
        .reset_index()
    )
    smallest = table["population"].min()
    imbalance = math.inf if smallest <= 0 else float(table["population"].max() / smallest)
    return BalanceSummary(table=table, imbalance=imbalance, group=group, year=year)


@dataclass(frozen=True)
class PlanningAlternative:
    """One proposed mapping with its balance and compactness.

    ``compactness`` is the mean Polsby-Popper score (4π·area / perimeter², 1 for a circle) of the
    planning areas, each area's perimeter being the sum of its districts' perimeters minus twice
    the boundary they share (boundary within the adjacency tolerance).
    """

    key: str
    label: str
    mapping: pd.DataFrame
    imbalance: float
    compactness: float
    max_imbalance: float | None
    same_as: str | None = None


@dataclass(frozen=True)
class _Units:
    """Districts merged into units (keep-together groups) with what the searches need."""

    ids: list[str]
    unit_of: np.ndarray
    weight: np.ndarray
    xy: np.ndarray
    neighbours: list[frozenset[int]]
    area_m2: np.ndarray
    perimeter_m: np.ndarray
    shared_m: dict[tuple[int, int], float]


def propose_planning_areas(
    districts: gpd.GeoDataFrame,
    population: pd.DataFrame,
    *,
    n: int,
    balance_group: str = "total",
    year: int | None = None,
    keep_together: Iterable[Iterable[str]] | Iterable[str] = (),
    max_imbalance: float | None = None,
    seed: int = 0,
    restarts: int | None = None,
    tolerance_m: float = ADJACENCY_TOLERANCE_M,
) -> pd.DataFrame:
    """Propose ``n`` contiguous planning areas of whole districts with balanced population.

    Seeded greedy region growing (the area with the smallest population takes the nearest free
    neighbouring district), repeated ``restarts`` times, each followed by a local search that
    moves boundary districts between neighbouring areas while both stay contiguous, minimising
    largest / smallest area population (ties: the sum of squared deviations from the mean).
    Without ``max_imbalance`` the best-balanced start wins. With it, every start is then made
    more compact (cohesion term): boundary districts move to a neighbouring area while that
    raises the mean Polsby-Popper score of the areas and largest / smallest stays within
    ``max_imbalance``; the most compact start within the bound wins (if no start reaches the
    bound, the best-balanced one). The result depends only on the inputs and ``seed``.

    Parameters
    ----------
    districts
        Districts (``id``, optional ``name``, geometry) in a metric CRS, in file order.
    population
        Long population table.
    n
        Number of planning areas.
    balance_group
        Population group to balance (default ``"total"``).
    year
        Year of the population; default the latest year with the group known everywhere.
    keep_together
        Groups of district ids (or names) forced into the same area: a list of lists, or one
        list.
    max_imbalance
        Balance bound (largest / smallest area population) of the compactness step, e.g.
        1.15; ``None`` balances only.
    seed
        Seed of the random starts.
    restarts
        Number of starts; default 24 for up to 100 units, fewer (at least 4) for more units,
        where single moves already balance finely.
    tolerance_m
        See :func:`district_adjacency`.

    Returns
    -------
    pandas.DataFrame
        ``district_id``, ``planning_area`` (``PG1`` … ``PGn``, numbered in the order of each
        area's first district in the districts file), ``planning_area_name``
        (``"Planungsgebiet 1 (Vorschlag)"`` …), in districts order.

    Raises
    ------
    PlanningAreaError
        If ``n`` is not positive, there are fewer districts (after ``keep_together``) than
        areas, a ``keep_together`` id is unknown or ``max_imbalance`` is below 1.
    CatalogueError
        Unknown group or year.
    """
    units = _prepare_units(
        districts,
        population,
        n=n,
        balance_group=balance_group,
        year=year,
        keep_together=keep_together,
        tolerance_m=tolerance_m,
        with_shape=max_imbalance is not None,
    )
    runs = _balanced_runs(units, n, seed=seed, restarts=restarts)
    if max_imbalance is None:
        return _mapping_frame(units, _best_balanced(runs, units, n))
    bound = _check_bound(max_imbalance)
    early = _balanced_runs(units, n, seed=seed, restarts=restarts, stop_at=bound)
    return _mapping_frame(units, _most_compact([*early, *runs], units, n, bound))


LOOSE_BOUND_STEP = 0.10
"""The third alternative of :func:`planning_alternatives` allows this much more imbalance."""


def planning_alternatives(
    districts: gpd.GeoDataFrame,
    population: pd.DataFrame,
    *,
    n: int,
    max_imbalance: float,
    balance_group: str = "total",
    year: int | None = None,
    keep_together: Iterable[Iterable[str]] | Iterable[str] = (),
    seed: int = 0,
    restarts: int | None = None,
    tolerance_m: float = ADJACENCY_TOLERANCE_M,
) -> list[PlanningAlternative]:
    """Two or three proposals from the same starts, for comparing balance and compactness.

    Compact within ``max_imbalance`` (what :func:`propose_planning_areas` returns with the same
    bound), best balanced only, and compact within a looser bound (``max_imbalance + 0.10``),
    in this order; an alternative equal to an earlier one names it in ``same_as``. Parameters as
    in :func:`propose_planning_areas`.
    """
    bound = _check_bound(max_imbalance)
    units = _prepare_units(
        districts,
        population,
        n=n,
        balance_group=balance_group,
        year=year,
        keep_together=keep_together,
        tolerance_m=tolerance_m,
        with_shape=True,
    )
    runs = _balanced_runs(units, n, seed=seed, restarts=restarts)
    loose = round(bound + LOOSE_BOUND_STEP, 6)

    def compact(limit: float) -> np.ndarray:
        early = _balanced_runs(units, n, seed=seed, restarts=restarts, stop_at=limit)
        return _most_compact([*early, *runs], units, n, limit)

    candidates = [
        ("compact", f"compact, ratio <= {bound:g}", compact(bound), bound),
        ("balanced", "balance only", _best_balanced(runs, units, n), None),
        ("compact_loose", f"compact, ratio <= {loose:g}", compact(loose), loose),
    ]
    result: list[PlanningAlternative] = []
    for key, label, labels, limit in candidates:
        mapping = _mapping_frame(units, labels)
        twin = next(
            (a.key for a in result if a.mapping["planning_area"].equals(mapping["planning_area"])),
            None,
        )
        totals = np.bincount(labels, weights=units.weight, minlength=n)
        result.append(
            PlanningAlternative(
                key=key,
                label=label,
                mapping=mapping,
                imbalance=_objective(totals)[0],
                compactness=round(_mean_polsby_popper(labels, units, n), 4),
                max_imbalance=limit,
                same_as=twin,
            )
        )
    return result


def keep_together_from_grouping(root: Path, grouping_id: str) -> list[list[str]]:
    """Keep-together groups from a ``[[groupings]]`` table of the manifest in ``root``.

    Every area of the grouping's mapping file (columns ``district``, ``area_id``) with two or
    more districts becomes one group, e.g. the Stadtteile of one Ortschaft.

    Raises
    ------
    PlanningAreaError
        If the manifest has no such grouping (the message lists the ids it has), the grouping is
        ``empty`` (the message gives its note), or its file lacks a column.
    """
    manifest = tomllib.loads((root / "dataset.toml").read_text(encoding="utf-8"))
    tables = [t for t in manifest.get("groupings", []) if isinstance(t, dict)]
    table = next((t for t in tables if str(t.get("id")) == grouping_id), None)
    if table is None:
        known = [str(t.get("id")) for t in tables]
        raise PlanningAreaError(
            f"--keep-together {grouping_id!r}: no such [[groupings]] id in "
            f"{root / 'dataset.toml'}; valid: {valid_list(known) or 'none'} (or give district "
            "ids separated by commas)"
        )
    if table.get("empty") or not table.get("path"):
        note = table.get("note_en") or table.get("note_de") or "no mapping"
        raise PlanningAreaError(f"grouping {grouping_id!r} is empty: {note}")
    path = root / str(table["path"])
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in ("district", "area_id") if c not in frame.columns]
    if missing:
        raise MissingColumnError(f"{path.name}: missing column(s) {valid_list(missing)}")
    groups = [part["district"].tolist() for _, part in frame.groupby("area_id", sort=True)]
    return [g for g in groups if len(g) > 1]


def _check_bound(max_imbalance: float) -> float:
    if not (max_imbalance >= 1.0 and math.isfinite(max_imbalance)):
        raise PlanningAreaError(
            f"max_imbalance (largest / smallest) must be a number >= 1, got {max_imbalance}"
        )
    return float(max_imbalance)


def _prepare_units(
    districts: gpd.GeoDataFrame,
    population: pd.DataFrame,
    *,
    n: int,
    balance_group: str,
    year: int | None,
    keep_together: Iterable[Iterable[str]] | Iterable[str],
    tolerance_m: float,
    with_shape: bool,
) -> _Units:
    ids = districts["id"].astype(str).tolist()
    if n < 1:
        raise PlanningAreaError(f"n must be at least 1, got {n}")
    if len(ids) < n:
        raise PlanningAreaError(
            f"cannot make {n} planning areas from {len(ids)} districts: "
            f"fewer districts than areas requested; choose n <= {len(ids)}"
        )
    weights, _year = balance_weights(districts, population, group=balance_group, year=year)
    neighbours = district_adjacency(districts, tolerance_m=tolerance_m)
    centroids = shapely.get_coordinates(districts.geometry.centroid.to_numpy())
    names = districts["name"].astype(str).tolist() if "name" in districts.columns else None
    groups = _keep_together_groups(keep_together, ids, names)
    units, unit_of = _merge_units(len(ids), groups)
    if len(units) < n:
        raise PlanningAreaError(
            f"cannot make {n} planning areas: keep-together leaves only {len(units)} units "
            f"({len(ids)} districts); choose n <= {len(units)}"
        )
    unit_nb = [
        frozenset(unit_of[nb] for d in u for nb in neighbours[d]) - {k} for k, u in enumerate(units)
    ]
    unit_xy = np.array([centroids[u].mean(axis=0) for u in units])
    area = perimeter = np.zeros(len(units))
    shared: dict[tuple[int, int], float] = {}
    if with_shape:
        area, perimeter, shared = _unit_shapes(districts, neighbours, units, unit_of, tolerance_m)
    return _Units(
        ids=ids,
        unit_of=np.asarray(unit_of),
        weight=np.array([weights.to_numpy()[u].sum() for u in units]),
        xy=unit_xy,
        neighbours=_connect_components(unit_nb, unit_xy),
        area_m2=area,
        perimeter_m=perimeter,
        shared_m=shared,
    )


def _unit_shapes(
    districts: gpd.GeoDataFrame,
    neighbours: list[frozenset[int]],
    units: list[list[int]],
    unit_of: list[int],
    tolerance_m: float,
) -> tuple[np.ndarray, np.ndarray, dict[tuple[int, int], float]]:
    """Area, outer perimeter of every unit and the boundary length shared by neighbouring units."""
    geoms = districts.geometry.to_numpy()
    area = np.array([float(sum(geoms[d].area for d in u)) for u in units])
    perimeter = np.array([float(sum(geoms[d].length for d in u)) for u in units])
    shared: dict[tuple[int, int], float] = {}
    for a, nbs in enumerate(neighbours):
        for b in nbs:
            if b <= a:
                continue
            length = float(geoms[a].boundary.intersection(geoms[b].buffer(tolerance_m)).length)
            ua, ub = unit_of[a], unit_of[b]
            if ua == ub:
                perimeter[ua] -= 2 * length
            else:
                key = (min(ua, ub), max(ua, ub))
                shared[key] = shared.get(key, 0.0) + length
    return area, perimeter, shared


def _balanced_runs(
    units: _Units, n: int, *, seed: int, restarts: int | None, stop_at: float = 0.0
) -> list[np.ndarray]:
    count = len(units.weight)
    if restarts is None:
        restarts = (
            DEFAULT_RESTARTS if count <= 100 else max(MIN_RESTARTS, DEFAULT_RESTARTS * 100 // count)
        )
    rng = np.random.default_rng(seed)
    runs = []
    for _ in range(max(1, restarts)):
        labels = _grow_regions(units.neighbours, units.weight, units.xy, n, rng)
        runs.append(_local_search(labels, units.neighbours, units.weight, n, stop_at=stop_at))
    return runs


def _best_balanced(runs: list[np.ndarray], units: _Units, n: int) -> np.ndarray:
    best: tuple[tuple[float, float], np.ndarray] | None = None
    for labels in runs:
        score = _objective(np.bincount(labels, weights=units.weight, minlength=n))
        if best is None or score < best[0]:
            best = (score, labels)
    assert best is not None
    return best[1]


def _most_compact(runs: list[np.ndarray], units: _Units, n: int, bound: float) -> np.ndarray:
    best: tuple[float, np.ndarray] | None = None
    for labels in runs:
        if _objective(np.bincount(labels, weights=units.weight, minlength=n))[0] > bound:
            continue
        compact = _compact_search(labels, units, n, bound)
        score = _mean_polsby_popper(compact, units, n)
        if best is None or score > best[0] + 1e-12:
            best = (score, compact)
    return best[1] if best is not None else _best_balanced(runs, units, n)


def _mean_polsby_popper(labels: np.ndarray, units: _Units, n: int) -> float:
    area = np.bincount(labels, weights=units.area_m2, minlength=n)
    perimeter = np.bincount(labels, weights=units.perimeter_m, minlength=n)
    for (a, b), length in units.shared_m.items():
        if labels[a] == labels[b]:
            perimeter[labels[a]] -= 2 * length
    with np.errstate(invalid="ignore", divide="ignore"):
        score = np.where(perimeter > 0, 4 * math.pi * area / perimeter**2, 0.0)
    return float(score.mean())


def _compact_search(labels: np.ndarray, units: _Units, n: int, bound: float) -> np.ndarray:
    """Hill-climb the mean Polsby-Popper score by single boundary moves within the bound."""
    labels = labels.copy()
    totals = np.bincount(labels, weights=units.weight, minlength=n)
    members = [set(np.flatnonzero(labels == r).tolist()) for r in range(n)]
    current = _mean_polsby_popper(labels, units, n)
    for _ in range(MAX_LOCAL_SEARCH_ROUNDS):
        candidates = []
        for unit in range(len(labels)):
            source = int(labels[unit])
            if len(members[source]) == 1:
                continue
            for target in sorted({int(labels[nb]) for nb in units.neighbours[unit]} - {source}):
                trial = totals.copy()
                trial[source] -= units.weight[unit]
                trial[target] += units.weight[unit]
                if trial.min() <= 0 or trial.max() / trial.min() > bound + 1e-12:
                    continue
                labels[unit] = target
                score = _mean_polsby_popper(labels, units, n)
                labels[unit] = source
                if score > current + 1e-9:
                    candidates.append((-score, unit, target))
        moved = False
        for negative, unit, target in sorted(candidates):
            source = int(labels[unit])
            if _stays_connected(members[source], unit, units.neighbours):
                members[source].discard(unit)
                members[target].add(unit)
                labels[unit] = target
                totals[source] -= units.weight[unit]
                totals[target] += units.weight[unit]
                current = -negative
                moved = True
                break
        if not moved and not _compact_swap(labels, members, totals, units, n, bound, current):
            break
        current = _mean_polsby_popper(labels, units, n)
    return labels


def _compact_swap(
    labels: np.ndarray,
    members: list[set[int]],
    totals: np.ndarray,
    units: _Units,
    n: int,
    bound: float,
    current: float,
) -> bool:
    """Exchange two boundary units of neighbouring areas if that raises compactness."""
    best: tuple[float, int, int] | None = None
    for u in range(len(labels)):
        a = int(labels[u])
        for b in sorted({int(labels[nb]) for nb in units.neighbours[u]} - {a}):
            for v in sorted(
                m for m in members[b] if a in {int(labels[x]) for x in units.neighbours[m]}
            ):
                trial = totals.copy()
                delta = units.weight[u] - units.weight[v]
                trial[a] -= delta
                trial[b] += delta
                if trial.min() <= 0 or trial.max() / trial.min() > bound + 1e-12:
                    continue
                labels[u], labels[v] = b, a
                score = _mean_polsby_popper(labels, units, n)
                labels[u], labels[v] = a, b
                if score > current + 1e-9 and (best is None or score > best[0] + 1e-12):
                    new_a = (members[a] - {u}) | {v}
                    new_b = (members[b] - {v}) | {u}
                    if _connected(new_a, units.neighbours) and _connected(new_b, units.neighbours):
                        best = (score, u, v)
    if best is None:
        return False
    _, u, v = best
    a, b = int(labels[u]), int(labels[v])
    members[a] = (members[a] - {u}) | {v}
    members[b] = (members[b] - {v}) | {u}
    labels[u], labels[v] = b, a
    delta = units.weight[u] - units.weight[v]
    totals[a] -= delta
    totals[b] += delta
    return True


def _mapping_frame(units: _Units, labels: np.ndarray) -> pd.DataFrame:
    district_label = labels[units.unit_of]
    # Number the areas in the order of their first district in the file.
    order = {label: i + 1 for i, label in enumerate(dict.fromkeys(district_label.tolist()))}
    numbers = [order[label] for label in district_label.tolist()]
    return pd.DataFrame(
        {
            "district_id": units.ids,
            "planning_area": [f"{PROPOSAL_ID_PREFIX}{k}" for k in numbers],
            "planning_area_name": [PROPOSAL_NAME.format(number=k) for k in numbers],
        }
    )


def _keep_together_groups(
    keep_together: Iterable[Iterable[str]] | Iterable[str],
    ids: Sequence[str],
    names: Sequence[str] | None = None,
) -> list[list[int]]:
    items = list(keep_together)
    if items and all(isinstance(i, str) for i in items):
        items = [items]
    position = {normalise_district_id(d): i for i, d in enumerate(ids)}
    by_name = {str(name): i for i, name in enumerate(names or ())}
    groups = []
    for group in items:
        members = []
        for d in group:
            if normalise_district_id(d) not in position and str(d) in by_name:
                members.append(by_name[str(d)])
                continue
            if normalise_district_id(d) not in position:
                raise PlanningAreaError(
                    f"keep-together district {str(d)!r} is not in the districts file"
                    f"{did_you_mean(str(d), ids)}; valid ids: {valid_list(ids)}"
                )
            members.append(position[normalise_district_id(d)])
        groups.append(members)
    return groups


def _merge_units(count: int, groups: list[list[int]]) -> tuple[list[list[int]], list[int]]:
    parent = list(range(count))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for group in groups:
        for other in group[1:]:
            parent[find(other)] = find(group[0])
    roots = list(dict.fromkeys(find(i) for i in range(count)))
    index = {r: k for k, r in enumerate(roots)}
    units: list[list[int]] = [[] for _ in roots]
    unit_of = [0] * count
    for i in range(count):
        unit_of[i] = index[find(i)]
        units[unit_of[i]].append(i)
    return units, unit_of


def _connect_components(neighbours: list[frozenset[int]], xy: np.ndarray) -> list[frozenset[int]]:
    """Link separate parts of the district graph (islands) to their nearest other part."""
    parts = _components(range(len(neighbours)), neighbours)
    if len(parts) == 1:
        return neighbours
    links = [set(n) for n in neighbours]
    main = set(parts[0])
    for part in parts[1:]:
        inside = np.asarray(part)
        outside = np.asarray(sorted(main))
        dist = np.linalg.norm(xy[inside][:, None, :] - xy[outside][None, :, :], axis=2)
        a, b = np.unravel_index(np.argmin(dist), dist.shape)
        links[inside[a]].add(int(outside[b]))
        links[int(outside[b])].add(int(inside[a]))
        main |= set(part)
    return [frozenset(n) for n in links]


def _objective(totals: np.ndarray) -> tuple[float, float]:
    smallest = totals.min()
    ratio = math.inf if smallest <= 0 else float(totals.max() / smallest)
    return (round(ratio, 12), float(((totals - totals.mean()) ** 2).sum()))


def _pick_seeds(xy: np.ndarray, n: int, rng: np.random.Generator) -> list[int]:
    """k-means++ style: spread seeds apart, at random."""
    seeds = [int(rng.integers(len(xy)))]
    while len(seeds) < n:
        dist = np.min(np.linalg.norm(xy[:, None, :] - xy[seeds][None, :, :], axis=2), axis=1)
        prob = dist**2
        prob[seeds] = 0.0
        if prob.sum() <= 0:  # units at identical positions: pick any other unit
            prob = np.ones(len(xy))
            prob[seeds] = 0.0
        seeds.append(int(rng.choice(len(xy), p=prob / prob.sum())))
    return seeds


def _grow_regions(
    neighbours: list[frozenset[int]],
    weight: np.ndarray,
    xy: np.ndarray,
    n: int,
    rng: np.random.Generator,
) -> np.ndarray:
    seeds = _pick_seeds(xy, n, rng)
    labels = np.full(len(weight), -1)
    totals = np.zeros(n)
    for region, unit in enumerate(seeds):
        labels[unit] = region
        totals[region] = weight[unit]
    unassigned = len(weight) - n
    while unassigned:
        for region in np.argsort(totals, kind="stable"):
            members = np.flatnonzero(labels == region)
            free = sorted({nb for m in members for nb in neighbours[m] if labels[nb] < 0})
            if not free:
                continue
            anchor = xy[seeds[region]]
            pick = free[int(np.argmin(np.linalg.norm(xy[free] - anchor, axis=1)))]
            labels[pick] = region
            totals[region] += weight[pick]
            unassigned -= 1
            break
        else:  # cannot happen on a connected graph
            raise PlanningAreaError("districts are not connected; cannot grow planning areas")
    return labels


def _stays_connected(members: set[int], removed: int, neighbours: list[frozenset[int]]) -> bool:
    rest = members - {removed}
    return bool(rest) and _connected(rest, neighbours)


def _local_search(
    labels: np.ndarray,
    neighbours: list[frozenset[int]],
    weight: np.ndarray,
    n: int,
    *,
    stop_at: float = 0.0,
) -> np.ndarray:
    labels = labels.copy()
    totals = np.bincount(labels, weights=weight, minlength=n)
    members = [set(np.flatnonzero(labels == r).tolist()) for r in range(n)]
    current = _objective(totals)
    for _ in range(MAX_LOCAL_SEARCH_ROUNDS):
        if current[0] <= stop_at:
            break  # balanced enough: the compactness step takes over (keeps grown shapes)
        candidates = []
        for unit in range(len(labels)):
            source = labels[unit]
            for target in {labels[nb] for nb in neighbours[unit]} - {source}:
                trial = totals.copy()
                trial[source] -= weight[unit]
                trial[target] += weight[unit]
                score = _objective(trial)
                if score < current:
                    candidates.append((score, unit, int(target)))
        moved = False
        for score, unit, target in sorted(candidates):
            source = labels[unit]
            if _stays_connected(members[source], unit, neighbours):
                members[source].discard(unit)
                members[target].add(unit)
                labels[unit] = target
                totals[source] -= weight[unit]
                totals[target] += weight[unit]
                current = score
                moved = True
                break
        if not moved and not _best_swap(labels, members, totals, neighbours, weight, current):
            break
        current = _objective(totals)
    return labels


def _connected(nodes: set[int], neighbours: list[frozenset[int]]) -> bool:
    start = next(iter(nodes))
    seen, queue = {start}, deque([start])
    while queue:
        for nb in neighbours[queue.popleft()]:
            if nb in nodes and nb not in seen:
                seen.add(nb)
                queue.append(nb)
    return len(seen) == len(nodes)


def _best_swap(
    labels: np.ndarray,
    members: list[set[int]],
    totals: np.ndarray,
    neighbours: list[frozenset[int]],
    weight: np.ndarray,
    current: tuple[float, float],
) -> bool:
    """Exchange two boundary units of neighbouring areas if that improves the balance."""
    border: dict[tuple[int, int], list[int]] = {}
    for unit in range(len(labels)):
        for target in {int(labels[nb]) for nb in neighbours[unit]} - {int(labels[unit])}:
            border.setdefault((int(labels[unit]), target), []).append(unit)
    # Only swaps touching the largest or the smallest area can lower largest / smallest.
    extremes = {int(np.argmax(totals)), int(np.argmin(totals))}
    candidates = []
    for (a, b), from_a in border.items():
        if a > b or (b, a) not in border or not {a, b} & extremes:
            continue
        from_b = border[(b, a)]
        others = np.delete(totals, [a, b])
        delta = (weight[from_a][:, None] - weight[from_b][None, :]).ravel()
        new_a, new_b = totals[a] - delta, totals[b] + delta
        high = np.maximum(np.maximum(new_a, new_b), others.max() if others.size else -np.inf)
        low = np.minimum(np.minimum(new_a, new_b), others.min() if others.size else np.inf)
        with np.errstate(divide="ignore"):
            ratio = np.round(np.where(low > 0, high / low, np.inf), 12)
        mean = totals.mean()
        ssd = ((others - mean) ** 2).sum() + (new_a - mean) ** 2 + (new_b - mean) ** 2
        better = (ratio < current[0]) | ((ratio == current[0]) & (ssd < current[1]))
        for k in np.flatnonzero(better):
            i, j = divmod(int(k), len(from_b))
            candidates.append(((float(ratio[k]), float(ssd[k])), from_a[i], from_b[j], a, b))
    for _score, u, v, a, b in sorted(candidates):
        new_a = (members[a] - {u}) | {v}
        new_b = (members[b] - {v}) | {u}
        if _connected(new_a, neighbours) and _connected(new_b, neighbours):
            members[a], members[b] = new_a, new_b
            labels[u], labels[v] = b, a
            delta = weight[u] - weight[v]
            totals[a] -= delta
            totals[b] += delta
            return True
    return False


# --------------------------------------------------------------------------------------------
# writing a mapping into a dataset


def write_planning_areas(
    dataset_dir: str | Path,
    mapping: pd.DataFrame,
    *,
    filename: str = "planning_areas.csv",
    proposal: bool = True,
) -> Path:
    """Write a mapping as the dataset's planning-area CSV and name it in ``dataset.toml``.

    The CSV has ``district``, ``planning_area``, ``planning_area_name``, ``coordinator``. The
    manifest's ``[planning_areas]`` table is replaced (or added) with ``path`` and
    ``proposal = true|false``. Both files are written atomically.

    Parameters
    ----------
    dataset_dir
        Folder with a ``dataset.toml``.
    mapping
        ``district_id``, ``planning_area``, optional ``planning_area_name``, ``coordinator``.
    filename
        Name of the CSV inside the dataset folder.
    proposal
        Whether the mapping is a computed proposal (labelled "Vorschlag" wherever shown).

    Returns
    -------
    pathlib.Path
        The CSV written.

    Raises
    ------
    PlanningAreaError
        If there is no ``dataset.toml`` or it cannot be parsed.
    """
    root = Path(dataset_dir)
    manifest = root / "dataset.toml"
    if not manifest.is_file():
        raise PlanningAreaError(f"{root} has no dataset.toml; cannot register the mapping")
    text = manifest.read_text(encoding="utf-8")
    try:
        tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PlanningAreaError(f"{manifest}: cannot parse: {exc}") from exc
    if "/" in filename or "\\" in filename or filename.startswith("."):
        raise PlanningAreaError(f"filename {filename!r} must be a plain file name")
    for column in ("district_id", "planning_area"):
        if column not in mapping.columns:
            raise MissingColumnError(f"`mapping` lacks column {column!r}")
    out = pd.DataFrame(
        {
            "district": mapping["district_id"].astype(str),
            "planning_area": mapping["planning_area"].astype(str),
            "planning_area_name": mapping.get("planning_area_name", mapping["planning_area"]),
            "coordinator": mapping.get("coordinator", pd.Series("", index=mapping.index)),
        }
    )
    csv_text = out.to_csv(index=False, lineterminator="\n")
    section = (
        f'[planning_areas]\npath = "{filename}"\nproposal = {"true" if proposal else "false"}\n'
    )
    new_manifest = _replace_table(text, "planning_areas", section)
    tomllib.loads(new_manifest)  # never write a manifest that does not parse
    target = atomic_write_text(root / filename, csv_text)
    atomic_write_text(manifest, new_manifest)
    return target


def _replace_table(text: str, name: str, section: str) -> str:
    """Replace the ``[name]`` table of a TOML text (up to the next header) or append it."""
    lines = text.splitlines(keepends=True)
    header = re.compile(r"^\s*\[")
    start = next(
        (i for i, line in enumerate(lines) if re.match(rf"^\s*\[\s*{re.escape(name)}\s*\]", line)),
        None,
    )
    if start is None:
        sep = "" if not text or text.endswith("\n\n") else ("\n" if text.endswith("\n") else "\n\n")
        return text + sep + section
    end = next((i for i in range(start + 1, len(lines)) if header.match(lines[i])), len(lines))
    rest = "".join(lines[end:])
    return "".join(lines[:start]) + section + ("\n" + rest if rest else "")
