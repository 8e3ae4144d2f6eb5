"""Every number says what it is: group, year used, distance, combine rule, residents not reached.

A small city built in code: the total population for 2018–2021 (district 02 jumps by 30 % in
2020 and falls back in 2021), the group 65+ for 2018 only.
"""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest
from dash import html

from dashboard import ids
from dashboard.callbacks import export as export_cb
from dashboard.callbacks import map as map_cb
from dashboard.callbacks.url_state import CONTROLS, EVENTS, default_state, next_state, sync_state
from dashboard.i18n import TEXT, fmt_percent
from dashboard.layout import year_options
from dashboard.leaflet_map import layer_tips
from dashboard.state import ViewState, from_query, to_query
from layers.dataset import Group
from layers.results import CoverageParams, Note

TOTAL = {"01": 1000.0, "02": 2000.0, "03": 500.0, "04": 30.0}
JUMP = {2018: 2000.0, 2019: 2000.0, 2020: 2600.0, 2021: 2100.0}


def _population() -> pd.DataFrame:
    rows = []
    for year in (2018, 2019, 2020, 2021):
        for district, total in TOTAL.items():
            value = JUMP[year] if district == "02" else total
            rows.append((district, year, "total", value, ""))
    for district, total in TOTAL.items():
        rows.append((district, 2018, "65_plus", total * 0.25, ""))
    return pd.DataFrame(rows, columns=["district_id", "year", "group", "value", "missing_reason"])


@pytest.fixture
def ctx(tiny_dataset, tmp_path):
    from dashboard.app import make_options
    from dashboard.context import AppContext

    dataset = dataclasses.replace(
        tiny_dataset,
        population=_population(),
        groups=(
            Group("total", "Einwohner insgesamt", "Total population"),
            Group("65_plus", "65 Jahre und älter", "65 years and older"),
        ),
    )
    return AppContext(dataset, make_options(user_data_dir=tmp_path / "user"))


@pytest.fixture
def state(ctx) -> ViewState:
    return default_state(ctx).with_(year=2021, distance=500.0, categories=("meeting",))


def text_of(component: object) -> str:
    if isinstance(component, str):
        return component
    if isinstance(component, list | tuple):
        return " ".join(text_of(c) for c in component)
    children = getattr(component, "children", None)
    return "" if children is None else text_of(children)


def header_of(table: html.Table) -> list[str]:
    return [th.children for th in table.children[1].children.children]


# -- year and group ---------------------------------------------------------------------------


def test_65_plus_in_2021_shows_2016_numbers_under_their_own_year_with_a_notice(ctx, state):
    out = map_cb.map_update(ctx, state.with_(group="65_plus"))
    assert out["result"].params.year == 2018
    assert out["title"] == (
        "Anteil der 65-Jährigen und Älteren (2018), die Begegnung in 500 m Luftlinie erreichen"
    )
    assert "2021" not in out["title"] and "Anteil der Einwohner" not in out["title"]
    assert out["notes"] == [
        "Für „65 Jahre und älter“ gibt es keine Zahlen für 2021. "
        "Gezeigt werden die Zahlen von 2018."
    ]
    assert header_of(out["table"])[1] == "65 Jahre und älter (2018)"
    assert "65 Jahre und älter, 2018 · 500 m Luftlinie" in layer_tips(out["layers"]["areas"])[0]
    english = map_cb.map_update(ctx, state.with_(group="65_plus", lang="en"))
    assert english["title"] == (
        "Share of residents aged 65 and over (2018) reaching Meeting places "
        "within 500 m straight-line"
    )
    assert english["notes"] == [
        "There are no figures for “65 years and older” in 2021. The figures of 2018 are shown."
    ]


def test_the_year_list_offers_only_the_group_years_and_shows_the_year_used(ctx, state):
    assert [o["value"] for o in year_options(ctx, "65_plus")] == [2018]
    assert [o["value"] for o in year_options(ctx, "total")] == [2018, 2019, 2020, 2021]
    events = [None] * len(EVENTS)
    picked = [(field == "group" and "65_plus") or None for _, field in CONTROLS]
    new, outputs = sync_state(
        ctx, ids.GROUP, "", tuple(picked), tuple(events), state.to_dict(), None
    )
    assert new.group == "65_plus" and new.year == 2021  # the asked year stays in the link
    year_value = outputs[2 + [f for _, f in CONTROLS].index("year")]
    assert year_value == 2018  # the list shows the year whose numbers are on screen


def test_the_export_file_name_and_page_carry_the_year_used(ctx, state, monkeypatch):
    from dashboard import export_map

    chosen = state.with_(group="65_plus")
    assert export_cb.export_filename(ctx, chosen, "map", "png") == "quartiersatlas-karte-2018.png"
    pages = []
    monkeypatch.setattr(export_map, "render_figure", lambda page, fmt: pages.append(page) or b"")
    export_map.render_view(ctx, chosen, fmt="png")
    head = pages[0].layout.title.text
    assert "65-Jährigen und Älteren (2018)" in head and "500 m Luftlinie" in head
    assert "nicht erreicht" in head  # the city's residents not reached
    assert "keine Zahlen für 2021" in head


# -- distance --------------------------------------------------------------------------------


