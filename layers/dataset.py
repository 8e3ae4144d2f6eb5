"""Load a dataset folder (``dataset.toml`` + files) into one typed, immutable :class:`Dataset`."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS

from layers._readers import ROW, PointLayer, clean_text, read_layer, read_points, resolve_columns
from layers._resources import bundled_dir
from layers._validate import Issue, IssueCollector, did_you_mean, valid_list
from layers.areas import (
    PLANNING_AREA_COLUMNS,
    Grouping,
    load_grouping,
    load_planning_areas,
    match_district_ids,
)
from layers.boundaries import assign_districts, load_districts
from layers.catalogue import Category, Group, default_group
from layers.crs import estimate_metric_crs, parse_crs, to_metric
from layers.errors import CrsError, DatasetError
from layers.facilities import FACILITY_COLUMNS, load_facilities
from layers.manifest import LayerSpec, Manifest, read_manifest
from layers.population import (
    POPULATION_COLUMNS,
    add_derived_groups,
    check_districts_covered,
    combine_population,
    groups_of,
    load_population,
)
from layers.residents import ResidentPoints, build_resident_points, load_residents

log = logging.getLogger(__name__)

DATA_ENV = "QUARTIERSATLAS_DATA"
"""Environment variable naming the default dataset folder."""

PROGRAMME_COLUMNS = ("district_id", "measure", "since", "note", "source", "source_date")


@dataclass(frozen=True)
class LayerSource:
    """Provenance of one layer: file, attribution, licence, date and source."""

    layer: str
    file: str
    attribution: str
    licence: str
    date: str
    source: str
    note: str = ""


@dataclass(frozen=True)
class Metadata:
    """Dataset-wide facts: name, city, metric CRS, notes and the sources of every layer."""

    name: str
    city: str
    metric_crs: CRS
    description: str
    notes: str
    sources: tuple[LayerSource, ...]
    root: Path
    district_label_de: str = "Stadtteile"
    """What the dataset's base areas are called (plural), e.g. "Planungsräume" for Berlin's LOR
    (``[districts] label_de``); the area level is named so in the dashboard."""
    district_label_en: str = "Districts"

    def district_label(self, lang: str) -> str:
        """The base areas' name (plural) in ``lang`` (``"de"`` or ``"en"``)."""
        return self.district_label_en if lang == "en" else self.district_label_de


def _district_labels(spec: LayerSpec) -> dict[str, str]:
    """``[districts] label_de`` / ``label_en`` as :class:`Metadata` fields (defaults: none given).

    A German label alone serves English too, as for groupings.
    """
    label_de = spec.option("label_de")
    label_en = spec.option("label_en")
    out = {}
    if label_de:
        out["district_label_de"] = str(label_de)
    if label_en or label_de:
        out["district_label_en"] = str(label_en or label_de)
    return out


@dataclass(frozen=True)
class NetworkSpec:
    """Where the dataset's walking network is and how much to trust it."""

    path: Path
    approximate: bool
    note: str
    crs: str | None = None


@dataclass(frozen=True, eq=False)
class Dataset:
    """A loaded dataset; every GeoDataFrame is in ``metadata.metric_crs`` (see docs/architecture.md)."""

    metadata: Metadata
    categories: tuple[Category, ...]
    groups: tuple[Group, ...]
    districts: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    unlocated_facilities: pd.DataFrame
    population: pd.DataFrame
    residents: ResidentPoints
    addresses: gpd.GeoDataFrame | None
    planning_areas: pd.DataFrame | None
    planning_areas_proposal: bool
    programme: pd.DataFrame | None
    network: NetworkSpec | None
    issues: tuple[Issue, ...]
    groupings: tuple[Grouping, ...] = ()

    @property
    def resident_points(self) -> gpd.GeoDataFrame:
        """:attr:`residents` as a GeoDataFrame (built on first use; analysis uses the arrays)."""
        return self.residents.frame

    @property
    def category_ids(self) -> tuple[str, ...]:
        """Ids of the facility categories, in catalogue order."""
        return tuple(c.id for c in self.categories)

    def category(self, category_id: str) -> Category:
        """The catalogue entry of ``category_id``."""
        for category in self.categories:
            if category.id == category_id:
                return category
        from layers.errors import CatalogueError

        raise CatalogueError(
            f"unknown category {category_id!r}; valid categories: {valid_list(self.category_ids)}"
            f"{did_you_mean(category_id, self.category_ids)}"
        )

    def group(self, group_id: str) -> Group:
        """Labels of population group ``group_id`` (built-in labels when the manifest has none)."""
        for group in self.groups:
            if group.id == group_id:
                return group
        return default_group(group_id)

    @property
    def group_ids(self) -> list[str]:
        """Population groups present in the data, ``total`` first."""
        return groups_of(self.population)


