"""`streamlit run app.py` in headless Chromium: the page a user sees renders, in Chinese."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def running_app(db_path):
    """A fresh `streamlit run app.py` on the database, on a free loopback port: yields its URL."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("Debian chromium is not installed: .ci/run must install it")
        pytest.skip("chromium not installed (apt-get install chromium fonts-noto-cjk)")
    port = _free_port()
    env = dict(os.environ, JUNHENG_DB=str(db_path))
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url + "/_stcore/health", timeout=2)
            break
        except OSError:
            time.sleep(0.5)
    else:
        proc.kill()
        pytest.fail("streamlit did not start within 60 s")
    yield url
    proc.terminate()
    proc.wait(timeout=20)


@pytest.fixture(scope="module")
def server(demo_db):
    yield from running_app(demo_db)


def test_home_page_renders_in_chromium(server):
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(server)
        page.wait_for_selector("[data-testid='stAppViewContainer']", timeout=60_000)
        page.wait_for_selector("[data-testid='stMetric']", timeout=120_000)
        page.wait_for_selector("[data-testid='stStatusWidget']", state="detached", timeout=120_000)
        page.screenshot(path=str(ARTIFACTS / "home.png"), full_page=True)
        text = page.inner_text("body")
        browser.close()
    assert "县域义务教育优质均衡发展监测" in text
    assert "演示数据（模拟生成）" in text
    assert "183" in text


def _launch(p):
    return p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def _settle(page) -> None:
    page.wait_for_timeout(1000)
    page.wait_for_selector("[data-testid='stStatusWidget']", state="detached", timeout=120_000)
    page.wait_for_timeout(1500)


def test_clicking_a_county_on_the_map_opens_its_profile(server):
    """Prefecture map of 成都市: a click on 龙泉驿区 selects it (the URL gains it), its
    schools appear, and the profile page shows that county."""
    from urllib.parse import parse_qs, urlparse

    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = _launch(p)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(server + "/map?year=2024&region=510100")
        page.wait_for_selector("[class*='-fitted'] [data-testid='stDeckGlJsonChart'] canvas", timeout=120_000)
        _settle(page)
        from analytics import maps

        chart = page.wait_for_selector("[data-testid='stDeckGlJsonChart']", timeout=120_000)
        chart.scroll_into_view_if_needed()  # the click lands on the map, not below the fold
        page.wait_for_timeout(500)
        box = chart.bounding_box()
        dx, dy = maps.screen_offset(maps.region_bounds("510100"), *maps.click_point("510100", "510112"), 600,
                                    int(box["width"]) // 8 * 8)  # fitted to the column's width, in 8 px steps
        page.mouse.move(box["x"] + box["width"] / 2 + dx, box["y"] + box["height"] / 2 + dy)
        page.wait_for_timeout(300)
        page.mouse.click(box["x"] + box["width"] / 2 + dx, box["y"] + box["height"] / 2 + dy)
        page.wait_for_function("() => window.location.search.includes('county=')", timeout=60_000)
        _settle(page)
        page.screenshot(path=str(ARTIFACTS / "map_selected.png"))
        county = parse_qs(urlparse(page.url).query)["county"][0]
        assert county == "510112"
        page.get_by_text("查看县域画像").click()
        page.wait_for_selector("h1", timeout=60_000)
        _settle(page)
        page.screenshot(path=str(ARTIFACTS / "profile.png"), full_page=True)
        title = page.inner_text("h1")
        browser.close()
    assert "成都市" in title and "2024年" in title


def test_progress_page_draws_offline_with_no_request_leaving_the_machine(server):
    """The progress page (scorecard, charts, map) draws, and the browser asks nothing of the
    internet: no CDN, no map tiles, no web fonts (users sit on intranets)."""
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    outside = []
    with sync_playwright() as p:
        browser = _launch(p)
        page = browser.new_page(viewport={"width": 1400, "height": 3200})
        page.on("request", lambda r: outside.append(r.url) if not r.url.startswith((server, "data:", "blob:")) else None)
        page.goto(server + "/progress?plan=rectification-2024-2026&region=510000&year=2025")
        page.wait_for_selector("[data-testid='stDeckGlJsonChart'] canvas", timeout=120_000)
        page.wait_for_selector("[data-testid='stVegaLiteChart']", timeout=120_000)
        _settle(page)
        page.screenshot(path=str(ARTIFACTS / "progress.png"), full_page=True)
        text = page.inner_text("body")
        charts = len(page.query_selector_all("[data-testid='stVegaLiteChart']"))
        browser.close()
    assert "目标进展：四川省 · 截至2025年" in text
    assert "严重滞后" in text
    assert charts >= 10
    assert outside == []
