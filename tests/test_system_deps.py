"""Skips for missing PostgreSQL/PostGIS or Chromium fail unless the developer opts out."""

from __future__ import annotations

import pytest
import system_deps

pytest_plugins = ["pytester"]


@pytest.mark.parametrize(
    ("reason", "group"),
    [
        ("PostGIS not installed (apt-get install postgresql-15-postgis-3)", "postgis"),
        ("PostgreSQL binaries not installed", "postgis"),
        ("Chromium is not installed (apt-get install chromium chromium-driver)", "browser"),
        ("kaleido needs a Chromium", "browser"),
        ("needs poppler-utils", "poppler"),
        ("the Berlin source files are not available", None),
    ],
)
def test_skip_reasons_are_grouped(reason: str, group: str | None) -> None:
    assert system_deps.missing_dependency(reason) == group


def test_allowed_skips_from_environment() -> None:
    assert system_deps.allowed_skips({}) == set()
    assert system_deps.allowed_skips({"QUARTIERSATLAS_ALLOW_SKIP": "postgis, browser"}) == {
        "postgis",
        "browser",
    }
    assert system_deps.allowed_skips({"QUARTIERSATLAS_ALLOW_SKIP": "all"}) == {
        "postgis",
        "browser",
        "poppler",
    }


SUITE = """
import pytest

def test_db():
    pytest.skip("PostGIS not installed (apt-get install postgresql-15-postgis-3)")

def test_data():
    pytest.skip("the Berlin source files are not available")
"""


def test_missing_postgis_fails_the_run(pytester: pytest.Pytester, monkeypatch) -> None:
    monkeypatch.delenv("QUARTIERSATLAS_ALLOW_SKIP", raising=False)
    pytester.makeconftest(
        "import system_deps\npytest_runtest_makereport = system_deps.pytest_runtest_makereport\n"
    )
    pytester.makepyfile(SUITE)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1, skipped=1)
    result.stdout.fnmatch_lines(["*install with scripts/install-system-deps.sh all*"])
    monkeypatch.setenv("QUARTIERSATLAS_ALLOW_SKIP", "postgis")
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(skipped=2)
