"""OpenStreetMap import command: ``import-osm``."""

from __future__ import annotations

from pathlib import Path

import click
from tqdm import tqdm

from dashboard.cli import main
from dashboard.cli._common import reports_errors
from layers.osm import UNMAPPED_TOP_N, ImportSummary, import_osm
from layers.osm_mapping import load_mapping


@main.command("import-osm")
@click.argument("extract", metavar="FILE", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write (new, empty, or an earlier import's folder); replaced only when the "
    "whole import succeeds.",
)
@click.option(
    "--mapping",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="TOML table of tag→category rules tried before the defaults (with "
    "`replace_defaults = true` instead of them); see docs/osm-import.md.",
)
@click.option(
    "--districts",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Vector file of districts (GeoJSON, GeoPackage, Shapefile, any CRS): keep only what "
    "lies inside their union.",
)
@click.option("--no-progress", is_flag=True, help="Do not show a progress bar.")
@reports_errors
def import_osm_cmd(
    extract: Path, out: Path, mapping: Path | None, districts: Path | None, no_progress: bool
) -> None:
    """Import an OpenStreetMap extract (FILE: .osm or .osm.pbf) into dataset files.

    Writes facilities.csv (id,name,category,subcategory,address,lat,lon,osm_type,osm_id),
    network.geojson (walkable ways), addresses.csv (address,lat,lon), unmapped.csv and
    manifest-snippet.toml (the dataset.toml tables that read them) into OUT.
    """
    table = load_mapping(mapping)
    with tqdm(desc="OSM", unit=" objects", disable=no_progress, leave=False) as bar:

        def on_progress(count: int) -> None:
            bar.update(count - bar.n)

        summary = import_osm(
            extract, out=out, mapping=table, districts=districts, on_progress=on_progress
        )
    click.echo(format_summary(summary))


def format_summary(summary: ImportSummary) -> str:
    """The lines ``import-osm`` prints: counts per category, unmapped tags, ways, addresses."""
    lines = [f"facilities: {summary.facilities}"]
    lines += [f"  {category}: {count}" for category, count in summary.categories.items()]
    lines += [
        f"  left out (no geometry): {count} {reason}" for reason, count in summary.unlocated.items()
    ]
    lines.append(f"unmapped: {summary.unmapped_total} (by tag, see unmapped.csv)")
    lines += [f"  {tag}: {count}" for tag, count in summary.unmapped[:UNMAPPED_TOP_N]]
    if len(summary.unmapped) > UNMAPPED_TOP_N:
        lines.append(f"  … {len(summary.unmapped) - UNMAPPED_TOP_N} more tags")
    lines.append(f"network ways: {summary.network_ways}")
    lines.append(f"addresses: {summary.addresses}")
    lines.append(f"written to {summary.out} (see manifest-snippet.toml)")
    return "\n".join(lines)
