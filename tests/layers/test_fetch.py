"""Tests of layers.fetch against a local HTTP server on 127.0.0.1 (no internet)."""

from __future__ import annotations

import csv
import hashlib
import json
import os
from datetime import datetime
from pathlib import Path

import fetch_server as fs  # tests/helpers/fetch_server.py (on sys.path via tests/conftest.py)
import pytest
import requests

from layers.errors import FetchError, LayersError, SourceCatalogueError, StoreError
from layers.fetch import (
    CATALOGUE_COLUMNS,
    FETCH_RECORD,
    Source,
    catalogue_path,
    fetch_sources,
    read_catalogue,
    rewrite_base_url,
    select_sources,
    sources_dir,
    validate_csv,
    validate_geojson,
)

Reply = fs.Reply

KARLSRUHE = sources_dir() / "karlsruhe.csv"


@pytest.fixture
def server():
    state, srv, thread = fs.start_server()
    yield state
    fs.stop_server(state, srv, thread)


@pytest.fixture
def session():
    with requests.Session() as http:
        http.trust_env = False  # never route 127.0.0.1 through a proxy from the environment
        yield http


def write_catalogue(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=CATALOGUE_COLUMNS, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow(row)
    return path


def row(id_: str, kind: str, url: str, category: str = "care") -> dict[str, str]:
    return {
        "id": id_,
        "kind": kind,
        "name": f"Testquelle {id_}",
        "format": "geojson" if kind == "facilities" else "csv",
        "url": url,
        "category": category,
        "subcategory": "Pflegeheim" if kind == "facilities" else "",
        "licence": "dl-de/by-2-0",
        "attribution": "Testanbieter",
    }


@pytest.fixture
def small_catalogue(tmp_path, server):
    """Two sources on the fixture server: one facility layer, one population table."""
    server.routes["/geo/pflegeheime"] = Reply(fs.GEOJSON_OK, content_type="application/json")
    server.routes["/tp/65-75.csv"] = Reply(fs.CSV_OK, content_type="text/csv")
    return write_catalogue(
        tmp_path / "testcity.csv",
        [
            row("pflegeheime", "facilities", f"{server.url}/geo/pflegeheime?f=geojson"),
            row("alter-65-bis-75", "population", f"{server.url}/tp/65-75.csv", "65_to_75"),
        ],
    )


# --- the bundled catalogue ---------------------------------------------------------------


def test_bundled_karlsruhe_catalogue_reads_and_covers_the_needed_layers():
    sources = read_catalogue(catalogue_path("karlsruhe"))
    by_id = {s.id: s for s in sources}
    assert len(sources) == 26
    facilities = [s for s in sources if s.kind == "facilities"]
    population = [s for s in sources if s.kind == "population"]
    assert {s.category for s in facilities} == {
        "meeting",
        "care",
        "counselling",
        "youth",
        "participation",
    }
    assert by_id["senioren-pflegeheime"].category == "care"
    assert by_id["senioren-begegnungsstaetten"].category == "meeting"
    groups = {s.category for s in population}
    assert {"total", "65_to_75", "75_to_85", "85_plus", "65_plus"} <= groups
    for source in facilities:
        assert source.url.startswith("https://geoportal.karlsruhe.de/server/rest/services/")
        assert source.url.endswith("&f=geojson")
        assert source.path.as_posix() == f"facilities/geoportal/{source.id}.geojson"
    for source in population:
        assert source.url.startswith("https://transparenz.karlsruhe.de/")
        assert source.path.as_posix() == f"population/transparenz/{source.id}.csv"
    # the original URLs are kept exactly, including the unescaped umlaut of the geoportal query
    assert "%27Begegnungsstätten%27" in by_id["senioren-begegnungsstaetten"].url
    assert all(s.licence and s.attribution for s in sources)


def test_catalogue_path_unknown_city_lists_the_available_ones():
    with pytest.raises(
        SourceCatalogueError, match=r"no source catalogue for city 'atlantis'.*karlsruhe"
    ):
        catalogue_path("atlantis")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"kind": "schools"}, r"line 2: kind 'schools' is unknown; valid: facilities, population"),
        (
            {"format": "csv"},
            r"line 2: format 'csv' does not fit kind 'facilities'; expected 'geojson'",
        ),
        ({"url": "ftp://example.org/x"}, r"line 2: url 'ftp://example.org/x' is not http\(s\)"),
        ({"id": "Pflege Heime"}, r"line 2: id 'Pflege Heime' is not a slug"),
        ({"category": ""}, r"line 2: category is empty"),
    ],
)
def test_read_catalogue_rejects_bad_rows(tmp_path, change, message):
    bad = {**row("pflegeheime", "facilities", "https://example.org/a?f=geojson"), **change}
    path = write_catalogue(tmp_path / "c.csv", [bad])
    with pytest.raises(SourceCatalogueError, match=message):
        read_catalogue(path)


