"""Recipe ``karlsruhe``: build the bundled Karlsruhe dataset from the raw files of its source folder.

Everything Karlsruhe-specific lives here: the raw file names and columns, the official list of the
27 Stadtteile, the attribution and licence of each source (transcribed from the source folder's
PROVENANCE.md) and the wording of the manifest notes. The raw folder is the one described by
``PROVENANCE.md`` (``../shared/data/karlsruhe``); it may also hold files written by
``quartiersatlas fetch karlsruhe`` (``fetch.json``, ``facilities/geoportal/<id>.geojson``,
``population/transparenz/<id>.csv``), which are then added (facilities) or replace the bundled
series of the same group (population).

The output follows docs/dataset-format.md and is deterministic: text files, fixed column and row
order, WGS84 coordinates with 6 decimals, and dates taken from the sources, never from the clock.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely
from shapely.geometry import shape

from layers.build import BuildContext, BuildStep
from layers.build._raw import (
    DistrictIndex,
    FetchedItem,
    parse_coordinates,
    read_csv,
    read_fetch_record,
    read_json,
)
from layers.build._write import (
    format_coord,
    normalise_name,
    round_geometry,
    write_csv,
    write_geojson,
    write_toml,
)
from layers.build.karlsruhe_nachtrag import (
    NACHTRAG_FILE,
    NACHTRAG_NOTE_FILE,
    NachtragResult,
    apply_nachtrag,
)
from layers.catalogue import DEFAULT_CATEGORIES, KNOWN_GROUPS, PALETTE
from layers.crs import transformer
from layers.errors import BuildError
from layers.network import build_network_file
from layers.planning import propose_planning_areas

CITY = "Karlsruhe"
METRIC_CRS = "EPSG:25832"

# --- raw files (paths relative to the source folder) -------------------------------------------

DISTRICTS_FILE = "boundaries/stadtteile_27_stadt_karlsruhe.geojson"
FACILITIES_FILE = "facilities/sozialeinrichtungen.csv"
TOTAL_FILE = "population/bevolkerung-bevolkerung-mit-hauptwohnung.csv"
CHILDREN_FILES: tuple[tuple[str, str], ...] = (
    ("under_3", "population/altersstruktur-der-bevolkerung-unter-3-jahrige-nach-geschlecht.csv"),
    (
        "3_to_6",
        "population/altersstruktur-der-bevolkerung-3-bis-unter-6-jahrige-nach-geschlecht.csv",
    ),
    (
        "6_to_15",
        "population/altersstruktur-der-bevolkerung-6-bis-unter-15-jahrige-nach-geschlecht.csv",
    ),
    (
        "15_to_18",
        "population/altersstruktur-der-bevolkerung-15-bis-unter-18-jahrige-nach-geschlecht.csv",
    ),
)
STATISTICS_2016_FILE = "population/stadtteile_statistik_2016.geojson"
ADDRESSES_FILE = "network/adressen_gebaeude_osm.csv"
PROGRAMME_FILE = "metadata/programm_kontext_aus_webseiten.md"
STREETS_FILE = "network/strassen_benannt_osm2015_codeforka.geojson"
PATHS_FILE = "network/fusswege_pfade_osm.geojson"

REQUIRED_FILES: tuple[str, ...] = (
    DISTRICTS_FILE,
    FACILITIES_FILE,
    TOTAL_FILE,
    *(path for _, path in CHILDREN_FILES),
    STATISTICS_2016_FILE,
    ADDRESSES_FILE,
    PROGRAMME_FILE,
    STREETS_FILE,
    PATHS_FILE,
    NACHTRAG_FILE,
    NACHTRAG_NOTE_FILE,
)
"""Raw files the recipe needs; :func:`layers.build.build_dataset` checks them before starting."""

# --- raw columns --------------------------------------------------------------------------------

DISTRICT_ID_PROPERTY = "NUMMER"
DISTRICT_NAME_PROPERTY = "name"
FACILITY_COLUMNS = (
    "id",
    "name",
    "category",
    "subcategory",
    "street",
    "housenumber",
    "postcode",
    "city",
    "lat",
    "lon",
    "geocode_method",
    "source",
    "source_date",
)
NAME_COLUMN = "Stadtteil"
YEAR_COLUMN = "Jahr"
TOTAL_COLUMN = "Hauptwohnung"
PERSONS_COLUMN = "Personen"
STATISTICS_2016_NAME = "Stadtteilname"
AGE_2016_PROPERTIES: tuple[tuple[str, str], ...] = (
    ("0_to_19", "Alter_0-19_2016"),
    ("20_to_64", "Alter_20-64_2016"),
    ("65_plus", "Alter_65+_2016"),
)
STATISTICS_YEAR = 2016
ADDRESS_COLUMNS = ("full_address", "lat", "lon")
ADDRESS_PLACEHOLDER = "None"
CITY_TOTAL_NAMES = frozenset({"Karlsruhe", "Stadt Karlsruhe", "Gesamtstadt", "Insgesamt"})
"""Rows of fetched Transparenzportal tables that are the city total, not a Stadtteil."""

STADTTEILE: Mapping[str, str] = {
    "01": "Innenstadt-Ost",
    "02": "Innenstadt-West",
    "03": "Südstadt",
    "04": "Südweststadt",
    "05": "Weststadt",
    "06": "Nordweststadt",
    "07": "Oststadt",
    "08": "Mühlburg",
    "09": "Daxlanden",
    "10": "Knielingen",
    "11": "Grünwinkel",
    "12": "Oberreut",
    "13": "Beiertheim-Bulach",
    "14": "Weiherfeld-Dammerstock",
    "15": "Rüppurr",
    "16": "Waldstadt",
    "17": "Rintheim",
    "18": "Hagsfeld",
    "19": "Durlach",
    "20": "Grötzingen",
    "21": "Stupferich",
    "22": "Hohenwettersbach",
    "23": "Wolfartsweier",
    "24": "Grünwettersbach",
    "25": "Palmbach",
    "26": "Neureut",
    "27": "Nordstadt",
}
"""The official numbering of the 27 Stadtteile (PROVENANCE.md); the districts file must match."""

FEW_RESIDENT_POINTS_PER_1000 = 40.0
"""A Stadtteil with fewer resident points per 1,000 inhabitants is named in the notes as sparse."""

PLANNING_AREA_COUNT = 6
PLANNING_MAX_IMBALANCE = 1.15
"""Balance bound (largest / smallest population) within which the proposal is made compact."""
HOEHENSTADTTEILE: Mapping[str, str] = {
    "21": "Stupferich",
    "22": "Hohenwettersbach",
    "24": "Grünwettersbach",
    "25": "Palmbach",
}
"""The four Höhenstadtteile on the hills east of the Rhine plain, kept in one planning area."""
"""Karlsruhe's social planning works with six planning areas (no official assignment is public)."""

# --- outputs ------------------------------------------------------------------------------------

OUT_MANIFEST = "dataset.toml"
OUT_DISTRICTS = "stadtteile.geojson"
OUT_FACILITIES = "facilities.csv"
OUT_POPULATION = "population.csv"
OUT_RESIDENTS = "residents.csv"
OUT_PROGRAMME = "programme.csv"
OUT_NETWORK = "network.geojson"
OUT_PLANNING = "planning_areas.csv"
OUT_SOURCES = "SOURCES.md"
OUT_LICENCE = "LICENSE-DATA.md"

FACILITY_OUT_COLUMNS = (
    "id",
    "name",
    "category",
    "subcategory",
    "address",
    "lat",
    "lon",
    "geocode_method",
    "source",
    "source_date",
)
POPULATION_OUT_COLUMNS = ("district", "year", "group", "value")
RESIDENT_OUT_COLUMNS = ("address", "lat", "lon", "weight")
PROGRAMME_OUT_COLUMNS = ("district", "measure", "since", "note", "source", "source_date")
PLANNING_OUT_COLUMNS = ("district", "planning_area", "planning_area_name")

GROUP_ORDER = (
    "total",
    "under_3",
    "3_to_6",
    "6_to_15",
    "15_to_18",
    "0_to_19",
    "20_to_64",
    "65_plus",
)

# --- attribution and licences (from PROVENANCE.md) ---------------------------------------------

OSM = "© OpenStreetMap-Mitwirkende (OpenStreetMap contributors)"
ODBL = "ODbL-1.0"
DL_DE = "dl-de/by-2-0"


@dataclass(frozen=True)
class LayerInfo:
    """Attribution, licence, date and source of one output layer."""

    attribution: str
    licence: str
    date: str
    source: str


