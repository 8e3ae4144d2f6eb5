"""Profile and need results rendered in German and English (dashboard.profile_text)."""

from __future__ import annotations

import json

import pytest

from dashboard.callbacks import profile as profile_cb
from dashboard.callbacks.url_state import default_state
from dashboard.export_profile import sheet_from_profile
from dashboard.i18n import TEXT, t
from dashboard.profile_text import (
    localise_profile,
    need_component_label,
    need_components,
    note_text,
    proposal_name,
)
from layers import need as need_module
from layers import profile as profile_module
from layers.areas import area_mapping
from layers.demography import with_composite_groups
from layers.profile import area_profile, data_labels

CORE_TEXT_KEYS = sorted(
    key
    for key in TEXT
    if key.startswith(("note_", "need_", "group_", "measure_"))
    or key in ("projection_label", "proposal_name", "planning_area_official", "proposal")
)
"""Catalogue entries that word results of layers/ (notes, components, derived groups)."""


def _german_core_fragments() -> list[str]:
    """The fixed German words of every core text (placeholders cut out)."""
    fragments = []
    for key in CORE_TEXT_KEYS:
        german = TEXT[key][0]
        for part in german.replace("{", "\0{").replace("}", "}\0").split("\0"):
            part = part.strip(" ().:,'%")
            if len(part) >= 6 and not part.startswith("{"):
                fragments.append(part)
    return fragments


def _text(component) -> str:
    if component is None:
        return ""
    if isinstance(component, str | int | float):
        return str(component)
    if isinstance(component, list | tuple):
        return " ".join(_text(c) for c in component)
    return _text(getattr(component, "children", None))


@pytest.fixture
def profiles(tiny_dataset):
    """A projected planning-area profile (proposal, notes, missing need groups) and a district's."""
    planning = area_profile(tiny_dataset, "S", level="planning_area", year=2030)
    district = area_profile(tiny_dataset, "01", year=2022)
    return planning, district


def test_every_note_and_component_id_has_both_languages():
    for note_id in (*profile_module.NOTE_IDS, *need_module.NOTE_IDS):
        assert f"note_{note_id}" in TEXT
    for component, _group in (*need_module.DEMOGRAPHIC_COMPONENTS, need_module.FALLBACK_COMPONENT):
        assert f"need_{component}" in TEXT
    assert _german_core_fragments()  # the check below has something to look for


def test_the_core_result_holds_ids_not_sentences(profiles):
    planning, _district = profiles
    assert planning["area"]["name"] == "Süd"
    assert planning["area"]["planning_area"]["proposal"] is True
    assert "label" not in planning["area"]["planning_area"]
    ids = [n["id"] for n in planning["notes"]]
    assert ids == ["population_projected", "planning_areas_proposal"]
    assert all("label" not in row for row in planning["population"]["age_structure"])
    assert all("label" not in c for c in planning["need_index"]["components"])
    missing = {c["component"]: c["note"] for c in planning["need_index"]["components"]}
    assert missing["growth_under_6"] == {
        "id": "group_missing",
        "params": {"group": "under_6"},
    }


def test_english_profile_has_no_german_core_text(profiles):
    for profile in profiles:
        english = json.dumps(localise_profile(profile, "en"), ensure_ascii=False)
        for fragment in _german_core_fragments():
            assert fragment not in english, fragment
    english = localise_profile(profiles[0], "en")
    assert english["area"]["name"] == "Süd (proposal)"
    assert english["area"]["planning_area"]["label"] == "proposal"
    projected, proposal = english["notes"]
    # the detail (method, years, fit) is a language-neutral id and numbers from the core
    assert projected.startswith("Population 2030: trend projection, not an official forecast (")
    assert "linear" in projected
    assert proposal == "The planning areas are a computed proposal, not an official mapping."
    labels = {c["component"]: c["label"] for c in english["need_index"]["components"]}
    assert labels["growth_65_plus"] == "Change in people aged 65 and over (%)"
    assert labels["uncovered_meeting"] == "Share of residents not covered, Meeting places (%)"
    notes = {c["component"]: c["note"] for c in english["need_index"]["components"]}
    assert notes["growth_under_6"] == "group 'under_6' not in the data"


def test_german_profile_keeps_the_cli_wording(profiles):
    german = localise_profile(profiles[0], "de")
    assert german["area"]["name"] == "Süd (Vorschlag)"
    assert german["area"]["planning_area"]["label"] == "Vorschlag"
    assert german["notes"][1] == (
        "Die Planungsgebiete sind ein berechneter Vorschlag, keine amtliche Zuordnung."
    )
    assert german["notes"][0].startswith("Bevölkerung 2030: Trendfortschreibung")
    assert "labels" not in german
    components = german["need_index"]["components"]
    assert list(components[0]) == [
        "component",
        "label",
        "kind",
        "available",
        "weight",
        "value",
        "normalised",
        "note",
    ]
    structure = german["population"]["age_structure"]
    assert list(structure[0])[:2] == ["group", "label"]


