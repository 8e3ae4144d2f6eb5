"""The app offers a dataset's [[groupings]] as levels, labelled with their own labels."""

from __future__ import annotations

from pathlib import Path

import pytest

from dashboard import export_map
from dashboard.app import create_app, get_context
from dashboard.layout import level_options
from dashboard.state import ViewState
from layers.dataset import load_dataset

GROUPING = """
[[groupings]]
id = "ortschaft"
label_de = "Ortschaften"
label_en = "Ortschaften (villages with local councils)"
path = "ortschaften.csv"
"""

EMPTY = """
[[groupings]]
id = "ortschaft"
label_de = "Ortschaften"
empty = true
note_de = "Keine öffentliche Quelle."
"""


def _context(grid_dataset: Path, tables: str):
    manifest = grid_dataset / "dataset.toml"
    manifest.write_text(manifest.read_text(encoding="utf-8") + tables, encoding="utf-8")
    (grid_dataset / "ortschaften.csv").write_text(
        "district,area_id,area_name\n0102,O1,Nordostdorf\n0202,O2,Südostdorf\n", encoding="utf-8"
    )
    app = create_app(load_dataset(grid_dataset), user_data_dir=grid_dataset / "ud")
    return get_context(app)


def test_the_level_control_offers_the_grouping(grid_dataset: Path) -> None:
    ctx = _context(grid_dataset, GROUPING)
    assert ctx.levels == ("district", "ortschaft")
    assert level_options(ctx, "de")[-1] == {"label": "Ortschaften", "value": "ortschaft"}
    assert level_options(ctx, "en")[-1]["label"].startswith("Ortschaften (villages")
    assert list(ctx.geo["ortschaft"].ids) == ["O1", "O2"]


def test_the_map_and_its_export_at_a_grouping_level(grid_dataset: Path, monkeypatch) -> None:
    ctx = _context(grid_dataset, GROUPING)
    state = ViewState(categories=("counselling",), level="ortschaft", layers=("facilities",))
    fig, _title = export_map.view_figure(ctx, state)
    shown = [trace for trace in fig.data if trace.type == "choroplethmap" and trace.visible]
    assert [len(trace.z) for trace in shown] == [2]  # one value per Ortschaft
    pages = []
    monkeypatch.setattr(export_map, "render_figure", lambda page, fmt: pages.append(page) or b"")
    export_map.render_view(ctx, state)
    assert "<b>Testgrid · Ortschaften</b>" in pages[0].layout.title.text


def test_the_districts_level_has_the_datasets_own_name(grid_dataset: Path, monkeypatch) -> None:
    """Berlin's LOR areas are no "Stadtteile": the control and the export say what they are."""
    manifest = grid_dataset / "dataset.toml"
    text = manifest.read_text(encoding="utf-8")
    manifest.write_text(
        text.replace(
            "[districts]\n",
            '[districts]\nlabel_de = "Planungsräume"\nlabel_en = "LOR planning areas"\n',
            1,
        ),
        encoding="utf-8",
    )
    ctx = _context(grid_dataset, "")
    assert level_options(ctx, "de")[0] == {"label": "Planungsräume", "value": "district"}
    assert level_options(ctx, "en")[0]["label"] == "LOR planning areas"
    pages = []
    monkeypatch.setattr(export_map, "render_figure", lambda page, fmt: pages.append(page) or b"")
    export_map.render_view(ctx, ViewState(categories=("counselling",)))
    assert "<b>Testgrid · Planungsräume</b>" in pages[0].layout.title.text


@pytest.mark.parametrize("lang", ["de", "en"])
def test_an_empty_grouping_does_not_break_the_app(grid_dataset: Path, lang: str) -> None:
    ctx = _context(grid_dataset, EMPTY)
    assert ctx.levels == ("district", "ortschaft")
    assert [o["value"] for o in level_options(ctx, lang)] == ["district", "ortschaft"]


def test_an_empty_grouping_level_says_why_on_the_map() -> None:
    from dashboard.app import create_app, get_context
    from dashboard.callbacks.map import map_update
    from dashboard.callbacks.url_state import default_state

    ctx = get_context(create_app())  # Karlsruhe: the Ortschaften grouping is empty on purpose
    state = default_state(ctx).with_(level="ortschaft")
    view = map_update(ctx, state)
    assert len(view["layers"]["areas"]["values"]) == 0
    assert any("keine Gebiete" in n and "Ortsvorsteher" in n for n in view["notes"])
    english = map_update(ctx, state.with_(lang="en"))["notes"]
    assert any("has no areas" in n for n in english)
