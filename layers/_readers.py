"""Read one manifest layer into canonical columns, reporting every problem with file, row, column."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from layers._io import (
    FileFormatError,
    ParsedNumbers,
    Table,
    VectorPoints,
    _as_string,
    is_tabular,
    parse_numbers,
    read_csv_table,
    read_vector,
    read_vector_points,
)
from layers._validate import IssueCollector, rows_text
from layers.crs import WGS84, parse_crs
from layers.errors import CrsError
from layers.manifest import LayerSpec

MAX_ROW_ISSUES = 20
"""Bad rows reported one per line before the rest are summarised in one line."""

ROW = "_row"
"""Column holding the source row of each record (CSV line or 1-based feature number)."""


@dataclass(frozen=True)
class RawLayer:
    """A layer read from disk: text attribute columns plus the source row of each record.

    ``table`` is set for CSV files; ``points`` for vector files read with ``points=True`` (then
    ``frame`` holds the attributes only).
    """

    frame: pd.DataFrame | gpd.GeoDataFrame
    table: Table | None
    points: VectorPoints | None = None


def read_layer(
    spec: LayerSpec, collector: IssueCollector, *, points: bool = False
) -> RawLayer | None:
    """Read the file of ``spec`` (CSV or vector); ``None`` after reporting why it failed.

    With ``points=True`` a vector file is read as coordinates (see
    :func:`layers._io.read_vector_points`) rather than as one geometry object per feature.
    """
    if not spec.path.exists():
        collector.error(spec.file, "file not found")
        return None
    if spec.path.is_dir():
        collector.error(spec.file, "is a folder; path must name a file inside the dataset folder")
        return None
    try:
        if is_tabular(spec.path):
            table = read_csv_table(
                spec.path,
                file=spec.file,
                encoding=spec.encoding,
                delimiter=spec.delimiter,
                decimal=spec.decimal,
                thousands=spec.thousands,
            )
            frame = table.frame.copy()
            frame[ROW] = table.lines
            return RawLayer(frame, table)
        if points:
            vector_points = read_vector_points(
                spec.path, file=spec.file, layer=spec.layer, crs=spec.crs
            )
            frame = _whole_floats_as_integers(vector_points.frame.reset_index(drop=True))
            frame[ROW] = np.arange(1, len(frame) + 1)
            return RawLayer(frame, None, vector_points)
        frame = read_vector(spec.path, file=spec.file, layer=spec.layer, crs=spec.crs)
    except FileFormatError as exc:
        collector.error(spec.file, _strip_file(str(exc), spec.file), row=exc.row, column=exc.column)
        return None
    except CrsError as exc:
        collector.error(spec.file, _strip_file(str(exc), spec.file))
        return None
    frame = _whole_floats_as_integers(frame.reset_index(drop=True))
    frame[ROW] = np.arange(1, len(frame) + 1)
    return RawLayer(frame, None)


def _whole_floats_as_integers(frame: pd.DataFrame) -> pd.DataFrame:
    """Float attribute columns that hold only whole numbers become nullable integers.

    Shapefile number fields and GeoJSON properties with a null come back as floats, so an id
    ``1100101`` would read as ``'1100101.0'`` and not join; as integers it reads as ``'1100101'``.
    """
    geometry = frame.geometry.name if isinstance(frame, gpd.GeoDataFrame) else None
    for column in frame.columns:
        values = frame[column]
        if column == geometry or not pd.api.types.is_float_dtype(values):
            continue
        known = values.dropna().to_numpy()
        if (
            len(known)
            and np.isfinite(known).all()
            and (known == np.round(known)).all()
            and np.abs(known).max() < 2**53
        ):
            frame[column] = values.astype("Int64")
    return frame


def _strip_file(message: str, file: str) -> str:
    return message.removeprefix(f"{file}: ")


def resolve_columns(
    spec: LayerSpec,
    available: Sequence[str],
    collector: IssueCollector,
    *,
    required: Sequence[str],
    optional: Sequence[str] = (),
) -> dict[str, str] | None:
    """Map canonical column names to the file's columns; ``None`` if a required one is missing."""
    present = set(available)
    mapping: dict[str, str] = {}
    ok = True
    for canonical in required:
        own = spec.column(canonical)
        if own in present:
            mapping[canonical] = own
        else:
            ok = False
            shown = ", ".join(c for c in available if c not in (ROW, "geometry"))
            hint = "" if own != canonical else f'; map it with columns = {{ {canonical} = "…" }}'
            collector.error(
                spec.file,
                f"required column {own!r} (canonical '{canonical}') is missing; "
                f"the file has: {shown}{hint}",
                column=own,
            )
    for canonical in optional:
        own = spec.column(canonical)
        if own in present:
            mapping[canonical] = own
        elif canonical in spec.columns:
            collector.error(
                spec.file,
                f"column {own!r} (canonical '{canonical}') is not in the file",
                column=own,
            )
            ok = False
    return mapping if ok else None


