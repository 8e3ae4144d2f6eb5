"""Export buttons without a browser: file names, the table behind the map, the profile sheet."""

from __future__ import annotations

import dataclasses
import io

import pandas as pd
import pytest

from dashboard.callbacks import export as export_cb
from dashboard.callbacks.url_state import default_state
from dashboard.state import ViewState


@pytest.fixture
def base(tiny_ctx) -> ViewState:
    return default_state(tiny_ctx).with_(year=2022, distance=500.0)


def test_file_names_are_made_by_the_app(tiny_ctx, base):
    name = export_cb.export_filename
    assert name(tiny_ctx, base, "map", "png") == "quartiersatlas-karte-2022.png"
    assert name(tiny_ctx, base.with_(lang="en"), "map", "pdf") == "quartiersatlas-map-2022.pdf"
    change = base.with_(layers=("change",), year_from=2020, year_to=2022)
    assert name(tiny_ctx, change, "table", "csv") == "quartiersatlas-tabelle-wandel-2020-2022.csv"
    assert name(tiny_ctx, base, "table", "xlsx") == "quartiersatlas-tabelle-versorgung-2022.xlsx"
    # an area id from a crafted link never reaches the file system as a path
    evil = base.with_(area="../../etc/passwd")
    assert name(tiny_ctx, evil, "profile", "pdf") == "quartiersatlas-profil-etc_passwd-2022.pdf"
    with pytest.raises(ValueError, match="unknown export kind 'x'"):
        name(tiny_ctx, base, "x", "pdf")


def test_coverage_table_has_numbers_hidden_small_counts_and_the_city(tiny_ctx, base):
    frame = export_cb.table_frame(tiny_ctx, base)
    share, uncovered = "Begegnung in 500 m Luftlinie (%)", "Begegnung: nicht erreicht"
    residents = "Einwohner insgesamt (2022)"
    assert list(frame.columns) == ["Gebiets-ID", "Gebiet", residents, share, uncovered]
    by_id = frame.set_index("Gebiets-ID")
    # meeting place at the centre of district 01: 80 of its 100 points within 500 m
    assert by_id.loc["01", share] == pytest.approx(80.0)
    assert by_id.loc["01", residents] == 1100
    assert by_id.loc["01", uncovered] == 220  # a fifth of 1100 residents
    assert pd.isna(by_id.loc["04", share])  # 30 residents: hidden
    assert pd.isna(by_id.loc["04", uncovered])
    assert frame.iloc[-1]["Gebiet"] == "Stadt gesamt"


def test_change_table_in_the_overlay(tiny_ctx, base):
    state = base.with_(layers=("change",), year_from=2020, year_to=2022, lang="en")
    frame = export_cb.table_frame(tiny_ctx, state)
    assert list(frame.columns)[-2:] == ["Change (%)", "Note"]
    by_id = frame.set_index("Area ID")
    assert by_id.loc["01", "Change (%)"] == pytest.approx(10.0)
    assert frame.iloc[-1]["Area"] == "Whole city"


def test_csv_and_xlsx_neutralise_formula_text(tiny_dataset, tmp_path):
    from openpyxl import load_workbook

    from dashboard.app import make_options
    from dashboard.context import AppContext

    districts = tiny_dataset.districts.copy()
    districts.loc[0, "name"] = "=HYPERLINK(1)"
    ctx = AppContext(
        dataclasses.replace(tiny_dataset, districts=districts),
        make_options(user_data_dir=tmp_path / "user"),
    )
    state = default_state(ctx).with_(year=2022)
    data, name = export_cb.table_export(ctx, state, "csv")
    assert name.endswith(".csv")
    text = data.decode("utf-8-sig")
    assert text.splitlines()[0] == (
        "Gebiets-ID;Gebiet;Einwohner insgesamt (2022);Begegnung in 500 m Luftlinie (%);"
        "Begegnung: nicht erreicht"
    )
    assert "01;'=HYPERLINK(1);1100;80,0;220" in text
    data, _ = export_cb.table_export(ctx, state, "xlsx")
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet["B2"].value == "'=HYPERLINK(1)"
    assert sheet["C2"].value == 1100
    with pytest.raises(ValueError, match="table format 'ods' is unknown"):
        export_cb.table_export(ctx, state, "ods")


def test_profile_pdf_only_for_an_area_of_the_level(tiny_ctx, base):
    assert export_cb.profile_export(tiny_ctx, base) is None
    assert export_cb.profile_export(tiny_ctx, base.with_(area="99")) is None
    data, name = export_cb.profile_export(tiny_ctx, base.with_(area="01"))
    assert data.startswith(b"%PDF") and name == "quartiersatlas-profil-01-2022.pdf"
