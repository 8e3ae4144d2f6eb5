"""Flow: the export buttons download the current view as PNG and PDF, and the table as CSV.

The files land in the browser's download folder (``dash_duo.download_path``); PNG and PDF must
not be blank, the CSV has the table's header and formula-like text neutralised.
"""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from qa_browser import choose_radio, url_query, wait_for, wait_map_values, wait_text
from selenium.webdriver.common.keys import Keys

from dashboard import ids

pytestmark = pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="needs poppler-utils")


def non_white_share(image: Image.Image) -> float:
    pixels = np.asarray(image.convert("RGB"), dtype=np.int16)
    return float((pixels.min(axis=2) < 235).mean())


def downloaded(dash_duo, suffix: str, *, timeout: float = 90.0) -> Path:
    """The finished download ending in ``suffix`` (Chromium writes ``.crdownload`` first)."""
    folder = Path(dash_duo.download_path)

    def done() -> Path | None:
        files = [p for p in folder.glob(f"*{suffix}") if p.stat().st_size > 0]
        return files[0] if files else None

    path = wait_for(done, timeout=timeout, what=f"a downloaded {suffix} file in {folder}")
    time.sleep(0.3)  # let Chromium close the file
    return path


def click(dash_duo, element_id: str) -> None:
    button = dash_duo.wait_for_element(f"#{element_id}")
    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", button)
    button.click()


def test_export_buttons_download_png_and_pdf(dash_duo, make_app, tmp_path):
    dash_duo.start_server(make_app())
    wait_map_values(dash_duo)
    dash_duo.wait_for_element(f"#{ids.DISTANCE} [role='slider']").send_keys(Keys.END)
    wait_for(lambda: "dist=2000" in url_query(dash_duo), what="the changed distance in the URL")

    click(dash_duo, ids.EXPORT_PNG)
    png = downloaded(dash_duo, ".png")
    assert png.name == "quartiersatlas-karte-2021.png"  # named by the app
    image = Image.open(png)
    assert image.size == (2246, 1588)  # A4 landscape at twice the page size
    colours = image.convert("RGB").getcolors(maxcolors=1 << 20)
    assert colours is None or len(colours) > 1
    assert non_white_share(image) > 0.15
    wait_text(dash_duo, f"#{ids.EXPORT_STATUS}", png.name)
    wait_for(
        lambda: dash_duo.wait_for_element(f"#{ids.EXPORT_PNG}").is_enabled(),
        what="the PNG button to be enabled again",
    )

    choose_radio(dash_duo, ids.EXPORT_PAGE, "16:9")
    click(dash_duo, ids.EXPORT_PDF)
    pdf = downloaded(dash_duo, ".pdf")
    assert pdf.name == "quartiersatlas-karte-2021-16x9.pdf"
    assert pdf.read_bytes().startswith(b"%PDF")
    subprocess.run(
        ["pdftoppm", "-r", "72", "-png", str(pdf), str(tmp_path / "page")],
        check=True,
    )
    (page,) = sorted(tmp_path.glob("page*.png"))
    assert non_white_share(Image.open(page)) > 0.15
    text = subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "2,0 km" in text  # the exported view is the one the user chose


def test_profile_button_needs_an_area(dash_duo, make_app, karlsruhe):
    dash_duo.start_server(make_app())
    wait_map_values(dash_duo)
    assert not dash_duo.wait_for_element(f"#{ids.EXPORT_PROFILE}").is_enabled()
    area = str(karlsruhe.districts["id"].iloc[0])
    dash_duo.driver.get(dash_duo.server_url + f"/?area={area}")
    wait_for(
        lambda: dash_duo.wait_for_element(f"#{ids.EXPORT_PROFILE}").is_enabled(),
        what="the profile button to be enabled for the chosen area",
    )
    click(dash_duo, ids.EXPORT_PROFILE)
    # the export takes seconds: a visible, translated progress line while it renders
    progress = dash_duo.find_element(f"#{ids.EXPORT_PROGRESS}")
    wait_for(progress.is_displayed, timeout=10, what="the progress line while rendering")
    assert progress.text == "Export wird erstellt …"
    pdf = downloaded(dash_duo, ".pdf")
    assert pdf.name == f"quartiersatlas-profil-{area}-2021.pdf"
    assert pdf.read_bytes().startswith(b"%PDF")
    text = subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Gebietsprofil: Stadtteil" in text and "nicht" in text and "Lage in der Stadt" in text
    wait_for(
        lambda: not progress.is_displayed(), what="the progress line to go when the file is done"
    )


def test_table_downloads_as_csv_with_neutralised_cells(dash_duo, make_app, karlsruhe):
    districts = karlsruhe.districts.copy()
    districts.loc[districts.index[0], "name"] = "=HYPERLINK(1)"
    dataset = dataclasses.replace(karlsruhe, districts=districts)
    dash_duo.start_server(make_app(dataset))
    wait_map_values(dash_duo)
    click(dash_duo, ids.EXPORT_CSV)
    csv = downloaded(dash_duo, ".csv", timeout=30)
    assert csv.name == "quartiersatlas-tabelle-versorgung-2021.csv"
    lines = csv.read_bytes().decode("utf-8-sig").splitlines()
    blank = lines.index("")  # the metadata block follows one empty line
    table, metadata = lines[:blank], lines[blank + 1 :]
    # the headers name the group and year, the distance and the residents not reached
    assert table[0].startswith("Gebiets-ID;Gebiet;Einwohner mit Hauptwohnung (2021);")
    assert "m Luftlinie (%);" in table[0] and table[0].endswith(": nicht erreicht")
    assert any(";'=HYPERLINK(1);" in line for line in table)
    assert not any(";=HYPERLINK" in line for line in lines)
    assert table[-1].split(";")[1] == "Stadt gesamt"
    assert metadata[:2] == ["Metadaten;", "Angabe;Wert"]
    assert any(line.startswith("Vollständigkeit;") for line in metadata)

    click(dash_duo, ids.EXPORT_XLSX)
    xlsx = downloaded(dash_duo, ".xlsx", timeout=30)
    import openpyxl

    book = openpyxl.load_workbook(xlsx)
    assert book.sheetnames[1] == "Metadaten"
    items = {row[0]: row[1] for row in book["Metadaten"].iter_rows(min_row=2, values_only=True)}
    assert items["Jahr (verwendet)"] == "2021"
    assert items["Quellen und Lizenzen"].startswith("Quellen: ")


def test_map_export_runs_as_background_job(dash_duo, make_app, tmp_path):
    """With a job queue (as under gunicorn) the PNG export runs outside the request."""
    from dashboard.jobs import background_callback_manager

    manager = background_callback_manager(jobs_dir=tmp_path / "jobs", data_version="test")
    dash_duo.start_server(make_app(background_callback_manager=manager))
    wait_map_values(dash_duo)
    click(dash_duo, ids.EXPORT_PNG)
    # the buttons are busy while the job runs
    wait_for(
        lambda: not dash_duo.wait_for_element(f"#{ids.EXPORT_PDF}").is_enabled(),
        timeout=10,
        what="the map export buttons to be disabled while rendering",
    )
    png = downloaded(dash_duo, ".png")
    assert non_white_share(Image.open(png)) > 0.15
    wait_for(
        lambda: dash_duo.wait_for_element(f"#{ids.EXPORT_PDF}").is_enabled(),
        what="the map export buttons to be enabled again",
    )
