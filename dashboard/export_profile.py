"""The one-page area profile as PDF, laid out with reportlab.

reportlab gives real text (searchable, copyable, read by screen readers), tables that wrap and
embedded chart images, on exactly one A4 page: content that would not fit is scaled down as a
whole, never continued on a second page. (matplotlib's PdfPages draws text as positioned strings
with no flowing tables; composing kaleido-rendered figures would make every table an image.)
The trend chart is the app's own (:func:`dashboard.figures.trend_figure`) rendered by kaleido.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import math
import numbers
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from dashboard.export import (
    EXPORT_FONT,
    Lang,
    check_folder,
    check_suffix,
    escape_text,
    source_line,
    write_export,
)
from dashboard.i18n import fmt_number, t
from dashboard.profile_text import localise_profile
from layers.errors import ExportError


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
    decimals: tuple[int | None, ...] = ()
    """Decimals per column, the same for every row (None or missing: 0 for whole numbers, else
    2 when the column's smallest non-zero value is under 1, otherwise 1)."""


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
    locator: Any = field(default=None, repr=False)
    """A reportlab ``Drawing`` of the area within the city (:func:`locator_drawing`), or None."""


def profile_pdf_bytes(sheet: AreaSheet) -> bytes:
    """Lay out an :class:`AreaSheet` on exactly one A4 portrait page.

    Content that would not fit is scaled down as a whole (reportlab ``KeepInFrame`` shrink), never
    continued on a second page. All text is escaped before reportlab reads its mini-markup.
    """
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.lib.utils import simpleSplit
    from reportlab.platypus import KeepInFrame, Paragraph, SimpleDocTemplate, Spacer

    regular, bold = _pdf_fonts()
    styles = _pdf_styles(regular, bold)
    page_w, page_h = A4
    margin = 14 * mm
    frame_w = page_w - 2 * margin
    frame_h = page_h - 2 * margin - 6 * mm  # room for the footer line

    story = _head_story(sheet, styles, frame_w) + _tables_story(sheet, styles, frame_w, bold)
    for note in sheet.notes:
        story.append(Paragraph(escape_text(note), styles["note"]))
    if sheet.sources:
        story += [Spacer(1, 1.5 * mm), Paragraph(escape_text(sheet.sources), styles["sources"])]

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
        bottomMargin=margin + 6 * mm,
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


def _pdf_styles(regular: str, bold: str) -> dict[str, Any]:
    """Paragraph styles of the sheet, in the registered fonts."""
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_RIGHT
    from reportlab.lib.styles import ParagraphStyle

    base = ParagraphStyle("base", fontName=regular, fontSize=8.5, leading=10.4)
    grey = colors.HexColor("#444444")
    return {
        "title": ParagraphStyle("title", parent=base, fontName=bold, fontSize=18, leading=22),
        "subtitle": ParagraphStyle("sub", parent=base, fontSize=11, leading=14, textColor=grey),
        "heading": ParagraphStyle(
            "h", parent=base, fontName=bold, fontSize=10.5, leading=13, spaceBefore=4, spaceAfter=1
        ),
        "cell": base,
        "cell_right": ParagraphStyle("cr", parent=base, alignment=TA_RIGHT),
        "head": ParagraphStyle("th", parent=base, fontName=bold),
        "head_right": ParagraphStyle("thr", parent=base, fontName=bold, alignment=TA_RIGHT),
        "note": ParagraphStyle("note", parent=base, fontSize=7, leading=8.4, textColor=grey),
        "sources": ParagraphStyle("src", parent=base, fontSize=6.5, leading=7.8, textColor=grey),
    }


LOCATOR_MM = 42
"""Width and height of the locator map next to the key facts."""


def _head_story(sheet: AreaSheet, styles: Mapping[str, Any], frame_w: float) -> list[Any]:
    """Title, subtitle, then key facts and the trend chart next to the locator map."""
    from reportlab.lib.units import mm
    from reportlab.lib.utils import ImageReader
    from reportlab.platypus import Image, Paragraph, Spacer, Table, TableStyle

    story: list[Any] = [Paragraph(escape_text(sheet.title), styles["title"])]
    if sheet.subtitle:
        story.append(Paragraph(escape_text(sheet.subtitle), styles["subtitle"]))
    story.append(Spacer(1, 3 * mm))
    gap = 5 * mm
    side_w = LOCATOR_MM * mm if sheet.locator is not None else 0.0
    left_w = frame_w - side_w - (gap if side_w else 0.0)
    left: list[Any] = []
    if sheet.facts:
        facts = Table(
            [
                [
                    Paragraph(escape_text(k), styles["head"]),
                    Paragraph(escape_text(v), styles["cell"]),
                ]
                for k, v in sheet.facts
            ],
            colWidths=[left_w * 0.24, left_w * 0.76],
            hAlign="LEFT",
        )
        facts.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), *_tight(0)]))
        left += [facts, Spacer(1, 2 * mm)]
    if sheet.charts:
        width_each = (left_w - (len(sheet.charts) - 1) * 4 * mm) / len(sheet.charts)
        images = []
        for png in sheet.charts:
            iw, ih = ImageReader(io.BytesIO(png)).getSize()
            images.append(Image(io.BytesIO(png), width=width_each, height=width_each * ih / iw))
        row = Table([images], colWidths=[left_w / len(images)] * len(images), hAlign="LEFT")
        row.setStyle(TableStyle(_tight(0)))
        left.append(row)
    if not side_w:
        return [*story, *left, Spacer(1, 2 * mm)]
    right = [Paragraph(escape_text(_t("locator", sheet.lang)), styles["note"]), sheet.locator]
    both = Table([[left, right]], colWidths=[left_w + gap, side_w], hAlign="LEFT")
    both.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                *_tight(0),
                ("RIGHTPADDING", (0, 0), (0, 0), gap),
            ]
        )
    )
    return [*story, both, Spacer(1, 2 * mm)]


