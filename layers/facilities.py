"""Load facility layers (meeting places, counselling, care, …) and map them to categories."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from layers._readers import ROW, clean_text, numeric_column, read_points, report_rows
from layers._validate import IssueCollector, did_you_mean, rows_text, valid_list
from layers.catalogue import Category
from layers.manifest import LayerSpec

FACILITY_COLUMNS = ("id", "name", "category", "subcategory", "address", "capacity", "source")
DEFAULT_CAPACITY = 1.0


def load_facilities(
    spec: LayerSpec, categories: tuple[Category, ...], collector: IssueCollector
) -> tuple[gpd.GeoDataFrame, pd.DataFrame] | None:
    """Read one facility file into canonical columns with category ids.

    Returns
    -------
    (located, unlocated) or None
        ``located`` has :data:`FACILITY_COLUMNS` plus ``_row`` and point geometry in the file's
        CRS; ``unlocated`` the same columns for rows without coordinates, plus ``file`` and
        ``row``. ``None`` when the file has errors.
    """
    start = len(collector.issues)
    fixed = spec.option("category")
    category_map = spec.option("category_map")
    required = ("name",) if fixed else ("name", "category")
    layer = read_points(
        spec, collector, required=required, optional=("id", "subcategory", "address", "capacity")
    )
    if layer is None:
        return None
    valid_ids = [c.id for c in categories]
    if not _check_category_options(spec, valid_ids, collector):
        return None
    frames = []
    for frame in (layer.located, layer.unlocated):
        out = frame.copy()
        rows = out[ROW].to_numpy()
        for column in ("id", "subcategory", "address"):
            out[column] = clean_text(out[column]) if column in out else ""
        out["name"] = clean_text(out["name"])
        empty = (out["name"] == "").to_numpy()
        if empty.any():
            report_rows(
                collector,
                spec,
                rows[empty],
                None,
                spec.column("name"),
                "empty facility name",
                severity="warning",
            )
        out["category"] = _categories(out, spec, fixed, category_map, valid_ids, collector)
        if "capacity" in out and len(out):
            values, _ = numeric_column(out, "capacity", spec, layer.table, collector)
            out["capacity"] = np.where(np.isnan(values), DEFAULT_CAPACITY, values)
        else:
            out["capacity"] = DEFAULT_CAPACITY
        out["source"] = spec.file
        frames.append(out)
    _check_unique_ids(frames, spec, collector)
    if collector.errors_since(start):
        return None
    located = gpd.GeoDataFrame(
        frames[0][[*FACILITY_COLUMNS, ROW, "geometry"]], crs=layer.located.crs
    )
    unlocated = pd.DataFrame(frames[1][[*FACILITY_COLUMNS, ROW]]).rename(columns={ROW: "row"})
    unlocated["file"] = spec.file
    return located, unlocated


def _check_unique_ids(
    frames: list[pd.DataFrame], spec: LayerSpec, collector: IssueCollector
) -> None:
    """Given facility ids must be unique within the file (scenarios and links refer to them)."""
    both = pd.concat([f[["id", ROW]] for f in frames], ignore_index=True)
    given = both[both["id"] != ""]
    repeated = given[given["id"].duplicated(keep=False)]
    for fid, group in repeated.groupby("id", sort=False):
        rows = sorted(int(r) for r in group[ROW])
        collector.error(
            spec.file,
            f"duplicate facility id {fid!r} in rows {rows_text(rows)}; ids must be unique",
            row=rows[1],
            column=spec.column("id"),
        )


def _categories(
    frame: pd.DataFrame,
    spec: LayerSpec,
    fixed: str | None,
    category_map: dict[str, str] | None,
    valid_ids: list[str],
    collector: IssueCollector,
) -> np.ndarray:
    if fixed is not None:
        return np.full(len(frame), fixed, dtype=object)
    own = clean_text(frame["category"])
    column = spec.column("category")
    rows = frame[ROW].to_numpy()
    if category_map is not None:
        default = spec.option("category_map_default")
        mapped = own.map(category_map)
        unknown = mapped.isna().to_numpy()
        if default:
            mapped = mapped.fillna(default)
        elif unknown.any():
            for value in dict.fromkeys(own[unknown]):
                where = rows[(own == value).to_numpy()]
                report_rows(
                    collector,
                    spec,
                    where,
                    None,
                    column,
                    f"value {value!r} is not in category_map ({valid_list(category_map)})"
                    f"{did_you_mean(value, category_map)}; add it or set category_map_default",
                )
        return mapped.to_numpy(dtype=object)
    unknown = ~own.isin(valid_ids).to_numpy()
    for value in dict.fromkeys(own[unknown]):
        where = rows[(own == value).to_numpy()]
        report_rows(
            collector,
            spec,
            where,
            None,
            column,
            f"unknown category {value!r}; valid: {valid_list(valid_ids)}{did_you_mean(value, valid_ids)}"
            " (or map the file's values with category_map)",
        )
    return own.to_numpy(dtype=object)


def _check_category_options(
    spec: LayerSpec, valid_ids: list[str], collector: IssueCollector
) -> bool:
    """Check ``category``, ``category_map`` and ``category_map_default`` once per table."""
    fixed = spec.option("category")
    category_map = spec.option("category_map")
    default = spec.option("category_map_default")
    ok = True
    if fixed is not None and fixed not in valid_ids:
        collector.error(
            spec.file,
            f"category = {fixed!r} is not in the catalogue ({valid_list(valid_ids)})"
            f"{did_you_mean(str(fixed), valid_ids)}",
        )
        ok = False
    if category_map is not None and not (
        isinstance(category_map, dict) and all(isinstance(v, str) for v in category_map.values())
    ):
        collector.error(
            "dataset.toml",
            f'[facilities] {spec.file}: category_map must be a table such as {{ "Pflegeheim" = "care" }}',
        )
        return False
    targets = [*(category_map or {}).values(), *([str(default)] if default is not None else [])]
    for target in dict.fromkeys(targets):
        if target not in valid_ids:
            collector.error(
                spec.file,
                f"category_map target {target!r} is not in the catalogue ({valid_list(valid_ids)})"
                f"{did_you_mean(str(target), valid_ids)}",
            )
            ok = False
    return ok
