"""Workspaces in the running Flask app: cookie, isolation over real callback requests, proxy user,
share links, downloads, expiry and settings."""

from __future__ import annotations

import base64
import json
import logging

import pytest

from dashboard import ids
from dashboard.workspace import (
    COOKIE_NAME,
    EXTENSION_KEY,
    SESSION_KEY,
    WorkspaceSettings,
)
from layers.store.workspaces import DAY_S, Quota

SECRET = "test-secret-" + "x" * 40
SECRET_NAME = "Vertraulich: geplante Schließung Treff Süd"


def _settings(**changes) -> WorkspaceSettings:
    return WorkspaceSettings(secret_key=SECRET, **changes)


@pytest.fixture
def app(tiny_dataset, tmp_path):
    """The app on the tiny dataset with a fixed secret key."""
    from dashboard.app import create_app

    return create_app(tiny_dataset, user_data_dir=tmp_path / "user", workspace=_settings())


def _csv(tiny_dataset, name: str) -> str:
    import geopandas as gpd
    import shapely

    point = gpd.GeoSeries([shapely.Point(456_500, 5_428_500)], crs=tiny_dataset.facilities.crs)
    lon, lat = point.to_crs(4326).iloc[0].coords[0]
    text = f"name,category,lat,lon\n{name},care,{lat},{lon}\n"
    return "data:text/csv;base64," + base64.b64encode(text.encode()).decode()


def _post_upload(client, contents: str, filename: str = "liste.csv"):
    """The browser's request of the upload callback."""
    body = {
        "output": f"..{ids.UPLOAD_STORE}.data...{ids.UPLOAD_RESULT}.children..",
        "outputs": [
            {"id": ids.UPLOAD_STORE, "property": "data"},
            {"id": ids.UPLOAD_RESULT, "property": "children"},
        ],
        "inputs": [{"id": ids.UPLOAD, "property": "contents", "value": contents}],
        "state": [
            {"id": ids.UPLOAD, "property": "filename", "value": filename},
            {"id": ids.LANG, "property": "value", "value": "de"},
        ],
        "changedPropIds": [f"{ids.UPLOAD}.contents"],
    }
    return client.post("/_dash-update-component", json=body)


def _post_render(client):
    """The browser's request of the workspace panel's list."""
    body = {
        "output": f"{ids.WS_BODY}.children",
        "outputs": {"id": ids.WS_BODY, "property": "children"},
        "inputs": [
            {"id": ids.WS_SUMMARY, "property": "n_clicks", "value": 1},
            {"id": ids.LANG, "property": "value", "value": "de"},
            {"id": ids.WS_REFRESH, "property": "data", "value": None},
            {"id": ids.UPLOAD_STORE, "property": "data", "value": None},
        ],
        "changedPropIds": [f"{ids.WS_SUMMARY}.n_clicks"],
    }
    response = client.post("/_dash-update-component", json=body)
    assert response.status_code == 200, response.data[:300]
    return json.dumps(response.get_json(), ensure_ascii=False)


def _workspace(client) -> str:
    with client.session_transaction() as session:
        return "s:" + session[SESSION_KEY]


def test_each_browser_gets_its_own_signed_cookie(app):
    a, b = app.server.test_client(), app.server.test_client()
    response = a.get("/")
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith(COOKIE_NAME + "=")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    b.get("/")
    assert _workspace(a) != _workspace(b)
    # a cookie signed with another key is not accepted: a new workspace is made
    c = app.server.test_client()
    c.set_cookie(COOKIE_NAME, response.headers["Set-Cookie"].split(";")[0].split("=", 1)[1][:-4])
    c.get("/")
    assert _workspace(c) not in (_workspace(a), _workspace(b))


