"""Write the Berlin dataset the tests use (542 planning areas, grid residents) for the benchmarks.

The folder is the one of the ``berlin_dataset`` test fixture (``tests/helpers/berlin_data.py``:
the raw files of ../shared/data/berlin copied next to tests/data/berlin/dataset.toml; residents
are placed by the loader's fallback grid in every inhabited planning area). Run::

    .venv/bin/python benchmarks/berlin.py [--out DIR]

and pass the printed folder to ``benchmarks/dashboard.py --data`` or ``benchmarks/load.py``.
``benchmarks/dashboard.py --berlin`` calls :func:`berlin_dataset_dir` itself.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "helpers"))

from berlin_data import BERLIN_SOURCE, write_berlin_dataset  # noqa: E402


def default_dir() -> Path:
    """``$QUARTIERSATLAS_CACHE/bench/berlin`` (default ``~/.cache/quartiersatlas``)."""
    cache = os.environ.get("QUARTIERSATLAS_CACHE") or Path.home() / ".cache" / "quartiersatlas"
    return Path(cache) / "bench" / "berlin"


def berlin_dataset_dir(out: Path | None = None) -> Path:
    """The Berlin dataset folder, written (atomically, by renaming a sibling) if missing."""
    out = out or default_dir()
    if (out / "dataset.toml").is_file():
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out.parent) as tmp:
        built = write_berlin_dataset(Path(tmp) / "berlin", source=BERLIN_SOURCE)
        built.rename(out)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--out", type=Path, default=None)
    print(berlin_dataset_dir(parser.parse_args().out))


if __name__ == "__main__":
    main()
