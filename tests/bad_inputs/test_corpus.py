"""Every file of the bad-input corpus through validate, the CLI import and the app's upload check.

Each is rejected with file/row/column messages, or accepted where the behaviour is documented
(text kept as text and neutralised on output); never a traceback, never a partial write.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import json
import re
import shutil
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from dashboard.cli import main

BAD = Path(__file__).resolve().parents[1] / "data" / "bad"


def _load_generator():
    name = "qa_make_corpus"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, BAD / "make_corpus.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


make_corpus = _load_generator()
CASES = [make_corpus.Case(**c) for c in json.loads((BAD / "cases.json").read_text("utf-8"))]
FOLDER_CASES = [c for c in CASES if not c.file.endswith(".zip")]
UPLOAD_CASES = [c for c in CASES if c.upload]

BASE_LAYERS = {
    "districts": (
        "[districts]",
        'path = "districts.geojson"\ncolumns = { id = "id", name = "name" }',
    ),
    "facilities": ("[[facilities]]", 'path = "facilities.csv"'),
    "population": ("[[population]]", 'path = "population.csv"'),
}


def _toml_value(value: object) -> str:
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {json.dumps(v)}" for k, v in value.items()) + " }"
    return json.dumps(value)


def make_dataset(case, folder: Path) -> Path:
    """A dataset folder: the good base layers with the case's file in place of its layer."""
    shutil.copytree(BAD / "base", folder)
    shutil.copy(BAD / case.file, folder / case.file)
    parts = ['[metadata]\nname = "Bad"\ncity = "Teststadt"\nmetric_crs = "EPSG:25832"']
    for layer, (header, body) in BASE_LAYERS.items():
        if layer == case.layer:
            lines = [f"path = {json.dumps(case.file)}"]
            lines += [f"{k} = {_toml_value(v)}" for k, v in case.manifest.items()]
            if layer == "districts" and "columns" not in case.manifest:
                lines.append('columns = { id = "id", name = "name" }')
            body = "\n".join(lines)
        parts.append(f"{header}\n{body}")
    (folder / "dataset.toml").write_text("\n\n".join(parts) + "\n", encoding="utf-8")
    return folder


def snapshot(folder: Path) -> dict[str, str]:
    """Hash of every file below ``folder`` (to prove nothing was written)."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def assert_clean_run(result) -> None:
    """No traceback: the command ended by itself (exit 0/1), not by an uncaught exception."""
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert "Traceback" not in result.output


# -- the corpus itself -------------------------------------------------------------------------


def test_corpus_is_large_and_up_to_date(tmp_path):
    assert len(CASES) >= 30
    kinds = {c.file.split("_")[0] for c in CASES}
    assert kinds == {"fac", "dist", "pop", "zip"}
    make_corpus.write_corpus(tmp_path)
    fresh = snapshot(tmp_path)
    committed = {k: v for k, v in snapshot(BAD).items() if not k.endswith((".py", ".pyc"))}
    assert fresh == committed, "run python tests/data/bad/make_corpus.py and commit the files"


# -- validate ----------------------------------------------------------------------------------


@pytest.mark.parametrize("case", FOLDER_CASES, ids=lambda c: c.file)
def test_validate(case, tmp_path):
    folder = make_dataset(case, tmp_path / "ds")
    before = snapshot(folder)
    result = CliRunner().invoke(main, ["validate", str(folder)])
    assert_clean_run(result)
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    if case.outcome == "error":
        assert result.exit_code == 1, result.output
        assert errors, result.output
        assert all(f"error: {case.file}" in line for line in errors), errors
        assert re.search(case.expect, "\n".join(errors), re.IGNORECASE | re.DOTALL), errors
    else:
        assert result.exit_code == 0, result.output
        assert not errors
        if case.expect:
            assert re.search(case.expect, result.output, re.IGNORECASE)
    assert snapshot(folder) == before


def test_messages_name_row_and_column(tmp_path):
    """Row-level problems carry the row and the file's own column name."""
    expected = {
        "fac_lat_out_of_range.csv": "row 3, column 'lat'",
        "fac_negative_capacity.csv": "row 3, column 'capacity'",
        "fac_latlon_swapped.csv": "row 2, column 'lat/lon'",
        "fac_duplicate_ids.csv": "row 3, column 'id'",
        "fac_polygons.geojson": "row 1, column 'geometry'",
        "pop_unknown_district.csv": "row 6, column 'district'",
        "pop_not_numeric.csv": "row 2, column 'value'",
        "dist_duplicate_ids.geojson": "row 2, column 'id'",
    }
    by_file = {c.file: c for c in CASES}
    for file, where in expected.items():
        folder = make_dataset(by_file[file], tmp_path / file)
        output = CliRunner().invoke(main, ["validate", str(folder)]).output
        assert f"error: {file}, {where}" in output, output


