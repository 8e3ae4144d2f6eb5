"""Exports: atomic writing with clear errors, tables as CSV and XLSX, and the shared text helpers.

This module is the entry point of the export package-in-three-modules:

* :mod:`dashboard.export` (here): :func:`write_export` (atomic, :class:`ExportError` on a folder
  without write permission or a full disk), tables for spreadsheets, escaping and the source and
  date line (rendered by :func:`dashboard.i18n.source_line`);
* :mod:`dashboard.export_map`: the map as the app shows it, laid out on an A4 or 16:9 page and
  rendered to PNG/PDF by kaleido 1.x with the system Chromium;
* :mod:`dashboard.export_profile`: the one-page area profile PDF (reportlab).

Their public functions can also be imported from here (``from dashboard.export import
export_map_view``).

Tables are written for German Excel by default (UTF-8 with BOM, ``;`` separator, decimal comma;
``sep=",", decimal=".", bom=False`` gives plain CSV) and as XLSX with openpyxl; text cells that a
spreadsheet would run as a formula are neutralised (OWASP "CSV injection").

Every write is atomic (:mod:`layers._atomic`): a reader sees the old file or the complete new one,
and a failure (no write permission, full disk, renderer missing) raises :class:`ExportError` and
leaves nothing behind.
"""

from __future__ import annotations

import datetime as dt
import errno
import html
import io
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from dashboard import i18n
from layers._atomic import atomic_write_bytes
from layers._text import neutralise_cell, neutralise_frame
from layers.errors import ExportError, ParameterError

PageFormat = Literal["a4", "16:9"]
"""Page shape of a map export: A4 landscape or a 16:9 slide."""

ImageFormat = Literal["png", "pdf"]
TableFormat = Literal["csv", "xlsx"]
Lang = Literal["de", "en"]

PAGE_FORMATS: tuple[PageFormat, ...] = ("a4", "16:9")
IMAGE_FORMATS: tuple[ImageFormat, ...] = ("png", "pdf")
TABLE_FORMATS: tuple[TableFormat, ...] = ("csv", "xlsx")

PAGE_SIZE_PX: Mapping[PageFormat, tuple[int, int]] = {
    # CSS pixels at 96 dpi: 1123 x 794 px is A4 landscape (297 x 210 mm), which Chromium prints
    # as an A4 PDF page; 1280 x 720 px is a 13.33 x 7.5 in slide, the usual 16:9 size.
    "a4": (1123, 794),
    "16:9": (1280, 720),
}


EXPORT_FONT = "Liberation Sans, Arial, Helvetica, sans-serif"
"""Fonts Chromium finds on a Debian machine (the app's web font is not installed there)."""

CSV_BOM = "\ufeff"

# ---------------------------------------------------------------------------------------------
# Writing


