"""Planning-area mappings: adjacency, validation, proposals, writing into a dataset."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from layers.errors import CatalogueError, DatasetError, PlanningAreaError
from layers.planning import (
    area_components,
    balance_summary,
    balance_weights,
    district_adjacency,
    keep_together_from_grouping,
    load_planning_areas,
    planning_alternatives,
    propose_planning_areas,
    read_planning_areas,
    validate_planning_areas,
    write_planning_areas,
)

SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
KARLSRUHE = SHARED_DATA / "karlsruhe"
BERLIN = SHARED_DATA / "berlin"
X0, Y0, CELL = 455_000.0, 5_425_000.0, 1_000.0

KARLSRUHE_MAX_IMBALANCE = 1.15
"""Issue 5: the 6 proposed Karlsruhe areas differ by at most 15 % (measured: 1.056)."""

HOEHENSTADTTEILE = ["21", "22", "24", "25"]
"""Stupferich, Hohenwettersbach, Grünwettersbach, Palmbach (issue 14: kept together)."""

BERLIN_MAX_IMBALANCE = 1.05
"""Stated bound for 542 Berlin LOR into 12 areas (docs/demography.md; measured: about 1.002)."""


def grid(cols: int, rows: int, *, gap_m: float = 0.0) -> gpd.GeoDataFrame:
    """cols × rows squares, ids 'r{row}c{col}', optionally with a gap between columns."""
    ids, geoms = [], []
    for r in range(rows):
        for c in range(cols):
            x = X0 + c * (CELL + gap_m)
            ids.append(f"r{r}c{c}")
            geoms.append(box(x, Y0 + r * CELL, x + CELL, Y0 + (r + 1) * CELL))
    return gpd.GeoDataFrame(
        {"id": ids, "name": [f"Bezirk {i}" for i in ids]}, geometry=geoms, crs="EPSG:25832"
    )


def flat_population(
    districts: gpd.GeoDataFrame, values: list[float], year: int = 2020
) -> pd.DataFrame:
    return pd.DataFrame(
        {"district_id": districts["id"], "year": year, "group": "total", "value": values}
    )


def test_queen_adjacency_with_corners_and_gap_tolerance():
    d = grid(3, 3)
    nb = district_adjacency(d)
    centre = d.index[d["id"] == "r1c1"][0]
    assert len(nb[centre]) == 8  # queen: corners count
    corner = d.index[d["id"] == "r0c0"][0]
    assert len(nb[corner]) == 3
    assert len(district_adjacency(grid(2, 1, gap_m=0.5))[0]) == 1  # sliver gap below 1 m
    assert len(district_adjacency(grid(2, 1, gap_m=5.0))[0]) == 0


def test_adjacency_needs_metric_crs():
    with pytest.raises(Exception, match="projected CRS"):
        district_adjacency(grid(2, 1).to_crs(4326))


def test_validate_names_rows_of_unknown_and_double_districts():
    d = grid(2, 2)
    mapping = pd.DataFrame(
        {
            "district_id": ["r0c0", "r0c1", "r9c9", "r0c0", "r1c1"],
            "planning_area": ["A", "A", "B", "B", "B"],
        }
    )
    issues = validate_planning_areas(mapping, d, file="pg.csv")
    errors = [i for i in issues if i.severity == "error"]
    assert any(i.row == 4 and "'r9c9' is not in the districts file" in i.message for i in errors)
    assert any(i.row == 5 and "assigned twice (first in row 2)" in i.message for i in errors)
    assert any("r1c0" in i.message and "in no planning area" in i.message for i in errors)


def test_validate_warns_about_non_contiguous_area():
    d = grid(3, 1)
    mapping = pd.DataFrame(
        {"district_id": ["r0c0", "r0c1", "r0c2"], "planning_area": ["A", "B", "A"]}
    )
    issues = validate_planning_areas(mapping, d)
    assert [i.severity for i in issues] == ["warning"]
    assert "'A' is not contiguous" in issues[0].message


def test_read_semicolon_file_and_leading_zero_ids(tmp_path):
    d = grid(2, 1)
    d["id"] = ["01", "02"]
    path = tmp_path / "pg.csv"
    path.write_text(
        "district;planning_area;planning_area_name;coordinator\n2;N;Nord;Frau X\n1;N;Nord;\n",
        encoding="utf-8",
    )
    mapping, issues = read_planning_areas(path, d)
    assert issues == []
    assert mapping["district_id"].tolist() == ["01", "02"]  # districts order, ids as in the file
    assert mapping["planning_area_name"].tolist() == ["Nord", "Nord"]


def test_load_raises_with_row_of_bad_district(tmp_path):
    path = tmp_path / "pg.csv"
    path.write_text("district_id,planning_area\nr0c0,A\nr0c0,B\n", encoding="utf-8")
    with pytest.raises(DatasetError, match=r"pg.csv, row 3.*assigned twice"):
        load_planning_areas(path, grid(2, 1))


def test_proposal_is_contiguous_balanced_and_deterministic():
    d = grid(4, 3)
    pop = flat_population(d, [100.0] * 12)
    first = propose_planning_areas(d, pop, n=4)
    again = propose_planning_areas(d, pop, n=4)
    pd.testing.assert_frame_equal(first, again)
    assert first.columns.tolist() == ["district_id", "planning_area", "planning_area_name"]
    assert first["district_id"].tolist() == d["id"].tolist()
    assert first["planning_area"].iloc[0] == "PG1"
    assert set(first["planning_area"]) == {"PG1", "PG2", "PG3", "PG4"}
    assert first["planning_area_name"].iloc[0] == "Planungsgebiet 1 (Vorschlag)"
    assert all(len(p) == 1 for p in area_components(first, d).values())
    weights, _ = balance_weights(d, pop)
    assert balance_summary(first, weights).imbalance == 1.0


def test_keep_together_forces_same_area():
    d = grid(4, 1)
    pop = flat_population(d, [100.0, 100.0, 100.0, 100.0])
    plain = propose_planning_areas(d, pop, n=2).set_index("district_id")["planning_area"]
    assert plain["r0c1"] != plain["r0c2"]
    forced = propose_planning_areas(d, pop, n=2, keep_together=[["r0c1", "r0c2"]])
    areas = forced.set_index("district_id")["planning_area"]
    assert areas["r0c1"] == areas["r0c2"]


def test_proposal_errors():
    d = grid(2, 1)
    pop = flat_population(d, [1.0, 2.0])
    with pytest.raises(PlanningAreaError, match="fewer districts than areas"):
        propose_planning_areas(d, pop, n=3)
    with pytest.raises(PlanningAreaError, match="keep-together leaves only 1 units"):
        propose_planning_areas(d, pop, n=2, keep_together=["r0c0", "r0c1"])
    with pytest.raises(PlanningAreaError, match="'r5c5' is not in the districts file"):
        propose_planning_areas(d, pop, n=2, keep_together=["r5c5"])
    with pytest.raises(CatalogueError, match=r"unknown group 'kids'.*valid groups: total"):
        propose_planning_areas(d, pop, n=2, balance_group="kids")
    with pytest.raises(CatalogueError, match=r"unknown year 1999.*valid years: 2020"):
        propose_planning_areas(d, pop, n=2, year=1999)


def test_balance_on_group_with_missing_value_says_which():
    d = grid(2, 1)
    pop = flat_population(d, [1.0, float("nan")])
    with pytest.raises(CatalogueError, match="not known for every district"):
        propose_planning_areas(d, pop, n=2)
    with pytest.raises(CatalogueError, match=r"missing in 2020 for district\(s\) r0c1"):
        propose_planning_areas(d, pop, n=2, year=2020)


def test_islands_are_linked_to_the_nearest_part():
    d = grid(3, 1, gap_m=100.0)  # three separate squares
    pop = flat_population(d, [1.0, 1.0, 1.0])
    proposal = propose_planning_areas(d, pop, n=1)
    assert set(proposal["planning_area"]) == {"PG1"}


def test_write_proposal_into_dataset(grid_dataset):
    from layers.areas import area_mapping
    from layers.dataset import load_dataset

    dataset = load_dataset(grid_dataset)
    proposal = propose_planning_areas(dataset.districts, dataset.population, n=2)
    path = write_planning_areas(grid_dataset, proposal, proposal=True)
    assert (
        path.read_text(encoding="utf-8").splitlines()[0]
        == "district,planning_area,planning_area_name,coordinator"
    )
    again = write_planning_areas(
        grid_dataset, proposal, proposal=True
    )  # replaces, does not duplicate
    assert (grid_dataset / "dataset.toml").read_text(encoding="utf-8").count(
        "[planning_areas]"
    ) == 1
    assert again == path
    loaded = load_dataset(grid_dataset)
    assert loaded.planning_areas_proposal is True
    mapping = area_mapping(loaded, "planning_area")
    assert mapping["area_name"].str.contains("Vorschlag").all()


def test_write_refuses_folder_without_manifest(tmp_path):
    mapping = pd.DataFrame({"district_id": ["a"], "planning_area": ["A"]})
    with pytest.raises(PlanningAreaError, match=r"no dataset\.toml"):
        write_planning_areas(tmp_path, mapping)
    assert list(tmp_path.iterdir()) == []


def karlsruhe_raw() -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    districts = gpd.read_file(
        KARLSRUHE / "boundaries/stadtteile_27_stadt_karlsruhe.geojson"
    ).to_crs(25832)
    districts = districts.rename(columns={"NUMMER": "id"})[["id", "name", "geometry"]]
    raw = pd.read_csv(KARLSRUHE / "population/bevolkerung-bevolkerung-mit-hauptwohnung.csv")
    ids = dict(zip(districts["name"], districts["id"], strict=True))
    population = pd.DataFrame(
        {
            "district_id": raw["Stadtteil"].map(ids),
            "year": raw["Jahr"],
            "group": "total",
            "value": raw["Hauptwohnung"].astype(float),
        }
    )
    return districts, population


@pytest.mark.skipif(not KARLSRUHE.exists(), reason="shared Karlsruhe data not available")
@pytest.mark.parametrize("keep_together", [(), ("08", "09")])
def test_karlsruhe_proposal_contiguous_and_balanced(keep_together):
    districts, population = karlsruhe_raw()
    proposal = propose_planning_areas(districts, population, n=6, keep_together=keep_together)
    assert proposal["planning_area"].nunique() == 6
    assert all(len(pieces) == 1 for pieces in area_components(proposal, districts).values())
    weights, year = balance_weights(districts, population)
    assert year == 2021 and weights.sum() == 297_664
    summary = balance_summary(proposal, weights)
    assert summary.table["population"].sum() == 297_664
    assert summary.imbalance <= KARLSRUHE_MAX_IMBALANCE
    if keep_together:
        areas = proposal.set_index("district_id")["planning_area"]
        assert areas["08"] == areas["09"]


@pytest.mark.skipif(not BERLIN.exists(), reason="shared Berlin data not available")
def test_berlin_542_units_into_12_areas():
    districts = gpd.read_file(BERLIN / "districts/lor_planungsraeume_2021.shp")
    districts = districts.rename(columns={"PLR_ID": "id", "PLR_NAME": "name"})[
        ["id", "name", "geometry"]
    ]
    raw = pd.read_csv(
        BERLIN / "population/berlin-lor-population-2024-02-t2-planning-areas.csv", dtype={"id": str}
    )
    population = pd.DataFrame(
        {
            "district_id": raw["id"],
            "year": 2024,
            "group": "total",
            "value": raw["inhabitants"].astype(float),
        }
    )
    proposal = propose_planning_areas(districts, population, n=12)
    assert len(proposal) == 542 and proposal["planning_area"].nunique() == 12
    assert all(len(pieces) == 1 for pieces in area_components(proposal, districts).values())
    weights, _ = balance_weights(districts, population)
    assert balance_summary(proposal, weights).imbalance <= BERLIN_MAX_IMBALANCE


def _areas(mapping: pd.DataFrame) -> set[frozenset[str]]:
    return {frozenset(p["district_id"]) for _, p in mapping.groupby("planning_area")}


def test_compactness_term_prefers_square_areas():
    d = grid(4, 2)
    pop = flat_population(d, [100.0] * 8)
    compact = propose_planning_areas(d, pop, n=2, max_imbalance=1.0)
    left = frozenset({"r0c0", "r0c1", "r1c0", "r1c1"})
    assert _areas(compact) == {left, frozenset(d["id"]) - left}


def test_keep_together_changes_the_compact_result_within_the_bound():
    d = grid(4, 2)
    pop = flat_population(d, [100.0] * 8)
    plain = propose_planning_areas(d, pop, n=2, max_imbalance=1.0)
    forced = propose_planning_areas(
        d, pop, n=2, max_imbalance=1.0, keep_together=[["r0c1", "r0c2"]]
    )
    assert _areas(forced) != _areas(plain)
    areas = forced.set_index("district_id")["planning_area"]
    assert areas["r0c1"] == areas["r0c2"]
    weights, _ = balance_weights(d, pop)
    assert balance_summary(forced, weights).imbalance == 1.0
    assert all(len(p) == 1 for p in area_components(forced, d).values())


def test_keep_together_accepts_district_names():
    d = grid(4, 1)
    pop = flat_population(d, [100.0] * 4)
    forced = propose_planning_areas(d, pop, n=2, keep_together=[["Bezirk r0c1", "r0c2"]])
    areas = forced.set_index("district_id")["planning_area"]
    assert areas["r0c1"] == areas["r0c2"]


def test_alternatives_report_ratio_and_compactness():
    d = grid(4, 3)
    pop = flat_population(d, [100.0, 120.0, 90.0, 110.0, 100.0, 95.0] * 2)
    alternatives = planning_alternatives(d, pop, n=3, max_imbalance=1.15)
    assert [a.key for a in alternatives] == ["compact", "balanced", "compact_loose"]
    compact, balanced, loose = alternatives
    assert compact.imbalance <= 1.15 and loose.imbalance <= 1.25
    assert compact.compactness >= balanced.compactness - 1e-9
    assert loose.compactness >= compact.compactness - 1e-9
    assert 0 < compact.compactness <= 1
    again = propose_planning_areas(d, pop, n=3, max_imbalance=1.15)
    pd.testing.assert_frame_equal(again, compact.mapping)
    for alternative in alternatives:
        if alternative.same_as:
            earlier = next(a for a in alternatives if a.key == alternative.same_as)
            assert _areas(earlier.mapping) == _areas(alternative.mapping)


def test_max_imbalance_below_one_is_an_error():
    d = grid(2, 1)
    pop = flat_population(d, [1.0, 1.0])
    with pytest.raises(PlanningAreaError, match=r"max_imbalance .* must be a number >= 1"):
        propose_planning_areas(d, pop, n=2, max_imbalance=0.9)


@pytest.mark.skipif(not KARLSRUHE.exists(), reason="shared Karlsruhe data not available")
def test_karlsruhe_compact_proposal_keeps_the_hoehenstadtteile_together():
    districts, population = karlsruhe_raw()
    proposal = propose_planning_areas(
        districts,
        population,
        n=6,
        keep_together=[HOEHENSTADTTEILE],
        max_imbalance=KARLSRUHE_MAX_IMBALANCE,
    )
    areas = proposal.set_index("district_id")["planning_area"]
    assert len({areas[d] for d in HOEHENSTADTTEILE}) == 1
    assert all(len(pieces) == 1 for pieces in area_components(proposal, districts).values())
    weights, _ = balance_weights(districts, population)
    assert balance_summary(proposal, weights).imbalance <= KARLSRUHE_MAX_IMBALANCE


def test_bundled_proposal_keeps_the_hoehenstadtteile_together():
    bundled = Path(__file__).resolve().parents[2] / "data" / "karlsruhe"
    mapping = pd.read_csv(bundled / "planning_areas.csv", dtype=str)
    areas = mapping.set_index("district")["planning_area"]
    assert len({areas[d] for d in HOEHENSTADTTEILE}) == 1
    population = pd.read_csv(bundled / "population.csv", dtype={"district": str})
    latest = population[(population["group"] == "total") & (population["year"] == 2021)]
    totals = latest.set_index("district")["value"].astype(float).groupby(areas).sum()
    assert totals.sum() == 297_664
    assert totals.max() / totals.min() <= KARLSRUHE_MAX_IMBALANCE


def test_keep_together_from_a_manifest_grouping(tmp_path):
    (tmp_path / "dataset.toml").write_text(
        '[[groupings]]\nid = "ortschaft"\nlabel_de = "Ortschaften"\nlabel_en = "O"\n'
        'path = "ortschaften.csv"\n\n'
        '[[groupings]]\nid = "leer"\nlabel_de = "L"\nlabel_en = "L"\nempty = true\n'
        'note_en = "no public source"\n',
        encoding="utf-8",
    )
    (tmp_path / "ortschaften.csv").write_text(
        "district,area_id,area_name\nr0c1,A,Alpha\nr0c2,A,Alpha\nr0c3,B,Beta\n", encoding="utf-8"
    )
    groups = keep_together_from_grouping(tmp_path, "ortschaft")
    assert groups == [["r0c1", "r0c2"]]  # a one-district area constrains nothing
    d = grid(4, 1)
    forced = propose_planning_areas(d, flat_population(d, [100.0] * 4), n=2, keep_together=groups)
    areas = forced.set_index("district_id")["planning_area"]
    assert areas["r0c1"] == areas["r0c2"]
    with pytest.raises(PlanningAreaError, match="grouping 'leer' is empty: no public source"):
        keep_together_from_grouping(tmp_path, "leer")
    with pytest.raises(
        PlanningAreaError, match=r"no such \[\[groupings\]\] id.*valid: ortschaft, leer"
    ):
        keep_together_from_grouping(tmp_path, "bezirk")
