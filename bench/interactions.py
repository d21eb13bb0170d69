"""What a person waits for on the map, in software-rendered Chromium: per interaction, the time
to the URL that answers it and to the settled page (the map's own canvas drawn, no run going on).

    python bench/interactions.py [--db PATH] [--region 510000] [--county 513434] [--width 1366]

Interactions, in a user's order: a new visitor opens the region's map (on a cold server, then
warm), changes the stage, steps the year back, changes the metric, clicks a county on the map
(drill-down; pointed at first until its tooltip shows, as a user does), and goes Back. Each is
timed from the action (navigation, click, key) to the URL that says it happened, then to the
settled page: the map drawn at its column's width, no run going on, and the browser quiet (done
drawing). Prints one row per interaction.
"""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from demo_db import IDLE, arguments, start_server  # noqa: E402

from analytics.assess import metrics  # noqa: E402
from analytics.assess.criteria import load_criteria  # noqa: E402
from analytics.atlas import regions  # noqa: E402
from analytics.present import geometry  # noqa: E402
from tests.browser import MAP, MAP_READY  # noqa: E402

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
HEIGHT = 600  # pages/map.py
TIMEOUT_MS = 120_000


def _extra(p) -> None:
    p.add_argument("--region", default="510000")
    p.add_argument("--county", default="513434")
    p.add_argument("--width", type=int, default=1366)


def url_has(page, key: str, value: str) -> None:
    page.wait_for_function(f"() => new URLSearchParams(location.search).get({key!r}) === {value!r}",
                           timeout=TIMEOUT_MS)


# the browser is quiet: ten animation frames in a row came within 50 ms of each other (a frame of
# deck.gl drawing its pictures, read back from software WebGL, takes 70–300 ms)
QUIET = """() => new Promise(done => {
  let last = performance.now(), calm = 0;
  const step = now => { calm = now - last < 50 ? calm + 1 : 0; last = now;
                        calm >= 10 ? done(true) : requestAnimationFrame(step); };
  requestAnimationFrame(step);
})"""


def settled(page) -> None:
    """The map drawn, fitted to its column, no run going on, and the browser done drawing."""
    page.wait_for_function(MAP_READY, timeout=TIMEOUT_MS)
    page.wait_for_function(IDLE, timeout=TIMEOUT_MS)
    page.evaluate(QUIET)


def timed(page, act, key: str, value: str) -> tuple[float, float]:
    """(seconds to the URL, seconds to the settled page) of one action."""
    started = time.perf_counter()
    act()
    url_has(page, key, value)
    answered = time.perf_counter() - started
    settled(page)
    return answered, time.perf_counter() - started


def new_visitor(browser, url: str, width: int) -> tuple[object, float]:
    """A new browser context opening the map: (page, seconds to the settled map)."""
    page = browser.new_context(viewport={"width": width, "height": 900}).new_page()
    started = time.perf_counter()
    page.goto(url, timeout=TIMEOUT_MS)
    settled(page)
    return page, time.perf_counter() - started


def pick(page, box, label: str, option: str) -> None:
    """Choose `option` in the selectbox labelled `label`."""
    page.locator(f"{box} [data-testid='stSelectbox']").filter(has_text=label).first.click()
    page.get_by_role("option", name=option, exact=True).first.click()


def hover_county(page, region: str, county: str) -> tuple[float, float]:
    """Point at the county on the map until its tooltip shows, as a user does before clicking
    (not timed: the wait starts with the click); its point on the page."""
    page.evaluate(f"document.querySelector({MAP!r}).scrollIntoView({{block: 'center'}})")
    box = page.query_selector(MAP).bounding_box()
    dx, dy = geometry.screen_offset(geometry.main_bounds(region), *geometry.click_point(region, county), HEIGHT,
                                    round(box["width"]) // 8 * 8)
    x, y = box["x"] + box["width"] / 2 + dx, box["y"] + box["height"] / 2 + dy
    page.mouse.move(x - 3, y - 3)
    page.mouse.move(x, y)
    page.wait_for_function("() => [...document.querySelectorAll('.deck-tooltip')].some(e => e.style.display !== "
                           "'none' && e.innerText.trim())", timeout=TIMEOUT_MS)
    return x, y


def main() -> None:
    args = arguments(__doc__, extra=_extra)
    from playwright.sync_api import sync_playwright

    proc, base = start_server(args.db)
    url = f"{base}/map?region={args.region}"
    rows = []
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=shutil.which("chromium") or "/usr/bin/chromium", args=ARGS)
            _, cold = new_visitor(browser, url, args.width)
            rows.append(("new visitor, cold server", None, cold))
            page, warm = new_visitor(browser, url, args.width)
            rows.append(("new visitor, warm server", None, warm))
            rows.append(("stage → 小学", *timed(page, lambda: page.locator("[data-testid='stSidebar'] label")
                                               .filter(has_text="小学").first.click(), "stage", "primary")))
            years = page.evaluate("() => new URLSearchParams(location.search).get('year')")
            year = str(int(years) - 1) if years else "2025"
            rows.append((f"year → {year}", *timed(page, lambda: pick(page, "[data-testid='stSidebar']", "学年", year),
                                                 "year", year)))
            label = metrics.map_metrics(load_criteria())["cv_composite"].label("zh")
            rows.append(("metric → cv_composite", *timed(page, lambda: pick(page, "[data-testid='stMain']", "着色指标",
                                                                        label), "metric", "cv_composite")))
            drilled = regions.drill(args.region, "", args.county)
            key, value = ("county", drilled[1]) if drilled[1] else ("region", drilled[0])
            x, y = hover_county(page, args.region, args.county)
            rows.append(("drill-down click", *timed(page, lambda: page.mouse.click(x, y), key, value)))
            rows.append(("Back", *timed(page, page.go_back, "region", args.region)))
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    print(f"{args.db}, /map?region={args.region}, {args.width} px wide, software rendering")
    print(f"{'interaction':<26} {'URL (s)':>8} {'settled (s)':>12}")
    for name, answered, done in rows:
        print(f"{name:<26} {'—' if answered is None else f'{answered:.2f}':>8} {done:>12.2f}")


if __name__ == "__main__":
    main()