def default_dataset_path() -> Path:
    """The bundled dataset (``data/karlsruhe``), or the folder named by ``$QUARTIERSATLAS_DATA``."""
    env = os.environ.get(DATA_ENV)
    if env:
        return Path(env)
    return bundled_dir("data") / "karlsruhe"


def load_dataset(path: str | Path) -> Dataset:
    """Load the dataset at ``path`` (a folder with ``dataset.toml``, or the manifest itself).

    Returns
    -------
    Dataset
        All layers in the metric CRS; warnings in ``issues``.

    Raises
    ------
    DatasetError
        If the data has errors; ``.issues`` lists each with file, row and column.
    ManifestError
        If there is no readable manifest.
    """
    dataset, collector = _load(Path(path))
    if dataset is None or collector.has_errors:
        errors = sum(1 for i in collector.issues if i.severity == "error")
        raise DatasetError(
            f"{path}: the dataset has {errors} error(s); run `quartiersatlas validate {path}`",
            collector.issues,
        )
    for issue in dataset.issues:
        log.info(issue.format())
    return dataset


def validate_dataset(path: str | Path) -> list[Issue]:
    """Check the dataset at ``path`` and return every problem found (errors and warnings)."""
    _, collector = _load(Path(path))
    return list(collector.issues)


def _load(path: Path) -> tuple[Dataset | None, IssueCollector]:
    collector = IssueCollector()
    manifest = read_manifest(path, collector)
    dataset = _assemble(manifest, collector)
    return dataset, collector


def _assemble(manifest: Manifest, collector: IssueCollector) -> Dataset | None:
    if manifest.districts is None:
        return None
    raw_districts = load_districts(manifest.districts, collector)
    if raw_districts is None:
        _check_without_districts(manifest, collector)
        return None
    metric_crs = _metric_crs(manifest, raw_districts, collector)
    if metric_crs is None:
        _check_without_districts(manifest, collector)
        return None
    districts = to_metric(raw_districts, metric_crs).drop(columns=ROW)

    facilities, unlocated = _facilities(manifest, districts, metric_crs, collector)
    population_parts = [
        part
        for spec in manifest.population
        if (part := load_population(spec, districts, collector)) is not None
    ]
    if population_parts or not manifest.population:
        # Without any [[population]] table this reports that population is required.
        population = combine_population(population_parts, collector)
        population = add_derived_groups(population, manifest.derived_groups, collector)
        check_districts_covered(population, districts["id"], collector)
    else:  # every population file had errors, already reported
        population = pd.DataFrame(columns=list(POPULATION_COLUMNS))

    residents = load_residents(manifest.residents, collector) if manifest.residents else None
    resident_points = build_resident_points(
        districts,
        residents,
        population,
        collector,
        file=manifest.residents.file if manifest.residents else "",
    )
    addresses = _addresses(manifest, residents, metric_crs, collector)
    planning = (
        load_planning_areas(manifest.planning_areas, districts, collector)
        if manifest.planning_areas
        else None
    )
    groupings = tuple(
        g for spec in manifest.groupings if (g := load_grouping(spec, districts, collector))
    )
    programme = _programme(manifest.programme, districts, collector) if manifest.programme else None
    network = _network(manifest.network, collector) if manifest.network else None
    metadata = Metadata(
        name=manifest.name,
        city=manifest.city,
        metric_crs=metric_crs,
        description=manifest.description,
        notes=manifest.notes,
        sources=tuple(
            LayerSource(s.kind, s.file, s.attribution, s.licence, s.date, s.source, s.note)
            for s in manifest.layers()
        ),
        root=manifest.root,
        **_district_labels(manifest.districts),
    )
    return Dataset(
        metadata=metadata,
        categories=manifest.categories,
        groups=manifest.groups,
        districts=districts,
        facilities=facilities,
        unlocated_facilities=unlocated,
        population=population,
        residents=resident_points,
        addresses=addresses,
        planning_areas=planning,
        planning_areas_proposal=bool(
            manifest.planning_areas is not None
            and manifest.planning_areas.option("proposal", False)
        ),
        programme=programme,
        network=network,
        issues=tuple(collector.issues),
        groupings=groupings,
    )


