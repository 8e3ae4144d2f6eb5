"""Coverage commands: ``coverage`` (share of residents within reach), ``nearby``, ``site``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
import numpy as np
import pandas as pd

from dashboard.cli import main
from dashboard.cli._common import (
    check_out_suffix,
    data_option,
    emit,
    frame_to_csv,
    level_option,
    open_dataset,
    reports_errors,
    to_json,
)
from layers.areas import outside_area_note
from layers.coverage import (
    DistanceTable,
    check_categories,
    check_radius,
    dataset_area_index,
    dataset_distance_table,
    outside_residents,
)
from layers.errors import CatalogueError, ParameterError
from layers.network import NetworkCache, default_cache_dir
from layers.results import (
    CoverageParams,
    PlannedFacility,
    check_require,
    coverage_result,
    facility_rows,
    planned_facilities,
    scenario_distances,
)
from layers.types import COMBINE_RULES, DISTANCE_MODES


def _warn(message: str) -> None:
    click.echo(f"Warning: {message}", err=True)


def _note(message: str) -> None:
    click.echo(f"Note: {message}", err=True)


def projected_population(dataset: Any, *, group: str, year: int | None) -> bool:
    """Whether the population of ``year`` (default: the group's latest) comes from a projection.

    Population rows carry a boolean ``projected`` column when a trend projection or forecast
    was merged in (issue 5, :mod:`layers.projection`); without that column nothing is projected.
    """
    population = dataset.population
    if "projected" not in population.columns:
        return False
    if year is None:
        known = population[(population["group"] == group) & population["value"].notna()]
        if known.empty:
            return False
        year = int(known["year"].max())
    from layers.projection import is_projected_year

    return is_projected_year(population, year)


def _dataset_for_year(dataset: Any, group: str, year: int | None) -> tuple[Any, int]:
    """Return the dataset (extended by a trend projection for a future year) and the year used.

    A year after the last year of the data is projected with the documented linear trend
    (:func:`layers.projection.with_projection`); the command then says so on stderr.
    """
    from layers.population import check_group_year

    population = dataset.population
    if year is not None and group in set(population["group"]):
        last = int(population["year"].max())
        if int(year) > last:
            from layers.projection import with_projection

            dataset = with_projection(dataset, target_year=int(year))
    return dataset, check_group_year(dataset.population, group, year)


def _note_projection(dataset: Any, group: str, year: int) -> bool:
    if not projected_population(dataset, group=group, year=year):
        return False
    from layers.projection import projection_label

    label = projection_label(dataset.population, year) or "projection"
    _note(f"the population of {year} (group {group}) is projected, not counted: {label}")
    return True


def _distance_table(
    dataset: Any,
    *,
    distance: str | None,
    network: Path | None,
    detour_factor: float | None,
) -> DistanceTable:
    mode = "network" if network is not None else (distance or "euclidean")
    if mode == "network" and detour_factor is not None:
        raise ParameterError(
            "--detour-factor applies to Euclidean distances only; drop it or use "
            "--distance euclidean"
        )
    cache = NetworkCache(maxsize=2, directory=default_cache_dir())
    table = dataset_distance_table(
        dataset,
        distance=mode,  # type: ignore[arg-type]
        network_path=str(network) if network is not None else None,
        detour_factor=detour_factor,
        network_cache=cache,
    )
    if mode == "network":
        spec = dataset.network
        if network is None and spec is not None:
            label = "approximate walking network" if spec.approximate else "walking network"
            _note(
                f"distances along the dataset's {label}" + (f": {spec.note}" if spec.note else "")
            )
        else:
            _note(f"distances along the walking network {network}")
    elif detour_factor is not None:
        _note(
            f"straight-line distances multiplied by a detour factor of {detour_factor:g} "
            "(a rough allowance, not a walking network)"
        )
    return table


def _metres(value: float) -> float | int:
    """A radius for JSON: an int when it is whole (500, not 500.0)."""
    return int(value) if float(value).is_integer() else float(value)


def _fmt(value: float, decimals: int) -> str:
    return "" if value is None or not np.isfinite(value) else f"{value:.{decimals}f}"


def coverage_csv(frame: pd.DataFrame) -> str:
    """Render a coverage table in the CSV contract (1 decimal counts, 4 decimal shares)."""
    out = frame.copy()
    out["residents"] = [_fmt(v, 1) for v in out["residents"]]
    out["covered"] = [_fmt(v, 1) for v in out["covered"]]
    out["share"] = [_fmt(v, 4) for v in out["share"]]
    return frame_to_csv(out)


def coverage_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Coverage rows as JSON-ready records (rounded like the CSV; share null without residents)."""
    records = []
    for row in frame.itertuples(index=False):
        records.append(
            {
                "category": row.category,
                "area_id": str(row.area_id),
                "area_name": row.area_name,
                "residents": round(float(row.residents), 1),
                "covered": round(float(row.covered), 1),
                "share": round(float(row.share), 4) if np.isfinite(row.share) else None,
            }
        )
    return records


def _planned(dataset: Any, added: tuple[str, ...]) -> tuple[PlannedFacility, ...]:
    """``--add CATEGORY,LAT,LON`` values as planned facilities in the metric CRS."""
    points = []
    for text in added:
        parts = [p.strip() for p in text.split(",")]
        try:
            category, lat, lon = parts[0], float(parts[1]), float(parts[2])
        except (IndexError, ValueError) as exc:
            raise ParameterError(
                f"--add {text!r}: give CATEGORY,LAT,LON, e.g. care,49.01,8.40"
            ) from exc
        if len(parts) != 3 or not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise ParameterError(f"--add {text!r}: give CATEGORY,LAT,LON in WGS84 degrees")
        check_categories(category, list(dataset.category_ids))
        points.append((category, lat, lon))
    return planned_facilities(points, crs=dataset.metadata.metric_crs)


def _removed(dataset: Any, removed: tuple[str, ...]) -> tuple[str, ...]:
    """``--remove`` ids, checked against the dataset's facilities."""
    ids = [i.strip() for text in removed for i in text.split(",") if i.strip()]
    known = set(dataset.facilities["id"].astype(str))
    unknown = [i for i in ids if i not in known]
    if unknown:
        raise ParameterError(f"--remove: no facility with id {', '.join(map(repr, unknown))}")
    return tuple(dict.fromkeys(ids))


@main.command("coverage")
@data_option
@click.option(
    "--category",
    "category",
    default="all",
    show_default=True,
    help="Category id(s), comma-separated, or 'all' (every category of the catalogue).",
)
@click.option(
    "--require",
    type=click.Choice(COMBINE_RULES),
    default="each",
    show_default=True,
    help="each: one block of rows per category; all: one block, the share reaching every "
    "listed category (category column 'meeting+care'), as the app's map with several ticked.",
)
@click.option("--radius", "radius_m", type=float, default=500.0, show_default=True, help="Metres.")
@click.option("--year", type=int, default=None, help="Population year (default: the latest).")
@click.option("--group", default="total", show_default=True, help="Population group.")
@level_option
@click.option(
    "--network",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Walking network file (line layer or OSM XML); implies --distance network.",
)
@click.option(
    "--distance",
    type=click.Choice(DISTANCE_MODES),
    default=None,
    help="euclidean (default) or network (the dataset's own network unless --network).",
)
@click.option(
    "--detour-factor",
    type=float,
    default=None,
    help="Euclidean only: multiply straight-line distances by this factor (e.g. 1.3).",
)
@click.option(
    "--add",
    "added",
    multiple=True,
    metavar="CATEGORY,LAT,LON",
    help="What-if: a planned facility at a WGS84 point (repeatable), as in the app.",
)
@click.option(
    "--remove",
    "removed",
    multiple=True,
    metavar="ID",
    help="What-if: switch off the facility with this id (repeatable or comma-separated).",
)
@click.option(
    "--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True
)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None)
@reports_errors
def coverage_cmd(
    data_dir: Path | None,
    category: str,
    require: str,
    radius_m: float,
    year: int | None,
    group: str,
    level: str,
    network: Path | None,
    distance: str | None,
    detour_factor: float | None,
    added: tuple[str, ...],
    removed: tuple[str, ...],
    fmt: str,
    out: Path | None,
) -> None:
    """Share of residents per area within RADIUS of a facility of each category.

    A resident at exactly the radius is covered. Columns:
    category,area_id,area_name,residents,covered,share; one ALL row per category for the city.
    With --require all one block for all listed categories together (category "meeting+care").
    """
    check_out_suffix(out, fmt)
    radius = check_radius(radius_m, name="--radius")
    if network is not None and not network.is_file():
        raise ParameterError(f"--network: file {network} does not exist")
    dataset = open_dataset(data_dir)
    categories = check_categories(category, list(dataset.category_ids))
    from layers.residents import resident_weights

    dataset, year_used = _dataset_for_year(dataset, group, year)
    weights = resident_weights(dataset, year=year_used, group=group)
    index = dataset_area_index(dataset, level)  # type: ignore[arg-type]
    table = _distance_table(
        dataset, distance=distance, network=network, detour_factor=detour_factor
    )
    for cat in categories:
        if cat not in table.categories:
            _warn(f"category {cat!r} has no located facilities; its share is 0")
    n_out, w_out = outside_residents(index, weights)
    if index.rest is not None:
        _warn(outside_area_note(dataset, level, residents=float(np.nansum(weights[index.rest]))))
    elif n_out:
        where = "all districts" if level == "district" else "all planning areas"
        _warn(f"{n_out} resident points ({w_out:.1f} residents) lie outside {where}; ignored")
    projected = _note_projection(dataset, group, year_used)
    params = CoverageParams(
        categories=tuple(categories),
        radius_m=radius,
        group=group,
        level=level,  # type: ignore[arg-type]
        year_asked=year,
        year=year_used,
        require=check_require(require),
        distance_mode=table.distance,
        detour_factor=table.detour_factor,
        added=_planned(dataset, added),
        removed=_removed(dataset, removed),
    )
    rows = facility_rows(dataset.facilities, params.removed)
    result = coverage_result(
        {
            c: scenario_distances(table, c, added=params.added, removed_rows=rows)
            for c in categories
        },
        weights,
        index,
        params=params,
        city_name=dataset.metadata.city,
    )
    frame = result.rows()
    if fmt == "csv":
        emit(coverage_csv(frame), out)
        return
    payload: dict[str, Any] = {"require": "all"} if require == "all" else {}
    payload |= {
        "radius_m": _metres(radius),
        "year": year_used,
        "group": group,
        "level": level,
        "distance": table.distance,
        "detour_factor": table.detour_factor if table.distance == "euclidean" else None,
        "projected": projected,
        "rows": coverage_records(frame),
    }
    emit(to_json(payload), out)