def _tight(padding: float) -> list[tuple[Any, ...]]:
    """TableStyle commands setting all four paddings of every cell to ``padding``."""
    return [
        (f"{side}PADDING", (0, 0), (-1, -1), padding) for side in ("LEFT", "RIGHT", "TOP", "BOTTOM")
    ]


def locator_drawing(
    districts: Any, highlight: Sequence[str], *, size_pt: float | None = None
) -> Any:
    """A small map of the city's districts with ``highlight`` filled, as a reportlab Drawing.

    Drawn from the dataset's district geometry (simplified to about 1/250 of the city's
    extent), so no browser is needed. The city outline is the union of all districts.

    Parameters
    ----------
    districts
        GeoDataFrame with ``id`` and polygon geometry in a projected or geographic CRS.
    highlight
        District ids of the profiled area.
    size_pt
        Width and height of the square drawing in points (default :data:`LOCATOR_MM` mm).
    """
    from reportlab.graphics.shapes import Drawing, Group, Polygon
    from reportlab.lib import colors
    from reportlab.lib.units import mm

    size = size_pt or LOCATOR_MM * mm
    shapes = districts[["id", "geometry"]].copy()
    if shapes.crs is not None and shapes.crs.is_geographic:
        shapes = shapes.to_crs(shapes.estimate_utm_crs())
    west, south, east, north = shapes.total_bounds
    extent = max(east - west, north - south) or 1.0
    scale = (size - 4) / extent
    dx = (size - (east - west) * scale) / 2
    dy = (size - (north - south) * scale) / 2
    chosen = {str(h) for h in highlight}

    def rings(geometry: Any) -> list[list[float]]:
        polygons = getattr(geometry, "geoms", [geometry])
        out = []
        for polygon in polygons:
            if polygon.is_empty or polygon.geom_type != "Polygon":
                continue
            out.append(
                [
                    value
                    for x, y in polygon.exterior.coords
                    for value in ((x - west) * scale + dx, (y - south) * scale + dy)
                ]
            )
        return out

    tolerance = extent / 250
    drawing = Drawing(size, size)
    group = Group()
    for area_id, geometry in zip(shapes["id"].astype(str), shapes.geometry, strict=True):
        on = area_id in chosen
        for points in rings(geometry.simplify(tolerance)):
            group.add(
                Polygon(
                    points,
                    fillColor=colors.HexColor("#e69f00" if on else "#dde3ea"),
                    strokeColor=colors.white,
                    strokeWidth=0.4,
                )
            )
    for points in rings(shapes.geometry.union_all().simplify(tolerance)):
        group.add(
            Polygon(points, fillColor=None, strokeColor=colors.HexColor("#333333"), strokeWidth=0.8)
        )
    drawing.add(group)
    return drawing


