"""Planning areas (groups of whole districts) and the district → area mapping of a level."""

from __future__ import annotations

from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd

from layers._readers import ROW, clean_text, read_layer, resolve_columns
from layers._validate import IssueCollector, did_you_mean, district_id_keys, valid_list
from layers.errors import CatalogueError
from layers.manifest import GroupingSpec, LayerSpec
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
    read = _read_district_table(
        spec,
        collector,
        required=("district", "planning_area"),
        optional=("planning_area_name", "coordinator"),
    )
    if read is None:
        return None
    frame, mapping = read
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


def _read_district_table(
    spec: LayerSpec,
    collector: IssueCollector,
    *,
    required: tuple[str, ...],
    optional: tuple[str, ...],
) -> tuple[pd.DataFrame, dict[str, str]] | None:
    """A table keyed by district (``district`` or ``district_id``) and its resolved columns.

    None when the file cannot be read or a required column is missing (the collector says why).
    """
    raw = read_layer(spec, collector)
    if raw is None:
        return None
    frame = pd.DataFrame(raw.frame.drop(columns="geometry", errors="ignore"))
    columns = resolve_columns(
        _with_alias(spec, frame, "district", "district_id"),
        list(frame.columns),
        collector,
        required=required,
        optional=optional,
    )
    return None if columns is None else (frame, columns)


def _with_alias(spec: LayerSpec, frame: pd.DataFrame, canonical: str, alias: str) -> LayerSpec:
    """``spec`` reading ``canonical`` from the column ``alias`` when the file has only that.

    ``planning-areas propose --out`` writes ``district_id``; the layer reads it as written.
    """
    if canonical in spec.columns or canonical in frame.columns or alias not in frame.columns:
        return spec
    return replace(spec, columns=MappingProxyType({**spec.columns, canonical: alias}))


@dataclass(frozen=True, eq=False)
class Grouping:
    """A further grouping of districts (``[[groupings]]``), offered as a level of its own.

    ``mapping`` has ``district_id``, ``area_id``, ``area_name``, ``contact`` for the districts
    that belong to an area, in districts-file order; districts not listed belong to none.
    """

    id: str
    label_de: str
    label_en: str
    note_de: str
    note_en: str
    empty: bool
    mapping: pd.DataFrame
    file: str = ""

    def label(self, lang: str) -> str:
        """Label in ``lang`` (``"de"`` or ``"en"``)."""
        return self.label_en if lang == "en" else self.label_de

    def note(self, lang: str) -> str:
        """Note in ``lang`` (falls back to the other language)."""
        return (self.note_en or self.note_de) if lang == "en" else (self.note_de or self.note_en)


GROUPING_COLUMNS = ("district_id", "area_id", "area_name", "contact")
CITY_DISTRICTS = "city_districts"
"""Key of ``DataFrame.attrs`` of a mapping that leaves districts out: every district of the city.

Tables of such a level keep their ``ALL`` row the whole city (see
:func:`layers.demography.area_values`)."""


def load_grouping(
    grouping: GroupingSpec, districts: gpd.GeoDataFrame, collector: IssueCollector
) -> Grouping | None:
    """Read a ``[[groupings]]`` mapping file (``district``, ``area_id``, ``area_name``, ``contact``).

    Errors name file, row and column: an unknown district (with did-you-mean), a row repeated,
    a district in two areas, a row without area id. A grouping may cover only some districts.

    Returns
    -------
    Grouping or None
        ``None`` when the file has errors (they are in ``collector``).
    """

    def make(mapping: pd.DataFrame, file: str = "") -> Grouping:
        return Grouping(
            grouping.id,
            grouping.label_de,
            grouping.label_en,
            grouping.note_de,
            grouping.note_en,
            grouping.empty or mapping.empty,
            mapping,
            file,
        )

    spec = grouping.spec
    if spec is None:
        return make(pd.DataFrame({c: pd.Series(dtype=object) for c in GROUPING_COLUMNS}))
    start = len(collector.issues)
    read = _read_district_table(
        spec, collector, required=("district", "area_id"), optional=("area_name", "contact")
    )
    if read is None:
        return None
    frame, columns = read
    references = clean_text(frame[columns["district"]])
    area_ids = clean_text(frame[columns["area_id"]])
    names = clean_text(frame[columns["area_name"]]) if "area_name" in columns else area_ids
    contacts = clean_text(frame[columns["contact"]]) if "contact" in columns else ""
    ids, unknown = match_district_ids(references, districts)
    rows = frame[ROW].astype(int).to_numpy()
    first: dict[str, tuple[int, str]] = {}
    for index, row in enumerate(rows):
        where = {"row": int(row), "column": columns["district"]}
        if not references.iloc[index]:
            collector.error(spec.file, "district is empty", **where)
            continue
        if unknown[index]:
            reference = references.iloc[index]
            collector.error(
                spec.file,
                f"unknown district {reference!r}"
                f"{did_you_mean(reference, [*districts['id'], *districts['name']])}",
                **where,
            )
            continue
        area = area_ids.iloc[index]
        if not area:
            collector.error(
                spec.file,
                f"district {references.iloc[index]!r} has no area id",
                row=int(row),
                column=columns["area_id"],
            )
            continue
        seen = first.get(ids[index])
        if seen is None:
            first[ids[index]] = (int(row), area)
        elif seen[1] == area:
            collector.error(
                spec.file, f"row repeats row {seen[0]} (district {ids[index]} in {area!r})", **where
            )
        else:
            collector.error(
                spec.file,
                f"district {ids[index]} is in two areas: {seen[1]!r} (row {seen[0]}) and "
                f"{area!r}; a district belongs to at most one area of a level",
                **where,
            )
    if collector.errors_since(start):
        return None
    table = pd.DataFrame(
        {
            "district_id": ids,
            "area_id": area_ids.to_numpy(dtype=object),
            "area_name": names.where(names != "", area_ids).to_numpy(dtype=object),
            "contact": contacts if isinstance(contacts, str) else contacts.to_numpy(dtype=object),
        }
    )
    first_names = table.groupby("area_id", sort=False)["area_name"].first()
    table["area_name"] = table["area_id"].map(first_names)
    order = {d: i for i, d in enumerate(districts["id"])}
    table = table.sort_values("district_id", key=lambda s: s.map(order), kind="stable")
    # object columns, as every text table of a dataset (and as the PostGIS store returns them)
    return make(table[list(GROUPING_COLUMNS)].reset_index(drop=True).astype(object), spec.file)


