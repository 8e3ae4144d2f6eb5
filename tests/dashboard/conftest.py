"""Fixtures of the dashboard unit tests: a tiny dataset built in code (EPSG:25832).

Four square districts of 1 km in a 2×2 grid, two planning areas (a computed proposal), three
facilities (one named like an HTML injection), one resident point per 100 m cell.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import CRS

from layers.catalogue import Category, Group
from layers.dataset import Dataset, LayerSource, Metadata
from layers.residents import ResidentPoints

CRS_M = "EPSG:25832"
X0, Y0 = 456_000.0, 5_428_000.0
XSS = "<img src=x onerror=alert(1)>"


def _districts() -> gpd.GeoDataFrame:
    boxes = [
        shapely.box(X0 + i * 1000, Y0 + j * 1000, X0 + (i + 1) * 1000, Y0 + (j + 1) * 1000)
        for j in range(2)
        for i in range(2)
    ]
    return gpd.GeoDataFrame(
        {"id": ["01", "02", "03", "04"], "name": ["Süd-West", "Süd-Ost", "Nord-West", "Nord-Ost"]},
        geometry=boxes,
        crs=CRS_M,
    )


def make_tiny_dataset(*, small_district_population: float = 30.0) -> Dataset:
    """The tiny dataset; district 04 has ``small_district_population`` residents."""
    districts = _districts()
    xs = X0 + 50 + 100 * np.arange(20)
    ys = Y0 + 50 + 100 * np.arange(20)
    gx, gy = np.meshgrid(xs, ys)
    points = gpd.GeoDataFrame(geometry=shapely.points(gx.ravel(), gy.ravel()), crs=CRS_M)
    ids = np.where(
        points.geometry.y < Y0 + 1000,
        np.where(points.geometry.x < X0 + 1000, "01", "02"),
        np.where(points.geometry.x < X0 + 1000, "03", "04"),
    )
    resident_points = gpd.GeoDataFrame(
        {
            "district_id": ids,
            "origin": "grid",
            "base_weight": 1.0,
        },
        geometry=points.geometry,
        crs=CRS_M,
    )
    facilities = gpd.GeoDataFrame(
        {
            "id": ["f1", "f2", "f3"],
            "name": ["Treff am Markt", XSS, "Pflegeheim Nord"],
            "category": ["meeting", "counselling", "care"],
            "subcategory": ["Begegnungsstätte", "Beratung", "Pflegeheim"],
            "address": ["Markt 1", XSS, "Nordweg 2"],
            "capacity": [1.0, 1.0, 1.0],
            "district_id": ["01", "02", "03"],
            "source": "test",
        },
        geometry=[
            shapely.Point(X0 + 500, Y0 + 500),
            shapely.Point(X0 + 1500, Y0 + 500),
            shapely.Point(X0 + 500, Y0 + 1500),
        ],
        crs=CRS_M,
    )
    rows = []
    for year, factor in ((2020, 1.0), (2022, 1.1)):
        for district, total in (("01", 1000.0), ("02", 2000.0), ("03", 500.0)):
            rows.append((district, year, "total", total * factor, ""))
            rows.append((district, year, "65_plus", total * 0.2 * factor, ""))
        rows.append(("04", year, "total", small_district_population, ""))
        rows.append(("04", year, "65_plus", 5.0, ""))
    population = pd.DataFrame(
        rows, columns=["district_id", "year", "group", "value", "missing_reason"]
    )
    addresses = gpd.GeoDataFrame(
        {
            "address": [
                "Markt 1, 76131 Karlsruhe",
                "Nordweg 2, 76131 Karlsruhe",
                "Marktgasse 5, 76131 Karlsruhe",
            ]
        },
        geometry=[
            shapely.Point(X0 + 520, Y0 + 510),
            shapely.Point(X0 + 500, Y0 + 1600),
            shapely.Point(X0 + 1200, Y0 + 300),
        ],
        crs=CRS_M,
    )
    planning = pd.DataFrame(
        {
            "district_id": ["01", "02", "03", "04"],
            "planning_area": ["S", "S", "N", "N"],
            "planning_area_name": ["Süd", "Süd", "Nord", "Nord"],
            "coordinator": ["", "", "", ""],
        }
    )
    categories = (
        Category("meeting", "Begegnung", "Meeting places", "#E69F00"),
        Category("counselling", "Beratung", "Counselling", "#0072B2"),
        Category("care", "Versorgung und Pflege", "Care", "#009E73"),
    )
    metadata = Metadata(
        name="Tiny",
        city="Teststadt",
        metric_crs=CRS.from_user_input(CRS_M),
        description="",
        notes="Testdaten: <b>nicht</b> echt.",
        sources=(
            LayerSource("districts", "d.geojson", "Stadt Test", "dl-de/by-2-0", "2024-01-01", ""),
        ),
        root=Path("."),
    )
    return Dataset(
        metadata=metadata,
        categories=categories,
        groups=(Group("total", "Einwohner insgesamt", "Total population"),),
        districts=districts,
        facilities=facilities,
        unlocated_facilities=pd.DataFrame(columns=["id", "name", "category", "row", "file"]),
        population=population,
        residents=ResidentPoints.from_frame(resident_points),
        addresses=addresses,
        planning_areas=planning,
        planning_areas_proposal=True,
        programme=None,
        network=None,
        issues=(),
    )


@pytest.fixture(scope="session")
def tiny_dataset() -> Dataset:
    """A 2×2 km test city (see the module docstring)."""
    return make_tiny_dataset()


@pytest.fixture
def tiny_ctx(tiny_dataset, tmp_path):
    """An :class:`~dashboard.context.AppContext` on the tiny dataset (uploads go to tmp)."""
    from dashboard.app import make_options
    from dashboard.context import AppContext

    return AppContext(tiny_dataset, make_options(user_data_dir=tmp_path / "user"))
