"""Server-side state of one app: the dataset, its display geometry and caches of analysis results.

An :class:`AppContext` is created once per app in :func:`dashboard.app.create_app` and handed to
the callbacks through closures (never a module global). It only calls ``layers``: distances come
from :class:`layers.coverage.DistanceTable` (computed once per dataset, category and mode and
kept in :class:`DistanceCache`), shares from :func:`layers.coverage.coverage_counts`, gaps from
:mod:`layers.gaps`, sites from :mod:`layers.siting`, nearby from :mod:`layers.nearby`, the
profile from :mod:`layers.profile`.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from dashboard import figures
from layers.areas import area_mapping, available_levels
from layers.context import DEFAULT_MAX_STREET_LINES
from layers.coverage import (
    AreaIndex,
    DistanceTable,
    area_index,
    check_radius,
)
from layers.crs import transformer
from layers.dataset import Dataset
from layers.errors import CatalogueError
from layers.gaps import DEFAULT_MAX_HEX_CELLS, HexIndex, hex_edge_for, hex_index
from layers.residents import resident_weights
from layers.results import (
    DEFAULT_SMALL_COUNT,
    ChangeParams,
    ChangeResult,
    CoverageParams,
    CoverageResult,
    GapResult,
    Note,
    PlannedFacility,
    change_result,
    check_require,
    coverage_result,
    facility_rows,
    gap_result,
    planned_facilities,
    resolve_year,
    scenario_distances,
)
from layers.store import data_version
from layers.store.distances import distance_table_for

if TYPE_CHECKING:
    from dashboard.state import ViewState

DEFAULT_UPLOAD_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_HEX_EDGE_M = 200.0
"""Finest gap hexagon edge (the edge of every city whose grid has ≤ ``max_hex_cells`` cells)."""
ADDRESS_MATCHES = 15
"""Address suggestions sent to the browser per keystroke."""


def default_user_data_dir() -> Path:
    """The user's data folder: the platform's user data dir, else ``~/.local/share/quartiersatlas``."""
    try:
        from platformdirs import user_data_dir

        return Path(user_data_dir("quartiersatlas", appauthor=False))
    except ImportError:  # pragma: no cover - platformdirs is usually installed
        return Path.home() / ".local" / "share" / "quartiersatlas"


@dataclass(frozen=True)
class AppOptions:
    """Settings of one app instance (from ``create_app(**options)``)."""

    small_count_threshold: int = DEFAULT_SMALL_COUNT
    upload_max_bytes: int = DEFAULT_UPLOAD_MAX_BYTES
    user_data_dir: Path | None = None
    hex_edge_m: float | None = None
    """Edge of the gap hexagons; None: the finest of at least 200 m with ≤ ``max_hex_cells``
    cells over the city's resident points (:func:`layers.gaps.hex_edge_for`)."""
    max_hex_cells: int = DEFAULT_MAX_HEX_CELLS
    """Most hexagons of the gap layer when ``hex_edge_m`` is None (first load and redraws of a
    large city stay short)."""
    max_street_lines: int = DEFAULT_MAX_STREET_LINES
    """Most lines of the street context layer (the longest are kept)."""
    distance_mode: str = "euclidean"
    default_distance_m: float = 500.0
    online_basemap_url: str = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    title: str | None = None
    static_cache_dir: Path | None = None
    """Where brotli-compressed static files are kept (default: the user's cache folder)."""


