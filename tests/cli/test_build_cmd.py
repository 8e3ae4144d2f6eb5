"""Tests of ``quartiersatlas build-dataset``."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from dashboard.cli import main

REPO = Path(__file__).resolve().parents[2]
RAW = REPO.parent / "shared" / "data" / "karlsruhe"


def test_help_names_the_recipes() -> None:
    result = CliRunner().invoke(main, ["build-dataset", "--help"])
    assert result.exit_code == 0
    assert "RECIPE (karlsruhe)" in result.output


def test_unknown_recipe_exits_1_with_the_valid_ones(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["build-dataset", "hamburg", "--source", str(tmp_path), "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 1
    assert "unknown dataset recipe 'hamburg'; valid recipes: karlsruhe" in result.output
    assert not (tmp_path / "o").exists()


def test_missing_files_exit_1_and_write_nothing(tmp_path: Path) -> None:
    (tmp_path / "raw" / "boundaries").mkdir(parents=True)
    result = CliRunner().invoke(
        main,
        [
            "build-dataset",
            "karlsruhe",
            "--source",
            str(tmp_path / "raw"),
            "--out",
            str(tmp_path / "o"),
        ],
    )
    assert result.exit_code == 1
    assert "boundaries/stadtteile_27_stadt_karlsruhe.geojson" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "o").exists()


@pytest.mark.slow
@pytest.mark.skipif(not RAW.is_dir(), reason=f"raw Karlsruhe files not at {RAW}")
def test_build_lists_the_written_files(tmp_path: Path) -> None:
    out = tmp_path / "karlsruhe"
    result = CliRunner().invoke(
        main,
        ["build-dataset", "karlsruhe", "--source", str(RAW), "--out", str(out), "--no-progress"],
    )
    assert result.exit_code == 0, result.output
    for name in ("dataset.toml", "stadtteile.geojson", "facilities.csv", "residents.csv"):
        assert name in result.output
        assert (out / name).is_file()
    assert "total, written to" in result.output