DISTRICTS_INFO = LayerInfo(
    attribution="Stadt Karlsruhe (Transparenzportal, Datensatz „Stadtteile“)",
    licence="CC0-1.0",
    date="2023-10-20",
    source=(
        "https://github.com/stadt-karlsruhe/CO2-Runter "
        "client/src/components/Dashboard/districts_geo.json "
        "@efb8af6ef2acf3fdaee503c379ec7809ad8af4b1; "
        "https://transparenz.karlsruhe.de/dataset/8474ba52-f851-4f4b-b05a-1cba9bbd1f4d"
    ),
)
FACILITIES_INFO = LayerInfo(
    attribution=(
        "Zusammengestellt aus öffentlichen Webseiten (URL je Zeile), Stadt Karlsruhe "
        f"(Wahllokale BTW 2017, via Code for Karlsruhe) und {OSM}"
    ),
    licence=(
        f"mixed: {ODBL} (OpenStreetMap rows, via bkggeocoder, CC BY 4.0; OSM-geocoded "
        f"coordinates); {DL_DE} (rows from the 2017 polling stations); rows from web pages: "
        "none stated (facts only: name, address)"
    ),
    date="2026-12",
    source=(
        "facilities/sozialeinrichtungen.csv of the raw folder (compiled 2026-11-25) with the "
        "supplement facilities/nachtrag_2026-12.csv/.md (its PROVENANCE.md describes every "
        "source); per row: column source"
    ),
)
POPULATION_INFO = LayerInfo(
    attribution="Stadt Karlsruhe, Transparenzportal (via Code for Karlsruhe und digital-codes)",
    licence=(
        f"{DL_DE} (2016 age structure, as stated by Code for Karlsruhe); 2007–2021 series: none "
        f"stated by the copying repositories (Transparenzportal downloads, cited elsewhere as "
        f"{DL_DE})"
    ),
    date="2023-03-13",
    source=(
        "https://github.com/CodeforKarlsruhe/co2app public/data @7164aa02d49b3337ce8d7bd792b3c454017e8187; "
        "https://github.com/digital-codes/datencafe public/data "
        "@27441f03acf56ce73bae6df892385135793937bf; "
        "https://github.com/CodeforKarlsruhe/btw2017 daten/karlsruhe/resampling/stadtteile.geojson "
        "@1b37cc9cdb9f12822f694a28b1e5e8405ecd23e6"
    ),
)
RESIDENTS_INFO = LayerInfo(
    attribution=OSM,
    licence=f"{ODBL} (OpenStreetMap data; the copying repository states none)",
    date="2025-06-25",
    source=(
        "https://github.com/Bemnyyy/OEPNV-Router-Karlsruhe karlsruhe_addresses.csv "
        "@5bfa816ed2e9618e13cba13b809f640069b309c3 (from an OSM BBBike extract)"
    ),
)
PROGRAMME_INFO = LayerInfo(
    attribution="Stadt Karlsruhe und lokale Webseiten (URL je Zeile)",
    licence="none stated (facts transcribed from public web pages)",
    date="",  # the newest date written in the text (set by the programme step)
    source="programm_kontext_aus_webseiten.md (notes from public web pages); per row: column source",
)
NETWORK_INFO = LayerInfo(
    attribution=f"{OSM}; Straßennamen: Code for Karlsruhe",
    licence=ODBL,
    date="2026-04-05",
    source=(
        "https://github.com/CodeforKarlsruhe/streetnames streetnames.geojson "
        "@c90d957a643963e2c43485af6f9493f157dbb1b9 (OSM 2015); "
        "https://github.com/ohrie/gruene-karte-karlsruhe public/data/paths.geojson "
        "@c7373b4174c2cf2bb37ae3c2a5b6eab3e591f5c7 (OSM 2026)"
    ),
)
NETWORK_NOTE = (
    "Näherungsweises Fußwegenetz: benannte Straßen aus OSM (Stand 2015, nur Straßen mit Eintrag "
    "im Straßennamenbuch der Stadt; unbenannte Wege, Wirtschaftswege und Gehwege fehlen, "
    "gleichnamige Straßen verschiedener Stadtteile sind zusammengefasst) plus OSM-Fuß-, Rad- und "
    "Feldwege (Stand 2026), an Knoten innerhalb von 1 m verbunden. Kein vollständiges "
    "Routingnetz: Gehzeiten sind Näherungen. / Approximate walking network: named OSM streets "
    "(2015, only streets in the city's street-name booklet; unnamed ways and sidewalks missing) "
    "plus OSM footways and paths (2026), joined within 1 m; not a complete routable network."
)

PROGRAMME_SOURCE_PREFIX = "https://"
MONTHS = {
    month: number
    for number, month in enumerate(
        [
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ],
        start=1,
    )
}
NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7}
_URL = re.compile(r"\b((?:[a-z0-9-]+\.)+(?:de|com|org|net|eu|info)(?:/[^\s;()]*)?)")


def plan(source: Path) -> tuple[BuildStep, ...]:
    """The steps of the Karlsruhe build, in order."""
    return (
        BuildStep("Stadtteile", _districts_step),
        BuildStep("facilities", _facilities_step),
        BuildStep("population", _population_step),
        BuildStep("residents", _residents_step),
        BuildStep("programme", _programme_step),
        BuildStep("walking network", _network_step),
        BuildStep("planning areas", _planning_step),
        BuildStep("manifest", _manifest_step),
    )


# =================================================================================================
# Stadtteile


def _districts_step(ctx: BuildContext) -> None:
    doc = read_json(ctx.source / DISTRICTS_FILE, file=DISTRICTS_FILE)
    features = doc.get("features") if isinstance(doc, dict) else None
    if not isinstance(features, list):
        raise BuildError(f"{DISTRICTS_FILE}: not a GeoJSON FeatureCollection")
    rows = []
    for number, feature in enumerate(features, start=1):
        props = feature.get("properties") or {}
        district_id = str(props.get(DISTRICT_ID_PROPERTY, "")).strip()
        name = normalise_name(str(props.get(DISTRICT_NAME_PROPERTY, "")))
        if STADTTEILE.get(district_id) != name:
            raise BuildError(
                f"{DISTRICTS_FILE}, feature {number}: {DISTRICT_ID_PROPERTY}={district_id!r} "
                f"{DISTRICT_NAME_PROPERTY}={name!r} is not one of the 27 official Stadtteile "
                f"(expected e.g. '01' 'Innenstadt-Ost')"
            )
        if feature.get("geometry", {}).get("type") not in ("Polygon", "MultiPolygon"):
            raise BuildError(f"{DISTRICTS_FILE}, feature {number}: geometry is not a polygon")
        rows.append((district_id, name, round_geometry(feature["geometry"])))
    ids = [r[0] for r in rows]
    duplicated = sorted(i for i, n in Counter(ids).items() if n > 1)
    missing = sorted(set(STADTTEILE) - set(ids))
    if duplicated or missing:
        raise BuildError(
            f"{DISTRICTS_FILE}: expected the 27 Stadtteile once each; "
            f"duplicated: {duplicated or 'none'}, missing: {missing or 'none'}"
        )
    rows.sort(key=lambda r: r[0])
    geometries = tuple(shape(r[2]) for r in rows)
    invalid = [r[0] for r, g in zip(rows, geometries, strict=True) if not g.is_valid]
    if invalid:
        raise BuildError(f"{DISTRICTS_FILE}: polygons of {invalid} are invalid after rounding")
    write_geojson(
        ctx.out / OUT_DISTRICTS,
        ({"properties": {"id": i, "name": n}, "geometry": g} for i, n, g in rows),
    )
    ctx.results["districts"] = DistrictIndex(
        ids=tuple(r[0] for r in rows),
        names=tuple(r[1] for r in rows),
        geometries=geometries,
        file=DISTRICTS_FILE,
    )


# =================================================================================================
# facilities


UNNAMED_OSM = re.compile(r"^(?P<kind>.+?) lt\. OpenStreetMap \([^;)]*; Name nicht in der Quelle\)$")
"""Seed rows whose source gives no name: "Gemeinschaftszentrum lt. OpenStreetMap (amenity=…;
Name nicht in der Quelle)"."""


def _readable_name(name: str) -> str:
    """The seed list's name, with its note on an OSM object without a name put in plain words.

    Examples
    --------
    >>> _readable_name("Gemeinschaftszentrum lt. OpenStreetMap (amenity=community_centre; "
    ...                "Name nicht in der Quelle)")
    'Gemeinschaftszentrum (ohne Namen in OSM)'
    >>> _readable_name("Bürgerzentrum Mühlburg")
    'Bürgerzentrum Mühlburg'
    """
    unnamed = UNNAMED_OSM.match(name)
    return f"{unnamed['kind']} (ohne Namen in OSM)" if unnamed else name


