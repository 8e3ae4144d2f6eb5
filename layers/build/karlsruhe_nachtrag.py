"""Fold the Karlsruhe facility supplement of December 2026 into the facility rows of the build.

The raw folder's ``facilities/nachtrag_2026-12.csv`` holds 16 further sourced facilities and
``facilities/nachtrag_2026-12.md`` describes corrections to existing rows of
``sozialeinrichtungen.csv`` (new addresses, names of anonymous OpenStreetMap rows, rows that are no
social infrastructure or no longer exist). The corrections are prose, so they are transcribed here
as a table, each with the source the note cites; the build checks that the note still names every
corrected id and that every corrected row still has the value the correction replaces, so a
changed raw file stops the build instead of being silently overwritten.

Two category decisions beyond the note are made here (the seed's five dimensions, issue 14):
Quartiersbüros are the neighbourhood coordination offices of the city's social district
development and are counted as ``network`` (Vernetzung); the office of the Bürgergesellschaft
Südstadt, a citizens' association, as ``participation`` (Beteiligung und Engagement).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from layers.build._raw import parse_coordinates, read_csv
from layers.build._write import format_coord
from layers.errors import BuildError

NACHTRAG_FILE = "facilities/nachtrag_2026-12.csv"
NACHTRAG_NOTE_FILE = "facilities/nachtrag_2026-12.md"
NACHTRAG_COLUMNS = (
    "name",
    "category",
    "subcategory",
    "street",
    "housenumber",
    "postcode",
    "lat",
    "lon",
    "geocoded_by",
    "source",
    "source_date",
    "note",
)
NACHTRAG_FIRST_NUMBER = 93
"""New rows continue the id sequence of ``sozialeinrichtungen.csv`` (ka-0001 … ka-0092)."""

GEOCODE_METHODS: Mapping[str, str] = {
    "address_points": "osm-address-exact",
    "source": "source-point",
    "none": "unmatched",
}
"""The supplement's ``geocoded_by`` values in the vocabulary of the facility list."""

ADDRESS_MATCH_RADIUS_DEG = 0.001
"""Address points of one address further apart than this (~100 m) are ambiguous."""

GEORAG = "repo:lux-lez/georag@5d09d0d7254c398cff87950ad55ca58a4f58ccb3:queries_examples (OSM, ODbL)"
RATHAUS_AN_DER_ALB = (
    "https://presse.karlsruhe.de/db/meldungen/verwaltung/"
    "sozial_und_jugendbehorde_zieht_ab_17_mai_um.html"
)


@dataclass(frozen=True)
class Correction:
    """One correction of an existing facility row, with the source that supports it.

    ``expect`` is a text the current row's name or address must contain; ``drop`` is the reason
    a row leaves the list (empty: the row stays, with the given fields replaced).
    """

    id: str
    expect: str
    source: str
    source_date: str = ""
    name: str = ""
    category: str = ""
    subcategory: str = ""
    address: tuple[str, ...] = ()
    drop: str = ""


