"""Exports without a browser UI: map PNG/PDF pixels, the one-page profile, CSV/XLSX safety, errors."""

from __future__ import annotations

import errno
import io
import json
import os
import shutil
import subprocess
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest
from openpyxl import load_workbook
from PIL import Image
from shapely.geometry import Point, box

from dashboard import export, export_map, export_profile, svg_map
from dashboard.export import neutralise_cell, table_csv_bytes, table_xlsx_bytes, write_table
from dashboard.export_map import export_figure, fit_map_view, write_figure
from dashboard.export_profile import AreaSheet, SheetTable, write_profile_pdf
from dashboard.leaflet_map import layer_tips
from layers._text import is_formula_like
from layers.errors import ExportError, LayersError, ParameterError

XSS_NAME = "<img src=x onerror=alert(1)>"

needs_poppler = pytest.mark.skipif(
    shutil.which("pdftoppm") is None or shutil.which("pdftotext") is None,
    reason="poppler-utils (pdftoppm, pdftotext) not installed",
)
needs_chromium = pytest.mark.skipif(
    shutil.which("chromium") is None and shutil.which("google-chrome") is None,
    reason="kaleido needs a Chromium",
)


# ---------------------------------------------------------------------------------------------
# fixtures


@pytest.fixture
def risky_table() -> pd.DataFrame:
    """A table with formula-like text, negative numbers, a missing value and umlauts."""
    return pd.DataFrame(
        {
            "name": [
                '=HYPERLINK("http://evil","x")',
                "+49 721",
                "-Treff",
                "@SUM(A1)",
                "\tTab",
                "\rCR",
                "Bürgertreff Süd",
            ],
            "share_pct": [12.5, -3.25, 0.0, 100.0, np.nan, 50.0, 7.0],
            "residents": [10, -2, 0, 5, 6, 7, 8],
        }
    )


@pytest.fixture
def grid_figure() -> tuple[go.Figure, tuple[float, float, float, float]]:
    """A 2×2 district choropleth with three facility markers, like the app's map, and its bounds."""
    x0, y0 = 455_000.0, 5_425_000.0
    districts = gpd.GeoDataFrame(
        {"id": ["a", "b", "c", "d"]},
        geometry=[
            box(x0 + i * 1000, y0 + j * 1000, x0 + (i + 1) * 1000, y0 + (j + 1) * 1000)
            for j in range(2)
            for i in range(2)
        ],
        crs="EPSG:25832",
    ).to_crs(4326)
    points = gpd.GeoSeries(
        [Point(x0 + 500, y0 + 1500), Point(x0 + 1500, y0 + 500)], crs="EPSG:25832"
    ).to_crs(4326)
    fig = go.Figure(
        go.Choroplethmap(
            geojson=json.loads(districts.to_json()),
            featureidkey="properties.id",
            locations=districts["id"],
            z=[10, 40, 70, 100],
            colorscale="Blues",
            colorbar=dict(title="Anteil (%)"),
        )
    )
    fig.add_trace(
        go.Scattermap(
            lat=points.y,
            lon=points.x,
            mode="markers",
            name="Begegnung",
            marker=dict(size=14, color="#E69F00"),
        )
    )
    fig.update_layout(map=dict(style="white-bg"))
    return fig, tuple(districts.total_bounds)


@pytest.fixture(scope="module")
def kaleido_server():
    """One kaleido browser for all renders of this module."""
    with export_map.export_server():
        yield


def non_white_share(image: Image.Image) -> float:
    """Share of pixels that are not (near) white."""
    pixels = np.asarray(image.convert("RGB"), dtype=np.int16)
    return float((pixels.min(axis=2) < 235).mean())


def distinct_colours(image: Image.Image) -> int:
    """Number of distinct colours after quantising to 32 levels per channel."""
    pixels = np.asarray(image.convert("RGB"), dtype=np.uint8) // 8
    return len(np.unique(pixels.reshape(-1, 3), axis=0))


def pdf_to_png(pdf: Path, tmp_path: Path) -> list[Path]:
    """Rasterise every page of ``pdf`` with poppler's pdftoppm (72 dpi)."""
    prefix = tmp_path / f"{pdf.stem}-page"
    subprocess.run(["pdftoppm", "-r", "72", "-png", str(pdf), str(prefix)], check=True)
    return sorted(tmp_path.glob(f"{pdf.stem}-page*.png"))


def pdf_text(pdf: Path) -> str:
    """Text layer of ``pdf`` (poppler's pdftotext)."""
    return subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout


