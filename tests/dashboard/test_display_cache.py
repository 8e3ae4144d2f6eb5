"""The display geometry kept by data version: a second start reads what the first made."""

from __future__ import annotations

import json

import pytest
from dash._utils import to_json

from dashboard import display_cache
from dashboard.app import make_options
from dashboard.context import AppContext


def _display(ctx: AppContext) -> str:
    return to_json(
        {
            "geo": {level: display_cache.dump_areas(geo) for level, geo in ctx.geo.items()},
            "outline": display_cache.dump_boundaries(ctx.outline),
            "labels": ctx.labels,
            "hexes": display_cache.dump_hexes(ctx.hexes),
            "edge": ctx.hex_edge_m,
            "layers": ctx.boundary_layers,
        }
    )


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("QUARTIERSATLAS_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache" / "display"


def test_a_second_context_reads_the_same_geometry(tiny_dataset, tmp_path, cache):
    first = AppContext(tiny_dataset, make_options(user_data_dir=tmp_path / "u1"))
    files = list(cache.rglob("*.json"))
    assert len(files) == 1 and first.version in str(files[0])
    second = AppContext(tiny_dataset, make_options(user_data_dir=tmp_path / "u2"))
    assert second._hexes is not None  # read, not computed on use
    assert isinstance(second.geo["district"].bounds, tuple)
    assert _display(second) == _display(first)
    # the hexagons of the gap layer still match the hexagon index computed when needed
    assert second.hexes.ids == [str(i) for i in second.hex_index.cells["hex_id"]]


def test_other_options_and_unreadable_files_make_the_geometry_anew(tiny_dataset, tmp_path, cache):
    first = AppContext(tiny_dataset, make_options(user_data_dir=tmp_path / "u1"))
    other = AppContext(tiny_dataset, make_options(user_data_dir=tmp_path / "u2", hex_edge_m=400.0))
    assert len(list(cache.rglob("*.json"))) == 2
    assert other.hex_edge_m == 400.0 and other.hexes.ids != first.hexes.ids
    for path in cache.rglob("*.json"):
        path.write_text(json.dumps({"geo": {}}), encoding="utf-8")  # readable, but not whole
    again = AppContext(tiny_dataset, make_options(user_data_dir=tmp_path / "u3"))
    assert _display(again) == _display(first)
    kept = [json.loads(p.read_text(encoding="utf-8")) for p in cache.rglob("*.json")]
    assert any("district" in k["geo"] for k in kept)  # written anew
