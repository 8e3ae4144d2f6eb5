"""Load population tables (district × year × group) and look up population per district."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from layers._io import PLACEHOLDER_REASON, Table
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
from layers.manifest import DerivedGroup, LayerSpec

if TYPE_CHECKING:
    import geopandas as gpd

    from layers.dataset import Dataset

POPULATION_COLUMNS = ("district_id", "year", "group", "value", "missing_reason")
TOTAL = "total"
EMPTY_REASON = "leere Zelle in der Quelle"


def load_population(
    spec: LayerSpec, districts: gpd.GeoDataFrame | None, collector: IssueCollector
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
    frame = select_rows(frame, spec, collector)
    if frame is None:
        return None
    group_map = _group_map(spec, collector)
    if group_map is None:
        return None
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
        kept = " after filter/exclude" if _selects(spec) else ""
        collector.error(spec.file, f"the population file has no rows{kept}")
        return None
    rows = frame[ROW].to_numpy()
    district_ids = _district_ids(frame, mapping, spec, districts, collector)
    years = _years(frame, mapping, spec, raw.table, collector)
    if years is None:
        return None
    if wide is not None:
        pairs = list(wide.items())
    else:
        group_values = (
            np.full(len(frame), str(fixed_group), dtype=object)
            if fixed_group is not None
            else clean_text(frame[mapping["group"]]).to_numpy()
        )
        if group_map:
            group_values = np.array([group_map.get(g, g) for g in group_values], dtype=object)
        if fixed_group is None and not _unique_per_file(
            frame, mapping, group_values, spec, collector
        ):
            return None
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


def _years(
    frame: pd.DataFrame,
    mapping: dict[str, str],
    spec: LayerSpec,
    table: Table | None,
    collector: IssueCollector,
) -> np.ndarray | None:
    """Year of every row: the table's fixed ``year``, or the year column checked cell by cell."""
    fixed_year = spec.option("year")
    if fixed_year is not None:
        if not isinstance(fixed_year, int):
            collector.error("dataset.toml", f"[population] {spec.file}: year must be an integer")
            return None
        return np.full(len(frame), fixed_year, dtype=float)
    rows = frame[ROW].to_numpy()
    years, _ = numeric_column(frame, mapping["year"], spec, table, collector, what="a year")
    bad = ~np.isnan(years) & (years != np.round(years))
    if bad.any():
        report_rows(
            collector, spec, rows[bad], years[bad], mapping["year"], "year is not a whole number"
        )
    empty = (clean_text(frame[mapping["year"]]) == "").to_numpy()
    if empty.any():
        report_rows(collector, spec, rows[empty], None, mapping["year"], "year is missing")
    return years


def _district_ids(
    frame: pd.DataFrame,
    mapping: dict[str, str],
    spec: LayerSpec,
    districts: gpd.GeoDataFrame | None,
    collector: IssueCollector,
) -> np.ndarray:
    """Map the file's district references to the ids as the districts file has them.

    Without ``districts`` (the districts layer failed to load) the references are kept as they
    are, so that the rest of the file can still be checked.
    """
    column = mapping["district"]
    if districts is None:
        return clean_text(frame[column]).to_numpy(dtype=object)
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
    if unknown.any() and not unknown.all():
        wide = spec.option("groups")
        read = {*mapping.values(), *(wide.values() if isinstance(wide, dict) else ())}
        hint = _filter_hint(frame, unknown, read)
        if hint:
            bad = list(dict.fromkeys(values[unknown]))
            collector.error(
                spec.file,
                f"unknown district {bad[0]!r} in rows {rows_text(rows[unknown].tolist())}; "
                f"{int(unknown.sum())} rows name {len(bad)} unknown district(s) "
                f"({valid_list(bad, limit=8)}): {hint}",
                row=int(rows[unknown][0]),
                column=column,
            )
            return ids.to_numpy(dtype=object)
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


def _selects(spec: LayerSpec) -> bool:
    return bool(spec.option("filter") or spec.option("exclude"))


