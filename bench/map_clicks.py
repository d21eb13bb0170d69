"""Map clicks in software-rendered Chromium: press-to-rerun time per view, and how many land.

deck.gl drops a click when picking takes longer than its 250 ms click window, silently. This
starts the app on a database with a national view, clicks each level's map N times and prints,
per view, how many clicks led to the drill-down and the median and worst time from the press to
the new view's URL. It also prints the clickable vertex count per view (geometry.pick_records).

    python bench/map_clicks.py --db /tmp/chengyu.duckdb [--clicks 5]
    (build one with: python -m analytics build-demo --scope chengyu --db /tmp/chengyu.duckdb)
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from demo_db import IDLE, start_server  # noqa: E402

from analytics.present import geometry  # noqa: E402

ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
HEIGHT = 600  # pages/map.py
# view → (URL, region drawn, adcode clicked, URL key and value expected after the click)
VIEWS = {
    "national": ("/map?region=000000", "000000", "510000", "region", "510000"),
    "province": ("/map?region=510000", "510000", "513434", "region", "513400"),
    "prefecture": ("/map?region=513400", "513400", "513434", "county", "513434"),
}


def settle(page) -> None:
    """The fitted map is there (the caller waited for its canvas) and no run is going on."""
    page.wait_for_function(IDLE, timeout=120_000)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--db", type=Path, required=True)
    p.add_argument("--clicks", type=int, default=5)
    args = p.parse_args()
    from playwright.sync_api import sync_playwright

    proc, url = start_server(args.db)
    print(f"{'view':<11} {'pickable vertices':>17} {'landed':>7} {'median s':>9} {'worst s':>8}")
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=shutil.which("chromium") or "/usr/bin/chromium", args=ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            for name, (path, region, adcode, key, expected) in VIEWS.items():
                times = []
                for _ in range(args.clicks):
                    page.goto(url + path)
                    page.wait_for_selector("[class*='-fitted'] [data-testid='stDeckGlJsonChart'] canvas", timeout=120_000)
                    settle(page)
                    box = page.query_selector("[class*='-fitted'] [data-testid='stDeckGlJsonChart']").bounding_box()
                    dx, dy = geometry.screen_offset(geometry.main_bounds(region), *geometry.click_point(region, adcode), HEIGHT,
                                                round(box["width"]) // 8 * 8)
                    x, y = box["x"] + box["width"] / 2 + dx, box["y"] + box["height"] / 2 + dy
                    page.mouse.move(x, y)
                    page.wait_for_timeout(300)
                    started = time.perf_counter()
                    page.mouse.click(x, y)
                    try:
                        page.wait_for_function(
                            f"() => new URLSearchParams(location.search).get({key!r}) === {expected!r}", timeout=20_000)
                        times.append(time.perf_counter() - started)
                    except Exception:  # a dropped click: counted, not timed
                        pass
                vertices = sum(len(ring) for r in geometry.pick_records(region) for ring in r["rings"])
                shown = (f"{statistics.median(times):>9.2f} {max(times):>8.2f}" if times else f"{'—':>9} {'—':>8}")
                print(f"{name:<11} {vertices:>17,} {len(times):>4}/{args.clicks:<2} {shown}")
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=20)


if __name__ == "__main__":
    main()
