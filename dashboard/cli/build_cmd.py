"""Dataset building command: ``build-dataset``."""

from __future__ import annotations

from pathlib import Path

import click
from tqdm import tqdm

from dashboard.cli import main
from dashboard.cli._common import reports_errors
from layers.build import available_recipes, build_dataset, recipe_steps


@main.command("build-dataset")
@click.argument("recipe", metavar=f"RECIPE ({'|'.join(available_recipes())})")
@click.option(
    "--source",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder with the raw files (for karlsruhe: ../shared/data/karlsruhe, optionally "
    "plus the files of `quartiersatlas fetch`).",
)
@click.option(
    "--out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Dataset folder to write; replaced only when the whole build succeeds.",
)
@click.option("--no-progress", is_flag=True, help="Do not show a progress bar.")
@reports_errors
def build_dataset_cmd(recipe: str, source: Path, out: Path, no_progress: bool) -> None:
    """Build the dataset folder OUT from the raw files in SOURCE with RECIPE.

    The output is deterministic (same raw files, byte-identical files) and written atomically:
    a failed build leaves an existing OUT unchanged.
    """
    total = len(recipe_steps(recipe, source=source)) if source.is_dir() else 0
    with tqdm(total=total, desc="build", unit="step", disable=no_progress, leave=False) as bar:

        def on_step(name: str, index: int, count: int) -> None:
            bar.n = index
            bar.set_postfix_str(name)

        result = build_dataset(recipe, source=source, out=out, on_step=on_step)
        bar.n = total
        bar.refresh()
    for name, size in result.files:
        click.echo(f"{size:>10,}  {name}")
    click.echo(f"{result.total_bytes:>10,}  total, written to {result.out}")
