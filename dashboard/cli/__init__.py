"""The ``quartiersatlas`` command line: the stable scripting contract of the project.

Each command group lives in its own module and registers itself on :data:`main`; the module is
imported when its command runs.
"""

from __future__ import annotations

import importlib
import logging

import click

from layers import __version__

_COMMAND_MODULES = {
    "build-dataset": "build_cmd",
    "change": "demography_cmds",
    "coverage": "coverage_cmds",
    "db": "db_cmds",
    "export": "serve_cmds",
    "fetch": "fetch_cmd",
    "import-osm": "osm_cmd",
    "info": "data_cmds",
    "nearby": "coverage_cmds",
    "need": "demography_cmds",
    "planning-areas": "demography_cmds",
    "profile": "demography_cmds",
    "serve": "serve_cmds",
    "site": "coverage_cmds",
    "validate": "data_cmds",
}
"""Module of ``dashboard.cli`` that defines each command (it registers itself on import)."""


class _LazyGroup(click.Group):
    """Imports a command's module only when the command runs (or help lists them all).

    A script calling ``quartiersatlas coverage`` does not pay for importing the dashboard,
    the database driver or the PDF writer.
    """

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(_COMMAND_MODULES))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in _COMMAND_MODULES:
            importlib.import_module(f"{__name__}.{_COMMAND_MODULES[cmd_name]}")
        return super().get_command(ctx, cmd_name)


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="quartiersatlas")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.option("-q", "--quiet", is_flag=True, help="Only errors.")
def main(verbose: int, quiet: bool) -> None:
    """Quartiersatlas: social infrastructure, coverage gaps and demographic change per district."""
    level = (
        logging.ERROR if quiet else (logging.WARNING, logging.INFO, logging.DEBUG)[min(verbose, 2)]
    )
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
