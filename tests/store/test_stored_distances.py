"""Distances are read from the store at start: PostGIS after `db load --precompute`, else a file cache."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from layers.coverage import dataset_distance_table
from layers.dataset import load_dataset
from layers.store import data_version, database_source, open_dataset
from layers.store.distances import distance_table_for, precompute_distances
from layers.store.postgis import load_dataset_into_db


def _forbid_computing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any distance computation fails the test: distances must come from the store.

    The distance table computes through these two functions (a KD-tree query, Dijkstra on the
    walking graph); building the walking graph itself is allowed (it has its own cache, the
    CLI's folder, which a test may find empty).
    """

    def refuse(*args, **kwargs):
        raise AssertionError("distances were computed instead of read from the store")

    import layers.coverage

    monkeypatch.setattr(layers.coverage, "nearest_euclidean", refuse)
    monkeypatch.setattr(layers.coverage, "network_distances", refuse)


def _computed(table) -> dict[str, np.ndarray]:
    """Every category's distances, computed now (before computing is forbidden)."""
    return {category: table.distances_m(category) for category in table.categories}


def _assert_same(table, expected: dict[str, np.ndarray]) -> None:
    assert table.categories == tuple(expected)
    for category, values in expected.items():
        np.testing.assert_array_equal(table.distances_m(category), values)
        assert not table.distances_m(category).flags.writeable


def test_file_cache_is_filled_once_then_read(sample_dir, tmp_path, monkeypatch):
    fresh = _computed(dataset_distance_table(load_dataset(sample_dir)))
    first = distance_table_for(load_dataset(sample_dir), cache_dir=tmp_path)
    _assert_same(first, fresh)
    files = sorted(tmp_path.rglob("*.npy"))
    assert len(files) == len(fresh)
    assert files[0].parent.parent.name == data_version(load_dataset(sample_dir))
    assert not list(tmp_path.rglob("*.tmp"))  # atomic writes leave no temporary files
    # a new process (here: a new Dataset object of the same files) reads, never computes
    _forbid_computing(monkeypatch)
    _assert_same(distance_table_for(load_dataset(sample_dir), cache_dir=tmp_path), fresh)


def test_file_cache_ignores_other_versions_and_damaged_files(sample_dir, tmp_path):
    cache = tmp_path / "cache"
    distance_table_for(load_dataset(sample_dir), cache_dir=cache)
    for path in cache.rglob("*.npy"):
        path.write_bytes(b"not an array")
    fresh = _computed(dataset_distance_table(load_dataset(sample_dir)))
    _assert_same(distance_table_for(load_dataset(sample_dir), cache_dir=cache), fresh)
    # the damaged files were replaced by good ones
    assert all(np.load(p).shape == next(iter(fresh.values())).shape for p in cache.rglob("*.npy"))
    # changed data is another version: its own folder, the old arrays are not used for it
    changed = load_dataset(
        __import__("qa_sample").write_sample_dataset(tmp_path / "v2", population_scale=3.0)
    )
    distance_table_for(changed, cache_dir=cache)
    assert {p.parent.parent.name for p in cache.rglob("*.npy")} == {
        data_version(load_dataset(sample_dir)),
        data_version(changed),
    }


def test_network_distances_are_cached_too(sample_dir, tmp_path, monkeypatch):
    fresh = _computed(dataset_distance_table(load_dataset(sample_dir), distance="network"))
    distance_table_for(load_dataset(sample_dir), distance="network", cache_dir=tmp_path)
    _forbid_computing(monkeypatch)
    _assert_same(
        distance_table_for(load_dataset(sample_dir), distance="network", cache_dir=tmp_path),
        fresh,
    )


def test_without_cache_nothing_is_written(sample_dir, tmp_path):
    table = distance_table_for(load_dataset(sample_dir), cache_dir=tmp_path, use_cache=False)
    table.distances_m(table.categories[0])
    assert not list(tmp_path.rglob("*"))


@pytest.mark.postgis
def test_database_dataset_reads_the_precomputed_distances(
    sample_dir, database_url, monkeypatch, tmp_path
):
    dataset = load_dataset(sample_dir)
    load_dataset_into_db(dataset, database_url)
    precompute_distances(dataset, database_url, modes=("euclidean", "network"))
    fresh = {
        m: _computed(dataset_distance_table(dataset, distance=m)) for m in ("euclidean", "network")
    }
    from_db = open_dataset(database_url=database_url)
    assert database_source(from_db) == (database_url, data_version(dataset))
    _forbid_computing(monkeypatch)
    for mode, table in fresh.items():
        _assert_same(distance_table_for(from_db, distance=mode, cache_dir=tmp_path), table)
    assert not list(tmp_path.rglob("*.npy"))  # the database is the store; no file cache


@pytest.mark.postgis
def test_app_on_precomputed_database_starts_without_computing(
    sample_dir, database_url, monkeypatch
):
    from dashboard.app import create_app

    dataset = load_dataset(sample_dir)
    load_dataset_into_db(dataset, database_url)
    precompute_distances(dataset, database_url)
    from_db = open_dataset(database_url=database_url)
    _forbid_computing(monkeypatch)
    app = create_app(from_db)
    assert app.server.test_client().get("/").status_code == 200


def test_data_version_sees_a_moved_resident_point_in_the_middle(sample_dir):
    """The cache key must change with any resident point, not only the first and last few."""
    dataset = load_dataset(sample_dir)
    xy = dataset.residents.xy.copy()
    xy[len(xy) // 2, 0] += 1.0
    moved = dataclasses.replace(dataset, residents=dataclasses.replace(dataset.residents, xy=xy))
    assert data_version(moved) != data_version(dataset)
    assert data_version(load_dataset(sample_dir)) == data_version(dataset)
