"""A test skipped for a missing system package (PostgreSQL/PostGIS, Chromium) is a failure.

``make test`` / ``.ci/run`` claim to run the PostGIS and browser suites; a machine without the
packages must not report success with those suites skipped. Every skip whose reason names one of
the packages below becomes a failure with the install hint. A local developer may opt out per
group: ``QUARTIERSATLAS_ALLOW_SKIP=postgis,browser`` (or ``all``) keeps those skips as skips.
Skips for missing *data* (the shared raw files, Berlin) are not affected.
"""

from __future__ import annotations

import os

import pytest

ALLOW_SKIP_ENV = "QUARTIERSATLAS_ALLOW_SKIP"
SYSTEM_DEPENDENCIES: dict[str, tuple[tuple[str, ...], str]] = {
    "postgis": (
        ("postgresql", "postgis"),
        "scripts/install-system-deps.sh all (postgresql and postgresql-<major>-postgis-3)",
    ),
    "browser": (
        ("chromium", "chromedriver", "chrome"),
        "scripts/install-system-deps.sh browser (chromium chromium-driver)",
    ),
    "poppler": (("poppler", "pdftoppm"), "scripts/install-system-deps.sh browser (poppler-utils)"),
}


def allowed_skips(environ: dict[str, str] | None = None) -> set[str]:
    """The dependency groups whose skips stay skips (from ``$QUARTIERSATLAS_ALLOW_SKIP``)."""
    text = (os.environ if environ is None else environ).get(ALLOW_SKIP_ENV, "")
    groups = {g.strip().lower() for g in text.split(",") if g.strip()}
    return set(SYSTEM_DEPENDENCIES) if "all" in groups else groups


def missing_dependency(reason: str) -> str | None:
    """The dependency group a skip reason is about, or None."""
    lowered = reason.lower()
    for group, (words, _hint) in SYSTEM_DEPENDENCIES.items():
        if any(word in lowered for word in words):
            return group
    return None


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> object:
    """Turn a skip for a missing system package into a failure (unless allowed)."""
    outcome = yield
    report = outcome.get_result()
    if not report.skipped or hasattr(report, "wasxfail"):
        return
    longrepr = report.longrepr
    reason = str(longrepr[2] if isinstance(longrepr, tuple) else longrepr)
    group = missing_dependency(reason)
    if group is None or group in allowed_skips():
        return
    report.outcome = "failed"
    report.longrepr = (
        f"{reason}\nThis suite needs it: install with {SYSTEM_DEPENDENCIES[group][1]}. "
        f"To skip locally instead, set {ALLOW_SKIP_ENV}={group}."
    )