def report_rows(
    collector: IssueCollector,
    spec: LayerSpec,
    rows: np.ndarray,
    values: pd.Series | np.ndarray | None,
    column: str,
    message: str,
    *,
    severity: str = "error",
) -> None:
    """Report bad ``rows`` one line each (up to a limit), then one summary line."""
    add = collector.error if severity == "error" else collector.warning
    rows = np.asarray(rows)
    vals = None if values is None else np.asarray(values, dtype=object)
    for index, row in enumerate(rows[:MAX_ROW_ISSUES]):
        suffix = "" if vals is None else f": {vals[index]!r}"
        add(spec.file, f"{message}{suffix}", row=int(row), column=column)
    if len(rows) > MAX_ROW_ISSUES:
        add(
            spec.file,
            f"{message}: {len(rows) - MAX_ROW_ISSUES} more rows "
            f"({rows_text([int(r) for r in rows[MAX_ROW_ISSUES:]])})",
            column=column,
        )


def numeric_column(
    frame: pd.DataFrame,
    column: str,
    spec: LayerSpec,
    table: Table | None,
    collector: IssueCollector,
    *,
    allow_negative: bool = False,
    what: str = "a number",
) -> tuple[np.ndarray, np.ndarray]:
    """Parse ``column`` as numbers; report non-numeric (and negative) cells as errors.

    Returns
    -------
    values, unknown
        Floats (NaN for empty or unknown cells) and a mask of German 'unknown' placeholders.
    """
    parsed = _numeric_cells(
        frame, column, spec, table, collector, allow_negative=allow_negative, what=what
    )
    return parsed.values, parsed.unknown


def _numeric_cells(
    frame: pd.DataFrame,
    column: str,
    spec: LayerSpec,
    table: Table | None,
    collector: IssueCollector,
    *,
    allow_negative: bool,
    what: str,
) -> ParsedNumbers:
    """:func:`numeric_column`, with the mask of invalid cells as well."""
    cells = frame[column]
    if table is None and pd.api.types.is_numeric_dtype(cells):
        values = cells.to_numpy(dtype=float, na_value=np.nan)
        unknown = np.zeros(len(values), dtype=bool)
        invalid = np.zeros(len(values), dtype=bool)
    else:
        decimal = table.dialect.decimal if table else "."
        thousands = table.dialect.thousands if table else None
        parsed = parse_numbers(cells, decimal=decimal, thousands=thousands)
        values, unknown, invalid = parsed.values, parsed.unknown, parsed.invalid
    rows = frame[ROW].to_numpy()
    if invalid.any():
        report_rows(collector, spec, rows[invalid], cells[invalid], column, f"not {what}")
    negative = ~np.isnan(values) & (values < 0)
    if negative.any() and not allow_negative:
        report_rows(collector, spec, rows[negative], values[negative], column, "negative value")
    return ParsedNumbers(values, invalid, unknown)


@dataclass(frozen=True, eq=False)
class PointLayer:
    """Points with canonical attribute columns, plus the records that have no coordinates.

    ``attrs`` and ``xy`` describe the located records (same order); ``located`` is the same as a
    GeoDataFrame, built on first use (a million resident points never need it).
    """

    attrs: pd.DataFrame
    xy: np.ndarray
    crs: CRS
    unlocated: pd.DataFrame
    table: Table | None = None

    @cached_property
    def located(self) -> gpd.GeoDataFrame:
        """The located records with point geometry in :attr:`crs`."""
        return gpd.GeoDataFrame(
            self.attrs,
            geometry=gpd.points_from_xy(self.xy[:, 0], self.xy[:, 1], crs=self.crs),
            crs=self.crs,
        )


def read_points(
    spec: LayerSpec,
    collector: IssueCollector,
    *,
    required: Sequence[str] = (),
    optional: Sequence[str] = (),
) -> PointLayer | None:
    """Read a point layer (CSV with lat/lon or x/y, or a vector file of points).

    Attribute columns are renamed to their canonical names and kept as text; ``_row`` holds the
    source row. Records without coordinates are returned separately and reported as one warning.
    """
    start = len(collector.issues)
    raw = read_layer(spec, collector, points=True)
    if raw is None:
        return None
    frame = raw.frame
    if frame.empty:
        collector.error(
            spec.file,
            "the file has no rows" if raw.table is not None else "the layer has no features",
        )
        return None
    mapping = resolve_columns(
        spec, list(frame.columns), collector, required=required, optional=optional
    )
    if mapping is None:
        return None
    attrs = pd.DataFrame({canonical: frame[own] for canonical, own in mapping.items()})
    attrs[ROW] = frame[ROW].to_numpy()
    if raw.table is not None:
        xy, crs = _csv_points(spec, frame, raw.table, collector)
    else:
        assert raw.points is not None
        xy, crs = _vector_points(spec, frame, raw.points, collector)
    if xy is None or crs is None or collector.errors_since(start):
        return None
    missing = np.isnan(xy).any(axis=1)
    if missing.any():
        rows = attrs.loc[missing, ROW].astype(int).tolist()
        collector.warning(
            spec.file,
            f"{len(rows)} row(s) without coordinates are kept off the map: rows {rows_text(rows)}",
        )
        located = attrs.loc[~missing].reset_index(drop=True)
        xy = xy[~missing]
    else:
        located = attrs
    return PointLayer(
        located, np.ascontiguousarray(xy), crs, attrs.loc[missing].reset_index(drop=True), raw.table
    )


