"""Profile and need-index results as text in one language (labels, notes, the labelled profile).

:mod:`layers.profile` and :mod:`layers.need` return ids: population groups, categories, need
components and notes as ``{"id": ..., "params": {...}}``. This module turns them into German or
English text from the one catalogue (:data:`dashboard.i18n.TEXT`) and the dataset's own labels
(``labels``: ``label_de``/``label_en`` of groups and categories, which are data, as
:func:`layers.profile.data_labels` gives them and the profile carries them). The app's profile
panel, the profile PDF and the CLI (``profile``, ``need``) all render through it, so the same id
reads the same everywhere; the CLI keeps its German output.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dashboard.i18n import DEFAULT_LANG, TEXT, data_label, label, t
from layers.catalogue import default_group

Labels = Mapping[str, Mapping[str, Mapping[str, str]]]
"""``{"groups": {id: {"de": ..., "en": ...}}, "categories": {...}}`` (layers.profile.data_labels)."""

PROPOSAL_MARKERS = tuple(dict.fromkeys(TEXT["proposal"]))
"""A name that already says it is a proposal (in either language) is not marked twice."""


def _data_label(entry: Mapping[str, str], item_id: str, lang: str) -> str:
    return data_label(item_id, entry.get("de"), entry.get("en"), lang)


def group_label(labels: Labels, group: str, lang: str = DEFAULT_LANG) -> str:
    """Label of population group ``group``: the dataset's, a derived group's, else built-in."""
    entry = (labels.get("groups") or {}).get(group)
    if entry is not None:
        return _data_label(entry, group, lang)
    if f"group_{group}" in TEXT:  # groups derived by layers.demography.with_composite_groups
        return t(f"group_{group}", lang)
    return label(default_group(group), lang)


def category_label(labels: Labels, category: str, lang: str = DEFAULT_LANG) -> str:
    """Label of facility category ``category`` (its id when the catalogue does not know it)."""
    entry = (labels.get("categories") or {}).get(category)
    return category if entry is None else _data_label(entry, category, lang)


def proposal_name(name: str, *, proposal: bool, lang: str = DEFAULT_LANG) -> str:
    """An area name, marked as a proposal when the mapping is a computed one.

    Examples
    --------
    >>> proposal_name("Nord", proposal=True, lang="en")
    'Nord (proposal)'
    >>> proposal_name("Planungsgebiet 1 (Vorschlag)", proposal=True)
    'Planungsgebiet 1 (Vorschlag)'
    """
    if not proposal or any(marker in name for marker in PROPOSAL_MARKERS):
        return name
    return t("proposal_name", lang, name=name)


def note_text(note: Mapping[str, Any] | None, lang: str = DEFAULT_LANG) -> str | None:
    """A note of a result (``{"id": ..., "params": {...}}``) as a sentence; None stays None.

    Examples
    --------
    >>> note_text({"id": "no_comparison_year", "params": {"year": 2016}}, "en")
    'no comparison year before 2016'
    """
    if not note:
        return None
    params = dict(note.get("params") or {})
    if note["id"] == "population_projected":
        params["projection"] = t("projection_label", lang) + str(params.pop("detail", ""))
    if "years" in params:
        years = params["years"]
        params["years"] = ", ".join(str(y) for y in years) if years else t("years_none", lang)
    return t(f"note_{note['id']}", lang, **params)


def measure_label(measure: str, lang: str = DEFAULT_LANG) -> str:
    """Label of a programme measure id (the id itself when the catalogue does not know it).

    Examples
    --------
    >>> measure_label("stadtteilkoordination", "en"), measure_label("eigene_massnahme")
    ('District coordination', 'eigene_massnahme')
    """
    key = f"measure_{measure}"
    return t(key, lang) if key in TEXT else measure


def need_component_label(
    component: Mapping[str, Any], labels: Labels, lang: str = DEFAULT_LANG
) -> str:
    """Label of a need-index component (``component``, ``kind``, ``subject`` as in layers.need)."""
    name = str(component["component"])
    subject = str(component.get("subject") or "")
    if component.get("kind") == "coverage":
        return t("need_uncovered", lang, category=category_label(labels, subject, lang))
    if f"need_{name}" in TEXT:
        return t(f"need_{name}", lang)
    return t("need_growth", lang, group=group_label(labels, subject, lang))


def need_component_note(component: Mapping[str, Any], lang: str = DEFAULT_LANG) -> str | None:
    """The note of a component row of ``layers.need.NeedIndex.components`` (None without one)."""
    note_id = component.get("note")
    if not note_id:
        return None
    return note_text({"id": note_id, "params": component.get("note_params") or {}}, lang)


def _with_field(record: Mapping[str, Any], after: str, name: str, value: Any) -> dict[str, Any]:
    """A copy of ``record`` with ``name: value`` placed right after the key ``after``."""
    out: dict[str, Any] = {}
    for key, old in record.items():
        out[key] = old
        if key == after:
            out[name] = value
    return out


def _with_label(record: Mapping[str, Any], after: str, text: str) -> dict[str, Any]:
    """A copy of ``record`` with ``label`` placed right after the key ``after``."""
    return _with_field(record, after, "label", text)


def _area(area: Mapping[str, Any], lang: str) -> dict[str, Any]:
    planning = area.get("planning_area")
    proposal = bool(planning and planning.get("proposal"))
    out = dict(area)
    if area.get("level") == "planning_area":
        out["name"] = proposal_name(str(area["name"]), proposal=proposal, lang=lang)
    if planning:
        out["planning_area"] = {
            "id": planning["id"],
            "name": proposal_name(str(planning["name"]), proposal=proposal, lang=lang),
            "proposal": planning["proposal"],
            "label": t("proposal" if proposal else "planning_area_official", lang),
            "coordinator": planning.get("coordinator"),
        }
    return out


def _population(population: Mapping[str, Any], labels: Labels, lang: str) -> dict[str, Any]:
    def groups(rows: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
        return [_with_label(r, "group", group_label(labels, r["group"], lang)) for r in rows]

    out = dict(population)
    for key in ("age_structure", "trend", "change"):
        out[key] = groups(population.get(key) or [])
    projection = population.get("projection")
    if projection is not None:
        out["projection"] = {
            "label": t("projection_label", lang) + str(projection.get("detail") or ""),
            "fits": projection.get("fits", []),
        }
    return out


def _per_category(section: Mapping[str, Any], labels: Labels, lang: str) -> dict[str, Any]:
    out = dict(section)
    out["per_category"] = [
        _with_label(r, "category", category_label(labels, r["category"], lang))
        for r in section.get("per_category") or []
    ]
    out["note"] = note_text(section.get("note"), lang)
    return out


def need_components(
    components: list[Mapping[str, Any]], labels: Labels, lang: str = DEFAULT_LANG
) -> list[dict[str, Any]]:
    """Need components with a ``label`` after ``component``, notes as text, no ``subject``.

    ``components`` are rows of ``layers.need.NeedIndex.components`` (note id and
    ``note_params``) or of a profile's ``need_index`` (note as ``{"id", "params"}``).
    """
    out = []
    for component in components:
        row = _with_label(component, "component", need_component_label(component, labels, lang))
        row.pop("subject", None)
        note = component.get("note")
        if isinstance(note, Mapping):
            row["note"] = note_text(note, lang)
        else:
            row["note"] = need_component_note(component, lang)
        row.pop("note_params", None)
        out.append(row)
    return out


def _need(need: Mapping[str, Any], labels: Labels, lang: str) -> dict[str, Any]:
    out = dict(need)
    if "note" in need:
        out["note"] = note_text(need["note"], lang)
    if "components" in need:
        out["components"] = need_components(need["components"], labels, lang)
    return out


def localise_profile(profile: Mapping[str, Any], lang: str = DEFAULT_LANG) -> dict[str, Any]:
    """The profile of :func:`layers.profile.area_profile` with labels and notes as text.

    Every group, category and need component gets a ``label`` next to its id, every note becomes
    a sentence in ``lang``, and a proposed planning area is marked. In German this is the
    ``quartiersatlas profile --format json`` contract (the data labels the profile carries for
    this are left out).
    """
    labels = profile.get("labels") or {}
    out = {
        **profile,
        "area": _area(profile["area"], lang),
        "notes": [note_text(n, lang) for n in profile.get("notes") or []],
        "population": _population(profile["population"], labels, lang),
        "facilities": _per_category(profile["facilities"], labels, lang),
        "coverage": _per_category(profile["coverage"], labels, lang),
        "need_index": _need(profile.get("need_index") or {}, labels, lang),
        "programme": [
            _with_field(p, "measure", "measure_label", measure_label(str(p.get("measure")), lang))
            for p in profile.get("programme") or []
        ],
    }
    out.pop("labels", None)
    return out


__all__ = [
    "category_label",
    "group_label",
    "localise_profile",
    "measure_label",
    "need_component_label",
    "need_component_note",
    "need_components",
    "note_text",
    "proposal_name",
]