def _check_without_districts(manifest: Manifest, collector: IssueCollector) -> None:
    """Read the other layers when the districts failed, so that one run reports every problem.

    What needs the districts (joining ids, assigning points) cannot be checked until they load;
    what a file says about itself (columns, numbers, coordinates) can.
    """
    for spec in manifest.facilities:
        load_facilities(spec, manifest.categories, collector)
    for spec in manifest.population:
        load_population(spec, None, collector)
    if manifest.residents is not None:
        load_residents(manifest.residents, collector)
    if manifest.addresses is not None:
        read_points(manifest.addresses, collector, required=("address",))
    tables = [
        (manifest.planning_areas, ("district", "planning_area")),
        (manifest.programme, ("district", "measure")),
        *((g.spec, ("district", "area_id")) for g in manifest.groupings),
    ]
    for spec, required in tables:
        if spec is None:
            continue
        raw = read_layer(spec, collector)
        if raw is not None:
            columns = [c for c in raw.frame.columns if c != "geometry"]
            if "district" not in spec.columns and "district" not in columns:
                columns = [("district" if c == "district_id" else c) for c in columns]
            resolve_columns(spec, columns, collector, required=required)


def _metric_crs(
    manifest: Manifest, districts: gpd.GeoDataFrame, collector: IssueCollector
) -> CRS | None:
    try:
        crs = (
            parse_crs(manifest.metric_crs, source="metadata.metric_crs")
            if manifest.metric_crs
            else estimate_metric_crs(districts)
        )
    except CrsError as exc:
        collector.error("dataset.toml", str(exc))
        return None
    if not crs.is_projected:
        collector.error(
            "dataset.toml",
            f"metric_crs {crs.to_string()} is not projected; choose a metric CRS such as a UTM zone",
        )
        return None
    return crs


