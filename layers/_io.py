"""Read the files a dataset is made of: CSV in German or international formats, and vector layers.

CSV files are read as text with the physical line of every record kept, so that every later
check can name file, row and column. Encodings, delimiters and decimal marks are detected when
the manifest does not give them; German statistical placeholders are understood.
"""

from __future__ import annotations

import csv
import io
import json
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import geoarrow.pyarrow as ga
import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyogrio
import shapely
from pyproj import CRS

from layers.crs import parse_crs
from layers.errors import CrsError, LayersError

ZERO_PLACEHOLDERS = frozenset({"–", "-", "—"})
"""German statistics write a dash for 'nothing' (exactly zero)."""

UNKNOWN_PLACEHOLDERS = frozenset({".", "x", "X", "…", "...", "/"})
"""German statistics write these for 'unknown' or 'withheld': read as missing."""

PLACEHOLDER_REASON = "Platzhalter in der Quelle (Wert unbekannt oder geheim gehalten)"

_DELIMITERS = (";", ",", "\t", "|")
_SNIFF_BYTES = 64 * 1024


class FileFormatError(LayersError, ValueError):
    """A file cannot be read as the format it claims (with file, row, column where known)."""

    def __init__(self, message: str, *, row: int | None = None, column: str | None = None):
        super().__init__(message)
        self.row = row
        self.column = column


@dataclass(frozen=True)
class CsvDialect:
    """How a CSV file is written: encoding, delimiter, decimal mark and thousands separator."""

    encoding: str
    delimiter: str
    decimal: str
    thousands: str | None


@dataclass(frozen=True)
class Table:
    """A CSV file read as text: one string column per header field, and the line of each record."""

    frame: pd.DataFrame
    lines: np.ndarray
    dialect: CsvDialect


def detect_encoding(raw: bytes) -> str:
    """Return ``utf-8-sig`` (BOM), ``utf-8``, or ``cp1252`` (Latin-1 superset) for ``raw``."""
    if raw.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A cut-off multibyte sequence at the end of the sample is still UTF-8.
        if exc.start < len(raw) - 4:
            try:
                raw.decode("cp1252")
            except UnicodeDecodeError:
                return "latin-1"
            return "cp1252"
    return "utf-8"


def detect_delimiter(sample: str) -> str:
    """Pick the delimiter that splits the header and the next lines into the same field count."""
    lines = [line for line in sample.splitlines()[:20] if line.strip()]
    if not lines:
        return ","
    best, best_score = ",", -1
    for delimiter in _DELIMITERS:
        try:
            rows = list(csv.reader(lines, delimiter=delimiter))
        except csv.Error:
            continue
        counts = [len(r) for r in rows]
        if counts[0] < 2:
            continue
        consistent = sum(1 for c in counts if c == counts[0])
        score = consistent * 1000 + counts[0]
        if score > best_score:
            best, best_score = delimiter, score
    return best


_DECIMAL_COMMA = re.compile(r"^[+-]?\d+,\d+$")
_GERMAN_GROUPED = re.compile(r"^[+-]?\d{1,3}(\.\d{3})+(,\d+)?$")
_AMBIGUOUS_COMMA = re.compile(r"^[+-]?\d{1,3},\d{3}$")
_DOT_DECIMAL = re.compile(r"^[+-]?\d+\.\d+$")


def detect_decimal(frame: pd.DataFrame, delimiter: str, *, file: str) -> tuple[str, str | None]:
    """Detect the decimal mark (and a thousands separator) from the cell values.

    Raises
    ------
    FileFormatError
        If every comma number could be a thousands separator as well as a decimal comma.
    """
    if delimiter == "," or frame.empty:
        return ".", None
    cells = pd.Series(frame.to_numpy().ravel()).dropna().astype(str).str.strip()
    comma_numbers = cells[cells.str.match(_DECIMAL_COMMA)]
    grouped = cells[cells.str.match(_GERMAN_GROUPED)]
    if comma_numbers.empty:
        if grouped.empty:
            return ".", None
        # '1.234' alone reads as German thousands, unless other cells show a decimal point
        # ('49.01234', '2.5'): then it is a decimal number with three decimals.
        dotted = cells[cells.str.match(_DOT_DECIMAL) & ~cells.str.match(_GERMAN_GROUPED)]
        if dotted.empty:
            return ",", "."
        multi_group = grouped[grouped.str.count(r"\.") > 1]
        if not multi_group.empty:
            raise FileFormatError(
                f"{file}: numbers such as '{dotted.iloc[0]}' use '.' as decimal mark, numbers such "
                f"as '{multi_group.iloc[0]}' as thousands separator; add decimal = \".\" or "
                'thousands = "." to this layer in dataset.toml'
            )
        return ".", None
    ambiguous = comma_numbers.str.match(_AMBIGUOUS_COMMA)
    if ambiguous.all() and grouped.empty:
        example = comma_numbers.iloc[0]
        raise FileFormatError(
            f"{file}: numbers such as '{example}' could use ',' as decimal mark or as thousands "
            'separator; add decimal = "," (or thousands = ",") to this layer in dataset.toml'
        )
    return ",", ("." if not grouped.empty else None)