def _tables_story(
    sheet: AreaSheet, styles: Mapping[str, Any], frame_w: float, bold: str
) -> list[Any]:
    """The tables: half-width ones side by side in pairs, the others across the page."""
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, Table, TableStyle

    def block(table: SheetTable, width: float) -> list[Any]:
        parts = [
            Paragraph(escape_text(table.heading), styles["heading"]),
            _sheet_table(table, styles, width, sheet.lang, bold),
        ]
        if table.note:
            parts.append(Paragraph(escape_text(table.note), styles["note"]))
        return parts

    story: list[Any] = []
    gap = 6 * mm
    pending: list[SheetTable] = []
    for table in (*sheet.tables, None):
        if table is not None and table.half:
            pending.append(table)
            if len(pending) < 2:
                continue
        if pending:
            half_w = (frame_w - gap) / 2
            cells = [block(half, half_w) for half in pending] + [[]] * (2 - len(pending))
            pair = Table([cells], colWidths=[half_w + gap, half_w], hAlign="LEFT")
            pair.setStyle(
                TableStyle(
                    [
                        ("VALIGN", (0, 0), (-1, -1), "TOP"),
                        *_tight(0),
                        ("RIGHTPADDING", (0, 0), (0, 0), gap),
                    ]
                )
            )
            story.append(pair)
            pending = []
        if table is not None and not table.half:
            story += block(table, frame_w)
    return story


CELL_PADDING = 6.0
"""Left plus right padding of a table cell (3 pt each side, set in :func:`_sheet_table`)."""


def column_widths(
    table: SheetTable, width: float, *, font: str, size: float, numeric: Sequence[bool]
) -> list[float]:
    """Column widths that never break a header word.

    Each column is at least as wide as its longest header word (in the bold header font) and,
    for numbers, its widest value.

    The width left over goes to the text columns in the proportions of ``table.widths`` (or
    the first column when no shares are given).
    """
    from reportlab.pdfbase.pdfmetrics import stringWidth

    n = max(len(table.columns), 1)
    minimum = []
    for i, column in enumerate(table.columns):
        words = str(column).split() or [""]
        need = max(stringWidth(w, font, size) for w in words)
        if numeric[i]:
            cells = [_cell_text(r[i], "de", _decimals(table, i)) for r in table.rows]
            need = max([need, *(stringWidth(c, font, size) for c in cells)])
        minimum.append(need + CELL_PADDING + 1)
    shares = list(table.widths) if len(table.widths) == n else [2.0] + [1.0] * (n - 1)
    text_cols = [i for i in range(n) if not numeric[i]] or [0]
    widths = [minimum[i] for i in range(n)]
    rest = width - sum(widths)
    if rest > 0:
        weight = sum(shares[i] for i in text_cols)
        for i in text_cols:
            widths[i] += rest * shares[i] / weight
    return widths


def _decimals(table: SheetTable, column: int) -> int:
    """Decimals of a column, the same for every row (see :attr:`SheetTable.decimals`)."""
    if column < len(table.decimals) and table.decimals[column] is not None:
        return int(table.decimals[column])  # type: ignore[arg-type]
    values = [
        float(r[column]) for r in table.rows if _is_number(r[column]) and not _is_missing(r[column])
    ]
    if all(float(v).is_integer() for v in values):
        return 0
    smallest = min((abs(v) for v in values if v), default=1.0)
    return 2 if smallest < 1 else 1


