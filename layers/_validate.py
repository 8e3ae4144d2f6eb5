"""Validation issues: one record per problem, naming file, row and column, collected in one place."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import pandas as pd

from layers.types import Severity

MAX_ROWS_LISTED = 10
"""How many row numbers one issue lists before it says '… and N more'."""

_NUMBER_ID = re.compile(r"(\d+)(?:\.0+)?")
"""An all-digit id, possibly as a spreadsheet wrote it back (``8.0``)."""


def normalise_district_id(value: object) -> str:
    """Return the join key of one id: text, stripped; a number-like id without leading zeros.

    The one rule for matching district (and area) ids across files: ``"08"``, ``"8"``, ``8``,
    ``8.0`` and ``"8.0"`` (a spreadsheet's float) are the same id ``"8"``; other text is compared
    as written after stripping spaces (``"8.5"``, ``"A1"`` and ``"a1"`` stay apart).

    Examples
    --------
    >>> [normalise_district_id(v) for v in ("08", 8, "8.0", 8.0, " 0 ", "00", "8.5", "A1")]
    ['8', '8', '8', '8', '0', '0', '8.5', 'A1']
    """
    text = str(value).strip()
    match = _NUMBER_ID.fullmatch(text)
    return str(int(match.group(1))) if match else text


def district_id_keys(values: pd.Series | Sequence[object]) -> pd.Series:
    """Join keys of many ids by :func:`normalise_district_id` (missing ids stay missing).

    Examples
    --------
    >>> district_id_keys(pd.Series(["01100101", "1100101.0", " 7 ", "A1", None])).tolist()
    ['1100101', '1100101', '7', 'A1', None]
    """
    series = values if isinstance(values, pd.Series) else pd.Series(list(values), dtype=object)
    text = series.astype("string").str.strip()
    digits = text.str.extract(r"^(\d+)(?:\.0+)?$", expand=False)
    stripped = digits.str.lstrip("0").mask(lambda s: s == "", "0")
    keys = stripped.where(digits.notna(), text).astype(object)
    return keys.where(series.notna(), None)


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
