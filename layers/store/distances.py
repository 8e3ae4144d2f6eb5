"""Stored distance tables: read instead of recomputed, keyed by data version and distance mode.

:func:`distance_table_for` is the one call that gives a dataset's
:class:`~layers.coverage.DistanceTable` with its distances already in place:

- a dataset read from PostGIS gets the arrays ``db load --precompute`` stored
  (:func:`precompute_distances`, :func:`stored_distance_table`);
- any other dataset gets them from a file cache (one ``.npy`` per category under
  ``<cache>/distances/<data version>/<mode>/``, written atomically the first time).

A new ``db load`` or changed files have another data version, so stale arrays are never used
(the database's are deleted by that load). Categories without stored arrays are computed on
first use as usual, so the result always equals :func:`layers.coverage.dataset_distance_table`.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from layers._atomic import atomic_write_bytes
from layers.coverage import DistanceTable, dataset_distance_table
from layers.dataset import Dataset
from layers.network import NetworkCache, default_cache_dir
from layers.store import data_version, database_source
from layers.store.postgis import cache_root, distance_mode_key, load_distances, save_distances
from layers.types import DistanceMode

log = logging.getLogger(__name__)


def _mode_key(dataset: Dataset, distance: str, detour_factor: float | None, network: str | None):
    path = network
    if distance == "network" and path is None and dataset.network is not None:
        path = str(dataset.network.path)
    return distance_mode_key(distance=distance, detour_factor=detour_factor, network_path=path)


def precompute_distances(
    dataset: Dataset,
    url: str,
    *,
    modes: Sequence[DistanceMode] = ("euclidean",),
) -> dict[str, int]:
    """Compute and store the distance arrays of every category for each of ``modes``.

    ``"network"`` is skipped (with a log message) when the dataset has no walking network.

    Returns
    -------
    dict
        Number of stored categories per mode key.
    """
    version = data_version(dataset)
    stored: dict[str, int] = {}
    for mode in modes:
        if mode == "network" and dataset.network is None:
            log.info("no walking network: network distances not precomputed")
            continue
        table = dataset_distance_table(dataset, distance=mode)
        arrays = {c: np.asarray(table.distances_m(c)) for c in table.categories}
        key = _mode_key(dataset, mode, None, None)
        save_distances(url, name=dataset.metadata.name, version=version, mode=key, distances=arrays)
        stored[key] = len(arrays)
    return stored


def stored_distance_table(
    dataset: Dataset,
    url: str,
    *,
    distance: DistanceMode = "euclidean",
    detour_factor: float | None = None,
    network_path: str | Path | None = None,
) -> DistanceTable:
    """The dataset's :class:`DistanceTable`, primed with the arrays stored for its data version.

    Categories without stored arrays (or arrays of the wrong length) are computed on first use
    as usual, so the result is always the same as :func:`layers.coverage.dataset_distance_table`.
    """
    table = dataset_distance_table(
        dataset,
        distance=distance,
        network_path=None if network_path is None else str(network_path),
        detour_factor=detour_factor,
    )
    key = _mode_key(
        dataset, table.distance, detour_factor, None if network_path is None else str(network_path)
    )
    arrays = load_distances(
        url, name=dataset.metadata.name, version=data_version(dataset), mode=key
    )
    for category, values in arrays.items():
        if values.shape == (table.n_residents,):
            table.prime(category, values)
    return table


def distance_table_for(
    dataset: Dataset,
    *,
    distance: DistanceMode = "euclidean",
    cache_dir: str | os.PathLike[str] | None = None,
    use_cache: bool = True,
) -> DistanceTable:
    """The dataset's :class:`DistanceTable` with every category's distances read from its store.

    A dataset read from PostGIS (:func:`layers.store.open_dataset` with a database URL) uses the
    arrays stored by ``quartiersatlas db load --precompute``; categories the database lacks are
    computed. Any other dataset uses the file cache in ``cache_dir`` (default
    ``<$QUARTIERSATLAS_CACHE or ~/.cache/quartiersatlas>/distances``), filling it on first use,
    so that the next process (a new gunicorn worker) reads instead of computing. The walking
    network's graph (``distance="network"``) is read from the graph cache of
    :func:`layers.network.default_cache_dir` in both cases.

    Parameters
    ----------
    dataset
        The loaded dataset.
    distance
        ``"euclidean"`` or ``"network"`` (the dataset's own walking network).
    cache_dir
        Folder of the file cache.
    use_cache
        False computes everything, reading and writing nothing.

    Returns
    -------
    DistanceTable
        Equal to :func:`layers.coverage.dataset_distance_table` for the same arguments.
    """
    if not use_cache:
        return dataset_distance_table(dataset, distance=distance)
    # the walking graph is cached too (the CLI's folder), so a worker does not rebuild it
    network_cache = NetworkCache(maxsize=1, directory=default_cache_dir())
    table = dataset_distance_table(dataset, distance=distance, network_cache=network_cache)
    source = database_source(dataset)
    if source is not None:
        url, version = source
        key = _mode_key(dataset, table.distance, None, None)
        arrays = load_distances(url, name=dataset.metadata.name, version=version, mode=key)
        for category, values in arrays.items():
            if category in table.categories and values.shape == (table.n_residents,):
                table.prime(category, values)
        return table
    _read_or_fill_file_cache(table, _file_cache_folder(dataset, table, cache_dir))
    return table


def _file_cache_folder(
    dataset: Dataset, table: DistanceTable, cache_dir: str | os.PathLike[str] | None
) -> Path:
    root = Path(cache_dir) if cache_dir is not None else cache_root() / "distances"
    mode = _mode_key(dataset, table.distance, None, None)
    # the mode key holds ":" and "*"; a short hash keeps the folder name portable
    mode_dir = f"{table.distance}-{hashlib.sha256(mode.encode()).hexdigest()[:12]}"
    return root / data_version(dataset) / mode_dir


def _read_or_fill_file_cache(table: DistanceTable, folder: Path) -> None:
    """Prime ``table`` from ``folder``; compute and store the categories not there yet."""
    for category in table.categories:
        # category ids are plain identifiers (catalogue ids), hashed anyway for a safe file name
        path = folder / f"{hashlib.sha256(category.encode()).hexdigest()[:16]}.npy"
        values = _read_array(path, table.n_residents)
        if values is not None:
            table.prime(category, values)
            continue
        computed = table.distances_m(category)
        try:
            buffer = _npy_bytes(computed)
            atomic_write_bytes(path, buffer)
        except OSError as exc:  # a read-only cache only costs time, never a failure
            log.info("distance cache not written (%s): %s", path, exc)


def _read_array(path: Path, n: int) -> np.ndarray | None:
    try:
        values = np.load(path, allow_pickle=False)
    except (OSError, ValueError):
        return None
    if values.shape != (n,) or values.dtype != np.float64:
        return None
    return values


def _npy_bytes(values: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, np.ascontiguousarray(values, dtype=np.float64), allow_pickle=False)
    return buffer.getvalue()


__all__ = ["distance_table_for", "precompute_distances", "stored_distance_table"]
