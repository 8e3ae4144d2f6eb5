"""Fixtures of the store tests: a throw-away PostgreSQL/PostGIS server and a sample dataset.

The server is started once per session as user ``postgres`` in a temporary folder on a free
port of 127.0.0.1 and removed at the end. Tests that need it are marked ``postgis``; they are
skipped (with the reason) only when the PostgreSQL or PostGIS binaries are not installed.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

HERE = Path(__file__).resolve().parent


def _module(name: str) -> ModuleType:
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, HERE / f"{name.split('_', 1)[1]}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


pgserver = _module("qa_pgserver")
sample = _module("qa_sample")


@pytest.fixture(scope="session")
def pg_server():
    """A running PostgreSQL 15 + PostGIS server (stopped and removed after the session)."""
    if pgserver.pg_bin() is None:
        pytest.skip("PostgreSQL binaries not installed (apt-get install postgresql)")
    if not pgserver.postgis_installed():
        pytest.skip("PostGIS not installed (apt-get install postgresql-15-postgis-3)")
    server = pgserver.start_server()
    yield server
    pgserver.remove_server(server)


@pytest.fixture
def database_url(pg_server, request):
    """URL of a fresh, empty database (with PostGIS) for one test."""
    name = "t_" + request.node.name.lower().translate({ord(c): "_" for c in "[]-.:/ ,'\"()="})[:50]
    pg_server.psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", database="postgres")
    pg_server.psql(f"CREATE DATABASE {name} TEMPLATE quartiersatlas", database="postgres")
    yield pg_server.url.rsplit("/", 1)[0] + f"/{name}"
    pg_server.psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", database="postgres")


@pytest.fixture(autouse=True)
def _cache_dir(tmp_path_factory, monkeypatch):
    """Network files of database datasets go to a temporary cache folder."""
    monkeypatch.setenv("QUARTIERSATLAS_CACHE", str(tmp_path_factory.mktemp("cache")))


@pytest.fixture(scope="session")
def sample_dir(tmp_path_factory) -> Path:
    """The sample dataset folder (every layer kind; see sample.py)."""
    return sample.write_sample_dataset(tmp_path_factory.mktemp("sample") / "teststadt")


@pytest.fixture(scope="session")
def sample_dataset(sample_dir):
    """The sample dataset loaded from its folder."""
    from layers.dataset import load_dataset

    return load_dataset(sample_dir)
