"""The one formula-injection rule for spreadsheet cells (layers._text)."""

from __future__ import annotations

import pandas as pd
import pytest

from layers._text import is_formula_like, neutralise_cell, neutralise_frame


@pytest.mark.parametrize(
    "text",
    [
        "=1+2",
        "+49 721",
        "-Treff",
        "@SUM(A1)",
        "\tTab",
        "\rCR",
        "\nLF",
        "  =HYPERLINK(1)",
        " +1+1",
        "   @x",
        "\uff1d1+2",  # full-width equals sign
        "\uff0bx",
        "\uff0dx",
        "\uff20SUM(A1)",
        " \uff1dx",
        "-1+1",
        "-",
    ],
)
def test_formula_like_text_gets_a_quote(text):
    assert is_formula_like(text)
    assert neutralise_cell(text) == "'" + text


@pytest.mark.parametrize(
    "text", ["Bürgertreff", "-443", "+2,5%", "1.5e3", "-0.5", "a=b", "x @y", "", "   ", "'=x"]
)
def test_plain_text_and_numbers_as_text_stay(text):
    assert not is_formula_like(text)
    assert neutralise_cell(text) == text


@pytest.mark.parametrize("value", [-3.5, 0, -7, True, None])
def test_non_text_cells_stay(value):
    assert neutralise_cell(value) is value


def test_frame_neutralises_text_columns_and_headers_only():
    frame = pd.DataFrame(
        {"name": ["=evil()", "Süd", None], "share": [-1.5, 2.0, 3.0], "=col": ["-5", "@a", "ok"]}
    )
    out = neutralise_frame(frame)
    assert list(out.columns) == ["name", "share", "'=col"]
    assert out["name"].tolist()[:2] == ["'=evil()", "Süd"]
    assert out["name"].isna().tolist() == [False, False, True]
    assert out["share"].tolist() == [-1.5, 2.0, 3.0]
    assert out["'=col"].tolist() == ["-5", "'@a", "ok"]
    assert frame["name"].iloc[0] == "=evil()"  # the input is not changed