def available_levels(dataset: Dataset) -> tuple[str, ...]:
    """Levels of ``dataset``: ``district``, ``planning_area`` if mapped, then its grouping ids."""
    planning = ("planning_area",) if dataset.planning_areas is not None else ()
    return ("district", *planning, *(g.id for g in dataset.groupings))


def grouping_of(dataset: Dataset, level: str) -> Grouping | None:
    """The grouping behind ``level`` (``None`` for ``district`` and ``planning_area``)."""
    return next((g for g in dataset.groupings if g.id == level), None)


_PLANNING_AREA_LABELS = ("Planungsgebiete", "Planning areas")


def level_label(dataset: Dataset, level: str, lang: str = "de") -> str:
    """Label of ``level`` in ``lang`` (one rule for the controls, exports and tables).

    Districts: the dataset's own name of them (``[districts] label_de``, default
    "Stadtteile"); planning areas: "Planungsgebiete"; a grouping: its own label.
    """
    if level == "district":
        return dataset.metadata.district_label(lang)
    grouping = grouping_of(dataset, level)
    if grouping is not None:
        return grouping.label(lang)
    de, en = _PLANNING_AREA_LABELS if level == "planning_area" else (level, level)
    return en if lang == "en" else de


def check_level(dataset: Dataset, level: str) -> str:
    """Return ``level`` if the dataset offers it.

    Raises
    ------
    CatalogueError
        For an unknown level (the message lists the dataset's levels), or ``planning_area`` when
        the dataset has no mapping (the message says how to get one).
    """
    levels = available_levels(dataset)
    if level in levels:
        return level
    if level == "planning_area":
        raise CatalogueError(NO_MAPPING_HINT)
    valid = ("district", "planning_area", *levels[1:]) if "planning_area" not in levels else levels
    unmapped = (
        "" if "planning_area" in levels else " (planning_area needs a [planning_areas] table)"
    )
    raise CatalogueError(
        f"unknown level {level!r}{did_you_mean(level, valid)}; "
        f"valid levels: {valid_list(valid)}{unmapped}"
    )


def outside_districts(dataset: Dataset, level: str) -> list[str]:
    """Districts that belong to no area of ``level`` (only a grouping can leave some out)."""
    grouping = grouping_of(dataset, level)
    if grouping is None:
        return []
    inside = set(grouping.mapping["district_id"])
    return [d for d in dataset.districts["id"] if d not in inside]


def outside_area_note(dataset: Dataset, level: str, *, residents: float | None = None) -> str:
    """One line on the districts a grouping level leaves out ("" when it leaves out none).

    Examples: ``level 'ortschaft' (Ortschaften) covers 2 of 4 districts; 1200 residents live in
    the other 2 (0102, 0202), outside any area: counted in the ALL row only``.
    """
    grouping = grouping_of(dataset, level)
    left_out = outside_districts(dataset, level)
    if grouping is None or not left_out:
        return ""
    n = len(dataset.districts)
    people = "" if residents is None else f"{residents:.0f} residents live in "
    text = (
        f"level {level!r} ({grouping.label_de}) covers {n - len(left_out)} of {n} districts; "
        f"{people}the other {len(left_out)} ({valid_list(left_out, limit=10)}) "
        f"{'are ' if residents is None else ''}outside any area: counted in the ALL row only"
    )
    note = grouping.note("en")
    return f"{text}. {note}" if note else text


def area_mapping(dataset: Dataset, level: Level | str) -> pd.DataFrame:
    """District → area mapping of ``level``: columns ``district_id``, ``area_id``, ``area_name``.

    For ``level="district"`` every district is its own area. A grouping level (``[[groupings]]``)
    lists only the districts in one of its areas (none for an empty grouping). Rows follow the
    districts file.

    Raises
    ------
    CatalogueError
        For an unknown level, or ``planning_area`` when the dataset has no mapping (the message
        says how to get one).
    """
    if level not in LEVELS and grouping_of(dataset, level) is None:
        check_level(dataset, level)
    grouping = grouping_of(dataset, level)
    if grouping is not None:
        result = grouping.mapping[["district_id", "area_id", "area_name"]].reset_index(drop=True)
        if outside_districts(dataset, level):
            # the city row of demographic tables still sums the whole city
            result.attrs[CITY_DISTRICTS] = tuple(dataset.districts["id"])
        return result
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
