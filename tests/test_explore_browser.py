"""The explorer as a user walks it, in CI's software-rendered Chromium, on a fresh server over
data with a national view (四川 and 重庆): national map → province → prefecture → county →
school → profile, Back, English kept across pages, the place search, play, the table."""

from __future__ import annotations

import re
import time
from urllib.parse import urlparse

import pytest

from analytics.present import geometry
from analytics.store import db
from analytics.synthetic import demo
from tests.browser import (
    ARTIFACTS,
    MAP,
    TIMEOUT,
    fitted_width,
    hover_until_tooltip,
    idle,
    launch,
    map_image,
    open_map,
    query,
    running_app,
    wait_for_map,
    wait_for_query,
    wait_for_text,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

MAP_HEIGHT = 600  # pages/map.py


@pytest.fixture(scope="module")
def chengyu_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("chengyu") / "chengyu.duckdb"
    demo.build_demo(path, scope="chengyu")
    return path


@pytest.fixture(scope="module")
def server(chengyu_db):
    yield from running_app(chengyu_db)


def click_map(page, region: str, lon: float, lat: float, bounds=None, height: int = MAP_HEIGHT) -> str:
    """Click the map at (lon, lat) once deck.gl shows that place's tooltip. Returns the tooltip."""
    wait_for_map(page)  # drawn again after a rerun
    page.wait_for_selector(MAP, timeout=TIMEOUT).scroll_into_view_if_needed()
    box = page.wait_for_selector(MAP, timeout=TIMEOUT).bounding_box()
    dx, dy = geometry.screen_offset(bounds or geometry.main_bounds(region), lon, lat, height, fitted_width(box))
    x, y = box["x"] + box["width"] / 2 + dx, box["y"] + box["height"] / 2 + dy
    tip = hover_until_tooltip(page, x, y)
    page.mouse.click(x, y)
    return tip


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"explore_{name}.png"))


def test_drill_down_from_the_national_map_to_a_school_and_back(server, chengyu_db):
    from playwright.sync_api import sync_playwright

    with db.connect(chengyu_db) as con:
        school = con.execute("SELECT school_id, longitude, latitude FROM schools WHERE adcode = '513434' "
                             "ORDER BY school_id LIMIT 1").fetchone()
    with sync_playwright() as p:
        browser, page = open_map(p, server + "/map")
        assert query(page)["region"] == "000000"  # two provinces: the user starts at the national view
        shot(page, "1_national")

        click_map(page, "000000", *geometry.click_point("000000", "510000"))
        wait_for_query(page, "region", "510000")
        shot(page, "2_province")

        click_map(page, "510000", *geometry.click_point("510000", "513434"))
        wait_for_query(page, "region", "513400")
        shot(page, "3_prefecture")

        click_map(page, "513400", *geometry.click_point("513400", "513434"))
        wait_for_query(page, "county", "513434")
        shot(page, "4_county")

        click_map(page, "513400", school[1], school[2], bounds=geometry.region_bounds("513434"))
        wait_for_query(page, "school", school[0])
        shot(page, "5_school")

        page.get_by_text("查看县域画像").click()
        page.wait_for_url(re.compile(r"/county\?"), timeout=60_000)
        wait_for_text(page, "h1", "越西县")
        shot(page, "6_profile")

        page.go_back()
        wait_for_text(page, "h1", "凉山彝族自治州")
        page.go_back()
        page.wait_for_function("() => !new URLSearchParams(window.location.search).has('school')", timeout=60_000)
        wait_for_text(page, "h1", "凉山彝族自治州")
        q = query(page)
        assert urlparse(page.url).path.endswith("/map")
        assert q["region"] == "513400" and q.get("county", "") in ("", "513434") and "school" not in q
        assert "凉山彝族自治州" in page.inner_text("h1")
        browser.close()


