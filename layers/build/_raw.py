"""Read raw source files for dataset recipes: JSON, CSV with line numbers, districts, fetch records.

Nothing here knows about a particular city; recipes pass their file names and columns in.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd

from layers.build._write import format_coord, normalise_name
from layers.errors import BuildError

FETCH_RECORD = "fetch.json"
"""Name of the record ``quartiersatlas fetch`` writes next to the files it downloaded."""

CsvRecords = list[tuple[int, dict[str, str]]]


def read_json(path: Path, *, file: str) -> Any:
    """Parse the JSON file ``path`` (``file`` names it in errors)."""
    try:
        return json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BuildError(f"{file}: cannot read as JSON: {exc}") from exc


def read_csv(path: Path, *, file: str) -> tuple[list[str], CsvRecords]:
    """Header and ``(physical line, record)`` pairs of a CSV file.

    UTF-8 (with or without BOM), else cp1252; delimiter ``,``, ``;`` or tab, whichever the header
    line holds most of. Blank lines are skipped.

    Raises
    ------
    BuildError
        Empty file, or a record with a different number of fields than the header.
    """
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252")
    first = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise BuildError(f"{file}: empty file") from None
    records: CsvRecords = []
    line = reader.line_num
    for values in reader:
        start, line = line + 1, reader.line_num
        if not any(v.strip() for v in values):
            continue
        if len(values) != len(header):
            raise BuildError(f"{file}, row {start}: {len(values)} fields, header has {len(header)}")
        records.append((start, dict(zip(header, values, strict=True))))
    return header, records


def parse_coordinates(lat: str, lon: str, *, file: str, row: int) -> tuple[str, str]:
    """Format a lat/lon text pair with fixed decimals; two empty fields stay empty.

    Raises
    ------
    BuildError
        If only one is given or they are not finite numbers.
    """
    lat, lon = lat.strip(), lon.strip()
    if not lat and not lon:
        return "", ""
    try:
        return format_coord(float(lat)), format_coord(float(lon))
    except (ValueError, BuildError):
        raise BuildError(f"{file}, row {row}: lat/lon {lat!r}/{lon!r} are not numbers") from None


@dataclass(frozen=True)
class DistrictIndex:
    """Districts of a build (ids, names, WGS84 polygons) and name-to-id matching."""

    ids: tuple[str, ...]
    names: tuple[str, ...]
    geometries: tuple[Any, ...]
    file: str

    def id_for(self, name: str, *, file: str, row: int | None = None) -> str:
        """The id of the district called ``name`` (exact match after whitespace normalisation).

        Raises
        ------
        BuildError
            If no district has that name (the message names file and row and lists the names).
        """
        wanted = normalise_name(name)
        for district_id, district_name in zip(self.ids, self.names, strict=True):
            if normalise_name(district_name) == wanted:
                return district_id
        where = file + (f", row {row}" if row is not None else "")
        close = [n for n in self.names if n.casefold() == wanted.casefold()]
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise BuildError(
            f"{where}: district {name!r} is not in {self.file}{hint}; "
            f"valid names: {', '.join(self.names)}"
        )

    def frame(self, crs: str) -> gpd.GeoDataFrame:
        """The districts as a GeoDataFrame (``id``, ``name``) projected to ``crs``."""
        frame = gpd.GeoDataFrame(
            {"id": list(self.ids), "name": list(self.names)},
            geometry=list(self.geometries),
            crs="EPSG:4326",
        )
        return frame.to_crs(crs)


@dataclass(frozen=True)
class FetchedItem:
    """One successfully fetched file of a ``fetch.json`` (``path`` relative to the source)."""

    id: str
    kind: str
    path: str
    url: str
    category: str
    subcategory: str
    licence: str
    attribution: str


@dataclass(frozen=True)
class FetchRecord:
    """A ``fetch.json``: the fetch date (``YYYY-MM-DD``) and the files fetched successfully."""

    date: str
    items: tuple[FetchedItem, ...]

    def of_kind(self, kind: str) -> tuple[FetchedItem, ...]:
        """Items of ``kind`` (``"facilities"`` or ``"population"``), in record order."""
        return tuple(item for item in self.items if item.kind == kind)


def read_fetch_record(source: Path) -> FetchRecord | None:
    """Read the ``fetch.json`` in ``source`` or in one of its direct subfolders, if there is one.

    Failed items are skipped. Item paths are returned relative to ``source``.

    Raises
    ------
    BuildError
        Malformed record, a listed file missing, an item without category, or several fetched
        subfolders.
    """
    candidates = [source / FETCH_RECORD] if (source / FETCH_RECORD).is_file() else []
    if not candidates:
        candidates = sorted(p for p in source.glob(f"*/{FETCH_RECORD}") if p.is_file())
    if not candidates:
        return None
    if len(candidates) > 1:
        listed = ", ".join(p.relative_to(source).as_posix() for p in candidates)
        raise BuildError(f"{source}: several fetched folders ({listed}); keep only one")
    path = candidates[0]
    prefix = path.parent.relative_to(source)
    name = path.relative_to(source).as_posix()
    doc = read_json(path, file=name)
    if not isinstance(doc, dict) or not isinstance(doc.get("items"), list):
        raise BuildError(f"{name}: expected an object with an 'items' list")
    fetched_at = str(doc.get("fetched_at", ""))
    if not re.match(r"^\d{4}-\d{2}-\d{2}", fetched_at):
        raise BuildError(f"{name}: 'fetched_at' {fetched_at!r} is not an ISO date")
    items = []
    for number, item in enumerate(doc["items"], start=1):
        if not isinstance(item, dict):
            raise BuildError(f"{name}: item {number} is not an object")
        if item.get("status") != "ok":
            continue
        try:
            fetched = FetchedItem(
                id=str(item["id"]),
                kind=str(item["kind"]),
                path=(prefix / str(item["path"])).as_posix(),
                url=str(item["url"]),
                category=str(item.get("category") or ""),
                subcategory=str(item.get("subcategory") or ""),
                licence=str(item.get("licence") or ""),
                attribution=str(item.get("attribution") or ""),
            )
        except KeyError as exc:
            raise BuildError(f"{name}: item {number} lacks {exc.args[0]!r}") from None
        if not (source / fetched.path).is_file():
            raise BuildError(f"{name}: item {fetched.id!r}: file {fetched.path} is missing")
        if not fetched.category:
            raise BuildError(f"{name}: item {fetched.id!r} has no category")
        items.append(fetched)
    return FetchRecord(date=fetched_at[:10], items=tuple(items))
