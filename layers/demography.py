"""Demographic change per district and planning area between two years, and population series.

All functions work on the long population table of a dataset (``district_id``, ``year``,
``group``, ``value``, ``missing_reason``) and an area mapping (``district_id``, ``area_id``,
``area_name``, as returned by ``layers.areas.area_mapping``). Planning areas are aggregated by
summing counts, never by averaging percentages. A value that is not in the data stays missing
(NaN with a reason); it is never read as zero, and an area with one missing district is missing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import numpy as np
import pandas as pd

from layers._validate import valid_list
from layers.errors import CatalogueError, MissingColumnError
from layers.population import check_group

CITY_AREA_ID = "ALL"
"""Id of the row for the whole city in every table."""

TOTAL_GROUP = "total"
"""Group id of the whole population."""

PCT_DECIMALS = 2
"""Percentages are rounded to this many decimals."""

COMPOSITE_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("under_6", ("under_3", "3_to_6")),
    ("under_18", ("under_6", "6_to_15", "15_to_18")),
)
"""Groups derived by summing finer groups when a dataset does not give them directly."""

POPULATION_COLUMNS = ("district_id", "year", "group", "value")
MAPPING_COLUMNS = ("district_id", "area_id", "area_name")

MAX_LISTED = 5
"""Missing districts listed by name in a reason before it says '… und N weitere'."""

REASON_NOT_IN_DATA = "Gruppe '{group}' für {year} nicht in den Daten"
REASON_UNKNOWN = "Wert unbekannt"


def _require_columns(frame: pd.DataFrame, columns: Iterable[str], *, name: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise MissingColumnError(
            f"`{name}` lacks column(s) {', '.join(map(repr, missing))}; "
            f"it has {', '.join(map(repr, frame.columns))}."
        )


def identity_mapping(districts: pd.DataFrame) -> pd.DataFrame:
    """Return the district level mapping (every district its own area), in districts order.

    Parameters
    ----------
    districts
        Table with ``id`` and ``name`` (the dataset's districts).

    Returns
    -------
    pandas.DataFrame
        Columns ``district_id``, ``area_id``, ``area_name``.

    Examples
    --------
    >>> identity_mapping(pd.DataFrame({"id": ["01"], "name": ["Mitte"]}))
      district_id area_id area_name
    0          01      01     Mitte
    """
    _require_columns(districts, ("id", "name"), name="districts")
    ids = districts["id"].astype(str).to_numpy()
    return pd.DataFrame(
        {"district_id": ids, "area_id": ids, "area_name": districts["name"].astype(str).to_numpy()}
    )


def available_years(population: pd.DataFrame, *, group: str | None = None) -> list[int]:
    """Return the sorted years of ``population`` (of one group when ``group`` is given)."""
    rows = population if group is None else population[population["group"] == group]
    return sorted(int(y) for y in rows["year"].unique())


def check_year(population: pd.DataFrame, year: int, *, what: str = "year") -> None:
    """Raise :class:`CatalogueError` listing the valid years if ``year`` is in no group's data."""
    years = available_years(population)
    if int(year) not in years:
        raise CatalogueError(f"unknown {what} {year}; valid years: {valid_list(years)}")


def with_composite_groups(population: pd.DataFrame) -> pd.DataFrame:
    """Add the groups of :data:`COMPOSITE_GROUPS` that the data lacks, as sums of finer groups.

    A composite value is computed for a district and year only when every part is present in the
    data; it is NaN (with a reason naming the missing parts) when a part is unknown. A composite
    group the data already holds is left as it is.

    Parameters
    ----------
    population
        Long population table.

    Returns
    -------
    pandas.DataFrame
        ``population`` plus the derived rows (a new frame).
    """
    _require_columns(population, POPULATION_COLUMNS, name="population")
    frame = population.copy()
    if "missing_reason" not in frame.columns:
        frame["missing_reason"] = pd.Series(pd.NA, index=frame.index, dtype="object")
    for composite, parts in COMPOSITE_GROUPS:
        groups = set(frame["group"].astype(str))
        if composite in groups or not set(parts) <= groups:
            continue
        rows = frame[frame["group"].isin(parts)]
        keyed = rows.drop_duplicates(["district_id", "year", "group"], keep="last")
        wide = keyed.set_index(["district_id", "year", "group"])["value"].unstack("group")
        present = keyed.groupby(["district_id", "year"])["group"].nunique()
        complete = present.index[present.to_numpy() == len(parts)]
        wide = wide.reindex(complete)[list(parts)]
        derived = wide.sum(axis=1, min_count=len(parts)).rename("value").reset_index()
        derived["group"] = composite
        derived["missing_reason"] = pd.Series(
            [
                "Teilgruppe(n) " + ", ".join(p for p in parts if np.isnan(row[p])) + " unbekannt"
                if row.isna().any()
                else pd.NA
                for _, row in wide.iterrows()
            ],
            dtype="object",
        )
        columns = [c for c in frame.columns if c in derived.columns]
        frame = pd.concat([frame, derived[columns]], ignore_index=True)
    return frame


def area_values(
    population: pd.DataFrame, mapping: pd.DataFrame, *, group: str, year: int, city_name: str
) -> pd.DataFrame:
    """Sum a group's population per area for one year, keeping unknown values missing.

    Parameters
    ----------
    population
        Long population table (``district_id``, ``year``, ``group``, ``value``, optional
        ``missing_reason`` and ``projected``).
    mapping
        Area mapping (``district_id``, ``area_id``, ``area_name``) in districts order.
    group, year
        What to sum.
    city_name
        Name of the ``ALL`` row.

    Returns
    -------
    pandas.DataFrame
        One row per area in mapping order, then ``ALL``: ``area_id``, ``area_name``, ``value``
        (NaN when any district of the area is unknown), ``missing_reason``, ``projected``.
    """
    _require_columns(population, POPULATION_COLUMNS, name="population")
    _require_columns(mapping, MAPPING_COLUMNS, name="mapping")
    rows = population[(population["group"] == group) & (population["year"] == int(year))]
    rows = rows.drop_duplicates("district_id", keep="last").set_index("district_id")
    districts = mapping["district_id"].astype(str)
    value = rows["value"].reindex(districts).to_numpy(dtype=float)
    if "missing_reason" in rows.columns:
        reason = rows["missing_reason"].reindex(districts).to_numpy(dtype=object)
    else:
        reason = np.full(len(districts), None, dtype=object)
    in_data = districts.isin(rows.index).to_numpy()
    projected = (
        rows["projected"].reindex(districts).fillna(False).astype(bool).to_numpy()
        if "projected" in rows.columns
        else np.zeros(len(districts), dtype=bool)
    )
    per_district = pd.DataFrame(
        {
            "district_id": districts.to_numpy(),
            "area_id": mapping["area_id"].astype(str).to_numpy(),
            "area_name": mapping["area_name"].astype(str).to_numpy(),
            "value": value,
            "projected": projected,
        }
    )
    per_district["reason"] = [
        None
        if not np.isnan(v)
        else (
            REASON_NOT_IN_DATA.format(group=group, year=year)
            if not present
            else (r if isinstance(r, str) and r else REASON_UNKNOWN)
        )
        for v, present, r in zip(value, in_data, reason, strict=True)
    ]
    city_value, city_reason = _city_total(rows, per_district, mapping, group=group, year=year)
    level_is_district = bool((per_district["district_id"] == per_district["area_id"]).all())
    grouped = per_district.groupby("area_id", sort=False)
    areas = pd.DataFrame(
        {
            "area_name": grouped["area_name"].first(),
            "value": grouped["value"].sum(),
            "size": grouped.size(),
            "projected": grouped["projected"].any(),
        }
    )
    unknown = per_district[per_district["value"].isna()]
    reasons: dict[str, str] = {}
    for area_id, part in unknown.groupby("area_id", sort=False):
        reasons[str(area_id)] = _missing_text(
            part, int(areas.loc[area_id, "size"]), single=level_is_district
        )
    ids = [str(a) for a in areas.index]
    frame = pd.DataFrame(
        {
            "area_id": [*ids, CITY_AREA_ID],
            "area_name": [*areas["area_name"].astype(str), city_name],
            "value": [
                *np.where([a in reasons for a in ids], np.nan, areas["value"].to_numpy(float)),
                city_value,
            ],
            "projected": [*areas["projected"].astype(bool), bool(per_district["projected"].any())],
        }
    )
    # object dtype keeps None (not NaN) for "no reason", so JSON output stays valid
    frame.insert(
        3,
        "missing_reason",
        pd.Series([*(reasons.get(a) for a in ids), city_reason], dtype=object),
    )
    return frame


def _city_total(
    rows: pd.DataFrame, per_district: pd.DataFrame, mapping: pd.DataFrame, *, group: str, year: int
) -> tuple[float, str | None]:
    """Value and missing reason of the ``ALL`` row: the mapped districts, or the whole city.

    A level whose areas cover only some districts (a grouping) marks its mapping with every
    district of the city (``attrs["city_districts"]``); the city row then sums all of them.
    """
    city = mapping.attrs.get("city_districts")
    everything = per_district[["district_id", "value", "reason"]]
    if city:
        mapped = set(per_district["district_id"])
        extra = [d for d in map(str, city) if d not in mapped]
        values = rows["value"].reindex(extra).to_numpy(dtype=float)
        given = rows["missing_reason"] if "missing_reason" in rows.columns else None
        reasons = [
            None
            if not np.isnan(value)
            else REASON_NOT_IN_DATA.format(group=group, year=year)
            if district not in rows.index
            else _given_reason(given, district)
            for district, value in zip(extra, values, strict=True)
        ]
        rest_frame = pd.DataFrame({"district_id": extra, "value": values, "reason": reasons})
        everything = pd.concat([everything, rest_frame], ignore_index=True)
    unknown = everything[everything["value"].isna()]
    if len(unknown):
        return np.nan, _missing_text(unknown, len(everything), single=False)
    return float(everything["value"].sum()), None


def _given_reason(reasons: pd.Series | None, district: str) -> str:
    """The source's reason for a missing district value (or the generic one)."""
    reason = None if reasons is None else reasons.get(district)
    return reason if isinstance(reason, str) and reason else REASON_UNKNOWN


def _missing_text(unknown: pd.DataFrame, size: int, *, single: bool) -> str:
    """Say why an area of ``size`` districts is missing, naming its ``unknown`` districts."""
    reasons = list(dict.fromkeys(unknown["reason"]))
    if single and size == 1:
        return str(reasons[0])
    if len(unknown) == size and len(reasons) == 1:
        return f"fehlt für alle {size} Stadtteile: {reasons[0]}"
    pairs = [f"{d}: {r}" for d, r in zip(unknown["district_id"], unknown["reason"], strict=True)]
    listed = "; ".join(pairs[:MAX_LISTED])
    if len(pairs) > MAX_LISTED:
        listed += f"; … und {len(pairs) - MAX_LISTED} weitere"
    return f"fehlt für {len(unknown)} von {size} Stadtteil(en) ({listed})"


def change_table(
    population: pd.DataFrame,
    mapping: pd.DataFrame,
    *,
    group: str,
    year_from: int,
    year_to: int,
    city_name: str,
    values: Callable[[str, int], pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """Compute the change of a group's population per area between two years.

    Parameters
    ----------
    population
        Long population table.
    mapping
        Area mapping (``district_id``, ``area_id``, ``area_name``) in districts order; use
        :func:`identity_mapping` for districts.
    group
        Population group id (for example ``"total"`` or ``"65_plus"``).
    year_from, year_to
        The two years compared.
    city_name
        Name of the ``ALL`` row.
    values
        ``values(group, year)``: the :func:`area_values` of ``population`` and ``mapping`` for a
        group and year, from a caller that keeps them (a profile reads the same years of the
        total population for every group); default computes them.

    Returns
    -------
    pandas.DataFrame
        One row per area in mapping order, then ``ALL``, with ``area_id``, ``area_name``,
        ``value_from``, ``value_to``, ``change`` (``value_to - value_from``), ``change_pct``
        (percent of ``value_from``, 2 decimals), ``share_from_pct`` and ``share_to_pct`` (share
        of the total population in percent, where both are known), ``missing_reason`` and
        ``projected`` (``value_to`` or ``value_from`` comes from a projection).

    Raises
    ------
    CatalogueError
        If the group or a year is not in the data at all (the message lists the valid ones).

    Examples
    --------
    >>> pop = pd.DataFrame({"district_id": ["1", "1", "2", "2"], "year": [2010, 2020] * 2,
    ...                     "group": "total", "value": [100.0, 110.0, 50.0, 40.0]})
    >>> mapping = pd.DataFrame({"district_id": ["1", "2"], "area_id": ["A", "A"],
    ...                         "area_name": ["Nord", "Nord"]})
    >>> change_table(pop, mapping, group="total", year_from=2010, year_to=2020,
    ...              city_name="Stadt")[["area_id", "value_from", "value_to", "change_pct"]]
      area_id  value_from  value_to  change_pct
    0       A       150.0     150.0         0.0
    1     ALL       150.0     150.0         0.0
    """
    check_group(population, group)
    check_year(population, year_from, what="start year")
    check_year(population, year_to, what="end year")
    if values is None:

        def values(group: str, year: int) -> pd.DataFrame:
            return area_values(population, mapping, group=group, year=year, city_name=city_name)

    start, end = values(group, year_from), values(group, year_to)
    out = pd.DataFrame({"area_id": start["area_id"], "area_name": start["area_name"]})
    out["value_from"] = start["value"]
    out["value_to"] = end["value"]
    out["change"] = out["value_to"] - out["value_from"]
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = np.where(out["value_from"] > 0, out["change"] / out["value_from"] * 100.0, np.nan)
    out["change_pct"] = np.round(pct, PCT_DECIMALS)
    if group == TOTAL_GROUP:
        share_from = np.where(out["value_from"].notna(), 100.0, np.nan)
        share_to = np.where(out["value_to"].notna(), 100.0, np.nan)
    else:
        total_from = values(TOTAL_GROUP, year_from)["value"].to_numpy()
        total_to = values(TOTAL_GROUP, year_to)["value"].to_numpy()
        with np.errstate(divide="ignore", invalid="ignore"):
            share_from = np.where(total_from > 0, out["value_from"] / total_from * 100.0, np.nan)
            share_to = np.where(total_to > 0, out["value_to"] / total_to * 100.0, np.nan)
    out["share_from_pct"] = np.round(share_from, PCT_DECIMALS)
    out["share_to_pct"] = np.round(share_to, PCT_DECIMALS)
    reasons = []
    for r_from, r_to, v_from in zip(
        start["missing_reason"], end["missing_reason"], out["value_from"], strict=True
    ):
        parts = []
        if isinstance(r_from, str) and r_from:
            parts.append(f"{year_from}: {r_from}")
        if isinstance(r_to, str) and r_to:
            parts.append(f"{year_to}: {r_to}")
        if not parts and v_from == 0:
            parts.append(f"{year_from}: Ausgangswert 0, keine prozentuale Veränderung")
        reasons.append("; ".join(parts) if parts else None)
    out["missing_reason"] = pd.Series(reasons, dtype="object")
    out["projected"] = start["projected"].to_numpy() | end["projected"].to_numpy()
    return out


def population_series(
    population: pd.DataFrame,
    mapping: pd.DataFrame,
    *,
    group: str,
    city_name: str,
    years: Sequence[int] | None = None,
) -> pd.DataFrame:
    """Return the population of a group per area and year, for charts.

    Parameters
    ----------
    population, mapping, group, city_name
        As for :func:`change_table`.
    years
        Years to include; default every year of the data (of any group), so that years where the
        group is not given appear as missing.

    Returns
    -------
    pandas.DataFrame
        Long table ``area_id``, ``area_name``, ``year``, ``value``, ``missing_reason``,
        ``projected``; areas in mapping order then ``ALL``, years ascending.
    """
    check_group(population, group)
    chosen = available_years(population) if years is None else [int(y) for y in years]
    if mapping.attrs.get("city_districts"):
        # the city row needs districts outside the mapping: the per-year path sums them
        values, flags, incomplete = None, None, list(chosen)
    else:
        values, flags, incomplete = _complete_years(population, mapping, group=group, years=chosen)
    parts = []
    if values is not None and values.shape[1]:
        parts.append(_complete_area_values(values, flags, mapping, city_name=city_name))
    given = set(population.loc[population["group"] == group, "year"].astype(int))
    absent = [year for year in incomplete if year not in given]
    if absent:
        parts.append(_absent_area_values(absent, mapping, group=group, city_name=city_name))
    incomplete = [year for year in incomplete if year in given]
    # Years with a missing district need the per-year path that explains why.
    for year in incomplete:
        part = area_values(population, mapping, group=group, year=year, city_name=city_name)
        part.insert(2, "year", year)
        parts.append(part)
    if not parts:
        return pd.DataFrame(
            columns=["area_id", "area_name", "year", "value", "missing_reason", "projected"]
        )
    frame = pd.concat(parts, ignore_index=True)
    order = {a: i for i, a in enumerate(dict.fromkeys(frame["area_id"]))}
    frame = frame.sort_values(
        ["area_id", "year"], key=lambda s: s.map(order) if s.name == "area_id" else s, kind="stable"
    )
    return frame.reset_index(drop=True)


def _complete_years(
    population: pd.DataFrame, mapping: pd.DataFrame, *, group: str, years: Sequence[int]
) -> tuple[pd.DataFrame, pd.DataFrame, list[int]]:
    """Split ``years`` into those where every district has a value and the rest.

    Returns
    -------
    values, flags, incomplete
        The district values and projected flags of the complete years (rows in mapping order,
        one column a year); the remaining years as a list.
    """
    rows = population[population["group"] == group].drop_duplicates(
        ["district_id", "year"], keep="last"
    )
    districts = mapping["district_id"].astype(str).to_numpy()
    keyed = rows.set_index(["district_id", "year"])
    values = keyed["value"].unstack("year").reindex(index=districts, columns=list(years))
    values = values.astype(float)
    if "projected" in rows.columns:
        flags = keyed["projected"].unstack("year")
        flags = flags.reindex(index=districts, columns=list(years)).fillna(False).astype(bool)
    else:
        flags = pd.DataFrame(False, index=districts, columns=list(years))
    known = values.notna().all(axis=0).to_numpy()
    incomplete = [int(y) for y, k in zip(years, known, strict=True) if not k]
    return values.loc[:, known], flags.loc[:, known], incomplete


def _complete_area_values(
    values: pd.DataFrame, flags: pd.DataFrame, mapping: pd.DataFrame, *, city_name: str
) -> pd.DataFrame:
    """Area sums (then the city) of every year where every district has a value, at once.

    ``values`` and ``flags`` come from :func:`_complete_years`; the rows are year by year, areas
    in mapping order then ``ALL``.
    """
    area_ids = mapping["area_id"].astype(str).to_numpy()
    names = mapping["area_name"].astype(str).to_numpy()
    order = list(dict.fromkeys(area_ids))
    first_name = dict(zip(area_ids[::-1], names[::-1], strict=True))
    years = [int(y) for y in values.columns]
    by_area = values.set_axis(area_ids).groupby(level=0, sort=False)
    sums = by_area.sum().reindex(order).to_numpy(float)
    projected = flags.set_axis(area_ids).groupby(level=0, sort=False).any().reindex(order)
    # per year over contiguous rows: the same summation as a Series' sum of that year
    city = np.ascontiguousarray(values.to_numpy(float).T).sum(axis=1)
    value_rows = np.vstack([sums, city[np.newaxis, :]])
    projected_rows = np.vstack(
        [projected.to_numpy(bool), flags.to_numpy(bool).any(axis=0)[np.newaxis, :]]
    )
    per_year = len(order) + 1
    return pd.DataFrame(
        {
            "area_id": np.tile(np.array([*order, CITY_AREA_ID], dtype=object), len(years)),
            "area_name": np.tile(
                np.array([*(first_name[a] for a in order), city_name], dtype=object), len(years)
            ),
            "year": np.repeat(np.array(years, dtype=np.int64), per_year),
            "value": value_rows.T.reshape(-1),
            "missing_reason": pd.Series([None] * (per_year * len(years)), dtype=object),
            "projected": projected_rows.T.reshape(-1),
        }
    )


def _absent_area_values(
    years: Sequence[int], mapping: pd.DataFrame, *, group: str, city_name: str
) -> pd.DataFrame:
    """Rows for years in which the group is not in the data at all (every area missing)."""
    area_ids = mapping["area_id"].astype(str).to_numpy()
    names = mapping["area_name"].astype(str).to_numpy()
    sizes = pd.Series(area_ids).value_counts(sort=False)
    order = list(dict.fromkeys(area_ids))
    first_name = dict(zip(area_ids[::-1], names[::-1], strict=True))
    single = bool((mapping["district_id"].astype(str) == mapping["area_id"].astype(str)).all())
    frames = []
    for year in years:
        reason = REASON_NOT_IN_DATA.format(group=group, year=year)
        texts = [
            reason
            if single and sizes[a] == 1
            else f"fehlt für alle {sizes[a]} Stadtteile: {reason}"
            for a in order
        ]
        frames.append(
            pd.DataFrame(
                {
                    "area_id": [*order, CITY_AREA_ID],
                    "area_name": [*(first_name[a] for a in order), city_name],
                    "year": int(year),
                    "value": np.nan,
                    "missing_reason": pd.Series(
                        [*texts, f"fehlt für alle {len(area_ids)} Stadtteile: {reason}"],
                        dtype=object,
                    ),
                    "projected": False,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


JUMP_THRESHOLD = 0.2
"""A change of more than a fifth from one year of a series to the next is flagged as a jump."""

JUMP_COLUMNS = (
    "area_id",
    "year_from",
    "year_to",
    "value_from",
    "value_to",
    "change",
    "reverts",
)


def series_jumps(series: pd.DataFrame, *, threshold: float = JUMP_THRESHOLD) -> pd.DataFrame:
    """Find jumps in population series: a step between neighbouring years of more than ``threshold``.

    Such a jump is often no demographic change but a break in the series (a reception centre
    opened and closed, a boundary moved, a register cleaned). The values are never smoothed;
    the jump is reported so that a profile or a change table can say so next to the numbers.

    Parameters
    ----------
    series
        Long table with ``area_id``, ``year`` and ``value`` (as :func:`population_series`).
    threshold
        Relative change (0.2 = a fifth) above which a step counts as a jump.

    Returns
    -------
    pandas.DataFrame
        :data:`JUMP_COLUMNS`: one row per jump; ``change`` as a fraction of ``value_from``;
        ``reverts`` when the next step goes back by at least half of the jump. Steps across a
        missing value are not compared.

    Examples
    --------
    >>> s = pd.DataFrame({"area_id": "07", "year": [2013, 2014, 2015, 2016],
    ...                   "value": [20295, 24111, 29430, 22808]})
    >>> series_jumps(s)[["year_from", "year_to", "reverts"]].values.tolist()
    [[2014, 2015, True], [2015, 2016, False]]
    """
    _require_columns(series, ("area_id", "year", "value"), name="series")
    rows = []
    for area_id, part in series.sort_values("year").groupby("area_id", sort=False):
        years = part["year"].astype(int).to_numpy()
        values = part["value"].to_numpy(dtype=float)
        for i in range(1, len(values)):
            before, after = values[i - 1], values[i]
            if not (np.isfinite(before) and np.isfinite(after)) or before <= 0:
                continue
            change = (after - before) / before
            if abs(change) <= threshold:
                continue
            step_back = values[i + 1] - after if i + 1 < len(values) else np.nan
            reverts = bool(
                np.isfinite(step_back)
                and -step_back * np.sign(after - before) >= 0.5 * abs(after - before)
            )
            rows.append(
                (str(area_id), int(years[i - 1]), int(years[i]), before, after, change, reverts)
            )
    return pd.DataFrame(rows, columns=list(JUMP_COLUMNS))
