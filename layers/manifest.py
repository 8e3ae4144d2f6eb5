"""Read a ``dataset.toml`` manifest into immutable dataclasses (see docs/dataset-format.md)."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from layers._validate import IssueCollector
from layers.catalogue import DEFAULT_CATEGORIES, Category, Group, default_group
from layers.errors import ManifestError

MANIFEST_NAME = "dataset.toml"

_LAYER_KEYS = frozenset(
    {
        "path",
        "columns",
        "crs",
        "layer",
        "encoding",
        "delimiter",
        "decimal",
        "thousands",
        "attribution",
        "licence",
        "license",
        "date",
        "source",
        "note",
    }
)
_EXTRA_KEYS: dict[str, frozenset[str]] = {
    "districts": frozenset({"label_de", "label_en"}),
    "facilities": frozenset({"category", "category_map", "category_map_default"}),
    "population": frozenset(
        {
            "year",
            "group",
            "groups",
            "district_key",
            "missing_reason",
            "filter",
            "exclude",
            "group_map",
        }
    ),
    "residents": frozenset(),
    "addresses": frozenset(),
    "planning_areas": frozenset({"proposal"}),
    "programme": frozenset(),
    "network": frozenset({"approximate"}),
    "groupings": frozenset({"id", "label_de", "label_en", "note_de", "note_en", "empty"}),
}
_TOP_KEYS = frozenset({"metadata", "categories", "groups", *_EXTRA_KEYS})
_BUILTIN_LEVELS = ("district", "planning_area")
_LEVEL_ID = re.compile(r"[a-z][a-z0-9_]*")


@dataclass(frozen=True)
class LayerSpec:
    """One layer table of the manifest: the file, its column mapping and reading options."""

    kind: str
    path: Path
    file: str
    columns: MappingProxyType
    crs: str | None = None
    layer: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    decimal: str | None = None
    thousands: str | None = None
    attribution: str = ""
    licence: str = ""
    date: str = ""
    source: str = ""
    note: str = ""
    options: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))

    def column(self, canonical: str) -> str:
        """The file's own name of the canonical column ``canonical``."""
        return str(self.columns.get(canonical, canonical))

    def option(self, key: str, default: Any = None) -> Any:
        """A layer-specific option (e.g. ``category_map``, ``year``)."""
        return self.options.get(key, default)


@dataclass(frozen=True)
class DerivedGroup:
    """A population group summed from other groups (``[[groups]] sum_of = [...]``)."""

    id: str
    parts: tuple[str, ...]


@dataclass(frozen=True)
class GroupingSpec:
    """A ``[[groupings]]`` table: a further grouping of districts that becomes a level.

    ``spec`` is ``None`` for an ``empty = true`` grouping without a file.
    """

    id: str
    label_de: str
    label_en: str
    note_de: str
    note_en: str
    empty: bool
    spec: LayerSpec | None
    source: str = ""
    licence: str = ""
    attribution: str = ""
    date: str = ""

    def label(self, lang: str) -> str:
        """Label in ``lang`` (``"de"`` or ``"en"``)."""
        return self.label_en if lang == "en" else self.label_de

    def note(self, lang: str) -> str:
        """Note in ``lang`` (falls back to the other language)."""
        return (self.note_en or self.note_de) if lang == "en" else (self.note_de or self.note_en)


@dataclass(frozen=True)
class Manifest:
    """A parsed manifest: metadata, catalogues and the layer tables."""

    root: Path
    name: str
    city: str
    metric_crs: str | None
    description: str
    notes: str
    attribution: str
    licence: str
    date: str
    categories: tuple[Category, ...]
    groups: tuple[Group, ...]
    districts: LayerSpec | None
    facilities: tuple[LayerSpec, ...]
    population: tuple[LayerSpec, ...]
    residents: LayerSpec | None
    addresses: LayerSpec | None
    planning_areas: LayerSpec | None
    programme: LayerSpec | None
    network: LayerSpec | None
    derived_groups: tuple[DerivedGroup, ...] = ()
    groupings: tuple[GroupingSpec, ...] = ()

    def layers(self) -> tuple[LayerSpec, ...]:
        """Every layer table, in manifest order of kinds."""
        single = (
            self.districts,
            self.residents,
            self.addresses,
            self.planning_areas,
            self.programme,
            self.network,
        )
        groupings = tuple(g.spec for g in self.groupings)
        return tuple(
            s
            for s in (*single[:1], *self.facilities, *self.population, *single[1:], *groupings)
            if s
        )


