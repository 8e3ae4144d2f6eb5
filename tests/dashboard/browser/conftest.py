"""Browser tests: dash[testing]'s ``dash_duo`` driving Debian's headless Chromium.

Run them with ``.venv/bin/pytest tests/dashboard/browser -q`` (or ``-m browser`` from the root);
skip them in the fast suite with ``-m "not browser"``. Every test here is marked ``browser``.

Setup (see ../shared/notes/stack.md): ``apt-get install chromium chromium-driver`` gives
``/usr/bin/chromium`` and ``/usr/bin/chromedriver``. The options below make Chromium run headless
without the ``--headless`` flag of the dash plugin (``pytest_configure`` switches it on, so
downloads work in headless mode too), with no sandbox (root in containers), no GPU and no
background network traffic, so the suite runs offline.

Dataset: the bundled ``data/karlsruhe`` (27 districts, ~41,000 resident points), loaded once per
session; each test builds its own app with :func:`dashboard.app.create_app` (about 0.4 s) and a
temporary user data folder, so uploads of one test never reach another.
"""

from __future__ import annotations

import dataclasses
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
BUNDLED = ROOT / "data" / "karlsruhe"
sys.path.insert(0, str(Path(__file__).parent))  # helpers: qa_browser.py (importlib mode)

from qa_browser import XSS_NAME  # noqa: E402

CHROME_ARGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--no-first-run",
    "--no-default-browser-check",
    "--window-size=1400,1000",
    "--lang=de-DE",
)


def pytest_configure(config: pytest.Config) -> None:
    """Run headless even without ``--headless`` (dash_duo then also enables downloads)."""
    if hasattr(config.option, "headless"):
        config.option.headless = True


def pytest_setup_options():
    """Chrome options for dash_duo: Debian's Chromium, headless, offline."""
    from selenium.webdriver.chrome.options import Options

    options = Options()
    options.binary_location = CHROMIUM
    for arg in CHROME_ARGS:
        options.add_argument(arg)
    # keep the performance log available for transfer-size checks
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    return options


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test of this folder ``browser``."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session", autouse=True)
def _thread_system_exit_is_no_error():
    """A thread ended by SystemExit is no error, as with Python's own ``threading.excepthook``.

    dash_duo's server runner stops every thread that started while it served by raising
    SystemExit in it (``dash.testing.application_runners.KillerThread``), the export renderer's
    browser threads included. pytest's thread-exception hook would report that against whatever
    test runs next; every other thread exception still fails the test.
    """
    import threading

    pytest_hook = threading.excepthook

    def hook(args: threading.ExceptHookArgs) -> None:
        if args.exc_type is not SystemExit:
            pytest_hook(args)

    threading.excepthook = hook
    yield
    threading.excepthook = pytest_hook


@pytest.fixture(scope="session")
def karlsruhe():
    """The bundled Karlsruhe dataset (loaded once)."""
    if shutil.which("chromium") is None and not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed (apt-get install chromium chromium-driver)")
    from layers.dataset import load_dataset

    return load_dataset(BUNDLED)


@pytest.fixture
def make_app(tmp_path: Path, karlsruhe) -> Callable:
    """``make_app(dataset=None, **options)``: a fresh app with a temporary user data folder."""
    from dashboard.app import create_app

    def make(dataset=None, **options):
        options.setdefault("user_data_dir", tmp_path / "userdata")
        return create_app(dataset if dataset is not None else karlsruhe, **options)

    return make


@pytest.fixture
def xss_dataset(karlsruhe):
    """Karlsruhe with the first facility renamed to an HTML/script payload."""
    facilities = karlsruhe.facilities.copy()
    facilities.loc[facilities.index[0], "name"] = XSS_NAME
    facilities.loc[facilities.index[0], "address"] = XSS_NAME
    return dataclasses.replace(karlsruhe, facilities=facilities)
