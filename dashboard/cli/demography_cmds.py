"""Demography commands: ``change``, ``planning-areas propose|validate``, ``profile``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
import numpy as np
import pandas as pd

from dashboard.cli import main
from dashboard.cli._common import (
    check_out_suffix,
    data_option,
    emit,
    frame_to_csv,
    level_option,
    open_dataset,
    reports_errors,
    to_json,
)
from dashboard.i18n import DEFAULT_LANG, LANGS
from dashboard.profile_text import need_component_note, need_components
from layers.areas import outside_area_note
from layers.demography import (
    TOTAL_GROUP,
    available_years,
    change_table,
    population_series,
    with_composite_groups,
)
from layers.errors import CatalogueError, ParameterError
from layers.need import NORMALISATIONS, need_index
from layers.planning import (
    ADJACENCY_TOLERANCE_M,
    area_components,
    balance_summary,
    balance_weights,
    planning_alternatives,
    read_planning_areas,
)
from layers.population import check_group
from layers.profile import data_labels
from layers.projection import PROJECTION_LABEL, extend_population, fit_trends, projection_label

CHANGE_COLUMNS = ("area_id", "area_name", "value_from", "value_to", "change", "change_pct")
"""CSV contract of ``quartiersatlas change``."""

PROFILE_FORMATS = ("json", "pdf")

radius_option = click.option(
    "--radius",
    "--radius-m",
    "radius_m",
    type=float,
    default=500.0,
    show_default=True,
    help="Walking radius of the coverage shares (m); --radius-m is the older spelling.",
)
"""``--radius`` as the other commands spell it; ``--radius-m`` stays for old scripts."""

lang_option = click.option(
    "--lang",
    type=click.Choice(LANGS),
    default=DEFAULT_LANG,
    show_default=True,
    help="Language of labels and notes (German by default).",
)

MAX_WARNING_LINES = 10
MAX_IDS_LISTED = 12
DEFAULT_MAX_IMBALANCE = 1.15
ALTERNATIVE_KEYS = ("compact", "balanced", "compact_loose")


def _note(message: str) -> None:
    click.echo(f"Note: {message}", err=True)


def _warn(message: str) -> None:
    click.echo(f"Warning: {message}", err=True)


def _count_text(value: float) -> str:
    """A count for CSV: no decimals when whole, empty when missing."""
    if value is None or not np.isfinite(value):
        return ""
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def _reason(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _number(value: Any, digits: int | None = None) -> float | int | None:
    if value is None or value is pd.NA or not np.isfinite(float(value)):
        return None
    value = float(value)
    if digits is not None:
        return round(value, digits)
    return int(value) if value.is_integer() else value


# --------------------------------------------------------------------------------------------
# change


def _fits(population: pd.DataFrame, group: str) -> list[dict[str, Any]]:
    """Method and fit of the trend per district (shown whenever projected values are)."""
    fits = fit_trends(population[population["group"] == group])
    return [
        {
            "district_id": str(f.district_id),
            "method": f.method,
            "years_used": f.years_used,
            "slope_per_year": _number(f.slope_per_year, 2),
            "r2": _number(f.r2, 3),
            "note": f.note or None,
        }
        for f in fits.itertuples(index=False)
    ]


def _warn_missing(
    dataset: Any,
    population: pd.DataFrame,
    table: pd.DataFrame,
    *,
    group: str,
    years: tuple[int, int],
) -> None:
    """One warning per year without any value of the group, then at most 10 area lines."""
    known = sorted(
        int(y)
        for y in population.loc[
            (population["group"] == group) & population["value"].notna(), "year"
        ].unique()
    )
    absent = [y for y in dict.fromkeys(years) if y not in known]
    if absent:
        note = next((g.note_de for g in dataset.groups if g.id == group and g.note_de), "")
        _warn(
            f"group {group!r} has no values for {', '.join(map(str, absent))} "
            f"(years with values: {', '.join(map(str, known))})" + (f"; {note}" if note else "")
        )
        return
    missing = table[table["missing_reason"].notna()]
    for row in missing.head(MAX_WARNING_LINES).itertuples(index=False):
        _warn(f"{row.area_id} {row.area_name}: {row.missing_reason}")
    if len(missing) > MAX_WARNING_LINES:
        _warn(f"… and {len(missing) - MAX_WARNING_LINES} more areas with missing values")


@main.command("change")
@data_option
@click.option("--group", default=TOTAL_GROUP, show_default=True, help="Population group id.")
@click.option(
    "--from",
    "year_from",
    type=int,
    default=None,
    help="Start year (default: first year of the group).",
)
@click.option(
    "--to", "year_to", type=int, default=None, help="End year (default: last year of the group)."
)
@level_option
@click.option(
    "--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True
)
@click.option(
    "--project",
    is_flag=True,
    help=f"Allow an end year after the data, taken from a trend projection ({PROJECTION_LABEL}).",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write to FILE instead of stdout.",
)
@reports_errors
def change_cmd(
    data_dir: Path | None,
    group: str,
    year_from: int | None,
    year_to: int | None,
    level: str,
    fmt: str,
    project: bool,
    out: Path | None,
) -> None:
    """Change of a population group per district or planning area between two years.

    CSV columns: area_id,area_name,value_from,value_to,change,change_pct (percent, 2 decimals),
    areas in the order of the districts file, then an ALL row for the city. A value that is not
    in the data stays empty (its reason is printed to stderr), never 0.
    """
    check_out_suffix(out, fmt)
    from layers.areas import area_mapping

    dataset = open_dataset(data_dir)
    population = with_composite_groups(dataset.population)
    check_group(population, group)
    observed = sorted(
        int(y)
        for y in population.loc[
            (population["group"] == group) & population["value"].notna(), "year"
        ].unique()
    )
    if not observed:
        raise CatalogueError(f"group {group!r} has no values in any year")
    year_from = observed[0] if year_from is None else year_from
    year_to = observed[-1] if year_to is None else year_to
    all_years = available_years(population)
    if project and year_to > all_years[-1]:
        population = extend_population(population, target_year=year_to)
    elif year_to > all_years[-1]:
        raise CatalogueError(
            f"unknown end year {year_to}; valid years: {', '.join(map(str, all_years))}; "
            f"add --project to use a trend projection ({PROJECTION_LABEL})"
        )
    mapping = area_mapping(dataset, level)  # type: ignore[arg-type]
    city = dataset.metadata.city
    table = change_table(
        population, mapping, group=group, year_from=year_from, year_to=year_to, city_name=city
    )
    label = projection_label(population, year_to)
    if label:
        _note(f"values for {year_to}: {label}")
    if level == "planning_area" and dataset.planning_areas_proposal:
        _note("the planning areas are a computed proposal (Vorschlag), not an official mapping")
    if outside := outside_area_note(dataset, level):
        _note(outside)
    _warn_missing(dataset, population, table, group=group, years=(year_from, year_to))
    if fmt == "csv":
        out_frame = pd.DataFrame(
            {
                "area_id": table["area_id"],
                "area_name": table["area_name"],
                "value_from": [_count_text(v) for v in table["value_from"]],
                "value_to": [_count_text(v) for v in table["value_to"]],
                "change": [_count_text(v) for v in table["change"]],
                "change_pct": [
                    "" if not np.isfinite(v) else f"{v:.2f}" for v in table["change_pct"]
                ],
            }
        )
        emit(frame_to_csv(out_frame[list(CHANGE_COLUMNS)]), out)
        return
    series = population_series(population, mapping, group=group, city_name=city)
    series = series[
        (series["year"] >= min(year_from, year_to)) & (series["year"] <= max(year_from, year_to))
    ]
    payload = {
        "group": group,
        "year_from": year_from,
        "year_to": year_to,
        "level": level,
        "city": city,
        "planning_areas_proposal": bool(dataset.planning_areas_proposal)
        if level == "planning_area"
        else None,
        "projection": label,
        "projection_fits": _fits(population, group) if label else None,
        "rows": [
            {
                "area_id": str(r.area_id),
                "area_name": r.area_name,
                "value_from": _number(r.value_from),
                "value_to": _number(r.value_to),
                "change": _number(r.change),
                "change_pct": _number(r.change_pct, 2),
                "share_from_pct": _number(r.share_from_pct, 2),
                "share_to_pct": _number(r.share_to_pct, 2),
                "missing_reason": _reason(r.missing_reason),
                "projected": bool(r.projected),
            }
            for r in table.itertuples(index=False)
        ],
        "series": [
            {
                "area_id": str(area_id),
                "area_name": str(part["area_name"].iloc[0]),
                "points": [
                    {
                        "year": int(p.year),
                        "value": _number(p.value),
                        "projected": bool(p.projected),
                        "missing_reason": _reason(p.missing_reason),
                    }
                    for p in part.itertuples(index=False)
                ],
            }
            for area_id, part in series.groupby("area_id", sort=False)
        ],
    }
    emit(to_json(payload), out)


# --------------------------------------------------------------------------------------------
# planning areas


@main.group("planning-areas")
def planning_areas_group() -> None:
    """Propose or validate a mapping of districts to planning areas."""


def _grouping_ids(root: Path | None) -> set[str]:
    """Ids of the manifest's ``[[groupings]]`` tables (none for a database-backed dataset)."""
    import tomllib

    manifest = root / "dataset.toml" if root is not None else None
    if manifest is None or not manifest.is_file():
        return set()
    tables = tomllib.loads(manifest.read_text(encoding="utf-8")).get("groupings", [])
    return {str(t.get("id")) for t in tables if isinstance(t, dict)}


