"""``quartiersatlas validate`` and ``info``: exit codes, one line per problem, never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from dashboard.cli import main


def run(*args: str) -> Result:
    """Invoke the CLI; uncaught exceptions stay in ``result.exception`` (no traceback printed)."""
    return CliRunner().invoke(main, list(args), catch_exceptions=True)


def assert_clean_exit(result: Result, code: int) -> None:
    """The command exited with ``code`` by itself (no uncaught exception, no traceback)."""
    assert result.exit_code == code, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert "Traceback" not in result.output


def _manifest(root: Path) -> str:
    return (root / "dataset.toml").read_text(encoding="utf-8")


# --- validate -------------------------------------------------------------------------------


def test_validate_valid_dataset(grid_dataset: Path) -> None:
    result = run("validate", str(grid_dataset))
    assert_clean_exit(result, 0)
    assert result.stdout == ""
    assert result.stderr.strip() == f"{grid_dataset}: 0 error(s), 0 warning(s)"


def test_validate_reports_one_line_per_problem_with_file_row_and_column(
    grid_dataset: Path, write_dataset
) -> None:
    write_dataset(
        grid_dataset,
        _manifest(grid_dataset),
        {
            "facilities.csv": "name,category,x,y\nTreff,meeting,455500,5426500\n,pflege,455500,5426500\n",
            "population.csv": "district,year,group,value\n0101,2021,total,-4\n0102,2021,total,12\n"
            "0201,2021,total,viele\n0203,2021,total,1\n0202,2021,total,3\n",
        },
    )
    result = run("validate", str(grid_dataset))
    assert_clean_exit(result, 1)
    assert result.stdout.splitlines() == [
        "warning: facilities.csv, row 3, column 'name': empty facility name",
        "error: facilities.csv, row 3, column 'category': unknown category 'pflege'; valid: "
        "meeting, counselling, care, participation, network (or map the file's values with category_map)",
        "error: population.csv, row 5, column 'district': unknown district '0203' "
        "(did you mean '0202' or '0201'?) in rows 5",
        "error: population.csv, row 4, column 'value': not a number: 'viele'",
        "error: population.csv, row 2, column 'value': negative value: -4.0",
    ]
    assert result.stderr.strip() == f"{grid_dataset}: 4 error(s), 1 warning(s)"


def test_warnings_alone_exit_0_unless_strict(grid_dataset: Path, write_dataset) -> None:
    write_dataset(
        grid_dataset,
        _manifest(grid_dataset),
        {"facilities.csv": "name,category,x,y\nTreff,meeting,,\nHeim,care,455500,5426500\n"},
    )
    result = run("validate", str(grid_dataset))
    assert_clean_exit(result, 0)
    assert result.stdout.splitlines() == [
        "warning: facilities.csv: 1 row(s) without coordinates are kept off the map: rows 2"
    ]
    assert_clean_exit(run("validate", "--strict", str(grid_dataset)), 1)


def test_validate_without_manifest(tmp_path: Path) -> None:
    result = run("validate", str(tmp_path))
    assert_clean_exit(result, 1)
    assert result.stderr.startswith(f"Error: {tmp_path / 'dataset.toml'}: no dataset.toml found")


def test_validate_uses_the_data_environment_variable(
    grid_dataset: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QUARTIERSATLAS_DATA", str(grid_dataset))
    result = run("validate")
    assert_clean_exit(result, 0)
    assert str(grid_dataset) in result.stderr


BAD_INPUTS = {
    "invalid toml": ("dataset.toml", b"[metadata\nname = 1"),
    "binary manifest": ("dataset.toml", b"\xff\xfe\x00\x01garbage"),
    "binary districts": ("districts.geojson", b"\x00\x01\x02\x03" * 100),
    "truncated geojson": (
        "districts.geojson",
        b'{"type": "FeatureCollection", "features": [{"type"',
    ),
    "empty districts": ("districts.geojson", b""),
    "empty population": ("population.csv", b""),
    "binary population": ("population.csv", bytes(range(256)) * 4),
    "ragged population": ("population.csv", b"district,year,group,value\n0101,2021\n"),
    "unbalanced quote": ("population.csv", b'district,year,group,value\n"0101,2021,total,1\n'),
    "facilities geojson as csv": ("facilities.csv", b'{"type": "FeatureCollection"}'),
    "huge year": ("population.csv", b"district,year,group,value\n0101,1e400,total,1\n"),
    "nan value": ("population.csv", b"district,year,group,value\n0101,2021,total,nan\n"),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_data_never_gives_a_traceback(grid_dataset: Path, case: str) -> None:
    name, content = BAD_INPUTS[case]
    (grid_dataset / name).write_bytes(content)
    for command in ("validate", "info"):
        result = run(command, str(grid_dataset))
        assert_clean_exit(result, 1)
        assert "error" in result.output.lower()


# --- info -----------------------------------------------------------------------------------


def test_info_text(grid_dataset: Path) -> None:
    result = run("info", str(grid_dataset))
    assert_clean_exit(result, 0)
    lines = result.stdout.splitlines()
    assert lines[0] == "Testgrid (Teststadt)"
    assert "  metric CRS      EPSG:25832" in lines
    assert "  districts       4" in lines
    assert "  facilities      3 on the map, 0 without coordinates, 0 outside all districts" in lines
    assert "    total         2020–2021 (2 years)" in lines
    assert "    65_plus       2021" in lines
    assert "  resident points 0 from the residents layer, 400 grid fallback" in lines


def test_info_json(grid_dataset: Path) -> None:
    result = run("info", "--format", "json", str(grid_dataset))
    assert_clean_exit(result, 0)
    summary = json.loads(result.stdout)
    assert summary["districts"] == 4
    assert summary["metric_crs"] == "EPSG:25832"
    assert summary["facilities"]["by_category"]["care"]["located"] == 1
    assert summary["population"]["groups"]["total"]["years"] == [2020, 2021]
    assert summary["resident_points"] == {"from_residents_layer": 0, "grid_fallback": 400}
    assert [s["file"] for s in summary["sources"]] == [
        "districts.geojson",
        "facilities.csv",
        "population.csv",
    ]


def test_info_on_a_dataset_with_errors_lists_them(grid_dataset: Path) -> None:
    (grid_dataset / "population.csv").write_text(
        "district,year,group,value\n0101,2021,total,-1\n", encoding="utf-8"
    )
    result = run("info", str(grid_dataset))
    assert_clean_exit(result, 1)
    assert result.stdout == ""
    assert "error: population.csv, row 2, column 'value': negative value: -1.0" in result.stderr
    assert f"run `quartiersatlas validate {grid_dataset}`" in result.stderr


def test_help() -> None:
    for command in ("validate", "info"):
        result = run(command, "--help")
        assert_clean_exit(result, 0)
        assert "DATA_DIR" in result.stdout