def _facilities(
    manifest: Manifest, districts: gpd.GeoDataFrame, crs: CRS, collector: IssueCollector
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    located_parts, unlocated_parts = [], []
    for spec in manifest.facilities:
        loaded = load_facilities(spec, manifest.categories, collector)
        if loaded is None:
            continue
        located, unlocated = loaded
        original = located
        located = to_metric(located, crs)
        located["district_id"] = assign_districts(located, districts)
        outside = located["district_id"].isna().to_numpy()
        if outside.any() and _swapped_lat_lon(spec, original, outside, districts, crs, collector):
            continue
        if outside.any():
            rows = located.loc[outside, ROW].astype(int).tolist()
            names = located.loc[outside, "name"].tolist()
            shown = "; ".join(f"row {r} {n!r}" for r, n in zip(rows[:10], names[:10], strict=True))
            collector.warning(
                spec.file,
                f"{len(rows)} facilit{'y lies' if len(rows) == 1 else 'ies lie'} outside all districts "
                f"(kept, counted for nearby areas): {shown}",
            )
        located_parts.append(located)
        unlocated_parts.append(unlocated)
    columns = [*FACILITY_COLUMNS, "district_id"]
    if located_parts:
        facilities = pd.concat(located_parts, ignore_index=True)
        facilities = gpd.GeoDataFrame(
            facilities[[*columns, "geometry"]], geometry="geometry", crs=crs
        )
    else:
        facilities = gpd.GeoDataFrame({c: [] for c in columns}, geometry=[], crs=crs)
    facilities["capacity"] = facilities["capacity"].astype(float)
    # Facilities without an id get a stable one from their file and row.
    missing_id = facilities["id"].astype(str) == ""
    if missing_id.any() and located_parts:
        rows = pd.concat([p[ROW] for p in located_parts], ignore_index=True)
        facilities.loc[missing_id, "id"] = (
            facilities.loc[missing_id, "source"].astype(str) + ":" + rows[missing_id].astype(str)
        )
    unlocated = (
        pd.concat(unlocated_parts, ignore_index=True)
        if unlocated_parts
        else pd.DataFrame(columns=[*FACILITY_COLUMNS, "row", "file"])
    )
    return facilities, unlocated


def _swapped_lat_lon(
    spec: LayerSpec,
    points: gpd.GeoDataFrame,
    outside: np.ndarray,
    districts: gpd.GeoDataFrame,
    crs: CRS,
    collector: IssueCollector,
) -> bool:
    """Report points outside all districts that would lie inside with lat and lon exchanged."""
    if points.crs is None or not CRS.from_user_input(points.crs).is_geographic:
        return False
    candidates = points[outside]
    xy = np.column_stack([candidates.geometry.y, candidates.geometry.x])
    flipped = gpd.GeoDataFrame(
        geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=points.crs, index=candidates.index
    )
    inside = ~pd.isna(
        np.asarray(assign_districts(to_metric(flipped, crs), districts), dtype=object)
    )
    if not inside.any():
        return False
    from layers._readers import report_rows

    column = (
        f"{spec.column('lat')}/{spec.column('lon')}"
        if spec.path.suffix.lower() in (".csv", ".txt", ".tsv")
        else "geometry"
    )
    report_rows(
        collector,
        spec,
        candidates.loc[inside, ROW].to_numpy(),
        None,
        column,
        "latitude and longitude look swapped: the point lies outside all districts but would "
        "lie inside if they were exchanged; check which columns are mapped to lat and lon",
    )
    return True


def _addresses(
    manifest: Manifest, residents: PointLayer | None, crs: CRS, collector: IssueCollector
) -> gpd.GeoDataFrame | None:
    if manifest.addresses is not None:
        layer = read_points(manifest.addresses, collector, required=("address",))
        if layer is None:
            return None
        frame = layer.located
        frame["address"] = clean_text(frame["address"])
    elif (
        residents is not None
        and "address" in residents.attrs
        and (residents.attrs["address"] != "").any()
    ):
        with_address = (residents.attrs["address"] != "").to_numpy()
        xy = residents.xy[with_address]
        frame = gpd.GeoDataFrame(
            {"address": residents.attrs["address"].to_numpy()[with_address]},
            geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]),
            crs=residents.crs,
        )
    else:
        return None
    frame = to_metric(gpd.GeoDataFrame(frame[["address", "geometry"]], crs=frame.crs), crs)
    return frame.reset_index(drop=True)


def _programme(
    spec: LayerSpec, districts: gpd.GeoDataFrame, collector: IssueCollector
) -> pd.DataFrame | None:
    start = len(collector.issues)
    raw = read_layer(spec, collector)
    if raw is None:
        return None
    frame = pd.DataFrame(raw.frame.drop(columns="geometry", errors="ignore"))
    optional = ("since", "note", "source", "source_date")
    mapping = resolve_columns(
        spec, list(frame.columns), collector, required=("district", "measure"), optional=optional
    )
    if mapping is None:
        return None
    references = clean_text(frame[mapping["district"]])
    ids, unknown = match_district_ids(references, districts)
    rows = frame[ROW].to_numpy()
    for index in np.flatnonzero(unknown):
        collector.error(
            spec.file,
            f"unknown district {references.iloc[index]!r}"
            f"{did_you_mean(references.iloc[index], [*districts['id'], *districts['name']])}",
            row=int(rows[index]),
            column=mapping["district"],
        )
    if collector.errors_since(start):
        return None
    result = pd.DataFrame(
        {"district_id": ids, "measure": clean_text(frame[mapping["measure"]]).to_numpy()}
    )
    for column in optional:
        result[column] = clean_text(frame[mapping[column]]).to_numpy() if column in mapping else ""
    return result[list(PROGRAMME_COLUMNS)]


def _network(spec: LayerSpec, collector: IssueCollector) -> NetworkSpec | None:
    if not spec.path.exists():
        collector.error(spec.file, "network file not found")
        return None
    return NetworkSpec(
        path=spec.path,
        approximate=bool(spec.option("approximate", False)),
        note=spec.note,
        crs=spec.crs,
    )


__all__ = [
    "PLANNING_AREA_COLUMNS",
    "PROGRAMME_COLUMNS",
    "Dataset",
    "LayerSource",
    "Metadata",
    "NetworkSpec",
    "default_dataset_path",
    "load_dataset",
    "validate_dataset",
]