def read_csv_table(
    path: Path,
    *,
    file: str,
    encoding: str | None = None,
    delimiter: str | None = None,
    decimal: str | None = None,
    thousands: str | None = None,
) -> Table:
    """Read a CSV file as text columns, detecting what the caller did not fix.

    Parameters
    ----------
    path
        The file.
    file
        The name used in messages (relative to the manifest).
    encoding, delimiter, decimal, thousands
        Fixed values from the manifest; ``None`` means detect.

    Returns
    -------
    Table

    Raises
    ------
    FileFormatError
        If the file is empty, cannot be decoded, or its rows are malformed.
    """
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise FileFormatError(f"{file}: cannot read file: {exc.strerror or exc}") from exc
    if not raw.strip():
        raise FileFormatError(f"{file}: file is empty")
    _reject_binary(raw, file)
    enc = encoding or detect_encoding(raw[:_SNIFF_BYTES] if len(raw) > _SNIFF_BYTES else raw)
    if encoding is None and enc != "utf-8-sig":
        enc = detect_encoding(raw)
    try:
        text = raw.decode(enc)
    except (UnicodeDecodeError, LookupError) as exc:
        raise FileFormatError(
            f'{file}: cannot decode as {enc}: {exc}; set encoding = "..." in dataset.toml'
        ) from exc
    text = text.removeprefix("\ufeff")
    if delimiter is not None and len(delimiter) != 1:
        raise FileFormatError(
            f"{file}: delimiter {delimiter!r} must be a single character such as ';' or ','"
        )
    sep = delimiter or detect_delimiter(text[:_SNIFF_BYTES])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    try:
        header = next(reader)
    except StopIteration as exc:
        raise FileFormatError(f"{file}: file is empty") from exc
    except csv.Error as exc:
        raise FileFormatError(f"{file}: malformed header: {exc}", row=1) from exc
    header = [h.strip() for h in header]
    if len(header) < 2 and delimiter is None:
        raise FileFormatError(
            f"{file}: found a single column {header[0]!r}; the delimiter could not be detected, "
            'set delimiter = ";" (or ",") in dataset.toml',
            row=1,
        )
    duplicates = sorted({h for h in header if header.count(h) > 1})
    if duplicates:
        raise FileFormatError(f"{file}: header repeats column(s) {duplicates}", row=1)
    records: list[list[str]] = []
    lines: list[int] = []
    start = reader.line_num + 1
    try:
        for record in reader:
            if not any(cell.strip() for cell in record):
                start = reader.line_num + 1
                continue
            if len(record) != len(header):
                raise FileFormatError(
                    f"{file}: row has {len(record)} fields, the header has {len(header)}; "
                    f"check the delimiter ({sep!r}) and quoting",
                    row=start,
                )
            records.append(record)
            lines.append(start)
            start = reader.line_num + 1
    except csv.Error as exc:
        raise FileFormatError(f"{file}: malformed CSV: {exc}", row=start) from exc
    frame = pd.DataFrame(records, columns=header, dtype=object)
    if decimal is None:
        dec, thou = detect_decimal(frame, sep, file=file)
        thou = thousands if thousands is not None else thou
    else:
        dec, thou = decimal, thousands
    return Table(frame, np.asarray(lines, dtype=np.int64), CsvDialect(enc, sep, dec, thou))


@dataclass(frozen=True)
class ParsedNumbers:
    """Numbers parsed from text cells, with the positions that failed and those that were unknown."""

    values: np.ndarray
    invalid: np.ndarray
    unknown: np.ndarray