def _sheet_table(
    table: SheetTable, styles: Mapping[str, Any], width: float, lang: Lang, bold: str
) -> Any:
    from reportlab.lib import colors
    from reportlab.platypus import Paragraph, Table, TableStyle

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
                escape_text(_cell_text(v, lang, _decimals(table, i))),
                styles["cell_right" if numeric[i] else "cell"],
            )
            for i, v in enumerate(row)
        ]
        for row in table.rows
    ]
    head_style = styles["head"]
    widths = column_widths(table, width, font=bold, size=head_style.fontSize, numeric=numeric)
    out = Table([head, *body], colWidths=widths, repeatRows=1, hAlign="LEFT")
    out.setStyle(
        TableStyle(
            [
                ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.HexColor("#333333")),
                ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#f2f4f7")]),
                ("VALIGN", (0, 0), (-1, 0), "BOTTOM"),
                ("VALIGN", (0, 1), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 1.2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1.2),
                ("LEFTPADDING", (0, 0), (-1, -1), CELL_PADDING / 2),
                ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PADDING / 2),
            ]
        )
    )
    return out


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Number) and not isinstance(value, bool)


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _cell_text(value: Any, lang: Lang, decimals: int | None = None) -> str:
    if _is_missing(value) or value is pd.NA:
        return "–"
    if isinstance(value, bool):
        return t("yes" if value else "no", lang)
    if isinstance(value, numbers.Real):
        if decimals is None:
            decimals = 0 if isinstance(value, numbers.Integral) else 1
        return fmt_number(float(value), lang, decimals=decimals)
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


def _t(key: str, lang: Lang, **values: object) -> str:
    return t(f"sheet_{key}", lang, **values)


def sheet_from_profile(
    profile: Mapping[str, Any],
    *,
    lang: Lang = "de",
    charts: Sequence[bytes] = (),
    created: dt.date | None = None,
    districts: Any = None,
) -> AreaSheet:
    """Turn the profile of :func:`layers.profile.area_profile` into an :class:`AreaSheet`.

    The profile is language-neutral; its groups, categories, need components and notes are
    rendered in ``lang`` (:func:`dashboard.profile_text.localise_profile`), names from the data
    (areas, facilities, programme measures) are shown as they are.

    Parameters
    ----------
    profile
        The profile result (``layers.profile.area_profile``).
    lang
        Language of headings, labels, notes and number format.
    charts
        PNG images to place under the key facts (for example the trend chart).
    created
        Export date for the footer; default today.
    districts
        The dataset's district GeoDataFrame: draws the locator map (the area's districts within
        the city); None leaves it out.
    """
    text = localise_profile(profile, lang)
    area = text.get("area", {})
    level = area.get("level", "district")
    year = text.get("year")
    title = f"{area.get('name') or area.get('id', '')}"
    subtitle = " · ".join(
        part
        for part in (
            f"{_t('profile', lang)}: {_t(level, lang)} {area.get('id', '')}",
            str(text.get("city") or ""),
            f"{_t('year', lang)} {year}" if year is not None else "",
        )
        if part
    )
    return AreaSheet(
        title=title,
        subtitle=subtitle,
        facts=tuple(_sheet_facts(text, lang)),
        tables=tuple(_sheet_tables(text, lang)),
        charts=tuple(charts),
        notes=tuple(str(n) for n in text.get("notes") or [] if n),
        sources=source_line(profile.get("sources") or [], lang=lang, created=created),
        footer=f"Quartiersatlas · {_t('profile', lang)} {title}",
        lang=lang,
        locator=None
        if districts is None
        else locator_drawing(districts, [str(d.get("id")) for d in area.get("districts") or []]),
    )


