"""Generate the bad-input corpus: malformed and hostile files that every entry point must reject.

Run ``python tests/data/bad/make_corpus.py`` to (re)write the small files next to this script;
``tests/store/test_bad_inputs.py`` checks that the committed files equal a fresh run and runs
each through ``quartiersatlas validate``, ``quartiersatlas db load`` and the app's upload check.
Huge files and zip bombs are not committed: :func:`write_huge` writes them into a temporary
folder at test time.

Every case is a :class:`Case`: the file, which layer of a dataset it is used as (the rest of the
dataset is the good ``base`` written by :func:`write_base`), the manifest lines of that layer,
and what must happen: ``error`` (rejected; the message must match ``expect``) or ``warning``
(accepted as documented, e.g. CSV-injection or script text in names is kept as text and
neutralised on output).
"""

from __future__ import annotations

import csv
import io
import json
import struct
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent

# A 2×2 grid of 1 km districts in EPSG:25832 (Karlsruhe area) and points inside them in WGS84.
X0, Y0, CELL = 455_000.0, 5_427_000.0, 1_000.0
DISTRICT_IDS = ("01", "02", "03", "04")
# WGS84 (lat, lon) of the centre of each district, rounded to 6 decimals (computed with pyproj
# from the EPSG:25832 centres; fixed here so the generator needs no pyproj).
CENTRES = {
    "01": (48.998794, 8.391612),
    "02": (48.998865, 8.405283),
    "03": (49.007789, 8.391502),
    "04": (49.00786, 8.405176),
}


@dataclass(frozen=True)
class Case:
    """One corpus file and the outcome every entry point must show."""

    file: str
    layer: str  # facilities | districts | population | residents | programme
    outcome: str  # error | warning
    expect: str  # regex the messages must match (case-insensitive)
    manifest: dict[str, object] = field(default_factory=dict)
    upload: bool = True  # also run through the app's facility upload
    note: str = ""


def _csv(rows: list[list[object]], *, delimiter: str = ",") -> str:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


def _fac_rows(n: int = 4) -> list[list[object]]:
    rows: list[list[object]] = [["name", "category", "lat", "lon", "capacity"]]
    cats = ("meeting", "counselling", "care", "meeting")
    for i, did in enumerate(DISTRICT_IDS[:n]):
        lat, lon = CENTRES[did]
        rows.append([f"Einrichtung {i + 1}", cats[i], lat, lon, 10 + i])
    return rows


def _feature(geometry: dict, **props: object) -> dict:
    return {"type": "Feature", "properties": props, "geometry": geometry}


def _point(lat: float, lon: float) -> dict:
    return {"type": "Point", "coordinates": [lon, lat]}


def _square(col: int, row: int) -> list[list[float]]:
    x, y = X0 + col * CELL, Y0 + row * CELL
    return [[x, y], [x + CELL, y], [x + CELL, y + CELL], [x, y + CELL], [x, y]]


LEGACY_25832 = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::25832"}}


def _districts(features: list[dict] | None = None) -> str:
    if features is None:
        features = [
            _feature({"type": "Polygon", "coordinates": [_square(c, r)]}, id=did, name=name)
            for did, name, (c, r) in zip(
                DISTRICT_IDS,
                ("Nord", "Süd", "Ost", "West"),
                ((0, 0), (1, 0), (0, 1), (1, 1)),
                strict=True,
            )
        ]
    return json.dumps({"type": "FeatureCollection", "crs": LEGACY_25832, "features": features})


def _population(rows: list[list[object]] | None = None) -> str:
    if rows is None:
        rows = [["district", "year", "group", "value"]]
        for i, did in enumerate(DISTRICT_IDS):
            rows += [[did, 2021, "total", 1000 + 100 * i], [did, 2021, "65_plus", 200 + 10 * i]]
    return _csv(rows)


