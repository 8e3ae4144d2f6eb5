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


OPTIONAL_IMPORTS = {"psycopg": "postgis", "celery": None}
"""Imported by product code only behind a clear message: the PostGIS driver (the ``postgis``
extra) and Celery (documented as a separate install for several hosts)."""


def _product_imports() -> set[str]:
    import ast

    names = set()
    for folder in ("layers", "dashboard"):
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    names.update(a.name.split(".")[0] for a in node.names)
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    names.add(node.module.split(".")[0])
    return names - set(sys.stdlib_module_names) - {"layers", "dashboard", "__future__"}


def test_runtime_dependencies_cover_what_product_code_imports() -> None:
    import importlib.metadata
    import re
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]

    def dist_name(requirement: str) -> str:
        return re.split(r"[\[<>=!~; ]", requirement, maxsplit=1)[0].lower().replace("_", "-")

    declared = {dist_name(r) for r in project["dependencies"]}
    # what the declared distributions pull in themselves (flask comes with dash)
    pulled = set()
    for name in declared:
        for requirement in importlib.metadata.requires(name) or []:
            if "extra ==" not in requirement or 'extra == "compress"' in requirement:
                pulled.add(dist_name(requirement))
    providers = importlib.metadata.packages_distributions()
    missing = []
    for module in sorted(_product_imports() - set(OPTIONAL_IMPORTS)):
        dists = {d.lower().replace("_", "-") for d in providers.get(module, [module])}
        if not dists & (declared | pulled):
            missing.append(f"{module} ({', '.join(sorted(dists))})")
    assert not missing, f"imported by layers/ or dashboard/ but not a runtime dependency: {missing}"
    extras = project["optional-dependencies"]
    assert any(dist_name(r) == "psycopg" for r in extras["postgis"])
    for test_only in ("spopt", "access", "libpysal", "h3", "sqlalchemy", "geoalchemy2", "gunicorn"):
        assert test_only not in declared, f"{test_only} is not imported by product code"
