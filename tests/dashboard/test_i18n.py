"""UI strings and locale number formats."""

from __future__ import annotations

import datetime as dt
import re
import string

import pytest

from dashboard.export import source_line as export_source_line
from dashboard.i18n import (
    TEXT,
    check_lang,
    csv_dialect,
    data_label,
    fmt_date,
    fmt_distance,
    fmt_number,
    fmt_percent,
    plotly_separators,
    source_line,
    t,
)


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_german_is_the_default():
    assert t("year") == "Jahr"
    assert t("year", "en") == "Year"


@pytest.mark.parametrize("key", sorted(TEXT))
def test_every_text_has_both_languages_with_the_same_placeholders(key):
    de, en = TEXT[key]
    assert de.strip() and en.strip()
    assert _fields(de) == _fields(en)
    assert re.findall(r"%\{[^}]+\}", de) == re.findall(r"%\{[^}]+\}", en)


def test_placeholders_are_filled():
    assert (
        t("legend_hidden", "de", n=50) == "Grau: weniger als 50 Einwohner – kein Anteil ausgewiesen"
    )


def test_unknown_key_raises():
    with pytest.raises(KeyError, match="nope"):
        t("nope")


@pytest.mark.parametrize(
    ("value", "lang", "decimals", "expected"),
    [
        (1234567.891, "de", 2, "1.234.567,89"),
        (1234567.891, "en", 2, "1,234,567.89"),
        (-1234.5, "de", 1, "-1.234,5"),
        (0, "de", 0, "0"),
        (999.5, "en", 0, "1,000"),
        (None, "de", 0, "–"),
        (float("nan"), "en", 0, "–"),
        (float("inf"), "de", 0, "–"),
        ("x", "de", 0, "–"),
    ],
)
def test_fmt_number(value, lang, decimals, expected):
    assert fmt_number(value, lang, decimals=decimals) == expected


def test_fmt_percent():
    assert fmt_percent(0.4531, "de") == "45,3 %"
    assert fmt_percent(0.4531, "en") == "45.3%"
    assert fmt_percent(-0.02, "de", sign=True) == "-2,0 %"
    assert fmt_percent(0.02, "de", sign=True) == "+2,0 %"
    assert fmt_percent(float("nan")) == "–"


def test_fmt_distance():
    assert fmt_distance(444) == "440 m"
    assert fmt_distance(1500, "de") == "1,5 km"
    assert fmt_distance(1500, "en") == "1.5 km"


def test_check_lang_falls_back_to_german():
    assert check_lang("en") == "en"
    assert check_lang("fr") == "de"
    assert check_lang(None) == "de"


# -- the one source line -------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["de", "en"])
def test_source_line_is_the_app_line_under_the_map(tiny_ctx, lang):
    """callbacks/map.py's own copy can become a call of i18n.source_line without a change."""
    from dashboard.callbacks import map as map_cb

    sources = tiny_ctx.dataset.metadata.sources
    assert source_line(sources, lang) == map_cb.source_line(tiny_ctx, lang)


def test_source_line_collects_distinct_credits_and_dates():
    sources = [
        {"attribution": "Stadt", "licence": "dl-de/by-2-0", "date": "2024-01"},
        {"attribution": "Stadt", "licence": "dl-de/by-2-0", "date": "2024-01"},
        {"attribution": "", "source": "https://osm.org", "licence": "ODbL", "date": "2023"},
        {"file": "eigene.csv"},
    ]
    assert source_line(sources, "de") == (
        "Quellen: Stadt (Lizenz: dl-de/by-2-0); https://osm.org (Lizenz: ODbL); eigene.csv. "
        "Stand: 2024-01, 2023."
    )
    assert source_line([], "en") == "Sources: not stated. Date: not stated."


def test_export_source_line_adds_the_date_and_extra():
    sources = [{"attribution": "Stadt", "date": "2024"}]
    created = dt.date(2026, 12, 6)
    assert export_source_line(sources, lang="de", created=created, extra="Methode") == (
        "Quellen: Stadt. Stand: 2024. · Erstellt: 06.12.2026 · Methode"
    )
    assert export_source_line(sources, lang="en", created=created).endswith("· Created: 2026-12-06")
    assert fmt_date(created, "en") == "2026-12-06"


def test_locale_formats_for_charts_and_csv():
    assert (plotly_separators("de"), plotly_separators("en")) == (",.", ".,")
    assert csv_dialect("de") == (";", ",") and csv_dialect("en") == (",", ".")
    assert csv_dialect("fr") == csv_dialect("de")  # unknown languages fall back to German
    assert data_label("x", "", "", "en") == "x"
    assert data_label("x", "Pflege", "Care", "en") == "Care"
