"""Nearby: three nearest per category, count within the radius, missing categories."""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely

from layers.nearby import location_from_lonlat, location_to_lonlat, nearby

CRS = "EPSG:25832"
X0, Y0 = 456_000.0, 5_428_000.0


@pytest.fixture
def facilities() -> gpd.GeoDataFrame:
    """Four meeting places 100, 300, 700, 900 m east of (X0, Y0) and one care home 2 km north."""
    rows = [
        ("Treff 300", "meeting", "Begegnungsstätte", "Weg 3", 300, 0),
        ("Treff 100", "meeting", None, "Weg 1", 100, 0),
        ("Treff 900", "meeting", "Bürgerzentrum", None, 900, 0),
        ("Treff 700", "meeting", "Bürgerzentrum", "Weg 7", 700, 0),
        ("Heim", "care", "Pflegeheim", "Berg 1", 0, 2000),
    ]
    return gpd.GeoDataFrame(
        {
            "name": [r[0] for r in rows],
            "category": [r[1] for r in rows],
            "subcategory": [r[2] for r in rows],
            "address": [r[3] for r in rows],
        },
        geometry=[shapely.Point(X0 + r[4], Y0 + r[5]) for r in rows],
        crs=CRS,
    )


def test_nearest_three_within_radius_and_missing(facilities):
    result = nearby(facilities, X0, Y0, categories=["meeting", "counselling", "care"], radius_m=700)
    assert result["radius_m"] == 700
    meeting = result["categories"]["meeting"]
    assert [f["name"] for f in meeting["nearest"]] == ["Treff 100", "Treff 300", "Treff 700"]
    assert [f["distance_m"] for f in meeting["nearest"]] == [100.0, 300.0, 700.0]
    assert meeting["within_radius"] == 3  # 700 m is within (inclusive)
    assert meeting["nearest"][0]["subcategory"] is None
    assert set(meeting["nearest"][0]) == {
        "name",
        "subcategory",
        "address",
        "distance_m",
        "lat",
        "lon",
    }
    assert result["categories"]["counselling"] == {"nearest": [], "within_radius": 0}
    assert result["categories"]["care"]["within_radius"] == 0
    assert result["categories"]["care"]["nearest"][0]["distance_m"] == 2000.0
    assert result["missing"] == ["counselling", "care"]


def test_coordinates_round_trip_through_wgs84(facilities):
    lon, lat = location_to_lonlat(X0 + 100, Y0, facilities.crs)
    result = nearby(facilities, X0, Y0, categories=["meeting"], radius_m=800)
    first = result["categories"]["meeting"]["nearest"][0]
    assert (first["lat"], first["lon"]) == (round(lat, 6), round(lon, 6))
    x, y = location_from_lonlat(lon, lat, facilities.crs)
    assert (x, y) == pytest.approx((X0 + 100, Y0), abs=0.01)
