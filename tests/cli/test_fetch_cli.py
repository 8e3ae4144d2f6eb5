"""Tests of ``quartiersatlas fetch`` against a local HTTP server on 127.0.0.1 (no internet)."""

from __future__ import annotations

import hashlib
import json

import fetch_server as fs  # tests/helpers/fetch_server.py (on sys.path via tests/conftest.py)
import pytest
from click.testing import CliRunner

from dashboard.cli import main
from layers.fetch import read_catalogue, sources_dir

Reply = fs.Reply
KARLSRUHE = sources_dir() / "karlsruhe.csv"
PFLEGEHEIME = "/server/rest/services/Stadtplan/Stadtplan_POIs_Senioren/MapServer/2/query"


@pytest.fixture
def server(monkeypatch):
    for name in (
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
    ):
        monkeypatch.delenv(name, raising=False)
    state, srv, thread = fs.start_server()
    state.routes["/server/rest/services/*"] = Reply(
        fs.GEOJSON_OK, content_type="application/geo+json"
    )
    state.routes["/datastore/dump/*"] = Reply(fs.CSV_OK, content_type="text/csv")
    state.routes["/dataset/*"] = Reply(fs.CSV_OK, content_type="text/csv")
    yield state
    fs.stop_server(state, srv, thread)


def run(*args: str):
    return CliRunner().invoke(main, ["fetch", *args])


def test_help_documents_the_options():
    result = run("--help")
    assert result.exit_code == 0
    for option in ("--out", "--only", "--keep-going", "--list", "--timeout", "--base-url"):
        assert option in result.output


def test_list_prints_the_catalogue_without_downloading():
    result = run("karlsruhe", "--list")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["id", "kind", "category", "format", "name"]
    assert len(lines) == 1 + len(read_catalogue(KARLSRUHE))
    assert any(line.split()[:3] == ["alter-75-bis-85", "population", "75_to_85"] for line in lines)
    only = run("karlsruhe", "--list", "--only", "senioren-tagespflege,alter-85-plus")
    assert [line.split()[0] for line in only.output.splitlines()] == [
        "id",
        "senioren-tagespflege",
        "alter-85-plus",
    ]


def test_fetch_writes_the_raw_folder(tmp_path, server):
    out = tmp_path / "raw"
    result = run("karlsruhe", "--out", str(out), "--base-url", server.url)
    assert result.exit_code == 0, result.output
    assert "fetched 26 of 26 source(s)" in result.stderr
    record = json.loads((out / "fetch.json").read_text(encoding="utf-8"))
    assert record["city"] == "karlsruhe"
    assert len(record["items"]) == 26
    for item in record["items"]:
        data = (out / item["path"]).read_bytes()
        assert item["status"] == "ok"
        assert item["sha256"] == hashlib.sha256(data).hexdigest()
        assert item["bytes"] == len(data)
    assert (out / "facilities/geoportal/senioren-pflegeheime.geojson").read_bytes() == fs.GEOJSON_OK
    assert (out / "population/transparenz/alter-85-plus.csv").read_bytes() == fs.CSV_OK


