"""``quartiersatlas import-osm``: summary, errors without traceback, output that validates."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
from click.testing import CliRunner, Result
from osm_extract import NE, write_city_extract  # tests/helpers/osm_extract.py (via conftest)
from pyproj import Transformer

from dashboard.cli import main
from layers.dataset import load_dataset
from layers.geocode import AddressIndex
from layers.network import read_lines

FIVE_CATEGORIES = "".join(
    f'[[categories]]\nid = "{cid}"\nlabel_de = "{de}"\nlabel_en = "{en}"\ncolour = "{colour}"\n\n'
    for cid, de, en, colour in (
        ("meeting", "Begegnung", "Meeting places", "#1b9e77"),
        ("counselling", "Beratung", "Counselling", "#d95f02"),
        ("care", "Versorgung und Pflege", "Care", "#7570b3"),
        ("participation", "Beteiligung und Engagement", "Participation", "#e7298a"),
        ("network", "Vernetzung", "Networks", "#66a61e"),
    )
)


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=True)


def test_import_prints_summary_and_output_validates(
    tmp_path: Path, grid_districts: gpd.GeoDataFrame, population_csv: str
) -> None:
    extract = write_city_extract(tmp_path / "city.osm")
    dataset = tmp_path / "city"
    dataset.mkdir()
    grid_districts.to_file(dataset / "districts.geojson")
    (dataset / "population.csv").write_text(population_csv, encoding="utf-8")

    result = run(
        "import-osm",
        str(extract),
        "--out",
        str(dataset / "osm"),
        "--districts",
        str(dataset / "districts.geojson"),
        "--no-progress",
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[:7] == [
        "facilities: 8",
        "  care: 3",
        "  counselling: 1",
        "  meeting: 2",
        "  network: 1",
        "  participation: 1",
        "  left out (no geometry): 1 relation of type site (not an area)",
    ]
    assert "unmapped: 4 (by tag, see unmapped.csv)" in lines
    assert "  amenity=bench: 2" in lines
    assert "network ways: 5" in lines and "addresses: 3" in lines

    snippet = (dataset / "osm" / "manifest-snippet.toml").read_text(encoding="utf-8")
    snippet = snippet.replace('path = "', 'path = "osm/')
    manifest = (
        '[metadata]\nname = "OSM-Test"\ncity = "Teststadt"\nmetric_crs = "EPSG:25832"\n\n'
        '[districts]\npath = "districts.geojson"\n\n'
        '[[population]]\npath = "population.csv"\n\n' + FIVE_CATEGORIES + snippet
    )
    (dataset / "dataset.toml").write_text(manifest, encoding="utf-8")
    validated = run("validate", "--strict", str(dataset))
    assert validated.exit_code == 0, validated.output
    loaded = load_dataset(dataset)
    assert sorted(loaded.facilities["category"].value_counts().items()) == [
        ("care", 3),
        ("counselling", 1),
        ("meeting", 2),
        ("network", 1),
        ("participation", 1),
    ]
    assert loaded.addresses is not None and len(loaded.addresses) == 3
    # the address search finds an imported address written the way people type it
    found = AddressIndex(loaded.addresses, prefer_city="Teststadt").lookup("kaiserstr. 5a")
    assert found.address == "Kaiserstraße 5 a, Teststadt"
    x, y = Transformer.from_crs("EPSG:4326", "EPSG:25832", always_xy=True).transform(*NE)
    assert (found.x, found.y) == pytest.approx((x, y), abs=0.2)
    assert loaded.network is not None and loaded.network.path.name == "network.geojson"
    lines = read_lines(loaded.network.path, crs=loaded.metadata.metric_crs)
    assert len(lines) == 5 and lines.length.sum() > 0


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    result = run("import-osm", str(tmp_path / "nope.osm.pbf"), "--out", str(tmp_path / "out"))
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "OSM extract" in result.stderr and "nope.osm.pbf does not exist" in result.stderr
    assert not (tmp_path / "out").exists()


def test_bad_mapping_names_file_and_key(tmp_path: Path) -> None:
    extract = write_city_extract(tmp_path / "city.osm")
    mapping = tmp_path / "mine.toml"
    mapping.write_text('[[rule]]\ncategory = "care"\nmatch = { amenity = 1 }\n', encoding="utf-8")
    result = run(
        "import-osm", str(extract), "--out", str(tmp_path / "out"), "--mapping", str(mapping)
    )
    assert result.exit_code == 1
    assert f"{mapping}: rule 1: match.amenity: value must be a string" in result.stderr
    assert not (tmp_path / "out").exists()