def _parse_keep_together(values: tuple[str, ...], root: Path | None = None) -> list[list[str]]:
    groups = []
    for value in values:
        ids = [v.strip() for v in value.split(",") if v.strip()]
        if len(ids) == 1 and ids[0] in _grouping_ids(root):
            from layers.planning import keep_together_from_grouping

            groups.extend(keep_together_from_grouping(root, ids[0]))  # type: ignore[arg-type]
            continue
        if len(ids) < 2:
            raise ParameterError(
                f"--keep-together {value!r}: give at least two district ids separated by commas, e.g. 08,09"
            )
        groups.append(ids)
    return groups


def _print_summary(summary: Any, components: dict[str, list[list[str]]], *, title: str) -> None:
    click.echo(title, err=True)
    for row in summary.table.itertuples(index=False):
        ids = row.district_ids.split(",")
        listed = ",".join(ids[:MAX_IDS_LISTED]) + (
            f",… ({len(ids)} in all)" if len(ids) > MAX_IDS_LISTED else ""
        )
        click.echo(
            f"  {row.planning_area:<6} {row.planning_area_name}: {row.population:,.0f} "
            f"({row.districts} districts: {listed})",
            err=True,
        )
    imbalance = (
        "inf (an area has no population)"
        if not np.isfinite(summary.imbalance)
        else f"{summary.imbalance:.3f}"
    )
    click.echo(
        f"  imbalance (largest / smallest, {summary.group} {summary.year}): {imbalance}", err=True
    )
    broken = {a: p for a, p in components.items() if len(p) > 1}
    if broken:
        for area, pieces in broken.items():
            _warn(
                f"planning area {area} is not contiguous: "
                + " | ".join(", ".join(p) for p in pieces)
            )
    else:
        click.echo(
            f"  all areas contiguous (queen adjacency, tolerance {ADJACENCY_TOLERANCE_M:g} m)",
            err=True,
        )


