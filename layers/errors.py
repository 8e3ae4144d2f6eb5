"""Domain exceptions of the analysis core.

Every exception subclasses :class:`LayersError` and, where it fits, a builtin, so that callers
can catch either (``except LayersError`` or ``except ValueError``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from layers._validate import Issue


class LayersError(Exception):
    """Base class of all errors raised by :mod:`layers`."""


class CrsError(LayersError, ValueError):
    """A layer has no CRS, an unknown CRS, or a CRS unfit for the operation."""


class MissingColumnError(LayersError, KeyError):
    """A required column is missing from a table or layer."""

    def __str__(self) -> str:  # KeyError would otherwise repr() the message
        return str(self.args[0]) if self.args else ""


class NonUniqueIdError(LayersError, ValueError):
    """Ids that must be unique are repeated."""


class EmptyLayerError(LayersError, ValueError):
    """A layer that must hold features holds none."""


class CatalogueError(LayersError, ValueError):
    """A category, group, year or area is not in the dataset's catalogue."""


class ManifestError(LayersError, ValueError):
    """A ``dataset.toml`` manifest is missing, malformed or inconsistent."""


class MissingDataError(LayersError, LookupError):
    """A value is not in the data (for example an age group for a year); the message says why."""


class NetworkError(LayersError, ValueError):
    """A walking network file cannot be used (not lines, unreadable, empty)."""


class FetchError(LayersError, RuntimeError):
    """Downloading source data failed (timeout, HTTP error, malformed response).

    ``url`` and ``reason`` (and ``item_id``, the catalogue entry) are set when known.
    """

    def __init__(
        self,
        message: str,
        *,
        url: str | None = None,
        reason: str | None = None,
        item_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.url = url
        self.reason = reason
        self.item_id = item_id


class SourceCatalogueError(LayersError, ValueError):
    """A source catalogue (``data/sources/<city>.csv``) is missing, malformed or lacks an entry."""


class StoreError(LayersError, RuntimeError):
    """A data store (files or database) cannot be read or written."""


class ExportError(StoreError):
    """An export (map image, PDF, table) cannot be rendered or written; nothing partial is left."""


class DatasetError(LayersError, ValueError):
    """A dataset has errors; ``issues`` lists every problem found, each with file, row and column."""

    def __init__(self, message: str, issues: Sequence[Issue] = ()) -> None:
        super().__init__(message)
        self.issues = tuple(issues)

    def __str__(self) -> str:
        head = str(self.args[0]) if self.args else "dataset has errors"
        lines = [issue.format() for issue in self.issues if issue.severity == "error"]
        return "\n".join([head, *lines]) if lines else head


class BuildError(LayersError, ValueError):
    """Building a dataset from raw source files failed (unknown recipe, unexpected content)."""


class MissingSourceError(BuildError, FileNotFoundError):
    """A raw source file that a dataset recipe needs is missing."""


class OsmImportError(BuildError):
    """An OpenStreetMap extract or a tag mapping table cannot be read or used."""


class PlanningAreaError(LayersError, ValueError):
    """A planning-area mapping or proposal cannot be made (too few districts, unknown ids)."""


class ParameterError(LayersError, ValueError):
    """An option value is outside its valid range (for example a radius ≤ 0 or above 20 km)."""


class AddressNotFoundError(LayersError, LookupError):
    """An address is not in the dataset's address table; ``suggestions`` holds near matches."""

    def __init__(self, message: str, suggestions: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.suggestions = tuple(suggestions)
