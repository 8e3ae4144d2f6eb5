"""Upload caps: the zip bomb, the streamed unpack limit, the big upload, rows and vertices."""

from __future__ import annotations

import base64
import io
import json
import time
import tracemalloc
import zipfile

import pytest

from dashboard.callbacks import upload
from dashboard.callbacks.upload import UploadLimits, UploadRejected, extract_zip

LIMIT = 10 * 1024 * 1024
"""The app's default upload limit (10 MB)."""


def _folder_bytes(folder) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


@pytest.fixture(scope="module")
def zip_bomb() -> bytes:
    """A zip of about 1 MB whose .dbf unpacks to 1 GiB of zeros (honest headers)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("x.shp", b"\0" * 100)
        archive.writestr("x.shx", b"\0" * 100)
        archive.writestr("x.prj", b"")
        with archive.open("x.dbf", "w", force_zip64=True) as member:
            block = b"\0" * (1024 * 1024)
            for _ in range(1024):
                member.write(block)
    return buffer.getvalue()


def test_zip_bomb_is_rejected_without_writing_more_than_the_limit(zip_bomb, tmp_path):
    assert len(zip_bomb) < 1.5 * 1024 * 1024
    with pytest.raises(UploadRejected, match="too large unpacked") as info:
        extract_zip(zip_bomb, tmp_path, max_total_bytes=LIMIT)
    assert info.value.msg.key == "upload_zip_too_big"
    assert _folder_bytes(tmp_path) <= LIMIT


def test_zip_bomb_through_the_upload_names_no_path(zip_bomb, tiny_ctx):
    contents = "data:application/zip;base64," + base64.b64encode(zip_bomb).decode()
    start = time.process_time()
    result = upload.validate_upload(tiny_ctx, contents, "bombe.zip")
    assert time.process_time() - start < 1.0
    assert not result.ok
    text = upload.message_text(result.errors[0], "de")
    assert "entpackt zu groß" in text and "höchstens 10,0 MB" in text
    assert "qa-upload" not in text and "tmp" not in text


def test_the_stream_stops_at_the_budget_whatever_the_header_says(tmp_path):
    """A member larger than what is left is cut off before the budget is exceeded."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("x.dbf", b"\0" * (3 * 1024 * 1024))
    archive = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    target = tmp_path / "upload.dbf"
    with pytest.raises(UploadRejected, match="too large unpacked"):
        upload._copy_member(
            archive, archive.infolist()[0], target, budget=1024 * 1024, limit=2 * 1024 * 1024
        )
    assert target.stat().st_size <= 1024 * 1024


def test_members_count_together(tmp_path):
    """Five parts of 3 MB each pass one by one but not together (15 MB > 10 MB)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for ext in (".shp", ".shx", ".dbf", ".prj", ".cpg"):
            archive.writestr("x" + ext, b"\0" * (3 * 1024 * 1024))
    with pytest.raises(UploadRejected, match=r"at most 10\.0 MB"):
        extract_zip(buffer.getvalue(), tmp_path, max_total_bytes=LIMIT)
    assert _folder_bytes(tmp_path) <= LIMIT


def _csv_upload(rows: int) -> str:
    body = "name,category,lat,lon\n" + "".join(
        f"Einrichtung {i},care,49.0{i % 10},8.40{i % 7}\n" for i in range(rows)
    )
    return "data:text/csv;base64," + base64.b64encode(body.encode()).decode()


def test_big_upload_over_the_byte_limit_is_refused_before_decoding(tiny_ctx):
    """An 11 MB body is refused from its length: fast, and without decoding it."""
    contents = "data:text/csv;base64," + "QUFB" * (11 * 1024 * 1024 // 3)
    tracemalloc.start()
    start = time.process_time()
    result = upload.validate_upload(tiny_ctx, contents, "gross.csv")
    cpu = time.process_time() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert not result.ok and result.errors[0].startswith("too_big:")
    assert cpu < 1.0
    assert peak < 1024 * 1024  # nothing of the body was copied
    text = json.dumps(
        upload.result_children(tiny_ctx, result, "en"),
        cls=__import__("plotly").utils.PlotlyJSONEncoder,
    )
    assert "too large" in text and "at most 10 MB" in text


def test_big_upload_under_the_byte_limit_is_refused_by_its_rows(tiny_ctx):
    """A 1.3 MB CSV of 40,000 rows passes the byte limit but not the row cap (20,000)."""
    contents = _csv_upload(40_000)
    start = time.process_time()
    result = upload.validate_upload(tiny_ctx, contents, "liste.csv")
    assert time.process_time() - start < 1.0
    assert not result.ok
    assert result.errors[0].key == "upload_too_many_rows"
    assert upload.message_text(result.errors[0], "de") == (
        "Die Datei hat 40.000 Zeilen; höchstens 20.000 sind erlaubt. Bitte aufteilen."
    )


def test_row_cap_is_configurable(tiny_ctx):
    limits = UploadLimits(max_bytes=LIMIT, max_rows=5, max_vertices=100)
    result = upload.validate_upload(tiny_ctx, _csv_upload(6), "liste.csv", limits=limits)
    assert result.errors[0].key == "upload_too_many_rows"
    result = upload.validate_upload(tiny_ctx, _csv_upload(5), "liste.csv", limits=limits)
    assert not result.errors or result.errors[0].key != "upload_too_many_rows"


def test_geojson_vertex_cap_before_parsing(tiny_ctx):
    """A 300,000-vertex polygon (about 7 MB) is refused by counting, not by parsing it."""
    ring = [[8.4 + (i % 1000) * 1e-5, 49.0 + (i // 1000) * 1e-5] for i in range(300_000)]
    ring.append(ring[0])
    feature = {
        "type": "Feature",
        "properties": {"name": "Riesig", "category": "care"},
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }
    text = json.dumps({"type": "FeatureCollection", "features": [feature]})
    assert len(text) < LIMIT
    contents = "data:application/geo+json;base64," + base64.b64encode(text.encode()).decode()
    tracemalloc.start()
    start = time.process_time()
    result = upload.validate_upload(tiny_ctx, contents, "gebiet.geojson")
    cpu = time.process_time() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert result.errors[0].key == "upload_too_many_vertices"
    assert "100,000" in upload.message_text(result.errors[0], "en")
    assert cpu < 1.0
    assert peak < 200 * 1024 * 1024


def test_gpkg_rows_are_counted_from_its_metadata(tiny_ctx, tmp_path):
    import geopandas as gpd
    import shapely

    frame = gpd.GeoDataFrame(
        {"name": [f"F{i}" for i in range(30)], "category": ["care"] * 30},
        geometry=[shapely.Point(456_300 + i, 5_428_300) for i in range(30)],
        crs="EPSG:25832",
    )
    frame.to_file(tmp_path / "f.gpkg", driver="GPKG")
    contents = (
        "data:application/geopackage+sqlite3;base64,"
        + base64.b64encode((tmp_path / "f.gpkg").read_bytes()).decode()
    )
    limits = UploadLimits(max_bytes=LIMIT, max_rows=20, max_vertices=1000)
    result = upload.validate_upload(tiny_ctx, contents, "f.gpkg", limits=limits)
    assert result.errors[0].key == "upload_too_many_rows", result.errors
    assert result.errors[0].values["n"] == 30