def _facilities_step(ctx: BuildContext) -> None:
    path = ctx.source / FACILITIES_FILE
    header, records = read_csv(path, file=FACILITIES_FILE)
    if tuple(header) != FACILITY_COLUMNS:
        raise BuildError(
            f"{FACILITIES_FILE}: expected the columns {', '.join(FACILITY_COLUMNS)}; "
            f"found {', '.join(header)}"
        )
    rows: list[tuple[str, ...]] = []
    for line, record in records:
        lat, lon = parse_coordinates(record["lat"], record["lon"], file=FACILITIES_FILE, row=line)
        rows.append(
            (
                record["id"],
                _readable_name(record["name"]),
                record["category"],
                record["subcategory"],
                _german_address(
                    record["street"], record["housenumber"], record["postcode"], record["city"]
                ),
                lat,
                lon,
                record["geocode_method"],
                record["source"],
                record["source_date"],
            )
        )
    duplicated = sorted(i for i, n in Counter(r[0] for r in rows).items() if n > 1)
    if duplicated:
        raise BuildError(f"{FACILITIES_FILE}: duplicate ids {duplicated}")
    rows.sort(key=lambda r: r[0])
    before = _facility_counts(rows)
    nachtrag = apply_nachtrag(rows, ctx.source, address_file=ADDRESSES_FILE)
    rows = list(nachtrag.rows)
    seed_rows = list(rows)
    record = read_fetch_record(ctx.source)
    fetched_layers: list[tuple[FetchedItem, int]] = []
    if record is not None:
        for item in record.of_kind("facilities"):
            extra = _geoportal_rows(ctx.source, item, fetched_date=record.date)
            fetched_layers.append((item, len(extra)))
            rows.extend(extra)
        duplicated = sorted(i for i, n in Counter(r[0] for r in rows).items() if n > 1)
        if duplicated:
            raise BuildError(f"fetched facility layers repeat the ids {duplicated[:10]}")
    write_csv(ctx.out / OUT_FACILITIES, FACILITY_OUT_COLUMNS, rows)
    ctx.results["facilities"] = {
        "seed": _facility_counts(seed_rows),
        "before_nachtrag": before,
        "nachtrag": nachtrag,
        "seed_sources": sorted(Counter(_source_kind(r[8]) for r in seed_rows).items()),
        "seed_geocoding": sorted(Counter(r[7] for r in seed_rows).items()),
        "all": _facility_counts(rows),
        "fetched": fetched_layers,
        "fetch_date": record.date if record is not None and fetched_layers else "",
        "categories": sorted({r[2] for r in rows}),
    }


REPOSITORY_SOURCES: Mapping[str, str] = {
    "CodeforKarlsruhe/btw2017": "polling stations 2017, dl-de/by-2-0",
    "StefanJuenger/bkggeocoder": (
        "OSM amenity=community_centre addresses of 2022-05-12 (repository CC BY 4.0; "
        "OpenStreetMap data, ODbL)"
    ),
}
"""What the ``repo:<owner/name>@…`` sources of the facility list are (from PROVENANCE.md)."""


def _source_kind(source: str) -> str:
    if source.startswith(("http://", "https://")):
        return "web pages (URL in `source`)"
    if source.startswith("repo:"):
        repo = source[len("repo:") :].split("@", 1)[0]
        return f"{repo} ({REPOSITORY_SOURCES.get(repo, 'see PROVENANCE.md')})"
    return "other"


def _facility_counts(rows: Sequence[Sequence[str]]) -> dict[str, Any]:
    per: dict[str, list[int]] = {}
    for row in rows:
        counts = per.setdefault(row[2], [0, 0])
        counts[0] += 1
        counts[1] += row[5] != ""
    return {
        "rows": len(rows),
        "located": sum(1 for r in rows if r[5] != ""),
        "per_category": {k: tuple(v) for k, v in sorted(per.items())},
    }


def _geoportal_rows(source: Path, item: FetchedItem, *, fetched_date: str) -> list[tuple[str, ...]]:
    """Facility rows of one fetched geoportal GeoJSON (the category comes from ``fetch.json``)."""
    doc = read_json(source / item.path, file=item.path)
    features = doc.get("features") if isinstance(doc, dict) else None
    if not isinstance(features, list):
        raise BuildError(f"{item.path}: not a GeoJSON FeatureCollection")
    to_wgs84 = None
    crs_name = ((doc.get("crs") or {}).get("properties") or {}).get("name")
    if crs_name and not str(crs_name).endswith(("CRS84", "4326")):
        to_wgs84 = transformer(str(crs_name), "EPSG:4326")
    rows = []
    for number, feature in enumerate(features, start=1):
        props = feature.get("properties") or {}
        fid = feature.get("id", props.get("OBJECTID", number))
        name = normalise_name(
            str(props.get("NAME") or props.get("Name") or props.get("name") or "")
        )
        lat = lon = ""
        geometry = feature.get("geometry")
        if geometry and geometry.get("type") == "Point":
            x, y = (float(v) for v in geometry["coordinates"][:2])
            if to_wgs84 is not None:
                x, y = to_wgs84.transform(x, y)
            lat, lon = format_coord(y), format_coord(x)
        updated = props.get("UPDATED")
        rows.append(
            (
                f"{item.id}-{_id_text(fid)}",
                name,
                item.category,
                item.subcategory,
                normalise_name(str(props.get("ADRESSE") or props.get("Adresse") or "")),
                lat,
                lon,
                "geoportal" if lat else "unmatched",
                item.url,
                _updated_date(updated) or fetched_date,
            )
        )
    rows.sort(key=lambda r: _natural_key(r[0]))
    return rows


def _id_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"{value:05d}" if isinstance(value, int) else str(value)


def _natural_key(text: str) -> tuple[Any, ...]:
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", text))


def _updated_date(value: Any) -> str:
    """The date of an ArcGIS ``UPDATED`` field (epoch milliseconds or text)."""
    if value is None or value == "":
        return ""
    if isinstance(value, int | float):
        return datetime.fromtimestamp(float(value) / 1000, tz=UTC).date().isoformat()
    return str(value).strip()[:10]


def _german_address(street: str, housenumber: str, postcode: str, city: str) -> str:
    """``"Straße 12, 76185 Karlsruhe"``; missing parts are left out."""
    first = " ".join(p for p in (street.strip(), housenumber.strip()) if p)
    second = " ".join(p for p in (postcode.strip(), city.strip()) if p)
    return ", ".join(p for p in (first, second) if p)


# =================================================================================================
# population


@dataclass(frozen=True)
class SeriesInfo:
    """Where one population group comes from."""

    group: str
    years: tuple[int, ...]
    file: str
    description: str


def _population_step(ctx: BuildContext) -> None:
    districts: DistrictIndex = ctx.results["districts"]
    values: dict[tuple[str, str, int], int | str] = {}
    series: dict[str, SeriesInfo] = {}

    def add(group: str, file: str, description: str, rows: Iterable[tuple[str, int, Any]]) -> None:
        years = set()
        for district_id, year, value in rows:
            key = (group, district_id, year)
            if key in values:
                raise BuildError(f"{file}: Stadtteil {district_id} year {year} appears twice")
            values[key] = value
            years.add(year)
        series[group] = SeriesInfo(group, tuple(sorted(years)), file, description)

    add(
        "total",
        TOTAL_FILE,
        "Bevölkerung mit Hauptwohnung (Transparenzportal „Bevölkerung“)",
        _name_year_rows(ctx.source, TOTAL_FILE, TOTAL_COLUMN, districts),
    )
    for group, file in CHILDREN_FILES:
        add(
            group,
            file,
            "Altersstruktur der Bevölkerung (Transparenzportal „Altersstruktur“), Spalte Personen",
            _name_year_rows(ctx.source, file, PERSONS_COLUMN, districts),
        )
    for group, rows in _statistics_2016(ctx.source, districts).items():
        add(
            group,
            STATISTICS_2016_FILE,
            "Altersstruktur 2016 je Stadtteil (Transparenzportal, via Code for Karlsruhe btw2017)",
            rows,
        )
    record = read_fetch_record(ctx.source)
    replaced: list[str] = []
    if record is not None:
        for item in record.of_kind("population"):
            group = item.category
            for key in [k for k in values if k[0] == group]:
                del values[key]
            if group in series:
                replaced.append(group)
            add(
                group,
                item.path,
                f"{item.subcategory or item.id} (Transparenzportal, abgerufen {record.date})",
                _name_year_rows(ctx.source, item.path, None, districts),
            )
    _check_complete(values, series, districts)
    order = {g: i for i, g in enumerate(GROUP_ORDER)}
    keys = sorted(values, key=lambda k: (order.get(k[0], len(order)), k[0], k[1], k[2]))
    write_csv(
        ctx.out / OUT_POPULATION,
        POPULATION_OUT_COLUMNS,
        (
            (district_id, year, group, values[group, district_id, year])
            for group, district_id, year in keys
        ),
    )
    ctx.results["population"] = {
        "values": values,
        "series": series,
        "replaced": replaced,
        "fetch_date": record.date if record is not None and record.of_kind("population") else "",
        "age_2016_matches_total": _age_2016_matches_total(values, districts),
    }