def test_injection_names_are_neutralised_in_csv_output(tmp_path):
    case = next(c for c in CASES if c.file == "dist_injection_names.geojson")
    folder = make_dataset(case, tmp_path / "ds")
    result = CliRunner().invoke(main, ["coverage", "--data", str(folder)])
    assert_clean_run(result)
    assert result.exit_code == 0, result.output
    names = {line.split(",")[2] for line in result.stdout.splitlines()[1:] if line}
    assert "'+1+1" in names and "'-1+1" in names and "'@SUM(A1)" in names
    assert not any(n[:1] in "=+-@" for n in names)


# -- CLI import (into PostGIS) -----------------------------------------------------------------


@pytest.fixture(scope="module")
def import_database(request):
    """A PostGIS database holding the good base dataset (skipped without PostgreSQL)."""
    if "qa_pgserver" not in sys.modules:
        path = BAD.parents[1] / "store" / "pgserver.py"
        spec = importlib.util.spec_from_file_location("qa_pgserver", path)
        module = importlib.util.module_from_spec(spec)
        sys.modules["qa_pgserver"] = module
        spec.loader.exec_module(module)
    pgserver = sys.modules["qa_pgserver"]
    if pgserver.pg_bin() is None or not pgserver.postgis_installed():
        pytest.skip(
            "PostgreSQL/PostGIS not installed (apt-get install postgresql postgresql-15-postgis-3)"
        )
    server = pgserver.start_server()
    request.addfinalizer(lambda: pgserver.remove_server(server))
    return server.url


@pytest.mark.postgis
@pytest.mark.parametrize("case", FOLDER_CASES, ids=lambda c: c.file)
def test_cli_import(case, tmp_path, import_database, monkeypatch):
    from layers.store.postgis import db_status

    monkeypatch.setenv("QUARTIERSATLAS_CACHE", str(tmp_path / "cache"))
    runner = CliRunner()
    base = tmp_path / "base"
    shutil.copytree(BAD / "base", base)
    (base / "dataset.toml").write_text(
        '[metadata]\nname = "Bad"\ncity = "Teststadt"\nmetric_crs = "EPSG:25832"\n\n'
        + "\n\n".join(f"{h}\n{b}" for h, b in BASE_LAYERS.values())
        + "\n",
        encoding="utf-8",
    )
    good = runner.invoke(
        main, ["db", "load", "--data", str(base), "--database-url", import_database]
    )
    assert good.exit_code == 0, good.output
    [before] = db_status(import_database)
    folder = make_dataset(case, tmp_path / "ds")
    result = runner.invoke(
        main, ["db", "load", "--data", str(folder), "--database-url", import_database]
    )
    assert_clean_run(result)
    [after] = db_status(import_database)
    if case.outcome == "error":
        assert result.exit_code == 1, result.output
        assert f"error: {case.file}" in result.output
        assert (after.schema, after.data_version) == (before.schema, before.data_version)
    else:
        assert result.exit_code == 0, result.output
        assert after.version == before.version + 1


# -- the app's upload check --------------------------------------------------------------------


@pytest.fixture(scope="module")
def upload_context(tmp_path_factory):
    """An app context on the good base dataset, with a fresh user data folder."""
    pytest.importorskip("dashboard.callbacks.upload")
    from dashboard.context import AppContext, AppOptions
    from layers.dataset import load_dataset

    folder = tmp_path_factory.mktemp("upload") / "ds"
    shutil.copytree(BAD / "base", folder)
    (folder / "dataset.toml").write_text(
        '[metadata]\nname = "Bad"\ncity = "Teststadt"\nmetric_crs = "EPSG:25832"\n\n'
        + "\n\n".join(f"{h}\n{b}" for h, b in BASE_LAYERS.values())
        + "\n",
        encoding="utf-8",
    )
    user_data = tmp_path_factory.mktemp("user-data")
    return AppContext(load_dataset(folder), AppOptions(user_data_dir=user_data))


def _upload(ctx, path: Path, name: str):
    from dashboard.callbacks.upload import validate_upload

    contents = (
        "data:application/octet-stream;base64," + base64.b64encode(path.read_bytes()).decode()
    )
    return validate_upload(ctx, contents, name)


