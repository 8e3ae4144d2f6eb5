"""The what-if panel: wording of gains and losses, the planned category follows the map,
only shown categories react to clicks, suggestions name Stadtteil and address."""

from __future__ import annotations

import pytest
from pyproj import Transformer

from dashboard import ids
from dashboard.callbacks import map as map_cb
from dashboard.callbacks import scenario
from dashboard.callbacks.url_state import default_state, next_state
from dashboard.i18n import fmt_number, fmt_percent
from dashboard.state import ViewState

X0, Y0 = 456_000, 5_428_000  # south-west corner of the tiny dataset (see conftest)


def text_of(component) -> str:
    """All text in a Dash component tree, runs of spaces collapsed (as a browser shows it)."""
    return " ".join(_texts(component).split())


def _texts(component) -> str:
    if component is None:
        return ""
    if isinstance(component, (str, int, float)):
        return str(component)
    if isinstance(component, (list, tuple)):
        return " ".join(_texts(c) for c in component)
    return _texts(getattr(component, "children", None))


def latlon(x: float, y: float) -> tuple[float, float]:
    lon, lat = Transformer.from_crs(25832, 4326, always_xy=True).transform(x, y)
    return round(lat, 5), round(lon, 5)


@pytest.fixture
def whatif(tiny_ctx) -> ViewState:
    """The what-if view of the tiny dataset (meeting on the map), 2022, 500 m."""
    return default_state(tiny_ctx).with_(view="scenario", year=2022, distance=500.0)


def planned_in_sued_ost(category: str = "meeting") -> tuple[tuple[str, float, float], ...]:
    return ((category, *latlon(X0 + 1500, Y0 + 500)),)


@pytest.mark.parametrize(
    ("lang", "phrase"),
    [("de", "Einwohner zusätzlich versorgt"), ("en", "more residents covered")],
)
def test_gain_reads_as_residents_newly_covered(tiny_ctx, whatif, lang, phrase):
    state = whatif.with_(added=planned_in_sued_ost(), lang=lang)
    result = scenario.scenario_result(tiny_ctx, state)
    assert result.gain_residents > 1000  # big enough for a thousands mark
    summary, table = scenario.scenario_children(tiny_ctx, state)
    text = text_of(summary)
    assert f"+{fmt_number(result.gain_residents, lang)} {phrase}" in text
    assert ("." if lang == "de" else ",") in fmt_number(result.gain_residents, lang)
    before, after = (
        fmt_percent(result.before.city_share, lang),
        fmt_percent(result.after.city_share, lang),
    )
    assert f"({before} → {after})" in text
    # the table shows the numbers of result.rows, signed, largest change first
    row = result.rows.set_index("area_id").loc["02"]
    cells = [text_of(td) for td in table.children[1].children[0].children]
    assert cells[0] == "Süd-Ost"
    pp = "Prozentpunkte" if lang == "de" else "percentage points"
    assert f"+{fmt_number(row['gain_pp'], lang, decimals=1)} {pp}" in cells[1]
    shares = [fmt_percent(row[c], lang) for c in ("share_before", "share_after")]
    assert cells[1].startswith(" → ".join(shares))  # text_of shows no-break spaces as spaces
    assert cells[2] == "+" + fmt_number(row["gain_residents"], lang)


@pytest.mark.parametrize(
    ("lang", "phrase", "wrong"),
    [
        ("de", "Einwohner verlieren die Versorgung", "mehr versorgt"),
        ("en", "residents lose coverage", "more residents"),
    ],
)
def test_loss_reads_as_residents_losing_coverage(tiny_ctx, whatif, lang, phrase, wrong):
    state = whatif.with_(removed=("f1",), lang=lang)
    result = scenario.scenario_result(tiny_ctx, state)
    assert result.gain_residents < -500
    summary, table = scenario.scenario_children(tiny_ctx, state)
    text = text_of(summary)
    assert f"{fmt_number(-result.gain_residents, lang)} {phrase}" in text
    assert wrong not in text and f"-{fmt_number(-result.gain_residents, lang)}" not in text
    assert "loss" in table.children[1].children[0].children[2].className


def test_incomplete_data_warning_on_the_scenario_panel(tiny_ctx, whatif):
    empty, _ = scenario.scenario_children(tiny_ctx, whatif)
    changed, _ = scenario.scenario_children(tiny_ctx, whatif.with_(removed=("f1",)))
    for summary in (empty, changed):
        assert "unvollständige Startliste" in text_of(summary)
    english, _ = scenario.scenario_children(tiny_ctx, whatif.with_(lang="en"))
    assert "incomplete seed list" in text_of(english)