def _name_year_rows(
    source: Path, file: str, value_column: str | None, districts: DistrictIndex
) -> list[tuple[str, int, int | str]]:
    """``(district id, year, value)`` of a Transparenzportal table per Stadtteil and year."""
    header, records = read_csv(source / file, file=file)
    name_column = next((c for c in header if c.casefold().startswith("stadtteil")), None)
    year_column = next((c for c in header if c.casefold() == YEAR_COLUMN.casefold()), None)
    if name_column is None or year_column is None:
        raise BuildError(
            f"{file}: needs the columns {NAME_COLUMN} and {YEAR_COLUMN}; found {header}"
        )
    if value_column is None:  # fetched table: Personen, else the first column after Jahr
        after = header[header.index(year_column) + 1 :]
        value_column = PERSONS_COLUMN if PERSONS_COLUMN in header else (after[0] if after else None)
    if value_column not in header:
        raise BuildError(f"{file}: column {value_column!r} not found; columns: {', '.join(header)}")
    rows = []
    for line, record in records:
        name = record[name_column]
        if normalise_name(name) in CITY_TOTAL_NAMES:
            continue
        district_id = districts.id_for(name, file=file, row=line)
        year_text = record[year_column].strip()
        if not re.fullmatch(r"\d{4}", year_text):
            raise BuildError(
                f"{file}, row {line}, column {year_column}: {year_text!r} is not a year"
            )
        rows.append(
            (district_id, int(year_text), _count(record[value_column], file, line, value_column))
        )
    return rows


def _count(text: str, file: str, line: int, column: str) -> int | str:
    value = text.strip()
    if re.fullmatch(r"\d+", value):
        return int(value)
    if re.fullmatch(r"\d+\.0+", value):
        return int(float(value))
    if value in ("-", "–"):
        return 0
    if value in (".", "x", "X", "…", "..."):
        return "."  # unknown: the loader reads it as missing ("Platzhalter in der Quelle")
    raise BuildError(f"{file}, row {line}, column {column}: {text!r} is not a count of people")


def _statistics_2016(
    source: Path, districts: DistrictIndex
) -> dict[str, list[tuple[str, int, int]]]:
    """The 2016 age groups. ``Einwohner_2016`` is the wohnberechtigte population: not used."""
    doc = read_json(source / STATISTICS_2016_FILE, file=STATISTICS_2016_FILE)
    result: dict[str, list[tuple[str, int, int]]] = {group: [] for group, _ in AGE_2016_PROPERTIES}
    for number, feature in enumerate(doc.get("features") or [], start=1):
        props = feature.get("properties") or {}
        district_id = districts.id_for(
            str(props.get(STATISTICS_2016_NAME, "")), file=STATISTICS_2016_FILE, row=number
        )
        for group, prop in AGE_2016_PROPERTIES:
            value = props.get(prop)
            if not isinstance(value, int | float) or value < 0 or float(value) != int(value):
                raise BuildError(
                    f"{STATISTICS_2016_FILE}, feature {number}, property {prop}: "
                    f"{value!r} is not a count of people"
                )
            result[group].append((district_id, STATISTICS_YEAR, int(value)))
    return result


def _check_complete(
    values: Mapping[tuple[str, str, int], Any],
    series: Mapping[str, SeriesInfo],
    districts: DistrictIndex,
) -> None:
    for info in series.values():
        for year in info.years:
            missing = [d for d in districts.ids if (info.group, d, year) not in values]
            if missing:
                raise BuildError(
                    f"{info.file}: group {info.group} year {year} lacks Stadtteile {missing}"
                )


def _age_2016_matches_total(
    values: Mapping[tuple[str, str, int], Any], districts: DistrictIndex
) -> bool:
    for district_id in districts.ids:
        parts = [values.get((g, district_id, STATISTICS_YEAR)) for g, _ in AGE_2016_PROPERTIES]
        total = values.get(("total", district_id, STATISTICS_YEAR))
        if not all(isinstance(p, int) for p in parts) or sum(parts) != total:
            return False
    return True


# =================================================================================================
# residents


def _residents_step(ctx: BuildContext) -> None:
    districts: DistrictIndex = ctx.results["districts"]
    header, records = read_csv(ctx.source / ADDRESSES_FILE, file=ADDRESSES_FILE)
    if tuple(header) != ADDRESS_COLUMNS:
        raise BuildError(
            f"{ADDRESSES_FILE}: expected the columns {', '.join(ADDRESS_COLUMNS)}; found {header}"
        )
    addresses, lats, lons = [], [], []
    for line, record in records:
        lat, lon = parse_coordinates(record["lat"], record["lon"], file=ADDRESSES_FILE, row=line)
        if not lat:
            continue
        addresses.append(_clean_address(record["full_address"]))
        lats.append(lat)
        lons.append(lon)
    x = np.array([float(v) for v in lons])
    y = np.array([float(v) for v in lats])
    inside = np.zeros(len(x), dtype=bool)
    per_district: dict[str, int] = {}
    for district_id, polygon in zip(districts.ids, districts.geometries, strict=True):
        hit = shapely.contains_xy(polygon, x, y) & ~inside
        per_district[district_id] = int(hit.sum())
        inside |= hit
    rows = sorted((addresses[i], lats[i], lons[i], 1) for i in np.flatnonzero(inside).tolist())
    write_csv(ctx.out / OUT_RESIDENTS, RESIDENT_OUT_COLUMNS, rows)
    ctx.results["residents"] = {
        "source_rows": len(records),
        "inside": len(rows),
        "per_district": per_district,
        "none_placeholders": sum(ADDRESS_PLACEHOLDER in r["full_address"] for _, r in records),
    }


def _clean_address(full: str) -> str:
    """Drop the ``None`` placeholders of a missing postcode or city (``"X 1, None None"`` → ``"X 1"``)."""
    head, sep, tail = full.strip().rpartition(", ")
    if not sep:
        return full.strip()
    parts = [p for p in tail.split(" ", 1) if p and p != ADDRESS_PLACEHOLDER]
    return f"{head}, {' '.join(parts)}" if parts else head


# =================================================================================================
# programme (Stadtteilkoordination, Bürgerzentren)


def _programme_step(ctx: BuildContext) -> None:
    districts: DistrictIndex = ctx.results["districts"]
    text = (ctx.source / PROGRAMME_FILE).read_text(encoding="utf-8")
    rows, dates = parse_programme(text, districts.names)
    id_rows = [(districts.id_for(r[0], file=PROGRAMME_FILE), *r[1:]) for r in rows]
    id_rows.sort(key=lambda r: (r[1], r[0]))
    write_csv(ctx.out / OUT_PROGRAMME, PROGRAMME_OUT_COLUMNS, id_rows)
    ctx.results["programme"] = {"rows": len(id_rows), "date": max(dates) if dates else ""}