def write_export(out: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``out`` atomically; turn file-system failures into :class:`ExportError`.

    Parameters
    ----------
    out
        Target file. Missing parent folders are created.
    data
        The complete file content.

    Returns
    -------
    pathlib.Path
        The written path.

    Raises
    ------
    ExportError
        If the folder cannot be written (permission, read-only, full disk, not a folder). No
        temporary or partial file is left behind.
    """
    target = Path(out)
    try:
        return atomic_write_bytes(target, data)
    except OSError as exc:
        raise ExportError(_write_failure(target, exc)) from exc


def _write_failure(target: Path, exc: OSError) -> str:
    folder = target.parent if str(target.parent) else Path(".")
    if exc.errno in (errno.EACCES, errno.EPERM):
        why = f"no write permission in the folder {folder}"
    elif exc.errno == errno.EROFS:
        why = f"the folder {folder} is on a read-only file system"
    elif exc.errno in (errno.ENOSPC, errno.EDQUOT):
        why = "the disk is full (no space left on device)"
    elif exc.errno in (errno.ENOTDIR, errno.EEXIST):
        why = f"{folder} is not a folder"
    else:
        why = exc.strerror or str(exc)
    return (
        f"cannot write the export {target}: {why}; nothing was written. "
        "Choose another output path (--out) or free space."
    )


def check_suffix(out: str | os.PathLike[str], valid: Sequence[str], *, what: str) -> str:
    """Return the format named by the suffix of ``out`` (``"png"``, ``"pdf"``, ``"csv"`` ...).

    Raises
    ------
    ParameterError
        If the suffix is not one of ``valid``; the message lists them.
    """
    suffix = Path(out).suffix.lower().lstrip(".")
    if suffix not in valid:
        listed = ", ".join(f".{v}" for v in valid)
        raise ParameterError(
            f"{what} file {os.fspath(out)!r} has the suffix {('.' + suffix) if suffix else 'none'}; "
            f"use one of {listed}"
        )
    return suffix


# ---------------------------------------------------------------------------------------------
# Tables


def table_csv_bytes(
    frame: pd.DataFrame,
    *,
    sep: str = ";",
    decimal: str = ",",
    bom: bool = True,
    metadata: Mapping[str, Any] | None = None,
) -> bytes:
    """Encode a table as CSV for spreadsheets.

    The default opens correctly in German Excel by double click: UTF-8 with byte order mark (so
    umlauts survive), ``;`` between fields and a decimal comma. ``sep=",", decimal=".", bom=False``
    gives plain international CSV.

    Parameters
    ----------
    frame
        The table; its index is not written.
    sep, decimal
        Field separator and decimal mark.
    bom
        Start the file with a UTF-8 byte order mark.
    metadata
        ``{"title": str, "header": (item, value), "rows": [(item, value), ...]}``: written after
        one empty line under the table as a title line, a header and item/value rows, so a
        spreadsheet shows them under the table and the table's own rows stay untouched.
    """
    if sep == decimal:
        raise ParameterError(f"the separator and the decimal mark are both {sep!r}")
    text = neutralise_frame(frame).to_csv(
        index=False, sep=sep, decimal=decimal, lineterminator="\r\n"
    )
    if metadata:
        block = pd.DataFrame(
            [[metadata["title"], ""], list(metadata["header"]), *map(list, metadata["rows"])]
        )
        text += "\r\n" + neutralise_frame(block).to_csv(
            index=False, header=False, sep=sep, lineterminator="\r\n"
        )
    return ((CSV_BOM if bom else "") + text).encode("utf-8")


def table_xlsx_bytes(
    frame: pd.DataFrame,
    *,
    sheet_name: str = "Tabelle",
    metadata: Mapping[str, Any] | None = None,
) -> bytes:
    """Encode a table as an XLSX workbook (openpyxl): the table, and optionally its metadata.

    Numbers are written as numbers, missing values as empty cells, text cells neutralised (openpyxl
    would otherwise store text starting with ``=`` as a formula). ``metadata`` (as in
    :func:`table_csv_bytes`) becomes a second sheet named by its ``title`` with a bold header
    row and one item/value row each.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font

    safe = neutralise_frame(frame)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _sheet_title(sheet_name)
    sheet.append([str(c) for c in safe.columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in safe.itertuples(index=False, name=None):
        sheet.append([_xlsx_value(v) for v in row])
    for position, column in enumerate(safe.columns, start=1):
        values = [str(column), *(str(v) for v in safe.iloc[:200, position - 1])]
        width = min(max(len(v) for v in values) + 2, 60)
        sheet.column_dimensions[sheet.cell(row=1, column=position).column_letter].width = width
    sheet.freeze_panes = "A2"
    if metadata:
        meta = workbook.create_sheet(_sheet_title(str(metadata["title"])))
        meta.append([str(h) for h in metadata["header"]])
        for cell in meta[1]:
            cell.font = Font(bold=True)
        block = neutralise_frame(pd.DataFrame([list(r) for r in metadata["rows"]]))
        for row in block.itertuples(index=False, name=None):
            meta.append([_xlsx_value(v) for v in row])
        meta.column_dimensions["A"].width = 32
        meta.column_dimensions["B"].width = 100
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _sheet_title(name: str) -> str:
    cleaned = "".join("_" if ch in "[]:*?/\\" else ch for ch in name).strip("'") or "Tabelle"
    return cleaned[:31]


def _xlsx_value(value: Any) -> Any:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, bool | int | float | str | dt.date | dt.datetime):
        return value
    return str(value)


def write_table(
    frame: pd.DataFrame,
    out: str | os.PathLike[str],
    *,
    sheet_name: str = "Tabelle",
) -> Path:
    """Write a table to ``out`` as CSV (German Excel dialect) or XLSX, chosen by the suffix.

    Raises
    ------
    ParameterError
        If the suffix is neither ``.csv`` nor ``.xlsx``.
    ExportError
        If the file cannot be written; nothing partial is left.
    """
    fmt = check_suffix(out, TABLE_FORMATS, what="table")
    data = (
        table_csv_bytes(frame) if fmt == "csv" else table_xlsx_bytes(frame, sheet_name=sheet_name)
    )
    return write_export(out, data)


# ---------------------------------------------------------------------------------------------
# Text shown in exports


def escape_text(text: object) -> str:
    """Escape user text for plotly labels and reportlab paragraphs (both read HTML-like markup)."""
    return html.escape("" if text is None else str(text), quote=True)


def source_line(
    sources: Sequence[Any],
    *,
    lang: Lang = "de",
    created: dt.date | None = None,
    extra: str = "",
) -> str:
    """The source line of an export: :func:`dashboard.i18n.source_line` with the export date.

    ``created`` defaults to today.
    """
    return i18n.source_line(sources, lang, created=created or dt.date.today(), extra=extra)


def check_folder(target: Path) -> None:
    """Fail early (before a slow render) when the output folder is plainly unusable."""
    folder = target.parent if str(target.parent) else Path(".")
    if folder.exists() and not folder.is_dir():
        raise ExportError(_write_failure(target, NotADirectoryError(errno.ENOTDIR, "not a folder")))
    if folder.is_dir() and not os.access(folder, os.W_OK | os.X_OK):
        raise ExportError(_write_failure(target, PermissionError(errno.EACCES, "denied")))


_LAZY_MODULES = ("dashboard.export_map", "dashboard.export_profile")
"""Modules whose public names are offered from here too (they import this module)."""


def __getattr__(name: str) -> Any:
    """Lazily offer the map and profile exports from here (they import this module)."""
    import importlib

    for module_name in _LAZY_MODULES:
        module = importlib.import_module(module_name)
        if name in module.__all__:
            return getattr(module, name)
    raise AttributeError(f"module 'dashboard.export' has no attribute {name!r}")


__all__ = [
    "CSV_BOM",
    "IMAGE_FORMATS",
    "PAGE_FORMATS",
    "PAGE_SIZE_PX",
    "TABLE_FORMATS",
    "ExportError",
    "PageFormat",
    "check_folder",
    "check_suffix",
    "escape_text",
    "neutralise_cell",
    "neutralise_frame",
    "source_line",
    "table_csv_bytes",
    "table_xlsx_bytes",
    "write_export",
    "write_table",
]