def _sheet_facts(text: Mapping[str, Any], lang: Lang) -> list[tuple[str, str]]:
    """Key facts under the title: residents, planning area, coordinator, programme, need."""
    area = text.get("area", {})
    population = text.get("population") or {}
    need = text.get("need_index") or {}
    facts = [
        (
            _t("residents", lang),
            f"{fmt_number(population.get('total'), lang)} "
            f"({population.get('year', text.get('year'))})",
        )
    ]
    planning = area.get("planning_area")
    if area.get("level", "district") == "district" and planning:
        facts.append((_t("planning", lang), str(planning.get("name") or planning.get("id"))))
    coordinator = planning.get("coordinator") if planning else None
    if coordinator:
        facts.append((_t("coordinator", lang), str(coordinator)))
    measures = []
    for item in text.get("programme") or []:
        measure = str(item.get("measure_label") or item.get("measure") or "")
        # the dataset's free-text note is in one language only: it stays in the dataset, the
        # sheet shows the measure, its start and the date of the source
        details = []
        if item.get("since"):
            details.append(f"{_t('since', lang)} {item['since']}")
        if item.get("source_date"):
            details.append(_t("status", lang, date=_month(str(item["source_date"]), lang)))
        measures.append(measure + (f" ({', '.join(details)})" if details else ""))
    facts.append((_t("programme", lang), "; ".join(measures) if measures else _t("none", lang)))
    if need.get("available") and need.get("score") is not None:
        rank = _t("rank", lang, rank=need.get("rank"), of=need.get("of"))
        period = _t("need_note", lang, a=need.get("year_from"), b=need.get("year_to"))
        facts.append(
            (_t("need", lang), f"{fmt_number(need['score'], lang, decimals=1)} ({rank}; {period})")
        )
    return facts


def _month(value: str, lang: Lang) -> str:
    """``2023-05`` as ``05/2023`` in German; other values unchanged."""
    year, _, month = value.partition("-")
    if lang == "de" and len(year) == 4 and len(month) == 2 and (year + month).isdigit():
        return f"{month}/{year}"
    return value


def _sheet_tables(text: Mapping[str, Any], lang: Lang) -> list[SheetTable]:
    """The sheet's tables, in page order; a table without rows is left out."""
    tables = [
        _coverage_table(text.get("coverage") or {}, lang),
        _facility_counts_table(text.get("facilities") or {}, lang),
        _age_table(text.get("population") or {}, text.get("year"), lang),
        _change_table(text.get("population") or {}, lang),
        _need_table(text.get("need_index") or {}, lang),
        _facility_list_table(text.get("facilities") or {}, lang),
    ]
    return [table for table in tables if table is not None]


def _coverage_table(coverage: Mapping[str, Any], lang: Lang) -> SheetTable | None:
    if not coverage.get("per_category"):
        return None
    return SheetTable(
        _t("coverage", lang, r=fmt_number(coverage.get("radius_m"), lang)),
        (
            _t("category", lang),
            _t("covered_pct", lang),
            _t("not_reached", lang),
            _t("city_pct", lang),
        ),
        tuple(
            (
                c.get("label"),
                c.get("share_pct"),
                _not_reached(c),
                c.get("city_share_pct"),
            )
            for c in coverage["per_category"]
        ),
        note=str(coverage.get("note") or ""),
        half=True,
        decimals=(None, 1, 0, 1),
    )


def _not_reached(row: Mapping[str, Any]) -> int | None:
    """Residents of the area not reaching the service (None where the share is missing)."""
    residents, covered = row.get("residents"), row.get("covered")
    if row.get("share_pct") is None or residents is None or covered is None:
        return None
    return round(float(residents) - float(covered))


def _facility_counts_table(facilities: Mapping[str, Any], lang: Lang) -> SheetTable | None:
    if not facilities.get("per_category"):
        return None
    return SheetTable(
        _t("facilities", lang),
        (_t("category", lang), _t("count", lang), _t("per_1000", lang), _t("city_per_1000", lang)),
        tuple(
            (
                c.get("label"),
                c.get("count"),
                c.get("per_1000_residents"),
                c.get("city_per_1000_residents"),
            )
            for c in facilities["per_category"]
        ),
        half=True,
        decimals=(None, 0, 2, 2),
    )


