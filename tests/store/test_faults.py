"""Faults: the database stops mid-session, a load or build is killed, the disk is full or read-only.

Each test says what happens; the clean outcome is a clear message (no traceback), the previous
data intact, nothing partial written, and recovery without a restart when the database returns.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask

from dashboard.cli import main
from dashboard.wsgi import AtlasServer, ServerConfig
from layers.errors import ExportError, StoreError
from layers.store import data_version
from layers.store.postgis import db_status, load_dataset_from_db, load_dataset_into_db

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable


@pytest.fixture
def own_server(request):
    """A PostgreSQL server of this test alone (it gets stopped and started)."""
    pgserver = sys.modules["qa_pgserver"]
    if pgserver.pg_bin() is None or not pgserver.postgis_installed():
        pytest.skip(
            "PostgreSQL/PostGIS not installed (apt-get install postgresql postgresql-15-postgis-3)"
        )
    server = pgserver.start_server()
    yield server
    pgserver.remove_server(server)


def snapshot(folder: Path) -> dict[str, str]:
    """Hash of every file below ``folder``."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def call(server, path: str) -> tuple[int, str]:
    """One GET request through a WSGI callable, from localhost (operators see /healthz details)."""
    from werkzeug.test import Client

    response = Client(server).get(path, environ_base={"REMOTE_ADDR": "127.0.0.1"})
    return response.status_code, response.get_data(as_text=True)


def stub_factory(dataset, config, version):
    """A small Flask app standing in for the Dash app."""
    app = Flask("stub")
    app.add_url_rule("/", "index", lambda: f"atlas {dataset.metadata.name} {version}")
    return app


# -- the database stops -----------------------------------------------------------------------


