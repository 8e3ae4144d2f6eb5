"""Read a ``dataset.toml`` manifest into immutable dataclasses (see docs/dataset-format.md)."""

from __future__ import annotations

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
    "districts": frozenset(),
    "facilities": frozenset({"category", "category_map", "category_map_default"}),
    "population": frozenset({"year", "group", "groups", "district_key", "missing_reason"}),
    "residents": frozenset(),
    "addresses": frozenset(),
    "planning_areas": frozenset({"proposal"}),
    "programme": frozenset(),
    "network": frozenset({"approximate"}),
}
_TOP_KEYS = frozenset({"metadata", "categories", "groups", *_EXTRA_KEYS})


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
        return tuple(s for s in (*single[:1], *self.facilities, *self.population, *single[1:]) if s)


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
    result: list[Category] = []
    for index, entry in enumerate(value):
        cid = str(entry.get("id", "")).strip() if isinstance(entry, dict) else ""
        if not cid:
            collector.error(MANIFEST_NAME, f"[[categories]] entry {index + 1} needs an id")
            continue
        if any(c.id == cid for c in result):
            collector.error(MANIFEST_NAME, f"[[categories]] id {cid!r} is listed twice")
            continue
        base = defaults.get(cid)
        from layers.catalogue import PALETTE

        colour = str(entry.get("colour", base.colour if base else PALETTE[index % len(PALETTE)]))
        if not (colour.startswith("#") and len(colour) == 7):
            collector.error(MANIFEST_NAME, f"[[categories]] {cid}: colour must be '#rrggbb'")
            colour = PALETTE[index % len(PALETTE)]
        result.append(
            Category(
                cid,
                str(entry.get("label_de", base.label_de if base else cid)),
                str(entry.get("label_en", base.label_en if base else cid)),
                colour,
                str(entry.get("description_de", base.description_de if base else "")),
                str(entry.get("description_en", base.description_en if base else "")),
            )
        )
    return tuple(result) or DEFAULT_CATEGORIES


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