def test_read_catalogue_rejects_repeated_ids_and_missing_columns(tmp_path):
    entry = row("pflegeheime", "facilities", "https://example.org/a?f=geojson")
    path = write_catalogue(tmp_path / "c.csv", [entry, entry])
    with pytest.raises(SourceCatalogueError, match=r"line 3: id 'pflegeheime' is repeated"):
        read_catalogue(path)
    (tmp_path / "d.csv").write_text("id,kind,url\na,facilities,https://x\n", encoding="utf-8")
    with pytest.raises(SourceCatalogueError, match=r"missing column\(s\) name, format, category"):
        read_catalogue(tmp_path / "d.csv")
    with pytest.raises(SourceCatalogueError, match="not found"):
        read_catalogue(tmp_path / "nope.csv")


def test_select_sources_keeps_catalogue_order_and_names_unknown_ids():
    sources = read_catalogue(KARLSRUHE)
    picked = select_sources(sources, ["alter-85-plus", "senioren-tagespflege"])
    assert [s.id for s in picked] == ["senioren-tagespflege", "alter-85-plus"]
    with pytest.raises(
        SourceCatalogueError, match=r"unknown source id\(s\): pflege; valid: senioren-"
    ):
        select_sources(sources, ["pflege"])


def test_rewrite_base_url_replaces_scheme_and_host_only():
    url = "https://geoportal.karlsruhe.de/server/q?where=A+%3D+%27Bürgervereine%27&f=geojson"
    assert rewrite_base_url(url, None) == url
    assert (
        rewrite_base_url(url, "http://127.0.0.1:8123")
        == "http://127.0.0.1:8123/server/q?where=A+%3D+%27Bürgervereine%27&f=geojson"
    )
    assert rewrite_base_url(url, "http://mirror:1/ka/").startswith("http://mirror:1/ka/server/q?")
    with pytest.raises(SourceCatalogueError, match="base URL 'mirror' must look like"):
        rewrite_base_url(url, "mirror")


# --- response checks ---------------------------------------------------------------------


def test_validate_geojson_accepts_points_and_counts_features():
    assert validate_geojson(fs.GEOJSON_OK) == 2
    doc = json.loads(fs.GEOJSON_OK)
    doc["features"][1]["geometry"] = None  # no coordinates: kept, reported later by the builder
    assert validate_geojson(json.dumps(doc).encode()) == 2
    utm = {
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::25832"}},
        "features": [
            {
                "type": "Feature",
                "properties": {},
                "geometry": {"type": "Point", "coordinates": [456000.0, 5430000.0]},
            }
        ],
    }
    assert validate_geojson(json.dumps(utm).encode()) == 1


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (fs.HTML_PAGE, r"expected GeoJSON but got HTML \(starts with '<!DOCTYPE html>"),
        (
            fs.GEOJSON_OK[:150],
            r"malformed JSON \(.*: line 1 column \d+\); the response looks truncated",
        ),
        (b"", r"the response is empty \(expected GeoJSON\)"),
        (b"\xff\xfe\x00garbage", r"not text in utf-8-sig"),
        (b"[1, 2]", r"expected a GeoJSON FeatureCollection, got a JSON list"),
        (b'{"type": "Feature", "geometry": null}', r"got type 'Feature'"),
        (
            b'{"error": {"code": 400, "message": "Invalid or missing input parameters.", "details": []}}',
            r"server returned error 400: Invalid or missing input parameters\.",
        ),
        (
            b'{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}, '
            b'"geometry": {"type": "LineString", "coordinates": [[8.4, 49.0], [8.5, 49.1]]}}]}',
            r"feature 1 has geometry type 'LineString', expected 'Point'",
        ),
        (
            b'{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}, '
            b'"geometry": {"type": "Point", "coordinates": [456000.0, 5430000.0]}}]}',
            r"feature 1 has coordinates \[456000.0, 5430000.0\] outside longitude/latitude",
        ),
        (
            b'{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}, '
            b'"geometry": {"type": "Point", "coordinates": ["8.4", 49.0]}}]}',
            r"feature 1 has invalid point coordinates",
        ),
        (
            b'{"type": "FeatureCollection", "features": [], "properties": {"exceededTransferLimit": true}}',
            r"cut the result off at its record limit",
        ),
    ],
)
def test_validate_geojson_rejects_malformed_responses(body, message):
    with pytest.raises(FetchError, match=message) as info:
        validate_geojson(body)
    assert info.value.reason is not None


