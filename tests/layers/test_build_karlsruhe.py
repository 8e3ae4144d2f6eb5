"""Tests of the dataset builder: the Karlsruhe recipe end to end, determinism, atomic failure."""

from __future__ import annotations

import csv
import io
import json
import tomllib
from pathlib import Path

import pandas as pd
import pytest

from layers.build import available_recipes, build_dataset
from layers.build._write import (
    csv_text,
    format_coord,
    geojson_text,
    round_geometry,
    toml_text,
)
from layers.build.karlsruhe import (
    PROGRAMME_FILE,
    REQUIRED_FILES,
    STADTTEILE,
    _clean_address,
    _german_address,
    parse_programme,
)
from layers.errors import BuildError, MissingSourceError

REPO = Path(__file__).resolve().parents[2]
RAW = REPO.parent / "shared" / "data" / "karlsruhe"
COMMITTED = REPO / "data" / "karlsruhe"

needs_raw = pytest.mark.skipif(not RAW.is_dir(), reason=f"raw Karlsruhe files not at {RAW}")


def read_csv(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def tree_bytes(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def mirror_source(target: Path, *, skip: tuple[str, ...] = ()) -> Path:
    """A raw folder of symlinks to the shared raw files (so tests can add or leave out files)."""
    for name in REQUIRED_FILES:
        if name in skip:
            continue
        link = target / name
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(RAW / name)
    return target


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("build") / "karlsruhe"
    build_dataset("karlsruhe", source=RAW, out=out)
    return out


# --- end to end ---------------------------------------------------------------------------------


@needs_raw
@pytest.mark.slow
def test_build_equals_committed_dataset_byte_for_byte(built: Path) -> None:
    expected = tree_bytes(COMMITTED)
    actual = tree_bytes(built)
    assert sorted(actual) == sorted(expected)
    different = [name for name in expected if expected[name] != actual[name]]
    assert different == [], f"rebuild the committed dataset: {different} differ"


@needs_raw
@pytest.mark.slow
def test_build_is_deterministic(built: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    build_dataset("karlsruhe", source=RAW, out=again)
    assert tree_bytes(again) == tree_bytes(built)


@needs_raw
@pytest.mark.slow
def test_built_dataset_loads_without_errors(built: Path) -> None:
    from layers.dataset import load_dataset
    from layers.population import population_table

    dataset = load_dataset(built)
    assert len(dataset.districts) == 27
    assert dataset.districts["id"].tolist() == sorted(STADTTEILE)
    assert population_table(dataset, group="total", year=2021).sum() == 297_664
    assert population_table(dataset, group="total", year=2016).sum() == 304_619
    assert len(dataset.facilities) + len(dataset.unlocated_facilities) == 104
    assert len(dataset.facilities) == 82
    assert [c.id for c in dataset.categories] == [
        "meeting",
        "counselling",
        "care",
        "participation",
        "network",
    ]
    residents = dataset.resident_points[dataset.resident_points["origin"] == "residents"]
    assert len(residents) == 39_138
    grid_districts = set(
        dataset.resident_points.loc[lambda f: f["origin"] == "grid", "district_id"]
    )
    assert grid_districts == {"21", "22", "24", "25"}
    assert dataset.planning_areas_proposal is True
    assert dataset.planning_areas["planning_area"].nunique() == 6
    assert dataset.network is not None and dataset.network.approximate
    assert not [i for i in dataset.issues if i.severity == "error"]


@needs_raw
@pytest.mark.slow
def test_population_groups_have_only_their_real_years(built: Path) -> None:
    rows = read_csv(built / "population.csv")
    years: dict[str, set[int]] = {}
    for row in rows:
        years.setdefault(row["group"], set()).add(int(row["year"]))
    full = set(range(2007, 2022))
    assert years == {
        "total": full,
        "under_3": full,
        "3_to_6": full,
        "6_to_15": full,
        "15_to_18": full,
        "0_to_19": {2016},
        "20_to_64": {2016},
        "65_plus": {2016},
    }
    total_2016 = sum(int(r["value"]) for r in rows if r["group"] == "total" and r["year"] == "2016")
    ages_2016 = sum(
        int(r["value"]) for r in rows if r["group"] in ("0_to_19", "20_to_64", "65_plus")
    )
    assert total_2016 == ages_2016 == 304_619  # not the wohnberechtigte 311,635
    manifest = tomllib.loads((built / "dataset.toml").read_text(encoding="utf-8"))
    notes = {g["id"]: g.get("note_de", "") for g in manifest["groups"]}
    assert notes["65_plus"].startswith("Nur 2016 verfügbar (Quelle:")
    assert notes["total"] == ""


@needs_raw
@pytest.mark.slow
def test_manifest_notes_and_layer_metadata(built: Path) -> None:
    manifest = tomllib.loads((built / "dataset.toml").read_text(encoding="utf-8"))
    meta = manifest["metadata"]
    assert (meta["city"], meta["metric_crs"]) == ("Karlsruhe", "EPSG:25832")
    assert meta["date"] == "2026-12"  # newest source date (the Nachtrag), not the build day
    notes = meta["notes"]
    assert "104 Einträge, davon 82 mit Koordinaten" in notes
    assert "Versorgung und Pflege 15 (8 mit Koordinaten)" in notes
    assert "Beteiligung und Engagement 1 (1 mit Koordinaten)" in notes
    assert "Vernetzung 2 (2 mit Koordinaten)" in notes
    assert "besonders unvollständig" in notes and "especially incomplete" in notes
    assert "16 Einrichtungen ergänzt" in notes and "ka-0042, ka-0044 entfernt" in notes
    # planners read these notes in the app: no commands or file syntax (those are in the docs)
    assert "quartiersatlas" not in notes and "[[" not in notes
    assert "docs/sources.md" in notes
    for name in ("Grünwettersbach", "Hohenwettersbach", "Palmbach", "Stupferich", "Grötzingen"):
        assert name in notes
    for table in (manifest["districts"], *manifest["facilities"], manifest["residents"]):
        assert table["attribution"] and table["licence"] and table["date"] and table["source"]
    assert manifest["network"]["approximate"] is True
    assert manifest["planning_areas"]["proposal"] is True
    assert "nicht öffentlich" in manifest["planning_areas"]["note"]
    assert "Höhenstadtteile" in manifest["planning_areas"]["note"]
    (ortschaft,) = manifest["groupings"]
    assert ortschaft["id"] == "ortschaft" and ortschaft["empty"] is True
    assert "path" not in ortschaft
    assert "Ortsvorsteher" in ortschaft["note_de"] and "Ortsvorsteher" in ortschaft["note_en"]


@needs_raw
@pytest.mark.slow
def test_facilities_residents_and_programme_content(built: Path) -> None:
    facilities = read_csv(built / "facilities.csv")
    assert list(facilities[0]) == [
        "id",
        "name",
        "category",
        "subcategory",
        "address",
        "lat",
        "lon",
        "geocode_method",
        "source",
        "source_date",
    ]
    by_id = {r["id"]: r for r in facilities}
    assert by_id["ka-0001"]["address"] == "Sudetenstraße 45, 76187 Karlsruhe"
    assert (by_id["ka-0002"]["lat"], by_id["ka-0002"]["lon"]) == ("", "")
    assert sum(1 for r in facilities if r["lat"]) == 82
    # Nachtrag 2026-12: corrections, removals, new rows, five dimensions
    assert by_id["ka-0012"]["address"] == "Ernst-Frey-Straße 10, 76135 Karlsruhe"
    assert (by_id["ka-0012"]["lat"], by_id["ka-0012"]["lon"]) == ("48.998427", "8.378383")
    assert by_id["ka-0012"]["source_date"] == "2021-05-14"
    assert "Nachtrag 2026-12: https://presse.karlsruhe.de" in by_id["ka-0012"]["source"]
    assert by_id["ka-0003"]["address"] == "Julius-Hirsch-Straße 2, 76185 Karlsruhe"
    assert by_id["ka-0006"]["address"] == "Weinbrennerstraße 69, 76185 Karlsruhe"
    assert by_id["ka-0006"]["geocode_method"] == "osm-address-exact_mean_of_2"
    assert "ka-0042" not in by_id and "ka-0044" not in by_id
    assert by_id["ka-0079"]["name"] == "Bürgerzentrum Nordwest"
    assert by_id["ka-0049"]["category"] == "participation"
    assert {r["id"] for r in facilities if r["category"] == "network"} == {"ka-0035", "ka-0099"}
    added = [r for r in facilities if r["id"] >= "ka-0093"]
    assert len(added) == 16 and added[-1]["id"] == "ka-0108"
    assert sum(1 for r in added if r["lat"]) == 7
    assert all(r["source"] for r in added)
    residents = read_csv(built / "residents.csv")
    assert len(residents) == 39_138
    assert not [r for r in residents if "None" in r["address"].split()]
    assert {r["weight"] for r in residents} == {"1"}
    assert all(len(r["lat"].split(".")[1]) == 6 for r in residents[:100])
    programme = read_csv(built / "programme.csv")
    coordination = {r["district"] for r in programme if r["measure"] == "stadtteilkoordination"}
    assert coordination == {"01", "08", "09", "12", "13", "16"}
    centres = {r["district"] for r in programme if r["measure"] == "buergerzentrum"}
    assert centres == {"03", "04", "06", "08", "09", "10", "16"}
    assert all(r["source"] for r in programme)


# --- atomic failure -----------------------------------------------------------------------------


@needs_raw
def test_missing_source_file_names_it_and_leaves_out_intact(tmp_path: Path) -> None:
    missing = "population/stadtteile_statistik_2016.geojson"
    source = mirror_source(tmp_path / "raw", skip=(missing,))
    out = tmp_path / "out"
    out.mkdir()
    (out / "dataset.toml").write_text("previous build\n", encoding="utf-8")
    with pytest.raises(
        MissingSourceError, match=r"lacks 1 required file\(s\): population/stadtteile"
    ):
        build_dataset("karlsruhe", source=source, out=out)
    assert tree_bytes(out) == {"dataset.toml": b"previous build\n"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "raw"]


@needs_raw
@pytest.mark.slow
def test_bad_content_mid_build_leaves_out_intact(tmp_path: Path) -> None:
    bad = "population/altersstruktur-der-bevolkerung-3-bis-unter-6-jahrige-nach-geschlecht.csv"
    source = mirror_source(tmp_path / "raw", skip=(bad,))
    text = (RAW / bad).read_text(encoding="utf-8").replace('"Oststadt"', '"Ost-Stadt"', 1)
    (source / bad).write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    (out / "dataset.toml").write_text("x", encoding="utf-8")
    (out / "keep.txt").write_text("y", encoding="utf-8")
    with pytest.raises(BuildError, match=r"3-bis-unter-6.*row \d+: district 'Ost-Stadt' is not in"):
        build_dataset("karlsruhe", source=source, out=out)
    assert tree_bytes(out) == {"dataset.toml": b"x", "keep.txt": b"y"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "raw"]


def test_unknown_recipe_lists_valid_ones(tmp_path: Path) -> None:
    with pytest.raises(
        BuildError, match="unknown dataset recipe 'berlin'; valid recipes: karlsruhe"
    ):
        build_dataset("berlin", source=tmp_path, out=tmp_path / "out")
    assert available_recipes() == ("karlsruhe",)


def test_missing_source_folder(tmp_path: Path) -> None:
    with pytest.raises(MissingSourceError, match="does not exist"):
        build_dataset("karlsruhe", source=tmp_path / "nope", out=tmp_path / "out")
    assert not (tmp_path / "out").exists()


# --- fetched files ------------------------------------------------------------------------------


def _fetch_json(items: list[dict[str, object]]) -> str:
    return json.dumps(
        {"city": "karlsruhe", "fetched_at": "2027-02-03T10:00:00+00:00", "items": items}
    )


@needs_raw
@pytest.mark.slow
def test_fetched_geoportal_and_population_files_are_included(tmp_path: Path) -> None:
    source = mirror_source(tmp_path / "raw")
    fetched = source / "fetched"
    (fetched / "facilities" / "geoportal").mkdir(parents=True)
    (fetched / "population" / "transparenz").mkdir(parents=True)
    geojson = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": 7,
                "properties": {"NAME": "Jugendhaus Test", "UPDATED": 1700000000000},
                "geometry": {"type": "Point", "coordinates": [8.40412345678, 49.00912345678]},
            },
            {"type": "Feature", "id": 3, "properties": {"NAME": "Ohne Ort"}, "geometry": None},
        ],
    }
    (fetched / "facilities/geoportal/jugendeinrichtungen.geojson").write_text(
        json.dumps(geojson), encoding="utf-8"
    )
    lines = ['"_id","Stadtteil","Jahr","Personen","männlich","weiblich"']
    lines += [
        f'{i},"{name}","2021",{100 + i},50,{50 + i}' for i, name in enumerate(STADTTEILE.values())
    ]
    lines.append('99,"Karlsruhe","2021",99999,0,0')
    (fetched / "population/transparenz/alter-65-bis-75.csv").write_text(
        "\ufeff" + "\n".join(lines) + "\n", encoding="utf-8"
    )
    item = {"status": "ok", "licence": "not stated", "attribution": "Stadt Karlsruhe, Geoportal"}
    (fetched / "fetch.json").write_text(
        _fetch_json(
            [
                {
                    **item,
                    "id": "jugendeinrichtungen",
                    "kind": "facilities",
                    "path": "facilities/geoportal/jugendeinrichtungen.geojson",
                    "url": "https://geoportal.example/jugend",
                    "category": "youth",
                    "subcategory": "Jugendeinrichtung",
                },
                {
                    **item,
                    "id": "alter-65-bis-75",
                    "kind": "population",
                    "path": "population/transparenz/alter-65-bis-75.csv",
                    "url": "https://transparenz.example/65-75",
                    "category": "65_to_75",
                    "subcategory": "",
                },
                {
                    **item,
                    "id": "broken",
                    "kind": "facilities",
                    "status": "failed",
                    "path": None,
                    "url": "https://x",
                    "category": "care",
                },
            ]
        ),
        encoding="utf-8",
    )
    out = tmp_path / "out"
    build_dataset("karlsruhe", source=source, out=out)

    rows = {r["id"]: r for r in read_csv(out / "facilities.csv")}
    assert len(rows) == 106  # 104 bundled + 2 fetched
    youth = rows["jugendeinrichtungen-00007"]
    assert (youth["category"], youth["subcategory"]) == ("youth", "Jugendeinrichtung")
    assert (youth["lat"], youth["lon"]) == ("49.009123", "8.404123")
    assert youth["source_date"] == "2023-11-14"
    assert rows["jugendeinrichtungen-00003"]["lat"] == ""
    assert rows["jugendeinrichtungen-00003"]["source_date"] == "2027-02-03"
    population = read_csv(out / "population.csv")
    extra = [r for r in population if r["group"] == "65_to_75"]
    assert len(extra) == 27 and {r["year"] for r in extra} == {"2021"}
    assert sum(int(r["value"]) for r in extra) == sum(100 + i for i in range(27))
    manifest = tomllib.loads((out / "dataset.toml").read_text(encoding="utf-8"))
    categories = manifest["categories"]
    assert [c["id"] for c in categories] == [
        "meeting",
        "counselling",
        "care",
        "participation",
        "network",
        "youth",
    ]
    assert len({c["colour"] for c in categories}) == len(categories)
    assert manifest["metadata"]["date"] == "2027-02-03"
    group = next(g for g in manifest["groups"] if g["id"] == "65_to_75")
    assert group["label_de"] == "65 bis unter 75 Jahre"
    assert group["note_de"].startswith("Nur 2021 verfügbar")

    from layers.dataset import load_dataset

    dataset = load_dataset(out)
    assert "youth" in {c.id for c in dataset.categories}
    assert len(dataset.facilities) == 83


