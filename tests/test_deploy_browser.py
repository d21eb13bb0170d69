"""Several app processes behind one database file (docs/deploy.md): two read-only servers on two
ports show the same data, an import swaps in a new version meanwhile, and both show the new
version on their next run, without an error."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from analytics.store import db
from tests.browser import CHROMIUM, CHROMIUM_ARGS, idle, running_app
from tests.factory import CORPUS, GOOD_CORPUS, School, build

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _schools_shown(page, url: str) -> str:
    page.goto(url + "/?lang=en")
    page.wait_for_selector("[data-testid='stMetric']", timeout=120_000)
    idle(page)
    metric = page.locator("[data-testid='stMetric']").filter(has_text="Schools").first
    assert page.locator("[data-testid='stException']").count() == 0
    return metric.locator("[data-testid='stMetricValue']").inner_text().strip()


def test_two_app_processes_read_one_file_while_an_import_swaps_it(tmp_path, monkeypatch):
    from playwright.sync_api import sync_playwright

    path = build(tmp_path / "shared.duckdb", [School("a", {"primary": 300}), School("b", {"primary": 200})])
    monkeypatch.setenv("JUNHENG_READONLY", "1")  # the serving processes never write
    first, second = running_app(path), running_app(path)
    url1, url2 = next(first), next(second)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page1, page2 = browser.new_page(), browser.new_page()
            assert _schools_shown(page1, url1) == _schools_shown(page2, url2) == "2"
            env = {k: v for k, v in os.environ.items() if k != "JUNHENG_READONLY"}
            done = subprocess.run([sys.executable, "-m", "analytics", "import", "--db", str(path), "--new",
                                   *[str(CORPUS / n) for n in GOOD_CORPUS]], env=env, capture_output=True, text=True)
            assert done.returncode == 0, done.stderr
            with db.connect(path) as con:
                now = f"{db.summary(con).schools:,}"
            assert now != "2"
            assert _schools_shown(page1, url1) == _schools_shown(page2, url2) == now
            browser.close()
    finally:
        for server in (first, second):
            with pytest.raises(StopIteration):
                next(server)
