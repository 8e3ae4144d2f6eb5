"""CLI contract of `quartiersatlas coverage`, `nearby` and `site` (issue 4)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from dashboard.cli import main

ORIGIN_X, ORIGIN_Y = 455_000.0, 5_425_000.0

FACILITIES_NO_CARE = f"""name,category,subcategory,address,x,y
Treff Nordwest,meeting,Begegnungsstätte,Weg 1,{ORIGIN_X + 500},{ORIGIN_Y + 1500}
Beratung Nordost,counselling,,Weg 2,{ORIGIN_X + 1500},{ORIGIN_Y + 1500}
"""

ADDRESSES = f"""address,x,y
"Rheinstraße 12, 76185 Teststadt",{ORIGIN_X + 450},{ORIGIN_Y + 1450}
"Kaiserstraße 3, 76131 Teststadt",{ORIGIN_X + 1900},{ORIGIN_Y + 100}
"""

EXTRA = """
[addresses]
path = "addresses.csv"
crs = "EPSG:25832"

[network]
path = "network.geojson"
approximate = true
note = "Testnetz"
"""


def street_grid_geojson(step: float = 100.0, n: int = 21) -> str:
    """A 2 km × 2 km Manhattan street grid over the four test districts, EPSG:25832."""
    features = []
    for i in range(n):
        c = i * step
        for coords in (
            [[ORIGIN_X, ORIGIN_Y + c], [ORIGIN_X + (n - 1) * step, ORIGIN_Y + c]],
            [[ORIGIN_X + c, ORIGIN_Y], [ORIGIN_X + c, ORIGIN_Y + (n - 1) * step]],
        ):
            # split at every crossing so the lines share vertices
            pts = [
                [
                    coords[0][0] + (coords[1][0] - coords[0][0]) * k / (n - 1),
                    coords[0][1] + (coords[1][1] - coords[0][1]) * k / (n - 1),
                ]
                for k in range(n)
            ]
            features.append(
                {
                    "type": "Feature",
                    "properties": {},
                    "geometry": {"type": "LineString", "coordinates": pts},
                }
            )
    return json.dumps(
        {
            "type": "FeatureCollection",
            "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::25832"}},
            "features": features,
        }
    )


@pytest.fixture(autouse=True)
def _cache_in_tmp(tmp_path, monkeypatch):
    """Keep built network graphs out of the home folder."""
    monkeypatch.setenv("QUARTIERSATLAS_CACHE", str(tmp_path / "cache"))


@pytest.fixture
def data(tmp_path, grid_districts, write_dataset, population_csv, minimal_manifest) -> Path:
    """The 2×2 grid dataset with addresses, a street-grid network and no care facility."""
    return write_dataset(
        tmp_path / "grid",
        minimal_manifest + EXTRA,
        {
            "districts.geojson": grid_districts,
            "facilities.csv": FACILITIES_NO_CARE,
            "population.csv": population_csv,
            "addresses.csv": ADDRESSES,
            "network.geojson": street_grid_geojson(),
        },
    )


def run(*args: object):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_coverage_csv_contract(data):
    result = run("coverage", "--data", data, "--category", "all", "--radius", 500)
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "category,area_id,area_name,residents,covered,share"
    table = rows(result.stdout)
    assert len(table) == 5 * 5  # the five default dimensions × (4 districts + ALL)
    assert [r["area_id"] for r in table[:5]] == ["0101", "0102", "0201", "0202", "ALL"]
    assert table[4]["area_name"] == "Teststadt"
    # 100 fallback grid points per district; 80 within 500 m of the facility at its centre
    assert table[0] == {
        "category": "meeting",
        "area_id": "0101",
        "area_name": "Nordwest",
        "residents": "150.0",
        "covered": "120.0",
        "share": "0.8000",
    }
    assert table[4]["covered"] == "120.0" and table[4]["share"] == "0.1091"
    care = [r for r in table if r["category"] == "care"]
    assert {r["share"] for r in care} == {"0.0000"}
    assert "category 'care' has no located facilities" in result.stderr


def test_coverage_year_group_and_json(data):
    result = run(
        "coverage",
        "--data",
        data,
        "--category",
        "meeting",
        "--radius",
        500,
        "--year",
        2021,
        "--group",
        "65_plus",
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["radius_m"] == 500 and payload["group"] == "65_plus" and payload["year"] == 2021
    assert payload["rows"][0] == {
        "category": "meeting",
        "area_id": "0101",
        "area_name": "Nordwest",
        "residents": 10.0,
        "covered": 8.0,
        "share": 0.8,
    }
    older = rows(run("coverage", "--data", data, "--category", "meeting", "--year", 2020).stdout)
    assert older[0]["residents"] == "100.0"


def test_coverage_out_file_and_detour_factor(data, tmp_path):
    out = tmp_path / "out" / "coverage.csv"
    result = run(
        "coverage",
        "--data",
        data,
        "--category",
        "meeting",
        "--radius",
        500,
        "--detour-factor",
        1.25,
        "--out",
        out,
    )
    assert result.exit_code == 0, result.stderr
    assert "detour factor of 1.25" in result.stderr
    table = rows(out.read_text(encoding="utf-8"))
    # 500 m walking = 400 m straight; grid points lie at ±50 … ±450 m from the facility
    offsets = [k * 100 + 50 for k in range(-5, 5)]
    expected = sum(1 for dx in offsets for dy in offsets if dx * dx + dy * dy <= 400 * 400)
    assert table[0]["covered"] == f"{expected * 1.5:.1f}"


def test_coverage_along_the_network_is_at_most_the_euclidean(data):
    euclid = rows(
        run("coverage", "--data", data, "--category", "counselling", "--radius", 400).stdout
    )
    result = run(
        "coverage",
        "--data",
        data,
        "--category",
        "counselling",
        "--radius",
        400,
        "--distance",
        "network",
    )
    assert result.exit_code == 0, result.stderr
    assert "approximate walking network: Testnetz" in result.stderr
    walk = rows(result.stdout)
    assert 0 < float(walk[1]["covered"]) < float(euclid[1]["covered"])
    # grid points lie mid-block, 50 m from four streets; the facility stands on a crossing.
    # A point (dx, dy) from it walks |dx| + |dy| if it steps onto a street towards the
    # facility, |dx| + |dy| + 100 if away (the nearest streets tie)
    offsets = [k * 100 + 50 for k in range(-5, 5)]
    at_least = sum(1 for dx in offsets for dy in offsets if abs(dx) + abs(dy) + 100 <= 400)
    at_most = sum(1 for dx in offsets for dy in offsets if abs(dx) + abs(dy) <= 400)
    assert at_least * 2.5 <= float(walk[1]["covered"]) <= at_most * 2.5


def test_coverage_with_network_file(data, tmp_path):
    result = run(
        "coverage", "--data", data, "--category", "meeting", "--network", data / "network.geojson"
    )
    assert result.exit_code == 0, result.stderr
    assert "walking network" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("--category", "meeting,kare"),
            "unknown category 'kare'.*valid categories: meeting, counselling, care",
        ),
        (
            ("--group", "kids"),
            "unknown population group 'kids'; valid groups: total, 65_plus",
        ),
        (("--year", "1999"), "year 1999 is not in the data; years of group 'total': 2020, 2021"),
        (("--radius", "0"), "radius must be greater than 0 and at most 20000 m"),
        (("--radius", "20000.1"), "radius must be greater than 0 and at most 20000 m"),
        (("--level", "planning_area"), "no planning-area mapping.*planning-areas propose"),
        (("--distance", "network", "--detour-factor", "1.3"), "detour-factor applies to Euclidean"),
    ],
)
def test_coverage_bad_input_exits_1_and_writes_nothing(data, tmp_path, args, message):
    out = tmp_path / "never.csv"
    result = CliRunner().invoke(main, ["coverage", "--data", str(data), *args, "--out", str(out)])
    assert result.exit_code == 1
    import re

    assert re.search(message, result.stderr), result.stderr
    assert not out.exists()


def test_network_file_that_is_not_lines(data, tmp_path):
    points = tmp_path / "points.geojson"
    points.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {},
                        "geometry": {"type": "Point", "coordinates": [8.4, 49.0]},
                    }
                ],
            }
        ),
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["coverage", "--data", str(data), "--network", str(points)])
    assert result.exit_code == 1
    assert "holds no lines" in result.stderr


def test_nearby_by_address_variant(data):
    result = run(
        "nearby", "--data", data, "--address", "rheinstr. 12", "--radius", 800, "--format", "json"
    )
    assert result.exit_code == 0, result.stderr
    payload = json.loads(result.stdout)
    assert set(payload) == {"location", "radius_m", "categories", "missing"}
    assert payload["location"]["address"] == "Rheinstraße 12, 76185 Teststadt"
    assert set(payload["location"]) == {"lat", "lon", "address"}
    assert payload["radius_m"] == 800
    meeting = payload["categories"]["meeting"]
    assert meeting["within_radius"] == 1
    assert meeting["nearest"][0]["name"] == "Treff Nordwest"
    assert meeting["nearest"][0]["distance_m"] == pytest.approx(70.7, abs=0.05)
    assert set(meeting["nearest"][0]) == {
        "name",
        "subcategory",
        "address",
        "distance_m",
        "lat",
        "lon",
    }
    assert payload["categories"]["counselling"]["within_radius"] == 0
    assert payload["missing"] == ["counselling", "care", "participation", "network"]


def test_nearby_by_coordinates(data):
    from pyproj import Transformer

    lon, lat = Transformer.from_crs(25832, 4326, always_xy=True).transform(
        ORIGIN_X + 1500, ORIGIN_Y + 1400
    )
    result = run("nearby", "--data", data, "--lat", lat, "--lon", lon)
    payload = json.loads(result.stdout)
    assert payload["location"]["address"] is None
    assert payload["categories"]["counselling"]["nearest"][0]["distance_m"] == pytest.approx(
        100, abs=0.1
    )
    # the meeting place is 1,005 m away
    assert payload["missing"] == ["meeting", "care", "participation", "network"]


def test_nearby_unknown_address_suggests(data):
    result = CliRunner().invoke(
        main, ["nearby", "--data", str(data), "--address", "Rheinstrasse 13"]
    )
    assert result.exit_code == 1
    assert "Did you mean: Rheinstraße 12, 76185 Teststadt" in result.stderr
    result = CliRunner().invoke(main, ["nearby", "--data", str(data)])
    assert result.exit_code == 1
    assert "give --address, or both --lat and --lon" in result.stderr


def test_site_json_contract(data):
    result = run(
        "site",
        "--data",
        data,
        "--category",
        "meeting",
        "--radius",
        500,
        "--k",
        3,
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.stderr
    payload = json.loads(result.stdout)
    assert set(payload) == {"category", "radius_m", "sites", "covered_before", "covered_after"}
    assert payload["category"] == "meeting" and payload["radius_m"] == 500
    assert len(payload["sites"]) == 3
    for site in payload["sites"]:
        assert set(site) == {"lat", "lon", "district_id", "newly_covered"}
        assert site["district_id"] in {"0102", "0201", "0202"}
    gains = [s["newly_covered"] for s in payload["sites"]]
    assert gains == sorted(gains, reverse=True)
    assert payload["covered_before"] == 120.0
    assert payload["covered_after"] == pytest.approx(120.0 + sum(gains), abs=0.2)
    # a site at Südost's centre covers 80 % of its 400 residents; candidates are 125 m cell
    # centroids, so the best one is near that (and cannot reach more than ~1/3 of the city)
    assert 300 <= gains[0] <= 400
    assert "mclp" in result.stderr


def test_site_bad_input(data):
    result = CliRunner().invoke(
        main, ["site", "--data", str(data), "--category", "all", "--radius", "500"]
    )
    assert result.exit_code == 1
    assert "exactly one --category" in result.stderr
    result = CliRunner().invoke(
        main, ["site", "--data", str(data), "--category", "care", "--k", "0"]
    )
    assert result.exit_code == 1
    assert "k must be between 1 and 50" in result.stderr


def test_coverage_by_planning_area(data):
    (data / "planning_areas.csv").write_text(
        "district,planning_area,planning_area_name\n0101,P1,Nord\n0102,P1,Nord\n0201,P2,Süd\n0202,P2,Süd\n",
        encoding="utf-8",
    )
    manifest = data / "dataset.toml"
    manifest.write_text(
        manifest.read_text(encoding="utf-8") + '\n[planning_areas]\npath = "planning_areas.csv"\n',
        encoding="utf-8",
    )
    result = run("coverage", "--data", data, "--category", "meeting", "--level", "planning_area")
    assert result.exit_code == 0, result.stderr
    table = rows(result.stdout)
    assert [(r["area_id"], r["area_name"], r["residents"], r["covered"]) for r in table] == [
        ("P1", "Nord", "400.0", "120.0"),
        ("P2", "Süd", "700.0", "0.0"),
        ("ALL", "Teststadt", "1100.0", "120.0"),
    ]


def test_future_year_uses_the_trend_projection_and_says_so(data):
    result = run(
        "coverage", "--data", data, "--category", "meeting", "--year", 2030, "--format", "json"
    )
    assert result.exit_code == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["projected"] is True and payload["year"] == 2030
    # linear trend of 0101: 100 (2020), 150 (2021) -> 600 in 2030; 80 % within 500 m
    assert payload["rows"][0]["residents"] == pytest.approx(600.0)
    assert payload["rows"][0]["covered"] == pytest.approx(480.0)
    assert "projected, not counted: Trendfortschreibung" in result.stderr
    observed = run(
        "coverage", "--data", data, "--category", "meeting", "--year", 2021, "--format", "json"
    )
    assert json.loads(observed.stdout)["projected"] is False
    assert "projected" not in observed.stderr


def test_require_all_is_one_block_reaching_every_category(data):
    def table(*args: object) -> list[dict[str, str]]:
        result = run("coverage", "--data", data, "--category", "meeting,counselling", *args)
        assert result.exit_code == 0, result.stderr
        assert result.stdout.splitlines()[0] == "category,area_id,area_name,residents,covered,share"
        return rows(result.stdout)

    # the two facilities are 1 km apart: no resident point is within 500 m of both
    both = table("--require", "all", "--radius", 500)
    each = table("--require", "each", "--radius", 500)
    assert {r["category"] for r in both} == {"meeting+counselling"}
    assert [r["area_id"] for r in both] == ["0101", "0102", "0201", "0202", "ALL"]
    assert [r["residents"] for r in both] == [r["residents"] for r in each[:5]]
    assert {r["covered"] for r in both} == {"0.0"} and {r["share"] for r in both} == {"0.0000"}
    assert {r["share"] for r in table("--require", "all", "--radius", 3000)} == {"1.0000"}
    # in between, reaching both is never more than reaching either
    mid = {r["area_id"]: float(r["share"]) for r in table("--require", "all", "--radius", 1000)}
    per_cat = table("--radius", 1000)
    for r in per_cat:
        assert mid[r["area_id"]] <= float(r["share"])
    assert mid["ALL"] > 0


def test_require_all_with_one_category_equals_each(data):
    args = ("coverage", "--data", data, "--category", "meeting", "--radius", 700)
    assert run(*args, "--require", "all").stdout == run(*args).stdout
    payload = json.loads(run(*args, "--require", "all", "--format", "json").stdout)
    assert payload["require"] == "all" and payload["rows"][0]["category"] == "meeting"
    assert "require" not in json.loads(run(*args, "--format", "json").stdout)