@main.command("nearby")
@data_option
@click.option("--address", default=None, help='Address, e.g. "Rheinstraße 12, 76185 Karlsruhe".')
@click.option("--lat", type=float, default=None, help="Latitude (WGS84).")
@click.option("--lon", type=float, default=None, help="Longitude (WGS84).")
@click.option("--radius", "radius_m", type=float, default=800.0, show_default=True, help="Metres.")
@click.option("--format", "fmt", type=click.Choice(["json"]), default="json", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None)
@reports_errors
def nearby_cmd(
    data_dir: Path | None,
    address: str | None,
    lat: float | None,
    lon: float | None,
    radius_m: float,
    fmt: str,
    out: Path | None,
) -> None:
    """The 3 nearest facilities of every category, how many lie within RADIUS, what is missing."""
    check_out_suffix(out, fmt)
    del fmt  # JSON is the only format
    from layers.geocode import AddressIndex
    from layers.nearby import location_from_lonlat, location_to_lonlat, nearby

    radius = check_radius(radius_m, name="--radius")
    if address is None and (lat is None or lon is None):
        raise ParameterError("give --address, or both --lat and --lon")
    if address is not None and (lat is not None or lon is not None):
        raise ParameterError("give either --address or --lat/--lon, not both")
    if lat is not None and lon is not None and not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise ParameterError(f"--lat {lat} / --lon {lon} are not WGS84 coordinates")
    dataset = open_dataset(data_dir)
    crs = dataset.metadata.metric_crs
    if address is not None:
        if dataset.addresses is None or len(dataset.addresses) == 0:
            raise CatalogueError("the dataset has no address table; give --lat and --lon instead")
        found = AddressIndex(dataset.addresses, prefer_city=dataset.metadata.city).lookup(address)
        x, y = found.x, found.y
        lon_out, lat_out = location_to_lonlat(x, y, crs)
        location = {"lat": round(lat_out, 6), "lon": round(lon_out, 6), "address": found.address}
    else:
        assert lat is not None and lon is not None
        x, y = location_from_lonlat(lon, lat, crs)
        location = {"lat": lat, "lon": lon, "address": None}
    if not _inside_districts(dataset, x, y):
        _warn("the location lies outside all districts of the dataset")
    result = nearby(
        dataset.facilities, x, y, categories=list(dataset.category_ids), radius_m=radius
    )
    emit(to_json({"location": location, **result}), out)


