"""Read the files a dataset is made of: CSV in German or international formats, and vector layers.

CSV files are read as text with the physical line of every record kept, so that every later
check can name file, row and column. Encodings, delimiters and decimal marks are detected when
the manifest does not give them; German statistical placeholders are understood. Files without
quotes are split by ``pyarrow.csv``, all others by the ``csv`` module; both give the same table.
"""

from __future__ import annotations

import csv
import io
import json
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geoarrow.pyarrow as ga
import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
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
    cells = _distinct_cells(frame)
    if cells is None:
        cells = pd.Series(frame.to_numpy().ravel()).dropna()
    cells = cells.astype(str).str.strip()
    # The patterns tell digits from other characters and nothing more, so cells that differ
    # only in their ASCII digits decide alike: the first cell of each such shape stands for all.
    shapes = cells.str.replace(r"[0-9]", "0", regex=True)
    first = ~shapes.duplicated()
    cells = cells[first].reset_index(drop=True)
    shapes = shapes[first].reset_index(drop=True)
    is_grouped = shapes.str.match(_GERMAN_GROUPED)
    comma_numbers = cells[shapes.str.match(_DECIMAL_COMMA)]
    grouped = cells[is_grouped]
    if comma_numbers.empty:
        if grouped.empty:
            return ".", None
        # '1.234' alone reads as German thousands, unless other cells show a decimal point
        # ('49.01234', '2.5'): then it is a decimal number with three decimals.
        dotted = cells[shapes.str.match(_DOT_DECIMAL) & ~is_grouped]
        if dotted.empty:
            return ",", "."
        multi_group = grouped[shapes[is_grouped].str.count(r"\.") > 1]
        if not multi_group.empty:
            raise FileFormatError(
                f"{file}: numbers such as '{dotted.iloc[0]}' use '.' as decimal mark, numbers such "
                f"as '{multi_group.iloc[0]}' as thousands separator; add decimal = \".\" or "
                'thousands = "." to this layer in dataset.toml'
            )
        return ".", None
    ambiguous = shapes[comma_numbers.index].str.match(_AMBIGUOUS_COMMA)
    if ambiguous.all() and grouped.empty:
        example = comma_numbers.iloc[0]
        raise FileFormatError(
            f"{file}: numbers such as '{example}' could use ',' as decimal mark or as thousands "
            'separator; add decimal = "," (or thousands = ",") to this layer in dataset.toml'
        )
    return ",", ("." if not grouped.empty else None)


def _distinct_cells(frame: pd.DataFrame) -> pd.Series | None:
    """The distinct text cells of each column, in the order they first occur row by row.

    The decimal-mark decision depends only on which texts occur, and its messages quote the
    first matching cell in row-major order: that cell is the first occurrence of its text in its
    column, so it is kept here, and in the same place. A million coordinates have far fewer
    distinct texts than cells. ``None`` when a column holds other values than text (then equal
    values of different types, such as ``1`` and ``1.0``, could read differently).
    """
    rows, cols, values = [], [], []
    for j in range(frame.shape[1]):
        column = frame.iloc[:, j]
        if not (
            pd.api.types.is_string_dtype(column.dtype)
            and pd.api.types.infer_dtype(column, skipna=True) in ("string", "empty")
        ):
            return None
        codes, uniques = pd.factorize(column.to_numpy())
        # Codes count up in order of first occurrence; missing cells have code -1.
        seen = np.maximum.accumulate(codes)
        first = np.flatnonzero(codes > np.concatenate(([-1], seen[:-1])))
        rows.append(first)
        cols.append(np.full(len(first), j))
        values.append(np.asarray(uniques, dtype=object))
    order = np.lexsort((np.concatenate(cols), np.concatenate(rows)))
    return pd.Series(np.concatenate(values)[order], dtype=object)


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
    # (A header with a quoted line break ends after line 1: the csv module reads the rest.)
    body = _records_arrow(text, sep, len(header)) if reader.line_num == 1 else None
    if body is None:
        body = _records_csv(reader, header, sep, file)
    records, lines = body
    frame = pd.DataFrame(records, columns=header, dtype=object)
    if decimal is None:
        dec, thou = detect_decimal(frame, sep, file=file)
        thou = thousands if thousands is not None else thou
    else:
        dec, thou = decimal, thousands
    return Table(frame, lines, CsvDialect(enc, sep, dec, thou))


