"""What Streamlit and its pydeck chart cost on this machine before any of Junheng's pages: the
floor under bench/interactions.py, in the same software-rendered Chromium and the same waits.

    python bench/streamlit_floor.py [--runs 4] [--width 1366]

Three minimal apps, each on a fresh server: a page with a title only; a title and a map of the
Sichuan counties' picture alone (the app's own picture, its labels' picture over it, no other
widget); the same map with a two-option radio that repaints the picture and writes the choice to
the URL. Prints the new visitor's wait (cold server, then the median of the warm ones) and, for the
radio, the median time to the URL and to the settled page, as bench/interactions.py times a stage
change.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from demo_db import IDLE, start_server  # noqa: E402
from interactions import ARGS, QUIET, TIMEOUT_MS, url_has  # noqa: E402

TITLE_APP = """import streamlit as st
st.set_page_config(layout="wide")  # as the app's pages
st.title("四川省 2026年 义务教育")
"""

# the picture and labels made as the map page makes them (one colour per county per option), cached
MAP_APP = """import pydeck as pdk
import streamlit as st
from analytics.present import geometry, images
st.set_page_config(layout="wide")
st.title("四川省 2026年 义务教育")
option = st.radio("stage", ["a", "b"], horizontal=True, key="option") if {radio} else "a"
@st.cache_resource  # per option, as the map page keeps its pictures per view
def pictures(option):
    raster = images.county_raster("510000")
    shade = 60 if option == "a" else 160
    colours = {{code: [shade + i % 80, 120, 200 - i % 90] for i, code in enumerate(raster.codes)}}
    return images.picture(raster, colours), images.labels_picture("510000", 1050, 600, "zh")
shapes, labels = pictures(option)
layers = [pdk.Layer("BitmapLayer", id=name, image=f'"{{p["url"]}}"', bounds=p["bounds"], pickable=False)
          for name, p in (("shapes", shapes), ("labels", labels))]
view = geometry.view_for(geometry.main_bounds("510000"), width=1050, height=600)
st.pydeck_chart(pdk.Deck(layers=layers, initial_view_state=view, map_provider=None), height=600, key="map")
st.query_params["option"] = option
"""

CANVAS = "[data-testid='stDeckGlJsonChart'] canvas"


def settled(page, ready: str) -> None:
    page.wait_for_selector(ready, timeout=TIMEOUT_MS)
    page.wait_for_function(IDLE, timeout=TIMEOUT_MS)
    page.evaluate(QUIET)


def visits(browser, url: str, ready: str, width: int, runs: int) -> list[float]:
    """Seconds to the settled page for `runs` new visitors in turn (the first on a cold server)."""
    times = []
    for _ in range(runs):
        context = browser.new_context(viewport={"width": width, "height": 900})
        page = context.new_page()
        started = time.perf_counter()
        page.goto(url, timeout=TIMEOUT_MS)
        settled(page, ready)
        times.append(time.perf_counter() - started)
        context.close()
    return times


def changes(browser, url: str, width: int, runs: int) -> tuple[list[float], list[float]]:
    """(seconds to the URL, seconds to the settled page) of `runs` radio changes in one visit."""
    page = browser.new_context(viewport={"width": width, "height": 900}).new_page()
    page.goto(url, timeout=TIMEOUT_MS)
    settled(page, CANVAS)
    answered, done = [], []
    for i in range(runs):
        option = "b" if i % 2 == 0 else "a"
        started = time.perf_counter()
        page.get_by_text(option, exact=True).click()
        url_has(page, "option", option)
        answered.append(time.perf_counter() - started)
        settled(page, CANVAS)
        done.append(time.perf_counter() - started)
    page.context.close()
    return answered, done


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=4)
    p.add_argument("--width", type=int, default=1366)
    args = p.parse_args()
    from playwright.sync_api import sync_playwright

    rows = []
    with tempfile.TemporaryDirectory() as folder, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=shutil.which("chromium") or "/usr/bin/chromium", args=ARGS)
        apps = [("title only", TITLE_APP, "h1"), ("title + map", MAP_APP.format(radio=False), CANVAS),
                ("title + radio + map", MAP_APP.format(radio=True), CANVAS)]
        for name, source, ready in apps:
            script = Path(folder) / f"{len(rows)}.py"
            script.write_text(source, encoding="utf-8")
            proc, url = start_server(None, script=script)
            try:
                times = visits(browser, url, ready, args.width, args.runs)
                answered, done = changes(browser, url, args.width, 2 * args.runs) if "radio" in name else ([], [])
            finally:
                proc.terminate()
                proc.wait(timeout=30)
            rows.append((name, times, answered, done))
        browser.close()
    print(f"Streamlit's floor, {args.width} px wide, software rendering, {args.runs} visits each")
    print(f"{'app':<22} {'cold (s)':>9} {'warm (s)':>9} {'change: URL (s)':>16} {'settled (s)':>12}")
    for name, times, answered, done in rows:
        change = (f"{statistics.median(answered):>16.2f} {statistics.median(done):>12.2f}" if answered
                  else f"{'—':>16} {'—':>12}")
        print(f"{name:<22} {times[0]:>9.2f} {statistics.median(times[1:]):>9.2f} {change}")


if __name__ == "__main__":
    main()