@planning_areas_group.command("propose")
@data_option
@click.option("--n", "n_areas", type=int, required=True, help="Number of planning areas.")
@click.option(
    "--balance", default=TOTAL_GROUP, show_default=True, help="Population group to balance."
)
@click.option(
    "--year",
    type=int,
    default=None,
    help="Population year (default: latest complete year of the group).",
)
@click.option(
    "--keep-together",
    multiple=True,
    metavar="ID,ID[,…]",
    help="Districts forced into the same area: ids or names separated by commas, or the id of "
    "a [[groupings]] table of the manifest (each of its areas kept together); repeat for "
    "several groups.",
)
@click.option(
    "--max-imbalance",
    type=float,
    default=DEFAULT_MAX_IMBALANCE,
    show_default=True,
    help="Balance bound (largest / smallest area population) within which the areas are made "
    "compact.",
)
@click.option(
    "--alternative",
    type=click.Choice(ALTERNATIVE_KEYS),
    default=ALTERNATIVE_KEYS[0],
    show_default=True,
    help="Which alternative to write: compact within the bound, balance only, or compact within "
    "the bound + 0.10.",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the random starts.")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the CSV to FILE instead of stdout.",
)
@reports_errors
def propose_cmd(
    data_dir: Path | None,
    n_areas: int,
    balance: str,
    year: int | None,
    keep_together: tuple[str, ...],
    max_imbalance: float,
    alternative: str,
    seed: int,
    out: Path | None,
) -> None:
    """Propose contiguous, compact planning areas of whole districts with balanced population.

    Writes district_id,planning_area (CSV) of the chosen alternative and prints to stderr the
    two or three alternatives (compact within --max-imbalance, balance only, compact within the
    bound + 0.10) with their ratio largest / smallest population and their compactness (mean
    Polsby-Popper score 4π·area/perimeter² of the areas, 1 = circle), then the population per
    area of the chosen one. The result is a proposal ("Vorschlag"), not an official mapping.
    """
    check_out_suffix(out, "csv")
    dataset = open_dataset(data_dir)
    population = with_composite_groups(dataset.population)
    groups = _parse_keep_together(keep_together, dataset.metadata.root)
    alternatives = planning_alternatives(
        dataset.districts,
        population,
        n=n_areas,
        max_imbalance=max_imbalance,
        balance_group=balance,
        year=year,
        keep_together=groups,
        seed=seed,
    )
    weights, used_year = balance_weights(dataset.districts, population, group=balance, year=year)
    click.echo(
        "Alternatives (ratio = largest / smallest population; compactness = mean Polsby-Popper, "
        "1 = circle):",
        err=True,
    )
    for item in alternatives:
        click.echo(
            f"  {item.key:<14} {item.label}: "
            + (
                f"same as {item.same_as}"
                if item.same_as
                else f"ratio {item.imbalance:.3f}, compactness {item.compactness:.3f}"
            ),
            err=True,
        )
    chosen = next(a for a in alternatives if a.key == alternative)
    if chosen.max_imbalance is not None and chosen.imbalance > chosen.max_imbalance:
        _warn(
            f"no proposal reaches ratio <= {chosen.max_imbalance:g}; writing the best-balanced "
            f"one (ratio {chosen.imbalance:.3f})"
        )
    proposal = chosen.mapping
    summary = balance_summary(proposal, weights, group=balance, year=used_year)
    emit(frame_to_csv(proposal[["district_id", "planning_area"]]), out)
    _print_summary(
        summary,
        area_components(proposal, dataset.districts),
        title=f"Proposal (Vorschlag, {chosen.key}): {n_areas} planning areas from "
        f"{len(proposal)} districts, balanced on {balance} {used_year}",
    )


