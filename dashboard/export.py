"""Exports of the current view: map PNG/PDF, a one-page area profile PDF, tables as CSV and XLSX.

Maps are the app's own figures (built by :mod:`dashboard.figures`) given a fixed page size and
extent, a title, a legend and a source and date line, then rendered offline by kaleido 1.x with the
system Chromium. The area profile is laid out with reportlab: real text (searchable, copyable,
readable by screen readers), tables that wrap, and embedded chart images, on exactly one A4 page.
Tables are written for German Excel by default (UTF-8 with BOM, ``;`` separator, decimal comma)
and as XLSX with openpyxl; text cells that a spreadsheet would run as a formula are neutralised.

Every write is atomic (:mod:`layers._atomic`): a reader sees the old file or the complete new one,
and a failure (no write permission, full disk, renderer missing) raises :class:`ExportError` and
leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import errno
import html
import io
import math
import numbers
import os
import textwrap
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from layers._atomic import atomic_write_bytes
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
PNG_SCALE = 2
"""PNG exports are rendered at twice the page size (2246 x 1588 px for A4), sharp when printed."""

EXPORT_FONT = "Liberation Sans, Arial, Helvetica, sans-serif"
"""Fonts Chromium finds on a Debian machine (the app's web font is not installed there)."""
MAP_DOMAIN_X = (0.0, 0.76)
"""Horizontal share of the plot area that the map takes; the legend sits to its right."""
LEGEND_X = 0.785
MARGIN_PX = {"l": 28, "r": 24, "t": 92, "b": 64}
FOOTER_PX_PER_CHAR = 5.0
FOOTER_MAX_LINES = 8
FOOTER_LINE_PX = 12
MAP_PADDING = 0.04
"""Share of the map's width and height kept free around the fixed extent."""
MAPLIBRE_TILE_PX = 512
"""World size in pixels at zoom 0 for MapLibre (the zoom scale of plotly's ``layout.map``)."""

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
"""A spreadsheet cell starting with one of these may be run as a formula (CSV injection)."""

CSV_BOM = "\ufeff"

_LABELS: Mapping[str, Mapping[Lang, str]] = {
    "source": {"de": "Quelle", "en": "Source"},
    "as_of": {"de": "Stand", "en": "Data as of"},
    "created": {"de": "Erstellt", "en": "Created"},
    "licence": {"de": "Lizenz", "en": "Licence"},
    "page": {"de": "Seite", "en": "Page"},
}


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


def neutralise_cell(value: Any) -> Any:
    """Make one table cell safe to open in a spreadsheet (OWASP CSV injection).

    Text starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading ``'``
    so spreadsheets show it as text instead of running it as a formula. Numbers, booleans and
    missing values are returned unchanged, so negative numbers stay numbers.

    Examples
    --------
    >>> neutralise_cell("=1+2")
    "'=1+2"
    >>> neutralise_cell(-3.5)
    -3.5
    """
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Return a copy of ``frame`` with every text cell (and column name) neutralised.

    Numeric columns are left untouched; text and mixed (object) columns go through
    :func:`neutralise_cell` cell by cell.
    """
    out = frame.copy()
    out.columns = [neutralise_cell(str(c)) for c in out.columns]
    for position in range(out.shape[1]):
        column = out.iloc[:, position]
        if pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column):
            continue
        out.isetitem(position, column.map(neutralise_cell, na_action="ignore"))
    return out


def table_csv_bytes(
    frame: pd.DataFrame,
    *,
    sep: str = ";",
    decimal: str = ",",
    bom: bool = True,
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
    """
    if sep == decimal:
        raise ParameterError(f"the separator and the decimal mark are both {sep!r}")
    text = neutralise_frame(frame).to_csv(
        index=False, sep=sep, decimal=decimal, lineterminator="\r\n"
    )
    return ((CSV_BOM if bom else "") + text).encode("utf-8")


def table_xlsx_bytes(frame: pd.DataFrame, *, sheet_name: str = "Tabelle") -> bytes:
    """Encode a table as an XLSX workbook with one sheet (openpyxl).

    Numbers are written as numbers, missing values as empty cells, text cells neutralised (openpyxl
    would otherwise store text starting with ``=`` as a formula).
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


def format_number(value: float | None, *, lang: Lang = "de", decimals: int = 0) -> str:
    """Format a number for the locale: ``1.234,5`` in German, ``1,234.5`` in English.

    Missing values (None, NaN) become an en dash.
    """
    if value is None or (isinstance(value, float) and not math.isfinite(value)) or pd.isna(value):
        return "–"
    text = f"{float(value):,.{decimals}f}"
    if lang == "de":
        text = text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    return text


def _field_getter(record: Any) -> Any:
    def get(key: str) -> str:
        value = record.get(key) if isinstance(record, Mapping) else getattr(record, key, "")
        return "" if value is None else str(value)

    return get


def source_line(
    sources: Sequence[Any],
    *,
    lang: Lang = "de",
    created: dt.date | None = None,
    extra: str = "",
) -> str:
    """One line naming the sources, their licences and dates, and the export date (plain text).

    Parameters
    ----------
    sources
        :class:`layers.dataset.LayerSource` records or dicts (with ``attribution``, ``source``,
        ``licence``, ``date`` and ``file``).
    lang
        Language of the labels.
    created
        Export date; default today.
    extra
        Text appended at the end (for example the method or a note).
    """
    names: list[str] = []
    licences: list[str] = []
    dates: list[str] = []
    for src in sources:
        get = _field_getter(src)
        name = get("attribution") or get("source") or get("file")
        for values, value in ((names, name), (licences, get("licence")), (dates, get("date"))):
            if value and value not in values:
                values.append(str(value))
    created = created or dt.date.today()
    parts = [f"{_LABELS['source'][lang]}: {'; '.join(names) if names else '–'}"]
    if licences:
        parts.append(f"{_LABELS['licence'][lang]}: {', '.join(licences)}")
    if dates:
        parts.append(f"{_LABELS['as_of'][lang]}: {', '.join(sorted(dates))}")
    created_text = created.strftime("%d.%m.%Y") if lang == "de" else created.isoformat()
    parts.append(f"{_LABELS['created'][lang]}: {created_text}")
    if extra:
        parts.append(extra)
    return " · ".join(parts)


# ---------------------------------------------------------------------------------------------
# Map figures


def fit_map_view(
    bounds_lonlat: tuple[float, float, float, float],
    *,
    width_px: float,
    height_px: float,
    padding: float = MAP_PADDING,
) -> tuple[dict[str, float], float]:
    """Centre and zoom that show ``bounds_lonlat`` in a map of the given pixel size.

    Parameters
    ----------
    bounds_lonlat
        ``(west, south, east, north)`` in degrees (EPSG:4326).
    width_px, height_px
        Size of the map area in CSS pixels.
    padding
        Share of the width and height kept free on each side.

    Returns
    -------
    tuple
        ``({"lon": ..., "lat": ...}, zoom)`` for plotly's ``layout.map``.

    Examples
    --------
    >>> centre, zoom = fit_map_view((8.0, 49.0, 9.0, 49.5), width_px=1024, height_px=1024)
    >>> round(centre["lon"], 3), round(zoom, 2)
    (8.5, 9.37)
    """
    west, south, east, north = bounds_lonlat
    if not (east > west and north > south):
        raise ParameterError(
            f"map bounds {bounds_lonlat} are empty; expected west<east, south<north"
        )
    y_north, y_south = _mercator_y(north), _mercator_y(south)
    usable_w = width_px * (1 - 2 * padding)
    usable_h = height_px * (1 - 2 * padding)
    zoom_x = math.log2(usable_w * 360.0 / (MAPLIBRE_TILE_PX * (east - west)))
    zoom_y = math.log2(usable_h * 2 * math.pi / (MAPLIBRE_TILE_PX * (y_north - y_south)))
    centre_lat = math.degrees(2 * math.atan(math.exp((y_north + y_south) / 2)) - math.pi / 2)
    return {"lon": (west + east) / 2, "lat": centre_lat}, min(zoom_x, zoom_y)


def _mercator_y(lat: float) -> float:
    return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))


def export_figure(
    fig: go.Figure,
    *,
    title: str,
    subtitle: str = "",
    footer: str = "",
    bounds_lonlat: tuple[float, float, float, float] | None = None,
    page_format: PageFormat = "a4",
) -> go.Figure:
    """A copy of the app's map figure laid out for a page.

    The copy gets a fixed size and extent, a title, a legend and a source and date line.

    Parameters
    ----------
    fig
        The figure the app shows (from :mod:`dashboard.figures`); it is not changed.
    title, subtitle, footer
        Plain text; escaped here, so names from the data show as typed. A long footer wraps over
        up to :data:`FOOTER_MAX_LINES` lines.
    bounds_lonlat
        ``(west, south, east, north)`` to show; None keeps the figure's own centre and zoom.
    page_format
        ``"a4"`` (landscape) or ``"16:9"``.

    Returns
    -------
    plotly.graph_objects.Figure
        A new figure with ``width``/``height`` set; the map takes the left
        :data:`MAP_DOMAIN_X` share, colour bars and the category legend sit to its right.
    """
    if page_format not in PAGE_SIZE_PX:
        raise ParameterError(
            f"page format {page_format!r} is unknown; use one of {', '.join(PAGE_FORMATS)}"
        )
    width, height = PAGE_SIZE_PX[page_format]
    chars_per_line = int((width - MARGIN_PX["l"] - MARGIN_PX["r"]) / FOOTER_PX_PER_CHAR)
    footer_lines = textwrap.wrap(footer, chars_per_line)[:FOOTER_MAX_LINES] if footer else []
    margin = dict(MARGIN_PX)
    margin["b"] = max(margin["b"], 24 + FOOTER_LINE_PX * len(footer_lines))

    out = go.Figure(fig)
    head = f"<b>{escape_text(title)}</b>"
    if subtitle:
        head += f"<br><span style='font-size:14px'>{escape_text(subtitle)}</span>"
    out.update_layout(
        width=width,
        height=height,
        autosize=False,
        margin=dict(margin, pad=0, autoexpand=False),
        paper_bgcolor="white",
        font=dict(family=EXPORT_FONT, size=12, color="#1a1a1a"),
        title=dict(
            text=head,
            x=0.0,
            xref="paper",
            xanchor="left",
            y=1.0,
            yref="container",
            yanchor="top",
            pad=dict(t=26),
            font=dict(size=22),
        ),
        showlegend=True,
        legend=dict(
            x=LEGEND_X,
            xanchor="left",
            y=0.42,
            yanchor="top",
            orientation="v",
            bgcolor="rgba(0,0,0,0)",
            borderwidth=0,
            font=dict(size=12),
            itemsizing="constant",
        ),
        dragmode=False,
        uirevision=None,
    )
    if out.layout.map is not None:
        out.update_layout(map=dict(domain=dict(x=list(MAP_DOMAIN_X), y=[0.0, 1.0])))
        if bounds_lonlat is not None:
            plot_w = (width - margin["l"] - margin["r"]) * (MAP_DOMAIN_X[1] - MAP_DOMAIN_X[0])
            plot_h = height - margin["t"] - margin["b"]
            centre, zoom = fit_map_view(bounds_lonlat, width_px=plot_w, height_px=plot_h)
            out.update_layout(map=dict(center=centre, zoom=zoom))
    with_bar = [
        trace
        for trace in out.data
        if trace.type.startswith("choropleth")
        and trace.visible is not False
        and trace.showscale is not False
    ]
    bar_len = 0.36 if len(with_bar) > 1 else 0.5
    for position, trace in enumerate(with_bar):
        trace.update(
            colorbar=dict(
                x=LEGEND_X,
                xanchor="left",
                y=1.0 - (bar_len + 0.1) * position,
                yanchor="top",
                len=bar_len,
                lenmode="fraction",
                thickness=14,
                outlinewidth=0,
                title=dict(side="top", font=dict(size=12)),
            )
        )
    out.update_layout(legend=dict(y=0.0, yanchor="bottom"))
    if footer_lines:
        out.add_annotation(
            text="<br>".join(escape_text(line) for line in footer_lines),
            xref="paper",
            yref="paper",
            x=0.0,
            y=0.0,
            xanchor="left",
            yanchor="top",
            yshift=-12,
            showarrow=False,
            align="left",
            font=dict(size=10, color="#444"),
        )
    return out


def render_figure(fig: go.Figure, *, fmt: ImageFormat, scale: float | None = None) -> bytes:
    """Render a figure to PNG or PDF bytes with kaleido (offline, system Chromium).

    Uses the shared kaleido server when :func:`export_server` is active, else a one-shot browser.

    Raises
    ------
    ExportError
        If no Chromium is found or rendering fails.
    """
    import plotly.io as pio

    if fmt not in IMAGE_FORMATS:
        raise ParameterError(f"image format {fmt!r} is unknown; use one of png, pdf")
    if scale is None:
        scale = PNG_SCALE if fmt == "png" else 1
    try:
        with warnings.catch_warnings():
            # plotly passes its (empty) kaleido options even when a shared server is running
            warnings.filterwarnings("ignore", "The kopts argument is ignored", UserWarning)
            return pio.to_image(fig, format=fmt, scale=scale)
    except RuntimeError as exc:  # kaleido wraps ChromeNotFoundError into RuntimeError
        raise ExportError(
            f"rendering the map as {fmt.upper()} failed: {exc}. Exports need Chromium "
            "(Debian: apt-get install chromium) and kaleido>=1.0."
        ) from exc


def write_figure(
    fig: go.Figure, out: str | os.PathLike[str], *, scale: float | None = None
) -> Path:
    """Render ``fig`` and write it atomically to ``out`` (``.png`` or ``.pdf``, by suffix).

    Raises
    ------
    ParameterError
        If the suffix is neither ``.png`` nor ``.pdf``.
    ExportError
        If rendering or writing fails; nothing partial is left.
    """
    fmt = check_suffix(out, IMAGE_FORMATS, what="map export")
    _check_folder(Path(out))
    return write_export(out, render_figure(fig, fmt=fmt, scale=scale))  # type: ignore[arg-type]


def _check_folder(target: Path) -> None:
    """Fail early (before a slow render) when the output folder is plainly unusable."""
    folder = target.parent if str(target.parent) else Path(".")
    if folder.exists() and not folder.is_dir():
        raise ExportError(_write_failure(target, NotADirectoryError(errno.ENOTDIR, "not a folder")))
    if folder.is_dir() and not os.access(folder, os.W_OK | os.X_OK):
        raise ExportError(_write_failure(target, PermissionError(errno.EACCES, "denied")))


@contextlib.contextmanager
def export_server() -> Iterator[None]:
    """Keep one kaleido browser alive for many exports (about 1 s each instead of 3–4 s).

    kaleido's sync server is a process-wide singleton; one already running is reused and left
    running.
    """
    import kaleido

    started = False
    try:
        kaleido.start_sync_server(silence_warnings=True)
        started = True
    except Exception:  # a failing start only means slower one-shot renders
        started = False
    try:
        yield
    finally:
        if started:
            with contextlib.suppress(Exception):
                kaleido.stop_sync_server(silence_warnings=True)


# ---------------------------------------------------------------------------------------------
# One-page area profile (reportlab)


@dataclass(frozen=True)
class SheetTable:
    """One table of an area sheet: heading, column names and rows of plain values."""

    heading: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    note: str = ""
    align_right: tuple[int, ...] = ()
    """Columns (0-based) to right-align; numbers are right-aligned anyway."""
    widths: tuple[float, ...] = ()
    """Column widths as shares of the table width (default: first column wider)."""
    half: bool = False
    """Half page width: two consecutive half tables are set side by side."""


@dataclass(frozen=True)
class AreaSheet:
    """Content of a one-page area profile: everything is plain text, escaped when laid out."""

    title: str
    subtitle: str = ""
    facts: tuple[tuple[str, str], ...] = ()
    """Short key/value lines under the title (population, coordinator, programme status)."""
    tables: tuple[SheetTable, ...] = ()
    charts: tuple[bytes, ...] = field(default=(), repr=False)
    """PNG images (for example the app's trend chart rendered by kaleido), placed side by side."""
    notes: tuple[str, ...] = ()
    sources: str = ""
    """Source, licence and date line, printed in small type at the end of the page."""
    footer: str = ""
    """Line at the bottom of the page (product and export date)."""
    lang: Lang = "de"


def profile_pdf_bytes(sheet: AreaSheet) -> bytes:
    """Lay out an :class:`AreaSheet` on exactly one A4 portrait page.

    Content that would not fit is scaled down as a whole (reportlab ``KeepInFrame`` shrink), never
    continued on a second page. All text is escaped before reportlab reads its mini-markup.
    """
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_RIGHT
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.lib.utils import ImageReader, simpleSplit
    from reportlab.platypus import (
        Image,
        KeepInFrame,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        Table,
        TableStyle,
    )

    regular, bold = _pdf_fonts()
    base = ParagraphStyle("base", fontName=regular, fontSize=9, leading=11.5)
    styles = {
        "title": ParagraphStyle("title", parent=base, fontName=bold, fontSize=18, leading=22),
        "subtitle": ParagraphStyle(
            "sub", parent=base, fontSize=11, leading=14, textColor=colors.HexColor("#444444")
        ),
        "heading": ParagraphStyle(
            "h", parent=base, fontName=bold, fontSize=11, leading=14, spaceBefore=6, spaceAfter=2
        ),
        "cell": base,
        "cell_right": ParagraphStyle("cr", parent=base, alignment=TA_RIGHT),
        "head": ParagraphStyle("th", parent=base, fontName=bold),
        "head_right": ParagraphStyle("thr", parent=base, fontName=bold, alignment=TA_RIGHT),
        "note": ParagraphStyle(
            "note", parent=base, fontSize=8, leading=10, textColor=colors.HexColor("#444444")
        ),
    }
    page_w, page_h = A4
    margin = 15 * mm
    frame_w = page_w - 2 * margin
    frame_h = page_h - 2 * margin - 10 * mm  # room for the footer line

    story: list[Any] = [Paragraph(escape_text(sheet.title), styles["title"])]
    if sheet.subtitle:
        story.append(Paragraph(escape_text(sheet.subtitle), styles["subtitle"]))
    story.append(Spacer(1, 4 * mm))
    if sheet.facts:
        facts = Table(
            [
                [
                    Paragraph(escape_text(k), styles["head"]),
                    Paragraph(escape_text(v), styles["cell"]),
                ]
                for k, v in sheet.facts
            ],
            colWidths=[frame_w * 0.25, frame_w * 0.75],
            hAlign="LEFT",
        )
        facts.setStyle(
            TableStyle(
                [
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
                    ("TOPPADDING", (0, 0), (-1, -1), 1),
                ]
            )
        )
        story += [facts, Spacer(1, 3 * mm)]
    if sheet.charts:
        images = []
        width_each = (frame_w - (len(sheet.charts) - 1) * 4 * mm) / len(sheet.charts)
        for png in sheet.charts:
            reader = ImageReader(io.BytesIO(png))
            iw, ih = reader.getSize()
            images.append(Image(io.BytesIO(png), width=width_each, height=width_each * ih / iw))
        story += [
            Table([images], colWidths=[width_each + 4 * mm] * len(images), hAlign="LEFT"),
            Spacer(1, 2 * mm),
        ]

    def block(table: SheetTable, width: float) -> list[Any]:
        parts = [
            Paragraph(escape_text(table.heading), styles["heading"]),
            _sheet_table(table, styles, width, sheet.lang, Table, TableStyle, Paragraph, colors),
        ]
        if table.note:
            parts.append(Paragraph(escape_text(table.note), styles["note"]))
        return parts

    gap = 6 * mm
    pending: list[SheetTable] = []
    for table in (*sheet.tables, None):
        if table is not None and table.half:
            pending.append(table)
            if len(pending) < 2:
                continue
        if pending:
            half_w = (frame_w - gap) / 2
            cells = [block(t, half_w) for t in pending] + [[]] * (2 - len(pending))
            pair = Table([cells], colWidths=[half_w + gap, half_w], hAlign="LEFT")
            pair.setStyle(
                TableStyle(
                    [
                        ("VALIGN", (0, 0), (-1, -1), "TOP"),
                        ("LEFTPADDING", (0, 0), (-1, -1), 0),
                        ("RIGHTPADDING", (0, 0), (0, 0), gap),
                        ("RIGHTPADDING", (1, 0), (1, 0), 0),
                    ]
                )
            )
            story.append(pair)
            pending = []
        if table is not None and not table.half:
            story += block(table, frame_w)
    for note in sheet.notes:
        story.append(Paragraph(escape_text(note), styles["note"]))
    if sheet.sources:
        story += [Spacer(1, 2 * mm), Paragraph(escape_text(sheet.sources), styles["note"])]

    footer = sheet.footer

    def draw_footer(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(regular, 7.5)
        canvas.setFillColor(colors.HexColor("#444444"))
        lines = simpleSplit(footer, regular, 7.5, page_w - 2 * margin)[:3]
        for number, line in enumerate(lines):
            canvas.drawString(margin, margin + 4 * mm - number * 9, line)
        canvas.restoreState()

    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=margin,
        rightMargin=margin,
        topMargin=margin,
        bottomMargin=margin + 10 * mm,
        title=sheet.title,
        subject=sheet.subtitle,
        creator="Quartiersatlas",
        lang=sheet.lang,
    )
    doc.build(
        [KeepInFrame(frame_w, frame_h, story, mode="shrink")],
        onFirstPage=draw_footer,
        onLaterPages=draw_footer,
    )
    return buffer.getvalue()


def _sheet_table(
    table: SheetTable,
    styles: Mapping[str, Any],
    frame_w: float,
    lang: Lang,
    Table: Any,
    TableStyle: Any,
    Paragraph: Any,
    colors: Any,
) -> Any:
    numeric = [
        i in table.align_right
        or (bool(table.rows) and all(_is_number(r[i]) or _is_missing(r[i]) for r in table.rows))
        for i in range(len(table.columns))
    ]
    head = [
        Paragraph(escape_text(c), styles["head_right" if numeric[i] else "head"])
        for i, c in enumerate(table.columns)
    ]
    body = [
        [
            Paragraph(
                escape_text(_cell_text(v, lang)), styles["cell_right" if numeric[i] else "cell"]
            )
            for i, v in enumerate(row)
        ]
        for row in table.rows
    ]
    n = max(len(table.columns), 1)
    shares = list(table.widths)
    if len(shares) != n:
        first = 0.4 if n > 2 else 0.5
        shares = [first] + [(1 - first) / (n - 1)] * (n - 1) if n > 1 else [1.0]
    total = sum(shares)
    widths = [frame_w * share / total for share in shares]
    out = Table([head, *body], colWidths=widths, repeatRows=1, hAlign="LEFT")
    out.setStyle(
        TableStyle(
            [
                ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.HexColor("#333333")),
                ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#f2f4f7")]),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 1.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
            ]
        )
    )
    return out


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Number) and not isinstance(value, bool)


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _cell_text(value: Any, lang: Lang) -> str:
    if _is_missing(value) or value is pd.NA:
        return "–"
    if isinstance(value, bool):
        return ("ja" if value else "nein") if lang == "de" else ("yes" if value else "no")
    if isinstance(value, numbers.Integral):
        return format_number(float(value), lang=lang, decimals=0)
    if isinstance(value, numbers.Real):
        value = float(value)
        decimals = 0 if abs(value) >= 100 else 1 if abs(value) >= 1 else 2
        return format_number(value, lang=lang, decimals=decimals)
    return str(value)


