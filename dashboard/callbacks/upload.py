"""Import a facility list (CSV, GeoJSON, GeoPackage, zipped Shapefile) through the browser.

The uploaded bytes are written to a fresh temporary folder under a generated name (the uploaded
file name is never used as a path), next to a generated ``dataset.toml`` that uses the app's
districts and category catalogue, and checked with :func:`layers.dataset.validate_dataset`, the
same code as ``quartiersatlas validate``. Only a file without errors becomes an extra map layer
and is saved atomically in the user's data folder; an invalid file changes nothing.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import tempfile
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

import dash
import pandas as pd
from dash import Input, Output, State, html

from dashboard import ids
from dashboard.figures import esc, facility_points
from dashboard.i18n import fmt_number, t
from layers._atomic import atomic_write_bytes

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
    saved: Path | None = None


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


MAX_ZIP_MEMBER_BYTES = 200 * 1024 * 1024
"""Largest unpacked Shapefile part accepted from an uploaded zip."""


def _extract_zip(raw: bytes, folder: Path) -> str:
    """Extract the Shapefile parts of a zip under generated names; return the .shp name."""
    import io

    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
    except zipfile.BadZipFile as exc:
        raise ValueError("the zip file cannot be read") from exc
    members = [m for m in archive.infolist() if not m.is_dir()]
    if len(members) > MAX_ZIP_MEMBERS:
        raise ValueError(f"the zip file holds {len(members)} files; at most {MAX_ZIP_MEMBERS}")
    shp = [m for m in members if PurePosixPath(m.filename).suffix.lower() == ".shp"]
    if len(shp) != 1:
        raise ValueError("the zip file must hold exactly one .shp file (with .shx, .dbf, .prj)")
    stem = PurePosixPath(shp[0].filename).with_suffix("")
    for member in members:
        path = PurePosixPath(member.filename)
        if path.with_suffix("") != stem or path.suffix.lower() not in SHAPEFILE_PARTS:
            continue
        if member.file_size > MAX_ZIP_MEMBER_BYTES:
            raise ValueError("a file in the zip is too large")
        (folder / f"upload{path.suffix.lower()}").write_bytes(_read_member(archive, member))
    return "upload.shp"


def _read_member(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> bytes:
    """Read one zip member, at most :data:`MAX_ZIP_MEMBER_BYTES`, whatever its header claims."""
    import zlib

    try:
        with archive.open(member) as handle:
            data = handle.read(MAX_ZIP_MEMBER_BYTES + 1)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError) as exc:
        # A corrupt member or one whose header lies about its size (a zip bomb).
        raise ValueError("the zip file cannot be read") from exc
    if len(data) > MAX_ZIP_MEMBER_BYTES:
        raise ValueError("a file in the zip is too large")
    return data


def validate_upload(ctx: AppContext, contents: str, filename: str) -> UploadResult:
    """Decode, check and load an uploaded facility file (nothing is saved here)."""
    from layers.dataset import load_dataset, validate_dataset

    suffix = Path(filename or "").suffix.lower()
    kind = EXTENSIONS.get(suffix)
    if kind is None:
        return UploadResult(False, None, ["type"], [])
    try:
        raw = base64.b64decode(contents.split(",", 1)[1], validate=False)
    except (IndexError, binascii.Error):
        return UploadResult(False, None, ["the upload could not be decoded"], [])
    if len(raw) > ctx.options.upload_max_bytes:
        return UploadResult(False, None, [f"too_big:{len(raw)}"], [])
    with tempfile.TemporaryDirectory(prefix="qa-upload-") as tmp:
        folder = Path(tmp)
        try:
            data_file = _extract_zip(raw, folder) if kind == "zip" else f"upload{suffix}"
        except ValueError as exc:
            return UploadResult(False, None, [str(exc)], [])
        if kind != "zip":
            (folder / data_file).write_bytes(raw)
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
        errors = [i.format().replace(data_file, "file") for i in issues if i.severity == "error"]
        warnings = [
            i.format().replace(data_file, "file") for i in issues if i.severity == "warning"
        ]
        if errors:
            return UploadResult(False, None, errors, warnings)
        loaded = load_dataset(folder)
        facilities = loaded.facilities
    if len(facilities) == 0:
        return UploadResult(False, None, ["the file holds no facility with coordinates"], warnings)
    return UploadResult(True, facilities, [], warnings)


def save_upload(ctx: AppContext, facilities: gpd.GeoDataFrame) -> Path:
    """Save the facilities atomically as GeoJSON (WGS84) in the user's data folder."""
    folder = ctx.options.user_data_dir or Path.home() / ".local/share/quartiersatlas"
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
    target = Path(folder) / "uploads" / f"facilities-{stamp}-{uuid.uuid4().hex[:8]}.geojson"
    data = facilities.to_crs("EPSG:4326").to_json(drop_id=True).encode("utf-8")
    return atomic_write_bytes(target, data)