def parse_numbers(
    cells: pd.Series, *, decimal: str = ".", thousands: str | None = None
) -> ParsedNumbers:
    """Parse text cells to floats, understanding German placeholders.

    Empty cells and the 'unknown' placeholders give NaN (``unknown`` is True for placeholders);
    the dash placeholders give 0; anything else that is not a number is ``invalid``.

    Examples
    --------
    >>> p = parse_numbers(pd.Series(["1.234,5", "–", ".", "abc"]), decimal=",", thousands=".")
    >>> p.values[:2].tolist(), p.unknown.tolist(), p.invalid.tolist()
    ([1234.5, 0.0], [False, False, True, False], [False, False, False, True])
    """
    text = cells.astype("string").fillna("").str.strip()
    zero = text.isin(ZERO_PLACEHOLDERS).to_numpy()
    unknown = text.isin(UNKNOWN_PLACEHOLDERS).to_numpy()
    empty = (text == "").to_numpy()
    cleaned = text
    if thousands:
        cleaned = cleaned.str.replace(thousands, "", regex=False)
    if decimal != ".":
        cleaned = cleaned.str.replace(decimal, ".", regex=False)
    cleaned = cleaned.str.replace("\u2212", "-", regex=False)  # typographic minus
    values = pd.to_numeric(cleaned.where(~(zero | unknown | empty), None), errors="coerce")
    values = values.to_numpy(dtype=float, na_value=np.nan)
    values[zero] = 0.0
    invalid = np.isnan(values) & ~(zero | unknown | empty)
    # Non-finite input such as 'inf' is not a count.
    invalid |= np.isinf(values)
    values[np.isinf(values)] = np.nan
    return ParsedNumbers(values, invalid, unknown)


def _legacy_geojson_crs(path: Path) -> CRS | None:
    """Return the CRS named by a legacy GeoJSON ``crs`` member, if any."""
    try:
        with path.open("rb") as handle:
            head = handle.read(4096).decode("utf-8", errors="ignore")
    except OSError:
        return None
    match = re.search(
        r'"crs"\s*:\s*\{[^{}]*"properties"\s*:\s*\{[^{}]*"name"\s*:\s*"([^"]+)"', head
    )
    if not match:
        return None
    try:
        return CRS.from_user_input(match.group(1))
    except Exception:
        return None


def read_vector(
    path: Path, *, file: str, layer: str | None = None, crs: str | None = None
) -> gpd.GeoDataFrame:
    """Read a GeoJSON, GeoPackage or Shapefile layer with its CRS.

    Parameters
    ----------
    path
        The file.
    file
        The name used in messages.
    layer
        Layer name inside a multi-layer file.
    crs
        CRS from the manifest; overrides what the file declares.

    Returns
    -------
    geopandas.GeoDataFrame
        With a CRS; attribute columns as read.

    Raises
    ------
    FileFormatError
        If the file cannot be read.
    CrsError
        If the file has no CRS and none is given (e.g. a Shapefile without ``.prj``).
    """
    _check_readable(path, file)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            frame = pyogrio.read_dataframe(path, layer=layer, use_arrow=True)
    except Exception as exc:
        raise _unreadable(file, exc) from exc
    layer_crs = _layer_crs(path, file, declared=crs, found=frame.crs)
    frame = frame.set_crs(layer_crs, allow_override=True)
    if not frame.empty:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            _check_geographic_range(layer_crs, frame.geometry.total_bounds, file)
    return frame


@dataclass(frozen=True)
class VectorPoints:
    """A point layer read without building one geometry object per feature.

    ``xy`` holds the coordinates (NaN for a feature without geometry or an empty point; a
    multipoint of one point counts as that point). When the layer has other geometry types,
    ``xy`` is ``None`` and ``geometries`` holds the decoded shapes so that the caller can name
    the offending rows.
    """

    frame: pd.DataFrame
    crs: CRS
    xy: np.ndarray | None
    geometries: np.ndarray | None = None