class DistanceCache:
    """Distance tables keyed by (dataset identity, mode); distances by (dataset, category, mode).

    Thread-safe: Flask serves callbacks from several threads.
    """

    def __init__(self) -> None:
        self._tables: dict[tuple[int, str], DistanceTable] = {}
        self._distances: dict[tuple[int, str, str], np.ndarray] = {}
        self._lock = threading.Lock()

    def table(self, dataset: Dataset, mode: str = "euclidean") -> DistanceTable:
        """The dataset's :class:`DistanceTable` for ``mode`` (built on first use)."""
        key = (id(dataset), mode)
        with self._lock:
            table = self._tables.get(key)
            if table is None:
                table = distance_table_for(dataset, distance=mode)  # type: ignore[arg-type]
                self._tables[key] = table
            return table

    def distances(self, dataset: Dataset, category: str, mode: str = "euclidean") -> np.ndarray:
        """Distance (m) of every resident point to the nearest facility of ``category``."""
        key = (id(dataset), category, mode)
        cached = self._distances.get(key)
        if cached is None:
            table = self.table(dataset, mode)
            with self._lock:
                cached = table.distances_m(category)
                self._distances[key] = cached
        return cached

    def __len__(self) -> int:
        return len(self._distances)


class _Lru:
    """A small thread-safe LRU cache keyed by hashable inputs."""

    def __init__(self, size: int = 64) -> None:
        self._data: OrderedDict[Hashable, Any] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, key: Hashable, make: Any) -> Any:
        with self._lock:
            if key in self._data:
                self._data.move_to_end(key)
                return self._data[key]
        value = make()
        with self._lock:
            self._data[key] = value
            while len(self._data) > self._size:
                self._data.popitem(last=False)
        return value


