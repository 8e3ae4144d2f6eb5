"""Every data command gives byte-identical output from the file store and from PostGIS."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from dashboard.cli import main
from layers.dataset import load_dataset
from layers.store.postgis import load_dataset_into_db

pytestmark = pytest.mark.postgis

BUNDLED = Path(__file__).resolve().parents[2] / "data" / "karlsruhe"

SAMPLE_COMMANDS = [
    ["coverage"],
    ["coverage", "--category", "care,meeting", "--radius", "750", "--format", "json"],
    ["coverage", "--year", "2020", "--group", "65_plus", "--level", "planning_area"],
    ["coverage", "--distance", "network", "--radius", "900"],
    ["coverage", "--detour-factor", "1.3"],
    ["change"],
    ["change", "--group", "65_plus", "--level", "planning_area", "--format", "json"],
    ["nearby", "--address", "Weg 00 1", "--radius", "1500"],
    ["nearby", "--lat", "48.99", "--lon", "8.4", "--radius", "20000"],
    ["site", "--category", "care", "--k", "2", "--radius", "600"],
    ["profile", "01"],
]


def _run(args: list[str]) -> str:
    """Exit status, output and any uncaught exception of one command run."""
    result = CliRunner().invoke(main, args)
    crash = "" if result.exception is None or result.exit_code in (0, 1) else repr(result.exception)
    return f"exit {result.exit_code}\n{result.output}{crash}"


@pytest.fixture
def loaded(sample_dir, sample_dataset, database_url):
    """The sample dataset loaded into a fresh database."""
    load_dataset_into_db(sample_dataset, database_url)
    return sample_dir, database_url


@pytest.mark.parametrize("args", SAMPLE_COMMANDS, ids=lambda a: " ".join(a))
def test_sample_commands_identical(loaded, args, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    folder, url = loaded
    from_files = _run([*args, "--data", str(folder)])
    from_db = _run([*args, "--database-url", url])
    assert from_db == from_files


@pytest.mark.slow
@pytest.mark.parametrize(
    "args",
    [
        ["coverage", "--format", "json"],
        ["coverage", "--level", "planning_area", "--group", "65_plus"],
        ["coverage", "--distance", "network", "--category", "care"],
        ["change", "--group", "65_plus"],
        ["site", "--category", "care", "--k", "3"],
    ],
    ids=lambda a: " ".join(a),
)
def test_bundled_commands_identical(args, pg_server, database_url, monkeypatch):
    if not (BUNDLED / "dataset.toml").exists():
        pytest.skip("the bundled dataset is not built")
    monkeypatch.delenv("DATABASE_URL", raising=False)
    load_dataset_into_db(load_dataset(BUNDLED), database_url)
    assert _run([*args, "--database-url", database_url]) == _run([*args, "--data", str(BUNDLED)])
