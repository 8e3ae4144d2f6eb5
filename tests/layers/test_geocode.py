"""Address lookup: spelling variants, missing postcode, ambiguity, did-you-mean."""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely

from layers.errors import AddressNotFoundError, MissingColumnError
from layers.geocode import (
    AddressIndex,
    nearest_address,
    nearest_addresses,
    normalise_street,
    parse_address,
)

CRS = "EPSG:25832"


@pytest.fixture
def index() -> AddressIndex:
    """Five address points, Rheinstraße 12 both in Karlsruhe and in Ettlingen (8 km apart)."""
    rows = [
        ("Rheinstraße 12, 76185 Karlsruhe", 453_490, 5_428_970),
        ("Rheinstraße 14, 76185 Karlsruhe", 453_510, 5_428_975),
        ("Rheinstraße 12, 76275 Ettlingen", 456_390, 5_421_200),
        ("Henriette-Obermüller-Straße 10, None Karlsruhe", 457_136, 5_427_934),
        ("Kaiserstraße 12a, 76131 Karlsruhe", 457_013, 5_428_668),
    ]
    frame = gpd.GeoDataFrame(
        {"address": [r[0] for r in rows]},
        geometry=[shapely.Point(r[1], r[2]) for r in rows],
        crs=CRS,
    )
    return AddressIndex(frame, prefer_city="Karlsruhe")


@pytest.mark.parametrize(
    "query",
    [
        "Rheinstraße 12, 76185 Karlsruhe",
        "Rheinstrasse 12, 76185 Karlsruhe",
        "rheinstr. 12",
        "RHEINSTR 12 76185",
        "Rheinstraße 12 Karlsruhe",
        "  Rheinstraße  12 ,  Karlsruhe ",
    ],
)
def test_variants_of_one_address(index, query):
    found = index.lookup(query)
    assert found.address == "Rheinstraße 12, 76185 Karlsruhe"
    assert (found.x, found.y) == (453_490, 5_428_970)


def test_postcode_or_city_choose_between_towns(index):
    assert index.lookup("Rheinstraße 12, 76275").address.endswith("Ettlingen")
    assert index.lookup("Rheinstraße 12, Ettlingen").address.endswith("Ettlingen")


def test_hyphenated_street_abbreviation_and_house_number_suffix(index):
    assert index.lookup("Henriette-Obermüller-Str. 10").y == 5_427_934
    assert index.lookup("Kaiserstr. 12 A").address.startswith("Kaiserstraße 12a")
    assert index.lookup("kaiserstrasse 12a, 76131").x == 457_013


def test_unknown_address_suggests_nearby_numbers_and_similar_streets(index):
    with pytest.raises(AddressNotFoundError, match="Did you mean") as info:
        index.lookup("Reinstrasse 13")
    assert info.value.suggestions[:2] == (
        "Rheinstraße 12, 76185 Karlsruhe",
        "Rheinstraße 14, 76185 Karlsruhe",
    )
    with pytest.raises(AddressNotFoundError, match="not found"):
        index.lookup("Nirgendwo 1")


def test_unknown_without_postcode_match(index):
    with pytest.raises(AddressNotFoundError, match="Rheinstraße 12, 76185 Karlsruhe"):
        index.lookup("Rheinstraße 12, 99999")


def test_same_address_far_apart_without_preference_is_ambiguous():
    frame = gpd.GeoDataFrame(
        {"address": ["Hauptstraße 1, 76227 Karlsruhe", "Hauptstraße 1, 76344 Eggenstein"]},
        geometry=[shapely.Point(0, 0), shapely.Point(5000, 0)],
        crs=CRS,
    )
    with pytest.raises(AddressNotFoundError, match="several places; add the postcode"):
        AddressIndex(frame).lookup("Hauptstraße 1")


def test_parts_and_normalisation():
    assert normalise_street("Straße des 17. Juni") == "strassedes17juni"
    parsed = parse_address("Am Alten Schlachthof 3b, 76131 Karlsruhe")
    assert (parsed.street, parsed.number, parsed.postcode) == ("amaltenschlachthof", "3b", "76131")
    assert parse_address("Karlsruhe") is None


def test_address_column_required():
    with pytest.raises(MissingColumnError, match="`address`"):
        AddressIndex(gpd.GeoDataFrame({"x": [1]}, geometry=[shapely.Point(0, 0)], crs=CRS))


def test_nearest_address_within_a_distance():
    import numpy as np

    addresses = gpd.GeoDataFrame(
        {"address": ["Kaiserstraße 1", "Kaiserstraße 3", None]},
        geometry=shapely.points([[0, 0], [30, 0], [5, 5]]),
        crs=25832,
    )
    # the row without an address text is never named
    assert nearest_address(addresses, 4.0, 4.0) == ("Kaiserstraße 1", pytest.approx(5.7, abs=0.1))
    found = nearest_addresses(addresses, np.array([[28.0, 0.0], [0.0, 400.0]]), max_m=100)
    assert found == [("Kaiserstraße 3", 2.0), None]
    assert nearest_addresses(addresses, np.empty((0, 2))) == []
    with pytest.raises(MissingColumnError, match="`address` column"):
        nearest_address(addresses.drop(columns="address"), 0.0, 0.0)