def upload_store(ctx: AppContext, facilities: gpd.GeoDataFrame, lang: str) -> dict[str, Any]:
    """Map layer data of uploaded facilities (escaped hover text)."""
    shown = facility_points(facilities)
    names = {c.id: (c.label_en if lang == "en" else c.label_de) for c in ctx.dataset.categories}
    return {
        "lat": shown["lat"].tolist(),
        "lon": shown["lon"].tolist(),
        "text": [
            f"{n}<br>{esc(names.get(c, c))}"
            for n, c in zip(shown["name"], shown["category"], strict=True)
        ],
    }


def load_saved(ctx: AppContext, lang: str = "de") -> dict[str, Any] | None:
    """The map layer of the uploads saved earlier in the user's data folder (None if none).

    A saved file that cannot be read is skipped (it was valid when saved).
    """
    import geopandas as gpd

    folder = Path(ctx.options.user_data_dir or "") / "uploads"
    if not ctx.options.user_data_dir or not folder.is_dir():
        return None
    store: dict[str, list] = {"lat": [], "lon": [], "text": []}
    for path in sorted(folder.glob("facilities-*.geojson")):
        try:
            frame = gpd.read_file(path)
        except (OSError, ValueError):
            continue
        if frame.crs is None or "name" not in frame.columns or "category" not in frame.columns:
            continue
        part = upload_store(ctx, frame, lang)
        for key in store:
            store[key].extend(part[key])
    return store if store["lat"] else None


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
                    file=result.saved.name if result.saved else "–",
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
            html.Ul([html.Li(e) for e in errors[:MAX_ISSUES_SHOWN]], className="issues"),
        ]
    if result.warnings:
        out += [
            html.P(t("upload_warnings", lang)),
            html.Ul([html.Li(w) for w in result.warnings[:MAX_ISSUES_SHOWN]], className="issues"),
        ]
    return out


def handle_upload(
    ctx: AppContext, contents: str | None, filename: str | None, lang: str, current: dict | None
) -> tuple[Any, Any]:
    """Validate, save and return (store data, messages); an invalid file keeps ``current``."""
    if not contents:
        raise dash.exceptions.PreventUpdate
    result = validate_upload(ctx, contents, filename or "")
    if not result.ok:
        return dash.no_update, result_children(ctx, result, lang)
    result.saved = save_upload(ctx, result.facilities)
    store = upload_store(ctx, result.facilities, lang)
    if current:
        store = {k: [*current.get(k, []), *store[k]] for k in store}
    return store, result_children(ctx, result, lang)


def register(app: dash.Dash, ctx: AppContext) -> None:
    """Register the upload callback."""

    @app.callback(
        Output(ids.UPLOAD_STORE, "data"),
        Output(ids.UPLOAD_RESULT, "children"),
        Input(ids.UPLOAD, "contents"),
        State(ids.UPLOAD, "filename"),
        State(ids.LANG, "value"),
        State(ids.UPLOAD_STORE, "data"),
        prevent_initial_call=True,
    )
    def on_upload(
        contents: str | None, filename: str | None, lang: str, current: dict | None
    ) -> tuple:
        return handle_upload(ctx, contents, filename, lang, current)
