"""Export of the view a user has in the browser: the state read back from the page's URL is
rendered as PNG and PDF (``dashboard.export_map.render_view``, what an export button calls).

The app has no export button yet; this checks the export side of that flow end to end from a
real browser session. PNG and PDF must not be blank.
"""

from __future__ import annotations

import io
import shutil
import subprocess

import numpy as np
import pytest
from PIL import Image
from qa_browser import url_query, wait_for, wait_map_values
from selenium.webdriver.common.keys import Keys

from dashboard import ids
from dashboard.app import get_context
from dashboard.callbacks.url_state import state_from_url
from dashboard.export_map import export_server, render_view

pytestmark = pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="needs poppler-utils")


def non_white_share(image: Image.Image) -> float:
    pixels = np.asarray(image.convert("RGB"), dtype=np.int16)
    return float((pixels.min(axis=2) < 235).mean())


def test_current_view_exports_as_png_and_pdf(dash_duo, make_app, tmp_path):
    app = make_app()
    dash_duo.start_server(app)
    wait_map_values(dash_duo)
    dash_duo.find_element(f"#{ids.DISTANCE} [role='slider']").send_keys(Keys.END)
    query = wait_for(
        lambda: (lambda q: q if "dist=2000" in q else None)(url_query(dash_duo)),
        what="the changed distance in the URL",
    )
    ctx = get_context(app)
    state = state_from_url(ctx, query)
    assert state.radius_m == 2000

    with export_server():
        png = render_view(ctx, state, fmt="png", page_format="a4")
        pdf = render_view(ctx, state, fmt="pdf", page_format="16:9")
    image = Image.open(io.BytesIO(png))
    assert image.size == (2246, 1588)
    assert non_white_share(image) > 0.15

    (tmp_path / "view.pdf").write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", "72", "-png", str(tmp_path / "view.pdf"), str(tmp_path / "page")],
        check=True,
    )
    (page,) = sorted(tmp_path.glob("page*.png"))
    assert non_white_share(Image.open(page)) > 0.15
    text = subprocess.run(
        ["pdftotext", str(tmp_path / "view.pdf"), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "2,0 km" in text  # the exported view is the one the user chose