# ---------------------------------------------------------------------------------------------
# tables


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+2", "'=1+2"),
        # numbers written as text stay (one rule with the CLI: layers._text)
        ("+1", "+1"),
        ("-1", "-1"),
        ("+1+1", "'+1+1"),
        ("  =1", "'  =1"),
        ("\uff1d1", "'\uff1d1"),
        ("\nx", "'\nx"),
        ("@x", "'@x"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("Treff", "Treff"),
        ("", ""),
        (-1.5, -1.5),
        (-3, -3),
        (None, None),
    ],
)
def test_neutralise_cell(value, expected):
    assert neutralise_cell(value) == expected


def test_csv_is_german_excel_dialect_and_neutralised(risky_table):
    data = table_csv_bytes(risky_table)
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    rows = text.split("\r\n")
    assert rows[0] == "name;share_pct;residents"
    assert rows[1].startswith("\"'=HYPERLINK(")  # quoted because of its quotes
    assert "'+49 721;" in text and "'-Treff;" in text and "'@SUM(A1);" in text
    assert '"\'\tTab"' in text or "'\tTab;" in text
    # numbers stay numbers: decimal comma, negative sign kept, no quote mark
    assert ";12,5;10" in rows[1]
    assert ";-3,25;-2" in rows[2]
    assert "Bürgertreff Süd;7,0;8" in text
    # read back the way a program would: every text cell is neutralised, numbers parse
    back = pd.read_csv(io.BytesIO(data), sep=";", decimal=",", encoding="utf-8-sig")
    assert back["residents"].tolist() == risky_table["residents"].tolist()
    assert back["share_pct"].iloc[1] == -3.25
    assert not any(is_formula_like(str(v)) for v in back["name"])


def test_csv_plain_dialect(risky_table):
    data = table_csv_bytes(risky_table, sep=",", decimal=".", bom=False)
    assert not data.startswith(b"\xef\xbb\xbf")
    assert b",-3.25,-2" in data
    with pytest.raises(ParameterError, match="separator and the decimal mark"):
        table_csv_bytes(risky_table, sep=",", decimal=",")


def test_xlsx_keeps_numbers_and_stores_no_formula(risky_table):
    workbook = load_workbook(io.BytesIO(table_xlsx_bytes(risky_table, sheet_name="Versorgung")))
    sheet = workbook["Versorgung"]
    assert [c.value for c in sheet[1]] == ["name", "share_pct", "residents"]
    names = [sheet.cell(row=r, column=1) for r in range(2, 9)]
    assert all(cell.data_type == "s" for cell in names), "no cell may be stored as a formula"
    assert names[0].value.startswith("'=HYPERLINK(")
    assert names[3].value == "'@SUM(A1)"
    assert names[6].value == "Bürgertreff Süd"
    assert sheet.cell(row=3, column=2).value == -3.25
    assert sheet.cell(row=3, column=3).value == -2
    assert sheet.cell(row=3, column=2).data_type == "n"
    assert sheet.cell(row=6, column=2).value is None  # NaN -> empty cell


def test_write_table_by_suffix(tmp_path, risky_table):
    csv_path = write_table(risky_table, tmp_path / "out" / "coverage.csv")
    xlsx_path = write_table(risky_table, tmp_path / "out" / "coverage.xlsx")
    assert csv_path.read_bytes().startswith(b"\xef\xbb\xbf")
    assert load_workbook(xlsx_path).active.max_row == len(risky_table) + 1
    with pytest.raises(ParameterError, match=r"use one of \.csv, \.xlsx"):
        write_table(risky_table, tmp_path / "coverage.ods")


# ---------------------------------------------------------------------------------------------
# write failures: a clear error and nothing partial


