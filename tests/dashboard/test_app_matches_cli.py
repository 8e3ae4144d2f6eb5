"""One analysis model: the app's table and ``quartiersatlas coverage`` agree to the last digit.

200 random view states (categories, combine rule ``require`` of the state, distance in metres or minutes at either
walking speed, year, group, level, planned and switched-off facilities) go through the app's
map callback (:func:`dashboard.callbacks.map.map_update`) and its table export
(:func:`dashboard.callbacks.export.table_frame`); the same parameters go to the command line.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from dashboard.callbacks import map as map_cb
from dashboard.callbacks.export import table_frame
from dashboard.cli import main
from dashboard.state import SPEEDS_KMH, ViewState

X0, Y0 = 455_000.0, 5_425_000.0
N_STATES = 200

FACILITIES = f"""id,name,category,x,y
m1,Treff Nordwest,meeting,{X0 + 500},{Y0 + 1500}
m2,Treff Süd,meeting,{X0 + 900},{Y0 + 300}
c1,Beratung Nordost,counselling,{X0 + 1500},{Y0 + 1500}
c2,Beratung Mitte,counselling,{X0 + 1020},{Y0 + 980}
p1,Pflegeheim Südost,care,{X0 + 1500},{Y0 + 500}
p2,Pflegeheim West,care,{X0 + 120},{Y0 + 700}
"""

PLANNING = """district,planning_area,planning_area_name
0101,N,Nord
0102,N,Nord
0201,S,Süd
0202,S,Süd
"""

MANIFEST_EXTRA = """
[planning_areas]
path = "planning_areas.csv"
"""


@pytest.fixture
def data(tmp_path, grid_districts, write_dataset, population_csv, minimal_manifest) -> Path:
    """The 2×2 grid with two facilities per category (with ids) and two planning areas."""
    return write_dataset(
        tmp_path / "grid",
        minimal_manifest + MANIFEST_EXTRA,
        {
            "districts.geojson": grid_districts,
            "facilities.csv": FACILITIES,
            "population.csv": population_csv,
            "planning_areas.csv": PLANNING,
        },
    )


def random_state(rng: np.random.Generator, categories: list[str], years: list[int]) -> ViewState:
    """A view state as a user could click it together."""
    n = int(rng.integers(1, len(categories) + 1))
    chosen = tuple(sorted(rng.choice(categories, size=n, replace=False), key=categories.index))
    in_minutes = bool(rng.integers(2))
    added = tuple(
        (
            str(rng.choice(categories)),
            round(float(rng.uniform(48.9765, 48.9942)), 5),
            round(float(rng.uniform(8.3852, 8.4120)), 5),
        )
        for _ in range(int(rng.integers(0, 3)))
    )
    facility_ids = ["m1", "m2", "c1", "c2", "p1", "p2"]
    removed = tuple(rng.choice(facility_ids, size=int(rng.integers(0, 3)), replace=False))
    return ViewState(
        categories=chosen,
        distance=float(rng.integers(2, 25)) if in_minutes else float(rng.integers(100, 1600)),
        unit="min" if in_minutes else "m",
        speed=str(rng.choice(list(SPEEDS_KMH))),
        year=[None, *years][int(rng.integers(len(years) + 1))],
        group=str(rng.choice(["total", "65_plus"])),
        level=str(rng.choice(["district", "planning_area"])),
        layers=("facilities",),
        added=added,
        removed=tuple(str(r) for r in removed),
    )


def cli_rows(data: Path, state: ViewState, *, require: str, year: int) -> list[dict[str, str]]:
    """``quartiersatlas coverage`` for the parameters of ``state`` (CSV rows)."""
    args = [
        "coverage",
        "--data",
        str(data),
        "--category",
        ",".join(state.categories),
        "--require",
        require,
        "--radius",
        repr(state.radius_m),
        "--year",
        str(year),
        "--group",
        state.group,
        "--level",
        state.level,
    ]
    for category, lat, lon in state.added:
        args += ["--add", f"{category},{lat!r},{lon!r}"]
    for facility in state.removed:
        args += ["--remove", facility]
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    return list(csv.DictReader(io.StringIO(result.stdout)))


def as_cli(value: float, decimals: int) -> str:
    """A number as the CLI writes it."""
    return f"{value:.{decimals}f}"


def test_app_table_equals_the_cli_for_200_random_views(data, tmp_path, monkeypatch):
    from dashboard.app import make_options
    from dashboard.cli import coverage_cmds
    from dashboard.context import AppContext
    from layers.dataset import load_dataset

    dataset = load_dataset(data)
    ctx = AppContext(dataset, make_options(user_data_dir=tmp_path / "u"))
    # the folder is read once for both (the same `load_dataset`), so 200 runs stay fast;
    # everything after reading runs as `quartiersatlas coverage --data DIR` runs it
    opened = coverage_cmds.open_dataset
    monkeypatch.setattr(
        coverage_cmds,
        "open_dataset",
        lambda folder: dataset if folder == data else opened(folder),
    )
    categories = list(ctx.category_ids)
    rng = np.random.default_rng(20261206)
    substituted = suppressed = scenarios = 0
    for _ in range(N_STATES):
        # the combine rule is part of the view (``require=`` in the link), as on the CLI
        require = str(rng.choice(["all", "each"]))
        state = random_state(rng, categories, list(ctx.years)).with_(require=require)
        out = map_cb.map_update(ctx, state)
        result = out["result"]
        params = result.params
        assert params.categories == state.categories and params.radius_m == state.radius_m
        assert (params.minutes is not None) == (state.unit == "min")
        if params.year != state.year and state.year is not None:
            assert [n.to_dict() for n in params.notes] == [
                {
                    "id": "year_substituted",
                    "asked": state.year,
                    "used": params.year,
                    "group": state.group,
                }
            ]
            substituted += 1
        assert params.require == require
        cli = cli_rows(data, state, require=require, year=params.year)
        exported = table_frame(ctx, state)
        scenarios += bool(state.added or state.removed)
        if require == "all":
            blocks = {"+".join(state.categories): ("share", cli)}
        else:
            blocks = {
                c: (f"share_{c}", [r for r in cli if r["category"] == c]) for c in state.categories
            }
        app_rows = [*result.areas.to_dict("records"), result.city.to_dict()]
        for category, (column, rows) in blocks.items():
            assert [r["category"] for r in rows] == [category] * len(app_rows)
            # the exported table: area id, name, residents, then share and residents not
            # reached: all categories at once ("all"), or one pair per category ("each")
            position = 3 if require == "all" else 3 + 2 * state.categories.index(category)
            share_col, uncovered_col = exported.columns[position : position + 2]
            assert "(%)" in share_col and "nicht erreicht" in uncovered_col
            html_header = [th.children for th in out["table"].children[1].children.children]
            assert len(html_header) == 2 + 2 * (len(state.categories) if require == "each" else 1)
            for app, row, shown, not_reached in zip(
                app_rows, rows, exported[share_col], exported[uncovered_col], strict=True
            ):
                if not app.get("suppressed"):
                    gap = float(row["residents"]) - float(row["covered"])
                    assert abs(not_reached - gap) <= 0.6
                assert row["area_id"] == app["area_id"] and row["area_name"] == app["area_name"]
                assert row["residents"] == as_cli(app["residents"], 1)
                if require == "all":
                    assert row["covered"] == as_cli(app["covered"], 1)
                assert row["share"] == (
                    "" if app[column] != app[column] else as_cli(app[column], 4)
                )
                if app.get("suppressed"):
                    assert shown != shown or shown is None  # hidden in the app's table
                    suppressed += 1
                elif row["share"]:
                    # the exported percent is the CLI's share times 100, to the last digit
                    assert Decimal(repr(shown)) == Decimal(row["share"]) * 100
    # the random states did reach the interesting cases
    assert substituted > 10 and suppressed > 10 and scenarios > 50