# --- pieces -------------------------------------------------------------------------------------


def test_toml_writer_round_trips_awkward_strings() -> None:
    tricky = 'Anführungszeichen " und \\ Backslash\tTab \x01 Steuerzeichen'
    document = [
        ("metadata", {"name": tricky, "notes": 'Zeile 1\nZeile "2" \\ \n"""drei"""', "n": 3}),
        ("districts", {"path": "a b.geojson", "columns": {"id": "NUMMER", "x-y": "z"}, "ok": True}),
        ("groups", [{"id": "65_plus", "years": [2016, 2021]}, {"id": "total", "share": 0.25}]),
    ]
    parsed = tomllib.loads(toml_text(document))
    assert parsed["metadata"] == {
        "name": tricky,
        "notes": 'Zeile 1\nZeile "2" \\ \n"""drei"""',
        "n": 3,
    }
    assert parsed["districts"]["columns"] == {"id": "NUMMER", "x-y": "z"}
    assert parsed["groups"] == [
        {"id": "65_plus", "years": [2016, 2021]},
        {"id": "total", "share": 0.25},
    ]


def test_csv_writer_quotes_and_refuses_unformatted_floats() -> None:
    text = csv_text(("a", "b", "c"), [('x, "y"', 3, None)])
    assert text == 'a,b,c\n"x, ""y""",3,\n'
    with pytest.raises(BuildError, match="format the float"):
        csv_text(("a",), [(0.1,)])
    with pytest.raises(BuildError, match="2 fields, header has 1"):
        csv_text(("a",), [("x", "y")])


