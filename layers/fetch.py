"""Download a city's official source layers, listed in a source catalogue, into a raw folder.

The catalogue (``data/sources/<city>.csv``, documented in docs/sources.md) names one URL per
layer. :func:`fetch_sources` downloads every entry, checks each response (GeoJSON must be a
FeatureCollection of points, CSV must have a ``Stadtteil`` column), and writes the files unchanged
plus a ``fetch.json`` record into the output folder. Nothing in the folder changes unless the
whole fetch succeeded, so a failed or interrupted fetch leaves earlier data intact.

Layout of the raw folder (the contract with ``build-dataset``)::

    DIR/fetch.json
    DIR/facilities/geoportal/<id>.geojson
    DIR/population/transparenz/<id>.csv
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import math
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from types import MappingProxyType
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

import requests
from tqdm import tqdm

from layers import __version__
from layers._atomic import atomic_directory
from layers._resources import bundled_dir
from layers.errors import FetchError, SourceCatalogueError, StoreError

SourceKind = Literal["facilities", "population"]
SourceFormat = Literal["geojson", "csv"]
ItemStatus = Literal["ok", "failed"]

CATALOGUE_COLUMNS: tuple[str, ...] = (
    "id",
    "kind",
    "name",
    "format",
    "url",
    "category",
    "subcategory",
    "licence",
    "attribution",
)
"""Columns of a source catalogue, in file order."""

KIND_FORMAT: Mapping[str, str] = MappingProxyType({"facilities": "geojson", "population": "csv"})
"""The one file format each kind of source must have."""

KIND_FOLDER: Mapping[str, PurePosixPath] = MappingProxyType(
    {
        "facilities": PurePosixPath("facilities", "geoportal"),
        "population": PurePosixPath("population", "transparenz"),
    }
)
"""Folder of each kind of source inside the raw folder."""

FETCH_RECORD = "fetch.json"
"""Name of the record that :func:`fetch_sources` writes into the raw folder."""

OWNED_ENTRIES: tuple[PurePosixPath, ...] = (*KIND_FOLDER.values(), PurePosixPath(FETCH_RECORD))
"""What a fetch writes into the raw folder (and replaces there); ``fetch.json`` last."""

DEFAULT_TIMEOUT_S = 30.0
USER_AGENT = f"quartiersatlas/{__version__} (source refresh)"
DISTRICT_COLUMN_PREFIX = "stadtteil"
_ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_SNIPPET_CHARS = 60


@dataclass(frozen=True)
class Source:
    """One entry of a source catalogue: a layer published at ``url``."""

    id: str
    kind: SourceKind
    name: str
    format: SourceFormat
    url: str
    category: str
    subcategory: str
    licence: str
    attribution: str

    @property
    def path(self) -> PurePosixPath:
        """Path of the downloaded file inside the raw folder."""
        return KIND_FOLDER[self.kind] / f"{self.id}.{self.format}"


@dataclass(frozen=True)
class FetchItem:
    """What happened to one catalogue entry during a fetch (one item of ``fetch.json``)."""

    id: str
    kind: str
    url: str
    path: str | None
    sha256: str | None
    bytes: int | None
    category: str
    subcategory: str
    licence: str
    attribution: str
    status: ItemStatus
    error: str | None
    records: int | None = None
    requested_url: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the item as written to ``fetch.json`` (``requested_url`` only when it differs)."""
        data = asdict(self)
        if data["requested_url"] in (None, self.url):
            del data["requested_url"]
        return data


@dataclass(frozen=True)
class FetchReport:
    """Result of :func:`fetch_sources`: the items written to ``fetch.json``."""

    city: str
    fetched_at: str
    out_dir: Path
    items: tuple[FetchItem, ...]

    @property
    def ok(self) -> tuple[FetchItem, ...]:
        """Items downloaded and written."""
        return tuple(item for item in self.items if item.status == "ok")

    @property
    def failed(self) -> tuple[FetchItem, ...]:
        """Items that failed (only with ``keep_going=True``)."""
        return tuple(item for item in self.items if item.status == "failed")

    def to_dict(self) -> dict[str, Any]:
        """Return the content of ``fetch.json``."""
        return {
            "city": self.city,
            "fetched_at": self.fetched_at,
            "items": [item.to_dict() for item in self.items],
        }