def _csv_points(
    spec: LayerSpec, frame: pd.DataFrame, table: Table, collector: IssueCollector
) -> tuple[np.ndarray | None, CRS | None]:
    lat_col, lon_col = spec.column("lat"), spec.column("lon")
    x_col, y_col = spec.column("x"), spec.column("y")
    try:
        declared = parse_crs(spec.crs, source="crs") if spec.crs else None
    except CrsError as exc:
        collector.error(spec.file, str(exc))
        return None, None
    if lat_col in frame.columns and lon_col in frame.columns:
        xs_col, ys_col, crs = lon_col, lat_col, declared or WGS84
    elif x_col in frame.columns and y_col in frame.columns:
        if declared is None:
            collector.error(
                spec.file,
                f'columns {x_col!r}/{y_col!r} need the CRS: add crs = "EPSG:<code>" to the table',
            )
            return None, None
        xs_col, ys_col, crs = x_col, y_col, declared
    else:
        collector.error(
            spec.file,
            f"no coordinate columns: need {lat_col!r}/{lon_col!r} (WGS84) or {x_col!r}/{y_col!r} "
            'with crs; map them with columns = { lat = "…", lon = "…" }',
        )
        return None, None
    parsed_x = _numeric_cells(
        frame, xs_col, spec, table, collector, allow_negative=True, what="a coordinate"
    )
    parsed_y = _numeric_cells(
        frame, ys_col, spec, table, collector, allow_negative=True, what="a coordinate"
    )
    xs, ys = parsed_x.values, parsed_y.values
    # Cells that are not numbers were reported above; only a blank partner is 'one coordinate'.
    # A cell is blank (empty once stripped) exactly when it is NaN without being a placeholder
    # or invalid.
    blank_x = np.isnan(xs) & ~parsed_x.unknown & ~parsed_x.invalid
    blank_y = np.isnan(ys) & ~parsed_y.unknown & ~parsed_y.invalid
    half = blank_x != blank_y
    if half.any():
        rows = frame.loc[half, ROW].to_numpy()
        report_rows(
            collector,
            spec,
            rows,
            None,
            f"{ys_col}/{xs_col}",
            "only one of the two coordinates is given",
        )
    if crs == WGS84:
        bad_lat = ~np.isnan(ys) & (np.abs(ys) > 90)
        bad_lon = ~np.isnan(xs) & (np.abs(xs) > 180)
        if bad_lat.any():
            report_rows(
                collector,
                spec,
                frame.loc[bad_lat, ROW].to_numpy(),
                ys[bad_lat],
                ys_col,
                "latitude outside -90..90",
            )
        if bad_lon.any():
            report_rows(
                collector,
                spec,
                frame.loc[bad_lon, ROW].to_numpy(),
                xs[bad_lon],
                xs_col,
                "longitude outside -180..180",
            )
    xy = np.column_stack([xs, ys])
    xy[np.isnan(xy).any(axis=1)] = np.nan
    return xy, crs


def _vector_points(
    spec: LayerSpec, frame: pd.DataFrame, points: VectorPoints, collector: IssueCollector
) -> tuple[np.ndarray | None, CRS | None]:
    if points.xy is not None:
        return points.xy, points.crs
    geoms = np.asarray(points.geometries, dtype=object)
    types = shapely.get_type_id(geoms)
    single_multi = (types == shapely.GeometryType.MULTIPOINT) & (
        shapely.get_num_geometries(geoms) == 1
    )
    if single_multi.any():
        geoms = geoms.copy()
        geoms[single_multi] = shapely.get_geometry(geoms[single_multi], 0)
        types = shapely.get_type_id(geoms)
    wrong = (types != shapely.GeometryType.POINT) & (types != -1)
    if wrong.any():
        names = pd.Series(types[wrong]).map(lambda t: shapely.GeometryType(t).name)
        report_rows(
            collector,
            spec,
            frame.loc[wrong, ROW].to_numpy(),
            names.str.title().to_numpy(),
            "geometry",
            "wrong geometry type, expected Point",
        )
        return None, None
    xy = np.column_stack([shapely.get_x(geoms), shapely.get_y(geoms)])
    xy[shapely.is_missing(geoms)] = np.nan
    return xy, points.crs


def clean_text(values: pd.Series) -> pd.Series:
    """Text cells stripped, missing as empty string."""
    return _as_string(values).fillna("").str.strip().astype(object)
