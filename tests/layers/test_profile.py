"""Area profile data (layers.profile.area_profile) on a small dataset built in code."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from layers.errors import CatalogueError

X0, Y0 = 455_000.0, 5_425_000.0

MANIFEST = """
[metadata]
name = "Profilstadt"
city = "Profilstadt"
metric_crs = "EPSG:25832"

[districts]
path = "districts.geojson"
columns = { id = "id", name = "name" }

[[facilities]]
path = "facilities.csv"
crs = "EPSG:25832"

[[population]]
path = "population.csv"
attribution = "Statistikamt Profilstadt"
date = "2022-03-01"

[planning_areas]
path = "planning_areas.csv"
proposal = {proposal}

[programme]
path = "programme.csv"
"""

FACILITIES = f"""name,category,x,y
Treff Nordwest,meeting,{X0 + 500},{Y0 + 1500}
Treff Nordwest 2,meeting,{X0 + 200},{Y0 + 1200}
Beratung Nordost,counselling,{X0 + 1500},{Y0 + 1500}
Pflegeheim Südost,care,{X0 + 1500},{Y0 + 500}
"""

POPULATION = """district,year,group,value
0101,2020,total,1000
0102,2020,total,2000
0201,2020,total,3000
0202,2020,total,4000
0101,2021,total,1200
0102,2021,total,2000
0201,2021,total,2900
0202,2021,total,4000
0101,2020,under_3,40
0102,2020,under_3,50
0201,2020,under_3,60
0202,2020,under_3,80
0101,2021,under_3,60
0102,2021,under_3,50
0201,2021,under_3,50
0202,2021,under_3,80
0101,2020,3_to_6,40
0102,2020,3_to_6,50
0201,2020,3_to_6,60
0202,2020,3_to_6,80
0101,2021,3_to_6,40
0102,2021,3_to_6,50
0201,2021,3_to_6,.
0202,2021,3_to_6,80
"""

PLANNING = """district,planning_area,planning_area_name,coordinator
0101,N,Nord,Frau Nord
0102,N,Nord,Frau Nord
0201,S,Süd,
0202,S,Süd,
"""

PROGRAMME = """district,measure,since,note,source,source_date
0101,stadtteilkoordination,2019,,https://example.org/koordination,2023-05
0202,buergerzentrum,2024,Stadtteilhaus,https://example.org/bz,2024-01
"""


@pytest.fixture
def profile_dataset(tmp_path, grid_districts, write_dataset):
    """The 2×2 grid with facilities, population 2020/2021 (one unknown value), planning areas N/S, programme."""

    def make(proposal: bool = False):
        from layers.dataset import load_dataset

        root = write_dataset(
            tmp_path / f"profil-{proposal}",
            MANIFEST.replace("{proposal}", "true" if proposal else "false"),
            {
                "districts.geojson": grid_districts,
                "facilities.csv": FACILITIES,
                "population.csv": POPULATION,
                "planning_areas.csv": PLANNING,
                "programme.csv": PROGRAMME,
            },
        )
        return load_dataset(root)

    return make


def test_district_profile_contents(profile_dataset):
    from layers.profile import area_profile

    dataset = profile_dataset()
    coverage = pd.DataFrame(
        {
            "category": ["meeting"] * 5,
            "area_id": ["0101", "0102", "0201", "0202", "ALL"],
            "area_name": ["a", "b", "c", "d", "Profilstadt"],
            "share": [1.0, 0.5, 0.25, 0.0, 0.4],
        }
    )
    profile = area_profile(dataset, "0101", coverage=coverage)
    json.dumps(profile, allow_nan=False)  # JSON types only, no NaN
    assert profile["area"]["name"] == "Nordwest"
    assert profile["area"]["planning_area"] == {
        "id": "N",
        "name": "Nord",
        "proposal": False,
        "coordinator": "Frau Nord",
    }
    assert profile["year"] == 2021
    assert profile["population"]["projection"] is None
    population = profile["population"]
    assert population["total"] == 1200
    structure = {row["group"]: row for row in population["age_structure"]}
    assert structure["under_3"]["value"] == 60 and structure["under_3"]["share_pct"] == 5.0
    assert structure["under_6"]["derived"] is True and structure["under_6"]["value"] == 100
    trend = {row["group"]: row["series"] for row in population["trend"]}
    assert [(p["year"], p["value"]) for p in trend["total"]] == [(2020, 1000), (2021, 1200)]
    change = {row["group"]: row for row in population["change"]}
    assert change["total"]["change_pct"] == 20.0 and change["total"]["city_change_pct"] == 1.0
    facilities = {row["category"]: row for row in profile["facilities"]["per_category"]}
    assert facilities["meeting"]["count"] == 2
    assert facilities["meeting"]["per_1000_residents"] == round(2 / 1200 * 1000, 2)
    assert facilities["counselling"]["count"] == 0
    assert {f["name"] for f in profile["facilities"]["list"]} == {
        "Treff Nordwest",
        "Treff Nordwest 2",
    }
    assert profile["coverage"]["per_category"][0]["share_pct"] == 100.0
    assert profile["coverage"]["per_category"][0]["city_share_pct"] == 40.0
    need = profile["need_index"]
    assert need["year_from"] == 2020 and need["year_to"] == 2021
    components = {c["component"]: c for c in need["components"]}
    assert components["growth_under_6"]["value"] == 25.0  # 80 -> 100
    assert components["uncovered_meeting"]["value"] == 0.0
    assert need["of"] == 4 and 1 <= need["rank"] <= 4
    assert profile["programme"] == [
        {
            "area_id": "0101",
            "area_name": "Nordwest",
            "district_id": "0101",
            "district_name": "Nordwest",
            "measure": "stadtteilkoordination",
            "since": "2019",
            "note": None,
            "source": "https://example.org/koordination",
            "source_date": "2023-05",
        }
    ]
    assert any(s["attribution"] == "Statistikamt Profilstadt" for s in profile["sources"])


def test_missing_value_is_reported_with_reason(profile_dataset):
    from layers.profile import area_profile

    profile = area_profile(profile_dataset(), "0201", compute_coverage=False)
    structure = {row["group"]: row for row in profile["population"]["age_structure"]}
    assert structure["3_to_6"]["value"] is None
    assert "Platzhalter" in structure["3_to_6"]["missing_reason"]
    assert structure["under_6"]["value"] is None
    components = {c["component"]: c for c in profile["need_index"]["components"]}
    assert components["growth_under_6"]["value"] is None
    assert profile["coverage"]["note"] == {"id": "coverage_not_computed", "params": {}}


def test_planning_area_profile_sums_districts_and_marks_proposal(profile_dataset):
    from layers.profile import area_profile

    profile = area_profile(profile_dataset(proposal=True), "N", level="planning_area")
    assert profile["area"]["name"] == "Nord"  # the data's name; renderers mark the proposal
    assert profile["area"]["planning_area"]["proposal"] is True
    assert [d["id"] for d in profile["area"]["districts"]] == ["0101", "0102"]
    assert profile["population"]["total"] == 3200
    assert {"id": "planning_areas_proposal", "params": {}} in profile["notes"]
    coverage = {row["category"]: row for row in profile["coverage"]["per_category"]}
    assert set(coverage) == {"meeting", "counselling", "care", "participation", "network"}
    present = set(profile_dataset(proposal=True).facilities["category"])
    for category, row in coverage.items():
        if category in present:
            assert 0 <= row["share_pct"] <= 100
        else:  # a dimension without facilities in the data is missing, not 0 %
            assert row["share_pct"] is None and row["city_share_pct"] is None
    assert coverage["meeting"]["residents"] == 3200


def test_projected_year_is_labelled(profile_dataset):
    from layers.profile import area_profile

    profile = area_profile(profile_dataset(), "0101", year=2023, compute_coverage=False)
    assert profile["population"]["total"] == 1600  # +200 a year
    projected = [n for n in profile["notes"] if n["id"] == "population_projected"]
    assert [n["params"]["year"] for n in projected] == [2023]
    assert profile["population"]["projection"]["method"] == "trend"
    fits = {f["group"]: f for f in profile["population"]["projection"]["fits"]}
    assert fits["total"]["slope_per_year"] == 200.0 and fits["total"]["r2"] == 1.0
    assert fits["total"]["years_used"] == "2020–2021" and fits["total"]["method"] == "linear"
    assert profile["population"]["trend"][0]["series"][-1] == {
        "year": 2023,
        "value": 1600,
        "projected": True,
        "missing_reason": None,
    }


def test_unknown_area_year_level(profile_dataset):
    from layers.profile import area_profile

    dataset = profile_dataset()
    with pytest.raises(
        CatalogueError, match=r"unknown district '9999'.*valid ids: 0101 \(Nordwest\), 0102"
    ):
        area_profile(dataset, "9999", compute_coverage=False)
    with pytest.raises(
        CatalogueError, match=r"unknown planning area 'X'.*valid ids: N \(Nord\), S \(Süd\)"
    ):
        area_profile(dataset, "X", level="planning_area", compute_coverage=False)
    with pytest.raises(CatalogueError, match=r"unknown year 1990; valid years: 2020, 2021"):
        area_profile(dataset, "0101", year=1990, compute_coverage=False)
    with pytest.raises(CatalogueError, match="unknown level"):
        area_profile(dataset, "0101", level="block", compute_coverage=False)


def test_programme_per_planning_area_with_sources(profile_dataset):
    from layers.areas import area_mapping
    from layers.programme import programme_by_area, programme_table

    dataset = profile_dataset()
    mapping = area_mapping(dataset, "planning_area")
    table = programme_table(dataset.programme, dataset.districts, mapping)
    assert table["area_id"].tolist() == ["N", "S"]
    summary = programme_by_area(dataset.programme, dataset.districts, mapping).set_index("area_id")
    assert summary.loc["N", "stadtteilkoordination"] == "Nordwest (seit 2019)"
    assert summary.loc["N", "stadtteilkoordination_count"] == 1
    assert summary.loc["N", "buergerzentrum"] == ""
    assert summary.loc["S", "buergerzentrum"] == "Südost (seit 2024)"
    assert summary.loc["S", "sources"] == "https://example.org/bz (Stand 2024-01)"
    assert programme_by_area(None, dataset.districts, mapping)["districts"].tolist() == [2, 2]


def test_a_profile_from_a_kept_base_equals_one_made_from_scratch(profile_dataset):
    """The dashboard keeps the distance-independent part; the result must not change."""
    from layers.profile import area_profile, profile_base

    dataset = profile_dataset()
    base = profile_base(dataset, "0101", year=2023)
    for radius in (300.0, 800.0):
        fresh = area_profile(dataset, "0101", year=2023, radius_m=radius)
        kept = area_profile(dataset, "0101", year=2023, radius_m=radius, base=base)
        assert json.dumps(kept, sort_keys=True) == json.dumps(fresh, sort_keys=True)
    near = area_profile(dataset, "0101", year=2023, radius_m=300.0, base=base)
    far = area_profile(dataset, "0101", year=2023, radius_m=3000.0, base=base)
    assert near["coverage"] != far["coverage"]  # the distance-dependent part is recomputed