def test_uploads_stay_in_their_workspace(app, tiny_dataset):
    a, b = app.server.test_client(), app.server.test_client()
    a.get("/")
    b.get("/")
    response = _post_upload(a, _csv(tiny_dataset, SECRET_NAME), "Vertraulich Schließungen.csv")
    assert response.status_code == 200
    answer = response.get_json()["response"]
    assert set(answer[ids.UPLOAD_STORE]["data"]) == {"rev"}  # no points, no names
    assert "Vertraulich" not in json.dumps(answer[ids.UPLOAD_STORE], ensure_ascii=False)
    assert "Vertraulich Schließungen" in _post_render(a)
    assert "Vertraulich" not in _post_render(b)
    for client in (a, b):  # the layout of nobody carries the upload
        layout = json.dumps(client.get("/_dash-layout").get_json(), ensure_ascii=False)
        assert "Vertraulich" not in layout
    spaces = app.server.extensions[EXTENSION_KEY]
    (item,) = spaces.store.uploads(_workspace(a))
    assert a.get(f"/workspace/upload/{item.id}.geojson").status_code == 200
    download = a.get(f"/workspace/upload/{item.id}.geojson").get_json()
    assert download["features"][0]["properties"]["name"] == SECRET_NAME
    assert b.get(f"/workspace/upload/{item.id}.geojson").status_code == 404


def test_the_map_of_a_workspace_shows_only_its_points(app, tiny_dataset):
    from dashboard.callbacks.upload import workspace_points
    from dashboard.context import AppContext

    a = app.server.test_client()
    a.get("/")
    _post_upload(a, _csv(tiny_dataset, SECRET_NAME))
    ctx: AppContext = app.server.extensions["quartiersatlas"]
    cookie = a.get_cookie(COOKIE_NAME).value
    with app.server.test_request_context(headers={"Cookie": f"{COOKIE_NAME}={cookie}"}):
        app.server.preprocess_request()
        shown = workspace_points(ctx, "de")
    assert len(shown["lat"]) == 1 and SECRET_NAME.split(":")[0] in shown["text"][0]
    with app.server.test_request_context():
        app.server.preprocess_request()
        assert workspace_points(ctx, "de") is None


def test_display_cap(tiny_ctx, tmp_path):
    from dashboard.callbacks.upload import workspace_layer
    from layers.store.workspaces import SqliteWorkspaceStore

    store = SqliteWorkspaceStore(tmp_path / "ws.sqlite")
    features = [
        {
            "type": "Feature",
            "properties": {"name": f"F{i}", "category": "care"},
            "geometry": {"type": "Point", "coordinates": [8.4, 49.0 + i * 1e-4]},
        }
        for i in range(30)
    ]
    data = json.dumps({"type": "FeatureCollection", "features": features}).encode()
    store.add_upload("s:a", name="eins", data=data, n_facilities=30)
    store.add_upload("s:a", name="zwei", data=data, n_facilities=30)
    layer = workspace_layer(tiny_ctx, store, "s:a", "de", max_points=45)
    assert len(layer["lat"]) == 45 and len(layer["text"]) == 45


def test_proxy_user_header_only_when_trusted(tiny_dataset, tmp_path):
    from dashboard.app import create_app

    header = {"X-Forwarded-User": "anna.meier@stadt.example"}
    trusted = create_app(
        tiny_dataset,
        user_data_dir=tmp_path / "t",
        workspace=_settings(user_header="X-Forwarded-User", trust_user_header=True),
    )
    spaces = trusted.server.extensions[EXTENSION_KEY]
    with trusted.server.test_request_context(headers=header):
        assert spaces.current() == "u:anna.meier@stadt.example"
    with trusted.server.test_request_context(headers={"X-Forwarded-User": "a b/../c"}):
        assert spaces.current().startswith("s:")  # not a user name: the session's workspace
    untrusted = create_app(
        tiny_dataset,
        user_data_dir=tmp_path / "u",
        workspace=_settings(user_header="X-Forwarded-User"),
    )
    spaces = untrusted.server.extensions[EXTENSION_KEY]
    with untrusted.server.test_request_context(headers=header):
        assert spaces.current().startswith("s:")  # a client cannot claim a user


