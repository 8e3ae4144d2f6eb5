"""App commands: ``serve`` (run the dashboard) and ``export`` (the current map as PNG/PDF).

The area profile PDF is ``quartiersatlas profile --area ID --out FILE.pdf`` (demography_cmds).
"""

from __future__ import annotations

import logging
from pathlib import Path

import click

from dashboard.cli import main
from dashboard.cli._common import data_option, level_option, open_dataset, reports_errors
from dashboard.export import PAGE_FORMATS
from layers.types import COMBINE_RULES

log = logging.getLogger(__name__)

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


@main.command("serve")
@data_option
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to bind. Anything but 127.0.0.1/localhost makes the app reachable from "
    "other machines.",
)
@click.option(
    "--port", type=click.IntRange(1, 65535), default=8050, show_default=True, help="TCP port."
)
@reports_errors
def serve_cmd(data_dir: Path | None, host: str, port: int) -> None:
    """Start the dashboard (Dash debug mode off) at http://HOST:PORT/.

    For several users run the WSGI app with gunicorn instead, e.g.
    ``gunicorn -w 4 -b 127.0.0.1:8050 'dashboard.wsgi:create_server()'`` (docs/deployment.md).
    """
    from dashboard.app import create_app, warm_up_in_background

    dataset = open_dataset(data_dir)
    app = create_app(dataset)
    warm_up_in_background(app)
    if host not in LOCAL_HOSTS:
        click.echo(
            f"Warning: binding to {host}: the app is reachable from other machines and has no "
            "login. Use a reverse proxy with authentication for anything but a trusted network.",
            err=True,
        )
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"Quartiersatlas: {dataset.metadata.name} on http://{shown}:{port}/", err=True)
    app.run(host=host, port=port, debug=False)


@main.command("export")
@data_option
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Output file: .png or .pdf.",
)
@click.option(
    "--category",
    "categories",
    multiple=True,
    help="Category id (repeatable or comma-separated; default: the first category, as the "
    "app opens).",
)
@click.option(
    "--require",
    type=click.Choice(COMBINE_RULES),
    default="all",
    show_default=True,
    help="all: one map of the residents reaching every --category (as the app's map); each: "
    "one map per category, written to OUT with '-<category>' before the suffix.",
)
@click.option(
    "--radius",
    "radius_m",
    type=float,
    default=500.0,
    show_default=True,
    help="Walking distance in metres.",
)
@click.option("--year", type=int, default=None, help="Population year (default: latest).")
@click.option("--group", default="total", show_default=True, help="Population group.")
@level_option
@click.option("--gaps/--no-gaps", default=False, show_default=True, help="Draw the gap hexagons.")
@click.option(
    "--format",
    "page_format",
    type=click.Choice(PAGE_FORMATS),
    default="a4",
    show_default=True,
    help="Page: A4 landscape or a 16:9 slide.",
)
@click.option("--lang", type=click.Choice(("de", "en")), default="de", show_default=True)
@reports_errors
def export_cmd(
    data_dir: Path | None,
    out: Path,
    categories: tuple[str, ...],
    require: str,
    radius_m: float,
    year: int | None,
    group: str,
    level: str,
    gaps: bool,
    page_format: str,
    lang: str,
) -> None:
    """Render the map as the app shows it (title, legend, source and date) to PNG or PDF.

    The extent is fixed to the whole city, so repeated exports line up.
    """
    from dashboard.export import IMAGE_FORMATS, check_suffix
    from dashboard.export_map import export_map_view
    from layers.coverage import check_categories

    check_suffix(out, IMAGE_FORMATS, what="map export")
    from dashboard import render

    render.prepare_in_background()  # the browser starts while the dataset loads
    dataset = open_dataset(data_dir)
    valid = [c.id for c in dataset.categories]
    chosen = check_categories(list(categories), valid) if categories else valid[:1]
    maps = [(out, chosen)]
    if require == "each" and len(chosen) > 1:
        maps = [(out.with_name(f"{out.stem}-{c}{out.suffix}"), [c]) for c in chosen]
    layers = ("facilities", "gaps") if gaps else ("facilities",)
    for target, cats in maps:
        written = export_map_view(
            dataset,
            target,
            categories=cats,
            radius_m=radius_m,
            year=year,
            group=group,
            level=level,
            layers=layers,
            page_format=page_format,  # type: ignore[arg-type]
            lang=lang,  # type: ignore[arg-type]
        )
        click.echo(f"wrote {written}", err=True)


__all__ = ["export_cmd", "serve_cmd"]
