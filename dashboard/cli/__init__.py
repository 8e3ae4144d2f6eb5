"""The ``quartiersatlas`` command line: the stable scripting contract of the project.

Each command group lives in its own module and registers itself on :data:`main`.
"""

from __future__ import annotations

import logging

import click

from layers import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="quartiersatlas")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.option("-q", "--quiet", is_flag=True, help="Only errors.")
def main(verbose: int, quiet: bool) -> None:
    """Quartiersatlas: social infrastructure, coverage gaps and demographic change per district."""
    level = (
        logging.ERROR if quiet else (logging.WARNING, logging.INFO, logging.DEBUG)[min(verbose, 2)]
    )
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")


# Command modules register their commands on `main` when imported.
from dashboard.cli import (  # noqa: E402
    build_cmd,  # noqa: F401  build-dataset
    coverage_cmds,  # noqa: F401  coverage, nearby, site
    data_cmds,  # noqa: F401  validate, info, build-dataset, fetch
    db_cmds,  # noqa: F401  db load
    demography_cmds,  # noqa: F401  change, planning-areas, profile (json)
    fetch_cmd,  # noqa: F401  fetch
    serve_cmds,  # noqa: F401  serve, export
)
