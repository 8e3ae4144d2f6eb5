"""Flow: an invalid facilities upload shows row errors and changes nothing."""

from __future__ import annotations

from qa_browser import map_snapshot, wait_text

from dashboard import ids

BAD_CSV = """name,category,lat,lon
Treff am Markt,meeting,49.0094,8.4037
Ohne Kategorie,,49.0101,8.4050
Falsche Kategorie,kino,49.0110,8.4100
Kaputte Koordinate,meeting,abc,8.41
"""


def test_bad_upload_shows_row_errors_and_changes_nothing(dash_duo, make_app, karlsruhe, tmp_path):
    user_data = tmp_path / "userdata"
    dash_duo.start_server(make_app(user_data_dir=user_data))
    bad = tmp_path / "einrichtungen.csv"
    bad.write_text(BAD_CSV, encoding="utf-8")
    upload = dash_duo.wait_for_element(f"#{ids.UPLOAD} input[type='file']")
    upload.send_keys(str(bad))
    text = wait_text(dash_duo, f"#{ids.UPLOAD_RESULT}", "nicht übernommen")
    assert "Fehler" in text
    assert "row 5" in text and "abc" in text, text  # the row and the bad value are named
    # nothing changed: no saved file, no upload layer
    assert not (user_data / "uploads").exists() or not any((user_data / "uploads").iterdir())
    assert not [m for m in map_snapshot(dash_duo)["markers"] if m["kind"] == "upload"]
