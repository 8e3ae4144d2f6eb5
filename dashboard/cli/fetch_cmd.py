"""The ``fetch`` command: download a city's official layers into a raw folder for build-dataset."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from dashboard.cli import main
from layers.errors import FetchError, LayersError
from layers.fetch import (
    DEFAULT_TIMEOUT_S,
    FETCH_RECORD,
    FetchReport,
    Source,
    catalogue_path,
    fetch_sources,
    read_catalogue,
    select_sources,
)


@main.command("fetch")
@click.argument("city")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Raw folder to write (new, an earlier fetch, or the raw source folder of build-dataset).",
)
@click.option("--only", metavar="ID[,ID…]", help="Fetch only these source ids (see --list).")
@click.option(
    "--keep-going",
    is_flag=True,
    help="Do not stop at a failed download: write the successful ones, record the failures "
    f"in {FETCH_RECORD}, exit 1.",
)
@click.option("--list", "list_only", is_flag=True, help="Print the source catalogue and exit.")
@click.option(
    "--timeout",
    "timeout_s",
    type=click.FloatRange(min=0, min_open=True),
    default=DEFAULT_TIMEOUT_S,
    show_default=True,
    help="Seconds to wait for a connection and between bytes of a response.",
)
@click.option(
    "--catalogue",
    "catalogue_file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Source catalogue CSV to use instead of data/sources/CITY.csv.",
)
@click.option(
    "--base-url",
    metavar="URL",
    help="Fetch from a mirror: replaces scheme and host of every catalogue URL "
    "(e.g. http://127.0.0.1:8000).",
)
def fetch_command(
    city: str,
    out_dir: Path | None,
    only: str | None,
    keep_going: bool,
    list_only: bool,
    timeout_s: float,
    catalogue_file: Path | None,
    base_url: str | None,
) -> None:
    """Download CITY's official layers, listed in data/sources/CITY.csv, into a raw folder.

    Facility layers are saved as OUT/facilities/geoportal/ID.geojson, population tables as
    OUT/population/transparenz/ID.csv (bytes as downloaded), plus OUT/fetch.json with URL,
    SHA-256, size, category, licence and status of each file. Other files in OUT are left
    alone, so OUT can be the raw source folder of build-dataset. Nothing in OUT changes unless
    everything succeeded: after a timeout, an HTTP error or a malformed response the earlier
    content stays as it was. Needs internet access. See docs/sources.md.

    \b
    Examples:
      quartiersatlas fetch karlsruhe --list
      quartiersatlas fetch karlsruhe --out raw/karlsruhe
      quartiersatlas fetch karlsruhe --out raw/karlsruhe --only senioren-pflegeheime,alter-85-plus
    """  # noqa: D301 (click's \b keeps the example lines unwrapped)
    try:
        path = catalogue_file if catalogue_file is not None else catalogue_path(city)
        sources = read_catalogue(path)
        ids = only.split(",") if only is not None else None
        if list_only:
            click.echo(_catalogue_table(select_sources(sources, ids)), nl=False)
            return
        if out_dir is None:
            raise click.UsageError("--out DIR is required (or use --list)")
        report = fetch_sources(
            sources,
            out_dir,
            city=city.lower(),
            only=ids,
            keep_going=keep_going,
            timeout_s=timeout_s,
            base_url=base_url,
            progress=None,
        )
    except FetchError as exc:
        click.echo(f"Error: {exc}", err=True)
        if out_dir is not None:
            click.echo(f"Nothing was written; {out_dir} is unchanged.", err=True)
        sys.exit(1)
    except LayersError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(1)
    _summarise(report)
    if report.failed:
        sys.exit(1)


def _summarise(report: FetchReport) -> None:
    size = sum(item.bytes or 0 for item in report.ok)
    click.echo(
        f"fetched {len(report.ok)} of {len(report.items)} source(s), {size:,} bytes, "
        f"into {report.out_dir} (record: {FETCH_RECORD})",
        err=True,
    )
    for item in report.failed:
        click.echo(f"failed: {item.id}: {item.error} (url: {item.requested_url})", err=True)


def _catalogue_table(sources: tuple[Source, ...]) -> str:
    header = ("id", "kind", "category", "format", "name")
    rows = [header, *((s.id, s.kind, s.category, s.format, s.name) for s in sources)]
    widths = [max(len(row[col]) for row in rows) for col in range(len(header) - 1)]
    lines = [
        "  ".join([*(cell.ljust(width) for cell, width in zip(row, widths, strict=False)), row[-1]])
        for row in rows
    ]
    return "\n".join(lines) + "\n"