def test_malformed_but_complete_json_is_not_called_truncated():
    with pytest.raises(FetchError, match=r"malformed JSON \(Expecting value: line 1 column 44\)$"):
        validate_geojson(b'{"type": "FeatureCollection", "features": [,]}')


def test_validate_csv_accepts_transparenzportal_tables():
    assert validate_csv(fs.CSV_OK) == 3
    plain = b'"Stadtteil","Jahr","Personen"\r\n"Innenstadt-Ost","2021",310\r\n'
    assert validate_csv(plain) == 1
    cp1252 = "Stadtteilname;Jahr;Männer\nSüdstadt;2021;1\n".encode("cp1252")
    assert validate_csv(cp1252) == 1


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (fs.HTML_PAGE, r"expected CSV but got HTML"),
        (b"  \n", r"the response is empty \(expected CSV\)"),
        (
            b'"Bezirk","Jahr"\n"A","2021"\n',
            r"the CSV header has no Stadtteil column \(columns: 'Bezirk', 'Jahr'\)",
        ),
        (b'"Stadtteil","Jahr"\r\n', r"the CSV has a header but no data rows"),
    ],
)
def test_validate_csv_rejects_malformed_responses(body, message):
    with pytest.raises(FetchError, match=message):
        validate_csv(body)


# --- fetching ----------------------------------------------------------------------------


def test_fetch_writes_the_layout_and_fetch_json(tmp_path, small_catalogue, session):
    out = tmp_path / "raw"
    report = fetch_sources(small_catalogue, out, session=session)

    geo = out / "facilities" / "geoportal" / "pflegeheime.geojson"
    table = out / "population" / "transparenz" / "alter-65-bis-75.csv"
    assert geo.read_bytes() == fs.GEOJSON_OK  # bytes unchanged
    assert table.read_bytes() == fs.CSV_OK  # BOM and CRLF kept
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == [
        "facilities/geoportal/pflegeheime.geojson",
        FETCH_RECORD,
        "population/transparenz/alter-65-bis-75.csv",
    ]
    record = json.loads((out / FETCH_RECORD).read_text(encoding="utf-8"))
    assert record["city"] == "testcity"
    assert datetime.fromisoformat(record["fetched_at"]).tzinfo is not None
    first, second = record["items"]
    assert first == {
        "id": "pflegeheime",
        "kind": "facilities",
        "url": small_catalogue_url(small_catalogue, "pflegeheime"),
        "path": "facilities/geoportal/pflegeheime.geojson",
        "sha256": hashlib.sha256(fs.GEOJSON_OK).hexdigest(),
        "bytes": len(fs.GEOJSON_OK),
        "category": "care",
        "subcategory": "Pflegeheim",
        "licence": "dl-de/by-2-0",
        "attribution": "Testanbieter",
        "status": "ok",
        "error": None,
        "records": 2,
    }
    assert second["sha256"] == hashlib.sha256(table.read_bytes()).hexdigest()
    assert (second["category"], second["records"], second["bytes"]) == (
        "65_to_75",
        3,
        len(fs.CSV_OK),
    )
    assert [item.id for item in report.ok] == ["pflegeheime", "alter-65-bis-75"]
    assert report.failed == ()
    assert report.to_dict() == record
    # no temporary sibling folders left behind
    assert sorted(p.name for p in tmp_path.iterdir()) == ["raw", "testcity.csv"]


def small_catalogue_url(catalogue: Path, id_: str) -> str:
    return next(s.url for s in read_catalogue(catalogue) if s.id == id_)


