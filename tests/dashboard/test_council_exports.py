"""Council-grade exports (issue 13): page geometry, one language, titles, metadata, file modes.

The profile PDF and the map exports are read back as a reader would: words and their boxes
from ``pdftotext -bbox``, the document title from pypdf, the XLSX metadata sheet from openpyxl.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from dashboard import export_profile
from dashboard.cli import main
from dashboard.export import table_csv_bytes, table_xlsx_bytes, write_table
from dashboard.export_profile import (
    _cell_text,
    _decimals,
    _pdf_fonts,
    column_widths,
    sheet_from_profile,
    write_area_profile_pdf,
)
from dashboard.profile_text import note_text
from layers.dataset import load_dataset
from layers.profile import area_profile, jump_notes

KARLSRUHE = Path(__file__).resolve().parents[2] / "data" / "karlsruhe"
needs_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler")
needs_chromium = pytest.mark.skipif(
    shutil.which("chromium") is None and not Path("/usr/bin/chromium").exists(),
    reason="needs Chromium for kaleido",
)
WORD = re.compile(
    r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>'
)
PAGE = re.compile(r'<page width="([\d.]+)" height="([\d.]+)">')


@pytest.fixture(scope="module")
def karlsruhe():
    return load_dataset(KARLSRUHE)


@pytest.fixture(scope="module")
def profiles(karlsruhe):
    # 07 Oststadt has the 2014–2016 jump, 08 the programme pilot measure
    return {a: area_profile(karlsruhe, a) for a in ("07", "08")}


def words(pdf: Path) -> tuple[tuple[float, float], list[tuple[float, float, float, float, str]]]:
    """Page size and every word with its box, in PDF points (origin top left)."""
    out = subprocess.run(
        ["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    width, height = (float(v) for v in PAGE.search(out).groups())
    boxes = [
        (float(a), float(b), float(c), float(d), text) for a, b, c, d, text in WORD.findall(out)
    ]
    return (width, height), boxes


def assert_inside(pdf: Path, margin_pt: float) -> list[str]:
    (width, height), boxes = words(pdf)
    assert boxes
    outside = [
        w
        for w in boxes
        if w[0] < margin_pt
        or w[1] < margin_pt
        or w[2] > width - margin_pt
        or w[3] > height - margin_pt
    ]
    assert outside == [], f"words closer than {margin_pt} pt to the page edge: {outside[:5]}"
    return [w[4] for w in boxes]


def before_sources(pdf: Path, marker: str) -> list[str]:
    texts = [w[4] for w in words(pdf)[1]]
    return texts[: texts.index(marker)]


# ---------------------------------------------------------------------------------------------
# profile PDF


@needs_poppler
def test_profile_pdf_uses_the_full_width_inside_the_margins(tmp_path, karlsruhe, profiles):
    pdf = write_area_profile_pdf(
        profiles["07"], tmp_path / "p.pdf", chart=False, districts=karlsruhe.districts
    )
    texts = assert_inside(pdf, margin_pt=30)
    (width, _), boxes = words(pdf)
    assert max(b[2] for b in boxes) > width * 0.85  # not the 55 % of a shrunk page
    title = next(b for b in boxes if b[4] == "Oststadt")
    assert title[3] - title[1] > 15  # the 18 pt title is set at full size, not scaled down
    assert "Lage" in texts and "erreicht" in texts
    assert PdfReader(pdf).metadata.title == "Oststadt"


@needs_poppler
def test_profile_headers_are_never_broken_inside_a_word(tmp_path, karlsruhe, profiles):
    pdf = write_area_profile_pdf(profiles["07"], tmp_path / "p.pdf", chart=False)
    texts = set(assert_inside(pdf, margin_pt=30))
    for header in ("Anzahl", "Veränderung", "Einwohner", "versorgt", "Gewicht", "normiert"):
        assert header in texts
    assert not {"Anzah", "Einwoh", "Veränd", "versor"} & texts


def test_column_widths_fit_every_header_word(profiles):
    from reportlab.pdfbase.pdfmetrics import stringWidth

    _, bold = _pdf_fonts()
    for lang in ("de", "en"):
        sheet = sheet_from_profile(profiles["07"], lang=lang)
        for table in sheet.tables:
            numeric = [isinstance(r, int | float) for r in table.rows[0]]
            widths = column_widths(table, 250.0, font=bold, size=8.5, numeric=numeric)
            for column, width in zip(table.columns, widths, strict=True):
                longest = max(stringWidth(w, bold, 8.5) for w in column.split())
                assert longest + 6 <= width, (table.heading, column)


def test_every_numeric_column_has_one_number_of_decimals(profiles):
    sheet = sheet_from_profile(profiles["07"], lang="de")
    checked = 0
    for table in sheet.tables:
        for i in range(len(table.columns)):
            cells = [
                _cell_text(r[i], "de", _decimals(table, i))
                for r in table.rows
                if isinstance(r[i], int | float)
            ]
            if len(cells) < 2:
                continue
            places = {len(c.split(",")[1]) if "," in c else 0 for c in cells}
            assert len(places) == 1, (table.heading, table.columns[i], cells)
            checked += 1
    assert checked >= 8


def test_residents_not_reached_next_to_every_share(profiles):
    sheet = sheet_from_profile(profiles["07"], lang="de")
    coverage = sheet.tables[0]
    assert coverage.columns[1:3] == ("versorgt (%)", "nicht erreicht (EW)")
    per_category = profiles["07"]["coverage"]["per_category"]
    for row, source in zip(coverage.rows, per_category, strict=True):
        assert row[2] == round(source["residents"] - source["covered"])
        assert 0 <= row[2] <= source["residents"]


@needs_poppler
def test_profile_is_in_one_language(tmp_path, karlsruhe, profiles):
    german_only = {"Anzahl", "Angebot", "Gebietsprofil", "Altersstruktur", "Bestandteile", "Stand"}
    english_only = {"Residents", "Service", "Coverage", "Facilities", "profile", "status"}
    for area, profile in profiles.items():
        en = write_area_profile_pdf(profile, tmp_path / f"{area}-en.pdf", lang="en", chart=False)
        de = write_area_profile_pdf(profile, tmp_path / f"{area}-de.pdf", lang="de", chart=False)
        # the source line quotes the dataset's own source notes (data, one language only)
        en_words = set(before_sources(en, "Sources:"))
        de_words = set(before_sources(de, "Quellen:"))
        assert not german_only & en_words, german_only & en_words
        assert not english_only & de_words, english_only & de_words
        for text in (en_words, de_words):
            assert not any("quartiersentwicklung_pilot" in w for w in text)
            assert not any("_" in w and w.islower() for w in text)  # no raw ids
    de_text = subprocess.run(
        ["pdftotext", str(tmp_path / "08-de.pdf"), "-"], capture_output=True, text=True
    ).stdout
    assert "Pilotgebiet Soziale Quartiersentwicklung (seit 2018)" in de_text
    assert "Stadtteilkoordination (Stand 05/2023)" in de_text


@needs_poppler
def test_source_line_is_complete_in_the_profile(tmp_path, profiles):
    pdf = write_area_profile_pdf(profiles["07"], tmp_path / "p.pdf", chart=False)
    text = " ".join(w[4] for w in words(pdf)[1])
    assert "Quellen:" in text and "Erstellt:" in text
    assert "2026-04-05." in text  # the last data date of the line, not cut


def test_population_jumps_are_noted_not_smoothed(profiles):
    notes = [n for n in profiles["07"]["notes"] if n["id"].startswith("population_jump")]
    assert [(n["params"]["year_from"], n["params"]["year_to"]) for n in notes] == [
        (2014, 2015),
        (2015, 2016),
    ]
    assert notes[0]["id"] == "population_jump_reverts"
    trend = next(t for t in profiles["07"]["population"]["trend"] if t["group"] == "total")
    values = {p["year"]: p["value"] for p in trend["series"]}
    assert values[2015] > values[2014] * 1.2  # the series itself is unchanged
    german = note_text(notes[0], "de")
    assert german.startswith("Sprung in der Einwohnerzahl 2014–2015: +")
    assert "unverändert" in german
    assert note_text(notes[1], "en").startswith("Jump in the number of residents 2015–2016: -")
    sheet = sheet_from_profile(profiles["07"], lang="en")
    assert sum("Jump in the number of residents" in n for n in sheet.notes) == 2


def test_jump_notes_ignore_projected_values():
    series = [
        {"year": 2020, "value": 100.0, "projected": False},
        {"year": 2021, "value": 200.0, "projected": True},
    ]
    assert jump_notes([{"group": "total", "series": series}]) == []


def test_locator_map_highlights_the_area(karlsruhe):
    from reportlab.graphics.shapes import Polygon

    drawing = export_profile.locator_drawing(karlsruhe.districts, ["07"])
    polygons = [s for s in drawing.contents[0].contents if isinstance(s, Polygon)]
    highlighted = [
        p for p in polygons if p.fillColor is not None and p.fillColor.hexval() == "0xe69f00"
    ]
    assert len(highlighted) == 1
    assert drawing.width == drawing.height
    for shape in polygons:
        xs, ys = shape.points[::2], shape.points[1::2]
        assert min(xs) >= 0 and max(xs) <= drawing.width
        assert min(ys) >= 0 and max(ys) <= drawing.height


# ---------------------------------------------------------------------------------------------
# map exports


@needs_poppler
@needs_chromium
@pytest.mark.parametrize("page_format", ["a4", "16:9"])
def test_map_pdf_text_inside_the_margins_with_title(tmp_path, karlsruhe, page_format):
    from dashboard.export_map import export_map_view

    pdf = export_map_view(karlsruhe, tmp_path / "karte.pdf", page_format=page_format)
    texts = assert_inside(pdf, margin_pt=14)
    line = " ".join(texts)
    assert "Quellen:" in line
    assert line.rstrip().endswith("kein Anteil ausgewiesen")  # the last source line is there
    title = PdfReader(pdf).metadata.title
    assert title.startswith("Karlsruhe · Stadtteile · ") and "Kaleido" not in title


def test_export_fills_are_opaque_like_the_colour_bar(grid_figure_opacity):
    assert grid_figure_opacity and set(grid_figure_opacity) == {1.0}


@pytest.fixture
def grid_figure_opacity(karlsruhe):
    from dashboard import svg_map
    from dashboard.context import AppContext
    from dashboard.export_map import export_figure, view_figure
    from dashboard.state import ViewState

    ctx = AppContext(karlsruhe)
    fig, _ = view_figure(ctx, ViewState(categories=("meeting",), year=2021))
    page = export_figure(fig, title="t", footer="Quellen: x " * 80, page_format="16:9")
    # the areas are drawn as shapes filled with their colour's rgba(...) (the gap hexagons'
    # colours keep their scale's alpha)
    areas = svg_map.feature_paths(ctx.geo["district"].geojson, "id").values()
    return [
        float(s.fillcolor.rsplit(",", 1)[1].rstrip(")"))
        for s in page.layout.shapes
        if any(path in s.path for path in areas) and s.fillcolor != "rgba(0,0,0,0)"
    ]


# ---------------------------------------------------------------------------------------------
# tables, file modes, --out


METADATA = {
    "title": "Metadaten",
    "header": ("Angabe", "Wert"),
    "rows": [("Jahr (verwendet)", "2021"), ("Notiz", "=1+1")],
}


def test_xlsx_has_a_metadata_sheet(tmp_path):
    import pandas as pd

    data = table_xlsx_bytes(pd.DataFrame({"a": [1.5]}), sheet_name="T", metadata=METADATA)
    path = tmp_path / "t.xlsx"
    path.write_bytes(data)
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["T", "Metadaten"]
    rows = list(book["Metadaten"].iter_rows(values_only=True))
    assert rows == [("Angabe", "Wert"), ("Jahr (verwendet)", "2021"), ("Notiz", "'=1+1")]


def test_csv_metadata_follows_the_table_after_an_empty_line():
    import pandas as pd

    text = table_csv_bytes(pd.DataFrame({"a": [1.5]}), metadata=METADATA).decode("utf-8-sig")
    assert text.split("\r\n") == [
        "a",
        "1,5",
        "",
        "Metadaten;",
        "Angabe;Wert",
        "Jahr (verwendet);2021",
        "Notiz;'=1+1",
        "",
    ]


def test_app_table_metadata_names_the_parameters(karlsruhe):
    from dashboard.callbacks.export import table_export
    from dashboard.context import AppContext
    from dashboard.state import ViewState

    ctx = AppContext(karlsruhe)
    state = ViewState(categories=("meeting", "care"), distance=500.0, lang="en")
    data, _name = table_export(ctx, state, "xlsx")
    book = openpyxl.load_workbook(__import__("io").BytesIO(data))
    items = dict(book["Metadata"].iter_rows(min_row=2, values_only=True))
    assert items["Rule for several services"] == "all chosen services"
    assert items["Distance"].startswith("500 m = ") and "straight line" in items["Distance"]
    assert items["Year (used)"] == "2021"
    assert items["Completeness"].startswith("The facility list is incomplete")
    assert items["Sources and licences"].startswith("Sources: ")
    assert "," in items["Services"]


def test_exports_are_written_0644_under_the_usual_umask(tmp_path, profiles):
    import pandas as pd

    old = os.umask(0o022)
    try:
        table = write_table(pd.DataFrame({"a": [1]}), tmp_path / "t.csv")
        pdf = write_area_profile_pdf(profiles["07"], tmp_path / "p.pdf", chart=False)
    finally:
        os.umask(old)
    assert oct(table.stat().st_mode & 0o777) == oct(0o644)
    assert oct(pdf.stat().st_mode & 0o777) == oct(0o644)


@pytest.mark.parametrize(
    "args",
    [
        ["coverage", "--category", "meeting", "--out", "x.png"],
        ["coverage", "--category", "meeting", "--format", "json", "--out", "x.csv"],
        ["nearby", "--lat", "49.0", "--lon", "8.4", "--out", "x.csv"],
        ["site", "--category", "meeting", "--out", "x.csv"],
        ["planning-areas", "propose", "--n", "3", "--out", "x.json"],
        ["profile", "--area", "07", "--out", "x.png"],
        ["export", "--out", "x.csv"],
    ],
)
def test_out_suffix_is_checked_before_anything_is_written(tmp_path, args):
    out_index = args.index("--out") + 1
    args = [*args[:out_index], str(tmp_path / args[out_index]), *args[out_index + 1 :]]
    result = CliRunner().invoke(main, args)
    assert result.exit_code != 0
    assert "does not end in" in result.output or "use one of" in result.output
    assert list(tmp_path.iterdir()) == []


def test_profile_panel_shows_residents_not_reached_and_the_jump(karlsruhe):
    from dashboard.callbacks.profile import profile_children
    from dashboard.context import AppContext
    from dashboard.state import ViewState

    ctx = AppContext(karlsruhe)
    panel = str(profile_children(ctx, ViewState(area="07", categories=("meeting",))))
    profile = ctx.view_profile(ViewState(area="07", categories=("meeting",)))
    meeting = next(c for c in profile["coverage"]["per_category"] if c["category"] == "meeting")
    missing = f"{meeting['residents'] - meeting['covered']:,.0f}".replace(",", ".")
    assert f"versorgt · {missing} Einwohner nicht erreicht" in panel
    assert "Sprung in der Einwohnerzahl 2014–2015" in panel
    assert "Sprung in der Einwohnerzahl 2015–2016" in panel