def test_coordinates_are_rounded_to_six_decimals() -> None:
    assert format_coord(8.4) == "8.400000"
    assert format_coord(-0.0000001) == "0.000000"
    geometry = round_geometry(
        {"type": "LineString", "coordinates": [[8.1234561, 49.0], [8.1234564, 49.0], [8.2, 49.1]]}
    )
    assert geometry["coordinates"] == [[8.123456, 49.0], [8.2, 49.1]]
    text = geojson_text([{"properties": {"b": 1, "a": "ä"}, "geometry": geometry}])
    assert text.splitlines()[1] == (
        '{"geometry":{"coordinates":[[8.123456,49.0],[8.2,49.1]],"type":"LineString"},'
        '"properties":{"a":"ä","b":1},"type":"Feature"}'
    )


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        (
            "Henriette-Obermüller-Straße 10, None Karlsruhe",
            "Henriette-Obermüller-Straße 10, Karlsruhe",
        ),
        ("Engler-Bunte-Ring 21, 76131 None", "Engler-Bunte-Ring 21, 76131"),
        ("Brunnenhausstraße 5, None None", "Brunnenhausstraße 5"),
        ("Ludwig-Haas-Straße 7,7a,7b, None None", "Ludwig-Haas-Straße 7,7a,7b"),
        ("Nebeniusstraße 22, 76137 Karlsruhe", "Nebeniusstraße 22, 76137 Karlsruhe"),
    ],
)
def test_address_placeholders_are_dropped(raw: str, clean: str) -> None:
    assert _clean_address(raw) == clean


