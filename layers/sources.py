"""Who made the data: the sources, licences and dates of a dataset's layers, collected once.

:func:`source_summary` is the language-neutral half of every source line (under the map, in
map and profile exports, in tables); ``dashboard.i18n.source_line`` renders it in German or
English.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class SourceCredit:
    """One credited source: who (attribution, else source, else file) and its licence."""

    name: str
    licence: str = ""


@dataclass(frozen=True)
class SourceSummary:
    """The distinct credits and data dates of some layers, in the order the layers list them."""

    credits: tuple[SourceCredit, ...] = ()
    dates: tuple[str, ...] = ()


def _field(record: Any, key: str) -> str:
    value = record.get(key) if isinstance(record, Mapping) else getattr(record, key, "")
    return "" if value is None else str(value).strip()


def source_summary(sources: Iterable[Any]) -> SourceSummary:
    """Collect the distinct credits and dates of ``sources``.

    Parameters
    ----------
    sources
        :class:`layers.dataset.LayerSource` records (``dataset.metadata.sources``) or dicts with
        ``attribution``, ``source``, ``file``, ``licence`` and ``date`` (as in a profile).

    Returns
    -------
    SourceSummary

    Examples
    --------
    >>> summary = source_summary(
    ...     [
    ...         {"attribution": "Stadt", "licence": "dl-de/by-2-0", "date": "2024"},
    ...         {"attribution": "Stadt", "licence": "dl-de/by-2-0", "date": "2023"},
    ...         {"file": "eigene.csv"},
    ...     ]
    ... )
    >>> [c.name for c in summary.credits], summary.dates
    (['Stadt', 'eigene.csv'], ('2024', '2023'))
    """
    credits: list[SourceCredit] = []
    dates: list[str] = []
    for record in sources:
        name = _field(record, "attribution") or _field(record, "source") or _field(record, "file")
        credit = SourceCredit(name, _field(record, "licence"))
        if name and credit not in credits:
            credits.append(credit)
        date = _field(record, "date")
        if date and date not in dates:
            dates.append(date)
    return SourceSummary(tuple(credits), tuple(dates))


__all__ = ["SourceCredit", "SourceSummary", "source_summary"]
