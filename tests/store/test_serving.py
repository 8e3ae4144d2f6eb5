"""The WSGI server: /healthz, start-up while the database is down, recovery, stale data."""

from __future__ import annotations

import json
import sys
import time

import pytest
from flask import Flask

from dashboard.wsgi import AtlasServer, ServerConfig, create_server
from layers.store import data_version
from layers.store.postgis import load_dataset_into_db


class _AnyTime(str):
    """Equal to any ISO timestamp string."""

    def __eq__(self, other):
        return isinstance(other, str) and other.endswith("Z") and "T" in other

    __hash__ = str.__hash__


ANY_TIME = _AnyTime()


def stub_factory(dataset, config, version):
    """A tiny Flask app standing in for the Dash app (counts how often it is built)."""
    app = Flask("stub")
    app.config["built_for"] = (dataset.metadata.name, version)

    @app.route("/")
    def index():
        return f"atlas {dataset.metadata.name} {version}"

    return app


def call(server, path, **environ):
    """Run one request through the WSGI callable (from localhost); return (status code, body)."""
    captured = {}

    def start_response(status, headers):
        captured["status"] = int(status.split()[0])
        captured["headers"] = dict(headers)

    body = b"".join(
        server(
            {
                "PATH_INFO": path,
                "REQUEST_METHOD": "GET",
                "wsgi.input": None,
                "SERVER_NAME": "x",
                "SERVER_PORT": "80",
                "wsgi.url_scheme": "http",
                "REMOTE_ADDR": "127.0.0.1",
                **environ,
            },
            start_response,
        )
    )
    return captured["status"], body.decode()


