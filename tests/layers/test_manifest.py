"""Reading ``dataset.toml``: layer tables, defaults, catalogues, and manifest errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from layers._validate import IssueCollector
from layers.catalogue import DEFAULT_CATEGORIES
from layers.errors import ManifestError
from layers.manifest import manifest_path, read_manifest

BASE = """
[metadata]
name = "Test"
city = "Teststadt"
attribution = "Stadt Test"
licence = "dl-de/by-2-0"

[districts]
path = "districts.geojson"
columns = { id = "NUMMER", name = "Name" }
"""


def _read(tmp_path: Path, text: str) -> tuple:
    (tmp_path / "dataset.toml").write_text(text, encoding="utf-8")
    collector = IssueCollector()
    return read_manifest(tmp_path, collector), collector


def _messages(collector: IssueCollector, severity: str = "error") -> list[str]:
    return [i.message for i in collector.issues if i.severity == severity]


def test_minimal_manifest(tmp_path: Path) -> None:
    manifest, collector = _read(tmp_path, BASE)
    assert collector.issues == []
    assert (manifest.name, manifest.city, manifest.metric_crs) == ("Test", "Teststadt", None)
    assert manifest.root == tmp_path.resolve()
    spec = manifest.districts
    assert spec.path == tmp_path.resolve() / "districts.geojson"
    assert spec.file == "districts.geojson"
    assert spec.column("id") == "NUMMER"
    # Canonical columns that are not mapped are looked up under their canonical name.
    assert spec.column("geometry") == "geometry"
    # Layers inherit the dataset-wide attribution and licence.
    assert (spec.attribution, spec.licence) == ("Stadt Test", "dl-de/by-2-0")
    assert manifest.categories == DEFAULT_CATEGORIES
    assert manifest.facilities == () and manifest.population == ()


def test_name_defaults_to_the_folder_and_city_to_the_name(tmp_path: Path) -> None:
    folder = tmp_path / "musterstadt"
    folder.mkdir()
    manifest, _ = _read(folder, '[districts]\npath = "d.geojson"\n')
    assert (manifest.name, manifest.city) == ("musterstadt", "musterstadt")


def test_manifest_file_may_be_named_directly(tmp_path: Path) -> None:
    (tmp_path / "other.toml").write_text(BASE, encoding="utf-8")
    assert manifest_path(tmp_path / "other.toml") == tmp_path / "other.toml"
    assert manifest_path(tmp_path) == tmp_path / "dataset.toml"
    manifest = read_manifest(tmp_path / "other.toml", IssueCollector())
    assert manifest.name == "Test"


def test_missing_manifest(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match=r"no dataset\.toml found"):
        read_manifest(tmp_path, IssueCollector())


def test_invalid_toml(tmp_path: Path) -> None:
    (tmp_path / "dataset.toml").write_text('[metadata\nname = "x"\n', encoding="utf-8")
    with pytest.raises(ManifestError, match="not a valid TOML file"):
        read_manifest(tmp_path, IssueCollector())


def test_manifest_with_bom_and_umlauts(tmp_path: Path) -> None:
    (tmp_path / "dataset.toml").write_bytes(
        ("\ufeff" + BASE.replace('"Teststadt"', '"Lörrach"')).encode()
    )
    assert read_manifest(tmp_path, IssueCollector()).city == "Lörrach"


@pytest.mark.parametrize("bad_path", ["../x.csv", "sub/../../x.csv", "/etc/passwd"])
def test_path_outside_the_dataset_folder_is_an_error(tmp_path: Path, bad_path: str) -> None:
    text = BASE + f'\n[[population]]\npath = "{bad_path}"\n'
    manifest, collector = _read(tmp_path, text)
    assert manifest.population == ()
    assert _messages(collector) == [
        f"[population] path {bad_path!r} points outside the dataset folder"
    ]


def test_path_in_a_subfolder_is_fine(tmp_path: Path) -> None:
    manifest, collector = _read(tmp_path, BASE + '\n[[population]]\npath = "sub/../pop.csv"\n')
    assert collector.issues == []
    assert manifest.population[0].path == tmp_path.resolve() / "pop.csv"


def test_missing_districts_table_and_path(tmp_path: Path) -> None:
    _, collector = _read(tmp_path, '[metadata]\nname = "x"\n\n[[population]]\ncolumns = {}\n')
    assert _messages(collector) == [
        "the required table [districts] is missing",
        '[population] needs path = "<file>"',
    ]


def test_districts_as_array_of_tables_is_an_error(tmp_path: Path) -> None:
    _, collector = _read(tmp_path, '[[districts]]\npath = "a.geojson"\n')
    assert _messages(collector) == ["[districts] must be a single table, not [[districts]]"]


def test_unknown_tables_and_keys_are_warnings(tmp_path: Path) -> None:
    text = (
        BASE
        + '\n[stats]\nx = 1\n\n[[facilities]]\npath = "f.csv"\ncategory = "care"\ncolour = "red"\n'
    )
    manifest, collector = _read(tmp_path, text)
    assert _messages(collector) == []
    assert _messages(collector, "warning") == [
        "unknown table [stats] is ignored",
        "[facilities] key 'colour' is unknown and ignored",
    ]
    assert manifest.facilities[0].option("category") == "care"


def test_columns_must_map_to_strings(tmp_path: Path) -> None:
    _, collector = _read(tmp_path, '[districts]\npath = "d.geojson"\ncolumns = { id = 3 }\n')
    assert _messages(collector) == ["[districts] columns must map names to strings"]


def test_layer_options_are_kept(tmp_path: Path) -> None:
    text = BASE + (
        '\n[[population]]\npath = "p.csv"\nyear = 2021\nencoding = "cp1252"\ndelimiter = ";"\n'
        'decimal = ","\nthousands = "."\ngroups = { total = "Einwohner" }\n'
        'district_key = "name"\nlicence = "CC BY 4.0"\n'
    )
    manifest, collector = _read(tmp_path, text)
    assert collector.issues == []
    spec = manifest.population[0]
    assert (spec.encoding, spec.delimiter, spec.decimal, spec.thousands) == (
        "cp1252",
        ";",
        ",",
        ".",
    )
    assert spec.option("year") == 2021
    assert dict(spec.option("groups")) == {"total": "Einwohner"}
    assert spec.option("district_key") == "name"
    assert spec.licence == "CC BY 4.0"
    assert spec.option("missing") is None


def test_custom_category_catalogue(tmp_path: Path) -> None:
    text = BASE + (
        '\n[[categories]]\nid = "care"\n\n[[categories]]\nid = "youth"\nlabel_de = "Jugend"\n'
        'label_en = "Youth"\ncolour = "#123456"\n'
    )
    manifest, collector = _read(tmp_path, text)
    assert collector.issues == []
    care, youth = manifest.categories
    # A default id keeps its default labels and colour; a new one takes what is given.
    default_care = next(c for c in DEFAULT_CATEGORIES if c.id == "care")
    assert care == default_care
    assert (youth.id, youth.label_de, youth.label_en, youth.colour) == (
        "youth",
        "Jugend",
        "Youth",
        "#123456",
    )


def test_category_catalogue_errors(tmp_path: Path) -> None:
    text = BASE + (
        '\n[[categories]]\nid = "care"\n\n[[categories]]\nid = "care"\n'
        '\n[[categories]]\nlabel_de = "ohne id"\n\n[[categories]]\nid = "x"\ncolour = "blue"\n'
    )
    manifest, collector = _read(tmp_path, text)
    assert _messages(collector) == [
        "[[categories]] id 'care' is listed twice",
        "[[categories]] entry 3 needs an id",
        "[[categories]] x: colour must be '#rrggbb'",
    ]
    assert [c.id for c in manifest.categories] == ["care", "x"]


def test_group_labels(tmp_path: Path) -> None:
    text = BASE + (
        '\n[[groups]]\nid = "65_plus"\nnote_de = "nur 2016"\n'
        '\n[[groups]]\nid = "wohnberechtigt"\nlabel_en = "entitled"\n'
    )
    manifest, collector = _read(tmp_path, text)
    assert collector.issues == []
    old, own = manifest.groups
    assert (old.label_de, old.note_de) == ("65 Jahre und älter", "nur 2016")
    assert (own.label_de, own.label_en) == ("wohnberechtigt", "entitled")


def test_layers_lists_every_table_once(tmp_path: Path) -> None:
    text = BASE + (
        '\n[[facilities]]\npath = "a.csv"\n[[facilities]]\npath = "b.csv"\n'
        '[[population]]\npath = "p.csv"\n[residents]\npath = "r.csv"\n'
        '[planning_areas]\npath = "pa.csv"\nproposal = true\n'
    )
    manifest, _ = _read(tmp_path, text)
    assert [s.file for s in manifest.layers()] == [
        "districts.geojson",
        "a.csv",
        "b.csv",
        "p.csv",
        "r.csv",
        "pa.csv",
    ]
    assert manifest.planning_areas.option("proposal") is True
