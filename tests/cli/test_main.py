"""The command group: every command is listed and found, its module imported only when needed."""

from __future__ import annotations

import importlib
import subprocess
import sys

import click
from click.testing import CliRunner

from dashboard.cli import _COMMAND_MODULES, main


def test_every_command_module_registers_exactly_the_commands_it_is_listed_for() -> None:
    for module in set(_COMMAND_MODULES.values()):
        importlib.import_module(f"dashboard.cli.{module}")
    registered = set(main.commands)
    assert registered == set(_COMMAND_MODULES)
    for name, module in _COMMAND_MODULES.items():
        assert main.commands[name].callback.__module__ == f"dashboard.cli.{module}", name


def test_help_lists_every_command() -> None:
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    listed = [
        line.split()[0] for line in result.output.split("Commands:")[1].splitlines() if line.strip()
    ]
    assert listed == sorted(_COMMAND_MODULES)
    assert main.list_commands(click.Context(main)) == sorted(_COMMAND_MODULES)


def test_running_one_command_does_not_import_the_others() -> None:
    code = (
        "import sys\n"
        "from dashboard.cli import main\n"
        "try:\n"
        "    main(['info', '--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "loaded = sorted(m for m in sys.modules if m.startswith('dashboard'))\n"
        "print(' '.join(loaded))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    loaded = result.stdout.split("\n")[-2].split()
    assert "dashboard.cli.data_cmds" in loaded
    assert "dashboard.cli.serve_cmds" not in loaded
    assert "dashboard.app" not in loaded
    assert "dashboard.cli.db_cmds" not in loaded