def _inside_districts(dataset: Any, x: float, y: float) -> bool:
    import shapely

    return bool(dataset.districts.geometry.intersects(shapely.Point(x, y)).any())


def _district_of(dataset: Any, xy: np.ndarray) -> list[str | None]:
    import shapely

    districts = dataset.districts
    points = shapely.points(xy)
    tree = shapely.STRtree(districts.geometry.to_numpy())
    hits = tree.query(points, predicate="intersects")
    out: list[str | None] = [None] * len(xy)
    for point_i, district_i in zip(hits[0], hits[1], strict=True):
        if out[point_i] is None:
            out[point_i] = str(districts["id"].iloc[district_i])
    return out


@main.command("site")
@data_option
@click.option("--category", required=True, help="One category id.")
@click.option("--radius", "radius_m", type=float, default=500.0, show_default=True, help="Metres.")
@click.option("--k", type=int, default=3, show_default=True, help="Number of sites.")
@click.option("--year", type=int, default=None, help="Population year (default: the latest).")
@click.option("--group", default="total", show_default=True, help="Population group.")
@click.option(
    "--method",
    type=click.Choice(["mclp", "greedy"]),
    default="mclp",
    show_default=True,
    help="mclp: the best covering of the real resident points (exact MCLP with CBC on them, "
    "compared with greedy; the better is returned and named on stderr); greedy: ≥ 63 % of the "
    "optimum.",
)
@click.option("--format", "fmt", type=click.Choice(["json"]), default="json", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None)
@reports_errors
def site_cmd(
    data_dir: Path | None,
    category: str,
    radius_m: float,
    k: int,
    year: int | None,
    group: str,
    method: str,
    fmt: str,
    out: Path | None,
) -> None:
    """Propose K sites for CATEGORY that newly cover the most residents within RADIUS."""
    check_out_suffix(out, fmt)
    del fmt
    from layers.crs import WGS84
    from layers.residents import resident_weights
    from layers.siting import propose_sites

    radius = check_radius(radius_m, name="--radius")
    dataset = open_dataset(data_dir)
    cats = check_categories(category, list(dataset.category_ids))
    if len(cats) != 1 or category.strip() == "all":
        raise ParameterError("site takes exactly one --category")
    cat = cats[0]
    dataset, year_used = _dataset_for_year(dataset, group, year)
    weights = resident_weights(dataset, year=year_used, group=group)
    table = dataset_distance_table(dataset)
    if cat not in table.categories:
        _warn(f"category {cat!r} has no located facilities; every resident is uncovered")
    proposal = propose_sites(
        table.resident_xy,
        weights,
        table.distances_m(cat),
        radius_m=radius,
        k=k,
        method=method,  # type: ignore[arg-type]
    )
    _note(proposal.note)
    _note_projection(dataset, group, year_used)
    from pyproj import Transformer

    to_wgs84 = Transformer.from_crs(dataset.metadata.metric_crs, WGS84, always_xy=True)
    sites = []
    if len(proposal.xy):
        lon, lat = to_wgs84.transform(proposal.xy[:, 0], proposal.xy[:, 1])
        districts = _district_of(dataset, proposal.xy)
        for i in range(len(proposal.xy)):
            sites.append(
                {
                    "lat": round(float(np.atleast_1d(lat)[i]), 6),
                    "lon": round(float(np.atleast_1d(lon)[i]), 6),
                    "district_id": districts[i],
                    "newly_covered": round(float(proposal.newly_covered[i]), 1),
                }
            )
    if len(sites) < k:
        _note(f"only {len(sites)} site(s) add coverage; every other resident is already covered")
    payload = {
        "category": cat,
        "radius_m": _metres(radius),
        "sites": sites,
        "covered_before": round(proposal.covered_before, 1),
        "covered_after": round(proposal.covered_after, 1),
    }
    emit(to_json(payload), out)
