"""Workspace store: isolation, quotas, expiry, share tokens and delete, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from layers.store.workspaces import (
    DAY_S,
    PostgresWorkspaceStore,
    Quota,
    QuotaError,
    SqliteWorkspaceStore,
    WorkspaceError,
    open_store,
)

QUOTA = Quota(max_files=2, max_bytes=100, max_scenarios=2)
A, B = "s:session-a", "s:session-b"


@pytest.fixture(scope="module")
def postgres_server():
    """A PostgreSQL server for this module (the workspace tables need no PostGIS)."""
    import sys

    pgserver = sys.modules["qa_pgserver"]  # loaded by tests/store/conftest.py
    if pgserver.pg_bin() is None:
        pytest.skip("PostgreSQL binaries not installed (apt-get install postgresql)")
    server = pgserver.start_server(postgis=False)
    yield server
    pgserver.remove_server(server)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgis)])
def store(request, tmp_path):
    """A fresh workspace store of each kind (2 files, 100 bytes, 2 scenarios per workspace)."""
    if request.param == "sqlite":
        return SqliteWorkspaceStore(tmp_path / "ws.sqlite", quota=QUOTA, expire_days=30)
    server = request.getfixturevalue("postgres_server")
    name = "ws_" + request.node.name.lower().translate({ord(c): "_" for c in "[]-"})[:50]
    server.psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", database="postgres")
    server.psql(f"CREATE DATABASE {name}", database="postgres")
    url = server.url.rsplit("/", 1)[0] + f"/{name}"
    return PostgresWorkspaceStore(url, quota=QUOTA, expire_days=30)


def test_uploads_are_private_to_their_workspace(store):
    item = store.add_upload(A, name="Vertraulich: Schließung", data=b"abc", n_facilities=1)
    assert [u.name for u in store.uploads(A)] == ["Vertraulich: Schließung"]
    assert store.uploads(B) == []
    assert store.upload_data(A, item.id) == b"abc"
    with pytest.raises(WorkspaceError, match="not in this workspace"):
        store.upload_data(B, item.id)
    assert store.delete_upload(B, item.id) is False  # another workspace cannot delete it
    with pytest.raises(WorkspaceError, match="not in this workspace"):
        store.rename_upload(B, item.id, "gestohlen")
    assert store.upload_data(A, item.id) == b"abc"


def test_delete_and_rename_upload(store):
    item = store.add_upload(A, name="alt", data=b"x", n_facilities=1)
    before = store.revision(A)
    store.rename_upload(A, item.id, "  neu \n Name ")
    assert store.uploads(A)[0].name == "neu Name"
    assert store.delete_upload(A, item.id) is True
    assert store.uploads(A) == []
    assert store.revision(A) != before
    with pytest.raises(WorkspaceError, match="not in this workspace"):
        store.upload_data(A, item.id)


def test_quota_of_files_and_bytes(store):
    store.add_upload(A, name="eins", data=b"x" * 60, n_facilities=1)
    with pytest.raises(QuotaError, match="at most 100") as info:
        store.add_upload(A, name="zwei", data=b"x" * 41, n_facilities=1)
    assert info.value.limit == "bytes"
    store.add_upload(A, name="zwei", data=b"x" * 40, n_facilities=1)
    with pytest.raises(QuotaError, match="at most 2") as info:
        store.add_upload(A, name="drei", data=b"x", n_facilities=1)
    assert info.value.limit == "files"
    assert len(store.uploads(A)) == 2
    # another workspace has its own quota
    store.add_upload(B, name="eins", data=b"x" * 100, n_facilities=1)


def test_scenarios_save_reopen_share_and_delete(store):
    one = store.save_scenario(A, name="Plan B", query="?view=scenario&add=care:49.0,8.4")
    assert one.query == "view=scenario&add=care:49.0,8.4"
    assert [s.name for s in store.scenarios(A)] == ["Plan B"]
    assert store.scenarios(B) == []
    with pytest.raises(WorkspaceError, match="not in this workspace"):
        store.share_scenario(B, one.id)
    token = store.share_scenario(A, one.id)
    assert len(token) >= 32 and store.share_scenario(A, one.id) == token
    shared = store.shared_scenario(token)
    assert shared.query == one.query and shared.name == "Plan B"
    assert store.shared_scenario("guess") is None
    assert store.shared_scenario("") is None
    store.unshare_scenario(A, one.id)
    assert store.shared_scenario(token) is None
    token = store.share_scenario(A, one.id)
    store.save_scenario(A, name="zwei", query="view=plan")
    with pytest.raises(QuotaError, match="scenarios"):
        store.save_scenario(A, name="drei", query="view=plan")
    assert store.delete_scenario(B, one.id) is False
    assert store.delete_scenario(A, one.id) is True
    assert store.shared_scenario(token) is None  # the link stops working with the scenario


def test_bad_names_are_refused(store):
    with pytest.raises(WorkspaceError, match="name is empty"):
        store.save_scenario(A, name=" \n ", query="view=plan")
    long = store.save_scenario(A, name="x" * 500, query="view=plan")
    assert len(long.name) == 80


def test_anonymous_workspaces_expire_when_unused(store):
    day0 = 1_700_000_000.0
    store.add_upload(A, name="alt", data=b"x", n_facilities=1, now=day0)
    token = store.share_scenario(A, store.save_scenario(A, name="s", query="q", now=day0).id)
    store.add_upload(B, name="benutzt", data=b"x", n_facilities=1, now=day0 + 20 * DAY_S)
    store.add_upload("u:anna", name="Nutzerin", data=b"x", n_facilities=1, now=day0)
    assert store.purge_expired(now=day0 + 29 * DAY_S) == 0
    assert store.purge_expired(now=day0 + 31 * DAY_S) == 1
    assert store.uploads(A) == [] and store.scenarios(A) == []
    assert store.shared_scenario(token) is None
    assert [u.name for u in store.uploads(B)] == ["benutzt"]
    # a user's workspace (named by the proxy) does not expire
    assert store.purge_expired(now=day0 + 400 * DAY_S) == 1
    assert [u.name for u in store.uploads("u:anna")] == ["Nutzerin"]


def test_touch_keeps_a_workspace_alive(store):
    day0 = 1_700_000_000.0
    store.add_upload(A, name="alt", data=b"x", n_facilities=1, now=day0)
    store.touch(A, now=day0 + 25 * DAY_S)
    assert store.purge_expired(now=day0 + 40 * DAY_S) == 0
    assert store.purge_expired(now=day0 + 56 * DAY_S) == 1


@pytest.mark.postgis
def test_postgres_store_keeps_data_across_instances(request):
    """A second store object (another worker) sees the same workspaces: the tables persist."""
    server = request.getfixturevalue("postgres_server")
    server.psql("DROP DATABASE IF EXISTS ws_persist WITH (FORCE)", database="postgres")
    server.psql("CREATE DATABASE ws_persist", database="postgres")
    url = server.url.rsplit("/", 1)[0] + "/ws_persist"
    first = PostgresWorkspaceStore(url, quota=QUOTA)
    item = first.add_upload(A, name="eins", data=b"\x00\xffdata", n_facilities=1)
    second = open_store(database_url=url, folder=None, quota=QUOTA, expire_days=30)
    assert second.upload_data(A, item.id) == b"\x00\xffdata"
    assert [u.name for u in second.uploads(A)] == ["eins"]


def test_open_store_needs_a_folder():
    from layers.errors import StoreError

    with pytest.raises(StoreError, match="QUARTIERSATLAS_USER_DATA"):
        open_store(database_url=None, folder=None, quota=QUOTA, expire_days=1)