def write_base(folder: Path) -> None:
    """Write the good layers every case is combined with."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "districts.geojson").write_text(_districts(), encoding="utf-8")
    (folder / "population.csv").write_text(_population(), encoding="utf-8")
    (folder / "facilities.csv").write_text(_csv(_fac_rows()), encoding="utf-8")


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            # A fixed timestamp keeps the committed files byte-identical across runs.
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return buffer.getvalue()


def _shapefile_parts() -> dict[str, bytes]:
    """A valid one-point Shapefile (.shp/.shx/.dbf/.prj) built by hand, WGS84."""
    lat, lon = CENTRES["01"]
    shp_record = struct.pack("<i", 1) + struct.pack("<2d", lon, lat)
    header = bytearray(100)
    struct.pack_into(">i", header, 0, 9994)
    struct.pack_into("<i", header, 28, 1000)
    struct.pack_into("<i", header, 32, 1)
    struct.pack_into("<4d", header, 36, lon, lat, lon, lat)
    record = struct.pack(">2i", 1, len(shp_record) // 2) + shp_record
    shp = bytes(header) + record
    struct.pack_into(">i", header, 24, len(shp) // 2)
    shp = bytes(header) + record
    shx_header = bytearray(header)
    struct.pack_into(">i", shx_header, 24, (100 + 8) // 2)
    shx = bytes(shx_header) + struct.pack(">2i", 50, len(shp_record) // 2)
    fields = [("name", 30), ("category", 20)]
    dbf_header = struct.pack(
        "<BBBBIHH20x", 3, 124, 1, 1, 1, 32 + 32 * len(fields) + 1, 1 + sum(w for _, w in fields)
    )
    descriptors = b"".join(
        struct.pack("<11sc4xBB14x", n.encode().ljust(11, b"\0"), b"C", w, 0) for n, w in fields
    )
    record_bytes = b" " + b"Treff im Zip".ljust(30) + b"meeting".ljust(20)
    dbf = dbf_header + descriptors + b"\r" + record_bytes + b"\x1a"
    prj = (
        b'GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563]],'
        b'PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433]]'
    )
    return {".shp": shp, ".shx": shx, ".dbf": dbf, ".prj": prj}


def cases() -> list[tuple[Case, bytes]]:
    """Every corpus case with the bytes of its file."""
    out: list[tuple[Case, bytes]] = []

    def add(case: Case, data: str | bytes) -> None:
        out.append((case, data.encode("utf-8") if isinstance(data, str) else data))

    good = _fac_rows()
    lat1, lon1 = CENTRES["01"]

    # -- encodings and CSV dialects --------------------------------------------------------
    add(
        Case("fac_binary_garbage.csv", "facilities", "error", r"binary file"),
        bytes(range(256)) * 8,
    )
    add(
        Case("fac_utf16.csv", "facilities", "error", r"UTF-16"),
        _csv(good).encode("utf-16"),
    )
    add(
        Case(
            "fac_declared_utf8_is_cp1252.csv",
            "facilities",
            "error",
            r"utf-8|decode|encoding",
            {"encoding": "utf-8"},
            upload=False,
            note="cp1252 bytes (ä = 0xE4) while the manifest says utf-8 (the upload detects "
            "the encoding, so there the file is fine)",
        ),
        _csv([*good, ["Bürgertreff Mühlburg", "meeting", lat1, lon1, 3]]).encode("cp1252"),
    )
    add(
        Case("fac_nul_bytes.csv", "facilities", "error", r"NUL bytes \(line 3\)"),
        _csv(good).replace("Einrichtung 2", "Einrich\0tung 2").encode(),
    )
    add(
        Case(
            "fac_pipe_delimited.csv",
            "facilities",
            "warning",
            r"",
            note="documented: the delimiter is detected (',', ';', tab, '|')",
        ),
        _csv(good, delimiter="|"),
    )
    add(
        Case("fac_mixed_delimiters.csv", "facilities", "error", r"row \d+.*fields|delimiter"),
        _csv(good[:1], delimiter=";") + _csv(good[1:3], delimiter=";") + _csv(good[3:]),
    )
    add(
        Case(
            "fac_declared_comma_is_semicolon.csv",
            "facilities",
            "error",
            r"column|delimiter",
            {"delimiter": ","},
            upload=False,
            note="the manifest fixes the wrong delimiter (the upload detects it)",
        ),
        _csv(good, delimiter=";"),
    )
    add(Case("fac_empty.csv", "facilities", "error", r"empty|no rows"), b"")
    add(
        Case("fac_header_only.csv", "facilities", "error", r"no rows|empty"),
        _csv(good[:1]),
    )
    add(
        Case("fac_ragged_rows.csv", "facilities", "error", r"row 3|fields|columns"),
        _csv(good).replace("Einrichtung 2,", "Einrichtung 2,extra,extra,"),
    )
    add(
        Case("fac_unclosed_quote.csv", "facilities", "error", r"quote|row|fields|malformed"),
        _csv(good).replace("Einrichtung 3", '"Einrichtung 3'),
    )
    # -- coordinates -----------------------------------------------------------------------
    swapped = [good[0]] + [[r[0], r[1], r[3], r[2], r[4]] for r in good[1:]]
    add(
        Case("fac_latlon_swapped.csv", "facilities", "error", r"swapped|exchanged"),
        _csv(swapped),
    )
    add(
        Case("fac_lat_out_of_range.csv", "facilities", "error", r"row 3.*lat|latitude outside"),
        _csv([*good[:2], ["Weit weg", "care", 123.4, 8.4, 1], *good[3:]]),
    )
    add(
        Case(
            "fac_coords_not_numbers.csv",
            "facilities",
            "error",
            r"row 2.*lat|not a (number|coordinate)",
        ),
        _csv([good[0], ["Text", "care", "neunundvierzig", "acht", 1], *good[2:]]),
    )
    add(
        Case("fac_xy_without_crs.csv", "facilities", "error", r"need the CRS|crs"),
        _csv(
            [
                ["name", "category", "x", "y"],
                ["A", "care", X0 + 500, Y0 + 500],
                ["B", "meeting", X0 + 1500, Y0 + 500],
            ]
        ),
    )
    add(
        Case(
            "fac_outside_city.csv",
            "facilities",
            "warning",
            r"outside all districts",
            note="documented: points outside all districts are kept and reported",
        ),
        _csv([*good, ["In Berlin", "care", 52.52, 13.40, 1]]),
    )
    # -- values ----------------------------------------------------------------------------
    add(
        Case("fac_negative_capacity.csv", "facilities", "error", r"row 3.*capacity|negative"),
        _csv([*good[:2], ["Minus", "care", lat1, lon1, -5], *good[3:]]),
    )
    add(
        Case("fac_capacity_not_number.csv", "facilities", "error", r"row 2.*capacity|not a number"),
        _csv([good[0], ["Viele", "care", lat1, lon1, "viele"], *good[2:]]),
    )
    add(
        Case("fac_unknown_category.csv", "facilities", "error", r"unknown category|valid"),
        _csv([*good, ["Kiosk", "kiosk", lat1, lon1, 1]]),
    )
    add(
        Case(
            "fac_duplicate_ids.csv",
            "facilities",
            "error",
            r"duplicate|repeated|unique",
            {"columns": {"id": "id"}},
        ),
        _csv(
            [["id", *good[0]]] + [["F1" if i < 2 else f"F{i}", *r] for i, r in enumerate(good[1:])]
        ),
    )
    add(
        Case(
            "fac_missing_columns.csv", "facilities", "error", r"missing|column 'category'|category"
        ),
        _csv([[r[0], r[2], r[3]] for r in good]),
    )
    # -- hostile text ----------------------------------------------------------------------
    injection = [
        ['=HYPERLINK("http://evil.example","klick")', "meeting"],
        ["+SUM(1+1)*cmd|' /C calc'!A0", "care"],
        ["-2+3+cmd|' /C calc'!A0", "counselling"],
        ["@SUM(1+1)", "meeting"],
    ]
    add(
        Case(
            "fac_csv_injection.csv",
            "facilities",
            "warning",
            r"",
            note="documented: kept as text; CSV/XLSX exports prefix = + - @ cells with '",
        ),
        _csv(
            [good[0]]
            + [[n, c, *CENTRES[d], 1] for (n, c), d in zip(injection, DISTRICT_IDS, strict=True)]
        ),
    )
    add(
        Case(
            "fac_script_names.csv",
            "facilities",
            "warning",
            r"",
            note="documented: kept as text; HTML-escaped wherever shown",
        ),
        _csv(
            [
                good[0],
                ["<script>alert('x')</script>", "meeting", *CENTRES["01"], 1],
                ['<img src=x onerror="alert(1)">', "care", *CENTRES["02"], 1],
                ["{{7*7}} ${7*7} %s %n", "counselling", *CENTRES["03"], 1],
            ]
        ),
    )
    # -- GeoJSON ---------------------------------------------------------------------------
    fc = {
        "type": "FeatureCollection",
        "features": [
            _feature(_point(*CENTRES[d]), name=f"P{i}", category="care")
            for i, d in enumerate(DISTRICT_IDS)
        ],
    }
    text = json.dumps(fc)
    add(
        Case("fac_truncated.geojson", "facilities", "error", r"cannot be read|read|parse|JSON"),
        text[: len(text) // 2],
    )
    add(
        Case("fac_not_json.geojson", "facilities", "error", r"cannot be read|read|parse|JSON"),
        "<!DOCTYPE html><html><body>502 Bad Gateway</body></html>",
    )
    polygons = {
        "type": "FeatureCollection",
        "features": [
            _feature(
                {
                    "type": "Polygon",
                    "coordinates": [
                        [[lon1, lat1], [lon1 + 0.001, lat1], [lon1, lat1 + 0.001], [lon1, lat1]]
                    ],
                },
                name="Fläche",
                category="care",
            )
        ],
    }
    add(
        Case("fac_polygons.geojson", "facilities", "error", r"wrong geometry type|Point"),
        json.dumps(polygons),
    )
    metric_no_crs = {
        "type": "FeatureCollection",
        "features": [
            _feature(
                {"type": "Point", "coordinates": [X0 + 500, Y0 + 500]}, name="A", category="care"
            )
        ],
    }
    add(
        Case(
            "fac_metric_coords_no_crs.geojson",
            "facilities",
            "error",
            r"latitude|longitude|range|CRS|projected",
            note="EPSG:25832 numbers in a GeoJSON without crs member (read as WGS84)",
        ),
        json.dumps(metric_no_crs),
    )
    add(
        Case("fac_empty_collection.geojson", "facilities", "error", r"no features|empty|no rows"),
        json.dumps({"type": "FeatureCollection", "features": []}),
    )
    add(
        Case(
            "fac_deeply_nested.geojson",
            "facilities",
            "error",
            r"cannot be read|read|parse|JSON|geometry",
        ),
        '{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},"geometry":'
        + '{"type":"Point","coordinates":'
        + "[" * 5000
        + "]" * 5000
        + "}}]}",
    )
    # -- districts -------------------------------------------------------------------------
    add(
        Case(
            "dist_points.geojson",
            "districts",
            "error",
            r"Polygon|geometry type",
            {"columns": {"id": "id", "name": "name"}},
            upload=False,
        ),
        _districts(
            [
                _feature({"type": "Point", "coordinates": [X0 + 500, Y0 + 500]}, id="01", name="A"),
                _feature(
                    {"type": "Point", "coordinates": [X0 + 1500, Y0 + 500]}, id="02", name="B"
                ),
            ]
        ),
    )
    dup = json.loads(_districts())
    dup["features"][1]["properties"]["id"] = "01"
    add(
        Case(
            "dist_duplicate_ids.geojson",
            "districts",
            "error",
            r"duplicate|unique|repeated",
            {"columns": {"id": "id", "name": "name"}},
            upload=False,
        ),
        json.dumps(dup),
    )
    no_crs = json.loads(_districts())
    del no_crs["crs"]
    add(
        Case(
            "dist_metric_no_crs.geojson",
            "districts",
            "error",
            r"CRS|latitude|longitude|range|projected|degrees",
            {"columns": {"id": "id", "name": "name"}},
            upload=False,
            note="metric coordinates without a crs member: read as WGS84, far outside the globe",
        ),
        json.dumps(no_crs),
    )
    hostile = json.loads(_districts())
    for feature, name in zip(
        hostile["features"],
        ('=HYPERLINK("http://evil.example";"x")', "+1+1", "-1+1", "@SUM(A1)"),
        strict=True,
    ):
        feature["properties"]["name"] = name
    add(
        Case(
            "dist_injection_names.geojson",
            "districts",
            "warning",
            r"",
            {"columns": {"id": "id", "name": "name"}},
            upload=False,
            note="documented: kept as text; the coverage CSV and CSV/XLSX exports prefix them "
            "with '",
        ),
        json.dumps(hostile),
    )
    # -- population ------------------------------------------------------------------------
    pop = [["district", "year", "group", "value"]] + [
        [d, 2021, "total", 1000] for d in DISTRICT_IDS
    ]
    add(
        Case(
            "pop_unknown_district.csv",
            "population",
            "error",
            r"unknown district.*'99'",
            upload=False,
        ),
        _csv([*pop, ["99", 2021, "total", 5]]),
    )
    add(
        Case("pop_negative.csv", "population", "error", r"row 3.*value|negative", upload=False),
        _csv([pop[0], pop[1], ["02", 2021, "total", -40], *pop[3:]]),
    )
    add(
        Case(
            "pop_not_numeric.csv", "population", "error", r"row 2.*value|not a number", upload=False
        ),
        _csv([pop[0], ["01", 2021, "total", "viele"], *pop[2:]]),
    )
    add(
        Case(
            "pop_duplicate_rows.csv",
            "population",
            "error",
            r"duplicate|twice|repeated|more than once",
            upload=False,
        ),
        _csv([*pop, pop[1]]),
    )
    add(
        Case("pop_year_not_number.csv", "population", "error", r"year", upload=False),
        _csv([pop[0], ["01", "2021a", "total", 1000], *pop[2:]]),
    )
    add(
        Case(
            "pop_formula_cells.csv",
            "population",
            "error",
            r"row 2.*value|not a number",
            upload=False,
            note="a CSV-injection formula in a number column is not a number",
        ),
        _csv([pop[0], ["01", 2021, "total", "=1+1"], *pop[2:]]),
    )
    # -- zip archives (upload only: dataset folders name their files directly) -------------
    parts = _shapefile_parts()
    add(
        Case(
            "zip_path_traversal.zip",
            "facilities",
            "warning",
            r"",
            note="documented: member names are never used as paths; parts are extracted "
            "under generated names inside a fresh temporary folder",
        ),
        _zip({f"../../../../tmp/qa-evil/x{ext}": data for ext, data in parts.items()}),
    )
    add(
        Case(
            "zip_absolute_and_script_names.zip",
            "facilities",
            "warning",
            r"",
            note="documented: as above, names are ignored",
        ),
        _zip({f"/etc/<script>alert(1)</script>{ext}": data for ext, data in parts.items()}),
    )
    add(
        Case("zip_without_shp.zip", "facilities", "error", r"exactly one \.shp|\.shp"),
        _zip({"readme.txt": b"no shapefile here", "data.csv": _csv(good).encode()}),
    )
    add(
        Case("zip_two_shapefiles.zip", "facilities", "error", r"exactly one \.shp"),
        _zip({**{f"a{e}": d for e, d in parts.items()}, **{f"b{e}": d for e, d in parts.items()}}),
    )
    add(
        Case("zip_too_many_members.zip", "facilities", "error", r"at most|files"),
        _zip({f"f{i}.txt": b"x" for i in range(40)}),
    )
    add(
        Case("zip_corrupt.zip", "facilities", "error", r"cannot be read|zip"),
        _zip({f"x{e}": d for e, d in parts.items()})[:-30],
    )
    return out


def write_corpus(folder: Path = HERE) -> list[Path]:
    """Write every case file and ``cases.json`` into ``folder``; return the written paths."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    index = []
    for case, data in cases():
        path = folder / case.file
        path.write_bytes(data)
        written.append(path)
        index.append({k: v for k, v in case.__dict__.items()})
    (folder / "cases.json").write_text(
        json.dumps(index, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    write_base(folder / "base")
    return written


HUGE_CSV_BYTES = 12 * 1024 * 1024


def write_huge(folder: Path) -> dict[str, Path]:
    """Write the files too big to commit: a 12 MB CSV, a 20 MB cell, two zip bombs.

    The CSV is valid (about 340,000 rows) but above the app's 10 MB upload limit.
    """
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    lat, lon = CENTRES["01"]
    row = f"Einrichtung,care,{lat},{lon},1\n".encode()
    huge = folder / "fac_huge.csv"
    with huge.open("wb") as handle:
        handle.write(b"name,category,lat,lon,capacity\n")
        handle.write(row * (HUGE_CSV_BYTES // len(row)))
    paths["huge_csv"] = huge
    cell = folder / "fac_huge_cell.csv"
    cell.write_bytes(
        b"name,category,lat,lon\n" + b"A" * (20 * 1024 * 1024) + f",care,{lat},{lon}\n".encode()
    )
    paths["huge_cell"] = cell
    # A zip whose .dbf inflates to 1 GiB (honest header) ...
    parts = _shapefile_parts()
    bomb = folder / "zip_bomb.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("x.shp", parts[".shp"])
        archive.writestr("x.shx", parts[".shx"])
        archive.writestr("x.prj", parts[".prj"])
        with archive.open("x.dbf", "w", force_zip64=True) as member:
            block = b"\0" * (1024 * 1024)
            for _ in range(1024):
                member.write(block)
    paths["zip_bomb"] = bomb
    # ... and one whose header claims 1 kB but whose data inflates to 300 MiB.
    liar = folder / "zip_bomb_lying_header.zip"
    data = bomb.read_bytes()
    with zipfile.ZipFile(liar, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("x.shp", parts[".shp"])
        archive.writestr("x.shx", parts[".shx"])
        archive.writestr("x.prj", parts[".prj"])
        with archive.open("x.dbf", "w", force_zip64=True) as member:
            block = b"\0" * (1024 * 1024)
            for _ in range(300):
                member.write(block)
    raw = bytearray(liar.read_bytes())
    _patch_sizes(raw, b"x.dbf", 1024)
    liar.write_bytes(bytes(raw))
    paths["zip_bomb_lying"] = liar
    del data
    return paths


def _patch_sizes(raw: bytearray, name: bytes, size: int) -> None:
    """Overwrite the uncompressed size of member ``name`` in the central directory."""
    start = 0
    while True:
        pos = raw.find(b"PK\x01\x02", start)
        if pos < 0:
            return
        name_len = struct.unpack_from("<H", raw, pos + 28)[0]
        if raw[pos + 46 : pos + 46 + name_len] == name:
            if struct.unpack_from("<I", raw, pos + 24)[0] != 0xFFFFFFFF:
                struct.pack_into("<I", raw, pos + 24, size)
            else:  # zip64: the size is in the extra field
                extra_len = struct.unpack_from("<H", raw, pos + 30)[0]
                extra = pos + 46 + name_len
                end = extra + extra_len
                while extra < end:
                    tag, length = struct.unpack_from("<HH", raw, extra)
                    if tag == 1:
                        struct.pack_into("<Q", raw, extra + 4, size)
                        break
                    extra += 4 + length
        start = pos + 4


if __name__ == "__main__":
    paths = write_corpus(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE)
    print(f"wrote {len(paths)} corpus files")