def read_vector_points(
    path: Path, *, file: str, layer: str | None = None, crs: str | None = None
) -> VectorPoints:
    """Read a point layer of a GeoJSON, GeoPackage or Shapefile straight into coordinates.

    The geometries are decoded from Arrow with GeoArrow, which takes a small fraction of the time
    of building a shapely point per feature: a million resident points read in well under a
    second. Parameters and errors as in :func:`read_vector`.
    """
    _check_readable(path, file)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            meta, table = pyogrio.read_arrow(path, layer=layer)
    except Exception as exc:
        raise _unreadable(file, exc) from exc
    layer_crs = _layer_crs(path, file, declared=crs, found=meta.get("crs"))
    geometry_name = meta.get("geometry_name") or "wkb_geometry"
    if geometry_name not in table.column_names:
        raise FileFormatError(f"{file}: the layer has no geometry column")
    wkb = table.column(geometry_name)
    attrs = table.drop_columns([geometry_name])
    frame = attrs.to_pandas() if attrs.num_columns else pd.DataFrame(index=range(table.num_rows))
    if table.num_rows == 0:  # (GeoArrow cannot wrap a chunked array without chunks)
        return VectorPoints(frame, layer_crs, np.empty((0, 2)))
    wkb_storage = wkb.cast(pa.binary()) if wkb.type != pa.binary() else wkb
    try:
        x, y = ga.point_coords(ga.as_geoarrow(ga.wkb().wrap_array(wkb_storage), ga.point()))
    except Exception:
        try:
            geometries = shapely.from_wkb(wkb_storage.to_numpy(zero_copy_only=False))
        except shapely.errors.GEOSException as exc:
            raise _unreadable(file, exc) from exc
        return VectorPoints(frame, layer_crs, None, geometries)
    xy = np.column_stack([np.asarray(x, dtype=float), np.asarray(y, dtype=float)])
    if len(xy):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            bounds = np.array([*np.nanmin(xy, axis=0), *np.nanmax(xy, axis=0)])
        _check_geographic_range(layer_crs, bounds, file)
    return VectorPoints(frame, layer_crs, xy)


def _check_readable(path: Path, file: str) -> None:
    if not path.exists():
        raise FileFormatError(f"{file}: file not found")
    if path.stat().st_size == 0:
        raise FileFormatError(f"{file}: file is empty")


def _unreadable(file: str, exc: Exception) -> FileFormatError:
    detail = str(exc).split("\n")[0]
    return FileFormatError(f"{file}: cannot read as a vector layer: {detail}")


def _layer_crs(path: Path, file: str, *, declared: str | None, found: object) -> CRS:
    """The CRS of a vector layer: the manifest's, else a legacy GeoJSON member, else the file's."""
    if declared is not None:
        return parse_crs(declared, source=f"{file}: crs")
    if path.suffix.lower() in (".geojson", ".json"):
        legacy = _legacy_geojson_crs(path)
        if legacy is not None:
            return legacy
    if found is None:
        hint = (
            " (the Shapefile has no .prj)"
            if path.suffix.lower() == ".shp" and not path.with_suffix(".prj").exists()
            else ""
        )
        raise CrsError(
            f'{file}: the layer has no CRS{hint}; add crs = "EPSG:<code>" to dataset.toml'
        )
    return CRS.from_user_input(found)


def _reject_binary(raw: bytes, file: str) -> None:
    """A text table has no NUL bytes: they mean a binary file or UTF-16/32 text."""
    utf16 = raw.startswith((b"\xff\xfe", b"\xfe\xff"))
    position = raw.find(b"\x00")
    if utf16 or position >= 0:
        line = raw.count(b"\n", 0, max(position, 0)) + 1
        what = (
            "is UTF-16 encoded"
            if utf16
            else f"contains NUL bytes (line {line}): it is a binary file or UTF-16/32 text"
        )
        raise FileFormatError(
            f"{file}: {what}, not a CSV text file; save it as CSV in UTF-8 (or Windows-1252)"
        )


def _check_geographic_range(crs: CRS, bounds: np.ndarray, file: str) -> None:
    """Reject longitude/latitude layers whose numbers cannot be degrees (a wrong or missing CRS)."""
    if not crs.is_geographic or not np.isfinite(bounds).all():
        return
    minx, miny, maxx, maxy = bounds
    if minx < -180 or maxx > 180 or miny < -90 or maxy > 90:
        raise CrsError(
            f"{file}: coordinates reach ({maxx:.0f}, {maxy:.0f}), outside the longitude/latitude "
            f"range of the layer's CRS {crs.to_string()}; they look like a projected CRS "
            '(metres): set crs = "EPSG:<code>" for this layer in dataset.toml (a GeoJSON '
            "without a crs member is read as WGS84)"
        )


def is_tabular(path: Path) -> bool:
    """Whether ``path`` is a delimited text file rather than a vector format."""
    return path.suffix.lower() in (".csv", ".txt", ".tsv")


def write_json(obj: object) -> str:
    """Serialise ``obj`` deterministically (sorted keys, UTF-8)."""
    return json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


__all__ = [
    "PLACEHOLDER_REASON",
    "CrsError",
    "CsvDialect",
    "FileFormatError",
    "ParsedNumbers",
    "Table",
    "detect_decimal",
    "detect_delimiter",
    "detect_encoding",
    "is_tabular",
    "parse_numbers",
    "read_csv_table",
    "read_vector",
    "read_vector_points",
]
