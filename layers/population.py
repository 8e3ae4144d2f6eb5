"""Load population tables (district × year × group) and look up population per district."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from layers._io import PLACEHOLDER_REASON
from layers._readers import (
    ROW,
    clean_text,
    numeric_column,
    read_layer,
    report_rows,
    resolve_columns,
)
from layers._validate import IssueCollector, did_you_mean, district_id_keys, rows_text, valid_list
from layers.errors import CatalogueError, MissingDataError
from layers.manifest import LayerSpec

if TYPE_CHECKING:
    import geopandas as gpd

    from layers.dataset import Dataset

POPULATION_COLUMNS = ("district_id", "year", "group", "value", "missing_reason")
TOTAL = "total"
EMPTY_REASON = "leere Zelle in der Quelle"


def load_population(
    spec: LayerSpec, districts: gpd.GeoDataFrame, collector: IssueCollector
) -> pd.DataFrame | None:
    """Read one population file into long form ``district_id, year, group, value``.

    Supports long files (``group``/``value`` columns), files with a fixed ``year`` or ``group``,
    and wide files whose value columns map to groups (``groups = { total = "…" }``).

    Returns
    -------
    pandas.DataFrame or None
        :data:`POPULATION_COLUMNS` plus ``file`` and ``_row``; ``None`` when the file has errors.
    """
    start = len(collector.issues)
    raw = read_layer(spec, collector)
    if raw is None:
        return None
    frame = pd.DataFrame(raw.frame.drop(columns="geometry", errors="ignore"))
    fixed_year = spec.option("year")
    fixed_group = spec.option("group")
    wide = spec.option("groups")
    if wide is not None and not (
        isinstance(wide, dict) and all(isinstance(v, str) for v in wide.values())
    ):
        collector.error(
            "dataset.toml",
            f'[population] {spec.file}: groups must be a table such as {{ total = "Einwohner" }}',
        )
        return None
    if spec.option("district_key", "id") not in ("id", "name"):
        collector.error(
            "dataset.toml",
            f'[population] {spec.file}: district_key must be "id" or "name", '
            f"not {spec.option('district_key')!r}",
        )
        return None
    required = ["district"]
    if fixed_year is None:
        required.append("year")
    if wide is None:
        required.append("value")
        if fixed_group is None:
            required.append("group")
    mapping = resolve_columns(spec, list(frame.columns), collector, required=required)
    if mapping is None:
        return None
    if wide is not None:
        missing = [col for col in wide.values() if col not in frame.columns]
        for col in missing:
            collector.error(
                spec.file, f"value column {col!r} named in groups is missing", column=col
            )
        if missing:
            return None
    if frame.empty:
        collector.error(spec.file, "the population file has no rows")
        return None
    rows = frame[ROW].to_numpy()
    district_ids = _district_ids(frame, mapping["district"], spec, districts, collector)
    if fixed_year is not None:
        if not isinstance(fixed_year, int):
            collector.error("dataset.toml", f"[population] {spec.file}: year must be an integer")
            return None
        years = np.full(len(frame), fixed_year, dtype=float)
    else:
        years, _ = numeric_column(frame, mapping["year"], spec, raw.table, collector, what="a year")
        bad = ~np.isnan(years) & (years != np.round(years))
        if bad.any():
            report_rows(
                collector,
                spec,
                rows[bad],
                years[bad],
                mapping["year"],
                "year is not a whole number",
            )
        empty = (clean_text(frame[mapping["year"]]) == "").to_numpy()
        if empty.any():
            report_rows(collector, spec, rows[empty], None, mapping["year"], "year is missing")
    if wide is not None:
        pairs = list(wide.items())
    else:
        group_values = (
            np.full(len(frame), str(fixed_group), dtype=object)
            if fixed_group is not None
            else clean_text(frame[mapping["group"]]).to_numpy()
        )
        pairs = [(None, mapping["value"])]
    reason = spec.option("missing_reason") or ""
    parts = []
    for group, column in pairs:
        values, unknown = numeric_column(frame, column, spec, raw.table, collector, what="a number")
        reasons = np.where(
            unknown, PLACEHOLDER_REASON, np.where(np.isnan(values), reason or EMPTY_REASON, "")
        )
        parts.append(
            pd.DataFrame(
                {
                    "district_id": district_ids,
                    "year": years,
                    "group": group if group is not None else group_values,
                    "value": values,
                    "missing_reason": reasons,
                    "file": spec.file,
                    ROW: rows,
                }
            )
        )
    if collector.errors_since(start):
        return None
    result = pd.concat(parts, ignore_index=True)
    result["year"] = result["year"].astype(int)
    return result


def _district_ids(
    frame: pd.DataFrame,
    column: str,
    spec: LayerSpec,
    districts: gpd.GeoDataFrame,
    collector: IssueCollector,
) -> np.ndarray:
    """Map the file's district references to the ids as the districts file has them."""
    by_name = spec.option("district_key", "id") == "name"
    values = clean_text(frame[column])
    if by_name:
        lookup = dict(
            zip(districts["name"].str.strip().str.casefold(), districts["id"], strict=False)
        )
        keys = values.str.casefold()
        candidates = districts["name"].tolist()
    else:
        lookup = dict(zip(district_id_keys(districts["id"]), districts["id"], strict=False))
        keys = district_id_keys(values)
        candidates = districts["id"].tolist() + districts["name"].tolist()
    ids = keys.map(lookup)
    unknown = ids.isna().to_numpy()
    rows = frame[ROW].to_numpy()
    if by_name:
        names = districts["name"].str.strip().str.casefold()
        repeated = names[names.duplicated(keep=False)]
        ambiguous = keys.isin(set(repeated)).to_numpy()
        for value in dict.fromkeys(values[ambiguous]):
            where = rows[(values == value).to_numpy()].tolist()
            matching = districts.loc[(names == value.casefold()).to_numpy(), "id"].tolist()
            collector.error(
                spec.file,
                f"district name {value!r} is not unique (districts {valid_list(matching)}) in "
                f'rows {rows_text(where)}; join this table on the ids (district_key = "id")',
                row=int(where[0]),
                column=column,
            )
    for value in dict.fromkeys(values[unknown]):
        where = rows[(values == value).to_numpy()].tolist()
        if not by_name and value.casefold() in set(districts["name"].str.strip().str.casefold()):
            hint = ' (this is a district name; set district_key = "name" for this table)'
        else:
            hint = did_you_mean(value, candidates)
        collector.error(
            spec.file,
            f"unknown district {value!r}{hint} in rows {rows_text(where)}",
            row=int(where[0]),
            column=column,
        )
    return ids.to_numpy(dtype=object)