def test_share_link_opens_one_scenario_only(app):
    a = app.server.test_client()
    a.get("/")
    store = app.server.extensions[EXTENSION_KEY].store
    item = store.save_scenario(_workspace(a), name="Plan B", query="view=scenario&dist=300")
    token = store.share_scenario(_workspace(a), item.id)
    stranger = app.server.test_client()
    response = stranger.get(f"/share/{token}")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/?view=scenario&dist=300")
    assert stranger.get("/share/" + "A" * 32).status_code == 404
    store.delete_scenario(_workspace(a), item.id)
    assert stranger.get(f"/share/{token}").status_code == 404


def test_expired_workspaces_are_purged_on_access(tiny_dataset, tmp_path):
    from dashboard.app import create_app
    from layers.store.workspaces import SqliteWorkspaceStore

    old = SqliteWorkspaceStore(tmp_path / "user" / "workspaces.sqlite")
    old.add_upload("s:forgotten", name="alt", data=b"{}", n_facilities=0, now=1_000.0)
    old.add_upload("s:recent", name="neu", data=b"{}", n_facilities=0)
    app = create_app(tiny_dataset, user_data_dir=tmp_path / "user", workspace=_settings())
    app.server.test_client().get("/")
    store = app.server.extensions[EXTENSION_KEY].store
    assert store.uploads("s:forgotten") == []
    assert [u.name for u in store.uploads("s:recent")] == ["neu"]
    assert store.expire_days * DAY_S > 0


def test_random_secret_key_when_unset_is_logged(tiny_dataset, tmp_path, caplog, monkeypatch):
    from dashboard.app import create_app

    monkeypatch.delenv("QUARTIERSATLAS_SECRET_KEY", raising=False)
    with caplog.at_level(logging.WARNING, logger="dashboard.workspace"):
        one = create_app(tiny_dataset, user_data_dir=tmp_path)
        two = create_app(tiny_dataset, user_data_dir=tmp_path)
    assert one.server.secret_key and one.server.secret_key != two.server.secret_key
    assert "QUARTIERSATLAS_SECRET_KEY is not set" in caplog.text
    monkeypatch.setenv("QUARTIERSATLAS_SECRET_KEY", SECRET)
    assert create_app(tiny_dataset, user_data_dir=tmp_path).server.secret_key == SECRET


def test_settings_from_env():
    settings = WorkspaceSettings.from_env(
        {
            "QUARTIERSATLAS_USER_HEADER": "X-Auth-Request-User",
            "QUARTIERSATLAS_TRUST_USER_HEADER": "1",
            "QUARTIERSATLAS_WORKSPACE_MAX_FILES": "5",
            "QUARTIERSATLAS_WORKSPACE_MAX_MB": "2",
            "QUARTIERSATLAS_WORKSPACE_EXPIRE_DAYS": "7",
            "QUARTIERSATLAS_UPLOAD_MAX_ROWS": "1000",
            "QUARTIERSATLAS_UPLOAD_MAX_VERTICES": "3000",
        }
    )
    assert settings.trust_user_header and settings.user_header == "X-Auth-Request-User"
    assert settings.quota == Quota(max_files=5, max_bytes=2 * 1024 * 1024, max_scenarios=100)
    assert (settings.expire_days, settings.max_rows, settings.max_vertices) == (7, 1000, 3000)
    assert "secret" not in repr(WorkspaceSettings(secret_key="s3cr3t")).replace("secret_key", "")
    with pytest.raises(ValueError, match="QUARTIERSATLAS_WORKSPACE_MAX_FILES='viele'"):
        WorkspaceSettings.from_env({"QUARTIERSATLAS_WORKSPACE_MAX_FILES": "viele"})
    with pytest.raises(ValueError, match="greater than 0"):
        WorkspaceSettings.from_env({"QUARTIERSATLAS_WORKSPACE_EXPIRE_DAYS": "-1"})


