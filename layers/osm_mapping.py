"""The tag→category table of the OSM import: rules read from TOML, first match wins.

The defaults ship as ``layers/osm_mapping.toml`` (read with :mod:`importlib.resources`); a user's
file adds rules before them or replaces them. Format and default rules: docs/osm-import.md.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from layers.errors import OsmImportError

MAPPING_RESOURCE = "osm_mapping.toml"
"""The default mapping table shipped inside :mod:`layers`."""

_RULE_KEYS = frozenset({"category", "subcategory", "match", "unless", "wiki"})
_CATEGORY_ID = re.compile(r"^[a-z][a-z0-9_]*$")

Condition = Callable[[str | None], bool]
"""A test of one tag value (None when the object lacks the key)."""


@dataclass(frozen=True)
class TagRule:
    """One row of the mapping table: tag conditions and the category they give.

    Attributes
    ----------
    category
        Category id (``meeting``, ``counselling``, ``care``, ``participation``, ``network``, or
        one the dataset's catalogue defines).
    subcategory
        Label written into the ``subcategory`` column.
    match
        ``(key, condition)`` pairs that must all hold.
    unless
        ``(key, condition)`` pairs; the rule does not apply if any holds.
    """

    category: str
    subcategory: str
    match: tuple[tuple[str, Condition], ...]
    unless: tuple[tuple[str, Condition], ...] = ()

    def applies(self, tags: Mapping[str, str]) -> bool:
        """True when ``tags`` meet every ``match`` condition and no ``unless`` condition."""
        return all(test(tags.get(key)) for key, test in self.match) and not any(
            test(tags.get(key)) for key, test in self.unless
        )

    def filter_key(self) -> str:
        """A key every matching object carries (preferring one tested for a fixed value)."""
        keys = [key for key, _ in self.match]
        plain = [key for key in keys if key != "name"]
        return (plain or keys)[0]


@dataclass(frozen=True)
class OsmMapping:
    """The tag→category table: rules tried in order (first match wins) and unmapped keys."""

    rules: tuple[TagRule, ...]
    unmapped_keys: tuple[str, ...]
    sources: tuple[str, ...] = ()
    _rule_keys: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # most objects (buildings, streets) carry none of these keys: skip the rules at once
        object.__setattr__(self, "_rule_keys", frozenset(r.filter_key() for r in self.rules))

    def classify(self, tags: Mapping[str, str]) -> TagRule | None:
        """The first rule that applies to ``tags``, or None."""
        if self._rule_keys.isdisjoint(tags):
            return None
        for rule in self.rules:
            if rule.applies(tags):
                return rule
        return None

    def unmapped_tag(self, tags: Mapping[str, str]) -> str | None:
        """``key=value`` of the first unmapped key ``tags`` carry (for objects no rule took)."""
        for key in self.unmapped_keys:
            value = tags.get(key)
            if value is not None:
                return f"{key}={value}"
        return None

    def filter_keys(self) -> tuple[str, ...]:
        """Keys an object needs to be looked at by a rule or the unmapped count."""
        keys = {rule.filter_key() for rule in self.rules} | set(self.unmapped_keys)
        return tuple(sorted(keys))


def _condition(value: Any, *, where: str) -> Condition:
    if isinstance(value, str):
        if value == "*":
            return lambda v: v is not None
        if value.startswith("~"):
            try:
                pattern = re.compile(value[1:])
            except re.error as exc:
                raise OsmImportError(
                    f"{where}: invalid regular expression {value!r}: {exc}"
                ) from exc
            return lambda v: v is not None and pattern.search(v) is not None
        return lambda v: v == value
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        allowed = frozenset(value)
        return lambda v: v in allowed
    raise OsmImportError(
        f'{where}: value must be a string, "*", "~regex" or a non-empty list of strings, '
        f"got {value!r}"
    )


def _conditions(table: Any, *, where: str, required: bool) -> tuple[tuple[str, Condition], ...]:
    if table is None and not required:
        return ()
    if not isinstance(table, dict) or (required and not table):
        raise OsmImportError(
            f'{where} must be a table of tag conditions such as {{ amenity = "community_centre" }}'
        )
    return tuple(
        (str(key), _condition(value, where=f"{where}.{key}")) for key, value in table.items()
    )


def _parse_rules(data: Mapping[str, Any], *, file: str) -> tuple[TagRule, ...]:
    raw_rules = data.get("rule", [])
    if not isinstance(raw_rules, list):
        raise OsmImportError(f"{file}: `rule` must be an array of tables ([[rule]])")
    rules = []
    for number, raw in enumerate(raw_rules, start=1):
        where = f"{file}: rule {number}"
        if not isinstance(raw, dict):
            raise OsmImportError(f"{where} must be a table ([[rule]])")
        unknown = sorted(set(raw) - _RULE_KEYS)
        if unknown:
            raise OsmImportError(
                f"{where}: unknown key {unknown[0]!r} (valid: {', '.join(sorted(_RULE_KEYS))})"
            )
        category = raw.get("category")
        if not isinstance(category, str) or not _CATEGORY_ID.match(category):
            raise OsmImportError(
                f'{where}: `category` must be a category id such as "meeting" '
                f"(lower case letters, digits, _), got {category!r}"
            )
        subcategory = raw.get("subcategory", "")
        if not isinstance(subcategory, str):
            raise OsmImportError(f"{where}: `subcategory` must be a string, got {subcategory!r}")
        rules.append(
            TagRule(
                category=category,
                subcategory=subcategory,
                match=_conditions(raw.get("match"), where=f"{where}: match", required=True),
                unless=_conditions(raw.get("unless"), where=f"{where}: unless", required=False),
            )
        )
    return tuple(rules)


def _read_toml(text: str, *, file: str) -> dict[str, Any]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise OsmImportError(f"cannot read mapping {file}: {exc}") from exc
    unknown = sorted(set(data) - {"rule", "settings"})
    if unknown:
        raise OsmImportError(f"{file}: unknown key {unknown[0]!r} (valid: rule, settings)")
    settings = data.get("settings", {})
    if not isinstance(settings, dict):
        raise OsmImportError(f"{file}: `settings` must be a table ([settings])")
    bad = sorted(set(settings) - {"unmapped_keys", "replace_defaults"})
    if bad:
        raise OsmImportError(
            f"{file}: unknown key settings.{bad[0]} (valid: unmapped_keys, replace_defaults)"
        )
    keys = settings.get("unmapped_keys")
    if keys is not None and not (isinstance(keys, list) and all(isinstance(k, str) for k in keys)):
        raise OsmImportError(f"{file}: settings.unmapped_keys must be a list of tag keys")
    if not isinstance(settings.get("replace_defaults", False), bool):
        raise OsmImportError(f"{file}: settings.replace_defaults must be true or false")
    return data


def default_mapping() -> OsmMapping:
    """The mapping table shipped with Quartiersatlas (``layers/osm_mapping.toml``)."""
    text = resources.files("layers").joinpath(MAPPING_RESOURCE).read_text(encoding="utf-8")
    data = _read_toml(text, file=MAPPING_RESOURCE)
    return OsmMapping(
        rules=_parse_rules(data, file=MAPPING_RESOURCE),
        unmapped_keys=tuple(data["settings"]["unmapped_keys"]),
        sources=(MAPPING_RESOURCE,),
    )


def load_mapping(path: str | Path | None = None) -> OsmMapping:
    """Read a mapping table: the defaults, extended (or replaced) by the file at ``path``.

    The file's rules are tried before the default rules, so they win; with
    ``[settings] replace_defaults = true`` only the file's rules are used. Its
    ``settings.unmapped_keys``, when given, replaces the default list.

    Parameters
    ----------
    path
        A TOML file with ``[[rule]]`` tables (see ``layers/osm_mapping.toml``); None gives
        the defaults.

    Returns
    -------
    OsmMapping
        The rules in the order they are tried.

    Raises
    ------
    OsmImportError
        If the file is missing or malformed; the message names the file, rule and key.
    """
    defaults = default_mapping()
    if path is None:
        return defaults
    source = Path(path)
    try:
        text = source.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise OsmImportError(f"mapping file {source} does not exist") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise OsmImportError(f"cannot read mapping file {source}: {exc}") from exc
    data = _read_toml(text, file=str(source))
    rules = _parse_rules(data, file=str(source))
    settings = data.get("settings", {})
    replace = settings.get("replace_defaults", False)
    if replace and not rules:
        raise OsmImportError(f"{source}: replace_defaults = true but the file has no [[rule]]")
    return OsmMapping(
        rules=rules if replace else rules + defaults.rules,
        unmapped_keys=tuple(settings.get("unmapped_keys", defaults.unmapped_keys)),
        sources=(str(source),) if replace else (str(source), *defaults.sources),
    )
