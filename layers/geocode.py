"""Address lookup in a dataset's address points, tolerant of how people write German addresses.

Street names are compared after normalisation: case folded, ``ß`` → ``ss``, umlauts → ``ae`` /
``oe`` / ``ue``, ``Str.`` / ``Str`` / ``Straße`` → ``strasse``, spaces, dots and hyphens removed.
House numbers are compared without spaces (``12 a`` = ``12a``). A postcode (five digits) and a
city name are optional and only used to choose among several matches. When nothing matches, the
error lists the closest addresses (rapidfuzz).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
from rapidfuzz import fuzz, process

from layers.errors import AddressNotFoundError, MissingColumnError

SAME_PLACE_M = 100.0
"""Matches closer together than this are one place (their mean is returned)."""

N_SUGGESTIONS = 5
"""How many 'did you mean' suggestions an unknown address gets."""

NEAREST_ADDRESS_MAX_M = 250.0
"""Farther than this, a point has no nearest address: naming one would mislead."""

MAX_QUERY_CHARS = 100
"""Longest address query that is parsed or fuzzy-matched. The longest street name plus number,
postcode and city stays far below; longer text is cut before any work (10,000 characters cost
30 s of fuzzy matching before this cap)."""

MAX_NUMBER_DIGITS = 6
"""House numbers are compared on at most this many leading digits (no int() of 10,000 digits)."""

_POSTCODE = re.compile(r"(?<!\d)(\d{5})(?!\d)")
_STREET_NUMBER = re.compile(
    r"^\s*(?P<street>[^\d,]*?[^\d\s,])\.?\s*(?P<number>\d+\s*[a-zA-Z]?(?:\s*[-/]\s*\d+\s*[a-zA-Z]?)?)\b"
)
_STRASSE = re.compile(r"(str\.|str\b|straße|strasse)", re.IGNORECASE)
_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})


def normalise_street(street: str) -> str:
    """Normalise a street name for comparison.

    Examples
    --------
    >>> normalise_street("Henriette-Obermüller-Str.")
    'henrietteobermuellerstrasse'
    >>> normalise_street("RHEINSTRASSE") == normalise_street("Rheinstraße")
    True
    """
    text = unicodedata.normalize("NFC", street).lower().translate(_UMLAUTS)
    text = _STRASSE.sub("strasse", text)
    return re.sub(r"[\s.\-'’,/]+", "", text)


def normalise_number(number: str) -> str:
    """Normalise a house number (``"12 A"`` → ``"12a"``)."""
    return re.sub(r"\s+", "", number).lower()


@dataclass(frozen=True)
class ParsedAddress:
    """An address split into its parts (normalised street and number; postcode, city if given)."""

    street: str
    number: str
    postcode: str | None
    city: str | None


def parse_address(text: str) -> ParsedAddress | None:
    """Split ``"Rheinstraße 12, 76185 Karlsruhe"`` into street, number, postcode and city.

    Returns None when no street followed by a house number is found.

    Examples
    --------
    >>> parse_address("rheinstr. 12 76185 Karlsruhe")
    ParsedAddress(street='rheinstrasse', number='12', postcode='76185', city='karlsruhe')
    """
    postcode_match = _POSTCODE.search(text)
    postcode = postcode_match.group(1) if postcode_match else None
    rest = _POSTCODE.sub(" ", text) if postcode else text
    parts = [p.strip() for p in rest.split(",") if p.strip()]
    for i, part in enumerate(parts):
        match = _STREET_NUMBER.match(part)
        if match:
            tail = part[match.end() :].strip()
            others = [tail, *parts[:i], *parts[i + 1 :]]
            city = " ".join(o for o in others if o and o.lower() != "none").strip() or None
            return ParsedAddress(
                street=normalise_street(match.group("street")),
                number=normalise_number(match.group("number")),
                postcode=postcode,
                city=normalise_street(city) if city else None,
            )
    return None


@dataclass(frozen=True)
class GeocodeResult:
    """A found address: its text as in the address table and its coordinates (metric CRS)."""

    address: str
    x: float
    y: float


class AddressIndex:
    """Lookup table of a dataset's address points (build once, query often).

    Parameters
    ----------
    addresses
        Address points with an ``address`` column (``"Street 12, 76185 City"``).
    prefer_city
        City whose addresses win when an address without postcode or city exists in several
        places (the dataset's city).
    """

    def __init__(self, addresses: gpd.GeoDataFrame, *, prefer_city: str | None = None) -> None:
        if "address" not in addresses.columns:
            raise MissingColumnError("`addresses` needs an `address` column")
        self.crs = addresses.crs
        texts = addresses["address"].astype("string").fillna("").to_numpy(dtype=object)
        xy = np.column_stack([addresses.geometry.x.to_numpy(), addresses.geometry.y.to_numpy()])
        self._texts: list[str] = [str(t) for t in texts]
        self._xy = xy
        self._by_key: dict[tuple[str, str], list[int]] = {}
        self._parsed: list[ParsedAddress | None] = []
        for i, text in enumerate(self._texts):
            parsed = parse_address(text)
            self._parsed.append(parsed)
            if parsed is not None:
                self._by_key.setdefault((parsed.street, parsed.number), []).append(i)
        self._choices = [_fold(t) for t in self._texts]
        # a query longer than every address cannot match better through its tail; cutting it
        # there keeps fuzzy scoring of pasted junk cheap
        self._longest = max((len(c) for c in self._choices), default=0)
        self._prefer_city = normalise_street(prefer_city) if prefer_city else None
        self._streets = sorted({street for street, _ in self._by_key})
        self._by_street: dict[str, list[int]] = {}
        for (street, _number), rows in self._by_key.items():
            self._by_street.setdefault(street, []).extend(rows)

    def __len__(self) -> int:
        return len(self._texts)

    def lookup(self, query: str) -> GeocodeResult:
        """Find ``query``.

        Raises
        ------
        AddressNotFoundError
            When the address is not in the table, or names several places far apart; the
            message and ``suggestions`` list the closest addresses.
        """
        if len(query) > MAX_QUERY_CHARS:
            raise AddressNotFoundError(
                f"address {query[:40]!r}… is longer than {MAX_QUERY_CHARS} characters; "
                "enter street, house number and optionally postcode and city",
                [],
            )
        parsed = parse_address(query)
        rows = self._by_key.get((parsed.street, parsed.number), []) if parsed else []
        if parsed is not None and rows and parsed.postcode:
            with_code = [i for i in rows if self._postcode(i) in (parsed.postcode, None)]
            rows = with_code
        if parsed is not None and len(rows) > 1:
            city = parsed.city or (None if parsed.postcode else self._prefer_city)
            if city:
                in_city = [i for i in rows if self._city(i) == city]
                rows = in_city or rows
        if rows:
            points = self._xy[rows]
            if np.hypot(*(points.max(axis=0) - points.min(axis=0))) <= SAME_PLACE_M:
                x, y = points.mean(axis=0)
                return GeocodeResult(address=self._texts[rows[0]], x=float(x), y=float(y))
            places = sorted({self._texts[i] for i in rows})
            raise AddressNotFoundError(
                f"address {query!r} names several places; add the postcode: "
                + "; ".join(places[:N_SUGGESTIONS]),
                suggestions=places[:N_SUGGESTIONS],
            )
        suggestions = self.suggest(query)
        hint = (" Did you mean: " + "; ".join(suggestions) + "?") if suggestions else ""
        raise AddressNotFoundError(
            f"address {query!r} not found in the address table.{hint}", suggestions
        )

    def suggest(self, query: str, *, limit: int = N_SUGGESTIONS) -> list[str]:
        """Addresses most similar to ``query`` (best first).

        The most similar street names first, on each the house numbers closest to the one
        asked for (addresses in the preferred city first); without a house number in the
        query, the most similar full addresses.
        """
        query = bounded_query(query)
        if not self._choices or not query:
            return []
        parsed = parse_address(query)
        if parsed is not None and self._streets:
            streets = process.extract(parsed.street, self._streets, scorer=fuzz.ratio, limit=3)
            wanted = _number_value(parsed.number)
            out: dict[str, None] = {}
            for street, score, _ in streets:
                if score < 60:
                    continue
                rows = self._by_street[street]
                rows = sorted(
                    rows,
                    key=lambda i: (
                        self._city(i) != (parsed.city or self._prefer_city),
                        abs(_number_value(self._number(i)) - wanted),
                        self._texts[i],
                    ),
                )
                for i in rows[:limit]:
                    out.setdefault(self._texts[i], None)
                if len(out) >= limit:
                    break
            if out:
                return list(out)[:limit]
        folded = _fold(query)[: self._longest]
        hits = process.extract(folded, self._choices, scorer=fuzz.WRatio, limit=limit * 3)
        seen: dict[str, None] = {}
        for _choice, _score, i in hits:
            seen.setdefault(self._texts[i], None)
            if len(seen) >= limit:
                break
        return list(seen)

    def _postcode(self, i: int) -> str | None:
        parsed = self._parsed[i]
        return parsed.postcode if parsed else None

    def _number(self, i: int) -> str:
        parsed = self._parsed[i]
        return parsed.number if parsed else ""

    def _city(self, i: int) -> str | None:
        parsed = self._parsed[i]
        return parsed.city if parsed else None


def bounded_query(query: str) -> str:
    """``query`` stripped and cut to :data:`MAX_QUERY_CHARS` characters.

    Examples
    --------
    >>> len(bounded_query("Kaiserstraße " + "1" * 10_000))
    100
    """
    return (query or "").strip()[:MAX_QUERY_CHARS]


def _number_value(number: str) -> int:
    match = re.match(rf"\d{{1,{MAX_NUMBER_DIGITS}}}", number)
    return int(match.group(0)) if match else 0


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFC", text).lower().translate(_UMLAUTS)
    text = _STRASSE.sub("strasse", text)
    return re.sub(r"\s+", " ", text.replace("none", " ")).strip()


def geocode(
    addresses: gpd.GeoDataFrame, query: str, *, prefer_city: str | None = None
) -> GeocodeResult:
    """Find one address (see :class:`AddressIndex`; build the index yourself to query often)."""
    return AddressIndex(addresses, prefer_city=prefer_city).lookup(query)


def nearest_addresses(
    addresses: gpd.GeoDataFrame,
    xy: np.ndarray,
    *,
    max_m: float = NEAREST_ADDRESS_MAX_M,
) -> list[tuple[str, float] | None]:
    """The nearest address point to each of the points ``xy``, with its distance in metres.

    ``xy`` is ``(n, 2)`` in the addresses' CRS, which must be metric (distances are straight
    lines). A point with no address within ``max_m`` gets ``None``.

    Raises
    ------
    MissingColumnError
        If ``addresses`` has no ``address`` column.

    Examples
    --------
    >>> import shapely
    >>> a = gpd.GeoDataFrame({"address": ["Hauptstr. 1", "Ring 5"]},
    ...                      geometry=shapely.points([[0, 0], [500, 0]]), crs=25832)
    >>> nearest_addresses(a, np.array([[40.0, 30.0], [2000.0, 0.0]]), max_m=100)
    [('Hauptstr. 1', 50.0), None]
    """
    if "address" not in addresses.columns:
        raise MissingColumnError("`addresses` needs an `address` column")
    points = np.asarray(xy, dtype=float).reshape(-1, 2)
    texts = addresses["address"].astype("string")
    known = texts.notna().to_numpy() & ~addresses.geometry.is_empty.to_numpy()
    if not len(points) or not known.any():
        return [None] * len(points)
    coords = np.column_stack(
        [addresses.geometry.x.to_numpy()[known], addresses.geometry.y.to_numpy()[known]]
    )
    names = texts.to_numpy(dtype=object)[known]
    from scipy.spatial import cKDTree  # 0.4 s to import; the first page needs no lookup

    distance, row = cKDTree(coords).query(points, distance_upper_bound=float(max_m))
    return [
        (str(names[r]), round(float(d), 1)) if np.isfinite(d) else None
        for d, r in zip(np.atleast_1d(distance), np.atleast_1d(row), strict=True)
    ]


def nearest_address(
    addresses: gpd.GeoDataFrame, x: float, y: float, *, max_m: float = NEAREST_ADDRESS_MAX_M
) -> tuple[str, float] | None:
    """The nearest address to the point ``(x, y)`` and its distance (see :func:`nearest_addresses`)."""
    return nearest_addresses(addresses, np.array([[x, y]], dtype=float), max_m=max_m)[0]


__all__ = [
    "MAX_QUERY_CHARS",
    "NEAREST_ADDRESS_MAX_M",
    "AddressIndex",
    "GeocodeResult",
    "ParsedAddress",
    "bounded_query",
    "geocode",
    "nearest_address",
    "nearest_addresses",
    "normalise_number",
    "normalise_street",
    "parse_address",
]
