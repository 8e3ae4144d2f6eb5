"""The view state of the dashboard and its round trip through the URL query string.

Every view (tab, layers, categories, distance, years, selected area, scenario points, location,
language, presentation mode) is one :class:`ViewState`. :func:`to_query` writes only the values
that differ from the defaults, so a plain link stays short; :func:`from_query` reads a query
string back, ignoring unknown or invalid values (a shared link never breaks the app).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields, replace
from urllib.parse import parse_qs, urlencode

from dashboard.i18n import DEFAULT_LANG, LANGS

VIEWS: tuple[str, ...] = ("plan", "scenario", "coordinator", "compare")
UNITS: tuple[str, ...] = ("m", "min")
SPEEDS_KMH = {"normal": 4.5, "senior": 3.0}
"""Walking speeds: 4.5 km/h is a usual adult pace; 3.0 km/h a slow pace (seniors, with pram)."""
LEVELS: tuple[str, ...] = ("district", "planning_area")
LAYER_IDS: tuple[str, ...] = ("facilities", "gaps", "change", "upload")
BASEMAPS: tuple[str, ...] = ("none", "osm")
DISTANCE_MODES: tuple[str, ...] = ("euclidean", "network")
REQUIRES: tuple[str, ...] = ("all", "each")
"""Combine rules of several categories (as ``quartiersatlas coverage --require``)."""
MAX_SCENARIO_POINTS = 50
"""Most planned sites one state holds (links and callback payloads alike)."""
MAX_REMOVED = 500
"""Most switched-off facility ids one state holds (Karlsruhe has about 1,000 facilities)."""
MAX_TEXT_CHARS = 100
"""Longest id, category, group or area text one state holds."""
MAX_LIST_ITEMS = 100
"""Most categories or layers one state holds."""
MAX_DISTANCE = 20_000.0
MAX_ADDRESS_CHARS = 100
"""Longest address text kept in a state or a link (longer text is no address)."""
COORD_DECIMALS = 5
"""Coordinates in links are rounded to 5 decimals (about 1 m)."""


@dataclass(frozen=True)
class ViewState:
    """Everything a link restores. Coordinates are WGS84 (lat, lon)."""

    view: str = "plan"
    categories: tuple[str, ...] = ()
    distance: float = 500.0
    unit: str = "m"
    speed: str = "normal"
    year: int | None = None
    group: str = "total"
    level: str = "district"
    layers: tuple[str, ...] = ("facilities", "gaps", "upload")
    year_from: int | None = None
    year_to: int | None = None
    area: str | None = None
    added: tuple[tuple[str, float, float], ...] = ()
    """Planned facilities: (category, lat, lon)."""
    removed: tuple[str, ...] = ()
    """Ids of existing facilities switched off."""
    location: tuple[float, float] | None = None
    address: str | None = None
    """The address the location was found from (a label only; ``location`` is what counts)."""
    scenario_category: str | None = None
    lang: str = DEFAULT_LANG
    present: bool = False
    basemap: str = "none"
    distance_mode: str = "euclidean"
    """``euclidean`` (straight line) or ``network`` (along the dataset's walking network)."""
    require: str = "all"
    """With several categories: ``all`` (reaching all of them at once) or ``each`` (per category)."""
    extra: dict[str, str] = field(default_factory=dict, compare=False)

    @property
    def radius_m(self) -> float:
        """Walking distance in metres (minutes × walking speed)."""
        if self.unit == "min":
            return self.distance * SPEEDS_KMH.get(self.speed, 4.5) * 1000.0 / 60.0
        return self.distance

    def to_dict(self) -> dict:
        """Plain JSON-able dict (for a ``dcc.Store``)."""
        data = asdict(self)
        data.pop("extra")
        return data

    @classmethod
    def from_dict(cls, data: object) -> ViewState:
        """Inverse of :meth:`to_dict`, checked like a link: wrong types fall back to defaults.

        A callback payload is whatever a client sends, so every field is checked for its type
        and range with the rules of :func:`from_query` (lists capped, texts cut, numbers
        finite); an unusable value is replaced by the default, never raised. Unknown keys are
        ignored.

        Examples
        --------
        >>> ViewState.from_dict({"distance": "x", "removed": [None, "a"], "view": []}).removed
        ('a',)
        """
        if not isinstance(data, dict) or not data:
            return cls()
        return cls(**_checked_fields(data))

    def with_(self, **changes: object) -> ViewState:
        """A copy with ``changes`` (checked like :meth:`from_dict`; bad values keep the old)."""
        checked = _checked_fields(changes, base=self)
        return replace(self, **{k: checked[k] for k in changes if k in checked})


def _text(value: object) -> str | None:
    """A short text field, or None (numbers are accepted as their text)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        return None
    return value[:MAX_TEXT_CHARS]


def _texts(value: object, *, limit: int) -> tuple[str, ...] | None:
    if not isinstance(value, (list, tuple)):
        return None
    out = (t for t in (_text(v) for v in value[: limit * 2]) if t is not None)
    return tuple(dict.fromkeys(out))[:limit]


def _finite(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    if isinstance(value, str):
        return _float(value[:40])
    value = float(value)
    return value if math.isfinite(value) else None


def _year(value: object) -> int | None:
    number = _finite(value)
    if number is None or not number.is_integer() or not 1000 <= number <= 9999:
        return None
    return int(number)


def _point(value: object) -> tuple[float, float] | None:
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        return None
    lat, lon = _finite(value[0]), _finite(value[1])
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return round(lat, COORD_DECIMALS), round(lon, COORD_DECIMALS)


def _added(value: object) -> tuple[tuple[str, float, float], ...] | None:
    if not isinstance(value, (list, tuple)):
        return None
    out = []
    for item in value[:MAX_SCENARIO_POINTS]:
        if not isinstance(item, (list, tuple)) or len(item) != 3:
            continue
        cat, point = _text(item[0]), _point(item[1:])
        if cat is not None and point is not None:
            out.append((cat, *point))
    return tuple(out)


_CHOICES: dict[str, tuple[str, ...]] = {
    "view": VIEWS,
    "unit": UNITS,
    "speed": tuple(SPEEDS_KMH),
    "lang": LANGS,
    "basemap": BASEMAPS,
    "distance_mode": DISTANCE_MODES,
    "require": REQUIRES,
}


def _check(name: str, value: object) -> object:
    """``value`` made valid for the field ``name``, or the sentinel ``_BAD``."""
    if name in _CHOICES:
        return value if isinstance(value, str) and value in _CHOICES[name] else _BAD
    if name == "distance":
        number = _finite(value)
        return number if number is not None and 0 < number <= MAX_DISTANCE else _BAD
    if name in ("year", "year_from", "year_to"):
        return None if value is None else (_year(value) or _BAD)
    if name in ("area", "scenario_category", "address"):
        return None if value is None else (_text(value) or _BAD)
    if name in ("group", "level"):
        # a dataset may define further levels (groupings): the app checks them against its own
        return _text(value) or _BAD
    if name == "categories":
        return _bad_if_none(_texts(value, limit=MAX_LIST_ITEMS))
    if name == "layers":
        layers = _texts(value, limit=len(LAYER_IDS))
        return _BAD if layers is None else tuple(x for x in layers if x in LAYER_IDS)
    if name == "removed":
        return _bad_if_none(_texts(value, limit=MAX_REMOVED))
    if name == "added":
        return _bad_if_none(_added(value))
    if name == "location":
        return None if value is None else (_point(value) or _BAD)
    if name == "present":
        return value if isinstance(value, bool) else _BAD
    return _BAD  # "extra" and unknown names are not taken from a payload


_BAD = object()


def _bad_if_none(value: object) -> object:
    return _BAD if value is None else value


def _checked_fields(data: dict, *, base: ViewState | None = None) -> dict[str, object]:
    """The fields of ``data`` that are valid (defaults, or ``base``'s, replace the others)."""
    default = base or ViewState()
    out: dict[str, object] = {}
    for f in fields(ViewState):
        if f.name not in data:
            continue
        value = _check(f.name, data[f.name])
        out[f.name] = getattr(default, f.name) if value is _BAD else value
    return out


def _num(value: float) -> str:
    return f"{value:.{COORD_DECIMALS}f}".rstrip("0").rstrip(".")


def to_query(state: ViewState, *, defaults: ViewState | None = None) -> str:
    """Encode ``state`` as a query string (``"?k=v&…"``, empty when all values are defaults).

    Examples
    --------
    >>> to_query(ViewState(distance=300, lang="en"))
    '?dist=300&lang=en'
    """
    base = defaults or ViewState()
    items: list[tuple[str, str]] = []

    def put(key: str, value: object, default: object) -> None:
        if value != default and value is not None:
            items.append((key, str(value)))

    put("view", state.view, base.view)
    if state.categories != base.categories:
        items.append(("cat", ",".join(state.categories) or "-"))
    dist = state.distance
    put("dist", int(dist) if float(dist).is_integer() else dist, base.distance)
    put("unit", state.unit, base.unit)
    put("speed", state.speed, base.speed)
    put("year", state.year, base.year)
    put("group", state.group, base.group)
    put("level", state.level, base.level)
    if state.layers != base.layers:
        items.append(("layers", ",".join(state.layers) or "-"))
    put("y0", state.year_from, base.year_from)
    put("y1", state.year_to, base.year_to)
    put("area", state.area, base.area)
    if state.added:
        items.append(("add", ";".join(f"{c}:{_num(a)}:{_num(b)}" for c, a, b in state.added)))
    if state.removed:
        items.append(("off", ",".join(state.removed)))
    if state.location:
        items.append(("loc", f"{_num(state.location[0])},{_num(state.location[1])}"))
        if state.address:
            items.append(("addr", state.address))
    put("scat", state.scenario_category, base.scenario_category)
    put("lang", state.lang, base.lang)
    if state.present:
        items.append(("present", "1"))
    put("basemap", state.basemap, base.basemap)
    put("mode", state.distance_mode, base.distance_mode)
    put("require", state.require, base.require)
    return "?" + urlencode(items, safe=",;:") if items else ""


def _float(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _int(text: str) -> int | None:
    try:
        return int(text)
    except ValueError:
        return None


def _latlon(text: str) -> tuple[float, float] | None:
    parts = text.split(",") if "," in text else text.split(":")
    if len(parts) != 2:
        return None
    lat, lon = _float(parts[0]), _float(parts[1])
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return round(lat, COORD_DECIMALS), round(lon, COORD_DECIMALS)


def from_query(
    search: str | None,
    *,
    defaults: ViewState | None = None,
    categories: tuple[str, ...] | None = None,
    years: tuple[int, ...] | None = None,
    groups: tuple[str, ...] | None = None,
    levels: tuple[str, ...] = LEVELS,
) -> ViewState:
    """Decode a query string into a :class:`ViewState`; invalid values fall back to ``defaults``.

    Parameters
    ----------
    search
        ``location.search`` (with or without the leading ``?``).
    defaults
        The state used for everything the query does not set (validly).
    categories, years, groups, levels
        The valid values in this dataset; ``None`` accepts any.

    Examples
    --------
    >>> from_query("?dist=300&lang=en").radius_m
    300.0
    """
    base = defaults or ViewState()
    query = parse_qs((search or "").lstrip("?"), keep_blank_values=True)

    def get(key: str) -> str | None:
        values = query.get(key)
        return values[-1].strip() if values else None

    changes: dict[str, object] = {}
    if (view := get("view")) in VIEWS:
        changes["view"] = view
    if (cat := get("cat")) is not None:
        cats = tuple(dict.fromkeys(c for c in cat.split(",") if c and c != "-"))
        changes["categories"] = tuple(c for c in cats if categories is None or c in categories)
    if (dist := get("dist")) is not None and (value := _float(dist)) and 0 < value <= 20_000:
        changes["distance"] = value
    if (unit := get("unit")) in UNITS:
        changes["unit"] = unit
    if (speed := get("speed")) in SPEEDS_KMH:
        changes["speed"] = speed
    for key, name in (("year", "year"), ("y0", "year_from"), ("y1", "year_to")):
        text = get(key)
        y = _int(text) if text is not None else None
        if y is not None and (years is None or y in years):
            changes[name] = y
    if (group := get("group")) and (groups is None or group in groups):
        changes["group"] = group
    if (level := get("level")) in levels:
        changes["level"] = level
    if (layers := get("layers")) is not None:
        changes["layers"] = tuple(dict.fromkeys(x for x in layers.split(",") if x in LAYER_IDS))
    if area := get("area"):
        changes["area"] = area[:100]
    if add := get("add"):
        added = []
        for item in add.split(";")[:MAX_SCENARIO_POINTS]:
            parts = item.split(":")
            if len(parts) != 3 or (categories is not None and parts[0] not in categories):
                continue
            point = _latlon(f"{parts[1]},{parts[2]}")
            if point:
                added.append((parts[0], *point))
        changes["added"] = tuple(added)
    if off := get("off"):
        changes["removed"] = tuple(dict.fromkeys(x for x in off.split(",") if x))[:500]
    if (loc := get("loc")) and (point := _latlon(loc)):
        changes["location"] = point
        if (addr := get("addr")) and len(addr) <= MAX_ADDRESS_CHARS:
            changes["address"] = addr
    if (scat := get("scat")) and (categories is None or scat in categories):
        changes["scenario_category"] = scat
    if (lang := get("lang")) in LANGS:
        changes["lang"] = lang
    if get("present") in ("1", "true", "yes"):
        changes["present"] = True
    if (basemap := get("basemap")) in BASEMAPS:
        changes["basemap"] = basemap
    if (mode := get("mode")) in DISTANCE_MODES:
        changes["distance_mode"] = mode
    if (require := get("require")) in REQUIRES:
        changes["require"] = require
    return replace(base, **changes)