def test_planned_category_follows_the_map(tiny_ctx, whatif):
    # choosing the planned service shows it on the map
    state = next_state(tiny_ctx, whatif, ids.SCENARIO_CATEGORY, {"scenario_category": "care"})
    assert state.scenario_category == "care" and state.categories == ("care",)
    click = {"latlng": dict(zip(("lat", "lng"), latlon(X0 + 1500, Y0 + 500), strict=True))}
    state = next_state(tiny_ctx, state, ids.MAP, {ids.MAP: click})
    assert state.added[0][0] == "care"
    result = scenario.scenario_result(tiny_ctx, state)
    assert result.gain_residents > 0
    text = text_of(scenario.scenario_children(tiny_ctx, state)[0])
    assert "Versorgung und Pflege: +" in text and "zusätzlich versorgt" in text
    # the map's categories change: the planned category follows them
    state = next_state(tiny_ctx, state, ids.CATEGORIES, {"categories": ["meeting", "counselling"]})
    assert state.scenario_category == "meeting"
    # a chosen service already on the map keeps the map as it is
    both = next_state(tiny_ctx, state, ids.SCENARIO_CATEGORY, {"scenario_category": "counselling"})
    assert both.categories == ("meeting", "counselling")
    assert both.scenario_category == "counselling"


def test_planned_facility_of_a_hidden_category_is_named_not_silently_zero(tiny_ctx, whatif):
    """A link can carry planned sites of a service the map does not show."""
    state = whatif.with_(added=planned_in_sued_ost("care"))
    text = text_of(scenario.scenario_children(tiny_ctx, state)[0])
    assert "keine Änderung der Versorgung" in text
    assert "zählen hier nicht mit" in text and "Versorgung und Pflege" in text


def test_several_categories_each_and_together(tiny_ctx, whatif):
    state = whatif.with_(categories=("meeting", "care"), added=planned_in_sued_ost())
    result = scenario.scenario_result(tiny_ctx, state)
    text = text_of(scenario.scenario_children(tiny_ctx, state)[0])
    gains = result.category_gains.set_index("category")["gain_residents"]
    assert f"Begegnung: +{fmt_number(gains['meeting'], 'de')}" in text
    assert "Versorgung und Pflege: keine Änderung" in text
    assert "Alle gewählten Angebote zusammen:" in text


def test_only_the_maps_categories_are_drawn_and_clickable(tiny_ctx, whatif):
    layer = map_cb.facility_layer(tiny_ctx, whatif, ["meeting"])
    assert layer["show"] == ["meeting"]
    care = {"type": "Feature", "properties": {"id": "f3", "category": "care"}}
    assert next_state(tiny_ctx, whatif, ids.MAP_FACILITIES, {ids.MAP_FACILITIES: care}) == whatif
    meeting = {"type": "Feature", "properties": {"id": "f1", "category": "meeting"}}
    off = next_state(tiny_ctx, whatif, ids.MAP_FACILITIES, {ids.MAP_FACILITIES: meeting})
    assert off.removed == ("f1",)
    # facilities switched off as a layer: no click switches anything off
    hidden = whatif.with_(layers=("gaps",))
    assert map_cb.facility_layer(tiny_ctx, hidden, ["meeting"])["show"] == []
    assert next_state(tiny_ctx, hidden, ids.MAP_FACILITIES, {ids.MAP_FACILITIES: meeting}) == hidden


@pytest.mark.parametrize("lang", ["de", "en"])
def test_suggestions_name_stadtteil_and_nearest_address(tiny_ctx, whatif, lang):
    state = whatif.with_(lang=lang)
    result = scenario.suggest(tiny_ctx, state, 2)
    assert len(result["places"]) == len(result["sites"]) == 2
    names = set(tiny_ctx.dataset.districts["name"])
    assert all(place["district_name"] in names for place in result["places"])
    text = text_of(scenario.suggest_children(tiny_ctx, result, lang))
    for place in result["places"]:
        assert place["district_name"] in text
        if place["address"]:
            assert place["address"] in text
    word = "nächste Adresse" if lang == "de" else "nearest address"
    no_address = "keine Adresse in der Nähe" if lang == "de" else "no address nearby"
    assert word in text or no_address in text
    # the method's note is translated, never the English developer sentence
    assert result["notes"][0]["id"] == "siting_greedy"
    assert "greedy" not in text and "1 - (1 - 1/k)" not in text
    assert ("Schrittweise berechnet" if lang == "de" else "Computed step by step") in text
    assert ("unvollständige Startliste" if lang == "de" else "incomplete seed list") in text


def test_suggested_site_next_to_an_address_names_it(tiny_ctx):
    place = {"district_name": "Süd-West", "address": "Markt 1, 76131 Karlsruhe", "address_m": 22.4}
    assert scenario.site_text(place, "de") == (
        "Süd-West · nächste Adresse: Markt 1, 76131 Karlsruhe (22\u00a0m)"
    )
    assert scenario.site_text({"district_name": None, "address": None}, "en") == (
        "outside the districts · no address nearby (the dataset's address data)"
    )