def test_fetch_bundled_catalogue_through_a_mirror(tmp_path, server, session):
    server.routes["/server/rest/services/*"] = Reply(
        fs.GEOJSON_OK, content_type="application/geo+json"
    )
    server.routes["/datastore/dump/*"] = Reply(fs.CSV_OK, content_type="text/csv")
    server.routes["/dataset/*"] = Reply(fs.CSV_OK, content_type="text/csv")
    out = tmp_path / "raw"
    report = fetch_sources(KARLSRUHE, out, base_url=server.url, session=session)

    assert len(report.ok) == 26
    assert report.city == "karlsruhe"
    record = json.loads((out / FETCH_RECORD).read_text(encoding="utf-8"))
    catalogue = {s.id: s for s in read_catalogue(KARLSRUHE)}
    for item in record["items"]:
        assert item["url"] == catalogue[item["id"]].url  # the official URL is recorded
        assert item["requested_url"].startswith(server.url)
        assert (out / item["path"]).is_file()
    # the query string reached the server intact, the umlaut percent-encoded as UTF-8
    assert (
        "/server/rest/services/Stadtplan/Stadtplan_POIs_Senioren/MapServer/0/query?"
        "where=GRUPPENNAME_DE+%3D+%27Begegnungsst%C3%A4tten%27&outFields=NAME%2CGRUPPENNAME_DE"
        "%2CUPDATED&returnGeometry=true&f=geojson"
    ) in server.requests
    assert any(
        path.startswith("/datastore/dump/ea8303b4-") and path.endswith("?bom=True")
        for path in server.requests
    )


FAILURES = {
    "http-500": (
        Reply(b"Internal Server Error", status=500, content_type="text/plain"),
        r"HTTP 500 Internal Server Error",
    ),
    "timeout": (Reply(fs.GEOJSON_OK, delay_s=5.0), r"timed out after 0\.3 s"),
    "html": (Reply(fs.HTML_PAGE, content_type="text/html"), r"expected GeoJSON but got HTML"),
    "truncated-json": (
        Reply(fs.GEOJSON_OK[:200], content_type="application/json"),
        r"malformed JSON .*looks truncated",
    ),
    "connection-cut": (
        Reply(fs.GEOJSON_OK[:200], declared_length=len(fs.GEOJSON_OK)),
        rf"the response ended early: received 200 of {len(fs.GEOJSON_OK)} bytes",
    ),
    "not-found": (Reply(b"", status=404), r"HTTP 404 Not Found"),
}


@pytest.mark.parametrize("failure", sorted(FAILURES))
def test_failed_download_names_url_and_reason_and_leaves_earlier_data(
    tmp_path, small_catalogue, server, session, failure
):
    out = tmp_path / "raw"
    fetch_sources(small_catalogue, out, session=session)  # an earlier, good fetch
    before = fs.snapshot(out)

    reply, reason = FAILURES[failure]
    server.routes["/geo/pflegeheime"] = reply
    with pytest.raises(FetchError, match=reason) as info:
        fetch_sources(small_catalogue, out, session=session, timeout_s=0.3)

    error = info.value
    assert error.item_id == "pflegeheime"
    assert error.url == f"{server.url}/geo/pflegeheime?f=geojson"
    assert str(error).startswith("pflegeheime: ")
    assert f"(url: {server.url}/geo/pflegeheime?f=geojson)" in str(error)
    assert fs.snapshot(out) == before  # byte-identical
    assert sorted(p.name for p in tmp_path.iterdir()) == ["raw", "testcity.csv"]


def test_connection_refused_is_reported(tmp_path, small_catalogue, session):
    with pytest.raises(
        FetchError, match=r"connection failed \(.*refused.*\) \(url: http://127\.0\.0\.1:9/"
    ):
        fetch_sources(
            small_catalogue, tmp_path / "raw", session=session, base_url="http://127.0.0.1:9"
        )
    assert not (tmp_path / "raw").exists()


def test_malformed_csv_fails_the_fetch(tmp_path, small_catalogue, server, session):
    server.routes["/tp/65-75.csv"] = Reply(b'"Bezirk","Jahr"\n"A","2021"\n')
    with pytest.raises(
        FetchError, match=r"alter-65-bis-75: the CSV header has no Stadtteil column"
    ):
        fetch_sources(small_catalogue, tmp_path / "raw", session=session)
    assert not (tmp_path / "raw").exists()