@dataclass
class AppContext:
    """The dataset of one app and everything derived from it that callbacks reuse."""

    dataset: Dataset
    options: AppOptions = field(default_factory=AppOptions)
    distances: DistanceCache = field(default_factory=DistanceCache)

    def __post_init__(self) -> None:
        ds = self.dataset
        self.category_ids: tuple[str, ...] = tuple(c.id for c in ds.categories)
        self.levels: tuple[str, ...] = available_levels(ds)
        pop = ds.population
        known = pop[pop["value"].notna()] if len(pop) else pop
        self.groups: tuple[str, ...] = tuple(ds.group_ids) if len(pop) else ("total",)
        self.years: tuple[int, ...] = tuple(sorted(int(y) for y in known["year"].unique()))
        self._group_years = {
            g: tuple(sorted(int(y) for y in known.loc[known["group"] == g, "year"].unique()))
            for g in self.groups
        }
        self._cache = _Lru(128)
        # inputs every result reads (area index, weights, hexagons, address texts): kept apart,
        # so that results for many distances and category sets never push them out
        self._inputs = _Lru(256)
        # per area, level and year (27 districts × 2 levels × 15 years at most for Karlsruhe);
        # kept apart so that coverage entries for many distances do not push them out
        self._profile_bases = _Lru(512)
        # what people type repeats (street names); a fuzzy search costs tens of milliseconds
        self._suggestions = _Lru(512)
        self._lock = threading.Lock()
        self.mappings = {level: area_mapping(ds, level) for level in self.levels}  # type: ignore[arg-type]
        self._hexes: figures.HexLayer | None = None
        self._version: str | None = None
        self._address_index: Any = None
        self.geo: dict[str, figures.AreaGeometry] = {}
        self.outline: figures.Boundaries
        self.labels: dict[str, Any] = {}
        """Name points of every level's areas (:func:`dashboard.map_context.label_features`)."""
        self._display_geometry()
        self.boundary_layers = figures.boundary_layers(self.outline)
        self.facilities_wgs = figures.facility_points(ds.facilities)

    def _display_geometry(self) -> None:
        """Areas of every level, borders, name points and hexagons (display geometry).

        Read from the display cache of the data version (:mod:`dashboard.display_cache`), else
        made and kept there.
        """
        from dashboard import display_cache, map_context

        options = {
            "levels": list(self.levels),
            "hex_edge_m": self.options.hex_edge_m,
            "max_hex_cells": self.options.max_hex_cells,
        }
        path = display_cache.cache_path(
            self.version, display_cache.cache_key(self.version, **options)
        )
        kept = display_cache.read(path)
        if kept is not None:
            try:
                self.geo = {lv: display_cache.load_areas(kept["geo"][lv]) for lv in self.levels}
                self.outline = display_cache.load_boundaries(kept["outline"])
                self.labels = kept["labels"]
                self._hexes = display_cache.load_hexes(kept["hexes"])
                edge_m = float(kept["hex_edge_m"])
            except (KeyError, TypeError, ValueError):
                kept = None
            else:
                if self.options.hex_edge_m is None:  # the edge chosen when the file was made
                    self._inputs.get(
                        ("hex_edge", self.version, self.options.max_hex_cells), lambda: edge_m
                    )
                return
        ds = self.dataset
        self.geo = {
            level: figures.area_geometry(ds.districts, self.mappings[level])
            for level in self.levels
        }
        self.outline = figures.boundary_lines(ds.districts)
        self.labels = map_context.label_features(ds, self.mappings)
        payload = {
            "geo": {level: display_cache.dump_areas(geo) for level, geo in self.geo.items()},
            "outline": display_cache.dump_boundaries(self.outline),
            "labels": self.labels,
            "hexes": display_cache.dump_hexes(self.hexes),
            "hex_edge_m": self.hex_edge_m,
        }
        display_cache.write(path, payload)

    @property
    def version(self) -> str:
        """The dataset's content hash (:func:`layers.store.data_version`) keying the caches."""
        if self._version is None:
            self._version = data_version(self.dataset)
        return self._version

    def memo(self, key: Hashable, make: Callable[[], Any]) -> Any:
        """``make()``, kept under ``key`` and the data version with the app's results.

        For display values that many views share and that cost a step time to make again (the
        formatted residents of every hexagon do not change with the distance).
        """
        return self._cache.get(("memo", self.version, key), make)

    # -- catalogue -------------------------------------------------------------------------

    def years_of(self, group: str) -> tuple[int, ...]:
        """Years with known values of ``group``."""
        return self._group_years.get(group, ())

    def default_year(self, group: str = "total") -> int | None:
        """Latest year of ``group`` (or of any group)."""
        years = self.years_of(group) or self.years
        return years[-1] if years else None

    def area_index(self, level: str) -> AreaIndex:
        """Area of each resident point at ``level`` (cached)."""
        return self._inputs.get(
            ("index", level),
            lambda: area_index(self.dataset.residents.district_id, self.mappings[level]),
        )

    def resolve_year(self, year: int | None, group: str) -> tuple[int | None, tuple[Note, ...]]:
        """The year used for ``year`` and ``group``, and the note when it had to be replaced."""
        return self._inputs.get(
            ("year", year, group),
            lambda: resolve_year(self.dataset.population, group=group, year=year),
        )

    def weights(self, year: int | None, group: str) -> np.ndarray:
        """Residents per resident point for the year used for ``year`` and ``group`` (cached)."""
        used, _ = self.resolve_year(year, group)
        return self._inputs.get(
            ("weights", used, group),
            lambda: resident_weights(self.dataset, year=used, group=group),
        )

    @property
    def modes(self) -> tuple[str, ...]:
        """Distance modes this dataset offers (``network`` only with a walking network)."""
        return ("euclidean", "network") if self.dataset.network is not None else ("euclidean",)

    def level(self, level: str | None) -> str:
        """``level`` if the dataset has it (planning areas need a mapping), else districts."""
        return level if level in self.levels else "district"  # type: ignore[return-value]

    def mode(self, mode: str | None = None) -> str:
        """``mode`` if the dataset offers it, else the configured default."""
        if mode in self.modes:
            return mode  # type: ignore[return-value]
        return (
            self.options.distance_mode if self.options.distance_mode in self.modes else "euclidean"
        )

    def table_for(self, mode: str | None = None) -> DistanceTable:
        """The distance table of the dataset in ``mode``."""
        return self.distances.table(self.dataset, self.mode(mode))

    @property
    def table(self) -> DistanceTable:
        """The distance table of the dataset in the configured mode."""
        return self.table_for(None)

    def check_categories(self, categories: Sequence[str]) -> list[str]:
        """The valid categories of ``categories`` in catalogue order."""
        chosen = set(categories)
        return [c for c in self.category_ids if c in chosen]

    # -- coverage --------------------------------------------------------------------------

    def facility_rows(self, ids: Sequence[str]) -> np.ndarray:
        """Row positions of the facilities with ``ids`` (unknown ids are ignored)."""
        return facility_rows(self.dataset.facilities, ids)

    def category_distances(
        self,
        category: str,
        *,
        added: tuple[PlannedFacility, ...] = (),
        removed: Sequence[str] = (),
        mode: str | None = None,
    ) -> np.ndarray:
        """Distances to ``category`` after the scenario (:func:`layers.results.scenario_distances`)."""
        mode = self.mode(mode)
        table = self.table_for(mode)
        relevant = tuple(p for p in added if p.category == category)
        rows = self.facility_rows(removed)
        rows = np.intersect1d(rows, table.facility_positions(category))
        if not relevant and not len(rows):
            return self.distances.distances(self.dataset, category, mode)
        return self._cache.get(
            ("scenario", mode, category, relevant, rows.tobytes()),
            lambda: scenario_distances(table, category, added=relevant, removed_rows=rows),
        )

    def params(
        self,
        categories: Sequence[str],
        *,
        radius_m: float,
        year: int | None,
        group: str,
        level: str,
        added: Sequence[tuple[str, float, float]] = (),
        removed: Sequence[str] = (),
        mode: str | None = None,
        minutes: float | None = None,
        speed_kmh: float | None = None,
        require: str = "all",
    ) -> CoverageParams:
        """The parameters of a coverage request of the app (year and mode as used)."""
        used, notes = self.resolve_year(year, group)
        mode = self.mode(mode)
        return CoverageParams(
            categories=tuple(self.check_categories(categories)),
            radius_m=check_radius(radius_m),
            group=group,
            level=self.level(level),  # type: ignore[arg-type]
            year_asked=year,
            year=used,
            require=check_require(require),
            minutes=minutes,
            speed_kmh=speed_kmh,
            distance_mode=mode,  # type: ignore[arg-type]
            detour_factor=self.table_for(mode).detour_factor,
            added=planned_facilities(tuple(added), crs=self.dataset.metadata.metric_crs),
            removed=tuple(removed),
            small_count_threshold=self.options.small_count_threshold,
            notes=notes,
        )

    def _distances_for(self, params: CoverageParams) -> dict[str, np.ndarray]:
        return {
            c: self.category_distances(
                c, added=params.added, removed=params.removed, mode=params.distance_mode
            )
            for c in params.categories
        }

    def coverage_of(self, params: CoverageParams) -> CoverageResult:
        """The coverage result of ``params`` (:func:`layers.results.coverage_result`, cached)."""
        return self._cache.get(
            ("coverage", self.version, params),
            lambda: coverage_result(
                self._distances_for(params),
                self.weights(params.year, params.group),
                self.area_index(params.level),
                params=params,
                city_name=self.dataset.metadata.city,
            ),
        )

    def coverage(self, categories: Sequence[str], **request: Any) -> CoverageResult:
        """Coverage of ``categories`` per area; ``request`` as for :meth:`params`."""
        return self.coverage_of(self.params(categories, **request))

    # -- gaps ------------------------------------------------------------------------------

    @property
    def hex_edge_m(self) -> float:
        """Edge of the gap hexagons: the option, or chosen from the resident points' spread."""
        if self.options.hex_edge_m is not None:
            return float(self.options.hex_edge_m)
        return self._inputs.get(
            ("hex_edge", self.version, self.options.max_hex_cells),
            lambda: hex_edge_for(
                self.table.resident_xy,
                max_cells=self.options.max_hex_cells,
                min_edge_m=DEFAULT_HEX_EDGE_M,
            ),
        )

    @property
    def hex_index(self) -> HexIndex:
        """The hexagon of every resident point (:func:`layers.gaps.hex_index`, built once)."""
        edge_m = self.hex_edge_m
        return self._inputs.get(
            ("hex_index", edge_m),
            lambda: hex_index(self.table.resident_xy, edge_m=edge_m, crs=self.table.crs),
        )

    @property
    def hexes(self) -> figures.HexLayer:
        """The fixed hexagon grid of all cells with resident points (display geometry)."""
        if self._hexes is None:
            self._hexes = figures.hex_layer(self.hex_index.cells)
        return self._hexes

    def gaps_of(self, params: CoverageParams) -> GapResult:
        """Uncovered residents per hexagon (:func:`layers.results.gap_result`, cached)."""
        return self._cache.get(
            ("gaps", self.version, params),
            lambda: gap_result(
                self._distances_for(params),
                self.weights(params.year, params.group),
                self.hex_index,
                params=params,
            ),
        )

    def gaps(self, categories: Sequence[str], **request: Any) -> GapResult:
        """Gap cells of ``categories``; ``request`` as for :meth:`params` (level not needed)."""
        request.setdefault("level", "district")
        return self.gaps_of(self.params(categories, **request))

    # -- demographic change ------------------------------------------------------------------

    def change_of(self, params: ChangeParams) -> ChangeResult:
        """Change per area (:func:`layers.results.change_result`, cached)."""
        return self._cache.get(
            ("change", self.version, params),
            lambda: change_result(
                self.dataset.population,
                self.mappings[params.level],
                params=params,
                city_name=self.dataset.metadata.city,
            ),
        )

    def view_change(self, *, group: str, year_from: int, year_to: int, level: str) -> ChangeResult:
        """The change result (table and jumps) of ``group`` per area between two years."""
        params = ChangeParams(group, int(year_from), int(year_to), level)  # type: ignore[arg-type]
        return self.change_of(params)

    def change(self, *, group: str, year_from: int, year_to: int, level: str) -> pd.DataFrame:
        """The change table of ``group`` per area between two years."""
        params = ChangeParams(group, int(year_from), int(year_to), level)  # type: ignore[arg-type]
        return self.change_of(params).table

    # -- locations ---------------------------------------------------------------------------

    def to_metric(self, latlon: Sequence[tuple[float, float]]) -> np.ndarray:
        """Project WGS84 ``(lat, lon)`` pairs into the dataset's metric CRS."""
        tr = transformer("EPSG:4326", self.dataset.metadata.metric_crs.to_string())
        lat = np.array([p[0] for p in latlon], float)
        lon = np.array([p[1] for p in latlon], float)
        x, y = tr.transform(lon, lat)
        return np.column_stack([np.atleast_1d(x), np.atleast_1d(y)])

    def inside_city(self, lat: float, lon: float) -> bool:
        """Whether the point lies inside a district (or within 2 km of one)."""
        import shapely

        xy = self.to_metric([(lat, lon)])[0]
        return bool(self.dataset.districts.geometry.distance(shapely.Point(*xy)).min() <= 2000.0)

    def area_at(self, lat: float, lon: float, level: str) -> str | None:
        """The area of ``level`` at a WGS84 point (a map click), or None outside every district."""
        from layers.boundaries import assign_districts

        if level not in self.levels:
            return None
        districts = self.dataset.districts
        point = gpd.GeoSeries(gpd.points_from_xy([lon], [lat]), crs=figures.WGS84).to_crs(
            districts.crs
        )
        district = assign_districts(point, districts)[0]
        if district is None:
            return None
        mapping = self.mappings[level]
        rows = mapping.loc[mapping["district_id"].astype(str) == str(district), "area_id"]
        return str(rows.iloc[0]) if len(rows) else None

    def nearby(
        self, lat: float, lon: float, *, categories: Sequence[str], radius_m: float
    ) -> dict[str, Any]:
        """Nearest facilities per category around a WGS84 location (:func:`layers.nearby.nearby`)."""
        from layers.nearby import nearby

        x, y = self.to_metric([(lat, lon)])[0]
        return nearby(
            self.dataset.facilities,
            float(x),
            float(y),
            categories=self.check_categories(categories) or list(self.category_ids),
            radius_m=radius_m,
            n_nearest=5,
        )

    @property
    def address_index(self) -> Any:
        """Address lookup of the dataset (:class:`layers.geocode.AddressIndex`), or None."""
        if self._address_index is None and self.dataset.addresses is not None:
            from layers.geocode import AddressIndex

            with self._lock:
                if self._address_index is None:
                    self._address_index = AddressIndex(
                        self.dataset.addresses, prefer_city=self.dataset.metadata.city
                    )
        return self._address_index

    def address_suggestions(self, query: str, *, limit: int = ADDRESS_MATCHES) -> list[str]:
        """The first ``limit`` addresses matching ``query`` (prefix matches first, then fuzzy)."""
        from layers.geocode import bounded_query

        query = bounded_query(query)
        if len(query) < 3 or self.dataset.addresses is None:
            return []
        return list(
            self._suggestions.get(
                (query, limit), lambda: tuple(self._address_suggestions(query, limit))
            )
        )

    def _address_suggestions(self, query: str, limit: int) -> list[str]:
        texts, folded_texts = self._address_texts()
        folded = query.casefold()
        prefix = [t for t, f in zip(texts, folded_texts, strict=True) if f.startswith(folded)][
            :limit
        ]
        if len(prefix) >= limit:
            return prefix
        index = self.address_index
        extra = index.suggest(query, limit=limit) if index is not None else []
        return list(dict.fromkeys([*prefix, *extra]))[:limit]

    def _address_texts(self) -> tuple[list[str], list[str]]:
        """The sorted address texts and the same casefolded (folded once, not per keystroke)."""

        def make() -> tuple[list[str], list[str]]:
            if self.dataset.addresses is None:
                return [], []
            texts = sorted(set(self.dataset.addresses["address"].astype(str)))
            return texts, [t.casefold() for t in texts]

        return self._inputs.get(("address_texts",), make)

    def geocode(self, address: str) -> tuple[float, float]:
        """WGS84 ``(lat, lon)`` of an address from the address layer.

        Raises
        ------
        AddressNotFoundError
            With suggestions when the address is not in the layer.
        """
        index = self.address_index
        if index is None:
            raise CatalogueError("the dataset has no address layer")
        found = index.lookup(address)
        tr = transformer(self.dataset.metadata.metric_crs.to_string(), "EPSG:4326")
        lon, lat = tr.transform(found.x, found.y)
        return round(float(lat), 5), round(float(lon), 5)

    # -- siting & profile ----------------------------------------------------------------------

    def suggest_sites(
        self,
        category: str,
        *,
        k: int,
        radius_m: float,
        year: int | None,
        group: str,
        added: Sequence[tuple[str, float, float]] = (),
        removed: Sequence[str] = (),
        mode: str | None = None,
    ) -> dict[str, Any]:
        """The ``k`` best new sites for ``category`` (:func:`layers.siting.propose_sites`).

        Returns a JSON-ready dict: ``sites`` (WGS84 ``(lat, lon)``), ``gains`` (residents
        newly covered per site), ``places`` (Stadtteil and nearest address per site,
        :func:`layers.siting.site_places`), ``notes`` (the method's notes as
        ``{"id": …, **params}``) and ``note`` (the same in English, as the CLI prints it).
        """
        from layers.siting import propose_sites, site_places

        params = self.params(
            [category],
            radius_m=radius_m,
            year=year,
            group=group,
            level="district",
            added=added,
            removed=removed,
            mode=mode,
        )
        proposal = propose_sites(
            self.table.resident_xy,
            self.weights(params.year, group),
            self._distances_for(params)[category],
            radius_m=radius_m,
            k=k,
            method="greedy",
        )
        places = site_places(
            proposal.xy, districts=self.dataset.districts, addresses=self.dataset.addresses
        )
        tr = transformer(self.dataset.metadata.metric_crs.to_string(), "EPSG:4326")
        sites = []
        for x, y in proposal.xy:
            lon, lat = tr.transform(x, y)
            sites.append((round(float(lat), 5), round(float(lon), 5)))
        return {
            "sites": sites,
            "gains": [float(v) for v in proposal.newly_covered],
            "places": [
                {k: (None if pd.isna(v) else v) for k, v in row.items()}
                for row in places[["district_name", "address", "address_m"]].to_dict("records")
            ],
            "notes": [note.to_dict() for note in proposal.notes],
            "note": proposal.note,
        }

    def view_coverage(self, state: ViewState, categories: Sequence[str]) -> CoverageResult:
        """Coverage of ``categories`` as the view ``state`` shows it.

        With the view's distance, year, group, level, planned and removed facilities and
        distance mode: the map, its table and the exported table use this one call.
        """
        return self.coverage_of(self.view_params(state, categories))

    def view_params(self, state: ViewState, categories: Sequence[str]) -> CoverageParams:
        """The coverage parameters of the view ``state`` for ``categories``."""
        from dashboard.state import SPEEDS_KMH

        minutes = state.distance if state.unit == "min" else None
        return self.params(
            categories,
            radius_m=state.radius_m,
            year=state.year,
            group=state.group,
            level=self.level(state.level),
            added=state.added,
            removed=state.removed,
            mode=state.distance_mode,
            minutes=minutes,
            speed_kmh=SPEEDS_KMH.get(state.speed, 4.5) if minutes is not None else None,
            require=state.require,
        )

    def view_gaps(self, state: ViewState, categories: Sequence[str]) -> GapResult:
        """The gap cells of the view ``state`` for ``categories``."""
        return self.gaps_of(self.view_params(state, categories))

    def view_profile(self, state: ViewState) -> dict[str, Any]:
        """The profile of ``state.area`` at the view's level, year, distance and mode.

        Raises
        ------
        CatalogueError
            If the area is not one of the level's areas.
        """
        return self.profile(
            str(state.area),
            level=self.level(state.level),
            year=state.year,
            radius_m=state.radius_m,
            mode=state.distance_mode,
        )

    def profile(
        self,
        area_id: str,
        *,
        level: str,
        year: int | None,
        radius_m: float,
        mode: str | None = None,
    ) -> dict[str, Any]:
        """The profile of one area (:func:`layers.profile.area_profile`), reusing coverage."""
        from layers.profile import area_profile, profile_base, profile_tables

        def make() -> dict[str, Any]:
            result = self.coverage(
                self.category_ids,
                radius_m=radius_m,
                year=year,
                group="total",
                level=level,
                mode=mode,
            )
            # the population part does not depend on the distance: kept per area and year; the
            # city-wide tables it reads are kept per level and year, shared by every area
            tables = self._profile_bases.get(
                ("tables", level, year),
                lambda: profile_tables(self.dataset, level=level, year=year),  # type: ignore[arg-type]
            )
            base = self._profile_bases.get(
                (area_id, level, year),
                lambda: profile_base(self.dataset, area_id, level=level, year=year, tables=tables),  # type: ignore[arg-type]
            )
            return area_profile(
                self.dataset,
                area_id,
                level=level,  # type: ignore[arg-type]
                year=year,
                radius_m=radius_m,
                coverage=result.per_category,
                base=base,
                coverage_key=(round(radius_m, 1), self.mode(mode)),
            )

        return self._cache.get(
            ("profile", area_id, level, year, round(radius_m, 1), self.mode(mode)), make
        )
