"""The one cached WGS84 <-> metric transformer (layers.crs.transformer)."""

from __future__ import annotations

import pytest

from layers.crs import transformer
from layers.nearby import location_from_lonlat, location_to_lonlat


def test_same_pair_gives_the_same_transformer():
    first = transformer("EPSG:4326", "EPSG:25832")
    assert transformer("EPSG:4326", "EPSG:25832") is first
    assert transformer("EPSG:25832", "EPSG:4326") is not first


def test_always_xy_order_and_round_trip():
    # Karlsruhe palace: lon 8.4044, lat 49.0134 lies in UTM zone 32 near x 456 km, y 5429 km
    x, y = transformer("EPSG:4326", "EPSG:25832").transform(8.4044, 49.0134)
    assert x == pytest.approx(456_000, abs=2_000)
    assert y == pytest.approx(5_429_000, abs=2_000)
    lon, lat = transformer("EPSG:25832", "EPSG:4326").transform(x, y)
    assert (lon, lat) == pytest.approx((8.4044, 49.0134), abs=1e-9)


def test_nearby_helpers_use_the_cache():
    transformer.cache_clear()
    x, y = location_from_lonlat(8.4044, 49.0134, "EPSG:25832")
    location_to_lonlat(x, y, "EPSG:25832")
    location_from_lonlat(8.41, 49.01, "EPSG:25832")
    info = transformer.cache_info()
    assert (info.misses, info.hits) == (2, 1)