def test_german_address_leaves_out_missing_parts() -> None:
    assert _german_address("Sudetenstraße", "45", "76187", "Karlsruhe") == (
        "Sudetenstraße 45, 76187 Karlsruhe"
    )
    assert _german_address("Römhildstraße", "", "", "Karlsruhe") == "Römhildstraße, Karlsruhe"


PROGRAMME_TEXT = """# Notes

- Stadtteilkoordination existed (status May 2023) in two Stadtteile: Südstadt,
  Innenstadt-Ost (example.de/a/). Innenstadt-Ost was added Nov 2019 – Oct 2020 via the
  state "Programm" (example.de/b).
- Since January 2024 a funding guideline for "Stadtteilhäuser" applies to the two existing
  Bürgerzentren in Südweststadt and Südstadt; the "Bürgerzentrum Waldstadt" (a former
  meeting place) was newly added (example.org/c; example.com/d).
- The council adopted the concept "X" on 28 April 2020; the city has implemented it since
  2018, starting as a pilot in Mühlburg (Landesstrategie "Q"); more (example.de/e).
"""


def test_parse_programme_reads_only_what_the_text_says() -> None:
    rows, dates = parse_programme(PROGRAMME_TEXT, list(STADTTEILE.values()))
    by_key = {(r[0], r[1]): r for r in rows}
    assert sorted(by_key) == [
        ("Innenstadt-Ost", "stadtteilkoordination"),
        ("Mühlburg", "quartiersentwicklung_pilot"),
        ("Südstadt", "buergerzentrum"),
        ("Südstadt", "stadtteilkoordination"),
        ("Südweststadt", "buergerzentrum"),
        ("Waldstadt", "buergerzentrum"),
    ]
    ost = by_key["Innenstadt-Ost", "stadtteilkoordination"]
    assert ost[2] == ""  # no start date stated
    assert "added Nov 2019 – Oct 2020" in ost[3]
    assert ost[4] == "example.de/a/ ; example.de/b" and ost[5] == "2023-05"
    assert by_key["Südstadt", "stadtteilkoordination"][4] == "example.de/a/"
    assert by_key["Mühlburg", "quartiersentwicklung_pilot"][2] == "2018"
    assert by_key["Waldstadt", "buergerzentrum"][4] == "example.org/c ; example.com/d"
    assert sorted(dates) == ["2023-05", "2024-01"]