@pytest.mark.postgis
def test_cli_says_database_unreachable_and_recovers(own_server, sample_dataset, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    load_dataset_into_db(sample_dataset, own_server.url)
    runner = CliRunner()
    args = ["coverage", "--database-url", own_server.url]
    before = runner.invoke(main, args)
    assert before.exit_code == 0, before.output
    own_server.stop("immediate")
    down = runner.invoke(main, args)
    assert down.exit_code == 1
    assert f"Error: database unreachable at {own_server.url}" in down.output
    assert "Traceback" not in down.output
    status = runner.invoke(main, ["db", "status", "--database-url", own_server.url])
    assert status.exit_code == 1 and "database unreachable at" in status.output
    own_server.start()
    again = runner.invoke(main, args)
    assert again.exit_code == 0 and again.output == before.output


@pytest.mark.postgis
def test_server_keeps_serving_says_so_and_recovers(own_server, sample_dataset):
    """Mid-session: the loaded data stays served, /healthz and the page banner say why."""
    load_dataset_into_db(sample_dataset, own_server.url)
    server = AtlasServer(ServerConfig(database_url=own_server.url), factory=stub_factory)
    code, body = call(server, "/healthz")
    assert code == 200 and json.loads(body)["status"] == "ok"
    own_server.stop("immediate")
    time.sleep(2.1)  # past the probe cache
    code, body = call(server, "/healthz")
    health = json.loads(body)
    assert code == 200
    assert health["status"] == "degraded" and health["store_reachable"] is False
    assert health["error"].startswith(f"database unreachable at {own_server.url}")
    assert health["data_version"] == data_version(sample_dataset)
    assert call(server, "/") == (200, f"atlas Teststadt {data_version(sample_dataset)}")
    own_server.start()
    time.sleep(2.1)
    code, body = call(server, "/healthz")
    assert json.loads(body)["status"] == "ok"


@pytest.mark.postgis
def test_server_started_while_database_down_recovers_without_restart(own_server, sample_dataset):
    load_dataset_into_db(sample_dataset, own_server.url)
    own_server.stop("immediate")
    server = AtlasServer(
        ServerConfig(database_url=own_server.url, retry_s=0.0), factory=stub_factory
    )
    code, page = call(server, "/")
    assert code == 503
    assert "Daten zurzeit nicht erreichbar" in page and "database unreachable at" in page
    code, body = call(server, "/_dash-update-component")
    assert code == 503 and json.loads(body)["error"] == "data store unavailable"
    code, body = call(server, "/healthz")
    assert code == 503 and json.loads(body)["status"] == "unavailable"
    own_server.start()
    assert call(server, "/") == (200, f"atlas Teststadt {data_version(sample_dataset)}")
    time.sleep(2.1)
    assert json.loads(call(server, "/healthz")[1])["status"] == "ok"


@pytest.mark.postgis
def test_real_app_page_carries_the_store_banner(own_server, sample_dataset, tmp_path):
    pytest.importorskip("dashboard.app")
    load_dataset_into_db(sample_dataset, own_server.url)
    server = AtlasServer(
        ServerConfig(database_url=own_server.url, user_data_dir=tmp_path, jobs_dir=tmp_path / "j")
    )
    code, page = call(server, "/")
    assert code == 200
    assert "store_status.js" in page
    code, script = call(server, "/assets/store_status.js")
    assert code == 200 and "Datenbank nicht erreichbar" in script


# -- killed mid-way ----------------------------------------------------------------------------


def _run_until_marker(script: str, marker: str, *, env: dict[str, str] | None = None):
    """Start ``script`` in a new Python process and SIGKILL it once it prints ``marker``."""
    process = subprocess.Popen(
        [PYTHON, "-c", textwrap.dedent(script)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=ROOT,
    )
    deadline = time.monotonic() + 120
    try:
        for line in process.stdout:
            if marker in line:
                break
            if time.monotonic() > deadline:
                break
        else:
            pytest.fail(f"no marker {marker!r}; stderr: {process.stderr.read()[-2000:]}")
        os.kill(process.pid, signal.SIGKILL)
        process.wait(30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)
    assert process.returncode == -signal.SIGKILL


@pytest.mark.postgis
def test_db_load_killed_midway_leaves_previous_version(own_server, sample_dir, tmp_path):
    from layers.dataset import load_dataset

    old = load_dataset(sample_dir)
    load_dataset_into_db(old, own_server.url)
    sample = sys.modules["qa_sample"]
    new_dir = sample.write_sample_dataset(tmp_path / "new", population_scale=5.0)
    _run_until_marker(
        f"""
        import time
        from layers.dataset import load_dataset
        from layers.store import postgis
        real = postgis._write_frame
        def slow(conn, schema, table, frame):
            result = real(conn, schema, table, frame)
            if table == "population":
                print("HALFWAY", flush=True)
                time.sleep(60)
            return result
        postgis._write_frame = slow
        postgis.load_dataset_into_db(load_dataset({str(new_dir)!r}), {own_server.url!r})
        """,
        "HALFWAY",
        env={"QUARTIERSATLAS_CACHE": str(tmp_path / "cache")},
    )
    [entry] = db_status(own_server.url)
    assert (entry.schema, entry.data_version) == ("qa_teststadt_v1", data_version(old))
    assert data_version(load_dataset_from_db(own_server.url)) == data_version(old)
    schemas = own_server.psql(
        "SELECT string_agg(nspname, ',' ORDER BY nspname) FROM pg_namespace WHERE nspname LIKE 'qa_%'"
    ).strip()
    assert schemas == "qa_teststadt_v1"
    # The next load works (no stale lock) and switches to the new data.
    result = load_dataset_into_db(load_dataset(new_dir), own_server.url)
    assert result.version == 2 and result.dropped == ("qa_teststadt_v1",)


def test_atomic_directory_killed_midway_leaves_previous_folder(tmp_path):
    target = tmp_path / "dataset"
    target.mkdir()
    (target / "dataset.toml").write_text("old\n")
    (target / "districts.geojson").write_text("{}\n")
    before = snapshot(target)
    _run_until_marker(
        f"""
        import time
        from pathlib import Path
        from layers._atomic import atomic_directory
        with atomic_directory({str(target)!r}) as staging:
            (staging / "dataset.toml").write_text("new\\n")
            print("HALFWAY", flush=True)
            time.sleep(60)
        """,
        "HALFWAY",
    )
    assert snapshot(target) == before
    leftovers = [p.name for p in tmp_path.iterdir() if p.name != "dataset"]
    assert all(name.startswith(".dataset.") and name.endswith(".tmp") for name in leftovers)


def test_build_dataset_killed_midway_leaves_previous_folder(tmp_path):
    source = ROOT.parent / "shared" / "data" / "karlsruhe"
    if not source.is_dir():
        pytest.skip(f"raw Karlsruhe files not available at {source}")
    out = tmp_path / "karlsruhe"
    shutil.copytree(ROOT / "data" / "karlsruhe", out)
    before = snapshot(out)
    _run_until_marker(
        f"""
        import time
        from pathlib import Path
        from layers.build import build_dataset
        def on_step(name, index, count):
            print("STEP", index, name, flush=True)
            if index == 3:
                print("HALFWAY", flush=True)
                time.sleep(60)
        build_dataset("karlsruhe", source=Path({str(source)!r}), out=Path({str(out)!r}),
                      on_step=on_step)
        """,
        "HALFWAY",
    )
    assert snapshot(out) == before


def test_atomic_write_killed_midway_leaves_previous_file(tmp_path):
    target = tmp_path / "uploads" / "facilities.geojson"
    target.parent.mkdir()
    target.write_text('{"old": true}\n')
    _run_until_marker(
        f"""
        import os, time
        from layers import _atomic
        real_fsync = os.fsync
        def slow_fsync(fd):
            print("HALFWAY", flush=True)
            time.sleep(60)
        _atomic.os.fsync = slow_fsync
        _atomic.atomic_write_bytes({str(target)!r}, b'{{"new": true}}' * 100000)
        """,
        "HALFWAY",
    )
    assert target.read_text() == '{"old": true}\n'


# -- no write permission, full disk ------------------------------------------------------------


@contextlib.contextmanager
def tmpfs(path: Path, *options: str):
    """Mount a small tmpfs at ``path`` (skips when mounting is not allowed here)."""
    path.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", ",".join(options), "tmpfs", str(path)],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({result.stderr.strip()})")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False, capture_output=True)