def _records_csv(
    reader: Any, header: list[str], sep: str, file: str
) -> tuple[list[list[str]], np.ndarray]:
    """The records after the header, read by the ``csv`` module, and the line each starts on.

    This is the general reader (quotes, fields across lines); :func:`_records_arrow` gives the
    same result faster for the files it can read.
    """
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
    return records, np.asarray(lines, dtype=np.int64)


# Exactly the characters for which ``str.isspace()`` is true, i.e. what ``str.strip()`` removes
# (a test checks this against the running Python).
_PY_WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680"
    + "".join(chr(c) for c in range(0x2000, 0x200B))
    + "\u2028\u2029\u202f\u205f\u3000"
)
_LINE_END = re.compile(r"\r\n?|\n")


def _records_arrow(
    text: str, sep: str, width: int
) -> tuple[np.ndarray | list[list[str]], np.ndarray] | None:
    """The records after the first line, read by ``pyarrow.csv``; ``None`` where that is not exact.

    Without a quote character every record is one physical line, split at every ``sep``: that
    is what the ``csv`` module does too, and pyarrow does it in C++. The result is the same as
    :func:`_records_csv` gives (records of text cells, blank lines skipped but counted); for
    anything the two could disagree on (quotes, a row with the wrong field count, a field above
    the ``csv`` field size limit, a delimiter pyarrow cannot take) this returns ``None`` and the
    ``csv`` module reads the file and names the row.
    """
    if width < 1 or len(sep) != 1 or not sep.isascii() or sep in '\r\n"\x00':
        return None
    first = _LINE_END.search(text)
    try:
        body = text[first.end() :].encode("utf-8") if first else b""
    except UnicodeEncodeError:  # lone surrogates from an unusual codec
        return None
    # (pyarrow would drop a byte order mark at the start of its input; the csv module keeps it.)
    if b'"' in body or body.startswith(b"\xef\xbb\xbf"):
        return None
    if not body:
        return [], np.empty(0, dtype=np.int64)
    physical = body.count(b"\n")
    if b"\r" in body:
        physical += body.count(b"\r") - body.count(b"\r\n")
    physical += not body.endswith((b"\n", b"\r"))
    read = _arrow_read(body, sep, width, threads=True)
    if read is None:
        return None
    table, invalid = read
    limit = csv.field_size_limit()
    skipped = np.empty(0, dtype=np.int64)
    if invalid:
        # Lines with another field count: blank ones are skipped like blank lines; any other is
        # an error, which the csv module reports with its row.
        if any(
            len(line) > limit or any(cell.strip() for cell in line.split(sep))
            for _, line in invalid
        ):
            return None
        # Their line numbers are only known when pyarrow reads serially.
        read = _arrow_read(body, sep, width, threads=False)
        if read is None or len(read[1]) != len(invalid):
            return None
        table, invalid = read
        numbers = [number for number, _ in invalid]
        if None in numbers:
            return None
        skipped = np.asarray(numbers, dtype=np.int64)
    if table.num_rows + len(skipped) != physical:
        return None
    columns = table.columns
    if any((pc.max(pc.binary_length(column)).as_py() or 0) > limit for column in columns):
        return None
    on_line = np.ones(physical + 1, dtype=bool)
    on_line[0] = False
    on_line[skipped] = False
    lines = np.flatnonzero(on_line).astype(np.int64) + 1  # the header is line 1
    keep = ~_blank_rows(columns)
    arrays = [column.to_numpy(zero_copy_only=False) for column in columns]
    if not keep.all():
        arrays = [values[keep] for values in arrays]
        lines = lines[keep]
    if not len(lines):
        return [], lines
    return np.column_stack(arrays), lines


