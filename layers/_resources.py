"""Where the files that ship with the package are: the bundled dataset, source catalogues, web assets.

In a wheel they are installed as the data-only packages ``quartiersatlas_data`` (the
repository's ``data/``) and ``quartiersatlas_assets`` (``assets/``), found through
:mod:`importlib.resources`; ``pyproject.toml`` maps the two folders onto those names, so the
files exist once in the repository.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Literal

Bundle = Literal["data", "assets"]

_PACKAGES: dict[str, str] = {"data": "quartiersatlas_data", "assets": "quartiersatlas_assets"}
_MARKERS: dict[str, str] = {"data": "karlsruhe/dataset.toml", "assets": "style.css"}


def bundled_dir(bundle: Bundle) -> Path:
    """Folder of ``bundle`` (``"data"`` or ``"assets"``) on disk.

    A source checkout (``layers/`` next to ``data/`` and ``assets/``) uses its own folders, so a
    checkout put first on ``PYTHONPATH`` never reads the files of another installed copy;
    otherwise the installed package's files are used.

    Raises
    ------
    FileNotFoundError
        If neither a checkout nor an installed package provides the files (a broken install).
    """
    checkout = Path(__file__).resolve().parent.parent / bundle
    if (checkout / _MARKERS[bundle]).is_file():
        return checkout
    package = _PACKAGES[bundle]
    try:
        root = resources.files(package)
    except ModuleNotFoundError as exc:
        raise FileNotFoundError(
            f"the package files {package!r} are missing; reinstall quartiersatlas "
            "(`pip install quartiersatlas`) or run from a source checkout"
        ) from exc
    # installed wheels unpack to plain folders, so the Traversable is a real path
    path = Path(str(root.joinpath(_MARKERS[bundle]))).parents[_MARKERS[bundle].count("/")]
    if not (path / _MARKERS[bundle]).is_file():
        raise FileNotFoundError(f"{package!r} has no {_MARKERS[bundle]} (looked in {path})")
    return path
