"""UI strings and locale number formats."""

from __future__ import annotations

import re
import string

import pytest

from dashboard.i18n import TEXT, check_lang, fmt_distance, fmt_number, fmt_percent, t


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