def manifest_path(path: str | Path) -> Path:
    """Return the manifest file for a dataset folder (or the file itself)."""
    candidate = Path(path)
    return candidate if candidate.suffix == ".toml" else candidate / MANIFEST_NAME


def read_manifest(path: str | Path, collector: IssueCollector) -> Manifest:
    """Parse the manifest of the dataset at ``path``; problems go to ``collector``.

    Raises
    ------
    ManifestError
        If the manifest is missing or is not valid TOML (nothing else can be checked then).
    """
    file = manifest_path(path)
    if not file.is_file():
        raise ManifestError(
            f"{file}: no {MANIFEST_NAME} found; a dataset is a folder with a {MANIFEST_NAME} "
            "manifest (see docs/dataset-format.md)"
        )
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8-sig"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ManifestError(f"{file}: not a valid TOML file: {exc}") from exc
    root = file.parent.resolve()
    for key in sorted(set(data) - _TOP_KEYS):
        collector.warning(MANIFEST_NAME, f"unknown table [{key}] is ignored")
    meta = _table(data.get("metadata", {}), "metadata", collector)
    name = str(meta.get("name") or root.name)
    return Manifest(
        root=root,
        name=name,
        city=str(meta.get("city") or name),
        metric_crs=str(meta["metric_crs"]) if meta.get("metric_crs") else None,
        description=str(meta.get("description", "")),
        notes=str(meta.get("notes", "")),
        attribution=str(meta.get("attribution", "")),
        licence=str(meta.get("licence", meta.get("license", ""))),
        date=str(meta.get("date", "")),
        categories=_categories(data.get("categories"), collector),
        groups=_groups(data.get("groups"), collector),
        derived_groups=_derived_groups(data.get("groups"), collector),
        groupings=_groupings(data.get("groupings"), root, meta, collector),
        districts=_single(data, "districts", root, meta, collector, required=True),
        facilities=_many(data, "facilities", root, meta, collector),
        population=_many(data, "population", root, meta, collector),
        residents=_single(data, "residents", root, meta, collector),
        addresses=_single(data, "addresses", root, meta, collector),
        planning_areas=_single(data, "planning_areas", root, meta, collector),
        programme=_single(data, "programme", root, meta, collector),
        network=_single(data, "network", root, meta, collector),
    )


def _table(value: Any, name: str, collector: IssueCollector) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    collector.error(MANIFEST_NAME, f"[{name}] must be a table")
    return {}


def _single(
    data: dict[str, Any],
    kind: str,
    root: Path,
    meta: dict[str, Any],
    collector: IssueCollector,
    *,
    required: bool = False,
) -> LayerSpec | None:
    value = data.get(kind)
    if value is None:
        if required:
            collector.error(MANIFEST_NAME, f"the required table [{kind}] is missing")
        return None
    if isinstance(value, list):
        collector.error(MANIFEST_NAME, f"[{kind}] must be a single table, not [[{kind}]]")
        return None
    return _layer(value, kind, root, meta, collector)


def _many(
    data: dict[str, Any], kind: str, root: Path, meta: dict[str, Any], collector: IssueCollector
) -> tuple[LayerSpec, ...]:
    value = data.get(kind)
    if value is None:
        return ()
    tables = value if isinstance(value, list) else [value]
    specs = (_layer(t, kind, root, meta, collector) for t in tables)
    return tuple(s for s in specs if s is not None)


