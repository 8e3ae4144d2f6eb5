"""Precomputed distance tables in the database, keyed by data version and distance mode.

``db load`` computes the distances of every resident point to the nearest facility of each
category once and stores them (:func:`precompute_distances`); apps and commands that read the
dataset from the same database get a :class:`~layers.coverage.DistanceTable` that starts with
those arrays (:func:`stored_distance_table`). A new ``db load`` with different data has another
data version, so stale arrays are never used (and are deleted by that load).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from layers.coverage import DistanceTable, dataset_distance_table
from layers.dataset import Dataset
from layers.store import data_version
from layers.store.postgis import distance_mode_key, load_distances, save_distances
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
            values.setflags(write=False)
            # DistanceTable keeps computed arrays under ("distance", category); see its distances_m.
            table._cache[("distance", category)] = values
    return table


__all__ = ["precompute_distances", "stored_distance_table"]