@planning_areas_group.command("validate")
@data_option
@click.argument(
    "mapping_file", required=False, type=click.Path(dir_okay=False, exists=True, path_type=Path)
)
@reports_errors
def validate_cmd(data_dir: Path | None, mapping_file: Path | None) -> None:
    """Check a planning-area mapping (MAPPING_FILE, or the dataset's own) against the districts.

    Errors (unknown or doubly assigned district, district without area) name the file row and
    exit with status 1; an area that is not contiguous is a warning.
    """
    dataset = open_dataset(data_dir)
    if mapping_file is not None:
        mapping, issues = read_planning_areas(mapping_file, dataset.districts)
        proposal = False
        name = mapping_file.name
    else:
        if dataset.planning_areas is None:
            from layers.areas import NO_MAPPING_HINT

            raise CatalogueError(NO_MAPPING_HINT)
        from layers.planning import validate_planning_areas

        mapping = dataset.planning_areas
        issues = validate_planning_areas(mapping, dataset.districts, file="planning_areas")
        proposal = dataset.planning_areas_proposal
        name = "the dataset's mapping" + (" (Vorschlag)" if proposal else "")
    for issue in issues:
        click.echo(issue.format(), err=True)
    if any(i.severity == "error" for i in issues):
        errors = sum(1 for i in issues if i.severity == "error")
        click.echo(f"Error: {name} has {errors} error(s)", err=True)
        raise SystemExit(1)
    population = dataset.population
    try:
        weights, year = balance_weights(dataset.districts, population)
    except CatalogueError as exc:  # population incomplete: still a valid mapping
        _warn(f"no balance summary: {exc}")
        click.echo(
            f"OK: {name}: {len(mapping)} districts in {mapping['planning_area'].nunique()} planning areas"
        )
        return
    summary = balance_summary(mapping, weights, group=TOTAL_GROUP, year=year)
    click.echo(
        f"OK: {name}: {len(mapping)} districts in {mapping['planning_area'].nunique()} planning areas"
        + (f", {sum(1 for i in issues if i.severity == 'warning')} warning(s)" if issues else "")
    )
    _print_summary(
        summary, area_components(mapping, dataset.districts), title="Population per planning area:"
    )


