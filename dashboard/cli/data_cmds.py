"""Dataset commands: ``validate`` and ``info``."""

from __future__ import annotations

import sys
from pathlib import Path

import click
import pandas as pd

from dashboard.cli import main
from dashboard.cli._common import reports_errors, to_json
from layers.dataset import Dataset, default_dataset_path, load_dataset, validate_dataset
from layers.population import years_of


@main.command("validate")
@click.argument("data_dir", type=click.Path(path_type=Path), required=False)
@click.option("--strict", is_flag=True, help="Treat warnings as errors (exit 1 on any warning).")
@reports_errors
def validate_cmd(data_dir: Path | None, strict: bool) -> None:
    """Check a dataset: one line per problem with file, row, column and message.

    Exit status 0 when there are no errors (warnings allowed), 1 when there are.
    """
    path = data_dir or default_dataset_path()
    issues = validate_dataset(path)
    for issue in issues:
        click.echo(issue.format())
    errors = sum(1 for i in issues if i.severity == "error")
    warnings = len(issues) - errors
    click.echo(f"{path}: {errors} error(s), {warnings} warning(s)", err=True)
    if errors or (strict and warnings):
        sys.exit(1)


@main.command("info")
@click.argument("data_dir", type=click.Path(path_type=Path), required=False)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@reports_errors
def info_cmd(data_dir: Path | None, fmt: str) -> None:
    """Describe a dataset: layers, counts, years, groups, CRS and sources."""
    dataset = load_dataset(data_dir or default_dataset_path())
    summary = dataset_summary(dataset)
    if fmt == "json":
        click.echo(to_json(summary), nl=False)
        return
    click.echo(_summary_text(summary))


def dataset_summary(dataset: Dataset) -> dict:
    """Facts about a loaded dataset, as plain data (used by ``info`` and the app)."""
    facilities = dataset.facilities
    by_category = {
        c.id: {
            "label_de": c.label_de,
            "label_en": c.label_en,
            "located": int((facilities["category"] == c.id).sum()),
            "without_coordinates": int((dataset.unlocated_facilities["category"] == c.id).sum()),
        }
        for c in dataset.categories
    }
    groups = {
        g: {
            "label_de": dataset.group(g).label_de,
            "years": years_of(dataset.population, g),
            "note": dataset.group(g).note_de,
        }
        for g in dataset.group_ids
    }
    origins = pd.Series(dataset.residents.origin).value_counts()
    summary = {
        "name": dataset.metadata.name,
        "city": dataset.metadata.city,
        "metric_crs": dataset.metadata.metric_crs.to_string(),
        "description": dataset.metadata.description,
        "notes": dataset.metadata.notes,
        "districts": len(dataset.districts),
        "facilities": {
            "located": len(facilities),
            "without_coordinates": len(dataset.unlocated_facilities),
            "outside_districts": int(facilities["district_id"].isna().sum()),
            "by_category": by_category,
        },
        "population": {"groups": groups},
        "resident_points": {
            "from_residents_layer": int(origins.get("residents", 0)),
            "grid_fallback": int(origins.get("grid", 0)),
        },
        "addresses": 0 if dataset.addresses is None else len(dataset.addresses),
        "planning_areas": None
        if dataset.planning_areas is None
        else {
            "areas": int(dataset.planning_areas["planning_area"].nunique()),
            "proposal": dataset.planning_areas_proposal,
        },
        "programme_rows": 0 if dataset.programme is None else len(dataset.programme),
        "network": None
        if dataset.network is None
        else {
            "file": dataset.network.path.name,
            "approximate": dataset.network.approximate,
            "note": dataset.network.note,
        },
        "sources": [
            {
                "layer": s.layer,
                "file": s.file,
                "attribution": s.attribution,
                "licence": s.licence,
                "date": s.date,
                "source": s.source,
            }
            for s in dataset.metadata.sources
        ],
        "warnings": [i.format() for i in dataset.issues],
    }
    if dataset.groupings:  # only then, so that other datasets' summaries stay as they were
        summary["groupings"] = {
            g.id: {
                "label_de": g.label_de,
                "label_en": g.label_en,
                "areas": int(g.mapping["area_id"].nunique()),
                "districts": len(g.mapping),
                "empty": g.empty,
                "note": g.note("de"),
            }
            for g in dataset.groupings
        }
    return summary


def _summary_text(summary: dict) -> str:
    lines = [
        f"{summary['name']} ({summary['city']})",
        f"  metric CRS      {summary['metric_crs']}",
        f"  districts       {summary['districts']}",
    ]
    fac = summary["facilities"]
    lines.append(
        f"  facilities      {fac['located']} on the map, {fac['without_coordinates']} without "
        f"coordinates, {fac['outside_districts']} outside all districts"
    )
    for cid, entry in fac["by_category"].items():
        lines.append(
            f"    {cid:<14}{entry['label_de']}: {entry['located']} located"
            + (
                f", {entry['without_coordinates']} without coordinates"
                if entry["without_coordinates"]
                else ""
            )
        )
    lines.append("  population groups (years)")
    for gid, entry in summary["population"]["groups"].items():
        years = entry["years"]
        span = (
            f"{years[0]}–{years[-1]} ({len(years)} years)"
            if len(years) > 1
            else ", ".join(map(str, years))
        )
        note = f"  [{entry['note']}]" if entry["note"] else ""
        lines.append(f"    {gid:<14}{span}{note}")
    rp = summary["resident_points"]
    lines.append(
        f"  resident points {rp['from_residents_layer']} from the residents layer, {rp['grid_fallback']} grid fallback"
    )
    lines.append(f"  addresses       {summary['addresses']}")
    pa = summary["planning_areas"]
    lines.append(
        "  planning areas  none (see `quartiersatlas planning-areas propose`)"
        if pa is None
        else f"  planning areas  {pa['areas']}"
        + (" (Vorschlag / computed proposal)" if pa["proposal"] else "")
    )
    for gid, entry in summary.get("groupings", {}).items():
        lines.append(
            f"  level {gid:<10}{entry['label_de']}: {entry['areas']} areas from "
            f"{entry['districts']} of {summary['districts']} districts"
            + (f"  [{entry['note']}]" if entry["note"] else "")
        )
    lines.append(f"  programme rows  {summary['programme_rows']}")
    net = summary["network"]
    lines.append(
        "  network         none"
        if net is None
        else f"  network         {net['file']}" + (" (approximate)" if net["approximate"] else "")
    )
    if summary["notes"]:
        lines.append("  notes")
        lines.extend(f"    {line}" for line in summary["notes"].strip().splitlines())
    lines.append("  sources")
    for source in summary["sources"]:
        lines.append(
            f"    {source['layer']:<15} {source['file']}: {source['attribution'] or '-'}; "
            f"licence {source['licence'] or 'not stated'}; {source['date'] or 'date not stated'}"
        )
    if summary["warnings"]:
        lines.append(f"  warnings ({len(summary['warnings'])})")
        lines.extend(f"    {w}" for w in summary["warnings"])
    return "\n".join(lines)
