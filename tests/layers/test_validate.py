"""Validation issues: one-line format, the collector, row lists and 'did you mean' hints."""

from __future__ import annotations

from layers._validate import Issue, IssueCollector, did_you_mean, rows_text, valid_list


def test_issue_format() -> None:
    assert Issue("error", "p.csv", "negative value", 12, "value").format() == (
        "error: p.csv, row 12, column 'value': negative value"
    )
    assert (
        Issue("warning", "d.geojson", "empty", None, None).format() == "warning: d.geojson: empty"
    )
    assert Issue("error", "", "no districts").format() == "error: dataset.toml: no districts"


def test_collector() -> None:
    collector = IssueCollector()
    collector.warning("a.csv", "w")
    assert not collector.has_errors
    start = len(collector.issues)
    collector.error("b.csv", "e", row=3, column="x")
    assert collector.has_errors
    assert collector.errors_since(start) and not collector.errors_since(len(collector.issues))
    assert collector.issues[-1] == Issue("error", "b.csv", "e", 3, "x")


def test_rows_text() -> None:
    assert rows_text([2, 5]) == "2, 5"
    assert rows_text(list(range(2, 15))) == "2, 3, 4, 5, 6, 7, 8, 9, 10, 11 … and 3 more"


def test_did_you_mean() -> None:
    assert did_you_mean("Südstdt", ["Südstadt", "Oststadt", "Weststadt"]) == (
        " (did you mean 'Südstadt'?)"
    )
    assert did_you_mean("DURLACH", ["Durlach", "Daxlanden"]) == " (did you mean 'Durlach'?)"
    assert did_you_mean("xyz", ["Durlach"]) == ""


def test_valid_list() -> None:
    assert valid_list(["a", "b"]) == "a, b"
    assert valid_list(range(40), limit=3) == "0, 1, 2, … (40 in all)"