@pytest.fixture
def full_disk(tmp_path):
    """A 64 kB file system, full."""
    with tmpfs(tmp_path / "tiny", "size=64k") as folder:
        with contextlib.suppress(OSError), (folder / "filler").open("wb") as handle:
            while True:  # until "no space left on device"
                handle.write(b"x" * 1024)
                handle.flush()
        yield folder


@pytest.fixture
def read_only(tmp_path):
    """A read-only file system (no write permission, even for root)."""
    with tmpfs(tmp_path / "ro", "size=64k", "ro") as folder:
        yield folder


def test_cli_export_to_full_disk_is_a_clear_error(sample_dir, full_disk, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    before = sorted(p.name for p in full_disk.iterdir())
    result = CliRunner().invoke(
        main,
        [
            "nearby",
            "--data",
            str(sample_dir),
            "--address",
            "Weg 00 1",
            "--radius",
            "20000",
            "--out",
            str(full_disk / "nearby.json"),
        ],
    )
    assert result.exit_code == 1, result.output
    assert (
        f"Error: cannot write {full_disk / 'nearby.json'}: No space left on device" in result.output
    )
    assert "Traceback" not in result.output
    assert sorted(p.name for p in full_disk.iterdir()) == before


def test_cli_export_to_read_only_folder_is_a_clear_error(sample_dir, read_only, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    result = CliRunner().invoke(
        main, ["coverage", "--data", str(sample_dir), "--out", str(read_only / "coverage.csv")]
    )
    assert result.exit_code == 1, result.output
    assert (
        f"Error: cannot write {read_only / 'coverage.csv'}: Read-only file system" in result.output
    )
    assert list(read_only.iterdir()) == []


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_app_table_export_full_disk_and_read_only(fmt, full_disk, read_only):
    export = pytest.importorskip("dashboard.export")
    import pandas as pd

    frame = pd.DataFrame({"area_name": ["=cmd", "Nord"], "share": [0.5, 0.25]})
    frame = pd.concat([frame] * 2000, ignore_index=True)  # larger than the free space
    with pytest.raises(ExportError, match="disk is full"):
        export.write_table(frame, full_disk / f"table.{fmt}")
    with pytest.raises(ExportError, match="read-only file system"):
        export.write_table(frame, read_only / f"table.{fmt}")
    assert not (full_disk / f"table.{fmt}").exists()
    assert sorted(p.name for p in full_disk.iterdir()) == ["filler"]
    assert isinstance(ExportError("x"), StoreError)