def select_rows(
    frame: pd.DataFrame, spec: LayerSpec, collector: IssueCollector
) -> pd.DataFrame | None:
    """Apply the table's ``filter`` (keep matching rows) and ``exclude`` (drop them).

    Both map a column of the file to one value or a list of values; a row matches when its cell,
    as text with surrounding spaces removed, equals one of the values (also written as text:
    ``3`` matches the cell ``"3"`` but not ``"03"``). Several columns must all match.

    Returns
    -------
    pandas.DataFrame or None
        The rows kept (source rows in ``_row`` unchanged); ``None`` after reporting a bad key.
    """
    keep = np.ones(len(frame), dtype=bool)
    for key, wanted in (("filter", True), ("exclude", False)):
        rules = spec.option(key)
        if rules is None:
            continue
        if not isinstance(rules, dict) or not rules:
            collector.error(
                "dataset.toml",
                f'[population] {spec.file}: {key} must be a table such as {{ Raumebene = "Stadtteil" }}',
                column=key,
            )
            return None
        for column, raw_values in rules.items():
            values = raw_values if isinstance(raw_values, list) else [raw_values]
            if not values or not all(isinstance(v, str | int | float) for v in values):
                collector.error(
                    "dataset.toml",
                    f"[population] {spec.file}: {key} {column!r} must be a value or a list of values",
                    column=key,
                )
                return None
            if column not in frame.columns:
                shown = [c for c in frame.columns if c != ROW]
                collector.error(
                    spec.file,
                    f"column {column!r} named in {key} is not in the file"
                    f"{did_you_mean(column, shown)}; the file has: {valid_list(shown)}",
                    column=column,
                )
                return None
            texts = {str(v).strip() for v in values}
            matches = clean_text(frame[column]).isin(texts).to_numpy()
            keep &= matches if wanted else ~matches
    return frame.loc[keep].reset_index(drop=True)


def _group_map(spec: LayerSpec, collector: IssueCollector) -> dict[str, str] | None:
    """The table's ``group_map`` (the file's group values → group ids), checked."""
    raw = spec.option("group_map")
    if raw is None:
        return {}
    if not isinstance(raw, dict) or not all(isinstance(v, str) for v in raw.values()):
        collector.error(
            "dataset.toml",
            f'[population] {spec.file}: group_map must be a table such as {{ "Einwohner" = "total" }}',
            column="group_map",
        )
        return None
    if spec.option("groups") is not None:
        collector.warning(
            "dataset.toml",
            f"[population] {spec.file}: group_map is not used with groups (a wide file's groups "
            "are named in groups itself)",
            column="group_map",
        )
    return {str(k).strip(): v.strip() for k, v in raw.items()}


def _filter_hint(frame: pd.DataFrame, bad: np.ndarray, mapped: set[str]) -> str:
    """Name a column that tells the bad rows from the good ones, as a ``filter`` to add.

    Published statistics often mix area levels (city, Bezirke, Stadtteile) or several tables in
    one long file; a column such as ``Raumebene`` then separates the rows the dataset can use.
    """
    for column in frame.columns:
        if column in mapped or column == ROW:
            continue
        text = clean_text(frame[column])
        good_values = list(dict.fromkeys(text[~bad]))
        # a label column: few values, repeated on the good rows, none shared with the bad rows
        categorical = 0 < len(good_values) <= 3 and len(good_values) < int((~bad).sum())
        if categorical and not set(good_values) & set(text[bad]):
            return (
                f"the file seems to mix area levels or tables; keep the district rows with "
                f"filter = {{ {_toml_key(column)} = {_toml_values(good_values)} }} on this "
                "[[population]] table (see docs/dataset-format.md)"
            )
    return ""


def _toml_key(column: str) -> str:
    return column if re.fullmatch(r"[A-Za-z0-9_-]+", column) else f'"{column}"'


def _toml_values(values: list[str]) -> str:
    quoted = [f'"{v}"' for v in values]
    return quoted[0] if len(quoted) == 1 else f"[{', '.join(quoted)}]"


