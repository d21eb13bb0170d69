"""`streamlit run app.py` in headless Chromium: the page a user sees renders, in Chinese."""

from __future__ import annotations

import pytest

from analytics.present import geometry
from tests.browser import (
    ARTIFACTS,
    MAP,
    TIMEOUT,
    fitted_width,
    hover_until_tooltip,
    idle,
    launch,
    open_map,
    open_page,
    running_app,
    wait_for_map,
    wait_for_query,
    wait_for_text,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def server(demo_db):
    yield from running_app(demo_db)


def test_home_page_renders_in_chromium(server):
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser, page = open_page(p, server, 1400, 1000, ready="[data-testid='stMetric']")
        page.screenshot(path=str(ARTIFACTS / "home.png"), full_page=True)
        text = page.inner_text("body")
        browser.close()
    assert "县域义务教育优质均衡发展监测" in text
    assert "演示数据（模拟生成）" in text
    assert "183" in text


def test_clicking_a_county_on_the_map_opens_its_profile(server):
    """Prefecture map of 成都市: a click on 龙泉驿区 selects it (the URL gains it), its
    schools appear, and the profile page shows that county."""
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser, page = open_map(p, server + "/map?year=2024&region=510100", 1400, 1000)
        chart = page.wait_for_selector(MAP, timeout=TIMEOUT)
        chart.scroll_into_view_if_needed()  # the click lands on the map, not below the fold
        box = chart.bounding_box()
        dx, dy = geometry.screen_offset(geometry.region_bounds("510100"), *geometry.click_point("510100", "510112"), 600,
                                    fitted_width(box))
        x, y = box["x"] + box["width"] / 2 + dx, box["y"] + box["height"] / 2 + dy
        assert "龙泉驿区" in hover_until_tooltip(page, x, y)
        page.mouse.click(x, y)
        wait_for_query(page, "county", "510112")
        page.screenshot(path=str(ARTIFACTS / "map_selected.png"))
        page.get_by_text("查看县域画像").click()
        wait_for_text(page, "h1", "龙泉驿区")
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
        browser = launch(p)
        page = browser.new_page(viewport={"width": 1400, "height": 3200})
        page.on("request", lambda r: outside.append(r.url) if not r.url.startswith((server, "data:", "blob:")) else None)
        page.goto(server + "/progress?plan=rectification-2024-2026&region=510000&year=2025")
        wait_for_map(page)
        page.wait_for_selector("[data-testid='stVegaLiteChart']", timeout=TIMEOUT)
        idle(page)
        page.screenshot(path=str(ARTIFACTS / "progress.png"), full_page=True)
        text = page.inner_text("body")
        charts = len(page.query_selector_all("[data-testid='stVegaLiteChart']"))
        browser.close()
    assert "目标进展：四川省 · 截至2025年" in text
    assert "严重滞后" in text
    assert charts >= 10
    assert outside == []


def _choose(page, label: str, typed: str, option: str) -> None:
    """Pick an option of a selectbox as a user does: type into it, click the option it offers."""
    combo = page.get_by_role("combobox", name=label)
    combo.click()
    combo.fill(typed)
    page.get_by_role("option", name=option).click()


def test_choosing_a_rule_set_in_the_app_changes_the_map_and_the_comparison_shows_who_changes(server):
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser, page = open_map(p, server + "/map?region=510000", 1366, 768)
        _choose(page, "评估标准", "全部教学点", "教督〔2017〕6号，全部教学点计入资源配置指标（国家文本）")
        wait_for_query(page, "rules", "all-teaching-points")
        wait_for_text(page, "[data-testid='stMain']", "评估标准：教督〔2017〕6号，全部教学点计入")
        _choose(page, "着色指标", "国家标准", "所选评估标准与国家标准：评估状态")
        wait_for_query(page, "metric", "change_rules")
        wait_for_map(page)
        idle(page)
        page.screenshot(path=str(ARTIFACTS / "rules_compared.png"))
        title = page.inner_text("h1")
        page.get_by_role("tab", name="表格").click()
        grid = page.wait_for_selector("[data-testid='stDataFrame']", timeout=TIMEOUT)
        idle(page)
        shown = page.inner_text("[data-testid='stMain']")
        browser.close()
    assert "所选评估标准与国家标准" in title
    assert grid is not None and "指标代码" in shown