def _arrow_read(
    body: bytes, sep: str, width: int, *, threads: bool
) -> tuple[pa.Table, list[tuple[int | None, str]]] | None:
    """Every line of ``body`` as ``width`` text cells, and the lines with another field count."""
    names = [f"f{i}" for i in range(width)]
    invalid: list[tuple[int | None, str]] = []

    def skip(row: pacsv.InvalidRow) -> str:
        invalid.append((row.number, row.text))
        return "skip"

    try:
        table = pacsv.read_csv(
            pa.BufferReader(body),
            read_options=pacsv.ReadOptions(column_names=names, use_threads=threads),
            parse_options=pacsv.ParseOptions(
                delimiter=sep,
                quote_char=False,
                escape_char=False,
                newlines_in_values=False,
                ignore_empty_lines=False,
                invalid_row_handler=skip,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                null_values=[],
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowException, ValueError):  # e.g. a line longer than pyarrow's block size
        return None
    return table, invalid


def _blank_rows(columns: list[pa.ChunkedArray]) -> np.ndarray:
    """Rows whose cells are all empty or whitespace (``str.strip()`` leaves nothing)."""
    first = columns[0]
    n = len(first)
    # Only a row whose first cell is empty or starts with whitespace can be blank.
    maybe = pc.or_(
        pc.equal(pc.binary_length(first), 0),
        pc.is_in(pc.utf8_slice_codeunits(first, 0, 1), value_set=pa.array(list(_PY_WHITESPACE))),
    )
    rows = np.flatnonzero(maybe.to_numpy(zero_copy_only=False))
    for column in columns:
        if not len(rows):
            break
        trimmed = pc.utf8_trim(column.take(rows), characters=_PY_WHITESPACE)
        rows = rows[pc.equal(pc.binary_length(trimmed), 0).to_numpy(zero_copy_only=False)]
    blank = np.zeros(n, dtype=bool)
    blank[rows] = True
    return blank


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
    text = _as_string(cells).fillna("").str.strip()
    zero = text.isin(ZERO_PLACEHOLDERS).to_numpy()
    unknown = text.isin(UNKNOWN_PLACEHOLDERS).to_numpy()
    empty = (text == "").to_numpy()
    cleaned = text
    if thousands:
        cleaned = cleaned.str.replace(thousands, "", regex=False)
    if decimal != ".":
        cleaned = cleaned.str.replace(decimal, ".", regex=False)
    cleaned = cleaned.str.replace("\u2212", "-", regex=False)  # typographic minus
    missing = zero | unknown | empty
    plain = _plain_floats(cleaned[~missing] if missing.any() else cleaned)
    if plain is not None:
        values = np.full(len(cleaned), np.nan)
        values[~missing] = plain
        values[zero] = 0.0
        return ParsedNumbers(values, np.zeros(len(values), dtype=bool), unknown)
    values = pd.to_numeric(cleaned.where(~(zero | unknown | empty), None), errors="coerce")
    values = values.to_numpy(dtype=float, na_value=np.nan)
    values[zero] = 0.0
    invalid = np.isnan(values) & ~(zero | unknown | empty)
    # Non-finite input such as 'inf' is not a count.
    invalid |= np.isinf(values)
    values[np.isinf(values)] = np.nan
    return ParsedNumbers(values, invalid, unknown)


def _as_string(cells: pd.Series) -> pd.Series:
    """``cells.astype("string")``, built straight by pyarrow when the cells are all text."""
    if cells.dtype == object and pd.api.types.infer_dtype(cells, skipna=False) == "string":
        try:
            array = pa.array(cells.to_numpy(), type=pa.large_string())
        except (pa.ArrowException, UnicodeError):
            return cells.astype("string")
        return pd.Series(pd.arrays.ArrowStringArray(array), index=cells.index, name=cells.name)
    return cells.astype("string")


# A plain decimal number of at most 15 digits: it is an integer below 2**53 divided by a power of
# ten that is exact in binary, so every correct parser (pyarrow's, pandas' to_numeric) rounds it
# to the same float. Anything else (signs '+', exponents, '.5', longer numbers) takes the
# general path.
_PLAIN_NUMBER = r"^-?[0-9]+(\.[0-9]+)?$"
_PLAIN_DIGITS = 15


def _plain_floats(cleaned: pd.Series) -> np.ndarray | None:
    """The floats of ``cleaned`` when every cell is a plain decimal number, else ``None``."""
    if not len(cleaned):
        return None
    strings = pa.array(cleaned.array)
    if strings.null_count or not pc.all(pc.match_substring_regex(strings, _PLAIN_NUMBER)).as_py():
        return None
    lengths = pc.binary_length(strings)
    if pc.max(lengths).as_py() > _PLAIN_DIGITS:
        signs_and_points = pc.add(
            pc.count_substring(strings, "-"), pc.count_substring(strings, ".")
        )
        digits = pc.subtract(lengths, signs_and_points)
        if pc.max(digits).as_py() > _PLAIN_DIGITS:
            return None
    values = np.array(pc.cast(strings, pa.float64()).to_numpy(), dtype=float)
    # to_numeric reads '-0' as the integer 0 when the whole column is integers: let it decide.
    if np.signbit(values[values == 0]).any():
        return None
    return values


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
