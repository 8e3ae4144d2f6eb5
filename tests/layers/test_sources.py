"""Sources, licences and dates of a dataset, collected once (layers.sources)."""

from __future__ import annotations

from layers.dataset import LayerSource
from layers.sources import SourceCredit, SourceSummary, source_summary


def test_summary_keeps_order_and_drops_repeats():
    sources = [
        LayerSource("districts", "d.geojson", "Stadt", "dl-de/by-2-0", "2024-01", "url"),
        LayerSource("population", "p.csv", "Stadt", "dl-de/by-2-0", "2023-12", "url"),
        LayerSource("facilities", "f.csv", "", "ODbL", "2024-01", "OpenStreetMap"),
        LayerSource("own", "own.csv", "", "", "", ""),
    ]
    assert source_summary(sources) == SourceSummary(
        credits=(
            SourceCredit("Stadt", "dl-de/by-2-0"),
            SourceCredit("OpenStreetMap", "ODbL"),
            SourceCredit("own.csv", ""),
        ),
        dates=("2024-01", "2023-12"),
    )


def test_same_name_with_another_licence_is_another_credit():
    summary = source_summary(
        [{"attribution": "Stadt", "licence": "A"}, {"attribution": "Stadt", "licence": "B"}]
    )
    assert [c.licence for c in summary.credits] == ["A", "B"]
    assert source_summary([]) == SourceSummary()
