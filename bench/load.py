"""Concurrent sessions: 1, 5, 10 and 20 headless-Chromium sessions at once (loopback only) each
go map → county profile → progress on one fresh app server; prints the median and worst time
per interaction and the errors.

    python bench/load.py [--db PATH] [--sessions 1 5 10 20] [--region 510000] [--county 513434]

An interaction's time runs from the navigation until the page's content is drawn and Streamlit
is idle (its script no longer running). Sessions start together; each level uses a fresh browser.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from demo_db import IDLE, arguments, start_server  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
TIMEOUT_MS = 180_000


async def interaction(page, url: str, ready: str) -> float:
    started = time.perf_counter()
    # the navigation gets the same allowance as the content (Playwright's default is 30 s: with
    # 20 browsers on 2 cores, loading Streamlit's scripts alone can take longer)
    await page.goto(url, timeout=TIMEOUT_MS)
    await page.wait_for_selector(ready, timeout=TIMEOUT_MS)
    await page.wait_for_function(IDLE, timeout=TIMEOUT_MS)
    if await page.locator("[data-testid='stException']").count():
        raise RuntimeError(f"an error on {url}")
    return time.perf_counter() - started


async def session(browser, base: str, region: str, county: str, times: dict, errors: list) -> None:
    page = await browser.new_page(viewport={"width": 1400, "height": 1000})
    # the map's own canvas: a bare "canvas" also matched the data grid of the table tab (drawn
    # hidden, and sooner) until the map page ran only its open tab
    steps = [("map", f"{base}/map?region={region}", "[class*='-fitted'] [data-testid='stDeckGlJsonChart'] canvas"),
             ("profile", f"{base}/county?region={county[:4]}00&county={county}", "[data-testid='stMetric']"),
             ("progress", f"{base}/progress?region={region}", "[data-testid='stDataFrame']")]
    for name, url, ready in steps:
        try:
            times[name].append(await interaction(page, url, ready))
        except Exception as exc:  # noqa: BLE001 - counted and reported
            errors.append(f"{name}: {type(exc).__name__}: {str(exc)[:120]}")
    await page.close()


async def level(base: str, n: int, region: str, county: str) -> tuple[dict, list]:
    from playwright.async_api import async_playwright

    times: dict[str, list[float]] = {"map": [], "profile": [], "progress": []}
    errors: list[str] = []
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        await asyncio.gather(*(session(browser, base, region, county, times, errors) for _ in range(n)))
        await browser.close()
    return times, errors


def main() -> None:
    args = arguments(__doc__, extra=lambda p: (
        p.add_argument("--sessions", type=int, nargs="+", default=[1, 5, 10, 20]),
        p.add_argument("--region", default="510000"), p.add_argument("--county", default="513434")))
    proc, base = start_server(args.db, read_only=True)
    try:
        asyncio.run(level(base, 1, args.region, args.county))  # warm the server's caches once
        print(f"{'sessions':>8}  {'interaction':<9} {'median':>8} {'worst':>8}  errors")
        for n in args.sessions:
            times, errors = asyncio.run(level(base, n, args.region, args.county))
            for name, values in times.items():
                med = f"{statistics.median(values):7.2f}s" if values else "      —"
                worst = f"{max(values):7.2f}s" if values else "      —"
                print(f"{n:>8}  {name:<9} {med:>8} {worst:>8}  {len([e for e in errors if e.startswith(name)])}")
            for e in errors[:3]:
                print(f"          {e}")
    finally:
        proc.terminate()
        proc.wait(timeout=20)


if __name__ == "__main__":
    main()
