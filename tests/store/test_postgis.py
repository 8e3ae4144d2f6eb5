"""The PostGIS store: round trip, versions, atomic loads, distances and the CLI options."""

from __future__ import annotations

import dataclasses
import json
import threading

import click
import geopandas as gpd
import numpy as np
import pandas as pd
import psycopg
import pytest
from click.testing import CliRunner
from geopandas.testing import assert_geodataframe_equal

from dashboard.cli import main
from dashboard.cli._common import data_option, open_dataset, reports_errors
from layers.coverage import dataset_distance_table
from layers.dataset import load_dataset
from layers.errors import StoreError
from layers.residents import ResidentPoints
from layers.store import data_version, is_database_url, postgis, redact_url
from layers.store.distances import precompute_distances, stored_distance_table
from layers.store.postgis import (
    db_status,
    load_dataset_from_db,
    load_dataset_into_db,
    load_distances,
    schema_base,
)

pytestmark = pytest.mark.postgis


def assert_same_dataset(left, right) -> None:
    """Every attribute equal; frames with identical dtypes, order and values."""
    for field in dataclasses.fields(left):
        a, b = getattr(left, field.name), getattr(right, field.name)
        if isinstance(a, gpd.GeoDataFrame):
            assert_geodataframe_equal(a, b, check_less_precise=False)
        elif isinstance(a, ResidentPoints):
            assert_geodataframe_equal(a.frame, b.frame, check_less_precise=False)
        elif isinstance(a, pd.DataFrame):
            pd.testing.assert_frame_equal(a, b)
        elif field.name == "metadata":
            for sub in dataclasses.fields(a):
                if sub.name != "root":
                    assert getattr(a, sub.name) == getattr(b, sub.name), sub.name
        elif field.name == "groupings":
            assert [vars(g).keys() for g in a] == [vars(g).keys() for g in b]
            for g, h in zip(a, b, strict=True):
                assert {k: v for k, v in vars(g).items() if k != "mapping"} == {
                    k: v for k, v in vars(h).items() if k != "mapping"
                }
                pd.testing.assert_frame_equal(g.mapping, h.mapping)
        elif field.name == "network":
            assert (a is None) == (b is None)
            if a is not None:
                assert (a.approximate, a.note, a.crs) == (b.approximate, b.note, b.crs)
                assert a.path.read_bytes() == b.path.read_bytes()
        else:
            assert a == b, field.name


def test_round_trip_is_identical(sample_dataset, database_url):
    result = load_dataset_into_db(sample_dataset, database_url)
    assert result.schema == "qa_teststadt_v1"
    assert result.rows["resident_points"] == len(sample_dataset.resident_points)
    back = load_dataset_from_db(database_url)
    assert_same_dataset(sample_dataset, back)
    assert data_version(back) == data_version(sample_dataset) == result.data_version
    # The sample has a MultiPolygon among Polygons and a facility outside all districts (NA).
    assert back.districts.geom_type.tolist() == ["Polygon", "Polygon", "Polygon", "MultiPolygon"]
    assert back.facilities["district_id"].isna().sum() == 1


def test_tables_have_spatial_indexes(sample_dataset, database_url, pg_server):
    load_dataset_into_db(sample_dataset, database_url)
    db = database_url.rsplit("/", 1)[1]
    indexes = pg_server.psql(
        "SELECT tablename FROM pg_indexes WHERE schemaname = 'qa_teststadt_v1' "
        "AND indexdef LIKE '%USING gist%' ORDER BY tablename",
        database=db,
    ).split()
    assert indexes == ["addresses", "districts", "facilities", "resident_points"]
    srid = pg_server.psql(
        "SELECT DISTINCT ST_SRID(geometry) FROM qa_teststadt_v1.districts", database=db
    )
    assert srid.strip() == "25832"


def test_second_load_switches_version_and_drops_old(sample_dataset, database_url):
    load_dataset_into_db(sample_dataset, database_url)
    result = load_dataset_into_db(sample_dataset, database_url)
    assert (result.schema, result.version, result.dropped) == (
        "qa_teststadt_v2",
        2,
        ("qa_teststadt_v1",),
    )
    [entry] = db_status(database_url)
    assert entry.schema == "qa_teststadt_v2"
    assert entry.rows["districts"] == 4


def test_failed_load_leaves_previous_version(sample_dataset, database_url, monkeypatch):
    load_dataset_into_db(sample_dataset, database_url)
    real = postgis._write_frame

    def failing(conn, schema, table, frame):
        if table == "resident_points":
            raise StoreError("simulated failure in the middle of a load")
        return real(conn, schema, table, frame)

    monkeypatch.setattr(postgis, "_write_frame", failing)
    with pytest.raises(StoreError, match="simulated failure"):
        load_dataset_into_db(sample_dataset, database_url)
    monkeypatch.undo()
    [entry] = db_status(database_url)
    assert entry.schema == "qa_teststadt_v1"
    with postgis.connect(database_url) as conn:
        schemas = [
            r[0]
            for r in conn.execute(
                "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'qa_%' ORDER BY 1"
            ).fetchall()
        ]
    assert schemas == ["qa_teststadt_v1"]
    assert_same_dataset(sample_dataset, load_dataset_from_db(database_url))