def _age_table(population: Mapping[str, Any], year: Any, lang: Lang) -> SheetTable | None:
    ages = population.get("age_structure") or []
    known = [a for a in ages if a.get("value") is not None]
    if not known:
        return None
    missing = [str(a.get("label")) for a in ages if a.get("value") is None]
    return SheetTable(
        _t("age", lang, y=population.get("year", year)),
        (_t("group", lang), _t("residents", lang), _t("share_pct", lang), _t("city_pct", lang)),
        tuple(
            (a.get("label"), a.get("value"), a.get("share_pct"), a.get("city_share_pct"))
            for a in known
        ),
        note=_t("missing", lang, groups=", ".join(missing)) if missing else "",
        half=True,
        decimals=(None, 0, 1, 1),
    )


def _change_table(population: Mapping[str, Any], lang: Lang) -> SheetTable | None:
    changes = [c for c in population.get("change") or [] if c.get("change_pct") is not None]
    if not changes:
        return None
    periods = {f"{c.get('year_from')}–{c.get('year_to')}" for c in changes}
    if len(periods) == 1:  # one period for all groups: named once in the heading
        return SheetTable(
            f"{_t('change', lang)} {periods.pop()}",
            (_t("group", lang), _t("change_pct", lang), _t("city_pct", lang)),
            tuple((c.get("label"), c.get("change_pct"), c.get("city_change_pct")) for c in changes),
            half=True,
            decimals=(None, 1, 1),
        )
    return SheetTable(
        _t("change", lang),
        (_t("group", lang), _t("period", lang), _t("change_pct", lang), _t("city_pct", lang)),
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
        half=True,
        decimals=(None, None, 1, 1),
    )


def _need_table(need: Mapping[str, Any], lang: Lang) -> SheetTable | None:
    components = [c for c in need.get("components") or [] if c.get("available")]
    if not components:
        return None
    return SheetTable(
        _t("components", lang),
        (_t("component", lang), _t("value", lang), _t("normalised", lang), _t("weight", lang)),
        tuple(
            (c.get("label"), c.get("value"), c.get("normalised"), c.get("weight"))
            for c in components
        ),
        decimals=(None, 1, 2, 2),
    )


def _facility_list_table(facilities: Mapping[str, Any], lang: Lang) -> SheetTable | None:
    listed = facilities.get("list") or []
    if not listed:
        return None
    labels = {c.get("category"): c.get("label") for c in facilities.get("per_category", [])}
    return SheetTable(
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
        height=170,
        paper_bgcolor="white",
        font=dict(family=EXPORT_FONT, size=12),
        title=dict(text=escape_text(_t("trend", lang)), x=0.01, font=dict(size=14)),
        margin=dict(t=34),
    )
    from dashboard.export_map import render_figure

    return render_figure(fig, fmt="png", scale=2)


def write_area_profile_pdf(
    profile: Mapping[str, Any],
    out: str | os.PathLike[str],
    *,
    lang: Lang = "de",
    chart: bool = True,
    districts: Any = None,
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
    districts
        The dataset's district GeoDataFrame for the locator map (None: no locator map).

    Raises
    ------
    ParameterError
        If ``out`` does not end in ``.pdf``.
    ExportError
        If the file cannot be written.
    """
    check_suffix(out, ("pdf",), what="profile")
    check_folder(Path(out))
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
    sheet = sheet_from_profile(profile, lang=lang, charts=charts, districts=districts)
    if extra_notes:
        sheet = dataclasses.replace(sheet, notes=(*sheet.notes, *extra_notes))
    return write_export(out, profile_pdf_bytes(sheet))


__all__ = [
    "AreaSheet",
    "SheetTable",
    "column_widths",
    "locator_drawing",
    "profile_pdf_bytes",
    "sheet_from_profile",
    "trend_chart_png",
    "write_area_profile_pdf",
    "write_profile_pdf",
]
