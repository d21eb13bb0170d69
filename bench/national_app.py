"""The app on a national database: a cold server to a drawn national map (headless Chromium), the
server time of each rerun (year, metric, region change; Streamlit's AppTest), and the server
process's peak memory.

    python bench/national_app.py --db PATH      # e.g. build-demo --scope national --years 2023 2024 2025 2026

Targets (issue "national scale"): cold server to drawn national map < 5 s; any rerun < 300 ms
server time; peak server memory < 2 GB.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from demo_db import IDLE, arguments, start_server  # noqa: E402
from load import ARGS, CHROMIUM  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402


def peak_mb(pid: int) -> float:
    """The process's peak resident memory (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def browser_cold(db: Path) -> tuple[float, float, float]:
    """Seconds from a fresh server's first page request to a drawn national map; the same for a
    second visitor; the server's peak memory (MB) after both."""
    from playwright.sync_api import sync_playwright

    proc, url = start_server(db, read_only=True)
    times = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            for _ in range(2):
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                started = time.perf_counter()
                page.goto(f"{url}/map?region=000000")
                page.wait_for_selector("[class*='-fitted'] [data-testid='stDeckGlJsonChart'] canvas", timeout=300_000)
                page.wait_for_function(IDLE, timeout=300_000)
                times.append(time.perf_counter() - started)
                page.close()
            browser.close()
        return times[0], times[1], peak_mb(proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def timed(at: AppTest) -> float:
    started = time.perf_counter()
    at.run()
    if at.exception:
        raise RuntimeError(at.exception[0].message)
    return time.perf_counter() - started


def server_reruns(db: Path) -> dict[str, float]:
    """Server time of the national map page's first run and of each kind of rerun (warm)."""
    os.environ["JUNHENG_DB"] = str(db)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
    at.switch_page("pages/map.py")
    at.query_params["region"] = "000000"
    out = {"first run (cold caches)": timed(at), "same view again": timed(at)}
    years = at.sidebar.selectbox(key="year").options
    at.sidebar.selectbox(key="year").set_value(years[0])
    out["year change (first time)"] = timed(at)
    at.sidebar.selectbox(key="year").set_value(years[-1])
    out["year change (back)"] = timed(at)
    at.selectbox(key="metric").set_value("cv_composite")
    out["metric change (first time)"] = timed(at)
    at.selectbox(key="metric").set_value("status")
    out["metric change (back)"] = timed(at)
    at.sidebar.selectbox(key="region").set_value("510000")
    out["region change: 四川省 (first time)"] = timed(at)
    at.sidebar.selectbox(key="region").set_value("000000")
    out["region change: back to China"] = timed(at)
    return out


def main() -> None:
    args = arguments(__doc__)
    first, second, peak = browser_cold(args.db)
    print(f"cold server → drawn national map       {first:6.2f} s   (target < 5 s)")
    print(f"second visitor → drawn national map    {second:6.2f} s")
    print(f"server peak memory after both          {peak:6.0f} MB  (target < 2048 MB)")
    for name, seconds in server_reruns(args.db).items():
        print(f"server time, {name:<30} {seconds * 1000:6.0f} ms{'   (target < 300 ms)' if 'first run' not in name else ''}")


if __name__ == "__main__":
    main()
