"""``--lang`` of ``profile`` and ``need``: German by default (the contract), English on request."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from dashboard.cli import main
from dashboard.i18n import TEXT


@pytest.fixture(scope="module")
def outputs():
    """profile and need of the bundled dataset, once in each language."""
    runner = CliRunner()
    out = {}
    for lang in ("de", "en"):
        args = ["--area", "01", "--no-coverage"]
        profile = runner.invoke(main, ["profile", *args, "--lang", lang])
        need = runner.invoke(
            main, ["need", "--format", "json", "--from", "2007", "--to", "2008", "--lang", lang]
        )
        assert profile.exit_code == 0, (profile.output, profile.exception)
        assert need.exit_code == 0, (need.output, need.exception)
        out[lang] = (profile, need)
    return out


def test_german_is_the_default_and_unchanged(outputs):
    profile, need = outputs["de"]
    default = CliRunner().invoke(main, ["profile", "--area", "01", "--no-coverage"])
    assert default.stdout == profile.stdout
    payload = json.loads(profile.stdout)
    assert payload["notes"] == [TEXT["note_planning_areas_proposal"][0]]
    components = json.loads(need.stdout)["components"]
    assert components[0]["label"] == TEXT["need_growth_under_6"][0]
    assert "Gruppe '65_plus' hat keine Werte für 2007 und 2008" in need.stderr


def test_english_labels_and_notes(outputs):
    profile, need = outputs["en"]
    payload = json.loads(profile.stdout)
    assert payload["notes"] == [
        "The planning areas are a computed proposal, not an official mapping."
    ]
    assert "The planning areas are a computed proposal" in profile.stderr
    components = json.loads(need.stdout)["components"]
    assert components[0]["label"] == "Change in children under 6 (%)"
    assert "group '65_plus' has no values for 2007 and 2008" in need.stderr
    text = profile.stdout + need.stdout + need.stderr
    for german in (
        TEXT["need_growth_under_6"][0],
        TEXT["note_planning_areas_proposal"][0],
        "hat keine Werte für",
        "Jahre mit Werten",
    ):
        assert german not in text, german