def parse_programme(text: str, names: Sequence[str]) -> tuple[list[tuple[str, ...]], list[str]]:
    """Programme facts of the Karlsruhe web-page notes (``programm_kontext_aus_webseiten.md``).

    Returns rows ``(district name, measure, since, note, source, source_date)`` and the dates
    written in the text (ISO, for the layer date). Only what the text states is filled in.

    Raises
    ------
    BuildError
        If a statement the recipe relies on is no longer in the text (the notes changed).
    """
    bullets = _bullets(text)
    rows: list[tuple[str, ...]] = []
    dates: list[str] = []

    # Stadtteilkoordination (status May 2023) and Daxlanden's start.
    bullet = _bullet_with(bullets, "Stadtteilkoordination existed")
    first, *rest = re.split(r"(?<=\)\.)\s+", bullet)
    status = _search(r"\(status (\w+ \d{4})\)", first, "the status date of Stadtteilkoordination")
    count = _search(r"in (\w+) Stadtteile", first, "the number of Stadtteile with coordination")
    found = _names_in(first, names)
    _check_count(found, count, "Stadtteile with Stadtteilkoordination")
    urls = _urls(first)
    added: dict[str, tuple[str, str, list[str]]] = {}
    for sentence in rest:
        match = re.search(r"^(.+?) was added (.+?) via (.+?) \(", sentence)
        if match and normalise_name(match.group(1)) in found:
            added[normalise_name(match.group(1))] = (
                match.group(2),
                match.group(3),
                _urls(sentence),
            )
    status_iso = _iso_month(status)
    dates.append(status_iso)
    for name in found:
        note = f"status {status}"
        sources = list(urls)
        if name in added:
            period, via, more = added[name]
            note += f"; added {period} via {via}"
            sources += more
        rows.append((name, "stadtteilkoordination", "", note, _sources(sources), status_iso))

    # Bürgerzentren / Stadtteilhäuser.
    bullet = _bullet_with(bullets, "Bürgerzentren in")
    existing_clause, _, newly_clause = bullet.partition(";")
    since = _search(r"Since (\w+ \d{4})", existing_clause, "the date of the funding guideline")
    dates.append(_iso_month(since))
    count = _search(r"the (\w+) existing Bürgerzentren", existing_clause, "the Bürgerzentren count")
    found = _names_in(existing_clause.partition("Bürgerzentren in")[2], names)
    _check_count(found, count, "existing Bürgerzentren")
    urls = _urls(bullet)
    guideline = f'funding guideline for "Stadtteilhäuser" applies since {since}'
    rows.extend(
        (name, "buergerzentrum", "", f"existing Bürgerzentrum; {guideline}", _sources(urls), "")
        for name in found
    )
    match = re.search(r'"Bürgerzentrum ([^"]+)"\s*\(([^)]*)\)\s*was newly added', newly_clause)
    if match is None:
        raise BuildError(f"{PROGRAMME_FILE}: the newly added Bürgerzentrum is no longer named")
    name = normalise_name(match.group(1))
    if name not in names:
        raise BuildError(f"{PROGRAMME_FILE}: {name!r} is not a Stadtteil name")
    rows.append(
        (
            name,
            "buergerzentrum",
            "",
            f"Bürgerzentrum {name} ({match.group(2)}), newly added; {guideline}",
            _sources(urls),
            "",
        )
    )

    # The pilot of Soziale Quartiersentwicklung.
    bullet = _bullet_with(bullets, "starting as a pilot in")
    match = re.search(r"since (\d{4}), starting as a pilot in ([^\s(]+) \(([^)]*)\)", bullet)
    if match is None:
        raise BuildError(
            f"{PROGRAMME_FILE}: the pilot of Soziale Quartiersentwicklung is not found"
        )
    adopted = re.search(r'adopted the concept "([^"]+)" on (\d{1,2} \w+ \d{4})', bullet)
    note = f'pilot of "Soziale Quartiersentwicklung" ({match.group(3)})'
    if adopted:
        note += f"; concept adopted by the municipal council on {adopted.group(2)}"
    rows.append(
        (
            normalise_name(match.group(2)),
            "quartiersentwicklung_pilot",
            match.group(1),
            note,
            _sources(_urls(bullet)),
            "",
        )
    )
    return rows, dates


def _bullets(text: str) -> list[str]:
    bullets: list[list[str]] = []
    for line in text.splitlines():
        if line.startswith("- "):
            bullets.append([line[2:]])
        elif bullets and line.startswith("  ") and line.strip():
            bullets[-1].append(line)
        elif not line.strip():
            continue
        elif bullets:
            bullets.append([])  # a paragraph ends the bullet
    return [" ".join(" ".join(b).split()) for b in bullets if b]


def _bullet_with(bullets: Sequence[str], phrase: str) -> str:
    matches = [b for b in bullets if phrase in b]
    if len(matches) != 1:
        raise BuildError(
            f"{PROGRAMME_FILE}: expected one bullet containing {phrase!r}, found {len(matches)}"
        )
    return matches[0]


def _search(pattern: str, text: str, what: str) -> str:
    match = re.search(pattern, text)
    if match is None:
        raise BuildError(f"{PROGRAMME_FILE}: {what} is no longer in the text")
    return match.group(1)


def _names_in(text: str, names: Sequence[str]) -> list[str]:
    """Stadtteil names written in ``text``, in the order they appear."""
    hits = []
    for name in names:
        for match in re.finditer(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text):
            hits.append((match.start(), name))
    return [name for _, name in sorted(hits)]


def _check_count(found: Sequence[str], count_word: str, what: str) -> None:
    expected = NUMBER_WORDS.get(count_word.casefold())
    if expected is None or len(found) != expected or len(set(found)) != len(found):
        raise BuildError(
            f"{PROGRAMME_FILE}: the text says {count_word} {what} but names {len(found)}: {found}"
        )


def _urls(text: str) -> list[str]:
    return [m.group(1).rstrip(".") for m in _URL.finditer(text)]


def _sources(urls: Sequence[str]) -> str:
    return " ; ".join(dict.fromkeys(urls))


def _iso_month(text: str) -> str:
    month, _, year = text.partition(" ")
    if month not in MONTHS or not year.isdigit():
        raise BuildError(f"{PROGRAMME_FILE}: {text!r} is not a month and year")
    return f"{year}-{MONTHS[month]:02d}"


# =================================================================================================
# walking network and planning areas (computed by the analysis core)


def _network_step(ctx: BuildContext) -> None:
    build_network_file(
        [ctx.source / STREETS_FILE, ctx.source / PATHS_FILE],
        ctx.out / OUT_NETWORK,
        METRIC_CRS,
        # the named-streets file keeps each street's name as the feature id
        name_fields=["@id", None],
    )
    ctx.results["network"] = True


def _planning_step(ctx: BuildContext) -> None:
    districts: DistrictIndex = ctx.results["districts"]
    wrong = {d: n for d, n in HOEHENSTADTTEILE.items() if STADTTEILE.get(d) != n}
    if wrong:
        raise BuildError(f"Höhenstadtteile {wrong} do not match the official Stadtteil names")
    population = ctx.results["population"]
    year = max(population["series"]["total"].years)
    table = pd.DataFrame(
        [
            {"district_id": d, "year": y, "group": g, "value": float(v)}
            for (g, d, y), v in population["values"].items()
            if g == "total" and isinstance(v, int)
        ]
    )
    proposal = propose_planning_areas(
        districts.frame(METRIC_CRS),
        table,
        n=PLANNING_AREA_COUNT,
        balance_group="total",
        year=year,
        keep_together=[list(HOEHENSTADTTEILE)],
        max_imbalance=PLANNING_MAX_IMBALANCE,
    )
    rows = [
        (r.district_id, r.planning_area, r.planning_area_name)
        for r in proposal.itertuples(index=False)
    ]
    write_csv(ctx.out / OUT_PLANNING, PLANNING_OUT_COLUMNS, rows)
    totals: dict[str, int] = {}
    for district_id, area, _ in rows:
        totals[area] = totals.get(area, 0) + int(population["values"]["total", district_id, year])
    ctx.results["planning"] = {
        "year": year,
        "totals": totals,
        "areas": {
            area: [districts.names[districts.ids.index(d)] for d, a, _ in rows if a == area]
            for area in sorted(totals)
        },
    }


# =================================================================================================
# manifest, SOURCES.md, LICENSE-DATA.md


def _manifest_step(ctx: BuildContext) -> None:
    document = _manifest(ctx.results)
    write_toml(ctx.out / OUT_MANIFEST, document)
    (ctx.out / OUT_SOURCES).write_bytes(_sources_md(ctx.results).encode("utf-8"))
    (ctx.out / OUT_LICENCE).write_bytes(LICENCE_TEXT.encode("utf-8"))


def _layer(info: LayerInfo, **overrides: str) -> dict[str, str]:
    values = {
        "attribution": info.attribution,
        "licence": info.licence,
        "date": info.date,
        "source": info.source,
    }
    values.update(overrides)
    return values