@pytest.mark.parametrize("case", UPLOAD_CASES, ids=lambda c: c.file)
def test_upload(case, upload_context):
    user_data = upload_context.options.user_data_dir
    before = snapshot(user_data)
    result = _upload(upload_context, BAD / case.file, case.file)
    if case.outcome == "error":
        assert not result.ok
        assert re.search(case.expect, "\n".join(result.errors), re.IGNORECASE | re.DOTALL), (
            result.errors
        )
    else:
        assert result.ok, result.errors
        assert len(result.facilities) >= 1
    assert snapshot(user_data) == before
    assert not Path("/tmp/qa-evil").exists()


def test_hostile_names_stay_text(upload_context):
    result = _upload(upload_context, BAD / "fac_script_names.csv", "fac_script_names.csv")
    assert result.ok, result.errors
    assert "<script>alert('x')</script>" in set(result.facilities["name"])
    from dashboard.figures import facility_points

    shown = set(facility_points(result.facilities)["name"])
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in shown
    assert not any("<" in name for name in shown)


# -- huge files and zip bombs (generated at test time) ----------------------------------------


@pytest.fixture(scope="module")
def huge(tmp_path_factory):
    """The huge files and zip bombs, written once for this module."""
    return make_corpus.write_huge(tmp_path_factory.mktemp("huge"))


def test_huge_csv_validates_in_bounded_time(huge, tmp_path):
    """A valid 12 MB facility list (~340,000 rows) is read in bounded time, without errors."""
    folder = tmp_path / "ds"
    shutil.copytree(BAD / "base", folder)
    shutil.copy(huge["huge_csv"], folder / "facilities.csv")
    (folder / "dataset.toml").write_text(
        '[metadata]\nname = "Bad"\ncity = "T"\nmetric_crs = "EPSG:25832"\n\n'
        + "\n\n".join(f"{h}\n{b}" for h, b in BASE_LAYERS.values())
        + "\n",
        encoding="utf-8",
    )
    start = time.monotonic()
    result = CliRunner().invoke(main, ["validate", str(folder)])
    assert_clean_run(result)
    assert result.exit_code == 0, result.output[-500:]
    assert time.monotonic() - start < 120


def test_huge_cell_is_rejected_with_row(huge, tmp_path):
    folder = tmp_path / "ds"
    shutil.copytree(BAD / "base", folder)
    shutil.copy(huge["huge_cell"], folder / "facilities.csv")
    (folder / "dataset.toml").write_text(
        '[metadata]\nname = "Bad"\ncity = "T"\nmetric_crs = "EPSG:25832"\n\n'
        + "\n\n".join(f"{h}\n{b}" for h, b in BASE_LAYERS.values())
        + "\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["validate", str(folder)])
    assert_clean_run(result)
    assert result.exit_code == 1
    assert (
        "error: facilities.csv, row 2: malformed CSV: field larger than field limit"
        in result.output
    )


@pytest.mark.parametrize(
    ("key", "expect"),
    [
        ("huge_csv", r"too_big|too large|MB"),
        ("huge_cell", r"too_big|too large|MB"),
        ("zip_bomb", r"too large"),
        ("zip_bomb_lying", r"too large|cannot be read|zip"),
    ],
)
def test_upload_rejects_huge_files_and_zip_bombs(key, expect, huge, upload_context):
    path = huge[key]
    result = _upload(upload_context, path, path.name)
    assert not result.ok
    assert re.search(expect, "\n".join(result.errors), re.IGNORECASE), result.errors


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_app_exports_neutralise_injection_cells(fmt, tmp_path):
    """The facility names of the injection file, exported as the app does, open as text."""
    export = pytest.importorskip("dashboard.export")
    case = next(c for c in CASES if c.file == "fac_csv_injection.csv")
    folder = make_dataset(case, tmp_path / "ds")
    from layers.dataset import load_dataset

    facilities = load_dataset(folder).facilities
    table = facilities[["name", "category", "capacity"]].copy()
    out = export.write_table(table, tmp_path / f"facilities.{fmt}")
    if fmt == "csv":
        cells = out.read_text("utf-8-sig").splitlines()[1:]
        names = [line.split(";")[0].strip('"') for line in cells]
    else:
        import openpyxl

        sheet = openpyxl.load_workbook(out).active
        names = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert all(name.startswith("'") for name in names), names
    assert "'@SUM(1+1)" in names