def test_health_with_file_store(sample_dir, sample_dataset, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    server = AtlasServer(ServerConfig(data_dir=sample_dir), factory=stub_factory)
    code, body = call(server, "/healthz")
    health = json.loads(body)
    assert code == 200
    assert health["status"] == "ok" and health["store"] == "files"
    assert health["dataset"] == "Teststadt"
    assert health["data_version"] == data_version(sample_dataset)
    assert health["store_reachable"] is True
    code, page = call(server, "/")
    assert (code, page) == (200, f"atlas Teststadt {data_version(sample_dataset)}")


def test_health_details_only_for_localhost_or_token(sample_dir, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("QUARTIERSATLAS_HEALTH_TOKEN", "s3cret")
    server = AtlasServer(ServerConfig(data_dir=sample_dir), factory=stub_factory)
    remote = {"REMOTE_ADDR": "203.0.113.9"}
    proxied = {"HTTP_X_FORWARDED_FOR": "203.0.113.9"}  # nginx on the same host
    for environ in (remote, proxied, {**remote, "HTTP_AUTHORIZATION": "Bearer wrong"}):
        code, body = call(server, "/healthz", **environ)
        assert code == 200
        assert json.loads(body) == {"status": "ok", "stale": False, "loaded_at": ANY_TIME}
    for environ in ({}, {**remote, "HTTP_AUTHORIZATION": "Bearer s3cret"}):
        health = json.loads(call(server, "/healthz", **environ)[1])
        assert health["pid"] > 0 and health["dataset"] == "Teststadt"


def test_unavailable_page_names_the_folder_only_to_operators(tmp_path):
    server = AtlasServer(ServerConfig(data_dir=tmp_path / "missing"), factory=stub_factory)
    code, page = call(server, "/", REMOTE_ADDR="203.0.113.9")
    assert code == 503 and str(tmp_path) not in page
    assert "the data store cannot be read" in page
    code, body = call(server, "/healthz", REMOTE_ADDR="203.0.113.9")
    assert json.loads(body) == {"status": "unavailable", "stale": False, "loaded_at": None}
    assert str(tmp_path) in call(server, "/")[1]


def test_config_from_environment(tmp_path):
    config = ServerConfig.from_env(
        {
            "DATABASE_URL": "postgresql://u:pw@db/atlas",
            "QUARTIERSATLAS_DATASET": "Karlsruhe",
            "QUARTIERSATLAS_USER_DATA": str(tmp_path),
            "QUARTIERSATLAS_RETRY_S": "2",
        }
    )
    assert config.store == "postgis" and config.dataset_name == "Karlsruhe"
    assert config.store_label == "postgresql://u@db/atlas"
    assert config.user_data_dir == tmp_path and config.retry_s == 2.0
    assert ServerConfig.from_env({}, data_dir=tmp_path).store == "files"


def test_bad_dataset_folder_gives_503_with_reason(tmp_path):
    server = AtlasServer(ServerConfig(data_dir=tmp_path / "missing"), factory=stub_factory)
    code, page = call(server, "/")
    assert code == 503 and "Daten zurzeit nicht erreichbar" in page
    code, body = call(server, "/healthz")
    assert code == 503 and json.loads(body)["status"] == "unavailable"


@pytest.mark.postgis
def test_create_server_reads_database_url(sample_dataset, database_url, monkeypatch):
    load_dataset_into_db(sample_dataset, database_url)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setattr("dashboard.wsgi._default_factory", stub_factory)
    server = AtlasServer(ServerConfig.from_env(), factory=stub_factory)
    code, body = call(server, "/healthz")
    health = json.loads(body)
    assert code == 200 and health["store"] == "postgis" and health["status"] == "ok"
    assert health["data_version"] == health["store_data_version"] == data_version(sample_dataset)
    assert health["stale"] is False
    assert callable(create_server)


@pytest.mark.postgis
def test_real_app_is_identical_from_files_and_postgis(
    sample_dir, sample_dataset, database_url, tmp_path
):
    """The served layout (map, tables, catalogues) is the same whichever store the data is in."""
    pytest.importorskip("dashboard.app")
    from werkzeug.test import Client

    load_dataset_into_db(sample_dataset, database_url)
    layouts = []
    for config in (
        ServerConfig(data_dir=sample_dir, user_data_dir=tmp_path, jobs_dir=tmp_path / "jobs"),
        ServerConfig(database_url=database_url, user_data_dir=tmp_path, jobs_dir=tmp_path / "jobs"),
    ):
        client = Client(AtlasServer(config))
        response = client.get("/_dash-layout")
        assert response.status_code == 200
        layouts.append(response.get_data(as_text=True))
        response = client.get("/healthz", environ_base={"REMOTE_ADDR": "127.0.0.1"})
        health = json.loads(response.get_data(as_text=True))
        assert health["status"] == "ok" and health["data_version"] == data_version(sample_dataset)
    assert layouts[0] == layouts[1]


def test_background_callback_manager_is_shared_and_keyed_by_data_version(tmp_path, monkeypatch):
    from dash import DiskcacheManager

    from dashboard.jobs import background_callback_manager

    monkeypatch.delenv("QUARTIERSATLAS_CELERY_BROKER", raising=False)
    manager = background_callback_manager(jobs_dir=tmp_path / "jobs", data_version="abc123")
    assert isinstance(manager, DiskcacheManager)
    assert (tmp_path / "jobs").is_dir()
    assert [f() for f in manager.cache_by] == ["abc123"]
    # A second worker on the same folder sees what the first one stored.
    other = background_callback_manager(jobs_dir=tmp_path / "jobs", data_version="abc123")
    manager.handle.set("job-1", {"progress": 3})
    assert other.handle.get("job-1") == {"progress": 3}


def test_celery_without_celery_installed_is_a_clear_error(monkeypatch):
    import builtins

    from dashboard.jobs import background_callback_manager

    real_import = builtins.__import__

    def no_celery(name, *args, **kwargs):
        if name == "celery":
            raise ImportError("No module named 'celery'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setenv("QUARTIERSATLAS_CELERY_BROKER", "redis://127.0.0.1:6379/0")
    monkeypatch.setattr(builtins, "__import__", no_celery)
    with pytest.raises(
        RuntimeError, match=r"celery is not installed: pip install 'celery\[redis\]'"
    ):
        background_callback_manager()


@pytest.mark.postgis
def test_new_db_version_is_swapped_in_while_old_one_serves(sample_dir, database_url, tmp_path):
    import threading

    from layers.dataset import load_dataset

    old = load_dataset(sample_dir)
    load_dataset_into_db(old, database_url)
    release = threading.Event()
    builds = []

    def slow_factory(dataset, config, version):
        builds.append(version)
        if len(builds) > 1:
            assert release.wait(30)
        return stub_factory(dataset, config, version)

    server = AtlasServer(
        ServerConfig(database_url=database_url, reload_s=0.01), factory=slow_factory
    )
    assert call(server, "/")[1] == f"atlas Teststadt {data_version(old)}"
    new = load_dataset(
        sys.modules["qa_sample"].write_sample_dataset(tmp_path / "new", population_scale=4.0)
    )
    load_dataset_into_db(new, database_url)
    time.sleep(2.1)  # past the health probe cache
    # The new version is being built in the background; requests still get the old one.
    assert call(server, "/")[1] == f"atlas Teststadt {data_version(old)}"
    deadline = time.monotonic() + 10
    while len(builds) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
        call(server, "/")
    assert builds == [data_version(old), data_version(new)]
    assert json.loads(call(server, "/healthz")[1])["stale"] is True
    release.set()
    server.wait_for_reload()
    assert call(server, "/")[1] == f"atlas Teststadt {data_version(new)}"
    health = json.loads(call(server, "/healthz")[1])
    assert health["data_version"] == health["store_data_version"] == data_version(new)
    assert health["stale"] is False