def _manifest(results: Mapping[str, Any]) -> list[tuple[str, Any]]:
    facilities = results["facilities"]
    population = results["population"]
    programme = results["programme"]
    layer_dates = [
        DISTRICTS_INFO.date,
        max(FACILITIES_INFO.date, facilities["fetch_date"]),
        max(POPULATION_INFO.date, population["fetch_date"]),
        RESIDENTS_INFO.date,
        programme["date"],
    ]
    if results.get("network"):
        layer_dates.append(NETWORK_INFO.date)
    document: list[tuple[str, Any]] = [
        (
            "metadata",
            {
                "name": CITY,
                "city": CITY,
                "metric_crs": METRIC_CRS,
                "description": (
                    "Soziale Infrastruktur, Bevölkerung und Wohnorte der 27 Karlsruher Stadtteile "
                    "(aus öffentlichen Rohdaten abgeleitet, siehe SOURCES.md)"
                ),
                "date": max(d for d in layer_dates if d),
                "attribution": (
                    f"Stadt Karlsruhe; Code for Karlsruhe; {OSM}; weitere Quellen in SOURCES.md"
                ),
                "licence": "mixed, per layer; see SOURCES.md and LICENSE-DATA.md",
                "notes": _notes(results),
            },
        ),
        (
            "districts",
            {
                "path": OUT_DISTRICTS,
                "columns": {"id": "id", "name": "name"},
                **_layer(DISTRICTS_INFO),
            },
        ),
    ]
    categories = facilities["categories"]
    defaults = {c.id for c in DEFAULT_CATEGORIES}
    if not set(categories) <= defaults:
        document.append(("categories", _categories(categories)))
    facility_table = {
        "path": OUT_FACILITIES,
        **_csv_options(),
        **_layer(FACILITIES_INFO),
    }
    if facilities["fetched"]:
        fetched_attr = sorted(
            {item.attribution for item, _ in facilities["fetched"] if item.attribution}
        )
        fetched_lic = sorted({item.licence for item, _ in facilities["fetched"] if item.licence})
        facility_table["attribution"] += "; Geoportal-Layer: " + "; ".join(fetched_attr)
        facility_table["licence"] += "; Geoportal-Layer: " + "; ".join(fetched_lic)
        facility_table["date"] = max(FACILITIES_INFO.date, facilities["fetch_date"])
    document.append(("facilities", [facility_table]))
    document.append(
        (
            "population",
            [
                {
                    "path": OUT_POPULATION,
                    **_csv_options(),
                    **_layer(
                        POPULATION_INFO, date=max(POPULATION_INFO.date, population["fetch_date"])
                    ),
                }
            ],
        )
    )
    document.append(("groups", _groups(population["series"])))
    document.append(
        ("residents", {"path": OUT_RESIDENTS, **_csv_options(), **_layer(RESIDENTS_INFO)})
    )
    document.append(
        (
            "programme",
            {
                "path": OUT_PROGRAMME,
                **_csv_options(),
                **_layer(PROGRAMME_INFO, date=programme["date"]),
            },
        )
    )
    if results.get("planning"):
        document.append(
            (
                "planning_areas",
                {
                    "path": OUT_PLANNING,
                    **_csv_options(),
                    "proposal": True,
                    "attribution": "berechnet mit Quartiersatlas (layers.planning.propose_planning_areas)",
                    "licence": "derived from stadtteile.geojson (CC0-1.0) and population.csv (see there)",
                    "date": max(DISTRICTS_INFO.date, POPULATION_INFO.date),
                    "source": "computed from stadtteile.geojson and population.csv",
                    "note": _planning_note(results["planning"]),
                },
            )
        )
    document.append(("groupings", _groupings()))
    if results.get("network"):
        document.append(
            (
                "network",
                {
                    "path": OUT_NETWORK,
                    "crs": METRIC_CRS,
                    "approximate": True,
                    "note": NETWORK_NOTE,
                    **_layer(NETWORK_INFO),
                },
            )
        )
    return document


# --- further groupings of Stadtteile (issue 14, item 4) -------------------------------------------
# Kept in one function so the `[[groupings]]` table merges cleanly with the loader that reads it.
# A loader without groupings support ignores the table with a warning.

ORTSCHAFT_SEARCHED = (
    "all files of the raw folder and its PROVENANCE.md, searched for "
    "'Ortschaft', 'Ortsvorsteher', 'Ortschaftsrat', 'Ortsverwaltung'"
)


def _groupings() -> list[dict[str, Any]]:
    """The Ortschaften grouping: empty, because no stored public source gives the mapping."""
    return [
        {
            "id": "ortschaft",
            "label_de": "Ortschaften",
            "label_en": "Ortschaften (villages with local councils)",
            "empty": True,
            "note_de": (
                "Keine gespeicherte öffentliche Quelle nennt, welche Stadtteile Ortschaften mit "
                "Ortschaftsrat und Ortsvorsteher sind (durchsucht: alle Rohdateien und "
                "PROVENANCE.md; einziger Treffer: ein Straßennamen-Text nennt eine Person "
                "„späterer Ortschaftsrat“ der früheren Gemeinde Wolfartsweier, also ein Hinweis "
                "auf eine Ortschaft zu unbekanntem Zeitpunkt, keine Liste aller Ortschaften). Die "
                "Ebene bleibt deshalb leer; "
                "eine amtliche Zuordnung der Stadt kann als ortschaften.csv (district, area_id, "
                "area_name, contact) ergänzt werden."
            ),
            "note_en": (
                "No stored public source states which Stadtteile are Ortschaften with a local "
                "council and Ortsvorsteher (searched: all raw files and PROVENANCE.md; the only "
                "hit, a street-name text, calls a person a later member of the local council "
                "(Ortschaftsrat) of the former municipality Wolfartsweier: a hint at one "
                "Ortschaft at an unknown date, not a list of all). The level therefore stays "
                "empty; an official mapping of the city "
                "can be added as ortschaften.csv (district, area_id, area_name, contact)."
            ),
            "source": ORTSCHAFT_SEARCHED,
        }
    ]


def _csv_options() -> dict[str, str]:
    return {"encoding": "utf-8", "delimiter": ",", "decimal": "."}


def _categories(ids: Sequence[str]) -> list[dict[str, str]]:
    extra_labels = {
        "youth": ("Jugend", "Youth"),
        "participation": ("Beteiligung und Engagement", "Participation"),
    }
    tables = [
        {"id": c.id, "label_de": c.label_de, "label_en": c.label_en, "colour": c.colour}
        for c in DEFAULT_CATEGORIES
    ]
    # Extra categories take the palette colours the five default dimensions leave free.
    free = [c for c in PALETTE if c not in {d.colour for d in DEFAULT_CATEGORIES}]
    for index, cid in enumerate(c for c in ids if c not in {d.id for d in DEFAULT_CATEGORIES}):
        de, en = extra_labels.get(cid, (cid, cid))
        colour = free[index % len(free)]
        tables.append({"id": cid, "label_de": de, "label_en": en, "colour": colour})
    return tables


def _group_labels(group: str) -> tuple[str, str]:
    if group == "total":
        return "Einwohner mit Hauptwohnung", "Residents (main residence)"
    if group in KNOWN_GROUPS:
        return KNOWN_GROUPS[group]
    if match := re.fullmatch(r"(\d+)_to_(\d+)", group):
        a, b = match.groups()
        return f"{a} bis unter {b} Jahre", f"{a} to under {b} years"
    if match := re.fullmatch(r"(\d+)_plus", group):
        return f"{match.group(1)} Jahre und älter", f"{match.group(1)} years and older"
    return group, group


def _groups(series: Mapping[str, SeriesInfo]) -> list[dict[str, str]]:
    order = {g: i for i, g in enumerate(GROUP_ORDER)}
    all_years = sorted({y for info in series.values() for y in info.years})
    tables = []
    for group in sorted(series, key=lambda g: (order.get(g, len(order)), g)):
        info = series[group]
        de, en = _group_labels(group)
        table = {"id": group, "label_de": de, "label_en": en}
        if list(info.years) != all_years:
            span = _year_span(info.years)
            table["note_de"] = f"Nur {span} verfügbar (Quelle: {info.description})"
            table["note_en"] = f"Only {span} available (source: {info.description})"
        tables.append(table)
    return tables


def _year_span(years: Sequence[int]) -> str:
    if len(years) == 1:
        return str(years[0])
    if list(years) == list(range(years[0], years[-1] + 1)):
        return f"{years[0]}–{years[-1]}"
    return ", ".join(str(y) for y in years)


def _fmt(number: int) -> str:
    return f"{number:,}".replace(",", ".")


