"""Screenshots of the four views, present mode, a phone and the profile PDF, as a person sees them.

With ``QUARTIERSATLAS_SCREENSHOTS=DIR`` (``make screenshots`` sets ``docs/screenshots``) the
pictures are written there for the README; otherwise into a temporary folder. Either way each
picture is checked for being a real, drawn page (not blank, the expected size).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import numpy as np
import pytest
from qa_browser import wait_for, wait_idle, wait_map_values, wait_text

from dashboard import ids

VIEWS = (
    ("planner", "/", (1440, 900)),
    ("scenario", "/?view=scenario&add=care:49.00937:8.40444", (1440, 900)),
    ("compare", "/?view=compare", (1440, 900)),
    ("present", "/?present=1", (1440, 900)),
)


@pytest.fixture
def shots(tmp_path) -> Path:
    """The folder the pictures go to."""
    folder = Path(os.environ.get("QUARTIERSATLAS_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def assert_drawn(path: Path, size: tuple[int, int]) -> None:
    """The PNG has the window's size and is a drawn page: many colours, not one flat plane."""
    from PIL import Image

    with Image.open(path) as image:
        assert image.size == size, (path, image.size)
        pixels = np.asarray(image.convert("RGB"))
    colours = len(np.unique(pixels.reshape(-1, 3), axis=0))
    assert colours > 200, f"{path.name}: only {colours} colours"


def capture(dash_duo, path: Path, size: tuple[int, int]) -> None:
    dash_duo.driver.set_window_size(*size)
    # set_window_size sizes the window; the page's viewport is what the picture shows
    inner = dash_duo.driver.execute_script("return [window.innerWidth, window.innerHeight];")
    dash_duo.driver.set_window_size(size[0] * 2 - inner[0], size[1] * 2 - inner[1])
    wait_idle(dash_duo)
    dash_duo.driver.save_screenshot(str(path))
    assert_drawn(path, size)


@pytest.mark.parametrize(("name", "query", "size"), VIEWS, ids=[v[0] for v in VIEWS])
def test_view_screenshots(dash_duo, make_app, shots, name, query, size):
    dash_duo.start_server(make_app())
    dash_duo.driver.set_window_size(*size)
    dash_duo.driver.get(dash_duo.server_url + query)
    wait_map_values(dash_duo)
    capture(dash_duo, shots / f"{name}.png", size)


def test_coordinator_phone_screenshot(dash_duo, make_app, shots):
    dash_duo.start_server(make_app())
    dash_duo.driver.set_window_size(390, 844)
    dash_duo.driver.get(
        dash_duo.server_url
        + "/?view=coordinator&loc=49.01188,8.36396&addr=Rheinstraße 12, 76185 Karlsruhe"
    )
    wait_text(dash_duo, f"#{ids.COORD_RESULT}", "Rheinstraße 12")
    wait_map_values(dash_duo)
    capture(dash_duo, shots / "coordinator-phone.png", (390, 844))


def test_profile_pdf_screenshot(shots, tmp_path):
    from click.testing import CliRunner

    from dashboard.cli import main

    pdf = tmp_path / "profil.pdf"
    result = CliRunner().invoke(main, ["profile", "--area", "08", "--out", str(pdf)])
    assert result.exit_code == 0, result.output
    subprocess.run(
        ["pdftoppm", "-r", "80", "-png", "-singlefile", str(pdf), str(shots / "profile")],
        check=True,
    )
    wait_for(lambda: (shots / "profile.png").exists(), what="the rendered profile page")
    from PIL import Image

    with Image.open(shots / "profile.png") as image:
        width, height = image.size
    assert_drawn(shots / "profile.png", (width, height))
    assert height > width  # an A4 page, portrait
