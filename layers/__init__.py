"""Quartiersatlas analysis core: load a city's dataset and compute coverage and demographic change.

Pure functions on GeoDataFrames; no Dash or plotly imports here. The public API is re-exported
here (``from layers import load_dataset, coverage_table``); each name is imported from its module
on first use, so ``import layers`` stays cheap for the command line.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_PUBLIC: dict[str, str] = {
    # datasets and stores
    "Dataset": "layers.dataset",
    "load_dataset": "layers.dataset",
    "validate_dataset": "layers.dataset",
    "default_dataset_path": "layers.dataset",
    "open_dataset": "layers.store",
    "data_version": "layers.store",
    # population and areas
    "population_table": "layers.population",
    "resident_weights": "layers.residents",
    "area_mapping": "layers.areas",
    "with_projection": "layers.projection",
    # results
    "DistanceTable": "layers.coverage",
    "dataset_distance_table": "layers.coverage",
    "distance_table_for": "layers.store.distances",
    "coverage_counts": "layers.coverage",
    "coverage_table": "layers.coverage",
    "dataset_coverage": "layers.coverage",
    "gap_hexagons": "layers.gaps",
    "area_gaps": "layers.gaps",
    "change_table": "layers.demography",
    "need_index": "layers.need",
    "area_profile": "layers.profile",
    "dataset_supply": "layers.supply",
    "propose_sites": "layers.siting",
    "scenario_coverage": "layers.siting",
    # errors
    "LayersError": "layers.errors",
    "DatasetError": "layers.errors",
}

__all__ = [
    "Dataset",
    "DatasetError",
    "DistanceTable",
    "LayersError",
    "__version__",
    "area_gaps",
    "area_mapping",
    "area_profile",
    "change_table",
    "coverage_counts",
    "coverage_table",
    "data_version",
    "dataset_coverage",
    "dataset_distance_table",
    "dataset_supply",
    "default_dataset_path",
    "distance_table_for",
    "gap_hexagons",
    "load_dataset",
    "need_index",
    "open_dataset",
    "population_table",
    "propose_sites",
    "resident_weights",
    "scenario_coverage",
    "validate_dataset",
    "with_projection",
]

if TYPE_CHECKING:  # pragma: no cover
    from layers.areas import area_mapping
    from layers.coverage import (
        DistanceTable,
        coverage_counts,
        coverage_table,
        dataset_coverage,
        dataset_distance_table,
    )
    from layers.dataset import Dataset, default_dataset_path, load_dataset, validate_dataset
    from layers.demography import change_table
    from layers.errors import DatasetError, LayersError
    from layers.gaps import area_gaps, gap_hexagons
    from layers.need import need_index
    from layers.population import population_table
    from layers.profile import area_profile
    from layers.projection import with_projection
    from layers.residents import resident_weights
    from layers.siting import propose_sites, scenario_coverage
    from layers.store import data_version, open_dataset
    from layers.store.distances import distance_table_for
    from layers.supply import dataset_supply


def __getattr__(name: str) -> Any:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'layers' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_PUBLIC))
