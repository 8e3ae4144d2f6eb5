"""Accessibility: axe-core finds no serious or critical WCAG 2.1 A/AA violation in the main views
(BITV 2.0 / WCAG 2.1 AA).

axe-selenium-python 2.1.6 (the last release for Python 3.11) bundles axe-core 1.1, which knows no
WCAG 2.1 rules; axe-playwright-python bundles axe-core 4.x. Its ``axe.min.js`` is read from the
installed package (offline) and injected with Selenium, the same way axe-selenium-python does.
"""

from __future__ import annotations

import importlib.resources

import pytest
from axe_selenium_python import Axe
from qa_browser import wait_map_values, wait_text

from dashboard import ids

AXE_JS = importlib.resources.files("axe_playwright_python").joinpath("axe.min.js")
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = {"serious", "critical"}


def axe_violations(dash_duo) -> list[dict]:
    """Serious and critical WCAG 2.1 A/AA violations on the current page."""
    dash_duo.driver.set_script_timeout(120)
    axe = Axe(dash_duo.driver, script_url=str(AXE_JS))
    axe.inject()
    results = dash_duo.driver.execute_async_script(
        "var done = arguments[arguments.length - 1];"
        "axe.run(document, arguments[0]).then(done).catch(function (e) {"
        " done({error: String(e)}); });",
        {"runOnly": {"type": "tag", "values": WCAG_TAGS}},
    )
    assert "error" not in results, results
    return [v for v in results["violations"] if v.get("impact") in BLOCKING]


def describe(violations: list[dict]) -> str:
    """One line per violation: rule, impact and the first offending elements."""
    lines = []
    for v in violations:
        targets = [" ".join(map(str, n.get("target", []))) for n in v.get("nodes", [])[:4]]
        lines.append(f"{v['id']} ({v['impact']}): {v['help']} -> {targets}")
    return "\n".join(lines)


def test_axe_bundle_is_local_and_knows_wcag21():
    head = AXE_JS.read_text(encoding="utf-8")[:200]
    major = int(head.split("axe v", 1)[1].split(".", 1)[0])
    assert major >= 4, head


@pytest.mark.parametrize(
    "query",
    ["", "?view=coordinator&lang=en", "?view=scenario", "?area=05&layers=facilities"],
    ids=["plan", "coordinator-en", "scenario", "profile"],
)
def test_no_serious_or_critical_violations(dash_duo, make_app, query):
    dash_duo.start_server(make_app())
    if query:
        dash_duo.driver.get(dash_duo.server_url + "/" + query)
    wait_map_values(dash_duo)
    if "area=" in query:
        wait_text(dash_duo, f"#{ids.PROFILE_BODY}", "Weststadt", timeout=60)
    violations = axe_violations(dash_duo)
    assert not violations, "axe-core found:\n" + describe(violations)