def combine_population(
    parts: list[pd.DataFrame], collector: IssueCollector, *, required_group: str = TOTAL
) -> pd.DataFrame:
    """Concatenate population files; repeated (district, year, group) values are errors."""
    if not parts:
        collector.error("dataset.toml", "no [[population]] table: population is required")
        return pd.DataFrame(columns=list(POPULATION_COLUMNS))
    frame = pd.concat(parts, ignore_index=True)
    dup = frame.duplicated(["district_id", "year", "group"], keep="first")
    for _, row in frame[dup].head(20).iterrows():
        collector.error(
            row["file"],
            f"district {row['district_id']} already has a value for {row['group']} {row['year']}",
            row=int(row[ROW]),
        )
    if required_group not in set(frame["group"]):
        groups = sorted(set(frame["group"]))
        collector.error(
            "dataset.toml",
            f"population group {required_group!r} is required; the files give: {valid_list(groups)}; "
            f'map a column to it with groups = {{ {required_group} = "…" }}',
        )
    frame = frame[~dup].sort_values(["group", "year", "district_id"], kind="stable")
    return frame[list(POPULATION_COLUMNS)].reset_index(drop=True)


def check_districts_covered(
    population: pd.DataFrame, district_ids: pd.Series, collector: IssueCollector
) -> None:
    """Warn, per year, about districts that have no row for the ``total`` group.

    Their population is then missing (NaN) for that year; a placeholder in the source is not
    meant here (that is a row with a missing value and its reason).
    """
    totals = population[population["group"] == TOTAL]
    for year, rows in totals.groupby("year", sort=True):
        present = set(rows["district_id"])
        missing = [d for d in district_ids if d not in present]
        if missing:
            collector.warning(
                "dataset.toml",
                f"no {TOTAL} population for {int(year)} in {len(missing)} district(s): "
                f"{rows_text(missing)}; their population is missing for that year",
            )


