"""Build a dataset folder from a city's raw source files with a named recipe.

A recipe is a module in this package that knows one city's raw files (names, columns, quirks) and
turns them into a dataset folder in the documented format (docs/dataset-format.md). Nothing
outside the recipe module is city-specific. To add a city, write ``layers/build/<city>.py`` with

- ``REQUIRED_FILES``: tuple of paths (relative to the source folder) that must exist, and
- ``plan(source: Path) -> tuple[BuildStep, ...]``: the steps, run in order,

and add one line to :data:`RECIPES`. :func:`build_dataset` checks the source folder, runs the
steps in a temporary folder and moves it into place only when every step succeeded.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from layers._atomic import atomic_directory
from layers.errors import BuildError, MissingSourceError

RECIPES: MappingProxyType[str, str] = MappingProxyType({"karlsruhe": "layers.build.karlsruhe"})
"""Recipe name -> module that implements it."""

MANIFEST = "dataset.toml"
"""The manifest every built folder has; an existing output folder must have one too."""

FOLDER_MODE = 0o755
FILE_MODE = 0o644


@dataclass
class BuildContext:
    """What the steps of one build share: the folders and the results of earlier steps."""

    source: Path
    out: Path
    results: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class BuildStep:
    """One named step of a recipe (the name is shown in progress bars)."""

    name: str
    run: Callable[[BuildContext], None]


@dataclass(frozen=True)
class BuildResult:
    """The built folder and its files with their sizes in bytes (sorted by name)."""

    out: Path
    files: tuple[tuple[str, int], ...]

    @property
    def total_bytes(self) -> int:
        """Sum of all file sizes."""
        return sum(size for _, size in self.files)


StepCallback = Callable[[str, int, int], None]
"""Called before each step with (step name, 0-based index, number of steps)."""


def available_recipes() -> tuple[str, ...]:
    """Names of the dataset recipes, sorted."""
    return tuple(sorted(RECIPES))


def recipe_steps(recipe: str, *, source: Path) -> tuple[BuildStep, ...]:
    """The steps ``recipe`` runs for ``source`` (for progress bars).

    Raises
    ------
    BuildError
        If ``recipe`` is not a known recipe.
    """
    return _recipe_module(recipe).plan(Path(source))


def build_dataset(
    recipe: str, *, source: Path, out: Path, on_step: StepCallback | None = None
) -> BuildResult:
    """Build the dataset folder ``out`` from the raw files in ``source`` with ``recipe``.

    The folder is built in a temporary sibling and renamed into place at the end, so a failed
    build leaves an existing ``out`` untouched. The same input gives byte-identical files.

    Parameters
    ----------
    recipe
        Recipe name, e.g. ``"karlsruhe"`` (see :func:`available_recipes`).
    source
        Folder with the raw files the recipe reads.
    out
        Dataset folder to (re)create.
    on_step
        Optional progress callback, called before each step.

    Returns
    -------
    BuildResult
        The written files and their sizes.

    Raises
    ------
    BuildError
        Unknown recipe, the raw files do not hold what the recipe expects, or ``out`` is not a
        folder that may be replaced (a non-empty folder without ``dataset.toml``, the source
        folder, or a folder inside or around it).
    MissingSourceError
        ``source`` or a file the recipe needs does not exist (the message names every one).

    Examples
    --------
    >>> build_dataset("nowhere", source=Path("."), out=Path("x"))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    layers.errors.BuildError: unknown dataset recipe 'nowhere'; valid recipes: karlsruhe
    """
    module = _recipe_module(recipe)
    source = Path(source)
    out = Path(out)
    if not source.is_dir():
        raise MissingSourceError(f"source folder {source} does not exist or is not a folder")
    missing = [name for name in module.REQUIRED_FILES if not (source / name).is_file()]
    if missing:
        listed = ", ".join(missing)
        raise MissingSourceError(
            f"recipe {recipe!r}: source folder {source} lacks {len(missing)} required "
            f"file(s): {listed}"
        )
    _check_out(out, source)
    steps = module.plan(source)
    with atomic_directory(out) as staging:
        context = BuildContext(source=source, out=staging)
        for index, step in enumerate(steps):
            if on_step is not None:
                on_step(step.name, index, len(steps))
            step.run(context)
        _make_readable(staging)
        files = tuple(
            (path.relative_to(staging).as_posix(), path.stat().st_size)
            for path in sorted(staging.rglob("*"))
            if path.is_file()
        )
    return BuildResult(out=out, files=files)


def _check_out(out: Path, source: Path) -> None:
    """Refuse an output folder whose replacement would destroy something else."""
    target, raw = out.resolve(), source.resolve()
    if target == raw or raw in target.parents or target in raw.parents:
        raise BuildError(
            f"output folder {out} must not be the source folder {source}, inside it, or contain it"
        )
    if target.exists() and not target.is_dir():
        raise BuildError(f"output folder {out} is a file")
    if target.is_dir() and any(target.iterdir()) and not (target / MANIFEST).is_file():
        raise BuildError(
            f"output folder {out} is not empty and holds no {MANIFEST}; refusing to replace a "
            "folder that is not a dataset (choose a new or empty folder)"
        )


def _make_readable(folder: Path) -> None:
    """Give the built folder ordinary permissions (temporary files are created private)."""
    folder.chmod(FOLDER_MODE)
    for path in folder.rglob("*"):
        path.chmod(FOLDER_MODE if path.is_dir() else FILE_MODE)


def _recipe_module(recipe: str) -> Any:
    if recipe not in RECIPES:
        raise BuildError(
            f"unknown dataset recipe {recipe!r}; valid recipes: {', '.join(available_recipes())}"
        )
    return importlib.import_module(RECIPES[recipe])


__all__ = [
    "RECIPES",
    "BuildContext",
    "BuildResult",
    "BuildStep",
    "available_recipes",
    "build_dataset",
    "recipe_steps",
]