def test_only_limits_the_fetch(tmp_path, server):
    out = tmp_path / "raw"
    result = run(
        "karlsruhe",
        "--out",
        str(out),
        "--base-url",
        server.url,
        "--only",
        "alter-65-bis-75,alter-75-bis-85",
    )
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (out / "population" / "transparenz").iterdir()) == [
        "alter-65-bis-75.csv",
        "alter-75-bis-85.csv",
    ]
    assert len(server.requests) == 2


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        (
            Reply(b"Internal Server Error", status=500, content_type="text/plain"),
            "HTTP 500 Internal Server Error",
        ),
        (Reply(fs.GEOJSON_OK, delay_s=5.0), "timed out after 0.3 s"),
        (Reply(fs.HTML_PAGE, content_type="text/html"), "expected GeoJSON but got HTML"),
        (
            Reply(fs.GEOJSON_OK[:120], content_type="application/json"),
            "malformed JSON (Expecting ',' delimiter: line 1 column 120); "
            "the response looks truncated",
        ),
    ],
    ids=["http-500", "timeout", "html", "truncated-json"],
)
def test_failure_exits_1_with_url_and_reason_and_keeps_earlier_data(
    tmp_path, server, reply, reason
):
    out = tmp_path / "raw"
    first = run("karlsruhe", "--out", str(out), "--base-url", server.url)
    assert first.exit_code == 0, first.output
    before = fs.snapshot(out)

    server.routes[PFLEGEHEIME] = reply
    result = run("karlsruhe", "--out", str(out), "--base-url", server.url, "--timeout", "0.3")
    assert result.exit_code == 1
    assert f"Error: senioren-pflegeheime: {reason}" in result.stderr
    assert f"(url: {server.url}{PFLEGEHEIME}?where=GRUPPENNAME_DE" in result.stderr
    assert f"Nothing was written; {out} is unchanged." in result.stderr
    assert "Traceback" not in result.output
    assert fs.snapshot(out) == before


def test_keep_going_writes_the_rest_and_exits_1(tmp_path, server):
    out = tmp_path / "raw"
    server.routes[PFLEGEHEIME] = Reply(b"", status=502)
    result = run("karlsruhe", "--out", str(out), "--base-url", server.url, "--keep-going")
    assert result.exit_code == 1
    assert "fetched 25 of 26 source(s)" in result.stderr
    assert "failed: senioren-pflegeheime: HTTP 502 Bad Gateway" in result.stderr
    record = json.loads((out / "fetch.json").read_text(encoding="utf-8"))
    status = {item["id"]: item["status"] for item in record["items"]}
    assert status["senioren-pflegeheime"] == "failed"
    assert list(status.values()).count("ok") == 25
    assert not (out / "facilities/geoportal/senioren-pflegeheime.geojson").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["atlantis", "--list"], "no source catalogue for city 'atlantis'"),
        (
            ["karlsruhe", "--list", "--only", "pflege"],
            "unknown source id(s): pflege; valid: senioren-begegnungsstaetten",
        ),
        (
            ["karlsruhe", "--out", "OUT", "--base-url", "ftp:/x"],
            "base URL 'ftp:/x' must look like http://host",
        ),
    ],
)
def test_bad_arguments_exit_1_with_a_clear_message(tmp_path, args, message):
    args = [str(tmp_path / "raw") if arg == "OUT" else arg for arg in args]
    result = run(*args)
    assert result.exit_code == 1
    assert message in result.stderr
    assert not (tmp_path / "raw").exists()


def test_out_is_required_unless_listing():
    result = run("karlsruhe")
    assert result.exit_code == 2
    assert "--out DIR is required" in result.output


def test_fetch_into_a_source_folder_keeps_its_other_files(tmp_path, server):
    (tmp_path / "boundaries").mkdir()
    (tmp_path / "boundaries" / "stadtteile.geojson").write_text("{}", encoding="utf-8")
    result = run(
        "karlsruhe", "--out", str(tmp_path), "--base-url", server.url, "--only", "alter-85-plus"
    )
    assert result.exit_code == 0, result.output
    assert sorted(fs.snapshot(tmp_path)) == [
        "boundaries/stadtteile.geojson",
        "fetch.json",
        "population/transparenz/alter-85-plus.csv",
    ]


def test_custom_catalogue(tmp_path, server):
    catalogue = tmp_path / "mini.csv"
    lines = KARLSRUHE.read_text(encoding="utf-8").splitlines()
    catalogue.write_text("\n".join([lines[0], lines[3]]) + "\n", encoding="utf-8")
    out = tmp_path / "raw"
    result = run("mini", "--catalogue", str(catalogue), "--out", str(out), "--base-url", server.url)
    assert result.exit_code == 0, result.output
    record = json.loads((out / "fetch.json").read_text(encoding="utf-8"))
    assert record["city"] == "mini"
    assert [item["id"] for item in record["items"]] == ["senioren-pflegeheime"]