def test_readers_see_old_version_until_load_commits(sample_dir, tmp_path, database_url):
    old = load_dataset(sample_dir)
    load_dataset_into_db(old, database_url)
    sample = __import__("qa_sample")
    new = load_dataset(sample.write_sample_dataset(tmp_path / "v2", population_scale=2.0))
    assert data_version(new) != data_version(old)
    halfway, release = threading.Event(), threading.Event()
    real = postgis._write_frame

    def slow(conn, schema, table, frame):
        if table == "population":
            halfway.set()
            assert release.wait(30)
        return real(conn, schema, table, frame)

    errors: list[BaseException] = []

    def run() -> None:
        try:
            load_dataset_into_db(new, database_url)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    postgis_write = postgis._write_frame
    postgis._write_frame = slow
    try:
        thread = threading.Thread(target=run)
        thread.start()
        assert halfway.wait(30)
        during = load_dataset_from_db(database_url)
        assert data_version(during) == data_version(old)
        release.set()
        thread.join(60)
    finally:
        postgis._write_frame = postgis_write
        release.set()
    assert not errors
    after = load_dataset_from_db(database_url)
    assert data_version(after) == data_version(new)
    pd.testing.assert_frame_equal(after.population, new.population)


def test_several_datasets_need_a_name(sample_dataset, database_url, tmp_path):
    load_dataset_into_db(sample_dataset, database_url)
    other = dataclasses.replace(
        sample_dataset, metadata=dataclasses.replace(sample_dataset.metadata, name="Zweitstadt")
    )
    load_dataset_into_db(other, database_url)
    with pytest.raises(StoreError, match=r"several datasets.*Teststadt, Zweitstadt"):
        load_dataset_from_db(database_url)
    assert load_dataset_from_db(database_url, name="Zweitstadt").metadata.name == "Zweitstadt"
    with pytest.raises(StoreError, match=r"no dataset 'Drittstadt'.*loaded: Teststadt, Zweitstadt"):
        load_dataset_from_db(database_url, name="Drittstadt")


def test_empty_database_says_how_to_load(database_url):
    with pytest.raises(StoreError, match=r"holds no Quartiersatlas dataset.*db load"):
        load_dataset_from_db(database_url)


def test_invalid_schema_name_is_rejected(sample_dataset, database_url):
    with pytest.raises(StoreError, match="invalid schema name 'Bad-Name'"):
        load_dataset_into_db(sample_dataset, database_url, schema="Bad-Name")


def test_schema_base_and_urls():
    assert schema_base("Karlsruhe") == "qa_karlsruhe"
    assert is_database_url("postgresql://u@h/db") and is_database_url("postgres://h/db")
    assert not is_database_url("data/karlsruhe") and not is_database_url(None)
    assert redact_url("postgresql://u:pw@h:5/db") == "postgresql://u@h:5/db"


def test_precomputed_distances_are_used_and_invalidated(sample_dir, tmp_path, database_url):
    dataset = load_dataset(sample_dir)
    load_dataset_into_db(dataset, database_url)
    stored = precompute_distances(dataset, database_url, modes=("euclidean", "network"))
    assert set(stored) == {"euclidean", next(k for k in stored if k.startswith("network:"))}
    fresh = dataset_distance_table(dataset)
    primed = stored_distance_table(dataset, database_url)
    for category in fresh.categories:
        np.testing.assert_array_equal(primed.distances_m(category), fresh.distances_m(category))
        assert not primed.distances_m(category).flags.writeable
    # The primed arrays are the stored ones, not recomputed.
    arrays = load_distances(
        database_url, name="Teststadt", version=data_version(dataset), mode="euclidean"
    )
    assert set(arrays) == set(fresh.categories)
    # Loading changed data removes the old version's distances; the new version has none yet.
    sample = __import__("qa_sample")
    changed = load_dataset(sample.write_sample_dataset(tmp_path / "v2", population_scale=3.0))
    load_dataset_into_db(changed, database_url)
    assert (
        load_distances(
            database_url, name="Teststadt", version=data_version(dataset), mode="euclidean"
        )
        == {}
    )
    assert (
        load_distances(
            database_url, name="Teststadt", version=data_version(changed), mode="euclidean"
        )
        == {}
    )


# -- command line ------------------------------------------------------------------------------


@click.command()
@data_option
@reports_errors
def _probe(data_dir):
    """A command that reports which dataset `open_dataset` gives it."""
    dataset = open_dataset(data_dir)
    click.echo(json.dumps({"name": dataset.metadata.name, "version": data_version(dataset)}))


