"""CLI: ``serve`` (bind address, debug off), ``export`` (map PNG/PDF) and ``profile --out``."""

from __future__ import annotations

import re
import shutil
import subprocess

import dash
import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from dashboard.cli import main

needs_chromium = pytest.mark.skipif(shutil.which("chromium") is None, reason="needs Chromium")


@pytest.fixture
def runs(monkeypatch):
    """Record ``Dash.run`` calls instead of starting a server."""
    calls = []
    monkeypatch.setattr(dash.Dash, "run", lambda self, **kw: calls.append((self, kw)))
    return calls


def test_serve_defaults_to_localhost_without_debug(grid_dataset, runs):
    result = CliRunner().invoke(main, ["serve", "--data", str(grid_dataset)])
    assert result.exit_code == 0, result.output
    ((_app, kwargs),) = runs
    assert kwargs == {"host": "127.0.0.1", "port": 8050, "debug": False}
    assert "http://127.0.0.1:8050/" in result.output
    assert "reachable from other machines" not in result.output


def test_serve_other_host_warns(grid_dataset, runs):
    result = CliRunner().invoke(
        main, ["serve", "--data", str(grid_dataset), "--host", "0.0.0.0", "--port", "9000"]
    )
    assert result.exit_code == 0, result.output
    assert runs[0][1]["host"] == "0.0.0.0"
    assert runs[0][1]["port"] == 9000
    assert "reachable from other machines" in result.output


def test_serve_bad_port(grid_dataset, runs):
    result = CliRunner().invoke(main, ["serve", "--data", str(grid_dataset), "--port", "70000"])
    assert result.exit_code == 2
    assert "70000" in result.output
    assert runs == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--out", "map.svg"], r"suffix \.svg; use one of \.png, \.pdf"),
        (["--out", "map.png", "--category", "kino"], "unknown category 'kino'"),
        (["--out", "map.png", "--year", "1990"], "valid years: 2020, 2021"),
        (["--out", "map.png", "--radius", "-5"], "radius must be greater than 0"),
        (["--out", "map.png", "--level", "planning_area"], "has no planning areas"),
    ],
)
def test_export_errors_write_nothing(grid_dataset, tmp_path, args, message):
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    args = [a if a not in ("map.png", "map.svg") else str(out_dir / a) for a in args]
    result = CliRunner().invoke(main, ["export", "--data", str(grid_dataset), *args])
    assert result.exit_code == 1, result.output
    assert re.search(message, result.output), result.output
    assert list(out_dir.iterdir()) == []


def test_export_into_a_file_path_fails_cleanly(grid_dataset, tmp_path):
    blocker = tmp_path / "blocker"
    blocker.write_text("x")
    result = CliRunner().invoke(
        main, ["export", "--data", str(grid_dataset), "--out", str(blocker / "map.png")]
    )
    assert result.exit_code == 1
    assert "is not a folder" in result.output and "nothing was written" in result.output


@needs_chromium
def test_export_png_and_pdf(grid_dataset, tmp_path):
    png = tmp_path / "map.png"
    result = CliRunner().invoke(
        main, ["export", "--data", str(grid_dataset), "--out", str(png), "--radius", "800"]
    )
    assert result.exit_code == 0, result.output
    image = np.asarray(Image.open(png).convert("RGB"), dtype=np.int16)
    assert image.shape[:2] == (1588, 2246)
    assert (image.min(axis=2) < 235).mean() > 0.05
    pdf = tmp_path / "map.pdf"
    result = CliRunner().invoke(
        main,
        [
            "export",
            "--data",
            str(grid_dataset),
            "--out",
            str(pdf),
            "--format",
            "16:9",
            "--lang",
            "en",
            "--category",
            "care",
        ],
    )
    assert result.exit_code == 0, result.output
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    assert "960 x 540" in info.stdout
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    assert "Care" in text and "Testgrid" in text


def test_profile_pdf_needs_out(grid_dataset):
    result = CliRunner().invoke(
        main, ["profile", "--data", str(grid_dataset), "--area", "0101", "--format", "pdf"]
    )
    assert result.exit_code == 2
    assert "--out FILE.pdf" in result.output


@needs_chromium
def test_profile_pdf(grid_dataset, tmp_path):
    pdf = tmp_path / "profil.pdf"
    result = CliRunner().invoke(
        main, ["profile", "--data", str(grid_dataset), "--area", "0101", "--out", str(pdf)]
    )
    assert result.exit_code == 0, result.output
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    assert "Pages:           1" in info.stdout
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    assert "Nordwest" in text and "Gebietsprofil" in text


@needs_chromium
def test_export_labels_a_proposed_planning_area_mapping(tmp_path):
    from pathlib import Path

    data = Path(__file__).resolve().parents[2] / "data" / "karlsruhe"
    from layers.dataset import load_dataset

    if not load_dataset(data).planning_areas_proposal:
        pytest.skip("the bundled mapping is official, not a proposal")
    pdf = tmp_path / "pa.pdf"
    result = CliRunner().invoke(
        main, ["export", "--data", str(data), "--out", str(pdf), "--level", "planning_area"]
    )
    assert result.exit_code == 0, result.output
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    assert "(Vorschlag)" in text


@needs_chromium
def test_export_opens_like_the_app_and_takes_require(grid_dataset, tmp_path):
    from dashboard.state import ViewState

    seen: list[tuple[str, ...]] = []
    from dashboard import export_map

    real = export_map.render_view

    def recording(ctx, state: ViewState, **kwargs):
        seen.append(state.categories)
        return real(ctx, state, **kwargs)

    export_map.render_view, saved = recording, export_map.render_view
    try:
        one = tmp_path / "map.png"
        result = CliRunner().invoke(
            main, ["export", "--data", str(grid_dataset), "--out", str(one)]
        )
        assert result.exit_code == 0, result.output
        assert seen == [("meeting",)]  # the app's first view: the first category only
        each = tmp_path / "each.png"
        result = CliRunner().invoke(
            main,
            [
                "export",
                "--data",
                str(grid_dataset),
                "--out",
                str(each),
                "--category",
                "meeting,counselling",
                "--require",
                "each",
            ],
        )
        assert result.exit_code == 0, result.output
        assert seen[1:] == [("meeting",), ("counselling",)]
        assert sorted(p.name for p in tmp_path.glob("*.png")) == [
            "each-counselling.png",
            "each-meeting.png",
            "map.png",
        ]
    finally:
        export_map.render_view = saved
