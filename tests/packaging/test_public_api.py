"""`layers` re-exports its documented API, lazily, and finds the bundled files."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import layers
from layers._resources import bundled_dir

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", [n for n in layers.__all__ if n != "__version__"])
def test_public_name_resolves_to_its_module_object(name: str) -> None:
    value = getattr(layers, name)
    assert getattr(value, "__name__", name) == name
    assert value.__module__.startswith("layers.")


def test_documented_entry_points_are_exported() -> None:
    for name in ("load_dataset", "validate_dataset", "coverage_table", "distance_table_for"):
        assert name in layers.__all__
    with pytest.raises(AttributeError, match="no attribute 'no_such_function'"):
        _ = layers.no_such_function


def test_import_layers_does_not_load_the_analysis_stack() -> None:
    code = "import sys, layers; print('geopandas' in sys.modules, 'pandas' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == ["False", "False"]


def test_bundled_folders_of_a_checkout_are_its_own() -> None:
    assert bundled_dir("data") == ROOT / "data"
    assert bundled_dir("assets") == ROOT / "assets"
    assert (bundled_dir("assets") / "map.js").is_file()
    assert layers.default_dataset_path() == ROOT / "data" / "karlsruhe" or (
        "QUARTIERSATLAS_DATA" in __import__("os").environ
    )
