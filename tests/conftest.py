"""Shared fixtures: a 2×2 grid of square districts, a dataset writer and a small population table.

Values are chosen so that every expected number can be checked by hand. Modules that need more
specific data build it themselves (or add their own fixtures next to their tests).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import box

# Shared test helpers (tests/helpers/*.py); with importlib import mode they are not importable
# as part of a package, and putting tests/ itself on sys.path would shadow the `layers` package.
sys.path.insert(0, str(Path(__file__).resolve().parent / "helpers"))

import system_deps  # tests/helpers/system_deps.py, on sys.path above

pytest_runtest_makereport = system_deps.pytest_runtest_makereport

ORIGIN_X, ORIGIN_Y = 455_000.0, 5_425_000.0
"""South-west corner of the test grid in EPSG:25832 (Karlsruhe area)."""

CELL_M = 1_000.0
"""Side of one square district."""

GRID_IDS = ("0101", "0102", "0201", "0202")
GRID_NAMES = ("Nordwest", "Nordost", "Südwest", "Südost")

POPULATION_CSV = """district,year,group,value
0101,2020,total,100
0102,2020,total,200
0201,2020,total,300
0202,2020,total,400
0101,2021,total,150
0102,2021,total,250
0201,2021,total,300
0202,2021,total,400
0101,2021,65_plus,10
0102,2021,65_plus,20
0201,2021,65_plus,30
0202,2021,65_plus,40
"""
"""Long-form population: 1,000 people in 2020, 1,100 in 2021, 100 aged 65+ in 2021."""

MINIMAL_MANIFEST = """
[metadata]
name = "Testgrid"
city = "Teststadt"
metric_crs = "EPSG:25832"

[districts]
path = "districts.geojson"
columns = { id = "id", name = "name" }

[[facilities]]
path = "facilities.csv"
crs = "EPSG:25832"

[[population]]
path = "population.csv"
"""
"""A valid manifest for :func:`grid_dataset`; tests derive variants from it."""

FACILITIES_CSV = f"""name,category,x,y
Treff Nordwest,meeting,{ORIGIN_X + 500},{ORIGIN_Y + 1500}
Beratung Nordost,counselling,{ORIGIN_X + 1500},{ORIGIN_Y + 1500}
Pflegeheim Südost,care,{ORIGIN_X + 1500},{ORIGIN_Y + 500}
"""
"""One facility in the middle of each of three districts (x/y in EPSG:25832)."""


def square(col: int, row: int) -> object:
    """The square district at grid column ``col`` and row ``row`` (0 = west / south)."""
    x0, y0 = ORIGIN_X + col * CELL_M, ORIGIN_Y + row * CELL_M
    return box(x0, y0, x0 + CELL_M, y0 + CELL_M)


@pytest.fixture
def grid_districts() -> gpd.GeoDataFrame:
    """Four 1 km squares in EPSG:25832: ids 0101 (NW), 0102 (NE), 0201 (SW), 0202 (SE)."""
    return gpd.GeoDataFrame(
        {"id": list(GRID_IDS), "name": list(GRID_NAMES)},
        geometry=[square(0, 1), square(1, 1), square(0, 0), square(1, 0)],
        crs="EPSG:25832",
    )


@pytest.fixture
def grid_districts_file(tmp_path: Path, grid_districts: gpd.GeoDataFrame) -> Path:
    """The 2×2 grid written as ``tmp_path/districts.geojson``."""
    path = tmp_path / "districts.geojson"
    grid_districts.to_file(path, driver="GeoJSON")
    return path


DatasetWriter = Callable[[Path, str, Mapping[str, "bytes | str | gpd.GeoDataFrame"]], Path]


def _write_dataset(
    root: Path, manifest_text: str, files: Mapping[str, bytes | str | gpd.GeoDataFrame]
) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "dataset.toml").write_text(manifest_text, encoding="utf-8")
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, gpd.GeoDataFrame):
            content.to_file(path)
        elif isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


@pytest.fixture
def write_dataset() -> DatasetWriter:
    """``write_dataset(root, manifest_text, files)``: write a manifest and files (bytes, text or GeoDataFrame)."""
    return _write_dataset


@pytest.fixture
def minimal_manifest() -> str:
    """The grid dataset's manifest (districts, facilities, population); tests append tables."""
    return MINIMAL_MANIFEST


@pytest.fixture
def population_csv() -> str:
    """Long-form population of the grid: totals 2020 (1,000) and 2021 (1,100), 65+ in 2021 (100)."""
    return POPULATION_CSV


@pytest.fixture
def grid_dataset(
    tmp_path: Path, grid_districts: gpd.GeoDataFrame, write_dataset: DatasetWriter
) -> Path:
    """A valid dataset folder: the grid, three facilities, the population table, no residents."""
    return write_dataset(
        tmp_path / "grid",
        MINIMAL_MANIFEST,
        {
            "districts.geojson": grid_districts,
            "facilities.csv": FACILITIES_CSV,
            "population.csv": POPULATION_CSV,
        },
    )


REPO_ROOT = Path(__file__).resolve().parent.parent
BERLIN_SOURCE = REPO_ROOT.parent / "shared" / "data" / "berlin"
"""The raw Berlin files (../shared/data/berlin next to the repository); see its PROVENANCE.md."""


def _copy_berlin(target: Path, manifest: Path) -> Path:
    from berlin_data import berlin_source_available, write_berlin_dataset

    if not berlin_source_available(BERLIN_SOURCE):
        pytest.skip(f"the Berlin source files are not available at {BERLIN_SOURCE}")
    return write_berlin_dataset(target, manifest=manifest, source=BERLIN_SOURCE)


@pytest.fixture(scope="session")
def berlin_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Berlin files copied unchanged next to tests/data/berlin/dataset.toml (read only)."""
    return _copy_berlin(
        tmp_path_factory.mktemp("berlin"), REPO_ROOT / "tests" / "data" / "berlin" / "dataset.toml"
    )


@pytest.fixture(scope="session")
def berlin_variant_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Berlin files next to tests/data/berlin_variant/dataset.toml (the ;/BOM file of 30.06.2022)."""
    return _copy_berlin(
        tmp_path_factory.mktemp("berlin_variant"),
        REPO_ROOT / "tests" / "data" / "berlin_variant" / "dataset.toml",
    )


@pytest.fixture(scope="session", autouse=True)
def _private_cache(tmp_path_factory: pytest.TempPathFactory):
    """Caches (stored distances, database files) go to a folder of this test run, not ~/.cache."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("QUARTIERSATLAS_CACHE", str(tmp_path_factory.mktemp("qa-cache")))
        yield