def _pdf_fonts() -> tuple[str, str]:
    """Register a Unicode TrueType font (DejaVu Sans, else reportlab's bundled Vera)."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    candidates = (
        (
            "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
            "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
        ),
        (
            "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
            "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf",
        ),
        ("Vera.ttf", "VeraBd.ttf"),  # bundled with reportlab, found on its font path
    )
    for regular, bold in candidates:
        if regular.startswith("/") and not (Path(regular).exists() and Path(bold).exists()):
            continue
        name, name_bold = f"QA-{Path(regular).stem}", f"QA-{Path(bold).stem}"
        if name not in pdfmetrics.getRegisteredFontNames():
            try:
                pdfmetrics.registerFont(TTFont(name, regular))
                pdfmetrics.registerFont(TTFont(name_bold, bold))
            except Exception:  # noqa: S112 - try the next font
                continue
        return name, name_bold
    return "Helvetica", "Helvetica-Bold"


def write_profile_pdf(sheet: AreaSheet, out: str | os.PathLike[str]) -> Path:
    """Write an area profile as a one-page PDF, atomically.

    Raises
    ------
    ParameterError
        If ``out`` does not end in ``.pdf``.
    ExportError
        If the file cannot be written; nothing partial is left.
    """
    check_suffix(out, ("pdf",), what="profile")
    return write_export(out, profile_pdf_bytes(sheet))


_SHEET_TEXT: Mapping[str, tuple[str, str]] = {
    "profile": ("Gebietsprofil", "Area profile"),
    "district": ("Stadtteil", "District"),
    "planning_area": ("Planungsgebiet", "Planning area"),
    "year": ("Jahr", "Year"),
    "walk": ("Fußweg", "walking distance"),
    "residents": ("Einwohner", "Residents"),
    "planning": ("Planungsgebiet", "Planning area"),
    "coordinator": ("Koordination", "Coordinator"),
    "programme": ("Programm", "Programme"),
    "need": ("Bedarfsindex", "Need index"),
    "rank": ("Rang {rank} von {of}", "rank {rank} of {of}"),
    "need_note": ("höher = mehr Bedarf; {a}–{b}", "higher = more need; {a}–{b}"),
    "since": ("seit", "since"),
    "none": ("keine Angabe", "none recorded"),
    "coverage": ("Versorgung im Fußweg von {r} m", "Coverage within {r} m walk"),
    "category": ("Angebot", "Service"),
    "covered_pct": ("versorgt (%)", "covered (%)"),
    "city_pct": ("Stadt (%)", "city (%)"),
    "facilities": ("Einrichtungen je Angebot", "Facilities per service"),
    "count": ("Anzahl", "count"),
    "per_1000": ("je 1.000 EW", "per 1,000 res."),
    "city_per_1000": ("Stadt je 1.000", "city per 1,000"),
    "age": ("Altersstruktur {y}", "Age structure {y}"),
    "group": ("Gruppe", "Group"),
    "share_pct": ("Anteil (%)", "share (%)"),
    "change": ("Bevölkerungsentwicklung", "Population change"),
    "period": ("Zeitraum", "period"),
    "change_pct": ("Veränderung (%)", "change (%)"),
    "components": ("Bedarfsindex: Bestandteile", "Need index: components"),
    "component": ("Bestandteil", "Component"),
    "value": ("Wert", "value"),
    "normalised": ("normiert (0–1)", "normalised (0–1)"),
    "weight": ("Gewicht", "weight"),
    "list": ("Einrichtungen im Gebiet", "Facilities in the area"),
    "name": ("Name", "Name"),
    "address": ("Adresse", "Address"),
    "missing": ("ohne Wert: {groups}", "no value: {groups}"),
    "trend": ("Einwohner je Jahr", "Residents per year"),
}


def _t(key: str, lang: Lang, **values: object) -> str:
    text = _SHEET_TEXT[key][0 if lang == "de" else 1]
    return text.format(**values) if values else text


def sheet_from_profile(
    profile: Mapping[str, Any],
    *,
    lang: Lang = "de",
    charts: Sequence[bytes] = (),
    created: dt.date | None = None,
) -> AreaSheet:
    """Turn the profile dict of :func:`layers.profile.area_profile` into an :class:`AreaSheet`.

    Labels from the data (group and category labels, notes) are shown as the profile gives them;
    the sheet's own headings follow ``lang``.

    Parameters
    ----------
    profile
        The JSON profile (``quartiersatlas profile --format json``).
    lang
        Language of headings and number format.
    charts
        PNG images to place under the key facts (for example the trend chart).
    created
        Export date for the footer; default today.
    """
    area = profile.get("area", {})
    level = area.get("level", "district")
    year = profile.get("year")
    population = profile.get("population") or {}
    coverage = profile.get("coverage") or {}
    facilities = profile.get("facilities") or {}
    need = profile.get("need_index") or {}

    def num(value: Any, decimals: int = 0) -> str:
        return format_number(value, lang=lang, decimals=decimals)

    title = f"{area.get('name') or area.get('id', '')}"
    subtitle = " · ".join(
        part
        for part in (
            f"{_t('profile', lang)}: {_t(level, lang)} {area.get('id', '')}",
            str(profile.get("city") or ""),
            f"{_t('year', lang)} {year}" if year is not None else "",
        )
        if part
    )
    facts: list[tuple[str, str]] = [
        (_t("residents", lang), f"{num(population.get('total'))} ({population.get('year', year)})")
    ]
    planning = area.get("planning_area")
    if level == "district" and planning:
        facts.append((_t("planning", lang), str(planning.get("name") or planning.get("id"))))
    coordinator = (planning or {}).get("coordinator") if planning else None
    if coordinator:
        facts.append((_t("coordinator", lang), str(coordinator)))
    programme = profile.get("programme") or []
    measures = []
    for item in programme:
        text = str(item.get("measure_label") or item.get("measure") or "")
        if item.get("since"):
            text += f" ({_t('since', lang)} {item['since']})"
        if item.get("note"):
            text += f", {item['note']}"
        measures.append(text)
    facts.append((_t("programme", lang), "; ".join(measures) if measures else _t("none", lang)))
    if need.get("available") and need.get("score") is not None:
        facts.append(
            (
                _t("need", lang),
                f"{num(need['score'], 1)} ({_t('rank', lang, rank=need.get('rank'), of=need.get('of'))}; "
                f"{_t('need_note', lang, a=need.get('year_from'), b=need.get('year_to'))})",
            )
        )

    tables: list[SheetTable] = []
    labels = {c.get("category"): c.get("label") for c in facilities.get("per_category", [])}
    if coverage.get("per_category"):
        tables.append(
            SheetTable(
                _t("coverage", lang, r=num(coverage.get("radius_m"))),
                (_t("category", lang), _t("covered_pct", lang), _t("city_pct", lang)),
                tuple(
                    (c.get("label"), c.get("share_pct"), c.get("city_share_pct"))
                    for c in coverage["per_category"]
                ),
                note=str(coverage.get("note") or ""),
                widths=(0.5, 0.25, 0.25),
                half=True,
            )
        )
    if facilities.get("per_category"):
        tables.append(
            SheetTable(
                _t("facilities", lang),
                (
                    _t("category", lang),
                    _t("count", lang),
                    _t("per_1000", lang),
                    _t("city_per_1000", lang),
                ),
                tuple(
                    (
                        c.get("label"),
                        c.get("count"),
                        c.get("per_1000_residents"),
                        c.get("city_per_1000_residents"),
                    )
                    for c in facilities["per_category"]
                ),
                widths=(0.34, 0.18, 0.24, 0.24),
                half=True,
            )
        )
    ages = population.get("age_structure") or []
    known = [a for a in ages if a.get("value") is not None]
    missing = [str(a.get("label")) for a in ages if a.get("value") is None]
    if known:
        tables.append(
            SheetTable(
                _t("age", lang, y=population.get("year", year)),
                (
                    _t("group", lang),
                    _t("residents", lang),
                    _t("share_pct", lang),
                    _t("city_pct", lang),
                ),
                tuple(
                    (a.get("label"), a.get("value"), a.get("share_pct"), a.get("city_share_pct"))
                    for a in known
                ),
                note=_t("missing", lang, groups=", ".join(missing)) if missing else "",
                widths=(0.4, 0.22, 0.19, 0.19),
                half=True,
            )
        )
    changes = [c for c in population.get("change") or [] if c.get("change_pct") is not None]
    if changes:
        tables.append(
            SheetTable(
                _t("change", lang),
                (
                    _t("group", lang),
                    _t("period", lang),
                    _t("change_pct", lang),
                    _t("city_pct", lang),
                ),
                tuple(
                    (
                        c.get("label"),
                        f"{c.get('year_from')}–{c.get('year_to')}",
                        c.get("change_pct"),
                        c.get("city_change_pct"),
                    )
                    for c in changes
                ),
                align_right=(1,),
                widths=(0.34, 0.28, 0.22, 0.16),
                half=True,
            )
        )
    components = [c for c in need.get("components") or [] if c.get("available")]
    if components:
        tables.append(
            SheetTable(
                _t("components", lang),
                (
                    _t("component", lang),
                    _t("value", lang),
                    _t("normalised", lang),
                    _t("weight", lang),
                ),
                tuple(
                    (c.get("label"), c.get("value"), c.get("normalised"), c.get("weight"))
                    for c in components
                ),
            )
        )
    listed = facilities.get("list") or []
    if listed:
        tables.append(
            SheetTable(
                _t("list", lang),
                (_t("name", lang), _t("category", lang), _t("address", lang)),
                tuple(
                    (
                        f.get("name"),
                        labels.get(f.get("category"), f.get("category")),
                        f.get("address") or "",
                    )
                    for f in listed
                ),
                note=str(facilities.get("note") or ""),
                widths=(0.45, 0.2, 0.35),
            )
        )
    notes = tuple(str(n) for n in profile.get("notes") or [] if n)
    return AreaSheet(
        title=title,
        subtitle=subtitle,
        facts=tuple(facts),
        tables=tuple(tables),
        charts=tuple(charts),
        notes=notes,
        sources=source_line(profile.get("sources") or [], lang=lang, created=created),
        footer=f"Quartiersatlas · {_t('profile', lang)} {title}",
        lang=lang,
    )


def trend_chart_png(profile: Mapping[str, Any], *, lang: Lang = "de") -> bytes | None:
    """The app's population trend chart of the profile's total population, as PNG (kaleido).

    Returns None when the profile has no trend of the total population.
    """
    from dashboard import figures

    trend = next(
        (
            t
            for t in (profile.get("population") or {}).get("trend") or []
            if t.get("group") == "total"
        ),
        None,
    )
    if not trend or not any(s.get("value") is not None for s in trend.get("series", [])):
        return None
    fig = figures.trend_figure(trend["series"], lang=lang)
    fig.update_layout(
        width=720,
        height=210,
        paper_bgcolor="white",
        font=dict(family=EXPORT_FONT, size=12),
        title=dict(text=escape_text(_t("trend", lang)), x=0.01, font=dict(size=14)),
        margin=dict(t=34),
    )
    return render_figure(fig, fmt="png", scale=2)


def write_area_profile_pdf(
    profile: Mapping[str, Any],
    out: str | os.PathLike[str],
    *,
    lang: Lang = "de",
    chart: bool = True,
) -> Path:
    """Write the one-page PDF profile of an area (from :func:`layers.profile.area_profile`).

    Parameters
    ----------
    profile
        The profile dict.
    out
        Target ``.pdf`` file.
    lang
        Language of the sheet's headings.
    chart
        Include the population trend chart (rendered by kaleido; skipped with a note when no
        Chromium is available).

    Raises
    ------
    ParameterError
        If ``out`` does not end in ``.pdf``.
    ExportError
        If the file cannot be written.
    """
    check_suffix(out, ("pdf",), what="profile")
    _check_folder(Path(out))
    charts: list[bytes] = []
    extra_notes: list[str] = []
    if chart:
        try:
            png = trend_chart_png(profile, lang=lang)
        except ExportError as exc:
            png = None
            extra_notes.append(f"({exc})")
        if png is not None:
            charts.append(png)
    sheet = sheet_from_profile(profile, lang=lang, charts=charts)
    if extra_notes:
        sheet = dataclasses.replace(sheet, notes=(*sheet.notes, *extra_notes))
    return write_export(out, profile_pdf_bytes(sheet))


# ---------------------------------------------------------------------------------------------
# The current map view of a dataset (CLI ``export`` and the app's export button)


def apply_patch(figure: Mapping[str, Any], patch: Any) -> dict[str, Any]:
    """Apply a :class:`dash.Patch` to a figure dict the way the browser does.

    The app sends the map's geometry once and then only patches values; applying the same patch
    to the same base figure here gives exactly the figure the user sees.

    Parameters
    ----------
    figure
        The base figure as a dict (``fig.to_plotly_json()`` or ``fig.to_dict()``); not changed.
    patch
        A ``dash.Patch`` or its ``to_plotly_json()`` dict.

    Returns
    -------
    dict
        A new figure dict.

    Examples
    --------
    >>> from dash import Patch
    >>> p = Patch()
    >>> p["data"][0]["z"] = [1, 2]
    >>> p["layout"]["map"]["zoom"] = 11
    >>> apply_patch({"data": [{"z": [0, 0]}], "layout": {}}, p)
    {'data': [{'z': [1, 2]}], 'layout': {'map': {'zoom': 11}}}
    """
    import copy

    ops = patch.to_plotly_json() if hasattr(patch, "to_plotly_json") else patch
    out: Any = copy.deepcopy(dict(figure))
    for op in ops.get("operations", []):
        name, location, params = op["operation"], list(op["location"]), op.get("params", {})
        if not location:
            raise ParameterError("a patch operation without a location cannot be applied")
        parent = out
        for key in location[:-1]:
            parent = parent[key] if isinstance(parent, list) else parent.setdefault(key, {})
        key = location[-1]
        value = copy.deepcopy(params.get("value"))
        if name == "Assign":
            parent[key] = value
        elif name == "Delete":
            if isinstance(parent, list) or key in parent:
                del parent[key]
        elif name == "Merge":
            target = parent.setdefault(key, {}) if isinstance(parent, dict) else parent[key]
            target.update(value)
        else:
            target = parent[key] if isinstance(parent, list) else parent.setdefault(key, [])
            if name == "Append":
                target.append(value)
            elif name == "Prepend":
                target.insert(0, value)
            elif name == "Extend":
                target.extend(value)
            elif name == "Insert":
                target.insert(params["index"], value)
            elif name == "Clear":
                target.clear()
            elif name == "Reverse":
                target.reverse()
            elif name == "Remove":
                target.remove(value)
            elif name in ("Add", "Sub", "Mul", "Div"):
                ops_map = {
                    "Add": lambda x, y: x + y,
                    "Sub": lambda x, y: x - y,
                    "Mul": lambda x, y: x * y,
                    "Div": lambda x, y: x / y,
                }
                parent[key] = ops_map[name](parent[key], value)
            else:
                raise ParameterError(f"unknown patch operation {name!r}")
    return out


def view_figure(ctx: Any, state: Any) -> tuple[go.Figure, str]:
    """The app's map for one view state: the base figure plus the app's own map Patch.

    Parameters
    ----------
    ctx
        :class:`dashboard.context.AppContext` of the dataset.
    state
        :class:`dashboard.state.ViewState` (categories, distance, year, group, level, layers,
        scenario points, language).

    Returns
    -------
    tuple
        The figure and the map title the app shows above it (plain text).
    """
    from dashboard import figures
    from dashboard.callbacks.map import map_update

    base = figures.map_figure(
        districts=ctx.geo["district"],
        planning=ctx.geo.get("planning_area"),
        hexes=ctx.hexes if "gaps" in state.layers else None,
        boundaries=ctx.outline,
        facilities=ctx.facilities_wgs,
        categories=[(c.id, c.label(state.lang), c.colour) for c in ctx.dataset.categories],
    )
    update = map_update(ctx, state)
    figure = apply_patch(base.to_plotly_json(), update["figure"])
    # plotly.js ignores attributes a trace type does not have; so does the export
    return go.Figure(figure, skip_invalid=True), str(update["title"])


def render_view(
    ctx: Any,
    state: Any,
    *,
    fmt: ImageFormat = "png",
    page_format: PageFormat = "a4",
    created: dt.date | None = None,
) -> bytes:
    """The current map view as PNG or PDF bytes (for the app's download button).

    Parameters
    ----------
    ctx, state
        The app context and the view state, as the map callback gets them.
    fmt
        ``"png"`` or ``"pdf"``.
    page_format
        ``"a4"`` landscape or ``"16:9"``.
    created
        Export date in the source line; default today.
    """
    from dashboard.i18n import t

    lang = state.lang
    fig, title = view_figure(ctx, state)
    level = state.level if state.level in ctx.levels else "district"
    footer = source_line(
        ctx.dataset.metadata.sources,
        lang=lang,
        created=created,
        extra=t("legend_hidden", lang, n=ctx.options.small_count_threshold),
    )
    year = state.year if state.year is not None else ctx.default_year(state.group)
    level_text = t("level_district" if level == "district" else "level_planning_area", lang)
    if year is not None and "change" not in state.layers and str(year) not in title:
        title = f"{title} · {t('year', lang)} {year}"
    page = export_figure(
        fig,
        title=f"{ctx.dataset.metadata.name} · {level_text}",
        subtitle=title,
        footer=footer,
        bounds_lonlat=ctx.geo[level].bounds,
        page_format=page_format,
    )
    return render_figure(page, fmt=fmt)


def export_map_view(
    dataset: Any,
    out: str | os.PathLike[str],
    *,
    categories: Sequence[str] = (),
    radius_m: float = 500.0,
    year: int | None = None,
    group: str = "total",
    level: str = "district",
    layers: Sequence[str] = ("facilities",),
    page_format: PageFormat = "a4",
    lang: Lang = "de",
    created: dt.date | None = None,
) -> Path:
    """Render the map view of ``dataset`` as the UI shows it and write it as PNG or PDF.

    Parameters
    ----------
    dataset
        A loaded :class:`layers.dataset.Dataset`.
    out
        Target ``.png`` or ``.pdf`` file.
    categories
        Category ids (default: all); unknown ids raise :class:`CatalogueError`.
    radius_m, year, group, level
        As in the app's controls.
    layers
        Map layers to show (``"facilities"``, ``"gaps"``).
    page_format
        ``"a4"`` landscape or ``"16:9"``.
    lang
        Language of the labels.
    created
        Export date in the source line; default today.

    Raises
    ------
    CatalogueError
        If a category, year or level is not in the dataset.
    ParameterError
        If the radius, page format or file suffix is invalid.
    ExportError
        If rendering or writing fails; nothing partial is left.
    """
    from dashboard.context import AppContext
    from dashboard.state import ViewState
    from layers.coverage import check_categories, check_radius
    from layers.errors import CatalogueError

    check_suffix(out, IMAGE_FORMATS, what="map export")
    if page_format not in PAGE_SIZE_PX:
        raise ParameterError(
            f"page format {page_format!r} is unknown; use one of {', '.join(PAGE_FORMATS)}"
        )
    valid = [c.id for c in dataset.categories]
    cats = tuple(check_categories(list(categories), valid)) if categories else tuple(valid)
    radius = check_radius(radius_m)
    ctx = AppContext(dataset)
    if level not in ctx.levels:
        raise CatalogueError(
            f"level {level!r} is not available for this dataset; use one of {', '.join(ctx.levels)}"
            + ("" if "planning_area" in ctx.levels else " (the dataset has no planning areas)")
        )
    years = ctx.years_of(group)
    if year is not None and year not in years:
        raise CatalogueError(
            f"year {year} has no population of group {group!r}; valid years: "
            f"{', '.join(str(y) for y in years) or 'none'}"
        )
    state = ViewState(
        categories=cats,
        distance=radius,
        year=year,
        group=group,
        level=level,
        layers=tuple(layers),
        lang=lang,
    )
    _check_folder(Path(out))
    data = render_view(
        ctx,
        state,
        fmt=check_suffix(out, IMAGE_FORMATS, what="map export"),
        page_format=page_format,
        created=created,
    )
    return write_export(out, data)


__all__ = [
    "IMAGE_FORMATS",
    "PAGE_FORMATS",
    "PAGE_SIZE_PX",
    "TABLE_FORMATS",
    "AreaSheet",
    "ExportError",
    "PageFormat",
    "SheetTable",
    "apply_patch",
    "check_suffix",
    "escape_text",
    "export_figure",
    "export_map_view",
    "export_server",
    "fit_map_view",
    "format_number",
    "neutralise_cell",
    "neutralise_frame",
    "profile_pdf_bytes",
    "render_figure",
    "render_view",
    "sheet_from_profile",
    "source_line",
    "table_csv_bytes",
    "table_xlsx_bytes",
    "trend_chart_png",
    "view_figure",
    "write_area_profile_pdf",
    "write_export",
    "write_figure",
    "write_profile_pdf",
    "write_table",
]
