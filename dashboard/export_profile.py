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
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.lib.utils import simpleSplit
    from reportlab.platypus import KeepInFrame, Paragraph, SimpleDocTemplate, Spacer

    regular, bold = _pdf_fonts()
    styles = _pdf_styles(regular, bold)
    page_w, page_h = A4
    margin = 15 * mm
    frame_w = page_w - 2 * margin
    frame_h = page_h - 2 * margin - 10 * mm  # room for the footer line

    story = _head_story(sheet, styles, frame_w) + _tables_story(sheet, styles, frame_w)
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


def _pdf_styles(regular: str, bold: str) -> dict[str, Any]:
    """Paragraph styles of the sheet, in the registered fonts."""
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_RIGHT
    from reportlab.lib.styles import ParagraphStyle

    base = ParagraphStyle("base", fontName=regular, fontSize=9, leading=11.5)
    grey = colors.HexColor("#444444")
    return {
        "title": ParagraphStyle("title", parent=base, fontName=bold, fontSize=18, leading=22),
        "subtitle": ParagraphStyle("sub", parent=base, fontSize=11, leading=14, textColor=grey),
        "heading": ParagraphStyle(
            "h", parent=base, fontName=bold, fontSize=11, leading=14, spaceBefore=6, spaceAfter=2
        ),
        "cell": base,
        "cell_right": ParagraphStyle("cr", parent=base, alignment=TA_RIGHT),
        "head": ParagraphStyle("th", parent=base, fontName=bold),
        "head_right": ParagraphStyle("thr", parent=base, fontName=bold, alignment=TA_RIGHT),
        "note": ParagraphStyle("note", parent=base, fontSize=8, leading=10, textColor=grey),
    }


def _head_story(sheet: AreaSheet, styles: Mapping[str, Any], frame_w: float) -> list[Any]:
    """Title, subtitle, key facts and the charts."""
    from reportlab.lib.units import mm
    from reportlab.lib.utils import ImageReader
    from reportlab.platypus import Image, Paragraph, Spacer, Table, TableStyle

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
    return story


def _tables_story(sheet: AreaSheet, styles: Mapping[str, Any], frame_w: float) -> list[Any]:
    """The tables: half-width ones side by side in pairs, the others across the page."""
    from reportlab.lib import colors
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, Table, TableStyle

    def block(table: SheetTable, width: float) -> list[Any]:
        parts = [
            Paragraph(escape_text(table.heading), styles["heading"]),
            _sheet_table(table, styles, width, sheet.lang, Table, TableStyle, Paragraph, colors),
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
    return story


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
        return t("yes" if value else "no", lang)
    if isinstance(value, numbers.Integral):
        return fmt_number(float(value), lang, decimals=0)
    if isinstance(value, numbers.Real):
        value = float(value)
        decimals = 0 if abs(value) >= 100 else 1 if abs(value) >= 1 else 2
        return fmt_number(value, lang, decimals=decimals)
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
        if item.get("since"):
            measure += f" ({_t('since', lang)} {item['since']})"
        if item.get("note"):
            measure += f", {item['note']}"
        measures.append(measure)
    facts.append((_t("programme", lang), "; ".join(measures) if measures else _t("none", lang)))
    if need.get("available") and need.get("score") is not None:
        rank = _t("rank", lang, rank=need.get("rank"), of=need.get("of"))
        period = _t("need_note", lang, a=need.get("year_from"), b=need.get("year_to"))
        facts.append(
            (_t("need", lang), f"{fmt_number(need['score'], lang, decimals=1)} ({rank}; {period})")
        )
    return facts


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
        (_t("category", lang), _t("covered_pct", lang), _t("city_pct", lang)),
        tuple(
            (c.get("label"), c.get("share_pct"), c.get("city_share_pct"))
            for c in coverage["per_category"]
        ),
        note=str(coverage.get("note") or ""),
        widths=(0.5, 0.25, 0.25),
        half=True,
    )


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
        widths=(0.34, 0.18, 0.24, 0.24),
        half=True,
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
        widths=(0.4, 0.22, 0.19, 0.19),
        half=True,
    )


def _change_table(population: Mapping[str, Any], lang: Lang) -> SheetTable | None:
    changes = [c for c in population.get("change") or [] if c.get("change_pct") is not None]
    if not changes:
        return None
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
        widths=(0.34, 0.28, 0.22, 0.16),
        half=True,
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
        height=210,
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
    sheet = sheet_from_profile(profile, lang=lang, charts=charts)
    if extra_notes:
        sheet = dataclasses.replace(sheet, notes=(*sheet.notes, *extra_notes))
    return write_export(out, profile_pdf_bytes(sheet))


__all__ = [
    "AreaSheet",
    "SheetTable",
    "profile_pdf_bytes",
    "sheet_from_profile",
    "trend_chart_png",
    "write_area_profile_pdf",
    "write_profile_pdf",
]