def sources_dir() -> Path:
    """Folder of the project's source catalogues (``data/sources``)."""
    return bundled_dir("data") / "sources"


def available_cities(folder: Path | None = None) -> tuple[str, ...]:
    """Cities that have a source catalogue, sorted (file stems of ``data/sources/*.csv``)."""
    root = sources_dir() if folder is None else folder
    return tuple(sorted(path.stem for path in root.glob("*.csv")))


def catalogue_path(city: str, *, folder: Path | None = None) -> Path:
    """Path of the source catalogue of ``city``.

    Raises
    ------
    SourceCatalogueError
        When there is no catalogue for ``city``; the message lists the cities that have one.
    """
    root = sources_dir() if folder is None else folder
    path = root / f"{city.lower()}.csv"
    if not path.is_file():
        known = ", ".join(available_cities(root)) or "none"
        raise SourceCatalogueError(
            f"no source catalogue for city {city!r} in {root}; available: {known}"
        )
    return path


def read_catalogue(path: str | Path) -> tuple[Source, ...]:
    """Read and check a source catalogue CSV.

    Parameters
    ----------
    path
        UTF-8 CSV with the columns of :data:`CATALOGUE_COLUMNS` (see docs/sources.md).

    Returns
    -------
    tuple of Source
        The entries in file order.

    Raises
    ------
    SourceCatalogueError
        Missing file or columns, bad or repeated ids, unknown kind, a format that does not fit
        the kind, a URL that is not http(s), or an empty category; the message names the line.
    """
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise SourceCatalogueError(f"source catalogue not found: {file}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SourceCatalogueError(f"cannot read source catalogue {file}: {exc}") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    missing = [col for col in CATALOGUE_COLUMNS if col not in (reader.fieldnames or ())]
    if missing:
        raise SourceCatalogueError(
            f"{file}: missing column(s) {', '.join(missing)}; "
            f"expected {', '.join(CATALOGUE_COLUMNS)}"
        )
    sources: list[Source] = []
    seen: set[str] = set()
    for row in reader:
        line = reader.line_num
        values = {col: (row.get(col) or "").strip() for col in CATALOGUE_COLUMNS}
        where = f"{file}, line {line}"
        if not _ID_PATTERN.match(values["id"]):
            raise SourceCatalogueError(
                f"{where}: id {values['id']!r} is not a slug (lower-case letters, digits, '-')"
            )
        if values["id"] in seen:
            raise SourceCatalogueError(f"{where}: id {values['id']!r} is repeated")
        seen.add(values["id"])
        if values["kind"] not in KIND_FORMAT:
            raise SourceCatalogueError(
                f"{where}: kind {values['kind']!r} is unknown; valid: {', '.join(KIND_FORMAT)}"
            )
        expected_format = KIND_FORMAT[values["kind"]]
        if values["format"] != expected_format:
            raise SourceCatalogueError(
                f"{where}: format {values['format']!r} does not fit kind {values['kind']!r}; "
                f"expected {expected_format!r}"
            )
        if urlsplit(values["url"]).scheme not in ("http", "https"):
            raise SourceCatalogueError(f"{where}: url {values['url']!r} is not http(s)")
        if not values["category"]:
            raise SourceCatalogueError(f"{where}: category is empty")
        sources.append(Source(**values))  # type: ignore[arg-type]
    if not sources:
        raise SourceCatalogueError(f"{file}: the catalogue has no entries")
    return tuple(sources)


def select_sources(sources: Sequence[Source], only: Iterable[str] | None) -> tuple[Source, ...]:
    """Keep the sources whose id is in ``only`` (catalogue order); all when ``only`` is None.

    Raises
    ------
    SourceCatalogueError
        When an id is not in the catalogue; the message lists the valid ids.
    """
    if only is None:
        return tuple(sources)
    wanted = [item.strip() for item in only if item.strip()]
    known = {source.id for source in sources}
    unknown = [item for item in wanted if item not in known]
    if unknown:
        raise SourceCatalogueError(
            f"unknown source id(s): {', '.join(unknown)}; valid: "
            + ", ".join(source.id for source in sources)
        )
    if not wanted:
        raise SourceCatalogueError("no source ids given")
    return tuple(source for source in sources if source.id in wanted)


def rewrite_base_url(url: str, base_url: str | None) -> str:
    """Replace scheme and host of ``url`` by those of ``base_url`` (for mirrors and tests).

    A path in ``base_url`` is put in front of the original path; query and fragment stay.

    Examples
    --------
    >>> rewrite_base_url("https://geo.example/a/b?f=geojson", "http://127.0.0.1:8000/mirror")
    'http://127.0.0.1:8000/mirror/a/b?f=geojson'
    """
    if base_url is None:
        return url
    base = urlsplit(base_url)
    if base.scheme not in ("http", "https") or not base.netloc:
        raise SourceCatalogueError(
            f"base URL {base_url!r} must look like http://host[:port][/path]"
        )
    parts = urlsplit(url)
    path = base.path.rstrip("/") + parts.path
    return urlunsplit((base.scheme, base.netloc, path, parts.query, parts.fragment))


def validate_geojson(data: bytes) -> int:
    """Check that ``data`` is a GeoJSON FeatureCollection of points; return the feature count.

    Features without geometry are allowed (the builder reports them as unlocated). Without a
    ``crs`` member, coordinates must be WGS84 longitude/latitude.

    Raises
    ------
    FetchError
        With ``reason`` saying what is wrong (HTML instead of JSON, malformed or truncated JSON,
        a server error object, not a FeatureCollection, a non-point geometry, bad coordinates,
        a result cut off by the server's record limit).
    """
    text = _decode(data, "GeoJSON", encodings=("utf-8-sig",))
    _reject_html(text, "GeoJSON")
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        reason = f"malformed JSON ({exc.msg}: line {exc.lineno} column {exc.colno})"
        if _unclosed(text):
            reason += "; the response looks truncated"
        raise _invalid(reason) from None
    if not isinstance(doc, dict):
        raise _invalid(f"expected a GeoJSON FeatureCollection, got a JSON {type(doc).__name__}")
    if "error" in doc and "features" not in doc:
        err = doc["error"] if isinstance(doc["error"], dict) else {"message": doc["error"]}
        details = "; ".join(str(d) for d in err.get("details") or ())
        message = f"server returned error {err.get('code', '')}: {err.get('message', '')}"
        raise _invalid(message.replace("error :", "error:") + (f" ({details})" if details else ""))
    if doc.get("type") != "FeatureCollection":
        raise _invalid(f"expected a GeoJSON FeatureCollection, got type {doc.get('type')!r}")
    features = doc.get("features")
    if not isinstance(features, list):
        raise _invalid("the FeatureCollection has no 'features' list")
    properties = doc.get("properties") if isinstance(doc.get("properties"), dict) else {}
    if doc.get("exceededTransferLimit") or properties.get("exceededTransferLimit"):
        raise _invalid(
            "the server cut the result off at its record limit (exceededTransferLimit); "
            "the layer is incomplete"
        )
    lonlat = "crs" not in doc
    for number, feature in enumerate(features, start=1):
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            raise _invalid(f"feature {number} is not a GeoJSON Feature")
        geometry = feature.get("geometry")
        if geometry is None:
            continue
        kind = geometry.get("type") if isinstance(geometry, dict) else None
        if kind != "Point":
            raise _invalid(f"feature {number} has geometry type {kind!r}, expected 'Point'")
        coords = geometry.get("coordinates")
        if not _is_position(coords):
            raise _invalid(f"feature {number} has invalid point coordinates {coords!r}")
        if lonlat and not (-180 <= coords[0] <= 180 and -90 <= coords[1] <= 90):
            raise _invalid(
                f"feature {number} has coordinates {coords[:2]!r} outside longitude/latitude "
                "and the file declares no 'crs'"
            )
    return len(features)


def validate_csv(data: bytes) -> int:
    """Check that ``data`` is a CSV table per Stadtteil; return the number of data rows.

    The text must decode as UTF-8 (with or without BOM) or cp1252, the header must have a column
    whose name starts with ``Stadtteil`` (any case), and there must be at least one data row.

    Raises
    ------
    FetchError
        With ``reason`` saying what is wrong.
    """
    text = _decode(data, "CSV", encodings=("utf-8-sig", "cp1252"))
    _reject_html(text, "CSV")
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise _invalid("the CSV is empty (no header line)")
    header_line = lines[0]
    delimiter = max((",", ";", "\t"), key=header_line.count)
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise _invalid(f"malformed CSV ({exc})") from None
    header = [cell.strip() for cell in rows[0]]
    if not any(cell.casefold().startswith(DISTRICT_COLUMN_PREFIX) for cell in header):
        shown = ", ".join(repr(cell) for cell in header[:8])
        raise _invalid(f"the CSV header has no Stadtteil column (columns: {shown})")
    body = [row for row in rows[1:] if any(cell.strip() for cell in row)]
    if not body:
        raise _invalid("the CSV has a header but no data rows")
    return len(body)


def download(
    source: Source,
    *,
    session: requests.Session,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    base_url: str | None = None,
) -> tuple[bytes, int]:
    """Download and check one source; return the bytes as received and the record count.

    Parameters
    ----------
    source
        The catalogue entry.
    session
        HTTP session (injectable for tests and for proxies or retries set up by the caller).
    timeout_s
        Seconds to wait for the connection and between bytes of the response.
    base_url
        Mirror base URL (see :func:`rewrite_base_url`).

    Raises
    ------
    FetchError
        ``url``, ``reason`` and ``item_id`` say which download failed and why.
    """
    url = rewrite_base_url(source.url, base_url)
    try:
        data = _get(url, session=session, timeout_s=timeout_s)
        records = validate_geojson(data) if source.format == "geojson" else validate_csv(data)
    except FetchError as exc:
        reason = exc.reason or str(exc)
        raise FetchError(
            f"{source.id}: {reason} (url: {url})", url=url, reason=reason, item_id=source.id
        ) from None
    return data, records


def fetch_sources(
    catalogue: str | Path | Sequence[Source],
    out_dir: str | Path,
    *,
    city: str | None = None,
    only: Iterable[str] | None = None,
    keep_going: bool = False,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    base_url: str | None = None,
    session: requests.Session | None = None,
    progress: bool | None = False,
) -> FetchReport:
    """Download every source of ``catalogue`` into the raw folder ``out_dir``, atomically.

    Everything is downloaded into a temporary sibling folder first and moved into place only at
    the end: a missing ``out_dir``, or one that holds nothing but an earlier fetch, is replaced as
    a whole (:func:`layers._atomic.atomic_directory`); in a raw source folder with other files
    (for example the one ``build-dataset`` reads) only ``fetch.json``, ``facilities/geoportal/``
    and ``population/transparenz/`` are replaced, and everything else is left alone. By default
    the first failure stops the fetch and ``out_dir`` stays as it was. With ``keep_going=True`` every source is tried, the successful ones are written and the
    failures are recorded in ``fetch.json`` (status ``failed`` with the error); if none succeeds,
    nothing is replaced and :class:`FetchError` is raised.

    Parameters
    ----------
    catalogue
        Path of a source catalogue CSV, or the entries read with :func:`read_catalogue`.
    out_dir
        Raw folder to create, or to refresh (see above).
    city
        City written to ``fetch.json``; default: the catalogue's file stem.
    only
        Ids of the sources to fetch (default: all). The folder then holds only these.
    keep_going
        Record failures and write the successful sources instead of stopping.
    timeout_s
        Seconds to wait for a connection and between bytes of a response.
    base_url
        Replace scheme and host of every URL (mirrors, tests).
    session
        HTTP session to use; default: a new :class:`requests.Session`.
    progress
        Show a progress bar (tqdm, on stderr); ``None``: only when stderr is a terminal.

    Returns
    -------
    FetchReport
        The items as written to ``fetch.json``.

    Raises
    ------
    SourceCatalogueError
        Bad catalogue, unknown id in ``only``, bad ``base_url``.
    StoreError
        ``out_dir`` is a file.
    FetchError
        A download failed (timeout, connection or HTTP error, malformed response); the message
        names the source id, the URL and the reason.
    """
    if isinstance(catalogue, str | Path):
        sources = read_catalogue(catalogue)
        city = city or Path(catalogue).stem
    else:
        sources = tuple(catalogue)
    if not city:
        raise SourceCatalogueError("city is required when the catalogue is given as entries")
    selected = select_sources(sources, only)
    rewrite_base_url("http://check.invalid/", base_url)  # fail early on a bad base URL
    target = Path(out_dir)
    if target.exists() and not target.is_dir():
        raise StoreError(f"output {target} exists and is not a folder")
    fetched_at = datetime.now(UTC).isoformat(timespec="seconds")
    own_session = session is None
    http = requests.Session() if session is None else session

    def fill(staging: Path) -> FetchReport:
        items = _fetch_into(
            selected,
            staging,
            session=http,
            timeout_s=timeout_s,
            base_url=base_url,
            keep_going=keep_going,
            progress=progress,
        )
        report = FetchReport(city, fetched_at, target.resolve(), items)
        record = json.dumps(report.to_dict(), ensure_ascii=False, indent=2) + "\n"
        (staging / FETCH_RECORD).write_text(record, encoding="utf-8")
        return report

    try:
        if _holds_only_fetch_output(target):
            with atomic_directory(target) as staging:
                report = fill(staging)
        else:  # a raw source folder with other files: swap in only what fetch owns
            target.parent.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.fetch-", dir=target.parent))
            try:
                report = fill(staging)
                _swap_owned_entries(target, staging)
            finally:
                shutil.rmtree(staging, ignore_errors=True)
    finally:
        if own_session:
            http.close()
    return report


def _fetch_into(
    sources: Sequence[Source],
    staging: Path,
    *,
    session: requests.Session,
    timeout_s: float,
    base_url: str | None,
    keep_going: bool,
    progress: bool | None,
) -> tuple[FetchItem, ...]:
    items: list[FetchItem] = []
    bar = tqdm(
        total=len(sources),
        desc="fetch",
        unit="file",
        disable=None if progress is None else not progress,
        leave=False,
    )
    try:
        for source in sources:
            bar.set_postfix_str(source.id)
            requested = rewrite_base_url(source.url, base_url)
            try:
                data, records = download(
                    source, session=session, timeout_s=timeout_s, base_url=base_url
                )
            except FetchError as exc:
                if not keep_going:
                    raise
                items.append(_item(source, requested, status="failed", error=exc.reason))
            else:
                file = staging / source.path
                file.parent.mkdir(parents=True, exist_ok=True)
                file.write_bytes(data)
                items.append(_item(source, requested, status="ok", data=data, records=records))
            bar.update(1)
    finally:
        bar.close()
    failed = [item for item in items if item.status == "failed"]
    if failed and len(failed) == len(items):
        lines = "\n".join(
            f"  {item.id}: {item.error} (url: {item.requested_url})" for item in failed
        )
        raise FetchError(f"all {len(items)} download(s) failed:\n{lines}")
    return tuple(items)


def _item(
    source: Source,
    requested_url: str,
    *,
    status: ItemStatus,
    data: bytes | None = None,
    records: int | None = None,
    error: str | None = None,
) -> FetchItem:
    return FetchItem(
        id=source.id,
        kind=source.kind,
        url=source.url,
        path=source.path.as_posix() if data is not None else None,
        sha256=hashlib.sha256(data).hexdigest() if data is not None else None,
        bytes=len(data) if data is not None else None,
        category=source.category,
        subcategory=source.subcategory,
        licence=source.licence,
        attribution=source.attribution,
        status=status,
        error=error,
        records=records,
        requested_url=requested_url,
    )


def _holds_only_fetch_output(target: Path) -> bool:
    """Tell whether ``target`` is missing, empty, or holds nothing but an earlier fetch."""
    if not target.is_dir():
        return True
    for entry in target.iterdir():
        if entry.name == FETCH_RECORD and entry.is_file():
            continue
        owned = [path.name for path in OWNED_ENTRIES[:-1] if path.parent.name == entry.name]
        if not owned or not entry.is_dir():
            return False
        if any(child.name not in owned for child in entry.iterdir()):
            return False
    return True


def _swap_owned_entries(target: Path, staging: Path) -> None:
    """Move fetch's own entries from ``staging`` into ``target``, the old ones out of the way.

    Each move is an atomic rename; if one fails, the moves done so far are undone, so
    ``target`` ends up as it was. ``fetch.json`` is moved last.
    """
    previous = staging / ".previous"
    moved_out: list[PurePosixPath] = []
    moved_in: list[PurePosixPath] = []
    created: list[Path] = []
    try:
        for rel in OWNED_ENTRIES:
            old, new = target / rel, staging / rel
            if old.exists() or old.is_symlink():
                (previous / rel).parent.mkdir(parents=True, exist_ok=True)
                os.replace(old, previous / rel)
                moved_out.append(rel)
            if new.exists():
                for parent in reversed((target / rel).parents):
                    if not parent.exists():
                        parent.mkdir()
                        created.append(parent)
                os.replace(new, target / rel)
                moved_in.append(rel)
    except BaseException:
        for rel in reversed(moved_in):
            os.replace(target / rel, staging / rel)
        for rel in reversed(moved_out):
            os.replace(previous / rel, target / rel)
        for folder in reversed(created):
            with contextlib.suppress(OSError):
                folder.rmdir()
        raise


def _get(url: str, *, session: requests.Session, timeout_s: float) -> bytes:
    try:
        response = session.get(url, timeout=timeout_s, headers={"User-Agent": USER_AGENT})
    except requests.Timeout:
        raise _invalid(f"timed out after {timeout_s:g} s") from None
    except requests.exceptions.ChunkedEncodingError as exc:
        raise _invalid(f"the response ended early ({_root_message(exc)})") from None
    except requests.ConnectionError as exc:
        if isinstance(exc.__context__, TimeoutError) or "timed out" in str(exc):
            raise _invalid(f"timed out after {timeout_s:g} s") from None
        raise _invalid(f"connection failed ({_root_message(exc)})") from None
    except requests.RequestException as exc:
        raise _invalid(f"request failed ({_root_message(exc)})") from None
    with response:
        if response.status_code >= 400:
            reason = f"HTTP {response.status_code} {response.reason or ''}".rstrip()
            snippet = _snippet(response.content)
            if snippet and snippet.casefold() != (response.reason or "").casefold():
                reason += f": {snippet}"
            raise _invalid(reason)
        data = response.content
        declared = response.headers.get("Content-Length", "")
        encoded = response.headers.get("Content-Encoding", "identity").lower() != "identity"
        if declared.isdigit() and not encoded and int(declared) != len(data):
            raise _invalid(
                f"the response ended early: received {len(data)} of {int(declared)} bytes"
            )
        return data


def _invalid(reason: str) -> FetchError:
    return FetchError(reason, reason=reason)


def _decode(data: bytes, what: str, *, encodings: Sequence[str]) -> str:
    if not data.strip():
        raise _invalid(f"the response is empty (expected {what})")
    for encoding in encodings:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise _invalid(f"the response is not text in {' or '.join(encodings)} (expected {what})")


def _reject_html(text: str, what: str) -> None:
    head = text.lstrip()[:200].lower()
    if head.startswith("<"):
        kind = "HTML" if ("<html" in head or "<!doctype html" in head) else "XML/HTML"
        raise _invalid(f"expected {what} but got {kind} (starts with {_snippet(text.encode())!r})")


def _snippet(data: bytes) -> str:
    text = data.decode("utf-8", errors="replace")
    text = " ".join(text.split())
    return text[:_SNIPPET_CHARS] + ("…" if len(text) > _SNIPPET_CHARS else "")


def _is_position(coords: Any) -> bool:
    return (
        isinstance(coords, list)
        and len(coords) >= 2
        and all(isinstance(c, int | float) and not isinstance(c, bool) for c in coords)
        and all(math.isfinite(c) for c in coords)
    )


def _root_message(exc: BaseException) -> str:
    """Find the innermost readable cause of a requests/urllib3 error (e.g. 'Connection refused')."""
    seen: set[int] = set()
    stack: list[BaseException] = [exc]
    best = str(exc)
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, OSError) and current.strerror:
            return current.strerror
        if "IncompleteRead" in type(current).__name__ or "IncompleteRead" in str(current):
            best = str(current)
        for nested in (*current.args, getattr(current, "reason", None)):
            if isinstance(nested, BaseException):
                stack.append(nested)
        for linked in (current.__cause__, current.__context__):
            if linked is not None:
                stack.append(linked)
    return best


def _unclosed(text: str) -> bool:
    """Tell whether JSON text ends inside a string, object or array (a cut-off response)."""
    depth = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "{[":
            depth += 1
        elif char in "}]":
            depth -= 1
    return in_string or depth > 0