def _notes(results: Mapping[str, Any]) -> str:
    districts: DistrictIndex = results["districts"]
    facilities = results["facilities"]
    seed = facilities["seed"]
    residents = results["residents"]
    population = results["population"]
    per_cat = seed["per_category"]
    labels = {c.id: (c.label_de, c.label_en) for c in DEFAULT_CATEGORIES}

    def cat_text(lang: int) -> str:
        parts = []
        order = [c.id for c in DEFAULT_CATEGORIES]
        # Every dimension of the catalogue is named, an empty one with 0, so a gap is visible.
        counts = {cid: (0, 0) for cid in order} | dict(per_cat)
        ranked = sorted(
            counts.items(), key=lambda kv: (order.index(kv[0]) if kv[0] in order else 99, kv[0])
        )
        for cid, (rows, located) in ranked:
            label = labels.get(cid, (cid, cid))[lang]
            parts.append(
                f"{label} {rows} ({located} " + ("mit Koordinaten)" if lang == 0 else "located)")
            )
        return ", ".join(parts)

    latest = max(population["series"]["total"].years)
    totals = {d: population["values"].get(("total", d, latest)) for d in districts.ids}
    none = [
        districts.names[i] for i, d in enumerate(districts.ids) if residents["per_district"][d] == 0
    ]
    few = [
        (districts.names[i], residents["per_district"][d])
        for i, d in enumerate(districts.ids)
        if residents["per_district"][d] > 0
        and isinstance(totals[d], int)
        and totals[d] > 0
        and residents["per_district"][d] * 1000 / totals[d] < FEW_RESIDENT_POINTS_PER_1000
    ]
    few_de = ", ".join(f"{n} nur {_fmt(c)}" for n, c in few)
    few_en = ", ".join(f"{n} only {c:,}" for n, c in few)
    lines = [
        "DE: Die Einrichtungsliste ist eine echte, aber unvollständige Startliste aus belegten "
        f"Quellen: {seed['rows']} Einträge, davon {seed['located']} mit Koordinaten "
        f"({cat_text(0)}); nur wenige Pflege- und Versorgungsangebote, und Beteiligung und "
        "Engagement sowie Vernetzung sind nur vereinzelt belegt (besonders unvollständig; "
        "Stadtteilkoordination und Bürgerzentren je Stadtteil stehen im Programm-Layer). "
        f"{_nachtrag_text(facilities, 0)} Sie ist weit vom "
        "vollständigen Bestand der Stadt entfernt: Anteile und Lücken unterschätzen das "
        "tatsächliche Angebot. Vollständigere Daten sind die offiziellen Einrichtungslayer der "
        "Stadt (Geoportal) oder die eigene Einrichtungsliste der Stadt; wie sie eingebunden "
        "werden, beschreibt die Dokumentation (docs/sources.md).",
        f"Wohnorte: {_fmt(residents['inside'])} adressierte OSM-Gebäude in den 27 Stadtteilen. "
        f"{_join_de(none)} haben keine; dort verteilt Quartiersatlas die Einwohner auf ein "
        "regelmäßiges 100-m-Raster im Stadtteil."
        + (
            f" Wenige Wohnorte: {few_de} (Ergebnisse dort beruhen auf wenigen Adressen)."
            if few
            else ""
        ),
        "EN: The facility list is a real but incomplete seed list from cited sources: "
        f"{seed['rows']} rows, {seed['located']} with coordinates ({cat_text(1)}); only few care "
        "services, and participation and networks are documented only sporadically (especially "
        "incomplete; Stadtteilkoordination and Bürgerzentren per Stadtteil are in the programme "
        f"layer). {_nachtrag_text(facilities, 1)} It is far from the city's full inventory: "
        "shares and gaps understate what is really there. Fuller data are the city's official "
        "facility layers (geoportal) or the city's own facility list; the documentation "
        "(docs/sources.md) describes how to add them.",
        f"Residents: {residents['inside']:,} addressed OSM buildings inside the 27 Stadtteile. "
        f"{_join_en(none)} have none; there the loader falls back to a regular 100 m grid "
        "inside the district."
        + (f" Few points: {few_en} (results there rest on few addresses)." if few else ""),
    ]
    if facilities["fetched"]:
        extra = sum(n for _, n in facilities["fetched"])
        lines.insert(
            1,
            f"Zusätzlich {extra} Einrichtungen aus {len(facilities['fetched'])} Geoportal-Layern "
            f"(abgerufen {facilities['fetch_date']}). / Plus {extra} facilities from "
            f"{len(facilities['fetched'])} geoportal layers (fetched {facilities['fetch_date']}).",
        )
    lines.append(
        "Bevölkerung: 'total' = Einwohner mit Hauptwohnung; die Spalte Einwohner_2016 der "
        "Statistik 2016 (wohnberechtigte Bevölkerung) wird nicht verwendet. / Population: "
        "'total' = main residence; Einwohner_2016 (population entitled to reside) is not used."
    )
    return "\n".join(lines)


def _nachtrag_text(facilities: Mapping[str, Any], lang: int) -> str:
    nachtrag: NachtragResult = facilities["nachtrag"]
    dropped = ", ".join(i for i, _ in nachtrag.dropped)
    if lang == 0:
        return (
            f"Nachtrag 2026-12 eingearbeitet: {nachtrag.added} Einrichtungen ergänzt, "
            f"{len(nachtrag.corrected)} Adressen korrigiert, {dropped} entfernt (keine soziale "
            "Infrastruktur bzw. nicht mehr bestehend)."
        )
    return (
        f"Supplement 2026-12 folded in: {nachtrag.added} facilities added, "
        f"{len(nachtrag.corrected)} addresses corrected, {dropped} removed (not social "
        "infrastructure or no longer existing)."
    )


def _counts_text(counts: Mapping[str, Any]) -> str:
    order = [c.id for c in DEFAULT_CATEGORIES]
    per = {cid: (0, 0) for cid in order} | dict(counts["per_category"])
    return ", ".join(f"{cid} {n} ({located})" for cid, (n, located) in per.items())


def _nachtrag_steps(nachtrag: NachtragResult) -> list[str]:
    return [
        f"`{NACHTRAG_FILE}`: {nachtrag.added} new rows (ids ka-0093 onwards, in file order; "
        f"{nachtrag.added_located} with coordinates as geocoded there: `address_points` → "
        "`osm-address-exact`, `source` → `source-point`, `none` → `unmatched`). Its `note` "
        "column is not carried over; it flags uncertain rows (e.g. the Berckholtz-Stiftung "
        "building was demolished in 2020, a new building is planned; the Katholisches Jugendheim "
        "is known only as a 2017 polling station).",
        f"`{NACHTRAG_NOTE_FILE}` corrections (recipe `layers/build/karlsruhe_nachtrag.py`, each "
        "with the source the note cites, appended to `source`): new address and coordinates "
        f"(exact OSM address point) for {', '.join(nachtrag.corrected)}; names set or amended "
        f"for {', '.join(nachtrag.renamed)}.",
        *(f"Removed {i}: {reason}." for i, reason in nachtrag.dropped),
        "Five dimensions: Quartiersbüros (coordination offices of the social district "
        "development) count as `network`, the office of the Bürgergesellschaft Südstadt (a "
        "citizens' association) as `participation`: "
        + ", ".join(f"{i} → {c}" for i, c in nachtrag.recategorised)
        + ". No other sourced row is a participation or network place; these two dimensions "
        "are therefore very incomplete (the programme layer lists Stadtteilkoordination and "
        "Bürgerzentren per Stadtteil without addresses).",
    ]