def test_english_stays_on_across_pages_and_in_the_url(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser, page = open_map(p, server + "/map?region=510000")
        page.get_by_text("English", exact=True).click()
        wait_for_query(page, "lang", "en")
        for label, path, text in [("County profile", "/county", "Click a county on the map"),
                                  ("Targets", "/progress", "Progress:"), ("Gap", "/gap", "What it takes to pass"),
                                  ("Home", "/home", "County quality-balanced"), ("Map", "/map", "Status")]:
            page.get_by_role("link", name=re.compile(label)).first.click()
            page.wait_for_url(re.compile(path), timeout=60_000)
            wait_for_text(page, "[data-testid='stMain']", text)
            assert query(page).get("lang") == "en", path
            assert "演示数据" not in page.inner_text("[data-testid='stSidebar']"), path
        shot(page, "english")
        browser.close()


@pytest.mark.parametrize("typed", ["yuexi", "yx"])
def test_the_search_box_finds_yuexi(server, typed):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser, page = open_map(p, server + "/map?region=510000")
        box = page.get_by_role("textbox", name="查找地区")
        box.fill(typed)
        box.press("Enter")  # the click below waits for the button the search brings
        page.get_by_role("button", name="越西县 · 凉山彝族自治州").click()
        wait_for_query(page, "county", "513434")
        assert query(page)["region"] == "513400"
        shot(page, f"search_{typed}")
        browser.close()


def test_the_play_button_steps_through_every_year(server):
    """Each year is drawn in turn (the title names it); play stops at the last year, in the URL."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser, page = open_map(p, server + "/map?region=510000&year=2024")
        seen = set()
        page.get_by_role("button", name="播放").click()
        deadline = time.time() + 90
        while time.time() < deadline:
            seen |= set(re.findall(r"(20\d\d)年", page.inner_text("h1")))
            if query(page).get("year") == "2026" and page.get_by_role("button", name="播放").count():
                break
            page.wait_for_timeout(100)  # polling the title while the years play, not a wait for a result
        idle(page)
        shot(page, "played")
        final = query(page)["year"]
        browser.close()
    assert {"2023", "2024", "2025", "2026"} <= seen
    assert final == "2026"


@pytest.mark.parametrize("where", ["checkbox", "name"])
def test_a_table_row_click_selects_its_county(server, where):
    """Before: only the row's checkbox selected it; a click on the county's name did nothing."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser, page = open_map(p, server + "/map?region=513400&year=2026")
        page.get_by_role("tab", name="表格").click()
        grid = page.wait_for_selector("[data-testid='stDataFrame']", timeout=TIMEOUT).bounding_box()
        x = grid["x"] + (12 if where == "checkbox" else 80)  # the selection cell, or the name cell
        page.mouse.click(x, grid["y"] + 35 + 17)  # the first row
        page.wait_for_function("() => window.location.search.includes('county=')", timeout=60_000)
        idle(page)
        shot(page, "table_selected")
        county = query(page)["county"]
        browser.close()
    assert county.startswith("5134")


@pytest.mark.parametrize("path, height", [("/gap?region=510000", 560),
                                          ("/progress?region=510000&plan=rectification-2024-2026", 520)])
def test_the_gap_and_progress_maps_drill_down_from_the_province_too(server, path, height):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser, page = open_map(p, server + path)
        click_map(page, "510000", *geometry.click_point("510000", "513434"), height=height)
        wait_for_query(page, "region", "513400")
        shot(page, "drill_" + path.split("?")[0].strip("/"))
        browser.close()


def _changed_share(a, b) -> float:
    from PIL import ImageChops

    diff = ImageChops.difference(a, b.resize(a.size)).convert("L")
    return sum(diff.histogram()[25:]) / (a.width * a.height)


@pytest.mark.parametrize("path, height", [("/gap?region=513400", 560),
                                          ("/progress?region=513400&plan=rectification-2024-2026", 520)])
def test_a_county_clicked_on_the_gap_and_progress_maps_is_drawn_as_its_url_opened_fresh(server, path, height):
    """Before: every other county faded, the clicked one filled black (99 % of pixels changed)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser, page = open_map(p, server + path, width=1366, height=768)
        click_map(page, "513400", *geometry.click_point("513400", "513434"), height=height)
        wait_for_query(page, "county", "513434")
        clicked = map_image(page)
        fresh = browser.new_page(viewport={"width": 1366, "height": 768})
        fresh.goto(page.url)
        wait_for_map(fresh)
        idle(fresh)
        opened = map_image(fresh)
        clicked.save(ARTIFACTS / f"click_{path[1:5]}_after.png")
        opened.save(ARTIFACTS / f"click_{path[1:5]}_fresh.png")
        browser.close()
    assert _changed_share(clicked, opened) < 0.02


def _edge_share(image) -> float:
    """Share of the map frame's outermost pixels (3 px on each side) that are drawn map, not page:
    a map cut by its frame has its drawing running into the edge."""
    rgb = image.convert("RGB")
    w, h = rgb.size
    edge = [(x, y) for x in (*range(3), *range(w - 3, w)) for y in range(0, h, 2)]
    edge += [(x, y) for y in (*range(3), *range(h - 3, h)) for x in range(0, w, 2)]
    return sum(1 for xy in edge if min(rgb.getpixel(xy)) < 235) / len(edge)


@pytest.mark.parametrize("width, height", [(1024, 768), (1366, 768), (1920, 1080)])
def test_the_national_province_and_prefecture_maps_fit_their_frame(server, width, height):
    """Before: at 1024 px 37 % of the national map frame's left/right edge was map (Xinjiang,
    Tibet, Heilongjiang and the 南海诸岛 inset cut), 8 % at 1366."""
    from playwright.sync_api import sync_playwright

    shares = {}
    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport={"width": width, "height": height})
        for region in ("000000", "510000", "513400"):
            page.goto(f"{server}/map?region={region}")
            wait_for_map(page)
            idle(page)
            image = map_image(page)
            image.save(ARTIFACTS / f"fit_{region}_{width}.png")
            shares[region] = _edge_share(image)
            if region == "000000":  # the 南海诸岛 inset lies wholly inside the frame
                box = page.wait_for_selector(MAP).bounding_box()
                west, south, east, north = geometry.WEB_INSET_BOX
                for lon, lat in ((west, south), (east, north)):
                    dx, dy = geometry.screen_offset(geometry.main_bounds(region), lon, lat, MAP_HEIGHT, fitted_width(box))
                    assert abs(dx) < box["width"] / 2 and abs(dy) < box["height"] / 2, (lon, lat, dx, dy)
        browser.close()
    assert all(share < 0.02 for share in shares.values()), shares


def test_no_headline_tile_is_cut_short_at_1024(server):
    """Before: the gap page read "6.21…" and "5.27…", the home page "791,…" and "10,97…"; later
    the English gap page's last label ran 22 px past its column and its "Passing now 0" was cut.
    Every value, label and delta fits its box, and every box its column."""
    from playwright.sync_api import sync_playwright

    cut = {}
    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport={"width": 1024, "height": 768})
        for path in ("/home", "/gap?region=513400", "/gap?region=513400&lang=en"):
            page.goto(server + path)
            page.wait_for_selector("[data-testid='stMetricValue']", timeout=TIMEOUT)
            idle(page)
            cut[path] = page.evaluate("""() => [...document.querySelectorAll('[data-testid=stMetric]')]
                .flatMap(tile => {
                  const column = tile.closest('[data-testid=stColumn]').getBoundingClientRect();
                  return [...tile.querySelectorAll(
                    '[data-testid=stMetricValue] > div, [data-testid=stMetricLabel], [data-testid=stMetricDelta]')]
                    .filter(e => e.scrollWidth > e.clientWidth + 1
                                 || e.getBoundingClientRect().right > column.right + 1)
                    .map(e => e.textContent); })""")
        browser.close()
    assert cut == {path: [] for path in cut}


def test_the_county_profile_reads_at_1024_in_both_languages(server):
    """Before: the failing-criteria table's short columns wrapped a character a line (学/段, 标/准,
    差/距), and the CV chart, in half a column, left the English bars ~100 px, hid two indicator
    names and cut its legend ("Primar"). Every header of a static table is one line; the chart
    spans the page and names all seven indicators."""
    from playwright.sync_api import sync_playwright

    found = {}
    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport={"width": 1024, "height": 768})
        for lang in ("zh", "en"):
            page.goto(f"{server}/county?region=513400&county=513434&lang={lang}")
            page.wait_for_selector("[data-testid='stTable'] th", timeout=TIMEOUT)
            page.wait_for_selector("[data-testid='stVegaLiteChart'] svg, [data-testid='stVegaLiteChart'] canvas",
                                   timeout=TIMEOUT)
            idle(page)
            found[lang] = page.evaluate("""() => {
              const table = document.querySelector('[data-testid=stTable]').getBoundingClientRect();
              const tall = [...document.querySelectorAll('[data-testid=stTable] th')]
                .filter(th => th.textContent.trim().length <= 4)
                .filter(th => { const r = document.createRange(); r.selectNodeContents(th);
                                const line = parseFloat(getComputedStyle(th).lineHeight) || 20;
                                return r.getBoundingClientRect().height > 1.5 * line; })
                .map(th => th.textContent.trim());
              const chart = document.querySelector('[data-testid=stVegaLiteChart]').getBoundingClientRect();
              const names = [...document.querySelectorAll('[data-testid=stVegaLiteChart] svg text')]
                .map(e => e.textContent).filter(x => /^R[1-7] /.test(x)).map(x => x.slice(0, 2));
              return {tall, share: chart.width / table.width, names: [...new Set(names)].sort()};
            }""")
        browser.close()
    for lang, got in found.items():
        assert got["tall"] == [], (lang, got)
        assert got["share"] > 0.9 and got["names"] == [f"R{i}" for i in range(1, 8)], (lang, got)


CUE_WATCH = """
window.__cue = [];
setInterval(() => {
  const app = document.querySelector("[data-testid='stApp']");
  if (!app) return;
  const after = getComputedStyle(app, '::after');
  const shown = after.content !== 'none' && after.visibility === 'visible';
  const state = app.getAttribute('data-test-script-state');
  const last = window.__cue[window.__cue.length - 1];
  if (!last || last[0] !== state || last[1] !== shown) window.__cue.push([state, shown, after.content]);
}, 50);
"""


@pytest.mark.parametrize("lang, label, year", [("zh", "正在计算…", 2023), ("en", "Working…", 2024)])
def test_a_long_run_shows_the_working_cue_and_an_idle_page_does_not(server, lang, label, year):
    """The minimal toolbar hides Streamlit's own running indicator: before, a 2–9 s wait showed
    nothing at all. The first gap plan of a year (no other test asks for these years) is such a
    wait: the cue shows during it, and only while the script runs."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        page.add_init_script(CUE_WATCH)
        page.goto(f"{server}/gap?region=000000&year={year}&lang={lang}")
        wait_for_map(page)
        idle(page)
        page.wait_for_function("() => window.__cue.length && window.__cue[window.__cue.length - 1][0] === 'notRunning'"
                               " && !window.__cue[window.__cue.length - 1][1]", timeout=10_000)
        seen = page.evaluate("() => window.__cue")
        browser.close()
    shown = [s for s in seen if s[1]]
    assert shown and all(state == "running" for state, _, _ in shown), seen
    assert shown[0][2] == f'"{label}"'


def test_at_1366_by_768_the_province_map_starts_on_screen(server):
    """Before: 6 rem of blank above the banner put the map's top at about 578 px of 768 here (the
    'up to China' button takes a row on this two-province data); now about 530."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser, page = open_map(p, server + "/map?region=510000", width=1366, height=768)
        top = page.wait_for_selector(MAP, timeout=TIMEOUT).bounding_box()["y"]
        browser.close()
    assert top < 768 - 200, top  # at least 200 px of the map on the first screen