def test_keep_going_writes_successes_and_records_failures(
    tmp_path, small_catalogue, server, session
):
    out = tmp_path / "raw"
    server.routes["/geo/pflegeheime"] = Reply(b"oops", status=503)
    report = fetch_sources(small_catalogue, out, session=session, keep_going=True)

    assert [item.id for item in report.ok] == ["alter-65-bis-75"]
    assert [item.id for item in report.failed] == ["pflegeheime"]
    record = json.loads((out / FETCH_RECORD).read_text(encoding="utf-8"))
    failed = record["items"][0]
    assert failed["status"] == "failed"
    assert failed["error"] == "HTTP 503 Service Unavailable: oops"
    assert failed["path"] is None and failed["sha256"] is None and failed["bytes"] is None
    assert not (out / "facilities").exists()
    assert (out / "population" / "transparenz" / "alter-65-bis-75.csv").read_bytes() == fs.CSV_OK


def test_keep_going_with_nothing_fetched_replaces_nothing(
    tmp_path, small_catalogue, server, session
):
    out = tmp_path / "raw"
    fetch_sources(small_catalogue, out, session=session)
    before = fs.snapshot(out)
    server.routes["/geo/pflegeheime"] = Reply(b"", status=500)
    server.routes["/tp/65-75.csv"] = Reply(fs.HTML_PAGE, content_type="text/html")
    with pytest.raises(
        FetchError,
        match=r"all 2 download\(s\) failed:\n  pflegeheime: HTTP 500.*\n  alter-65-bis-75: expected CSV but got HTML",
    ):
        fetch_sources(small_catalogue, out, session=session, keep_going=True)
    assert fs.snapshot(out) == before


def test_only_fetches_the_named_sources(tmp_path, small_catalogue, server, session):
    out = tmp_path / "raw"
    report = fetch_sources(small_catalogue, out, session=session, only=["alter-65-bis-75"])
    assert [item.id for item in report.items] == ["alter-65-bis-75"]
    assert server.requests == ["/tp/65-75.csv"]
    assert not (out / "facilities").exists()


def make_source_folder(root: Path) -> Path:
    """A raw source folder as build-dataset reads it, with an earlier fetch inside."""
    (root / "boundaries").mkdir(parents=True)
    (root / "boundaries" / "stadtteile.geojson").write_bytes(b'{"type": "FeatureCollection"}')
    (root / "facilities").mkdir()
    (root / "facilities" / "sozialeinrichtungen.csv").write_bytes(b"id,name\nka-0001,A\n")
    (root / "facilities" / "geoportal").mkdir()
    (root / "facilities" / "geoportal" / "stale-layer.geojson").write_bytes(b"{}")
    (root / "population").mkdir()
    (root / "population" / "einwohner.csv").write_bytes(b'"Stadtteil","Jahr"\n')
    (root / FETCH_RECORD).write_text('{"items": []}', encoding="utf-8")
    return root


def test_fetch_into_a_source_folder_replaces_only_its_own_entries(
    tmp_path, small_catalogue, session
):
    source = make_source_folder(tmp_path / "source")
    report = fetch_sources(small_catalogue, source, session=session)

    assert fs.snapshot(source) == {
        "boundaries/stadtteile.geojson": b'{"type": "FeatureCollection"}',
        "facilities/geoportal/pflegeheime.geojson": fs.GEOJSON_OK,
        "facilities/sozialeinrichtungen.csv": b"id,name\nka-0001,A\n",
        FETCH_RECORD: (source / FETCH_RECORD).read_bytes(),
        "population/einwohner.csv": b'"Stadtteil","Jahr"\n',
        "population/transparenz/alter-65-bis-75.csv": fs.CSV_OK,
    }
    assert json.loads((source / FETCH_RECORD).read_text(encoding="utf-8")) == report.to_dict()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["source", "testcity.csv"]


@pytest.mark.parametrize("keep_going", [False, True])
def test_failed_fetch_into_a_source_folder_changes_nothing(
    tmp_path, small_catalogue, server, session, keep_going
):
    source = make_source_folder(tmp_path / "source")
    before = fs.snapshot(source)
    server.routes["/geo/pflegeheime"] = Reply(b"", status=500)
    server.routes["/tp/65-75.csv"] = Reply(b"", status=500)
    with pytest.raises(FetchError, match="HTTP 500"):
        fetch_sources(small_catalogue, source, session=session, keep_going=keep_going)
    assert fs.snapshot(source) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["source", "testcity.csv"]