def test_panel_actions(tiny_ctx, tmp_path):
    import dash

    from dashboard.callbacks.workspace import apply_action, panel_children
    from layers.store.workspaces import SqliteWorkspaceStore

    store = SqliteWorkspaceStore(tmp_path / "ws.sqlite")
    ws = "s:a"
    common = {"scenario_name": "Kita Nord", "state": {"distance": 300}, "lang": "de"}
    message, changed = apply_action(tiny_ctx, store, ws, ids.WS_SAVE, 1, root="http://x/", **common)
    assert "Kita Nord" in message and not changed
    (item,) = store.scenarios(ws)
    assert "dist=300" in item.query
    share = {"type": "ws-action", "action": "share", "id": item.id}
    message, _ = apply_action(tiny_ctx, store, ws, share, 1, root="http://x/", **common)
    assert "http://x/share/" + store.scenarios(ws)[0].share_token in message
    with pytest.raises(dash.exceptions.PreventUpdate):  # a button that just appeared
        apply_action(tiny_ctx, store, ws, share, None, root="http://x/", **common)
    rename = {"type": "ws-rename", "kind": "scenario", "id": item.id}
    with pytest.raises(dash.exceptions.PreventUpdate):  # re-rendered with its own name
        apply_action(tiny_ctx, store, ws, rename, "Kita Nord", root="", **common)
    apply_action(tiny_ctx, store, ws, rename, "Kita Nord 2", root="", **common)
    assert store.scenarios(ws)[0].name == "Kita Nord 2"
    # an id of another workspace does nothing here
    other = store.save_scenario("s:b", name="fremd", query="")
    delete_other = {"type": "ws-action", "action": "delete-scenario", "id": other.id}
    with pytest.raises(dash.exceptions.PreventUpdate):
        apply_action(tiny_ctx, store, ws, delete_other, 1, root="", **common)
    assert store.scenarios("s:b")
    text = json.dumps(
        panel_children(store, ws, "de", root="http://x/", note="n"),
        cls=__import__("plotly").utils.PlotlyJSONEncoder,
    )
    assert "Kita Nord 2" in text and "fremd" not in text


def test_a_full_workspace_refuses_the_next_upload(tiny_ctx, tiny_dataset, tmp_path):
    import dash

    from dashboard.callbacks.upload import handle_upload
    from layers.store.workspaces import SqliteWorkspaceStore

    store = SqliteWorkspaceStore(tmp_path / "ws.sqlite", quota=Quota(max_files=1))
    ws = {"store": store, "workspace": "s:a"}
    first, _ = handle_upload(tiny_ctx, _csv(tiny_dataset, "Eins"), "eins.csv", "de", **ws)
    assert first is not dash.no_update
    second, messages = handle_upload(tiny_ctx, _csv(tiny_dataset, "Zwei"), "zwei.csv", "de", **ws)
    assert second is dash.no_update
    text = json.dumps(messages, cls=__import__("plotly").utils.PlotlyJSONEncoder)
    assert "Ihr Arbeitsbereich ist voll" in json.loads(text)[0]["props"]["children"]
    assert [u.name for u in store.uploads("s:a")] == ["eins"]


def test_opening_the_page_keeps_a_workspace_alive(app, tiny_dataset):
    import time

    a = app.server.test_client()
    a.get("/")
    store = app.server.extensions[EXTENSION_KEY].store
    workspace = _workspace(a)
    store.add_upload(
        workspace, name="alt", data=b"{}", n_facilities=0, now=time.time() - 29 * DAY_S
    )
    store._touched.clear()  # as in a fresh worker
    a.get("/")  # a page load 29 days after the last write counts as use
    assert store.purge_expired(now=time.time() + 2 * DAY_S) == 0
    assert [u.name for u in store.uploads(workspace)] == ["alt"]