def _layer(
    table: Any, kind: str, root: Path, meta: dict[str, Any], collector: IssueCollector
) -> LayerSpec | None:
    if not isinstance(table, dict):
        collector.error(MANIFEST_NAME, f"[{kind}] must be a table")
        return None
    raw_path = table.get("path")
    if not raw_path or not isinstance(raw_path, str):
        collector.error(MANIFEST_NAME, f'[{kind}] needs path = "<file>"')
        return None
    resolved = (root / raw_path).resolve()
    if not resolved.is_relative_to(root):
        collector.error(
            MANIFEST_NAME, f"[{kind}] path {raw_path!r} points outside the dataset folder"
        )
        return None
    allowed = _LAYER_KEYS | _EXTRA_KEYS[kind]
    for key in sorted(set(table) - allowed):
        collector.warning(MANIFEST_NAME, f"[{kind}] key {key!r} is unknown and ignored")
    columns = table.get("columns", {})
    if not isinstance(columns, dict) or not all(isinstance(v, str) for v in columns.values()):
        collector.error(MANIFEST_NAME, f"[{kind}] columns must map names to strings")
        columns = {}
    options = {k: table[k] for k in _EXTRA_KEYS[kind] if k in table}
    return LayerSpec(
        kind=kind,
        path=resolved,
        file=raw_path,
        columns=MappingProxyType(dict(columns)),
        crs=_opt_str(table.get("crs")),
        layer=_opt_str(table.get("layer")),
        encoding=_opt_str(table.get("encoding")),
        delimiter=_opt_str(table.get("delimiter")),
        decimal=_opt_str(table.get("decimal")),
        thousands=_opt_str(table.get("thousands")),
        attribution=str(table.get("attribution", meta.get("attribution", ""))),
        licence=str(table.get("licence", table.get("license", meta.get("licence", "")))),
        date=str(table.get("date", meta.get("date", ""))),
        source=str(table.get("source", "")),
        note=str(table.get("note", "")),
        options=MappingProxyType(options),
    )


def _opt_str(value: Any) -> str | None:
    return None if value is None else str(value)


def _categories(value: Any, collector: IssueCollector) -> tuple[Category, ...]:
    if value is None:
        return DEFAULT_CATEGORIES
    if not isinstance(value, list) or not value:
        collector.error(MANIFEST_NAME, "[[categories]] must be a non-empty array of tables")
        return DEFAULT_CATEGORIES
    defaults = {c.id: c for c in DEFAULT_CATEGORIES}
    entries: list[tuple[str, dict[str, Any], str | None]] = []
    for index, entry in enumerate(value):
        cid = str(entry.get("id", "")).strip() if isinstance(entry, dict) else ""
        if not cid:
            collector.error(MANIFEST_NAME, f"[[categories]] entry {index + 1} needs an id")
            continue
        if any(known == cid for known, _, _ in entries):
            collector.error(MANIFEST_NAME, f"[[categories]] id {cid!r} is listed twice")
            continue
        base = defaults.get(cid)
        colour = entry.get("colour", base.colour if base else None)
        if colour is not None:
            colour = str(colour)
            if not (colour.startswith("#") and len(colour) == 7):
                collector.error(MANIFEST_NAME, f"[[categories]] {cid}: colour must be '#rrggbb'")
                colour = None
        entries.append((cid, entry, colour))
    colours = _category_colours(entries, collector)
    result = []
    for cid, entry, _ in entries:
        base = defaults.get(cid)
        result.append(
            Category(
                cid,
                str(entry.get("label_de", base.label_de if base else cid)),
                str(entry.get("label_en", base.label_en if base else cid)),
                colours[cid],
                str(entry.get("description_de", base.description_de if base else "")),
                str(entry.get("description_en", base.description_en if base else "")),
            )
        )
    return tuple(result) or DEFAULT_CATEGORIES


def _category_colours(
    entries: list[tuple[str, dict[str, Any], str | None]], collector: IssueCollector
) -> dict[str, str]:
    """Colour of every category: its own or default one, else the first palette colour unused.

    A colour given twice makes two categories look alike on the map, so it is a warning.
    """
    from layers.catalogue import PALETTE

    colours: dict[str, str] = {}
    taken: dict[str, str] = {}
    for cid, _, colour in entries:
        if colour is None:
            continue
        key = colour.casefold()
        if key in taken:
            collector.warning(
                MANIFEST_NAME,
                f"[[categories]] {cid}: colour {colour!r} repeats the colour of {taken[key]!r}; "
                "the two categories look alike on the map, choose another colour",
                column="colour",
            )
        else:
            taken[key] = cid
        colours[cid] = colour
    free = [c for c in PALETTE if c.casefold() not in taken]
    for index, (cid, _, colour) in enumerate(entries):
        if colour is None:
            colours[cid] = free.pop(0) if free else PALETTE[index % len(PALETTE)]
    return colours


