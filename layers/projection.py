"""Population to a future year: a simple documented trend, or an official forecast table.

The trend is fitted per district and group on the observed years (ordinary least squares of the
value on the year, ``method="linear"``, or of its logarithm, ``method="exponential"``), optionally
on the last ``fit_years`` observed years only, and clipped at 0. It is a
"Trendfortschreibung, keine amtliche Prognose": every projected row says so, with the method,
the years used and the fit (R²). An official small-area forecast in the population format can be
loaded instead with :func:`read_forecast` and merged with :func:`merge_forecast`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

from layers._validate import valid_list
from layers.errors import DatasetError, ParameterError

if TYPE_CHECKING:
    import geopandas as gpd

    from layers.dataset import Dataset

ProjectionMethod = Literal["linear", "exponential"]
"""Trend shape: a straight line, or constant annual growth (a line on the log scale)."""

PROJECTION_METHODS: tuple[ProjectionMethod, ...] = ("linear", "exponential")

PROJECTION_LABEL = "Trendfortschreibung, keine amtliche Prognose"
"""Label shown with every projected number."""

FORECAST_LABEL = "amtliche Prognose"
"""Default label of rows that come from an official forecast table."""

PROJECTION_DECIMALS = 1
"""Projected values are rounded to 0.1 person (they are estimates, not counts)."""

MIN_FIT_YEARS = 2
"""A trend needs at least this many observed years."""

MAX_HORIZON_YEARS = 50
"""Projections further than this beyond the last observed year are refused."""

FIT_COLUMNS = (
    "district_id",
    "group",
    "method",
    "years_used",
    "n_years",
    "slope_per_year",
    "r2",
    "last_year",
    "last_value",
    "note",
)


def _observed(population: pd.DataFrame) -> pd.DataFrame:
    rows = population[population["value"].notna()]
    if "projected" in rows.columns:
        rows = rows[~rows["projected"].fillna(False).astype(bool)]
    return rows


def _check_method(method: str, fit_years: int | None) -> None:
    if method not in PROJECTION_METHODS:
        raise ParameterError(
            f"unknown projection method {method!r}; valid methods: {valid_list(PROJECTION_METHODS)}"
        )
    if fit_years is not None and fit_years < MIN_FIT_YEARS:
        raise ParameterError(f"fit_years must be at least {MIN_FIT_YEARS}, got {fit_years}")


def fit_trends(
    population: pd.DataFrame,
    *,
    method: ProjectionMethod = "linear",
    fit_years: int | None = None,
) -> pd.DataFrame:
    """Fit a trend per district and group on the observed (not projected, not missing) values.

    Parameters
    ----------
    population
        Long population table (``district_id``, ``year``, ``group``, ``value``).
    method
        ``"linear"`` (least squares of value on year) or ``"exponential"`` (least squares of
        log value on year, i.e. a constant annual growth rate).
    fit_years
        Use only the last ``fit_years`` observed years of each series; ``None`` = all years.

    Returns
    -------
    pandas.DataFrame
        :data:`FIT_COLUMNS`; ``slope_per_year`` is persons per year for ``linear`` and the
        annual growth rate in percent for ``exponential``; ``r2`` is the coefficient of
        determination on the fitted scale; ``note`` says why a series cannot be projected
        (then slope and r2 are NaN).

    Raises
    ------
    ParameterError
        For an unknown method or ``fit_years`` below 2.
    """
    return _fit_table(population, method=method, fit_years=fit_years)[list(FIT_COLUMNS)]


def _fit_table(
    population: pd.DataFrame, *, method: ProjectionMethod, fit_years: int | None
) -> pd.DataFrame:
    _check_method(method, fit_years)
    rows = _observed(population).sort_values("year", kind="stable")
    records = []
    for (district, group), part in rows.groupby(["district_id", "group"], sort=False):
        if fit_years is not None:
            part = part.tail(fit_years)
        years = part["year"].to_numpy(dtype=float)
        values = part["value"].to_numpy(dtype=float)
        record = {
            "district_id": district,
            "group": group,
            "method": method,
            "years_used": f"{int(years.min())}–{int(years.max())}",
            "n_years": len(years),
            "slope_per_year": np.nan,
            "r2": np.nan,
            "last_year": int(years.max()),
            "last_value": float(values[-1]),
            "note": "",
            "intercept_raw": np.nan,
        }
        if len(years) < MIN_FIT_YEARS:
            record["note"] = f"nur {len(years)} Beobachtungsjahr, kein Trend berechenbar"
        elif method == "exponential" and (values <= 0).any():
            record["note"] = "Wert 0 in der Reihe, exponentieller Trend nicht möglich"
        else:
            target = np.log(values) if method == "exponential" else values
            slope, intercept = np.polyfit(years, target, 1)
            fitted = slope * years + intercept
            ss_res = float(((target - fitted) ** 2).sum())
            ss_tot = float(((target - target.mean()) ** 2).sum())
            record["r2"] = (1.0 - ss_res / ss_tot) if ss_tot > 0 else (1.0 if ss_res == 0 else 0.0)
            record["slope_per_year"] = (
                (np.exp(slope) - 1.0) * 100.0 if method == "exponential" else float(slope)
            )
            record["intercept_raw"] = float(intercept)
            record["slope_raw"] = float(slope)
        records.append(record)
    frame = pd.DataFrame(records)
    if frame.empty:
        return pd.DataFrame(columns=[*FIT_COLUMNS, "slope_raw", "intercept_raw"])
    if "slope_raw" not in frame.columns:
        frame["slope_raw"] = np.nan
    return frame


def project_population(
    population: pd.DataFrame,
    *,
    target_year: int,
    method: ProjectionMethod = "linear",
    fit_years: int | None = None,
) -> pd.DataFrame:
    """Project every district and group from the year after the data up to ``target_year``.

    Parameters
    ----------
    population
        Long population table.
    target_year
        Last projected year; must be after the last year of the data.
    method, fit_years
        See :func:`fit_trends`.

    Returns
    -------
    pandas.DataFrame
        ``district_id``, ``year``, ``group``, ``value`` (clipped at 0; NaN where no trend can be
        fitted), ``missing_reason``, ``projected`` (True), ``projection`` (label with method,
        years used and R²), ``r2``.

    Raises
    ------
    ParameterError
        If ``target_year`` is not after the data or more than 50 years ahead, or for an unknown
        method.

    Examples
    --------
    >>> pop = pd.DataFrame({"district_id": "1", "year": [2019, 2020, 2021], "group": "total",
    ...                     "value": [100.0, 110.0, 120.0]})
    >>> project_population(pop, target_year=2023)[["year", "value"]]
       year  value
    0  2022  130.0
    1  2023  140.0
    """
    _check_method(method, fit_years)
    observed_years = sorted(int(y) for y in _observed(population)["year"].unique())
    if not observed_years:
        raise ParameterError("the population table has no observed values to project from")
    last = observed_years[-1]
    if int(target_year) <= last:
        raise ParameterError(
            f"target year {target_year} is not after the last observed year {last}; "
            f"observed years: {valid_list(observed_years)}"
        )
    if int(target_year) - last > MAX_HORIZON_YEARS:
        raise ParameterError(
            f"target year {target_year} is more than {MAX_HORIZON_YEARS} years after the data "
            f"({last}); a trend that far ahead is meaningless"
        )
    fits = _fit_table(population, method=method, fit_years=fit_years)
    years = np.arange(last + 1, int(target_year) + 1)
    parts = []
    for fit in fits.itertuples(index=False):
        if fit.note:
            values = np.full(len(years), np.nan)
            reason = f"{PROJECTION_LABEL}: {fit.note}"
            clipped = False
        else:
            raw = fit.slope_raw * years + fit.intercept_raw
            values = np.exp(raw) if method == "exponential" else raw
            clipped = bool((values < 0).any())
            values = np.round(np.clip(values, 0.0, None), PROJECTION_DECIMALS)
            reason = ""
        label = f"{PROJECTION_LABEL} ({method}, {fit.years_used}"
        label += f", R² = {fit.r2:.2f})" if not np.isnan(fit.r2) else ")"
        if clipped:
            label += ", bei 0 abgeschnitten"
        parts.append(
            pd.DataFrame(
                {
                    "district_id": fit.district_id,
                    "year": years,
                    "group": fit.group,
                    "value": values,
                    "missing_reason": reason,
                    "projected": True,
                    "projection": label,
                    "r2": fit.r2,
                }
            )
        )
    if not parts:
        return pd.DataFrame(
            columns=[
                "district_id",
                "year",
                "group",
                "value",
                "missing_reason",
                "projected",
                "projection",
                "r2",
            ]
        )
    return pd.concat(parts, ignore_index=True)


def extend_population(
    population: pd.DataFrame,
    *,
    target_year: int,
    method: ProjectionMethod = "linear",
    fit_years: int | None = None,
) -> pd.DataFrame:
    """Return ``population`` plus projected rows up to ``target_year``, flagged ``projected``.

    Use this when a year beyond the data is asked for (for example ``coverage --year 2030``):
    the result has the same columns as the dataset's population plus ``projected`` (False for
    observed rows) and ``projection`` (the label, empty for observed rows). When
    ``target_year`` is already in the data, the population is returned unchanged (with the two
    columns added).

    Parameters
    ----------
    population
        Long population table of a dataset.
    target_year
        Year to reach.
    method, fit_years
        See :func:`fit_trends`.

    Returns
    -------
    pandas.DataFrame
    """
    base = population.copy()
    if "projected" not in base.columns:
        base["projected"] = False
    if "projection" not in base.columns:
        base["projection"] = ""
    if int(target_year) in {int(y) for y in base["year"].unique()}:
        return base
    extra = project_population(
        population, target_year=target_year, method=method, fit_years=fit_years
    )
    extra = extra.drop(columns=["r2"])
    for column in base.columns:
        if column not in extra.columns:
            extra[column] = "" if base[column].dtype == object else np.nan
    out = pd.concat([base, extra[base.columns]], ignore_index=True)
    out["projected"] = out["projected"].astype(bool)
    return out


def with_projection(
    dataset: Dataset,
    *,
    target_year: int,
    method: ProjectionMethod = "linear",
    fit_years: int | None = None,
) -> Dataset:
    """Return a copy of ``dataset`` whose population reaches ``target_year`` (see above).

    Functions that take a dataset and a year (``population_table``, ``resident_weights``, the
    coverage engine) then work for the projected year; check ``is_projected_year`` to say so.
    """
    extended = extend_population(
        dataset.population, target_year=target_year, method=method, fit_years=fit_years
    )
    return dataclasses.replace(dataset, population=extended)


def is_projected_year(population: pd.DataFrame, year: int) -> bool:
    """Whether the values of ``year`` come from a projection or forecast (not observed)."""
    if "projected" not in population.columns:
        return False
    rows = population[population["year"] == int(year)]
    return bool(len(rows)) and bool(rows["projected"].fillna(False).astype(bool).all())


def projection_label(population: pd.DataFrame, year: int) -> str | None:
    """Return the label of the projected values of ``year`` (None when observed)."""
    if not is_projected_year(population, year) or "projection" not in population.columns:
        return None
    labels = population.loc[population["year"] == int(year), "projection"].dropna()
    labels = [str(x) for x in labels if str(x)]
    if not labels:
        return PROJECTION_LABEL
    first = labels[0]
    return first.split(" (")[0] if len(set(labels)) > 1 else first


def read_forecast(
    path: str | Path,
    districts: gpd.GeoDataFrame,
    *,
    columns: Mapping[str, str] | None = None,
    groups: Mapping[str, str] | None = None,
    year: int | None = None,
    group: str | None = None,
    label: str = FORECAST_LABEL,
) -> pd.DataFrame:
    """Read an official forecast table in the population format (see docs/dataset-format.md).

    The file is read exactly like a ``[[population]]`` table of a manifest: long
    (``district``, ``year``, ``group``, ``value``) or wide with ``groups``; ``columns`` maps the
    canonical names to the file's own.

    Parameters
    ----------
    path
        CSV file of the forecast.
    districts
        The dataset's districts (ids are matched as in the population tables).
    columns, groups, year, group
        As the keys of a ``[[population]]`` table.
    label
        Shown with every forecast value (default "amtliche Prognose").

    Returns
    -------
    pandas.DataFrame
        Population rows with ``projected`` True and ``projection`` = ``label``.

    Raises
    ------
    DatasetError
        If the file has errors (each issue names file, row and column).
    """
    from layers._validate import IssueCollector
    from layers.manifest import LayerSpec
    from layers.population import POPULATION_COLUMNS, load_population

    path = Path(path)
    options: dict[str, object] = {}
    if groups is not None:
        options["groups"] = dict(groups)
    if year is not None:
        options["year"] = int(year)
    if group is not None:
        options["group"] = group
    spec = LayerSpec(
        kind="population",
        path=path,
        file=path.name,
        columns=MappingProxyType(dict(columns or {})),
        options=MappingProxyType(options),
    )
    collector = IssueCollector()
    frame = load_population(spec, districts, collector)
    if frame is None or collector.has_errors:
        raise DatasetError(f"forecast table {path.name} has errors", collector.issues)
    out = frame[list(POPULATION_COLUMNS)].copy()
    out["projected"] = True
    out["projection"] = label
    return out.reset_index(drop=True)


def merge_forecast(population: pd.DataFrame, forecast: pd.DataFrame) -> pd.DataFrame:
    """Add forecast rows for the years after the observed data; observed values take precedence.

    Parameters
    ----------
    population
        Observed population.
    forecast
        Rows from :func:`read_forecast`.

    Returns
    -------
    pandas.DataFrame
        The population with ``projected``/``projection`` columns and the forecast's later years.
    """
    base = population.copy()
    if "projected" not in base.columns:
        base["projected"] = False
    if "projection" not in base.columns:
        base["projection"] = ""
    last = int(_observed(base)["year"].max())
    later = forecast[forecast["year"] > last].copy()
    for column in base.columns:
        if column not in later.columns:
            later[column] = np.nan
    out = pd.concat([base, later[base.columns]], ignore_index=True)
    out["projected"] = out["projected"].astype(bool)
    return out
