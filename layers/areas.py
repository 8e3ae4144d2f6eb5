"""Planning areas (groups of whole districts) and the district → area mapping of a level."""

from __future__ import annotations

from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd

from layers._readers import ROW, clean_text, read_layer, resolve_columns
from layers._validate import IssueCollector, district_id_keys, valid_list
from layers.errors import CatalogueError
from layers.manifest import LayerSpec
from layers.types import LEVELS, Level

if TYPE_CHECKING:
    from layers.dataset import Dataset

PLANNING_AREA_COLUMNS = ("district_id", "planning_area", "planning_area_name", "coordinator")
NO_MAPPING_HINT = (
    "the dataset has no planning-area mapping; add a [planning_areas] table to its dataset.toml "
    "(a CSV with district and planning_area columns) or compute a proposal with "
    "`quartiersatlas planning-areas propose --data DIR --n 6 --out planning_areas.csv`"
)


def match_district_ids(
    values: pd.Series, districts: gpd.GeoDataFrame
) -> tuple[np.ndarray, np.ndarray]:
    """Map district references to the districts file's ids (text; leading zeros ignored).

    Returns
    -------
    ids, unknown
        Ids as the districts file writes them (None where unknown) and a mask of unknown values.
    """
    lookup = dict(zip(district_id_keys(districts["id"]), districts["id"], strict=False))
    ids = district_id_keys(values).map(lookup)
    return ids.to_numpy(dtype=object), ids.isna().to_numpy()


def load_planning_areas(
    spec: LayerSpec, districts: gpd.GeoDataFrame, collector: IssueCollector
) -> pd.DataFrame | None:
    """Read a district → planning-area mapping and check that every district is in exactly one area.

    Returns
    -------
    pandas.DataFrame or None
        :data:`PLANNING_AREA_COLUMNS`, in districts-file order; ``None`` on errors.
    """
    start = len(collector.issues)
    raw = read_layer(spec, collector)
    if raw is None:
        return None
    frame = pd.DataFrame(raw.frame.drop(columns="geometry", errors="ignore"))
    mapping = resolve_columns(
        spec,
        list(frame.columns),
        collector,
        required=("district", "planning_area"),
        optional=("planning_area_name", "coordinator"),
    )
    if mapping is None:
        return None
    from layers.planning import canonical_mapping, validate_planning_areas

    def text_column(canonical: str) -> pd.Series:
        if canonical not in mapping:
            return pd.Series(pd.NA, index=frame.index, dtype=object)
        return clean_text(frame[mapping[canonical]]).replace("", pd.NA)

    table = pd.DataFrame(
        {
            "district_id": text_column("district"),
            "planning_area": text_column("planning_area"),
            "planning_area_name": text_column("planning_area_name"),
            "coordinator": text_column("coordinator"),
        }
    )
    # One set of rules for a mapping, whether it comes with a dataset or on its own.
    collector.issues.extend(
        validate_planning_areas(
            table,
            districts,
            file=spec.file,
            rows=frame[ROW].astype(int).tolist(),
            columns={"district": mapping["district"], "planning_area": mapping["planning_area"]},
        )
    )
    if collector.errors_since(start):
        return None
    result = canonical_mapping(table, districts)
    result["coordinator"] = result["coordinator"].fillna("").astype(object)
    return result.reset_index(drop=True)


def area_mapping(dataset: Dataset, level: Level) -> pd.DataFrame:
    """District → area mapping of ``level``: columns ``district_id``, ``area_id``, ``area_name``.

    For ``level="district"`` every district is its own area. Rows follow the districts file.

    Raises
    ------
    CatalogueError
        For an unknown level, or ``planning_area`` when the dataset has no mapping (the message
        says how to get one).
    """
    if level not in LEVELS:
        raise CatalogueError(f"unknown level {level!r}; valid levels: {valid_list(LEVELS)}")
    districts = dataset.districts
    if level == "district":
        return pd.DataFrame(
            {
                "district_id": districts["id"].to_numpy(),
                "area_id": districts["id"].to_numpy(),
                "area_name": districts["name"].to_numpy(),
            }
        )
    if dataset.planning_areas is None:
        raise CatalogueError(NO_MAPPING_HINT)
    mapping = dataset.planning_areas
    names = mapping["planning_area_name"]
    if dataset.planning_areas_proposal:
        names = names.where(names.str.contains("Vorschlag"), names + " (Vorschlag)")
    return pd.DataFrame(
        {
            "district_id": mapping["district_id"].to_numpy(),
            "area_id": mapping["planning_area"].to_numpy(),
            "area_name": names.to_numpy(),
        }
    )


def area_order(mapping: pd.DataFrame) -> list[str]:
    """Area ids in the order their first district appears in the districts file."""
    return list(dict.fromkeys(mapping["area_id"]))