def _join_de(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " und " + names[-1]


def _join_en(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _planning_note(planning: Mapping[str, Any]) -> str:
    totals = planning["totals"]
    hills = _join_de(list(HOEHENSTADTTEILE.values()))
    return (
        f"Vorschlag: {PLANNING_AREA_COUNT} zusammenhängende, möglichst kompakte Planungsgebiete "
        f"aus ganzen Stadtteilen mit ausgeglichener Einwohnerzahl ({planning['year']}: "
        f"{_fmt(min(totals.values()))} bis {_fmt(max(totals.values()))}, Verhältnis höchstens "
        f"{PLANNING_MAX_IMBALANCE:g}); die Höhenstadtteile {hills} bleiben zusammen. Berechnet "
        "von Quartiersatlas. Eine amtliche Zuordnung der Stadtteile zu Planungsräumen ist nicht "
        "öffentlich. / Proposal computed by Quartiersatlas (compact within ratio "
        f"{PLANNING_MAX_IMBALANCE:g}, the Höhenstadtteile kept together); no official assignment "
        "of Stadtteile to planning areas is public."
    )


LICENCE_TEXT = """\
# Licences of the bundled Karlsruhe data

The files in this folder are derived from the sources listed in SOURCES.md. Each layer keeps the
licence of its source; where a source states none, this is said explicitly. Check the publisher's
terms before redistributing a layer marked "none stated".

| file | licence | attribution |
| --- | --- | --- |
| stadtteile.geojson | CC0 1.0 (https://creativecommons.org/publicdomain/zero/1.0/) | Stadt Karlsruhe |
| facilities.csv | mixed: ODbL 1.0 for OpenStreetMap-derived rows (taken from StefanJuenger/bkggeocoder, CC BY 4.0) and the OSM-geocoded coordinates; dl-de/by-2-0 for the rows from the 2017 polling stations; rows transcribed from web pages: none stated (facts only: name and address) | see SOURCES.md and the `source` column |
| population.csv | dl-de/by-2-0 (2016 age structure); 2007–2021 series: none stated by the copying repositories (Stadt Karlsruhe Transparenzportal, cited there as dl-de/by-2-0) | Stadt Karlsruhe |
| residents.csv | ODbL 1.0 (https://opendatacommons.org/licenses/odbl/1-0/) | © OpenStreetMap contributors |
| network.geojson | ODbL 1.0 | © OpenStreetMap contributors |
| programme.csv | none stated (facts transcribed from public web pages) | URLs in the `source` column |
| planning_areas.csv | computed proposal (derived from the layers above) | Quartiersatlas |

- Datenlizenz Deutschland – Namensnennung – Version 2.0: https://www.govdata.de/dl-de/by-2-0
  (attribution: "Stadt Karlsruhe").
- Open Database License 1.0: https://opendatacommons.org/licenses/odbl/1-0/ — the OSM-derived
  files are derived databases; share them under the ODbL and credit
  "© OpenStreetMap contributors".
"""


def _layer_section(title: str, info: LayerInfo, steps: Sequence[str], date: str = "") -> list[str]:
    """One layer's section of SOURCES.md: attribution, licence, date, source, derivation."""
    return [
        f"## {title}",
        "",
        f"- Attribution: {info.attribution}",
        f"- Licence: {info.licence}",
        f"- Date: {date or info.date}",
        f"- Source: {info.source}",
        "- Derivation:",
        *(f"  - {s}" for s in steps),
        "",
    ]


def _facility_steps(facilities: Mapping[str, Any]) -> list[str]:
    """Derivation of the facility list: seed, supplement, addresses, sources, fetched layers."""
    seed = facilities["seed"]
    return [
        f"`{FACILITIES_FILE}` with the supplement `{NACHTRAG_FILE}`: {seed['rows']} rows "
        f"({seed['located']} with coordinates; rows without coordinates keep empty lat/lon "
        "and are reported by the loader). Before the supplement: "
        f"{_counts_text(facilities['before_nachtrag'])}; after: {_counts_text(seed)} "
        "(rows, located in brackets).",
        *_nachtrag_steps(facilities["nachtrag"]),
        'address = street + house number, postcode + city ("Straße 12, 76185 Karlsruhe").',
        "Categories and subcategories as in the source, except the five-dimension decisions "
        "above; per-row source URL and date kept.",
        "Rows by source: "
        + "; ".join(f"{n} from {kind}" for kind, n in facilities["seed_sources"])
        + ".",
        "Coordinates as geocoded in the source (`geocode_method`; mostly matched against the OSM "
        "address table, ODbL; see PROVENANCE.md): "
        + ", ".join(f"{method} {n}" for method, n in facilities["seed_geocoding"])
        + ".",
        *(
            f"`{item.path}` (fetched {facilities['fetch_date']}): {n} rows, category "
            f"`{item.category}`, subcategory {item.subcategory!r}; {item.attribution}; "
            f"licence: {item.licence or 'none stated'}"
            for item, n in facilities["fetched"]
        ),
    ]


def _population_steps(population: Mapping[str, Any]) -> list[str]:
    """Derivation of the population table: one line per group series, then the checks."""
    series: Mapping[str, SeriesInfo] = population["series"]
    steps = [
        f"`{info.group}` {_year_span(info.years)}: `{info.file}` — {info.description}"
        for info in sorted(
            series.values(),
            key=lambda s: (GROUP_ORDER.index(s.group) if s.group in GROUP_ORDER else 99, s.group),
        )
    ]
    steps.append(
        "Stadtteil names mapped to ids via the districts file (exact match after whitespace "
        "normalisation; any unmatched name stops the build)."
    )
    steps.append(
        "`Einwohner_2016` of the 2016 statistics is the wohnberechtigte population (main and "
        "secondary residence) and is not used."
    )
    if population["age_2016_matches_total"]:
        steps.append(
            "Checked: in every Stadtteil the three 2016 age groups sum to the 2016 main-residence "
            "total."
        )
    return steps


def _residents_steps(residents: Mapping[str, Any]) -> list[str]:
    """Derivation of the resident points from the addressed OSM buildings."""
    return [
        f"`{ADDRESSES_FILE}`: {residents['source_rows']:,} addressed OSM buildings; the "
        f"{residents['inside']:,} inside the 27 Stadtteile are kept as resident points with "
        "weight 1 (the loader scales the weights to each Stadtteil's population).",
        f'address = `full_address`; the literal "{ADDRESS_PLACEHOLDER}" placeholder of a '
        f"missing postcode or city is dropped ({residents['none_placeholders']:,} rows had one).",
        "Sorted by address, lat, lon.",
    ]


def _planning_section(planning: Mapping[str, Any]) -> list[str]:
    """The planning-area proposal: how it was computed and its areas by name."""
    return [
        f"## {OUT_PLANNING}",
        "",
        "- A computed proposal (`proposal = true`), not an official assignment: "
        f"{PLANNING_AREA_COUNT} contiguous areas of whole Stadtteile with balanced "
        f"main-residence population {planning['year']}, made as compact as "
        f"possible (mean Polsby-Popper) within ratio largest / smallest <= "
        f"{PLANNING_MAX_IMBALANCE:g}, the Höhenstadtteile "
        f"({', '.join(HOEHENSTADTTEILE.values())}) kept together "
        "(`layers.planning.propose_planning_areas`). No official Stadtteil-to-"
        "Planungsraum table is public.",
        *(f"- {area}: {', '.join(names)}" for area, names in planning["areas"].items()),
        "",
    ]


def _sources_md(results: Mapping[str, Any]) -> str:
    facilities = results["facilities"]
    lines = [
        "# Sources and derivation of the bundled Karlsruhe dataset",
        "",
        "Built by `quartiersatlas build-dataset karlsruhe --source DIR --out DIR` (recipe",
        "`layers/build/karlsruhe.py`) from the raw folder described by its `PROVENANCE.md`.",
        "Deterministic: the same raw files give byte-identical output. WGS84 coordinates are",
        "rounded to 6 decimals (about 0.1 m).",
        "",
        *_layer_section(
            OUT_DISTRICTS,
            DISTRICTS_INFO,
            [
                f"`{DISTRICTS_FILE}`: the 27 official Stadtteile; id = `{DISTRICT_ID_PROPERTY}` "
                '("01"–"27"), name = `name`; checked against the official numbering.',
                "Coordinates rounded to 6 decimals; features sorted by id; geometry otherwise "
                "unchanged.",
            ],
        ),
        *_layer_section(
            OUT_FACILITIES,
            FACILITIES_INFO,
            _facility_steps(facilities),
            date=max(FACILITIES_INFO.date, facilities["fetch_date"]),
        ),
        *_layer_section(OUT_POPULATION, POPULATION_INFO, _population_steps(results["population"])),
        *_layer_section(OUT_RESIDENTS, RESIDENTS_INFO, _residents_steps(results["residents"])),
        *_layer_section(
            OUT_PROGRAMME,
            PROGRAMME_INFO,
            [
                f"`{PROGRAMME_FILE}`: Stadtteilkoordination (status May 2023), the Bürgerzentren "
                "under the funding guideline for Stadtteilhäuser, and the Mühlburg pilot, parsed "
                "from the text; Stadtteil names matched against the districts file; URLs as "
                "written there.",
                "Only what the text states is filled in; `since` stays empty where no start is "
                "given.",
            ],
            date=results["programme"]["date"],
        ),
    ]
    if results.get("network"):
        lines += _layer_section(
            OUT_NETWORK,
            NETWORK_INFO,
            [
                f"`{STREETS_FILE}` (named streets, OSM 2015) and `{PATHS_FILE}` (footways, paths, "
                "OSM 2026): lines only (polygons dropped), projected to EPSG:25832, vertices within "
                "1 m merged, rounded to 0.1 m (`layers.network.build_network_file`).",
                "Approximate: not a complete routable network (see the manifest note).",
            ],
        )
    if results.get("planning"):
        lines += _planning_section(results["planning"])
    (ortschaft,) = _groupings()
    lines += [
        "## Ortschaften (`[[groupings]]` id `ortschaft`)",
        "",
        f"- Empty on purpose: {ortschaft['note_en']}",
        f"- Searched: {ortschaft['source']}.",
        "",
    ]
    return "\n".join(lines)


__all__ = ["REQUIRED_FILES", "STADTTEILE", "parse_programme", "plan"]
