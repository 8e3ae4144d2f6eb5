"""Background jobs started through one worker finish and are collected through another."""

from __future__ import annotations

import json
import re
import time

import dash
from dash import Input, Output, html
from werkzeug.test import Client

from dashboard.jobs import background_callback_manager


def make_worker(jobs_dir, version="v1"):
    """A minimal Dash app with one background callback, as one gunicorn worker would build it."""
    manager = background_callback_manager(jobs_dir=jobs_dir, data_version=version)
    app = dash.Dash(__name__, background_callback_manager=manager)
    app.layout = html.Div([html.Button(id="go"), html.Div(id="out")])

    @app.callback(
        Output("out", "children"),
        Input("go", "n_clicks"),
        background=True,
        prevent_initial_call=True,
    )
    def slow(n_clicks):
        time.sleep(0.3)
        return f"done {n_clicks}"

    return app


BODY = {
    "output": "out.children",
    "outputs": {"id": "out", "property": "children"},
    "inputs": [{"id": "go", "property": "n_clicks", "value": 1}],
    "state": [],
    "changedPropIds": ["go.n_clicks"],
}


def test_job_started_on_one_worker_is_collected_on_another(tmp_path, monkeypatch):
    monkeypatch.delenv("QUARTIERSATLAS_CELERY_BROKER", raising=False)
    worker_a = Client(make_worker(tmp_path / "jobs").server)
    worker_b = Client(make_worker(tmp_path / "jobs").server)
    page = worker_a.get("/").get_data(as_text=True)
    end_id = re.search(r'"end_id":\s*"([^"]+)"', page).group(1)
    started = worker_a.post("/_dash-update-component", query_string={"endId": end_id}, json=BODY)
    assert started.status_code == 200, started.get_data(as_text=True)
    handles = started.get_json()
    assert {"cacheKey", "job"} <= set(handles)
    deadline = time.monotonic() + 30
    result = None
    while time.monotonic() < deadline:
        polled = worker_b.post(
            "/_dash-update-component",
            query_string={"endId": end_id, "cacheKey": handles["cacheKey"], "job": handles["job"]},
            json=BODY,
        )
        assert polled.status_code in (200, 204), polled.get_data(as_text=True)
        data = json.loads(polled.get_data(as_text=True) or "{}")
        if "response" in data:
            result = data["response"]
            break
        time.sleep(0.1)
    assert result == {"out": {"children": "done 1"}}


def test_results_of_another_data_version_are_not_reused(tmp_path):
    old = background_callback_manager(jobs_dir=tmp_path / "jobs", data_version="v1")
    new = background_callback_manager(jobs_dir=tmp_path / "jobs", data_version="v2")

    def job(x):
        return x

    assert old.build_cache_key(job, [1], [], []) != new.build_cache_key(job, [1], [], [])
    same = background_callback_manager(jobs_dir=tmp_path / "jobs", data_version="v1")
    assert old.build_cache_key(job, [1], [], []) == same.build_cache_key(job, [1], [], [])