def _unique_per_file(
    frame: pd.DataFrame,
    mapping: dict[str, str],
    groups: np.ndarray,
    spec: LayerSpec,
    collector: IssueCollector,
) -> bool:
    """Report repeated (district, year, group) rows of one file caused by mixed tables.

    Only when a column the manifest does not read tells the repeated rows apart (a ``Tabelle``
    column, say); other repeats are reported by :func:`combine_population`.
    """
    keys = pd.DataFrame(
        {
            "district": district_id_keys(clean_text(frame[mapping["district"]])),
            "year": clean_text(frame[mapping["year"]]) if "year" in mapping else "",
            "group": groups,
        }
    )
    repeated = keys.duplicated(keep=False).to_numpy()
    if not repeated.any():
        return True
    subset = frame.loc[repeated]
    for column in frame.columns:
        if column in mapping.values() or column == ROW:
            continue
        text = clean_text(subset[column])
        per_key = text.groupby([keys.loc[repeated, c] for c in keys.columns]).nunique()
        if (per_key > 1).all():
            first = int(subset[ROW].iloc[0])
            values = list(dict.fromkeys(text))
            collector.error(
                spec.file,
                f"{int(repeated.sum())} rows repeat a district, year and group "
                f"(group {groups[repeated][0]!r}, rows {rows_text(subset[ROW].tolist())}); "
                f"column {column!r} tells them apart ({valid_list(values, limit=5)}): the file "
                "seems to hold several tables; keep one with "
                f"filter = {{ {_toml_key(column)} = {_toml_values(values[:1])} }}",
                row=first,
                column=column,
            )
            return False
    return True


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


def add_derived_groups(
    population: pd.DataFrame,
    derived: Sequence[DerivedGroup],
    collector: IssueCollector,
) -> pd.DataFrame:
    """Add the ``[[groups]]`` with ``sum_of``: each the sum of its parts per district and year.

    A derived value exists for every district and year in which at least one part has a row; it
    is missing (NaN, with a ``missing_reason`` naming the missing parts) when a part has no row
    or no value there. Definitions are applied in manifest order, so a later one may sum earlier
    ones.

    Returns
    -------
    pandas.DataFrame
        ``population`` with the derived rows appended (a new frame), sorted like
        :func:`combine_population`'s result.
    """
    frame = population
    for group in derived:
        present = set(frame["group"])
        if group.id in present:
            collector.error(
                "dataset.toml",
                f"[[groups]] {group.id}: sum_of defines a group the population files already "
                "give; rename the derived group or map the file's values with group_map",
                column="sum_of",
            )
            continue
        unknown = [p for p in group.parts if p not in present]
        if unknown:
            listed = "; ".join(f"{p!r}{did_you_mean(p, sorted(present))}" for p in unknown)
            collector.error(
                "dataset.toml",
                f"[[groups]] {group.id}: sum_of names group(s) not in the population files: "
                f"{listed}; the files give: {valid_list(groups_of(frame))}",
                column="sum_of",
            )
            continue
        frame = pd.concat([frame, _sum_parts(frame, group)], ignore_index=True)
    frame = frame.sort_values(["group", "year", "district_id"], kind="stable")
    return frame.reset_index(drop=True)


def _sum_parts(population: pd.DataFrame, group: DerivedGroup) -> pd.DataFrame:
    rows = population[population["group"].isin(group.parts)]
    keyed = rows.set_index(["district_id", "year", "group"])
    values = keyed["value"].unstack("group").reindex(columns=list(group.parts))
    reasons = keyed["missing_reason"].unstack("group").reindex(columns=list(group.parts))
    total = values.sum(axis=1, min_count=len(group.parts))
    missing_reason = []
    for key, row in values.iterrows():
        gaps = [
            f"{part!r} – {reasons.at[key, part] or 'unbekannt'}"
            if not pd.isna(reasons.at[key, part])
            else f"{part!r} – keine Zeile in der Quelle"
            for part in group.parts
            if np.isnan(row[part])
        ]
        missing_reason.append(
            f"Summe aus {', '.join(map(repr, group.parts))}; es fehlt {'; '.join(gaps)}"
            if gaps
            else ""
        )
    result = total.rename("value").reset_index()
    result["group"] = group.id
    result["missing_reason"] = missing_reason
    result["year"] = result["year"].astype(int)
    return result[list(POPULATION_COLUMNS)]


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