def _parse_weights(items: tuple[str, ...]) -> dict[str, float]:
    """Parse repeated ``--weight COMPONENT=NUMBER`` options."""
    parsed: dict[str, float] = {}
    for item in items:
        key, sep, value = item.partition("=")
        try:
            number = float(value) if sep else None
        except ValueError:
            number = None
        if number is None:
            raise ParameterError(
                f"--weight {item!r}: expected COMPONENT=NUMBER, e.g. growth_65_plus=2"
            )
        parsed[key.strip()] = number
    return parsed


# --------------------------------------------------------------------------------------------
# need index


@main.command("need")
@data_option
@level_option
@click.option(
    "--from",
    "year_from",
    type=int,
    default=None,
    help="Start year (default: 10 years before --to, or the first year).",
)
@click.option(
    "--to", "year_to", type=int, default=None, help="End year (default: latest year of the total)."
)
@radius_option
@click.option("--no-coverage", is_flag=True, help="Demographic components only.")
@click.option(
    "--weight",
    "weights",
    multiple=True,
    metavar="COMPONENT=W",
    help="Component weight (repeatable).",
)
@click.option(
    "--normalisation", type=click.Choice(NORMALISATIONS), default="minmax", show_default=True
)
@lang_option
@click.option(
    "--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write to FILE instead of stdout.",
)
@reports_errors
def need_cmd(
    data_dir: Path | None,
    level: str,
    year_from: int | None,
    year_to: int | None,
    radius_m: float,
    no_coverage: bool,
    weights: tuple[str, ...],
    normalisation: str,
    lang: str,
    fmt: str,
    out: Path | None,
) -> None:
    """Need index per district or planning area: components, score (0-100) and rank (1 = highest need).

    Components: growth of children under 6 / under 18 and of people aged 65+ (the total only when
    none of these is known), and the share of residents not covered per category. Default
    weights: demography and coverage half each, split equally. See docs/demography.md.
    """
    check_out_suffix(out, fmt)
    from layers.areas import area_mapping

    parsed = _parse_weights(weights)
    dataset = open_dataset(data_dir)
    population = with_composite_groups(dataset.population)
    totals = available_years(population[population["value"].notna()], group=TOTAL_GROUP)
    year_to = totals[-1] if year_to is None else year_to
    if year_from is None:
        window = [y for y in totals if year_to - 10 <= y < year_to]
        year_from = window[0] if window else totals[0]
    mapping = area_mapping(dataset, level)  # type: ignore[arg-type]
    coverage = None
    if not no_coverage:
        from layers.coverage import dataset_coverage

        coverage = dataset_coverage(dataset, radius_m=radius_m, year=year_to, level=level)  # type: ignore[arg-type]
    index = need_index(
        population,
        mapping,
        year_from=year_from,
        year_to=year_to,
        city_name=dataset.metadata.city,
        coverage=coverage,
        weights=parsed or None,
        normalisation=normalisation,  # type: ignore[arg-type]
    )
    components = index.components.to_dict("records")
    for comp in components:
        if not comp["available"]:
            _note(f"component {comp['component']} not available: {need_component_note(comp, lang)}")
    if level == "planning_area" and dataset.planning_areas_proposal:
        _note("the planning areas are a computed proposal (Vorschlag), not an official mapping")
    if outside := outside_area_note(dataset, level):
        _note(outside)
    table = index.table
    if fmt == "csv":
        emit(frame_to_csv(table), out)
        return
    payload = {
        "level": level,
        "year_from": index.year_from,
        "year_to": index.year_to,
        "normalisation": index.normalisation,
        "radius_m": None if no_coverage else radius_m,
        "components": need_components(
            [
                {
                    "component": c["component"],
                    "subject": c["subject"],
                    "kind": c["kind"],
                    "available": bool(c["available"]),
                    "weight": _number(c["weight"], 4),
                    "note": c["note"],
                    "note_params": c["note_params"],
                }
                for c in components
            ],
            data_labels(dataset),
            lang,
        ),
        "rows": [
            {k: (_number(v) if isinstance(v, float) else v) for k, v in row.items()}
            | {"rank": None if pd.isna(row["rank"]) else int(row["rank"])}
            for row in table.to_dict("records")
        ],
    }
    emit(to_json(payload), out)


