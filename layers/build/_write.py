"""Deterministic writers for built datasets: CSV, GeoJSON and TOML text with fixed formatting.

The same input gives byte-identical files whatever the library versions: coordinates are rounded
to a fixed number of decimals, keys are sorted, rows keep the order the caller gives, and no file
holds a timestamp. Nothing here knows about a particular city.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from layers.errors import BuildError

COORD_DECIMALS = 6
"""Decimals of WGS84 coordinates in built files (about 0.1 m)."""

_JSON_SEPARATORS = (",", ":")

CsvValue = str | int | float | None


def format_coord(value: float) -> str:
    """Format a WGS84 coordinate with :data:`COORD_DECIMALS` fixed decimals.

    Examples
    --------
    >>> format_coord(8.4)
    '8.400000'
    """
    if not math.isfinite(value):
        raise BuildError(f"coordinate {value!r} is not a finite number")
    text = f"{value:.{COORD_DECIMALS}f}"
    return "0.000000" if text == "-0.000000" else text


def round_coord(value: float) -> float:
    """Round a coordinate to :data:`COORD_DECIMALS` decimals (the value :func:`format_coord` writes)."""
    return float(format_coord(value))


def normalise_name(name: str) -> str:
    """Normalise a place name for matching: Unicode NFC, whitespace runs collapsed, trimmed.

    Examples
    --------
    >>> normalise_name("  Innenstadt-Ost ")
    'Innenstadt-Ost'
    """
    return " ".join(unicodedata.normalize("NFC", name).split())


def round_geometry(geometry: Mapping[str, Any]) -> dict[str, Any]:
    """Round the coordinates of a GeoJSON geometry and drop vertices that became duplicates.

    Parameters
    ----------
    geometry
        A GeoJSON geometry mapping (Point, LineString, Polygon or their Multi- variants).

    Returns
    -------
    dict
        A new geometry mapping with rounded coordinates.
    """
    kind = geometry.get("type")
    coords = geometry.get("coordinates")
    if kind == "Point":
        return {"type": kind, "coordinates": _round_position(coords)}
    if kind in ("LineString", "MultiPoint"):
        return {"type": kind, "coordinates": _round_path(coords, dedupe=kind == "LineString")}
    if kind in ("Polygon", "MultiLineString"):
        return {"type": kind, "coordinates": [_round_path(part) for part in coords]}
    if kind == "MultiPolygon":
        return {
            "type": kind,
            "coordinates": [[_round_path(ring) for ring in polygon] for polygon in coords],
        }
    raise BuildError(f"cannot write geometry type {kind!r}")


def _round_position(position: Sequence[float]) -> list[float]:
    return [round_coord(float(position[0])), round_coord(float(position[1]))]


def _round_path(path: Sequence[Sequence[float]], *, dedupe: bool = True) -> list[list[float]]:
    out: list[list[float]] = []
    for position in path:
        rounded = _round_position(position)
        if dedupe and out and out[-1] == rounded:
            continue
        out.append(rounded)
    return out


def geojson_text(features: Iterable[Mapping[str, Any]]) -> str:
    """Render features as a GeoJSON FeatureCollection, one feature per line, keys sorted.

    Coordinates must already be rounded (see :func:`round_geometry`).
    """
    lines = [
        json.dumps(
            {"type": "Feature", "properties": dict(f["properties"]), "geometry": f["geometry"]},
            sort_keys=True,
            ensure_ascii=False,
            separators=_JSON_SEPARATORS,
            allow_nan=False,
        )
        for f in features
    ]
    return '{"type":"FeatureCollection","features":[\n' + ",\n".join(lines) + "\n]}\n"


def write_geojson(path: Path, features: Iterable[Mapping[str, Any]]) -> Path:
    """Write :func:`geojson_text` of ``features`` to ``path`` (UTF-8, newline line ends)."""
    path.write_bytes(geojson_text(features).encode("utf-8"))
    return path


def csv_text(header: Sequence[str], rows: Iterable[Sequence[CsvValue]]) -> str:
    """Render rows as comma-separated text with minimal RFC 4180 quoting and newline line ends.

    ``None`` becomes an empty field; numbers must be given as text or ``int`` (format floats
    yourself so that the output does not depend on float formatting defaults).
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(header)
    width = len(header)
    for row in rows:
        if len(row) != width:
            raise BuildError(f"row {row!r} has {len(row)} fields, header has {width}")
        writer.writerow(["" if v is None else _csv_field(v) for v in row])
    return buffer.getvalue()


def _csv_field(value: str | int | float) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        raise BuildError(f"format the float {value!r} before writing it (e.g. format_coord)")
    return value


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[CsvValue]]) -> Path:
    """Write :func:`csv_text` to ``path`` (UTF-8 without BOM)."""
    path.write_bytes(csv_text(header, rows).encode("utf-8"))
    return path


# --- TOML -------------------------------------------------------------------------------------

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def toml_text(
    document: Sequence[tuple[str, Mapping[str, Any] | Sequence[Mapping[str, Any]]]],
) -> str:
    """Render a TOML document from ``(name, table)`` and ``(name, [tables])`` pairs in order.

    Keys inside a table keep their insertion order; values may be strings, booleans, integers,
    finite floats, lists of those and (inline) mappings. A list of mappings is written as an
    array of tables (``[[name]]``).

    Examples
    --------
    >>> print(toml_text([("metadata", {"name": "X", "n": 2})]), end="")
    [metadata]
    name = "X"
    n = 2
    """
    parts: list[str] = []
    for name, body in document:
        if isinstance(body, Mapping):
            parts.append(f"[{_toml_key(name)}]\n" + _toml_body(body))
        else:
            parts.extend(f"[[{_toml_key(name)}]]\n" + _toml_body(table) for table in body)
    return "\n".join(parts)


def _toml_body(table: Mapping[str, Any]) -> str:
    return "".join(
        f"{_toml_key(key)} = {_toml_value(value, top=True)}\n"
        for key, value in table.items()
        if value is not None
    )


def _toml_key(key: str) -> str:
    return key if _BARE_KEY.match(key) else _toml_string(key)


def _toml_value(value: Any, *, top: bool = False) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise BuildError(f"TOML cannot hold {value!r}")
        return repr(value)
    if isinstance(value, str):
        if top and "\n" in value:
            return _toml_multiline(value)
        return _toml_string(value)
    if isinstance(value, Mapping):
        items = ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items())
        return "{ " + items + " }" if items else "{}"
    if isinstance(value, Sequence):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise BuildError(f"TOML cannot hold a {type(value).__name__}")


def _escape(text: str) -> str:
    out = []
    for char in text:
        if char == "\\":
            out.append("\\\\")
        elif char == '"':
            out.append('\\"')
        elif char == "\t":
            out.append("\\t")
        elif char == "\n":
            out.append("\\n")
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04X}")
        else:
            out.append(char)
    return "".join(out)


def _toml_string(text: str) -> str:
    return '"' + _escape(text) + '"'


def _toml_multiline(text: str) -> str:
    lines = [_escape(line) for line in text.split("\n")]
    return '"""\n' + "\n".join(lines) + '"""'


def write_toml(
    path: Path, document: Sequence[tuple[str, Mapping[str, Any] | Sequence[Mapping[str, Any]]]]
) -> Path:
    """Write :func:`toml_text` of ``document`` to ``path`` (UTF-8)."""
    path.write_bytes(toml_text(document).encode("utf-8"))
    return path
