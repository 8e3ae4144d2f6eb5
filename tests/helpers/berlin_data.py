"""Write the Berlin test dataset (542 LOR planning areas as districts) into a folder.

The raw files of ../shared/data/berlin are copied unchanged next to a manifest from
tests/data/berlin*/dataset.toml (manifest paths must stay inside the dataset folder). The
dataset has no residents layer: the loader places residents on its fallback grid
(``layers.residents.GRID_CELL_M``) inside every inhabited planning area, as the tests rely on.

Shared by tests/conftest.py (the ``berlin_dataset`` fixtures) and benchmarks/berlin.py (the
dashboard and load benchmarks on Berlin), so both measure the same dataset.
"""

from __future__ import annotations

import shutil
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
BERLIN_SOURCE = REPO_ROOT.parent / "shared" / "data" / "berlin"
"""The raw Berlin files (../shared/data/berlin next to the repository); see its PROVENANCE.md."""
BERLIN_MANIFEST = REPO_ROOT / "tests" / "data" / "berlin" / "dataset.toml"
SUBFOLDERS = ("districts", "facilities", "population", "population_variant")


def berlin_source_available(source: Path = BERLIN_SOURCE) -> bool:
    """Whether the raw Berlin files are there (their PROVENANCE.md marks a complete copy)."""
    return (source / "PROVENANCE.md").is_file()


def write_berlin_dataset(
    target: Path, *, manifest: Path = BERLIN_MANIFEST, source: Path = BERLIN_SOURCE
) -> Path:
    """Copy the raw Berlin files and ``manifest`` into ``target`` (created; must not hold files).

    Returns ``target``. Raises ``FileNotFoundError`` naming the folder when the source is missing.
    """
    if not berlin_source_available(source):
        raise FileNotFoundError(f"the Berlin source files are not available at {source}")
    for sub in SUBFOLDERS:
        (target / sub).mkdir(parents=True)
        for file in sorted((source / sub).iterdir()):
            shutil.copyfile(file, target / sub / file.name)
    shutil.copyfile(manifest, target / "dataset.toml")
    return target