# --------------------------------------------------------------------------------------------
# profile


def _render_pdf(
    profile: dict[str, Any], out: Path | None, lang: str, districts: Any = None
) -> None:
    """Hook for the one-page PDF profile (issue 6): lay out ``profile`` and write it to ``out``."""
    if out is None:
        raise click.UsageError("--format pdf needs --out FILE.pdf (a PDF is not written to stdout)")
    from dashboard.export import write_area_profile_pdf

    write_area_profile_pdf(profile, out, lang=lang, districts=districts)  # type: ignore[arg-type]
    click.echo(f"wrote {out}", err=True)


@main.command("profile")
@data_option
@click.option(
    "--area",
    "area_id",
    required=True,
    help="District id, or planning-area id with --level planning_area.",
)
@level_option
@click.option(
    "--year",
    type=int,
    default=None,
    help="Profile year (default: latest; a later year is projected).",
)
@radius_option
@click.option("--no-coverage", is_flag=True, help="Skip the coverage computation (faster).")
@click.option(
    "--weight",
    "weights",
    multiple=True,
    metavar="COMPONENT=W",
    help="Need-index weight, e.g. growth_65_plus=2 (repeatable).",
)
@lang_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(PROFILE_FORMATS),
    default=None,
    help="json (default) or pdf; inferred from --out.",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write to FILE instead of stdout.",
)
@reports_errors
def profile_cmd(
    data_dir: Path | None,
    area_id: str,
    level: str,
    year: int | None,
    radius_m: float,
    no_coverage: bool,
    weights: tuple[str, ...],
    lang: str,
    fmt: str | None,
    out: Path | None,
) -> None:
    """Everything a one-page profile of a district or planning area needs, as JSON.

    Population trend per group, age structure, facilities per category (per 1,000 residents),
    coverage shares, need-index components, programme status, planning-area label and sources.
    """
    from dashboard.profile_text import localise_profile
    from layers.profile import area_profile

    if fmt is None:
        fmt = "pdf" if out is not None and out.suffix.lower() == ".pdf" else "json"
    check_out_suffix(out, fmt)
    parsed = _parse_weights(weights)
    if fmt == "pdf":
        from dashboard import render

        render.prepare_in_background()  # the trend chart's browser starts while data loads
    dataset = open_dataset(data_dir)
    profile = area_profile(
        dataset,
        area_id,
        level=level,  # type: ignore[arg-type]
        year=year,
        radius_m=radius_m,
        compute_coverage=not no_coverage,
        need_weights=parsed or None,
    )
    text = localise_profile(profile, lang)
    for note in text["notes"]:
        _note(note)
    if fmt == "pdf":
        _render_pdf(profile, out, lang, dataset.districts)
        return
    emit(to_json(text), out)


__all__ = ["CHANGE_COLUMNS", "change_cmd", "need_cmd", "profile_cmd", "propose_cmd", "validate_cmd"]