def test_distance_names_metres_minutes_speed_and_how_it_is_measured():
    base = CoverageParams(("meeting",), 750.0, "total", "district", None, 2021)
    assert map_cb.distance_phrase(base, "de") == "750 m Luftlinie"
    walk = dataclasses.replace(base, minutes=10.0, speed_kmh=4.5, distance_mode="network")
    assert map_cb.distance_phrase(walk, "de") == (
        "10 Min. bei 4,5 km/h (750 m entlang des Fußwegenetzes)"
    )
    assert map_cb.distance_phrase(walk, "en") == (
        "10 min at 4.5 km/h (750 m along the walking network)"
    )


# -- combine rule ----------------------------------------------------------------------------


def test_all_and_each_are_named_and_the_table_follows_the_rule(ctx, state):
    both = state.with_(categories=("meeting", "counselling"), distance=2500.0)
    every = map_cb.map_update(ctx, both)
    assert "alle gewählten Angebote (Begegnung, Beratung)" in every["title"]
    assert header_of(every["table"])[2:] == [
        "alle gewählten Angebote (%)",
        "alle gewählten Angebote: nicht erreicht",
    ]
    each = map_cb.map_update(ctx, both.with_(require="each"))
    assert "je Angebot einzeln" in each["title"] and "Begegnung" in each["title"]
    assert header_of(each["table"])[2:] == [
        "Begegnung (%)",
        "Begegnung: nicht erreicht",
        "Beratung (%)",
        "Beratung: nicht erreicht",
    ]
    # with "each" the map (and its city average) shows the first ticked category
    meeting = each["result"].shown_share("share_meeting") * 100
    assert list(each["layers"]["areas"]["values"][:3]) == pytest.approx(list(meeting[:3]))
    near = map_cb.map_update(ctx, both.with_(require="each", distance=500.0))
    city = fmt_percent(near["result"].city["share_meeting"], "de")
    assert f"Stadtdurchschnitt: {city}" in text_of(near["legend"])
    assert city != fmt_percent(near["result"].city["share"], "de")  # nobody reaches both
    english = map_cb.map_update(ctx, both.with_(lang="en"))
    assert "all selected services (Meeting places, Counselling)" in english["title"]


def test_the_rule_is_in_the_link_and_a_control(ctx, state):
    assert "require=each" in to_query(state.with_(require="each"), defaults=state)
    assert "require" not in to_query(state, defaults=state)
    assert from_query("?require=each").require == "each"
    assert from_query("?require=any").require == "all"  # an invalid rule is ignored
    changed = next_state(ctx, state, ids.REQUIRE, {"require": "each"})
    assert changed.require == "each"
    assert next_state(ctx, changed, ids.REQUIRE, {"require": "x"}).require == "each"
    # a crafted stored state falls back to the default rule instead of failing
    assert next_state(ctx, state.with_(require="x"), None, {}).require == "all"


# -- residents not reached -------------------------------------------------------------------


def test_residents_not_reached_next_to_every_share(ctx, state):
    out = map_cb.map_update(ctx, state)
    result = out["result"]
    rows = out["table"].children[2].children
    first = [c.children for c in rows[0].children]
    expected = result.areas.loc[0, "residents"] - result.areas.loc[0, "covered"]
    assert first[3] == f"{expected:,.0f}".replace(",", ".")
    assert expected > 0
    hidden = [c.children for c in rows[3].children]  # 30 residents: no share, no count
    assert hidden[2:] == ["–", "–"]
    assert "nicht erreicht" in out["summary"]
    tip = layer_tips(out["layers"]["areas"])[0]
    share = fmt_percent(result.areas.loc[0, "share"], "de")
    assert f"Begegnung: {share} · {first[3]} von {first[1]} nicht erreicht" in tip


# -- jumps in the change view ----------------------------------------------------------------


def test_a_jump_in_the_series_is_flagged_not_smoothed(ctx, state):
    change = state.with_(layers=("change",), year_from=2018, year_to=2021)
    out = map_cb.map_update(ctx, change)
    table, explained = out["table"].children
    rows = {
        r.children[0].children: [c.children for c in r.children] for r in table.children[2].children
    }
    # the table cell names the steps; what a jump is is said once below the table
    assert rows["Süd-Ost"][-1] == "Sprung 2019→2020: +30,0 % (im Folgejahr wieder zurück)"
    assert "nicht geglättet" in explained.children
    assert rows["Süd-Ost"][2] == "2.100"  # the values as they are
    assert rows["Süd-West"][-1] == ""
    tip = layer_tips(out["layers"]["areas"])[1]
    assert "Sprung in der Reihe 2019→2020: +30,0 %" in tip and "nicht geglättet" in tip
    plain = map_cb.map_update(ctx, change.with_(year_from=2020, year_to=2021))
    assert len(plain["table"].children) == 1  # no jump between the years: no explanation
    frame = export_cb.table_frame(ctx, change.with_(lang="en"))
    by_id = frame.set_index("Area ID")
    assert by_id.loc["02", "Note"].startswith("Jump in the series 2019→2020: +30.0%")


# -- notes -----------------------------------------------------------------------------------


def test_every_note_is_translated_never_a_raw_id(ctx):
    for lang in ("de", "en"):
        text = map_cb.note_text(ctx, Note.of("something_new", a=1), lang)
        assert "something_new" not in text and text == TEXT["note_unknown"][lang == "en"]
        known = map_cb.note_text(
            ctx, Note.of("year_substituted", asked=2021, used=2018, group="65_plus"), lang
        )
        assert "year_substituted" not in known and "2018" in known