def test_cli_db_load_and_status(sample_dir, sample_dataset, database_url):
    runner = CliRunner()
    result = runner.invoke(
        main, ["db", "load", "--data", str(sample_dir), "--database-url", database_url]
    )
    assert result.exit_code == 0, result.output
    assert "schema qa_teststadt_v1" in result.output
    assert "stored distances (euclidean) for 3 categories" in result.output
    status = runner.invoke(
        main, ["db", "status", "--database-url", database_url, "--format", "json"]
    )
    assert status.exit_code == 0, status.output
    [entry] = json.loads(status.output)["datasets"]
    assert entry["data_version"] == data_version(sample_dataset)
    assert entry["rows"]["facilities"] == 6


def test_cli_db_load_rejects_invalid_dataset(tmp_path, database_url):
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "dataset.toml").write_text("[metadata]\nname = 'x'\n")
    result = CliRunner().invoke(
        main, ["db", "load", "--data", str(tmp_path / "bad"), "--database-url", database_url]
    )
    assert result.exit_code == 1
    assert "Error:" in result.output and "Traceback" not in result.output
    assert db_status(database_url) == []


def test_data_option_reads_database_url_option_and_env(
    sample_dir, sample_dataset, database_url, monkeypatch
):
    load_dataset_into_db(sample_dataset, database_url)
    expected = data_version(sample_dataset)
    runner = CliRunner()
    monkeypatch.delenv("DATABASE_URL", raising=False)
    by_option = runner.invoke(_probe, ["--database-url", database_url])
    assert by_option.exit_code == 0, by_option.output
    assert json.loads(by_option.output) == {"name": "Teststadt", "version": expected}
    monkeypatch.setenv("DATABASE_URL", database_url)
    by_env = runner.invoke(_probe, [])
    assert json.loads(by_env.output)["version"] == expected
    # An explicit --data wins over $DATABASE_URL.
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
    by_folder = runner.invoke(_probe, ["--data", str(sample_dir)])
    assert json.loads(by_folder.output)["version"] == expected
    both = runner.invoke(_probe, ["--data", str(sample_dir), "--database-url", database_url])
    assert both.exit_code == 2 and "either --data or --database-url" in both.output
    named = runner.invoke(_probe, ["--database-url", database_url, "--db-dataset", "Nirgendwo"])
    assert named.exit_code == 1 and "no dataset 'Nirgendwo'" in named.output


def test_unreachable_database_in_cli(monkeypatch):
    port = __import__("qa_pgserver").free_port()
    url = f"postgresql://planner:secret@127.0.0.1:{port}/atlas"
    result = CliRunner().invoke(_probe, ["--database-url", url])
    assert result.exit_code == 1
    assert f"database unreachable at postgresql://planner@127.0.0.1:{port}/atlas" in result.output
    assert "secret" not in result.output and "Traceback" not in result.output
    with pytest.raises(StoreError, match="database unreachable at"):
        load_dataset_from_db(url)
    assert isinstance(StoreError("x"), RuntimeError)
    _ = psycopg


def test_grant_read_lets_an_app_role_read_only(sample_dataset, database_url, pg_server):
    pg_server.psql(
        "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'atlas_reader') "
        "THEN CREATE ROLE atlas_reader LOGIN; END IF; END $$"
    )
    load_dataset_into_db(sample_dataset, database_url)
    reader_url = database_url.replace("postgres@", "atlas_reader@")
    with pytest.raises(StoreError, match="permission denied"):
        load_dataset_from_db(reader_url)
    load_dataset_into_db(sample_dataset, database_url, grant_read="atlas_reader")
    assert_same_dataset(sample_dataset, load_dataset_from_db(reader_url))
    with pytest.raises(StoreError, match="permission denied"):
        load_dataset_into_db(sample_dataset, reader_url)


def test_backup_and_restore_with_pg_dump(sample_dataset, database_url, pg_server, tmp_path):
    """The commands of docs/deployment.md: dump the dataset schema and the registry, restore."""
    import subprocess

    load_dataset_into_db(sample_dataset, database_url)
    precompute_distances(sample_dataset, database_url)
    [entry] = db_status(database_url)
    dump = tmp_path / "atlas.dump"
    subprocess.run(
        [
            str(pg_server.bindir / "pg_dump"),
            database_url,
            "--format=custom",
            f"--schema={entry.schema}",
            "--schema=quartiersatlas",
            f"--file={dump}",
        ],
        check=True,
        capture_output=True,
    )
    pg_server.psql("DROP DATABASE IF EXISTS restored WITH (FORCE)", database="postgres")
    pg_server.psql("CREATE DATABASE restored", database="postgres")
    pg_server.psql("CREATE EXTENSION postgis", database="restored")
    restored = database_url.rsplit("/", 1)[0] + "/restored"
    subprocess.run(
        [str(pg_server.bindir / "pg_restore"), f"--dbname={restored}", "--no-owner", str(dump)],
        check=True,
        capture_output=True,
    )
    try:
        assert_same_dataset(sample_dataset, load_dataset_from_db(restored))
        assert set(
            load_distances(restored, name="Teststadt", version=entry.data_version, mode="euclidean")
        ) == {"meeting", "counselling", "care"}
    finally:
        pg_server.psql("DROP DATABASE IF EXISTS restored WITH (FORCE)", database="postgres")