def groups_of(population: pd.DataFrame) -> list[str]:
    """Population groups in the data: ``total`` first, then age groups by age, then the others.

    Examples
    --------
    >>> groups_of(pd.DataFrame({"group": ["65_plus", "6_to_15", "total", "eigene", "under_6"]}))
    ['total', 'under_6', '6_to_15', '65_plus', 'eigene']
    """
    return sorted(set(population["group"]), key=_group_order)


def _group_order(group: str) -> tuple[int, float, float, str]:
    """Sort key: ``total``, then ``under_N`` / ``A_to_B`` / ``N_plus`` by age range, then by id."""
    if group == TOTAL:
        return (0, 0.0, 0.0, group)
    if match := re.fullmatch(r"under_(\d+)", group):
        return (1, 0.0, float(match[1]), group)
    if match := re.fullmatch(r"(\d+)_to_(\d+)", group):
        return (1, float(match[1]), float(match[2]), group)
    if match := re.fullmatch(r"(\d+)_plus", group):
        return (1, float(match[1]), float("inf"), group)
    return (2, 0.0, 0.0, group)


def years_of(population: pd.DataFrame, group: str) -> list[int]:
    """Years for which ``group`` has values (at least one district not missing)."""
    rows = population[(population["group"] == group) & population["value"].notna()]
    return sorted(int(y) for y in set(rows["year"]))


def check_group(population: pd.DataFrame, group: str) -> None:
    """Raise :class:`CatalogueError` listing the valid groups if ``group`` is not in the data.

    Examples
    --------
    >>> check_group(pd.DataFrame({"group": ["total", "65_plus"]}), "65plus")
    Traceback (most recent call last):
    ...
    layers.errors.CatalogueError: unknown population group '65plus' (did you mean '65_plus'?); valid groups: total, 65_plus
    """
    groups = groups_of(population)
    if group not in groups:
        raise CatalogueError(
            f"unknown population group {group!r}{did_you_mean(group, groups)}; "
            f"valid groups: {valid_list(groups)}"
        )


def check_group_year(population: pd.DataFrame, group: str, year: int | None) -> int:
    """Validate ``group`` and ``year``; return the year (default: the group's latest).

    Raises
    ------
    CatalogueError
        If the group is unknown, or the year is in no group's data.
    MissingDataError
        If the year exists in the dataset but not for this group.
    """
    check_group(population, group)
    years = years_of(population, group)
    if not years:
        raise MissingDataError(f"population group {group!r} has no values in any year")
    if year is None:
        return years[-1]
    if year not in years:
        all_years = sorted(int(y) for y in set(population["year"]))
        if year in all_years:
            raise MissingDataError(
                f"population group {group!r} has no data for {year}; it is available for "
                f"{valid_list(years)}"
            )
        raise CatalogueError(
            f"year {year} is not in the data; years of group {group!r}: {valid_list(years)}"
        )
    return int(year)


def district_population(
    population: pd.DataFrame,
    district_ids: pd.Series | list[str],
    *,
    group: str = TOTAL,
    year: int | None = None,
) -> pd.Series:
    """Population of ``group`` in ``year`` per district (NaN where the source has no value).

    Parameters
    ----------
    population
        Long population table (``Dataset.population``).
    district_ids
        Districts in output order.
    group, year
        Group id and year; ``year=None`` is the group's latest year.

    Returns
    -------
    pandas.Series
        Indexed by district id, named ``value``; ``attrs["year"]`` holds the year used.
    """
    year = check_group_year(population, group, year)
    rows = population[(population["group"] == group) & (population["year"] == year)]
    values = rows.set_index("district_id")["value"]
    result = pd.Series(list(district_ids), dtype=object).map(values).astype(float)
    result.index = pd.Index(list(district_ids), name="district_id")
    result.name = "value"
    result.attrs["year"] = year
    result.attrs["group"] = group
    return result


def population_table(dataset: Dataset, *, group: str = TOTAL, year: int | None = None) -> pd.Series:
    """Population of ``group`` in ``year`` per district of ``dataset``, in districts-file order.

    Raises
    ------
    CatalogueError, MissingDataError
        For an unknown group or year (the message lists the valid ones).
    """
    return district_population(dataset.population, dataset.districts["id"], group=group, year=year)