def test_parse_programme_fails_loudly_when_the_text_changed() -> None:
    names = list(STADTTEILE.values())
    fewer = PROGRAMME_TEXT.replace("Südstadt,\n  Innenstadt-Ost", "Südstadt")
    with pytest.raises(
        BuildError, match="says two Stadtteile with Stadtteilkoordination but names 1"
    ):
        parse_programme(fewer, names)
    with pytest.raises(BuildError, match=f"{PROGRAMME_FILE}: expected one bullet containing"):
        parse_programme(PROGRAMME_TEXT.replace("Bürgerzentren in", "centres in"), names)


@needs_raw
def test_committed_dataset_is_small() -> None:
    total = sum(p.stat().st_size for p in COMMITTED.rglob("*") if p.is_file())
    assert total <= 10 * 1024 * 1024


@needs_raw
def test_out_inside_or_around_source_is_refused(tmp_path: Path) -> None:
    source = mirror_source(tmp_path / "raw")
    with pytest.raises(BuildError, match="must not be the source folder"):
        build_dataset("karlsruhe", source=source, out=source / "out")
    assert not (source / "out").exists()
    with pytest.raises(BuildError, match="must not be the source folder"):
        build_dataset("karlsruhe", source=source, out=tmp_path)
    assert (source / REQUIRED_FILES[0]).exists()


