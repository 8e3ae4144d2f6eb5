"""Database commands: ``db load`` (a dataset folder into PostGIS) and ``db status``."""

from __future__ import annotations

import os
from pathlib import Path

import click

from dashboard.cli import main
from dashboard.cli._common import reports_errors, to_json
from layers.dataset import default_dataset_path, load_dataset
from layers.errors import StoreError
from layers.store import DATABASE_ENV, redact_url


def _database_url(value: str | None) -> str:
    url = value or os.environ.get(DATABASE_ENV)
    if not url:
        raise StoreError(
            "no database given: pass --database-url postgresql://user@host:5432/db "
            f"or set ${DATABASE_ENV}"
        )
    return url


@main.group("db")
def db_group() -> None:
    """PostgreSQL/PostGIS store: load datasets, show what is loaded."""


@db_group.command("load")
@click.option(
    "--data",
    "data_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Dataset folder with a dataset.toml (default: the bundled dataset).",
)
@click.option("--database-url", default=None, help=f"PostgreSQL URL (default: ${DATABASE_ENV}).")
@click.option(
    "--schema",
    default=None,
    help="Base name of the dataset's schemas (<schema>_v<N>); default qa_<dataset name>.",
)
@click.option(
    "--precompute",
    type=click.Choice(["none", "euclidean", "network", "all"]),
    default="euclidean",
    show_default=True,
    help="Distance tables to compute and store with the data ('all' = euclidean and network).",
)
@click.option("--keep-old", is_flag=True, help="Keep the schemas of previous versions.")
@click.option(
    "--grant-read",
    metavar="ROLE",
    default=None,
    help="Give this database role (the app's) read access to the new version.",
)
@reports_errors
def db_load_cmd(
    data_dir: Path | None,
    database_url: str | None,
    schema: str | None,
    precompute: str,
    keep_old: bool,
    grant_read: str | None,
) -> None:
    """Load a dataset into PostGIS as a new version, in one transaction.

    The dataset is validated first (as `quartiersatlas validate`); readers keep the previous
    version until the new one is complete; a failed or interrupted load changes nothing.
    """
    from layers.store.distances import precompute_distances
    from layers.store.postgis import load_dataset_into_db

    url = _database_url(database_url)
    dataset = load_dataset(data_dir if data_dir is not None else default_dataset_path())
    result = load_dataset_into_db(
        dataset, url, schema=schema, keep_old=keep_old, grant_read=grant_read
    )
    rows = ", ".join(f"{table} {count}" for table, count in result.rows.items())
    click.echo(
        f"loaded {result.name!r} into {redact_url(url)} schema {result.schema} "
        f"(data version {result.data_version}): {rows}"
    )
    if result.dropped:
        click.echo(f"dropped old versions: {', '.join(result.dropped)}")
    modes = {"none": (), "euclidean": ("euclidean",), "network": ("network",)}.get(
        precompute, ("euclidean", "network")
    )
    if modes:
        stored = precompute_distances(dataset, url, modes=modes)  # type: ignore[arg-type]
        for key, count in stored.items():
            click.echo(f"stored distances ({key}) for {count} categories")


@db_group.command("status")
@click.option("--database-url", default=None, help=f"PostgreSQL URL (default: ${DATABASE_ENV}).")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@reports_errors
def db_status_cmd(database_url: str | None, fmt: str) -> None:
    """Show the datasets loaded in the database: schema, version, data version, row counts."""
    from layers.store.postgis import db_status

    url = _database_url(database_url)
    entries = db_status(url)
    if fmt == "json":
        click.echo(
            to_json(
                {
                    "database": redact_url(url),
                    "datasets": [
                        {
                            "name": e.name,
                            "schema": e.schema,
                            "version": e.version,
                            "data_version": e.data_version,
                            "loaded_at": e.loaded_at,
                            "rows": dict(e.rows),
                        }
                        for e in entries
                    ],
                }
            ),
            nl=False,
        )
        return
    if not entries:
        click.echo(f"{redact_url(url)}: no dataset loaded")
        return
    for e in entries:
        click.echo(
            f"{e.name}: schema {e.schema} (version {e.version}), data version {e.data_version}, "
            f"loaded {e.loaded_at}"
        )
        for table, count in e.rows.items():
            click.echo(f"  {table:<22}{count}")
