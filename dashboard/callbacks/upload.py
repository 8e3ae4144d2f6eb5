"""Import a facility list (CSV, GeoJSON, GeoPackage, zipped Shapefile) through the browser.

The uploaded bytes are written to a fresh temporary folder under a generated name (the uploaded
file name is never used as a path), next to a generated ``dataset.toml`` that uses the app's
districts and category catalogue, and checked with :func:`layers.dataset.validate_dataset`, the
same code as ``quartiersatlas validate``. Before that, the file is bounded: the base64 body is
sized before decoding, a zip is unpacked as a stream that never writes more than the upload
limit, and rows and coordinate pairs are counted before parsing (:class:`UploadLimits`). Only a
file without errors is saved, into the current request's workspace
(:mod:`dashboard.workspace`); an invalid file changes nothing. The points reach the map with
the map update of that workspace's requests (:func:`workspace_points`), never in the page
layout.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import tempfile
import threading
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

import dash
import pandas as pd
from dash import Input, Output, State, html

from dashboard import ids
from dashboard.figures import esc
from dashboard.i18n import fmt_number, t
from layers.errors import StoreError
from layers.store.workspaces import QuotaError, WorkspaceError, WorkspaceStore

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    import geopandas as gpd

    from dashboard.context import AppContext

EXTENSIONS = {
    ".csv": "csv",
    ".geojson": "geojson",
    ".json": "geojson",
    ".gpkg": "gpkg",
    ".zip": "zip",
}
SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")
MAX_ZIP_MEMBERS = 20
MAX_ISSUES_SHOWN = 30


@dataclass
class UploadResult:
    """Outcome of one upload: the facilities (WGS84 display frame) or the problems found."""

    ok: bool
    facilities: gpd.GeoDataFrame | None
    errors: list[str]
    warnings: list[str]
    saved: str | None = None
    """The name the upload was saved under in the workspace."""


def _toml_str(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def _manifest(ctx: AppContext, data_file: str) -> str:
    lines = [
        "[metadata]",
        'name = "upload"',
        f"city = {_toml_str(ctx.dataset.metadata.city)}",
        f"metric_crs = {_toml_str(ctx.dataset.metadata.metric_crs.to_string())}",
        "",
        "[districts]",
        'path = "districts.gpkg"',
        "",
        "[[facilities]]",
        f"path = {_toml_str(data_file)}",
        "",
        "[[population]]",
        'path = "population.csv"',
        "",
    ]
    for cat in ctx.dataset.categories:
        lines += [
            "[[categories]]",
            f"id = {_toml_str(cat.id)}",
            f"label_de = {_toml_str(cat.label_de)}",
            f"label_en = {_toml_str(cat.label_en)}",
            f"colour = {_toml_str(cat.colour)}",
            "",
        ]
    return "\n".join(lines)


ZIP_CHUNK_BYTES = 1024 * 1024


class Msg(str):
    """A user message: English text (for logs and tests) plus an i18n key and its values.

    :func:`result_children` shows it in the page's language with :func:`dashboard.i18n.t`.
    """

    key: str
    values: dict[str, Any]

    def __new__(cls, key: str, english: str, **values: Any) -> Msg:  # noqa: D102
        msg = super().__new__(cls, english)
        msg.key = key
        msg.values = values
        return msg


class UploadRejected(ValueError):
    """An upload breaks a limit or cannot be read; ``msg`` says why (without server paths)."""

    def __init__(self, msg: Msg) -> None:
        super().__init__(str(msg))
        self.msg = msg


@dataclass(frozen=True)
class UploadLimits:
    """Caps of one uploaded file: bytes (also the unpacked zip), rows and coordinate pairs."""

    max_bytes: int
    max_rows: int = 20_000
    max_vertices: int = 100_000


def _mb(size: int) -> str:
    return f"{size / 1024 / 1024:.1f}"


def extract_zip(raw: bytes, folder: Path, *, max_total_bytes: int) -> str:
    """Extract the Shapefile parts of a zip under generated names; return the .shp name.

    Members are streamed to disk in 1 MB chunks and the unpacked total is counted as it is
    written, so whatever the headers claim, at most ``max_total_bytes`` reach ``folder``.

    Raises
    ------
    UploadRejected
        Unreadable zip, too many members, not exactly one Shapefile, or more than
        ``max_total_bytes`` unpacked.
    """
    import io

    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise UploadRejected(Msg("upload_zip_unreadable", "the zip file cannot be read")) from exc
    members = [m for m in archive.infolist() if not m.is_dir()]
    if len(members) > MAX_ZIP_MEMBERS:
        raise UploadRejected(
            Msg(
                "upload_zip_members",
                f"the zip file holds {len(members)} files; at most {MAX_ZIP_MEMBERS}",
                n=len(members),
                max=MAX_ZIP_MEMBERS,
            )
        )
    shp = [m for m in members if PurePosixPath(m.filename).suffix.lower() == ".shp"]
    if len(shp) != 1:
        raise UploadRejected(
            Msg(
                "upload_zip_shp",
                "the zip file must hold exactly one .shp file (with .shx, .dbf, .prj)",
            )
        )
    stem = PurePosixPath(shp[0].filename).with_suffix("")
    parts = [
        m
        for m in members
        if PurePosixPath(m.filename).with_suffix("") == stem
        and PurePosixPath(m.filename).suffix.lower() in SHAPEFILE_PARTS
    ]
    declared = sum(m.file_size for m in parts)
    if declared > max_total_bytes:
        raise _zip_too_large(declared, max_total_bytes)
    budget = max_total_bytes
    for member in parts:
        target = folder / f"upload{PurePosixPath(member.filename).suffix.lower()}"
        budget -= _copy_member(archive, member, target, budget=budget, limit=max_total_bytes)
    return "upload.shp"


def _zip_too_large(size: int, limit: int) -> UploadRejected:
    return UploadRejected(
        Msg(
            "upload_zip_too_big",
            f"the files in the zip are too large unpacked (more than {_mb(size)} MB, "
            f"at most {_mb(limit)} MB)",
            size=size / 1024 / 1024,
            mb=limit / 1024 / 1024,
        )
    )


def _copy_member(
    archive: zipfile.ZipFile, member: zipfile.ZipInfo, target: Path, *, budget: int, limit: int
) -> int:
    """Stream one member to ``target``, never writing more than ``budget`` bytes; the size."""
    import zlib

    written = 0
    try:
        with archive.open(member) as source, target.open("wb") as sink:
            while True:
                chunk = source.read(min(ZIP_CHUNK_BYTES, budget - written + 1))
                if not chunk:
                    break
                if written + len(chunk) > budget:
                    # a header that lies about the size: stop before the budget is exceeded
                    raise _zip_too_large(limit - budget + written + len(chunk), limit)
                sink.write(chunk)
                written += len(chunk)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as exc:
        # a corrupt or encrypted member, or one whose CRC does not match its header
        raise UploadRejected(Msg("upload_zip_unreadable", "the zip file cannot be read")) from exc
    return written


def check_size(folder: Path, data_file: str, kind: str, limits: UploadLimits) -> None:
    """Refuse a file with more rows or coordinate pairs than ``limits`` before parsing it.

    CSV rows are counted as lines and GeoJSON coordinate pairs as ``[`` characters (both upper
    bounds, counted without parsing); GeoPackage and Shapefile report their feature count, and
    non-point layers are bounded by the geometry bytes (16 bytes per coordinate pair).
    """
    path = folder / data_file
    if kind == "csv":
        rows = _count_lines(path) - 1
        vertices = rows
    elif kind == "geojson":
        raw = path.read_bytes()
        rows = raw.count(b'"Feature"')
        vertices = raw.count(b"[")
    else:
        rows, vertices = _vector_counts(path)
    if rows > limits.max_rows:
        raise UploadRejected(
            Msg(
                "upload_too_many_rows",
                f"the file holds more than {limits.max_rows} rows ({rows})",
                n=rows,
                max=limits.max_rows,
            )
        )
    if vertices > limits.max_vertices:
        raise UploadRejected(
            Msg(
                "upload_too_many_vertices",
                f"the file holds more than {limits.max_vertices} coordinate pairs ({vertices})",
                n=vertices,
                max=limits.max_vertices,
            )
        )


def _count_lines(path: Path) -> int:
    count = 0
    last = b"\n"
    with path.open("rb") as handle:
        while chunk := handle.read(ZIP_CHUNK_BYTES):
            count += chunk.count(b"\n")
            last = chunk[-1:]
    return count + (last != b"\n")


def _vector_counts(path: Path) -> tuple[int, int]:
    """(features, upper bound of coordinate pairs) of a GeoPackage or Shapefile."""
    import pyogrio

    try:
        info = pyogrio.read_info(path)
    except Exception:  # the validator reports unreadable files with details
        return 0, 0
    rows = int(info.get("features") or 0)
    if str(info.get("geometry_type") or "").lower() in ("point", "point z", "point m"):
        return rows, rows
    return rows, max(rows, path.stat().st_size // 16)


def default_limits(ctx: AppContext) -> UploadLimits:
    """The upload caps of the app serving this request (defaults outside a request)."""
    from dashboard.workspace import EXTENSION_KEY

    settings = None
    try:
        from flask import current_app

        settings = current_app.extensions[EXTENSION_KEY].settings
    except (RuntimeError, KeyError):
        pass
    if settings is None:
        return UploadLimits(max_bytes=ctx.options.upload_max_bytes)
    return UploadLimits(
        max_bytes=ctx.options.upload_max_bytes,
        max_rows=settings.max_rows,
        max_vertices=settings.max_vertices,
    )


def validate_upload(
    ctx: AppContext, contents: str, filename: str, *, limits: UploadLimits | None = None
) -> UploadResult:
    """Decode, check and load an uploaded facility file (nothing is saved here)."""
    from layers.dataset import load_dataset, validate_dataset

    limits = limits or default_limits(ctx)
    suffix = Path(filename or "").suffix.lower()
    kind = EXTENSIONS.get(suffix)
    if kind is None:
        return UploadResult(False, None, ["type"], [])
    comma = (contents or "").find(",")
    if comma < 0:
        msg = Msg("upload_undecodable", "the upload could not be decoded")
        return UploadResult(False, None, [msg], [])
    # base64 is 4/3 of the bytes: refuse from the length, before copying or decoding anything
    size = (len(contents) - comma - 1) * 3 // 4
    if size > limits.max_bytes + 3:
        return UploadResult(False, None, [f"too_big:{size}"], [])
    encoded = contents[comma + 1 :]
    try:
        raw = base64.b64decode(encoded, validate=False)
    except (ValueError, binascii.Error):
        msg = Msg("upload_undecodable", "the upload could not be decoded")
        return UploadResult(False, None, [msg], [])
    if len(raw) > limits.max_bytes:
        return UploadResult(False, None, [f"too_big:{len(raw)}"], [])
    with tempfile.TemporaryDirectory(prefix="qa-upload-") as tmp:
        folder = Path(tmp)
        try:
            if kind == "zip":
                data_file = extract_zip(raw, folder, max_total_bytes=limits.max_bytes)
            else:
                data_file = f"upload{suffix}"
                (folder / data_file).write_bytes(raw)
            del raw
            check_size(folder, data_file, kind, limits)
        except UploadRejected as exc:
            return UploadResult(False, None, [exc.msg], [])
        ctx.dataset.districts[["id", "name", "geometry"]].to_file(
            folder / "districts.gpkg", driver="GPKG"
        )
        pd.DataFrame(
            {
                "district": ctx.dataset.districts["id"].astype(str),
                "year": 2000,
                "group": "total",
                "value": 1,
            }
        ).to_csv(folder / "population.csv", index=False)
        (folder / "dataset.toml").write_text(_manifest(ctx, data_file), encoding="utf-8")
        own = {data_file, "upload.shx", "upload.dbf", "upload.prj"}
        issues = [i for i in validate_dataset(folder) if i.file in own]
        errors = [_no_paths(i.format(), folder, data_file) for i in issues if i.severity == "error"]
        warnings = [
            _no_paths(i.format(), folder, data_file) for i in issues if i.severity == "warning"
        ]
        if errors:
            return UploadResult(False, None, errors, warnings)
        loaded = load_dataset(folder)
        facilities = loaded.facilities
    if len(facilities) == 0:
        return UploadResult(
            False,
            None,
            [Msg("upload_no_points", "the file holds no facility with coordinates")],
            warnings,
        )
    return UploadResult(True, facilities, [], warnings)


def _no_paths(text: str, folder: Path, data_file: str) -> str:
    """A validator message without the server's temporary folder or file names."""
    return text.replace(str(folder) + "/", "").replace(str(folder), "").replace(data_file, "file")


def upload_name(filename: str | None) -> str:
    r"""The display name of an upload: the file name without folders and extension.

    Examples
    --------
    >>> upload_name("C:\\fakepath\\Kitas 2025.csv")
    'Kitas 2025'
    """
    base = PurePosixPath(str(filename or "").replace("\\", "/")).name
    stem = base.rsplit(".", 1)[0] if "." in base else base
    return " ".join(stem.split())[:80] or "Upload"


def upload_bytes(facilities: gpd.GeoDataFrame) -> bytes:
    """The facilities as GeoJSON (WGS84), as they are kept in the workspace."""
    keep = [
        c for c in ("name", "category", "subcategory", "address", "capacity") if c in facilities
    ]
    frame = facilities[[*keep, "geometry"]].to_crs("EPSG:4326")
    return frame.to_json(drop_id=True).encode("utf-8")


def layer_points(ctx: AppContext, data: bytes, lang: str) -> dict[str, list]:
    """Map layer data (lat, lon, escaped hover text) of one saved upload."""
    names = {c.id: (c.label_en if lang == "en" else c.label_de) for c in ctx.dataset.categories}
    out: dict[str, list] = {"lat": [], "lon": [], "text": []}
    try:
        features = json.loads(data).get("features", [])
    except (ValueError, AttributeError):
        return out  # unreadable data shows nothing rather than breaking the map
    for feature in features:
        geometry = feature.get("geometry") or {}
        coords = geometry.get("coordinates") if geometry.get("type") == "Point" else None
        if not coords or len(coords) < 2:
            continue
        props = feature.get("properties") or {}
        category = str(props.get("category", ""))
        out["lat"].append(round(float(coords[1]), 5))
        out["lon"].append(round(float(coords[0]), 5))
        out["text"].append(f"{esc(props.get('name', ''))}<br>{esc(names.get(category, category))}")
    return out


_LAYER_CACHE: dict[tuple, dict[str, list]] = {}
"""Map layers keyed by (app, workspace, revision, language, cap): a changed upload list has a
new revision, so an entry is never stale; only the 32 newest are kept."""
_LAYER_CACHE_SIZE = 32
_LAYER_LOCK = threading.Lock()


def workspace_layer(
    ctx: AppContext,
    store: WorkspaceStore,
    workspace: str,
    lang: str,
    *,
    max_points: int,
) -> dict[str, list] | None:
    """The uploaded points of ``workspace`` for the map, at most ``max_points`` (None if none)."""
    revision = store.revision(workspace)
    if revision.startswith("0-"):
        return None
    key = (id(ctx), workspace, revision, lang, max_points)
    with _LAYER_LOCK:
        cached = _LAYER_CACHE.get(key)
    if cached is not None:
        return cached
    out: dict[str, list] = {"lat": [], "lon": [], "text": []}
    for item in store.uploads(workspace):
        room = max_points - len(out["lat"])
        if room <= 0:
            break
        try:
            part = layer_points(ctx, store.upload_data(workspace, item.id), lang)
        except WorkspaceError:  # deleted meanwhile
            continue
        for name in out:
            out[name].extend(part[name][:room])
    with _LAYER_LOCK:
        while len(_LAYER_CACHE) >= _LAYER_CACHE_SIZE:
            _LAYER_CACHE.pop(next(iter(_LAYER_CACHE)))
        _LAYER_CACHE[key] = out
    return out


def workspace_points(ctx: AppContext, lang: str) -> dict[str, list] | None:
    """The current request's uploaded points for the map (None outside a workspace app)."""
    from dashboard.workspace import current_workspaces

    try:
        spaces = current_workspaces()
    except (RuntimeError, KeyError):
        return None
    try:
        return workspace_layer(
            ctx,
            spaces.store,
            spaces.current(),
            lang,
            max_points=spaces.settings.max_display_points,
        )
    except StoreError as exc:
        log.warning("uploaded points not shown: %s", exc)
        return None


def result_children(ctx: AppContext, result: UploadResult, lang: str) -> list[Any]:
    """Messages for the user (Dash escapes all text)."""
    mb = ctx.options.upload_max_bytes / 1024 / 1024
    if result.ok:
        out: list[Any] = [
            html.P(
                t(
                    "upload_ok",
                    lang,
                    n=fmt_number(len(result.facilities), lang),
                    file=result.saved or "–",
                ),
                className="ok",
            )
        ]
    else:
        errors = result.errors
        if errors == ["type"]:
            return [html.P(t("upload_type", lang), className="error")]
        if errors and errors[0].startswith("too_big:"):
            size = int(errors[0].split(":", 1)[1]) / 1024 / 1024
            return [
                html.P(
                    t(
                        "upload_too_big",
                        lang,
                        size=fmt_number(size, lang, decimals=1),
                        mb=f"{mb:g}",
                    ),
                    className="error",
                )
            ]
        out = [
            html.P(t("upload_errors", lang, n=len(errors)), className="error"),
            html.Ul(
                [html.Li(message_text(e, lang)) for e in errors[:MAX_ISSUES_SHOWN]],
                className="issues",
            ),
        ]
    if result.warnings:
        out += [
            html.P(t("upload_warnings", lang)),
            html.Ul([html.Li(w) for w in result.warnings[:MAX_ISSUES_SHOWN]], className="issues"),
        ]
    return out


def message_text(message: str, lang: str) -> str:
    """A :class:`Msg` in ``lang``; other messages (the validator's) as they are."""
    if isinstance(message, Msg):
        values = {
            k: fmt_number(v, lang, decimals=0 if isinstance(v, int) else 1)
            if isinstance(v, int | float)
            else v
            for k, v in message.values.items()
        }
        return t(message.key, lang, **values)
    return str(message)


def handle_upload(
    ctx: AppContext,
    contents: str | None,
    filename: str | None,
    lang: str,
    *,
    store: WorkspaceStore,
    workspace: str,
    limits: UploadLimits | None = None,
) -> tuple[Any, Any]:
    """Validate and save an upload into ``workspace``; (upload store data, messages).

    The store data is only the workspace's revision (the points travel with the map update);
    an invalid file or a full workspace changes nothing.
    """
    if not contents:
        raise dash.exceptions.PreventUpdate
    result = validate_upload(ctx, contents, filename or "", limits=limits)
    if not result.ok:
        return dash.no_update, result_children(ctx, result, lang)
    try:
        item = store.add_upload(
            workspace,
            name=upload_name(filename),
            data=upload_bytes(result.facilities),
            n_facilities=len(result.facilities),
        )
    except StoreError as exc:
        log.warning("upload not saved: %s", exc)
        return dash.no_update, [html.P(t("ws_unavailable", lang), className="error")]
    except QuotaError as exc:
        key = "upload_quota_files" if exc.limit == "files" else "upload_quota_bytes"
        allowed = exc.allowed if exc.limit == "files" else exc.allowed / 1024 / 1024
        msg = Msg(key, str(exc), max=allowed)
        return dash.no_update, [html.P(message_text(msg, lang), className="error")]
    result.saved = item.name
    return {"rev": store.revision(workspace)}, result_children(ctx, result, lang)


def register(app: dash.Dash, ctx: AppContext) -> None:
    """Register the upload callback."""

    @app.callback(
        Output(ids.UPLOAD_STORE, "data"),
        Output(ids.UPLOAD_RESULT, "children"),
        Input(ids.UPLOAD, "contents"),
        State(ids.UPLOAD, "filename"),
        State(ids.LANG, "value"),
        prevent_initial_call=True,
    )
    def on_upload(contents: str | None, filename: str | None, lang: str) -> tuple:
        from dashboard.workspace import current_workspace

        store, workspace = current_workspace()
        return handle_upload(ctx, contents, filename, lang, store=store, workspace=workspace)