CORRECTIONS: tuple[Correction, ...] = (
    Correction(
        "ka-0003",
        "Karlsruher Weg",
        "https://de.readkong.com/page/die-nordwest-stadt-flachenhaftes-naturdenkmal-5997670",
        "2023-02",
        address=("Julius-Hirsch-Straße", "2", "76185"),
    ),
    Correction(
        "ka-0006",
        "Weinbrennerstraße",
        "https://www.ka-news.de/region/karlsruhe/Generationenhaus-eingeweiht;art6066,66160"
        "?show=pan2008222-15J",
        "2008",
        address=("Weinbrennerstraße", "69", "76185"),
    ),
    Correction(
        "ka-0012",
        "Kaiserstraße 235",
        RATHAUS_AN_DER_ALB,
        "2021-05-14",
        name="Seniorenbüro / Pflegestützpunkt der Stadt Karlsruhe (seit 1. Juni 2021 im "
        "„Rathaus an der Alb“)",
        address=("Ernst-Frey-Straße", "10", "76135"),
    ),
    Correction(
        "ka-0092",
        "Ernst-Frey-Straße",
        RATHAUS_AN_DER_ALB,
        "2021-05-14",
        address=("Ernst-Frey-Straße", "10", "76135"),
    ),
    Correction(
        "ka-0042",
        "Heilbronner Straße 24",
        GEORAG,
        drop=(
            "OSM: temporary site of the Kinder- und Jugendhaus Rintheim until its new building "
            "was finished (start_date 2020-09-30); the new house, Forststraße 4 (ka-0031), opened "
            "in 2021, so this site is obsolete"
        ),
    ),
    Correction(
        "ka-0044",
        "Am Sportpark 5",
        GEORAG,
        drop="OSM: club home of the SSC Karlsruhe e.V., a sports club, not social infrastructure",
    ),
    Correction("ka-0037", "Fritz-Erler-Straße 7", GEORAG, name="ßpace (Die Anstoß e.V.)"),
    Correction(
        "ka-0041", "Gartenstraße 29a", GEORAG, name="Evangelische Studierendengemeinde (ESG)"
    ),
    Correction(
        "ka-0046",
        "Königsberger Straße 37",
        "bv-waldstadt.de",
        "2017",
        name="Gemeinschaftsraum „gemeinsamleben“ (BLV Quartierstreffpunkt Waldstadt)",
    ),
    Correction(
        "ka-0047",
        "Rintheimer Straße 46",
        "bv-oststadt.de (2019); quartierzukunft.de",
        "2025",
        name="Zukunftsraum (Quartier Zukunft)",
    ),
    Correction(
        "ka-0049",
        "Nebeniusstraße 22",
        "http://s495860005.online.de/category/neuigkeiten/",
        "2018",
        name="Bürgergesellschaft Südstadt – Büro im Turm im Hof der Nebeniusschule",
        category="participation",
        subcategory="Bürgerverein",
    ),
    Correction(
        "ka-0053",
        "Moltkestraße 20",
        "https://metropolnews.info/?p=288725",
        "2017",
        name="Anne-Frank-Haus",
    ),
    Correction(
        "ka-0063",
        "Georg-Friedrich-Straße 19",
        "Oststadtbürger 10/2019",
        "2019-10",
        name="Gemeindezentrum St. Bernhard",
    ),
    Correction(
        "ka-0079",
        "Landauer Straße 2b",
        "https://www.ka-nordweststadt.de/buergerzentrum/",
        name="Bürgerzentrum Nordwest",
        subcategory="Bürgerzentrum",
    ),
)

QUARTIERSBUERO = "Quartiersbüro"


@dataclass(frozen=True)
class NachtragResult:
    """Rows after the supplement, and what happened (for the manifest notes and SOURCES.md)."""

    rows: list[tuple[str, ...]]
    added: int
    added_located: int
    corrected: tuple[str, ...]
    renamed: tuple[str, ...]
    dropped: tuple[tuple[str, str], ...]
    recategorised: tuple[tuple[str, str], ...]


def apply_nachtrag(
    rows: Sequence[tuple[str, ...]], source: Path, *, address_file: str
) -> NachtragResult:
    """Apply the supplement's corrections to ``rows`` and append its new facilities.

    Parameters
    ----------
    rows
        Facility rows in the build's output layout (``id, name, category, subcategory, address,
        lat, lon, geocode_method, source, source_date``), sorted by id.
    source
        The raw folder.
    address_file
        The OSM address table (relative to ``source``) used to geocode corrected addresses
        with the same exact-match rule as the supplement.

    Raises
    ------
    BuildError
        If a file is missing columns, a correction no longer fits its row, or a corrected
        address is not (or ambiguously) in the address table.
    """
    note = (source / NACHTRAG_NOTE_FILE).read_text(encoding="utf-8")
    by_id = {r[0]: list(r) for r in rows}
    wanted = {c.address for c in CORRECTIONS if c.address}
    points = _address_points(source / address_file, address_file, wanted)
    dropped, corrected, renamed, recategorised = [], [], [], []
    for correction in CORRECTIONS:
        row = by_id.get(correction.id)
        if correction.id not in note:
            raise BuildError(f"{NACHTRAG_NOTE_FILE} no longer mentions {correction.id}")
        if row is None or correction.expect not in f"{row[1]} | {row[4]}":
            raise BuildError(
                f"{NACHTRAG_NOTE_FILE}: correction of {correction.id} expects "
                f"{correction.expect!r} in its name or address; the row is {row}"
            )
        if correction.drop:
            del by_id[correction.id]
            dropped.append((correction.id, correction.drop))
            continue
        if correction.name:
            row[1] = correction.name
            renamed.append(correction.id)
        if correction.category:
            recategorised.append((correction.id, correction.category))
            row[2] = correction.category
        if correction.subcategory:
            row[3] = correction.subcategory
        if correction.address:
            street, number, postcode = correction.address
            row[4] = f"{street} {number}, {postcode} Karlsruhe"
            row[5], row[6], hits = points[correction.address]
            row[7] = "osm-address-exact" + (f"_mean_of_{hits}" if hits > 1 else "")
            corrected.append(correction.id)
        row[8] = f"{row[8]} | Nachtrag 2026-12: {correction.source}"
        if correction.source_date and correction.address:
            row[9] = correction.source_date
    for row in by_id.values():
        if row[3] == QUARTIERSBUERO or row[3].startswith(f"{QUARTIERSBUERO} "):
            row[2] = "network"
            recategorised.append((row[0], "network"))
    added = _new_rows(source)
    for row in added:
        if row[3].startswith(QUARTIERSBUERO):
            row[2] = "network"
            recategorised.append((row[0], "network"))
    result = sorted((tuple(r) for r in [*by_id.values(), *added]), key=lambda r: r[0])
    return NachtragResult(
        rows=result,
        added=len(added),
        added_located=sum(1 for r in added if r[5]),
        corrected=tuple(corrected),
        renamed=tuple(renamed),
        dropped=tuple(dropped),
        recategorised=tuple(sorted(recategorised)),
    )


