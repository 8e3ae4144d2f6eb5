"""Loading a whole dataset: metadata, metric CRS, error collection across layers, speed."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from pyproj import CRS, Transformer
from shapely.geometry import Point, box

from layers.dataset import (
    DATA_ENV,
    Dataset,
    default_dataset_path,
    load_dataset,
    validate_dataset,
)
from layers.errors import DatasetError, LayersError, ManifestError

X0, Y0 = 455_000.0, 5_425_000.0  # south-west corner of the grid (tests/conftest.py)


def _manifest(grid_dataset: Path) -> str:
    return (grid_dataset / "dataset.toml").read_text(encoding="utf-8")


def _lines(path: Path) -> list[str]:
    return [i.format() for i in validate_dataset(path)]


def test_grid_dataset_loads(grid_dataset: Path) -> None:
    dataset = load_dataset(grid_dataset)
    assert isinstance(dataset, Dataset)
    assert dataset.issues == ()
    meta = dataset.metadata
    assert (meta.name, meta.city) == ("Testgrid", "Teststadt")
    assert meta.metric_crs == CRS.from_epsg(25832)
    assert meta.root == grid_dataset.resolve()
    assert [(s.layer, s.file) for s in meta.sources] == [
        ("districts", "districts.geojson"),
        ("facilities", "facilities.csv"),
        ("population", "population.csv"),
    ]
    for frame in (dataset.districts, dataset.facilities, dataset.resident_points):
        assert CRS.from_user_input(frame.crs) == meta.metric_crs
    assert list(dataset.districts.columns) == ["id", "name", "geometry"]
    assert dataset.districts["id"].tolist() == ["0101", "0102", "0201", "0202"]
    assert dataset.districts.area.tolist() == [1e6] * 4
    assert dataset.facilities["category"].tolist() == ["meeting", "counselling", "care"]
    assert dataset.category_ids == ("meeting", "counselling", "care", "participation", "network")
    assert dataset.addresses is None and dataset.planning_areas is None
    assert dataset.programme is None and dataset.network is None
    with pytest.raises(AttributeError):
        dataset.districts = None  # type: ignore[misc]


def test_manifest_file_path_is_accepted(grid_dataset: Path) -> None:
    assert len(load_dataset(grid_dataset / "dataset.toml").districts) == 4


def test_load_raises_dataset_error_with_every_problem(grid_dataset: Path, write_dataset) -> None:
    write_dataset(
        grid_dataset,
        _manifest(grid_dataset),
        {
            "facilities.csv": "name,category,x,y\nA,pflege,1,2\n",
            "population.csv": "district,year,group,value\n0101,2021,total,-1\n",
        },
    )
    with pytest.raises(DatasetError) as info:
        load_dataset(grid_dataset)
    error = info.value
    assert isinstance(error, LayersError) and isinstance(error, ValueError)
    files = [i.file for i in error.issues if i.severity == "error"]
    assert files == ["facilities.csv", "population.csv"]
    text = str(error)
    assert text.splitlines()[0].endswith(
        "the dataset has 2 error(s); run `quartiersatlas validate " + str(grid_dataset) + "`"
    )
    assert "error: population.csv, row 2, column 'value': negative value: -1.0" in text


def test_facility_errors_are_reported_even_when_districts_fail(
    grid_dataset: Path, write_dataset
) -> None:
    write_dataset(
        grid_dataset,
        _manifest(grid_dataset),
        {"districts.geojson": b"", "facilities.csv": "name,category,x,y\nA,pflege,1,2\n"},
    )
    lines = _lines(grid_dataset)
    assert lines[0] == "error: districts.geojson: file is empty"
    assert any("unknown category 'pflege'" in line for line in lines)


def test_missing_manifest_is_a_manifest_error(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match=r"no dataset\.toml found"):
        load_dataset(tmp_path)
    with pytest.raises(ManifestError):
        validate_dataset(tmp_path)


def test_missing_file_is_an_error(grid_dataset: Path) -> None:
    (grid_dataset / "population.csv").unlink()
    assert _lines(grid_dataset) == ["error: population.csv: file not found"]


def test_path_traversal_in_a_manifest_is_an_error(grid_dataset: Path, write_dataset) -> None:
    outside = grid_dataset.parent / "geheim.csv"
    outside.write_text("district,year,group,value\n0101,2021,total,1\n", encoding="utf-8")
    text = _manifest(grid_dataset).replace('path = "population.csv"', 'path = "../geheim.csv"')
    write_dataset(grid_dataset, text, {})
    lines = _lines(grid_dataset)
    assert lines[0] == (
        "error: dataset.toml: [population] path '../geheim.csv' points outside the dataset folder"
    )


def test_symlink_out_of_the_dataset_folder_is_an_error(grid_dataset: Path, write_dataset) -> None:
    outside = grid_dataset.parent / "elsewhere.csv"
    outside.write_text((grid_dataset / "population.csv").read_text(), encoding="utf-8")
    (grid_dataset / "link.csv").symlink_to(outside)
    text = _manifest(grid_dataset).replace('path = "population.csv"', 'path = "link.csv"')
    write_dataset(grid_dataset, text, {})
    assert "points outside the dataset folder" in _lines(grid_dataset)[0]


# --- metric CRS -----------------------------------------------------------------------------


def _districts_around(lon: float, lat: float) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"id": ["1", "2"], "name": ["a", "b"]},
        geometry=[
            box(lon, lat, lon + 0.01, lat + 0.01),
            box(lon + 0.01, lat, lon + 0.02, lat + 0.01),
        ],
        crs=4326,
    )


@pytest.mark.parametrize(
    ("lon", "lat", "epsg"),
    [
        (8.40, 49.00, 25832),  # Karlsruhe: ETRS89 / UTM 32N (easting first, not EPSG:3044)
        (13.40, 52.52, 25833),  # Berlin
        (9.99, 53.55, 25832),  # Hamburg
        (-74.00, 40.71, 32618),  # New York: no ETRS89 zone, WGS 84 / UTM 18N
    ],
)
def test_metric_crs_is_the_utm_zone_when_absent(
    tmp_path: Path, write_dataset, lon: float, lat: float, epsg: int
) -> None:
    path = write_dataset(
        tmp_path / "utm",
        '[districts]\npath = "d.geojson"\n[[population]]\npath = "p.csv"\n',
        {
            "d.geojson": _districts_around(lon, lat),
            "p.csv": "district,year,group,value\n1,2020,total,5\n2,2020,total,7\n",
        },
    )
    dataset = load_dataset(path)
    assert dataset.metadata.metric_crs.to_epsg() == epsg
    assert CRS.from_user_input(dataset.districts.crs).to_epsg() == epsg
    # Areas are in square metres: 0.01° × 0.01° is roughly 0.7–0.9 km² at these latitudes.
    assert 0.6e6 < dataset.districts.area.iloc[0] < 0.95e6


def test_geographic_or_unknown_metric_crs_is_an_error(grid_dataset: Path, write_dataset) -> None:
    text = _manifest(grid_dataset)
    write_dataset(grid_dataset, text.replace('"EPSG:25832"', '"EPSG:4326"', 1), {})
    assert _lines(grid_dataset) == [
        "error: dataset.toml: metric_crs EPSG:4326 is not projected; choose a metric CRS such as "
        "a UTM zone"
    ]
    write_dataset(grid_dataset, text.replace('"EPSG:25832"', '"ETRS89 UTM"', 1), {})
    assert "is not a known CRS" in _lines(grid_dataset)[0]


def test_districts_with_a_legacy_crs_member_are_projected(tmp_path: Path, write_dataset) -> None:
    to_25833 = Transformer.from_crs(25832, 25833, always_xy=True)
    ring = [
        to_25833.transform(x, y)
        for x, y in [(X0, Y0), (X0 + 1000, Y0), (X0 + 1000, Y0 + 1000), (X0, Y0 + 1000), (X0, Y0)]
    ]
    collection = {
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::25833"}},
        "features": [
            {
                "type": "Feature",
                "properties": {"id": "1", "name": "Ost"},
                "geometry": {"type": "Polygon", "coordinates": [[list(p) for p in ring]]},
            }
        ],
    }
    path = write_dataset(
        tmp_path / "legacy",
        '[metadata]\nmetric_crs = "EPSG:25832"\n[districts]\npath = "d.geojson"\n'
        '[[population]]\npath = "p.csv"\n',
        {
            "d.geojson": json.dumps(collection),
            "p.csv": "district,year,group,value\n1,2020,total,5\n",
        },
    )
    district = load_dataset(path).districts.geometry.iloc[0]
    assert district.centroid.distance(Point(X0 + 500, Y0 + 500)) < 1.0
    assert district.area == pytest.approx(1e6, rel=1e-3)


# --- programme, network, defaults -----------------------------------------------------------


def test_programme_table(grid_dataset: Path, write_dataset) -> None:
    text = _manifest(grid_dataset) + '\n[programme]\npath = "programm.csv"\n'
    programme = (
        "district,measure,since,source\n101,stadtteilkoordination,2019,https://example.org\n"
        "0202,buergerzentrum,,\n"
    )
    write_dataset(grid_dataset, text, {"programm.csv": programme})
    frame = load_dataset(grid_dataset).programme
    assert frame.to_dict("records") == [
        {
            "district_id": "0101",
            "measure": "stadtteilkoordination",
            "since": "2019",
            "note": "",
            "source": "https://example.org",
            "source_date": "",
        },
        {
            "district_id": "0202",
            "measure": "buergerzentrum",
            "since": "",
            "note": "",
            "source": "",
            "source_date": "",
        },
    ]
    write_dataset(grid_dataset, text, {"programm.csv": "district,measure\nNordwst,x\n"})
    assert _lines(grid_dataset) == [
        "error: programm.csv, row 2, column 'district': unknown district 'Nordwst' "
        "(did you mean 'Nordwest' or 'Nordost'?)"
    ]


def test_network_table(grid_dataset: Path, write_dataset) -> None:
    text = _manifest(grid_dataset) + (
        '\n[network]\npath = "wege.geojson"\napproximate = true\nnote = "nur Fußwege"\n'
    )
    write_dataset(grid_dataset, text, {"wege.geojson": "{}"})
    network = load_dataset(grid_dataset).network
    assert network.path == (grid_dataset / "wege.geojson").resolve()
    assert (network.approximate, network.note) == (True, "nur Fußwege")


def test_default_dataset_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(DATA_ENV, raising=False)
    assert default_dataset_path().parts[-2:] == ("data", "karlsruhe")
    monkeypatch.setenv(DATA_ENV, str(tmp_path))
    assert default_dataset_path() == tmp_path


# --- speed ----------------------------------------------------------------------------------
# CPU time of this process (best of three), so that other work on a shared machine does not count.


def test_loading_40k_residents_is_fast(tmp_path: Path, write_dataset) -> None:
    """A Karlsruhe-sized dataset (27 districts, 40k addressed buildings) loads well under 1.5 s."""
    cells = [
        box(X0 + c * 2000, Y0 + r * 2000, X0 + (c + 1) * 2000, Y0 + (r + 1) * 2000)
        for r in range(3)
        for c in range(9)
    ]
    ids = [f"{i + 1:02d}" for i in range(27)]
    districts = gpd.GeoDataFrame(
        {"id": ids, "name": [f"Teil {i}" for i in ids]}, geometry=cells, crs=25832
    )
    rng = np.random.default_rng(44)
    xy = rng.uniform([X0, Y0], [X0 + 18_000, Y0 + 6_000], size=(40_000, 2))
    lon, lat = Transformer.from_crs(25832, 4326, always_xy=True).transform(xy[:, 0], xy[:, 1])
    residents = "full_address,lat,lon\n" + "".join(
        f'"Straße {i}, 76133 Karlsruhe",{la:.7f},{lo:.7f}\n'
        for i, (la, lo) in enumerate(zip(lat, lon, strict=True))
    )
    population = "district,year,group,value\n" + "".join(
        f"{d},{y},{g},{100 + y - 2000}\n"
        for d in ids
        for y in range(2007, 2022)
        for g in ("total", "under_3", "3_to_6", "6_to_15", "15_to_18")
    )
    path = write_dataset(
        tmp_path / "big",
        '[metadata]\nmetric_crs = "EPSG:25832"\n[districts]\npath = "d.geojson"\n'
        '[[population]]\npath = "p.csv"\n[residents]\npath = "r.csv"\n'
        'columns = { address = "full_address" }\n',
        {"d.geojson": districts, "p.csv": population, "r.csv": residents},
    )
    timings = []
    for _ in range(3):
        start = time.process_time()
        dataset = load_dataset(path)
        timings.append(time.process_time() - start)
    assert len(dataset.resident_points) == 40_000
    assert len(dataset.addresses) == 40_000
    assert min(timings) < 1.5, timings


def test_bundled_dataset_loads_fast() -> None:
    """The bundled Karlsruhe dataset (≈40k resident points) loads well under 1.5 s."""
    path = default_dataset_path()
    if DATA_ENV in os.environ or not (path / "dataset.toml").is_file():
        pytest.skip("the bundled dataset data/karlsruhe is not built")
    timings = []
    for _ in range(3):
        start = time.process_time()
        dataset = load_dataset(path)
        timings.append(time.process_time() - start)
    assert len(dataset.districts) == 27
    assert len(dataset.resident_points) > 30_000
    assert min(timings) < 1.5, timings
