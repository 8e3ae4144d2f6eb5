"""Write a small but complete dataset folder (every layer kind) for the store tests."""

from __future__ import annotations

import json
from pathlib import Path

X0, Y0 = 455_000.0, 5_427_000.0
SIZE_M = 1_000.0

MANIFEST = """
[metadata]
name = "Teststadt"
city = "Teststadt"
metric_crs = "EPSG:25832"
notes = "Small dataset built in code for the store tests."

[districts]
path = "districts.geojson"
crs = "EPSG:25832"
columns = { id = "code", name = "label" }
label_de = "Bezirke"
label_en = "Boroughs"

[[facilities]]
path = "facilities.csv"
crs = "EPSG:25832"
columns = { name = "Name", category = "Art", x = "X", y = "Y", capacity = "Plaetze", address = "Adresse" }
category_map = { "Treff" = "meeting", "Beratung" = "counselling", "Pflegeheim" = "care" }

[[population]]
path = "population.csv"

[residents]
path = "residents.csv"
crs = "EPSG:25832"

[planning_areas]
path = "planning_areas.csv"

[programme]
path = "programme.csv"

[network]
path = "network.geojson"
crs = "EPSG:25832"
approximate = true
note = "test footpaths"

[[groupings]]
id = "ortschaft"
label_de = "Ortschaften"
label_en = "Ortschaften (villages)"
path = "ortschaften.csv"
note_de = "nur eine Ortschaft"
"""


def _square(col: int, row: int) -> list[list[float]]:
    x, y = X0 + col * SIZE_M, Y0 + row * SIZE_M
    return [[x, y], [x + SIZE_M, y], [x + SIZE_M, y + SIZE_M], [x, y + SIZE_M], [x, y]]


def write_sample_dataset(root: Path, *, population_scale: float = 1.0) -> Path:
    """Write the sample dataset into ``root`` and return it.

    Four 1 km districts in a 2×2 grid (one stored as a MultiPolygon), 7 facilities (one without
    coordinates, one outside all districts), two years of population with a placeholder, resident
    points for three districts (the fourth gets the grid fallback), planning areas, programme and
    a walking network.
    """
    root.mkdir(parents=True, exist_ok=True)
    (root / "dataset.toml").write_text(MANIFEST, encoding="utf-8")
    features = []
    for i, (col, row) in enumerate([(0, 0), (1, 0), (0, 1), (1, 1)]):
        ring = _square(col, row)
        geometry = (
            {"type": "MultiPolygon", "coordinates": [[ring]]}
            if i == 3
            else {"type": "Polygon", "coordinates": [ring]}
        )
        features.append(
            {
                "type": "Feature",
                "properties": {"code": f"0{i + 1}", "label": ["Nord", "Süd", "Ost", "West"][i]},
                "geometry": geometry,
            }
        )
    (root / "districts.geojson").write_text(
        json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8"
    )
    facilities = [
        "Name;Art;X;Y;Plaetze;Adresse",
        f"Treff Nord;Treff;{X0 + 200};{Y0 + 300};;Hauptstr. 1",
        f"Beratung Süd;Beratung;{X0 + 1500};{Y0 + 400};3;Marktplatz 2",
        f"Pflegeheim Ost;Pflegeheim;{X0 + 300};{Y0 + 1600};80;Ostweg 3",
        f"Treff West;Treff;{X0 + 1700};{Y0 + 1800};;",
        f"Pflegeheim am Rand;Pflegeheim;{X0 - 400};{Y0 + 500};40;Randweg 9",
        "Beratung ohne Ort;Beratung;;;;Unbekannt 1",
        f"Beratung Nord;Beratung;{X0 + 800};{Y0 + 900};2;Hauptstr. 7",
    ]
    (root / "facilities.csv").write_text("\n".join(facilities) + "\n", encoding="utf-8")
    population = ["district,year,group,value"]
    for i in range(4):
        for year, factor in ((2020, 1.0), (2021, 1.05)):
            total = round((1000 + 250 * i) * factor * population_scale)
            population.append(f"0{i + 1},{year},total,{total}")
            old = "." if (i == 2 and year == 2020) else str(round(total * 0.2))
            population.append(f"0{i + 1},{year},65_plus,{old}")
    (root / "population.csv").write_text("\n".join(population) + "\n", encoding="utf-8")
    residents = ["x,y,weight,address"]
    for col, row in [(0, 0), (1, 0), (0, 1)]:
        for k in range(12):
            x = X0 + col * SIZE_M + 50 + (k % 4) * 250
            y = Y0 + row * SIZE_M + 80 + (k // 4) * 300
            residents.append(f"{x},{y},{1 + k % 3},Weg {col}{row} {k + 1}")
    (root / "residents.csv").write_text("\n".join(residents) + "\n", encoding="utf-8")
    (root / "planning_areas.csv").write_text(
        "district,planning_area,planning_area_name,coordinator\n"
        "01,A,Planungsraum A,Frau A\n02,A,Planungsraum A,Frau A\n"
        "03,B,Planungsraum B,Herr B\n04,B,Planungsraum B,Herr B\n",
        encoding="utf-8",
    )
    (root / "ortschaften.csv").write_text(
        "district,area_id,area_name,contact\n02,O1,Dorf,Ortsvorsteher X\n", encoding="utf-8"
    )
    (root / "programme.csv").write_text(
        "district,measure,since,note,source,source_date\n"
        "01,stadtteilkoordination,2019,,Gemeinderat,2023-05-01\n"
        "04,buergerzentrum,2015,im Bürgerhaus,Website,2024-01-10\n",
        encoding="utf-8",
    )
    lines = []
    for k in range(5):
        y = Y0 + k * 500
        lines.append([[X0 - 500, y], [X0 + 2500, y]])
        x = X0 + k * 500
        lines.append([[x, Y0 - 500], [x, Y0 + 2500]])
    (root / "network.geojson").write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::25832"}},
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"highway": "footway"},
                        "geometry": {"type": "LineString", "coordinates": line},
                    }
                    for line in lines
                ],
            }
        ),
        encoding="utf-8",
    )
    return root