@needs_raw
def test_a_folder_that_is_not_a_dataset_is_never_replaced(tmp_path: Path) -> None:
    source = mirror_source(tmp_path / "raw")
    out = tmp_path / "home"
    out.mkdir()
    (out / "thesis.txt").write_text("precious", encoding="utf-8")
    with pytest.raises(BuildError, match=r"holds no dataset\.toml; refusing to replace"):
        build_dataset("karlsruhe", source=source, out=out)
    assert tree_bytes(out) == {"thesis.txt": b"precious"}
    (tmp_path / "file").write_text("", encoding="utf-8")
    with pytest.raises(BuildError, match="is a file"):
        build_dataset("karlsruhe", source=source, out=tmp_path / "file")


# --- Nachtrag 2026-12 ---------------------------------------------------------------------------


@needs_raw
def test_stale_nachtrag_correction_stops_the_build(tmp_path: Path) -> None:
    from layers.build.karlsruhe import FACILITIES_FILE

    source = mirror_source(tmp_path / "raw", skip=(FACILITIES_FILE,))
    text = (RAW / FACILITIES_FILE).read_text(encoding="utf-8")
    (source / FACILITIES_FILE).write_text(
        text.replace("Kaiserstraße,235", "Kaiserstraße,237"), encoding="utf-8"
    )
    with pytest.raises(BuildError, match=r"correction of ka-0012 expects 'Kaiserstraße 235'"):
        build_dataset("karlsruhe", source=source, out=tmp_path / "out")


@needs_raw
def test_unknown_geocoding_value_in_nachtrag_names_row_and_column(tmp_path: Path) -> None:
    from layers.build.karlsruhe_nachtrag import NACHTRAG_FILE

    source = mirror_source(tmp_path / "raw", skip=(NACHTRAG_FILE,))
    lines = (RAW / NACHTRAG_FILE).read_text(encoding="utf-8").splitlines()
    lines[2] = lines[2].replace(",address_points,", ",gps,", 1)
    (source / NACHTRAG_FILE).write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(
        BuildError, match=r"nachtrag_2026-12\.csv, row 3, column geocoded_by: unknown value 'gps'"
    ):
        build_dataset("karlsruhe", source=source, out=tmp_path / "out")


@needs_raw
@pytest.mark.slow
def test_unnamed_osm_facilities_read_as_their_kind(built: Path) -> None:
    facilities = pd.read_csv(built / "facilities.csv", dtype=str)
    assert not facilities["name"].str.contains("Name nicht in der Quelle").any()
    unnamed = facilities[facilities["name"].str.endswith("(ohne Namen in OSM)")]
    assert len(unnamed) > 10
    assert set(unnamed["name"]) == {"Gemeinschaftszentrum (ohne Namen in OSM)"}