def test_swap_into_a_source_folder_is_undone_when_a_move_fails(
    tmp_path, small_catalogue, session, monkeypatch
):
    source = make_source_folder(tmp_path / "source")
    before = fs.snapshot(source)
    real_replace = os.replace
    failures = []

    def failing_replace(src, dst):
        # the first move of the new fetch.json into place fails; the moves that undo work
        if Path(src).parent.name.startswith(".source.fetch-") and Path(src).name == FETCH_RECORD:
            failures.append(src)
            raise OSError(28, "No space left on device")
        return real_replace(src, dst)

    monkeypatch.setattr("layers.fetch.os.replace", failing_replace)
    with pytest.raises(OSError, match="No space left"):
        fetch_sources(small_catalogue, source, session=session)
    assert len(failures) == 1
    assert fs.snapshot(source) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["source", "testcity.csv"]


def test_out_dir_must_not_be_a_file(tmp_path, small_catalogue, session, server):
    a_file = tmp_path / "file.txt"
    a_file.write_text("x", encoding="utf-8")
    with pytest.raises(StoreError, match="exists and is not a folder"):
        fetch_sources(small_catalogue, a_file, session=session)
    assert server.requests == []  # checked before any download


def test_an_empty_existing_folder_is_filled(tmp_path, small_catalogue, session):
    out = tmp_path / "raw"
    out.mkdir()
    fetch_sources(small_catalogue, out, session=session)
    assert (out / FETCH_RECORD).is_file()


def test_injected_session_is_used_and_left_open(tmp_path, small_catalogue):
    class RecordingSession(requests.Session):
        def __init__(self) -> None:
            super().__init__()
            self.trust_env = False
            self.seen: list[tuple[str, float, str]] = []

        def get(self, url, **kwargs):
            agent = kwargs.get("headers", {}).get("User-Agent", "")
            self.seen.append((url, kwargs.get("timeout"), agent))
            return super().get(url, **kwargs)

    with RecordingSession() as http:
        fetch_sources(small_catalogue, tmp_path / "raw", session=http, timeout_s=7)
        assert [(t, ua.split("/")[0]) for _, t, ua in http.seen] == [(7, "quartiersatlas")] * 2
        assert http.get(small_catalogue_url(small_catalogue, "pflegeheime")).status_code == 200


def test_entries_need_a_city(tmp_path):
    entry = Source(**row("pflegeheime", "facilities", "https://example.org/a?f=geojson"))
    with pytest.raises(SourceCatalogueError, match="city is required"):
        fetch_sources([entry], tmp_path / "raw")


def test_fetch_errors_are_layers_errors():
    assert issubclass(FetchError, LayersError) and issubclass(FetchError, RuntimeError)
    assert issubclass(SourceCatalogueError, ValueError)


SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
SHARED_KARLSRUHE = SHARED_DATA / "karlsruhe"


@pytest.mark.skipif(not SHARED_KARLSRUHE.exists(), reason="shared Karlsruhe raw data not available")
def test_fetched_files_are_accepted_by_build_dataset(tmp_path, server, session):
    """The raw-folder contract: fetch into a copy of the source folder, then build from it."""
    import shutil

    from layers.build import build_dataset

    source = tmp_path / "source"
    shutil.copytree(SHARED_KARLSRUHE, source)
    # a real Transparenzportal table per Stadtteil (27 × 2007–2021) stands in for the 85+ series
    table = (
        SHARED_KARLSRUHE
        / "population"
        / "altersstruktur-der-bevolkerung-unter-3-jahrige-nach-geschlecht.csv"
    ).read_bytes()
    server.routes["/server/rest/services/*"] = Reply(fs.GEOJSON_OK)
    server.routes["/datastore/dump/*"] = Reply(table)
    fetch_sources(
        KARLSRUHE,
        source,
        base_url=server.url,
        session=session,
        only=["senioren-pflegeheime", "alter-85-plus"],
    )
    assert (source / "boundaries" / "stadtteile_27_stadt_karlsruhe.geojson").is_file()

    build_dataset("karlsruhe", source=source, out=tmp_path / "out")

    with (tmp_path / "out" / "facilities.csv").open(encoding="utf-8", newline="") as handle:
        fetched = [r for r in csv.DictReader(handle) if r["id"].startswith("senioren-pflegeheime")]
    assert [(r["name"], r["category"], r["lat"], r["lon"]) for r in fetched] == [
        ("Testeinrichtung A", "care", "49.006900", "8.403700"),
        ("Testeinrichtung B", "care", "48.998500", "8.466200"),
    ]
    with (tmp_path / "out" / "population.csv").open(encoding="utf-8", newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r["group"] == "85_plus"]
    assert len(rows) == 27 * 15
