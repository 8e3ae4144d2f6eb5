"""Spreadsheet-safe text: the one rule that neutralises formula-like table cells (CSV injection).

Every table the project writes for a spreadsheet (the CLI's CSV, the app's CSV and XLSX
downloads) goes through :func:`neutralise_cell` / :func:`neutralise_frame`, so there is one
rule for what a spreadsheet could run as a formula (OWASP "CSV injection").
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\uff1d", "\uff0b", "\uff0d", "\uff20")
"""First characters that make a spreadsheet read a cell as a formula; Excel and LibreOffice also
read the full-width forms (``＝ ＋ － ＠``) as formula signs."""

CONTROL_STARTS = ("\t", "\r", "\n")
"""A cell starting with one of these can start a formula once the spreadsheet trims it."""

_PLAIN_NUMBER = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?%?$")
"""Numbers written as text (``-443``, ``+2,5%``): harmless, and a quote would spoil them."""


def is_formula_like(text: str) -> bool:
    """Return whether a spreadsheet could run ``text`` as a formula.

    Text starting with ``= + - @`` (or their full-width forms), also after leading spaces, or
    with a tab, carriage return or line feed is formula-like; a plain number is not.

    Examples
    --------
    >>> is_formula_like("=1+2"), is_formula_like("  @SUM(A1)"), is_formula_like("-443")
    (True, True, False)
    """
    if text.startswith(CONTROL_STARTS):
        return True
    if _PLAIN_NUMBER.match(text):
        return False
    return text.lstrip(" ").startswith(FORMULA_STARTS)


def neutralise_cell(value: Any) -> Any:
    """Make one table cell safe to open in a spreadsheet.

    Formula-like text (see :func:`is_formula_like`) gets a leading ``'`` so spreadsheets show
    it as text. Numbers, numbers written as text, booleans and missing values stay unchanged.

    Examples
    --------
    >>> neutralise_cell("=1+2")
    "'=1+2"
    >>> neutralise_cell(-3.5)
    -3.5
    """
    if isinstance(value, str) and is_formula_like(value):
        return "'" + value
    return value


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Return a copy of ``frame`` with every text cell and column name neutralised.

    Numeric and boolean columns are left untouched; text and mixed (object) columns go through
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
