"""Validation issues: one record per problem, naming file, row and column, collected in one place."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from layers.types import Severity

MAX_ROWS_LISTED = 10
"""How many row numbers one issue lists before it says '… and N more'."""


@dataclass(frozen=True)
class Issue:
    """One problem found in a dataset.

    ``row`` is the physical line for CSV files (header = line 1) and the 1-based feature number
    for other formats; ``None`` when the problem concerns the whole file or column.
    """

    severity: Severity
    file: str
    message: str
    row: int | None = None
    column: str | None = None

    def format(self) -> str:
        """One line: ``error: file.csv, row 12, column 'lat': message``."""
        where = [self.file or "dataset.toml"]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column '{self.column}'")
        return f"{self.severity}: {', '.join(where)}: {self.message}"


@dataclass
class IssueCollector:
    """Collects issues while a dataset loads, so every problem is reported at once."""

    issues: list[Issue] = field(default_factory=list)

    def error(
        self, file: str, message: str, *, row: int | None = None, column: str | None = None
    ) -> None:
        """Record an error (the dataset cannot be used until it is fixed)."""
        self.issues.append(Issue("error", file, message, row, column))

    def warning(
        self, file: str, message: str, *, row: int | None = None, column: str | None = None
    ) -> None:
        """Record a warning (the result is usable but suspect)."""
        self.issues.append(Issue("warning", file, message, row, column))

    @property
    def has_errors(self) -> bool:
        """Whether any error was recorded."""
        return any(issue.severity == "error" for issue in self.issues)

    def errors_since(self, start: int) -> bool:
        """Whether an error was recorded after the first ``start`` issues."""
        return any(issue.severity == "error" for issue in self.issues[start:])


def rows_text(rows: Sequence[int]) -> str:
    """Render row numbers compactly: ``3, 7, 9 … and 12 more``."""
    shown = ", ".join(str(r) for r in rows[:MAX_ROWS_LISTED])
    rest = len(rows) - MAX_ROWS_LISTED
    return f"{shown} … and {rest} more" if rest > 0 else shown


def did_you_mean(value: str, candidates: Iterable[str]) -> str:
    """Return ``" (did you mean 'x'?)"`` for a near miss among ``candidates``, else ``""``."""
    pool = [str(c) for c in candidates]
    matches = difflib.get_close_matches(str(value), pool, n=2, cutoff=0.6)
    if not matches:
        lowered = {c.casefold(): c for c in pool}
        match = lowered.get(str(value).casefold().strip())
        matches = [match] if match else []
    if not matches:
        return ""
    return " (did you mean " + " or ".join(f"'{m}'" for m in matches) + "?)"


def valid_list(values: Iterable[object], *, limit: int = 30) -> str:
    """Render the valid values for an error message."""
    items = [str(v) for v in values]
    text = ", ".join(items[:limit])
    return text + (f", … ({len(items)} in all)" if len(items) > limit else "")