def _groups(value: Any, collector: IssueCollector) -> tuple[Group, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        collector.error(MANIFEST_NAME, "[[groups]] must be an array of tables")
        return ()
    result = []
    for index, entry in enumerate(value):
        gid = str(entry.get("id", "")).strip() if isinstance(entry, dict) else ""
        if not gid:
            collector.error(MANIFEST_NAME, f"[[groups]] entry {index + 1} needs an id")
            continue
        base = default_group(gid)
        result.append(
            Group(
                gid,
                str(entry.get("label_de", base.label_de)),
                str(entry.get("label_en", base.label_en)),
                str(entry.get("note_de", "")),
                str(entry.get("note_en", "")),
            )
        )
    return tuple(result)


def _derived_groups(value: Any, collector: IssueCollector) -> tuple[DerivedGroup, ...]:
    if not isinstance(value, list):
        return ()
    result = []
    for entry in value:
        if not isinstance(entry, dict) or "sum_of" not in entry:
            continue
        gid = str(entry.get("id", "")).strip()
        parts = entry["sum_of"]
        if (
            not isinstance(parts, list)
            or len(parts) < 2
            or not all(isinstance(p, str) and p.strip() for p in parts)
        ):
            collector.error(
                MANIFEST_NAME,
                f"[[groups]] {gid}: sum_of must list two or more group values, "
                'e.g. sum_of = ["65 - < 75", "75 und älter"]',
                column="sum_of",
            )
            continue
        if gid and gid not in {g.id for g in result}:
            result.append(DerivedGroup(gid, tuple(p.strip() for p in parts)))
    return tuple(result)


def _groupings(
    value: Any, root: Path, meta: dict[str, Any], collector: IssueCollector
) -> tuple[GroupingSpec, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        collector.error(MANIFEST_NAME, "[[groupings]] must be an array of tables")
        return ()
    result: list[GroupingSpec] = []
    for index, entry in enumerate(value):
        if not isinstance(entry, dict):
            collector.error(MANIFEST_NAME, f"[[groupings]] entry {index + 1} must be a table")
            continue
        gid = str(entry.get("id", "")).strip()
        if not _LEVEL_ID.fullmatch(gid) or gid in _BUILTIN_LEVELS:
            collector.error(
                MANIFEST_NAME,
                f"[[groupings]] entry {index + 1}: id {gid!r} must be lower-case letters, digits "
                f"and _ (it becomes a level: --level {gid or 'ortschaft'}) and not one of "
                f"{', '.join(_BUILTIN_LEVELS)}",
                column="id",
            )
            continue
        if any(g.id == gid for g in result):
            collector.error(MANIFEST_NAME, f"[[groupings]] id {gid!r} is listed twice", column="id")
            continue
        empty = entry.get("empty", False)
        if not isinstance(empty, bool):
            collector.error(MANIFEST_NAME, f"[[groupings]] {gid}: empty must be true or false")
            continue
        note_de, note_en = str(entry.get("note_de", "")), str(entry.get("note_en", ""))
        spec = None
        if empty:
            if not (note_de or note_en):
                collector.error(
                    MANIFEST_NAME,
                    f"[[groupings]] {gid}: an empty grouping needs note_de/note_en saying why "
                    "(e.g. no public source supports a mapping)",
                )
            if "path" in entry:
                collector.warning(
                    MANIFEST_NAME, f"[[groupings]] {gid}: empty = true, so path is not read"
                )
        else:
            spec = _layer(entry, "groupings", root, meta, collector)
            if spec is None:
                continue
        result.append(
            GroupingSpec(
                id=gid,
                label_de=str(entry.get("label_de", gid)),
                label_en=str(entry.get("label_en", entry.get("label_de", gid))),
                note_de=note_de,
                note_en=note_en,
                empty=empty,
                spec=spec,
                source=str(entry.get("source", "")),
                licence=str(entry.get("licence", entry.get("license", ""))),
                attribution=str(entry.get("attribution", "")),
                date=str(entry.get("date", "")),
            )
        )
    return tuple(result)