def _new_rows(source: Path) -> list[list[str]]:
    header, records = read_csv(source / NACHTRAG_FILE, file=NACHTRAG_FILE)
    if tuple(header) != NACHTRAG_COLUMNS:
        raise BuildError(
            f"{NACHTRAG_FILE}: expected the columns {', '.join(NACHTRAG_COLUMNS)}; "
            f"found {', '.join(header)}"
        )
    rows = []
    for number, (line, record) in enumerate(records, start=NACHTRAG_FIRST_NUMBER):
        lat, lon = parse_coordinates(record["lat"], record["lon"], file=NACHTRAG_FILE, row=line)
        method = GEOCODE_METHODS.get(record["geocoded_by"])
        if method is None:
            raise BuildError(
                f"{NACHTRAG_FILE}, row {line}, column geocoded_by: unknown value "
                f"{record['geocoded_by']!r}; expected one of {', '.join(GEOCODE_METHODS)}"
            )
        first = " ".join(p for p in (record["street"].strip(), record["housenumber"].strip()) if p)
        second = " ".join(p for p in (record["postcode"].strip(), "Karlsruhe") if p)
        rows.append(
            [
                f"ka-{number:04d}",
                record["name"].strip(),
                record["category"].strip(),
                record["subcategory"].strip(),
                ", ".join(p for p in (first, second) if p),
                lat,
                lon,
                method if lat else "unmatched",
                record["source"].strip(),
                record["source_date"].strip(),
            ]
        )
    return rows


def _address_points(
    path: Path, file: str, wanted: set[tuple[str, ...]]
) -> dict[tuple[str, ...], tuple[str, str, int]]:
    """Exact OSM address point (lat, lon, number of points) of ``wanted`` (street, number, postcode).

    Several points of one address within ~100 m are averaged.
    """
    keys = {f"{s} {n}, {p} Karlsruhe": (s, n, p) for s, n, p in wanted}
    found: dict[tuple[str, ...], list[tuple[float, float]]] = {k: [] for k in wanted}
    _, records = read_csv(path, file=file)
    for _, record in records:
        key = keys.get(record["full_address"].strip())
        if key is not None:
            found[key].append((float(record["lat"]), float(record["lon"])))
    points = {}
    for key, hits in sorted(found.items()):
        if not hits:
            raise BuildError(f"{file}: corrected address {' '.join(key)} is not in the table")
        lats, lons = [h[0] for h in hits], [h[1] for h in hits]
        if max(lats) - min(lats) > ADDRESS_MATCH_RADIUS_DEG or (
            max(lons) - min(lons) > ADDRESS_MATCH_RADIUS_DEG
        ):
            raise BuildError(f"{file}: corrected address {' '.join(key)} is ambiguous: {hits}")
        points[key] = (
            format_coord(sum(lats) / len(lats)),
            format_coord(sum(lons) / len(lons)),
            len(hits),
        )
    return points


__all__ = ["CORRECTIONS", "NACHTRAG_FILE", "NACHTRAG_NOTE_FILE", "NachtragResult", "apply_nachtrag"]