def test_english_profile_panel_and_pdf_sheet_have_no_german_core_text(tiny_ctx, profiles):
    state = default_state(tiny_ctx).with_(year=2030, distance=500.0, lang="en")
    state = state.with_(area="S", level="planning_area")
    panel = _text(profile_cb.profile_children(tiny_ctx, state))
    sheet = sheet_from_profile(profiles[0], lang="en")
    sheet_text = " ".join(
        [sheet.title, *sheet.notes]
        + [str(cell) for table in sheet.tables for row in table.rows for cell in row]
        + [table.note for table in sheet.tables]
    )
    for text in (panel, sheet_text):
        for fragment in _german_core_fragments():
            assert fragment not in text, fragment
    assert "Population 2030: trend projection" in panel
    assert "Change in people aged 65 and over (%)" in panel
    assert "Component" in panel and "Komponente" not in panel
    assert "Change in people aged 65 and over (%)" in sheet_text


def test_need_components_render_from_ids(tiny_dataset):
    population = with_composite_groups(tiny_dataset.population)
    index = need_module.need_index(
        population,
        area_mapping(tiny_dataset, "district"),
        year_from=2020,
        year_to=2022,
        city_name="Teststadt",
    )
    records = index.components.to_dict("records")
    labels = data_labels(tiny_dataset)
    german = need_components(records, labels, "de")
    english = need_components(records, labels, "en")
    assert [c["component"] for c in german] == [c["component"] for c in english]
    by_id = {c["component"]: c for c in english}
    assert by_id["growth_under_18"]["note"] == "group 'under_18' not in the data"
    assert {c["component"]: c for c in german}["growth_under_18"]["note"] == (
        "Gruppe 'under_18' nicht in den Daten"
    )
    assert "subject" not in by_id["growth_65_plus"]


@pytest.mark.parametrize(
    ("note", "lang", "text"),
    [
        (
            {"id": "no_comparison_year", "params": {"year": 2016}},
            "de",
            "kein Vergleichsjahr vor 2016",
        ),
        (
            {
                "id": "group_no_values",
                "params": {"group": "65_plus", "year_from": 2007, "year_to": 2008, "years": []},
            },
            "en",
            "group '65_plus' has no values for 2007 and 2008 (years with values: none)",
        ),
        (
            {
                "id": "group_no_values",
                "params": {"group": "g", "year_from": 1, "year_to": 2, "years": [2016, 2017]},
            },
            "de",
            "Gruppe 'g' hat keine Werte für 1 und 2 (Jahre mit Werten: 2016, 2017)",
        ),
        (
            {"id": "areas_without_value", "params": {"group": "g", "n": 2}},
            "en",
            "2 area(s) without a value",
        ),
        (
            {"id": "population_projected", "params": {"year": 2030, "detail": " (linear)"}},
            "en",
            "Population 2030: trend projection, not an official forecast (linear)",
        ),
        (None, "en", None),
    ],
)
def test_note_text(note, lang, text):
    assert note_text(note, lang) == text


def test_component_label_of_an_unknown_group_and_category():
    labels = {"groups": {"kids": {"de": "Kinder", "en": "Children"}}, "categories": {}}
    growth = {"component": "growth_kids", "kind": "demography", "subject": "kids"}
    assert need_component_label(growth, labels, "en") == "Change in Children (%)"
    uncovered = {"component": "uncovered_x", "kind": "coverage", "subject": "x"}
    assert need_component_label(uncovered, labels, "de") == (
        "Anteil nicht versorgter Einwohner, x (%)"
    )


def test_programme_measures_are_ids_rendered_per_language():
    profile = {
        "area": {"id": "1", "name": "A", "level": "district", "districts": []},
        "notes": [],
        "population": {},
        "facilities": {},
        "coverage": {},
        "programme": [{"area_id": "1", "measure": "buergerzentrum", "since": "2019"}],
    }
    german = localise_profile(profile, "de")["programme"][0]
    assert list(german) == ["area_id", "measure", "measure_label", "since"]
    assert german["measure_label"] == "Bürgerzentrum / Stadtteilhaus"
    english = localise_profile(profile, "en")["programme"][0]
    assert english["measure_label"] == "Community centre / neighbourhood house"


def test_proposal_name_marks_once():
    assert proposal_name("Nord", proposal=True, lang="de") == "Nord (Vorschlag)"
    assert proposal_name("Nord", proposal=False, lang="en") == "Nord"
    assert proposal_name("Planungsgebiet 1 (Vorschlag)", proposal=True, lang="en") == (
        "Planungsgebiet 1 (Vorschlag)"
    )
    assert t("proposal", "en") == "proposal"