def test_folder_that_is_a_file_gives_clear_error(tmp_path, risky_table):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    with pytest.raises(ExportError, match=r"not-a-folder is not a folder") as info:
        write_table(risky_table, blocker / "table.csv")
    assert isinstance(info.value, LayersError)
    assert "nothing was written" in str(info.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["not-a-folder"]


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root ignores file modes")
def test_read_only_folder_gives_clear_error(tmp_path, risky_table):
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(ExportError, match="no write permission"):
            write_table(risky_table, folder / "table.xlsx")
        assert list(folder.iterdir()) == []
    finally:
        folder.chmod(0o700)


def test_permission_denied_gives_clear_error(tmp_path, risky_table, monkeypatch):
    """The same check as above, independent of the user (root ignores file modes)."""

    def denied(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr("layers._atomic.tempfile.mkstemp", denied)
    with pytest.raises(
        ExportError, match=r"no write permission in the folder .*nothing was written"
    ):
        write_table(risky_table, tmp_path / "table.csv")
    assert list(tmp_path.iterdir()) == []


def test_full_disk_leaves_old_file_and_no_temp(tmp_path, risky_table, monkeypatch):
    target = tmp_path / "table.csv"
    target.write_bytes(b"old")

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("layers._atomic.os.fsync", full)
    with pytest.raises(ExportError, match="disk is full"):
        write_table(risky_table, target)
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["table.csv"]


def test_unknown_image_suffix(tmp_path, grid_figure):
    fig, _ = grid_figure
    with pytest.raises(ParameterError, match=r"\.svg.*use one of \.png, \.pdf"):
        write_figure(fig, tmp_path / "map.svg")


# ---------------------------------------------------------------------------------------------
# map pages


def test_fit_map_view_shows_the_whole_extent():
    bounds = (8.30, 48.95, 8.55, 49.10)
    width, height = 800.0, 600.0
    centre, zoom = fit_map_view(bounds, width_px=width, height_px=height, padding=0.0)
    world = export_map.MAPLIBRE_TILE_PX * 2**zoom
    span_x = (bounds[2] - bounds[0]) / 360.0 * world
    y_north, y_south = svg_map.mercator_y([bounds[3], bounds[1]])
    span_y = float(y_north - y_south) / 360.0 * world
    assert span_x <= width + 1e-6 and span_y <= height + 1e-6
    assert max(span_x / width, span_y / height) == pytest.approx(1.0)
    assert bounds[0] < centre["lon"] < bounds[2] and bounds[1] < centre["lat"] < bounds[3]
    with pytest.raises(ParameterError, match="empty"):
        fit_map_view((8.5, 49.0, 8.5, 49.1), width_px=100, height_px=100)


def test_export_figure_layout_and_escaping(grid_figure):
    fig, bounds = grid_figure
    page = export_figure(
        fig,
        title=f"Treff {XSS_NAME}",
        subtitle="500 m · 2024",
        footer="Quelle: Stadt & Land",
        bounds_lonlat=bounds,
        page_format="16:9",
    )
    assert (page.layout.width, page.layout.height) == (1280, 720)
    assert "&lt;img src=x onerror=alert(1)&gt;" in page.layout.title.text
    assert "<img" not in page.layout.title.text
    assert page.layout.annotations[-1].text == "Quelle: Stadt &amp; Land"
    assert page.layout.showlegend
    # drawn in SVG on hidden axes that show the bounds, not on a MapLibre map
    assert {t.type for t in page.data} == {"scatter"} and page.layout.shapes
    x0, x1 = page.layout.xaxis.range
    assert x0 < bounds[0] < bounds[2] < x1 and page.layout.yaxis.scaleanchor == "x"
    assert fig.layout.width is None, "the app's figure is not changed"
    maplibre = export_figure(fig, title="t", bounds_lonlat=bounds, svg=False)
    assert maplibre.layout.map.zoom > 10 and maplibre.data[0].type == "choroplethmap"
    with pytest.raises(ParameterError, match="a4, 16:9"):
        export_figure(fig, title="x", page_format="a3")


@needs_chromium
@needs_poppler
@pytest.mark.parametrize(
    ("page_format", "png_size", "pdf_points"),
    [("a4", (2246, 1588), "841.92 x 595.92"), ("16:9", (2560, 1440), "960 x 540")],
)
def test_map_png_and_pdf_are_not_blank(
    tmp_path, grid_figure, kaleido_server, page_format, png_size, pdf_points
):
    fig, bounds = grid_figure
    page = export_figure(
        fig,
        title="Versorgung Begegnung",
        subtitle="500 m",
        footer="Quelle: Test",
        bounds_lonlat=bounds,
        page_format=page_format,
    )
    png = write_figure(page, tmp_path / "map.png")
    pdf = write_figure(page, tmp_path / "map.pdf")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["map.pdf", "map.png"]

    image = Image.open(png)
    assert image.size == png_size
    assert non_white_share(image) > 0.15, "the districts fill a good part of the page"
    assert distinct_colours(image) > 8
    # the fixed extent puts the districts in the middle of the map area, not off screen
    pixels = np.asarray(image.convert("RGB"), dtype=np.int16)
    map_right = int(png_size[0] * export_map.MAP_DOMAIN_X[1] * 0.95)
    mid = pixels[png_size[1] // 3 : 2 * png_size[1] // 3, :map_right]
    assert (mid.min(axis=2) < 235).mean() > 0.3

    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True).stdout
    assert "Pages:           1" in info
    assert pdf_points in info
    (page_png,) = pdf_to_png(pdf, tmp_path)
    assert non_white_share(Image.open(page_png)) > 0.15
    assert "Versorgung Begegnung" in pdf_text(pdf)
    # the map is drawn in vectors: no raster image in the page (MapLibre's map was one)
    from pypdf import PdfReader

    assert "/XObject" not in PdfReader(pdf).pages[0]["/Resources"]


# ---------------------------------------------------------------------------------------------
# one-page profile


def sheet(rows: int = 4) -> AreaSheet:
    """An area sheet with a hostile name, umlauts and ``rows`` facility rows."""
    facilities = tuple((f"{XSS_NAME} {i}", "Begegnung", f"Straße {i}") for i in range(rows))
    return AreaSheet(
        title=f"Südweststadt {XSS_NAME}",
        subtitle="Stadtteil 05 · 2024",
        facts=(("Einwohner", "21.345"), ("Stadtteilkoordination", "seit 2019")),
        tables=(
            SheetTable(
                "Versorgung",
                ("Kategorie", "Anteil (%)", "Stadt (%)"),
                (("Begegnung", 81.25, 75.0), ("Beratung", None, 60.1)),
            ),
            SheetTable("Einrichtungen", ("Name", "Kategorie", "Adresse"), facilities),
        ),
        footer="Quelle: Stadt Karlsruhe, dl-de/by-2-0 · Stand: 2024",
    )


@needs_poppler
def test_profile_pdf_is_one_page_with_escaped_text(tmp_path):
    pdf = write_profile_pdf(sheet(), tmp_path / "profil.pdf")
    text = pdf_text(pdf)
    assert f"Südweststadt {XSS_NAME}" in text
    assert "81,2" in text and "60,1" in text  # German number format
    assert "Quelle: Stadt Karlsruhe" in text
    (page,) = pdf_to_png(pdf, tmp_path)
    assert 0.005 < non_white_share(Image.open(page)) < 0.5


@needs_poppler
def test_profile_pdf_stays_on_one_page_when_long(tmp_path):
    pdf = write_profile_pdf(sheet(rows=150), tmp_path / "long.pdf")
    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True).stdout
    assert "Pages:           1" in info
    assert "Straße 149" in pdf_text(pdf)


def test_profile_pdf_needs_pdf_suffix(tmp_path):
    with pytest.raises(ParameterError, match=r"use one of \.pdf"):
        write_profile_pdf(sheet(), tmp_path / "profil.png")


@needs_poppler
def test_area_profile_pdf_from_layers_profile(tmp_path, grid_dataset):
    from layers.dataset import load_dataset
    from layers.profile import area_profile

    profile = area_profile(load_dataset(grid_dataset), "0101", level="district", radius_m=500.0)
    pdf = export_profile.write_area_profile_pdf(profile, tmp_path / "0101.pdf", chart=False)
    text = pdf_text(pdf)
    assert "Nordwest" in text and "Gebietsprofil: Stadtteil 0101" in text
    assert "Versorgung im Fußweg von 500 m" in text
    assert "Treff Nordwest" in text  # the facility list
    english = export_profile.write_area_profile_pdf(
        profile, tmp_path / "en.pdf", lang="en", chart=False
    )
    assert "Coverage within 500 m walk" in pdf_text(english)


def test_map_and_profile_exports_are_offered_by_dashboard_export():
    assert export.export_map_view is export_map.export_map_view
    assert export.write_area_profile_pdf is export_profile.write_area_profile_pdf
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        export.nope  # noqa: B018


def test_view_figure_is_built_whole_from_the_map_values(grid_dataset):
    from dashboard.app import create_app, get_context
    from dashboard.callbacks.map import map_update
    from dashboard.state import ViewState
    from layers.dataset import load_dataset

    ctx = get_context(create_app(load_dataset(grid_dataset), user_data_dir=grid_dataset / "ud"))
    state = ViewState(categories=("meeting",), distance=700.0, layers=("facilities",))
    fig, title = export_map.view_figure(ctx, state)
    expected = map_update(ctx, state)
    assert title == expected["title"] and "700 m" in title
    values = [None if v != v else round(float(v), 1) for v in expected["layers"]["areas"]["values"]]
    z = list(fig.data[0].z)
    assert z == values
    assert any(v is not None and v > 0 for v in z)
    assert list(fig.data[0].customdata) == layer_tips(expected["layers"]["areas"])
